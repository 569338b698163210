//! Offline bundles at a node: exporting a run of the own log (`accord-bundle/1`, see
//! `accord_tlog::bundle`) and importing the partner's, for a link that is down or a network that
//! is air-gapped.
//!
//! An export carries the own entries the partner is not known to hold, the latest checkpoint
//! with every cosignature collected, and, when the mirror holds any of the partner's log, this
//! node's cosignature of the partner's latest checkpoint (given under the same tlog-witness
//! rules as an `add-checkpoint` request). An import goes through the same path as the live
//! exchange: the mirror checks the signed checkpoint against everything it holds (a
//! contradiction is a fork, kept as evidence), the entries are kept in one commit, each
//! notification is checked against the catalogue, and each is acknowledged in the own log,
//! stamped with the node's clock; the partner's cosignature of the own log is kept beside its
//! checkpoint.
//!
//! Invariants: nothing is kept unless the whole bundle verifies; importing a bundle twice, or
//! one older than what is held, changes nothing; a bundle that starts after what the mirror
//! holds is refused (a gap) without changing anything.

use crate::error::NodeError;
use crate::exchange::{acknowledge, bare, create_mirror, fork, take};
use crate::metrics::Metrics;
use crate::state::{cosigned_note, Shared};
use accord_logstore::mirror::MirrorError;
use accord_logstore::store::{Hashes, Store};
use accord_tlog::bundle::{self, BundleError, Contents};
use accord_tlog::merkle::{consistency_proof, Edge};
use accord_tlog::witness::AddCheckpoint;
use accord_tlog::{Checkpoint, Note};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Why an import was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bundle does not verify (damaged, wrong keys, wrong entries); names the part.
    #[error("{0}")]
    Bundle(#[from] BundleError),
    /// The bundle starts after the entries held: one from the held size is needed.
    #[error("the bundle holds {origin} entries {from}..{size}, but this node holds only {held}: export one with --from {held}")]
    Gap {
        /// The log.
        origin: String,
        /// Its first entry.
        from: u64,
        /// Its size.
        size: u64,
        /// What the mirror holds.
        held: u64,
    },
    /// The bundle's checkpoint contradicts one held: a fork, kept as evidence.
    #[error("fork: {0}")]
    Fork(String),
    /// This node saw a fork of the partner's log and takes nothing more from it.
    #[error("this node saw a fork of {0}'s log and no longer takes its entries")]
    Frozen(String),
    /// Storage or another internal failure.
    #[error("{0}")]
    Internal(String),
}

impl From<ImportError> for NodeError {
    /// A damaged bundle and a fork are refused (422), a gap conflicts with what is held (409),
    /// a frozen log is forbidden (403).
    fn from(e: ImportError) -> NodeError {
        let m = e.to_string();
        match e {
            ImportError::Bundle(_) | ImportError::Fork(_) => NodeError::Refused(m),
            ImportError::Gap { .. } => NodeError::Conflict(m),
            ImportError::Frozen(_) => NodeError::Forbidden(m),
            ImportError::Internal(_) => NodeError::Internal(m),
        }
    }
}

/// What an export holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The log's origin.
    pub origin: String,
    /// First entry.
    pub from: u64,
    /// Checkpoint size.
    pub size: u64,
    /// Blobs carried.
    pub blobs: usize,
    /// Cosignatures on the checkpoint (the log's own signature excluded).
    pub cosignatures: usize,
    /// The size of the partner's log cosigned in the bundle, if any.
    pub cosigned_partner_size: Option<u64>,
    /// Bytes.
    pub bytes: usize,
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// The log's origin.
    pub origin: String,
    /// The bundle's first entry.
    pub from: u64,
    /// The bundle's checkpoint size.
    pub size: u64,
    /// Entries the mirror held before.
    pub held_before: u64,
    /// Entries it holds now.
    pub held_after: u64,
    /// Own log size after the acknowledgements.
    pub own_size: u64,
    /// The own log size the partner's cosignature in the bundle covers, if any (kept).
    pub cosigned_by_partner: Option<u64>,
    /// When the bundle was exported (the manifest's cosignature time, POSIX seconds).
    pub exported_at: u64,
}

