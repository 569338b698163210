//! Where each value of a specification comes from, and whether it is confirmed.
//!
//! Invariant: every value a spec states carries a [`Provenance`] whose source key names an entry
//! of the file's `[sources]` table; an unconfirmed value can always be reported as an
//! [`Unconfirmed`] entry so that outputs that rest on it can say so.

use serde::Serialize;

/// The kind of a source, as the facts files tag them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// Treaty or Protocol text (tag T).
    TreatyText,
    /// An official fact sheet or statement (tag O).
    Official,
    /// Press or think-tank (tag S).
    Secondary,
    /// Derived by arithmetic from other sourced values (tag D).
    Derived,
}

/// A cited source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The key other entries cite it by.
    pub key: String,
    /// Where it can be read.
    pub url: String,
    /// What kind of source it is.
    pub tag: Tag,
    /// What part of it is used, or a caveat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a value is confirmed by the sources read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Confirmed by treaty text or an official source.
    Confirmed,
    /// Marked UNCONFIRMED in the facts: kept as a spec value, never presented as treaty text.
    Unconfirmed,
}

/// A value's source and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Provenance {
    /// Key into the spec's sources.
    pub source: String,
    /// Confirmed or not.
    pub status: Status,
    /// Why it is unconfirmed, or another caveat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Provenance {
    /// True when the value is not confirmed.
    pub fn is_unconfirmed(&self) -> bool {
        self.status == Status::Unconfirmed
    }
}

/// One unconfirmed spec value that an output relied on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Unconfirmed {
    /// A stable dotted key naming the spec value, e.g. `lifecycle.last_day_in_force`.
    pub key: String,
    /// The value used.
    pub value: String,
    /// Why it is unconfirmed.
    pub note: String,
}

/// Adds `u` to `list` unless an entry with the same key is there already; keeps the list sorted.
pub fn note_unconfirmed(list: &mut Vec<Unconfirmed>, u: Unconfirmed) {
    if let Err(pos) = list.binary_search_by(|e| e.key.cmp(&u.key)) {
        list.insert(pos, u);
    }
}
