//! A log: a store, the log's signing key, and the right edge of its tree in memory.
//!
//! Invariants: `edge` always describes the tree the store holds at its latest checkpoint, and
//! that checkpoint's root equals `edge.root()` (checked at [`Log::open`], kept by
//! [`Log::append`], restored from the store after any failed commit); so the only checkpoints
//! ever signed extend the stored tree, and no two signed checkpoints are inconsistent.

use crate::store::{Batch, Hashes, Meta, Sealed, Store, StoreError};
use accord_tlog::merkle::{consistency_proof, inclusion_proof, stored_count, Edge};
use accord_tlog::{leaf_hash, Checkpoint, Hash, Note, NoteError, ProofError, SignerKey, VerifierKey};

/// The largest entry (the tlog-tiles bundle limit).
pub const MAX_ENTRY_BYTES: usize = 65_535;

/// Why a log operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing key is not the log's.
    #[error("the signing key {key} is not this log's key {log}")]
    WrongKey {
        /// The key given.
        key: String,
        /// The log's.
        log: String,
    },
    /// An entry over the size limit.
    #[error("entry {position} of the batch is {size} bytes; an entry is at most 65,535 bytes")]
    EntryTooLarge {
        /// Position in the batch.
        position: usize,
        /// Its size.
        size: usize,
    },
    /// The stored tree does not match the latest signed checkpoint: the log refuses to sign.
    #[error("the store is inconsistent ({0}); run `accord log verify` to locate the damage; nothing will be appended")]
    Inconsistent(String),
    /// A proof cannot be made.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// A checkpoint note is malformed or badly signed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// No checkpoint at the size asked for.
    #[error("no checkpoint at size {0}; the log signs checkpoints at the sizes `accord log checkpoint --all` lists")]
    NoCheckpoint(u64),
}

/// The result of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Index of the first entry.
    pub first: u64,
    /// Leaf hashes of the entries.
    pub leaf_hashes: Vec<Hash>,
    /// The new size.
    pub size: u64,
    /// The new signed checkpoint.
    pub checkpoint: Vec<u8>,
}

/// A writable log.
pub struct Log<S: Store> {
    store: S,
    key: SignerKey,
    meta: Meta,
    edge: Edge,
    latest: Vec<u8>,
}

/// The signed checkpoint note for `edge`.
fn sign_checkpoint(key: &SignerKey, origin: &str, edge: &Edge) -> Vec<u8> {
    let cp = Checkpoint {
        origin: origin.to_owned(),
        size: edge.size(),
        root: edge.root(),
        extensions: Vec::new(),
    };
    // A checkpoint body is valid note text by construction.
    let mut note = Note {
        text: cp.text(),
        signatures: Vec::new(),
    };
    note.sign(key, 0);
    note.to_bytes()
}

impl<S: Store> Log<S> {
    /// Initialises `store` as a new, empty log of `party`, signed by `key` (whose name is the
    /// origin).
    pub fn create(mut store: S, key: SignerKey, party: &str) -> Result<Log<S>, LogError> {
        let meta = Meta {
            origin: key.name().to_owned(),
            party: party.to_owned(),
            vkey: key.verifier().to_string(),
        };
        let edge = Edge::new();
        let latest = sign_checkpoint(&key, &meta.origin, &edge);
        store.init(&meta, &latest)?;
        Ok(Log {
            store,
            key,
            meta,
            edge,
            latest,
        })
    }

    /// Opens an initialised store for appending, after checking that `key` is the log's and that
    /// the stored tree matches the latest signed checkpoint.
    pub fn open(store: S, key: SignerKey) -> Result<Log<S>, LogError> {
        let meta = store.meta()?;
        let vkey = key.verifier().to_string();
        if meta.vkey != vkey {
            return Err(LogError::WrongKey { key: vkey, log: meta.vkey });
        }
        let mut log = Log {
            store,
            key,
            meta,
            edge: Edge::new(),
            latest: Vec::new(),
        };
        log.reload()?;
        Ok(log)
    }

