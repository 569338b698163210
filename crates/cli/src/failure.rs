//! Exit codes, one table for every command (docs/cli.md): 0 ok, 1 a check failed, 2 bad input or
//! usage, 3 I/O or internal error.

use std::fmt;

/// A command that did not succeed.
#[derive(Debug)]
pub struct Failure {
    /// Exit code (2 or 3).
    pub code: u8,
    /// What went wrong, with context.
    pub error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// Exit code: a check failed.
pub const CHECK_FAILED: u8 = 1;
/// Exit code: bad input or usage.
pub const BAD_INPUT: u8 = 2;
/// Exit code: I/O or internal error.
pub const IO_ERROR: u8 = 3;

/// Bad input.
pub fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: BAD_INPUT,
        error: e.into(),
    }
}

/// I/O or internal error.
pub fn io(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: IO_ERROR,
        error: e.into(),
    }
}

/// A node's refusal about `at` (a folder or a file) as a failure: a server error is I/O,
/// anything else bad input.
pub fn node_refusal(at: &std::path::Path, e: accord_node::error::NodeError) -> Failure {
    let f = anyhow::anyhow!("{}: {e}", at.display());
    if e.is_server_error() {
        io(f)
    } else {
        input(f)
    }
}

/// The result of a command: the exit code to use when it ran to the end.
pub type Outcome = Result<u8, Failure>;
