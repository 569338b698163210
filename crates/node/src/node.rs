//! A Party's node: its data folder, its shared state, and its HTTP API (`accord serve`).
//!
//! Data folder: `log.db` and `log.key` (the Party's log, as `accord log` knows it), `node.key`
//! (the node's cosigner and request-signing key, mode 0600), `node.db` (tokens and sessions,
//! hashed), `partner.db` (the verified mirror of the partner's log), `witness.db` (what this
//! node cosigned of the partner's log, and any fork evidence), `blobs/` (notifications logged
//! by hash, both Parties').
//!
//! Invariants: one process writes a data folder (the log's writer lock); every append to the
//! own log goes through one sequencer and is acknowledged to its caller only once durable; the
//! in-memory [`View`] follows the own log and the mirror in index order; a request that is
//! refused (401, 403, 4xx) changes nothing.

use crate::auth::{RequestParts, Role, SigRefusal, SigVerifier, Tokens};
use crate::clock::{rfc3339, Clock};
use crate::config::{Keys, NodeConfig};
use crate::metrics::Metrics;
use crate::view::{Given, View};
use accord_logstore::dir::{create_key_file, read_key_file};
use accord_logstore::mirror::Mirror;
use accord_logstore::sequencer::{Options, Receipt, Sequencer};
use accord_logstore::sqlite::SqliteStore;
use accord_logstore::store::{Hashes, Store};
use accord_logstore::witness::WitnessState;
use accord_logstore::DataDir;
use accord_tlog::note::ALG_COSIGNATURE_V1;
use accord_tlog::tile::{self, TileId};
use accord_tlog::{SignerKey, VerifierKey};
use accord_treaty::TreatySpec;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{watch, Notify};

/// An entry's bytes and, for a notification logged by hash, the notification's bytes.
pub type Built = (Vec<u8>, Option<Vec<u8>>);
/// Builds an entry once its index is known.
pub type EntryBuild = Box<dyn FnOnce(u64) -> Result<Built, String> + Send>;
/// A queued entry's receipt, once durable.
type Pending = std::sync::mpsc::Receiver<Result<Receipt, accord_logstore::sequencer::SeqError>>;

/// Most entries one `GET /api/v1/entries` answers.
pub const MAX_RANGE: u64 = 4096;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 16 << 20;

/// Files of a node's data folder beside the log.
pub struct NodeDir {
    /// The log's folder.
    pub dir: DataDir,
}

impl NodeDir {
    /// The folder.
    pub fn new(root: impl Into<PathBuf>) -> NodeDir {
        NodeDir { dir: DataDir::new(root) }
    }
    /// `node.key`.
    pub fn node_key(&self) -> PathBuf {
        self.dir.root().join("node.key")
    }
    /// `node.db`.
    pub fn node_db(&self) -> PathBuf {
        self.dir.root().join("node.db")
    }
    /// `partner.db`.
    pub fn partner_db(&self) -> PathBuf {
        self.dir.root().join("partner.db")
    }
    /// `witness.db`.
    pub fn witness_db(&self) -> PathBuf {
        self.dir.root().join("witness.db")
    }

    /// Creates a node's folder: the log (origin, Party) and the node key `<origin>/node`.
    /// Refuses a folder that is not new or empty.
    pub fn init(&self, origin: &str, party: &str) -> Result<(VerifierKey, VerifierKey), String> {
        let (log, lock) = self.dir.init(origin, party, rand::random()).map_err(|e| e.to_string())?;
        let vkey = log.verifier();
        drop(log);
        drop(lock);
        let node = SignerKey::from_seed(&format!("{origin}/node"), ALG_COSIGNATURE_V1, rand::random()).map_err(|e| e.to_string())?;
        create_key_file(&self.node_key(), &node).map_err(|e| e.to_string())?;
        Tokens::open(&self.node_db())?;
        Ok((vkey, node.verifier()))
    }

    /// The node key.
    pub fn node_signer(&self) -> Result<SignerKey, String> {
        read_key_file(&self.node_key()).map_err(|e| e.to_string())
    }

    /// Makes a token (the folder need not be served at the time).
    pub fn make_token(&self, role: Role, name: &str) -> Result<String, String> {
        if !self.node_key().exists() {
            return Err(format!(
                "{}: not a node's data folder (run accord serve init)",
                self.dir.root().display()
            ));
        }
        Tokens::open(&self.node_db())?.make(role, name, Clock::System.now())
    }
}

