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
#[command(
    name = "accord",
    version,
    about = "Runs an arms-control treaty regime of the New START kind: the treaty as data, declarations and compliance, each Party's tamper-evident log, party nodes that exchange and cosign, inspections and negotiation. Start with `accord demo`: two nodes and a witness, live.",
    long_about = None,
    after_help = EXIT_CODES
)]
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
    /// The whole system live: a US node, a Russian node and a witness as three processes on
    /// loopback exchange New START's synthetic history on a virtual clock (`--offline`: the
    /// earlier replay in one process).
    #[command(
        after_help = "Examples:\n  accord demo                      # serves until Ctrl-C, the web pages printed\n  accord demo --exit-when-synced --data /tmp/demo\n  accord demo --offline"
    )]
    Demo(DemoArgs),
    /// A Party's tamper-evident notification log (RFC 6962, C2SP checkpoints, tiles, proofs).
    #[command(subcommand)]
    Log(LogCommand),
    /// A neutral witness's cosigning state: follow logs, answer tlog-witness add-checkpoint
    /// requests, keep evidence of equivocation.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// A Party's node: serves its log and the party API, exchanges with the partner node,
    /// collects cosignatures (see docs/cli.md for the configuration file).
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  accord serve init --data us --party US --origin accord.example/us\n  accord serve --data us --config us.toml\n  accord serve key --data us\n  accord serve token --data us --role operator"
    )]
    Serve(ServeArgs),
    /// Offline bundles: a signed, self-verifying file of a node's entries, checkpoints,
    /// cosignatures and proofs, carried by hand when the link is down or the network is
    /// air-gapped.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Negotiated proposals (accord-proposal/1): list the real ones, check a file, evaluate
    /// what it would require of each Party given its declared figures.
    #[command(subcommand)]
    Proposal(ProposalCommand),
    /// Inspections (and exhibitions): notice, site designation with the site's declared data,
    /// the joint choice of the missile, findings, the bilingual report signed by both Parties,
    /// exemptions and refusals; each step a notification logged by a node.
    #[command(subcommand)]
    Inspection(InspectionCommand),
    /// The treaty's real history, event by event, with sources and the precision of each date.
    #[command(
        after_help = "Examples:\n  accord timeline\n  accord timeline --from 2020-01-01 --to 2021-12-31\n  accord timeline --kind suspension --kind exemption --format json"
    )]
    Timeline(TimelineArgs),
    /// Verification without disclosure (docs/freeze-verification.md): commit to a whole
    /// inventory, open items and zones, draw a sample neither Party can steer, prove totals
    /// within a cap in zero knowledge.
    #[command(subcommand)]
    Inventory(InventoryCommand),
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
    #[command(after_help = "Example:\n  accord treaty schema > notification.schema.json")]
    Schema,
    /// The regime on a date: in force or not and until when, the obligations that apply,
    /// inspections (possible, paused, refused), data and notifications (exchanged or withheld)
    /// for each Party, suspensions, unilateral commitments, the events it rests on with the
    /// precision of their dates, and the unconfirmed values used.
    #[command(
        after_help = "Examples:\n  accord treaty status --on 2023-03-01\n  accord treaty status --on 2026-02-05 --format json\n  accord treaty status --on 2021-06-01 --node http://127.0.0.1:7401 --token $TOKEN"
    )]
    Status {
        /// The date (YYYY-MM-DD); `--date` is the same.
        #[arg(long, value_name = "DATE", visible_alias = "date")]
        on: String,
        /// With a node: also what its record agreed (extensions) and the proposals open in it.
        #[command(flatten)]
        at: NodeAt,
    },
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

/// `accord compliance`: one of --aggregates and --history (either is named when neither is
/// given).
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(false).args(["aggregates", "history"])))]
pub struct ComplianceArgs {
    /// Published figures (CSV: as_of, party, one column per limit, source_url): limits only.
    #[arg(long, value_name = "CSV")]
    pub aggregates: Option<PathBuf>,
    /// A history (JSON Lines): limits at every data-exchange date, and findings.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// With --history: judge limits and findings on this date only (YYYY-MM-DD); `--date` is
    /// the same.
    #[arg(long, value_name = "DATE", requires = "history", visible_alias = "date")]
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
    /// State on this date (YYYY-MM-DD) instead of figures at every data-exchange date; `--date`
    /// is the same.
    #[arg(long, value_name = "DATE", visible_alias = "date")]
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
    /// Multiplies the synthetic history's maintenance activity (and so its notifications), as
    /// `simulate --scale`: a larger record for measuring; 1 is realistic.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Data folder for the three nodes (us/, ru/, witness/); default: a new folder under the
    /// system's temporary directory, printed at the start.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Stop, exit 0, once the whole history is exchanged, acknowledged and cosigned.
    #[arg(long)]
    pub exit_when_synced: bool,
    /// Replay the history offline, without nodes (the earlier demo).
    #[arg(long)]
    pub offline: bool,
    /// Longest time a notification waits for its receipt on the demo's virtual clock, in hours:
    /// the clock advances in steps of at most this, each step's notifications are received at
    /// its end (never changing whether one is on time or late).
    #[arg(long, default_value_t = 72, value_name = "HOURS")]
    pub step_hours: u32,
    /// First port of the three nodes (0: any free ports).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// What the nodes play: `history` (the synthetic record of New START, with its inspection
    /// and negotiation) or `freeze` (the October 2020 US proposal accepted as a what-if: the
    /// verified freeze of all warheads, with its cheats; docs/freeze-verification.md).
    #[arg(long, value_enum, default_value_t = Scenario::History)]
    pub scenario: Scenario,
    /// Where the two Party nodes keep their logs and state: `sqlite` (files in each node's
    /// folder) or `postgres` (a throwaway PostgreSQL cluster for each Party, started on a Unix
    /// socket and removed at the end; needs Debian's postgresql package).
    #[arg(long, value_enum, default_value_t = DemoStore::Sqlite)]
    pub store: DemoStore,
    /// Also print what an operator watches: each node's log and node keys and the witness's,
    /// and the exchange's progress once per treaty year (log sizes, what is final, time).
    #[arg(long)]
    pub verbose: bool,
    /// Play the history only up to this date (YYYY-MM-DD): the notifications sent before it,
    /// the inspection and negotiation steps dated on or before it; the clock stops there (a
    /// shorter demo, for a look at the dashboard or a test). Default: to the treaty's end.
    #[arg(long, value_name = "DATE", value_parser = accord_treaty::parse_date)]
    pub until: Option<accord_treaty::Date>,
}

