//! Command-line arguments (clap). Parsed here; checked against the treaty in the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON document (keys documented in docs/cli.md).
    Json,
}

/// accord: the software that runs an arms-control treaty regime of the New START kind.
#[derive(Debug, Parser)]
#[command(name = "accord", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// A treaty specification file (accord-treaty/1 TOML) to use instead of the built-in New START.
    #[arg(long, global = true, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str =
    "Exit codes: 0 ok, 1 a check failed (a violation, a finding, a failed verification), 2 bad input or usage, 3 I/O or internal error.";

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show, validate or describe treaty specifications.
    #[command(subcommand)]
    Treaty(TreatyCommand),
    /// Check notifications (one JSON object per file, or JSON Lines) against the treaty catalogue.
    #[command(subcommand)]
    Notification(NotificationCommand),
    /// Check figures against the central limits, and a history against the deadlines.
    #[command(
        after_help = "Examples:\n  accord compliance --aggregates data/new-start-aggregates.csv --format json\n  accord compliance --history history.jsonl\n  accord compliance --history history.jsonl --on 2018-02-05"
    )]
    Compliance(ComplianceArgs),
    /// Replay a history: state and figures on any date, item by item.
    #[command(
        after_help = "Examples:\n  accord replay history.jsonl\n  accord replay history.jsonl --check-aggregates data/new-start-aggregates.csv\n  accord replay history.jsonl --on 2018-02-05 --party RU --items --format json"
    )]
    Replay(ReplayArgs),
    /// Generate a synthetic item-level history of both Parties, 2011-2026.
    #[command(
        after_help = "Examples:\n  accord simulate --seed 1 --out history.jsonl\n  accord simulate --seed 1 --parties 4 --scale 20 --out big.jsonl   # benchmarks"
    )]
    Simulate(SimulateArgs),
    /// Load New START, replay the synthetic history, print compliance at every data exchange.
    Demo(DemoArgs),
    /// Time parsing and replaying a history on one core (see docs/benchmarks.md).
    #[command(after_help = "Example:\n  accord simulate --parties 4 --scale 20 --out big.jsonl && accord bench big.jsonl --parties 4")]
    Bench(BenchArgs),
}

/// `accord bench`
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The history (JSON Lines).
    pub file: PathBuf,
    /// Number of Parties the history was simulated with.
    #[arg(long, default_value_t = 2)]
    pub parties: usize,
    /// Runs of each measurement; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// `accord treaty ...`
#[derive(Debug, Subcommand)]
pub enum TreatyCommand {
    /// Print the treaty: parties, limits, counting rules, calendar, catalogue, key dates.
    #[command(after_help = "Examples:\n  accord treaty show\n  accord treaty show --format json")]
    Show,
    /// Check a treaty specification file; errors name file, line and field.
    #[command(after_help = "Example:\n  accord treaty validate data/new-start.toml")]
    Validate {
        /// The spec file (accord-treaty/1).
        file: PathBuf,
    },
    /// Print the JSON Schema of the treaty's notifications.
    Schema,
}

/// `accord notification ...`
#[derive(Debug, Subcommand)]
pub enum NotificationCommand {
    /// Check each file (one notification, or JSON Lines) against the catalogue; nothing is changed.
    #[command(after_help = "Example:\n  accord notification validate docs/examples/deployment.json")]
    Validate {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `accord compliance`
#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// Published figures (CSV: as_of, party, one column per limit, source_url): limits only.
    #[arg(long, value_name = "CSV", conflicts_with = "history", required_unless_present = "history")]
    pub aggregates: Option<PathBuf>,
    /// A history (JSON Lines): limits at every data-exchange date, and findings.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// With --history: judge limits and findings on this date only (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "history")]
    pub on: Option<String>,
    /// With --history: number of benchmark Parties the history was simulated with (see simulate --parties).
    #[arg(long, default_value_t = 2, requires = "history")]
    pub parties: usize,
}

/// `accord replay`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The history (JSON Lines).
    pub file: PathBuf,
    /// State on this date (YYYY-MM-DD) instead of figures at every data-exchange date.
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    /// Only this Party.
    #[arg(long, value_name = "CODE")]
    pub party: Option<String>,
    /// With --on: list every item.
    #[arg(long, requires = "on")]
    pub items: bool,
    /// Compare the replayed figures with published rows (CSV); exit 1 on any difference.
    #[arg(long, value_name = "CSV", conflicts_with = "on")]
    pub check_aggregates: Option<PathBuf>,
    /// Number of Parties the history was simulated with (benchmark Parties P3, P4, ...).
    #[arg(long, default_value_t = 2)]
    pub parties: usize,
}

/// `accord simulate`
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Seed; the same seed gives the same history, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (JSON Lines); standard output if absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Number of Parties; more than 2 adds benchmark-only Parties P3, P4, ... under a copy of the spec.
    #[arg(long, default_value_t = 2)]
    pub parties: usize,
    /// Multiplies maintenance activity (and so the number of notifications); 1 is realistic.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

/// `accord demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the synthetic history.
    #[arg(long, default_value_t = 2011)]
    pub seed: u64,
}
