//! `accord serve`: a Party's node (crates/node), and its set-up commands. The clock, the
//! listener and the shutdown signal are made here, at the edge, and handed to the node.

use std::path::Path;
use std::sync::Arc;

use accord_node::auth::Role;
use accord_node::state::{NodeDir, Shared};
use accord_node::{Clock, NodeConfig};
use accord_treaty::TreatySpec;
use anyhow::anyhow;

use crate::args::{Format, ServeArgs, ServeCommand};
use crate::failure::{input, io, Failure, Outcome};
use crate::output::{json, print_json};

pub fn run(a: ServeArgs, spec: &TreatySpec, format: Format) -> Outcome {
    match a.command {
        Some(ServeCommand::Init {
            data,
            party,
            origin,
            store,
        }) => {
            crate::files::not_a_file(&data)?;
            let nd = NodeDir::new(&data);
            let made = match &store {
                Some(url) => nd.init_postgres(&origin, &party, url),
                None => nd.init(&origin, &party),
            };
            let (log, node) = made.map_err(|e| {
                let at = data.display().to_string();
                input(if e.starts_with(&at) { anyhow!("{e}") } else { anyhow!("{at}: {e}") })
            })?;
            if json(format) {
                print_json(
                    &serde_json::json!({"data": data.display().to_string(), "log_key": log.to_string(), "node_key": node.to_string()}),
                )?;
            } else {
                println!("created the node of {party} in {}", data.display());
                println!("log key:  {log}");
                println!("node key: {node}");
            }
            Ok(0)
        }
        Some(ServeCommand::Key { data }) => {
            let k = NodeDir::new(&data)
                .node_signer()
                .map_err(|e| input(anyhow!("{}: {e}", data.display())))?;
            println!("{}", k.verifier());
            Ok(0)
        }
        Some(ServeCommand::Token {
            data,
            role,
            name,
            expires,
            revoke,
            list,
        }) => {
            let nd = NodeDir::new(&data);
            if let Some(which) = revoke {
                let n = nd.revoke_tokens(&which).map_err(|e| input(anyhow!("{e}")))?;
                println!("revoked {n} token(s); their sign-ins ended");
                return Ok(0);
            }
            if list {
                for t in nd.list_tokens().map_err(|e| input(anyhow!("{e}")))? {
                    let when = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), accord_node::clock::rfc3339);
                    println!(
                        "{}\t{}\tmade {}\texpires {}\trevoked {}",
                        accord_node::auth::holder_name(if t.name.is_empty() { "(no name)" } else { &t.name }, &t.hash),
                        t.role,
                        accord_node::clock::rfc3339(t.created),
                        when(t.expires),
                        when(t.revoked)
                    );
                }
                return Ok(0);
            }
            let role = role.unwrap_or_default();
            let r = Role::parse(&role).ok_or_else(|| input(anyhow!("--role {role:?}: operator, partner-reader or witness")))?;
            let until = expires.map(|e| expiry(&e)).transpose()?;
            let t = nd.make_token_until(r, &name, until).map_err(|e| input(anyhow!("{e}")))?;
            println!("{t}");
            Ok(0)
        }
        Some(ServeCommand::Audit {
            data,
            after,
            limit,
            format,
        }) => {
            let rows = NodeDir::new(&data).audit_log(after, limit).map_err(|e| input(anyhow!("{e}")))?;
            match format {
                Format::Json => print_json(&rows.iter().map(accord_node::http::audit::row_json).collect::<Vec<_>>())?,
                Format::Table => {
                    if rows.is_empty() {
                        println!("no audit rows after {after}");
                    }
                    for r in rows {
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{} {}\t{}",
                            r.seq,
                            accord_node::clock::rfc3339(r.at),
                            r.who,
                            r.role,
                            r.client,
                            r.method,
                            r.path,
                            r.status
                        );
                    }
                }
            }
            Ok(0)
        }
        None => {
            let data = a.data.ok_or_else(|| input(anyhow!("--data DIR is required")))?;
            let config = a.config.ok_or_else(|| input(anyhow!("--config FILE is required")))?;
            let mut cfg = NodeConfig::load(&config).map_err(|e| input(anyhow!("{e}")))?;
            if let Some(l) = a.listen {
                cfg.listen = l;
            }
            let spec = match &cfg.what_if {
                None => spec.clone(),
                Some(d) => {
                    let on = accord_treaty::parse_date(d).map_err(|e| input(anyhow!("what_if: {d:?}: {e}")))?;
                    spec.as_known_on(on).ok_or_else(|| {
                        input(anyhow!(
                            "what_if: {d}: the treaty was not in force then (a what-if plays from a day in force)"
                        ))
                    })?
                }
            };
            serve(&data, cfg, spec, a.stop_with_stdin)
        }
    }
}

