//! The conformance suite every [`Store`] backend must pass (a PostgreSQL backend will run it
//! too). Each check panics with a message naming the rule broken; backends call [`run_all`]
//! from their tests with a function that makes a fresh, empty store.
//!
//! What it holds a backend to: the contract in [`crate::store`] (atomic, append-only commits,
//! conflicts refused without change, ordered scans, typed errors for absent rows), plus the
//! behaviour of a [`Log`] on top of it (proofs from stored hashes verify; after an injected
//! failure before, in the middle of (after entries, after hashes, after the checkpoint, inside
//! the transaction) or after a commit, the log neither loses an acknowledged entry nor signs an
//! inconsistent checkpoint, the failed batch leaves nothing behind, and a full verification of
//! the store is clean); batched hash reads agree with single ones; cosignatures scan largest
//! size first. [`snapshot_readers`] holds handles on one store (a writer and readers, as
//! connections to one database) to consistent snapshots while the writer appends.

#![allow(clippy::unwrap_used)]

use crate::faulty::{Fault, FaultyStore};
use crate::log::{prove_consistency, prove_inclusion, Log, LogError};
use crate::store::{sealed, Batch, Meta, Stage, Store, StoreError};
use crate::verify::{verify, Leaves};
use accord_tlog::merkle::{stored_count, verify_consistency, verify_inclusion, MemoryTree};
use accord_tlog::{leaf_hash, note::ALG_ED25519, Checkpoint, Hash, Note, SignerKey};

/// The test key every check signs with.
pub fn test_key() -> SignerKey {
    SignerKey::from_seed("example.org/conformance/log", ALG_ED25519, [7; 32]).unwrap()
}

fn entries(from: u64, n: u64) -> Vec<Vec<u8>> {
    (from..from + n).map(|i| format!("entry {i}").into_bytes()).collect()
}

/// Runs every check against stores made by `make`.
pub fn run_all<S: Store>(make: &mut dyn FnMut() -> S) {
    uninitialised(make());
    init_once(make());
    commit_and_read(make());
    conflicts_change_nothing(make());
    absent_rows_are_typed_errors(make());
    log_proofs_verify(make());
    faults_lose_nothing(FaultyStore::new(make()), Fault::CommitBefore);
    faults_lose_nothing(FaultyStore::new(make()), Fault::CommitAfter);
    for stage in [Stage::Entries, Stage::Hashes, Stage::Checkpoint] {
        faults_lose_nothing(FaultyStore::new(make()), Fault::CommitMidway(stage));
    }
    read_faults_are_errors(FaultyStore::new(make()));
    cosignatures_are_kept_once(make());
    batched_hashes_agree(make());
    cosignatures_scan_largest_first(make());
}

/// [`Store::nodes`] gives what [`Store::node`] gives, in the order asked (repeats too), and an
/// absent hash is a typed error.
pub fn batched_hashes_agree<S: Store>(s: S) {
    let mut log = Log::create(s, test_key(), "US").unwrap();
    log.append(&entries(0, 37)).unwrap();
    let mut at: Vec<(u32, u64)> = (0..6u32).flat_map(|l| (0..(37u64 >> l)).map(move |i| (l, i))).rev().collect();
    at.extend([(0, 3), (0, 3), (5, 0)]);
    let one: Vec<Hash> = at.iter().map(|&(l, i)| log.store().node(l, i).unwrap()).collect();
    assert_eq!(log.store().nodes(&at).unwrap(), one, "batched hash reads");
    assert!(log.store().nodes(&[]).unwrap().is_empty());
    assert!(
        matches!(log.store().nodes(&[(0, 0), (0, 40)]), Err(StoreError::NotFound(_))),
        "a batch with an absent hash is NotFound"
    );
}

