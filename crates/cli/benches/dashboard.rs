//! The dashboard, measured on the demo's record (issue #15), in one run:
//!
//! - each API call a page makes: the first answer and the median and 99th percentile of 50
//!   more on one keep-alive connection, against the node's `/health` round trip measured the
//!   same way (goal: every call within the node-core read goal, a median under 20 ms);
//! - the page's weight: each embedded file as served (HTML, JavaScript, WebAssembly, CSS,
//!   messages);
//! - the proof check in Chromium (accord-tlog compiled to WebAssembly, `verify.js`) against the
//!   same check natively (`accord_verify_wasm::check`, the code `accord log verify-proof
//!   --policy` runs) and against the whole `accord log verify-proof` process (goal: the browser
//!   at most 3 times the binary).
//!
//! `cargo bench -p accord-cli --bench dashboard` (needs chromium and chromium-driver;
//! `ACCORD_BENCH_UNTIL=YYYY-MM-DD` plays a shorter demo).

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;
use std::time::Instant;

#[path = "../tests/e2e/common/live.rs"]
mod live;

/// A GET of `path`'s body.
async fn get(http: &reqwest::Client, base: &str, path: &str) -> Vec<u8> {
    http.get(format!("{base}{path}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// A GET of `path`'s JSON.
async fn get_json(http: &reqwest::Client, base: &str, path: &str) -> serde_json::Value {
    serde_json::from_slice(&get(http, base, path).await).unwrap()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// The first answer and 50 more of `path`, in ms: (first, p50, p99, bytes).
async fn time(http: &reqwest::Client, base: &str, path: &str, cookie: Option<&str>) -> (f64, f64, f64, usize) {
    let get = || {
        let mut r = http.get(format!("{base}{path}"));
        if let Some(c) = cookie {
            r = r.header("Cookie", c);
        }
        r
    };
    let t0 = Instant::now();
    let first = get().send().await.unwrap();
    assert!(first.status().is_success(), "{path}: {}", first.status());
    let bytes = first.bytes().await.unwrap().len();
    let first = t0.elapsed().as_secs_f64() * 1e3;
    let mut v = Vec::new();
    for _ in 0..50 {
        let t0 = Instant::now();
        let r = get().send().await.unwrap();
        let _ = r.bytes().await.unwrap();
        v.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    (first, pct(&mut v, 0.5), pct(&mut v, 0.99), bytes)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let until = std::env::var("ACCORD_BENCH_UNTIL").ok();
    let extra: Vec<&str> = until.as_deref().map(|u| vec!["--until", u]).unwrap_or_default();
    let demo = live::Demo::start(env!("CARGO_BIN_EXE_accord"), &dir.path().join("demo"), &extra);
    let (base, token) = demo.us.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
        let signed = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"token": token}))
            .send()
            .await
            .unwrap();
        let cookie = signed.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let status = get_json(&http, &base, "/api/v1/status").await;
        let on = &status["clock"].as_str().unwrap()[..10];
        let releases = get_json(&http, &base, "/public/releases").await;
        let last = releases["releases"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|r| r["final"] == true)
            .unwrap()["index"]
            .as_u64()
            .unwrap();
        let (_, health, health99, _) = time(&http, &base, "/health", None).await;
        println!("\n/health round trip: p50 {health:.3} ms, p99 {health99:.3} ms (baseline)\n");
        println!("| page | call | first ms | p50 ms | p99 ms | p50 / health | bytes |\n|---|---|---|---|---|---|---|");
        let calls: Vec<(&str, String, bool)> = vec![
            ("every", "/api/v1/status".into(), false),
            ("overview", format!("/api/v1/treaty/status?on={on}"), false),
            ("overview, record", "/public/record".into(), false),
            ("overview (signed in)", format!("/api/v1/compliance?on={on}"), true),
            ("notifications", "/api/v1/outbox?limit=20&offset=0".into(), true),
            ("notifications", "/api/v1/inbox?limit=20&offset=0".into(), true),
            ("notifications", "/public/catalogue".into(), false),
            ("inspections", format!("/api/v1/inspections?on={on}"), true),
            ("history", "/api/v1/timeline".into(), false),
            ("history (signed in)", format!("/api/v1/proposals?on={on}"), true),
            ("verify", "/log/checkpoint".into(), false),
            ("verify", "/public/policy".into(), false),
            ("verify", "/public/releases".into(), false),
            ("verify", format!("/public/releases/{last}"), false),
        ];
        let mut worst: f64 = 0.0;
        for (page, path, auth) in &calls {
            let (first, p50, p99, bytes) = time(&http, &base, path, auth.then_some(cookie.as_str())).await;
            worst = worst.max(p50);
            println!(
                "| {page} | `{path}` | {first:.2} | {p50:.3} | {p99:.3} | {:.1} | {bytes} |",
                p50 / health
            );
        }
        println!("\nslowest p50: {worst:.3} ms (goal: under 20 ms)\n");
        println!("| file | bytes |\n|---|---|");
        let mut total = 0;
        for a in accord_node::http::web::ASSETS {
            let path = if a.name == "index.html" {
                "/".to_owned()
            } else {
                format!("/assets/{}", a.name)
            };
            let b = get(&http, &base, &path).await.len();
            assert_eq!(b, a.bytes.len());
            total += b;
            println!("| {} | {b} |", a.name);
        }
        println!("| all | {total} |\n");

        // The proof check: the browser, the same function natively, the binary's whole process.
        let proof = get(&http, &base, &format!("/public/releases/{last}")).await;
        let policy = get(&http, &base, "/public/policy").await;
        const N: usize = 200;
        let t0 = Instant::now();
        for _ in 0..N {
            assert!(accord_verify_wasm::check(&proof, &policy, [7; 32]).ok);
        }
        let native = t0.elapsed().as_secs_f64() * 1e3 / N as f64;
        std::fs::write(dir.path().join("p.proof"), &proof).unwrap();
        std::fs::write(dir.path().join("policy.txt"), &policy).unwrap();
        let mut cli = Vec::new();
        for _ in 0..20 {
            let t0 = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_accord"))
                .args(["log", "verify-proof", "p.proof", "--policy", "policy.txt"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
            cli.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let cli = pct(&mut cli, 0.5);
        let browser = browser_check(&base, last, N).await;
        println!("| proof check | ms per check | browser / this |\n|---|---|---|");
        println!("| Chromium, WebAssembly (verify.js) | {browser:.3} | 1 |");
        println!("| native, accord_verify_wasm::check | {native:.3} | {:.2} |", browser / native);
        println!(
            "| `accord log verify-proof --policy` (whole process, p50 of 20) | {cli:.3} | {:.2} |",
            browser / cli
        );
    });
    drop(demo);
}

/// The mean time of `n` proof checks in the page, after one to load the module.
async fn browser_check(base: &str, index: u64, n: usize) -> f64 {
    let chrome = live::Chrome::start().await;
    let c = &chrome.c;
    c.goto(&format!("{base}/#/verify")).await.unwrap();
    let out = c
        .execute_async(
            "const [index, n, done] = arguments;
             (async () => {
               const { verifyProof } = await import('/assets/verify.js');
               const proof = await (await fetch('/public/releases/' + index)).text();
               const policy = await (await fetch('/public/policy')).text();
               const first = await verifyProof(proof, policy);
               if (!first.ok) { done(-1); return; }
               const t0 = performance.now();
               for (let i = 0; i < n; i++) { await verifyProof(proof, policy); }
               done((performance.now() - t0) / n);
             })();",
            vec![serde_json::json!(index), serde_json::json!(n)],
        )
        .await
        .unwrap();
    drop(chrome);
    let ms = out.as_f64().unwrap();
    assert!(ms > 0.0, "the proof did not verify in the browser");
    ms
}
