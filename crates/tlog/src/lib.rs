//! # accord-tlog: the transparency-log core
//!
//! RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashing, tree hashes, inclusion
//! and consistency proofs, generated from stored subtree hashes and verified without them.
//! C2SP signed notes with Ed25519 keys, cosignatures (tlog-cosignature v1) and checkpoint
//! bodies ([`note`]). Later parts of issue #3 (tiles, entries, storage) build on this crate.
//!
//! **Architecture invariant:** pure. No I/O, no clock, nothing spawned. Storage is read through
//! the one-method [`merkle::HashReader`] trait, implemented by the caller.

pub mod merkle;
pub mod note;

pub use merkle::{empty_root, leaf_hash, node_hash, Hash, HashReader, MemoryTree, ProofError};
pub use note::{Checkpoint, Note, NoteError, SignerKey, VerifierKey};
