//! The exchanged record as a node sees it: its own log's notifications and acknowledgements and
//! the partner's (from the mirror), joined so that each notification carries its time of
//! receipt, the other Party's acknowledgement. Pure: entries in, notifications and reports out.
//!
//! Invariants: a notification's `received` comes only from an acknowledgement in the other
//! Party's log that names that very entry (origin, index and leaf hash); an acknowledgement that
//! names anything else is a problem, never a receipt; the first acknowledgement of an entry is
//! its receipt.

use accord_ledger::compliance::{history_report, Report};
use accord_ledger::record::Record;
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_tlog::entry::{decode, read_stored, StoredEntry};
use accord_tlog::merkle::leaf_hash;
use accord_tlog::Hash;
use accord_treaty::{Date, TreatySpec};
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

/// One side of the record.
#[derive(Debug, Default, Clone)]
struct Side {
    recs: Vec<Rec>,
    leaves: Vec<Hash>,
    by_id: HashMap<String, u64>,
    /// Receipt of this side's entries, from the other side's acknowledgements.
    receipts: HashMap<u64, String>,
    /// Acknowledgements (leaf hash, time) of this side's entries not yet held here (a mirror
    /// rebuilt from an older copy or a bundle): checked when the entry arrives.
    awaiting: HashMap<u64, Vec<(Hash, String)>>,
}

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
    own_party: String,
    partner_party: String,
    own_origin: String,
    partner_origin: String,
    own: Side,
    partner: Side,
    problems: Vec<Problem>,
    ack_cursor: usize,
    /// What is derived from all of it, computed on first use and dropped by any change, so that
    /// reads between two changes cost a lookup.
    derived: Derived,
}

/// Values derived from the whole view (see [`View`]'s `derived`).
#[derive(Debug, Default)]
struct Derived {
    history: OnceLock<Result<Arc<History>, String>>,
    record: OnceLock<Arc<Record>>,
    /// Each side's notifications with their deadlines and receipts (own, then the partner's).
    deadlines: [OnceLock<Vec<Slot>>; 2],
    /// The latest compliance reports, by evaluation date (a few: the dates readers ask).
    reports: Mutex<Vec<(Date, Arc<Report>)>>,
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
            let received = side.receipts.get(&(i as u64)).map(|r| parse_time(r).unwrap_or(i64::MAX));
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
    /// An empty view.
    pub fn new(own_party: &str, own_origin: &str, partner_party: &str, partner_origin: &str) -> View {
        View {
            own_party: own_party.into(),
            partner_party: partner_party.into(),
            own_origin: own_origin.into(),
            partner_origin: partner_origin.into(),
            own: Side::default(),
            partner: Side::default(),
            problems: Vec::new(),
            ack_cursor: 0,
            derived: Derived::default(),
        }
    }

    /// Entries of the own log seen.
    pub fn own_size(&self) -> u64 {
        self.own.recs.len() as u64
    }

    /// Entries of the partner's log seen.
    pub fn partner_size(&self) -> u64 {
        self.partner.recs.len() as u64
    }

    /// Partner notifications this node has acknowledged.
    pub fn acknowledged(&self) -> u64 {
        self.partner.receipts.len() as u64
    }

    /// Partner notifications not yet acknowledged, in order (acknowledgements are never
    /// acknowledged, so the exchange ends).
    pub fn to_acknowledge(&self) -> Vec<u64> {
        let from = self.ack_cursor.min(self.partner.recs.len());
        (from..self.partner.recs.len())
            .filter(|&i| matches!(self.partner.recs[i], Rec::Notification { .. }) && !self.partner.receipts.contains_key(&(i as u64)))
            .map(|i| i as u64)
            .collect()
    }

    /// Moves the start of [`View::to_acknowledge`]'s scan past entries that need nothing more.
    fn advance_cursor(&mut self) {
        while let Some(r) = self.partner.recs.get(self.ack_cursor) {
            let done = !matches!(r, Rec::Notification { .. }) || self.partner.receipts.contains_key(&(self.ack_cursor as u64));
            if !done {
                break;
            }
            self.ack_cursor += 1;
        }
    }

    /// Own entries the partner has acknowledged.
    pub fn acknowledged_by_partner(&self) -> u64 {
        self.own.receipts.len() as u64
    }

    /// How many own entries the partner is known to hold: one past the last one it
    /// acknowledged (its acknowledgements are in order of its mirror, which only grows).
    pub fn held_by_partner(&self) -> u64 {
        self.own.receipts.keys().max().map_or(0, |i| i + 1)
    }

    /// The own log index of a notification id.
    pub fn own_index(&self, id: &str) -> Option<u64> {
        self.own.by_id.get(id).copied()
    }

    /// The own log's public releases: (index, the entry released, the public part).
    pub fn releases(&self) -> Vec<(u64, u64, Arc<serde_json::Value>)> {
        self.own
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
        let side = &self.partner;
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
        match self.own.recs.get(index as usize)? {
            Rec::Notification(n) => n.value(),
            _ => None,
        }
    }

