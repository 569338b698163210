//! The freeze's record: each Party's committed declarations, the changes it logged between
//! them, and the sampled inspections of its inventory, checked as the other Party checks them
//! (docs/freeze-verification.md).
//!
//! Folded from the notifications of the freeze's kinds, recognised by the field they carry
//! (`inventory` with `limit_proof`, `changes`, `sample`), whatever the kind's name. For each
//! declaring Party, in date order:
//!
//! - a declaration's commitment is of its Party and date, its limit proof verifies and is of
//!   that commitment; the first is the baseline, every later proof's cap is the baseline's
//!   committed total (its commitments, never a cap the Party chose);
//! - when the agreed freeze discloses the per-zone counts, the openings open the proof's
//!   commitments and each period's counts are what the previous period's counts and the
//!   changes logged between the two dates give ([`accord_escrow::periods::explain`]): a zone
//!   that differs is a finding naming the zone;
//! - a sample is drawn from both Parties' revealed values and the inventory's root and size
//!   ([`accord_escrow::sample`]); the inspected Party opens the drawn leaves in draw order
//!   (skipping padding) until `k` items are open; each opening verifies against the root and
//!   agrees with what the log last said of the item; each item the inspectors observed agrees
//!   with its opening; an observed item nobody opened, a zone reveal that does not verify or
//!   leaves an observed item out, and a refusal are findings.
//!
//! Invariants: the fold is a function of the notifications and the agreed terms (both nodes
//! compute the same findings); a finding names the Party whose conduct it is about, the
//! notification, and the zone when there is one; nothing here discloses beyond what the
//! notifications carry (the caller decides who sees the counts).

use std::collections::BTreeMap;

use accord_escrow::inventory::{verify_opening, verify_zone_reveal, Commitment, Opening, Record, Status, ZoneReveal};
use accord_escrow::periods::{explain, Change, ItemLog};
use accord_escrow::totals::{verify, verify_openings, LimitProof, Openings};
use accord_treaty::proposal::Disclosure;
use accord_treaty::Date;
use serde::Serialize;

use crate::notification::Notification;
pub use crate::notification::SampleStep;

/// The freeze as agreed in the record: what the declarations must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreed {
    /// The proposal accepted.
    pub proposal: String,
    /// The date of acceptance.
    pub date: Date,
    /// The baseline date.
    pub baseline: Date,
    /// The declaration kind.
    pub declaration: String,
    /// What the declarations disclose to the other Party.
    pub disclose: Disclosure,
    /// Political (not legally binding).
    pub political: bool,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A declaration with no freeze agreed.
    NotAgreed,
    /// The commitment is not of the declaring Party and date, or malformed.
    Commitment,
    /// The limit proof does not verify, or is not of the commitment.
    Proof,
    /// A later proof's cap is not the baseline's committed total.
    Cap,
    /// The agreed openings are missing, or do not open the commitments.
    Openings,
    /// A zone's count is not what the previous period and the logged changes give.
    ZoneCount,
    /// A logged change the counts cannot take (from an empty zone, say).
    Change,
    /// A reveal that does not match its commitment, or came before both commitments.
    Reveal,
    /// A sampled opening that does not verify, or is not of a drawn leaf.
    WrongOpening,
    /// An opened item that is not where or as the log last put it.
    LogMismatch,
    /// An item observed otherwise than it was opened.
    Misdeclaration,
    /// An item observed that the inspected Party has not opened in its zone.
    Omission,
    /// A zone reveal that does not verify.
    ZoneReveal,
    /// Fewer items opened than the sample asks.
    Incomplete,
    /// A refusal to open or reveal.
    Refusal,
    /// A sample step that does not fit the sample (an unknown root, a step by the wrong Party).
    Sample,
}

/// A finding of the freeze's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreezeFinding {
    /// The Party whose conduct it is about.
    pub party: String,
    /// The notification's date.
    pub date: Date,
    /// The notification.
    pub id: String,
    /// What it is about.
    pub kind: FindingKind,
    /// The zone, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

/// One declaration as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclarationCheck {
    /// The notification.
    pub id: String,
    /// Its date (the inventory's date).
    pub date: Date,
    /// The number of leaves committed.
    pub size: u64,
    /// The inventory's root (standard base64).
    pub root: String,
    /// What the proof counts.
    pub counted: String,
    /// The cap, in words.
    pub cap: String,
    /// The first declaration: the freeze's baseline.
    pub baseline: bool,
    /// The proof verified, and is of this commitment, under the right cap.
    pub proven: bool,
    /// `not_disclosed`, `checked` (the openings open the commitments and, after the baseline,
    /// agree with the changes), `differs` (a zone differs) or `invalid`.
    pub openings: &'static str,
    /// The opened counts by zone (confidential: for the Parties only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, u64>>,
    /// The changes logged since the previous declaration.
    pub changes: usize,
}

/// One Party's part of the freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyFreeze {
    /// The Party.
    pub party: String,
    /// Its declarations, in date order.
    pub declarations: Vec<DeclarationCheck>,
    /// The changes it logged.
    pub changes: usize,
}

/// A sampled inspection as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleState {
    /// Its identifier.
    pub id: String,
    /// The inspecting Party.
    pub by: String,
    /// The inspected Party.
    pub of: String,
    /// The request's date.
    pub date: Date,
    /// The sampled declaration's root.
    pub root: String,
    /// Its size.
    pub size: u64,
    /// Items to open.
    pub k: u64,
    /// The Parties that committed, and that revealed.
    pub committed: Vec<String>,
    /// The Parties that revealed.
    pub revealed: Vec<String>,
    /// Each revealed value (hex), by Party: with the root and size, what the draw is made of.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// Once both revealed: the first leaves of the draw (at least `k`, or every leaf), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drawn: Vec<u64>,
    /// The items opened (not padding), drawn or found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opened: Vec<Record>,
    /// The items observed by the inspectors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<Record>,
    /// The zones asked for, and whether each was revealed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, bool>,
    /// `requested`, `committed`, `drawn`, `opened`, `inspected` or `refused`.
    pub status: &'static str,
}

/// The freeze's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FreezeRecord {
    /// The agreement, if the record has one.
    pub agreed: Option<Agreed>,
    /// Each Party that declared.
    pub parties: Vec<PartyFreeze>,
    /// The sampled inspections.
    pub samples: Vec<SampleState>,
    /// Every finding, in the order the notifications give them.
    pub findings: Vec<FreezeFinding>,
}

/// Whether a notification is of the freeze's kinds.
pub fn is_freeze(n: &Notification<'_>) -> bool {
    n.body.inventory.is_some() || n.body.changes.is_some() || n.body.sample.is_some()
}

/// Whether a catalogue kind is one of the freeze's (it carries an inventory, changes or a
/// sample step).
pub fn is_freeze_kind(spec: &accord_treaty::TreatySpec, kind: &str) -> bool {
    use accord_treaty::Field;
    spec.catalogue.get(kind).is_some_and(|(_, k)| {
        k.fields
            .iter()
            .any(|f| matches!(f.field, Field::Inventory | Field::Changes | Field::Sample))
    })
}

