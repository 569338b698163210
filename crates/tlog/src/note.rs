//! C2SP signed-note v1.0.0 with Ed25519 (signature type 0x01), the `vkey` text form of verifier
//! keys and the Go `PRIVATE+KEY+` form of signer keys, C2SP tlog-cosignature v1 (type 0x04:
//! timestamped Ed25519 over `cosignature/v1\ntime <ts>\n` and the note text), and C2SP
//! tlog-checkpoint bodies.
//!
//! Invariants: a parsed [`Note`] has UTF-8 text without control characters other than `\n`,
//! ending in `\n`, and at least one well-formed signature line; a [`Checkpoint`] has a
//! non-empty origin, a size without leading zeros and a 32-byte root. Parsing and
//! verification return typed errors that say what is wrong, never panic.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// Signature type: Ed25519 over the note text.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type: tlog-cosignature v1 (timestamped Ed25519).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry (the spec asks verifiers to accept at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// What is wrong with a key, note or checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key string is malformed.
    #[error("malformed key: {0}")]
    Key(String),
    /// A note is malformed.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// No signature by a known key.
    #[error("no signature by a known key")]
    UnknownSigners,
    /// A known key's signature does not verify.
    #[error("signature by {name} ({id:08x}) does not verify")]
    BadSignature {
        /// Key name.
        name: String,
        /// Key ID.
        id: u32,
    },
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
}

/// The 4-byte key ID: the first four bytes of SHA-256(name, "\n", type, public key), big-endian.
pub fn key_id(name: &str, alg: u8, public: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(|c| c.is_whitespace() || is_ascii_control(c)) {
        return Err(NoteError::Key(format!(
            "key name '{}' must be non-empty, without spaces, control characters or '+'",
            name.escape_default()
        )));
    }
    Ok(())
}

/// A verifier key: name, ID, type and Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    alg: u8,
    key: VerifyingKey,
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for VerifierKey {
    /// The `vkey` form: `<name>+<hex8 key ID>+<base64(type || public key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.alg];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

impl VerifierKey {
    /// The Ed25519 public key bytes.
    pub fn public_key(&self) -> [u8; 32] {
        *self.key.as_bytes()
    }

    /// Parses a `vkey` (types 0x01 and 0x04), checking that the ID matches the key.
    pub fn parse(vkey: &str) -> Result<VerifierKey, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key("expected <name>+<hex8>+<base64>".into()));
        };
        check_name(name)?;
        if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(NoteError::Key(format!("key ID '{hex}' is not 8 lowercase hex digits")));
        }
        let id = u32::from_str_radix(hex, 16).map_err(|_| NoteError::Key(format!("key ID '{hex}'")))?;
        let raw = B64.decode(b64).map_err(|e| NoteError::Key(format!("key is not base64: {e}")))?;
        let (&alg, public) = raw.split_first().ok_or_else(|| NoteError::Key("empty key".into()))?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(NoteError::Key(format!("unsupported key type 0x{alg:02x}")));
        }
        let bytes: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::Key(format!("Ed25519 public key has {} bytes, not 32", public.len())))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| NoteError::Key("not an Ed25519 public key".into()))?;
        if key_id(name, alg, &bytes) != id {
            return Err(NoteError::Key(format!("key ID {hex} does not match the key")));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            id,
            alg,
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The signature type.
    pub fn alg(&self) -> u8 {
        self.alg
    }
}

/// A signer key (Ed25519 seed) with its name and signature type.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    alg: u8,
    key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({}, {:08x})", self.name, self.id())
    }
}

