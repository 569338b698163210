//! The built-in New START spec: the facts it must state, from shared/treaty/new-start-facts.md.

#![allow(clippy::unwrap_used)]

use accord_treaty::builtin::new_start;
use accord_treaty::catalogue::{Deadline, Due, Effect};
use accord_treaty::{parse_date, Phase};

fn d(s: &str) -> accord_treaty::Date {
    parse_date(s).unwrap()
}

#[test]
fn central_limits_and_when_they_bind() {
    let s = new_start();
    let v: Vec<(&str, u64)> = s.limits.iter().map(|l| (l.name.as_str(), l.value)).collect();
    assert_eq!(
        v,
        [("deployed_delivery_vehicles", 700), ("warheads", 1550), ("launchers_total", 800)]
    );
    assert_eq!(s.limits_apply_on(), d("2018-02-05"));
    assert!(!s.limits_bind_on(d("2018-02-04")));
    assert!(s.limits_bind_on(d("2018-02-05")));
    assert!(s.limits_bind_on(d("2026-02-04")));
    assert!(!s.limits_bind_on(d("2026-02-05")));
    assert!(s.limit("warheads").unwrap().is_declared());
    assert!(!s.limit("launchers_total").unwrap().is_declared());
}

#[test]
fn lifecycle_dates() {
    let s = new_start();
    let l = &s.lifecycle;
    assert_eq!(l.signature(), Some(d("2010-04-08")));
    assert_eq!(l.entry_into_force(), d("2011-02-05"));
    assert_eq!(l.end_exclusive(), d("2026-02-05"));
    assert_eq!(l.status_on(d("2010-04-07")).phase, Phase::NotSigned);
    assert_eq!(l.status_on(d("2010-04-08")).phase, Phase::SignedNotInForce);
    assert_eq!(l.status_on(d("2011-02-04")).phase, Phase::SignedNotInForce);
    assert_eq!(l.status_on(d("2011-02-05")).phase, Phase::InForce);
    // Before the extension, the treaty was due to end after 2021-02-04.
    assert_eq!(l.status_on(d("2021-02-02")).last_day_in_force, d("2021-02-04"));
    assert_eq!(l.status_on(d("2021-02-03")).last_day_in_force, d("2026-02-04"));
    let last = l.status_on(d("2026-02-04"));
    assert_eq!(last.phase, Phase::InForce);
    assert!(last.unconfirmed.is_empty());
    let after = l.status_on(d("2026-02-05"));
    assert_eq!(after.phase, Phase::Expired);
    assert_eq!(after.unconfirmed[0].key, "lifecycle.last_day_in_force");
}

#[test]
fn data_exchange_calendar() {
    let s = new_start();
    let dates = s.data_exchange_dates();
    assert_eq!(dates[0], d("2011-02-05"));
    assert_eq!(dates[1], d("2011-09-01"));
    assert!(dates.contains(&d("2018-02-05")));
    assert_eq!(*dates.last().unwrap(), d("2025-09-01"));
    // 29 boundaries (2011-09 .. 2025-09) + entry into force + limits date.
    assert_eq!(dates.len(), 31);
    assert!(s.is_period_boundary(d("2012-03-01")));
    assert!(!s.is_period_boundary(d("2012-03-02")));
    assert!(!s.is_period_boundary(d("2011-03-01")));
    assert!(!s.is_period_boundary(d("2026-03-01")));
    let (_, upd) = s.catalogue.get("six_month_update").unwrap();
    assert_eq!(
        upd.deadline.due(d("2023-03-01"), d("2011-02-05")),
        Some(Due::Date { date: d("2023-03-30") })
    );
    let (_, init) = s.catalogue.get("initial_data").unwrap();
    assert_eq!(init.effect, Effect::InitialData);
    assert_eq!(
        init.deadline.due(d("2011-02-05"), d("2011-02-05")),
        Some(Due::Date { date: d("2011-03-22") })
    );
    assert_eq!(s.inspections_begin(), d("2011-04-06"));
    let quotas: Vec<u32> = s.inspections.types.iter().filter_map(|t| t.quota_per_year).collect();
    assert_eq!(quotas, [10, 8]);
}

