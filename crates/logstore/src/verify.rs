//! Full verification of a stored log, locating every problem.
//!
//! Three independent checks, each over the whole store:
//! 1. every entry's leaf hash equals its stored level-0 hash (a changed entry is named by index);
//! 2. every stored hash above level 0 is the node hash of its two stored children (a changed
//!    hash is named by level and index);
//! 3. every stored checkpoint is a valid checkpoint of this origin, signed by the log key, whose
//!    size is the size it is stored under and whose root is the root of the stored tree at that
//!    size (a changed checkpoint is named by size).
//!
//! Together they imply that all stored checkpoints are consistent with each other: they are
//! roots of prefixes of one sequence of leaves. Invariant: verification reads, never writes,
//! and reports a store it cannot read as a problem, never a panic.

use crate::store::{to_hash, Store, StoreError};
use accord_tlog::merkle::{stored_count, stored_index};
use accord_tlog::{empty_root, leaf_hash, node_hash, Checkpoint, Hash, Note, VerifierKey};
use std::collections::BTreeMap;

/// Most problems listed before the report stops listing (it still counts them).
pub const MAX_LISTED: usize = 1000;

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An entry is missing or differs from its stored leaf hash.
    Entry {
        /// Entry index.
        index: u64,
        /// What is wrong.
        what: String,
    },
    /// A stored hash is missing, malformed or not the hash of its children.
    Hash {
        /// Merkle level.
        level: u32,
        /// Index at that level.
        index: u64,
        /// What is wrong.
        what: String,
    },
    /// A checkpoint is malformed, badly signed, or not a root of the stored tree.
    Checkpoint {
        /// The size it is stored under.
        size: u64,
        /// What is wrong.
        what: String,
    },
    /// Something about the store as a whole.
    Store(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Entry { index, what } => write!(f, "entry {index}: {what}"),
            Problem::Hash { level, index, what } => write!(f, "stored hash at level {level}, index {index}: {what}"),
            Problem::Checkpoint { size, what } => write!(f, "checkpoint at size {size}: {what}"),
            Problem::Store(what) => write!(f, "store: {what}"),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The log's origin.
    pub origin: String,
    /// Size of the latest checkpoint.
    pub size: u64,
    /// Entries checked.
    pub entries: u64,
    /// Stored hashes checked.
    pub hashes: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Entry bytes hashed.
    pub bytes: u64,
    /// Problems found (at most [`MAX_LISTED`]).
    pub problems: Vec<Problem>,
    /// Problems found in all.
    pub problem_count: u64,
}

impl Report {
    /// Records a problem (listing at most [`MAX_LISTED`]).
    pub fn add(&mut self, p: Problem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(p);
        }
    }

    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
}

/// Where leaf hashes come from: computed here from the store's entries, or by the caller (for
/// example on other threads reading another connection) as `(index, leaf hash, entry length)`
/// in index order.
pub enum Leaves<'a> {
    /// Scan and hash the entries of the store being verified.
    Inline,
    /// Chunks of leaf hashes computed elsewhere; an `Err` is a read failure.
    Computed(&'a mut dyn Iterator<Item = Result<Vec<(u64, Hash, u64)>, StoreError>>),
}

/// Verifies `store` against the log key `key`. `progress` receives the number of leaves done.
/// Everything is read in one snapshot of the store ([`Store::read_snapshot`]), so a writer
/// appending meanwhile changes nothing that is checked.
pub fn verify<S: Store>(store: &S, key: &VerifierKey, leaves: Leaves<'_>, progress: &mut dyn FnMut(u64)) -> Report {
    let mut r = Report::default();
    if let Err(e) = store.read_snapshot(|s| run(s, key, leaves, progress, &mut r)) {
        r.add(Problem::Store(e.to_string()));
    }
    r
}

