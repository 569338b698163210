//! Where a node keeps what it keeps, chosen in one place: the `storage` key of its
//! configuration picks a [`Backend`], and nothing above this module names a storage engine.
//!
//! A backend opens the own log's writer (holding the folder's single-writer lock), its
//! readers and its cosigner (a handle that keeps cosignatures beside checkpoints while the
//! writer appends); the partner's mirror; the witness state ([`WitnessStore`]); the token and
//! sign-in store ([`TokenStore`]); the view's signed snapshot; and blobs (notifications logged
//! by hash). Keys stay files in the folder (`log.key`, `node.key`, mode 0600) whatever the
//! backend.
//!
//! Backends: [`sqlite`] (the embedded default: `log.db`, `partner.db`, `witness.db`,
//! `node.db`, `view.snapshot`, `blobs/` in the folder) and [`memory`] (a test double that
//! keeps everything in this process, `storage = "memory"`). A new backend is one module here
//! and one arm in [`open`]; [`conformance`] holds it to the behaviour the node relies on.
//!
//! Invariants every backend keeps (checked by [`conformance`]): at most one writer per node at
//! a time (a second is [`NodeError::Unavailable`]); readers see consistent snapshots while the
//! writer appends (the log store's own conformance suite); a mirror is created whole or not at
//! all; a blob is returned only if its bytes hash to its name; tokens and session ids are kept
//! as SHA-256 only, and a session is live until its expiry and no longer.

pub mod conformance;
pub mod memory;
pub mod sqlite;

use crate::error::NodeError;
use accord_logstore::store::DynStore;
use accord_logstore::witness::WitnessStore;
use accord_logstore::Log;
use accord_tlog::VerifierKey;
use std::path::Path;

/// Held while a node writes its folder; dropping it releases the writer lock.
pub type Held = Box<dyn std::any::Any + Send + Sync>;

/// The storage of one node's folder.
pub trait Backend: Send + Sync {
    /// The backend's name, as the configuration spells it.
    fn name(&self) -> &'static str;
    /// Opens the own log for appending, taking the writer lock (another writer:
    /// [`NodeError::Unavailable`]).
    fn open_writer(&self) -> Result<(Log<DynStore>, Held), NodeError>;
    /// A read-only handle on the own log (no lock; consistent snapshots beside the writer).
    fn open_reader(&self) -> Result<DynStore, NodeError>;
    /// A handle on the own log that keeps cosignatures (they are outside the tree, so it runs
    /// beside the writer).
    fn open_cosigner(&self) -> Result<DynStore, NodeError>;
    /// The partner's mirror, for writing, if one was created.
    fn open_mirror(&self) -> Result<Option<DynStore>, NodeError>;
    /// The partner's mirror, read-only, if one was created.
    fn read_mirror(&self) -> Result<Option<DynStore>, NodeError>;
    /// Creates the partner's mirror from its log key and signed size-0 checkpoint, whole or
    /// not at all, and opens it for writing. Refuses if one exists.
    fn create_mirror(&self, vkey: &VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<DynStore, NodeError>;
    /// The witness state (what this node cosigned of the partner's log, fork evidence).
    fn witness(&self) -> Result<Box<dyn WitnessStore>, NodeError>;
    /// The token and sign-in store.
    fn tokens(&self) -> Result<Box<dyn TokenStore>, NodeError>;
    /// The view's snapshot as last kept, if any (its signature is checked by the caller).
    fn snapshot(&self) -> Result<Option<Vec<u8>>, NodeError>;
    /// Keeps the view's snapshot durably, replacing the old one whole.
    fn put_snapshot(&self, bytes: &[u8]) -> Result<(), NodeError>;
    /// The blob named by `hex` (a SHA-256), checked against its name.
    fn blob(&self, hex: &str) -> Result<Vec<u8>, NodeError>;
    /// Keeps `bytes` durably under their SHA-256; returns the name. Twice is harmless.
    fn put_blob(&self, bytes: &[u8]) -> Result<String, NodeError>;
}

/// The token and sign-in store: rows keyed by the SHA-256 of a token or session id (the
/// secrets themselves are never stored). Roles are stored by name.
pub trait TokenStore: Send + Sync {
    /// Keeps a token's hash with its role name, its holder's name and when it was made.
    fn add_token(&self, hash: &[u8], role: &str, name: &str, created: i64) -> Result<(), NodeError>;
    /// The role name of a token's hash.
    fn token_role(&self, hash: &[u8]) -> Result<Option<String>, NodeError>;
    /// Keeps a session's hash with its role name until `expires`, dropping sessions expired
    /// at `now`.
    fn add_session(&self, hash: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError>;
    /// Ends a session; whether it was kept.
    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError>;
    /// The role name of a session's hash, if it has not expired at `now`.
    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<String>, NodeError>;
}

/// The storage engines a node can be configured with (`storage = "..."`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// SQLite files in the data folder (the default).
    #[default]
    Sqlite,
    /// Everything in this process's memory, gone when it ends: a test double.
    Memory,
}

/// The backend `kind` for the node folder `root` of Party `party`.
pub fn open(kind: Kind, root: &Path, party: &str) -> Box<dyn Backend> {
    match kind {
        Kind::Sqlite => Box::new(sqlite::Sqlite::new(root)),
        Kind::Memory => Box::new(memory::Memory::open(root, party)),
    }
}
