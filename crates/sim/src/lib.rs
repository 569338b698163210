//! # accord-sim: synthetic item-level histories
//!
//! Generates a history for both Parties from entry into force to the treaty's last day: every
//! missile, launcher and heavy bomber with its own life, force structures shaped like the real
//! ones (`data/force-model.toml`), each change its own notification within its deadline, and the
//! data exchanges. Replaying the result reproduces every published aggregate row exactly
//! (`data/new-start-aggregates.csv`), blank cells with the values the sources imply by
//! arithmetic ("derived"), and from 2023 models data that are held but no longer exchanged.
//!
//! **Architecture invariant:** pure and deterministic: the same spec, seed, scale and party
//! count give byte-identical output. No I/O, no clock; randomness only from the seeded RNG.

pub mod freeze;
pub mod generate;
pub mod model;
pub mod plan;
pub mod record;
pub mod targets;

use std::borrow::Cow;

use accord_ledger::notification::{Body, Notification, Timestamp};
use accord_treaty::date::{add_days, parse_date};
use accord_treaty::{Date, TreatySpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use targets::{Basis, Target};

/// Why a simulation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The force model is malformed.
    #[error("force model: {0}")]
    Model(String),
    /// The model cannot meet a target.
    #[error("cannot meet the targets: {0}")]
    Infeasible(String),
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Seed.
    pub seed: u64,
    /// Multiplies maintenance churn (and so the number of notifications); 1.0 is realistic.
    pub scale: f64,
    /// Number of Parties; more than the treaty's adds benchmark-only Parties under a copy of
    /// the spec, each shaped like one of the real ones.
    pub parties: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            scale: 1.0,
            parties: 2,
        }
    }
}

/// A generated history.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The spec the history is valid under (a copy with extra Parties when asked).
    pub spec: TreatySpec,
    /// Notifications in the order they were sent (held ones where they would have been).
    pub notifications: Vec<Notification<'static>>,
    /// The target figures per Party and date.
    pub targets: Vec<Target>,
}

/// The date from which Russia's notifications are held, not provided: Federal Law No. 38-FZ of
/// 2023-02-28 suspending participation (facts §7). Launch notices continue (1988 agreement).
pub const RU_SUSPENSION: &str = "2023-02-28";
/// Data as of this date or later are held by both Parties: the US withheld its March 2023
/// update as a countermeasure (facts §2.3) and Russia provided none.
pub const UPDATES_HELD_FROM: &str = "2023-03-01";

fn date(s: &str) -> Date {
    parse_date(s).unwrap_or(accord_treaty::date::Date::MIN)
}

