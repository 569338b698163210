//! Every backend passes the conformance suite.
#![allow(clippy::unwrap_used)]

use accord_logstore::conformance::run_all;
use accord_logstore::memory::MemoryStore;
use accord_logstore::sqlite::SqliteStore;

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
