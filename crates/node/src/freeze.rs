//! The freeze through a node (docs/freeze-verification.md): each step composed from the
//! operator's request (a declaration's commitment, limit proof and openings; logged changes;
//! a sampled inspection's request, commit, reveal, openings, findings, zone request and reveal,
//! refusal), checked against the freeze's record of both Parties with the new step in it, and
//! logged as a notification of the freeze's kinds; and the record read back, with each
//! finding about the partner raised once as an alert naming the zone.
//!
//! Invariants: no freeze step is logged unless the record has a freeze agreed (an accepted
//! proposal with a freeze term) on the step's date; a step the fold would find malformed
//! (a proof that does not verify or is not of its commitment, a cap that is not the baseline's,
//! openings that do not open, a sampled opening that does not verify, a reveal that does not
//! match, a step that does not fit its sample) is refused and changes nothing; a step whose
//! content the partner will judge (a zone whose count differs, an item observed otherwise)
//! is logged, and what the partner will find is answered with it. A commit-reveal value is
//! kept in the node's storage before its commitment is logged ([`crate::secret::secret`]).
//! The record is folded once per state of the logs (keyed by [`crate::view::SnapshotKey`]).

use std::sync::Arc;

use accord_ledger::freeze::{self, Agreed, FreezeFinding, FreezeRecord, SampleStep};
use accord_ledger::notification::Notification;
use accord_ledger::record::hex;
use accord_treaty::{Date, Field, TreatySpec};
use rand_chacha::rand_core::SeedableRng;

use crate::error::NodeError;
use crate::state::Shared;

fn bad(m: impl Into<String>) -> NodeError {
    NodeError::Invalid(m.into())
}

pub use accord_ledger::freeze::is_freeze_kind;

/// The catalogue kind that carries `field`.
fn kind_with(spec: &TreatySpec, field: Field) -> Result<String, NodeError> {
    spec.catalogue
        .kinds()
        .iter()
        .find(|k| k.fields.iter().any(|f| f.field == field))
        .map(|k| k.kind.clone())
        .ok_or_else(|| bad(format!("the treaty's catalogue has no kind with a '{}' field", field.name())))
}

/// The freeze's notifications of each log (in its order, each in its own Party's name), and
/// the agreement in the record.
fn inputs(s: &Shared) -> Result<(Vec<String>, Option<Agreed>, crate::view::SnapshotKey), NodeError> {
    let v = s.view.read().map_err(|_| NodeError::Internal("view poisoned".to_string()))?;
    let logs = v
        .notifications_by_log_where(|k| is_freeze_kind(&s.spec, k))
        .into_iter()
        .map(|(_, lines)| lines)
        .collect();
    let agreed = freeze::agreed(&v.record(&s.spec));
    Ok((logs, agreed, v.snapshot_key()))
}

fn fold_lines(s: &Shared, logs: &[String], extra: Option<&serde_json::Value>, agreed: Option<Agreed>) -> Result<FreezeRecord, NodeError> {
    let mut ns: Vec<Notification<'_>> = Vec::new();
    for (p, lines) in logs.iter().enumerate() {
        for (i, l) in lines.lines().enumerate() {
            // A line that does not read is a problem of its log (the exchange reports it); it
            // takes no part in the freeze.
            match serde_json::from_str(l) {
                Ok(n) => ns.push(n),
                Err(e) => tracing::warn!("log {p}: the freeze's notification {}: {e}", i + 1),
            }
        }
    }
    let extra_text = extra.map(|e| e.to_string());
    if let Some(t) = &extra_text {
        ns.push(serde_json::from_str(t).map_err(|e| bad(format!("the step does not make a notification: {e}")))?);
    }
    let refs: Vec<&Notification<'_>> = ns.iter().collect();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(s.ambient.entropy.bytes());
    Ok(freeze::fold(agreed, &refs, &mut rng))
}

/// The freeze's record as the node holds it (folded once per state of the logs).
pub fn record(s: &Shared) -> Result<Arc<FreezeRecord>, NodeError> {
    let (lines, agreed, key) = inputs(s)?;
    if let Some((k, r)) = s
        .freeze
        .lock()
        .map_err(|_| NodeError::Internal("freeze cache poisoned".into()))?
        .as_ref()
    {
        if *k == key {
            return Ok(r.clone());
        }
    }
    let r = Arc::new(fold_lines(s, &lines, None, agreed)?);
    if let Ok(mut c) = s.freeze.lock() {
        *c = Some((key, r.clone()));
    }
    Ok(r)
}

