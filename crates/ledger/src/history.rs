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

/// A history kept up to date as notifications arrive in several streams (one for each Party's
/// log, say) and as notifications already in it change (a time of receipt set later), without
/// compiling the others again. Its events are in the order of the streams, one after the
/// other, each stream in its own order: the order [`History::parse`] gives to the streams'
/// notifications written out one stream after the other, with the same lines, so that replay
/// and every report built on it are the same as for that text.
///
/// Invariants: event `i` has line `i + 1`; ids stay unique within each Party (a duplicate is
/// refused, as [`History::parse`] refuses it). After a refused change the events are as before
/// but names may have been interned: drop it and parse the whole (which refuses the same line
/// with the same message). The history is shared ([`Growing::shared`]) and copied on the next
/// change only while a reader still holds it.
#[derive(Debug, Clone)]
pub struct Growing {
    history: std::sync::Arc<History>,
    /// Events from each stream (the stream's notifications so far).
    counts: Vec<usize>,
    /// Per Party, whether each interned id names a notification of the history.
    used: Vec<Vec<bool>>,
}

impl Growing {
    /// An empty history for `spec` with `streams` streams.
    pub fn new(spec: &TreatySpec, streams: usize) -> Growing {
        Growing {
            history: std::sync::Arc::new(History::new(spec)),
            counts: vec![0; streams],
            used: vec![Vec::new(); spec.parties.len()],
        }
    }

    /// The history as it stands (shared, not copied).
    pub fn shared(&self) -> std::sync::Arc<History> {
        self.history.clone()
    }

    /// How many notifications of stream `stream` the history holds.
    pub fn count(&self, stream: usize) -> usize {
        self.counts.get(stream).copied().unwrap_or(0)
    }

    /// The line of the `k`-th notification of `stream` (its place among the events, from 1).
    pub fn line(&self, stream: usize, k: usize) -> u32 {
        u32::try_from(self.position(stream.min(self.counts.len()), k) + 1).unwrap_or(u32::MAX)
    }

    /// Where the `k`-th notification of `stream` is among the events.
    fn position(&self, stream: usize, k: usize) -> usize {
        self.counts[..stream].iter().sum::<usize>() + k
    }

    /// Compiles the next notification of `stream` and puts it after that stream's others
    /// (later events move down a line). The errors are [`History::parse`]'s for the same text.
    pub fn push(&mut self, spec: &TreatySpec, stream: usize, n: &Notification<'_>) -> Result<(), LedgerError> {
        if stream >= self.counts.len() {
            self.counts.resize(stream + 1, 0);
        }
        let at = self.position(stream, self.counts[stream]);
        let line = u32::try_from(at + 1).unwrap_or(u32::MAX);
        let h = std::sync::Arc::make_mut(&mut self.history);
        let e = compile(spec, &mut h.names, n, line).map_err(|problem| invalid(n, line, problem))?;
        let (p, k) = (e.party.0 as usize, e.id as usize);
        if self.used[p].get(k).copied().unwrap_or(false) {
            let first = h.events.iter().find(|x| x.party == e.party && x.id == e.id).map_or(0, |x| x.line);
            return Err(invalid(
                n,
                line,
                Problem {
                    field: "id".into(),
                    message: format!("duplicate id '{}' (first on line {first})", n.id),
                },
            ));
        }
        if self.used[p].len() <= k {
            self.used[p].resize(k + 1, false);
        }
        self.used[p][k] = true;
        h.events.insert(at, e);
        for later in &mut h.events[at + 1..] {
            later.line += 1;
        }
        self.counts[stream] += 1;
        Ok(())
    }

    /// Compiles the `k`-th notification of `stream` again, as it now reads (with a time of
    /// receipt, say), in its place. It must keep its Party and id.
    pub fn replace(&mut self, spec: &TreatySpec, stream: usize, k: usize, n: &Notification<'_>) -> Result<(), LedgerError> {
        if k >= self.count(stream) {
            return Err(invalid(
                n,
                0,
                Problem {
                    field: "id".into(),
                    message: format!("not in the history: notification {k} of stream {stream}"),
                },
            ));
        }
        let at = self.position(stream, k);
        let h = std::sync::Arc::make_mut(&mut self.history);
        let (line, party, id) = (h.events[at].line, h.events[at].party, h.events[at].id);
        let e = compile(spec, &mut h.names, n, line).map_err(|problem| invalid(n, line, problem))?;
        if (e.party, e.id) != (party, id) {
            return Err(invalid(
                n,
                line,
                Problem {
                    field: "id".into(),
                    message: "a notification changed its Party or id".into(),
                },
            ));
        }
        h.events[at] = e;
        Ok(())
    }
}

/// A notification that fails the catalogue, on `line`.
fn invalid(n: &Notification<'_>, line: u32, problem: Problem) -> LedgerError {
    LedgerError::Invalid {
        at: Box::new(At {
            source: None,
            line,
            id: Some(n.id.to_string()),
            kind: Some(n.kind.to_string()),
        }),
        problem,
    }
}