#[test]
fn catalogue_marks_unconfirmed_and_public() {
    let s = new_start();
    let (_, k) = s.catalogue.get("heavy_bomber_outside_territory").unwrap();
    assert_eq!(k.deadline, Deadline::Unconfirmed);
    let mut u = Vec::new();
    s.unconfirmed_kind(k, &mut u);
    assert_eq!(u.len(), 1);
    let (_, upd) = s.catalogue.get("six_month_update").unwrap();
    let totals = upd.field(accord_treaty::Field::Totals).unwrap();
    assert_eq!(totals.visibility, accord_treaty::Visibility::Public);
    let loadings = upd.field(accord_treaty::Field::Loadings).unwrap();
    assert_eq!(loadings.visibility, accord_treaty::Visibility::Confidential);
    // Heavy bombers in the 800: settled by official data (2020-09-01: 454 + 280 + 48 + 18).
    let mut u = Vec::new();
    s.unconfirmed_counting(s.limit("launchers_total").unwrap(), &mut u);
    assert!(u.is_empty(), "{u:?}");
    let mut u = Vec::new();
    s.unconfirmed_counting(s.limit("warheads").unwrap(), &mut u);
    assert!(u.is_empty());
}

/// Only a government's own page is tagged `official` (a press report of an official is
/// `secondary`; a copy of a government page gives the page as `url` and the copy as
/// `read_at`), and `treaty_text` is the treaty's text at a government's site or a legal
/// database that publishes it verbatim: every `[sources]` entry of the data files.
#[test]
fn only_government_pages_are_tagged_official() {
    use accord_treaty::provenance::{fits_tag, Tag};
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .chain(std::fs::read_dir(data.join("proposals")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let (mut official, mut wrong) = (0, Vec::new());
    for f in &files {
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let Some(sources) = v.get("sources").and_then(|s| s.as_table()) else {
            continue;
        };
        for (key, s) in sources {
            let url = s["url"].as_str().unwrap();
            let tag: Tag = s["tag"].clone().try_into().unwrap();
            official += usize::from(tag == Tag::Official);
            let ok = fits_tag(tag, url);
            let read_at_differs = s.get("read_at").and_then(|r| r.as_str()).is_none_or(|r| r != url);
            if !ok || !read_at_differs {
                wrong.push(format!("{}: {key} ({}) {url}", f.display(), s["tag"]));
            }
        }
    }
    assert!(official >= 10, "{official}");
    assert!(wrong.is_empty(), "tagged beyond what their host is:\n{}", wrong.join("\n"));
}

/// The dated events the December 2026 fidelity review found missing or approximate
/// (shared/treaty/fidelity-review-2026-12.md, (a)): each in the history, by date, kind and
/// Party, at the precision its sources give; the denied report of an informal understanding is
/// unconfirmed and no commitment.
#[test]
fn the_history_holds_the_reviewed_events() {
    use accord_treaty::lifecycle::{EventKind, Precision};
    use accord_treaty::provenance::Status;
    let s = new_start();
    let find = |date: &str, kind: EventKind, party: Option<&str>| {
        s.history
            .iter()
            .find(|e| e.event.date == d(date) && e.event.kind == kind && e.event.party.as_deref() == party)
            .unwrap_or_else(|| panic!("{date} {kind:?} {party:?}"))
    };
    let day = [
        ("2011-02-02", EventKind::RatificationStep, Some("US")),
        ("2020-10-13", EventKind::Proposal, Some("US")),
        ("2020-10-16", EventKind::Proposal, Some("RU")),
        ("2020-10-16", EventKind::Statement, Some("US")),
        ("2020-10-20", EventKind::Statement, Some("US")),
        ("2021-01-21", EventKind::Statement, Some("US")),
        ("2021-01-26", EventKind::RatificationStep, Some("RU")),
        ("2023-03-28", EventKind::Countermeasure, Some("US")),
        ("2023-06-01", EventKind::Countermeasure, Some("US")),
        ("2025-10-05", EventKind::Statement, Some("US")),
        ("2025-11-26", EventKind::Statement, Some("RU")),
        ("2026-01-08", EventKind::Statement, Some("US")),
        ("2026-02-05", EventKind::Negotiation, None),
        ("2026-02-06", EventKind::Statement, Some("RU")),
        ("2026-02-06", EventKind::Statement, Some("US")),
    ];
    for (date, kind, party) in day {
        let e = find(date, kind, party);
        assert_eq!(e.event.precision, Precision::Day, "{date} {kind:?}");
        assert_eq!(e.event.provenance.status, Status::Confirmed, "{date} {kind:?}");
    }
    assert_eq!(
        find("2023-01-01", EventKind::Statement, Some("US")).event.precision,
        Precision::Month
    );
    assert_eq!(
        find("2011-02-05", EventKind::EntryIntoForce, None).event.place.as_deref(),
        Some("Munich")
    );
    let lavrov = find("2026-02-11", EventKind::Statement, Some("RU"));
    assert_eq!(lavrov.event.provenance.status, Status::Confirmed);
    let denied = find("2026-02-06", EventKind::Statement, None);
    assert_eq!(denied.event.provenance.status, Status::Unconfirmed);
    assert!(denied.event.text.as_deref().is_some_and(|t| t.contains("not an agreement")));
    // The Senate's resolution: its missile-defence understanding and the annual report.
    let senate = find("2010-12-22", EventKind::Ratification, Some("US"));
    let text = senate.event.text.as_deref().unwrap_or("");
    assert!(text.contains("missile defence") && text.contains("(a)(10)"), "{text}");
    // The drafting period's end rests on one encyclopedia and says so.
    assert_eq!(
        find("2009-11-09", EventKind::Negotiation, None).event.provenance.status,
        Status::Unconfirmed
    );
    // After expiry: the offer of 2025-09-22, and Lavrov's statement continuing it on
    // 2026-02-11 as a conditional moratorium; not the denied report.
    let after = accord_treaty::regime::status_on(&s, d("2026-03-01"));
    let listed: Vec<(String, Option<String>)> = after
        .commitments
        .iter()
        .map(|c| (c.date.to_string(), c.continues.map(|x| x.to_string())))
        .collect();
    assert_eq!(
        listed,
        [
            ("2025-09-22".to_owned(), None),
            ("2026-02-11".to_owned(), Some("2025-09-22".to_owned()))
        ]
    );
    let before = accord_treaty::regime::status_on(&s, d("2026-02-10"));
    assert_eq!(before.commitments.len(), 1, "not continued yet");
}

/// `obligation_terms` say whether each obligation applies, from and until when, and under which
/// clause; each Party's inspections, data and notifications name the event that set them.
#[test]
fn obligations_are_terms_and_effects_name_their_event() {
    use accord_treaty::regime::status_on;
    let s = new_start();
    let applies = |date: &str, key: &str| {
        let st = status_on(&s, d(date));
        let t = st.obligation_terms.iter().find(|t| t.key == key).unwrap_or_else(|| panic!("{key}"));
        (t.applies, t.from.to_string(), t.until.to_string(), t.clause.clone())
    };
    assert!(!applies("2018-02-04", "central_limits").0, "not yet");
    let (on, from, until, clause) = applies("2018-02-05", "central_limits");
    assert!(on);
    assert_eq!((from.as_str(), until.as_str()), ("2018-02-05", "2021-02-04"), "as known then");
    assert!(clause.contains("Art. II"), "{clause}");
    assert!(!applies("2011-04-05", "inspections").0);
    assert!(applies("2011-04-06", "inspections").0);
    assert!(!applies("2011-02-04", "data_and_notifications").0, "before entry into force");
    assert!(applies("2011-02-05", "data_and_notifications").0);
    let gone = status_on(&s, d("2026-02-05"));
    assert_eq!(gone.obligation_terms.len(), 4);
    assert!(gone.obligation_terms.iter().all(|t| !t.applies), "expired");
    // Before the 2021 extension the obligations end on 2021-02-04; after it, on 2026-02-04.
    assert_eq!(applies("2020-06-01", "central_limits").2, "2021-02-04");
    assert_eq!(applies("2021-02-03", "central_limits").2, "2026-02-04");
    // Effects name their event.
    let cm = status_on(&s, d("2023-06-01"));
    let us = cm.parties.iter().find(|p| p.party == "US").unwrap();
    let by = us.notifications_by.as_ref().expect("set by an event");
    assert_eq!(
        (by.date.to_string().as_str(), by.source.as_str()),
        ("2023-06-01", "sputnik-2023-06-01")
    );
    assert_eq!(us.data_by.as_ref().map(|b| b.date.to_string()), Some("2023-03-28".to_owned()));
    let ru = cm.parties.iter().find(|p| p.party == "RU").unwrap();
    assert_eq!(
        ru.inspections_by.as_ref().map(|b| b.date.to_string()),
        Some("2023-02-28".to_owned())
    );
    assert!(gone.parties.iter().all(|p| p.inspections_by.is_none()), "no effects after expiry");
}

/// The US countermeasures, each on the day before, on and after its date: the data withheld
/// from 28 March 2023, the notifications stopped and the inspections refused from 1 June 2023,
/// while Russia's side stays as its own suspension of 28 February 2023 set it.
#[test]
fn the_us_countermeasures_change_its_side_from_their_dates() {
    use accord_treaty::regime::status_on;
    let s = new_start();
    let side = |date: &str, party: &str| {
        let st = status_on(&s, d(date));
        let p = st.parties.iter().find(|p| p.party == party).unwrap().clone();
        let word = |x: &dyn std::fmt::Debug| format!("{x:?}").to_lowercase();
        (word(&p.inspections), word(&p.data), word(&p.notifications))
    };
    let us = |date: &str| side(date, "US");
    assert_eq!(us("2023-03-27").1, "exchanged");
    assert_eq!(us("2023-03-28").1, "withheld");
    assert_eq!(us("2023-03-29").1, "withheld");
    assert_eq!(us("2023-05-31").2, "given");
    assert_ne!(us("2023-05-31").0, "refused");
    for day in ["2023-06-01", "2023-06-02", "2026-02-04"] {
        let (inspections, data, notifications) = us(day);
        assert_eq!(
            (inspections.as_str(), data.as_str(), notifications.as_str()),
            ("refused", "withheld", "stopped"),
            "{day}"
        );
    }
    assert_eq!(
        side("2023-05-31", "RU"),
        side("2023-06-01", "RU"),
        "Russia's side is its own suspension's"
    );
}

/// `continues` must name an earlier unilateral commitment of the history: anything else is
/// refused naming the field.
#[test]
fn a_continuation_names_an_earlier_commitment() {
    use accord_treaty::builtin::{NEW_START_HISTORY, NEW_START_LIFECYCLE, NEW_START_SPEC};
    use accord_treaty::spec::{LoadedFile, TreatySpec};
    for wrong in ["continues = 2025-09-21", "continues = 2026-03-01"] {
        let history = NEW_START_HISTORY.replace("continues = 2025-09-22", wrong);
        let load = |name: &str| -> Result<LoadedFile, accord_treaty::error::SpecError> {
            let text = if name.contains("lifecycle") {
                NEW_START_LIFECYCLE
            } else {
                history.as_str()
            };
            Ok(LoadedFile {
                name: name.into(),
                text: text.into(),
            })
        };
        let e = TreatySpec::parse("data/new-start.toml", NEW_START_SPEC, &load).expect_err(wrong);
        assert!(e.to_string().contains("event.continues"), "{e}");
    }
}
