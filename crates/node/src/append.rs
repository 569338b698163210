//! From a notification to a log entry: validation against the treaty catalogue and the log's
//! Party, and the envelope, inline or by hash (shared by `accord log append` and a node's API);
//! then, for a node, the whole append path: [`submit_items`] checks a batch (and inspection and
//! negotiation steps against both Parties' record, [`check_steps`]) under the append lock and
//! queues it with the sequencer ([`Shared::append_with`]).
//!
//! Invariants: a notification is logged only if it parses as the treaty engine's format, fits
//! the catalogue (kind, fields, dates) and belongs to the log's Party; a notification too large
//! for an entry is written to the data folder's blobs, durably, before its entry is logged, so
//! an acknowledged entry never names a blob that is not on disk.

use crate::error::NodeError;
use crate::state::{EntryBuild, Shared};
use crate::view::{Given, View};
use accord_ledger::notification::{parse_notification, Notification};
use accord_ledger::record::Record;
use accord_ledger::History;
use accord_logstore::dir::{sha256_hex, DirError};
use accord_logstore::sequencer::Receipt;
use accord_logstore::DataDir;
use accord_tlog::entry::{self, Attachment, EntryError, EntryRef, Envelope};
use accord_treaty::TreatySpec;
use accord_treaty::{Effect, InspectionStep};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Why a notification was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The notification is wrong (the message names the field).
    #[error("{0}")]
    Invalid(String),
    /// The data folder failed.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The node's storage failed.
    #[error(transparent)]
    Storage(#[from] NodeError),
}

/// Where a notification logged by hash is kept, durably, before its entry is logged: a log's
/// folder (`accord log append`) or a node's storage.
pub trait BlobSink {
    /// Keeps `bytes` under their SHA-256.
    fn keep(&self, bytes: &[u8]) -> Result<(), SubmitError>;
}

impl BlobSink for DataDir {
    fn keep(&self, bytes: &[u8]) -> Result<(), SubmitError> {
        self.put_blob(bytes).map(|_| ()).map_err(SubmitError::Dir)
    }
}

impl BlobSink for dyn crate::storage::Backend {
    fn keep(&self, bytes: &[u8]) -> Result<(), SubmitError> {
        self.put_blob(bytes).map(|_| ()).map_err(SubmitError::Storage)
    }
}

/// What to do with a `received` time the sender set itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderReceived {
    /// NodeError: a time of receipt comes only from the other Party's acknowledgement (a node).
    Refuse,
    /// Kept as written: `accord log append` builds a log offline from a history whose receipts
    /// were stamped elsewhere (a simulated history carries them).
    Keep,
}

/// Validates one notification (JSON text) against the catalogue and the log's Party, refusing a
/// sender-set `received`; returns it as JSON. Errors name the field.
pub fn validate(spec: &TreatySpec, text: &str, party: &str) -> Result<serde_json::Value, String> {
    validate_with(spec, text, party, SenderReceived::Refuse)
}

