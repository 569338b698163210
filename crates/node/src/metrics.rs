//! Counters and gauges in the Prometheus text exposition format (version 0.0.4).
//!
//! Invariants: counters only increase; names carry the `accord_` prefix and the units in
//! their names; the text is produced from one consistent read of each value.

use std::sync::atomic::{AtomicU64, Ordering};

/// The node's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests served.
    pub requests: AtomicU64,
    /// Requests refused with 401 or 403.
    pub refused: AtomicU64,
    /// Notifications appended to the own log.
    pub submitted: AtomicU64,
    /// Partner entries verified and mirrored.
    pub mirrored: AtomicU64,
    /// Acknowledgements appended.
    pub acknowledged: AtomicU64,
    /// Cosignatures collected for own checkpoints.
    pub cosignatures: AtomicU64,
    /// Partner checkpoints cosigned.
    pub cosigned: AtomicU64,
    /// Exchange attempts that failed (and were retried).
    pub exchange_errors: AtomicU64,
    /// Forks seen.
    pub forks: AtomicU64,
    /// Own log size.
    pub log_size: AtomicU64,
    /// Partner log size mirrored.
    pub partner_size: AtomicU64,
    /// Connections turned away at the connection limits.
    pub connections_refused: AtomicU64,
    /// Audit rows dropped (the queue full under a flood, or the store failing).
    pub audit_dropped: AtomicU64,
    /// Requests answered 408 or 429 (a body too slow, too many long polls).
    pub throttled: AtomicU64,
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let rows: [(&str, &str, &str, &AtomicU64); 14] = [
            (
                "accord_audit_dropped_total",
                "counter",
                "Audit rows dropped (the queue full under a flood, or the store failing).",
                &self.audit_dropped,
            ),
            (
                "accord_http_connections_refused_total",
                "counter",
                "Connections turned away at the connection limits.",
                &self.connections_refused,
            ),
            (
                "accord_http_throttled_total",
                "counter",
                "Requests answered 408 or 429 (a body too slow, too many long polls).",
                &self.throttled,
            ),
            ("accord_http_requests_total", "counter", "HTTP requests served.", &self.requests),
            (
                "accord_http_refused_total",
                "counter",
                "Requests refused with 401 or 403.",
                &self.refused,
            ),
            (
                "accord_notifications_submitted_total",
                "counter",
                "Notifications appended to the own log.",
                &self.submitted,
            ),
            (
                "accord_partner_entries_mirrored_total",
                "counter",
                "Partner entries verified and mirrored.",
                &self.mirrored,
            ),
            (
                "accord_acknowledgements_total",
                "counter",
                "Acknowledgements appended to the own log.",
                &self.acknowledged,
            ),
            (
                "accord_cosignatures_collected_total",
                "counter",
                "Cosignatures collected for own checkpoints.",
                &self.cosignatures,
            ),
            (
                "accord_partner_checkpoints_cosigned_total",
                "counter",
                "Partner checkpoints cosigned.",
                &self.cosigned,
            ),
            (
                "accord_exchange_errors_total",
                "counter",
                "Exchange attempts that failed and were retried.",
                &self.exchange_errors,
            ),
            ("accord_forks_seen_total", "counter", "Inconsistent checkpoints seen.", &self.forks),
            ("accord_log_size_entries", "gauge", "Entries in the own log.", &self.log_size),
            (
                "accord_partner_log_size_entries",
                "gauge",
                "Entries of the partner's log mirrored.",
                &self.partner_size,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, v) in rows {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
