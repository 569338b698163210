//! The data folder of one log: `log.db` (the SQLite store), `log.key` (the private key, mode
//! 0600, Go `PRIVATE+KEY+` form) and `lock` (held by the one writer).
//!
//! Invariants: at most one process holds a folder for writing (an OS file lock on `lock`,
//! released by the OS when the process dies, so a crash never leaves it stuck); readers take no
//! lock (SQLite WAL gives them consistent snapshots); the key file is created with mode 0600
//! and never rewritten.

use crate::log::{Log, LogError};
use crate::sqlite::SqliteStore;
use crate::store::{Store, StoreError};
use accord_tlog::{SignerKey, VerifierKey};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why a data folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// Another process holds the folder for writing.
    #[error("{dir}: another process is writing to this log ({holder}); only one writer per log is allowed")]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// What the lock file says about the holder.
        holder: String,
    },
    /// Not a log folder.
    #[error("{0}: no log here ({hint})", hint = no_log_hint(.0))]
    NoLog(PathBuf),
    /// Already a log folder.
    #[error("{0}: a log already exists here")]
    Exists(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        err: std::io::Error,
    },
    /// The key file is malformed.
    #[error("{path}: {why}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do about a folder without a log: make one where `accord log init` can (a new or
/// empty folder), else say why it cannot.
fn no_log_hint(p: &Path) -> String {
    let empty = std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(true);
    if empty {
        format!(
            "create one with `accord log init --data {} --origin NAME --party CODE`",
            p.display()
        )
    } else {
        "the folder holds other files but no log.db: `accord log init` needs a new or empty folder, so give one, or restore log.db from a backup".into()
    }
}

/// The SHA-256 of `bytes` in lowercase hex: how blobs and attachments are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a private key file: created new (never over an existing one), mode 0600, synced.
pub fn create_key_file(path: &Path, key: &SignerKey) -> Result<(), DirError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    writeln!(f, "{}", key.to_skey()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Reads a private key file.
pub fn read_key_file(path: &Path) -> Result<SignerKey, DirError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    SignerKey::parse(text.trim_end()).map_err(|e| DirError::Key {
        path: path.to_owned(),
        why: e.to_string(),
    })
}

/// A log's data folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// The writer lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Leave no stale holder behind (the OS lock goes with the file).
        let _ = self.file.set_len(0);
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DirError + '_ {
    move |err| DirError::Io {
        path: path.to_owned(),
        err,
    }
}

