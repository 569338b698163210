//! The treaty's life as data: term, extension and withdrawal rules, and dated lifecycle events
//! (signature, ratification, entry into force, extension, expiry).
//!
//! Invariants of a validated [`Lifecycle`]: exactly one entry into force, after signature;
//! extensions fall inside the treaty's life at the time and respect the extension rule; the
//! pinned last day in force is the day before the end computed from term and extensions, and
//! the expiry event (if any) is that end. Later work (negotiation, history) extends this file
//! and this type; it does not add a second mechanism.

use serde::Serialize;

use crate::date::{add_days, add_months, add_years, Date};
use crate::provenance::{note_unconfirmed, Provenance, Unconfirmed};

/// How precisely a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// The day is known.
    Day,
    /// Only the month is known.
    Month,
    /// Approximate.
    Approximate,
}

/// Kinds of lifecycle events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The treaty is signed.
    Signature,
    /// A Party ratifies (its conditions and statements as text).
    Ratification,
    /// Entry into force.
    EntryIntoForce,
    /// Extension by agreement for `years`.
    Extension,
    /// The first day without the treaty.
    Expiry,
    /// A Party's notice of withdrawal (Art. XIV para 3): the treaty ends after the notice
    /// period of the withdrawal rule.
    WithdrawalNotice,
    /// A Party "suspends" its participation: not a treaty mechanism (the treaty stays in
    /// force); what stopped is in the event's effects.
    Suspension,
    /// A Party's unilateral political commitment (for example to keep to the limits after
    /// expiry), not a treaty obligation.
    UnilateralCommitment,
    /// A step of a Party's ratification before the final act (a committee report, one chamber's
    /// vote, the law's signature).
    RatificationStep,
    /// Negotiation: talks, an agreement in principle, a call.
    Negotiation,
    /// A proposal by one Party.
    Proposal,
    /// A counter-proposal.
    CounterProposal,
    /// A statement or announcement without legal effect on the treaty.
    Statement,
    /// A data exchange (due or held).
    DataExchange,
    /// A session of the Bilateral Consultative Commission (held or postponed).
    BccSession,
    /// Inspection activities may begin.
    InspectionsBegin,
    /// An inspection.
    Inspection,
    /// Inspections paused by mutual decision.
    InspectionPause,
    /// A Party temporarily exempts its facilities from inspection (Protocol Part Five, Section I).
    Exemption,
    /// A countermeasure by one Party (withholding data, say).
    Countermeasure,
    /// The central limits take effect.
    LimitsInEffect,
}

impl EventKind {
    /// True for the kinds that belong to the treaty's life (the lifecycle file holds them; a
    /// history lists them too, and must agree).
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            EventKind::Signature
                | EventKind::Ratification
                | EventKind::EntryIntoForce
                | EventKind::Extension
                | EventKind::Expiry
                | EventKind::WithdrawalNotice
                | EventKind::Suspension
                | EventKind::UnilateralCommitment
        )
    }

    /// The name used in files and JSON.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Signature => "signature",
            EventKind::Ratification => "ratification",
            EventKind::EntryIntoForce => "entry_into_force",
            EventKind::Extension => "extension",
            EventKind::Expiry => "expiry",
            EventKind::WithdrawalNotice => "withdrawal_notice",
            EventKind::Suspension => "suspension",
            EventKind::UnilateralCommitment => "unilateral_commitment",
            EventKind::RatificationStep => "ratification_step",
            EventKind::Negotiation => "negotiation",
            EventKind::Proposal => "proposal",
            EventKind::CounterProposal => "counter_proposal",
            EventKind::Statement => "statement",
            EventKind::DataExchange => "data_exchange",
            EventKind::BccSession => "bcc_session",
            EventKind::InspectionsBegin => "inspections_begin",
            EventKind::Inspection => "inspection",
            EventKind::InspectionPause => "inspection_pause",
            EventKind::Exemption => "exemption",
            EventKind::Countermeasure => "countermeasure",
            EventKind::LimitsInEffect => "limits_in_effect",
        }
    }
}

