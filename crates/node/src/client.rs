//! The client side between nodes and witnesses: HTTP requests signed with the sender's node
//! key (RFC 9421, see [`crate::auth`]).
//!
//! Invariants: every request is signed afresh (new `created` and nonce), so a retry is never a
//! replay; a response is returned with its status, and only transport failures are errors.

use crate::auth::{sign, RequestParts};
use crate::clock::Ambient;
use accord_tlog::SignerKey;
use base64::Engine as _;

/// A remote service.
#[derive(Clone)]
pub struct Peer {
    http: reqwest::Client,
    base: String,
    authority: String,
    key: SignerKey,
    ambient: Ambient,
}

/// A response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

impl Peer {
    /// A peer at `base` (e.g. `http://127.0.0.1:7402`), signing with `key`.
    pub fn new(http: reqwest::Client, base: &str, key: SignerKey, ambient: Ambient) -> Result<Peer, String> {
        let base = base.trim_end_matches('/').to_owned();
        let authority = base
            .split_once("://")
            .map(|(_, r)| r.split('/').next().unwrap_or(r).to_owned())
            .ok_or_else(|| format!("{base:?} is not a URL"))?;
        Ok(Peer {
            http,
            base,
            authority,
            key,
            ambient,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a signed request; `path_query` is the path with any query.
    pub async fn send(&self, method: &str, path_query: &str, body: Vec<u8>, content_type: &str) -> Result<Response, String> {
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        let created = self.ambient.wall.now();
        let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.ambient.entropy.bytes::<16>());
        let parts = RequestParts {
            method,
            authority: &self.authority,
            path,
            query,
            body: &body,
        };
        let (digest, input, signature) = sign(&self.key, &parts, created, &nonce);
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let resp = self
            .http
            .request(m, format!("{}{}", self.base, path_query))
            .header("content-digest", digest)
            .header("signature-input", input)
            .header("signature", signature)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{} {}{path_query}: {e}", method, self.base))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| format!("{}{path_query}: {e}", self.base))?.to_vec();
        Ok(Response { status, body })
    }

    /// A signed GET.
    pub async fn get(&self, path_query: &str) -> Result<Response, String> {
        self.send("GET", path_query, Vec::new(), "text/plain").await
    }

    /// A signed POST.
    pub async fn post(&self, path_query: &str, body: Vec<u8>, content_type: &str) -> Result<Response, String> {
        self.send("POST", path_query, body, content_type).await
    }
}

/// An HTTP client for node-to-node traffic (short timeouts, keep-alive).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(5))
        .pool_max_idle_per_host(8)
        .build()
        .unwrap_or_default()
}
