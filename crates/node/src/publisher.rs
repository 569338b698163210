//! The node's publication task: with `[publish] to = "s3://BUCKET/PREFIX"` in its
//! configuration, a node publishes its own log's public tree ([`crate::publish`]) after each
//! new checkpoint, as `accord log export-tiles --to` would, but incrementally: only the tiles
//! new since the last publication of the run, the public releases logged since, and the
//! checkpoint last.

use crate::publish::{tree_objects, Bucket, PublishError};

/// The node's publication task (`[publish]` in its configuration): after each new checkpoint
/// of its own log, the hash tiles new since the last publication, the public releases logged
/// since, and the checkpoint last. The first publication of a run writes the whole tree
/// (comparing what is there). An error is retried at the next checkpoint (or in 30 s); a fork
/// alarm raises an alert of kind `publish` and stops the task.
pub async fn run(s: std::sync::Arc<crate::state::Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(cfg) = s.cfg.publish.clone() else { return };
    let bucket = match Bucket::open(&cfg.to, cfg.endpoint.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            s.alert("publish", format!("publish.to: {e}"));
            return;
        }
    };
    let mut latest = s.latest.subscribe();
    // The size last published in this run (none yet: the first publication writes the whole
    // tree, comparing what the bucket holds).
    let mut done: Option<u64> = None;
    loop {
        let size = latest.borrow_and_update().0;
        if done.is_none_or(|d| size > d) {
            let since = done.unwrap_or(0);
            let s2 = s.clone();
            let entries = cfg.entries;
            let made = tokio::task::spawn_blocking(move || {
                s2.with_reader(|r| {
                    let (note, objects) = tree_objects(r, entries, since).map_err(|e| e.to_string())?;
                    let size = accord_tlog::Note::parse(&note)
                        .ok()
                        .and_then(|n| accord_tlog::Checkpoint::parse(&n.text).ok())
                        .map(|c| c.size)
                        .ok_or("the latest checkpoint is malformed")?;
                    Ok((size, objects))
                })
            })
            .await;
            match made {
                Ok(Ok((size, objects))) => match bucket.put(&objects).await {
                    Ok(p) => {
                        tracing::info!("published size {size}: {} written, {} unchanged", p.written, p.unchanged);
                        done = Some(size);
                    }
                    Err(e @ PublishError::Fork { .. }) => {
                        s.alert("publish", e.to_string());
                        return;
                    }
                    Err(e) => tracing::warn!("publishing to {}: {e} (retrying)", cfg.to),
                },
                Ok(Err(e)) => tracing::warn!("publishing: {e} (retrying)"),
                Err(e) => tracing::warn!("publishing: {e} (retrying)"),
            }
        }
        tokio::select! {
            r = latest.changed() => if r.is_err() { return },
            _ = stop.changed() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
        }
    }
}