/// `accord demo --store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoStore {
    /// SQLite files in each node's folder.
    Sqlite,
    /// A throwaway PostgreSQL cluster for each Party.
    Postgres,
}

/// `accord demo --scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// The synthetic history of New START.
    History,
    /// The verified freeze of October 2020, as a what-if.
    Freeze,
}

/// `accord serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The node's data folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The node's configuration (TOML; docs/cli.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen here instead of the configuration's `listen`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Stop when standard input closes (for a parent process, like accord demo).
    #[arg(long, hide = true)]
    pub stop_with_stdin: bool,
    /// Subcommands.
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
}

/// `accord serve ...`
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Create a node's data folder: its log and node key; prints both verifier keys.
    #[command(
        after_help = "Examples:\n  accord serve init --data us --party US --origin accord.example/us/new-start\n  accord serve init --data us --party US --origin accord.example/us/new-start --store 'host=/run/postgresql dbname=accord'   # the log in PostgreSQL (docs/deploy.md)"
    )]
    Init {
        /// The new data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The Party.
        #[arg(long)]
        party: String,
        /// The log's origin (its checkpoint's first line and key name).
        #[arg(long)]
        origin: String,
        /// Keep the logs and the node's state in this PostgreSQL database (`postgres://…`, or
        /// `host=/run/postgresql dbname=…`) instead of SQLite files; the folder keeps the keys,
        /// the secrets and `store.toml`.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
    /// Print the node's cosigner key (vkey form), which the partner and policies name.
    #[command(after_help = "Example:\n  accord serve key --data us   # the value of partner.node_key in the other node's configuration")]
    Key {
        /// The node's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Make a bearer token for a role (operator, partner-reader, witness), printed once and
    /// stored hashed; or revoke tokens, or list them.
    #[command(
        after_help = "Examples:\n  accord serve token --data us --role operator --name alice --expires 30d\n  accord serve token --data us --revoke alice        # every live token named alice, and their sign-ins\n  accord serve token --data us --list"
    )]
    Token {
        /// The node's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The role of a new token.
        #[arg(long, required_unless_present_any = ["revoke", "list"], conflicts_with_all = ["revoke", "list"])]
        role: Option<String>,
        /// A name to recognise it by (and to revoke it by).
        #[arg(long, default_value = "")]
        name: String,
        /// When the new token stops being accepted: a duration (`30d`, `12h`) or a time
        /// (`YYYY-MM-DDTHH:MM:SSZ`); absent: until revoked.
        #[arg(long, value_name = "WHEN", requires = "role")]
        expires: Option<String>,
        /// Revoke a token (given as the token) or every live token with this name; their
        /// sign-ins end at once.
        #[arg(long, value_name = "TOKEN_OR_NAME", conflicts_with = "list")]
        revoke: Option<String>,
        /// List the tokens (names, roles, when made, expiry, revocation; never the tokens).
        #[arg(long)]
        list: bool,
    },
    /// Read the node's audit log: which token did what (every write, sign-in and refusal),
    /// oldest first; each token as its name and the first 8 hex digits of its SHA-256, as
    /// `serve token --list` shows it.
    #[command(
        after_help = "Examples:\n  accord serve audit --data us\n  accord serve audit --data us --after 1200 --limit 50 --format json"
    )]
    Audit {
        /// The node's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Rows after this one (its `seq`).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// table (one row a line) or json.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The data folder of a log.
#[derive(Debug, Args, Clone)]
pub struct DataArg {
    /// The log's data folder (log.db, log.key, lock).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
}

/// `accord log ...`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Create a log: its Ed25519 key (mode 0600) and an empty, signed tree; prints the verifier key.
    #[command(after_help = "Example:\n  accord log init --data us-log --origin accord.example/us/new-start --party US")]
    Init {
        #[command(flatten)]
        data: DataArg,
        /// The log's origin (checkpoint first line and key name), e.g. accord.example/us/new-start.
        #[arg(long, value_name = "NAME")]
        origin: String,
        /// The Party whose notifications this log holds.
        #[arg(long, value_name = "CODE")]
        party: String,
    },
    /// Print the log's verifier key (vkey form).
    #[command(after_help = "Example:\n  accord log key --data us-log")]
    Key {
        #[command(flatten)]
        data: DataArg,
    },
    /// Log notifications: each FILE (or standard input) holds one, validated against the treaty
    /// catalogue first; all are logged in one commit, or none.
    #[command(
        after_help = "Examples:\n  accord log append --data us-log docs/examples/deployment.json\n  accord simulate | grep '\"party\":\"US\"' | accord log append --data us-log --jsonl   # a stream, acknowledged entry by entry"
    )]
    Append {
        #[command(flatten)]
        data: DataArg,
        /// Notification files; standard input when none.
        files: Vec<PathBuf>,
        /// Read JSON Lines from standard input, one notification per line, and print one
        /// acknowledgement per line as each becomes durable (batched by the sequencer).
        #[arg(long, conflicts_with = "files")]
        jsonl: bool,
        /// A reference to another log's entry, ORIGIN:INDEX:LEAF_HASH_BASE64 (repeatable).
        #[arg(long = "ref", value_name = "REF")]
        refs: Vec<String>,
        /// Material logged by hash (name, size, SHA-256), not by content (repeatable).
        #[arg(long = "attach", value_name = "FILE")]
        attachments: Vec<PathBuf>,
    },
    /// Print the latest signed checkpoint (or the one at --size, or all with --all).
    #[command(
        after_help = "Examples:\n  accord log checkpoint --data us-log\n  accord log checkpoint --data us-log --size 3\n  accord log checkpoint --data us-log --all"
    )]
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
        /// The checkpoint at this size.
        #[arg(long, conflicts_with = "all")]
        size: Option<u64>,
        /// Every stored checkpoint's size and root.
        #[arg(long)]
        all: bool,
    },
    /// Print one entry: index, leaf hash and the decoded envelope as JSON (a notification logged
    /// by hash is read from the blobs); --raw prints the entry's exact bytes.
    #[command(
        after_help = "Examples:\n  accord log show --data us-log --index 0\n  accord log show --data us-log --index 0 --raw > entry-0"
    )]
    Show {
        #[command(flatten)]
        data: DataArg,
        /// Entry index.
        #[arg(long)]
        index: u64,
        /// Print the stored bytes exactly.
        #[arg(long)]
        raw: bool,
    },
    /// Recompute every leaf hash, stored hash, checkpoint signature and root; or check an
    /// exported tile tree (--tiles) against its checkpoint. Exit 1 names each problem.
    #[command(
        after_help = "Examples:\n  accord log verify --data us-log\n  accord log verify --tiles export --key 'accord.example/us/new-start+1a2b3c4d+AQ...'"
    )]
    Verify {
        /// The log's data folder.
        #[arg(long, value_name = "DIR", required_unless_present = "tiles")]
        data: Option<PathBuf>,
        /// An exported tlog-tiles tree to check instead.
        #[arg(long, value_name = "DIR", conflicts_with = "data")]
        tiles: Option<PathBuf>,
        /// The log's verifier key (default: the key recorded in the log; required with --tiles).
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
        /// A cosigner's key (repeatable): every cosignature line kept beside a checkpoint must
        /// then be by a cosigner given and verify.
        #[arg(long, value_name = "VKEY", requires = "data")]
        cosigner: Vec<String>,
        /// A node's configuration: its partners' node keys and its witnesses' keys are the
        /// cosigners (as --cosigner).
        #[arg(long, value_name = "FILE", requires = "data")]
        config: Option<PathBuf>,
    },
    /// Make a proof: inclusion (C2SP tlog-proof) or consistency (JSON).
    #[command(subcommand)]
    Prove(ProveCommand),
    /// Check a proof file (tlog-proof or consistency JSON) against the log's key.
    #[command(
        after_help = "Examples:\n  accord log verify-proof entry-17.tlog-proof --data us-log\n  accord log verify-proof p.tlog-proof --key VKEY --entry entry-17.json --witness W1 --witness W2 --quorum 1"
    )]
    VerifyProof {
        /// The proof file.
        file: PathBuf,
        /// The log's verifier key.
        #[arg(long, value_name = "VKEY", required_unless_present_any = ["data", "policy"])]
        key: Option<String>,
        /// Take the log's key from this data folder.
        #[arg(long, value_name = "DIR", conflicts_with = "key")]
        data: Option<PathBuf>,
        /// The entry (its exact bytes) for an inclusion proof without extra data.
        #[arg(long, value_name = "FILE")]
        entry: Option<PathBuf>,
        /// A witness's cosigner key (repeatable).
        #[arg(long, value_name = "VKEY")]
        witness: Vec<String>,
        /// Witness cosignatures required (default: 0 without --witness, 1 with).
        #[arg(long, conflicts_with = "policy")]
        quorum: Option<usize>,
        /// A C2SP tlog-policy file: the logs accepted and the witness quorum (instead of --key,
        /// --witness and --quorum).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["witness", "key", "data"])]
        policy: Option<PathBuf>,
    },
    /// Keep a witness's cosignature(s) of a checkpoint (its add-checkpoint 200 response), after
    /// checking each against the checkpoint and the witness's key.
    #[command(
        after_help = "Example:\n  accord log witness-request --data us | accord witness add-checkpoint --data w > cosig\n  accord log cosign --data us --witness \"$(accord witness key --data w)\" cosig"
    )]
    Cosign {
        #[command(flatten)]
        data: DataArg,
        /// The witness's cosigner key (vkey form).
        #[arg(long, value_name = "VKEY")]
        witness: String,
        /// The checkpointed size cosigned (default: the latest).
        #[arg(long)]
        size: Option<u64>,
        /// The response (signature lines); standard input when absent.
        file: Option<PathBuf>,
    },
    /// Write a C2SP tlog-witness add-checkpoint request: the consistency proof from --old (the
    /// size the witness last cosigned, 0 for none) to the latest checkpoint, and that checkpoint.
    #[command(
        name = "witness-request",
        after_help = "Example:\n  accord log witness-request --data us-log --old 0 --out request.txt"
    )]
    WitnessRequest {
        #[command(flatten)]
        data: DataArg,
        /// The size the witness last cosigned (its 409 answer says it).
        #[arg(long, default_value_t = 0)]
        old: u64,
        /// Write the request here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write the log as a static C2SP tlog-tiles tree: checkpoint, hash tiles and entry
    /// bundles, to a folder (bundles unless --public) or to S3-compatible object storage
    /// (bundles only with --entries: they hold the confidential notifications).
    #[command(
        name = "export-tiles",
        after_help = "Examples:\n  accord log export-tiles --data us-log --out site/us --public\n  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… accord log export-tiles --data us-log --to s3://treaty-logs/us --endpoint https://s3.example.org"
    )]
    ExportTiles {
        #[command(flatten)]
        data: DataArg,
        /// Output folder.
        #[arg(long, value_name = "DIR", required_unless_present = "to", conflicts_with = "to")]
        out: Option<PathBuf>,
        /// Object storage: `s3://BUCKET/PREFIX` (credentials and region from the usual AWS_*
        /// variables). Full tiles and bundles are written create-only and immutable, partial
        /// tiles overwritten, the checkpoint last; an object that differs from what the log
        /// derives is a fork alarm (exit 1).
        #[arg(long, value_name = "s3://BUCKET/PREFIX")]
        to: Option<String>,
        /// The object store's address (an S3-compatible server; default: AWS, or AWS_ENDPOINT_URL).
        #[arg(long, value_name = "URL", requires = "to")]
        endpoint: Option<String>,
        /// To object storage: include the entry bundles (the confidential notifications).
        #[arg(long, requires = "to")]
        entries: bool,
        /// To a folder: leave out the entry bundles (the confidential contents): hashes and
        /// checkpoint only.
        #[arg(long, conflicts_with = "to")]
        public: bool,
    },
}

