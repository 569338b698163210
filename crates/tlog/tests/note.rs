//! Signed notes, keys, cosignatures and checkpoints against published vectors: the C2SP
//! signed-note example and the Go `golang.org/x/mod/sumdb/note` test keys and signature (facts
//! in shared/reference/transparency-logs.md §4, recomputed there), the Go sumdb tree body.

#![allow(clippy::unwrap_used)]

use accord_tlog::note::{key_id, Checkpoint, Note, NoteError, SignerKey, VerifierKey, ALG_COSIGNATURE_V1, ALG_ED25519};

const C2SP_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const C2SP_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG: &str = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

#[test]
fn c2sp_signed_note_example_verifies() {
    let k = VerifierKey::parse(C2SP_VKEY).unwrap();
    assert_eq!(k.to_string(), C2SP_VKEY);
    assert_eq!(k.id(), 0x530d903a);
    let n = Note::parse(C2SP_NOTE.as_bytes()).unwrap();
    assert_eq!(n.text, "This is an example message.\n");
    assert_eq!(
        n.verify(std::slice::from_ref(&k)).unwrap(),
        vec![("example.com/foo".to_string(), None)]
    );
    assert_eq!(n.to_bytes(), C2SP_NOTE.as_bytes());
    // One changed byte of text or signature: rejected.
    let tampered = C2SP_NOTE.replace("example message", "exemple message");
    assert!(matches!(
        Note::parse(tampered.as_bytes()).unwrap().verify(std::slice::from_ref(&k)),
        Err(NoteError::BadSignature { .. })
    ));
    let tampered = C2SP_NOTE.replace("Uw2QOkn8", "Uw2QOkn9");
    assert!(Note::parse(tampered.as_bytes()).unwrap().verify(&[k]).is_err());
}

#[test]
fn go_sumdb_note_keys_and_signature() {
    let s = SignerKey::parse(GO_SKEY).unwrap();
    assert_eq!(s.to_skey(), GO_SKEY);
    assert_eq!(s.verifier().to_string(), GO_VKEY);
    let mut n = Note::new(GO_TEXT).unwrap();
    n.sign(&s, 0);
    let line = n.signatures[0].line();
    assert_eq!(line, format!("\u{2014} PeterNeumann {GO_SIG}"));
    let v = VerifierKey::parse(GO_VKEY).unwrap();
    let parsed = Note::parse(&n.to_bytes()).unwrap();
    assert_eq!(parsed.verify(&[v]).unwrap().len(), 1);
}

