//! The log store on a real PostgreSQL server (issue #14), started by the tests themselves: a
//! throwaway cluster from Debian's `postgresql` package on a Unix socket
//! ([`accord_logstore::pg_cluster`]). Mandatory: without the server they fail, naming what to
//! install; `ACCORD_SKIP_POSTGRES=1` skips them, loudly.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use accord_logstore::conformance::{run_all, snapshot_readers, test_key};
use accord_logstore::pg_cluster::Cluster;
use accord_logstore::postgres::PgStore;
use accord_logstore::store::{Stage, Store, StoreError};
use accord_logstore::verify::{verify, Leaves};
use accord_logstore::Log;

fn cluster(test: &str) -> Option<Cluster> {
    accord_logstore::pg_cluster::for_test(test)
}

fn entries(from: u64, n: u64) -> Vec<Vec<u8>> {
    (from..from + n).map(|i| format!("entry {i}").into_bytes()).collect()
}

#[test]
fn the_conformance_suite_holds_on_postgres() {
    let Some(c) = cluster("the conformance suite") else { return };
    let n = AtomicUsize::new(0);
    run_all(&mut || PgStore::open(&c.url, &format!("conformance_{}", n.fetch_add(1, Ordering::Relaxed))).unwrap());
}

#[test]
fn readers_on_other_connections_see_whole_batches() {
    let Some(c) = cluster("snapshot readers") else { return };
    let writer = PgStore::open(&c.url, "snapshots").unwrap();
    let readers = vec![
        PgStore::open_read_only(&c.url, "snapshots").unwrap(),
        PgStore::open_read_only(&c.url, "snapshots").unwrap(),
    ];
    snapshot_readers(writer, readers);
}

/// One writer per log: a second is refused at open while the first holds it, and opens once
/// the first is closed; readers are never refused. Two logs in one database are independent.
#[test]
fn a_second_writer_is_refused() {
    let Some(c) = cluster("a second writer") else { return };
    let mut log = Log::create(PgStore::open(&c.url, "us").unwrap(), test_key(), "US").unwrap();
    log.append(&entries(0, 3)).unwrap();
    let e = PgStore::open(&c.url, "us").err().expect("a second writer");
    assert!(e.to_string().contains("another process"), "{e}");
    let reader = PgStore::open_read_only(&c.url, "us").unwrap();
    assert_eq!(reader.latest().unwrap().0, 3);
    // A reader cannot write (the session is read-only).
    assert!(PgStore::open_read_only(&c.url, "us")
        .unwrap()
        .add_cosignatures(3, &["— x".into()])
        .is_err());
    let other = Log::create(PgStore::open(&c.url, "ru").unwrap(), test_key(), "RU").unwrap();
    assert_eq!(other.size(), 0);
    drop(log);
    let again = Log::open(PgStore::open(&c.url, "us").unwrap(), test_key()).unwrap();
    assert_eq!(again.size(), 3);
}

/// The writer's connection terminated by the server while its batch is being written, at each
/// stage before COMMIT: the batch is rolled back, the log reopens at its last acknowledged size
/// and verifies, and appends on.
#[test]
fn a_connection_killed_mid_batch_loses_nothing_acknowledged() {
    let Some(c) = cluster("a killed connection") else { return };
    for (k, stage) in [Stage::Entries, Stage::Hashes, Stage::Checkpoint].into_iter().enumerate() {
        let schema = format!("killed_{k}");
        let mut log = Log::create(PgStore::open(&c.url, &schema).unwrap(), test_key(), "US").unwrap();
        log.append(&entries(0, 5)).unwrap();
        let admin = PgStore::open(&c.url, &format!("admin_{k}")).unwrap();
        let mut s = log.into_store();
        let mut seal = accord_logstore::store::sealed(Vec::new(), Vec::new());
        let es = entries(5, 2);
        let mut batch = accord_logstore::Batch {
            start: 5,
            entries: &es,
            hash_start: accord_tlog::merkle::stored_count(5),
            seal: &mut seal,
        };
        let url = c.url.clone();
        let r = s.commit_staged(&mut batch, &mut |at| {
            if at == stage {
                // Another session ends this one, as an operator or a failover would.
                terminate_others(&url, &schema);
            }
            Ok(())
        });
        assert!(r.is_err(), "{stage:?}: the batch on a terminated connection must fail");
        drop(s);
        drop(admin);
        let log = Log::open(PgStore::open(&c.url, &schema).unwrap(), test_key()).unwrap();
        assert_eq!(log.size(), 5, "{stage:?}: nothing of the failed batch");
        let report = verify(log.store(), &log.verifier(), Leaves::Inline, &mut |_| {});
        assert!(report.problems.is_empty(), "{stage:?}: {:?}", report.problems);
        let mut log = log;
        log.append(&entries(5, 2)).unwrap();
        assert_eq!(log.size(), 7);
    }
}