    /// Rereads the size, edge and latest checkpoint from the store and checks they agree.
    fn reload(&mut self) -> Result<(), LogError> {
        let (size, note) = self.store.latest()?;
        let parsed = Note::parse(&note).map_err(|e| LogError::Inconsistent(format!("latest checkpoint: {e}")))?;
        parsed
            .verify(&[self.key.verifier()])
            .map_err(|e| LogError::Inconsistent(format!("latest checkpoint (size {size}): {e}")))?;
        let cp = Checkpoint::parse(&parsed.text).map_err(|e| LogError::Inconsistent(format!("latest checkpoint: {e}")))?;
        if cp.size != size || cp.origin != self.meta.origin {
            return Err(LogError::Inconsistent(format!(
                "the checkpoint stored for size {size} is for {} size {}",
                cp.origin, cp.size
            )));
        }
        let edge = Edge::load(&Hashes(&self.store), size).map_err(|e| LogError::Inconsistent(format!("stored hashes: {e}")))?;
        if edge.root() != cp.root {
            return Err(LogError::Inconsistent(format!(
                "the stored hashes give root {} for size {size}, the signed checkpoint says {}",
                edge.root(),
                cp.root
            )));
        }
        self.edge = edge;
        self.latest = note;
        Ok(())
    }

    /// Appends `entries` in one atomic commit with a new signed checkpoint. On any error the
    /// log is as it was before (or, if the store committed and then failed, as the store says).
    /// The entries are hashed on the other cores while the store writes them; the hashes and
    /// the checkpoint are sealed into the same transaction.
    pub fn append(&mut self, entries: &[Vec<u8>]) -> Result<Appended, LogError> {
        if let Some((position, e)) = entries.iter().enumerate().find(|(_, e)| e.len() > MAX_ENTRY_BYTES) {
            return Err(LogError::EntryTooLarge { position, size: e.len() });
        }
        let first = self.edge.size();
        let helpers = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).min(7);
        let mut done: Option<(Edge, Vec<Hash>, Vec<u8>)> = None;
        let (key, origin, edge0) = (&self.key, &self.meta.origin, &self.edge);
        let store = &mut self.store;
        // Leaf hashes, computed in chunks taken by whoever is free: helper threads from the
        // start, this thread too once the store has written the entries.
        const CHUNK: usize = 32;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::OnceLock<Hash>> = (0..entries.len()).map(|_| std::sync::OnceLock::new()).collect();
        let work = || loop {
            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let lo = c * CHUNK;
            if lo >= entries.len() {
                break;
            }
            for i in lo..(lo + CHUNK).min(entries.len()) {
                let _ = slots[i].set(leaf_hash(&entries[i]));
            }
        };
        let result = std::thread::scope(|scope| {
            let mut helpers: Vec<_> = if entries.len() >= 256 {
                (0..helpers).map(|_| Some(scope.spawn(work))).collect()
            } else {
                Vec::new()
            };
            let mut seal = || -> Result<Sealed, StoreError> {
                work();
                for h in helpers.iter_mut() {
                    if let Some(h) = h.take() {
                        if let Err(panic) = h.join() {
                            // Never sign for fewer leaves than the batch holds.
                            std::panic::resume_unwind(panic);
                        }
                    }
                }
                let mut leaves = Vec::with_capacity(entries.len());
                for (i, slot) in slots.iter().enumerate() {
                    match slot.get() {
                        Some(h) => leaves.push(*h),
                        None => leaves.push(leaf_hash(&entries[i])),
                    }
                }
                let mut edge = edge0.clone();
                let mut created = Vec::with_capacity(entries.len() * 2 + 8);
                for h in &leaves {
                    edge.push(*h, &mut created);
                }
                let checkpoint = sign_checkpoint(key, origin, &edge);
                let hashes = created.into_iter().map(|(_, _, h)| h).collect();
                done = Some((edge, leaves, checkpoint.clone()));
                Ok(Sealed { hashes, checkpoint })
            };
            store.commit(&mut Batch {
                start: first,
                entries,
                hash_start: stored_count(first),
                seal: &mut seal,
            })
        });
        match (result, done) {
            (Ok(()), Some((edge, leaf_hashes, checkpoint))) => {
                self.edge = edge;
                self.latest = checkpoint.clone();
                Ok(Appended {
                    first,
                    leaf_hashes,
                    size: self.edge.size(),
                    checkpoint,
                })
            }
            (Ok(()), None) => {
                // A store that committed without sealing: believe the store, and say so.
                self.reload()?;
                Err(LogError::Store(StoreError::Backend(
                    "the store committed a batch without sealing it".into(),
                )))
            }
            (Err(e), _) => {
                // The commit may have landed (an error while committing): believe the store.
                self.reload()?;
                Err(e.into())
            }
        }
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.edge.size()
    }

    /// The latest signed checkpoint note.
    pub fn latest(&self) -> &[u8] {
        &self.latest
    }

    /// The log's metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Mutable access to the store (tests arm faults through it).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }
}

