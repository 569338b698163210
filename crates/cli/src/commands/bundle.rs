//! `accord bundle export | import | verify`: offline bundles (crates/node/src/bundle.rs), on a
//! stopped node's folder or through a running node's API.

use std::path::Path;
use std::sync::Arc;

use accord_node::state::Shared;
use accord_node::{Clock, NodeConfig};
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use super::serve::{init_tracing, runtime};
use crate::args::{BundleCommand, Format, NodeAt};
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::files::write_atomic;
use crate::output::{json, print_json};

pub fn run(c: BundleCommand, spec: &TreatySpec, format: Format) -> Outcome {
    match c {
        BundleCommand::Export { at, from, out } => {
            let (bytes, summary) = match (&at.data, &at.node) {
                (Some(data), _) => {
                    let s = open(data, &at, spec, Clock::System)?;
                    let r = accord_node::bundle::export(&s, from).map_err(|e| input(anyhow!("{}: {e}", data.display())));
                    s.stop();
                    let (b, sum) = r?;
                    (b, serde_json::to_value(sum).map_err(io)?)
                }
                (None, Some(url)) => remote_export(url, &node_token(&at)?, from)?,
                (None, None) => return Err(input(anyhow!("--data DIR --config FILE, or --node URL --token TOKEN"))),
            };
            write_atomic(&out, &bytes)?;
            if json(format) {
                let mut v = summary;
                v["file"] = serde_json::json!(out.display().to_string());
                print_json(&v)?;
            } else {
                println!(
                    "wrote {}: {} entries {}..{} of {}, {} bytes, {} blob(s), checkpoint with {} cosignature(s){}",
                    out.display(),
                    summary["size"]
                        .as_u64()
                        .unwrap_or(0)
                        .saturating_sub(summary["from"].as_u64().unwrap_or(0)),
                    summary["from"],
                    summary["size"],
                    summary["origin"].as_str().unwrap_or(""),
                    summary["bytes"],
                    summary["blobs"],
                    summary["cosignatures"],
                    match summary["cosigned_partner_size"].as_u64() {
                        Some(n) => format!("; cosigns the partner's log at size {n}"),
                        None => String::new(),
                    }
                );
            }
            Ok(0)
        }
        BundleCommand::Import { file, at, received } => {
            let bytes = crate::files::read_bytes(&file)?;
            let done = match (&at.data, &at.node) {
                (Some(data), _) => {
                    let cfg = config(&at)?;
                    let clock = match (&received, &cfg.clock.virtual_start) {
                        (Some(t), _) => Clock::virtual_at(accord_node::view::parse_time(t).map_err(|e| input(anyhow!("--received: {e}")))?),
                        (None, None) => Clock::System,
                        (None, Some(_)) => {
                            return Err(input(anyhow!(
                                "{}: the node runs on a virtual clock (clock.virtual_start): give --received TIME, the date of receipt",
                                at.config.as_deref().unwrap_or(Path::new("")).display()
                            )))
                        }
                    };
                    let s = open(data, &at, spec, clock)?;
                    let rt = runtime()?;
                    let r = rt.block_on(accord_node::bundle::import(&s, bytes));
                    s.stop();
                    let done = r.map_err(|e| crate::failure::node_refusal(&file, e))?;
                    serde_json::to_value(done).map_err(io)?
                }
                (None, Some(url)) => remote_import(url, &node_token(&at)?, bytes, &file)?,
                (None, None) => return Err(input(anyhow!("--data DIR --config FILE, or --node URL --token TOKEN"))),
            };
            if json(format) {
                print_json(&done)?;
            } else {
                let before = done["held_before"].as_u64().unwrap_or(0);
                let after = done["held_after"].as_u64().unwrap_or(0);
                if after > before {
                    println!(
                        "imported {} entries of {} ({}..{}); {} held, acknowledged; own log {} entries",
                        after.saturating_sub(before),
                        done["origin"].as_str().unwrap_or(""),
                        before,
                        after,
                        after,
                        done["own_size"]
                    );
                } else {
                    println!(
                        "nothing new: {} entries of {} already held (the bundle holds {}..{})",
                        before,
                        done["origin"].as_str().unwrap_or(""),
                        done["from"],
                        done["size"]
                    );
                }
                if let Some(n) = done["cosigned_by_partner"].as_u64() {
                    println!("kept the partner's cosignature of the own log at size {n}");
                }
            }
            Ok(0)
        }
        BundleCommand::Verify { file, log_key, node_key } => {
            let bytes = crate::files::read_bytes(&file)?;
            let log = accord_tlog::VerifierKey::parse(&log_key).map_err(|e| input(anyhow!("--log-key: {e}")))?;
            let node = accord_tlog::VerifierKey::parse(&node_key).map_err(|e| input(anyhow!("--node-key: {e}")))?;
            match accord_tlog::bundle::read(&bytes, &node, &log) {
                Ok(v) => {
                    let c = &v.contents;
                    let summary = serde_json::json!({
                        "ok": true,
                        "origin": c.origin,
                        "from": c.from,
                        "size": c.size,
                        "root": v.checkpoint.root.to_string(),
                        "blobs": c.blobs.len(),
                        "cosigned": c.cosigned.is_some(),
                        "exported_at": v.exported_at,
                    });
                    if json(format) {
                        print_json(&summary)?;
                    } else {
                        println!(
                            "ok: {} entries {}..{} of {} give the signed root {}; {} blob(s){}",
                            c.size - c.from,
                            c.from,
                            c.size,
                            c.origin,
                            v.checkpoint.root,
                            c.blobs.len(),
                            if c.cosigned.is_some() {
                                "; carries a cosignature of the reader's log"
                            } else {
                                ""
                            }
                        );
                    }
                    Ok(0)
                }
                Err(e) => {
                    if json(format) {
                        print_json(&serde_json::json!({"ok": false, "error": e.to_string()}))?;
                    } else {
                        eprintln!("{}: {e}", file.display());
                    }
                    Ok(CHECK_FAILED)
                }
            }
        }
    }
}

