//! A witness's state in one schema of a PostgreSQL database (a node on PostgreSQL keeps what it
//! cosigned of its partner's log here): the tables of [`crate::witness::WitnessState`],
//! `logs(origin, vkeys, size, root, checkpoint, frozen)` and `evidence(id, origin, cosigned,
//! conflicting, seen_at)`.
//!
//! Invariants: [`WitnessStore::decide`] reads the log's row under `SELECT … FOR UPDATE` and
//! writes what was decided in the same transaction, so no other change lands between the read
//! and the write (the spec's rollback race), whichever process shares the schema; evidence and
//! the freeze it causes are written in one transaction.

use crate::postgres::{check_schema, pg, PgClient, PgConn};
use crate::store::StoreError;
use crate::witness::{Change, Evidence, Followed, LogState, WitnessStore};
use accord_tlog::merkle::empty_root;
use accord_tlog::{Hash, VerifierKey};

/// A `logs` row: keys, size, root, cosigned checkpoint, frozen.
type LogRow = (String, i64, Vec<u8>, Option<Vec<u8>>, bool);

/// The witness state in a schema of a PostgreSQL database.
pub struct PgWitness {
    client: PgClient,
}

impl PgWitness {
    /// Opens (creating if needed) the state in `schema` of the database at `url`.
    pub fn open(url: &str, schema: &str) -> Result<PgWitness, StoreError> {
        check_schema(schema)?;
        let client = PgClient::connect(url)?;
        let s = schema.to_owned();
        client.call(move |c| {
            c.batch(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{s}\";
                 SET search_path TO \"{s}\";
                 CREATE TABLE IF NOT EXISTS logs(origin text PRIMARY KEY, vkeys text NOT NULL, size bigint NOT NULL,
                     root bytea NOT NULL, checkpoint bytea, frozen boolean NOT NULL DEFAULT false);
                 CREATE TABLE IF NOT EXISTS evidence(id bigserial PRIMARY KEY, origin text NOT NULL, cosigned bytea NOT NULL,
                     conflicting bytea NOT NULL, seen_at bigint NOT NULL);"
            ))
        })?;
        Ok(PgWitness { client })
    }
}

fn keep_evidence(c: &mut PgConn, e: &Evidence) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO evidence(origin, cosigned, conflicting, seen_at) VALUES ($1, $2, $3, $4)",
        &[&e.origin, &e.cosigned, &e.conflicting, &(e.seen_at as i64)],
    )?;
    c.execute("UPDATE logs SET frozen = true WHERE origin = $1", &[&e.origin])?;
    Ok(())
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a tokio_postgres::Row, i: usize) -> Result<T, StoreError> {
    r.try_get(i).map_err(pg)
}

impl WitnessStore for PgWitness {
    fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError> {
        let origin = vkey.name().to_owned();
        let key = vkey.to_string();
        let empty = empty_root().0.to_vec();
        self.client.call(move |c| {
            c.transaction(|c| {
                // Insert-or-lock: the row exists (and is locked) after the first statement.
                c.execute(
                    "INSERT INTO logs(origin, vkeys, size, root) VALUES ($1, $2, 0, $3) ON CONFLICT (origin) DO NOTHING",
                    &[&origin, &key, &empty],
                )?;
                let rows = c.query("SELECT vkeys FROM logs WHERE origin = $1 FOR UPDATE", &[&origin])?;
                let list: String = match rows.first() {
                    Some(r) => col(r, 0)?,
                    None => return Err(StoreError::Backend(format!("witness state: {origin} vanished"))),
                };
                let mut keys: Vec<String> = list.lines().map(str::to_owned).collect();
                if !keys.contains(&key) {
                    keys.push(key.clone());
                    c.execute("UPDATE logs SET vkeys = $1 WHERE origin = $2", &[&keys.join("\n"), &origin])?;
                }
                Ok(())
            })
        })
    }

