//! Offline bundles (`accord-bundle/1`): a run of one log's entries with everything needed to
//! check them without the log, for a link that is down or a network that is air-gapped.
//!
//! A bundle carries, for the entries `from..size` of one log:
//! - `manifest`: a C2SP signed note by the exporting node's key listing every other part with
//!   its length and SHA-256, so any damage is caught and named by part;
//! - `checkpoint`: the log's signed checkpoint of `size`, with the cosignatures collected;
//! - `base`: the log's signed checkpoint of `from` (for `from` = 0, its first checkpoint);
//! - `frontier`: the edge of the tree of `from` leaves (its subtree hashes, largest first), so
//!   the entries can be checked against the signed root without the entries before them;
//! - `consistency`: the RFC 6962 consistency proof from `base` to `checkpoint` (for a holder of
//!   `base` that keeps no entries, such as a witness);
//! - `entries/K`: entries `from + 256·K ..`, up to 256 a part, as a tlog-tiles entry bundle;
//! - `blob/HEX`: each notification an entry logs by hash, named by its SHA-256;
//! - `cosigned` (optional): the *reader's* own log's checkpoint cosigned by the exporting node,
//!   which closes the loop: "I hold and checked your log up to here".
//!
//! The file is the line `accord-bundle/1`, then each part as a line `NAME LENGTH`, the bytes
//! and a newline; the manifest first. Its text:
//!
//! ```text
//! accord-bundle/1
//! origin <log origin>
//! entries <from> <size>
//! part <name> <length> <base64 SHA-256>      (one per part, in file order)
//! ```
//!
//! The second line begins with `origin `, never a digit, so a cosigned manifest can never be
//! read as a cosigned checkpoint (whose second line is a size).
//!
//! Invariant: [`read`] returns a bundle only when every check passes: the manifest's signature,
//! every part against the manifest, both checkpoints' signatures by the log's key, the
//! frontier against `base`, the consistency proof, the entries against the signed root, and
//! each blob against its name and the entry that refers to it. Pure: no I/O, no clock.

use crate::entry::logged_by_hash;
use crate::merkle::{leaf_hash, verify_consistency, Edge, Hash};
use crate::note::{Checkpoint, Note, SignerKey, VerifierKey};
use crate::tile::{parse_bundle, push_entry};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The first line of a bundle file and of its manifest.
pub const MAGIC: &str = "accord-bundle/1";
/// Entries per `entries/K` part.
pub const ENTRIES_PER_PART: u64 = 256;

/// What is wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The file is not a well-formed bundle.
    #[error("byte {offset}: {problem}")]
    Format {
        /// Byte offset in the file.
        offset: usize,
        /// What is wrong.
        problem: String,
    },
    /// The manifest is malformed or not signed by the exporting node.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A part's bytes differ from what the manifest lists (damaged in transit or on disk).
    #[error("part {part}: damaged: {problem}")]
    Damaged {
        /// The part's name.
        part: String,
        /// How.
        problem: String,
    },
    /// A part is intact but does not check (a wrong signature, entries that do not give the
    /// signed root, a blob that does not match its entry).
    #[error("part {part}: {problem}")]
    Invalid {
        /// The part's name.
        part: String,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(part: &str, problem: impl Into<String>) -> BundleError {
    BundleError::Invalid {
        part: part.to_owned(),
        problem: problem.into(),
    }
}

/// What a bundle carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The log's origin.
    pub origin: String,
    /// The first entry's index.
    pub from: u64,
    /// The checkpoint's size (one past the last entry).
    pub size: u64,
    /// The signed checkpoint of `size`, with cosignatures.
    pub checkpoint: Vec<u8>,
    /// The signed checkpoint of `from`.
    pub base: Vec<u8>,
    /// The edge of the tree of `from` leaves, largest subtree first.
    pub frontier: Vec<Hash>,
    /// The consistency proof from `from` to `size` (empty when `from` is 0 or `size`).
    pub consistency: Vec<Hash>,
    /// Entries `from..size`.
    pub entries: Vec<Vec<u8>>,
    /// The notifications logged by hash, by SHA-256 (hex).
    pub blobs: BTreeMap<String, Vec<u8>>,
    /// The reader's log's checkpoint cosigned by the writer, if any.
    pub cosigned: Option<Vec<u8>>,
}

