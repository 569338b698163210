//! A log's public tlog-tiles tree published to S3-compatible object storage, so that any number
//! of readers (behind a CDN) cost the node nothing (issue #14): by `accord log export-tiles --to
//! s3://BUCKET/PREFIX`, and by a node configured with `[publish]` after each checkpoint
//! (`crate::publisher`).
//!
//! The bucket is untrusted publication, re-derivable from the store at any time: tlog clients
//! verify what they read from it against the signed checkpoint. Full tiles and bundles are
//! written create-only (`If-None-Match: *`) with `Cache-Control: public, max-age=31536000,
//! immutable`; one already there is read back and compared byte for byte (equal: nothing to
//! do; different: a fork alarm, and nothing more is written). Partial tiles are overwritten
//! (`no-cache`); the checkpoint goes last (`no-store`), so a reader never sees a checkpoint
//! before the tiles it covers. Entry bundles (the confidential notifications) only when asked
//! for. The public releases (the public part of notifications of public kinds, released by
//! design) go under `releases/<index>`, create-only: a reader proves each included with the
//! tiles (`accord log verify --tiles` does).
//!
//! Invariant: what is published is derived from one snapshot of the store; nothing derived from
//! a tree is published after a fork alarm.

use accord_logstore::store::{Hashes, Store, StoreError};
use accord_tlog::tile;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, AttributeValue, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

/// How an exported object may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lasting {
    /// A full tile or bundle, or a release: never changes once written.
    Immutable,
    /// A partial tile or bundle: replaced as the tree grows.
    Partial,
    /// The checkpoint: written last, replaced with each export.
    Checkpoint,
}

/// One object of a published tree: its path under the tree, its bytes, how it may change.
#[derive(Debug, Clone)]
pub struct TreeObject {
    /// Its path under the tree's prefix (`tile/0/000`, `checkpoint`).
    pub rel: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether it may change.
    pub lasting: Lasting,
}

/// The tlog-tiles tree of a log's latest checkpoint, from one snapshot of its store: every
/// hash tile that is new since the tree of size `since` (0: every tile), the entry bundles
/// when `bundles`, each public release among the entries from `since` on (`releases/<index>`,
/// the entry's bytes: public by design, proven included by the tiles), and the checkpoint
/// last.
pub fn tree_objects<S: Store>(store: &S, bundles: bool, since: u64) -> Result<(Vec<u8>, Vec<TreeObject>), StoreError> {
    store.read_snapshot(|s| {
        let (size, note) = s.latest()?;
        let (entries, _, _) = s.counts()?;
        if size > entries {
            return Err(StoreError::Corrupt(format!(
                "the latest checkpoint covers {size} entries, but {entries} are stored; run accord log verify"
            )));
        }
        // A tile of the tree at `since` that was full then is unchanged.
        let before: std::collections::HashSet<_> = tile::tiles(since.min(size)).filter(|t| t.is_full()).collect();
        let mut out = Vec::new();
        for t in tile::tiles(size).filter(|t| !before.contains(t)) {
            let lasting = if t.is_full() { Lasting::Immutable } else { Lasting::Partial };
            let data = tile::tile_bytes(&Hashes(s), t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push(TreeObject {
                rel: t.path(),
                bytes: data,
                lasting,
            });
            if t.level == 0 && bundles {
                let mut bundle = Vec::new();
                s.scan_entries(t.first(), t.first() + u64::from(t.width), &mut |_, e| {
                    tile::push_entry(&mut bundle, e).map_err(|e| StoreError::Corrupt(e.to_string()))
                })?;
                out.push(TreeObject {
                    rel: t.entries_path(),
                    bytes: bundle,
                    lasting,
                });
            }
        }
        s.scan_entries(since.min(size), size, &mut |i, e| {
            if is_release(e) {
                out.push(TreeObject {
                    rel: format!("releases/{i}"),
                    bytes: e.to_vec(),
                    lasting: Lasting::Immutable,
                });
            }
            Ok(())
        })?;
        // The checkpoint last: a mirror never sees a checkpoint before its tiles.
        out.push(TreeObject {
            rel: "checkpoint".into(),
            bytes: note.clone(),
            lasting: Lasting::Checkpoint,
        });
        Ok((note, out))
    })
}

/// Whether a stored entry is a public release, and only that: a public part, no notification,
/// no attachment, no receipt, and the one reference to the notification it releases (an entry
/// that carried anything confidential beside a public part is never published).
fn is_release(bytes: &[u8]) -> bool {
    accord_tlog::entry::read_stored(bytes).is_ok_and(|e| {
        e.public.is_some() && e.notification.is_none() && e.attachments.is_empty() && e.received.is_none() && e.refs.len() == 1
    })
}

/// Immutable objects' cache lifetime: a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `s3://BUCKET/PREFIX` → (bucket, prefix without slashes at its ends).
pub fn parse_target(to: &str) -> Result<(String, String), String> {
    let rest = to
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{to:?}: s3://BUCKET/PREFIX expected"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let ok = |b: &str| {
        (3..=63).contains(&b.len())
            && b.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
    };
    if !ok(bucket) {
        return Err(format!(
            "{to:?}: the bucket name '{bucket}' is not an S3 bucket name (3 to 63 of a-z, 0-9, '-', '.')"
        ));
    }
    let prefix = prefix.trim_matches('/').to_owned();
    if prefix.split('/').any(|p| p == ".." || p == ".") {
        return Err(format!("{to:?}: the prefix may not hold '.' or '..' parts"));
    }
    Ok((bucket.to_owned(), prefix))
}

