//! A live `accord demo` and a headless Chromium driven through chromedriver, shared by the
//! browser tests (`tests/e2e/browser.rs`) and the dashboard bench (`benches/dashboard.rs`,
//! which includes this file by path): self-contained, so that both can use it.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `accord demo`, serving until dropped.
pub struct Demo {
    child: Child,
    /// Each Party's dashboard address (no trailing slash) and operator token, as printed.
    pub us: (String, String),
    /// The Russian node's.
    pub ru: (String, String),
}

impl Demo {
    /// Runs `bin demo --data DATA extra…` and waits until it serves (its "Serving until Ctrl-C"
    /// line); its output is read on from a thread, so it never writes to a closed pipe.
    pub fn start(bin: &str, data: &Path, extra: &[&str]) -> Demo {
        let mut child = Command::new(bin)
            .arg("demo")
            .arg("--data")
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin}: {e}"));
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                // The receiver goes once the demo serves; the pipe is still read.
                let _ = tx.send(line);
            }
        });
        let (mut us, mut ru) = (None, None);
        let t0 = Instant::now();
        let mut seen = String::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(300).saturating_sub(t0.elapsed()))
                .unwrap_or_else(|_| panic!("the demo did not start serving:\n{seen}"));
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with("Synced after") {
                eprintln!("{line}");
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [party @ ("US" | "RU"), url, token] = f.as_slice() {
                if url.starts_with("http://") && token.starts_with("accord_") {
                    let v = Some((url.trim_end_matches('/').to_owned(), (*token).to_owned()));
                    if *party == "US" {
                        us = v;
                    } else {
                        ru = v;
                    }
                }
            }
            if line.starts_with("Serving until Ctrl-C") {
                break;
            }
        }
        Demo {
            child,
            us: us.unwrap_or_else(|| panic!("no US dashboard line:\n{seen}")),
            ru: ru.unwrap_or_else(|| panic!("no RU dashboard line:\n{seen}")),
        }
    }

    /// The port of a dashboard address.
    pub fn port(url: &str) -> u16 {
        url.rsplit(':').next().unwrap().parse().unwrap()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver and a headless Chromium session (with the browser's console log kept).
pub struct Chrome {
    driver: Child,
    /// The WebDriver client.
    pub c: fantoccini::Client,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts chromedriver on a free port and opens a session of Debian's Chromium.
    pub async fn start() -> Chrome {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), or set ACCORD_SKIP_BROWSER=1"));
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--hide-scrollbars", format!("--user-data-dir={}", profile.path().display())]
            }
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let t0 = Instant::now();
        let c = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match fantoccini::ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(t0.elapsed() < Duration::from_secs(30), "no WebDriver session: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Chrome {
            driver,
            c,
            _profile: profile,
        }
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