/// `accord log prove ...`
#[derive(Debug, Subcommand)]
pub enum ProveCommand {
    /// The inclusion of entry --index in the checkpointed tree of --size (default: latest).
    #[command(after_help = "Example:\n  accord log prove inclusion --data us-log --index 17 --with-entry --out entry-17.tlog-proof")]
    Inclusion {
        #[command(flatten)]
        data: DataArg,
        /// Entry index.
        #[arg(long)]
        index: u64,
        /// A checkpointed size (default: the latest).
        #[arg(long)]
        size: Option<u64>,
        /// Put the entry itself in the proof's extra line (it then carries the confidential contents).
        #[arg(long)]
        with_entry: bool,
        /// Write the proof here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The consistency of checkpointed size --from with --to (default: latest).
    #[command(after_help = "Example:\n  accord log prove consistency --data us-log --from 10 --out 10-to-latest.json")]
    Consistency {
        #[command(flatten)]
        data: DataArg,
        /// Older checkpointed size.
        #[arg(long)]
        from: u64,
        /// Newer checkpointed size (default: the latest).
        #[arg(long)]
        to: Option<u64>,
        /// Write the proof here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `accord witness ...`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Create a witness: its cosigner key (tlog-cosignature v1, mode 0600) and empty state; prints the key.
    #[command(after_help = "Example:\n  accord witness init --data w --name witness.example.org")]
    Init {
        /// The witness's data folder (witness.db, witness.key).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The cosigner's name (key name), e.g. witness.example.org.
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// Print the cosigner key (vkey form).
    #[command(after_help = "Example:\n  accord witness key --data w")]
    Key {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Follow a log: its origin is the key's name.
    #[command(after_help = "Example:\n  accord witness follow --data w --vkey \"$(accord log key --data us-log)\"")]
    Follow {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The log's verifier key (vkey form).
        #[arg(long, value_name = "VKEY")]
        vkey: String,
    },
    /// Answer one tlog-witness add-checkpoint request (FILE or standard input): the cosignature
    /// lines (200), or the status and reason.
    #[command(
        name = "add-checkpoint",
        after_help = "Example:\n  accord log witness-request --data us-log | accord witness add-checkpoint --data w"
    )]
    AddCheckpoint {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The request body; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Serve tlog-witness add-checkpoint over HTTP (POST /add-checkpoint), until Ctrl-C.
    #[command(after_help = "Example:\n  accord witness serve --data w --listen 127.0.0.1:7403 --allow \"$(accord serve key --data us)\"")]
    Serve {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7403")]
        listen: String,
        /// A node key (vkey) whose RFC 9421 signed requests are accepted; repeatable. Without
        /// any, unsigned requests are accepted as tlog-witness allows.
        #[arg(long, value_name = "VKEY")]
        allow: Vec<String>,
        /// Stop when standard input closes (for a parent process, like accord demo).
        #[arg(long, hide = true)]
        stop_with_stdin: bool,
    },
    /// The logs followed, the size cosigned for each, and any evidence of equivocation.
    #[command(after_help = "Example:\n  accord witness status --data w")]
    Status {
        /// The witness's data folder.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
}

/// Which node a command works on (bundles, inspections, proposals): a stopped node's folder and
/// configuration, or a running node by URL with an operator token.
#[derive(Debug, Args)]
#[group(required = false, multiple = true)]
pub struct NodeAt {
    /// The node's data folder (the node must not be running; use --node then).
    #[arg(long, value_name = "DIR", requires = "config", conflicts_with_all = ["node", "token", "token_file"])]
    pub data: Option<PathBuf>,
    /// The node's configuration file (with --data).
    #[arg(long, value_name = "FILE", requires = "data")]
    pub config: Option<PathBuf>,
    /// A running node's URL, e.g. http://127.0.0.1:7401, with its token from --token-file,
    /// the environment variable ACCORD_TOKEN, or --token.
    #[arg(long, value_name = "URL")]
    pub node: Option<String>,
    /// An operator token of that node (visible to other local users in the process list:
    /// prefer --token-file or ACCORD_TOKEN).
    #[arg(long, value_name = "TOKEN", requires = "node", conflicts_with = "token_file")]
    pub token: Option<String>,
    /// A file holding the node's token (its first line).
    #[arg(long, value_name = "FILE", requires = "node")]
    pub token_file: Option<PathBuf>,
}

/// The inspection and the node every step names.
#[derive(Debug, Args)]
pub struct StepAt {
    /// The inspection's identifier (for exemptions: the exemption's).
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// The step's date (default: the node's clock; required for a stopped node on a virtual clock).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    #[command(flatten)]
    pub at: NodeAt,
}

/// `accord inspection ...`
#[derive(Debug, Subcommand)]
pub enum InspectionCommand {
    /// Notice of intent to inspect (by the inspecting Party; for an exhibition, the
    /// invitation by the exhibiting Party): refused beyond the yearly quota, while another
    /// inspection is under way, before inspections may begin, while paused, refused or exempted.
    #[command(
        after_help = "Example:\n  accord inspection notify --id RU-2011-01 --type type_one --node http://127.0.0.1:7402 --token $TOKEN"
    )]
    Notify {
        #[command(flatten)]
        step: StepAt,
        /// Inspection type code (type_one, type_two, exhibition).
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
    },
    /// Designate the site: its declared data are taken from the replayed database on the date.
    #[command(after_help = "Example:\n  accord inspection designate --id RU-2011-01 --site US-A --missile M2 --node … --token …")]
    Designate {
        #[command(flatten)]
        step: StepAt,
        /// The facility.
        #[arg(long, value_name = "FACILITY")]
        site: String,
        /// The missile for the reentry-vehicle inspection (when the spec lets the inspecting Party designate it).
        #[arg(long, value_name = "ID")]
        missile: Option<String>,
    },
    /// Commit to a random value for the joint choice of the missile (spec option
    /// inspections.missile_choice = commit_reveal); the value stays in the node's folder.
    #[command(after_help = "Example:\n  accord inspection commit --id RU-2011-01 --node http://127.0.0.1:7402 --token-file ru.token")]
    Commit {
        #[command(flatten)]
        step: StepAt,
    },
    /// Reveal the committed value; once both Parties have, the missile is chosen.
    #[command(after_help = "Example:\n  accord inspection reveal --id RU-2011-01 --node http://127.0.0.1:7402 --token-file ru.token")]
    Reveal {
        #[command(flatten)]
        step: StepAt,
    },
    /// Record the findings: a JSON file {items, counts, reentry_vehicles?, armaments?, measurements?}.
    #[command(after_help = "Example:\n  accord inspection findings --id RU-2011-01 --found found.json --node … --token …")]
    Findings {
        #[command(flatten)]
        step: StepAt,
        /// The findings file (JSON).
        #[arg(long, value_name = "FILE")]
        found: PathBuf,
    },
    /// Give the factual report (inspecting Party): made from the designation and findings,
    /// signed over its SHA-256; printed in English and Russian.
    #[command(after_help = "Example:\n  accord inspection report --id RU-2011-01 --node http://127.0.0.1:7402 --token-file ru.token")]
    Report {
        #[command(flatten)]
        step: StepAt,
    },
    /// Countersign the report (inspected Party): the inspection ends, its discrepancies open
    /// items on the Commission's agenda and appear in compliance.
    #[command(after_help = "Example:\n  accord inspection sign --id RU-2011-01 --node http://127.0.0.1:7401 --token-file us.token")]
    Sign {
        #[command(flatten)]
        step: StepAt,
    },
    /// Refuse a notified inspection (inspected Party) before findings are recorded, with the reason.
    #[command(
        after_help = "Example:\n  accord inspection refuse --id RU-2011-01 --reason \"site under repair\" --node http://127.0.0.1:7401 --token-file us.token"
    )]
    Refuse {
        #[command(flatten)]
        step: StepAt,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Temporarily exempt facilities (all, or --site) from inspection activities (Protocol
    /// Part Five, Section I).
    #[command(
        after_help = "Example:\n  accord inspection exempt --id US-EX-1 --site US-A --until 2011-09-01 --reason \"force majeure\" --node http://127.0.0.1:7401 --token-file us.token"
    )]
    Exempt {
        #[command(flatten)]
        step: StepAt,
        /// One facility (default: all).
        #[arg(long, value_name = "FACILITY")]
        site: Option<String>,
        /// Last day, if announced.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// End an exemption.
    #[command(after_help = "Example:\n  accord inspection end-exemption --id US-EX-1 --node http://127.0.0.1:7401 --token-file us.token")]
    EndExemption {
        #[command(flatten)]
        step: StepAt,
    },
    /// The inspections on record: each with its status, the quotas of the treaty year, the
    /// exemptions, the findings (discrepancies, refusals) and any step refused.
    #[command(
        after_help = "Examples:\n  accord inspection list --data us --config us.toml\n  accord inspection list --node http://127.0.0.1:7401 --token $TOKEN --format json"
    )]
    List {
        #[command(flatten)]
        at: NodeAt,
        /// The date for quotas and findings (default: the node's treaty clock); `--date` is the
        /// same.
        #[arg(long, value_name = "DATE", visible_alias = "date")]
        on: Option<String>,
    },
    /// Print an inspection's report in English, Russian or both.
    #[command(after_help = "Example:\n  accord inspection show --id RU-2011-01 --lang ru --data us --config us.toml")]
    Show {
        #[command(flatten)]
        at: NodeAt,
        /// The inspection.
        #[arg(long, value_name = "ID")]
        id: String,
        /// en, ru or both.
        #[arg(long, default_value = "both")]
        lang: String,
    },
}

