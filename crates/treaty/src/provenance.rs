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
    /// Where it was read, when that is not `url`: `url` is the primary document's own address
    /// (a government's page, say) and this the copy read (an archive, a mirror).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
}

/// The hosts whose pages are a government's own publications: the only ones a source tagged
/// `official` or `treaty_text` may have as its `url` (a copy read elsewhere is its `read_at`).
/// A test holds every built-in source to it.
pub const OFFICIAL_HOSTS: &[&str] = &[
    "state.gov",
    "usembassy.gov",
    "acq.osd.mil",
    "defense.gov",
    "congress.gov",
    "govinfo.gov",
    "senate.gov",
    "whitehouse.gov",
    "archives.gov",
    "mid.ru",
    "kremlin.ru",
    "duma.gov.ru",
    "pravo.gov.ru",
    "un.org",
];

/// Legal-information services that publish the treaty's official (Russian) text verbatim: a
/// source tagged `treaty_text` may be read there too. Their pages are the text, not statements.
pub const TREATY_TEXT_HOSTS: &[&str] = &["docs.cntd.ru", "businesspravo.ru"];

/// Whether a source tagged `tag` may have `url` as its address: `official` only on a
/// government's host, `treaty_text` there or on a legal database that publishes the text; the
/// other tags anywhere.
pub fn fits_tag(tag: Tag, url: &str) -> bool {
    match tag {
        Tag::Official => official_host(url),
        Tag::TreatyText => official_host(url) || host_in(url, TREATY_TEXT_HOSTS),
        Tag::Secondary | Tag::Derived => true,
    }
}

/// Whether `url`'s host is one of [`OFFICIAL_HOSTS`] or under one.
pub fn official_host(url: &str) -> bool {
    host_in(url, OFFICIAL_HOSTS)
}

/// Whether `url`'s host is one of `hosts` or under one.
pub fn host_in(url: &str, hosts: &[&str]) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    hosts.iter().any(|h| host == *h || host.ends_with(&format!(".{h}")))
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

#[cfg(test)]
mod tests {
    use super::official_host;

    #[test]
    fn official_hosts_are_matched_whole() {
        for yes in [
            "https://www.state.gov/new-start/",
            "https://2009-2017.state.gov/t/avc/rls/183335.htm",
            "http://m.state.gov/md145975.htm",
            "https://www.acq.osd.mil/asda/x.htm",
            "http://london.usembassy.gov/acda034.html",
            "https://mid.ru/en/foreign_policy/international_safety/1808707",
        ] {
            assert!(official_host(yes), "{yes}");
        }
        for no in [
            "https://toanthua.com/which-of-the-following",
            "https://state.gov.example.com/x",
            "https://notstate.gov/x",
            "https://interfax.com/newsroom/top-stories/70986/",
            "https://webarchive.library.unt.edu/web/2013/http://london.usembassy.gov/acda034.html",
            "https://user@evil.example/state.gov",
        ] {
            assert!(!official_host(no), "{no}");
        }
    }
}