/// Exports the own entries from `from` (default: what the partner is known to hold, rounded
/// down to a signed size) to the latest checkpoint. Returns the file's bytes and a summary.
pub fn export(s: &Shared, from: Option<u64>) -> Result<(Vec<u8>, Exported), NodeError> {
    let known = {
        let held = s
            .view
            .read()
            .map_err(|_| NodeError::Internal("view poisoned".into()))?
            .held_by_partner();
        let cosigned = s.cosigned.lock().map(|c| c.of(&s.partner().keys.node)).unwrap_or(0);
        held.max(cosigned)
    };
    let (size, note) = {
        let l = s.latest.borrow();
        (l.0, l.1.clone())
    };
    let want = from.unwrap_or(known);
    if want > size {
        return Err(NodeError::Invalid(format!("--from {want}: the log holds only {size} entries")));
    }
    let mut contents = s
        .with_reader(|r| {
            let checkpoint = cosigned_note(r, &note, size, &s.cosigners())?.to_bytes();
            // The base: the largest signed size at or below what was asked.
            let (from, base) = match r.checkpoint(want).map_err(|e| e.to_string())? {
                Some(n) => (want, n),
                None => {
                    let mut best: Option<(u64, Vec<u8>)> = None;
                    r.scan_checkpoints(&mut |sz, n| {
                        if sz <= want {
                            best = Some((sz, n.to_vec()));
                        }
                        Ok(())
                    })
                    .map_err(|e| e.to_string())?;
                    best.ok_or("no signed checkpoint at or below the size asked")?
                }
            };
            let base = bare(&base, &s.log_vkey)?;
            let frontier = Edge::load(&Hashes(r), from).map_err(|e| e.to_string())?.hashes();
            let consistency = if from == 0 || from == size {
                Vec::new()
            } else {
                consistency_proof(&Hashes(r), from, size).map_err(|e| e.to_string())?
            };
            let mut entries = Vec::with_capacity((size - from) as usize);
            r.scan_entries(from, size, &mut |_, e| {
                entries.push(e.to_vec());
                Ok(())
            })
            .map_err(|e| e.to_string())?;
            let mut blobs = std::collections::BTreeMap::new();
            for e in &entries {
                if let Some(h) = crate::state::by_hash(e) {
                    let b = s.storage.blob(&h).map_err(|e| format!("blob {h}: {e}"))?;
                    blobs.insert(h, b);
                }
            }
            Ok(Contents {
                origin: s.origin.clone(),
                from,
                size,
                checkpoint,
                base,
                frontier,
                consistency,
                entries,
                blobs,
                cosigned: None,
            })
        })
        .map_err(NodeError::Internal)?;
    let cosigned_partner_size = match cosign_partner(s).map_err(NodeError::Internal)? {
        Some((sz, n)) => {
            contents.cosigned = Some(n);
            Some(sz)
        }
        None => None,
    };
    let now = s.clock.now().max(0) as u64;
    let bytes = bundle::write(&contents, &s.node_key, now).map_err(|e| NodeError::Internal(e.to_string()))?;
    let cosignatures = Note::parse(&contents.checkpoint)
        .map(|n| n.signatures.len().saturating_sub(1))
        .unwrap_or(0);
    let summary = Exported {
        origin: contents.origin,
        from: contents.from,
        size: contents.size,
        blobs: contents.blobs.len(),
        cosignatures,
        cosigned_partner_size,
        bytes: bytes.len(),
    };
    Ok((bytes, summary))
}

