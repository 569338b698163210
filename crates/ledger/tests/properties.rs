//! Property tests: any sequence of notifications that replay accepts keeps every count
//! non-negative and the incrementally maintained figures equal to a recomputation from the
//! items; a refused notification leaves the state exactly as it was.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use accord_ledger::event::{compile, Names};
use accord_ledger::notification::{parse_notification, Body, Notification};
use accord_ledger::state::{live_value, PartyState};
use accord_treaty::builtin::new_start;
use accord_treaty::date::add_days;
use accord_treaty::{parse_date, PartyId};
use proptest::prelude::*;

const ITEMS: [&str; 12] = ["L1", "L2", "L3", "M1", "M2", "M3", "B1", "B2", "T1", "T2", "S1", "X9"];
const FACILITIES: [&str; 5] = ["US-A", "US-S", "US-AB", "US-SB", "US-NOWHERE"];

#[derive(Debug, Clone)]
enum Op {
    Deploy(usize, Option<usize>),
    Undeploy(usize),
    Move(usize, usize, usize),
    Remove(usize),
    Add(usize, usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0..ITEMS.len();
    let f = 0..FACILITIES.len();
    prop_oneof![
        (i.clone(), proptest::option::of(0..ITEMS.len())).prop_map(|(a, b)| Op::Deploy(a, b)),
        i.clone().prop_map(Op::Undeploy),
        (i.clone(), f.clone(), f.clone()).prop_map(|(a, b, c)| Op::Move(a, b, c)),
        i.clone().prop_map(Op::Remove),
        (0..40usize, 0..5usize, f).prop_map(|(a, c, f)| Op::Add(a, c, f)),
    ]
}

fn notification(op: &Op, k: usize) -> Notification<'static> {
    let s = |x: &str| Some(Cow::Owned(x.to_owned()));
    let (kind, body) = match op {
        Op::Deploy(a, b) => (
            "deployment",
            Body {
                item: s(ITEMS[*a]),
                launcher: b.and_then(|b| s(ITEMS[b])),
                ..Body::default()
            },
        ),
        Op::Undeploy(a) => (
            "removal_from_deployment",
            Body {
                item: s(ITEMS[*a]),
                ..Body::default()
            },
        ),
        Op::Move(a, f, t) => (
            "movement",
            Body {
                item: s(ITEMS[*a]),
                from: s(FACILITIES[*f]),
                to: s(FACILITIES[*t]),
                ..Body::default()
            },
        ),
        Op::Remove(a) => (
            "elimination",
            Body {
                item: s(ITEMS[*a]),
                ..Body::default()
            },
        ),
        Op::Add(a, c, f) => {
            let cats = ["icbm", "slbm", "heavy_bomber", "icbm_launcher", "slbm_launcher"];
            (
                "new_item",
                Body {
                    item: Some(Cow::Owned(format!("N{a}"))),
                    category: s(cats[*c]),
                    item_type: s("T"),
                    facility: s(FACILITIES[*f]),
                    ..Body::default()
                },
            )
        }
    };
    Notification {
        id: Cow::Owned(format!("US-P{k}")),
        kind: Cow::Borrowed(kind),
        party: Cow::Borrowed("US"),
        date: add_days(parse_date("2011-03-01").unwrap(), k as i64),
        sent: None,
        received: None,
        body,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn accepted_sequences_keep_counts_consistent(ops in proptest::collection::vec(op(), 1..60)) {
        let spec = new_start();
        let text = std::fs::read_to_string(format!("{}/../../tests/scenarios/small.jsonl", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let first = text.lines().next().unwrap();
        let mut names = Names::new(spec.parties.len());
        let mut state = PartyState::new(&spec, PartyId(0));
        let init = compile(&spec, &mut names, &parse_notification(first).unwrap(), 1).unwrap();
        state.apply(&spec, &names, &init).unwrap();
        let mut accepted = 0;
        for (k, o) in ops.iter().enumerate() {
            let n = notification(o, k);
            let Ok(e) = compile(&spec, &mut names, &n, (k + 2) as u32) else { continue };
            let before = state.clone();
            match state.apply(&spec, &names, &e) {
                Ok(_) => accepted += 1,
                Err(_) => prop_assert_eq!(&state, &before, "a refused notification changed the state"),
            }
            // Counts are u64 (never negative; an underflow would panic in this debug build)
            // and always equal a recomputation from the items.
            let recount = state.recount(&spec);
            prop_assert_eq!(state.counts(), recount.as_slice());
            for l in 0..spec.limits.len() {
                if !spec.limits[l].is_declared() {
                    prop_assert_eq!(state.limit_value(&spec, l), Some(live_value(&spec, &recount, l, &[])));
                }
            }
        }
        let _ = accepted;
    }
}

#[test]
fn random_sequences_do_get_accepted_sometimes() {
    // Guard against a generator that only ever produces refused notifications.
    let spec = new_start();
    let text = std::fs::read_to_string(format!("{}/../../tests/scenarios/small.jsonl", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut names = Names::new(spec.parties.len());
    let mut state = PartyState::new(&spec, PartyId(0));
    let init = compile(&spec, &mut names, &parse_notification(text.lines().next().unwrap()).unwrap(), 1).unwrap();
    state.apply(&spec, &names, &init).unwrap();
    let ops = [
        Op::Move(5, 1, 0),
        Op::Deploy(5, Some(2)),
        Op::Undeploy(3),
        Op::Remove(0),
        Op::Undeploy(6),
    ];
    for (k, o) in ops.iter().enumerate() {
        let e = compile(&spec, &mut names, &notification(o, k), 2).unwrap();
        state.apply(&spec, &names, &e).unwrap();
    }
    // M3 deployed in L3, M1 out of L1, L1 eliminated, B1 undeployed.
    assert_eq!(state.limit_value(&spec, 0), Some(3)); // M2, M3, S1
    assert_eq!(state.limit_value(&spec, 2), Some(6)); // L2, L3, T1, T2, B1, B2
}
