//! The behaviour every node storage [`Backend`] must show (the log stores themselves also pass
//! `accord_logstore::conformance`, and the witness state its `witness_store` suite). Each check
//! panics naming the rule broken. [`run_all`] takes backends on fresh node folders (made by
//! `NodeDir::init`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::contract::Backend;
use crate::error::NodeError;
use accord_logstore::conformance::snapshot_readers_of;
use accord_logstore::mirror::Mirror;
use accord_logstore::store::Store;
use accord_tlog::note::ALG_ED25519;
use accord_tlog::SignerKey;

/// Runs every check, each on a backend `make` gives for a fresh folder.
pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Backend>) {
    one_writer(&*make());
    readers_see_snapshots(&*make());
    cosignatures_beside_the_writer(&*make());
    mirror_whole_once(&*make());
    witness_state_is_the_folders(&*make());
    tokens_and_sessions(&*make());
    audit_log_kept(&*make());
    snapshot_replaced_whole(&*make());
    blobs_by_hash(&*make());
    secrets_kept(&*make());
    node_state_kept(&*make());
}

/// The node's own state is absent until kept, then read back by key, the last value kept.
pub fn node_state_kept(b: &dyn Backend) {
    assert_eq!(b.state("clock").unwrap(), None);
    b.put_state("clock", b"1300000000").unwrap();
    b.put_state("clock", b"1300000500").unwrap();
    b.put_state("other", b"x").unwrap();
    assert_eq!(b.state("clock").unwrap().as_deref(), Some(&b"1300000500"[..]), "replaced");
    assert_eq!(b.state("other").unwrap().as_deref(), Some(&b"x"[..]), "kept apart by key");
}

/// A secret is absent until kept, then read back as kept, by name.
pub fn secrets_kept(b: &dyn Backend) {
    assert_eq!(b.secret("I-1").unwrap(), None);
    b.put_secret("I-1", b"nonce and value").unwrap();
    b.put_secret("I/2 other", b"another").unwrap();
    assert_eq!(b.secret("I-1").unwrap().as_deref(), Some(&b"nonce and value"[..]));
    assert_eq!(b.secret("I/2 other").unwrap().as_deref(), Some(&b"another"[..]));
    assert_eq!(b.secret("I_2 other").unwrap(), None, "names that look alike are kept apart");
    b.remove_secret("I-1").unwrap();
    assert_eq!(b.secret("I-1").unwrap(), None, "removed");
    assert!(b.secret("I/2 other").unwrap().is_some(), "the other is kept");
    b.remove_secret("never kept").unwrap();
}

/// One writer at a time; the lock goes with the writer.
pub fn one_writer(b: &dyn Backend) {
    let (mut log, held) = b.open_writer().expect("the first writer");
    assert!(
        matches!(b.open_writer(), Err(NodeError::Unavailable(_))),
        "a second writer is Unavailable"
    );
    log.append(&[b"one".to_vec()]).unwrap();
    drop((log, held));
    let (log, _held) = b.open_writer().expect("a writer once the first is gone");
    assert_eq!(log.size(), 1, "what the first writer appended is kept");
}

/// Readers see consistent snapshots while the writer appends.
pub fn readers_see_snapshots(b: &dyn Backend) {
    let (log, _held) = b.open_writer().unwrap();
    let readers = vec![b.open_reader().unwrap(), b.open_reader().unwrap()];
    snapshot_readers_of(log, readers);
}

/// The cosigner keeps cosignatures while the writer holds the log; readers see them.
pub fn cosignatures_beside_the_writer(b: &dyn Backend) {
    let (mut log, _held) = b.open_writer().unwrap();
    log.append(&[b"a".to_vec(), b"b".to_vec()]).unwrap();
    let mut c = b.open_cosigner().unwrap();
    assert_eq!(c.add_cosignatures(2, &["— w AAAA".into()]).unwrap(), 1);
    assert_eq!(b.open_reader().unwrap().cosignatures(2).unwrap(), ["— w AAAA"]);
    log.append(&[b"c".to_vec()]).unwrap();
    assert_eq!(b.open_reader().unwrap().latest().unwrap().0, 3, "the writer goes on");
}

