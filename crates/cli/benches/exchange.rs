//! The exchange, measured with real processes on loopback (`cargo bench -p accord-cli --bench
//! exchange`): a US node, a Russian node and a witness, durable SQLite on every side, the
//! Russian node and the witness cosigning every US checkpoint.
//!
//! 1. Latency from submitting one notification at the US node to a US checkpoint that covers it
//!    cosigned by the Russian node, at 1 notification/s and at 1,000/s; baseline: one HTTP
//!    round trip to the same node (`GET /health`) in the same run.
//! 2. Sustained throughput: notifications submitted in batches as fast as they are accepted,
//!    until every one is acknowledged by the Russian node and final (cosigned by it and the
//!    witness); baseline: the same notifications appended to a log on the same disk by
//!    `accord log append --jsonl` (no network, no partner), in the same run.
//!
//! Goals (issue #4): p50 under 100 ms at 1/s, p99 under 1.5 s at 1,000/s, at least 1,000
//! notifications/s acknowledged and cosigned end to end.

#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

fn accord(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A kept-alive HTTP/1.1 connection.
struct Conn {
    s: BufReader<TcpStream>,
    port: u16,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            s: BufReader::new(s),
            port,
        }
    }

    fn call(&mut self, method: &str, path: &str, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.port,
            body.len()
        );
        let w = self.s.get_mut();
        w.write_all(head.as_bytes()).unwrap();
        w.write_all(body).unwrap();
        let mut line = String::new();
        self.s.read_line(&mut line).unwrap();
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            self.s.read_line(&mut h).unwrap();
            if h == "\r\n" || h.is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut b = vec![0; len];
        self.s.read_exact(&mut b).unwrap();
        (status, b)
    }

    fn json(&mut self, method: &str, path: &str, token: &str, body: &[u8]) -> Value {
        let (st, b) = self.call(method, path, token, body);
        assert_eq!(st, 200, "{method} {path}: {}", String::from_utf8_lossy(&b));
        serde_json::from_slice(&b).unwrap()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(root: &Path, args: &[&str]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .arg("--stop-with-stdin")
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(c.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("http://"), "{args:?}: {line}");
    c
}

struct Net {
    _t: tempfile::TempDir,
    us_port: u16,
    ru_port: u16,
    op: String,
    children: Vec<Child>,
}

impl Drop for Net {
    fn drop(&mut self) {
        for c in self.children.iter_mut() {
            drop(c.stdin.take());
        }
        for c in self.children.iter_mut() {
            let _ = c.wait();
        }
    }
}

fn network() -> Net {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let init = |party: &str, data: &str| -> Value {
        serde_json::from_str(&accord(
            &root,
            &[
                "serve",
                "init",
                "--data",
                data,
                "--party",
                party,
                "--origin",
                &format!("bench.example/{data}"),
                "--format",
                "json",
            ],
        ))
        .unwrap()
    };
    let (us, ru) = (init("US", "us"), init("RU", "ru"));
    let wkey = accord(&root, &["witness", "init", "--data", "w", "--name", "witness.example"])
        .trim()
        .to_owned();
    for k in [&us["log_key"], &ru["log_key"]] {
        accord(&root, &["witness", "follow", "--data", "w", "--vkey", k.as_str().unwrap()]);
    }
    let (pu, pr, pw) = (free_port(), free_port(), free_port());
    for (data, party, port, other, oport, o) in [("us", "US", pu, "RU", pr, &ru), ("ru", "RU", pr, "US", pu, &us)] {
        std::fs::write(
            root.join(format!("{data}.toml")),
            format!(
                "party = \"{party}\"\nlisten = \"127.0.0.1:{port}\"\n[partner]\nparty = \"{other}\"\nurl = \"http://127.0.0.1:{oport}\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n[[witness]]\nurl = \"http://127.0.0.1:{pw}\"\nkey = \"{wkey}\"\n",
                o["log_key"].as_str().unwrap(),
                o["node_key"].as_str().unwrap()
            ),
        )
        .unwrap();
    }
    let op = accord(&root, &["serve", "token", "--data", "us", "--role", "operator"])
        .trim()
        .to_owned();
    let children = vec![
        start(&root, &["witness", "serve", "--data", "w", "--listen", &format!("127.0.0.1:{pw}")]),
        start(&root, &["serve", "--data", "us", "--config", "us.toml"]),
        start(&root, &["serve", "--data", "ru", "--config", "ru.toml"]),
    ];
    Net {
        _t: t,
        us_port: pu,
        ru_port: pr,
        op,
        children,
    }
}

/// `n` distinct, valid US notifications (the synthetic history's, renumbered).
fn notifications(dir: &Path, n: usize) -> Vec<Vec<u8>> {
    accord(dir, &["simulate", "--seed", "1", "--out", "h.jsonl"]);
    let text = std::fs::read_to_string(dir.join("h.jsonl")).unwrap();
    let base: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["party"] == "US" && v.get("sent").is_some() && v.to_string().len() < 4000)
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("received");
            v
        })
        .collect();
    (0..n)
        .map(|i| {
            let mut v = base[i % base.len()].clone();
            v["id"] = format!("US-B{i:07}").into();
            serde_json::to_vec(&v).unwrap()
        })
        .collect()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Submits `items` at `rate`/s, one request each, open loop; returns each one's latency from
