//! Compliance: each limit's value against its ceiling on a date (binding or not, margin,
//! violation), and, in a separate list, findings: late or missing notifications against their
//! deadlines, missing data exchanges, and declared totals that disagree with the item-level data.
//!
//! Invariants: a limit is binding only while the treaty is in force and from the date the limits
//! take effect; a value over a limit that is not binding is over but is not a violation; a
//! value that was not published or declared stays `None` and is never filled in. Findings are
//! judged "as of the end of" an evaluation date: a notification counts as missing once its due
//! date has passed without receipt, and as late once it has been received after its due date.

use accord_treaty::catalogue::{AsOf, Due, Effect};
use accord_treaty::provenance::{note_unconfirmed, Unconfirmed};
use accord_treaty::{Date, TreatySpec};
use serde::Serialize;

use crate::history::History;
use crate::replay::Outcome;

/// One limit on one date for one Party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitCheck {
    /// Limit name.
    pub name: String,
    /// Value, `null` when not published / not declared.
    pub value: Option<u64>,
    /// Ceiling.
    pub limit: u64,
    /// True when the limit binds on that date.
    pub binding: bool,
    /// Ceiling minus value; negative when over.
    pub margin: Option<i64>,
    /// Over a binding limit.
    pub violation: bool,
}

/// One Party on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Date.
    pub as_of: Date,
    /// Party code.
    pub party: String,
    /// The treaty's status on that date (`not_signed`, `signed_not_in_force`, `in_force`, `expired`).
    pub treaty_status: &'static str,
    /// Each limit.
    pub limits: Vec<LimitCheck>,
    /// For replayed data: the as-of date of the declaration the warhead figure comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_as_of: Option<Date>,
    /// For published data: where the numbers were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// For published data: the government page that publishes the figures, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact_sheet: Option<String>,
    /// For published data: when the figures were first published, when a source gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact_sheet_date: Option<Date>,
    /// For published data: the row's line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For published data: what the row holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<RowStatus>,
}

/// What a row of published figures holds (the CSV's optional `status` column; blank:
/// published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    /// The figures as published; a blank cell was not published.
    Published,
    /// Published by the Parties, but no source for the figures was found: every cell blank.
    Unsourced,
}

impl RowStatus {
    /// Every status.
    pub const ALL: [RowStatus; 2] = [RowStatus::Published, RowStatus::Unsourced];

    /// The word in the CSV and in reports.
    pub fn word(self) -> &'static str {
        match self {
            RowStatus::Published => "published",
            RowStatus::Unsourced => "unsourced",
        }
    }
}

/// A value over a binding limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Date.
    pub as_of: Date,
    /// Party code.
    pub party: String,
    /// Limit name.
    pub name: String,
    /// Value.
    pub value: u64,
    /// Ceiling.
    pub limit: u64,
}

/// Checks one Party's figures on one date against every limit.
pub fn check_limits(
    spec: &TreatySpec,
    as_of: Date,
    party: &str,
    values: &[Option<u64>],
    unconfirmed: &mut Vec<Unconfirmed>,
) -> (Row, Vec<Violation>) {
    let status = spec.lifecycle.status_on(as_of);
    for u in status.unconfirmed {
        note_unconfirmed(unconfirmed, u);
    }
    let binding = spec.limits_bind_on(as_of);
    let mut violations = Vec::new();
    let limits = spec
        .limits
        .iter()
        .zip(values)
        .map(|(l, v)| {
            let margin = v.map(|v| l.value as i64 - v as i64);
            let violation = binding && v.is_some_and(|v| v > l.value);
            if let (true, Some(v)) = (violation, v) {
                violations.push(Violation {
                    as_of,
                    party: party.to_owned(),
                    name: l.name.clone(),
                    value: *v,
                    limit: l.value,
                });
            }
            LimitCheck {
                name: l.name.clone(),
                value: *v,
                limit: l.value,
                binding,
                margin,
                violation,
            }
        })
        .collect();
    (
        Row {
            as_of,
            party: party.to_owned(),
            treaty_status: status.phase.name(),
            limits,
            declared_as_of: None,
            source_url: None,
            fact_sheet: None,
            fact_sheet_date: None,
            line: None,
            published: None,
        },
        violations,
    )
}

