//! A verified copy of another Party's log, kept by the node that follows it.
//!
//! Invariants: the mirror holds entries `0..size`, their stored hashes and, for `size`, a
//! checkpoint signed by the followed log's key whose root is the tree of exactly those entries
//! (each extension is checked in full before its one atomic commit); so every checkpoint the
//! mirror ever accepted is consistent with every other one. A signed checkpoint that no
//! append-only history of the held entries can reach (another root at a size the mirror holds)
//! is a [`MirrorError::Fork`] carrying both signed notes as evidence; the mirror is then left
//! unchanged.

use crate::store::{sealed, Batch, Hashes, Meta, Store, StoreError};
use accord_tlog::merkle::{leaf_hash, stored_count, tree_hash, Edge};
use accord_tlog::note::{Checkpoint, Note, VerifierKey};
use accord_tlog::Hash;

/// Why a checkpoint or extension was refused.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The note is not a checkpoint of the followed log signed by its key.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The entries fetched do not give the signed root (wrong entries served, or a fork).
    #[error("the {count} entries fetched for sizes {from}..{to} give root {computed}, the signed checkpoint says {signed}")]
    Mismatch {
        /// Size held before.
        from: u64,
        /// Size of the checkpoint.
        to: u64,
        /// Entries fetched.
        count: usize,
        /// Root they give.
        computed: Hash,
        /// Root signed.
        signed: Hash,
    },
    /// Two signed checkpoints of the log that cannot both be true.
    #[error("fork: the log signed two different trees of size {size}")]
    Fork {
        /// The size both describe (or the smaller one's size).
        size: u64,
        /// The note the mirror holds for that size (or a signed note it rests on).
        held: Vec<u8>,
        /// The contradicting note.
        seen: Vec<u8>,
    },
}

/// A verified copy of a log.
pub struct Mirror<S: Store> {
    store: S,
    vkey: VerifierKey,
    edge: Edge,
    latest: Vec<u8>,
}

