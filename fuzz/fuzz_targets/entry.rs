//! Entries: only canonical encodings decode, so a decoded entry re-encodes to the same bytes.
#![no_main]
use accord_tlog::entry::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = decode(data) {
        assert_eq!(encode(&e).as_deref(), Ok(data), "a decoded entry re-encodes byte for byte");
    }
});
