//! `accord demo --scenario freeze`: the October 2020 US proposal (extend one year, freeze all
//! nuclear warheads, verified) accepted as a what-if, played between the two nodes and the
//! witness on the treaty as it stood on 2020-10-20 (`what_if` in each node's configuration).
//!
//! Both Parties commit synthetic inventories built from published estimates
//! (`data/freeze-estimates.toml`) at the baseline, each quarter of the extended year log their
//! changes and a new declaration whose proof holds the total within the baseline's committed
//! total, and inspect each other by sampling. Russia moves warheads between zones without logging it (the US node
//! finds the zones and raises an alert), the United States misdeclares 1 % of its items (a
//! sample of 30 catches it at the hypergeometric rate) and Russia leaves items out of its
//! commitment (an item found at the inspected site that Russia cannot open). Every step goes
//! through the operator API (`POST /api/v1/proposals`, `POST /api/v1/freeze`) and is final
//! (cosigned by the partner and the witness) before the next; every declaration's release is
//! checked offline by the real binary (`accord log verify-proof --policy`); the simulator then
//! runs both cheats many times with fixed seeds.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use accord_escrow::inventory::{Context, Inventory, Record, Seed, Status};
use accord_escrow::periods::Change;
use accord_escrow::totals::{prove_inventory, Cap, CapSecret, LimitProof, Openings};
use anyhow::anyhow;
use serde_json::{json, Value};

use super::demo_api::{settle, Api};
use crate::failure::{io, Failure, Outcome, CHECK_FAILED};

/// The what-if's day: the treaty as known when Russia would have accepted.
pub const WHAT_IF: &str = "2020-10-20";
/// The virtual clock's start.
pub const START: &str = "2020-10-12T00:00:00Z";

const TREATY: &str = "us-2020-10-freeze";
/// Items each sampled inspection opens.
const K: u64 = 30;

/// One Party's declaration as kept by its own side (the inventory and its secrets).
struct Declared {
    inv: Inventory,
    proof: LimitProof,
    openings: Openings,
}

fn fail(m: String) -> Failure {
    Failure {
        code: CHECK_FAILED,
        error: anyhow!(m),
    }
}

fn pad_to(n: usize) -> u64 {
    (n as u64).next_power_of_two()
}

/// Commits `records` as of `as_of` and proves the total within the baseline's (or, for the
/// baseline, within the 16-bit range).
fn declare(party: &str, as_of: &str, records: Vec<Record>, baseline: Option<&Declared>) -> Result<Declared, Failure> {
    let ctx = Context {
        treaty: TREATY.into(),
        party: party.into(),
        as_of: as_of.into(),
    };
    let n = records.len();
    let inv =
        Inventory::build(ctx, &Seed(crate::clock::random::<32>()), records, pad_to(n)).map_err(|e| io(anyhow!("{party} {as_of}: {e}")))?;
    let (cap, secret) = match baseline {
        None => (Cap::Public(65_535), None),
        Some(b) => (b.proof.as_cap(), Some(CapSecret::of(&b.openings).map_err(|e| io(anyhow!("{e}")))?)),
    };
    let (proof, openings) = prove_inventory(&inv, "all_warheads", &[], cap, secret.as_ref(), 16, &mut crate::clock::rng())
        .map_err(|e| fail(format!("{party} {as_of}: no proof: {e}")))?;
    Ok(Declared { inv, proof, openings })
}

async fn clock(apis: [&Api; 2], at: &str) -> Result<(), Failure> {
    for a in apis {
        a.call(reqwest::Method::PUT, "/api/v1/clock", Some(json!({ "now": at }))).await?;
    }
    Ok(())
}

async fn freeze_step(api: &Api, req: Value) -> Result<Value, Failure> {
    api.call(reqwest::Method::POST, "/api/v1/freeze", Some(req)).await
}

async fn post_declaration(api: &Api, d: &Declared) -> Result<Value, Failure> {
    freeze_step(
        api,
        json!({"step": "declare", "inventory": d.inv.commitment(), "limit_proof": d.proof, "openings": d.openings}),
    )
    .await
}

