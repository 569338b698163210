//! `accord inventory`, end to end with the real binary: a Party commits to an inventory
//! (its seed a 0600 secret), opens items and zones that verify and tampered ones that do not,
//! draws a sample from both Parties' reveals, proves its total within a public cap and, for a
//! freeze, within its own baseline's undisclosed total; bad input changes nothing.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;

use crate::common::node::{accord, ok};

fn records(dir: &Path, name: &str, n: usize, extra: &[&str]) {
    let zones = ["bangor", "kings-bay", "kirtland", "pantex"];
    let statuses = ["deployed", "non_deployed", "awaiting_dismantlement"];
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "{{\"uid\":\"US-W{i:05}\",\"type\":\"{}\",\"zone\":\"{}\",\"status\":\"{}\"}}\n",
            ["W76-1", "W88", "B61-12"][i % 3],
            zones[i % 4],
            statuses[i % 3]
        ));
    }
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(dir.join(name), text).unwrap();
}

fn decl<'a>(records: &'a str, seed: &'a str, as_of: &'a str) -> Vec<&'a str> {
    vec![records, "--seed", seed, "--party", "US", "--as-of", as_of, "--pad-to", "512"]
}

fn with<'a>(cmd: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    cmd.iter().chain(rest).copied().collect()
}

/// A US baseline of 400 items (2020-10-13) and a period of 380 (2021-01-13) in `d`: both
/// committed (`c0.json`, `c1.json`), the baseline proven within a public cap (`p0.json`) and the
/// period within the baseline's committed total (`p1.json`), openings beside them.
fn baseline_and_period(d: &Path) {
    records(d, "base.jsonl", 400, &[]);
    records(d, "q1.jsonl", 380, &[]);
    let base = decl("base.jsonl", "base.seed", "2020-10-13");
    let q1 = decl("q1.jsonl", "q1.seed", "2021-01-13");
    ok(d, &with(&["inventory", "commit"], &with(&base, &["--out", "c0.json"])));
    ok(d, &with(&["inventory", "commit"], &with(&q1, &["--out", "c1.json"])));
    let prove = |decl: &[&str], rest: &[&str]| {
        ok(
            d,
            &with(&with(&with(&["inventory", "prove"], decl), &["--name", "all_warheads"]), rest),
        )
    };
    prove(
        &base,
        &[
            "--commitment",
            "c0.json",
            "--cap",
            "65535",
            "--out",
            "p0.json",
            "--openings-out",
            "p0.open.json",
        ],
    );
    prove(
        &q1,
        &[
            "--commitment",
            "c1.json",
            "--baseline",
            "p0.json",
            "--baseline-openings",
            "p0.open.json",
            "--out",
            "p1.json",
            "--openings-out",
            "p1.open.json",
        ],
    );
}

