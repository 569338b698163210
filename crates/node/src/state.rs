//! A Party's node without its HTTP rim: its data folder ([`NodeDir`]) and the state its tasks
//! and handlers share ([`Shared`]). The append path is in [`crate::append`], the routes in
//! [`crate::http`].
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

use crate::auth::{Role, SigVerifier, Tokens};
use crate::clock::{rfc3339, Ambient, Clock, Entropy};
use crate::config::{Keys, NodeConfig, PartnerKeys};
use crate::error::NodeError;
use crate::metrics::Metrics;
use crate::storage::{Backend, Held};
use crate::view::{Given, SnapshotKey, View};
use accord_logstore::dir::{create_key_file, read_key_file};
use accord_logstore::mirror::Mirror;
use accord_logstore::sequencer::{Options, Sequencer};
use accord_logstore::store::{DynStore, Store};
use accord_logstore::witness::WitnessStore;
use accord_logstore::DataDir;
use accord_tlog::note::ALG_COSIGNATURE_V1;
use accord_tlog::tile::TileId;
use accord_tlog::{SignerKey, VerifierKey};
use accord_treaty::TreatySpec;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{watch, Notify};

/// An entry's bytes and, for a notification logged by hash, the notification's bytes.
pub type Built = (Vec<u8>, Option<Vec<u8>>);
/// Builds an entry once its index is known.
pub type EntryBuild = Box<dyn FnOnce(u64) -> Result<Built, String> + Send>;
/// Most entries one `GET /api/v1/entries` answers.
pub const MAX_RANGE: u64 = 4096;

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
    /// `view.snapshot`: the node's view of both logs when it last stopped.
    pub fn view_snapshot(&self) -> PathBuf {
        self.dir.root().join("view.snapshot")
    }

    /// Creates a node's folder: the log (origin, Party) and the node key `<origin>/node`.
    /// Refuses a folder that is not new or empty.
    pub fn init(&self, origin: &str, party: &str) -> Result<(VerifierKey, VerifierKey), String> {
        let (log, lock) = self.dir.init(origin, party, Entropy::Os.bytes()).map_err(|e| e.to_string())?;
        let vkey = log.verifier();
        drop(log);
        drop(lock);
        let node = SignerKey::from_seed(&format!("{origin}/node"), ALG_COSIGNATURE_V1, Entropy::Os.bytes()).map_err(|e| e.to_string())?;
        create_key_file(&self.node_key(), &node).map_err(|e| e.to_string())?;
        crate::storage::sqlite::SqliteTokens::open(&self.node_db()).map_err(|e| e.to_string())?;
        Ok((vkey, node.verifier()))
    }

    /// [`NodeDir::init`] for a node on PostgreSQL: the keys and `store.toml` in the folder,
    /// the log in the database `url` names (its `<party>_log` schema). Whole or not at all: the
    /// folder is made beside and renamed into place once the log is committed; a failure drops
    /// what was made in the database, and an init stopped between the two (a crash) is
    /// finished by the next with the folder it left. Refuses a folder that is not new or
    /// empty, and a database that holds any schema of this Party.
    pub fn init_postgres(&self, origin: &str, party: &str, url: &str) -> Result<(VerifierKey, VerifierKey), String> {
        use crate::storage::postgres::Postgres;
        let root = self.dir.root();
        if std::fs::read_dir(root).map(|mut d| d.next().is_some()).unwrap_or(false) {
            return Err(format!(
                "{}: the folder is not empty; a new node needs a new or empty folder",
                root.display()
            ));
        }
        let key = SignerKey::from_seed(origin, accord_tlog::note::ALG_ED25519, Entropy::Os.bytes())
            .map_err(|e| format!("origin {origin:?} cannot name a key: {e}"))?;
        let node = SignerKey::from_seed(&format!("{origin}/node"), ALG_COSIGNATURE_V1, Entropy::Os.bytes()).map_err(|e| e.to_string())?;
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "node".into());
        let parent = match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // An init stopped (a crash) after its log was committed and before its folder was
        // renamed into place: the folder made beside holds the keys of that log; finish it.
        let db = Postgres::new(url, None, root, party, &[]);
        if let Some(logged) = db.log_key().map_err(|e| e.to_string())? {
            let stem = format!(".{name}.init-");
            for e in std::fs::read_dir(&parent)
                .map_err(|e| format!("{}: {e}", parent.display()))?
                .flatten()
            {
                if !e.file_name().to_string_lossy().starts_with(&stem) {
                    continue;
                }
                let left = NodeDir::new(e.path());
                if let (Ok(k), Ok(n)) = (left.dir.signer(), left.node_signer()) {
                    if k.verifier().to_string() == logged && e.path().join(crate::storage::STORE_FILE).exists() {
                        std::fs::rename(e.path(), root).map_err(|err| format!("{}: {err}", root.display()))?;
                        if let Ok(d) = std::fs::File::open(&parent) {
                            let _ = d.sync_all();
                        }
                        return Ok((k.verifier(), n.verifier()));
                    }
                }
            }
        }
        let staging = NodeDir::new(parent.join(format!(".{name}.init-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(staging.dir.root());
        let made = (|| -> Result<VerifierKey, String> {
            fn at(p: &Path) -> impl FnOnce(std::io::Error) -> String + '_ {
                move |e| format!("{}: {e}", p.display())
            }
            accord_logstore::private::dir(staging.dir.root()).map_err(at(staging.dir.root()))?;
            create_key_file(&staging.dir.key_file(), &key).map_err(|e| e.to_string())?;
            create_key_file(&staging.node_key(), &node).map_err(|e| e.to_string())?;
            let store_file = staging.dir.root().join(crate::storage::STORE_FILE);
            let said = crate::storage::FolderStore {
                url: url.to_owned(),
                party: party.to_owned(),
            };
            let text = format!(
                "# where this node keeps its logs and state (accord serve init --store)\n{}",
                toml::to_string(&said).map_err(|e| e.to_string())?
            );
            crate::storage::files::write_private(&store_file, text.as_bytes()).map_err(at(&store_file))?;
            let db = Postgres::new(url, None, staging.dir.root(), party, &[]);
            let vkey = db.create_log(key.clone(), party).map_err(|e| e.to_string())?;
            if let Err(e) = std::fs::rename(staging.dir.root(), root) {
                let _ = db.drop_all();
                return Err(format!("{}: {e}", root.display()));
            }
            if let Ok(d) = std::fs::File::open(&parent) {
                let _ = d.sync_all();
            }
            Ok(vkey)
        })();
        match made {
            Ok(vkey) => Ok((vkey, node.verifier())),
            Err(e) => {
                let _ = std::fs::remove_dir_all(staging.dir.root());
                Err(e)
            }
        }
    }

    /// The node key.
    pub fn node_signer(&self) -> Result<SignerKey, String> {
        read_key_file(&self.node_key()).map_err(|e| e.to_string())
    }

    /// Makes a token in the folder's `node.db` (the folder need not be served at the time; a
    /// node with `storage = "memory"` makes its tokens in its own process).
    pub fn make_token(&self, role: Role, name: &str) -> Result<String, String> {
        self.make_token_until(role, name, None)
    }

    /// [`NodeDir::make_token`] accepted until `expires` (POSIX seconds) only.
    pub fn make_token_until(&self, role: Role, name: &str, expires: Option<i64>) -> Result<String, String> {
        let a = Ambient::system();
        self.tokens()?.make_until(role, name, a.wall.now(), expires, &a.entropy)
    }

    /// Revokes the token `which` (a token) or every live token named `which`; their sign-ins
    /// end at once, also on a running node (it reads `node.db` on every request).
    pub fn revoke_tokens(&self, which: &str) -> Result<usize, String> {
        self.tokens()?.revoke(which, Ambient::system().wall.now())
    }

    /// Every token the folder keeps (hashes, roles, names, times).
    pub fn list_tokens(&self) -> Result<Vec<crate::storage::contract::TokenRow>, String> {
        self.tokens()?.list()
    }

    /// The folder's audit log after row `after`, oldest first, at most `limit` rows.
    pub fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<crate::storage::contract::AuditRow>, String> {
        self.tokens()?.audit_log(after, limit)
    }

    /// The folder's token store: `node.db`, or the database its `store.toml` names.
    fn tokens(&self) -> Result<Tokens, String> {
        if !self.node_key().exists() {
            return Err(format!(
                "{}: not a node's data folder (run accord serve init)",
                self.dir.root().display()
            ));
        }
        let root = self.dir.root();
        let store: Box<dyn crate::storage::TokenStore> = match crate::storage::FolderStore::read(root)? {
            Some(f) => crate::storage::postgres::Postgres::new(&f.url, None, root, &f.party, &[])
                .tokens()
                .map_err(|e| e.to_string())?,
            None => Box::new(crate::storage::sqlite::SqliteTokens::open(&self.node_db()).map_err(|e| e.to_string())?),
        };
        Ok(Tokens::new(store))
    }
}

