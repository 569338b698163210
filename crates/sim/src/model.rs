//! The force-structure model (`data/force-model.toml`): facilities, types, boats and anchor
//! points per Party. Read once, validated, then used by the planner.
//!
//! Invariant: every anchor list is sorted by date and non-empty; every facility a type names
//! exists; every balance rule names a type of its Party.

use accord_treaty::date::{from_toml, Date};
use serde::Deserialize;

use crate::SimError;

/// The built-in model's text.
pub const FORCE_MODEL: &str = include_str!("../../../data/force-model.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    format: String,
    party: Vec<RawParty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    code: String,
    storage: String,
    elimination: String,
    production: String,
    dv_balance: Vec<RawBalance>,
    launcher_balance: Vec<RawBalance>,
    churn_per_year: u32,
    launch_notices_per_year: u32,
    facilities: Vec<RawFacility>,
    #[serde(rename = "type")]
    types: Vec<RawType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBalance {
    until: toml::value::Datetime,
    #[serde(rename = "type")]
    type_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacility {
    id: String,
    #[serde(rename = "type")]
    facility_type: String,
    name: String,
    tag: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnchor {
    date: toml::value::Datetime,
    value: u32,
    tag: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRvs {
    min: u32,
    typical: u32,
    max: u32,
    tag: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMove {
    date: toml::value::Datetime,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoat {
    hull: String,
    base: String,
    #[serde(default)]
    commission: Option<toml::value::Datetime>,
    #[serde(default)]
    retire: Option<toml::value::Datetime>,
    #[serde(default)]
    moves: Vec<RawMove>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    name: String,
    code: String,
    category: String,
    basing: String,
    #[serde(default)]
    bases: Vec<String>,
    #[serde(default)]
    storage: Option<String>,
    #[serde(default)]
    repair: Option<String>,
    #[serde(default)]
    convert_at: Option<String>,
    #[serde(default)]
    rvs: Option<RawRvs>,
    #[serde(default)]
    spares: u32,
    #[serde(default)]
    retire: bool,
    #[serde(default)]
    all_deployed: bool,
    #[serde(default)]
    tubes_per_boat: Option<u32>,
    deployed: Vec<RawAnchor>,
    #[serde(default)]
    launchers: Vec<RawAnchor>,
    #[serde(default)]
    missiles: Vec<RawAnchor>,
    #[serde(default)]
    boats: Vec<RawBoat>,
}

/// How a type is based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basing {
    /// ICBM silos.
    Silo,
    /// Road-mobile launchers.
    Mobile,
    /// Submarine tubes.
    Submarine,
    /// Heavy bombers at air bases.
    Air,
}

/// One anchor point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Date.
    pub date: Date,
    /// Value.
    pub value: u32,
    /// official | estimate | derived | model.
    pub tag: String,
}

/// Interpolates anchors linearly (constant before the first and after the last).
pub fn interpolate(anchors: &[Anchor], d: Date) -> u32 {
    let first = &anchors[0];
    if d <= first.date {
        return first.value;
    }
    for w in anchors.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if d <= b.date {
            let span = (b.date - a.date).whole_days() as f64;
            let t = (d - a.date).whole_days() as f64 / span.max(1.0);
            let v = f64::from(a.value) + (f64::from(b.value) - f64::from(a.value)) * t;
            return v.round() as u32;
        }
    }
    anchors[anchors.len() - 1].value
}

/// A submarine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boat {
    /// Hull name or number.
    pub hull: String,
    /// Home port at the start.
    pub base: String,
    /// In service from (None: before entry into force).
    pub commission: Option<Date>,
    /// Leaves service on (None: stays).
    pub retire: Option<Date>,
    /// Changes of home port.
    pub moves: Vec<(Date, String)>,
}

impl Boat {
    /// In service on `d`.
    pub fn in_service(&self, d: Date) -> bool {
        self.commission.is_none_or(|c| c <= d) && self.retire.is_none_or(|r| d < r)
    }

    /// Home port on `d`.
    pub fn base_on(&self, d: Date) -> &str {
        self.moves
            .iter()
            .rfind(|(m, _)| *m <= d)
            .map_or(self.base.as_str(), |(_, b)| b.as_str())
    }
}

/// Reentry-vehicle loading range of a missile type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rvs {
    /// Fewest.
    pub min: u32,
    /// Usual.
    pub typical: u32,
    /// Most.
    pub max: u32,
}

/// A missile or bomber type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeModel {
    /// Name (the item type in notifications).
    pub name: String,
    /// Short code used in identifiers.
    pub code: String,
    /// Category code of the missile or bomber.
    pub category: String,
    /// Basing.
    pub basing: Basing,
    /// Bases.
    pub bases: Vec<String>,
    /// Where non-deployed missiles are stored.
    pub storage: String,
    /// Repair facility (bombers).
    pub repair: Option<String>,
    /// Where conversions happen (bombers).
    pub convert_at: Option<String>,
    /// Loading range.
    pub rvs: Rvs,
    /// Non-deployed missiles at entry into force.
    pub spares: u32,
    /// Missiles leaving deployment are eliminated, not stored.
    pub retire: bool,
    /// Every item counts as deployed (bombers).
    pub all_deployed: bool,
    /// Tubes per boat.
    pub tubes_per_boat: u32,
    /// Deployed anchors.
    pub deployed: Vec<Anchor>,
    /// Launcher (or bomber total) anchors; empty for submarines sized by their boats.
    pub launchers: Vec<Anchor>,
    /// Total missile stock anchors (optional).
    pub missiles: Vec<Anchor>,
    /// Boats.
    pub boats: Vec<Boat>,
}

