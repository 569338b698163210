//! `accord-limit-proof/1`: a Party's total within a cap, proven in zero knowledge.
//!
//! The Party commits to each zone's count with a Pedersen commitment `C_z = v_z·B + r_z·B̃`
//! (the `bulletproofs` crate's default generators), pads the zones to a power of two with
//! commitments to zero, and proves with one aggregated Bulletproofs range proof that every
//! `v_z` is in `[0, 2^bits)`. The cap's margin is proven by a second range proof on the point
//! the verifier computes itself, `M = cap·B − Σ C_z` (a public cap) or `M = Σ C'_z − Σ C_z`
//! (a committed cap: the baseline's own commitments, for a freeze whose baseline total is not
//! disclosed). `M` commits to `cap − total` with blinding `−Σ r_z` (or `Σ r'_z − Σ r_z`), so a
//! proof exists only if `cap − total` is in `[0, 2^bits)`.
//!
//! Invariants: the statement (treaty, Party, date, name, cap, the inventory it speaks for, bit
//! size, zone labels) is bound into both proofs' transcript, so a proof verifies for no other
//! statement; every count has its own range proof, so a "negative" count at one zone (a scalar
//! near the group order) cannot hide items counted at another; a total over the cap yields no
//! proof (`prove` refuses, and no margin proof for a value outside the range verifies); the
//! verifier learns nothing but the statement (Pedersen commitments hide perfectly; the range
//! proofs are zero-knowledge). Not post-quantum: a Party able to compute discrete logarithms
//! could open a commitment two ways, so proofs are checked and cosigned when made.

use base64::Engine as _;
use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::EscrowError;

/// The format name.
pub const FORMAT: &str = "accord-limit-proof/1";

/// The bit sizes a range proof may use.
pub const BIT_SIZES: [u8; 4] = [8, 16, 32, 64];

/// The most zones (padding included) a statement may have: a hostile proof naming more would
/// make the verifier build generators for them (memory and time in proportion).
pub const MAX_ZONES: usize = 1024;

/// What the cap is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cap {
    /// A number the treaty states (New START's 1,550, say).
    Public(u64),
    /// The total of an earlier proof's commitments (a freeze's baseline), not disclosed.
    Committed {
        /// The date of the baseline proof.
        as_of: String,
        /// Its commitments (standard base64, 32 bytes each).
        commitments: Vec<String>,
    },
}

/// What is proven: treaty, Party, date and name of the statement, and the cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// The treaty or proposal id.
    pub treaty: String,
    /// The proving Party.
    pub party: String,
    /// The date the counts are as of.
    pub as_of: String,
    /// What is counted (`all_warheads`, `deployed_warheads`, …).
    pub name: String,
    /// The cap.
    pub cap: Cap,
    /// The inventory commitment the counts are of (its root, standard base64), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_root: Option<String>,
    /// Bits of each range proof: counts and the margin lie in `[0, 2^bits)`.
    pub bits: u8,
    /// The zone of each count, in order (padding entries are `~padding-N`).
    pub zones: Vec<String>,
}

/// A proof, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitProof {
    /// [`FORMAT`].
    pub format: String,
    /// What is proven.
    pub statement: Statement,
    /// One Pedersen commitment per zone (standard base64).
    pub commitments: Vec<String>,
    /// The aggregated range proof of the counts (standard base64).
    pub counts_proof: String,
    /// The range proof of the margin (standard base64).
    pub margin_proof: String,
}

impl LimitProof {
    /// The cap a later period proves within: this (baseline) proof's committed total.
    pub fn as_cap(&self) -> Cap {
        Cap::Committed {
            as_of: self.statement.as_of.clone(),
            commitments: self.commitments.clone(),
        }
    }

