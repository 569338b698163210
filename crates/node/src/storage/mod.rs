//! Where a node keeps what it keeps, chosen in one place: the `storage` key of its
//! configuration picks a [`Backend`], and nothing above this module names a storage engine.
//!
//! A backend opens the own log's writer (holding the folder's single-writer lock), its
//! readers and its cosigner (a handle that keeps cosignatures beside checkpoints while the
//! writer appends); each partner's mirror, by Party; the witness state ([`accord_logstore::witness::WitnessStore`]); the token and
//! sign-in store ([`TokenStore`]); the view's signed snapshot; and blobs (notifications logged
//! by hash). Keys stay files in the folder (`log.key`, `node.key`, mode 0600) whatever the
//! backend.
//!
//! Backends: [`sqlite`] (the embedded default: `log.db`, `partner.db` (the first partner's
//! mirror; another's is `partner-<PARTY>.db`), `witness.db`,
//! `node.db`, `view.snapshot`, `blobs/` in the folder), [`postgres`] (the same in schemas of a
//! PostgreSQL database, `[store] url`; production with a standby, docs/deploy.md) and
//! [`memory`] (a test double that keeps everything in this process, `storage = "memory"`).
//! Whatever the backend, the folder keeps the keys and the commit–reveal secrets ([`files`]).
//! A new backend is one module here and one arm in [`open`]; [`conformance`] holds it to the
//! behaviour the node relies on.
//!
//! Invariants every backend keeps (checked by [`conformance`]): at most one writer per node at
//! a time (a second is [`crate::error::NodeError::Unavailable`]); readers see consistent snapshots while the
//! writer appends (the log store's own conformance suite); a mirror is created whole or not at
//! all; a blob is returned only if its bytes hash to its name; tokens and session ids are kept
//! as SHA-256 only, and a session is live until its expiry and no longer.

pub mod conformance;
pub mod contract;
pub mod files;
pub mod memory;
pub mod postgres;
pub mod sqlite;

pub use contract::{Backend, Held, TokenStore};
use std::path::Path;

/// `[store]`: the database of a node on PostgreSQL (docs/deploy.md). Without it, the folder's
/// `store.toml` (written by `accord serve init --store`) is used, if there is one.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The primary's address: `postgres://user@host/db`, or `host=/run/postgresql
    /// dbname=accord` for a Unix socket (keep a password out of it: use peer
    /// authentication). Writes, and the node's own state, go here.
    pub url: Option<String>,
    /// A hot standby's address: the logs' tiles, entries and proofs are read from it (each
    /// answer from one snapshot). Keep it synchronous (`synchronous_commit = remote_apply`),
    /// or a reader may not yet see an entry the node acknowledged.
    pub read_url: Option<String>,
}

/// The storage engines a node can be configured with (`storage = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// SQLite files in the data folder (the default without a `[store] url`).
    Sqlite,
    /// Everything in this process's memory, gone when it ends: a test double.
    Memory,
    /// A PostgreSQL database (`[store] url`, or the folder's `store.toml`).
    Postgres,
}

/// A node's backend as its configuration and its folder resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// SQLite files in the folder.
    Sqlite,
    /// In this process only.
    Memory,
    /// PostgreSQL: the primary's address, and a standby's for reads (or the primary's).
    Postgres {
        /// The primary (writes, and the node's own state).
        url: String,
        /// Where the logs are read from (a hot standby), if not the primary.
        read_url: Option<String>,
    },
}

/// The file in a node's folder naming its database (`url`, and the `party` whose schemas it
/// holds), written by `accord serve init --store`, mode 0600.
pub const STORE_FILE: &str = "store.toml";

/// What [`STORE_FILE`] says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FolderStore {
    /// The database's address.
    pub url: String,
    /// The Party whose schemas (`<party>_log`, …) the node keeps there.
    pub party: String,
}

impl FolderStore {
    /// The folder `root`'s [`STORE_FILE`], if it has one.
    pub fn read(root: &Path) -> Result<Option<FolderStore>, String> {
        let path = root.join(STORE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(t) => toml::from_str(&t).map(Some).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

impl Engine {
    /// The backend of the node folder `root` configured with `storage` and `store`: `storage
    /// = "memory"` is memory; a `[store] url` (or, without one, the folder's `store.toml`) is
    /// PostgreSQL; otherwise SQLite. A contradiction (SQLite or memory with a `[store] url`,
    /// PostgreSQL without any) is refused, naming the key.
    pub fn resolve(storage: Option<Kind>, store: &StoreConfig, root: &Path) -> Result<Engine, String> {
        let folder = || FolderStore::read(root).map(|f| f.map(|f| f.url));
        let url = match &store.url {
            Some(u) => Some(u.clone()),
            None => folder()?,
        };
        match (storage, url) {
            (Some(Kind::Memory), None) if store.read_url.is_none() => Ok(Engine::Memory),
            (Some(Kind::Sqlite), None) | (None, None) if store.read_url.is_none() => Ok(Engine::Sqlite),
            (Some(Kind::Postgres) | None, Some(url)) => Ok(Engine::Postgres {
                url,
                read_url: store.read_url.clone(),
            }),
            (Some(Kind::Postgres), None) => Err(format!(
                "store.url: storage = \"postgres\" needs the database's address ([store] url, or {STORE_FILE} in {})",
                root.display()
            )),
            (Some(k), Some(_)) => Err(format!(
                "store.url: storage = \"{}\" keeps nothing in a database; remove one of them",
                format!("{k:?}").to_lowercase()
            )),
            (_, None) => Err("store.read_url: a standby is read only beside a [store] url".into()),
        }
    }
}

/// The backend `engine` for the node folder `root` of Party `party`, whose partners are
/// `partners` (Party codes, in configuration order: each has its own mirror).
pub fn open(engine: &Engine, root: &Path, party: &str, partners: &[String]) -> Box<dyn Backend> {
    match engine {
        Engine::Sqlite => Box::new(sqlite::Sqlite::new(root, partners)),
        Engine::Memory => Box::new(memory::Memory::open(root, party, partners)),
        Engine::Postgres { url, read_url } => Box::new(postgres::Postgres::new(url, read_url.as_deref(), root, party, partners)),
    }
}
