//! The HTTP rim of inspections and negotiation ([`crate::regime`]): post a step, read the
//! record on a date (inspections, reports, proposals, evaluations), the treaty's status and the
//! timeline (public, with more for the record's readers).

use std::sync::Arc;

use accord_ledger::record::Record;
use accord_ledger::report::Lang;
use accord_treaty::Date;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::access;
use super::extract::{blocking, Allowed, AllowedBody, Caller, On, OnGiven, Params};
use crate::error::NodeError;
use crate::regime::{evaluation, inspection_step, inspections_on, proposal_step, proposals_on, record};
use crate::state::Shared;

type S = State<Arc<Shared>>;

fn answer<T: serde::Serialize>(r: Result<T, NodeError>) -> Response {
    match r {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A step's body: a JSON object.
fn step_request<A: super::extract::Access>(a: &AllowedBody<A>) -> Result<serde_json::Value, NodeError> {
    match a.json()? {
        v @ serde_json::Value::Object(_) => Ok(v),
        _ => Err(NodeError::Invalid("body: an object {step, …} expected".into())),
    }
}

/// `POST /api/v1/inspections`: one inspection step (operator).
pub async fn post_inspection(State(s): S, a: AllowedBody<access::InspectionStep>) -> Response {
    match step_request(&a) {
        Ok(req) => answer(inspection_step(&s, req).await),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/v1/proposals`: one negotiation step (operator).
pub async fn post_proposal(State(s): S, a: AllowedBody<access::NegotiationStep>) -> Response {
    match step_request(&a) {
        Ok(req) => answer(proposal_step(&s, req).await),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/v1/freeze`: one step of the freeze (operator).
pub async fn post_freeze(State(s): S, a: AllowedBody<access::FreezeStep>) -> Response {
    match step_request(&a) {
        Ok(req) => answer(crate::freeze::step(&s, req).await),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v1/freeze` (operator, partner-reader): the freeze's record of both Parties.
pub async fn get_freeze(State(s): S, _: Allowed<access::Freeze>) -> Response {
    blocking(move || answer(crate::freeze::record(&s).map(|r| (*r).clone()))).await
}

/// `GET /api/v1/inspections?on=DATE` (operator, partner-reader).
pub async fn get_inspections(State(s): S, _: Allowed<access::Inspections>, On(on): On) -> Response {
    blocking(move || match record(&s) {
        Ok(r) => axum::Json(inspections_on(&r, on)).into_response(),
        Err(e) => e.into_response(),
    })
    .await
}

/// `GET /api/v1/inspections/{id}/report?lang=en|ru` (operator, partner-reader): the report as
/// text in one language.
pub async fn get_report(State(s): S, _: Allowed<access::Reports>, Path(id): Path<String>, q: Params) -> Response {
    let lang = match q.get("lang").map(String::as_str) {
        None | Some("en") => Lang::En,
        Some("ru") => Lang::Ru,
        Some(other) => return NodeError::Invalid(format!("lang: '{other}' (en or ru)")).into_response(),
    };
    blocking(move || {
        let r = match record(&s) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
        match r.inspection(&id).and_then(|f| f.report.as_ref()) {
            Some(rep) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], rep.render(&r.spec, lang)).into_response(),
            None => NodeError::NotFound(format!("id: no report of inspection {id}")).into_response(),
        }
    })
    .await
}

/// `GET /api/v1/proposals?on=DATE` (operator, partner-reader).
pub async fn get_proposals(State(s): S, _: Allowed<access::Proposals>, On(on): On) -> Response {
    blocking(move || match record(&s) {
        Ok(r) => axum::Json(proposals_on(&r, on)).into_response(),
        Err(e) => e.into_response(),
    })
    .await
}

/// `GET /api/v1/proposals/{id}/evaluation?on=DATE` (operator, partner-reader).
pub async fn get_evaluation(State(s): S, _: Allowed<access::Proposals>, Path(id): Path<String>, OnGiven(on): OnGiven) -> Response {
    blocking(move || answer(evaluation(&s, &id, on))).await
}

/// Whether a caller sees the record on the public routes that show more with a credential.
fn reads_record(c: &Caller) -> bool {
    c.0.is_some_and(|r| access::RECORD_READERS.contains(&r))
}

/// `GET /api/v1/treaty/status?on=DATE`: public, from the spec and the real history; with an
/// operator or partner-reader credential, also what the record agreed and the proposals open
/// in it.
pub async fn treaty_status(State(s): S, On(on): On, caller: Caller) -> Response {
    let with_record = reads_record(&caller);
    blocking(move || {
        if with_record {
            return match record(&s) {
                Ok(r) => axum::Json(r.status_on(on)).into_response(),
                Err(e) => e.into_response(),
            };
        }
        axum::Json(Record::new(&s.spec).status_on(on)).into_response()
    })
    .await
}

/// `GET /api/v1/timeline?from=&to=&kind=&party=`: the treaty's real history (public); with an
/// operator or partner-reader credential, the record's events too (source `record:ID`).
pub async fn timeline(State(s): S, caller: Caller, q: Params) -> Response {
    let date = |k: &str| -> Result<Option<Date>, Response> {
        q.get(k)
            .map(|v| accord_treaty::parse_date(v).map_err(|e| NodeError::Invalid(format!("{k}: {v:?}: {e}")).into_response()))
            .transpose()
    };
    let (from, to) = match (date("from"), date("to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let with_record = reads_record(&caller);
    blocking(move || timeline_of(&s, with_record, from, to, &q)).await
}

fn timeline_of(s: &Shared, with_record: bool, from: Option<Date>, to: Option<Date>, q: &Params) -> Response {
    let mut events = s.spec.history.clone();
    if with_record {
        match record(s) {
            Ok(r) => events.extend(r.events()),
            Err(e) => return e.into_response(),
        }
        events.sort_by_key(|e| e.event.date);
    }
    let kind = q.get("kind");
    let party = q.get("party");
    let events: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| from.is_none_or(|f| e.event.date >= f) && to.is_none_or(|t| e.event.date <= t))
        .filter(|e| kind.is_none_or(|k| k == e.event.kind.name()))
        .filter(|e| party.is_none_or(|p| e.event.party.as_ref().is_none_or(|q| q == p)))
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let Some(src) = s.spec.sources.get(&e.event.provenance.source) {
                v["source_url"] = serde_json::json!(src.url);
            }
            v
        })
        .collect();
    axum::Json(Timeline {
        events,
        treaty: s.spec.id.clone(),
    })
    .into_response()
}

/// `GET /api/v1/timeline` (JSON keys in this order).
#[derive(Debug, serde::Serialize)]
pub struct Timeline {
    /// The events, in date order, each with its source's address when the spec has one.
    pub events: Vec<serde_json::Value>,
    /// The treaty's id.
    pub treaty: String,
}
