//! Inspections and negotiation through a node: each step composed from what the node holds
//! (the site's declared data from the replayed record, the report's hash from the designation
//! and findings, commit-reveal values kept in the node's folder until revealed), checked
//! against the record of both Parties and logged as a notification like any other; and the
//! record read back (inspections, quotas, exemptions, reports in both languages, proposals,
//! agreements, and the treaty's status with what the record agreed).
//!
//! Invariants: a step is logged only through [`crate::append::submit_items`], which checks it
//! against the record under the append lock ([`crate::append::check_steps`]); composing
//! changes nothing; a commit-reveal value is kept in the node's storage
//! (`Backend::put_secret`: with SQLite, in `choices/`, mode 0600, durably) before its
//! commitment is logged, so a reveal can always follow a logged commitment.

use std::sync::Arc;

use crate::error::NodeError;
use crate::state::Shared;
use accord_ledger::notification::Findings;
use accord_ledger::record::{hex, report_hash, report_of, site_data, Record};
use accord_treaty::proposal::{Proposal, ProposalBody};
use accord_treaty::{Date, Effect, InspectionStep, NegotiationStep, TreatySpec};

fn bad(m: impl Into<String>) -> NodeError {
    NodeError::Invalid(m.into())
}

/// The record of both Parties as this node holds it.
pub fn record(s: &Shared) -> Result<Arc<Record>, NodeError> {
    let v = s.view.read().map_err(|_| NodeError::Internal("view poisoned".to_string()))?;
    Ok(record_of(&s.spec, &v))
}

/// The record of both Parties in a view (a running node's, or a folder's read by
/// [`crate::state::read_view`]), as the view keeps it (shared, not copied).
pub fn record_of(spec: &TreatySpec, v: &crate::view::View) -> Arc<Record> {
    v.record(spec)
}

fn date_of(s: &Shared, req: &serde_json::Value) -> Result<Date, NodeError> {
    match req.get("date").and_then(|d| d.as_str()) {
        Some(d) => accord_treaty::parse_date(d).map_err(|e| bad(format!("date: {d:?}: {e}"))),
        None => Ok(s.today()),
    }
}

fn str_field<'a>(req: &'a serde_json::Value, k: &str) -> Result<&'a str, NodeError> {
    req.get(k)
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| bad(format!("{k}: missing")))
}

fn opt_str(req: &serde_json::Value, k: &str) -> Option<String> {
    req.get(k).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The catalogue kind that takes `effect`.
fn kind_for(spec: &TreatySpec, effect: Effect) -> Result<String, NodeError> {
    spec.catalogue
        .kinds()
        .iter()
        .find(|k| k.effect == effect)
        .map(|k| k.kind.clone())
        .ok_or_else(|| bad(format!("the treaty's catalogue has no kind for the step {}", effect.name())))
}

fn notification(s: &Shared, kind: &str, key: &str, date: Date, body: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{}-{kind}-{key}-{date}", s.cfg.party),
        "kind": kind,
        "party": s.cfg.party,
        "date": date.to_string(),
        "body": body,
    })
}

