//! A test double: a node's storage in this process's memory, chosen with
//! `storage = "memory"`. Nothing is durable; what a node keeps lives until the process ends,
//! so a node stopped and opened again in the same process finds it (the folder's path is the
//! key). The keys are still read from the folder (`log.key`, `node.key`); the own log is
//! created from `log.key` on first open.

use super::contract::{AuditRow, Backend, Held, Holder, TokenRow, TokenStore, AUDIT_KEEP};
use crate::error::NodeError;
use accord_logstore::dir::sha256_hex;
use accord_logstore::memory::SharedMemoryStore;
use accord_logstore::mirror::Mirror;
use accord_logstore::store::{DynStore, Store};
use accord_logstore::witness::{Change, Evidence, Followed, LogState, MemoryWitness, WitnessStore};
use accord_logstore::{Log, StoreError};
use accord_tlog::{SignerKey, VerifierKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Everything one node folder keeps, in memory.
#[derive(Default)]
struct Kept {
    log: SharedMemoryStore,
    mirrors: Mutex<HashMap<String, SharedMemoryStore>>,
    witness: Arc<Mutex<MemoryWitness>>,
    tokens: Arc<MemoryTokens>,
    snapshot: Mutex<Option<Vec<u8>>>,
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    secrets: Mutex<HashMap<String, Vec<u8>>>,
    state: Mutex<HashMap<String, Vec<u8>>>,
    writing: Arc<AtomicBool>,
}

/// What this process keeps, by folder.
fn kept(root: &Path) -> Arc<Kept> {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Kept>>>> = OnceLock::new();
    let key = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let mut all = ALL.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    all.entry(key).or_default().clone()
}

/// A node folder kept in memory.
pub struct Memory {
    root: PathBuf,
    party: String,
    partners: Vec<String>,
    kept: Arc<Kept>,
}

impl Memory {
    /// The storage of the folder `root` (Party `party`, with partners `partners`), as this
    /// process keeps it.
    pub fn open(root: &Path, party: &str, partners: &[String]) -> Memory {
        Memory {
            root: root.to_owned(),
            party: party.to_owned(),
            partners: partners.to_vec(),
            kept: kept(root),
        }
    }

    fn key(&self) -> Result<SignerKey, NodeError> {
        accord_logstore::DataDir::new(&self.root)
            .signer()
            .map_err(|e| NodeError::Invalid(e.to_string()))
    }
}

/// The writer's hold on a folder.
struct Writing(Arc<AtomicBool>);

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

fn internal(e: impl std::fmt::Display) -> NodeError {
    NodeError::Internal(e.to_string())
}

impl Backend for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn open_writer(&self) -> Result<(Log<DynStore>, Held), NodeError> {
        if self.kept.writing.swap(true, Ordering::SeqCst) {
            return Err(NodeError::Unavailable(format!(
                "{}: another node in this process is writing this folder; only one writer per log is allowed",
                self.root.display()
            )));
        }
        let held = Writing(self.kept.writing.clone());
        let key = self.key()?;
        let store: DynStore = Box::new(self.kept.log.handle());
        let log = match store.meta() {
            Err(StoreError::NotInitialised) => Log::create(store, key, &self.party),
            _ => Log::open(store, key),
        }
        .map_err(|e| NodeError::Invalid(format!("{} (in memory): {e}", self.root.display())))?;
        Ok((log, Box::new(held)))
    }

    fn open_reader(&self) -> Result<DynStore, NodeError> {
        let r = self.kept.log.handle();
        if let Err(StoreError::NotInitialised) = r.meta() {
            return Err(NodeError::Invalid(format!(
                "{}: no log in this process's memory (a node with storage = \"memory\" keeps nothing once it ends)",
                self.root.display()
            )));
        }
        Ok(Box::new(r))
    }

    fn open_cosigner(&self) -> Result<DynStore, NodeError> {
        Ok(Box::new(self.kept.log.handle()))
    }

    fn open_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        super::contract::partner_of(&self.partners, party)?;
        let m = self.kept.mirrors.lock().map_err(internal)?;
        Ok(m.get(party).map(|m| Box::new(m.handle()) as DynStore))
    }

    fn read_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError> {
        self.open_mirror(party)
    }

    fn create_mirror(&self, vkey: &VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<DynStore, NodeError> {
        super::contract::partner_of(&self.partners, party)?;
        let mut m = self.kept.mirrors.lock().map_err(internal)?;
        if m.contains_key(party) {
            return Err(NodeError::Conflict(format!("the mirror of {party} exists")));
        }
        let store = SharedMemoryStore::new();
        drop(Mirror::create(store.handle(), vkey.clone(), party, checkpoint0).map_err(|e| NodeError::Invalid(e.to_string()))?);
        let handle = store.handle();
        m.insert(party.to_owned(), store);
        Ok(Box::new(handle))
    }

    fn witness(&self) -> Result<Box<dyn WitnessStore>, NodeError> {
        Ok(Box::new(SharedWitness(self.kept.witness.clone())))
    }

    fn tokens(&self) -> Result<Box<dyn TokenStore>, NodeError> {
        Ok(Box::new(SharedTokens(self.kept.tokens.clone())))
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, NodeError> {
        Ok(self.kept.snapshot.lock().map_err(internal)?.clone())
    }

    fn put_snapshot(&self, bytes: &[u8]) -> Result<(), NodeError> {
        *self.kept.snapshot.lock().map_err(internal)? = Some(bytes.to_vec());
        Ok(())
    }

    fn blob(&self, hex: &str) -> Result<Vec<u8>, NodeError> {
        let blobs = self.kept.blobs.lock().map_err(internal)?;
        let b = blobs.get(hex).ok_or_else(|| NodeError::NotFound(format!("blob {hex}: not kept")))?;
        if sha256_hex(b) != hex {
            return Err(NodeError::Internal(format!("blob {hex}: its content does not hash to its name")));
        }
        Ok(b.clone())
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<String, NodeError> {
        let hex = sha256_hex(bytes);
        self.kept.blobs.lock().map_err(internal)?.insert(hex.clone(), bytes.to_vec());
        Ok(hex)
    }

    fn remove_secret(&self, name: &str) -> Result<(), NodeError> {
        self.kept.secrets.lock().map_err(internal)?.remove(name);
        Ok(())
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, NodeError> {
        Ok(self.kept.state.lock().map_err(internal)?.get(key).cloned())
    }

    fn put_state(&self, key: &str, bytes: &[u8]) -> Result<(), NodeError> {
        self.kept.state.lock().map_err(internal)?.insert(key.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn secret(&self, name: &str) -> Result<Option<Vec<u8>>, NodeError> {
        Ok(self.kept.secrets.lock().map_err(internal)?.get(name).cloned())
    }

    fn put_secret(&self, name: &str, bytes: &[u8]) -> Result<(), NodeError> {
        self.kept.secrets.lock().map_err(internal)?.insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }
}

/// The witness state of a folder, shared by every handle on it.
struct SharedWitness(Arc<Mutex<MemoryWitness>>);

impl SharedWitness {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryWitness>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::Backend("the witness state's lock is poisoned".into()))
    }
}

impl WitnessStore for SharedWitness {
    fn follow(&mut self, vkey: &VerifierKey) -> Result<(), StoreError> {
        self.lock()?.follow(vkey)
    }
    fn followed(&self) -> Result<Vec<Followed>, StoreError> {
        self.lock()?.followed()
    }
    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        self.lock()?.evidence()
    }
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.lock()?.latest(origin)
    }
    fn record_fork(&mut self, origin: &str, held: &[u8], seen: &[u8], now: u64) -> Result<bool, StoreError> {
        self.lock()?.record_fork(origin, held, seen, now)
    }
    fn decide(&mut self, origin: &str, decide: &mut dyn FnMut(Option<&LogState>) -> Change) -> Result<(), StoreError> {
        self.lock()?.decide(origin, decide)
    }
}

/// Token and session hashes in memory.
#[derive(Default)]
pub struct MemoryTokens {
    tokens: Mutex<Vec<TokenRow>>,
    sessions: Mutex<HashMap<Vec<u8>, Session>>,
    audit: Mutex<std::collections::VecDeque<AuditRow>>,
}

/// A session: its role, when it expires, and the hash of the token it was made from.
type Session = (String, i64, Vec<u8>);

impl MemoryTokens {
    fn live_token(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        let t = self.tokens.lock().map_err(internal)?;
        Ok(t.iter().find(|r| r.hash == hash && r.live(now)).map(|r| Holder {
            role: r.role.clone(),
            name: r.name.clone(),
            token: r.hash.clone(),
        }))
    }
}

impl TokenStore for MemoryTokens {
    fn add_token(&self, row: &TokenRow) -> Result<(), NodeError> {
        let mut t = self.tokens.lock().map_err(internal)?;
        if t.iter().any(|r| r.hash == row.hash) {
            return Err(NodeError::Conflict("a token with this hash exists".into()));
        }
        t.push(row.clone());
        Ok(())
    }
    fn token_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        self.live_token(hash, now)
    }
    fn add_session(&self, hash: &[u8], token: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError> {
        let mut s = self.sessions.lock().map_err(internal)?;
        s.retain(|_, (_, e, _)| *e >= now);
        s.insert(hash.to_vec(), (role.to_owned(), expires, token.to_vec()));
        Ok(())
    }
    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError> {
        Ok(self.sessions.lock().map_err(internal)?.remove(hash).is_some())
    }
    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        let found = self.sessions.lock().map_err(internal)?.get(hash).cloned();
        match found {
            Some((role, expires, token)) if expires >= now => Ok(self.live_token(&token, now)?.map(|h| Holder { role, ..h })),
            _ => Ok(None),
        }
    }
    fn revoke(&self, hashes: &[Vec<u8>], now: i64) -> Result<usize, NodeError> {
        let mut n = 0;
        for r in self.tokens.lock().map_err(internal)?.iter_mut() {
            if hashes.contains(&r.hash) && r.revoked.is_none() {
                r.revoked = Some(now);
                n += 1;
            }
        }
        self.sessions.lock().map_err(internal)?.retain(|_, (_, _, t)| !hashes.contains(t));
        Ok(n)
    }
    fn tokens(&self) -> Result<Vec<TokenRow>, NodeError> {
        Ok(self.tokens.lock().map_err(internal)?.clone())
    }
    fn audit(&self, rows: &[AuditRow]) -> Result<(), NodeError> {
        let mut a = self.audit.lock().map_err(internal)?;
        for r in rows {
            let seq = a.back().map_or(1, |l| l.seq + 1);
            a.push_back(AuditRow { seq, ..r.clone() });
            if a.len() as u64 > AUDIT_KEEP {
                a.pop_front();
            }
        }
        Ok(())
    }
    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, NodeError> {
        let a = self.audit.lock().map_err(internal)?;
        Ok(a.iter().filter(|r| r.seq > after).take(limit).cloned().collect())
    }
}

