//! Inspections and negotiation end to end, as real processes on loopback: two `accord serve`
//! nodes exchange the US database (tests/scenarios/small.jsonl); Russia notifies an inspection,
//! designates a US base (its declared data taken from the replayed database), records findings
//! that differ from the declaration and gives the report; the United States countersigns it;
//! the discrepancies appear in compliance and open items on the Commission's agenda, and the
//! report reads in English and Russian. Then proposals are filed, countered and accepted, an
//! acceptance the extension rule forbids is refused naming the rule, and the treaty's status
//! shows the agreement. Finally the stopped node's folder answers the same commands. Every
//! step goes through the `accord` binary (`--node` and `--data`).

#![allow(clippy::unwrap_used)]

use crate::common::node::*;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn linked_config(root: &Path, a: &Node, party: &str, b: &Node, other: &str) {
    write_config(root, a, party, b, other, (b.port, 300), "");
}

/// The US notifications of tests/scenarios/small.jsonl, as sent (receipts come from the partner).
fn us_database() -> Vec<Value> {
    let small = std::fs::read_to_string(root_dir().join("tests/scenarios/small.jsonl")).unwrap();
    small
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["party"] == "US")
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("received");
            v
        })
        .collect()
}

/// Two linked nodes started (under `spec` when given), the US database exchanged.
fn pair(root: &Path, spec: Option<&str>) -> (Node, Node) {
    let mut us = Node::init(root, "US", "us");
    let mut ru = Node::init(root, "RU", "ru");
    linked_config(root, &us, "US", &ru, "RU");
    linked_config(root, &ru, "RU", &us, "US");
    for n in [&mut us, &mut ru] {
        let data = n.data.clone();
        let config = format!("{data}.toml");
        let mut args = vec!["serve", "--data", &data, "--config", &config];
        if let Some(spec) = spec {
            args.splice(0..0, ["--spec", spec]);
        }
        n.child = Some(start(root, &args, &format!("{data}.log")));
    }
    submit(&us, &us_database());
    synced(&us, &ru);
    (us, ru)
}

