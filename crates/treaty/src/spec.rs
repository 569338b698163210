//! A validated treaty specification: parties, facility types, item categories, central limits
//! with their counting rules, the data-exchange calendar, inspection quotas, the notification
//! catalogue, and the lifecycle.
//!
//! Invariants: a [`TreatySpec`] can only be built by [`TreatySpec::parse`], which refuses a
//! malformed or inconsistent file naming file, line and field; every cross-reference (a
//! category's launcher category, a counting rule's category, a kind's fields, a value's source)
//! resolves; codes are unique. Nothing here does I/O: the caller supplies the text of the
//! lifecycle file through a loader.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use toml::Spanned;

use crate::catalogue::{AsOf, Catalogue, Deadline, Effect, Field, FieldSpec, NotificationKind};
use crate::date::{add_days, add_years, first_of_next_month, from_toml, Date};
use crate::error::{Locator, SpecError};
use crate::lifecycle::{Lifecycle, LifecycleEvent, PinnedDate, Rule};
use crate::provenance::{note_unconfirmed, Provenance, Source, Status, Unconfirmed};
use crate::raw::{
    RawCalendar, RawCategory, RawFacilityType, RawInspectionType, RawInspections, RawKind, RawLifecycle, RawLimit, RawParty, RawSource,
    RawSpec,
};

/// The spec format this build reads.
pub const SPEC_FORMAT: &str = "accord-treaty/1";
/// The lifecycle format this build reads.
pub const LIFECYCLE_FORMAT: &str = "accord-lifecycle/1";

/// Index of a party in its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PartyId(pub u8);

/// Index of a category in its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CategoryId(pub u8);

/// A Party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// Code used in notifications (`US`, `RU`).
    pub code: String,
    /// Name in English.
    pub name: String,
    /// Name in Russian.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<String>,
}

/// A facility type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacilityType {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// How an item category behaves in counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Deployed when contained in a deployed launcher.
    Missile,
    /// Deployed when it contains a missile.
    Launcher,
    /// Deployed or non-deployed as declared.
    Bomber,
}

/// An item category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Code (`icbm`).
    pub code: String,
    /// Name (`ICBM`).
    pub name: String,
    /// Its name in Russian (the other authentic language), for bilingual documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<String>,
    /// Role.
    pub role: Role,
    /// For missiles: the launcher category that holds them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launcher_category: Option<CategoryId>,
    /// Whether items carry a treaty unique identifier.
    pub unique_identifier: bool,
    /// Source and status.
    pub provenance: Provenance,
}

/// Which items a counting rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Deployed only.
    Deployed,
    /// Non-deployed only.
    NonDeployed,
    /// Both.
    Any,
}

/// How each counted item contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    /// One per item.
    Items,
    /// The reentry vehicles declared emplaced on it in the last data declaration.
    DeclaredReentryVehicles,
    /// A fixed number per item (one warhead per deployed heavy bomber).
    Fixed {
        /// The number.
        per_item: u32,
    },
}

/// One line of a counting rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRule {
    /// Category counted.
    pub category: CategoryId,
    /// Which items.
    pub status: StatusFilter,
    /// How.
    pub measure: Measure,
    /// Article.
    pub article: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// A central limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// Name (`deployed_delivery_vehicles`, `warheads`, `launchers_total`).
    pub name: String,
    /// Title.
    pub title: String,
    /// The ceiling.
    pub value: u64,
    /// Article.
    pub article: String,
    /// Source and status.
    pub provenance: Provenance,
    /// Counting rules.
    pub count: Vec<CountRule>,
}

impl Limit {
    /// True if this limit's figure changes only with a data declaration (it counts declared
    /// reentry vehicles), as warhead data do under Part Four §II para 3.
    pub fn is_declared(&self) -> bool {
        self.count.iter().any(|c| c.measure == Measure::DeclaredReentryVehicles)
    }
}

/// Data-exchange calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// Period length in months.
    pub period_months: u32,
    /// First day of the first period.
    pub first_period_start: Date,
    /// Protocol reference.
    pub section: String,
    /// Kinds that may change warhead data.
    pub warheads_change_only_in: Vec<String>,
    /// Protocol reference of that rule.
    pub warheads_rule_section: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// Inspection rules (issue #5 builds the workflow on these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspections {
    /// Inspections may begin this many days after entry into force.
    pub begin_days_after_entry_into_force: u32,
    /// Only one inspection at a time.
    pub one_at_a_time: bool,
    /// Protocol reference.
    pub section: String,
    /// Quota year (`treaty_year`: from each anniversary of entry into force).
    pub year: String,
    /// Source and status.
    pub provenance: Provenance,
    /// Types and yearly quotas.
    pub types: Vec<InspectionType>,
    /// How the missile for a reentry-vehicle inspection is chosen.
    pub missile_choice: MissileChoice,
}

/// How the missile for a reentry-vehicle inspection is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissileChoice {
    /// The inspecting Party designates it (the treaty's "any randomly selected" missile, as
    /// the inspectors select it).
    Designation,
    /// Beyond the treaty: jointly, by commit-reveal randomness of both Parties, so that
    /// neither can steer the choice and both can audit it.
    CommitReveal,
}

/// Who gives the notice that opens an inspection activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeBy {
    /// The inspecting Party (inspections).
    Inspecting,
    /// The Party whose items are shown, by invitation (exhibitions): outside the yearly
    /// quotas and the one-at-a-time rule.
    Inspected,
}