/// `accord bundle ...`
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Export the own log's entries the partner is not known to hold (or from --from), the
    /// latest checkpoint with its cosignatures, and this node's cosignature of the partner's log.
    #[command(
        after_help = "Examples:\n  accord bundle export --data us --config us.toml --out us-to-ru.bundle\n  accord bundle export --node http://127.0.0.1:7401 --token $TOKEN --from 0 --out all.bundle"
    )]
    Export {
        #[command(flatten)]
        at: NodeAt,
        /// First entry (rounded down to a size the log signed); default: what the partner is
        /// known to hold (its acknowledgements and cosignatures).
        #[arg(long, value_name = "N")]
        from: Option<u64>,
        /// The bundle file to write (written whole or not at all).
        #[arg(long, short, value_name = "FILE")]
        out: PathBuf,
    },
    /// Import a bundle of the partner's log: verify everything, keep and acknowledge the new
    /// entries, keep the partner's cosignature of the own log. Importing twice changes nothing.
    #[command(
        after_help = "Examples:\n  accord bundle import us-to-ru.bundle --data ru --config ru.toml\n  accord bundle import us-to-ru.bundle --node http://127.0.0.1:7402 --token $TOKEN"
    )]
    Import {
        /// The bundle file.
        file: PathBuf,
        #[command(flatten)]
        at: NodeAt,
        /// With --data: the date of receipt stamped on the acknowledgements (RFC 3339; default
        /// now; required for a node on a virtual clock).
        #[arg(long, value_name = "TIME", conflicts_with = "node")]
        received: Option<String>,
    },
    /// Check a bundle with the exporting node's and log's keys, without importing it.
    #[command(
        after_help = "Example:\n  accord bundle verify us-to-ru.bundle --log-key \"$(cat us.vkey)\" --node-key \"$(accord serve key --data us)\""
    )]
    Verify {
        /// The bundle file.
        file: PathBuf,
        /// The log's verifier key (vkey form).
        #[arg(long, value_name = "VKEY")]
        log_key: String,
        /// The exporting node's key (vkey form).
        #[arg(long, value_name = "VKEY")]
        node_key: String,
    },
}

