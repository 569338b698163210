//! The freeze what-if's synthetic inventories and its cheating trials (issue #13).
//!
//! [`inventories`] builds each Party's whole warhead inventory from `data/freeze-estimates.toml`
//! (published stockpile estimates, split into zones of sites by a model). The trials run a
//! cheating Party many times with fixed seeds through the real escrow (`accord-escrow`): each
//! run commits with a fresh seed, draws the inspection's sample from fresh reveals and opens or
//! reveals what it falls on, as the inspectors would, comparing with the items that are really
//! there:
//!
//! - [`misdeclaration`]: a Party commits `bad` of its items with a wrong status; an inspection
//!   opens `k` sampled leaves. Caught when an opened record is not the item: the hypergeometric
//!   rate `1 − C(n−bad, k) / C(n, k)` per inspection.
//! - [`omission`]: a Party leaves `omitted` items of one zone out of its commitment (the worst
//!   case for the inspectors: all in one zone); an inspection reveals `zones` zones drawn from the
//!   sample, and the inspectors find at the sites the items that cannot be opened there. Caught
//!   at the rate `zones / Z` per inspection (Z zones), the bound over zones: spreading the
//!   omissions over more zones only raises it.
//!
//! Invariant: pure and deterministic (the same estimates, parameters and seed give the same
//! result); every opening and zone reveal is verified against its commitment as a partner would.

use std::collections::{BTreeMap, BTreeSet};

use accord_escrow::inventory::{verify_opening, verify_zone_reveal, Context, Inventory, Record, Seed, Status};
use accord_escrow::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::SimError;

/// The built-in estimates (`data/freeze-estimates.toml`).
pub const FREEZE_ESTIMATES: &str = include_str!("../../../data/freeze-estimates.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: String,
    sources: BTreeMap<String, toml::Value>,
    party: Vec<RawParty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    code: String,
    as_of: toml::value::Datetime,
    zone: Vec<RawZone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: String,
    status: Status,
    items: u32,
    sites: u32,
    tag: String,
    source: String,
    #[allow(dead_code)]
    note: String,
}

/// One Party's synthetic inventory at the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyInventory {
    /// Party code.
    pub party: String,
    /// The date it is as of.
    pub as_of: String,
    /// Every item, zones `name-1` … `name-N` (a zone's items spread evenly over its sites).
    pub records: Vec<Record>,
}

/// Each Party's synthetic inventory from the estimates' text.
pub fn inventories(text: &str) -> Result<Vec<PartyInventory>, SimError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| SimError::Model(format!("freeze estimates: {e}")))?;
    if raw.format != "accord-freeze-estimates/1" {
        return Err(SimError::Model(format!("freeze estimates: format '{}'", raw.format)));
    }
    let mut out = Vec::new();
    for p in raw.party {
        let mut records = Vec::new();
        for z in &p.zone {
            if z.sites == 0 || !["estimate", "derived", "model"].contains(&z.tag.as_str()) || !raw.sources.contains_key(&z.source) {
                return Err(SimError::Model(format!(
                    "freeze estimates: {} zone {}: sites ≥ 1, a tag of estimate, derived or model, and a source of [sources]",
                    p.code, z.name
                )));
            }
            for i in 0..z.items {
                records.push(Record {
                    uid: format!("{}-W{:05}", p.code, records.len()),
                    item_type: z.name.clone(),
                    zone: format!("{}-{}", z.name, i % z.sites + 1),
                    status: z.status,
                });
            }
        }
        out.push(PartyInventory {
            party: p.code,
            as_of: p.as_of.to_string(),
            records,
        });
    }
    Ok(out)
}

/// What a set of trials found.
#[derive(Debug, Clone, PartialEq)]
pub struct Trials {
    /// Runs.
    pub runs: u32,
    /// The first run's seed (run `r` uses `seed + r`).
    pub seed: u64,
    /// Runs in which the cheating was caught.
    pub caught: u32,
    /// The rate theory gives.
    pub expected: f64,
    /// The 99 % interval around `expected` for `runs` runs (normal approximation to the
    /// binomial: `expected ± 2.576 · sqrt(expected (1 − expected) / runs)`).
    pub interval: (f64, f64),
}

impl Trials {
    fn new(runs: u32, seed: u64, caught: u32, expected: f64) -> Trials {
        Trials {
            runs,
            seed,
            caught,
            expected,
            interval: interval(expected, runs),
        }
    }

    /// The observed rate.
    pub fn rate(&self) -> f64 {
        f64::from(self.caught) / f64::from(self.runs.max(1))
    }

    /// Whether the observed rate is inside the 99 % interval.
    pub fn within(&self) -> bool {
        let r = self.rate();
        r >= self.interval.0 && r <= self.interval.1
    }
}

fn interval(p: f64, runs: u32) -> (f64, f64) {
    let half = 2.576 * (p * (1.0 - p) / f64::from(runs.max(1))).sqrt();
    ((p - half).max(0.0), (p + half).min(1.0))
}

fn context(inv: &PartyInventory) -> Context {
    Context {
        treaty: "us-2020-10-freeze".into(),
        party: inv.party.clone(),
        as_of: inv.as_of.clone(),
    }
}