/// The writer's connection terminated *during* COMMIT: the server is made to wait in it (a
/// synchronous standby is required that does not exist, so the commit waits for it) and the
/// session is ended there. The append fails (it was never acknowledged); the transaction may
/// have committed locally, as PostgreSQL warns, so the reopened log is at the old size or the
/// new one, signed either way, verifies, and appends on.
#[test]
fn a_connection_killed_during_commit_leaves_a_signed_tree() {
    let Some(c) = cluster("a connection killed during COMMIT") else {
        return;
    };
    let mut log = Log::create(PgStore::open(&c.url, "in_commit").unwrap(), test_key(), "US").unwrap();
    log.append(&entries(0, 5)).unwrap();
    c.sql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'").unwrap();
    c.sql("SELECT pg_reload_conf()").unwrap();
    // The reload reaches every backend at its next command.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let url = c.url.clone();
    let killer = std::thread::spawn(move || {
        // Wait until the writer's session waits for the standby inside COMMIT, then end it.
        let t0 = std::time::Instant::now();
        loop {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let n = rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                client
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                        &[],
                    )
                    .await
                    .unwrap()
                    .len()
            });
            if n > 0 {
                return;
            }
            assert!(t0.elapsed() < std::time::Duration::from_secs(30), "the commit never waited");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    });
    let r = log.append(&entries(5, 2));
    killer.join().unwrap();
    assert!(r.is_err(), "a commit ended by the server is not acknowledged");
    drop(log);
    c.sql("ALTER SYSTEM RESET synchronous_standby_names").unwrap();
    c.sql("SELECT pg_reload_conf()").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut log = Log::open(PgStore::open(&c.url, "in_commit").unwrap(), test_key()).unwrap();
    assert!(
        log.size() == 5 || log.size() == 7,
        "the old tree or the new one, nothing between: {}",
        log.size()
    );
    let report = verify(log.store(), &log.verifier(), Leaves::Inline, &mut |_| {});
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let at = log.size();
    log.append(&entries(at, 2)).unwrap();
    assert_eq!(log.size(), at + 2);
}

/// Ends every other session of the database whose writer holds `schema`'s lock.
fn terminate_others(url: &str, schema: &str) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (url, schema) = (url.to_owned(), schema.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let n = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let key = format!("accord-log:{schema}");
            let rows = client
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext($1)::oid AND pid <> pg_backend_pid()",
                    &[&key],
                )
                .await
                .unwrap();
            rows.len()
        });
        tx.send(n).unwrap();
    });
    let n = rx.recv().unwrap();
    assert_eq!(n, 1, "the writer's session is found by its lock");
}

/// A log's data is where the store says: a store opened on an uninitialised schema is
/// `NotInitialised`, and a schema name that could escape its quotes is refused.
#[test]
fn schemas_are_checked() {
    let Some(c) = cluster("schema names") else { return };
    let s = PgStore::open(&c.url, "empty").unwrap();
    assert!(matches!(s.latest(), Err(StoreError::NotInitialised)));
    for bad in ["", "a\"b", "1x", "a;b", "a b"] {
        assert!(PgStore::open(&c.url, bad).is_err(), "{bad:?}");
    }
}

/// A hot standby, synchronous at `remote_apply`, serves reads that verify while the primary
/// appends (its checkpoint and the hashes it covers from one snapshot); the primary killed at
/// once, the promoted standby's log opens at the last acknowledged size, verifies and appends
/// on (nothing acknowledged lost, no tree signed twice).
#[test]
fn a_standby_serves_reads_and_takes_over_losing_nothing_acknowledged() {
    use accord_logstore::log::prove_inclusion;
    use accord_tlog::merkle::{leaf_hash, verify_inclusion};
    let Some(primary) = cluster("a hot standby") else { return };
    let standby = primary.standby().unwrap();
    primary.synchronous().unwrap();
    let mut log = Log::create(PgStore::open(&primary.url, "us").unwrap(), test_key(), "US").unwrap();
    log.append(&entries(0, 1)).unwrap();
    let reader = PgStore::open_read_only(&standby.url, "us").unwrap();
    let mut acknowledged = 0;
    for round in 0..15u64 {
        log.append(&entries(1 + round * 3, 3)).unwrap();
        acknowledged = log.size();
        // Applied on the standby before the primary's commit returned.
        reader
            .read_snapshot(|r| {
                let (size, _) = r.latest()?;
                assert_eq!(size, acknowledged, "the standby holds every acknowledged batch");
                for i in [0, size / 2, size - 1] {
                    let (path, _, cp) = prove_inclusion(r, i, None).map_err(|e| StoreError::Backend(e.to_string()))?;
                    verify_inclusion(i, cp.size, &leaf_hash(&r.entry(i)?), &path, &cp.root).expect("a proof from the standby verifies");
                }
                Ok(())
            })
            .unwrap();
    }
    drop(reader);
    primary.kill().unwrap();
    drop(log);
    standby.promote().unwrap();
    let mut log = Log::open(PgStore::open(&standby.url, "us").unwrap(), test_key()).unwrap();
    assert_eq!(log.size(), acknowledged);
    let report = verify(log.store(), &log.verifier(), Leaves::Inline, &mut |_| {});
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    log.append(&entries(acknowledged, 2)).unwrap();
    assert_eq!(log.size(), acknowledged + 2);
}

