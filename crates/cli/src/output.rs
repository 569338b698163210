//! Rendering for people: aligned text tables, and the compliance table shared by `compliance`,
//! `replay` and `demo`.

use std::fmt::Write;

use accord_ledger::compliance::{Finding, Row};
use accord_treaty::provenance::Unconfirmed;

/// Renders rows as a left-aligned table with a header and a rule.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let s: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = width[i])).collect();
        let _ = writeln!(out, "{}", s.join("  ").trim_end());
    };
    line(header.to_vec(), &mut out);
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", rule.join("  "));
    for r in rows {
        line(r.iter().map(|s| s.as_str()).collect(), &mut out);
    }
    out
}

/// A limit cell: `value (margin)`, `-` when not published (or, in a row marked `unsourced`,
/// published but not sourced here), and a mark when over.
fn cell(l: &accord_ledger::compliance::LimitCheck, unsourced: bool) -> String {
    cell_of(
        l.value,
        l.margin,
        l.violation,
        if unsourced {
            "? (published, not sourced)"
        } else {
            "- (not published)"
        },
    )
}

/// A limit's cell: the value with its margin, "over by" when over (a violation only where
/// binding), or `none` when there is no value.
fn cell_of(value: Option<u64>, margin: Option<i64>, violation: bool, none: &str) -> String {
    match (value, margin) {
        (Some(v), Some(m)) if m < 0 && violation => format!("{v} VIOLATION (over by {})", -m),
        (Some(v), Some(m)) if m < 0 => format!("{v} (over by {}, not binding)", -m),
        (Some(v), Some(m)) => format!("{v} (margin {m})"),
        (Some(v), None) => v.to_string(),
        _ => none.to_owned(),
    }
}

/// [`compliance_table`] of rows as a node's API gives them (JSON), with the basis of each
/// row's figures: `declared` when the Party declared them as of that date, `declared as of D`
/// when they are carried from an earlier declaration (nothing newer was declared: after the
/// 2023 suspension, say), `- (not declared)` cells when there is none; and, when `public` knows
/// it, what the public record holds for that date and Party (`published`, `derived`,
/// `unsourced`, `withheld`, `modelled`: `accord_sim::record`), so that a figure of a simulated
/// record is never read as a published one.
pub fn compliance_table_json(
    rows: &[&serde_json::Value],
    limit_titles: &[String],
    public: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
    let mut header: Vec<&str> = vec!["as of", "party", "treaty"];
    header.extend(limit_titles.iter().map(|s| s.as_str()));
    header.extend(["binding", "basis"]);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            let mut v = vec![text("as_of"), text("party"), text("treaty_status").replace('_', " ")];
            let limits = r["limits"].as_array().map(Vec::as_slice).unwrap_or_default();
            v.extend(limits.iter().map(|l| {
                cell_of(
                    l["value"].as_u64(),
                    l["margin"].as_i64(),
                    l["violation"].as_bool().unwrap_or(false),
                    "- (not declared)",
                )
            }));
            v.push(if limits.iter().any(|l| l["binding"] == true) { "yes" } else { "no" }.into());
            let mut basis = match r["declared_as_of"].as_str() {
                Some(d) if d == r["as_of"].as_str().unwrap_or("") => "declared".to_owned(),
                Some(d) => format!("declared as of {d}"),
                None => String::new(),
            };
            if let Some(p) = public(r["as_of"].as_str().unwrap_or(""), r["party"].as_str().unwrap_or("")) {
                basis.push_str(&format!("; public record: {p}"));
            }
            v.push(basis);
            v
        })
        .collect();
    table(&header, &body)
}

/// An extra column: its header and how to fill it.
pub type Extra<'a> = (&'a str, &'a dyn Fn(&Row) -> String);

/// The compliance table; `extra` adds one column per row (e.g. the figures' basis).
pub fn compliance_table(rows: &[Row], limit_titles: &[String], extra: Option<Extra<'_>>) -> String {
    let mut header: Vec<&str> = vec!["as of", "party", "treaty"];
    header.extend(limit_titles.iter().map(|s| s.as_str()));
    header.push("binding");
    if let Some((h, _)) = extra {
        header.push(h);
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r.as_of.to_string(), r.party.clone(), r.treaty_status.replace('_', " ")];
            let unsourced = r.published == Some(accord_ledger::compliance::RowStatus::Unsourced);
            v.extend(r.limits.iter().map(|l| cell(l, unsourced)));
            v.push(if r.limits.iter().any(|l| l.binding) {
                "yes".into()
            } else {
                "no".into()
            });
            if let Some((_, f)) = extra {
                v.push(f(r));
            }
            v
        })
        .collect();
    table(&header, &body)
}

