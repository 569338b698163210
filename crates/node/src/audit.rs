//! The audit log's queue: rows wait here between the request that made them and the one
//! writer that keeps them (`http::audit::write`).
//!
//! Invariants: at most [`QUEUE`] rows wait; a row that does not fit is refused at once (the
//! caller counts it), never waited for, so a flood of requests is never slowed by its audit.

use crate::storage::contract::AuditRow;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// The most rows waiting for the writer.
pub const QUEUE: usize = 4096;

/// The rows waiting for the writer, and the writer's end of the queue until it starts.
pub struct Queue {
    tx: mpsc::Sender<AuditRow>,
    rx: Mutex<Option<mpsc::Receiver<AuditRow>>>,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Queue {
        let (tx, rx) = mpsc::channel(QUEUE);
        Queue {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }

    /// Queues a row; false when the queue is full (the row is dropped).
    pub fn push(&self, row: AuditRow) -> bool {
        self.tx.try_send(row).is_ok()
    }

    /// The writer's end, once (`None` after).
    pub fn take_receiver(&self) -> Option<mpsc::Receiver<AuditRow>> {
        self.rx.lock().ok().and_then(|mut r| r.take())
    }
}

impl Default for Queue {
    fn default() -> Queue {
        Queue::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64) -> AuditRow {
        AuditRow {
            seq,
            at: 0,
            who: "-".into(),
            role: "-".into(),
            client: "-".into(),
            method: "POST".into(),
            path: "/".into(),
            status: 401,
        }
    }

    /// A full queue refuses at once, and the writer's end is given once.
    #[test]
    fn a_full_queue_refuses_and_the_receiver_is_given_once() {
        let q = Queue::new();
        for i in 0..QUEUE as u64 {
            assert!(q.push(row(i)));
        }
        assert!(!q.push(row(0)), "full");
        let mut rx = q.take_receiver().expect("receiver");
        assert!(q.take_receiver().is_none(), "once");
        assert_eq!(rx.try_recv().expect("first").seq, 0, "in order");
        assert!(q.push(row(1)), "room again");
    }
}
