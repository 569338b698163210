//! `accord treaty show | validate | schema`.

use std::path::Path;

use accord_treaty::catalogue::Deadline;
use accord_treaty::date::add_days;
use accord_treaty::lifecycle::EventKind;
use accord_treaty::provenance::{note_unconfirmed, Unconfirmed};
use accord_treaty::{Date, TreatySpec};
use serde::Serialize;

use crate::args::{Format, TreatyCommand};
use crate::failure::{input, Outcome};
use crate::files::{load_spec, parse_spec_file};
use crate::output::table;
use crate::output::{json, print_json};

/// A key date of the treaty's life.
#[derive(Debug, Serialize)]
pub struct KeyDate {
    /// Date.
    pub date: Date,
    /// What.
    pub event: String,
    /// Where it comes from: a lifecycle event, or computed by a spec rule.
    pub basis: String,
    /// Date precision.
    pub precision: String,
    /// Unconfirmed?
    pub unconfirmed: bool,
}

/// The treaty's key dates: lifecycle events and the dates spec rules give.
pub fn key_dates(spec: &TreatySpec) -> Vec<KeyDate> {
    let l = &spec.lifecycle;
    let mut out: Vec<KeyDate> = l
        .events
        .iter()
        .map(|e| {
            let what = match e.kind {
                EventKind::Signature => format!("signature{}", e.place.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()),
                EventKind::Ratification => format!("ratification: {}", e.party.clone().unwrap_or_default()),
                EventKind::EntryIntoForce => "entry into force".into(),
                EventKind::Extension => format!("extension by {} years in force", e.years.unwrap_or(0)),
                EventKind::Expiry => "expiry: first day without the treaty".into(),
                EventKind::WithdrawalNotice => format!("withdrawal notice: {}", e.party.clone().unwrap_or_default()),
                EventKind::Suspension => format!(
                    "suspension by {} (not a treaty mechanism; the treaty stays in force)",
                    e.party.clone().unwrap_or_default()
                ),
                EventKind::UnilateralCommitment => format!(
                    "unilateral commitment by {} (political, not a treaty obligation)",
                    e.party.clone().unwrap_or_default()
                ),
                other => other.name().replace('_', " "),
            };
            KeyDate {
                date: e.date,
                event: what,
                basis: format!("lifecycle event ({})", e.provenance.source),
                precision: format!("{:?}", e.precision).to_lowercase(),
                unconfirmed: e.provenance.is_unconfirmed(),
            }
        })
        .collect();
    let eif = l.entry_into_force();
    if let Some((_, k)) = spec
        .catalogue
        .kinds()
        .iter()
        .enumerate()
        .find(|(_, k)| k.effect == accord_treaty::Effect::InitialData)
    {
        if let Deadline::DaysAfterEntryIntoForce { days } = k.deadline {
            out.push(KeyDate {
                date: add_days(eif, i64::from(days)),
                event: format!("initial data due (entry into force + {days} days, {})", k.section),
                basis: "computed".into(),
                precision: "day".into(),
                unconfirmed: k.provenance.is_unconfirmed(),
            });
        }
    }
    out.push(KeyDate {
        date: spec.inspections_begin(),
        event: format!(
            "inspections may begin (entry into force + {} days)",
            spec.inspections.begin_days_after_entry_into_force
        ),
        basis: "computed".into(),
        precision: "day".into(),
        unconfirmed: spec.inspections.provenance.is_unconfirmed(),
    });
    out.push(KeyDate {
        date: spec.limits_apply_on(),
        event: format!("central limits take effect (entry into force + {} years)", spec.limits_apply_years),
        basis: "computed".into(),
        precision: "day".into(),
        unconfirmed: spec.limits_apply_provenance.is_unconfirmed(),
    });
    out.push(KeyDate {
        date: l.last_day_in_force.date,
        event: "last day in force (pinned)".into(),
        basis: l.last_day_in_force.reason.clone(),
        precision: "day".into(),
        unconfirmed: l.last_day_in_force.provenance.is_unconfirmed(),
    });
    out.sort_by_key(|k| k.date);
    out
}

