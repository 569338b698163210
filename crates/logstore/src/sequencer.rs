//! The sequencer: one thread that owns the log, gathers concurrent appends into batches, commits
//! each batch with a new signed checkpoint, and only then answers each caller.
//!
//! Invariants: a caller's receipt is sent only after its batch's commit returned `Ok` (so an
//! acknowledged entry is durable); a batch takes every request already queued, up to
//! `max_batch` entries and for at most `max_wait`, and is committed as soon as the queue is
//! empty, so an idle log commits a request at once and a loaded one publishes a new checkpoint
//! at least every `max_wait` plus one commit; indexes are assigned in commit order and the entry
//! is built knowing its index; after a failed commit the sequencer answers every queued request
//! with that error and stops, so nothing submitted after a failure is logged.

use crate::log::{Log, LogError};
use crate::store::Store;
use accord_tlog::Hash;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Builds the entry once its index is known; an error refuses the request (nothing logged).
pub type Build = Box<dyn FnOnce(u64) -> Result<Vec<u8>, String> + Send>;

/// The acknowledgement of one durable entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// The size of the checkpoint that covers it.
    pub size: u64,
    /// That signed checkpoint.
    pub checkpoint: Arc<Vec<u8>>,
}

/// Why a request was not logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeqError {
    /// The entry could not be built (bad input); nothing was logged.
    #[error("refused: {0}")]
    Refused(String),
    /// The batch's commit failed; nothing of it was acknowledged.
    #[error("not logged: {0}")]
    Log(#[from] LogError),
    /// The sequencer has stopped.
    #[error("the sequencer has stopped")]
    Stopped,
}

/// Batching limits.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Most entries in one commit.
    pub max_batch: usize,
    /// Longest a batch gathers before it is committed.
    pub max_wait: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_batch: 4096,
            max_wait: Duration::from_millis(250),
        }
    }
}

struct Request {
    build: Build,
    reply: Sender<Result<Receipt, SeqError>>,
}

/// A running sequencer.
pub struct Sequencer<S: Store + 'static> {
    tx: Option<SyncSender<Request>>,
    thread: Option<JoinHandle<Log<S>>>,
}

impl<S: Store + 'static> Sequencer<S> {
    /// Starts the sequencer thread, which owns `log` until [`Sequencer::stop`].
    pub fn start(log: Log<S>, opts: Options) -> Sequencer<S> {
        let (tx, rx) = mpsc::sync_channel::<Request>(opts.max_batch * 2);
        let thread = std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || run(log, rx, opts))
            .ok();
        Sequencer { tx: Some(tx), thread }
    }

    /// Queues an entry; the receiver yields its receipt once it is durable.
    pub fn submit(&self, build: Build) -> Result<Receiver<Result<Receipt, SeqError>>, SeqError> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .as_ref()
            .ok_or(SeqError::Stopped)?
            .send(Request { build, reply })
            .map_err(|_| SeqError::Stopped)?;
        Ok(rx)
    }

    /// Appends one entry and waits until it is durable.
    pub fn append(&self, entry: Vec<u8>) -> Result<Receipt, SeqError> {
        self.submit(Box::new(move |_| Ok(entry)))?.recv().map_err(|_| SeqError::Stopped)?
    }

    /// Finishes the queued requests, stops the thread and gives the log back.
    pub fn stop(mut self) -> Option<Log<S>> {
        self.tx = None;
        self.thread.take().and_then(|t| t.join().ok())
    }
}