/// Composes an inspection step from a request (`{"step", "id", "date"?, …}`), logs it, and
/// answers the notification, its receipt and the inspection as the record now has it.
pub async fn inspection_step(s: &Arc<Shared>, req: serde_json::Value) -> Result<serde_json::Value, NodeError> {
    let step = str_field(&req, "step")?.to_owned();
    let id = str_field(&req, "id")?.to_owned();
    let mut fresh_secret = false;
    let date = date_of(s, &req)?;
    let held = record(s)?;
    let party = s.cfg.party.clone();
    let file = held.inspection(&id);
    let need_file = || file.ok_or_else(|| bad(format!("id: no inspection {id} in the record")));
    use InspectionStep as I;
    let (effect, body) = match step.as_str() {
        "notify" => (
            I::Notice,
            serde_json::json!({"inspection": {"id": id, "type": str_field(&req, "type")?}}),
        ),
        "designate" => {
            let f = need_file()?;
            let site = str_field(&req, "site")?;
            let history = s
                .view
                .read()
                .map_err(|_| NodeError::Internal("view poisoned".to_string()))?
                .history(&s.spec)
                .map_err(NodeError::Refused)?;
            let declared = site_data(&s.spec, &history, &f.inspected, site, date).map_err(|e| bad(format!("site: {e}")))?;
            let mut b = serde_json::json!({"id": id, "site": site, "declared": declared});
            if let Some(m) = opt_str(&req, "missile") {
                b["missile"] = m.into();
            }
            (I::Designation, serde_json::json!({ "inspection": b }))
        }
        "commit" => {
            need_file()?;
            fresh_secret = s.storage.secret(&id)?.is_none();
            let (nonce, value) = crate::secret::secret(s, &id, crate::secret::Purpose::Inspection, true)?;
            let c = accord_ledger::inspection::commitment(&party, &id, &nonce, &value);
            (I::Commitment, serde_json::json!({"inspection": {"id": id, "commitment": hex(&c)}}))
        }
        "reveal" => {
            need_file()?;
            let (nonce, value) = crate::secret::secret(s, &id, crate::secret::Purpose::Inspection, false)?;
            (
                I::Reveal,
                serde_json::json!({"inspection": {"id": id, "nonce": hex(&nonce), "value": hex(&value)}}),
            )
        }
        "findings" => {
            need_file()?;
            let found: Findings = serde_json::from_value(req.get("found").cloned().ok_or_else(|| bad("found: missing"))?)
                .map_err(|e| bad(format!("found: {e}")))?;
            (I::Findings, serde_json::json!({"inspection": {"id": id, "found": found}}))
        }
        "report" => {
            let f = need_file()?;
            let r = report_of(&held.spec, f, date)
                .ok_or_else(|| bad(format!("id: inspection {id} has no designation and findings to report")))?;
            (
                I::Report,
                serde_json::json!({"inspection": {"id": id, "report_sha256": report_hash(&r)}}),
            )
        }
        "sign" => {
            let f = need_file()?;
            let h = f
                .report_sha256
                .clone()
                .ok_or_else(|| bad(format!("id: inspection {id} has no report to sign yet")))?;
            (I::Signature, serde_json::json!({"inspection": {"id": id, "report_sha256": h}}))
        }
        "refuse" => (
            I::Refusal,
            serde_json::json!({"inspection": {"id": id}, "reason": str_field(&req, "reason")?}),
        ),
        "exempt" => {
            let mut b = serde_json::json!({"id": id});
            if let Some(site) = opt_str(&req, "site") {
                b["site"] = site.into();
            }
            if let Some(until) = opt_str(&req, "until") {
                b["until"] = until.into();
            }
            (
                I::Exemption,
                serde_json::json!({"inspection": b, "reason": str_field(&req, "reason")?}),
            )
        }
        "end_exemption" => (I::ExemptionEnd, serde_json::json!({"inspection": {"id": id}})),
        other => {
            return Err(bad(format!(
                "step: '{other}' (notify, designate, commit, reveal, findings, report, sign, refuse, exempt, end_exemption)"
            )))
        }
    };
    let kind = kind_for(&s.spec, Effect::Inspection(effect))?;
    let n = notification(s, &kind, &id, date, body);
    let receipts = match crate::append::submit_items(s, vec![n.clone()], true).await {
        Ok(r) => r,
        Err(e) => {
            // A commitment refused (4xx: nothing logged) leaves no secret behind it.
            if fresh_secret && !e.is_server_error() {
                if let Err(x) = s.storage.remove_secret(&id) {
                    tracing::warn!("the secret for {id} was not removed after its commitment was refused: {x}");
                }
            }
            return Err(e);
        }
    };
    let after = record(s)?;
    let logged = InspectionLogged {
        exemption: after.exemptions.iter().find(|x| x.id == id),
        inspection: after.inspection(&id),
        notification: n,
        receipt: receipts.into_iter().next().flatten(),
    };
    serde_json::to_value(logged).map_err(|e| NodeError::Internal(e.to_string()))
}