impl<S: Store> Mirror<S> {
    /// Starts an empty mirror of the log `vkey` of `party` from its signed size-0 checkpoint.
    pub fn create(mut store: S, vkey: VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<Mirror<S>, MirrorError> {
        let cp = check_note(&vkey, checkpoint0)?;
        if cp.size != 0 {
            return Err(MirrorError::Checkpoint(format!("a mirror starts from size 0, not {}", cp.size)));
        }
        let meta = Meta {
            origin: vkey.name().to_owned(),
            party: party.to_owned(),
            vkey: vkey.to_string(),
        };
        store.init(&meta, checkpoint0)?;
        Ok(Mirror {
            store,
            vkey,
            edge: Edge::new(),
            latest: checkpoint0.to_vec(),
        })
    }

    /// Opens a mirror and checks its stored tree against its latest signed checkpoint.
    pub fn open(store: S) -> Result<Mirror<S>, MirrorError> {
        let meta = store.meta()?;
        let vkey = VerifierKey::parse(&meta.vkey).map_err(|e| MirrorError::Checkpoint(format!("the mirror's key: {e}")))?;
        let (size, note) = store.latest()?;
        let cp = check_note(&vkey, &note)?;
        let edge = Edge::load(&Hashes(&store), size).map_err(|e| StoreError::Backend(format!("stored hashes: {e}")))?;
        if cp.size != size || edge.root() != cp.root {
            return Err(MirrorError::Checkpoint(format!(
                "the mirror holds {size} entries with root {} but its latest checkpoint is size {} root {}",
                edge.root(),
                cp.size,
                cp.root
            )));
        }
        Ok(Mirror {
            store,
            vkey,
            edge,
            latest: note,
        })
    }

    /// Entries held.
    pub fn size(&self) -> u64 {
        self.edge.size()
    }

    /// The latest accepted checkpoint note.
    pub fn latest(&self) -> &[u8] {
        &self.latest
    }

    /// The followed log's key.
    pub fn vkey(&self) -> &VerifierKey {
        &self.vkey
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to keep cosignatures beside its checkpoints.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Checks a signed checkpoint of the log against what the mirror holds: its signature, and,
    /// at a size the mirror holds, its root. Returns the parsed checkpoint.
    pub fn check(&self, note: &[u8]) -> Result<Checkpoint, MirrorError> {
        let cp = check_note(&self.vkey, note)?;
        if cp.size <= self.size() {
            let root = if cp.size == self.size() {
                self.edge.root()
            } else {
                tree_hash(&Hashes(&self.store), cp.size).map_err(|e| StoreError::Backend(format!("stored hashes: {e}")))?
            };
            if root != cp.root {
                let held = match self.store.checkpoint(cp.size)? {
                    Some(n) => n,
                    None => self.latest.clone(),
                };
                return Err(MirrorError::Fork {
                    size: cp.size,
                    held,
                    seen: note.to_vec(),
                });
            }
        }
        Ok(cp)
    }

    /// Appends `entries` (the ones after those held) with the signed checkpoint `note` that
    /// covers them, in one commit, after checking the signature and that the held entries plus
    /// these give its root.
    pub fn extend(&mut self, entries: &[Vec<u8>], note: &[u8]) -> Result<Checkpoint, MirrorError> {
        let cp = self.check(note)?;
        let from = self.size();
        if cp.size != from + entries.len() as u64 {
            return Err(MirrorError::Checkpoint(format!(
                "the checkpoint is for size {}, but {from} entries are held and {} were fetched",
                cp.size,
                entries.len()
            )));
        }
        if entries.is_empty() {
            return Ok(cp);
        }
        let mut edge = self.edge.clone();
        let mut created = Vec::with_capacity(entries.len() * 2 + 8);
        for e in entries {
            edge.push(leaf_hash(e), &mut created);
        }
        if edge.root() != cp.root {
            return Err(MirrorError::Mismatch {
                from,
                to: cp.size,
                count: entries.len(),
                computed: edge.root(),
                signed: cp.root,
            });
        }
        let hashes = created.into_iter().map(|(_, _, h)| h).collect();
        let mut seal = sealed(hashes, note.to_vec());
        let result = self.store.commit(&mut Batch {
            start: from,
            entries,
            hash_start: stored_count(from),
            seal: &mut seal,
        });
        match result {
            Ok(()) => {
                self.edge = edge;
                self.latest = note.to_vec();
                Ok(cp)
            }
            Err(e) => {
                // The commit may have landed: believe the store.
                if let Ok((edge, latest)) = reload(&self.store, &self.vkey) {
                    self.edge = edge;
                    self.latest = latest;
                }
                Err(e.into())
            }
        }
    }
}

fn reload<S: Store>(store: &S, vkey: &VerifierKey) -> Result<(Edge, Vec<u8>), MirrorError> {
    let (size, note) = store.latest()?;
    check_note(vkey, &note)?;
    let edge = Edge::load(&Hashes(store), size).map_err(|e| StoreError::Backend(format!("stored hashes: {e}")))?;
    Ok((edge, note))
}

/// Parses `note` as a checkpoint of the log `vkey` and checks its signature.
pub fn check_note(vkey: &VerifierKey, note: &[u8]) -> Result<Checkpoint, MirrorError> {
    let parsed = Note::parse(note).map_err(|e| MirrorError::Checkpoint(e.to_string()))?;
    parsed
        .verify(std::slice::from_ref(vkey))
        .map_err(|e| MirrorError::Checkpoint(format!("not signed by {}: {e}", vkey.name())))?;
    let cp = Checkpoint::parse(&parsed.text).map_err(|e| MirrorError::Checkpoint(e.to_string()))?;
    if cp.origin != vkey.name() {
        return Err(MirrorError::Checkpoint(format!(
            "origin {:?} is not the followed log {:?}",
            cp.origin,
            vkey.name()
        )));
    }
    Ok(cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Log;
    use crate::memory::MemoryStore;
    use accord_tlog::note::SignerKey;

    #[test]
    fn follows_a_log_and_catches_a_fork() {
        let key = SignerKey::from_seed("example.org/us", 1, [7; 32]).expect("key");
        let mut log = Log::create(MemoryStore::default(), key.clone(), "US").expect("log");
        let mut m = Mirror::create(MemoryStore::default(), key.verifier(), "US", log.latest()).expect("mirror");
        let a: Vec<Vec<u8>> = (0..5).map(|i| format!("entry {i}").into_bytes()).collect();
        let done = log.append(&a).expect("append");
        // Wrong entries for a right checkpoint: refused, nothing kept.
        let mut bad = a.clone();
        bad[2] = b"forged".to_vec();
        assert!(matches!(m.extend(&bad, &done.checkpoint), Err(MirrorError::Mismatch { .. })));
        assert_eq!(m.size(), 0);
        m.extend(&a, &done.checkpoint).expect("extend");
        assert_eq!(m.size(), 5);
        let b: Vec<Vec<u8>> = (5..9).map(|i| format!("entry {i}").into_bytes()).collect();
        let done2 = log.append(&b).expect("append");
        m.extend(&b, &done2.checkpoint).expect("extend");
        m.check(&done.checkpoint).expect("an older checkpoint is consistent");
        // The same key signs another tree of size 5: a fork, with both notes.
        let mut other = Log::create(MemoryStore::default(), key.clone(), "US").expect("log");
        let mut c = a.clone();
        c[4] = b"rewritten".to_vec();
        let forked = other.append(&c).expect("append");
        match m.check(&forked.checkpoint) {
            Err(MirrorError::Fork { size, held, seen }) => {
                assert_eq!(size, 5);
                assert_eq!(held, done.checkpoint);
                assert_eq!(seen, forked.checkpoint);
            }
            other => panic!("expected a fork, got {other:?}"),
        }
        // Another key's checkpoint is refused.
        let k2 = SignerKey::from_seed("example.org/us", 1, [8; 32]).expect("key");
        let l2 = Log::create(MemoryStore::default(), k2, "US").expect("log");
        assert!(matches!(m.check(l2.latest()), Err(MirrorError::Checkpoint(_))));
        // Reopening checks the stored tree.
        let store = m.store;
        let again = Mirror::open(store).expect("open");
        assert_eq!(again.size(), 9);
    }
}
