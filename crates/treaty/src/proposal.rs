//! Negotiated proposals as data (`accord-proposal/1`): structured terms (extend by N years,
//! freeze all warheads at a baseline date, change a limit), conditions as text, who proposed it
//! and what it answers.
//!
//! Invariants of a parsed [`Proposal`]: every term is checked against the spec it would amend.
//! An extension longer than the extension rule allows, or beyond the number of extensions it
//! allows counting those already made by the proposal's date, is refused naming the rule's
//! article and whether that rule is confirmed treaty text; a limit that the spec does not
//! define is refused; a freeze names the declaration kind that would carry what it freezes
//! (the treaty's own declarations never cover all warheads). Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::lifecycle::EventKind;
use crate::provenance::Status;
use crate::spec::TreatySpec;

/// The proposal format this build reads.
pub const PROPOSAL_FORMAT: &str = "accord-proposal/1";

/// One term of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "term", rename_all = "snake_case")]
pub enum Term {
    /// Extend the treaty by `years`.
    Extend {
        /// Years.
        years: u32,
    },
    /// Freeze the total number of nuclear warheads, deployed and not, strategic and not, at
    /// their number on `baseline`, declared by a declaration of kind `declaration`.
    FreezeWarheads {
        /// The baseline date.
        baseline: Date,
        /// The declaration kind that would carry each Party's total stockpile by category.
        declaration: String,
        /// The categories it declares.
        categories: Vec<String>,
        /// Political (not legally binding), as Russia's October 2020 counter offered.
        political: bool,
        /// Verification the freeze would need, as text.
        verification: Option<String>,
        /// What each Party's declarations disclose to the other (the openings of the per-zone
        /// counts, or nothing beyond the public proof): part of what is agreed.
        disclose: Disclosure,
    },
    /// Change a central limit to `value`.
    ChangeLimit {
        /// The limit's name in the spec.
        limit: String,
        /// The new maximum.
        value: u64,
    },
}

/// A proposal (or counter-proposal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Identifier.
    pub id: String,
    /// Proposal or counter-proposal.
    pub kind: EventKind,
    /// The proposing Party.
    pub by: String,
    /// When it was made.
    pub date: Date,
    /// One line.
    pub title: String,
    /// The proposal it answers, for a counter-proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responds_to: Option<String>,
    /// Its terms.
    pub terms: Vec<Term>,
    /// Conditions, as text.
    pub conditions: Vec<String>,
    /// Source key (into the spec's or the file's sources).
    pub source: Option<String>,
    /// The source's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether what it says is confirmed by its source.
    pub status: Status,
    /// Caveats (an approximate date, an assumed baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProposal {
    format: String,
    treaty: String,
    id: String,
    kind: EventKind,
    by: String,
    date: toml::value::Datetime,
    title: String,
    #[serde(default)]
    responds_to: Option<String>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    note: Option<String>,
    status: Status,
    #[serde(rename = "term", default)]
    terms: Vec<RawTerm<toml::value::Datetime>>,
}

/// What a freeze's declarations disclose to the other Party (docs/freeze-verification.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Nothing beyond the public commitment and proof.
    Nothing,
    /// The openings of the per-zone counts, in a confidential field of the declaration, so
    /// the partner checks them against its own replay of the logged changes.
    ZoneCounts,
}

impl Disclosure {
    /// The word used in files.
    pub fn word(self) -> &'static str {
        match self {
            Disclosure::Nothing => "nothing",
            Disclosure::ZoneCounts => "zone_counts",
        }
    }
}

/// One term as written: in a file (dates as TOML dates) or in a notification (dates as
/// `YYYY-MM-DD` strings, [`ProposalBody`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, bound(deserialize = "D: Deserialize<'de>"))]
pub struct RawTerm<D> {
    /// Extend by this many years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_years: Option<u32>,
    /// Freeze all warheads at their number on this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_warheads_at: Option<D>,
    /// The freeze's own declaration kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<String>,
    /// The categories that declaration gives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// A political (not legally binding) freeze.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub political: bool,
    /// Verification, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<String>,
    /// What a freeze's declarations disclose to the other Party (`zone_counts` or `nothing`;
    /// `nothing` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclose: Option<Disclosure>,
    /// A limit to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// Its new maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
}

