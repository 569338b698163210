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
use accord_logstore::witness::WitnessState;
use accord_tlog::{SignerKey, VerifierKey};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::{Arc, Mutex};

/// A running witness.
pub struct Witness {
    state: Mutex<WitnessState>,
    key: SignerKey,
    clients: Option<SigVerifier>,
}

impl Witness {
    /// A witness over `state`, cosigning with `key`; `clients`: the keys whose signed requests
    /// are accepted (empty: unsigned requests are accepted, as tlog-witness allows).
    pub fn new(state: WitnessState, key: SignerKey, clients: Vec<VerifierKey>) -> Witness {
        let clients = (!clients.is_empty()).then(|| SigVerifier::new(clients, Clock::System.now()));
        Witness {
            state: Mutex::new(state),
            key,
            clients,
        }
    }
}

/// The witness's routes.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/health", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
        .route("/logs", get(logs))
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
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

async fn add_checkpoint(State(w): State<Arc<Witness>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(v) = &w.clients {
        if let Err(e) = crate::http::extract::verify_signed(v, &method, &uri, &headers, &body, Clock::System.now()) {
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
        st.add_checkpoint(&body, &w2.key, Clock::System.now().max(0) as u64)
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
    axum::serve(listener, router(w))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}