    /// The partner's entry `index`: its leaf hash.
    pub fn partner_leaf(&self, index: u64) -> Option<Hash> {
        self.partner.leaves.get(index as usize).copied()
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
        self.derived = Derived::default();
        self.own.leaves.truncate(self.own.recs.len());
        self.own.leaves.push(e.leaf());
        let (own, partner) = (&mut self.own, &mut self.partner);
        push(
            own,
            partner,
            &self.own_party,
            (&self.own_origin, &self.partner_origin),
            e,
            &mut self.problems,
            false,
        );
        self.advance_cursor();
    }

    /// Adds the next partner entry.
    pub fn push_partner(&mut self, e: Given<'_>) {
        self.derived = Derived::default();
        self.partner.leaves.truncate(self.partner.recs.len());
        self.partner.leaves.push(e.leaf());
        let (own, partner) = (&mut self.own, &mut self.partner);
        push(
            partner,
            own,
            &self.partner_party,
            (&self.partner_origin, &self.own_origin),
            e,
            &mut self.problems,
            false,
        );
    }

    /// Loads both logs at once (at start): each side's acknowledgements may name entries of the
    /// other that come later in the loading order, so every leaf is known before any entry is
    /// classified.
    pub fn load(&mut self, own: Vec<Given<'_>>, partner: Vec<Given<'_>>) {
        self.derived = Derived::default();
        self.own.leaves.extend(own.iter().map(Given::leaf));
        self.partner.leaves.extend(partner.iter().map(Given::leaf));
        for g in own {
            let (o, p) = (&mut self.own, &mut self.partner);
            push(
                o,
                p,
                &self.own_party,
                (&self.own_origin, &self.partner_origin),
                g,
                &mut self.problems,
                true,
            );
        }
        for g in partner {
            let (o, p) = (&mut self.own, &mut self.partner);
            push(
                p,
                o,
                &self.partner_party,
                (&self.partner_origin, &self.own_origin),
                g,
                &mut self.problems,
                true,
            );
        }
        self.advance_cursor();
    }

    /// Every notification of both Parties, with its time of receipt where acknowledged, as
    /// JSON Lines in the treaty engine's format.
    pub fn notifications_jsonl(&self) -> String {
        self.notifications_jsonl_where(|_| true)
    }

