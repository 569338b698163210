//! The escrow's errors: each names the entry, zone, leaf or field at fault.

/// Why a commitment, opening, sample or proof cannot be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscrowError {
    /// A record of the inventory is malformed (1-based entry).
    #[error("inventory entry {entry}: {field}: {message}")]
    Record {
        /// The entry, counting from 1.
        entry: usize,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The declaration's treaty, Party or date is malformed.
    #[error("inventory context: {0}")]
    Context(String),
    /// A document names a format this crate does not read.
    #[error("format '{0}' is not one this version reads")]
    Format(String),
    /// A leaf index outside the tree.
    #[error("leaf {index} of {size}: {message}")]
    Index {
        /// The index asked for.
        index: u64,
        /// The tree's size.
        size: u64,
        /// What went wrong.
        message: String,
    },
    /// An opening does not verify.
    #[error("opening of leaf {index} does not verify: {message}")]
    Opening {
        /// The leaf (or, for a count opening, the zone's position).
        index: u64,
        /// Why.
        message: String,
    },
    /// A zone reveal does not prove the zone complete.
    #[error("zone reveal of '{zone}': {message}")]
    ZoneReveal {
        /// The zone.
        zone: String,
        /// Why.
        message: String,
    },
    /// A logged change cannot apply to the counts (1-based, in the order given).
    #[error("change {index}: {message}")]
    Change {
        /// The change, counting from 1.
        index: usize,
        /// Why.
        message: String,
    },
    /// Sampling was asked the impossible.
    #[error("sample: {0}")]
    Sample(String),
    /// The total is over the cap: no proof exists.
    #[error("the total {total} is over the cap {cap}: no proof can be made")]
    OverCap {
        /// The total.
        total: u64,
        /// The cap.
        cap: u64,
    },
    /// A proof or its statement is malformed.
    #[error("limit proof: {0}")]
    Proof(String),
    /// A well-formed proof does not verify.
    #[error("limit proof does not verify: {0}")]
    Refuted(String),
}
