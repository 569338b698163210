//! Offline bundles end to end, between two real `accord serve` nodes with no link between
//! them (each one's partner URL is a port nobody listens on): notifications travel only as
//! `accord bundle` files, through a running node's API and through a stopped node's folder.
//! Both logs end acknowledged and cosigned by the partner and verify; importing twice changes
//! nothing; a damaged, cut, misaddressed or out-of-order bundle is refused, naming what is
//! wrong, with nothing changed.

#![allow(clippy::unwrap_used)]

use crate::common::node::*;
use std::path::Path;

/// Exports through the running node's API, the token read from a file (not on the command
/// line, where every local user sees it).
fn export(root: &Path, n: &Node, file: &str, extra: &[&str]) -> serde_json::Value {
    let url = format!("http://127.0.0.1:{}", n.port);
    let token_file = root.join(format!("{file}.token"));
    std::fs::write(&token_file, format!("{}\n", n.op)).unwrap();
    let tf = token_file.to_string_lossy().to_string();
    let mut args = vec![
        "bundle",
        "export",
        "--node",
        &url,
        "--token-file",
        &tf,
        "--out",
        file,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(root, &args)).unwrap()
}

/// Imports through the running node's API, the token from the environment (ACCORD_TOKEN).
fn import(root: &Path, n: &Node, file: &str) -> (i32, String, String) {
    let url = format!("http://127.0.0.1:{}", n.port);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["bundle", "import", file, "--node", &url, "--format", "json"])
        .env("ACCORD_TOKEN", &n.op)
        .current_dir(root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn imported(root: &Path, n: &Node, file: &str) -> serde_json::Value {
    let (code, out, err) = import(root, n, file);
    assert_eq!(code, 0, "import {file}: {out}{err}");
    serde_json::from_str(&out).unwrap()
}

fn refused(root: &Path, n: &Node, file: &str, names: &[&str]) {
    let before = n.status();
    let (code, out, err) = import(root, n, file);
    assert_eq!(code, 2, "{file} was not refused: {out}{err}");
    for w in names {
        assert!(err.contains(w), "{file}: the error does not name {w:?}: {err}");
    }
    let after = n.status();
    assert_eq!(before["size"], after["size"], "{file} changed the log");
    assert_eq!(before["partner"], after["partner"], "{file} changed the mirror");
}

#[test]
fn bundles_carry_the_exchange_across_an_air_gap() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = Node::init(root, "US", "us");
    let mut ru = Node::init(root, "RU", "ru");
    air_gapped_config(root, &us, "US", &ru, "RU");
    air_gapped_config(root, &ru, "RU", &us, "US");
    us.start(root);
    ru.start(root);
    let (us_n, ru_n) = notifications(root, 300);
    let ru_n = &ru_n[..40];
    for b in us_n[..200].chunks(100) {
        submit(&us, b);
    }
    submit(&ru, ru_n);
    let us_size = us.status()["size"].as_u64().unwrap();

    // Without a token --node is refused, naming where a token comes from.
    let url = format!("http://127.0.0.1:{}", us.port);
    let (code, _, err) = accord(root, &["bundle", "export", "--node", &url, "--out", "x.bundle"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--token-file") && err.contains("ACCORD_TOKEN"), "{err}");

    // US → RU through the running nodes' API.
    let e = export(root, &us, "us1.bundle", &[]);
    assert_eq!((e["from"].as_u64(), e["size"].as_u64()), (Some(0), Some(us_size)));
    let vk = ok(
        root,
        &[
            "bundle",
            "verify",
            "us1.bundle",
            "--log-key",
            &us.log_key,
            "--node-key",
            &us.node_key,
        ],
    );
    assert!(vk.starts_with("ok: "), "{vk}");

    // Damaged in each part, cut short, signed by the wrong node: refused, naming the part.
    let good = std::fs::read(root.join("us1.bundle")).unwrap();
    let find = |name: &str| {
        let h = format!("\n{name} ");
        good.windows(h.len())
            .position(|w| w == h.as_bytes())
            .unwrap_or_else(|| panic!("no part {name}"))
            + h.len()
            + 8
    };
    for part in ["manifest", "checkpoint", "base", "entries/0"] {
        let mut d = good.clone();
        d[find(part) + 40] ^= 0x01;
        std::fs::write(root.join("damaged.bundle"), &d).unwrap();
        let named = if part == "manifest" {
            "manifest: ".to_owned()
        } else {
            format!("part {part}: damaged")
        };
        refused(root, &ru, "damaged.bundle", &[&named]);
    }
    std::fs::write(root.join("cut.bundle"), &good[..good.len() - 100]).unwrap();
    refused(root, &ru, "cut.bundle", &["cut short"]);
    let (code, _, err) = accord(
        root,
        &[
            "bundle",
            "verify",
            "cut.bundle",
            "--log-key",
            &us.log_key,
            "--node-key",
            &us.node_key,
        ],
    );
    assert_eq!(code, 1, "{err}");
    export(root, &ru, "ru-own.bundle", &[]);
    refused(root, &ru, "ru-own.bundle", &["manifest", "not signed by the exporting node"]);

    // The real one: kept, acknowledged; twice changes nothing.
    let i = imported(root, &ru, "us1.bundle");
    assert_eq!((i["held_before"].as_u64(), i["held_after"].as_u64()), (Some(0), Some(us_size)));
    let s = ru.status();
    assert_eq!(s["partner"]["mirrored"], us_size);
    assert_eq!(s["partner"]["acknowledged"], 200);
    let ru_size = s["size"].as_u64().unwrap();
    let again = imported(root, &ru, "us1.bundle");
    assert_eq!(again["held_before"], again["held_after"]);
    assert_eq!(ru.status()["size"], ru_size, "a second import appended something");

    // RU → US into a stopped node's folder: its notifications, its acknowledgements and its
    // cosignature of the US log.
    export(root, &ru, "ru1.bundle", &[]);
    us.stop();
    let (code, _, err) = accord(root, &["bundle", "import", "ru1.bundle", "--data", "us", "--config", "us.toml"]);
    assert_eq!(code, 0, "{err}");
    us.start(root);
    let s = us.status();
    assert_eq!(s["partner"]["mirrored"], ru_size);
    assert_eq!(s["partner"]["acknowledged"], 40);
    assert_eq!(s["acknowledged_by_partner"], 200);
    assert_eq!(s["cosigned"]["partner"], us_size, "{s}");
    assert_eq!(s["final_size"], us_size, "{s}");
    // While the node runs, its folder is refused (use --node).
    let (code, _, err) = accord(
        root,
        &["bundle", "export", "--data", "us", "--config", "us.toml", "--out", "x.bundle"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--node"), "{err}");
    assert!(!root.join("x.bundle").exists());

    // More US notifications; two bundles, imported out of order: the gap is named, then both go.
    submit(&us, &us_n[200..250]);
    let b2 = export(root, &us, "us2.bundle", &[]);
    assert_eq!(b2["from"].as_u64(), Some(us_size), "the default starts at what RU holds: {b2}");
    assert_eq!(b2["cosigned_partner_size"].as_u64(), Some(ru_size));
    let mid = b2["size"].as_u64().unwrap();
    submit(&us, &us_n[250..300]);
    let b3 = export(root, &us, "us3.bundle", &["--from", &mid.to_string()]);
    assert_eq!(b3["from"].as_u64(), Some(mid));
    refused(root, &ru, "us3.bundle", &["holds only", &format!("--from {us_size}")]);
    imported(root, &ru, "us2.bundle");
    imported(root, &ru, "us3.bundle");
    let s = ru.status();
    assert_eq!(s["partner"]["acknowledged"], 300);
    assert_eq!(s["cosigned"]["partner"], ru_size, "RU's log cosigned by US through us2: {s}");
    // And back, so US holds the last acknowledgements.
    export(root, &ru, "ru2.bundle", &[]);
    imported(root, &us, "ru2.bundle");
    let (a, b) = (us.status(), ru.status());
    assert_eq!(a["acknowledged_by_partner"], 300);
    assert_eq!(a["partner"]["mirrored"], b["size"]);

    // RU loses its copy of the US log and rebuilds it from a full bundle: its acknowledgements
    // already in its log count, none is appended again.
    export(root, &us, "us-all.bundle", &["--from", "0"]);
    let ru_before = ru.status();
    ru.stop();
    std::fs::remove_file(root.join("ru/partner.db")).unwrap();
    let (code, out, err) = accord(
        root,
        &[
            "bundle",
            "import",
            "us-all.bundle",
            "--data",
            "ru",
            "--config",
            "ru.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["own_size"], ru_before["size"],
        "acknowledged again after the mirror was rebuilt: {v}"
    );
    ru.start(root);
    let s = ru.status();
    assert_eq!(s["partner"]["acknowledged"], 300);
    assert_eq!(s["problems"], 0, "{s}");

    us.stop();
    ru.stop();
    for d in ["us", "ru"] {
        ok(root, &["log", "verify", "--data", d]);
    }
    let (ue, re) = (entries(&root.join("us/log.db")), entries(&root.join("ru/log.db")));
    acknowledged_once(&ue, &re, 300);
    acknowledged_once(&re, &ue, 40);
}
