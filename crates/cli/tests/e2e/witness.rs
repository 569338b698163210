//! A witness's side of C2SP tlog-witness, end to end with the real binary: a log written by
//! `accord log append`, requests made by `accord log witness-request`, answered by
//! `accord witness add-checkpoint`; cosignatures verify; a stale old size gets 409 with the
//! witness's size; a fork (two different trees of one size, both signed by the log's key) is
//! caught, its evidence kept, and the log frozen.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use accord_tlog::{Note, VerifierKey};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args, b"");
    assert_eq!(code, 0, "{args:?}: {err}");
    String::from_utf8(out).unwrap()
}

fn example(name: &str) -> String {
    root().join("docs/examples").join(name).display().to_string()
}

/// An example with another id, written to `dir/<id>.json`: a new notification (a log refuses
/// an id it holds already).
fn renamed(dir: &Path, name: &str, id: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(example(name)).unwrap()).unwrap();
    v["id"] = id.into();
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, v.to_string()).unwrap();
    path.display().to_string()
}

/// Asks the witness to cosign `log`'s latest checkpoint, from `old`.
fn ask(dir: &Path, log: &str, old: u64) -> (i32, Vec<u8>) {
    let req = ok(dir, &["log", "witness-request", "--data", log, "--old", &old.to_string()]);
    let (code, out, _) = run(dir, &["witness", "add-checkpoint", "--data", "w"], req.as_bytes());
    (code, out)
}

