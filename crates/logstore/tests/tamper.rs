//! A change to any byte of a stored entry, hash or checkpoint, made through SQL, is found and
//! located by verification; other damage is reported, never a panic.
#![allow(clippy::unwrap_used)]

use accord_logstore::conformance::test_key;
use accord_logstore::log::Log;
use accord_logstore::sqlite::{SqliteStore, HASHES_PER_ROW};
use accord_logstore::verify::{verify, Leaves, Problem, Report};
use accord_tlog::merkle::{stored_count, stored_index};
use rusqlite::{params, Connection};
use std::path::Path;

const SIZE: u64 = 300;

fn make(path: &Path) {
    let mut log = Log::create(SqliteStore::open(path).unwrap(), test_key(), "US").unwrap();
    for chunk in (0..SIZE).collect::<Vec<_>>().chunks(37) {
        let es: Vec<Vec<u8>> = chunk.iter().map(|i| format!("{{\"n\":{i}}}").into_bytes()).collect();
        log.append(&es).unwrap();
    }
}

fn check(path: &Path) -> Report {
    let store = SqliteStore::open_read_only(path).unwrap();
    verify(&store, &test_key().verifier(), Leaves::Inline, &mut |_| {})
}

fn flip(path: &Path, table: &str, col: &str, key: &str, k: u64, byte: usize) {
    let c = Connection::open(path).unwrap();
    let mut v: Vec<u8> = c
        .query_row(&format!("SELECT {col} FROM {table} WHERE {key} = ?1"), [k as i64], |r| r.get(0))
        .unwrap();
    v[byte] ^= 0x01;
    c.execute(&format!("UPDATE {table} SET {col} = ?1 WHERE {key} = ?2"), params![v, k as i64])
        .unwrap();
}

/// Flips one bit of stored hash `id` (hashes are kept HASHES_PER_ROW to a row).
fn flip_hash(path: &Path, id: u64, byte: usize) {
    let c = Connection::open(path).unwrap();
    let page = (id / HASHES_PER_ROW) as i64;
    let mut v: Vec<u8> = c
        .query_row("SELECT hashes FROM hash_pages WHERE page = ?1", [page], |r| r.get(0))
        .unwrap();
    v[(id % HASHES_PER_ROW) as usize * 32 + byte] ^= 0x01;
    c.execute("UPDATE hash_pages SET hashes = ?1 WHERE page = ?2", params![v, page])
        .unwrap();
}

#[test]
fn a_clean_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    let r = check(&db);
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.entries, r.hashes), (SIZE, stored_count(SIZE)));
    assert_eq!(r.checkpoints, 1 + SIZE.div_ceil(37));
}

#[test]
fn every_changed_entry_byte_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    for (index, byte) in [(0u64, 0usize), (7, 3), (255, 1), (256, 0), (299, 5)] {
        flip(&db, "entries", "data", "idx", index, byte);
        let r = check(&db);
        assert_eq!(r.problem_count, 1, "{:?}", r.problems);
        assert!(
            matches!(&r.problems[0], Problem::Entry { index: i, .. } if *i == index),
            "{:?}",
            r.problems
        );
        flip(&db, "entries", "data", "idx", index, byte);
        assert!(check(&db).ok());
    }
}

#[test]
fn every_changed_hash_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    for (level, index) in [(0u32, 5u64), (1, 2), (3, 1), (8, 0), (0, 299)] {
        let id = stored_index(level, index);
        flip_hash(&db, id, 31);
        let r = check(&db);
        assert!(!r.ok());
        let located = r.problems.iter().any(|p| match p {
            Problem::Hash { level: l, index: i, .. } => *l == level && *i == index,
            Problem::Entry { index: i, .. } => level == 0 && *i == index,
            _ => false,
        });
        assert!(located, "level {level} index {index}: {:?}", r.problems);
        flip_hash(&db, id, 31);
        assert!(check(&db).ok());
    }
}

#[test]
fn every_changed_checkpoint_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    let sizes: Vec<u64> = {
        let c = Connection::open(&db).unwrap();
        let mut s = c.prepare("SELECT size FROM checkpoints").unwrap();
        s.query_map([], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|x| x.unwrap() as u64)
            .collect()
    };
    for &size in &sizes {
        let len: i64 = Connection::open(&db)
            .unwrap()
            .query_row("SELECT length(note) FROM checkpoints WHERE size = ?1", [size as i64], |r| r.get(0))
            .unwrap();
        for byte in [0usize, (len / 2) as usize, len as usize - 2] {
            flip(&db, "checkpoints", "note", "size", size, byte);
            let r = check(&db);
            assert!(
                r.problems
                    .iter()
                    .any(|p| matches!(p, Problem::Checkpoint { size: s, .. } if *s == size)),
                "checkpoint {size} byte {byte}: {:?}",
                r.problems
            );
            flip(&db, "checkpoints", "note", "size", size, byte);
        }
    }
    assert!(check(&db).ok());
}

#[test]
fn removed_rows_and_wrong_types_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    let c = Connection::open(&db).unwrap();
    c.execute("DELETE FROM entries WHERE idx = 17", []).unwrap();
    c.execute("UPDATE hash_pages SET hashes = substr(hashes, 1, 40 * 32 + 2) WHERE page = 2", [])
        .unwrap();
    c.execute("UPDATE entries SET data = 'text' WHERE idx = 18", []).unwrap();
    // SQL's replace() turns a BLOB into TEXT: still located.
    c.execute("UPDATE entries SET data = replace(data, '1', '2') WHERE idx = 21", [])
        .unwrap();
    c.execute("UPDATE checkpoints SET note = replace(note, 'US', 'US') WHERE size = 37", [])
        .unwrap();
    drop(c);
    let r = check(&db);
    for i in [17u64, 18, 21] {
        assert!(
            r.problems.iter().any(|p| matches!(p, Problem::Entry { index, .. } if *index == i)),
            "entry {i}: {:?}",
            r.problems
        );
    }
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::Entry { index: 17, .. } | Problem::Store(_))),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_damaged_file_is_reported_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    // Checkpoint the WAL into the main file, then overwrite part of it.
    Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0xAB;
    }
    std::fs::write(&db, &bytes).unwrap();
    match SqliteStore::open_read_only(&db) {
        Err(_) => {}
        Ok(store) => {
            let r = verify(&store, &test_key().verifier(), Leaves::Inline, &mut |_| {});
            assert!(!r.ok(), "a store with a page overwritten verifies clean");
        }
    }
    // The header destroyed: not a database at all.
    std::fs::write(&db, b"this is not a database, just text that is long enough to matter").unwrap();
    if let Ok(store) = SqliteStore::open_read_only(&db) {
        let r = verify(&store, &test_key().verifier(), Leaves::Inline, &mut |_| {});
        assert!(!r.ok());
    }
}

#[test]
fn an_absurd_checkpoint_size_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    make(&db);
    let note: Vec<u8> = Connection::open(&db)
        .unwrap()
        .query_row("SELECT note FROM checkpoints WHERE size = 0", [], |r| r.get(0))
        .unwrap();
    Connection::open(&db)
        .unwrap()
        .execute("INSERT INTO checkpoints(size, note) VALUES (?1, ?2)", params![1i64 << 62, note])
        .unwrap();
    let r = check(&db);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::Checkpoint { size, .. } if *size == 1 << 62)),
        "{:?}",
        r.problems
    );
}
