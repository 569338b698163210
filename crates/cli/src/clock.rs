//! The one place the CLI reads the wall clock and the operating system's random generator
//! (checked by the tidy test in `crates/tidy`). Everything else takes the time, the date or
//! the random bytes from here; monotonic timers for progress and measurements are fine anywhere.

use rand::RngCore;

/// Now, in POSIX seconds, from the system clock.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, in milliseconds since the epoch (for unique folder names).
pub fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Today's date (GMT) from the system clock.
pub fn today() -> accord_treaty::Date {
    accord_ledger::Timestamp::from_unix(now_unix()).date()
}

/// `N` bytes from the operating system's random generator (keys, salts, seeds).
pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// A cryptographic generator seeded from the operating system's (for the proofs' blindings and
/// the verifiers' batch checks).
pub fn rng() -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed(random::<32>())
}
