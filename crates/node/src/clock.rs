//! The treaty clock a node reads: the system's, or a virtual one that an operator sets.
//!
//! Invariants: time is whole POSIX seconds (GMT); a virtual clock never goes backwards (a
//! request to set it earlier is refused), so receipts stamped from it are ordered as they
//! were made.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

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
}
