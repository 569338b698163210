//! Inspection and negotiation steps, and the record they make, on a node: through its API
//! (`--node URL --token T`) or on a stopped node's folder (`--data DIR --config FILE`), by the
//! same code (crates/node/src/regime.rs) either way.

use accord_ledger::record::Record;
use accord_node::Clock;
use accord_treaty::{Date, TreatySpec};
use anyhow::anyhow;

use super::bundle::{client, config, open, refused};
use super::serve::runtime;
use crate::args::NodeAt;
use crate::failure::{input, io, Failure};

/// Which steps.
#[derive(Clone, Copy)]
pub enum Area {
    /// `/api/v1/inspections`.
    Inspections,
    /// `/api/v1/proposals`.
    Proposals,
}

impl Area {
    fn path(self) -> &'static str {
        match self {
            Area::Inspections => "/api/v1/inspections",
            Area::Proposals => "/api/v1/proposals",
        }
    }
}

fn need(at: &NodeAt) -> Result<(), Failure> {
    if at.data.is_none() && at.node.is_none() {
        return Err(input(anyhow!(
            "give the node: --data DIR --config FILE (a stopped node) or --node URL --token TOKEN (a running one)"
        )));
    }
    Ok(())
}

/// Takes one step (`req`: `{"step", …}`) and answers what the node answers.
pub fn step(at: &NodeAt, spec: &TreatySpec, area: Area, req: serde_json::Value) -> Result<serde_json::Value, Failure> {
    need(at)?;
    if let Some(url) = &at.node {
        let url = format!("{}{}", url.trim_end_matches('/'), area.path());
        let token = at.token.clone().unwrap_or_default();
        return runtime()?.block_on(async {
            let r = client()?
                .post(&url)
                .bearer_auth(token)
                .json(&req)
                .send()
                .await
                .map_err(|e| io(anyhow!("POST {url}: {e}")))?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| io(anyhow!("POST {url}: {e}")))?;
            if !status.is_success() {
                return Err(refused("POST", &url, status, &body));
            }
            serde_json::from_slice(&body).map_err(|e| io(anyhow!("POST {url}: the answer is not JSON: {e}")))
        });
    }
    let data = at.data.clone().unwrap_or_default();
    let cfg = config(at)?;
    let clock = match (&cfg.clock.virtual_start, req.get("date").and_then(|d| d.as_str())) {
        (None, _) => Clock::System,
        (Some(_), Some(d)) => {
            let d = accord_treaty::parse_date(d).map_err(|e| input(anyhow!("--date {d:?}: {e}")))?;
            Clock::virtual_at(accord_ledger::Timestamp::at_midnight(d).unix() + 12 * 3600)
        }
        (Some(_), None) => {
            return Err(input(anyhow!(
                "{}: the node runs on a virtual clock (clock.virtual_start): give --date DATE",
                at.config.as_deref().unwrap_or(std::path::Path::new("")).display()
            )))
        }
    };
    let s = open(&data, at, spec, clock)?;
    let rt = runtime()?;
    let r = rt.block_on(async {
        match area {
            Area::Inspections => accord_node::regime::inspection_step(&s, req).await,
            Area::Proposals => accord_node::regime::proposal_step(&s, req).await,
        }
    });
    s.stop();
    r.map_err(|(code, e)| {
        let f = anyhow!("{}: {e}", data.display());
        if code.is_server_error() {
            io(f)
        } else {
            input(f)
        }
    })
}

/// GETs `path_and_query` from a running node (with its token).
pub fn get(at: &NodeAt, path_and_query: &str) -> Result<serde_json::Value, Failure> {
    let url = format!("{}{path_and_query}", at.node.as_deref().unwrap_or_default().trim_end_matches('/'));
    let token = at.token.clone().unwrap_or_default();
    runtime()?.block_on(async {
        let r = client()?
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| io(anyhow!("GET {url}: {e}")))?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| io(anyhow!("GET {url}: {e}")))?;
        if !status.is_success() {
            return Err(refused("GET", &url, status, &body));
        }
        if path_and_query.contains("/report") {
            return Ok(serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()));
        }
        serde_json::from_slice(&body).map_err(|e| io(anyhow!("GET {url}: the answer is not JSON: {e}")))
    })
}

/// The record of a stopped node's folder (both Parties' logs as it holds them).
pub fn record(at: &NodeAt, spec: &TreatySpec) -> Result<Record, Failure> {
    let data = at.data.clone().unwrap_or_default();
    let s = open(&data, at, spec, Clock::System)?;
    let r = accord_node::regime::record(&s);
    s.stop();
    r.map_err(|(_, e)| io(anyhow!("{}: {e}", data.display())))
}

/// Parses `--date`/`--on`.
pub fn date_arg(name: &str, v: &str) -> Result<Date, Failure> {
    accord_treaty::parse_date(v).map_err(|e| input(anyhow!("{name} {v:?}: {e}")))
}

/// The evaluation of proposal `id` on a stopped node's folder (as its API answers it).
pub fn evaluation(at: &NodeAt, spec: &TreatySpec, id: &str, on: Option<Date>) -> Result<serde_json::Value, Failure> {
    let data = at.data.clone().unwrap_or_default();
    let s = open(&data, at, spec, Clock::System)?;
    let r = accord_node::regime::evaluation(&s, id, on);
    s.stop();
    r.map_err(|(code, e)| {
        let f = anyhow!("{}: {e}", data.display());
        if code.is_server_error() {
            io(f)
        } else {
            input(f)
        }
    })
}