/// [`Store::scan_cosignatures_desc`] visits the largest size first, stops when told.
pub fn cosignatures_scan_largest_first<S: Store>(s: S) {
    let mut log = Log::create(s, test_key(), "US").unwrap();
    for i in 0..3 {
        log.append(&entries(i * 2, 2)).unwrap();
    }
    let st = log.store_mut();
    st.add_cosignatures(2, &["— a 2".into()]).unwrap();
    st.add_cosignatures(6, &["— a 6".into(), "— b 6".into()]).unwrap();
    st.add_cosignatures(4, &["— b 4".into()]).unwrap();
    let mut seen = Vec::new();
    st.scan_cosignatures_desc(&mut |size, l| {
        seen.push((size, l.to_owned()));
        true
    })
    .unwrap();
    let want = [(6, "— a 6"), (6, "— b 6"), (4, "— b 4"), (2, "— a 2")];
    assert_eq!(seen, want.map(|(n, l)| (n, l.to_owned())), "cosignatures, largest size first");
    let mut n = 0;
    st.scan_cosignatures_desc(&mut |_, _| {
        n += 1;
        n < 2
    })
    .unwrap();
    assert_eq!(n, 2, "the scan stops when told");
}

/// Readers on one store (handles, as connections to one database) each see a consistent
/// snapshot inside [`Store::read_snapshot`] while `writer` appends: the latest checkpoint's
/// size, the entries and the stored hashes agree (the tree of the entries read has the signed
/// root), and sizes never go back.
pub fn snapshot_readers<W: Store, R: Store + 'static>(writer: W, readers: Vec<R>) {
    snapshot_readers_of(Log::create(writer, test_key(), "US").unwrap(), readers);
}

/// [`snapshot_readers`] with the writer's log already open (as a node's storage backend
/// opens it).
pub fn snapshot_readers_of<W: Store, R: Store + 'static>(mut log: Log<W>, readers: Vec<R>) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let at = log.size();
    let done = Arc::new(AtomicBool::new(false));
    // Checks made by all readers: the writer waits for one after each append, so reads and
    // appends interleave.
    let checks = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = readers
        .into_iter()
        .map(|r| {
            let (done, checks) = (done.clone(), checks.clone());
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                let mut last = 0u64;
                while !done.load(Ordering::SeqCst) {
                    let got = r.read_snapshot(|r| {
                        let (size, note) = match r.latest() {
                            Ok(x) => x,
                            Err(StoreError::NotInitialised) => return Ok(None),
                            Err(e) => return Err(e),
                        };
                        let mut tree = MemoryTree::new();
                        r.scan_entries(0, size + 1000, &mut |_, e| {
                            tree.append(leaf_hash(e));
                            Ok(())
                        })?;
                        let cp = Checkpoint::parse(&Note::parse(&note).unwrap().text).unwrap();
                        assert_eq!(tree.size(), size, "a snapshot's entries are its checkpoint's size");
                        assert_eq!(tree.root(), cp.root, "a snapshot's entries give its checkpoint's root");
                        assert_eq!(r.counts()?.1, stored_count(size), "a snapshot's stored hashes");
                        let stored = accord_tlog::merkle::tree_hash(&crate::store::Hashes(r), size).unwrap();
                        assert_eq!(stored, cp.root, "a snapshot's stored hashes give its root");
                        Ok(Some(size))
                    });
                    if let Some(size) = got.unwrap() {
                        assert!(size >= last, "a reader's size went back from {last} to {size}");
                        last = size;
                        seen.insert(size);
                        checks.fetch_add(1, Ordering::SeqCst);
                    }
                }
                seen
            })
        })
        .collect();
    let rounds = 40;
    for i in 0..rounds {
        let before = checks.load(Ordering::SeqCst);
        log.append(&entries(at + i * 5, 5)).unwrap();
        let t0 = std::time::Instant::now();
        while checks.load(Ordering::SeqCst) == before {
            assert!(t0.elapsed() < std::time::Duration::from_secs(10), "the readers stopped reading");
            std::thread::yield_now();
        }
    }
    done.store(true, Ordering::SeqCst);
    let mut sizes = std::collections::BTreeSet::new();
    for t in threads {
        sizes.extend(t.join().expect("a snapshot reader panicked"));
    }
    // Readers saw the log grow, not only its end.
    assert!(sizes.len() >= 5, "the readers saw only sizes {sizes:?} while the writer appended");
}

