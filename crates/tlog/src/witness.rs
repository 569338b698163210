//! C2SP tlog-witness: the `add-checkpoint` request and response bodies, and the checks a
//! witness makes before it cosigns, as the spec reads at C2SP@5ba5ee8 (v1.0.0 plus the main
//! branch's rules that a size-0 checkpoint must carry the empty root and that the same size
//! with another root is a 422).
//!
//! Request: `old <size>\n`, zero to 63 base64 consistency-proof hashes one per line, a blank
//! line, then the checkpoint note with its log signature(s). Response (200): one or more note
//! signature lines, each ending in a newline, cosigning the whole checkpoint. A 409 carries
//! `Content-Type: text/x.tlog.size` and the body `<size>\n`.
//!
//! Invariants: [`check_add_checkpoint`] makes the spec's checks in the spec's order and returns
//! the status a witness must answer with; it neither reads nor writes the witness's state. The
//! caller compares `old` with its stored size and stores the new one atomically (the spec's
//! rollback race), which is why [`Witnessed`] is an input.

use crate::merkle::{empty_root, verify_consistency, Hash};
use crate::note::{Checkpoint, Note, NoteSignature, SignerKey, VerifierKey};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};

/// Most consistency-proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;
/// Content type of a 409 body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the submitter believes the witness last cosigned.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note.
    pub checkpoint: Note,
}

/// Why a witness refuses; each maps to an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// 400: malformed request, or old size above the checkpoint's.
    #[error("400 bad request: {0}")]
    BadRequest(String),
    /// 403: no trusted log signature, or a bad one.
    #[error("403 forbidden: {0}")]
    Forbidden(String),
    /// 404: unknown origin.
    #[error("404 unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the witness's latest cosigned size.
    #[error("409 conflict: the witness's latest size is {size}")]
    Conflict {
        /// The witness's size.
        size: u64,
    },
    /// 422: the checkpoint is not consistent with what the witness cosigned.
    #[error("422 unprocessable: {0}")]
    Unprocessable(String),
}

impl Rejection {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::BadRequest(_) => 400,
            Rejection::Forbidden(_) => 403,
            Rejection::UnknownOrigin(_) => 404,
            Rejection::Conflict { .. } => 409,
            Rejection::Unprocessable(_) => 422,
        }
    }

    /// The response body: `<size>\n` for a 409, the message otherwise.
    pub fn body(&self) -> String {
        match self {
            Rejection::Conflict { size } => format!("{size}\n"),
            other => format!("{other}\n"),
        }
    }
}

impl AddCheckpoint {
    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, Rejection> {
        let bad = |why: String| Rejection::BadRequest(why);
        let s = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8".into()))?;
        let (first, rest) = s.split_once('\n').ok_or_else(|| bad("no old-size line".into()))?;
        let old = first
            .strip_prefix("old ")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n.len() == 1 || !n.starts_with('0')))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad(format!("first line {first:?} is not \"old <size>\"")))?;
        let mut proof = Vec::new();
        let mut rest = rest;
        loop {
            let (line, tail) = rest
                .split_once('\n')
                .ok_or_else(|| bad("no blank line before the checkpoint".into()))?;
            rest = tail;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(format!("more than {MAX_PROOF_LINES} proof lines")));
            }
            let raw = B64
                .decode(line)
                .map_err(|_| bad(format!("proof line {} is not base64", proof.len() + 1)))?;
            let h: [u8; 32] = raw
                .try_into()
                .map_err(|_| bad(format!("proof line {} is not a 32-byte hash", proof.len() + 1)))?;
            proof.push(Hash(h));
        }
        let checkpoint = Note::parse(rest.as_bytes()).map_err(|e| bad(format!("checkpoint: {e}")))?;
        Ok(AddCheckpoint { old, proof, checkpoint })
    }

    /// The request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(B64.encode(h.0).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint.to_bytes());
        out
    }
}

