//! The inspection and negotiation record: every inspection step and negotiation step that
//! either Party notified, folded in order into the inspections (register, site designations
//! with the site's declared data, the joint choice of the missile, findings, the report and its
//! signatures, refusals), the exemptions, and the proposals with their counters, acceptances and
//! the agreements they made (an agreed extension enters the treaty's lifecycle).
//!
//! Invariants: a step is taken only if the rules allow it on its date, else it is a
//! [`StepProblem`] naming the field and the rule and it changes nothing; the order is the date,
//! then the step's place (exemptions, proposal before counter before acceptance, notice before
//! designation before findings before report before signature), the time sent, the Party, then
//! the order given, so that both Parties' nodes fold the same record the same way; an inspection's report is a function of its
//! designation and findings, and both Parties sign the SHA-256 of that same report; a reveal
//! is taken only once both commitments are in, and the choice is reproducible from the two
//! reveals; an accepted proposal's extension is checked against the extension rule before it
//! changes the lifecycle. Pure: no I/O, no clock.

use std::collections::BTreeMap;

use accord_treaty::date::parse_date;
use accord_treaty::lifecycle::EventKind;
use accord_treaty::proposal::{Proposal, Term};
use accord_treaty::provenance::Provenance;
use accord_treaty::{Date, Effect, InspectionStep, MissileChoice, NegotiationStep, NoticeBy, Status, TreatySpec};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::compliance::{Finding, Report as ComplianceReport};
use crate::history::History;
use crate::inspection::{self, treaty_year, Register, Reveal};
use crate::notification::{parse_notification, Findings, InspectionBody, Notification, SiteData};
use crate::report::{Count, Discrepancy, Measurement, Reentry, Report};

/// A step the rules refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StepProblem {
    /// The notifying Party.
    pub party: String,
    /// The notification's id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Its date.
    pub date: Date,
    /// The field at fault (`inspection.report_sha256`, say).
    pub field: String,
    /// Why, naming the rule.
    pub message: String,
}

/// One inspection (or exhibition) as the record has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InspectionFile {
    /// Identifier.
    pub id: String,
    /// Type code.
    #[serde(rename = "type")]
    pub kind: String,
    /// The inspecting (observing) Party.
    pub inspecting: String,
    /// The inspected (exhibiting) Party.
    pub inspected: String,
    /// Notice date.
    pub notified: Date,
    /// The treaty year it counts in.
    pub treaty_year: u32,
    /// Where it stands.
    pub status: InspectionStatus,
    /// The designated site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The site's declared data at designation (from the replayed database).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<SiteData>,
    /// The missile for the reentry-vehicle inspection (designated or jointly chosen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missile: Option<String>,
    /// Commitments (Party → hex), for a joint choice.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commitments: BTreeMap<String, String>,
    /// Reveals (Party → (nonce hex, value hex)).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reveals: BTreeMap<String, (String, String)>,
    /// What was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<Findings>,
    /// The report, once the inspecting Party signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// SHA-256 (hex) of the report both Parties sign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    /// Signatures: Party and date.
    pub signatures: Vec<(String, Date)>,
    /// The refusal's date and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<(Date, String)>,
    /// When it ended (report signed by both, or refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<Date>,
}

/// A temporary exemption from inspection activities (Protocol Part Five, Section I).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Exemption {
    /// Identifier.
    pub id: String,
    /// The exempting Party.
    pub party: String,
    /// One site, or all of the Party's facilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// From.
    pub from: Date,
    /// Last day, if announced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// Ended by notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<Date>,
    /// Why.
    pub reason: String,
}

impl Exemption {
    fn covers(&self, party: &str, site: Option<&str>, d: Date) -> bool {
        self.party == party
            && self.from <= d
            && self.until.is_none_or(|u| d <= u)
            && self.ended.is_none_or(|e| d < e)
            && (self.site.is_none() || site.is_some_and(|s| self.site.as_deref() == Some(s)))
    }
}

/// Where an inspection stands (JSON: its lowercase name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InspectionStatus {
    /// Notified; no site designated yet.
    Notified,
    /// The site is designated.
    Designated,
    /// The findings are recorded.
    Found,
    /// The report is given (signed by the inspecting Party).
    Reported,
    /// The report is countersigned: the inspection is over.
    Signed,
    /// The inspected Party refused it: the inspection is over.
    Refused,
}

impl InspectionStatus {
    /// The name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            InspectionStatus::Notified => "notified",
            InspectionStatus::Designated => "designated",
            InspectionStatus::Found => "found",
            InspectionStatus::Reported => "reported",
            InspectionStatus::Signed => "signed",
            InspectionStatus::Refused => "refused",
        }
    }
}

impl std::fmt::Display for InspectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a proposal stands (JSON: its lowercase name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalStatus {
    /// Open for an answer.
    Open,
    /// Answered by a counter-proposal.
    Countered,
    /// Accepted by the other Party.
    Accepted,
    /// Closed by the acceptance of another proposal.
    Superseded,
}

impl ProposalStatus {
    /// The name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Countered => "countered",
            ProposalStatus::Accepted => "accepted",
            ProposalStatus::Superseded => "superseded",
        }
    }
}

impl std::fmt::Display for ProposalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A proposal in the record and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProposalState {
    /// The proposal.
    pub proposal: Proposal,
    /// Where it stands.
    pub status: ProposalStatus,
    /// The counter-proposal that answered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countered_by: Option<String>,
    /// Accepted: by whom and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<(String, Date)>,
}

/// An agreement: an accepted proposal and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Agreement {
    /// The proposal accepted.
    pub proposal: String,
    /// Proposed by.
    pub proposed_by: String,
    /// Accepted by.
    pub accepted_by: String,
    /// Date of acceptance: the agreement's date.
    pub date: Date,
    /// What each term does, in words (`extension by 5 years: last day 2026-02-04`, …).
    pub effects: Vec<String>,
    /// The treaty's last day in force after the agreement.
    pub last_day_in_force: Date,
}

/// The regime's status on a date with what a record agreed: the lifecycle with the agreed
/// extensions, the proposals open in the history and in the record, and the agreements made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RecordStatus {
    /// The regime's status.
    #[serde(flatten)]
    pub regime: accord_treaty::history::RegimeStatus,
    /// Agreements made in the record by the date.
    pub agreements: Vec<Agreement>,
}

/// The folded record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quotas and one-at-a-time.
    pub register: Register,
    /// Inspections and exhibitions, in notice order.
    pub inspections: Vec<InspectionFile>,
    /// Exemptions.
    pub exemptions: Vec<Exemption>,
    /// Proposals, in the order made.
    pub proposals: Vec<ProposalState>,
    /// Agreements.
    pub agreements: Vec<Agreement>,
    /// Steps refused.
    pub problems: Vec<StepProblem>,
    /// The spec with the agreed extensions in its lifecycle.
    #[serde(skip)]
    pub spec: TreatySpec,
    /// The lifecycle's own extensions an agreement in the record already stands for.
    #[serde(skip)]
    claimed: Vec<Date>,
}

/// Where a step falls in the order [`Record::fold`] takes steps, the same on either Party's
/// node: date, the step's place in a day, the time sent (a step not yet sent last), the Party;
/// steps equal in all of these are taken in the order given (each Party's own steps are in its
/// log's order on both nodes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StepOrder(Date, u8, i64, String);

impl StepOrder {
    /// The place of step `e` given by `n`.
    pub fn of(e: Effect, n: &Notification<'_>) -> StepOrder {
        StepOrder(n.date, rank(e), n.sent.map_or(i64::MAX, |t| t.unix()), n.party.to_string())
    }
}

/// The step a kind takes, if it is one.
pub fn step_of(spec: &TreatySpec, kind: &str) -> Option<Effect> {
    let (_, k) = spec.catalogue.get(kind)?;
    matches!(k.effect, Effect::Inspection(_) | Effect::Negotiation(_)).then_some(k.effect)
}

fn rank(e: Effect) -> u8 {
    use InspectionStep as I;
    match e {
        Effect::Inspection(I::Exemption) => 0,
        Effect::Inspection(I::ExemptionEnd) => 1,
        Effect::Negotiation(NegotiationStep::Proposal) => 2,
        Effect::Negotiation(NegotiationStep::Counter) => 3,
        Effect::Negotiation(NegotiationStep::Acceptance) => 4,
        Effect::Inspection(I::Notice) => 5,
        Effect::Inspection(I::Designation) => 6,
        Effect::Inspection(I::Commitment) => 7,
        Effect::Inspection(I::Reveal) => 8,
        Effect::Inspection(I::Refusal) => 9,
        Effect::Inspection(I::Findings) => 10,
        Effect::Inspection(I::Report) => 11,
        Effect::Inspection(I::Signature) => 12,
        _ => 13,
    }
}