/// The leaves the inspected Party opens: the draw's order, padding skipped, until `k` items.
fn openings_for(d: &Declared, drawn_from: &Value, k: u64) -> Result<Vec<accord_escrow::inventory::Opening>, Failure> {
    let reveal = |p: &str| -> Result<[u8; 32], Failure> {
        let v = drawn_from[p].as_str().ok_or_else(|| io(anyhow!("no reveal of {p}")))?;
        accord_ledger::record::unhex(v)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| io(anyhow!("a reveal of {p} is not 32 bytes")))
    };
    let c = d.inv.commitment();
    let seed = accord_escrow::sample::seed(
        &reveal("by")?,
        &reveal("of")?,
        &c.root,
        c.size,
        drawn_from["id"].as_str().unwrap_or(""),
    );
    let order = accord_escrow::sample::draw(&seed, c.size, c.size.min(accord_escrow::sample::MAX_DRAW)).map_err(|e| io(anyhow!("{e}")))?;
    let mut out = Vec::new();
    let mut items = 0;
    for i in order {
        let o = d.inv.open(i).map_err(|e| io(anyhow!("{e}")))?;
        items += u64::from(o.record.status != Status::Padding);
        out.push(o);
        if items == k {
            break;
        }
    }
    Ok(out)
}

/// A sampled inspection by `by` of `of`'s declaration `d`: request, both commit, both reveal,
/// the inspected opens the drawn leaves; the inspectors report `observe(opened)` as found.
/// Returns the sample and the findings on record for it.
async fn sample(
    id: &str,
    by: &Api,
    of: &Api,
    of_party: &str,
    d: &Declared,
    observe: impl Fn(&[Record]) -> Vec<Record>,
    zone: Option<(&str, &Declared)>,
) -> Result<(Value, Vec<Value>), Failure> {
    let root = d.inv.commitment().root.to_string();
    freeze_step(by, json!({"step": "request", "id": id, "of": of_party, "root": root, "k": K})).await?;
    settle(by, of).await?;
    freeze_step(by, json!({"step": "commit", "id": id})).await?;
    freeze_step(of, json!({"step": "commit", "id": id})).await?;
    settle(by, of).await?;
    // The inspected Party reveals first (the nodes refuse the other order).
    freeze_step(of, json!({"step": "reveal", "id": id})).await?;
    settle(by, of).await?;
    freeze_step(by, json!({"step": "reveal", "id": id})).await?;
    settle(by, of).await?;
    // The inspected Party reads both values from its record and opens the drawn leaves.
    let reveals = reveals_of(of, id).await?;
    let openings = openings_for(d, &reveals, K)?;
    let opened: Vec<Record> = openings
        .iter()
        .map(|o| o.record.clone())
        .filter(|r| r.status != Status::Padding)
        .collect();
    freeze_step(of, json!({"step": "open", "id": id, "openings": openings})).await?;
    settle(by, of).await?;
    if let Some((z, full)) = zone {
        freeze_step(by, json!({"step": "zone_request", "id": id, "zone": z})).await?;
        settle(by, of).await?;
        let reveal = full.inv.reveal_zone(z).map_err(|e| io(anyhow!("{e}")))?;
        freeze_step(of, json!({"step": "zone_reveal", "id": id, "reveal": reveal})).await?;
        settle(by, of).await?;
    }
    freeze_step(by, json!({"step": "findings", "id": id, "observed": observe(&opened)})).await?;
    settle(by, of).await?;
    let r = by.call(reqwest::Method::GET, "/api/v1/freeze", None).await?;
    let s = r["samples"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == id))
        .cloned()
        .unwrap_or(Value::Null);
    let fs: Vec<Value> = r["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["message"].as_str().is_some_and(|m| m.starts_with(&format!("sample {id}:"))))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok((s, fs))
}

/// Both Parties' revealed values for sample `id`, from the inspected node's log entries (its
/// own reveal) and its mirror (the other's): `{id, by, of}` as hex.
async fn reveals_of(api: &Api, id: &str) -> Result<Value, Failure> {
    let out = api.call(reqwest::Method::GET, "/api/v1/freeze", None).await?;
    let s = out["samples"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == id))
        .ok_or_else(|| io(anyhow!("sample {id}: not on record")))?;
    let values = s["values"].clone();
    Ok(json!({"id": id, "by": values[s["by"].as_str().unwrap_or("")], "of": values[s["of"].as_str().unwrap_or("")]}))
}