/// An alert: a fork seen, or a problem with the partner's entries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alert {
    /// `fork` (the partner's log forked), `cosigner` (a cosigner claims a size the log does not
    /// have), `config` (the exchange cannot start) or `clock` (this node's treaty clock is
    /// behind the partner's: receipts stamped with the time sent).
    pub kind: String,
    /// What was seen.
    pub message: String,
    /// When (the node's clock).
    pub at: String,
}

/// The largest size of the own log each cosigner has cosigned, keyed by the cosigner's key
/// (its name and key id, as its signature lines carry them): partner nodes and witnesses alike,
/// so nothing in it assumes one partner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cosigned {
    by: BTreeMap<(String, u32), u64>,
}

impl Cosigned {
    /// The largest size `key` cosigned (0: none).
    pub fn of(&self, key: &VerifierKey) -> u64 {
        self.by.get(&(key.name().to_owned(), key.id())).copied().unwrap_or(0)
    }

    /// Records that `key` cosigned `size` (a smaller size than one recorded changes nothing).
    pub fn record(&mut self, key: &VerifierKey, size: u64) {
        let e = self.by.entry((key.name().to_owned(), key.id())).or_insert(0);
        *e = (*e).max(size);
    }

    /// What the status shows of it: the partner node's and each witness's, in configuration
    /// order.
    pub fn summary(&self, keys: &Keys) -> CosignedBy {
        CosignedBy {
            partner: keys.partners.first().map_or(0, |p| self.of(&p.node)),
            witnesses: keys.witnesses.iter().map(|w| self.of(w)).collect(),
        }
    }
}

