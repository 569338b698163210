//! tlog-proofs and consistency documents: whatever parses re-encodes to itself; verification of
//! arbitrary input never panics.
#![no_main]
use accord_tlog::proof::{ConsistencyDoc, Policy, TlogProof};
use accord_tlog::{leaf_hash, VerifierKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").expect("vkey");
    let policy = Policy {
        origin: "example.com/foo".into(),
        log_keys: vec![key],
        witnesses: vec![],
        quorum: 0,
    };
    if let Ok(p) = TlogProof::parse(data) {
        let bytes = p.to_bytes();
        assert_eq!(TlogProof::parse(&bytes).as_ref(), Ok(&p));
        let _ = p.verify(&leaf_hash(b"x"), &policy);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(doc) = serde_json_parse(s) {
            let _ = doc.verify(&policy);
        }
    }
});

fn serde_json_parse(s: &str) -> Result<ConsistencyDoc, ()> {
    accord_tlog::proof::parse_consistency(s.as_bytes()).map_err(|_| ())
}
