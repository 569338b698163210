//! `accord inspection notify | designate | commit | reveal | findings | report | sign | refuse
//! | exempt | end-exemption | list | show`: the inspection workflow on a node (at_node.rs).

use accord_ledger::record::InspectionFile;
use accord_ledger::report::{Lang, Report};
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use super::at_node::{self, date_arg, Area};
use crate::args::{Format, InspectionCommand, NodeAt, StepAt};
use crate::failure::{input, io, Failure, Outcome};
use crate::output::{json, print_json};

fn request(step: &str, s: &StepAt) -> Result<serde_json::Value, Failure> {
    let mut req = serde_json::json!({"step": step, "id": s.id});
    if let Some(d) = &s.date {
        date_arg("--date", d)?;
        req["date"] = d.clone().into();
    }
    Ok(req)
}

fn describe(f: &InspectionFile) -> String {
    let mut line = format!(
        "inspection {} ({} by {} on {}'s territory, treaty year {}): {}",
        f.id, f.kind, f.inspecting, f.inspected, f.treaty_year, f.status
    );
    if let Some(site) = &f.site {
        line.push_str(&format!("; site {site}"));
    }
    if let Some(m) = &f.missile {
        line.push_str(&format!("; missile {m}"));
    }
    if let Some(h) = &f.report_sha256 {
        line.push_str(&format!("; report sha256 {h}"));
    }
    if let Some(e) = f.ended {
        line.push_str(&format!("; ended {e}"));
    }
    line
}

fn file_of(v: &serde_json::Value) -> Option<InspectionFile> {
    serde_json::from_value(v.get("inspection")?.clone()).ok()
}

fn render(spec: &TreatySpec, r: &Report, lang: &str) -> Result<String, Failure> {
    Ok(match lang {
        "en" => r.render(spec, Lang::En),
        "ru" => r.render(spec, Lang::Ru),
        "both" => format!("{}\n{}", r.render(spec, Lang::En), r.render(spec, Lang::Ru)),
        other => return Err(input(anyhow!("--lang {other:?}: en, ru or both"))),
    })
}

pub fn run(c: InspectionCommand, spec: &TreatySpec, format: Format) -> Outcome {
    let (req, at) = match &c {
        InspectionCommand::Notify { step, kind } => {
            let mut r = request("notify", step)?;
            r["type"] = kind.clone().into();
            (r, &step.at)
        }
        InspectionCommand::Designate { step, site, missile } => {
            let mut r = request("designate", step)?;
            r["site"] = site.clone().into();
            if let Some(m) = missile {
                r["missile"] = m.clone().into();
            }
            (r, &step.at)
        }
        InspectionCommand::Commit { step } => (request("commit", step)?, &step.at),
        InspectionCommand::Reveal { step } => (request("reveal", step)?, &step.at),
        InspectionCommand::Findings { step, found } => {
            let mut r = request("findings", step)?;
            let text = crate::files::read_text(found)?;
            r["found"] = serde_json::from_str(&text).map_err(|e| input(anyhow!("{}: {e}", found.display())))?;
            (r, &step.at)
        }
        InspectionCommand::Report { step } => (request("report", step)?, &step.at),
        InspectionCommand::Sign { step } => (request("sign", step)?, &step.at),
        InspectionCommand::Refuse { step, reason } => {
            let mut r = request("refuse", step)?;
            r["reason"] = reason.clone().into();
            (r, &step.at)
        }
        InspectionCommand::Exempt { step, site, until, reason } => {
            let mut r = request("exempt", step)?;
            r["reason"] = reason.clone().into();
            if let Some(s) = site {
                r["site"] = s.clone().into();
            }
            if let Some(u) = until {
                date_arg("--until", u)?;
                r["until"] = u.clone().into();
            }
            (r, &step.at)
        }
        InspectionCommand::EndExemption { step } => (request("end_exemption", step)?, &step.at),
        InspectionCommand::List { at, on } => return list(at, on.as_deref(), spec, format),
        InspectionCommand::Show { at, id, lang } => return show(at, id, lang, spec, format),
    };
    let report_step = matches!(c, InspectionCommand::Report { .. } | InspectionCommand::Sign { .. });
    let v = at_node::step(at, spec, Area::Inspections, req)?;
    if json(format) {
        print_json(&v)?;
        return Ok(0);
    }
    at_node::print_logged(&v);
    if let Some(f) = file_of(&v) {
        println!("{}", describe(&f));
        if report_step {
            if let Some(r) = &f.report {
                print!("\n{}", render(spec, r, "both")?);
                for d in r.discrepancies() {
                    println!(
                        "discrepancy: {} declared {}, found {}: opens '{}'",
                        d.what, d.declared, d.observed, d.agenda_item
                    );
                }
            }
        }
    }
    if let Ok(x) = serde_json::from_value::<accord_ledger::record::Exemption>(v["exemption"].clone()) {
        println!("{}", at_node::exemption_line(&x));
    }
    Ok(0)
}

