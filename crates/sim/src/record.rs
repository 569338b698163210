//! The public record as a chart draws it: each Party's aggregate figure for each central limit
//! at each data-exchange date, 2011 to the treaty's end, each point saying where it comes from,
//! and the milestones to mark on the time axis.
//!
//! Invariants: a point is `published` only when `data/new-start-aggregates.csv` has the figure
//! (with its source), `derived` only for the arithmetic of [`crate::targets::DERIVED`],
//! `unsourced` when the Parties published the row but no source for its figures was found,
//! `withheld` when the real history says the Party withheld its data on that date and nothing
//! was published, `modelled` otherwise (the synthetic history's figure: not a fact). Only
//! published and derived points carry a `value`; a modelled or withheld point carries the
//! model's figure as `modelled`, so that a chart can draw it apart. Pure: no I/O.

use accord_ledger::{compliance::RowStatus, published::parse_published};
use accord_treaty::{history::Data, Date, TreatySpec};
use serde::Serialize;

use crate::targets::{targets, Basis, AGGREGATES_CSV};
use crate::SimError;

/// Where a point of the record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointBasis {
    /// Published by the Parties (the aggregates file, with its source).
    Published,
    /// Implied by arithmetic from a published source.
    Derived,
    /// The Parties published the row, but no source for its figures was found.
    Unsourced,
    /// The Party withheld its data (the suspension and the US countermeasures of 2023).
    Withheld,
    /// Chosen by the model: interpolated or held; not a fact.
    Modelled,
}

/// One point of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// The data-exchange date.
    pub as_of: Date,
    /// The figure, when published or derived.
    pub value: Option<u64>,
    /// Where it comes from.
    pub basis: PointBasis,
    /// The model's figure, when the point is modelled or withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modelled: Option<u64>,
    /// The published source's address (a published point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One Party's figures for one limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// Party code.
    pub party: String,
    /// The limit's name.
    pub limit: String,
    /// One point per data-exchange date, in date order.
    pub points: Vec<Point>,
}

/// A limit as the chart draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitLine {
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// The ceiling.
    pub value: u64,
    /// The day it binds.
    pub binding_from: Date,
}

/// A milestone to mark on the time axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Milestone {
    /// Date.
    pub date: Date,
    /// The event's kind (`limits_in_effect`, `suspension`, …).
    pub kind: String,
    /// How precisely the date is known (`day`, `month`, `approximate`).
    pub precision: String,
    /// One-line title.
    pub title: String,
    /// The source's address, when the spec has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The record's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The treaty's id.
    pub treaty: String,
    /// The limits, in spec order.
    pub limits: Vec<LimitLine>,
    /// One series per Party and limit.
    pub series: Vec<Series>,
    /// Milestones, in date order.
    pub milestones: Vec<Milestone>,
}

/// The record of `spec` (New START's: its Parties' published aggregates).
pub fn record(spec: &TreatySpec) -> Result<Record, SimError> {
    let rows = parse_published(spec, AGGREGATES_CSV).map_err(|e| SimError::Model(e.to_string()))?;
    let binding_from = spec.limits_apply_on();
    let limits = spec
        .limits
        .iter()
        .map(|l| LimitLine {
            name: l.name.clone(),
            title: l.title.clone(),
            value: l.value,
            binding_from,
        })
        .collect();
    let url = |key: &str| spec.sources.get(key).map(|s| s.url.clone());
    let milestones = accord_treaty::history::milestones(spec)
        .into_iter()
        .map(|e| Milestone {
            date: e.event.date,
            kind: e.event.kind.name().to_owned(),
            precision: format!("{:?}", e.event.precision).to_lowercase(),
            title: e.title.clone(),
            source: url(&e.event.provenance.source),
        })
        .collect();
    let mut series = Vec::new();
    for p in &spec.parties {
        let party = p.code.as_str();
        let t = targets(spec, party)?;
        for (li, l) in spec.limits.iter().enumerate() {
            let points = t
                .iter()
                .map(|t| point(spec, &rows, party, t.as_of, t.values[li], t.basis[li]))
                .collect();
            series.push(Series {
                party: party.to_owned(),
                limit: l.name.clone(),
                points,
            });
        }
    }
    Ok(Record {
        treaty: spec.id.clone(),
        limits,
        series,
        milestones,
    })
}

