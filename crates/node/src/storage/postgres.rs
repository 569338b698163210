//! A node on PostgreSQL (`[store] url = "postgres://…"`, or `host=/run/postgresql
//! dbname=accord`): what the SQLite backend keeps in files, kept in schemas of one database,
//! each named after the node's Party (so that several nodes may share a database):
//!
//! | schema | what |
//! |---|---|
//! | `<party>_log` | the own log ([`PgStore`]: entries, stored hashes, checkpoints, cosignatures) |
//! | `<party>_mirror_<partner>` | each partner's mirror |
//! | `<party>_witness` | what this node cosigned of its partners' logs, fork evidence ([`PgWitness`]) |
//! | `<party>_node` | tokens, sign-ins, the audit log, the node's state (the treaty clock, the floor of signed requests), the view's snapshot, blobs |
//!
//! The folder keeps what must never leave the Party's host: the keys (`log.key`, `node.key`),
//! the commit–reveal secrets (`choices/`, [`super::files`]), the writer's folder lock, and
//! `store.toml` (written by `accord serve init --store`: the database's address, read when the
//! configuration names no `[store] url`, and the Party).
//!
//! Invariants: one writer per own log, held twice over, by the folder's lock and by the database's
//! advisory lock of the log's schema (a second node on another host, pointed at the same
//! database, is refused; a mirror signs nothing, so its handles take no lock, and each batch
//! is checked against its latest size under a row lock); readers use read-only connections, to `[store] read_url` (a hot
//! standby) when it is set, each read in one snapshot; a log or mirror exists once its meta
//! and its size-0 checkpoint are committed, in one transaction, and not before.

use super::contract::{AuditRow, Backend, Held, Holder, TokenRow, TokenStore, AUDIT_KEEP};
use crate::error::NodeError;
use accord_logstore::mirror::Mirror;
use accord_logstore::pg_witness::PgWitness;
use accord_logstore::postgres::{pg, PgClient, PgConn, PgStore};
use accord_logstore::store::{DynStore, Store};
use accord_logstore::witness::WitnessStore;
use accord_logstore::{DataDir, Log, StoreError};
use accord_tlog::VerifierKey;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A node whose logs and state are in a PostgreSQL database.
pub struct Postgres {
    dir: DataDir,
    url: String,
    read_url: String,
    prefix: String,
    partners: Vec<String>,
    /// The connection for the node's own tables, shared by every handle this backend gives.
    node: Arc<NodeConn>,
}

/// The schema of Party `party`'s own log.
pub fn log_schema(party: &str) -> String {
    format!("{}_log", party.to_ascii_lowercase())
}

/// A database error: damage is Internal; the rest (the server unreachable, a statement
/// refused) is Unavailable, a condition to retry or fix outside the node.
fn db(e: StoreError) -> NodeError {
    match e {
        StoreError::Corrupt(_) => NodeError::Internal(e.to_string()),
        e => NodeError::Unavailable(e.to_string()),
    }
}

/// The tables of the node's own state, in its `<party>_node` schema.
const NODE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS tokens(hash bytea PRIMARY KEY, role text NOT NULL, name text NOT NULL,
        created bigint NOT NULL, expires bigint, revoked bigint, seq bigserial);
    CREATE TABLE IF NOT EXISTS sessions(hash bytea PRIMARY KEY, role text NOT NULL, expires bigint NOT NULL, token bytea NOT NULL);
    CREATE TABLE IF NOT EXISTS state(key text PRIMARY KEY, value bytea NOT NULL);
    CREATE TABLE IF NOT EXISTS audit(seq bigserial PRIMARY KEY, at bigint NOT NULL, who text NOT NULL, role text NOT NULL,
        client text NOT NULL, method text NOT NULL, path text NOT NULL, status integer NOT NULL);
    CREATE TABLE IF NOT EXISTS blobs(name text PRIMARY KEY, data bytea NOT NULL);
    CREATE TABLE IF NOT EXISTS snapshot(id smallint PRIMARY KEY CHECK (id = 1), data bytea NOT NULL);";

