//! `accord compliance --aggregates CSV | --history FILE [--on DATE]`.

use accord_ledger::compliance::{history_report, Report};
use accord_ledger::published::{parse_published, published_report};
use accord_ledger::replay::replay;
use accord_treaty::TreatySpec;

use crate::args::parse_on;
use crate::args::{ComplianceArgs, Format};
use crate::clock::today;
use crate::failure::{input, io, Outcome, CHECK_FAILED};
use crate::output::{compliance_table, finding_line, unconfirmed_lines};
use crate::output::{json, print_json};

pub fn run(a: ComplianceArgs, spec: &TreatySpec, format: Format) -> Outcome {
    let report = if let Some(csv) = &a.aggregates {
        let text = crate::files::read_text(csv)?;
        let rows = parse_published(spec, &text).map_err(|e| input(e.in_source(&csv.display().to_string())))?;
        published_report(spec, &rows)
    } else if let Some(path) = &a.history {
        let spec = &accord_sim::benchmark_spec(spec, a.parties).map_err(input)?;
        let text = crate::files::read_text(path)?;
        let name = path.display().to_string();
        let history = super::replay::parse_history(spec, &text, &name)?;
        let (dates, at) = match &a.on {
            Some(d) => {
                let d = parse_on(d)?;
                (vec![d], d)
            }
            None => {
                let end = spec.lifecycle.end_exclusive();
                (spec.data_exchange_dates(), today().min(end))
            }
        };
        let out = replay(spec, &history, &dates).map_err(|e| input(e.in_source(&name)))?;
        let mut report = history_report(spec, &history, &out, at);
        // Inspections and negotiation in the history: discrepancies found, inspections refused.
        report.add_record_findings(&accord_ledger::record::Record::from_jsonl(spec, &text));
        report
    } else {
        return Err(io(anyhow::anyhow!("internal: no input")));
    };
    print_report(spec, &report, format)?;
    Ok(if report.failed() { CHECK_FAILED } else { 0 })
}

/// Prints a compliance report as JSON or a table.
pub fn print_report(spec: &TreatySpec, report: &Report, format: Format) -> Result<(), crate::failure::Failure> {
    if json(format) {
        return print_json(report);
    }
    let titles: Vec<String> = spec.limits.iter().map(|l| format!("{} ({})", l.name, l.value)).collect();
    print!("{}", compliance_table(&report.rows, &titles, None));
    if report.violations.is_empty() {
        println!("\nNo violations.");
    } else {
        println!("\nViolations: {}", report.violations.len());
        for v in &report.violations {
            println!("  {} {} {}: {} over the limit of {}", v.as_of, v.party, v.name, v.value, v.limit);
        }
    }
    if let Some(f) = &report.findings {
        match report.evaluated_at {
            Some(at) => println!("\nFindings as of {at}: {}", f.len()),
            None => println!("\nFindings: {}", f.len()),
        }
        for x in f.iter().take(50) {
            println!("  {}", finding_line(x));
        }
        if f.len() > 50 {
            println!("  ... and {} more (--format json lists all)", f.len() - 50);
        }
    }
    print!("{}", unconfirmed_lines(&report.unconfirmed));
    Ok(())
}
