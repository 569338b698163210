//! `accord replay FILE [--on DATE] [--party P] [--items] [--check-aggregates CSV]`.

use accord_ledger::compliance::check_limits;
use accord_ledger::history::History;
use accord_ledger::published::parse_published;
use accord_ledger::replay::{replay, replay_until};
use accord_ledger::state::Slot;
use accord_treaty::provenance::Unconfirmed;
use accord_treaty::spec::Role;
use accord_treaty::{Date, TreatySpec};
use serde::Serialize;

use crate::args::parse_on;
use crate::args::{Format, ReplayArgs};
use crate::failure::{input, Failure, Outcome, CHECK_FAILED};
use crate::output::{compliance_table, table, unconfirmed_lines};
use crate::output::{json, print_json};
use crate::progress::Progress;

/// Parses a history with a progress bar for large files; errors name the file and line.
///
/// The edge parses JSON on a second thread while this one compiles and checks, in order; the
/// result and the errors are the same as `History::parse`'s.
pub fn parse_history(spec: &TreatySpec, text: &str, name: &str) -> Result<History, Failure> {
    use accord_ledger::history::HistoryBuilder;
    use accord_ledger::notification::{parse_notification, Notification, ParseProblem};
    type Chunk<'a> = Vec<(u32, Result<Notification<'a>, ParseProblem>)>;
    const CHUNK: usize = 2048;
    let mut bar = Progress::new(text.len() as u64, "reading");
    let result = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Chunk<'_>)>(8);
        s.spawn(move || {
            let mut chunk: Chunk<'_> = Vec::with_capacity(CHUNK);
            let mut done = 0;
            for (i, line) in text.lines().enumerate() {
                done += line.len() + 1;
                if line.trim().is_empty() {
                    continue;
                }
                let parsed = parse_notification(line);
                let stop = parsed.is_err();
                chunk.push(((i + 1) as u32, parsed));
                if chunk.len() == CHUNK || stop {
                    let batch = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    let sent = tx.send((done, batch)).is_ok();
                    if !sent || stop {
                        return;
                    }
                }
            }
            let _ = tx.send((done, chunk));
        });
        let mut b = History::builder(spec, text.bytes().filter(|&c| c == b'\n').count() + 1);
        for (done, chunk) in rx {
            bar.set(done as u64);
            for (line, parsed) in chunk {
                match parsed {
                    Ok(n) => b.push(spec, &n, line)?,
                    Err(p) => return Err(HistoryBuilder::parse_error(line, p)),
                }
            }
        }
        Ok(b.finish())
    });
    bar.finish();
    result.map_err(|e| input(e.in_source(name)))
}

#[derive(Serialize)]
struct Mismatch {
    as_of: Date,
    party: String,
    name: String,
    published: u64,
    replayed: Option<u64>,
    line: u64,
}

#[derive(Serialize)]
struct CategoryCount {
    category: String,
    deployed: u64,
    non_deployed: u64,
}

#[derive(Serialize)]
struct ItemOut {
    id: String,
    category: String,
    #[serde(rename = "type")]
    item_type: String,
    facility: String,
    deployed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    launcher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contains: Option<String>,
    /// Reentry vehicles declared on this missile in the last data declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    reentry_vehicles: Option<u32>,
    since: Date,
}

#[derive(Serialize)]
struct FacilityOut {
    id: String,
    #[serde(rename = "type")]
    facility_type: String,
    items: usize,
    /// Warheads at this facility as of the last data declaration (from the declared loadings).
    #[serde(skip_serializing_if = "Option::is_none")]
    warheads: Option<u64>,
}

#[derive(Serialize)]
struct PartyOut {
    party: String,
    limits: Vec<accord_ledger::compliance::LimitCheck>,
    declared_as_of: Option<Date>,
    categories: Vec<CategoryCount>,
    facilities: Vec<FacilityOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ItemOut>>,
    removed_items: usize,
}