/// Logged changes of a quarter: the first `dismantle` items dismantled, `moves` items of the
/// zone of item `from_zone_of` moved to `to`; the items in `avoid` left alone.
fn changes(
    items: &mut Vec<Record>,
    dismantle: usize,
    from_zone_of: usize,
    moves: usize,
    to: &str,
    avoid: &std::collections::BTreeSet<String>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for _ in 0..dismantle {
        let Some(i) = items.iter().position(|r| !avoid.contains(&r.uid)) else {
            break;
        };
        let r = items.remove(i);
        out.push(Change::Dismantled { uid: r.uid, zone: r.zone });
    }
    let zone = items[from_zone_of.min(items.len() - 1)].zone.clone();
    let picked: Vec<usize> = zone_items(items, &zone)
        .into_iter()
        .filter(|&i| !avoid.contains(&items[i].uid))
        .take(moves)
        .collect();
    for i in picked {
        let from = items[i].zone.clone();
        items[i].zone = to.to_owned();
        out.push(Change::Moved {
            uid: items[i].uid.clone(),
            from,
            to: to.to_owned(),
        });
    }
    out
}

fn zone_items(records: &[Record], zone: &str) -> Vec<usize> {
    records.iter().enumerate().filter(|(_, r)| r.zone == zone).map(|(i, _)| i).collect()
}

