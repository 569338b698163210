//! A neutral witness as an HTTP service (`accord witness serve`): tlog-witness
//! `POST /add-checkpoint` over the state of `accord witness` (`witness.db`), plus health and
//! the logs it follows. It sees checkpoints and consistency proofs only, never entries.
//!
//! Invariants: the state's rules apply (old size checked and new size stored in one
//! transaction, forks kept as evidence and the log frozen); when the witness has allowed
//! client keys, an `add-checkpoint` request must be signed (RFC 9421) by one of them, and a
//! refused request changes nothing.

use crate::auth::{SigRefusal, SigVerifier};
use crate::clock::Clock;
#[cfg(test)]
use accord_logstore::witness::WitnessState;
use accord_logstore::witness::WitnessStore;
use accord_tlog::{SignerKey, VerifierKey};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::{Arc, Mutex};

/// A running witness.
pub struct Witness {
    state: Mutex<Box<dyn WitnessStore>>,
    key: SignerKey,
    clients: Option<SigVerifier>,
    /// The wall clock: signed requests' window and the cosignatures' timestamps.
    wall: Clock,
}

impl Witness {
    /// A witness over `state`, cosigning with `key`; `clients`: the keys whose signed requests
    /// are accepted (empty: unsigned requests are accepted, as tlog-witness allows).
    pub fn new(state: impl WitnessStore + 'static, key: SignerKey, clients: Vec<VerifierKey>) -> Witness {
        Witness::with_clock(state, key, clients, Clock::System)
    }

    /// [`Witness::new`] on the wall clock given (tests move a virtual one).
    pub fn with_clock(state: impl WitnessStore + 'static, key: SignerKey, clients: Vec<VerifierKey>, wall: Clock) -> Witness {
        let clients = (!clients.is_empty()).then(|| SigVerifier::new(clients, wall.now()));
        Witness {
            state: Mutex::new(Box::new(state)),
            key,
            clients,
            wall,
        }
    }
}

/// The largest add-checkpoint body: an old size, a consistency proof of at most 64 hashes and
/// a checkpoint with its signatures fit in a few KiB.
pub const WITNESS_BODY: usize = 64 << 10;

/// The witness's routes.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/health", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
        .route("/logs", get(logs))
        .layer(axum::extract::DefaultBodyLimit::max(WITNESS_BODY))
        .with_state(w)
}

async fn logs(State(w): State<Arc<Witness>>) -> Response {
    let st = match w.state.lock() {
        Ok(s) => s.followed(),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "state poisoned").into_response(),
    };
    match st {
        Ok(f) => axum::Json(
            f.into_iter()
                .map(|l| serde_json::json!({"origin": l.origin, "size": l.size, "frozen": l.frozen}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, req: axum::extract::Request) -> Response {
    // A signed request is checked from its head before its body is read, and the body then
    // against the digest the signature covers.
    let head = w.clients.as_ref().map(|v| {
        crate::http::extract::verify_head(v, None, req.method(), req.uri(), req.headers(), w.wall.now())
            .map(|_| req.headers().get("content-digest").and_then(|d| d.to_str().ok()).map(str::to_owned))
    });
    let body = if matches!(head, None | Some(Ok(_))) {
        match crate::http::extract::read_within(req, crate::http::listen::Limits::default().body_timeout).await {
            Ok(b) => b,
            Err(r) => return r,
        }
    } else {
        Bytes::new()
    };
    if let Some(checked) = head {
        if let Err(e) = checked.and_then(|digest| crate::auth::digest_matches(digest.as_deref(), &body)) {
            let why = match e {
                SigRefusal::Missing => "this witness accepts signed requests only (RFC 9421)".to_owned(),
                SigRefusal::Bad(why) => format!("signature refused: {why}"),
            };
            tracing::warn!("refused add-checkpoint: {why}");
            return (StatusCode::UNAUTHORIZED, format!("{why}\n")).into_response();
        }
    }
    let w2 = w.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut st = w2.state.lock().map_err(|_| "state poisoned".to_string())?;
        st.add_checkpoint(&body, &w2.key, w2.wall.now().max(0) as u64)
            .map_err(|e| e.to_string())
    })
    .await;
    match out {
        Ok(Ok(Ok(cosig))) => (StatusCode::OK, [("content-type", "text/plain; charset=utf-8")], cosig).into_response(),
        Ok(Ok(Err(rej))) => {
            if rej.status() == 422 {
                tracing::error!("add-checkpoint: {}", rej.body().trim());
            }
            let ct = if rej.status() == 409 {
                accord_tlog::witness::SIZE_CONTENT_TYPE
            } else {
                "text/plain; charset=utf-8"
            };
            (
                StatusCode::from_u16(rej.status()).unwrap_or(StatusCode::BAD_REQUEST),
                [("content-type", ct)],
                rej.body(),
            )
                .into_response()
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Serves a witness on `listener` until `shutdown` resolves.
pub async fn serve(
    w: Arc<Witness>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    crate::http::listen::serve(listener, router(w), &crate::http::listen::Limits::default(), || {}, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The witness's signed-request window follows its injected wall clock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_signature_window_follows_the_injected_wall_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = WitnessState::open(&dir.path().join("witness.db")).expect("state");
        let key = SignerKey::from_seed("witness.test", accord_tlog::note::ALG_COSIGNATURE_V1, [5; 32]).expect("key");
        let client = SignerKey::from_seed("accord.test/us/node", accord_tlog::note::ALG_COSIGNATURE_V1, [6; 32]).expect("key");
        let wall = Clock::virtual_at(1_800_000_000);
        let w = Arc::new(Witness::with_clock(state, key, vec![client.verifier()], wall.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move { axum::serve(listener, router(w)).await });
        let ambient = crate::clock::Ambient {
            wall: Clock::virtual_at(1_800_000_000),
            entropy: crate::clock::Entropy::seeded(1),
        };
        let peer = crate::client::Peer::new(reqwest::Client::new(), &base, client, ambient).expect("peer");
        // Inside the window the request gets past the signature (and is refused for its body).
        let r = peer
            .send("POST", "/add-checkpoint", b"old 0\n\nnot a checkpoint".to_vec(), "text/plain")
            .await
            .expect("send");
        assert_ne!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.status >= 400);
        // The witness's clock moves past the window: the same kind of request is refused as signed.
        wall.set(1_800_000_000 + crate::auth::WINDOW_SECS + 1).expect("set");
        let r = peer
            .send("POST", "/add-checkpoint", b"old 0\n\nnot a checkpoint".to_vec(), "text/plain")
            .await
            .expect("send");
        assert_eq!(r.status, 401);
        assert!(
            String::from_utf8_lossy(&r.body).contains("window"),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        server.abort();
    }
}