fn meta() -> Meta {
    Meta {
        origin: "example.org/conformance/log".into(),
        party: "US".into(),
        vkey: test_key().verifier().to_string(),
    }
}

/// Reads of an uninitialised store say so.
pub fn uninitialised<S: Store>(s: S) {
    assert_eq!(s.meta(), Err(StoreError::NotInitialised), "meta() of a new store");
    assert_eq!(s.latest().map(|_| ()), Err(StoreError::NotInitialised), "latest() of a new store");
}

/// `init` writes meta and the size-0 checkpoint once.
pub fn init_once<S: Store>(mut s: S) {
    s.init(&meta(), b"cp0").unwrap();
    assert_eq!(s.meta().unwrap(), meta(), "meta round trip");
    assert_eq!(s.latest().unwrap(), (0, b"cp0".to_vec()), "latest after init");
    assert!(
        matches!(s.init(&meta(), b"again"), Err(StoreError::AlreadyInitialised(_))),
        "second init refused"
    );
    assert_eq!(s.latest().unwrap(), (0, b"cp0".to_vec()), "a refused init changes nothing");
}

fn batch_for(tree: &mut accord_tlog::Edge, start: u64, es: &[Vec<u8>]) -> (Vec<Hash>, u64) {
    let mut out = Vec::new();
    for e in es {
        tree.push(leaf_hash(e), &mut out);
    }
    (out.into_iter().map(|(_, _, h)| h).collect(), stored_count(start))
}

