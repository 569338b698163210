//! tlog-witness add-checkpoint requests and responses: whatever parses re-encodes to itself;
//! the witness checks never panic.
#![no_main]
use accord_tlog::witness::{check_add_checkpoint, parse_response, parse_size_body, AddCheckpoint, KnownLog, Witnessed};
use accord_tlog::{empty_root, VerifierKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = AddCheckpoint::parse(data) {
        assert_eq!(AddCheckpoint::parse(&req.to_bytes()).as_ref(), Ok(&req));
        let key = VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").expect("vkey");
        let logs = [KnownLog {
            origin: "example.com/foo".into(),
            keys: vec![key],
        }];
        let _ = check_add_checkpoint(&req, &logs, Witnessed { size: 3, root: empty_root() });
    }
    let _ = parse_response(data);
    let _ = parse_size_body(data);
});
