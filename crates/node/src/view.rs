//! The exchanged record as a node sees it: the log of each Party (its own, and each partner's
//! from the mirror), joined so that each notification carries its time of receipt, another
//! Party's acknowledgement. Pure: entries in, notifications and reports out.
//!
//! Parties are a list, the node's own first ([`OWN`]); nothing here assumes two. Today's node
//! exchanges with one partner, [`PARTNER`].
//!
//! Invariants: a notification's `received` comes only from an acknowledgement in another
//! Party's log that names that very entry (origin, index and leaf hash); an acknowledgement that
//! names anything else is a problem, never a receipt; the first acknowledgement of an entry by
//! each Party is that Party's receipt, and a notification's `received` is the earliest of them.
//!
//! Incremental: once the history (the compiled notifications) or the record (the folded
//! inspection and negotiation steps) has been read, each new entry and each new receipt is
//! applied to it on the next read, compiling or folding only that notification
//! ([`accord_ledger::history::Growing`], [`Record::take_next`]); a step that falls before the
//! last one folded, or a notification the history refuses, makes the next read build that part
//! again from every notification, which gives what a first read gives.

use accord_ledger::compliance::{history_report, Report};
use accord_ledger::history::{Growing, HistoryBuilder};
use accord_ledger::notification::parse_notification;
use accord_ledger::record::{step_of, Record, StepOrder};
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_tlog::entry::{decode, read_stored, StoredEntry};
use accord_tlog::merkle::leaf_hash;
use accord_tlog::Hash;
use accord_treaty::{Date, Effect, TreatySpec};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into POSIX seconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    accord_ledger::notification::Timestamp::parse(s).map(|t| t.unix())
}

/// One entry of a log, as the view keeps it.
#[derive(Debug, Clone)]
enum Rec {
    /// A notification: the fields the view reads, and its JSON text as stored (canonical JSON,
    /// `received` absent), parsed only when a caller needs the whole notification.
    Notification(Arc<Note>),
    /// An acknowledgement (of the other log's entry, whose receipt it recorded).
    Ack,
    /// A public release of the public part of this log's entry `of`.
    Release { of: u64, value: Arc<serde_json::Value> },
    /// Anything else (a notification logged by hash whose blob is missing, say).
    Other,
}

/// A notification as the view keeps it.
#[derive(Debug)]
struct Note {
    id: String,
    kind: String,
    date: String,
    sent: Option<String>,
    text: Box<str>,
}

impl Note {
    /// From a notification's JSON text: `None` when it is not an object with a string `id`.
    fn read(text: &str) -> Option<Note> {
        #[derive(serde::Deserialize)]
        struct Head<'a> {
            #[serde(borrow)]
            id: std::borrow::Cow<'a, str>,
            #[serde(borrow, default)]
            kind: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            date: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            sent: Option<std::borrow::Cow<'a, str>>,
        }
        let h: Head<'_> = serde_json::from_str(text).ok()?;
        Some(Note {
            id: h.id.into_owned(),
            kind: h.kind.map(|k| k.into_owned()).unwrap_or_default(),
            date: h.date.map(|k| k.into_owned()).unwrap_or_default(),
            sent: h.sent.map(|k| k.into_owned()),
            text: text.into(),
        })
    }

    /// Whether it names `party` as its Party (read from its text: asked only of the few
    /// notifications a caller keeps).
    fn party_is(&self, party: &str) -> bool {
        #[derive(serde::Deserialize)]
        struct Party<'a> {
            #[serde(borrow)]
            party: std::borrow::Cow<'a, str>,
        }
        serde_json::from_str::<Party<'_>>(&self.text).is_ok_and(|p| p.party == party)
    }

    /// Its `sent` when that is later than `received` (a receipt stamped by a clock behind the
    /// sender's); `None` otherwise, or when either time does not read.
    fn sent_if_after(&self, received: &str) -> Option<&String> {
        let sent = self.sent.as_ref()?;
        (parse_time(received).ok()? < parse_time(sent).ok()?).then_some(sent)
    }

    /// The whole notification.
    fn value(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.text).ok()
    }

    /// Its JSON line with `received` set to `at` (when given).
    fn line(&self, received: Option<&str>, out: &mut String) {
        match received {
            None => out.push_str(&self.text),
            // A notification logged offline may carry a `received` of its own: replace it.
            Some(at) if self.text.contains("\"received\"") => {
                let mut v = self.value().unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("received".into(), serde_json::Value::String(at.to_owned()));
                }
                out.push_str(&v.to_string());
            }
            Some(at) => match self.text.strip_suffix('}') {
                Some(body) if body.len() > 1 => {
                    out.push_str(body);
                    out.push_str(",\"received\":");
                    out.push_str(&serde_json::Value::String(at.to_owned()).to_string());
                    out.push('}');
                }
                _ => out.push_str(&self.text),
            },
        }
    }
}

/// The index of the node's own log among the view's Parties.
pub const OWN: usize = 0;
/// The index of the partner's log: today's node exchanges with one partner.
pub const PARTNER: usize = 1;

/// One Party's log as the view holds it.
#[derive(Debug, Default, Clone)]
struct Side {
    party: String,
    origin: String,
    recs: Vec<Rec>,
    leaves: Vec<Hash>,
    by_id: HashMap<String, u64>,
    /// The indices of this log's notifications, in order.
    notes: Vec<u64>,
    /// Receipts of this log's entries, by the Party (its index in the view) whose
    /// acknowledgement recorded them.
    receipts: Vec<HashMap<u64, String>>,
    /// Acknowledgements (by whom, leaf hash, time) of this log's entries not yet held here (a
    /// mirror rebuilt from an older copy or a bundle): checked when the entry arrives.
    awaiting: HashMap<u64, Vec<(usize, Hash, String)>>,
    /// Where the scan for this log's entries the own node has still to acknowledge starts.
    ack_cursor: usize,
}

impl Side {
    fn new(party: &str, origin: &str, parties: usize) -> Side {
        Side {
            party: party.into(),
            origin: origin.into(),
            receipts: vec![HashMap::new(); parties],
            ..Side::default()
        }
    }

    /// The time of receipt of entry `i`: the earliest of the other Parties' receipts, but never
    /// before the notification was sent (a receipt stamped by a clock behind the sender's is
    /// read as received when sent; [`early_receipt`] reports it).
    fn receipt(&self, i: u64) -> Option<String> {
        let r = self.receipts.iter().filter_map(|r| r.get(&i)).min()?;
        match self.recs.get(i as usize) {
            Some(Rec::Notification(n)) => Some(n.sent_if_after(r).unwrap_or(r).clone()),
            _ => Some(r.clone()),
        }
    }

    /// Where notification `i` is among this log's notifications.
    fn rank(&self, i: u64) -> Option<usize> {
        self.notes.binary_search(&i).ok()
    }

    /// Notification `i`'s JSON line with its receipt, as the treaty engine reads it.
    fn line_of(&self, i: u64) -> Option<String> {
        let Some(Rec::Notification(n)) = self.recs.get(i as usize) else {
            return None;
        };
        let mut out = String::new();
        n.line(self.receipt(i).as_deref(), &mut out);
        Some(out)
    }
}

/// A notification new in the view, or one whose time of receipt changed: (Party, index).
type Change = (usize, u64);

