//! Who is asking: HTTP Message Signatures (RFC 9421) between nodes and witnesses, bearer tokens
//! and session cookies for people, and the roles they carry.
//!
//! Signatures cover `("@method" "@authority" "@path" "@query" "content-digest")` with the
//! parameters `created`, `nonce`, `keyid` and `alg="ed25519"`; `content-digest` is RFC 9530's
//! `sha-256`. Invariants: a signed request is accepted only if its key is one the receiver
//! knows, its signature verifies over the signature base rebuilt from the request as received,
//! its body matches its digest, its `created` is within [`WINDOW_SECS`] of the receiver's clock
//! and not before the receiver started, and its nonce was not seen in that window (so a
//! replay is refused, also across a restart). Tokens and session ids are stored only as their
//! SHA-256; a token is shown once, when made.

use crate::clock::Entropy;
use crate::storage::contract::{AuditRow, Holder, TokenRow};
use crate::storage::TokenStore;
use accord_tlog::{SignerKey, VerifierKey};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// How far `created` may be from the receiver's clock, in seconds.
pub const WINDOW_SECS: i64 = 300;

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Submits to its own Party's log; reads everything of its node.
    Operator,
    /// The other Party's people: reads entries and state of this Party.
    PartnerReader,
    /// A witness's people.
    Witness,
    /// The other Party's node (a signed request).
    PartnerNode,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "operator" => Some(Role::Operator),
            "partner-reader" => Some(Role::PartnerReader),
            "witness" => Some(Role::Witness),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::PartnerReader => "partner-reader",
            Role::Witness => "witness",
            Role::PartnerNode => "partner-node",
        }
    }
}

/// The parts of a request a signature covers.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    /// Method, upper case.
    pub method: &'a str,
    /// Host and port, as in the Host header.
    pub authority: &'a str,
    /// Path.
    pub path: &'a str,
    /// Query without its `?` (empty when none).
    pub query: &'a str,
    /// Body.
    pub body: &'a [u8],
}

/// RFC 9530 `Content-Digest` with sha-256.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(Sha256::digest(body)))
}

/// Checks a signed request's body against its `Content-Digest` header (which the signature
/// covers, so a body changed on the way is refused).
pub fn digest_matches(content_digest_header: Option<&str>, body: &[u8]) -> Result<(), SigRefusal> {
    match content_digest_header {
        Some(d) if d.trim() == content_digest(body) => Ok(()),
        Some(_) => Err(SigRefusal::Bad("Content-Digest does not match the body".into())),
        None => Err(SigRefusal::Bad("no Content-Digest".into())),
    }
}

/// Signature parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Covered components, in order.
    pub components: Vec<String>,
    /// `created`, POSIX seconds.
    pub created: i64,
    /// `nonce`.
    pub nonce: String,
    /// `keyid`.
    pub keyid: String,
}

impl Params {
    /// The `@signature-params` value (also the `Signature-Input` member value).
    pub fn serialize(&self) -> String {
        let comps: Vec<String> = self.components.iter().map(|c| format!("\"{c}\"")).collect();
        format!(
            "({});created={};nonce=\"{}\";keyid=\"{}\";alg=\"ed25519\"",
            comps.join(" "),
            self.created,
            self.nonce,
            self.keyid
        )
    }
}

/// The signature base (RFC 9421 §2.5) for `components` of a request whose fields are looked up
/// by `field` (lower-case name) and derived components from `parts`; `params` is the serialized
/// `@signature-params` value.
pub fn signature_base(
    components: &[String],
    parts: &RequestParts<'_>,
    field: &dyn Fn(&str) -> Option<String>,
    params: &str,
) -> Result<String, String> {
    let mut out = String::new();
    for c in components {
        let v = match c.as_str() {
            "@method" => parts.method.to_owned(),
            "@authority" => parts.authority.to_ascii_lowercase(),
            "@path" => parts.path.to_owned(),
            "@query" => format!("?{}", parts.query),
            "@target-uri" | "@scheme" | "@request-target" | "@status" | "@query-param" => {
                return Err(format!("component {c:?} is not used by accord"));
            }
            name if name.starts_with('@') => return Err(format!("unknown derived component {name:?}")),
            name => field(name).ok_or_else(|| format!("the covered field {name:?} is missing"))?,
        };
        out.push_str(&format!("\"{c}\": {}\n", v.trim()));
    }
    out.push_str(&format!("\"@signature-params\": {params}"));
    Ok(out)
}