/// The Parties [`run_all`]'s backends are made with as partners (two, so that mirrors are
/// seen kept apart by Party).
pub const PARTNERS: [&str; 2] = ["RU", "XX"];

/// Each partner's mirror is absent until created, created once, and then opens as a mirror,
/// apart from another partner's; a Party that is no partner has none.
pub fn mirror_whole_once(b: &dyn Backend) {
    assert!(b.open_mirror("RU").unwrap().is_none(), "no mirror before one is created");
    assert!(b.read_mirror("RU").unwrap().is_none());
    assert!(b.open_mirror("ZZ").is_err(), "no mirror for a Party that is no partner");
    let partner = SignerKey::from_seed("example.org/conformance/partner", ALG_ED25519, [3; 32]).unwrap();
    let mut plog = accord_logstore::Log::create(accord_logstore::memory::MemoryStore::new(), partner.clone(), "RU").unwrap();
    let cp0 = plog.latest().to_vec();
    let store = b.create_mirror(&partner.verifier(), "RU", &cp0).expect("create");
    assert!(
        b.create_mirror(&partner.verifier(), "RU", &cp0).is_err(),
        "a second mirror is refused"
    );
    let mut m = Mirror::open(store).expect("the mirror opens");
    plog.append(&[b"x".to_vec(), b"y".to_vec()]).unwrap();
    m.extend(&[b"x".to_vec(), b"y".to_vec()], plog.latest()).expect("extend");
    let r = b.read_mirror("RU").unwrap().expect("read");
    assert_eq!(r.latest().unwrap().0, 2, "the mirror's readers see its entries");
    assert_eq!(Mirror::open(b.open_mirror("RU").unwrap().unwrap()).unwrap().size(), 2);
    // Another partner's mirror: its own, created beside the first.
    assert!(b.open_mirror("XX").unwrap().is_none(), "mirrors are kept by Party");
    let other = SignerKey::from_seed("example.org/conformance/other", ALG_ED25519, [5; 32]).unwrap();
    let olog = accord_logstore::Log::create(accord_logstore::memory::MemoryStore::new(), other.clone(), "XX").unwrap();
    let o = b.create_mirror(&other.verifier(), "XX", olog.latest()).expect("create another");
    assert_eq!(Mirror::open(o).unwrap().size(), 0);
    assert_eq!(
        Mirror::open(b.open_mirror("RU").unwrap().unwrap()).unwrap().size(),
        2,
        "the first is untouched"
    );
    assert!(
        b.create_mirror(&other.verifier(), "ZZ", olog.latest()).is_err(),
        "a Party that is no partner"
    );
}

/// Every handle on the witness state sees the same state.
pub fn witness_state_is_the_folders(b: &dyn Backend) {
    let k = SignerKey::from_seed("example.org/conformance/followed", ALG_ED25519, [4; 32]).unwrap();
    b.witness().unwrap().follow(&k.verifier()).unwrap();
    let f = b.witness().unwrap().followed().unwrap();
    assert_eq!(f.len(), 1, "a log followed through one handle is followed through another");
    assert!(b.witness().unwrap().record_fork(&f[0].origin, b"a", b"b", 1).unwrap());
    assert!(b.witness().unwrap().followed().unwrap()[0].frozen);
}

