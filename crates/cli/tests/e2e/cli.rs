//! End-to-end tests of the real `accord` binary: the README commands' promises, the published
//! record, simulate then replay, exit codes, JSON keys, the schema and its examples.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn accord(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = accord(args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

#[test]
fn published_record_is_within_every_binding_limit() {
    let (code, v) = json(&["compliance", "--aggregates", "data/new-start-aggregates.csv", "--format", "json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["treaty"], "new-start");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 49);
    // 2022-09-01: published by State, figures not sourced here: never "not published".
    let unsourced: Vec<&Value> = rows.iter().filter(|r| r["published"] == "unsourced").collect();
    assert_eq!(unsourced.len(), 2);
    assert!(unsourced.iter().all(|r| r["as_of"] == "2022-09-01"));
    assert!(v["violations"].as_array().unwrap().is_empty());
    // Sorted by date; each row has the three limits in spec order.
    let dates: Vec<&str> = rows.iter().map(|r| r["as_of"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    for r in rows {
        let names: Vec<&str> = r["limits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["deployed_delivery_vehicles", "warheads", "launchers_total"]);
        assert!(r["party"] == "US" || r["party"] == "RU");
    }
    let us2011 = rows.iter().find(|r| r["as_of"] == "2011-02-05" && r["party"] == "US").unwrap();
    let dv = &us2011["limits"][0];
    assert_eq!(dv["value"], 882);
    assert_eq!(dv["limit"], 700);
    assert_eq!(dv["margin"], -182);
    assert_eq!(dv["binding"], false);
    assert_eq!(dv["violation"], false);
    let us2018 = rows.iter().find(|r| r["as_of"] == "2018-02-05" && r["party"] == "US").unwrap();
    assert_eq!(us2018["limits"][2]["value"], 800);
    assert_eq!(us2018["limits"][2]["margin"], 0);
    assert_eq!(us2018["limits"][2]["binding"], true);
    // A blank cell is "not published": null, never filled in (RU's launchers of 2012-09-01
    // are only implied by its sources); its delivery vehicles, stated directly, are there.
    let ru2012 = rows.iter().find(|r| r["as_of"] == "2012-09-01" && r["party"] == "RU").unwrap();
    assert_eq!(ru2012["limits"][2]["value"], Value::Null);
    assert_eq!(ru2012["limits"][2]["margin"], Value::Null);
    assert_eq!(ru2012["published"], "published");
    assert_eq!(ru2012["limits"][0]["value"], 491);
    assert_eq!(ru2012["limits"][1]["value"], 1499);
}

#[test]
fn a_figure_over_a_binding_limit_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("own.csv");
    std::fs::write(
        &csv,
        "party,as_of,warheads,deployed_delivery_vehicles,launchers_total,source_url\n\
         RU,2016-09-01,1796,508,847,\n\
         US,2019-03-01,1551,656,800,\n\
         RU,2010-01-01,2000,900,1000,\n\
         US,2026-06-01,1900,,,\n",
    )
    .unwrap();
    let (code, v) = json(&["compliance", "--aggregates", csv.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let viol = v["violations"].as_array().unwrap();
    assert_eq!(viol.len(), 1, "{v}");
    assert_eq!(viol[0]["as_of"], "2019-03-01");
    assert_eq!(viol[0]["party"], "US");
    assert_eq!(viol[0]["name"], "warheads");
    assert_eq!(viol[0]["value"], 1551);
    assert_eq!(viol[0]["limit"], 1550);
    let rows = v["rows"].as_array().unwrap();
    // Over but not binding before 2018-02-05.
    let ru = rows.iter().find(|r| r["as_of"] == "2016-09-01").unwrap();
    assert_eq!(ru["limits"][1]["violation"], false);
    assert_eq!(ru["limits"][1]["margin"], -246);
    // Dates outside the treaty's life carry its status there.
    let before = rows.iter().find(|r| r["as_of"] == "2010-01-01").unwrap();
    assert_eq!(before["treaty_status"], "not_signed");
    assert_eq!(before["limits"][0]["binding"], false);
    let after = rows.iter().find(|r| r["as_of"] == "2026-06-01").unwrap();
    assert_eq!(after["treaty_status"], "expired");
    assert_eq!(after["limits"][1]["violation"], false);
    // The table names it too.
    let (code, out, _) = accord(&["compliance", "--aggregates", csv.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("2019-03-01 US warheads: 1551 over the limit of 1550"), "{out}");
}

#[test]
fn the_day_after_the_last_day_lists_the_unconfirmed_end_date() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("end.csv");
    std::fs::write(
        &csv,
        "as_of,party,deployed_delivery_vehicles,warheads,launchers_total,source_url\n2026-02-05,US,1,1,1,\n",
    )
    .unwrap();
    let (code, v) = json(&["compliance", "--aggregates", csv.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["rows"][0]["treaty_status"], "expired");
    assert_eq!(v["unconfirmed"][0]["key"], "lifecycle.last_day_in_force");
}

#[test]
fn simulate_then_replay_reproduces_every_published_row() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.jsonl");
    let (code, _, err) = accord(&["simulate", "--seed", "5", "--out", h.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, v) = json(&[
        "replay",
        h.to_str().unwrap(),
        "--check-aggregates",
        "data/new-start-aggregates.csv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{}", v["check"]);
    assert_eq!(v["check"]["rows"], 47);
    assert_eq!(v["check"]["unsourced_rows"], 2);
    assert_eq!(v["check"]["cells"], 136);
    assert!(v["check"]["mismatches"].as_array().unwrap().is_empty());
    // A published row on a date that is not a six-month date: 2018-02-05.
    let (code, v) = json(&[
        "replay",
        h.to_str().unwrap(),
        "--on",
        "2018-02-05",
        "--party",
        "RU",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let vals: Vec<i64> = v["parties"][0]["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["value"].as_i64().unwrap())
        .collect();
    assert_eq!(vals, [527, 1444, 779]);
    assert_eq!(v["parties"][0]["declared_as_of"], "2018-02-05");
    // A changed published figure is caught.
    let text = std::fs::read_to_string(root().join("data/new-start-aggregates.csv")).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, text.replace("2014-09-01,US,794,1642,912", "2014-09-01,US,794,1641,912")).unwrap();
    let (code, v) = json(&[
        "replay",
        h.to_str().unwrap(),
        "--check-aggregates",
        bad.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let m = &v["check"]["mismatches"][0];
    assert_eq!(m["as_of"], "2014-09-01");
    assert_eq!(m["published"], 1641);
    assert_eq!(m["replayed"], 1642);
}

#[test]
fn simulate_is_deterministic_and_writes_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    assert_eq!(accord(&["simulate", "--seed", "9", "--out", a.to_str().unwrap()]).0, 0);
    assert_eq!(accord(&["simulate", "--seed", "9", "--out", b.to_str().unwrap()]).0, 0);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let missing = dir.path().join("no/such/folder/h.jsonl");
    let (code, _, err) = accord(&["simulate", "--out", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such folder"), "{err}");
    let (code, _, err) = accord(&["simulate", "--parties", "1"]);
    assert_eq!(code, 2, "{err}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn history_compliance_finds_the_withheld_data_from_2023() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.jsonl");
    assert_eq!(accord(&["simulate", "--out", h.to_str().unwrap()]).0, 0);
    let (code, v) = json(&["compliance", "--history", h.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    assert!(v["violations"].as_array().unwrap().is_empty());
    assert_eq!(v["evaluated_at"], "2026-02-05");
    let f = v["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .all(|x| x["as_of"].as_str().or(x["date"].as_str()).unwrap() >= "2023-02-28"),
        "a finding before 2023"
    );
    for p in ["US", "RU"] {
        assert!(f
            .iter()
            .any(|x| x["type"] == "missing_data_exchange" && x["party"] == p && x["as_of"] == "2023-03-01"));
    }
    assert!(f
        .iter()
        .any(|x| x["type"] == "missing_notification" && x["party"] == "RU" && x["held"] == true));
    // Unconfirmed values the report rests on.
    let keys: Vec<&str> = v["unconfirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"notification.heavy_bomber_outside_territory"), "{keys:?}");
    // The heavy bombers in the 800 are settled by official data, and no longer listed.
    assert!(!keys.contains(&"limit.launchers_total.count.heavy_bomber"), "{keys:?}");
    // Before the suspension, the same history is clean.
    let (code, v) = json(&[
        "compliance",
        "--history",
        h.to_str().unwrap(),
        "--on",
        "2022-12-31",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{}", v["findings"]);
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn treaty_show_validate_and_schema() {
    let (code, v) = json(&["treaty", "show", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["spec"]["id"], "new-start");
    assert_eq!(v["spec"]["limits"][1]["value"], 1550);
    let kd: Vec<&str> = v["key_dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["date"].as_str().unwrap())
        .collect();
    for d in [
        "2010-04-08",
        "2011-02-05",
        "2011-03-22",
        "2011-04-06",
        "2018-02-05",
        "2021-02-03",
        "2026-02-04",
        "2026-02-05",
    ] {
        assert!(kd.contains(&d), "{d} missing from {kd:?}");
    }
    assert!(!v["unconfirmed"].as_array().unwrap().is_empty());
    let (code, out, _) = accord(&["treaty", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("Protocol Part Four, Section II, para 2"));
    let (code, out, err) = accord(&["treaty", "validate", "data/new-start.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid"));
    // The committed schema is the one the catalogue generates.
    let (code, out, _) = accord(&["treaty", "schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(root().join("docs/notification.schema.json")).unwrap();
    assert_eq!(
        out.trim(),
        committed.trim(),
        "docs/notification.schema.json is stale: run `accord treaty schema`"
    );
}

#[test]
fn documented_examples_validate_against_the_schema_and_the_catalogue() {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(root().join("docs/notification.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::JSONSchema::compile(&schema).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(root().join("docs/examples")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let docs: Vec<Value> = if p.extension().is_some_and(|x| x == "jsonl") {
            text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
        } else {
            vec![serde_json::from_str(&text).unwrap()]
        };
        for d in docs {
            assert!(validator.is_valid(&d), "{} fails the schema", p.display());
            n += 1;
        }
        let (code, _, err) = accord(&["notification", "validate", p.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", p.display());
    }
    assert!(n >= 10);
    // The schema refuses what the catalogue refuses: a field the kind does not have.
    let bad: Value = serde_json::json!({"id":"x","kind":"movement","party":"US","date":"2011-03-01","body":{"item":"M1","from":"A","to":"B","launcher":"L"}});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn offline_demo_runs_and_exits_0() {
    let (code, out, err) = accord(&["demo", "--offline"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Key dates"));
    assert!(out.contains("2018-02-05"));
    assert!(out.contains("No violations of a binding limit"));
    assert!(out.contains("six-month data exchanges not provided"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(accord(&["compliance"]).0, 2);
    assert_eq!(accord(&["replay"]).0, 2);
    assert_eq!(accord(&["no-such-command"]).0, 2);
    let (code, _, err) = accord(&["replay", "no-such-file.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-file.jsonl: no such file"));
    let (code, _, err) = accord(&["compliance", "--history", "docs/examples/history-small.jsonl", "--on", "2011-02-31"]);
    assert_eq!(code, 2);
    assert!(err.contains("--on"), "{err}");
}

/// `accord treaty status --on` answers from the real history, with sources and precision;
/// `accord timeline` lists and filters it; bad input is refused naming the flag.
#[test]
fn treaty_status_and_timeline_from_the_real_history() {
    let expect = [
        ("2010-01-01", "not_signed", None),
        ("2011-02-05", "in_force", Some(("not_yet", "exchanged"))),
        ("2011-04-06", "in_force", Some(("possible", "exchanged"))),
        ("2020-04-01", "in_force", Some(("paused", "exchanged"))),
        ("2022-08-08", "in_force", Some(("refused", "exchanged"))),
        ("2023-03-01", "in_force", Some(("refused", "withheld"))),
        ("2026-02-04", "in_force", Some(("refused", "withheld"))),
        ("2026-02-05", "expired", Some(("none", "none"))),
    ];
    for (on, phase, ru) in expect {
        let (code, v) = json(&["treaty", "status", "--on", on, "--format", "json"]);
        assert_eq!(code, 0);
        assert_eq!(v["phase"], phase, "{on}: {v}");
        if let Some((insp, data)) = ru {
            let side = v["parties"].as_array().unwrap().iter().find(|p| p["party"] == "RU").unwrap();
            assert_eq!(
                (side["inspections"].as_str(), side["data"].as_str()),
                (Some(insp), Some(data)),
                "{on}"
            );
        }
    }
    let (_, v) = json(&["treaty", "status", "--on", "2023-03-01", "--format", "json"]);
    assert_eq!(v["suspended_by"], serde_json::json!(["RU"]));
    assert!(v["rests_on"].as_array().unwrap().iter().any(|r| r["precision"] == "approximate"));
    let (_, v) = json(&["treaty", "status", "--on", "2026-02-05", "--format", "json"]);
    assert!(v["unconfirmed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["key"] == "lifecycle.last_day_in_force"));
    let (code, _, err) = accord(&["treaty", "status", "--on", "2026-13-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("--on"), "{err}");

    let (code, v) = json(&["timeline", "--format", "json"]);
    assert_eq!(code, 0);
    let all = v["events"].as_array().unwrap();
    assert!(all.len() >= 39);
    assert!(all.iter().all(|e| e["source_url"].as_str().is_some_and(|u| u.starts_with("http"))));
    let (_, v) = json(&[
        "timeline",
        "--from",
        "2020-10-01",
        "--to",
        "2021-02-28",
        "--kind",
        "extension",
        "--format",
        "json",
    ]);
    let ext = v["events"].as_array().unwrap();
    assert_eq!(ext.len(), 1);
    assert_eq!(ext[0]["date"], "2021-02-03");
    let (code, _, err) = accord(&["timeline", "--kind", "coup"]);
    assert_eq!(code, 2);
    assert!(err.contains("--kind") && err.contains("suspension"), "{err}");
}

/// Every source an output cites resolves in docs/sources.md, and no output points at a file
/// outside the repository: the timeline, the treaty's status on dates across its life, the
/// published record and the built-in proposals, as text and as JSON.
#[test]
fn every_source_an_output_cites_is_in_docs_sources() {
    let doc = std::fs::read_to_string(root().join("docs/sources.md")).unwrap();
    let mut runs: Vec<Vec<&str>> = vec![
        vec!["timeline"],
        vec!["timeline", "--format", "json"],
        vec!["compliance", "--aggregates", "data/new-start-aggregates.csv", "--format", "json"],
        vec!["proposal", "evaluate", "us-2020-10-freeze", "--format", "json"],
        vec!["proposal", "evaluate", "ru-2020-10-counter"],
    ];
    let dates = [
        "2010-01-01",
        "2011-02-05",
        "2018-02-05",
        "2020-04-01",
        "2023-06-01",
        "2025-10-05",
        "2026-02-05",
        "2026-03-01",
    ];
    for on in &dates {
        runs.push(vec!["treaty", "status", "--on", on]);
        runs.push(vec!["treaty", "status", "--on", on, "--format", "json"]);
    }
    let (mut ids, mut urls) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for args in &runs {
        let (code, out, err) = accord(args);
        assert!(code == 0 || code == 1, "{args:?}: {code} {err}");
        for bad in ["shared/", "facts §", "confirmations §", "new-start-facts"] {
            assert!(!out.contains(bad), "{args:?} cites a note outside the repository ({bad})");
        }
        // Text: `[id]` after an event; JSON: provenance.source and every address.
        let text = if args.contains(&"json") { "" } else { out.as_str() };
        for part in text.split('[').skip(1) {
            if let Some((id, _)) = part.split_once(']') {
                if !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                    ids.insert(id.to_owned());
                }
            }
        }
        if let Ok(v) = serde_json::from_str::<Value>(&out) {
            fn walk(v: &Value, ids: &mut std::collections::BTreeSet<String>, urls: &mut std::collections::BTreeSet<String>) {
                match v {
                    Value::Object(m) => {
                        for (k, x) in m {
                            match (k.as_str(), x.as_str()) {
                                ("source", Some(s)) if !s.starts_with("record:") => {
                                    ids.insert(s.to_owned());
                                }
                                ("source_url" | "fact_sheet" | "url", Some(u)) if !u.is_empty() => {
                                    urls.insert(u.to_owned());
                                }
                                _ => walk(x, ids, urls),
                            }
                        }
                    }
                    Value::Array(a) => a.iter().for_each(|x| walk(x, ids, urls)),
                    _ => {}
                }
            }
            walk(&v, &mut ids, &mut urls);
        }
    }
    assert!(ids.len() >= 40, "only {} source ids cited: {ids:?}", ids.len());
    let missing: Vec<&String> = ids.iter().filter(|id| !doc.contains(&format!("`{id}`"))).collect();
    assert!(missing.is_empty(), "ids cited by outputs, not in docs/sources.md: {missing:?}");
    let missing: Vec<&String> = urls.iter().filter(|u| !doc.contains(u.as_str())).collect();
    assert!(
        missing.is_empty(),
        "addresses cited by outputs, not in docs/sources.md: {missing:?}"
    );
}

/// The 2020 freeze proposal evaluated on the real record reports each Party's total stockpile
/// as not declared (never the deployed strategic count in its place); a declaration of the
/// freeze's own kind in a history is used; a proposal the spec cannot take is refused naming
/// the clause and its standing.
#[test]
fn proposals_are_evaluated_against_what_was_declared() {
    let (code, v) = json(&["proposal", "list", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["proposals"].as_array().unwrap().len(), 2);
    let (code, v) = json(&["proposal", "evaluate", "us-2020-10-freeze", "--format", "json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["last_day_in_force"], "2022-02-04");
    let freeze = v["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "freeze_warheads")
        .unwrap();
    for p in freeze["parties"].as_array().unwrap() {
        assert_eq!(p["status"], "not_declared", "{p}");
        assert!(p.get("value").is_none(), "a figure stands in for the undeclared stockpile: {p}");
    }
    assert!(v["unconfirmed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["key"] == "lifecycle.extension"));
    // With a declaration of the freeze's kind in the record.
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.jsonl");
    std::fs::write(
        &h,
        "{\"id\":\"RU-S1\",\"kind\":\"warhead_stockpile_declaration\",\"party\":\"RU\",\"date\":\"2020-10-01\",\"body\":{\"deployed_strategic\":1450,\"non_strategic\":1900}}\n",
    )
    .unwrap();
    let (_, v) = json(&[
        "proposal",
        "evaluate",
        "us-2020-10-freeze",
        "--history",
        h.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let freeze = v["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "freeze_warheads")
        .unwrap();
    let ru = freeze["parties"].as_array().unwrap().iter().find(|p| p["party"] == "RU").unwrap();
    assert_eq!((ru["status"].as_str(), ru["value"].as_u64()), (Some("declared"), Some(3350)));
    // A second extension after 2021 is refused, naming the clause and that it is unconfirmed.
    let text = std::fs::read_to_string(root().join("data/proposals/us-2020-10-freeze.toml")).unwrap();
    let f = dir.path().join("late.toml");
    std::fs::write(&f, text.replace("date = 2020-10-13", "date = 2025-10-01")).unwrap();
    let (code, _, err) = accord(&["proposal", "evaluate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("term[0].extend_years") && err.contains("Art. XIV para 2") && err.contains("UNCONFIRMED"),
        "{err}"
    );
}

/// `accord compliance` without an input names both it can take, not only one.
#[test]
fn compliance_without_input_names_both_inputs() {
    let (code, _, err) = accord(&["compliance"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--aggregates") && err.contains("--history"), "{err}");
    let (code, _, err) = accord(&["compliance", "--aggregates", "a.csv", "--history", "h.jsonl"]);
    assert_eq!(code, 2, "one or the other: {err}");
}

/// A node that cannot be reached is said plainly: a URL without its scheme is bad input
/// (exit 2), nothing listening there is I/O (exit 3); neither says "builder error" or
/// "error sending request".
#[test]
fn an_unreachable_node_is_said_plainly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, refused) = accord(&["inspection", "list", "--node", &url, "--token", "t"]);
    assert_eq!(code, 3, "{refused}");
    assert!(refused.contains("cannot connect: is the node running"), "{refused}");
    let (code, _, err) = accord(&["inspection", "list", "--node", &format!("127.0.0.1:{port}"), "--token", "t"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a node's URL"), "{err}");
    for e in [&refused, &err] {
        assert!(!e.contains("builder error") && !e.contains("error sending request"), "{e}");
    }
}

/// `--date` where a command takes `--on` is the same option, not a hint towards `--data`.
#[test]
fn date_is_the_same_as_on() {
    let (code, on, err) = accord(&["treaty", "status", "--on", "2011-02-05", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let (code, date, err) = accord(&["treaty", "status", "--date", "2011-02-05", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(on, date);
    assert!(!err.contains("--data"), "{err}");
}

/// A folder given where a file is wanted is bad input, exit 2, as a missing file is (it used
/// to be exit 3).
#[test]
fn a_folder_for_a_file_is_bad_input() {
    for args in [
        vec!["replay", "docs"],
        vec!["replay", "no-such-file.jsonl"],
        vec!["compliance", "--history", "docs"],
        vec!["bundle", "verify", "docs", "--log-key", "k", "--node-key", "k"],
    ] {
        let (code, _, err) = accord(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("a folder, not a file") || err.contains("no such file"),
            "{args:?}: {err}"
        );
    }
}

/// Ctrl-C (SIGINT to the demo alone, or to its terminal's process group) in the middle of the
/// live exchange stops the three processes cleanly and exits 0; what was logged verifies.
#[cfg(unix)]
#[test]
fn the_live_demo_stops_cleanly_on_ctrl_c() {
    use std::io::BufRead as _;
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("d");
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["demo", "--data", data.to_str().unwrap()])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("the demo ended before its exchange: {seen}");
        }
        seen.push_str(&line);
        if line.starts_with("Exchanging") {
            break;
        }
    }
    assert!(!seen.contains("log key"), "the keys only with --verbose: {seen}");
    // Each node's dashboard and a token to sign in to it, at the top.
    for party in ["US", "RU"] {
        let line = seen
            .lines()
            .find(|l| l.starts_with(&format!("  {party}  http://127.0.0.1:")))
            .unwrap_or_else(|| panic!("no {party} dashboard line: {seen}"));
        assert!(line.contains(" accord_"), "{line}");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let st = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let code = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(code.success(), "{code}: {rest}{err}");
    assert!(rest.contains("Interrupted: stopping the three processes."), "{rest}");
    assert!(rest.contains("Stopped the three processes cleanly."), "{rest}{err}");
    assert!(!err.contains("error sending request"), "{err}");
    for node in ["us", "ru"] {
        let (code, out, err) = accord(&["log", "verify", "--data", data.join(node).to_str().unwrap()]);
        assert_eq!(code, 0, "{node}: {out}{err}");
    }
}
