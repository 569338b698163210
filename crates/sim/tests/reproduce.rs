//! Replaying the synthetic history reproduces every target figure, published rows exactly.

#![allow(clippy::unwrap_used)]

use accord_ledger::published::parse_published;
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_sim::{simulate, Basis, Config};
use accord_treaty::builtin::new_start;

/// The default simulation, made once for the tests that read it.
fn default_sim() -> &'static accord_sim::Simulation {
    static SIM: std::sync::OnceLock<accord_sim::Simulation> = std::sync::OnceLock::new();
    SIM.get_or_init(|| simulate(&new_start(), &Config::default(), &mut |_, _| {}).expect("simulate"))
}

#[test]
fn replay_reproduces_every_published_row() {
    let spec = new_start();
    let sim = default_sim();
    let n = sim.notifications.len();
    assert!(n > 20_000 && n < 60_000, "{n} notifications");
    let h = History::from_notifications(&sim.spec, sim.notifications.iter()).expect("compile");
    let dates = sim.spec.data_exchange_dates();
    let out = replay(&sim.spec, &h, &dates).expect("replay");
    for t in &sim.targets {
        let p = sim.spec.party(&t.party).unwrap().0 as usize;
        let snap = out.snapshots.iter().find(|s| s.date == t.as_of && s.party == p).unwrap();
        let got: Vec<u64> = snap.values.iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, t.values, "{} {}", t.as_of, t.party);
    }
    // Every published cell is a target with basis Published.
    let rows = parse_published(&spec, accord_sim::targets::AGGREGATES_CSV).unwrap();
    let mut cells = 0;
    for r in &rows {
        let t = sim
            .targets
            .iter()
            .find(|t| t.as_of == r.as_of && t.party == r.party)
            .expect("target for row");
        for (l, v) in r.values.iter().enumerate() {
            if let Some(v) = v {
                assert_eq!(t.values[l], *v);
                assert_eq!(t.basis[l], Basis::Published);
                cells += 1;
            }
        }
    }
    assert!(cells > 130);
    // First year: on the order of the real ~1,800 notifications.
    let first_year = sim
        .notifications
        .iter()
        .filter(|n| n.date < accord_treaty::parse_date("2012-02-05").unwrap())
        .count();
    assert!((1_200..=3_000).contains(&first_year), "{first_year} in the first year");
}

#[test]
fn deterministic_for_a_seed() {
    let spec = new_start();
    let a = simulate(
        &spec,
        &Config {
            seed: 7,
            ..Config::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    let b = simulate(
        &spec,
        &Config {
            seed: 7,
            ..Config::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    let c = simulate(
        &spec,
        &Config {
            seed: 8,
            ..Config::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(a.notifications, b.notifications);
    assert_ne!(a.notifications, c.notifications);
}

#[test]
fn every_notification_before_the_suspension_is_on_time() {
    let spec = new_start();
    for seed in 1..=3 {
        let sim = simulate(&spec, &Config { seed, ..Config::default() }, &mut |_, _| {}).unwrap();
        let h = History::from_notifications(&sim.spec, sim.notifications.iter()).unwrap();
        let out = replay(&sim.spec, &h, &[]).unwrap();
        let at = accord_treaty::parse_date("2023-02-27").unwrap();
        let report = accord_ledger::compliance::history_report(&sim.spec, &h, &out, at);
        assert_eq!(report.findings.unwrap(), vec![], "seed {seed}");
    }
}

#[test]
fn benchmark_parties_scale_the_history() {
    let spec = new_start();
    let sim = simulate(
        &spec,
        &Config {
            seed: 3,
            scale: 2.0,
            parties: 4,
        },
        &mut |_, _| {},
    )
    .unwrap();
    let codes: Vec<&str> = sim.spec.parties.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["US", "RU", "P3", "P4"]);
    let h = History::from_notifications(&sim.spec, sim.notifications.iter()).unwrap();
    let out = replay(&sim.spec, &h, &sim.spec.data_exchange_dates()).unwrap();
    // P3 is shaped like the US and meets the same figures.
    let us = out
        .snapshots
        .iter()
        .filter(|s| s.party == 0)
        .map(|s| s.values.clone())
        .collect::<Vec<_>>();
    let p3 = out
        .snapshots
        .iter()
        .filter(|s| s.party == 2)
        .map(|s| s.values.clone())
        .collect::<Vec<_>>();
    assert_eq!(us, p3);
    assert!(sim.notifications.len() > 3 * 29_000, "{}", sim.notifications.len());
}

/// A test launch is of a missile type in service on its date: one with missiles carrying
/// reentry vehicles in the data declared before the launch and in the data declared after it
/// (so no Peacekeeper launches: it left service in 2005, before the treaty).
#[test]
fn launches_are_of_types_in_service() {
    use std::collections::{BTreeMap, BTreeSet};
    let sim = default_sim();
    let mut type_of: BTreeMap<String, String> = BTreeMap::new();
    // (party, date) -> the types with a loaded missile declared on that date.
    let mut loaded: BTreeMap<(String, accord_treaty::Date), BTreeSet<String>> = BTreeMap::new();
    let mut launches = Vec::new();
    for n in &sim.notifications {
        let b = &n.body;
        for i in b.items.iter().flatten() {
            type_of.insert(i.id.to_string(), i.item_type.to_string());
        }
        if let (Some(id), Some(t)) = (&b.item, &b.item_type) {
            type_of.entry(id.to_string()).or_insert_with(|| t.to_string());
        }
        if let Some(ls) = &b.loadings {
            let types = ls
                .iter()
                .filter(|l| l.reentry_vehicles > 0)
                .map(|l| type_of[l.missile.as_ref()].clone());
            loaded.entry((n.party.to_string(), n.date)).or_default().extend(types);
        }
        if n.kind == "missile_launch" {
            launches.push((n.party.to_string(), n.date, b.item_type.as_deref().unwrap().to_owned()));
        }
    }
    assert!(launches.len() > 100, "{} launches", launches.len());
    assert!(!launches.iter().any(|(_, _, t)| t == "Peacekeeper"), "a Peacekeeper launch");
    for (party, d, t) in &launches {
        let before = loaded.range(..=(party.clone(), *d)).rev().find(|((p, _), _)| p == party);
        let after = loaded.range((party.clone(), *d)..).find(|((p, _), _)| p == party);
        for (side, found) in [("before", before), ("after", after)] {
            if let Some(((_, at), types)) = found {
                assert!(
                    types.contains(t),
                    "{party} launched a {t} on {d}; the data declared {side} it ({at}) load none"
                );
            }
        }
    }
}
