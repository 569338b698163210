//! The dashboard: its page and files, embedded in the binary from `crates/node/web/` (nothing
//! fetched at run time), and the routes only it needs: the record's charts, the policy the
//! page's proof check uses, and live events.
//!
//! Invariants: every file of the page is served with the one content security policy
//! [`policy`] (scripts and styles from this node only, its own WebAssembly, requests to this
//! node only, no framing); the page is a client of the JSON API and holds no data of its own;
//! the routes here are public and carry only public data (the published record, the keys and
//! the status `/api/v1/status` already shows); an event stream takes one of its client's
//! places (`limits.long_polls_per_client`, counted apart from its long polls) while open.

use super::extract::error;
use crate::state::Shared;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

type S = State<Arc<Shared>>;

/// One embedded file of the page.
pub struct Asset {
    /// Its name under `/assets/`.
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $ct:literal),+ $(,)?) => {
        &[$(Asset { name: $name, content_type: $ct, bytes: include_bytes!(concat!("../../web/", $name)) }),+]
    };
}

/// The page's files (`index.html` is served at `/`).
pub const ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "chart.js" => "text/javascript; charset=utf-8",
    "verify.js" => "text/javascript; charset=utf-8",
    "messages.json" => "application/json",
    "icon.svg" => "image/svg+xml",
    "accord_verify.wasm" => "application/wasm",
};

/// The page's content security policy: its own scripts, styles and WebAssembly
/// (`'wasm-unsafe-eval'` lets a script compile the node's own `.wasm`), requests to this node
/// only, no framing, no forms elsewhere.
pub fn policy() -> &'static str {
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

/// Each asset's entity tag (a prefix of its SHA-256), made once.
fn etag(a: &Asset) -> &'static str {
    static TAGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        use sha2::Digest as _;
        ASSETS
            .iter()
            .map(|a| {
                let h = sha2::Sha256::digest(a.bytes);
                format!("\"{}\"", h[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
            })
            .collect()
    });
    ASSETS
        .iter()
        .position(|x| x.name == a.name)
        .and_then(|i| tags.get(i))
        .map_or("", |t| t.as_str())
}

fn serve(a: &Asset, req: &HeaderMap) -> Response {
    let tag = etag(a);
    let mut r = if req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, a.content_type)], a.bytes).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy()));
    // Revalidated at every load (an upgraded node serves its new page at once).
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    r
}

/// `GET /`: the dashboard's page.
pub async fn index(req: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == "index.html") {
        Some(a) => serve(a, &req),
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "the page is not in this build"),
    }
}

/// `GET /assets/{name}`: one of the page's files.
pub async fn asset(Path(name): Path<String>, req: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => serve(a, &req),
        None => error(StatusCode::NOT_FOUND, format!("no asset {name:?}")),
    }
}

