//! Turns a Party's plan into item-level events: each missile, launcher and bomber with its own
//! life (production, movement, deployment, maintenance, conversion, elimination), every change
//! dated strictly between two data-exchange dates so that the state on each as-of date is the
//! plan's, and the data declarations that go with them.
//!
//! Invariant: within one window between two as-of dates, every item takes part in at most one
//! chain of events, and the steps of a chain are in date order; so any interleaving of chains
//! that replay sees is valid, and the state at the window's end is the plan's.

use std::borrow::Cow;
use std::collections::BTreeMap;

use accord_ledger::notification::{Body, FacilityDecl, ItemDecl, ItemStatus, Loading};
use accord_treaty::date::add_days;
use accord_treaty::Date;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Basing, PartyModel};
use crate::plan::Plan;
use crate::SimError;

/// One dated change, before it becomes a notification.
#[derive(Debug, Clone)]
pub struct Ev {
    /// Event date.
    pub date: Date,
    /// Notification kind.
    pub kind: &'static str,
    /// Body.
    pub body: Body<'static>,
}

#[derive(Debug, Clone)]
struct Missile {
    id: String,
    ty: usize,
    facility: String,
    launcher: Option<usize>,
    alive: bool,
    touched: u32,
    ready: Date,
}

#[derive(Debug, Clone)]
struct Launcher {
    id: String,
    ty: usize,
    facility: String,
    missile: Option<usize>,
    alive: bool,
    boat: Option<usize>,
    touched: u32,
    ready: Date,
}

#[derive(Debug, Clone)]
struct Bomber {
    id: String,
    ty: usize,
    facility: String,
    deployed: bool,
    alive: bool,
    touched: u32,
    ready: Date,
}

/// The generator's view of one Party's forces.
pub struct World<'m> {
    model: &'m PartyModel,
    code: String,
    missiles: Vec<Missile>,
    launchers: Vec<Launcher>,
    bombers: Vec<Bomber>,
    serial: BTreeMap<String, u32>,
    window: u32,
    /// Events generated so far.
    pub events: Vec<Ev>,
}

fn s(x: &str) -> Cow<'static, str> {
    Cow::Owned(x.to_owned())
}

/// A notification body about `item`.
fn on(item: &str) -> Body<'static> {
    Body {
        item: Some(s(item)),
        ..Body::default()
    }
}

/// Builds notification bodies field by field.
trait BodyExt {
    fn moving(self, from: &str, to: &str) -> Self;
    fn new_item(self, category: &str, item_type: &str, facility: &str) -> Self;
    fn launcher(self, launcher: &str) -> Self;
    fn reason(self, reason: &str) -> Self;
    fn status(self, status: ItemStatus) -> Self;
    fn note(self, note: &str) -> Self;
    fn item_type(self, item_type: &str) -> Self;
}

impl BodyExt for Body<'static> {
    fn moving(mut self, from: &str, to: &str) -> Self {
        self.from = Some(s(from));
        self.to = Some(s(to));
        self
    }
    fn new_item(mut self, category: &str, item_type: &str, facility: &str) -> Self {
        self.category = Some(s(category));
        self.item_type = Some(s(item_type));
        self.facility = Some(s(facility));
        self
    }
    fn launcher(mut self, launcher: &str) -> Self {
        self.launcher = Some(s(launcher));
        self
    }
    fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(s(reason));
        self
    }
    fn status(mut self, status: ItemStatus) -> Self {
        self.status = Some(status);
        self
    }
    fn note(mut self, note: &str) -> Self {
        self.note = Some(s(note));
        self
    }
    fn item_type(mut self, item_type: &str) -> Self {
        self.item_type = Some(s(item_type));
        self
    }
}

