//! What a proposal would require of each Party, given what it declared (the published
//! aggregates, and any declarations of the kind a freeze brings), and what lapses at expiry.
//!
//! Invariant: a quantity no declaration gives is reported as not declared, never replaced by
//! another figure (a freeze of all warheads is never evaluated against the deployed strategic
//! warheads New START counts). Pure: no I/O.

use accord_treaty::date::add_years;
use accord_treaty::proposal::{Proposal, Term};
use accord_treaty::provenance::Unconfirmed;
use accord_treaty::regime::status_on;
use accord_treaty::{Date, TreatySpec};
use serde::{Deserialize, Serialize};

use crate::published::PublishedRow;

/// Whether a Party's figure is declared (JSON: `declared`, `committed`, `not_declared`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredStatus {
    /// Declared in the Party's data.
    Declared,
    /// Committed without being disclosed (an `accord-inventory/1` commitment), and perhaps
    /// proven within a cap (`commitment.proof`).
    Committed,
    /// Not declared (no data, or data held).
    NotDeclared,
}

/// Where a committed declaration's proof stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// A limit proof of this inventory verified.
    Verified,
    /// A limit proof came with it and does not verify, or is not of this inventory.
    NotVerified,
    /// A proof came with it and was not checked (no verifier was run).
    Unchecked,
    /// No proof came with it.
    None,
}

/// A committed inventory as a proposal's evaluation shows it: nothing of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentSummary {
    /// The declaration's date.
    pub as_of: Date,
    /// Leaves of the tree (padding included: not the count).
    pub size: u64,
    /// The tree's root.
    pub root: String,
    /// The proof's standing.
    pub proof: ProofStatus,
    /// What the proof says, when there is one (`all_warheads within the committed total of
    /// 2020-10-13`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// One Party's declared figure for a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// Party code.
    pub party: String,
    /// Whether the Party declared the figure.
    pub status: DeclaredStatus,
    /// The figure, when declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// As of when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// New maximum minus the declared figure (negative: it would have to reduce).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<i64>,
    /// What the Party would have to do.
    pub requires: String,
    /// For a committed declaration: the commitment and its proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<CommitmentSummary>,
}

impl Declared {
    fn figure(party: &str, value: u64, as_of: Date, margin: Option<i64>, requires: String) -> Declared {
        Declared {
            party: party.to_owned(),
            status: DeclaredStatus::Declared,
            value: Some(value),
            as_of: Some(as_of),
            margin,
            requires,
            commitment: None,
        }
    }

    fn not_declared(party: &str, requires: String) -> Declared {
        Declared {
            party: party.to_owned(),
            status: DeclaredStatus::NotDeclared,
            value: None,
            as_of: None,
            margin: None,
            requires,
            commitment: None,
        }
    }
}

/// The evaluation of one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "term", rename_all = "snake_case")]
pub enum TermEvaluation {
    /// An extension.
    Extend {
        /// Years.
        years: u32,
        /// The last day in force without it.
        last_day_now: Date,
        /// The last day in force with it.
        last_day_proposed: Date,
    },
    /// A freeze of all warheads.
    FreezeWarheads {
        /// Baseline date.
        baseline: Date,
        /// The declaration kind it brings.
        declaration: String,
        /// Each Party's total stockpile at the baseline, or not declared.
        parties: Vec<Declared>,
        /// Political, not legally binding.
        political: bool,
    },
    /// A changed limit.
    ChangeLimit {
        /// Limit.
        limit: String,
        /// Current maximum.
        current: u64,
        /// Proposed maximum.
        value: u64,
        /// Each Party's declared figure and margin.
        parties: Vec<Declared>,
    },
}

/// A proposal evaluated on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The proposal.
    pub proposal: String,
    /// Evaluated on.
    pub on: Date,
    /// Each term.
    pub terms: Vec<TermEvaluation>,
    /// The last day in force if accepted.
    pub last_day_in_force: Date,
    /// What lapses the day after.
    pub lapses_at_expiry: Vec<String>,
    /// Unconfirmed values the evaluation rests on.
    pub unconfirmed: Vec<Unconfirmed>,
}

/// A declaration of a freeze's kind found in a record: Party, date, and either the total of its
/// categories (disclosed) or a commitment to its inventory (not disclosed), with the limit proof
/// that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockpileDeclaration {
    /// The notification's id.
    pub id: String,
    /// Party.
    pub party: String,
    /// As of.
    pub date: Date,
    /// Total of the categories (0 for a committed declaration).
    pub total: u64,
    /// The inventory commitment (`body.inventory`), for a declaration that discloses nothing.
    pub commitment: Option<accord_escrow::inventory::Commitment>,
    /// The limit proof that came with it (`body.limit_proof`).
    pub proof: Option<accord_escrow::totals::LimitProof>,
    /// Whether the proof verified, once [`verify_proofs`] has run.
    pub proof_verified: Option<bool>,
}