/// Which cosigner a size is cosigned by, as the status shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CosignedBy {
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
    /// The wall clock (tokens, sign-ins, signed requests) and the random generator.
    pub ambient: Ambient,
    /// The folder (its keys).
    pub nd: NodeDir,
    /// Where everything else is kept (the `storage` key of the configuration).
    pub storage: Box<dyn Backend>,
    /// Own origin.
    pub origin: String,
    /// Own log key.
    pub log_vkey: VerifierKey,
    /// Node key.
    pub node_key: SignerKey,
    /// The sequencer of the own log.
    pub seq: Mutex<Option<Sequencer<DynStore>>>,
    /// Serialises queueing appends (and the checks that decide them) so indexes follow the
    /// order of the decisions.
    pub append_lock: tokio::sync::Mutex<()>,
    /// Entries built by the sequencer and not yet in the view (below the durable size they
    /// move into it, in index order).
    pub staged: Mutex<BTreeMap<u64, Built>>,
    /// Notification ids queued for the own log and not yet in the view.
    pub in_flight: Mutex<HashSet<String>>,
    /// Read-only connections to the own log.
    pub readers: Mutex<Vec<DynStore>>,
    /// A connection to the own log that keeps cosignatures beside its checkpoints.
    pub cosigner: Mutex<DynStore>,
    /// The partners, in configuration order (today's exchange runs with one:
    /// [`Shared::partner`]).
    pub partners: Vec<Partner>,
    /// This node as the partner log's witness.
    pub witness: Mutex<Box<dyn WitnessStore>>,
    /// Tokens.
    pub tokens: Tokens,
    /// Signed-request verifier (the partner node's key).
    pub sigs: SigVerifier,
    /// The joined record.
    pub view: RwLock<View>,
    /// The key of the view `view.snapshot` holds, when it is the view's as it stands.
    snapshotted: Mutex<Option<SnapshotKey>>,
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
    /// The published record's charts as JSON (`/public/record`), made once.
    pub record: std::sync::OnceLock<Result<bytes::Bytes, String>>,
    /// The status as event streams send it (its JSON, the alert count, whether frozen), with
    /// the `changed` count it was made at: made once per change, whatever the number of streams.
    pub status_event: Mutex<(u64, Arc<String>, u64, bool)>,
    /// Open event streams per client address (capped by `limits.long_polls_per_client`, apart
    /// from the long polls so that dashboards never starve a waiting client).
    pub event_streams: crate::http::listen::PerClient,
    /// Set when the node stops: event streams end at once, not after the drain.
    pub stopping: watch::Sender<bool>,
    /// The freeze's record, folded for the logs as they stood (see [`crate::freeze::record`]).
    pub freeze: Mutex<Option<(SnapshotKey, Arc<accord_ledger::freeze::FreezeRecord>)>>,
    /// The freeze findings already raised as alerts in this run.
    pub freeze_alerted: Mutex<HashSet<String>>,
    /// Cosignatures collected for the own log, by size.
    pub cosigned: Mutex<Cosigned>,
    /// The tlog-policy that decides finality, if configured.
    pub policy: Option<accord_tlog::policy::TlogPolicy>,
    /// The largest size found final under `policy`.
    pub final_by_policy: std::sync::atomic::AtomicU64,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Full hash tiles served (they never change), up to [`crate::http::TILE_CACHE`].
    pub tiles: Mutex<HashMap<TileId, Bytes>>,
    /// The HTTP server's bounds (`[limits]`).
    pub limits: crate::http::listen::Limits,
    /// Long polls waiting, per client address (capped by `limits.long_polls_per_client`).
    pub long_polls: crate::http::listen::PerClient,
    /// The audit log's queue (rows wait here for its writer).
    pub audit: crate::audit::Queue,
    _lock: Held,
}

/// Checks a log store holds exactly what its latest signed checkpoint covers: as many entries
/// as its size, and the stored hashes of that tree (cheap: counts, no entry read). A row
/// deleted below the size, or a checkpoint row lost above the entries, is refused here, before
/// the node serves or appends anything on top of it.
fn check_holdings(what: &str, store: &dyn Store) -> Result<(), String> {
    let (size, _) = store.latest().map_err(|e| format!("{what}: {e}"))?;
    let (entries, hashes, _) = store.counts().map_err(|e| format!("{what}: {e}"))?;
    let want = accord_tlog::merkle::stored_count(size);
    if entries != size || hashes != want {
        return Err(format!(
            "{what}: the store holds {entries} entries and {hashes} stored hashes, but its latest signed checkpoint is of size {size} ({size} entries, {want} hashes): it is damaged (a row lost or added). The node does not start on it: restore the folder from a backup (`accord log verify --data DIR` locates the damage){}",
            if what.contains("mirror") { ", or delete the mirror to fetch the partner's log again" } else { "" }
        ));
    }
    Ok(())
}

/// The key, in the node's state, of the floor of signed requests (see [`SigVerifier::with_floor`]).
const SIGNED_FLOOR_STATE: &str = "signed_requests_floor";

/// The key of the virtual treaty clock's value in the node's state.
const CLOCK_STATE: &str = "clock";

/// A virtual clock moved forward to the value the node kept when it was last set (a kept
/// value earlier than the clock's start changes nothing: the clock never goes back).
fn resume_clock(clock: &Clock, storage: &dyn Backend) -> Result<(), String> {
    if !clock.is_virtual() {
        return Ok(());
    }
    let Some(kept) = storage.state(CLOCK_STATE).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let at = std::str::from_utf8(&kept)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or("the node's state: the treaty clock's kept value is not a number of seconds")?;
    if at > clock.now() {
        clock.set(at)?;
    }
    Ok(())
}

