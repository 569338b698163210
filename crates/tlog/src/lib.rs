//! # accord-tlog: the transparency-log core
//!
//! RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashing, tree hashes, inclusion
//! and consistency proofs, generated from stored subtree hashes and verified without them.
//! Later parts of issue #3 (signed notes, checkpoints, cosignatures, tiles, entries, storage)
//! build on this crate.
//!
//! **Architecture invariant:** pure. No I/O, no clock, nothing spawned. Storage is read through
//! the one-method [`merkle::HashReader`] trait, implemented by the caller.

pub mod merkle;

pub use merkle::{empty_root, leaf_hash, node_hash, Hash, HashReader, MemoryTree, ProofError};
