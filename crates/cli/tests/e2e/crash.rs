//! Crash safety: `kill -9` at random moments during a stream of appends, then reopen and verify.
//! No acknowledged entry may be lost, and every stored checkpoint must verify and be consistent
//! with every other. Runs 10 times by default (CI); `scripts/crash-test N` runs it N times.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rand::{Rng, SeedableRng};
use serde_json::Value;

fn accord(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[derive(Debug, Clone)]
struct Ack {
    index: u64,
    leaf_hash: String,
    size: u64,
    root: String,
}

#[test]
fn kill_9_during_appends_loses_nothing_acknowledged() {
    let runs: usize = std::env::var("ACCORD_CRASH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    crate::common::init_us(dir);
    let lines: Vec<String> = crate::common::us_history_lines().iter().map(|l| format!("{l}\n")).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(std::env::var("ACCORD_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1));
    let mut all_acks: Vec<Ack> = Vec::new();
    let mut per_run = Vec::new();
    for run in 0..runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["log", "append", "--data", "us", "--jsonl", "--format", "json"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut sin = child.stdin.take().unwrap();
        let feed = lines.clone();
        let writer = std::thread::spawn(move || {
            // Write until the process dies (broken pipe); each line a new notification (a log
            // refuses an id it holds).
            for i in 0.. {
                let line = feed[i % feed.len()].replace("\"id\":\"US-", &format!("\"id\":\"US-R{run}-{i}-"));
                if sin.write_all(line.as_bytes()).is_err() {
                    break;
                }
            }
        });
        let acks = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&acks);
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).unwrap();
                sink.lock().unwrap().push(Ack {
                    index: v["index"].as_u64().unwrap(),
                    leaf_hash: v["leaf_hash"].as_str().unwrap().to_owned(),
                    size: v["size"].as_u64().unwrap(),
                    root: v["root"].as_str().unwrap().to_owned(),
                });
            }
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        writer.join().unwrap();
        reader.join().unwrap();
        let acks = acks.lock().unwrap().clone();
        per_run.push(acks.len());
        // Reopen and verify everything.
        let (code, out) = accord(dir, &["log", "verify", "--data", "us", "--format", "json"]);
        assert_eq!(code, 0, "run {run}: {out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let size = v["size"].as_u64().unwrap();
        // Every acknowledged entry is there, with the acknowledged leaf hash, under a stored
        // checkpoint that covers it.
        let db = rusqlite::Connection::open_with_flags(dir.join("us/log.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        for a in &acks {
            assert!(a.index < size && a.size <= size, "run {run}: ack {a:?} beyond size {size}");
            let data: Vec<u8> = db
                .query_row("SELECT data FROM entries WHERE idx = ?1", [a.index as i64], |r| r.get(0))
                .unwrap_or_else(|e| panic!("run {run}: acknowledged entry {} lost: {e}", a.index));
            let h = accord_tlog::leaf_hash(&data);
            assert_eq!(
                base64::engine::general_purpose::STANDARD.encode(h.0),
                a.leaf_hash,
                "run {run}: entry {}",
                a.index
            );
            let cp: Option<Vec<u8>> = db
                .query_row("SELECT note FROM checkpoints WHERE size = ?1", [a.size as i64], |r| r.get(0))
                .ok();
            let cp = cp.unwrap_or_else(|| panic!("run {run}: the checkpoint of size {} in an acknowledgement is not stored", a.size));
            // The checkpoint handed out is the one stored: no second, different tree at that size.
            let text = String::from_utf8(cp).unwrap();
            let root = text.lines().nth(2).unwrap();
            assert_eq!(
                root, a.root,
                "run {run}: the acknowledged checkpoint at size {} differs from the stored one",
                a.size
            );
        }
        all_acks.extend(acks);
    }
    let total: usize = per_run.iter().sum();
    eprintln!(
        "crash test: {runs} kill -9 runs, {total} acknowledged entries, all present; per run min {} max {}",
        per_run.iter().min().unwrap_or(&0),
        per_run.iter().max().unwrap_or(&0)
    );
    assert!(total > 0, "no appends were acknowledged at all: the test proved nothing");
}