/// A log the witness knows: its origin and the keys whose signature it requires.
#[derive(Debug, Clone)]
pub struct KnownLog {
    /// Origin.
    pub origin: String,
    /// Log keys.
    pub keys: Vec<VerifierKey>,
}

/// What the witness last cosigned for a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Witnessed {
    /// Size (0 when nothing yet).
    pub size: u64,
    /// Root at that size.
    pub root: Hash,
}

/// The checks of tlog-witness §add-checkpoint, in order. `last` gives the witness's latest
/// cosigned tree for an origin it knows (size 0, empty root, when none). On success returns
/// the checkpoint to cosign; the caller must store its size only if `old` still matches.
pub fn check_add_checkpoint(req: &AddCheckpoint, logs: &[KnownLog], last: Witnessed) -> Result<Checkpoint, Rejection> {
    let cp = Checkpoint::parse(&req.checkpoint.text).map_err(|e| Rejection::BadRequest(e.to_string()))?;
    let log = logs
        .iter()
        .find(|l| l.origin == cp.origin)
        .ok_or_else(|| Rejection::UnknownOrigin(cp.origin.clone()))?;
    req.checkpoint.verify(&log.keys).map_err(|e| Rejection::Forbidden(e.to_string()))?;
    if req.old > cp.size {
        return Err(Rejection::BadRequest(format!(
            "old size {} is above the checkpoint size {}",
            req.old, cp.size
        )));
    }
    if req.old != last.size {
        return Err(Rejection::Conflict { size: last.size });
    }
    if cp.size == 0 && cp.root != empty_root() {
        return Err(Rejection::Unprocessable(
            "a size-0 checkpoint whose root is not the empty tree's".into(),
        ));
    }
    if req.old == 0 {
        if !req.proof.is_empty() {
            return Err(Rejection::Unprocessable("a consistency proof from size 0 must be empty".into()));
        }
    } else if req.old == cp.size {
        if !req.proof.is_empty() || cp.root != last.root {
            return Err(Rejection::Unprocessable(format!(
                "same size {} as the cosigned tree but a different root or a non-empty proof",
                cp.size
            )));
        }
    } else {
        verify_consistency(req.old, cp.size, &last.root, &cp.root, &req.proof)
            .map_err(|e| Rejection::Unprocessable(format!("consistency proof {} → {}: {e}", req.old, cp.size)))?;
    }
    Ok(cp)
}

/// The 200 response body: the witness's cosignature of the whole checkpoint note. The key must
/// be a cosignature/v1 key and the timestamp non-zero (the spec's rules for a response).
pub fn cosign_response(checkpoint: &Note, witness: &SignerKey, timestamp: u64) -> Result<Vec<u8>, String> {
    if witness.verifier().alg() != crate::note::ALG_COSIGNATURE_V1 {
        return Err(format!("{} is not a cosignature/v1 key", witness.name()));
    }
    if timestamp == 0 || timestamp > i64::MAX as u64 {
        return Err(format!("cosignature timestamp {timestamp} is not in 1..=2^63-1"));
    }
    let mut n = checkpoint.clone();
    n.signatures.clear();
    n.sign(witness, timestamp);
    let mut out = Vec::new();
    for s in &n.signatures {
        out.extend_from_slice(s.line().as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// Parses a 200 response body into signature lines, to add to the checkpoint.
pub fn parse_response(body: &[u8]) -> Result<Vec<NoteSignature>, String> {
    let s = std::str::from_utf8(body).map_err(|_| "response is not UTF-8".to_owned())?;
    let lines = s
        .strip_suffix('\n')
        .ok_or_else(|| "response does not end in a newline".to_owned())?;
    if lines.is_empty() {
        return Err("response has no signature lines".into());
    }
    lines
        .split('\n')
        .enumerate()
        .map(|(i, l)| NoteSignature::parse_line(l).map_err(|why| format!("response line {}: {why}", i + 1)))
        .collect()
}

/// Parses a 409 body (`<size>\n`).
pub fn parse_size_body(body: &[u8]) -> Result<u64, String> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| "a text/x.tlog.size body is a decimal size and a newline".to_owned())
}