/// A bundle that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its contents.
    pub contents: Contents,
    /// The parsed checkpoint of `size`.
    pub checkpoint: Checkpoint,
    /// The parsed checkpoint of `from`.
    pub base: Checkpoint,
    /// When it was exported (the manifest cosignature's time, POSIX seconds).
    pub exported_at: u64,
}

fn sha256_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// The SHA-256 of `bytes` in lowercase hex (how blobs are named).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn hashes_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

fn bytes_hashes(part: &str, bytes: &[u8]) -> Result<Vec<Hash>, BundleError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(invalid(
            part,
            format!("{} bytes is not a whole number of 32-byte hashes", bytes.len()),
        ));
    }
    crate::tile::parse_tile(part, bytes, (bytes.len() / 32) as u64).map_err(|e| invalid(part, e.to_string()))
}

/// Writes a bundle, its manifest signed by `key` at `now` (POSIX seconds).
pub fn write(c: &Contents, key: &SignerKey, now: u64) -> Result<Vec<u8>, BundleError> {
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("checkpoint".into(), c.checkpoint.clone()),
        ("base".into(), c.base.clone()),
        ("frontier".into(), hashes_bytes(&c.frontier)),
        ("consistency".into(), hashes_bytes(&c.consistency)),
    ];
    for (k, chunk) in c.entries.chunks(ENTRIES_PER_PART as usize).enumerate() {
        let mut b = Vec::new();
        for e in chunk {
            push_entry(&mut b, e).map_err(|e| invalid(&format!("entries/{k}"), e.to_string()))?;
        }
        parts.push((format!("entries/{k}"), b));
    }
    for (hex, b) in &c.blobs {
        parts.push((format!("blob/{hex}"), b.clone()));
    }
    if let Some(n) = &c.cosigned {
        parts.push(("cosigned".into(), n.clone()));
    }
    let mut text = format!("{MAGIC}\norigin {}\nentries {} {}\n", c.origin, c.from, c.size);
    for (name, b) in &parts {
        text.push_str(&format!("part {name} {} {}\n", b.len(), sha256_b64(b)));
    }
    let mut manifest = Note::new(&text).map_err(|e| BundleError::Manifest(e.to_string()))?;
    manifest.sign(key, now);
    let mut out = format!("{MAGIC}\n").into_bytes();
    for (name, b) in std::iter::once(("manifest".to_owned(), manifest.to_bytes())).chain(parts) {
        out.extend_from_slice(format!("{name} {}\n", b.len()).as_bytes());
        out.extend_from_slice(&b);
        out.push(b'\n');
    }
    Ok(out)
}

/// The parts of a bundle file, one at a time (the first is read without reading the rest).
struct Parts<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parts<'a> {
    fn new(bytes: &'a [u8]) -> Result<Parts<'a>, BundleError> {
        let magic = format!("{MAGIC}\n");
        if !bytes.starts_with(magic.as_bytes()) {
            return Err(BundleError::Format {
                offset: 0,
                problem: format!("not an {MAGIC} file (the first line must be {MAGIC:?})"),
            });
        }
        Ok(Parts { bytes, at: magic.len() })
    }

    fn next_part(&mut self) -> Option<Result<(&'a str, &'a [u8]), BundleError>> {
        let (bytes, at) = (self.bytes, self.at);
        if at >= bytes.len() {
            return None;
        }
        let bad = |offset: usize, problem: String| Some(Err(BundleError::Format { offset, problem }));
        let Some(nl) = bytes[at..].iter().position(|b| *b == b'\n') else {
            return bad(at, "a part header without its newline (the file is cut short)".into());
        };
        let Ok(header) = std::str::from_utf8(&bytes[at..at + nl]) else {
            return bad(at, "a part header that is not UTF-8".into());
        };
        let Some((name, len)) = header.split_once(' ') else {
            return bad(at, format!("part header {header:?} is not \"NAME LENGTH\""));
        };
        let Ok(len) = len.parse::<usize>() else {
            return bad(at, format!("part {name}: length {len:?} is not a number"));
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad(at, format!("part name {name:?} is empty or has blanks"));
        }
        let start = at + nl + 1;
        let Some(end) = start.checked_add(len).filter(|e| *e < bytes.len()) else {
            return bad(
                at,
                format!(
                    "part {name} claims {len} bytes, {} remain (the file is cut short)",
                    bytes.len().saturating_sub(start)
                ),
            );
        };
        if bytes[end] != b'\n' {
            return bad(end, format!("part {name} is not followed by a newline (its length is wrong)"));
        }
        self.at = end + 1;
        Some(Ok((name, &bytes[start..end])))
    }
}

