//! The notification catalogue: each kind a treaty defines, its fields, deadline, Protocol
//! reference, visibility and what replay does with it.
//!
//! The engine has a fixed vocabulary of *effects* (what a notification does to the declared
//! state) and *fields* (the typed parts of a notification body); a treaty's catalogue names its
//! own kinds and maps each onto one effect and a set of fields. Invariant: a kind in a
//! validated [`Catalogue`] declares, as required, every field its effect needs, and no field its
//! effect cannot use.

use serde::Serialize;

use crate::date::{add_days, Date};
use crate::provenance::Provenance;

/// What replay does with a notification (serialised as its spec name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The first full database: facilities, items, loadings, totals, as of entry into force.
    InitialData,
    /// A data declaration as of a date (six-month update): reentry-vehicle loadings and totals.
    DataUpdate,
    /// A facility is added.
    AddFacility,
    /// An item enters accountability.
    AddItem,
    /// A missile is installed in a launcher, or a bomber becomes deployed.
    Deploy,
    /// A missile leaves its launcher, or a bomber becomes non-deployed.
    Undeploy,
    /// An item moves between facilities.
    Move,
    /// An item leaves accountability (eliminated, converted, lost, disabled, displayed).
    Remove,
    /// Changes no declared state (launch notices, telemetry, inspection logistics).
    None,
    /// An inspection step (notice, designation, findings, report, signature, exemption,
    /// refusal, commit-reveal): changes no declared state; the inspection record folds it.
    Inspection(InspectionStep),
    /// A negotiation step (proposal, counter-proposal, acceptance): changes no declared
    /// state; the negotiation record folds it.
    Negotiation(NegotiationStep),
}

/// The steps of an inspection, each a kind of notification (Protocol Part Five).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStep {
    /// Notice of intent to inspect (or, for an exhibition, the invitation).
    Notice,
    /// The site designated, with the site's declared data from the replayed state.
    Designation,
    /// What the inspectors found.
    Findings,
    /// The factual report, signed by the inspecting Party.
    Report,
    /// The inspected Party's signature of the report.
    Signature,
    /// A temporary exemption of facilities from inspection (Protocol Part Five, Section I).
    Exemption,
    /// The end of an exemption.
    ExemptionEnd,
    /// A refusal of a notified inspection.
    Refusal,
    /// A commitment to a value for the joint choice of the missile (commit-reveal).
    Commitment,
    /// The revealed value.
    Reveal,
}

/// The steps of a negotiation, each a kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NegotiationStep {
    /// A proposal.
    Proposal,
    /// A counter-proposal (answers another).
    Counter,
    /// Acceptance of the other Party's proposal.
    Acceptance,
}

impl Serialize for Effect {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Effect {
    /// All effects with their spec names.
    pub const ALL: [(Effect, &'static str); 22] = [
        (Effect::InitialData, "initial_data"),
        (Effect::DataUpdate, "data_update"),
        (Effect::AddFacility, "add_facility"),
        (Effect::AddItem, "add_item"),
        (Effect::Deploy, "deploy"),
        (Effect::Undeploy, "undeploy"),
        (Effect::Move, "move"),
        (Effect::Remove, "remove"),
        (Effect::None, "none"),
        (Effect::Inspection(InspectionStep::Notice), "inspection_notice"),
        (Effect::Inspection(InspectionStep::Designation), "site_designation"),
        (Effect::Inspection(InspectionStep::Findings), "inspection_findings"),
        (Effect::Inspection(InspectionStep::Report), "inspection_report"),
        (Effect::Inspection(InspectionStep::Signature), "report_signature"),
        (Effect::Inspection(InspectionStep::Exemption), "inspection_exemption"),
        (Effect::Inspection(InspectionStep::ExemptionEnd), "exemption_end"),
        (Effect::Inspection(InspectionStep::Refusal), "inspection_refusal"),
        (Effect::Inspection(InspectionStep::Commitment), "choice_commitment"),
        (Effect::Inspection(InspectionStep::Reveal), "choice_reveal"),
        (Effect::Negotiation(NegotiationStep::Proposal), "proposal"),
        (Effect::Negotiation(NegotiationStep::Counter), "counter_proposal"),
        (Effect::Negotiation(NegotiationStep::Acceptance), "acceptance"),
    ];

    /// The spec name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(e, _)| *e == self).map_or("none", |(_, n)| n)
    }

