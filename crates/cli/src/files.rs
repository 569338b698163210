//! File I/O at the edge: reading inputs with their names in errors, and writing outputs
//! atomically (a temporary file in the same folder, then a rename), so that an interrupted
//! command never leaves a half-written file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use accord_treaty::{LoadedFile, SpecError, TreatySpec};

use crate::failure::{input, io, Failure};

/// Reads a whole text file. A missing file is bad input (2); other failures are I/O (3).
pub fn read_text(path: &Path) -> Result<String, Failure> {
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        input(anyhow::anyhow!(
            "{}: not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads an input file's bytes: a missing file or a folder where a file is wanted is bad input
/// (exit 2); anything else the system refuses is I/O (exit 3).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(input(anyhow::anyhow!("{}: no such file", path.display()))),
        Err(_) if path.is_dir() => Err(input(anyhow::anyhow!("{}: a folder, not a file", path.display()))),
        Err(e) => Err(io(anyhow::Error::new(e).context(format!("cannot read {}", path.display())))),
    }
}

/// A folder to be made: something there that is not a folder is bad input (2), named.
pub fn not_a_file(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(input(anyhow::anyhow!("{}: a file, not a folder", dir.display())));
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let (_, tmp) = temp_name(path)?;
    let result = write_temp(&tmp, bytes, false)
        .and_then(|()| std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display())));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// The folder `path` goes in (which must exist) and a temporary name beside it.
pub fn temp_name(path: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(input(anyhow::anyhow!("{}: no such folder", dir.display())));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    Ok((dir, tmp))
}

/// Writes `bytes` to the temporary file `tmp` and syncs it; with `private`, the file is made
/// mode 0600 before anything is written into it.
pub fn write_temp(tmp: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    let mut f = if private {
        accord_logstore::private::file(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(tmp)
            .with_context(|| format!("cannot open {}", tmp.display()))?
    } else {
        std::fs::File::create(tmp).with_context(|| format!("cannot create {}", tmp.display()))?
    };
    f.write_all(bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.sync_all().with_context(|| format!("cannot sync {}", tmp.display()))
}

/// The built-in New START, or the spec in `path` (its lifecycle file read beside it).
pub fn load_spec(path: Option<&Path>) -> Result<TreatySpec, Failure> {
    let Some(path) = path else {
        return Ok(accord_treaty::builtin::new_start());
    };
    let text = read_text(path)?;
    parse_spec_file(path, &text).map_err(input)
}

/// Parses a spec file, reading the files it names relative to its folder.
pub fn parse_spec_file(path: &Path, text: &str) -> Result<TreatySpec, SpecError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let load = |name: &str| -> Result<LoadedFile, SpecError> {
        let p = dir.join(name);
        std::fs::read_to_string(&p)
            .map(|text| LoadedFile {
                name: p.display().to_string(),
                text,
            })
            .map_err(|e| SpecError::Unreadable {
                file: p.display().to_string(),
                message: e.to_string(),
            })
    };
    TreatySpec::parse(&path.display().to_string(), text, &load)
}
