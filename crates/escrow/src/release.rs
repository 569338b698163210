//! A public release's own proof, checked offline: the limit proof a freeze declaration carries
//! in its public part (`body.limit_proof`, `accord-limit-proof/1`), and, with the inventory
//! commitment beside it (`body.inventory`), that the proof is of that inventory and of the
//! entry's date. `accord log verify-proof` and the dashboard's WebAssembly check run this one
//! function after the inclusion proof.
//!
//! Pure: the verifier's batching generator is the caller's.

use rand_core::{CryptoRng, RngCore};

/// A release's proof inside an entry: when the entry's notification carries an
/// `accord-limit-proof/1` (`body.limit_proof`), it is verified offline, and, when the same body
/// carries the inventory commitment (`body.inventory`), checked to be of that inventory. `None`
/// when the entry carries no limit proof.
pub fn check<R: RngCore + CryptoRng>(entry_bytes: &[u8], rng: &mut R) -> Option<Result<String, String>> {
    let e = accord_tlog::entry::decode(entry_bytes).ok()?;
    // A notification's entry, or a public release's (its public part).
    let n = match (&e.notification, &e.public) {
        (serde_json::Value::Null, Some(p)) => p,
        (n, _) => n,
    };
    let body = n.get("body")?;
    let proof = body.get("limit_proof")?;
    let proof: crate::totals::LimitProof = match serde_json::from_value(proof.clone()) {
        Ok(p) => p,
        Err(err) => return Some(Err(format!("its limit proof is malformed: {err}"))),
    };
    if let Err(err) = crate::totals::verify(&proof, rng) {
        return Some(Err(format!("its limit proof: {err}")));
    }
    let st = &proof.statement;
    if n.get("party").and_then(|p| p.as_str()) != Some(st.party.as_str()) {
        return Some(Err("its limit proof is of another Party than the entry's".into()));
    }
    if let Some(inv) = body.get("inventory") {
        let Ok(c) = serde_json::from_value::<crate::inventory::Commitment>(inv.clone()) else {
            return Some(Err("its inventory commitment is malformed".into()));
        };
        let of_it = proof.is_of(&c) && n.get("date").and_then(|d| d.as_str()) == Some(c.context.as_of.as_str());
        if !of_it {
            return Some(Err(
                "its limit proof is not of the inventory the entry commits to, or that inventory is not of the entry's date".into(),
            ));
        }
    }
    let cap = match &st.cap {
        crate::totals::Cap::Public(v) => v.to_string(),
        // Which baseline: its commitments' fingerprint, to compare with the baseline's release
        // (`proposal evaluate` does that against the record).
        crate::totals::Cap::Committed { as_of, commitments } => format!(
            "the committed total of {as_of} (baseline commitments {}…)",
            crate::totals::fingerprint(commitments)
        ),
    };
    Some(Ok(format!(
        "its limit proof verifies: {} {} of {} as of {} is within {cap}",
        st.party, st.name, st.treaty, st.as_of
    )))
}

/// An inclusion said as `included` and the entry's own proof ([`check`]): whether both hold,
/// and the one sentence that says so (`…; its limit proof verifies: …`, or `…, but …`).
pub fn with_inclusion<R: RngCore + CryptoRng>(included: String, entry_bytes: &[u8], rng: &mut R) -> (bool, String) {
    match check(entry_bytes, rng) {
        None => (true, included),
        Some(Ok(said)) => (true, format!("{included}; {said}")),
        Some(Err(said)) => (false, format!("{included}, but {said}")),
    }
}