impl<'m> World<'m> {
    /// A world for `model`, identifiers prefixed with `code`.
    pub fn new(model: &'m PartyModel, code: &str) -> World<'m> {
        World {
            model,
            code: code.to_owned(),
            missiles: Vec::new(),
            launchers: Vec::new(),
            bombers: Vec::new(),
            serial: BTreeMap::new(),
            window: 0,
            events: Vec::new(),
        }
    }

    /// A facility id of the model under this world's Party code.
    pub fn fac(&self, id: &str) -> String {
        match id.strip_prefix(&self.model.code) {
            Some(rest) => format!("{}{rest}", self.code),
            None => id.to_owned(),
        }
    }

    fn next_id(&mut self, key: &str, width: usize) -> String {
        let n = self.serial.entry(key.to_owned()).or_insert(0);
        *n += 1;
        format!("{}-{key}-{:0width$}", self.code, *n, width = width)
    }

    fn push(&mut self, date: Date, kind: &'static str, body: Body<'static>) {
        self.events.push(Ev { date, kind, body });
    }

    fn new_missile(&mut self, ty: usize, facility: String, ready: Date) -> usize {
        let code = self.model.types[ty].code.clone();
        let id = self.next_id(&code, 5);
        self.missiles.push(Missile {
            id,
            ty,
            facility,
            launcher: None,
            alive: true,
            touched: 0,
            ready,
        });
        self.missiles.len() - 1
    }

    fn new_launcher(&mut self, ty: usize, facility: String, boat: Option<usize>, ready: Date) -> usize {
        let t = &self.model.types[ty];
        let id = match (t.basing, boat) {
            (Basing::Submarine, Some(b)) => {
                let hull = t.boats[b].hull.replace(' ', "-").replace('.', "");
                let tube = self.launchers.iter().filter(|l| l.ty == ty && l.boat == Some(b)).count() + 1;
                format!("{}-{hull}-T{tube:02}", self.code)
            }
            (Basing::Silo, _) => {
                let base = facility.rsplit('-').next().unwrap_or("X").to_owned();
                self.next_id(&format!("{base}-{}-LF", t.code), 3)
            }
            _ => {
                let base = facility.rsplit('-').next().unwrap_or("X").to_owned();
                self.next_id(&format!("{base}-{}-TEL", t.code), 3)
            }
        };
        self.launchers.push(Launcher {
            id,
            ty,
            facility,
            missile: None,
            alive: true,
            boat,
            touched: 0,
            ready,
        });
        self.launchers.len() - 1
    }

    fn new_bomber(&mut self, ty: usize, facility: String, deployed: bool, ready: Date) -> usize {
        let code = self.model.types[ty].code.clone();
        let id = self.next_id(&code, 4);
        self.bombers.push(Bomber {
            id,
            ty,
            facility,
            deployed,
            alive: true,
            touched: 0,
            ready,
        });
        self.bombers.len() - 1
    }

    /// Builds the forces of the first plan and returns the initial-data body.
    pub fn initial(&mut self, plan: &Plan, spec_facilities: &[(String, String, String)], rng: &mut ChaCha8Rng) -> Body<'static> {
        let eif = plan.date;
        let model = self.model;
        for (ty, t) in model.types.iter().enumerate() {
            let bases: Vec<String> = t.bases.iter().map(|b| self.fac(b)).collect();
            match t.basing {
                Basing::Air => {
                    for k in 0..plan.launchers[ty] {
                        let dep = k < plan.deployed[ty];
                        let base = bases[k as usize % bases.len()].clone();
                        self.new_bomber(ty, base, dep, eif);
                    }
                }
                Basing::Submarine => {
                    let mut made = 0;
                    for (b, boat) in t.boats.iter().enumerate() {
                        if !boat.in_service(eif) {
                            continue;
                        }
                        for _ in 0..t.tubes_per_boat {
                            if made < plan.launchers[ty] {
                                let f = self.fac(boat.base_on(eif));
                                self.new_launcher(ty, f, Some(b), eif);
                                made += 1;
                            }
                        }
                    }
                }
                Basing::Silo | Basing::Mobile => {
                    for k in 0..plan.launchers[ty] {
                        let base = bases[k as usize % bases.len()].clone();
                        self.new_launcher(ty, base, None, eif);
                    }
                }
            }
            if t.basing != Basing::Air {
                // Deployed missiles into launchers, spread across launchers at random.
                let mut ls: Vec<usize> = (0..self.launchers.len()).filter(|&l| self.launchers[l].ty == ty).collect();
                ls.shuffle(rng);
                for &l in ls.iter().take(plan.deployed[ty] as usize) {
                    let f = self.launchers[l].facility.clone();
                    let m = self.new_missile(ty, f, eif);
                    self.missiles[m].launcher = Some(l);
                    self.launchers[l].missile = Some(m);
                }
                let stock = plan.missiles[ty].map_or(t.spares, |total| total.saturating_sub(plan.deployed[ty]));
                let store = self.fac(&t.storage);
                for _ in 0..stock {
                    self.new_missile(ty, store.clone(), eif);
                }
            }
        }
        let facilities = spec_facilities
            .iter()
            .map(|(id, ft, name)| FacilityDecl {
                id: s(id),
                facility_type: s(ft),
                name: s(name),
            })
            .collect();
        let mut items = Vec::new();
        for l in &self.launchers {
            let t = &model.types[l.ty];
            items.push(ItemDecl {
                id: s(&l.id),
                category: Cow::Owned(format!("{}_launcher", t.category)),
                item_type: s(&t.name),
                facility: s(&l.facility),
                launcher: None,
                status: None,
            });
        }
        for m in &self.missiles {
            let t = &model.types[m.ty];
            items.push(ItemDecl {
                id: s(&m.id),
                category: s(&t.category),
                item_type: s(&t.name),
                facility: s(&m.facility),
                launcher: m.launcher.map(|l| s(&self.launchers[l].id)),
                status: None,
            });
        }
        for b in &self.bombers {
            let t = &model.types[b.ty];
            items.push(ItemDecl {
                id: s(&b.id),
                category: s(&t.category),
                item_type: s(&t.name),
                facility: s(&b.facility),
                launcher: None,
                status: Some(if b.deployed {
                    ItemStatus::Deployed
                } else {
                    ItemStatus::NonDeployed
                }),
            });
        }
        Body {
            facilities: Some(facilities),
            items: Some(items),
            ..Body::default()
        }
    }

