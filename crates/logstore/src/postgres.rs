//! The PostgreSQL backend: one log in one schema of a database (several logs, the own and the
//! partner's mirror, share a database in schemas of their own), for a Party that runs its
//! record on a database cluster with a standby (docs/deploy.md).
//!
//! Schema (version 1, in `meta.schema_version`): `meta(key, value)`,
//! `entries(idx bigint primary key, data bytea)`, `hash_pages(page bigint primary key, hashes
//! bytea)` (64 stored hashes to a row, as the SQLite store keeps them), `checkpoints(size
//! bigint primary key, note bytea)`, `cosignatures(size, line, seq)`.
//!
//! One transaction per batch: the latest checkpoint's row locked (`SELECT … FOR UPDATE`), the
//! size and the stored-hash count checked, the entries, the hashes and the signed checkpoint
//! written, then `COMMIT` (durable under the server's `synchronous_commit`; with a synchronous
//! standby at `remote_apply`, on the standby too). Any error before `COMMIT` rolls the batch
//! back. A writer holds a session advisory lock on its log for as long as it is open, so a
//! second writer on the same log is refused at open (the log must never sign two trees of one
//! size); readers (`open_read_only`, a hot standby say) take no lock and read in `REPEATABLE
//! READ` snapshots ([`Store::in_snapshot`]).
//!
//! The client is `tokio-postgres`, driven on a thread of the store's own with a runtime of its
//! own: the [`Store`] trait is synchronous, and the synchronous `postgres` crate panics when
//! called inside a tokio runtime (a node calls its stores from one). Each call sends a closure
//! to that thread and waits for its answer; a transaction's statements go one call each, so
//! that the caller's commit hook and seal run between them, on the caller's thread.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use accord_tlog::Hash;
use tokio_postgres::types::ToSql;
/// A row, and what a column is read as, for the jobs given to [`PgClient::call`].
pub use tokio_postgres::{types::FromSql, Row};
use tokio_postgres::{Client, NoTls};

use crate::store::{Batch, Hook, Meta, Stage, Store, StoreError, Visit};

const SCHEMA_VERSION: &str = "1";
/// Stored hashes per row.
const PAGE: u64 = 64;

/// A PostgreSQL error as the stores report it.
pub fn pg(e: tokio_postgres::Error) -> StoreError {
    // A value of the wrong type (a column changed by hand) is the store's corruption, not the
    // connection's failure.
    if e.to_string().contains("error deserializing column") {
        return StoreError::Corrupt(e.to_string());
    }
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!("PostgreSQL: {} ({})", db.message(), db.code().code())),
        None => {
            // The cause (a missing socket, a refused password) is in the source chain.
            let mut text = format!("PostgreSQL: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            StoreError::Backend(text)
        }
    }
}

/// A connection, on its client's thread: what a job given to [`PgClient::call`] works with.
pub struct PgConn {
    rt: tokio::runtime::Runtime,
    client: Client,
    /// Statements prepared once per connection (an unprepared query costs the server a second
    /// round trip, to parse and describe it, every time).
    prepared: HashMap<String, tokio_postgres::Statement>,
    /// The server's notices (warnings) not yet taken, in order.
    notices: Arc<Mutex<Vec<String>>>,
}

