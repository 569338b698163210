//! `accord bench FILE`: times reading a history three ways on one core, best of N runs, and
//! reports events per second and the ratio of parse + replay to parse alone (docs/benchmarks.md).

use std::time::{Duration, Instant};

use accord_ledger::notification::parse_notification;
use accord_ledger::replay::replay;
use accord_ledger::History;
use accord_treaty::TreatySpec;

use crate::args::{BenchArgs, Format};
use crate::failure::{input, Outcome};
use crate::output::{json, print_json};

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut best = Duration::MAX;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.unwrap_or_else(|| unreachable!("at least one run")))
}

pub fn run(a: BenchArgs, spec: &TreatySpec, format: Format) -> Outcome {
    let spec = &accord_sim::benchmark_spec(spec, a.parties).map_err(input)?;
    let name = a.file.display().to_string();
    let text = crate::files::read_text(&a.file)?;
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (parse, bad) = best(a.repeat, || {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| parse_notification(l).is_err())
            .count()
    });
    if bad > 0 {
        return Err(input(anyhow::anyhow!(
            "{name}: {bad} lines do not parse; run `accord replay` for the first"
        )));
    }
    let (compile, events) = best(a.repeat, || History::parse(spec, &text).map(|h| h.events.len()));
    events.map_err(|e| input(e.in_source(&name)))?;
    let dates = spec.data_exchange_dates();
    let (full, ok) = best(a.repeat, || {
        History::parse(spec, &text)
            .map_err(|e| e.to_string())
            .and_then(|h| replay(spec, &h, &dates).map(|o| o.snapshots.len()).map_err(|e| e.to_string()))
    });
    ok.map_err(|e| input(anyhow::anyhow!("{name}: {e}")))?;
    let per_s = |d: Duration| lines as f64 / d.as_secs_f64();
    let v = serde_json::json!({
        "file": name, "bytes": text.len(), "events": lines, "repeat": a.repeat,
        "parse_only_s": parse.as_secs_f64(), "parse_compile_s": compile.as_secs_f64(), "parse_replay_s": full.as_secs_f64(),
        "parse_only_events_per_s": per_s(parse), "parse_replay_events_per_s": per_s(full),
        "ratio_parse_replay_to_parse_only": full.as_secs_f64() / parse.as_secs_f64(),
    });
    if json(format) {
        print_json(&v)?;
    } else {
        println!("{name}: {lines} events, {} bytes, best of {}", text.len(), a.repeat);
        println!(
            "  parse only          {:>8.3} s  {:>12.0} events/s",
            parse.as_secs_f64(),
            per_s(parse)
        );
        println!(
            "  parse + compile     {:>8.3} s  {:>12.0} events/s",
            compile.as_secs_f64(),
            per_s(compile)
        );
        println!(
            "  parse + replay      {:>8.3} s  {:>12.0} events/s",
            full.as_secs_f64(),
            per_s(full)
        );
        println!("  (parse + replay) / parse only = {:.2}", full.as_secs_f64() / parse.as_secs_f64());
    }
    Ok(0)
}
