//! A node's configuration file (TOML), documented field by field in `docs/cli.md`.
//!
//! Invariants: unknown keys are refused (a misspelt key is an error naming it, never silently
//! ignored); every key in it is parsed and checked before a node starts, so a node never runs
//! half-configured.

use accord_tlog::VerifierKey;
use serde::Deserialize;
use std::path::Path;

/// `accord serve`'s configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's Party code.
    pub party: String,
    /// Address to listen on, e.g. `127.0.0.1:7401` (port 0: any free port).
    pub listen: String,
    /// The treaty clock.
    #[serde(default)]
    pub clock: ClockConfig,
    /// The other Party's node.
    pub partner: PartnerConfig,
    /// Neutral witnesses whose cosignatures make a checkpoint final.
    #[serde(default, rename = "witness")]
    pub witnesses: Vec<WitnessConfig>,
    /// How the exchange runs.
    #[serde(default)]
    pub exchange: ExchangeConfig,
    /// Where the node keeps its logs and state: `sqlite` (files in the data folder, the
    /// default) or `memory` (a test double: nothing outlives the process).
    #[serde(default)]
    pub storage: crate::storage::Kind,
}

/// The treaty clock.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// Start a virtual clock at this time (`YYYY-MM-DDTHH:MM:SSZ`), set later through the
    /// operator API; absent: the system clock.
    pub virtual_start: Option<String>,
}

/// The partner node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerConfig {
    /// Its Party code.
    pub party: String,
    /// Its base URL, e.g. `http://127.0.0.1:7402`.
    pub url: String,
    /// Its log's verifier key.
    pub log_key: String,
    /// Its node key (cosignatures and signed requests).
    pub node_key: String,
}

/// A witness.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// Its base URL; `add-checkpoint` is under it.
    pub url: String,
    /// Its cosigner key.
    pub key: String,
}

/// Exchange timing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    /// How often the partner's checkpoint is pulled even without a push, in milliseconds.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// How many witnesses must cosign (besides the partner) for a checkpoint to be final;
    /// absent: all of them. Ignored when `policy` is given.
    pub witness_quorum: Option<usize>,
    /// A C2SP tlog-policy file that decides when a checkpoint of the own log is final (it lists
    /// the own log, the partner node and the witnesses as witnesses, and the quorum).
    pub policy: Option<String>,
}

fn default_poll() -> u64 {
    2000
}

impl Default for ExchangeConfig {
    fn default() -> ExchangeConfig {
        ExchangeConfig {
            poll_ms: default_poll(),
            witness_quorum: None,
            policy: None,
        }
    }
}

/// Keys parsed from a configuration.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Partner's log key.
    pub partner_log: VerifierKey,
    /// Partner's node key.
    pub partner_node: VerifierKey,
    /// Witness keys, in configuration order.
    pub witnesses: Vec<VerifierKey>,
}

impl NodeConfig {
    /// Reads and checks a configuration file; errors name the file and the key.
    pub fn load(path: &Path) -> Result<NodeConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        NodeConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<NodeConfig, String> {
        let c: NodeConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.keys()?;
        if let Some(v) = &c.clock.virtual_start {
            crate::view::parse_time(v).map_err(|e| format!("clock.virtual_start: {e}"))?;
        }
        if c.partner.party == c.party {
            return Err(format!("partner.party: {:?} is this node's own party", c.party));
        }
        for (key, url) in std::iter::once(("partner.url", &c.partner.url)).chain(c.witnesses.iter().map(|w| ("witness.url", &w.url))) {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(format!("{key}: {url:?} is not an http:// or https:// URL"));
            }
        }
        if let Some(q) = c.exchange.witness_quorum {
            if q > c.witnesses.len() {
                return Err(format!(
                    "exchange.witness_quorum: {q}, but {} witnesses are configured",
                    c.witnesses.len()
                ));
            }
        }
        Ok(c)
    }

    /// The configuration's keys.
    pub fn keys(&self) -> Result<Keys, String> {
        let k = |field: &str, s: &str| VerifierKey::parse(s).map_err(|e| format!("{field}: {e}"));
        Ok(Keys {
            partner_log: k("partner.log_key", &self.partner.log_key)?,
            partner_node: k("partner.node_key", &self.partner.node_key)?,
            witnesses: self
                .witnesses
                .iter()
                .enumerate()
                .map(|(i, w)| k(&format!("witness[{i}].key"), &w.key))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The tlog-policy file, read and parsed (errors name the file and line).
    pub fn policy(&self) -> Result<Option<accord_tlog::policy::TlogPolicy>, String> {
        let Some(p) = &self.exchange.policy else { return Ok(None) };
        let bytes = std::fs::read(p).map_err(|e| format!("exchange.policy: {p}: {e}"))?;
        accord_tlog::policy::TlogPolicy::parse(&bytes)
            .map(Some)
            .map_err(|e| format!("exchange.policy: {p}: {e}"))
    }

    /// Witness cosignatures needed for finality.
    pub fn quorum(&self) -> usize {
        self.exchange.witness_quorum.unwrap_or(self.witnesses.len())
    }
}
