//! `accord treaty show | validate | schema`.

use std::path::Path;

use accord_treaty::catalogue::Deadline;
use accord_treaty::date::add_days;
use accord_treaty::lifecycle::EventKind;
use accord_treaty::provenance::{note_unconfirmed, Unconfirmed};
use accord_treaty::{Date, TreatySpec};
use serde::Serialize;

use super::{json, load_spec, parse_spec_file, print_json};
use crate::args::{Format, TreatyCommand};
use crate::failure::{input, Outcome};
use crate::output::table;

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
        .map(|t| format!("{} {} per year", t.quota_per_year, t.name))
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
