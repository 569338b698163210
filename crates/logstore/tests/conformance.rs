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

/// What a log folder keeps is readable by its user only: the folder and the blobs folder 0700,
/// the database (and SQLite's files beside it), the key and every blob 0600, whatever the
/// umask; a folder an earlier release left open is closed when a writer opens it.
#[cfg(unix)]
#[test]
fn a_log_folder_is_private() {
    use accord_logstore::private::mode;
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let d = accord_logstore::DataDir::new(t.path().join("log"));
    let (mut log, lock) = d.init("example.org/private", "US", [7; 32]).unwrap();
    log.append(&[b"an entry".to_vec()]).unwrap();
    let hex = d.put_blob(b"a notification logged by hash").unwrap();
    assert_eq!(mode(d.root()).unwrap(), 0o700, "the folder");
    assert_eq!(mode(&d.blobs()).unwrap(), 0o700, "the blobs folder");
    assert_eq!(mode(&d.blobs().join(&hex)).unwrap(), 0o600, "a blob");
    for f in std::fs::read_dir(d.root()).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("log.db") || name == "log.key" {
            assert_eq!(mode(&p).unwrap(), 0o600, "{name}");
        }
    }
    drop((log, lock));
    // As an earlier release left it: open to everyone.
    std::fs::set_permissions(d.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(d.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_log, _lock) = d.open_writer().unwrap();
    assert_eq!(mode(d.root()).unwrap(), 0o700, "closed when a writer opens it");
    assert_eq!(mode(&d.db()).unwrap(), 0o600);
}