impl Postgres {
    /// The node of Party `party` (folder `root`, partners `partners` in configuration order)
    /// on the database at `url`, reading from `read_url` (a standby) when given.
    pub fn new(url: &str, read_url: Option<&str>, root: &Path, party: &str, partners: &[String]) -> Postgres {
        Postgres {
            dir: DataDir::new(root),
            url: url.to_owned(),
            read_url: read_url.unwrap_or(url).to_owned(),
            prefix: party.to_ascii_lowercase(),
            partners: partners.to_vec(),
            node: Arc::new(NodeConn {
                url: url.to_owned(),
                schema: format!("{}_node", party.to_ascii_lowercase()),
                slot: Mutex::new(None),
            }),
        }
    }

    /// The own log's schema, `<party>_log` (a Party code that is no schema name is refused
    /// here, before any SQL is made of it).
    fn log_schema(&self) -> Result<String, NodeError> {
        let schema = log_schema(&self.prefix);
        accord_logstore::postgres::check_schema(&schema).map_err(|e| NodeError::Invalid(format!("party: {e}")))?;
        Ok(schema)
    }

    fn mirror_schema(&self, party: &str) -> Result<String, NodeError> {
        super::contract::partner_of(&self.partners, party)?;
        Ok(format!(
            "{}_mirror_{}",
            self.prefix,
            super::contract::party_code(party)?.to_ascii_lowercase()
        ))
    }

    /// The node's own schema, `<party>_node`.
    fn node_schema(&self) -> Result<String, NodeError> {
        let schema = format!("{}_node", self.prefix);
        accord_logstore::postgres::check_schema(&schema).map_err(|e| NodeError::Invalid(format!("party: {e}")))?;
        Ok(schema)
    }