/// A type of inspection with its yearly quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectionType {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its name in Russian, for bilingual documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ru: Option<String>,
    /// Per Party per year (none: no quota, as for exhibitions).
    pub quota_per_year: Option<u32>,
    /// Who gives the notice.
    pub notice_by: NoticeBy,
    /// Which sites.
    pub sites: String,
    /// Article.
    pub article: String,
    /// Source and status.
    pub provenance: Provenance,
}

/// A validated treaty specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreatySpec {
    /// Format version.
    pub format: String,
    /// Identifier (`new-start`).
    pub id: String,
    /// Short name.
    pub short_name: String,
    /// Full name.
    pub name: String,
    /// Sources of the spec and its lifecycle, by key.
    pub sources: BTreeMap<String, Source>,
    /// Parties.
    pub parties: Vec<Party>,
    /// Facility types.
    pub facility_types: Vec<FacilityType>,
    /// Item categories.
    pub categories: Vec<Category>,
    /// Years after entry into force from which the limits apply.
    pub limits_apply_years: u32,
    /// Article of that rule.
    pub limits_apply_article: String,
    /// Source of that rule.
    pub limits_apply_provenance: Provenance,
    /// Central limits.
    pub limits: Vec<Limit>,
    /// Calendar.
    pub calendar: Calendar,
    /// Inspections.
    pub inspections: Inspections,
    /// Notification catalogue.
    pub catalogue: Catalogue,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// The real history (`accord-history/1`), if the spec names one: every dated event.
    pub history: Vec<crate::history::HistoryEvent>,
}

/// The text of a file the spec refers to, as supplied by the caller.
pub struct LoadedFile {
    /// Its name, for messages.
    pub name: String,
    /// Its text.
    pub text: String,
}

fn prov(source: &str, status: Status, note: Option<String>) -> Provenance {
    Provenance {
        source: source.to_owned(),
        status,
        note,
    }
}

fn sources_of(map: BTreeMap<String, RawSource>, into: &mut BTreeMap<String, Source>) {
    for (key, s) in map {
        into.insert(
            key.clone(),
            Source {
                key,
                url: s.url,
                tag: s.tag,
                note: s.note,
                read_at: s.read_at,
            },
        );
    }
}

impl TreatySpec {
    /// The treaty as it was known on `date`, for a what-if played from that day (a proposal
    /// accepted that was not, say): the lifecycle's and the history's later events left out.
    /// `None` before entry into force.
    pub fn as_known_on(&self, date: Date) -> Option<TreatySpec> {
        let mut spec = self.clone();
        spec.lifecycle = self.lifecycle.as_known_on(date)?;
        spec.history.retain(|e| e.event.date <= date);
        Some(spec)
    }

    /// Parses and validates a spec. `load` returns the text of a file the spec names (its
    /// lifecycle file), given the name written in the spec.
    pub fn parse(file: &str, text: &str, load: &dyn Fn(&str) -> Result<LoadedFile, SpecError>) -> Result<TreatySpec, SpecError> {
        let loc = Locator { file, src: text };
        let raw: RawSpec = toml::from_str(text).map_err(|e| loc.syntax(&e))?;
        if raw.format.get_ref() != SPEC_FORMAT {
            return Err(loc.invalid(
                raw.format.span().start,
                "format",
                format!("unsupported format '{}'; this build reads '{SPEC_FORMAT}'", raw.format.get_ref()),
            ));
        }
        if raw.id.get_ref().trim().is_empty() {
            return Err(loc.invalid(raw.id.span().start, "id", "must not be empty"));
        }
        let lifecycle_file = load(raw.lifecycle.get_ref()).map_err(|e| match e {
            SpecError::Unreadable { file, message } => loc.invalid(
                raw.lifecycle.span().start,
                "lifecycle",
                format!("cannot read lifecycle file '{file}': {message}"),
            ),
            other => other,
        })?;
        let mut sources = BTreeMap::new();
        sources_of(raw.sources, &mut sources);
        let cx = Cx { loc, sources: &sources };
        let parties = parse_parties(&cx, &raw.parties)?;
        let facility_types = parse_facility_types(&cx, &raw.facility_types)?;
        let categories = parse_categories(&cx, &raw.categories)?;
        let la = raw.limits_apply.get_ref();
        cx.check_source(raw.limits_apply.span().start, "limits_apply.source", &la.source)?;
        let limits = parse_limits(&cx, &raw.limits, &categories)?;
        // The lifecycle (needed by the calendar) and the history.
        let (lifecycle, lifecycle_sources) = parse_lifecycle(&lifecycle_file, raw.id.get_ref(), &parties)?;
        let (history, history_sources) = match &raw.history {
            None => (Vec::new(), BTreeMap::new()),
            Some(name) => {
                let f = load(name.get_ref()).map_err(|e| match e {
                    SpecError::Unreadable { file, message } => cx.loc.invalid(
                        name.span().start,
                        "history",
                        format!("cannot read history file '{file}': {message}"),
                    ),
                    other => other,
                })?;
                parse_history(&f, raw.id.get_ref(), &parties, &lifecycle)?
            }
        };
        let first_period_start = parse_calendar(&cx, &raw.calendar, lifecycle.entry_into_force())?;
        let kinds = parse_catalogue(&cx, &raw.notifications, &raw.calendar)?;
        let (missile_choice, types) = parse_inspections(&cx, &raw.inspections, &raw.inspection_types)?;
        let (cal, ins) = (raw.calendar.get_ref(), raw.inspections.get_ref());
        for (k, v) in lifecycle_sources.into_iter().chain(history_sources) {
            sources.entry(k).or_insert(v);
        }
        Ok(TreatySpec {
            format: SPEC_FORMAT.into(),
            id: raw.id.get_ref().clone(),
            short_name: raw.short_name,
            name: raw.name,
            limits_apply_years: la.years_after_entry_into_force,
            limits_apply_article: la.article.clone(),
            limits_apply_provenance: prov(&la.source, la.status, la.note.clone()),
            calendar: Calendar {
                period_months: cal.period_months,
                first_period_start,
                section: cal.section.clone(),
                warheads_change_only_in: cal.warheads_change_only_in.clone(),
                warheads_rule_section: cal.warheads_rule_section.clone(),
                provenance: prov(&cal.source, cal.status, None),
            },
            inspections: Inspections {
                begin_days_after_entry_into_force: ins.begin_days_after_entry_into_force,
                one_at_a_time: ins.one_at_a_time,
                section: ins.section.clone(),
                year: ins.year.clone(),
                provenance: prov(&ins.source, ins.status, None),
                types,
                missile_choice,
            },
            sources,
            parties,
            facility_types,
            categories,
            limits,
            catalogue: Catalogue::new(kinds),
            lifecycle,
            history,
        })
    }

