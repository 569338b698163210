//! Histories: JSON Lines of notifications, compiled for replay.
//!
//! Invariant: a [`History`] holds only notifications that parsed and fit the catalogue, with
//! ids unique within each Party; the first bad line refuses the whole history, naming its line
//! and field.

use accord_treaty::TreatySpec;

use crate::error::{At, LedgerError, Problem};
use crate::event::{compile, Event, Names};
use crate::notification::{parse_notification, Notification};

/// A compiled history.
#[derive(Debug, Clone)]
pub struct History {
    /// Events in file order.
    pub events: Vec<Event>,
    /// Identifier tables.
    pub names: Names,
}

impl History {
    /// An empty history for `spec`.
    pub fn new(spec: &TreatySpec) -> History {
        History {
            events: Vec::new(),
            names: Names::new(spec.parties.len()),
        }
    }

    /// Parses JSON Lines. Blank lines are skipped.
    pub fn parse(spec: &TreatySpec, text: &str) -> Result<History, LedgerError> {
        Self::parse_with_progress(spec, text, &mut |_| {})
    }

    /// Parses JSON Lines, reporting the bytes read so far every 16,384 lines.
    pub fn parse_with_progress(spec: &TreatySpec, text: &str, progress: &mut dyn FnMut(usize)) -> Result<History, LedgerError> {
        let mut h = History::new(spec);
        h.reserve(spec, text.bytes().filter(|&b| b == b'\n').count() + 1);
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); spec.parties.len()];
        let mut done = 0usize;
        for (i, line) in text.lines().enumerate() {
            let line_no = (i + 1) as u32;
            done += line.len() + 1;
            if i % 16_384 == 0 {
                progress(done);
            }
            if line.trim().is_empty() {
                continue;
            }
            let n = parse_notification(line).map_err(|p| LedgerError::Invalid {
                at: Box::new(At {
                    source: None,
                    line: line_no,
                    id: None,
                    kind: None,
                }),
                problem: Problem {
                    field: p.field,
                    message: p.message,
                },
            })?;
            h.push(spec, &n, line_no, &mut ids)?;
        }
        Ok(h)
    }

    /// Compiles and appends one parsed notification.
    fn push(&mut self, spec: &TreatySpec, n: &Notification<'_>, line: u32, ids: &mut [Vec<u32>]) -> Result<(), LedgerError> {
        let at = || At {
            source: None,
            line,
            id: Some(n.id.to_string()),
            kind: Some(n.kind.to_string()),
        };
        let e = compile(spec, &mut self.names, n, line).map_err(|problem| LedgerError::Invalid {
            at: Box::new(at()),
            problem,
        })?;
        // The id was interned by `compile`: a line already recorded for it means a duplicate.
        let lines = &mut ids[e.party.0 as usize];
        let k = e.id as usize;
        if let Some(&first) = lines.get(k).filter(|&&l| l != 0) {
            return Err(LedgerError::Invalid {
                at: Box::new(at()),
                problem: Problem {
                    field: "id".into(),
                    message: format!("duplicate id '{}' (first on line {first})", n.id),
                },
            });
        }
        if lines.len() <= k {
            lines.resize(k + 1, 0);
        }
        lines[k] = line.max(1);
        self.events.push(e);
        Ok(())
    }

    /// Starts building a history notification by notification (for callers that parse the
    /// lines themselves, e.g. on another thread), with room for about `lines` notifications.
    pub fn builder(spec: &TreatySpec, lines: usize) -> HistoryBuilder {
        let mut history = History::new(spec);
        history.reserve(spec, lines);
        HistoryBuilder {
            history,
            ids: vec![Vec::new(); spec.parties.len()],
        }
    }

    /// Makes room for about `lines` more notifications, spread over the Parties.
    fn reserve(&mut self, spec: &TreatySpec, lines: usize) {
        self.events.reserve(lines);
        let per_party = lines / spec.parties.len().max(1) + 16;
        for i in &mut self.names.ids {
            i.reserve(per_party);
        }
    }

    /// The id of event `e`.
    pub fn id(&self, e: &Event) -> &str {
        self.names.ids[e.party.0 as usize].name(e.id)
    }

    /// Compiles a list of notifications (line numbers are 1-based positions).
    pub fn from_notifications<'a>(spec: &TreatySpec, ns: impl IntoIterator<Item = &'a Notification<'a>>) -> Result<History, LedgerError> {
        let mut h = History::new(spec);
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); spec.parties.len()];
        for (i, n) in ns.into_iter().enumerate() {
            h.push(spec, n, (i + 1) as u32, &mut ids)?;
        }
        Ok(h)
    }
}

/// Builds a [`History`] one parsed line at a time, with the same checks and messages as
/// [`History::parse`].
#[derive(Debug)]
pub struct HistoryBuilder {
    history: History,
    ids: Vec<Vec<u32>>,
}

impl HistoryBuilder {
    /// Adds the notification parsed from line `line` (1-based).
    pub fn push(&mut self, spec: &TreatySpec, n: &Notification<'_>, line: u32) -> Result<(), LedgerError> {
        self.history.push(spec, n, line, &mut self.ids)
    }

    /// The error for a line that did not parse.
    pub fn parse_error(line: u32, p: crate::notification::ParseProblem) -> LedgerError {
        LedgerError::Invalid {
            at: Box::new(At {
                source: None,
                line,
                id: None,
                kind: None,
            }),
            problem: Problem {
                field: p.field,
                message: p.message,
            },
        }
    }

    /// The history.
    pub fn finish(self) -> History {
        self.history
    }
}