/// What an inspection step logged (`POST /api/v1/inspections`; JSON keys in this order).
#[derive(Debug, serde::Serialize)]
pub struct InspectionLogged<'a> {
    /// The exemption the step made or ended, if it was one.
    pub exemption: Option<&'a accord_ledger::record::Exemption>,
    /// The inspection as the record now has it, if the step was about one.
    pub inspection: Option<&'a accord_ledger::record::InspectionFile>,
    /// The notification logged.
    pub notification: serde_json::Value,
    /// Its receipt.
    pub receipt: Option<crate::append::Logged>,
}

/// What a negotiation step logged (`POST /api/v1/proposals`; JSON keys in this order).
#[derive(Debug, serde::Serialize)]
pub struct ProposalLogged<'a> {
    /// The agreements the record now has.
    pub agreements: &'a [accord_ledger::record::Agreement],
    /// The notification logged.
    pub notification: serde_json::Value,
    /// Every proposal as the record now has it.
    pub proposals: &'a [accord_ledger::record::ProposalState],
    /// Its receipt.
    pub receipt: Option<crate::append::Logged>,
}

/// Composes a negotiation step (`{"step": "file" | "counter" | "accept", …}`), logs it, and
/// answers the notification, its receipt and the proposals and agreements now on record.
/// A proposal comes as `toml` (an `accord-proposal/1` file, which must be this Party's) or as
/// `proposal` (the notification body); an acceptance names the proposal's `id`.
pub async fn proposal_step(s: &Arc<Shared>, req: serde_json::Value) -> Result<serde_json::Value, NodeError> {
    let step = str_field(&req, "step")?.to_owned();
    let party = s.cfg.party.clone();
    let (effect, key, date, body) = match step.as_str() {
        "file" | "counter" => {
            let (body, file_date) = match (req.get("toml").and_then(|t| t.as_str()), req.get("proposal")) {
                (Some(text), _) => {
                    let p = Proposal::parse(text, &s.spec).map_err(|e| bad(format!("toml: {e}")))?;
                    if p.by != party {
                        return Err(bad(format!("by: the proposal is {}'s; this node is {party}'s", p.by)));
                    }
                    let want = if step == "counter" {
                        accord_treaty::lifecycle::EventKind::CounterProposal
                    } else {
                        accord_treaty::lifecycle::EventKind::Proposal
                    };
                    if p.kind != want {
                        return Err(bad(format!(
                            "kind: the file is a {}; `{step}` takes a {}",
                            p.kind.name(),
                            want.name()
                        )));
                    }
                    (p.to_body(), Some(p.date))
                }
                (None, Some(b)) => (
                    serde_json::from_value::<ProposalBody>(b.clone()).map_err(|e| bad(format!("proposal: {e}")))?,
                    None,
                ),
                (None, None) => return Err(bad("toml or proposal: missing")),
            };
            let date = match (req.get("date"), file_date) {
                (Some(_), _) | (None, None) => date_of(s, &req)?,
                (None, Some(d)) => d,
            };
            let effect = if step == "counter" {
                NegotiationStep::Counter
            } else {
                NegotiationStep::Proposal
            };
            (effect, body.id.clone(), date, serde_json::json!({ "proposal": body }))
        }
        "accept" => {
            let id = str_field(&req, "id")?.to_owned();
            (
                NegotiationStep::Acceptance,
                id.clone(),
                date_of(s, &req)?,
                serde_json::json!({"proposal": {"id": id}}),
            )
        }
        other => return Err(bad(format!("step: '{other}' (file, counter, accept)"))),
    };
    let kind = kind_for(&s.spec, Effect::Negotiation(effect))?;
    let n = notification(s, &kind, &key, date, body);
    let receipts = crate::append::submit_items(s, vec![n.clone()], true).await?;
    let after = record(s)?;
    let logged = ProposalLogged {
        agreements: &after.agreements,
        notification: n,
        proposals: &after.proposals,
        receipt: receipts.into_iter().next().flatten(),
    };
    serde_json::to_value(logged).map_err(|e| NodeError::Internal(e.to_string()))
}

