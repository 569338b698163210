//! Folders written by an earlier release (tests/fixtures/README.md): the current `accord`
//! verifies them, reads them as stopped folders, serves them and carries on the exchange on top
//! of what the earlier release logged.

#![allow(clippy::unwrap_used)]

use crate::common::node::*;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

const FIXTURE: &str = "node-0.1.0-02ecb25";

#[test]
fn a_folder_written_by_the_previous_release_opens_and_serves() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(FIXTURE);
    crate::common::node::copy_dir(&fixture, root);
    // Keys as an operator restores them from a backup: readable by the owner only.
    #[cfg(unix)]
    for party in ["us", "ru"] {
        use std::os::unix::fs::PermissionsExt;
        for key in ["log.key", "node.key"] {
            std::fs::set_permissions(root.join(party).join(key), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    // The fixture's nodes listened on 7461 and 7462: move them to free ports.
    let (us_port, ru_port) = (free_port(), free_port());
    for party in ["us", "ru"] {
        let p = root.join(format!("{party}.toml"));
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("127.0.0.1:7461", &format!("127.0.0.1:{us_port}"))
            .replace("127.0.0.1:7462", &format!("127.0.0.1:{ru_port}"));
        std::fs::write(&p, text).unwrap();
    }
    let tokens = std::fs::read_to_string(root.join("tokens.txt")).unwrap();
    let token = |party: &str| {
        tokens
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{party} ")))
            .unwrap()
            .to_owned()
    };

    // Verified as written, and read as stopped folders.
    for party in ["us", "ru"] {
        let out = ok(root, &["log", "verify", "--data", party]);
        assert!(out.contains("ok:"), "{out}");
    }
    let listing = ok(
        root,
        &["inspection", "list", "--data", "us", "--config", "us.toml", "--on", "2011-12-31"],
    );
    assert!(listing.contains("Quotas used"), "{listing}");
    let status: Value = serde_json::from_str(&ok(
        root,
        &[
            "treaty",
            "status",
            "--data",
            "us",
            "--config",
            "us.toml",
            "--on",
            "2011-12-31",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(status["phase"], "in_force", "{status}");

    // Served: the exchange the earlier release made is there, every notification received.
    let node = |data: &str, party: &str, port: u16| {
        let cfg = std::fs::read_to_string(root.join(format!("{data}.toml"))).unwrap();
        assert!(cfg.contains(&format!("party = \"{party}\"")), "{cfg}");
        Node {
            dir: root.join(data),
            data: data.into(),
            port,
            op: token(data),
            reader: String::new(),
            log_key: String::new(),
            node_key: String::new(),
            child: None,
        }
    };
    let mut us = node("us", "US", us_port);
    let mut ru = node("ru", "RU", ru_port);
    us.start(root);
    ru.start(root);
    let (st, outbox) = json(us.port, "GET", "/api/v1/outbox", &us.op, b"");
    assert_eq!(st, 200, "{outbox}");
    // The notifications the fixture was made from (tests/scenarios/small.jsonl), per Party.
    let small = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/small.jsonl")).unwrap();
    let count = |p: &str| small.lines().filter(|l| l.contains(&format!("\"party\":\"{p}\""))).count();
    let (n_us, n_ru) = (count("US"), count("RU"));
    assert_eq!(n_us + n_ru, 8);
    let items = outbox["items"].as_array().unwrap();
    assert_eq!(items.len(), n_us, "{outbox}");
    assert!(items.iter().all(|i| i["received"].is_string()), "{outbox}");
    let (st, inbox) = json(us.port, "GET", "/api/v1/inbox", &us.op, b"");
    assert_eq!(st, 200);
    assert_eq!(inbox["items"].as_array().unwrap().len(), n_ru, "{inbox}");
    let (st, report) = json(us.port, "GET", "/api/v1/compliance?on=2011-12-31", &us.op, b"");
    assert_eq!(st, 200, "{report}");
    assert!(report["rows"].as_array().is_some_and(|r| !r.is_empty()), "{report}");

    // And the exchange goes on: a new notification to the US node is acknowledged by the
    // Russian node on top of what the earlier release logged.
    for n in [&us, &ru] {
        let (st, v) = json(n.port, "PUT", "/api/v1/clock", &n.op, br#"{"now": "2012-01-02T00:00:00Z"}"#);
        assert_eq!(st, 200, "{v}");
    }
    let new = serde_json::json!({"id": "US-FIXTURE-1", "kind": "new_item", "party": "US", "date": "2011-12-01",
        "sent": "2011-12-02T10:00:00Z", "body": {"item": "M9", "category": "icbm", "type": "Minuteman III", "facility": "US-S"}});
    submit(&us, &[new]);
    let t0 = Instant::now();
    loop {
        if ru.status()["partner"]["acknowledged"] == n_us as u64 + 1 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "never acknowledged: {}", ru.status());
        std::thread::sleep(Duration::from_millis(100));
    }
    us.stop();
    ru.stop();
    for party in ["us", "ru"] {
        let out = ok(root, &["log", "verify", "--data", party]);
        assert!(out.contains("ok:"), "{out}");
    }
}
