//! A witness's state: the logs it follows (origin and verifier keys), the latest tree it
//! cosigned for each, and the evidence of any equivocation it has seen; and
//! [`WitnessStore::add_checkpoint`], which applies the C2SP tlog-witness rules
//! ([`accord_tlog::witness`]) against that state. [`WitnessStore`] is the storage contract
//! (small: the rules are written once, above it); [`WitnessState`] keeps it in one SQLite file,
//! [`MemoryWitness`] in memory; [`crate::conformance::witness_store`] holds both to the same
//! behaviour.
//!
//! Invariants: the check of a request's old size and the storing of the new size happen in one
//! [`WitnessStore::decide`] (SQLite: one `BEGIN IMMEDIATE` transaction), so the spec's rollback
//! race cannot happen, and the cosignature is made only after it returns, so the witness never
//! cosigns a tree it has not recorded as its latest; a log for which two validly signed
//! checkpoints of the same size but different roots were seen is frozen: both notes are kept as
//! evidence and nothing more is cosigned for it.

use crate::store::StoreError;
use accord_tlog::witness::{check_add_checkpoint, cosign_response, AddCheckpoint, KnownLog, Rejection, Witnessed};
use accord_tlog::{empty_root, Checkpoint, Hash, Note, SignerKey, VerifierKey};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// A logged equivocation: two checkpoints of one log, both validly signed, that cannot both be
/// true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint the witness had cosigned.
    pub cosigned: Vec<u8>,
    /// The conflicting checkpoint it was asked to cosign.
    pub conflicting: Vec<u8>,
    /// When it was seen (POSIX seconds).
    pub seen_at: u64,
}

/// One followed log's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// Origin.
    pub origin: String,
    /// Its verifier keys (vkey form).
    pub vkeys: Vec<String>,
    /// The latest size cosigned (0 before the first).
    pub size: u64,
    /// Whether equivocation was seen (nothing more is cosigned).
    pub frozen: bool,
}

/// A `logs` row: keys, size, root, cosigned checkpoint, frozen.
type LogRow = (String, i64, Vec<u8>, Option<Vec<u8>>, i64);

/// One followed log's whole state, as [`WitnessStore::decide`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// Its verifier keys (vkey form).
    pub vkeys: Vec<String>,
    /// The latest size cosigned.
    pub size: u64,
    /// The root of that tree.
    pub root: Hash,
    /// The checkpoint cosigned at that size (none before the first).
    pub checkpoint: Option<Vec<u8>>,
    /// Whether equivocation was seen.
    pub frozen: bool,
}

/// What [`WitnessStore::decide`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing.
    Keep,
    /// The log's latest cosigned tree is now `size`, `root`, `checkpoint`.
    Advance {
        /// The new size.
        size: u64,
        /// Its root.
        root: Hash,
        /// The checkpoint as cosigned.
        checkpoint: Vec<u8>,
    },
    /// Equivocation seen: keep the evidence and freeze the log.
    Freeze(Evidence),
}

/// The storage contract of a witness's state. Implementations keep it (SQLite, memory, a
/// server database); the tlog-witness rules are [`WitnessStore::add_checkpoint`], written once.
pub trait WitnessStore: Send {
    /// Follows a log: its origin is the verifier key's name. Adding a key to a followed log
    /// extends its key list; its cosigned state is kept.
    fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError>;
    /// Every followed log, by origin.
    fn followed(&self) -> Result<Vec<Followed>, StoreError>;
    /// Every piece of evidence kept, in the order it came.
    fn evidence(&self) -> Result<Vec<Evidence>, StoreError>;
    /// The latest checkpoint cosigned for `origin`, if any.
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Records a fork seen elsewhere (for example by a node mirroring the log): both signed
    /// notes are kept and the log is frozen, atomically. Returns whether the log is followed
    /// (the evidence is kept either way).
    fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError>;
    /// Reads `origin`'s state (none if not followed) and writes what `decide` returns, as one
    /// atomic step: no other change to the state lands between the read and the write.
    fn decide(&mut self, origin: &str, decide: &mut dyn FnMut(Option<&LogState>) -> Change) -> Result<(), StoreError>;