/// Cosigns the partner's latest checkpoint the mirror holds, under the tlog-witness rules
/// (consistent with what this node cosigned before): the note with the cosignature, or `None`
/// when there is nothing to cosign (no mirror, size 0, or a fork seen).
fn cosign_partner(s: &Shared) -> Result<Option<(u64, Vec<u8>)>, String> {
    if s.partner().frozen.load(Ordering::SeqCst) {
        return Ok(None);
    }
    let origin = s.partner().keys.log.name().to_owned();
    let mut w = s.witness.lock().map_err(|_| "witness state poisoned")?;
    let old = match w.latest(&origin).map_err(|e| e.to_string())? {
        Some(n) => {
            let n = Note::parse(&n).map_err(|e| e.to_string())?;
            Checkpoint::parse(&n.text).map_err(|e| e.to_string())?.size
        }
        None => 0,
    };
    let m = s.partner().mirror.lock().map_err(|_| "mirror poisoned")?;
    let Some(m) = m.as_ref() else { return Ok(None) };
    let size = m.size();
    if size == 0 || size < old {
        return Ok(None);
    }
    let proof = if old == 0 || old == size {
        Vec::new()
    } else {
        consistency_proof(&Hashes(m.store()), old, size).map_err(|e| e.to_string())?
    };
    let checkpoint = Note::parse(m.latest()).map_err(|e| e.to_string())?;
    let body = AddCheckpoint {
        old,
        proof,
        checkpoint: checkpoint.clone(),
    }
    .to_bytes();
    match w
        .add_checkpoint(&body, &s.node_key, s.clock.now().max(0) as u64)
        .map_err(|e| e.to_string())?
    {
        Ok(lines) => {
            let sigs = accord_tlog::witness::parse_response(&lines)?;
            let mut n = checkpoint;
            n.signatures.extend(sigs);
            Metrics::add(&s.metrics.cosigned, 1);
            Ok(Some((size, n.to_bytes())))
        }
        Err(rej) => {
            tracing::warn!("bundle export: not cosigning {origin} at size {size}: {rej}");
            Ok(None)
        }
    }
}

/// Verifies a bundle of the partner's log and takes what is new in it (see the module's
/// invariants).
pub async fn import(s: &Arc<Shared>, bytes: Vec<u8>) -> Result<Imported, NodeError> {
    import_bundle(s, bytes).await.map_err(NodeError::from)
}

