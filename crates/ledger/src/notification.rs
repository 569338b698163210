//! The notification format every part of accord reads and writes (docs/notifications.md).
//!
//! A notification is one JSON object: `id` (unique within its Party's history), `kind` (a kind of
//! the treaty's catalogue), `party`, `date` (the event's date, or the date data are as of),
//! `sent` (when transmitted; absent while the notification is held), `received` (when the
//! other Party acknowledged receipt; absent until then: the treaty's date of provision is the
//! date of receipt), and `body` (the kind's typed fields). A history is a sequence of
//! notifications, one per line (JSON Lines).
//!
//! Invariant: [`Notification`] borrows from the text it was parsed from wherever it can, so
//! that reading a large history allocates little; [`Notification::into_owned`] detaches it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use accord_treaty::date::{parse_date, Date};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, GMT, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Midnight GMT at the start of `d`.
    pub fn at_midnight(d: Date) -> Timestamp {
        Timestamp(d.midnight().assume_utc().unix_timestamp())
    }

    /// The GMT date of this instant.
    pub fn date(self) -> Date {
        let days = self.0.div_euclid(86_400);
        accord_treaty::date::add_days(EPOCH, days)
    }

    /// Parses RFC 3339 (`2011-03-12T09:04:00Z`, fractions and offsets allowed).
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let b = s.as_bytes();
        // Fast path: exactly YYYY-MM-DDTHH:MM:SSZ.
        if b.len() == 20 && b[10] == b'T' && b[19] == b'Z' && b[13] == b':' && b[16] == b':' {
            if let Ok(d) = parse_date(&s[..10]) {
                let n = |i: usize| -> Option<i64> {
                    let (a, c) = (b[i], b[i + 1]);
                    (a.is_ascii_digit() && c.is_ascii_digit()).then(|| i64::from(a - b'0') * 10 + i64::from(c - b'0'))
                };
                if let (Some(h), Some(m), Some(sec)) = (n(11), n(14), n(17)) {
                    if h < 24 && m < 60 && sec < 60 {
                        return Ok(Timestamp(Self::at_midnight(d).0 + h * 3600 + m * 60 + sec));
                    }
                }
            }
        }
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|t| Timestamp(t.unix_timestamp()))
            .map_err(|_| format!("'{s}' is not an RFC 3339 time such as 2011-03-12T09:04:00Z"))
    }
}

const EPOCH: Date = time::macros::date!(1970 - 01 - 01);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.date();
        let s = self.0.rem_euclid(86_400);
        write!(f, "{d}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a string field without allocating when the input can lend it, and converts it.
struct StrWith<F>(F, &'static str);

impl<'de, T, F: Fn(&str) -> Result<T, String>> serde::de::Visitor<'de> for StrWith<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrWith(Timestamp::parse, "an RFC 3339 time such as 2011-03-12T09:04:00Z"))
    }
}

/// Serde helpers for `YYYY-MM-DD` dates.
pub mod date_format {
    use super::*;

    /// Serialises a date as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    /// Parses a `YYYY-MM-DD` date, refusing anything that is not a real date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        d.deserialize_str(StrWith(|s: &str| parse_date(s).map_err(|e| e.to_string()), "a date YYYY-MM-DD"))
    }
}

/// Deployed or not, as declared for a heavy bomber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Deployed.
    Deployed,
    /// Non-deployed.
    NonDeployed,
}

/// A facility in a data declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityDecl<'a> {
    /// Identifier.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Facility type code.
    #[serde(rename = "type", borrow)]
    pub facility_type: Cow<'a, str>,
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

/// An item in a data declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDecl<'a> {
    /// Unique identifier (or launcher designation).
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Category code.
    #[serde(borrow)]
    pub category: Cow<'a, str>,
    /// Type, e.g. "Minuteman III".
    #[serde(rename = "type", borrow)]
    pub item_type: Cow<'a, str>,
    /// Facility where it is.
    #[serde(borrow)]
    pub facility: Cow<'a, str>,
    /// For a missile: the launcher it is contained in.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<Cow<'a, str>>,
    /// For a heavy bomber: deployed or non-deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
}

/// The reentry vehicles emplaced on one deployed missile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loading<'a> {
    /// The missile's unique identifier.
    #[serde(borrow)]
    pub missile: Cow<'a, str>,
    /// Number of reentry vehicles.
    pub reentry_vehicles: u32,
}

