//! Real processes on loopback for the end-to-end tests of nodes: running `accord`, raw
//! HTTP/1.1 requests (an independent client, not accord's), node folders and processes,
//! synthetic notifications, and reading a log's SQLite file directly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub fn accord(dir: &Path, args: &[&str]) -> (i32, String, String) {
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

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = accord(dir, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

/// One HTTP/1.1 request over a fresh connection: status and body.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = http_with_head(port, method, path, headers, body);
    (status, body)
}

/// [`http`] with the response's head (status line and headers) as text.
pub fn http_with_head(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body: a failed write is not an error.
    let _ = s.write_all(body);
    // Read to the end of the body: its Content-Length, or the connection's close (some
    // servers, such as chromedriver, keep the connection open whatever the request says).
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|len| raw.len() >= end + 4 + len) {
                break;
            }
        }
    }
    let text_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..text_end]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut body = raw.get(text_end + 4..).unwrap_or_default().to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

pub fn json(port: u16, method: &str, path: &str, token: &str, body: &[u8]) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (st, b) = http(
        port,
        method,
        path,
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        body,
    );
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Signs in at the node on `port` with `token`: the session cookie's `name=value` (the sign-in
/// must answer 200).
pub fn sign_in(port: u16, token: &str) -> String {
    let (st, head, body) = http_with_head(
        port,
        "POST",
        "/api/v1/session",
        &[],
        format!("{{\"token\": \"{token}\"}}").as_bytes(),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().split(';').next().unwrap_or("").to_owned())
        })
        .unwrap_or_else(|| panic!("no session cookie: {head}"))
}

/// Sends a request whose headers are owned strings (as signing helpers make them).
pub fn http_owned(port: u16, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Vec<u8>) {
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    http(port, method, path, &h, body)
}

/// Copies a folder, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A node's folder, configuration, tokens and process.
pub struct Node {
    pub dir: PathBuf,
    pub data: String,
    pub port: u16,
    pub op: String,
    pub reader: String,
    pub log_key: String,
    pub node_key: String,
    pub child: Option<Child>,
}

pub fn start(root: &Path, args: &[&str], log: &str) -> Child {
    start_with_env(root, args, log, &[])
}

/// [`start`] with `env` added to the process's environment.
pub fn start_with_env(root: &Path, args: &[&str], log: &str, env: &[(&str, &str)]) -> Child {
    let err = std::fs::File::create(root.join(log)).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .envs(env.iter().copied())
        .arg("--stop-with-stdin")
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(c.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(
        line.contains("http://"),
        "{args:?} did not start: {line:?}; {}",
        std::fs::read_to_string(root.join(log)).unwrap_or_default()
    );
    c
}

impl Node {
    /// `accord serve init` of Party `party` in `root/data`, with an operator and a
    /// partner-reader token and a free port (not started).
    pub fn init(root: &Path, party: &str, data: &str) -> Node {
        Node::init_on(root, party, data, None)
    }

    /// [`Node::init`] with its logs and state in the PostgreSQL database `store`, if given.
    pub fn init_on(root: &Path, party: &str, data: &str, store: Option<&str>) -> Node {
        let origin = format!("accord.example/{data}/new-start");
        let mut args = vec![
            "serve", "init", "--data", data, "--party", party, "--origin", &origin, "--format", "json",
        ];
        if let Some(url) = store {
            args.extend(["--store", url]);
        }
        let v: Value = serde_json::from_str(&ok(root, &args)).unwrap();
        Node {
            dir: root.join(data),
            data: data.into(),
            port: free_port(),
            op: ok(root, &["serve", "token", "--data", data, "--role", "operator"]).trim().into(),
            reader: ok(root, &["serve", "token", "--data", data, "--role", "partner-reader"])
                .trim()
                .into(),
            log_key: v["log_key"].as_str().unwrap().into(),
            node_key: v["node_key"].as_str().unwrap().into(),
            child: None,
        }
    }

    pub fn start(&mut self, root: &Path) {
        let data = self.data.clone();
        self.child = Some(start(
            root,
            &["serve", "--data", &data, "--config", &format!("{data}.toml")],
            &format!("{data}.log"),
        ));
    }
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            drop(c.stdin.take());
            let st = c.wait().unwrap();
            assert!(st.success(), "{} stopped with {st}", self.data);
        }
    }
    pub fn status(&self) -> Value {
        let (st, v) = json(self.port, "GET", "/api/v1/status", "", b"");
        assert_eq!(st, 200);
        v
    }
}

