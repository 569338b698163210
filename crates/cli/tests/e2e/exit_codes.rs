//! One exit-code table for every command (docs/cli.md, "Exit codes"): each command's error
//! paths and the code each must exit with, run through the real binary: 2 for bad input or
//! usage (a missing file, a folder given as a file or a file as a folder, a malformed value, a
//! URL that is not one, an unknown option), 3 for I/O (a node that cannot be reached). Every
//! command `accord --help` lists must have its cases here, so a new command comes with them.

use crate::common::node::{accord, ok};
use std::collections::BTreeSet;
use std::path::Path;

/// `(command, arguments, exit code, what stderr must say)`. In the arguments, `@M` is a path
/// that does not exist, `@D` an empty folder, `@G` a file of garbage, `@N` a node URL nobody
/// listens on, `@L` an empty log folder, `@S` a node folder, `@P` a proposal file of the
/// repository.
const CASES: &[(&str, &str, i32, &str)] = &[
    ("treaty show", "--format xml", 2, "invalid value 'xml'"),
    ("treaty validate", "@M", 2, "@M: no such file"),
    ("treaty validate", "@D", 2, "@D: a folder, not a file"),
    ("treaty validate", "@G", 2, "@G:1:"),
    ("treaty schema", "--format xml", 2, "invalid value 'xml'"),
    ("treaty status", "--on 2011-13-45", 2, "--on \"2011-13-45\""),
    ("treaty status", "--on 2012-01-01 --node @N --token t", 3, "cannot connect"),
    (
        "treaty status",
        "--on 2012-01-01 --node 127.0.0.1:9 --token t",
        2,
        "not a node's URL",
    ),
    ("notification validate", "@M", 2, "@M: no such file"),
    ("notification validate", "@D", 2, "@D: a folder, not a file"),
    ("notification validate", "@G", 2, "@G:line 1"),
    ("compliance", "", 2, "--aggregates <CSV>|--history <FILE>"),
    ("compliance", "--aggregates @M", 2, "@M: no such file"),
    ("compliance", "--history @D", 2, "@D: a folder, not a file"),
    ("compliance", "--history @G", 2, "@G:line 1"),
    ("replay", "@M", 2, "@M: no such file"),
    ("replay", "@G", 2, "@G:line 1"),
    ("simulate", "--parties 1", 2, "--parties 1"),
    ("simulate", "--out @M/x/y", 2, "@M/x: no such folder"),
    ("demo", "--scale 0", 2, "--scale 0"),
    ("demo", "--port 99999", 2, "invalid value '99999'"),
    ("demo", "--format json", 2, "--format json: the live demo prints for a person"),
    (
        "demo",
        "--offline --until 2012-01-01",
        2,
        "--until: only the live history demo stops at a date",
    ),
    ("demo", "--until 2012-13-01", 2, "invalid value '2012-13-01'"),
    (
        "log init",
        "--data @L --origin x.example/log --party US",
        2,
        "a log already exists here",
    ),
    (
        "log init",
        "--data @G --origin x.example/log --party US",
        2,
        "@G: a file, not a folder",
    ),
    ("log init", "--data @D --origin x.example/log --party XX", 2, "--party"),
    ("log key", "--data @M", 2, "@M: no log here"),
    ("log append", "--data @M @G", 2, "@M: no log here"),
    ("log append", "--data @L @G", 2, "@G:"),
    ("log append", "--data @L @M", 2, "@M: no such file"),
    ("log checkpoint", "--data @M", 2, "@M: no log here"),
    ("log checkpoint", "--data @L --size 99", 2, "no checkpoint at size 99"),
    ("log show", "--data @M --index 0", 2, "@M: no log here"),
    ("log show", "--data @L --index 5", 2, "--index 5"),
    ("log verify", "", 2, "--data <DIR>"),
    ("log verify", "--data @M", 2, "@M: no log here"),
    ("log prove inclusion", "--data @M --index 0", 2, "@M: no log here"),
    ("log prove inclusion", "--data @L --index 9", 2, "index 9"),
    ("log prove consistency", "--data @M --from 0", 2, "@M: no log here"),
    ("log verify-proof", "@G --key x", 2, "--key: malformed key"),
    ("log verify-proof", "@M --data @L", 2, "@M: no such file"),
    ("log cosign", "--data @M --witness x", 2, "--witness: malformed key"),
    ("log witness-request", "--data @M", 2, "@M: no log here"),
    ("log export-tiles", "--data @M --out @D", 2, "@M: no log here"),
    ("witness init", "--data @G --name w", 2, "@G: a file, not a folder"),
    ("witness key", "--data @M", 2, "@M: no witness here"),
    ("witness follow", "--data @M --vkey x", 2, "@M: no witness here"),
    ("witness add-checkpoint", "--data @M @G", 2, "@M: no witness here"),
    ("witness serve", "--data @M", 2, "@M: no witness here"),
    ("witness status", "--data @M", 2, "@M: no witness here"),
    ("serve", "--data @M --config @M", 2, "@M: no such file"),
    ("serve", "--data @S --config @G", 2, "@G: TOML parse error"),
    ("serve", "--data @S --config @D", 2, "@D: a folder, not a file"),
    (
        "serve init",
        "--data @S --party US --origin x.example/us",
        2,
        "a log already exists here",
    ),
    (
        "serve init",
        "--data @G --party US --origin x.example/us",
        2,
        "@G: a file, not a folder",
    ),
    ("serve key", "--data @M", 2, "@M"),
    ("serve token", "--data @M --list", 2, "@M: not a node's data folder"),
    ("serve token", "--data @S --role king", 2, "--role \"king\""),
    ("serve token", "--data @S --role operator --expires soon", 2, "--expires \"soon\""),
    ("serve audit", "--data @M", 2, "@M: not a node's data folder"),
    ("serve audit", "--data @S --limit many", 2, "invalid value 'many'"),
    ("bundle export", "--out @D/b --node @N --token t", 3, "cannot connect"),
    ("bundle export", "--out @D/b --data @M --config @M", 2, "@M: no such file"),
    ("bundle import", "@M --node @N --token t", 2, "@M: no such file"),
    ("bundle import", "@G --data @S --config @G", 2, "@G: TOML parse error"),
    ("bundle verify", "@G --log-key x --node-key y", 2, "--log-key: malformed key"),
    ("proposal list", "@M", 2, "@M: no such file"),
    ("proposal list", "--node @N --token t", 3, "cannot connect"),
    ("proposal file", "@M --node @N --token t", 2, "@M: no such file"),
    ("proposal file", "@P --node @N --token t", 3, "cannot connect"),
    ("proposal counter", "@M --node @N --token t", 2, "@M: no such file"),
    ("proposal accept", "x --node @N --token t", 3, "cannot connect"),
    ("proposal accept", "x --node 127.0.0.1:9 --token t", 2, "not a node's URL"),
    ("proposal evaluate", "@M", 2, "no such file, and not a built-in proposal"),
    (
        "inspection notify",
        "--id X --type type_one --node @N --token t",
        3,
        "cannot connect",
    ),
    (
        "inspection notify",
        "--id X --type type_one --node 127.0.0.1:9 --token t",
        2,
        "not a node's URL",
    ),
    ("inspection designate", "--id X --site S --node @N --token t", 3, "cannot connect"),
    ("inspection commit", "--id X --node @N --token t", 3, "cannot connect"),
    ("inspection reveal", "--id X --node @N --token t", 3, "cannot connect"),
    (
        "inspection findings",
        "--id X --found @M --node @N --token t",
        2,
        "@M: no such file",
    ),
    ("inspection report", "--id X --node @N --token t", 3, "cannot connect"),
    ("inspection sign", "--id X --node @N --token t", 3, "cannot connect"),
    ("inspection refuse", "--id X --reason r --node @N --token t", 3, "cannot connect"),
    ("inspection exempt", "--id X --reason r --node @N --token t", 3, "cannot connect"),
    ("inspection end-exemption", "--id X --node @N --token t", 3, "cannot connect"),
    ("inspection list", "--node @N --token t", 3, "cannot connect"),
    ("inspection list", "--data @M --config @M", 2, "@M: no such file"),
    ("inspection show", "--id X --node @N --token t", 3, "cannot connect"),
    (
        "inventory commit",
        "@M --seed @M --party US --as-of 2020-10-13",
        2,
        "@M: no such file",
    ),
    ("inventory commit", "@G --seed @M --party US --as-of 2020-10-13", 2, "@G:1:"),
    (
        "inventory open",
        "@M --seed @M --party US --as-of 2020-10-13 --commitment @M --index 0",
        2,
        "@M: no such file",
    ),
    (
        "inventory open",
        "@D --seed @M --party US --as-of 2020-10-13 --commitment @D --index 0",
        2,
        "@D: a folder, not a file",
    ),
    ("inventory verify", "--commitment @M @M", 2, "@M: no such file"),
    ("inventory verify", "--commitment @G @G", 2, "@G: not an inventory commitment"),
    (
        "inventory sample",
        "--commitment @M --reveal-a 00 --reveal-b 00 --context x -k 1",
        2,
        "@M: no such file",
    ),
    (
        "inventory prove",
        "@M --seed @M --party US --as-of 2020-10-13 --commitment @M --name n --cap 1 --out @M --openings-out @G",
        2,
        "@M: no such file",
    ),
    ("inventory trial", "omission --party FR", 2, "--party: 'FR'"),
    ("inventory trial", "misdeclaration -k 5000", 2, "k 5000"),
    ("inventory verify-proof", "@M", 2, "@M: no such file"),
    ("inventory verify-proof", "@G", 2, "@G: not a limit proof"),
    ("timeline", "--from 2011-13-01", 2, "--from \"2011-13-01\""),
    ("timeline", "--node @N --token t", 3, "cannot connect"),
    ("bench", "@M", 2, "@M: no such file"),
    ("bench", "@G", 2, "do not parse"),
];

