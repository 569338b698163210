//! Publication to S3-compatible object storage, measured against a real S3 server (moto's, as
//! the tests use: `.venv-s3/bin/moto_server` or `ACCORD_MOTO_SERVER`): `accord log export-tiles
//! --to s3://…` of a log the size of the demo's US log (the synthetic history's US notifications,
//! seed 2011), against bare PUTs of the same objects (the same keys and bytes, no conditions, no
//! attributes) from this process, one at a time as the export does, in the same run (issue #14:
//! at least 0.5 times the rate of bare PUTs).
//!
//! `cargo bench -p accord-cli --bench export`

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};

fn accord(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from another thread while the output is read: a long stream of acknowledgements
    // would otherwise fill the pipe and stop both sides.
    let input = stdin.map(<[u8]>::to_vec).unwrap_or_default();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        pipe.write_all(&input).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files(root: &Path, under: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(under).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let moto = std::env::var_os("ACCORD_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv-s3/bin/moto_server"));
    if !moto.exists() {
        eprintln!(
            "SKIPPED: the export benchmark: no {} (python3 -m venv .venv-s3 && .venv-s3/bin/pip install 'moto[server]==5.2.5')",
            moto.display()
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(&moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "moto did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    // The demo's US log: the synthetic history's US notifications, as sent.
    accord(dir, &["simulate", "--seed", "2011", "--out", "h.jsonl"], None);
    let text = std::fs::read_to_string(dir.join("h.jsonl")).unwrap();
    let us: String = text
        .lines()
        .filter(|l| l.contains("\"party\":\"US\"") && l.contains("\"sent\""))
        .map(|l| format!("{l}\n"))
        .collect();
    accord(
        dir,
        &[
            "log",
            "init",
            "--data",
            "us",
            "--origin",
            "accord.example/us/new-start",
            "--party",
            "US",
        ],
        None,
    );
    accord(dir, &["log", "append", "--data", "us", "--jsonl"], Some(us.as_bytes()));
    // The objects a public export holds (hash tiles and the checkpoint), for the bare PUTs.
    accord(dir, &["log", "export-tiles", "--data", "us", "--out", "site", "--public"], None);
    let mut objects = Vec::new();
    files(&dir.join("site"), &dir.join("site"), &mut objects);
    let bytes: usize = objects.iter().map(|(_, b)| b.len()).sum();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let s3 = AmazonS3Builder::new()
        .with_bucket_name("bench")
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .with_region("us-east-1")
        .build()
        .unwrap();
    assert!(create_bucket(port, "bench"), "the bucket could not be made");
    let (mut best_put, mut best_export) = (Duration::MAX, Duration::MAX);
    for round in 0..3 {
        let t = Instant::now();
        rt.block_on(async {
            for (rel, b) in &objects {
                s3.put(&ObjectPath::from(format!("bare{round}/{rel}")), PutPayload::from(b.clone()))
                    .await
                    .unwrap();
            }
        });
        best_put = best_put.min(t.elapsed());
        let t = Instant::now();
        accord(
            dir,
            &[
                "log",
                "export-tiles",
                "--data",
                "us",
                "--to",
                &format!("s3://bench/export{round}"),
                "--endpoint",
                &endpoint,
            ],
            None,
        );
        best_export = best_export.min(t.elapsed());
    }
    let n = objects.len() as f64;
    let (put_rate, export_rate) = (n / best_put.as_secs_f64(), n / best_export.as_secs_f64());
    println!(
        "export to S3 (moto): {} objects, {bytes} bytes: accord log export-tiles {export_rate:.0} objects/s ({:.2} s, the whole command), bare PUTs {put_rate:.0} objects/s ({:.2} s); ratio {:.2} (best of 3; goal at least 0.5)",
        objects.len(),
        best_export.as_secs_f64(),
        best_put.as_secs_f64(),
        export_rate / put_rate
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// Makes a bucket on the server (one PUT on a plain connection).
fn create_bucket(port: u16, name: &str) -> bool {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}