/// `--expires`: a duration from now (`30d`, `12h`, `90m`) or a time (`YYYY-MM-DDTHH:MM:SSZ`),
/// as POSIX seconds.
fn expiry(when: &str) -> Result<i64, Failure> {
    let bad = || {
        input(anyhow!(
            "--expires {when:?}: a duration such as 30d, 12h or 90m, or a time YYYY-MM-DDTHH:MM:SSZ"
        ))
    };
    if let Ok(t) = accord_node::view::parse_time(when) {
        return Ok(t);
    }
    let (n, unit) = when.split_at(when.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    Ok(crate::clock::now_unix().saturating_add(n.saturating_mul(secs)))
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io(anyhow!("tokio: {e}")))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        #[cfg(unix)]
        {
            if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                s.recv().await;
                return;
            }
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Resolves on Ctrl-C, SIGTERM, or (with `stdin`) when standard input closes.
async fn stop(stdin: bool) {
    let eof = async move {
        if !stdin {
            return std::future::pending::<()>().await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = eof => {}
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ACCORD_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
}

fn serve(data: &Path, cfg: NodeConfig, spec: TreatySpec, stdin: bool) -> Outcome {
    init_tracing();
    let clock = match &cfg.clock.virtual_start {
        Some(t) => Clock::virtual_at(accord_node::view::parse_time(t).map_err(|e| input(anyhow!("clock.virtual_start: {e}")))?),
        None => Clock::System,
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let listen = cfg.listen.clone();
        // A folder another process writes (its lock) is exit 3, as `log append` says it; a bad
        // folder or configuration is exit 2.
        let shared = Shared::open(data, cfg, Arc::new(spec), clock).map_err(|e| crate::failure::node_refusal(data, e))?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| io(anyhow!("listen {listen}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| io(anyhow!("{e}")))?;
        println!(
            "accord serve: {} node at http://{addr} (log {}, node key {})",
            shared.cfg.party,
            shared.log_vkey,
            shared.node_key.verifier()
        );
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        accord_node::http::serve(shared, listener, stop(stdin))
            .await
            .map_err(|e| io(anyhow!("{e}")))?;
        Ok(0)
    })
}

/// `accord witness serve`.
pub fn witness_serve(data: &Path, listen: &str, allow: &[String], stdin: bool) -> Outcome {
    init_tracing();
    if !data.join("witness.key").exists() {
        return Err(input(anyhow!("{}: no witness here (accord witness init)", data.display())));
    }
    let state = accord_logstore::witness::WitnessState::open(&data.join("witness.db")).map_err(io)?;
    let key = accord_logstore::dir::read_key_file(&data.join("witness.key")).map_err(input)?;
    let clients = allow
        .iter()
        .map(|k| accord_tlog::VerifierKey::parse(k).map_err(|e| input(anyhow!("--allow {k:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| io(anyhow!("listen {listen}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| io(anyhow!("{e}")))?;
        println!("accord witness: {} at http://{addr}", key.verifier());
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let w = Arc::new(accord_node::witness::Witness::new(state, key, clients));
        accord_node::witness::serve(w, listener, stop(stdin))
            .await
            .map_err(|e| io(anyhow!("{e}")))?;
        Ok(0)
    })
}
