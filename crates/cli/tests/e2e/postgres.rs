//! Both Parties' nodes on PostgreSQL (issue #14), as real processes: `accord serve init
//! --store` puts each node's logs and state in a database of a throwaway cluster (Debian's
//! `postgresql`, started by the test), the US node reads its logs from a synchronous hot
//! standby (`[store] read_url`), the nodes exchange, a node killed with SIGKILL mid-submission
//! comes back losing nothing acknowledged, and after the primary is killed the promoted
//! standby carries both nodes on. Mandatory where the server is installed;
//! `ACCORD_SKIP_POSTGRES=1` skips it, loudly.

#![allow(clippy::unwrap_used)]

use crate::common::node::*;
use crate::serve::{wait_synced_nodes, witness_args};

use accord_logstore::postgres::PgStore;
use std::path::Path;
use std::time::Duration;

/// Writes `root/<a.data>.toml`: node `a` (its Party its folder's name) whose partner is `b`,
/// with the witness `(port, key)`, and `store` (TOML) at the end.
fn config(root: &Path, a: &Node, b: &Node, (wport, wkey): (u16, &str), store: &str) {
    let (party, other) = (a.data.to_uppercase(), b.data.to_uppercase());
    let more = format!("[[witness]]\nurl = \"http://127.0.0.1:{wport}\"\nkey = \"{wkey}\"\n{store}");
    write_config(root, a, &party, b, &other, (b.port, 500), &more);
}

