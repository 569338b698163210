//! The SQLite backend: one database file in WAL mode with `synchronous=FULL`, so that a commit
//! that returned is on disk (fsync of the WAL), and readers in other processes see whole
//! batches only.
//!
//! Schema (version 1, in `PRAGMA user_version`):
//! `meta(key, value)`, `entries(idx INTEGER PRIMARY KEY, data BLOB)`,
//! `hash_pages(page INTEGER PRIMARY KEY, hashes BLOB)`, `checkpoints(size INTEGER PRIMARY KEY, note BLOB)`,
//! `cosignatures(size, line)` (cosignature lines collected for a checkpoint, outside the tree).
//! Keys grow with every append, so inserts go to the right edge of each B-tree.
//!
//! Stored hashes are kept 64 to a row: page `p` holds the hashes numbered `64·p ..` in stored
//! order, 32 bytes each, so a batch of appends writes a few rows of hashes instead of two rows
//! per entry (hash rows cost as much to insert as 1 KiB entries). Only the last page grows, by
//! an update inside the same transaction as the batch; every hash once written keeps its bytes.

use crate::store::{to_hash, Batch, Hook, Meta, Stage, Store, StoreError, Visit};
use accord_tlog::Hash;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::Path;

const SCHEMA_VERSION: i64 = 1;

/// A log store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    /// Hash pages already read. A committed hash never changes and a page only grows, so a
    /// cached page is a correct prefix; a hash beyond it is read again. Bounded by
    /// [`CACHE_LIMIT`] (cleared when full). Proofs read the same upper-level hashes again and
    /// again. Verification does not use it: it scans the rows.
    cache: crate::store::PageCache,
    /// Hashes at level [`UPPER_LEVEL`] and above, once read: few (2 per 2^UPPER_LEVEL leaves)
    /// and on the path of almost every proof. Bounded by [`UPPER_LIMIT`].
    upper: std::cell::RefCell<std::collections::HashMap<u64, Hash>>,
}

/// Levels from which single hashes are cached.
const UPPER_LEVEL: u32 = 6;
/// Most upper-level hashes cached (32 MiB; a 32-million-entry log has about a million).
const UPPER_LIMIT: usize = 1 << 20;

/// Stored hashes per row (2 KiB: a row fits in one SQLite page, so reading one costs one
/// page read).
pub const HASHES_PER_ROW: u64 = 64;
const PAGE: u64 = HASHES_PER_ROW;

/// A stored value as bytes: a BLOB as written, or TEXT (SQL such as `replace()` or `||` turns
/// a BLOB into TEXT), so that a changed value is reported where it is, not as a type error.
struct Bytes(Vec<u8>);

