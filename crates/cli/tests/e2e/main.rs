//! The CLI's end-to-end tests, one test binary (one link on two cores): each module runs the
//! real `accord` binary, real nodes and witnesses as processes on loopback, real SQLite files,
//! and (in `browser`) Debian's Chromium.

mod common;

mod browser;
mod bundle;
mod cli;
mod corpus;
mod crash;
mod exit_codes;
mod fixture;
mod inventory;
mod log;
mod postgres;
mod regime;
mod s3;
mod security;
mod serve;
mod soak;
mod witness;