fn run<S: Store>(
    store: &S,
    key: &VerifierKey,
    leaves: Leaves<'_>,
    progress: &mut dyn FnMut(u64),
    r: &mut Report,
) -> Result<(), StoreError> {
    let meta = store.meta()?;
    r.origin = meta.origin.clone();
    if meta.vkey != key.to_string() {
        r.add(Problem::Store(format!(
            "the log's recorded key {} is not the key verified against, {key}",
            meta.vkey
        )));
    }
    let (size, _) = store.latest()?;
    r.size = size;

    // Checkpoints first (small): parse and check signatures; roots are checked as the tree grows.
    let mut roots: BTreeMap<u64, Option<Hash>> = BTreeMap::new();
    store.scan_checkpoints(&mut |s, note| {
        r.checkpoints += 1;
        match check_checkpoint(note, s, &meta.origin, key) {
            Ok(root) => {
                roots.insert(s, Some(root));
            }
            Err(what) => {
                roots.insert(s, None);
                r.add(Problem::Checkpoint { size: s, what });
            }
        }
        Ok(())
    })?;

    let (n_entries, n_hashes, _) = store.counts()?;
    // Never trust a stored size for an allocation: walk at most what is stored.
    let walk = if size > n_entries {
        r.add(Problem::Checkpoint {
            size,
            what: format!("it covers {size} entries, but {n_entries} are stored"),
        });
        n_entries
    } else {
        size
    };
    for (&s, _) in roots.range(walk + 1..) {
        if s != size {
            r.add(Problem::Checkpoint {
                size: s,
                what: format!("beyond the {walk} stored entries"),
            });
        }
    }
    if n_entries > size {
        r.add(Problem::Store(format!(
            "{} entries are stored beyond the latest checkpoint's size {size}",
            n_entries - size
        )));
    }
    let want_hashes = stored_count(walk);
    if n_hashes > want_hashes {
        r.add(Problem::Store(format!(
            "{} stored hashes beyond the {want_hashes} a tree of size {walk} has",
            n_hashes - want_hashes
        )));
    }

    // Stored hashes for the tree of `walk`, placed by number.
    let mut stored: Vec<Option<Hash>> = vec![None; want_hashes as usize];
    store.scan_hashes(0, want_hashes, &mut |id, raw| {
        if let Some(slot) = stored.get_mut(id as usize) {
            *slot = to_hash("stored hash", raw).ok();
        }
        Ok(())
    })?;

    // Walk the leaves, following the stored tree; check each checkpoint's root as its size
    // is reached.
    let mut walker = Walker {
        stored: &stored,
        edge: Vec::new(),
        next: 0,
    };
    walker.check_root(r, &roots);
    let mut on_leaf = |r: &mut Report, index: u64, leaf: Hash, len: u64| {
        while walker.next < index {
            let i = walker.next;
            walker.step(r, i, None, 0);
            walker.check_root(r, &roots);
        }
        walker.step(r, index, Some(leaf), len);
        walker.check_root(r, &roots);
        progress(walker.next);
    };
    match leaves {
        Leaves::Inline => store.scan_entries(0, walk, &mut |i, data| {
            on_leaf(r, i, leaf_hash(data), data.len() as u64);
            Ok(())
        })?,
        Leaves::Computed(it) => {
            for chunk in it {
                for (i, h, len) in chunk? {
                    if i < walk {
                        on_leaf(r, i, h, len);
                    }
                }
            }
        }
    }
    while walker.next < walk {
        let i = walker.next;
        walker.step(r, i, None, 0);
        walker.check_root(r, &roots);
    }
    Ok(())
}

/// Walks the stored tree leaf by leaf.
struct Walker<'a> {
    stored: &'a [Option<Hash>],
    /// Stored hashes on the right edge, by level.
    edge: Vec<Option<Hash>>,
    /// Leaves walked.
    next: u64,
}

impl Walker<'_> {
    fn step(&mut self, r: &mut Report, index: u64, leaf: Option<Hash>, len: u64) {
        r.entries += u64::from(leaf.is_some());
        r.bytes += len;
        r.hashes += 1;
        let mut cur = match (leaf, self.stored[stored_index(0, index) as usize]) {
            (Some(l), Some(s)) => {
                if l != s {
                    r.add(Problem::Entry {
                        index,
                        what: format!("its leaf hash {l} differs from the stored leaf hash {s} (the entry or that hash was changed)"),
                    });
                }
                s
            }
            (None, Some(s)) => {
                r.add(Problem::Entry {
                    index,
                    what: "missing".into(),
                });
                s
            }
            (l, None) => {
                r.add(Problem::Hash {
                    level: 0,
                    index,
                    what: "missing or not 32 bytes".into(),
                });
                l.unwrap_or(Hash([0; 32]))
            }
        };
        let mut level = 0usize;
        while index & (1 << level) != 0 {
            let left = self.edge.get_mut(level).and_then(Option::take).unwrap_or(Hash([0; 32]));
            let computed = node_hash(&left, &cur);
            level += 1;
            let n = index >> level;
            r.hashes += 1;
            cur = match self.stored[stored_index(level as u32, n) as usize] {
                Some(s) => {
                    if s != computed {
                        r.add(Problem::Hash {
                            level: level as u32,
                            index: n,
                            what: format!("{s} is not the hash of its two stored children ({computed})"),
                        });
                    }
                    s
                }
                None => {
                    r.add(Problem::Hash {
                        level: level as u32,
                        index: n,
                        what: "missing or not 32 bytes".into(),
                    });
                    computed
                }
            };
        }
        if self.edge.len() <= level {
            self.edge.resize(level + 1, None);
        }
        self.edge[level] = Some(cur);
        self.next = index + 1;
    }

    fn check_root(&self, r: &mut Report, roots: &BTreeMap<u64, Option<Hash>>) {
        let s = self.next;
        if let Some(Some(root)) = roots.get(&s) {
            let mut acc: Option<Hash> = None;
            for h in self.edge.iter().flatten() {
                acc = Some(match acc {
                    None => *h,
                    Some(right) => node_hash(h, &right),
                });
            }
            let tree = acc.unwrap_or_else(empty_root);
            if tree != *root {
                r.add(Problem::Checkpoint {
                    size: s,
                    what: format!("its root {root} is not the root {tree} of the stored tree at that size"),
                });
            }
        }
    }
}

