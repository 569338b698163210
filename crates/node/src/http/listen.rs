//! The connection rim: accepts TCP connections within [`Limits`] and serves each with hyper's
//! HTTP/1.1 connection, a router per node or witness above it.
//!
//! Invariants:
//! - at most `max_connections` connections are open at once, and at most
//!   `max_connections_per_client` from one client address; a connection beyond either is
//!   answered `503` with `Retry-After` and closed at once, so that a flood of idle sockets holds
//!   no slot an honest caller needs;
//! - a connection that has not sent a whole request head within `header_timeout` of being
//!   accepted, or of its previous response (an idle keep-alive connection), is closed: a slow or
//!   idle client holds its slot for at most that long (hyper's header-read timer, which starts
//!   whenever the connection waits for a request head);
//! - a request in progress (a long poll, a large download) is never cut by the idle timeout;
//!   long polls are capped per client instead ([`PerClient`] in the status route);
//! - every request carries its client's address as [`axum::extract::ConnectInfo`];
//! - at shutdown, connections are asked to close after their request in progress, and waited
//!   for at most [`DRAIN`].

use axum::extract::ConnectInfo;
use axum::Router;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a stopping server waits for its connections to finish their requests.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The bounds a server keeps (from `[limits]` in node.toml; the witness takes the defaults).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_connections_per_client: usize,
    /// The longest wait for a request head (from accept, or from the previous response).
    pub header_timeout: Duration,
    /// The longest wait for a request body once its head is read.
    pub body_timeout: Duration,
    /// Long polls waiting at once from one client address.
    pub long_polls_per_client: usize,
}

impl From<&crate::config::LimitsConfig> for Limits {
    fn from(c: &crate::config::LimitsConfig) -> Limits {
        Limits {
            max_connections: c.max_connections,
            max_connections_per_client: c.max_connections_per_client,
            header_timeout: Duration::from_secs(c.header_timeout_secs),
            body_timeout: Duration::from_secs(c.body_timeout_secs),
            long_polls_per_client: c.long_polls_per_client,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from(&crate::config::LimitsConfig::default())
    }
}

/// A count per client address with a cap: [`PerClient::take`] gives a [`Slot`] while the
/// client holds fewer than the cap, and the slot gives its place back when dropped.
#[derive(Debug)]
pub struct PerClient {
    cap: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A place held by one client in a [`PerClient`] count, given back on drop.
#[derive(Debug)]
pub struct Slot {
    ip: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    /// A count capped at `cap` per client.
    pub fn new(cap: usize) -> PerClient {
        PerClient { cap, held: Arc::default() }
    }

    /// A place for `ip`, or `None` when it already holds `cap`.
    pub fn take(&self, ip: IpAddr) -> Option<Slot> {
        let mut m = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = m.entry(ip).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            ip,
            held: self.held.clone(),
        })
    }

    /// Places held by `ip` now.
    #[cfg(test)]
    pub fn held(&self, ip: IpAddr) -> usize {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&ip)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// What a connection beyond the limits is told before it is closed.
fn busy(why: &str) -> Vec<u8> {
    let body = format!("{{\"error\": \"{why}; try again shortly\"}}");
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves; `refused` is called
/// once for each connection turned away.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &Limits,
    refused: impl Fn() + Send + Sync + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let total = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_client = PerClient::new(limits.max_connections_per_client);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors, or a connection reset before it was accepted: wait
                // a moment rather than spin, and go on.
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = per_client.take(addr.ip());
        let permit = slot.as_ref().and_then(|_| total.clone().try_acquire_owned().ok());
        let (slot, permit) = match (slot, permit) {
            (Some(slot), Some(permit)) => (slot, permit),
            (slot, _) => {
                refused();
                let why = if slot.is_none() {
                    "too many connections from this address"
                } else {
                    "too many connections"
                };
                drop(slot);
                tracing::warn!(client = %addr, "refused a connection: {why}");
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt as _;
                    let mut stream = stream;
                    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&busy(why))).await;
                    let _ = stream.shutdown().await;
                });
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            tower::ServiceExt::oneshot(app.clone(), req)
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(client = %addr, "connection ended: {e}");
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("stopping: connections still open after {} s were dropped", DRAIN.as_secs());
    }
    Ok(())
}

