//! The regime's status on any date: the lifecycle's answer (in force or not, until when) and
//! what the real history ([`crate::history`]) adds: obligations, each Party's inspections, data
//! and notifications, suspensions, commitments, open proposals, and the events the answer rests
//! on. Pure: no I/O.

use crate::date::Date;
use crate::history::{Data, HistoryEvent, Inspections, Notifications, ObligationTerm, PartySide, RegimeStatus, RestsOn};
use crate::lifecycle::EventKind;
use crate::provenance::{note_unconfirmed, Status, Unconfirmed};
use crate::spec::TreatySpec;

/// The regime's status on `d`: the lifecycle's answer (in force or not, until when) and, from
/// the history, the obligations that apply, each Party's inspections, data and notifications,
/// suspensions, unilateral commitments, the events the answer rests on (with the precision of
/// their dates) and the unconfirmed values it used.
pub fn status_on(spec: &TreatySpec, d: Date) -> RegimeStatus {
    let mut treaty = spec.lifecycle.status_on(d);
    let in_force = treaty.in_force;
    let mut rests_on = Vec::new();
    let blank = |party: &str, inspections| PartySide {
        party: party.to_owned(),
        inspections,
        data: Data::None,
        notifications: Notifications::None,
        inspections_by: None,
        data_by: None,
        notifications_by: None,
    };
    let mut sides: Vec<PartySide> = spec.parties.iter().map(|p| blank(&p.code, Inspections::NotYet)).collect();
    let mut suspended_by = Vec::new();
    let mut commitments = Vec::new();
    for e in spec.history.iter().filter(|e| e.event.date <= d) {
        let applies = |side: &PartySide| e.event.party.as_deref().is_none_or(|p| p == side.party);
        if !e.effects.is_empty() {
            let by = rests(e);
            for side in sides.iter_mut().filter(|s| applies(s)) {
                if let Some(x) = e.effects.inspections {
                    side.inspections = x;
                    side.inspections_by = Some(by.clone());
                }
                if let Some(x) = e.effects.data {
                    side.data = x;
                    side.data_by = Some(by.clone());
                }
                if let Some(x) = e.effects.notifications {
                    side.notifications = x;
                    side.notifications_by = Some(by.clone());
                }
            }
            rests_on.push(by);
        }
        match e.event.kind {
            EventKind::Suspension => {
                if let Some(p) = &e.event.party {
                    suspended_by.push(p.clone());
                }
                rests_on.push(rests(e));
            }
            EventKind::UnilateralCommitment => commitments.push(rests(e)),
            // A statement that continues a commitment already listed is listed after it.
            _ if e
                .continues
                .is_some_and(|c| commitments.iter().any(|x: &RestsOn| x.date == c && x.continues.is_none())) =>
            {
                commitments.push(rests(e));
            }
            _ => {}
        }
        if e.event.provenance.status == Status::Unconfirmed && !e.effects.is_empty() {
            note_unconfirmed(
                &mut treaty.unconfirmed,
                Unconfirmed {
                    key: format!("history.{}.{}", e.event.date, e.event.kind.name()),
                    value: e.title.clone(),
                    note: e.event.provenance.note.clone().unwrap_or_default(),
                },
            );
        }
    }
    let mut obligations = Vec::new();
    if in_force {
        obligations.push("data exchanges and notifications (Protocol Parts Two and Four)".to_owned());
        obligations.push("inspections within the yearly quotas (Protocol Part Five)".to_owned());
        obligations.push("the Bilateral Consultative Commission (Art. XII)".to_owned());
        if d >= spec.limits_apply_on() {
            obligations.push(format!(
                "the central limits ({}): {}",
                spec.limits_apply_article,
                spec.limits
                    .iter()
                    .map(|l| format!("{} {}", l.name, l.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            obligations.push(format!(
                "the central limits apply from {} ({}), not yet",
                spec.limits_apply_on(),
                spec.limits_apply_article
            ));
        }
    } else {
        for s in &mut sides {
            *s = blank(&s.party, Inspections::None);
        }
        suspended_by.clear();
    }
    // In force means on or before the last day: an obligation applies from its first day on.
    let (eif, last) = (treaty.entry_into_force, treaty.last_day_in_force);
    let term = |key: &str, from: Date, clause: &str| ObligationTerm {
        key: key.to_owned(),
        applies: in_force && d >= from,
        from,
        until: last,
        clause: clause.to_owned(),
    };
    let obligation_terms = vec![
        term("data_and_notifications", eif, "Art. VII; Protocol Parts Two and Four"),
        term("inspections", spec.inspections_begin(), "Art. XI; Protocol Part Five"),
        term("consultative_commission", eif, "Art. XII"),
        term("central_limits", spec.limits_apply_on(), &spec.limits_apply_article),
    ];
    // The lifecycle events the phase rests on.
    for e in spec.history.iter().filter(|e| e.event.date <= d && e.event.kind.is_lifecycle()) {
        if matches!(
            e.event.kind,
            EventKind::Signature | EventKind::EntryIntoForce | EventKind::Extension | EventKind::Expiry | EventKind::WithdrawalNotice
        ) && !rests_on.iter().any(|r: &RestsOn| r.date == e.event.date && r.kind == e.event.kind)
        {
            rests_on.push(rests(e));
        }
    }
    rests_on.sort_by_key(|r| r.date);
    rests_on.dedup_by(|a, b| a.date == b.date && a.kind == b.kind && a.title == b.title);
    let open_proposals = spec
        .history
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::Proposal | EventKind::CounterProposal) && e.event.date <= d)
        .filter(|p| {
            !spec.history.iter().any(|e| {
                matches!(e.event.kind, EventKind::Extension | EventKind::Expiry) && e.event.date > p.event.date && e.event.date <= d
            })
        })
        .map(rests)
        .collect();
    RegimeStatus {
        treaty,
        obligations,
        obligation_terms,
        parties: sides,
        suspended_by,
        commitments,
        rests_on,
        open_proposals,
    }
}

fn rests(e: &HistoryEvent) -> RestsOn {
    RestsOn {
        date: e.event.date,
        precision: e.event.precision,
        kind: e.event.kind,
        title: e.title.clone(),
        source: e.event.provenance.source.clone(),
        continues: e.continues,
    }
}