/// `accord timeline`
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// First date (YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last date (YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Only events of this kind (repeatable), e.g. extension, suspension, proposal.
    #[arg(long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// Only events of this Party (or of both).
    #[arg(long, value_name = "CODE")]
    pub party: Option<String>,
    /// With a node: the events of its record too (inspections, exemptions, proposals, agreements).
    #[command(flatten)]
    pub at: NodeAt,
}

/// The declaration an inventory command works on: the records, the seed, and what the
/// commitment binds them to.
#[derive(Debug, Args)]
pub struct InventoryDecl {
    /// The records: JSON Lines, one `{"uid", "type", "zone", "status"}` per item, every warhead
    /// (status `deployed`, `non_deployed` or `awaiting_dismantlement`).
    pub records: PathBuf,
    /// The declaration's secret seed (32 bytes). `commit` creates it (mode 0600, written and
    /// synced before the commitment is printed) unless it exists; the other commands read it.
    #[arg(long)]
    pub seed: PathBuf,
    /// The treaty or proposal the declaration is made under.
    #[arg(long, default_value = "us-2020-10-freeze")]
    pub treaty: String,
    /// The declaring Party.
    #[arg(long)]
    pub party: String,
    /// The date the inventory is current as of (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: String,
    /// Pad the tree with padding leaves to this many leaves (hides the count).
    #[arg(long, default_value_t = 0)]
    pub pad_to: u64,
}