/// A statement's parameters.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<tokio_postgres::Statement, StoreError> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.rt.block_on(self.client.prepare(sql)).map_err(pg)?;
        self.prepared.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// The rows of a query (prepared once per connection).
    pub fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let st = self.statement(sql)?;
        self.rt.block_on(self.client.query(&st, params)).map_err(pg)
    }

    /// Runs a statement (prepared once per connection); the rows it changed.
    pub fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        self.rt.block_on(self.client.execute(&st, params)).map_err(pg)
    }

    /// Runs statements without parameters (`BEGIN`, DDL).
    pub fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.rt.block_on(self.client.batch_execute(sql)).map_err(pg)
    }

    /// The server's notices since the last call, in order (a `COMMIT` whose wait for the
    /// synchronous standby was cancelled succeeds with a warning, for one).
    pub fn take_notices(&mut self) -> Vec<String> {
        self.notices.lock().map(|mut n| std::mem::take(&mut *n)).unwrap_or_default()
    }

    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut PgConn) -> Result<R, StoreError>) -> Result<R, StoreError> {
        self.batch("BEGIN")?;
        match f(self) {
            Ok(r) => {
                self.batch("COMMIT")?;
                Ok(r)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

type Job = Box<dyn FnOnce(&mut PgConn) + Send>;

/// A connection to PostgreSQL driven on a thread of its own (with a tokio runtime of its own),
/// so that synchronous code, inside a tokio runtime or not, can use it: each
/// [`PgClient::call`] runs a job on the connection, in order, and waits for its answer. Jobs
/// never interleave, so a transaction may span several calls.
pub struct PgClient {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Set when the connection ended (the server restarted, the session was terminated).
    closed: Arc<AtomicBool>,
}

impl PgClient {
    /// Connects to the database at `url` (`postgres://…`, or `host=/socket/folder dbname=…`).
    pub fn connect(url: &str) -> Result<PgClient, StoreError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel::<Result<(), StoreError>>(1);
        let url = url.to_owned();
        let closed = Arc::new(AtomicBool::new(false));
        let ended = closed.clone();
        let thread = std::thread::Builder::new()
            .name("accord-postgres".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(StoreError::Backend(format!("a runtime for PostgreSQL: {e}"))));
                        return;
                    }
                };
                let connected = rt.block_on(tokio_postgres::connect(&url, NoTls));
                let notices = Arc::new(Mutex::new(Vec::new()));
                let client = match connected {
                    Ok((client, mut connection)) => {
                        // The connection's I/O runs while a job waits on it (`block_on`); its
                        // notices are kept for the jobs to read.
                        let kept = notices.clone();
                        rt.spawn(async move {
                            while let Some(m) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                                match m {
                                    Ok(tokio_postgres::AsyncMessage::Notice(n)) => {
                                        if let Ok(mut k) = kept.lock() {
                                            k.push(format!("{}: {}", n.severity(), n.message()));
                                        }
                                    }
                                    Ok(_) => {}
                                    Err(_) => break,
                                }
                            }
                            ended.store(true, Ordering::Relaxed);
                        });
                        client
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(pg(e)));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let mut conn = PgConn {
                    rt,
                    client,
                    prepared: HashMap::new(),
                    notices,
                };
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Backend(format!("a thread for PostgreSQL: {e}")))?;
        let mut w = PgClient {
            jobs: Some(jobs),
            thread: Some(thread),
            closed,
        };
        match ready.recv() {
            Ok(Ok(())) => Ok(w),
            Ok(Err(e)) => {
                w.stop();
                Err(e)
            }
            Err(_) => {
                w.stop();
                Err(StoreError::Backend("the PostgreSQL thread stopped".into()))
            }
        }
    }

    /// Whether the connection has ended (every call fails from then on: make another).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Runs `f` on the connection and returns its answer.
    pub fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut PgConn) -> Result<R, StoreError> + Send + 'static) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.jobs
            .as_ref()
            .ok_or_else(|| StoreError::Backend("the PostgreSQL store is closed".into()))?
            .send(job)
            .map_err(|_| StoreError::Backend("the PostgreSQL thread stopped".into()))?;
        rx.recv().map_err(|_| StoreError::Backend("the PostgreSQL thread stopped".into()))?
    }

    fn stop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PgClient {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A log store in one schema of a PostgreSQL database.
pub struct PgStore {
    worker: PgClient,
    /// Inside a transaction (a batch, or a snapshot read): nested snapshots join it.
    in_tx: Cell<bool>,
    /// Hash pages read (a committed hash never changes, a page only grows; see the SQLite
    /// store).
    cache: crate::store::PageCache,
}

/// How a [`PgStore`] is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Appends: holds the log's advisory lock, creates the schema.
    Writer,
    /// Writes without the lock (cosignatures, a mirror): the schema must exist.
    Unlocked,
    /// Reads only, in read-only transactions: the schema must exist.
    Reader,
}