    /// The notifications whose kind `keep` accepts, as [`View::notifications_jsonl`] gives
    /// them; the others are not serialised at all (the record needs only its steps).
    pub fn notifications_jsonl_where(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut out = String::new();
        for side in [&self.own, &self.partner] {
            for (i, r) in side.recs.iter().enumerate() {
                if let Rec::Notification(n) = r {
                    if !keep(&n.kind) {
                        continue;
                    }
                    n.line(side.receipts.get(&(i as u64)).map(String::as_str), &mut out);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The history of both Parties as exchanged (parsed once until the view changes).
    pub fn history(&self, spec: &TreatySpec) -> Result<Arc<History>, String> {
        self.derived
            .history
            .get_or_init(|| {
                History::parse(spec, &self.notifications_jsonl())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The inspection and negotiation record of both Parties (folded once until the view
    /// changes; only the step notifications are serialised for it).
    pub fn record(&self, spec: &TreatySpec) -> Arc<Record> {
        self.derived
            .record
            .get_or_init(|| Arc::new(Record::from_jsonl(spec, &self.steps_jsonl(spec))))
            .clone()
    }

    /// The inspection and negotiation step notifications of both Parties, as
    /// [`View::notifications_jsonl`] gives them; no other notification is serialised.
    pub fn steps_jsonl(&self, spec: &TreatySpec) -> String {
        self.notifications_jsonl_where(|kind| accord_ledger::record::step_of(spec, kind).is_some())
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
        report.add_record_findings(&self.record(spec));
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
        self.mailbox_page(spec, outbox, now, None, usize::MAX).1
    }

    /// One page of [`View::mailbox`]: the number of items with status `status` (all when
    /// `None`), and the last `limit` of them. Each notification's deadline and time of receipt
    /// are worked out once until the view changes; a page builds only its own items.
    pub fn mailbox_page(&self, spec: &TreatySpec, outbox: bool, now: i64, status: Option<&str>, limit: usize) -> (usize, Vec<BoxItem>) {
        let side = if outbox { &self.own } else { &self.partner };
        let slots = self.derived.deadlines[usize::from(!outbox)].get_or_init(|| deadlines(spec, side));
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
        let page = matching[total.saturating_sub(limit)..]
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
                    received: side.receipts.get(&d.index).cloned(),
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
pub const SNAPSHOT_FORMAT: &[u8] = b"accord-view-snapshot/1\n";

/// What a snapshot covers: each log's size and the leaf hash of its last entry, so that a
/// reader can tell whether the logs it holds still begin with what the snapshot was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotKey {
    /// The own log's size and last leaf hash.
    pub own: (u64, Option<Hash>),
    /// The mirror's size and last leaf hash.
    pub partner: (u64, Option<Hash>),
}

impl View {
    /// Whether this is a view of the logs of these Parties and origins.
    pub fn is_of(&self, own_party: &str, own_origin: &str, partner_party: &str, partner_origin: &str) -> bool {
        (
            self.own_party.as_str(),
            self.own_origin.as_str(),
            self.partner_party.as_str(),
            self.partner_origin.as_str(),
        ) == (own_party, own_origin, partner_party, partner_origin)
    }

    /// What the view covers (see [`SnapshotKey`]).
    pub fn snapshot_key(&self) -> SnapshotKey {
        SnapshotKey {
            own: (
                self.own.recs.len() as u64,
                self.own.leaves.get(self.own.recs.len().wrapping_sub(1)).copied(),
            ),
            partner: (
                self.partner.recs.len() as u64,
                self.partner.leaves.get(self.partner.recs.len().wrapping_sub(1)).copied(),
            ),
        }
    }

    /// The view as bytes: [`SNAPSHOT_FORMAT`], the SHA-256 of the body, then the body
    /// (length-prefixed fields, no escaping), so that opening a node reads it in one pass.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for t in [&self.own_party, &self.own_origin, &self.partner_party, &self.partner_origin] {
            put_str(&mut b, t);
        }
        for side in [&self.own, &self.partner] {
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
            let mut receipts: Vec<_> = side.receipts.iter().collect();
            receipts.sort();
            put_u64(&mut b, receipts.len() as u64);
            for (i, t) in receipts {
                put_u64(&mut b, *i);
                put_str(&mut b, t);
            }
            let mut awaiting: Vec<_> = side.awaiting.iter().flat_map(|(i, v)| v.iter().map(move |x| (i, x))).collect();
            awaiting.sort();
            put_u64(&mut b, awaiting.len() as u64);
            for (i, (h, t)) in awaiting {
                put_u64(&mut b, *i);
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
        let mut v = View::new(&r.string()?, &r.string()?, &r.string()?, &r.string()?);
        for own in [true, false] {
            let mut side = Side::default();
            let n = r.count(33)?;
            for i in 0..n {
                side.leaves.push(Hash(r.array()?));
                let rec = match r.byte()? {
                    0 => Rec::Other,
                    1 => Rec::Ack,
                    2 => {
                        let (id, kind, date, sent, text) = (r.string()?, r.string()?, r.string()?, r.string()?, r.string()?);
                        side.by_id.insert(id.clone(), i);
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
            for _ in 0..r.count(9)? {
                let i = r.u64()?;
                side.receipts.insert(i, r.string()?);
            }
            for _ in 0..r.count(41)? {
                let i = r.u64()?;
                let h = Hash(r.array()?);
                side.awaiting.entry(i).or_default().push((h, r.string()?));
            }
            if own {
                v.own = side;
            } else {
                v.partner = side;
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
        v.advance_cursor();
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

fn push(side: &mut Side, other: &mut Side, party: &str, origins: (&str, &str), e: Given<'_>, problems: &mut Vec<Problem>, stored: bool) {
    let (origin, other_origin) = origins;
    let index = side.recs.len() as u64;
    let mut problem = |p: String| {
        problems.push(Problem {
            party: party.to_owned(),
            index,
            problem: p,
        })
    };
    // Acknowledgements of this entry seen before it arrived.
    if let (Some(acks), Some(leaf)) = (side.awaiting.remove(&index), side.leaves.get(index as usize).copied()) {
        for (h, at) in acks {
            if h == leaf {
                side.receipts.entry(index).or_insert(at);
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
        Ok(env) if env.public.is_some() => release(&env, side, origin, index, &mut problem),
        Ok(env) => classify(&env, e.blob, other, other_origin, party, &mut problem),
    };
    if let Rec::Notification(n) = &rec {
        if side.by_id.insert(n.id.clone(), index).is_some() {
            problem(format!("notification id {} logged twice; the first is kept", n.id));
        }
    }
    side.recs.push(rec);
}

fn release(env: &StoredEntry<'_>, side: &Side, origin: &str, index: u64, problem: &mut dyn FnMut(String)) -> Rec {
    let (Some(r), Some(p)) = (env.refs.first(), &env.public) else {
        return Rec::Other;
    };
    if r.origin != origin || r.index >= index || side.leaves.get(r.index as usize) != Some(&r.leaf_hash) {
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

fn classify(
    env: &StoredEntry<'_>,
    blob: Option<Vec<u8>>,
    other: &mut Side,
    other_origin: &str,
    party: &str,
    problem: &mut dyn FnMut(String),
) -> Rec {
    if env.party != party {
        problem(format!("party {:?} in the log of {party}", env.party));
        return Rec::Other;
    }
    if let Some((r, at)) = env.acknowledges() {
        if r.origin != other_origin {
            problem(format!("acknowledges an entry of {}, not of {other_origin}", r.origin));
            return Rec::Other;
        }
        match other.leaves.get(r.index as usize) {
            Some(h) if *h == r.leaf_hash => {
                other.receipts.entry(r.index).or_insert_with(|| at.to_owned());
                return Rec::Ack;
            }
            Some(_) => problem(format!("acknowledges entry {} with a leaf hash that is not that entry's", r.index)),
            None => {
                // Not yet held here: its receipt counts once the entry arrives and matches.
                other.awaiting.entry(r.index).or_default().push((r.leaf_hash, at.to_owned()));
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
