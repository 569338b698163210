//! What the log benchmarks share.

use rand::{RngCore, SeedableRng};

/// `n` random 1 KiB entries, the same for every run of a seed.
pub fn entries(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut e = vec![0u8; 1024];
            rng.fill_bytes(&mut e);
            e
        })
        .collect()
}
