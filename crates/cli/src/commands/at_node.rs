//! Inspection and negotiation steps, and the record they make, on a node: through its API
//! (`--node URL --token T`) or on a stopped node's folder (`--data DIR --config FILE`), by the
//! same code (crates/node/src/regime.rs) either way.

use accord_ledger::record::Record;
use accord_node::Clock;
use accord_treaty::{Date, TreatySpec};
use anyhow::anyhow;

use super::bundle::{client, config, node_token, open, refused};
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
    if at.node.is_some() {
        return call(at, reqwest::Method::POST, area.path(), Some(req));
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
    r.map_err(|refused| crate::failure::node_refusal(&data, refused))
}

/// GETs `path_and_query` from a running node (with its token): JSON, or the text of a report.
pub fn get(at: &NodeAt, path_and_query: &str) -> Result<serde_json::Value, Failure> {
    call(at, reqwest::Method::GET, path_and_query, None)
}

/// One request to a running node with its token; a refusal names the node's reason.
fn call(at: &NodeAt, method: reqwest::Method, path_and_query: &str, body: Option<serde_json::Value>) -> Result<serde_json::Value, Failure> {
    let url = format!("{}{path_and_query}", at.node.as_deref().unwrap_or_default().trim_end_matches('/'));
    let token = node_token(at)?;
    let what = method.to_string();
    runtime()?.block_on(async {
        let mut r = client()?.request(method, &url).bearer_auth(token);
        if let Some(b) = &body {
            r = r.json(b);
        }
        let r = r.send().await.map_err(|e| super::bundle::unreachable_node(&what, &url, &e))?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| io(anyhow!("{what} {url}: {e}")))?;
        if !status.is_success() {
            return Err(refused(&what, &url, status, &bytes));
        }
        if path_and_query.contains("/report") {
            return Ok(serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
        serde_json::from_slice(&bytes).map_err(|e| io(anyhow!("{what} {url}: the answer is not JSON: {e}")))
    })
}

/// Prints what a step logged: `logged ID (KIND, DATE) at index N`.
pub fn print_logged(v: &serde_json::Value) {
    let n = &v["notification"];
    println!(
        "logged {} ({}, {}) at index {}",
        n["id"].as_str().unwrap_or_default(),
        n["kind"].as_str().unwrap_or_default(),
        n["date"].as_str().unwrap_or_default(),
        v["receipt"]["index"]
    );
}

/// An agreement's effects, joined.
pub fn effects(a: &serde_json::Value) -> String {
    a["effects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// An exemption in one line.
pub fn exemption_line(x: &accord_ledger::record::Exemption) -> String {
    format!(
        "exemption {} by {}: {} from {}{}: {}",
        x.id,
        x.party,
        x.site.as_deref().unwrap_or("all facilities"),
        x.from,
        x.ended.map(|e| format!(", ended {e}")).unwrap_or_default(),
        x.reason
    )
}

/// The record of a node's folder (both Parties' logs as it holds them), read without the
/// writer lock and writing nothing, so it also reads the folder of a running node.
pub fn record(at: &NodeAt, spec: &TreatySpec) -> Result<std::sync::Arc<Record>, Failure> {
    let data = at.data.clone().unwrap_or_default();
    let cfg = config(at)?;
    let view = accord_node::state::read_view(&data, &cfg).map_err(|e| input(anyhow!("{}: {e}", data.display())))?;
    let record = accord_node::regime::record_of(spec, &view);
    // A command reads one folder once and then ends: freeing the view's hundred thousand
    // allocations one by one would cost a fifth of the read, and the process's end frees them.
    std::mem::forget(view);
    Ok(record)
}

/// The date a command takes when `--on` is not given: the node's treaty clock (a running
/// node's, asked; a stopped node's folder's, its virtual clock as last kept), else today.
pub fn treaty_today(at: &NodeAt) -> Result<Date, Failure> {
    if at.node.is_some() {
        let v = get(at, "/api/v1/clock")?;
        let now = v["now"].as_str().unwrap_or_default();
        return accord_treaty::parse_date(now.get(..10).unwrap_or_default()).map_err(|e| io(anyhow!("the node's clock {now:?}: {e}")));
    }
    if let Some(data) = &at.data {
        let cfg = config(at)?;
        if let Some(unix) = accord_node::state::folder_clock(data, &cfg).map_err(|e| input(anyhow!("{}: {e}", data.display())))? {
            return Ok(accord_ledger::Timestamp::from_unix(unix).date());
        }
    }
    Ok(crate::clock::today())
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
    r.map_err(|refused| crate::failure::node_refusal(&data, refused))
}
