//! Errors of this crate: a spec that cannot be read or does not hold together.
//!
//! Invariant: every error names the file, and where the problem has a place, its line and the
//! field, so that a user can go straight to it.

/// A treaty specification or lifecycle file that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The file is not valid TOML or does not have the expected shape.
    #[error("{file}:{line}:{column}: field `{field}`: {message}")]
    Syntax {
        /// The file's name as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field (key) at that place, or `-` when none can be named.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed but inconsistent with the rest of the spec.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        /// The file's name as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// The dotted field name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file could not be found or read (reported by the caller's loader).
    #[error("{file}: {message}")]
    Unreadable {
        /// The file's name as given.
        file: String,
        /// What went wrong.
        message: String,
    },
}

/// Maps byte offsets in one source text to lines and columns.
pub(crate) struct Locator<'a> {
    pub file: &'a str,
    pub src: &'a str,
}

impl Locator<'_> {
    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let before = &self.src[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(offset, |p| offset - p - 1) + 1;
        (line, col)
    }

    pub fn invalid(&self, offset: usize, field: &str, message: impl Into<String>) -> SpecError {
        SpecError::Invalid {
            file: self.file.to_owned(),
            line: self.line_col(offset).0,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Converts a TOML deserialisation error, naming the key found at its place.
    pub fn syntax(&self, e: &toml::de::Error) -> SpecError {
        let (line, column, field) = match e.span() {
            Some(span) => {
                let (line, column) = self.line_col(span.start);
                (line, column, self.key_at(span.start).unwrap_or_else(|| "-".into()))
            }
            None => (1, 1, "-".into()),
        };
        let message = e.message().trim().to_owned();
        let field = backticked(&message).unwrap_or(field);
        SpecError::Syntax {
            file: self.file.to_owned(),
            line,
            column,
            field,
            message,
        }
    }

    /// The key written on the line holding `offset` (`key = value`, or a `[table]` header).
    fn key_at(&self, offset: usize) -> Option<String> {
        let start = self.src[..offset.min(self.src.len())].rfind('\n').map_or(0, |p| p + 1);
        let line = self.src[start..].lines().next()?.trim();
        if let Some(eq) = line.find('=') {
            let k = line[..eq].trim().trim_start_matches('{').trim();
            let k = k.rsplit([',', '{']).next().unwrap_or(k).trim();
            if !k.is_empty() && !k.starts_with('[') {
                return Some(k.trim_matches('"').to_owned());
            }
        }
        let header = line.trim_start_matches('[').trim_end_matches(']');
        (!header.is_empty()).then(|| header.to_owned())
    }
}

/// The first `name` in a message such as "missing field `value`".
fn backticked(message: &str) -> Option<String> {
    if !(message.starts_with("missing field") || message.starts_with("unknown field")) {
        return None;
    }
    let a = message.find('`')?;
    let b = message[a + 1..].find('`')?;
    Some(message[a + 1..a + 1 + b].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let l = Locator {
            file: "f",
            src: "a = 1\nbb = 2\n",
        };
        assert_eq!(l.line_col(0), (1, 1));
        assert_eq!(l.line_col(6), (2, 1));
        assert_eq!(l.line_col(9), (2, 4));
        assert_eq!(l.key_at(8).as_deref(), Some("bb"));
    }
}
