//! Notifications compiled for replay: kind, party and every identifier resolved to small
//! integers, the body checked against the treaty's catalogue.
//!
//! Invariant: an [`Event`] exists only for a notification whose kind is in the catalogue, whose
//! party is a Party of the treaty, whose body has every field the kind requires and none it
//! does not declare, and whose codes (categories, facility types, limit names) are the spec's.
//! Identity checks that need the state (does this item exist?) happen in replay.

use std::collections::BTreeMap;

use accord_treaty::catalogue::Effect;
use accord_treaty::spec::{CategoryId, PartyId, Role};
use accord_treaty::{Date, Field, TreatySpec};

use crate::error::Problem;
use crate::notification::{ItemStatus, Notification, Timestamp};

/// An interned identifier (of an item or a facility, within one Party).
pub type Sym = u32;

/// Maps identifiers to dense numbers and back; each name is stored once.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    table: hashbrown::HashTable<Sym>,
    names: Vec<Box<str>>,
}

fn hash(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(s)
}

impl Interner {
    /// The number for `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_new(s).0
    }

    /// The number for `s` and whether it was new.
    pub fn intern_new(&mut self, s: &str) -> (Sym, bool) {
        let h = hash(s);
        let names = &self.names;
        if let Some(&k) = self.table.find(h, |&k| &*names[k as usize] == s) {
            return (k, false);
        }
        let k = self.names.len() as Sym;
        self.names.push(s.into());
        let names = &self.names;
        self.table.insert_unique(h, k, |&k| hash(&names[k as usize]));
        (k, true)
    }

    /// Makes room for `n` more names.
    pub fn reserve(&mut self, n: usize) {
        let names = &self.names;
        self.table.reserve(n, |&k| hash(&names[k as usize]));
        self.names.reserve(n);
    }

    /// The name of `k`.
    pub fn name(&self, k: Sym) -> &str {
        &self.names[k as usize]
    }

    /// The number for `s`, if known.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let names = &self.names;
        self.table.find(hash(s), |&k| &*names[k as usize] == s).copied()
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Per-party identifier tables, plus a shared table of type names.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Notification ids of each party.
    pub ids: Vec<Interner>,
    /// Items of each party.
    pub items: Vec<Interner>,
    /// Facilities of each party.
    pub facilities: Vec<Interner>,
    /// Item type names.
    pub types: Interner,
}

impl Names {
    /// Tables for `parties` parties.
    pub fn new(parties: usize) -> Names {
        Names {
            ids: vec![Interner::default(); parties],
            items: vec![Interner::default(); parties],
            facilities: vec![Interner::default(); parties],
            types: Interner::default(),
        }
    }
}

/// A facility in compiled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityRec {
    /// Identifier.
    pub id: Sym,
    /// Index of its facility type in the spec.
    pub facility_type: u16,
}

/// An item in compiled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRec {
    /// Identifier.
    pub id: Sym,
    /// Category.
    pub category: CategoryId,
    /// Type name.
    pub item_type: Sym,
    /// Facility.
    pub facility: Sym,
    /// Launcher containing it (missiles).
    pub launcher: Option<Sym>,
    /// Declared status (bombers).
    pub deployed: Option<bool>,
}

/// A data declaration in compiled form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Declaration {
    /// Facilities (initial data only).
    pub facilities: Vec<FacilityRec>,
    /// Items (initial data only).
    pub items: Vec<ItemRec>,
    /// (missile, reentry vehicles).
    pub loadings: Vec<(Sym, u32)>,
    /// Declared totals by limit index; `None` where a limit was not declared.
    pub totals: Vec<Option<u64>>,
    /// Index in `loadings` of each entry, for messages.
    pub loading_index: Vec<u32>,
}

/// What a notification does, in compiled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Initial data.
    InitialData(Box<Declaration>),
    /// A data declaration as of the event date.
    DataUpdate(Box<Declaration>),
    /// New facility.
    AddFacility(FacilityRec),
    /// New item.
    AddItem(ItemRec),
    /// Missile into launcher / bomber deployed.
    Deploy {
        /// Item.
        item: Sym,
        /// Launcher, for a missile.
        launcher: Option<Sym>,
    },
    /// Out of deployment.
    Undeploy {
        /// Item.
        item: Sym,
    },
    /// Movement.
    Move {
        /// Item.
        item: Sym,
        /// From facility.
        from: Sym,
        /// To facility.
        to: Sym,
    },
    /// Leaves accountability.
    Remove {
        /// Item.
        item: Sym,
    },
    /// No effect on state; `item` is checked to exist when given.
    Informational {
        /// An item referred to.
        item: Option<Sym>,
    },
}

