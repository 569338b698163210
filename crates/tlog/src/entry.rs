//! The accord log entry: one notification in an envelope, encoded as RFC 8785 canonical JSON.
//!
//! ```json
//! {"attachments":[],"format":"accord-entry/1","notification":{…},"party":"US",
//!  "refs":[{"index":4,"leaf_hash":"<base64>","origin":"example.org/ru/new-start"}],
//!  "salt":"<32 hex digits>","seq":17}
//! ```
//!
//! Invariants: an encoded entry is canonical (RFC 8785: keys sorted by UTF-16 code units, no
//! insignificant whitespace, ECMAScript number form), so its bytes, and therefore its leaf
//! hash, are a function of its content; [`decode`] refuses bytes that are not the canonical
//! form of what they parse to. Every entry carries a 16-byte salt, so the public hash tiles
//! reveal nothing about a confidential notification, even one an observer could guess. An
//! encoded entry is at most 65,535 bytes (the tlog-tiles bundle limit); larger material is
//! logged as an [`Attachment`] by its SHA-256. The salt is supplied by the caller: this crate
//! has no randomness.

use crate::merkle::Hash;
use serde::{Deserialize, Serialize};

/// The envelope format this module writes and reads.
pub const FORMAT: &str = "accord-entry/1";
/// The largest encoded entry.
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// The attachment name of a notification logged by hash because the entry holding it would
/// exceed [`MAX_ENTRY_BYTES`]; such an entry's `notification` is `null`, and the attachment's
/// `sha256` is that of the notification's RFC 8785 canonical JSON.
pub const NOTIFICATION_ATTACHMENT: &str = "notification.json";
/// A sequence number at least as long, written, as any a log will reach (2^53 − 1, the largest
/// integer RFC 8785 writes exactly): encoding with it bounds an entry's size before its index
/// is known.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// The SHA-256 (hex) of the notification an entry logs by hash (as an attachment, its body
/// kept outside the log), or `None` for any other entry or bytes that are not an entry.
pub fn logged_by_hash(entry: &[u8]) -> Option<String> {
    // Only the fields that decide it are read: the notification and `received` are skipped
    // without being built (this runs over every entry of a log when a node opens).
    #[derive(Deserialize)]
    struct Peek {
        format: String,
        #[serde(default)]
        attachments: Vec<Attachment>,
        notification: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        received: Option<serde::de::IgnoredAny>,
    }
    if entry.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let e: Peek = serde_json::from_slice(entry).ok()?;
    if e.format != FORMAT || e.notification.is_some() || e.received.is_some() {
        return None;
    }
    e.attachments
        .into_iter()
        .find(|a| a.name == NOTIFICATION_ATTACHMENT)
        .map(|a| a.sha256)
}

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Encoded entry over the size limit.
    #[error("the encoded entry is {size} bytes; an entry is at most 65,535 bytes (log larger material as an attachment, by hash)")]
    TooLarge {
        /// Encoded size.
        size: usize,
    },
    /// Not JSON, or not an envelope.
    #[error("not an accord entry: {0}")]
    Malformed(String),
    /// A format this version does not read.
    #[error("entry format {0:?}; this version reads {FORMAT:?}")]
    Format(String),
    /// Valid JSON that is not in RFC 8785 canonical form.
    #[error("the entry is not RFC 8785 canonical JSON")]
    NotCanonical,
}

/// A reference to another log's entry (for example the other party's notification that this
/// entry acknowledges).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The other log's origin.
    pub origin: String,
    /// The entry's index in that log.
    pub index: u64,
    /// The entry's leaf hash, base64.
    #[serde(with = "b64_hash")]
    pub leaf_hash: Hash,
}

/// Material too large for an entry, logged by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name or label.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always [`FORMAT`].
    pub format: String,
    /// The party whose log this is.
    pub party: String,
    /// The party's sequence number for this entry (its index in the party's log).
    pub seq: u64,
    /// 16 random bytes, lowercase hex.
    #[serde(with = "hex_salt")]
    pub salt: [u8; 16],
    /// Entries of other logs this one refers to.
    #[serde(default)]
    pub refs: Vec<EntryRef>,
    /// Material logged by hash.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The notification, in the treaty engine's format; `null` when logged by hash or in an
    /// acknowledgement.
    pub notification: serde_json::Value,
    /// Only in an acknowledgement: when this Party received the other Party's entry that the
    /// one reference names, as `YYYY-MM-DDTHH:MM:SSZ` (GMT); its treaty date of receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    /// Only in a public release: the public part of this log's notification that the one
    /// reference names (its kind, Party, date and the fields the catalogue marks public), which
    /// may be shown to anyone with a proof of inclusion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<serde_json::Value>,
}

