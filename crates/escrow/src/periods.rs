//! Successive periods: each period's commitment must be explained by the previous one and the
//! changes logged between them (items produced, dismantled, moved between zones, changed in
//! status).
//!
//! The partner holds the previous period's per-zone counts (the openings it received and
//! checked), applies the logged changes to them, and compares the result with the new period's
//! openings ([`explain`]): a zone whose count differs is a finding naming the zone. A sampled
//! item's opening is compared with what the log says of that item ([`ItemLog::check`]): an item
//! the log moved to another zone, or dismantled, cannot be opened where it was.
//!
//! Invariants: applying a change never makes a count negative (a dismantlement or a move out of
//! a zone that the counts say is empty is refused, naming the change); the expected counts
//! depend only on the previous counts and the changes, in order; an item's logged state is the
//! last change that names it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::EscrowError;
use crate::inventory::{Record, Status};
use crate::totals::{check_openings, LimitProof, Openings, ZoneMismatch};

/// One logged change to the inventory between two periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// A new item.
    Produced {
        /// Its identifier.
        uid: String,
        /// Its zone.
        zone: String,
        /// Its status.
        status: Status,
    },
    /// An item dismantled (it leaves the inventory).
    Dismantled {
        /// Its identifier.
        uid: String,
        /// The zone it left.
        zone: String,
    },
    /// An item moved between zones.
    Moved {
        /// Its identifier.
        uid: String,
        /// From.
        from: String,
        /// To.
        to: String,
    },
    /// An item's status changed, in its zone.
    StatusChanged {
        /// Its identifier.
        uid: String,
        /// Its zone.
        zone: String,
        /// The new status.
        status: Status,
    },
}

/// The counts per zone the changes take `previous` to. `counted` says which statuses the counts
/// are of (empty: all), so a status change moves an item in or out of a count of deployed
/// warheads, say.
pub fn expected_counts(
    previous: &BTreeMap<String, u64>,
    changes: &[Change],
    counted: &[Status],
    status_before: &dyn Fn(&str) -> Option<Status>,
) -> Result<BTreeMap<String, u64>, EscrowError> {
    let counts_status = |s: Status| counted.is_empty() || counted.contains(&s);
    let mut counts = previous.clone();
    let mut status: BTreeMap<&str, Status> = BTreeMap::new();
    let take = |counts: &mut BTreeMap<String, u64>, i: usize, zone: &str| -> Result<(), EscrowError> {
        let c = counts.entry(zone.to_owned()).or_default();
        *c = c.checked_sub(1).ok_or_else(|| EscrowError::Change {
            index: i + 1,
            message: format!("zone '{zone}' has no item left to take"),
        })?;
        Ok(())
    };
    let add = |counts: &mut BTreeMap<String, u64>, i: usize, zone: &str| -> Result<(), EscrowError> {
        let c = counts.entry(zone.to_owned()).or_default();
        *c = c.checked_add(1).ok_or_else(|| EscrowError::Change {
            index: i + 1,
            message: format!("zone '{zone}' would count more items than a count holds"),
        })?;
        Ok(())
    };
    for (i, ch) in changes.iter().enumerate() {
        match ch {
            Change::Produced { uid, zone, status: s } => {
                status.insert(uid, *s);
                if counts_status(*s) {
                    add(&mut counts, i, zone)?;
                }
            }
            Change::Dismantled { uid, zone } => {
                let s = status.get(uid.as_str()).copied().or_else(|| status_before(uid));
                if s.is_none_or(counts_status) {
                    take(&mut counts, i, zone)?;
                }
            }
            Change::Moved { uid, from, to } => {
                let s = status.get(uid.as_str()).copied().or_else(|| status_before(uid));
                if s.is_none_or(counts_status) {
                    take(&mut counts, i, from)?;
                    add(&mut counts, i, to)?;
                }
            }
            Change::StatusChanged { uid, zone, status: new } => {
                let old = status.get(uid.as_str()).copied().or_else(|| status_before(uid));
                if old.is_none() && !counted.is_empty() {
                    return Err(EscrowError::Change {
                        index: i + 1,
                        message: format!("{uid}: its status before the change is not known, so a count by status cannot follow it"),
                    });
                }
                let (was, is) = (old.is_none_or(counts_status), counts_status(*new));
                if was && !is {
                    take(&mut counts, i, zone)?;
                } else if !was && is {
                    add(&mut counts, i, zone)?;
                }
                status.insert(uid, *new);
            }
        }
    }
    counts.retain(|_, v| *v > 0);
    Ok(counts)
}

/// The partner's check of a new period: the previous period's checked counts plus the logged
/// changes must give the new period's openings, zone by zone. Returns the zones that differ.
pub fn explain(
    previous: &BTreeMap<String, u64>,
    changes: &[Change],
    next: &LimitProof,
    next_openings: &Openings,
) -> Result<Vec<ZoneMismatch>, EscrowError> {
    let expected = expected_counts(previous, changes, &[], &|_| None)?;
    check_openings(next, next_openings, &expected)
}

/// What the log says of each item it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemLog {
    /// uid → `None` (dismantled) or its zone and, when the log gave it, its status.
    state: BTreeMap<String, Option<(String, Option<Status>)>>,
}