#[test]
fn commit_open_verify_and_sample() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    records(d, "r.jsonl", 400, &[]);
    let base = decl("r.jsonl", "s.seed", "2020-10-13");
    ok(d, &with(&["inventory", "commit"], &with(&base, &["--out", "c.json"])));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("s.seed")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the seed is a secret");
    }
    let c: Value = serde_json::from_slice(&std::fs::read(d.join("c.json")).unwrap()).unwrap();
    assert_eq!((c["format"].as_str(), c["size"].as_u64()), (Some("accord-inventory/1"), Some(512)));
    // The same records and seed commit to the same root: the commitment can be rebuilt.
    let again: Value = serde_json::from_str(&ok(d, &with(&["inventory", "commit"], &base))).unwrap();
    assert_eq!(again, c);

    // An opening verifies; the same opening with its status changed does not (exit 1).
    let open = with(
        &with(&["inventory", "open"], &base),
        &["--commitment", "c.json", "--uid", "US-W00017"],
    );
    let o = ok(d, &open);
    std::fs::write(d.join("o.json"), &o).unwrap();
    let out = ok(d, &["inventory", "verify", "--commitment", "c.json", "o.json"]);
    assert!(out.contains("US-W00017"), "{out}");
    let mut v: Value = serde_json::from_str(&o).unwrap();
    v["record"]["status"] = "deployed".into();
    std::fs::write(d.join("forged.json"), v.to_string()).unwrap();
    let (code, out, _) = accord(d, &["inventory", "verify", "--commitment", "c.json", "forged.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT VERIFIED"), "{out}");

    // A zone revealed whole verifies; with an item left out it does not.
    let reveal = ok(
        d,
        &with(
            &with(&["inventory", "open"], &base),
            &["--commitment", "c.json", "--zone", "pantex"],
        ),
    );
    std::fs::write(d.join("z.json"), &reveal).unwrap();
    let out = ok(d, &["inventory", "verify", "--commitment", "c.json", "z.json"]);
    assert!(out.contains("zone 'pantex' complete: 100 items"), "{out}");
    let mut z: Value = serde_json::from_str(&reveal).unwrap();
    z["openings"].as_array_mut().unwrap().pop();
    std::fs::write(d.join("z-short.json"), z.to_string()).unwrap();
    let (code, out, _) = accord(d, &["inventory", "verify", "--commitment", "c.json", "z-short.json"]);
    assert_eq!(code, 1, "{out}");

    // The sample: the same reveals draw the same leaves; more leaves than the tree is refused.
    let a = "11".repeat(32);
    let b = "22".repeat(32);
    let sample = |a: &str, b: &str, k: &str| {
        accord(
            d,
            &[
                "inventory",
                "sample",
                "--commitment",
                "c.json",
                "--reveal-a",
                a,
                "--reveal-b",
                b,
                "--context",
                "I7",
                "-k",
                k,
            ],
        )
    };
    let s1 = sample(&a, &b, "30").1;
    let s2 = sample(&a, &b, "30").1;
    assert_eq!(s1, s2);
    let drawn: Vec<u64> = s1.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(drawn.len(), 30);
    assert!(drawn.iter().all(|&i| i < 512));
    let s3 = sample(&b, &a, "30").1;
    assert_ne!(s1, s3, "the reveals' order is part of the seed");
    let (code, _, err) = sample(&a, &b, "513");
    assert_eq!(code, 2, "{err}");
    // Every drawn leaf opens and verifies.
    for i in drawn.iter().take(3) {
        let o = ok(
            d,
            &with(
                &with(&["inventory", "open"], &base),
                &["--commitment", "c.json", "--index", &i.to_string()],
            ),
        );
        std::fs::write(d.join("d.json"), o).unwrap();
        ok(d, &["inventory", "verify", "--commitment", "c.json", "d.json"]);
    }

    // Another seed does not rebuild the logged commitment: refused, exit 2.
    std::fs::write(d.join("other.seed"), [9u8; 32]).unwrap();
    let other = decl("r.jsonl", "other.seed", "2020-10-13");
    let (code, _, err) = accord(
        d,
        &with(&with(&["inventory", "open"], &other), &["--commitment", "c.json", "--index", "0"]),
    );
    assert_eq!(code, 2);
    assert!(err.contains("do not rebuild"), "{err}");
}

