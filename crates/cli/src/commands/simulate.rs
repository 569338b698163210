//! `accord simulate [--seed N] [--out FILE] [--parties K] [--scale F]`.

use std::io::Write;

use accord_sim::{simulate, Config};
use accord_treaty::TreatySpec;

use crate::args::SimulateArgs;
use crate::failure::{input, io, Outcome};
use crate::progress::Progress;

pub fn run(a: SimulateArgs, spec: &TreatySpec) -> Outcome {
    let cfg = Config {
        seed: a.seed,
        scale: a.scale,
        parties: a.parties,
    };
    let mut bar = Progress::new(a.parties as u64, "simulating parties");
    let sim = simulate(spec, &cfg, &mut |done, _| bar.set(done as u64)).map_err(input)?;
    bar.finish();
    let mut buf = Vec::with_capacity(sim.notifications.len() * 260);
    for n in &sim.notifications {
        serde_json::to_writer(&mut buf, n).map_err(io)?;
        buf.push(b'\n');
    }
    match &a.out {
        Some(path) => crate::files::write_atomic(path, &buf)?,
        None => std::io::stdout().lock().write_all(&buf).map_err(io)?,
    }
    let per = crate::output::per_party(&sim);
    eprintln!(
        "simulated {} notifications ({}), seed {}, scale {}{}",
        sim.notifications.len(),
        per.join(", "),
        a.seed,
        a.scale,
        a.out.as_ref().map(|p| format!(", written to {}", p.display())).unwrap_or_default()
    );
    if a.parties > 2 {
        eprintln!(
            "benchmark Parties P3..P{}: pass --parties {} to replay and compliance",
            a.parties, a.parties
        );
    }
    Ok(0)
}
