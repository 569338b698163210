//! The web page in a real browser: Debian's Chromium, headless, driven over the W3C WebDriver
//! protocol by chromedriver (plain HTTP; no driver crate), against a real `accord serve`.
//! The public figures appear without signing in and nothing confidential does; a wrong token
//! is refused with the reason shown; a token is exchanged for an HttpOnly session cookie that
//! page scripts cannot read, which survives a reload; the outbox and role appear; signing out
//! ends the session on the server. Needs `chromium` and `chromium-driver` (apt; `.ci/run`
//! installs them). `ACCORD_SKIP_BROWSER=1` skips it, loudly.

#![allow(clippy::unwrap_used)]

use crate::common::node::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    port: u16,
    child: Child,
    session: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), or set ACCORD_SKIP_BROWSER=1"));
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() || http(port, "GET", "/status", &[], b"").0 != 200 {
            assert!(t0.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let mut d = Driver {
            port,
            child,
            session: String::new(),
            _profile: profile,
        };
        let v = d.call("POST", "/session", Some(caps));
        d.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_owned();
        d
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let b = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let (st, out) = http(self.port, method, path, &[("Content-Type", "application/json")], &b);
        let v: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
        assert_eq!(st, 200, "WebDriver {method} {path}: {st} {v}");
        v["value"].clone()
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call("POST", &self.s("/element"), Some(json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &self.s(&format!("/element/{e}/text")), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn displayed(&self, css: &str) -> bool {
        let e = self.find(css);
        self.call("GET", &self.s(&format!("/element/{e}/displayed")), None)
            .as_bool()
            .unwrap()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &self.s(&format!("/element/{e}/clear")), Some(json!({})));
        self.call("POST", &self.s(&format!("/element/{e}/value")), Some(json!({"text": text})));
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &self.s(&format!("/element/{e}/click")), Some(json!({})));
    }

    fn script(&self, js: &str) -> Value {
        self.call("POST", &self.s("/execute/sync"), Some(json!({"script": js, "args": []})))
    }

    /// Waits until `f` holds (the page updates itself asynchronously).
    fn until(&self, what: &str, f: impl Fn(&Driver) -> bool) {
        let t0 = Instant::now();
        while !f(self) {
            assert!(t0.elapsed() < Duration::from_secs(20), "the page never showed {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(self.port, "DELETE", &format!("/session/{}", self.session), &[], b"");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_web_page_in_a_real_browser() {
    if std::env::var("ACCORD_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: the browser test (ACCORD_SKIP_BROWSER=1)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = Node::init(root, "US", "us");
    let ru = Node::init(root, "RU", "ru");
    air_gapped_config(root, &us, "US", &ru, "RU");
    us.start(root);
    let (n, _) = notifications(root, 30);
    submit(&us, &n);
    let size = us.status()["size"].as_u64().unwrap();
    let (_, outbox) = json(us.port, "GET", "/api/v1/outbox?limit=1", &us.op, b"");
    let total = outbox["total"].as_u64().unwrap();
    assert!(total >= 30);

    let d = Driver::start();
    let base = format!("http://127.0.0.1:{}/", us.port);
    d.go(&base);
    // Public figures, without signing in; the party section hidden and empty.
    d.until("the log size", |d| d.text("#size") == size.to_string());
    assert_eq!(d.text("h1"), "accord — US node");
    assert!(d.displayed("#signin"));
    assert!(!d.displayed("#party"));
    let html = d.script("return document.documentElement.outerHTML").as_str().unwrap().to_owned();
    let first_id = n[0]["id"].as_str().unwrap();
    assert!(!html.contains(first_id), "a notification id is on the public page");

    // A wrong token: refused, the reason shown, still signed out.
    d.type_into("#token", "accord_not-a-token");
    d.click("#signin-button");
    d.until("the refusal", |d| d.text("#login-error").contains("unknown token"));
    assert!(!d.displayed("#party"));

    // The operator token: a session cookie, HttpOnly (page scripts cannot read it).
    d.type_into("#token", &us.op);
    d.click("#signin-button");
    d.until("the operator's view", |d| d.displayed("#party") && d.text("#role") == "operator");
    d.until("the outbox", |d| d.text("#outbox-total") == total.to_string());
    let rows = d
        .script("return document.querySelectorAll('#outbox tbody tr').length")
        .as_u64()
        .unwrap();
    assert_eq!(rows, total.min(20));
    assert_eq!(d.text("#token").len(), 0, "the token stays in the field");
    assert!(!d.script("return document.cookie").as_str().unwrap().contains("accord_session"));
    let cookies = d.call("GET", &d.s("/cookie"), None);
    let session = cookies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "accord_session")
        .unwrap_or_else(|| panic!("no session cookie: {cookies}"));
    assert_eq!(session["httpOnly"], true);
    let sid = session["value"].as_str().unwrap().to_owned();
    assert!(!d.script("return location.href").as_str().unwrap().contains("accord_"));

    // A reload keeps the session.
    d.go(&base);
    d.until("the operator's view after a reload", |d| {
        d.displayed("#party") && d.text("#role") == "operator"
    });

    // Signing out ends the session on the server, not only in the browser.
    let cookie = format!("accord_session={sid}");
    assert_eq!(http(us.port, "GET", "/api/v1/session", &[("Cookie", &cookie)], b"").0, 200);
    d.click("#signout");
    d.until("the sign-in form", |d| d.displayed("#signin") && !d.displayed("#party"));
    let left = d
        .script("return document.querySelectorAll('#outbox tbody tr').length")
        .as_u64()
        .unwrap();
    assert_eq!(left, 0, "the outbox stays in the page after signing out");
    assert_eq!(http(us.port, "GET", "/api/v1/session", &[("Cookie", &cookie)], b"").0, 401);
    assert_eq!(http(us.port, "GET", "/api/v1/outbox", &[("Cookie", &cookie)], b"").0, 401);

    // A partner-reader sees the outbox, not the inbox.
    d.type_into("#token", &us.reader);
    d.click("#signin-button");
    d.until("the partner-reader's view", |d| d.text("#role") == "partner-reader");
    d.until("the inbox refused", |d| d.text("#inbox-total").contains("operators only"));
    us.stop();
}