    /// The party with code `code`.
    pub fn party(&self, code: &str) -> Option<PartyId> {
        self.parties.iter().position(|p| p.code == code).map(|i| PartyId(i as u8))
    }

    /// The category with code `code`.
    pub fn category(&self, code: &str) -> Option<CategoryId> {
        self.categories.iter().position(|c| c.code == code).map(|i| CategoryId(i as u8))
    }

    /// The category at `id`.
    pub fn category_at(&self, id: CategoryId) -> &Category {
        &self.categories[id.0 as usize]
    }

    /// The facility type with code `code`.
    pub fn facility_type(&self, code: &str) -> Option<usize> {
        self.facility_types.iter().position(|f| f.code == code)
    }

    /// The limit named `name`.
    pub fn limit(&self, name: &str) -> Option<&Limit> {
        self.limits.iter().find(|l| l.name == name)
    }

    /// The date the central limits take effect (entry into force + N years).
    pub fn limits_apply_on(&self) -> Date {
        add_years(self.lifecycle.entry_into_force(), self.limits_apply_years as i32)
    }

    /// True if the limits bind on `d`: the treaty is in force and the limits have taken effect.
    pub fn limits_bind_on(&self, d: Date) -> bool {
        self.lifecycle.in_force(d) && d >= self.limits_apply_on()
    }

    /// Every data-exchange "as of" date while the treaty is in force: entry into force (initial
    /// data), each period boundary, and the date the limits take effect. Sorted, without repeats.
    pub fn data_exchange_dates(&self) -> Vec<Date> {
        let mut out = vec![self.lifecycle.entry_into_force()];
        out.extend(self.period_boundaries());
        let la = self.limits_apply_on();
        if self.lifecycle.in_force(la) {
            out.push(la);
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every period boundary (the day after a six-month period ends) while in force.
    pub fn period_boundaries(&self) -> Vec<Date> {
        let mut out = Vec::new();
        let mut k = 1;
        loop {
            let d = crate::date::add_months(self.calendar.first_period_start, (self.calendar.period_months * k) as i32);
            if !self.lifecycle.in_force(d) {
                break;
            }
            out.push(d);
            k += 1;
        }
        out
    }

    /// True if `d` is a period boundary.
    pub fn is_period_boundary(&self, d: Date) -> bool {
        if !self.lifecycle.in_force(d) || d <= self.calendar.first_period_start || d.day() != self.calendar.first_period_start.day() {
            return false;
        }
        let months =
            (d.year() - self.calendar.first_period_start.year()) * 12 + d.month() as i32 - self.calendar.first_period_start.month() as i32;
        months > 0 && months % self.calendar.period_months as i32 == 0
    }

    /// The unconfirmed values of the counting rules of `limit`.
    pub fn unconfirmed_counting(&self, limit: &Limit, out: &mut Vec<Unconfirmed>) {
        if limit.provenance.is_unconfirmed() {
            note_unconfirmed(
                out,
                Unconfirmed {
                    key: format!("limit.{}", limit.name),
                    value: limit.value.to_string(),
                    note: limit.provenance.note.clone().unwrap_or_default(),
                },
            );
        }
        for c in &limit.count {
            if c.provenance.is_unconfirmed() {
                let cat = &self.category_at(c.category).code;
                note_unconfirmed(
                    out,
                    Unconfirmed {
                        key: format!("limit.{}.count.{cat}", limit.name),
                        value: format!("{cat} ({:?}) counts toward {}", c.status, limit.name).to_lowercase(),
                        note: c.provenance.note.clone().unwrap_or_default(),
                    },
                );
            }
        }
    }

    /// The unconfirmed values behind a notification kind (its provision, or its deadline).
    pub fn unconfirmed_kind(&self, kind: &NotificationKind, out: &mut Vec<Unconfirmed>) {
        if kind.provenance.is_unconfirmed() || kind.deadline == Deadline::Unconfirmed {
            note_unconfirmed(
                out,
                Unconfirmed {
                    key: format!("notification.{}", kind.kind),
                    value: kind.section.clone(),
                    note: kind
                        .provenance
                        .note
                        .clone()
                        .unwrap_or_else(|| "the deadline of this notification is unconfirmed".into()),
                },
            );
        }
    }

    /// Adds a party under a copy of this spec (benchmark-only parties).
    pub fn with_extra_party(&self, code: &str, name: &str) -> Result<TreatySpec, String> {
        if self.party(code).is_some() {
            return Err(format!("party '{code}' exists already"));
        }
        let mut s = self.clone();
        s.parties.push(Party {
            code: code.into(),
            name: name.into(),
            name_ru: None,
        });
        Ok(s)
    }

    /// The inspections may begin on this date.
    pub fn inspections_begin(&self) -> Date {
        add_days(
            self.lifecycle.entry_into_force(),
            i64::from(self.inspections.begin_days_after_entry_into_force),
        )
    }
}

/// What every part of a spec's parse needs: where the text is (for errors naming the line)
/// and the sources `[sources]` declares.
struct Cx<'a> {
    loc: Locator<'a>,
    sources: &'a BTreeMap<String, Source>,
}

impl Cx<'_> {
    /// Refuses a `source` that `[sources]` does not declare.
    fn check_source(&self, span: usize, field: &str, s: &str) -> Result<(), SpecError> {
        if self.sources.contains_key(s) {
            Ok(())
        } else {
            Err(self.loc.invalid(span, field, format!("source '{s}' is not in [sources]")))
        }
    }
}