/// The key id accord uses for a key: its name and key id, `name+xxxxxxxx`.
pub fn keyid(name: &str, id: u32) -> String {
    format!("{name}+{id:08x}")
}

/// Signs a request: returns the `Content-Digest`, `Signature-Input` and `Signature` header
/// values.
pub fn sign(key: &SignerKey, parts: &RequestParts<'_>, created: i64, nonce: &str) -> (String, String, String) {
    let digest = content_digest(parts.body);
    let params = Params {
        components: ["@method", "@authority", "@path", "@query", "content-digest"]
            .map(String::from)
            .to_vec(),
        created,
        nonce: nonce.to_owned(),
        keyid: keyid(key.name(), key.id()),
    };
    let p = params.serialize();
    let d2 = digest.clone();
    let base = signature_base(&params.components, parts, &|f| (f == "content-digest").then(|| d2.clone()), &p).unwrap_or_default();
    let sig = key.sign_raw(base.as_bytes());
    (digest, format!("sig1={p}"), format!("sig1=:{}:", B64.encode(sig)))
}

/// Parses a `Signature-Input` header of one member `label=(...);params`.
pub fn parse_input(h: &str) -> Result<(String, Params, String), String> {
    let (label, rest) = h.split_once('=').ok_or("Signature-Input: no label")?;
    let rest = rest.trim();
    let close = rest.find(')').ok_or("Signature-Input: no component list")?;
    let list = rest.strip_prefix('(').ok_or("Signature-Input: no component list")?;
    let list = &list[..close - 1];
    let components: Vec<String> = list
        .split_whitespace()
        .map(|c| {
            c.strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
                .map(str::to_owned)
                .ok_or_else(|| format!("Signature-Input: component {c} is not a quoted string"))
        })
        .collect::<Result<_, _>>()?;
    let mut created = None;
    let mut nonce = None;
    let mut keyid = None;
    let mut alg = None;
    for p in rest[close + 1..].split(';').filter(|p| !p.is_empty()) {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("Signature-Input: parameter {p:?} has no value"))?;
        let s = || v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(str::to_owned);
        match k {
            "created" => created = Some(v.parse::<i64>().map_err(|_| "Signature-Input: created is not an integer")?),
            "nonce" => nonce = s(),
            "keyid" => keyid = s(),
            "alg" => alg = s(),
            "expires" | "tag" => {}
            other => return Err(format!("Signature-Input: unknown parameter {other:?}")),
        }
    }
    if alg.as_deref().is_some_and(|a| a != "ed25519") {
        return Err("Signature-Input: alg is not ed25519".into());
    }
    let params = Params {
        components,
        created: created.ok_or("Signature-Input: no created")?,
        nonce: nonce.ok_or("Signature-Input: no nonce")?,
        keyid: keyid.ok_or("Signature-Input: no keyid")?,
    };
    Ok((label.trim().to_owned(), params, rest.to_owned()))
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigRefusal {
    /// No signature: 401.
    Missing,
    /// Malformed, unknown key, bad signature, bad digest, outside the window, replayed: 401 with
    /// the reason.
    Bad(String),
}

impl SigRefusal {
    /// Why, in words.
    pub fn reason(&self) -> &str {
        match self {
            SigRefusal::Missing => "a Signature-Input without a Signature",
            SigRefusal::Bad(why) => why,
        }
    }
}

/// How far beyond the newest `created` accepted the kept floor is set, so that it is written
/// once per this many seconds of signed traffic at most (and a node restarted within that time
/// refuses its partner's requests for at most as long).
pub const FLOOR_AHEAD_SECS: i64 = 10;

/// Keeps the floor of signed requests durably (the node's state).
pub type KeepFloor = Box<dyn Fn(i64) -> Result<(), String> + Send + Sync>;

/// Verifies signed requests and remembers nonces.
///
/// Invariant: nonces are remembered in memory only, so a request accepted before a restart
/// must be refused after it: every accepted `created` is at most the floor kept durably
/// ([`SigVerifier::with_floor`]) before the request is accepted, and a verifier opened again
/// refuses anything created at or below that floor.
pub struct SigVerifier {
    keys: Vec<VerifierKey>,
    started: i64,
    /// Nonces seen with their `created`, and the size at which to forget old ones next.
    seen: Mutex<(HashMap<String, i64>, usize)>,
    /// The floor kept durably, and how to keep a higher one.
    floor: Option<(std::sync::atomic::AtomicI64, KeepFloor)>,
}