/// Generates the history.
pub fn simulate(spec: &TreatySpec, cfg: &Config, progress: &mut dyn FnMut(usize, usize)) -> Result<Simulation, SimError> {
    if spec.id != "new-start" {
        return Err(SimError::Config(format!("the force model is for New START, not '{}'", spec.id)));
    }
    if cfg.parties < 2 || cfg.parties > 200 {
        return Err(SimError::Config(format!("--parties {}: between 2 and 200", cfg.parties)));
    }
    if !(cfg.scale > 0.0 && cfg.scale <= 10_000.0) {
        return Err(SimError::Config(format!(
            "--scale {}: must be above 0 and at most 10000",
            cfg.scale
        )));
    }
    let models = model::parse_model(model::FORCE_MODEL)?;
    let spec = benchmark_spec(spec, cfg.parties)?;
    let codes: Vec<(String, usize)> = (0..cfg.parties).map(|p| (party_code(&models, p), p % models.len())).collect();
    let li = plan::LimitIndex {
        dv: limit_index(&spec, "deployed_delivery_vehicles")?,
        warheads: limit_index(&spec, "warheads")?,
        launchers: limit_index(&spec, "launchers_total")?,
    };
    let mut all = Vec::new();
    let mut all_targets = Vec::new();
    let total = codes.len();
    for (pi, (code, base)) in codes.iter().enumerate() {
        progress(pi, total);
        let m = &models[*base];
        let mut ts = targets::targets(&spec, &m.code)?;
        for t in &mut ts {
            t.party = code.clone();
        }
        let plans = plan::plan(m, &ts, li)?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ (pi as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let notes = party_history(&spec, m, code, &plans, &ts, cfg, &mut rng, li)?;
        all.extend(notes);
        all_targets.extend(ts);
    }
    progress(total, total);
    // Log order: by time sent; held notifications where they would have been sent.
    let key = |n: &Notification<'_>| n.sent.map_or(Timestamp::at_midnight(add_days(n.date, 2)).unix(), |t| t.unix());
    all.sort_by(|a, b| {
        key(a)
            .cmp(&key(b))
            .then_with(|| a.party.cmp(&b.party))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Simulation {
        spec,
        notifications: all,
        targets: all_targets,
    })
}

fn party_code(models: &[model::PartyModel], p: usize) -> String {
    if p < models.len() {
        models[p].code.clone()
    } else {
        format!("P{}", p + 1)
    }
}

/// The spec with benchmark-only Parties P3, P4, ... added so that `parties` Parties exist: the
/// copy of the spec a history made with `--parties` is valid under.
pub fn benchmark_spec(spec: &TreatySpec, parties: usize) -> Result<TreatySpec, SimError> {
    if !(2..=200).contains(&parties) {
        return Err(SimError::Config(format!("--parties {parties}: between 2 and 200")));
    }
    let models = model::parse_model(model::FORCE_MODEL)?;
    let mut spec = spec.clone();
    for p in 0..parties {
        let code = party_code(&models, p);
        if spec.party(&code).is_none() {
            let base = &models[p % models.len()].code;
            spec = spec
                .with_extra_party(&code, &format!("Benchmark party {} (shaped like {base})", p + 1))
                .map_err(SimError::Config)?;
        }
    }
    Ok(spec)
}

/// Says, in a declaration's note, where each declared total comes from.
fn basis_note(limit_names: &[String], t: &Target) -> String {
    let parts: Vec<String> = limit_names
        .iter()
        .zip(&t.basis)
        .map(|(n, b)| {
            let b = match b {
                Basis::Published => "published",
                Basis::Derived => "derived (implied by a source's arithmetic)",
                Basis::Modelled => "modelled (no public figure)",
            };
            format!("{n} {b}")
        })
        .collect();
    format!("synthetic history (accord simulate); totals: {}", parts.join("; "))
}

fn limit_index(spec: &TreatySpec, name: &str) -> Result<usize, SimError> {
    spec.limits
        .iter()
        .position(|l| l.name == name)
        .ok_or_else(|| SimError::Config(format!("the spec has no limit '{name}'")))
}

#[allow(clippy::too_many_arguments)]
fn party_history(
    spec: &TreatySpec,
    m: &model::PartyModel,
    code: &str,
    plans: &[plan::Plan],
    targets: &[Target],
    cfg: &Config,
    rng: &mut ChaCha8Rng,
    li: plan::LimitIndex,
) -> Result<Vec<Notification<'static>>, SimError> {
    let mut world = generate::World::new(m, code);
    let facilities: Vec<(String, String, String)> = m
        .facilities
        .iter()
        .map(|f| (world.fac(&f.id), f.facility_type.clone(), f.name.clone()))
        .collect();
    let eif = spec.lifecycle.entry_into_force();
    let end = spec.lifecycle.end_exclusive();
    let mut out: Vec<(generate::Ev, Option<(i64, i64)>)> = Vec::new();
    let mut declarations: Vec<(Date, &'static str, Body<'static>)> = Vec::new();
    let limit_names: Vec<String> = spec.limits.iter().map(|l| l.name.clone()).collect();
    let totals = |t: &Target| -> std::collections::BTreeMap<Cow<'static, str>, u64> {
        limit_names.iter().cloned().map(Cow::Owned).zip(t.values.iter().copied()).collect()
    };
    // Initial data.
    let first = &plans[0];
    let mut body = world.initial(first, &facilities, rng);
    body.loadings = Some(world.loadings(first, rng)?);
    body.totals = Some(totals(&targets[0]));
    declarations.push((eif, "initial_data", body));
    let limits_date = spec.limits_apply_on();
    for k in 1..plans.len() {
        let (a, p) = (plans[k - 1].date, &plans[k]);
        world.window(a, p, cfg.scale, rng)?;
        if m.code == "US" {
            for _ in 0..2 {
                world.bomber_abroad(add_days(a, 1), add_days(p.date, -1), rng);
            }
        }
        let (dv, l) = world.aggregates();
        if dv != targets[k].values[li.dv] || l != targets[k].values[li.launchers] {
            return Err(SimError::Infeasible(format!(
                "{code} {}: generated {dv} deployed / {l} launchers, target {} / {}",
                p.date, targets[k].values[li.dv], targets[k].values[li.launchers]
            )));
        }
        let kind = if p.date == limits_date {
            "central_limits_data"
        } else {
            "six_month_update"
        };
        let body = Body {
            loadings: Some(world.loadings(p, rng)?),
            totals: Some(totals(&targets[k])),
            note: Some(Cow::Owned(basis_note(&limit_names, &targets[k]))),
            ..Body::default()
        };
        declarations.push((p.date, kind, body));
    }
    // After the last data exchange: maintenance until the treaty's last day.
    if let Some(last) = plans.last() {
        let mut tail = last.clone();
        tail.date = end;
        world.window(last.date, &tail, cfg.scale, rng)?;
    }
    // Diplomatic clearance numbers for each calendar year after the first.
    for y in (eif.year() + 1)..=(end.year()) {
        let d = Date::from_calendar_date(y, time::Month::January, 1).map_err(|e| SimError::Config(e.to_string()))?;
        if d < end {
            world.events.push(generate::Ev {
                date: d,
                kind: "diplomatic_clearance",
                body: Body {
                    reference: Some(Cow::Owned(format!("{code}-DCN-{y}"))),
                    ..Body::default()
                },
            });
        }
    }
    let ru_held = date(RU_SUSPENSION);
    let updates_held = date(UPDATES_HELD_FROM);
    let held_party = m.code == "RU";
    let events = std::mem::take(&mut world.events);
    for e in events {
        if e.date >= end {
            continue;
        }
        let held = held_party && e.date >= ru_held && e.kind != "missile_launch";
        let times = if held {
            None
        } else {
            let day = |d: Date| Timestamp::at_midnight(d).unix();
            let sent = match e.kind {
                "missile_launch" => day(add_days(e.date, -rng.gen_range(2..=5))) + rng.gen_range(0..72_000),
                "diplomatic_clearance" => day(add_days(e.date, -rng.gen_range(35..=60))) + rng.gen_range(0..86_400),
                _ => day(add_days(e.date, rng.gen_range(0..=4))) + rng.gen_range(0..86_400),
            };
            Some((sent, sent + rng.gen_range(60..=900)))
        };
        out.push((e, times));
    }
    for (d, kind, body) in declarations {
        let held = d >= updates_held || (held_party && d >= ru_held);
        let times = if held {
            None
        } else {
            let sent_day = match kind {
                "initial_data" => add_days(d, rng.gen_range(30..=44)),
                _ => add_days(d, rng.gen_range(10..=27)),
            };
            let sent = Timestamp::at_midnight(sent_day).unix() + rng.gen_range(0..86_400);
            Some((sent, sent + rng.gen_range(60..=900)))
        };
        out.push((generate::Ev { date: d, kind, body }, times));
    }
    // Number in sending order.
    let order_key = |e: &(generate::Ev, Option<(i64, i64)>)| e.1.map_or(Timestamp::at_midnight(add_days(e.0.date, 2)).unix(), |t| t.0);
    out.sort_by_key(|e| (order_key(e), e.0.date));
    Ok(out
        .into_iter()
        .enumerate()
        .map(|(i, (e, t))| Notification {
            id: Cow::Owned(format!("{code}-{:06}", i + 1)),
            kind: Cow::Borrowed(e.kind),
            party: Cow::Owned(code.to_owned()),
            date: e.date,
            sent: t.map(|t| Timestamp::from_unix(t.0)),
            received: t.map(|t| Timestamp::from_unix(t.1)),
            body: e.body,
        })
        .collect())
}