    /// Whether the proof speaks for the inventory of `c`: its statement names that root, and the
    /// same treaty, Party and date.
    pub fn is_of(&self, c: &crate::inventory::Commitment) -> bool {
        let st = &self.statement;
        st.inventory_root.as_deref() == Some(c.root.to_string().as_str())
            && st.party == c.context.party
            && st.as_of == c.context.as_of
            && st.treaty == c.context.treaty
    }
}

/// The cap in words: the number, or "the committed total of DATE".
impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cap::Public(v) => write!(f, "{v}"),
            Cap::Committed { as_of, .. } => write!(f, "the committed total of {as_of}"),
        }
    }
}

/// What opens the commitments: for the partner, in a confidential entry (or kept, as the
/// proposal's disclosure terms say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Openings {
    /// Each zone's count, in the statement's zone order.
    pub counts: Vec<u64>,
    /// Each commitment's blinding (32-byte scalars, standard base64).
    pub blindings: Vec<String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(what: &str, text: &str) -> Result<Vec<u8>, EscrowError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| EscrowError::Proof(format!("{what}: not base64: {e}")))
}

fn point(what: &str, text: &str) -> Result<(CompressedRistretto, RistrettoPoint), EscrowError> {
    let bytes = unb64(what, text)?;
    let c =
        CompressedRistretto::from_slice(&bytes).map_err(|_| EscrowError::Proof(format!("{what}: {} bytes, expected 32", bytes.len())))?;
    let p = c
        .decompress()
        .ok_or_else(|| EscrowError::Proof(format!("{what}: not a valid point")))?;
    Ok((c, p))
}

fn scalar(what: &str, text: &str) -> Result<Scalar, EscrowError> {
    let bytes: [u8; 32] = unb64(what, text)?
        .try_into()
        .map_err(|b: Vec<u8>| EscrowError::Proof(format!("{what}: {} bytes, expected 32", b.len())))?;
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or_else(|| EscrowError::Proof(format!("{what}: not a canonical scalar")))
}