/// A partner node this node exchanges with, and what it keeps of that Party's log.
pub struct Partner {
    /// Its Party code.
    pub party: String,
    /// Its base URL.
    pub url: String,
    /// Its log key and node key.
    pub keys: PartnerKeys,
    /// Its log's place among the view's Parties.
    pub view: usize,
    /// Its log, verified: the mirror (none until its first checkpoint is fetched).
    pub mirror: Mutex<Option<Mirror<DynStore>>>,
    /// A fork of its log was seen: nothing more of it is cosigned or acknowledged.
    pub frozen: AtomicBool,
}

impl Shared {
    /// The partner today's exchange runs with (the configuration has exactly one:
    /// [`crate::config::PARTNERS_SUPPORTED`]).
    pub fn partner(&self) -> &Partner {
        &self.partners[0]
    }

    /// The partner whose node key is `key`, if any.
    pub fn partner_by_node_key(&self, key: &VerifierKey) -> Option<&Partner> {
        self.partners.iter().find(|p| p.keys.node.to_string() == key.to_string())
    }

    /// Opens a node's folder for serving: takes the writer lock, starts the sequencer, loads
    /// the view from the own log and the mirror.
    /// A folder another process writes is [`NodeError::Unavailable`]; anything else wrong with
    /// the folder or the configuration is [`NodeError::Invalid`], naming the file or the key.
    pub fn open(data: &Path, cfg: NodeConfig, spec: Arc<TreatySpec>, clock: Clock) -> Result<Arc<Shared>, NodeError> {
        Shared::open_with(data, cfg, spec, clock, Ambient::system())
    }

    /// [`Shared::open`] with the wall clock and the random generator given.
    pub fn open_with(
        data: &Path,
        cfg: NodeConfig,
        spec: Arc<TreatySpec>,
        clock: Clock,
        ambient: Ambient,
    ) -> Result<Arc<Shared>, NodeError> {
        let engine = cfg.engine(data).map_err(NodeError::Invalid)?;
        let storage = crate::storage::open(&engine, data, &cfg.party, &partner_parties(&cfg));
        let (log, lock) = storage.open_writer()?;
        Shared::open_locked(data, (&engine, storage), (log, lock), cfg, spec, clock, ambient).map_err(NodeError::Invalid)
    }