/// Tokens are found by hash while live; sessions live until their expiry, end when ended,
/// and never outlive their token: an expired or revoked token's sessions are refused.
pub fn tokens_and_sessions(b: &dyn Backend) {
    use super::contract::TokenRow;
    let row = |h: &[u8], expires: Option<i64>| TokenRow {
        hash: h.to_vec(),
        role: "operator".into(),
        name: "ops".into(),
        created: 10,
        expires,
        revoked: None,
    };
    let t = b.tokens().unwrap();
    t.add_token(&row(b"h1", None)).unwrap();
    assert!(
        matches!(t.add_token(&row(b"h1", None)), Err(NodeError::Conflict(_))),
        "a hash kept once"
    );
    assert_eq!(
        b.tokens().unwrap().token_role(b"h1", 20).unwrap().map(|h| h.role).as_deref(),
        Some("operator")
    );
    assert_eq!(t.token_role(b"h2", 20).unwrap(), None);
    t.add_session(b"s1", b"h1", "analyst", 100, 50).unwrap();
    assert_eq!(
        t.session_role(b"s1", 100).unwrap().map(|h| h.role).as_deref(),
        Some("analyst"),
        "live at its expiry"
    );
    assert_eq!(t.session_role(b"s1", 101).unwrap(), None, "expired after");
    assert!(t.end_session(b"s1").unwrap());
    assert!(!t.end_session(b"s1").unwrap(), "ended once");
    assert_eq!(t.session_role(b"s1", 60).unwrap(), None);
    t.add_session(b"s2", b"h1", "analyst", 100, 50).unwrap();
    t.add_session(b"s3", b"h1", "analyst", 300, 200).unwrap();
    assert_eq!(t.session_role(b"s2", 60).unwrap(), None, "a new session drops the expired ones");
    // A token that expires: accepted until then, and its session with it.
    t.add_token(&row(b"h3", Some(400))).unwrap();
    t.add_session(b"s4", b"h3", "operator", 500, 300).unwrap();
    assert_eq!(t.token_role(b"h3", 400).unwrap().map(|h| h.role).as_deref(), Some("operator"));
    assert_eq!(t.session_role(b"s4", 400).unwrap().map(|h| h.role).as_deref(), Some("operator"));
    assert_eq!(t.token_role(b"h3", 401).unwrap(), None, "expired");
    assert_eq!(t.session_role(b"s4", 401).unwrap(), None, "a session ends with its token");
    // Revoked: the token and every session made from it.
    assert_eq!(t.session_role(b"s3", 250).unwrap().map(|h| h.role).as_deref(), Some("analyst"));
    assert_eq!(t.revoke(&[b"h1".to_vec()], 260).unwrap(), 1);
    assert_eq!(t.revoke(&[b"h1".to_vec()], 261).unwrap(), 0, "revoked once");
    assert_eq!(t.token_role(b"h1", 262).unwrap(), None);
    assert_eq!(t.session_role(b"s3", 262).unwrap(), None, "its sign-ins end");
    let rows = b.tokens().unwrap().tokens().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].revoked, rows[1].expires), (Some(260), Some(400)));
}

/// Who holds a token or a session is the token's name and hash; the audit log keeps rows in
/// order, numbered from 1, shared by every handle on the folder, and read from any row on.
pub fn audit_log_kept(b: &dyn Backend) {
    use super::contract::{AuditRow, TokenRow};
    let t = b.tokens().unwrap();
    t.add_token(&TokenRow {
        hash: b"h1".to_vec(),
        role: "operator".into(),
        name: "ops".into(),
        created: 10,
        expires: None,
        revoked: None,
    })
    .unwrap();
    t.add_session(b"s1", b"h1", "operator", 100, 50).unwrap();
    for h in [t.token_role(b"h1", 60).unwrap(), t.session_role(b"s1", 60).unwrap()] {
        let h = h.expect("live");
        assert_eq!((h.name.as_str(), h.token.as_slice()), ("ops", &b"h1"[..]));
    }
    assert_eq!(t.audit_log(0, 10).unwrap(), vec![]);
    let row = |path: &str, status: u16| AuditRow {
        seq: 0,
        at: 70,
        who: "ops#6831".into(),
        role: "operator".into(),
        client: "127.0.0.1:5000".into(),
        method: "POST".into(),
        path: path.into(),
        status,
    };
    t.audit(&[row("/api/v1/notifications", 200), row("/api/v1/clock", 409)]).unwrap();
    b.tokens().unwrap().audit(&[row("/api/v1/session", 401)]).unwrap();
    let all = b.tokens().unwrap().audit_log(0, 10).unwrap();
    assert_eq!(
        all.iter().map(|r| (r.seq, r.status)).collect::<Vec<_>>(),
        vec![(1, 200), (2, 409), (3, 401)]
    );
    assert_eq!(
        all[0],
        AuditRow {
            seq: 1,
            ..row("/api/v1/notifications", 200)
        }
    );
    assert_eq!(
        t.audit_log(1, 1).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![2],
        "after 1, one row"
    );
}