/// A problem with an entry of either log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Whose log.
    pub party: String,
    /// Entry index.
    pub index: u64,
    /// What is wrong.
    pub problem: String,
}

/// The joined record.
#[derive(Debug)]
pub struct View {
    /// Each Party's log, the own first.
    sides: Vec<Side>,
    problems: Vec<Problem>,
    /// What is derived from all of it, computed on first use and dropped by any change, so that
    /// reads between two changes cost a lookup.
    derived: Derived,
    /// The history and the record, kept as entries arrive once first read.
    grown: Mutex<Grown>,
    /// What changed since [`Grown`] last caught up (kept only while something is grown).
    changes: Vec<Change>,
    /// How many times the history was compiled and the record folded whole (for tests).
    #[cfg(test)]
    builds: std::sync::atomic::AtomicUsize,
}

/// Values derived from the whole view (see [`View`]'s `derived`).
#[derive(Debug, Default)]
struct Derived {
    /// Each Party's notifications with their deadlines and receipts.
    deadlines: Vec<OnceLock<Vec<Slot>>>,
    /// The latest compliance reports, by evaluation date (a few: the dates readers ask).
    reports: Mutex<Vec<(Date, Arc<Report>)>>,
}

impl Derived {
    fn new(parties: usize) -> Derived {
        Derived {
            deadlines: (0..parties).map(|_| OnceLock::new()).collect(),
            reports: Mutex::default(),
        }
    }
}

/// The history and the record as they grow (see the module's doc).
#[derive(Debug, Default)]
struct Grown {
    /// The compiled history (or why it is refused), and how many changes it has taken.
    history: Option<(Result<Growing, String>, usize)>,
    /// The folded record, and how many changes it has taken.
    record: Option<(Folded, usize)>,
}

impl Grown {
    /// Whether changes need keeping: something is grown and can take them.
    fn tracking(&self) -> bool {
        matches!(self.history, Some((Ok(_), _))) || self.record.is_some()
    }
}

/// The record folded so far.
#[derive(Debug)]
struct Folded {
    record: Arc<Record>,
    /// Notifications of each Party looked at.
    seen: Vec<usize>,
    /// The place of the last step taken, and whose it was.
    last: Option<(StepOrder, usize)>,
}

/// A notification's deadline (and its last second, POSIX) and time of receipt, for the mailbox.
#[derive(Debug, Clone, Copy)]
struct Slot {
    index: u64,
    due: Option<(accord_treaty::Due, i64)>,
    received: Option<i64>,
}

/// Every notification of a side with its deadline and time of receipt.
fn deadlines(spec: &TreatySpec, side: &Side) -> Vec<Slot> {
    let eif = spec.lifecycle.entry_into_force();
    let due_unix = |d: accord_treaty::Due| match d {
        accord_treaty::Due::Date { date } => date.next_day().map_or(i64::MAX, |n| n.midnight().assume_utc().unix_timestamp() - 1),
        accord_treaty::Due::Instant { unix } => unix,
    };
    side.recs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let Rec::Notification(n) = r else { return None };
            let due = spec
                .catalogue
                .get(&n.kind)
                .and_then(|(_, k)| accord_treaty::parse_date(&n.date).ok().and_then(|d| k.deadline.due(d, eif)))
                .map(|d| (d, due_unix(d)));
            let received = side.receipt(i as u64).map(|r| parse_time(&r).unwrap_or(i64::MAX));
            Some(Slot {
                index: i as u64,
                due,
                received,
            })
        })
        .collect()
}

/// How many compliance reports [`View`] keeps.
const REPORTS_KEPT: usize = 4;

/// An entry as a caller gives it: bytes, and the notification when it was logged by hash.
pub struct Given<'a> {
    /// The entry's bytes.
    pub bytes: &'a [u8],
    /// The notification's canonical JSON, for an entry that logs it by hash.
    pub blob: Option<Vec<u8>>,
    /// The entry's leaf hash, when the store holds it (else it is computed from `bytes`).
    pub leaf: Option<Hash>,
}

impl Given<'_> {
    /// The entry's leaf hash: the store's, or computed.
    fn leaf(&self) -> Hash {
        self.leaf.unwrap_or_else(|| leaf_hash(self.bytes))
    }
}

/// One line of an inbox or outbox.
#[derive(Debug, Clone, Serialize)]
pub struct BoxItem {
    /// Entry index in the sender's log.
    pub index: u64,
    /// Notification id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Event date.
    pub date: String,
    /// Sent.
    pub sent: Option<String>,
    /// Received (the acknowledgement's time).
    pub received: Option<String>,
    /// Due, when the catalogue gives a deadline.
    pub due: Option<String>,
    /// Where the notification stands against its deadline.
    pub status: DeadlineStatus,
}

/// Where a notification stands against its deadline; in JSON its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// Received by the deadline.
    OnTime,
    /// Received after the deadline.
    Late,
    /// Not yet received, not yet due.
    Awaiting,
    /// Not received, and the deadline has passed.
    Overdue,
    /// The catalogue gives its kind no deadline.
    NoDeadline,
}

impl DeadlineStatus {
    /// The name used in JSON and in the `status` query parameter.
    pub fn name(self) -> &'static str {
        match self {
            DeadlineStatus::OnTime => "on_time",
            DeadlineStatus::Late => "late",
            DeadlineStatus::Awaiting => "awaiting",
            DeadlineStatus::Overdue => "overdue",
            DeadlineStatus::NoDeadline => "no_deadline",
        }
    }
}

impl View {
    /// An empty view of the logs of `parties` (Party code, log origin), the own first.
    pub fn new(parties: &[(&str, &str)]) -> View {
        View {
            sides: parties.iter().map(|(p, o)| Side::new(p, o, parties.len())).collect(),
            problems: Vec::new(),
            derived: Derived::new(parties.len()),
            grown: Mutex::default(),
            changes: Vec::new(),
            #[cfg(test)]
            builds: Default::default(),
        }
    }

    /// An empty view of the own log and one partner's.
    pub fn pair(own_party: &str, own_origin: &str, partner_party: &str, partner_origin: &str) -> View {
        View::new(&[(own_party, own_origin), (partner_party, partner_origin)])
    }

    /// Entries of Party `p`'s log seen.
    pub fn size(&self, p: usize) -> u64 {
        self.sides.get(p).map_or(0, |s| s.recs.len() as u64)
    }

    /// Entries of the own log seen.
    pub fn own_size(&self) -> u64 {
        self.size(OWN)
    }

    /// Entries of the partner's log seen.
    pub fn partner_size(&self) -> u64 {
        self.size(PARTNER)
    }

