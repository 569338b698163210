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
    /// The node's public address as its partner calls it (`https://us.example.org`, behind a
    /// reverse proxy say): signed requests must name it as their `@authority`, so a request
    /// signed for another node is refused here whatever `Host` it arrives with. Absent: the
    /// `Host` header is taken as the authority.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The treaty clock.
    #[serde(default)]
    pub clock: ClockConfig,
    /// The other Parties' nodes: `[partner]` for one, `[[partner]]` for each of several
    /// (today's exchange runs with one; see [`NodeConfig::parse`]).
    #[serde(rename = "partner", deserialize_with = "one_or_more")]
    pub partners: Vec<PartnerConfig>,
    /// Neutral witnesses whose cosignatures make a checkpoint final.
    #[serde(default, rename = "witness")]
    pub witnesses: Vec<WitnessConfig>,
    /// How the exchange runs.
    #[serde(default)]
    pub exchange: ExchangeConfig,
    /// Where the node keeps its logs and state: `sqlite` (files in the data folder, the
    /// default), `postgres` (the database `[store] url` names; the default when it names one)
    /// or `memory` (a test double: nothing outlives the process).
    #[serde(default)]
    pub storage: Option<crate::storage::Kind>,
    /// The database of a node on PostgreSQL.
    #[serde(default)]
    pub store: crate::storage::StoreConfig,
    /// Publication of the own log's public tree to object storage after each checkpoint.
    #[serde(default)]
    pub publish: Option<PublishConfig>,
    /// Connection limits and timeouts of the HTTP server.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// A what-if (`YYYY-MM-DD`): the node runs the treaty as it was known on that day, the
    /// lifecycle's and the history's later events left out, so that a proposal not accepted in
    /// reality (the October 2020 freeze, say) can be played out between two nodes. Both nodes
    /// of a pair must name the same day. Absent: the treaty as it is.
    #[serde(default)]
    pub what_if: Option<String>,
}

/// `[publish]`: where the node publishes its log's public tree (hash tiles, public releases,
/// the checkpoint last) after each checkpoint (docs/deploy.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    /// `s3://BUCKET/PREFIX`.
    pub to: String,
    /// An S3-compatible server's address (absent: AWS, or `AWS_ENDPOINT_URL`); credentials and
    /// region from the usual `AWS_*` variables of the node's environment.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Also the entry bundles: the confidential notifications (default false).
    #[serde(default)]
    pub entries: bool,
}

/// Connection limits and timeouts (`[limits]`; every key optional, the defaults below). A
/// client is an IP address: behind a reverse proxy every caller is the proxy's, so raise the
/// per-client bounds there or limit at the proxy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Connections open at once, from everyone (default 1024); beyond it a new connection is
    /// answered 503 and closed.
    pub max_connections: usize,
    /// Connections open at once from one client address (default 256).
    pub max_connections_per_client: usize,
    /// Seconds a connection may take to send a request's headers, and may stay idle between
    /// requests (default 10); then it is closed (slow or idle clients hold no slot).
    pub header_timeout_secs: u64,
    /// Seconds a request's body may take to arrive once its headers have (default 30); then
    /// 408.
    pub body_timeout_secs: u64,
    /// Long polls (`/api/v1/status?until_…`) waiting at once from one client address (default
    /// 8); beyond it 429. A long poll is exempt from the idle timeout (it is a request in
    /// progress) and ends by itself within 60 s.
    pub long_polls_per_client: usize,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_connections: 1024,
            max_connections_per_client: 256,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            long_polls_per_client: 8,
        }
    }
}

impl LimitsConfig {
    /// Checks every bound is at least 1 (a zero would refuse every caller), naming the key.
    pub fn check(&self) -> Result<(), String> {
        for (key, v) in [
            ("max_connections", self.max_connections as u64),
            ("max_connections_per_client", self.max_connections_per_client as u64),
            ("header_timeout_secs", self.header_timeout_secs),
            ("body_timeout_secs", self.body_timeout_secs),
            ("long_polls_per_client", self.long_polls_per_client as u64),
        ] {
            if v == 0 {
                return Err(format!("limits.{key}: must be at least 1"));
            }
        }
        Ok(())
    }
}