/// A date as a term carries it.
trait TermDate {
    fn date(&self, field: &str) -> Result<Date, ProposalError>;
}

impl TermDate for toml::value::Datetime {
    fn date(&self, field: &str) -> Result<Date, ProposalError> {
        date_of(field, self)
    }
}

impl TermDate for String {
    fn date(&self, field: &str) -> Result<Date, ProposalError> {
        crate::date::parse_date(self).map_err(|e| err(field, format!("{self}: {e}")))
    }
}

/// A proposal, counter-proposal or acceptance as a notification carries it (the `proposal`
/// field of docs/notifications.md). The Party, the date and the step (proposal, counter or
/// acceptance) are the notification's own; an acceptance carries only the `id` it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    /// The proposal's identifier (for an acceptance: the proposal accepted).
    pub id: String,
    /// One line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The proposal a counter-proposal answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responds_to: Option<String>,
    /// Conditions, as text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// The terms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<RawTerm<String>>,
}

/// Why a proposal is refused: the field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ProposalError {
    /// The field (`term[1].extend_years`, say).
    pub field: String,
    /// Why.
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ProposalError {
    ProposalError {
        field: field.into(),
        message: message.into(),
    }
}

fn date_of(field: &str, d: &toml::value::Datetime) -> Result<Date, ProposalError> {
    let s = d.to_string();
    crate::date::parse_date(&s).map_err(|e| err(field, format!("{s}: {e}")))
}

impl Proposal {
    /// Parses an `accord-proposal/1` file and checks it against `spec`.
    pub fn parse(text: &str, spec: &TreatySpec) -> Result<Proposal, ProposalError> {
        let raw: RawProposal = toml::from_str(text).map_err(|e| {
            let field = e.span().map(|s| format!("byte {}", s.start)).unwrap_or_else(|| "file".into());
            err(field, e.message().to_owned())
        })?;
        if raw.format != PROPOSAL_FORMAT {
            return Err(err("format", format!("'{}', this build reads '{PROPOSAL_FORMAT}'", raw.format)));
        }
        if raw.treaty != spec.id {
            return Err(err("treaty", format!("'{}' is not the spec '{}'", raw.treaty, spec.id)));
        }
        if !matches!(raw.kind, EventKind::Proposal | EventKind::CounterProposal) {
            return Err(err("kind", "proposal or counter_proposal"));
        }
        if raw.kind == EventKind::CounterProposal && raw.responds_to.is_none() {
            return Err(err("responds_to", "a counter-proposal names the proposal it answers"));
        }
        if spec.party(&raw.by).is_none() {
            return Err(err("by", format!("'{}' is not a Party of {}", raw.by, spec.short_name)));
        }
        let date = date_of("date", &raw.date)?;
        let terms = terms_of(spec, date, &raw.terms, "term")?;
        Ok(Proposal {
            id: raw.id,
            kind: raw.kind,
            by: raw.by,
            date,
            title: raw.title,
            responds_to: raw.responds_to,
            terms,
            conditions: raw.conditions,
            source: raw.source,
            url: raw.url,
            status: raw.status,
            note: raw.note,
        })
    }
}