/// The view's snapshot is absent, then kept, then replaced whole.
pub fn snapshot_replaced_whole(b: &dyn Backend) {
    assert_eq!(b.snapshot().unwrap(), None);
    b.put_snapshot(b"first, longer").unwrap();
    assert_eq!(b.snapshot().unwrap().as_deref(), Some(&b"first, longer"[..]));
    b.put_snapshot(b"second").unwrap();
    assert_eq!(b.snapshot().unwrap().as_deref(), Some(&b"second"[..]), "replaced whole");
}

/// Blobs are kept by their SHA-256 and found by it; an unknown one is NotFound.
pub fn blobs_by_hash(b: &dyn Backend) {
    let hex = b.put_blob(b"a notification").unwrap();
    assert_eq!(hex, accord_logstore::dir::sha256_hex(b"a notification"));
    assert_eq!(b.put_blob(b"a notification").unwrap(), hex, "twice is harmless");
    assert_eq!(b.blob(&hex).unwrap(), b"a notification");
    let other = accord_logstore::dir::sha256_hex(b"never kept");
    assert!(matches!(b.blob(&other), Err(NodeError::NotFound(_))), "an unknown blob");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::NodeDir;

    use crate::storage::Engine;

    fn fresh(engine: Engine, dirs: &mut Vec<tempfile::TempDir>) -> Box<dyn Backend> {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("node");
        match &engine {
            Engine::Postgres { url, .. } => NodeDir::new(&root).init_postgres("example.org/conformance/node", "US", url),
            _ => NodeDir::new(&root).init("example.org/conformance/node", "US"),
        }
        .unwrap();
        let partners: Vec<String> = PARTNERS.iter().map(|p| p.to_string()).collect();
        let b = super::super::open(&engine, &root, "US", &partners);
        dirs.push(d);
        b
    }

    /// The PostgreSQL backend, each fresh node on a database of its own in one throwaway
    /// cluster (mandatory where the server is installed; `ACCORD_SKIP_POSTGRES=1` skips it,
    /// loudly).
    #[test]
    fn postgres_backend_conforms() {
        let Some(cluster) = accord_logstore::pg_cluster::for_test("the node's storage backend") else {
            return;
        };
        let mut dirs = Vec::new();
        let mut n = 0;
        run_all(&mut || {
            n += 1;
            let url = cluster.database(&format!("node{n}")).unwrap();
            fresh(Engine::Postgres { url, read_url: None }, &mut dirs)
        });
        // A second node of the Party on the same database is refused; an init stopped after
        // its log was committed and before its folder was renamed into place is finished by
        // the next, with the keys that log was made with.
        let url = cluster.database("inits").unwrap();
        let t = tempfile::tempdir().unwrap();
        let first = t.path().join("us");
        let (log_key, node_key) = NodeDir::new(&first).init_postgres("example.org/init/us", "US", &url).unwrap();
        let e = NodeDir::new(t.path().join("again"))
            .init_postgres("example.org/init/us", "US", &url)
            .unwrap_err();
        assert!(e.contains("already holds this Party's schemas"), "{e}");
        std::fs::rename(&first, t.path().join(".us.init-999")).unwrap();
        let again = NodeDir::new(&first).init_postgres("example.org/init/us", "US", &url).unwrap();
        assert_eq!(again, (log_key, node_key), "the interrupted init, finished");
        assert!(first.join("store.toml").exists() && !t.path().join(".us.init-999").exists());
        // After the server restarts, tokens and the node's state work again without the node
        // restarting (their connection is made anew).
        let b = super::super::open(
            &Engine::Postgres {
                url: url.clone(),
                read_url: None,
            },
            &first,
            "US",
            &[],
        );
        let t = b.tokens().unwrap();
        t.add_token(&super::super::contract::TokenRow {
            hash: b"h".to_vec(),
            role: "operator".into(),
            name: "ops".into(),
            created: 1,
            expires: None,
            revoked: None,
        })
        .unwrap();
        b.put_state("clock", b"1").unwrap();
        cluster.kill().unwrap();
        cluster.restart().unwrap();
        assert!(t.token_role(b"h", 2).unwrap().is_some(), "the token, after a restart");
        assert_eq!(b.state("clock").unwrap().as_deref(), Some(&b"1"[..]));
        // A Party code that is no schema name is refused before any SQL is made of it.
        let engine = Engine::Postgres {
            url: cluster.url.clone(),
            read_url: None,
        };
        let b = super::super::open(&engine, dirs[0].path(), "us\".meta; DROP SCHEMA x; --", &[]);
        assert!(matches!(b.open_writer().err(), Some(NodeError::Invalid(_))));
        assert!(matches!(b.open_reader().err(), Some(NodeError::Invalid(_))));
    }

    #[test]
    fn sqlite_backend_conforms() {
        let mut dirs = Vec::new();
        run_all(&mut || fresh(Engine::Sqlite, &mut dirs));
    }

    /// A node folder kept in SQLite is readable by its user only: folders 0700, every
    /// database, snapshot, blob and secret 0600.
    #[cfg(unix)]
    #[test]
    fn sqlite_node_folders_are_private() {
        use accord_logstore::private::mode;
        let mut dirs = Vec::new();
        let b = fresh(Engine::Sqlite, &mut dirs);
        let root = dirs[0].path().join("node");
        let (_log, _held) = b.open_writer().unwrap();
        let partner = SignerKey::from_seed("example.org/private/partner", ALG_ED25519, [6; 32]).unwrap();
        let plog = accord_logstore::Log::create(accord_logstore::memory::MemoryStore::new(), partner.clone(), "RU").unwrap();
        drop(b.create_mirror(&partner.verifier(), "RU", plog.latest()).unwrap());
        drop(b.tokens().unwrap());
        drop(b.witness().unwrap());
        b.put_state("clock", b"1").unwrap();
        b.put_snapshot(b"a view").unwrap();
        b.put_secret("I-1", b"a value").unwrap();
        let hex = b.put_blob(b"a notification").unwrap();
        assert_eq!(mode(&root).unwrap(), 0o700, "the folder");
        for d in ["blobs", "choices"] {
            assert_eq!(mode(&root.join(d)).unwrap(), 0o700, "{d}");
        }
        assert_eq!(mode(&root.join("blobs").join(hex)).unwrap(), 0o600, "a blob");
        for f in std::fs::read_dir(&root)
            .unwrap()
            .chain(std::fs::read_dir(root.join("choices")).unwrap())
        {
            let p = f.unwrap().path();
            if p.is_file() && p.file_name().is_some_and(|n| n != "lock") {
                assert_eq!(mode(&p).unwrap(), 0o600, "{}", p.display());
            }
        }
    }

    #[test]
    fn memory_backend_conforms() {
        let mut dirs = Vec::new();
        run_all(&mut || fresh(Engine::Memory, &mut dirs));
    }
}