/// The typed fields of a notification. Which fields a kind has, and which it requires, comes
/// from the treaty's catalogue; the JSON type of each field is fixed here.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Body<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<FacilityDecl<'a>>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemDecl<'a>>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub loadings: Option<Vec<Loading<'a>>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub totals: Option<BTreeMap<Cow<'a, str>, u64>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub facility_type: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub item: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub category: Option<Cow<'a, str>>,
    #[serde(rename = "type", default, borrow, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub from: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub to: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub note: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Box<InspectionBody>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Box<accord_treaty::proposal::ProposalBody>>,
    /// A committed inventory (a freeze's declaration that discloses nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Box<accord_escrow::inventory::Commitment>>,
    /// A zero-knowledge proof of a total within a cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_proof: Option<Box<accord_escrow::totals::LimitProof>>,
    /// The openings of the limit proof's per-zone counts (for the other Party only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openings: Option<Box<accord_escrow::totals::Openings>>,
    /// Changes to a committed inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<accord_escrow::periods::Change>>,
    /// A step of a sampled inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Box<SampleStep>>,
}

/// One step of a sampled inspection (the `sample` field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum SampleStep {
    /// The inspecting Party asks to sample the inspected Party's declaration of `root`.
    Request {
        /// The sample's identifier.
        id: String,
        /// The inspected Party.
        of: String,
        /// The declaration's inventory root (standard base64).
        root: String,
        /// How many items to open.
        k: u64,
    },
    /// A commitment to this Party's value (SHA-256, hex; `accord-commit-reveal/1`).
    Commit {
        /// The sample.
        id: String,
        /// The commitment.
        commitment: String,
    },
    /// This Party's value and nonce (hex).
    Reveal {
        /// The sample.
        id: String,
        /// Nonce.
        nonce: String,
        /// Value (32 bytes).
        value: String,
    },
    /// The inspected Party opens the drawn leaves, in draw order, and any item the inspectors
    /// found that the draw did not reach (`found`).
    Open {
        /// The sample.
        id: String,
        /// The drawn leaves' openings, in draw order.
        openings: Vec<accord_escrow::inventory::Opening>,
        /// Openings of items the inspectors observed outside the draw.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        found: Vec<accord_escrow::inventory::Opening>,
    },
    /// What the inspectors found: each item as observed.
    Findings {
        /// The sample.
        id: String,
        /// The items observed (identifier, type, zone, status).
        observed: Vec<accord_escrow::inventory::Record>,
    },
    /// The inspecting Party asks for a whole zone.
    ZoneRequest {
        /// The sample.
        id: String,
        /// The zone.
        zone: String,
    },
    /// The inspected Party reveals a whole zone.
    ZoneReveal {
        /// The sample.
        id: String,
        /// The reveal.
        reveal: Box<accord_escrow::inventory::ZoneReveal>,
    },
    /// The inspected Party refuses (to open, or to reveal a zone).
    Refuse {
        /// The sample.
        id: String,
        /// Why.
        reason: String,
    },
}

impl SampleStep {
    /// The sample's identifier.
    pub fn id(&self) -> &str {
        match self {
            SampleStep::Request { id, .. }
            | SampleStep::Commit { id, .. }
            | SampleStep::Reveal { id, .. }
            | SampleStep::Open { id, .. }
            | SampleStep::Findings { id, .. }
            | SampleStep::ZoneRequest { id, .. }
            | SampleStep::ZoneReveal { id, .. }
            | SampleStep::Refuse { id, .. } => id,
        }
    }

    /// The step's name.
    pub fn name(&self) -> &'static str {
        match self {
            SampleStep::Request { .. } => "request",
            SampleStep::Commit { .. } => "commit",
            SampleStep::Reveal { .. } => "reveal",
            SampleStep::Open { .. } => "open",
            SampleStep::Findings { .. } => "findings",
            SampleStep::ZoneRequest { .. } => "zone_request",
            SampleStep::ZoneReveal { .. } => "zone_reveal",
            SampleStep::Refuse { .. } => "refuse",
        }
    }
}

/// An inspection step's data (the `inspection` field): which members a step needs is checked
/// when the inspection record is folded (crates/ledger/src/record.rs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionBody {
    /// The inspection's identifier (for an exemption, the exemption's).
    pub id: String,
    /// Inspection type code (notice).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub inspection_type: Option<String>,
    /// The site: a facility identifier (designation; an exemption of one site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The missile designated for a reentry-vehicle inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missile: Option<String>,
    /// The site's declared data, from the replayed database (designation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<SiteData>,
    /// What was found (findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Findings>,
    /// SHA-256 (hex) of the report's data (report, signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    /// Commitment (hex SHA-256, commit-reveal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// Nonce (hex, 32 bytes; reveal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Value (hex; reveal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Last day of an exemption, if announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A site's declared data on a date: what the database says is there.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteData {
    /// The facility.
    pub site: String,
    /// The date the data are as of.
    pub as_of: String,
    /// Items at the site per category code.
    pub counts: BTreeMap<String, u64>,
    /// The items at the site, by unique identifier.
    pub items: Vec<String>,
    /// Reentry vehicles declared on each deployed missile at the site (the last data
    /// declaration's loading).
    pub loadings: BTreeMap<String, u32>,
}