/// One dated event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LifecycleEvent {
    /// When.
    pub date: Date,
    /// What.
    pub kind: EventKind,
    /// How precisely the date is known.
    pub precision: Precision,
    /// The Party concerned, for one-sided events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Years, for an extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
    /// Where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Conditions, statements or a description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Source and status.
    pub provenance: Provenance,
}

/// A rule with a number: term, extension or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The number (years or months).
    pub value: u32,
    /// A second number (the most extensions allowed), where the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Treaty article.
    pub article: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// The pinned last day in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinnedDate {
    /// The date used.
    pub date: Date,
    /// The other reading the sources allow.
    pub alternative: Option<Date>,
    /// Why this date.
    pub reason: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// Where the treaty stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before signature.
    NotSigned,
    /// Signed, not yet in force.
    SignedNotInForce,
    /// In force.
    InForce,
    /// Expired (or terminated).
    Expired,
}

impl Phase {
    /// Short name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Phase::NotSigned => "not_signed",
            Phase::SignedNotInForce => "signed_not_in_force",
            Phase::InForce => "in_force",
            Phase::Expired => "expired",
        }
    }
}

/// The treaty's status on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TreatyStatus {
    /// The date asked about.
    pub date: Date,
    /// Phase on that date.
    pub phase: Phase,
    /// True when in force.
    pub in_force: bool,
    /// Entry into force.
    pub entry_into_force: Date,
    /// The last day in force, as far as the lifecycle known on `date` says.
    pub last_day_in_force: Date,
    /// Unconfirmed values the answer rests on.
    pub unconfirmed: Vec<Unconfirmed>,
}

/// The treaty's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Art. XIV(2) term in years.
    pub term: Rule,
    /// Extension rule: most years per extension, most extensions.
    pub extension: Rule,
    /// Withdrawal: months from notice to termination.
    pub withdrawal: Rule,
    /// The pinned last day in force.
    pub last_day_in_force: PinnedDate,
    /// Dated events, in date order.
    pub events: Vec<LifecycleEvent>,
    entry_into_force: Date,
    end_exclusive: Date,
}

/// Why a lifecycle is inconsistent; the caller adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LifecycleProblem {
    /// Index of the event concerned, or `None` for a top-level field.
    pub event: Option<usize>,
    /// Field name.
    pub field: &'static str,
    /// Message.
    pub message: String,
}