/// `accord inventory ...`
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Commit to a complete inventory: prints the public commitment (size and root), to be
    /// logged before anything is sampled.
    #[command(
        after_help = "Example:\n  accord inventory commit us-2020.jsonl --seed us-2020.seed --party US --as-of 2020-10-13 --pad-to 8192 --out commitment.json"
    )]
    Commit {
        #[command(flatten)]
        decl: InventoryDecl,
        /// Write the commitment here (atomically) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Open one leaf (by index or identifier) or a whole zone, checked against the commitment.
    #[command(
        after_help = "Examples:\n  accord inventory open us-2020.jsonl --seed us-2020.seed --party US --as-of 2020-10-13 --commitment commitment.json --index 17\n  accord inventory open us-2020.jsonl --seed us-2020.seed --party US --as-of 2020-10-13 --commitment commitment.json --zone pantex"
    )]
    Open {
        #[command(flatten)]
        decl: InventoryDecl,
        /// The commitment that was logged: the records and seed must rebuild it.
        #[arg(long)]
        commitment: PathBuf,
        /// The leaf to open.
        #[arg(long, conflicts_with_all = ["uid", "zone"])]
        index: Option<u64>,
        /// The item to open, by its identifier.
        #[arg(long, conflicts_with = "zone")]
        uid: Option<String>,
        /// The zone to reveal whole.
        #[arg(long)]
        zone: Option<String>,
    },
    /// Check an opening or a zone reveal against a commitment (exit 1 if it does not verify).
    #[command(after_help = "Example:\n  accord inventory verify --commitment commitment.json opening.json")]
    Verify {
        /// The commitment.
        #[arg(long)]
        commitment: PathBuf,
        /// The opening or zone reveal (JSON).
        file: PathBuf,
    },
    /// Draw the leaves an inspection opens from both Parties' revealed secrets (hex), bound to
    /// the commitment.
    #[command(
        after_help = "Example:\n  accord inventory sample --commitment commitment.json --reveal-a 0a…(64 hex) --reveal-b 7f…(64 hex) --context I7 -k 30"
    )]
    Sample {
        /// The commitment.
        #[arg(long)]
        commitment: PathBuf,
        /// The first Party's revealed secret (64 hex digits).
        #[arg(long)]
        reveal_a: String,
        /// The second Party's revealed secret (64 hex digits).
        #[arg(long)]
        reveal_b: String,
        /// What the sample is for (the inspection's identifier).
        #[arg(long)]
        context: String,
        /// How many leaves to draw.
        #[arg(short = 'k', long)]
        k: u64,
    },
    /// Prove that the committed inventory's total (of the statuses named) is within a cap:
    /// a public number, or a baseline proof's committed total (a freeze).
    #[command(
        after_help = "Examples:\n  accord inventory prove us-2020.jsonl --seed us-2020.seed --party US --as-of 2020-10-13 --commitment commitment.json --name all_warheads --cap 65535 --out baseline.json --openings-out baseline.openings.json\n  accord inventory prove us-2021.jsonl --seed us-2021.seed --party US --as-of 2021-01-13 --commitment c2.json --name all_warheads --baseline baseline.json --baseline-openings baseline.openings.json --out q1.json --openings-out q1.openings.json"
    )]
    Prove {
        #[command(flatten)]
        decl: InventoryDecl,
        /// The commitment the counts are of.
        #[arg(long)]
        commitment: PathBuf,
        /// What is counted (e.g. `all_warheads`, `deployed_warheads`).
        #[arg(long)]
        name: String,
        /// Count only items of these statuses (repeatable; default: all).
        #[arg(long = "status")]
        statuses: Vec<String>,
        /// A public cap.
        #[arg(long, conflicts_with = "baseline")]
        cap: Option<u64>,
        /// A baseline proof whose committed total is the cap.
        #[arg(long, requires = "baseline_openings")]
        baseline: Option<PathBuf>,
        /// The baseline proof's openings (kept by the Party that made it).
        #[arg(long)]
        baseline_openings: Option<PathBuf>,
        /// Bits of each range proof (8, 16, 32, 64).
        #[arg(long, default_value_t = 16)]
        bits: u8,
        /// Write the public proof here.
        #[arg(long)]
        out: PathBuf,
        /// Write the openings here (mode 0600: for the partner, or kept).
        #[arg(long)]
        openings_out: PathBuf,
    },
    /// Run a cheating Party many times through the real escrow with fixed seeds (the
    /// synthetic inventories of data/freeze-estimates.toml) and compare the rate it is caught
    /// at with theory: a misdeclaration against the hypergeometric rate of k sampled
    /// openings, an omission against the bound of zone reveals.
    #[command(
        after_help = "Examples:\n  accord inventory trial misdeclaration --party US --bad 38 -k 30 --runs 1000\n  accord inventory trial omission --party RU --omitted 20 --zones 4 --runs 1000 --format json"
    )]
    Trial {
        /// `misdeclaration` or `omission`.
        #[arg(value_parser = ["misdeclaration", "omission"])]
        cheat: String,
        /// The cheating Party (US or RU).
        #[arg(long, default_value = "US")]
        party: String,
        /// Misdeclaration: items committed with a wrong status.
        #[arg(long, default_value_t = 38)]
        bad: usize,
        /// Misdeclaration: leaves opened per inspection.
        #[arg(short = 'k', long, default_value_t = 30)]
        k: u64,
        /// Omission: items of one zone left out of the commitment.
        #[arg(long, default_value_t = 20)]
        omitted: usize,
        /// Omission: zones revealed per inspection.
        #[arg(long, default_value_t = 4)]
        zones: u64,
        /// Runs (each a fresh commitment, sample and inspection).
        #[arg(long, default_value_t = 200)]
        runs: u32,
        /// The first run's seed (run r uses seed + r).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Verify a limit proof offline (exit 1 if it does not verify); with `--commitment`, also
    /// that it speaks for that inventory.
    #[command(after_help = "Example:\n  accord inventory verify-proof q1.json --commitment c2.json")]
    VerifyProof {
        /// The proof (accord-limit-proof/1).
        file: PathBuf,
        /// The inventory commitment it must name.
        #[arg(long)]
        commitment: Option<PathBuf>,
    },
}