fn listing(at: &NodeAt, on: Option<&str>, spec: &TreatySpec) -> Result<serde_json::Value, Failure> {
    let on = match on {
        Some(d) => date_arg("--on", d)?,
        None => at_node::treaty_today(at)?,
    };
    if at.node.is_some() {
        at_node::get(at, &format!("/api/v1/inspections?on={on}"))
    } else if at.data.is_some() {
        let r = at_node::record(at, spec)?;
        Ok(accord_node::regime::inspections_json(&r, on))
    } else {
        Err(input(anyhow!(
            "give the node: --data DIR --config FILE or --node URL --token TOKEN"
        )))
    }
}

fn list(at: &NodeAt, on: Option<&str>, spec: &TreatySpec, format: Format) -> Outcome {
    let v = listing(at, on, spec)?;
    if json(format) {
        print_json(&v)?;
        return Ok(0);
    }
    let files: Vec<InspectionFile> = serde_json::from_value(v["inspections"].clone()).map_err(|e| io(anyhow!("inspections: {e}")))?;
    println!(
        "Inspections on record on {} (treaty year {}):",
        v["on"].as_str().unwrap_or_default(),
        v["treaty_year"]
    );
    if files.is_empty() {
        println!("  none");
    }
    for f in &files {
        println!("  {}", describe(f));
    }
    println!("Quotas used this treaty year:");
    for q in v["quotas"].as_array().into_iter().flatten() {
        println!(
            "  {} {}: {} of {}",
            q["party"].as_str().unwrap_or_default(),
            q["type"].as_str().unwrap_or_default(),
            q["used"],
            q["quota"]
        );
    }
    let exemptions: Vec<accord_ledger::record::Exemption> = serde_json::from_value(v["exemptions"].clone()).unwrap_or_default();
    for x in &exemptions {
        println!("{}", at_node::exemption_line(x));
    }
    let findings: Vec<accord_ledger::compliance::Finding> = serde_json::from_value(v["findings"].clone()).unwrap_or_default();
    for f in &findings {
        println!("Finding: {}", crate::output::finding_line(f));
    }
    for p in v["problems"].as_array().into_iter().flatten() {
        println!(
            "Refused step: {} {} ({}): {}: {}",
            p["party"].as_str().unwrap_or_default(),
            p["id"].as_str().unwrap_or_default(),
            p["kind"].as_str().unwrap_or_default(),
            p["field"].as_str().unwrap_or_default(),
            p["message"].as_str().unwrap_or_default()
        );
    }
    Ok(0)
}

fn show(at: &NodeAt, id: &str, lang: &str, spec: &TreatySpec, format: Format) -> Outcome {
    let v = listing(at, None, spec)?;
    let files: Vec<InspectionFile> = serde_json::from_value(v["inspections"].clone()).map_err(|e| io(anyhow!("inspections: {e}")))?;
    let f = files
        .iter()
        .find(|f| f.id == id)
        .ok_or_else(|| input(anyhow!("--id {id}: no such inspection on record")))?;
    let r = f
        .report
        .as_ref()
        .ok_or_else(|| input(anyhow!("--id {id}: no report yet ({})", f.status)))?;
    if json(format) {
        print_json(
            &serde_json::json!({"report": r, "report_sha256": f.report_sha256, "final": r.is_final(),
            "en": r.render(spec, Lang::En), "ru": r.render(spec, Lang::Ru), "discrepancies": r.discrepancies()}),
        )?;
    } else {
        print!("{}", render(spec, r, lang)?);
    }
    Ok(0)
}