    /// Parses a spec name.
    pub fn from_name(s: &str) -> Option<Effect> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(e, _)| *e)
    }

    /// Fields the effect needs: a kind must declare them as required.
    pub fn required_fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Effect::InitialData => &[Facilities, Items, Loadings, Totals],
            Effect::DataUpdate => &[Loadings, Totals],
            Effect::AddFacility => &[Facility, FacilityType, Name],
            Effect::AddItem => &[Item, Category, Type, Facility],
            Effect::Deploy | Effect::Undeploy | Effect::Remove => &[Item],
            Effect::Move => &[Item, From, To],
            Effect::None => &[],
            Effect::Inspection(_) => &[Inspection],
            Effect::Negotiation(_) => &[Proposal],
        }
    }

    /// Fields the effect can use beyond the required ones (text fields are always allowed).
    pub fn optional_fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Effect::AddItem => &[Status],
            Effect::Deploy => &[Launcher],
            Effect::Remove => &[Facility],
            Effect::None => &[Item, Type, Facility, Inventory, LimitProof, Openings, Changes, Sample],
            _ => &[],
        }
    }

    /// True if the effect may carry `f`.
    pub fn allows(self, f: Field) -> bool {
        f.is_text() || self.required_fields().contains(&f) || self.optional_fields().contains(&f)
    }
}

/// The engine's vocabulary of notification body fields. Each has one JSON type
/// (docs/notifications.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// List of facility declarations.
    Facilities,
    /// List of item declarations.
    Items,
    /// List of reentry-vehicle loadings of deployed missiles.
    Loadings,
    /// Object: limit name to declared count.
    Totals,
    /// Identifier of a facility.
    Facility,
    /// Facility type code.
    FacilityType,
    /// Name (text).
    Name,
    /// Identifier of an item (unique identifier, or a launcher's designation).
    Item,
    /// Item category code.
    Category,
    /// Type of an item (text, e.g. "Minuteman III").
    Type,
    /// `deployed` or `non_deployed`.
    Status,
    /// Identifier of a launcher.
    Launcher,
    /// Facility an item leaves.
    From,
    /// Facility an item arrives at.
    To,
    /// Free text: why.
    Reason,
    /// Free text.
    Note,
    /// Free text reference to another notification or document.
    Reference,
    /// Object: an inspection step (docs/notifications.md).
    Inspection,
    /// Object: a negotiation step (docs/notifications.md).
    Proposal,
    /// Object: an `accord-inventory/1` commitment (docs/freeze-verification.md).
    Inventory,
    /// Object: an `accord-limit-proof/1` (docs/freeze-verification.md).
    LimitProof,
    /// Object: the openings of a limit proof's per-zone counts, for the partner.
    Openings,
    /// Array: changes to a committed inventory (produced, dismantled, moved, status changed).
    Changes,
    /// Object: a step of a sampled inspection of a committed inventory.
    Sample,
}

impl Field {
    /// All fields with their JSON names.
    pub const ALL: [(Field, &'static str); 24] = [
        (Field::Facilities, "facilities"),
        (Field::Items, "items"),
        (Field::Loadings, "loadings"),
        (Field::Totals, "totals"),
        (Field::Facility, "facility"),
        (Field::FacilityType, "facility_type"),
        (Field::Name, "name"),
        (Field::Item, "item"),
        (Field::Category, "category"),
        (Field::Type, "type"),
        (Field::Status, "status"),
        (Field::Launcher, "launcher"),
        (Field::From, "from"),
        (Field::To, "to"),
        (Field::Reason, "reason"),
        (Field::Note, "note"),
        (Field::Reference, "reference"),
        (Field::Inspection, "inspection"),
        (Field::Proposal, "proposal"),
        (Field::Inventory, "inventory"),
        (Field::LimitProof, "limit_proof"),
        (Field::Openings, "openings"),
        (Field::Changes, "changes"),
        (Field::Sample, "sample"),
    ];

    /// The JSON name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(f, _)| *f == self).map_or("note", |(_, n)| n)
    }