/// Checks each term against `spec` for a proposal made on `date`; errors name `field[i].key`.
fn terms_of<D: TermDate>(spec: &TreatySpec, date: Date, terms: &[RawTerm<D>], field: &str) -> Result<Vec<Term>, ProposalError> {
    if terms.is_empty() {
        return Err(err(field, "a proposal has at least one term"));
    }
    let mut out = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let f = |k: &str| format!("{field}[{i}].{k}");
        let term = match (t.extend_years, &t.freeze_warheads_at, &t.limit) {
            (Some(years), None, None) => {
                check_extension(spec, date, years).map_err(|m| err(f("extend_years"), m))?;
                Term::Extend { years }
            }
            (None, Some(b), None) => {
                let declaration = t.declaration.clone().ok_or_else(|| {
                    err(
                        f("declaration"),
                        "a freeze names the declaration kind that would carry the stockpile",
                    )
                })?;
                let own_kind = spec
                    .catalogue
                    .get(&declaration)
                    .is_some_and(|(_, k)| !k.fields.iter().any(|f| f.field == crate::Field::Inventory));
                if own_kind {
                    return Err(err(
                        f("declaration"),
                        format!(
                            "'{declaration}' is a kind of {}, whose declarations never cover all warheads; a freeze names a kind that commits to a whole inventory (one with an `inventory` field) or one of its own",
                            spec.short_name
                        ),
                    ));
                }
                if t.categories.is_empty() {
                    return Err(err(
                        f("categories"),
                        "the categories the declaration would give (deployed strategic, non-deployed, non-strategic, …)",
                    ));
                }
                Term::FreezeWarheads {
                    baseline: b.date(&f("freeze_warheads_at"))?,
                    declaration,
                    categories: t.categories.clone(),
                    political: t.political,
                    verification: t.verification.clone(),
                    disclose: t.disclose.unwrap_or(Disclosure::Nothing),
                }
            }
            (None, None, Some(limit)) => {
                if !spec.limits.iter().any(|l| &l.name == limit) {
                    let names: Vec<&str> = spec.limits.iter().map(|l| l.name.as_str()).collect();
                    return Err(err(
                        f("limit"),
                        format!("'{limit}' is not a limit of {}: {}", spec.short_name, names.join(", ")),
                    ));
                }
                let value = t.value.ok_or_else(|| err(f("value"), "the new maximum"))?;
                Term::ChangeLimit {
                    limit: limit.clone(),
                    value,
                }
            }
            _ => {
                return Err(err(
                    format!("{field}[{i}]"),
                    "exactly one of extend_years, freeze_warheads_at, limit",
                ))
            }
        };
        out.push(term);
    }
    Ok(out)
}

impl Proposal {
    /// A proposal (or counter-proposal, `kind`) made by `by` on `date` as a notification
    /// carries it, checked against `spec` like a file; errors name `proposal.…`.
    pub fn from_body(spec: &TreatySpec, kind: EventKind, by: &str, date: Date, body: &ProposalBody) -> Result<Proposal, ProposalError> {
        if body.id.trim().is_empty() {
            return Err(err("proposal.id", "must not be empty"));
        }
        let title = body
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| err("proposal.title", "missing"))?;
        if kind == EventKind::CounterProposal && body.responds_to.is_none() {
            return Err(err("proposal.responds_to", "a counter-proposal names the proposal it answers"));
        }
        if kind == EventKind::Proposal && body.responds_to.is_some() {
            return Err(err("proposal.responds_to", "a proposal that answers another is a counter_proposal"));
        }
        if spec.party(by).is_none() {
            return Err(err("party", format!("'{by}' is not a Party of {}", spec.short_name)));
        }
        Ok(Proposal {
            id: body.id.clone(),
            kind,
            by: by.to_owned(),
            date,
            title,
            responds_to: body.responds_to.clone(),
            terms: terms_of(spec, date, &body.terms, "proposal.terms")?,
            conditions: body.conditions.clone(),
            source: None,
            url: None,
            status: Status::Confirmed,
            note: None,
        })
    }

    /// The proposal as a notification carries it.
    pub fn to_body(&self) -> ProposalBody {
        let terms = self
            .terms
            .iter()
            .map(|t| {
                let mut r = RawTerm::<String> {
                    extend_years: None,
                    freeze_warheads_at: None,
                    declaration: None,
                    categories: Vec::new(),
                    political: false,
                    verification: None,
                    disclose: None,
                    limit: None,
                    value: None,
                };
                match t {
                    Term::Extend { years } => r.extend_years = Some(*years),
                    Term::FreezeWarheads {
                        baseline,
                        declaration,
                        categories,
                        political,
                        verification,
                        disclose,
                    } => {
                        r.freeze_warheads_at = Some(baseline.to_string());
                        r.declaration = Some(declaration.clone());
                        r.categories = categories.clone();
                        r.political = *political;
                        r.verification = verification.clone();
                        r.disclose = Some(*disclose);
                    }
                    Term::ChangeLimit { limit, value } => {
                        r.limit = Some(limit.clone());
                        r.value = Some(*value);
                    }
                }
                r
            })
            .collect();
        ProposalBody {
            id: self.id.clone(),
            title: Some(self.title.clone()),
            responds_to: self.responds_to.clone(),
            conditions: self.conditions.clone(),
            terms,
        }
    }
}