    /// Opens the folder once its writer lock is held.
    fn open_locked(
        data: &Path,
        (engine, storage): (&crate::storage::Engine, Box<dyn Backend>),
        (log, lock): (accord_logstore::Log<DynStore>, Held),
        cfg: NodeConfig,
        spec: Arc<TreatySpec>,
        clock: Clock,
        ambient: Ambient,
    ) -> Result<Arc<Shared>, String> {
        let nd = NodeDir::new(data);
        let keys = cfg.keys()?;
        resume_clock(&clock, &*storage)?;
        let meta = log.meta().clone();
        same_party(&cfg, data, &meta.party)?;
        let node_key = nd.node_signer()?;
        let policy = cfg.policy()?;
        if let Some(p) = &cfg.publish {
            crate::publish::parse_target(&p.to).map_err(|e| format!("publish.to: {e}"))?;
        }
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
        let mut witness = storage.witness().map_err(|e| e.to_string())?;
        let mut partners = Vec::with_capacity(keys.partners.len());
        for (i, (pk, pc)) in keys.partners.iter().zip(&cfg.partners).enumerate() {
            witness.follow(&pk.log).map_err(|e| e.to_string())?;
            let frozen = witness
                .followed()
                .map_err(|e| e.to_string())?
                .iter()
                .any(|f| f.origin == pk.log.name() && f.frozen);
            let mirror = match storage.open_mirror(&pk.party).map_err(|e| e.to_string())? {
                Some(store) => {
                    check_holdings(&format!("the mirror of {}'s log", pk.party), &*store)?;
                    let m = Mirror::open(store).map_err(|e| format!("the mirror of {}: {e}", pk.party))?;
                    if m.vkey().to_string() != pk.log.to_string() {
                        return Err(format!("partner.log_key: the mirror of {} follows {}", pk.party, m.vkey()));
                    }
                    Some(m)
                }
                None => None,
            };
            partners.push(Partner {
                party: pk.party.clone(),
                url: pc.url.clone(),
                keys: pk.clone(),
                view: i + 1,
                mirror: Mutex::new(mirror),
                frozen: AtomicBool::new(frozen),
            });
        }
        let reader = storage.open_reader().map_err(|e| e.to_string())?;
        caught_up(&*reader, latest.0)?;
        check_holdings("the own log", &*reader)?;
        let (view, from_snapshot) = {
            let mirrors: Vec<_> = partners
                .iter()
                .map(|p| p.mirror.lock().unwrap_or_else(|e| e.into_inner()))
                .collect();
            load_view(
                &cfg,
                &meta.origin,
                &reader,
                &mirrors.iter().map(|m| m.as_ref().map(Mirror::store)).collect::<Vec<_>>(),
                &*storage,
                Some(&node_key.public_key()),
            )?
        };
        // What `view.snapshot` already holds, when it is exactly this view (nothing to rewrite).
        let snapshotted = from_snapshot.filter(|k| *k == view.snapshot_key());
        // Requests accepted before this run are refused whatever their `created`: the floor the
        // last run kept (nonces are remembered in memory only).
        let floor = storage
            .state(SIGNED_FLOOR_STATE)
            .map_err(|e| e.to_string())?
            .and_then(|b| std::str::from_utf8(&b).ok().and_then(|t| t.parse::<i64>().ok()))
            .unwrap_or(0);
        let keeper = crate::storage::open(engine, data, &cfg.party, &partner_parties(&cfg));
        let sigs = SigVerifier::new(keys.partners.iter().map(|p| p.node.clone()).collect(), ambient.wall.now()).with_floor(
            floor,
            Box::new(move |v| {
                keeper
                    .put_state(SIGNED_FLOOR_STATE, v.to_string().as_bytes())
                    .map_err(|e| e.to_string())
            }),
        );
        let tokens = Tokens::new(storage.tokens().map_err(|e| e.to_string())?);
        let metrics = Metrics::default();
        metrics.log_size.store(latest.0, Ordering::Relaxed);
        metrics.partner_size.store(view.partner_size(), Ordering::Relaxed);
        let mut cosigned = Cosigned::default();
        // What was collected before a restart: the largest size each cosigner cosigned (not
        // necessarily the latest; a bundle's cosignature may cover an older one).
        // Largest size first: the scan stops once every cosigner is found.
        let cosigners: Vec<&VerifierKey> = keys.partners.iter().map(|p| &p.node).chain(&keys.witnesses).collect();
        reader
            .scan_cosignatures_desc(&mut |size, l| {
                if let Ok(sig) = accord_tlog::note::NoteSignature::parse_line(l) {
                    for k in &cosigners {
                        if sig.name == k.name() && sig.id == k.id() {
                            cosigned.record(k, size);
                        }
                    }
                }
                cosigners.iter().any(|k| cosigned.of(k) == 0)
            })
            .map_err(|e| e.to_string())?;
        let partner_cosigned = keys.partners.first().map_or(0, |p| cosigned.of(&p.node));
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
            cosigner: Mutex::new(storage.open_cosigner().map_err(|e| e.to_string())?),
            partners,
            witness: Mutex::new(witness),
            tokens,
            sigs,
            view: RwLock::new(view),
            snapshotted: Mutex::new(snapshotted),
            latest: watch::channel(latest).0,
            changed: watch::channel(0).0,
            wake: Notify::new(),
            metrics,
            alerts: Mutex::new(Vec::new()),
            record: std::sync::OnceLock::new(),
            status_event: Mutex::new((u64::MAX, Arc::new(String::new()), 0, false)),
            event_streams: crate::http::listen::PerClient::new(cfg.limits.long_polls_per_client),
            stopping: watch::channel(false).0,
            freeze: Mutex::new(None),
            freeze_alerted: Mutex::new(HashSet::new()),
            cosigned: Mutex::new(cosigned),
            final_by_policy: std::sync::atomic::AtomicU64::new(0),
            policy,
            http: crate::client::http_client(),
            tiles: Mutex::new(HashMap::new()),
            limits: crate::http::listen::Limits::from(&cfg.limits),
            long_polls: crate::http::listen::PerClient::new(cfg.limits.long_polls_per_client),
            audit: crate::audit::Queue::new(),
            cfg,
            keys,
            spec,
            clock,
            ambient,
            nd,
            storage,
            _lock: lock,
        });
        shared.check_final(latest_size);
        if partner_cosigned > 0 && partner_cosigned != latest_size {
            shared.check_final(partner_cosigned);
        }
        Ok(shared)
    }

    /// Runs `f` with a read-only connection to the own log.
    pub fn with_reader<T>(&self, f: impl FnOnce(&DynStore) -> Result<T, String>) -> Result<T, String> {
        let r = self.readers.lock().map_err(|_| "reader pool poisoned")?.pop();
        let r = match r {
            Some(r) => r,
            None => self.storage.open_reader().map_err(|e| e.to_string())?,
        };
        let out = f(&r);
        // A reader that failed is not kept: its connection may have ended (a database server
        // restarted), and the next request opens a new one.
        if out.is_ok() {
            if let Ok(mut pool) = self.readers.lock() {
                if pool.len() < 8 {
                    pool.push(r);
                }
            }
        }
        out
    }

    /// The date of the node's treaty clock.
    pub fn today(&self) -> accord_treaty::Date {
        accord_ledger::notification::Timestamp::from_unix(self.clock.now()).date()
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

    /// Re-checks the checkpoint of `size` with every cosignature kept for it against the policy,
    /// and records it as final if the policy is met.
    pub fn check_final(&self, size: u64) {
        let Some(policy) = &self.policy else { return };
        let checked = self.with_reader(|r| {
            let note = r.checkpoint(size).map_err(|e| e.to_string())?.ok_or("no checkpoint")?;
            policy
                .check(&cosigned_note(r, &note, size, &self.cosigners())?)
                .map_err(|e| e.to_string())
        });
        if checked.is_ok() {
            self.final_by_policy.fetch_max(size, Ordering::SeqCst);
        }
    }

    /// Sets the virtual treaty clock forward to `unix` and keeps its value in the node's
    /// state, so that a restarted node resumes from it instead of going back to its
    /// configured start; refuses the system clock and any move backwards ([`Clock::set`]).
    pub fn set_clock(&self, unix: i64) -> Result<i64, NodeError> {
        if let Some(days) = self.cfg.clock.max_step_days {
            let now = self.clock.now();
            if unix.saturating_sub(now) > i64::from(days) * 86_400 {
                return Err(NodeError::Conflict(format!(
                    "now: {} is more than {days} days after the clock ({}): clock.max_step_days refuses it; move the clock in smaller steps",
                    crate::clock::rfc3339(unix),
                    crate::clock::rfc3339(now)
                )));
            }
        }
        self.clock.set(unix).map_err(NodeError::Conflict)?;
        // The clock is part of the status: event streams send it.
        self.bump();
        self.storage
            .put_state(CLOCK_STATE, self.clock.now().to_string().as_bytes())
            .map_err(|e| NodeError::Internal(format!("the clock was set but its value not kept: {e}")))?;
        Ok(unix)
    }

    /// Stops the sequencer (finishing queued appends).
    pub fn stop(&self) {
        if let Ok(mut s) = self.seq.lock() {
            if let Some(seq) = s.take() {
                seq.stop();
            }
        }
        // What the view holds is durable in both logs: keep it, so the next open reads the
        // snapshot and only the entries written after it.
        if let (Ok(v), Ok(mut kept)) = (self.view.read(), self.snapshotted.lock()) {
            let key = v.snapshot_key();
            if kept.as_ref() != Some(&key) {
                match write_snapshot(&*self.storage, &self.node_key, &v) {
                    Ok(()) => *kept = Some(key),
                    Err(e) => tracing::warn!("the view's snapshot was not written: {e}"),
                }
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
        let c = c.summary(&self.keys);
        let mut w = c.witnesses;
        w.sort_unstable_by(|a, b| b.cmp(a));
        let q = self.cfg.quorum();
        let by_witnesses = if q == 0 { u64::MAX } else { w.get(q - 1).copied().unwrap_or(0) };
        c.partner.min(by_witnesses)
    }
}

/// The checkpoint `note` of `size` with every cosignature kept for it that is by one of
/// `cosigners` and verifies over it: a line that does not (forged into the store, say) is
/// never served, in `/log/checkpoint`, a proof or a bundle, nor counted toward finality.
pub fn cosigned_note<S: Store + ?Sized>(r: &S, note: &[u8], size: u64, cosigners: &[VerifierKey]) -> Result<accord_tlog::Note, String> {
    let mut note = accord_tlog::Note::parse(note).map_err(|e| e.to_string())?;
    for line in r.cosignatures(size).map_err(|e| e.to_string())? {
        if let Some(sig) = verified_cosignature(&note.text, &line, cosigners) {
            note.signatures.push(sig);
        }
    }
    Ok(note)
}

/// A cosignature line over the checkpoint `text`, if it is by one of `cosigners` and verifies.
pub fn verified_cosignature(text: &str, line: &str, cosigners: &[VerifierKey]) -> Option<accord_tlog::note::NoteSignature> {
    let sig = accord_tlog::note::NoteSignature::parse_line(line).ok()?;
    let key = cosigners.iter().find(|k| k.name() == sig.name && k.id() == sig.id)?;
    let one = accord_tlog::Note {
        text: text.to_owned(),
        signatures: vec![sig.clone()],
    };
    one.verify(std::slice::from_ref(key)).ok().map(|_| sig)
}

impl Shared {
    /// Everyone whose cosignature of the own log is kept and served: each partner node and
    /// each witness.
    pub fn cosigners(&self) -> Vec<VerifierKey> {
        self.keys.cosigners()
    }
}

/// The view of every Party's log: the own log through `own`, each partner's (configuration
/// order) through its mirror's store when it has one.
fn load_view(
    cfg: &NodeConfig,
    own_origin: &str,
    own: &dyn Store,
    mirrors: &[Option<&DynStore>],
    storage: &dyn Backend,
    node_key: Option<&[u8; 32]>,
) -> Result<(View, Option<SnapshotKey>), String> {
    let keys = cfg.keys()?;
    let mut parties: Vec<(&str, &str)> = vec![(cfg.party.as_str(), own_origin)];
    parties.extend(keys.partners.iter().map(|p| (p.party.as_str(), p.log.name())));
    let mut logs: Vec<Option<&dyn Store>> = vec![Some(own)];
    logs.extend(mirrors.iter().map(|m| m.map(|m| &**m)));
    let snapshot = node_key.and_then(|k| snapshot_for(&parties, &logs, storage, k));
    if let Some(mut view) = snapshot {
        // The tail written since: own entries, then each mirror's (an acknowledgement of an
        // entry not yet pushed waits for it, as in the live exchange).
        let key = view.snapshot_key();
        for (p, log) in logs.iter().enumerate() {
            if let Some(log) = log {
                for r in read_range(*log, storage, key.of(p).0)? {
                    view.push(p, r.given());
                }
            }
        }
        return Ok((view, Some(key)));
    }
    let mut view = View::new(&parties);
    let mut read = Vec::with_capacity(logs.len());
    for log in &logs {
        read.push(match log {
            Some(l) => read_range(*l, storage, 0)?,
            None => Vec::new(),
        });
    }
    view.load(read.iter().map(|r| given(r)).collect());
    Ok((view, None))
}

/// The view's snapshot the storage keeps, if there is one this build reads, signed by this
/// node's key, made for this node's Parties and origins, and covering a beginning of every log
/// as it is now (each log at least as long, with the same leaf at the snapshot's last index).
/// Anything else is ignored and the view rebuilt: a snapshot is never trusted beyond what the
/// logs confirm.
fn snapshot_for(parties: &[(&str, &str)], logs: &[Option<&dyn Store>], storage: &dyn Backend, node_key: &[u8; 32]) -> Option<View> {
    let bytes = match storage.snapshot() {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!("the view's snapshot: {e}; rebuilding the view");
            return None;
        }
    };
    let view = match open_snapshot(node_key, &bytes) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("the view's snapshot: {e}; rebuilding the view");
            return None;
        }
    };
    if !view.is_of(parties) {
        return None;
    }
    let key = view.snapshot_key();
    let covers = |store: Option<&dyn Store>, (size, last): (u64, Option<accord_tlog::Hash>)| -> bool {
        let Some(store) = store else { return size == 0 };
        let Ok((held, _)) = store.latest() else { return false };
        if size == 0 {
            return true;
        }
        if held < size {
            return false;
        }
        let mut leaf = None;
        let read = store.scan_entries(size - 1, size, &mut |_, e| {
            leaf = Some(accord_tlog::merkle::leaf_hash(e));
            Ok(())
        });
        read.is_ok() && leaf.is_some() && leaf == last
    };
    logs.iter().enumerate().all(|(p, l)| covers(*l, key.of(p))).then_some(view)
}

