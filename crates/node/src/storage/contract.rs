//! The contract every node storage backend keeps ([`Backend`], [`TokenStore`]); the
//! behaviour behind it is checked by [`super::conformance`].

use crate::error::NodeError;
use accord_logstore::store::DynStore;
use accord_logstore::witness::WitnessStore;
use accord_logstore::Log;
use accord_tlog::VerifierKey;

/// Held while a node writes its folder; dropping it releases the writer lock.
pub type Held = Box<dyn std::any::Any + Send + Sync>;

/// The storage of one node's folder.
pub trait Backend: Send + Sync {
    /// The backend's name, as the configuration spells it.
    fn name(&self) -> &'static str;
    /// Opens the own log for appending, taking the writer lock (another writer:
    /// [`NodeError::Unavailable`]).
    fn open_writer(&self) -> Result<(Log<DynStore>, Held), NodeError>;
    /// A read-only handle on the own log (no lock; consistent snapshots beside the writer).
    fn open_reader(&self) -> Result<DynStore, NodeError>;
    /// A handle on the own log that keeps cosignatures (they are outside the tree, so it runs
    /// beside the writer).
    fn open_cosigner(&self) -> Result<DynStore, NodeError>;
    /// The mirror of Party `party`'s log, for writing, if one was created.
    fn open_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError>;
    /// The mirror of Party `party`'s log, read-only, if one was created.
    fn read_mirror(&self, party: &str) -> Result<Option<DynStore>, NodeError>;
    /// Creates the mirror of Party `party`'s log from its log key and signed size-0
    /// checkpoint, whole or not at all, and opens it for writing. Refuses if one exists, and
    /// for a Party that is not a partner of this folder's node.
    fn create_mirror(&self, vkey: &VerifierKey, party: &str, checkpoint0: &[u8]) -> Result<DynStore, NodeError>;
    /// The witness state (what this node cosigned of the partner's log, fork evidence).
    fn witness(&self) -> Result<Box<dyn WitnessStore>, NodeError>;
    /// The token and sign-in store.
    fn tokens(&self) -> Result<Box<dyn TokenStore>, NodeError>;
    /// The view's snapshot as last kept, if any (its signature is checked by the caller).
    fn snapshot(&self) -> Result<Option<Vec<u8>>, NodeError>;
    /// Keeps the view's snapshot durably, replacing the old one whole.
    fn put_snapshot(&self, bytes: &[u8]) -> Result<(), NodeError>;
    /// The blob named by `hex` (a SHA-256), checked against its name.
    fn blob(&self, hex: &str) -> Result<Vec<u8>, NodeError>;
    /// Keeps `bytes` durably under their SHA-256; returns the name. Twice is harmless.
    fn put_blob(&self, bytes: &[u8]) -> Result<String, NodeError>;
    /// A value of the node's own state by key (the treaty clock's value; what the hardening
    /// work adds, nonces and revocations, belongs here too), if kept.
    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, NodeError>;
    /// Keeps a value of the node's own state durably, replacing the old one whole.
    fn put_state(&self, key: &str, bytes: &[u8]) -> Result<(), NodeError>;
    /// A secret this node keeps (its share of a joint choice, before it is revealed), by name.
    fn secret(&self, name: &str) -> Result<Option<Vec<u8>>, NodeError>;
    /// Keeps a secret durably and readable by this node only, before anything that relies on
    /// it is logged.
    fn put_secret(&self, name: &str, bytes: &[u8]) -> Result<(), NodeError>;
    /// Forgets a secret whose commitment was refused (nothing relies on it); absent is fine.
    fn remove_secret(&self, name: &str) -> Result<(), NodeError>;
}

/// Where `party` is among a node's `partners` (configuration order); a Party that is not
/// one is refused.
pub fn partner_of(partners: &[String], party: &str) -> Result<usize, NodeError> {
    partners
        .iter()
        .position(|p| p == party)
        .ok_or_else(|| NodeError::NotFound(format!("partner.party: {party:?} is not a partner of this node")))
}

