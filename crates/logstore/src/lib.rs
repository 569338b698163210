//! # accord-logstore: a party's transparency log on disk
//!
//! The I/O edge around the pure `accord-tlog` core. [`store::Store`] is the storage contract
//! (append-only entries, stored hashes and signed checkpoints, one atomic commit per batch);
//! [`sqlite::SqliteStore`] implements it on SQLite in WAL mode with `synchronous=FULL`;
//! [`memory::MemoryStore`] and [`faulty::FaultyStore`] exist so that [`conformance`] can hold
//! every backend, including a future PostgreSQL one, to the same rules. [`log::Log`] turns a
//! store and a signing key into a log: it appends, signs checkpoints, proves and verifies.
//! [`sequencer::Sequencer`] batches concurrent appends; [`dir::DataDir`] is the data folder with
//! its private key (mode 0600) and its single-writer lock. [`witness::WitnessState`] is a
//! witness's side: the logs it follows, what it cosigned, and evidence of equivocation.
//!
//! **Invariants.** An append is acknowledged only after the commit that holds its entry, its
//! stored hashes and the checkpoint covering it has returned; a checkpoint is signed only for a
//! tree whose stored edge matches the latest signed root, so the log never signs two
//! inconsistent checkpoints, even after a crash at any instant; a failed commit leaves the
//! store as it was and the log reloads its state from the store before going on.

pub mod conformance;
pub mod dir;
pub mod faulty;
pub mod log;
pub mod memory;
pub mod mirror;
pub mod pg_cluster;
pub mod pg_witness;
pub mod postgres;
pub mod private;
pub mod sequencer;
pub mod sqlite;
pub mod store;
pub mod verify;
pub mod witness;

pub use dir::DataDir;
pub use log::{Appended, Log, LogError};
pub use store::{Batch, Meta, Store, StoreError};
