//! Errors of this crate. Every refusal names the notification (its line in the history and its
//! id and kind) and the field, so a user can go straight to it.

use std::fmt;

/// What is wrong and in which field (a dotted path such as `body.launcher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted field path, or `-`.
    pub field: String,
    /// Message.
    pub message: String,
}

/// Where a refused notification is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// Source name (file), if known.
    pub source: Option<String>,
    /// 1-based line, 0 if not from a file.
    pub line: u32,
    /// Notification id, if it could be read.
    pub id: Option<String>,
    /// Kind, if it could be read.
    pub kind: Option<String>,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}:")?;
        }
        if self.line > 0 {
            write!(f, "line {}", self.line)?;
        } else {
            write!(f, "notification")?;
        }
        match (&self.id, &self.kind) {
            (Some(i), Some(k)) => write!(f, " ({i}, {k})"),
            (Some(i), None) => write!(f, " ({i})"),
            _ => Ok(()),
        }
    }
}

/// A refused notification or history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The notification is malformed or does not fit the catalogue.
    #[error("{at}: field `{}`: {}", problem.field, problem.message)]
    Invalid {
        /// Where.
        at: Box<At>,
        /// What.
        problem: Problem,
    },
    /// The notification is well-formed but impossible given the state (unknown identifier,
    /// an item deployed twice, a date outside the treaty's life...).
    #[error("{at}: field `{}`: {}", problem.field, problem.message)]
    Impossible {
        /// Where.
        at: Box<At>,
        /// What.
        problem: Problem,
    },
    /// A CSV of published figures is refused.
    #[error("{source_name}:{line}: column `{column}`: {message}")]
    Csv {
        /// File name.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// What.
        message: String,
    },
}

impl LedgerError {
    /// The line the error is on, if any.
    pub fn line(&self) -> Option<u64> {
        match self {
            LedgerError::Invalid { at, .. } | LedgerError::Impossible { at, .. } => (at.line > 0).then_some(u64::from(at.line)),
            LedgerError::Csv { line, .. } => Some(*line),
        }
    }

    /// Sets the source name shown in messages.
    pub fn in_source(mut self, name: &str) -> Self {
        match &mut self {
            LedgerError::Invalid { at, .. } | LedgerError::Impossible { at, .. } => at.source = Some(name.to_owned()),
            LedgerError::Csv { source_name, .. } => *source_name = name.to_owned(),
        }
        self
    }
}