    fn followed(&self) -> Result<Vec<Followed>, StoreError> {
        self.client.call(|c| {
            c.query("SELECT origin, vkeys, size, frozen FROM logs ORDER BY origin", &[])?
                .iter()
                .map(|r| {
                    Ok(Followed {
                        origin: col(r, 0)?,
                        vkeys: col::<String>(r, 1)?.lines().map(str::to_owned).collect(),
                        size: col::<i64>(r, 2)? as u64,
                        frozen: col(r, 3)?,
                    })
                })
                .collect()
        })
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        self.client.call(|c| {
            c.query("SELECT origin, cosigned, conflicting, seen_at FROM evidence ORDER BY id", &[])?
                .iter()
                .map(|r| {
                    Ok(Evidence {
                        origin: col(r, 0)?,
                        cosigned: col(r, 1)?,
                        conflicting: col(r, 2)?,
                        seen_at: col::<i64>(r, 3)? as u64,
                    })
                })
                .collect()
        })
    }

    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let origin = origin.to_owned();
        self.client.call(
            move |c| match c.query("SELECT checkpoint FROM logs WHERE origin = $1", &[&origin])?.first() {
                Some(r) => col::<Option<Vec<u8>>>(r, 0),
                None => Ok(None),
            },
        )
    }

    fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError> {
        let e = Evidence {
            origin: origin.to_owned(),
            cosigned: held.to_vec(),
            conflicting: seen.to_vec(),
            seen_at: now,
        };
        self.client.call(move |c| {
            c.transaction(|c| {
                let followed = !c.query("SELECT 1 FROM logs WHERE origin = $1 FOR UPDATE", &[&e.origin])?.is_empty();
                keep_evidence(c, &e)?;
                Ok(followed)
            })
        })
    }

    fn decide(&mut self, origin: &str, decide: &mut dyn FnMut(Option<&LogState>) -> Change) -> Result<(), StoreError> {
        // The decision runs on this thread between the read and the write; the connection's
        // jobs never interleave, so the transaction spans the calls. Every way out of it before
        // the write (an error, a bad row, a panic in `decide`) rolls it back.
        let o = origin.to_owned();
        let row: Option<LogRow> = self.client.call(move |c| {
            c.batch("BEGIN")?;
            let read = (|| {
                let rows = c.query(
                    "SELECT vkeys, size, root, checkpoint, frozen FROM logs WHERE origin = $1 FOR UPDATE",
                    &[&o],
                )?;
                rows.first()
                    .map(|r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?, col(r, 4)?)))
                    .transpose()
            })();
            if read.is_err() {
                let _ = c.batch("ROLLBACK");
            }
            read
        })?;
        let guard = Rollback(Some(&self.client));
        let state = match row {
            None => None,
            Some((vkeys, size, root, checkpoint, frozen)) => match <[u8; 32]>::try_from(root) {
                Ok(root) => Some(LogState {
                    vkeys: vkeys.lines().map(str::to_owned).collect(),
                    size: size as u64,
                    root: Hash(root),
                    checkpoint,
                    frozen,
                }),
                Err(_) => return Err(StoreError::Corrupt(format!("witness state: the root of {origin} is not 32 bytes"))),
            },
        };
        let change = decide(state.as_ref());
        guard.disarm();
        let o = origin.to_owned();
        self.client.call(move |c| {
            let written = match change {
                Change::Keep => Ok(()),
                Change::Advance { size, root, checkpoint } => c
                    .execute(
                        "UPDATE logs SET size = $1, root = $2, checkpoint = $3 WHERE origin = $4",
                        &[&(size as i64), &root.0.to_vec(), &checkpoint, &o],
                    )
                    .map(|_| ()),
                Change::Freeze(e) => keep_evidence(c, &e),
            };
            match written {
                Ok(()) => c.batch("COMMIT"),
                Err(e) => {
                    let _ = c.batch("ROLLBACK");
                    Err(e)
                }
            }
        })
    }
}

/// Rolls the open transaction back when dropped armed (an early return, a panic).
struct Rollback<'a>(Option<&'a PgClient>);

impl Rollback<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.0 {
            let _ = c.call(|c| c.batch("ROLLBACK"));
        }
    }
}