/// Raises an alert for each finding about the partner not raised before (once per run of the
/// node: the findings themselves are in the record, recomputed from the logs).
pub fn alert_new(s: &Shared) {
    let r = match record(s) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("the freeze's record: {e}");
            return;
        }
    };
    for f in r.findings.iter().filter(|f| f.party != s.cfg.party) {
        let key = format!("{}|{:?}|{}|{}", f.id, f.kind, f.zone.as_deref().unwrap_or(""), f.message);
        let fresh = s.freeze_alerted.lock().map(|mut a| a.insert(key)).unwrap_or(false);
        if fresh {
            let zone = f.zone.as_ref().map(|z| format!(" (zone '{z}')")).unwrap_or_default();
            s.alert("freeze", format!("{} {} of {}{zone}: {}", f.party, f.id, f.date, f.message));
        }
    }
}

fn field<T: serde::de::DeserializeOwned>(req: &serde_json::Value, k: &str) -> Result<T, NodeError> {
    let v = req.get(k).cloned().ok_or_else(|| bad(format!("{k}: missing")))?;
    serde_json::from_value(v).map_err(|e| bad(format!("{k}: {e}")))
}

/// An optional string field: absent is `None`; present but not a string is refused, named.
fn opt_str(req: &serde_json::Value, k: &str) -> Result<Option<String>, NodeError> {
    match req.get(k) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(v)) => Ok(Some(v.clone())),
        Some(_) => Err(bad(format!("{k}: a string expected"))),
    }
}

fn str_field(req: &serde_json::Value, k: &str) -> Result<String, NodeError> {
    req.get(k)
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{k}: missing")))
}

/// What a freeze step logged (`POST /api/v1/freeze`; JSON keys in this order).
#[derive(Debug, serde::Serialize)]
pub struct FreezeLogged {
    /// What the partner will find in the step (a zone whose count differs, say): logged all
    /// the same, as the Party's own statement.
    pub findings: Vec<FreezeFinding>,
    /// The notification logged.
    pub notification: serde_json::Value,
    /// Its receipt.
    pub receipt: Option<crate::append::Logged>,
    /// The sample the step was about, as the record now has it.
    pub sample: Option<accord_ledger::freeze::SampleState>,
}

