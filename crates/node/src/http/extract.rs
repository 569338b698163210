//! Who is asking and for which date: the credential of a request (a signed partner node, a
//! bearer token, a session cookie, or nobody), the role check with its refusal, the `on` date,
//! and the JSON error body every refusal carries.

use crate::auth::{RequestParts, Role, SigRefusal};
use crate::metrics::Metrics;
use crate::state::Shared;
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

/// The session id of a request's `accord_session` cookie, if it has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|p| p.trim().strip_prefix("accord_session=")))
}

/// A request refused for its signature, with the reason.
fn signature_refused(e: &SigRefusal) -> Who {
    Who {
        role: None,
        refused: Some(match e {
            SigRefusal::Missing => e.reason().to_owned(),
            SigRefusal::Bad(why) => format!("signature refused: {why}"),
        }),
    }
}

/// Checks an RFC 9421 signed request's head at `now` with `v` (see
/// [`crate::auth::SigVerifier::verify_head`]): its `@authority` is `authority` (the node's
/// configured public address) when given, else the `Host` header.
pub fn verify_head(
    v: &crate::auth::SigVerifier,
    authority: Option<String>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    now: i64,
) -> Result<accord_tlog::VerifierKey, SigRefusal> {
    let h = header_fn(headers);
    let authority = authority.unwrap_or_else(|| h("host").unwrap_or_default());
    let parts = RequestParts {
        method: method.as_str(),
        authority: &authority,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        body: b"",
    };
    v.verify_head(&parts, &h, now)
}

/// Works out who sent a request without a body: a signed partner node (its signature over the
/// empty body), a bearer token, a session cookie, or nobody (public).
pub fn who(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) -> Who {
    let w = who_head(s, method, uri, headers);
    if w.role == Some(Role::PartnerNode) {
        let digest = headers.get("content-digest").and_then(|v| v.to_str().ok());
        if let Err(e) = crate::auth::digest_matches(digest, b"") {
            return signature_refused(&e);
        }
    }
    w
}

