//! The HTTP rim of offline bundles ([`crate::bundle`]): export the own log, import the
//! partner's.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::access;
use super::extract::{error, Allowed, Params};
use crate::bundle::{export, import, MAX_BUNDLE};
use crate::error::NodeError;
use crate::state::Shared;

/// `GET /api/v1/bundle?from=N`: an export of the own log (operator).
pub async fn get_bundle(State(s): State<Arc<Shared>>, _: Allowed<access::ExportBundle>, q: Params) -> Response {
    let from = match q.get("from").map(|v| v.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "from: not a number"),
    };
    let s2 = s.clone();
    match tokio::task::spawn_blocking(move || export(&s2, from)).await {
        Ok(Ok((bytes, summary))) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::HeaderName::from_static("x-accord-bundle"),
                    serde_json::to_string(&summary).unwrap_or_default(),
                ),
            ],
            bytes,
        )
            .into_response(),
        // Over HTTP the field is the query's `from`, not the CLI's `--from`.
        Ok(Err(NodeError::Invalid(m))) => NodeError::Invalid(m.replacen("--from", "from", 1)).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /api/v1/bundle`: imports a bundle of the partner's log (operator). The caller is
/// checked before the body is read (an operator never signs with a node key, so the body plays
/// no part in who asks).
pub async fn post_bundle(State(s): State<Arc<Shared>>, _: Allowed<access::ImportBundle>, req: Request) -> Response {
    let read = async {
        axum::body::to_bytes(req.into_body(), MAX_BUNDLE)
            .await
            .map_err(|e| error(StatusCode::PAYLOAD_TOO_LARGE, format!("body: {e}")))
    };
    let body = match super::extract::counted(&s, super::extract::body_within(s.limits.body_timeout, read).await) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match import(&s, body.into()).await {
        Ok(done) => axum::Json(done).into_response(),
        Err(e) => {
            tracing::warn!("bundle import refused: {e}");
            e.into_response()
        }
    }
}