    /// Chooses a reentry-vehicle loading for every deployed missile summing to the plan's.
    pub fn loadings(&self, plan: &Plan, rng: &mut ChaCha8Rng) -> Result<Vec<Loading<'static>>, SimError> {
        let mut deployed: Vec<usize> = (0..self.missiles.len())
            .filter(|&m| self.missiles[m].alive && self.missiles[m].launcher.is_some())
            .collect();
        let mut rv: Vec<u32> = deployed
            .iter()
            .map(|&m| self.model.types[self.missiles[m].ty].rvs.typical)
            .collect();
        let mut total: i64 = rv.iter().map(|&x| i64::from(x)).sum();
        let want = plan.reentry_vehicles as i64;
        let mut order: Vec<usize> = (0..deployed.len()).collect();
        order.shuffle(rng);
        while total != want {
            let mut moved = false;
            for &i in &order {
                if total == want {
                    break;
                }
                let r = self.model.types[self.missiles[deployed[i]].ty].rvs;
                if total < want && rv[i] < r.max {
                    rv[i] += 1;
                    total += 1;
                    moved = true;
                } else if total > want && rv[i] > r.min {
                    rv[i] -= 1;
                    total -= 1;
                    moved = true;
                }
            }
            if !moved {
                return Err(SimError::Infeasible(format!(
                    "{} {}: cannot load {want} reentry vehicles",
                    self.code, plan.date
                )));
            }
        }
        // Declared in identifier order, as a database listing would be.
        let mut pairs: Vec<(usize, u32)> = deployed.drain(..).zip(rv).collect();
        pairs.sort_by(|a, b| self.missiles[a.0].id.cmp(&self.missiles[b.0].id));
        Ok(pairs
            .into_iter()
            .map(|(m, r)| Loading {
                missile: s(&self.missiles[m].id),
                reentry_vehicles: r,
            })
            .collect())
    }

    fn pick_dates(rng: &mut ChaCha8Rng, lo: Date, hi: Date, steps: usize, max_gap: i64) -> Option<Vec<Date>> {
        // Dates lo <= d1 < d2 < ... <= hi.
        let span = (hi - lo).whole_days();
        let need = steps as i64 - 1;
        if span < need {
            return None;
        }
        let gap_room = (span - need).min(max_gap.saturating_mul(need.max(1)));
        let start_room = span - need;
        let start = rng.gen_range(0..=start_room.min(span - need));
        let mut d = add_days(lo, start);
        let mut out = vec![d];
        let mut left = span - start - need;
        for _ in 1..steps {
            let extra = if left > 0 {
                rng.gen_range(0..=left.min(max_gap).min(gap_room))
            } else {
                0
            };
            left -= extra;
            d = add_days(d, 1 + extra);
            out.push(d);
        }
        Some(out)
    }

    /// Generates the changes of the window (a, b) that take the forces from their current state
    /// to `plan`, plus maintenance churn and informational notices.
    pub fn window(&mut self, a: Date, plan: &Plan, churn: f64, rng: &mut ChaCha8Rng) -> Result<(), SimError> {
        self.window += 1;
        let w = self.window;
        let b = plan.date;
        let lo = add_days(a, 1);
        let hi = add_days(b, -1);
        let model = self.model;
        let code = self.code.clone();
        let fail = |m: String| SimError::Infeasible(format!("{code} window {a}..{b}: {m}"));
        let mut deployed_at_open = vec![false; model.types.len()];
        for m in self.missiles.iter().filter(|m| m.alive && m.launcher.is_some()) {
            deployed_at_open[m.ty] = true;
        }
        // 1. Boat moves (tubes carry their missiles); those tubes sit out the window otherwise.
        for (ty, t) in model.types.iter().enumerate() {
            for (bi, boat) in t.boats.iter().enumerate() {
                for (md, to) in &boat.moves {
                    if *md > a && *md < b {
                        let to = self.fac(to);
                        let ls: Vec<usize> = (0..self.launchers.len())
                            .filter(|&l| self.launchers[l].alive && self.launchers[l].ty == ty && self.launchers[l].boat == Some(bi))
                            .collect();
                        for l in ls {
                            let from = self.launchers[l].facility.clone();
                            self.push(*md, "movement", on(&self.launchers[l].id).moving(&from, &to));
                            self.launchers[l].facility = to.clone();
                            self.launchers[l].touched = w;
                            self.launchers[l].ready = *md;
                            if let Some(m) = self.launchers[l].missile {
                                self.missiles[m].facility = to.clone();
                                self.missiles[m].touched = w;
                            }
                        }
                    }
                }
            }
        }
        for (ty, t) in model.types.iter().enumerate() {
            if t.basing == Basing::Air {
                self.bomber_window(ty, plan, lo, hi, rng).map_err(fail)?;
            } else {
                self.missile_window(ty, plan, lo, hi, rng).map_err(fail)?;
            }
        }
        // Maintenance churn, on items untouched so far in this window.
        let years = (b - a).whole_days() as f64 / 365.25;
        let cycles = (f64::from(model.churn_per_year) * years * churn).round() as usize;
        for _ in 0..cycles {
            if rng.gen_bool(0.8) {
                self.missile_churn(lo, hi, rng);
            } else {
                self.bomber_churn(lo, hi, rng);
            }
        }
        // Launch notices, each of a missile type in service on its date: deployed when the window
        // opens and still deployed by the plan at its end (no Peacekeeper launches after its
        // retirement, no launch of a type before its first deployment).
        let launches = (f64::from(model.launch_notices_per_year) * years).round() as usize;
        let in_service: Vec<usize> = (0..model.types.len())
            .filter(|&t| model.types[t].basing != Basing::Air && deployed_at_open[t] && plan.deployed[t] > 0)
            .collect();
        for _ in 0..launches {
            if in_service.is_empty() {
                break;
            }
            let ty = in_service[rng.gen_range(0..in_service.len())];
            if let Some(d) = Self::pick_dates(rng, lo, hi, 1, 1) {
                self.push(
                    d[0],
                    "missile_launch",
                    Body::default().note("test launch").item_type(&model.types[ty].name),
                );
            }
        }
        Ok(())
    }

    fn missile_window(&mut self, ty: usize, plan: &Plan, lo: Date, hi: Date, rng: &mut ChaCha8Rng) -> Result<(), String> {
        let w = self.window;
        let t = &self.model.types[ty];
        let b = plan.date;
        let store = self.fac(&t.storage);
        let elim = self.fac(&self.model.elimination);
        let prod = self.fac(&self.model.production);
        // New boats' tubes and new launchers.
        let mut live_l: Vec<usize> = (0..self.launchers.len())
            .filter(|&l| self.launchers[l].alive && self.launchers[l].ty == ty)
            .collect();
        if t.basing == Basing::Submarine {
            for (bi, boat) in t.boats.iter().enumerate() {
                if let Some(c) = boat.commission {
                    if c > add_days(lo, -1) && c <= b && !self.launchers.iter().any(|l| l.ty == ty && l.boat == Some(bi)) {
                        let d = c.min(hi);
                        let f = self.fac(boat.base_on(d));
                        for _ in 0..t.tubes_per_boat {
                            let l = self.new_launcher(ty, f.clone(), Some(bi), d);
                            self.launchers[l].touched = w;
                            let cat = format!("{}_launcher", t.category);
                            self.push(d, "new_item", on(&self.launchers[l].id).new_item(&cat, &t.name, &f));
                            live_l.push(l);
                        }
                    }
                }
            }
        }
        let want_l = plan.launchers[ty] as usize;
        if t.basing != Basing::Submarine {
            let mut k = 0;
            while live_l.len() < want_l {
                let base = self.fac(&t.bases[(live_l.len() + k) % t.bases.len()]);
                k += 1;
                let d = Self::pick_dates(rng, lo, add_days(lo, ((hi - lo).whole_days() / 3).max(0)), 1, 1).ok_or("window too short")?[0];
                let l = self.new_launcher(ty, base.clone(), None, d);
                let cat = format!("{}_launcher", t.category);
                self.push(d, "new_item", on(&self.launchers[l].id).new_item(&cat, &t.name, &base));
                live_l.push(l);
            }
        }
        // Deployed count.
        let deployed: Vec<usize> = live_l.iter().copied().filter(|&l| self.launchers[l].missile.is_some()).collect();
        let want_d = plan.deployed[ty] as usize;
        if deployed.len() > want_d {
            // Prefer tubes of boats that retire soonest, then launchers not touched.
            let mut victims: Vec<usize> = deployed.into_iter().filter(|&l| self.launchers[l].touched != w).collect();
            victims.shuffle(rng);
            victims.sort_by_key(|&l| {
                self.launchers[l]
                    .boat
                    .and_then(|bi| t.boats[bi].retire)
                    .map_or(i64::MAX, |r| (r - lo).whole_days())
            });
            let n = self
                .launchers
                .iter()
                .filter(|l| l.alive && l.ty == ty && l.missile.is_some())
                .count()
                - want_d;
            if victims.len() < n {
                return Err(format!("{}: cannot undeploy {n}", t.name));
            }
            for &l in victims.iter().take(n) {
                let m = self.launchers[l].missile.ok_or("no missile")?;
                let steps = if t.retire { 3 } else { 2 };
                let ds = Self::pick_dates(rng, lo, hi, steps, 20).ok_or("window too short")?;
                self.push(
                    ds[0],
                    "removal_from_deployment",
                    on(&self.missiles[m].id).reason("removed from deployment"),
                );
                self.launchers[l].missile = None;
                self.launchers[l].touched = w;
                self.launchers[l].ready = ds[0];
                self.missiles[m].launcher = None;
                self.missiles[m].touched = w;
                let from = self.missiles[m].facility.clone();
                let to = if t.retire { elim.clone() } else { store.clone() };
                if from != to {
                    self.push(ds[1], "movement", on(&self.missiles[m].id).moving(&from, &to));
                }
                self.missiles[m].facility = to;
                self.missiles[m].ready = ds[1];
                if t.retire {
                    self.push(ds[2], "elimination", on(&self.missiles[m].id).reason("type retired"));
                    self.missiles[m].alive = false;
                }
            }
        } else if deployed.len() < want_d {
            let n = want_d - deployed.len();
            let mut empty: Vec<usize> = live_l.iter().copied().filter(|&l| self.launchers[l].missile.is_none()).collect();
            empty.shuffle(rng);
            if empty.len() < n {
                return Err(format!("{}: {} empty launchers for {n} deployments", t.name, empty.len()));
            }
            for &l in empty.iter().take(n) {
                let start = self.launchers[l].ready.max(add_days(lo, -1));
                let lf = self.launchers[l].facility.clone();
                let spare = (0..self.missiles.len()).find(|&m| {
                    let x = &self.missiles[m];
                    x.alive && x.ty == ty && x.launcher.is_none() && x.touched != w
                });
                let (m, ds) = match spare {
                    Some(m) => {
                        let ds = Self::pick_dates(rng, add_days(start, 1), hi, 2, 20).ok_or("window too short")?;
                        if self.missiles[m].facility != lf {
                            let from = self.missiles[m].facility.clone();
                            self.push(ds[0], "movement", on(&self.missiles[m].id).moving(&from, &lf));
                            self.missiles[m].facility = lf.clone();
                        }
                        (m, ds)
                    }
                    None => {
                        let ds = Self::pick_dates(rng, add_days(start, 1), hi, 3, 15).ok_or("window too short")?;
                        let m = self.new_missile(ty, prod.clone(), ds[0]);
                        self.push(ds[0], "new_item", on(&self.missiles[m].id).new_item(&t.category, &t.name, &prod));
                        self.push(ds[1], "movement", on(&self.missiles[m].id).moving(&prod, &lf));
                        self.missiles[m].facility = lf.clone();
                        (m, ds[1..].to_vec())
                    }
                };
                self.push(ds[1], "deployment", on(&self.missiles[m].id).launcher(&self.launchers[l].id));
                self.launchers[l].missile = Some(m);
                self.launchers[l].touched = w;
                self.missiles[m].launcher = Some(l);
                self.missiles[m].touched = w;
            }
        }
        // Fewer launchers: remove empty ones (retiring boats' tubes first).
        let live_l: Vec<usize> = (0..self.launchers.len())
            .filter(|&l| self.launchers[l].alive && self.launchers[l].ty == ty)
            .collect();
        if live_l.len() > want_l {
            let n = live_l.len() - want_l;
            let mut empty: Vec<usize> = live_l.into_iter().filter(|&l| self.launchers[l].missile.is_none()).collect();
            empty.shuffle(rng);
            // Retiring boats first; otherwise spread conversions over the boats with most tubes.
            let mut per_boat: BTreeMap<usize, usize> = BTreeMap::new();
            for l in &self.launchers {
                if let (true, true, Some(bi)) = (l.alive, l.ty == ty, l.boat) {
                    *per_boat.entry(bi).or_default() += 1;
                }
            }
            empty.sort_by_key(|&l| {
                let boat = self.launchers[l].boat;
                let retiring = boat.and_then(|bi| t.boats[bi].retire).is_some_and(|r| r <= b);
                (
                    !retiring,
                    std::cmp::Reverse(boat.map_or(0, |bi| per_boat.get(&bi).copied().unwrap_or(0))),
                )
            });
            if empty.len() < n {
                return Err(format!("{}: {} empty launchers, {n} to remove", t.name, empty.len()));
            }
            let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
            let mut chosen = Vec::new();
            // Round-robin across boats for conversions so each boat loses tubes evenly.
            let mut pool = empty.clone();
            while chosen.len() < n && !pool.is_empty() {
                pool.sort_by_key(|&l| {
                    let boat = self.launchers[l].boat;
                    let retiring = boat.and_then(|bi| t.boats[bi].retire).is_some_and(|r| r <= b);
                    let left = boat.map_or(0, |bi| {
                        per_boat.get(&bi).copied().unwrap_or(0) - taken.get(&bi).copied().unwrap_or(0)
                    });
                    (!retiring, std::cmp::Reverse(left))
                });
                let l = pool.remove(0);
                if let Some(bi) = self.launchers[l].boat {
                    *taken.entry(bi).or_default() += 1;
                }
                chosen.push(l);
            }
            for l in chosen {
                let start = self.launchers[l].ready.max(lo);
                let retire_date = self.launchers[l].boat.and_then(|bi| t.boats[bi].retire).filter(|r| *r <= b);
                let lo2 = retire_date.map_or(add_days(start, 1), |r| r.max(add_days(start, 1)).min(hi));
                let d = Self::pick_dates(rng, lo2.min(hi), hi, 1, 1).ok_or("window too short")?[0];
                let (kind, reason) = if t.basing == Basing::Submarine && retire_date.is_none() {
                    ("conversion", "SLBM launcher converted: no longer capable of launching an SLBM")
                } else {
                    ("elimination", "launcher eliminated")
                };
                self.push(
                    d,
                    kind,
                    Body {
                        item: Some(s(&self.launchers[l].id)),
                        reason: Some(s(reason)),
                        ..Body::default()
                    },
                );
                self.launchers[l].alive = false;
                self.launchers[l].touched = w;
            }
        }
        // Missile stock anchors (retired types): eliminate surplus spares.
        if let Some(total) = plan.missiles[ty] {
            let alive: Vec<usize> = (0..self.missiles.len())
                .filter(|&m| self.missiles[m].alive && self.missiles[m].ty == ty)
                .collect();
            if alive.len() > total as usize {
                let n = alive.len() - total as usize;
                let spares: Vec<usize> = alive
                    .into_iter()
                    .filter(|&m| self.missiles[m].launcher.is_none() && self.missiles[m].touched != w)
                    .take(n)
                    .collect();
                for m in spares {
                    let ds = Self::pick_dates(rng, lo, hi, 2, 20).ok_or("window too short")?;
                    let from = self.missiles[m].facility.clone();
                    if from != elim {
                        self.push(ds[0], "movement", on(&self.missiles[m].id).moving(&from, &elim));
                    }
                    self.push(ds[1], "elimination", on(&self.missiles[m].id).reason("missile eliminated"));
                    self.missiles[m].alive = false;
                    self.missiles[m].touched = w;
                }
            }
        }
        Ok(())
    }

    fn bomber_window(&mut self, ty: usize, plan: &Plan, lo: Date, hi: Date, rng: &mut ChaCha8Rng) -> Result<(), String> {
        let w = self.window;
        let t = &self.model.types[ty];
        let elim = self.fac(&self.model.elimination);
        let live: Vec<usize> = (0..self.bombers.len())
            .filter(|&k| self.bombers[k].alive && self.bombers[k].ty == ty)
            .collect();
        let want_total = plan.launchers[ty] as usize;
        let want_dep = plan.deployed[ty] as usize;
        // Fewer bombers: convert or eliminate, non-deployed first (unless all count as deployed).
        if live.len() > want_total {
            let n = live.len() - want_total;
            let mut order = live.clone();
            order.shuffle(rng);
            let dep_now = live.iter().filter(|&&k| self.bombers[k].deployed).count();
            // Remove deployed ones only as far as the deployed target needs.
            let mut removable_dep = dep_now.saturating_sub(want_dep);
            order.sort_by_key(|&k| self.bombers[k].deployed);
            let mut chosen = Vec::new();
            for k in order {
                if chosen.len() == n {
                    break;
                }
                if self.bombers[k].deployed && !t.all_deployed {
                    if removable_dep == 0 {
                        continue;
                    }
                    removable_dep -= 1;
                }
                chosen.push(k);
            }
            if chosen.len() < n {
                return Err(format!("{}: cannot remove {n} bombers", t.name));
            }
            for k in chosen {
                let ds = Self::pick_dates(rng, lo, hi, 3, 25).ok_or("window too short")?;
                let id = self.bombers[k].id.clone();
                let mut i = 0;
                if self.bombers[k].deployed && !t.all_deployed {
                    self.push(ds[i], "removal_from_deployment", on(&id).reason("for conversion or elimination"));
                    self.bombers[k].deployed = false;
                    i += 1;
                }
                let (kind, place, reason) = match &t.convert_at {
                    Some(c) => (
                        "conversion",
                        self.fac(c),
                        "converted: no longer capable of employing nuclear armaments",
                    ),
                    None => ("elimination", elim.clone(), "heavy bomber eliminated"),
                };
                let here = self.bombers[k].facility.clone();
                if here != place && !t.all_deployed {
                    self.push(ds[i], "movement", on(&id).moving(&here, &place));
                    i += 1;
                }
                self.push(
                    ds[i.min(2)],
                    kind,
                    Body {
                        item: Some(s(&id)),
                        reason: Some(s(reason)),
                        ..Body::default()
                    },
                );
                self.bombers[k].alive = false;
                self.bombers[k].touched = w;
            }
        }
        // More bombers.
        let live_n = (0..self.bombers.len())
            .filter(|&k| self.bombers[k].alive && self.bombers[k].ty == ty)
            .count();
        for i in live_n..want_total {
            let base = self.fac(&t.bases[i % t.bases.len()]);
            let d = Self::pick_dates(rng, lo, add_days(lo, ((hi - lo).whole_days() / 3).max(0)), 1, 1).ok_or("window too short")?[0];
            let k = self.new_bomber(ty, base.clone(), false, d);
            self.bombers[k].touched = w;
            self.push(
                d,
                "new_item",
                on(&self.bombers[k].id)
                    .new_item(&t.category, &t.name, &base)
                    .status(ItemStatus::NonDeployed),
            );
            if t.all_deployed {
                self.push(
                    add_days(d, 1).min(hi),
                    "deployment",
                    Body {
                        item: Some(s(&self.bombers[k].id)),
                        ..Body::default()
                    },
                );
                self.bombers[k].deployed = true;
            }
        }
        // Deployed count.
        let live: Vec<usize> = (0..self.bombers.len())
            .filter(|&k| self.bombers[k].alive && self.bombers[k].ty == ty)
            .collect();
        let dep: Vec<usize> = live.iter().copied().filter(|&k| self.bombers[k].deployed).collect();
        if dep.len() > want_dep {
            let mut v: Vec<usize> = dep.into_iter().filter(|&k| self.bombers[k].touched != w).collect();
            v.shuffle(rng);
            let n = live.iter().filter(|&&k| self.bombers[k].deployed).count() - want_dep;
            if v.len() < n {
                return Err(format!("{}: cannot undeploy {n} bombers", t.name));
            }
            for &k in v.iter().take(n) {
                let ds = Self::pick_dates(rng, lo, hi, 2, 10).ok_or("window too short")?;
                let id = self.bombers[k].id.clone();
                self.push(ds[0], "removal_from_deployment", on(&id).reason("non-deployed"));
                self.bombers[k].deployed = false;
                self.bombers[k].touched = w;
                if let Some(r) = &t.repair {
                    let r = self.fac(r);
                    let here = self.bombers[k].facility.clone();
                    self.push(ds[1], "movement", on(&id).moving(&here, &r));
                    self.bombers[k].facility = r;
                }
            }
        } else if dep.len() < want_dep {
            let n = want_dep - dep.len();
            let mut v: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&k| !self.bombers[k].deployed && self.bombers[k].touched != w)
                .collect();
            v.shuffle(rng);
            let fresh: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&k| !self.bombers[k].deployed && self.bombers[k].touched == w)
                .collect();
            v.extend(fresh);
            if v.len() < n {
                return Err(format!("{}: {} non-deployed bombers for {n} deployments", t.name, v.len()));
            }
            for &k in v.iter().take(n) {
                let start = self.bombers[k].ready.max(lo);
                let ds = Self::pick_dates(rng, add_days(start, 1).min(hi), hi, 2, 10).ok_or("window too short")?;
                let id = self.bombers[k].id.clone();
                let here = self.bombers[k].facility.clone();
                let home = self.fac(&t.bases[0]);
                if !t.bases.iter().any(|b| self.fac(b) == here) {
                    self.push(ds[0], "movement", on(&id).moving(&here, &home));
                    self.bombers[k].facility = home;
                }
                self.push(ds[1], "deployment", on(&id));
                self.bombers[k].deployed = true;
                self.bombers[k].touched = w;
            }
        }
        Ok(())
    }

    fn missile_churn(&mut self, lo: Date, hi: Date, rng: &mut ChaCha8Rng) {
        let w = self.window;
        if self.missiles.is_empty() {
            return;
        }
        // A few tries to find an untouched deployed missile.
        for _ in 0..8 {
            let m = rng.gen_range(0..self.missiles.len());
            let x = &self.missiles[m];
            let Some(l) = x.launcher else { continue };
            if !x.alive || x.touched == w || self.launchers[l].touched == w {
                continue;
            }
            let ty = x.ty;
            let t = &self.model.types[ty];
            let lf = self.launchers[l].facility.clone();
            let store = self.fac(&t.storage);
            let swap = (0..self.missiles.len()).find(|&k| {
                let y = &self.missiles[k];
                y.alive && y.ty == ty && y.launcher.is_none() && y.touched != w && y.facility == store
            });
            let id = self.missiles[m].id.clone();
            match (rng.gen_bool(0.5), swap) {
                (true, Some(sp)) => {
                    let Some(ds) = Self::pick_dates(rng, lo, hi, 4, 12) else { return };
                    let sid = self.missiles[sp].id.clone();
                    self.push(ds[0], "removal_from_deployment", on(&id).reason("maintenance"));
                    self.push(ds[1], "movement", on(&id).moving(&lf, &store));
                    self.push(ds[2], "movement", on(&sid).moving(&store, &lf));
                    self.push(ds[3], "deployment", on(&sid).launcher(&self.launchers[l].id));
                    self.missiles[m].launcher = None;
                    self.missiles[m].facility = store;
                    self.missiles[m].touched = w;
                    self.missiles[sp].launcher = Some(l);
                    self.missiles[sp].facility = lf;
                    self.missiles[sp].touched = w;
                    self.launchers[l].missile = Some(sp);
                    self.launchers[l].touched = w;
                }
                _ => {
                    let Some(ds) = Self::pick_dates(rng, lo, hi, 2, 30) else { return };
                    self.push(ds[0], "removal_from_deployment", on(&id).reason("maintenance"));
                    self.push(ds[1], "deployment", on(&id).launcher(&self.launchers[l].id));
                    self.missiles[m].touched = w;
                    self.launchers[l].touched = w;
                }
            }
            return;
        }
    }

    fn bomber_churn(&mut self, lo: Date, hi: Date, rng: &mut ChaCha8Rng) {
        let w = self.window;
        if self.bombers.is_empty() {
            return;
        }
        for _ in 0..8 {
            let k = rng.gen_range(0..self.bombers.len());
            let x = &self.bombers[k];
            let t = &self.model.types[x.ty];
            if !x.alive || !x.deployed || x.touched == w || t.all_deployed {
                continue;
            }
            let Some(repair) = t.repair.clone() else { continue };
            let repair = self.fac(&repair);
            let Some(ds) = Self::pick_dates(rng, lo, hi, 4, 25) else { return };
            let id = x.id.clone();
            let home = x.facility.clone();
            self.push(ds[0], "removal_from_deployment", on(&id).reason("repair"));
            self.push(ds[1], "movement", on(&id).moving(&home, &repair));
            self.push(ds[2], "movement", on(&id).moving(&repair, &home));
            self.push(ds[3], "deployment", on(&id));
            self.bombers[k].touched = w;
            return;
        }
    }

    /// A heavy bomber that will be outside national territory (for notices with no state effect).
    pub fn bomber_abroad(&mut self, lo: Date, hi: Date, rng: &mut ChaCha8Rng) {
        let w = self.window;
        let cands: Vec<usize> = (0..self.bombers.len())
            .filter(|&k| {
                self.bombers[k].alive
                    && self.bombers[k].deployed
                    && self.bombers[k].touched != w
                    && !self.model.types[self.bombers[k].ty].all_deployed
            })
            .collect();
        if let (Some(&k), Some(d)) = (cands.choose(rng), Self::pick_dates(rng, lo, hi, 1, 1)) {
            let id = self.bombers[k].id.clone();
            self.bombers[k].touched = w;
            self.push(
                d[0],
                "heavy_bomber_outside_territory",
                on(&id).note("exercise abroad, more than 24 hours"),
            );
        }
    }

    /// Computed aggregates of the current state: (deployed delivery vehicles, launchers total).
    pub fn aggregates(&self) -> (u64, u64) {
        let dm = self.missiles.iter().filter(|m| m.alive && m.launcher.is_some()).count() as u64;
        let db = self.bombers.iter().filter(|b| b.alive && b.deployed).count() as u64;
        let l = self.launchers.iter().filter(|l| l.alive).count() as u64;
        let hb = self.bombers.iter().filter(|b| b.alive).count() as u64;
        (dm + db, l + hb)
    }
}
