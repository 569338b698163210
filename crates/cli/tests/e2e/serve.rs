//! Party nodes end to end, as real processes on loopback: two `accord serve` nodes and an
//! `accord witness serve` exchange thousands of notifications; either node is killed with
//! SIGKILL at random moments and restarted (`ACCORD_EXCHANGE_KILLS`, default 3; the script
//! `scripts/exchange-crash-test` runs more); a partner is offline for a while; at the end both
//! logs verify, every notification is acknowledged exactly once and every checkpoint is
//! cosigned by the partner and the witness. Refused requests (no or wrong credential, bad
//! JSON, unknown kind, oversize body, wrong or replayed or expired signatures) get a clear 4xx
//! and change nothing; a node that forks its log is caught with the evidence kept; the tiles a
//! node serves satisfy a tlog client that is not accord; every route in openapi.json answers.

#![allow(clippy::unwrap_used)]

use crate::common::node::*;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::Value;

pub(crate) struct Net {
    _t: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) us: Node,
    pub(crate) ru: Node,
    pub(crate) witness: Child,
    pub(crate) wkey: String,
    pub(crate) wport: u16,
}

fn setup() -> Net {
    setup_with("")
}

/// [`setup`] with `more` (TOML tables) at the end of both nodes' configurations.
pub(crate) fn setup_with(more: &str) -> Net {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let mut us = Node::init(&root, "US", "us");
    let mut ru = Node::init(&root, "RU", "ru");
    let wkey = ok(&root, &["witness", "init", "--data", "w", "--name", "witness.example"])
        .trim()
        .to_owned();
    ok(&root, &["witness", "follow", "--data", "w", "--vkey", &us.log_key]);
    ok(&root, &["witness", "follow", "--data", "w", "--vkey", &ru.log_key]);
    let wport = free_port();
    // The US node decides finality by a C2SP tlog-policy (the Russian node and the witness);
    // the Russian node by the default (the partner and every witness).
    std::fs::write(
        root.join("us-policy.txt"),
        format!(
            "log {}\nwitness ru {}\nwitness w {wkey}\ngroup both all ru w\nquorum both\n",
            us.log_key, ru.node_key
        ),
    )
    .unwrap();
    for (a, b) in [(&us, &ru), (&ru, &us)] {
        let party = if a.data == "us" { "US" } else { "RU" };
        let other = if party == "US" { "RU" } else { "US" };
        std::fs::write(
            root.join(format!("{}.toml", a.data)),
            format!(
                "party = \"{party}\"\nlisten = \"127.0.0.1:{}\"\n[partner]\nparty = \"{other}\"\nurl = \"http://127.0.0.1:{}\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n[[witness]]\nurl = \"http://127.0.0.1:{wport}\"\nkey = \"{wkey}\"\n[exchange]\npoll_ms = 500\n{}",
                a.port,
                b.port,
                b.log_key,
                b.node_key,
                if party == "US" { "policy = \"us-policy.txt\"\n" } else { "" }
            ) + more,
        )
        .unwrap();
    }
    let listen = format!("127.0.0.1:{wport}");
    let witness = start(&root, &witness_args(&listen, &us.node_key, &ru.node_key), "w.log");
    us.start(&root);
    ru.start(&root);
    Net {
        _t: t,
        root,
        us,
        ru,
        witness,
        wkey,
        wport,
    }
}

/// The witness's command line in [`setup_with`]'s network, listening on `listen` and taking
/// requests signed by either node (to start it, and to restart it).
pub(crate) fn witness_args<'a>(listen: &'a str, us_node: &'a str, ru_node: &'a str) -> [&'a str; 10] {
    [
        "witness", "serve", "--data", "w", "--listen", listen, "--allow", us_node, "--allow", ru_node,
    ]
}

impl Drop for Net {
    fn drop(&mut self) {
        self.us.kill9();
        self.ru.kill9();
        let _ = self.witness.kill();
        let _ = self.witness.wait();
    }
}