/// Waits until each node holds all of the other's log.
fn synced(us: &Node, ru: &Node) {
    let t0 = Instant::now();
    loop {
        let (a, b) = (us.status(), ru.status());
        if a["partner"]["mirrored"] == b["size"] && b["partner"]["mirrored"] == a["size"] {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "not synced:\nUS {a}\nRU {b}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn at(node: &Node) -> [String; 4] {
    [
        "--node".into(),
        format!("http://127.0.0.1:{}", node.port),
        "--token".into(),
        node.op.clone(),
    ]
}

fn run(root: &Path, node: &Node, args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(at(node));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    accord(root, &refs)
}

fn step_json(root: &Path, node: &Node, args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = run(root, node, &a);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn an_inspection_from_notice_to_a_signed_bilingual_report_and_a_negotiation_to_an_agreement() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let (mut us, mut ru) = pair(&root, None);

    // Notice; a second one while the first is under way is refused, naming the rule.
    let v = step_json(
        &root,
        &ru,
        &["inspection", "notify", "--id", "I1", "--type", "type_one", "--date", "2011-05-01"],
    );
    assert_eq!(v["notification"]["kind"], "inspection_notice");
    assert_eq!(v["inspection"]["status"], "notified");
    let (code, out, err) = run(
        &root,
        &ru,
        &["inspection", "notify", "--id", "I2", "--type", "type_one", "--date", "2011-05-01"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("one inspection at a time"), "{err}");
    // A notice before inspections may begin.
    let (code, _, err) = run(
        &root,
        &ru,
        &["inspection", "notify", "--id", "I0", "--type", "type_two", "--date", "2011-03-01"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("2011-04-06"), "{err}");

    // Designation: the site's declared data come from the replayed US database.
    let v = step_json(
        &root,
        &ru,
        &[
            "inspection",
            "designate",
            "--id",
            "I1",
            "--site",
            "US-A",
            "--missile",
            "M2",
            "--date",
            "2011-05-02",
        ],
    );
    let declared = v["inspection"]["declared"].clone();
    assert_eq!(declared["site"], "US-A");
    assert_eq!(declared["loadings"]["M2"], 3, "{declared}");
    let icbms = declared["counts"]["icbm"].as_u64().unwrap();
    assert!(icbms >= 2, "{declared}");
    // A missile not declared deployed at the site is refused.
    // Findings: one ICBM fewer than declared, four reentry vehicles on M2 (three declared).
    let mut counts = declared["counts"].clone();
    counts["icbm"] = (icbms - 1).into();
    std::fs::write(
        root.join("found.json"),
        serde_json::json!({"items": declared["items"], "counts": counts, "reentry_vehicles": 4,
            "measurements": [{"what_en": "radiation reading of the front section", "what_ru": "показание радиационного прибора", "value": "0.3", "unit": "mR/h"}]})
        .to_string(),
    )
    .unwrap();
    step_json(
        &root,
        &ru,
        &[
            "inspection",
            "findings",
            "--id",
            "I1",
            "--found",
            "found.json",
            "--date",
            "2011-05-02",
        ],
    );
    // The report: text in both languages.
    let (code, out, err) = run(&root, &ru, &["inspection", "report", "--id", "I1", "--date", "2011-05-03"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("reentry_vehicles:M2"), "{out}");
    assert!(out.chars().any(|c| ('а'..='я').contains(&c)), "no Russian text: {out}");
    synced(&us, &ru);

    // The inspected Party countersigns the same report.
    let v = step_json(&root, &us, &["inspection", "sign", "--id", "I1", "--date", "2011-05-03"]);
    assert_eq!(v["inspection"]["status"], "signed", "{v}");
    assert_eq!(v["inspection"]["report"]["signed_by"], serde_json::json!(["RU", "US"]));
    synced(&us, &ru);

    // Both nodes list it; the discrepancies are findings with their agenda items.
    for node in [&us, &ru] {
        let v = step_json(&root, node, &["inspection", "list", "--on", "2011-06-01"]);
        let f = &v["inspections"][0];
        assert_eq!(f["status"], "signed");
        let found: Vec<&Value> = v["findings"].as_array().unwrap().iter().collect();
        assert_eq!(found.len(), 2, "{v}");
        assert!(found
            .iter()
            .all(|f| f["type"] == "inspection_discrepancy" && f["agenda_item"].as_str().unwrap().starts_with("BCC:")));
        assert!(v["quotas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["party"] == "RU" && q["type"] == "type_one" && q["used"] == 1));
    }
    let (st, c) = json(us.port, "GET", "/api/v1/compliance?on=2011-06-01", &us.op, b"");
    assert_eq!(st, 200);
    let kinds: Vec<&str> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["type"].as_str())
        .collect();
    assert!(kinds.iter().filter(|k| **k == "inspection_discrepancy").count() == 2, "{c}");
    // The report as text, in Russian, from the API; and from the CLI in English.
    let (st, body) = http(
        us.port,
        "GET",
        "/api/v1/inspections/I1/report?lang=ru",
        &[("Authorization", &format!("Bearer {}", us.reader))],
        b"",
    );
    assert_eq!(st, 200);
    let ru_text = String::from_utf8(body).unwrap();
    let (code, en_text, _) = run(&root, &us, &["inspection", "show", "--id", "I1", "--lang", "en"]);
    assert_eq!(code, 0);
    for figure in ["US-A", "M2", "0.3"] {
        assert!(
            ru_text.contains(figure) && en_text.contains(figure),
            "{figure}:\n{ru_text}\n{en_text}"
        );
    }
    // The public cannot read inspections.
    let (st, _) = json(us.port, "GET", "/api/v1/inspections", "", b"");
    assert_eq!(st, 401);

    // Negotiation: the real October 2020 proposal and counter, filed by each node.
    let us_freeze = root_dir().join("data/proposals/us-2020-10-freeze.toml");
    let ru_counter = root_dir().join("data/proposals/ru-2020-10-counter.toml");
    step_json(&root, &us, &["proposal", "file", us_freeze.to_str().unwrap()]);
    // A Party cannot file the other's proposal.
    let (code, _, err) = run(&root, &us, &["proposal", "counter", ru_counter.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("RU's"), "{err}");
    synced(&us, &ru);
    step_json(&root, &ru, &["proposal", "counter", ru_counter.to_str().unwrap()]);
    synced(&us, &ru);
    // Evaluated on the record: the freeze's stockpile is not declared, by either Party.
    let v = step_json(&root, &ru, &["proposal", "evaluate", "us-2020-10-freeze"]);
    let freeze = v["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "freeze_warheads")
        .unwrap()
        .clone();
    assert!(
        freeze["parties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "not_declared" && p["value"].is_null()),
        "{v}"
    );
    let v = step_json(&root, &us, &["treaty", "status", "--on", "2020-11-01"]);
    let open: Vec<&str> = v["open_proposals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["source"].as_str())
        .collect();
    assert!(open.contains(&"record:ru-2020-10-counter"), "{v}");
    // Accepting one more year on top of the extension the lifecycle records (2021-02-03) is
    // refused, naming the rule and that it is unconfirmed.
    let (code, _, err) = run(&root, &us, &["proposal", "accept", "ru-2020-10-counter", "--date", "2020-11-02"]);
    assert_eq!(code, 2);
    assert!(err.contains("Art. XIV para 2") && err.contains("UNCONFIRMED"), "{err}");
    // A five-year extension, accepted: it stands for the lifecycle's own.
    std::fs::write(
        root.join("five.toml"),
        "format = \"accord-proposal/1\"\ntreaty = \"new-start\"\nid = \"ru-2021-01-five\"\nkind = \"proposal\"\nby = \"RU\"\ndate = 2021-01-26\ntitle = \"Extend for five years, without conditions\"\nstatus = \"confirmed\"\n\n[[term]]\nextend_years = 5\n",
    )
    .unwrap();
    step_json(&root, &ru, &["proposal", "file", "five.toml"]);
    synced(&us, &ru);
    let v = step_json(&root, &us, &["proposal", "accept", "ru-2021-01-five", "--date", "2021-01-26"]);
    assert_eq!(v["agreements"][0]["last_day_in_force"], "2026-02-04", "{v}");
    let v = step_json(&root, &us, &["treaty", "status", "--on", "2021-06-01"]);
    assert_eq!(v["agreements"][0]["proposal"], "ru-2021-01-five");
    assert!(v["open_proposals"].as_array().unwrap().is_empty(), "{v}");
    synced(&us, &ru);

    // The timeline: the history's events and, with a credential, the record's.
    let v = step_json(&root, &us, &["timeline", "--from", "2011-05-01", "--to", "2021-01-31"]);
    let sources: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["provenance"]["source"].as_str())
        .collect();
    for s in ["record:I1", "record:us-2020-10-freeze", "record:ru-2021-01-five"] {
        assert!(sources.contains(&s), "{s}: {sources:?}");
    }
    let (st, public) = json(us.port, "GET", "/api/v1/timeline?from=2011-05-01&to=2011-05-31", "", b"");
    assert_eq!(st, 200);
    assert!(!public.to_string().contains("record:"), "the record is not public: {public}");

    // The stopped node's folder answers the same, and takes a step itself.
    us.stop();
    let data = ["--data", "us", "--config", "us.toml"];
    let (code, out, err) = accord(
        &root,
        &[&["inspection", "list", "--format", "json", "--on", "2011-06-01"][..], &data[..]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["inspections"][0]["status"], "signed");
    let (code, out, err) = accord(&root, &[&["proposal", "list", "--on", "2021-06-01"][..], &data[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ru-2021-01-five") && out.contains("accepted"), "{out}");
    let (code, out, err) = accord(&root, &[&["proposal", "evaluate", "ru-2021-01-five"][..], &data[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2026-02-04"), "{out}");
    let (code, out, err) = accord(&root, &[&["timeline", "--kind", "inspection"][..], &data[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("record:I1") && out.contains("signed by both Parties: 2 discrepancies"),
        "{out}"
    );
    let (code, out, err) = accord(
        &root,
        &[
            &[
                "inspection",
                "exempt",
                "--id",
                "X1",
                "--reason",
                "exceptional case",
                "--date",
                "2012-01-10",
            ][..],
            &data[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("exemption X1 by US"), "{out}");
    us.start(&root);
    synced(&us, &ru);
    // The exemption holds on the Russian node: a notice is refused.
    let (code, _, err) = run(
        &root,
        &ru,
        &["inspection", "notify", "--id", "I3", "--type", "type_one", "--date", "2012-01-11"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("Protocol Part Five, Section I"), "{err}");
    us.kill9();
    ru.kill9();
}

/// A spec that chooses the missile jointly (`inspections.missile_choice = "commit_reveal"`),
/// written beside its lifecycle and history files.
fn commit_reveal_spec(root: &Path) -> String {
    let dir = root.join("spec");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["new-start-lifecycle.toml", "new-start-history.toml"] {
        std::fs::copy(root_dir().join("data").join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(root_dir().join("data/new-start.toml"))
        .unwrap()
        .replace("missile_choice = \"designation\"", "missile_choice = \"commit_reveal\"");
    assert!(text.contains("commit_reveal"));
    std::fs::write(dir.join("new-start.toml"), text).unwrap();
    "spec/new-start.toml".into()
}

#[test]
fn the_missile_is_chosen_jointly_by_commit_reveal_between_two_nodes() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let spec = commit_reveal_spec(&root);
    let (mut us, mut ru) = pair(&root, Some(&spec));
    let with_spec = |args: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["--spec".into(), spec.clone(), "--format".into(), "json".into()];
        a.extend(args.iter().map(|s| s.to_string()));
        a
    };
    let go = |node: &Node, args: &[&str]| -> (i32, String, String) {
        let a = with_spec(args);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&root, node, &refs)
    };
    let must = |node: &Node, args: &[&str]| -> Value {
        let (code, out, err) = go(node, args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        serde_json::from_str(&out).unwrap()
    };
    must(
        &ru,
        &["inspection", "notify", "--id", "I1", "--type", "type_one", "--date", "2011-05-01"],
    );
    // Designating the missile directly is refused under this spec.
    let (code, _, err) = go(
        &ru,
        &[
            "inspection",
            "designate",
            "--id",
            "I1",
            "--site",
            "US-A",
            "--missile",
            "M2",
            "--date",
            "2011-05-02",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("commit_reveal"), "{err}");
    // A commitment refused (before the designation) leaves no secret behind.
    let (code, _, err) = go(&us, &["inspection", "commit", "--id", "I1", "--date", "2011-05-02"]);
    assert_eq!(code, 2, "{err}");
    let kept = std::fs::read_dir(us.dir.join("choices")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kept, 0, "the refused commitment's secret was removed: {err}");
    assert!(err.contains("not designated yet"), "{err}");
    let v = must(
        &ru,
        &["inspection", "designate", "--id", "I1", "--site", "US-A", "--date", "2011-05-02"],
    );
    let candidates: Vec<String> = v["inspection"]["declared"]["loadings"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(candidates.len() >= 2, "{v}");
    must(&ru, &["inspection", "commit", "--id", "I1", "--date", "2011-05-02"]);
    // Russia cannot reveal before the United States has committed.
    let (code, _, err) = go(&ru, &["inspection", "reveal", "--id", "I1", "--date", "2011-05-02"]);
    assert_eq!(code, 2);
    assert!(err.contains("both Parties commit before either reveals"), "{err}");
    synced(&us, &ru);
    must(&us, &["inspection", "commit", "--id", "I1", "--date", "2011-05-02"]);
    synced(&us, &ru);
    must(&ru, &["inspection", "reveal", "--id", "I1", "--date", "2011-05-02"]);
    synced(&us, &ru);
    let v = must(&us, &["inspection", "reveal", "--id", "I1", "--date", "2011-05-02"]);
    let chosen = v["inspection"]["missile"].as_str().unwrap().to_owned();
    assert!(candidates.contains(&chosen), "{chosen} not in {candidates:?}");
    // Each node's secret stayed in its own folder, readable by its owner only.
    for n in [&us, &ru] {
        let files: Vec<_> = std::fs::read_dir(n.dir.join("choices")).unwrap().collect();
        assert_eq!(files.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = files[0].as_ref().unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
    // Both nodes agree on the choice, and it is reproducible from the two reveals.
    synced(&us, &ru);
    let l = must(&ru, &["inspection", "list", "--on", "2011-05-02"]);
    let f = &l["inspections"][0];
    assert_eq!(f["missile"], chosen.as_str());
    let reveal = |p: &str| {
        let (n, v) = (f["reveals"][p][0].as_str().unwrap(), f["reveals"][p][1].as_str().unwrap());
        let n: [u8; 32] = accord_ledger::record::unhex(n).unwrap().try_into().unwrap();
        let v = accord_ledger::record::unhex(v).unwrap();
        accord_ledger::inspection::Reveal {
            party: p.into(),
            committed: accord_ledger::inspection::commitment(p, "I1", &n, &v),
            nonce: n,
            value: v,
        }
    };
    let mut sorted = candidates.clone();
    sorted.sort();
    let again = accord_ledger::inspection::choose("I1", &sorted, &reveal("US"), &reveal("RU")).unwrap();
    assert_eq!(again, &chosen);
    us.kill9();
    ru.kill9();
}