impl Envelope {
    /// An envelope for `notification` with no references or attachments.
    pub fn new(party: &str, seq: u64, salt: [u8; 16], notification: serde_json::Value) -> Envelope {
        Envelope {
            format: FORMAT.to_owned(),
            party: party.to_owned(),
            seq,
            salt,
            refs: Vec::new(),
            attachments: Vec::new(),
            notification,
            received: None,
            public: None,
        }
    }

    /// A public release, by `party`, of the public part of its own entry `of`.
    pub fn release(party: &str, seq: u64, salt: [u8; 16], of: EntryRef, public: serde_json::Value) -> Envelope {
        let mut e = Envelope::new(party, seq, salt, serde_json::Value::Null);
        e.refs.push(of);
        e.public = Some(public);
        e
    }

    /// An acknowledgement, by `party`, of the other log's entry `of`, received at `received`
    /// (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn ack(party: &str, seq: u64, salt: [u8; 16], of: EntryRef, received: &str) -> Envelope {
        let mut e = Envelope::new(party, seq, salt, serde_json::Value::Null);
        e.refs.push(of);
        e.received = Some(received.to_owned());
        e
    }

    /// The reference this entry acknowledges, with its time of receipt, if it is an
    /// acknowledgement.
    pub fn acknowledges(&self) -> Option<(&EntryRef, &str)> {
        Some((self.refs.first()?, self.received.as_deref()?))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the one form a time of receipt takes.
fn is_utc_seconds(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// An acknowledgement names exactly one entry, carries no notification or attachment, and its
/// time is in the one form.
fn check_ack(e: &Envelope) -> Result<(), EntryError> {
    if let Some(p) = &e.public {
        if e.received.is_some() || e.refs.len() != 1 || !e.notification.is_null() || !e.attachments.is_empty() || !p.is_object() {
            return Err(EntryError::Malformed(
                "a public release (with \"public\", an object) has exactly one reference, a null notification, no attachments and no \"received\"".into(),
            ));
        }
        exact(p)?;
        return Ok(());
    }
    let Some(r) = &e.received else { return Ok(()) };
    if !is_utc_seconds(r) {
        return Err(EntryError::Malformed(format!("received {r:?} is not YYYY-MM-DDTHH:MM:SSZ")));
    }
    if e.refs.len() != 1 || !e.notification.is_null() || !e.attachments.is_empty() {
        return Err(EntryError::Malformed(
            "an acknowledgement (with \"received\") has exactly one reference, a null notification and no attachments".into(),
        ));
    }
    Ok(())
}

/// Integers RFC 8785 writes exactly: |n| ≤ 2^53 − 1 (it writes numbers as IEEE doubles).
fn exact(v: &serde_json::Value) -> Result<(), EntryError> {
    match v {
        serde_json::Value::Number(n) => {
            let ok = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u <= MAX_SEQ,
                (None, Some(i)) => i >= -(MAX_SEQ as i64),
                _ => true,
            };
            if ok {
                Ok(())
            } else {
                Err(EntryError::Malformed(format!(
                    "the integer {n} is beyond 2^53 - 1, which RFC 8785 cannot write exactly"
                )))
            }
        }
        serde_json::Value::Array(a) => a.iter().try_for_each(exact),
        serde_json::Value::Object(o) => o.values().try_for_each(exact),
        _ => Ok(()),
    }
}

/// Encodes an entry as RFC 8785 canonical JSON, refusing one over [`MAX_ENTRY_BYTES`] or with
/// an integer beyond 2^53 − 1 (which canonical JSON would round).
pub fn encode(e: &Envelope) -> Result<Vec<u8>, EntryError> {
    let big = std::iter::once(e.seq)
        .chain(e.refs.iter().map(|r| r.index))
        .chain(e.attachments.iter().map(|a| a.size))
        .find(|n| *n > MAX_SEQ);
    if let Some(n) = big {
        return Err(EntryError::Malformed(format!(
            "the integer {n} is beyond 2^53 - 1, which RFC 8785 cannot write exactly"
        )));
    }
    exact(&e.notification)?;
    check_ack(e)?;
    let bytes = serde_json_canonicalizer::to_vec(e).map_err(|err| EntryError::Malformed(err.to_string()))?;
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge { size: bytes.len() });
    }
    Ok(bytes)
}