/// `GET /public/record`: each Party's published aggregates at each data-exchange date, with
/// where each figure comes from (published, derived, unsourced, withheld, modelled), the limits
/// and the milestones (`accord_sim::record`).
pub async fn record(State(s): S) -> Response {
    let s2 = s.clone();
    let out = tokio::task::spawn_blocking(move || {
        s2.record
            .get_or_init(|| {
                accord_sim::record::record(&s2.spec)
                    .map_err(|e| e.to_string())
                    .and_then(|r| serde_json::to_vec(&r).map_err(|e| e.to_string()))
                    .map(bytes::Bytes::from)
            })
            .clone()
    })
    .await;
    match out {
        Ok(Ok(b)) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("the record: {e}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /public/catalogue`: the treaty's notification catalogue (public, as the treaty is):
/// each kind with its title, section, deadline, visibility and fields, each field marked
/// public or confidential. The compose form offers its kinds and fields.
pub async fn catalogue(State(s): S) -> Response {
    match serde_json::to_vec(s.spec.catalogue.kinds()) {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /public/policy`: the C2SP tlog-policy that makes a checkpoint of this node's log final
/// (the configured file, or the rule the node applies written as one: its log key, the
/// partner's node key and the witnesses' keys, and the quorum). The page checks proofs against
/// it; a careful reader compares its keys with those published elsewhere.
pub async fn policy_text(State(s): S) -> Response {
    let text = match &s.cfg.exchange.policy {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("exchange.policy: {p}: {e}");
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the policy file could not be read (see the node's log)",
                );
            }
        },
        None => written_policy(&s),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The node's finality rule (the partner's cosignature and `witness_quorum` of the witnesses')
/// as a C2SP tlog-policy.
fn written_policy(s: &Shared) -> String {
    let mut out = format!("# when a checkpoint of {} is final\nlog {}\n", s.origin, s.log_vkey);
    let partners: Vec<String> = s
        .keys
        .partners
        .iter()
        .map(|p| format!("partner-{}", p.party.to_lowercase()))
        .collect();
    for (name, p) in partners.iter().zip(&s.keys.partners) {
        out.push_str(&format!("witness {name} {}\n", p.node));
    }
    let witnesses: Vec<String> = (1..=s.keys.witnesses.len()).map(|i| format!("witness-{i}")).collect();
    for (name, k) in witnesses.iter().zip(&s.keys.witnesses) {
        out.push_str(&format!("witness {name} {k}\n"));
    }
    let q = s.cfg.quorum();
    let mut members = partners.clone();
    if q > 0 && !witnesses.is_empty() {
        out.push_str(&format!("group witnesses {} {}\n", q.min(witnesses.len()), witnesses.join(" ")));
        members.push("witnesses".into());
    }
    if members.is_empty() {
        out.push_str("quorum none\n");
    } else {
        out.push_str(&format!("group final all {}\nquorum final\n", members.join(" ")));
    }
    out
}

/// `GET /api/v1/events`: server-sent events, public: `status` (the JSON of `/api/v1/status`)
/// whenever the node makes progress or its clock moves, at most four times a second, and
/// `alert` (the number of alerts and whether a fork froze the exchange) before it whenever an
/// alert is raised. A signed-in page fetches what changed. Each client address holds at most
/// `limits.long_polls_per_client` streams (apart from its long polls); beyond, 429. The status
/// is made once per change for every stream; streams end when the node stops.
pub async fn events(State(s): S, client: super::listen::Client) -> Response {
    let why = || {
        format!(
            "{} event streams already open from this address (limits.long_polls_per_client)",
            s.cfg.limits.long_polls_per_client
        )
    };
    let slot = match super::extract::place(&s, &s.event_streams, &client, why, "5") {
        Ok(slot) => slot,
        Err(r) => return r,
    };
    struct Stream {
        s: Arc<Shared>,
        rx: tokio::sync::watch::Receiver<u64>,
        stopping: tokio::sync::watch::Receiver<bool>,
        alerts: Option<(u64, bool)>,
        first: bool,
        pending: Vec<Event>,
        _slot: super::listen::Slot,
    }
    let st = Stream {
        rx: s.changed.subscribe(),
        stopping: s.stopping.subscribe(),
        s,
        alerts: None,
        first: true,
        pending: Vec::new(),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if let Some(e) = st.pending.pop() {
                return Some((Ok::<Event, std::convert::Infallible>(e), st));
            }
            if *st.stopping.borrow() {
                return None;
            }
            if !st.first {
                // Progress comes in bursts: one event per quarter second at most.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                    _ = st.stopping.changed() => return None,
                }
                tokio::select! {
                    r = st.rx.changed() => if r.is_err() { return None },
                    _ = st.stopping.changed() => return None,
                }
            }
            st.first = false;
            let at = *st.rx.borrow_and_update();
            let s2 = st.s.clone();
            let Ok((json, alerts, frozen)) = tokio::task::spawn_blocking(move || status_event(&s2, at)).await else {
                return None;
            };
            let mut out = vec![Event::default().event("status").data(json.as_str())];
            if st.alerts != Some((alerts, frozen)) {
                st.alerts = Some((alerts, frozen));
                let data = serde_json::json!({"alerts": alerts, "frozen": frozen}).to_string();
                // Alerts first: `pending` is popped from its end.
                out.push(Event::default().event("alert").data(data));
            }
            st.pending = out;
        }
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The status's JSON as of the `changed` count `at`, made once for every stream, with the
/// alert count and whether the exchange is frozen.
fn status_event(s: &Shared, at: u64) -> (Arc<String>, u64, bool) {
    if let Ok(c) = s.status_event.lock() {
        if c.0 == at {
            return (c.1.clone(), c.2, c.3);
        }
    }
    let status = crate::exchange::status(s);
    let json = Arc::new(serde_json::to_string(&status).unwrap_or_default());
    if let Ok(mut c) = s.status_event.lock() {
        *c = (at, json.clone(), status.alerts, status.frozen);
    }
    (json, status.alerts, status.frozen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_and_both_languages_have_the_same_keys() {
        for a in ASSETS {
            assert!(!a.bytes.is_empty(), "{} is empty", a.name);
        }
        let m: serde_json::Value = serde_json::from_slice(
            ASSETS
                .iter()
                .find(|a| a.name == "messages.json")
                .map(|a| a.bytes)
                .unwrap_or_default(),
        )
        .expect("messages.json is JSON");
        let keys = |l: &str| -> Vec<String> {
            let mut k: Vec<String> = m[l].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            k.sort();
            k
        };
        assert!(keys("en").len() > 50, "too few messages");
        assert_eq!(keys("en"), keys("ru"), "English and Russian have the same message keys");
        for l in ["en", "ru"] {
            for (k, v) in m[l].as_object().into_iter().flatten() {
                assert!(v.as_str().is_some_and(|t| !t.trim().is_empty()), "{l}.{k} is empty");
            }
        }
        // Every key the scripts use is defined.
        let scripts: String = ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".js") || a.name.ends_with(".html"))
            .map(|a| String::from_utf8_lossy(a.bytes).into_owned())
            .collect();
        let en = keys("en");
        let defined = |k: &str| {
            // `t('phase.' + phase)`: a prefix some keys start with.
            if k.ends_with('.') {
                en.iter().any(|x| x.starts_with(k))
            } else {
                en.iter().any(|x| x == k)
            }
        };
        let mut used = 0;
        for (i, _) in scripts.match_indices("t('") {
            // Only calls of `t` itself (not `createElement('div')`).
            let before = scripts[..i].chars().next_back().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == '.' {
                continue;
            }
            let rest = &scripts[i + 3..];
            let k = &rest[..rest.find('\'').unwrap_or(0)];
            assert!(defined(k), "message key {k:?} is used but not defined");
            used += 1;
        }
        for (i, _) in scripts.match_indices("data-t=\"") {
            let rest = &scripts[i + 8..];
            let k = &rest[..rest.find('"').unwrap_or(0)];
            assert!(defined(k), "message key {k:?} is used but not defined");
            used += 1;
        }
        assert!(used > 100, "only {used} message keys found in the scripts");
    }

    #[test]
    fn the_policy_allows_nothing_from_elsewhere() {
        let p = policy();
        assert!(p.starts_with("default-src 'none'"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(!p.contains("unsafe-inline") && !p.contains("http"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