impl SigVerifier {
    /// A verifier that knows `keys`; `started` is when this process started (POSIX seconds).
    pub fn new(keys: Vec<VerifierKey>, started: i64) -> SigVerifier {
        SigVerifier {
            keys,
            started,
            seen: Mutex::new((HashMap::new(), 4096)),
            floor: None,
        }
    }

    /// Refuses whatever was created at or below `kept` (the floor the last run kept), and
    /// keeps a new floor with `keep` before accepting a request created above it, so that no
    /// request accepted now can be replayed after a restart, whatever its `created`.
    pub fn with_floor(mut self, kept: i64, keep: KeepFloor) -> SigVerifier {
        self.started = self.started.max(kept.saturating_add(1));
        self.floor = Some((std::sync::atomic::AtomicI64::new(kept), keep));
        self
    }

    /// Adds a key.
    pub fn allow(&mut self, k: VerifierKey) {
        self.keys.push(k);
    }

    /// Checks a request at `now`; returns the key that signed it.
    pub fn verify(&self, parts: &RequestParts<'_>, header: &dyn Fn(&str) -> Option<String>, now: i64) -> Result<VerifierKey, SigRefusal> {
        let key = self.verify_head(parts, header, now)?;
        digest_matches(header("content-digest").as_deref(), parts.body)?;
        Ok(key)
    }

    /// Checks a request's head at `now`, before its body is read: the signature over its
    /// components (among them the `Content-Digest` header, whose value it signs), the key, the
    /// window and the nonce (spent here). The body must then match that digest
    /// ([`digest_matches`]); `parts.body` is not read.
    pub fn verify_head(
        &self,
        parts: &RequestParts<'_>,
        header: &dyn Fn(&str) -> Option<String>,
        now: i64,
    ) -> Result<VerifierKey, SigRefusal> {
        let (Some(input), Some(sig)) = (header("signature-input"), header("signature")) else {
            return Err(SigRefusal::Missing);
        };
        let bad = |s: String| SigRefusal::Bad(s);
        let (label, params, raw) = parse_input(&input).map_err(bad)?;
        for need in ["@method", "@authority", "@path", "@query", "content-digest"] {
            if !params.components.iter().any(|c| c == need) {
                return Err(bad(format!("the signature does not cover {need}")));
            }
        }
        let key = self
            .keys
            .iter()
            .find(|k| keyid(k.name(), k.id()) == params.keyid)
            .ok_or_else(|| bad(format!("unknown keyid {:?}", params.keyid)))?;
        if (params.created - now).abs() > WINDOW_SECS {
            return Err(bad(format!(
                "created {} is outside the {WINDOW_SECS}-second window around {now}",
                params.created
            )));
        }
        if params.created < self.started {
            return Err(bad("created before this server started; sign the request again".into()));
        }
        if header("content-digest").is_none() {
            return Err(bad("no Content-Digest".into()));
        }
        let sig_b64 = sig
            .trim()
            .strip_prefix(&format!("{label}=:"))
            .and_then(|s| s.strip_suffix(':'))
            .ok_or_else(|| bad(format!("Signature: no member {label}")))?;
        let sig_bytes: [u8; 64] = B64
            .decode(sig_b64)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("Signature: not 64 bytes of base64".into()))?;
        let base = signature_base(&params.components, parts, header, &raw).map_err(bad)?;
        let vk = VerifyingKey::from_bytes(&key.public_key()).map_err(|e| bad(e.to_string()))?;
        vk.verify(base.as_bytes(), &Signature::from_bytes(&sig_bytes))
            .map_err(|_| bad("the signature does not verify".into()))?;
        let mut guard = self.seen.lock().map_err(|_| bad("internal: nonce cache".into()))?;
        let (seen, prune_at) = &mut *guard;
        // Forget nonces outside the window now and then, in amortised constant time (a created
        // time outside the window is refused anyway, so a forgotten nonce cannot be replayed).
        if seen.len() >= *prune_at {
            seen.retain(|_, c| (now - *c).abs() <= WINDOW_SECS);
            *prune_at = (seen.len() * 2).max(4096);
        }
        let k = format!("{}/{}", params.keyid, params.nonce);
        if seen.contains_key(&k) {
            return Err(bad("replayed: this nonce was already used".into()));
        }
        if let Some((kept, keep)) = &self.floor {
            use std::sync::atomic::Ordering;
            if params.created > kept.load(Ordering::SeqCst) {
                let next = params.created.saturating_add(FLOOR_AHEAD_SECS);
                keep(next).map_err(|e| bad(format!("internal: the floor of signed requests was not kept: {e}")))?;
                kept.fetch_max(next, Ordering::SeqCst);
            }
        }
        seen.insert(k, params.created);
        Ok(key.clone())
    }
}