/// The first `n` notifications of each Party from the synthetic history, as sent (no receipt).
pub fn notifications(dir: &Path, n: usize) -> (Vec<Value>, Vec<Value>) {
    ok(dir, &["simulate", "--seed", "1", "--out", "h.jsonl"]);
    let text = std::fs::read_to_string(dir.join("h.jsonl")).unwrap();
    let (mut us, mut ru) = (Vec::new(), Vec::new());
    for l in text.lines() {
        let mut v: Value = serde_json::from_str(l).unwrap();
        if v.get("sent").is_none() {
            continue;
        }
        v.as_object_mut().unwrap().remove("received");
        let side = if v["party"] == "US" { &mut us } else { &mut ru };
        if side.len() < n && v.to_string().len() < 60_000 {
            side.push(v);
        }
    }
    (us, ru)
}

/// Submits a batch, retrying (the same batch, so idempotently) until the node answers.
pub fn submit(node: &Node, batch: &[Value]) -> Value {
    let body = serde_json::to_vec(batch).unwrap();
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", node.port)).is_ok() {
            let (st, v) = json(node.port, "POST", "/api/v1/notifications", &node.op, &body);
            if st == 200 {
                return v;
            }
            assert!(st == 0 || st >= 500, "submit: {st} {v}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{}: never accepted the batch", node.data);
}

/// Every entry of a log, as JSON, and the leaf hash of each (base64).
pub fn entries(db: &Path) -> Vec<(Value, String)> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut st = c.prepare("SELECT data FROM entries ORDER BY idx").unwrap();
    let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
    rows.map(|r| {
        let b = r.unwrap();
        let leaf = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, accord_tlog::leaf_hash(&b).0);
        (serde_json::from_slice(&b).unwrap(), leaf)
    })
    .collect()
}

/// [`entries`] of a log in any store (a node's on PostgreSQL, say).
pub fn entries_in(store: &dyn accord_logstore::Store) -> Vec<(Value, String)> {
    let (size, _) = store.latest().unwrap();
    let mut out = Vec::new();
    store
        .scan_entries(0, size, &mut |_, b| {
            let leaf = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, accord_tlog::leaf_hash(b).0);
            out.push((serde_json::from_slice(b).unwrap(), leaf));
            Ok(())
        })
        .unwrap();
    out
}

/// Each of `sender`'s notifications is acknowledged exactly once in `receiver`'s log, and each
/// notification id is logged once.
pub fn acknowledged_once(sender: &[(Value, String)], receiver: &[(Value, String)], n: usize) {
    let mut acks = std::collections::HashMap::new();
    for (e, _) in receiver {
        if e.get("received").is_some() {
            let i = e["refs"][0]["index"].as_u64().unwrap();
            *acks.entry(i).or_insert(0) += 1;
            // Each acknowledgement names the entry's real leaf hash.
            assert_eq!(
                e["refs"][0]["leaf_hash"].as_str(),
                sender.get(i as usize).map(|(_, l)| l.as_str()),
                "acknowledgement of {i}"
            );
        }
    }
    let mut ids = std::collections::HashSet::new();
    let mut notes = 0;
    for (i, (e, leaf)) in sender.iter().enumerate() {
        if e.get("received").is_none() && e.get("public").is_none() {
            notes += 1;
            let _ = leaf;
            assert!(
                ids.insert(e["notification"]["id"].to_string()),
                "id logged twice: {}",
                e["notification"]["id"]
            );
            assert_eq!(
                acks.get(&(i as u64)),
                Some(&1),
                "entry {i} acknowledged {:?} times",
                acks.get(&(i as u64))
            );
        }
    }
    assert_eq!(notes, n);
    assert_eq!(acks.len(), n, "acknowledgements of entries that are not notifications");
}

/// Writes `root/<a.data>.toml` for Party `party` whose partner `other` is node `b`, reached at
/// `partner_port` and polled every `poll_ms`, with `more` (TOML) at the end.
pub fn write_config(root: &Path, a: &Node, party: &str, b: &Node, other: &str, (partner_port, poll_ms): (u16, u32), more: &str) {
    std::fs::write(
        root.join(format!("{}.toml", a.data)),
        format!(
            "party = \"{party}\"\nlisten = \"127.0.0.1:{}\"\n[partner]\nparty = \"{other}\"\nurl = \"http://127.0.0.1:{partner_port}\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n[exchange]\npoll_ms = {poll_ms}\n{more}",
            a.port, b.log_key, b.node_key
        ),
    )
    .unwrap();
}

/// [`write_config`] with the partner at a closed port: the nodes share no link (only bundles,
/// or nothing, cross).
pub fn air_gapped_config(root: &Path, a: &Node, party: &str, b: &Node, other: &str) {
    write_config(root, a, party, b, other, (free_port(), 60000), "");
}