/// An alert: a fork seen, or a problem with the partner's entries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alert {
    /// `fork` or `entry`.
    pub kind: String,
    /// What was seen.
    pub message: String,
    /// When (the node's clock).
    pub at: String,
}

/// Which cosigner a size is cosigned by.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Cosigned {
    /// By the partner node.
    pub partner: u64,
    /// By each witness (configuration order).
    pub witnesses: Vec<u64>,
}

/// Everything a running node shares between its tasks and handlers.
pub struct Shared {
    /// Configuration.
    pub cfg: NodeConfig,
    /// Its keys.
    pub keys: Keys,
    /// The treaty.
    pub spec: Arc<TreatySpec>,
    /// The treaty clock.
    pub clock: Clock,
    /// The folder.
    pub nd: NodeDir,
    /// Own origin.
    pub origin: String,
    /// Own log key.
    pub log_vkey: VerifierKey,
    /// Node key.
    pub node_key: SignerKey,
    /// The sequencer of the own log.
    pub seq: Mutex<Option<Sequencer<SqliteStore>>>,
    /// Serialises queueing appends (and the checks that decide them) so indexes follow the
    /// order of the decisions.
    pub append_lock: tokio::sync::Mutex<()>,
    /// Entries built by the sequencer and not yet in the view (below the durable size they
    /// move into it, in index order).
    pub staged: Mutex<BTreeMap<u64, Built>>,
    /// Notification ids queued for the own log and not yet in the view.
    pub in_flight: Mutex<HashSet<String>>,
    /// Read-only connections to the own log.
    pub readers: Mutex<Vec<SqliteStore>>,
    /// A connection to the own log that keeps cosignatures beside its checkpoints.
    pub cosigner: Mutex<SqliteStore>,
    /// The partner's log, verified.
    pub mirror: Mutex<Option<Mirror<SqliteStore>>>,
    /// This node as the partner log's witness.
    pub witness: Mutex<WitnessState>,
    /// Tokens.
    pub tokens: Tokens,
    /// Signed-request verifier (the partner node's key).
    pub sigs: SigVerifier,
    /// The joined record.
    pub view: RwLock<View>,
    /// Own latest checkpoint (size, note).
    pub latest: watch::Sender<(u64, Arc<Vec<u8>>)>,
    /// Bumped on any progress (for waiters).
    pub changed: watch::Sender<u64>,
    /// Wakes the follower.
    pub wake: Notify,
    /// Metrics.
    pub metrics: Metrics,
    /// Alerts.
    pub alerts: Mutex<Vec<Alert>>,
    /// A fork of the partner's log was seen: nothing more is cosigned.
    pub frozen: AtomicBool,
    /// Cosignatures collected for the own log, by size.
    pub cosigned: Mutex<Cosigned>,
    /// The tlog-policy that decides finality, if configured.
    pub policy: Option<accord_tlog::policy::TlogPolicy>,
    /// The largest size found final under `policy`.
    pub final_by_policy: std::sync::atomic::AtomicU64,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Full hash tiles served (they never change), up to [`TILE_CACHE`].
    pub tiles: Mutex<HashMap<TileId, Bytes>>,
    _lock: accord_logstore::dir::WriterLock,
}