impl SignerKey {
    /// A signer from a 32-byte seed.
    pub fn from_seed(name: &str, alg: u8, seed: [u8; 32]) -> Result<SignerKey, NoteError> {
        check_name(name)?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(NoteError::Key(format!("unsupported key type 0x{alg:02x}")));
        }
        Ok(SignerKey {
            name: name.to_owned(),
            alg,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Parses the Go form `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`.
    pub fn parse(skey: &str) -> Result<SignerKey, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::Key("a signer key starts with PRIVATE+KEY+".into()))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key("expected PRIVATE+KEY+<name>+<hex8>+<base64>".into()));
        };
        let raw = B64.decode(b64).map_err(|e| NoteError::Key(format!("key is not base64: {e}")))?;
        let (&alg, seed) = raw.split_first().ok_or_else(|| NoteError::Key("empty key".into()))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::Key("an Ed25519 seed has 32 bytes".into()))?;
        let k = SignerKey::from_seed(name, alg, seed)?;
        if format!("{:08x}", k.id()) != hex {
            return Err(NoteError::Key(format!("key ID {hex} does not match the key")));
        }
        Ok(k)
    }

    /// The Go form of this key (secret: store with mode 0600).
    pub fn to_skey(&self) -> String {
        let mut raw = vec![self.alg];
        raw.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.id(), B64.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn id(&self) -> u32 {
        key_id(&self.name, self.alg, self.key.verifying_key().as_bytes())
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id(),
            alg: self.alg,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a note text (type 0x01), or cosigns it at `timestamp` (type 0x04); returns the
    /// signature line's bytes (key ID first).
    pub fn sign(&self, text: &str, timestamp: u64) -> Vec<u8> {
        let mut out = self.id().to_be_bytes().to_vec();
        if self.alg == ALG_COSIGNATURE_V1 {
            out.extend_from_slice(&timestamp.to_be_bytes());
            out.extend_from_slice(&self.key.sign(cosigned_message(text, timestamp).as_bytes()).to_bytes());
        } else {
            out.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        }
        out
    }
}

impl SignerKey {
    /// Signs arbitrary bytes with the key's Ed25519 key (for RFC 9421 HTTP message signatures,
    /// whose signature base always begins with a double quote, so it can never be taken for a
    /// note text signed by [`SignerKey::sign`], which begins with a checkpoint's origin or with
    /// `cosignature/v1`).
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (the first 4 bytes).
    pub id: u32,
    /// The bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// Parses one signature line (without its newline): `— <name> <base64(key ID || signature)>`.
    pub fn parse_line(line: &str) -> Result<NoteSignature, String> {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| "does not start with an em dash and a space".to_owned())?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| "has no key name and signature".to_owned())?;
        check_name(name).map_err(|_| format!("bad key name '{name}'"))?;
        let raw = B64.decode(b64).map_err(|_| "signature is not base64".to_owned())?;
        if raw.len() < 5 {
            return Err("signature too short".into());
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        })
    }

    /// The signature line, without the final newline.
    pub fn line(&self) -> String {
        let mut raw = self.id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}", self.name, B64.encode(raw))
    }
}

/// A signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline.
    pub text: String,
    /// Its signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

/// An ASCII control character (C0 or DEL): what signed-note forbids, besides the newline.
fn is_ascii_control(c: char) -> bool {
    c < ' ' || c == '\u{7f}'
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text does not end in a newline".into()));
    }
    if let Some(c) = text.chars().find(|c| is_ascii_control(*c) && *c != '\n') {
        return Err(NoteError::Malformed(format!("control character U+{:04X} in the text", c as u32)));
    }
    Ok(())
}

impl Note {
    /// A note with `text` and no signatures yet.
    pub fn new(text: &str) -> Result<Note, NoteError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Adds a signature (or cosignature) by `key`.
    pub fn sign(&mut self, key: &SignerKey, timestamp: u64) {
        let raw = key.sign(&self.text, timestamp);
        self.signatures.push(NoteSignature {
            name: key.name.clone(),
            id: key.id(),
            signature: raw[4..].to_vec(),
        });
    }

    /// Parses a signed note. The text ends at the last blank line.
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        let s = std::str::from_utf8(bytes).map_err(|e| NoteError::Malformed(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
        let text = &s[..split + 1];
        let sigs = &s[split + 2..];
        check_text(text)?;
        if sigs.is_empty() {
            return Err(NoteError::Malformed("no signatures".into()));
        }
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed("the last signature line does not end in a newline".into()));
        }
        let mut signatures = Vec::new();
        for (i, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
            if i >= MAX_SIGNATURES {
                return Err(NoteError::Malformed(format!("more than {MAX_SIGNATURES} signatures")));
            }
            let sig = NoteSignature::parse_line(line).map_err(|why| NoteError::Malformed(format!("signature line {}: {why}", i + 1)))?;
            signatures.push(sig);
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signatures".into()));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note's bytes: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = self.text.clone();
        s.push('\n');
        for sig in &self.signatures {
            s.push_str(&sig.line());
            s.push('\n');
        }
        s.into_bytes()
    }

