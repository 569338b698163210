//! One module per command. Each returns the exit code or a [`Failure`].

mod at_node;
mod bench;
mod bundle;
mod compliance;
mod demo;
mod demo_live;
mod demo_regime;
mod inspection;
mod log;
mod notification;
mod proposal;
mod replay;
mod serve;
mod simulate;
mod timeline;
mod treaty;
mod witness;

use std::path::Path;

use accord_treaty::{LoadedFile, SpecError, TreatySpec};

use crate::args::{Cli, Command, Format};
use crate::failure::{input, io, Failure, Outcome};

/// Runs the command.
pub fn run(cli: Cli) -> Outcome {
    let spec_path = cli.spec.clone();
    let spec = || load_spec(spec_path.as_deref());
    match cli.command {
        Command::Treaty(c) => treaty::run(c, spec_path.as_deref(), cli.format),
        Command::Notification(c) => notification::run(c, &spec()?, cli.format),
        Command::Compliance(a) => compliance::run(a, &spec()?, cli.format),
        Command::Replay(a) => replay::run(a, &spec()?, cli.format),
        Command::Simulate(a) => simulate::run(a, &spec()?),
        Command::Demo(a) => demo_live::run(a, &spec()?, cli.format),
        Command::Log(c) => log::run(c, &spec()?, cli.format),
        Command::Witness(c) => witness::run(c, cli.format),
        Command::Serve(a) => serve::run(a, &spec()?, cli.format),
        Command::Bundle(c) => bundle::run(c, &spec()?, cli.format),
        Command::Proposal(c) => proposal::run(c, &spec()?, cli.format),
        Command::Inspection(c) => inspection::run(c, &spec()?, cli.format),
        Command::Timeline(a) => timeline::run(a, &spec()?, cli.format),
        Command::Bench(a) => bench::run(a, &spec()?, cli.format),
    }
}

/// The built-in New START, or the spec in `path` (its lifecycle file read beside it).
pub fn load_spec(path: Option<&Path>) -> Result<TreatySpec, Failure> {
    let Some(path) = path else {
        return Ok(accord_treaty::builtin::new_start());
    };
    let text = crate::files::read_text(path)?;
    parse_spec_file(path, &text).map_err(input)
}

/// Parses a spec file, reading the files it names relative to its folder.
pub fn parse_spec_file(path: &Path, text: &str) -> Result<TreatySpec, SpecError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let load = |name: &str| -> Result<LoadedFile, SpecError> {
        let p = dir.join(name);
        std::fs::read_to_string(&p)
            .map(|text| LoadedFile {
                name: p.display().to_string(),
                text,
            })
            .map_err(|e| SpecError::Unreadable {
                file: p.display().to_string(),
                message: e.to_string(),
            })
    };
    TreatySpec::parse(&path.display().to_string(), text, &load)
}

/// Prints a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    let s = serde_json::to_string_pretty(v).map_err(io)?;
    println!("{s}");
    Ok(())
}

/// Parses a `--on` date.
pub fn parse_on(s: &str) -> Result<accord_treaty::Date, Failure> {
    accord_treaty::parse_date(s).map_err(|e| input(anyhow::anyhow!("--on: {e}")))
}

/// Today's date (GMT) from the system clock: the edge is where the clock is read.
pub fn today() -> accord_treaty::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    accord_ledger::Timestamp::from_unix(secs).date()
}

/// Is the output JSON?
pub fn json(f: Format) -> bool {
    f == Format::Json
}

/// "US 14657, RU 15142": notifications per Party of a simulation.
pub fn per_party(sim: &accord_sim::Simulation) -> Vec<String> {
    sim.spec
        .parties
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.code,
                sim.notifications.iter().filter(|n| n.party == p.code.as_str()).count()
            )
        })
        .collect()
}
