//! The audit log: which credential did what. Every write (any method but GET, HEAD and
//! OPTIONS), every sign-in and every refusal (401, 403) is kept as an
//! [`AuditRow`] in the node's token store (`node.db`),
//! read with `accord serve audit` or `GET /api/v1/audit`.
//!
//! Invariants:
//! - a row names the token (its name and the first 8 hex digits of its SHA-256, never the
//!   token), or `partner node` for a signed request, or what was wrong with the credential;
//!   the path without its query; the status answered;
//! - the caller of a write is worked out before the handler runs (so that signing out, which
//!   ends the session, is still put to its token);
//! - rows are written in batches by one writer task off the async workers, in order; a queue
//!   of [`crate::audit::QUEUE`] rows bounds the memory a flood of refusals can take: beyond it rows are
//!   dropped and counted (`accord_audit_dropped_total`), never the request (the queue is
//!   [`crate::audit::Queue`], kept in the node's state);
//! - the store keeps the newest [`AUDIT_KEEP`](crate::storage::contract::AUDIT_KEEP) rows.

use crate::metrics::Metrics;
use crate::state::Shared;
use crate::storage::contract::AuditRow;
use axum::http::{HeaderMap, Method, StatusCode};

/// What a request's head says about its credential, taken before the request runs (nothing is
/// copied for a request without one).
pub struct Credential {
    signed: bool,
    bearer: Option<String>,
    session: Option<String>,
}

impl Credential {
    /// The credential of a request with these headers.
    pub fn of(headers: &HeaderMap) -> Credential {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        Credential {
            signed: h("signature-input").is_some(),
            bearer: h("authorization").map(str::to_owned),
            session: crate::http::extract::session_cookie(headers).map(str::to_owned),
        }
    }
}
use std::sync::Arc;

/// Whether a request's outcome is kept: a write, or a refusal.
pub fn audited(method: &Method, status: StatusCode) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
}

/// Who a sign-in was made by, set by the sign-in handler on its response (the credential is
/// in the body there, not the head).
#[derive(Debug, Clone)]
pub struct SignedIn(pub String, pub String);

/// Who a request's credential says it comes from, and the role held: `("ops#1a2b3c4d",
/// "operator")`, `("partner node", …)`, or `("unknown bearer token", "-")`, `("-", "-")`.
/// Looks the token or session up; a signature is named, not verified (the handler did).
pub fn actor(s: &Shared, c: &Credential) -> (String, String) {
    let now = s.ambient.wall.now();
    if c.signed {
        return ("partner node".into(), crate::auth::Role::PartnerNode.name().into());
    }
    if let Some(a) = &c.bearer {
        return match a.strip_prefix("Bearer ").and_then(|t| s.tokens.holder(t.trim(), now)) {
            Some((role, who)) => (who, role.name().into()),
            None => ("unknown bearer token".into(), "-".into()),
        };
    }
    if let Some(sid) = &c.session {
        return match s.tokens.session_holder(sid, now) {
            Some((role, who)) => (who, role.name().into()),
            None => ("expired or unknown session".into(), "-".into()),
        };
    }
    ("-".into(), "-".into())
}

/// Queues a row (dropped and counted when the queue is full).
pub fn keep(s: &Shared, row: AuditRow) {
    if !s.audit.push(row) {
        Metrics::add(&s.metrics.audit_dropped, 1);
    }
}

/// Writes queued rows in batches until `stop` turns true, then what is left.
pub async fn write(s: Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(mut rx) = s.audit.take_receiver() else {
        return;
    };
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            n = rx.recv_many(&mut batch, 512) => if n == 0 { return },
            _ = stop.changed() => {
                while let Ok(r) = rx.try_recv() {
                    batch.push(r);
                }
                flush(&s, batch).await;
                return;
            }
        }
        flush(&s, batch).await;
    }
}

async fn flush(s: &Arc<Shared>, batch: Vec<AuditRow>) {
    if batch.is_empty() {
        return;
    }
    let s2 = s.clone();
    let n = batch.len();
    match tokio::task::spawn_blocking(move || s2.tokens.audit(&batch)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            Metrics::add(&s.metrics.audit_dropped, n as u64);
            tracing::error!("audit log: {n} rows not kept: {e}");
        }
        Err(e) => tracing::error!("audit log: {e}"),
    }
}

/// A row as JSON, as `GET /api/v1/audit` and `accord serve audit --format json` give it (`at`
/// in RFC 3339).
pub fn row_json(r: &AuditRow) -> serde_json::Value {
    serde_json::json!({
        "seq": r.seq, "at": crate::clock::rfc3339(r.at), "who": r.who, "role": r.role,
        "client": r.client, "method": r.method, "path": r.path, "status": r.status,
    })
}
