//! The exchange between the two Parties' nodes, and the witnesses.
//!
//! A node *follows* its partner: it fetches the partner's checkpoint (pulled every
//! `exchange.poll_ms`, and at once when the partner pushes one), checks its signature and that
//! it is consistent with everything the mirror holds, fetches the new entries (entry bundles,
//! as the partner) and the blobs they name, checks that they give the signed root, keeps them
//! in the mirror, and appends one acknowledgement per entry to its own log, stamped with its
//! clock: the treaty's date of receipt. A node also *pushes* each new checkpoint of its own
//! log to the partner and to every witness as a tlog-witness `add-checkpoint` request, and
//! keeps the cosignatures it gets beside the checkpoint.
//!
//! Invariants: the partner's `add-checkpoint` is answered with a cosignature only once the
//! mirror holds the whole tree it names (so the partner's cosignature means "I hold and
//! checked these entries"), and only by the tlog-witness rules (consistent with what it last
//! cosigned); a fork (two signed trees that cannot both be true) is kept as evidence, raised as
//! an alert, and ends all cosigning of that log; every step is idempotent: acknowledgements
//! resume from the first partner entry not yet acknowledged in the own log, and a repeated
//! push or pull changes nothing.

use crate::client::Peer;
use crate::clock::rfc3339;
use crate::metrics::Metrics;
use crate::state::Shared;
use crate::view::Given;
use accord_logstore::mirror::{Mirror, MirrorError};
use accord_logstore::store::{Hashes, Store};
use accord_tlog::entry::{EntryRef, Envelope};
use accord_tlog::note::Note;
use accord_tlog::tile;
use accord_tlog::witness::{AddCheckpoint, Rejection};
use accord_tlog::VerifierKey;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Keeps only the signatures of `key` on a note (a served checkpoint carries cosignatures too).
pub fn bare(note: &[u8], key: &VerifierKey) -> Result<Vec<u8>, String> {
    let mut n = Note::parse(note).map_err(|e| e.to_string())?;
    n.signatures.retain(|s| s.name == key.name() && s.id == key.id());
    Ok(n.to_bytes())
}