/// The treaty clock.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// Start a virtual clock at this time (`YYYY-MM-DDTHH:MM:SSZ`), set later through the
    /// operator API; absent: the system clock.
    pub virtual_start: Option<String>,
    /// The most a virtual clock may be moved forward in one setting, in days (absent: no bound).
    /// A slip of the operator's (9999-12-31) would stamp receipts nobody can undo.
    pub max_step_days: Option<u32>,
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

/// `[partner]` (one table) or `[[partner]]` (a list of them); a misspelt key inside either is
/// refused naming it.
fn one_or_more<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PartnerConfig>, D::Error> {
    struct OneOrMore;
    impl<'de> serde::de::Visitor<'de> for OneOrMore {
        type Value = Vec<PartnerConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a [partner] table or [[partner]] tables")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
            PartnerConfig::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(|p| vec![p])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, s: A) -> Result<Self::Value, A::Error> {
            Vec::<PartnerConfig>::deserialize(serde::de::value::SeqAccessDeserializer::new(s))
        }
    }
    d.deserialize_any(OneOrMore)
}

/// Keys parsed from a configuration.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Each partner's keys, in configuration order.
    pub partners: Vec<PartnerKeys>,
    /// Witness keys, in configuration order.
    pub witnesses: Vec<VerifierKey>,
}

impl Keys {
    /// Everyone whose cosignature of the own log is kept and served: each partner node, then
    /// each witness.
    pub fn cosigners(&self) -> Vec<VerifierKey> {
        self.partners
            .iter()
            .map(|p| p.node.clone())
            .chain(self.witnesses.iter().cloned())
            .collect()
    }
}

/// A partner's keys.
#[derive(Debug, Clone)]
pub struct PartnerKeys {
    /// Its Party code.
    pub party: String,
    /// Its log's verifier key.
    pub log: VerifierKey,
    /// Its node key (cosignatures and signed requests).
    pub node: VerifierKey,
}

/// How many partners today's exchange runs with: the N-Party exchange is later work, so a
/// configuration with more is refused rather than half run.
pub const PARTNERS_SUPPORTED: usize = 1;

impl NodeConfig {
    /// The storage backend of this node's folder `root` (see [`crate::storage::Engine::resolve`]).
    pub fn engine(&self, root: &Path) -> Result<crate::storage::Engine, String> {
        crate::storage::Engine::resolve(self.storage, &self.store, root)
    }