/// The inspections part of the record on `on`: every inspection and exemption, the quotas of
/// the treaty year, the steps refused.
pub fn inspections_json(r: &Record, on: Date) -> serde_json::Value {
    serde_json::to_value(inspections_on(r, on)).unwrap_or_default()
}

/// The inspections part of the record on a date (`GET /api/v1/inspections`; JSON keys in this
/// order).
#[derive(Debug, serde::Serialize)]
pub struct InspectionsOn<'a> {
    /// Every exemption.
    pub exemptions: &'a [accord_ledger::record::Exemption],
    /// Findings against declarations as of the date.
    pub findings: Vec<accord_ledger::compliance::Finding>,
    /// Every inspection.
    pub inspections: &'a [accord_ledger::record::InspectionFile],
    /// How the missile of a reentry-vehicle inspection is chosen.
    pub missile_choice: accord_treaty::MissileChoice,
    /// The date.
    pub on: Date,
    /// Inspection steps the rules refused.
    pub problems: Vec<&'a accord_ledger::record::StepProblem>,
    /// Each inspecting Party's quota of each type in the treaty year.
    pub quotas: Vec<Quota>,
    /// The treaty year of the date.
    pub treaty_year: u32,
}

/// An inspecting Party's yearly quota of one inspection type.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Quota {
    /// The inspecting Party.
    pub party: String,
    /// The quota.
    pub quota: u32,
    /// The inspection type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Used in the treaty year.
    pub used: u32,
}

/// The inspections part of the record on `on`.
pub fn inspections_on(r: &Record, on: Date) -> InspectionsOn<'_> {
    InspectionsOn {
        exemptions: &r.exemptions,
        findings: r.findings(on),
        inspections: &r.inspections,
        missile_choice: r.spec.inspections.missile_choice,
        on,
        problems: r.problems.iter().filter(|p| !is_negotiation(&p.kind)).collect(),
        quotas: r
            .register
            .quotas(&r.spec, on)
            .into_iter()
            .map(|((party, kind), (used, quota))| Quota { party, quota, kind, used })
            .collect(),
        treaty_year: accord_ledger::inspection::treaty_year(&r.spec, on),
    }
}

fn is_negotiation(kind: &str) -> bool {
    kind == "proposal" || kind == "counter_proposal" || kind == "acceptance"
}

/// The negotiation part of the record on a date (`GET /api/v1/proposals`; JSON keys in this
/// order).
#[derive(Debug, serde::Serialize)]
pub struct ProposalsOn<'a> {
    /// The agreements the record made.
    pub agreements: &'a [accord_ledger::record::Agreement],
    /// The treaty's last day in force under the record.
    pub last_day_in_force: Date,
    /// The date.
    pub on: Date,
    /// The proposals open on the date.
    pub open: Vec<String>,
    /// Negotiation steps the rules refused.
    pub problems: Vec<&'a accord_ledger::record::StepProblem>,
    /// Every proposal and where it stands.
    pub proposals: &'a [accord_ledger::record::ProposalState],
}

/// The negotiation part of the record on `on`.
pub fn proposals_on(r: &Record, on: Date) -> ProposalsOn<'_> {
    ProposalsOn {
        agreements: &r.agreements,
        last_day_in_force: r.spec.lifecycle.status_on(on).last_day_in_force,
        on,
        open: r.open_on(on).iter().map(|p| p.proposal.id.clone()).collect(),
        problems: r.problems.iter().filter(|p| is_negotiation(&p.kind)).collect(),
        proposals: &r.proposals,
    }
}