/// What inspectors found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// Items seen, by unique identifier.
    #[serde(default)]
    pub items: Vec<String>,
    /// Items counted per category code.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Reentry vehicles found on the designated missile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reentry_vehicles: Option<u32>,
    /// Nuclear armaments found on or attached to deployed heavy bombers, by bomber.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub armaments: BTreeMap<String, u32>,
    /// Measurements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<crate::report::Measurement>,
}

impl Body<'_> {
    /// The catalogue fields present in this body.
    pub fn present(&self) -> Vec<accord_treaty::Field> {
        use accord_treaty::Field as F;
        let mut v = Vec::new();
        let mut add = |present: bool, f| {
            if present {
                v.push(f)
            }
        };
        add(self.facilities.is_some(), F::Facilities);
        add(self.items.is_some(), F::Items);
        add(self.loadings.is_some(), F::Loadings);
        add(self.totals.is_some(), F::Totals);
        add(self.facility.is_some(), F::Facility);
        add(self.facility_type.is_some(), F::FacilityType);
        add(self.name.is_some(), F::Name);
        add(self.item.is_some(), F::Item);
        add(self.category.is_some(), F::Category);
        add(self.item_type.is_some(), F::Type);
        add(self.status.is_some(), F::Status);
        add(self.launcher.is_some(), F::Launcher);
        add(self.from.is_some(), F::From);
        add(self.to.is_some(), F::To);
        add(self.reason.is_some(), F::Reason);
        add(self.note.is_some(), F::Note);
        add(self.reference.is_some(), F::Reference);
        add(self.inspection.is_some(), F::Inspection);
        add(self.proposal.is_some(), F::Proposal);
        add(self.inventory.is_some(), F::Inventory);
        add(self.limit_proof.is_some(), F::LimitProof);
        add(self.openings.is_some(), F::Openings);
        add(self.changes.is_some(), F::Changes);
        add(self.sample.is_some(), F::Sample);
        v
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification<'a> {
    /// Unique within its Party's history.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Kind, from the treaty's catalogue.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// The notifying Party's code.
    #[serde(borrow)]
    pub party: Cow<'a, str>,
    /// The event's date, or the date data are as of.
    #[serde(with = "date_format")]
    pub date: Date,
    /// When it was transmitted; absent while held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<Timestamp>,
    /// When the other Party acknowledged receipt; absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Timestamp>,
    /// The kind's fields.
    #[serde(borrow)]
    pub body: Body<'a>,
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn own_opt(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(own)
}

impl Notification<'_> {
    /// Detaches the notification from the text it was parsed from.
    pub fn into_owned(self) -> Notification<'static> {
        let b = self.body;
        Notification {
            id: own(self.id),
            kind: own(self.kind),
            party: own(self.party),
            date: self.date,
            sent: self.sent,
            received: self.received,
            body: Body {
                facilities: b.facilities.map(|v| {
                    v.into_iter()
                        .map(|f| FacilityDecl {
                            id: own(f.id),
                            facility_type: own(f.facility_type),
                            name: own(f.name),
                        })
                        .collect()
                }),
                items: b.items.map(|v| {
                    v.into_iter()
                        .map(|i| ItemDecl {
                            id: own(i.id),
                            category: own(i.category),
                            item_type: own(i.item_type),
                            facility: own(i.facility),
                            launcher: own_opt(i.launcher),
                            status: i.status,
                        })
                        .collect()
                }),
                loadings: b.loadings.map(|v| {
                    v.into_iter()
                        .map(|l| Loading {
                            missile: own(l.missile),
                            reentry_vehicles: l.reentry_vehicles,
                        })
                        .collect()
                }),
                totals: b.totals.map(|m| m.into_iter().map(|(k, v)| (own(k), v)).collect()),
                facility: own_opt(b.facility),
                facility_type: own_opt(b.facility_type),
                name: own_opt(b.name),
                item: own_opt(b.item),
                category: own_opt(b.category),
                item_type: own_opt(b.item_type),
                status: b.status,
                launcher: own_opt(b.launcher),
                from: own_opt(b.from),
                to: own_opt(b.to),
                reason: own_opt(b.reason),
                note: own_opt(b.note),
                reference: own_opt(b.reference),
                inspection: b.inspection,
                proposal: b.proposal,
                inventory: b.inventory,
                limit_proof: b.limit_proof,
                openings: b.openings,
                changes: b.changes,
                sample: b.sample,
            },
        }
    }

    /// Serialises to one line of JSON.
    pub fn to_json_line(&self) -> String {
        // Serialising plain data to a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Parses one notification from JSON, with a message that names the offending field.
pub fn parse_notification(text: &str) -> Result<Notification<'_>, ParseProblem> {
    match serde_json::from_str::<Notification<'_>>(text) {
        Ok(n) => Ok(n),
        Err(_) => Err(explain(text)),
    }
}