/// The step notifications of a history (JSON Lines, both Parties), in the given order; lines
/// that are not steps are skipped without being parsed in full.
pub fn steps_of(spec: &TreatySpec, jsonl: &str) -> Vec<Notification<'static>> {
    jsonl
        .lines()
        .filter(|l| l.contains("\"inspection\"") || l.contains("\"proposal\""))
        .filter_map(|l| parse_notification(l.trim()).ok())
        .filter(|n| step_of(spec, &n.kind).is_some())
        .map(Notification::into_owned)
        .collect()
}

/// SHA-256 (hex) of a report's data, without its signatures: what both Parties sign.
pub fn report_hash(r: &Report) -> String {
    let mut r = r.clone();
    r.signed_by.clear();
    let bytes = serde_json::to_vec(&r).unwrap_or_default();
    hex(&Sha256::digest(&bytes))
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses lower- or upper-case hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The declared data of `party`'s site `site` on `on`, from the replayed history: the items
/// there by category, their identifiers, and the reentry vehicles of the last data
/// declaration on each deployed missile there.
pub fn site_data(spec: &TreatySpec, history: &History, party: &str, site: &str, on: Date) -> Result<SiteData, String> {
    let p = spec
        .parties
        .iter()
        .position(|x| x.code == party)
        .ok_or_else(|| format!("'{party}' is not a Party"))?;
    let out = crate::replay::replay_until(spec, history, &[], Some(on)).map_err(|e| e.to_string())?;
    let st = &out.states[p];
    let names = &history.names;
    let fac = names.facilities[p]
        .get(site)
        .filter(|k| st.facilities().any(|(f, _)| f == *k))
        .ok_or_else(|| format!("'{site}' is not a facility {party} declared by {on}"))?;
    let loading: BTreeMap<u32, u32> = st.declared().map(|d| d.loadings.iter().copied().collect()).unwrap_or_default();
    let mut data = SiteData {
        site: site.to_owned(),
        as_of: on.to_string(),
        ..SiteData::default()
    };
    for (k, it) in st.items() {
        if it.facility != fac {
            continue;
        }
        let id = names.items[p].name(k).to_owned();
        *data.counts.entry(spec.category_at(it.category).code.clone()).or_default() += 1;
        if spec.category_at(it.category).role == accord_treaty::Role::Missile && it.holds.is_some() {
            if let Some(rv) = loading.get(&k) {
                data.loadings.insert(id.clone(), *rv);
            }
        }
        data.items.push(id);
    }
    data.items.sort();
    Ok(data)
}

/// The report an inspection's designation and findings give, dated `date`.
pub fn report_of(spec: &TreatySpec, f: &InspectionFile, date: Date) -> Option<Report> {
    let declared = f.declared.as_ref()?;
    let found = f.found.as_ref()?;
    let counts = spec
        .categories
        .iter()
        .filter(|c| declared.counts.contains_key(&c.code) || found.counts.contains_key(&c.code))
        .map(|c| Count {
            category: c.code.clone(),
            declared: declared.counts.get(&c.code).copied().unwrap_or(0),
            observed: found.counts.get(&c.code).copied().unwrap_or(0),
        })
        .collect();
    let reentry = match (&f.missile, found.reentry_vehicles) {
        (Some(m), Some(observed)) => Some(Reentry {
            missile: m.clone(),
            declared: declared.loadings.get(m).copied().unwrap_or(0),
            observed,
        }),
        _ => None,
    };
    let mut measurements = found.measurements.clone();
    for (bomber, n) in &found.armaments {
        measurements.push(Measurement {
            what_en: format!("nuclear armaments on or attached to heavy bomber {bomber}"),
            what_ru: format!("ядерные вооружения на тяжелом бомбардировщике {bomber}"),
            value: n.to_string(),
            unit: String::new(),
        });
    }
    Some(Report {
        inspection: f.id.clone(),
        kind: f.kind.clone(),
        inspecting: f.inspecting.clone(),
        inspected: f.inspected.clone(),
        site: declared.site.clone(),
        date,
        counts,
        reentry,
        seen: found.items.clone(),
        measurements,
        signed_by: Vec::new(),
    })
}

struct Refusal {
    field: String,
    message: String,
}

/// A required text field of a step, not blank.
fn need(v: &Option<String>, field: &'static str) -> Result<String, Refusal> {
    v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| no(field, "missing"))
}