impl Lifecycle {
    pub(crate) fn build(
        term: Rule,
        extension: Rule,
        withdrawal: Rule,
        last_day_in_force: PinnedDate,
        mut events: Vec<LifecycleEvent>,
    ) -> Result<Lifecycle, LifecycleProblem> {
        let problem = |event, field, message: String| LifecycleProblem { event, field, message };
        let sorted = events.windows(2).position(|w| w[1].date < w[0].date);
        if let Some(i) = sorted {
            return Err(problem(Some(i + 1), "date", "events must be listed in date order".into()));
        }
        let eifs: Vec<usize> = (0..events.len()).filter(|&i| events[i].kind == EventKind::EntryIntoForce).collect();
        let eif_index = match eifs.as_slice() {
            [one] => *one,
            [] => return Err(problem(None, "event", "no entry_into_force event".into())),
            [_, second, ..] => return Err(problem(Some(*second), "kind", "a second entry_into_force event".into())),
        };
        let eif = events[eif_index].date;
        if let Some(sig) = events.iter().position(|e| e.kind == EventKind::Signature) {
            if events[sig].date > eif {
                return Err(problem(Some(sig), "date", "signature after entry into force".into()));
            }
        }
        if let Some(i) = events.iter().position(|e| !e.kind.is_lifecycle()) {
            return Err(problem(
                Some(i),
                "kind",
                format!("a {} event belongs in the history file, not the lifecycle", events[i].kind.name()),
            ));
        }
        let mut end = add_years(eif, term.value as i32);
        let mut extensions = 0u32;
        for (i, e) in events.iter().enumerate() {
            if e.kind != EventKind::Extension {
                continue;
            }
            let years = e
                .years
                .ok_or_else(|| problem(Some(i), "years", "an extension needs `years`".into()))?;
            if e.date < eif || e.date >= end {
                return Err(problem(
                    Some(i),
                    "date",
                    format!(
                        "extension on {} is outside the treaty's life ({eif} to {})",
                        e.date,
                        add_days(end, -1)
                    ),
                ));
            }
            if years == 0 || years > extension.value {
                return Err(problem(
                    Some(i),
                    "years",
                    format!(
                        "extension of {years} years; the extension rule ({}) allows 1 to {}",
                        extension.article, extension.value
                    ),
                ));
            }
            extensions += 1;
            if let Some(max) = extension.count {
                if extensions > max {
                    return Err(problem(
                        Some(i),
                        "kind",
                        format!(
                            "extension number {extensions}; the extension rule ({}) allows {max}",
                            extension.article
                        ),
                    ));
                }
            }
            end = add_years(end, years as i32);
        }
        // A withdrawal notice ends the treaty after the notice period (if that comes first).
        if let Some(i) = events.iter().position(|e| e.kind == EventKind::WithdrawalNotice) {
            let e = &events[i];
            if e.party.is_none() {
                return Err(problem(Some(i), "party", "a withdrawal notice needs the Party giving it".into()));
            }
            if e.date < eif || e.date >= end {
                return Err(problem(
                    Some(i),
                    "date",
                    format!("a withdrawal notice on {} while the treaty is not in force", e.date),
                ));
            }
            end = end.min(add_months(e.date, withdrawal.value as i32));
        }
        let last = add_days(end, -1);
        if last_day_in_force.date != last {
            return Err(problem(
                None,
                "last_day_in_force.date",
                format!(
                    "{} disagrees with the term and extensions, which end after {last}",
                    last_day_in_force.date
                ),
            ));
        }
        if let Some(i) = events.iter().position(|e| e.kind == EventKind::Expiry) {
            if events[i].date != end {
                return Err(problem(
                    Some(i),
                    "date",
                    format!("expiry on {} but the treaty's last day in force is {last}", events[i].date),
                ));
            }
        }
        events.shrink_to_fit();
        Ok(Lifecycle {
            term,
            extension,
            withdrawal,
            last_day_in_force,
            events,
            entry_into_force: eif,
            end_exclusive: end,
        })
    }

    /// The lifecycle with an extension by `years` agreed on `date` (a proposal accepted in a
    /// Party's record), checked against the extension rule like the file's own extensions. An
    /// expiry event after `date` is dropped (the agreement moves it); the pinned last day
    /// becomes the new one. Errors name the rule and whether it is confirmed treaty text.
    pub fn with_agreed_extension(&self, date: Date, years: u32, text: String, provenance: Provenance) -> Result<Lifecycle, String> {
        let standing = if self.extension.provenance.is_unconfirmed() {
            "UNCONFIRMED as treaty text"
        } else {
            "confirmed treaty text"
        };
        if !self.in_force(date) {
            return Err(format!("the treaty is not in force on {date}: nothing to extend"));
        }
        let mut events: Vec<LifecycleEvent> = self
            .events
            .iter()
            .filter(|e| !(e.kind == EventKind::Expiry && e.date > date))
            .cloned()
            .collect();
        let at = events.iter().position(|e| e.date > date).unwrap_or(events.len());
        events.insert(
            at,
            LifecycleEvent {
                date,
                kind: EventKind::Extension,
                precision: Precision::Day,
                party: None,
                years: Some(years),
                place: None,
                text: Some(text),
                provenance,
            },
        );
        let mut pinned = self.last_day_in_force.clone();
        pinned.date = add_days(add_years(self.end_exclusive, years as i32), -1);
        pinned.alternative = None;
        pinned.reason = format!("extended by {years} years by agreement on {date}");
        Lifecycle::build(self.term.clone(), self.extension.clone(), self.withdrawal.clone(), pinned, events)
            .map_err(|p| format!("{} ({}; {standing})", p.message, self.extension.article))
    }