/// RFC 8785 canonical JSON of any value (for a notification logged by hash).
pub fn canonical_json(v: &serde_json::Value) -> Result<Vec<u8>, EntryError> {
    exact(v)?;
    serde_json_canonicalizer::to_vec(v).map_err(|err| EntryError::Malformed(err.to_string()))
}

/// Decodes an entry, refusing anything but the canonical encoding of an envelope.
pub fn decode(bytes: &[u8]) -> Result<Envelope, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge { size: bytes.len() });
    }
    // Read the format first, so an entry of a later format is named as such.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(EntryError::Format(other.to_owned())),
        None => return Err(EntryError::Malformed("no \"format\" string".into())),
    }
    let e: Envelope = serde_json::from_value(value).map_err(|e| EntryError::Malformed(e.to_string()))?;
    if encode(&e)? != bytes {
        return Err(EntryError::NotCanonical);
    }
    Ok(e)
}

/// An entry as a reader of a node's own store needs it: the notification borrowed as the raw
/// canonical JSON it is stored as (not built into a value), `None` when `null`.
#[derive(Debug, Deserialize)]
pub struct StoredEntry<'a> {
    /// Always [`FORMAT`].
    pub format: String,
    /// The party whose log this is.
    pub party: String,
    /// Entries of other logs this one refers to.
    #[serde(default)]
    pub refs: Vec<EntryRef>,
    /// Material logged by hash.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The notification's JSON text, as stored.
    #[serde(borrow, default)]
    pub notification: Option<&'a serde_json::value::RawValue>,
    /// An acknowledgement's time of receipt.
    #[serde(default)]
    pub received: Option<String>,
    /// A public release's public part.
    #[serde(default)]
    pub public: Option<serde_json::Value>,
}

impl StoredEntry<'_> {
    /// The acknowledged entry and the time of receipt, when this is an acknowledgement.
    pub fn acknowledges(&self) -> Option<(&EntryRef, &str)> {
        Some((self.refs.first()?, self.received.as_deref()?))
    }
}

/// Reads an entry from a store that checked it when it was appended or mirrored, in one pass
/// and without building its notification ([`StoredEntry`]); what is not an envelope of this
/// format is refused with [`decode`]'s error. Bytes from outside go through [`decode`].
pub fn read_stored(bytes: &[u8]) -> Result<StoredEntry<'_>, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge { size: bytes.len() });
    }
    match serde_json::from_slice::<StoredEntry<'_>>(bytes) {
        Ok(e) if e.format == FORMAT => Ok(e),
        Ok(_) | Err(_) => Err(decode(bytes)
            .err()
            .unwrap_or_else(|| EntryError::Malformed("not a stored entry".into()))),
    }
}

use crate::merkle::b64 as b64_hash;