#[test]
fn two_nodes_on_postgres_exchange_survive_a_kill_and_fail_over_to_the_standby() {
    let Some(primary) = accord_logstore::pg_cluster::for_test("two nodes") else {
        return;
    };
    let (us_db, ru_db) = (primary.database("us").unwrap(), primary.database("ru").unwrap());
    let standby = primary.standby().unwrap();
    primary.synchronous().unwrap();
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = Node::init_on(root, "US", "us", Some(&us_db));
    let mut ru = Node::init_on(root, "RU", "ru", Some(&ru_db));
    // The folder keeps the keys and where the database is, never a log file.
    assert!(us.dir.join("store.toml").exists() && !us.dir.join("log.db").exists());
    assert!(!us.dir.join("node.db").exists(), "the tokens are in the database");
    let wkey = ok(root, &["witness", "init", "--data", "w", "--name", "witness.example"])
        .trim()
        .to_owned();
    ok(root, &["witness", "follow", "--data", "w", "--vkey", &us.log_key]);
    ok(root, &["witness", "follow", "--data", "w", "--vkey", &ru.log_key]);
    let wport = free_port();
    let read_from_standby = format!("[store]\nread_url = \"{}\"\n", standby.url_of("us"));
    config(root, &us, &ru, (wport, &wkey), &read_from_standby);
    config(root, &ru, &us, (wport, &wkey), "");
    let listen = format!("127.0.0.1:{wport}");
    let mut witness = start(root, &witness_args(&listen, &us.node_key, &ru.node_key), "w.log");
    us.start(root);
    ru.start(root);

    let n = 120;
    let (us_n, ru_n) = notifications(root, n);
    let per = 20;
    for b in 0..n / per {
        let (ub, rb) = (&us_n[b * per..(b + 1) * per], &ru_n[b * per..(b + 1) * per]);
        if b == 2 {
            // Killed while a submission is under way: what it acknowledged stays, the rest is
            // submitted again (idempotently).
            let body = serde_json::to_vec(ub).unwrap();
            let (port, op) = (us.port, us.op.clone());
            let h = std::thread::spawn(move || {
                let _ = json(port, "POST", "/api/v1/notifications", &op, &body);
            });
            std::thread::sleep(Duration::from_millis(40));
            us.kill9();
            let _ = h.join();
            us.start(root);
        }
        submit(&us, ub);
        submit(&ru, rb);
    }
    let (a, b) = wait_synced_nodes(&us, &ru, n as u64, n as u64);
    let size_us = a["size"].as_u64().unwrap();
    // The checkpoint and tiles the US node serves (read from the standby) are the log's: the
    // export of its folder (read from the database) holds the same, and satisfies a tlog client
    // that is not accord.
    ok(root, &["log", "export-tiles", "--data", "us", "--out", "site"]);
    let site = root.join("site");
    let (st, cp) = http(us.port, "GET", "/log/checkpoint", &[], b"");
    assert_eq!(st, 200);
    let exported = std::fs::read(site.join("checkpoint")).unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).lines().take(3).collect::<Vec<_>>().join("\n");
    assert_eq!(text(&cp), text(&exported), "the same tree");
    let part = if size_us >= 256 { String::new() } else { format!(".p/{size_us}") };
    let tile = format!("tile/0/000{part}");
    let (st, served) = http(us.port, "GET", &format!("/log/{tile}"), &[], b"");
    assert_eq!((st, served), (200, std::fs::read(site.join(&tile)).unwrap()), "{tile}");
    let bundle0 = std::fs::read(site.join(format!("tile/entries/000{part}"))).unwrap();
    crate::common::check_with_independent_client(&site, &exported, &us.log_key, size_us, &bundle0);
    // Each log verifies from the database; each notification acknowledged exactly once.
    for d in ["us", "ru"] {
        let (code, out, err) = accord(root, &["log", "verify", "--data", d]);
        assert_eq!(code, 0, "{d}: {out}{err}");
    }
    let ue = entries_in(&PgStore::open_read_only(&standby.url_of("us"), "us_log").unwrap());
    let re = entries_in(&PgStore::open_read_only(&primary.url_of("ru"), "ru_log").unwrap());
    acknowledged_once(&ue, &re, n);
    acknowledged_once(&re, &ue, n);
    assert_eq!(ue.len() as u64, size_us);
    assert_eq!(re.len() as u64, b["size"].as_u64().unwrap());
    // The log's key, as the database records it, read through the folder.
    assert_eq!(ok(root, &["log", "key", "--data", "us"]).trim(), us.log_key);
    // Tokens were made in the database: the CLI finds them through the folder.
    let listed = ok(root, &["serve", "token", "--data", "us", "--list"]);
    assert!(listed.contains("operator") && listed.contains("partner-reader"), "{listed}");
    // A log on PostgreSQL is written by its node only.
    let (code, _, err) = accord(root, &["log", "append", "--data", "us", "h.jsonl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("POST /api/v1/notifications"), "{err}");

    // The primary dies; the standby is promoted; each folder's store.toml is pointed at it (and
    // the Russian configuration names it too), and both nodes go on.
    us.kill9();
    ru.kill9();
    primary.kill().unwrap();
    standby.promote().unwrap();
    for (node, party, peer, db) in [(&us, "US", &ru, "us"), (&ru, "RU", &us, "ru")] {
        let url = standby.url_of(db);
        std::fs::write(node.dir.join("store.toml"), format!("url = \"{url}\"\nparty = \"{party}\"\n")).unwrap();
        let store = if party == "RU" {
            format!("[store]\nurl = \"{url}\"\n")
        } else {
            String::new()
        };
        config(root, node, peer, (wport, &wkey), &store);
    }
    us.start(root);
    ru.start(root);
    let (us_more, ru_more) = notifications(root, n + 10);
    submit(&us, &us_more[n..]);
    submit(&ru, &ru_more[n..]);
    let (a2, _) = wait_synced_nodes(&us, &ru, n as u64 + 10, n as u64 + 10);
    assert!(a2["size"].as_u64().unwrap() > size_us, "the promoted standby's node appends on");
    assert_eq!(a2["frozen"], false);
    us.stop();
    ru.stop();
    let _ = witness.kill();
    let _ = witness.wait();
    for d in ["us", "ru"] {
        let (code, out, err) = accord(root, &["log", "verify", "--data", d]);
        assert_eq!(code, 0, "{d} after failover: {out}{err}");
    }
    // `log verify` of a node on PostgreSQL covers its partner's mirror too: a row lost there is
    // found and located.
    accord_logstore::postgres::PgClient::connect(&standby.url_of("us"))
        .unwrap()
        .call(|c| c.batch("DELETE FROM us_mirror_ru.entries WHERE idx = 7"))
        .unwrap();
    let (code, out, err) = accord(root, &["log", "verify", "--data", "us"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("the mirror of RU (schema us_mirror_ru)") && out.contains('7'), "{out}");
}

/// `accord demo --store postgres`: the live demo with each Party's node on a throwaway cluster
/// of its own (started and removed by the demo); the freeze scenario runs its whole year on
/// them (commitments, proofs, sampled inspections and their secrets, alerts) as on SQLite.
#[test]
fn the_demo_runs_both_nodes_on_postgres() {
    if accord_logstore::pg_cluster::skipped("accord demo --store postgres") {
        return;
    }
    // The demo starts its own clusters; without the server it fails, as the test should.
    let t = tempfile::tempdir().unwrap();
    let (code, out, err) = accord(
        t.path(),
        &[
            "demo",
            "--store",
            "postgres",
            "--scenario",
            "freeze",
            "--exit-when-synced",
            "--data",
            "d",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains("each Party's node on a PostgreSQL cluster of its own"))
        .unwrap_or_else(|| panic!("{out}"));
    for party in ["us", "ru"] {
        let dir = t.path().join("d").join(party);
        assert!(dir.join("store.toml").exists() && !dir.join("log.db").exists(), "{party}");
    }
    assert!(out.contains("first quarter") && out.contains("0 findings"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("US node alert:")).count(), 2, "{out}");
    assert!(out.contains("10 of 10 declaration releases verified"), "{out}");
    // The clusters went with the demo.
    let paths: Vec<&str> = line.split(['(', ' ']).filter(|w| w.starts_with('/')).collect();
    assert_eq!(paths.len(), 2, "{line}");
    for p in paths {
        assert!(!Path::new(p.trim_end_matches(';')).exists(), "{p} was left behind");
    }
}