/// Findings that make a Party's own step malformed (refused before it is logged), as opposed
/// to what the other Party judges (a zone whose count differs, an item observed otherwise).
pub fn malformed(k: FindingKind) -> bool {
    matches!(
        k,
        FindingKind::NotAgreed
            | FindingKind::Commitment
            | FindingKind::Proof
            | FindingKind::Cap
            | FindingKind::Openings
            | FindingKind::Reveal
            | FindingKind::WrongOpening
            | FindingKind::ZoneReveal
            | FindingKind::Sample
    )
}

/// The findings of `new` (notifications `party` is about to log, after `held`, each log's in
/// its order) that make them malformed, as messages; empty when they may be logged.
pub fn check_new<R: rand_core::RngCore + rand_core::CryptoRng>(
    agreed: Option<Agreed>,
    held: &[&Notification<'_>],
    new: &[&Notification<'_>],
    party: &str,
    rng: &mut R,
) -> Vec<String> {
    let all: Vec<&Notification<'_>> = held.iter().chain(new).copied().collect();
    let ids: Vec<&str> = new.iter().map(|n| n.id.as_ref()).collect();
    fold(agreed, &all, rng)
        .findings
        .into_iter()
        .filter(|f| f.party == party && ids.contains(&f.id.as_str()) && malformed(f.kind))
        .map(|f| f.message)
        .collect()
}

/// The freeze agreed in a record: the first accepted proposal with a freeze term.
pub fn agreed(record: &crate::record::Record) -> Option<Agreed> {
    record.proposals.iter().find_map(|p| {
        let (_, date) = p.accepted.as_ref()?;
        p.proposal.terms.iter().find_map(|t| match t {
            accord_treaty::proposal::Term::FreezeWarheads {
                baseline,
                declaration,
                political,
                disclose,
                ..
            } => Some(Agreed {
                proposal: p.proposal.id.clone(),
                date: *date,
                baseline: *baseline,
                declaration: declaration.clone(),
                disclose: *disclose,
                political: *political,
            }),
            _ => None,
        })
    })
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    crate::record::unhex(s)?.try_into().ok()
}

/// A Party's declarations as folded so far.
struct Declared {
    check: DeclarationCheck,
    /// How many of the Party's changes its log held before this declaration.
    changes_before: usize,
    commitment: Commitment,
    proof: LimitProof,
    counts: Option<BTreeMap<String, u64>>,
}

/// A reveal as logged: nonce, value, its date, notification id.
type Revealed = ([u8; 32], [u8; 32], Date, String);

struct Sampling<'n> {
    state: SampleState,
    commitments: BTreeMap<String, (String, String)>,
    reveals: BTreeMap<String, Revealed>,
    openings: Vec<(&'n Opening, String, Date)>,
    found: Vec<(&'n Opening, String, Date)>,
    observed: Vec<(&'n Record, String, Date)>,
    zone_reveals: Vec<(&'n ZoneReveal, String, Date)>,
    refused: Option<(String, Date, String)>,
}

/// Most items one sample may ask to open (a hostile `k` must not make every fold draw and
/// answer millions of leaves).
pub const MAX_K: u64 = 10_000;

/// The reference a period's openings are checked against: the counts of the last declaration
/// whose openings were checked, and the changes logged since it.
#[derive(Default)]
struct Reference {
    counts: Option<BTreeMap<String, u64>>,
    since: Vec<Change>,
    /// Declarations since the reference whose counts could not be checked.
    skipped: usize,
}

/// Folds the freeze's notifications of every Party. Each Party's notifications must be given
/// in its log's order (the only order a Party cannot rewrite once its partner mirrors it): a
/// change counts towards the next declaration its log holds after it. `rng` randomises the
/// proofs' batch verification.
pub fn fold<R: rand_core::RngCore + rand_core::CryptoRng>(
    agreed: Option<Agreed>,
    notifications: &[&Notification<'_>],
    rng: &mut R,
) -> FreezeRecord {
    let ns: Vec<&Notification<'_>> = notifications.iter().copied().filter(|n| is_freeze(n)).collect();
    let mut out = FreezeRecord {
        agreed: agreed.clone(),
        ..FreezeRecord::default()
    };
    let mut finding = |party: &str, n: &Notification<'_>, kind: FindingKind, zone: Option<&str>, message: String| {
        out.findings.push(FreezeFinding {
            party: party.to_owned(),
            date: n.date,
            id: n.id.to_string(),
            kind,
            zone: zone.map(str::to_owned),
            message,
        })
    };
    let mut declared: BTreeMap<String, Vec<Declared>> = BTreeMap::new();
    let mut changes: BTreeMap<String, Vec<(Date, Change, String)>> = BTreeMap::new();
    let mut reference: BTreeMap<String, Reference> = BTreeMap::new();
    let mut samples: Vec<Sampling<'_>> = Vec::new();
    for &n in &ns {
        let party = n.party.as_ref();
        if let Some(list) = &n.body.changes {
            let last = declared.get(party).and_then(|ds| ds.last()).map(|d| d.check.date);
            if let Some(d) = last.filter(|d| n.date <= *d) {
                finding(
                    party,
                    n,
                    FindingKind::Change,
                    None,
                    format!(
                        "changes dated {} were logged after the declaration of {d}: they count towards the next declaration, and a declaration cannot be explained afterwards",
                        n.date
                    ),
                );
            }
            let r = reference.entry(party.to_owned()).or_default();
            for c in list {
                changes
                    .entry(party.to_owned())
                    .or_default()
                    .push((n.date, c.clone(), n.id.to_string()));
                r.since.push(c.clone());
            }
        }
        if let (Some(c), Some(p)) = (&n.body.inventory, &n.body.limit_proof) {
            if agreed.is_none() {
                finding(
                    party,
                    n,
                    FindingKind::NotAgreed,
                    None,
                    "a freeze declaration while no freeze is agreed in the record".into(),
                );
            }
            let prev = declared.entry(party.to_owned()).or_default();
            let baseline = prev.first();
            let root = c.root.to_string();
            if c.format != accord_escrow::inventory::FORMAT {
                finding(
                    party,
                    n,
                    FindingKind::Commitment,
                    None,
                    format!("inventory.format: '{}', not '{}'", c.format, accord_escrow::inventory::FORMAT),
                );
            }
            if c.context.party != party || c.context.as_of != n.date.to_string() {
                finding(
                    party,
                    n,
                    FindingKind::Commitment,
                    None,
                    format!(
                        "the commitment is {}'s of {}; the declaration is {party}'s of {}",
                        c.context.party, c.context.as_of, n.date
                    ),
                );
            }
            if let (None, Some(a)) = (baseline, agreed.as_ref()) {
                if n.date != a.baseline {
                    finding(
                        party,
                        n,
                        FindingKind::Cap,
                        None,
                        format!(
                            "the first declaration is of {}; the agreed freeze's baseline is {}",
                            n.date, a.baseline
                        ),
                    );
                }
            }
            let st = &p.statement;
            let of_it = p.is_of(c) && st.party == party;
            let verified = verify(p, rng);
            let mut proven = of_it && verified.is_ok();
            if let Err(e) = &verified {
                finding(party, n, FindingKind::Proof, None, format!("the limit proof does not verify: {e}"));
            } else if !of_it {
                finding(
                    party,
                    n,
                    FindingKind::Proof,
                    None,
                    "the limit proof is not of this declaration's inventory (root, Party, date)".into(),
                );
            }
            let cap = st.cap.to_string();
            if let Some(b) = baseline {
                let want = b.proof.as_cap();
                if st.cap != want || st.name != b.proof.statement.name {
                    proven = false;
                    finding(
                        party,
                        n,
                        FindingKind::Cap,
                        None,
                        format!(
                            "the proof's cap is not the committed total of the baseline of {} ({}), counted as '{}'",
                            b.commitment.context.as_of, b.check.id, b.proof.statement.name
                        ),
                    );
                } else if !b.check.proven {
                    // Within a baseline whose own proof does not hold, nothing is proven.
                    proven = false;
                }
            }
            let r = reference.entry(party.to_owned()).or_default();
            let since_last = r.since.len();
            let mut openings = "not_disclosed";
            let mut counts = None;
            match (&n.body.openings, agreed.as_ref().map(|a| a.disclose)) {
                (None, Some(Disclosure::ZoneCounts)) => {
                    finding(
                        party,
                        n,
                        FindingKind::Openings,
                        None,
                        "the agreed freeze discloses the per-zone counts; this declaration withholds them".into(),
                    );
                }
                (None, _) => {}
                // Openings of a proof that does not hold open nothing the Party stands by.
                (Some(_), _) if verified.is_err() => openings = "invalid",
                (Some(o), _) => match verify_openings(p, o) {
                    Err(e) => {
                        openings = "invalid";
                        finding(
                            party,
                            n,
                            FindingKind::Openings,
                            None,
                            format!("the openings do not open the commitments: {e}"),
                        );
                    }
                    Ok(()) => {
                        let opened = counts_of(p, o);
                        openings = "checked";
                        if let Some(before) = &r.counts {
                            let over = if r.skipped > 0 {
                                format!(" (over {} declarations whose counts were not checked)", r.skipped)
                            } else {
                                String::new()
                            };
                            match explain(before, &r.since, p, o) {
                                Err(e) => {
                                    openings = "differs";
                                    finding(
                                        party,
                                        n,
                                        FindingKind::Change,
                                        None,
                                        format!("the changes logged since the last checked counts{over}: {e}"),
                                    );
                                }
                                Ok(ms) => {
                                    for m in ms {
                                        openings = "differs";
                                        finding(
                                            party,
                                            n,
                                            FindingKind::ZoneCount,
                                            Some(&m.zone),
                                            format!(
                                                "zone '{}': the openings give {}, the last checked counts and the {} changes logged since give {}{over}",
                                                m.zone,
                                                m.opened.map_or("no count".into(), |v| v.to_string()),
                                                r.since.len(),
                                                m.expected.map_or("none".into(), |v| v.to_string())
                                            ),
                                        );
                                    }
                                }
                            }
                        }
                        counts = Some(opened);
                    }
                },
            }
            // The next period is checked against these counts, or, when they could not be
            // checked, against the last that were, with every change since.
            if let Some(cs) = &counts {
                *r = Reference {
                    counts: Some(cs.clone()),
                    since: Vec::new(),
                    skipped: 0,
                };
            } else {
                r.skipped += 1;
            }
            let check = DeclarationCheck {
                id: n.id.to_string(),
                date: n.date,
                size: c.size,
                root,
                counted: st.name.clone(),
                cap,
                baseline: baseline.is_none(),
                proven,
                openings,
                counts: counts.clone(),
                changes: since_last,
            };
            let changes_before = changes.get(party).map_or(0, Vec::len);
            prev.push(Declared {
                check,
                changes_before,
                commitment: (**c).clone(),
                proof: (**p).clone(),
                counts,
            });
        }
    }
    // Samples once every declaration is in (a request names one), requests first: a step of
    // a sample is taken after its request whatever their order within a day.
    let sample_steps = ns
        .iter()
        .filter_map(|&n| n.body.sample.as_ref().map(|st| (n, st)))
        .filter(|(_, st)| matches!(***st, SampleStep::Request { .. }))
        .chain(
            ns.iter()
                .filter_map(|&n| n.body.sample.as_ref().map(|st| (n, st)))
                .filter(|(_, st)| !matches!(***st, SampleStep::Request { .. })),
        );
    for (n, step) in sample_steps {
        let party = n.party.as_ref();
        {
            let id = step.id();
            let at = samples.iter().position(|s| s.state.id == id);
            match (&**step, at) {
                (SampleStep::Request { of, root, k, .. }, None) => {
                    let target = declared.get(of.as_str()).and_then(|ds| ds.iter().find(|d| d.check.root == *root));
                    let Some(d) = target else {
                        finding(
                            party,
                            n,
                            FindingKind::Sample,
                            None,
                            format!("sample {id}: {of} has declared no inventory of root {root}"),
                        );
                        continue;
                    };
                    if of == party {
                        finding(
                            party,
                            n,
                            FindingKind::Sample,
                            None,
                            format!("sample {id}: of: a sample is of the other Party, not of {party}"),
                        );
                        continue;
                    }
                    if *k == 0 || *k > MAX_K {
                        finding(
                            party,
                            n,
                            FindingKind::Sample,
                            None,
                            format!("sample {id}: k: {k}; a sample opens 1 to {MAX_K} items"),
                        );
                        continue;
                    }
                    // Each Party names its own samples, so neither can take the other's id.
                    if !id.starts_with(&format!("{party}-")) {
                        finding(
                            party,
                            n,
                            FindingKind::Sample,
                            None,
                            format!("sample {id}: id: {party}'s samples are named '{party}-…'"),
                        );
                        continue;
                    }
                    samples.push(Sampling {
                        state: SampleState {
                            id: id.to_owned(),
                            by: party.to_owned(),
                            of: of.clone(),
                            date: n.date,
                            root: root.clone(),
                            size: d.commitment.size,
                            k: *k,
                            committed: Vec::new(),
                            revealed: Vec::new(),
                            values: BTreeMap::new(),
                            drawn: Vec::new(),
                            opened: Vec::new(),
                            observed: Vec::new(),
                            zones: BTreeMap::new(),
                            status: "requested",
                        },
                        commitments: BTreeMap::new(),
                        reveals: BTreeMap::new(),
                        openings: Vec::new(),
                        found: Vec::new(),
                        observed: Vec::new(),
                        zone_reveals: Vec::new(),
                        refused: None,
                    });
                }
                (SampleStep::Request { .. }, Some(_)) => {
                    finding(party, n, FindingKind::Sample, None, format!("sample {id}: requested twice"));
                }
                (_, None) => {
                    finding(
                        party,
                        n,
                        FindingKind::Sample,
                        None,
                        format!("sample {id}: no such sample requested"),
                    );
                }
                (step, Some(i)) => {
                    let s = &mut samples[i];
                    let inspected = party == s.state.of;
                    let parties_ok = party == s.state.of || party == s.state.by;
                    let by_inspected_only = matches!(
                        step,
                        SampleStep::Open { .. } | SampleStep::ZoneReveal { .. } | SampleStep::Refuse { .. }
                    );
                    let by_inspecting_only = matches!(step, SampleStep::Findings { .. } | SampleStep::ZoneRequest { .. });
                    if !parties_ok || (by_inspected_only && !inspected) || (by_inspecting_only && inspected) {
                        finding(
                            party,
                            n,
                            FindingKind::Sample,
                            None,
                            format!("sample {id}: a {} step by {party} does not fit it", step.name()),
                        );
                        continue;
                    }
                    match step {
                        SampleStep::Request { .. } => {}
                        SampleStep::Commit { commitment, .. } => {
                            s.commitments
                                .entry(party.to_owned())
                                .or_insert((commitment.clone(), n.id.to_string()));
                        }
                        SampleStep::Reveal { nonce, value, .. } => match (unhex32(nonce), unhex32(value)) {
                            (Some(nonce), Some(value)) => {
                                s.reveals
                                    .entry(party.to_owned())
                                    .or_insert((nonce, value, n.date, n.id.to_string()));
                            }
                            _ => finding(
                                party,
                                n,
                                FindingKind::Reveal,
                                None,
                                format!("sample {id}: the nonce and value are 32 bytes each, in hex"),
                            ),
                        },
                        SampleStep::Open { openings, found, .. } => {
                            s.openings.extend(openings.iter().map(|o| (o, n.id.to_string(), n.date)));
                            s.found.extend(found.iter().map(|o| (o, n.id.to_string(), n.date)));
                        }
                        SampleStep::Findings { observed, .. } => {
                            s.observed.extend(observed.iter().map(|r| (r, n.id.to_string(), n.date)));
                        }
                        SampleStep::ZoneRequest { zone, .. } => {
                            s.state.zones.entry(zone.clone()).or_insert(false);
                        }
                        SampleStep::ZoneReveal { reveal, .. } => {
                            s.zone_reveals.push((reveal, n.id.to_string(), n.date));
                        }
                        SampleStep::Refuse { reason, .. } => {
                            if s.refused.is_none() {
                                s.refused = Some((n.id.to_string(), n.date, reason.clone()));
                            }
                        }
                    }
                }
            }
        }
    }
    for s in &mut samples {
        let d = declared
            .get(&s.state.of)
            .and_then(|ds| ds.iter().find(|d| d.check.root == s.state.root))
            .map(|d| (d.commitment.clone(), d.counts.clone(), d.changes_before));
        let Some((commitment, zone_counts, changes_before)) = d else {
            continue;
        };
        // What the log said of each item before the sampled declaration (in log order).
        let logged: Vec<Change> = changes
            .get(&s.state.of)
            .map(|cs| cs.iter().take(changes_before).map(|(_, c, _)| c.clone()).collect())
            .unwrap_or_default();
        let item_log = ItemLog::of(&logged);
        let pseudo = |party: &str, id: &str, date: Date| FreezeFinding {
            party: party.to_owned(),
            date,
            id: id.to_owned(),
            kind: FindingKind::Sample,
            zone: None,
            message: String::new(),
        };
        let mut push = |f: FreezeFinding, kind: FindingKind, zone: Option<&str>, message: String| {
            out.findings.push(FreezeFinding {
                kind,
                zone: zone.map(str::to_owned),
                message,
                ..f
            })
        };
        let id = s.state.id.clone();
        s.state.committed = s.commitments.keys().cloned().collect();
        // Reveals: each must match its commitment. (That both commitments came first is the
        // nodes' rule: a node reveals only once both are on record, the inspected Party
        // first; `sent` times are the sender's own and prove nothing here.)
        let mut good: BTreeMap<String, [u8; 32]> = BTreeMap::new();
        for (p, (nonce, value, date, nid)) in &s.reveals {
            let Some((c, _)) = s.commitments.get(p) else {
                push(
                    pseudo(p, nid, *date),
                    FindingKind::Reveal,
                    None,
                    format!("sample {id}: {p} revealed without a commitment"),
                );
                continue;
            };
            if crate::record::hex(&crate::inspection::commitment(p, &id, nonce, value)) != *c {
                push(
                    pseudo(p, nid, *date),
                    FindingKind::Reveal,
                    None,
                    format!("sample {id}: {p}'s reveal does not match its commitment"),
                );
                continue;
            }
            good.insert(p.clone(), *value);
        }
        s.state.revealed = good.keys().cloned().collect();
        s.state.values = good.iter().map(|(p, v)| (p.clone(), crate::record::hex(v))).collect();
        s.state.status = if s.commitments.len() == 2 { "committed" } else { "requested" };
        let (Some(va), Some(vb)) = (good.get(&s.state.by), good.get(&s.state.of)) else {
            finish(s, &mut push, &id);
            continue;
        };
        let seed = accord_escrow::sample::seed(va, vb, &commitment.root, commitment.size, &id);
        let want = s.state.k.min(commitment.size).max(s.openings.len() as u64).min(commitment.size);
        let drawn = match accord_escrow::sample::draw(&seed, commitment.size, want) {
            Ok(d) => d,
            Err(e) => {
                let (nid, date) = s
                    .openings
                    .last()
                    .map(|(_, n, d)| (n.clone(), *d))
                    .unwrap_or((s.state.id.clone(), s.state.date));
                push(
                    pseudo(&s.state.of, &nid, date),
                    FindingKind::Sample,
                    None,
                    format!("sample {id}: {} openings: {e}", s.openings.len()),
                );
                finish(s, &mut push, &id);
                continue;
            }
        };
        s.state.drawn = drawn.clone();
        s.state.status = "drawn";
        // The openings: a prefix of the draw, each verifying, until k items.
        let mut items = 0u64;
        for (i, (o, nid, date)) in s.openings.iter().enumerate() {
            let f = pseudo(&s.state.of, nid, *date);
            let zone = o.record.zone.as_str();
            if drawn.get(i) != Some(&o.index) {
                push(
                    f,
                    FindingKind::WrongOpening,
                    Some(zone),
                    format!(
                        "sample {id}: opening {} is of leaf {}, not of the leaf drawn ({})",
                        i + 1,
                        o.index,
                        drawn.get(i).map_or("none".into(), |d| d.to_string())
                    ),
                );
                continue;
            }
            if let Err(e) = verify_opening(&commitment, o) {
                push(
                    f,
                    FindingKind::WrongOpening,
                    Some(zone),
                    format!(
                        "sample {id}: leaf {} does not open as {} in zone '{zone}': {e}",
                        o.index, o.record.uid
                    ),
                );
                continue;
            }
            if o.record.status == Status::Padding {
                continue;
            }
            items += 1;
            if let Some(Err(m)) = item_log.check(&o.record) {
                push(f, FindingKind::LogMismatch, Some(zone), format!("sample {id}: {m}"));
            }
            s.state.opened.push(o.record.clone());
        }
        for (o, nid, date) in &s.found {
            let zone = o.record.zone.as_str();
            match verify_opening(&commitment, o) {
                Ok(()) => {
                    if let Some(Err(m)) = item_log.check(&o.record) {
                        push(
                            pseudo(&s.state.of, nid, *date),
                            FindingKind::LogMismatch,
                            Some(zone),
                            format!("sample {id}: {m}"),
                        );
                    }
                    s.state.opened.push(o.record.clone())
                }
                Err(e) => push(
                    pseudo(&s.state.of, nid, *date),
                    FindingKind::WrongOpening,
                    Some(zone),
                    format!("sample {id}: {} does not open in zone '{zone}': {e}", o.record.uid),
                ),
            }
        }
        if !s.openings.is_empty() {
            s.state.status = "opened";
            let all = s.openings.len() as u64 == commitment.size;
            if items < s.state.k && !all {
                let (_, nid, date) = s
                    .openings
                    .last()
                    .map(|(o, n, d)| (*o, n.clone(), *d))
                    .unwrap_or_else(|| unreachable!());
                push(
                    pseudo(&s.state.of, &nid, date),
                    FindingKind::Incomplete,
                    None,
                    format!("sample {id}: {items} items opened of the {} asked", s.state.k),
                );
            }
        }
        // Zone reveals.
        for (z, nid, date) in &s.zone_reveals {
            let f = pseudo(&s.state.of, nid, *date);
            match verify_zone_reveal(&commitment, z) {
                Err(e) => push(
                    f,
                    FindingKind::ZoneReveal,
                    Some(&z.zone),
                    format!("sample {id}: the reveal of zone '{}' does not verify: {e}", z.zone),
                ),
                Ok(records) => {
                    s.state.zones.insert(z.zone.clone(), true);
                    for r in &records {
                        if let Some(Err(m)) = item_log.check(r) {
                            push(f.clone(), FindingKind::LogMismatch, Some(&z.zone), format!("sample {id}: {m}"));
                        }
                    }
                    if let Some(want) = zone_counts.as_ref().map(|c| c.get(&z.zone).copied().unwrap_or(0)) {
                        let got = records.iter().filter(|r| r.status != Status::Padding).count() as u64;
                        if got != want {
                            push(
                                f.clone(),
                                FindingKind::ZoneCount,
                                Some(&z.zone),
                                format!(
                                    "sample {id}: zone '{}' reveals {got} items; the declaration's openings give {want}",
                                    z.zone
                                ),
                            );
                        }
                    }
                    s.state.opened.extend(records.into_iter().filter(|r| r.status != Status::Padding));
                }
            }
        }
        // Each item once, in the order opened (drawn, found, then by zone).
        let mut seen = std::collections::BTreeSet::new();
        s.state.opened.retain(|r| seen.insert(r.uid.clone()));
        finish(s, &mut push, &id);
    }
    for (party, ds) in declared {
        out.parties.push(PartyFreeze {
            changes: changes.get(&party).map_or(0, Vec::len),
            party,
            declarations: ds.into_iter().map(|d| d.check).collect(),
        });
    }
    out.samples = samples.into_iter().map(|s| s.state).collect();
    out
}

/// The observed items against the openings, and the refusal: the findings that close a sample.
fn finish(s: &mut Sampling<'_>, push: &mut impl FnMut(FreezeFinding, FindingKind, Option<&str>, String), id: &str) {
    let base = |party: &str, nid: &str, date: Date| FreezeFinding {
        party: party.to_owned(),
        date,
        id: nid.to_owned(),
        kind: FindingKind::Sample,
        zone: None,
        message: String::new(),
    };
    let opened: std::collections::HashMap<&str, &Record> = s.state.opened.iter().map(|o| (o.uid.as_str(), o)).collect();
    for (r, nid, date) in &s.observed {
        let f = base(&s.state.of, nid, *date);
        match opened.get(r.uid.as_str()).copied() {
            Some(o) if o == *r => {}
            Some(o) => push(
                f,
                FindingKind::Misdeclaration,
                Some(&o.zone),
                format!(
                    "sample {id}: {} is declared as {} {} in zone '{}', and was found as {} {} in zone '{}'",
                    r.uid,
                    o.status.word(),
                    o.item_type,
                    o.zone,
                    r.status.word(),
                    r.item_type,
                    r.zone
                ),
            ),
            None => push(
                f,
                FindingKind::Omission,
                Some(&r.zone),
                format!(
                    "sample {id}: {} was found in zone '{}', and {} has not opened it there (an item it cannot open is not in its commitment)",
                    r.uid, r.zone, s.state.of
                ),
            ),
        }
        s.state.observed.push((*r).clone());
    }
    if !s.observed.is_empty() {
        s.state.status = "inspected";
    }
    if let Some((nid, date, reason)) = &s.refused {
        s.state.status = "refused";
        let zone = s.state.zones.iter().find(|(_, revealed)| !**revealed).map(|(z, _)| z.clone());
        push(
            base(&s.state.of, nid, *date),
            FindingKind::Refusal,
            zone.as_deref(),
            format!("sample {id}: {} refused: {reason}", s.state.of),
        );
    }
}

/// The opened counts by zone (padding zones left out).
fn counts_of(p: &LimitProof, o: &Openings) -> BTreeMap<String, u64> {
    p.statement
        .zones
        .iter()
        .zip(&o.counts)
        .filter(|(z, v)| !z.starts_with('~') && **v > 0)
        .map(|(z, v)| (z.clone(), *v))
        .collect()
}

#[cfg(test)]
use tests as tests_support;

#[cfg(test)]
mod tests {
    pub(super) use super::*;
    pub(super) use accord_escrow::inventory::{Context, Inventory, Seed};
    pub(super) use accord_escrow::totals::{prove_inventory, Cap, CapSecret};
    pub(super) use rand_chacha::rand_core::SeedableRng;
    pub(super) use rand_chacha::ChaCha20Rng;

    pub(super) fn rec(uid: &str, zone: &str, status: Status) -> Record {
        Record {
            uid: uid.into(),
            item_type: "W88".into(),
            zone: zone.into(),
            status,
        }
    }

    /// 12 items over zones a, b, c.
    pub(super) fn items() -> Vec<Record> {
        (0..12)
            .map(|i| {
                rec(
                    &format!("W{i}"),
                    ["a", "b", "c"][i % 3],
                    if i % 2 == 0 { Status::Deployed } else { Status::NonDeployed },
                )
            })
            .collect()
    }

    pub(super) fn agreed(disclose: Disclosure) -> Option<Agreed> {
        Some(Agreed {
            proposal: "us-2020-10-freeze".into(),
            date: accord_treaty::parse_date("2020-10-20").unwrap(),
            baseline: accord_treaty::parse_date("2020-10-13").unwrap(),
            declaration: "warhead_stockpile_declaration".into(),
            disclose,
            political: false,
        })
    }

    pub(super) struct Declared {
        pub(super) line: String,
        pub(super) inv: Inventory,
        pub(super) proof: LimitProof,
        pub(super) openings: Openings,
    }

    pub(super) fn declare(
        party: &str,
        date: &str,
        records: Vec<Record>,
        seed: u8,
        baseline: Option<&Declared>,
        rng: &mut ChaCha20Rng,
    ) -> Declared {
        let ctx = Context {
            treaty: "us-2020-10-freeze".into(),
            party: party.into(),
            as_of: date.into(),
        };
        let inv = Inventory::build(ctx, &Seed([seed; 32]), records, 16).unwrap();
        let (cap, secret) = match baseline {
            None => (Cap::Public(65_535), None),
            Some(b) => (b.proof.as_cap(), Some(CapSecret::of(&b.openings).unwrap())),
        };
        let (proof, openings) = prove_inventory(&inv, "all_warheads", &[], cap, secret.as_ref(), 16, rng).unwrap();
        let line =
            serde_json::json!({"id": format!("{party}-F-{date}"), "kind": "warhead_stockpile_declaration", "party": party, "date": date,
            "body": {"inventory": inv.commitment(), "limit_proof": proof, "openings": openings}})
            .to_string();
        Declared {
            line,
            inv,
            proof,
            openings,
        }
    }

    pub(super) fn line(id: &str, kind: &str, party: &str, date: &str, body: serde_json::Value) -> String {
        serde_json::json!({"id": id, "kind": kind, "party": party, "date": date, "body": body}).to_string()
    }

    pub(super) fn run(agreed: Option<Agreed>, lines: &[String]) -> FreezeRecord {
        let ns: Vec<Notification<'_>> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let refs: Vec<&Notification<'_>> = ns.iter().collect();
        fold(agreed, &refs, &mut ChaCha20Rng::seed_from_u64(1))
    }

    pub(super) fn period(rng: &mut ChaCha20Rng, extra: bool) -> (Declared, Declared, String) {
        let base = declare("US", "2020-10-13", items(), 1, None, rng);
        // One produced in zone a, W1 dismantled (zone b), W2 moved c → a.
        let mut next = items();
        next.retain(|r| r.uid != "W1");
        next.iter_mut().find(|r| r.uid == "W2").unwrap().zone = "a".into();
        next.push(rec("W100", "a", Status::NonDeployed));
        if extra {
            next.iter_mut().find(|r| r.uid == "W3").unwrap().zone = "b".into(); // moved, never logged
        }
        let changes = line(
            "US-C1",
            "warhead_inventory_change",
            "US",
            "2020-11-01",
            serde_json::json!({"changes": [
                {"change": "produced", "uid": "W100", "zone": "a", "status": "non_deployed"},
                {"change": "dismantled", "uid": "W1", "zone": "b"},
                {"change": "moved", "uid": "W2", "from": "c", "to": "a"}]}),
        );
        let q1 = declare("US", "2021-01-13", next, 2, Some(&base), rng);
        (base, q1, changes)
    }

    #[test]
    fn an_honest_period_is_explained_by_the_baseline_and_the_changes() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (base, q1, changes) = period(&mut rng, false);
        let r = run(agreed(Disclosure::ZoneCounts), &[base.line, changes, q1.line]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let us = &r.parties[0];
        assert_eq!(us.declarations.len(), 2);
        assert!(us.declarations.iter().all(|d| d.proven && d.openings == "checked"));
        assert!(us.declarations[0].baseline && !us.declarations[1].baseline);
        assert_eq!(us.declarations[1].changes, 3);
        let counts = us.declarations[1].counts.clone().unwrap();
        assert_eq!((counts["a"], counts["b"], counts["c"]), (6, 3, 3));
    }

    #[test]
    fn an_unlogged_item_is_a_finding_naming_its_zone() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let (base, q1, changes) = period(&mut rng, true);
        let r = run(agreed(Disclosure::ZoneCounts), &[base.line, changes, q1.line]);
        let zones: Vec<(FindingKind, Option<&str>, &str, &str)> = r
            .findings
            .iter()
            .map(|f| (f.kind, f.zone.as_deref(), f.party.as_str(), f.id.as_str()))
            .collect();
        let want = |z| (FindingKind::ZoneCount, Some(z), "US", "US-F-2021-01-13");
        assert_eq!(zones, vec![want("a"), want("b")]);
        assert!(
            r.findings[1].message.contains("give 4") && r.findings[1].message.contains("give 3"),
            "{}",
            r.findings[1].message
        );
        assert_eq!(r.parties[0].declarations[1].openings, "differs");
        // The proof holds (the total is the baseline's): only the openings show the move.
        assert!(r.parties[0].declarations[1].proven);
    }

    #[test]
    fn a_declaration_outside_the_agreement_or_withholding_its_openings_is_a_finding() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let base = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let r = run(None, std::slice::from_ref(&base.line));
        assert_eq!(r.findings[0].kind, FindingKind::NotAgreed);
        let mut v: serde_json::Value = serde_json::from_str(&base.line).unwrap();
        v["body"].as_object_mut().unwrap().remove("openings");
        let r = run(agreed(Disclosure::ZoneCounts), &[v.to_string()]);
        assert_eq!(r.findings[0].kind, FindingKind::Openings);
        let r = run(agreed(Disclosure::Nothing), &[v.to_string()]);
        assert!(r.findings.is_empty());
        assert_eq!(r.parties[0].declarations[0].openings, "not_disclosed");
    }

    #[test]
    fn a_later_proof_under_a_cap_the_party_chose_is_a_finding() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let base = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let own_cap = declare("US", "2021-01-13", items(), 2, None, &mut rng);
        let r = run(agreed(Disclosure::ZoneCounts), &[base.line.clone(), own_cap.line.clone()]);
        assert!(r.findings.iter().any(|f| f.kind == FindingKind::Cap), "{:?}", r.findings);
        assert!(!r.parties[0].declarations[1].proven);
        // A flipped byte in the proof: it does not verify.
        let mut v: serde_json::Value = serde_json::from_str(&own_cap.line).unwrap();
        let p = v["body"]["limit_proof"]["counts_proof"].as_str().unwrap().to_owned();
        let flipped = match p.strip_prefix('A') {
            Some(rest) => format!("B{rest}"),
            None => format!("A{}", &p[1..]),
        };
        v["body"]["limit_proof"]["counts_proof"] = flipped.into();
        let r = run(agreed(Disclosure::ZoneCounts), &[base.line, v.to_string()]);
        assert!(
            r.findings.iter().any(|f| f.kind == FindingKind::Proof && f.id == "US-F-2021-01-13"),
            "{:?}",
            r.findings
        );
        assert!(!r.parties[0].declarations[1].proven);
    }

    fn commit_reveal(party: &str, id: &str, value: u8) -> (String, String) {
        let nonce = [value ^ 0x55; 32];
        let v = [value; 32];
        let c = crate::record::hex(&crate::inspection::commitment(party, id, &nonce, &v));
        (
            line(
                &format!("{party}-S-c"),
                "warhead_sample",
                party,
                "2021-02-01",
                serde_json::json!({"sample": {"step": "commit", "id": id, "commitment": c}}),
            ),
            line(
                &format!("{party}-S-r"),
                "warhead_sample",
                party,
                "2021-02-02",
                serde_json::json!({"sample": {"step": "reveal", "id": id, "nonce": crate::record::hex(&nonce), "value": crate::record::hex(&v)}}),
            ),
        )
    }

    #[test]
    fn a_sample_draws_from_both_reveals_and_its_openings_and_observations_are_checked() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let base = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let root = base.inv.commitment().root.to_string();
        let id = "RU-S1";
        let request = line(
            "RU-S-q",
            "warhead_sample",
            "RU",
            "2021-02-01",
            serde_json::json!({"sample": {"step": "request", "id": id, "of": "US", "root": root, "k": 3}}),
        );
        let (rc, rr) = commit_reveal("RU", id, 3);
        let (uc, ur) = commit_reveal("US", id, 4);
        let mut lines = vec![base.line.clone(), request, rc, uc, rr, ur];
        let r = run(agreed(Disclosure::ZoneCounts), &lines);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let s = &r.samples[0];
        assert_eq!((s.status, s.drawn.len()), ("drawn", 3));
        let seed = accord_escrow::sample::seed(&[3; 32], &[4; 32], &base.inv.commitment().root, 16, id);
        // The inspected Party opens in draw order until 3 items (padding skipped).
        let order = accord_escrow::sample::draw(&seed, 16, 16).unwrap();
        let mut openings = Vec::new();
        let mut n = 0;
        for i in order {
            let o = base.inv.open(i).unwrap();
            n += usize::from(o.record.status != Status::Padding);
            openings.push(o);
            if n == 3 {
                break;
            }
        }
        let opened: Vec<Record> = openings
            .iter()
            .map(|o| o.record.clone())
            .filter(|r| r.status != Status::Padding)
            .collect();
        lines.push(line(
            "US-S-o",
            "warhead_sample",
            "US",
            "2021-02-03",
            serde_json::json!({"sample": {"step": "open", "id": id, "openings": openings}}),
        ));
        let r = run(agreed(Disclosure::ZoneCounts), &lines);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!(r.samples[0].opened, opened);
        // The inspectors find the first as declared, the second otherwise, and an item the
        // commitment does not hold.
        let mut wrong = opened[1].clone();
        wrong.status = if wrong.status == Status::Deployed {
            Status::NonDeployed
        } else {
            Status::Deployed
        };
        let hidden = rec("W999", "c", Status::NonDeployed);
        lines.push(line(
            "RU-S-f",
            "warhead_sample",
            "RU",
            "2021-02-03",
            serde_json::json!({"sample": {"step": "findings", "id": id, "observed": [opened[0], wrong, hidden]}}),
        ));
        let r = run(agreed(Disclosure::ZoneCounts), &lines);
        let kinds: Vec<(FindingKind, Option<&str>)> = r.findings.iter().map(|f| (f.kind, f.zone.as_deref())).collect();
        assert_eq!(
            kinds,
            vec![
                (FindingKind::Misdeclaration, Some(opened[1].zone.as_str())),
                (FindingKind::Omission, Some("c"))
            ]
        );
        assert!(r.findings.iter().all(|f| f.party == "US"));
        // A zone reveal of c: the hidden item is still not there; the count agrees.
        lines.push(line(
            "RU-S-z",
            "warhead_sample",
            "RU",
            "2021-02-03",
            serde_json::json!({"sample": {"step": "zone_request", "id": id, "zone": "c"}}),
        ));
        lines.push(line(
            "US-S-z",
            "warhead_sample",
            "US",
            "2021-02-04",
            serde_json::json!({"sample": {"step": "zone_reveal", "id": id, "reveal": base.inv.reveal_zone("c").unwrap()}}),
        ));
        let r = run(agreed(Disclosure::ZoneCounts), &lines);
        assert_eq!(r.samples[0].zones.get("c"), Some(&true));
        assert_eq!(r.findings.iter().filter(|f| f.kind == FindingKind::Omission).count(), 1);
        // A tampered opening, and a refusal.
        let mut bad = lines[..6].to_vec();
        let mut o = openings.clone();
        o[0].record.zone = "z".into();
        bad.push(line(
            "US-S-o",
            "warhead_sample",
            "US",
            "2021-02-03",
            serde_json::json!({"sample": {"step": "open", "id": id, "openings": o}}),
        ));
        bad.push(line(
            "US-S-x",
            "warhead_sample",
            "US",
            "2021-02-04",
            serde_json::json!({"sample": {"step": "refuse", "id": id, "reason": "no"}}),
        ));
        let r = run(agreed(Disclosure::ZoneCounts), &bad);
        let kinds: Vec<FindingKind> = r.findings.iter().map(|f| f.kind).collect();
        assert!(
            kinds.contains(&FindingKind::WrongOpening) && kinds.contains(&FindingKind::Refusal),
            "{kinds:?}"
        );
        assert_eq!(
            r.findings
                .iter()
                .find(|f| f.kind == FindingKind::WrongOpening)
                .unwrap()
                .zone
                .as_deref(),
            Some("z")
        );
        // A reveal that is not the value committed to.
        let mut forged = lines[..5].to_vec();
        let (_, other) = commit_reveal("US", id, 5);
        forged.push(other);
        let r = run(agreed(Disclosure::ZoneCounts), &forged);
        assert_eq!(r.findings[0].kind, FindingKind::Reveal);
        assert!(r.samples[0].drawn.is_empty());
    }
}

#[cfg(test)]
mod hostile {
    //! What a hostile Party could log against the fold (the review of issue #13).
    use super::tests_support::*;

    /// A proof whose commitments do not match its zones, with openings: refused as invalid
    /// openings, never a panic; the openings of a proof that does not verify open nothing.
    #[test]
    fn malformed_proofs_and_openings_are_findings_not_panics() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let base = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let mut v: serde_json::Value = serde_json::from_str(&base.line).unwrap();
        v["body"]["limit_proof"]["commitments"] = serde_json::json!([]);
        let r = run(agreed(Disclosure::ZoneCounts), &[v.to_string()]);
        assert!(r.findings.iter().any(|f| f.kind == FindingKind::Proof), "{:?}", r.findings);
        assert_eq!(r.parties[0].declarations[0].openings, "invalid");
        assert!(!r.parties[0].declarations[0].proven);
    }

    /// Changes logged after a declaration but dated before it count towards the next one (by
    /// log order) and are a finding; they cannot explain a period already declared.
    #[test]
    fn backdated_changes_cannot_explain_a_past_period() {
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let (base, q1, changes) = period(&mut rng, false);
        // The changes logged after the Q1 declaration, dated before it.
        let r = run(
            agreed(Disclosure::ZoneCounts),
            &[base.line.clone(), q1.line.clone(), changes.clone()],
        );
        let kinds: Vec<FindingKind> = r.findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FindingKind::ZoneCount), "Q1 is not explained: {kinds:?}");
        assert!(kinds.contains(&FindingKind::Change), "the late changes are a finding: {kinds:?}");
        // In log order they explain it.
        let r = run(agreed(Disclosure::ZoneCounts), &[base.line, changes, q1.line]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    /// A first declaration that is not of the agreed baseline's date is a finding; later proofs
    /// within a baseline whose own proof fails are not proven.
    #[test]
    fn the_baseline_is_the_agreed_one_and_must_hold() {
        let mut rng = ChaCha20Rng::seed_from_u64(23);
        let early = declare("US", "2020-10-01", items(), 1, None, &mut rng);
        let r = run(agreed(Disclosure::ZoneCounts), std::slice::from_ref(&early.line));
        assert!(
            r.findings
                .iter()
                .any(|f| f.kind == FindingKind::Cap && f.message.contains("baseline is 2020-10-13")),
            "{:?}",
            r.findings
        );
        let base = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let q1 = declare("US", "2021-01-13", items(), 2, Some(&base), &mut rng);
        let mut broken: serde_json::Value = serde_json::from_str(&base.line).unwrap();
        broken["body"]["limit_proof"]["margin_proof"] = serde_json::json!("AAAA");
        let r = run(agreed(Disclosure::ZoneCounts), &[broken.to_string(), q1.line]);
        assert!(!r.parties[0].declarations[1].proven, "nothing is proven within a broken baseline");
    }

    /// What a node checks under its append lock: only the new steps' own malformed findings
    /// refuse them.
    #[test]
    fn check_new_refuses_only_the_new_steps_own_malformed_findings() {
        let mut rng = ChaCha20Rng::seed_from_u64(25);
        let (base, q1, changes) = period(&mut rng, true);
        let held: Vec<Notification<'_>> = [&base.line, &changes].iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let new: Notification<'_> = serde_json::from_str(&q1.line).unwrap();
        let held_refs: Vec<&Notification<'_>> = held.iter().collect();
        // The Q1 openings differ from the logged changes (a finding for the partner), but the
        // step is well formed: it may be logged.
        assert!(check_new(agreed(Disclosure::ZoneCounts), &held_refs, &[&new], "US", &mut rng).is_empty());
        let mut v: serde_json::Value = serde_json::from_str(&q1.line).unwrap();
        v["body"]["limit_proof"]["margin_proof"] = serde_json::json!("AAAA");
        let text = v.to_string();
        let bad: Notification<'_> = serde_json::from_str(&text).unwrap();
        let wrong = check_new(agreed(Disclosure::ZoneCounts), &held_refs, &[&bad], "US", &mut rng);
        assert!(!wrong.is_empty() && wrong[0].contains("does not verify"), "{wrong:?}");
        // Another Party's malformed step is not this Party's to refuse.
        assert!(check_new(agreed(Disclosure::ZoneCounts), &held_refs, &[&bad], "RU", &mut rng).is_empty());
    }

    /// A sample named like the other Party's, a sample of oneself, and a huge k are refused
    /// findings against their requester; the honest sample stands.
    #[test]
    fn a_sample_cannot_be_taken_over_or_blown_up() {
        let mut rng = ChaCha20Rng::seed_from_u64(24);
        let us = declare("US", "2020-10-13", items(), 1, None, &mut rng);
        let ru = declare("RU", "2020-10-13", items(), 3, None, &mut rng);
        let (us_root, ru_root) = (us.inv.commitment().root.to_string(), ru.inv.commitment().root.to_string());
        let req = |by: &str, id: &str, of: &str, root: &str, k: u64, date: &str| {
            line(
                &format!("{by}-{id}-q"),
                "warhead_sample",
                by,
                date,
                serde_json::json!({"sample": {"step": "request", "id": id, "of": of, "root": root, "k": k}}),
            )
        };
        let lines = vec![
            us.line.clone(),
            ru.line.clone(),
            req("RU", "RU-S1", "US", &us_root, 3, "2021-02-02"),
            // The US takes RU's id, earlier: refused, RU's sample stands.
            req("US", "RU-S1", "RU", &ru_root, 3, "2021-02-01"),
            req("US", "US-S2", "US", &us_root, 3, "2021-02-01"),
            req("US", "US-S3", "RU", &ru_root, MAX_K + 1, "2021-02-01"),
        ];
        let r = run(agreed(Disclosure::ZoneCounts), &lines);
        assert_eq!(r.samples.len(), 1);
        assert_eq!((r.samples[0].id.as_str(), r.samples[0].by.as_str()), ("RU-S1", "RU"));
        let against: Vec<(&str, FindingKind)> = r.findings.iter().map(|f| (f.party.as_str(), f.kind)).collect();
        assert_eq!(against, vec![("US", FindingKind::Sample); 3], "{:?}", r.findings);
    }
}