/// Every unconfirmed value of the spec.
pub fn all_unconfirmed(spec: &TreatySpec) -> Vec<Unconfirmed> {
    let mut u = Vec::new();
    for c in &spec.categories {
        if c.provenance.is_unconfirmed() {
            note_unconfirmed(
                &mut u,
                Unconfirmed {
                    key: format!("category.{}.unique_identifier", c.code),
                    value: c.unique_identifier.to_string(),
                    note: c.provenance.note.clone().unwrap_or_default(),
                },
            );
        }
    }
    for l in &spec.limits {
        spec.unconfirmed_counting(l, &mut u);
    }
    for k in spec.catalogue.kinds() {
        spec.unconfirmed_kind(k, &mut u);
    }
    let lc = &spec.lifecycle;
    for (key, r) in [
        ("lifecycle.extension", &lc.extension),
        ("lifecycle.withdrawal", &lc.withdrawal),
        ("lifecycle.term", &lc.term),
    ] {
        if r.provenance.is_unconfirmed() {
            note_unconfirmed(
                &mut u,
                Unconfirmed {
                    key: key.into(),
                    value: match r.count {
                        Some(c) => format!("{} (at most {c})", r.value),
                        None => r.value.to_string(),
                    },
                    note: r.provenance.note.clone().unwrap_or_default(),
                },
            );
        }
    }
    if lc.last_day_in_force.provenance.is_unconfirmed() {
        note_unconfirmed(
            &mut u,
            Unconfirmed {
                key: "lifecycle.last_day_in_force".into(),
                value: lc.last_day_in_force.date.to_string(),
                note: lc.last_day_in_force.reason.clone(),
            },
        );
    }
    u
}

#[derive(Serialize)]
struct ShowJson<'a> {
    spec: &'a TreatySpec,
    key_dates: Vec<KeyDate>,
    data_exchange_dates: Vec<Date>,
    unconfirmed: Vec<Unconfirmed>,
}

pub fn run(c: TreatyCommand, spec_path: Option<&Path>, format: Format) -> Outcome {
    match c {
        TreatyCommand::Show => {
            let spec = load_spec(spec_path)?;
            if json(format) {
                print_json(&ShowJson {
                    spec: &spec,
                    key_dates: key_dates(&spec),
                    data_exchange_dates: spec.data_exchange_dates(),
                    unconfirmed: all_unconfirmed(&spec),
                })?;
            } else {
                print!("{}", show_text(&spec));
            }
            Ok(0)
        }
        TreatyCommand::Validate { file } => {
            let text = crate::files::read_text(&file)?;
            let spec = parse_spec_file(&file, &text).map_err(input)?;
            if json(format) {
                print_json(&serde_json::json!({
                    "valid": true, "file": file.display().to_string(), "treaty": spec.id,
                    "kinds": spec.catalogue.kinds().len(), "limits": spec.limits.len(),
                    "unconfirmed": all_unconfirmed(&spec),
                }))?;
            } else {
                println!(
                    "{}: valid {} specification ({}, {} limits, {} notification kinds, {} unconfirmed values)",
                    file.display(),
                    spec.format,
                    spec.short_name,
                    spec.limits.len(),
                    spec.catalogue.kinds().len(),
                    all_unconfirmed(&spec).len()
                );
            }
            Ok(0)
        }
        TreatyCommand::Schema => {
            let spec = load_spec(spec_path)?;
            print_json(&accord_ledger::schema::notification_schema(&spec))?;
            Ok(0)
        }
        TreatyCommand::Status { on, at } => {
            let spec = load_spec(spec_path)?;
            let d = accord_treaty::parse_date(&on).map_err(|e| input(anyhow::anyhow!("--on {on:?}: {e}")))?;
            // With a node, what its record agreed (extensions) and the proposals open in it.
            let st: accord_ledger::record::RecordStatus = if at.node.is_some() {
                let v = super::at_node::get(&at, &format!("/api/v1/treaty/status?on={d}"))?;
                serde_json::from_value(v).map_err(|e| crate::failure::io(anyhow::anyhow!("the node's status: {e}")))?
            } else if at.data.is_some() {
                super::at_node::record(&at, &spec)?.status_on(d)
            } else {
                accord_ledger::record::Record::new(&spec).status_on(d)
            };
            if json(format) {
                print_json(&st)?;
            } else {
                print!("{}", status_text(&spec, &st.regime));
                if !st.agreements.is_empty() {
                    println!("\nAgreements in the record:");
                    for a in &st.agreements {
                        println!(
                            "  {} {} (by {}, accepted by {}): {}",
                            a.date,
                            a.proposal,
                            a.proposed_by,
                            a.accepted_by,
                            a.effects.join("; ")
                        );
                    }
                }
            }
            Ok(0)
        }
    }
}

