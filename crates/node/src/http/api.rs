//! The party API: compose, validate and submit notifications; inbox and outbox with each
//! deadline's status; state and compliance on any date; alerts; the treaty clock; the status
//! page. Described in `openapi.json` (served at `/openapi.json`, checked by a test).
//!
//! Invariants: a submission is validated whole before anything is logged (a bad notification
//! anywhere in a batch logs none of it and names the position and field); a notification id
//! already logged with the same content answers with its existing receipt (a retry is
//! harmless), with other content 409; `received` is never taken from a sender.

use super::access;
use super::body::{
    Alerts, ClockReading, Compose, Composed, Figures, ForkEvidence, LimitFigure, MailboxPage, PartyFigures, Receipts, Release, Releases,
    SetClock, Validity,
};
use super::extract::{blocking, error, Allowed, AllowedBody, On, Params};
use crate::append::submit_items;
use crate::state::Shared;
use accord_ledger::replay::replay;
use accord_logstore::store::Store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The OpenAPI description of the node's HTTP API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

type S = State<Arc<Shared>>;

/// `POST /api/v1/validate`: checks a notification against the catalogue and this Party.
pub async fn validate(State(s): S, a: AllowedBody<access::Validate>) -> Response {
    let v = match a.json() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let problem = crate::append::validate(&s.spec, &v.to_string(), &s.cfg.party).err();
    axum::Json(Validity {
        valid: problem.is_none(),
        problem,
    })
    .into_response()
}

/// `POST /api/v1/compose`: a notification from `{kind, date, body, id?}`, with this Party
/// and an id filled in, and whether it is valid.
pub async fn compose(State(s): S, a: AllowedBody<access::Compose>) -> Response {
    let v = match a.json() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Some(o) = v.as_object() else {
        return error(StatusCode::BAD_REQUEST, "body: an object {kind, date, body, id?} expected");
    };
    if let Some(k) = o.keys().find(|k| !Compose::FIELDS.contains(&k.as_str())) {
        return error(StatusCode::BAD_REQUEST, format!("{k}: unknown field (kind, date, body, id)"));
    }
    let c: Compose = match serde_json::from_value(v) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    let next = s.view.read().map(|v| v.own_size()).unwrap_or(0) + 1;
    let id =
        c.id.unwrap_or_else(|| serde_json::Value::String(format!("{}-N{next:06}", s.cfg.party)));
    let n = serde_json::json!({
        "id": id, "kind": c.kind.unwrap_or_default(), "party": s.cfg.party, "date": c.date.unwrap_or_default(),
        "body": c.body.unwrap_or_else(|| serde_json::json!({})),
    });
    let problem = crate::append::validate(&s.spec, &n.to_string(), &s.cfg.party).err();
    axum::Json(Composed {
        notification: n,
        valid: problem.is_none(),
        problem,
    })
    .into_response()
}

/// `POST /api/v1/notifications`: submits one notification or an array, all or none.
pub async fn submit(State(s): S, a: AllowedBody<access::Submit>) -> Response {
    let v = match a.json() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let (items, single) = match v {
        serde_json::Value::Array(a) => (a, false),
        o @ serde_json::Value::Object(_) => (vec![o], true),
        _ => return error(StatusCode::BAD_REQUEST, "body: a notification object or an array of them expected"),
    };
    match submit_items(&s, items, single).await {
        Ok(receipts) => axum::Json(Receipts { receipts }).into_response(),
        Err(e) => e.into_response(),
    }
}

fn mailbox(s: &Arc<Shared>, outbox: bool, q: &Params) -> Response {
    let num = |k: &str, default: usize| match q.get(k).map(|l| l.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) => Ok(n),
        Some(Err(_)) => Err(error(StatusCode::BAD_REQUEST, format!("{k}: a whole number of items expected"))),
    };
    let (limit, offset) = match (num("limit", 1000), num("offset", 0)) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let status = q.get("status").map(String::as_str);
    let (total, items) = match s.view.read() {
        Ok(v) => v.mailbox_page(&s.spec, outbox, s.clock.now(), status, (limit, offset)),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "view poisoned"),
    };
    axum::Json(MailboxPage { items, total }).into_response()
}