#[cfg(test)]
mod agreement {
    /// The October 2020 proposal cannot be accepted on the treaty as it is (the real extension
    /// of 2021 was the one the rule allows), and can as a what-if on the treaty as known on
    /// 2020-10-20: the record then agrees the freeze, disclosing the per-zone counts.
    #[test]
    fn the_us_freeze_is_agreed_as_a_what_if() {
        let spec = accord_treaty::builtin::new_start();
        let p = accord_treaty::proposal::Proposal::parse(accord_treaty::proposal::BUILTIN[0].1, &spec).unwrap();
        let body = serde_json::to_value(p.to_body()).unwrap();
        let l1 = serde_json::json!({"id": "US-1", "kind": "proposal", "party": "US", "date": "2020-10-13", "body": {"proposal": body}})
            .to_string();
        let l2 = serde_json::json!({"id": "RU-1", "kind": "acceptance", "party": "RU", "date": "2020-10-20", "body": {"proposal": {"id": p.id}}}).to_string();
        let jsonl = format!("{l1}\n{l2}");
        let real = crate::record::Record::from_jsonl(&spec, &jsonl);
        assert!(real.problems[0].message.contains("extension number 2"), "{:?}", real.problems);
        assert!(super::agreed(&real).is_none());
        let on = accord_treaty::parse_date("2020-10-20").unwrap();
        let whatif = spec.as_known_on(on).unwrap();
        assert_eq!(whatif.lifecycle.status_on(on).last_day_in_force.to_string(), "2021-02-04");
        assert!(whatif.history.iter().all(|e| e.event.date <= on));
        let r = crate::record::Record::from_jsonl(&whatif, &jsonl);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let a = super::agreed(&r).unwrap();
        assert_eq!(a.disclose, accord_treaty::proposal::Disclosure::ZoneCounts);
        assert_eq!(
            (a.baseline.to_string(), a.declaration.as_str()),
            ("2020-10-13".into(), "warhead_stockpile_declaration")
        );
        assert_eq!(r.spec.lifecycle.status_on(on).last_day_in_force.to_string(), "2022-02-04");
        assert!(spec.as_known_on(accord_treaty::parse_date("2010-01-01").unwrap()).is_none());
    }
}
