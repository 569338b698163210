//! `accord notification validate FILE...`: shape and catalogue checks, no state, no change.

use accord_ledger::history::History;
use accord_ledger::notification::parse_notification;
use accord_ledger::LedgerError;
use accord_treaty::TreatySpec;

use crate::args::{Format, NotificationCommand};
use crate::failure::{input, Outcome};
use crate::output::{json, print_json};

pub fn run(c: NotificationCommand, spec: &TreatySpec, format: Format) -> Outcome {
    let NotificationCommand::Validate { files } = c;
    let mut results = Vec::new();
    for f in files {
        let text = crate::files::read_text(&f)?;
        let name = f.display().to_string();
        // One notification written over several lines, or JSON Lines.
        let count = match parse_notification(text.trim()) {
            Ok(n) => {
                History::from_notifications(spec, [&n]).map_err(|e| input(strip_line(e).in_source(&name)))?;
                1
            }
            Err(_) => History::parse(spec, &text).map_err(|e| input(e.in_source(&name)))?.events.len(),
        };
        if count == 0 {
            return Err(input(anyhow::anyhow!("{name}: no notification")));
        }
        results.push(serde_json::json!({"file": name, "notifications": count, "valid": true}));
    }
    if json(format) {
        print_json(&serde_json::json!({ "files": results }))?;
    } else {
        for r in &results {
            println!(
                "{}: valid ({} notification(s))",
                r["file"].as_str().unwrap_or(""),
                r["notifications"]
            );
        }
    }
    Ok(0)
}

/// A single notification file has no meaningful line number.
fn strip_line(e: LedgerError) -> LedgerError {
    match e {
        LedgerError::Invalid { mut at, problem } => {
            at.line = 0;
            LedgerError::Invalid { at, problem }
        }
        other => other,
    }
}