impl rusqlite::types::FromSql for Bytes {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match v {
            rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => Ok(Bytes(b.to_vec())),
            _ => Err(rusqlite::types::FromSqlError::InvalidType),
        }
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => StoreError::Corrupt(e.to_string()),
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) =>
        {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database for writing.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        crate::private::file(path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(backend)?;
        Self::setup(conn, true)
    }

    /// Opens an existing database for reading only.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotInitialised);
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(backend)?;
        Self::setup(conn, false)
    }

    fn setup(conn: Connection, write: bool) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(backend)?;
        if write {
            conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
            conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)?;
            if version == 0 {
                conn.execute_batch(
                    "BEGIN;
                     CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                     CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
                     CREATE TABLE IF NOT EXISTS hash_pages(page INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
                     CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note BLOB NOT NULL);
                     CREATE TABLE IF NOT EXISTS cosignatures(size INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY(size, line));
                     PRAGMA user_version = 1;
                     COMMIT;",
                )
                .map_err(backend)?;
            } else {
                // Stores made before cosignatures were kept.
                conn.execute_batch(
                    "CREATE TABLE IF NOT EXISTS cosignatures(size INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY(size, line));",
                )
                .map_err(backend)?;
            }
        }
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)?;
        if version != SCHEMA_VERSION {
            return Err(if version == 0 {
                StoreError::NotInitialised
            } else {
                StoreError::Corrupt(format!("schema version {version}; this accord reads version {SCHEMA_VERSION}"))
            });
        }
        Ok(SqliteStore {
            conn,
            cache: Default::default(),
            upper: Default::default(),
        })
    }

    /// Reads hash page `page` (its raw bytes).
    fn page(&self, page: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hashes FROM hash_pages WHERE page = ?1")
            .map_err(backend)?;
        let mut rows = stmt.query([page as i64]).map_err(backend)?;
        let Some(row) = rows.next().map_err(backend)? else {
            return Ok(None);
        };
        let Bytes(raw) = row
            .get(0)
            .map_err(|_| StoreError::Corrupt(format!("hash page {page} is not a blob")))?;
        Ok(Some(raw))
    }

    /// The number of stored hashes, from the last page.
    fn hash_count(conn: &Connection) -> Result<u64, StoreError> {
        let last: Option<(i64, i64)> = conn
            .query_row("SELECT page, length(hashes) FROM hash_pages ORDER BY page DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(backend)?;
        match last {
            None => Ok(0),
            Some((p, len)) if p >= 0 && len % 32 == 0 && len > 0 && len as u64 <= PAGE * 32 => Ok(p as u64 * PAGE + len as u64 / 32),
            Some((p, len)) => Err(StoreError::Corrupt(format!("hash page {p} holds {len} bytes"))),
        }
    }

    fn scan(&self, sql: &str, a: u64, b: Option<u64>, f: Visit<'_>) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let mut rows = match b {
            Some(b) => stmt.query(params![a as i64, b as i64]),
            None => stmt.query([]),
        }
        .map_err(backend)?;
        while let Some(row) = rows.next().map_err(backend)? {
            let k: i64 = row.get(0).map_err(backend)?;
            // A value that is not bytes (NULL, a number) is passed on as no bytes: the caller
            // then reports that row where it is, and goes on.
            let bytes = match row.get_ref(1).map_err(backend)? {
                rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => b,
                _ => &[],
            };
            f(k as u64, bytes)?;
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            // Already inside a transaction: its snapshot holds.
            return f();
        }
        self.conn.execute_batch("BEGIN").map_err(backend)?;
        let out = f();
        self.conn.execute_batch("COMMIT").map_err(backend)?;
        out
    }

    fn scan_cosignatures_desc(&self, f: &mut dyn FnMut(u64, &str) -> bool) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT size, line FROM cosignatures ORDER BY size DESC, rowid")
            .map_err(backend)?;
        let mut rows = st.query([]).map_err(backend)?;
        while let Some(r) = rows.next().map_err(backend)? {
            let size: i64 = r.get(0).map_err(backend)?;
            let line: String = r.get(1).map_err(backend)?;
            if !f(size as u64, &line) {
                break;
            }
        }
        Ok(())
    }

    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        if let Ok(m) = self.meta() {
            return Err(StoreError::AlreadyInitialised(m.origin));
        }
        let tx = self.conn.transaction().map_err(backend)?;
        for (k, v) in [("origin", &meta.origin), ("party", &meta.party), ("vkey", &meta.vkey)] {
            tx.execute("INSERT INTO meta(key, value) VALUES (?1, ?2)", params![k, v])
                .map_err(backend)?;
        }
        tx.execute("INSERT INTO checkpoints(size, note) VALUES (0, ?1)", params![checkpoint])
            .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn meta(&self) -> Result<Meta, StoreError> {
        let get = |k: &str| -> Result<Option<String>, StoreError> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                .optional()
                .map_err(backend)
        };
        match (get("origin")?, get("party")?, get("vkey")?) {
            (Some(origin), Some(party), Some(vkey)) => Ok(Meta { origin, party, vkey }),
            (None, None, None) => Err(StoreError::NotInitialised),
            _ => Err(StoreError::Corrupt("the meta table lacks origin, party or vkey".into())),
        }
    }

    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
            .map_err(backend)?;
        let row: Option<(i64, Vec<u8>)> = stmt
            .query_row([], |r| Ok((r.get(0)?, r.get::<_, Bytes>(1)?.0)))
            .optional()
            .map_err(backend)?;
        match row {
            Some((s, n)) if s >= 0 => Ok((s as u64, n)),
            Some((s, _)) => Err(StoreError::Corrupt(format!("a checkpoint with size {s}"))),
            None => Err(StoreError::NotInitialised),
        }
    }

    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        {
            let size: i64 = tx
                .query_row("SELECT size FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| r.get(0))
                .optional()
                .map_err(backend)?
                .ok_or(StoreError::NotInitialised)?;
            if size as u64 != batch.start {
                return Err(StoreError::Conflict {
                    want: size as u64,
                    got: batch.start,
                });
            }
            let hashes = Self::hash_count(&tx)?;
            if hashes != batch.hash_start {
                return Err(StoreError::Conflict {
                    want: hashes,
                    got: batch.hash_start,
                });
            }
            let mut ins = tx
                .prepare_cached("INSERT INTO entries(idx, data) VALUES (?1, ?2)")
                .map_err(backend)?;
            for (i, e) in batch.entries.iter().enumerate() {
                ins.execute(params![(batch.start + i as u64) as i64, e]).map_err(backend)?;
            }
            hook(Stage::Entries)?;
            let sealed = (batch.seal)()?;
            // Fill the last page, then add new ones.
            let mut id = batch.hash_start;
            let mut rest = &sealed.hashes[..];
            if !id.is_multiple_of(PAGE) && !rest.is_empty() {
                let page = id / PAGE;
                let take = ((PAGE - id % PAGE) as usize).min(rest.len());
                let mut blob: Vec<u8> = tx
                    .query_row("SELECT hashes FROM hash_pages WHERE page = ?1", [page as i64], |r| r.get(0))
                    .map_err(backend)?;
                for h in &rest[..take] {
                    blob.extend_from_slice(&h.0);
                }
                tx.execute("UPDATE hash_pages SET hashes = ?1 WHERE page = ?2", params![blob, page as i64])
                    .map_err(backend)?;
                id += take as u64;
                rest = &rest[take..];
            }
            let mut ins = tx
                .prepare_cached("INSERT INTO hash_pages(page, hashes) VALUES (?1, ?2)")
                .map_err(backend)?;
            for chunk in rest.chunks(PAGE as usize) {
                let blob: Vec<u8> = chunk.iter().flat_map(|h| h.0).collect();
                ins.execute(params![(id / PAGE) as i64, blob]).map_err(backend)?;
                id += chunk.len() as u64;
            }
            hook(Stage::Hashes)?;
            tx.execute(
                "INSERT INTO checkpoints(size, note) VALUES (?1, ?2)",
                params![batch.end() as i64, sealed.checkpoint],
            )
            .map_err(backend)?;
            hook(Stage::Checkpoint)?;
        }
        // An error above drops `tx`: SQLite rolls the whole batch back.
        tx.commit().map_err(backend)
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM entries WHERE idx = ?1")
            .map_err(backend)?;
        stmt.query_row([index as i64], |r| r.get::<_, Bytes>(0).map(|b| b.0))
            .optional()
            .map_err(backend)?
            .ok_or_else(|| StoreError::NotFound(format!("entry {index}")))
    }

    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        self.scan(
            "SELECT idx, data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            start,
            Some(end),
            f,
        )
    }

    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        self.cache.hash(id, PAGE, |page| self.page(page))
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let id = accord_tlog::merkle::stored_index(level, index);
        if level < UPPER_LEVEL {
            return self.hash(id);
        }
        if let Some(h) = self.upper.borrow().get(&id) {
            return Ok(*h);
        }
        let (page, at) = (id / PAGE, (id % PAGE) as usize * 32);
        let blob = self.page(page)?.ok_or_else(|| StoreError::NotFound(format!("stored hash {id}")))?;
        let raw = blob
            .get(at..at + 32)
            .ok_or_else(|| StoreError::NotFound(format!("stored hash {id}")))?;
        let h = to_hash(&format!("stored hash {id}"), raw)?;
        let mut c = self.upper.borrow_mut();
        if c.len() >= UPPER_LIMIT {
            c.clear();
        }
        c.insert(id, h);
        Ok(h)
    }

    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        if start >= end {
            return Ok(());
        }
        self.scan(
            "SELECT page, hashes FROM hash_pages WHERE page >= ?1 AND page <= ?2 ORDER BY page",
            start / PAGE,
            Some((end - 1) / PAGE),
            &mut |page, blob| crate::store::visit_page(page, blob, PAGE, (start, end), f),
        )
    }

    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        self.scan("SELECT size, note FROM checkpoints ORDER BY size", 0, None, f)
    }

    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")
            .map_err(backend)?;
        stmt.query_row([size as i64], |r| r.get::<_, Bytes>(0).map(|b| b.0))
            .optional()
            .map_err(backend)
    }

    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction().map_err(backend)?;
        let mut added = 0;
        {
            let mut ins = tx
                .prepare_cached("INSERT OR IGNORE INTO cosignatures(size, line) VALUES (?1, ?2)")
                .map_err(backend)?;
            for l in lines {
                added += ins.execute(params![size as i64, l]).map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(added)
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT line FROM cosignatures WHERE size = ?1 ORDER BY rowid")
            .map_err(backend)?;
        let rows = st.query_map([size as i64], |r| r.get::<_, String>(0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let c = |t: &str| -> Result<u64, StoreError> {
            self.conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(backend)
        };
        let hashes: i64 = self
            .conn
            .query_row("SELECT COALESCE(SUM(length(hashes)), 0) FROM hash_pages", [], |r| r.get(0))
            .map_err(backend)?;
        Ok((c("entries")?, hashes as u64 / 32, c("checkpoints")?))
    }
}
