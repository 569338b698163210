//! The treaty's real history as data (`accord-history/1`): every dated event, with its source,
//! how precisely its date is known, and what it started or stopped (inspections, data
//! exchanges, notifications). The regime's status on a date is computed from it by
//! [`crate::regime::status_on`].
//!
//! The lifecycle ([`crate::lifecycle`]) stays the one mechanism that decides whether the treaty
//! is in force; the history lists the lifecycle's events too (they must agree: same kind, date
//! and Party both ways) and adds everything around them. Invariants of a parsed history: events
//! in date order, every source key in `[sources]`, every Party known, effects only on the kinds
//! that can have them. Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::lifecycle::{EventKind, LifecycleEvent, Precision, TreatyStatus};

/// The history format this build reads.
pub const HISTORY_FORMAT: &str = "accord-history/1";

/// Whether inspections can be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inspections {
    /// Not yet (before the date inspection activities may begin).
    NotYet,
    /// Possible within the quotas.
    Possible,
    /// Paused by mutual decision.
    Paused,
    /// Refused by the inspected Party (an exemption, a suspension).
    Refused,
    /// No treaty in force.
    None,
}

/// Whether a Party provides its treaty data (the six-monthly updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Data {
    /// Exchanged.
    Exchanged,
    /// Withheld.
    Withheld,
    /// No treaty in force.
    None,
}

/// Whether a Party gives the treaty's notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notifications {
    /// Given.
    Given,
    /// Stopped.
    Stopped,
    /// No treaty in force.
    None,
}

/// What an event started or stopped from its date on, for its Party (both when it names none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    /// Inspections on the territory of the Party named (or both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspections: Option<Inspections>,
    /// The Party's treaty data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Data>,
    /// The Party's notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Notifications>,
}

impl Effects {
    /// True when the event changes nothing.
    pub fn is_empty(&self) -> bool {
        self.inspections.is_none() && self.data.is_none() && self.notifications.is_none()
    }
}

/// One dated event of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// Date, kind, precision, Party, text, source and status, as in the lifecycle.
    #[serde(flatten)]
    pub event: LifecycleEvent,
    /// A one-line title.
    pub title: String,
    /// What it started or stopped.
    #[serde(default, skip_serializing_if = "Effects::is_empty")]
    pub effects: Effects,
    /// For a statement that continues (restates, conditions or extends) a unilateral
    /// commitment: that commitment's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<Date>,
}

/// The state of one Party's side of the regime on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PartySide {
    /// Party code.
    pub party: String,
    /// Inspections on its territory.
    pub inspections: Inspections,
    /// Its treaty data.
    pub data: Data,
    /// Its notifications.
    pub notifications: Notifications,
    /// The event that set `inspections`, if an event did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspections_by: Option<RestsOn>,
    /// The event that set `data`, if an event did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_by: Option<RestsOn>,
    /// The event that set `notifications`, if an event did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications_by: Option<RestsOn>,
}

/// One obligation of the treaty on a date, as terms a program can read (beside the sentences
/// of [`RegimeStatus::obligations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObligationTerm {
    /// `data_and_notifications`, `inspections`, `consultative_commission`, `central_limits`.
    pub key: String,
    /// Whether it applies on the date.
    pub applies: bool,
    /// The first day it applies (while the treaty is in force).
    pub from: Date,
    /// The last day it applies.
    pub until: Date,
    /// The treaty clause it comes from.
    pub clause: String,
}

/// An event a status answer rests on, with how precisely its date is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RestsOn {
    /// Date.
    pub date: Date,
    /// Precision of the date.
    pub precision: Precision,
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: String,
    /// Source key.
    pub source: String,
    /// For an event that continues a unilateral commitment: that commitment's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<Date>,
}

