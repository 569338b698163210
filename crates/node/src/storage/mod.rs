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
//! `node.db`, `view.snapshot`, `blobs/` in the folder) and [`memory`] (a test double that
//! keeps everything in this process, `storage = "memory"`). A new backend is one module here
//! and one arm in [`open`]; [`conformance`] holds it to the behaviour the node relies on.
//!
//! Invariants every backend keeps (checked by [`conformance`]): at most one writer per node at
//! a time (a second is [`crate::error::NodeError::Unavailable`]); readers see consistent snapshots while the
//! writer appends (the log store's own conformance suite); a mirror is created whole or not at
//! all; a blob is returned only if its bytes hash to its name; tokens and session ids are kept
//! as SHA-256 only, and a session is live until its expiry and no longer.

pub mod conformance;
pub mod contract;
pub mod memory;
pub mod sqlite;

pub use contract::{Backend, Held, TokenStore};
use std::path::Path;

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

/// The backend `kind` for the node folder `root` of Party `party`, whose partners are
/// `partners` (Party codes, in configuration order: each has its own mirror).
pub fn open(kind: Kind, root: &Path, party: &str, partners: &[String]) -> Box<dyn Backend> {
    match kind {
        Kind::Sqlite => Box::new(sqlite::Sqlite::new(root, partners)),
        Kind::Memory => Box::new(memory::Memory::open(root, party, partners)),
    }
}