impl Shared {
    /// Opens a node's folder for serving: takes the writer lock, starts the sequencer, loads
    /// the view from the own log and the mirror.
    pub fn open(data: &Path, cfg: NodeConfig, spec: Arc<TreatySpec>, clock: Clock) -> Result<Arc<Shared>, String> {
        let nd = NodeDir::new(data);
        let keys = cfg.keys()?;
        let (log, lock) = nd.dir.open_writer().map_err(|e| e.to_string())?;
        let meta = log.meta().clone();
        if meta.party != cfg.party {
            return Err(format!(
                "party: the configuration says {}, the log in {} is {}'s",
                cfg.party,
                data.display(),
                meta.party
            ));
        }
        let node_key = nd.node_signer()?;
        let policy = cfg.policy()?;
        if let Some(p) = &policy {
            if !p.log_keys().iter().any(|k| k.to_string() == log.verifier().to_string()) {
                return Err(format!(
                    "exchange.policy: the policy does not list this node's log key {}",
                    log.verifier()
                ));
            }
        }
        let latest = (log.size(), Arc::new(log.latest().to_vec()));
        let log_vkey = log.verifier();
        let seq = Sequencer::start(log, Options::default());
        let mut witness = WitnessState::open(&nd.witness_db()).map_err(|e| e.to_string())?;
        witness.follow(&keys.partner_log).map_err(|e| e.to_string())?;
        let frozen = witness
            .followed()
            .map_err(|e| e.to_string())?
            .iter()
            .any(|f| f.origin == keys.partner_log.name() && f.frozen);
        let mirror = if nd.partner_db().exists() {
            let store = SqliteStore::open(&nd.partner_db()).map_err(|e| e.to_string())?;
            let m = Mirror::open(store).map_err(|e| format!("{}: {e}", nd.partner_db().display()))?;
            if m.vkey().to_string() != keys.partner_log.to_string() {
                return Err(format!(
                    "partner.log_key: the mirror in {} follows {}",
                    nd.partner_db().display(),
                    m.vkey()
                ));
            }
            Some(m)
        } else {
            None
        };
        let mut view = View::new(&cfg.party, &meta.origin, &cfg.partner.party, keys.partner_log.name());
        let reader = nd.dir.open_reader().map_err(|e| e.to_string())?;
        let own = read_all(&reader, &nd.dir)?;
        let partner = match &mirror {
            Some(m) => read_all(m.store(), &nd.dir)?,
            None => Vec::new(),
        };
        view.load(
            own.iter()
                .map(|(b, blob)| Given {
                    bytes: b,
                    blob: blob.clone(),
                })
                .collect(),
            partner
                .iter()
                .map(|(b, blob)| Given {
                    bytes: b,
                    blob: blob.clone(),
                })
                .collect(),
        );
        let sigs = SigVerifier::new(vec![keys.partner_node.clone()], Clock::System.now());
        let tokens = Tokens::open(&nd.node_db())?;
        let metrics = Metrics::default();
        metrics.log_size.store(latest.0, Ordering::Relaxed);
        metrics.partner_size.store(view.partner_size(), Ordering::Relaxed);
        let mut cosigned = Cosigned {
            partner: 0,
            witnesses: vec![0; keys.witnesses.len()],
        };
        // What was collected before a restart: the largest size each cosigner cosigned (not
        // necessarily the latest; a bundle's cosignature may cover an older one).
        // Largest size first: the scan stops once every cosigner is found.
        reader
            .scan_cosignatures_desc(&mut |size, l| {
                if let Ok(sig) = accord_tlog::note::NoteSignature::parse_line(l) {
                    if sig.name == keys.partner_node.name() && sig.id == keys.partner_node.id() {
                        cosigned.partner = cosigned.partner.max(size);
                    }
                    for (i, w) in keys.witnesses.iter().enumerate() {
                        if sig.name == w.name() && sig.id == w.id() {
                            cosigned.witnesses[i] = cosigned.witnesses[i].max(size);
                        }
                    }
                }
                cosigned.partner == 0 || cosigned.witnesses.contains(&0)
            })
            .map_err(|e| e.to_string())?;
        let partner_cosigned = cosigned.partner;
        let latest_size = latest.0;
        let shared = Arc::new(Shared {
            origin: meta.origin,
            log_vkey,
            node_key,
            seq: Mutex::new(Some(seq)),
            append_lock: tokio::sync::Mutex::new(()),
            staged: Mutex::new(BTreeMap::new()),
            in_flight: Mutex::new(HashSet::new()),
            readers: Mutex::new(vec![reader]),
            cosigner: Mutex::new(nd.dir.open_cosigner().map_err(|e| e.to_string())?),
            mirror: Mutex::new(mirror),
            witness: Mutex::new(witness),
            tokens,
            sigs,
            view: RwLock::new(view),
            latest: watch::channel(latest).0,
            changed: watch::channel(0).0,
            wake: Notify::new(),
            metrics,
            alerts: Mutex::new(Vec::new()),
            frozen: AtomicBool::new(frozen),
            cosigned: Mutex::new(cosigned),
            final_by_policy: std::sync::atomic::AtomicU64::new(0),
            policy,
            http: crate::client::http_client(),
            tiles: Mutex::new(HashMap::new()),
            cfg,
            keys,
            spec,
            clock,
            nd,
            _lock: lock,
        });
        shared.check_final(latest_size);
        if partner_cosigned > 0 && partner_cosigned != latest_size {
            shared.check_final(partner_cosigned);
        }
        Ok(shared)
    }

    /// Runs `f` with a read-only connection to the own log.
    pub fn with_reader<T>(&self, f: impl FnOnce(&SqliteStore) -> Result<T, String>) -> Result<T, String> {
        let r = self.readers.lock().map_err(|_| "reader pool poisoned")?.pop();
        let r = match r {
            Some(r) => r,
            None => self.nd.dir.open_reader().map_err(|e| e.to_string())?,
        };
        let out = f(&r);
        if let Ok(mut pool) = self.readers.lock() {
            if pool.len() < 8 {
                pool.push(r);
            }
        }
        out
    }