/// Bearer tokens and sessions, kept as SHA-256 in the node's [`TokenStore`].
pub struct Tokens {
    store: Box<dyn TokenStore>,
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// How long a session cookie lasts, in seconds.
pub const SESSION_SECS: i64 = 12 * 3600;

impl Tokens {
    /// Tokens kept in `store`.
    pub fn new(store: Box<dyn TokenStore>) -> Tokens {
        Tokens { store }
    }

    /// Makes a token for `role` that never expires; returns it (the only time it is seen).
    pub fn make(&self, role: Role, name: &str, now: i64, entropy: &Entropy) -> Result<String, String> {
        self.make_until(role, name, now, None, entropy)
    }

    /// Makes a token for `role` accepted until `expires` (POSIX seconds; `None`: until
    /// revoked); returns it (the only time it is seen).
    pub fn make_until(&self, role: Role, name: &str, now: i64, expires: Option<i64>, entropy: &Entropy) -> Result<String, String> {
        if expires.is_some_and(|e| e <= now) {
            return Err("expires: the token would be expired when made".into());
        }
        let raw: [u8; 24] = entropy.bytes();
        let token = format!("accord_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
        self.store
            .add_token(&TokenRow {
                hash: hash(&token),
                role: role.name().into(),
                name: name.into(),
                created: now,
                expires,
                revoked: None,
            })
            .map_err(|e| e.to_string())?;
        Ok(token)
    }

    /// The role of a bearer token live at `now` (not revoked, not expired).
    pub fn role(&self, token: &str, now: i64) -> Option<Role> {
        self.holder(token, now).map(|(r, _)| r)
    }

    /// The role of a bearer token live at `now`, and who holds it as the audit log names them
    /// ([`holder_name`]).
    pub fn holder(&self, token: &str, now: i64) -> Option<(Role, String)> {
        held(self.store.token_role(&hash(token), now).ok()?)
    }

    /// Exchanges a live token for a session id valid until `now + SESSION_SECS`, and no
    /// longer than the token: the id, the role, and who holds the token ([`holder_name`]).
    pub fn session(&self, token: &str, now: i64, entropy: &Entropy) -> Option<(String, Role, String)> {
        let (role, holder) = self.holder(token, now)?;
        let raw: [u8; 24] = entropy.bytes();
        let sid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        self.store
            .add_session(&hash(&sid), &hash(token), role.name(), now + SESSION_SECS, now)
            .ok()?;
        Some((sid, role, holder))
    }

    /// Revokes at `now` the token `which` (a token, `accord_…`) or every live token named
    /// `which`, ending their sessions; how many. None matched is an error saying so.
    pub fn revoke(&self, which: &str, now: i64) -> Result<usize, String> {
        let hashes: Vec<Vec<u8>> = if which.starts_with("accord_") {
            vec![hash(which)]
        } else {
            self.list()?
                .into_iter()
                .filter(|r| r.name == which && r.live(now))
                .map(|r| r.hash)
                .collect()
        };
        let n = self.store.revoke(&hashes, now).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("--revoke {which:?}: no live token is this one or has this name"));
        }
        Ok(n)
    }

    /// Every token kept (hashes only), oldest first.
    pub fn list(&self) -> Result<Vec<TokenRow>, String> {
        self.store.tokens().map_err(|e| e.to_string())
    }

    /// Ends a session (signing out); returns whether it was live.
    pub fn end_session(&self, sid: &str) -> bool {
        self.store.end_session(&hash(sid)).unwrap_or(false)
    }

    /// The role of a live session id.
    pub fn session_role(&self, sid: &str, now: i64) -> Option<Role> {
        self.session_holder(sid, now).map(|(r, _)| r)
    }

