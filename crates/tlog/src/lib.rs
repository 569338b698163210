//! # accord-tlog: the transparency-log core
//!
//! RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashing, tree hashes, inclusion
//! and consistency proofs, generated from stored subtree hashes and verified without them.
//! C2SP signed notes with Ed25519 keys, cosignatures (tlog-cosignature v1) and checkpoint
//! bodies ([`note`]); C2SP tlog-tiles paths, hash tiles and entry bundles ([`tile`]); the
//! tlog-witness `add-checkpoint` exchange ([`witness`]); C2SP tlog-proof receipts and accord's
//! consistency-proof document ([`proof`]); and the accord entry envelope in RFC 8785 canonical
//! JSON ([`entry`]); C2SP tlog-policy files, the witness quorum a checkpoint must meet
//! ([`policy`]). Storage and sequencing live in `accord-logstore`, which builds on this.
//!
//! **Architecture invariant:** pure. No I/O, no clock, nothing spawned. Storage is read through
//! the one-method [`merkle::HashReader`] trait, implemented by the caller.

pub mod bundle;
pub mod entry;
pub mod merkle;
pub mod note;
pub mod policy;
pub mod proof;
pub mod tile;
pub mod witness;

pub use merkle::{empty_root, leaf_hash, node_hash, Edge, Hash, HashReader, MemoryTree, ProofError};
pub use note::{Checkpoint, Note, NoteError, SignerKey, VerifierKey};