/// `accord treaty status` as text.
pub fn status_text(spec: &TreatySpec, st: &accord_treaty::history::RegimeStatus) -> String {
    use std::fmt::Write as _;
    let t = &st.treaty;
    let mut o = String::new();
    let phase = match t.phase {
        accord_treaty::Phase::NotSigned => "not signed".to_owned(),
        accord_treaty::Phase::SignedNotInForce => format!("signed, not in force (entry into force {})", t.entry_into_force),
        accord_treaty::Phase::InForce => format!("in force since {}, until {} (last day)", t.entry_into_force, t.last_day_in_force),
        accord_treaty::Phase::Expired => format!("not in force: expired after {}", t.last_day_in_force),
    };
    let _ = writeln!(o, "{} on {}: {phase}", spec.short_name, t.date);
    if !st.suspended_by.is_empty() {
        let _ = writeln!(
            o,
            "Suspended by {} (not a treaty mechanism: the treaty stays in force)",
            st.suspended_by.join(", ")
        );
    }
    if !st.obligations.is_empty() {
        let _ = writeln!(o, "\nObligations:");
        for ob in &st.obligations {
            let _ = writeln!(o, "  - {ob}");
        }
    }
    let word = |v: &dyn erased::Named| v.named();
    let rows: Vec<Vec<String>> = st
        .parties
        .iter()
        .map(|p| vec![p.party.clone(), word(&p.inspections), word(&p.data), word(&p.notifications)])
        .collect();
    let _ = writeln!(o);
    o.push_str(&crate::output::table(
        &["Party", "Inspections on its territory", "Its data", "Its notifications"],
        &rows,
    ));
    if !st.commitments.is_empty() {
        let _ = writeln!(o, "\nUnilateral commitments (political, not treaty obligations):");
        for c in &st.commitments {
            match c.continues {
                None => {
                    let _ = writeln!(o, "  {} {} [{}]", c.date, c.title, c.source);
                }
                Some(of) => {
                    let _ = writeln!(o, "    continued {} (of {of}): {} [{}]", c.date, c.title, c.source);
                }
            }
        }
    }
    if !st.open_proposals.is_empty() {
        let _ = writeln!(o, "\nOpen proposals:");
        for p in &st.open_proposals {
            let _ = writeln!(o, "  {} {} [{}]", p.date, p.title, p.source);
        }
    }
    let _ = writeln!(o, "\nRests on:");
    for r in &st.rests_on {
        let precision = match r.precision {
            accord_treaty::lifecycle::Precision::Day => String::new(),
            p => format!(
                " (date precision: {})",
                serde_json::to_value(p)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        };
        let _ = writeln!(o, "  {} {} [{}]{precision}", r.date, r.title, r.source);
    }
    o.push_str(&crate::output::unconfirmed_lines(&t.unconfirmed));
    o
}

/// Names of the status values, as in JSON.
mod erased {
    /// A value printed by its JSON name.
    pub trait Named {
        fn named(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn named(&self) -> String {
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default()
        }
    }
}

fn show_text(spec: &TreatySpec) -> String {
    let mut o = String::new();
    o.push_str(&format!("{} ({})\n{}\n\n", spec.short_name, spec.id, spec.name));
    let parties: Vec<String> = spec.parties.iter().map(|p| format!("{} {}", p.code, p.name)).collect();
    o.push_str(&format!("Parties: {}\n\n", parties.join("; ")));
    o.push_str(&format!(
        "Central limits (bind from {}, {}):\n",
        spec.limits_apply_on(),
        spec.limits_apply_article
    ));
    let rows: Vec<Vec<String>> = spec
        .limits
        .iter()
        .map(|l| {
            let counts: Vec<String> = l
                .count
                .iter()
                .map(|c| {
                    let cat = &spec.category_at(c.category).code;
                    let m = match c.measure {
                        accord_treaty::spec::Measure::Items => "1 each".to_string(),
                        accord_treaty::spec::Measure::DeclaredReentryVehicles => "declared RVs".to_string(),
                        accord_treaty::spec::Measure::Fixed { per_item } => format!("{per_item} each"),
                    };
                    let mark = if c.provenance.is_unconfirmed() { " [UNCONFIRMED]" } else { "" };
                    format!("{cat} {}: {m}{mark}", format!("{:?}", c.status).to_lowercase())
                })
                .collect();
            vec![l.name.clone(), l.value.to_string(), l.article.clone(), counts.join("; ")]
        })
        .collect();
    o.push_str(&table(&["limit", "value", "article", "counts"], &rows));
    o.push_str("\nItem categories:\n");
    let rows: Vec<Vec<String>> = spec
        .categories
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.name.clone(),
                format!("{:?}", c.role).to_lowercase(),
                if c.unique_identifier { "yes".into() } else { "no".into() },
                if c.provenance.is_unconfirmed() {
                    "UNCONFIRMED".into()
                } else {
                    "confirmed".into()
                },
            ]
        })
        .collect();
    o.push_str(&table(&["code", "name", "role", "unique identifier", "status"], &rows));
    let fts: Vec<&str> = spec.facility_types.iter().map(|f| f.code.as_str()).collect();
    o.push_str(&format!("\nFacility types: {}\n", fts.join(", ")));
    o.push_str(&format!(
        "\nData exchanges: initial data as of {}; then every {} months as of {} ({}); {} dates in all.\n",
        spec.lifecycle.entry_into_force(),
        spec.calendar.period_months,
        spec.period_boundaries().first().map(|d| d.to_string()).unwrap_or_default(),
        spec.calendar.section,
        spec.data_exchange_dates().len()
    ));
    let quotas: Vec<String> = spec
        .inspections
        .types
        .iter()
        .map(|t| match t.quota_per_year {
            Some(q) => format!("{q} {} per year", t.name),
            None => format!("{} (no quota)", t.name),
        })
        .collect();
    o.push_str(&format!(
        "Inspections: {}; one at a time; from {}.\n",
        quotas.join(", "),
        spec.inspections_begin()
    ));
    o.push_str("\nNotification catalogue:\n");
    let rows: Vec<Vec<String>> = spec
        .catalogue
        .kinds()
        .iter()
        .map(|k| {
            let d = match k.deadline {
                Deadline::DaysAfterEntryIntoForce { days } => format!("{days} days after entry into force"),
                Deadline::DaysAfterPeriodEnd { days } => format!("{days} days after the period"),
                Deadline::DaysAfterEvent { days } => format!("{days} days after the event"),
                Deadline::DaysBeforeEvent { days } => format!("{days} days before the event"),
                Deadline::HoursBeforeEvent { hours } => format!("{hours} hours before the event"),
                Deadline::Unconfirmed => "UNCONFIRMED".into(),
                Deadline::None => "none".into(),
            };
            let public: Vec<&str> = k
                .fields
                .iter()
                .filter(|f| f.visibility == accord_treaty::Visibility::Public)
                .map(|f| f.field.name())
                .collect();
            vec![
                k.kind.clone(),
                d,
                k.section.clone(),
                format!("{:?}", k.visibility).to_lowercase(),
                if public.is_empty() { "-".into() } else { public.join(",") },
            ]
        })
        .collect();
    o.push_str(&table(&["kind", "deadline", "reference", "kind is", "public fields"], &rows));
    o.push_str("\nKey dates:\n");
    let rows: Vec<Vec<String>> = key_dates(spec)
        .into_iter()
        .map(|k| {
            vec![
                k.date.to_string(),
                k.event,
                if k.unconfirmed { "UNCONFIRMED".into() } else { String::new() },
            ]
        })
        .collect();
    o.push_str(&table(&["date", "event", ""], &rows));
    o.push_str(&crate::output::unconfirmed_lines(&all_unconfirmed(spec)));
    o
}
