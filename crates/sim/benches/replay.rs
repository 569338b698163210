//! Criterion benchmarks: parsing a history, compiling it, and replaying it, on the synthetic
//! 2011-2026 history of both Parties (about 30,000 notifications). Parse-only is the baseline
//! for the replay ratio reported in docs/benchmarks.md.

#![allow(missing_docs, clippy::unwrap_used)]

use accord_ledger::compliance::history_report;
use accord_ledger::notification::parse_notification;
use accord_ledger::replay::replay;
use accord_ledger::History;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let spec = accord_treaty::builtin::new_start();
    let sim = accord_sim::simulate(&spec, &accord_sim::Config::default(), &mut |_, _| {}).unwrap();
    let text: String = sim.notifications.iter().map(|n| n.to_json_line() + "\n").collect();
    let n = sim.notifications.len() as u64;
    let dates = spec.data_exchange_dates();
    let mut g = c.benchmark_group("history");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    g.bench_function("json_parse_only", |b| {
        b.iter(|| text.lines().map(|l| parse_notification(l).unwrap().date).max());
    });
    g.bench_function("parse_and_compile", |b| {
        b.iter(|| History::parse(&spec, &text).unwrap().events.len())
    });
    let h = History::parse(&spec, &text).unwrap();
    g.bench_function("replay_only", |b| b.iter(|| replay(&spec, &h, &dates).unwrap().snapshots.len()));
    g.bench_function("parse_replay_compliance", |b| {
        b.iter(|| {
            let h = History::parse(&spec, &text).unwrap();
            let out = replay(&spec, &h, &dates).unwrap();
            history_report(&spec, &h, &out, spec.lifecycle.end_exclusive()).rows.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
