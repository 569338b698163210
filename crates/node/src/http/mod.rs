//! The node's HTTP rim: the router and its route table ([`ROUTES`], which `openapi.json`
//! describes exactly), the log's public routes (checkpoint, tiles, entries, blobs), sign-in, and
//! [`serve`]. Who is asking and the request's date are worked out in [`extract`]; the party API,
//! the exchange, the regime and bundles keep their handlers beside their logic for now.
//!
//! Adding a route: a handler, a line in [`router`], a line in [`ROUTES`] and its description in
//! `openapi.json` (a test checks the three agree).

pub mod access;
pub mod api;
pub mod audit;
pub mod body;
pub mod bundle;
pub mod exchange;
pub mod extract;
pub mod listen;
pub mod regime;
pub mod web;

use crate::exchange::{follow, push_all};
use crate::metrics::Metrics;
use crate::state::{Shared, MAX_RANGE};
use accord_logstore::store::Hashes;
use accord_logstore::store::Store;
use accord_tlog::tile::{self, TileId};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use extract::{error, Allowed, Params};
use std::sync::Arc;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 16 << 20;

/// The largest sign-in body (`{"token": …}`), read before any credential is known.
pub const SIGN_IN_BODY: usize = 4 << 10;

type S = State<Arc<Shared>>;

/// Every route of [`router`], as `(method, path)` in OpenAPI's path form; `openapi.json`
/// describes exactly these (a test checks both ways, and that each answers).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/assets/{name}"),
    ("get", "/public/record"),
    ("get", "/public/policy"),
    ("get", "/public/catalogue"),
    ("get", "/api/v1/events"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/log/checkpoint"),
    ("get", "/log/{path}"),
    ("get", "/api/v1/keys"),
    ("get", "/api/v1/checkpoints/{size}"),
    ("get", "/api/v1/status"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("post", "/api/v1/validate"),
    ("post", "/api/v1/compose"),
    ("post", "/api/v1/notifications"),
    ("get", "/api/v1/outbox"),
    ("get", "/api/v1/inbox"),
    ("get", "/api/v1/state"),
    ("get", "/api/v1/compliance"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/clock"),
    ("put", "/api/v1/clock"),
    ("get", "/api/v1/blobs/{sha256}"),
    ("get", "/api/v1/entries"),
    ("get", "/api/v1/bundle"),
    ("post", "/api/v1/bundle"),
    ("post", "/witness/add-checkpoint"),
    ("get", "/public/releases"),
    ("get", "/api/v1/treaty/status"),
    ("get", "/api/v1/timeline"),
    ("get", "/public/releases/{index}"),
    ("get", "/api/v1/inspections"),
    ("post", "/api/v1/inspections"),
    ("get", "/api/v1/inspections/{id}/report"),
    ("get", "/api/v1/proposals"),
    ("post", "/api/v1/proposals"),
    ("get", "/api/v1/proposals/{id}/evaluation"),
    ("get", "/api/v1/freeze"),
    ("post", "/api/v1/freeze"),
];

/// Headers on every response: no MIME sniffing, no framing, no referrer, and a content
/// security policy (the page's own, [`web::policy`], allowing its own scripts, styles and
/// WebAssembly, is set by [`web`]'s routes; any other response gets one that allows nothing).
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    r
}

/// The node's routes.
pub fn router(s: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(web::index))
        .route("/assets/{name}", get(web::asset))
        .route("/public/record", get(web::record))
        .route("/public/policy", get(web::policy_text))
        .route("/public/catalogue", get(web::catalogue))
        .route("/api/v1/events", get(web::events))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/{*path}", get(tile_get))
        .route("/api/v1/keys", get(keys))
        .route("/api/v1/checkpoints/{size}", get(checkpoint_at))
        .route("/api/v1/status", get(exchange::status))
        .route(
            "/api/v1/session",
            post(session)
                .get(whoami)
                .delete(sign_out)
                .layer(axum::extract::DefaultBodyLimit::max(SIGN_IN_BODY)),
        )
        .route("/api/v1/validate", post(api::validate))
        .route("/api/v1/compose", post(api::compose))
        .route("/api/v1/notifications", post(api::submit))
        .route("/api/v1/outbox", get(api::outbox))
        .route("/api/v1/inbox", get(api::inbox))
        .route("/api/v1/state", get(api::state))
        .route("/api/v1/compliance", get(api::compliance))
        .route("/api/v1/alerts", get(api::alerts))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/clock", put(api::set_clock).get(api::get_clock))
        .route("/api/v1/blobs/{sha256}", get(blob))
        .route("/api/v1/entries", get(entry_range))
        .route(
            "/api/v1/bundle",
            get(bundle::get_bundle)
                .post(bundle::post_bundle)
                .layer(axum::extract::DefaultBodyLimit::max(crate::bundle::MAX_BUNDLE)),
        )
        .route("/witness/add-checkpoint", post(exchange::add_checkpoint))
        .route("/public/releases", get(api::releases))
        .route("/api/v1/treaty/status", get(regime::treaty_status))
        .route("/api/v1/inspections", get(regime::get_inspections).post(regime::post_inspection))
        .route("/api/v1/inspections/{id}/report", get(regime::get_report))
        .route("/api/v1/proposals", get(regime::get_proposals).post(regime::post_proposal))
        .route("/api/v1/freeze", get(regime::get_freeze).post(regime::post_freeze))
        .route("/api/v1/proposals/{id}/evaluation", get(regime::get_evaluation))
        .route("/api/v1/timeline", get(regime::timeline))
        .route("/public/releases/{index}", get(api::release_proof))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(s.clone(), count))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(s)
}

/// Counts every request and runs it inside a span naming the client's address, so that what
/// a handler logs (a refusal, say) says who asked. The span is at the `warn` level, the
/// default filter's, so the address is there whenever a warning is.
async fn count(State(s): S, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use tracing::Instrument as _;
    Metrics::add(&s.metrics.requests, 1);
    let client = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.to_string());
    let span = tracing::warn_span!("request", client = %client, method = %req.method(), path = %req.uri().path());
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    // The caller of a write is named before it runs (signing out ends the session it names);
    // of a read, only if it is refused.
    let write = audit::audited(&method, StatusCode::OK);
    let credential = audit::Credential::of(req.headers());
    let before = write.then(|| audit::actor(&s, &credential));
    let r = next.run(req).instrument(span).await;
    if audit::audited(&method, r.status()) {
        let (who, role) = match (r.extensions().get::<audit::SignedIn>(), before) {
            (Some(signed_in), _) => (signed_in.0.clone(), signed_in.1.clone()),
            (None, Some(b)) => b,
            (None, None) => audit::actor(&s, &credential),
        };
        // A caller refused 401 held no role, whatever its credential would have given.
        let role = if r.status() == StatusCode::UNAUTHORIZED { "-".into() } else { role };
        audit::keep(
            &s,
            crate::storage::contract::AuditRow {
                seq: 0,
                at: s.ambient.wall.now(),
                who,
                role,
                client,
                method: method.to_string(),
                path,
                status: r.status().as_u16(),
            },
        );
    }
    r
}

async fn health(State(s): S) -> Response {
    axum::Json(body::Health {
        party: s.cfg.party.clone(),
        size: s.latest.borrow().0,
        status: "ok".into(),
    })
    .into_response()
}

async fn metrics(State(s): S) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], api::OPENAPI).into_response()
}

async fn keys(State(s): S) -> Response {
    axum::Json(body::Keys {
        log_key: s.log_vkey.to_string(),
        node_key: s.node_key.verifier().to_string(),
        origin: s.origin.clone(),
        party: s.cfg.party.clone(),
    })
    .into_response()
}

