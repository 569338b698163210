//! End-to-end tests of `accord log`: the real binary on real SQLite files. Appends are checked
//! against the treaty, verification finds and locates changed bytes, one writer per folder,
//! proofs verify, and an exported tile tree is accepted by a tlog client that is not accord
//! (`tlog_tiles`' TileHashReader and `signed_note`).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{init_us, root};

fn accord_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut sin = child.stdin.take().unwrap();
        if let Some(b) = stdin {
            sin.write_all(b).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn accord(dir: &Path, args: &[&str]) -> (i32, String, String) {
    accord_in(dir, args, None)
}

fn example(name: &str) -> String {
    root().join("docs/examples").join(name).display().to_string()
}

/// US notifications of the small example history, one per line, their ids made distinct from
/// the examples' (a log refuses an id it holds already).
fn us_lines() -> Vec<String> {
    crate::common::us_history_lines()
        .iter()
        .map(|l| l.replace("\"id\":\"US-", "\"id\":\"US-H"))
        .collect()
}

/// [`us_lines`] with ids tagged `tag` (`US-<tag>…`): the same notifications as new ones.
fn more_lines(tag: &str) -> Vec<String> {
    us_lines()
        .iter()
        .map(|l| l.replace("\"id\":\"US-H", &format!("\"id\":\"US-{tag}")))
        .collect()
}

/// An example notification with another id, written to `dir/name`: a new notification of the
/// same content.
fn renamed(dir: &Path, example_name: &str, id: &str, name: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(example(example_name)).unwrap()).unwrap();
    v["id"] = id.into();
    let path = dir.join(name);
    std::fs::write(&path, v.to_string()).unwrap();
    path.display().to_string()
}

