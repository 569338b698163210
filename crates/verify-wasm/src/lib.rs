//! The check a browser runs on an inclusion proof: the same pure code as `accord log
//! verify-proof --policy` (accord-tlog), compiled to `wasm32-unknown-unknown`.
//!
//! Interface (no JavaScript generator: a dozen lines of glue in the node's `web/verify.js`):
//! the page asks for an input buffer of a length ([`input`]), writes the bytes into the
//! module's memory at the address returned, does so for the proof, the policy and 32 random
//! bytes (`crypto.getRandomValues`), calls [`verify`], then reads the JSON result at
//! [`output_ptr`] for [`output_len`] bytes.
//!
//! Invariants: [`check`] is a pure function of its inputs, equal to the CLI's check (`accord
//! log verify-proof --policy`): the inclusion, the policy, and a release's own limit proof
//! (`accord_escrow::release::check`, with the seed for the verifier's batching); it never
//! panics on any input (a malformed proof or policy is a result with `ok: false` and the
//! reason). The exports touch memory through safe Rust only; the one `unsafe` is inside
//! getrandom's `register_custom_getrandom!` (wasm32 only), which names the refusing source.

use accord_tlog::{leaf_hash, policy::TlogPolicy, proof::TlogProof};
use rand::SeedableRng as _;
use std::cell::RefCell;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the proof verified.
    pub ok: bool,
    /// What was checked, or why it failed.
    pub message: String,
    /// The entry's index, when the proof parsed.
    pub index: Option<u64>,
    /// The checkpoint's size, when it met the policy.
    pub size: Option<u64>,
}

impl Outcome {
    fn to_json(&self) -> String {
        serde_json::json!({"ok": self.ok, "message": self.message, "index": self.index, "size": self.size}).to_string()
    }
}

/// Checks a C2SP tlog-proof carrying its entry (`extra`) against a C2SP tlog-policy: the
/// checkpoint is signed by a log of the policy, the quorum of witnesses cosigned it, and the
/// entry is at its index in the tree the checkpoint commits to; then, when the entry is a
/// release carrying a limit proof, that proof (its batching drawn from `seed`).
pub fn check(proof: &[u8], policy: &[u8], seed: [u8; 32]) -> Outcome {
    let fail = |index, message: String| Outcome {
        ok: false,
        message,
        index,
        size: None,
    };
    let policy = match TlogPolicy::parse(policy) {
        Ok(p) => p,
        Err(e) => return fail(None, format!("the policy: {e}")),
    };
    let proof = match TlogProof::parse(proof) {
        Ok(p) => p,
        Err(e) => return fail(None, format!("the proof: {e}")),
    };
    let Some(entry) = &proof.extra else {
        return fail(Some(proof.index), "the proof carries no entry to check".into());
    };
    match proof.verify_policy(&leaf_hash(entry), &policy) {
        Ok(cp) => {
            let included = format!(
                "entry {} is in {} at size {}, and the checkpoint meets the policy",
                proof.index, cp.origin, cp.size
            );
            let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
            let (ok, message) = accord_escrow::release::with_inclusion(included, entry, &mut rng);
            Outcome {
                ok,
                message,
                index: Some(proof.index),
                size: Some(cp.size),
            }
        }
        Err(e) => fail(Some(proof.index), format!("entry {}: {e}", proof.index)),
    }
}

/// getrandom's source on `wasm32-unknown-unknown`: none. Nothing in the check draws from it
/// (the limit proof's verifier takes the seeded generator of [`check`]).
#[cfg(target_arch = "wasm32")]
fn no_os_randomness(_: &mut [u8]) -> Result<(), getrandom::Error> {
    Err(getrandom::Error::UNSUPPORTED)
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod custom_getrandom {
    getrandom::register_custom_getrandom!(super::no_os_randomness);
}

thread_local! {
    static INPUTS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Adds an input buffer of `len` zero bytes and returns its address in the module's memory
/// (the page writes the input there). The first input is the proof, the second the policy.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn input(len: usize) -> *mut u8 {
    INPUTS.with(|i| {
        let mut i = i.borrow_mut();
        i.push(vec![0; len]);
        i.last_mut().map_or(std::ptr::null_mut(), |b| b.as_mut_ptr())
    })
}

/// Checks the three inputs written (the proof, the policy, a 32-byte seed: [`check`]), clears
/// them, and keeps the JSON result for [`output_ptr`] and [`output_len`]; returns 1 when the
/// proof verified, else 0.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn verify() -> u32 {
    let inputs = INPUTS.with(|i| std::mem::take(&mut *i.borrow_mut()));
    let out = match inputs.as_slice() {
        [proof, policy, seed] if seed.len() == 32 => {
            let mut s = [0u8; 32];
            s.copy_from_slice(seed);
            check(proof, policy, s)
        }
        _ => Outcome {
            ok: false,
            message: format!(
                "expected three inputs (the proof, the policy, 32 random bytes), got {}",
                inputs.len()
            ),
            index: None,
            size: None,
        },
    };
    OUTPUT.with(|o| *o.borrow_mut() = out.to_json().into_bytes());
    u32::from(out.ok)
}

/// The address of the last result (JSON, UTF-8).
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn output_ptr() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}

/// The length in bytes of the last result.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with(|o| o.borrow().len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn garbage_is_a_reason_not_a_panic() {
        let o = check(b"not a proof", b"log x\n", [0; 32]);
        assert!(!o.ok);
        assert!(o.message.starts_with("the policy:"), "{}", o.message);
        let three = [input(3), input(2), input(32)];
        assert!(three.iter().all(|p| !p.is_null()));
        assert_eq!(verify(), 0);
        let text = OUTPUT.with(|o| String::from_utf8(o.borrow().clone()).unwrap());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(verify(), 0, "inputs are cleared after a check");
        assert!(output_len() > 0);
    }
}
