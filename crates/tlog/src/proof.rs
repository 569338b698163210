//! C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): a self-contained, offline-verifiable inclusion
//! receipt, and accord's JSON document for consistency proofs (tlog-proof has no consistency
//! form).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional; accord puts the entry itself here when asked)
//! index <n>
//! <base64 hash>             (zero or more: the RFC 6962 inclusion path, leaf's sibling first)
//!
//! <checkpoint note, verbatim, with its signatures and cosignatures>
//! ```
//!
//! Invariants: parsing refuses (never panics on) anything but that layout; [`TlogProof::verify`]
//! follows the spec's steps: it takes the leaf hash from the caller, checks the origin and a log
//! signature, verifies cosignatures of known witnesses against a k-of-n quorum, and checks the
//! inclusion path against the signed root. The extra data is not trusted: it only helps the
//! caller compute the leaf hash.

use crate::merkle::{verify_consistency, verify_inclusion, Hash, ProofError};
use crate::note::{Checkpoint, Note, NoteError, VerifierKey};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use serde::{Deserialize, Serialize};

/// The first line of a tlog-proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// The `format` of accord's consistency-proof JSON.
pub const CONSISTENCY_FORMAT: &str = "accord-consistency-proof/1";

/// Why a proof is malformed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Malformed proof text.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The checkpoint's origin is not the expected one.
    #[error("the checkpoint's origin is {got:?}, expected {want:?}")]
    Origin {
        /// Origin in the proof.
        got: String,
        /// Origin expected.
        want: String,
    },
    /// The log signature is missing or bad.
    #[error("checkpoint: {0}")]
    Signature(#[from] NoteError),
    /// Too few witness cosignatures.
    #[error("{got} valid witness cosignatures, the policy needs {want}")]
    Quorum {
        /// Valid cosignatures.
        got: usize,
        /// Needed.
        want: usize,
    },
    /// The Merkle proof does not verify.
    #[error("{0}")]
    Proof(#[from] ProofError),
    /// The checkpoint does not satisfy a tlog-policy.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
}

/// A parsed tlog-proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data (not authenticated).
    pub extra: Option<Vec<u8>>,
    /// Index of the entry.
    pub index: u64,
    /// Inclusion path.
    pub path: Vec<Hash>,
    /// The checkpoint note.
    pub checkpoint: Note,
}

/// Who must have signed: the log key and a k-of-n witness quorum.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Expected origin.
    pub origin: String,
    /// Log keys (any one must sign).
    pub log_keys: Vec<VerifierKey>,
    /// Witness cosigner keys.
    pub witnesses: Vec<VerifierKey>,
    /// Valid witness cosignatures required.
    pub quorum: usize,
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

fn hash_line(line: &str, what: &str) -> Result<Hash, String> {
    let raw = B64.decode(line).map_err(|_| format!("{what} is not base64"))?;
    let a: [u8; 32] = raw.try_into().map_err(|_| format!("{what} is not a 32-byte hash"))?;
    Ok(Hash(a))
}

impl TlogProof {
    /// Parses a proof.
    pub fn parse(bytes: &[u8]) -> Result<TlogProof, VerifyError> {
        let bad = |why: String| VerifyError::Malformed(why);
        let s = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8".into()))?;
        let mut rest = s;
        let mut next_line = |what: &str| -> Result<&str, VerifyError> {
            let (line, tail) = rest.split_once('\n').ok_or_else(|| bad(format!("ends before {what}")))?;
            rest = tail;
            Ok(line)
        };
        let header = next_line("the header")?;
        if header != HEADER {
            return Err(bad(format!("line 1 is {header:?}, not {HEADER:?}")));
        }
        let mut line = next_line("the index line")?;
        let mut lineno = 2;
        let extra = match line.strip_prefix("extra ") {
            Some(b) => {
                let data = B64.decode(b).map_err(|_| bad("line 2: extra data is not base64".into()))?;
                line = next_line("the index line")?;
                lineno += 1;
                Some(data)
            }
            None => None,
        };
        let index = line
            .strip_prefix("index ")
            .and_then(decimal)
            .ok_or_else(|| bad(format!("line {lineno} is not \"index <n>\"")))?;
        let mut path = Vec::new();
        loop {
            lineno += 1;
            let line = next_line("the blank line before the checkpoint")?;
            if line.is_empty() {
                break;
            }
            if path.len() == 64 {
                return Err(bad("more than 64 proof hashes".into()));
            }
            path.push(hash_line(line, &format!("line {lineno}")).map_err(bad)?);
        }
        let checkpoint = Note::parse(rest.as_bytes()).map_err(|e| bad(format!("checkpoint: {e}")))?;
        Checkpoint::parse(&checkpoint.text).map_err(|e| bad(format!("checkpoint: {e}")))?;
        Ok(TlogProof {
            extra,
            index,
            path,
            checkpoint,
        })
    }