/// Committed batches read back exactly, in order.
pub fn commit_and_read<S: Store>(mut s: S) {
    s.init(&meta(), b"cp0").unwrap();
    let mut edge = accord_tlog::Edge::new();
    let mut start = 0;
    for n in [1u64, 2, 5, 8] {
        let es = entries(start, n);
        let (hashes, hash_start) = batch_for(&mut edge, start, &es);
        let cp = format!("cp{}", start + n).into_bytes();
        s.commit(&mut Batch {
            start,
            entries: &es,
            hash_start,
            seal: &mut sealed(hashes, cp),
        })
        .unwrap();
        start += n;
    }
    assert_eq!(
        s.latest().unwrap(),
        (16, b"cp16".to_vec()),
        "latest is the last commit's checkpoint"
    );
    assert_eq!(s.counts().unwrap(), (16, stored_count(16), 5), "counts");
    for i in 0..16 {
        assert_eq!(s.entry(i).unwrap(), format!("entry {i}").into_bytes(), "entry {i}");
    }
    let mut seen = Vec::new();
    s.scan_entries(3, 9, &mut |i, _| {
        seen.push(i);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, (3..9).collect::<Vec<_>>(), "scan_entries is ordered and bounded");
    let mut ids = Vec::new();
    s.scan_hashes(0, stored_count(16), &mut |i, raw| {
        assert_eq!(raw.len(), 32);
        ids.push(i);
        Ok(())
    })
    .unwrap();
    assert_eq!(ids, (0..stored_count(16)).collect::<Vec<_>>(), "scan_hashes is ordered");
    let mut sizes = Vec::new();
    s.scan_checkpoints(&mut |sz, _| {
        sizes.push(sz);
        Ok(())
    })
    .unwrap();
    assert_eq!(sizes, [0, 1, 3, 8, 16], "checkpoints by size");
    assert_eq!(s.checkpoint(8).unwrap(), Some(b"cp8".to_vec()));
    assert_eq!(s.checkpoint(9).unwrap(), None);
    let mut mem = MemoryTree::new();
    for i in 0..16 {
        mem.append(leaf_hash(&s.entry(i).unwrap()));
    }
    assert_eq!(
        accord_tlog::merkle::tree_hash(&crate::store::Hashes(&s), 16).unwrap(),
        mem.root(),
        "stored hashes give the tree's root"
    );
}

/// A batch that does not continue the log is refused and changes nothing.
pub fn conflicts_change_nothing<S: Store>(mut s: S) {
    s.init(&meta(), b"cp0").unwrap();
    let es = entries(0, 3);
    let mut edge = accord_tlog::Edge::new();
    let (hashes, _) = batch_for(&mut edge, 0, &es);
    s.commit(&mut Batch {
        start: 0,
        entries: &es,
        hash_start: 0,
        seal: &mut sealed(hashes.clone(), b"cp3".to_vec()),
    })
    .unwrap();
    let before = s.counts().unwrap();
    let wrong_start = s.commit(&mut Batch {
        start: 2,
        entries: &es,
        hash_start: stored_count(3),
        seal: &mut sealed(hashes.clone(), b"x".to_vec()),
    });
    assert_eq!(
        wrong_start,
        Err(StoreError::Conflict { want: 3, got: 2 }),
        "a batch at the wrong size"
    );
    let wrong_hashes = s.commit(&mut Batch {
        start: 3,
        entries: &es,
        hash_start: 1,
        seal: &mut sealed(hashes.clone(), b"x".to_vec()),
    });
    assert!(
        matches!(wrong_hashes, Err(StoreError::Conflict { .. })),
        "a batch at the wrong hash count"
    );
    assert_eq!(s.counts().unwrap(), before, "refused batches change nothing");
    assert_eq!(s.latest().unwrap().0, 3);
}

/// Absent rows are typed errors, never panics.
pub fn absent_rows_are_typed_errors<S: Store>(mut s: S) {
    s.init(&meta(), b"cp0").unwrap();
    assert!(matches!(s.entry(0), Err(StoreError::NotFound(_))), "entry beyond the size");
    assert!(matches!(s.hash(0), Err(StoreError::NotFound(_))), "hash beyond the count");
    let mut n = 0;
    s.scan_entries(0, 10, &mut |_, _| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 0, "scan of an empty log");
}

/// A log on this store makes proofs that verify, and verifies clean.
pub fn log_proofs_verify<S: Store>(s: S) {
    let mut log = Log::create(s, test_key(), "US").unwrap();
    let mut mem = MemoryTree::new();
    let mut sizes = vec![0u64];
    for n in [1u64, 1, 3, 7, 20, 1, 33] {
        let es = entries(log.size(), n);
        for e in &es {
            mem.append(leaf_hash(e));
        }
        let a = log.append(&es).unwrap();
        let cp = Checkpoint::parse(&Note::parse(&a.checkpoint).unwrap().text).unwrap();
        assert_eq!(cp.root, mem.root(), "checkpoint root at size {}", a.size);
        sizes.push(a.size);
    }
    let size = log.size();
    let store = log.store();
    for i in 0..size {
        let (proof, _, cp) = prove_inclusion(store, i, None).unwrap();
        verify_inclusion(i, size, &leaf_hash(&store.entry(i).unwrap()), &proof, &cp.root).unwrap();
    }
    for (a, &from) in sizes.iter().enumerate() {
        for &to in &sizes[a..] {
            if from == 0 {
                continue;
            }
            let (proof, old, new) = prove_consistency(store, from, Some(to)).unwrap();
            let r1 = Checkpoint::parse(&Note::parse(&old).unwrap().text).unwrap().root;
            let r2 = Checkpoint::parse(&Note::parse(&new).unwrap().text).unwrap().root;
            verify_consistency(from, to, &r1, &r2, &proof).unwrap();
        }
    }
    assert!(matches!(prove_inclusion(store, 0, Some(3)), Err(LogError::NoCheckpoint(3))));
    let report = verify(store, &test_key().verifier(), Leaves::Inline, &mut |_| {});
    assert!(report.ok(), "a clean log verifies: {:?}", report.problems);
    assert_eq!(report.entries, size);
}

/// A commit that fails (before or after writing) loses no acknowledged entry, and the log goes
/// on signing only checkpoints consistent with the store.
pub fn faults_lose_nothing<S: Store>(s: FaultyStore<S>, fault: Fault) {
    let mut log = Log::create(s, test_key(), "US").unwrap();
    let mut acked: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut checkpoints: Vec<Vec<u8>> = Vec::new();
    for round in 0..6u64 {
        if round % 2 == 1 {
            log.store_mut().arm(fault, 0, false);
        }
        let es = entries(1000 * round, 3);
        match log.append(&es) {
            Ok(a) => {
                for (i, e) in es.into_iter().enumerate() {
                    acked.push((a.first + i as u64, e));
                }
                checkpoints.push(a.checkpoint);
            }
            Err(LogError::Store(StoreError::Injected(_))) => {}
            Err(e) => panic!("unexpected error after an injected {fault:?}: {e}"),
        }
        log.store_mut().disarm();
    }
    let store = log.store();
    for (i, e) in &acked {
        assert_eq!(&store.entry(*i).unwrap(), e, "acknowledged entry {i} after {fault:?}");
    }
    // Every checkpoint the log handed out is stored, and all are consistent (verify checks
    // every stored checkpoint against one stored tree).
    for cp in &checkpoints {
        let size = Checkpoint::parse(&Note::parse(cp).unwrap().text).unwrap().size;
        assert_eq!(store.checkpoint(size).unwrap().as_ref(), Some(cp), "checkpoint at {size} is stored");
    }
    let report = verify(store, &test_key().verifier(), Leaves::Inline, &mut |_| {});
    assert!(report.ok(), "after {fault:?}: {:?}", report.problems);
    if fault == Fault::CommitAfter {
        assert_eq!(log.size(), 18, "commits that landed before the error count");
    } else {
        assert_eq!(log.size(), 9, "commits refused before or while writing leave nothing");
        assert_eq!(log.store().counts().unwrap().0, 9, "no entry of a failed batch is stored");
    }
}

/// Failing reads give errors from proofs and a located store problem from verification.
pub fn read_faults_are_errors<S: Store>(s: FaultyStore<S>) {
    let mut log = Log::create(s, test_key(), "US").unwrap();
    log.append(&entries(0, 10)).unwrap();
    log.store_mut().arm(Fault::HashRead, 0, true);
    assert!(prove_inclusion(log.store(), 3, None).is_err(), "a proof with failing hash reads");
    let report = verify(log.store(), &test_key().verifier(), Leaves::Inline, &mut |_| {});
    assert!(!report.ok(), "verification with failing hash reads reports a problem");
    log.store_mut().arm(Fault::EntryRead, 0, true);
    let report = verify(log.store(), &test_key().verifier(), Leaves::Inline, &mut |_| {});
    assert!(!report.ok(), "verification with failing entry reads reports a problem");
}

/// Cosignature lines are kept per size, once each, in arrival order, and change nothing else.
pub fn cosignatures_are_kept_once<S: Store>(mut s: S) {
    s.init(&meta(), b"cp0").unwrap();
    let before = s.counts().unwrap();
    assert_eq!(s.add_cosignatures(0, &["— w1 AAAA".into(), "— w2 BBBB".into()]).unwrap(), 2);
    assert_eq!(
        s.add_cosignatures(0, &["— w1 AAAA".into(), "— w3 CCCC".into()]).unwrap(),
        1,
        "a line is kept once"
    );
    assert_eq!(s.cosignatures(0).unwrap(), ["— w1 AAAA", "— w2 BBBB", "— w3 CCCC"]);
    assert!(s.cosignatures(5).unwrap().is_empty());
    assert_eq!(s.counts().unwrap(), before, "cosignatures are outside the tree");
}

/// An add-checkpoint request from `log` at its latest size, claiming `old` (with the proof
/// from `old` when the log has that checkpoint).
pub fn add_request<S: Store>(log: &Log<S>, old: u64) -> Vec<u8> {
    let proof = if old == 0 || old > log.size() {
        Vec::new()
    } else {
        prove_consistency(log.store(), old, None).unwrap().0
    };
    accord_tlog::witness::AddCheckpoint {
        old,
        proof,
        checkpoint: Note::parse(log.latest()).unwrap(),
    }
    .to_bytes()
}

/// The conformance suite of a [`crate::witness::WitnessStore`]: following, cosigning in order,
/// refusing a stale or unknown request with the spec's status, freezing a log that forks and
/// keeping the evidence, and keeping a fork reported from outside.
pub fn witness_store<W: crate::witness::WitnessStore>(make: &mut dyn FnMut() -> W) {
    use crate::memory::MemoryStore;
    use accord_tlog::witness::Rejection;
    let witness = SignerKey::from_seed("example.org/conformance/witness", accord_tlog::note::ALG_COSIGNATURE_V1, [9; 32]).unwrap();
    let status = |r: Result<Result<Vec<u8>, Rejection>, StoreError>| match r.unwrap() {
        Ok(_) => 200,
        Err(rej) => rej.status(),
    };
    let mut log = Log::create(MemoryStore::new(), test_key(), "US").unwrap();
    log.append(&entries(0, 5)).unwrap();
    let origin = test_key().verifier().name().to_owned();

    let mut w = make();
    assert_eq!(
        status(w.add_checkpoint(&add_request(&log, 0), &witness, 1)),
        404,
        "an unknown origin"
    );
    assert!(w.followed().unwrap().is_empty());
    w.follow(&test_key().verifier()).unwrap();
    w.follow(&test_key().verifier()).unwrap();
    let f = w.followed().unwrap();
    assert_eq!(
        (f.len(), f[0].vkeys.len(), f[0].size, f[0].frozen),
        (1, 1, 0, false),
        "followed once"
    );
    assert_eq!(w.latest(&origin).unwrap(), None);

    let first = w.add_checkpoint(&add_request(&log, 0), &witness, 1).unwrap().expect("cosigned");
    let sigs = accord_tlog::witness::parse_response(&first).unwrap();
    assert_eq!(sigs.len(), 1, "one cosignature line");
    assert_eq!(w.followed().unwrap()[0].size, 5);
    assert_eq!(w.latest(&origin).unwrap().as_deref(), Some(log.latest()), "the note as received");
    assert_eq!(
        status(w.add_checkpoint(&add_request(&log, 0), &witness, 2)),
        409,
        "a stale old size"
    );
    assert_eq!(status(w.add_checkpoint(b"not a request", &witness, 2)), 400);

    log.append(&entries(5, 5)).unwrap();
    assert_eq!(
        status(w.add_checkpoint(&add_request(&log, 5), &witness, 3)),
        200,
        "old 5 with its proof"
    );
    assert_eq!(w.followed().unwrap()[0].size, 10);

    // The same key signs another tree of size 10: a fork.
    let mut other = Log::create(MemoryStore::new(), test_key(), "US").unwrap();
    other.append(&entries(100, 10)).unwrap();
    assert_eq!(status(w.add_checkpoint(&add_request(&other, 10), &witness, 4)), 422, "a fork");
    let f = &w.followed().unwrap()[0];
    assert!(f.frozen, "a log that forked is frozen");
    assert_eq!(f.size, 10, "a fork changes no cosigned size");
    let ev = w.evidence().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].cosigned.as_slice(), ev[0].seen_at),
        (log.latest(), 4),
        "the evidence is both notes"
    );
    log.append(&entries(10, 5)).unwrap();
    assert_eq!(
        status(w.add_checkpoint(&add_request(&log, 10), &witness, 5)),
        403,
        "nothing more is cosigned"
    );

    // A fork seen elsewhere.
    let mut w = make();
    assert!(
        !w.record_fork("example.org/unknown", b"a", b"b", 7).unwrap(),
        "an unfollowed origin"
    );
    w.follow(&test_key().verifier()).unwrap();
    assert!(w.record_fork(&origin, b"held", b"seen", 8).unwrap());
    assert!(w.followed().unwrap()[0].frozen);
    assert_eq!(w.evidence().unwrap().len(), 2, "evidence is kept either way");
    assert_eq!(status(w.add_checkpoint(&add_request(&log, 0), &witness, 9)), 403);
}
