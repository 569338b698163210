//! # accord-treaty: treaties as data
//!
//! A treaty specification (`accord-treaty/1` TOML, see `docs/treaty-spec.md`) and its lifecycle
//! file (`accord-lifecycle/1`) describe everything the rest of accord needs to know about a
//! treaty: its Parties, item categories and facility types, central limits with their counting
//! rules, the data-exchange calendar, inspection quotas, the notification catalogue with
//! deadlines and visibility, and the treaty's life (signature, entry into force, extension,
//! expiry). New START is built in ([`builtin::new_start`]).
//!
//! **Architecture invariant:** this crate is pure. It does no I/O, reads no clock, spawns
//! nothing; callers hand it text (and a loader for files a spec names) and dates. CI checks that
//! it depends on no async runtime, HTTP or database crate.
//!
//! **Invariant:** every value carries a source and a status; a value the facts mark
//! UNCONFIRMED is a spec value marked so, and the functions that answer questions return the
//! unconfirmed values their answer rests on.

pub mod builtin;
pub mod catalogue;
pub mod date;
pub mod error;
pub mod history;
pub mod lifecycle;
pub mod proposal;
pub mod provenance;
mod raw;
pub mod regime;
pub mod spec;

pub use catalogue::{Catalogue, Deadline, Due, Effect, Field, InspectionStep, NegotiationStep, NotificationKind, Visibility};
pub use date::{parse_date, Date};
pub use error::SpecError;
pub use lifecycle::{Lifecycle, Phase, TreatyStatus};
pub use provenance::{Status, Unconfirmed};
pub use spec::{CategoryId, LoadedFile, MissileChoice, NoticeBy, PartyId, Role, TreatySpec};
