//! From a notification to a log entry: validation against the treaty catalogue and the log's
//! Party, and the envelope, inline or by hash. Shared by `accord log append` and a node's API.
//!
//! Invariants: a notification is logged only if it parses as the treaty engine's format, fits
//! the catalogue (kind, fields, dates) and belongs to the log's Party; a notification too large
//! for an entry is written to the data folder's blobs, durably, before its entry is logged, so
//! an acknowledged entry never names a blob that is not on disk.

use accord_ledger::notification::parse_notification;
use accord_ledger::History;
use accord_logstore::dir::{sha256_hex, DirError};
use accord_logstore::DataDir;
use accord_tlog::entry::{self, Attachment, EntryError, EntryRef, Envelope};
use accord_treaty::TreatySpec;

/// Why a notification was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The notification is wrong (the message names the field).
    #[error("{0}")]
    Invalid(String),
    /// The data folder failed.
    #[error(transparent)]
    Dir(#[from] DirError),
}

/// Validates one notification (JSON text) against the catalogue and the log's Party; returns it
/// as JSON. Errors name the field.
pub fn validate(spec: &TreatySpec, text: &str, party: &str) -> Result<serde_json::Value, String> {
    let n = parse_notification(text.trim()).map_err(|p| format!("field {}: {}", p.field, p.message))?;
    History::from_notifications(spec, [&n]).map_err(|e| e.to_string())?;
    if n.party != party {
        return Err(format!("party: '{}' — this log holds the notifications of {party}", n.party));
    }
    if n.received.is_some() {
        return Err("received: set by the other Party's acknowledgement, never by the sender".into());
    }
    serde_json::from_str(text.trim()).map_err(|e| e.to_string())
}

/// A notification ready to be logged.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The notification, or `null` when logged by hash.
    pub notification: serde_json::Value,
    /// Attachments (the notification's own first when logged by hash).
    pub attachments: Vec<Attachment>,
    /// References to other logs' entries.
    pub refs: Vec<EntryRef>,
}

/// Prepares a validated notification: inline, or by hash when the entry would exceed 65,535
/// bytes (its canonical JSON then goes to `d`'s blobs, durably, first).
pub fn prepare(
    d: &DataDir,
    party: &str,
    notification: serde_json::Value,
    refs: Vec<EntryRef>,
    attachments: Vec<Attachment>,
) -> Result<Prepared, SubmitError> {
    let inline = Prepared {
        notification,
        attachments,
        refs,
    };
    // The size with the longest sequence number a log reaches bounds the real one.
    match encode(party, entry::MAX_SEQ, [0; 16], &inline) {
        Ok(_) => return Ok(inline),
        Err(EntryError::TooLarge { .. }) => {}
        Err(e) => return Err(SubmitError::Invalid(e.to_string())),
    }
    let bytes = entry::canonical_json(&inline.notification).map_err(|e| SubmitError::Invalid(e.to_string()))?;
    let mut attachments = inline.attachments;
    attachments.insert(
        0,
        Attachment {
            name: entry::NOTIFICATION_ATTACHMENT.into(),
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        },
    );
    let by_hash = Prepared {
        notification: serde_json::Value::Null,
        attachments,
        refs: inline.refs,
    };
    encode(party, entry::MAX_SEQ, [0; 16], &by_hash)
        .map_err(|e| SubmitError::Invalid(format!("{e} (even with the notification logged by hash)")))?;
    // Only now, with the entry known to fit: the blob, durably, before the entry is logged.
    d.put_blob(&bytes)?;
    Ok(by_hash)
}

/// The entry for a prepared notification at sequence number `seq`.
pub fn encode(party: &str, seq: u64, salt: [u8; 16], p: &Prepared) -> Result<Vec<u8>, EntryError> {
    let mut e = Envelope::new(party, seq, salt, p.notification.clone());
    e.refs = p.refs.clone();
    e.attachments = p.attachments.clone();
    entry::encode(&e)
}

/// 16 random bytes for an entry's salt.
pub fn salt() -> [u8; 16] {
    rand::random()
}

/// The public part of a notification, if its kind is public: its kind, Party, date and the
/// body fields the catalogue marks public (nothing else: no id, no confidential field).
pub fn redact(spec: &TreatySpec, notification: &serde_json::Value) -> Option<serde_json::Value> {
    let kind = notification.get("kind")?.as_str()?;
    let (_, k) = spec.catalogue.get(kind)?;
    if k.visibility != accord_treaty::Visibility::Public {
        return None;
    }
    let mut body = serde_json::Map::new();
    if let Some(b) = notification.get("body").and_then(|b| b.as_object()) {
        for f in &k.fields {
            if f.visibility == accord_treaty::Visibility::Public {
                if let Some(v) = b.get(f.field.name()) {
                    body.insert(f.field.name().to_owned(), v.clone());
                }
            }
        }
    }
    Some(serde_json::json!({
        "kind": kind,
        "party": notification.get("party")?.clone(),
        "date": notification.get("date")?.clone(),
        "body": body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_public_fields_of_public_kinds() {
        let spec = accord_treaty::builtin::new_start();
        let n = serde_json::json!({"id": "US-1", "kind": "six_month_update", "party": "US", "date": "2012-03-01", "sent": "2012-03-20T10:00:00Z",
            "body": {"loadings": [{"type": "Minuteman III", "warheads": 1}], "totals": {"warheads": 1737}, "note": "secret"}});
        let r = redact(&spec, &n).expect("public kind");
        assert_eq!(
            r,
            serde_json::json!({"kind": "six_month_update", "party": "US", "date": "2012-03-01", "body": {"totals": {"warheads": 1737}}})
        );
        let text = r.to_string();
        for hidden in ["loadings", "Minuteman", "secret", "US-1", "sent"] {
            assert!(!text.contains(hidden), "{hidden} leaked: {text}");
        }
        let move_ = serde_json::json!({"id": "US-2", "kind": "movement", "party": "US", "date": "2012-03-01", "body": {"item": "X"}});
        assert_eq!(redact(&spec, &move_), None, "a confidential kind has no public part");
    }
}