/// The Parties: codes of letters and digits, no duplicate, 2 to 255 of them.
fn parse_parties(cx: &Cx<'_>, raw: &[Spanned<RawParty>]) -> Result<Vec<Party>, SpecError> {
    let mut parties = Vec::new();
    let mut seen = HashSet::new();
    for p in raw {
        let at = p.span().start;
        let p = p.get_ref();
        if p.code.is_empty() || !p.code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(cx.loc.invalid(at, "party.code", format!("'{}' must be letters and digits", p.code)));
        }
        if !seen.insert(p.code.clone()) {
            return Err(cx.loc.invalid(at, "party.code", format!("duplicate party '{}'", p.code)));
        }
        parties.push(Party {
            code: p.code.clone(),
            name: p.name.clone(),
            name_ru: p.name_ru.clone(),
        });
    }
    if parties.len() < 2 || parties.len() > 255 {
        return Err(cx
            .loc
            .invalid(0, "party", format!("{} parties; a treaty needs 2 to 255", parties.len())));
    }
    Ok(parties)
}

/// The facility types, each with a known source.
fn parse_facility_types(cx: &Cx<'_>, raw: &[Spanned<RawFacilityType>]) -> Result<Vec<FacilityType>, SpecError> {
    let mut facility_types = Vec::new();
    let mut seen = HashSet::new();
    for f in raw {
        let at = f.span().start;
        let f = f.get_ref();
        cx.check_source(at, "facility_type.source", &f.source)?;
        if !seen.insert(f.code.clone()) {
            return Err(cx
                .loc
                .invalid(at, "facility_type.code", format!("duplicate facility type '{}'", f.code)));
        }
        facility_types.push(FacilityType {
            code: f.code.clone(),
            name: f.name.clone(),
            provenance: prov(&f.source, f.status, f.note.clone()),
        });
    }
    Ok(facility_types)
}

/// The item categories: a role each, a missile category naming its launcher category, 1 to
/// 255 of them.
fn parse_categories(cx: &Cx<'_>, raw: &[Spanned<RawCategory>]) -> Result<Vec<Category>, SpecError> {
    let codes: Vec<&str> = raw.iter().map(|c| c.get_ref().code.as_str()).collect();
    let find_cat = |code: &str| codes.iter().position(|c| *c == code).map(|i| CategoryId(i as u8));
    let mut categories = Vec::new();
    let mut seen = HashSet::new();
    for c in raw {
        let at = c.span().start;
        let c = c.get_ref();
        cx.check_source(at, "category.source", &c.source)?;
        if !seen.insert(c.code.clone()) {
            return Err(cx.loc.invalid(at, "category.code", format!("duplicate category '{}'", c.code)));
        }
        let role = match c.role.get_ref().as_str() {
            "missile" => Role::Missile,
            "launcher" => Role::Launcher,
            "bomber" => Role::Bomber,
            other => {
                return Err(cx.loc.invalid(
                    c.role.span().start,
                    "category.role",
                    format!("unknown role '{other}' (expected missile, launcher or bomber)"),
                ))
            }
        };
        let launcher_category = match (&c.launcher_category, role) {
            (Some(lc), Role::Missile) => {
                let id = find_cat(lc.get_ref()).ok_or_else(|| {
                    cx.loc.invalid(
                        lc.span().start,
                        "category.launcher_category",
                        format!("unknown category '{}'", lc.get_ref()),
                    )
                })?;
                if raw[id.0 as usize].get_ref().role.get_ref() != "launcher" {
                    return Err(cx.loc.invalid(
                        lc.span().start,
                        "category.launcher_category",
                        format!("'{}' is not a launcher category", lc.get_ref()),
                    ));
                }
                Some(id)
            }
            (None, Role::Missile) => {
                return Err(cx.loc.invalid(
                    at,
                    "category.launcher_category",
                    format!("missile category '{}' needs a launcher_category", c.code),
                ))
            }
            (Some(lc), _) => {
                return Err(cx.loc.invalid(
                    lc.span().start,
                    "category.launcher_category",
                    "only missile categories have a launcher category",
                ))
            }
            (None, _) => None,
        };
        categories.push(Category {
            code: c.code.clone(),
            name: c.name.clone(),
            name_ru: c.name_ru.clone(),
            role,
            launcher_category,
            unique_identifier: c.unique_identifier,
            provenance: prov(&c.source, c.status, c.note.clone()),
        });
    }
    if categories.is_empty() || categories.len() > 255 {
        return Err(cx.loc.invalid(0, "category", "a spec needs 1 to 255 categories"));
    }
    Ok(categories)
}