/// Checks one stored checkpoint note: parses, matches origin and size, verifies the log
/// signature; returns its root.
fn check_checkpoint(note: &[u8], size: u64, origin: &str, key: &VerifierKey) -> Result<Hash, String> {
    let n = Note::parse(note).map_err(|e| e.to_string())?;
    n.verify(std::slice::from_ref(key)).map_err(|e| format!("log signature: {e}"))?;
    let cp = Checkpoint::parse(&n.text).map_err(|e| e.to_string())?;
    if cp.origin != origin {
        return Err(format!("origin {:?}, not the log's {origin:?}", cp.origin));
    }
    if cp.size != size {
        return Err(format!("it says size {}", cp.size));
    }
    Ok(cp.root)
}

/// A per-entry check run beside the hashing (for example, that an entry's by-hash material is
/// present): returns a problem to report for that entry.
pub type Inspect<'a> = &'a (dyn Fn(u64, &[u8]) -> Option<String> + Sync);

/// Verifies a SQLite store at full speed: entries are read and hashed on one thread a core
/// (each with its own read-only connection to `db`, taking chunks of entries in turn) while
/// the calling thread checks the tree, all within one read snapshot of `store` (entries below
/// its size never change, so the other connections see the same ones even while a writer
/// appends). `inspect`, if given, sees every entry on a reading thread; its problems are
/// reported in index order. `progress` receives leaves done.
pub fn verify_sqlite(
    store: &crate::sqlite::SqliteStore,
    db: &std::path::Path,
    key: &VerifierKey,
    inspect: Option<Inspect<'_>>,
    progress: &mut dyn FnMut(u64),
) -> Report {
    use crate::sqlite::SqliteStore;
    use std::sync::mpsc::{sync_channel, Receiver};
    /// Entries a chunk: reader `t` of `K` reads chunks `t`, `t + K`, …
    const CHUNK: u64 = 2048;
    type Chunk = Result<Vec<(u64, Hash, u64)>, StoreError>;
    let found = std::sync::Mutex::new(Vec::<(u64, String)>::new());
    // Reading rows is the bottleneck (hashing a row takes a third of the time SQLite takes to
    // hand it over): as many readers as cores, each on its own read-only connection, each
    // hashing the rows it reads; the calling thread checks the tree, taking the chunks in
    // order, one from each reader in turn.
    let readers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8) as u64;
    let mut report = store
        .read_snapshot(|s| {
            let size = s.latest().map(|(n, _)| n).unwrap_or(0);
            let report = std::thread::scope(|scope| {
                let mut rxs: Vec<Receiver<Chunk>> = Vec::new();
                for t in 0..readers {
                    let (tx, rx) = sync_channel::<Chunk>(4);
                    rxs.push(rx);
                    let found = &found;
                    scope.spawn(move || {
                        let conn = match SqliteStore::open_read_only(db) {
                            Ok(c) => c,
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                return;
                            }
                        };
                        let mut start = t * CHUNK;
                        while start < size {
                            let end = (start + CHUNK).min(size);
                            let mut out = Vec::with_capacity((end - start) as usize);
                            let read = conn.scan_entries(start, end, &mut |i, d| {
                                if let Some(problem) = inspect.and_then(|f| f(i, d)) {
                                    if let Ok(mut v) = found.lock() {
                                        v.push((i, problem));
                                    }
                                }
                                out.push((i, leaf_hash(d), d.len() as u64));
                                Ok(())
                            });
                            if tx.send(read.map(|()| out)).is_err() {
                                return;
                            }
                            start += readers * CHUNK;
                        }
                    });
                }
                let n_chunks = size.div_ceil(CHUNK);
                let mut leaves = (0..n_chunks).map(|c| {
                    rxs[(c % readers) as usize]
                        .recv()
                        .unwrap_or_else(|_| Err(StoreError::Backend("a verification reader stopped".into())))
                });
                let mut last = 0;
                verify(s, key, Leaves::Computed(&mut leaves), &mut |n| {
                    if n >= last + 4096 {
                        last = n;
                        progress(n);
                    }
                })
                // Dropping the receivers here stops the readers if verification ended early.
            });
            Ok(report)
        })
        .unwrap_or_else(|e| {
            let mut r = Report::default();
            r.add(Problem::Store(e.to_string()));
            r
        });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort_by_key(|(i, _)| *i);
    for (index, what) in found {
        report.add(Problem::Entry { index, what });
    }
    report
}
