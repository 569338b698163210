//! The corpus of bad inputs (tests/corpus/cases.toml) against the real binary: every case exits
//! 2, prints its expected message on standard error and nothing on standard output, changes no
//! file, and no two cases share a message.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    csv: Vec<Case>,
    notification: Vec<Case>,
    history: Vec<Case>,
    spec: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    append: Vec<String>,
    #[serde(default)]
    file: String,
    #[serde(default)]
    find: String,
    #[serde(default)]
    replace: String,
    expect: Vec<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

fn check(kind: &str, case: &Case, args: &[&str], dir: &Path, messages: &mut Vec<String>) {
    let before = snapshot(dir);
    let (code, stdout, stderr) = run(args, dir);
    assert_eq!(code, 2, "{kind} '{}': exit {code}, stderr: {stderr}", case.name);
    assert!(stdout.is_empty(), "{kind} '{}': printed to stdout: {stdout}", case.name);
    for e in &case.expect {
        assert!(stderr.contains(e.as_str()), "{kind} '{}': expected {e:?} in: {stderr}", case.name);
    }
    assert_eq!(snapshot(dir), before, "{kind} '{}' changed a file", case.name);
    let first = stderr.lines().next().unwrap_or("").to_owned();
    assert!(
        !messages.contains(&first),
        "{kind} '{}': same message as another case: {first}",
        case.name
    );
    messages.push(first);
}

#[test]
fn every_bad_input_is_refused_with_its_own_message() {
    let cases: Cases = toml::from_str(&std::fs::read_to_string(root().join("tests/corpus/cases.toml")).unwrap()).unwrap();
    let base = std::fs::read_to_string(root().join("tests/scenarios/small.jsonl")).unwrap();
    let spec = std::fs::read_to_string(root().join("data/new-start.toml")).unwrap();
    let lifecycle = std::fs::read_to_string(root().join("data/new-start-lifecycle.toml")).unwrap();
    let history = std::fs::read_to_string(root().join("data/new-start-history.toml")).unwrap();
    let mut messages = Vec::new();
    let mut n = 0;
    for c in &cases.csv {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.csv"), &c.content).unwrap();
        check(
            "csv",
            c,
            &["compliance", "--aggregates", "in.csv", "--format", "json"],
            dir.path(),
            &mut messages,
        );
        n += 1;
    }
    for c in &cases.notification {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("n.json"), &c.content).unwrap();
        check(
            "notification",
            c,
            &["notification", "validate", "n.json"],
            dir.path(),
            &mut messages,
        );
        n += 1;
    }
    for c in &cases.history {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{base}{}\n", c.append.join("\n"));
        std::fs::write(dir.path().join("h.jsonl"), text).unwrap();
        check("history", c, &["replay", "h.jsonl"], dir.path(), &mut messages);
        check(
            "history via compliance",
            c,
            &["compliance", "--history", "h.jsonl"],
            dir.path(),
            &mut Vec::new(),
        );
        n += 1;
    }
    for c in &cases.spec {
        let dir = tempfile::tempdir().unwrap();
        let (s, l) = match c.file.as_str() {
            "spec" => {
                assert!(spec.contains(&c.find), "spec '{}': text to change not found", c.name);
                (spec.replacen(&c.find, &c.replace, 1), lifecycle.clone())
            }
            _ => {
                assert!(lifecycle.contains(&c.find), "spec '{}': text to change not found", c.name);
                (spec.clone(), lifecycle.replacen(&c.find, &c.replace, 1))
            }
        };
        std::fs::write(dir.path().join("new-start.toml"), s).unwrap();
        std::fs::write(dir.path().join("new-start-lifecycle.toml"), l).unwrap();
        std::fs::write(dir.path().join("new-start-history.toml"), &history).unwrap();
        check("spec", c, &["treaty", "validate", "new-start.toml"], dir.path(), &mut messages);
        n += 1;
    }
    assert!(n >= 50, "{n} cases");
}
