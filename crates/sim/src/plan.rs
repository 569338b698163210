//! The per-type plan: how many items of each type are deployed and how many launchers (or
//! bombers) exist on each data-exchange date, chosen from the model's anchors and balanced so
//! that the three central aggregates come out exactly at the targets.
//!
//! Invariant of a [`Plan`]: for every type, 0 <= deployed <= launchers; the sums give the
//! target's deployed delivery vehicles and total launchers exactly; the reentry vehicles to
//! declare lie between the types' minimum and maximum loadings.

use accord_treaty::Date;

use crate::model::{interpolate, PartyModel};
use crate::targets::Target;
use crate::SimError;

/// Figures per type on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// As of.
    pub date: Date,
    /// Deployed items per type.
    pub deployed: Vec<u32>,
    /// Launchers (bombers in all) per type.
    pub launchers: Vec<u32>,
    /// Missile stock per type where anchored (retired-type stocks).
    pub missiles: Vec<Option<u32>>,
    /// Reentry vehicles to declare across all deployed missiles.
    pub reentry_vehicles: u64,
}

/// Indices of the aggregates in a target's values.
#[derive(Debug, Clone, Copy)]
pub struct LimitIndex {
    /// deployed_delivery_vehicles.
    pub dv: usize,
    /// warheads.
    pub warheads: usize,
    /// launchers_total.
    pub launchers: usize,
}

/// Plans every target date of one Party.
pub fn plan(model: &PartyModel, targets: &[Target], li: LimitIndex) -> Result<Vec<Plan>, SimError> {
    let mut out = Vec::new();
    for t in targets {
        let d = t.as_of;
        let n = model.types.len();
        let mut dep: Vec<i64> = model.types.iter().map(|ty| i64::from(interpolate(&ty.deployed, d))).collect();
        let mut lau: Vec<i64> = model.types.iter().map(|ty| i64::from(ty.launchers_on(d))).collect();
        for i in 0..n {
            if model.types[i].all_deployed {
                dep[i] = lau[i];
            }
            dep[i] = dep[i].min(lau[i]);
        }
        let fail = |m: String| SimError::Infeasible(format!("{} {d}: {m}", t.party));
        let lb = PartyModel::balance(&model.launcher_balance, d);
        let others: i64 = (0..n).filter(|&i| i != lb).map(|i| lau[i]).sum();
        lau[lb] = t.values[li.launchers] as i64 - others;
        if lau[lb] < 0 {
            return Err(fail(format!("launcher balance type {} would be {}", model.types[lb].name, lau[lb])));
        }
        if model.types[lb].all_deployed {
            dep[lb] = lau[lb];
        }
        let db = PartyModel::balance(&model.dv_balance, d);
        if model.types[db].all_deployed {
            return Err(fail("the deployed balance type cannot be all-deployed".into()));
        }
        let others: i64 = (0..n).filter(|&i| i != db).map(|i| dep[i]).sum();
        dep[db] = t.values[li.dv] as i64 - others;
        if dep[db] < 0 || dep[db] > lau[db] {
            return Err(fail(format!(
                "deployed balance type {} would be {} with {} launchers",
                model.types[db].name, dep[db], lau[db]
            )));
        }
        for i in 0..n {
            if dep[i] > lau[i] {
                return Err(fail(format!("{} deployed {} > launchers {}", model.types[i].name, dep[i], lau[i])));
            }
        }
        let bombers: i64 = (0..n).filter(|&i| model.types[i].is_bomber()).map(|i| dep[i]).sum();
        let rv = t.values[li.warheads] as i64 - bombers;
        let (lo, hi) = (0..n).filter(|&i| !model.types[i].is_bomber()).fold((0i64, 0i64), |(lo, hi), i| {
            (
                lo + dep[i] * i64::from(model.types[i].rvs.min),
                hi + dep[i] * i64::from(model.types[i].rvs.max),
            )
        });
        if rv < lo || rv > hi {
            return Err(fail(format!("{rv} reentry vehicles outside the loadable range {lo}..{hi}")));
        }
        out.push(Plan {
            date: d,
            deployed: dep.iter().map(|&v| v as u32).collect(),
            launchers: lau.iter().map(|&v| v as u32).collect(),
            missiles: model
                .types
                .iter()
                .map(|ty| (!ty.missiles.is_empty()).then(|| interpolate(&ty.missiles, d)))
                .collect(),
            reentry_vehicles: rv as u64,
        });
    }
    Ok(out)
}