/// The limits and their counting rules, against the categories.
fn parse_limits(cx: &Cx<'_>, raw: &[Spanned<RawLimit>], categories: &[Category]) -> Result<Vec<Limit>, SpecError> {
    let find_cat = |code: &str| categories.iter().position(|c| c.code == code).map(|i| CategoryId(i as u8));
    let mut limits = Vec::new();
    let mut seen = HashSet::new();
    for l in raw {
        let at = l.span().start;
        let l = l.get_ref();
        cx.check_source(at, "limit.source", &l.source)?;
        let name = l.name.get_ref();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) {
            return Err(cx.loc.invalid(
                l.name.span().start,
                "limit.name",
                format!("'{name}' must be lowercase letters, digits and _"),
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(cx
                .loc
                .invalid(l.name.span().start, "limit.name", format!("duplicate limit '{name}'")));
        }
        let value = u64::try_from(*l.value.get_ref()).map_err(|_| {
            cx.loc
                .invalid(l.value.span().start, "limit.value", format!("{} is negative", l.value.get_ref()))
        })?;
        if l.count.is_empty() {
            return Err(cx.loc.invalid(at, "limit.count", format!("limit '{name}' counts nothing")));
        }
        let mut count = Vec::new();
        for c in &l.count {
            let cat_at = c.span().start;
            let c = c.get_ref();
            cx.check_source(cat_at, "limit.count.source", &c.source)?;
            let category = find_cat(&c.category).ok_or_else(|| {
                cx.loc
                    .invalid(cat_at, "limit.count.category", format!("unknown category '{}'", c.category))
            })?;
            let status = match c.status.as_str() {
                "deployed" => StatusFilter::Deployed,
                "non_deployed" => StatusFilter::NonDeployed,
                "any" => StatusFilter::Any,
                other => {
                    return Err(cx.loc.invalid(
                        cat_at,
                        "limit.count.status",
                        format!("unknown status '{other}' (deployed, non_deployed or any)"),
                    ))
                }
            };
            let measure = match (c.measure.as_str(), c.per_item) {
                ("items", None) => Measure::Items,
                ("declared_reentry_vehicles", None) => Measure::DeclaredReentryVehicles,
                ("fixed", Some(n)) => Measure::Fixed { per_item: n },
                ("fixed", None) => return Err(cx.loc.invalid(cat_at, "limit.count.per_item", "measure 'fixed' needs per_item")),
                ("items" | "declared_reentry_vehicles", Some(_)) => {
                    return Err(cx
                        .loc
                        .invalid(cat_at, "limit.count.per_item", "per_item is only for measure 'fixed'"))
                }
                (other, _) => {
                    return Err(cx.loc.invalid(
                        cat_at,
                        "limit.count.measure",
                        format!("unknown measure '{other}' (items, declared_reentry_vehicles or fixed)"),
                    ))
                }
            };
            if measure == Measure::DeclaredReentryVehicles && categories[category.0 as usize].role != Role::Missile {
                return Err(cx.loc.invalid(
                    cat_at,
                    "limit.count.measure",
                    format!("'{}' is not a missile category; only missiles carry reentry vehicles", c.category),
                ));
            }
            if status != StatusFilter::Deployed && measure == Measure::DeclaredReentryVehicles {
                return Err(cx.loc.invalid(
                    cat_at,
                    "limit.count.status",
                    "reentry vehicles are declared only for deployed missiles",
                ));
            }
            count.push(CountRule {
                category,
                status,
                measure,
                article: c.article.clone(),
                provenance: prov(
                    &c.source,
                    if c.confirmed { Status::Confirmed } else { Status::Unconfirmed },
                    c.note.clone(),
                ),
            });
        }
        limits.push(Limit {
            name: name.clone(),
            title: l.title.clone(),
            value,
            article: l.article.clone(),
            provenance: prov(&l.source, l.status, l.note.clone()),
            count,
        });
    }
    if limits.is_empty() {
        return Err(cx.loc.invalid(0, "limit", "a spec needs at least one limit"));
    }
    Ok(limits)
}

/// The calendar's checks, and the start of the first period (from entry into force `eif`).
fn parse_calendar(cx: &Cx<'_>, raw: &Spanned<RawCalendar>, eif: Date) -> Result<Date, SpecError> {
    let (cal, cal_at) = (raw.get_ref(), raw.span().start);
    cx.check_source(cal_at, "calendar.source", &cal.source)?;
    if cal.period_months == 0 || 12 % cal.period_months != 0 {
        return Err(cx.loc.invalid(
            cal_at,
            "calendar.period_months",
            format!("{} does not divide a year", cal.period_months),
        ));
    }
    match cal.first_period.as_str() {
        "first_day_of_month_after_entry_into_force" => Ok(first_of_next_month(eif)),
        "entry_into_force" => Ok(eif),
        other => Err(cx.loc.invalid(
            cal_at,
            "calendar.first_period",
            format!("unknown rule '{other}' (first_day_of_month_after_entry_into_force or entry_into_force)"),
        )),
    }
}

/// The notification catalogue: each kind once, exactly one kind giving the initial data, and
/// the kinds that carry warhead data exactly those the calendar lists.
fn parse_catalogue(cx: &Cx<'_>, raw: &[Spanned<RawKind>], calendar: &Spanned<RawCalendar>) -> Result<Vec<NotificationKind>, SpecError> {
    let (cal, cal_at) = (calendar.get_ref(), calendar.span().start);
    let mut kinds = Vec::new();
    let mut seen = HashSet::new();
    for k in raw {
        kinds.push(parse_kind(cx, k, &mut seen)?);
    }
    for w in &cal.warheads_change_only_in {
        match kinds.iter().find(|k| &k.kind == w) {
            Some(k) if k.carries_warhead_data() => {}
            Some(_) => {
                return Err(cx.loc.invalid(
                    cal_at,
                    "calendar.warheads_change_only_in",
                    format!("kind '{w}' does not carry warhead data"),
                ))
            }
            None => {
                return Err(cx
                    .loc
                    .invalid(cal_at, "calendar.warheads_change_only_in", format!("unknown kind '{w}'")))
            }
        }
    }
    if let Some(k) = kinds
        .iter()
        .find(|k| k.carries_warhead_data() && !cal.warheads_change_only_in.contains(&k.kind))
    {
        return Err(cx.loc.invalid(
            cal_at,
            "calendar.warheads_change_only_in",
            format!("kind '{}' carries warhead data but is not listed", k.kind),
        ));
    }
    if kinds.iter().filter(|k| k.effect == Effect::InitialData).count() != 1 {
        return Err(cx
            .loc
            .invalid(0, "notification", "the catalogue needs exactly one kind with effect initial_data"));
    }
    Ok(kinds)
}

/// One kind of the notification catalogue: its effect, deadline, `as_of` rule and fields (each
/// allowed by the effect, the effect's required ones required).
/// `seen`: the kinds parsed before (a kind twice is refused).
fn parse_kind(cx: &Cx<'_>, raw: &Spanned<RawKind>, seen: &mut HashSet<String>) -> Result<NotificationKind, SpecError> {
    let at = raw.span().start;
    let k = raw.get_ref();
    cx.check_source(at, "notification.source", &k.source)?;
    if k.kind.is_empty() || !k.kind.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) {
        return Err(cx.loc.invalid(
            at,
            "notification.kind",
            format!("'{}' must be lowercase letters, digits and _", k.kind),
        ));
    }
    if !seen.insert(k.kind.clone()) {
        return Err(cx.loc.invalid(at, "notification.kind", format!("duplicate kind '{}'", k.kind)));
    }
    let effect = Effect::from_name(&k.effect).ok_or_else(|| {
        let names: Vec<&str> = Effect::ALL.iter().map(|(_, n)| *n).collect();
        cx.loc.invalid(
            at,
            "notification.effect",
            format!("unknown effect '{}' (one of {})", k.effect, names.join(", ")),
        )
    })?;
    let deadline = parse_deadline(&k.deadline).map_err(|m| cx.loc.invalid(at, "notification.deadline", m))?;
    let as_of = match (k.as_of.as_deref(), effect) {
        (Some("period_boundary"), Effect::DataUpdate) => Some(AsOf::PeriodBoundary),
        (Some("limits_apply"), Effect::DataUpdate) => Some(AsOf::LimitsApply),
        (Some(other), Effect::DataUpdate) => {
            return Err(cx.loc.invalid(
                at,
                "notification.as_of",
                format!("unknown as_of '{other}' (period_boundary or limits_apply)"),
            ))
        }
        (None, Effect::DataUpdate) => {
            return Err(cx.loc.invalid(
                at,
                "notification.as_of",
                format!("kind '{}' has effect data_update and needs as_of", k.kind),
            ))
        }
        (Some(_), _) => return Err(cx.loc.invalid(at, "notification.as_of", "as_of is only for effect data_update")),
        (None, _) => None,
    };
    let mut fields: Vec<FieldSpec> = Vec::new();
    for f in &k.fields {
        let f_at = f.span().start;
        let f = f.get_ref();
        let field = Field::from_name(&f.name).ok_or_else(|| {
            let names: Vec<&str> = Field::ALL.iter().map(|(_, n)| *n).collect();
            cx.loc.invalid(
                f_at,
                "notification.fields.name",
                format!("unknown field '{}' (one of {})", f.name, names.join(", ")),
            )
        })?;
        if fields.iter().any(|x| x.field == field) {
            return Err(cx.loc.invalid(
                f_at,
                "notification.fields.name",
                format!("field '{}' declared twice in kind '{}'", f.name, k.kind),
            ));
        }
        if !effect.allows(field) {
            return Err(cx.loc.invalid(
                f_at,
                "notification.fields.name",
                format!(
                    "field '{}' cannot be used by effect '{}' (kind '{}')",
                    f.name,
                    effect.name(),
                    k.kind
                ),
            ));
        }
        fields.push(FieldSpec {
            field,
            required: f.required,
            visibility: f.visibility,
        });
    }
    for need in effect.required_fields() {
        if !fields.iter().any(|f| f.field == *need && f.required) {
            return Err(cx.loc.invalid(
                at,
                "notification.fields",
                format!(
                    "kind '{}' has effect '{}', which needs field '{}' declared required",
                    k.kind,
                    effect.name(),
                    need.name()
                ),
            ));
        }
    }
    Ok(NotificationKind {
        kind: k.kind.clone(),
        title: k.title.clone(),
        section: k.section.clone(),
        effect,
        as_of,
        deadline,
        visibility: k.visibility,
        provenance: prov(&k.source, k.status, k.note.clone()),
        fields,
    })
}