/// Composes a freeze step (`{"step", "date"?, …}`), checks it against the freeze's record with
/// it, logs it, and answers the notification, its receipt and what the partner will find.
pub async fn step(s: &Arc<Shared>, req: serde_json::Value) -> Result<serde_json::Value, NodeError> {
    let step = str_field(&req, "step")?;
    let party = s.cfg.party.clone();
    let date = match opt_str(&req, "date")? {
        Some(d) => accord_treaty::parse_date(&d).map_err(|e| bad(format!("date: {d:?}: {e}")))?,
        None => s.today(),
    };
    let (lines, agreed, _) = inputs(s)?;
    // A declaration is dated as its inventory (the baseline may come before the agreement):
    // the agreement must stand when the step is sent.
    let today = s.today();
    let Some(a) = agreed.clone().filter(|a| a.date <= today.max(date)) else {
        return Err(NodeError::Refused(format!(
            "no freeze is agreed in the record on {}: a proposal with a freeze term must be accepted first",
            today.max(date)
        )));
    };
    let mut fresh_secret = None;
    let (kind, key, body) = match step.as_str() {
        "declare" => {
            let inventory: accord_escrow::inventory::Commitment = field(&req, "inventory")?;
            let proof: accord_escrow::totals::LimitProof = field(&req, "limit_proof")?;
            let as_of = accord_treaty::parse_date(&inventory.context.as_of)
                .map_err(|e| bad(format!("inventory.as_of: {:?}: {e}", inventory.context.as_of)))?;
            if req.get("date").is_some() && as_of != date {
                // (`date`, when given, must be the inventory's.)
                return Err(bad(format!(
                    "date: {date}, but the inventory is as of {as_of} (a declaration is dated as its inventory)"
                )));
            }
            let mut body = serde_json::json!({"inventory": inventory, "limit_proof": proof});
            match (req.get("openings"), a.disclose) {
                (Some(o), accord_treaty::proposal::Disclosure::ZoneCounts) => {
                    let o: accord_escrow::totals::Openings =
                        serde_json::from_value(o.clone()).map_err(|e| bad(format!("openings: {e}")))?;
                    body["openings"] = serde_json::to_value(o).map_err(|e| NodeError::Internal(e.to_string()))?;
                }
                (None, accord_treaty::proposal::Disclosure::ZoneCounts) => {
                    return Err(bad(format!(
                        "openings: missing; the freeze agreed in {} discloses the per-zone counts to the other Party",
                        a.proposal
                    )))
                }
                (Some(_), accord_treaty::proposal::Disclosure::Nothing) => {
                    return Err(bad(format!(
                        "openings: the freeze agreed in {} discloses nothing beyond the proof; the openings stay with the Party",
                        a.proposal
                    )))
                }
                (None, accord_treaty::proposal::Disclosure::Nothing) => {}
            }
            let kind = if is_freeze_kind(&s.spec, &a.declaration) {
                a.declaration.clone()
            } else {
                return Err(NodeError::Refused(format!(
                    "the agreed declaration kind '{}' is not in this treaty's catalogue with an inventory field",
                    a.declaration
                )));
            };
            return log(s, &lines, agreed, kind, format!("{as_of}"), as_of, body).await;
        }
        "change" => {
            let changes: Vec<accord_escrow::periods::Change> = field(&req, "changes")?;
            if changes.is_empty() {
                return Err(bad("changes: at least one change"));
            }
            (
                kind_with(&s.spec, Field::Changes)?,
                "change".to_owned(),
                serde_json::json!({ "changes": changes }),
            )
        }
        "request" | "commit" | "reveal" | "open" | "findings" | "zone_request" | "zone_reveal" | "refuse" => {
            let id = str_field(&req, "id")?;
            let sample = match step.as_str() {
                "request" => {
                    let of = match opt_str(&req, "of")? {
                        Some(o) => o,
                        None => s.cfg.partners[0].party.clone(),
                    };
                    if !id.starts_with(&format!("{party}-")) {
                        return Err(bad(format!("id: {id:?}: {party}'s samples are named '{party}-…'")));
                    }
                    let root = match opt_str(&req, "root")? {
                        Some(r) => r,
                        None => {
                            let held = fold_lines(s, &lines, None, agreed.clone())?;
                            held.parties
                                .iter()
                                .find(|p| p.party == of)
                                .and_then(|p| p.declarations.iter().rev().find(|d| d.date <= date))
                                .map(|d| d.root.clone())
                                .ok_or_else(|| bad(format!("root: {of} has declared no inventory by {date}")))?
                        }
                    };
                    let k: u64 = field(&req, "k")?;
                    if k == 0 || k > freeze::MAX_K {
                        return Err(bad(format!("k: {k}; a sample opens 1 to {} items", freeze::MAX_K)));
                    }
                    SampleStep::Request {
                        id: id.clone(),
                        of,
                        root,
                        k,
                    }
                }
                "commit" => {
                    let label = format!("sample-{id}");
                    if s.storage.secret(&label)?.is_none() {
                        fresh_secret = Some(label.clone());
                    }
                    let (nonce, value) = crate::secret::secret(s, &label, crate::secret::Purpose::Sample, true)?;
                    let c = accord_ledger::inspection::commitment(&party, &id, &nonce, &value);
                    SampleStep::Commit {
                        id: id.clone(),
                        commitment: hex(&c),
                    }
                }
                "reveal" => {
                    // Both commitments on record first, and the inspected Party reveals before
                    // the inspecting one: neither reveals a value the other could still answer
                    // with a chosen commitment, and the inspected Party cannot see the draw and
                    // then keep silent.
                    let held = fold_lines(s, &lines, None, agreed.clone())?;
                    let sample = held
                        .samples
                        .iter()
                        .find(|x| x.id == id)
                        .ok_or_else(|| bad(format!("id: no sample {id} on record")))?;
                    if sample.committed.len() < 2 {
                        return Err(NodeError::Refused(format!(
                            "sample {id}: {} committed so far; a value is revealed once both Parties' commitments are on record",
                            if sample.committed.is_empty() {
                                "nobody has".to_owned()
                            } else {
                                format!("only {}", sample.committed.join(", "))
                            }
                        )));
                    }
                    if sample.by == party && !sample.revealed.contains(&sample.of) {
                        return Err(NodeError::Refused(format!(
                            "sample {id}: {} (the inspected Party) reveals first; this node reveals once its reveal is on record",
                            sample.of
                        )));
                    }
                    let (nonce, value) = crate::secret::secret(s, &format!("sample-{id}"), crate::secret::Purpose::Sample, false)?;
                    SampleStep::Reveal {
                        id: id.clone(),
                        nonce: hex(&nonce),
                        value: hex(&value),
                    }
                }
                "open" => SampleStep::Open {
                    id: id.clone(),
                    openings: field(&req, "openings")?,
                    found: if req.get("found").is_some() {
                        field(&req, "found")?
                    } else {
                        Vec::new()
                    },
                },
                "findings" => SampleStep::Findings {
                    id: id.clone(),
                    observed: field(&req, "observed")?,
                },
                "zone_request" => SampleStep::ZoneRequest {
                    id: id.clone(),
                    zone: str_field(&req, "zone")?,
                },
                "zone_reveal" => SampleStep::ZoneReveal {
                    id: id.clone(),
                    reveal: Box::new(field(&req, "reveal")?),
                },
                _ => SampleStep::Refuse {
                    id: id.clone(),
                    reason: str_field(&req, "reason")?,
                },
            };
            let key = format!("{id}-{}", sample.name());
            (kind_with(&s.spec, Field::Sample)?, key, serde_json::json!({ "sample": sample }))
        }
        other => {
            return Err(bad(format!(
                "step: '{other}' (declare, change, request, commit, reveal, open, findings, zone_request, zone_reveal, refuse)"
            )))
        }
    };
    let r = log(s, &lines, agreed, kind, key, date, body).await;
    if let (Err(e), Some(label)) = (&r, fresh_secret) {
        // A commitment refused (4xx: nothing logged) leaves no secret behind it.
        if !e.is_server_error() {
            if let Err(x) = s.storage.remove_secret(&label) {
                tracing::warn!("the secret {label} was not removed after its commitment was refused: {x}");
            }
        }
    }
    r
}