#[test]
fn cosign_refuse_stale_and_catch_a_fork() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let log_key = crate::common::init_us(dir);
    ok(
        dir,
        &[
            "log",
            "append",
            "--data",
            "us",
            &example("deployment.json"),
            &example("conversion.json"),
        ],
    );
    let wkey = ok(dir, &["witness", "init", "--data", "w", "--name", "witness.example.org"]);
    let wkey = VerifierKey::parse(wkey.trim()).unwrap();
    assert_eq!(ok(dir, &["witness", "key", "--data", "w"]).trim(), wkey.to_string());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(dir.join("w/witness.key")).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Unknown log: 404.
    let (code, out) = ask(dir, "us", 0);
    assert_eq!(
        (code, String::from_utf8_lossy(&out).starts_with("HTTP 404")),
        (1, true),
        "{}",
        String::from_utf8_lossy(&out)
    );
    ok(dir, &["witness", "follow", "--data", "w", "--vkey", log_key.trim()]);
    // First cosignature: it verifies on the log's checkpoint, with a timestamp.
    let (code, resp) = ask(dir, "us", 0);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&resp));
    let mut note = Note::parse(ok(dir, &["log", "checkpoint", "--data", "us"]).as_bytes()).unwrap();
    note.signatures.extend(accord_tlog::witness::parse_response(&resp).unwrap());
    let verified = note.verify(std::slice::from_ref(&wkey)).unwrap();
    assert!(verified[0].1.unwrap() > 1_700_000_000, "a real timestamp");
    // The log keeps the cosignature; its checkpoint and its proofs carry it, and a proof then
    // meets a one-witness quorum.
    std::fs::write(dir.join("cosig"), &resp).unwrap();
    let kept = ok(dir, &["log", "cosign", "--data", "us", "--witness", &wkey.to_string(), "cosig"]);
    assert!(kept.contains("kept 1 new"), "{kept}");
    let kept = ok(dir, &["log", "cosign", "--data", "us", "--witness", &wkey.to_string(), "cosig"]);
    assert!(kept.contains("kept 0 new"), "{kept}");
    let cp = ok(dir, &["log", "checkpoint", "--data", "us"]);
    assert!(cp.contains("— witness.example.org "), "{cp}");
    Note::parse(cp.as_bytes()).unwrap().verify(std::slice::from_ref(&wkey)).unwrap();
    let proof = ok(dir, &["log", "prove", "inclusion", "--data", "us", "--index", "1", "--with-entry"]);
    std::fs::write(dir.join("p.tlog-proof"), &proof).unwrap();
    let (code, out, err) = run(
        dir,
        &[
            "log",
            "verify-proof",
            "p.tlog-proof",
            "--data",
            "us",
            "--witness",
            &wkey.to_string(),
            "--quorum",
            "1",
        ],
        b"",
    );
    assert_eq!(code, 0, "{}{err}", String::from_utf8_lossy(&out));
    // The same under a C2SP tlog-policy file, and a quorum the proof does not meet.
    std::fs::write(dir.join("policy"), format!("log {}\nwitness W {wkey}\nquorum W\n", log_key.trim())).unwrap();
    let (code, out, _) = run(dir, &["log", "verify-proof", "p.tlog-proof", "--policy", "policy"], b"");
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    let w2 = ok(dir, &["witness", "init", "--data", "w3", "--name", "witness3.example.org"]);
    std::fs::write(
        dir.join("policy2"),
        format!(
            "log {}\nwitness W {wkey}\nwitness V {}\ngroup both all W V\nquorum both\n",
            log_key.trim(),
            w2.trim()
        ),
    )
    .unwrap();
    let (code, out, _) = run(dir, &["log", "verify-proof", "p.tlog-proof", "--policy", "policy2"], b"");
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).contains("quorum both is not met"));
    // A cosignature by another key, or of another checkpoint, is refused.
    let other = ok(dir, &["witness", "init", "--data", "w2", "--name", "witness2.example.org"]);
    let (code, _, err) = run(dir, &["log", "cosign", "--data", "us", "--witness", other.trim(), "cosig"], b"");
    assert_eq!(code, 2, "{err}");
    let mut bent = resp.clone();
    let at = bent.len() - 10;
    bent[at] = if bent[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(dir.join("bent"), &bent).unwrap();
    let (code, _, err) = run(dir, &["log", "cosign", "--data", "us", "--witness", &wkey.to_string(), "bent"], b"");
    assert_eq!(code, 1, "{err}");
    // The log grows; a request from 0 gets 409 with the size the witness knows.
    ok(dir, &["log", "append", "--data", "us", &example("six-month-update.json")]);
    let (code, out) = ask(dir, "us", 0);
    assert_eq!((code, String::from_utf8_lossy(&out).into_owned()), (1, "HTTP 409\n2\n".to_owned()));
    let (code, _) = ask(dir, "us", 2);
    assert_eq!(code, 0);
    // Asking again for the same tree is answered again (idempotent).
    let (code, _) = ask(dir, "us", 3);
    assert_eq!(code, 0);
    // A fork: the same key signs two different trees of size 4.
    copy_dir(&dir.join("us"), &dir.join("fork"));
    ok(dir, &["log", "append", "--data", "us", &renamed(dir, "deployment.json", "US-F1")]);
    ok(dir, &["log", "append", "--data", "fork", &renamed(dir, "conversion.json", "US-F2")]);
    assert_eq!(ask(dir, "us", 3).0, 0);
    let (code, out) = ask(dir, "fork", 4);
    let out = String::from_utf8_lossy(&out).into_owned();
    assert_eq!(code, 1);
    assert!(out.starts_with("HTTP 422") && out.contains("equivocation"), "{out}");
    // The evidence is kept, the log frozen: nothing more is cosigned.
    let (code, status, _) = run(dir, &["witness", "status", "--data", "w", "--format", "json"], b"");
    assert_eq!(code, 1, "status exits 1 while there is evidence");
    let v: serde_json::Value = serde_json::from_slice(&status).unwrap();
    assert_eq!(v["logs"][0]["frozen"], true);
    assert_eq!(v["evidence"].as_array().unwrap().len(), 1);
    let ev = &v["evidence"][0];
    let a = Note::parse(ev["cosigned"].as_str().unwrap().as_bytes()).unwrap();
    let b = Note::parse(ev["conflicting"].as_str().unwrap().as_bytes()).unwrap();
    let lk = VerifierKey::parse(log_key.trim()).unwrap();
    a.verify(std::slice::from_ref(&lk)).unwrap();
    b.verify(std::slice::from_ref(&lk)).unwrap();
    assert_ne!(a.text, b.text, "two signed, different trees of one size");
    ok(
        dir,
        &["log", "append", "--data", "us", &renamed(dir, "six-month-update.json", "US-F3")],
    );
    let (code, out) = ask(dir, "us", 4);
    assert_eq!(code, 1);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP 403"));
    // Malformed requests are 400s.
    let (code, out, _) = run(dir, &["witness", "add-checkpoint", "--data", "w"], b"old x\n\n");
    assert_eq!((code, String::from_utf8_lossy(&out).starts_with("HTTP 400")), (1, true));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "lock" {
            continue;
        }
        std::fs::copy(e.path(), to.join(name)).unwrap();
    }
}