    /// The partner's notifications this node has acknowledged.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged_of(PARTNER, OWN)
    }

    /// Notifications of Party `of` acknowledged by Party `by`.
    pub fn acknowledged_of(&self, of: usize, by: usize) -> u64 {
        self.sides.get(of).and_then(|s| s.receipts.get(by)).map_or(0, |r| r.len() as u64)
    }

    /// Partner notifications not yet acknowledged, in order (acknowledgements are never
    /// acknowledged, so the exchange ends).
    pub fn to_acknowledge(&self) -> Vec<u64> {
        let Some(side) = self.sides.get(PARTNER) else { return Vec::new() };
        let from = side.ack_cursor.min(side.recs.len());
        (from..side.recs.len())
            .filter(|&i| matches!(side.recs[i], Rec::Notification { .. }) && !side.receipts[OWN].contains_key(&(i as u64)))
            .map(|i| i as u64)
            .collect()
    }

    /// Moves the start of [`View::to_acknowledge`]'s scan past entries that need nothing more.
    fn advance_cursors(&mut self) {
        for side in self.sides.iter_mut().skip(1) {
            while let Some(r) = side.recs.get(side.ack_cursor) {
                let done = !matches!(r, Rec::Notification { .. }) || side.receipts[OWN].contains_key(&(side.ack_cursor as u64));
                if !done {
                    break;
                }
                side.ack_cursor += 1;
            }
        }
    }

    /// Own entries the partner has acknowledged.
    pub fn acknowledged_by_partner(&self) -> u64 {
        self.acknowledged_of(OWN, PARTNER)
    }

    /// How many own entries the partner is known to hold: one past the last one it
    /// acknowledged (its acknowledgements are in order of its mirror, which only grows).
    pub fn held_by_partner(&self) -> u64 {
        self.sides[OWN]
            .receipts
            .get(PARTNER)
            .and_then(|r| r.keys().max())
            .map_or(0, |i| i + 1)
    }

    /// The own log index of a notification id.
    pub fn own_index(&self, id: &str) -> Option<u64> {
        self.sides[OWN].by_id.get(id).copied()
    }

    /// The own log's public releases: (index, the entry released, the public part).
    pub fn releases(&self) -> Vec<(u64, u64, Arc<serde_json::Value>)> {
        self.sides[OWN]
            .recs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Rec::Release { of, value } => Some((i as u64, *of, value.clone())),
                _ => None,
            })
            .collect()
    }

    /// The partner's public releases from `from` on, each with the notification it releases
    /// (for checking the redaction).
    pub fn partner_releases(&self, from: u64) -> Vec<(u64, Arc<serde_json::Value>, Option<Arc<serde_json::Value>>)> {
        let Some(side) = self.sides.get(PARTNER) else { return Vec::new() };
        (from as usize..side.recs.len())
            .filter_map(|i| match &side.recs[i] {
                Rec::Release { of, value } => {
                    let source = match side.recs.get(*of as usize) {
                        Some(Rec::Notification(n)) => n.value().map(Arc::new),
                        _ => None,
                    };
                    Some((i as u64, value.clone(), source))
                }
                _ => None,
            })
            .collect()
    }

    /// The own notification at `index`, if that entry is one.
    pub fn own_notification(&self, index: u64) -> Option<serde_json::Value> {
        match self.sides[OWN].recs.get(index as usize)? {
            Rec::Notification(n) => n.value(),
            _ => None,
        }
    }

    /// When the partner's notification `index` says it was sent (POSIX seconds), if it does.
    pub fn partner_sent(&self, index: u64) -> Option<i64> {
        match self.sides.get(PARTNER)?.recs.get(index as usize)? {
            Rec::Notification(n) => parse_time(n.sent.as_deref()?).ok(),
            _ => None,
        }
    }

    /// The partner's entry `index`: its leaf hash.
    pub fn partner_leaf(&self, index: u64) -> Option<Hash> {
        self.sides.get(PARTNER)?.leaves.get(index as usize).copied()
    }

    /// Records a problem found outside the view (an entry that fails the treaty's catalogue).
    pub fn add_problem(&mut self, p: Problem) {
        self.problems.push(p);
    }

    /// Problems seen in either log.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Adds the next own entry.
    pub fn push_own(&mut self, e: Given<'_>) {
        self.push(OWN, e);
    }

    /// Adds the next partner entry.
    pub fn push_partner(&mut self, e: Given<'_>) {
        self.push(PARTNER, e);
    }

    /// Adds the next entry of Party `p`'s log.
    pub fn push(&mut self, p: usize, e: Given<'_>) {
        if p >= self.sides.len() {
            return;
        }
        self.derived = Derived::new(self.sides.len());
        let side = &mut self.sides[p];
        side.leaves.truncate(side.recs.len());
        side.leaves.push(e.leaf());
        let mut changes = Vec::new();
        push(&mut self.sides, p, e, &mut self.problems, false, &mut changes);
        let g = self.grown.get_mut().unwrap_or_else(|e| e.into_inner());
        if matches!(g.history, Some((Err(_), _))) {
            // A refused history is compiled again, whole, on the next read.
            g.history = None;
        }
        if !g.tracking() {
            self.changes.clear();
        } else {
            let done = self.changes.len();
            if g.history.as_ref().is_none_or(|(_, a)| *a == done) && g.record.as_ref().is_none_or(|(_, a)| *a == done) {
                // Everything grown has taken every change: start the list again.
                self.changes.clear();
                for (_, a) in g.history.iter_mut() {
                    *a = 0;
                }
                for (_, a) in g.record.iter_mut() {
                    *a = 0;
                }
            }
            self.changes.extend(changes);
        }
        self.advance_cursors();
    }

    /// Loads every Party's log at once (at start), in the view's order of Parties: each log's
    /// acknowledgements may name entries of another that come later in the loading order, so
    /// every leaf is known before any entry is classified.
    pub fn load(&mut self, logs: Vec<Vec<Given<'_>>>) {
        self.derived = Derived::new(self.sides.len());
        for (side, log) in self.sides.iter_mut().zip(&logs) {
            side.leaves.extend(log.iter().map(Given::leaf));
        }
        let mut changes = Vec::new();
        for (p, log) in logs.into_iter().enumerate().take(self.sides.len()) {
            for g in log {
                push(&mut self.sides, p, g, &mut self.problems, true, &mut changes);
            }
        }
        // Nothing is grown yet when a view is loaded; should it be, it is built again.
        *self.grown.get_mut().unwrap_or_else(|e| e.into_inner()) = Grown::default();
        self.changes.clear();
        self.advance_cursors();
    }

    /// Every notification of every Party, with its time of receipt where acknowledged, as
    /// JSON Lines in the treaty engine's format.
    pub fn notifications_jsonl(&self) -> String {
        self.notifications_jsonl_where(|_| true)
    }

    /// The notifications whose kind `keep` accepts, as [`View::notifications_jsonl`] gives
    /// them; the others are not serialised at all (the record needs only its steps).
    pub fn notifications_jsonl_where(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut out = String::new();
        for side in &self.sides {
            for &i in &side.notes {
                if let Some(Rec::Notification(n)) = side.recs.get(i as usize) {
                    if !keep(&n.kind) {
                        continue;
                    }
                    n.line(side.receipt(i).as_deref(), &mut out);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Each log's notifications whose kind `keep` accepts, as JSON lines in the log's order,
    /// with the log's Party; a notification a log carries in another Party's name is left out
    /// (it is a problem of that log, never a step of the Party it names).
    pub fn notifications_by_log_where(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        self.sides
            .iter()
            .map(|side| {
                let mut out = String::new();
                for &i in &side.notes {
                    if let Some(Rec::Notification(n)) = side.recs.get(i as usize) {
                        if keep(&n.kind) && n.party_is(&side.party) {
                            n.line(side.receipt(i).as_deref(), &mut out);
                            out.push('\n');
                        }
                    }
                }
                (side.party.clone(), out)
            })
            .collect()
    }

    /// The grown parts, caught up with every change (see the module's doc).
    fn grown(&self) -> std::sync::MutexGuard<'_, Grown> {
        self.grown.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The history of every Party as exchanged: compiled once, then kept up to date entry by
    /// entry. The same as [`History::parse`] of [`View::notifications_jsonl`], also in its
    /// errors.
    pub fn history(&self, spec: &TreatySpec) -> Result<Arc<History>, String> {
        let mut g = self.grown();
        let caught_up = match g.history.take() {
            Some((Ok(mut h), applied)) => match self.apply_history(spec, &mut h, &self.changes[applied..]) {
                Ok(()) => (Ok(h), self.changes.len()),
                Err(e) => (Err(e), self.changes.len()),
            },
            Some((Err(e), applied)) if applied == self.changes.len() => (Err(e), applied),
            _ => (self.compile_history(spec), self.changes.len()),
        };
        let out = caught_up.0.as_ref().map(Growing::shared).map_err(Clone::clone);
        g.history = Some(caught_up);
        out
    }

    /// Every notification compiled, Party after Party.
    fn compile_history(&self, spec: &TreatySpec) -> Result<Growing, String> {
        #[cfg(test)]
        self.builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut h = Growing::new(spec, self.sides.len());
        for (p, side) in self.sides.iter().enumerate() {
            for k in 0..side.notes.len() {
                self.history_note(spec, &mut h, p, k)?;
            }
        }
        Ok(h)
    }

    /// Applies `changes` to a compiled history.
    fn apply_history(&self, spec: &TreatySpec, h: &mut Growing, changes: &[Change]) -> Result<(), String> {
        for &(p, i) in changes {
            if let Some(k) = self.sides[p].rank(i) {
                self.history_note(spec, h, p, k)?;
            }
        }
        Ok(())
    }

    /// Compiles the `k`-th notification of Party `p` into `h`: in its place when `h` holds it
    /// (its receipt changed), else as the next of that Party.
    fn history_note(&self, spec: &TreatySpec, h: &mut Growing, p: usize, k: usize) -> Result<(), String> {
        let side = &self.sides[p];
        let line = side.line_of(side.notes[k]).unwrap_or_default();
        let n = parse_notification(&line).map_err(|e| HistoryBuilder::parse_error(h.line(p, k), e).to_string())?;
        if k < h.count(p) {
            h.replace(spec, p, k, &n)
        } else {
            h.push(spec, p, &n)
        }
        .map_err(|e| e.to_string())
    }

    /// The inspection and negotiation record of every Party: folded once, then each new step
    /// taken as it comes (folded again when one comes before the last taken).
    pub fn record(&self, spec: &TreatySpec) -> Arc<Record> {
        let mut g = self.grown();
        let caught_up = match g.record.take() {
            Some((mut f, applied)) => {
                if self.apply_record(spec, &mut f, &self.changes[applied..]) {
                    f
                } else {
                    self.fold_record(spec)
                }
            }
            None => self.fold_record(spec),
        };
        let out = caught_up.record.clone();
        g.record = Some((caught_up, self.changes.len()));
        out
    }

    /// Every step notification folded, in the fold's order.
    fn fold_record(&self, spec: &TreatySpec) -> Folded {
        #[cfg(test)]
        self.builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut lines = Vec::new();
        for (p, side) in self.sides.iter().enumerate() {
            for &i in &side.notes {
                if let Some(Rec::Notification(n)) = side.recs.get(i as usize) {
                    if step_of(spec, &n.kind).is_some() {
                        lines.push((p, side.line_of(i).unwrap_or_default()));
                    }
                }
            }
        }
        let steps: Vec<(usize, accord_ledger::notification::Notification<'_>)> = lines
            .iter()
            .filter_map(|(p, l)| parse_notification(l).ok().map(|n| (*p, n)))
            .collect();
        let last = steps
            .iter()
            .filter_map(|(p, n)| step_of(spec, &n.kind).map(|e| (StepOrder::of(e, n), *p)))
            .max();
        let ns: Vec<_> = steps.into_iter().map(|(_, n)| n).collect();
        Folded {
            record: Arc::new(Record::fold(spec, &ns)),
            seen: self.sides.iter().map(|s| s.notes.len()).collect(),
            last,
        }
    }

    /// Takes the new steps among `changes` into `f`; false when one comes before the last
    /// step taken (the record is then folded again).
    fn apply_record(&self, spec: &TreatySpec, f: &mut Folded, changes: &[Change]) -> bool {
        for &(p, i) in changes {
            let side = &self.sides[p];
            let Some(k) = side.rank(i) else { continue };
            if k < f.seen[p] {
                continue; // a receipt: the record does not read it
            }
            f.seen[p] = k + 1;
            let Some(Rec::Notification(note)) = side.recs.get(i as usize) else {
                continue;
            };
            if step_of(spec, &note.kind).is_none() {
                continue;
            }
            let line = side.line_of(i).unwrap_or_default();
            let Ok(n) = parse_notification(&line) else { continue };
            let Some(e) = step_of(spec, &n.kind) else { continue };
            let at = (StepOrder::of(e, &n), p);
            if f.last.as_ref().is_some_and(|last| at < *last) {
                return false;
            }
            Arc::make_mut(&mut f.record).take_next(e, &n);
            f.last = Some(at);
        }
        true
    }

    /// The record with `new` (steps about to be logged) taken after every step it holds, as
    /// [`Record::check_new`] folds them: from the record as it stands when each of them comes
    /// after the last step taken, else folded whole with them.
    pub fn record_after(&self, spec: &TreatySpec, new: &[accord_ledger::notification::Notification<'_>]) -> Record {
        let record = self.record(spec);
        let last = self.grown().record.as_ref().and_then(|(f, _)| f.last.clone());
        let mut steps: Vec<(StepOrder, usize, Effect)> = new
            .iter()
            .enumerate()
            .filter_map(|(i, n)| step_of(spec, &n.kind).map(|e| (StepOrder::of(e, n), i, e)))
            .collect();
        steps.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        // Given after every step held, as `Record::check_new` gives them: an equal place
        // still comes after.
        let in_order = match (steps.first(), last) {
            (Some((first, _, _)), Some((last, _))) => *first >= last,
            _ => true,
        };
        if in_order {
            let mut after = (*record).clone();
            for (_, i, e) in steps {
                after.take_next(e, &new[i]);
            }
            return after;
        }
        let existing = accord_ledger::record::steps_of(spec, &self.steps_jsonl(spec));
        let all: Vec<_> = existing.iter().chain(new).cloned().collect();
        Record::fold(spec, &all)
    }

    /// The inspection and negotiation step notifications of every Party, as
    /// [`View::notifications_jsonl`] gives them; no other notification is serialised.
    pub fn steps_jsonl(&self, spec: &TreatySpec) -> String {
        self.notifications_jsonl_where(|kind| step_of(spec, kind).is_some())
    }

    /// The compliance report on `at`, with the figures at every data exchange up to it (kept
    /// for the last few dates asked until the view changes).
    pub fn compliance(&self, spec: &TreatySpec, at: Date) -> Result<Arc<Report>, String> {
        if let Some((_, r)) = self
            .derived
            .reports
            .lock()
            .ok()
            .and_then(|k| k.iter().find(|(d, _)| *d == at).cloned())
        {
            return Ok(r);
        }
        let history = self.history(spec)?;
        // Replayed under the lifecycle the record agreed (an extension accepted between the
        // nodes, in a what-if say), the catalogue unchanged.
        let record = self.record(spec);
        let spec = &record.spec;
        let mut dates: Vec<Date> = spec
            .data_exchange_dates()
            .into_iter()
            .filter(|d| *d <= at)
            .chain(std::iter::once(at))
            .collect();
        dates.sort();
        dates.dedup();
        let out = replay(spec, &history, &dates).map_err(|e| e.to_string())?;
        let mut report = history_report(spec, &history, &out, at);
        report.add_record_findings(&record);
        let report = Arc::new(report);
        if let Ok(mut kept) = self.derived.reports.lock() {
            if kept.len() >= REPORTS_KEPT {
                kept.remove(0);
            }
            kept.push((at, report.clone()));
        }
        Ok(report)
    }

    /// The own (outbox) or partner (inbox) notifications with their deadline status as of `now`.
    pub fn mailbox(&self, spec: &TreatySpec, outbox: bool, now: i64) -> Vec<BoxItem> {
        self.mailbox_page(spec, outbox, now, None, (usize::MAX, 0)).1
    }

    /// One page of [`View::mailbox`]: the number of items with status `status` (all when
    /// `None`), and the last `limit` of them. Each notification's deadline and time of receipt
    /// are worked out once until the view changes; a page builds only its own items.
    pub fn mailbox_page(
        &self,
        spec: &TreatySpec,
        outbox: bool,
        now: i64,
        status: Option<&str>,
        (limit, offset): (usize, usize),
    ) -> (usize, Vec<BoxItem>) {
        let p = if outbox { OWN } else { PARTNER };
        let (Some(side), Some(slots)) = (self.sides.get(p), self.derived.deadlines.get(p)) else {
            return (0, Vec::new());
        };
        let slots = slots.get_or_init(|| deadlines(spec, side));
        let status_of = |d: &Slot| match (d.due, d.received) {
            (None, _) => DeadlineStatus::NoDeadline,
            (Some((_, due)), Some(r)) => {
                if r <= due {
                    DeadlineStatus::OnTime
                } else {
                    DeadlineStatus::Late
                }
            }
            (Some((_, due)), None) => {
                if now <= due {
                    DeadlineStatus::Awaiting
                } else {
                    DeadlineStatus::Overdue
                }
            }
        };
        let matching: Vec<(&Slot, DeadlineStatus)> = slots
            .iter()
            .map(|d| (d, status_of(d)))
            .filter(|(_, st)| status.is_none_or(|want| st.name() == want))
            .collect();
        let total = matching.len();
        // The newest `limit` after skipping the newest `offset` (oldest first within the page).
        let end = total.saturating_sub(offset);
        let page = matching[end.saturating_sub(limit)..end]
            .iter()
            .filter_map(|(d, st)| {
                let Some(Rec::Notification(n)) = side.recs.get(d.index as usize) else {
                    return None;
                };
                Some(BoxItem {
                    index: d.index,
                    id: n.id.clone(),
                    kind: n.kind.clone(),
                    date: n.date.clone(),
                    sent: n.sent.clone(),
                    received: side.receipt(d.index),
                    due: d.due.map(|(due, _)| match due {
                        accord_treaty::Due::Date { date } => date.to_string(),
                        accord_treaty::Due::Instant { unix } => crate::clock::rfc3339(unix),
                    }),
                    status: *st,
                })
            })
            .collect();
        (total, page)
    }
}

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_FORMAT: &[u8] = b"accord-view-snapshot/2\n";

/// What a snapshot covers: each log's size and the leaf hash of its last entry (in the view's
/// order of Parties, the own first), so that a reader can tell whether the logs it holds still
/// begin with what the snapshot was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotKey(pub Vec<(u64, Option<Hash>)>);

impl SnapshotKey {
    /// Party `p`'s log: its size and last leaf hash (none for a Party the view does not have).
    pub fn of(&self, p: usize) -> (u64, Option<Hash>) {
        self.0.get(p).copied().unwrap_or((0, None))
    }
}

impl View {
    /// Whether this is a view of the logs of these Parties and origins, in this order.
    pub fn is_of(&self, parties: &[(&str, &str)]) -> bool {
        self.sides.len() == parties.len() && self.sides.iter().zip(parties).all(|(s, (p, o))| s.party == *p && s.origin == *o)
    }

    /// What the view covers (see [`SnapshotKey`]).
    pub fn snapshot_key(&self) -> SnapshotKey {
        SnapshotKey(
            self.sides
                .iter()
                .map(|s| (s.recs.len() as u64, s.leaves.get(s.recs.len().wrapping_sub(1)).copied()))
                .collect(),
        )
    }

    /// The view as bytes: [`SNAPSHOT_FORMAT`], the SHA-256 of the body, then the body
    /// (length-prefixed fields, no escaping), so that opening a node reads it in one pass.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_u64(&mut b, self.sides.len() as u64);
        for side in &self.sides {
            put_str(&mut b, &side.party);
            put_str(&mut b, &side.origin);
        }
        for side in &self.sides {
            put_u64(&mut b, side.recs.len() as u64);
            for (r, leaf) in side.recs.iter().zip(&side.leaves) {
                b.extend_from_slice(&leaf.0);
                match r {
                    Rec::Other => b.push(0),
                    Rec::Ack => b.push(1),
                    Rec::Notification(n) => {
                        b.push(2);
                        for t in [&n.id, &n.kind, &n.date] {
                            put_str(&mut b, t);
                        }
                        put_str(&mut b, n.sent.as_deref().unwrap_or("\u{0}"));
                        put_str(&mut b, &n.text);
                    }
                    Rec::Release { of, value } => {
                        b.push(3);
                        put_u64(&mut b, *of);
                        put_str(&mut b, &value.to_string());
                    }
                }
            }
            for by in &side.receipts {
                let mut receipts: Vec<_> = by.iter().collect();
                receipts.sort();
                put_u64(&mut b, receipts.len() as u64);
                for (i, t) in receipts {
                    put_u64(&mut b, *i);
                    put_str(&mut b, t);
                }
            }
            let mut awaiting: Vec<_> = side.awaiting.iter().flat_map(|(i, v)| v.iter().map(move |x| (i, x))).collect();
            awaiting.sort();
            put_u64(&mut b, awaiting.len() as u64);
            for (i, (by, h, t)) in awaiting {
                put_u64(&mut b, *i);
                put_u64(&mut b, *by as u64);
                b.extend_from_slice(&h.0);
                put_str(&mut b, t);
            }
        }
        put_u64(&mut b, self.problems.len() as u64);
        for p in &self.problems {
            put_str(&mut b, &p.party);
            put_u64(&mut b, p.index);
            put_str(&mut b, &p.problem);
        }
        let mut out = SNAPSHOT_FORMAT.to_vec();
        out.extend_from_slice(&sha256(&b));
        out.extend_from_slice(&b);
        out
    }

    /// A view from [`View::to_snapshot`]'s bytes. Anything else (another format, a damaged or
    /// truncated body, a checksum that does not match) is refused: the caller rebuilds.
    pub fn from_snapshot(bytes: &[u8]) -> Result<View, String> {
        let rest = bytes.strip_prefix(SNAPSHOT_FORMAT).ok_or("not a view snapshot of this format")?;
        if rest.len() < 32 {
            return Err("truncated".into());
        }
        let (sum, body) = rest.split_at(32);
        if sha256(body) != sum {
            return Err("its checksum does not match its body".into());
        }
        let mut r = Reader { b: body };
        let parties = r.count(16)? as usize;
        let mut names = Vec::with_capacity(parties);
        for _ in 0..parties {
            names.push((r.string()?, r.string()?));
        }
        let named: Vec<(&str, &str)> = names.iter().map(|(p, o)| (p.as_str(), o.as_str())).collect();
        let mut v = View::new(&named);
        for side in &mut v.sides {
            let n = r.count(33)?;
            for i in 0..n {
                side.leaves.push(Hash(r.array()?));
                let rec = match r.byte()? {
                    0 => Rec::Other,
                    1 => Rec::Ack,
                    2 => {
                        let (id, kind, date, sent, text) = (r.string()?, r.string()?, r.string()?, r.string()?, r.string()?);
                        side.by_id.insert(id.clone(), i);
                        side.notes.push(i);
                        Rec::Notification(Arc::new(Note {
                            id,
                            kind,
                            date,
                            sent: (sent != "\u{0}").then_some(sent),
                            text: text.into(),
                        }))
                    }
                    3 => {
                        let of = r.u64()?;
                        let value = serde_json::from_str(&r.string()?).map_err(|e| format!("a release: {e}"))?;
                        Rec::Release {
                            of,
                            value: Arc::new(value),
                        }
                    }
                    t => return Err(format!("unknown record tag {t}")),
                };
                side.recs.push(rec);
            }
            for by in 0..parties {
                for _ in 0..r.count(9)? {
                    let i = r.u64()?;
                    side.receipts[by].insert(i, r.string()?);
                }
            }
            for _ in 0..r.count(49)? {
                let i = r.u64()?;
                let by = r.u64()?;
                let by = usize::try_from(by)
                    .ok()
                    .filter(|&b| b < parties)
                    .ok_or("an acknowledgement by a Party the view does not have")?;
                let h = Hash(r.array()?);
                side.awaiting.entry(i).or_default().push((by, h, r.string()?));
            }
        }
        for _ in 0..r.count(17)? {
            let party = r.string()?;
            let index = r.u64()?;
            v.problems.push(Problem {
                party,
                index,
                problem: r.string()?,
            });
        }
        if !r.b.is_empty() {
            return Err("bytes after the end".into());
        }
        v.advance_cursors();
        Ok(v)
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(b).into()
}

fn put_u64(b: &mut Vec<u8>, n: u64) {
    b.extend_from_slice(&n.to_le_bytes());
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u64(b, s.len() as u64);
    b.extend_from_slice(s.as_bytes());
}

/// Reads a snapshot body, every length checked against what is left.
struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if n > self.b.len() {
            return Err("truncated".into());
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        self.take(N)?.try_into().map_err(|_| "truncated".to_string())
    }
    /// A count of items each at least `min` bytes long (so a damaged count cannot make the
    /// reader allocate or loop beyond the input).
    fn count(&mut self, min: usize) -> Result<u64, String> {
        let n = self.u64()?;
        if n.saturating_mul(min as u64) > self.b.len() as u64 {
            return Err("a count larger than what follows".into());
        }
        Ok(n)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u64()?;
        let n = usize::try_from(n).map_err(|_| "a length too large")?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "not UTF-8".to_string())
    }
}

/// Adds the next entry of Party `p`'s log (whose leaf hash is already in `leaves`), noting in
/// `changes` the notifications it adds or whose receipt it sets.
fn push(sides: &mut [Side], p: usize, e: Given<'_>, problems: &mut Vec<Problem>, stored: bool, changes: &mut Vec<Change>) {
    // The entry's own log is taken out while it is read, so that the others can be changed.
    let mut side = std::mem::take(&mut sides[p]);
    let index = side.recs.len() as u64;
    let party = side.party.clone();
    let mut problem = |m: String| {
        problems.push(Problem {
            party: party.clone(),
            index,
            problem: m,
        })
    };
    // Acknowledgements of this entry seen before it arrived.
    if let (Some(acks), Some(leaf)) = (side.awaiting.remove(&index), side.leaves.get(index as usize).copied()) {
        for (by, h, at) in acks {
            if h == leaf {
                side.receipts[by].entry(index).or_insert(at);
            } else {
                problem(format!(
                    "an acknowledgement of entry {index} names a leaf hash that is not this entry's"
                ));
            }
        }
    }
    // Entries loaded from the node's own store were checked when appended or mirrored: read
    // them in one pass; a live entry gets the full canonical check.
    let checked = if stored { Ok(()) } else { decode(e.bytes).map(|_| ()) };
    let rec = match checked.and_then(|()| read_stored(e.bytes)) {
        Err(err) => {
            problem(format!("not an accord entry: {err}"));
            Rec::Other
        }
        Ok(env) if env.public.is_some() => release(&env, &side, index, &mut problem),
        Ok(env) => classify(&env, e.blob, sides, p, &side.party, changes, &mut problem),
    };
    if let Rec::Notification(n) = &rec {
        // Acknowledgements that came before it: stamped before it was sent?
        for r in &side.receipts {
            if let Some(sent) = r.get(&index).and_then(|at| n.sent_if_after(at).map(|s| (at, s))) {
                problem(early_receipt(&side.party, index, sent.0, sent.1));
            }
        }
        if side.by_id.insert(n.id.clone(), index).is_some() {
            problem(format!("notification id {} logged twice; the first is kept", n.id));
        }
        side.notes.push(index);
        changes.push((p, index));
    }
    side.recs.push(rec);
    sides[p] = side;
}

/// The problem of a receipt stamped before its notification was sent.
fn early_receipt(party: &str, index: u64, at: &str, sent: &str) -> String {
    format!(
        "the acknowledgement of {party} entry {index} is stamped {at}, before it was sent ({sent}): the receiving clock was behind the sender's; it is read as received when sent"
    )
}

fn release(env: &StoredEntry<'_>, side: &Side, index: u64, problem: &mut dyn FnMut(String)) -> Rec {
    let (Some(r), Some(p)) = (env.refs.first(), &env.public) else {
        return Rec::Other;
    };
    if r.origin != side.origin || r.index >= index || side.leaves.get(r.index as usize) != Some(&r.leaf_hash) {
        problem(format!(
            "a public release of {}:{} that is not an earlier entry of this log",
            r.origin, r.index
        ));
        return Rec::Other;
    }
    Rec::Release {
        of: r.index,
        value: Arc::new(p.clone()),
    }
}

/// What an entry of Party `by`'s log is: an acknowledgement (whose receipt is set on the
/// acknowledged log, another of `sides`), a notification, or something else (a problem).
fn classify(
    env: &StoredEntry<'_>,
    blob: Option<Vec<u8>>,
    sides: &mut [Side],
    by: usize,
    party: &str,
    changes: &mut Vec<Change>,
    problem: &mut dyn FnMut(String),
) -> Rec {
    if env.party != party {
        problem(format!("party {:?} in the log of {party}", env.party));
        return Rec::Other;
    }
    if let Some((r, at)) = env.acknowledges() {
        let Some(t) = (0..sides.len()).find(|&t| t != by && sides[t].origin == r.origin) else {
            let others: Vec<&str> = (0..sides.len()).filter(|&t| t != by).map(|t| sides[t].origin.as_str()).collect();
            problem(format!("acknowledges an entry of {}, not of {}", r.origin, others.join(" or ")));
            return Rec::Other;
        };
        let other = &mut sides[t];
        match other.leaves.get(r.index as usize) {
            Some(h) if *h == r.leaf_hash => {
                if let std::collections::hash_map::Entry::Vacant(v) = other.receipts[by].entry(r.index) {
                    v.insert(at.to_owned());
                    if let Some(Rec::Notification(n)) = other.recs.get(r.index as usize) {
                        if let Some(sent) = n.sent_if_after(at) {
                            problem(early_receipt(&other.party, r.index, at, sent));
                        }
                        changes.push((t, r.index));
                    }
                }
                return Rec::Ack;
            }
            Some(_) => problem(format!("acknowledges entry {} with a leaf hash that is not that entry's", r.index)),
            None => {
                // Not yet held here: its receipt counts once the entry arrives and matches.
                other.awaiting.entry(r.index).or_default().push((by, r.leaf_hash, at.to_owned()));
                return Rec::Ack;
            }
        }
        return Rec::Other;
    }
    let note = match (env.notification, blob) {
        (Some(raw), _) => Note::read(raw.get()),
        (None, Some(b)) => std::str::from_utf8(&b).ok().and_then(Note::read),
        (None, None) => {
            problem("a notification logged by hash whose content is not at hand".into());
            return Rec::Other;
        }
    };
    match note {
        Some(n) => Rec::Notification(Arc::new(n)),
        None => {
            problem("a notification without an id".into());
            Rec::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notification kept as its stored text gives the same JSON line, with its receipt, as
    /// the notification parsed and the receipt set (also when it carried a `received`).
    #[test]
    fn notes_give_their_line_with_the_receipt() {
        let text =
            r#"{"body":{"item":"M1"},"date":"2011-03-05","id":"US-3","kind":"deployment","party":"US","sent":"2011-03-06T10:00:00Z"}"#;
        let n = Note::read(text).expect("note");
        assert_eq!(
            (n.id.as_str(), n.kind.as_str(), n.date.as_str()),
            ("US-3", "deployment", "2011-03-05")
        );
        assert_eq!(n.sent.as_deref(), Some("2011-03-06T10:00:00Z"));
        let mut plain = String::new();
        n.line(None, &mut plain);
        assert_eq!(plain, text);
        let mut with = String::new();
        n.line(Some("2011-03-06T10:01:00Z"), &mut with);
        let mut want: serde_json::Value = serde_json::from_str(text).expect("json");
        want["received"] = "2011-03-06T10:01:00Z".into();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&with).expect("json"), want);
        let carried = Note::read(&with).expect("note");
        let mut again = String::new();
        carried.line(Some("2011-03-07T00:00:00Z"), &mut again);
        let again: serde_json::Value = serde_json::from_str(&again).expect("json: no duplicate key");
        assert_eq!(again["received"], "2011-03-07T00:00:00Z");
        assert!(Note::read(r#"{"kind":"x"}"#).is_none(), "a notification without an id");
        assert!(Note::read("[1]").is_none());
    }

    /// A log's entries for a test: notifications (without `received`) and acknowledgements.
    fn entry(party: &str, seq: u64, what: Result<&str, (&str, u64, Hash, &str)>) -> Vec<u8> {
        use accord_tlog::entry::{encode, EntryRef, Envelope};
        let e = match what {
            Ok(text) => {
                let mut v: serde_json::Value = serde_json::from_str(text).expect("json");
                v.as_object_mut().expect("object").remove("received");
                Envelope::new(party, seq, [seq as u8; 16], v)
            }
            Err((origin, index, leaf_hash, at)) => Envelope::ack(
                party,
                seq,
                [seq as u8; 16],
                EntryRef {
                    origin: origin.into(),
                    index,
                    leaf_hash,
                },
                at,
            ),
        };
        encode(&e).expect("entry")
    }

    /// Entries arriving one by one (notifications, receipts, steps, one step earlier than
    /// those already taken) keep the history, the record and the reports what a view built
    /// from the same entries at once gives, after every entry.
    #[test]
    fn a_view_grown_entry_by_entry_reads_as_one_built_at_once() {
        let spec = accord_treaty::builtin::new_start();
        let small = include_str!("../../../tests/scenarios/small.jsonl");
        let proposal = |id: &str, party: &str, date: &str, body: serde_json::Value| {
            serde_json::json!({"id": id, "kind": if body.get("responds_to").is_some() { "counter_proposal" } else { "proposal" },
                "party": party, "date": date, "sent": format!("{date}T12:00:00Z"), "body": {"proposal": body}})
            .to_string()
        };
        let mut notes: Vec<(usize, String)> = small
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| (usize::from(l.contains("\"party\":\"RU\"")), l.to_owned()))
            .collect();
        notes.push((0, proposal("US-P1", "US", "2011-10-16", serde_json::json!({"id": "P1", "title": "a freeze", "terms": [{"freeze_warheads_at": "2011-10-16", "declaration": "warhead_stockpile_declaration", "categories": ["all"]}]}))));
        notes.push((1, proposal("RU-P2", "RU", "2011-10-20", serde_json::json!({"id": "P2", "title": "a counter", "responds_to": "P1", "terms": [{"freeze_warheads_at": "2011-10-20", "declaration": "warhead_stockpile_declaration", "categories": ["all"]}]}))));
        // Earlier than the counter: the record is folded again.
        notes.push((0, proposal("US-P3", "US", "2011-10-18", serde_json::json!({"id": "P3", "title": "another", "terms": [{"freeze_warheads_at": "2011-10-18", "declaration": "warhead_stockpile_declaration", "categories": ["all"]}]}))));
        let parties = [("US", "us.example/log"), ("RU", "ru.example/log")];
        // Each notification, then the other Party's acknowledgement of it.
        let mut logs: [Vec<Vec<u8>>; 2] = [Vec::new(), Vec::new()];
        let mut order: Vec<(usize, usize)> = Vec::new();
        for (p, text) in &notes {
            let (p, q) = (*p, 1 - *p);
            let seq = logs[p].len() as u64;
            logs[p].push(entry(parties[p].0, seq, Ok(text)));
            order.push((p, logs[p].len() - 1));
            let leaf = leaf_hash(&logs[p][seq as usize]);
            let sent: serde_json::Value = serde_json::from_str(text).expect("json");
            let at = sent["sent"].as_str().unwrap_or("2011-03-01T00:00:00Z").replace(":00Z", ":30Z");
            let ack = entry(parties[q].0, logs[q].len() as u64, Err((parties[p].1, seq, leaf, &at)));
            logs[q].push(ack);
            order.push((q, logs[q].len() - 1));
        }
        let at = accord_treaty::parse_date("2012-01-01").expect("date");
        let read = |v: &View| {
            let h = v.history(&spec).expect("history");
            let ids: Vec<(u32, String)> = h.events.iter().map(|e| (e.line, h.id(e).to_owned())).collect();
            let record = serde_json::to_string(&*v.record(&spec)).expect("json");
            let report = serde_json::to_string(&*v.compliance(&spec, at).expect("report")).expect("json");
            (v.notifications_jsonl(), ids, record, report)
        };
        let mut grown = View::new(&parties);
        let mut held = [0usize; 2];
        for (step, &(p, i)) in order.iter().enumerate() {
            grown.push(
                p,
                Given {
                    bytes: &logs[p][i],
                    blob: None,
                    leaf: None,
                },
            );
            held[p] = i + 1;
            let mut whole = View::new(&parties);
            whole.load(
                (0..2)
                    .map(|q| {
                        logs[q][..held[q]]
                            .iter()
                            .map(|b| Given {
                                bytes: b,
                                blob: None,
                                leaf: None,
                            })
                            .collect()
                    })
                    .collect(),
            );
            // Read every other step, so that changes also pile up between reads.
            if step % 2 == 1 || step + 1 == order.len() {
                assert_eq!(read(&grown), read(&whole), "after entry {step}");
            }
        }
        // Built whole once each on the first read, and the record once more for the late step.
        assert_eq!(grown.builds.load(std::sync::atomic::Ordering::Relaxed), 3);
        let record = grown.record(&spec);
        assert_eq!(record.proposals.len(), 3, "{:?}", record.problems);
        assert!(grown.notifications_jsonl().contains("\"received\""), "receipts reach the history");
        // Steps about to be logged, after the last step and before it: as folding everything.
        let existing = accord_ledger::record::steps_of(&spec, &grown.steps_jsonl(&spec));
        for date in ["2011-12-01", "2011-10-17"] {
            let text = proposal(
                "US-P9",
                "US",
                date,
                serde_json::json!({"id": "P9", "title": "one more", "terms": [{"freeze_warheads_at": date, "declaration": "warhead_stockpile_declaration", "categories": ["all"]}]}),
            );
            let new = [parse_notification(&text).expect("notification")];
            let all: Vec<_> = existing.iter().chain(&new).cloned().collect();
            let want = serde_json::to_string(&Record::fold(&spec, &all)).expect("json");
            assert_eq!(
                serde_json::to_string(&grown.record_after(&spec, &new)).expect("json"),
                want,
                "{date}"
            );
        }
        assert!(grown.problems().is_empty(), "{:?}", grown.problems());
    }

    /// A record that already holds a receipt stamped before its notification was sent (by a
    /// clock behind the sender's) stays readable: the receipt is read as the time sent, and
    /// the acknowledgement is reported as a problem; the same when the acknowledgement is
    /// loaded before the notification it names.
    #[test]
    fn a_receipt_stamped_before_sent_is_reported_and_the_record_stays_readable() {
        let spec = accord_treaty::builtin::new_start();
        let parties = [("US", "us.example/log"), ("RU", "ru.example/log")];
        let text = r#"{"id":"US-1","kind":"missile_launch","party":"US","date":"2011-03-13","sent":"2011-03-13T05:00:00Z","body":{"type":"Minuteman III","note":"test launch"}}"#;
        let note = entry("US", 0, Ok(text));
        let ack = entry("RU", 0, Err(("us.example/log", 0, leaf_hash(&note), "2011-03-13T04:59:30Z")));
        fn given(b: &[u8]) -> Given<'_> {
            Given {
                bytes: b,
                blob: None,
                leaf: None,
            }
        }
        for case in 0..3 {
            let mut v = View::new(&parties);
            match case {
                0 => {
                    v.push(OWN, given(&note));
                    v.push(PARTNER, given(&ack));
                }
                // The acknowledgement first: it waits for the entry it names.
                1 => {
                    v.push(PARTNER, given(&ack));
                    v.push(OWN, given(&note));
                }
                // Loaded whole, the acknowledging log first.
                _ => {
                    v = View::new(&[parties[1], parties[0]]);
                    v.load(vec![vec![given(&ack)], vec![given(&note)]]);
                }
            }
            let h = v.history(&spec).expect("the history is read, not refused");
            assert_eq!(h.events[0].received.map(|t| t.unix()), parse_time("2011-03-13T05:00:00Z").ok());
            if case < 2 {
                assert_eq!(v.mailbox(&spec, true, 0)[0].received.as_deref(), Some("2011-03-13T05:00:00Z"));
            }
            assert_eq!(v.problems().len(), 1, "case {case}: {:?}", v.problems());
            assert!(v.problems()[0].problem.contains("before it was sent"), "{:?}", v.problems());
            assert!(v.compliance(&spec, accord_treaty::parse_date("2011-12-31").expect("date")).is_ok());
        }
    }

    /// A log's notification in another Party's name never counts as that Party's: the
    /// freeze's record reads each log's own notifications only.
    #[test]
    fn a_log_speaks_only_for_its_own_party() {
        let parties = [("US", "us.example/log"), ("RU", "ru.example/log")];
        let own = r#"{"id":"US-1","kind":"warhead_sample","party":"US","date":"2021-01-20","body":{"sample":{"step":"commit","id":"RU-S1","commitment":"00"}}}"#;
        let forged = r#"{"id":"RU-9","kind":"warhead_sample","party":"US","date":"2021-01-19","body":{"sample":{"step":"commit","id":"RU-S1","commitment":"11"}}}"#;
        let theirs = r#"{"id":"RU-1","kind":"warhead_sample","party":"RU","date":"2021-01-20","body":{"sample":{"step":"commit","id":"RU-S1","commitment":"22"}}}"#;
        let (a, b, c) = (entry("US", 0, Ok(own)), entry("RU", 0, Ok(forged)), entry("RU", 1, Ok(theirs)));
        let given = |x: &[u8]| -> Vec<u8> { x.to_vec() };
        let (a, b, c) = (given(&a), given(&b), given(&c));
        let mut v = View::new(&parties);
        for (p, e) in [(OWN, &a), (PARTNER, &b), (PARTNER, &c)] {
            v.push(
                p,
                Given {
                    bytes: e,
                    blob: None,
                    leaf: None,
                },
            );
        }
        let logs = v.notifications_by_log_where(|k| k == "warhead_sample");
        assert_eq!(logs[0].0, "US");
        assert!(logs[0].1.contains("US-1") && !logs[0].1.contains("RU-9"));
        assert!(
            logs[1].1.contains("RU-1") && !logs[1].1.contains("RU-9"),
            "the forged line is left out: {}",
            logs[1].1
        );
    }

    /// The enum keeps the JSON the API documented as strings.
    #[test]
    fn deadline_statuses_keep_their_json_names() {
        for st in [
            DeadlineStatus::OnTime,
            DeadlineStatus::Late,
            DeadlineStatus::Awaiting,
            DeadlineStatus::Overdue,
            DeadlineStatus::NoDeadline,
        ] {
            assert_eq!(serde_json::to_value(st).expect("json"), serde_json::Value::String(st.name().into()));
        }
        assert_eq!(DeadlineStatus::OnTime.name(), "on_time");
        assert_eq!(DeadlineStatus::NoDeadline.name(), "no_deadline");
    }
}
