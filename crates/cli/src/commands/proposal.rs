//! `accord proposal list | evaluate`: negotiated proposals (accord_treaty::proposal) and what
//! they would require (accord_ledger::negotiation).

use std::path::Path;

use accord_ledger::negotiation::{declarations_of, evaluate, TermEvaluation};
use accord_treaty::proposal::{Proposal, Term, BUILTIN};
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use super::{json, print_json};
use crate::args::{Format, ProposalCommand};
use crate::failure::{input, Failure, Outcome};
use crate::files::read_text;

fn load(path: &Path, spec: &TreatySpec) -> Result<Proposal, Failure> {
    let text = read_text(path)?;
    Proposal::parse(&text, spec).map_err(|e| input(anyhow!("{}: {e}", path.display())))
}

fn builtin(spec: &TreatySpec) -> Result<Vec<Proposal>, Failure> {
    BUILTIN
        .iter()
        .map(|(name, text)| Proposal::parse(text, spec).map_err(|e| input(anyhow!("{name}: {e}"))))
        .collect()
}

pub fn run(c: ProposalCommand, spec: &TreatySpec, format: Format) -> Outcome {
    match c {
        ProposalCommand::List { files } => {
            let mut all = builtin(spec)?;
            for f in &files {
                all.push(load(f, spec)?);
            }
            if json(format) {
                print_json(&serde_json::json!({"proposals": all}))?;
            } else {
                for p in &all {
                    let answers = p.responds_to.as_ref().map(|r| format!(" (answers {r})")).unwrap_or_default();
                    println!("{} {} {:<20} {}{answers}", p.date, p.by, p.id, p.title);
                }
            }
            Ok(0)
        }
        ProposalCommand::Evaluate {
            proposal,
            on,
            aggregates,
            history,
        } => {
            let p = if Path::new(&proposal).exists() {
                load(Path::new(&proposal), spec)?
            } else {
                builtin(spec)?.into_iter().find(|p| p.id == proposal).ok_or_else(|| {
                    let ids: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                    input(anyhow!(
                        "{proposal:?}: no such file, and not a built-in proposal ({})",
                        ids.join(", ")
                    ))
                })?
            };
            let on = match on {
                Some(s) => accord_treaty::parse_date(&s).map_err(|e| input(anyhow!("--on {s:?}: {e}")))?,
                None => p.date,
            };
            let csv = match &aggregates {
                Some(path) => read_text(path)?,
                None => accord_sim::targets::AGGREGATES_CSV.to_owned(),
            };
            let published = accord_ledger::published::parse_published(spec, &csv).map_err(|e| {
                input(anyhow!(
                    "{}: {e}",
                    aggregates
                        .as_deref()
                        .map_or("built-in aggregates".into(), |a| a.display().to_string())
                ))
            })?;
            let mut declarations = Vec::new();
            if let Some(h) = &history {
                let text = read_text(h)?;
                for t in &p.terms {
                    if let Term::FreezeWarheads { declaration, .. } = t {
                        declarations.extend(declarations_of(&text, declaration));
                    }
                }
            }
            let ev = evaluate(spec, &p, on, &published, &declarations);
            if json(format) {
                print_json(&ev)?;
            } else {
                println!(
                    "{} ({} by {}, {}): {}",
                    p.id,
                    p.kind.name().replace('_', " "),
                    p.by,
                    p.date,
                    p.title
                );
                println!(
                    "Evaluated on {}; if accepted, in force until {} (last day).",
                    ev.on, ev.last_day_in_force
                );
                for t in &ev.terms {
                    match t {
                        TermEvaluation::Extend {
                            years,
                            last_day_now,
                            last_day_proposed,
                        } => println!("\n- Extend by {years} year(s): last day {last_day_now} → {last_day_proposed}"),
                        TermEvaluation::FreezeWarheads {
                            baseline,
                            declaration,
                            parties,
                            political,
                        } => {
                            println!(
                                "\n- Freeze all nuclear warheads at {baseline}{} (declared by {declaration}):",
                                if *political { ", political" } else { "" }
                            );
                            for d in parties {
                                let v = d.value.map_or("not declared".to_owned(), |v| v.to_string());
                                println!("    {}: {v}: {}", d.party, d.requires);
                            }
                        }
                        TermEvaluation::ChangeLimit {
                            limit,
                            current,
                            value,
                            parties,
                        } => {
                            println!("\n- {limit}: {current} → {value}:");
                            for d in parties {
                                let v = d.value.map_or("not declared".to_owned(), |v| v.to_string());
                                println!(
                                    "    {}: {v}{}: {}",
                                    d.party,
                                    d.as_of.map(|a| format!(" (as of {a})")).unwrap_or_default(),
                                    d.requires
                                );
                            }
                        }
                    }
                }
                for c in &p.conditions {
                    println!("  condition: {c}");
                }
                println!("\nLapses the day after {}:", ev.last_day_in_force);
                for o in &ev.lapses_at_expiry {
                    println!("  - {o}");
                }
                print!("{}", crate::output::unconfirmed_lines(&ev.unconfirmed));
            }
            Ok(0)
        }
    }
}