    /// Reads and checks a configuration file; errors name the file and the key.
    pub fn load(path: &Path) -> Result<NodeConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{}: no such file", path.display()),
            _ if path.is_dir() => format!("{}: a folder, not a file", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
        NodeConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<NodeConfig, String> {
        let c: NodeConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.keys()?;
        if let Some(v) = &c.clock.virtual_start {
            crate::view::parse_time(v).map_err(|e| format!("clock.virtual_start: {e}"))?;
        }
        if let Some(u) = &c.public_url {
            if c.public_authority().is_none() {
                return Err(format!("public_url: {u:?} is not an http:// or https:// URL with a host"));
            }
        }
        c.limits.check()?;
        if let Some(d) = &c.what_if {
            accord_treaty::parse_date(d).map_err(|e| format!("what_if: {d:?}: {e}"))?;
        }
        if c.clock.max_step_days == Some(0) {
            return Err("clock.max_step_days: 0 would never let the clock move; give at least 1 or leave it out".into());
        }
        if c.partners.is_empty() {
            return Err("partner: no partner node configured".into());
        }
        if c.partners.len() > PARTNERS_SUPPORTED {
            return Err(format!(
                "partner: {} partners configured; this node exchanges with one (a treaty of more than two Parties is later work)",
                c.partners.len()
            ));
        }
        for (i, p) in c.partners.iter().enumerate() {
            if p.party == c.party {
                return Err(format!("partner.party: {:?} is this node's own party", c.party));
            }
            if c.partners[..i].iter().any(|q| q.party == p.party) {
                return Err(format!("partner.party: {:?} is configured twice", p.party));
            }
        }
        let urls = c.partners.iter().map(|p| ("partner.url", &p.url));
        for (key, url) in urls.chain(c.witnesses.iter().map(|w| ("witness.url", &w.url))) {
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
            partners: self
                .partners
                .iter()
                .map(|p| {
                    Ok(PartnerKeys {
                        party: p.party.clone(),
                        log: k("partner.log_key", &p.log_key)?,
                        node: k("partner.node_key", &p.node_key)?,
                    })
                })
                .collect::<Result<_, String>>()?,
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

    /// The `@authority` signed requests must name: `public_url`'s host and port (the port only
    /// when the URL gives one), when configured.
    pub fn public_authority(&self) -> Option<String> {
        let u = self.public_url.as_deref()?;
        let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"))?;
        let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        (!host.is_empty()).then_some(host)
    }

    /// The partner today's exchange runs with (the first and only one: see
    /// [`PARTNERS_SUPPORTED`]).
    pub fn partner(&self) -> &PartnerConfig {
        &self.partners[0]
    }

    /// Witness cosignatures needed for finality.
    pub fn quorum(&self) -> usize {
        self.exchange.witness_quorum.unwrap_or(self.witnesses.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(party: &str, seed: u8) -> String {
        let key = |name: &str| {
            accord_tlog::SignerKey::from_seed(name, accord_tlog::note::ALG_ED25519, [seed; 32])
                .expect("key")
                .verifier()
                .to_string()
        };
        format!(
            "party = \"{party}\"\nurl = \"http://127.0.0.1:9\"\nlog_key = \"{}\"\nnode_key = \"{}\"\n",
            key(&format!("example.org/{party}/log")),
            key(&format!("example.org/{party}/node"))
        )
    }

    /// Partners are a list: `[partner]` is one, `[[partner]]` each of several; today's node
    /// runs with one and refuses more naming the key, as it refuses a Party twice.
    #[test]
    fn partners_are_a_list_and_more_than_one_is_refused_for_now() {
        let head = "party = \"US\"\nlisten = \"127.0.0.1:0\"\n";
        let one = NodeConfig::parse(&format!("{head}[partner]\n{}", partner("RU", 1))).expect("[partner]");
        assert_eq!(one.partners.len(), 1);
        assert_eq!(one.partner().party, "RU");
        let keys = one.keys().expect("keys");
        assert_eq!((keys.partners.len(), keys.partners[0].party.as_str()), (1, "RU"));
        let listed = NodeConfig::parse(&format!("{head}[[partner]]\n{}", partner("RU", 1))).expect("[[partner]]");
        assert_eq!(listed.partner().url, one.partner().url);
        let two = format!("{head}[[partner]]\n{}[[partner]]\n{}", partner("RU", 1), partner("CN", 2));
        let e = NodeConfig::parse(&two).expect_err("two partners");
        assert!(e.starts_with("partner: 2 partners configured"), "{e}");
        let twice = format!("{head}[[partner]]\n{}[[partner]]\n{}", partner("RU", 1), partner("RU", 2));
        assert!(NodeConfig::parse(&twice).expect_err("twice").contains("partner"));
        let own = format!("{head}[partner]\n{}", partner("US", 1));
        assert!(NodeConfig::parse(&own).expect_err("own").starts_with("partner.party"));
        let none = NodeConfig::parse(&format!("{head}partner = []\n")).expect_err("none");
        assert!(none.starts_with("partner: no partner"), "{none}");
        let bound = NodeConfig::parse(&format!("{head}[clock]\nmax_step_days = 0\n[partner]\n{}", partner("RU", 1)));
        assert!(bound.expect_err("0 days").starts_with("clock.max_step_days"));
        let bound = NodeConfig::parse(&format!("{head}[clock]\nmax_step_days = 31\n[partner]\n{}", partner("RU", 1)));
        assert_eq!(bound.expect("31 days").clock.max_step_days, Some(31));
        for table in ["[partner]", "[[partner]]"] {
            let misspelt = format!("{head}{table}\n{}", partner("RU", 1).replace("url =", "ulr ="));
            let e = NodeConfig::parse(&misspelt).expect_err("misspelt");
            assert!(e.contains("unknown field `ulr`"), "{table}: {e}");
        }
    }
}