fn point(spec: &TreatySpec, rows: &[accord_ledger::published::PublishedRow], party: &str, as_of: Date, model: u64, basis: Basis) -> Point {
    let row = rows.iter().find(|r| r.as_of == as_of && r.party == party);
    let (value, basis, modelled, source) = match (basis, row) {
        (Basis::Published, Some(r)) => (Some(model), PointBasis::Published, None, Some(r.source_url.clone())),
        (Basis::Published, None) => (Some(model), PointBasis::Published, None, None),
        (Basis::Derived, _) => (Some(model), PointBasis::Derived, None, None),
        (Basis::Modelled, Some(r)) if r.status == RowStatus::Unsourced => (None, PointBasis::Unsourced, Some(model), None),
        (Basis::Modelled, _) if withheld(spec, party, as_of) => (None, PointBasis::Withheld, Some(model), None),
        (Basis::Modelled, _) => (None, PointBasis::Modelled, Some(model), None),
    };
    Point {
        as_of,
        value,
        basis,
        modelled,
        source,
    }
}

/// Whether the real history says `party` withheld its treaty data on `d`.
fn withheld(spec: &TreatySpec, party: &str, d: Date) -> bool {
    accord_treaty::regime::status_on(spec, d)
        .parties
        .iter()
        .any(|s| s.party == party && s.data == Data::Withheld)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn of<'a>(r: &'a Record, party: &str, limit: &str) -> &'a Series {
        r.series.iter().find(|s| s.party == party && s.limit == limit).unwrap()
    }

    fn at<'a>(s: &'a Series, d: &str) -> &'a Point {
        s.points.iter().find(|p| p.as_of.to_string() == d).unwrap()
    }

    #[test]
    fn each_point_says_where_it_comes_from() {
        let spec = accord_treaty::builtin::new_start();
        let r = record(&spec).unwrap();
        assert_eq!(r.limits.len(), 3);
        assert_eq!(r.limits[0].binding_from.to_string(), "2018-02-05");
        assert_eq!(r.series.len(), 6);
        let us = of(&r, "US", "deployed_delivery_vehicles");
        // The first published figure, with its source.
        let p = at(us, "2011-02-05");
        assert_eq!((p.value, p.basis), (Some(882), PointBasis::Published));
        assert!(p.source.as_deref().unwrap().starts_with("http"));
        // September 2022: published by the Parties, no source for the figures found.
        assert_eq!(at(us, "2022-09-01").basis, PointBasis::Unsourced);
        assert_eq!(at(us, "2022-09-01").value, None);
        // March 2023: the US published; Russia had suspended and withheld its data.
        assert_eq!(at(us, "2023-03-01").basis, PointBasis::Published);
        let ru = of(&r, "RU", "warheads");
        assert_eq!(at(ru, "2023-03-01").basis, PointBasis::Withheld);
        assert!(at(ru, "2023-03-01").modelled.is_some());
        // Both withheld afterwards, to the end.
        let last = us.points.last().unwrap();
        assert_eq!(last.basis, PointBasis::Withheld, "{last:?}");
        // The derived figures of the aggregates notes.
        assert_eq!(at(ru, "2016-03-01").basis, PointBasis::Derived);
        assert_eq!(at(ru, "2016-03-01").value, Some(1735));
        // The milestones the chart marks.
        let kinds: Vec<&str> = r.milestones.iter().map(|m| m.kind.as_str()).collect();
        for k in ["limits_in_effect", "inspection_pause", "extension", "suspension", "expiry"] {
            assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
        }
        assert!(r.milestones.windows(2).all(|w| w[0].date <= w[1].date));
    }
}