/// One compiled notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 1-based line in its history (0 when not from a file).
    pub line: u32,
    /// Party.
    pub party: PartyId,
    /// Index of the kind in the catalogue.
    pub kind: u16,
    /// Event (or as-of) date.
    pub date: Date,
    /// When sent.
    pub sent: Option<Timestamp>,
    /// When received.
    pub received: Option<Timestamp>,
    /// The notification's id, interned per party (`Names::ids`).
    pub id: Sym,
    /// The effect.
    pub op: Op,
}

impl Event {
    /// Replay order within a day: changes first, then data declarations as of that day.
    pub fn phase(&self) -> u8 {
        match self.op {
            Op::InitialData(_) | Op::DataUpdate(_) => 1,
            _ => 0,
        }
    }
}

fn field_problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Compiles a parsed notification against the spec. Pure apart from adding names.
pub fn compile<'n>(spec: &TreatySpec, names: &mut Names, n: &'n Notification<'_>, line: u32) -> Result<Event, Problem> {
    let party = spec
        .party(&n.party)
        .ok_or_else(|| field_problem("party", format!("'{}' is not a Party of {}", n.party, spec.short_name)))?;
    let (kind_index, kind) = spec.catalogue.get(&n.kind).ok_or_else(|| {
        field_problem(
            "kind",
            format!("unknown kind '{}' (see `accord treaty show` for the catalogue)", n.kind),
        )
    })?;
    if n.id.trim().is_empty() {
        return Err(field_problem("id", "must not be empty"));
    }
    if n.id.chars().any(char::is_control) {
        return Err(field_problem("id", format!("{:?} holds a control character", n.id)));
    }
    if let (None, Some(_)) = (n.sent, n.received) {
        return Err(field_problem("received", "a notification cannot be received before it is sent"));
    }
    if let (Some(s), Some(r)) = (n.sent, n.received) {
        if r < s {
            return Err(field_problem("received", format!("{r} is before sent {s}")));
        }
    }
    // Fields present must be declared by the kind; required ones must be present.
    let present = n.body.present();
    for &f in &present {
        if kind.field(f).is_none() {
            if matches!(f, Field::Loadings | Field::Totals) && !kind.carries_warhead_data() {
                return Err(field_problem(
                    &format!("body.{}", f.name()),
                    format!(
                        "warhead numbers change only through the six-month update ({}); kind '{}' cannot carry '{}'",
                        spec.calendar.warheads_rule_section,
                        kind.kind,
                        f.name()
                    ),
                ));
            }
            let allowed: Vec<&str> = kind.fields.iter().map(|s| s.field.name()).collect();
            return Err(field_problem(
                &format!("body.{}", f.name()),
                format!(
                    "kind '{}' has no field '{}' (its fields: {})",
                    kind.kind,
                    f.name(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    for fs in &kind.fields {
        if fs.required && !present.contains(&fs.field) {
            return Err(field_problem(
                &format!("body.{}", fs.field.name()),
                format!("missing; kind '{}' requires it", kind.kind),
            ));
        }
    }
    let p = party.0 as usize;
    let b = &n.body;
    let req = |v: &'n Option<std::borrow::Cow<'_, str>>, f: &str| -> Result<&'n str, Problem> {
        match v {
            Some(s) if !s.trim().is_empty() => Ok(s.as_ref()),
            Some(_) => Err(field_problem(&format!("body.{f}"), "must not be empty")),
            None => Err(field_problem(&format!("body.{f}"), "missing")),
        }
    };
    let category = |code: &str, field: &str| -> Result<CategoryId, Problem> {
        spec.category(code)
            .ok_or_else(|| field_problem(field, format!("unknown category '{code}'")))
    };
    let op = match kind.effect {
        Effect::InitialData | Effect::DataUpdate => {
            let mut d = Declaration::default();
            if let Some(fs) = &b.facilities {
                for (i, f) in fs.iter().enumerate() {
                    let ft = spec.facility_type(&f.facility_type).ok_or_else(|| {
                        field_problem(
                            &format!("body.facilities[{i}].type"),
                            format!("unknown facility type '{}'", f.facility_type),
                        )
                    })?;
                    if f.id.trim().is_empty() {
                        return Err(field_problem(&format!("body.facilities[{i}].id"), "must not be empty"));
                    }
                    d.facilities.push(FacilityRec {
                        id: names.facilities[p].intern(&f.id),
                        facility_type: ft as u16,
                    });
                }
            }
            if let Some(items) = &b.items {
                for (i, it) in items.iter().enumerate() {
                    let cat = category(&it.category, &format!("body.items[{i}].category"))?;
                    let role = spec.category_at(cat).role;
                    if it.id.trim().is_empty() {
                        return Err(field_problem(&format!("body.items[{i}].id"), "must not be empty"));
                    }
                    if it.launcher.is_some() && role != Role::Missile {
                        return Err(field_problem(
                            &format!("body.items[{i}].launcher"),
                            format!("only missiles are contained in launchers; '{}' is a {}", it.id, it.category),
                        ));
                    }
                    if it.status.is_some() && role != Role::Bomber {
                        return Err(field_problem(
                            &format!("body.items[{i}].status"),
                            format!("status is declared only for heavy bombers; '{}' is a {}", it.id, it.category),
                        ));
                    }
                    d.items.push(ItemRec {
                        id: names.items[p].intern(&it.id),
                        category: cat,
                        item_type: names.types.intern(&it.item_type),
                        facility: names.facilities[p].intern(&it.facility),
                        launcher: it.launcher.as_ref().map(|l| names.items[p].intern(l)),
                        deployed: it.status.map(|s| s == ItemStatus::Deployed),
                    });
                }
            }
            if let Some(ls) = &b.loadings {
                d.loadings.reserve(ls.len());
                for l in ls {
                    d.loadings.push((names.items[p].intern(&l.missile), l.reentry_vehicles));
                }
            }
            if let Some(t) = &b.totals {
                d.totals = vec![None; spec.limits.len()];
                let known: BTreeMap<&str, usize> = spec.limits.iter().enumerate().map(|(i, l)| (l.name.as_str(), i)).collect();
                for (name, v) in t {
                    let i = known.get(name.as_ref()).ok_or_else(|| {
                        field_problem(
                            &format!("body.totals.{name}"),
                            format!("'{name}' is not a limit of {}", spec.short_name),
                        )
                    })?;
                    d.totals[*i] = Some(*v);
                }
            }
            if kind.effect == Effect::InitialData {
                Op::InitialData(Box::new(d))
            } else {
                Op::DataUpdate(Box::new(d))
            }
        }
        Effect::AddFacility => {
            let ftc = req(&b.facility_type, "facility_type")?;
            let ft = spec
                .facility_type(ftc)
                .ok_or_else(|| field_problem("body.facility_type", format!("unknown facility type '{ftc}'")))?;
            req(&b.name, "name")?;
            Op::AddFacility(FacilityRec {
                id: names.facilities[p].intern(req(&b.facility, "facility")?),
                facility_type: ft as u16,
            })
        }
        Effect::AddItem => {
            let cat = category(req(&b.category, "category")?, "body.category")?;
            let role = spec.category_at(cat).role;
            if b.status.is_some() && role != Role::Bomber {
                return Err(field_problem("body.status", "status is declared only for heavy bombers"));
            }
            Op::AddItem(ItemRec {
                id: names.items[p].intern(req(&b.item, "item")?),
                category: cat,
                item_type: names.types.intern(req(&b.item_type, "type")?),
                facility: names.facilities[p].intern(req(&b.facility, "facility")?),
                launcher: None,
                deployed: Some(b.status == Some(ItemStatus::Deployed)).filter(|_| role == Role::Bomber),
            })
        }
        Effect::Deploy => Op::Deploy {
            item: names.items[p].intern(req(&b.item, "item")?),
            launcher: match &b.launcher {
                Some(_) => Some(names.items[p].intern(req(&b.launcher, "launcher")?)),
                None => None,
            },
        },
        Effect::Undeploy => Op::Undeploy {
            item: names.items[p].intern(req(&b.item, "item")?),
        },
        Effect::Move => Op::Move {
            item: names.items[p].intern(req(&b.item, "item")?),
            from: names.facilities[p].intern(req(&b.from, "from")?),
            to: names.facilities[p].intern(req(&b.to, "to")?),
        },
        Effect::Remove => Op::Remove {
            item: names.items[p].intern(req(&b.item, "item")?),
        },
        Effect::Inspection(_) | Effect::Negotiation(_) => Op::Informational { item: None },
        Effect::None => Op::Informational {
            item: match &b.item {
                Some(_) => Some(names.items[p].intern(req(&b.item, "item")?)),
                None => None,
            },
        },
    };
    Ok(Event {
        line,
        party,
        kind: kind_index as u16,
        date: n.date,
        sent: n.sent,
        received: n.received,
        id: names.ids[p].intern(&n.id),
        op,
    })
}