impl TypeModel {
    /// True for bombers.
    pub fn is_bomber(&self) -> bool {
        self.basing == Basing::Air
    }

    /// Launchers (or bombers) the anchors and boats call for on `d`.
    pub fn launchers_on(&self, d: Date) -> u32 {
        let tubes: u32 = self.boats.iter().filter(|b| b.in_service(d)).count() as u32 * self.tubes_per_boat;
        match (self.launchers.is_empty(), self.basing) {
            (true, Basing::Submarine) => tubes,
            (false, Basing::Submarine) => interpolate(&self.launchers, d).min(tubes),
            (true, _) => 0,
            (false, _) => interpolate(&self.launchers, d),
        }
    }
}

/// A facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityModel {
    /// Identifier.
    pub id: String,
    /// Facility type code.
    pub facility_type: String,
    /// Name.
    pub name: String,
    /// Provenance tag.
    pub tag: String,
}

/// One Party's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyModel {
    /// Party code the model was written for.
    pub code: String,
    /// Default storage.
    pub storage: String,
    /// Elimination facility.
    pub elimination: String,
    /// Production facility.
    pub production: String,
    /// Which type absorbs the deployed-vehicle residual, by period.
    pub dv_balance: Vec<(Date, usize)>,
    /// Which type absorbs the launcher residual, by period.
    pub launcher_balance: Vec<(Date, usize)>,
    /// Maintenance cycles per year.
    pub churn_per_year: u32,
    /// Launch notices per year.
    pub launch_notices_per_year: u32,
    /// Facilities.
    pub facilities: Vec<FacilityModel>,
    /// Types.
    pub types: Vec<TypeModel>,
}

impl PartyModel {
    /// The balance type in force on `d`.
    pub fn balance(rules: &[(Date, usize)], d: Date) -> usize {
        rules
            .iter()
            .find(|(until, _)| d < *until)
            .map_or(rules[rules.len() - 1].1, |(_, t)| *t)
    }
}

fn date(d: &toml::value::Datetime, what: &str) -> Result<Date, SimError> {
    from_toml(d).ok_or_else(|| SimError::Model(format!("{what}: '{d}' is not a date")))
}

fn anchors(raw: &[RawAnchor], what: &str) -> Result<Vec<Anchor>, SimError> {
    let mut out = Vec::new();
    for a in raw {
        if !matches!(a.tag.as_str(), "official" | "estimate" | "derived" | "model") {
            return Err(SimError::Model(format!("{what}: unknown tag '{}'", a.tag)));
        }
        let _ = &a.note;
        out.push(Anchor {
            date: date(&a.date, what)?,
            value: a.value,
            tag: a.tag.clone(),
        });
    }
    if out.windows(2).any(|w| w[1].date < w[0].date) {
        return Err(SimError::Model(format!("{what}: anchors out of date order")));
    }
    Ok(out)
}