/// A late or missing notification, a missing data exchange, or a discrepancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Finding {
    /// Received after its due time.
    LateNotification {
        /// Party code.
        party: String,
        /// Notification id.
        id: String,
        /// Kind.
        kind: String,
        /// Line in the history.
        line: u32,
        /// Event date.
        date: Date,
        /// Due (last day on time, GMT).
        due: String,
        /// Received.
        received: String,
    },
    /// Not received by its due time (held, or never acknowledged).
    MissingNotification {
        /// Party code.
        party: String,
        /// Notification id.
        id: String,
        /// Kind.
        kind: String,
        /// Line in the history.
        line: u32,
        /// Event date.
        date: Date,
        /// Due.
        due: String,
        /// True when the notification exists but was never sent (held).
        held: bool,
    },
    /// A data exchange (initial data, six-month update) not provided by its due date.
    MissingDataExchange {
        /// Party code.
        party: String,
        /// Kind.
        kind: String,
        /// The date the data are as of.
        as_of: Date,
        /// Due.
        due: Date,
        /// The held notification, if the Party prepared one but did not provide it.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// A declared total differs from the total the item-level data give.
    Discrepancy {
        /// Party code.
        party: String,
        /// Notification id.
        id: String,
        /// Kind.
        kind: String,
        /// Line in the history.
        line: u32,
        /// As of.
        as_of: Date,
        /// Limit name.
        name: String,
        /// Declared.
        declared: u64,
        /// Computed from the items.
        computed: u64,
    },
    /// An inspection found other than what was declared (its report signed by both Parties);
    /// it opens an item on the Bilateral Consultative Commission's agenda.
    InspectionDiscrepancy {
        /// The inspected Party.
        party: String,
        /// The inspection.
        inspection: String,
        /// When the report was signed by both.
        date: Date,
        /// What (a category code, or `reentry_vehicles:<missile>`).
        what: String,
        /// Declared.
        declared: u64,
        /// Found.
        observed: u64,
        /// The Commission's agenda item it opens.
        agenda_item: String,
    },
    /// A notified inspection the inspected Party refused.
    InspectionRefused {
        /// The inspected Party.
        party: String,
        /// The inspection.
        inspection: String,
        /// When.
        date: Date,
        /// The reason given.
        reason: String,
    },
}

impl Finding {
    pub(crate) fn sort_key(&self) -> (Date, String, u32) {
        match self {
            Finding::LateNotification { date, party, line, .. } | Finding::MissingNotification { date, party, line, .. } => {
                (*date, party.clone(), *line)
            }
            Finding::MissingDataExchange { as_of, party, .. } => (*as_of, party.clone(), 0),
            Finding::Discrepancy { as_of, party, line, .. } => (*as_of, party.clone(), *line),
            Finding::InspectionDiscrepancy { date, party, .. } | Finding::InspectionRefused { date, party, .. } => {
                (*date, party.clone(), u32::MAX)
            }
        }
    }
}

fn due_text(d: Due) -> String {
    match d {
        Due::Date { date } => date.to_string(),
        Due::Instant { unix } => crate::notification::Timestamp::from_unix(unix).to_string(),
    }
}

fn passed(due: Due, at: Date) -> bool {
    match due {
        Due::Date { date } => date < at,
        Due::Instant { unix } => unix < crate::notification::Timestamp::at_midnight(at).unix(),
    }
}

fn on_time(due: Due, received: crate::notification::Timestamp) -> bool {
    match due {
        Due::Date { date } => received.date() <= date,
        Due::Instant { unix } => received.unix() <= unix,
    }
}