/// The inspection rules: the year they count in, how the missile is chosen, and the types
/// with their quotas.
fn parse_inspections(
    cx: &Cx<'_>,
    raw: &Spanned<RawInspections>,
    types_raw: &[Spanned<RawInspectionType>],
) -> Result<(MissileChoice, Vec<InspectionType>), SpecError> {
    let ins = raw.get_ref();
    cx.check_source(raw.span().start, "inspections.source", &ins.source)?;
    if ins.year != "treaty_year" && ins.year != "calendar_year" {
        return Err(cx.loc.invalid(
            raw.span().start,
            "inspections.year",
            format!("unknown year '{}' (treaty_year or calendar_year)", ins.year),
        ));
    }
    let missile_choice = match ins.missile_choice.as_deref() {
        None | Some("designation") => MissileChoice::Designation,
        Some("commit_reveal") => MissileChoice::CommitReveal,
        Some(other) => {
            return Err(cx.loc.invalid(
                raw.span().start,
                "inspections.missile_choice",
                format!("unknown '{other}' (designation or commit_reveal)"),
            ))
        }
    };
    let mut types = Vec::new();
    let mut seen = HashSet::new();
    for t in types_raw {
        let at = t.span().start;
        let t = t.get_ref();
        cx.check_source(at, "inspection_type.source", &t.source)?;
        if !seen.insert(t.code.clone()) {
            return Err(cx
                .loc
                .invalid(at, "inspection_type.code", format!("duplicate inspection type '{}'", t.code)));
        }
        let notice_by = match t.notice_by.as_deref() {
            None | Some("inspecting") => NoticeBy::Inspecting,
            Some("inspected") => NoticeBy::Inspected,
            Some(other) => {
                return Err(cx.loc.invalid(
                    at,
                    "inspection_type.notice_by",
                    format!("unknown '{other}' (inspecting or inspected)"),
                ))
            }
        };
        if notice_by == NoticeBy::Inspecting && t.quota_per_year.is_none() {
            return Err(cx.loc.invalid(
                at,
                "inspection_type.quota_per_year",
                format!("inspection type '{}' needs a yearly quota", t.code),
            ));
        }
        types.push(InspectionType {
            code: t.code.clone(),
            name: t.name.clone(),
            name_ru: t.name_ru.clone(),
            quota_per_year: t.quota_per_year,
            notice_by,
            sites: t.sites.clone(),
            article: t.article.clone(),
            provenance: prov(&t.source, t.status, t.note.clone()),
        });
    }
    Ok((missile_choice, types))
}

