//! An in-memory backend: the reference the conformance suite is read against, and the base of
//! fault-injection tests. Not durable.

use crate::store::{to_hash, Batch, Hook, Meta, Stage, Store, StoreError, Visit};
use accord_tlog::Hash;
use std::collections::BTreeMap;

/// A log store in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    meta: Option<Meta>,
    entries: Vec<Vec<u8>>,
    hashes: Vec<Vec<u8>>,
    checkpoints: BTreeMap<u64, Vec<u8>>,
    cosignatures: BTreeMap<u64, Vec<String>>,
}

impl MemoryStore {
    /// An empty, uninitialised store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Overwrites a stored value, for tamper tests: `table` is "entries", "hashes" or
    /// "checkpoints".
    pub fn tamper(&mut self, table: &str, key: u64, value: Vec<u8>) {
        match table {
            "entries" => self.entries[key as usize] = value,
            "hashes" => self.hashes[key as usize] = value,
            _ => {
                self.checkpoints.insert(key, value);
            }
        }
    }
}

impl Store for MemoryStore {
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        if let Some(m) = &self.meta {
            return Err(StoreError::AlreadyInitialised(m.origin.clone()));
        }
        self.meta = Some(meta.clone());
        self.checkpoints.insert(0, checkpoint.to_vec());
        Ok(())
    }

    fn meta(&self) -> Result<Meta, StoreError> {
        self.meta.clone().ok_or(StoreError::NotInitialised)
    }

    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        self.checkpoints
            .iter()
            .next_back()
            .map(|(s, n)| (*s, n.clone()))
            .ok_or(StoreError::NotInitialised)
    }

    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        let (size, _) = self.latest()?;
        if size != batch.start {
            return Err(StoreError::Conflict {
                want: size,
                got: batch.start,
            });
        }
        if self.hashes.len() as u64 != batch.hash_start {
            return Err(StoreError::Conflict {
                want: self.hashes.len() as u64,
                got: batch.hash_start,
            });
        }
        let (entries, hashes, end) = (self.entries.len(), self.hashes.len(), batch.end());
        let undo = |s: &mut MemoryStore, e: StoreError| {
            s.entries.truncate(entries);
            s.hashes.truncate(hashes);
            s.checkpoints.remove(&end);
            Err(e)
        };
        self.entries.extend(batch.entries.iter().cloned());
        if let Err(e) = hook(Stage::Entries) {
            return undo(self, e);
        }
        let sealed = match (batch.seal)() {
            Ok(s) => s,
            Err(e) => return undo(self, e),
        };
        self.hashes.extend(sealed.hashes.iter().map(|h| h.0.to_vec()));
        if let Err(e) = hook(Stage::Hashes) {
            return undo(self, e);
        }
        self.checkpoints.insert(end, sealed.checkpoint);
        if let Err(e) = hook(Stage::Checkpoint) {
            return undo(self, e);
        }
        Ok(())
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        self.entries
            .get(index as usize)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("entry {index}")))
    }

    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        let end = end.min(self.entries.len() as u64);
        for i in start..end {
            f(i, &self.entries[i as usize])?;
        }
        Ok(())
    }

    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        let raw = self
            .hashes
            .get(id as usize)
            .ok_or_else(|| StoreError::NotFound(format!("stored hash {id}")))?;
        to_hash(&format!("stored hash {id}"), raw)
    }

    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        let end = end.min(self.hashes.len() as u64);
        for i in start..end {
            f(i, &self.hashes[i as usize])?;
        }
        Ok(())
    }

    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        for (s, n) in &self.checkpoints {
            f(*s, n)?;
        }
        Ok(())
    }

    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.checkpoints.get(&size).cloned())
    }

    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        let kept = self.cosignatures.entry(size).or_default();
        let mut added = 0;
        for l in lines {
            if !kept.contains(l) {
                kept.push(l.clone());
                added += 1;
            }
        }
        Ok(added)
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        Ok(self.cosignatures.get(&size).cloned().unwrap_or_default())
    }

    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        Ok((self.entries.len() as u64, self.hashes.len() as u64, self.checkpoints.len() as u64))
    }
}

/// Handles on one [`MemoryStore`] shared between a writer and any number of readers (as
/// connections to one database are): a commit holds the store's write lock throughout, so no
/// reader sees half a batch, and [`Store::in_snapshot`] pins the sizes a handle sees (the
/// store only grows, so a snapshot is its sizes at the start). Cosignatures are outside the
/// tree and always read as they are now. Not durable: a test double, and the store of a node
/// configured with `storage = "memory"`.
#[derive(Debug, Default)]
pub struct SharedMemoryStore {
    inner: std::sync::Arc<std::sync::RwLock<MemoryStore>>,
    pinned: std::sync::Mutex<Option<Pin>>,
}

impl Clone for SharedMemoryStore {
    /// Another handle on the same store (see [`SharedMemoryStore::handle`]).
    fn clone(&self) -> SharedMemoryStore {
        self.handle()
    }
}

/// The sizes a snapshot sees: entries, stored hashes, the latest checkpoint's size.
#[derive(Debug, Clone, Copy)]
struct Pin {
    entries: u64,
    hashes: u64,
    size: u64,
}