async fn log(
    s: &Arc<Shared>,
    lines: &[String],
    agreed: Option<Agreed>,
    kind: String,
    key: String,
    date: Date,
    body: serde_json::Value,
) -> Result<serde_json::Value, NodeError> {
    let party = s.cfg.party.clone();
    let own = s
        .view
        .read()
        .map_err(|_| NodeError::Internal("view poisoned".to_string()))?
        .own_size();
    let n = serde_json::json!({
        "id": format!("{party}-{kind}-{key}-{own}"),
        "kind": kind,
        "party": party,
        "date": date.to_string(),
        "body": body,
    });
    let with = fold_lines(s, lines, Some(&n), agreed)?;
    let id = n["id"].as_str().unwrap_or_default().to_owned();
    let mine: Vec<FreezeFinding> = with.findings.into_iter().filter(|f| f.id == id).collect();
    let wrong: Vec<String> = mine
        .iter()
        .filter(|f| f.party == party && freeze::malformed(f.kind))
        .map(|f| f.message.clone())
        .collect();
    if !wrong.is_empty() {
        return Err(NodeError::Refused(wrong.join("; ")));
    }
    let receipts = crate::append::submit_items(s, vec![n.clone()], true).await?;
    let sample_id = n["body"]["sample"]["id"].as_str().map(str::to_owned);
    let sample = match sample_id {
        Some(sid) => record(s)?.samples.iter().find(|x| x.id == sid).cloned(),
        None => None,
    };
    let logged = FreezeLogged {
        findings: mine,
        notification: n,
        receipt: receipts.into_iter().next().flatten(),
        sample,
    };
    serde_json::to_value(logged).map_err(|e| NodeError::Internal(e.to_string()))
}
