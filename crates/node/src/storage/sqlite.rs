//! The embedded default: SQLite files in the node's folder. `log.db` (the own log, through
//! [`DataDir`]: its writer lock and read-only readers), `partner.db` (the mirror, built beside
//! and renamed into place), `witness.db`, `node.db` (token and session hashes, and the node's
//! own state by key), `view.snapshot`
//! (written to a temporary file, synced, renamed), `blobs/`, `choices/` (secrets, mode 0600).

use super::contract::{AuditRow, Backend, Held, Holder, TokenRow, TokenStore, AUDIT_KEEP};
use crate::error::NodeError;
use accord_logstore::dir::DirError;
use accord_logstore::mirror::Mirror;
use accord_logstore::sqlite::SqliteStore;
use accord_logstore::store::DynStore;
use accord_logstore::witness::{WitnessState, WitnessStore};
use accord_logstore::{DataDir, Log};
use accord_tlog::VerifierKey;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A node folder kept in SQLite files.
pub struct Sqlite {
    dir: DataDir,
    partners: Vec<String>,
    /// node.db, opened once for the node's state (the clock, the floor of signed requests):
    /// a value kept every few seconds must not reopen and re-check the file each time.
    state_db: Mutex<Option<SqliteTokens>>,
}

impl Sqlite {
    /// The folder at `root` of a node whose partners are `partners` (configuration order).
    pub fn new(root: &Path, partners: &[String]) -> Sqlite {
        Sqlite {
            dir: DataDir::new(root),
            partners: partners.to_vec(),
            state_db: Mutex::new(None),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.root().join(name)
    }

    /// The mirror of `party`'s log: `partner.db` for the first partner (the layout of a
    /// two-Party node), `partner-<PARTY>.db` for another (a Party code of letters and digits).
    fn mirror_file(&self, party: &str) -> Result<PathBuf, NodeError> {
        match super::contract::partner_of(&self.partners, party)? {
            0 => Ok(self.file("partner.db")),
            _ => Ok(self.file(&format!("partner-{}.db", super::contract::party_code(party)?))),
        }
    }
}

fn dir_err(e: DirError) -> NodeError {
    match e {
        DirError::Busy { .. } => NodeError::Unavailable(e.to_string()),
        DirError::Io { ref err, .. } if err.kind() == std::io::ErrorKind::NotFound => NodeError::NotFound(e.to_string()),
        DirError::Store(accord_logstore::StoreError::Corrupt(_)) => NodeError::Internal(e.to_string()),
        e => NodeError::Invalid(e.to_string()),
    }
}

fn at(path: &Path) -> impl FnOnce(accord_logstore::StoreError) -> NodeError + '_ {
    move |e| NodeError::Invalid(format!("{}: {e}", path.display()))
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn open_writer(&self) -> Result<(Log<DynStore>, Held), NodeError> {
        if !self.dir.exists() {
            return Err(dir_err(DirError::NoLog(self.dir.root().to_owned())));
        }
        let lock = self.dir.lock().map_err(dir_err)?;
        // A folder made by an earlier release may be open to others: closed to this user.
        let root = self.dir.root();
        accord_logstore::private::dir(root).map_err(|e| NodeError::Internal(format!("{}: {e}", root.display())))?;
        for f in ["log.db", "partner.db", "witness.db", "node.db"] {
            let path = self.file(f);
            if path.exists() {
                accord_logstore::private::file(&path).map_err(|e| NodeError::Internal(format!("{}: {e}", path.display())))?;
            }
        }
        let key = self.dir.signer().map_err(dir_err)?;
        let store: DynStore = Box::new(SqliteStore::open(&self.dir.db()).map_err(at(&self.dir.db()))?);
        let log = Log::open(store, key).map_err(|e| NodeError::Invalid(format!("{}: {e}", self.dir.db().display())))?;
        Ok((log, Box::new(lock)))
    }

    fn open_reader(&self) -> Result<DynStore, NodeError> {
        Ok(Box::new(self.dir.open_reader().map_err(dir_err)?))
    }

    fn open_cosigner(&self) -> Result<DynStore, NodeError> {
        Ok(Box::new(self.dir.open_cosigner().map_err(dir_err)?))
    }

