//! Verification without disclosure, for a freeze of all warheads (issue #13).
//!
//! A Party commits to its whole inventory without showing it ([`inventory`]: salted SHA-256
//! leaves in an RFC 6962 tree, zones contiguous), proves in public that its totals respect a
//! cap ([`totals`]: Pedersen commitments and Bulletproofs range proofs, the cap public or a
//! baseline's own commitments), and opens the items that a sample neither Party could steer
//! falls on ([`sample`]: a written-out procedure over both Parties' revealed secrets); each
//! period is explained by the previous one and the logged changes ([`periods`]).
//!
//! Pure: no file, network, clock or ambient randomness; a caller that needs randomness (a
//! proof's blindings, a verifier's batching) passes the generator. The tidy test holds this
//! crate to it.

pub mod error;
pub mod inventory;
pub mod periods;
pub mod release;
pub mod sample;
pub mod totals;

pub use error::EscrowError;
