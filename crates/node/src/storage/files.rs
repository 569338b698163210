//! What a node keeps in its folder whatever the backend: the commit–reveal secrets, in
//! `choices/` (a node on PostgreSQL keeps them here too: a value that must stay unknown to
//! everyone until revealed has no place in a database its administrators and replicas read),
//! and the durable private write both backends use.
//!
//! Invariants: every file is written whole (a temporary file, synced, renamed over) and
//! readable by the node's user only (0600 in a 0700 folder).

use crate::error::NodeError;
use std::path::{Path, PathBuf};

/// Writes a file readable by this user only, durably: a temporary file, synced, renamed over.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `choices/<name, made safe>-<8 hex digits of its SHA-256>.json` under `root`.
fn secret_path(root: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tag = &accord_logstore::dir::sha256_hex(name.as_bytes())[..8];
    root.join("choices").join(format!("{safe}-{tag}.json"))
}

/// The secret `name` kept under `root`, if any.
pub fn secret(root: &Path, name: &str) -> Result<Option<Vec<u8>>, NodeError> {
    let path = secret_path(root, name);
    match std::fs::read(&path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(NodeError::Internal(format!("{}: {e}", path.display()))),
    }
}

/// Keeps the secret `name` under `root`, durably, readable by this user only.
pub fn put_secret(root: &Path, name: &str, bytes: &[u8]) -> Result<(), NodeError> {
    let path = secret_path(root, name);
    let dir = root.join("choices");
    let fail = |p: &Path, e: std::io::Error| NodeError::Internal(format!("{}: {e}", p.display()));
    accord_logstore::private::dir(&dir).map_err(|e| fail(&dir, e))?;
    write_private(&path, bytes).map_err(|e| fail(&path, e))?;
    sync_dir(&dir);
    Ok(())
}

/// Forgets the secret `name` under `root`; absent is fine.
pub fn remove_secret(root: &Path, name: &str) -> Result<(), NodeError> {
    let path = secret_path(root, name);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            sync_dir(&root.join("choices"));
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(NodeError::Internal(format!("{}: {e}", path.display()))),
    }
}
