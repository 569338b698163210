//! Log benchmarks, each a ratio against a baseline measured in the same run (docs/benchmarks.md):
//!
//! 1. durable appends of 1 KiB entries through `Log::append` (entries, stored hashes and a signed
//!    checkpoint per batch, one fsync per batch), against inserting the same blobs into SQLite in
//!    batches of the same size with the same durability (WAL, synchronous=FULL);
//! 2. full verification of an N-entry log (default 1,000,000) against the raw SHA-256 rate over
//!    the same entry bytes;
//! 3. inclusion and consistency proofs from the store at that size: p50 and p99.
//!
//! `cargo bench -p accord-logstore --bench log -- [--entries N] [--append N] [--batch B] [--dir D]`

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use accord_logstore::conformance::test_key;
use accord_logstore::log::{prove_consistency, prove_inclusion, Log};
use accord_logstore::sqlite::SqliteStore;
use accord_logstore::store::Store;
use accord_logstore::verify::verify_sqlite;
use rand::{Rng, SeedableRng};

#[path = "common/mod.rs"]
mod common;
use common::entries;
use sha2::{Digest, Sha256};

struct Args {
    entries: u64,
    append: u64,
    batch: usize,
    dir: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        entries: 1_000_000,
        append: 200_000,
        batch: 1024,
        dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-log"),
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--entries" => a.entries = next.parse().unwrap(),
            "--append" => a.append = next.parse().unwrap(),
            "--batch" => a.batch = next.parse().unwrap(),
            "--dir" => a.dir = PathBuf::from(next),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn fresh(path: &Path) {
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
}

/// The baseline: the same blobs, the same batches, the same durability, nothing else.
fn baseline_inserts(path: &Path, data: &[Vec<u8>], batch: usize) -> Duration {
    fresh(path);
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.execute_batch("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        .unwrap();
    let t = Instant::now();
    let mut c = c;
    for (b, chunk) in data.chunks(batch).enumerate() {
        let tx = c.transaction().unwrap();
        {
            let mut st = tx.prepare_cached("INSERT INTO blobs(id, data) VALUES (?1, ?2)").unwrap();
            for (i, e) in chunk.iter().enumerate() {
                st.execute(rusqlite::params![(b * batch + i) as i64, e]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    t.elapsed()
}

fn log_appends(path: &Path, data: &[Vec<u8>], batch: usize) -> Duration {
    fresh(path);
    let mut log = Log::create(SqliteStore::open(path).unwrap(), test_key(), "US").unwrap();
    let t = Instant::now();
    for chunk in data.chunks(batch) {
        log.append(chunk).unwrap();
    }
    t.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let a = args();
    std::fs::create_dir_all(&a.dir).unwrap();
    println!(
        "machine: {} cores; SQLite {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        rusqlite::version()
    );

    // 1. Durable appends.
    let data = entries(1, a.append as usize);
    let base_path = a.dir.join("baseline.db");
    let log_path = a.dir.join("appends.db");
    let (mut best_base, mut best_log) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        best_base = best_base.min(baseline_inserts(&base_path, &data, a.batch));
        best_log = best_log.min(log_appends(&log_path, &data, a.batch));
    }
    let n = a.append as f64;
    let (base_rate, log_rate) = (n / best_base.as_secs_f64(), n / best_log.as_secs_f64());
    println!(
        "appends: {} x 1 KiB in batches of {}: log {:.0} entries/s, SQLite baseline {:.0} entries/s, ratio {:.2} (best of 3)",
        a.append,
        a.batch,
        log_rate,
        base_rate,
        log_rate / base_rate
    );
    fresh(&base_path);
    fresh(&log_path);

    // 1b. The same entries through the sequencer, submitted by another thread as fast as it
    // can: throughput, and the longest wait between two checkpoints under that load.
    {
        use accord_logstore::sequencer::{Options, Sequencer};
        fresh(&log_path);
        let log = Log::create(SqliteStore::open(&log_path).unwrap(), test_key(), "US").unwrap();
        let seq = Sequencer::start(log, Options::default());
        type Reply = std::sync::mpsc::Receiver<Result<accord_logstore::sequencer::Receipt, accord_logstore::sequencer::SeqError>>;
        let (tx, rx) = std::sync::mpsc::channel::<Reply>();
        let t = Instant::now();
        let waiter = std::thread::spawn(move || {
            let (mut last_size, mut last_at, mut max_gap, mut checkpoints) = (0u64, Instant::now(), Duration::ZERO, 0u64);
            for r in rx {
                let receipt = r.recv().unwrap().unwrap();
                if receipt.size != last_size {
                    max_gap = max_gap.max(last_at.elapsed());
                    last_at = Instant::now();
                    last_size = receipt.size;
                    checkpoints += 1;
                }
            }
            (max_gap, checkpoints)
        });
        for e in data.iter().cloned() {
            tx.send(seq.submit(Box::new(move |_| Ok(e))).unwrap()).unwrap();
        }
        drop(tx);
        let (max_gap, checkpoints) = waiter.join().unwrap();
        let elapsed = t.elapsed();
        seq.stop();
        println!(
            "sequencer: {} x 1 KiB submitted by one thread: {:.0} entries/s, {checkpoints} checkpoints, longest gap between checkpoints {:.0} ms",
            a.append,
            n / elapsed.as_secs_f64(),
            max_gap.as_secs_f64() * 1e3
        );
        fresh(&log_path);
    }

    // 2. Verification of a large log.
    let big = a.dir.join(format!("log-{}.db", a.entries));
    let reuse = SqliteStore::open_read_only(&big).ok().and_then(|s| s.latest().ok()).map(|(n, _)| n) == Some(a.entries);
    if !reuse {
        fresh(&big);
        let mut log = Log::create(SqliteStore::open(&big).unwrap(), test_key(), "US").unwrap();
        let t = Instant::now();
        let mut made = 0u64;
        let mut seed = 100;
        while made < a.entries {
            let n = (a.entries - made).min(4096) as usize;
            seed += 1;
            log.append(&entries(seed, n)).unwrap();
            made += n as u64;
        }
        println!(
            "built a {}-entry log in {:.1} s (batches of 4096)",
            a.entries,
            t.elapsed().as_secs_f64()
        );
    }
    let store = SqliteStore::open_read_only(&big).unwrap();
    let t = Instant::now();
    let report = verify_sqlite(&store, &big, &test_key().verifier(), None, &mut |_| {});
    let verify_time = t.elapsed();
    assert!(report.ok(), "{:?}", report.problems);
    let verify_rate = report.bytes as f64 / verify_time.as_secs_f64();
    // Raw SHA-256 over the same number of entry bytes (1 KiB at a time, from memory).
    let sample = entries(7, 65_536);
    let t = Instant::now();
    let mut done = 0u64;
    let mut sink = 0u8;
    while done < report.bytes {
        for e in &sample {
            sink ^= Sha256::digest(e)[0];
            done += e.len() as u64;
            if done >= report.bytes {
                break;
            }
        }
    }
    let raw_rate = done as f64 / t.elapsed().as_secs_f64();
    println!(
        "verify: {} entries ({} MiB) in {:.2} s = {:.0} MiB/s; raw SHA-256 {:.0} MiB/s on one core; ratio {:.2} [{}]",
        report.entries,
        report.bytes >> 20,
        verify_time.as_secs_f64(),
        verify_rate / 1048576.0,
        raw_rate / 1048576.0,
        verify_rate / raw_rate,
        sink % 2
    );

    // 3. Proofs from the store.
    let (size, _) = store.latest().unwrap();
    let mut sizes = Vec::new();
    store
        .scan_checkpoints(&mut |s, _| {
            if s > 0 && s < size {
                sizes.push(s);
            }
            Ok(())
        })
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    // A serving node has its upper-level hash cache warm: 2,000 proofs first, not counted.
    for _ in 0..2_000 {
        std::hint::black_box(prove_inclusion(&store, rng.gen_range(0..size), None).unwrap());
    }
    for (what, samples) in [("inclusion", 20_000usize), ("consistency", 20_000)] {
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            if what == "inclusion" {
                let (p, _, _) = prove_inclusion(&store, rng.gen_range(0..size), None).unwrap();
                std::hint::black_box(p);
            } else {
                let from = sizes[rng.gen_range(0..sizes.len())];
                let (p, _, _) = prove_consistency(&store, from, None).unwrap();
                std::hint::black_box(p);
            }
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{what} proofs at size {size}: p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({samples} random, after 2,000 warm-up proofs)",
            pct(&times, 0.5).as_secs_f64() * 1e6,
            pct(&times, 0.9).as_secs_f64() * 1e6,
            pct(&times, 0.99).as_secs_f64() * 1e6,
            times[times.len() - 1].as_secs_f64() * 1e6
        );
    }
}