    /// Handles a tlog-witness `add-checkpoint` request body at time `now` (POSIX seconds):
    /// the 200 response body (cosignature lines), or the rejection to answer with.
    fn add_checkpoint(&mut self, body: &[u8], key: &SignerKey, now: u64) -> Result<Result<Vec<u8>, Rejection>, StoreError> {
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(rej) => return Ok(Err(rej)),
        };
        let origin = match Checkpoint::parse(&req.checkpoint.text) {
            Ok(c) => c.origin,
            Err(e) => return Ok(Err(Rejection::BadRequest(e.to_string()))),
        };
        let mut outcome: Result<Note, Rejection> = Err(Rejection::UnknownOrigin(origin.clone()));
        self.decide(&origin, &mut |state| {
            let Some(state) = state else {
                outcome = Err(Rejection::UnknownOrigin(origin.clone()));
                return Change::Keep;
            };
            let keys: Vec<VerifierKey> = state.vkeys.iter().filter_map(|k| VerifierKey::parse(k).ok()).collect();
            let logs = [KnownLog {
                origin: origin.clone(),
                keys,
            }];
            let last = Witnessed {
                size: state.size,
                root: state.root,
            };
            let cp = match check_add_checkpoint(&req, &logs, last) {
                Ok(cp) => cp,
                Err(rej) => {
                    // Same size, another root, both signed by the log: proof of a fork. Keep
                    // both and stop cosigning this log.
                    if let (Rejection::Unprocessable(_), Some(prev), Ok(new)) =
                        (&rej, &state.checkpoint, Checkpoint::parse(&req.checkpoint.text))
                    {
                        if new.size == last.size && new.root != last.root && req.checkpoint.verify(&logs[0].keys).is_ok() {
                            outcome = Err(Rejection::Unprocessable(format!(
                                "equivocation: {origin} signed two different trees of size {}; the evidence is kept and this witness no longer cosigns the log",
                                new.size
                            )));
                            return Change::Freeze(Evidence {
                                origin: origin.clone(),
                                cosigned: prev.clone(),
                                conflicting: req.checkpoint.to_bytes(),
                                seen_at: now,
                            });
                        }
                    }
                    outcome = Err(rej);
                    return Change::Keep;
                }
            };
            if state.frozen {
                outcome = Err(Rejection::Forbidden(format!(
                    "{origin} equivocated; this witness no longer cosigns it"
                )));
                return Change::Keep;
            }
            // The spec's rule: the note as received, signatures and all, is what is cosigned.
            let note = Note {
                text: req.checkpoint.text.clone(),
                signatures: req.checkpoint.signatures.clone(),
            };
            let change = Change::Advance {
                size: cp.size,
                root: cp.root,
                checkpoint: note.to_bytes(),
            };
            outcome = Ok(note);
            change
        })?;
        Ok(outcome.and_then(|note| cosign_response(&note, key, now).map_err(Rejection::BadRequest)))
    }
}

