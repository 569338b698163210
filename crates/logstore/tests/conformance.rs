//! Every backend passes the conformance suite.
#![allow(clippy::unwrap_used)]

use accord_logstore::conformance::{run_all, snapshot_readers};
use accord_logstore::memory::{MemoryStore, SharedMemoryStore};
use accord_logstore::sqlite::SqliteStore;
use accord_logstore::store::DynStore;

#[test]
fn memory_store_conforms() {
    run_all(&mut MemoryStore::new);
}

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    run_all(&mut || {
        n += 1;
        SqliteStore::open(&dir.path().join(format!("s{n}.db"))).unwrap()
    });
}

#[test]
fn shared_memory_store_conforms() {
    run_all(&mut SharedMemoryStore::new);
    let s = SharedMemoryStore::new();
    snapshot_readers(s.handle(), vec![s.handle(), s.handle()]);
}

#[test]
fn boxed_stores_conform() {
    run_all(&mut || -> DynStore { Box::new(MemoryStore::new()) });
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    run_all(&mut || -> DynStore {
        n += 1;
        Box::new(SqliteStore::open(&dir.path().join(format!("b{n}.db"))).unwrap())
    });
}

#[test]
fn sqlite_snapshot_readers_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let writer = SqliteStore::open(&path).unwrap();
    // Readers open once the schema exists (as a node's readers do, after the writer).
    let readers = vec![SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap()];
    snapshot_readers(writer, readers);
}

#[test]
fn witness_stores_conform() {
    use accord_logstore::conformance::witness_store;
    use accord_logstore::witness::{MemoryWitness, WitnessState};
    witness_store(&mut MemoryWitness::new);
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    witness_store(&mut || {
        n += 1;
        WitnessState::open(&dir.path().join(format!("w{n}.db"))).unwrap()
    });
}