mod hex_salt {
    use serde::Deserialize;
    pub fn serialize<S: serde::Serializer>(b: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        s.serialize_str(&hex)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("salt is not 32 lowercase hex digits");
        if s.len() != 32 || !s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_follows_rfc8785_example() {
        // RFC 8785 §3.2.3 input and output.
        let input = r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#;
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        let v: serde_json::Value = serde_json::from_str(input).unwrap();
        assert_eq!(serde_json_canonicalizer::to_string(&v).unwrap(), want);
    }

    /// The one-pass reader of stored entries agrees with `decode` on every canonical entry,
    /// and refuses what is not an envelope of this format with `decode`'s error.
    #[test]
    fn stored_entries_read_in_one_pass_agree_with_decode() {
        let inline = Envelope::new("US", 3, [7; 16], serde_json::json!({"id": "US-1", "b": [1, 2]}));
        let mut by_hash = Envelope::new("US", 4, [8; 16], serde_json::Value::Null);
        by_hash.attachments.push(Attachment {
            name: NOTIFICATION_ATTACHMENT.into(),
            size: 10,
            sha256: "ab".repeat(32),
        });
        // What the stored reader gives is what `decode` gives.
        let same = |r: &StoredEntry<'_>, e: &Envelope| {
            let n = r
                .notification
                .map_or(serde_json::Value::Null, |n| serde_json::from_str(n.get()).unwrap());
            (
                r.format.as_str(),
                r.party.as_str(),
                &r.refs,
                &r.attachments,
                n,
                &r.received,
                &r.public,
            ) == (
                e.format.as_str(),
                e.party.as_str(),
                &e.refs,
                &e.attachments,
                e.notification.clone(),
                &e.received,
                &e.public,
            )
        };
        for e in [&inline, &by_hash] {
            let bytes = encode(e).unwrap();
            assert!(same(&read_stored(&bytes).unwrap(), &decode(&bytes).unwrap()));
        }
        assert_eq!(logged_by_hash(&encode(&by_hash).unwrap()), Some("ab".repeat(32)));
        assert_eq!(logged_by_hash(&encode(&inline).unwrap()), None);
        assert_eq!(logged_by_hash(b"not json"), None);
        let later = String::from_utf8(encode(&inline).unwrap())
            .unwrap()
            .replace(FORMAT, "accord-entry/99");
        assert_eq!(logged_by_hash(later.as_bytes()), None);
        assert!(matches!(read_stored(later.as_bytes()), Err(EntryError::Format(_))));
        assert!(matches!(read_stored(b"{}"), Err(EntryError::Malformed(_))));
        // Same content, not canonical: decode refuses it; the stored reader takes its content.
        let spaced = String::from_utf8(encode(&inline).unwrap()).unwrap().replacen(',', ", ", 1);
        assert_eq!(decode(spaced.as_bytes()), Err(EntryError::NotCanonical));
        assert!(same(&read_stored(spaced.as_bytes()).unwrap(), &inline));
        // The borrowed reader: the notification's stored text, `None` for `null`.
        let bytes = encode(&inline).unwrap();
        let r = read_stored(&bytes).unwrap();
        assert_eq!(r.notification.map(|n| n.get()), Some(r#"{"b":[1,2],"id":"US-1"}"#));
        assert_eq!(r.party, "US");
        let hb = encode(&by_hash).unwrap();
        let r = read_stored(&hb).unwrap();
        assert!(r.notification.is_none());
        assert_eq!(r.attachments.len(), 1);
        assert!(matches!(read_stored(b"[1]"), Err(EntryError::Malformed(_))));
    }

    #[test]
    fn round_trip_and_refusals() {
        let e = Envelope::new("US", 3, [7; 16], serde_json::json!({"b": 1, "a": [true, "x"]}));
        let bytes = encode(&e).unwrap();
        assert_eq!(decode(&bytes).unwrap(), e);
        // Reordered keys or added whitespace: same content, not canonical.
        let spaced = String::from_utf8(bytes.clone()).unwrap().replacen(',', ", ", 1);
        assert_eq!(decode(spaced.as_bytes()), Err(EntryError::NotCanonical));
        let other = String::from_utf8(bytes).unwrap().replace(FORMAT, "accord-entry/9");
        assert!(matches!(decode(other.as_bytes()), Err(EntryError::Format(_))));
        let huge = Envelope::new("US", 0, [0; 16], serde_json::json!({"n": 9_007_199_254_740_993u64}));
        assert!(matches!(encode(&huge), Err(EntryError::Malformed(m)) if m.contains("2^53")));
        let mut far = Envelope::new("US", MAX_SEQ + 1, [0; 16], serde_json::json!({}));
        assert!(encode(&far).is_err());
        far.seq = MAX_SEQ;
        assert!(encode(&far).is_ok());
        let big = Envelope::new("US", 0, [0; 16], serde_json::json!("x".repeat(70_000)));
        assert!(matches!(encode(&big), Err(EntryError::TooLarge { size }) if size > 70_000));
    }

    #[test]
    fn acknowledgements() {
        let of = EntryRef {
            origin: "example.org/ru".into(),
            index: 41,
            leaf_hash: Hash([3; 32]),
        };
        let a = Envelope::ack("US", 9, [1; 16], of.clone(), "2021-02-03T10:00:00Z");
        let bytes = encode(&a).unwrap();
        assert!(String::from_utf8(bytes.clone())
            .unwrap()
            .contains("\"received\":\"2021-02-03T10:00:00Z\""));
        let back = decode(&bytes).unwrap();
        assert_eq!(back.acknowledges(), Some((&of, "2021-02-03T10:00:00Z")));
        // A plain entry has no "received" key at all, so earlier entries keep their bytes.
        let plain = encode(&Envelope::new("US", 1, [0; 16], serde_json::json!({}))).unwrap();
        assert!(!String::from_utf8(plain).unwrap().contains("received"));
        let mut bad = a.clone();
        bad.received = Some("2021-02-03 10:00".into());
        assert!(matches!(encode(&bad), Err(EntryError::Malformed(m)) if m.contains("YYYY")));
        let mut two = a.clone();
        two.refs.push(of);
        assert!(encode(&two).is_err());
        let mut with = a;
        with.notification = serde_json::json!({"id": "x"});
        assert!(encode(&with).is_err());
    }
}