fn parse_deadline(d: &crate::raw::RawDeadline) -> Result<Deadline, String> {
    let need_days = || d.days.ok_or_else(|| format!("rule '{}' needs days", d.rule));
    let out = match d.rule.as_str() {
        "days_after_entry_into_force" => Deadline::DaysAfterEntryIntoForce { days: need_days()? },
        "days_after_period_end" => Deadline::DaysAfterPeriodEnd { days: need_days()? },
        "days_after_event" => Deadline::DaysAfterEvent { days: need_days()? },
        "days_before_event" => Deadline::DaysBeforeEvent { days: need_days()? },
        "hours_before_event" => Deadline::HoursBeforeEvent {
            hours: d.hours.ok_or("rule 'hours_before_event' needs hours")?,
        },
        "unconfirmed" => Deadline::Unconfirmed,
        "none" => Deadline::None,
        other => {
            return Err(format!(
                "unknown rule '{other}' (days_after_entry_into_force, days_after_period_end, days_after_event, days_before_event, hours_before_event, unconfirmed or none)"
            ))
        }
    };
    let uses_hours = matches!(out, Deadline::HoursBeforeEvent { .. });
    if d.hours.is_some() && !uses_hours {
        return Err(format!("rule '{}' takes days, not hours", d.rule));
    }
    if d.days.is_some() && (uses_hours || matches!(out, Deadline::Unconfirmed | Deadline::None)) {
        return Err(format!("rule '{}' takes no days", d.rule));
    }
    Ok(out)
}

fn parse_lifecycle(f: &LoadedFile, treaty_id: &str, parties: &[Party]) -> Result<(Lifecycle, BTreeMap<String, Source>), SpecError> {
    let loc = Locator {
        file: &f.name,
        src: &f.text,
    };
    let raw: RawLifecycle = toml::from_str(&f.text).map_err(|e| loc.syntax(&e))?;
    check_header(&loc, "lifecycle", (&raw.format, LIFECYCLE_FORMAT), (&raw.treaty, treaty_id))?;
    let mut sources = BTreeMap::new();
    sources_of(raw.sources, &mut sources);
    let check = |at: usize, field: &str, s: &str| -> Result<(), SpecError> {
        if sources.contains_key(s) {
            Ok(())
        } else {
            Err(loc.invalid(at, field, format!("source '{s}' is not in [sources]")))
        }
    };
    let rule = |r: &Spanned<crate::raw::RawRule>,
                name: &'static str,
                value: Option<u32>,
                vfield: &str,
                count: Option<u32>|
     -> Result<Rule, SpecError> {
        let at = r.span().start;
        let x = r.get_ref();
        check(at, &format!("{name}.source"), &x.source)?;
        let value = value.ok_or_else(|| loc.invalid(at, &format!("{name}.{vfield}"), format!("[{name}] needs {vfield}")))?;
        Ok(Rule {
            value,
            count,
            article: x.article.clone(),
            provenance: prov(&x.source, x.status, x.note.clone()),
        })
    };
    let term = rule(&raw.term, "term", raw.term.get_ref().years, "years", None)?;
    let extension = rule(
        &raw.extension,
        "extension",
        raw.extension.get_ref().max_years,
        "max_years",
        raw.extension.get_ref().max_count,
    )?;
    let withdrawal = rule(
        &raw.withdrawal,
        "withdrawal",
        raw.withdrawal.get_ref().notice_months,
        "notice_months",
        None,
    )?;
    if term.value == 0 {
        return Err(loc.invalid(raw.term.span().start, "term.years", "a term of 0 years"));
    }
    let p = raw.last_day_in_force.get_ref();
    let p_at = raw.last_day_in_force.span().start;
    check(p_at, "last_day_in_force.source", &p.source)?;
    let date = from_toml(&p.date).ok_or_else(|| loc.invalid(p_at, "last_day_in_force.date", "must be a date (YYYY-MM-DD)"))?;
    let alternative = match &p.alternative {
        Some(a) => Some(from_toml(a).ok_or_else(|| loc.invalid(p_at, "last_day_in_force.alternative", "must be a date (YYYY-MM-DD)"))?),
        None => None,
    };
    let pinned = PinnedDate {
        date,
        alternative,
        reason: p.reason.clone(),
        provenance: prov(&p.source, p.status, None),
    };
    let mut events = Vec::new();
    for e in &raw.events {
        let at = e.span().start;
        let x = e.get_ref();
        events.push(event_of(&loc, at, x, &sources, parties)?);
    }
    let lifecycle = Lifecycle::build(term, extension, withdrawal, pinned, events).map_err(|p| {
        let (at, field) = match p.event {
            Some(i) => (raw.events[i].span().start, format!("event.{}", p.field)),
            None => (p_at, p.field.to_string()),
        };
        loc.invalid(at, &field, p.message)
    })?;
    Ok((lifecycle, sources))
}