    /// Verifies the signatures of known keys. Signatures by unknown (name, ID) pairs are
    /// ignored; a known key's bad signature rejects the note; no known signature rejects it; a
    /// key with several signature lines is checked and counted once (its first line).
    /// Returns the verified keys' names and, for cosignatures, their timestamps, one per key.
    pub fn verify(&self, keys: &[VerifierKey]) -> Result<Vec<(String, Option<u64>)>, NoteError> {
        let mut ok: Vec<(String, Option<u64>)> = Vec::new();
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for sig in &self.signatures {
            let Some(k) = keys.iter().find(|k| k.name == sig.name && k.id == sig.id) else {
                continue;
            };
            // One key counts once, however many lines carry its signature (a copied line must
            // not count twice toward a quorum).
            if seen.contains(&(sig.name.as_str(), sig.id)) {
                continue;
            }
            seen.push((sig.name.as_str(), sig.id));
            let bad = || NoteError::BadSignature {
                name: sig.name.clone(),
                id: sig.id,
            };
            let (message, raw, ts) = if k.alg == ALG_COSIGNATURE_V1 {
                if sig.signature.len() != 72 {
                    return Err(bad());
                }
                let ts = u64::from_be_bytes(sig.signature[..8].try_into().map_err(|_| bad())?);
                if ts > i64::MAX as u64 {
                    return Err(bad());
                }
                (cosigned_message(&self.text, ts).into_bytes(), &sig.signature[8..], Some(ts))
            } else {
                (self.text.clone().into_bytes(), &sig.signature[..], None)
            };
            let bytes: [u8; 64] = raw.try_into().map_err(|_| bad())?;
            k.key
                .verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&bytes))
                .map_err(|_| bad())?;
            ok.push((k.name.clone(), ts));
        }
        if ok.is_empty() {
            return Err(NoteError::UnknownSigners);
        }
        Ok(ok)
    }
}

/// A tlog-checkpoint body: origin, tree size, root hash, extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// Extension lines (opaque).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses a checkpoint body (a note's text).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        check_text(text).map_err(|e| NoteError::Checkpoint(e.to_string()))?;
        let lines: Vec<&str> = text[..text.len() - 1].split('\n').collect();
        if lines.len() < 3 {
            return Err(NoteError::Checkpoint(format!("{} lines; a checkpoint has at least 3", lines.len())));
        }
        // The origin SHOULD be a schema-less URL without spaces or '+' (Go's sumdb uses
        // "go.sum database tree"): only an empty one is refused.
        let origin = lines[0];
        if origin.is_empty() {
            return Err(NoteError::Checkpoint("empty origin".into()));
        }
        let size_s = lines[1];
        if size_s.is_empty() || !size_s.bytes().all(|b| b.is_ascii_digit()) || (size_s.len() > 1 && size_s.starts_with('0')) {
            return Err(NoteError::Checkpoint(format!(
                "tree size '{size_s}' is not a decimal number without leading zeros"
            )));
        }
        let size: u64 = size_s
            .parse()
            .map_err(|_| NoteError::Checkpoint(format!("tree size '{size_s}' is too large")))?;
        let root = B64
            .decode(lines[2])
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| NoteError::Checkpoint("root hash is not 32 bytes of base64".into()))?;
        let extensions: Vec<String> = lines[3..].iter().map(|s| s.to_string()).collect();
        if extensions.iter().any(|e| e.is_empty()) {
            return Err(NoteError::Checkpoint("empty extension line".into()));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root: Hash(root),
            extensions,
        })
    }

    /// The body text.
    pub fn text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root.0));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}