/// Whether `schema` exists in the connection's database.
pub fn schema_exists(c: &mut PgConn, schema: &str) -> Result<bool, StoreError> {
    Ok(!c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])?.is_empty())
}

/// A schema name: letters, digits and `_`, not starting with a digit (it is quoted into SQL).
pub fn check_schema(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "schema {schema:?}: letters, digits and _ only, at most 63, not starting with a digit"
        )))
    }
}

impl PgStore {
    /// Opens (creating if needed) the log in `schema` of the database at `url`
    /// (`postgres://user@host/db`, or `host=/run/postgresql dbname=accord` for a Unix socket)
    /// for writing. Refused while another writer holds the same log.
    pub fn open(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        Self::connect(url, schema, Mode::Writer)
    }

    /// Opens an existing log for reading only (a hot standby's connection, say).
    pub fn open_read_only(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        Self::connect(url, schema, Mode::Reader)
    }

    /// Opens an existing log for writing without its writer lock: to keep cosignatures beside
    /// its writer (they are outside the tree), or a mirror (which signs nothing). Two handles
    /// never both extend the log from one size: the second's batch waits on the latest
    /// checkpoint's row lock, then its entries collide with the first's keys, and it is rolled
    /// back with an error.
    pub fn open_unlocked(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        Self::connect(url, schema, Mode::Unlocked)
    }

    fn connect(url: &str, schema: &str, mode: Mode) -> Result<PgStore, StoreError> {
        check_schema(schema)?;
        let worker = PgClient::connect(url)?;
        let s = schema.to_owned();
        worker.call(move |c| {
            if mode != Mode::Writer && !schema_exists(c, &s)? {
                return Err(StoreError::NotInitialised);
            }
            if mode == Mode::Writer {
                // One writer per log, for as long as its connection lives.
                let key = format!("accord-log:{s}");
                let got: bool = c
                    .query("SELECT pg_try_advisory_lock(hashtext($1))", &[&key])?
                    .first()
                    .map(|r| r.get(0))
                    .unwrap_or(false);
                if !got {
                    return Err(StoreError::Backend(format!(
                        "the log in schema {s} is open for writing by another process (its advisory lock is held): one writer per log"
                    )));
                }
                // No statement timeout: a timed-out wait for the synchronous standby inside
                // COMMIT would commit here only.
                c.batch(&format!(
                    "SET statement_timeout = 0;
                     CREATE SCHEMA IF NOT EXISTS \"{s}\";
                     SET search_path TO \"{s}\";
                     CREATE TABLE IF NOT EXISTS meta(key text PRIMARY KEY, value text NOT NULL);
                     CREATE TABLE IF NOT EXISTS entries(idx bigint PRIMARY KEY, data bytea NOT NULL);
                     CREATE TABLE IF NOT EXISTS hash_pages(page bigint PRIMARY KEY, hashes bytea NOT NULL);
                     CREATE TABLE IF NOT EXISTS checkpoints(size bigint PRIMARY KEY, note bytea NOT NULL);
                     CREATE TABLE IF NOT EXISTS cosignatures(size bigint NOT NULL, line text NOT NULL, seq bigserial, PRIMARY KEY(size, line));"
                ))?;
            } else if mode == Mode::Unlocked {
                c.batch(&format!("SET search_path TO \"{s}\";"))?;
            } else {
                c.batch(&format!(
                    "SET search_path TO \"{s}\"; SET default_transaction_read_only = on;"
                ))?;
            }
            Ok(())
        })?;
        let store = PgStore {
            worker,
            in_tx: Cell::new(false),
            cache: crate::store::PageCache::default(),
        };
        // The schema's version, once written, must be this one.
        match store.meta_value("schema_version")? {
            Some(v) if v != SCHEMA_VERSION => Err(StoreError::Corrupt(format!(
                "schema version {v}; this accord reads version {SCHEMA_VERSION}"
            ))),
            _ => Ok(store),
        }
    }

    fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        let k = key.to_owned();
        self.worker.call(move |c| {
            let rows = c.query("SELECT value FROM meta WHERE key = $1", &[&k])?;
            rows.first().map(|r| r.try_get::<_, String>(0).map_err(pg)).transpose()
        })
    }

    fn page(&self, page: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.worker.call(move |c| {
            let rows = c.query("SELECT hashes FROM hash_pages WHERE page = $1", &[&(page as i64)])?;
            rows.first().map(|r| r.try_get::<_, Vec<u8>>(0).map_err(pg)).transpose()
        })
    }

    fn scan_rows(&self, sql: &'static str, a: i64, b: i64, f: Visit<'_>) -> Result<(), StoreError> {
        // Read in chunks, so a large range is neither one huge answer nor a round trip a row.
        const CHUNK: i64 = 4096;
        let mut from = a;
        loop {
            let rows: Vec<(i64, Vec<u8>)> = self.worker.call(move |c| {
                c.query(sql, &[&from, &b, &CHUNK])?
                    .iter()
                    .map(|r| Ok((r.try_get::<_, i64>(0).map_err(pg)?, r.try_get::<_, Vec<u8>>(1).map_err(pg)?)))
                    .collect()
            })?;
            let n = rows.len() as i64;
            for (k, v) in &rows {
                f(*k as u64, v)?;
            }
            match rows.last() {
                Some((k, _)) if n == CHUNK => from = k + 1,
                _ => return Ok(()),
            }
        }
    }

    fn rollback(&self) {
        let _ = self.worker.call(|c| c.batch("ROLLBACK"));
        self.in_tx.set(false);
    }

    fn commit_inner(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        let start = batch.start;
        let hash_start = batch.hash_start;
        // Marked before BEGIN: any error from here on rolls the transaction back.
        self.in_tx.set(true);
        let (size, hashes) = self.worker.call(move |c| {
            c.batch("BEGIN ISOLATION LEVEL READ COMMITTED")?;
            let size: i64 = c
                .query("SELECT size FROM checkpoints ORDER BY size DESC LIMIT 1 FOR UPDATE", &[])?
                .first()
                .map(|r| r.try_get(0).map_err(pg))
                .transpose()?
                .ok_or(StoreError::NotInitialised)?;
            let last: Option<(i64, i32)> = c
                .query("SELECT page, length(hashes) FROM hash_pages ORDER BY page DESC LIMIT 1", &[])?
                .first()
                .map(|r| Ok::<_, StoreError>((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .transpose()?;
            let hashes = match last {
                None => 0,
                Some((p, len)) if p >= 0 && len > 0 && len % 32 == 0 && len as u64 <= PAGE * 32 => p as u64 * PAGE + len as u64 / 32,
                Some((p, len)) => return Err(StoreError::Corrupt(format!("hash page {p} holds {len} bytes"))),
            };
            Ok((size as u64, hashes))
        })?;
        if size != start {
            return Err(StoreError::Conflict { want: size, got: start });
        }
        if hashes != hash_start {
            return Err(StoreError::Conflict {
                want: hashes,
                got: hash_start,
            });
        }
        let idx: Vec<i64> = (0..batch.entries.len() as i64).map(|i| start as i64 + i).collect();
        let data: Vec<Vec<u8>> = batch.entries.to_vec();
        self.worker.call(move |c| {
            c.execute(
                "INSERT INTO entries(idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
                &[&idx, &data],
            )
        })?;
        hook(Stage::Entries)?;
        let sealed = (batch.seal)()?;
        // Fill the last page, then add new ones.
        let mut id = hash_start;
        let mut rest: &[Hash] = &sealed.hashes;
        if !id.is_multiple_of(PAGE) && !rest.is_empty() {
            let page = (id / PAGE) as i64;
            let take = ((PAGE - id % PAGE) as usize).min(rest.len());
            let more: Vec<u8> = rest[..take].iter().flat_map(|h| h.0).collect();
            let n = self
                .worker
                .call(move |c| c.execute("UPDATE hash_pages SET hashes = hashes || $1 WHERE page = $2", &[&more, &page]))?;
            if n != 1 {
                return Err(StoreError::Corrupt(format!("hash page {page} is missing")));
            }
            id += take as u64;
            rest = &rest[take..];
        }
        let mut pages = Vec::new();
        let mut blobs = Vec::new();
        for chunk in rest.chunks(PAGE as usize) {
            pages.push((id / PAGE) as i64);
            blobs.push(chunk.iter().flat_map(|h| h.0).collect::<Vec<u8>>());
            id += chunk.len() as u64;
        }
        if !pages.is_empty() {
            self.worker.call(move |c| {
                c.execute(
                    "INSERT INTO hash_pages(page, hashes) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
                    &[&pages, &blobs],
                )
            })?;
        }
        hook(Stage::Hashes)?;
        let end = batch.end() as i64;
        let note = sealed.checkpoint;
        self.worker
            .call(move |c| c.execute("INSERT INTO checkpoints(size, note) VALUES ($1, $2)", &[&end, &note]))?;
        hook(Stage::Checkpoint)?;
        let committed = self.worker.call(|c| {
            c.take_notices();
            c.batch("COMMIT")?;
            // A COMMIT whose wait for the synchronous standby was cancelled (a statement
            // timeout, pg_cancel_backend) succeeds with only a warning: committed here, perhaps
            // not on the standby, so not to be acknowledged (a failover could lose it).
            match c.take_notices().into_iter().find(|n| n.contains("synchronous replication")) {
                Some(n) => Err(StoreError::Backend(format!(
                    "the commit was not confirmed by the synchronous standby ({n}); the batch is not acknowledged"
                ))),
                None => Ok(()),
            }
        });
        self.in_tx.set(false);
        committed
    }
}

impl Store for PgStore {
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        if let Ok(m) = self.meta() {
            return Err(StoreError::AlreadyInitialised(m.origin));
        }
        let (m, note) = (meta.clone(), checkpoint.to_vec());
        self.worker.call(move |c| {
            c.transaction(|c| {
                for (k, v) in [
                    ("schema_version", SCHEMA_VERSION),
                    ("origin", m.origin.as_str()),
                    ("party", m.party.as_str()),
                    ("vkey", m.vkey.as_str()),
                ] {
                    c.execute("INSERT INTO meta(key, value) VALUES ($1, $2)", &[&k, &v])?;
                }
                c.execute("INSERT INTO checkpoints(size, note) VALUES (0, $1)", &[&note])?;
                Ok(())
            })
        })
    }

    fn meta(&self) -> Result<Meta, StoreError> {
        let rows: Vec<(String, String)> = self.worker.call(|c| {
            c.query("SELECT key, value FROM meta WHERE key IN ('origin', 'party', 'vkey')", &[])?
                .iter()
                .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .collect()
        })?;
        let get = |k: &str| rows.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        match (get("origin"), get("party"), get("vkey")) {
            (Some(origin), Some(party), Some(vkey)) => Ok(Meta { origin, party, vkey }),
            (None, None, None) => Err(StoreError::NotInitialised),
            _ => Err(StoreError::Corrupt("the meta table lacks origin, party or vkey".into())),
        }
    }

    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        let row: Option<(i64, Vec<u8>)> = self.worker.call(|c| {
            c.query("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", &[])?
                .first()
                .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .transpose()
        })?;
        match row {
            Some((s, n)) if s >= 0 => Ok((s as u64, n)),
            Some((s, _)) => Err(StoreError::Corrupt(format!("a checkpoint with size {s}"))),
            None => Err(StoreError::NotInitialised),
        }
    }

    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        if self.in_tx.get() {
            return Err(StoreError::Backend("a batch inside a snapshot read".into()));
        }
        let out = self.commit_inner(batch, hook);
        if out.is_err() && self.in_tx.get() {
            // Anything before COMMIT is rolled back; a failed COMMIT has rolled back already
            // or, if the connection was lost during it, the caller rereads the size.
            self.rollback();
        }
        out
    }

    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        if self.in_tx.get() {
            return f();
        }
        self.worker.call(|c| c.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))?;
        self.in_tx.set(true);
        let out = f();
        let ended = self.worker.call(|c| c.batch("COMMIT"));
        self.in_tx.set(false);
        out.and(ended)
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let i = index as i64;
        self.worker
            .call(move |c| {
                c.query("SELECT data FROM entries WHERE idx = $1", &[&i])?
                    .first()
                    .map(|r| r.try_get::<_, Vec<u8>>(0).map_err(pg))
                    .transpose()
            })?
            .ok_or_else(|| StoreError::NotFound(format!("entry {index}")))
    }

    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        if start >= end {
            return Ok(());
        }
        self.scan_rows(
            "SELECT idx, data FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3",
            start as i64,
            end as i64,
            f,
        )
    }

    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        self.cache.hash(id, PAGE, |page| self.page(page))
    }

    /// One query for all the pages the hashes are on (a proof asks for a few dozen at once).
    fn nodes(&self, at: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        let ids: Vec<u64> = at.iter().map(|&(l, i)| accord_tlog::merkle::stored_index(l, i)).collect();
        let mut need: Vec<i64> = ids
            .iter()
            .filter(|&&id| !self.cache.holds(id, PAGE))
            .map(|id| (id / PAGE) as i64)
            .collect();
        need.sort_unstable();
        need.dedup();
        if !need.is_empty() {
            let pages: Vec<(i64, Vec<u8>)> = self.worker.call(move |c| {
                c.query("SELECT page, hashes FROM hash_pages WHERE page = ANY($1)", &[&need])?
                    .iter()
                    .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                    .collect()
            })?;
            for (p, b) in pages {
                self.cache.insert(p as u64, std::sync::Arc::new(b));
            }
        }
        ids.iter().map(|&id| self.hash(id)).collect()
    }

    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        if start >= end {
            return Ok(());
        }
        self.scan_rows(
            "SELECT page, hashes FROM hash_pages WHERE page >= $1 AND page <= $2 ORDER BY page LIMIT $3",
            (start / PAGE) as i64,
            ((end - 1) / PAGE) as i64,
            &mut |page, blob| crate::store::visit_page(page, blob, PAGE, (start, end), f),
        )
    }

    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        self.scan_rows(
            "SELECT size, note FROM checkpoints WHERE size >= $1 AND size <= $2 ORDER BY size LIMIT $3",
            0,
            i64::MAX,
            f,
        )
    }

    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let s = size as i64;
        self.worker.call(move |c| {
            c.query("SELECT note FROM checkpoints WHERE size = $1", &[&s])?
                .first()
                .map(|r| r.try_get::<_, Vec<u8>>(0).map_err(pg))
                .transpose()
        })
    }

    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let (e, h, c): (i64, i64, i64) = self.worker.call(|c| {
            let r = c.query(
                "SELECT (SELECT count(*) FROM entries), (SELECT COALESCE(sum(length(hashes)), 0)::bigint FROM hash_pages), (SELECT count(*) FROM checkpoints)",
                &[],
            )?;
            let r = r.first().ok_or_else(|| StoreError::Backend("no counts".into()))?;
            Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?, r.try_get(2).map_err(pg)?))
        })?;
        Ok((e as u64, h as u64 / 32, c as u64))
    }

    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        let s = size as i64;
        let lines = lines.to_vec();
        self.worker.call(move |c| {
            c.transaction(|c| {
                let mut added = 0;
                for l in &lines {
                    added += c.execute(
                        "INSERT INTO cosignatures(size, line) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&s, l],
                    )? as usize;
                }
                Ok(added)
            })
        })
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        let s = size as i64;
        self.worker.call(move |c| {
            c.query("SELECT line FROM cosignatures WHERE size = $1 ORDER BY seq", &[&s])?
                .iter()
                .map(|r| r.try_get(0).map_err(pg))
                .collect()
        })
    }

    fn scan_cosignatures_desc(&self, f: &mut dyn FnMut(u64, &str) -> bool) -> Result<(), StoreError> {
        let rows: Vec<(i64, String)> = self.worker.call(|c| {
            c.query("SELECT size, line FROM cosignatures ORDER BY size DESC, seq", &[])?
                .iter()
                .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .collect()
        })?;
        for (size, line) in rows {
            if !f(size as u64, &line) {
                break;
            }
        }
        Ok(())
    }
}