/// One line per finding.
pub fn finding_line(f: &Finding) -> String {
    match f {
        Finding::LateNotification {
            party,
            id,
            kind,
            line,
            due,
            received,
            ..
        } => {
            format!("late: {party} {id} ({kind}, line {line}) due {due}, received {received}")
        }
        Finding::MissingNotification {
            party,
            id,
            kind,
            line,
            due,
            held,
            ..
        } => {
            let how = if *held { "held, never sent" } else { "not received" };
            format!("missing: {party} {id} ({kind}, line {line}) due {due}: {how}")
        }
        Finding::MissingDataExchange {
            party,
            kind,
            as_of,
            due,
            id,
        } => match id {
            Some(id) => format!("missing data exchange: {party} {kind} as of {as_of}, due {due}: {id} held, never provided"),
            None => format!("missing data exchange: {party} {kind} as of {as_of}, due {due}: none"),
        },
        Finding::Discrepancy {
            party,
            id,
            line,
            as_of,
            name,
            declared,
            computed,
            ..
        } => {
            format!("discrepancy: {party} {id} (line {line}) as of {as_of}: {name} declared {declared}, item-level data give {computed}")
        }
        Finding::InspectionDiscrepancy {
            party,
            inspection,
            date,
            what,
            declared,
            observed,
            agenda_item,
        } => format!("inspection discrepancy: {party}, inspection {inspection} (report signed {date}): {what} declared {declared}, found {observed}; opens '{agenda_item}'"),
        Finding::InspectionRefused {
            party,
            inspection,
            date,
            reason,
        } => format!("inspection refused: {party} refused inspection {inspection} on {date}: {reason}"),
    }
}

/// Lists unconfirmed values.
pub fn unconfirmed_lines(u: &[Unconfirmed]) -> String {
    let mut out = String::new();
    if !u.is_empty() {
        let _ = writeln!(out, "\nRests on unconfirmed values:");
        for x in u {
            let _ = writeln!(out, "  {} = {}: {}", x.key, x.value, x.note);
        }
    }
    out
}

/// Prints a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), crate::failure::Failure> {
    let s = serde_json::to_string_pretty(v).map_err(crate::failure::io)?;
    println!("{s}");
    Ok(())
}

/// Is the output JSON?
pub fn json(f: crate::args::Format) -> bool {
    f == crate::args::Format::Json
}

/// "US 14657, RU 15142": notifications per Party of a simulation.
pub fn per_party(sim: &accord_sim::Simulation) -> Vec<String> {
    sim.spec
        .parties
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.code,
                sim.notifications.iter().filter(|n| n.party == p.code.as_str()).count()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's rows print as `accord compliance` prints its own: margins, "over by … not
    /// binding", the binding column, and the basis of figures carried from an older
    /// declaration.
    #[test]
    fn rows_from_a_node_print_as_compliance_does() {
        let row = |as_of: &str, declared: &str, value: u64, binding: bool| {
            serde_json::json!({
                "as_of": as_of, "party": "RU", "treaty_status": "in_force", "declared_as_of": declared,
                "limits": [
                    {"name": "warheads", "value": value, "limit": 1550, "binding": binding,
                     "margin": 1550 - value as i64, "violation": binding && value > 1550},
                    {"name": "launchers_total", "value": null, "limit": 800, "binding": binding, "margin": null, "violation": false}
                ]
            })
        };
        let rows = [
            row("2011-02-05", "2011-02-05", 1600, false),
            row("2024-03-01", "2022-09-01", 1474, true),
        ];
        let t = compliance_table_json(
            &rows.iter().collect::<Vec<_>>(),
            &["warheads (1550)".into(), "launchers_total (800)".into()],
            &|d, _| (d == "2024-03-01").then(|| "withheld".to_owned()),
        );
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].contains("treaty") && lines[0].contains("binding") && lines[0].contains("basis"),
            "{t}"
        );
        assert!(
            lines[2].contains("1600 (over by 50, not binding)") && lines[2].ends_with("declared"),
            "{t}"
        );
        assert!(
            lines[3].contains("1474 (margin 76)") && lines[3].contains("- (not declared)"),
            "{t}"
        );
        assert!(
            lines[3].contains("yes") && lines[3].ends_with("declared as of 2022-09-01; public record: withheld"),
            "{t}"
        );
    }
}