fn run<S: Store>(mut log: Log<S>, rx: Receiver<Request>, opts: Options) -> Log<S> {
    while let Ok(first) = rx.recv() {
        let started = Instant::now();
        let mut batch = vec![first];
        while batch.len() < opts.max_batch && started.elapsed() < opts.max_wait {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut entries = Vec::with_capacity(batch.len());
        let mut waiting = Vec::with_capacity(batch.len());
        for req in batch {
            let index = log.size() + entries.len() as u64;
            match (req.build)(index) {
                Ok(e) if e.len() > crate::log::MAX_ENTRY_BYTES => {
                    let _ = req.reply.send(Err(SeqError::Refused(format!(
                        "the entry is {} bytes; an entry is at most 65,535 bytes",
                        e.len()
                    ))));
                }
                Ok(e) => {
                    entries.push(e);
                    waiting.push(req.reply);
                }
                Err(why) => {
                    let _ = req.reply.send(Err(SeqError::Refused(why)));
                }
            }
        }
        if entries.is_empty() {
            continue;
        }
        match log.append(&entries) {
            Ok(done) => {
                let cp = Arc::new(done.checkpoint);
                for (i, (reply, leaf)) in waiting.into_iter().zip(done.leaf_hashes).enumerate() {
                    let _ = reply.send(Ok(Receipt {
                        index: done.first + i as u64,
                        leaf_hash: leaf,
                        size: done.size,
                        checkpoint: Arc::clone(&cp),
                    }));
                }
            }
            Err(e) => {
                // A failed commit stops the sequencer: nothing queued behind it is logged, so a
                // caller that saw an error knows that no later request of its went in.
                for reply in waiting {
                    let _ = reply.send(Err(SeqError::Log(e.clone())));
                }
                while let Ok(req) = rx.try_recv() {
                    let _ = req.reply.send(Err(SeqError::Log(e.clone())));
                }
                return log;
            }
        }
    }
    log
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::conformance::test_key;
    use crate::faulty::{Fault, FaultyStore};
    use crate::memory::MemoryStore;
    use crate::store::Store;

    fn log<S: Store>(s: S) -> Log<S> {
        Log::create(s, test_key(), "US").unwrap()
    }

    #[test]
    fn an_idle_log_commits_at_once_and_indexes_follow_commit_order() {
        let seq = Sequencer::start(log(MemoryStore::new()), Options::default());
        let a = seq.append(b"one".to_vec()).unwrap();
        assert_eq!((a.index, a.size), (0, 1), "a lone request gets its own checkpoint");
        let built = seq
            .submit(Box::new(|index| Ok(format!("entry {index}").into_bytes())))
            .unwrap()
            .recv()
            .unwrap()
            .unwrap();
        assert_eq!((built.index, built.size), (1, 2));
        let log = seq.stop().unwrap();
        assert_eq!(log.store().entry(1).unwrap(), b"entry 1", "the entry was built knowing its index");
    }

    #[test]
    fn batches_bounded_and_every_receipt_covered_by_its_checkpoint() {
        let seq = Sequencer::start(
            log(MemoryStore::new()),
            Options {
                max_batch: 16,
                max_wait: Duration::from_millis(50),
            },
        );
        let rx: Vec<_> = (0..200u32)
            .map(|i| seq.submit(Box::new(move |_| Ok(i.to_be_bytes().to_vec()))).unwrap())
            .collect();
        let receipts: Vec<Receipt> = rx.into_iter().map(|r| r.recv().unwrap().unwrap()).collect();
        for (i, r) in receipts.iter().enumerate() {
            assert_eq!(r.index, i as u64);
            assert!(r.size > r.index, "receipt {i} is covered by its checkpoint");
            assert!(r.size - receipts[i].index <= 16, "no batch above max_batch");
        }
        let sizes: std::collections::BTreeSet<u64> = receipts.iter().map(|r| r.size).collect();
        assert!(
            sizes.len() >= 200 / 16,
            "{} checkpoints for 200 entries in batches of at most 16",
            sizes.len()
        );
        let log = seq.stop().unwrap();
        for s in sizes {
            assert!(log.store().checkpoint(s).unwrap().is_some(), "checkpoint {s} is stored");
        }
    }

    #[test]
    fn refusals_take_no_index() {
        let seq = Sequencer::start(log(MemoryStore::new()), Options::default());
        let bad = seq.submit(Box::new(|_| Err("no".into()))).unwrap().recv().unwrap();
        assert_eq!(bad, Err(SeqError::Refused("no".into())));
        let big = seq.submit(Box::new(|_| Ok(vec![0; 70_000]))).unwrap().recv().unwrap();
        assert!(matches!(big, Err(SeqError::Refused(m)) if m.contains("65,535")));
        assert_eq!(seq.append(b"ok".to_vec()).unwrap().index, 0);
    }

    #[test]
    fn a_failed_commit_stops_everything_behind_it() {
        let mut l = log(FaultyStore::new(MemoryStore::new()));
        l.append(&[b"before".to_vec()]).unwrap();
        l.store_mut().arm(Fault::CommitBefore, 0, true);
        let seq = Sequencer::start(l, Options::default());
        let first = seq.append(b"x".to_vec());
        assert!(matches!(first, Err(SeqError::Log(_))), "{first:?}");
        let later = seq.append(b"y".to_vec());
        assert!(later.is_err(), "nothing is logged after a failed commit");
        let log = seq.stop().unwrap();
        assert_eq!(log.size(), 1);
    }
}