/// The regime on one date: the lifecycle's answer and what the history adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RegimeStatus {
    /// Phase, entry into force, last day in force (from the lifecycle).
    #[serde(flatten)]
    pub treaty: TreatyStatus,
    /// Obligations that apply on the date (empty when not in force).
    pub obligations: Vec<String>,
    /// The treaty's obligations as terms: each with whether it applies on the date, from and
    /// until when, and its clause (listed whether or not in force, so that a program reads
    /// `applies` rather than searching the sentences).
    #[serde(default)]
    pub obligation_terms: Vec<ObligationTerm>,
    /// Each Party's side: inspections on its territory, its data, its notifications.
    pub parties: Vec<PartySide>,
    /// Suspensions in effect (not a treaty mechanism: the treaty stays in force).
    pub suspended_by: Vec<String>,
    /// Unilateral political commitments made by the date (not treaty obligations).
    pub commitments: Vec<RestsOn>,
    /// The events the answer rests on, with the precision of their dates.
    pub rests_on: Vec<RestsOn>,
    /// Proposals and counter-proposals of the history made by the date and still open (not
    /// yet overtaken by an extension or the treaty's end).
    pub open_proposals: Vec<RestsOn>,
}

/// Checks that the lifecycle and the history list the same lifecycle events (kind, date,
/// Party); returns the first disagreement as (index in the history or `None`, message).
pub(crate) fn agree(lifecycle: &[LifecycleEvent], history: &[HistoryEvent]) -> Result<(), (Option<usize>, String)> {
    let key = |e: &LifecycleEvent| (e.kind.name(), e.date, e.party.clone());
    let life: Vec<_> = lifecycle.iter().map(key).collect();
    for (i, h) in history.iter().enumerate() {
        if h.event.kind.is_lifecycle() && !life.contains(&key(&h.event)) {
            return Err((
                Some(i),
                format!(
                    "{} on {} is not in the lifecycle file, which decides the treaty's life",
                    h.event.kind.name(),
                    h.event.date
                ),
            ));
        }
    }
    let hist: Vec<_> = history.iter().map(|h| key(&h.event)).collect();
    for l in lifecycle {
        if !hist.contains(&key(l)) {
            return Err((
                None,
                format!("the lifecycle's {} on {} is missing from the history", l.kind.name(), l.date),
            ));
        }
    }
    Ok(())
}

