//! The node's one error type. The protocol modules (append, regime, exchange, bundle) return it
//! and know nothing of HTTP; `http::extract` maps each variant to one status, once, and the CLI
//! maps each to one exit code (a server-side failure is I/O, anything else bad input).

/// Why the node did not do what was asked. Every message names the field or the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The request is malformed or a field is wrong (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// It contradicts what is already logged (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The node no longer takes it from anyone (after a fork of the partner's log; HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// A rule of the treaty or of the record refuses it (HTTP 422).
    #[error("{0}")]
    Refused(String),
    /// The node cannot take it now (stopping, or its log is not writable; HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// The node failed (storage, a poisoned lock; HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl NodeError {
    /// Whether the failure is the node's, not the request's.
    pub fn is_server_error(&self) -> bool {
        matches!(self, NodeError::Unavailable(_) | NodeError::Internal(_))
    }
}