#[test]
fn bad_records_are_refused_and_leave_no_seed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    records(
        d,
        "dup.jsonl",
        10,
        &[r#"{"uid":"US-W00003","type":"W88","zone":"pantex","status":"deployed"}"#],
    );
    let (code, _, err) = accord(d, &with(&["inventory", "commit"], &decl("dup.jsonl", "s.seed", "2020-10-13")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("entry 11") && err.contains("uid"), "{err}");
    assert!(!d.join("s.seed").exists(), "no seed made for refused input");
    records(d, "bad.jsonl", 3, &[r#"{"uid":"X","type":"W88","zone":"pantex","status":"lost"}"#]);
    let (code, _, err) = accord(d, &with(&["inventory", "commit"], &decl("bad.jsonl", "s.seed", "2020-10-13")));
    assert_eq!(code, 2);
    assert!(err.contains("bad.jsonl:4") && err.contains("lost"), "{err}");
    records(d, "good.jsonl", 3, &[]);
    let (code, _, err) = accord(d, &with(&["inventory", "commit"], &decl("good.jsonl", "s.seed", "2020-13-01")));
    assert_eq!(code, 2);
    assert!(err.contains("--as-of"), "{err}");
    assert!(!d.join("s.seed").exists());
}

#[test]
fn totals_are_proven_within_a_cap_and_a_freeze_within_its_baseline() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    records(d, "base.jsonl", 400, &[]);
    let base = decl("base.jsonl", "base.seed", "2020-10-13");
    ok(d, &with(&["inventory", "commit"], &with(&base, &["--out", "c0.json"])));
    let prove0 = with(
        &with(&["inventory", "prove"], &base),
        &["--commitment", "c0.json", "--name", "all_warheads"],
    );
    ok(
        d,
        &with(&prove0, &["--cap", "400", "--out", "p0.json", "--openings-out", "p0.open.json"]),
    );
    let out = ok(d, &["inventory", "verify-proof", "p0.json", "--commitment", "c0.json"]);
    assert!(out.contains("within 400"), "{out}");
    let proof = std::fs::read_to_string(d.join("p0.json")).unwrap();
    assert!(
        !proof.contains("\"400\"") && !proof.contains("US-W"),
        "nothing but the statement is disclosed"
    );
    // One under: no proof, exit 1, nothing written.
    let (code, _, err) = accord(
        d,
        &with(&prove0, &["--cap", "399", "--out", "p-.json", "--openings-out", "p-.open.json"]),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("over the cap"), "{err}");
    assert!(!d.join("p-.json").exists() && !d.join("p-.open.json").exists());
    // Deployed only: 134 of the 400.
    ok(
        d,
        &with(
            &prove0,
            &[
                "--status",
                "deployed",
                "--cap",
                "134",
                "--out",
                "pd.json",
                "--openings-out",
                "pd.open.json",
            ],
        ),
    );
    ok(d, &["inventory", "verify-proof", "pd.json"]);
    // A flipped byte in the proof: not verified.
    let mut v: Value = serde_json::from_str(&proof).unwrap();
    let mp = v["margin_proof"].as_str().unwrap().to_owned();
    let flipped = match mp.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", &mp[1..]),
    };
    v["margin_proof"] = flipped.into();
    std::fs::write(d.join("flipped.json"), v.to_string()).unwrap();
    let (code, out, _) = accord(d, &["inventory", "verify-proof", "flipped.json"]);
    assert_eq!(code, 1, "{out}");

    // The next period: 40 warheads fewer (dismantled), proven within the baseline's
    // undisclosed total; 1 more than the baseline cannot be proven.
    records(d, "q1.jsonl", 360, &[]);
    let q1 = decl("q1.jsonl", "q1.seed", "2021-01-13");
    ok(d, &with(&["inventory", "commit"], &with(&q1, &["--out", "c1.json"])));
    let prove1 = with(
        &with(&["inventory", "prove"], &q1),
        &["--commitment", "c1.json", "--name", "all_warheads"],
    );
    ok(
        d,
        &with(
            &prove1,
            &[
                "--baseline",
                "p0.json",
                "--baseline-openings",
                "p0.open.json",
                "--out",
                "p1.json",
                "--openings-out",
                "p1.open.json",
            ],
        ),
    );
    let out = ok(d, &["inventory", "verify-proof", "p1.json", "--commitment", "c1.json"]);
    assert!(out.contains("within the committed total of 2020-10-13"), "{out}");
    // Against the wrong inventory: not verified.
    let (code, out, _) = accord(d, &["inventory", "verify-proof", "p1.json", "--commitment", "c0.json"]);
    assert_eq!(code, 1, "{out}");
    records(d, "q2.jsonl", 401, &[]);
    let q2 = decl("q2.jsonl", "q2.seed", "2021-04-13");
    ok(d, &with(&["inventory", "commit"], &with(&q2, &["--out", "c2.json"])));
    let prove2 = with(
        &with(&["inventory", "prove"], &q2),
        &["--commitment", "c2.json", "--name", "all_warheads"],
    );
    let (code, _, err) = accord(
        d,
        &with(
            &prove2,
            &[
                "--baseline",
                "p0.json",
                "--baseline-openings",
                "p0.open.json",
                "--out",
                "p2.json",
                "--openings-out",
                "p2.open.json",
            ],
        ),
    );
    assert_eq!(code, 1, "401 > 400: {err}");
}

/// `proposal evaluate` of the 2020 freeze with both Parties' declarations of the freeze's kind
/// in the record: a committed inventory (nothing disclosed) and a proof within the committed
/// baseline shows as committed and proven, in place of `not_declared`; a proof that does not
/// verify shows as such.
#[test]
fn the_freeze_shows_committed_and_proven_in_the_evaluation() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    baseline_and_period(d);
    let read = |f: &str| -> Value { serde_json::from_slice(&std::fs::read(d.join(f)).unwrap()).unwrap() };
    let decl_line = |id: &str, date: &str, c: &Value, p: &Value| {
        serde_json::json!({"id": id, "kind": "warhead_stockpile_declaration", "party": "US", "date": date,
            "body": {"inventory": c, "limit_proof": p}})
        .to_string()
    };
    let history = format!(
        "{}\n{}\n",
        decl_line("US-S1", "2020-10-13", &read("c0.json"), &read("p0.json")),
        decl_line("US-S2", "2021-01-13", &read("c1.json"), &read("p1.json"))
    );
    std::fs::write(d.join("h.jsonl"), &history).unwrap();
    let evaluate = |on: &str| -> Value {
        let out = ok(
            d,
            &[
                "proposal",
                "evaluate",
                "us-2020-10-freeze",
                "--history",
                "h.jsonl",
                "--on",
                on,
                "--format",
                "json",
            ],
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        v["terms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["term"] == "freeze_warheads")
            .unwrap()["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["party"] == "US")
            .unwrap()
            .clone()
    };
    let us = evaluate("2021-02-01");
    assert_eq!(us["status"], "committed", "{us}");
    assert!(us.get("value").is_none(), "nothing disclosed: {us}");
    assert_eq!(us["commitment"]["proof"], "verified", "{us}");
    assert_eq!(us["commitment"]["as_of"], "2021-01-13");
    assert!(
        us["requires"]
            .as_str()
            .unwrap()
            .contains("within the committed total of 2020-10-13"),
        "{us}"
    );
    // Russia declared nothing: still not declared.
    let out = ok(
        d,
        &[
            "proposal",
            "evaluate",
            "us-2020-10-freeze",
            "--history",
            "h.jsonl",
            "--on",
            "2021-02-01",
        ],
    );
    assert!(out.contains("RU: not declared") && out.contains("US: committed"), "{out}");
    // A proof swapped for another inventory's does not verify for this one.
    let history = format!(
        "{}\n{}\n",
        decl_line("US-S1", "2020-10-13", &read("c0.json"), &read("p0.json")),
        decl_line("US-S2", "2021-01-13", &read("c1.json"), &read("p0.json"))
    );
    std::fs::write(d.join("h.jsonl"), &history).unwrap();
    let us = evaluate("2021-02-01");
    assert_eq!(us["commitment"]["proof"], "not_verified", "{us}");
    assert!(us["requires"].as_str().unwrap().contains("a finding"), "{us}");
    // A later period proven against a cap the Party chose itself (a public 65,535), not its
    // baseline's committed total: proves nothing about the freeze.
    let q1 = decl("q1.jsonl", "q1.seed", "2021-01-13");
    ok(
        d,
        &with(
            &with(&["inventory", "prove"], &q1),
            &[
                "--commitment",
                "c1.json",
                "--name",
                "all_warheads",
                "--cap",
                "65535",
                "--out",
                "p1pub.json",
                "--openings-out",
                "p1pub.open.json",
            ],
        ),
    );
    let history = format!(
        "{}\n{}\n",
        decl_line("US-S1", "2020-10-13", &read("c0.json"), &read("p0.json")),
        decl_line("US-S2", "2021-01-13", &read("c1.json"), &read("p1pub.json"))
    );
    std::fs::write(d.join("h.jsonl"), &history).unwrap();
    assert_eq!(evaluate("2021-02-01")["commitment"]["proof"], "not_verified");
    // The baseline's commitment replayed under a later date is not that period's.
    let history = format!(
        "{}\n{}\n",
        decl_line("US-S1", "2020-10-13", &read("c0.json"), &read("p0.json")),
        decl_line("US-S2", "2021-01-13", &read("c0.json"), &read("p0.json"))
    );
    std::fs::write(d.join("h.jsonl"), &history).unwrap();
    assert_eq!(evaluate("2021-02-01")["commitment"]["proof"], "not_verified");
    // At the baseline alone: committed, nothing proven yet beyond it.
    let us = evaluate("2020-12-01");
    assert_eq!(
        (us["status"].as_str(), us["commitment"]["proof"].as_str()),
        (Some("committed"), Some("verified"))
    );
    assert!(us["requires"].as_str().unwrap().contains("committed at the baseline"), "{us}");
    // The proof and its openings cannot be the same file.
    let (code, _, err) = accord(
        d,
        &with(
            &with(&["inventory", "prove"], &q1),
            &[
                "--commitment",
                "c1.json",
                "--name",
                "all_warheads",
                "--cap",
                "65535",
                "--out",
                "same.json",
                "--openings-out",
                "same.json",
            ],
        ),
    );
    assert_eq!(code, 2, "{err}");
    assert!(!d.join("same.json").exists());
}

/// Two freeze declarations (commitment and limit proof) in a log `us` of folder `d`: entry 0
/// a good one, entry 1 with the limit proof of another inventory; their tlog-proofs with the
/// entries in `p0.tlog-proof` and `p1.tlog-proof`. Returns the good declaration's file name.
pub(crate) fn freeze_releases(d: &Path) -> String {
    // The freeze's declaration kind is built in (data/new-start.toml).
    baseline_and_period(d);
    let read = |f: &str| -> Value { serde_json::from_slice(&std::fs::read(d.join(f)).unwrap()).unwrap() };
    let release = |id: &str, c: &str, p: &str| {
        let v = serde_json::json!({"id": id, "kind": "warhead_stockpile_declaration", "party": "US", "date": "2021-01-13",
            "body": {"inventory": read(c), "limit_proof": read(p)}});
        std::fs::write(d.join(format!("{id}.json")), v.to_string()).unwrap();
        format!("{id}.json")
    };
    let good = release("US-F1", "c1.json", "p1.json");
    let swapped = release("US-F2", "c1.json", "p0.json");
    ok(
        d,
        &[
            "log",
            "init",
            "--data",
            "us",
            "--origin",
            "accord.example/us/freeze",
            "--party",
            "US",
        ],
    );
    ok(d, &["log", "append", "--data", "us", &good, &swapped]);
    for index in ["0", "1"] {
        let out = format!("p{index}.tlog-proof");
        ok(
            d,
            &[
                "log",
                "prove",
                "inclusion",
                "--data",
                "us",
                "--index",
                index,
                "--with-entry",
                "--out",
                &out,
            ],
        );
    }
    good
}

/// A release: a freeze declaration (commitment and limit proof) in a Party's log, under a
/// treaty file that brings the freeze's declaration kind. `log verify-proof` checks, offline,
/// the entry's inclusion and the limit proof inside it, and that the proof is of the inventory
/// the entry commits to.
#[test]
fn a_release_in_the_log_verifies_offline_with_its_proof() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let good = freeze_releases(d);
    for (index, want, says) in [("0", 0, "its limit proof verifies"), ("1", 1, "not of the inventory")] {
        let out = format!("p{index}.tlog-proof");
        let (code, said, err) = accord(d, &["log", "verify-proof", &out, "--data", "us"]);
        assert_eq!(code, want, "{said}{err}");
        assert!(said.contains(says), "{said}");
        // The dashboard's check (crates/verify-wasm, the function its WebAssembly runs) says
        // the same of the same proof, under a policy of the log's key alone.
        let key = ok(d, &["log", "key", "--data", "us"]);
        let policy = format!("log {}\nquorum none\n", key.trim());
        let proof = std::fs::read(d.join(&out)).unwrap();
        let o = accord_verify_wasm::check(&proof, policy.as_bytes(), [9; 32]);
        assert_eq!(o.ok, want == 0, "{}", o.message);
        assert!(o.message.contains(says), "{}", o.message);
    }
    // The built-in New START does not know the kind: refused, nothing appended.
    let (code, _, err) = accord(d, &["log", "append", "--data", "us", &good]);
    assert_eq!(code, 2, "{err}");
}

/// `accord inventory trial`: the simulator's cheating runs from the command line, the same
/// figures for the same seeds, the rate inside its 99 % interval.
#[test]
fn trials_run_from_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let run = || -> Value {
        serde_json::from_str(&ok(
            d,
            &[
                "inventory",
                "trial",
                "misdeclaration",
                "--party",
                "US",
                "--runs",
                "12",
                "--seed",
                "1000",
                "--format",
                "json",
            ],
        ))
        .unwrap()
    };
    let v = run();
    assert_eq!(v, run(), "fixed seeds, fixed figures");
    assert_eq!((v["runs"].as_u64(), v["items"].as_u64()), (Some(12), Some(3800)));
    assert_eq!(v["seeds"], serde_json::json!([1000, 1011]));
    assert!((v["expected"].as_f64().unwrap() - 0.2606).abs() < 0.005, "{v}");
    assert_eq!(v["within"], true, "{v}");
    let out = ok(d, &["inventory", "trial", "omission", "--party", "RU", "--runs", "6"]);
    assert!(out.contains("RU omission: 6 runs") && out.contains("4 of 34 revealed"), "{out}");
}

/// `accord demo --scenario freeze`: two real nodes and a witness play a full freeze period (the
/// proposal accepted as a what-if, baselines, a quarter of changes, declarations proven within
/// the baseline, sampled inspections); Russia's unlogged transfer raises an alert on the US
/// node naming both zones, the item Russia left out of its commitment is an omission finding
/// naming its zone, a release verifies offline with the real binary, and the simulated cheats
/// are caught at the expected rates.
#[test]
fn the_freeze_scenario_runs_between_two_nodes_and_a_witness() {
    let t = tempfile::tempdir().unwrap();
    let (code, out, err) = accord(t.path(), &["demo", "--scenario", "freeze", "--exit-when-synced", "--data", "d"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("RU accepts (the what-if): extension by 1 years"), "{out}");
    assert!(out.contains("first quarter") && out.contains("0 findings"), "{out}");
    for q in ["third quarter", "fourth quarter"] {
        let line = out.lines().find(|l| l.contains(q)).unwrap_or_else(|| panic!("no {q}: {out}"));
        assert!(line.contains("openings checked by the US node, 0 findings"), "{line}");
    }
    let alerts: Vec<&str> = out.lines().filter(|l| l.contains("US node alert:")).collect();
    assert_eq!(alerts.len(), 2, "{out}");
    assert!(
        alerts.iter().all(|a| a.contains("(zone '") && a.contains("the openings give")),
        "{alerts:?}"
    );
    assert!(out.contains("1 omission finding(s)"), "{out}");
    assert!(
        out.contains("10 of 10 declaration releases verified") && out.contains("its limit proof verifies"),
        "{out}"
    );
    assert_eq!(out.matches(": within").count(), 2, "{out}");
    // The data stays: both logs verify and the US log holds the declarations' public releases.
    for party in ["us", "ru"] {
        let (code, out, err) = accord(t.path(), &["log", "verify", "--data", &format!("d/{party}")]);
        assert_eq!(code, 0, "{party}: {out}{err}");
    }
}