/// Waits until both logs are final and every notification is acknowledged.
pub(crate) fn wait_synced(net: &Net, us_n: u64, ru_n: u64) -> (Value, Value) {
    wait_synced_nodes(&net.us, &net.ru, us_n, ru_n)
}

/// [`wait_synced`] of two nodes.
pub(crate) fn wait_synced_nodes(us: &Node, ru: &Node, us_n: u64, ru_n: u64) -> (Value, Value) {
    let t0 = Instant::now();
    loop {
        let (a, b) = (us.status(), ru.status());
        let done = a["final_size"] == a["size"]
            && b["final_size"] == b["size"]
            && a["partner"]["acknowledged"] == ru_n
            && b["partner"]["acknowledged"] == us_n
            && a["acknowledged_by_partner"] == us_n
            && b["acknowledged_by_partner"] == ru_n
            && a["partner"]["mirrored"] == b["size"]
            && b["partner"]["mirrored"] == a["size"];
        if done {
            return (a, b);
        }
        assert!(t0.elapsed() < Duration::from_secs(180), "not synced after 180 s:\nUS {a}\nRU {b}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn exchange_survives_kill_9_and_an_offline_partner() {
    let kills: usize = std::env::var("ACCORD_EXCHANGE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("ACCORD_EXCHANGE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut net = setup();
    let n = 1500;
    let (us_n, ru_n) = notifications(&net.root, n);
    let batches = 30;
    let per = n / batches;
    let kill_at: Vec<usize> = (0..kills).map(|_| rng.gen_range(0..batches)).collect();
    for b in 0..batches {
        let ub = &us_n[b * per..(b + 1) * per];
        let rb = &ru_n[b * per..(b + 1) * per];
        // Kill a node at a random moment: while a submission or the exchange is under way.
        for (k, _) in kill_at.iter().enumerate().filter(|(_, &at)| at == b) {
            let victim_us = k % 2 == 0;
            let delay = Duration::from_millis(rng.gen_range(0..150));
            let us_port = net.us.port;
            let handle = std::thread::spawn({
                let body = serde_json::to_vec(ub).unwrap();
                let op = net.us.op.clone();
                move || {
                    let _ = json(us_port, "POST", "/api/v1/notifications", &op, &body);
                }
            });
            std::thread::sleep(delay);
            if victim_us {
                net.us.kill9();
                let _ = handle.join();
                net.us.start(&net.root.clone());
            } else {
                net.ru.kill9();
                let _ = handle.join();
                net.ru.start(&net.root.clone());
            }
        }
        submit(&net.us, ub);
        submit(&net.ru, rb);
        // The partner offline for a while: the US node keeps logging; RU catches up later.
        if b == batches / 2 {
            net.ru.stop();
            for extra in 0..3 {
                let _ = extra;
                submit(&net.us, ub);
            }
            std::thread::sleep(Duration::from_millis(700));
            net.ru.start(&net.root.clone());
        }
    }
    let (a, b) = wait_synced(&net, n as u64, n as u64);
    // Each log: its notifications, a public release of each of a public kind, and an
    // acknowledgement of each of the other's notifications.
    let spec = accord_treaty::builtin::new_start();
    let releases = |ns: &[Value]| ns.iter().filter(|v| accord_node::append::redact(&spec, v).is_some()).count();
    assert!(releases(&us_n) > 0);
    assert_eq!(a["size"], (2 * n + releases(&us_n)) as u64, "{a}");
    assert_eq!(b["size"], (2 * n + releases(&ru_n)) as u64, "{b}");
    assert_eq!(a["frozen"], false);
    net.us.stop();
    net.ru.stop();
    // Both logs verify, with every checkpoint; each notification acknowledged exactly once.
    for d in ["us", "ru"] {
        let (code, out, err) = accord(&net.root, &["log", "verify", "--data", d]);
        assert_eq!(code, 0, "{d}: {out}{err}");
    }
    let (ue, re) = (entries(&net.us.dir.join("log.db")), entries(&net.ru.dir.join("log.db")));
    acknowledged_once(&ue, &re, n);
    acknowledged_once(&re, &ue, n);
    // The latest checkpoint of each log carries the partner's and the witness's cosignatures.
    for (d, partner) in [
        ("us", "accord.example/ru/new-start/node"),
        ("ru", "accord.example/us/new-start/node"),
    ] {
        let cp = ok(&net.root, &["log", "checkpoint", "--data", d]);
        assert!(cp.contains(&format!("— {partner} ")), "{d}: {cp}");
        assert!(cp.contains("— witness.example "), "{d}: {cp}");
    }
    // With the node's configuration, every cosignature line is checked against the partner's
    // and the witnesses' keys: a forged witness line (a real one with its signature changed)
    // is found; without keys lines are checked for form only.
    let (code, out, err) = accord(&net.root, &["log", "verify", "--data", "us", "--config", "us.toml"]);
    assert_eq!(code, 0, "{out}{err}");
    let db = rusqlite::Connection::open(net.us.dir.join("log.db")).unwrap();
    let (size, line): (i64, String) = db
        .query_row(
            "SELECT size, line FROM cosignatures WHERE line LIKE '— witness.example %' ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let (head, b64) = line.rsplit_once(' ').unwrap();
    use base64::Engine as _;
    let mut raw = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    *raw.last_mut().unwrap() ^= 1;
    let forged = format!("{head} {}", base64::engine::general_purpose::STANDARD.encode(&raw));
    db.execute(
        "DELETE FROM cosignatures WHERE size = ?1 AND line = ?2",
        rusqlite::params![size, line],
    )
    .unwrap();
    db.execute(
        "INSERT INTO cosignatures(size, line) VALUES (?1, ?2)",
        rusqlite::params![size, forged],
    )
    .unwrap();
    drop(db);
    let (code, out, err) = accord(&net.root, &["log", "verify", "--data", "us", "--config", "us.toml"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("cosignature of size {size} by witness.example: does not verify")),
        "{out}{err}"
    );
    let (code, out, err) = accord(&net.root, &["log", "verify", "--data", "us"]);
    assert_eq!(code, 0, "without keys, form only: {out}{err}");
    // Nor does the node serve it: /log/checkpoint carries only lines that verify.
    net.us.start(&net.root);
    let st = net.us.status();
    assert_eq!(st["size"].as_i64(), Some(size), "the forged line is on the latest checkpoint");
    let (_, body) = http(net.us.port, "GET", "/log/checkpoint", &[], b"");
    let served = String::from_utf8_lossy(&body).to_string();
    assert!(!served.contains(&forged), "{served}");
    assert!(
        served.contains("— accord.example/ru/new-start/node "),
        "the partner's line is still served: {served}"
    );
    net.us.stop();
    // `log verify` of a node folder covers its mirror and its witness state too: a row lost
    // from the mirror is located there, by file and entry, and the node refuses to start.
    assert!(net.us.dir.join("partner.db").exists() && net.us.dir.join("witness.db").exists());
    let db = rusqlite::Connection::open(net.us.dir.join("partner.db")).unwrap();
    db.execute("DELETE FROM entries WHERE idx = 7", []).unwrap();
    drop(db);
    let (code, out, err) = accord(&net.root, &["log", "verify", "--data", "us"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("partner.db") && out.contains("entry 7"), "{out}{err}");
    let (code, out, err) = accord(&net.root, &["serve", "--data", "us", "--config", "us.toml"]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("the mirror of RU's log") && err.contains("damaged"), "{err}");
    let _ = net.wkey;
}

pub(crate) fn sign_headers(
    key: &accord_tlog::SignerKey,
    port: u16,
    method: &str,
    path: &str,
    body: &[u8],
    created: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let authority = format!("127.0.0.1:{port}");
    let parts = accord_node::auth::RequestParts {
        method,
        authority: &authority,
        path: p,
        query: q,
        body,
    };
    let (d, i, s) = accord_node::auth::sign(key, &parts, created, nonce);
    vec![("Content-Digest".into(), d), ("Signature-Input".into(), i), ("Signature".into(), s)]
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn refusals_tiles_openapi_and_a_fork() {
    let mut net = setup();
    let (us_n, _) = notifications(&net.root, 330);
    submit(&net.us, &us_n[..300]);
    let (a, _) = wait_synced(&net, 300, 0);
    let size = a["size"].as_u64().unwrap();
    assert_eq!(size, 300);
    let us = &net.us;
    let bundle = "/log/tile/entries/000";
    // Reads: entries are the partner's and this Party's only.
    assert_eq!(http(us.port, "GET", bundle, &[], b"").0, 401);
    assert_eq!(json(us.port, "GET", bundle, "accord_not-a-token", b"").0, 401);
    assert_eq!(
        http(us.port, "GET", bundle, &[("Authorization", &format!("Bearer {}", us.reader))], b"").0,
        200
    );
    assert_eq!(http(us.port, "GET", "/log/tile/0/000", &[], b"").0, 200, "hash tiles are public");
    assert_eq!(json(us.port, "GET", "/api/v1/compliance", "", b"").0, 401);
    assert_eq!(json(us.port, "GET", "/api/v1/inbox", &us.reader, b"").0, 403);
    // Writes: operator only; bad bodies refused with the reason; nothing changes.
    let one = serde_json::to_vec(&us_n[300]).unwrap();
    let (st, v) = json(us.port, "POST", "/api/v1/notifications", "", &one);
    assert_eq!(st, 401, "{v}");
    let (st, v) = json(us.port, "POST", "/api/v1/notifications", &us.reader, &one);
    assert_eq!(st, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("partner-reader"), "{v}");
    let (st, v) = json(us.port, "POST", "/api/v1/notifications", &us.op, b"{\"id\": ");
    assert_eq!(st, 400);
    assert!(v["error"].as_str().unwrap().contains("not JSON"), "{v}");
    let mut unknown = us_n[301].clone();
    unknown["kind"] = "no_such_kind".into();
    let (st, v) = json(
        us.port,
        "POST",
        "/api/v1/notifications",
        &us.op,
        &serde_json::to_vec(&vec![us_n[302].clone(), unknown]).unwrap(),
    );
    assert_eq!(st, 400);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("notification[1]") && e.contains("kind"), "{e}");
    let mut ru_claim = us_n[303].clone();
    ru_claim["party"] = "RU".into();
    let (st, v) = json(
        us.port,
        "POST",
        "/api/v1/notifications",
        &us.op,
        &serde_json::to_vec(&ru_claim).unwrap(),
    );
    assert_eq!(st, 400, "{v}");
    let big = vec![b' '; 17 << 20];
    assert_eq!(json(us.port, "POST", "/api/v1/notifications", &us.op, &big).0, 413);
    // A changed notification under a logged id: 409; the same one again: its receipt.
    let mut changed = us_n[0].clone();
    changed["date"] = "2011-03-03".into();
    assert_eq!(
        json(
            us.port,
            "POST",
            "/api/v1/notifications",
            &us.op,
            &serde_json::to_vec(&changed).unwrap()
        )
        .0,
        409
    );
    let (st, v) = json(
        us.port,
        "POST",
        "/api/v1/notifications",
        &us.op,
        &serde_json::to_vec(&us_n[0]).unwrap(),
    );
    assert_eq!(st, 200);
    assert_eq!(v["receipts"][0]["duplicate"], true);
    assert_eq!(us.status()["size"], 300, "refused requests changed nothing");
    // Signed requests (RFC 9421): the partner's key reads entries; a stranger, a replay and an
    // expired signature are refused.
    let ru_key = accord_logstore::dir::read_key_file(&net.ru.dir.join("node.key")).unwrap();
    let stranger = accord_tlog::SignerKey::from_seed("accord.example/ru/new-start/node", 4, [9; 32]).unwrap();
    let signed = |k: &accord_tlog::SignerKey, created: i64, nonce: &str| sign_headers(k, us.port, "GET", bundle, b"", created, nonce);
    let call = |h: &[(String, String)]| {
        let hv: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (st, b) = http(us.port, "GET", bundle, &hv, b"");
        (st, String::from_utf8_lossy(&b).into_owned())
    };
    let good = signed(&ru_key, now(), "n-1");
    assert_eq!(call(&good).0, 200);
    let (st, b) = call(&good);
    assert_eq!(st, 401);
    assert!(b.contains("replayed"), "{b}");
    let (st, b) = call(&signed(&stranger, now(), "n-2"));
    assert_eq!(st, 401);
    assert!(b.contains("unknown keyid"), "{b}");
    let (st, b) = call(&signed(&ru_key, now() - 3600, "n-3"));
    assert_eq!(st, 401);
    assert!(b.contains("window"), "{b}");
    let mut wrong = signed(&ru_key, now(), "n-4");
    let mut sig: Vec<char> = wrong[2].1.chars().collect();
    sig[12] = if sig[12] == 'A' { 'B' } else { 'A' };
    wrong[2].1 = sig.into_iter().collect();
    let (st, b) = call(&wrong);
    assert_eq!(st, 401);
    assert!(b.contains("does not verify"), "{b}");
    // The served tiles satisfy an independent tlog client (tlog_tiles and signed_note).
    let site = net.root.join("site");
    let cp = http(us.port, "GET", "/log/checkpoint", &[], b"").1;
    for t in accord_tlog::tile::tiles(size) {
        let (st, b) = http(us.port, "GET", &format!("/log/{}", t.path()), &[], b"");
        assert_eq!(st, 200, "{}", t.path());
        let p = site.join(t.path());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    let b0 = http(us.port, "GET", bundle, &[("Authorization", &format!("Bearer {}", us.op))], b"").1;
    crate::common::check_with_independent_client(&site, &cp, &us.log_key, size, &b0);
    // Every documented route answers (not the router's bare 404 or 405).
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/openapi.json")).unwrap())
            .unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        // The event stream answers and never ends (the node's http tests read it).
        if path == "/api/v1/events" {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            let p = path
                .replace("{path}", "tile/0/000")
                .replace("{size}", "0")
                .replace("{sha256}", &"0".repeat(64));
            let (st, b) = json(us.port, &method.to_uppercase(), &p, &us.op, b"{}");
            assert!(st != 405 && !(st == 404 && b.is_null()), "{method} {path}: {st}");
        }
    }
    // The public layer: a six-month update's public part is released as an entry of its own,
    // served to anyone with a tlog-proof to a checkpoint cosigned by the partner and the
    // witness; nothing confidential is reachable without a token.
    let text = std::fs::read_to_string(net.root.join("h.jsonl")).unwrap();
    let mut update: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["party"] == "US" && v["kind"] == "six_month_update" && v.get("sent").is_some())
        .unwrap();
    update.as_object_mut().unwrap().remove("received");
    let idx = submit(&net.us, std::slice::from_ref(&update))["receipts"][0]["index"]
        .as_u64()
        .unwrap();
    assert_eq!(idx, 300);
    wait_synced(&net, 301, 0);
    let us = &net.us;
    let (st, b) = http(us.port, "GET", "/public/releases", &[], b"");
    assert_eq!(st, 200);
    let list: Value = serde_json::from_slice(&b).unwrap();
    let rel = &list["releases"][0];
    assert_eq!(rel["index"], idx + 1, "{list}");
    assert_eq!(rel["release"]["kind"], "six_month_update");
    assert_eq!(rel["release"]["body"]["totals"], update["body"]["totals"]);
    assert_eq!(rel["release"]["body"].as_object().unwrap().len(), 1, "only the public field: {rel}");
    let (st, proof) = http(us.port, "GET", &format!("/public/releases/{}", idx + 1), &[], b"");
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&proof));
    std::fs::write(net.root.join("release.proof"), &proof).unwrap();
    std::fs::write(
        net.root.join("public-policy.txt"),
        format!(
            "log {}\nwitness ru {}\nwitness w {}\ngroup both all ru w\nquorum both\n",
            us.log_key, net.ru.node_key, net.wkey
        ),
    )
    .unwrap();
    let (code, out, err) = accord(
        &net.root,
        &["log", "verify-proof", "release.proof", "--policy", "public-policy.txt"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let released = accord_tlog::proof::TlogProof::parse(&proof).unwrap().extra.unwrap();
    let mut secrets: Vec<String> = vec!["\"loadings\"".into(), update["id"].as_str().unwrap().into()];
    for l in update["body"]["loadings"].as_array().unwrap().iter().take(50) {
        for v in l.as_object().unwrap().values() {
            if let Some(x) = v.as_str() {
                secrets.push(x.to_owned());
            }
        }
    }
    assert!(secrets.len() > 2);
    let mut public: Vec<(String, Vec<u8>)> = vec![("release entry".into(), released)];
    for path in [
        "/",
        "/health",
        "/metrics",
        "/openapi.json",
        "/log/checkpoint",
        "/api/v1/keys",
        "/api/v1/checkpoints/0",
        "/api/v1/status",
        "/api/v1/clock",
        "/public/releases",
    ] {
        let (st, b) = http(us.port, "GET", path, &[], b"");
        assert_eq!(st, 200, "{path}");
        public.push((path.into(), b));
    }
    for t in accord_tlog::tile::tiles(us.status()["size"].as_u64().unwrap()) {
        public.push((t.path(), http(us.port, "GET", &format!("/log/{}", t.path()), &[], b"").1));
        assert_eq!(http(us.port, "GET", &format!("/log/{}", t.entries_path()), &[], b"").0, 401);
    }
    assert_eq!(http(us.port, "GET", &format!("/api/v1/blobs/{}", "0".repeat(64)), &[], b"").0, 401);
    for (what, body) in &public {
        let text = String::from_utf8_lossy(body);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{what} reveals {secret}");
        }
    }
    // A fork: the US node, restarted from a copy of its folder, signs another tree of a size
    // the Russian node holds. The Russian node and the witness keep both checkpoints as
    // evidence and stop cosigning the US log.
    net.us.stop();
    copy_dir(&net.us.dir, &net.root.join("us-copy"));
    net.us.start(&net.root.clone());
    submit(&net.us, &us_n[300..310]);
    wait_synced(&net, 311, 0);
    net.us.stop();
    std::fs::rename(&net.us.dir, net.root.join("us-honest")).unwrap();
    std::fs::rename(net.root.join("us-copy"), &net.us.dir).unwrap();
    net.us.start(&net.root.clone());
    let mut other: Vec<Value> = us_n[310..320].to_vec();
    for (i, o) in other.iter_mut().enumerate() {
        o["id"] = format!("US-FORK-{i}").into();
    }
    submit(&net.us, &other);
    let t0 = Instant::now();
    loop {
        let (st, v) = json(net.ru.port, "GET", "/api/v1/alerts", &net.ru.op, b"");
        assert_eq!(st, 200);
        if v["alerts"].as_array().unwrap().iter().any(|a| a["kind"] == "fork") {
            let ev = &v["evidence"][0];
            assert!(ev["held"].as_str().unwrap().contains("\n312\n"), "{v}");
            assert!(ev["seen"].as_str().unwrap().contains("\n312\n"), "{v}");
            assert_ne!(ev["held"], ev["seen"]);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no fork alert: {v}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(net.ru.status()["frozen"], true);
    // The witness caught it as well.
    let t0 = Instant::now();
    loop {
        let (code, out, _) = accord(&net.root, &["witness", "status", "--data", "w"]);
        if code == 1 && out.contains("EVIDENCE accord.example/us/new-start") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the witness saw no fork: {out}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Concurrent submissions share group commits, and an id is still logged once: eight clients
/// send the same 200 notifications at once, retrying a 503 ("being logged by another
/// request"); every answer is a receipt for the one entry of each id.
#[test]
fn concurrent_submissions_log_each_id_once() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = lone_us(root);
    us.start(root);
    let (n, _) = notifications(root, 200);
    let batches: Vec<Vec<u8>> = n.chunks(10).map(|c| serde_json::to_vec(c).unwrap()).collect();
    let answers: Vec<Vec<(String, u64)>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..8)
            .map(|k| {
                let (batches, us) = (&batches, &us);
                sc.spawn(move || {
                    let mut got = Vec::new();
                    // Each client its own order, so requests overlap on the same ids.
                    for b in batches.iter().cycle().skip(k * 3).take(batches.len()) {
                        loop {
                            let (st, v) = json(us.port, "POST", "/api/v1/notifications", &us.op, b);
                            if st == 503 {
                                std::thread::sleep(std::time::Duration::from_millis(5));
                                continue;
                            }
                            assert_eq!(st, 200, "{v}");
                            for r in v["receipts"].as_array().unwrap() {
                                got.push((r["id"].as_str().unwrap().to_owned(), r["index"].as_u64().unwrap()));
                            }
                            break;
                        }
                    }
                    got
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut index_of = std::collections::HashMap::new();
    for (id, ix) in answers.into_iter().flatten() {
        assert_eq!(*index_of.entry(id.clone()).or_insert(ix), ix, "{id} answered with two indexes");
    }
    assert_eq!(index_of.len(), 200);
    // The outbox pages back through the record: four pages of 50 (newest first by page, each
    // oldest first), each notification once, then nothing.
    let mut paged = Vec::new();
    for offset in [0, 50, 100, 150, 200] {
        let (st, v) = json(us.port, "GET", &format!("/api/v1/outbox?limit=50&offset={offset}"), &us.op, b"");
        assert_eq!((st, v["total"].as_u64()), (200, Some(200)), "{v}");
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), if offset < 200 { 50 } else { 0 }, "offset {offset}");
        paged.splice(0..0, items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
    }
    let distinct: std::collections::HashSet<_> = paged.iter().collect();
    assert_eq!((paged.len(), distinct.len()), (200, 200));
    let (st, _) = json(us.port, "GET", "/api/v1/outbox?offset=-1", &us.op, b"");
    assert_eq!(st, 400, "offset: a whole number");
    us.stop();
    let logged = entries(&root.join("us/log.db"));
    let mut ids = std::collections::HashSet::new();
    for (e, _) in &logged {
        if e.get("public").is_none() {
            assert!(
                ids.insert(e["notification"]["id"].to_string()),
                "logged twice: {}",
                e["notification"]["id"]
            );
        }
    }
    assert_eq!(ids.len(), 200);
    ok(root, &["log", "verify", "--data", "us"]);
}

/// Tokens expire and are revoked from the command line, on a running node, and revoking one
/// ends the sign-ins made with it; the list shows names and times, never the tokens.
#[test]
fn tokens_expire_and_are_revoked_with_their_sign_ins() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = lone_us(root);
    us.start(root);
    // A second node on the same folder: exit 3, the lock named, as `log append` does.
    let (code, _, err) = accord(root, &["serve", "--data", "us", "--config", "us.toml"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("another process"), "{err}");
    let alice = ok(
        root,
        &[
            "serve",
            "token",
            "--data",
            "us",
            "--role",
            "operator",
            "--name",
            "alice",
            "--expires",
            "1h",
        ],
    )
    .trim()
    .to_owned();
    assert_eq!(json(us.port, "GET", "/api/v1/outbox", &alice, b"").0, 200);
    let cookie = sign_in(us.port, &alice);
    assert_eq!(http(us.port, "GET", "/api/v1/outbox", &[("Cookie", &cookie)], b"").0, 200);
    let listed = ok(root, &["serve", "token", "--data", "us", "--list"]);
    assert!(
        listed.contains("alice#") && listed.contains("\toperator\t") && listed.contains("revoked -"),
        "{listed}"
    );
    assert!(!listed.contains(&alice), "the list never shows a token");

    let out = ok(root, &["serve", "token", "--data", "us", "--revoke", "alice"]);
    assert!(out.contains("revoked 1"), "{out}");
    assert_eq!(json(us.port, "GET", "/api/v1/outbox", &alice, b"").0, 401, "refused at once");
    assert_eq!(
        http(us.port, "GET", "/api/v1/outbox", &[("Cookie", &cookie)], b"").0,
        401,
        "its sign-ins end"
    );
    let (code, _, err) = accord(root, &["serve", "token", "--data", "us", "--revoke", "alice"]);
    assert_eq!(code, 2, "nothing left to revoke: {err}");
    assert_eq!(json(us.port, "GET", "/api/v1/outbox", &us.op, b"").0, 200, "other tokens stand");
    // The audit log, read from the folder beside the running node: alice's sign-in and her
    // refused attempts after the revocation, each with her token's id as the list shows it.
    let id = listed
        .lines()
        .find_map(|l| l.split('\t').next().filter(|n| n.starts_with("alice#")))
        .expect("alice's id")
        .to_owned();
    let mut audit = String::new();
    for _ in 0..50 {
        audit = ok(root, &["serve", "audit", "--data", "us"]);
        if audit.contains("\t401") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        audit.contains(&format!("{id}\toperator\t127.0.0.1:")) && audit.contains("POST /api/v1/session\t200"),
        "{audit}"
    );
    assert!(
        audit.contains("expired or unknown session\t-") && audit.contains("GET /api/v1/outbox\t401"),
        "{audit}"
    );
    assert!(!audit.contains(&alice), "the audit log never shows a token");
    let rows: serde_json::Value =
        serde_json::from_str(&ok(root, &["serve", "audit", "--data", "us", "--after", "1", "--format", "json"])).expect("json");
    assert_eq!(rows[0]["seq"], 2, "{rows}");
    for bad in ["0d", "soon", "2001-01-01T00:00:00Z"] {
        let (code, _, err) = accord(root, &["serve", "token", "--data", "us", "--role", "operator", "--expires", bad]);
        assert_eq!(code, 2, "--expires {bad}: {err}");
        assert!(err.contains("expire"), "{err}");
    }
    us.stop();
}

/// `inspection list` and `proposal list` without `--on` take the node's treaty clock, not the
/// computer's date: a stopped folder's virtual clock as last set, and a running node's, which
/// resumed from it after the restart.
#[test]
fn lists_default_to_the_nodes_treaty_clock() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = lone_us(root);
    let cfg = root.join("us.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}[clock]\nvirtual_start = \"2011-03-01T00:00:00Z\"\n")).unwrap();
    us.start(root);
    let (st, v) = json(us.port, "PUT", "/api/v1/clock", &us.op, br#"{"now": "2011-06-01T12:00:00Z"}"#);
    assert_eq!(st, 200, "{v}");
    us.stop();
    let on = |args: &[&str]| -> String {
        let v: serde_json::Value = serde_json::from_str(&ok(root, args)).unwrap();
        v["on"].as_str().map(str::to_owned).unwrap_or_else(|| v["record"]["on"].to_string())
    };
    let stopped = ["--data", "us", "--config", "us.toml", "--format", "json"];
    assert_eq!(on(&[&["inspection", "list"][..], &stopped].concat()), "2011-06-01");
    us.start(root);
    let url = format!("http://127.0.0.1:{}", us.port);
    let running = ["--node", url.as_str(), "--token", us.op.as_str(), "--format", "json"];
    assert_eq!(
        on(&[&["inspection", "list"][..], &running].concat()),
        "2011-06-01",
        "resumed after the restart"
    );
    us.stop();
}

/// The US node of a folder `root`, configured with a partner that never answers (not started).
pub(crate) fn lone_us(root: &Path) -> Node {
    let us = Node::init(root, "US", "us");
    let ru = Node::init(root, "RU", "ru");
    air_gapped_config(root, &us, "US", &ru, "RU");
    us
}