/// The server's postmaster killed with SIGKILL while a writer appends (no shutdown, no
/// checkpoint: as a crash), `ACCORD_PG_CRASH_RUNS` times (3 by default; `scripts/pg-crash-test`
/// runs 20): after each restart the log opens at a size no smaller than every size it
/// acknowledged, verifies, and appends on.
#[test]
fn a_server_crash_mid_append_loses_nothing_acknowledged() {
    let Some(c) = cluster("a crash loop") else { return };
    let runs: u64 = std::env::var("ACCORD_PG_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut acknowledged = 0u64;
    for run in 0..runs {
        let url = c.url.clone();
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let writer = std::thread::spawn(move || {
            let store = PgStore::open(&url, "crash").unwrap();
            let mut log = if run == 0 {
                Log::create(store, test_key(), "US").unwrap()
            } else {
                Log::open(store, test_key()).unwrap()
            };
            // Append until the server goes away; report each acknowledged size.
            for i in 0.. {
                match log.append(&entries(log.size(), 1 + i % 7)) {
                    Ok(a) => {
                        if tx.send(a.size).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        // Let some batches through, then crash the server mid-stream.
        let mut seen = 0;
        while seen < 20 + (run % 5) * 7 {
            acknowledged = acknowledged.max(rx.recv().unwrap());
            seen += 1;
        }
        c.kill9().unwrap();
        for s in rx.iter() {
            acknowledged = acknowledged.max(s);
        }
        writer.join().unwrap();
        c.restart().unwrap();
        let log = Log::open(PgStore::open(&c.url, "crash").unwrap(), test_key()).unwrap();
        assert!(
            log.size() >= acknowledged,
            "run {run}: the log is at {} after acknowledging {acknowledged}",
            log.size()
        );
        let report = verify(log.store(), &log.verifier(), Leaves::Inline, &mut |_| {});
        assert!(report.problems.is_empty(), "run {run}: {:?}", report.problems);
        acknowledged = log.size();
    }
}

/// The witness state on PostgreSQL keeps the rules of the SQLite one, and two connections on
/// one schema (two processes) cannot both cosign from the same old size: the row lock makes
/// the second see the first's tree.
#[test]
fn the_witness_state_holds_on_postgres_and_between_connections() {
    use accord_logstore::conformance::{add_request, witness_store};
    use accord_logstore::pg_witness::PgWitness;
    use accord_logstore::witness::WitnessStore;
    let Some(c) = cluster("the witness state") else { return };
    let n = AtomicUsize::new(0);
    witness_store(&mut || PgWitness::open(&c.url, &format!("witness_{}", n.fetch_add(1, Ordering::Relaxed))).unwrap());

    let key = accord_tlog::SignerKey::from_seed("example.org/w", accord_tlog::note::ALG_COSIGNATURE_V1, [3; 32]).unwrap();
    let mut log = Log::create(accord_logstore::memory::MemoryStore::new(), test_key(), "US").unwrap();
    log.append(&entries(0, 5)).unwrap();
    PgWitness::open(&c.url, "shared").unwrap().follow(&test_key().verifier()).unwrap();
    let request = add_request(&log, 0);
    let answers: Vec<u16> = std::thread::scope(|s| {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (url, request, key) = (&c.url, &request, &key);
                s.spawn(move || {
                    let mut w = PgWitness::open(url, "shared").unwrap();
                    match w.add_checkpoint(request, key, 1).unwrap() {
                        Ok(_) => 200,
                        Err(rej) => rej.status(),
                    }
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut sorted = answers.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [200, 409, 409, 409],
        "one cosigns from size 0, the others see its tree: {answers:?}"
    );
    let w = PgWitness::open(&c.url, "shared").unwrap();
    assert_eq!(w.followed().unwrap()[0].size, 5);
    assert_eq!(w.latest(test_key().verifier().name()).unwrap().as_deref(), Some(log.latest()));
}
