//! The storage contract every backend keeps (SQLite now, PostgreSQL later).
//!
//! A store holds, for one log: its [`Meta`] (origin, party, verifier key), the entries
//! `0..size`, the stored Merkle hashes in the order [`accord_tlog::merkle::stored_index`]
//! numbers them (`0..stored_count(size)`), and every signed checkpoint by size. The size of the
//! log is the size of its latest checkpoint.
//!
//! Invariants the [`crate::conformance`] suite checks of every backend:
//! - [`Store::commit`] is atomic: after it returns `Ok`, the whole batch is durable; after it
//!   returns `Err`, nothing of it is visible (or, for an error while committing, either all or
//!   nothing is, and the caller rereads the size);
//! - a batch that does not start at the current size, or whose hashes do not start at the
//!   current stored count, is refused with [`StoreError::Conflict`] and changes nothing;
//! - nothing is ever overwritten or removed;
//! - readers never see a half-committed batch;
//! - a stored value that is not what the store wrote (a hash of the wrong length, a missing
//!   row) is reported as [`StoreError::Corrupt`], never a panic.

use accord_tlog::Hash;

/// What a log is: written once, at [`Store::init`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The log's origin (checkpoint first line and key name).
    pub origin: String,
    /// The party whose log this is.
    pub party: String,
    /// The log's verifier key, `vkey` form.
    pub vkey: String,
}

/// What seals a batch: its new stored hashes, in stored order, and the signed checkpoint for the
/// new size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The new stored hashes, in stored order.
    pub hashes: Vec<Hash>,
    /// The checkpoint note for size `start + entries.len()`.
    pub checkpoint: Vec<u8>,
}

/// Produces a batch's [`Sealed`] part. A backend calls it once, after writing the entries, so
/// that the log can hash them on other cores meanwhile.
pub type Seal<'a> = &'a mut dyn FnMut() -> Result<Sealed, StoreError>;

/// One atomic append: entries `start..start+entries.len()`, their new stored hashes (starting at
/// stored index `hash_start`) and the signed checkpoint for the new size, from `seal`.
pub struct Batch<'a> {
    /// Index of the first entry.
    pub start: u64,
    /// The entries.
    pub entries: &'a [Vec<u8>],
    /// Stored index of the first new hash (`stored_count(start)`).
    pub hash_start: u64,
    /// Called once, after the entries are written, inside the transaction.
    pub seal: Seal<'a>,
}

/// A seal of hashes and a checkpoint already at hand.
pub fn sealed(hashes: Vec<Hash>, checkpoint: Vec<u8>) -> impl FnMut() -> Result<Sealed, StoreError> {
    let mut once = Some(Sealed { hashes, checkpoint });
    move || once.take().ok_or_else(|| StoreError::Backend("a batch was sealed twice".into()))
}

impl Batch<'_> {
    /// The size after this batch.
    pub fn end(&self) -> u64 {
        self.start + self.entries.len() as u64
    }
}

/// A backend failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store has not been initialised.
    #[error("the log store is not initialised")]
    NotInitialised,
    /// [`Store::init`] on an initialised store.
    #[error("the log store is already initialised (origin {0})")]
    AlreadyInitialised(String),
    /// A batch that does not continue the log.
    #[error("conflict: the batch starts at {got}, the log is at {want}")]
    Conflict {
        /// Where the log is.
        want: u64,
        /// Where the batch starts.
        got: u64,
    },
    /// A row that should exist does not, or holds something the store never wrote.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// Something asked for that is not there (an index beyond the size).
    #[error("not found: {0}")]
    NotFound(String),
    /// The backend failed (I/O, SQL, connection).
    #[error("storage backend: {0}")]
    Backend(String),
    /// A failure injected by [`crate::faulty::FaultyStore`].
    #[error("injected fault in {0}")]
    Injected(&'static str),
}

/// The parts of a commit, in order. A backend calls the commit hook after writing each part,
/// inside its transaction, so a fault can be injected between them
/// ([`crate::faulty::Fault::CommitMidway`]) to show that a backend rolls back a half-written batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The entries are written.
    Entries,
    /// The stored hashes are written.
    Hashes,
    /// The checkpoint is written (the transaction is not yet committed).
    Checkpoint,
}

/// A commit hook; an error aborts the commit, which must then leave nothing behind.
pub type Hook<'a> = &'a mut dyn FnMut(Stage) -> Result<(), StoreError>;

/// A callback over rows; returning an error stops the scan with that error.
pub type Visit<'a> = &'a mut dyn FnMut(u64, &[u8]) -> Result<(), StoreError>;

