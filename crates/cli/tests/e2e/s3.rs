//! Publication of a log's tlog-tiles tree to S3-compatible object storage (issue #14), against
//! a real S3 server the test starts: moto's (`pip install 'moto[server]'`; `.ci/run` installs it
//! in `.venv-s3`). Mandatory: without it the test fails naming what to install;
//! `ACCORD_SKIP_S3=1` skips it, loudly.

#![allow(clippy::unwrap_used)]

use crate::common::node::{accord, free_port, http, http_with_head};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::root;

/// A moto S3 server on a free port, killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    if std::env::var("ACCORD_SKIP_S3").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: the S3 publication test (ACCORD_SKIP_S3=1)");
        return None;
    }
    let bin = std::env::var_os("ACCORD_MOTO_SERVER")
        .map(PathBuf::from)
        .or_else(|| Some(root().join(".venv-s3/bin/moto_server")).filter(|p| p.exists()))
        .unwrap_or_else(|| PathBuf::from("moto_server"));
    let port = free_port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: install moto's S3 server (python3 -m venv .venv-s3 && .venv-s3/bin/pip install 'moto[server]==5.2.5'), or set ACCORD_SKIP_S3=1 to skip loudly",
                bin.display()
            )
        });
    let m = Moto { child, port };
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "moto_server did not listen within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(m)
}