fn parse_history(
    f: &LoadedFile,
    treaty_id: &str,
    parties: &[Party],
    lifecycle: &Lifecycle,
) -> Result<(Vec<crate::history::HistoryEvent>, BTreeMap<String, Source>), SpecError> {
    use crate::history::{HistoryEvent, HISTORY_FORMAT};
    let loc = Locator {
        file: &f.name,
        src: &f.text,
    };
    let raw: crate::raw::RawHistory = toml::from_str(&f.text).map_err(|e| loc.syntax(&e))?;
    check_header(&loc, "history", (&raw.format, HISTORY_FORMAT), (&raw.treaty, treaty_id))?;
    let mut sources = BTreeMap::new();
    sources_of(raw.sources, &mut sources);
    let mut events: Vec<HistoryEvent> = Vec::new();
    for e in &raw.events {
        let at = e.span().start;
        let x = e.get_ref();
        let event = event_of(&loc, at, x, &sources, parties)?;
        if let Some(prev) = events.last() {
            if event.date < prev.event.date {
                return Err(loc.invalid(
                    at,
                    "event.date",
                    format!(
                        "{} comes after {}: events must be listed in date order",
                        event.date, prev.event.date
                    ),
                ));
            }
        }
        let title = x
            .title
            .clone()
            .ok_or_else(|| loc.invalid(at, "event.title", "every history event needs a title"))?;
        if x.precision == crate::lifecycle::Precision::Approximate && x.note.is_none() {
            return Err(loc.invalid(at, "event.note", "an approximate date needs a note saying what is known"));
        }
        let continues = match &x.continues {
            None => None,
            Some(c) => {
                let d = from_toml(c).ok_or_else(|| loc.invalid(at, "event.continues", "must be a date (YYYY-MM-DD)"))?;
                let found = events
                    .iter()
                    .any(|e| e.event.date == d && e.event.kind == crate::lifecycle::EventKind::UnilateralCommitment);
                if !found || d > event.date {
                    return Err(loc.invalid(
                        at,
                        "event.continues",
                        format!("{d}: no unilateral commitment of that date before this event"),
                    ));
                }
                Some(d)
            }
        };
        events.push(HistoryEvent {
            event,
            title,
            effects: x.effects.unwrap_or_default(),
            continues,
        });
    }
    crate::history::agree(&lifecycle.events, &events).map_err(|(i, message)| {
        let at = i.map_or(raw.treaty.span().start, |i| raw.events[i].span().start);
        loc.invalid(at, "event", message)
    })?;
    Ok((events, sources))
}

/// Checks a file's `format` and `treaty` keys (a lifecycle or history file).
fn check_header(
    loc: &Locator<'_>,
    what: &str,
    (format, expected): (&Spanned<String>, &str),
    (treaty, treaty_id): (&Spanned<String>, &str),
) -> Result<(), SpecError> {
    if format.get_ref() != expected {
        return Err(loc.invalid(
            format.span().start,
            "format",
            format!("unsupported format '{}'; this build reads '{expected}'", format.get_ref()),
        ));
    }
    if treaty.get_ref() != treaty_id {
        return Err(loc.invalid(
            treaty.span().start,
            "treaty",
            format!("{what} is for '{}', the spec is '{treaty_id}'", treaty.get_ref()),
        ));
    }
    Ok(())
}

/// A dated event of a lifecycle or history file: its source known, its date a date, its Party
/// one of the spec's.
fn event_of(
    loc: &Locator<'_>,
    at: usize,
    x: &crate::raw::RawEvent,
    sources: &BTreeMap<String, Source>,
    parties: &[Party],
) -> Result<LifecycleEvent, SpecError> {
    if !sources.contains_key(&x.source) {
        return Err(loc.invalid(at, "event.source", format!("source '{}' is not in [sources]", x.source)));
    }
    let date = from_toml(&x.date).ok_or_else(|| loc.invalid(at, "event.date", "must be a date (YYYY-MM-DD)"))?;
    if let Some(party) = &x.party {
        if !parties.iter().any(|p| &p.code == party) {
            return Err(loc.invalid(at, "event.party", format!("unknown party '{party}'")));
        }
    }
    Ok(LifecycleEvent {
        date,
        kind: x.kind,
        precision: x.precision,
        party: x.party.clone(),
        years: x.years,
        place: x.place.clone(),
        text: x.text.clone(),
        provenance: prov(&x.source, x.status, x.note.clone()),
    })
}
