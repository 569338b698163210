//! accord's network edge: a Party's node ([`state`], [`append`], [`http`]) and a neutral witness ([`witness`]) as
//! HTTP services on tokio and axum, and the client side of the exchange between them.
//!
//! The treaty rules, replay, Merkle math and formats stay in the pure crates; this crate only
//! moves their bytes over HTTP and keeps them on disk through `accord-logstore`. Everything
//! that varies between a real deployment and a test (the clock, the listener, the shutdown
//! signal) comes in as an input, so tests and the demo run real processes on a virtual clock.

// Handlers return axum's `Response` as their error: large, and idiomatic for axum.
#![allow(clippy::result_large_err)]

pub mod append;
pub mod audit;
pub mod auth;
pub mod bundle;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod exchange;
pub mod freeze;
pub mod http;
pub mod metrics;
pub mod publish;
pub mod publisher;
pub mod regime;
pub mod secret;
pub mod state;
pub mod storage;
pub mod view;
pub mod witness;

pub use clock::Clock;
pub use config::NodeConfig;