    /// The lifecycle as it was known on `date`, for a what-if played from that day: the events
    /// after it left out, the last day in force the term and the extensions known by then give.
    /// `None` before entry into force (nothing to play against).
    pub fn as_known_on(&self, date: Date) -> Option<Lifecycle> {
        if date < self.entry_into_force {
            return None;
        }
        let events: Vec<LifecycleEvent> = self.events.iter().filter(|e| e.date <= date).cloned().collect();
        let mut end = add_years(self.entry_into_force, self.term.value as i32);
        for e in events.iter().filter(|e| e.kind == EventKind::Extension) {
            end = add_years(end, e.years.unwrap_or(0) as i32);
        }
        if let Some(e) = events.iter().find(|e| e.kind == EventKind::WithdrawalNotice) {
            end = end.min(add_months(e.date, self.withdrawal.value as i32));
        }
        let mut pinned = self.last_day_in_force.clone();
        pinned.date = add_days(end, -1);
        pinned.alternative = None;
        pinned.reason = format!("as known on {date}: a what-if, the record's later events left out");
        Lifecycle::build(self.term.clone(), self.extension.clone(), self.withdrawal.clone(), pinned, events).ok()
    }

    /// Entry into force.
    pub fn entry_into_force(&self) -> Date {
        self.entry_into_force
    }

    /// The first day without the treaty.
    pub fn end_exclusive(&self) -> Date {
        self.end_exclusive
    }

    /// Signature date, if recorded.
    pub fn signature(&self) -> Option<Date> {
        self.events.iter().find(|e| e.kind == EventKind::Signature).map(|e| e.date)
    }

    /// True if the treaty is in force on `d`.
    pub fn in_force(&self, d: Date) -> bool {
        d >= self.entry_into_force && d < self.end_exclusive
    }

    /// The date a period of `months` after `d` ends (e.g. withdrawal notice).
    pub fn months_after(d: Date, months: u32) -> Date {
        add_months(d, months as i32)
    }

    /// The treaty's status on `d`, listing the unconfirmed values the answer rests on.
    pub fn status_on(&self, d: Date) -> TreatyStatus {
        let mut unconfirmed = Vec::new();
        // The last day known on `d`: term plus the extensions in force by then.
        let mut end = add_years(self.entry_into_force, self.term.value as i32);
        for e in &self.events {
            if e.kind == EventKind::Extension && e.date <= d {
                end = add_years(end, e.years.unwrap_or(0) as i32);
            }
        }
        let phase = if d >= self.entry_into_force && d < self.end_exclusive {
            Phase::InForce
        } else if d >= self.end_exclusive {
            Phase::Expired
        } else if self.signature().is_some_and(|s| d >= s) {
            Phase::SignedNotInForce
        } else {
            Phase::NotSigned
        };
        // The pinned last day decides the answer only on days between the two readings.
        let pinned = &self.last_day_in_force;
        if let Some(alt) = pinned.alternative {
            let (lo, hi) = if alt < pinned.date {
                (alt, pinned.date)
            } else {
                (pinned.date, alt)
            };
            if d > lo && d <= hi {
                note_unconfirmed(
                    &mut unconfirmed,
                    Unconfirmed {
                        key: "lifecycle.last_day_in_force".into(),
                        value: pinned.date.to_string(),
                        note: pinned.reason.clone(),
                    },
                );
            }
        }
        TreatyStatus {
            date: d,
            phase,
            in_force: phase == Phase::InForce,
            entry_into_force: self.entry_into_force,
            last_day_in_force: add_days(end.min(self.end_exclusive).max(self.entry_into_force), -1),
            unconfirmed,
        }
    }
}