/// The client address of a request served by [`serve`] (`None` in a router called directly).
pub struct Client(pub Option<SocketAddr>);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &St) -> Result<Self, Self::Rejection> {
        Ok(Client(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    async fn serving(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().route(
            "/",
            axum::routing::get(|ci: ConnectInfo<SocketAddr>| async move { format!("hello {}", ci.0.ip()) }),
        );
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let r2 = refused.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            serve(
                listener,
                app,
                &limits,
                move || {
                    r2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                },
                async move {
                    let _ = rx.await;
                },
            )
            .await
        });
        (addr, tx, refused)
    }

    fn limits(total: usize, per_client: usize, header_ms: u64) -> Limits {
        Limits {
            max_connections: total,
            max_connections_per_client: per_client,
            header_timeout: Duration::from_millis(header_ms),
            body_timeout: Duration::from_secs(30),
            long_polls_per_client: 8,
        }
    }

    /// Reads until the server closes the connection, or `None` if it is still open after
    /// `within`.
    async fn closed_within(s: &mut tokio::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
        let mut got = Vec::new();
        let read = tokio::time::timeout(within, async {
            let mut buf = [0u8; 4096];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        read.ok().map(|()| got)
    }

    /// A client that opens a connection and sends nothing, one that sends half a request head
    /// (slowloris), and one that stays idle after a request are all closed after the header
    /// timeout; before it, the connection is still open.
    #[tokio::test]
    async fn idle_and_slow_connections_are_closed_after_the_header_timeout() {
        let (addr, _stop, _) = serving(limits(16, 16, 600)).await;
        let mut silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.expect("write");
        let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
        idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
        let mut first = vec![0u8; 1024];
        let n = idle.read(&mut first).await.expect("read");
        assert!(
            String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&first[..n])
        );
        assert!(
            closed_within(&mut silent, Duration::from_millis(200)).await.is_none(),
            "still open before the timeout"
        );
        for (what, s) in [("silent", &mut silent), ("slowloris", &mut slow), ("idle keep-alive", &mut idle)] {
            assert!(
                closed_within(s, Duration::from_secs(5)).await.is_some(),
                "{what}: closed after the timeout"
            );
        }
    }

    /// Beyond the per-client bound, and beyond the total, a new connection is answered 503 and
    /// closed; once a connection closes its slot serves the next caller.
    #[tokio::test]
    async fn connections_beyond_the_limits_are_answered_busy_and_slots_come_back() {
        let (addr, _stop, refused) = serving(limits(3, 2, 60_000)).await;
        let mut held = Vec::new();
        for _ in 0..2 {
            held.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
        }
        // Let the server accept both before the third arrives.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut third = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let got = closed_within(&mut third, Duration::from_secs(5)).await.expect("closed");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        assert!(text.contains("too many connections from this address"), "{text}");
        assert_eq!(refused.load(std::sync::atomic::Ordering::SeqCst), 1);

        // One slot given back: a request goes through again.
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut again = tokio::net::TcpStream::connect(addr).await.expect("connect");
        again
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        let got = closed_within(&mut again, Duration::from_secs(5)).await.expect("answered");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 200") && text.ends_with("hello 127.0.0.1"), "{text}");
    }

    /// The total bound holds across client addresses (127.0.0.2 is loopback too on Linux).
    #[tokio::test]
    async fn the_total_bound_holds_across_clients() {
        let (addr, _stop, _) = serving(limits(2, 2, 60_000)).await;
        let from = |ip: [u8; 4]| async move {
            let sock = tokio::net::TcpSocket::new_v4().expect("socket");
            sock.bind(SocketAddr::from((ip, 0))).expect("bind");
            sock.connect(addr).await.expect("connect")
        };
        let _a = from([127, 0, 0, 1]).await;
        let _b = from([127, 0, 0, 2]).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut c = from([127, 0, 0, 3]).await;
        let got = closed_within(&mut c, Duration::from_secs(5)).await.expect("closed");
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.starts_with("HTTP/1.1 503") && text.contains("\"too many connections; "),
            "{text}"
        );
    }

    #[test]
    fn a_slot_is_given_back_on_drop() {
        let p = PerClient::new(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let a = p.take(ip).expect("first");
        let _b = p.take(ip).expect("second");
        assert!(p.take(ip).is_none(), "third refused");
        assert!(p.take([10, 0, 0, 2].into()).is_some(), "another client is counted apart");
        drop(a);
        assert_eq!(p.held(ip), 1);
        assert!(p.take(ip).is_some());
    }
}
