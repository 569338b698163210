//! A witness's state on disk: the logs it follows (origin and verifier keys), the latest tree it
//! cosigned for each, and the evidence of any equivocation it has seen; and `add_checkpoint`,
//! which applies the C2SP tlog-witness rules ([`accord_tlog::witness`]) against that state.
//!
//! Invariants: the check of a request's old size and the storing of the new size happen in one
//! `BEGIN IMMEDIATE` transaction (the spec's rollback race cannot happen), and the cosignature is
//! made only after that commit, so the witness never cosigns a tree it has not recorded as its
//! latest; a log for which two validly signed checkpoints of the same size but different roots
//! were seen is frozen: both notes are kept as evidence and nothing more is cosigned for it.

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

/// The witness state in one SQLite file.
pub struct WitnessState {
    conn: Connection,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl WitnessState {
    /// Opens (creating if needed) the state file.
    pub fn open(path: &Path) -> Result<WitnessState, StoreError> {
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

    /// Follows a log: its origin is the verifier key's name. Adding a key to a followed log
    /// extends its key list; its cosigned state is kept.
    pub fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError> {
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

    /// Every followed log.
    pub fn followed(&self) -> Result<Vec<Followed>, StoreError> {
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

    /// Every piece of evidence kept.
    pub fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
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

    /// The latest checkpoint cosigned for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT checkpoint FROM logs WHERE origin = ?1", [origin], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(backend)
    }

    /// Records a fork seen elsewhere (for example by a node mirroring the log): both signed
    /// notes are kept and the log is frozen. Returns whether the log is followed.
    pub fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let n = tx
            .execute("UPDATE logs SET frozen = 1 WHERE origin = ?1", [origin])
            .map_err(backend)?;
        tx.execute(
            "INSERT INTO evidence(origin, cosigned, conflicting, seen_at) VALUES (?1, ?2, ?3, ?4)",
            params![origin, held, seen, now as i64],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(n > 0)
    }

    /// Handles a tlog-witness `add-checkpoint` request body at time `now` (POSIX seconds):
    /// the 200 response body (cosignature lines), or the rejection to answer with.
    pub fn add_checkpoint(&mut self, body: &[u8], key: &SignerKey, now: u64) -> Result<Result<Vec<u8>, Rejection>, StoreError> {
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(rej) => return Ok(Err(rej)),
        };
        let origin = match Checkpoint::parse(&req.checkpoint.text) {
            Ok(c) => c.origin,
            Err(e) => return Ok(Err(Rejection::BadRequest(e.to_string()))),
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let row: Option<LogRow> = tx
            .query_row(
                "SELECT vkeys, size, root, checkpoint, frozen FROM logs WHERE origin = ?1",
                [&origin],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(backend)?;
        let Some((vkeys, size, root, cosigned, frozen)) = row else {
            return Ok(Err(Rejection::UnknownOrigin(origin)));
        };
        let keys: Vec<VerifierKey> = vkeys.lines().filter_map(|k| VerifierKey::parse(k).ok()).collect();
        let logs = [KnownLog {
            origin: origin.clone(),
            keys,
        }];
        let root: [u8; 32] = root
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("witness state: the root of {origin} is not 32 bytes")))?;
        let last = Witnessed {
            size: size as u64,
            root: Hash(root),
        };
        let cp = match check_add_checkpoint(&req, &logs, last) {
            Ok(cp) => cp,
            Err(rej) => {
                // Same size, another root, both signed by the log: proof of a fork. Keep both and
                // stop cosigning this log.
                if let (Rejection::Unprocessable(_), Some(prev), Ok(new)) = (&rej, &cosigned, Checkpoint::parse(&req.checkpoint.text)) {
                    if new.size == last.size && new.root != last.root && req.checkpoint.verify(&logs[0].keys).is_ok() {
                        tx.execute(
                            "INSERT INTO evidence(origin, cosigned, conflicting, seen_at) VALUES (?1, ?2, ?3, ?4)",
                            params![origin, prev, req.checkpoint.to_bytes(), now as i64],
                        )
                        .map_err(backend)?;
                        tx.execute("UPDATE logs SET frozen = 1 WHERE origin = ?1", [&origin])
                            .map_err(backend)?;
                        tx.commit().map_err(backend)?;
                        return Ok(Err(Rejection::Unprocessable(format!(
                            "equivocation: {origin} signed two different trees of size {}; the evidence is kept and this witness no longer cosigns the log",
                            new.size
                        ))));
                    }
                }
                return Ok(Err(rej));
            }
        };
        if frozen != 0 {
            return Ok(Err(Rejection::Forbidden(format!(
                "{origin} equivocated; this witness no longer cosigns it"
            ))));
        }
        // The spec's rule: the note as received, signatures and all, is what is cosigned.
        let note = Note {
            text: req.checkpoint.text.clone(),
            signatures: req.checkpoint.signatures.clone(),
        };
        tx.execute(
            "UPDATE logs SET size = ?1, root = ?2, checkpoint = ?3 WHERE origin = ?4 AND size = ?5",
            params![cp.size as i64, &cp.root.0[..], note.to_bytes(), origin, size],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(cosign_response(&note, key, now).map_err(Rejection::BadRequest))
    }
}
