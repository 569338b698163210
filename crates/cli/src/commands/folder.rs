//! A log's folder, whichever backend keeps the log: `log.db` beside its key, or, for a node on
//! PostgreSQL, the database its `store.toml` names. The read-side commands (`accord log
//! verify`, `checkpoint`, `show`, `prove`, `export-tiles`) open logs here, and errors get
//! their exit codes here.

use std::path::Path;

use accord_logstore::dir::{DataDir, DirError};
use accord_logstore::log::LogError;
use accord_logstore::store::{DynStore, StoreError};
use accord_node::error::NodeError;
use accord_node::storage::postgres::Postgres;
use accord_node::storage::{Backend, FolderStore};
use anyhow::anyhow;

use crate::failure::{input, io, Failure, CHECK_FAILED};

/// Exit codes for data-folder errors: usage 2, corruption 1, I/O and a busy folder 3.
pub fn dir_err(e: DirError) -> Failure {
    match &e {
        DirError::NoLog(_) | DirError::Exists(_) | DirError::Key { .. } => input(e),
        DirError::Log(LogError::Inconsistent(_))
        | DirError::Store(StoreError::Corrupt(_))
        | DirError::Log(LogError::Store(StoreError::Corrupt(_))) => Failure {
            code: CHECK_FAILED,
            error: e.into(),
        },
        DirError::Store(StoreError::NotInitialised) => input(anyhow!("{e}: the data folder holds no log")),
        _ => io(e),
    }
}

/// A node folder on PostgreSQL (its `store.toml`): the backend that reads its log, blobs and
/// cosignatures from the database; `None` for a folder of SQLite files.
pub fn database(dir: &Path) -> Result<Option<Postgres>, Failure> {
    let Some(f) = FolderStore::read(dir).map_err(|e| input(anyhow!("{e}")))? else {
        return Ok(None);
    };
    Ok(Some(Postgres::new(&f.url, None, dir, &f.party, &[])))
}

/// Exit codes for a node backend's errors about the folder `dir`: damage 1, usage 2, an
/// unreachable or busy database 3.
pub fn node_err(dir: &Path) -> impl FnOnce(NodeError) -> Failure + '_ {
    move |e| {
        let error = anyhow!("{}: {e}", dir.display());
        match e {
            NodeError::Internal(_) => Failure { code: CHECK_FAILED, error },
            NodeError::Unavailable(_) => io(error),
            _ => input(error),
        }
    }
}

/// The log in `dir`, read-only: `log.db`, or the node's log in the database `store.toml`
/// names.
pub fn reader(dir: &Path) -> Result<DynStore, Failure> {
    match database(dir)? {
        Some(b) => b.open_reader().map_err(node_err(dir)),
        None => Ok(Box::new(DataDir::new(dir).open_reader().map_err(dir_err)?)),
    }
}

/// The log's verifier key as its store records it, whichever backend keeps the log.
pub fn recorded_key(dir: &Path) -> Result<accord_tlog::VerifierKey, Failure> {
    if database(dir)?.is_none() {
        return DataDir::new(dir).verifier().map_err(dir_err);
    }
    let meta = reader(dir)?.meta().map_err(|e| input(anyhow!("{}: {e}", dir.display())))?;
    accord_tlog::VerifierKey::parse(&meta.vkey).map_err(|e| Failure {
        code: CHECK_FAILED,
        error: anyhow!("{}: the recorded key: {e}", dir.display()),
    })
}

/// The blob `sha` of the folder `dir`, whichever backend keeps it.
pub fn blob(dir: &Path, sha: &str) -> Result<Vec<u8>, String> {
    match database(dir).map_err(|f| f.error.to_string())? {
        Some(b) => b.blob(sha).map_err(|e| e.to_string()),
        None => DataDir::new(dir).blob(sha).map_err(|e| e.to_string()),
    }
}

/// Refuses a write to the log of a node on PostgreSQL (only the node writes it).
pub fn not_a_database(dir: &Path) -> Result<(), Failure> {
    if database(dir)?.is_some() {
        return Err(input(anyhow!(
            "{}: the log of a node on PostgreSQL is written by its node only: submit notifications through its API (POST /api/v1/notifications)",
            dir.display()
        )));
    }
    Ok(())
}
