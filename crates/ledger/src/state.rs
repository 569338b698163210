//! One Party's declared state: facilities, and items by identifier with their category, type,
//! location and deployment; the counts the treaty's limits are computed from; the last data
//! declaration (which fixes the warhead figure until the next one).
//!
//! Invariants: [`PartyState::apply`] checks a whole event before changing anything, so a refused
//! event leaves the state exactly as it was; the per-category counts always equal a
//! recomputation from the items ([`PartyState::recount`]); a missile is deployed exactly when it
//! is contained in a launcher, and a launcher exactly when it contains a missile.

use accord_treaty::catalogue::AsOf;
use accord_treaty::spec::{CategoryId, Measure, PartyId, Role, StatusFilter};
use accord_treaty::{Date, TreatySpec};

use crate::error::Problem;
use crate::event::{Declaration, Event, ItemRec, Names, Op, Sym};

/// The life of an identifier within a Party's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Never declared.
    Never,
    /// In accountability.
    Live(Item),
    /// Left accountability on this date.
    Removed(Date),
}

/// An item in accountability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Category.
    pub category: CategoryId,
    /// Type name.
    pub item_type: Sym,
    /// Facility where it is.
    pub facility: Sym,
    /// Missile: the launcher containing it. Launcher: the missile it contains.
    pub holds: Option<Sym>,
    /// Bomber: declared deployed.
    pub deployed_flag: bool,
    /// Date it entered accountability.
    pub since: Date,
}

/// The last data declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// As of.
    pub as_of: Date,
    /// Computed value of each limit as of that date (declared limits use this between updates).
    pub values: Vec<u64>,
    /// The reentry vehicles declared on each deployed missile, by item.
    pub loadings: Vec<(Sym, u32)>,
    /// Warheads by facility as of that date, derived from the loadings plus the warheads counted
    /// for deployed heavy bombers there (the database's "aggregated by operating base").
    pub by_facility: Vec<(Sym, u64)>,
}

/// A declared total that differs from what the item-level data give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    /// Limit index.
    pub limit: usize,
    /// Declared in the notification's totals.
    pub declared: u64,
    /// Computed from the items.
    pub computed: u64,
}