/// The commands `accord --help` lists that run (leaves, and `serve`, which also runs itself).
fn commands(root: &Path, path: &mut Vec<String>, out: &mut BTreeSet<String>) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let (code, help, err) = accord(root, &args);
    assert_eq!(code, 0, "{args:?}: {err}");
    let subs: Vec<String> = help
        .split("\nCommands:\n")
        .nth(1)
        .map(|list| {
            list.lines()
                .take_while(|l| !l.is_empty())
                .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
                .filter_map(|l| l.split_whitespace().next())
                .filter(|c| *c != "help")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !path.is_empty() && (subs.is_empty() || path.as_slice() == ["serve"]) {
        out.insert(path.join(" "));
    }
    for s in subs {
        path.push(s);
        commands(root, path, out);
        path.pop();
    }
}

#[test]
fn every_command_exits_by_the_one_table() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    std::fs::create_dir(root.join("empty")).unwrap();
    std::fs::write(root.join("garbage.txt"), "not json {\n").unwrap();
    ok(
        root,
        &["log", "init", "--data", "alog", "--origin", "x.example/log", "--party", "US"],
    );
    ok(
        root,
        &["serve", "init", "--data", "anode", "--party", "US", "--origin", "x.example/us"],
    );
    let proposal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/proposals/us-2020-10-freeze.toml");
    let at = |p: &str| root.join(p).display().to_string();
    let subst = |s: &str| {
        s.replace("@M", &at("missing"))
            .replace("@D", &at("empty"))
            .replace("@G", &at("garbage.txt"))
            .replace("@N", "http://127.0.0.1:9")
            .replace("@L", &at("alog"))
            .replace("@S", &at("anode"))
            .replace("@P", &proposal.display().to_string())
    };

    let mut listed = BTreeSet::new();
    commands(root, &mut Vec::new(), &mut listed);
    assert!(listed.len() >= 40, "{listed:?}");
    let covered: BTreeSet<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    let uncovered: Vec<&String> = listed.difference(&covered).collect();
    assert!(uncovered.is_empty(), "commands without exit-code cases: {uncovered:?}");
    let unknown: Vec<&String> = covered.difference(&listed).collect();
    assert!(unknown.is_empty(), "cases for commands that do not exist: {unknown:?}");

    let mut wrong = Vec::new();
    for (command, args, want, says) in CASES {
        let line = subst(&format!("{command} {args}"));
        let argv: Vec<&str> = line.split_whitespace().collect();
        let (code, _, err) = accord(root, &argv);
        let says = subst(says);
        if code != *want || !err.contains(&says) {
            wrong.push(format!("accord {line}: exit {code} (want {want}), stderr {err:?} (want {says:?})"));
        }
    }
    // An unknown option is a usage error everywhere.
    for command in &listed {
        let mut argv: Vec<&str> = command.split(' ').collect();
        argv.push("--no-such-option");
        let (code, _, err) = accord(root, &argv);
        if code != 2 || !err.contains("--no-such-option") {
            wrong.push(format!("accord {command} --no-such-option: exit {code}, stderr {err:?}"));
        }
    }
    assert!(wrong.is_empty(), "{} cases off the table:\n{}", wrong.len(), wrong.join("\n"));
    // Nothing was made by a refused command: the folders given are as they were.
    assert!(!root.join("missing").exists());
    assert_eq!(std::fs::read_dir(root.join("empty")).unwrap().count(), 0);
}

/// `accord demo --port P` with a port of its three in use says which, exits 2, and makes no
/// folder (a rerun with another port is not refused by a half-made one).
#[test]
fn a_demo_port_in_use_is_named_and_nothing_is_made() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    // Three free ports in a row: hold the middle one.
    let (held, first) = (1..50)
        .find_map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
            let p = l.local_addr().ok()?.port();
            let ok = |q: u16| std::net::TcpListener::bind(("127.0.0.1", q)).is_ok();
            (p > 1 && p < u16::MAX && ok(p - 1) && ok(p + 1)).then_some((l, p - 1))
        })
        .expect("three ports in a row");
    let port = first.to_string();
    let (code, out, err) = accord(root, &["demo", "--data", "d", "--port", &port, "--exit-when-synced"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("127.0.0.1:{}", first + 1)) && err.contains("--port"), "{err}");
    assert!(!root.join("d").exists(), "nothing made");
    drop(held);
}