pub fn run(a: ReplayArgs, spec: &TreatySpec, format: Format) -> Outcome {
    let spec = &accord_sim::benchmark_spec(spec, a.parties).map_err(input)?;
    let name = a.file.display().to_string();
    let text = crate::files::read_text(&a.file)?;
    let history = parse_history(spec, &text, &name)?;
    drop(text);
    let party = match &a.party {
        Some(p) => Some(
            spec.party(p)
                .ok_or_else(|| input(anyhow::anyhow!("--party: '{p}' is not a Party of {}", spec.short_name)))?
                .0 as usize,
        ),
        None => None,
    };
    let mut unconfirmed: Vec<Unconfirmed> = Vec::new();
    for l in &spec.limits {
        spec.unconfirmed_counting(l, &mut unconfirmed);
    }
    if let Some(on) = &a.on {
        let on = parse_on(on)?;
        // Replay only what happened by `on`: later events are not applied.
        let out = replay_until(spec, &history, &[on], Some(on)).map_err(|e| input(e.in_source(&name)))?;
        let applied = history.events.iter().filter(|e| e.date <= on).count();
        let mut parties = Vec::new();
        for (p, st) in out.states.iter().enumerate() {
            if party.is_some_and(|x| x != p) {
                continue;
            }
            let snap = out
                .snapshots
                .iter()
                .find(|s| s.party == p)
                .map(|s| s.values.clone())
                .unwrap_or_default();
            let (row, _) = check_limits(spec, on, &spec.parties[p].code, &snap, &mut unconfirmed);
            let names = &history.names;
            let categories = spec
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let [d, n] = st.counts()[i];
                    CategoryCount {
                        category: c.code.clone(),
                        deployed: d,
                        non_deployed: n,
                    }
                })
                .collect();
            let mut per_fac: std::collections::BTreeMap<u32, usize> = Default::default();
            for (_, it) in st.items() {
                *per_fac.entry(it.facility).or_default() += 1;
            }
            let declared = st.declared();
            let facilities = st
                .facilities()
                .map(|(k, t)| FacilityOut {
                    id: names.facilities[p].name(k).to_owned(),
                    facility_type: spec.facility_types[t as usize].code.clone(),
                    items: per_fac.get(&k).copied().unwrap_or(0),
                    warheads: declared.map(|d| d.by_facility.iter().find(|(f, _)| *f == k).map_or(0, |(_, n)| *n)),
                })
                .collect();
            let loading: std::collections::HashMap<u32, u32> = declared.map(|d| d.loadings.iter().copied().collect()).unwrap_or_default();
            let items = a.items.then(|| {
                st.items()
                    .map(|(k, it)| {
                        let role = spec.category_at(it.category).role;
                        ItemOut {
                            id: names.items[p].name(k).to_owned(),
                            category: spec.category_at(it.category).code.clone(),
                            item_type: names.types.name(it.item_type).to_owned(),
                            facility: names.facilities[p].name(it.facility).to_owned(),
                            deployed: st.is_deployed(spec, it),
                            launcher: (role == Role::Missile)
                                .then(|| it.holds.map(|l| names.items[p].name(l).to_owned()))
                                .flatten(),
                            contains: (role == Role::Launcher)
                                .then(|| it.holds.map(|m| names.items[p].name(m).to_owned()))
                                .flatten(),
                            reentry_vehicles: if role == Role::Missile && it.holds.is_some() {
                                loading.get(&k).copied()
                            } else {
                                None
                            },
                            since: it.since,
                        }
                    })
                    .collect()
            });
            let removed = (0..names.items[p].len() as u32)
                .filter(|&k| matches!(st.slot(k), Slot::Removed(_)))
                .count();
            parties.push(PartyOut {
                party: spec.parties[p].code.clone(),
                limits: row.limits,
                declared_as_of: st.declared().map(|d| d.as_of),
                categories,
                facilities,
                items,
                removed_items: removed,
            });
        }
        let status = spec.lifecycle.status_on(on);
        for u in status.unconfirmed.clone() {
            accord_treaty::provenance::note_unconfirmed(&mut unconfirmed, u);
        }
        if json(format) {
            print_json(&serde_json::json!({
                "treaty": spec.id, "on": on, "treaty_status": status.phase.name(),
                "notifications": applied, "parties": parties, "unconfirmed": unconfirmed,
            }))?;
        } else {
            println!(
                "{} on {on} ({}), {} notifications applied",
                spec.short_name,
                status.phase.name().replace('_', " "),
                applied
            );
            for p in &parties {
                println!("\n{}:", p.party);
                let rows: Vec<Vec<String>> = p
                    .limits
                    .iter()
                    .map(|l| {
                        vec![
                            l.name.clone(),
                            l.value.map_or("-".into(), |v| v.to_string()),
                            l.limit.to_string(),
                            l.margin.map_or("-".into(), |m| m.to_string()),
                        ]
                    })
                    .collect();
                print!("{}", table(&["limit", "value", "ceiling", "margin"], &rows));
                if let Some(d) = p.declared_as_of {
                    println!("(warheads as declared as of {d})");
                }
                let rows: Vec<Vec<String>> = p
                    .categories
                    .iter()
                    .map(|c| vec![c.category.clone(), c.deployed.to_string(), c.non_deployed.to_string()])
                    .collect();
                print!("{}", table(&["category", "deployed", "non-deployed"], &rows));
                if let Some(items) = &p.items {
                    let rows: Vec<Vec<String>> = items
                        .iter()
                        .map(|i| {
                            vec![
                                i.id.clone(),
                                i.category.clone(),
                                i.item_type.clone(),
                                i.facility.clone(),
                                if i.deployed { "deployed".into() } else { "non-deployed".into() },
                                i.launcher.clone().or(i.contains.clone()).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(&["id", "category", "type", "facility", "status", "launcher / contains"], &rows)
                    );
                }
            }
            print!("{}", unconfirmed_lines(&unconfirmed));
        }
        return Ok(0);
    }
    let dates = spec.data_exchange_dates();
    let out = replay(spec, &history, &dates).map_err(|e| input(e.in_source(&name)))?;
    let mut rows = Vec::new();
    for s in &out.snapshots {
        if party.is_some_and(|x| x != s.party) {
            continue;
        }
        let (mut row, _) = check_limits(spec, s.date, &spec.parties[s.party].code, &s.values, &mut unconfirmed);
        row.declared_as_of = s.declared_as_of;
        rows.push(row);
    }
    let mut checked = None;
    let mut failed = false;
    if let Some(csv) = &a.check_aggregates {
        let text = crate::files::read_text(csv)?;
        let published = parse_published(spec, &text).map_err(|e| input(e.in_source(&csv.display().to_string())))?;
        let mut mismatches = Vec::new();
        let mut cells = 0;
        for r in &published {
            let p = spec.party(&r.party).map(|p| p.0 as usize);
            let snap = out.snapshots.iter().find(|s| Some(s.party) == p && s.date == r.as_of);
            for (l, v) in r.values.iter().enumerate() {
                let Some(v) = v else { continue };
                cells += 1;
                let got = snap.and_then(|s| s.values[l]);
                if got != Some(*v) {
                    mismatches.push(Mismatch {
                        as_of: r.as_of,
                        party: r.party.clone(),
                        name: spec.limits[l].name.clone(),
                        published: *v,
                        replayed: got,
                        line: r.line,
                    });
                }
            }
        }
        failed = !mismatches.is_empty();
        let unsourced = published
            .iter()
            .filter(|r| r.status == accord_ledger::published::RowStatus::Unsourced)
            .count();
        checked = Some((published.len() - unsourced, cells, mismatches, unsourced));
    }
    if json(format) {
        let check = checked
            .as_ref()
            .map(|(r, c, m, u)| serde_json::json!({"rows": r, "cells": c, "mismatches": m, "unsourced_rows": u}));
        print_json(&serde_json::json!({
            "treaty": spec.id, "notifications": history.events.len(), "rows": rows,
            "check": check, "unconfirmed": unconfirmed,
        }))?;
    } else {
        let titles: Vec<String> = spec.limits.iter().map(|l| format!("{} ({})", l.name, l.value)).collect();
        println!("Replayed {} notifications.\n", history.events.len());
        print!("{}", compliance_table(&rows, &titles, None));
        if let Some((r, c, m, u)) = &checked {
            println!("\nChecked {c} published figures in {r} rows: {} differ.", m.len());
            if *u > 0 {
                println!("  ({u} rows published without a source found for their figures: nothing to check)");
            }
            for x in m {
                println!(
                    "  line {}: {} {} {}: published {}, replayed {}",
                    x.line,
                    x.as_of,
                    x.party,
                    x.name,
                    x.published,
                    x.replayed.map_or("-".into(), |v| v.to_string())
                );
            }
        }
        print!("{}", unconfirmed_lines(&unconfirmed));
    }
    Ok(if failed { CHECK_FAILED } else { 0 })
}