/// `GET /api/v1/outbox`: this Party's notifications, newest `limit` (1000) after skipping the
/// newest `offset` (0: pages back through the record), with receipt and deadline status;
/// `status=` filters; `total` counts every match.
pub async fn outbox(State(s): S, _: Allowed<access::Outbox>, q: Params) -> Response {
    blocking(move || mailbox(&s, true, &q)).await
}

/// `GET /api/v1/inbox`: the partner's notifications as received here.
pub async fn inbox(State(s): S, _: Allowed<access::Inbox>, q: Params) -> Response {
    blocking(move || mailbox(&s, false, &q)).await
}

/// `GET /api/v1/state?on=DATE`: each Party's figures for each limit on a date, from the
/// exchanged record.
pub async fn state(State(s): S, _: Allowed<access::State>, On(on): On) -> Response {
    let s2 = s.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<Figures, String> {
        let (history, record) = {
            let v = s2.view.read().map_err(|_| "view poisoned")?;
            (v.history(&s2.spec)?, v.record(&s2.spec))
        };
        // Under the lifecycle the record agreed (see `View::compliance`).
        let out = replay(&record.spec, &history, &[on]).map_err(|e| e.to_string())?;
        let parties = out
            .snapshots
            .iter()
            .map(|snap| PartyFigures {
                declared_as_of: snap.declared_as_of.map(|d| d.to_string()),
                party: s2.spec.parties[snap.party].code.clone(),
                values: s2
                    .spec
                    .limits
                    .iter()
                    .zip(&snap.values)
                    .map(|(l, v)| LimitFigure {
                        limit: l.name.clone(),
                        max: l.value,
                        value: *v,
                    })
                    .collect(),
            })
            .collect();
        Ok(Figures {
            on: on.to_string(),
            parties,
        })
    })
    .await;
    match out {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/compliance?on=DATE`: the compliance report as of a date, from the exchanged
/// record (late notifications judged by the acknowledgements' times).
pub async fn compliance(State(s): S, _: Allowed<access::Compliance>, On(on): On) -> Response {
    let s2 = s.clone();
    let out = tokio::task::spawn_blocking(move || s2.view.read().map_err(|_| "view poisoned".to_string())?.compliance(&s2.spec, on)).await;
    match out {
        Ok(Ok(r)) => axum::Json(&*r).into_response(),
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/audit?after=N&limit=N`: the audit log (operators).
pub async fn audit(State(s): S, _: Allowed<access::AuditLog>, q: Params) -> Response {
    let num = |k: &str, default: u64| -> Result<u64, Response> {
        q.get(k).map_or(Ok(default), |v| {
            v.parse::<u64>()
                .map_err(|_| error(StatusCode::BAD_REQUEST, format!("{k}: {v:?} is not a whole number")))
        })
    };
    let (after, limit) = match (num("after", 0), num("limit", 100)) {
        (Ok(a), Ok(l)) => (a, l.clamp(1, 1000) as usize),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    blocking(move || match s.tokens.audit_log(after, limit) {
        Ok(rows) => axum::Json(serde_json::json!({
            "rows": rows.iter().map(crate::http::audit::row_json).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    })
    .await
}

/// `GET /api/v1/alerts`: forks (with the evidence kept) and problems with entries.
pub async fn alerts(State(s): S, _: Allowed<access::Alerts>) -> Response {
    blocking(move || alerts_of(&s)).await
}

fn alerts_of(s: &Shared) -> Response {
    let alerts = s.alerts.lock().map(|a| a.clone()).unwrap_or_default();
    let problems = s.view.read().map(|v| v.problems().to_vec()).unwrap_or_default();
    let evidence = s
        .witness
        .lock()
        .ok()
        .and_then(|w| w.evidence().ok())
        .unwrap_or_default()
        .into_iter()
        .map(|e| ForkEvidence {
            held: String::from_utf8_lossy(&e.cosigned).into_owned(),
            origin: e.origin,
            seen: String::from_utf8_lossy(&e.conflicting).into_owned(),
            seen_at: e.seen_at,
        })
        .collect();
    axum::Json(Alerts {
        alerts,
        evidence,
        problems,
    })
    .into_response()
}

/// `GET /api/v1/clock`: the node's treaty clock.
pub async fn get_clock(State(s): S) -> Response {
    axum::Json(ClockReading {
        now: crate::clock::rfc3339(s.clock.now()),
        is_virtual: s.clock.is_virtual(),
    })
    .into_response()
}

/// `PUT /api/v1/clock`: sets a virtual clock (`{"now": "YYYY-MM-DDTHH:MM:SSZ"}`), forward only.
pub async fn set_clock(State(s): S, a: AllowedBody<access::SetClock>) -> Response {
    let v = match a.json() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Ok(SetClock { now }) = serde_json::from_value(v) else {
        return error(StatusCode::BAD_REQUEST, "now: a time YYYY-MM-DDTHH:MM:SSZ expected");
    };
    let t = match crate::view::parse_time(&now) {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("now: {e}")),
    };
    match s.set_clock(t) {
        Ok(_) => axum::Json(ClockReading {
            now: crate::clock::rfc3339(t),
            is_virtual: true,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /public/releases`: every public release of this log (public, no token): the public
/// part of each notification of a public kind, with its entry index.
pub async fn releases(State(s): S) -> Response {
    blocking(move || releases_of(&s)).await
}

fn releases_of(s: &Shared) -> Response {
    let (list, fin) = match s.view.read() {
        Ok(v) => (v.releases(), s.final_size()),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "view poisoned"),
    };
    let releases = list
        .into_iter()
        .map(|(index, _, value)| Release {
            is_final: index < fin,
            index,
            release: (*value).clone(),
        })
        .collect();
    axum::Json(Releases { final_size: fin, releases }).into_response()
}

/// `GET /public/releases/{index}`: a C2SP tlog-proof (with the release entry as its extra data)
/// to the latest final checkpoint, with its cosignatures: anyone can check the release is in
/// the log both Parties hold (`accord log verify-proof FILE --policy POLICY`).
pub async fn release_proof(State(s): S, axum::extract::Path(index): axum::extract::Path<String>) -> Response {
    let Ok(index) = index.parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, format!("index: {index:?} is not a number"));
    };
    let s1 = s.clone();
    let is_release =
        tokio::task::spawn_blocking(move || s1.view.read().map(|v| v.releases().iter().any(|r| r.0 == index)).unwrap_or(false))
            .await
            .unwrap_or(false);
    if !is_release {
        return error(StatusCode::NOT_FOUND, format!("entry {index} is not a public release"));
    }
    let fin = s.final_size();
    if index >= fin {
        return error(
            StatusCode::NOT_FOUND,
            format!("entry {index} is not yet in a final checkpoint (final size {fin}); try again shortly"),
        );
    }
    let s2 = s.clone();
    let out = tokio::task::spawn_blocking(move || {
        s2.with_reader(|r| {
            let (path, note, _) = accord_logstore::log::prove_inclusion(r, index, Some(fin)).map_err(|e| e.to_string())?;
            let note = crate::state::cosigned_note(r, &note, fin, &s2.cosigners())?;
            let entry = r.entry(index).map_err(|e| e.to_string())?;
            Ok(accord_tlog::proof::TlogProof {
                extra: Some(entry),
                index,
                path,
                checkpoint: note,
            }
            .to_bytes())
        })
    })
    .await;
    match out {
        Ok(Ok(b)) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], b).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
