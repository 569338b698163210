//! The sequencer: one thread that owns the log, gathers concurrent appends into batches, commits
//! each batch with a new signed checkpoint, and only then answers each caller.
//!
//! Invariants: a caller's receipt is sent only after its batch's commit returned `Ok` (so an
//! acknowledged entry is durable); a batch takes every request already queued, up to
//! `max_batch` entries and for at most `max_wait`, and is committed as soon as the queue is
//! empty, so an idle log commits a request at once and a loaded one publishes a new checkpoint
//! at least every `max_wait` plus one commit; indexes are assigned in commit order and the entry
//! is built knowing its index.

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
                for reply in waiting {
                    let _ = reply.send(Err(SeqError::Log(e.clone())));
                }
            }
        }
    }
    log
}
