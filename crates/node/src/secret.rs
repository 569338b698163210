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

/// This node's secret for the joint choice of inspection `id`: (nonce, value), made and kept
/// durably on first use (in the node's storage, before the commitment is logged).
pub fn secret(s: &Shared, id: &str, create: bool) -> Result<([u8; 32], Vec<u8>), NodeError> {
    if let Some(bytes) = s.storage.secret(id)? {
        let damaged = || NodeError::Internal(format!("the secret for {id}: damaged"));
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
        let nonce = v["nonce"].as_str().and_then(unhex).and_then(|n| n.try_into().ok());
        let value = v["value"].as_str().and_then(unhex);
        return match (nonce, value) {
            (Some(n), Some(v)) => Ok((n, v)),
            _ => Err(damaged()),
        };
    }
    if !create {
        return Err(bad(format!("inspection.id: this node holds no commitment for {id} (commit first)")));
    }
    let nonce: [u8; 32] = s.ambient.entropy.bytes();
    let value: [u8; 32] = s.ambient.entropy.bytes();
    let kept = serde_json::json!({"inspection": id, "nonce": hex(&nonce), "value": hex(&value)});
    s.storage.put_secret(id, kept.to_string().as_bytes())?;
    Ok((nonce, value.to_vec()))
}