fn no(field: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl Record {
    /// An empty record under `spec`.
    pub fn new(spec: &TreatySpec) -> Record {
        Record {
            register: Register::default(),
            inspections: Vec::new(),
            exemptions: Vec::new(),
            proposals: Vec::new(),
            agreements: Vec::new(),
            problems: Vec::new(),
            spec: spec.clone(),
            claimed: Vec::new(),
        }
    }

    /// Folds the step notifications among `ns` (both Parties) in order.
    pub fn fold(spec: &TreatySpec, ns: &[Notification<'_>]) -> Record {
        let mut r = Record::new(spec);
        let mut steps: Vec<(usize, Effect)> = ns
            .iter()
            .enumerate()
            .filter_map(|(i, n)| step_of(spec, &n.kind).map(|e| (i, e)))
            .collect();
        // The same order on either Party's node: date, the step's place, the time sent (a
        // step not yet sent last), the Party, then the order given (each Party's own steps
        // are in its log's order on both nodes).
        steps.sort_by_cached_key(|&(i, e)| (StepOrder::of(e, &ns[i]), i));
        for (i, e) in steps {
            r.take_next(e, &ns[i]);
        }
        r
    }

    /// Takes one more step, as [`Record::fold`] takes each (a refused step is kept among the
    /// problems). The caller keeps the fold's order: `n` comes after every step taken so far by
    /// [`StepOrder`], then by the order the steps were given; otherwise it folds again.
    pub fn take_next(&mut self, e: Effect, n: &Notification<'_>) {
        if let Err(x) = self.take(e, n) {
            self.problems.push(StepProblem {
                party: n.party.to_string(),
                id: n.id.to_string(),
                kind: n.kind.to_string(),
                date: n.date,
                field: x.field,
                message: x.message,
            });
        }
    }

    /// Folds the steps of a history given as JSON Lines.
    pub fn from_jsonl(spec: &TreatySpec, jsonl: &str) -> Record {
        Record::fold(spec, &steps_of(spec, jsonl))
    }

    /// Checks that `new` (one Party's notifications about to be logged) can join `existing`:
    /// every step among them is taken, and none of the existing steps becomes refused.
    /// With `history`, a new designation's declared data must be the replayed database's, and
    /// a new countersignature is given only to a report whose declared data are.
    pub fn check_new(
        spec: &TreatySpec,
        history: Option<&History>,
        existing: &[Notification<'_>],
        new: &[Notification<'_>],
    ) -> Result<Record, String> {
        let before = Record::fold(spec, existing);
        let all: Vec<Notification<'_>> = existing.iter().chain(new).cloned().collect();
        let after = Record::fold(spec, &all);
        Record::check_taken(spec, history, &before, after, new)
    }

    /// [`Record::check_new`] given the record before the new steps and the record after them
    /// (folded by the caller, incrementally when it can).
    pub fn check_taken(
        spec: &TreatySpec,
        history: Option<&History>,
        before: &Record,
        after: Record,
        new: &[Notification<'_>],
    ) -> Result<Record, String> {
        if let Some(p) = after.problems.iter().find(|p| !before.problems.contains(p)) {
            return Err(format!("{} ({}): {}: {}", p.id, p.kind, p.field, p.message));
        }
        if let Some(h) = history {
            for n in new {
                if step_of(spec, &n.kind) == Some(Effect::Inspection(InspectionStep::Signature)) {
                    // The inspected Party signs only a report whose declared figures are its
                    // database's: the designation's data are checked again, against replay.
                    let Some(f) = n.body.inspection.as_deref().and_then(|b| after.inspection(&b.id)) else {
                        continue;
                    };
                    let Some(d) = &f.declared else { continue };
                    let on = parse_date(&d.as_of).map_err(|e| format!("{}: inspection.declared.as_of: {e}", n.id))?;
                    let real = site_data(spec, h, &f.inspected, &d.site, on).map_err(|e| format!("{}: inspection.site: {e}", n.id))?;
                    if &real != d {
                        return Err(format!(
                            "{}: inspection.report_sha256: the report rests on declared data for {} on {} that are not this database's; not signed",
                            n.id, d.site, d.as_of
                        ));
                    }
                    continue;
                }
                if step_of(spec, &n.kind) != Some(Effect::Inspection(InspectionStep::Designation)) {
                    continue;
                }
                let Some(b) = n.body.inspection.as_deref() else { continue };
                let Some(f) = after.inspections.iter().find(|f| f.id == b.id) else {
                    continue;
                };
                let (Some(site), Some(declared)) = (&b.site, &b.declared) else {
                    continue;
                };
                let real = site_data(spec, h, &f.inspected, site, n.date).map_err(|e| format!("{}: inspection.site: {e}", n.id))?;
                if &real != declared {
                    return Err(format!(
                        "{}: inspection.declared: not the database's data for {site} on {} (replayed: {} items)",
                        n.id,
                        n.date,
                        real.items.len()
                    ));
                }
            }
        }
        Ok(after)
    }

    /// The inspection `id`.
    pub fn inspection(&self, id: &str) -> Option<&InspectionFile> {
        self.inspections.iter().find(|f| f.id == id)
    }

    /// The candidates for the joint choice of the missile: the deployed missiles declared at
    /// the designated site, in identifier order.
    pub fn candidates(f: &InspectionFile) -> Vec<String> {
        f.declared
            .as_ref()
            .map(|d| d.loadings.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Discrepancies of the reports signed by both Parties by `at`, each with its agenda item.
    pub fn discrepancies(&self, at: Date) -> Vec<(Date, Discrepancy)> {
        self.inspections
            .iter()
            .filter(|f| f.ended.is_some_and(|e| e <= at) && f.refused.is_none())
            .filter_map(|f| f.report.as_ref().map(|r| (f.ended.unwrap_or(r.date), r)))
            .flat_map(|(d, r)| r.discrepancies().into_iter().map(move |x| (d, x)))
            .collect()
    }

    /// The compliance findings the record gives by `at`: each discrepancy of a signed report
    /// (with the Commission's agenda item it opens), and each refused inspection.
    pub fn findings(&self, at: Date) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .discrepancies(at)
            .into_iter()
            .map(|(date, d)| Finding::InspectionDiscrepancy {
                party: d.party,
                inspection: d.inspection,
                date,
                what: d.what,
                declared: d.declared,
                observed: d.observed,
                agenda_item: d.agenda_item,
            })
            .collect();
        for f in &self.inspections {
            if let Some((date, reason)) = &f.refused {
                if *date <= at {
                    out.push(Finding::InspectionRefused {
                        party: f.inspected.clone(),
                        inspection: f.id.clone(),
                        date: *date,
                        reason: reason.clone(),
                    });
                }
            }
        }
        out
    }

    /// Proposals open on `d` (made by then, neither accepted, countered nor superseded by then).
    pub fn open_on(&self, d: Date) -> Vec<&ProposalState> {
        self.proposals
            .iter()
            .filter(|p| p.proposal.date <= d)
            .filter(|p| {
                let closed_by_counter = p
                    .countered_by
                    .as_ref()
                    .and_then(|c| self.proposals.iter().find(|q| &q.proposal.id == c))
                    .is_some_and(|q| q.proposal.date <= d);
                let closed_by_agreement = self.agreements.iter().any(|a| a.date <= d && p.proposal.date <= a.date);
                !closed_by_counter && !closed_by_agreement
            })
            .collect()
    }

    /// The regime's status on `on` under the record: [`accord_treaty::regime::status_on`] with
    /// the agreed extensions in the lifecycle, and the record's open proposals beside the
    /// history's.
    pub fn status_on(&self, on: Date) -> RecordStatus {
        let mut regime = accord_treaty::regime::status_on(&self.spec, on);
        for p in self.open_on(on) {
            regime.open_proposals.push(accord_treaty::history::RestsOn {
                date: p.proposal.date,
                precision: accord_treaty::lifecycle::Precision::Day,
                kind: p.proposal.kind,
                title: format!("{}: {}", p.proposal.by, p.proposal.title),
                source: format!("record:{}", p.proposal.id),
                continues: None,
            });
        }
        RecordStatus {
            regime,
            agreements: self.agreements.iter().filter(|a| a.date <= on).cloned().collect(),
        }
    }

    /// The record as timeline events (the history's format, source `record:ID`): each
    /// inspection's notice and end, exemptions, proposals and agreements.
    pub fn events(&self) -> Vec<accord_treaty::history::HistoryEvent> {
        use accord_treaty::history::{Effects, HistoryEvent};
        use accord_treaty::lifecycle::{LifecycleEvent, Precision};
        let ev = |date: Date, kind: EventKind, party: &str, key: &str, title: String, text: Option<String>| HistoryEvent {
            event: LifecycleEvent {
                date,
                kind,
                precision: Precision::Day,
                party: Some(party.to_owned()),
                years: None,
                place: None,
                text,
                provenance: Provenance {
                    source: format!("record:{key}"),
                    status: Status::Confirmed,
                    note: None,
                },
            },
            title,
            effects: Effects::default(),
            continues: None,
        };
        let name = |code: &str| {
            self.spec
                .inspections
                .types
                .iter()
                .find(|t| t.code == code)
                .map_or(code.to_owned(), |t| t.name.clone())
        };
        let mut out = Vec::new();
        for f in &self.inspections {
            out.push(ev(
                f.notified,
                EventKind::Inspection,
                &f.inspecting,
                &f.id,
                format!("{} {} of {}: notice by {}", name(&f.kind), f.id, f.inspected, f.inspecting),
                None,
            ));
            if let Some((d, reason)) = &f.refused {
                out.push(ev(
                    *d,
                    EventKind::Inspection,
                    &f.inspected,
                    &f.id,
                    format!("{} refuses inspection {}", f.inspected, f.id),
                    Some(reason.clone()),
                ));
            } else if let (Some(d), Some(r)) = (f.ended, &f.report) {
                let n = r.discrepancies().len();
                out.push(ev(
                    d,
                    EventKind::Inspection,
                    &f.inspected,
                    &f.id,
                    format!(
                        "report of inspection {} at {} signed by both Parties: {n} discrepancies",
                        f.id, r.site
                    ),
                    None,
                ));
            }
        }
        for x in &self.exemptions {
            let what = x.site.clone().unwrap_or_else(|| "all its facilities".into());
            out.push(ev(
                x.from,
                EventKind::Exemption,
                &x.party,
                &x.id,
                format!("{} temporarily exempts {what} from inspection", x.party),
                Some(x.reason.clone()),
            ));
            if let Some(e) = x.ended {
                out.push(ev(
                    e,
                    EventKind::Exemption,
                    &x.party,
                    &x.id,
                    format!("{} ends exemption {}", x.party, x.id),
                    None,
                ));
            }
        }
        for p in &self.proposals {
            let q = &p.proposal;
            out.push(ev(
                q.date,
                q.kind,
                &q.by,
                &q.id,
                format!("{}: {}", q.id, q.title),
                (!q.conditions.is_empty()).then(|| q.conditions.join(" ")),
            ));
        }
        for a in &self.agreements {
            out.push(ev(
                a.date,
                EventKind::Negotiation,
                &a.accepted_by,
                &a.proposal,
                format!("{} accepts {} (proposed by {})", a.accepted_by, a.proposal, a.proposed_by),
                Some(a.effects.join("; ")),
            ));
        }
        out.sort_by_key(|e| e.event.date);
        out
    }

    /// The other Party of an inspection notified by `party`: in a bilateral treaty, the one
    /// Party that is not `party`. With more Parties a notice does not say which (its body has
    /// no field for it), so it is refused rather than guessed.
    fn other(&self, party: &str) -> Result<String, Refusal> {
        let others: Vec<&str> = self.spec.parties.iter().map(|p| p.code.as_str()).filter(|p| *p != party).collect();
        match others.as_slice() {
            [one] => Ok((*one).to_owned()),
            [] => Err(no("party", "no other Party")),
            _ => Err(no(
                "inspection.type",
                format!(
                    "the treaty has {} Parties and an inspection notice does not name the other one: inspections are between the two Parties of a bilateral treaty",
                    self.spec.parties.len()
                ),
            )),
        }
    }

    fn take(&mut self, e: Effect, n: &Notification<'_>) -> Result<(), Refusal> {
        match e {
            Effect::Inspection(step) => {
                let b = n.body.inspection.as_deref().ok_or_else(|| no("inspection", "missing"))?;
                if b.id.trim().is_empty() {
                    return Err(no("inspection.id", "must not be empty"));
                }
                self.inspection_step(step, n, b)
            }
            Effect::Negotiation(step) => self.negotiation_step(step, n),
            _ => Ok(()),
        }
    }

    fn open_inspection(&mut self, id: &str) -> Result<usize, Refusal> {
        let i = self
            .inspections
            .iter()
            .position(|f| f.id == id)
            .ok_or_else(|| no("inspection.id", format!("no inspection {id} was notified")))?;
        if let Some(e) = self.inspections[i].ended {
            return Err(no("inspection.id", format!("inspection {id} ended on {e}")));
        }
        Ok(i)
    }

    fn inspection_step(&mut self, step: InspectionStep, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        match step {
            InspectionStep::Notice => self.on_notice(n, b),
            InspectionStep::Designation => self.on_designation(n, b),
            InspectionStep::Commitment => self.on_commitment(n, b),
            InspectionStep::Reveal => self.on_reveal(n, b),
            InspectionStep::Refusal => self.on_refusal(n, b),
            InspectionStep::Findings => self.on_findings(n, b),
            InspectionStep::Report => self.on_report(n, b),
            InspectionStep::Signature => self.on_signature(n, b),
            InspectionStep::Exemption => self.on_exemption(n, b),
            InspectionStep::ExemptionEnd => self.on_exemption_end(n, b),
        }
    }

    /// Notice of an inspection: its type, who inspects whom, the quota and the year it counts
    /// in, exemptions.
    fn on_notice(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let code = need(&b.inspection_type, "inspection.type")?;
        if self.inspections.iter().any(|f| f.id == b.id) {
            return Err(no("inspection.id", format!("inspection {} is already notified", b.id)));
        }
        let notice_by = self
            .spec
            .inspections
            .types
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.notice_by)
            .ok_or_else(|| {
                let codes: Vec<&str> = self.spec.inspections.types.iter().map(|t| t.code.as_str()).collect();
                no(
                    "inspection.type",
                    format!("'{code}' is not an inspection type: {}", codes.join(", ")),
                )
            })?;
        let other = self.other(party)?;
        let (inspecting, inspected) = match notice_by {
            NoticeBy::Inspecting => (party.to_owned(), other),
            NoticeBy::Inspected => (other, party.to_owned()),
        };
        if let Some(x) = self.exemptions.iter().find(|x| x.covers(&inspected, None, date)) {
            return Err(no(
                "inspection.type",
                format!(
                    "Protocol Part Five, Section I: {inspected} has temporarily exempted its facilities ({}, from {})",
                    x.id, x.from
                ),
            ));
        }
        let year = match notice_by {
            NoticeBy::Inspecting => {
                self.register
                    .notify(&self.spec, &b.id, &code, &inspecting, date)
                    .map_err(|e| no("inspection.type", e.to_string()))?
                    .treaty_year
            }
            NoticeBy::Inspected => {
                inspection::may_begin(&self.spec, &inspected, date).map_err(|e| no("inspection.type", e.to_string()))?;
                treaty_year(&self.spec, date)
            }
        };
        self.inspections.push(InspectionFile {
            id: b.id.clone(),
            kind: code,
            inspecting,
            inspected,
            notified: date,
            treaty_year: year,
            status: InspectionStatus::Notified,
            site: None,
            declared: None,
            missile: None,
            commitments: BTreeMap::new(),
            reveals: BTreeMap::new(),
            found: None,
            report: None,
            report_sha256: None,
            signatures: Vec::new(),
            refused: None,
            ended: None,
        });
        Ok(())
    }

    /// The inspecting Party designates the site, with the site's declared data as of that day
    /// (and the missile, unless the spec chooses it jointly).
    fn on_designation(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let i = self.open_inspection(&b.id)?;
        let site = need(&b.site, "inspection.site")?;
        let declared = b
            .declared
            .clone()
            .ok_or_else(|| no("inspection.declared", "missing: the site's declared data"))?;
        let choice = self.spec.inspections.missile_choice;
        let f = &self.inspections[i];
        if party != f.inspecting {
            return Err(no("party", format!("the inspecting Party ({}) designates the site", f.inspecting)));
        }
        if f.site.is_some() {
            return Err(no("inspection.site", format!("inspection {} already has its site", b.id)));
        }
        if declared.site != site {
            return Err(no(
                "inspection.declared.site",
                format!("'{}' is not the designated site '{site}'", declared.site),
            ));
        }
        if declared.as_of != date.to_string() {
            return Err(no(
                "inspection.declared.as_of",
                format!("{} is not the designation's date {date}", declared.as_of),
            ));
        }
        if let Some(x) = self.exemptions.iter().find(|x| x.covers(&f.inspected, Some(&site), date)) {
            return Err(no(
                "inspection.site",
                format!(
                    "Protocol Part Five, Section I: {site} is temporarily exempted ({}, from {})",
                    x.id, x.from
                ),
            ));
        }
        if let Some(m) = &b.missile {
            if choice == MissileChoice::CommitReveal {
                return Err(no(
                    "inspection.missile",
                    "the spec chooses the missile jointly (inspections.missile_choice = commit_reveal): commit and reveal instead",
                ));
            }
            if !declared.loadings.contains_key(m) {
                return Err(no(
                    "inspection.missile",
                    format!("'{m}' is not a deployed missile declared at {site}"),
                ));
            }
        }
        let f = &mut self.inspections[i];
        f.site = Some(site);
        f.declared = Some(declared);
        f.missile = b.missile.clone();
        f.status = InspectionStatus::Designated;
        Ok(())
    }

    /// The joint choice of the missile: each Party commits ([`Record::on_commitment`]), then
    /// reveals ([`Record::on_reveal`]); once both have revealed, the missile is chosen from the
    /// site's candidates. Both steps need the spec to choose jointly, an open inspection whose
    /// site is designated, and a Party to it: the inspection's position.
    fn joint_choice(&mut self, party: &str, b: &InspectionBody) -> Result<usize, Refusal> {
        if self.spec.inspections.missile_choice != MissileChoice::CommitReveal {
            return Err(no(
                "inspection",
                "the spec does not choose the missile jointly (inspections.missile_choice is designation)",
            ));
        }
        let i = self.open_inspection(&b.id)?;
        let f = &self.inspections[i];
        if party != f.inspecting && party != f.inspected {
            return Err(no("party", "not a Party to this inspection"));
        }
        if f.declared.is_none() {
            return Err(no(
                "inspection.id",
                "the site is not designated yet: the candidates are its deployed missiles",
            ));
        }
        Ok(i)
    }

    /// A Party's commitment to its share of the joint choice (before any reveal).
    fn on_commitment(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let i = self.joint_choice(party, b)?;
        let f = &mut self.inspections[i];
        if Record::candidates(f).is_empty() {
            return Err(no(
                "inspection.id",
                "no deployed missile is declared at the designated site: nothing to choose",
            ));
        }
        let c = need(&b.commitment, "inspection.commitment")?;
        if unhex(&c).is_none_or(|v| v.len() != 32) {
            return Err(no("inspection.commitment", "64 hex digits (SHA-256)"));
        }
        if f.commitments.contains_key(party) {
            return Err(no("inspection.commitment", format!("{party} has already committed")));
        }
        if !f.reveals.is_empty() {
            return Err(no("inspection.commitment", "a value was already revealed"));
        }
        f.commitments.insert(party.to_owned(), c.to_ascii_lowercase());
        Ok(())
    }

    /// A Party's reveal, checked against its commitment (every Party to the inspection commits
    /// first); the last Party's reveal chooses the missile.
    fn on_reveal(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let i = self.joint_choice(party, b)?;
        let f = &mut self.inspections[i];
        let nonce = need(&b.nonce, "inspection.nonce")?;
        let value = need(&b.value, "inspection.value")?;
        let nonce_b: [u8; 32] = unhex(&nonce)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| no("inspection.nonce", "64 hex digits"))?;
        let value_b = unhex(&value).ok_or_else(|| no("inspection.value", "hex digits"))?;
        // Every Party to the choice commits before any reveals.
        let parties = [f.inspecting.clone(), f.inspected.clone()];
        if !parties.iter().all(|p| f.commitments.contains_key(p)) {
            return Err(no("inspection.nonce", "both Parties commit before either reveals"));
        }
        if f.reveals.contains_key(party) {
            return Err(no("inspection.nonce", format!("{party} has already revealed")));
        }
        let committed = f.commitments.get(party).cloned().unwrap_or_default();
        if hex(&inspection::commitment(party, &f.id, &nonce_b, &value_b)) != committed {
            return Err(no(
                "inspection.value",
                format!("{party}'s reveal does not match its commitment {committed}"),
            ));
        }
        let mut reveals = f.reveals.clone();
        reveals.insert(party.to_owned(), (nonce.to_ascii_lowercase(), value.to_ascii_lowercase()));
        let mut chosen = None;
        if parties.iter().all(|p| reveals.contains_key(p)) {
            let all: Vec<Reveal> = reveals
                .iter()
                .map(|(p, (nonce, value))| Reveal {
                    party: p.clone(),
                    nonce: unhex(nonce).and_then(|v| v.try_into().ok()).unwrap_or([0; 32]),
                    value: unhex(value).unwrap_or_default(),
                    committed: f
                        .commitments
                        .get(p)
                        .and_then(|c| unhex(c))
                        .and_then(|v| v.try_into().ok())
                        .unwrap_or([0; 32]),
                })
                .collect();
            let candidates = Record::candidates(f);
            chosen = Some(
                inspection::choose_among(&f.id, &candidates, &all.iter().collect::<Vec<_>>())
                    .map_err(|e| no("inspection.value", e.to_string()))?
                    .clone(),
            );
        }
        // Only now, with the step known good, does it change the record.
        f.reveals = reveals;
        if chosen.is_some() {
            f.missile = chosen;
        }
        Ok(())
    }

    /// The inspected Party refuses the inspection (before findings): it ends.
    fn on_refusal(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let i = self.open_inspection(&b.id)?;
        let f = &mut self.inspections[i];
        if party != f.inspected {
            return Err(no("party", format!("only the inspected Party ({}) refuses", f.inspected)));
        }
        if f.found.is_some() {
            return Err(no(
                "inspection.id",
                format!("inspection {} has findings ({}): its report is signed, not refused", f.id, f.status),
            ));
        }
        let reason = n.body.reason.as_deref().unwrap_or_default().to_owned();
        f.refused = Some((date, reason));
        f.ended = Some(date);
        f.status = InspectionStatus::Refused;
        let id = f.id.clone();
        let _ = self.register.end(&id, date);
        Ok(())
    }

    /// The inspecting Party records what it found at the designated site.
    fn on_findings(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let i = self.open_inspection(&b.id)?;
        let found = b.found.clone().ok_or_else(|| no("inspection.found", "missing"))?;
        let f = &mut self.inspections[i];
        if party != f.inspecting {
            return Err(no("party", format!("the inspecting Party ({}) records the findings", f.inspecting)));
        }
        if f.declared.is_none() {
            return Err(no("inspection.id", "the site is not designated yet"));
        }
        if f.found.is_some() {
            return Err(no("inspection.found", "the findings are already recorded"));
        }
        if found.reentry_vehicles.is_some() && f.missile.is_none() {
            return Err(no(
                "inspection.found.reentry_vehicles",
                "no missile was designated or chosen for a reentry-vehicle inspection",
            ));
        }
        for c in found.counts.keys() {
            if self.spec.category(c).is_none() {
                return Err(no("inspection.found.counts", format!("unknown category '{c}'")));
            }
        }
        f.found = Some(found);
        f.status = InspectionStatus::Found;
        Ok(())
    }

    /// The inspecting Party gives the report the designation and findings give, by its hash;
    /// the inspection activity ends.
    fn on_report(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let i = self.open_inspection(&b.id)?;
        let given = need(&b.report_sha256, "inspection.report_sha256")?;
        let f = &self.inspections[i];
        if party != f.inspecting {
            return Err(no("party", format!("the inspecting Party ({}) gives the report", f.inspecting)));
        }
        if f.report.is_some() {
            return Err(no("inspection.report_sha256", "the report is already given"));
        }
        let mut report = report_of(&self.spec, f, date).ok_or_else(|| no("inspection.id", "no findings to report yet"))?;
        let h = report_hash(&report);
        if given.to_ascii_lowercase() != h {
            return Err(no(
                "inspection.report_sha256",
                format!("{given} is not the report the designation and findings give ({h})"),
            ));
        }
        report.signed_by.push(party.to_owned());
        let f = &mut self.inspections[i];
        f.report = Some(report);
        f.report_sha256 = Some(h);
        f.signatures.push((party.to_owned(), date));
        f.status = InspectionStatus::Reported;
        // The inspection activity is over once the report is given (Part Five,
        // Section X, post-inspection procedures): the next may be notified while the
        // countersignature is pending.
        let id = f.id.clone();
        let _ = self.register.end(&id, date);
        Ok(())
    }

    /// The inspected Party countersigns the report given: the inspection is over.
    fn on_signature(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let i = self.open_inspection(&b.id)?;
        let given = need(&b.report_sha256, "inspection.report_sha256")?;
        let f = &mut self.inspections[i];
        if party != f.inspected {
            return Err(no("party", format!("the inspected Party ({}) countersigns", f.inspected)));
        }
        let Some(h) = f.report_sha256.clone() else {
            return Err(no("inspection.id", "no report to sign yet"));
        };
        if given.to_ascii_lowercase() != h {
            return Err(no("inspection.report_sha256", format!("{given} is not the report given ({h})")));
        }
        if let Some(r) = f.report.as_mut() {
            r.signed_by.push(party.to_owned());
        }
        f.signatures.push((party.to_owned(), date));
        f.ended = Some(date);
        f.status = InspectionStatus::Signed;
        Ok(())
    }

    /// A Party temporarily exempts its facilities (or one site) from inspection.
    fn on_exemption(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        if self.exemptions.iter().any(|x| x.id == b.id) {
            return Err(no("inspection.id", format!("exemption {} already exists", b.id)));
        }
        if !self.spec.lifecycle.in_force(date) {
            return Err(no("inspection", format!("the treaty is not in force on {date}")));
        }
        let until = match &b.until {
            Some(u) => Some(parse_date(u).map_err(|e| no("inspection.until", e.to_string()))?),
            None => None,
        };
        if until.is_some_and(|u| u < date) {
            return Err(no("inspection.until", "before the exemption's date"));
        }
        self.exemptions.push(Exemption {
            id: b.id.clone(),
            party: party.to_owned(),
            site: b.site.clone(),
            from: date,
            until,
            ended: None,
            reason: n.body.reason.as_deref().unwrap_or_default().to_owned(),
        });
        Ok(())
    }

    /// A Party ends its exemption.
    fn on_exemption_end(&mut self, n: &Notification<'_>, b: &InspectionBody) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let x = self
            .exemptions
            .iter_mut()
            .find(|x| x.id == b.id)
            .ok_or_else(|| no("inspection.id", format!("no exemption {}", b.id)))?;
        if x.party != party {
            return Err(no("party", format!("exemption {} is {}'s", b.id, x.party)));
        }
        if x.ended.is_some() {
            return Err(no("inspection.id", format!("exemption {} already ended", b.id)));
        }
        x.ended = Some(date);
        Ok(())
    }
    fn negotiation_step(&mut self, step: NegotiationStep, n: &Notification<'_>) -> Result<(), Refusal> {
        let party = n.party.as_ref();
        let date = n.date;
        let body = n.body.proposal.as_deref().ok_or_else(|| no("proposal", "missing"))?;
        match step {
            NegotiationStep::Proposal | NegotiationStep::Counter => {
                if self.proposals.iter().any(|p| p.proposal.id == body.id) {
                    return Err(no("proposal.id", format!("proposal {} already exists", body.id)));
                }
                let kind = if step == NegotiationStep::Counter {
                    EventKind::CounterProposal
                } else {
                    EventKind::Proposal
                };
                let p = Proposal::from_body(&self.spec, kind, party, date, body).map_err(|e| Refusal {
                    field: e.field.clone(),
                    message: e.message,
                })?;
                if let Some(answers) = &p.responds_to {
                    let q = self
                        .proposals
                        .iter_mut()
                        .find(|q| &q.proposal.id == answers)
                        .ok_or_else(|| no("proposal.responds_to", format!("no proposal {answers}")))?;
                    if q.proposal.by == party {
                        return Err(no("proposal.responds_to", format!("{answers} is {party}'s own proposal")));
                    }
                    if q.status != ProposalStatus::Open {
                        return Err(no("proposal.responds_to", format!("{answers} is {}", q.status)));
                    }
                    q.status = ProposalStatus::Countered;
                    q.countered_by = Some(p.id.clone());
                }
                self.proposals.push(ProposalState {
                    proposal: p,
                    status: ProposalStatus::Open,
                    countered_by: None,
                    accepted: None,
                });
                Ok(())
            }
            NegotiationStep::Acceptance => {
                let i = self
                    .proposals
                    .iter()
                    .position(|q| q.proposal.id == body.id)
                    .ok_or_else(|| no("proposal.id", format!("no proposal {}", body.id)))?;
                let p = self.proposals[i].proposal.clone();
                if p.by == party {
                    return Err(no(
                        "proposal.id",
                        format!("{} is {party}'s own proposal: the other Party accepts it", p.id),
                    ));
                }
                if self.proposals[i].status != ProposalStatus::Open {
                    return Err(no("proposal.id", format!("{} is {}", p.id, self.proposals[i].status)));
                }
                let mut spec = self.spec.clone();
                let mut effects = Vec::new();
                let mut claimed = Vec::new();
                for (k, t) in p.terms.iter().enumerate() {
                    match t {
                        Term::Extend { years } => {
                            // The agreement the lifecycle file already records (the real 2021
                            // extension, say) is not made twice.
                            let recorded = spec
                                .lifecycle
                                .events
                                .iter()
                                .find(|e| {
                                    e.kind == EventKind::Extension
                                        && e.date >= date
                                        && e.years == Some(*years)
                                        && !self.claimed.contains(&e.date)
                                        && !claimed.contains(&e.date)
                                })
                                .map(|e| e.date);
                            match recorded {
                                Some(d) => {
                                    claimed.push(d);
                                    effects.push(format!(
                                        "extension by {years} years: the lifecycle's extension of {d}; last day {}",
                                        spec.lifecycle.status_on(d).last_day_in_force
                                    ))
                                }
                                None => {
                                    let l = spec
                                        .lifecycle
                                        .with_agreed_extension(
                                            date,
                                            *years,
                                            format!("{} accepted by {party}: {}", p.id, p.title),
                                            Provenance {
                                                source: format!("record:{}", p.id),
                                                status: Status::Confirmed,
                                                note: None,
                                            },
                                        )
                                        .map_err(|m| Refusal {
                                            field: "proposal.id".into(),
                                            message: format!("term {k}: {m}"),
                                        })?;
                                    spec.lifecycle = l;
                                    effects.push(format!(
                                        "extension by {years} years from {date}: last day {}",
                                        spec.lifecycle.status_on(date).last_day_in_force
                                    ));
                                }
                            }
                        }
                        Term::FreezeWarheads { baseline, political, .. } => effects.push(format!(
                            "freeze of all nuclear warheads at their number on {baseline} ({})",
                            if *political { "a political commitment" } else { "an obligation" }
                        )),
                        Term::ChangeLimit { limit, value } => {
                            effects.push(format!("{limit}: {value} (agreed; the spec's limit is unchanged until amended)"))
                        }
                    }
                }
                let last = spec.lifecycle.status_on(spec.lifecycle.end_exclusive()).last_day_in_force;
                self.spec = spec;
                self.claimed.extend(claimed);
                for q in self.proposals.iter_mut() {
                    if matches!(q.status, ProposalStatus::Open | ProposalStatus::Countered) {
                        q.status = ProposalStatus::Superseded;
                    }
                }
                self.proposals[i].status = ProposalStatus::Accepted;
                self.proposals[i].accepted = Some((party.to_owned(), date));
                self.agreements.push(Agreement {
                    proposal: p.id.clone(),
                    proposed_by: p.by.clone(),
                    accepted_by: party.to_owned(),
                    date,
                    effects,
                    last_day_in_force: last,
                });
                Ok(())
            }
        }
    }
}

impl ComplianceReport {
    /// Adds the findings of the inspection record by the evaluation date, in date order.
    /// (Here rather than in `compliance`, which knows nothing of the record.)
    pub fn add_record_findings(&mut self, record: &Record) {
        let at = self
            .evaluated_at
            .unwrap_or(accord_treaty::date::add_days(record.spec.lifecycle.end_exclusive(), 36_500));
        let found = record.findings(at);
        let all = self.findings.get_or_insert_with(Vec::new);
        all.extend(found);
        all.sort_by_key(Finding::sort_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accord_treaty::builtin::{new_start, NEW_START_LIFECYCLE, NEW_START_SPEC};
    use accord_treaty::LoadedFile;

    const SMALL: &str = include_str!("../../../tests/scenarios/small.jsonl");

    fn d(s: &str) -> Date {
        parse_date(s).expect("date")
    }

    /// A step notification, as JSON text.
    fn step(id: &str, kind: &str, party: &str, date: &str, body: serde_json::Value) -> String {
        line(id, kind, party, date, None, body)
    }

    /// A step notification with its time sent, if any.
    fn line(id: &str, kind: &str, party: &str, date: &str, sent: Option<&str>, body: serde_json::Value) -> String {
        let mut v = serde_json::json!({"id": id, "kind": kind, "party": party, "date": date, "body": body});
        if let Some(t) = sent {
            v["sent"] = t.into();
        }
        v.to_string()
    }

    fn ins(v: serde_json::Value) -> serde_json::Value {
        serde_json::json!({ "inspection": v })
    }

    fn fold(spec: &TreatySpec, lines: &[String]) -> Record {
        Record::from_jsonl(spec, &lines.join("\n"))
    }

    /// Russia's notice of inspection I1 and its designation of US-A with `declared`.
    fn notice_and_designation(declared: &SiteData) -> Vec<String> {
        vec![
            step(
                "RU-1",
                "inspection_notice",
                "RU",
                "2011-05-01",
                ins(serde_json::json!({"id": "I1", "type": "type_one"})),
            ),
            step(
                "RU-2",
                "site_designation",
                "RU",
                "2011-05-02",
                ins(serde_json::json!({"id": "I1", "site": "US-A", "declared": declared})),
            ),
        ]
    }

    /// The same, then Russia's findings `found`.
    fn notice_to_findings(declared: &SiteData, found: serde_json::Value) -> Vec<String> {
        let mut lines = notice_and_designation(declared);
        lines.push(step(
            "RU-3",
            "inspection_findings",
            "RU",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "found": found})),
        ));
        lines
    }

    /// New START as it stood before the 2021 extension, with nothing after: a what-if spec.
    fn before_2021(choice: &str) -> TreatySpec {
        let cut = NEW_START_LIFECYCLE.find("date = 2021-02-03").expect("extension event");
        let cut = NEW_START_LIFECYCLE[..cut].rfind("[[event]]").expect("event header");
        let lifecycle = NEW_START_LIFECYCLE[..cut].replace("date = 2026-02-04\nalternative = 2026-02-05", "date = 2021-02-04");
        let text = NEW_START_SPEC
            .replace("history = \"new-start-history.toml\"\n", "")
            .replace("missile_choice = \"designation\"", &format!("missile_choice = \"{choice}\""));
        let load = |_: &str| -> Result<LoadedFile, accord_treaty::SpecError> {
            Ok(LoadedFile {
                name: "what-if-lifecycle.toml".into(),
                text: lifecycle.clone(),
            })
        };
        TreatySpec::parse("what-if.toml", &text, &load).expect("what-if spec")
    }

    /// Notice, designation (declared data from the replayed database), findings that differ
    /// from the declaration, report, countersignature.
    fn full_inspection(spec: &TreatySpec, rv_found: u32, icbm_missing: u64) -> (Vec<String>, Record) {
        let history = History::parse(spec, SMALL).expect("small history");
        let on = d("2011-05-02");
        let declared = site_data(spec, &history, "US", "US-A", on).expect("site data");
        assert_eq!(declared.loadings.get("M2"), Some(&3), "{declared:?}");
        let mut counts = declared.counts.clone();
        *counts.get_mut("icbm").expect("ICBMs at US-A") -= icbm_missing;
        let items = declared.items.clone();
        let mut lines = vec![
            step(
                "RU-I1",
                "inspection_notice",
                "RU",
                "2011-05-01",
                ins(serde_json::json!({"id": "I1", "type": "type_one"})),
            ),
            step(
                "RU-I2",
                "site_designation",
                "RU",
                "2011-05-02",
                ins(serde_json::json!({"id": "I1", "site": "US-A", "missile": "M2", "declared": declared})),
            ),
            step(
                "RU-I3",
                "inspection_findings",
                "RU",
                "2011-05-02",
                ins(serde_json::json!({"id": "I1", "found": {"items": items, "counts": counts, "reentry_vehicles": rv_found}})),
            ),
        ];
        let r = fold(spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let report = report_of(spec, r.inspection("I1").expect("I1"), d("2011-05-03")).expect("report");
        let h = report_hash(&report);
        lines.push(step(
            "RU-I4",
            "inspection_report",
            "RU",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": h})),
        ));
        lines.push(step(
            "US-I5",
            "report_signature",
            "US",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": h})),
        ));
        let r = fold(spec, &lines);
        (lines, r)
    }

    /// With more than two Parties a notice does not say who is inspected: refused, not guessed.
    #[test]
    fn a_notice_between_more_than_two_parties_is_refused_not_guessed() {
        let spec = new_start().with_extra_party("XX", "A third Party").expect("spec");
        let notice = step(
            "RU-1",
            "inspection_notice",
            "RU",
            "2011-05-01",
            ins(serde_json::json!({"id": "I1", "type": "type_one"})),
        );
        let r = fold(&spec, std::slice::from_ref(&notice));
        assert!(r.inspection("I1").is_none());
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].message.contains("3 Parties"), "{:?}", r.problems);
        // The same notice in the bilateral treaty is taken.
        let r = fold(&new_start(), &[notice]);
        assert_eq!(r.inspection("I1").expect("I1").inspected, "US");
    }

    #[test]
    fn a_full_inspection_runs_from_notice_to_a_report_signed_by_both() {
        let spec = new_start();
        let (_, r) = full_inspection(&spec, 3, 0);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let f = r.inspection("I1").expect("I1");
        assert_eq!(f.status, InspectionStatus::Signed);
        let report = f.report.as_ref().expect("report");
        assert!(report.is_final(), "{:?}", report.signed_by);
        assert_eq!(
            report.reentry,
            Some(Reentry {
                missile: "M2".into(),
                declared: 3,
                observed: 3
            })
        );
        assert!(r.findings(d("2012-01-01")).is_empty(), "as declared: no finding");
        assert_eq!(r.register.used("RU", "type_one", 1), 1);
    }

    #[test]
    fn a_discrepancy_found_by_inspection_opens_an_agenda_item_and_a_finding() {
        let spec = new_start();
        let (_, r) = full_inspection(&spec, 4, 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let found = r.findings(d("2011-05-03"));
        assert_eq!(found.len(), 2, "{found:?}");
        let agenda: Vec<&str> = found
            .iter()
            .filter_map(|f| match f {
                Finding::InspectionDiscrepancy { agenda_item, party, .. } => {
                    assert_eq!(party, "US");
                    Some(agenda_item.as_str())
                }
                _ => None,
            })
            .collect();
        assert!(agenda.iter().any(|a| a.contains("I1") && a.contains("icbm")), "{agenda:?}");
        assert!(agenda.iter().any(|a| a.contains("reentry_vehicles:M2")), "{agenda:?}");
        // Not before the report is signed by both.
        assert!(r.findings(d("2011-05-02")).is_empty());
    }

    #[test]
    fn a_report_hash_that_is_not_the_findings_report_is_refused() {
        let spec = new_start();
        let (mut lines, _) = full_inspection(&spec, 3, 0);
        lines.pop();
        lines.push(step(
            "US-I5",
            "report_signature",
            "US",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": "00"})),
        ));
        let r = fold(&spec, &lines);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].field, "inspection.report_sha256");
        assert_eq!(r.inspection("I1").expect("I1").status, InspectionStatus::Reported);
    }

    #[test]
    fn one_at_a_time_quotas_and_exemptions_are_enforced_as_data() {
        let spec = new_start();
        let notice = |n: usize, date: &str| {
            step(
                &format!("RU-N{n}"),
                "inspection_notice",
                "RU",
                date,
                ins(serde_json::json!({"id": format!("N{n}"), "type": "type_one"})),
            )
        };
        // A second inspection while the first is under way.
        let r = fold(&spec, &[notice(1, "2011-05-01"), notice(2, "2011-05-02")]);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(
            r.problems[0].message.contains("one inspection at a time"),
            "{}",
            r.problems[0].message
        );
        // Before EIF + 60 days.
        let r = fold(&spec, &[notice(1, "2011-03-01")]);
        assert!(r.problems[0].message.contains("2011-04-06"), "{}", r.problems[0].message);
        // Ten Type One a treaty year, each refused in turn (an inspection ends by refusal).
        let mut lines = Vec::new();
        for n in 0..11 {
            let date = format!("2011-06-{:02}", n + 1);
            lines.push(notice(n, &date));
            lines.push(step(
                &format!("US-R{n}"),
                "inspection_refusal",
                "US",
                &date,
                serde_json::json!({"inspection": {"id": format!("N{n}")}, "reason": "test"}),
            ));
        }
        let r = fold(&spec, &lines);
        let quota: Vec<&StepProblem> = r.problems.iter().filter(|p| p.id == "RU-N10").collect();
        assert_eq!(quota.len(), 1, "{:?}", r.problems);
        assert!(quota[0].message.contains("has used its 10"), "{}", quota[0].message);
        assert_eq!(r.findings(d("2012-01-01")).len(), 10, "each refusal is a finding");
        // An exemption of all facilities refuses a notice, and its end lets one in.
        let lines = vec![
            step(
                "US-X1",
                "inspection_exemption",
                "US",
                "2011-05-01",
                serde_json::json!({"inspection": {"id": "X1"}, "reason": "exceptional case"}),
            ),
            notice(1, "2011-05-02"),
            step("US-X2", "exemption_end", "US", "2011-05-03", ins(serde_json::json!({"id": "X1"}))),
            notice(2, "2011-05-04"),
        ];
        let r = fold(&spec, &lines);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert_eq!(r.problems[0].id, "RU-N1");
        assert!(r.problems[0].message.contains("Protocol Part Five, Section I"));
        // Paused by the history (2020).
        let r = fold(&spec, &[notice(1, "2020-06-01")]);
        assert!(r.problems[0].message.contains("paused"), "{}", r.problems[0].message);
    }

    #[test]
    fn the_missile_is_chosen_jointly_and_a_reveal_must_match_its_commitment() {
        let spec = before_2021("commit_reveal");
        let history = History::parse(&spec, SMALL).expect("small");
        let declared = site_data(&spec, &history, "US", "US-A", d("2011-05-02")).expect("site");
        let (n_ru, n_us) = ([1u8; 32], [2u8; 32]);
        let (v_ru, v_us) = (b"ru-value".to_vec(), b"us-value".to_vec());
        let c = |p: &str, n: &[u8; 32], v: &[u8]| hex(&inspection::commitment(p, "I1", n, v));
        let mut lines = notice_and_designation(&declared);
        lines.push(step(
            "RU-3",
            "choice_commitment",
            "RU",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "commitment": c("RU", &n_ru, &v_ru)})),
        ));
        // A reveal before both committed is refused.
        let mut early = lines.clone();
        early.push(step(
            "RU-4",
            "choice_reveal",
            "RU",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "nonce": hex(&n_ru), "value": hex(&v_ru)})),
        ));
        assert!(fold(&spec, &early).problems[0].message.contains("both Parties commit"));
        lines.push(step(
            "US-3",
            "choice_commitment",
            "US",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "commitment": c("US", &n_us, &v_us)})),
        ));
        lines.push(step(
            "RU-4",
            "choice_reveal",
            "RU",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "nonce": hex(&n_ru), "value": hex(&v_ru)})),
        ));
        // A reveal that does not match.
        let mut bad = lines.clone();
        bad.push(step(
            "US-4",
            "choice_reveal",
            "US",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "nonce": hex(&n_us), "value": hex(b"other")})),
        ));
        let r = fold(&spec, &bad);
        assert!(r.problems[0].message.contains("does not match its commitment"), "{:?}", r.problems);
        assert_eq!(r.inspection("I1").expect("I1").missile, None);
        lines.push(step(
            "US-4",
            "choice_reveal",
            "US",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "nonce": hex(&n_us), "value": hex(&v_us)})),
        ));
        let r = fold(&spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let f = r.inspection("I1").expect("I1");
        let chosen = f.missile.clone().expect("chosen");
        // Reproducible by anyone from the two reveals.
        let rv = |p: &str, n: [u8; 32], v: &[u8]| Reveal {
            party: p.into(),
            nonce: n,
            value: v.to_vec(),
            committed: inspection::commitment(p, "I1", &n, v),
        };
        let candidates = Record::candidates(f);
        let again = inspection::choose("I1", &candidates, &rv("US", n_us, &v_us), &rv("RU", n_ru, &v_ru)).expect("choice");
        assert_eq!(&chosen, again);
        // Designating the missile directly is refused under this option.
        let direct = step(
            "RU-9",
            "site_designation",
            "RU",
            "2011-05-02",
            ins(serde_json::json!({"id": "I1", "site": "US-A", "missile": "M1", "declared": f.declared})),
        );
        let r = fold(&spec, &[lines[0].clone(), direct]);
        assert_eq!(r.problems[0].field, "inspection.missile");
    }

    fn proposal_line(id: &str, kind: &str, party: &str, date: &str, body: serde_json::Value) -> String {
        step(id, kind, party, date, serde_json::json!({ "proposal": body }))
    }

    #[test]
    fn a_proposal_is_filed_countered_and_accepted_and_the_extension_enters_the_lifecycle() {
        let spec = before_2021("designation");
        assert_eq!(spec.lifecycle.status_on(d("2021-01-01")).last_day_in_force, d("2021-02-04"));
        let lines = vec![
            proposal_line(
                "US-P1",
                "proposal",
                "US",
                "2020-10-16",
                serde_json::json!({"id": "P1", "title": "one year and a freeze",
                "terms": [{"extend_years": 1}, {"freeze_warheads_at": "2020-10-16", "declaration": "warhead_stockpile_declaration", "categories": ["all"]}]}),
            ),
            proposal_line(
                "RU-P2",
                "counter_proposal",
                "RU",
                "2020-10-20",
                serde_json::json!({"id": "P2", "title": "one year, political cap", "responds_to": "P1",
                "terms": [{"extend_years": 1}, {"freeze_warheads_at": "2020-10-20", "declaration": "warhead_stockpile_declaration", "categories": ["all"], "political": true}]}),
            ),
            proposal_line("US-P3", "acceptance", "US", "2021-01-26", serde_json::json!({"id": "P2"})),
        ];
        let r = fold(&spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.proposals[0].status, ProposalStatus::Superseded);
        assert_eq!(r.proposals[1].status, ProposalStatus::Accepted);
        assert_eq!(r.agreements.len(), 1);
        assert_eq!(r.agreements[0].last_day_in_force, d("2022-02-04"));
        assert!(r.spec.lifecycle.in_force(d("2021-06-01")));
        assert!(!spec.lifecycle.in_force(d("2021-06-01")));
        assert_eq!(r.open_on(d("2020-10-18")).len(), 1);
        assert_eq!(r.open_on(d("2020-11-01")).len(), 1, "the counter is open");
        assert!(r.open_on(d("2021-01-27")).is_empty());
        // Accepting one's own proposal, or one already answered, is refused.
        let own = fold(
            &spec,
            &[
                lines[0].clone(),
                proposal_line("US-X", "acceptance", "US", "2020-10-17", serde_json::json!({"id": "P1"})),
            ],
        );
        assert!(own.problems[0].message.contains("own proposal"), "{:?}", own.problems);
        let late = fold(
            &spec,
            &[
                lines[0].clone(),
                lines[1].clone(),
                proposal_line("RU-X", "acceptance", "RU", "2020-10-21", serde_json::json!({"id": "P1"})),
            ],
        );
        assert!(late.problems[0].message.contains("countered"), "{:?}", late.problems);
        // A second extension after the first is refused naming the rule and its standing.
        let second = vec![
            lines[0].clone(),
            proposal_line("RU-Y", "acceptance", "RU", "2020-10-21", serde_json::json!({"id": "P1"})),
            proposal_line(
                "US-Z",
                "proposal",
                "US",
                "2021-03-01",
                serde_json::json!({"id": "P9", "title": "again", "terms": [{"extend_years": 1}]}),
            ),
        ];
        let r = fold(&spec, &second);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(
            r.problems[0].message.contains("Art. XIV para 2") && r.problems[0].message.contains("UNCONFIRMED"),
            "{}",
            r.problems[0].message
        );
    }

    #[test]
    fn accepting_the_real_extension_stands_for_the_lifecycle_s_own() {
        let spec = new_start();
        let lines = vec![
            proposal_line(
                "RU-P1",
                "proposal",
                "RU",
                "2021-01-26",
                serde_json::json!({"id": "P1", "title": "extend for five years", "terms": [{"extend_years": 5}]}),
            ),
            proposal_line("US-P2", "acceptance", "US", "2021-01-26", serde_json::json!({"id": "P1"})),
        ];
        let r = fold(&spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.agreements[0].last_day_in_force, d("2026-02-04"));
        assert_eq!(r.spec.lifecycle.events.len(), spec.lifecycle.events.len(), "nothing added");
    }

    #[test]
    fn both_nodes_fold_a_tie_the_same_way() {
        let spec = new_start();
        let p = |party: &str| {
            line(
                &format!("{party}-1"),
                "proposal",
                party,
                "2020-10-16",
                Some("2020-10-16T12:00:00Z"),
                serde_json::json!({"proposal": {"id": "P1", "title": "t", "terms": [{"extend_years": 1}]}}),
            )
        };
        let (us, ru) = (p("US"), p("RU"));
        let a = fold(&spec, &[us.clone(), ru.clone()]);
        let b = fold(&spec, &[ru, us]);
        assert_eq!(a.proposals[0].proposal.by, b.proposals[0].proposal.by);
        assert_eq!(a.problems, b.problems);
    }

    #[test]
    fn a_proposal_made_after_an_agreement_is_open() {
        let spec = new_start();
        let lines = vec![
            line(
                "RU-1",
                "proposal",
                "RU",
                "2021-01-26",
                None,
                serde_json::json!({"proposal": {"id": "P1", "title": "five", "terms": [{"extend_years": 5}]}}),
            ),
            line(
                "US-1",
                "acceptance",
                "US",
                "2021-01-26",
                None,
                serde_json::json!({"proposal": {"id": "P1"}}),
            ),
            line(
                "US-2",
                "proposal",
                "US",
                "2022-03-01",
                None,
                serde_json::json!({"proposal": {"id": "P2", "title": "limit", "terms": [{"limit": "warheads", "value": 1000}]}}),
            ),
        ];
        let r = fold(&spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let open: Vec<&str> = r.open_on(d("2022-04-01")).iter().map(|p| p.proposal.id.as_str()).collect();
        assert_eq!(open, ["P2"]);
    }

    #[test]
    fn one_proposal_cannot_use_the_extension_rule_twice() {
        let spec = new_start();
        let lines = vec![
            line(
                "RU-1",
                "proposal",
                "RU",
                "2021-01-26",
                None,
                serde_json::json!({"proposal": {"id": "P1", "title": "twice", "terms": [{"extend_years": 5}, {"extend_years": 5}]}}),
            ),
            line(
                "US-1",
                "acceptance",
                "US",
                "2021-01-26",
                None,
                serde_json::json!({"proposal": {"id": "P1"}}),
            ),
        ];
        let r = fold(&spec, &lines);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].message.contains("Art. XIV para 2"), "{}", r.problems[0].message);
        assert!(r.agreements.is_empty());
        // A refused proposal names its own field.
        let bad = line(
            "RU-2",
            "proposal",
            "RU",
            "2021-01-20",
            None,
            serde_json::json!({"proposal": {"id": "P9", "title": "t", "terms": [{"extend_years": 9}]}}),
        );
        let r = fold(&spec, &[bad]);
        assert_eq!(r.problems[0].field, "proposal.terms[0].extend_years");
    }

    #[test]
    fn a_report_ends_the_activity_and_findings_cannot_be_refused() {
        let spec = new_start();
        let history = History::parse(&spec, SMALL).expect("small");
        let declared = site_data(&spec, &history, "US", "US-A", d("2011-05-02")).expect("site");
        let mut lines = notice_to_findings(&declared, serde_json::json!({"counts": declared.counts}));
        let refusal = line(
            "US-9",
            "inspection_refusal",
            "US",
            "2011-05-03",
            None,
            serde_json::json!({"inspection": {"id": "I1"}, "reason": "no"}),
        );
        let r = fold(&spec, &[lines.clone(), vec![refusal]].concat());
        assert!(r.problems[0].message.contains("signed, not refused"), "{:?}", r.problems);
        let rep = report_of(&spec, r.inspection("I1").expect("I1"), d("2011-05-03")).expect("report");
        lines.push(step(
            "RU-4",
            "inspection_report",
            "RU",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": report_hash(&rep)})),
        ));
        // The next notice while the countersignature is pending.
        lines.push(step(
            "RU-5",
            "inspection_notice",
            "RU",
            "2011-05-04",
            ins(serde_json::json!({"id": "I2", "type": "type_two"})),
        ));
        let r = fold(&spec, &lines);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        // An exhibition is subject to the start date and the pauses.
        let ex = step(
            "US-E",
            "inspection_notice",
            "US",
            "2020-06-01",
            ins(serde_json::json!({"id": "E1", "type": "exhibition"})),
        );
        let r = fold(&spec, &[ex]);
        assert!(r.problems[0].message.contains("paused"), "{:?}", r.problems);
        let ex = step(
            "US-E",
            "inspection_notice",
            "US",
            "2011-05-01",
            ins(serde_json::json!({"id": "E1", "type": "exhibition"})),
        );
        let r = fold(&spec, &[ex]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.inspections[0].inspecting, "RU", "the invited Party observes");
    }

    #[test]
    fn a_node_does_not_countersign_a_report_on_declared_data_that_are_not_its_database_s() {
        let spec = new_start();
        let history = History::parse(&spec, SMALL).expect("small");
        let mut declared = site_data(&spec, &history, "US", "US-A", d("2011-05-02")).expect("site");
        *declared.counts.get_mut("icbm").expect("icbm") += 5;
        let mut lines = notice_to_findings(&declared, serde_json::json!({"counts": {"icbm": 1}}));
        let r = fold(&spec, &lines);
        let rep = report_of(&spec, r.inspection("I1").expect("I1"), d("2011-05-03")).expect("report");
        let h = report_hash(&rep);
        lines.push(step(
            "RU-4",
            "inspection_report",
            "RU",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": h})),
        ));
        let sign = step(
            "US-5",
            "report_signature",
            "US",
            "2011-05-03",
            ins(serde_json::json!({"id": "I1", "report_sha256": h})),
        );
        let existing: Vec<Notification<'_>> = lines.iter().map(|t| parse_notification(t).expect("parses")).collect();
        let new = vec![parse_notification(&sign).expect("parses")];
        let e = Record::check_new(&spec, Some(&history), &existing, &new).expect_err("inflated data");
        assert!(e.contains("not this database's"), "{e}");
        // Without the replay (a partner's record folded as received) it is only folded.
        assert!(Record::check_new(&spec, None, &existing, &new).is_ok());
    }
}