impl SharedMemoryStore {
    /// A new, uninitialised store.
    pub fn new() -> SharedMemoryStore {
        SharedMemoryStore::default()
    }

    /// Another handle on the same store, with a snapshot of its own.
    pub fn handle(&self) -> SharedMemoryStore {
        SharedMemoryStore {
            inner: self.inner.clone(),
            pinned: Default::default(),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&MemoryStore, Option<Pin>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let pin = *self.pinned.lock().map_err(|_| poisoned())?;
        let s = self.inner.read().map_err(|_| poisoned())?;
        f(&s, pin)
    }
}

/// Stored hash `id` as a snapshot pinned at `pin` sees it.
fn pinned_hash(s: &MemoryStore, pin: Option<Pin>, id: u64) -> Result<Hash, StoreError> {
    match pin {
        Some(p) if id >= p.hashes => Err(StoreError::NotFound(format!("stored hash {id}"))),
        _ => s.hash(id),
    }
}

fn poisoned() -> StoreError {
    StoreError::Backend("the in-memory store's lock is poisoned".into())
}

impl Store for SharedMemoryStore {
    fn init(&mut self, meta: &Meta, checkpoint: &[u8]) -> Result<(), StoreError> {
        self.inner.write().map_err(|_| poisoned())?.init(meta, checkpoint)
    }

    fn meta(&self) -> Result<Meta, StoreError> {
        self.read(|s, _| s.meta())
    }

    fn latest(&self) -> Result<(u64, Vec<u8>), StoreError> {
        self.read(|s, pin| match pin {
            None => s.latest(),
            Some(p) => Ok((p.size, s.checkpoint(p.size)?.ok_or(StoreError::NotInitialised)?)),
        })
    }

    fn commit_staged(&mut self, batch: &mut Batch<'_>, hook: Hook<'_>) -> Result<(), StoreError> {
        if self.pinned.lock().map_err(|_| poisoned())?.is_some() {
            return Err(StoreError::Backend("a commit inside a read snapshot".into()));
        }
        self.inner.write().map_err(|_| poisoned())?.commit_staged(batch, hook)
    }

    fn in_snapshot(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        {
            let mut pinned = self.pinned.lock().map_err(|_| poisoned())?;
            if pinned.is_some() {
                drop(pinned);
                return f();
            }
            let s = self.inner.read().map_err(|_| poisoned())?;
            let (entries, hashes, _) = s.counts()?;
            let size = s.latest().map(|(n, _)| n).unwrap_or(0);
            *pinned = Some(Pin { entries, hashes, size });
        }
        // Unpinned however `f` ends, a panic included.
        struct Unpin<'a>(&'a std::sync::Mutex<Option<Pin>>);
        impl Drop for Unpin<'_> {
            fn drop(&mut self) {
                if let Ok(mut p) = self.0.lock() {
                    *p = None;
                }
            }
        }
        let _unpin = Unpin(&self.pinned);
        f()
    }

    fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        self.read(|s, pin| match pin {
            Some(p) if index >= p.entries => Err(StoreError::NotFound(format!("entry {index}"))),
            _ => s.entry(index),
        })
    }

    fn scan_entries(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        self.read(|s, pin| s.scan_entries(start, pin.map_or(end, |p| end.min(p.entries)), f))
    }

    fn hash(&self, id: u64) -> Result<Hash, StoreError> {
        self.read(|s, pin| pinned_hash(s, pin, id))
    }

    fn nodes(&self, at: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        // One lock for the lot, as a networked store would make one round trip.
        self.read(|s, pin| {
            at.iter()
                .map(|&(level, index)| pinned_hash(s, pin, accord_tlog::merkle::stored_index(level, index)))
                .collect()
        })
    }

    fn scan_hashes(&self, start: u64, end: u64, f: Visit<'_>) -> Result<(), StoreError> {
        self.read(|s, pin| s.scan_hashes(start, pin.map_or(end, |p| end.min(p.hashes)), f))
    }

    fn scan_checkpoints(&self, f: Visit<'_>) -> Result<(), StoreError> {
        self.read(|s, pin| {
            s.scan_checkpoints(&mut |size, note| match pin {
                Some(p) if size > p.size => Ok(()),
                _ => f(size, note),
            })
        })
    }

    fn checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|s, pin| match pin {
            Some(p) if size > p.size => Ok(None),
            _ => s.checkpoint(size),
        })
    }

    fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        self.read(|s, pin| {
            let (e, h, c) = s.counts()?;
            Ok(match pin {
                None => (e, h, c),
                Some(p) => {
                    let mut n = 0;
                    s.scan_checkpoints(&mut |size, _| {
                        n += u64::from(size <= p.size);
                        Ok(())
                    })?;
                    (e.min(p.entries), h.min(p.hashes), n)
                }
            })
        })
    }

    fn add_cosignatures(&mut self, size: u64, lines: &[String]) -> Result<usize, StoreError> {
        self.inner.write().map_err(|_| poisoned())?.add_cosignatures(size, lines)
    }

    fn cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        self.read(|s, _| s.cosignatures(size))
    }
}
