//! `accord demo`: the whole system live. Creates the US node, the Russian node and a witness in
//! one data folder (`us/`, `ru/`, `witness/`), starts each as its own `accord` process on
//! loopback, and drives the synthetic history of New START through them on a shared virtual
//! clock: each Party's operator submits its notifications when the clock reaches their sending
//! time; the other node fetches, verifies and acknowledges them; the partner and the witness
//! cosign every checkpoint.
//!
//! The clock advances in steps (at most `--step-hours` of treaty time): at each step both
//! nodes' clocks are set to the step's end, the notifications sent in it are submitted, and
//! the next step waits until the other node has acknowledged them, so each receipt is stamped
//! within the step. A step never spans a deadline in a way that would turn a notification
//! received on time (in the synthetic record) late or the reverse; the demo counts any that it
//! could not keep so (none with the default seed).

use accord_logstore::witness::WitnessStore as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use accord_ledger::notification::{Notification, Timestamp};
use accord_node::state::NodeDir;
use accord_treaty::{Due, TreatySpec};
use anyhow::anyhow;
use tokio::io::AsyncBufReadExt;

use crate::args::{DemoArgs, Format};
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};

use super::demo_api::{wait, Api};

pub fn run(a: DemoArgs, spec: &TreatySpec, format: Format) -> Outcome {
    if a.offline && a.store == crate::args::DemoStore::Postgres {
        return Err(input(anyhow!(
            "--store postgres: the offline demo runs no nodes; drop --offline to run them on PostgreSQL"
        )));
    }
    if a.until.is_some() && (a.offline || a.scenario == crate::args::Scenario::Freeze) {
        return Err(input(anyhow!(
            "--until: only the live history demo stops at a date; drop --offline or --scenario freeze"
        )));
    }
    if a.offline {
        return super::demo::offline(a, spec, format);
    }
    if crate::output::json(format) {
        return Err(input(anyhow!(
            "--format json: the live demo prints for a person; for JSON, ask either node's API while it serves (/api/v1/status, /api/v1/compliance), or run accord demo --offline --format json"
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io(anyhow!("tokio: {e}")))?;
    rt.block_on(live(a, spec))
}

/// One child process.
struct Proc {
    name: &'static str,
    child: tokio::process::Child,
    url: String,
}

/// The demo's folder while it is being set up: removed again (or emptied, when it was an
/// empty folder given) if the setup fails before the three processes run, so that a rerun is
/// not refused by a half-made folder.
struct Scratch {
    root: PathBuf,
    existed: bool,
    keep: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if !self.existed {
            let _ = std::fs::remove_dir_all(&self.root);
        } else if let Ok(entries) = std::fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
}

fn fresh_root(a: &DemoArgs) -> Result<Scratch, Failure> {
    let root = match &a.data {
        Some(d) => d.clone(),
        None => {
            let ms = crate::clock::now_millis();
            std::env::temp_dir().join(format!("accord-demo-{ms}"))
        }
    };
    if std::fs::read_dir(&root).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return Err(input(anyhow!(
            "--data {}: the folder is not empty; the demo makes new nodes in a new or empty folder",
            root.display()
        )));
    }
    let existed = root.is_dir();
    std::fs::create_dir_all(&root).map_err(|e| io(anyhow!("{}: {e}", root.display())))?;
    Ok(Scratch {
        root,
        existed,
        keep: false,
    })
}

/// The three ports: `first` and the two after it, each checked free now (a port in use is
/// named, before anything is made), or three free ones when `first` is 0.
fn free_ports(first: u16) -> Result<[u16; 3], Failure> {
    if first != 0 {
        if first > u16::MAX - 2 {
            return Err(input(anyhow!(
                "--port {first}: the demo takes three ports from it; give at most {}",
                u16::MAX - 2
            )));
        }
        let ports = [first, first + 1, first + 2];
        for p in ports {
            if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", p)) {
                return Err(input(anyhow!(
                    "--port {first}: 127.0.0.1:{p} cannot be listened on ({e}); another program, or an earlier demo still running, holds it. Give another --port, or leave --port out to take free ports"
                )));
            }
        }
        return Ok(ports);
    }
    let ls: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| io(anyhow!("finding free ports: {e}")))?;
    let mut out = [0u16; 3];
    for (o, l) in out.iter_mut().zip(&ls) {
        *o = l.local_addr().map_err(|e| io(anyhow!("{e}")))?.port();
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn node_config(
    what_if: Option<&str>,
    policy: &str,
    party: &str,
    port: u16,
    start: &str,
    partner: &str,
    partner_port: u16,
    partner_log: &str,
    partner_node: &str,
    witness_port: u16,
    witness_key: &str,
) -> String {
    let what_if = what_if.map(|d| format!("what_if = \"{d}\"\n")).unwrap_or_default();
    format!(
        "# accord serve configuration, written by accord demo\nparty = \"{party}\"\n{what_if}listen = \"127.0.0.1:{port}\"\n\n[clock]\nvirtual_start = \"{start}\"\n\n[partner]\nparty = \"{partner}\"\nurl = \"http://127.0.0.1:{partner_port}\"\nlog_key = \"{partner_log}\"\nnode_key = \"{partner_node}\"\n\n[[witness]]\nurl = \"http://127.0.0.1:{witness_port}\"\nkey = \"{witness_key}\"\n\n[exchange]\npoll_ms = 1000\npolicy = \"{policy}\"\n"
    )
}

async fn spawn(name: &'static str, args: &[&str], log: &Path) -> Result<Proc, Failure> {
    let exe = std::env::current_exe().map_err(|e| io(anyhow!("{e}")))?;
    let err = std::fs::File::create(log).map_err(|e| io(anyhow!("{}: {e}", log.display())))?;
    let mut child = tokio::process::Command::new(exe)
        .args(args)
        .env("ACCORD_LOG", std::env::var("ACCORD_LOG").unwrap_or_else(|_| "warn".into()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(err)
        .kill_on_drop(true)
        // Their own process group: a Ctrl-C in the terminal reaches the demo only, which then
        // stops them cleanly (they used to die first, and the demo with "error sending request").
        .process_group(0)
        .spawn()
        .map_err(|e| io(anyhow!("starting the {name}: {e}")))?;
    let out = child.stdout.take().ok_or_else(|| io(anyhow!("{name}: no stdout")))?;
    let mut lines = tokio::io::BufReader::new(out).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| io(anyhow!("the {name} did not start within 60 s (see {})", log.display())))?
        .map_err(|e| io(anyhow!("{name}: {e}")))?
        .ok_or_else(|| {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(nothing)");
            io(anyhow!("the {name} exited at start: {last}"))
        })?;
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(str::to_owned)
        .ok_or_else(|| io(anyhow!("the {name} said {first:?}")))?;
    // Keep draining its standard output.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Proc { name, child, url })
}

/// Whether a notification received at `t` is on time.
fn on_time(due: Option<Due>, t: i64) -> bool {
    match due {
        None => true,
        Some(Due::Date { date }) => Timestamp::from_unix(t).date() <= date,
        Some(Due::Instant { unix }) => t <= unix,
    }
}

/// One step of the clock: its time and the notifications sent in it.
struct Step {
    at: i64,
    items: std::ops::Range<usize>,
}

/// Cuts the sent notifications (in sending order) into clock steps of at most `step` seconds
/// that keep each one's on-time status; returns the steps and how many could not keep it.
fn steps(spec: &TreatySpec, ns: &[&Notification<'static>], step: i64) -> (Vec<Step>, usize) {
    let eif = spec.lifecycle.entry_into_force();
    let due: Vec<Option<Due>> = ns
        .iter()
        .map(|n| spec.catalogue.get(&n.kind).and_then(|(_, k)| k.deadline.due(n.date, eif)))
        .collect();
    let sent = |i: usize| ns[i].sent.map_or(0, |t| t.unix());
    let recv = |i: usize| ns[i].received.map_or(sent(i), |t| t.unix()).max(sent(i));
    let keeps = |i: usize, at: i64| on_time(due[i], at) == on_time(due[i], recv(i));
    let mut out = Vec::new();
    let mut changed = 0;
    let mut i = 0;
    let mut last = i64::MIN;
    while i < ns.len() {
        let start = sent(i);
        let mut at = recv(i).max(last);
        let mut j = i + 1;
        while j < ns.len() && sent(j) <= start + step {
            let at2 = at.max(recv(j));
            if (i..=j).all(|k| keeps(k, at2)) {
                at = at2;
                j += 1;
            } else {
                break;
            }
        }
        changed += (i..j).filter(|&k| !keeps(k, at)).count();
        out.push(Step { at, items: i..j });
        last = at;
        i = j;
    }
    (out, changed)
}

fn wire(n: &Notification<'static>) -> serde_json::Value {
    let mut v = serde_json::to_value(n).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("received");
    }
    v
}

async fn live(a: DemoArgs, spec: &TreatySpec) -> Outcome {
    let t0 = Instant::now();
    let [pu, pr, pw] = free_ports(a.port)?;
    let mut scratch = fresh_root(&a)?;
    let root = scratch.root.clone();
    let (us_dir, ru_dir, w_dir) = (root.join("us"), root.join("ru"), root.join("witness"));
    // On PostgreSQL: a cluster of each Party's own, alive until the demo ends.
    let clusters = match a.store {
        crate::args::DemoStore::Postgres => {
            let start = || accord_logstore::pg_cluster::Cluster::start().map_err(|e| io(anyhow!("--store postgres: {e}")));
            Some([start()?, start()?])
        }
        crate::args::DemoStore::Sqlite => None,
    };
    let init = |dir: &Path, origin: &str, party: &str, i: usize| {
        let nd = NodeDir::new(dir);
        match &clusters {
            Some(c) => nd.init_postgres(origin, party, &c[i].url),
            None => nd.init(origin, party),
        }
        .map_err(|e| io(anyhow!("{e}")))
    };
    let (us_log, us_node) = init(&us_dir, "accord.example/us/new-start", "US", 0)?;
    let (ru_log, ru_node) = init(&ru_dir, "accord.example/ru/new-start", "RU", 1)?;
    if let Some(c) = &clusters {
        println!(
            "accord demo: each Party's node on a PostgreSQL cluster of its own ({} and {}; removed when the demo ends)",
            c[0].root().display(),
            c[1].root().display()
        );
    }
    std::fs::create_dir_all(&w_dir).map_err(|e| io(anyhow!("{e}")))?;
    let wkey = accord_tlog::SignerKey::from_seed("witness.example", accord_tlog::note::ALG_COSIGNATURE_V1, crate::clock::random())
        .map_err(|e| io(anyhow!("{e}")))?;
    accord_logstore::dir::create_key_file(&w_dir.join("witness.key"), &wkey).map_err(io)?;
    {
        let mut st = accord_logstore::witness::WitnessState::open(&w_dir.join("witness.db")).map_err(io)?;
        st.follow(&us_log).map_err(io)?;
        st.follow(&ru_log).map_err(io)?;
    }
    let freeze = a.scenario == crate::args::Scenario::Freeze;
    // The freeze plays on no synthetic history (its own steps only).
    let sim = if freeze {
        accord_sim::Simulation {
            spec: spec.clone(),
            notifications: Vec::new(),
            targets: Vec::new(),
        }
    } else {
        super::demo::synthetic(spec, a.seed, a.scale)?
    };
    // `--until`: the notifications sent before that day, and of those only the ones dated
    // before the earliest notification still in flight then (sent on or after it), so that the
    // record the nodes hold is whole (replay refuses a deployment whose earlier movement has not
    // arrived, say).
    let cut = a.until.map(|u| Cut::of(&sim, u));
    let until_unix = cut.map(|c| c.until);
    let open = cut.and_then(|c| c.open);
    let mut sent: Vec<&Notification<'static>> = sim
        .notifications
        .iter()
        .filter(|n| n.sent.is_some_and(|t| until_unix.is_none_or(|u| t.unix() < u)) && open.is_none_or(|o| n.date < o))
        .collect();
    sent.sort_by_key(|n| n.sent.map(|t| t.unix()));
    let held = sim.notifications.iter().filter(|n| n.sent.is_none()).count();
    if let (Some(u), true) = (a.until, sent.is_empty() && !freeze) {
        let first = sim.notifications.iter().filter_map(|n| n.sent).min_by_key(|t| t.unix());
        return Err(input(anyhow!(
            "--until {u}: no notification of the history is sent before it (the first is sent on {})",
            first.map_or("-".to_owned(), |t| t.date().to_string())
        )));
    }
    let first = sent.first().and_then(|n| n.sent).map_or(0, |t| t.unix());
    let start = if freeze {
        super::demo_freeze::START.to_owned()
    } else {
        accord_node::clock::rfc3339(first - 86_400)
    };
    let what_if = freeze.then_some(super::demo_freeze::WHAT_IF);
    let wk = wkey.verifier().to_string();
    let write = |p: PathBuf, text: String| std::fs::write(&p, text).map_err(|e| io(anyhow!("{}: {e}", p.display())));
    // Final: cosigned by the other Party's node and the witness (C2SP tlog-policy).
    let policy = |log: &accord_tlog::VerifierKey, other: &accord_tlog::VerifierKey| {
        format!("# when a checkpoint of this log is final\nlog {log}\nwitness partner {other}\nwitness neutral {wk}\ngroup both all partner neutral\nquorum both\n")
    };
    write(us_dir.join("policy.txt"), policy(&us_log, &ru_node))?;
    write(ru_dir.join("policy.txt"), policy(&ru_log, &us_node))?;
    let (usp, rup) = (
        us_dir.join("policy.txt").display().to_string(),
        ru_dir.join("policy.txt").display().to_string(),
    );
    write(
        us_dir.join("node.toml"),
        node_config(
            what_if,
            &usp,
            "US",
            pu,
            &start,
            "RU",
            pr,
            &ru_log.to_string(),
            &ru_node.to_string(),
            pw,
            &wk,
        ),
    )?;
    write(
        ru_dir.join("node.toml"),
        node_config(
            what_if,
            &rup,
            "RU",
            pr,
            &start,
            "US",
            pu,
            &us_log.to_string(),
            &us_node.to_string(),
            pw,
            &wk,
        ),
    )?;
    let tok = |d: &Path, role| NodeDir::new(d).make_token(role, "demo").map_err(|e| io(anyhow!("{e}")));
    use accord_node::auth::Role;
    let (us_op, ru_op) = (tok(&us_dir, Role::Operator)?, tok(&ru_dir, Role::Operator)?);
    let us_reader = tok(&us_dir, Role::PartnerReader)?;
    let s = |p: &Path| p.display().to_string();
    let (usd, rud, wd) = (s(&us_dir), s(&ru_dir), s(&w_dir));
    let (usc, ruc) = (s(&us_dir.join("node.toml")), s(&ru_dir.join("node.toml")));
    let wlisten = format!("127.0.0.1:{pw}");
    let (usn, run_) = (us_node.to_string(), ru_node.to_string());
    let mut procs = vec![
        spawn(
            "witness",
            &[
                "witness",
                "serve",
                "--data",
                &wd,
                "--listen",
                &wlisten,
                "--allow",
                &usn,
                "--allow",
                &run_,
                "--stop-with-stdin",
            ],
            &w_dir.join("serve.log"),
        )
        .await?,
    ];
    procs.push(
        spawn(
            "US node",
            &["serve", "--data", &usd, "--config", &usc, "--stop-with-stdin"],
            &us_dir.join("serve.log"),
        )
        .await?,
    );
    procs.push(
        spawn(
            "Russian node",
            &["serve", "--data", &rud, "--config", &ruc, "--stop-with-stdin"],
            &ru_dir.join("serve.log"),
        )
        .await?,
    );
    // The three run: the folder is theirs now, kept whatever happens next.
    scratch.keep = true;
    // Ctrl-C (or SIGINT to the demo alone) at any moment: the exchange stops where it is and
    // the three processes are stopped cleanly; what they logged stays in the folder.
    let wvkey = wkey.verifier();
    let result = tokio::select! {
        r = async {
            if freeze {
                play_freeze(&procs, [&us_op, &ru_op], &root, t0).await
            } else {
                drive(
                    &a,
                    spec,
                    &sim,
                    (&sent, cut),
                    held,
                    &procs,
                    &root,
                    [&us_op, &ru_op],
                    &us_reader,
                    [&us_log, &ru_log, &us_node, &ru_node, &wvkey],
                    t0,
                )
                .await
            }
        } => {
            if r.is_ok() && !a.exit_when_synced {
                println!(
                    "\nServing until Ctrl-C: the web pages are at {} and {} (sign in with a token above).",
                    procs[1].url, procs[2].url
                );
                let _ = tokio::signal::ctrl_c().await;
                println!();
            }
            r
        }
        _ = tokio::signal::ctrl_c() => {
            println!("\nInterrupted: stopping the three processes.");
            Ok(0)
        }
    };
    // Closing a child's standard input stops it cleanly.
    let mut clean = true;
    for p in procs.iter_mut() {
        drop(p.child.stdin.take());
    }
    for p in procs.iter_mut() {
        match tokio::time::timeout(Duration::from_secs(30), p.child.wait()).await {
            Ok(Ok(st)) if st.success() => {}
            Ok(Ok(st)) => {
                clean = false;
                eprintln!("accord demo: the {} stopped with {st}", p.name);
            }
            _ => {
                clean = false;
                eprintln!("accord demo: the {} did not stop within 30 s; killing it", p.name);
                let _ = p.child.kill().await;
            }
        }
    }
    let code = result?;
    println!("Stopped the three processes{}.", if clean { " cleanly" } else { "" });
    if clusters.is_some() {
        println!(
            "Their keys are in {}; their logs were in the PostgreSQL clusters, which are removed now.",
            root.display()
        );
    } else {
        println!(
            "Their data is in {}: try `accord log verify --data {}` or `accord log checkpoint --data {}`.",
            root.display(),
            usd,
            rud
        );
    }
    Ok(if clean { code } else { CHECK_FAILED })
}

/// Where `--until` cuts the history: the day's start, and the date of the earliest notification
/// still in flight then (sent on or after it), before which the record is whole.
#[derive(Debug, Clone, Copy)]
struct Cut {
    date: accord_treaty::Date,
    until: i64,
    open: Option<accord_treaty::Date>,
}

impl Cut {
    fn of(sim: &accord_sim::Simulation, date: accord_treaty::Date) -> Cut {
        let until = date.midnight().assume_utc().unix_timestamp();
        let open = sim
            .notifications
            .iter()
            .filter(|n| n.sent.is_some_and(|t| t.unix() >= until))
            .map(|n| n.date)
            .min();
        Cut { date, until, open }
    }
}

/// The treaty's milestones (`accord_treaty::history::milestones`) as `(date, title)`.
fn milestones(spec: &TreatySpec) -> Vec<(accord_treaty::Date, String)> {
    accord_treaty::history::milestones(spec)
        .into_iter()
        .map(|e| (e.event.date, e.title.clone()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    a: &DemoArgs,
    spec: &TreatySpec,
    sim: &accord_sim::Simulation,
    (sent, cut): (&[&Notification<'static>], Option<Cut>),
    held: usize,
    procs: &[Proc],
    root: &Path,
    ops: [&String; 2],
    reader: &str,
    keys: [&accord_tlog::VerifierKey; 5],
    t0: Instant,
) -> Outcome {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| io(anyhow!("{e}")))?;
    let us = Api::new(http.clone(), procs[1].url.clone(), ops[0].clone());
    let ru = Api::new(http.clone(), procs[2].url.clone(), ops[1].clone());
    println!(
        "accord demo: {} ({}), live: two Party nodes and a witness on loopback, data in {}",
        spec.short_name,
        spec.id,
        root.display()
    );
    // The operator's details (keys, the exchange's progress) only with --verbose.
    if a.verbose {
        println!(
            "\n  US node       {}\n    log key     {}\n    node key    {}",
            us.url, keys[0], keys[2]
        );
        println!(
            "  Russian node  {}\n    log key     {}\n    node key    {}",
            ru.url, keys[1], keys[3]
        );
        println!("  witness       {}\n    cosigner    {}", procs[0].url, keys[4]);
    }
    println!("\nEach node's dashboard, and a token to sign in to it as its operator (for this demo only):");
    println!("  US  {}/  {}", us.url, ops[0]);
    println!("  RU  {}/  {}", ru.url, ops[1]);
    println!("\nTry the API by hand:");
    println!("  RU partner-reader of the US node: {reader}");
    println!("  curl -H 'Authorization: Bearer {}' '{}/api/v1/outbox?limit=5'", ops[0], us.url);
    println!("  curl -H 'Authorization: Bearer {reader}' '{}/api/v1/compliance'", us.url);
    println!("  curl '{}/log/checkpoint'   # public: the latest signed checkpoint", us.url);
    let step = i64::from(a.step_hours.max(1)) * 3600;
    let (mut steps, changed) = steps(&sim.spec, sent, step);
    // `--until`: one last step, with no notification, at that day's start: the clock gets there
    // and the inspection and negotiation steps dated before it play.
    if let Some(c) = cut {
        if steps.last().is_none_or(|s| s.at < c.until) {
            steps.push(Step {
                at: c.until,
                items: sent.len()..sent.len(),
            });
        }
    }
    println!(
        "\nExchanging {} notifications ({} US, {} RU; {} held by their Party, never sent) on a virtual clock, {} steps of at most {} h:",
        sent.len(),
        sent.iter().filter(|n| n.party == "US").count(),
        sent.iter().filter(|n| n.party == "RU").count(),
        held,
        steps.len(),
        a.step_hours
    );
    if let (Some(u), Some(c)) = (a.until, cut) {
        match c.open {
            Some(o) => println!(
                "  (--until {u}: the notifications sent before it and dated before {o}, the earliest still in flight on {u}, so that the record is whole; the clock stops on {u}.)"
            ),
            None => println!("  (--until {u}: the notifications sent before it; the clock stops on {u}.)"),
        }
    }
    if changed > 0 {
        println!("  ({changed} notifications are received at a step's end that changes whether they are on time.)");
    }
    let titles: Vec<String> = spec.limits.iter().map(|l| format!("{} ({})", l.name, l.value)).collect();
    // What the public record holds for each row (the demo's figures after 2023 are the
    // model's, not published ones): each limit's point as the chart draws it, each basis once.
    let record = accord_sim::record::record(&sim.spec).ok();
    let public_basis = |as_of: &str, party: &str| -> Option<String> {
        let mut words: Vec<String> = Vec::new();
        for s in record.as_ref()?.series.iter().filter(|s| s.party == party) {
            let p = s.points.iter().find(|p| p.as_of.to_string() == as_of)?;
            let w = serde_json::to_value(p.basis).ok()?.as_str()?.to_owned();
            if !words.contains(&w) {
                words.push(w);
            }
        }
        (!words.is_empty()).then(|| words.join(", "))
    };
    let mut exchanges: Vec<accord_treaty::Date> = sim.spec.data_exchange_dates();
    exchanges.reverse();
    // The treaty's own milestones, printed as the clock passes them.
    let mut milestones = milestones(&sim.spec);
    milestones.reverse();
    let (mut us_sent, mut ru_sent) = (0u64, 0u64);
    let mut last_year = 0;
    let t_ex = Instant::now();
    let mut printed_header = false;
    // The inspection and negotiation the nodes play at their dates (demo_regime.rs).
    let mut script = super::demo_regime::script(&sim.spec, &sim.notifications)?;
    script.retain(|sc| cut.is_none_or(|c| sc.date < c.open.map_or(c.date, |o| o.min(c.date))));
    script.reverse();
    let played = script.len();
    for st in &steps {
        let at = accord_node::clock::rfc3339(st.at);
        let clock = serde_json::json!({"now": at});
        let (r1, r2) = tokio::join!(
            us.call(reqwest::Method::PUT, "/api/v1/clock", Some(clock.clone())),
            ru.call(reqwest::Method::PUT, "/api/v1/clock", Some(clock))
        );
        r1?;
        r2?;
        let batch = &sent[st.items.clone()];
        let mine = |p: &str| -> Vec<serde_json::Value> { batch.iter().filter(|n| n.party == p).map(|n| wire(n)).collect() };
        let (bu, br) = (mine("US"), mine("RU"));
        us_sent += bu.len() as u64;
        ru_sent += br.len() as u64;
        let post = |api: &Api, b: Vec<serde_json::Value>| {
            let api = api.clone();
            async move {
                if b.is_empty() {
                    return Ok(serde_json::Value::Null);
                }
                api.call(reqwest::Method::POST, "/api/v1/notifications", Some(serde_json::Value::Array(b)))
                    .await
            }
        };
        let (r1, r2) = tokio::join!(post(&us, bu), post(&ru, br));
        r1?;
        r2?;
        // Each receipt must be stamped within this step: wait for both acknowledgements.
        let (c1, c2) = (format!("until_acknowledged={us_sent}"), format!("until_acknowledged={ru_sent}"));
        let (w1, w2) = tokio::join!(wait(&ru, &c1), wait(&us, &c2));
        w1?;
        w2?;
        let date = Timestamp::from_unix(st.at).date();
        while milestones.last().is_some_and(|(d, _)| *d <= date) {
            if let Some((d, title)) = milestones.pop() {
                println!("  {d}  treaty: {title}");
            }
        }
        while script.last().is_some_and(|sc| sc.date <= date) {
            let Some(sc) = script.pop() else { break };
            let api = if sc.party == "US" { &us } else { &ru };
            let v = api.call(reqwest::Method::POST, sc.path, Some(sc.req)).await?;
            if sc.party == "US" {
                us_sent += 1;
            } else {
                ru_sent += 1;
            }
            // The other node holds and acknowledges it before the next step.
            let (c1, c2) = (format!("until_acknowledged={us_sent}"), format!("until_acknowledged={ru_sent}"));
            let (w1, w2) = tokio::join!(wait(&ru, &c1), wait(&us, &c2));
            w1?;
            w2?;
            let mut line = format!("  {}  {} ({} log entry {})", sc.date, sc.say, sc.party, v["receipt"]["index"]);
            if let Some(a) = v["agreements"].as_array().and_then(|a| a.last()) {
                line.push_str(&format!(": agreed, {}", super::at_node::effects(a)));
            }
            if let Some(h) = v["inspection"]["report_sha256"]
                .as_str()
                .filter(|_| v["inspection"]["status"] == "reported")
            {
                line.push_str(&format!(": SHA-256 {}…", &h[..16]));
            }
            println!("{line}");
        }
        if a.verbose && date.year() != last_year {
            last_year = date.year();
            let s = us.call(reqwest::Method::GET, "/api/v1/status", None).await?;
            let r = ru.call(reqwest::Method::GET, "/api/v1/status", None).await?;
            println!(
                "  {at}  US log {:>6} (final {:>6})  RU log {:>6} (final {:>6})  sent US {us_sent} RU {ru_sent}  {:.1} s",
                s["size"],
                s["final_size"],
                r["size"],
                r["final_size"],
                t0.elapsed().as_secs_f64()
            );
        }
        // The compliance row of each data exchange, once its data are due.
        while let Some(d) = exchanges.last().copied() {
            if accord_treaty::date::add_days(d, 45) > date {
                break;
            }
            // Until every notification dated before a later one has arrived, replay can refuse
            // the record (a movement of a missile whose removal is still in flight): try again
            // at the next step.
            let Some(r) = us.try_call(&format!("/api/v1/compliance?on={date}")).await? else {
                break;
            };
            exchanges.pop();
            let ds = d.to_string();
            let rows: Vec<&serde_json::Value> = r["rows"]
                .as_array()
                .map(|a| a.iter().filter(|row| row["as_of"] == ds.as_str()).collect())
                .unwrap_or_default();
            if rows.is_empty() {
                continue;
            }
            let table = crate::output::compliance_table_json(&rows, &titles, &public_basis);
            let mut lines = table.lines();
            let header = lines.next().unwrap_or("");
            if !printed_header {
                println!("\n  Compliance at each data exchange, as the US node sees the exchanged record (as `accord compliance` prints it):\n  {header}");
                printed_header = true;
            }
            for l in lines.skip(1) {
                println!("  {l}");
            }
        }
    }
    let exchange_secs = t_ex.elapsed().as_secs_f64();
    // The end: the clock at expiry (or `--until`), every checkpoint cosigned by the partner and the witness.
    let end_unix = a
        .until
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or_else(|| spec.lifecycle.end_exclusive().midnight().assume_utc().unix_timestamp())
        .max(steps.last().map_or(0, |s| s.at));
    let end = accord_node::clock::rfc3339(end_unix);
    // What the clock passes on its way to the end (the expiry itself, say).
    let end_date = Timestamp::from_unix(end_unix).date();
    while let Some((d, title)) = milestones.pop().filter(|(d, _)| *d <= end_date) {
        println!("  {d}  treaty: {title}");
    }
    let clock = serde_json::json!({"now": end});
    us.call(reqwest::Method::PUT, "/api/v1/clock", Some(clock.clone())).await?;
    ru.call(reqwest::Method::PUT, "/api/v1/clock", Some(clock)).await?;
    let mut synced = false;
    let mut st = (serde_json::Value::Null, serde_json::Value::Null);
    for _ in 0..60 {
        let s1 = us.call(reqwest::Method::GET, "/api/v1/status", None).await?;
        let s2 = ru.call(reqwest::Method::GET, "/api/v1/status", None).await?;
        let (n1, n2) = (s1["size"].as_u64().unwrap_or(0), s2["size"].as_u64().unwrap_or(0));
        let s1 = wait(&us, &format!("until_final={n1}&until_acknowledged_by_partner={us_sent}")).await?;
        let s2 = wait(&ru, &format!("until_final={n2}&until_acknowledged_by_partner={ru_sent}")).await?;
        let done = |s: &serde_json::Value, other: &serde_json::Value, theirs: u64| {
            s["final_size"] == s["size"]
                && s["partner"]["mirrored"] == other["size"]
                && s["partner"]["acknowledged"].as_u64() == Some(theirs)
        };
        st = (s1.clone(), s2.clone());
        if done(&s1, &s2, ru_sent) && done(&s2, &s1, us_sent) && s1["size"].as_u64() == Some(n1) && s2["size"].as_u64() == Some(n2) {
            synced = true;
            break;
        }
    }
    let findings_on = &end[..10];
    let report = us
        .call(reqwest::Method::GET, &format!("/api/v1/compliance?on={findings_on}"), None)
        .await?;
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for f in &findings {
        let k = format!(
            "{} {} ({})",
            f["party"].as_str().unwrap_or("?"),
            f["type"].as_str().unwrap_or("finding").replace('_', " "),
            f["kind"].as_str().unwrap_or("")
        );
        *by.entry(k).or_default() += 1;
    }
    println!(
        "\nExchanged {} notifications in {exchange_secs:.1} s ({:.0}/s): US log {} entries, RU log {} entries: each Party's notifications, a public release of each of a public kind, and an acknowledgement of each of the other's.",
        sent.len(),
        sent.len() as f64 / exchange_secs.max(0.001),
        st.0["size"],
        st.1["size"]
    );
    // On PostgreSQL the clusters go with the demo: the folders cannot be read afterwards.
    let see = if a.store == crate::args::DemoStore::Sqlite {
        format!(
            " (see `accord inspection list` and `accord proposal list` with --data {}/us --config {}/us/node.toml once the demo is stopped)",
            root.display(),
            root.display()
        )
    } else {
        " (GET /api/v1/inspections and /api/v1/proposals of either node while it serves)".to_owned()
    };
    println!(
        "Played {} inspection and negotiation steps as notifications of the same logs{see}.",
        played - script.len(),
    );
    println!(
        "Final (cosigned by the partner and the witness): US {} of {}, RU {} of {}.",
        st.0["final_size"], st.0["size"], st.1["final_size"], st.1["size"]
    );
    println!("Findings as of {findings_on} from the exchanged record: {}", findings.len());
    for (k, n) in &by {
        println!("  {n} {k}");
    }
    println!("Violations: {}", report["violations"].as_array().map_or(0, |v| v.len()));
    if !synced {
        eprintln!("accord demo: the exchange did not complete: {} / {}", st.0, st.1);
        return Err(Failure {
            code: CHECK_FAILED,
            error: anyhow!("the exchange did not complete"),
        });
    }
    println!("Synced after {:.1} s.", t0.elapsed().as_secs_f64());
    Ok(0)
}

/// The freeze scenario ([`super::demo_freeze`]) on the three processes.
async fn play_freeze(procs: &[Proc], ops: [&String; 2], root: &Path, t0: Instant) -> Outcome {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| io(anyhow!("{e}")))?;
    let api = |i: usize, token: &String| Api::new(http.clone(), procs[i].url.clone(), token.clone());
    let (us, ru) = (api(1, ops[0]), api(2, ops[1]));
    println!(
        "accord demo --scenario freeze: two Party nodes and a witness on loopback, data in {}\n  US node       {} (operator token {})\n  Russian node  {} (operator token {})\n  witness       {}",
        root.display(),
        us.url,
        ops[0],
        ru.url,
        ops[1],
        procs[0].url
    );
    super::demo_freeze::drive(&us, &ru, root, t0).await
}

/// The compliance rows (JSON, as the API gives them) as a table: each limit's value and margin.
#[cfg(test)]
mod tests {
    use super::*;

    /// The milestones the demo prints as its clock passes them: the record's turning points,
    /// in date order, the suspension and the expiry among them.
    #[test]
    fn the_treaty_milestones_are_in_date_order() {
        let spec = accord_treaty::builtin::new_start();
        let m = milestones(&spec);
        assert!(m.windows(2).all(|w| w[0].0 <= w[1].0), "{m:?}");
        let on = |d: &str| m.iter().find(|(x, _)| x.to_string() == d).map(|(_, t)| t.clone());
        assert_eq!(on("2011-02-05").as_deref(), Some("Entry into force"));
        assert_eq!(on("2018-02-05").as_deref(), Some("Central limits take effect"));
        assert!(m.iter().any(|(d, t)| d.year() == 2023 && t.contains("suspends")), "{m:?}");
        assert!(
            m.last()
                .is_some_and(|(d, t)| d.to_string() == "2026-02-05" && t == "The treaty expires"),
            "{m:?}"
        );
    }
}
