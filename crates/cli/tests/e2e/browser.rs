//! The dashboard in a real browser: Debian's Chromium, headless, driven through chromedriver by
//! a maintained WebDriver client (fantoccini), against a real `accord demo` (two Party nodes
//! and a witness, a few simulated years). Every page loads without a console error and
//! without a serious or critical axe-core violation, at a laptop's size and a phone's; the
//! record chart shows the published values of `data/new-start-aggregates.csv`; the public
//! view carries no confidential field (checked against the catalogue's marks, as the HTML and
//! as every JSON the pages load); a proof verifies in the page, by the WebAssembly build of
//! accord-tlog, and a tampered one is rejected; a freeze declaration's limit proof is checked
//! in the page too, and one of another inventory refused; the Russian node's page is in Russian; an
//! invalid notification names its field, a valid one is submitted and the partner's
//! acknowledgement appears without a reload; a second, different checkpoint of the partner's
//! log of a size held, signed with the partner's key and presented to the node, shows a fork
//! alert on the open page within 5 s.
//!
//! Needs `chromium` and `chromium-driver` (apt) and axe-core (npm: `npm install --prefix
//! .tools/axe axe-core@4.10.3`, or `ACCORD_AXE=path/to/axe.min.js`); `.ci/run` installs all
//! three and runs the release build (`ACCORD_BROWSER_BIN`). `ACCORD_SKIP_BROWSER=1` skips it,
//! loudly. `ACCORD_SCREENSHOTS=DIR` also writes each page's screenshot at both sizes there
//! (`scripts/screenshots`); by default the test writes nothing outside its temporary folder.

#![allow(clippy::unwrap_used)]

use crate::common::live::{Chrome, Demo};
use crate::common::node::*;
use fantoccini::Locator;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The demo plays the history to this date: two data exchanges, an inspection, a few thousand
/// notifications.
const UNTIL: &str = "2012-09-10";
const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);
const PUBLIC_PAGES: [&str; 4] = ["overview", "record", "history", "verify"];

/// The browser the test drives ([`Chrome`]), with the waits and checks it needs.
struct Browser(Chrome);

impl std::ops::Deref for Browser {
    type Target = Chrome;
    fn deref(&self) -> &Chrome {
        &self.0
    }
}

impl Browser {
    async fn size(&self, (w, h): (u32, u32)) {
        self.c.set_window_size(w, h).await.unwrap();
    }

    async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits until the expression `cond` holds in the page.
    async fn until(&self, what: &str, cond: &str, secs: u64) {
        let t0 = Instant::now();
        loop {
            if self
                .js(&format!("try {{ return !!({cond}); }} catch (e) {{ return false; }}"))
                .await
                == Value::Bool(true)
            {
                return;
            }
            assert!(t0.elapsed() < Duration::from_secs(secs), "the page never showed {what} ({cond})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Loads `url` and waits until the page has rendered.
    async fn open(&self, url: &str) {
        self.c.goto(url).await.unwrap();
        self.until("the page ready", "document.body.dataset.ready === 'true'", 30).await;
        self.drawn(url).await;
    }

    /// Goes to a page of the dashboard by its link (no reload) and waits for its heading.
    async fn page(&self, page: &str) {
        self.js(&format!("location.hash = '#/{page}'")).await;
        self.until(
            &format!("the {page} page"),
            &format!("document.querySelector('main').dataset.page === '{page}'"),
            30,
        )
        .await;
        self.drawn(page).await;
    }

    /// Asserts the page in view was drawn (not the error page).
    async fn drawn(&self, what: &str) {
        let err = self
            .js("return document.querySelector('#page-error') ? document.querySelector('main').textContent : ''")
            .await;
        assert_eq!(err, "", "{what}: the page failed");
    }

    async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn click(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// The browser's console messages since the last call (chromedriver's log endpoint).
    async fn console(&self) -> Vec<Value> {
        let v = self.c.issue_cmd(BrowserLog).await.unwrap();
        v.as_array().cloned().unwrap_or_default()
    }

    /// Asserts the console holds no error (a CSP violation, a failed load, a script error).
    async fn no_console_errors(&self, what: &str) {
        let errors: Vec<Value> = self.console().await.into_iter().filter(|m| m["level"] == "SEVERE").collect();
        assert!(errors.is_empty(), "{what}: console errors: {errors:#?}");
    }

    /// Runs axe-core on the page: no serious or critical violation of WCAG 2.1 A and AA.
    async fn axe(&self, axe: &str, what: &str) {
        if self.js("return typeof axe").await != "object" {
            self.c.execute(axe, vec![]).await.unwrap();
        }
        let out = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
                   .then((r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)))
                   .catch((e) => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        let v: Vec<String> = serde_json::from_value(out).unwrap();
        assert!(v.is_empty(), "{what}: axe-core: {v:#?}");
    }

    async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("ACCORD_SCREENSHOTS") {
            self.js("window.scrollTo(0, 0)").await;
            let png = self.c.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }
}

/// chromedriver's `POST /session/{id}/se/log` (the browser's console), which fantoccini has no
/// method for.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

fn axe_source() -> String {
    let path = std::env::var("ACCORD_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/axe/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core: {}: {e}: run `npm install --prefix .tools/axe axe-core@4.10.3` (or set ACCORD_AXE), or ACCORD_SKIP_BROWSER=1",
            path.display()
        )
    })
}

/// The published cells of the aggregates file: (date, party, limit, value).
fn published_cells() -> Vec<(String, String, String, u64)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/new-start-aggregates.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if f.get(5) != Some(&"published") {
            continue;
        }
        for (i, limit) in head.iter().enumerate().take(5).skip(2) {
            if let Ok(v) = f[i].parse::<u64>() {
                out.push((f[0].to_owned(), f[1].to_owned(), (*limit).to_owned(), v));
            }
        }
    }
    out
}

