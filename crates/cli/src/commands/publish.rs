//! `accord log export-tiles --to s3://BUCKET/PREFIX`: the log's public tlog-tiles tree
//! published to S3-compatible object storage, so that any number of readers (behind a CDN)
//! cost the node nothing (issue #14), by `accord_node::publish` (which a node configured with
//! `[publish]` runs after each checkpoint).
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

use crate::args::Format;
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::output::{json, print_json};
use accord_node::publish::{tree_objects, Bucket, PublishError};

/// What the publication did.
#[derive(Debug, serde::Serialize)]
struct Published {
    to: String,
    size: u64,
    #[serde(flatten)]
    done: accord_node::publish::Published,
    entries: bool,
}

/// Publishes the log in `dir` to `to`.
pub fn to_s3(dir: &Path, to: &str, endpoint: Option<&str>, entries: bool, format: Format) -> Outcome {
    let bucket = Bucket::open(to, endpoint).map_err(|e| input(anyhow!("--to {e}")))?;
    let store = super::folder::reader(dir)?;
    let (note, objects) = tree_objects(&store, entries, 0).map_err(|e| Failure {
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io(anyhow!("a runtime: {e}")))?;
    let p = rt.block_on(bucket.put(&objects)).map_err(|e| match e {
        PublishError::Fork { .. } => Failure {
            code: CHECK_FAILED,
            error: e.into(),
        },
        PublishError::Config(_) => input(e),
        PublishError::Store(_) => io(e),
    })?;
    let out = Published {
        to: to.to_owned(),
        size,
        done: p,
        entries,
    };
    if json(format) {
        print_json(&out)?;
    } else {
        println!(
            "published size {size} to {to}: {} objects written ({} bytes), {} already there and identical{}",
            out.done.written,
            out.done.bytes,
            out.done.unchanged,
            if entries {
                ""
            } else {
                " (no entry bundles: --entries publishes them)"
            }
        );
    }
    Ok(0)
}