    /// The role of a live session id, and who holds the token it was made from.
    pub fn session_holder(&self, sid: &str, now: i64) -> Option<(Role, String)> {
        held(self.store.session_role(&hash(sid), now).ok()?)
    }

    /// Appends rows to the audit log.
    pub fn audit(&self, rows: &[AuditRow]) -> Result<(), String> {
        self.store.audit(rows).map_err(|e| e.to_string())
    }

    /// The audit log after row `after`, oldest first, at most `limit` rows.
    pub fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, String> {
        self.store.audit_log(after, limit).map_err(|e| e.to_string())
    }
}

/// How the audit log names a token: its name and the first 8 hex digits of its SHA-256
/// (`ops#1a2b3c4d`), which `accord serve token --list` shows too.
pub fn holder_name(name: &str, token_hash: &[u8]) -> String {
    format!("{name}#{}", accord_ledger::record::hex(&token_hash[..token_hash.len().min(4)]))
}

fn held(h: Option<Holder>) -> Option<(Role, String)> {
    let h = h?;
    Some((Role::parse(&h.role)?, holder_name(&h.name, &h.token)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer as _, SigningKey};

    /// RFC 9421 Appendix B.2.6, "Signing a Request Using ed25519", byte for byte: the
    /// signature base and the signature, with the RFC's test key `test-key-ed25519`.
    #[test]
    fn rfc9421_b26_ed25519_vector() {
        // PKCS#8 of test-key-ed25519 (RFC 9421 B.1.4): the last 32 bytes are the seed.
        let der = B64
            .decode("MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF")
            .expect("base64");
        let seed: [u8; 32] = der[der.len() - 32..].try_into().expect("32");
        let sk = SigningKey::from_bytes(&seed);
        let public = B64
            .decode("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=")
            .expect("base64");
        assert_eq!(&public[public.len() - 32..], sk.verifying_key().as_bytes());
        let parts = RequestParts {
            method: "POST",
            authority: "example.com",
            path: "/foo",
            query: "param=Value&Pet=dog",
            body: b"{\"hello\": \"world\"}",
        };
        let fields = |f: &str| -> Option<String> {
            match f {
                "date" => Some("Tue, 20 Apr 2021 02:07:55 GMT".into()),
                "content-type" => Some("application/json".into()),
                "content-length" => Some("18".into()),
                _ => None,
            }
        };
        let comps: Vec<String> = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
            .map(String::from)
            .to_vec();
        let params = "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
        let base = signature_base(&comps, &parts, &fields, params).expect("base");
        let want = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
        assert_eq!(base, want);
        let sig = sk.sign(base.as_bytes());
        assert_eq!(
            B64.encode(sig.to_bytes()),
            "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
        );
    }

    /// A signed add-checkpoint request's parts, as the tests send it.
    fn add_checkpoint_parts() -> RequestParts<'static> {
        RequestParts {
            method: "POST",
            authority: "127.0.0.1:7401",
            path: "/witness/add-checkpoint",
            query: "",
            body: b"old 0\n",
        }
    }

    /// The headers of `p` signed by `k` at `created` with `nonce`.
    fn signed(k: &SignerKey, created: i64, nonce: &str, p: &RequestParts<'_>) -> impl Fn(&str) -> Option<String> {
        let (d, i, s) = sign(k, p, created, nonce);
        move |h: &str| match h {
            "content-digest" => Some(d.clone()),
            "signature-input" => Some(i.clone()),
            "signature" => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn a_request_accepted_before_a_restart_is_refused_after_it() {
        let key = SignerKey::from_seed("us-node", 1, [5; 32]).expect("key");
        let parts = add_checkpoint_parts();
        let h = signed(&key, 1200, "n1", &parts);
        let kept = std::sync::Arc::new(Mutex::new(Vec::new()));
        let keeper = |kept: &std::sync::Arc<Mutex<Vec<i64>>>| -> KeepFloor {
            let k = kept.clone();
            Box::new(move |v| {
                k.lock().expect("kept").push(v);
                Ok(())
            })
        };
        // Created 200 s ahead of the receiver's clock: inside the window, accepted, and the
        // floor kept above it before the answer.
        let v = SigVerifier::new(vec![key.verifier()], 1000).with_floor(0, keeper(&kept));
        assert!(v.verify(&parts, &h, 1000).is_ok());
        assert_eq!(*kept.lock().expect("kept"), [1200 + FLOOR_AHEAD_SECS]);
        // Restarted at 1001 (its nonces forgotten): the same request is refused.
        let floor = kept.lock().expect("kept")[0];
        let again = SigVerifier::new(vec![key.verifier()], 1001).with_floor(floor, keeper(&kept));
        assert!(matches!(again.verify(&parts, &h, 1001), Err(SigRefusal::Bad(m)) if m.contains("before this server started")));
        // Without the kept floor it would have been accepted: the replay this closes.
        assert!(SigVerifier::new(vec![key.verifier()], 1001).verify(&parts, &h, 1001).is_ok());
        // A refused keep refuses the request.
        let failing = SigVerifier::new(vec![key.verifier()], 1000).with_floor(0, Box::new(|_| Err("disk full".into())));
        assert!(matches!(failing.verify(&parts, &h, 1000), Err(SigRefusal::Bad(m)) if m.contains("disk full")));
    }

    #[test]
    fn signed_requests_verify_once_within_the_window() {
        let key = SignerKey::from_seed("us-node", 1, [5; 32]).expect("key");
        let other = SignerKey::from_seed("us-node", 1, [6; 32]).expect("key");
        let v = SigVerifier::new(vec![key.verifier()], 1000);
        let parts = add_checkpoint_parts();
        let headers = signed;
        let h = headers(&key, 1100, "n1", &parts);
        assert_eq!(v.verify(&parts, &h, 1100).map(|k| k.name().to_owned()), Ok("us-node".into()));
        // The same request again: a replay.
        assert!(matches!(v.verify(&parts, &h, 1101), Err(SigRefusal::Bad(m)) if m.contains("replayed")));
        // Another body under the same headers.
        let mut changed = parts.clone();
        changed.body = b"old 1\n";
        let h2 = headers(&key, 1100, "n2", &parts);
        assert!(matches!(v.verify(&changed, &h2, 1100), Err(SigRefusal::Bad(m)) if m.contains("Content-Digest")));
        // Another path under a valid digest.
        let mut moved = parts.clone();
        moved.path = "/api/v1/notifications";
        let h3 = headers(&key, 1100, "n3", &parts);
        assert!(matches!(v.verify(&moved, &h3, 1100), Err(SigRefusal::Bad(m)) if m.contains("does not verify")));
        // Expired, before start, unknown key, missing.
        assert!(
            matches!(v.verify(&parts, &headers(&key, 1100, "n4", &parts), 1100 + WINDOW_SECS + 1), Err(SigRefusal::Bad(m)) if m.contains("window"))
        );
        assert!(
            matches!(v.verify(&parts, &headers(&key, 999, "n5", &parts), 1000), Err(SigRefusal::Bad(m)) if m.contains("before this server started"))
        );
        // Same name, other key: the key id differs.
        assert!(
            matches!(v.verify(&parts, &headers(&other, 1100, "n6", &parts), 1100), Err(SigRefusal::Bad(m)) if m.contains("unknown keyid"))
        );
        assert_eq!(v.verify(&parts, &|_: &str| None, 1100), Err(SigRefusal::Missing));
    }

    #[test]
    fn tokens_are_stored_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.db");
        let t = Tokens::new(Box::new(crate::storage::sqlite::SqliteTokens::open(&path).expect("open")));
        let e = Entropy::seeded(1);
        let tok = t.make(Role::Operator, "ops", 1, &e).expect("make");
        assert_eq!(t.role(&tok, 2), Some(Role::Operator));
        assert_eq!(t.role("accord_wrong", 2), None);
        let brief = t.make_until(Role::PartnerReader, "brief", 1, Some(100), &e).expect("make");
        assert_eq!(t.role(&brief, 100), Some(Role::PartnerReader), "until its expiry");
        assert_eq!(t.role(&brief, 101), None, "not after");
        assert!(
            t.make_until(Role::Operator, "late", 100, Some(100), &e).is_err(),
            "expired when made"
        );
        let (sid, role, _) = t.session(&tok, 10, &e).expect("session");
        assert_eq!(role, Role::Operator);
        assert_eq!(t.session_role(&sid, 11), Some(Role::Operator));
        assert_eq!(t.session_role(&sid, 10 + SESSION_SECS + 1), None);
        drop(t);
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !bytes.windows(tok.len()).any(|w| w == tok.as_bytes()),
            "the token itself is never stored"
        );
    }
}