/// The generators: pinned (the crate's defaults, sized for the statement), made once per size
/// and kept (making 64 × 16 of them costs more than the proof they serve).
fn gens(bits: u8, parties: usize) -> (std::sync::Arc<BulletproofGens>, PedersenGens) {
    type Cache = std::sync::Mutex<Vec<((u8, usize), std::sync::Arc<BulletproofGens>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // A poisoned lock only means another caller panicked while inserting: the list is whole.
    let lock = || cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let found = lock().iter().find(|(k, _)| *k == (bits, parties)).map(|(_, g)| g.clone());
    let bp = match found {
        Some(g) => g,
        None => {
            // Built outside the lock, so one verifier building generators holds up no other.
            let g = std::sync::Arc::new(BulletproofGens::new(usize::from(bits), parties));
            let mut list = lock();
            match list.iter().find(|(k, _)| *k == (bits, parties)) {
                Some((_, other)) => other.clone(),
                None => {
                    list.push(((bits, parties), g.clone()));
                    g
                }
            }
        }
    };
    (bp, PedersenGens::default())
}

fn transcript(s: &Statement, part: &'static [u8]) -> Transcript {
    let mut t = Transcript::new(b"accord-limit-proof/1");
    // The statement's canonical JSON binds every field, in a fixed encoding.
    let canonical = serde_json_canonicalizer::to_vec(s).unwrap_or_default();
    t.append_message(b"statement", &canonical);
    t.append_message(b"part", part);
    t
}

fn check_statement(s: &Statement) -> Result<(), EscrowError> {
    if !BIT_SIZES.contains(&s.bits) {
        return Err(EscrowError::Proof(format!("bits: {} (expected 8, 16, 32 or 64)", s.bits)));
    }
    if s.zones.is_empty() || !s.zones.len().is_power_of_two() || s.zones.len() > MAX_ZONES {
        return Err(EscrowError::Proof(format!(
            "zones: {} (expected a power of two up to {MAX_ZONES}, padded)",
            s.zones.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(s.zones.len());
    if let Some(z) = s.zones.iter().find(|z| !seen.insert(z.as_str())) {
        return Err(EscrowError::Proof(format!("zones: '{z}' is named twice (each zone's count once)")));
    }
    if let Cap::Committed { commitments, .. } = &s.cap {
        if commitments.is_empty() || commitments.len() > MAX_ZONES {
            return Err(EscrowError::Proof(format!(
                "cap.committed.commitments: {} (expected 1 to {MAX_ZONES})",
                commitments.len()
            )));
        }
    }
    Ok(())
}

/// The point the margin proof is about: `cap·B − Σ C` (public cap) or `Σ C' − Σ C`.
fn margin_point(s: &Statement, pc: &PedersenGens, sum: RistrettoPoint) -> Result<RistrettoPoint, EscrowError> {
    Ok(match &s.cap {
        Cap::Public(v) => pc.B * Scalar::from(*v) - sum,
        Cap::Committed { commitments, .. } => {
            let mut base = RistrettoPoint::default();
            for (i, c) in commitments.iter().enumerate() {
                base += point(&format!("cap.committed.commitments[{i}]"), c)?.1;
            }
            base - sum
        }
    })
}

/// A short fingerprint of a committed cap's commitments (the first 8 bytes of SHA-256 over
/// them, hex), so a reader can tell which baseline a proof is against.
pub fn fingerprint(commitments: &[String]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for c in commitments {
        h.update(c.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What the prover knows of a committed cap: the baseline's total and the sum of its blindings.
#[derive(Debug, Clone)]
pub struct CapSecret {
    /// The baseline total.
    pub total: u64,
    /// The sum of the baseline's blindings.
    pub blinding: Scalar,
}

impl CapSecret {
    /// From the baseline proof's openings.
    pub fn of(o: &Openings) -> Result<CapSecret, EscrowError> {
        let mut blinding = Scalar::ZERO;
        for (i, b) in o.blindings.iter().enumerate() {
            blinding += scalar(&format!("blindings[{i}]"), b)?;
        }
        Ok(CapSecret {
            total: o.counts.iter().sum(),
            blinding,
        })
    }
}

/// Pads `zones` and `counts` to a power of two (at least `min`) with `~padding-N` zones of
/// count zero.
pub fn pad(zones: &mut Vec<String>, counts: &mut Vec<u64>, min: usize) {
    let target = zones.len().max(min).max(1).next_power_of_two();
    let mut i = 0;
    while zones.len() < target {
        zones.push(format!("~padding-{i}"));
        counts.push(0);
        i += 1;
    }
}

/// Proves `statement` for `counts` (one per zone, the statement's order and length). `cap`
/// must be given for a committed cap. Refuses a total over the cap and a count or margin
/// outside the bit size, naming it.
pub fn prove<R: RngCore + CryptoRng>(
    statement: Statement,
    counts: &[u64],
    cap: Option<&CapSecret>,
    rng: &mut R,
) -> Result<(LimitProof, Openings), EscrowError> {
    check_statement(&statement)?;
    if counts.len() != statement.zones.len() {
        return Err(EscrowError::Proof(format!(
            "{} counts for {} zones",
            counts.len(),
            statement.zones.len()
        )));
    }
    let limit = if statement.bits == 64 {
        u64::MAX
    } else {
        (1u64 << statement.bits) - 1
    };
    if let Some((i, v)) = counts.iter().enumerate().find(|(_, v)| **v > limit) {
        return Err(EscrowError::Proof(format!(
            "zone '{}': count {v} exceeds {} bits",
            statement.zones[i], statement.bits
        )));
    }
    let total: u64 = counts
        .iter()
        .try_fold(0u64, |a, v| a.checked_add(*v))
        .ok_or_else(|| EscrowError::Proof("the total overflows".into()))?;
    let blindings: Vec<Scalar> = counts.iter().map(|_| Scalar::random(rng)).collect();
    let sum_r: Scalar = blindings.iter().sum();
    let (cap_total, margin_blinding) = match (&statement.cap, cap) {
        (Cap::Public(v), _) => (*v, -sum_r),
        (Cap::Committed { .. }, Some(c)) => (c.total, c.blinding - sum_r),
        (Cap::Committed { .. }, None) => {
            return Err(EscrowError::Proof("a committed cap needs the baseline's openings".into()));
        }
    };
    let margin = cap_total.checked_sub(total).ok_or(EscrowError::OverCap { total, cap: cap_total })?;
    if margin > limit {
        return Err(EscrowError::Proof(format!("the margin {margin} exceeds {} bits", statement.bits)));
    }
    let (bp, pc) = gens(statement.bits, statement.zones.len());
    let bits = usize::from(statement.bits);
    let mut t = transcript(&statement, b"counts");
    let (counts_proof, commitments) = RangeProof::prove_multiple_with_rng(&bp, &pc, &mut t, counts, &blindings, bits, rng)
        .map_err(|e| EscrowError::Proof(format!("counts: {e:?}")))?;
    let mut t = transcript(&statement, b"margin");
    let (margin_proof, _) = RangeProof::prove_single_with_rng(&bp, &pc, &mut t, margin, &margin_blinding, bits, rng)
        .map_err(|e| EscrowError::Proof(format!("margin: {e:?}")))?;
    let proof = LimitProof {
        format: FORMAT.into(),
        statement,
        commitments: commitments.iter().map(|c| b64(c.as_bytes())).collect(),
        counts_proof: b64(&counts_proof.to_bytes()),
        margin_proof: b64(&margin_proof.to_bytes()),
    };
    let openings = Openings {
        counts: counts.to_vec(),
        blindings: blindings.iter().map(|b| b64(b.as_bytes())).collect(),
    };
    Ok((proof, openings))
}

/// Proves that a committed inventory's total (of the statuses in `counted`; all when empty) is
/// within `cap`: the counts by zone (every zone of the inventory, padded to one more zone at
/// least), under a statement of the inventory's treaty, Party and date that names its root.
/// `secret` opens a committed cap (the baseline's openings, [`CapSecret::of`]).
pub fn prove_inventory<R: RngCore + CryptoRng>(
    inventory: &crate::inventory::Inventory,
    name: &str,
    counted: &[crate::inventory::Status],
    cap: Cap,
    secret: Option<&CapSecret>,
    bits: u8,
    rng: &mut R,
) -> Result<(LimitProof, Openings), EscrowError> {
    use crate::inventory::Status;
    let mut counts: std::collections::BTreeMap<String, u64> = inventory.counts().keys().map(|z| (z.clone(), 0)).collect();
    for r in inventory.records().filter(|r| r.status != Status::Padding) {
        if counted.is_empty() || counted.contains(&r.status) {
            *counts.entry(r.zone.clone()).or_default() += 1;
        }
    }
    let mut zones: Vec<String> = counts.keys().cloned().collect();
    let mut values: Vec<u64> = counts.values().copied().collect();
    pad(&mut zones, &mut values, 1);
    let c = inventory.commitment();
    let statement = Statement {
        treaty: c.context.treaty.clone(),
        party: c.context.party.clone(),
        as_of: c.context.as_of.clone(),
        name: name.to_owned(),
        cap,
        inventory_root: Some(c.root.to_string()),
        bits,
        zones,
    };
    prove(statement, &values, secret, rng)
}

/// Verifies a proof offline: both range proofs against the commitments and the margin point
/// the verifier computes itself. `rng` randomises the batch check (any generator will do).
pub fn verify<R: RngCore + CryptoRng>(p: &LimitProof, rng: &mut R) -> Result<(), EscrowError> {
    if p.format != FORMAT {
        return Err(EscrowError::Format(p.format.clone()));
    }
    let s = &p.statement;
    check_statement(s)?;
    if p.commitments.len() != s.zones.len() {
        return Err(EscrowError::Proof(format!(
            "{} commitments for {} zones",
            p.commitments.len(),
            s.zones.len()
        )));
    }
    let mut compressed = Vec::with_capacity(p.commitments.len());
    let mut sum = RistrettoPoint::default();
    for (i, c) in p.commitments.iter().enumerate() {
        let (cc, pt) = point(&format!("commitments[{i}]"), c)?;
        compressed.push(cc);
        sum += pt;
    }
    let (bp, pc) = gens(s.bits, s.zones.len());
    let bits = usize::from(s.bits);
    let counts =
        RangeProof::from_bytes(&unb64("counts_proof", &p.counts_proof)?).map_err(|e| EscrowError::Proof(format!("counts_proof: {e:?}")))?;
    let mut t = transcript(s, b"counts");
    counts
        .verify_multiple_with_rng(&bp, &pc, &mut t, &compressed, bits, rng)
        .map_err(|_| EscrowError::Refuted("a count is not in range, or the proof is not of these commitments".into()))?;
    let margin =
        RangeProof::from_bytes(&unb64("margin_proof", &p.margin_proof)?).map_err(|e| EscrowError::Proof(format!("margin_proof: {e:?}")))?;
    let m = margin_point(s, &pc, sum)?.compress();
    let mut t = transcript(s, b"margin");
    margin
        .verify_single_with_rng(&bp, &pc, &mut t, &m, bits, rng)
        .map_err(|_| EscrowError::Refuted("the total is not within the cap".into()))
}

/// One zone whose opening does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneMismatch {
    /// The zone.
    pub zone: String,
    /// What the opening says.
    pub opened: Option<u64>,
    /// What the partner's own replay says.
    pub expected: Option<u64>,
}

/// The partner's check: the openings open the published commitments, and each zone's count is
/// what its own replay of the declarations gives (`expected`, by zone; padding zones expect
/// zero). Returns the zones that differ; an opening that does not open its commitment is an
/// error naming the zone.
pub fn check_openings(
    p: &LimitProof,
    o: &Openings,
    expected: &std::collections::BTreeMap<String, u64>,
) -> Result<Vec<ZoneMismatch>, EscrowError> {
    verify_openings(p, o)?;
    let zones = &p.statement.zones;
    let mut out = Vec::new();
    for (i, zone) in zones.iter().enumerate() {
        // A zone the expectation does not name is expected empty (the replay drops zeros).
        let want = if zone.starts_with('~') {
            Some(0)
        } else {
            Some(expected.get(zone).copied().unwrap_or(0))
        };
        if want != Some(o.counts[i]) {
            out.push(ZoneMismatch {
                zone: zone.clone(),
                opened: Some(o.counts[i]),
                expected: want,
            });
        }
    }
    for (zone, v) in expected {
        if !zones.contains(zone) && *v > 0 {
            out.push(ZoneMismatch {
                zone: zone.clone(),
                opened: None,
                expected: Some(*v),
            });
        }
    }
    Ok(out)
}

/// Checks that the openings open the proof's commitments (an error names the first zone whose
/// opening does not).
pub fn verify_openings(p: &LimitProof, o: &Openings) -> Result<(), EscrowError> {
    let zones = &p.statement.zones;
    if o.counts.len() != zones.len() || o.blindings.len() != zones.len() || p.commitments.len() != zones.len() {
        return Err(EscrowError::Proof(format!(
            "openings: {} counts and {} blindings for {} zones and {} commitments",
            o.counts.len(),
            o.blindings.len(),
            zones.len(),
            p.commitments.len()
        )));
    }
    let pc = PedersenGens::default();
    for (i, zone) in zones.iter().enumerate() {
        let r = scalar(&format!("blindings[{i}]"), &o.blindings[i])?;
        let (_, c) = point(&format!("commitments[{i}]"), &p.commitments[i])?;
        if pc.commit(Scalar::from(o.counts[i]), r) != c {
            return Err(EscrowError::Opening {
                index: i as u64,
                message: format!("zone '{zone}': the opening does not open its commitment"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A zone named twice would let the partner record one count of it while the total holds
    /// both: refused by the prover and the verifier.
    #[test]
    fn a_zone_named_twice_is_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut st = statement(Cap::Public(100), 2);
        st.zones = vec!["a".into(), "a".into()];
        let e = prove(st.clone(), &[5, 3], None, &mut rng).unwrap_err();
        assert!(e.to_string().contains("named twice"), "{e}");
        let mut ok = statement(Cap::Public(100), 2);
        ok.zones = vec!["a".into(), "b".into()];
        let (mut p, o) = prove(ok, &[5, 3], None, &mut rng).unwrap();
        p.statement.zones = st.zones;
        assert!(verify(&p, &mut rng).is_err());
        p.commitments.clear();
        assert!(verify_openings(&p, &o).is_err(), "commitments that do not match the zones");
    }

    fn statement(cap: Cap, zones: usize) -> Statement {
        Statement {
            treaty: "new-start".into(),
            party: "US".into(),
            as_of: "2020-09-01".into(),
            name: "deployed_warheads".into(),
            cap,
            inventory_root: None,
            bits: 16,
            zones: (0..zones).map(|i| format!("zone-{i}")).collect(),
        }
    }

    #[test]
    fn a_total_within_the_cap_proves_and_verifies() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let counts = [400, 300, 250, 507];
        let (p, o) = prove(statement(Cap::Public(1550), 4), &counts, None, &mut rng).unwrap();
        verify(&p, &mut rng).unwrap();
        let expected = (0..4).map(|i| (format!("zone-{i}"), counts[i])).collect();
        assert!(check_openings(&p, &o, &expected).unwrap().is_empty());
        // At the cap exactly.
        let (p, _) = prove(statement(Cap::Public(1457), 4), &counts, None, &mut rng).unwrap();
        verify(&p, &mut rng).unwrap();
    }

    #[test]
    fn a_total_over_the_cap_gives_no_proof() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let e = prove(statement(Cap::Public(1456), 4), &[400, 300, 250, 507], None, &mut rng).unwrap_err();
        assert!(matches!(e, EscrowError::OverCap { total: 1457, cap: 1456 }), "{e}");
        // A proof made for a larger cap does not verify against a smaller one.
        let (mut p, _) = prove(statement(Cap::Public(1550), 4), &[400, 300, 250, 507], None, &mut rng).unwrap();
        p.statement.cap = Cap::Public(1456);
        assert!(verify(&p, &mut rng).is_err());
    }

    #[test]
    fn the_statement_is_bound() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (p, _) = prove(statement(Cap::Public(1550), 2), &[700, 700], None, &mut rng).unwrap();
        for change in 0..4 {
            let mut q = p.clone();
            match change {
                0 => q.statement.party = "RU".into(),
                1 => q.statement.as_of = "2021-03-01".into(),
                2 => q.statement.name = "all_warheads".into(),
                _ => q.statement.zones[0] = "elsewhere".into(),
            }
            assert!(verify(&q, &mut rng).is_err(), "change {change}");
        }
    }

    #[test]
    fn a_committed_cap_proves_a_freeze() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let mut base_st = statement(Cap::Public(u64::from(u16::MAX)), 4);
        base_st.name = "all_warheads".into();
        let (base, base_open) = prove(base_st, &[1000, 900, 800, 1100], None, &mut rng).unwrap();
        let cap = Cap::Committed {
            as_of: "2020-09-01".into(),
            commitments: base.commitments.clone(),
        };
        let secret = CapSecret::of(&base_open).unwrap();
        let mut later = statement(cap.clone(), 4);
        later.as_of = "2020-12-01".into();
        let (p, _) = prove(later.clone(), &[1000, 850, 800, 1100], Some(&secret), &mut rng).unwrap();
        verify(&p, &mut rng).unwrap();
        let e = prove(later, &[1000, 950, 800, 1100], Some(&secret), &mut rng).unwrap_err();
        assert!(matches!(e, EscrowError::OverCap { .. }), "{e}");
    }

    #[test]
    fn a_flipped_byte_fails() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let (p, _) = prove(statement(Cap::Public(1550), 2), &[600, 700], None, &mut rng).unwrap();
        for field in 0..3 {
            let mut q = p.clone();
            let text = match field {
                0 => &mut q.commitments[1],
                1 => &mut q.counts_proof,
                _ => &mut q.margin_proof,
            };
            let mut bytes = base64::engine::general_purpose::STANDARD.decode(&*text).unwrap();
            bytes[5] ^= 0x10;
            *text = b64(&bytes);
            assert!(verify(&q, &mut rng).is_err(), "field {field}");
        }
    }

    /// A "negative" count at one zone (the group order minus 5, say) would hide five items
    /// counted elsewhere: the per-count range proof refuses it.
    #[test]
    fn a_negative_count_is_refused_by_the_range_proofs() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let s = statement(Cap::Public(1000), 2);
        // Honest proof for counts (600, 400) = 1000; then replace zone 1's commitment with one
        // to −5 and zone 0's with one to 605 (sum still 1000, margin proof would hold).
        let (mut p, o) = prove(s, &[600, 400], None, &mut rng).unwrap();
        let pc = PedersenGens::default();
        let r0 = scalar("b0", &o.blindings[0]).unwrap();
        let r1 = scalar("b1", &o.blindings[1]).unwrap();
        p.commitments[0] = b64(pc.commit(Scalar::from(1005u64), r0).compress().as_bytes());
        p.commitments[1] = b64(pc.commit(-Scalar::from(5u64), r1).compress().as_bytes());
        assert!(verify(&p, &mut rng).is_err());
    }

    /// A hostile proof is refused, never a panic nor a huge allocation: too many zones, a
    /// bit size the library cannot take, garbage in every base64 field.
    #[test]
    fn hostile_proofs_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let (p, _) = prove(statement(Cap::Public(1550), 2), &[600, 700], None, &mut rng).unwrap();
        let mut q = p.clone();
        q.statement.zones = (0..MAX_ZONES * 2).map(|i| format!("z{i}")).collect();
        q.commitments = vec![p.commitments[0].clone(); MAX_ZONES * 2];
        assert!(verify(&q, &mut rng).unwrap_err().to_string().contains("zones"));
        let mut q = p.clone();
        q.statement.bits = 12;
        assert!(verify(&q, &mut rng).is_err());
        for garbage in ["", "!!!", "AAAA", &"A".repeat(10_000)] {
            for field in 0..3 {
                let mut q = p.clone();
                match field {
                    0 => q.commitments[0] = garbage.to_owned(),
                    1 => q.counts_proof = garbage.to_owned(),
                    _ => q.margin_proof = garbage.to_owned(),
                }
                assert!(verify(&q, &mut rng).is_err(), "{field} {garbage:.8}");
            }
        }
    }

    #[test]
    fn a_mismatched_opening_names_the_zone() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (p, o) = prove(statement(Cap::Public(1550), 2), &[600, 700], None, &mut rng).unwrap();
        let expected = [("zone-0".to_owned(), 600u64), ("zone-1".to_owned(), 690)].into_iter().collect();
        let m = check_openings(&p, &o, &expected).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].zone.as_str(), m[0].opened, m[0].expected), ("zone-1", Some(700), Some(690)));
        let mut bad = o.clone();
        bad.counts[0] = 601;
        let e = check_openings(&p, &bad, &expected).unwrap_err();
        assert!(e.to_string().contains("zone-0"), "{e}");
    }
}