/// `accord` with AWS credentials for the test server in its environment.
fn accord_s3(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Makes `bucket` on the server, readable by anyone (as behind a CDN).
fn public_bucket(port: u16, bucket: &str) {
    assert_eq!(http(port, "PUT", &format!("/{bucket}"), &[], b"").0, 200);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    let put = http(
        port,
        "PUT",
        &format!("/{bucket}?policy"),
        &[("Content-Type", "application/json")],
        policy.as_bytes(),
    );
    assert_eq!(put.0, 200);
}

/// A US log of 300 notifications (past one full tile); its verifier key.
fn log_of_300(dir: &Path) -> String {
    let vkey = crate::common::init_us(dir);
    let lines = crate::common::us_history_lines();
    let mut stream = String::new();
    for i in 0..300 {
        stream.push_str(&lines[i % lines.len()].replace("\"id\":\"US-", &format!("\"id\":\"US-S{i}-")));
        stream.push('\n');
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["log", "append", "--data", "us", "--jsonl"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    vkey
}

#[test]
fn the_tree_is_published_to_a_bucket_read_anonymously_and_a_changed_tile_is_a_fork_alarm() {
    let Some(m) = moto() else { return };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let vkey = log_of_300(dir);
    public_bucket(m.port, "treaty-logs");
    let endpoint = format!("http://127.0.0.1:{}", m.port);
    let export = |prefix: &str, extra: &[&str]| {
        let to = format!("s3://treaty-logs/{prefix}");
        let mut args = vec![
            "log",
            "export-tiles",
            "--data",
            "us",
            "--to",
            &to,
            "--endpoint",
            &endpoint,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        accord_s3(dir, &args)
    };
    let (code, out, err) = export("us", &[]);
    assert_eq!(code, 0, "{out}{err}");
    let first: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((first["size"].as_u64(), first["unchanged"].as_u64()), (Some(300), Some(0)));
    // Read back anonymously, with the cache headers a CDN needs; no bundle without --entries.
    let get = |path: &str| http_with_head(m.port, "GET", &format!("/treaty-logs/{path}"), &[], b"");
    let (st, head, checkpoint) = get("us/checkpoint");
    assert_eq!(st, 200);
    assert!(head.to_ascii_lowercase().contains("cache-control: no-store"), "{head}");
    let (st, head, _) = get("us/tile/0/000");
    assert_eq!(st, 200);
    assert!(head.to_ascii_lowercase().contains("immutable"), "{head}");
    assert_ne!(get("us/tile/entries/000").0, 200, "bundles only with --entries");
    // With --entries (another prefix): the bundles too. Download both trees and check them with
    // a tlog client that is not accord, and with accord's own tile check.
    let (code, out, err) = export("full", &["--entries"]);
    assert_eq!(code, 0, "{out}{err}");
    let site = dir.join("site");
    for t in accord_tlog::tile::tiles(300) {
        let (st, _, b) = get(&format!("us/{}", t.path()));
        assert_eq!(st, 200, "{}", t.path());
        let p = site.join(t.path());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    std::fs::write(site.join("checkpoint"), &checkpoint).unwrap();
    let (st, _, bundle0) = get("full/tile/entries/000");
    assert_eq!(st, 200);
    crate::common::check_with_independent_client(&site, &checkpoint, &vkey, 300, &bundle0);
    let (code, out, err) = accord(dir, &["log", "verify", "--tiles", "site", "--key", &vkey]);
    assert_eq!(code, 0, "{out}{err}");
    // A second export changes nothing: every full tile is found identical.
    let (code, out, err) = export("us", &[]);
    assert_eq!(code, 0, "{out}{err}");
    let again: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(again["unchanged"].as_u64() >= Some(1), "{again}");
    assert_eq!(get("us/checkpoint").2, checkpoint);
    // A full tile changed in the bucket: the next export is a fork alarm, exit 1, and the
    // checkpoint there stays as it was.
    let (_, _, tile) = get("us/tile/0/000");
    // (Someone who can write the bucket: the policy now lets anyone.)
    let open = br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::treaty-logs/*"}]}"#;
    assert_eq!(
        http(m.port, "PUT", "/treaty-logs?policy", &[("Content-Type", "application/json")], open).0,
        200
    );
    let mut changed = tile.clone();
    changed[5] ^= 1;
    assert_eq!(http(m.port, "PUT", "/treaty-logs/us/tile/0/000", &[], &changed).0, 200);
    let (code, out, err) = export("us", &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("fork alarm") && err.contains("tile/0/000"), "{err}");
    assert_eq!(get("us/checkpoint").2, checkpoint);
    // Bad targets are refused before anything is read, naming the flag.
    let (code, _, err) = accord_s3(dir, &["log", "export-tiles", "--data", "us", "--to", "s3://UPPER/x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--to"), "{err}");
}

/// A node with `[publish]` publishes its own log after each checkpoint: the bucket's
/// checkpoint follows the node's, its hash tiles satisfy a tlog client that is not accord, each
/// public release is there under `releases/<index>` and proven included by the tiles, and no
/// entry bundle is published.
#[test]
fn a_node_publishes_its_tree_to_the_bucket_after_each_checkpoint() {
    use crate::common::node::{notifications, start_with_env, submit};
    let Some(m) = moto() else { return };
    public_bucket(m.port, "node-logs");
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut us = crate::serve::lone_us(root);
    let cfg = root.join("us.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "[publish]\nto = \"s3://node-logs/us\"\nendpoint = \"http://127.0.0.1:{}\"\n",
        m.port
    ));
    std::fs::write(&cfg, text).unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("ACCORD_LOG", "info"),
    ];
    us.child = Some(start_with_env(
        root,
        &["serve", "--data", "us", "--config", "us.toml"],
        "us.log",
        &env,
    ));
    let get = |path: &str| http_with_head(m.port, "GET", &format!("/node-logs/us/{path}"), &[], b"");
    let (us_n, _) = notifications(root, 1000);
    let wait_for = |size: u64| {
        let t0 = Instant::now();
        loop {
            let (st, _, cp) = get("checkpoint");
            if st == 200 && String::from_utf8_lossy(&cp).lines().nth(1) == Some(&size.to_string()) {
                return cp;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the bucket's checkpoint did not reach {size}: {st} {}; {}",
                String::from_utf8_lossy(&cp),
                std::fs::read_to_string(root.join("us.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    submit(&us, &us_n[..100]);
    let first = us.status()["size"].as_u64().unwrap();
    wait_for(first);
    submit(&us, &us_n[100..]);
    let size = us.status()["size"].as_u64().unwrap();
    assert!(size > 256 && size > first, "{size}");
    let checkpoint = wait_for(size);
    let (_, node_cp) = http(us.port, "GET", "/log/checkpoint", &[], b"");
    let text = |b: &[u8]| String::from_utf8_lossy(b).lines().take(3).collect::<Vec<_>>().join("\n");
    assert_eq!(text(&checkpoint), text(&node_cp), "the node's tree");
    // The tiles, read anonymously, satisfy an independent client; no bundle is there.
    let site = root.join("site");
    for t in accord_tlog::tile::tiles(size) {
        let (st, _, b) = get(&t.path());
        assert_eq!(st, 200, "{}", t.path());
        let p = site.join(t.path());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    assert_ne!(get("tile/entries/000").0, 200, "no entry bundle without entries = true");
    std::fs::write(site.join("checkpoint"), &checkpoint).unwrap();
    // Every public release the node lists is in the bucket, byte for byte its entry, and
    // included in the published tree (by a tlog client that is not accord, and by accord's own
    // check of a tree's folder, which also finds a changed release).
    let (_, body) = http(us.port, "GET", "/public/releases", &[], b"");
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let releases = list["releases"].as_array().unwrap();
    assert!(!releases.is_empty(), "{list}");
    std::fs::create_dir_all(site.join("releases")).unwrap();
    for r in releases {
        let i = r["index"].as_u64().unwrap();
        std::fs::write(site.join(format!("releases/{i}")), get(&format!("releases/{i}")).2).unwrap();
    }
    let (code, out, err) = accord(root, &["log", "verify", "--tiles", "site", "--key", &us.log_key]);
    assert_eq!(code, 0, "{out}{err}");
    let first_release = site.join(format!("releases/{}", releases[0]["index"]));
    let kept = std::fs::read(&first_release).unwrap();
    std::fs::write(&first_release, String::from_utf8_lossy(&kept).replace("\"US\"", "\"RU\"")).unwrap();
    let (code, out, err) = accord(root, &["log", "verify", "--tiles", "site", "--key", &us.log_key]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("its leaf hash differs"), "{out}");
    std::fs::write(&first_release, kept).unwrap();
    let note = signed_note::Note::from_bytes(&checkpoint).unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    let reader = crate::common::Exported(site.clone());
    let thr = tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &reader);
    for r in releases {
        let i = r["index"].as_u64().unwrap();
        let (st, head, bytes) = get(&format!("releases/{i}"));
        assert_eq!(st, 200, "release {i}");
        assert!(head.to_ascii_lowercase().contains("immutable"), "{head}");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(value.get("public").is_some(), "release {i} is a public release entry: {value}");
        let p = tlog_tiles::prove_record(cp.size(), i, &thr).unwrap();
        tlog_tiles::check_record(&p, cp.size(), *cp.hash(), i, tlog_tiles::record_hash(&bytes)).unwrap();
    }
    us.stop();
}