fn reveals(rng: &mut ChaCha8Rng) -> ([u8; 32], [u8; 32]) {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    rng.fill(&mut a);
    rng.fill(&mut b);
    (a, b)
}

/// A Party misdeclares `bad` items (each committed with another status than it has); each run
/// one inspection opens `k` sampled leaves.
pub fn misdeclaration(inv: &PartyInventory, bad: usize, k: u64, runs: u32, seed: u64) -> Result<Trials, SimError> {
    let n = inv.records.len();
    if bad == 0 || bad > n || k as usize > n {
        return Err(SimError::Config(format!("misdeclaration: {bad} bad and k {k} of {n} items")));
    }
    let truth: BTreeMap<&str, &Record> = inv.records.iter().map(|r| (r.uid.as_str(), r)).collect();
    let mut caught = 0;
    for run in 0..runs {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(u64::from(run)));
        let mut declared = inv.records.clone();
        let mut wrong = BTreeSet::new();
        while wrong.len() < bad {
            wrong.insert(rng.gen_range(0..n));
        }
        for &i in &wrong {
            declared[i].status = match declared[i].status {
                Status::Deployed => Status::NonDeployed,
                _ => Status::Deployed,
            };
        }
        let mut s = [0u8; 32];
        rng.fill(&mut s);
        let committed = Inventory::build(context(inv), &Seed(s), declared, 0).map_err(|e| SimError::Config(e.to_string()))?;
        let c = committed.commitment();
        let (a, b) = reveals(&mut rng);
        let draw = sample::draw(&sample::seed(&a, &b, &c.root, c.size, &format!("run-{run}")), c.size, k)
            .map_err(|e| SimError::Config(e.to_string()))?;
        let mut found = false;
        for i in draw {
            let o = committed.open(i).map_err(|e| SimError::Config(e.to_string()))?;
            verify_opening(c, &o).map_err(|e| SimError::Config(format!("run {run}: an honest opening failed: {e}")))?;
            // The inspectors compare the opened record with the item in front of them.
            if truth.get(o.record.uid.as_str()).is_none_or(|t| **t != o.record) {
                found = true;
            }
        }
        caught += u32::from(found);
    }
    Ok(Trials::new(
        runs,
        seed,
        caught,
        sample::detection_probability(n as u64, bad as u64, k),
    ))
}

/// A Party leaves `omitted` items of one zone out of its commitment; each run one inspection
/// reveals `zones` zones drawn from the sample and looks for items at their sites.
pub fn omission(inv: &PartyInventory, omitted: usize, zones: u64, runs: u32, seed: u64) -> Result<Trials, SimError> {
    let mut by_zone: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in &inv.records {
        by_zone.entry(r.zone.as_str()).or_default().push(r);
    }
    let names: Vec<&str> = by_zone.keys().copied().collect();
    let z = names.len() as u64;
    if omitted == 0 || zones == 0 || zones > z || by_zone.values().any(|v| v.len() < omitted) {
        return Err(SimError::Config(format!("omission: {omitted} items, {zones} of {z} zones")));
    }
    let mut caught = 0;
    for run in 0..runs {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(u64::from(run)));
        let hide_in = names[rng.gen_range(0..names.len())];
        let hidden: BTreeSet<&str> = by_zone[hide_in].iter().take(omitted).map(|r| r.uid.as_str()).collect();
        let declared: Vec<Record> = inv.records.iter().filter(|r| !hidden.contains(r.uid.as_str())).cloned().collect();
        let mut s = [0u8; 32];
        rng.fill(&mut s);
        let committed = Inventory::build(context(inv), &Seed(s), declared, 0).map_err(|e| SimError::Config(e.to_string()))?;
        let c = committed.commitment();
        let (a, b) = reveals(&mut rng);
        // The zones to reveal, drawn like leaves: from both reveals, bound to the commitment.
        let picks = sample::draw(&sample::seed(&a, &b, &c.root, c.size, &format!("zones-{run}")), z, zones)
            .map_err(|e| SimError::Config(e.to_string()))?;
        let mut found = false;
        for p in picks {
            let zone = names[p as usize];
            let reveal = committed.reveal_zone(zone).map_err(|e| SimError::Config(e.to_string()))?;
            let opened: BTreeSet<String> = verify_zone_reveal(c, &reveal)
                .map_err(|e| SimError::Config(format!("run {run}: an honest zone reveal failed: {e}")))?
                .into_iter()
                .map(|r| r.uid)
                .collect();
            // The inspectors at the zone's site find every item really there.
            if by_zone[zone].iter().any(|r| !opened.contains(&r.uid)) {
                found = true;
            }
        }
        caught += u32::from(found);
    }
    Ok(Trials::new(runs, seed, caught, zones as f64 / z as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimates_make_whole_inventories() {
        let inv = inventories(FREEZE_ESTIMATES).unwrap();
        let us = &inv[0];
        assert_eq!((us.party.as_str(), us.records.len()), ("US", 3800));
        assert_eq!(us.records.iter().filter(|r| r.status == Status::Deployed).count(), 1750);
        let ru = &inv[1];
        assert_eq!((ru.party.as_str(), ru.records.len()), ("RU", 4497));
        let zones: BTreeSet<&str> = us.records.iter().map(|r| r.zone.as_str()).collect();
        assert_eq!(zones.len(), 32);
    }
}