    /// Records progress for waiters.
    pub fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    /// Records an alert (and logs it).
    pub fn alert(&self, kind: &str, message: String) {
        tracing::error!(kind, "{message}");
        if let Ok(mut a) = self.alerts.lock() {
            a.push(Alert {
                kind: kind.into(),
                message,
                at: rfc3339(self.clock.now()),
            });
        }
        self.bump();
    }

    /// Appends entries built from their indexes to the own log, in order, and adds them to the
    /// view; returns the receipts. Everything or an error (the entries of a failed batch are
    /// not acknowledged). `prepare` runs under the append lock, so what it reads of the view and
    /// of [`Shared::in_flight`] cannot change under it: it decides what to append. With
    /// `pipelined`, the lock is let go once the entries are queued, so concurrent requests share
    /// the sequencer's group commits; without, it is held until they are durable and in the
    /// view (for appends computed from the view, like acknowledgements).
    pub async fn append_with<E>(
        self: &Arc<Self>,
        pipelined: bool,
        prepare: impl FnOnce(&Shared) -> Result<Vec<EntryBuild>, E>,
    ) -> Result<Result<Vec<Receipt>, String>, E> {
        let guard = self.append_lock.lock().await;
        let builds = prepare(self)?;
        if builds.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let rxs = match self.enqueue(builds) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let guard = if pipelined {
            drop(guard);
            None
        } else {
            Some(guard)
        };
        let out = self.finish(rxs).await;
        drop(guard);
        Ok(out)
    }

    /// Queues entries with the sequencer (in order); each one built is staged for the view.
    fn enqueue(self: &Arc<Self>, builds: Vec<EntryBuild>) -> Result<Vec<Pending>, String> {
        let seq = self.seq.lock().map_err(|_| "sequencer poisoned")?;
        let seq = seq.as_ref().ok_or("the node is stopping")?;
        let mut rxs = Vec::with_capacity(builds.len());
        for b in builds {
            let me = self.clone();
            let rx = seq
                .submit(Box::new(move |i| {
                    let (bytes, blob) = b(i)?;
                    if let Ok(mut st) = me.staged.lock() {
                        st.insert(i, (bytes.clone(), blob));
                    }
                    Ok(bytes)
                }))
                .map_err(|e| e.to_string())?;
            rxs.push(rx);
        }
        Ok(rxs)
    }