    /// The proof's text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.checkpoint.to_bytes());
        out
    }

    /// Verifies the proof for the entry whose leaf hash is `leaf`; returns the checkpoint.
    pub fn verify(&self, leaf: &Hash, policy: &Policy) -> Result<Checkpoint, VerifyError> {
        let cp = Checkpoint::parse(&self.checkpoint.text)?;
        if cp.origin != policy.origin {
            return Err(VerifyError::Origin {
                got: cp.origin,
                want: policy.origin.clone(),
            });
        }
        self.checkpoint.verify(&policy.log_keys)?;
        if policy.quorum > 0 {
            // Distinct witness keys (Note::verify counts each key once).
            let got = match self.checkpoint.verify(&policy.witnesses) {
                Ok(v) => v.len(),
                Err(NoteError::UnknownSigners) => 0,
                Err(e) => return Err(e.into()),
            };
            if got < policy.quorum {
                return Err(VerifyError::Quorum { got, want: policy.quorum });
            }
        }
        verify_inclusion(self.index, cp.size, leaf, &self.path, &cp.root)?;
        Ok(cp)
    }
}

/// Parses an accord consistency-proof document (JSON).
pub fn parse_consistency(bytes: &[u8]) -> Result<ConsistencyDoc, VerifyError> {
    serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed(format!("not an {CONSISTENCY_FORMAT} document: {e}")))
}

impl TlogProof {
    /// Verifies the proof for the entry whose leaf hash is `leaf` under a C2SP tlog-policy (a
    /// listed log signed it, the quorum of witnesses cosigned it); returns the checkpoint.
    pub fn verify_policy(&self, leaf: &Hash, policy: &crate::policy::TlogPolicy) -> Result<Checkpoint, VerifyError> {
        let cp = policy.check(&self.checkpoint)?;
        verify_inclusion(self.index, cp.size, leaf, &self.path, &cp.root)?;
        Ok(cp)
    }
}

/// accord's consistency proof: two checkpoints of one log and the RFC 6962 proof between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyDoc {
    /// Always [`CONSISTENCY_FORMAT`].
    pub format: String,
    /// The older checkpoint note, verbatim.
    pub from: String,
    /// The newer checkpoint note, verbatim.
    pub to: String,
    /// The proof hashes, base64.
    pub proof: Vec<String>,
}

impl ConsistencyDoc {
    /// Verifies both checkpoints' log signatures, their origin, and the proof between them;
    /// returns the two checkpoints.
    pub fn verify(&self, policy: &Policy) -> Result<(Checkpoint, Checkpoint), VerifyError> {
        if self.format != CONSISTENCY_FORMAT {
            return Err(VerifyError::Malformed(format!(
                "format {:?}, not {CONSISTENCY_FORMAT:?}",
                self.format
            )));
        }
        let mut cps = Vec::new();
        for (what, text) in [("from", &self.from), ("to", &self.to)] {
            let note = Note::parse(text.as_bytes()).map_err(|e| VerifyError::Malformed(format!("{what}: {e}")))?;
            let cp = Checkpoint::parse(&note.text).map_err(|e| VerifyError::Malformed(format!("{what}: {e}")))?;
            if cp.origin != policy.origin {
                return Err(VerifyError::Origin {
                    got: cp.origin,
                    want: policy.origin.clone(),
                });
            }
            note.verify(&policy.log_keys)?;
            cps.push(cp);
        }
        let proof = self
            .proof
            .iter()
            .enumerate()
            .map(|(i, p)| hash_line(p, &format!("proof hash {i}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(VerifyError::Malformed)?;
        let to = cps.pop().ok_or_else(|| VerifyError::Malformed("no checkpoints".into()))?;
        let from = cps.pop().ok_or_else(|| VerifyError::Malformed("no checkpoints".into()))?;
        if from.size == 0 {
            if !proof.is_empty() {
                return Err(ProofError::WrongLength {
                    got: proof.len(),
                    want: "none from the empty tree".into(),
                }
                .into());
            }
        } else {
            verify_consistency(from.size, to.size, &from.root, &to.root, &proof)?;
        }
        Ok((from, to))
    }
}
