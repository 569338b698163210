//! `accord proposal list | evaluate | file | counter | accept`: negotiated proposals
//! (accord_treaty::proposal), what they would require (accord_ledger::negotiation), and the
//! negotiation itself as notifications logged by a node (at_node.rs).

use std::path::Path;

use accord_ledger::negotiation::{declarations_of, evaluate, TermEvaluation};
use accord_treaty::proposal::{Proposal, Term, BUILTIN};
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use crate::args::{Format, ProposalCommand};
use crate::failure::{input, Failure, Outcome};
use crate::files::read_text;
use crate::output::{json, print_json};

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
        ProposalCommand::List { files, at, on } => {
            let mut all = builtin(spec)?;
            for f in &files {
                all.push(load(f, spec)?);
            }
            let on = match &on {
                Some(d) => super::at_node::date_arg("--on", d)?,
                None => super::at_node::treaty_today(&at)?,
            };
            let record = if at.node.is_some() {
                Some(super::at_node::get(&at, &format!("/api/v1/proposals?on={on}"))?)
            } else if at.data.is_some() {
                Some(accord_node::regime::proposals_json(&*super::at_node::record(&at, spec)?, on))
            } else {
                None
            };
            if json(format) {
                print_json(&serde_json::json!({"proposals": all, "record": record}))?;
            } else {
                println!("Proposals of the history (built in) and files:");
                for p in &all {
                    let answers = p.responds_to.as_ref().map(|r| format!(" (answers {r})")).unwrap_or_default();
                    println!("  {} {} {:<20} {}{answers}", p.date, p.by, p.id, p.title);
                }
                if let Some(r) = &record {
                    print_record(r);
                }
            }
            Ok(0)
        }
        ProposalCommand::File { file, at, date } => step(&at, spec, format, "file", Some(&file), None, date),
        ProposalCommand::Counter { file, at, date } => step(&at, spec, format, "counter", Some(&file), None, date),
        ProposalCommand::Accept { id, at, date } => step(&at, spec, format, "accept", None, Some(id), date),
        ProposalCommand::Evaluate {
            proposal,
            on,
            aggregates,
            history,
            at,
        } => {
            if at.node.is_some() || at.data.is_some() {
                if aggregates.is_some() || history.is_some() {
                    return Err(input(anyhow!(
                        "with a node the figures are its record's: drop --aggregates and --history"
                    )));
                }
                let on_q = match &on {
                    Some(s) => Some(accord_treaty::parse_date(s).map_err(|e| input(anyhow!("--on {s:?}: {e}")))?),
                    None => None,
                };
                let v = if at.node.is_some() {
                    let q = on_q.map(|d| format!("?on={d}")).unwrap_or_default();
                    super::at_node::get(&at, &format!("/api/v1/proposals/{proposal}/evaluation{q}"))?
                } else {
                    super::at_node::evaluation(&at, spec, &proposal, on_q)?
                };
                let p: Proposal =
                    serde_json::from_value(v["proposal"].clone()).map_err(|e| crate::failure::io(anyhow!("proposal: {e}")))?;
                let ev: accord_ledger::negotiation::Evaluation =
                    serde_json::from_value(v["evaluation"].clone()).map_err(|e| crate::failure::io(anyhow!("evaluation: {e}")))?;
                return print_evaluation(&p, &ev, format);
            }
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
            // Committed declarations' limit proofs, verified (the batch check randomised).
            let mut rng = crate::clock::rng();
            accord_ledger::negotiation::verify_proofs(&mut declarations, &mut rng);
            let ev = evaluate(spec, &p, on, &published, &declarations);
            print_evaluation(&p, &ev, format)
        }
    }
}

fn print_evaluation(p: &Proposal, ev: &accord_ledger::negotiation::Evaluation, format: Format) -> Outcome {
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
                        let v = match (&d.commitment, d.value) {
                            (Some(c), _) => format!("committed (root {}, {} leaves)", c.root, c.size),
                            (None, Some(v)) => v.to_string(),
                            (None, None) => "not declared".to_owned(),
                        };
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

fn print_record(r: &serde_json::Value) {
    println!("In the record on {}:", r["on"].as_str().unwrap_or_default());
    let open: Vec<&str> = r["open"].as_array().into_iter().flatten().filter_map(|x| x.as_str()).collect();
    for p in r["proposals"].as_array().into_iter().flatten() {
        let q = &p["proposal"];
        let answers = q["responds_to"].as_str().map(|x| format!(" (answers {x})")).unwrap_or_default();
        let id = q["id"].as_str().unwrap_or_default();
        println!(
            "  {} {} {:<20} {}{answers}: {}{}",
            q["date"].as_str().unwrap_or_default(),
            q["by"].as_str().unwrap_or_default(),
            id,
            q["title"].as_str().unwrap_or_default(),
            p["status"].as_str().unwrap_or_default(),
            if open.contains(&id) { " (open)" } else { "" }
        );
    }
    for a in r["agreements"].as_array().into_iter().flatten() {
        println!(
            "  agreement {}: {} (by {}, accepted by {}): {}",
            a["date"].as_str().unwrap_or_default(),
            a["proposal"].as_str().unwrap_or_default(),
            a["proposed_by"].as_str().unwrap_or_default(),
            a["accepted_by"].as_str().unwrap_or_default(),
            super::at_node::effects(a)
        );
    }
    println!(
        "  last day in force under the record: {}",
        r["last_day_in_force"].as_str().unwrap_or_default()
    );
    for p in r["problems"].as_array().into_iter().flatten() {
        println!(
            "  refused step: {} {}: {}: {}",
            p["party"].as_str().unwrap_or_default(),
            p["id"].as_str().unwrap_or_default(),
            p["field"].as_str().unwrap_or_default(),
            p["message"].as_str().unwrap_or_default()
        );
    }
}

/// Files, counters or accepts a proposal on a node.
fn step(
    at: &crate::args::NodeAt,
    spec: &TreatySpec,
    format: Format,
    kind: &str,
    file: Option<&Path>,
    id: Option<String>,
    date: Option<String>,
) -> Outcome {
    let mut req = serde_json::json!({ "step": kind });
    if let Some(f) = file {
        let text = read_text(f)?;
        // Checked here first, so the error names the file.
        Proposal::parse(&text, spec).map_err(|e| input(anyhow!("{}: {e}", f.display())))?;
        req["toml"] = text.into();
    }
    if let Some(id) = id {
        req["id"] = id.into();
    }
    if let Some(d) = date {
        super::at_node::date_arg("--date", &d)?;
        req["date"] = d.into();
    }
    let v = super::at_node::step(at, spec, super::at_node::Area::Proposals, req)?;
    if json(format) {
        print_json(&v)?;
        return Ok(0);
    }
    super::at_node::print_logged(&v);
    for a in v["agreements"].as_array().into_iter().flatten() {
        println!(
            "agreement {}: {}: {}; last day in force {}",
            a["date"].as_str().unwrap_or_default(),
            a["proposal"].as_str().unwrap_or_default(),
            super::at_node::effects(a),
            a["last_day_in_force"].as_str().unwrap_or_default()
        );
    }
    Ok(0)
}
