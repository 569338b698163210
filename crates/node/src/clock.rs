//! What a node reads from its surroundings, in the one module that reads them (the tidy test in
//! `crates/tidy` checks that no other module of the node reads the wall clock or the operating
//! system's random generator): the treaty clock (the system's, or a virtual one that an operator
//! sets), the wall clock for sign-in expiry and signature windows, and random bytes
//! ([`Entropy`]: the OS generator, or a seeded one). All three are injected ([`Ambient`] beside
//! the treaty clock), so tests set them instead of waiting.
//!
//! Invariants: time is whole POSIX seconds (GMT); a virtual clock never goes backwards (a
//! request to set it earlier is refused), so receipts stamped from it are ordered as they
//! were made.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// A clock.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// A virtual clock, shared by everything that holds a clone.
    Virtual(Arc<AtomicI64>),
}

impl Clock {
    /// A virtual clock at `unix` seconds.
    pub fn virtual_at(unix: i64) -> Clock {
        Clock::Virtual(Arc::new(AtomicI64::new(unix)))
    }

    /// Now, in POSIX seconds.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
            Clock::Virtual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Sets a virtual clock; refuses the system clock and any move backwards.
    pub fn set(&self, unix: i64) -> Result<i64, String> {
        match self {
            Clock::System => Err("this node runs on the system clock; start it with a virtual clock to set it".into()),
            Clock::Virtual(t) => {
                let mut cur = t.load(Ordering::SeqCst);
                loop {
                    if unix < cur {
                        return Err(format!(
                            "the clock is at {cur}; a virtual clock never goes backwards (asked {unix})"
                        ));
                    }
                    match t.compare_exchange(cur, unix, Ordering::SeqCst, Ordering::SeqCst) {
                        Ok(_) => return Ok(unix),
                        Err(now) => cur = now,
                    }
                }
            }
        }
    }

    /// Whether it can be set.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual(_))
    }
}

/// Where random bytes come from: the operating system's generator, or a seeded ChaCha20
/// generator shared by every clone (tests and reproducible runs; never for real keys).
#[derive(Debug, Clone)]
pub enum Entropy {
    /// The operating system's generator.
    Os,
    /// A seeded generator.
    Seeded(Arc<Mutex<ChaCha20Rng>>),
}

impl Entropy {
    /// A seeded generator.
    pub fn seeded(seed: u64) -> Entropy {
        Entropy::Seeded(Arc::new(Mutex::new(ChaCha20Rng::seed_from_u64(seed))))
    }

    /// Fills `buf`.
    pub fn fill(&self, buf: &mut [u8]) {
        match self {
            Entropy::Os => rand::rngs::OsRng.fill_bytes(buf),
            Entropy::Seeded(r) => match r.lock() {
                Ok(mut r) => r.fill_bytes(buf),
                Err(p) => p.into_inner().fill_bytes(buf),
            },
        }
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }
}

/// The wall clock and the random generator a node uses besides its treaty clock: the wall clock
/// dates tokens and sign-ins and bounds signed requests' `created`; the generator makes tokens,
/// session ids, salts, nonces and commit-reveal secrets.
#[derive(Debug, Clone)]
pub struct Ambient {
    /// The wall clock.
    pub wall: Clock,
    /// Random bytes.
    pub entropy: Entropy,
}

impl Ambient {
    /// The system clock and the OS generator.
    pub fn system() -> Ambient {
        Ambient {
            wall: Clock::System,
            entropy: Entropy::Os,
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for POSIX seconds.
pub fn rfc3339(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_only_moves_forward() {
        let c = Clock::virtual_at(100);
        let d = c.clone();
        assert_eq!(c.set(200), Ok(200));
        assert_eq!(d.now(), 200);
        assert!(c.set(150).is_err());
        assert_eq!(c.now(), 200);
        assert!(Clock::System.set(1).is_err());
        assert_eq!(rfc3339(1_296_864_000), "2011-02-05T00:00:00Z");
    }

    #[test]
    fn seeded_entropy_repeats_and_is_shared_by_clones() {
        let a = Entropy::seeded(7);
        let b = Entropy::seeded(7);
        let x: [u8; 16] = a.bytes();
        assert_eq!(x, b.bytes::<16>());
        let a2 = a.clone();
        assert_ne!(a2.bytes::<16>(), x, "a clone draws from the same stream");
        assert_ne!(Entropy::Os.bytes::<16>(), Entropy::Os.bytes::<16>());
    }
}