/// A partner's Party code as a file or schema name takes it: letters and digits (at most 16),
/// refused otherwise, naming the key.
pub fn party_code(party: &str) -> Result<&str, NodeError> {
    if !party.is_empty() && party.len() <= 16 && party.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(party)
    } else {
        Err(NodeError::Invalid(format!(
            "partner.party: {party:?}: a Party code of letters and digits expected"
        )))
    }
}

/// A token as the store keeps it: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The token's SHA-256.
    pub hash: Vec<u8>,
    /// Its role's name.
    pub role: String,
    /// The name its holder is known by.
    pub name: String,
    /// When it was made (POSIX seconds).
    pub created: i64,
    /// When it stops being accepted, if ever.
    pub expires: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked: Option<i64>,
}

impl TokenRow {
    /// Whether it is accepted at `now`: not revoked, not expired.
    pub fn live(&self, now: i64) -> bool {
        self.revoked.is_none() && self.expires.is_none_or(|e| now <= e)
    }
}

/// Who holds a live credential: the role, and the token it is (or a session was made from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The role's name.
    pub role: String,
    /// The token's name.
    pub name: String,
    /// The token's SHA-256.
    pub token: Vec<u8>,
}

/// One row of a node's audit log: what a credential did (a write, a sign-in, a refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Its place in the log, from 1 (0 in a row not yet kept).
    pub seq: u64,
    /// When (POSIX seconds, the wall clock).
    pub at: i64,
    /// The token's name and the first 8 hex digits of its SHA-256 (`ops#1a2b3c4d`), `partner
    /// node` for a signed request, `-` without a credential.
    pub who: String,
    /// The role it held (`-` when refused or none).
    pub role: String,
    /// The client's address.
    pub client: String,
    /// The HTTP method.
    pub method: String,
    /// The path asked for (no query: it may hold a date but never a secret).
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// The most rows an audit log keeps: the oldest beyond are dropped as new ones come, so a
/// flood of refused requests cannot fill the disk.
pub const AUDIT_KEEP: u64 = 1_000_000;

/// The token and sign-in store: rows keyed by the SHA-256 of a token or session id (the
/// secrets themselves are never stored). Roles are stored by name. A session lives no longer
/// than the token it was made from: revoking or expiring a token ends its sessions.
pub trait TokenStore: Send + Sync {
    /// Keeps a token's row; a hash kept already is [`NodeError::Conflict`].
    fn add_token(&self, row: &TokenRow) -> Result<(), NodeError>;
    /// Who holds a token's hash, if the token is live at `now`.
    fn token_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError>;
    /// Keeps a session's hash, made from the token whose hash is `token`, with its role name
    /// until `expires`, dropping sessions expired at `now`.
    fn add_session(&self, hash: &[u8], token: &[u8], role: &str, expires: i64, now: i64) -> Result<(), NodeError>;
    /// Ends a session; whether it was kept.
    fn end_session(&self, hash: &[u8]) -> Result<bool, NodeError>;
    /// Who holds a session's hash, if it has not expired at `now` and the token it was made
    /// from is live then.
    fn session_role(&self, hash: &[u8], now: i64) -> Result<Option<Holder>, NodeError>;
    /// Revokes the tokens with these hashes at `now`, ending their sessions; how many were
    /// live.
    fn revoke(&self, hashes: &[Vec<u8>], now: i64) -> Result<usize, NodeError>;
    /// Every token kept, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRow>, NodeError>;
    /// Appends rows to the audit log (their `seq` is given here), keeping at most
    /// [`AUDIT_KEEP`].
    fn audit(&self, rows: &[AuditRow]) -> Result<(), NodeError>;
    /// The audit log's rows after `after` (a `seq`), oldest first, at most `limit`.
    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, NodeError>;
}
