//! Tiles, witness exchanges, tlog-proofs and entries against published vectors
//! (transparency-dev/tessera testdata/log, sigsum-rs inclusion vectors, a Sunlight witness
//! cosignature) and against their own round trips, with one-bit mutations refused.

#![allow(clippy::unwrap_used)]

use accord_tlog::entry::{self, EntryRef, Envelope};
use accord_tlog::merkle::{consistency_proof, inclusion_proof, verify_inclusion, Edge};
use accord_tlog::note::{ALG_COSIGNATURE_V1, ALG_ED25519};
use accord_tlog::proof::{ConsistencyDoc, Policy, TlogProof, VerifyError, CONSISTENCY_FORMAT};
use accord_tlog::tile::{check_tiles, parse_bundle, tile_bytes, tiles_for_size, TileError};
use accord_tlog::witness::{check_add_checkpoint, cosign_response, parse_response, AddCheckpoint, KnownLog, Rejection, Witnessed};
use accord_tlog::{empty_root, leaf_hash, Checkpoint, Hash, MemoryTree, Note, SignerKey, VerifierKey};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn vectors(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(p)
}

fn keys(dir: &str) -> HashMap<String, String> {
    std::fs::read_to_string(vectors(dir).join("keys.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn tessera_entries() -> Vec<Vec<u8>> {
    std::fs::read_to_string(vectors("tessera-log/entries.txt"))
        .unwrap()
        .lines()
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

#[test]
fn tessera_log_checkpoints_tiles_and_bundles() {
    let k = keys("tessera-log");
    let vkey = VerifierKey::parse(&k["vkey"]).unwrap();
    let skey = SignerKey::parse(&k["skey"]).unwrap();
    assert_eq!(skey.verifier().to_string(), k["vkey"], "the skey derives the vkey");
    let entries = tessera_entries();
    assert_eq!(entries.len(), 15);
    let dir = vectors("tessera-log");
    let mut mem = MemoryTree::new();
    for size in 0..=15u64 {
        if size > 0 {
            mem.append(leaf_hash(&entries[size as usize - 1]));
        }
        let bytes = std::fs::read(dir.join(format!("checkpoint.{size}"))).unwrap();
        let note = Note::parse(&bytes).unwrap();
        note.verify(std::slice::from_ref(&vkey)).unwrap();
        let cp = Checkpoint::parse(&note.text).unwrap();
        assert_eq!(
            (cp.origin.as_str(), cp.size, cp.root),
            ("example.com/log/testdata", size, mem.root())
        );
        // Ed25519 is deterministic: signing the same body with the same key gives the same bytes.
        let mut ours = Note::new(&cp.text()).unwrap();
        ours.sign(&skey, 0);
        assert_eq!(ours.to_bytes(), bytes, "checkpoint.{size} byte for byte");
        if size == 0 {
            assert_eq!(cp.root, empty_root());
            continue;
        }
        // Our tiles for this size are the published files, byte for byte.
        let tiles = tiles_for_size(size);
        assert_eq!(tiles.len(), 1);
        assert_eq!(tiles[0].path(), format!("tile/0/000.p/{size}"));
        let published = std::fs::read(dir.join(tiles[0].path())).unwrap();
        assert_eq!(tile_bytes(&mem, tiles[0]).unwrap(), published);
        let bundle = std::fs::read(dir.join(tiles[0].entries_path())).unwrap();
        let got: Vec<&[u8]> = parse_bundle("b", &bundle).unwrap();
        assert_eq!(got, entries[..size as usize].iter().map(Vec::as_slice).collect::<Vec<_>>());
        let mut ours = Vec::new();
        for e in &entries[..size as usize] {
            accord_tlog::tile::push_entry(&mut ours, e).unwrap();
        }
        assert_eq!(ours, bundle);
        let mut read = |p: &str| std::fs::read(dir.join(p)).ok();
        check_tiles(size, &cp.root, true, &mut read).unwrap();
    }
    assert_eq!(
        std::fs::read(dir.join("checkpoint")).unwrap(),
        std::fs::read(dir.join("checkpoint.15")).unwrap()
    );
}

/// A tiled tree kept in memory: path → bytes.
fn tiled(size: u64) -> (HashMap<String, Vec<u8>>, Hash) {
    let mut mem = MemoryTree::new();
    let mut entries = Vec::new();
    for i in 0..size {
        let e = format!("entry {i}").into_bytes();
        mem.append(leaf_hash(&e));
        entries.push(e);
    }
    let mut files = HashMap::new();
    for t in tiles_for_size(size) {
        files.insert(t.path(), tile_bytes(&mem, t).unwrap());
        if t.level == 0 {
            let mut b = Vec::new();
            for e in &entries[t.first() as usize..(t.first() + u64::from(t.width)) as usize] {
                accord_tlog::tile::push_entry(&mut b, e).unwrap();
            }
            files.insert(t.entries_path(), b);
        }
    }
    (files, mem.root())
}

#[test]
fn tiled_trees_check_and_any_changed_byte_is_located() {
    for size in [1u64, 255, 256, 257, 513, 70_000] {
        let (files, root) = tiled(size);
        check_tiles(size, &root, true, &mut |p| files.get(p).cloned()).unwrap();
        check_tiles(size, &root, false, &mut |p| files.get(p).cloned()).unwrap();
    }
    let size = 70_000u64;
    let (files, root) = tiled(size);
    let mut paths: Vec<&String> = files.keys().collect();
    paths.sort();
    for (n, path) in paths.iter().enumerate().filter(|(n, _)| n % 37 == 0 || path_is_upper(paths[*n])) {
        let mut changed = files.clone();
        let f = changed.get_mut(*path).unwrap();
        let at = (n * 7919) % f.len();
        f[at] ^= 0x80;
        let err = check_tiles(size, &root, true, &mut |p| changed.get(p).cloned()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(path.as_str()) || matches!(err, TileError::RootMismatch { .. }),
            "{path}: {msg}"
        );
    }
    let mut missing = files.clone();
    missing.remove("tile/1/000");
    assert!(matches!(
        check_tiles(size, &root, true, &mut |p| missing.get(p).cloned()),
        Err(TileError::Missing { path }) if path == "tile/1/000"
    ));
}

fn path_is_upper(p: &str) -> bool {
    !p.starts_with("tile/0/") && !p.starts_with("tile/entries/")
}

#[derive(serde::Deserialize)]
struct Sigsum {
    leaf_hash: String,
    leaf_index: u64,
    tree_size: u64,
    root_hash: String,
    inclusion_path: Vec<String>,
}

fn b64h(s: &str) -> Option<Hash> {
    Some(Hash(B64.decode(s).ok()?.try_into().ok()?))
}

fn sigsum(file: &str) -> Vec<Result<(), ()>> {
    let cases: Vec<Sigsum> = serde_json::from_str(&std::fs::read_to_string(vectors("sigsum").join(file)).unwrap()).unwrap();
    assert!(!cases.is_empty());
    cases
        .iter()
        .map(|c| {
            let (Some(leaf), Some(root)) = (b64h(&c.leaf_hash), b64h(&c.root_hash)) else {
                return Err(());
            };
            let path: Option<Vec<Hash>> = c.inclusion_path.iter().map(|p| b64h(p)).collect();
            let path = path.ok_or(())?;
            verify_inclusion(c.leaf_index, c.tree_size, &leaf, &path, &root).map_err(|_| ())
        })
        .collect()
}

#[test]
fn sigsum_inclusion_vectors() {
    let valid = sigsum("inclusion-valid.json");
    assert!(valid.iter().all(Result::is_ok), "{valid:?}");
    let invalid = sigsum("inclusion-invalid.json");
    assert!(invalid.iter().all(Result::is_err), "{invalid:?}");
}

#[test]
fn sunlight_witness_cosignature() {
    let k = keys("sunlight");
    let witness = VerifierKey::parse(&k["vkey"]).unwrap();
    assert_eq!(witness.alg(), ALG_COSIGNATURE_V1);
    let note = Note::parse(&std::fs::read(vectors("sunlight/checkpoint")).unwrap()).unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!((cp.origin.as_str(), cp.size), ("rome2026h1.example.org", 300));
    // The log's own signature is an RFC 6962 ECDSA one (type 0x05), unknown here and ignored.
    let verified = note.verify(std::slice::from_ref(&witness)).unwrap();
    assert_eq!(
        verified,
        vec![("witness.example.org".to_owned(), Some(k["timestamp"].parse().unwrap()))]
    );
    // One flipped bit in the cosignature is refused.
    let mut bad = note.clone();
    let sig = bad.signatures.iter_mut().find(|s| s.name == "witness.example.org").unwrap();
    sig.signature[20] ^= 1;
    assert!(bad.verify(&[witness]).is_err());
}

fn log_key() -> SignerKey {
    SignerKey::from_seed("example.org/us/new-start", ALG_ED25519, [3; 32]).unwrap()
}

fn signed(mem: &MemoryTree, key: &SignerKey) -> Note {
    let cp = Checkpoint {
        origin: key.name().to_owned(),
        size: mem.size(),
        root: mem.root(),
        extensions: vec![],
    };
    let mut n = Note::new(&cp.text()).unwrap();
    n.sign(key, 0);
    n
}

#[test]
fn witness_add_checkpoint_statuses() {
    let key = log_key();
    let logs = [KnownLog {
        origin: key.name().to_owned(),
        keys: vec![key.verifier()],
    }];
    let mut mem = MemoryTree::new();
    for i in 0..10u8 {
        mem.append(leaf_hash(&[i]));
    }
    let old = Witnessed {
        size: 10,
        root: mem.root(),
    };
    let cp10 = signed(&mem, &key);
    for i in 10..25u8 {
        mem.append(leaf_hash(&[i]));
    }
    let cp25 = signed(&mem, &key);
    let proof = consistency_proof(&mem, 10, 25).unwrap();
    let req = AddCheckpoint {
        old: 10,
        proof: proof.clone(),
        checkpoint: cp25.clone(),
    };
    // Round trip of the request body.
    let body = req.to_bytes();
    assert!(body.starts_with(b"old 10\n"));
    assert_eq!(AddCheckpoint::parse(&body).unwrap(), req);
    assert_eq!(check_add_checkpoint(&req, &logs, old).unwrap().size, 25);
    // 409 with the witness's size; 400 for old > size; 404; 403; 422.
    let stale = AddCheckpoint { old: 5, ..req.clone() };
    let e = check_add_checkpoint(&stale, &logs, old).unwrap_err();
    assert_eq!((e.status(), e.body()), (409, "10\n".to_owned()));
    let ahead = AddCheckpoint {
        old: 30,
        proof: vec![],
        checkpoint: cp25.clone(),
    };
    assert_eq!(check_add_checkpoint(&ahead, &logs, old).unwrap_err().status(), 400);
    assert_eq!(check_add_checkpoint(&req, &[], old).unwrap_err().status(), 404);
    let other = SignerKey::from_seed("example.org/us/new-start", ALG_ED25519, [4; 32]).unwrap();
    let forged = AddCheckpoint {
        checkpoint: signed(&mem, &other),
        ..req.clone()
    };
    assert_eq!(check_add_checkpoint(&forged, &logs, old).unwrap_err().status(), 403);
    let mut bent = req.clone();
    bent.proof[0].0[0] ^= 1;
    assert_eq!(check_add_checkpoint(&bent, &logs, old).unwrap_err().status(), 422);
    let from_zero = AddCheckpoint {
        old: 0,
        proof: proof.clone(),
        checkpoint: cp25.clone(),
    };
    let zero = Witnessed {
        size: 0,
        root: empty_root(),
    };
    assert_eq!(check_add_checkpoint(&from_zero, &logs, zero).unwrap_err().status(), 422);
    let same = AddCheckpoint {
        old: 10,
        proof: vec![],
        checkpoint: cp10.clone(),
    };
    assert!(check_add_checkpoint(&same, &logs, old).is_ok());
    let fork = Witnessed {
        size: 10,
        root: leaf_hash(b"fork"),
    };
    assert_eq!(check_add_checkpoint(&same, &logs, fork).unwrap_err().status(), 422);
    // Malformed bodies are 400s that say what is wrong.
    for (body, what) in [
        (&b"old x\n\n"[..], "old"),
        (b"old 01\n\n", "old"),
        (b"old 1\nnot-base64!\n\n", "proof line 1"),
        (b"old 1\n", "blank line"),
    ] {
        match AddCheckpoint::parse(body) {
            Err(Rejection::BadRequest(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    // The witness's response is cosignature lines that verify on the checkpoint.
    let w = SignerKey::from_seed("witness.example.org", ALG_COSIGNATURE_V1, [9; 32]).unwrap();
    assert!(cosign_response(&cp25, &w, 0).is_err(), "a zero timestamp");
    assert!(cosign_response(&cp25, &key, 5).is_err(), "not a cosignature key");
    let resp = cosign_response(&cp25, &w, 1_767_139_200).unwrap();
    let sigs = parse_response(&resp).unwrap();
    let mut cosigned = cp25.clone();
    cosigned.signatures.extend(sigs);
    let ok = cosigned.verify(&[w.verifier()]).unwrap();
    assert_eq!(ok, vec![("witness.example.org".to_owned(), Some(1_767_139_200))]);
    assert!(parse_response(b"").is_err());
    assert_eq!(accord_tlog::witness::parse_size_body(b"10\n"), Ok(10));
}

#[test]
fn tlog_proof_round_trip_verification_and_mutations() {
    let key = log_key();
    let w = SignerKey::from_seed("witness.example.org", ALG_COSIGNATURE_V1, [9; 32]).unwrap();
    let mut mem = MemoryTree::new();
    let entries: Vec<Vec<u8>> = (0..37u32).map(|i| format!("entry {i}").into_bytes()).collect();
    for e in &entries {
        mem.append(leaf_hash(e));
    }
    let mut cp = signed(&mem, &key);
    cp.sign(&w, 1_767_139_200);
    let policy = Policy {
        origin: key.name().to_owned(),
        log_keys: vec![key.verifier()],
        witnesses: vec![w.verifier()],
        quorum: 1,
    };
    for index in [0u64, 1, 17, 36] {
        let proof = TlogProof {
            extra: (index == 17).then(|| entries[17].clone()),
            index,
            path: inclusion_proof(&mem, index, 37).unwrap(),
            checkpoint: cp.clone(),
        };
        let bytes = proof.to_bytes();
        assert!(bytes.starts_with(b"c2sp.org/tlog-proof@v1\n"));
        let parsed = TlogProof::parse(&bytes).unwrap();
        assert_eq!(parsed, proof);
        let leaf = leaf_hash(&entries[index as usize]);
        assert_eq!(parsed.verify(&leaf, &policy).unwrap().size, 37);
        // Wrong leaf, wrong index, a flipped path bit, a flipped signature bit: all refused.
        assert!(parsed.verify(&leaf_hash(b"other"), &policy).is_err());
        let mut p = parsed.clone();
        p.index = (index + 1) % 37;
        assert!(p.verify(&leaf, &policy).is_err());
        if !p.path.is_empty() {
            let mut p = parsed.clone();
            p.path[0].0[5] ^= 0x10;
            assert!(matches!(p.verify(&leaf, &policy), Err(VerifyError::Proof(_))));
        }
        let mut p = parsed.clone();
        p.checkpoint.signatures[0].signature[3] ^= 1;
        assert!(matches!(p.verify(&leaf, &policy), Err(VerifyError::Signature(_))));
    }
    // A quorum of two known witnesses is not met by one.
    let proof = TlogProof {
        extra: None,
        index: 3,
        path: inclusion_proof(&mem, 3, 37).unwrap(),
        checkpoint: cp.clone(),
    };
    let w2 = SignerKey::from_seed("witness2.example.org", ALG_COSIGNATURE_V1, [8; 32]).unwrap();
    let strict = Policy {
        witnesses: vec![w.verifier(), w2.verifier()],
        quorum: 2,
        ..policy.clone()
    };
    assert!(matches!(
        proof.verify(&leaf_hash(&entries[3]), &strict),
        Err(VerifyError::Quorum { got: 1, want: 2 })
    ));
    // Malformed proofs say what is wrong.
    for (text, what) in [
        ("c2sp.org/tlog-proof@v2\nindex 0\n\n", "line 1"),
        ("c2sp.org/tlog-proof@v1\nindex 01\n\n", "index"),
        ("c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n", "extra"),
        ("c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n", "32-byte"),
        ("c2sp.org/tlog-proof@v1\nindex 0\n", "blank line"),
    ] {
        match TlogProof::parse(text.as_bytes()) {
            Err(VerifyError::Malformed(m)) => assert!(m.contains(what), "{text:?}: {m}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn consistency_documents_verify_and_refuse_mutations() {
    let key = log_key();
    let policy = Policy {
        origin: key.name().to_owned(),
        log_keys: vec![key.verifier()],
        witnesses: vec![],
        quorum: 0,
    };
    let mut mem = MemoryTree::new();
    for i in 0..9u8 {
        mem.append(leaf_hash(&[i]));
    }
    let old = signed(&mem, &key);
    for i in 9..40u8 {
        mem.append(leaf_hash(&[i]));
    }
    let new = signed(&mem, &key);
    let doc = ConsistencyDoc {
        format: CONSISTENCY_FORMAT.into(),
        from: String::from_utf8(old.to_bytes()).unwrap(),
        to: String::from_utf8(new.to_bytes()).unwrap(),
        proof: consistency_proof(&mem, 9, 40).unwrap().iter().map(|h| B64.encode(h.0)).collect(),
    };
    let (a, b) = doc.verify(&policy).unwrap();
    assert_eq!((a.size, b.size), (9, 40));
    let mut bad = doc.clone();
    let mut raw = B64.decode(&bad.proof[1]).unwrap();
    raw[0] ^= 1;
    bad.proof[1] = B64.encode(raw);
    assert!(bad.verify(&policy).is_err());
    let swapped = ConsistencyDoc {
        from: doc.to.clone(),
        to: doc.from.clone(),
        ..doc.clone()
    };
    assert!(swapped.verify(&policy).is_err());
}

/// Golden entries: the exact canonical bytes and leaf hashes. A change here changes every
/// party's log format and must come with a new format version.
#[test]
fn entry_golden_vectors() {
    let mut e = Envelope::new(
        "US",
        17,
        [0x5a; 16],
        serde_json::json!({"kind": "deploy", "party": "US", "id": "US-000018", "date": "2011-03-01", "body": {"item": "US-ICBM-0001", "facility": "US-A"}}),
    );
    e.refs.push(EntryRef {
        origin: "accord.example/ru/new-start".into(),
        index: 4,
        leaf_hash: leaf_hash(b"ru entry 4"),
    });
    let bytes = entry::encode(&e).unwrap();
    let want = concat!(
        r#"{"attachments":[],"format":"accord-entry/1","notification":{"body":{"facility":"US-A","item":"US-ICBM-0001"},"#,
        r#""date":"2011-03-01","id":"US-000018","kind":"deploy","party":"US"},"party":"US","refs":[{"index":4,"#,
        r#""leaf_hash":"/xKGynhh5I3m3zjlnb/qw5DQTPRd9qT3FjDR7qkqx9Y=","origin":"accord.example/ru/new-start"}],"#,
        r#""salt":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","seq":17}"#
    );
    assert_eq!(std::str::from_utf8(&bytes).unwrap(), want);
    // Computed independently (Python: json.dumps(sort_keys=True, separators=(",", ":")), SHA-256 of 0x00 || bytes).
    assert_eq!(B64.encode(leaf_hash(&bytes).0), "+B/S6WXAja2WwdgSD2tISfsqbqAFQfNH9JLWVWUotiM=");
    assert_eq!(
        B64.encode(leaf_hash(b"ru entry 4").0),
        "/xKGynhh5I3m3zjlnb/qw5DQTPRd9qT3FjDR7qkqx9Y="
    );
    assert_eq!(entry::decode(&bytes).unwrap(), e);
    // Non-ASCII and escapes are canonical too (RFC 8785 §3.2.2.2).
    let u = Envelope::new("RU", 0, [0; 16], serde_json::json!({"note": "Договор\n\"é\""}));
    let ub = entry::encode(&u).unwrap();
    assert!(std::str::from_utf8(&ub).unwrap().contains(r#""note":"Договор\n\"é\"""#));
    // Two salts, same notification: different leaf hashes (the public tiles reveal nothing).
    let mut e2 = e.clone();
    e2.salt = [0xa5; 16];
    assert_ne!(leaf_hash(&entry::encode(&e2).unwrap()), leaf_hash(&bytes));
}

#[test]
fn edge_matches_tessera_roots() {
    let mut edge = Edge::new();
    let mut out = Vec::new();
    for e in tessera_entries() {
        edge.push(leaf_hash(&e), &mut out);
    }
    assert_eq!(B64.encode(edge.root().0), "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=");
}

#[test]
fn tlog_policy_quorums_and_syntax() {
    use accord_tlog::policy::{PolicyError, TlogPolicy};
    let log = log_key();
    let w: Vec<SignerKey> = (0..6u8)
        .map(|i| SignerKey::from_seed(&format!("w{i}.example"), ALG_COSIGNATURE_V1, [20 + i; 32]).unwrap())
        .collect();
    // The spec's example: 2 of the X witnesses and any of the Y witnesses.
    let text = format!(
        "# treaty log policy\nlog {}\n\nwitness X1 {}\nwitness X2 {}\nwitness X3 {} https://x3.example/\ngroup X-witnesses 2 X1 X2 X3\n\n\twitness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
        log.verifier(),
        w[0].verifier(),
        w[1].verifier(),
        w[2].verifier(),
        w[3].verifier(),
        w[4].verifier(),
        w[5].verifier()
    );
    let policy = TlogPolicy::parse(text.as_bytes()).unwrap();
    let mut mem = MemoryTree::new();
    mem.append(leaf_hash(b"e"));
    let base = signed(&mem, &log);
    let with = |idx: &[usize]| {
        let mut n = base.clone();
        for &i in idx {
            n.sign(&w[i], 1_767_139_200);
        }
        n
    };
    assert!(policy.check(&with(&[0, 1, 3])).is_ok(), "X1 X2 and Y1");
    assert!(matches!(policy.check(&with(&[0, 1])), Err(PolicyError::Quorum { .. })), "no Y");
    assert!(
        matches!(policy.check(&with(&[0, 3, 4, 5])), Err(PolicyError::Quorum { .. })),
        "one X"
    );
    // A copied line does not count twice.
    let mut twice = with(&[0, 3]);
    let line = twice.signatures[1].clone();
    twice.signatures.push(line);
    assert!(policy.check(&twice).is_err());
    // A bad cosignature by a listed witness rejects the note.
    let mut bad = with(&[0, 1, 3]);
    bad.signatures[2].signature[20] ^= 1;
    assert!(matches!(policy.check(&bad), Err(PolicyError::Note(_))));
    // Another log's checkpoint is refused.
    let other = SignerKey::from_seed("example.org/ru/new-start", ALG_ED25519, [5; 32]).unwrap();
    assert!(matches!(policy.check(&signed(&mem, &other)), Err(PolicyError::Log(_))));
    // quorum none needs only the log.
    let none = TlogPolicy::parse(format!("log {}\nquorum none\n", log.verifier()).as_bytes()).unwrap();
    assert!(none.check(&base).is_ok());
    // Syntax errors name their line.
    let lk = log.verifier().to_string();
    let w0 = w[0].verifier().to_string();
    for (text, line, what) in [
        (format!("log {lk}\n"), 0, "no quorum"),
        (format!("log {lk}\nquorum X\n"), 2, "not defined"),
        (format!("log {lk}\nwitness A {w0}\nwitness B {w0}\nquorum A\n"), 3, "duplicate"),
        (format!("witness A {w0}\ngroup G 2 A\nquorum G\n"), 2, "threshold"),
        (format!("witness A {w0}\ngroup G any A A\nquorum G\n"), 2, "twice"),
        (format!("witness A {w0}\nquorum A\nquorum A\n"), 3, "second quorum"),
        (format!("witness A {lk}\nquorum A\n"), 1, "cosignature"),
        (format!("witness none {w0}\nquorum none\n"), 1, "taken"),
        ("quorum none\nfrobnicate x\n".to_owned(), 2, "not a policy line"),
        ("quorum none\n\u{1}\n".to_owned(), 2, "control"),
    ] {
        match TlogPolicy::parse(text.as_bytes()) {
            Err(PolicyError::Syntax { line: l, why }) => {
                assert_eq!(l, line, "{text:?}: {why}");
                assert!(why.contains(what), "{text:?}: {why}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}