/// A public route's JSON, asked without a credential.
fn public_json(port: u16, path: &str) -> Value {
    let (st, b) = http(port, "GET", path, &[], b"");
    assert_eq!(st, 200, "{path}");
    serde_json::from_slice(&b).unwrap()
}

#[test]
fn the_dashboard_in_a_real_browser() {
    if std::env::var("ACCORD_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: the browser test (ACCORD_SKIP_BROWSER=1)");
        return;
    }
    let axe = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let bin = std::env::var("ACCORD_BROWSER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_accord").to_owned());
    let demo = Demo::start(&bin, &dir.path().join("demo"), &["--until", UNTIL]);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(drive(&demo, dir.path(), &axe));
}

async fn drive(demo: &Demo, dir: &Path, axe: &str) {
    let b = Browser(Chrome::start().await);
    let (us_url, us_op) = (&demo.us.0, &demo.us.1);
    let us_port = Demo::port(us_url);

    // 1. The public view, every page, at a laptop's size and a phone's: no console error, no
    // serious or critical accessibility violation, nothing wider than the screen on a phone.
    let mut loaded: Vec<String> = Vec::new();
    let mut html: Vec<(String, String)> = Vec::new();
    for size in [LAPTOP, PHONE] {
        b.size(size).await;
        b.open(&format!("{us_url}/")).await;
        for page in PUBLIC_PAGES {
            b.page(page).await;
            let what = format!("public {page} at {}x{}", size.0, size.1);
            b.no_console_errors(&what).await;
            b.axe(axe, &what).await;
            if size == PHONE {
                let wide = b.js("return document.documentElement.scrollWidth - window.innerWidth").await;
                assert!(
                    wide.as_i64().unwrap() <= 1,
                    "{what}: the page is wider than the screen by {wide} px"
                );
            }
            html.push((
                what.clone(),
                b.js("return document.documentElement.outerHTML").await.as_str().unwrap().to_owned(),
            ));
            let names = b.js("return performance.getEntriesByType('resource').map((e) => e.name)").await;
            loaded.extend(serde_json::from_value::<Vec<String>>(names).unwrap());
            b.screenshot(&format!("public-{page}-{}", if size == PHONE { "phone" } else { "laptop" }))
                .await;
        }
    }
    b.size(LAPTOP).await;

    // 2. Nothing confidential in the public view: no notification id or declared item in the
    // HTML or any JSON the pages loaded, and every public release carries only the fields the
    // catalogue marks public for its kind.
    let (_, outbox) = json(us_port, "GET", "/api/v1/outbox?limit=500", us_op, b"");
    let (_, inbox) = json(us_port, "GET", "/api/v1/inbox?limit=500", us_op, b"");
    let (_, insp) = json(us_port, "GET", "/api/v1/inspections", us_op, b"");
    let mut secrets: Vec<String> = Vec::new();
    for it in outbox["items"].as_array().unwrap().iter().chain(inbox["items"].as_array().unwrap()) {
        secrets.push(format!("\"{}\"", it["id"].as_str().unwrap()));
    }
    for i in insp["inspections"].as_array().unwrap() {
        for item in i["declared"]["items"].as_array().into_iter().flatten().take(50) {
            secrets.push(item.as_str().unwrap().to_owned());
        }
    }
    assert!(secrets.len() > 100, "too few confidential values to look for: {}", secrets.len());
    loaded.sort();
    loaded.dedup();
    let mut jsons = 0;
    for url in &loaded {
        let path = url
            .strip_prefix(us_url.as_str())
            .unwrap_or_else(|| panic!("the page loaded {url} from elsewhere"));
        if path.starts_with("/api/v1/events") || path.starts_with("/assets/") {
            continue;
        }
        let (st, body) = http(us_port, "GET", path, &[], b"");
        assert_eq!(st, 200, "{path}");
        let text = String::from_utf8_lossy(&body);
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{path} (public) shows {s}");
        }
        jsons += 1;
    }
    assert!(jsons >= 6, "the public pages loaded only {jsons} documents: {loaded:?}");
    for (what, h) in &html {
        for s in &secrets {
            assert!(!h.contains(s.trim_matches('"')), "{what} shows {s}");
        }
    }
    let cat = public_json(us_port, "/public/catalogue");
    let rel = public_json(us_port, "/public/releases");
    let releases = rel["releases"].as_array().unwrap();
    assert!(!releases.is_empty());
    for r in releases {
        let kind = r["release"]["kind"].as_str().unwrap();
        let spec = cat.as_array().unwrap().iter().find(|k| k["kind"] == kind).unwrap();
        assert_eq!(spec["visibility"], "public", "a release of a confidential kind: {r}");
        for key in r["release"]["body"].as_object().unwrap().keys() {
            let f = spec["fields"].as_array().unwrap().iter().find(|f| f["field"] == key.as_str());
            assert!(
                f.is_some_and(|f| f["visibility"] == "public"),
                "release {} carries {key}, not a public field of {kind}",
                r["index"]
            );
        }
    }

    // 3. The record chart shows every published value of the aggregates file.
    b.page("record").await;
    let drawn = b
        .js("return [...document.querySelectorAll('circle[data-basis=published]')].map((c) => [c.dataset.date, c.dataset.party, c.dataset.limitName, Number(c.dataset.value)])")
        .await;
    let drawn: Vec<(String, String, String, u64)> = serde_json::from_value(drawn).unwrap();
    let want = published_cells();
    assert!(want.len() > 120, "{}", want.len());
    for w in &want {
        assert!(
            drawn.contains(w),
            "the chart does not show the published {w:?}; it shows {} points, first {:?}",
            drawn.len(),
            drawn.first()
        );
    }
    assert_eq!(
        drawn.len(),
        want.len(),
        "the chart shows figures as published that the file does not"
    );
    // A point's value by keyboard: focus shows the tooltip.
    b.js("document.querySelector('circle[data-basis=published]').focus()").await;
    b.until("the tooltip on focus", "document.querySelector('.chart .tip') && !document.querySelector('.chart .tip').hidden && document.querySelector('.chart .tip').textContent.includes('882')", 5)
        .await;
    for k in ["withheld", "unsourced"] {
        assert!(
            b.js(&format!("return document.querySelectorAll('[data-basis={k}]').length"))
                .await
                .as_u64()
                .unwrap()
                > 0,
            "no {k} mark"
        );
    }

    // 4. A proof verifies in the page (WebAssembly), a tampered one is rejected, in red.
    b.page("verify").await;
    b.click("#verify-latest").await;
    b.until(
        "a verified proof",
        "document.querySelector('#proof-result')?.dataset.ok === 'true'",
        20,
    )
    .await;
    let msg = b.text("#proof-message").await;
    assert!(msg.contains("meets the policy"), "{msg}");
    b.click("#verify-tampered").await;
    b.until(
        "a rejected proof",
        "document.querySelector('#proof-result')?.dataset.ok === 'false'",
        20,
    )
    .await;
    let msg = b.text("#proof-message").await;
    assert!(!msg.is_empty(), "a rejection without a reason");
    let colour = b
        .js("return getComputedStyle(document.querySelector('#proof-result')).borderColor")
        .await;
    assert_eq!(colour, "rgb(164, 0, 0)", "the rejection is not shown in red");
    // A release of the freeze: its limit proof is checked in the page too, and the limit proof
    // of another inventory is refused, naming why (a log of its own, its policy pasted).
    let fz = dir.join("freeze");
    std::fs::create_dir_all(&fz).unwrap();
    crate::inventory::freeze_releases(&fz);
    let key = ok(&fz, &["log", "key", "--data", "us"]);
    let policy = format!("log {}\nquorum none\n", key.trim());
    for (file, good, says) in [
        ("p0.tlog-proof", true, "its limit proof verifies"),
        ("p1.tlog-proof", false, "not of the inventory"),
    ] {
        let proof = std::fs::read_to_string(fz.join(file)).unwrap();
        b.c.execute(
            "document.querySelector('#paste-proof').value = arguments[0]; document.querySelector('#paste-policy').value = arguments[1]; document.querySelector('#paste-result').replaceChildren();",
            vec![json!(proof), json!(policy)],
        )
        .await
        .unwrap();
        b.click("#paste-verify").await;
        b.until(
            "the pasted proof's result",
            &format!("document.querySelector('#paste-result .result')?.dataset.ok === '{good}'"),
            20,
        )
        .await;
        let msg = b.text("#paste-message").await;
        assert!(msg.contains(says), "{file}: {msg}");
    }
    b.no_console_errors("the proof checks").await;

    // From the overview, a first-time visitor reaches the record chart, the live exchange and
    // a verified proof in at most two clicks each.
    b.open(&format!("{us_url}/")).await;
    b.click("#go-record").await;
    b.until(
        "the chart after one click",
        "document.querySelectorAll('.chart svg').length === 3",
        10,
    )
    .await;
    b.click("nav a[data-page=overview]").await;
    b.until("the overview", "document.querySelector('main').dataset.page === 'overview'", 10)
        .await;
    b.click("#go-live").await;
    b.until(
        "the exchange's page after one click",
        "document.querySelector('main').dataset.page === 'notifications' && document.querySelector('#token')",
        10,
    )
    .await;
    b.click("nav a[data-page=verify]").await;
    b.until("the verify page", "document.querySelector('#verify-latest')", 10).await;
    b.click("#verify-latest").await;
    b.until(
        "a verified proof after two clicks",
        "document.querySelector('#proof-result')?.dataset.ok === 'true'",
        20,
    )
    .await;

    // 5. The Russian node's page is in Russian.
    b.open(&format!("{}/", demo.ru.0)).await;
    assert_eq!(b.js("return document.documentElement.lang").await, "ru");
    let nav = b.text("#nav").await;
    assert!(nav.contains("Обзор") && nav.contains("Проверка"), "{nav}");
    assert!(b.text("main h1").await.contains("Договор"));
    b.axe(axe, "the Russian overview").await;
    b.screenshot("ru-overview-laptop").await;
    b.no_console_errors("the Russian page").await;

    // 6. Signed in as the US operator: the mailboxes, paged.
    b.open(&format!("{us_url}/#/notifications")).await;
    b.type_into("#token", us_op).await;
    b.click("#signin-button").await;
    b.until("the outbox", "document.querySelectorAll('#outbox tbody tr').length === 20", 20)
        .await;
    let first = b.js("return document.querySelector('#outbox tbody tr td').textContent").await;
    b.click("#page-older").await;
    b.until(
        "the next page",
        &format!("document.querySelector('#outbox tbody tr td').textContent !== {first}"),
        10,
    )
    .await;
    b.click("#page-newer").await;
    b.until(
        "the first page again",
        &format!("document.querySelector('#outbox tbody tr td').textContent === {first}"),
        10,
    )
    .await;
    b.axe(axe, "the notifications page").await;
    b.screenshot("operator-notifications-laptop").await;

    // 7. Compose: an invalid notification names its field as one types; a valid one is
    // submitted, and the partner's acknowledgement appears without a reload.
    b.js("window.__noReload = true").await;
    b.c.find(Locator::Css("#c-kind"))
        .await
        .unwrap()
        .select_by_value("flight_plan")
        .await
        .unwrap();
    let date = b.js("return document.querySelector('#c-date').value").await;
    assert_eq!(date.as_str().unwrap(), &UNTIL[..10], "the form offers the treaty clock's date");
    // A flight two days on: notified in time (six hours before, at the latest).
    b.js("const d = document.querySelector('#c-date'); d.value = '2012-09-12'; d.dispatchEvent(new Event('input'))")
        .await;
    b.type_into("#c-body", "{}").await;
    b.until(
        "the missing field named",
        "document.querySelector('#c-problem').textContent.includes('body.reference')",
        10,
    )
    .await;
    assert_eq!(b.js("return document.querySelector('#c-submit').disabled").await, true);
    b.type_into("#c-body", r#"{"reference": "FP-BROWSER-1"}"#).await;
    b.until("the notification valid", "!document.querySelector('#c-submit').disabled", 10)
        .await;
    b.click("#c-submit").await;
    b.until("the receipt", "document.querySelector('#c-receipt')", 20).await;
    b.until(
        "the partner's acknowledgement",
        "document.querySelector('#c-ack').className === 'ok'",
        30,
    )
    .await;
    assert_eq!(b.js("return window.__noReload === true").await, true, "the page reloaded");
    b.no_console_errors("compose and submit").await;

    // The other signed-in pages: drawn, accessible, no console error; an inspection's report
    // in English and Russian side by side.
    for page in ["overview", "inspections", "history"] {
        b.page(page).await;
        b.axe(axe, &format!("signed-in {page}")).await;
        b.no_console_errors(&format!("signed-in {page}")).await;
    }
    b.page("inspections").await;
    assert!(b.text("#quotas").await.contains("10"), "the quotas");
    b.click("main section.card button").await;
    b.until(
        "the report in both languages",
        "document.querySelectorAll('.side pre').length === 2 && document.querySelector('.side [lang=ru] pre').textContent.length > 50",
        10,
    )
    .await;
    let ru = b.js("return document.querySelector('.side [lang=ru] pre').textContent").await;
    assert!(
        ru.as_str().unwrap().chars().any(|c| ('а'..='я').contains(&c)),
        "the Russian report: {ru}"
    );
    b.screenshot("operator-inspections-laptop").await;
    b.page("notifications").await;

    // 8. A fork: a second checkpoint of the Russian log, of a size the US node holds, with
    // another root, signed with the Russian log's key and presented by the Russian node's key.
    // The open page shows the alert within 5 s.
    let status = public_json(us_port, "/api/v1/status");
    let held = status["partner"]["mirrored"].as_u64().unwrap();
    let ru_dir = dir.join("demo").join("ru");
    let log_key = accord_logstore::dir::read_key_file(&ru_dir.join("log.key")).unwrap();
    let node_key = accord_logstore::dir::read_key_file(&ru_dir.join("node.key")).unwrap();
    use base64::Engine as _;
    let root = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let mut note = accord_tlog::Note {
        text: format!("{}\n{held}\n{root}\n", log_key.name()),
        signatures: vec![],
    };
    note.sign(&log_key, 0);
    let mut body = format!("old {held}\n\n").into_bytes();
    body.extend_from_slice(&note.to_bytes());
    let peer = accord_node::client::Peer::new(reqwest::Client::new(), us_url, node_key, accord_node::clock::Ambient::system()).unwrap();
    let t0 = Instant::now();
    let r = peer.post("/witness/add-checkpoint", body, "text/plain").await.unwrap();
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    b.until(
        "the fork alert",
        "!document.querySelector('#alert-banner').hidden && document.querySelector('#alert-banner').textContent.includes('Fork')",
        5,
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(6));
    let colour = b
        .js("return getComputedStyle(document.querySelector('#alert-banner')).backgroundColor")
        .await;
    assert_eq!(colour, "rgb(164, 0, 0)");
    b.screenshot("operator-fork-alert-laptop").await;
    b.page("overview").await;
    b.until(
        "the overview's exchange frozen",
        "document.querySelector('#ex-fork').className === 'bad'",
        5,
    )
    .await;
    // Every page shows it, the public ones too.
    b.js("document.querySelector('#signout').click()").await;
    b.open(&format!("{us_url}/#/record")).await;
    b.until(
        "the fork alert on the public record",
        "!document.querySelector('#alert-banner').hidden",
        5,
    )
    .await;
}