/// Findings as of the end of day `at` (exclusive of later receipts): late and missing
/// notifications, missing data exchanges, discrepancies. Notifications whose due date falls
/// after the treaty's end are not findings (the obligation ended with the treaty). Also lists
/// the unconfirmed catalogue entries the judgement rested on.
pub fn findings(spec: &TreatySpec, history: &History, outcome: &Outcome, at: Date, unconfirmed: &mut Vec<Unconfirmed>) -> Vec<Finding> {
    let eif = spec.lifecycle.entry_into_force();
    let end = spec.lifecycle.end_exclusive();
    let within_life = |d: Due| match d {
        Due::Date { date } => date < end,
        Due::Instant { unix } => unix < crate::notification::Timestamp::at_midnight(end).unix(),
    };
    let mut out = Vec::new();
    let parties = spec.parties.len();
    // Which data exchanges each party provided (or held), by as-of date.
    let mut declared: Vec<std::collections::BTreeMap<Date, usize>> = vec![Default::default(); parties];
    let mut initial: Vec<Option<usize>> = vec![None; parties];
    let mut used_kinds = vec![false; spec.catalogue.kinds().len()];
    for (i, e) in history.events.iter().enumerate() {
        let kind = spec.catalogue.at(e.kind as usize);
        let party = &spec.parties[e.party.0 as usize].code;
        if e.date > at {
            continue;
        }
        used_kinds[e.kind as usize] = true;
        match (kind.effect, kind.as_of) {
            (Effect::InitialData, _) => {
                initial[e.party.0 as usize] = Some(i);
            }
            (Effect::DataUpdate, Some(AsOf::PeriodBoundary)) => {
                declared[e.party.0 as usize].insert(e.date, i);
            }
            _ => {}
        }
        let Some(due) = kind.deadline.due(e.date, eif) else { continue };
        if !within_life(due) {
            continue;
        }
        let received = e.received.filter(|r| r.date() <= at);
        match received {
            Some(r) if !on_time(due, r) => out.push(Finding::LateNotification {
                party: party.clone(),
                id: history.id(e).to_owned(),
                kind: kind.kind.clone(),
                line: e.line,
                date: e.date,
                due: due_text(due),
                received: r.to_string(),
            }),
            Some(_) => {}
            None if passed(due, at) => {
                if kind.effect == Effect::InitialData || (kind.effect == Effect::DataUpdate && kind.as_of == Some(AsOf::PeriodBoundary)) {
                    out.push(Finding::MissingDataExchange {
                        party: party.clone(),
                        kind: kind.kind.clone(),
                        as_of: e.date,
                        due: match due {
                            Due::Date { date } => date,
                            Due::Instant { unix } => crate::notification::Timestamp::from_unix(unix).date(),
                        },
                        id: Some(history.id(e).to_owned()),
                    });
                } else {
                    out.push(Finding::MissingNotification {
                        party: party.clone(),
                        id: history.id(e).to_owned(),
                        kind: kind.kind.clone(),
                        line: e.line,
                        date: e.date,
                        due: due_text(due),
                        held: e.sent.is_none(),
                    });
                }
            }
            None => {}
        }
    }
    for (k, _) in used_kinds.iter().enumerate().filter(|(_, used)| **used) {
        spec.unconfirmed_kind(spec.catalogue.at(k), unconfirmed);
    }
    // Data exchanges with no notification at all.
    let init_kind = spec.catalogue.kinds().iter().find(|k| k.effect == Effect::InitialData);
    let update_kind = spec
        .catalogue
        .kinds()
        .iter()
        .find(|k| k.effect == Effect::DataUpdate && k.as_of == Some(AsOf::PeriodBoundary));
    for p in 0..parties {
        let party = &spec.parties[p].code;
        if let (None, Some(k)) = (initial[p], init_kind) {
            if let Some(due @ Due::Date { date }) = k.deadline.due(eif, eif) {
                if passed(due, at) && within_life(due) {
                    out.push(Finding::MissingDataExchange {
                        party: party.clone(),
                        kind: k.kind.clone(),
                        as_of: eif,
                        due: date,
                        id: None,
                    });
                }
            }
        }
        if let Some(k) = update_kind {
            for b in spec.period_boundaries() {
                if declared[p].contains_key(&b) {
                    continue;
                }
                if let Some(due @ Due::Date { date }) = k.deadline.due(b, eif) {
                    if passed(due, at) && within_life(due) {
                        out.push(Finding::MissingDataExchange {
                            party: party.clone(),
                            kind: k.kind.clone(),
                            as_of: b,
                            due: date,
                            id: None,
                        });
                    }
                }
            }
        }
    }
    for d in &outcome.discrepancies {
        let e = &history.events[d.event];
        if e.date > at {
            continue;
        }
        out.push(Finding::Discrepancy {
            party: spec.parties[e.party.0 as usize].code.clone(),
            id: history.id(e).to_owned(),
            kind: spec.catalogue.at(e.kind as usize).kind.clone(),
            line: e.line,
            as_of: e.date,
            name: spec.limits[d.discrepancy.limit].name.clone(),
            declared: d.discrepancy.declared,
            computed: d.discrepancy.computed,
        });
    }
    out.sort_by_key(|f| f.sort_key());
    out
}

/// A compliance report: rows, violations, findings, and the unconfirmed values used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Treaty id.
    pub treaty: String,
    /// For history reports: the date findings are judged as of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<Date>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Values over binding limits.
    pub violations: Vec<Violation>,
    /// Findings (history reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// Unconfirmed spec values the report rests on.
    pub unconfirmed: Vec<Unconfirmed>,
}

impl Report {
    /// True when a check failed: a violation or a finding.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty() || self.findings.as_ref().is_some_and(|f| !f.is_empty())
    }
}

/// A compliance report from a replayed history: rows for every Party on every date of `dates`
/// (figures as replayed), and findings as of `at`.
pub fn history_report(spec: &TreatySpec, history: &History, outcome: &Outcome, at: Date) -> Report {
    let mut unconfirmed = Vec::new();
    for l in &spec.limits {
        spec.unconfirmed_counting(l, &mut unconfirmed);
    }
    let mut rows = Vec::new();
    let mut violations = Vec::new();
    for s in &outcome.snapshots {
        let party = &spec.parties[s.party].code;
        let (mut row, v) = check_limits(spec, s.date, party, &s.values, &mut unconfirmed);
        row.declared_as_of = s.declared_as_of;
        rows.push(row);
        violations.extend(v);
    }
    let findings = findings(spec, history, outcome, at, &mut unconfirmed);
    Report {
        treaty: spec.id.clone(),
        evaluated_at: Some(at),
        rows,
        violations,
        findings: Some(findings),
        unconfirmed,
    }
}