/// Runs the follower until `stop` fires.
pub async fn follow(s: Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let peer = match Peer::new(s.http.clone(), &s.partner().url, s.node_key.clone(), s.ambient.clone()) {
        Ok(p) => p,
        Err(e) => {
            s.alert("config", e);
            return;
        }
    };
    let mut backoff = Duration::from_millis(100);
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match follow_once(&s, &peer).await {
            Ok(true) => {
                backoff = Duration::from_millis(100);
                continue;
            }
            Ok(false) => {
                backoff = Duration::from_millis(100);
                Duration::from_millis(s.cfg.exchange.poll_ms)
            }
            Err(e) => {
                Metrics::add(&s.metrics.exchange_errors, 1);
                tracing::warn!("exchange with {}: {e} (retrying in {} ms)", peer.base(), backoff.as_millis());
                let w = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                w
            }
        };
        tokio::select! {
            _ = s.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One round: returns whether anything was done (then another round follows at once).
async fn follow_once(s: &Arc<Shared>, peer: &Peer) -> Result<bool, String> {
    if s.partner().frozen.load(Ordering::SeqCst) {
        return Ok(false);
    }
    let mut progress = acknowledge(s).await?;
    let r = peer.get("/log/checkpoint").await?;
    if r.status != 200 {
        return Err(format!("GET /log/checkpoint: {} {}", r.status, String::from_utf8_lossy(&r.body)));
    }
    let note = bare(&r.body, &s.partner().keys.log)?;
    // The mirror starts from the partner's signed size-0 checkpoint.
    let have_mirror = s.partner().mirror.lock().map_err(|_| "mirror poisoned")?.is_some();
    if !have_mirror {
        let r0 = peer.get("/api/v1/checkpoints/0").await?;
        if r0.status != 200 {
            return Err(format!("GET /api/v1/checkpoints/0: {}", r0.status));
        }
        create_mirror(s, r0.body).await?;
    }
    let checked = {
        let guard = s.partner().mirror.lock().map_err(|_| "mirror poisoned")?;
        let m = guard.as_ref().ok_or("no mirror")?;
        m.check(&note).map(|cp| (m.size(), cp))
    };
    let (held, cp) = match checked {
        Ok(x) => x,
        Err(MirrorError::Fork { size, held, seen }) => {
            fork(s, size, &held, &seen);
            return Err(format!("{} forked its log at size {size}", s.partner().party));
        }
        Err(e) => return Err(e.to_string()),
    };
    if cp.size > held {
        // Every new entry, bundle by bundle (all held in memory until the one commit).
        // The new entries, exactly (a partial tile would be fetched again and again).
        let (to, target_note) = (cp.size, note.clone());
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity((to - held) as usize);
        while (held + entries.len() as u64) < to {
            let start = held + entries.len() as u64;
            let end = to.min(start + crate::state::MAX_RANGE);
            let path = format!("/api/v1/entries?start={start}&end={end}");
            let r = peer.get(&path).await?;
            if r.status != 200 {
                return Err(format!("GET {path}: {} {}", r.status, String::from_utf8_lossy(&r.body)));
            }
            let got = tile::parse_bundle("tile/entries/000", &r.body).map_err(|e| format!("GET {path}: {e}"))?;
            if got.len() as u64 != end - start {
                return Err(format!("GET {path}: {} entries instead of {}", got.len(), end - start));
            }
            entries.extend(got.into_iter().map(<[u8]>::to_vec));
        }
        // The blobs the new entries name, each checked against its hash, on disk first.
        let mut blobs = Vec::with_capacity(entries.len());
        for e in &entries {
            let blob = match crate::state::by_hash(e) {
                Some(h) => {
                    let b = match s.storage.blob(&h) {
                        Ok(b) => b,
                        Err(_) => {
                            let r = peer.get(&format!("/api/v1/blobs/{h}")).await?;
                            if r.status != 200 {
                                return Err(format!("GET /api/v1/blobs/{h}: {}", r.status));
                            }
                            if accord_logstore::dir::sha256_hex(&r.body) != h {
                                return Err(format!("blob {h}: the content served does not hash to its name"));
                            }
                            s.storage.put_blob(&r.body).map_err(|e| e.to_string())?;
                            r.body
                        }
                    };
                    Some(b)
                }
                None => None,
            };
            blobs.push(blob);
        }
        let extended = take(s, held, entries, blobs, &target_note).await;
        if let Err(e) = extended {
            if e.starts_with("mismatch") && held > 0 {
                // Wrong entries, or a log that rewrote what this node holds: its signed
                // checkpoint at the size held settles which.
                let r = peer.get(&format!("/api/v1/checkpoints/{held}")).await?;
                if r.status == 200 {
                    let n = bare(&r.body, &s.partner().keys.log)?;
                    let checked = s
                        .partner()
                        .mirror
                        .lock()
                        .map_err(|_| "mirror poisoned")?
                        .as_ref()
                        .map(|m| m.check(&n));
                    if let Some(Err(MirrorError::Fork { size, held, seen })) = checked {
                        fork(s, size, &held, &seen);
                    }
                }
            }
            return Err(e);
        }
        progress = true;
    }
    Ok(progress)
}

/// Starts the mirror of the partner's log from its signed size-0 checkpoint, if there is none
/// yet (the storage creates it whole or not at all).
pub(crate) async fn create_mirror(s: &Arc<Shared>, checkpoint0: Vec<u8>) -> Result<(), String> {
    let s2 = s.clone();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut m = s2.partner().mirror.lock().map_err(|_| "mirror poisoned")?;
        if m.is_none() {
            let store = s2
                .storage
                .create_mirror(&s2.partner().keys.log, &s2.partner().party, &checkpoint0)
                .map_err(|e| e.to_string())?;
            *m = Some(Mirror::open(store).map_err(|e| e.to_string())?);
        }
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Keeps the partner's entries after the `held` ones, verified against the signed checkpoint
/// `note` that covers them (their `blobs` already stored), in the mirror, in one commit; checks
/// each notification against the catalogue and each public release against its notification
/// (failures are problems on the record); and acknowledges them. An error starting with
/// `mismatch` means the entries do not give the signed root.
pub(crate) async fn take(
    s: &Arc<Shared>,
    held: u64,
    entries: Vec<Vec<u8>>,
    blobs: Vec<Option<Vec<u8>>>,
    note: &[u8],
) -> Result<(), String> {
    let target_note = note.to_vec();
    let s2 = s.clone();
    let n = entries.len() as u64;
    let entries2 = entries.clone();
    let extended = tokio::task::spawn_blocking(move || -> Result<accord_tlog::Checkpoint, String> {
        let mut m = s2.partner().mirror.lock().map_err(|_| "mirror poisoned")?;
        let m = m.as_mut().ok_or("no mirror")?;
        if m.size() != held {
            return Err("the mirror moved meanwhile; starting again".into());
        }
        m.extend(&entries2, &target_note).map_err(|e| match e {
            MirrorError::Mismatch { .. } => format!("mismatch: {e}"),
            e => e.to_string(),
        })
    })
    .await
    .map_err(|e| e.to_string())?;
    extended?;
    // Each notification against the treaty's catalogue and the partner's Party: a failure
    // is a problem on the record (the entry is still held and its receipt acknowledged).
    let mut problems = Vec::new();
    for (k, (e, b)) in entries.iter().zip(&blobs).enumerate() {
        let Ok(env) = accord_tlog::entry::decode(e) else { continue };
        if env.received.is_some() {
            continue;
        }
        let text = match b {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None if !env.notification.is_null() => env.notification.to_string(),
            None => continue,
        };
        if let Err(why) = crate::append::validate(&s.spec, &text, &s.partner().party) {
            problems.push(crate::view::Problem {
                party: s.partner().party.clone(),
                index: held + k as u64,
                problem: why,
            });
        }
    }
    {
        let mut v = s.view.write().map_err(|_| "view poisoned")?;
        if v.partner_size() == held {
            for (e, b) in entries.iter().zip(blobs) {
                v.push_partner(Given {
                    bytes: e,
                    blob: b,
                    leaf: None,
                });
            }
            // Each public release must be exactly the public part of the entry it names.
            for (i, release, source) in v.partner_releases(held) {
                let expected = source.as_deref().and_then(|n| crate::append::redact(&s.spec, n));
                if expected.as_ref() != Some(&*release) {
                    problems.push(crate::view::Problem {
                        party: s.partner().party.clone(),
                        index: i,
                        problem: "a public release that is not the public part of the notification it names".into(),
                    });
                }
            }
            for p in problems {
                tracing::warn!("{} entry {}: {}", p.party, p.index, p.problem);
                v.add_problem(p);
            }
        }
        s.metrics.partner_size.store(v.partner_size(), Ordering::Relaxed);
    }
    Metrics::add(&s.metrics.mirrored, n);
    // The freeze's findings about the partner's new entries, each raised once as an alert
    // (the fold verifies proofs: off the async workers), before they are acknowledged: an
    // acknowledgement never precedes the alert its entry raises.
    let s2 = s.clone();
    let _ = tokio::task::spawn_blocking(move || crate::freeze::alert_new(&s2)).await;
    s.bump();
    acknowledge(s).await?;
    Ok(())
}

/// Appends an acknowledgement for every mirrored partner entry not yet acknowledged, stamped
/// with this node's treaty clock; never before the notification says it was sent: a clock
/// behind the sender's stamps the time sent instead, and the skew is raised as an alert.
pub(crate) async fn acknowledge(s: &Arc<Shared>) -> Result<bool, String> {
    let origin = s.partner().keys.log.name().to_owned();
    let now_unix = s.clock.now();
    let skew = std::sync::Mutex::new((0u64, 0i64));
    // What to acknowledge is decided under the append lock, held until the acknowledgements
    // are in the view: two callers (the follower, an import) never acknowledge one entry twice.
    let done = s
        .append_with(false, |sh: &Shared| -> Result<Vec<crate::state::EntryBuild>, String> {
            let v = sh.view.read().map_err(|_| "view poisoned")?;
            let mut builds: Vec<crate::state::EntryBuild> = Vec::new();
            for j in v.to_acknowledge() {
                let leaf = v.partner_leaf(j).ok_or("internal: a mirrored entry without a leaf")?;
                let stamp = match v.partner_sent(j) {
                    Some(sent) if sent > now_unix => {
                        if let Ok(mut k) = skew.lock() {
                            *k = (k.0 + 1, k.1.max(sent - now_unix));
                        }
                        sent
                    }
                    _ => now_unix,
                };
                let (party, origin, now) = (sh.cfg.party.clone(), origin.clone(), rfc3339(stamp));
                let salt = crate::append::salt(&sh.ambient.entropy);
                builds.push(Box::new(move |i| {
                    let e = Envelope::ack(
                        &party,
                        i,
                        salt,
                        EntryRef {
                            origin,
                            index: j,
                            leaf_hash: leaf,
                        },
                        &now,
                    );
                    accord_tlog::entry::encode(&e).map(|b| (b, None)).map_err(|e| e.to_string())
                }));
            }
            Ok(builds)
        })
        .await??;
    if done.is_empty() {
        return Ok(false);
    }
    if let Ok((n, behind)) = skew.lock().map(|k| *k) {
        if n > 0 {
            s.alert(
                "clock",
                format!(
                    "this node's treaty clock is behind {}'s by up to {behind} s: {n} acknowledgement(s) stamped with the time the notification was sent instead (a receipt is never earlier than sent)",
                    s.partner().party
                ),
            );
        }
    }
    Metrics::add(&s.metrics.acknowledged, done.len() as u64);
    Ok(true)
}

/// Keeps a fork's evidence, raises the alert and stops cosigning the partner's log.
pub fn fork(s: &Shared, size: u64, held: &[u8], seen: &[u8]) {
    s.partner().frozen.store(true, Ordering::SeqCst);
    Metrics::add(&s.metrics.forks, 1);
    if let Ok(mut w) = s.witness.lock() {
        if let Err(e) = w.record_fork(s.partner().keys.log.name(), held, seen, s.clock.now().max(0) as u64) {
            tracing::error!("could not record the fork evidence: {e}");
        }
    }
    s.alert(
        "fork",
        format!(
            "{} signed two different trees of size {size}: both checkpoints are kept in witness.db; this node no longer cosigns or acknowledges that log",
            s.partner().party
        ),
    );
}

/// A cosigner of the own log (a partner node or a witness), known by its key.
struct Target {
    peer: Peer,
    path: &'static str,
    key: VerifierKey,
}

/// Runs one pusher per cosigner until `stop` fires.
pub async fn push_all(s: Arc<Shared>, stop: tokio::sync::watch::Receiver<bool>) {
    let mut targets = Vec::new();
    if let Ok(p) = Peer::new(s.http.clone(), &s.partner().url, s.node_key.clone(), s.ambient.clone()) {
        targets.push(Target {
            peer: p,
            path: "/witness/add-checkpoint",
            key: s.partner().keys.node.clone(),
        });
    }
    for (i, w) in s.cfg.witnesses.iter().enumerate() {
        if let Ok(p) = Peer::new(s.http.clone(), &w.url, s.node_key.clone(), s.ambient.clone()) {
            targets.push(Target {
                peer: p,
                path: "/add-checkpoint",
                key: s.keys.witnesses[i].clone(),
            });
        }
    }
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|t| tokio::spawn(push(s.clone(), t, stop.clone())))
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

async fn push(s: Arc<Shared>, t: Target, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut latest = s.latest.subscribe();
    let mut old: u64 = 0;
    let mut done: u64 = cosigned_by(&s, &t);
    let mut backoff = Duration::from_millis(50);
    loop {
        if *stop.borrow() {
            return;
        }
        let (size, note) = latest.borrow_and_update().clone();
        if size > done {
            match push_once(&s, &t, old.min(size), size, &note).await {
                Ok(Pushed::Cosigned) => {
                    old = size;
                    done = size;
                    backoff = Duration::from_millis(50);
                    continue;
                }
                Ok(Pushed::Conflict(known)) if known <= size && known != old => {
                    old = known;
                    continue;
                }
                Ok(Pushed::Conflict(known)) => {
                    s.alert(
                        "cosigner",
                        format!(
                            "{} says it has cosigned size {known} of this log, but the log is at {size}",
                            t.peer.base()
                        ),
                    );
                }
                Ok(Pushed::Refused(why)) | Err(why) => {
                    Metrics::add(&s.metrics.exchange_errors, 1);
                    tracing::warn!(
                        "add-checkpoint at {}{}: {why} (retrying in {} ms)",
                        t.peer.base(),
                        t.path,
                        backoff.as_millis()
                    );
                }
            }
            let w = backoff;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            tokio::select! {
                _ = tokio::time::sleep(w) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        tokio::select! {
            _ = latest.changed() => {}
            _ = stop.changed() => {}
        }
    }
}

enum Pushed {
    Cosigned,
    Conflict(u64),
    Refused(String),
}

fn cosigned_by(s: &Shared, t: &Target) -> u64 {
    s.cosigned.lock().map(|c| c.of(&t.key)).unwrap_or(0)
}

async fn push_once(s: &Arc<Shared>, t: &Target, old: u64, size: u64, note: &Arc<Vec<u8>>) -> Result<Pushed, String> {
    let s2 = s.clone();
    let note2 = note.clone();
    let body = tokio::task::spawn_blocking(move || {
        s2.with_reader(|r| {
            let proof = if old == 0 || old == size {
                Vec::new()
            } else {
                accord_tlog::merkle::consistency_proof(&Hashes(r), old, size).map_err(|e| e.to_string())?
            };
            let checkpoint = Note::parse(&note2).map_err(|e| e.to_string())?;
            Ok(AddCheckpoint { old, proof, checkpoint }.to_bytes())
        })
    })
    .await
    .map_err(|e| e.to_string())??;
    let r = t.peer.post(t.path, body, "text/plain; charset=utf-8").await?;
    match r.status {
        200 => {
            let sigs = accord_tlog::witness::parse_response(&r.body)?;
            let base = Note::parse(note).map_err(|e| e.to_string())?;
            let mut lines = Vec::new();
            for sig in sigs {
                if sig.name != t.key.name() || sig.id != t.key.id() {
                    continue;
                }
                let one = Note {
                    text: base.text.clone(),
                    signatures: vec![sig.clone()],
                };
                one.verify(std::slice::from_ref(&t.key))
                    .map_err(|e| format!("the cosignature does not verify: {e}"))?;
                lines.push(sig.line());
            }
            if lines.is_empty() {
                return Err(format!("no cosignature by {} in the response", t.key.name()));
            }
            let s2 = s.clone();
            tokio::task::spawn_blocking(move || -> Result<(), String> {
                let mut store = s2.cosigner.lock().map_err(|_| "cosigner poisoned")?;
                store.add_cosignatures(size, &lines).map_err(|e| e.to_string())?;
                Ok(())
            })
            .await
            .map_err(|e| e.to_string())??;
            if let Ok(mut c) = s.cosigned.lock() {
                c.record(&t.key, size);
            }
            Metrics::add(&s.metrics.cosignatures, 1);
            let s2 = s.clone();
            let _ = tokio::task::spawn_blocking(move || s2.check_final(size)).await;
            s.bump();
            Ok(Pushed::Cosigned)
        }
        409 => Ok(Pushed::Conflict(accord_tlog::witness::parse_size_body(&r.body)?)),
        other => Ok(Pushed::Refused(format!("{other}: {}", String::from_utf8_lossy(&r.body).trim()))),
    }
}

/// Why the partner's checkpoint was not cosigned.
#[derive(Debug)]
pub enum CosignRefusal {
    /// The tlog-witness rules refuse the request (its status and body are the spec's).
    Witness(Rejection),
    /// This node saw a fork of the partner's log and cosigns nothing more of it.
    Frozen,
    /// The checkpoint contradicts one the log signed before: a fork, kept as evidence.
    Fork,
    /// The entries up to `size` are not yet verified here (`held` are): retry.
    NotYet {
        /// The checkpoint's size.
        size: u64,
        /// What the mirror holds.
        held: u64,
    },
    /// The node failed.
    Internal(String),
}

/// Cosigns a checkpoint of the partner's log pushed as a tlog-witness `add-checkpoint` request
/// body, once the mirror holds the tree it names (waiting up to 20 s for the follower), under
/// the tlog-witness rules: the cosignature lines.
pub async fn cosign(s: &Arc<Shared>, body: Vec<u8>) -> Result<Vec<u8>, CosignRefusal> {
    let req = AddCheckpoint::parse(&body).map_err(CosignRefusal::Witness)?;
    let size = accord_tlog::Checkpoint::parse(&req.checkpoint.text)
        .map_err(|e| CosignRefusal::Witness(Rejection::BadRequest(e.to_string())))?
        .size;
    if s.partner().frozen.load(Ordering::SeqCst) {
        return Err(CosignRefusal::Frozen);
    }
    // A checkpoint that contradicts the mirror is a fork, whatever its size.
    let checked = match (s.partner().mirror.lock(), bare(&req.checkpoint.to_bytes(), &s.partner().keys.log)) {
        (Ok(guard), Ok(n)) => guard.as_ref().map(|m| m.check(&n)),
        _ => None,
    };
    if let Some(Err(MirrorError::Fork { size, held, seen })) = checked {
        fork(s, size, &held, &seen);
        return Err(CosignRefusal::Fork);
    }
    let mut changed = s.changed.subscribe();
    s.wake.notify_one();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let held = s.view.read().map(|v| v.partner_size()).unwrap_or(0);
        if held >= size {
            break;
        }
        if s.partner().frozen.load(Ordering::SeqCst) {
            return Err(CosignRefusal::Frozen);
        }
        s.wake.notify_one();
        if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
            return Err(CosignRefusal::NotYet { size, held });
        }
    }
    let s2 = s.clone();
    let now = s.clock.now().max(0) as u64;
    let out = tokio::task::spawn_blocking(move || {
        let mut w = s2.witness.lock().map_err(|_| "witness state poisoned".to_string())?;
        w.add_checkpoint(&body, &s2.node_key, now).map_err(|e| e.to_string())
    })
    .await;
    match out {
        Ok(Ok(Ok(cosig))) => {
            Metrics::add(&s.metrics.cosigned, 1);
            Ok(cosig)
        }
        Ok(Ok(Err(rej))) => Err(CosignRefusal::Witness(rej)),
        Ok(Err(e)) => Err(CosignRefusal::Internal(e)),
        Err(e) => Err(CosignRefusal::Internal(e.to_string())),
    }
}

/// What `GET /api/v1/status` may wait for: each a count the status must reach.
#[derive(Debug, Clone, Copy, Default)]
pub struct Until {
    /// Partner entries this node acknowledged.
    pub acknowledged: Option<u64>,
    /// Own entries final under the policy.
    pub final_size: Option<u64>,
    /// Own entries the partner acknowledged.
    pub acknowledged_by_partner: Option<u64>,
    /// Own entries the partner cosigned.
    pub cosigned_by_partner: Option<u64>,
}

/// The status document once `until` holds or `timeout` (at most 60 s) has passed, with
/// `reached` saying which.
pub async fn status_when(s: &Shared, until: Until, timeout: Duration) -> Status {
    let deadline = tokio::time::Instant::now() + timeout.min(Duration::from_secs(60));
    let mut changed = s.changed.subscribe();
    loop {
        let mut st = status(s);
        let ok = until.acknowledged.is_none_or(|n| st.partner.acknowledged >= n)
            && until.final_size.is_none_or(|n| st.final_size >= n)
            && until.acknowledged_by_partner.is_none_or(|n| st.acknowledged_by_partner >= n)
            && until.cosigned_by_partner.is_none_or(|n| st.cosigned.partner >= n);
        if ok || tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
            st.reached = Some(ok);
            return st;
        }
    }
}

/// The status document of `GET /api/v1/status` (JSON keys in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Status {
    /// Own entries the partner acknowledged.
    pub acknowledged_by_partner: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// The node's treaty clock (RFC 3339).
    pub clock: String,
    /// The largest size each cosigner cosigned.
    pub cosigned: crate::state::CosignedBy,
    /// The size of the own log final under the policy.
    pub final_size: u64,
    /// A fork of the partner's log was seen: nothing more of it is cosigned or acknowledged.
    pub frozen: bool,
    /// The own log's origin.
    pub origin: String,
    /// The partner's log as this node holds it.
    pub partner: PartnerProgress,
    /// This node's Party.
    pub party: String,
    /// Problems with the partner's entries.
    pub problems: u64,
    /// With a wait (`until_*`): whether what was waited for holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
    /// The own log's size.
    pub size: u64,
}

/// The partner's log as a node holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartnerProgress {
    /// Its notifications this node acknowledged.
    pub acknowledged: u64,
    /// Its entries mirrored and verified.
    pub mirrored: u64,
    /// Its Party.
    pub party: String,
}

/// The status document.
pub fn status(s: &Shared) -> Status {
    let (size, _) = *s.latest.borrow();
    let (mirrored, acked, by_partner, problems) = s
        .view
        .read()
        .map(|v| (v.partner_size(), v.acknowledged(), v.acknowledged_by_partner(), v.problems().len()))
        .unwrap_or_default();
    Status {
        acknowledged_by_partner: by_partner,
        alerts: s.alerts.lock().map(|a| a.len()).unwrap_or(0) as u64,
        clock: rfc3339(s.clock.now()),
        cosigned: s.cosigned.lock().map(|c| c.summary(&s.keys)).unwrap_or_default(),
        final_size: s.final_size(),
        frozen: s.partner().frozen.load(Ordering::SeqCst),
        origin: s.origin.clone(),
        partner: PartnerProgress {
            acknowledged: acked,
            mirrored,
            party: s.partner().party.clone(),
        },
        party: s.cfg.party.clone(),
        problems: problems as u64,
        reached: None,
        size,
    }
}

/// The status document as JSON.
pub fn status_json(s: &Shared) -> serde_json::Value {
    serde_json::to_value(status(s)).unwrap_or_default()
}
