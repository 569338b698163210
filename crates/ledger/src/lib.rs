//! # accord-ledger: declarations replayed into state, and compliance
//!
//! The notification format ([`notification`]), histories as JSON Lines ([`history`]), the
//! compiled form replay works on ([`event`]), each Party's item-level state ([`state`]), replay in
//! date order with figures on any date ([`replay`]), compliance against the limits and deadlines
//! ([`compliance`]), and published aggregate figures ([`published`]).
//!
//! Data flow: text → [`notification::Notification`] → [`event::Event`] (checked against the
//! catalogue) → [`state::PartyState::apply`] (checked against the state) → snapshots →
//! [`compliance::Report`].
//!
//! **Architecture invariant:** this crate is pure. It reads no files and no clock; callers pass
//! text and the evaluation date. It depends on no async runtime, HTTP or database crate.

pub mod compliance;
pub mod error;
pub mod event;
pub mod freeze;
pub mod history;
pub mod inspection;
pub mod negotiation;
pub mod notification;
pub mod published;
pub mod record;
pub mod replay;
pub mod report;
pub mod schema;
pub mod state;

pub use error::LedgerError;
pub use history::History;
pub use notification::{Notification, Timestamp};
