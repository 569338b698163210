//! A node's commit–reveal values (an inspection's joint choice, a freeze sample's draw): made
//! from the node's generator on first use and kept in its storage (`Backend::put_secret`: with
//! SQLite, in `choices/`, mode 0600, durably) before the commitment is logged, so a reveal can
//! always follow a logged commitment.

use accord_ledger::record::{hex, unhex};

use crate::error::NodeError;
use crate::state::Shared;

fn bad(m: impl Into<String>) -> NodeError {
    NodeError::Invalid(m.into())
}

/// What a value is for: kept with it, and checked when it is read, so that a value made for
/// one purpose is never revealed for another (an inspection named like a sample's label, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An inspection's joint choice of the missile (files written before purposes were kept
    /// are of this one).
    Inspection,
    /// A freeze sample's draw.
    Sample,
}

impl Purpose {
    fn word(self) -> &'static str {
        match self {
            Purpose::Inspection => "inspection",
            Purpose::Sample => "sample",
        }
    }
}

/// This node's value for the commit–reveal `name`: (nonce, value), made and kept durably on
/// first use with `create` (in the node's storage, before the commitment is logged).
pub fn secret(s: &Shared, name: &str, purpose: Purpose, create: bool) -> Result<([u8; 32], Vec<u8>), NodeError> {
    if let Some(bytes) = s.storage.secret(name)? {
        let damaged = || NodeError::Internal(format!("the secret for {name}: damaged"));
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
        let kept_for = v["purpose"].as_str().unwrap_or("inspection");
        if kept_for != purpose.word() {
            return Err(NodeError::Conflict(format!(
                "{name}: this node's value under that name was made for a{} {kept_for}, not a{} {}; it is never revealed for another",
                if kept_for == "inspection" { "n" } else { "" },
                if purpose == Purpose::Inspection { "n" } else { "" },
                purpose.word()
            )));
        }
        let nonce = v["nonce"].as_str().and_then(unhex).and_then(|n| n.try_into().ok());
        let value = v["value"].as_str().and_then(unhex);
        return match (nonce, value) {
            (Some(n), Some(v)) => Ok((n, v)),
            _ => Err(damaged()),
        };
    }
    if !create {
        return Err(bad(format!("id: this node holds no commitment for {name} (commit first)")));
    }
    let nonce: [u8; 32] = s.ambient.entropy.bytes();
    let value: [u8; 32] = s.ambient.entropy.bytes();
    let kept = serde_json::json!({"purpose": purpose.word(), "name": name, "nonce": hex(&nonce), "value": hex(&value)});
    s.storage.put_secret(name, kept.to_string().as_bytes())?;
    Ok((nonce, value.to_vec()))
}