    /// Waits until the queued entries are durable, then moves every staged entry below the
    /// durable size into the view, in index order (whichever request gets there first).
    async fn finish(self: &Arc<Self>, rxs: Vec<Pending>) -> Result<Vec<Receipt>, String> {
        let receipts = tokio::task::spawn_blocking(move || -> Result<Vec<Receipt>, String> {
            let mut out = Vec::with_capacity(rxs.len());
            for rx in rxs {
                out.push(
                    rx.recv()
                        .map_err(|_| "the sequencer stopped".to_string())?
                        .map_err(|e| e.to_string())?,
                );
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.to_string())??;
        let durable = receipts.iter().map(|r| r.size).max().unwrap_or(0);
        {
            let mut v = self.view.write().map_err(|_| "view poisoned")?;
            let mut st = self.staged.lock().map_err(|_| "staging poisoned")?;
            while let Some(entry) = st.first_entry() {
                let i = *entry.key();
                if i >= durable || i != v.own_size() {
                    break;
                }
                let (bytes, blob) = entry.remove();
                v.push_own(Given { bytes: &bytes, blob });
            }
        }
        if let Some(r) = receipts.iter().max_by_key(|r| r.size) {
            let note = r.checkpoint.clone();
            self.latest.send_if_modified(|cur| {
                if r.size > cur.0 {
                    *cur = (r.size, note);
                    true
                } else {
                    false
                }
            });
            self.metrics.log_size.store(self.latest.borrow().0, Ordering::Relaxed);
        }
        self.bump();
        Ok(receipts)
    }

    /// Re-checks the checkpoint of `size` with every cosignature kept for it against the policy,
    /// and records it as final if the policy is met.
    pub fn check_final(&self, size: u64) {
        let Some(policy) = &self.policy else { return };
        let checked = self.with_reader(|r| {
            let note = r.checkpoint(size).map_err(|e| e.to_string())?.ok_or("no checkpoint")?;
            policy.check(&cosigned_note(r, &note, size)?).map_err(|e| e.to_string())
        });
        if checked.is_ok() {
            self.final_by_policy.fetch_max(size, Ordering::SeqCst);
        }
    }

    /// Stops the sequencer (finishing queued appends).
    pub fn stop(&self) {
        if let Ok(mut s) = self.seq.lock() {
            if let Some(seq) = s.take() {
                seq.stop();
            }
        }
    }

    /// The size of the own log final under the policy: cosigned by the partner and by the
    /// quorum of witnesses.
    pub fn final_size(&self) -> u64 {
        if self.policy.is_some() {
            return self.final_by_policy.load(Ordering::SeqCst);
        }
        let Ok(c) = self.cosigned.lock() else { return 0 };
        let mut w = c.witnesses.clone();
        w.sort_unstable_by(|a, b| b.cmp(a));
        let q = self.cfg.quorum();
        let by_witnesses = if q == 0 { u64::MAX } else { w.get(q - 1).copied().unwrap_or(0) };
        c.partner.min(by_witnesses)
    }
}

/// The checkpoint `note` of `size` with every cosignature kept for it.
pub fn cosigned_note(r: &SqliteStore, note: &[u8], size: u64) -> Result<accord_tlog::Note, String> {
    let mut note = accord_tlog::Note::parse(note).map_err(|e| e.to_string())?;
    for l in r.cosignatures(size).map_err(|e| e.to_string())? {
        if let Ok(sig) = accord_tlog::note::NoteSignature::parse_line(&l) {
            note.signatures.push(sig);
        }
    }
    Ok(note)
}

/// Every entry of a store with the blob of each entry logged by hash (when at hand).
fn read_all(store: &SqliteStore, dir: &DataDir) -> Result<Vec<Built>, String> {
    let (size, _) = store.latest().map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(size as usize);
    store
        .scan_entries(0, size, &mut |_, e| {
            out.push((e.to_vec(), None));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    for (bytes, blob) in out.iter_mut() {
        if let Some(h) = by_hash(bytes) {
            *blob = dir.blob(&h).ok();
        }
    }
    Ok(out)
}

/// The SHA-256 (hex) of the notification an entry logs by hash.
pub fn by_hash(entry: &[u8]) -> Option<String> {
    accord_tlog::entry::logged_by_hash(entry)
}

/// Who a request comes from.
#[derive(Debug, Clone)]
pub struct Who {
    /// The role, if any.
    pub role: Option<Role>,
    /// Why a credential given was refused.
    pub refused: Option<String>,
}

fn header_fn(h: &HeaderMap) -> impl Fn(&str) -> Option<String> + '_ {
    move |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Verifies an RFC 9421 signed request as received (the signature's `@authority` is the Host
/// header) at the system clock.
pub fn verify_signed(v: &SigVerifier, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<VerifierKey, SigRefusal> {
    let h = header_fn(headers);
    let authority = h("host").unwrap_or_default();
    let parts = RequestParts {
        method: method.as_str(),
        authority: &authority,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        body,
    };
    v.verify(&parts, &h, Clock::System.now())
}

/// Works out who sent a request: a signed partner node, a bearer token, a session cookie, or
/// nobody (public).
pub fn who(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Who {
    let h = header_fn(headers);
    if h("signature-input").is_some() {
        return match verify_signed(&s.sigs, method, uri, headers, body) {
            Ok(_) => Who {
                role: Some(Role::PartnerNode),
                refused: None,
            },
            Err(SigRefusal::Missing) => Who {
                role: None,
                refused: Some("a Signature-Input without a Signature".into()),
            },
            Err(SigRefusal::Bad(why)) => Who {
                role: None,
                refused: Some(format!("signature refused: {why}")),
            },
        };
    }
    if let Some(a) = h("authorization") {
        let Some(token) = a.strip_prefix("Bearer ") else {
            return Who {
                role: None,
                refused: Some("Authorization: only Bearer tokens are accepted".into()),
            };
        };
        return match s.tokens.role(token.trim()) {
            Some(r) => Who {
                role: Some(r),
                refused: None,
            },
            None => Who {
                role: None,
                refused: Some("unknown bearer token".into()),
            },
        };
    }
    if let Some(c) = h("cookie") {
        if let Some(sid) = c.split(';').filter_map(|p| p.trim().strip_prefix("accord_session=")).next() {
            return match s.tokens.session_role(sid, Clock::System.now()) {
                Some(r) => Who {
                    role: Some(r),
                    refused: None,
                },
                None => Who {
                    role: None,
                    refused: Some("the session has expired or is unknown; sign in again".into()),
                },
            };
        }
    }
    Who { role: None, refused: None }
}

/// An error response with a JSON body `{"error": …}`.
pub fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({"error": msg.into()}))).into_response()
}

/// Checks the caller holds one of `roles`: 401 without (or with a refused) credential, 403
/// with the wrong one; every refusal is logged and counted.
pub fn require(s: &Shared, w: &Who, roles: &[Role], what: &str) -> Result<Role, Response> {
    let refuse = |status: StatusCode, why: String| {
        Metrics::add(&s.metrics.refused, 1);
        tracing::warn!(status = status.as_u16(), "refused {what}: {why}");
        error(status, why)
    };
    match (w.role, &w.refused) {
        (_, Some(why)) => Err(refuse(StatusCode::UNAUTHORIZED, why.clone())),
        (None, None) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!(
                "{what} needs a credential ({})",
                roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(" or ")
            ),
        )),
        (Some(r), None) if roles.contains(&r) => Ok(r),
        (Some(r), None) => Err(refuse(
            StatusCode::FORBIDDEN,
            format!("{what} is not open to the role {}", r.name()),
        )),
    }
}

type S = State<Arc<Shared>>;

/// Every route of [`router`], as `(method, path)` in OpenAPI's path form; `openapi.json`
/// describes exactly these (a test checks both ways, and that each answers).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/log/checkpoint"),
    ("get", "/log/{path}"),
    ("get", "/api/v1/keys"),
    ("get", "/api/v1/checkpoints/{size}"),
    ("get", "/api/v1/status"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("post", "/api/v1/validate"),
    ("post", "/api/v1/compose"),
    ("post", "/api/v1/notifications"),
    ("get", "/api/v1/outbox"),
    ("get", "/api/v1/inbox"),
    ("get", "/api/v1/state"),
    ("get", "/api/v1/compliance"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/clock"),
    ("put", "/api/v1/clock"),
    ("get", "/api/v1/blobs/{sha256}"),
    ("get", "/api/v1/entries"),
    ("get", "/api/v1/bundle"),
    ("post", "/api/v1/bundle"),
    ("post", "/witness/add-checkpoint"),
    ("get", "/public/releases"),
    ("get", "/api/v1/treaty/status"),
    ("get", "/api/v1/timeline"),
    ("get", "/public/releases/{index}"),
    ("get", "/api/v1/inspections"),
    ("post", "/api/v1/inspections"),
    ("get", "/api/v1/inspections/{id}/report"),
    ("get", "/api/v1/proposals"),
    ("post", "/api/v1/proposals"),
    ("get", "/api/v1/proposals/{id}/evaluation"),
];

/// The node's routes.
pub fn router(s: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(crate::api::status_page))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/{*path}", get(tile_get))
        .route("/api/v1/keys", get(keys))
        .route("/api/v1/checkpoints/{size}", get(checkpoint_at))
        .route("/api/v1/status", get(crate::exchange::status))
        .route("/api/v1/session", post(session).get(whoami).delete(sign_out))
        .route("/api/v1/validate", post(crate::api::validate))
        .route("/api/v1/compose", post(crate::api::compose))
        .route("/api/v1/notifications", post(crate::api::submit))
        .route("/api/v1/outbox", get(crate::api::outbox))
        .route("/api/v1/inbox", get(crate::api::inbox))
        .route("/api/v1/state", get(crate::api::state))
        .route("/api/v1/compliance", get(crate::api::compliance))
        .route("/api/v1/alerts", get(crate::api::alerts))
        .route("/api/v1/clock", put(crate::api::set_clock).get(crate::api::get_clock))
        .route("/api/v1/blobs/{sha256}", get(blob))
        .route("/api/v1/entries", get(entry_range))
        .route(
            "/api/v1/bundle",
            get(crate::bundle::get_bundle)
                .post(crate::bundle::post_bundle)
                .layer(axum::extract::DefaultBodyLimit::max(crate::bundle::MAX_BUNDLE)),
        )
        .route("/witness/add-checkpoint", post(crate::exchange::add_checkpoint))
        .route("/public/releases", get(crate::api::releases))
        .route("/api/v1/treaty/status", get(crate::regime::treaty_status))
        .route(
            "/api/v1/inspections",
            get(crate::regime::get_inspections).post(crate::regime::post_inspection),
        )
        .route("/api/v1/inspections/{id}/report", get(crate::regime::get_report))
        .route(
            "/api/v1/proposals",
            get(crate::regime::get_proposals).post(crate::regime::post_proposal),
        )
        .route("/api/v1/proposals/{id}/evaluation", get(crate::regime::get_evaluation))
        .route("/api/v1/timeline", get(crate::regime::timeline))
        .route("/public/releases/{index}", get(crate::api::release_proof))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(s.clone(), count))
        .with_state(s)
}

async fn count(State(s): S, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    Metrics::add(&s.metrics.requests, 1);
    next.run(req).await
}

async fn health(State(s): S) -> Response {
    let size = s.latest.borrow().0;
    axum::Json(serde_json::json!({"status": "ok", "party": s.cfg.party, "size": size})).into_response()
}

async fn metrics(State(s): S) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::api::OPENAPI).into_response()
}

