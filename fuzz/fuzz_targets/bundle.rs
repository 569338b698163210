//! Offline bundles: splitting and reading arbitrary bytes never panics, and whatever splits
//! has a manifest first and parts that lie inside the input.
#![no_main]
use accord_tlog::bundle::{read, split};
use accord_tlog::VerifierKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parts) = split(data, 1 << 16) {
        assert_eq!(parts[0].0, "manifest");
        let total: usize = parts.iter().map(|(_, b)| b.len()).sum();
        assert!(total <= data.len());
    }
    if let Ok(k) = VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k") {
        let _ = read(data, &k, &k);
    }
});