/// A log of the US with the three US examples and the US lines of the small history.
fn make_log(dir: &Path) -> String {
    let vkey = init_us(dir);
    let (code, out, err) = accord(
        dir,
        &[
            "log",
            "append",
            "--data",
            "us",
            &example("conversion.json"),
            &example("deployment.json"),
            &example("six-month-update.json"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("as entry 2"), "{out}");
    let lines = us_lines().join("\n");
    let (code, out, err) = accord_in(
        dir,
        &["log", "append", "--data", "us", "--jsonl", "--format", "json"],
        Some(lines.as_bytes()),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), us_lines().len(), "one acknowledgement per line");
    vkey
}

fn size(dir: &Path) -> u64 {
    let (code, out, err) = accord(dir, &["log", "checkpoint", "--data", "us", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out).unwrap()["size"].as_u64().unwrap()
}

#[test]
fn init_append_verify_prove() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let vkey = make_log(dir);
    assert!(vkey.starts_with("accord.example/us/new-start+"), "{vkey}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(dir.join("us/log.key")).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(accord(dir, &["log", "key", "--data", "us"]).1.trim(), vkey);
    let n = size(dir);
    assert_eq!(n, 3 + us_lines().len() as u64);
    let (code, out, _) = accord(dir, &["log", "verify", "--data", "us", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(n)));
    // The entry is the notification in its envelope.
    let (code, out, _) = accord(dir, &["log", "show", "--data", "us", "--index", "1"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entry"]["format"], "accord-entry/1");
    assert_eq!(v["entry"]["seq"], 1);
    assert_eq!(v["entry"]["notification"]["kind"], "deployment");
    assert_eq!(v["entry"]["salt"].as_str().unwrap().len(), 32);
    // Inclusion: a tlog-proof that verifies with the entry given separately, and with it inside.
    let (code, proof, _) = accord(dir, &["log", "prove", "inclusion", "--data", "us", "--index", "4"]);
    assert_eq!(code, 0);
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\nindex 4\n"), "{proof}");
    std::fs::write(dir.join("p.tlog-proof"), &proof).unwrap();
    let raw = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["log", "show", "--data", "us", "--index", "4", "--raw"])
        .current_dir(dir)
        .output()
        .unwrap()
        .stdout;
    std::fs::write(dir.join("e4"), &raw).unwrap();
    let (code, out, err) = accord(dir, &["log", "verify-proof", "p.tlog-proof", "--key", &vkey, "--entry", "e4"]);
    assert_eq!(code, 0, "{out}{err}");
    // The wrong entry fails (exit 1).
    let mut other = raw.clone();
    let at = other.iter().position(|&b| b == b'"').unwrap();
    other[at + 1] ^= 1;
    std::fs::write(dir.join("e4x"), &other).unwrap();
    assert_eq!(
        accord(dir, &["log", "verify-proof", "p.tlog-proof", "--key", &vkey, "--entry", "e4x"]).0,
        1
    );
    let (code, _, _) = accord(
        dir,
        &[
            "log",
            "prove",
            "inclusion",
            "--data",
            "us",
            "--index",
            "4",
            "--with-entry",
            "--out",
            "p2.tlog-proof",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(accord(dir, &["log", "verify-proof", "p2.tlog-proof", "--data", "us"]).0, 0);
    // Another key: exit 1.
    let (_, other_key, _) = {
        accord(
            dir,
            &[
                "log",
                "init",
                "--data",
                "ru",
                "--origin",
                "accord.example/us/new-start",
                "--party",
                "RU",
            ],
        );
        accord(dir, &["log", "key", "--data", "ru"])
    };
    assert_eq!(
        accord(dir, &["log", "verify-proof", "p2.tlog-proof", "--key", other_key.trim()]).0,
        1
    );
    // Consistency from the first checkpointed size to the latest.
    let (code, out, _) = accord(
        dir,
        &["log", "prove", "consistency", "--data", "us", "--from", "3", "--out", "c.json"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = accord(dir, &["log", "verify-proof", "c.json", "--key", &vkey]);
    assert_eq!(code, 0, "{out}");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("c.json")).unwrap()).unwrap();
    let p0 = doc["proof"][0].as_str().unwrap().to_owned();
    let flipped = if p0.starts_with('A') {
        p0.replacen('A', "B", 1)
    } else {
        format!("A{}", &p0[1..])
    };
    doc["proof"][0] = Value::String(flipped);
    std::fs::write(dir.join("c2.json"), doc.to_string()).unwrap();
    assert_eq!(accord(dir, &["log", "verify-proof", "c2.json", "--key", &vkey]).0, 1);
    // A size with no checkpoint is bad input.
    let (code, _, err) = accord(dir, &["log", "prove", "inclusion", "--data", "us", "--index", "0", "--size", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no checkpoint at size 2"), "{err}");
}

#[test]
fn bad_input_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    make_log(dir);
    let before = size(dir);
    // A notification of the other Party, one that is not a notification, and a missing file:
    // exit 2, naming the file and field, and nothing logged (all or nothing).
    std::fs::write(dir.join("bad.json"), r#"{"id":"US-9","kind":"deploy","party":"US"}"#).unwrap();
    let fresh = renamed(dir, "conversion.json", "US-NEW-1", "fresh.json");
    for (args, needle) in [
        (vec![fresh.clone(), example("missile-launch.json")], "missile-launch.json: party"),
        (vec![fresh.clone(), "bad.json".to_owned()], "bad.json"),
        // An id the log holds already (the example was logged by make_log), even among new ones.
        (vec![fresh.clone(), example("conversion.json")], "is already logged (entry 0)"),
        (vec![fresh.clone(), fresh.clone()], "id US-NEW-1 is already logged"),
        (vec!["nope.json".to_owned()], "nope.json"),
    ] {
        let mut a = vec!["log", "append", "--data", "us"];
        a.extend(args.iter().map(String::as_str));
        let (code, _, err) = accord(dir, &a);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
        assert_eq!(size(dir), before);
    }
    // An entry above 65,535 bytes is refused, naming its size.
    let refs: Vec<String> = (0..800)
        .map(|i| format!("--ref=accord.example/ru/new-start:{i}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
        .collect();
    let mut a = vec!["log".to_owned(), "append".into(), "--data".into(), "us".into(), fresh.clone()];
    a.extend(refs);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, _, err) = accord(dir, &a);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("65,535 bytes"), "{err}");
    assert_eq!(size(dir), before);
    // A bad --ref.
    let (code, _, err) = accord(dir, &["log", "append", "--data", "us", "--ref", "x:1:nothash", &fresh]);
    assert_eq!((code, err.contains("--ref")), (2, true), "{err}");
    // A stream stops at the bad line, naming it; lines before it stay logged and acknowledged.
    let lines = more_lines("S");
    let stream = format!("{}\n{}\n{{\"kind\":\"deploy\"}}\n{}\n", lines[0], lines[1], lines[2]);
    let (code, out, err) = accord_in(dir, &["log", "append", "--data", "us", "--jsonl"], Some(stream.as_bytes()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(size(dir), before + 2);
    // No log, or an existing one: exit 2; the hint fits the folder (log init only makes a
    // log in a new or empty folder).
    let (code, _, err) = accord(dir, &["log", "key", "--data", "nolog"]);
    assert_eq!(code, 2);
    assert!(err.contains("create one with `accord log init --data nolog"), "{err}");
    std::fs::create_dir(dir.join("other")).unwrap();
    std::fs::write(dir.join("other/notes.txt"), "not a log").unwrap();
    let (code, _, err) = accord(dir, &["log", "key", "--data", "other"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds other files") && !err.contains("create one with"), "{err}");
    assert_eq!(
        accord(
            dir,
            &[
                "log",
                "init",
                "--data",
                "us",
                "--origin",
                "accord.example/us/new-start",
                "--party",
                "US"
            ]
        )
        .0,
        2
    );
    assert_eq!(
        accord(dir, &["log", "init", "--data", "x", "--origin", "a b", "--party", "US"]).0,
        2
    );
    assert_eq!(
        accord(dir, &["log", "init", "--data", "x", "--origin", "a.example/x", "--party", "FR"]).0,
        2
    );
    assert!(!dir.join("x/log.db").exists());
    assert_eq!(accord(dir, &["log", "verify", "--data", "us"]).0, 0);
}

#[test]
fn one_writer_per_folder() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    make_log(dir);
    // A stream holds the folder while its standard input is open.
    let mut holder = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["log", "append", "--data", "us", "--jsonl"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = holder.stdin.take().unwrap();
    writeln!(sin, "{}", more_lines("W")[0]).unwrap();
    sin.flush().unwrap();
    // Wait for its acknowledgement, so it certainly holds the lock.
    let mut out = holder.stdout.take().unwrap();
    let mut buf = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    let fresh = renamed(dir, "conversion.json", "US-NEW-2", "fresh.json");
    let (code, _, err) = accord(dir, &["log", "append", "--data", "us", &fresh]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("another process is writing to this log"), "{err}");
    // Readers are not blocked.
    assert_eq!(accord(dir, &["log", "verify", "--data", "us"]).0, 0);
    drop(sin);
    assert!(holder.wait().unwrap().success());
    assert_eq!(accord(dir, &["log", "append", "--data", "us", &fresh]).0, 0);
}

fn flip_sql(db: &Path, sql_get: &str, sql_set: &str, key: i64, byte: usize) {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut v: Vec<u8> = c.query_row(sql_get, [key], |r| r.get(0)).unwrap();
    v[byte] ^= 0x04;
    c.execute(sql_set, rusqlite::params![v, key]).unwrap();
}

#[test]
fn a_changed_byte_is_found_and_located() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    make_log(dir);
    let db = dir.join("us/log.db");
    let check = |needle: &str| {
        let (code, out, err) = accord(dir, &["log", "verify", "--data", "us"]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains(needle), "want {needle:?} in {out}");
    };
    flip_sql(
        &db,
        "SELECT data FROM entries WHERE idx = ?1",
        "UPDATE entries SET data = ?1 WHERE idx = ?2",
        5,
        10,
    );
    check("PROBLEM entry 5:");
    flip_sql(
        &db,
        "SELECT data FROM entries WHERE idx = ?1",
        "UPDATE entries SET data = ?1 WHERE idx = ?2",
        5,
        10,
    );
    // Stored hash 5 is the level-1 hash of leaves 2 and 3 (hashes are kept 64 to a row).
    flip_sql(
        &db,
        "SELECT hashes FROM hash_pages WHERE page = ?1",
        "UPDATE hash_pages SET hashes = ?1 WHERE page = ?2",
        0,
        5 * 32,
    );
    check("level 1, index 1");
    flip_sql(
        &db,
        "SELECT hashes FROM hash_pages WHERE page = ?1",
        "UPDATE hash_pages SET hashes = ?1 WHERE page = ?2",
        0,
        5 * 32,
    );
    flip_sql(
        &db,
        "SELECT note FROM checkpoints WHERE size = ?1",
        "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
        3,
        30,
    );
    check("PROBLEM checkpoint at size 3:");
    flip_sql(
        &db,
        "SELECT note FROM checkpoints WHERE size = ?1",
        "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
        3,
        30,
    );
    assert_eq!(accord(dir, &["log", "verify", "--data", "us"]).0, 0);
    // The writer refuses to sign on top of a damaged tree.
    // The smallest complete subtree on the right edge: the writer reads it to resume.
    let n = size(dir);
    let level = n.trailing_zeros();
    let top = accord_tlog::merkle::stored_index(level, (n >> level) - 1);
    flip_sql(
        &db,
        "SELECT hashes FROM hash_pages WHERE page = ?1",
        "UPDATE hash_pages SET hashes = ?1 WHERE page = ?2",
        (top / accord_logstore::sqlite::HASHES_PER_ROW) as i64,
        (top % accord_logstore::sqlite::HASHES_PER_ROW) as usize * 32,
    );
    let (code, _, err) = accord(dir, &["log", "append", "--data", "us", &example("conversion.json")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("inconsistent"), "{err}");
    // A file that is not a database: reported, exit 1, no panic.
    std::fs::write(&db, vec![0x55u8; 8192]).unwrap();
    let _ = std::fs::remove_file(dir.join("us/log.db-wal"));
    let _ = std::fs::remove_file(dir.join("us/log.db-shm"));
    let (code, out, err) = accord(dir, &["log", "verify", "--data", "us"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn exported_tiles_satisfy_an_independent_client_and_changes_are_located() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let vkey = make_log(dir);
    // Grow past one full tile so that level 1 exists (each line a new notification).
    let lines = us_lines();
    let mut stream = String::new();
    for i in 0..300 {
        stream.push_str(&lines[i % lines.len()].replace("\"id\":\"US-H", &format!("\"id\":\"US-T{i}-")));
        stream.push('\n');
    }
    let (code, _, err) = accord_in(dir, &["log", "append", "--data", "us", "--jsonl"], Some(stream.as_bytes()));
    assert_eq!(code, 0, "{err}");
    let n = size(dir);
    assert!(n > 256);
    let (code, out, err) = accord(dir, &["log", "export-tiles", "--data", "us", "--out", "site"]);
    assert_eq!(code, 0, "{out}{err}");
    let site = dir.join("site");
    assert!(site.join("tile/0/000").exists() && site.join("tile/1/000.p/1").exists() && site.join("tile/entries/000").exists());
    // The independent client: signed_note checks the checkpoint, tlog_tiles checks the tiles.
    let cp_bytes = std::fs::read(site.join("checkpoint")).unwrap();
    let note = signed_note::Note::from_bytes(&cp_bytes).unwrap();
    let verifier = signed_note::StandardVerifier::new(&vkey).unwrap();
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!((cp.origin(), cp.size()), ("accord.example/us/new-start", n));
    let reader = crate::common::Exported(site.clone());
    let thr = tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &reader);
    // Every entry in the bundles is proved included by the client, from the tiles alone.
    let bundle0 = std::fs::read(site.join("tile/entries/000")).unwrap();
    let entries = accord_tlog::tile::parse_bundle("tile/entries/000", &bundle0).unwrap();
    for k in [0u64, 1, 100, 255] {
        let p = tlog_tiles::prove_record(n, k, &thr).unwrap();
        tlog_tiles::check_record(&p, n, *cp.hash(), k, tlog_tiles::record_hash(entries[k as usize])).unwrap();
    }
    let th = tlog_tiles::tree_hash(n, &thr).unwrap();
    assert_eq!(th, *cp.hash());
    // accord checks the export too, and locates a changed byte.
    assert_eq!(accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]).0, 0);
    for (file, needle) in [
        ("tile/entries/000", "tile/0/000"),
        ("tile/0/000", "tile/0/000"),
        ("tile/1/000.p/1", "tile/1/000.p/1"),
    ] {
        let p = site.join(file);
        let orig = std::fs::read(&p).unwrap();
        let mut b = orig.clone();
        let at = 40.min(b.len() - 1);
        b[at] ^= 1;
        std::fs::write(&p, &b).unwrap();
        let (code, out, _) = accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]);
        assert_eq!(code, 1, "{file}: {out}");
        assert!(out.contains(needle), "{file}: {out}");
        std::fs::write(&p, &orig).unwrap();
    }
    // An older partial tile left beside the tree must be a prefix of the current one.
    let partial = std::fs::read_dir(site.join("tile/0"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .find(|n| n.ends_with(".p"))
        .unwrap();
    let current = std::fs::read_dir(site.join("tile/0").join(&partial))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let cur = std::fs::read(&current).unwrap();
    let older = site.join("tile/0").join(&partial).join("2");
    std::fs::write(&older, &cur[..64]).unwrap();
    assert_eq!(accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]).0, 0);
    let mut bad = cur[..64].to_vec();
    bad[1] ^= 1;
    std::fs::write(&older, &bad).unwrap();
    let (code, out, _) = accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(".p/2"), "{out}");
    std::fs::remove_file(&older).unwrap();
    let p = site.join("checkpoint");
    let mut b = cp_bytes.clone();
    b[30] ^= 1;
    std::fs::write(&p, &b).unwrap();
    assert_eq!(accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]).0, 1);
    // --public: no bundles, and the tiles still check.
    let (code, _, _) = accord(dir, &["log", "export-tiles", "--data", "us", "--out", "pub", "--public"]);
    assert_eq!(code, 0);
    assert!(!dir.join("pub/tile/entries").exists());
    assert_eq!(accord(dir, &["log", "verify", "--tiles", "pub", "--key", &vkey]).0, 0);
}

#[test]
fn large_notifications_are_logged_by_hash_and_streams_stop_at_a_bad_line() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    init_us(dir);
    let (code, sim, err) = accord(dir, &["simulate", "--seed", "1"]);
    assert_eq!(code, 0, "{err}");
    let us: Vec<&str> = sim.lines().filter(|l| l.contains("\"party\":\"US\"")).take(400).collect();
    let big = us
        .iter()
        .position(|l| l.len() > 70_000)
        .expect("the simulated initial data is larger than an entry");
    let (code, out, err) = accord_in(
        dir,
        &["log", "append", "--data", "us", "--jsonl", "--format", "json"],
        Some(us.join("\n").as_bytes()),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), us.len());
    // The entry holds the notification's hash; show reads it back from the blobs.
    let (code, shown, _) = accord(dir, &["log", "show", "--data", "us", "--index", &big.to_string()]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&shown).unwrap();
    assert!(v["entry"]["notification"].is_null());
    assert_eq!(v["entry"]["attachments"][0]["name"], "notification.json");
    let original: Value = serde_json::from_str(us[big]).unwrap();
    assert_eq!(v["notification"], original);
    assert_eq!(accord(dir, &["log", "verify", "--data", "us"]).0, 0);
    // A changed blob is found.
    let sha = v["entry"]["attachments"][0]["sha256"].as_str().unwrap().to_owned();
    let blob = dir.join("us/blobs").join(&sha);
    let mut b = std::fs::read(&blob).unwrap();
    b[100] ^= 1;
    std::fs::write(&blob, &b).unwrap();
    let (code, out, _) = accord(dir, &["log", "verify", "--data", "us"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&sha[..16]), "{out}");
    b[100] ^= 1;
    std::fs::write(&blob, &b).unwrap();
    // A stream with a bad line: exit 2 naming it, earlier lines acknowledged, nothing after it.
    let before = size(dir);
    let again = |l: &str| l.replace("\"id\":\"US-", "\"id\":\"US-A");
    let stream = format!("{}\n{}\n{{\"id\":1}}\n{}\n", again(us[1]), again(us[2]), again(us[3]));
    let (code, out, err) = accord_in(dir, &["log", "append", "--data", "us", "--jsonl"], Some(stream.as_bytes()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert_eq!((out.lines().count() as u64, size(dir)), (2, before + 2));
}