fn attributes(cache: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert(Attribute::CacheControl, AttributeValue::from(cache.to_owned()));
    a.insert(Attribute::ContentType, AttributeValue::from("application/octet-stream"));
    a
}

/// What went wrong publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// An object already in the bucket is not what the log derives: the bucket was changed, or
    /// another log writes under this prefix. Nothing more was written.
    #[error("fork alarm: s3://{bucket}/{key} holds {there} bytes that are not the log's {rel} ({ours}): the bucket was changed, or another log of this name wrote it; nothing more was written (the checkpoint stays as it was)")]
    Fork {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// Its path in the tree.
        rel: String,
        /// The bytes found.
        there: usize,
        /// The bytes the log derives.
        ours: usize,
    },
    /// The object store could not be reached or refused a request.
    #[error("{0}")]
    Store(String),
    /// The target or the store's configuration is wrong.
    #[error("{0}")]
    Config(String),
}

/// A bucket to publish to.
pub struct Bucket {
    s3: Box<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

/// What one publication did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Published {
    /// Objects written.
    pub written: u64,
    /// Objects already there and identical.
    pub unchanged: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl Bucket {
    /// The bucket of `to` (`s3://BUCKET/PREFIX`) at `endpoint` (an S3-compatible server; absent:
    /// AWS, or `AWS_ENDPOINT_URL`), with credentials and region from the usual `AWS_*`
    /// variables.
    pub fn open(to: &str, endpoint: Option<&str>) -> Result<Bucket, PublishError> {
        let (bucket, prefix) = parse_target(to).map_err(PublishError::Config)?;
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        if let Some(e) = endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        let s3 = b.build().map_err(|e| PublishError::Config(format!("{to}: {e}")))?;
        Ok(Bucket {
            s3: Box::new(s3),
            bucket,
            prefix,
        })
    }

    /// A bucket on any object store (an in-memory one in tests).
    pub fn on(s3: Box<dyn ObjectStore>, bucket: &str, prefix: &str) -> Bucket {
        Bucket {
            s3,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    fn key(&self, rel: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// Whether the checkpoint at `path` is of a larger tree than `ours`.
    async fn holds_larger(&self, path: &ObjectPath, ours: &[u8]) -> Result<bool, PublishError> {
        let size = |b: &[u8]| {
            accord_tlog::Note::parse(b)
                .ok()
                .and_then(|n| accord_tlog::Checkpoint::parse(&n.text).ok())
                .map(|c| c.size)
        };
        let there = match self.s3.get(path).await {
            Ok(r) => r.bytes().await.map_err(|e| PublishError::Store(format!("{path}: {e}")))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(PublishError::Store(format!("GET s3://{}/{path}: {e}", self.bucket))),
        };
        Ok(matches!((size(&there), size(ours)), (Some(a), Some(b)) if a > b))
    }

    /// Writes `objects` in order: immutable ones create-only (one already there must be equal
    /// byte for byte, or a [`PublishError::Fork`] stops everything), the others overwritten,
    /// except a checkpoint where one of a larger tree is already.
    pub async fn put(&self, objects: &[TreeObject]) -> Result<Published, PublishError> {
        let mut out = Published::default();
        for o in objects {
            let path = self.key(&o.rel);
            if o.lasting == Lasting::Checkpoint && self.holds_larger(&path, &o.bytes).await? {
                // Another publisher (a node ahead of a lagging reader, an export from a
                // backup) put a larger tree there: never move the bucket's checkpoint back.
                out.unchanged += 1;
                continue;
            }
            let (mode, cache) = match o.lasting {
                Lasting::Immutable => (PutMode::Create, IMMUTABLE),
                Lasting::Partial => (PutMode::Overwrite, "no-cache"),
                Lasting::Checkpoint => (PutMode::Overwrite, "no-store"),
            };
            let opts = PutOptions {
                mode,
                attributes: attributes(cache),
                ..PutOptions::default()
            };
            match self.s3.put_opts(&path, PutPayload::from(o.bytes.clone()), opts).await {
                Ok(_) => {
                    out.written += 1;
                    out.bytes += o.bytes.len() as u64;
                }
                Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => {
                    // Create-only refused: what is there must be what the log derives.
                    let there = self
                        .s3
                        .get(&path)
                        .await
                        .map_err(|e| PublishError::Store(format!("{path}: {e}")))?
                        .bytes()
                        .await
                        .map_err(|e| PublishError::Store(format!("{path}: {e}")))?;
                    if there.as_ref() != o.bytes.as_slice() {
                        return Err(PublishError::Fork {
                            bucket: self.bucket.clone(),
                            key: path.to_string(),
                            rel: o.rel.clone(),
                            there: there.len(),
                            ours: o.bytes.len(),
                        });
                    }
                    out.unchanged += 1;
                }
                Err(e) => return Err(PublishError::Store(format!("PUT s3://{}/{path}: {e}", self.bucket))),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked() {
        assert_eq!(parse_target("s3://treaty-logs/us/").unwrap(), ("treaty-logs".into(), "us".into()));
        assert_eq!(parse_target("s3://treaty-logs").unwrap(), ("treaty-logs".into(), String::new()));
        for bad in ["treaty-logs/us", "s3://UPPER/x", "s3://ab/x", "s3://ok-bucket/../x", "s3://"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    /// A bucket never takes a smaller tree's checkpoint over a larger one's, and an immutable
    /// object found changed is a fork alarm that writes nothing more.
    #[test]
    fn the_checkpoint_never_goes_back_and_a_changed_tile_is_a_fork() {
        use accord_logstore::conformance::test_key;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let store = std::sync::Arc::new(object_store::memory::InMemory::new());
        let bucket = Bucket::on(Box::new(store.clone()), "b", "us");
        let mut log = accord_logstore::Log::create(accord_logstore::memory::MemoryStore::new(), test_key(), "US").unwrap();
        let entries: Vec<Vec<u8>> = (0..300).map(|i| format!("e{i}").into_bytes()).collect();
        log.append(&entries[..256]).unwrap();
        let (small, at_256) = tree_objects(log.store(), false, 0).unwrap();
        log.append(&entries[256..]).unwrap();
        let (large, at_300) = tree_objects(log.store(), false, 0).unwrap();
        rt.block_on(bucket.put(&at_300)).unwrap();
        let p = rt.block_on(bucket.put(&at_256)).unwrap();
        assert_eq!(p.written, 1, "only the partial tile of level 1: {p:?}");
        let cp = rt.block_on(async { store.get(&ObjectPath::from("us/checkpoint")).await.unwrap().bytes().await.unwrap() });
        assert_eq!(cp.as_ref(), large.as_slice(), "the larger tree's checkpoint stays");
        assert_ne!(small, large);
        rt.block_on(store.put(&ObjectPath::from("us/tile/0/000"), PutPayload::from(vec![0u8; 8192])))
            .unwrap();
        match rt.block_on(bucket.put(&at_300)) {
            Err(PublishError::Fork { rel, .. }) => assert_eq!(rel, "tile/0/000"),
            other => panic!("{other:?}"),
        }
    }

    /// Only the tiles new since a tree are derived again; the checkpoint always, last.
    #[test]
    fn an_increment_holds_the_new_tiles_only() {
        use accord_logstore::conformance::test_key;
        let mut log = accord_logstore::Log::create(accord_logstore::memory::MemoryStore::new(), test_key(), "US").unwrap();
        let entries: Vec<Vec<u8>> = (0..300).map(|i| format!("e{i}").into_bytes()).collect();
        log.append(&entries[..256]).unwrap();
        let (_, all) = tree_objects(log.store(), false, 0).unwrap();
        let names = |o: &[TreeObject]| o.iter().map(|o| o.rel.clone()).collect::<Vec<_>>();
        assert_eq!(names(&all), ["tile/0/000", "tile/1/000.p/1", "checkpoint"]);
        log.append(&entries[256..]).unwrap();
        let (_, inc) = tree_objects(log.store(), true, 256).unwrap();
        assert_eq!(
            names(&inc),
            ["tile/0/001.p/44", "tile/entries/001.p/44", "tile/1/000.p/1", "checkpoint"],
            "tile/0/000 was full at 256: unchanged"
        );
        assert_eq!(inc.last().unwrap().lasting, Lasting::Checkpoint);
    }
}