/// Checks an extension by `years` proposed on `date` against the spec's extension rule.
pub fn check_extension(spec: &TreatySpec, date: Date, years: u32) -> Result<(), String> {
    let rule = &spec.lifecycle.extension;
    let standing = match rule.provenance.status {
        Status::Confirmed => "confirmed treaty text",
        Status::Unconfirmed => "UNCONFIRMED as treaty text",
    };
    if years == 0 || years > rule.value {
        return Err(format!(
            "{years} years; {} allows an extension of at most {} years ({standing})",
            rule.article, rule.value
        ));
    }
    if let Some(max) = rule.count {
        let made = spec
            .lifecycle
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Extension && e.date <= date)
            .count() as u32;
        if made >= max {
            return Err(format!(
                "{made} extension(s) already made by {date}; {} allows {max} ({standing})",
                rule.article
            ));
        }
    }
    Ok(())
}

/// The real proposals of the history, built in (`data/proposals/`).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "data/proposals/us-2020-10-freeze.toml",
        include_str!("../../../data/proposals/us-2020-10-freeze.toml"),
    ),
    (
        "data/proposals/ru-2020-10-counter.toml",
        include_str!("../../../data/proposals/ru-2020-10-counter.toml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2020_proposals_parse_and_bad_ones_are_refused_naming_the_clause() {
        let spec = crate::builtin::new_start();
        for (name, text) in BUILTIN {
            let p = Proposal::parse(text, &spec).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(matches!(p.terms[0], Term::Extend { years: 1 }));
        }
        let us = BUILTIN[0].1;
        // Longer than the rule allows: the clause and its standing are named.
        let e = Proposal::parse(&us.replace("extend_years = 1", "extend_years = 6"), &spec).expect_err("6 years");
        assert_eq!(e.field, "term[0].extend_years");
        assert!(e.message.contains("Art. XIV para 2") && e.message.contains("UNCONFIRMED"), "{e}");
        // A second extension, after the one of 2021.
        let e = Proposal::parse(&us.replace("date = 2020-10-13", "date = 2025-09-22"), &spec).expect_err("second");
        assert!(e.message.contains("already made"), "{e}");
        // A freeze that would use the treaty's own declarations.
        let e = Proposal::parse(&us.replace("warhead_stockpile_declaration", "six_month_update"), &spec).expect_err("kind");
        assert_eq!(e.field, "term[1].declaration");
        let e = Proposal::parse(&us.replace("by = \"US\"", "by = \"FR\""), &spec).expect_err("party");
        assert_eq!(e.field, "by");
        let bad_limit = format!("{us}\n[[term]]\nlimit = \"missiles\"\nvalue = 500\n");
        assert_eq!(Proposal::parse(&bad_limit, &spec).expect_err("limit").field, "term[2].limit");
    }

    #[test]
    fn a_proposal_survives_the_trip_through_a_notification_body() {
        let spec = crate::builtin::new_start();
        for (_, text) in BUILTIN {
            let p = Proposal::parse(text, &spec).expect("parses");
            let body = p.to_body();
            let again = Proposal::from_body(&spec, p.kind, &p.by, p.date, &body).expect("body parses");
            assert_eq!(again.terms, p.terms);
            assert_eq!(again.conditions, p.conditions);
        }
        let mut body = Proposal::parse(BUILTIN[0].1, &spec).expect("parses").to_body();
        body.terms[0].extend_years = Some(9);
        let e = Proposal::from_body(
            &spec,
            EventKind::Proposal,
            "US",
            crate::date::parse_date("2020-10-16").expect("date"),
            &body,
        )
        .expect_err("too long");
        assert_eq!(e.field, "proposal.terms[0].extend_years");
        assert!(e.message.contains("Art. XIV para 2"), "{e}");
    }
}