impl DataDir {
    /// The folder at `root` (not touched yet).
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.root.join("log.db")
    }

    /// The private key file.
    pub fn key_file(&self) -> PathBuf {
        self.root.join("log.key")
    }

    fn lock_file(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// Takes the writer lock, or says who holds it.
    pub fn lock(&self) -> Result<WriterLock, DirError> {
        let path = self.lock_file();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(io(&path))?;
                writeln!(file, "pid {}", std::process::id()).map_err(io(&path))?;
                Ok(WriterLock { file })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                Err(DirError::Busy {
                    dir: self.root.clone(),
                    holder: holder.trim().to_owned(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }

    /// Whether a log exists here.
    pub fn exists(&self) -> bool {
        self.db().exists() && self.key_file().exists()
    }

    /// Creates a new log: the folder, the key (mode 0600), the database with its size-0
    /// checkpoint. Refuses if a log or anything else is already in the folder. The log is made
    /// in a sibling staging folder and renamed into place in one step, so a crash at any
    /// instant leaves either no log or a whole one. Returns the log, holding the writer lock.
    pub fn init(&self, origin: &str, party: &str, seed: [u8; 32]) -> Result<(Log<SqliteStore>, WriterLock), DirError> {
        if self.db().exists() || self.key_file().exists() {
            return Err(DirError::Exists(self.root.clone()));
        }
        if std::fs::read_dir(&self.root).map(|mut d| d.next().is_some()).unwrap_or(false) {
            return Err(DirError::Key {
                path: self.root.clone(),
                why: "the folder is not empty; a new log needs a new or empty folder".into(),
            });
        }
        let key = SignerKey::from_seed(origin, accord_tlog::note::ALG_ED25519, seed).map_err(|e| DirError::Key {
            path: self.key_file(),
            why: format!("origin {origin:?} cannot name a key: {e}"),
        })?;
        let parent = match self.root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "log".into());
        let staging = DataDir::new(parent.join(format!(".{name}.init-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(staging.root());
        crate::private::dir(staging.root()).map_err(io(staging.root()))?;
        let made = (|| -> Result<(), DirError> {
            create_key_file(&staging.key_file(), &key)?;
            // Closing the connection folds the WAL into log.db, so only two files move.
            drop(Log::create(SqliteStore::open(&staging.db())?, key.clone(), party)?);
            File::open(staging.root()).and_then(|d| d.sync_all()).map_err(io(staging.root()))?;
            // rename(2) also replaces an empty folder.
            std::fs::rename(staging.root(), &self.root).map_err(io(&self.root))?;
            File::open(&parent).and_then(|d| d.sync_all()).map_err(io(&parent))?;
            Ok(())
        })();
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(staging.root());
            return Err(e);
        }
        self.open_writer()
    }

    /// Reads the private key.
    pub fn signer(&self) -> Result<SignerKey, DirError> {
        let path = self.key_file();
        if !path.exists() {
            return Err(DirError::NoLog(self.root.clone()));
        }
        read_key_file(&path)
    }

    /// Opens the log for appending: takes the lock, reads the key, checks the store.
    pub fn open_writer(&self) -> Result<(Log<SqliteStore>, WriterLock), DirError> {
        if !self.exists() {
            return Err(DirError::NoLog(self.root.clone()));
        }
        let lock = self.lock()?;
        // A folder made by an earlier release may be open to others: closed to this user.
        crate::private::dir(&self.root).map_err(io(&self.root))?;
        let key = self.signer()?;
        let store = SqliteStore::open(&self.db())?;
        Ok((Log::open(store, key)?, lock))
    }

    /// Opens the store to keep cosignatures (they are outside the tree, so this takes no writer
    /// lock and may run beside an appending writer).
    pub fn open_cosigner(&self) -> Result<SqliteStore, DirError> {
        if !self.exists() {
            return Err(DirError::NoLog(self.root.clone()));
        }
        Ok(SqliteStore::open(&self.db())?)
    }

    /// Opens the store for reading (no lock).
    pub fn open_reader(&self) -> Result<SqliteStore, DirError> {
        if !self.db().exists() {
            return Err(DirError::NoLog(self.root.clone()));
        }
        Ok(SqliteStore::open_read_only(&self.db())?)
    }

    /// The folder of blobs: material logged by hash (notifications too large for an entry),
    /// each in a file named by the lowercase hex SHA-256 of its bytes.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    /// Stores `bytes` durably under their SHA-256 (file and folder synced) and returns the hex
    /// digest. Storing the same bytes twice is harmless.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<String, DirError> {
        let hex = sha256_hex(bytes);
        let dir = self.blobs();
        crate::private::dir(&dir).map_err(io(&dir))?;
        let path = dir.join(&hex);
        if path.exists() && self.blob(&hex).is_ok() {
            return Ok(hex);
        }
        let tmp = dir.join(format!(".{hex}.{}.tmp", std::process::id()));
        {
            crate::private::file(&tmp).map_err(io(&tmp))?;
            let mut f = OpenOptions::new().write(true).truncate(true).open(&tmp).map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        File::open(&dir).and_then(|d| d.sync_all()).map_err(io(&dir))?;
        Ok(hex)
    }

    /// Reads a blob and checks its bytes against its name.
    pub fn blob(&self, hex: &str) -> Result<Vec<u8>, DirError> {
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DirError::Key {
                path: self.blobs(),
                why: format!("{hex:?} is not a SHA-256 in hex"),
            });
        }
        let path = self.blobs().join(hex);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let got = sha256_hex(&bytes);
        if got != hex {
            return Err(DirError::Store(StoreError::Corrupt(format!(
                "blob {hex}: its content hashes to {got}"
            ))));
        }
        Ok(bytes)
    }

    /// Checks every blob's content against its name; returns (blobs checked, problems).
    pub fn check_blobs(&self) -> (u64, Vec<String>) {
        let mut n = 0;
        let mut problems = Vec::new();
        let Ok(rd) = std::fs::read_dir(self.blobs()) else {
            return (0, problems);
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            n += 1;
            if let Err(err) = self.blob(&name) {
                problems.push(err.to_string());
            }
        }
        (n, problems)
    }

    /// The log's verifier key, as recorded in the store.
    pub fn verifier(&self) -> Result<VerifierKey, DirError> {
        let store = self.open_reader()?;
        let meta = store.meta()?;
        VerifierKey::parse(&meta.vkey).map_err(|e| DirError::Key {
            path: self.db(),
            why: format!("recorded vkey: {e}"),
        })
    }
}