/// The witness state in one SQLite file.
pub struct WitnessState {
    conn: Connection,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl WitnessState {
    /// Checks a state file without writing to it: SQLite's integrity check of every page.
    /// The problems found, none when it is sound.
    pub fn check_file(path: &Path) -> Vec<String> {
        let checked = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).and_then(|c| {
            let mut q = c.prepare("PRAGMA integrity_check")?;
            let rows = q.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<Vec<String>, _>>()
        });
        match checked {
            Ok(lines) => lines.into_iter().filter(|l| l != "ok").collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    /// Opens (creating if needed) the state file.
    pub fn open(path: &Path) -> Result<WitnessState, StoreError> {
        crate::private::file(path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS logs(origin TEXT PRIMARY KEY, vkeys TEXT NOT NULL, size INTEGER NOT NULL,
                 root BLOB NOT NULL, checkpoint BLOB, frozen INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, origin TEXT NOT NULL, cosigned BLOB NOT NULL,
                 conflicting BLOB NOT NULL, seen_at INTEGER NOT NULL);",
        )
        .map_err(backend)?;
        Ok(WitnessState { conn })
    }
}

fn keep_evidence(tx: &rusqlite::Transaction<'_>, e: &Evidence) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO evidence(origin, cosigned, conflicting, seen_at) VALUES (?1, ?2, ?3, ?4)",
        params![e.origin, e.cosigned, e.conflicting, e.seen_at as i64],
    )
    .map_err(backend)?;
    tx.execute("UPDATE logs SET frozen = 1 WHERE origin = ?1", [&e.origin])
        .map_err(backend)
        .map(|_| ())
}

impl WitnessStore for WitnessState {
    fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError> {
        let origin = vkey.name().to_owned();
        let tx = self.conn.transaction().map_err(backend)?;
        let existing: Option<String> = tx
            .query_row("SELECT vkeys FROM logs WHERE origin = ?1", [&origin], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        match existing {
            Some(list) => {
                let mut keys: Vec<String> = list.lines().map(str::to_owned).collect();
                if !keys.contains(&vkey.to_string()) {
                    keys.push(vkey.to_string());
                }
                tx.execute("UPDATE logs SET vkeys = ?1 WHERE origin = ?2", params![keys.join("\n"), origin])
                    .map_err(backend)?;
            }
            None => {
                tx.execute(
                    "INSERT INTO logs(origin, vkeys, size, root) VALUES (?1, ?2, 0, ?3)",
                    params![origin, vkey.to_string(), &empty_root().0[..]],
                )
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }

    fn followed(&self) -> Result<Vec<Followed>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT origin, vkeys, size, frozen FROM logs ORDER BY origin")
            .map_err(backend)?;
        let rows = st
            .query_map([], |r| {
                Ok(Followed {
                    origin: r.get(0)?,
                    vkeys: r.get::<_, String>(1)?.lines().map(str::to_owned).collect(),
                    size: r.get::<_, i64>(2)? as u64,
                    frozen: r.get::<_, i64>(3)? != 0,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT origin, cosigned, conflicting, seen_at FROM evidence ORDER BY id")
            .map_err(backend)?;
        let rows = st
            .query_map([], |r| {
                Ok(Evidence {
                    origin: r.get(0)?,
                    cosigned: r.get(1)?,
                    conflicting: r.get(2)?,
                    seen_at: r.get::<_, i64>(3)? as u64,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT checkpoint FROM logs WHERE origin = ?1", [origin], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(backend)
    }

    fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let followed: Option<i64> = tx
            .query_row("SELECT 1 FROM logs WHERE origin = ?1", [origin], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        let e = Evidence {
            origin: origin.to_owned(),
            cosigned: held.to_vec(),
            conflicting: seen.to_vec(),
            seen_at: now,
        };
        keep_evidence(&tx, &e)?;
        tx.commit().map_err(backend)?;
        Ok(followed.is_some())
    }

    fn decide(&mut self, origin: &str, decide: &mut dyn FnMut(Option<&LogState>) -> Change) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let row: Option<LogRow> = tx
            .query_row(
                "SELECT vkeys, size, root, checkpoint, frozen FROM logs WHERE origin = ?1",
                [origin],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(backend)?;
        let state = match row {
            None => None,
            Some((vkeys, size, root, checkpoint, frozen)) => {
                let root: [u8; 32] = root
                    .try_into()
                    .map_err(|_| StoreError::Corrupt(format!("witness state: the root of {origin} is not 32 bytes")))?;
                Some(LogState {
                    vkeys: vkeys.lines().map(str::to_owned).collect(),
                    size: size as u64,
                    root: Hash(root),
                    checkpoint,
                    frozen: frozen != 0,
                })
            }
        };
        match decide(state.as_ref()) {
            Change::Keep => return Ok(()),
            Change::Advance { size, root, checkpoint } => {
                tx.execute(
                    "UPDATE logs SET size = ?1, root = ?2, checkpoint = ?3 WHERE origin = ?4",
                    params![size as i64, &root.0[..], checkpoint, origin],
                )
                .map_err(backend)?;
            }
            Change::Freeze(e) => keep_evidence(&tx, &e)?,
        }
        tx.commit().map_err(backend)
    }
}

/// A witness's state in memory (not durable): the test double the conformance suite is read
/// against, and the witness state of a node configured with `storage = "memory"`.
#[derive(Debug, Default)]
pub struct MemoryWitness {
    logs: std::collections::BTreeMap<String, LogState>,
    evidence: Vec<Evidence>,
}

impl MemoryWitness {
    /// An empty state.
    pub fn new() -> MemoryWitness {
        MemoryWitness::default()
    }
}

impl WitnessStore for MemoryWitness {
    fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError> {
        let k = vkey.to_string();
        let log = self.logs.entry(vkey.name().to_owned()).or_insert_with(|| LogState {
            vkeys: Vec::new(),
            size: 0,
            root: empty_root(),
            checkpoint: None,
            frozen: false,
        });
        if !log.vkeys.contains(&k) {
            log.vkeys.push(k);
        }
        Ok(())
    }

    fn followed(&self) -> Result<Vec<Followed>, StoreError> {
        Ok(self
            .logs
            .iter()
            .map(|(origin, l)| Followed {
                origin: origin.clone(),
                vkeys: l.vkeys.clone(),
                size: l.size,
                frozen: l.frozen,
            })
            .collect())
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        Ok(self.evidence.clone())
    }

    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.logs.get(origin).and_then(|l| l.checkpoint.clone()))
    }

    fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError> {
        self.evidence.push(Evidence {
            origin: origin.to_owned(),
            cosigned: held.to_vec(),
            conflicting: seen.to_vec(),
            seen_at: now,
        });
        Ok(self.logs.get_mut(origin).map(|l| l.frozen = true).is_some())
    }

    fn decide(&mut self, origin: &str, decide: &mut dyn FnMut(Option<&LogState>) -> Change) -> Result<(), StoreError> {
        match decide(self.logs.get(origin)) {
            Change::Keep => {}
            Change::Advance { size, root, checkpoint } => {
                if let Some(l) = self.logs.get_mut(origin) {
                    (l.size, l.root, l.checkpoint) = (size, root, Some(checkpoint));
                }
            }
            Change::Freeze(e) => {
                if let Some(l) = self.logs.get_mut(e.origin.as_str()) {
                    l.frozen = true;
                }
                self.evidence.push(e);
            }
        }
        Ok(())
    }
}