async fn import_bundle(s: &Arc<Shared>, bytes: Vec<u8>) -> Result<Imported, ImportError> {
    // Hashing up to a gigabyte: off the async workers.
    let (node, log) = (s.partner().keys.node.clone(), s.partner().keys.log.clone());
    let v = tokio::task::spawn_blocking(move || bundle::read(&bytes, &node, &log))
        .await
        .map_err(|e| ImportError::Internal(e.to_string()))??;
    let own_cosig = match &v.contents.cosigned {
        Some(n) => Some(bundle::check_cosigned(n, &s.log_vkey, &s.partner().keys.node)?),
        None => None,
    };
    let party = s.partner().party.clone();
    if s.partner().frozen.load(Ordering::SeqCst) {
        return Err(ImportError::Frozen(party));
    }
    let internal = ImportError::Internal;
    // The cosignature must be of a tree this log signed (else the partner cosigned a fork of
    // the own log, which cannot be without the own key).
    if let Some((cp, _)) = &own_cosig {
        let ours = s
            .with_reader(|r| r.checkpoint(cp.size).map_err(|e| e.to_string()))
            .map_err(internal)?;
        let same = ours
            .and_then(|n| Note::parse(&n).ok())
            .and_then(|n| Checkpoint::parse(&n.text).ok())
            .is_some_and(|c| c.root == cp.root);
        if !same {
            return Err(ImportError::Bundle(BundleError::Invalid {
                part: "cosigned".into(),
                problem: format!("size {} is not a checkpoint this log signed", cp.size),
            }));
        }
    }
    let c = &v.contents;
    let checkpoint = bare(&c.checkpoint, &s.partner().keys.log).map_err(internal)?;
    let has_mirror = s.partner().mirror.lock().map_err(|_| internal("mirror poisoned".into()))?.is_some();
    if !has_mirror {
        if c.from != 0 {
            return Err(ImportError::Gap {
                origin: c.origin.clone(),
                from: c.from,
                size: c.size,
                held: 0,
            });
        }
        create_mirror(s, c.base.clone()).await.map_err(internal)?;
    }
    let checked = {
        let guard = s.partner().mirror.lock().map_err(|_| internal("mirror poisoned".into()))?;
        let m = guard.as_ref().ok_or_else(|| internal("no mirror".into()))?;
        m.check(&c.base).and_then(|_| m.check(&checkpoint)).map(|_| m.size())
    };
    let held = match checked {
        Ok(h) => h,
        Err(MirrorError::Fork { size, held, seen }) => {
            fork(s, size, &held, &seen);
            return Err(ImportError::Fork(format!(
                "{party} signed two different trees of size {size}; both are kept in witness.db and this node no longer takes or cosigns its log"
            )));
        }
        Err(e) => return Err(internal(e.to_string())),
    };
    if held < c.from {
        return Err(ImportError::Gap {
            origin: c.origin.clone(),
            from: c.from,
            size: c.size,
            held,
        });
    }
    if held < c.size {
        let skip = (held - c.from) as usize;
        let entries: Vec<Vec<u8>> = c.entries[skip..].to_vec();
        let mut blobs = Vec::with_capacity(entries.len());
        for e in &entries {
            blobs.push(crate::state::by_hash(e).and_then(|h| c.blobs.get(&h).cloned()));
        }
        // The blobs on disk first (content-addressed: a crash leaves only unused files).
        let (s2, to_store) = (s.clone(), blobs.iter().flatten().cloned().collect::<Vec<_>>());
        tokio::task::spawn_blocking(move || to_store.iter().try_for_each(|b| s2.storage.put_blob(b).map(|_| ())))
            .await
            .map_err(|e| internal(e.to_string()))?
            .map_err(|e| internal(e.to_string()))?;
        take(s, held, entries, blobs, &checkpoint).await.map_err(|e| {
            if e.starts_with("mismatch") {
                ImportError::Fork(format!(
                    "the bundle's entries before {held} are not the ones held, yet both trees are signed by {party}'s log: its history forked ({e})"
                ))
            } else {
                internal(e)
            }
        })?;
    } else {
        // Nothing new: acknowledge anything a crash left unacknowledged.
        acknowledge(s).await.map_err(internal)?;
    }
    let mut cosigned_by_partner = None;
    if let Some((cp, lines)) = own_cosig {
        let s2 = s.clone();
        let size = cp.size;
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut store = s2.cosigner.lock().map_err(|_| "cosigner poisoned")?;
            // One cosignature by the partner for a size is enough (each export cosigns anew,
            // with its own timestamp).
            let key = &s2.partner().keys.node;
            let held = store
                .cosignatures(size)
                .map_err(|e| e.to_string())?
                .iter()
                .any(|l| accord_tlog::note::NoteSignature::parse_line(l).is_ok_and(|sig| sig.name == key.name() && sig.id == key.id()));
            if !held {
                store.add_cosignatures(size, &lines).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(internal)?;
        if let Ok(mut co) = s.cosigned.lock() {
            co.record(&s.partner().keys.node, cp.size);
        }
        let s2 = s.clone();
        let _ = tokio::task::spawn_blocking(move || s2.check_final(cp.size)).await;
        cosigned_by_partner = Some(cp.size);
    }
    s.bump();
    let held_after = s
        .partner()
        .mirror
        .lock()
        .ok()
        .and_then(|m| m.as_ref().map(|m| m.size()))
        .unwrap_or(held);
    Ok(Imported {
        origin: c.origin.clone(),
        from: c.from,
        size: c.size,
        held_before: held,
        held_after,
        own_size: s.latest.borrow().0,
        cosigned_by_partner,
        exported_at: v.exported_at,
    })
}

/// The largest bundle `POST /api/v1/bundle` takes.
pub const MAX_BUNDLE: usize = 1 << 30;
