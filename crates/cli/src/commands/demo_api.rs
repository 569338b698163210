//! The demo's client of a node's operator API: calls, and waits on `/api/v1/status`.

use anyhow::anyhow;

use crate::failure::{io, Failure};

/// A node as the driver uses it.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
    token: String,
}

impl Api {
    /// A node at `url` called with `token`.
    pub fn new(http: reqwest::Client, url: String, token: String) -> Api {
        Api { http, url, token }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> Result<serde_json::Value, Failure> {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.map_err(|e| io(anyhow!("{method} {}{path}: {e}", self.url)))?;
        let status = resp.status();
        let v: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| io(anyhow!("{method} {}{path}: {status}: {e}", self.url)))?;
        if !status.is_success() {
            return Err(io(anyhow!("{method} {}{path}: {status}: {}", self.url, v["error"])));
        }
        Ok(v)
    }
}

impl Api {
    /// A GET that answers `None` on 422 (the record cannot be replayed yet).
    pub async fn try_call(&self, path: &str) -> Result<Option<serde_json::Value>, Failure> {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| io(anyhow!("GET {}{path}: {e}", self.url)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            return Ok(None);
        }
        let v: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| io(anyhow!("GET {}{path}: {status}: {e}", self.url)))?;
        if !status.is_success() {
            return Err(io(anyhow!("GET {}{path}: {status}: {}", self.url, v["error"])));
        }
        Ok(Some(v))
    }
}

/// Waits until both nodes hold, acknowledge and have final (cosigned by the partner and the
/// witness) everything either has logged.
pub async fn settle(a: &Api, b: &Api) -> Result<(), Failure> {
    for _ in 0..30 {
        let s1 = a.call(reqwest::Method::GET, "/api/v1/status", None).await?;
        let s2 = b.call(reqwest::Method::GET, "/api/v1/status", None).await?;
        let (n1, n2) = (s1["size"].as_u64().unwrap_or(0), s2["size"].as_u64().unwrap_or(0));
        let s1 = wait(a, &format!("until_final={n1}")).await?;
        let s2 = wait(b, &format!("until_final={n2}")).await?;
        let held = |s: &serde_json::Value, n: u64, other: u64| {
            s["size"].as_u64() == Some(n) && s["final_size"].as_u64() == Some(n) && s["partner"]["mirrored"].as_u64() == Some(other)
        };
        if held(&s1, n1, n2) && held(&s2, n2, n1) {
            return Ok(());
        }
    }
    Err(io(anyhow!("the two nodes did not settle")))
}

/// Polls the node's status until `cond` holds (at most 300 s).
pub async fn wait(api: &Api, cond: &str) -> Result<serde_json::Value, Failure> {
    for _ in 0..10 {
        let s = api
            .call(reqwest::Method::GET, &format!("/api/v1/status?{cond}&timeout_ms=30000"), None)
            .await?;
        if s["reached"] == serde_json::Value::Bool(true) {
            return Ok(s);
        }
    }
    Err(io(anyhow!("{}: not reached within 300 s: {cond}", api.url)))
}