/// [`validate`], with the rule for a sender-set `received` named.
pub fn validate_with(spec: &TreatySpec, text: &str, party: &str, received: SenderReceived) -> Result<serde_json::Value, String> {
    let n = parse_notification(text.trim()).map_err(|p| format!("field {}: {}", p.field, p.message))?;
    History::from_notifications(spec, [&n]).map_err(|e| e.to_string())?;
    if n.party != party {
        return Err(format!("party: '{}' — this log holds the notifications of {party}", n.party));
    }
    if n.received.is_some() && received == SenderReceived::Refuse {
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
    d: &(impl BlobSink + ?Sized),
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
    d.keep(&bytes)?;
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
pub fn salt(entropy: &crate::clock::Entropy) -> [u8; 16] {
    entropy.bytes()
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

/// A queued entry's receipt, once durable.
type Pending = std::sync::mpsc::Receiver<Result<Receipt, accord_logstore::sequencer::SeqError>>;

impl Shared {
    /// Appends entries built from their indexes to the own log, in order, and adds them to the
    /// view; returns the receipts. Everything or an error (the entries of a failed batch are
    /// not acknowledged). `prepare` runs under the append lock, so what it reads of the view and
    /// of [`Shared::in_flight`] cannot change under it: it decides what to append. With
    /// `pipelined`, the lock is let go once the entries are queued, so concurrent requests share
    /// the sequencer's group commits; without, it is held until they are durable and in the
    /// view (for appends computed from the view, like acknowledgements).
    pub async fn append_with<E>(
        self: &Arc<Self>,
        pipelined: bool,
        prepare: impl FnOnce(&Shared) -> Result<Vec<EntryBuild>, E>,
    ) -> Result<Result<Vec<Receipt>, String>, E> {
        let guard = self.append_lock.lock().await;
        let builds = prepare(self)?;
        if builds.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let rxs = match self.enqueue(builds) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let guard = if pipelined {
            drop(guard);
            None
        } else {
            Some(guard)
        };
        let out = self.finish(rxs).await;
        drop(guard);
        Ok(out)
    }

    /// Queues entries with the sequencer (in order); each one built is staged for the view.
    fn enqueue(self: &Arc<Self>, builds: Vec<EntryBuild>) -> Result<Vec<Pending>, String> {
        let seq = self.seq.lock().map_err(|_| "sequencer poisoned")?;
        let seq = seq.as_ref().ok_or("the node is stopping")?;
        let mut rxs = Vec::with_capacity(builds.len());
        for b in builds {
            let me = self.clone();
            let rx = seq
                .submit(Box::new(move |i| {
                    let (bytes, blob) = b(i)?;
                    if let Ok(mut st) = me.staged.lock() {
                        st.insert(i, (bytes.clone(), blob));
                    }
                    Ok(bytes)
                }))
                .map_err(|e| e.to_string())?;
            rxs.push(rx);
        }
        Ok(rxs)
    }

    /// Waits until the queued entries are durable, then moves every staged entry below the
    /// durable size into the view, in index order (whichever request gets there first).
    async fn finish(self: &Arc<Self>, rxs: Vec<Pending>) -> Result<Vec<Receipt>, String> {
        let receipts = tokio::task::spawn_blocking(move || -> Result<Vec<Receipt>, String> {
            let mut out = Vec::with_capacity(rxs.len());
            for rx in rxs {
                out.push(
                    rx.recv()
                        .map_err(|_| "the sequencer stopped".to_string())?
                        .map_err(|e| e.to_string())?,
                );
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.to_string())??;
        let durable = receipts.iter().map(|r| r.size).max().unwrap_or(0);
        {
            let mut v = self.view.write().map_err(|_| "view poisoned")?;
            let mut st = self.staged.lock().map_err(|_| "staging poisoned")?;
            while let Some(entry) = st.first_entry() {
                let i = *entry.key();
                if i >= durable || i != v.own_size() {
                    break;
                }
                let (bytes, blob) = entry.remove();
                v.push_own(Given {
                    bytes: &bytes,
                    blob,
                    leaf: None,
                });
            }
        }
        if let Some(r) = receipts.iter().max_by_key(|r| r.size) {
            let note = r.checkpoint.clone();
            self.latest.send_if_modified(|cur| {
                if r.size > cur.0 {
                    *cur = (r.size, note);
                    true
                } else {
                    false
                }
            });
            self.metrics.log_size.store(self.latest.borrow().0, Ordering::Relaxed);
        }
        self.bump();
        Ok(receipts)
    }
}

/// Validates and logs notifications, all or none: the receipts, in order. Inspection and
/// negotiation steps are checked against the record of both Parties (the rules of the
/// inspection or negotiation, crates/ledger/src/record.rs) under the append lock, and are
/// logged before the lock is let go, so that two steps cannot both pass against the same record.
pub async fn submit_items(s: &Arc<Shared>, items: Vec<serde_json::Value>, single: bool) -> Result<Vec<Option<Logged>>, NodeError> {
    let (fresh, mut receipts) = sort_items(s, items, single)?;
    if fresh.is_empty() {
        return Ok(receipts);
    }
    let prepared = prepare_all(s, &fresh).await?;
    let (builds, logs) = entry_builds(s, &fresh, prepared);
    let done = queue(s, &fresh, builds).await?;
    crate::metrics::Metrics::add(&s.metrics.submitted, fresh.len() as u64);
    for (m, r) in logs.iter().zip(done) {
        let Some(k) = m else { continue };
        let f = &fresh[*k];
        receipts[f.pos] = Some(Logged {
            duplicate: false,
            id: f.id.clone(),
            index: r.index,
            leaf_hash: Some(r.leaf_hash.to_string()),
            size: Some(r.size),
        });
    }
    Ok(receipts)
}

/// Where a submitted notification is logged: its receipt (JSON keys in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Logged {
    /// Whether it was logged before (a retry): then only its id and index are given.
    pub duplicate: bool,
    /// Its id.
    pub id: String,
    /// Its entry's index in the own log.
    pub index: u64,
    /// Its entry's leaf hash (base64), when logged now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// The log's size once it was logged, when logged now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A notification of a submission not logged yet: its position in the submission, its id and
/// the notification as validated.
struct Fresh {
    pos: usize,
    id: String,
    n: serde_json::Value,
}

/// Validates each item of a submission (stamping `sent` with the node's clock when absent,
/// refusing one after it) and sorts them: ids already logged with the same content get their
/// receipt at once; the rest are to be logged. An id twice in one submission, or logged with
/// other content, refuses the whole submission.
fn sort_items(s: &Shared, items: Vec<serde_json::Value>, single: bool) -> Result<(Vec<Fresh>, Vec<Option<Logged>>), NodeError> {
    let now = s.clock.now();
    let mut seen = HashSet::new();
    let mut fresh = Vec::new();
    let mut receipts: Vec<Option<Logged>> = vec![None; items.len()];
    for (i, mut n) in items.into_iter().enumerate() {
        let at = |m: String| if single { m } else { format!("notification[{i}]: {m}") };
        let Some(o) = n.as_object_mut() else {
            return Err(NodeError::Invalid(at("not an object".into())));
        };
        if !o.contains_key("sent") {
            o.insert("sent".into(), serde_json::Value::String(crate::clock::rfc3339(now)));
        }
        if let Some(sent) = o.get("sent").and_then(|v| v.as_str()) {
            match crate::view::parse_time(sent) {
                Ok(t) if t > now => {
                    return Err(NodeError::Invalid(at(format!(
                        "sent: {sent} is after this node's clock ({})",
                        crate::clock::rfc3339(now)
                    ))))
                }
                _ => {}
            }
        }
        let n = match crate::append::validate(&s.spec, &n.to_string(), &s.cfg.party) {
            Ok(n) => n,
            Err(e) => return Err(NodeError::Invalid(at(e))),
        };
        // Replay refuses a notification dated outside the treaty's life, and with it the whole
        // record: refused here, before it is logged.
        if let Some(date) = n
            .get("date")
            .and_then(|d| d.as_str())
            .and_then(|d| accord_treaty::parse_date(d).ok())
        {
            // The lifecycle with the extensions the record agreed.
            let agreed = s
                .view
                .read()
                .map_err(|_| NodeError::Internal("view poisoned".to_string()))?
                .record(&s.spec);
            let life = &agreed.spec.lifecycle;
            if !life.in_force(date) {
                return Err(NodeError::Refused(at(format!(
                    "date: {date} is outside the treaty's life ({} is in force from {} to {})",
                    s.spec.short_name,
                    life.entry_into_force(),
                    accord_treaty::date::add_days(life.end_exclusive(), -1)
                ))));
            }
        }
        let id = n.get("id").and_then(|x| x.as_str()).unwrap_or_default().to_owned();
        if !seen.insert(id.clone()) {
            return Err(NodeError::Invalid(at(format!("id: {id} appears twice in this submission"))));
        }
        let existing = s
            .view
            .read()
            .ok()
            .and_then(|v| v.own_index(&id).map(|ix| (ix, v.own_notification(ix))));
        match existing {
            Some((ix, Some(old))) => {
                // The same notification again (its `sent` aside, which a retry may restamp).
                let strip = |v: &serde_json::Value| {
                    let mut v = v.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("sent");
                    }
                    v
                };
                if strip(&old) != strip(&n) {
                    return Err(NodeError::Conflict(at(format!(
                        "id: {id} is already logged (entry {ix}) with other content"
                    ))));
                }
                receipts[i] = Some(Logged {
                    duplicate: true,
                    id,
                    index: ix,
                    leaf_hash: None,
                    size: None,
                });
            }
            _ => fresh.push(Fresh { pos: i, id, n }),
        }
    }
    Ok((fresh, receipts))
}

/// Prepares each fresh notification (inline or by hash, its blob kept first), off the async
/// threads; with each, the notification's canonical bytes when it is logged by hash (the view
/// reads them).
async fn prepare_all(s: &Arc<Shared>, fresh: &[Fresh]) -> Result<Vec<(Prepared, Option<Vec<u8>>)>, NodeError> {
    let s2 = s.clone();
    let to_prepare: Vec<serde_json::Value> = fresh.iter().map(|f| f.n.clone()).collect();
    let prepared = tokio::task::spawn_blocking(move || {
        to_prepare
            .into_iter()
            .map(|n| {
                let blob = accord_tlog::entry::canonical_json(&n).ok();
                crate::append::prepare(&*s2.storage, &s2.cfg.party, n, Vec::new(), Vec::new()).map(|p| {
                    let by_hash = p.notification.is_null();
                    (p, if by_hash { blob } else { None })
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    match prepared {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(crate::append::SubmitError::Invalid(e))) => Err(NodeError::Invalid(e)),
        Ok(Err(e)) => Err(NodeError::Internal(e.to_string())),
        Err(e) => Err(NodeError::Internal(e.to_string())),
    }
}

/// The entry builds for the prepared notifications (each encoded once its index is known, with
/// a fresh salt), each notification of a public kind followed by its public release; and, for
/// each build, the position in `fresh` of the notification it logs (None for a release).
fn entry_builds(
    s: &Shared,
    fresh: &[Fresh],
    prepared: Vec<(Prepared, Option<Vec<u8>>)>,
) -> (Vec<crate::state::EntryBuild>, Vec<Option<usize>>) {
    let party = s.cfg.party.clone();
    let mut builds: Vec<crate::state::EntryBuild> = Vec::new();
    let mut logs: Vec<Option<usize>> = Vec::new();
    for (k, (p, blob)) in prepared.into_iter().enumerate() {
        let party2 = party.clone();
        let logged: Arc<std::sync::Mutex<Option<(u64, accord_tlog::Hash)>>> = Arc::default();
        let slot = logged.clone();
        let entry_salt = salt(&s.ambient.entropy);
        builds.push(Box::new(move |i: u64| {
            let b = encode(&party2, i, entry_salt, &p).map_err(|e| e.to_string())?;
            if let Ok(mut l) = slot.lock() {
                *l = Some((i, accord_tlog::leaf_hash(&b)));
            }
            Ok((b, blob))
        }));
        logs.push(Some(k));
        // A public kind: its public part as a release of its own, right after it.
        if let Some(public) = crate::append::redact(&s.spec, &fresh[k].n) {
            let (party3, origin) = (party.clone(), s.origin.clone());
            let release_salt = salt(&s.ambient.entropy);
            builds.push(Box::new(move |i: u64| {
                let (index, leaf_hash) = logged
                    .lock()
                    .ok()
                    .and_then(|l| *l)
                    .ok_or("internal: the released entry was not built")?;
                let of = accord_tlog::entry::EntryRef { origin, index, leaf_hash };
                let e = accord_tlog::entry::Envelope::release(&party3, i, release_salt, of, public);
                accord_tlog::entry::encode(&e).map(|b| (b, None)).map_err(|e| e.to_string())
            }));
            logs.push(None);
        }
    }
    (builds, logs)
}

/// Queues the builds under the append lock, once no other request has logged or queued these
/// ids meanwhile (concurrent submissions share group commits, so [`sort_items`]' check is not
/// enough) and the steps among them pass against the record; waits until they are durable.
async fn queue(s: &Arc<Shared>, fresh: &[Fresh], builds: Vec<crate::state::EntryBuild>) -> Result<Vec<Receipt>, NodeError> {
    let ids: Vec<String> = fresh.iter().map(|f| f.id.clone()).collect();
    let steps: Vec<serde_json::Value> = fresh
        .iter()
        .filter(|f| {
            f.n["kind"]
                .as_str()
                .is_some_and(|k| accord_ledger::record::step_of(&s.spec, k).is_some())
        })
        .map(|f| f.n.clone())
        .collect();
    let freeze: Vec<serde_json::Value> = fresh
        .iter()
        .filter(|f| {
            f.n["kind"]
                .as_str()
                .is_some_and(|k| accord_ledger::freeze::is_freeze_kind(&s.spec, k))
        })
        .map(|f| f.n.clone())
        .collect();
    let queued = s
        .append_with(steps.is_empty() && freeze.is_empty(), |sh: &crate::state::Shared| {
            let v = sh.view.read().map_err(|_| NodeError::Internal("view poisoned".to_string()))?;
            if !steps.is_empty() {
                crate::append::check_steps(&sh.spec, &v, &steps).map_err(NodeError::Refused)?;
            }
            if !freeze.is_empty() {
                check_freeze(sh, &v, &freeze).map_err(NodeError::Refused)?;
            }
            let mut fl = sh
                .in_flight
                .lock()
                .map_err(|_| NodeError::Internal("in-flight ids poisoned".to_string()))?;
            if let Some(id) = ids.iter().find(|id| v.own_index(id).is_some() || fl.contains(*id)) {
                return Err(NodeError::Unavailable(format!(
                    "id: {id} is being logged by another request; retry for its receipt"
                )));
            }
            fl.extend(ids.iter().cloned());
            Ok(builds)
        })
        .await;
    let done = queued?;
    if let Ok(mut fl) = s.in_flight.lock() {
        for id in &ids {
            fl.remove(id);
        }
    }
    done.map_err(|e| NodeError::Unavailable(format!("not logged: {e}")))
}

/// Checks the freeze's notifications about to be logged by this node against the freeze's
/// record of both logs, under the append lock (so two concurrent steps cannot both pass against
/// the same record): a step the record would find malformed is refused, naming why.
fn check_freeze(sh: &Shared, v: &View, new: &[serde_json::Value]) -> Result<(), String> {
    let logs = v.notifications_by_log_where(|k| accord_ledger::freeze::is_freeze_kind(&sh.spec, k));
    let held: Vec<Notification<'_>> = logs
        .iter()
        .flat_map(|(_, lines)| lines.lines())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let texts: Vec<String> = new.iter().map(|n| n.to_string()).collect();
    let parsed: Vec<Notification<'_>> = texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|e| format!("a freeze step: {e}")))
        .collect::<Result<_, _>>()?;
    let agreed = accord_ledger::freeze::agreed(&v.record(&sh.spec));
    let mut rng = <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::from_seed(sh.ambient.entropy.bytes());
    let wrong = accord_ledger::freeze::check_new(
        agreed,
        &held.iter().collect::<Vec<_>>(),
        &parsed.iter().collect::<Vec<_>>(),
        &sh.cfg.party,
        &mut rng,
    );
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// Checks steps about to be logged by this node against the record both Parties' logs hold.
pub fn check_steps(spec: &TreatySpec, v: &View, new: &[serde_json::Value]) -> Result<(), String> {
    let texts: Vec<String> = new.iter().map(|n| n.to_string()).collect();
    let parsed: Vec<Notification<'_>> = texts
        .iter()
        .map(|t| parse_notification(t).map_err(|p| format!("field {}: {}", p.field, p.message)))
        .collect::<Result<_, _>>()?;
    let designates = parsed.iter().any(|n| {
        matches!(
            accord_ledger::record::step_of(spec, &n.kind),
            Some(Effect::Inspection(InspectionStep::Designation | InspectionStep::Signature))
        )
    });
    let history = if designates { Some(v.history(spec)?) } else { None };
    let before = v.record(spec);
    let after = v.record_after(spec, &parsed);
    Record::check_taken(spec, history.as_deref(), &before, after, &parsed).map(|_| ())
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

    /// One validation for the node and the CLI; the one rule where they differ is named.
    #[test]
    fn a_sender_set_received_is_refused_by_the_node_and_kept_when_named() {
        let spec = accord_treaty::builtin::new_start();
        let text = include_str!("../../../docs/examples/deployment.json");
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        let party = v["party"].as_str().expect("party").to_owned();
        assert!(v.get("received").is_some(), "the example carries a receipt");
        let e = validate(&spec, text, &party).expect_err("refused");
        assert!(e.starts_with("received:"), "{e}");
        assert_eq!(validate_with(&spec, text, &party, SenderReceived::Keep).expect("kept"), v);
        let mut without = v.clone();
        without.as_object_mut().expect("object").remove("received");
        assert!(validate(&spec, &without.to_string(), &party).is_ok());
        let e = validate_with(&spec, text, "XX", SenderReceived::Keep).expect_err("another Party's");
        assert!(e.starts_with("party:"), "{e}");
    }
}