    /// Makes the node's own tables (at init, and when its writer opens: a database made by an
    /// earlier release gets the tables it lacks).
    fn create_tables(&self) -> Result<(), NodeError> {
        let schema = self.node_schema()?;
        self.node.call(move |c| {
            c.batch(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET search_path TO \"{schema}\"; {NODE_TABLES}"
            ))
        })
    }

    /// The Party's code as its schemas begin (lower case).
    pub fn party(&self) -> &str {
        &self.prefix
    }

    /// The schemas this Party's node has in the database (`<party>_…`), each a valid name.
    pub fn schemas(&self) -> Result<Vec<String>, NodeError> {
        let p = self.prefix.clone();
        let names: Vec<String> = self.node.call(move |c| {
            c.query(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname",
                &[&format!("{p}\\_%")],
            )?
            .iter()
            .map(|r| r.try_get(0).map_err(pg))
            .collect()
        })?;
        Ok(names
            .into_iter()
            .filter(|n| accord_logstore::postgres::check_schema(n).is_ok())
            .collect())
    }

    /// The Parties whose mirrors this node keeps (from the schemas `<party>_mirror_<partner>`),
    /// in lower case.
    pub fn mirrored(&self) -> Result<Vec<String>, NodeError> {
        let head = format!("{}_mirror_", self.prefix);
        Ok(self
            .schemas()?
            .into_iter()
            .filter_map(|s| s.strip_prefix(&head).map(str::to_owned))
            .collect())
    }

    /// The mirror of partner `party` (any case), read-only, if it exists: for checking a
    /// stopped node's folder without its configuration.
    pub fn read_mirror_of(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        let schema = format!(
            "{}_mirror_{}",
            self.prefix,
            super::contract::party_code(party)?.to_ascii_lowercase()
        );
        if !self.exists(&schema)? {
            return Ok(None);
        }
        Ok(Some(Box::new(
            PgStore::open_read_only(&self.read_url, &schema).map_err(|e| store_err(&schema, e))?,
        )))
    }

    /// Whether the log in `schema` exists: its meta is committed (a schema whose creation
    /// stopped before it is no log).
    fn exists(&self, schema: &str) -> Result<bool, NodeError> {
        // The name is quoted into SQL below: letters, digits and `_` only.
        accord_logstore::postgres::check_schema(schema).map_err(|e| NodeError::Invalid(format!("party: {e}")))?;
        let s = schema.to_owned();
        self.node.call(move |c| {
            let t = format!("\"{s}\".meta");
            let has: bool = c.query("SELECT to_regclass($1) IS NOT NULL", &[&t])?[0].try_get(0).map_err(pg)?;
            if !has {
                return Ok(false);
            }
            Ok(!c
                .query(&format!("SELECT 1 FROM \"{s}\".meta WHERE key = 'origin'"), &[])?
                .is_empty())
        })
    }

    /// Creates the own log (origin and Party in `key` and `party`) in the database, in one
    /// transaction; refuses if one exists.
    pub fn create_log(&self, key: accord_tlog::SignerKey, party: &str) -> Result<VerifierKey, NodeError> {
        let schema = self.log_schema()?;
        // Nothing of an earlier node of this Party is adopted (its tokens, its mirror).
        let found = self.schemas()?;
        if !found.is_empty() {
            return Err(NodeError::Conflict(format!(
                "the database already holds this Party's schemas ({}): one node per Party and database; drop them first if they are no longer needed",
                found.join(", ")
            )));
        }
        let store = PgStore::open(&self.url, &schema).map_err(|e| store_err(&schema, e))?;
        let log = Log::create(store, key, party).map_err(|e| NodeError::Invalid(format!("schema {schema}: {e}")))?;
        self.create_tables()?;
        Ok(log.verifier())
    }

    /// The verifier key the database's log of this Party records, if it has one.
    pub fn log_key(&self) -> Result<Option<String>, NodeError> {
        let schema = self.log_schema()?;
        if !self.exists(&schema)? {
            return Ok(None);
        }
        let store = PgStore::open_read_only(&self.url, &schema).map_err(|e| store_err(&schema, e))?;
        Ok(Some(store.meta().map_err(|e| store_err(&schema, e))?.vkey))
    }

    /// Drops everything this node keeps in the database: the undoing of a failed init, which
    /// refused to start while any of these schemas existed.
    pub fn drop_all(&self) -> Result<(), NodeError> {
        for s in self.schemas()? {
            self.node.call(move |c| c.batch(&format!("DROP SCHEMA \"{s}\" CASCADE")))?;
        }
        self.node.reset();
        Ok(())
    }
}