/// The latest checkpoint with every cosignature collected for it.
async fn checkpoint(State(s): S) -> Response {
    let (size, note) = s.latest.borrow().clone();
    let s2 = s.clone();
    let n2 = note.clone();
    // Only the lines that verify, by the node's cosigners (a line forged into the store is not
    // served).
    let lines = tokio::task::spawn_blocking(move || {
        let text = accord_tlog::Note::parse(&n2).map(|n| n.text).unwrap_or_default();
        let cosigners = s2.cosigners();
        s2.with_reader(|r| r.cosignatures(size).map_err(|e| e.to_string())).map(|ls| {
            ls.into_iter()
                .filter(|l| crate::state::verified_cosignature(&text, l, &cosigners).is_some())
                .collect::<Vec<_>>()
        })
    })
    .await;
    let mut body = (*note).clone();
    if let Ok(Ok(lines)) = lines {
        for l in lines {
            body.extend_from_slice(l.as_bytes());
            body.push(b'\n');
        }
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn checkpoint_at(State(s): S, UrlPath(size): UrlPath<String>) -> Response {
    let Ok(size) = size.parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, format!("size: {size:?} is not a number"));
    };
    let s2 = s.clone();
    match tokio::task::spawn_blocking(move || s2.with_reader(|r| r.checkpoint(size).map_err(|e| e.to_string()))).await {
        Ok(Ok(Some(n))) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], n).into_response(),
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no checkpoint of size {size} was signed")),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Hash tiles (public) and entry bundles (the partner and this node's people only).
async fn tile_get(State(s): S, method: Method, uri: Uri, headers: HeaderMap, UrlPath(path): UrlPath<String>) -> Response {
    let Ok((t, entries)) = TileId::parse_path(&path) else {
        return error(StatusCode::NOT_FOUND, format!("/log/{path}: not a tile path"));
    };
    if entries {
        if let Err(r) = extract::check::<access::EntryBundle>(&s, &method, &uri, &headers) {
            return r;
        }
    }
    let size = s.latest.borrow().0;
    // Hashes at the tile's Merkle level that the tree of `size` has.
    let have = size >> t.merkle_level();
    if t.first().checked_add(u64::from(t.width)).is_none_or(|end| end > have) {
        return error(StatusCode::NOT_FOUND, format!("/log/{path}: beyond the tree of size {size}"));
    }
    // A full hash tile never changes: served from memory once read.
    let cacheable = t.is_full() && !entries;
    if cacheable {
        if let Some(b) = s.tiles.lock().ok().and_then(|c| c.get(&t).cloned()) {
            return hash_tile_response(b);
        }
    }
    let s2 = s.clone();
    let got = tokio::task::spawn_blocking(move || {
        s2.with_reader(|r| {
            if entries {
                checked_bundle(r, t.first(), t.first() + u64::from(t.width))
            } else {
                tile::tile_bytes(&Hashes(r), t).map_err(|e| e.to_string())
            }
        })
    })
    .await;
    match got {
        Ok(Ok(b)) if cacheable => {
            let b = Bytes::from(b);
            if let Ok(mut c) = s.tiles.lock() {
                if c.len() >= TILE_CACHE {
                    c.clear();
                }
                c.insert(t, b.clone());
            }
            hash_tile_response(b)
        }
        Ok(Ok(b)) => {
            let cache = if t.is_full() {
                "public, max-age=31536000, immutable"
            } else {
                "no-store"
            };
            let cache = if entries { "private, no-store" } else { cache };
            (
                [(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)],
                b,
            )
                .into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/entries?start=N&end=M`: entries `N..M` (at most [`MAX_RANGE`], within the latest
/// checkpoint) in the entry-bundle encoding (each a big-endian u16 length, then the bytes):
/// what a follower lacks, without fetching a partial tile again. The partner node and this
/// node's people only.
async fn entry_range(State(s): S, _: Allowed<access::Entries>, q: Params) -> Response {
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let (Some(start), Some(end)) = (num("start"), num("end")) else {
        return error(StatusCode::BAD_REQUEST, "start and end: entry indexes expected");
    };
    let size = s.latest.borrow().0;
    if start >= end || end > size || end - start > MAX_RANGE {
        return error(
            StatusCode::BAD_REQUEST,
            format!("start {start}, end {end}: need start < end <= {size} (the log's size) and at most {MAX_RANGE} entries"),
        );
    }
    let s2 = s.clone();
    let got = tokio::task::spawn_blocking(move || s2.with_reader(|r| checked_bundle(r, start, end))).await;
    match got {
        Ok(Ok(b)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            b,
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Entries `start..end` in the entry-bundle encoding, each checked before it is served: every
/// index present, and its bytes hashing to the leaf hash the store keeps (in one batched read).
/// A damaged store is refused naming the entry, never served as if it were the log.
fn checked_bundle<S: Store + ?Sized>(r: &S, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let at: Vec<(u32, u64)> = (start..end).map(|i| (0, i)).collect();
    let leaves = r.nodes(&at).map_err(|e| e.to_string())?;
    let mut bundle = Vec::new();
    let mut next = start;
    r.scan_entries(start, end, &mut |i, e| {
        let damaged = |what: &str| {
            accord_logstore::StoreError::Corrupt(format!("entry {i}: {what}: the store is damaged (`accord log verify` locates it)"))
        };
        if i != next {
            return Err(accord_logstore::StoreError::Corrupt(format!(
                "entry {next}: missing from the store: the store is damaged (`accord log verify` locates it)"
            )));
        }
        if leaves.get((i - start) as usize) != Some(&accord_tlog::merkle::leaf_hash(e)) {
            return Err(damaged("its bytes do not hash to the stored leaf hash"));
        }
        next += 1;
        tile::push_entry(&mut bundle, e).map_err(|x| accord_logstore::StoreError::Corrupt(x.to_string()))
    })
    .map_err(|e| e.to_string())?;
    if next != end {
        return Err(format!(
            "entry {next}: missing from the store: the store is damaged (`accord log verify` locates it)"
        ));
    }
    Ok(bundle)
}

fn hash_tile_response(b: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        b,
    )
        .into_response()
}

/// Full hash tiles kept in memory (8 KiB each), at most.
pub const TILE_CACHE: usize = 4096;

/// A blob (a notification logged by hash): the partner node and this node's people only.
async fn blob(State(s): S, _: Allowed<access::Blob>, UrlPath(sha): UrlPath<String>) -> Response {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return error(StatusCode::BAD_REQUEST, "sha256: 64 lowercase hex digits");
    }
    match s.storage.blob(&sha) {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// Exchanges a bearer token (JSON `{"token": …}`) for a session cookie.
async fn session(State(s): S, req: axum::extract::Request) -> Response {
    let body = match extract::read_body(&s, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(body::SignIn { token }) = serde_json::from_slice(&body) else {
        return error(StatusCode::BAD_REQUEST, "body: {\"token\": \"…\"} expected");
    };
    match s.tokens.session(&token, s.ambient.wall.now(), &s.ambient.entropy) {
        Some((sid, role, who)) => {
            let cookie = format!(
                "accord_session={sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                crate::auth::SESSION_SECS
            );
            let r = body::SessionRole { role: role.name().into() };
            let mut resp = ([(header::SET_COOKIE, cookie)], axum::Json(r)).into_response();
            resp.extensions_mut().insert(audit::SignedIn(who, role.name().into()));
            resp
        }
        None => {
            Metrics::add(&s.metrics.refused, 1);
            tracing::warn!("refused a session: unknown token");
            error(StatusCode::UNAUTHORIZED, "unknown token")
        }
    }
}

/// `GET /api/v1/session`: the role of the credential sent (401 without one).
async fn whoami(State(s): S, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let w = extract::who(&s, &method, &uri, &headers);
    match (w.role, w.refused) {
        (Some(r), _) => axum::Json(body::SessionRole { role: r.name().into() }).into_response(),
        (None, Some(why)) => error(StatusCode::UNAUTHORIZED, why),
        (None, None) => error(StatusCode::UNAUTHORIZED, "not signed in"),
    }
}

/// `DELETE /api/v1/session`: ends the session of the cookie sent and clears the cookie.
async fn sign_out(State(s): S, headers: HeaderMap) -> Response {
    let ended = extract::session_cookie(&headers).is_some_and(|sid| s.tokens.end_session(sid));
    (
        [(
            header::SET_COOKIE,
            "accord_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0".to_owned(),
        )],
        axum::Json(body::SignedOut { ended }),
    )
        .into_response()
}

/// Serves a node on `listener` until `shutdown` resolves; then stops the exchange and the
/// sequencer (every acknowledged entry is already durable).
pub async fn serve(
    s: Arc<Shared>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(follow(s.clone(), stop_rx.clone()));
    let pushers = tokio::spawn(push_all(s.clone(), stop_rx.clone()));
    let auditor = tokio::spawn(audit::write(s.clone(), stop_rx.clone()));
    let publisher = tokio::spawn(crate::publisher::run(s.clone(), stop_rx.clone()));
    let app = router(s.clone());
    let stop2 = stop_tx.clone();
    let s3 = s.clone();
    let s4 = s.clone();
    let res = listen::serve(
        listener,
        app,
        &s.limits,
        move || Metrics::add(&s3.metrics.connections_refused, 1),
        async move {
            shutdown.await;
            let _ = stop2.send(true);
            // Event streams end now rather than hold the drain.
            s4.stopping.send_replace(true);
        },
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = follower.await;
    let _ = pushers.await;
    let _ = auditor.await;
    let _ = publisher.await;
    let s2 = s.clone();
    let _ = tokio::task::spawn_blocking(move || s2.stop()).await;
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::clock::Clock;
    use crate::error::NodeError;

    /// `openapi.json` names the credentials of every route behind one, from the access table:
    /// a bearer token for every role but the partner node's, a session for operators and
    /// partner-readers, an RFC 9421 signature for the partner node; optional (`{}` first) on
    /// the public routes that show more with a credential.
    #[test]
    fn openapi_security_follows_the_access_table() {
        let doc: serde_json::Value = serde_json::from_str(api::OPENAPI).expect("openapi.json is JSON");
        let schemes = |method: &str, path: &str| -> Vec<String> {
            doc["paths"][path][method]["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}: no security"))
                .iter()
                .map(|s| s.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default())
                .collect()
        };
        for (method, path, roles) in access::ROUTE_ROLES {
            let mut want = Vec::new();
            if roles.iter().any(|r| *r != Role::PartnerNode) {
                want.push("bearer".to_string());
            }
            if roles.iter().any(|r| matches!(r, Role::Operator | Role::PartnerReader)) {
                want.push("session".to_string());
            }
            if roles.contains(&Role::PartnerNode) {
                want.push("httpSignature".to_string());
            }
            assert_eq!(schemes(method, path), want, "{method} {path}");
        }
        for (method, path) in access::RECORD_ROUTES {
            assert_eq!(schemes(method, path), ["", "bearer", "session"], "{method} {path}: optional");
        }
        // Every route with a handler behind `Allowed` is in the table.
        let guarded = ROUTES
            .iter()
            .filter(|(m, p)| access::ROUTE_ROLES.iter().any(|(am, ap, _)| am == m && ap == p))
            .count();
        assert_eq!(guarded, access::ROUTE_ROLES.len(), "every entry names a route the router has");
    }

    /// `openapi.json` describes exactly the routes the router has.
    #[test]
    fn openapi_lists_every_route_and_no_other() {
        let doc: serde_json::Value = serde_json::from_str(api::OPENAPI).expect("openapi.json is JSON");
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                assert!(op["responses"].is_object(), "{method} {path}: no responses");
                documented.push((method.clone(), path.clone()));
            }
        }
        documented.sort();
        let mut routes: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        routes.sort();
        assert_eq!(documented, routes);
    }

    /// The partner's node key of the test nodes.
    fn partner_node() -> accord_tlog::SignerKey {
        accord_tlog::SignerKey::from_seed("accord.test/ru/node", accord_tlog::note::ALG_COSIGNATURE_V1, [3; 32]).expect("key")
    }

    /// A node on an unreachable partner, with both clocks virtual and a seeded generator.
    fn node(dir: &std::path::Path, partner_node: &accord_tlog::SignerKey, wall: &Clock) -> Arc<Shared> {
        node_with(dir, partner_node, wall, "")
    }

    /// [`node`] with more configuration (`more`: TOML tables after `[partner]`).
    fn node_with(dir: &std::path::Path, partner_node: &accord_tlog::SignerKey, wall: &Clock, more: &str) -> Arc<Shared> {
        let nd = crate::state::NodeDir::new(dir);
        nd.init("accord.test/us", "US").expect("init");
        let partner_log = accord_tlog::SignerKey::from_seed("accord.test/ru", accord_tlog::note::ALG_ED25519, [2; 32]).expect("key");
        let cfg: crate::NodeConfig = toml::from_str(&format!(
            "party = \"US\"\nlisten = \"127.0.0.1:0\"\n[partner]\nparty = \"RU\"\nurl = \"http://127.0.0.1:9\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n{more}",
            partner_log.verifier(),
            partner_node.verifier()
        ))
        .expect("config");
        reopen(dir, cfg, Arc::new(accord_treaty::builtin::new_start()), wall, 1_300_000_000)
    }

    /// Opens the folder `dir` again (or first) with `cfg`: the wall clock `wall`, a virtual
    /// treaty clock starting at `start`, a generator seeded anew for each opening (so that no
    /// two openings make the same token).
    fn open_at(
        dir: &std::path::Path,
        cfg: crate::NodeConfig,
        spec: Arc<accord_treaty::TreatySpec>,
        wall: &Clock,
        start: i64,
    ) -> Result<Arc<Shared>, NodeError> {
        static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(9);
        let ambient = crate::clock::Ambient {
            wall: wall.clone(),
            entropy: crate::clock::Entropy::seeded(SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
        };
        Shared::open_with(dir, cfg, spec, Clock::virtual_at(start), ambient)
    }

    /// [`open_at`], which must succeed.
    fn reopen(
        dir: &std::path::Path,
        cfg: crate::NodeConfig,
        spec: Arc<accord_treaty::TreatySpec>,
        wall: &Clock,
        start: i64,
    ) -> Arc<Shared> {
        open_at(dir, cfg, spec, wall, start).expect("open")
    }

    /// Signs in with `token`: the session cookie's `name=value` (the sign-in must answer 200).
    async fn sign_in(http: &reqwest::Client, base: &str, token: &str) -> String {
        let r = http
            .post(format!("{base}/api/v1/session"))
            .body(format!("{{\"token\": \"{token}\"}}"))
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), 200);
        r.headers()[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_owned()
    }

    /// A node served in process on a loopback port: its base URL, the sender that stops it,
    /// and the server's task.
    async fn serving(
        s: &Arc<Shared>,
    ) -> (
        String,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<(), String>>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(s.clone(), listener, async move {
            let _ = stop_rx.await;
        }));
        (base, stop_tx, server)
    }

    /// Sends `head` (a request head, `\r\n`-terminated lines without the blank line) and
    /// `body` to `base`, keeps the connection open, and reads the answer: its status and text
    /// (`None` when none came within 5 s).
    async fn raw(base: &str, head: &str, body: &[u8]) -> Option<(u16, String)> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut c = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .expect("connect");
        c.write_all(format!("{head}\r\n").as_bytes()).await.expect("head");
        c.write_all(body).await.expect("body");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                match c.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
                let text = String::from_utf8_lossy(&got);
                if let Some((h, b)) = text.split_once("\r\n\r\n") {
                    let len = h
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                        .and_then(|n| n.trim().parse::<usize>().ok());
                    if len.is_some_and(|n| b.len() >= n) {
                        break;
                    }
                }
            }
        })
        .await;
        let text = String::from_utf8_lossy(&got).into_owned();
        let status = text.get(9..12).and_then(|c| c.parse().ok())?;
        read.ok().map(|()| (status, text))
    }

    /// A body is read only for a caller allowed to send it: without a credential, with an
    /// unknown token, with a signature by an unknown key, or with a role the route does not
    /// admit, a request announcing 10 MB is refused from its head alone (before the body
    /// timeout could strike). An allowed caller whose body stalls is answered 408 after
    /// `limits.body_timeout_secs`; a whole body goes through; a sign-in body is capped at 4 KiB.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_is_read_only_for_a_caller_allowed_to_send_it_and_only_for_so_long() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node_with(dir.path(), &partner_node(), &wall, "[limits]\nbody_timeout_secs = 2\n");
        let operator = s.tokens.make(Role::Operator, "ops", wall.now(), &s.ambient.entropy).expect("token");
        let reader = s
            .tokens
            .make(Role::Witness, "witness", wall.now(), &s.ambient.entropy)
            .expect("token");
        let (base, stop, server) = serving(&s).await;
        let post = |route: &str, extra: &str, len: usize| {
            format!("POST {route} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n{extra}")
        };
        let refused_from_head = [
            ("no credential", String::new(), 401, "needs a credential"),
            ("unknown token", "authorization: Bearer nope\r\n".to_owned(), 401, "unknown bearer token"),
            (
                "unknown signer",
                "signature-input: sig1=(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\");created=1800000000;nonce=\"n\";keyid=\"nobody\";alg=\"ed25519\"\r\nsignature: sig1=:AAAA:\r\ncontent-digest: sha-256=:AAAA:\r\n".to_owned(),
                401,
                "signature refused",
            ),
            ("wrong role", format!("authorization: Bearer {reader}\r\n"), 403, "not open to the role"),
        ];
        for (what, extra, status, says) in refused_from_head {
            let started = std::time::Instant::now();
            let (got, text) = raw(&base, &post("/api/v1/notifications", &extra, 10_000_000), b"[")
                .await
                .unwrap_or_else(|| panic!("{what}: no answer"));
            assert_eq!(got, status, "{what}: {text}");
            assert!(text.contains(says), "{what}: {text}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{what}: answered before the body timeout"
            );
        }

        // An operator whose body stalls: 408 naming the bound, nothing logged.
        let size = s.latest.borrow().0;
        let auth = format!("authorization: Bearer {operator}\r\n");
        let (got, text) = raw(&base, &post("/api/v1/notifications", &auth, 100), b"[").await.expect("answer");
        assert_eq!(got, 408, "{text}");
        assert!(text.contains("limits.body_timeout_secs"), "{text}");
        assert_eq!(s.latest.borrow().0, size);

        // A whole body goes through.
        let body = br#"{"kind": "nothing"}"#;
        let (got, text) = raw(&base, &post("/api/v1/validate", &auth, body.len()), body)
            .await
            .expect("answer");
        assert_eq!(got, 200, "{text}");
        assert!(text.contains("\"valid\""), "{text}");

        // Sign-in takes at most 4 KiB.
        let big = vec![b' '; SIGN_IN_BODY + 1];
        let (got, text) = raw(&base, &post("/api/v1/session", "", big.len()), &big).await.expect("answer");
        assert_eq!(got, 413, "{text}");
        let _ = stop.send(());
        server.await.expect("join").expect("served");
        s.stop();
    }

    /// Long polls wait at most `limits.long_polls_per_client` at once from one address: one
    /// more is refused at once (429 naming the bound, `Retry-After`), a plain status read is
    /// not, and a place comes back when a poll ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn long_polls_are_capped_per_client() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node_with(dir.path(), &partner_node(), &wall, "[limits]\nlong_polls_per_client = 2\n");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        let poll = |ms: u64| {
            http.get(format!("{base}/api/v1/status?until_acknowledged=999&timeout_ms={ms}"))
                .send()
        };
        let waiting = [tokio::spawn(poll(1500)), tokio::spawn(poll(1500))];
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let third = poll(1500).await.expect("third");
        assert_eq!(third.status(), 429);
        assert_eq!(third.headers()[header::RETRY_AFTER], "1");
        let text = third.text().await.expect("text");
        assert!(text.contains("limits.long_polls_per_client"), "{text}");
        let plain = http.get(format!("{base}/api/v1/status")).send().await.expect("plain");
        assert_eq!(plain.status(), 200);
        for w in waiting {
            let r = w.await.expect("join").expect("poll");
            assert_eq!(r.status(), 200);
            let st: serde_json::Value = r.json().await.expect("json");
            assert_eq!(st["reached"], false);
        }
        let again = poll(10).await.expect("again");
        assert_eq!(again.status(), 200, "a place came back");
        let _ = stop.send(());
        server.await.expect("join").expect("served");
        s.stop();
    }

    /// The live events of the page: an `alert` and a `status` at once, another `status` when a
    /// notification is logged; an event stream holds one of its client's long-poll places, and
    /// beyond them one is refused (429).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_stream_progress_within_the_clients_places() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node_with(dir.path(), &partner_node(), &wall, "[limits]\nlong_polls_per_client = 1\n");
        let op = s.tokens.make(Role::Operator, "op", wall.now(), &s.ambient.entropy).expect("token");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        let mut events = http.get(format!("{base}/api/v1/events")).send().await.expect("events");
        assert_eq!(events.status(), 200);
        assert_eq!(events.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut seen = String::new();
        let mut until = async |want: &str, seen: &mut String| {
            let t0 = std::time::Instant::now();
            while !seen.contains(want) {
                assert!(t0.elapsed() < std::time::Duration::from_secs(10), "no {want:?} in {seen}");
                if let Ok(Ok(Some(c))) = tokio::time::timeout(std::time::Duration::from_secs(10), events.chunk()).await {
                    seen.push_str(&String::from_utf8_lossy(&c));
                }
            }
        };
        until("event: status", &mut seen).await;
        let alert = seen.find("event: alert").expect("an alert event first");
        assert!(alert < seen.find("event: status").expect("status"), "alerts come first: {seen}");
        assert!(seen.contains("\"alerts\":0") && seen.contains("\"size\":0"), "{seen}");
        // A second stream from the same address: beyond its one place.
        let second = http.get(format!("{base}/api/v1/events")).send().await.expect("second");
        assert_eq!(second.status(), 429);
        assert!(second.text().await.expect("text").contains("limits.long_polls_per_client"));
        // A notification logged: a new status with the new size.
        let n =
            serde_json::json!({"id": "US-EV-1", "kind": "flight_plan", "party": "US", "date": "2011-03-14", "body": {"reference": "FP-1"}});
        let r = http
            .post(format!("{base}/api/v1/notifications"))
            .bearer_auth(&op)
            .json(&n)
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        until("\"size\":1", &mut seen).await;
        drop(events);
        let _ = stop.send(());
        server.await.expect("join").expect("served");
        s.stop();
    }

    /// The audit log names which token did what: a write by an operator's token, a sign-in and
    /// a write and a sign-out through its session, a refused read with an unknown token and one
    /// with the wrong role; reads that go through are not kept. Only an operator reads it, from
    /// any row on; a revoked token's later attempt is kept as refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_audit_log_names_which_token_did_what() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        let ops = s
            .tokens
            .make(Role::Operator, "alice", wall.now(), &s.ambient.entropy)
            .expect("token");
        let reader = s
            .tokens
            .make(Role::PartnerReader, "ru-desk", wall.now(), &s.ambient.entropy)
            .expect("token");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        let alice = crate::auth::holder_name("alice", &<sha2::Sha256 as sha2::Digest>::digest(ops.as_bytes()));
        let now = s.clock.now();
        let clock = |t: i64| format!("{{\"now\": \"{}\"}}", crate::clock::rfc3339(t));
        let r = http
            .put(format!("{base}/api/v1/clock"))
            .bearer_auth(&ops)
            .body(clock(now + 60))
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status(), 200);
        let r = http
            .get(format!("{base}/api/v1/outbox"))
            .bearer_auth(&ops)
            .send()
            .await
            .expect("outbox");
        assert_eq!(r.status(), 200, "a read that goes through");
        let r = http
            .get(format!("{base}/api/v1/outbox"))
            .bearer_auth("accord_nope")
            .send()
            .await
            .expect("outbox");
        assert_eq!(r.status(), 401);
        let r = http
            .put(format!("{base}/api/v1/clock"))
            .bearer_auth(&reader)
            .body(clock(now + 120))
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status(), 403);
        let cookie = sign_in(&http, &base, &ops).await;
        let r = http
            .delete(format!("{base}/api/v1/session"))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, &base)
            .send()
            .await
            .expect("sign out");
        assert_eq!(r.status(), 200);
        s.tokens.revoke("alice", wall.now()).expect("revoke");
        let r = http
            .put(format!("{base}/api/v1/clock"))
            .bearer_auth(&ops)
            .body(clock(now + 180))
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status(), 401, "revoked");

        let ops2 = s.tokens.make(Role::Operator, "bob", wall.now(), &s.ambient.entropy).expect("token");
        let want = [
            (alice.as_str(), "operator", "PUT", "/api/v1/clock", 200),
            ("unknown bearer token", "-", "GET", "/api/v1/outbox", 401),
            ("ru-desk", "partner-reader", "PUT", "/api/v1/clock", 403),
            (alice.as_str(), "operator", "POST", "/api/v1/session", 200),
            (alice.as_str(), "operator", "DELETE", "/api/v1/session", 200),
            ("unknown bearer token", "-", "PUT", "/api/v1/clock", 401),
        ];
        let mut rows = Vec::new();
        for _ in 0..100 {
            let r = http
                .get(format!("{base}/api/v1/audit"))
                .bearer_auth(&ops2)
                .send()
                .await
                .expect("audit");
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = r.json().await.expect("json");
            rows = v["rows"].as_array().expect("rows").clone();
            if rows.len() >= want.len() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let got: Vec<(String, String, String, String, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r["who"].as_str().expect("who").to_owned(),
                    r["role"].as_str().expect("role").to_owned(),
                    r["method"].as_str().expect("method").to_owned(),
                    r["path"].as_str().expect("path").to_owned(),
                    r["status"].as_u64().expect("status"),
                )
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.0.starts_with(w.0), "{g:?} vs {w:?}");
            assert_eq!((g.1.as_str(), g.2.as_str(), g.3.as_str(), g.4), (w.1, w.2, w.3, w.4), "{got:?}");
        }
        assert!(rows
            .iter()
            .all(|r| r["client"].as_str().is_some_and(|c| c.starts_with("127.0.0.1:"))));
        assert_eq!(rows[0]["seq"], 1);
        let r = http
            .get(format!("{base}/api/v1/audit?after=5"))
            .bearer_auth(&ops2)
            .send()
            .await
            .expect("audit");
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["rows"][0]["seq"], 6, "from any row on");
        let r = http
            .get(format!("{base}/api/v1/audit"))
            .bearer_auth(&reader)
            .send()
            .await
            .expect("audit");
        assert_eq!(r.status(), 403, "operators only");
        let _ = stop.send(());
        server.await.expect("join").expect("served");
        // Kept in the folder: the node's audit log outlives it.
        s.stop();
        drop(s);
        let kept = crate::state::NodeDir::new(dir.path()).audit_log(0, 100).expect("audit");
        assert!(kept.len() > want.len(), "the audit reads too: {}", kept.len());
    }

    /// A session cookie writes only from this node's own page (a foreign or missing Origin, or
    /// a cross-site fetch, is refused and changes nothing; reads are not affected), and every
    /// response carries the security headers, the page a policy that allows exactly its own
    /// inline script and style.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cookie_writes_come_from_the_page_and_responses_carry_security_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        let token = s.tokens.make(Role::Operator, "ops", wall.now(), &s.ambient.entropy).expect("token");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        let cookie = sign_in(&http, &base, &token).await;
        let set_clock = |origin: Option<&str>, site: Option<&str>, now: &str| {
            let mut q = http
                .put(format!("{base}/api/v1/clock"))
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, "text/plain")
                .body(format!("{{\"now\": \"{now}\"}}"));
            if let Some(o) = origin {
                q = q.header(header::ORIGIN, o);
            }
            if let Some(f) = site {
                q = q.header("sec-fetch-site", f);
            }
            q.send()
        };
        let before = s.clock.now();
        for (origin, site) in [
            (Some("http://evil.example"), None),
            (Some("http://127.0.0.1:1"), None),
            (None, None),
            (Some(base.as_str()), Some("cross-site")),
        ] {
            let r = set_clock(origin, site, "2011-04-01T00:00:00Z").await.expect("put");
            assert_eq!(r.status(), 401, "{origin:?} {site:?}");
            assert_eq!(s.clock.now(), before, "refused and unchanged");
        }
        let r = set_clock(Some(&base), Some("same-origin"), "2011-04-01T00:00:00Z")
            .await
            .expect("put");
        assert_eq!(r.status(), 200, "from the page");
        assert_ne!(s.clock.now(), before);
        let r = http
            .get(format!("{base}/api/v1/session"))
            .header(header::COOKIE, cookie.clone())
            .header(header::ORIGIN, "http://evil.example")
            .send()
            .await
            .expect("whoami");
        assert_eq!(r.status(), 200, "reads are not writes");
        // Security headers, everywhere; the page's policy names its own inline code.
        for path in ["/", "/health", "/api/v1/status", "/log/checkpoint", "/nowhere"] {
            let r = http.get(format!("{base}{path}")).send().await.expect("get");
            let h = r.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
            let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("csp").to_owned();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            if path == "/" {
                assert_eq!(csp, web::policy(), "{path}");
                assert!(!csp.contains("unsafe-inline"), "{csp}");
            } else {
                assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
            }
        }
        let _ = stop.send(());
        let _ = server.await;
        s.stop();
    }

    /// Notifications that would break the record are refused before they are logged, naming
    /// the field, and change nothing: an id with a control character (a NUL byte), a date
    /// outside the treaty's life (replay refuses it, and with it every compliance report).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn notifications_that_would_break_the_record_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        s.set_clock(1_800_000_000).expect("clock: 2027");
        let launch = |id: &str, date: &str| {
            serde_json::json!({"id": id, "kind": "missile_launch", "party": "US", "date": date, "sent": "2011-03-14T00:00:00Z",
                "body": {"type": "Minuteman III", "note": "test launch"}})
        };
        let size = || s.latest.borrow().0;
        let before = size();
        let e = crate::append::submit_items(&s, vec![launch("US-\u{0}1", "2011-03-13")], true)
            .await
            .expect_err("NUL");
        assert!(
            matches!(&e, NodeError::Invalid(m) if m.contains("id") && m.contains("control character")),
            "{e}"
        );
        let e = crate::append::submit_items(&s, vec![launch("US-2", "2026-02-08")], true)
            .await
            .expect_err("after the end");
        assert!(
            matches!(&e, NodeError::Refused(m) if m.starts_with("date: 2026-02-08 is outside the treaty's life")),
            "{e}"
        );
        assert_eq!(size(), before, "nothing logged");
        crate::append::submit_items(&s, vec![launch("US-3", "2026-02-04")], true)
            .await
            .expect("the last day in force");
        let v = s.view.read().expect("view");
        assert!(v
            .compliance(&s.spec, accord_treaty::parse_date("2026-02-04").expect("date"))
            .is_ok());
        drop(v);
        s.stop();
    }

    /// A node does not start on a log store that holds other than its latest signed
    /// checkpoint covers: an entry row lost below the size (it would serve a hole and log
    /// beyond it), or the latest checkpoint row lost (it would append onto entries it holds);
    /// the refusal names the damage and how to recover.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_node_refuses_a_damaged_log_at_open() {
        let wall = Clock::virtual_at(1_800_000_000);
        for damage in [
            "DELETE FROM entries WHERE idx = 1",
            "DELETE FROM checkpoints WHERE size = (SELECT MAX(size) FROM checkpoints)",
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let s = node(dir.path(), &partner_node(), &wall);
            let launch = |i: u32| {
                serde_json::json!({"id": format!("US-{i}"), "kind": "missile_launch", "party": "US", "date": "2011-03-13",
                    "body": {"type": "Minuteman III", "note": "test launch"}})
            };
            for i in 0..3 {
                crate::append::submit_items(&s, vec![launch(i)], true).await.expect("logged");
            }
            let (cfg, spec) = (s.cfg.clone(), s.spec.clone());
            s.stop();
            drop(s);
            let db = rusqlite::Connection::open(dir.path().join("log.db")).expect("log.db");
            db.execute_batch(damage).expect("damage");
            drop(db);
            let e = open_at(dir.path(), cfg, spec, &wall, 1_300_000_000).err();
            let e = e.unwrap_or_else(|| panic!("{damage}: the node started")).to_string();
            assert!(
                e.contains("the own log") && e.contains("damaged") && e.contains("restore"),
                "{damage}: {e}"
            );
        }
    }

    /// An entry is checked against its stored leaf hash before it is served: a changed byte in
    /// the store is refused naming the entry (500), never handed to the partner as the log.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_damaged_entry_is_never_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        for i in 0..3 {
            let n = serde_json::json!({"id": format!("US-{i}"), "kind": "missile_launch", "party": "US", "date": "2011-03-13",
                "body": {"type": "Minuteman III", "note": "test launch"}});
            crate::append::submit_items(&s, vec![n], true).await.expect("logged");
        }
        let size = s.latest.borrow().0;
        let (cfg, spec) = (s.cfg.clone(), s.spec.clone());
        s.stop();
        drop(s);
        let db = rusqlite::Connection::open(dir.path().join("log.db")).expect("log.db");
        db.execute(
            "UPDATE entries SET data = CAST(replace(CAST(data AS TEXT), 'test launch', 'TEST launch') AS BLOB) WHERE idx = 1",
            [],
        )
        .expect("damage");
        drop(db);
        let s = open_at(dir.path(), cfg, spec, &wall, 1_300_000_000).expect("open");
        let token = s.tokens.make(Role::Operator, "ops", wall.now(), &s.ambient.entropy).expect("token");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        for path in [
            format!("/api/v1/entries?start=0&end={size}"),
            format!("/log/tile/entries/000.p/{size}"),
        ] {
            let r = http.get(format!("{base}{path}")).bearer_auth(&token).send().await.expect("get");
            assert_eq!(r.status(), 500, "{path}");
            let body = r.text().await.expect("body");
            assert!(
                body.contains("entry 1: its bytes do not hash to the stored leaf hash"),
                "{path}: {body}"
            );
        }
        let r = http
            .get(format!("{base}/api/v1/entries?start=0&end=1"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "an undamaged range is served");
        let _ = stop.send(());
        let _ = server.await;
        s.stop();
    }

    /// With `public_url` configured, a signed request must name that address as its
    /// `@authority`: one signed for another node is refused whatever Host it arrives with, and
    /// one signed for this node's public address is accepted though it arrives by another.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signed_requests_are_bound_to_the_public_address() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let partner = partner_node();
        let s = node(dir.path(), &partner, &wall);
        let (cfg, spec) = (s.cfg.clone(), s.spec.clone());
        s.stop();
        drop(s);
        let mut bound = cfg;
        bound.public_url = Some("https://us.example.org".into());
        let s = open_at(dir.path(), bound, spec, &wall, 1_300_000_000).expect("open");
        let (base, stop, server) = serving(&s).await;
        let http = reqwest::Client::new();
        let get = |authority: &str, nonce: &str| {
            let parts = crate::auth::RequestParts {
                method: "GET",
                authority,
                path: "/api/v1/entries",
                query: "start=0&end=1",
                body: b"",
            };
            let (d, i, sig) = crate::auth::sign(&partner, &parts, wall.now(), nonce);
            http.get(format!("{base}/api/v1/entries?start=0&end=1"))
                .header("content-digest", d)
                .header("signature-input", i)
                .header("signature", sig)
                .send()
        };
        let r = get("us.example.org", "n1").await.expect("get");
        assert_eq!(
            r.status(),
            400,
            "authenticated: the empty log has no entry 0 ({})",
            r.text().await.unwrap_or_default()
        );
        let r = get(base.trim_start_matches("http://"), "n2").await.expect("get");
        assert_eq!(r.status(), 401, "signed for the address it arrived at, not the public one");
        let r = get("ru.example.org", "n3").await.expect("get");
        assert_eq!(r.status(), 401, "signed for another node");
        let _ = stop.send(());
        let _ = server.await;
        s.stop();
    }

    /// Tile and entry-bundle paths whose index lies beyond any tree (once answered 200 with
    /// tile/0/000's bytes, the first index having wrapped round, or 500) are not tiles: 404.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tile_paths_beyond_any_tree_are_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        let (base, stop_tx, server) = serving(&s).await;
        let http = reqwest::Client::new();
        for path in [
            "tile/0/x072/x057/x594/x037/x927/936",
            "tile/entries/x072/x057/x594/x037/x927/936",
            "tile/8/x018/x446/x744/x073/x709/x551/615",
            "tile/7/000",
            "tile/0/x999/x999/x999/x999/x999/x999/999",
        ] {
            let r = http.get(format!("{base}/log/{path}")).send().await.expect("get");
            assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
        }
        // A tile of the tree is there once the log has an entry.
        let r = http.get(format!("{base}/log/tile/0/000.p/1")).send().await.expect("get");
        assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND, "beyond the empty tree");
        let note = serde_json::json!({"id": "US-1", "kind": "missile_launch", "party": "US", "date": "2011-03-01",
            "body": {"type": "Minuteman III", "note": "test launch"}});
        crate::append::submit_items(&s, vec![note], true).await.expect("logged");
        let r = http.get(format!("{base}/log/tile/0/000.p/1")).send().await.expect("get");
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        assert_eq!(r.bytes().await.expect("body").len(), 32, "one hash");
        let _ = stop_tx.send(());
        let _ = server.await;
        s.stop();
    }

    /// A node whose treaty clock is behind the time a partner's notification says it was sent
    /// stamps its acknowledgement with that time instead (a receipt is never earlier than
    /// sent) and raises the skew as an alert; the record stays readable.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receipt_is_never_earlier_than_sent() {
        use accord_tlog::entry::{encode, Envelope};
        let dir = tempfile::tempdir().expect("tempdir");
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node(), &wall);
        // The node's clock: 2011-03-13T07:06:40Z; the partner sent at 2011-03-13T08:00:00Z.
        let sent = "2011-03-13T08:00:00Z";
        let note = serde_json::json!({"id": "RU-1", "kind": "missile_launch", "party": "RU", "date": "2011-03-13",
            "sent": sent, "body": {"type": "RS-24 Yars (mobile)", "note": "test launch"}});
        let bytes = encode(&Envelope::new("RU", 0, [1; 16], note)).expect("entry");
        s.view.write().expect("view").push_partner(crate::view::Given {
            bytes: &bytes,
            blob: None,
            leaf: None,
        });
        assert!(crate::exchange::acknowledge(&s).await.expect("acknowledged"));
        let v = s.view.read().expect("view");
        let inbox = v.mailbox(&s.spec, false, s.clock.now());
        assert_eq!(
            inbox[0].received.as_deref(),
            Some(sent),
            "stamped with the time sent, not the clock's"
        );
        assert!(v.problems().is_empty(), "{:?}", v.problems());
        assert!(v.history(&s.spec).is_ok());
        drop(v);
        let alerts = s.alerts.lock().expect("alerts").clone();
        assert!(
            alerts
                .iter()
                .any(|a| a.kind == "clock" && a.message.contains("behind RU's by up to 3200 s")),
            "{alerts:?}"
        );
        s.stop();
    }

    /// The virtual treaty clock's value is kept in the node's state when set, so a restarted
    /// node resumes from it rather than going back to its configured start; a later start
    /// wins, and the clock never goes back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_node_resumes_its_virtual_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node, &wall);
        assert_eq!(s.clock.now(), 1_300_000_000);
        s.set_clock(1_600_000_000).expect("forward");
        assert!(matches!(s.set_clock(1_500_000_000), Err(NodeError::Conflict(_))), "never back");
        let (cfg, spec) = (s.cfg.clone(), s.spec.clone());
        s.stop();
        drop(s);
        let reopen = |start: i64| open_at(dir.path(), cfg.clone(), spec.clone(), &wall, start).expect("open");
        let s = reopen(1_300_000_000);
        assert_eq!(
            s.clock.now(),
            1_600_000_000,
            "resumed from the value kept, not the configured start"
        );
        s.stop();
        drop(s);
        let s = reopen(1_700_000_000);
        assert_eq!(s.clock.now(), 1_700_000_000, "a later configured start wins");
        s.stop();
        drop(s);
        // With a bound, a jump beyond it is refused and changes nothing; a step within it holds.
        let mut bounded = cfg.clone();
        bounded.clock.max_step_days = Some(30);
        let s = open_at(dir.path(), bounded, spec.clone(), &wall, 1_300_000_000).expect("open");
        let before = s.clock.now();
        let e = s.set_clock(253_402_214_400).expect_err("9999-12-31");
        assert!(matches!(&e, NodeError::Conflict(m) if m.contains("clock.max_step_days")), "{e}");
        assert_eq!(s.clock.now(), before, "unchanged");
        s.set_clock(before + 29 * 86_400).expect("within the bound");
        s.stop();
    }

    /// Sign-in expiry and the signed-request window follow the injected wall clock: tested by
    /// moving it, not by waiting. In process, through [`serve`] on a loopback listener.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sign_ins_and_signed_requests_follow_the_injected_wall_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node, &wall);
        let token = s.tokens.make(Role::Operator, "ops", wall.now(), &s.ambient.entropy).expect("token");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(s.clone(), listener, async move {
            let _ = stop_rx.await;
        }));
        let http = reqwest::Client::new();

        // Sign in, then read who we are with the cookie.
        let cookie = sign_in(&http, &base, &token).await;
        let whoami = || {
            http.get(format!("{base}/api/v1/session"))
                .header(header::COOKIE, cookie.clone())
                .send()
        };
        assert_eq!(whoami().await.expect("whoami").status(), 200);
        // Just before the session ends it still holds; just after, it is refused.
        wall.set(1_800_000_000 + crate::auth::SESSION_SECS - 1).expect("set");
        assert_eq!(whoami().await.expect("whoami").status(), 200);
        wall.set(1_800_000_000 + crate::auth::SESSION_SECS + 1).expect("set");
        let r = whoami().await.expect("whoami");
        assert_eq!(r.status(), 401);
        assert!(r.text().await.expect("body").contains("expired"));

        // A partner's signed request is accepted inside the window and refused outside it.
        let now = wall.now();
        let peer_wall = Clock::virtual_at(now);
        let peer_ambient = crate::clock::Ambient {
            wall: peer_wall.clone(),
            entropy: crate::clock::Entropy::seeded(4),
        };
        let peer = crate::client::Peer::new(http.clone(), &base, partner_node.clone(), peer_ambient).expect("peer");
        // The log is empty: a partner gets past authentication to a 400 about the range.
        let r = peer
            .send("GET", "/api/v1/entries?start=0&end=1", Vec::new(), "text/plain")
            .await
            .expect("send");
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(&r.body));
        wall.set(now + crate::auth::WINDOW_SECS + 1).expect("set");
        let r = peer
            .send("GET", "/api/v1/entries?start=0&end=1", Vec::new(), "text/plain")
            .await
            .expect("send");
        assert_eq!(r.status, 401);
        assert!(
            String::from_utf8_lossy(&r.body).contains("window"),
            "{:?}",
            String::from_utf8_lossy(&r.body)
        );

        let _ = stop_tx.send(());
        server.await.expect("join").expect("served");
    }

    /// Every file of a folder with its bytes.
    fn files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
        let mut out = std::collections::BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read_dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).expect("read"));
                }
            }
        }
        out
    }

    /// A folder is read without its writer lock (so beside a running node) and nothing in it
    /// changes; the view read is the running node's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_folder_is_read_beside_its_running_node_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let wall = Clock::virtual_at(1_800_000_000);
        let s = node(dir.path(), &partner_node, &wall);
        let n = serde_json::json!({"id": "US-1", "kind": "new_item", "party": "US", "date": "2011-02-20", "sent": "2011-02-21T10:00:00Z",
            "body": {"item": "US-MM3-00001", "category": "icbm", "type": "Minuteman III", "facility": "US-PROD"}});
        let logged = crate::append::submit_items(&s, vec![n.clone()], true).await;
        assert!(logged.is_ok(), "{logged:?}");
        let cfg = s.cfg.clone();
        // The running node holds the writer lock; the folder is read all the same.
        let v = crate::state::read_view(dir.path(), &cfg).expect("read beside the running node");
        let running = s.view.read().expect("view").notifications_jsonl();
        assert_eq!(v.notifications_jsonl(), running);
        assert!(running.contains("US-1"));
        s.stop();
        drop(s);
        let before = files(dir.path());
        let again = crate::state::read_view(dir.path(), &cfg).expect("read the stopped folder");
        assert_eq!(again.notifications_jsonl(), running);
        let after = files(dir.path());
        // No file that was there changed and none went missing. The one thing a read may leave is
        // SQLite's own WAL side files (`-wal`, `-shm`), which a read-only connection to a WAL
        // database creates when a clean close removed them; they hold no data.
        let changed: Vec<String> = before
            .keys()
            .filter(|k| before.get(*k) != after.get(*k))
            .chain(after.keys().filter(|k| {
                let name = k.to_string_lossy();
                !(before.contains_key(*k) || name.ends_with(".db-wal") || name.ends_with(".db-shm"))
            }))
            .map(|k| k.display().to_string())
            .collect();
        assert!(changed.is_empty(), "reading a folder wrote to it: {changed:?}");
        for (k, v) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
            if k.to_string_lossy().ends_with(".db-wal") {
                assert!(v.is_empty(), "{}: a read wrote to the WAL", k.display());
            }
        }
        // Another Party's configuration is refused, naming the field.
        let mut other = cfg.clone();
        other.party = "RU".into();
        let e = crate::state::read_view(dir.path(), &other).expect_err("another Party's folder");
        assert!(e.starts_with("party:"), "{e}");
    }

    /// What a reader compares of two views.
    fn seen(v: &crate::view::View, spec: &accord_treaty::TreatySpec) -> (String, String, usize, crate::view::SnapshotKey) {
        let outbox = serde_json::to_string(&v.mailbox(spec, true, 1_900_000_000)).expect("json");
        (v.notifications_jsonl(), outbox, v.problems().len(), v.snapshot_key())
    }

    /// A stopped node leaves a snapshot of its view; the next open reads it and only the
    /// entries written after it, and gets the view a full rebuild gets. A damaged snapshot, or
    /// one of another log, is never trusted: the view is rebuilt.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_snapshot_and_the_tail_give_the_rebuilt_view_and_a_bad_one_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let wall = Clock::virtual_at(1_800_000_000);
        let item = |i: u32| {
            serde_json::json!({"id": format!("US-{i}"), "kind": "new_item", "party": "US", "date": "2011-02-20", "sent": "2011-02-21T10:00:00Z",
                "body": {"item": format!("US-MM3-{i:05}"), "category": "icbm", "type": "Minuteman III", "facility": "US-PROD"}})
        };
        let s = node(dir.path(), &partner_node, &wall);
        let spec = s.spec.clone();
        let cfg = s.cfg.clone();
        crate::append::submit_items(&s, vec![item(1), item(2)], false)
            .await
            .expect("logged");
        s.stop();
        drop(s);
        let nd = crate::state::NodeDir::new(dir.path());
        assert!(nd.view_snapshot().exists(), "a stopped node keeps its view");
        let key = nd.node_signer().expect("node key");
        let open = |b: &[u8]| crate::state::open_snapshot(&key.public_key(), b);
        let at_stop = open(&std::fs::read(nd.view_snapshot()).expect("read")).expect("snapshot");

        // Opened again (from the snapshot), one more entry, and no clean stop: the snapshot is
        // now behind the log.
        let s = Shared::open_with(
            dir.path(),
            cfg.clone(),
            spec.clone(),
            Clock::virtual_at(1_300_000_000),
            crate::clock::Ambient {
                wall: wall.clone(),
                entropy: crate::clock::Entropy::seeded(10),
            },
        )
        .expect("open");
        assert_eq!(seen(&s.view.read().expect("view"), &spec), seen(&at_stop, &spec));
        crate::append::submit_items(&s, vec![item(3)], true).await.expect("logged");
        let running = seen(&s.view.read().expect("view"), &spec);
        if let Ok(mut q) = s.seq.lock() {
            if let Some(q) = q.take() {
                q.stop();
            }
        }
        drop(s);
        assert_eq!(
            open(&std::fs::read(nd.view_snapshot()).expect("read"))
                .expect("snapshot")
                .snapshot_key(),
            at_stop.snapshot_key()
        );
        let from_snapshot = seen(&crate::state::read_view(dir.path(), &cfg).expect("read"), &spec);
        assert!(from_snapshot.0.contains("US-3"));
        assert_eq!(from_snapshot, running, "snapshot and tail");

        // Without the snapshot: the same view, rebuilt.
        let kept = std::fs::read(nd.view_snapshot()).expect("read");
        std::fs::remove_file(nd.view_snapshot()).expect("remove");
        assert_eq!(
            seen(&crate::state::read_view(dir.path(), &cfg).expect("read"), &spec),
            running,
            "rebuilt"
        );
        // The rebuilt view's leaf hashes (read from the store's stored hashes) are the entries'.
        let rebuilt = crate::state::read_view(dir.path(), &cfg).expect("read");
        let (size, last) = rebuilt.snapshot_key().of(crate::view::OWN);
        let entry = accord_logstore::DataDir::new(dir.path())
            .open_reader()
            .expect("reader")
            .entry(size - 1)
            .expect("entry");
        assert_eq!(last, Some(accord_tlog::leaf_hash(&entry)), "the stored leaf hash is the entry's");

        // A damaged snapshot: refused by its checksum, the view rebuilt.
        let mut damaged = kept.clone();
        let last = damaged.len() - 3;
        damaged[last] ^= 1;
        assert!(open(&damaged).is_err());
        std::fs::write(nd.view_snapshot(), &damaged).expect("write");
        assert_eq!(
            seen(&crate::state::read_view(dir.path(), &cfg).expect("read"), &spec),
            running,
            "damaged"
        );
        for cut in [0, 10, kept.len() / 2, kept.len() - 1] {
            assert!(open(&kept[..cut]).is_err(), "truncated at {cut}");
        }
        // A snapshot of another content with a good checksum but not signed by this node's key
        // (whoever can write the folder but does not hold the key): refused, the view rebuilt.
        let mut forged_view = open(&kept).expect("snapshot");
        forged_view.add_problem(crate::view::Problem {
            party: "US".into(),
            index: 0,
            problem: "planted".into(),
        });
        let stranger =
            accord_tlog::SignerKey::from_seed("accord.test/us/node", accord_tlog::note::ALG_COSIGNATURE_V1, [9; 32]).expect("key");
        let forged = crate::state::seal_snapshot(&stranger, &forged_view);
        assert_eq!(open(&forged).err().as_deref(), Some("its signature is not this node's"));
        std::fs::write(nd.view_snapshot(), &forged).expect("write");
        let v = crate::state::read_view(dir.path(), &cfg).expect("read");
        assert_eq!(seen(&v, &spec), running, "forged");
        assert!(!v.problems().iter().any(|p| p.problem == "planted"));

        // A well-formed snapshot of another log (same Parties and origins, other entries): its
        // last leaf is not this log's, so it is not trusted.
        let other = tempfile::tempdir().expect("tempdir");
        let o = node(other.path(), &partner_node, &wall);
        crate::append::submit_items(&o, vec![item(7), item(8)], false)
            .await
            .expect("logged");
        o.stop();
        // Signed with this node's key, so that only the check against the logs can refuse it.
        let ond = crate::state::NodeDir::new(other.path());
        let foreign = crate::state::open_snapshot(
            &ond.node_signer().expect("key").public_key(),
            &std::fs::read(ond.view_snapshot()).expect("read"),
        )
        .expect("the other node's snapshot");
        std::fs::write(nd.view_snapshot(), crate::state::seal_snapshot(&key, &foreign)).expect("write");
        let v = seen(&crate::state::read_view(dir.path(), &cfg).expect("read"), &spec);
        assert_eq!(v, running, "a snapshot of another log");
        assert!(!v.0.contains("US-7"));
    }

    /// One status for each of the node's errors, and the JSON error body carries the message.
    #[tokio::test]
    async fn each_node_error_has_one_status() {
        use crate::error::NodeError as E;
        let cases = [
            (E::Invalid("body: x".into()), 400),
            (E::NotFound("id: x".into()), 404),
            (E::Conflict("id: x".into()), 409),
            (E::Forbidden("fork seen".into()), 403),
            (E::Refused("Art. XI: x".into()), 422),
            (E::Unavailable("stopping".into()), 503),
            (E::Internal("view poisoned".into()), 500),
        ];
        for (e, want) in cases {
            assert_eq!(extract::status_of(&e).as_u16(), want, "{e:?}");
            assert_eq!(e.is_server_error(), want >= 500);
            let msg = e.to_string();
            let r = e.into_response();
            assert_eq!(r.status().as_u16(), want);
            let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.expect("body");
            let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
            assert_eq!(v["error"], msg);
        }
    }

    /// A page of the mailbox is the tail of the whole mailbox filtered by status, with its count.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mailbox_page_is_the_tail_of_the_filtered_mailbox() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let s = node(dir.path(), &partner_node, &Clock::virtual_at(1_800_000_000));
        let items: Vec<serde_json::Value> = (1..=5)
            .map(|i| serde_json::json!({"id": format!("US-{i}"), "kind": "new_item", "party": "US", "date": format!("2011-02-{:02}", 10 + i), "sent": "2011-02-21T10:00:00Z",
                "body": {"item": format!("US-MM3-{i:05}"), "category": "icbm", "type": "Minuteman III", "facility": "US-PROD"}}))
            .collect();
        crate::append::submit_items(&s, items, false).await.expect("logged");
        let v = s.view.read().expect("view");
        let now = 1_298_000_000; // 2011-02-18: some deadlines passed, some not
        let all = v.mailbox(&s.spec, true, now);
        assert_eq!(all.len(), 5);
        let names: std::collections::BTreeSet<&str> = all.iter().map(|i| i.status.name()).collect();
        assert!(names.len() > 1, "{names:?}");
        for status in [None, Some("awaiting"), Some("overdue"), Some("late"), Some("nonsense")] {
            let want: Vec<String> = all
                .iter()
                .filter(|i| status.is_none_or(|st| i.status.name() == st))
                .map(|i| serde_json::to_string(i).expect("json"))
                .collect();
            for limit in [0, 1, 2, 10] {
                let (total, page) = v.mailbox_page(&s.spec, true, now, status, (limit, 0));
                assert_eq!(total, want.len(), "{status:?}");
                let page: Vec<String> = page.iter().map(|i| serde_json::to_string(i).expect("json")).collect();
                assert_eq!(page, want[want.len().saturating_sub(limit)..].to_vec(), "{status:?} {limit}");
            }
        }
    }

    /// A folder another process writes is told apart by kind, not by text: the CLI hints at
    /// `--node` for it; another Party's configuration is a bad input naming the field.
    #[test]
    fn opening_a_busy_folder_is_unavailable_and_a_wrong_party_invalid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let partner_node = partner_node();
        let s = node(dir.path(), &partner_node, &Clock::virtual_at(1_800_000_000));
        let (cfg, spec) = (s.cfg.clone(), s.spec.clone());
        let again = Shared::open(dir.path(), cfg.clone(), spec.clone(), Clock::virtual_at(1_300_000_000));
        assert!(
            matches!(again, Err(crate::error::NodeError::Unavailable(ref m)) if m.contains("another process")),
            "{:?}",
            again.err()
        );
        s.stop();
        drop(s);
        let mut other = cfg;
        other.party = "RU".into();
        let wrong = Shared::open(dir.path(), other, spec, Clock::virtual_at(1_300_000_000));
        assert!(
            matches!(wrong, Err(crate::error::NodeError::Invalid(ref m)) if m.starts_with("party:")),
            "{:?}",
            wrong.err()
        );
    }
}