    /// Parses a JSON name.
    pub fn from_name(s: &str) -> Option<Field> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(f, _)| *f)
    }

    /// Free-text fields, allowed on every kind that declares them.
    pub fn is_text(self) -> bool {
        matches!(self, Field::Reason | Field::Note | Field::Reference | Field::Name)
    }

    /// A short description of the JSON type, for docs and schemas.
    pub fn json_type(self) -> &'static str {
        match self {
            Field::Facilities => "array of {id, type, name}",
            Field::Items => "array of {id, category, type, facility, launcher?, status?}",
            Field::Loadings => "array of {missile, reentry_vehicles}",
            Field::Totals => "object {limit name: count}",
            Field::Status => "\"deployed\" | \"non_deployed\"",
            Field::Inspection => {
                "object {id, type?, site?, missile?, declared?, found?, report_sha256?, commitment?, nonce?, value?, until?}"
            }
            Field::Proposal => "object {id, title?, responds_to?, terms?, conditions?}",
            Field::Inventory => "object accord-inventory/1 {format, treaty, party, as_of, size, root}",
            Field::LimitProof => "object accord-limit-proof/1 {format, statement, commitments, counts_proof, margin_proof}",
            Field::Openings => "object {counts, blindings}",
            Field::Changes => "array of {change: produced | dismantled | moved | status_changed, uid, zone | from, to, status?}",
            Field::Sample => {
                "object {step: request | commit | reveal | open | findings | zone_request | zone_reveal | refuse, id, of?, root?, k?, commitment?, nonce?, value?, openings?, observed?, zone?, reveal?, reason?}"
            }
            _ => "string",
        }
    }
}

/// Public (may be released to the public) or confidential between the Parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// May be released publicly.
    Public,
    /// Between the Parties only.
    Confidential,
}

/// When a notification is due, relative to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Deadline {
    /// N days after entry into force.
    DaysAfterEntryIntoForce {
        /// Days.
        days: u32,
    },
    /// N days after the end of the six-month period the data are as of.
    DaysAfterPeriodEnd {
        /// Days.
        days: u32,
    },
    /// N days after the event.
    DaysAfterEvent {
        /// Days.
        days: u32,
    },
    /// At least N days before the event.
    DaysBeforeEvent {
        /// Days.
        days: u32,
    },
    /// At least N hours before the event (the event date's 00:00 GMT).
    HoursBeforeEvent {
        /// Hours.
        hours: u32,
    },
    /// The deadline is not known from the sources read.
    Unconfirmed,
    /// No deadline applies (negotiation steps, which are not treaty notifications).
    None,
}

/// A computed due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Due {
    /// Must be received on or before this date (GMT).
    Date {
        /// The last day on time.
        date: Date,
    },
    /// Must be received at or before this instant, as seconds since 1970-01-01T00:00:00Z.
    Instant {
        /// Seconds since the Unix epoch, GMT.
        unix: i64,
    },
}

impl Deadline {
    /// The due time of a notification about `event`, given entry into force.
    /// `None` when the deadline is unconfirmed.
    pub fn due(self, event: Date, entry_into_force: Date) -> Option<Due> {
        match self {
            Deadline::DaysAfterEntryIntoForce { days } => Some(Due::Date {
                date: add_days(entry_into_force, i64::from(days)),
            }),
            // `event` is the as-of date, the day after the period's last day.
            Deadline::DaysAfterPeriodEnd { days } => Some(Due::Date {
                date: add_days(event, i64::from(days) - 1),
            }),
            Deadline::DaysAfterEvent { days } => Some(Due::Date {
                date: add_days(event, i64::from(days)),
            }),
            Deadline::DaysBeforeEvent { days } => Some(Due::Date {
                date: add_days(event, -i64::from(days)),
            }),
            Deadline::HoursBeforeEvent { hours } => {
                let midnight = event.midnight().assume_utc().unix_timestamp();
                Some(Due::Instant {
                    unix: midnight - i64::from(hours) * 3600,
                })
            }
            Deadline::Unconfirmed | Deadline::None => None,
        }
    }
}