/// The negotiation part of the record on `on`, as JSON.
pub fn proposals_json(r: &Record, on: Date) -> serde_json::Value {
    serde_json::to_value(proposals_on(r, on)).unwrap_or_default()
}

/// What proposal `id` (in the record, or built in) would require of each Party on `on`
/// (default: its date), given the figures the record declares (the replayed record at each data
/// exchange up to `on`) and the freeze declarations in it: `{"proposal", "evaluation"}`.
pub fn evaluation(s: &Shared, id: &str, on: Option<Date>) -> Result<serde_json::Value, NodeError> {
    // One read of the view: its notifications (for the freeze declarations), its cached
    // record and its compliance report.
    let v = s.view.read().map_err(|_| NodeError::Internal("view poisoned".to_string()))?;
    let jsonl = v.notifications_jsonl();
    let record = v.record(&s.spec);
    let p = match record.proposals.iter().find(|p| p.proposal.id == id) {
        Some(p) => p.proposal.clone(),
        None => accord_treaty::proposal::BUILTIN
            .iter()
            .filter_map(|(_, text)| Proposal::parse(text, &s.spec).ok())
            .find(|p| p.id == id)
            .ok_or_else(|| NodeError::NotFound(format!("id: no proposal {id} in the record or built in")))?,
    };
    let on = on.unwrap_or(p.date);
    let report = v.compliance(&s.spec, on).map_err(NodeError::Refused)?;
    drop(v);
    let rows: Vec<accord_ledger::published::PublishedRow> = report
        .rows
        .iter()
        .filter(|r| r.as_of <= on)
        .map(|r| accord_ledger::published::PublishedRow {
            line: 0,
            as_of: r.as_of,
            party: r.party.clone(),
            values: r.limits.iter().map(|l| l.value).collect(),
            source_url: String::new(),
            fact_sheet: None,
            fact_sheet_date: None,
            status: accord_ledger::published::RowStatus::Published,
        })
        .collect();
    let mut declarations = Vec::new();
    for t in &p.terms {
        if let accord_treaty::proposal::Term::FreezeWarheads { declaration, .. } = t {
            declarations.extend(accord_ledger::negotiation::declarations_of(&jsonl, declaration));
        }
    }
    // Each committed declaration's proof as the freeze's record checked it (folded once per
    // state of the logs); one it does not hold is verified here, the batch check randomised
    // from the node's generator.
    let checked = crate::freeze::record(s)?;
    let mut unchecked = Vec::new();
    for (i, d) in declarations.iter_mut().enumerate() {
        let (Some(_), Some(_)) = (&d.commitment, &d.proof) else { continue };
        let found = checked
            .parties
            .iter()
            .filter(|p| p.party == d.party)
            .flat_map(|p| p.declarations.iter())
            .find(|x| x.id == d.id);
        match found {
            Some(x) => d.proof_verified = Some(x.proven),
            None => unchecked.push(i),
        }
    }
    if !unchecked.is_empty() {
        let mut rest: Vec<_> = unchecked.iter().map(|&i| declarations[i].clone()).collect();
        let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_seed(s.ambient.entropy.bytes());
        accord_ledger::negotiation::verify_proofs(&mut rest, &mut rng);
        for (i, d) in unchecked.into_iter().zip(rest) {
            declarations[i] = d;
        }
    }
    let ev = accord_ledger::negotiation::evaluate(&record.spec, &p, on, &rows, &declarations);
    serde_json::to_value(Evaluated {
        evaluation: ev,
        proposal: p,
    })
    .map_err(|e| NodeError::Internal(e.to_string()))
}

/// What a proposal would require (`GET /api/v1/proposals/{id}/evaluation`; JSON keys in this
/// order).
#[derive(Debug, serde::Serialize)]
pub struct Evaluated {
    /// What it would require of each Party.
    pub evaluation: accord_ledger::negotiation::Evaluation,
    /// The proposal.
    pub proposal: Proposal,
}