/// Why a notification could not be parsed: the field (dotted path) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    /// Dotted path of the field, e.g. `body.loadings[3].reentry_vehicles`, or `-`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Re-parses a text that failed, tracking the path, to say which field is wrong.
fn explain(text: &str) -> ParseProblem {
    let de = &mut serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Notification<'_>>(de) {
        Ok(_) => ParseProblem {
            field: "-".into(),
            message: "invalid notification".into(),
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut message = inner.to_string();
            // Drop serde_json's own "at line 1 column N": callers name the line.
            if let Some(p) = message.find(" at line ") {
                message.truncate(p);
            }
            let mut field = if path == "." || path.is_empty() { "-".to_string() } else { path };
            if let Some(name) = unknown_field_name(&message) {
                field = if field == "-" {
                    name.to_string()
                } else if field.ends_with(name) {
                    field
                } else {
                    format!("{field}.{name}")
                };
                if WARHEAD_WORDS.contains(&name) {
                    message = format!(
                        "unknown field `{name}`: warhead numbers change only through the six-month update (Protocol Part Four, Section II, para 3), in its `loadings`"
                    );
                }
            } else if let Some(name) = missing_field_name(&message) {
                field = if field == "-" {
                    name.to_string()
                } else if field.ends_with(name) {
                    field
                } else {
                    format!("{field}.{name}")
                };
            }
            if message.contains("expected u32") || message.contains("expected u64") {
                message.push_str(" (a count is a non-negative whole number)");
            }
            ParseProblem { field, message }
        }
    }
}

/// Field names that would carry warhead numbers outside a data declaration.
const WARHEAD_WORDS: [&str; 4] = ["reentry_vehicles", "warheads", "rvs", "warhead_count"];

fn unknown_field_name(m: &str) -> Option<&str> {
    let rest = m.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn missing_field_name(m: &str) -> Option<&str> {
    let rest = m.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = Timestamp::parse("2011-03-12T09:04:05Z").unwrap();
        assert_eq!(t.to_string(), "2011-03-12T09:04:05Z");
        assert_eq!(t.date().to_string(), "2011-03-12");
        let u = Timestamp::parse("2011-03-12T12:04:05+03:00").unwrap();
        assert_eq!(u, t);
        assert!(Timestamp::parse("2011-03-12 09:04:05").is_err());
        assert!(Timestamp::parse("2011-02-30T09:04:05Z").is_err());
    }

    #[test]
    fn parse_names_the_field() {
        let bad = r#"{"id":"a","kind":"deployment","party":"US","date":"2011-02-30","body":{}}"#;
        let e = parse_notification(bad).unwrap_err();
        assert_eq!(e.field, "date");
        assert!(e.message.contains("not a real calendar date"), "{}", e.message);
        let bad = r#"{"id":"a","kind":"six_month_update","party":"US","date":"2011-09-01","body":{"loadings":[{"missile":"m","reentry_vehicles":-1}]}}"#;
        let e = parse_notification(bad).unwrap_err();
        assert_eq!(e.field, "body.loadings[0].reentry_vehicles");
        assert!(e.message.contains("non-negative"), "{}", e.message);
        let bad = r#"{"id":"a","kind":"deployment","party":"US","date":"2011-03-01","body":{"item":"x","reentry_vehicles":3}}"#;
        let e = parse_notification(bad).unwrap_err();
        assert_eq!(e.field, "body.reentry_vehicles");
        assert!(e.message.contains("six-month update"), "{}", e.message);
        let bad = r#"{"id":"a","kind":"deployment","party":"US","body":{}}"#;
        assert_eq!(parse_notification(bad).unwrap_err().field, "date");
    }

    #[test]
    fn owned_equals_borrowed() {
        let text = r#"{"id":"US-1","kind":"deployment","party":"US","date":"2011-03-01","sent":"2011-03-02T00:00:00Z","body":{"item":"x","launcher":"L\u0031"}}"#;
        let n = parse_notification(text).unwrap();
        let o = n.clone().into_owned();
        assert_eq!(n, o);
        assert_eq!(o.body.launcher.as_deref(), Some("L1"));
        let again = o.to_json_line();
        assert_eq!(parse_notification(&again).unwrap(), o);
    }
}
