//! Verifiable random sampling: which committed leaves an inspection opens, drawn from both
//! Parties' revealed secrets so that neither could steer it.
//!
//! The procedure (`accord-sample/1`), written out here rather than left to a library whose
//! algorithm may change between versions:
//!
//! ```text
//! seed   = SHA-256("accord-sample/1 seed" 0x00 reveal_a reveal_b root u64be(size) context)
//! block  = SHA-256("accord-sample/1 draw" 0x00 seed u64be(j))     for j = 0, 1, 2, …
//! x      = u64be(block[0..8])
//! accept x when x < n · ⌊(2^64 − 1) / n⌋ (rejection sampling: no modulo bias), index = x mod n
//! skip an index already drawn; stop after k distinct indexes
//! ```
//!
//! A draw of k' > k leaves begins with the draw of k: the inspectors open the drawn leaves in
//! order and, when one opens as padding, take the next, until k items are opened; padding
//! therefore does not thin the sample.
//!
//! Invariants: the same inputs give the same indexes on every platform (the tests pin vectors);
//! the indexes are distinct and below `n`; `k > n` is refused. A Party that learns the other's
//! reveal before revealing its own can only refuse (a finding), not choose: both commit to
//! their secrets first (the commit–reveal accord's inspections already use), and the seed binds
//! the inventory's root and size, so the sample cannot be drawn before the commitment is fixed.

use accord_tlog::merkle::Hash;
use sha2::{Digest, Sha256};

use crate::error::EscrowError;

/// The sampling seed from both Parties' revealed secrets, bound to the committed inventory
/// (root and size) and to a context string (the inspection's identifier, say).
pub fn seed(reveal_a: &[u8; 32], reveal_b: &[u8; 32], root: &Hash, size: u64, context: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"accord-sample/1 seed\0");
    h.update(reveal_a);
    h.update(reveal_b);
    h.update(root.0);
    h.update(size.to_be_bytes());
    h.update(context.as_bytes());
    h.finalize().into()
}

/// The most leaves one draw may ask for (an inspection opens tens; a hostile size or `k` must
/// not make the sampler allocate without bound).
pub const MAX_DRAW: u64 = 1 << 20;

/// `k` distinct indexes below `n`, in the order drawn.
pub fn draw(seed: &[u8; 32], n: u64, k: u64) -> Result<Vec<u64>, EscrowError> {
    if k > n {
        return Err(EscrowError::Sample(format!("cannot draw {k} distinct leaves from {n}")));
    }
    if k > MAX_DRAW {
        return Err(EscrowError::Sample(format!("{k} leaves: one draw takes at most {MAX_DRAW}")));
    }
    if k == 0 {
        return Ok(Vec::new());
    }
    let zone = n * (u64::MAX / n); // values below this are accepted: n · ⌊(2^64 − 1) / n⌋
    let mut out: Vec<u64> = Vec::with_capacity(k as usize);
    let mut seen = std::collections::HashSet::with_capacity(k as usize);
    let mut j: u64 = 0;
    while (out.len() as u64) < k {
        let mut h = Sha256::new();
        h.update(b"accord-sample/1 draw\0");
        h.update(seed);
        h.update(j.to_be_bytes());
        let block: [u8; 32] = h.finalize().into();
        j += 1;
        let mut first = [0u8; 8];
        first.copy_from_slice(&block[..8]);
        let x = u64::from_be_bytes(first);
        if x >= zone {
            continue;
        }
        let index = x % n;
        if seen.insert(index) {
            out.push(index);
        }
    }
    Ok(out)
}

/// The probability that `k` leaves drawn without replacement from `n` include at least one of
/// `bad`: 1 − C(n−bad, k) / C(n, k). The rate a misdeclaration is caught at, per inspection.
pub fn detection_probability(n: u64, bad: u64, k: u64) -> f64 {
    if bad == 0 || k == 0 {
        return 0.0;
    }
    if k > n.saturating_sub(bad) {
        return 1.0;
    }
    // Π_{i=0}^{k−1} (n − bad − i) / (n − i)
    let mut miss = 1.0f64;
    for i in 0..k {
        miss *= (n - bad - i) as f64 / (n - i) as f64;
    }
    1.0 - miss
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned vectors, computed from the procedure as written in the module documentation by an
    /// independent implementation (Python's hashlib, December 2026): any change to the
    /// procedure fails here.
    #[test]
    fn vectors() {
        let s = seed(&[1; 32], &[2; 32], &Hash([3; 32]), 4000, "I7");
        assert_eq!(s.iter().map(|b| format!("{b:02x}")).collect::<String>(), VECTOR_SEED, "seed");
        assert_eq!(draw(&s, 4000, 10).unwrap(), VECTOR_DRAW);
        assert_eq!(draw(&[0; 32], 1, 1).unwrap(), [0]);
        assert_eq!(draw(&[0; 32], 5, 5).unwrap().len(), 5);
    }

    const VECTOR_SEED: &str = "0989ba3eac1e8536569b062188bfb30fda1ffe5cbde7e383ed9aeeaa61747221";
    const VECTOR_DRAW: [u64; 10] = [28, 427, 3895, 1933, 2543, 2631, 3397, 161, 596, 3899];

    /// A larger draw begins with the smaller one: inspectors who open the drawn leaves in order
    /// and skip the padding leaves until k items are opened all follow one sequence.
    #[test]
    fn a_larger_draw_extends_a_smaller_one() {
        let s = [4u8; 32];
        let small = draw(&s, 5000, 10).unwrap();
        let large = draw(&s, 5000, 40).unwrap();
        assert_eq!(&large[..10], &small[..]);
    }

    #[test]
    fn draws_are_distinct_in_range_and_refuse_too_many() {
        for n in [1u64, 2, 3, 7, 100, 4000] {
            for k in [0, 1, n / 2, n] {
                let d = draw(&[9; 32], n, k).unwrap();
                assert_eq!(d.len() as u64, k);
                let set: std::collections::BTreeSet<u64> = d.iter().copied().collect();
                assert_eq!(set.len() as u64, k);
                assert!(d.iter().all(|&i| i < n));
            }
        }
        assert!(draw(&[9; 32], 3, 4).is_err());
        assert!(draw(&[9; 32], u64::MAX, MAX_DRAW + 1).is_err(), "bounded");
        assert!(draw(&[9; 32], 0, 1).is_err());
    }

    #[test]
    fn the_hypergeometric_rate_matches_the_published_table() {
        // shared reference: N 4,000, 40 bad: k 10 → 0.096, 30 → 0.261, 100 → 0.639, 300 → 0.956.
        for (k, want) in [(10, 0.096), (30, 0.261), (100, 0.639), (300, 0.956)] {
            let p = detection_probability(4000, 40, k);
            assert!((p - want).abs() < 0.0015, "k {k}: {p}");
        }
        assert_eq!(detection_probability(10, 0, 5), 0.0);
        assert_eq!(detection_probability(10, 6, 5), 1.0);
    }
}
