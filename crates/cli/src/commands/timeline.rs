//! `accord timeline`: the treaty's real history (the spec's history file), with a node the
//! events of its record too, filtered by dates, kinds and Party.

use accord_treaty::history::HistoryEvent;
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use crate::args::{Format, TimelineArgs};
use crate::failure::{input, Outcome};
use crate::output::{json, print_json};

pub fn run(a: TimelineArgs, spec: &TreatySpec, format: Format) -> Outcome {
    let date = |flag: &str, v: &Option<String>| -> Result<Option<accord_treaty::Date>, crate::failure::Failure> {
        v.as_deref()
            .map(|s| accord_treaty::parse_date(s).map_err(|e| input(anyhow!("--{flag} {s:?}: {e}"))))
            .transpose()
    };
    let (from, to) = (date("from", &a.from)?, date("to", &a.to)?);
    // With a node, its record's events join the history's.
    let mut all: Vec<HistoryEvent> = spec.history.clone();
    if a.at.node.is_some() {
        let v = super::at_node::get(&a.at, "/api/v1/timeline")?;
        all = serde_json::from_value(v["events"].clone()).map_err(|e| crate::failure::io(anyhow!("the node's timeline: {e}")))?;
    } else if a.at.data.is_some() {
        all.extend(super::at_node::record(&a.at, spec)?.events());
        all.sort_by_key(|e| e.event.date);
    }
    let kinds: Vec<String> = all.iter().map(|e| e.event.kind.name().to_owned()).collect();
    for k in &a.kind {
        if !kinds.contains(k) {
            let mut known = kinds.clone();
            known.sort();
            known.dedup();
            return Err(input(anyhow!(
                "--kind {k:?}: the history has no such events; kinds: {}",
                known.join(", ")
            )));
        }
    }
    if let Some(p) = &a.party {
        if spec.party(p).is_none() {
            return Err(input(anyhow!("--party {p:?}: not a Party of {}", spec.short_name)));
        }
    }
    let events: Vec<&HistoryEvent> = all
        .iter()
        .filter(|e| from.is_none_or(|f| e.event.date >= f) && to.is_none_or(|t| e.event.date <= t))
        .filter(|e| a.kind.is_empty() || a.kind.iter().any(|k| k == e.event.kind.name()))
        .filter(|e| a.party.as_ref().is_none_or(|p| e.event.party.as_ref().is_none_or(|q| q == p)))
        .collect();
    if json(format) {
        let items: Vec<serde_json::Value> = events
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                if let Some(s) = spec.sources.get(&e.event.provenance.source) {
                    v["source_url"] = serde_json::json!(s.url);
                }
                v
            })
            .collect();
        print_json(&serde_json::json!({"treaty": spec.id, "events": items}))?;
    } else {
        if all.is_empty() {
            println!("{} has no history file (the spec names none).", spec.short_name);
        }
        for e in &events {
            let d = match e.event.precision {
                accord_treaty::lifecycle::Precision::Day => e.event.date.to_string(),
                accord_treaty::lifecycle::Precision::Month => format!("{}-{:02}   ", e.event.date.year(), u8::from(e.event.date.month())),
                accord_treaty::lifecycle::Precision::Approximate => format!("~{}", e.event.date),
            };
            let party = e.event.party.as_deref().unwrap_or("--");
            // The address, then the id that docs/sources.md resolves (with the copy read, if any).
            let id = e.event.provenance.source.as_str();
            let src = spec.sources.get(id).map_or(id.to_owned(), |s| format!("{} [{id}]", s.url));
            let unconfirmed = if e.event.provenance.status == accord_treaty::provenance::Status::Unconfirmed {
                " (UNCONFIRMED)"
            } else {
                ""
            };
            println!("{d:<11} {party:<2} {:<21} {}{unconfirmed}", e.event.kind.name(), e.title);
            if let Some(n) = &e.event.provenance.note {
                if e.event.precision != accord_treaty::lifecycle::Precision::Day {
                    println!("{:<36}date: {n}", "");
                }
            }
            println!("{:<36}{src}", "");
        }
        println!("{} events", events.len());
    }
    Ok(0)
}
