//! Files and folders readable by this user only. What a log folder and a node folder keep is
//! confidential (notifications, the partner's mirror, token hashes), so data files are mode
//! 0600 and folders 0700, whatever the umask. SQLite gives a database's `-wal` and `-shm`
//! files the mode of the database file, so a database made private before SQLite first opens
//! it stays private.
//!
//! Invariant: every database, blob and folder this crate or the node creates goes through
//! [`file()`] or [`dir()`] first (tested by `a_log_folder_is_private` and the node's `sqlite_node_folders_are_private`).

use std::io;
use std::path::Path;

/// Makes `path` a private file: created empty with mode 0600 if it does not exist, else set
/// to 0600.
pub fn file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
                if mode != 0o600 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map(|_| ())
    }
}

/// Makes `path` a private folder: created (with its missing parents, those with the default
/// mode) with mode 0700 if it does not exist, else set to 0700.
pub fn dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if path.is_dir() {
            let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
            if mode != 0o700 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
            }
            return Ok(());
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(path) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => dir(path),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// A private file's permission bits (for tests and checks): the mode's low nine bits.
#[cfg(unix)]
pub fn mode(path: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}
