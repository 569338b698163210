//! `accord`: the command-line edge around the pure treaty, ledger and simulation crates.
//! `main` parses arguments, runs one command, prints errors with context and exits with the
//! code from the one table in docs/cli.md.

mod args;
mod commands;
mod failure;
mod files;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("accord: error: {f}");
            ExitCode::from(f.code)
        }
    }
}
