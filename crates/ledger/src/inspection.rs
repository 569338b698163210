//! Inspections under the treaty's rules: yearly quotas per type and inspecting Party, only one
//! inspection at a time on a Party's territory, none before inspection activities may begin or
//! while inspections are paused or refused (the history's effects) or the treaty is not in
//! force; and the joint commit-reveal choice of the missile for a reentry-vehicle inspection.
//!
//! Invariants: [`Register::notify`] refuses, changing nothing, any inspection the rules do not
//! allow, naming the rule; an inspection ends only once; a treaty year runs from an anniversary
//! of entry into force. The commit-reveal choice is a function of the candidates and both
//! revealed values only, so either Party (and any auditor) can recompute it; a reveal that does
//! not match its commitment is refused. Pure: no I/O, no clock, no randomness (nonces come in).

use std::collections::BTreeMap;

use accord_treaty::date::add_years;
use accord_treaty::history::Inspections;
use accord_treaty::regime::status_on;
use accord_treaty::{Date, TreatySpec};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why an inspection step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct InspectionError {
    /// The rule (spec clause or protocol reference).
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

fn refuse(rule: impl Into<String>, message: impl Into<String>) -> InspectionError {
    InspectionError {
        rule: rule.into(),
        message: message.into(),
    }
}

/// An inspection in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// Identifier.
    pub id: String,
    /// Type code (from the spec).
    pub kind: String,
    /// The inspecting Party.
    pub inspecting: String,
    /// The inspected Party.
    pub inspected: String,
    /// Notice date.
    pub notified: Date,
    /// The treaty year it counts in (1 = the first year after entry into force).
    pub treaty_year: u32,
    /// When it ended, if it has.
    pub ended: Option<Date>,
}

/// The inspections notified so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Register {
    /// Every inspection, in notice order.
    pub inspections: Vec<Inspection>,
}

/// The treaty year of `d` (1-based), counted from each anniversary of entry into force.
pub fn treaty_year(spec: &TreatySpec, d: Date) -> u32 {
    let eif = spec.lifecycle.entry_into_force();
    let mut y = 1;
    while add_years(eif, y as i32) <= d {
        y += 1;
    }
    y
}

impl Register {
    /// Inspections of `kind` by `inspecting` counted in treaty year `year`.
    pub fn used(&self, inspecting: &str, kind: &str, year: u32) -> u32 {
        self.inspections
            .iter()
            .filter(|i| i.inspecting == inspecting && i.kind == kind && i.treaty_year == year)
            .count() as u32
    }

    /// The inspection under way on `inspected`'s territory on `d`, if any.
    pub fn under_way(&self, inspected: &str, d: Date) -> Option<&Inspection> {
        self.inspections
            .iter()
            .find(|i| i.inspected == inspected && i.notified <= d && i.ended.is_none_or(|e| e > d))
    }

    /// Records a notice of intent to inspect, if the rules allow it on `date`.
    pub fn notify(
        &mut self,
        spec: &TreatySpec,
        id: &str,
        kind: &str,
        inspecting: &str,
        date: Date,
    ) -> Result<&Inspection, InspectionError> {
        let rules = &spec.inspections;
        if self.inspections.iter().any(|i| i.id == id) {
            return Err(refuse("register", format!("inspection {id} is already notified")));
        }
        let Some(t) = rules.types.iter().find(|t| t.code == kind) else {
            let codes: Vec<&str> = rules.types.iter().map(|t| t.code.as_str()).collect();
            return Err(refuse("spec", format!("'{kind}' is not an inspection type: {}", codes.join(", "))));
        };
        let inspected = spec
            .parties
            .iter()
            .map(|p| p.code.as_str())
            .find(|p| *p != inspecting)
            .ok_or_else(|| refuse("spec", "no other Party to inspect"))?
            .to_owned();
        if spec.party(inspecting).is_none() {
            return Err(refuse("spec", format!("'{inspecting}' is not a Party")));
        }
        may_begin(spec, &inspected, date)?;
        if rules.one_at_a_time {
            if let Some(i) = self.under_way(&inspected, date) {
                return Err(refuse(
                    rules.section.clone(),
                    format!("only one inspection at a time: {} on {inspected}'s territory is under way", i.id),
                ));
            }
        }
        let year = treaty_year(spec, date);
        let used = self.used(inspecting, kind, year);
        if let Some(quota) = t.quota_per_year {
            if used >= quota {
                return Err(refuse(
                    t.article.clone(),
                    format!("{inspecting} has used its {quota} {} of treaty year {year}", t.name),
                ));
            }
        }
        self.inspections.push(Inspection {
            id: id.to_owned(),
            kind: kind.to_owned(),
            inspecting: inspecting.to_owned(),
            inspected,
            notified: date,
            treaty_year: year,
            ended: None,
        });
        Ok(self.inspections.last().expect("just pushed"))
    }