pub(super) fn config(at: &NodeAt) -> Result<NodeConfig, Failure> {
    let path = at
        .config
        .as_deref()
        .ok_or_else(|| input(anyhow!("--config FILE is required with --data")))?;
    NodeConfig::load(path).map_err(|e| input(anyhow!("{e}")))
}

/// Opens a stopped node's folder (its writer lock refuses a running node).
pub(super) fn open(data: &Path, at: &NodeAt, spec: &TreatySpec, clock: Clock) -> Result<Arc<Shared>, Failure> {
    init_tracing();
    let cfg = config(at)?;
    Shared::open(data, cfg, Arc::new(spec.clone()), clock).map_err(|e| {
        let hint = if matches!(e, accord_node::error::NodeError::Unavailable(_)) {
            " (is `accord serve` running on it? then use --node URL --token TOKEN)"
        } else {
            ""
        };
        let e = e.to_string();
        let e = if e.starts_with(&format!("{}:", data.display())) {
            e
        } else {
            format!("{}: {e}", data.display())
        };
        input(anyhow!("{e}{hint}"))
    })
}

pub(super) fn client() -> Result<reqwest::Client, Failure> {
    reqwest::Client::builder().build().map_err(|e| io(anyhow!("http client: {e}")))
}

fn remote_export(url: &str, token: &str, from: Option<u64>) -> Result<(Vec<u8>, serde_json::Value), Failure> {
    let url = format!(
        "{}/api/v1/bundle{}",
        url.trim_end_matches('/'),
        from.map(|f| format!("?from={f}")).unwrap_or_default()
    );
    runtime()?.block_on(async {
        let r = client()?
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable_node("GET", &url, &e))?;
        let status = r.status();
        let summary = r
            .headers()
            .get("x-accord-bundle")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or(serde_json::Value::Null);
        let body = r.bytes().await.map_err(|e| io(anyhow!("GET {url}: {e}")))?;
        if !status.is_success() {
            return Err(refused("GET", &url, status, &body));
        }
        Ok((body.to_vec(), summary))
    })
}

fn remote_import(url: &str, token: &str, bytes: Vec<u8>, file: &Path) -> Result<serde_json::Value, Failure> {
    let url = format!("{}/api/v1/bundle", url.trim_end_matches('/'));
    runtime()?.block_on(async {
        let r = client()?
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .map_err(|e| unreachable_node("POST", &url, &e))?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| io(anyhow!("POST {url}: {e}")))?;
        if !status.is_success() {
            return Err(refused(&format!("{}: POST", file.display()), &url, status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| io(anyhow!("POST {url}: the answer is not JSON: {e}")))
    })
}

pub(super) fn refused(method: &str, url: &str, status: reqwest::StatusCode, body: &[u8]) -> Failure {
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let f = anyhow!("{method} {url}: {status}: {msg}");
    if status.is_server_error() {
        io(f)
    } else {
        input(f)
    }
}

/// The token for `--node`: `--token-file`'s first line, else `--token`, else the environment
/// variable `ACCORD_TOKEN`; none is bad input naming the three.
pub fn node_token(at: &NodeAt) -> Result<String, Failure> {
    if let Some(f) = &at.token_file {
        let text = std::fs::read_to_string(f).map_err(|e| input(anyhow!("--token-file {}: {e}", f.display())))?;
        let t = text.lines().next().unwrap_or_default().trim().to_owned();
        if t.is_empty() {
            return Err(input(anyhow!("--token-file {}: the file holds no token", f.display())));
        }
        return Ok(t);
    }
    if let Some(t) = &at.token {
        return Ok(t.clone());
    }
    match std::env::var("ACCORD_TOKEN") {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err(input(anyhow!(
            "--node needs the node's token: --token-file FILE, the environment variable ACCORD_TOKEN, or --token TOKEN"
        ))),
    }
}

/// A request to a node that did not get an answer, said plainly: a URL this client cannot
/// call is bad input (exit 2), a node not reachable there, or too slow, is I/O (exit 3).
pub(super) fn unreachable_node(what: &str, url: &str, e: &reqwest::Error) -> Failure {
    use std::error::Error as _;
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_builder() || !(url.starts_with("http://") || url.starts_with("https://")) {
        return input(anyhow!(
            "--node {url}: not a node's URL (http://HOST:PORT or https://HOST[:PORT]){}",
            if cause.is_empty() { String::new() } else { format!(": {cause}") }
        ));
    }
    if e.is_connect() {
        return io(anyhow!(
            "{what} {url}: cannot connect: is the node running and listening there? ({cause})"
        ));
    }
    if e.is_timeout() {
        return io(anyhow!("{what} {url}: no answer in time"));
    }
    io(anyhow!(
        "{what} {url}: {e}{}",
        if cause.is_empty() { String::new() } else { format!(" ({cause})") }
    ))
}
