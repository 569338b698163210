//! The TOML shapes of the two spec files, as read, before validation. Spans are kept where a
//! semantic check needs to name a line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::provenance::{Status, Tag};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub url: String,
    pub tag: Tag,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub read_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub format: Spanned<String>,
    pub id: Spanned<String>,
    pub short_name: String,
    pub name: String,
    pub lifecycle: Spanned<String>,
    #[serde(default)]
    pub history: Option<Spanned<String>>,
    pub sources: BTreeMap<String, RawSource>,
    #[serde(rename = "party")]
    pub parties: Vec<Spanned<RawParty>>,
    #[serde(rename = "facility_type")]
    pub facility_types: Vec<Spanned<RawFacilityType>>,
    #[serde(rename = "category")]
    pub categories: Vec<Spanned<RawCategory>>,
    pub limits_apply: Spanned<RawLimitsApply>,
    #[serde(rename = "limit")]
    pub limits: Vec<Spanned<RawLimit>>,
    pub calendar: Spanned<RawCalendar>,
    pub inspections: Spanned<RawInspections>,
    #[serde(rename = "inspection_type", default)]
    pub inspection_types: Vec<Spanned<RawInspectionType>>,
    #[serde(rename = "notification")]
    pub notifications: Vec<Spanned<RawKind>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParty {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_ru: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFacilityType {
    pub code: String,
    pub name: String,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_ru: Option<String>,
    pub role: Spanned<String>,
    #[serde(default)]
    pub launcher_category: Option<Spanned<String>>,
    pub unique_identifier: bool,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimitsApply {
    pub years_after_entry_into_force: u32,
    pub article: String,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    pub name: Spanned<String>,
    pub title: String,
    pub value: Spanned<i64>,
    pub article: String,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
    pub count: Vec<Spanned<RawCount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCount {
    pub category: String,
    pub status: String,
    pub measure: String,
    #[serde(default)]
    pub per_item: Option<u32>,
    pub article: String,
    pub source: String,
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    pub period_months: u32,
    pub first_period: String,
    pub section: String,
    pub source: String,
    pub status: Status,
    pub warheads_change_only_in: Vec<String>,
    pub warheads_rule_section: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInspections {
    pub begin_days_after_entry_into_force: u32,
    pub one_at_a_time: bool,
    pub section: String,
    pub source: String,
    pub status: Status,
    pub year: String,
    #[serde(default)]
    pub missile_choice: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInspectionType {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_ru: Option<String>,
    #[serde(default)]
    pub quota_per_year: Option<u32>,
    #[serde(default)]
    pub notice_by: Option<String>,
    pub sites: String,
    pub article: String,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeadline {
    pub rule: String,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub hours: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub name: String,
    pub required: bool,
    pub visibility: crate::catalogue::Visibility,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKind {
    pub kind: String,
    pub title: String,
    pub section: String,
    pub effect: String,
    #[serde(default)]
    pub as_of: Option<String>,
    pub deadline: RawDeadline,
    pub visibility: crate::catalogue::Visibility,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
    pub fields: Vec<Spanned<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifecycle {
    pub format: Spanned<String>,
    pub treaty: Spanned<String>,
    pub sources: BTreeMap<String, RawSource>,
    pub term: Spanned<RawRule>,
    pub extension: Spanned<RawRule>,
    pub withdrawal: Spanned<RawRule>,
    pub last_day_in_force: Spanned<RawPinned>,
    #[serde(rename = "event")]
    pub events: Vec<Spanned<RawEvent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(default)]
    pub years: Option<u32>,
    #[serde(default)]
    pub max_years: Option<u32>,
    #[serde(default)]
    pub max_count: Option<u32>,
    #[serde(default)]
    pub notice_months: Option<u32>,
    pub article: String,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPinned {
    pub date: toml::value::Datetime,
    #[serde(default)]
    pub alternative: Option<toml::value::Datetime>,
    pub source: String,
    pub status: Status,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub date: toml::value::Datetime,
    pub kind: crate::lifecycle::EventKind,
    pub precision: crate::lifecycle::Precision,
    #[serde(default)]
    pub party: Option<String>,
    #[serde(default)]
    pub years: Option<u32>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    pub source: String,
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub effects: Option<crate::history::Effects>,
    #[serde(default)]
    pub continues: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    pub format: Spanned<String>,
    pub treaty: Spanned<String>,
    pub sources: BTreeMap<String, RawSource>,
    #[serde(rename = "event")]
    pub events: Vec<Spanned<RawEvent>>,
}