/// The first line of a signed view snapshot.
const SIGNED_SNAPSHOT: &[u8] = b"accord-view-snapshot-signed/1\n";

/// What the node key signs for a snapshot: a domain-separated prefix and the snapshot's header
/// (its format line and the SHA-256 of its body, which [`View::from_snapshot`] checks), so the
/// body is hashed once. It can be taken neither for a note text nor for an RFC 9421 signature
/// base, which begins with a quote.
fn snapshot_message(snapshot: &[u8]) -> Vec<u8> {
    let header = crate::view::SNAPSHOT_FORMAT.len() + 32;
    let mut m = b"accord view snapshot\n".to_vec();
    m.extend_from_slice(&snapshot[..header.min(snapshot.len())]);
    m
}

/// The view's snapshot signed with the node key, so that whoever can write the folder but does
/// not hold the node key (the same key that cosigns) cannot make a node believe another view.
pub fn seal_snapshot(key: &SignerKey, view: &View) -> Vec<u8> {
    let snapshot = view.to_snapshot();
    let mut out = SIGNED_SNAPSHOT.to_vec();
    out.extend_from_slice(&key.sign_raw(&snapshot_message(&snapshot)));
    out.extend_from_slice(&snapshot);
    out
}

/// A view from [`seal_snapshot`]'s bytes, checked against the node key's public half.
pub fn open_snapshot(public_key: &[u8; 32], bytes: &[u8]) -> Result<View, String> {
    let rest = bytes
        .strip_prefix(SIGNED_SNAPSHOT)
        .ok_or("not a signed view snapshot of this format")?;
    if rest.len() < 64 {
        return Err("truncated".into());
    }
    let (sig, snapshot) = rest.split_at(64);
    let sig: [u8; 64] = sig.try_into().map_err(|_| "truncated")?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(public_key).map_err(|e| e.to_string())?;
    use ed25519_dalek::Verifier as _;
    key.verify(&snapshot_message(snapshot), &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| "its signature is not this node's".to_string())?;
    View::from_snapshot(snapshot)
}