/// Plays the scenario; `apis` are the US and Russian operators.
pub async fn drive(us: &Api, ru: &Api, root: &Path, t0: Instant) -> Outcome {
    println!("\nThe October 2020 freeze, played as a what-if on the treaty as it stood on {WHAT_IF}:");
    let builtin = |i: usize| accord_treaty::proposal::BUILTIN[i].1.to_owned();
    clock([us, ru], "2020-10-13T12:00:00Z").await?;
    us.call(
        reqwest::Method::POST,
        "/api/v1/proposals",
        Some(json!({"step": "file", "toml": builtin(0)})),
    )
    .await?;
    settle(us, ru).await?;
    println!("  2020-10-13  US proposes: extend one year, freeze all nuclear warheads at their number that day, verified");
    clock([us, ru], "2020-10-20T12:00:00Z").await?;
    let v = ru
        .call(
            reqwest::Method::POST,
            "/api/v1/proposals",
            Some(json!({"step": "accept", "id": "us-2020-10-freeze", "date": "2020-10-20"})),
        )
        .await?;
    settle(us, ru).await?;
    if let Some(a) = v["agreements"].as_array().and_then(|a| a.last()) {
        println!("  2020-10-20  RU accepts (the what-if): {}", super::at_node::effects(a));
    }
    // The inventories at the baseline, from the published estimates.
    let all = accord_sim::freeze::inventories(accord_sim::freeze::FREEZE_ESTIMATES).map_err(|e| io(anyhow!("{e}")))?;
    let inv = |p: &str| -> Result<Vec<Record>, Failure> {
        all.iter()
            .find(|i| i.party == p)
            .map(|i| i.records.clone())
            .ok_or_else(|| io(anyhow!("no estimates for {p}")))
    };
    let (mut us_items, mut ru_items) = (inv("US")?, inv("RU")?);
    clock([us, ru], "2020-10-27T12:00:00Z").await?;
    let us_base = declare("US", "2020-10-13", us_items.clone(), None)?;
    let ru_base = declare("RU", "2020-10-13", ru_items.clone(), None)?;
    post_declaration(us, &us_base).await?;
    post_declaration(ru, &ru_base).await?;
    settle(us, ru).await?;
    println!(
        "  2020-10-27  baselines as of 2020-10-13: US commits {} leaves ({} warheads, padded), RU {} leaves; each proof public, the per-zone counts opened to the other Party only",
        us_base.inv.commitment().size,
        us_items.len(),
        ru_base.inv.commitment().size
    );
    // Quarter 1: both log their changes honestly.
    clock([us, ru], "2020-12-01T12:00:00Z").await?;
    let us_to = us_items.last().map(|r| r.zone.clone()).unwrap_or_default();
    let ru_to = ru_items.last().map(|r| r.zone.clone()).unwrap_or_default();
    let none = std::collections::BTreeSet::new();
    let us_c1 = changes(&mut us_items, 12, 500, 6, &us_to, &none);
    let ru_c1 = changes(&mut ru_items, 15, 900, 8, &ru_to, &none);
    freeze_step(us, json!({"step": "change", "changes": us_c1})).await?;
    freeze_step(ru, json!({"step": "change", "changes": ru_c1})).await?;
    settle(us, ru).await?;
    println!(
        "  2020-12-01  changes logged: US {} (12 dismantled, 6 moved), RU {} (15 dismantled, 8 moved)",
        us_c1.len(),
        ru_c1.len()
    );
    clock([us, ru], "2021-01-14T12:00:00Z").await?;
    let us_q1 = declare("US", "2021-01-13", us_items.clone(), Some(&us_base))?;
    let ru_q1 = declare("RU", "2021-01-13", ru_items.clone(), Some(&ru_base))?;
    post_declaration(us, &us_q1).await?;
    post_declaration(ru, &ru_q1).await?;
    settle(us, ru).await?;
    let fr = us.call(reqwest::Method::GET, "/api/v1/freeze", None).await?;
    println!(
        "  2021-01-14  first quarter: both prove their totals within the baseline's committed total; the US node checks Russia's openings against its changes: {} findings",
        fr["findings"].as_array().map_or(0, Vec::len)
    );
    clock([us, ru], "2021-01-20T12:00:00Z").await?;
    let (s, fs) = sample("RU-S1", ru, us, "US", &us_q1, |o| o.to_vec(), None).await?;
    println!(
        "  2021-01-20  RU samples the US declaration: {} leaves drawn from both reveals, {} items opened and found as declared: {} findings",
        s["drawn"].as_array().map_or(0, Vec::len),
        s["opened"].as_array().map_or(0, Vec::len),
        fs.len()
    );
    // Quarter 2: Russia moves 12 warheads between zones without logging it; it also leaves 20
    // items of one zone out of its commitment and logs them as dismantled; the US misdeclares
    // 1 % of its items (committed with another status).
    clock([us, ru], "2021-03-01T12:00:00Z").await?;
    let hidden_zone = ru_items[100].zone.clone();
    let hidden: Vec<Record> = zone_items(&ru_items, &hidden_zone)
        .into_iter()
        .take(20)
        .map(|i| ru_items[i].clone())
        .collect();
    let fake: Vec<Change> = hidden
        .iter()
        .map(|r| Change::Dismantled {
            uid: r.uid.clone(),
            zone: r.zone.clone(),
        })
        .collect();
    freeze_step(ru, json!({"step": "change", "changes": fake})).await?;
    settle(us, ru).await?;
    let moved_from = ru_items[2000].zone.clone();
    let mut moved = 0;
    for i in zone_items(&ru_items, &moved_from).into_iter().take(12) {
        ru_items[i].zone = ru_to.clone();
        moved += 1;
    }
    let ru_committed: Vec<Record> = ru_items
        .iter()
        .filter(|r| !hidden.iter().any(|h| h.uid == r.uid))
        .cloned()
        .collect();
    let bad = us_items.len() / 100;
    let mut us_committed = us_items.clone();
    for r in us_committed.iter_mut().step_by(us_items.len() / bad.max(1)).take(bad) {
        r.status = if r.status == Status::Deployed {
            Status::NonDeployed
        } else {
            Status::Deployed
        };
    }
    clock([us, ru], "2021-04-14T12:00:00Z").await?;
    let us_q2 = declare("US", "2021-04-13", us_committed.clone(), Some(&us_base))?;
    let ru_q2 = declare("RU", "2021-04-13", ru_committed, Some(&ru_base))?;
    let ru_logged = post_declaration(ru, &ru_q2).await?;
    post_declaration(us, &us_q2).await?;
    settle(us, ru).await?;
    let said: Vec<String> = ru_logged["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["zone"].as_str().map(str::to_owned))
        .collect();
    println!(
        "  2021-04-14  second quarter: RU moved {moved} warheads from {moved_from} to {ru_to} without logging it; its node warned it of zones {said:?} and logged the declaration as its Party's statement"
    );
    // The US node raises its alerts once it has checked Russia's declaration (before it
    // acknowledges it): this step expects them, so wait for them (at most 30 s).
    let mut alerts = Value::Null;
    for _ in 0..60 {
        alerts = us.call(reqwest::Method::GET, "/api/v1/alerts", None).await?;
        if alerts["alerts"].as_array().is_some_and(|a| a.iter().any(|a| a["kind"] == "freeze")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let freeze_alerts: Vec<&Value> = alerts["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == "freeze")
        .collect();
    for a in &freeze_alerts {
        println!("              US node alert: {}", a["message"].as_str().unwrap_or(""));
    }
    // RU samples the US declaration: the misdeclared items are caught if drawn.
    clock([us, ru], "2021-04-20T12:00:00Z").await?;
    let truth: BTreeMap<String, Record> = us_items.iter().map(|r| (r.uid.clone(), r.clone())).collect();
    let (s, fs) = sample(
        "RU-S2",
        ru,
        us,
        "US",
        &us_q2,
        |opened| {
            opened
                .iter()
                .map(|r| truth.get(&r.uid).cloned().unwrap_or_else(|| r.clone()))
                .collect()
        },
        None,
    )
    .await?;
    let p = accord_escrow::sample::detection_probability(us_items.len() as u64, bad as u64, K);
    println!(
        "  2021-04-20  RU samples the US declaration ({bad} of {} items misdeclared): {} items opened, {} misdeclarations found (one inspection of k = {K} catches at least one with probability {p:.3})",
        us_items.len(),
        s["opened"].as_array().map_or(0, Vec::len),
        fs.iter().filter(|f| f["kind"] == "misdeclaration").count()
    );
    // The US samples Russia's: at the site of the hidden items the inspectors find one, and the
    // zone's reveal does not hold it.
    let (s, fs) = sample(
        "US-S1",
        us,
        ru,
        "RU",
        &ru_q2,
        |opened| {
            let mut o = opened.to_vec();
            o.push(hidden[0].clone());
            o
        },
        Some((&hidden_zone, &ru_q2)),
    )
    .await?;
    let omissions: Vec<&Value> = fs.iter().filter(|f| f["kind"] == "omission").collect();
    println!(
        "  2021-04-20  the US samples Russia's declaration and asks for zone {hidden_zone}: {} items opened; at the site its inspectors find {}, which Russia has not opened there: {} omission finding(s)",
        s["opened"].as_array().map_or(0, Vec::len),
        hidden[0].uid,
        omissions.len()
    );
    // The third and fourth quarters: both log their changes honestly (Russia still hides the
    // 20 items it logged as dismantled); each quarter's proofs hold the totals within the
    // baseline's, and the US node's check of Russia's openings finds nothing new.
    let hidden_uids: std::collections::BTreeSet<String> = hidden.iter().map(|r| r.uid.clone()).collect();
    for (q, change_day, as_of, sent) in [
        ("third", "2021-06-01T12:00:00Z", "2021-07-13", "2021-07-14T12:00:00Z"),
        ("fourth", "2021-09-01T12:00:00Z", "2021-10-13", "2021-10-14T12:00:00Z"),
    ] {
        clock([us, ru], change_day).await?;
        let uc = changes(&mut us_items, 10, 300, 4, &us_to, &none);
        let rc = changes(&mut ru_items, 10, 1500, 4, &ru_to, &hidden_uids);
        freeze_step(us, json!({"step": "change", "changes": uc})).await?;
        freeze_step(ru, json!({"step": "change", "changes": rc})).await?;
        settle(us, ru).await?;
        clock([us, ru], sent).await?;
        let ru_now: Vec<Record> = ru_items.iter().filter(|r| !hidden_uids.contains(&r.uid)).cloned().collect();
        let ud = declare("US", as_of, us_items.clone(), Some(&us_base))?;
        let rd = declare("RU", as_of, ru_now, Some(&ru_base))?;
        post_declaration(us, &ud).await?;
        post_declaration(ru, &rd).await?;
        settle(us, ru).await?;
        let fr = us.call(reqwest::Method::GET, "/api/v1/freeze", None).await?;
        let ru_decl = fr["parties"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["party"] == "RU"))
            .and_then(|p| p["declarations"].as_array())
            .and_then(|ds| ds.iter().find(|d| d["date"] == as_of))
            .cloned()
            .unwrap_or(Value::Null);
        let new_findings = fr["findings"]
            .as_array()
            .map_or(0, |f| f.iter().filter(|f| f["date"] == as_of).count());
        println!(
            "  {}  {q} quarter: changes logged (US {}, RU {}); both declarations proven within the baseline's total; Russia's openings {} by the US node, {new_findings} findings",
            &sent[..10],
            uc.len(),
            rc.len(),
            ru_decl["openings"].as_str().unwrap_or("?")
        );
    }
    // Offline: every declaration's public release in both logs, its tlog-proof fetched from
    // the node and checked by the real binary against the log's policy (the partner's and the
    // witness's cosignatures) with the limit proof inside it.
    let exe = std::env::current_exe().map_err(|e| io(anyhow!("{e}")))?;
    let (mut releases, mut verified, mut last) = (0, 0, String::new());
    for (party, api) in [("us", us), ("ru", ru)] {
        let policy = root.join(party).join("policy.txt");
        let rel = api.call(reqwest::Method::GET, "/public/releases", None).await?;
        let indexes: Vec<u64> = rel["releases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["release"]["kind"] == "warhead_stockpile_declaration")
            .filter_map(|r| r["index"].as_u64())
            .collect();
        for index in indexes {
            releases += 1;
            let proof = api
                .http
                .get(format!("{}/public/releases/{index}", api.url))
                .send()
                .await
                .map_err(|e| io(anyhow!("{e}")))?;
            if !proof.status().is_success() {
                return Err(io(anyhow!("GET {}/public/releases/{index}: {}", api.url, proof.status())));
            }
            let file = root.join(format!("{party}-release-{index}.tlog-proof"));
            std::fs::write(&file, proof.bytes().await.map_err(|e| io(anyhow!("{e}")))?)
                .map_err(|e| io(anyhow!("{}: {e}", file.display())))?;
            let out = std::process::Command::new(&exe)
                .args(["log", "verify-proof"])
                .arg(&file)
                .arg("--policy")
                .arg(&policy)
                .output()
                .map_err(|e| io(anyhow!("accord log verify-proof: {e}")))?;
            let said = String::from_utf8_lossy(&out.stdout);
            let said = said.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
            if out.status.success() && said.contains("its limit proof verifies") {
                verified += 1;
            } else {
                println!("  offline     {}: FAILED ({said})", file.display());
            }
            last = format!("accord log verify-proof {} --policy {}: {said}", file.display(), policy.display());
        }
    }
    println!("  offline     {verified} of {releases} declaration releases verified with their limit proofs; the last: {last}");
    // The cheats, many times, in the simulator.
    let runs = 200;
    let us_inv = all.iter().find(|i| i.party == "US").ok_or_else(|| io(anyhow!("no US estimates")))?;
    let ru_inv = all.iter().find(|i| i.party == "RU").ok_or_else(|| io(anyhow!("no RU estimates")))?;
    let m = accord_sim::freeze::misdeclaration(us_inv, us_inv.records.len() / 100, K, runs, 1000).map_err(|e| io(anyhow!("{e}")))?;
    let o = accord_sim::freeze::omission(ru_inv, 20, 4, runs, 2000).map_err(|e| io(anyhow!("{e}")))?;
    println!("\nThe cheats, {runs} runs each through the real escrow (fixed seeds):");
    for (what, t) in [
        ("US misdeclares 1 %, one inspection opens 30 leaves", &m),
        ("RU omits 20 items of one zone, 4 zones revealed", &o),
    ] {
        println!(
            "  {what}: caught {} of {} (seeds {}–{}), {:.3}; theory {:.3}, 99 % interval [{:.3}, {:.3}]: {}",
            t.caught,
            t.runs,
            t.seed,
            t.seed + u64::from(t.runs) - 1,
            t.rate(),
            t.expected,
            t.interval.0,
            t.interval.1,
            if t.within() { "within" } else { "OUTSIDE" }
        );
    }
    let ok = releases > 0 && verified == releases && !freeze_alerts.is_empty() && !omissions.is_empty() && m.within() && o.within();
    println!("\nThe freeze scenario ran in {:.1} s.", t0.elapsed().as_secs_f64());
    if !ok {
        return Err(fail("the freeze scenario did not show what it should (see above)".into()));
    }
    Ok(0)
}
