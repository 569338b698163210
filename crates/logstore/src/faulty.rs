//! A fault-injecting wrapper around any backend: it fails chosen operations, before or after
//! the inner store acts, so tests can show that a failure at any point loses nothing that was
//! acknowledged and never leaves the log signing on a tree the store does not hold.

use crate::store::{Batch, Hook, Meta, Stage, Store, StoreError, Visit};
use accord_tlog::Hash;

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The commit fails before the inner store sees it (nothing written).
    CommitBefore,
    /// The inner store commits, then an error is returned (the caller cannot tell it landed:
    /// the "lost acknowledgement" case).
    CommitAfter,
    /// The commit fails after the inner store has written the given part, inside its
    /// transaction: the backend must roll the batch back.
    CommitMidway(Stage),
    /// Reads of stored hashes fail.
    HashRead,
    /// Reads of entries fail.
    EntryRead,
}

/// A store that injects `fault` on the `nth` matching operation (0-based), and every later
/// one when `sticky`.
pub struct FaultyStore<S: Store> {
    /// The real store.
    pub inner: S,
    fault: Option<Fault>,
    nth: u64,
    seen: u64,
    sticky: bool,
}

impl<S: Store> FaultyStore<S> {
    /// Wraps `inner` with no fault armed.
    pub fn new(inner: S) -> FaultyStore<S> {
        FaultyStore {
            inner,
            fault: None,
            nth: 0,
            seen: 0,
            sticky: false,
        }
    }

    /// Arms `fault` for the `nth` next matching operation.
    pub fn arm(&mut self, fault: Fault, nth: u64, sticky: bool) {
        self.fault = Some(fault);
        self.nth = nth;
        self.seen = 0;
        self.sticky = sticky;
    }

    /// Disarms.
    pub fn disarm(&mut self) {
        self.fault = None;
    }

    fn strikes(&mut self, f: Fault) -> bool {
        if self.fault != Some(f) {
            return false;
        }
        let n = self.seen;
        self.seen += 1;
        n == self.nth || (self.sticky && n > self.nth)
    }

    fn strikes_ro(&self, f: Fault) -> bool {
        self.fault == Some(f)
    }
}

impl<S: Store> Store for FaultyStore<S> {
    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.inner.in_snapshot(f)
    }
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        self.inner.init(meta, checkpoint)
    }
    fn meta(&self) -> Result<Meta, StoreError> {
        self.inner.meta()
    }
    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        self.inner.latest()
    }
    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        if self.strikes(Fault::CommitBefore) {
            return Err(StoreError::Injected("commit (before writing)"));
        }
        let midway = match self.fault {
            Some(Fault::CommitMidway(stage)) => self.strikes(Fault::CommitMidway(stage)).then_some(stage),
            _ => None,
        };
        let after = self.strikes(Fault::CommitAfter);
        self.inner.commit_staged(batch, &mut |stage| {
            hook(stage)?;
            if midway == Some(stage) {
                return Err(StoreError::Injected("commit (midway)"));
            }
            Ok(())
        })?;
        if after {
            return Err(StoreError::Injected("commit (after writing)"));
        }
        Ok(())
    }
    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        if self.strikes_ro(Fault::EntryRead) {
            return Err(StoreError::Injected("entry read"));
        }
        self.inner.entry(index)
    }
    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        if self.strikes_ro(Fault::EntryRead) {
            return Err(StoreError::Injected("entry scan"));
        }
        self.inner.scan_entries(start, end, f)
    }
    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        if self.strikes_ro(Fault::HashRead) {
            return Err(StoreError::Injected("hash read"));
        }
        self.inner.hash(id)
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        if self.strikes_ro(Fault::HashRead) {
            return Err(StoreError::Injected("node read"));
        }
        self.inner.node(level, index)
    }
    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        if self.strikes_ro(Fault::HashRead) {
            return Err(StoreError::Injected("hash scan"));
        }
        self.inner.scan_hashes(start, end, f)
    }
    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        self.inner.scan_checkpoints(f)
    }
    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.checkpoint(size)
    }
    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        self.inner.add_cosignatures(size, lines)
    }
    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        self.inner.cosignatures(size)
    }
    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        self.inner.counts()
    }
}