#[test]
fn unknown_signers_are_ignored_but_some_known_one_is_needed() {
    let c2sp = VerifierKey::parse(C2SP_VKEY).unwrap();
    let go = VerifierKey::parse(GO_VKEY).unwrap();
    let n = Note::parse(C2SP_NOTE.as_bytes()).unwrap();
    assert_eq!(n.verify(&[go]), Err(NoteError::UnknownSigners));
    // A second, unknown signature line does not hurt.
    let two = format!("{C2SP_NOTE}\u{2014} someone.example AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    assert_eq!(Note::parse(two.as_bytes()).unwrap().verify(&[c2sp]).unwrap().len(), 1);
}

#[test]
fn cosignatures_round_trip_and_bind_the_timestamp() {
    let log = SignerKey::from_seed("example.org/us/new-start", ALG_ED25519, [7; 32]).unwrap();
    let witness = SignerKey::from_seed("witness.example.org", ALG_COSIGNATURE_V1, [9; 32]).unwrap();
    assert_eq!(
        witness.id(),
        key_id("witness.example.org", ALG_COSIGNATURE_V1, &witness.public_key())
    );
    let cp = Checkpoint {
        origin: "example.org/us/new-start".into(),
        size: 15,
        root: accord_tlog::leaf_hash(b"root"),
        extensions: vec![],
    };
    let mut n = Note::new(&cp.text()).unwrap();
    n.sign(&log, 0);
    n.sign(&witness, 1_767_139_200);
    assert_eq!(n.signatures[1].signature.len(), 72);
    let keys = [log.verifier(), witness.verifier()];
    let parsed = Note::parse(&n.to_bytes()).unwrap();
    let ok = parsed.verify(&keys).unwrap();
    assert_eq!(ok[1], ("witness.example.org".to_string(), Some(1_767_139_200)));
    assert_eq!(Checkpoint::parse(&parsed.text).unwrap(), cp);
    // Changing the timestamp breaks the cosignature.
    let mut bad = parsed.clone();
    bad.signatures[1].signature[7] ^= 1;
    assert!(matches!(bad.verify(&keys), Err(NoteError::BadSignature { .. })));
    // The vkey of a cosigner carries type 0x04.
    assert!(VerifierKey::parse(&witness.verifier().to_string()).unwrap().alg() == ALG_COSIGNATURE_V1);
}

#[test]
fn checkpoint_bodies() {
    let go = Checkpoint::parse("go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n").unwrap();
    assert_eq!(go.size, 123_456_789_012);
    assert_eq!(
        go.text(),
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
    );
    for (bad, why) in [
        ("o\n012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n", "leading zeros"),
        ("o\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n", "decimal"),
        ("o\n1\nshort=\n", "32 bytes"),
        ("o\n1\n", "at least 3"),
        ("o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=", "newline"),
    ] {
        let e = Checkpoint::parse(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn malformed_notes_and_keys_say_what_is_wrong() {
    for (bad, why) in [
        ("no blank line\n\u{2014} a AAAA\n", "no blank line"),
        ("text\n\n- a AAAAAAA=\n", "em dash"),
        ("text\n\n\u{2014} a !!!\n", "not base64"),
        ("text\n\n\u{2014} a AAAA\n", "too short"),
        ("text\n\n", "no signatures"),
        ("te\u{7}xt\n\n\u{2014} a AAAAAAA=\n", "control character"),
    ] {
        let e = Note::parse(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
    assert!(Note::parse(&[0xff, b'\n', b'\n']).unwrap_err().to_string().contains("UTF-8"));
    for (bad, why) in [
        (
            "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "does not match",
        ),
        ("example.com/foo+530d903a", "expected"),
        (
            "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "without spaces",
        ),
        ("example.com/foo+530d903a+AgkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "type 0x02"),
    ] {
        let e = VerifierKey::parse(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

/// The vendored data files: tests/vectors/c2sp-signed-note and tests/vectors/go-sumdb-note.
mod vendored {
    use accord_tlog::{Note, NoteError, SignerKey, VerifierKey};
    use std::path::{Path, PathBuf};

    fn dir(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(p)
    }

    fn keys() -> Vec<(String, String)> {
        let text = std::fs::read_to_string(dir("go-sumdb-note/keys.txt")).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        lines
            .chunks(2)
            .map(|c| {
                (
                    c[0].strip_prefix("vkey ").unwrap().to_owned(),
                    c[1].strip_prefix("skey ").unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn c2sp_example_files() {
        let vkey = std::fs::read_to_string(dir("c2sp-signed-note/example.vkey")).unwrap();
        let k = VerifierKey::parse(vkey.trim_end()).unwrap();
        let note = Note::parse(&std::fs::read(dir("c2sp-signed-note/example.note")).unwrap()).unwrap();
        assert_eq!(note.verify(&[k]).unwrap().len(), 1);
    }

    #[test]
    fn go_keys_signed_and_mixed_notes() {
        let ks = keys();
        assert_eq!(ks.len(), 2);
        let verifiers: Vec<VerifierKey> = ks.iter().map(|(v, _)| VerifierKey::parse(v).unwrap()).collect();
        for (v, s) in &ks {
            assert_eq!(&SignerKey::parse(s).unwrap().verifier().to_string(), v, "skey derives vkey");
        }
        for n in 1..=3 {
            let bytes = std::fs::read(dir(&format!("go-sumdb-note/signed-notes/{n}.note"))).unwrap();
            let note = Note::parse(&bytes).unwrap();
            assert!(!note.verify(&verifiers).unwrap().is_empty(), "signed note {n}");
            assert_eq!(note.to_bytes(), bytes, "signed note {n} re-encodes byte for byte");
            // Our signatures over the same text are the same bytes (Ed25519 is deterministic).
            let mut ours = Note::new(&note.text).unwrap();
            for sig in &note.signatures {
                let (_, s) = ks.iter().find(|(v, _)| v.starts_with(&format!("{}+", sig.name))).unwrap();
                ours.sign(&SignerKey::parse(s).unwrap(), 0);
            }
            assert_eq!(ours.to_bytes(), bytes, "signed note {n} reproduced");
        }
        // Peter's good signature, Enoch's unknown ones ignored (Go: Sigs=[peter]).
        let mixed = Note::parse(&std::fs::read(dir("go-sumdb-note/mixed-notes/1.note")).unwrap()).unwrap();
        let ok = mixed.verify(&verifiers[..1]).unwrap();
        assert_eq!(ok, vec![("PeterNeumann".to_owned(), None)]);
    }

    #[test]
    fn go_bad_notes_and_keys_are_refused() {
        let peter = VerifierKey::parse(&keys()[0].0).unwrap();
        for n in 1..=11 {
            let bytes = std::fs::read(dir(&format!("go-sumdb-note/bad-notes/{n}.note"))).unwrap();
            let result = Note::parse(&bytes).and_then(|note| note.verify(std::slice::from_ref(&peter)).map(|_| ()));
            match n {
                2 => assert!(matches!(result, Err(NoteError::BadSignature { .. })), "bad note {n}: {result:?}"),
                10 | 11 => assert_eq!(result, Err(NoteError::UnknownSigners), "bad note {n}"),
                _ => assert!(matches!(result, Err(NoteError::Malformed(_))), "bad note {n}: {result:?}"),
            }
        }
        for file in ["bad-vkeys.txt", "bad-vkeys-mangled.txt"] {
            let text = std::fs::read_to_string(dir(&format!("go-sumdb-note/{file}"))).unwrap();
            for k in text.lines() {
                assert!(VerifierKey::parse(k).is_err(), "{file}: {k:?} parsed");
            }
        }
        let text = std::fs::read_to_string(dir("go-sumdb-note/bad-skeys-mangled.txt")).unwrap();
        for k in text.lines() {
            assert!(SignerKey::parse(k).is_err(), "bad skey {k:?} parsed");
        }
    }
}

mod flips {
    use accord_tlog::note::{Note, SignerKey, ALG_COSIGNATURE_V1, ALG_ED25519};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any one-bit change to a signature or a cosignature (timestamp included), or to the
        /// signed text, makes verification fail.
        #[test]
        fn any_bit_flip_fails(text in "[a-z0-9 /.]{1,40}(\n[a-z0-9 ]{0,40}){0,3}", seed in any::<[u8; 32]>(), ts in 1u64..(1 << 62), bit in 0usize..(76 * 8), cosig in any::<bool>()) {
            let alg = if cosig { ALG_COSIGNATURE_V1 } else { ALG_ED25519 };
            let key = SignerKey::from_seed("example.org/k", alg, seed).unwrap();
            let mut note = Note::new(&format!("{text}\n")).unwrap();
            note.sign(&key, ts);
            let v = key.verifier();
            prop_assert!(note.verify(std::slice::from_ref(&v)).is_ok());
            let mut bad = note.clone();
            let sig = &mut bad.signatures[0].signature;
            let bit = bit % (sig.len() * 8);
            sig[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(bad.verify(std::slice::from_ref(&v)).is_err());
            let mut changed = note.clone();
            let mut bytes = changed.text.clone().into_bytes();
            let at = bit % (bytes.len() - 1);
            bytes[at] ^= 0x01;
            if let Ok(t) = String::from_utf8(bytes) {
                if t != note.text && Note::new(&t).is_ok() {
                    changed.text = t;
                    prop_assert!(changed.verify(&[v]).is_err());
                }
            }
        }
    }
}