/// `accord proposal ...`
#[derive(Debug, Subcommand)]
pub enum ProposalCommand {
    /// The proposals of the real history (built in) and any files given.
    #[command(after_help = "Examples:\n  accord proposal list --format json\n  accord proposal list --data us --config us.toml")]
    List {
        /// More proposal files.
        files: Vec<PathBuf>,
        /// With a node: also the proposals and agreements in its record.
        #[command(flatten)]
        at: NodeAt,
        /// The date for what is open (default: the node's treaty clock, else today); `--date` is
        /// the same.
        #[arg(long, value_name = "DATE", visible_alias = "date")]
        on: Option<String>,
    },
    /// File a proposal (an accord-proposal/1 file of this node's Party, kind = "proposal") as a
    /// notification: checked against the spec and the record, logged, signed in the log.
    #[command(
        after_help = "Example:\n  accord proposal file data/proposals/us-2020-10-freeze.toml --node http://127.0.0.1:7401 --token $TOKEN"
    )]
    File {
        /// The proposal file.
        file: PathBuf,
        #[command(flatten)]
        at: NodeAt,
        /// The date of the notification (default: the proposal's date).
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// File a counter-proposal (kind = "counter_proposal", responds_to = the other Party's
    /// open proposal).
    #[command(
        after_help = "Example:\n  accord proposal counter data/proposals/ru-2020-10-counter.toml --node http://127.0.0.1:7402 --token $TOKEN"
    )]
    Counter {
        /// The counter-proposal file.
        file: PathBuf,
        #[command(flatten)]
        at: NodeAt,
        /// The date of the notification (default: the proposal's date).
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// Accept the other Party's open proposal: the agreement, entering into force through the
    /// lifecycle (an extension moves the treaty's last day).
    #[command(
        after_help = "Example:\n  accord proposal accept ru-2020-10-counter --node http://127.0.0.1:7401 --token $TOKEN --date 2021-01-26"
    )]
    Accept {
        /// The proposal's id.
        id: String,
        #[command(flatten)]
        at: NodeAt,
        /// The date of acceptance (default: the node's clock).
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
    },
    /// Evaluate a proposal (a file, or the id of a built-in one) on a date: the last day in
    /// force if accepted, each Party's declared figure against each term (a freeze of all
    /// warheads shows "not declared" where no declaration of its kind exists), what lapses at
    /// expiry, and the unconfirmed rules used.
    #[command(
        after_help = "Examples:\n  accord proposal evaluate us-2020-10-freeze\n  accord proposal evaluate my-proposal.toml --on 2020-10-16 --aggregates data/new-start-aggregates.csv --format json"
    )]
    Evaluate {
        /// The proposal file, or a built-in proposal's id.
        proposal: String,
        /// The date (default: the proposal's date); `--date` is the same.
        #[arg(long, value_name = "DATE", visible_alias = "date")]
        on: Option<String>,
        /// Published figures (CSV as for `accord compliance`); default the built-in New START aggregates.
        #[arg(long, value_name = "CSV")]
        aggregates: Option<PathBuf>,
        /// A history (JSON Lines) to search for declarations of a freeze's kind.
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// With a node: the proposal may be one in its record, and the figures are the record's
        /// declarations (instead of --aggregates and --history).
        #[command(flatten)]
        at: NodeAt,
    },
}

