//! `accord demo --offline`: loads New START, generates and replays the synthetic history of
//! both Parties in this process, prints the treaty's key dates and the compliance table at every
//! data exchange, and exits 0. The live demo (three processes on loopback) is in
//! [`super::demo_live`].

use std::collections::BTreeMap;
use std::time::Instant;

use accord_ledger::compliance::{history_report, Finding, Row};
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_sim::{simulate, Basis, Config};
use accord_treaty::TreatySpec;

use crate::args::{DemoArgs, Format};
use crate::failure::{input, Outcome};
use crate::output::{compliance_table, finding_line, table, unconfirmed_lines};
use crate::output::{json, print_json};

/// The demo's synthetic history: New START's, from `seed`, with the default configuration
/// and its activity multiplied by `scale`.
pub fn synthetic(spec: &TreatySpec, seed: u64, scale: f64) -> Result<accord_sim::Simulation, crate::failure::Failure> {
    simulate(
        spec,
        &Config {
            seed,
            scale,
            ..Config::default()
        },
        &mut |_, _| {},
    )
    .map_err(input)
}

pub fn offline(a: DemoArgs, spec: &TreatySpec, format: Format) -> Outcome {
    let t0 = Instant::now();
    let sim = synthetic(spec, a.seed, a.scale)?;
    let t_sim = t0.elapsed();
    let t1 = Instant::now();
    let history = History::from_notifications(&sim.spec, sim.notifications.iter()).map_err(input)?;
    let out = replay(&sim.spec, &history, &sim.spec.data_exchange_dates()).map_err(input)?;
    let report = history_report(&sim.spec, &history, &out, sim.spec.lifecycle.end_exclusive());
    let t_replay = t1.elapsed();
    let basis_of = |r: &Row| -> String {
        let Some(t) = sim.targets.iter().find(|t| t.as_of == r.as_of && t.party == r.party) else {
            return String::new();
        };
        let mut kinds: Vec<&str> = t
            .basis
            .iter()
            .map(|b| match b {
                Basis::Published => "published",
                Basis::Derived => "derived",
                Basis::Modelled => "modelled",
            })
            .collect();
        kinds.dedup();
        kinds.sort();
        kinds.dedup();
        kinds.join("+")
    };
    let key_dates = super::treaty::key_dates(spec);
    if json(format) {
        let basis: Vec<serde_json::Value> = report
            .rows
            .iter()
            .map(|r| serde_json::json!({"as_of": r.as_of, "party": r.party, "basis": basis_of(r)}))
            .collect();
        print_json(&serde_json::json!({
            "treaty": spec.id, "seed": a.seed, "notifications": sim.notifications.len(),
            "key_dates": key_dates, "report": report, "basis": basis,
        }))?;
        return Ok(0);
    }
    println!("accord demo: {} ({}), synthetic history, seed {}", spec.short_name, spec.id, a.seed);
    println!("\nKey dates:");
    let rows: Vec<Vec<String>> = key_dates
        .iter()
        .map(|k| {
            vec![
                k.date.to_string(),
                k.event.clone(),
                if k.unconfirmed { "UNCONFIRMED".into() } else { String::new() },
            ]
        })
        .collect();
    print!("{}", table(&["date", "event", ""], &rows));
    let per = crate::output::per_party(&sim);
    println!(
        "\nGenerated {} notifications ({}) item by item in {} ms; replayed them and checked compliance in {} ms.",
        sim.notifications.len(),
        per.join(", "),
        t_sim.as_millis(),
        t_replay.as_millis()
    );
    println!("\nCompliance at every data exchange (value and margin to the limit; figures: published = the official row, derived = implied by a source's arithmetic, modelled = no public figure):\n");
    let titles: Vec<String> = spec.limits.iter().map(|l| format!("{} ({})", l.name, l.value)).collect();
    print!("{}", compliance_table(&report.rows, &titles, Some(("figures", &basis_of))));
    if report.violations.is_empty() {
        println!(
            "\nNo violations of a binding limit (the limits bind from {}).",
            spec.limits_apply_on()
        );
    } else {
        println!("\nViolations: {}", report.violations.len());
    }
    let findings = report.findings.clone().unwrap_or_default();
    let mut by: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for f in &findings {
        let (p, k) = match f {
            Finding::LateNotification { party, .. } => (party.clone(), "late notifications"),
            Finding::MissingNotification { party, .. } => (party.clone(), "notifications held, not provided"),
            Finding::MissingDataExchange { party, .. } => (party.clone(), "six-month data exchanges not provided"),
            Finding::Discrepancy { party, .. } => (party.clone(), "discrepancies"),
            Finding::InspectionDiscrepancy { party, .. } => (party.clone(), "inspection discrepancies"),
            Finding::InspectionRefused { party, .. } => (party.clone(), "inspections refused"),
        };
        *by.entry((p, k)).or_default() += 1;
    }
    println!(
        "\nFindings as of {} (the day the treaty expired): {}",
        sim.spec.lifecycle.end_exclusive(),
        findings.len()
    );
    for ((p, k), n) in &by {
        println!("  {p}: {n} {k}");
    }
    for f in findings.iter().filter(|f| matches!(f, Finding::MissingDataExchange { .. })).take(4) {
        println!("  e.g. {}", finding_line(f));
    }
    print!("{}", unconfirmed_lines(&report.unconfirmed));
    println!("\nNext: `accord simulate --out h.jsonl`, `accord replay h.jsonl --check-aggregates data/new-start-aggregates.csv`, `accord compliance --history h.jsonl`.");
    Ok(0)
}