    /// Ends inspection `id` on `date` (its report signed, or the team gone).
    pub fn end(&mut self, id: &str, date: Date) -> Result<(), InspectionError> {
        let i = self
            .inspections
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| refuse("register", format!("no inspection {id}")))?;
        if let Some(e) = i.ended {
            return Err(refuse("register", format!("inspection {id} already ended on {e}")));
        }
        if date < i.notified {
            return Err(refuse(
                "register",
                format!("inspection {id} cannot end before its notice ({})", i.notified),
            ));
        }
        i.ended = Some(date);
        Ok(())
    }

    /// Quotas left per inspecting Party and type in the treaty year of `d`.
    pub fn quotas(&self, spec: &TreatySpec, d: Date) -> BTreeMap<(String, String), (u32, u32)> {
        let year = treaty_year(spec, d);
        let mut out = BTreeMap::new();
        for p in &spec.parties {
            for t in &spec.inspections.types {
                let Some(quota) = t.quota_per_year else { continue };
                out.insert((p.code.clone(), t.code.clone()), (self.used(&p.code, &t.code, year), quota));
            }
        }
        out
    }
}

/// Whether inspection activities on `inspected`'s territory may take place on `date`: the
/// treaty in force, not before they may begin (entry into force + the spec's days), and not
/// while the history has them paused or refused. Applies to exhibitions too (Protocol Part
/// Five, Section I covers all inspection activities).
pub fn may_begin(spec: &TreatySpec, inspected: &str, date: Date) -> Result<(), InspectionError> {
    let rules = &spec.inspections;
    let st = status_on(spec, date);
    if !st.treaty.in_force {
        return Err(refuse("Art. XIV", format!("the treaty is not in force on {date}")));
    }
    let begin = accord_treaty::date::add_days(
        spec.lifecycle.entry_into_force(),
        i64::from(rules.begin_days_after_entry_into_force),
    );
    if date < begin {
        return Err(refuse(
            rules.section.clone(),
            format!("inspection activities may begin on {begin}, not {date}"),
        ));
    }
    if let Some(side) = st.parties.iter().find(|s| s.party == inspected) {
        match side.inspections {
            Inspections::Paused => return Err(refuse("history", format!("inspections are paused on {date}"))),
            Inspections::Refused => {
                return Err(refuse(
                    "history",
                    format!("{inspected} refuses inspections on {date} (exemption or suspension)"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The commitment to a value for the joint choice: SHA-256 of a domain tag, the Party, the
/// inspection, the 32-byte nonce and the value.
pub fn commitment(party: &str, inspection: &str, nonce: &[u8; 32], value: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"accord-commit-reveal/1\n");
    for part in [party.as_bytes(), inspection.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(nonce);
    h.update((value.len() as u64).to_be_bytes());
    h.update(value);
    h.finalize().into()
}

/// One Party's revealed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    /// The Party.
    pub party: String,
    /// Its nonce.
    pub nonce: [u8; 32],
    /// Its value.
    pub value: Vec<u8>,
    /// The commitment it gave before either revealed.
    pub committed: [u8; 32],
}

/// The missile chosen from `candidates` (the declared deployed missiles at the designated
/// site, in a canonical order) by both Parties' revealed values: [`choose_among`] of the two.
pub fn choose<'a>(inspection: &str, candidates: &'a [String], a: &Reveal, b: &Reveal) -> Result<&'a String, InspectionError> {
    choose_among(inspection, candidates, &[a, b])
}

/// The missile chosen from `candidates` by the revealed values of every Party to the choice
/// (two or more, one reveal each): index = SHA-256(the reveals in Party order) mod the number of
/// candidates. Refuses a reveal that does not match its commitment, fewer than two reveals, or
/// two reveals by one Party. Nothing in it assumes two Parties; for two it is the choice
/// records made so far have.
pub fn choose_among<'a>(inspection: &str, candidates: &'a [String], reveals: &[&Reveal]) -> Result<&'a String, InspectionError> {
    if candidates.is_empty() {
        return Err(refuse("choice", "no candidate missile"));
    }
    if reveals.len() < 2 {
        return Err(refuse("choice", "a joint choice needs the reveals of at least two Parties"));
    }
    let mut ordered: Vec<&Reveal> = reveals.to_vec();
    ordered.sort_by(|a, b| a.party.cmp(&b.party));
    if let Some(w) = ordered.windows(2).find(|w| w[0].party == w[1].party) {
        return Err(refuse("choice", format!("two reveals are by {}", w[0].party)));
    }
    for r in &ordered {
        if commitment(&r.party, inspection, &r.nonce, &r.value) != r.committed {
            return Err(refuse("choice", format!("{}'s reveal does not match its commitment", r.party)));
        }
    }
    let mut h = Sha256::new();
    h.update(b"accord-choice/1\n");
    for r in ordered {
        h.update(r.committed);
        h.update(r.nonce);
        h.update((r.value.len() as u64).to_be_bytes());
        h.update(&r.value);
    }
    let d: [u8; 32] = h.finalize().into();
    let x = u128::from_be_bytes(d[..16].try_into().expect("16 bytes"));
    Ok(&candidates[(x % candidates.len() as u128) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        accord_treaty::parse_date(s).expect("date")
    }

    #[test]
    fn quotas_one_at_a_time_and_the_history_are_enforced() {
        let spec = accord_treaty::builtin::new_start();
        let mut r = Register::default();
        // Before inspection activities may begin (EIF + 60 days).
        let e = r.notify(&spec, "x", "type_one", "US", d("2011-04-05")).expect_err("too early");
        assert!(e.message.contains("2011-04-06"), "{e}");
        // Not in force.
        assert!(r.notify(&spec, "x", "type_one", "US", d("2010-06-01")).is_err());
        // Ten Type One per treaty year, one at a time.
        let mut day = d("2011-04-06");
        for k in 0..10 {
            r.notify(&spec, &format!("US-1-{k}"), "type_one", "US", day).expect("within quota");
            let e = r.notify(&spec, "overlap", "type_two", "US", day).expect_err("one at a time");
            assert!(e.message.contains("one inspection at a time"), "{e}");
            day = accord_treaty::date::add_days(day, 10);
            r.end(&format!("US-1-{k}"), day).expect("end");
            assert!(r.end(&format!("US-1-{k}"), day).is_err(), "ended twice");
        }
        let e = r.notify(&spec, "US-1-10", "type_one", "US", day).expect_err("quota");
        assert!(e.message.contains("10 Type One") && e.rule.contains("Art. XI"), "{e}");
        assert_eq!(r.inspections.len(), 10, "a refused notice changed the register");
        // The other Party's inspections are counted apart, and Type Two has its own quota.
        r.notify(&spec, "RU-1-0", "type_one", "RU", day).expect("RU");
        r.notify(&spec, "US-2-0", "type_two", "US", day).expect("type two on RU territory");
        // A new treaty year from the anniversary of entry into force.
        assert_eq!(treaty_year(&spec, d("2012-02-04")), 1);
        assert_eq!(treaty_year(&spec, d("2012-02-05")), 2);
        r.end("US-2-0", d("2012-02-05")).expect("end");
        r.notify(&spec, "US-1-y2", "type_one", "US", d("2012-02-05")).expect("new year");
        assert_eq!(r.quotas(&spec, d("2012-02-05"))[&("US".to_owned(), "type_one".to_owned())], (1, 10));
        // Paused (COVID), refused (the 2022 exemption, the 2023 suspension), expired.
        let mut r = Register::default();
        assert!(r
            .notify(&spec, "p", "type_one", "US", d("2020-06-01"))
            .expect_err("paused")
            .message
            .contains("paused"));
        assert!(r.notify(&spec, "q", "type_one", "US", d("2023-06-01")).is_err());
        assert!(r
            .notify(&spec, "z", "type_one", "US", d("2026-03-01"))
            .expect_err("expired")
            .message
            .contains("not in force"));
        assert!(r.notify(&spec, "ok", "type_one", "US", d("2019-06-01")).is_ok());
    }

    #[test]
    fn the_joint_choice_is_reproducible_and_refuses_a_bad_reveal() {
        let candidates: Vec<String> = (0..40).map(|i| format!("RU-ICBM-{i:03}")).collect();
        let reveal = |party: &str, seed: u8, value: &str| {
            let nonce = [seed; 32];
            Reveal {
                party: party.into(),
                nonce,
                value: value.as_bytes().to_vec(),
                committed: commitment(party, "US-1-0", &nonce, value.as_bytes()),
            }
        };
        let (us, ru) = (reveal("US", 1, "us value"), reveal("RU", 2, "ru value"));
        let pick = choose("US-1-0", &candidates, &us, &ru).expect("choice").clone();
        // The same from either order, and again.
        assert_eq!(choose("US-1-0", &candidates, &ru, &us).expect("choice"), &pick);
        // Another value by either side changes it (for some value: neither side controls it alone).
        let others: std::collections::HashSet<String> = (0..20)
            .map(|k| {
                choose("US-1-0", &candidates, &us, &reveal("RU", 2, &format!("ru {k}")))
                    .expect("c")
                    .clone()
            })
            .collect();
        assert!(others.len() > 5, "the choice hardly varies: {others:?}");
        // A reveal that does not match its commitment.
        let mut bad = ru.clone();
        bad.value = b"changed my mind".to_vec();
        let e = choose("US-1-0", &candidates, &us, &bad).expect_err("mismatch");
        assert!(e.message.contains("RU's reveal does not match"), "{e}");
        // A commitment for another inspection does not carry over.
        assert!(choose("US-1-1", &candidates, &us, &ru).is_err());
        assert!(choose("US-1-0", &candidates, &us, &us).is_err());
        // The N-Party form gives the same choice for two, in any order, and needs two.
        assert_eq!(choose_among("US-1-0", &candidates, &[&ru, &us]).expect("choice"), &pick);
        assert!(choose_among("US-1-0", &candidates, &[&us]).is_err());
        let third = reveal("XX", 3, "xx");
        assert!(choose_among("US-1-0", &candidates, &[&us, &ru, &third]).is_ok());
    }
}