/// A store error of the log in `schema`, as the node reports it: a second writer is
/// Unavailable, the rest names the schema.
fn store_err(schema: &str, e: StoreError) -> NodeError {
    match e {
        StoreError::Backend(m) if m.contains("advisory lock") => NodeError::Unavailable(m),
        StoreError::NotInitialised => {
            NodeError::NotFound(format!("no log in schema {schema} of the database (accord serve init --store URL)"))
        }
        StoreError::Corrupt(m) => NodeError::Internal(format!("schema {schema}: {m}")),
        e @ StoreError::Backend(_) => NodeError::Unavailable(format!("schema {schema}: {e}")),
        e => NodeError::Invalid(format!("schema {schema}: {e}")),
    }
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn open_writer(&self) -> Result<(Log<DynStore>, Held), NodeError> {
        let lock = self.dir.lock().map_err(|e| match e {
            accord_logstore::dir::DirError::Busy { .. } => NodeError::Unavailable(e.to_string()),
            e => NodeError::Invalid(e.to_string()),
        })?;
        let root = self.dir.root();
        accord_logstore::private::dir(root).map_err(|e| NodeError::Internal(format!("{}: {e}", root.display())))?;
        let schema = self.log_schema()?;
        if !self.exists(&schema)? {
            return Err(store_err(&schema, StoreError::NotInitialised));
        }
        self.create_tables()?;
        let key = self.dir.signer().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let store: DynStore = Box::new(PgStore::open(&self.url, &schema).map_err(|e| store_err(&schema, e))?);
        let log = Log::open(store, key).map_err(|e| NodeError::Invalid(format!("schema {schema}: {e}")))?;
        Ok((log, Box::new(lock)))
    }

    fn open_reader(&self) -> Result<DynStore, NodeError> {
        let schema = self.log_schema()?;
        Ok(Box::new(
            PgStore::open_read_only(&self.read_url, &schema).map_err(|e| store_err(&schema, e))?,
        ))
    }

    fn open_cosigner(&self) -> Result<DynStore, NodeError> {
        let schema = self.log_schema()?;
        Ok(Box::new(
            PgStore::open_unlocked(&self.url, &schema).map_err(|e| store_err(&schema, e))?,
        ))
    }

    fn open_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        let schema = self.mirror_schema(party)?;
        if !self.exists(&schema)? {
            return Ok(None);
        }
        Ok(Some(Box::new(
            PgStore::open_unlocked(&self.url, &schema).map_err(|e| store_err(&schema, e))?,
        )))
    }

    fn read_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        let schema = self.mirror_schema(party)?;
        match PgStore::open_read_only(&self.read_url, &schema) {
            Ok(s) => match s.meta() {
                Ok(_) => Ok(Some(Box::new(s))),
                Err(StoreError::NotInitialised) => Ok(None),
                Err(e) => Err(store_err(&schema, e)),
            },
            Err(StoreError::NotInitialised) => Ok(None),
            Err(e) => Err(store_err(&schema, e)),
        }
    }

    fn create_mirror(&self, vkey: &VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<DynStore, NodeError> {
        let schema = self.mirror_schema(party)?;
        if self.exists(&schema)? {
            return Err(NodeError::Conflict(format!("schema {schema}: the mirror exists")));
        }
        let store = PgStore::open(&self.url, &schema).map_err(|e| store_err(&schema, e))?;
        // Its meta and size-0 checkpoint in one transaction: whole or not at all.
        drop(Mirror::create(store, vkey.clone(), party, checkpoint0).map_err(|e| NodeError::Invalid(e.to_string()))?);
        Ok(Box::new(
            PgStore::open_unlocked(&self.url, &schema).map_err(|e| store_err(&schema, e))?,
        ))
    }

    fn witness(&self) -> Result<Box<dyn WitnessStore>, NodeError> {
        let schema = format!("{}_witness", self.prefix);
        Ok(Box::new(PgWitness::open(&self.url, &schema).map_err(|e| store_err(&schema, e))?))
    }

    fn tokens(&self) -> Result<Box<dyn TokenStore>, NodeError> {
        Ok(Box::new(PgTokens { node: self.node.clone() }))
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, NodeError> {
        self.node.call(|c| first(c.query("SELECT data FROM snapshot WHERE id = 1", &[])?))
    }

    fn put_snapshot(&self, bytes: &[u8]) -> Result<(), NodeError> {
        let b = bytes.to_vec();
        self.node
            .call(move |c| {
                c.execute(
                    "INSERT INTO snapshot(id, data) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                    &[&b],
                )
            })
            .map(|_| ())
    }

    fn blob(&self, hex: &str) -> Result<Vec<u8>, NodeError> {
        let name = hex.to_owned();
        let got: Option<Vec<u8>> = self
            .node
            .call(move |c| first(c.query("SELECT data FROM blobs WHERE name = $1", &[&name])?))?;
        let bytes = got.ok_or_else(|| NodeError::NotFound(format!("blob {hex}")))?;
        if accord_logstore::dir::sha256_hex(&bytes) != hex {
            return Err(NodeError::Internal(format!("blob {hex}: its bytes do not hash to its name")));
        }
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<String, NodeError> {
        let name = accord_logstore::dir::sha256_hex(bytes);
        let (n, b) = (name.clone(), bytes.to_vec());
        self.node.call(move |c| {
            c.execute(
                "INSERT INTO blobs(name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&n, &b],
            )
        })?;
        Ok(name)
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, NodeError> {
        let k = key.to_owned();
        self.node
            .call(move |c| first(c.query("SELECT value FROM state WHERE key = $1", &[&k])?))
    }

    fn put_state(&self, key: &str, bytes: &[u8]) -> Result<(), NodeError> {
        let (k, b) = (key.to_owned(), bytes.to_vec());
        self.node
            .call(move |c| {
                c.execute(
                    "INSERT INTO state(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&k, &b],
                )
            })
            .map(|_| ())
    }

    fn secret(&self, name: &str) -> Result<Option<Vec<u8>>, NodeError> {
        super::files::secret(self.dir.root(), name)
    }

    fn put_secret(&self, name: &str, bytes: &[u8]) -> Result<(), NodeError> {
        super::files::put_secret(self.dir.root(), name, bytes)
    }

    fn remove_secret(&self, name: &str) -> Result<(), NodeError> {
        super::files::remove_secret(self.dir.root(), name)
    }
}

/// The first row's first column, if there is a row.
fn first<T: for<'a> accord_logstore::postgres::FromSql<'a>>(rows: Vec<accord_logstore::postgres::Row>) -> Result<Option<T>, StoreError> {
    rows.first().map(|r| r.try_get(0).map_err(pg)).transpose()
}

/// The connection to the node's own schema: made on first use, and again once it has ended (a
/// server restart), so that tokens, sign-ins and the node's state work again without the node
/// restarting (a value kept every few seconds must not reconnect each time). It reads and
/// writes the tables [`Postgres::create_tables`] makes; reading a stopped node's folder writes
/// nothing.
struct NodeConn {
    url: String,
    schema: String,
    slot: Mutex<Option<Arc<PgClient>>>,
}

impl NodeConn {
    fn get(&self) -> Result<Arc<PgClient>, NodeError> {
        let mut slot = self
            .slot
            .lock()
            .map_err(|_| NodeError::Internal("the PostgreSQL node handle is poisoned".into()))?;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        accord_logstore::postgres::check_schema(&self.schema).map_err(|e| NodeError::Invalid(format!("party: {e}")))?;
        let c = PgClient::connect(&self.url).map_err(db)?;
        let schema = self.schema.clone();
        c.call(move |c| c.batch(&format!("SET search_path TO \"{schema}\""))).map_err(db)?;
        let c = Arc::new(c);
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs `f` on the connection; if the connection turns out to have ended (the server
    /// restarted since the last call), once more on a new one.
    fn call<R: Send + 'static>(&self, f: impl Fn(&mut PgConn) -> Result<R, StoreError> + Send + Sync + 'static) -> Result<R, NodeError> {
        let f = Arc::new(f);
        let c = self.get()?;
        let g = f.clone();
        match c.call(move |conn| g(conn)) {
            Err(_) if c.is_closed() => self.get()?.call(move |conn| f(conn)).map_err(db),
            r => r.map_err(db),
        }
    }

    fn reset(&self) {
        if let Ok(mut s) = self.slot.lock() {
            *s = None;
        }
    }
}

/// Token and session hashes, and the audit log, in the node's schema.
struct PgTokens {
    node: Arc<NodeConn>,
}

impl PgTokens {
    fn call<R: Send + 'static>(&self, f: impl Fn(&mut PgConn) -> Result<R, StoreError> + Send + Sync + 'static) -> Result<R, NodeError> {
        self.node.call(f)
    }
}

fn holder(rows: Vec<accord_logstore::postgres::Row>) -> Result<Option<Holder>, StoreError> {
    rows.first()
        .map(|r| {
            Ok(Holder {
                role: r.try_get(0).map_err(pg)?,
                name: r.try_get(1).map_err(pg)?,
                token: r.try_get(2).map_err(pg)?,
            })
        })
        .transpose()
}

impl TokenStore for PgTokens {
    fn add_token(&self, row: &TokenRow) -> Result<(), NodeError> {
        let r = row.clone();
        let added = self.call(move |c| {
            c.execute(
                "INSERT INTO tokens(hash, role, name, created, expires, revoked) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                &[&r.hash, &r.role, &r.name, &r.created, &r.expires, &r.revoked],
            )
        })?;
        if added == 0 {
            return Err(NodeError::Conflict("a token with this hash exists".into()));
        }
        Ok(())
    }

    fn token_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        let h = hash.to_vec();
        self.call(move |c| {
            holder(c.query(
                "SELECT role, name, hash FROM tokens WHERE hash = $1 AND revoked IS NULL AND (expires IS NULL OR expires >= $2)",
                &[&h, &now],
            )?)
        })
    }

    fn add_session(&self, hash: &[u8], token: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError> {
        let (h, t, r) = (hash.to_vec(), token.to_vec(), role.to_owned());
        self.call(move |c| {
            c.transaction(|c| {
                c.execute("DELETE FROM sessions WHERE expires < $1", &[&now])?;
                c.execute(
                    "INSERT INTO sessions(hash, role, expires, token) VALUES ($1, $2, $3, $4)",
                    &[&h, &r, &expires, &t],
                )?;
                Ok(())
            })
        })
    }

    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError> {
        let h = hash.to_vec();
        self.call(move |c| Ok(c.execute("DELETE FROM sessions WHERE hash = $1", &[&h])? > 0))
    }

    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        let h = hash.to_vec();
        self.call(move |c| {
            holder(c.query(
                "SELECT s.role, t.name, t.hash FROM sessions s JOIN tokens t ON t.hash = s.token
                 WHERE s.hash = $1 AND s.expires >= $2 AND t.revoked IS NULL AND (t.expires IS NULL OR t.expires >= $2)",
                &[&h, &now],
            )?)
        })
    }

    fn revoke(&self, hashes: &[Vec<u8>], now: i64) -> Result<usize, NodeError> {
        let hashes = hashes.to_vec();
        self.call(move |c| {
            c.transaction(|c| {
                let mut n = 0;
                for h in &hashes {
                    n += c.execute("UPDATE tokens SET revoked = $2 WHERE hash = $1 AND revoked IS NULL", &[h, &now])? as usize;
                    c.execute("DELETE FROM sessions WHERE token = $1", &[h])?;
                }
                Ok(n)
            })
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, NodeError> {
        self.call(|c| {
            c.query(
                "SELECT hash, role, name, created, expires, revoked FROM tokens ORDER BY created, seq",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(TokenRow {
                    hash: r.try_get(0).map_err(pg)?,
                    role: r.try_get(1).map_err(pg)?,
                    name: r.try_get(2).map_err(pg)?,
                    created: r.try_get(3).map_err(pg)?,
                    expires: r.try_get(4).map_err(pg)?,
                    revoked: r.try_get(5).map_err(pg)?,
                })
            })
            .collect()
        })
    }

    fn audit(&self, rows: &[AuditRow]) -> Result<(), NodeError> {
        let rows = rows.to_vec();
        self.call(move |c| {
            c.transaction(|c| {
                for r in &rows {
                    c.execute(
                        "INSERT INTO audit(at, who, role, client, method, path, status) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        &[&r.at, &r.who, &r.role, &r.client, &r.method, &r.path, &(r.status as i32)],
                    )?;
                }
                c.execute(
                    "DELETE FROM audit WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit) - $1",
                    &[&(AUDIT_KEEP as i64)],
                )?;
                Ok(())
            })
        })
    }

    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, NodeError> {
        let (after, limit) = (after as i64, limit as i64);
        self.call(move |c| {
            c.query(
                "SELECT seq, at, who, role, client, method, path, status FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )?
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    seq: r.try_get::<_, i64>(0).map_err(pg)? as u64,
                    at: r.try_get(1).map_err(pg)?,
                    who: r.try_get(2).map_err(pg)?,
                    role: r.try_get(3).map_err(pg)?,
                    client: r.try_get(4).map_err(pg)?,
                    method: r.try_get(5).map_err(pg)?,
                    path: r.try_get(6).map_err(pg)?,
                    status: r.try_get::<_, i32>(7).map_err(pg)? as u16,
                })
            })
            .collect()
        })
    }
}
