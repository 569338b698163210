//! Checkpoint bodies: whatever parses, its text parses back to the same checkpoint.
#![no_main]
use accord_tlog::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = Checkpoint::parse(s) {
            assert_eq!(Checkpoint::parse(&c.text()), Ok(c.clone()));
            assert_eq!(c.text(), s, "checkpoint text is canonical");
        }
    }
});