async fn keys(State(s): S) -> Response {
    axum::Json(serde_json::json!({
        "party": s.cfg.party, "origin": s.origin, "log_key": s.log_vkey.to_string(), "node_key": s.node_key.verifier().to_string(),
    }))
    .into_response()
}

/// The latest checkpoint with every cosignature collected for it.
async fn checkpoint(State(s): S) -> Response {
    let (size, note) = s.latest.borrow().clone();
    let s2 = s.clone();
    let lines = tokio::task::spawn_blocking(move || s2.with_reader(|r| r.cosignatures(size).map_err(|e| e.to_string()))).await;
    let mut body = (*note).clone();
    if let Ok(Ok(lines)) = lines {
        for l in lines {
            body.extend_from_slice(l.as_bytes());
            body.push(b'\n');
        }
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn checkpoint_at(State(s): S, UrlPath(size): UrlPath<String>) -> Response {
    let Ok(size) = size.parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, format!("size: {size:?} is not a number"));
    };
    let s2 = s.clone();
    match tokio::task::spawn_blocking(move || s2.with_reader(|r| r.checkpoint(size).map_err(|e| e.to_string()))).await {
        Ok(Ok(Some(n))) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], n).into_response(),
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no checkpoint of size {size} was signed")),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Hash tiles (public) and entry bundles (the partner and this node's people only).
async fn tile_get(State(s): S, method: Method, uri: Uri, headers: HeaderMap, UrlPath(path): UrlPath<String>) -> Response {
    let Ok((t, entries)) = TileId::parse_path(&path) else {
        return error(StatusCode::NOT_FOUND, format!("/log/{path}: not a tile path"));
    };
    if entries {
        let w = who(&s, &method, &uri, &headers, b"");
        if let Err(r) = require(&s, &w, &[Role::PartnerNode, Role::PartnerReader, Role::Operator], "an entry bundle") {
            return r;
        }
    }
    let size = s.latest.borrow().0;
    // Hashes at the tile's Merkle level that the tree of `size` has.
    let have = size >> t.merkle_level();
    if t.first() + u64::from(t.width) > have {
        return error(StatusCode::NOT_FOUND, format!("/log/{path}: beyond the tree of size {size}"));
    }
    // A full hash tile never changes: served from memory once read.
    let cacheable = t.is_full() && !entries;
    if cacheable {
        if let Some(b) = s.tiles.lock().ok().and_then(|c| c.get(&t).cloned()) {
            return hash_tile_response(b);
        }
    }
    let s2 = s.clone();
    let got = tokio::task::spawn_blocking(move || {
        s2.with_reader(|r| {
            if entries {
                let mut bundle = Vec::new();
                r.scan_entries(t.first(), t.first() + u64::from(t.width), &mut |_, e| {
                    tile::push_entry(&mut bundle, e).map_err(|e| accord_logstore::StoreError::Corrupt(e.to_string()))
                })
                .map_err(|e| e.to_string())?;
                Ok(bundle)
            } else {
                tile::tile_bytes(&Hashes(r), t).map_err(|e| e.to_string())
            }
        })
    })
    .await;
    match got {
        Ok(Ok(b)) if cacheable => {
            let b = Bytes::from(b);
            if let Ok(mut c) = s.tiles.lock() {
                if c.len() >= TILE_CACHE {
                    c.clear();
                }
                c.insert(t, b.clone());
            }
            hash_tile_response(b)
        }
        Ok(Ok(b)) => {
            let cache = if t.is_full() {
                "public, max-age=31536000, immutable"
            } else {
                "no-store"
            };
            let cache = if entries { "private, no-store" } else { cache };
            (
                [(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)],
                b,
            )
                .into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/entries?start=N&end=M`: entries `N..M` (at most [`MAX_RANGE`], within the latest
/// checkpoint) in the entry-bundle encoding (each a big-endian u16 length, then the bytes):
/// what a follower lacks, without fetching a partial tile again. The partner node and this
/// node's people only.
async fn entry_range(State(s): S, method: Method, uri: Uri, headers: HeaderMap, q: Params) -> Response {
    let w = who(&s, &method, &uri, &headers, b"");
    if let Err(r) = require(&s, &w, &[Role::PartnerNode, Role::PartnerReader, Role::Operator], "entries") {
        return r;
    }
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let (Some(start), Some(end)) = (num("start"), num("end")) else {
        return error(StatusCode::BAD_REQUEST, "start and end: entry indexes expected");
    };
    let size = s.latest.borrow().0;
    if start >= end || end > size || end - start > MAX_RANGE {
        return error(
            StatusCode::BAD_REQUEST,
            format!("start {start}, end {end}: need start < end <= {size} (the log's size) and at most {MAX_RANGE} entries"),
        );
    }
    let s2 = s.clone();
    let got = tokio::task::spawn_blocking(move || {
        s2.with_reader(|r| {
            let mut bundle = Vec::new();
            r.scan_entries(start, end, &mut |_, e| {
                tile::push_entry(&mut bundle, e).map_err(|e| accord_logstore::StoreError::Corrupt(e.to_string()))
            })
            .map_err(|e| e.to_string())?;
            Ok(bundle)
        })
    })
    .await;
    match got {
        Ok(Ok(b)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            b,
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn hash_tile_response(b: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        b,
    )
        .into_response()
}

/// Full hash tiles kept in memory (8 KiB each), at most.
pub const TILE_CACHE: usize = 4096;

/// A blob (a notification logged by hash): the partner node and this node's people only.
async fn blob(State(s): S, method: Method, uri: Uri, headers: HeaderMap, UrlPath(sha): UrlPath<String>) -> Response {
    let w = who(&s, &method, &uri, &headers, b"");
    if let Err(r) = require(&s, &w, &[Role::PartnerNode, Role::PartnerReader, Role::Operator], "a blob") {
        return r;
    }
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return error(StatusCode::BAD_REQUEST, "sha256: 64 lowercase hex digits");
    }
    match s.nd.dir.blob(&sha) {
        Ok(b) => ([(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// Exchanges a bearer token (JSON `{"token": …}`) for a session cookie.
async fn session(State(s): S, body: Bytes) -> Response {
    let token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned));
    let Some(token) = token else {
        return error(StatusCode::BAD_REQUEST, "body: {\"token\": \"…\"} expected");
    };
    match s.tokens.session(&token, Clock::System.now()) {
        Some((sid, role)) => {
            let cookie = format!(
                "accord_session={sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                crate::auth::SESSION_SECS
            );
            ([(header::SET_COOKIE, cookie)], axum::Json(serde_json::json!({"role": role.name()}))).into_response()
        }
        None => {
            Metrics::add(&s.metrics.refused, 1);
            tracing::warn!("refused a session: unknown token");
            error(StatusCode::UNAUTHORIZED, "unknown token")
        }
    }
}

/// `GET /api/v1/session`: the role of the credential sent (401 without one).
async fn whoami(State(s): S, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let w = who(&s, &method, &uri, &headers, b"");
    match (w.role, w.refused) {
        (Some(r), _) => axum::Json(serde_json::json!({"role": r.name()})).into_response(),
        (None, Some(why)) => error(StatusCode::UNAUTHORIZED, why),
        (None, None) => error(StatusCode::UNAUTHORIZED, "not signed in"),
    }
}

/// `DELETE /api/v1/session`: ends the session of the cookie sent and clears the cookie.
async fn sign_out(State(s): S, headers: HeaderMap) -> Response {
    let sid = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|c| {
        c.split(';')
            .filter_map(|p| p.trim().strip_prefix("accord_session="))
            .next()
            .map(str::to_owned)
    });
    let ended = sid.is_some_and(|sid| s.tokens.end_session(&sid));
    (
        [(
            header::SET_COOKIE,
            "accord_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0".to_owned(),
        )],
        axum::Json(serde_json::json!({"ended": ended})),
    )
        .into_response()
}

/// Query parameters as a map.
pub type Params = Query<HashMap<String, String>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// `openapi.json` describes exactly the routes the router has.
    #[test]
    fn openapi_lists_every_route_and_no_other() {
        let doc: serde_json::Value = serde_json::from_str(crate::api::OPENAPI).expect("openapi.json is JSON");
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                assert!(op["responses"].is_object(), "{method} {path}: no responses");
                documented.push((method.clone(), path.clone()));
            }
        }
        documented.sort();
        let mut routes: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        routes.sort();
        assert_eq!(documented, routes);
    }
}
