//! A refusal is logged with the client's address and the method and path asked.
//!
//! In a test binary of its own: tracing decides once per call site whether anyone listens, and
//! with other tests' threads hitting the same call sites with no subscriber, a subscriber set
//! for one thread (as this test must, beside the others) could miss the request's span.

use accord_node::clock::{Ambient, Clock, Entropy};
use accord_node::state::{NodeDir, Shared};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buf").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn refusals_are_logged_with_the_client_address() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    // This runtime has one thread: the server's tasks log to this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().expect("tempdir");
    NodeDir::new(dir.path()).init("accord.test/us", "US").expect("init");
    let partner_log = accord_tlog::SignerKey::from_seed("accord.test/ru", accord_tlog::note::ALG_ED25519, [2; 32]).expect("key");
    let partner_node =
        accord_tlog::SignerKey::from_seed("accord.test/ru/node", accord_tlog::note::ALG_COSIGNATURE_V1, [3; 32]).expect("key");
    let cfg = accord_node::NodeConfig::parse(&format!(
        "party = \"US\"\nlisten = \"127.0.0.1:0\"\n[partner]\nparty = \"RU\"\nurl = \"http://127.0.0.1:9\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n",
        partner_log.verifier(),
        partner_node.verifier()
    ))
    .expect("config");
    let ambient = Ambient {
        wall: Clock::virtual_at(1_800_000_000),
        entropy: Entropy::seeded(1),
    };
    let s = Shared::open_with(
        dir.path(),
        cfg,
        Arc::new(accord_treaty::builtin::new_start()),
        Clock::virtual_at(1_300_000_000),
        ambient,
    )
    .expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(accord_node::http::serve(s.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let r = reqwest::get(format!("{base}/api/v1/outbox")).await.expect("get");
    assert_eq!(r.status(), 401);
    let _ = stop.send(());
    let _ = server.await;
    let logged = String::from_utf8_lossy(&buf.0.lock().expect("buf")).into_owned();
    let line = logged
        .lines()
        .find(|l| l.contains("refused the outbox"))
        .unwrap_or_else(|| panic!("{logged}"));
    assert!(line.contains("client=127.0.0.1:"), "{line}");
    assert!(line.contains("method=GET") && line.contains("path=/api/v1/outbox"), "{line}");
}