/// the time it was due to a checkpoint cosigned by the Russian node (ms), and the rate achieved.
fn latency(net: &Net, items: &[Vec<u8>], rate: f64) -> (Vec<f64>, f64) {
    let pending: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let done: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (pending, done, finished, port) = (pending.clone(), done.clone(), finished.clone(), net.us_port);
        std::thread::spawn(move || {
            let mut c = Conn::new(port);
            loop {
                let next = pending.lock().unwrap().iter().map(|p| p.0).min();
                let Some(size) = next else {
                    if finished.load(std::sync::atomic::Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                    continue;
                };
                let s = c.json(
                    "GET",
                    &format!("/api/v1/status?until_cosigned_by_partner={size}&timeout_ms=10000"),
                    "",
                    b"",
                );
                let cosigned = s["cosigned"]["partner"].as_u64().unwrap();
                let now = Instant::now();
                let mut p = pending.lock().unwrap();
                let mut d = done.lock().unwrap();
                p.retain(|(sz, t)| {
                    if *sz <= cosigned {
                        d.push(now.duration_since(*t).as_secs_f64() * 1000.0);
                        false
                    } else {
                        true
                    }
                });
            }
        })
    };
    // Open loop: each notification is due at i / rate; SUBMITTERS connections send them, so a
    // slow answer does not delay the next one. Latency counts from the time each was due (no
    // coordinated omission).
    const SUBMITTERS: usize = 16;
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        for k in 0..SUBMITTERS {
            let pending = pending.clone();
            let (port, op) = (net.us_port, net.op.clone());
            sc.spawn(move || {
                let mut c = Conn::new(port);
                for (i, body) in items.iter().enumerate().skip(k).step_by(SUBMITTERS) {
                    let due = t0 + Duration::from_secs_f64(i as f64 / rate);
                    if let Some(w) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(w);
                    }
                    let r = c.json("POST", "/api/v1/notifications", &op, body);
                    let size = r["receipts"][0]["size"].as_u64().unwrap();
                    pending.lock().unwrap().push((size, due));
                }
            });
        }
    });
    let achieved = items.len() as f64 / t0.elapsed().as_secs_f64();
    while !pending.lock().unwrap().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.join().unwrap();
    let mut d = done.lock().unwrap().clone();
    d.sort_by(f64::total_cmp);
    (d, achieved)
}

fn main() {
    // `cargo bench` passes --bench; a test run (`cargo test --benches`) passes nothing to do.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let all = notifications(t.path(), 31_030);
    let net = network();
    // Baseline: one round trip.
    let mut c = Conn::new(net.us_port);
    let mut rt: Vec<f64> = (0..500)
        .map(|_| {
            let t = Instant::now();
            c.call("GET", "/health", "", b"");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    rt.sort_by(f64::total_cmp);
    println!(
        "baseline: HTTP round trip GET /health  p50 {:.3} ms  p99 {:.3} ms",
        pct(&rt, 0.5),
        pct(&rt, 0.99)
    );
    let (slow, r1) = latency(&net, &all[..30], 1.0);
    println!(
        "submit -> cosigned by the partner at 1/s (30, achieved {r1:.2}/s):      p50 {:.1} ms  p99 {:.1} ms  ({:.0}x the round trip)",
        pct(&slow, 0.5),
        pct(&slow, 0.99),
        pct(&slow, 0.5) / pct(&rt, 0.5)
    );
    let (fast, r2) = latency(&net, &all[30..5030], 1000.0);
    println!(
        "submit -> cosigned by the partner at 1000/s (5000, achieved {r2:.0}/s): p50 {:.1} ms  p99 {:.1} ms",
        pct(&fast, 0.5),
        pct(&fast, 0.99)
    );
    // Throughput: batches of 500 as fast as accepted, until acknowledged and final.
    let mut ru = Conn::new(net.ru_port);
    let acked0 = ru.json("GET", "/api/v1/status", "", b"")["partner"]["acknowledged"]
        .as_u64()
        .unwrap();
    let n = 26_000usize;
    let t0 = Instant::now();
    let mut last = 0;
    for chunk in all[5030..5030 + n].chunks(500) {
        let mut body = b"[".to_vec();
        for (i, x) in chunk.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(x);
        }
        body.push(b']');
        let r = c.json("POST", "/api/v1/notifications", &net.op, &body);
        last = r["receipts"][chunk.len() - 1]["size"].as_u64().unwrap();
    }
    let accepted = t0.elapsed().as_secs_f64();
    ru.json(
        "GET",
        &format!("/api/v1/status?until_acknowledged={}&timeout_ms=60000", acked0 + n as u64),
        "",
        b"",
    );
    let acked = t0.elapsed().as_secs_f64();
    loop {
        let s = c.json("GET", &format!("/api/v1/status?until_final={last}&timeout_ms=60000"), "", b"");
        if s["reached"] == true {
            break;
        }
    }
    let fin = t0.elapsed().as_secs_f64();
    // Baseline: the same notifications appended locally by `accord log append --jsonl`.
    let base = t.path().join("base");
    accord(
        t.path(),
        &[
            "log",
            "init",
            "--data",
            base.to_str().unwrap(),
            "--origin",
            "bench.example/base",
            "--party",
            "US",
        ],
    );
    let mut jsonl = Vec::new();
    for x in &all[5030..5030 + n] {
        jsonl.extend_from_slice(x);
        jsonl.push(b'\n');
    }
    let tb = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["log", "append", "--data", base.to_str().unwrap(), "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&jsonl).unwrap();
    assert!(child.wait().unwrap().success());
    let local = tb.elapsed().as_secs_f64();
    println!(
        "throughput: {n} notifications accepted in {accepted:.2} s, acknowledged by the partner after {acked:.2} s, final (partner + witness) after {fin:.2} s: {:.0}/s end to end",
        n as f64 / fin
    );
    println!(
        "baseline: the same {n} appended locally (accord log append --jsonl) in {local:.2} s: {:.0}/s; end to end / local = {:.2}",
        n as f64 / local,
        local / fin
    );
}