/// Keeps the view's snapshot, signed, in the node's storage (durably, replacing the old whole).
pub fn write_snapshot(storage: &dyn Backend, key: &SignerKey, view: &View) -> Result<(), String> {
    storage.put_snapshot(&seal_snapshot(key, view)).map_err(|e| e.to_string())
}

fn given(v: &[Read]) -> Vec<Given<'_>> {
    v.iter().map(Read::given).collect()
}

/// Refuses a folder whose log is not the configured Party's.
fn same_party(cfg: &NodeConfig, data: &Path, log_party: &str) -> Result<(), String> {
    if log_party == cfg.party {
        return Ok(());
    }
    Err(format!(
        "party: the configuration says {}, the log in {} is {log_party}'s",
        cfg.party,
        data.display()
    ))
}

/// The view of a node's folder, read as a stopped folder is read: no writer lock, no
/// sequencer, nothing written (the own log and the mirror opened read-only), so it works beside
/// a running node too. Checks the folder belongs to `cfg`'s Party and its partner.
pub fn read_view(data: &Path, cfg: &NodeConfig) -> Result<View, String> {
    let nd = NodeDir::new(data);
    let keys = cfg.keys()?;
    let storage = crate::storage::open(&cfg.engine(data)?, data, &cfg.party, &partner_parties(cfg));
    let reader = storage.open_reader().map_err(|e| e.to_string())?;
    let meta = reader.meta().map_err(|e| e.to_string())?;
    same_party(cfg, data, &meta.party)?;
    let mut mirrors = Vec::with_capacity(keys.partners.len());
    for pk in &keys.partners {
        let mirror = storage
            .read_mirror(&pk.party)
            .map_err(|e| format!("the mirror of {}: {e}", pk.party))?;
        if let Some(m) = &mirror {
            let pm = m.meta().map_err(|e| format!("the mirror of {}: {e}", pk.party))?;
            if pm.origin != pk.log.name() {
                return Err(format!("partner.log_key: the mirror of {} follows {}", pk.party, pm.origin));
            }
        }
        mirrors.push(mirror);
    }
    // Without a readable node key the snapshot cannot be checked: the view is rebuilt.
    let node_key = match nd.node_signer() {
        Ok(k) => Some(k.public_key()),
        Err(e) => {
            tracing::warn!("{e}; the view's snapshot is not used");
            None
        }
    };
    load_view(
        cfg,
        &meta.origin,
        &*reader,
        &mirrors.iter().map(Option::as_ref).collect::<Vec<_>>(),
        &*storage,
        node_key.as_ref(),
    )
    .map(|(v, _)| v)
}