/// Splits a bundle file into its named parts, in order, the manifest first; at most `limit`
/// parts (a reader passes the count its verified manifest lists, so a hostile file cannot make
/// it hold more).
pub fn split(bytes: &[u8], limit: usize) -> Result<Vec<(String, &[u8])>, BundleError> {
    let mut it = Parts::new(bytes)?;
    let mut parts: Vec<(String, &[u8])> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some(p) = it.next_part() {
        let (name, b) = p?;
        if parts.is_empty() && name != "manifest" {
            return Err(BundleError::Format {
                offset: MAGIC.len() + 1,
                problem: "the first part must be the manifest".into(),
            });
        }
        if parts.len() == limit {
            return Err(invalid(
                name,
                format!("more parts than the {} the manifest lists", limit.saturating_sub(1)),
            ));
        }
        if !seen.insert(name) {
            return Err(BundleError::Format {
                offset: it.at,
                problem: format!("part {name} appears twice"),
            });
        }
        parts.push((name.to_owned(), b));
    }
    if parts.is_empty() {
        return Err(BundleError::Format {
            offset: bytes.len(),
            problem: "no manifest (the file is cut short)".into(),
        });
    }
    Ok(parts)
}

/// The first part's bytes, which must be the manifest.
fn first_part(bytes: &[u8]) -> Result<&[u8], BundleError> {
    match Parts::new(bytes)?.next_part() {
        Some(Ok(("manifest", b))) => Ok(b),
        Some(Err(e)) => Err(e),
        _ => Err(BundleError::Format {
            offset: MAGIC.len() + 1,
            problem: "the first part must be the manifest".into(),
        }),
    }
}

struct Manifest {
    origin: String,
    from: u64,
    size: u64,
    parts: Vec<(String, usize, String)>,
    exported_at: u64,
}

fn manifest(bytes: &[u8], node: &VerifierKey) -> Result<Manifest, BundleError> {
    let m = |p: String| BundleError::Manifest(p);
    let note = Note::parse(bytes).map_err(|e| m(e.to_string()))?;
    let signed = note
        .verify(std::slice::from_ref(node))
        .map_err(|e| m(format!("not signed by the exporting node {}: {e}", node.name())))?;
    let exported_at = signed.first().and_then(|(_, t)| *t).unwrap_or(0);
    let mut lines = note.text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(m(format!("the first line is not {MAGIC}")));
    }
    let origin = lines
        .next()
        .and_then(|l| l.strip_prefix("origin "))
        .ok_or_else(|| m("the second line is not \"origin ORIGIN\"".into()))?
        .to_owned();
    let range = lines
        .next()
        .and_then(|l| l.strip_prefix("entries "))
        .and_then(|l| l.split_once(' '))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .ok_or_else(|| m("the third line is not \"entries FROM SIZE\"".into()))?;
    if range.0 > range.1 {
        return Err(m(format!("entries {} {}: the first is after the last", range.0, range.1)));
    }
    let mut parts = Vec::new();
    for (i, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(' ').collect();
        match f.as_slice() {
            ["part", name, len, hash] => {
                let len = len
                    .parse()
                    .map_err(|_| m(format!("line {}: length {len:?} is not a number", i + 4)))?;
                parts.push(((*name).to_owned(), len, (*hash).to_owned()));
            }
            _ => return Err(m(format!("line {}: {l:?} is not \"part NAME LENGTH SHA256\"", i + 4))),
        }
    }
    Ok(Manifest {
        origin,
        from: range.0,
        size: range.1,
        parts,
        exported_at,
    })
}