/// The storage contract. Methods take `&self` for reads so that a log can read while it holds
/// the store; implementations need not be `Sync`.
pub trait Store: Send {
    /// Writes the log's metadata and its size-0 checkpoint, atomically.
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError>;
    /// The metadata, or [`StoreError::NotInitialised`].
    fn meta(&self) -> Result<Meta, StoreError>;
    /// The size of the latest checkpoint, and its note.
    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError>;
    /// Appends a batch atomically (see the module invariants), calling `hook` after each
    /// [`Stage`]; an error from the hook aborts the batch like any other.
    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError>;
    /// Appends a batch atomically.
    fn commit(&mut self, batch: &mut Batch<'_>) -> Result<(), StoreError> {
        self.commit_staged(batch, &mut |_| Ok(()))
    }
    /// Runs `f` with every read this handle makes meanwhile seeing one snapshot of the store (a
    /// backend with concurrent writers opens a read transaction or pins the sizes; nested calls
    /// join the outer one). The object-safe form of [`Store::read_snapshot`]: a backend
    /// overrides this one.
    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        f()
    }
    /// Runs `f` with every read it makes seeing one snapshot of the store (see
    /// [`Store::in_snapshot`]).
    fn read_snapshot<T>(&self, f: impl FnOnce(&Self) -> Result<T, StoreError>) -> Result<T, StoreError>
    where
        Self: Sized,
    {
        let mut f = Some(f);
        let mut out = None;
        self.in_snapshot(&mut || {
            if let Some(f) = f.take() {
                out = Some(f(self));
            }
            Ok(())
        })?;
        out.unwrap_or_else(|| Err(StoreError::Backend("a snapshot read did not run".into())))
    }
    /// Entry `index`.
    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError>;
    /// Visits the stored entries with indexes in `start..end`, in order. Rows that are missing
    /// are skipped (the caller sees the gap in the indexes).
    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError>;
    /// Stored hash number `id`.
    fn hash(&self, id: u64) -> Result<Hash, StoreError>;
    /// The stored hash of the complete subtree at `level`, `index` (a backend may cache by
    /// level: proofs read the upper levels again and again).
    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        self.hash(accord_tlog::merkle::stored_index(level, index))
    }
    /// The stored hashes of the complete subtrees `at` (level, index), in the order asked, in as
    /// few reads as the backend can (a networked store should not pay a round trip per hash;
    /// a proof asks for a few dozen at once). The default reads each with [`Store::node`], so a
    /// backend's per-level cache serves them.
    fn nodes(&self, at: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        at.iter().map(|&(level, index)| self.node(level, index)).collect()
    }
    /// Visits stored hashes `start..end` as raw bytes (so that a wrong length can be reported),
    /// in order; missing rows are skipped.
    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError>;
    /// Visits every stored checkpoint, smallest size first.
    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError>;
    /// The checkpoint stored for exactly `size`, if any.
    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Counts of stored (entries, hashes, checkpoints), for verification.
    fn counts(&self) -> Result<(u64, u64, u64), StoreError>;
    /// Keeps cosignature lines (already verified by the caller) for the checkpoint of `size`;
    /// a line kept before is not kept twice. Returns how many were new. Cosignatures are not
    /// part of the tree: adding one changes no entry, hash or checkpoint.
    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError>;
    /// The cosignature lines kept for the checkpoint of `size`, in the order they came.
    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError>;
    /// Visits the cosignature lines kept, with their checkpoint's size, largest size first (in
    /// the order they came within a size), until `f` returns `false`. Callers keep
    /// cosignatures only for sizes with a stored checkpoint (they are verified against it); the
    /// default visits those sizes.
    fn scan_cosignatures_desc(&self, f: &mut dyn FnMut(u64, &str) -> bool) -> Result<(), StoreError> {
        let mut sizes = Vec::new();
        self.scan_checkpoints(&mut |size, _| {
            sizes.push(size);
            Ok(())
        })?;
        for size in sizes.into_iter().rev() {
            for l in self.cosignatures(size)? {
                if !f(size, &l) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// A boxed store is a store: the node holds its stores as `Box<dyn Store>`, so that the
/// backend is chosen by configuration, not by type.
impl<S: Store + ?Sized> Store for Box<S> {
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        (**self).init(meta, checkpoint)
    }
    fn meta(&self) -> Result<Meta, StoreError> {
        (**self).meta()
    }
    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        (**self).latest()
    }
    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        (**self).commit_staged(batch, hook)
    }
    fn commit(&mut self, batch: &mut Batch<'_>) -> Result<(), StoreError> {
        (**self).commit(batch)
    }
    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        (**self).in_snapshot(f)
    }
    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        (**self).entry(index)
    }
    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        (**self).scan_entries(start, end, f)
    }
    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        (**self).hash(id)
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        (**self).node(level, index)
    }
    fn nodes(&self, at: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        (**self).nodes(at)
    }
    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        (**self).scan_hashes(start, end, f)
    }
    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        (**self).scan_checkpoints(f)
    }
    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).checkpoint(size)
    }
    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        (**self).counts()
    }
    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        (**self).add_cosignatures(size, lines)
    }
    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        (**self).cosignatures(size)
    }
    fn scan_cosignatures_desc(&self, f: &mut dyn FnMut(u64, &str) -> bool) -> Result<(), StoreError> {
        (**self).scan_cosignatures_desc(f)
    }
}