/// The treaty clock of a node's folder, read as a stopped folder is read (nothing written): a
/// virtual clock's later of `clock.virtual_start` and the value kept when it was last set, or
/// `None` for a node on the system clock.
pub fn folder_clock(data: &Path, cfg: &NodeConfig) -> Result<Option<i64>, String> {
    let Some(start) = &cfg.clock.virtual_start else { return Ok(None) };
    let start = crate::view::parse_time(start).map_err(|e| format!("clock.virtual_start: {e}"))?;
    let storage = crate::storage::open(&cfg.engine(data)?, data, &cfg.party, &partner_parties(cfg));
    let kept = storage
        .state(CLOCK_STATE)
        .map_err(|e| e.to_string())?
        .and_then(|b| std::str::from_utf8(&b).ok().and_then(|t| t.parse::<i64>().ok()));
    Ok(Some(kept.map_or(start, |k| k.max(start))))
}

/// Waits (up to 30 s) until `reader` holds the own log's `size`: a reader on a standby
/// (`[store] read_url`) that lags would give the node a view behind its own log, which the
/// entries it appends could never extend. With the synchronous standby at `remote_apply` it
/// never lags; another standby is refused, naming the key.
fn caught_up(reader: &dyn Store, size: u64) -> Result<(), String> {
    let t0 = std::time::Instant::now();
    loop {
        let at = reader.latest().map_err(|e| e.to_string())?.0;
        if at >= size {
            return Ok(());
        }
        if t0.elapsed() > std::time::Duration::from_secs(30) {
            return Err(format!(
                "store.read_url: the standby holds the own log at size {at}, the primary at {size}: read from the synchronous standby (synchronous_commit = remote_apply)"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The partners' Party codes, in configuration order.
fn partner_parties(cfg: &NodeConfig) -> Vec<String> {
    cfg.partners.iter().map(|p| p.party.clone()).collect()
}

/// An entry read from a store: its bytes, the notification it logs by hash (when at hand) and
/// its leaf hash as the store holds it.
struct Read {
    bytes: Vec<u8>,
    blob: Option<Vec<u8>>,
    leaf: Option<accord_tlog::Hash>,
}

impl Read {
    fn given(&self) -> Given<'_> {
        Given {
            bytes: &self.bytes,
            blob: self.blob.clone(),
            leaf: self.leaf,
        }
    }
}

/// The entries of a store from `from` on, with the blob of each entry logged by hash (when at
/// hand) and each leaf hash from the store's stored hashes (one scan; a leaf hash the store
/// does not give is computed by the view).
fn read_range(store: &dyn Store, blobs: &dyn Backend, from: u64) -> Result<Vec<Read>, String> {
    use accord_tlog::merkle::{stored_count, stored_index};
    let (size, _) = store.latest().map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(size.saturating_sub(from) as usize);
    if from >= size {
        return Ok(out);
    }
    let mut at = Vec::with_capacity(out.capacity());
    store
        .scan_entries(from, size, &mut |i, e| {
            at.push(i);
            out.push(Read {
                bytes: e.to_vec(),
                blob: None,
                leaf: None,
            });
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let base = stored_index(0, from);
    let mut stored: Vec<Option<accord_tlog::Hash>> = vec![None; stored_count(size).saturating_sub(base) as usize];
    let scanned = store.scan_hashes(base, stored_count(size), &mut |id, raw| {
        if let Some(slot) = stored.get_mut((id - base) as usize) {
            *slot = accord_logstore::store::to_hash("stored hash", raw).ok();
        }
        Ok(())
    });
    if scanned.is_ok() {
        for (r, i) in out.iter_mut().zip(at) {
            r.leaf = stored.get((stored_index(0, i) - base) as usize).copied().flatten();
        }
    }
    // Stored entries are canonical JSON, so one that logs its notification by hash contains
    // its attachment's name verbatim: only those are read further.
    let marker = format!("\"name\":\"{}\"", accord_tlog::entry::NOTIFICATION_ATTACHMENT);
    for r in out.iter_mut() {
        if !contains(&r.bytes, marker.as_bytes()) {
            continue;
        }
        if let Some(h) = by_hash(&r.bytes) {
            r.blob = blobs.blob(&h).ok();
        }
    }
    Ok(out)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The SHA-256 (hex) of the notification an entry logs by hash.
pub fn by_hash(entry: &[u8]) -> Option<String> {
    accord_tlog::entry::logged_by_hash(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cosignatures are kept by cosigner key, the largest size each; the status's summary puts
    /// the partner node's first and the witnesses' in configuration order.
    #[test]
    fn cosignatures_are_kept_by_cosigner() {
        let key = |name: &str, seed: u8| SignerKey::from_seed(name, ALG_COSIGNATURE_V1, [seed; 32]).expect("key").verifier();
        let (partner, w1, w2) = (key("ru/node", 1), key("witness-1", 2), key("witness-2", 3));
        let mut c = Cosigned::default();
        c.record(&partner, 7);
        c.record(&partner, 5);
        c.record(&w2, 9);
        assert_eq!((c.of(&partner), c.of(&w1), c.of(&w2)), (7, 0, 9));
        let keys = Keys {
            partners: vec![crate::config::PartnerKeys {
                party: "RU".into(),
                log: key("ru", 4),
                node: partner,
            }],
            witnesses: vec![w1, w2],
        };
        assert_eq!(
            c.summary(&keys),
            CosignedBy {
                partner: 7,
                witnesses: vec![0, 9]
            }
        );
    }
}