impl ItemLog {
    /// The log's state of each item after `changes` (`None`: dismantled).
    pub fn of(changes: &[Change]) -> ItemLog {
        let mut state: BTreeMap<String, Option<(String, Option<Status>)>> = BTreeMap::new();
        for ch in changes {
            match ch {
                Change::Produced { uid, zone, status } | Change::StatusChanged { uid, zone, status } => {
                    state.insert(uid.clone(), Some((zone.clone(), Some(*status))));
                }
                Change::Dismantled { uid, .. } => {
                    state.insert(uid.clone(), None);
                }
                Change::Moved { uid, to, .. } => {
                    let s = state.get(uid).cloned().flatten().and_then(|(_, s)| s);
                    state.insert(uid.clone(), Some((to.clone(), s)));
                }
            }
        }
        ItemLog { state }
    }

    /// Checks an opened record against the log: an item the log names must be where and as the
    /// log last put it (a Moved item's status is only checked when the log gave it). `None`
    /// when the log says nothing of the item (the physical inspection decides).
    pub fn check(&self, r: &Record) -> Option<Result<(), String>> {
        let s = self.state.get(&r.uid)?;
        Some(match s {
            None => Err(format!("{} was logged as dismantled, yet is opened in zone '{}'", r.uid, r.zone)),
            Some((zone, _)) if *zone != r.zone => Err(format!(
                "{} was logged into zone '{zone}', yet is opened in zone '{}'",
                r.uid, r.zone
            )),
            Some((_, Some(status))) if *status != r.status => Err(format!(
                "{} was logged as {}, yet is opened as {}",
                r.uid,
                status.word(),
                r.status.word()
            )),
            Some(_) => Ok(()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::totals::{prove, Cap, Statement};
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(z, n)| ((*z).to_owned(), *n)).collect()
    }

    fn changes() -> Vec<Change> {
        vec![
            Change::Produced {
                uid: "W9".into(),
                zone: "pantex".into(),
                status: Status::NonDeployed,
            },
            Change::Dismantled {
                uid: "W1".into(),
                zone: "pantex".into(),
            },
            Change::Dismantled {
                uid: "W2".into(),
                zone: "pantex".into(),
            },
            Change::Moved {
                uid: "W3".into(),
                from: "kings-bay".into(),
                to: "bangor".into(),
            },
        ]
    }

    #[test]
    fn the_changes_explain_the_next_period() {
        let before = counts(&[("bangor", 100), ("kings-bay", 120), ("pantex", 50)]);
        let want = counts(&[("bangor", 101), ("kings-bay", 119), ("pantex", 49)]);
        assert_eq!(expected_counts(&before, &changes(), &[], &|_| None).unwrap(), want);
        // The next period's proof and openings, honest and not.
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let st = Statement {
            treaty: "us-2020-10-freeze".into(),
            party: "US".into(),
            as_of: "2021-01-13".into(),
            name: "all_warheads".into(),
            cap: Cap::Public(270),
            inventory_root: None,
            bits: 16,
            zones: vec!["bangor".into(), "kings-bay".into(), "pantex".into(), "~padding-0".into()],
        };
        let (p, o) = prove(st.clone(), &[101, 119, 49, 0], None, &mut rng).unwrap();
        assert!(explain(&before, &changes(), &p, &o).unwrap().is_empty());
        // One warhead more at Pantex than the log explains: a finding naming the zone.
        let (p, o) = prove(st, &[101, 119, 50, 0], None, &mut rng).unwrap();
        let m = explain(&before, &changes(), &p, &o).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].zone.as_str(), m[0].opened, m[0].expected), ("pantex", Some(50), Some(49)));
    }

    #[test]
    fn a_change_that_takes_from_an_empty_zone_is_refused() {
        let before = counts(&[("pantex", 1)]);
        let e = expected_counts(&before, &changes()[1..3], &[], &|_| None).unwrap_err();
        assert!(e.to_string().contains("change 2") && e.to_string().contains("pantex"), "{e}");
    }

    #[test]
    fn a_count_of_deployed_follows_status_changes() {
        let before = counts(&[("bangor", 10)]);
        let ch = vec![Change::StatusChanged {
            uid: "W5".into(),
            zone: "bangor".into(),
            status: Status::NonDeployed,
        }];
        let deployed = expected_counts(&before, &ch, &[Status::Deployed], &|_| Some(Status::Deployed)).unwrap();
        assert_eq!(deployed, counts(&[("bangor", 9)]));
        let all = expected_counts(&before, &ch, &[], &|_| Some(Status::Deployed)).unwrap();
        assert_eq!(all, counts(&[("bangor", 10)]));
    }

    #[test]
    fn a_sampled_item_must_be_where_the_log_put_it() {
        let log = ItemLog::of(&changes());
        let rec = |uid: &str, zone: &str, status: Status| Record {
            uid: uid.into(),
            item_type: "W76-1".into(),
            zone: zone.into(),
            status,
        };
        assert_eq!(log.check(&rec("W9", "pantex", Status::NonDeployed)), Some(Ok(())));
        assert!(
            log.check(&rec("W3", "kings-bay", Status::NonDeployed)).unwrap().is_err(),
            "moved away"
        );
        assert!(log.check(&rec("W1", "pantex", Status::NonDeployed)).unwrap().is_err(), "dismantled");
        assert!(
            log.check(&rec("W9", "pantex", Status::Deployed)).unwrap().is_err(),
            "another status"
        );
        assert_eq!(log.check(&rec("W77", "bangor", Status::Deployed)), None, "the log says nothing");
    }
}
