//! Scenario files in, expected state out: `tests/scenarios/*.jsonl` replayed, figures and
//! findings compared with reviewed snapshots (insta) and with hand-checked values.

#![allow(clippy::unwrap_used)]

use accord_ledger::compliance::{history_report, Finding};
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_treaty::builtin::new_start;
use accord_treaty::parse_date;

fn scenario(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../tests/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn warheads_follow_updates_vehicles_follow_changes() {
    let spec = new_start();
    let h = History::parse(&spec, &scenario("small.jsonl")).unwrap();
    let dates: Vec<_> = ["2011-02-05", "2011-03-10", "2011-08-31", "2011-09-01"]
        .iter()
        .map(|d| parse_date(d).unwrap())
        .collect();
    let out = replay(&spec, &h, &dates).unwrap();
    let us: Vec<Vec<Option<u64>>> = out.snapshots.iter().filter(|s| s.party == 0).map(|s| s.values.clone()).collect();
    // [deployed delivery vehicles, warheads, launchers total]
    assert_eq!(us[0], [Some(4), Some(9), Some(7)]);
    // M3 deployed on 2011-03-05: vehicles follow at once, warheads wait for the update.
    assert_eq!(us[1], [Some(5), Some(9), Some(7)]);
    // B1 non-deployed, T2 eliminated; warheads still the initial declaration's.
    assert_eq!(us[2], [Some(4), Some(9), Some(6)]);
    // The six-month update as of 2011-09-01 declares M3's two reentry vehicles.
    assert_eq!(us[3], [Some(4), Some(10), Some(6)]);
    assert!(out.discrepancies.is_empty());
    // Base totals derived from the declared loadings: ICBM base 1 + 3 + 2, submarine base 4.
    let by_base: u64 = out.states[0].declared().unwrap().by_facility.iter().map(|(_, n)| n).sum();
    assert_eq!(by_base, 10);
    let report = history_report(&spec, &h, &out, parse_date("2011-12-31").unwrap());
    insta::assert_json_snapshot!("small_report", report);
    for s in &out.states {
        assert_eq!(s.counts(), s.recount(&spec).as_slice());
    }
}

#[test]
fn late_missing_and_discrepant_notifications_are_findings() {
    let spec = new_start();
    let h = History::parse(&spec, &scenario("findings.jsonl")).unwrap();
    let out = replay(&spec, &h, &spec.data_exchange_dates()).unwrap();
    let report = history_report(&spec, &h, &out, parse_date("2012-01-01").unwrap());
    let f = report.findings.clone().unwrap();
    let late: Vec<&str> = f
        .iter()
        .filter_map(|x| {
            if let Finding::LateNotification { id, .. } = x {
                Some(id.as_str())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(late, ["US-000001", "US-000002"]);
    assert!(f
        .iter()
        .any(|x| matches!(x, Finding::MissingNotification { id, held: true, .. } if id == "US-000003")));
    assert!(f
        .iter()
        .any(|x| matches!(x, Finding::Discrepancy { name, declared: 2, computed: 1, .. } if name == "warheads")));
    let ru_missing: Vec<String> = f
        .iter()
        .filter_map(|x| match x {
            Finding::MissingDataExchange { party, kind, as_of, .. } if party == "RU" => Some(format!("{kind} {as_of}")),
            _ => None,
        })
        .collect();
    assert_eq!(ru_missing, ["initial_data 2011-02-05", "six_month_update 2011-09-01"]);
    assert!(report.failed());
    insta::assert_json_snapshot!("findings_report_findings", f);
}

#[test]
fn the_same_history_on_an_earlier_date_has_fewer_findings() {
    let spec = new_start();
    let h = History::parse(&spec, &scenario("findings.jsonl")).unwrap();
    let out = replay(&spec, &h, &[]).unwrap();
    // On 2011-03-09 nothing is due yet.
    let report = history_report(&spec, &h, &out, parse_date("2011-03-09").unwrap());
    assert!(report.findings.unwrap().is_empty());
    // On 2011-03-22 the initial data are due that very day (not yet missing), while the
    // deployment of 2011-03-05 (due 2011-03-10) arrived on 2011-03-12: late.
    let report = history_report(&spec, &h, &out, parse_date("2011-03-22").unwrap());
    let f = report.findings.unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(matches!(&f[0], Finding::LateNotification { id, due, .. } if id == "US-000002" && due == "2011-03-10"));
}

/// A history grown notification by notification, in two streams taken in turn, with times of
/// receipt set afterwards, gives what parsing the streams written one after the other gives:
/// the same lines, the same figures and findings; a duplicate id is refused with parse's words.
#[test]
fn a_growing_history_is_the_parsed_one() {
    use accord_ledger::history::Growing;
    use accord_ledger::notification::parse_notification;
    let spec = new_start();
    for name in ["small.jsonl", "findings.jsonl"] {
        let text = scenario(name);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let stream = |l: &str| usize::from(!l.contains("\"party\":\"US\""));
        let ordered: Vec<&str> = (0..2).flat_map(|s| lines.iter().copied().filter(move |l| stream(l) == s)).collect();
        let whole = History::parse(&spec, &ordered.join("\n")).unwrap();
        // Every notification first without its receipt, the streams in turn, the last stream first.
        let bare = |l: &str| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("received");
            v.to_string()
        };
        let mut g = Growing::new(&spec, 2);
        let (mut a, mut b) = (ordered.iter().filter(|l| stream(l) == 0), ordered.iter().filter(|l| stream(l) == 1));
        loop {
            let (x, y) = (b.next(), a.next());
            for (s, l) in [(1, x), (0, y)] {
                if let Some(l) = l {
                    g.push(&spec, s, &parse_notification(&bare(l)).unwrap()).unwrap();
                }
            }
            if x.is_none() && y.is_none() {
                break;
            }
        }
        for s in 0..2 {
            for (k, l) in ordered.iter().filter(|l| stream(l) == s).enumerate() {
                g.replace(&spec, s, k, &parse_notification(l).unwrap()).unwrap();
            }
        }
        let grown = g.shared();
        let key = |h: &History| -> Vec<(u32, usize, String, u16)> {
            h.events
                .iter()
                .map(|e| (e.line, e.party.0 as usize, h.id(e).to_owned(), e.kind))
                .collect()
        };
        assert_eq!(key(&grown), key(&whole), "{name}: lines, Parties and ids");
        let at = parse_date("2012-01-01").unwrap();
        let dates = spec.data_exchange_dates();
        let (o1, o2) = (replay(&spec, &grown, &dates).unwrap(), replay(&spec, &whole, &dates).unwrap());
        assert_eq!(o1.snapshots, o2.snapshots, "{name}: figures");
        assert_eq!(
            serde_json::to_value(history_report(&spec, &grown, &o1, at)).unwrap(),
            serde_json::to_value(history_report(&spec, &whole, &o2, at)).unwrap(),
            "{name}: the report"
        );
        // The first notification again: refused as parse refuses it, and nothing changes.
        let again = parse_notification(ordered[0]).unwrap();
        let err = g.push(&spec, 1, &again).unwrap_err().to_string();
        let doubled = format!("{}\n{}", ordered.join("\n"), ordered[0]);
        assert_eq!(err, History::parse(&spec, &doubled).unwrap_err().to_string(), "{name}");
        assert_eq!(g.shared().events.len(), whole.events.len());
    }
}