/// Which date a data declaration must be as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsOf {
    /// A six-month period boundary (1 March or 1 September for New START).
    PeriodBoundary,
    /// The date the central limits take effect.
    LimitsApply,
}

/// One field of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// Which field.
    pub field: Field,
    /// Must be present.
    pub required: bool,
    /// Public or confidential.
    pub visibility: Visibility,
}

/// One kind of notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationKind {
    /// Its name in notifications, e.g. `deployment`.
    pub kind: String,
    /// Human title.
    pub title: String,
    /// Protocol reference.
    pub section: String,
    /// What replay does.
    pub effect: Effect,
    /// For data declarations: which date they are as of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
    /// When it is due.
    pub deadline: Deadline,
    /// Whether the kind itself (its existence, kind and dates) is public.
    pub visibility: Visibility,
    /// Source and status.
    pub provenance: Provenance,
    /// Its fields.
    pub fields: Vec<FieldSpec>,
}

impl NotificationKind {
    /// The declaration of field `f`, if the kind has it.
    pub fn field(&self, f: Field) -> Option<&FieldSpec> {
        self.fields.iter().find(|s| s.field == f)
    }

    /// True if this kind carries warhead (reentry-vehicle) data.
    pub fn carries_warhead_data(&self) -> bool {
        matches!(self.effect, Effect::InitialData | Effect::DataUpdate)
    }
}

/// All kinds of a treaty, in spec order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    kinds: Vec<NotificationKind>,
}

impl Catalogue {
    pub(crate) fn new(kinds: Vec<NotificationKind>) -> Self {
        Catalogue { kinds }
    }

    /// All kinds.
    pub fn kinds(&self) -> &[NotificationKind] {
        &self.kinds
    }

    /// The kind named `name`, with its index.
    pub fn get(&self, name: &str) -> Option<(usize, &NotificationKind)> {
        self.kinds.iter().enumerate().find(|(_, k)| k.kind == name)
    }

    /// The kind at `index`.
    pub fn at(&self, index: usize) -> &NotificationKind {
        &self.kinds[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_date;

    #[test]
    fn deadlines_follow_part_four_section_two() {
        let eif = parse_date("2011-02-05").unwrap();
        let d = |s| parse_date(s).unwrap();
        let due = Deadline::DaysAfterEntryIntoForce { days: 45 }.due(eif, eif);
        assert_eq!(due, Some(Due::Date { date: d("2011-03-22") }));
        // Period 2022-09-01..2023-02-28: data as of 2023-03-01 due 30 days after 2023-02-28.
        let due = Deadline::DaysAfterPeriodEnd { days: 30 }.due(d("2023-03-01"), eif);
        assert_eq!(due, Some(Due::Date { date: d("2023-03-30") }));
        let due = Deadline::DaysAfterPeriodEnd { days: 30 }.due(d("2011-09-01"), eif);
        assert_eq!(due, Some(Due::Date { date: d("2011-09-30") }));
        let due = Deadline::DaysAfterEvent { days: 5 }.due(d("2011-03-10"), eif);
        assert_eq!(due, Some(Due::Date { date: d("2011-03-15") }));
        assert_eq!(Deadline::Unconfirmed.due(eif, eif), None);
    }

    #[test]
    fn vocabulary_round_trips() {
        for (e, n) in Effect::ALL {
            assert_eq!(Effect::from_name(n), Some(e));
            assert_eq!(e.name(), n);
        }
        for (f, n) in Field::ALL {
            assert_eq!(Field::from_name(n), Some(f));
        }
        assert!(Effect::Deploy.allows(Field::Launcher));
        assert!(!Effect::Deploy.allows(Field::Loadings));
    }
}