/// The checkpoint at `size` (the latest when `None`) and its parsed body.
pub fn checkpoint_at<S: Store + ?Sized>(store: &S, size: Option<u64>) -> Result<(Vec<u8>, Checkpoint), LogError> {
    let note = match size {
        None => store.latest()?.1,
        Some(s) => store.checkpoint(s)?.ok_or(LogError::NoCheckpoint(s))?,
    };
    let parsed = Note::parse(&note)?;
    let cp = Checkpoint::parse(&parsed.text)?;
    Ok((note, cp))
}

/// The inclusion proof of entry `index` in the checkpointed tree of `size` (the latest when
/// `None`), with that checkpoint.
pub fn prove_inclusion<S: Store + ?Sized>(store: &S, index: u64, size: Option<u64>) -> Result<(Vec<Hash>, Vec<u8>, Checkpoint), LogError> {
    let (note, cp) = checkpoint_at(store, size)?;
    let proof = batched(store, |r| inclusion_proof(r, index, cp.size))?;
    Ok((proof, note, cp))
}

/// A consistency proof: the hashes, the older checkpoint note, the newer one.
pub type ConsistencyProof = (Vec<Hash>, Vec<u8>, Vec<u8>);

/// The consistency proof from the checkpointed size `from` to `to` (the latest when `None`),
/// with both checkpoints.
pub fn prove_consistency<S: Store + ?Sized>(store: &S, from: u64, to: Option<u64>) -> Result<ConsistencyProof, LogError> {
    let (old, old_cp) = checkpoint_at(store, Some(from))?;
    let (new, new_cp) = checkpoint_at(store, to)?;
    let proof = batched(store, |r| consistency_proof(r, old_cp.size, new_cp.size))?;
    Ok((proof, old, new))
}

/// Runs a proof over the store's hashes with one batched read ([`Store::nodes`]): which hashes
/// a proof reads depends only on the indexes and sizes, never on the hashes' values, so a first
/// pass with placeholder hashes lists them; the second runs on the hashes read. A hash the
/// first pass did not list (it cannot happen) is read on its own.
fn batched<S: Store + ?Sized, T>(
    store: &S,
    proof: impl Fn(&dyn accord_tlog::HashReader) -> Result<T, accord_tlog::ProofError>,
) -> Result<T, LogError> {
    struct Listing(std::cell::RefCell<Vec<(u32, u64)>>);
    impl accord_tlog::HashReader for Listing {
        fn node(&self, level: u32, index: u64) -> Result<Hash, accord_tlog::ProofError> {
            self.0.borrow_mut().push((level, index));
            Ok(Hash([0; 32]))
        }
    }
    struct Read<'a, S: Store + ?Sized>(std::collections::HashMap<(u32, u64), Hash>, &'a S);
    impl<S: Store + ?Sized> accord_tlog::HashReader for Read<'_, S> {
        fn node(&self, level: u32, index: u64) -> Result<Hash, accord_tlog::ProofError> {
            match self.0.get(&(level, index)) {
                Some(h) => Ok(*h),
                None => Hashes(self.1).node(level, index),
            }
        }
    }
    let listing = Listing(Default::default());
    // Its error, if any, comes again from the second pass.
    let _ = proof(&listing);
    let mut at = listing.0.into_inner();
    at.sort_unstable();
    at.dedup();
    let read = match store.nodes(&at) {
        Ok(hashes) if hashes.len() != at.len() => {
            return Err(StoreError::Corrupt(format!("{} hashes read for {} asked", hashes.len(), at.len())).into())
        }
        Ok(hashes) => at.into_iter().zip(hashes).collect(),
        // An absent hash is reported by the second pass, naming its level and index.
        Err(StoreError::NotFound(_)) => Default::default(),
        Err(e) => return Err(e.into()),
    };
    Ok(proof(&Read(read, store))?)
}