/// The declarations of kind `kind` in a history (JSON Lines), whatever the catalogue says:
/// `date`, `party`, and the sum of the numbers in `body`, or the body's `inventory` commitment
/// and `limit_proof`.
pub fn declarations_of(jsonl: &str, kind: &str) -> Vec<StockpileDeclaration> {
    jsonl
        .lines()
        .filter(|l| l.contains(kind))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == kind)
        .filter_map(|v| {
            let date = accord_treaty::parse_date(v["date"].as_str()?).ok()?;
            let body = v["body"].as_object()?;
            let commitment = body.get("inventory").and_then(|c| serde_json::from_value(c.clone()).ok());
            let proof = body.get("limit_proof").and_then(|c| serde_json::from_value(c.clone()).ok());
            let total = if commitment.is_some() {
                0
            } else {
                body.values().filter_map(serde_json::Value::as_u64).sum()
            };
            Some(StockpileDeclaration {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                party: v["party"].as_str()?.to_owned(),
                date,
                total,
                commitment,
                proof,
                proof_verified: None,
            })
        })
        .collect()
}

/// Verifies each committed declaration's limit proof: it must verify, and be of that
/// declaration's inventory (root, Party, date). `rng` randomises the verifier's batch check.
pub fn verify_proofs<R: rand_core::RngCore + rand_core::CryptoRng>(declarations: &mut [StockpileDeclaration], rng: &mut R) {
    for d in declarations.iter_mut() {
        let (Some(c), Some(p)) = (&d.commitment, &d.proof) else {
            continue;
        };
        // The proof must be of this declaration's commitment, and the commitment of this
        // declaration (its Party and date): an old commitment and its proof replayed under a
        // later date are not this period's.
        let of_it = p.is_of(c) && p.statement.party == d.party && c.context.party == d.party && c.context.as_of == d.date.to_string();
        d.proof_verified = Some(of_it && accord_escrow::totals::verify(p, rng).is_ok());
    }
}

fn summary(d: &StockpileDeclaration, c: &accord_escrow::inventory::Commitment) -> CommitmentSummary {
    let proof = match (&d.proof, d.proof_verified) {
        (None, _) => ProofStatus::None,
        (Some(_), None) => ProofStatus::Unchecked,
        (Some(_), Some(true)) => ProofStatus::Verified,
        (Some(_), Some(false)) => ProofStatus::NotVerified,
    };
    let statement = d.proof.as_ref().map(|p| format!("{} within {}", p.statement.name, p.statement.cap));
    CommitmentSummary {
        as_of: d.date,
        size: c.size,
        root: c.root.to_string(),
        proof,
        statement,
    }
}

