//! The bounded soak test (not in CI; `scripts/soak` runs it): both nodes and the witness, as
//! real processes on loopback, for `ACCORD_SOAK_SECS` (default 600) under mixed load: 200
//! concurrent readers of every kind of route on both nodes, submissions to both, a probe of
//! `/health` every 10 ms, each node's virtual clock moved ahead of the other by up to an hour
//! in turn (the receiving clock behind the sender's), and a SIGKILL of a node or the witness
//! every `ACCORD_SOAK_KILL_SECS` (default 45). At the end both logs and mirrors verify with
//! every cosignature, every notification is acknowledged exactly once, and every receipt is at
//! or after its notification's `sent`. Prints the figures (docs/security.md keeps the last).

#![allow(clippy::unwrap_used)]

use crate::common::node::*;
use crate::serve::{setup_with, wait_synced, witness_args, Net};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_kib(child: Option<&std::process::Child>) -> u64 {
    child
        .and_then(|c| std::fs::read_to_string(format!("/proc/{}/status", c.id())).ok())
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// Moves a node's virtual clock to `at` (forward only; a time behind it is left).
fn set_clock(n: &Node, at: i64) {
    let body = format!("{{\"now\": \"{}\"}}", accord_node::clock::rfc3339(at));
    let _ = json(n.port, "PUT", "/api/v1/clock", &n.op, body.as_bytes());
}

#[test]
#[ignore = "the soak test: scripts/soak runs it (10 minutes)"]
fn soak() {
    let secs = env("ACCORD_SOAK_SECS", 600);
    let kill_every = env("ACCORD_SOAK_KILL_SECS", 45);
    let readers = env("ACCORD_SOAK_READERS", 200) as usize;
    let seed = env("ACCORD_SOAK_SEED", 11);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut net: Net = setup_with("[clock]\nvirtual_start = \"2011-02-01T00:00:00Z\"\n");
    let root = net.root.clone();
    let (us_n, ru_n) = notifications(&root, 100_000);
    println!(
        "soak: {secs} s, {readers} readers, a SIGKILL every {kill_every} s; {} + {} notifications to send",
        us_n.len(),
        ru_n.len()
    );
    let rss_start = (rss_kib(net.us.child.as_ref()), rss_kib(net.ru.child.as_ref()));

    // A reader's request to a node being killed fails by panicking in the helper: caught and
    // counted (status 0), not printed.
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let stop = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u64>::new()));
    let reads = Arc::new(AtomicU64::new(0));
    let routes: Vec<(&str, bool)> = vec![
        ("/api/v1/compliance", true),
        ("/api/v1/outbox?limit=50", true),
        ("/api/v1/inbox?limit=50", true),
        ("/api/v1/state", true),
        ("/api/v1/alerts", true),
        ("/api/v1/inspections", true),
        ("/api/v1/treaty/status", false),
        ("/api/v1/timeline", false),
        ("/log/checkpoint", false),
        ("/log/tile/0/000.p/1", false),
        ("/api/v1/status", false),
        ("/metrics", false),
        ("/", false),
    ];
    let mut threads = Vec::new();
    for i in 0..readers {
        let (stop, statuses, reads) = (stop.clone(), statuses.clone(), reads.clone());
        let routes = routes.clone();
        let nodes = [(net.us.port, net.us.op.clone()), (net.ru.port, net.ru.op.clone())];
        threads.push(std::thread::spawn(move || {
            let mut k = i;
            while !stop.load(Ordering::Relaxed) {
                let (route, auth) = routes[k % routes.len()];
                let (port, op) = &nodes[k % 2];
                k += 7;
                let bearer = format!("Bearer {op}");
                let h: Vec<(&str, &str)> = if auth { vec![("Authorization", &bearer)] } else { vec![] };
                let st = std::panic::catch_unwind(|| http(*port, "GET", route, &h, b"").0).unwrap_or(0);
                reads.fetch_add(1, Ordering::Relaxed);
                *statuses.lock().unwrap().entry(st).or_insert(0) += 1;
                if st == 0 {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }));
    }
    let health = Arc::new(Mutex::new(Vec::<f64>::new()));
    let down = Arc::new(AtomicU64::new(0));
    {
        let (stop, health, down) = (stop.clone(), health.clone(), down.clone());
        let port = net.us.port;
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let st = std::panic::catch_unwind(|| http(port, "GET", "/health", &[], b"").0).unwrap_or(0);
                if st == 200 {
                    health.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    down.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }));
    }

    let t0 = Instant::now();
    let mut next_kill = Duration::from_secs(kill_every);
    let (mut us_at, mut ru_at) = (0usize, 0usize);
    let (mut kills, mut skews) = (Vec::new(), 0u64);
    let batch = 20;
    let sent_of = |v: &Value| accord_node::view::parse_time(v["sent"].as_str().unwrap()).unwrap();
    while t0.elapsed() < Duration::from_secs(secs) {
        // Submissions: a batch to each node, each node's clock first moved to the batch's last
        // `sent` plus a random lead of up to an hour (so the partner's clock is now ahead, now
        // behind).
        for us_turn in [true, false] {
            let (node, list, at) = if us_turn {
                (&net.us, &us_n, &mut us_at)
            } else {
                (&net.ru, &ru_n, &mut ru_at)
            };
            if *at >= list.len() {
                continue;
            }
            let b = &list[*at..(*at + batch).min(list.len())];
            let latest = b.iter().map(sent_of).max().unwrap();
            set_clock(node, latest + rng.gen_range(0..3600));
            skews += 1;
            submit(node, b);
            *at += b.len();
        }
        if t0.elapsed() >= next_kill {
            next_kill += Duration::from_secs(kill_every);
            let pause = Duration::from_millis(rng.gen_range(0..2000));
            match rng.gen_range(0..3) {
                0 => {
                    net.us.kill9();
                    std::thread::sleep(pause);
                    net.us.start(&root);
                    kills.push("US node");
                }
                1 => {
                    net.ru.kill9();
                    std::thread::sleep(pause);
                    net.ru.start(&root);
                    kills.push("RU node");
                }
                _ => {
                    let _ = net.witness.kill();
                    let _ = net.witness.wait();
                    std::thread::sleep(pause);
                    let listen = format!("127.0.0.1:{}", net.wport);
                    net.witness = start(&root, &witness_args(&listen, &net.us.node_key, &net.ru.node_key), "w.log");
                    kills.push("witness");
                }
            }
        }
        if us_at >= us_n.len() && ru_at >= ru_n.len() {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let load_secs = t0.elapsed().as_secs_f64();
    let rss_end = (rss_kib(net.us.child.as_ref()), rss_kib(net.ru.child.as_ref()));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    std::panic::set_hook(quiet);
    // Every clock past every notification, then both sides synced.
    let last = us_n[..us_at].iter().chain(&ru_n[..ru_at]).map(sent_of).max().unwrap_or(0);
    set_clock(&net.us, last + 3600);
    set_clock(&net.ru, last + 3600);
    let t1 = Instant::now();
    let (a, b) = wait_synced(&net, us_at as u64, ru_at as u64);
    let sync_secs = t1.elapsed().as_secs_f64();
    net.us.stop();
    net.ru.stop();

    // Both logs and mirrors verify, with every cosignature checked against its key.
    for d in ["us", "ru"] {
        let config = format!("{d}.toml");
        let (code, out, err) = accord(&root, &["log", "verify", "--data", d, "--config", &config]);
        assert_eq!(code, 0, "{d}: {out}{err}");
    }
    let (ue, re) = (entries(&root.join("us").join("log.db")), entries(&root.join("ru").join("log.db")));
    acknowledged_once(&ue, &re, us_at);
    acknowledged_once(&re, &ue, ru_at);
    // Every receipt at or after its notification's `sent`.
    let mut receipts = 0;
    let mut clamped = 0;
    for (acks, notes) in [(&re, &ue), (&ue, &re)] {
        for (e, _) in acks.iter().filter(|(e, _)| e.get("received").is_some()) {
            let i = e["refs"][0]["index"].as_u64().unwrap() as usize;
            let sent = notes[i].0["notification"]["sent"].as_str().or(notes[i].0["sent"].as_str()).unwrap();
            let received = e["received"].as_str().unwrap();
            let (s, r) = (
                accord_node::view::parse_time(sent).unwrap(),
                accord_node::view::parse_time(received).unwrap(),
            );
            assert!(r >= s, "receipt {received} before sent {sent}: {e}");
            receipts += 1;
            if r == s {
                clamped += 1;
            }
        }
    }
    let mut h = health.lock().unwrap().clone();
    h.sort_by(f64::total_cmp);
    let st = statuses.lock().unwrap().clone();
    println!("\nsoak figures ({load_secs:.0} s of load, seed {seed}):");
    println!(
        "  notifications logged: US {us_at}, RU {ru_at}; sizes US {} RU {}; synced {sync_secs:.1} s after the load",
        a["size"], b["size"]
    );
    println!("  reads: {} by {readers} readers, by status {st:?}", reads.load(Ordering::Relaxed));
    println!(
        "  /health every 10 ms on the US node: {} answered, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; {} unanswered (node down)",
        h.len(),
        pct(&h, 0.5),
        pct(&h, 0.99),
        h.last().copied().unwrap_or(f64::NAN),
        down.load(Ordering::Relaxed)
    );
    println!("  SIGKILLs: {} ({kills:?}); clock settings: {skews}", kills.len());
    println!(
        "  receipts: {receipts}, every one at or after its sent ({clamped} at exactly its sent: stamped by a clock behind the sender's)"
    );
    println!(
        "  resident memory (KiB): US {} -> {}, RU {} -> {}",
        rss_start.0, rss_end.0, rss_start.1, rss_end.1
    );
    println!("  both logs and mirrors verify with every cosignature; each notification acknowledged once");
}