/// The token store of a folder, shared by every handle on it.
struct SharedTokens(Arc<MemoryTokens>);

impl TokenStore for SharedTokens {
    fn add_token(&self, row: &TokenRow) -> Result<(), NodeError> {
        self.0.add_token(row)
    }
    fn token_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        self.0.token_role(hash, now)
    }
    fn add_session(&self, hash: &[u8], token: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError> {
        self.0.add_session(hash, token, role, expires, now)
    }
    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError> {
        self.0.end_session(hash)
    }
    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError> {
        self.0.session_role(hash, now)
    }
    fn revoke(&self, hashes: &[Vec<u8>], now: i64) -> Result<usize, NodeError> {
        self.0.revoke(hashes, now)
    }
    fn tokens(&self) -> Result<Vec<TokenRow>, NodeError> {
        self.0.tokens()
    }
    fn audit(&self, rows: &[AuditRow]) -> Result<(), NodeError> {
        self.0.audit(rows)
    }
    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, NodeError> {
        self.0.audit_log(after, limit)
    }
}

#[cfg(test)]
mod tests {
    use crate::auth::Role;
    use crate::clock::Clock;
    use crate::state::{NodeDir, Shared};
    use accord_logstore::store::Store;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Two nodes configured with `storage = "memory"` run end to end, in process, over real
    /// HTTP on loopback: notifications submitted through the API, the exchange (mirrors,
    /// acknowledgements, cosignatures), the view. Nothing but the keys touches their folders,
    /// and a node stopped and opened again in the process finds what it kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_exchange_on_the_memory_backend() {
        let t = tempfile::tempdir().expect("tempdir");
        let spec = Arc::new(accord_treaty::builtin::new_start());
        let sim = accord_sim::simulate(&spec, &accord_sim::Config::default(), &mut |_, _| {}).expect("simulate");
        let (mut us_n, mut ru_n) = (Vec::new(), Vec::new());
        // Each side's first 30 notifications, and its initial data, large enough to be logged
        // by hash (its blob then crosses the exchange too).
        for n in &sim.notifications {
            let mut v = serde_json::to_value(n).expect("json");
            if v.get("sent").is_none() {
                continue;
            }
            v.as_object_mut().expect("object").remove("received");
            let side = if v["party"] == "US" { &mut us_n } else { &mut ru_n };
            if v["kind"] == "initial_data" || (side.len() < 30 && v.to_string().len() < 60_000) {
                side.push(v);
            }
        }
        let (us_dir, ru_dir) = (t.path().join("us"), t.path().join("ru"));
        let mut keys = Vec::new();
        for (dir, origin, party) in [(&us_dir, "accord.test/us", "US"), (&ru_dir, "accord.test/ru", "RU")] {
            let nd = NodeDir::new(dir);
            nd.init(origin, party).expect("init");
            keys.push((
                nd.dir.signer().expect("log key").verifier().to_string(),
                nd.node_signer().expect("node key").verifier().to_string(),
            ));
        }
        let (l_us, l_ru) = (
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"),
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"),
        );
        let (p_us, p_ru) = (l_us.local_addr().expect("addr").port(), l_ru.local_addr().expect("addr").port());
        let config = |party: &str, other: &str, port: u16, (log_key, node_key): &(String, String)| -> crate::NodeConfig {
            toml::from_str(&format!(
                "party = \"{party}\"\nlisten = \"127.0.0.1:0\"\nstorage = \"memory\"\n[partner]\nparty = \"{other}\"\nurl = \"http://127.0.0.1:{port}\"\nlog_key = \"{log_key}\"\nnode_key = \"{node_key}\"\n[exchange]\npoll_ms = 200\n"
            ))
            .expect("config")
        };
        let open = |dir: &std::path::Path, cfg: crate::NodeConfig| Shared::open(dir, cfg, spec.clone(), Clock::System);
        let us = open(&us_dir, config("US", "RU", p_ru, &keys[1])).expect("open US");
        let ru = open(&ru_dir, config("RU", "US", p_us, &keys[0])).expect("open RU");
        assert_eq!(us.storage.name(), "memory", "the configuration chose the backend");
        assert!(
            matches!(
                open(&us_dir, config("US", "RU", p_ru, &keys[1])),
                Err(crate::error::NodeError::Unavailable(_))
            ),
            "one writer per folder"
        );
        let mut stops = Vec::new();
        let mut servers = Vec::new();
        for (s, l) in [(us.clone(), l_us), (ru.clone(), l_ru)] {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            stops.push(tx);
            servers.push(tokio::spawn(crate::http::serve(s, l, async move {
                let _ = rx.await;
            })));
        }
        let http = reqwest::Client::new();
        let operator = |s: &Shared| {
            s.tokens
                .make(Role::Operator, "ops", s.ambient.wall.now(), &s.ambient.entropy)
                .expect("token")
        };
        for (s, port, batch) in [(&us, p_us, &us_n), (&ru, p_ru, &ru_n)] {
            let token = operator(s);
            let r = http
                .post(format!("http://127.0.0.1:{port}/api/v1/notifications"))
                .bearer_auth(&token)
                .json(batch)
                .send()
                .await
                .expect("submit");
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        }
        let (n_us, n_ru) = (us_n.len() as u64, ru_n.len() as u64);
        let t0 = Instant::now();
        let sizes = loop {
            let (a, b) = (crate::exchange::status_json(&us), crate::exchange::status_json(&ru));
            // Each side's log holds its notifications, their public releases, and its
            // acknowledgements of the other's notifications.
            let synced = a["size"].as_u64().unwrap_or(0) >= n_us + n_ru
                && b["size"].as_u64().unwrap_or(0) >= n_ru + n_us
                && a["partner"]["mirrored"] == b["size"]
                && b["partner"]["mirrored"] == a["size"]
                && a["partner"]["acknowledged"] == n_ru
                && b["partner"]["acknowledged"] == n_us
                && a["acknowledged_by_partner"] == n_us
                && b["acknowledged_by_partner"] == n_ru
                && a["final_size"] == a["size"]
                && b["final_size"] == b["size"];
            if synced {
                break (a["size"].clone(), b["size"].clone());
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "not synced:\nUS {a}\nRU {b}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // The compliance view reads what the exchange brought in.
        let token = operator(&us);
        let r = http
            .get(format!("http://127.0.0.1:{p_us}/api/v1/inbox"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("inbox");
        assert_eq!(r.status(), 200);
        let inbox: serde_json::Value = r.json().await.expect("json");
        assert!(
            inbox.to_string().contains(us_n[0]["id"].as_str().expect("id"))
                || inbox.to_string().contains(ru_n[0]["id"].as_str().expect("id")),
            "{inbox}"
        );
        for tx in stops {
            let _ = tx.send(());
        }
        for s in servers {
            s.await.expect("join").expect("serve");
        }
        // The large notifications crossed by hash: their blobs are in both nodes' storage.
        let blobs: Vec<String> = us_n
            .iter()
            .chain(&ru_n)
            .filter(|v| v.to_string().len() > 65_535)
            .map(|v| accord_logstore::dir::sha256_hex(&accord_tlog::entry::canonical_json(v).expect("canonical")))
            .collect();
        assert!(!blobs.is_empty(), "no notification was large enough to be logged by hash");
        for h in &blobs {
            for s in [&us, &ru] {
                s.storage.blob(h).expect("the blob is kept in memory by both nodes");
            }
        }
        drop((us, ru));
        // Nothing but the keys (and `accord serve init`'s empty files) is in the folders.
        for dir in [&us_dir, &ru_dir] {
            for f in ["partner.db", "witness.db", "view.snapshot", "blobs"] {
                assert!(!dir.join(f).exists(), "{}: the memory backend wrote {f}", dir.display());
            }
            let on_disk = accord_logstore::sqlite::SqliteStore::open_read_only(&dir.join("log.db")).expect("log.db");
            assert_eq!(on_disk.latest().expect("latest").0, 0, "the log on disk is untouched");
        }
        // Opened again in this process: the log, the mirror and the view's snapshot are kept.
        let again = open(&us_dir, config("US", "RU", p_ru, &keys[1])).expect("reopen");
        let st = crate::exchange::status_json(&again);
        assert_eq!((&st["size"], &st["partner"]["mirrored"]), (&sizes.0, &sizes.1), "{st}");
        assert_eq!(st["partner"]["acknowledged"], n_ru, "{st}");
        assert!(
            again.storage.snapshot().expect("snapshot").is_some(),
            "the stopped node kept its view"
        );
        again.stop();
    }
}