/// [`who`] from a request's head alone, before its body is read: a token or a session is
/// checked whole; a signature is checked over everything but the body, whose
/// `Content-Digest` (signed) the body must then match (`crate::auth::digest_matches`).
pub fn who_head(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) -> Who {
    let h = header_fn(headers);
    if h("signature-input").is_some() {
        return match verify_head(&s.sigs, s.cfg.public_authority(), method, uri, headers, s.ambient.wall.now()) {
            Ok(_) => Who {
                role: Some(Role::PartnerNode),
                refused: None,
            },
            Err(e) => signature_refused(&e),
        };
    }
    if let Some(a) = h("authorization") {
        let Some(token) = a.strip_prefix("Bearer ") else {
            return Who {
                role: None,
                refused: Some("Authorization: only Bearer tokens are accepted".into()),
            };
        };
        return match s.tokens.role(token.trim(), s.ambient.wall.now()) {
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
    if let Some(sid) = session_cookie(headers) {
        if let Err(why) = same_origin(method, headers) {
            return Who {
                role: None,
                refused: Some(why),
            };
        }
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
    Who { role: None, refused: None }
}

/// A write (any method but GET, HEAD and OPTIONS) that a session cookie authenticates must come
/// from this node's own page: its `Origin` is this node (the scheme and the `Host` it was sent
/// to) and, when the browser says, `Sec-Fetch-Site` is `same-origin`. `SameSite=Strict` alone
/// lets another port or a sibling host of the same site through; a request with no `Origin`
/// is not a browser's same-origin write and is refused too.
pub fn same_origin(method: &Method, headers: &HeaderMap) -> Result<(), String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let h = header_fn(headers);
    if let Some(site) = h("sec-fetch-site") {
        if site != "same-origin" {
            return Err(format!(
                "a {method} with a session cookie from another site (Sec-Fetch-Site: {site}) is refused"
            ));
        }
    }
    let host = h("host").unwrap_or_default();
    match h("origin") {
        Some(o) if !host.is_empty() && (o == format!("http://{host}") || o == format!("https://{host}")) => Ok(()),
        Some(o) => Err(format!(
            "a {method} with a session cookie from another origin ({o}) is refused: only this node's page may write with its cookie"
        )),
        None => Err(format!(
            "a {method} with a session cookie needs an Origin header (this node's page sends it); other clients use a bearer token"
        )),
    }
}

/// Runs a handler's work that reads the view or the record (it may wait for the view's lock
/// while an append holds it, or build what the view caches) on the blocking pool, so the async
/// workers stay free for `/health` and every other request.
pub async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The one mapping of the node's errors to HTTP statuses.
pub fn status_of(e: &crate::error::NodeError) -> StatusCode {
    use crate::error::NodeError as E;
    match e {
        E::Invalid(_) => StatusCode::BAD_REQUEST,
        E::NotFound(_) => StatusCode::NOT_FOUND,
        E::Conflict(_) => StatusCode::CONFLICT,
        E::Forbidden(_) => StatusCode::FORBIDDEN,
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

/// One of the client's places in `places` (long polls, event streams), or the refusal: 429
/// saying `why`, with `Retry-After: retry` seconds, counted as throttled.
pub fn place(
    s: &Shared,
    places: &super::listen::PerClient,
    client: &super::listen::Client,
    why: impl FnOnce() -> String,
    retry: &'static str,
) -> Result<super::listen::Slot, Response> {
    let ip = client.0.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    places.take(ip).ok_or_else(|| {
        Metrics::add(&s.metrics.throttled, 1);
        let why = why();
        tracing::warn!("refused: {why}");
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, why);
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(retry));
        r
    })
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

/// The `on` query parameter, if given (400 naming it when it is not a date).
pub(crate) fn on_given(q: &Params) -> Result<Option<accord_treaty::Date>, Response> {
    q.get("on")
        .map(|d| accord_treaty::parse_date(d).map_err(|e| error(StatusCode::BAD_REQUEST, format!("on: {d:?}: {e}"))))
        .transpose()
}

/// Who may call a route, and how refusals name it: one marker type per route, declared in
/// [`crate::http::access`], the one table of the routes' roles.
pub trait Access: Send + Sync + 'static {
    /// The roles admitted.
    const ROLES: &'static [Role];
    /// What a refusal calls the route ("the outbox needs a credential").
    const WHAT: &'static str;
}

/// Checks the caller of a request (its headers; no body) against `A`, for a route whose access
/// depends on what it asks for (entry bundles among public hash tiles).
pub fn check<A: Access>(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<Role, Response> {
    require(s, &who(s, method, uri, headers), A::ROLES, A::WHAT)
}

/// A request from a caller holding one of `A`'s roles, with its body (read first, within the
/// route's body limit, because a signed request's signature covers it; the last argument of a
/// handler). Extracting it refuses the request, 401 or 403 with the reason, before the handler
/// runs.
pub struct AllowedBody<A: Access> {
    /// The caller's role.
    pub role: Role,
    /// The request body.
    pub body: axum::body::Bytes,
    _access: std::marker::PhantomData<fn() -> A>,
}

impl<A: Access> AllowedBody<A> {
    /// The body as JSON (`Invalid`, 400, naming the body when it is not).
    pub fn json(&self) -> Result<serde_json::Value, crate::error::NodeError> {
        serde_json::from_slice(&self.body).map_err(|e| crate::error::NodeError::Invalid(format!("body: not JSON: {e}")))
    }
}

impl<A: Access> axum::extract::FromRequest<std::sync::Arc<Shared>> for AllowedBody<A> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, s: &std::sync::Arc<Shared>) -> Result<Self, Response> {
        // Who asks is settled from the head: a caller without the role is refused before a byte
        // of the body is read (a signature is checked over everything but the body here, and
        // the body against its signed digest once read).
        let w = who_head(s, req.method(), req.uri(), req.headers());
        let role = require(s, &w, A::ROLES, A::WHAT)?;
        // A signed request's body must match the digest its signature covers.
        let digest =
            (role == Role::PartnerNode).then(|| req.headers().get("content-digest").and_then(|v| v.to_str().ok()).map(str::to_owned));
        let body = read_body(s, req).await?;
        if let Some(digest) = digest {
            if let Err(e) = crate::auth::digest_matches(digest.as_deref(), &body) {
                require(s, &signature_refused(&e), A::ROLES, A::WHAT)?;
            }
        }
        Ok(AllowedBody {
            role,
            body,
            _access: std::marker::PhantomData,
        })
    }
}

/// Reads a request's body within the route's size limit (413) and `limits.body_timeout_secs`
/// of its head (408: a client that sends its body slowly holds nothing longer).
pub async fn read_body(s: &Shared, req: axum::extract::Request) -> Result<axum::body::Bytes, Response> {
    counted(s, read_within(req, s.limits.body_timeout).await)
}

/// A body read's outcome, a 408 counted among the throttled requests.
pub fn counted<T>(s: &Shared, read: Result<T, Response>) -> Result<T, Response> {
    read.inspect_err(|r| {
        if r.status() == StatusCode::REQUEST_TIMEOUT {
            Metrics::add(&s.metrics.throttled, 1);
        }
    })
}

/// Reads a request's body within the route's size limit (413) and `within` (408).
pub async fn read_within(req: axum::extract::Request, within: std::time::Duration) -> Result<axum::body::Bytes, Response> {
    use axum::extract::FromRequest as _;
    body_within(within, async {
        axum::body::Bytes::from_request(req, &()).await.map_err(IntoResponse::into_response)
    })
    .await
}

/// Awaits `read`, the reading of a request's body, for at most `within`: beyond it, 408 naming
/// `limits.body_timeout_secs`.
pub async fn body_within<T>(
    within: std::time::Duration,
    read: impl std::future::Future<Output = Result<T, Response>>,
) -> Result<T, Response> {
    match tokio::time::timeout(within, read).await {
        Ok(read) => read,
        Err(_) => {
            tracing::warn!("refused a body: not whole within {} s", within.as_secs());
            Err(error(
                StatusCode::REQUEST_TIMEOUT,
                format!("body: not received whole within {} s (limits.body_timeout_secs)", within.as_secs()),
            ))
        }
    }
}

/// A request from a caller holding one of `A`'s roles, checked from the headers alone (a
/// token, a session, or a signature over an empty body): for the routes that take no body, or
/// one that is no part of who asks (an operator never signs with a node key), so that a large
/// body is read only for a caller allowed to send it. Extracting it refuses the request, 401 or
/// 403 with the reason, before the handler runs.
pub struct Allowed<A: Access> {
    /// The caller's role.
    pub role: Role,
    _access: std::marker::PhantomData<fn() -> A>,
}

impl<A: Access> axum::extract::FromRequestParts<std::sync::Arc<Shared>> for Allowed<A> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, s: &std::sync::Arc<Shared>) -> Result<Self, Response> {
        let w = who(s, &parts.method, &parts.uri, &parts.headers);
        let role = require(s, &w, A::ROLES, A::WHAT)?;
        Ok(Allowed {
            role,
            _access: std::marker::PhantomData,
        })
    }
}

/// The caller's role, if any, on a route open to everyone that shows more to some roles (a
/// refused credential counts as none).
pub struct Caller(pub Option<Role>);

impl axum::extract::FromRequestParts<std::sync::Arc<Shared>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &std::sync::Arc<Shared>,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Caller(who(s, &parts.method, &parts.uri, &parts.headers).role))
    }
}

/// The `on` query parameter, default the node's clock's date (400 naming `on` when it is not a
/// date).
pub struct On(pub accord_treaty::Date);

impl axum::extract::FromRequestParts<std::sync::Arc<Shared>> for On {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, s: &std::sync::Arc<Shared>) -> Result<Self, Response> {
        Ok(On(OnGiven::from_request_parts(parts, s).await?.0.unwrap_or_else(|| s.today())))
    }
}

/// The `on` query parameter if given (400 naming `on` when it is not a date).
pub struct OnGiven(pub Option<accord_treaty::Date>);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for OnGiven {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &St) -> Result<Self, Response> {
        let q: Params = Query::try_from_uri(&parts.uri).map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))?;
        on_given(&q).map(OnGiven)
    }
}
