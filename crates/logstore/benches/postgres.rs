//! The PostgreSQL store's benchmarks (issue #14, docs/benchmarks.md), each a ratio against a
//! baseline measured in the same run on the same throwaway cluster:
//!
//! 1. durable appends of 1 KiB entries through `Log::append` on `PgStore` (entries, stored
//!    hashes and a signed checkpoint per batch, one transaction per batch), against inserting the
//!    same blobs in batches of the same size, one transaction each, with the same durability
//!    (`synchronous_commit = on`, `fsync = on`), by `unnest` as the store does;
//! 2. inclusion proofs of random entries, from a read-only connection, against the same proofs
//!    from an SQLite store of the same log;
//! 3. the same at `--proof-size` entries (default 1,000,000, of 64 bytes: a proof's cost does
//!    not depend on the entries' size), read from a streaming hot standby of the cluster.
//!
//! `cargo bench -p accord-logstore --bench postgres -- [--append N] [--batch B] [--proofs N] [--proof-size N]`

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use accord_logstore::conformance::test_key;
use accord_logstore::log::{prove_inclusion, Log};
use accord_logstore::pg_cluster::Cluster;
use accord_logstore::postgres::PgStore;
use accord_logstore::sqlite::SqliteStore;
use rand::{Rng, SeedableRng};

#[path = "common/mod.rs"]
mod common;
use common::entries;

fn arg(name: &str, default: u64) -> u64 {
    let v: Vec<String> = std::env::args().collect();
    v.iter()
        .position(|a| a == name)
        .and_then(|i| v.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The baseline: the same blobs, in the same batches, one transaction each, on a plain table.
fn baseline(url: &str, table: &str, data: &[Vec<u8>], batch: usize) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE TABLE {table}(id bigint PRIMARY KEY, data bytea NOT NULL)"))
            .await
            .unwrap();
        let sql = client
            .prepare(&format!(
                "INSERT INTO {table}(id, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])"
            ))
            .await
            .unwrap();
        let t = Instant::now();
        for (b, chunk) in data.chunks(batch).enumerate() {
            let ids: Vec<i64> = (0..chunk.len()).map(|i| (b * batch + i) as i64).collect();
            let blobs: Vec<Vec<u8>> = chunk.to_vec();
            client.batch_execute("BEGIN").await.unwrap();
            client.execute(&sql, &[&ids, &blobs]).await.unwrap();
            client.batch_execute("COMMIT").await.unwrap();
        }
        t.elapsed()
    })
}

fn main() {
    let (n, batch, proofs) = (
        arg("--append", 50_000) as usize,
        arg("--batch", 1024) as usize,
        arg("--proofs", 2_000),
    );
    let c = match Cluster::start() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: the PostgreSQL benchmarks: {e}");
            return;
        }
    };
    println!("machine: {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    let data = entries(1, n);
    let (mut best_base, mut best_log) = (Duration::MAX, Duration::MAX);
    for round in 0..3 {
        best_base = best_base.min(baseline(&c.url, &format!("blobs_{round}"), &data, batch));
        let mut log = Log::create(PgStore::open(&c.url, &format!("bench_{round}")).unwrap(), test_key(), "US").unwrap();
        let t = Instant::now();
        for chunk in data.chunks(batch) {
            log.append(chunk).unwrap();
        }
        best_log = best_log.min(t.elapsed());
    }
    let (base_rate, log_rate) = (n as f64 / best_base.as_secs_f64(), n as f64 / best_log.as_secs_f64());
    println!(
        "appends on PostgreSQL: {n} x 1 KiB in batches of {batch}: log {log_rate:.0} entries/s, plain inserts {base_rate:.0} entries/s, ratio {:.2} (best of 3; goal at least 0.5)",
        log_rate / base_rate
    );
    // Proofs: the same log in SQLite and PostgreSQL (read-only connection).
    let dir = std::env::temp_dir().join(format!("accord-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut lite = Log::create(SqliteStore::open(&dir.join("log.db")).unwrap(), test_key(), "US").unwrap();
    for chunk in data.chunks(4096) {
        lite.append(chunk).unwrap();
    }
    let pg = PgStore::open_read_only(&c.url, "bench_0").unwrap();
    compare_proofs("a read-only connection to the primary", &lite, &pg, proofs);
    drop(data);
    // At a million entries, from a standby.
    let big = arg("--proof-size", 1_000_000);
    if big > 0 {
        let small: Vec<Vec<u8>> = (0..big).map(|i| format!("{i:064}").into_bytes()).collect();
        let mut lite = Log::create(SqliteStore::open(&dir.join("big.db")).unwrap(), test_key(), "US").unwrap();
        let mut log = Log::create(PgStore::open(&c.url, "big").unwrap(), test_key(), "US").unwrap();
        for chunk in small.chunks(16_384) {
            lite.append(chunk).unwrap();
            log.append(chunk).unwrap();
        }
        drop(log);
        let standby = c.standby().unwrap();
        let pg = PgStore::open_read_only(&standby.url, "big").unwrap();
        // The standby has replayed the whole log before it is read.
        let t0 = Instant::now();
        while accord_logstore::Store::latest(&pg).map(|l| l.0).unwrap_or(0) < big {
            assert!(t0.elapsed() < Duration::from_secs(120), "the standby did not catch up");
            std::thread::sleep(Duration::from_millis(100));
        }
        compare_proofs("a hot standby", &lite, &pg, proofs);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Times `proofs` inclusion proofs of random entries from `pg` against the same from `lite`.
fn compare_proofs(from: &str, lite: &Log<SqliteStore>, pg: &PgStore, proofs: u64) {
    let size = lite.size();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let picks: Vec<u64> = (0..proofs).map(|_| rng.gen_range(0..size)).collect();
    let time = |f: &mut dyn FnMut(u64)| {
        let t = Instant::now();
        for &i in &picks {
            f(i);
        }
        t.elapsed()
    };
    let t_lite = time(&mut |i| {
        prove_inclusion(lite.store(), i, None).unwrap();
    });
    let t_pg = time(&mut |i| {
        prove_inclusion(pg, i, None).unwrap();
    });
    println!(
        "inclusion proofs at {size} entries: PostgreSQL ({from}) {:.0} µs each, SQLite {:.0} µs each, ratio {:.2} (goal at most 3)",
        t_pg.as_secs_f64() * 1e6 / proofs as f64,
        t_lite.as_secs_f64() * 1e6 / proofs as f64,
        t_pg.as_secs_f64() / t_lite.as_secs_f64()
    );
}
