//! The aggregate figures the synthetic history must reproduce at each data-exchange date:
//! published rows exactly; blank cells with the value the sources imply by arithmetic
//! ("derived", data/new-start-aggregates notes); everything else "modelled" (interpolated
//! between known figures, or held at the last known figure).

use accord_ledger::published::parse_published;
use accord_treaty::{parse_date, Date, TreatySpec};
use serde::Serialize;

use crate::SimError;

/// The published figures shipped with accord (`data/new-start-aggregates.csv`).
pub const AGGREGATES_CSV: &str = include_str!("../../../data/new-start-aggregates.csv");

/// Where a target figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A published figure.
    Published,
    /// Implied by arithmetic from a published source (aggregates notes, "Blank cells").
    Derived,
    /// Chosen by the model: interpolated or held; not a fact.
    Modelled,
}

/// Target figures of one Party on one date, in spec limit order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// As of.
    pub as_of: Date,
    /// Party code.
    pub party: String,
    /// Values per limit.
    pub values: Vec<u64>,
    /// Basis per limit.
    pub basis: Vec<Basis>,
}

/// Values the aggregates notes derive by arithmetic for blank cells:
/// (date, party, limit, value, note).
pub const DERIVED: [(&str, &str, &str, u64, &str); 4] = [
    (
        "2012-09-01",
        "RU",
        "deployed_delivery_vehicles",
        491,
        "March 2013 RU 492 was 'plus one' (airandspaceforces)",
    ),
    (
        "2012-09-01",
        "RU",
        "launchers_total",
        884,
        "March 2013 RU 900 was 'plus 16' (airandspaceforces)",
    ),
    (
        "2016-03-01",
        "US",
        "deployed_delivery_vehicles",
        741,
        "Russia's 521 is 'a difference of 220 launchers' below the US (FAS)",
    ),
    (
        "2016-03-01",
        "RU",
        "warheads",
        1735,
        "'added 87' to 1,648 and 'will have to offload 185' to reach 1,550 (FAS)",
    ),
];

/// Targets for `party` (a New START Party code) at each of the spec's data-exchange dates.
pub fn targets(spec: &TreatySpec, party: &str) -> Result<Vec<Target>, SimError> {
    let rows = parse_published(spec, AGGREGATES_CSV).map_err(|e| SimError::Model(e.to_string()))?;
    let dates = spec.data_exchange_dates();
    let nl = spec.limits.len();
    // Known figures per limit: (date, value, basis).
    let mut known: Vec<Vec<(Date, u64, Basis)>> = vec![Vec::new(); nl];
    for r in rows.iter().filter(|r| r.party == party) {
        for (l, v) in r.values.iter().enumerate() {
            if let Some(v) = v {
                known[l].push((r.as_of, *v, Basis::Published));
            }
        }
    }
    for (d, p, name, v, _) in DERIVED {
        if p != party {
            continue;
        }
        let l = spec
            .limits
            .iter()
            .position(|x| x.name == name)
            .ok_or_else(|| SimError::Model(format!("unknown limit {name}")))?;
        let d = parse_date(d).map_err(|e| SimError::Model(e.to_string()))?;
        known[l].push((d, v, Basis::Derived));
    }
    for k in &mut known {
        k.sort_by_key(|x| x.0);
        if k.is_empty() {
            return Err(SimError::Model(format!("no published figures for {party}")));
        }
    }
    let mut out = Vec::new();
    for d in dates {
        let mut values = Vec::with_capacity(nl);
        let mut basis = Vec::with_capacity(nl);
        for k in &known {
            if let Some((_, v, b)) = k.iter().find(|x| x.0 == d) {
                values.push(*v);
                basis.push(*b);
                continue;
            }
            let before = k.iter().rev().find(|x| x.0 < d);
            let after = k.iter().find(|x| x.0 > d);
            let v = match (before, after) {
                (Some(a), Some(b)) => {
                    let t = (d - a.0).whole_days() as f64 / (b.0 - a.0).whole_days() as f64;
                    (a.1 as f64 + (b.1 as f64 - a.1 as f64) * t).round() as u64
                }
                (Some(a), None) => a.1,
                (None, Some(b)) => b.1,
                (None, None) => 0,
            };
            values.push(v);
            basis.push(Basis::Modelled);
        }
        out.push(Target {
            as_of: d,
            party: party.to_owned(),
            values,
            basis,
        });
    }
    Ok(out)
}