/// One Party's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyState {
    /// Whose.
    pub party: PartyId,
    items: Vec<Slot>,
    facilities: Vec<Option<u16>>,
    /// Per category: [deployed, non-deployed].
    counts: Vec<[u64; 2]>,
    initial: Option<Date>,
    declared: Option<Declared>,
    stamp: Vec<u32>,
    generation: u32,
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl PartyState {
    /// An empty state (before initial data).
    pub fn new(spec: &TreatySpec, party: PartyId) -> PartyState {
        PartyState {
            party,
            items: Vec::new(),
            facilities: Vec::new(),
            counts: vec![[0, 0]; spec.categories.len()],
            initial: None,
            declared: None,
            stamp: Vec::new(),
            generation: 0,
        }
    }

    /// The slot of item `k`.
    pub fn slot(&self, k: Sym) -> &Slot {
        self.items.get(k as usize).unwrap_or(&Slot::Never)
    }

    fn live(&self, k: Sym) -> Option<&Item> {
        match self.items.get(k as usize) {
            Some(Slot::Live(i)) => Some(i),
            _ => None,
        }
    }

    fn live_mut(&mut self, k: Sym) -> Option<&mut Item> {
        match self.items.get_mut(k as usize) {
            Some(Slot::Live(i)) => Some(i),
            _ => None,
        }
    }

    fn set(&mut self, k: Sym, s: Slot) {
        let k = k as usize;
        if self.items.len() <= k {
            self.items.resize(k + 1, Slot::Never);
        }
        self.items[k] = s;
    }

    fn facility_exists(&self, f: Sym) -> bool {
        matches!(self.facilities.get(f as usize), Some(Some(_)))
    }

    /// Live items with their identifiers.
    pub fn items(&self) -> impl Iterator<Item = (Sym, &Item)> {
        self.items.iter().enumerate().filter_map(|(k, s)| match s {
            Slot::Live(i) => Some((k as Sym, i)),
            _ => None,
        })
    }

    /// Facilities with their type index.
    pub fn facilities(&self) -> impl Iterator<Item = (Sym, u16)> + '_ {
        self.facilities.iter().enumerate().filter_map(|(k, t)| t.map(|t| (k as Sym, t)))
    }

    /// Whether initial data were declared, and as of when.
    pub fn initial(&self) -> Option<Date> {
        self.initial
    }

    /// The last data declaration.
    pub fn declared(&self) -> Option<&Declared> {
        self.declared.as_ref()
    }

    /// True if the item is deployed.
    pub fn is_deployed(&self, spec: &TreatySpec, item: &Item) -> bool {
        match spec.category_at(item.category).role {
            Role::Missile | Role::Launcher => item.holds.is_some(),
            Role::Bomber => item.deployed_flag,
        }
    }

    /// [deployed, non-deployed] count of a category.
    pub fn count(&self, c: CategoryId) -> [u64; 2] {
        self.counts[c.0 as usize]
    }

    /// The per-category counts recomputed from the items (for checks and tests).
    pub fn recount(&self, spec: &TreatySpec) -> Vec<[u64; 2]> {
        let mut c = vec![[0u64, 0u64]; spec.categories.len()];
        for (_, i) in self.items() {
            let d = self.is_deployed(spec, i);
            c[i.category.0 as usize][usize::from(!d)] += 1;
        }
        c
    }

    /// The per-category counts as maintained incrementally.
    pub fn counts(&self) -> &[[u64; 2]] {
        &self.counts
    }

    /// The value of limit `l` from live counts (declared reentry vehicles come from the last
    /// declaration; `None` if the limit needs one and none was made).
    pub fn limit_value(&self, spec: &TreatySpec, l: usize) -> Option<u64> {
        let limit = &spec.limits[l];
        if limit.is_declared() {
            return self.declared.as_ref().map(|d| d.values[l]);
        }
        self.initial?;
        Some(live_value(spec, &self.counts, l, &[]))
    }

    fn bump(&mut self, c: CategoryId, deployed: bool, up: bool) {
        let slot = &mut self.counts[c.0 as usize][usize::from(!deployed)];
        if up {
            *slot += 1;
        } else {
            *slot -= 1;
        }
    }

    /// Moves one item of category `c` into (`to_deployed`) or out of deployment.
    fn shift(&mut self, c: CategoryId, to_deployed: bool) {
        self.bump(c, !to_deployed, false);
        self.bump(c, to_deployed, true);
    }

    /// Applies one compiled event. On error nothing has changed.
    pub fn apply(&mut self, spec: &TreatySpec, names: &Names, e: &Event) -> Result<Vec<Discrepancy>, Problem> {
        let kind = spec.catalogue.at(e.kind as usize);
        if !spec.lifecycle.in_force(e.date) {
            return Err(problem(
                "date",
                format!(
                    "{} is outside the treaty's life: {} is in force from {} to {}",
                    e.date,
                    spec.short_name,
                    spec.lifecycle.entry_into_force(),
                    accord_treaty::date::add_days(spec.lifecycle.end_exclusive(), -1)
                ),
            ));
        }
        let p = self.party.0 as usize;
        let iname = |k: Sym| names.items[p].name(k).to_owned();
        let fname = |k: Sym| names.facilities[p].name(k).to_owned();
        if self.initial.is_none() && !matches!(e.op, Op::InitialData(_) | Op::Informational { .. }) {
            return Err(problem("kind", format!("'{}' before this Party's initial data", kind.kind)));
        }
        match &e.op {
            Op::InitialData(d) => {
                if let Some(at) = self.initial {
                    return Err(problem("kind", format!("initial data were already declared as of {at}")));
                }
                let eif = spec.lifecycle.entry_into_force();
                if e.date != eif {
                    return Err(problem("date", format!("initial data must be as of entry into force, {eif}")));
                }
                let mut fresh = PartyState::new(spec, self.party);
                fresh.load_initial(spec, names, d, e.date)?;
                let disc = fresh.declare(spec, names, d, e.date)?;
                fresh.initial = Some(e.date);
                *self = fresh;
                Ok(disc)
            }
            Op::DataUpdate(d) => {
                match kind.as_of {
                    Some(AsOf::PeriodBoundary) if !spec.is_period_boundary(e.date) => {
                        let bounds = spec.period_boundaries();
                        let hint = bounds
                            .iter()
                            .find(|b| **b >= e.date)
                            .map(|b| format!("; the next is {b}"))
                            .unwrap_or_default();
                        return Err(problem(
                            "date",
                            format!(
                                "{} is not a data-exchange date (the day after a six-month period ends){hint}",
                                e.date
                            ),
                        ));
                    }
                    Some(AsOf::LimitsApply) if e.date != spec.limits_apply_on() => {
                        return Err(problem("date", format!("'{}' must be as of {}", kind.kind, spec.limits_apply_on())));
                    }
                    _ => {}
                }
                self.declare(spec, names, d, e.date)
            }
            Op::AddFacility(f) => {
                if self.facility_exists(f.id) {
                    return Err(problem("body.facility", format!("facility '{}' exists already", fname(f.id))));
                }
                let k = f.id as usize;
                if self.facilities.len() <= k {
                    self.facilities.resize(k + 1, None);
                }
                self.facilities[k] = Some(f.facility_type);
                Ok(Vec::new())
            }
            Op::AddItem(r) => {
                self.check_new_item(names, r, "body.item", "body.facility")?;
                self.insert_item(spec, r, e.date);
                Ok(Vec::new())
            }
            Op::Deploy { item, launcher } => {
                let it = self.live(*item).ok_or_else(|| self.unknown(names, *item, "body.item"))?;
                let cat = spec.category_at(it.category);
                match (cat.role, launcher) {
                    (Role::Missile, Some(l)) => {
                        if let Some(cur) = it.holds {
                            return Err(problem(
                                "body.item",
                                format!("missile '{}' is deployed already, in launcher '{}'", iname(*item), iname(cur)),
                            ));
                        }
                        let lau = self.live(*l).ok_or_else(|| self.unknown(names, *l, "body.launcher"))?;
                        if Some(lau.category) != cat.launcher_category {
                            return Err(problem(
                                "body.launcher",
                                format!(
                                    "'{}' is a {}, not a launcher for a {}",
                                    iname(*l),
                                    spec.category_at(lau.category).code,
                                    cat.code
                                ),
                            ));
                        }
                        if let Some(m) = lau.holds {
                            return Err(problem(
                                "body.launcher",
                                format!("launcher '{}' contains missile '{}' already", iname(*l), iname(m)),
                            ));
                        }
                        if lau.facility != it.facility {
                            return Err(problem(
                                "body.launcher",
                                format!(
                                    "launcher '{}' is at '{}', missile '{}' at '{}'",
                                    iname(*l),
                                    fname(lau.facility),
                                    iname(*item),
                                    fname(it.facility)
                                ),
                            ));
                        }
                        let (mc, lc) = (it.category, lau.category);
                        if let Some(m) = self.live_mut(*item) {
                            m.holds = Some(*l);
                        }
                        if let Some(x) = self.live_mut(*l) {
                            x.holds = Some(*item);
                        }
                        self.shift(mc, true);
                        self.shift(lc, true);
                    }
                    (Role::Missile, None) => {
                        return Err(problem(
                            "body.launcher",
                            format!(
                                "a missile is deployed by installing it in a launcher; name the launcher for '{}'",
                                iname(*item)
                            ),
                        ))
                    }
                    (Role::Bomber, None) => {
                        if it.deployed_flag {
                            return Err(problem("body.item", format!("heavy bomber '{}' is deployed already", iname(*item))));
                        }
                        let c = it.category;
                        if let Some(b) = self.live_mut(*item) {
                            b.deployed_flag = true;
                        }
                        self.shift(c, true);
                    }
                    (Role::Bomber, Some(_)) => return Err(problem("body.launcher", "a heavy bomber is not deployed in a launcher")),
                    (Role::Launcher, _) => {
                        return Err(problem(
                            "body.item",
                            format!(
                                "'{}' is a launcher: it becomes deployed when a missile is installed in it",
                                iname(*item)
                            ),
                        ))
                    }
                }
                Ok(Vec::new())
            }
            Op::Undeploy { item } => {
                let it = self.live(*item).ok_or_else(|| self.unknown(names, *item, "body.item"))?;
                match spec.category_at(it.category).role {
                    Role::Missile => {
                        let l = it
                            .holds
                            .ok_or_else(|| problem("body.item", format!("missile '{}' is not deployed", iname(*item))))?;
                        let mc = it.category;
                        let lc = self.live(l).map(|x| x.category).unwrap_or(mc);
                        if let Some(m) = self.live_mut(*item) {
                            m.holds = None;
                        }
                        if let Some(x) = self.live_mut(l) {
                            x.holds = None;
                        }
                        self.shift(mc, false);
                        self.shift(lc, false);
                    }
                    Role::Bomber => {
                        if !it.deployed_flag {
                            return Err(problem("body.item", format!("heavy bomber '{}' is not deployed", iname(*item))));
                        }
                        let c = it.category;
                        if let Some(b) = self.live_mut(*item) {
                            b.deployed_flag = false;
                        }
                        self.shift(c, false);
                    }
                    Role::Launcher => {
                        return Err(problem(
                            "body.item",
                            format!("'{}' is a launcher: remove the missile it contains instead", iname(*item)),
                        ))
                    }
                }
                Ok(Vec::new())
            }
            Op::Move { item, from, to } => {
                let it = self.live(*item).ok_or_else(|| self.unknown(names, *item, "body.item"))?;
                if it.facility != *from {
                    return Err(problem(
                        "body.from",
                        format!("'{}' is at '{}', not '{}'", iname(*item), fname(it.facility), fname(*from)),
                    ));
                }
                if !self.facility_exists(*to) {
                    return Err(problem("body.to", format!("unknown facility '{}'", fname(*to))));
                }
                if from == to {
                    return Err(problem("body.to", "an item cannot move to where it is"));
                }
                if spec.category_at(it.category).role == Role::Missile {
                    if let Some(l) = it.holds {
                        return Err(problem(
                            "body.item",
                            format!(
                                "missile '{}' is in launcher '{}': remove it from the launcher first, or move the launcher",
                                iname(*item),
                                iname(l)
                            ),
                        ));
                    }
                }
                let carried = match spec.category_at(it.category).role {
                    Role::Launcher => it.holds,
                    _ => None,
                };
                if let Some(x) = self.live_mut(*item) {
                    x.facility = *to;
                }
                if let Some(m) = carried {
                    if let Some(x) = self.live_mut(m) {
                        x.facility = *to;
                    }
                }
                Ok(Vec::new())
            }
            Op::Remove { item } => {
                let it = self.live(*item).ok_or_else(|| self.unknown(names, *item, "body.item"))?.clone();
                let role = spec.category_at(it.category).role;
                if role == Role::Launcher {
                    if let Some(m) = it.holds {
                        return Err(problem(
                            "body.item",
                            format!(
                                "launcher '{}' contains missile '{}': remove the missile first",
                                iname(*item),
                                iname(m)
                            ),
                        ));
                    }
                }
                let deployed = self.is_deployed(spec, &it);
                if role == Role::Missile {
                    if let Some(l) = it.holds {
                        let lc = self.live(l).map(|x| x.category).unwrap_or(it.category);
                        if let Some(x) = self.live_mut(l) {
                            x.holds = None;
                        }
                        self.shift(lc, false);
                    }
                }
                self.bump(it.category, deployed, false);
                self.set(*item, Slot::Removed(e.date));
                Ok(Vec::new())
            }
            Op::Informational { item } => {
                if let Some(k) = item {
                    if self.live(*k).is_none() {
                        return Err(self.unknown(names, *k, "body.item"));
                    }
                }
                Ok(Vec::new())
            }
        }
    }

    fn unknown(&self, names: &Names, k: Sym, field: &str) -> Problem {
        let name = names.items[self.party.0 as usize].name(k);
        match self.slot(k) {
            Slot::Removed(d) => problem(field, format!("'{name}' left accountability on {d}")),
            _ => problem(field, format!("unknown identifier '{name}'")),
        }
    }

    fn check_new_item(&self, names: &Names, r: &ItemRec, field: &str, ffield: &str) -> Result<(), Problem> {
        let p = self.party.0 as usize;
        match self.slot(r.id) {
            Slot::Never => {}
            Slot::Live(_) => {
                return Err(problem(
                    field,
                    format!("identifier '{}' is in use already", names.items[p].name(r.id)),
                ))
            }
            Slot::Removed(d) => {
                return Err(problem(
                    field,
                    format!(
                        "identifier '{}' left accountability on {d} and cannot be reused",
                        names.items[p].name(r.id)
                    ),
                ))
            }
        }
        if !self.facility_exists(r.facility) {
            return Err(problem(
                ffield,
                format!("unknown facility '{}'", names.facilities[p].name(r.facility)),
            ));
        }
        Ok(())
    }

    fn insert_item(&mut self, spec: &TreatySpec, r: &ItemRec, date: Date) {
        let deployed = r.deployed.unwrap_or(false) && spec.category_at(r.category).role == Role::Bomber;
        self.set(
            r.id,
            Slot::Live(Item {
                category: r.category,
                item_type: r.item_type,
                facility: r.facility,
                holds: None,
                deployed_flag: deployed,
                since: date,
            }),
        );
        self.bump(r.category, deployed, true);
    }

    /// Builds the state from initial data (on a fresh state).
    fn load_initial(&mut self, spec: &TreatySpec, names: &Names, d: &Declaration, date: Date) -> Result<(), Problem> {
        let p = self.party.0 as usize;
        for (i, f) in d.facilities.iter().enumerate() {
            if self.facility_exists(f.id) {
                return Err(problem(
                    &format!("body.facilities[{i}].id"),
                    format!("facility '{}' declared twice", names.facilities[p].name(f.id)),
                ));
            }
            let k = f.id as usize;
            if self.facilities.len() <= k {
                self.facilities.resize(k + 1, None);
            }
            self.facilities[k] = Some(f.facility_type);
        }
        // Launchers and bombers first, then missiles into their launchers.
        for pass in 0..2 {
            for (i, r) in d.items.iter().enumerate() {
                let is_missile = spec.category_at(r.category).role == Role::Missile;
                if (pass == 0) == is_missile {
                    continue;
                }
                self.check_new_item(names, r, &format!("body.items[{i}].id"), &format!("body.items[{i}].facility"))?;
                self.insert_item(spec, r, date);
                if let Some(l) = r.launcher {
                    let field = format!("body.items[{i}].launcher");
                    let ln = names.items[p].name(l);
                    let lau = self.live(l).ok_or_else(|| problem(&field, format!("unknown launcher '{ln}'")))?;
                    let want = spec.category_at(r.category).launcher_category;
                    if Some(lau.category) != want {
                        return Err(problem(
                            &field,
                            format!("'{ln}' is not a launcher for a {}", spec.category_at(r.category).code),
                        ));
                    }
                    if let Some(m) = lau.holds {
                        return Err(problem(
                            &field,
                            format!("launcher '{ln}' contains missile '{}' already", names.items[p].name(m)),
                        ));
                    }
                    if lau.facility != r.facility {
                        return Err(problem(&field, format!("launcher '{ln}' is at another facility")));
                    }
                    let (mc, lc) = (r.category, lau.category);
                    if let Some(m) = self.live_mut(r.id) {
                        m.holds = Some(l);
                    }
                    if let Some(x) = self.live_mut(l) {
                        x.holds = Some(r.id);
                    }
                    self.shift(mc, true);
                    self.shift(lc, true);
                }
            }
        }
        Ok(())
    }

    /// Records a data declaration as of `date`: checks the loadings cover exactly the deployed
    /// missiles, computes every limit, compares the declared totals. Changes nothing on error.
    fn declare(&mut self, spec: &TreatySpec, names: &Names, d: &Declaration, date: Date) -> Result<Vec<Discrepancy>, Problem> {
        let p = self.party.0 as usize;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        if self.stamp.len() < self.items.len() {
            self.stamp.resize(self.items.len(), 0);
        }
        let mut rvs = vec![0u64; spec.categories.len()];
        for (i, (m, n)) in d.loadings.iter().enumerate() {
            let field = || format!("body.loadings[{i}].missile");
            let name = names.items[p].name(*m);
            let it = match self.items.get(*m as usize) {
                Some(Slot::Live(it)) => it,
                Some(Slot::Removed(day)) => return Err(problem(&field(), format!("missile '{name}' left accountability on {day}"))),
                _ => return Err(problem(&field(), format!("unknown identifier '{name}'"))),
            };
            if spec.category_at(it.category).role != Role::Missile {
                return Err(problem(&field(), format!("'{name}' is not a missile")));
            }
            if it.holds.is_none() {
                return Err(problem(
                    &field(),
                    format!("missile '{name}' is not deployed on {date}; loadings are declared for deployed missiles only"),
                ));
            }
            if self.stamp[*m as usize] == self.generation {
                return Err(problem(&field(), format!("missile '{name}' has two loadings")));
            }
            self.stamp[*m as usize] = self.generation;
            rvs[it.category.0 as usize] += u64::from(*n);
        }
        let deployed_missiles: u64 = spec
            .categories
            .iter()
            .enumerate()
            .filter(|(_, c)| c.role == Role::Missile)
            .map(|(i, _)| self.counts[i][0])
            .sum();
        if deployed_missiles != d.loadings.len() as u64 {
            let missing = self
                .items()
                .find(|(k, it)| {
                    spec.category_at(it.category).role == Role::Missile && it.holds.is_some() && self.stamp[*k as usize] != self.generation
                })
                .map(|(k, _)| names.items[p].name(k).to_owned())
                .unwrap_or_default();
            return Err(problem(
                "body.loadings",
                format!(
                    "no loading for deployed missile '{missing}' ({} deployed, {} loadings)",
                    deployed_missiles,
                    d.loadings.len()
                ),
            ));
        }
        let values: Vec<u64> = (0..spec.limits.len()).map(|l| live_value(spec, &self.counts, l, &rvs)).collect();
        let mut disc = Vec::new();
        for (l, v) in d.totals.iter().enumerate() {
            if let Some(v) = v {
                if *v != values[l] {
                    disc.push(Discrepancy {
                        limit: l,
                        declared: *v,
                        computed: values[l],
                    });
                }
            }
        }
        // Base totals: reentry vehicles by the missile's facility, plus fixed-measure counts
        // (one warhead per deployed heavy bomber) by the bomber's facility.
        let mut by_facility: std::collections::BTreeMap<Sym, u64> = std::collections::BTreeMap::new();
        for (m, n) in &d.loadings {
            if let Some(it) = self.live(*m) {
                *by_facility.entry(it.facility).or_default() += u64::from(*n);
            }
        }
        for limit in spec.limits.iter().filter(|l| l.is_declared()) {
            for c in &limit.count {
                if let Measure::Fixed { per_item } = c.measure {
                    for (_, it) in self.items() {
                        if it.category == c.category
                            && matches!(c.status, StatusFilter::Deployed | StatusFilter::Any)
                            && self.is_deployed(spec, it)
                        {
                            *by_facility.entry(it.facility).or_default() += u64::from(per_item);
                        }
                    }
                }
            }
        }
        self.declared = Some(Declared {
            as_of: date,
            values,
            loadings: d.loadings.clone(),
            by_facility: by_facility.into_iter().collect(),
        });
        Ok(disc)
    }
}

/// The value of limit `l` from per-category counts and declared reentry vehicles per category.
pub fn live_value(spec: &TreatySpec, counts: &[[u64; 2]], l: usize, rvs: &[u64]) -> u64 {
    spec.limits[l]
        .count
        .iter()
        .map(|c| {
            let [dep, non] = counts[c.category.0 as usize];
            let n = match c.status {
                StatusFilter::Deployed => dep,
                StatusFilter::NonDeployed => non,
                StatusFilter::Any => dep + non,
            };
            match c.measure {
                Measure::Items => n,
                Measure::Fixed { per_item } => n * u64::from(per_item),
                Measure::DeclaredReentryVehicles => rvs.get(c.category.0 as usize).copied().unwrap_or(0),
            }
        })
        .sum()
}