    fn open_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        let path = self.mirror_file(party)?;
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(Box::new(SqliteStore::open(&path).map_err(at(&path))?)))
    }

    fn read_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        let path = self.mirror_file(party)?;
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(Box::new(SqliteStore::open_read_only(&path).map_err(at(&path))?)))
    }

    fn create_mirror(&self, vkey: &VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<DynStore, NodeError> {
        let path = self.mirror_file(party)?;
        if path.exists() {
            return Err(NodeError::Conflict(format!("{}: the mirror exists", path.display())));
        }
        let staging = path.with_extension("db.init");
        let _ = std::fs::remove_file(&staging);
        let store = SqliteStore::open(&staging).map_err(at(&staging))?;
        drop(Mirror::create(store, vkey.clone(), party, checkpoint0).map_err(|e| NodeError::Invalid(e.to_string()))?);
        std::fs::rename(&staging, &path).map_err(|e| NodeError::Internal(format!("{}: {e}", path.display())))?;
        Ok(Box::new(SqliteStore::open(&path).map_err(at(&path))?))
    }

    fn witness(&self) -> Result<Box<dyn WitnessStore>, NodeError> {
        let path = self.file("witness.db");
        Ok(Box::new(WitnessState::open(&path).map_err(at(&path))?))
    }

    fn tokens(&self) -> Result<Box<dyn TokenStore>, NodeError> {
        Ok(Box::new(SqliteTokens::open(&self.file("node.db"))?))
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, NodeError> {
        let path = self.file("view.snapshot");
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(NodeError::Internal(format!("{}: {e}", path.display()))),
        }
    }

    fn put_snapshot(&self, bytes: &[u8]) -> Result<(), NodeError> {
        // It holds every notification of both logs: readable by the node's user only.
        let path = self.file("view.snapshot");
        super::files::write_private(&path, bytes).map_err(|e| NodeError::Internal(format!("{}: {e}", path.display())))?;
        if let Ok(d) = std::fs::File::open(self.dir.root()) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn blob(&self, hex: &str) -> Result<Vec<u8>, NodeError> {
        self.dir.blob(hex).map_err(dir_err)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<String, NodeError> {
        self.dir.put_blob(bytes).map_err(|e| NodeError::Internal(e.to_string()))
    }

    fn remove_secret(&self, name: &str) -> Result<(), NodeError> {
        super::files::remove_secret(self.dir.root(), name)
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, NodeError> {
        // Read-only: reading a stopped node's folder writes nothing (no table is created).
        let path = self.file("node.db");
        if !path.exists() {
            return Ok(None);
        }
        let c = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
        let has: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'state'",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if has == 0 {
            return Ok(None);
        }
        c.query_row("SELECT value FROM state WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql)
    }

    fn put_state(&self, key: &str, bytes: &[u8]) -> Result<(), NodeError> {
        let mut db = self
            .state_db
            .lock()
            .map_err(|_| NodeError::Internal("node.db: state handle poisoned".into()))?;
        let t = match &mut *db {
            Some(t) => t,
            slot @ None => slot.insert(SqliteTokens::open(&self.file("node.db"))?),
        };
        let c = t.conn()?;
        c.execute(
            "INSERT INTO state(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, bytes],
        )
        .map(|_| ())
        .map_err(sql)
    }

    fn secret(&self, name: &str) -> Result<Option<Vec<u8>>, NodeError> {
        super::files::secret(self.dir.root(), name)
    }

    fn put_secret(&self, name: &str, bytes: &[u8]) -> Result<(), NodeError> {
        super::files::put_secret(self.dir.root(), name, bytes)
    }
}

/// Token and session hashes in `node.db`.
pub struct SqliteTokens {
    conn: Mutex<Connection>,
}

fn holder(r: &rusqlite::Row<'_>) -> rusqlite::Result<Holder> {
    Ok(Holder {
        role: r.get(0)?,
        name: r.get(1)?,
        token: r.get(2)?,
    })
}

fn sql(e: rusqlite::Error) -> NodeError {
    NodeError::Internal(format!("node.db: {e}"))
}

impl SqliteTokens {
    /// Opens (creating) the token file.
    pub fn open(path: &Path) -> Result<SqliteTokens, NodeError> {
        let at = |e: rusqlite::Error| NodeError::Invalid(format!("{}: {e}", path.display()));
        accord_logstore::private::file(path).map_err(|e| NodeError::Internal(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(at)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(at)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS tokens(hash BLOB PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL,
                 expires INTEGER, revoked INTEGER);
             CREATE TABLE IF NOT EXISTS sessions(hash BLOB PRIMARY KEY, role TEXT NOT NULL, expires INTEGER NOT NULL, token BLOB);
             CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
                 client TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL);",
        )
        .map_err(at)?;
        // A node.db of an earlier release: the columns expiry and revocation need. Its
        // sessions name no token, so they end (sign in again).
        for (table, column) in [("tokens", "expires"), ("tokens", "revoked"), ("sessions", "token")] {
            let has: bool = conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
                    [column],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(at)?
                > 0;
            if !has {
                let kind = if column == "token" { "BLOB" } else { "INTEGER" };
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))
                    .map_err(at)?;
            }
        }
        Ok(SqliteTokens { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, NodeError> {
        self.conn
            .lock()
            .map_err(|_| NodeError::Internal("the token store's lock is poisoned".into()))
    }
}

impl TokenStore for SqliteTokens {
    fn add_token(&self, row: &TokenRow) -> Result<(), NodeError> {
        self.conn()?
            .execute(
                "INSERT INTO tokens(hash, role, name, created, expires, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![row.hash, row.role, row.name, row.created, row.expires, row.revoked],
            )
            .map(|_| ())
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    NodeError::Conflict("a token with this hash exists".into())
                }
                e => sql(e),
            })
    }

    fn token_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        self.conn()?
            .query_row(
                "SELECT role, name, hash FROM tokens WHERE hash = ?1 AND revoked IS NULL AND (expires IS NULL OR expires >= ?2)",
                params![hash, now],
                holder,
            )
            .optional()
            .map_err(sql)
    }

    fn add_session(&self, hash: &[u8], token: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError> {
        let c = self.conn()?;
        c.execute("DELETE FROM sessions WHERE expires < ?1", [now]).map_err(sql)?;
        c.execute(
            "INSERT INTO sessions(hash, role, expires, token) VALUES (?1, ?2, ?3, ?4)",
            params![hash, role, expires, token],
        )
        .map(|_| ())
        .map_err(sql)
    }

    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError> {
        self.conn()?
            .execute("DELETE FROM sessions WHERE hash = ?1", [hash])
            .map(|n| n > 0)
            .map_err(sql)
    }

    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        self.conn()?
            .query_row(
                "SELECT s.role, t.name, t.hash FROM sessions s JOIN tokens t ON t.hash = s.token
                 WHERE s.hash = ?1 AND s.expires >= ?2 AND t.revoked IS NULL AND (t.expires IS NULL OR t.expires >= ?2)",
                params![hash, now],
                holder,
            )
            .optional()
            .map_err(sql)
    }

    fn revoke(&self, hashes: &[Vec<u8>], now: i64) -> Result<usize, NodeError> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(sql)?;
        let mut n = 0;
        for h in hashes {
            n += tx
                .execute(
                    "UPDATE tokens SET revoked = ?2 WHERE hash = ?1 AND revoked IS NULL",
                    params![h, now],
                )
                .map_err(sql)?;
            tx.execute("DELETE FROM sessions WHERE token = ?1", [h]).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(n)
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, NodeError> {
        let c = self.conn()?;
        let mut q = c
            .prepare("SELECT hash, role, name, created, expires, revoked FROM tokens ORDER BY created, rowid")
            .map_err(sql)?;
        let rows = q
            .query_map([], |r| {
                Ok(TokenRow {
                    hash: r.get(0)?,
                    role: r.get(1)?,
                    name: r.get(2)?,
                    created: r.get(3)?,
                    expires: r.get(4)?,
                    revoked: r.get(5)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    fn audit(&self, rows: &[AuditRow]) -> Result<(), NodeError> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(sql)?;
        for r in rows {
            tx.execute(
                "INSERT INTO audit(at, who, role, client, method, path, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.at, r.who, r.role, r.client, r.method, r.path, r.status],
            )
            .map_err(sql)?;
        }
        let last: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))
            .map_err(sql)?;
        tx.execute("DELETE FROM audit WHERE seq <= ?1", [last - AUDIT_KEEP as i64])
            .map_err(sql)?;
        tx.commit().map_err(sql)
    }

    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, NodeError> {
        let c = self.conn()?;
        let mut q = c
            .prepare("SELECT seq, at, who, role, client, method, path, status FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(sql)?;
        let rows = q
            .query_map(params![after as i64, limit as i64], |r| {
                Ok(AuditRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    who: r.get(2)?,
                    role: r.get(3)?,
                    client: r.get(4)?,
                    method: r.get(5)?,
                    path: r.get(6)?,
                    status: r.get(7)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql)
    }
}