/// Parses a `--on` date.
pub fn parse_on(s: &str) -> Result<accord_treaty::Date, crate::failure::Failure> {
    accord_treaty::parse_date(s).map_err(|e| crate::failure::input(anyhow::anyhow!("--on: {e}")))
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory as _;

    /// Every command a user runs (a leaf, or a group that also runs with its own options)
    /// shows at least one example in its `--help`.
    #[test]
    fn every_command_has_an_example() {
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let subs: Vec<&clap::Command> = c.get_subcommands().filter(|s| s.get_name() != "help").collect();
            let runs = subs.is_empty()
                || c.get_arguments()
                    .any(|a| !matches!(a.get_id().as_str(), "help" | "version" | "format") && !a.is_global_set());
            let shows = c
                .get_after_help()
                .or(c.get_after_long_help())
                .is_some_and(|h| h.to_string().contains("Example"));
            if runs && !shows && !path.is_empty() {
                missing.push(path.trim().to_owned());
            }
            for s in subs {
                walk(s, &format!("{path} {}", s.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "commands without an example in --help: {missing:#?}");
        // The top-level help says what the tool is for and where to start: the live demo.
        let top = Cli::command().render_help().to_string();
        assert!(top.contains("Start with `accord demo`") && top.contains("live"), "{top}");
    }
}