/// Parses and checks the model.
pub fn parse_model(text: &str) -> Result<Vec<PartyModel>, SimError> {
    let raw: RawModel = toml::from_str(text).map_err(|e| SimError::Model(e.to_string()))?;
    if raw.format != "accord-force-model/1" {
        return Err(SimError::Model(format!("unsupported format '{}'", raw.format)));
    }
    let mut parties = Vec::new();
    for p in raw.party {
        let fac_ok = |id: &str| p.facilities.iter().any(|f| f.id == id);
        let mut types = Vec::new();
        for t in &p.types {
            let what = format!("{} {}", p.code, t.name);
            let basing = match t.basing.as_str() {
                "silo" => Basing::Silo,
                "mobile" => Basing::Mobile,
                "submarine" => Basing::Submarine,
                "air" => Basing::Air,
                other => return Err(SimError::Model(format!("{what}: unknown basing '{other}'"))),
            };
            let rvs = match (&t.rvs, basing) {
                (Some(r), _) => {
                    let _ = (&r.tag, &r.note);
                    if !(r.min <= r.typical && r.typical <= r.max) {
                        return Err(SimError::Model(format!("{what}: rvs must have min <= typical <= max")));
                    }
                    Rvs {
                        min: r.min,
                        typical: r.typical,
                        max: r.max,
                    }
                }
                (None, Basing::Air) => Rvs {
                    min: 0,
                    typical: 0,
                    max: 0,
                },
                (None, _) => return Err(SimError::Model(format!("{what}: a missile type needs rvs"))),
            };
            let mut boats = Vec::new();
            for b in &t.boats {
                let mut moves = Vec::new();
                for m in &b.moves {
                    if !fac_ok(&m.to) {
                        return Err(SimError::Model(format!(
                            "{what}: boat {} moves to unknown facility {}",
                            b.hull, m.to
                        )));
                    }
                    moves.push((date(&m.date, &what)?, m.to.clone()));
                }
                if !fac_ok(&b.base) {
                    return Err(SimError::Model(format!("{what}: boat {} at unknown facility {}", b.hull, b.base)));
                }
                boats.push(Boat {
                    hull: b.hull.clone(),
                    base: b.base.clone(),
                    commission: b.commission.as_ref().map(|d| date(d, &what)).transpose()?,
                    retire: b.retire.as_ref().map(|d| date(d, &what)).transpose()?,
                    moves,
                });
            }
            let storage = t.storage.clone().unwrap_or_else(|| p.storage.clone());
            for f in t.bases.iter().chain([&storage]).chain(t.repair.iter()).chain(t.convert_at.iter()) {
                if !fac_ok(f) {
                    return Err(SimError::Model(format!("{what}: unknown facility {f}")));
                }
            }
            if basing != Basing::Submarine && t.bases.is_empty() {
                return Err(SimError::Model(format!("{what}: needs bases")));
            }
            if basing == Basing::Submarine && (boats.is_empty() || t.tubes_per_boat.is_none()) {
                return Err(SimError::Model(format!("{what}: a submarine type needs boats and tubes_per_boat")));
            }
            let deployed = anchors(&t.deployed, &what)?;
            if deployed.is_empty() {
                return Err(SimError::Model(format!("{what}: needs deployed anchors")));
            }
            let launchers = anchors(&t.launchers, &what)?;
            if launchers.is_empty() && basing != Basing::Submarine {
                return Err(SimError::Model(format!("{what}: needs launcher anchors")));
            }
            types.push(TypeModel {
                name: t.name.clone(),
                code: t.code.clone(),
                category: t.category.clone(),
                basing,
                bases: t.bases.clone(),
                storage,
                repair: t.repair.clone(),
                convert_at: t.convert_at.clone(),
                rvs,
                spares: t.spares,
                retire: t.retire,
                all_deployed: t.all_deployed,
                tubes_per_boat: t.tubes_per_boat.unwrap_or(0),
                deployed,
                launchers,
                missiles: anchors(&t.missiles, &what)?,
                boats,
            });
        }
        let find = |name: &str| types.iter().position(|t| t.name == name);
        let rules = |raw: &[RawBalance], what: &str| -> Result<Vec<(Date, usize)>, SimError> {
            raw.iter()
                .map(|b| {
                    let t =
                        find(&b.type_name).ok_or_else(|| SimError::Model(format!("{} {what}: unknown type {}", p.code, b.type_name)))?;
                    Ok((date(&b.until, what)?, t))
                })
                .collect()
        };
        let dv_balance = rules(&p.dv_balance, "dv_balance")?;
        let launcher_balance = rules(&p.launcher_balance, "launcher_balance")?;
        if dv_balance.is_empty() || launcher_balance.is_empty() {
            return Err(SimError::Model(format!("{}: balance rules needed", p.code)));
        }
        for f in [&p.storage, &p.elimination, &p.production] {
            if !fac_ok(f) {
                return Err(SimError::Model(format!("{}: unknown facility {f}", p.code)));
            }
        }
        parties.push(PartyModel {
            code: p.code.clone(),
            storage: p.storage.clone(),
            elimination: p.elimination.clone(),
            production: p.production.clone(),
            dv_balance,
            launcher_balance,
            churn_per_year: p.churn_per_year,
            launch_notices_per_year: p.launch_notices_per_year,
            facilities: p
                .facilities
                .iter()
                .map(|f| FacilityModel {
                    id: f.id.clone(),
                    facility_type: f.facility_type.clone(),
                    name: f.name.clone(),
                    tag: f.tag.clone(),
                })
                .collect(),
            types,
        });
    }
    Ok(parties)
}