/// Reads and checks a bundle of the log `log` exported by the node `node` (see the module's
/// invariant). The `cosigned` part is returned unchecked: only its reader knows its own log
/// (see [`check_cosigned`]).
pub fn read(bytes: &[u8], node: &VerifierKey, log: &VerifierKey) -> Result<Verified, BundleError> {
    // The manifest first: nothing else is looked at until its signature checks.
    let m = manifest(first_part(bytes)?, node)?;
    if m.origin != log.name() {
        return Err(BundleError::Manifest(format!(
            "a bundle of the log {:?}, not of {:?}",
            m.origin,
            log.name()
        )));
    }
    // Only the names a bundle of these entries can have, each once.
    let count = m.size - m.from;
    let chunks = count.div_ceil(ENTRIES_PER_PART);
    let listed: std::collections::HashMap<&str, (usize, &str)> = m.parts.iter().map(|(n, l, h)| (n.as_str(), (*l, h.as_str()))).collect();
    if listed.len() != m.parts.len() {
        return Err(BundleError::Manifest("lists a part twice".into()));
    }
    for name in listed.keys() {
        let known = matches!(*name, "checkpoint" | "base" | "frontier" | "consistency" | "cosigned")
            || name
                .strip_prefix("entries/")
                .and_then(|k| k.parse::<u64>().ok())
                .is_some_and(|k| k < chunks && format!("entries/{k}") == *name)
            || name
                .strip_prefix("blob/")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        if !known {
            return Err(BundleError::Manifest(format!(
                "lists a part {name:?} that no bundle of entries {}..{} has",
                m.from, m.size
            )));
        }
    }
    let parts = split(bytes, m.parts.len() + 1)?;
    // Every part against the manifest, by name: damage is named.
    let mut by_name: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for (name, b) in &parts[1..] {
        let Some((len, hash)) = listed.get(name.as_str()) else {
            return Err(invalid(name, "not listed in the manifest"));
        };
        if b.len() != *len || sha256_b64(b) != *hash {
            return Err(BundleError::Damaged {
                part: name.clone(),
                problem: format!(
                    "{} bytes with SHA-256 {}, the manifest lists {len} bytes with {hash}",
                    b.len(),
                    sha256_b64(b)
                ),
            });
        }
        by_name.insert(name, b);
    }
    for (name, _, _) in &m.parts {
        if !by_name.contains_key(name.as_str()) {
            return Err(BundleError::Damaged {
                part: name.clone(),
                problem: "listed in the manifest but missing from the file".into(),
            });
        }
    }
    let need = |name: &str| by_name.get(name).copied().ok_or_else(|| invalid(name, "missing"));
    let signed = |name: &str, size: u64| -> Result<(Vec<u8>, Checkpoint), BundleError> {
        let b = need(name)?;
        let note = Note::parse(b).map_err(|e| invalid(name, e.to_string()))?;
        note.verify(std::slice::from_ref(log))
            .map_err(|e| invalid(name, format!("not signed by the log {}: {e}", log.name())))?;
        let cp = Checkpoint::parse(&note.text).map_err(|e| invalid(name, e.to_string()))?;
        if cp.origin != m.origin || cp.size != size {
            return Err(invalid(
                name,
                format!(
                    "a checkpoint of {:?} size {}, the manifest says {:?} size {size}",
                    cp.origin, cp.size, m.origin
                ),
            ));
        }
        Ok((b.to_vec(), cp))
    };
    let (checkpoint, cp) = signed("checkpoint", m.size)?;
    let (base, base_cp) = signed("base", m.from)?;
    let frontier = bytes_hashes("frontier", need("frontier")?)?;
    let edge = Edge::from_hashes(m.from, &frontier).map_err(|e| invalid("frontier", e.to_string()))?;
    if edge.root() != base_cp.root {
        return Err(invalid("frontier", "its hashes do not give the root of the base checkpoint"));
    }
    let consistency = bytes_hashes("consistency", need("consistency")?)?;
    if m.from == 0 {
        if !consistency.is_empty() {
            return Err(invalid("consistency", "a bundle from entry 0 carries no consistency proof"));
        }
    } else {
        verify_consistency(m.from, m.size, &base_cp.root, &cp.root, &consistency).map_err(|e| invalid("consistency", e.to_string()))?;
    }
    // The entries, part by part, against the signed root.
    let mut entries = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(1 << 20));
    let mut edge = edge;
    let mut scratch = Vec::new();
    for k in 0..chunks {
        let name = format!("entries/{k}");
        let want = ENTRIES_PER_PART.min(count - k * ENTRIES_PER_PART);
        let got = parse_bundle(&name, need(&name)?).map_err(|e| invalid(&name, e.to_string()))?;
        if got.len() as u64 != want {
            return Err(invalid(&name, format!("{} entries, {want} expected", got.len())));
        }
        for e in got {
            scratch.clear();
            edge.push(leaf_hash(e), &mut scratch);
            entries.push(e.to_vec());
        }
    }
    if edge.root() != cp.root {
        return Err(invalid(
            "entries",
            format!(
                "entries {}..{} give root {}, the signed checkpoint says {}",
                m.from,
                m.size,
                edge.root(),
                cp.root
            ),
        ));
    }
    // Each blob against its name and the entry that names it.
    let mut blobs = BTreeMap::new();
    let marker = crate::entry::NOTIFICATION_ATTACHMENT.as_bytes();
    for (i, e) in entries.iter().enumerate() {
        // Only an entry that names the attachment can log a notification by hash: the others
        // need no decoding.
        if !e.windows(marker.len()).any(|w| w == marker) {
            continue;
        }
        if let Some(hex) = logged_by_hash(e) {
            let name = format!("blob/{hex}");
            let b = by_name
                .get(name.as_str())
                .ok_or_else(|| invalid(&name, format!("missing: entry {} logs it by hash", m.from + i as u64)))?;
            if sha256_hex(b) != hex {
                return Err(invalid(&name, "its content does not hash to its name"));
            }
            blobs.insert(hex, b.to_vec());
        }
    }
    if let Some(extra) = by_name
        .keys()
        .filter_map(|n| n.strip_prefix("blob/"))
        .find(|h| !blobs.contains_key(*h))
    {
        return Err(invalid(&format!("blob/{extra}"), "no entry refers to it"));
    }
    let cosigned = by_name.get("cosigned").map(|b| b.to_vec());
    Ok(Verified {
        contents: Contents {
            origin: m.origin,
            from: m.from,
            size: m.size,
            checkpoint,
            base,
            frontier,
            consistency,
            entries,
            blobs,
            cosigned,
        },
        checkpoint: cp,
        base: base_cp,
        exported_at: m.exported_at,
    })
}

