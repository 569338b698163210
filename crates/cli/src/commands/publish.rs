//! `accord log export-tiles --to s3://BUCKET/PREFIX`: the log's public tlog-tiles tree
//! published to S3-compatible object storage, so that any number of readers (behind a CDN)
//! cost the node nothing (issue #14).
//!
//! The bucket is untrusted publication, re-derivable from the store at any time: tlog clients
//! verify what they read from it against the signed checkpoint. Full tiles and bundles are
//! written create-only (`If-None-Match: *`) with `Cache-Control: public, max-age=31536000,
//! immutable`; one already there is read back and compared byte for byte (equal: nothing to
//! do; different: a fork alarm, exit 1, nothing more written). Partial tiles are overwritten
//! (`no-cache`); the checkpoint goes last (`no-store`), so a reader never sees a checkpoint
//! before the tiles it covers. Entry bundles (the confidential notifications) only with
//! `--entries`.

use std::path::Path;

use anyhow::anyhow;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, AttributeValue, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::args::Format;
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::output::{json, print_json};
use accord_logstore::store::{Hashes, Store, StoreError};
use accord_tlog::tile;

/// How an exported object may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lasting {
    /// A full tile or bundle: never changes once written.
    Immutable,
    /// A partial tile or bundle: replaced as the tree grows.
    Partial,
    /// The checkpoint: written last, replaced with each export.
    Checkpoint,
}

/// One object of a tlog-tiles tree: its path under the tree, its bytes, how it may change.
pub(crate) struct TreeObject {
    pub(crate) rel: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) lasting: Lasting,
}

/// The tlog-tiles tree of a log's latest checkpoint, from one snapshot of its store: every
/// hash tile, the entry bundles when `bundles`, and the checkpoint last.
pub(crate) fn tree_objects<S: Store>(store: &S, bundles: bool) -> Result<(Vec<u8>, Vec<TreeObject>), StoreError> {
    store.read_snapshot(|s| {
        let (size, note) = s.latest()?;
        let (entries, _, _) = s.counts()?;
        if size > entries {
            return Err(StoreError::Corrupt(format!(
                "the latest checkpoint covers {size} entries, but {entries} are stored; run accord log verify"
            )));
        }
        let mut out = Vec::new();
        for t in tile::tiles(size) {
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
        // The checkpoint last: a mirror never sees a checkpoint before its tiles.
        out.push(TreeObject {
            rel: "checkpoint".into(),
            bytes: note.clone(),
            lasting: Lasting::Checkpoint,
        });
        Ok((note, out))
    })
}

/// Immutable objects' cache lifetime: a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `s3://BUCKET/PREFIX` → (bucket, prefix without slashes at its ends).
fn parse_target(to: &str) -> Result<(String, String), Failure> {
    let rest = to
        .strip_prefix("s3://")
        .ok_or_else(|| input(anyhow!("--to {to:?}: s3://BUCKET/PREFIX expected")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let ok = |b: &str| {
        (3..=63).contains(&b.len())
            && b.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
    };
    if !ok(bucket) {
        return Err(input(anyhow!(
            "--to {to:?}: the bucket name '{bucket}' is not an S3 bucket name (3 to 63 of a-z, 0-9, '-', '.')"
        )));
    }
    let prefix = prefix.trim_matches('/').to_owned();
    if prefix.split('/').any(|p| p == ".." || p == ".") {
        return Err(input(anyhow!("--to {to:?}: the prefix may not hold '.' or '..' parts")));
    }
    Ok((bucket.to_owned(), prefix))
}

fn attributes(cache: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert(Attribute::CacheControl, AttributeValue::from(cache.to_owned()));
    a.insert(Attribute::ContentType, AttributeValue::from("application/octet-stream"));
    a
}

/// What the publication did.
#[derive(Debug, Default, serde::Serialize)]
struct Published {
    to: String,
    size: u64,
    written: u64,
    unchanged: u64,
    bytes: u64,
    entries: bool,
}

/// Publishes the log in `dir` to `to`.
pub fn to_s3(dir: &Path, to: &str, endpoint: Option<&str>, entries: bool, format: Format) -> Outcome {
    let (bucket, prefix) = parse_target(to)?;
    let store = super::folder::reader(dir)?;
    let (note, objects) = tree_objects(&store, entries).map_err(|e| Failure {
        code: CHECK_FAILED,
        error: anyhow!("{}: the log's store: {e}; run accord log verify", dir.display()),
    })?;
    let size = accord_tlog::Note::parse(&note)
        .ok()
        .and_then(|n| accord_tlog::Checkpoint::parse(&n.text).ok())
        .map(|c| c.size)
        .ok_or_else(|| Failure {
            code: CHECK_FAILED,
            error: anyhow!("the latest checkpoint is malformed; run accord log verify"),
        })?;
    let mut b = AmazonS3Builder::from_env().with_bucket_name(&bucket);
    if let Some(e) = endpoint {
        b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
    }
    let s3 = b.build().map_err(|e| input(anyhow!("--to {to}: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io(anyhow!("a runtime: {e}")))?;
    let key = |rel: &str| -> ObjectPath {
        if prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{prefix}/{rel}"))
        }
    };
    let mut out = Published {
        to: to.to_owned(),
        size,
        entries,
        ..Published::default()
    };
    rt.block_on(async {
        for o in &objects {
            let path = key(&o.rel);
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
            match s3.put_opts(&path, PutPayload::from(o.bytes.clone()), opts).await {
                Ok(_) => {
                    out.written += 1;
                    out.bytes += o.bytes.len() as u64;
                }
                Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => {
                    // Create-only refused: what is there must be what the log derives.
                    let there = s3
                        .get(&path)
                        .await
                        .map_err(|e| io(anyhow!("{path}: {e}")))?
                        .bytes()
                        .await
                        .map_err(|e| io(anyhow!("{path}: {e}")))?;
                    if there.as_ref() != o.bytes.as_slice() {
                        return Err(Failure {
                            code: CHECK_FAILED,
                            error: anyhow!(
                                "fork alarm: s3://{bucket}/{path} holds {} bytes that are not the log's {} ({}): the bucket was changed, or another log of this name wrote it; nothing more was written (the checkpoint stays as it was)",
                                there.len(),
                                o.rel,
                                o.bytes.len()
                            ),
                        });
                    }
                    out.unchanged += 1;
                }
                Err(e) => return Err(io(anyhow!("PUT s3://{bucket}/{path}: {e}"))),
            }
        }
        Ok(())
    })?;
    if json(format) {
        print_json(&out)?;
    } else {
        println!(
            "published size {size} to {to}: {} objects written ({} bytes), {} already there and identical{}",
            out.written,
            out.bytes,
            out.unchanged,
            if entries {
                ""
            } else {
                " (no entry bundles: --entries publishes them)"
            }
        );
    }
    Ok(0)
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
}
