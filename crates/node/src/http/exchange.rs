//! The HTTP rim of the exchange ([`crate::exchange`]): the partner pushes checkpoints of its
//! log to be cosigned (`/witness/add-checkpoint`), and anyone reads the exchange's progress.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::access;
use super::extract::{error, AllowedBody, Params};
use crate::exchange::{cosign, status_when, CosignRefusal, Until};
use crate::state::Shared;

/// `POST /witness/add-checkpoint`: the partner pushes a checkpoint of its log; it is cosigned
/// once the mirror holds the tree it names (waiting up to 20 s for the follower), under the
/// tlog-witness rules, whose statuses and bodies the refusals keep.
pub async fn add_checkpoint(State(s): State<Arc<Shared>>, a: AllowedBody<access::AddCheckpoint>) -> Response {
    const TEXT: &str = "text/plain; charset=utf-8";
    match cosign(&s, a.body.into()).await {
        Ok(cosig) => (StatusCode::OK, [("content-type", TEXT)], cosig).into_response(),
        Err(CosignRefusal::Witness(rej)) => {
            let status = StatusCode::from_u16(rej.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let ct = if rej.status() == 409 {
                accord_tlog::witness::SIZE_CONTENT_TYPE
            } else {
                TEXT
            };
            (status, [("content-type", ct)], rej.body()).into_response()
        }
        Err(CosignRefusal::Frozen) => (StatusCode::FORBIDDEN, "this node saw a fork of the log and no longer cosigns it\n").into_response(),
        Err(CosignRefusal::Fork) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "fork: this checkpoint contradicts one the log signed before; the evidence is kept and this node no longer cosigns the log\n",
        )
            .into_response(),
        Err(CosignRefusal::NotYet { size, held }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the entries up to size {size} are not yet verified here ({held} held); retry\n"),
        )
            .into_response(),
        Err(CosignRefusal::Internal(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `GET /api/v1/status`: the exchange's progress (public: sizes only). With
/// `until_acknowledged=N` (partner entries this node acknowledged), `until_final=N` (own
/// entries final under the policy), `until_cosigned_by_partner=N`,
/// `until_acknowledged_by_partner=N` and `timeout_ms`, waits until they hold.
pub async fn status(State(s): State<Arc<Shared>>, client: crate::http::listen::Client, q: Params) -> Response {
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let until = Until {
        acknowledged: num("until_acknowledged"),
        final_size: num("until_final"),
        acknowledged_by_partner: num("until_acknowledged_by_partner"),
        cosigned_by_partner: num("until_cosigned_by_partner"),
    };
    let timeout = Duration::from_millis(num("timeout_ms").unwrap_or(0));
    // A long poll holds a place of its client's until it ends (at most 60 s); beyond the cap
    // it is refused at once (429), so that one client cannot tie up the server with waits.
    let _slot = if timeout.is_zero() {
        None
    } else {
        let why = || {
            format!(
                "timeout_ms: {} long polls already wait from this address (limits.long_polls_per_client); try again when one ends",
                s.limits.long_polls_per_client
            )
        };
        match crate::http::extract::place(&s, &s.long_polls, &client, why, "1") {
            Ok(slot) => Some(slot),
            Err(r) => return r,
        }
    };
    axum::Json(status_when(&s, until, timeout).await).into_response()
}