/// Checks a bundle's `cosigned` part: a checkpoint of the reader's log `own` carrying a valid
/// cosignature by the exporting node `node`. Returns the checkpoint and the cosignature lines.
pub fn check_cosigned(note: &[u8], own: &VerifierKey, node: &VerifierKey) -> Result<(Checkpoint, Vec<String>), BundleError> {
    let bad = |p: String| invalid("cosigned", p);
    let n = Note::parse(note).map_err(|e| bad(e.to_string()))?;
    if let Ok(cp) = Checkpoint::parse(&n.text) {
        if cp.origin != own.name() {
            return Err(bad(format!(
                "the bundle was made for the node of the log {:?}, not for this one ({:?})",
                cp.origin,
                own.name()
            )));
        }
    }
    n.verify(std::slice::from_ref(own))
        .map_err(|e| bad(format!("not a checkpoint signed by this log {}: {e}", own.name())))?;
    n.verify(std::slice::from_ref(node))
        .map_err(|e| bad(format!("no valid cosignature by {}: {e}", node.name())))?;
    let cp = Checkpoint::parse(&n.text).map_err(|e| bad(e.to_string()))?;
    let lines = n
        .signatures
        .iter()
        .filter(|s| s.name == node.name() && s.id == node.id())
        .take(1)
        .map(|s| s.line())
        .collect();
    Ok((cp, lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{consistency_proof, MemoryTree};

    struct Fixture {
        log: SignerKey,
        node: SignerKey,
        tree: MemoryTree,
        entries: Vec<Vec<u8>>,
    }

    fn fixture(n: usize) -> Fixture {
        let log = SignerKey::from_seed("example.org/us", 1, [1; 32]).expect("key");
        let node = SignerKey::from_seed("example.org/us/node", 4, [2; 32]).expect("key");
        let mut tree = MemoryTree::new();
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        for e in &entries {
            tree.append(leaf_hash(e));
        }
        Fixture { log, node, tree, entries }
    }

    fn signed_at(f: &Fixture, size: u64) -> Vec<u8> {
        let mut t = MemoryTree::new();
        for e in &f.entries[..size as usize] {
            t.append(leaf_hash(e));
        }
        let cp = Checkpoint {
            origin: "example.org/us".into(),
            size,
            root: t.root(),
            extensions: vec![],
        };
        let mut n = Note::new(&cp.text()).expect("note");
        n.sign(&f.log, 0);
        n.to_bytes()
    }

    fn contents(f: &Fixture, from: u64, size: u64) -> Contents {
        let mut t = MemoryTree::new();
        for e in &f.entries[..from as usize] {
            t.append(leaf_hash(e));
        }
        let mut edge = Edge::new();
        let mut out = Vec::new();
        for e in &f.entries[..from as usize] {
            edge.push(leaf_hash(e), &mut out);
        }
        let consistency = if from == 0 || from == size {
            vec![]
        } else {
            consistency_proof(&f.tree, from, size).expect("proof")
        };
        Contents {
            origin: "example.org/us".into(),
            from,
            size,
            checkpoint: signed_at(f, size),
            base: signed_at(f, from),
            frontier: edge.hashes(),
            consistency,
            entries: f.entries[from as usize..size as usize].to_vec(),
            blobs: BTreeMap::new(),
            cosigned: None,
        }
    }

    #[test]
    fn round_trips_and_checks() {
        let f = fixture(700);
        for (from, size) in [(0, 0), (0, 700), (300, 700), (511, 512), (700, 700)] {
            let c = contents(&f, from, size);
            let b = write(&c, &f.node, 1_700_000_000).expect("write");
            let v = read(&b, &f.node.verifier(), &f.log.verifier()).unwrap_or_else(|e| panic!("{from}..{size}: {e}"));
            assert_eq!(v.contents, c);
            assert_eq!(v.exported_at, 1_700_000_000);
        }
    }

    #[test]
    fn names_what_is_wrong() {
        let f = fixture(600);
        let c = contents(&f, 100, 600);
        let b = write(&c, &f.node, 5).expect("write");
        let (node, log) = (f.node.verifier(), f.log.verifier());
        // Every single-byte change is refused, and the error names a part or an offset.
        let parts: Vec<(String, usize)> = {
            let s = split(&b, usize::MAX).expect("split");
            s.iter()
                .map(|(n, p)| (n.clone(), p.as_ptr() as usize - b.as_ptr() as usize))
                .collect()
        };
        for (name, at) in &parts {
            let mut d = b.clone();
            d[at + 3] ^= 0x20;
            let e = read(&d, &node, &log).expect_err(name).to_string();
            assert!(
                e.contains(name.as_str()) || name == "manifest" && e.starts_with("manifest"),
                "{name}: {e}"
            );
        }
        let mut cut = b.clone();
        cut.truncate(b.len() - 10);
        assert!(matches!(read(&cut, &node, &log), Err(BundleError::Format { .. })));
        // Another node's or another log's key.
        let other = SignerKey::from_seed("example.org/us/node", 4, [9; 32]).expect("key");
        assert!(matches!(read(&b, &other.verifier(), &log), Err(BundleError::Manifest(_))));
        let other_log = SignerKey::from_seed("example.org/ru", 1, [9; 32]).expect("key");
        assert!(matches!(read(&b, &node, &other_log.verifier()), Err(BundleError::Manifest(_))));
        // A signed manifest over wrong entries: named as the entries.
        let mut w = c.clone();
        w.entries[7] = b"forged".to_vec();
        let e = read(&write(&w, &f.node, 5).expect("write"), &node, &log).expect_err("forged");
        assert!(e.to_string().starts_with("part entries:"), "{e}");
        // A wrong frontier.
        let mut w = c.clone();
        w.frontier[0] = Hash([0; 32]);
        let e = read(&write(&w, &f.node, 5).expect("write"), &node, &log).expect_err("frontier");
        assert!(e.to_string().starts_with("part frontier:"), "{e}");
    }

    #[test]
    fn blobs_are_checked_against_their_entries() {
        let mut f = fixture(4);
        let blob = b"{\"a large notification\": true}".to_vec();
        let mut env = crate::entry::Envelope::new("US", 2, [0; 16], serde_json::Value::Null);
        env.attachments.push(crate::entry::Attachment {
            name: crate::entry::NOTIFICATION_ATTACHMENT.into(),
            size: blob.len() as u64,
            sha256: sha256_hex(&blob),
        });
        f.entries[2] = crate::entry::encode(&env).expect("encode");
        let mut tree = MemoryTree::new();
        for e in &f.entries {
            tree.append(leaf_hash(e));
        }
        f.tree = tree;
        let (node, log) = (f.node.verifier(), f.log.verifier());
        let mut c = contents(&f, 0, 4);
        // Missing: named, with the entry that logs it.
        let e = read(&write(&c, &f.node, 1).expect("write"), &node, &log).expect_err("missing");
        assert!(e.to_string().contains("entry 2 logs it by hash"), "{e}");
        // Present: carried through.
        c.blobs.insert(sha256_hex(&blob), blob.clone());
        let v = read(&write(&c, &f.node, 1).expect("write"), &node, &log).expect("ok");
        assert_eq!(v.contents.blobs.get(&sha256_hex(&blob)), Some(&blob));
        // Other content under its name, signed as such: refused.
        c.blobs.insert(sha256_hex(&blob), b"other".to_vec());
        let e = read(&write(&c, &f.node, 1).expect("write"), &node, &log).expect_err("wrong");
        assert!(e.to_string().contains("does not hash to its name"), "{e}");
        // A blob no entry refers to.
        c.blobs.clear();
        c.blobs.insert(sha256_hex(&blob), blob.clone());
        c.blobs.insert(sha256_hex(b"x"), b"x".to_vec());
        let e = read(&write(&c, &f.node, 1).expect("write"), &node, &log).expect_err("extra");
        assert!(e.to_string().contains("no entry refers to it"), "{e}");
    }

    #[test]
    fn split_refuses_repeats_and_more_parts_than_listed() {
        let two = b"accord-bundle/1\nmanifest 1\na\nx 1\nb\nx 1\nc\n";
        assert!(matches!(split(two, 10), Err(BundleError::Format { .. })));
        assert_eq!(split(&two[..35], 10).map(|p| p.len()), Ok(2));
        assert!(matches!(split(&two[..35], 1), Err(BundleError::Invalid { .. })));
        assert!(matches!(split(b"accord-bundle/1\nx 1\na\n", 10), Err(BundleError::Format { .. })));
        assert!(matches!(split(b"accord-bundle/1\n", 10), Err(BundleError::Format { .. })));
    }

    #[test]
    fn cosigned_part() {
        let f = fixture(3);
        let ru_log = SignerKey::from_seed("example.org/ru", 1, [3; 32]).expect("key");
        let cp = Checkpoint {
            origin: "example.org/ru".into(),
            size: 0,
            root: crate::merkle::empty_root(),
            extensions: vec![],
        };
        let mut n = Note::new(&cp.text()).expect("note");
        n.sign(&ru_log, 0);
        n.sign(&f.node, 42);
        let (got, lines) = check_cosigned(&n.to_bytes(), &ru_log.verifier(), &f.node.verifier()).expect("ok");
        assert_eq!(got, cp);
        assert_eq!(lines.len(), 1);
        n.signatures.pop();
        assert!(check_cosigned(&n.to_bytes(), &ru_log.verifier(), &f.node.verifier()).is_err());
    }
}