/// The treaty's milestones in `spec`'s history, in date order: entry into force, the limits
/// taking effect, inspections paused, extension, exemption, suspension, withdrawal, expiry (a
/// what-if's spec has none after its day). The demo prints them as its clock passes them; the
/// record's charts mark them.
pub fn milestones(spec: &crate::TreatySpec) -> Vec<&HistoryEvent> {
    use crate::lifecycle::EventKind as K;
    let mut out: Vec<&HistoryEvent> = spec
        .history
        .iter()
        .filter(|e| {
            matches!(
                e.event.kind,
                K::EntryIntoForce
                    | K::LimitsInEffect
                    | K::InspectionPause
                    | K::Extension
                    | K::Exemption
                    | K::Suspension
                    | K::WithdrawalNotice
                    | K::Expiry
            )
        })
        .collect();
    out.sort_by_key(|e| e.event.date);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Phase;
    use crate::regime::status_on;

    fn on(s: &str) -> RegimeStatus {
        let spec = crate::builtin::new_start();
        status_on(&spec, crate::date::parse_date(s).expect("date"))
    }

    fn side<'a>(st: &'a RegimeStatus, p: &str) -> &'a PartySide {
        st.parties.iter().find(|s| s.party == p).expect("party")
    }

    #[test]
    fn the_real_history_gives_the_status_on_each_date() {
        // Before signature, signed, in force.
        assert_eq!(on("2010-01-01").treaty.phase, Phase::NotSigned);
        assert_eq!(on("2010-04-08").treaty.phase, Phase::SignedNotInForce);
        assert_eq!(on("2011-02-04").treaty.phase, Phase::SignedNotInForce);
        assert!(on("2011-02-04").obligations.is_empty());
        let eif = on("2011-02-05");
        assert_eq!(eif.treaty.phase, Phase::InForce);
        assert_eq!(side(&eif, "US").inspections, Inspections::NotYet);
        assert_eq!(side(&eif, "RU").data, Data::Exchanged);
        assert_eq!(side(&eif, "RU").notifications, Notifications::Given);
        assert_eq!(eif.treaty.last_day_in_force.to_string(), "2021-02-04");
        // Inspections from EIF + 60 days.
        assert_eq!(side(&on("2011-04-05"), "RU").inspections, Inspections::NotYet);
        assert_eq!(side(&on("2011-04-06"), "RU").inspections, Inspections::Possible);
        // The central limits from 2018-02-05.
        assert!(on("2018-02-04").obligations.iter().any(|o| o.contains("not yet")));
        let limits = on("2018-02-05");
        assert!(limits.obligations.iter().any(|o| o.contains("1550")), "{:?}", limits.obligations);
        // The COVID pause, dated approximately, and said so.
        assert_eq!(side(&on("2020-03-24"), "US").inspections, Inspections::Possible);
        let pause = on("2020-03-25");
        assert_eq!(side(&pause, "US").inspections, Inspections::Paused);
        assert!(pause
            .rests_on
            .iter()
            .any(|r| r.kind == EventKind::InspectionPause && r.precision == Precision::Approximate));
        // The October 2020 proposal and counter are open until the extension overtakes them.
        assert!(on("2020-10-12").open_proposals.is_empty());
        assert_eq!(on("2020-10-13").open_proposals.len(), 1, "the US offer, public by 13 October");
        assert_eq!(on("2020-10-16").open_proposals.len(), 2, "and Russia's of 16 October");
        assert_eq!(on("2021-01-26").open_proposals.len(), 3);
        assert!(on("2021-02-03").open_proposals.is_empty());
        // The extension: before the notes the treaty ends on 2021-02-04; after, on 2026-02-04.
        assert_eq!(on("2021-02-02").treaty.last_day_in_force.to_string(), "2021-02-04");
        assert_eq!(on("2021-02-03").treaty.last_day_in_force.to_string(), "2026-02-04");
        assert_eq!(on("2021-02-05").treaty.phase, Phase::InForce);
        // The 2022 exemption: Russia refuses; the US side stays paused.
        let ex = on("2022-08-08");
        assert_eq!(side(&ex, "RU").inspections, Inspections::Refused);
        assert_eq!(side(&ex, "US").inspections, Inspections::Paused);
        // The 2023 suspension: not a treaty mechanism (still in force); Russia's data and
        // notifications stop; the US withholds its data from 2023-03-28.
        let su = on("2023-02-28");
        assert!(su.treaty.in_force);
        assert_eq!(su.suspended_by, vec!["RU".to_owned()]);
        assert_eq!(side(&su, "RU").data, Data::Withheld);
        assert_eq!(side(&su, "RU").notifications, Notifications::Stopped);
        assert_eq!(side(&su, "US").data, Data::Exchanged);
        assert!(on("2023-02-27").suspended_by.is_empty());
        // The US countermeasures: its data withheld as announced on 2023-03-28; from
        // 2023-06-01 its notifications withheld and Russia's inspectors refused.
        assert_eq!(side(&on("2023-03-27"), "US").data, Data::Exchanged);
        assert_eq!(side(&on("2023-03-28"), "US").data, Data::Withheld);
        let before = on("2023-05-31");
        assert_eq!(side(&before, "US").notifications, Notifications::Given);
        assert_eq!(side(&before, "US").inspections, Inspections::Paused);
        let cm = on("2023-06-01");
        assert_eq!(side(&cm, "US").notifications, Notifications::Stopped);
        assert_eq!(side(&cm, "US").inspections, Inspections::Refused);
        assert_eq!(side(&cm, "US").data, Data::Withheld);
        assert!(cm.treaty.in_force, "a countermeasure, not a treaty mechanism");
        assert!(cm
            .rests_on
            .iter()
            .any(|r| r.kind == EventKind::Countermeasure && r.date.to_string() == "2023-06-01"));
        assert_eq!(side(&on("2024-06-01"), "US").notifications, Notifications::Stopped);
        // The US answers to the offer are dated, not approximate.
        let spec = crate::builtin::new_start();
        for (date, says) in [("2025-10-05", "a good idea"), ("2026-01-08", "If it expires")] {
            assert!(
                spec.history
                    .iter()
                    .any(|e| e.event.date.to_string() == date && e.event.precision == Precision::Day && e.title.contains(says)),
                "{date}"
            );
        }
        assert!(!spec
            .history
            .iter()
            .any(|e| e.event.date.to_string().as_str() >= "2025-01-01" && e.event.precision == Precision::Approximate));
        // The September 2025 offer: a commitment, not an obligation.
        assert!(on("2025-09-21").commitments.is_empty());
        assert_eq!(on("2025-09-22").commitments.len(), 1);
        // The last day, and expiry (which rests on the pinned, unconfirmed reading).
        let last = on("2026-02-04");
        assert!(last.treaty.in_force);
        assert!(last.treaty.unconfirmed.is_empty());
        let gone = on("2026-02-05");
        assert_eq!(gone.treaty.phase, Phase::Expired);
        assert!(gone.obligations.is_empty());
        assert_eq!(side(&gone, "US").inspections, Inspections::None);
        assert!(gone.suspended_by.is_empty());
        assert!(gone.treaty.unconfirmed.iter().any(|u| u.key == "lifecycle.last_day_in_force"));
        assert_eq!(gone.commitments.len(), 1);
        assert!(gone.rests_on.iter().any(|r| r.kind == EventKind::Expiry));
    }

    #[test]
    fn the_history_agrees_with_the_lifecycle() {
        let spec = crate::builtin::new_start();
        assert!(spec.history.len() >= 39);
        assert!(agree(&spec.lifecycle.events, &spec.history).is_ok());
        let mut h = spec.history.clone();
        let i = h.iter().position(|e| e.event.kind == EventKind::Extension).expect("extension");
        h[i].event.date = crate::date::parse_date("2021-02-04").expect("date");
        let (at, why) = agree(&spec.lifecycle.events, &h).expect_err("disagrees");
        assert_eq!(at, Some(i));
        assert!(why.contains("extension on 2021-02-04"), "{why}");
        h.remove(i);
        assert!(agree(&spec.lifecycle.events, &h)
            .expect_err("missing")
            .1
            .contains("missing from the history"));
    }

    fn parse_with(history: &str) -> Result<crate::spec::TreatySpec, crate::error::SpecError> {
        let history = history.to_owned();
        let load = move |name: &str| -> Result<crate::spec::LoadedFile, crate::error::SpecError> {
            let text = match name {
                "new-start-lifecycle.toml" => crate::builtin::NEW_START_LIFECYCLE.to_owned(),
                "new-start-history.toml" => history.clone(),
                _ => String::new(),
            };
            Ok(crate::spec::LoadedFile { name: name.into(), text })
        };
        crate::spec::TreatySpec::parse("new-start.toml", crate::builtin::NEW_START_SPEC, &load)
    }

    #[test]
    fn a_bad_history_is_refused_naming_the_field() {
        let good = crate::builtin::NEW_START_HISTORY;
        assert!(parse_with(good).is_ok());
        for (from, to, field) in [
            ("date = 2009-07-06", "date = 2009-04-06", "event.date"),
            ("source = \"sfrc-report\"", "source = \"nowhere\"", "event.source"),
            ("title = \"Drafting begins\"\n", "", "event.title"),
            ("note = \"late March 2020\"\n", "", "event.note"),
            ("kind = \"extension\"", "kind = \"statement\"", "event"),
            (
                "party = \"US\"\nprecision = \"day\"\ntitle = \"US: the",
                "party = \"XX\"\nprecision = \"day\"\ntitle = \"US: the",
                "event.party",
            ),
            ("inspections = \"paused\"", "inspections = \"maybe\"", "inspections"),
        ] {
            assert!(good.contains(from), "{from}");
            let e = parse_with(&good.replacen(from, to, 1)).expect_err(from).to_string();
            assert!(e.contains(field) && e.contains("new-start-history.toml"), "{from}: {e}");
        }
    }
}