/// A store chosen at run time.
pub type DynStore = Box<dyn Store>;

/// Reads stored hashes as a [`accord_tlog::HashReader`].
pub struct Hashes<'a, S: Store + ?Sized>(pub &'a S);

impl<S: Store + ?Sized> accord_tlog::HashReader for Hashes<'_, S> {
    fn node(&self, level: u32, index: u64) -> Result<Hash, accord_tlog::ProofError> {
        self.0
            .node(level, index)
            .map_err(|_| accord_tlog::ProofError::Missing { level, index })
    }
}

/// A 32-byte hash from a stored value.
pub fn to_hash(what: &str, raw: &[u8]) -> Result<Hash, StoreError> {
    let a: [u8; 32] = raw
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} has {} bytes, not 32", raw.len())))?;
    Ok(Hash(a))
}

/// Pages of stored hashes (`per_page` hashes of 32 bytes to a row, as the SQL stores keep
/// them) already read. A committed hash never changes and a page only grows, so a cached page
/// is a correct prefix; a hash beyond it is read again. Bounded (cleared when full).
#[derive(Debug, Default)]
pub struct PageCache {
    pages: std::cell::RefCell<std::collections::HashMap<u64, std::sync::Arc<Vec<u8>>>>,
}

impl PageCache {
    /// Most pages kept (with 64 hashes to a page, 8 MiB).
    pub const LIMIT: usize = 4096;

    /// Stored hash `id`, from the cache or from `read(page)` (`None`: no such page).
    pub fn hash(&self, id: u64, per_page: u64, read: impl FnOnce(u64) -> Result<Option<Vec<u8>>, StoreError>) -> Result<Hash, StoreError> {
        let (page, at) = (id / per_page, (id % per_page) as usize * 32);
        let cached = self.pages.borrow().get(&page).cloned();
        let blob = match cached {
            Some(b) if b.len() >= at + 32 => b,
            _ => {
                let b = std::sync::Arc::new(read(page)?.ok_or_else(|| StoreError::NotFound(format!("stored hash {id}")))?);
                self.insert(page, std::sync::Arc::clone(&b));
                b
            }
        };
        match blob.get(at..at + 32) {
            Some(raw) => to_hash(&format!("stored hash {id}"), raw),
            None if blob.len() % 32 != 0 => Err(StoreError::Corrupt(format!("hash page {page} holds {} bytes", blob.len()))),
            None => Err(StoreError::NotFound(format!("stored hash {id}"))),
        }
    }

    /// Whether stored hash `id` is held (its page was read far enough: a page only grows, so
    /// a cached prefix that reaches it is correct).
    pub fn holds(&self, id: u64, per_page: u64) -> bool {
        let at = (id % per_page) as usize * 32;
        self.pages.borrow().get(&(id / per_page)).is_some_and(|b| b.len() >= at + 32)
    }

    /// Keeps a page read.
    pub fn insert(&self, page: u64, blob: std::sync::Arc<Vec<u8>>) {
        let mut c = self.pages.borrow_mut();
        if c.len() >= Self::LIMIT {
            c.clear();
        }
        c.insert(page, blob);
    }
}

/// Visits the hashes of one stored page (`per_page` hashes of 32 bytes) whose ids are in
/// `start..end`. A page of the wrong length yields a short last slice (reported by the
/// caller); bytes beyond a page's hashes are counted by `counts()`, never taken as ids of the
/// next page.
pub fn visit_page(page: u64, blob: &[u8], per_page: u64, (start, end): (u64, u64), f: Visit<'_>) -> Result<(), StoreError> {
    for (k, raw) in blob.chunks(32).take(per_page as usize).enumerate() {
        let id = page * per_page + k as u64;
        if (start..end).contains(&id) {
            f(id, raw)?;
        }
    }
    Ok(())
}
