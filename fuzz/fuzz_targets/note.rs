//! Signed notes and keys: whatever parses re-encodes to itself, and nothing panics.
#![no_main]
use accord_tlog::{Note, SignerKey, VerifierKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Note::parse(data) {
        let bytes = n.to_bytes();
        assert_eq!(Note::parse(&bytes).as_ref(), Ok(&n), "a parsed note re-parses to itself");
        // Verification against an arbitrary key never panics.
        if let Ok(k) = VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k") {
            let _ = n.verify(&[k]);
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(k) = VerifierKey::parse(s) {
            assert_eq!(VerifierKey::parse(&k.to_string()).map(|k2| k2.to_string()), Ok(k.to_string()));
        }
        if let Ok(k) = SignerKey::parse(s) {
            assert_eq!(SignerKey::parse(&k.to_skey()).map(|k2| k2.to_skey()), Ok(k.to_skey()));
        }
    }
});