/// Evaluates `p` on `on` against the published figures `published` and the freeze
/// declarations `declarations` in the record.
pub fn evaluate(
    spec: &TreatySpec,
    p: &Proposal,
    on: Date,
    published: &[PublishedRow],
    declarations: &[StockpileDeclaration],
) -> Evaluation {
    let now = status_on(spec, on);
    let mut unconfirmed = now.treaty.unconfirmed.clone();
    let mut last = now.treaty.last_day_in_force;
    let mut terms = Vec::new();
    // The newest published row: an unsourced one gives no figures, and must not hide the row
    // before it.
    let latest = |party: &str, limit: usize| -> Option<(u64, Date)> {
        published
            .iter()
            .filter(|r| r.party == party && r.as_of <= on && r.status == crate::published::RowStatus::Published)
            .max_by_key(|r| r.as_of)
            .and_then(|r| r.values.get(limit).copied().flatten().map(|v| (v, r.as_of)))
    };
    for t in &p.terms {
        match t {
            Term::Extend { years } => {
                let proposed = add_years(last, *years as i32);
                if spec.lifecycle.extension.provenance.is_unconfirmed() {
                    accord_treaty::provenance::note_unconfirmed(
                        &mut unconfirmed,
                        Unconfirmed {
                            key: "lifecycle.extension".into(),
                            value: format!(
                                "at most {} years, {} extension(s)",
                                spec.lifecycle.extension.value,
                                spec.lifecycle.extension.count.unwrap_or(0)
                            ),
                            note: spec.lifecycle.extension.provenance.note.clone().unwrap_or_default(),
                        },
                    );
                }
                terms.push(TermEvaluation::Extend {
                    years: *years,
                    last_day_now: last,
                    last_day_proposed: proposed,
                });
                last = proposed;
            }
            Term::FreezeWarheads {
                baseline,
                declaration,
                political,
                ..
            } => {
                let parties = spec
                    .parties
                    .iter()
                    .map(|party| {
                        let d = declarations
                            .iter()
                            .filter(|d| d.party == party.code && d.date <= *baseline)
                            .max_by_key(|d| d.date);
                        // A committed baseline: the newest committed declaration on or before
                        // the evaluation's date says where the freeze stands.
                        let committed = d.filter(|d| d.commitment.is_some()).map(|base| {
                            declarations
                                .iter()
                                .filter(|x| x.party == party.code && x.commitment.is_some() && x.date <= on.max(base.date))
                                .max_by_key(|x| x.date)
                                .unwrap_or(base)
                        });
                        if let Some(latest) = committed {
                            let base = d.filter(|d| d.commitment.is_some());
                            let mut c = latest.commitment.as_ref().map(|c| summary(latest, c));
                            // A later period's proof counts only against this baseline's own
                            // commitments: a cap the Party chose itself proves nothing.
                            let against_base = match (base, &latest.proof) {
                                (Some(b), Some(p)) if b.date < latest.date => match &p.statement.cap {
                                    accord_escrow::totals::Cap::Committed { as_of, commitments } => {
                                        b.proof_verified == Some(true)
                                            && *as_of == b.date.to_string()
                                            && b.proof.as_ref().is_some_and(|bp| bp.commitments == *commitments)
                                    }
                                    accord_escrow::totals::Cap::Public(_) => false,
                                },
                                _ => true,
                            };
                            if !against_base {
                                if let Some(c) = c.as_mut() {
                                    if c.proof == ProofStatus::Verified {
                                        c.proof = ProofStatus::NotVerified;
                                    }
                                }
                            }
                            let at_baseline = base.is_some_and(|b| b.date == latest.date);
                            let requires = match c.as_ref().map(|c| (c.proof, c.statement.clone())) {
                                Some((ProofStatus::Verified, _)) if at_baseline => format!(
                                    "nothing yet: committed at the baseline ({}); each later period is proven within this commitment's total",
                                    latest.date
                                ),
                                Some((ProofStatus::Verified, Some(st))) => {
                                    format!("nothing more: committed on {} and proven {st}", latest.date)
                                }
                                Some((ProofStatus::NotVerified, _)) => format!(
                                    "its proof of {} does not verify, is not of its commitment, or is not against its baseline's committed total: a finding",
                                    latest.date
                                ),
                                Some((ProofStatus::Unchecked, _)) => format!("its proof of {} is not checked yet", latest.date),
                                _ => format!(
                                    "prove its total of {} within the cap: committed, not yet proven",
                                    latest.date
                                ),
                            };
                            return Declared {
                                party: party.code.clone(),
                                status: DeclaredStatus::Committed,
                                value: None,
                                as_of: Some(latest.date),
                                margin: None,
                                requires,
                                commitment: c,
                            };
                        }
                        match d {
                            Some(d) => Declared::figure(
                                &party.code,
                                d.total,
                                d.date,
                                None,
                                format!("keep the total stockpile at or below {} warheads", d.total),
                            ),
                            None => Declared::not_declared(
                                &party.code,
                                format!(
                                    "declare its total stockpile at {baseline} by category ({declaration}); no such declaration exists, and {} never declared it",
                                    spec.short_name
                                ),
                            ),
                        }
                    })
                    .collect();
                terms.push(TermEvaluation::FreezeWarheads {
                    baseline: *baseline,
                    declaration: declaration.clone(),
                    parties,
                    political: *political,
                });
            }
            Term::ChangeLimit { limit, value } => {
                let Some(li) = spec.limits.iter().position(|l| &l.name == limit) else {
                    continue;
                };
                let parties = spec
                    .parties
                    .iter()
                    .map(|party| match latest(&party.code, li) {
                        Some((v, as_of)) => {
                            let margin = *value as i64 - v as i64;
                            let requires = if margin >= 0 {
                                format!("nothing: {v} declared, {margin} under the new limit")
                            } else {
                                format!("reduce by {} (from {v} to {value})", -margin)
                            };
                            Declared::figure(&party.code, v, as_of, Some(margin), requires)
                        }
                        None => Declared::not_declared(&party.code, format!("no published figure for {limit} on or before {on}")),
                    })
                    .collect();
                terms.push(TermEvaluation::ChangeLimit {
                    limit: limit.clone(),
                    current: spec.limits[li].value,
                    value: *value,
                    parties,
                });
            }
        }
    }
    let lapses_at_expiry = status_on(spec, last).obligations;
    Evaluation {
        proposal: p.id.clone(),
        on,
        terms,
        last_day_in_force: last,
        lapses_at_expiry,
        unconfirmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A limit change is weighed against the newest figures published with a source: the
    /// unsourced rows of 1 September 2022 do not hide the 1 March 2022 ones.
    #[test]
    fn an_unsourced_row_does_not_hide_the_figures_before_it() {
        let spec = accord_treaty::builtin::new_start();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/new-start-aggregates.csv")).expect("csv");
        let published = crate::published::parse_published(&spec, &text).expect("parses");
        let us =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/proposals/us-2020-10-freeze.toml")).expect("proposal");
        let p = Proposal::parse(&format!("{us}\n[[term]]\nlimit = \"warheads\"\nvalue = 1500\n"), &spec).expect("proposal");
        let on = accord_treaty::parse_date("2022-12-01").expect("date");
        let e = evaluate(&spec, &p, on, &published, &[]);
        let v = serde_json::to_value(&e).expect("json");
        let text = v.to_string();
        assert!(text.contains("2022-03-01") && text.contains("1515"), "{text}");
        assert!(!text.contains("no published figure"), "{text}");
    }
}
