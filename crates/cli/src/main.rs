//! `accord`: the command-line edge around the pure treaty, ledger and simulation crates.
//! `main` parses arguments, runs one command, prints errors with context and exits with the
//! code from the one table in docs/cli.md.

mod args;
mod clock;
mod commands;
mod failure;
mod files;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A reader that stops early (`accord ... | head`) is not an error: exit quietly.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("accord: error: {f}");
            ExitCode::from(f.code)
        }
    }
}
