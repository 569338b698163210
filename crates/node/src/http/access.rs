//! Who may call each route: the one table of the routes' roles. A handler names its entry as
//! the type of its [`Allowed`](super::extract::Allowed) or
//! [`AllowedBody`](super::extract::AllowedBody) argument, so a route's roles are
//! checked before it runs and read here, not in its body. Adding a role is a variant of
//! [`Role`] and the entries here that admit it.

use super::extract::Access;
use crate::auth::Role;

/// Declares one route's access: `Name = "what refusals call it": [roles]`.
macro_rules! access {
    ($($(#[$doc:meta])* $name:ident = $what:literal: [$($role:ident),+];)+) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Access for $name {
                const ROLES: &'static [Role] = &[$(Role::$role),+];
                const WHAT: &'static str = $what;
            }
        )+
    };
}

access! {
    /// `POST /api/v1/validate`.
    Validate = "validate": [Operator];
    /// `POST /api/v1/compose`.
    Compose = "compose": [Operator];
    /// `POST /api/v1/notifications`.
    Submit = "submitting notifications": [Operator];
    /// `GET /api/v1/outbox`.
    Outbox = "the outbox": [Operator, PartnerReader];
    /// `GET /api/v1/inbox`.
    Inbox = "the inbox": [Operator];
    /// `GET /api/v1/state`.
    State = "state": [Operator, PartnerReader];
    /// `GET /api/v1/compliance`.
    Compliance = "compliance": [Operator, PartnerReader];
    /// `GET /api/v1/alerts`.
    Alerts = "alerts": [Operator, PartnerReader, Witness];
    /// `PUT /api/v1/clock`.
    SetClock = "setting the clock": [Operator];
    /// `GET /log/tile/entries/…`.
    EntryBundle = "an entry bundle": [PartnerNode, PartnerReader, Operator];
    /// `GET /api/v1/entries`.
    Entries = "entries": [PartnerNode, PartnerReader, Operator];
    /// `GET /api/v1/blobs/{sha256}`.
    Blob = "a blob": [PartnerNode, PartnerReader, Operator];
    /// `POST /witness/add-checkpoint`.
    AddCheckpoint = "add-checkpoint": [PartnerNode];
    /// `GET /api/v1/bundle`.
    ExportBundle = "exporting a bundle": [Operator];
    /// `POST /api/v1/bundle`.
    ImportBundle = "importing a bundle": [Operator];
    /// `POST /api/v1/inspections`.
    InspectionStep = "inspection steps": [Operator];
    /// `POST /api/v1/proposals`.
    NegotiationStep = "negotiation steps": [Operator];
    /// `GET /api/v1/inspections`.
    Inspections = "inspections": [Operator, PartnerReader];
    /// `GET /api/v1/inspections/{id}/report`.
    Reports = "inspection reports": [Operator, PartnerReader];
    /// `GET /api/v1/proposals`, `GET /api/v1/proposals/{id}/evaluation`.
    Proposals = "proposals": [Operator, PartnerReader];
    /// `GET /api/v1/audit`.
    AuditLog = "the audit log": [Operator];
    /// `POST /api/v1/freeze`.
    FreezeStep = "freeze steps": [Operator];
    /// `GET /api/v1/freeze`.
    Freeze = "the freeze's record": [Operator, PartnerReader];
}

/// Each route behind a credential with the roles it admits, from the entries above (a test
/// checks the OpenAPI document's `security` of every one against them).
pub const ROUTE_ROLES: &[(&str, &str, &[Role])] = &[
    ("post", "/api/v1/validate", Validate::ROLES),
    ("post", "/api/v1/compose", Compose::ROLES),
    ("post", "/api/v1/notifications", Submit::ROLES),
    ("get", "/api/v1/outbox", Outbox::ROLES),
    ("get", "/api/v1/inbox", Inbox::ROLES),
    ("get", "/api/v1/state", State::ROLES),
    ("get", "/api/v1/compliance", Compliance::ROLES),
    ("get", "/api/v1/alerts", Alerts::ROLES),
    ("put", "/api/v1/clock", SetClock::ROLES),
    ("get", "/api/v1/entries", Entries::ROLES),
    ("get", "/api/v1/blobs/{sha256}", Blob::ROLES),
    ("post", "/witness/add-checkpoint", AddCheckpoint::ROLES),
    ("get", "/api/v1/bundle", ExportBundle::ROLES),
    ("post", "/api/v1/bundle", ImportBundle::ROLES),
    ("post", "/api/v1/inspections", InspectionStep::ROLES),
    ("post", "/api/v1/proposals", NegotiationStep::ROLES),
    ("get", "/api/v1/inspections", Inspections::ROLES),
    ("get", "/api/v1/inspections/{id}/report", Reports::ROLES),
    ("get", "/api/v1/proposals", Proposals::ROLES),
    ("get", "/api/v1/proposals/{id}/evaluation", Proposals::ROLES),
    ("get", "/api/v1/audit", AuditLog::ROLES),
    ("post", "/api/v1/freeze", FreezeStep::ROLES),
    ("get", "/api/v1/freeze", Freeze::ROLES),
];

/// The public routes that show more with a credential of [`RECORD_READERS`].
pub const RECORD_ROUTES: &[(&str, &str)] = &[("get", "/api/v1/treaty/status"), ("get", "/api/v1/timeline")];

/// The roles that see the record on the public routes that show more with a credential
/// (`/api/v1/treaty/status`, `/api/v1/timeline`).
pub const RECORD_READERS: &[Role] = &[Role::Operator, Role::PartnerReader];
