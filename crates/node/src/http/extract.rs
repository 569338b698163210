//! Who is asking and for which date: the credential of a request (a signed partner node, a
//! bearer token, a session cookie, or nobody), the role check with its refusal, the `on` date,
//! and the JSON error body every refusal carries.

use crate::auth::{RequestParts, Role, SigRefusal, SigVerifier};
use crate::metrics::Metrics;
use crate::state::Shared;
use accord_tlog::VerifierKey;
use axum::extract::Query;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Who a request comes from.
#[derive(Debug, Clone)]
pub struct Who {
    /// The role, if any.
    pub role: Option<Role>,
    /// Why a credential given was refused.
    pub refused: Option<String>,
}

fn header_fn(h: &HeaderMap) -> impl Fn(&str) -> Option<String> + '_ {
    move |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Verifies an RFC 9421 signed request as received (the signature's `@authority` is the Host
/// header) at `now` (the wall clock, POSIX seconds).
pub fn verify_signed(
    v: &SigVerifier,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<VerifierKey, SigRefusal> {
    let h = header_fn(headers);
    let authority = h("host").unwrap_or_default();
    let parts = RequestParts {
        method: method.as_str(),
        authority: &authority,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        body,
    };
    v.verify(&parts, &h, now)
}

/// Works out who sent a request: a signed partner node, a bearer token, a session cookie, or
/// nobody (public).
pub fn who(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Who {
    let h = header_fn(headers);
    if h("signature-input").is_some() {
        return match verify_signed(&s.sigs, method, uri, headers, body, s.ambient.wall.now()) {
            Ok(_) => Who {
                role: Some(Role::PartnerNode),
                refused: None,
            },
            Err(SigRefusal::Missing) => Who {
                role: None,
                refused: Some("a Signature-Input without a Signature".into()),
            },
            Err(SigRefusal::Bad(why)) => Who {
                role: None,
                refused: Some(format!("signature refused: {why}")),
            },
        };
    }
    if let Some(a) = h("authorization") {
        let Some(token) = a.strip_prefix("Bearer ") else {
            return Who {
                role: None,
                refused: Some("Authorization: only Bearer tokens are accepted".into()),
            };
        };
        return match s.tokens.role(token.trim()) {
            Some(r) => Who {
                role: Some(r),
                refused: None,
            },
            None => Who {
                role: None,
                refused: Some("unknown bearer token".into()),
            },
        };
    }
    if let Some(c) = h("cookie") {
        if let Some(sid) = c.split(';').filter_map(|p| p.trim().strip_prefix("accord_session=")).next() {
            return match s.tokens.session_role(sid, s.ambient.wall.now()) {
                Some(r) => Who {
                    role: Some(r),
                    refused: None,
                },
                None => Who {
                    role: None,
                    refused: Some("the session has expired or is unknown; sign in again".into()),
                },
            };
        }
    }
    Who { role: None, refused: None }
}

/// The one mapping of the node's errors to HTTP statuses.
pub fn status_of(e: &crate::error::NodeError) -> StatusCode {
    use crate::error::NodeError as E;
    match e {
        E::Invalid(_) => StatusCode::BAD_REQUEST,
        E::NotFound(_) => StatusCode::NOT_FOUND,
        E::Conflict(_) => StatusCode::CONFLICT,
        E::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for crate::error::NodeError {
    fn into_response(self) -> Response {
        error(status_of(&self), self.to_string())
    }
}

/// An error response with a JSON body `{"error": …}`.
pub fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({"error": msg.into()}))).into_response()
}

/// Checks the caller holds one of `roles`: 401 without (or with a refused) credential, 403
/// with the wrong one; every refusal is logged and counted.
pub fn require(s: &Shared, w: &Who, roles: &[Role], what: &str) -> Result<Role, Response> {
    let refuse = |status: StatusCode, why: String| {
        Metrics::add(&s.metrics.refused, 1);
        tracing::warn!(status = status.as_u16(), "refused {what}: {why}");
        error(status, why)
    };
    match (w.role, &w.refused) {
        (_, Some(why)) => Err(refuse(StatusCode::UNAUTHORIZED, why.clone())),
        (None, None) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!(
                "{what} needs a credential ({})",
                roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(" or ")
            ),
        )),
        (Some(r), None) if roles.contains(&r) => Ok(r),
        (Some(r), None) => Err(refuse(
            StatusCode::FORBIDDEN,
            format!("{what} is not open to the role {}", r.name()),
        )),
    }
}

/// Query parameters as a map.
pub type Params = Query<HashMap<String, String>>;

/// The date of the node's clock.
pub(crate) fn today(s: &Shared) -> accord_treaty::Date {
    accord_ledger::notification::Timestamp::from_unix(s.clock.now()).date()
}

/// The `on` query parameter, if given (400 naming it when it is not a date).
pub(crate) fn on_given(q: &Params) -> Result<Option<accord_treaty::Date>, Response> {
    q.get("on")
        .map(|d| accord_treaty::parse_date(d).map_err(|e| error(StatusCode::BAD_REQUEST, format!("on: {d:?}: {e}"))))
        .transpose()
}

/// The `on` query parameter, default the node's clock.
pub(crate) fn on_date(s: &Shared, q: &Params) -> Result<accord_treaty::Date, Response> {
    Ok(on_given(q)?.unwrap_or_else(|| today(s)))
}
