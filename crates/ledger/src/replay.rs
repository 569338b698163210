//! Replay: applies a history's notifications, in date order, to each Party's state, and records
//! the limit figures on the dates asked for.
//!
//! Order: by event date; within a day, changes before data declarations as of that day (data are
//! "as of" the end of the day's changes); within that, file order. Invariant: replay is a pure
//! function of (spec, history, dates); the first impossible notification stops it with an error
//! naming its line and field, and no partial result is returned.

use accord_treaty::{Date, TreatySpec};

use crate::error::{At, LedgerError};
use crate::event::Event;
use crate::history::History;
use crate::state::{Discrepancy, PartyState};

/// Limit figures of one Party on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Date (state at the end of that day).
    pub date: Date,
    /// Party index.
    pub party: usize,
    /// Value of each limit, `None` where not yet declared.
    pub values: Vec<Option<u64>>,
    /// As-of date of the declaration the declared limits come from.
    pub declared_as_of: Option<Date>,
}

/// A discrepancy with the notification it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredDiscrepancy {
    /// Index of the event in the history.
    pub event: usize,
    /// The discrepancy.
    pub discrepancy: Discrepancy,
}

/// What replay produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Final state of each Party.
    pub states: Vec<PartyState>,
    /// Figures on each requested date, for each Party, in (date, party) order.
    pub snapshots: Vec<Snapshot>,
    /// Declared totals that differ from the item-level data.
    pub discrepancies: Vec<DeclaredDiscrepancy>,
    /// Indices of the events in replay order.
    pub order: Vec<u32>,
}

/// The replay order of a history's events.
pub fn replay_order(events: &[Event]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..events.len() as u32).collect();
    order.sort_by_key(|&i| {
        let e = &events[i as usize];
        (e.date, e.phase(), e.line, i)
    });
    order
}

/// Replays `history`, recording figures at each of `dates` (sorted or not) for every Party.
/// Events after the last date are still applied (and checked).
pub fn replay(spec: &TreatySpec, history: &History, dates: &[Date]) -> Result<Outcome, LedgerError> {
    replay_until(spec, history, dates, None)
}

/// Like [`replay`], but applies only the events dated on or before `until` (when given), so
/// that the final states are the states on that date.
pub fn replay_until(spec: &TreatySpec, history: &History, dates: &[Date], until: Option<Date>) -> Result<Outcome, LedgerError> {
    let mut dates: Vec<Date> = dates.to_vec();
    dates.sort();
    dates.dedup();
    let mut states: Vec<PartyState> = (0..spec.parties.len())
        .map(|p| PartyState::new(spec, accord_treaty::PartyId(p as u8)))
        .collect();
    let order = replay_order(&history.events);
    let mut snapshots = Vec::with_capacity(dates.len() * states.len());
    let mut discrepancies = Vec::new();
    let mut next = 0;
    let snap = |states: &[PartyState], d: Date, out: &mut Vec<Snapshot>| {
        for (p, s) in states.iter().enumerate() {
            out.push(Snapshot {
                date: d,
                party: p,
                values: (0..spec.limits.len()).map(|l| s.limit_value(spec, l)).collect(),
                declared_as_of: s.declared().map(|d| d.as_of),
            });
        }
    };
    for &i in &order {
        let e = &history.events[i as usize];
        if until.is_some_and(|u| e.date > u) {
            break;
        }
        while next < dates.len() && dates[next] < e.date {
            snap(&states, dates[next], &mut snapshots);
            next += 1;
        }
        let found = states[e.party.0 as usize]
            .apply(spec, &history.names, e)
            .map_err(|problem| LedgerError::Impossible {
                at: Box::new(At {
                    source: None,
                    line: e.line,
                    id: Some(history.id(e).to_owned()),
                    kind: Some(spec.catalogue.at(e.kind as usize).kind.clone()),
                }),
                problem,
            })?;
        discrepancies.extend(found.into_iter().map(|discrepancy| DeclaredDiscrepancy {
            event: i as usize,
            discrepancy,
        }));
    }
    while next < dates.len() {
        snap(&states, dates[next], &mut snapshots);
        next += 1;
    }
    Ok(Outcome {
        states,
        snapshots,
        discrepancies,
        order,
    })
}
