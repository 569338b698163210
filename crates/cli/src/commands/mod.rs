//! One module per command. Each returns the exit code or a [`crate::failure::Failure`]. The
//! shared helpers live in `crate::files`, `crate::output`, `crate::args` and `crate::clock`, so
//! that no command imports this dispatcher (no import cycle).

mod at_node;
mod bench;
mod bundle;
mod compliance;
mod demo;
mod demo_api;
mod demo_freeze;
mod demo_live;
mod demo_regime;
mod folder;
mod inspection;
mod inventory;
mod log;
mod notification;
mod proposal;
mod publish;
mod replay;
mod serve;
mod simulate;
mod timeline;
mod treaty;
mod witness;

use crate::args::{Cli, Command};
use crate::failure::Outcome;
use crate::files::load_spec;

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
        Command::Inventory(c) => inventory::run(c, cli.format),
        Command::Bench(a) => bench::run(a, &spec()?, cli.format),
    }
}
