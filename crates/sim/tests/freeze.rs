//! The freeze's cheating trials (issue #13): a Party that misdeclares 1 % of its items is
//! caught by sampling at the hypergeometric rate, and a Party that leaves items out of its
//! commitment is caught by zone reveals at the rate the zones bound, each within a 99 % interval
//! over the runs. Fixed seeds: the figures below are in docs/freeze-verification.md.

#![allow(clippy::unwrap_used)]

use accord_sim::freeze::{inventories, misdeclaration, omission, Trials, FREEZE_ESTIMATES};

fn report(what: &str, theory: &str, t: &Trials) {
    eprintln!(
        "{what}: {} runs from seed {}: caught {} ({:.3}); {theory} {:.3}, 99 % interval [{:.3}, {:.3}]",
        t.runs,
        t.seed,
        t.caught,
        t.rate(),
        t.expected,
        t.interval.0,
        t.interval.1
    );
}

#[test]
fn misdeclaring_one_percent_is_caught_by_sampling_at_the_hypergeometric_rate() {
    let us = &inventories(FREEZE_ESTIMATES).unwrap()[0];
    // 1 % of 3,800 = 38 items; k = 30 openings per inspection.
    let t = misdeclaration(us, 38, 30, 200, 1_000).unwrap();
    report("misdeclaration", "hypergeometric", &t);
    assert!((t.expected - 0.2606).abs() < 0.005, "{}", t.expected);
    assert!(t.within(), "{t:?}");
}

#[test]
fn omitted_items_are_caught_by_zone_reveals_at_the_bound_over_zones() {
    let ru = &inventories(FREEZE_ESTIMATES).unwrap()[1];
    // 20 items hidden in one of the 34 zones; each inspection reveals 4 zones.
    let t = omission(ru, 20, 4, 200, 2_000).unwrap();
    report("omission", "bound 4/34 =", &t);
    assert!(t.within(), "{t:?}");
}

#[test]
fn nothing_to_catch_is_refused_and_revealing_every_zone_always_catches() {
    let us = &inventories(FREEZE_ESTIMATES).unwrap()[0];
    // Nothing misdeclared is refused as a configuration (there is nothing to catch) …
    assert!(misdeclaration(us, 0, 30, 1, 1).is_err());
    // … and revealing every zone catches an omission every time.
    let all = omission(us, 1, 32, 5, 7).unwrap();
    assert_eq!(all.caught, 5);
}
