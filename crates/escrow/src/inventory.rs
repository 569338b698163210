//! `accord-inventory/1`: a Party's complete inventory at a date, committed without being shown.
//!
//! Each item is a [`Record`] (unique identifier, type, zone, status). Its leaf in an RFC 6962
//! tree is
//!
//! ```text
//! inner = SHA-256("accord-inventory/1 record" 0x00 salt canonical_json(record))
//! leaf  = "accord-inventory/1 leaf" 0x00 treaty 0x00 party 0x00 as_of 0x00 zone 0x00 inner
//! salt  = HMAC-SHA-256(seed, "salt" 0x00 as_of 0x00 uid 0x00)
//! ```
//!
//! and the tree's leaves are sorted by (zone, salt), so that each zone is one contiguous range
//! and an item's position inside its zone says nothing about it (the salt is keyed by the seed:
//! an opening reveals one leaf's salt, hence only its own rank). The public [`Commitment`] is the tree's size and root with the declaration's treaty,
//! Party and date; the seed stays with the Party (it re-derives every salt) and the records with
//! whoever it opens them to.
//!
//! Invariants: a commitment binds every record, its salt and its position (changing any of them
//! changes the root: SHA-256 collision resistance); an unopened leaf hides its record (the salt
//! is 32 bytes the verifier cannot guess, so even a low-entropy record is not brute-forced); an
//! [`Opening`] verifies only against the commitment it was made for (the leaf binds treaty,
//! Party and date); a [`ZoneReveal`] verifies only if it opens every leaf of the zone, in order,
//! and the labels just outside it belong to other zones (so no item of the zone was left out of
//! the reveal). Building refuses a duplicate identifier, an empty field or a control character,
//! naming the entry.

use std::collections::BTreeMap;

use accord_tlog::merkle::{inclusion_proof, verify_inclusion, Hash, MemoryTree};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::EscrowError;

/// The format name carried by commitments and openings.
pub const FORMAT: &str = "accord-inventory/1";

/// The most leaves (items and padding) an inventory may have: 16,777,216, far above any
/// arsenal, so a mistyped `pad_to` is refused instead of exhausting memory.
pub const MAX_LEAVES: u64 = 1 << 24;

/// The zone that padding leaves go into: sorts after every real zone name a Party may use (zone
/// names may not start with `~`).
pub const PADDING_ZONE: &str = "~padding";

/// The order of zones in the tree: by name (bytes), the padding zone last whatever the names.
pub fn zone_key(zone: &str) -> (bool, &str) {
    (zone == PADDING_ZONE, zone)
}

/// An item's status on the declaration's date. Every warhead, not only those a treaty counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Deployed.
    Deployed,
    /// Held, not deployed.
    NonDeployed,
    /// Retired, awaiting dismantlement.
    AwaitingDismantlement,
    /// A padding leaf, not an item (its zone is [`PADDING_ZONE`]).
    Padding,
}

/// One item of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The item's unique identifier.
    pub uid: String,
    /// Its type (e.g. `W76-1`).
    #[serde(rename = "type")]
    pub item_type: String,
    /// The zone it is in (a site or a group of sites, as the proposal's terms define zones).
    pub zone: String,
    /// Its status.
    pub status: Status,
}

impl Status {
    /// The status's word, as its JSON gives it.
    pub fn word(self) -> &'static str {
        match self {
            Status::Deployed => "deployed",
            Status::NonDeployed => "non_deployed",
            Status::AwaitingDismantlement => "awaiting_dismantlement",
            Status::Padding => "padding",
        }
    }
}

impl Record {
    /// The record's canonical JSON (RFC 8785): the bytes its commitment covers. Written out for
    /// the record's fixed shape (keys in code-point order; strings escaped as JSON does, which
    /// for strings is RFC 8785's escaping); a test holds it equal to a general canonicaliser.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.uid.len() + self.item_type.len() + self.zone.len());
        self.canonical_into(&mut out);
        out
    }

    /// [`Record::canonical`] into `out` (cleared first), reusing its allocation.
    pub fn canonical_into(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(b"{\"status\":\"");
        out.extend_from_slice(self.status.word().as_bytes());
        out.extend_from_slice(b"\",\"type\":");
        json_string(out, &self.item_type);
        out.extend_from_slice(b",\"uid\":");
        json_string(out, &self.uid);
        out.extend_from_slice(b",\"zone\":");
        json_string(out, &self.zone);
        out.push(b'}');
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as RFC 8785 writes
/// them (`\b \t \n \f \r`, else `\u00xx`), everything else as UTF-8.
fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// The secret from which every salt and the order are derived: one per declaration, kept by
/// the committing Party like a commit–reveal secret (its loss makes the commitment unopenable,
/// which looks like cheating).
#[derive(Clone, PartialEq, Eq)]
pub struct Seed(pub [u8; 32]);

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(…)")
    }
}

/// What a declaration commits to, besides its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// The treaty or proposal id.
    pub treaty: String,
    /// The committing Party.
    pub party: String,
    /// The date the inventory is current as of (`YYYY-MM-DD`).
    pub as_of: String,
}

/// The public part: what goes into the Party's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// [`FORMAT`].
    pub format: String,
    /// Treaty, Party and date.
    #[serde(flatten)]
    pub context: Context,
    /// The number of leaves, padding included.
    pub size: u64,
    /// The tree's root (standard base64).
    #[serde(with = "b64_hash")]
    pub root: Hash,
}

/// One leaf opened: the record, its salt and its audit path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The leaf's index in the tree.
    pub index: u64,
    /// The record.
    pub record: Record,
    /// Its salt (standard base64).
    #[serde(with = "b64_hash")]
    pub salt: Hash,
    /// The audit path to the root.
    #[serde(with = "b64_hashes")]
    pub path: Vec<Hash>,
}

/// A leaf's zone shown without its record: the boundary of a zone reveal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneLabel {
    /// The leaf's index.
    pub index: u64,
    /// Its zone.
    pub zone: String,
    /// The salted record hash (hides the record).
    #[serde(with = "b64_hash")]
    pub inner: Hash,
    /// The audit path.
    #[serde(with = "b64_hashes")]
    pub path: Vec<Hash>,
}

/// A whole zone opened, with proof that nothing of it was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneReveal {
    /// The zone.
    pub zone: String,
    /// Its first leaf.
    pub start: u64,
    /// Every leaf of the zone, in order.
    pub openings: Vec<Opening>,
    /// The leaf just before the zone (absent when the zone starts the tree).
    pub before: Option<ZoneLabel>,
    /// The leaf just after it (absent when the zone ends the tree).
    pub after: Option<ZoneLabel>,
}

/// A contiguous zone of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRange {
    /// The zone.
    pub zone: String,
    /// Its first leaf.
    pub start: u64,
    /// Its number of leaves.
    pub len: u64,
}

/// A committed inventory, as the committing Party holds it.
#[derive(Debug, Clone)]
pub struct Inventory {
    commitment: Commitment,
    /// Leaves in tree order: record, salt, inner hash.
    leaves: Vec<(Record, Hash, Hash)>,
    zones: Vec<ZoneRange>,
    tree: MemoryTree,
}

type HmacSha256 = Hmac<Sha256>;

/// The salts' HMAC, keyed once per declaration (the key's pads are hashed once, not per item).
struct Salter(HmacSha256);

impl Salter {
    fn new(seed: &Seed) -> Salter {
        // HMAC takes a key of any length: this cannot fail.
        Salter(<HmacSha256 as Mac>::new_from_slice(&seed.0).unwrap_or_else(|_| unreachable!("any key length")))
    }

    /// A padding leaf's salt has its own label, so a real item whose identifier happens to
    /// read like a padding leaf's never shares its salt.
    fn salt(&self, as_of: &str, uid: &str, padding: bool) -> Hash {
        let mut m = self.0.clone();
        for part in [if padding { "padding-salt" } else { "salt" }, as_of, uid] {
            m.update(part.as_bytes());
            m.update(&[0]);
        }
        Hash(m.finalize().into_bytes().into())
    }
}

/// The salted hash of a record: `SHA-256("accord-inventory/1 record" 0x00 salt canonical)`.
pub fn inner_hash(salt: &Hash, record: &Record) -> Hash {
    inner_hash_of(salt, &record.canonical())
}

fn inner_hash_of(salt: &Hash, canonical: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"accord-inventory/1 record\0");
    h.update(salt.0);
    h.update(canonical);
    Hash(h.finalize().into())
}

/// The leaf's tree hash: the RFC 6962 leaf hash (`SHA-256(0x00 ‖ data)`) of
/// `"accord-inventory/1 leaf" 0x00 treaty 0x00 party 0x00 as_of 0x00 zone 0x00 inner`.
pub fn leaf_of(context: &Context, zone: &str, inner: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(b"accord-inventory/1 leaf\0");
    for part in [&context.treaty, &context.party, &context.as_of] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.update(zone.as_bytes());
    h.update([0u8]);
    h.update(inner.0);
    Hash(h.finalize().into())
}

fn check_field(entry: usize, field: &str, value: &str) -> Result<(), EscrowError> {
    if value.is_empty() {
        return Err(EscrowError::Record {
            entry,
            field: field.into(),
            message: "empty".into(),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(EscrowError::Record {
            entry,
            field: field.into(),
            message: "holds a control character".into(),
        });
    }
    Ok(())
}

impl Inventory {
    /// Commits to `records` (every item, in any order) as of `context.as_of`, padded with
    /// padding leaves to `pad_to` leaves when that is larger than the number of records (so the
    /// size and the zone sizes need not leak). `seed` derives every salt and the order.
    pub fn build(context: Context, seed: &Seed, records: Vec<Record>, pad_to: u64) -> Result<Inventory, EscrowError> {
        for (name, v) in [("treaty", &context.treaty), ("party", &context.party), ("as_of", &context.as_of)] {
            check_field(0, name, v).map_err(|_| EscrowError::Context(format!("{name} is empty or holds a control character")))?;
        }
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let entry = i + 1;
            check_field(entry, "uid", &r.uid)?;
            check_field(entry, "type", &r.item_type)?;
            check_field(entry, "zone", &r.zone)?;
            if r.zone.starts_with('~') {
                return Err(EscrowError::Record {
                    entry,
                    field: "zone".into(),
                    message: format!("'{}': a zone name may not start with '~' (kept for padding)", r.zone),
                });
            }
            if r.status == Status::Padding {
                return Err(EscrowError::Record {
                    entry,
                    field: "status".into(),
                    message: "padding is not an item's status".into(),
                });
            }
            if let Some(first) = seen.insert(&r.uid, entry) {
                return Err(EscrowError::Record {
                    entry,
                    field: "uid".into(),
                    message: format!("'{}' is also entry {first}", r.uid),
                });
            }
        }
        if records.len() as u64 > MAX_LEAVES || pad_to > MAX_LEAVES {
            return Err(EscrowError::Context(format!(
                "{} records, padded to {pad_to}: an inventory has at most {MAX_LEAVES} leaves",
                records.len()
            )));
        }
        let pad = pad_to.saturating_sub(records.len() as u64);
        drop(seen);
        let mut all = records;
        for i in 0..pad {
            all.push(Record {
                uid: format!("padding-{i}"),
                item_type: "padding".into(),
                zone: PADDING_ZONE.into(),
                status: Status::Padding,
            });
        }
        let salter = Salter::new(seed);
        // Zones numbered in name order, so the sort compares numbers, not strings.
        let mut zone_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for r in &all {
            zone_ids.entry(r.zone.as_str()).or_insert(0);
        }
        let mut names: Vec<&str> = zone_ids.keys().copied().collect();
        names.sort_unstable_by_key(|z| zone_key(z));
        for (i, name) in names.iter().enumerate() {
            zone_ids.insert(name, i as u32);
        }
        let mut keyed: Vec<(u32, Hash, usize)> = all
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    zone_ids[r.zone.as_str()],
                    salter.salt(&context.as_of, &r.uid, r.status == Status::Padding),
                    i,
                )
            })
            .collect();
        keyed.sort_unstable_by_key(|k| (k.0, k.1));
        let mut slots: Vec<Option<Record>> = all.into_iter().map(Some).collect();
        let mut tree = MemoryTree::new();
        let mut leaves = Vec::with_capacity(keyed.len());
        let mut zones: Vec<ZoneRange> = Vec::new();
        let mut canonical = Vec::with_capacity(256);
        let mut last_zone: Option<u32> = None;
        for (i, (zone_id, salt, at)) in keyed.into_iter().enumerate() {
            let record = slots[at].take().unwrap_or_else(|| unreachable!("each record is placed once"));
            record.canonical_into(&mut canonical);
            let inner = inner_hash_of(&salt, &canonical);
            tree.append(leaf_of(&context, &record.zone, &inner));
            match zones.last_mut() {
                Some(z) if last_zone == Some(zone_id) => z.len += 1,
                _ => zones.push(ZoneRange {
                    zone: record.zone.clone(),
                    start: i as u64,
                    len: 1,
                }),
            }
            last_zone = Some(zone_id);
            leaves.push((record, salt, inner));
        }
        let commitment = Commitment {
            format: FORMAT.into(),
            context,
            size: tree.size(),
            root: tree.root(),
        };
        Ok(Inventory {
            commitment,
            leaves,
            zones,
            tree,
        })
    }

    /// The public commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.commitment
    }

    /// The zones, in tree order (the padding zone last, if any).
    pub fn zones(&self) -> &[ZoneRange] {
        &self.zones
    }

    /// The records in tree order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.leaves.iter().map(|(r, _, _)| r)
    }

    /// The number of items (padding leaves excluded) in each zone.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.zones
            .iter()
            .filter(|z| z.zone != PADDING_ZONE)
            .map(|z| (z.zone.clone(), z.len))
            .collect()
    }

    fn path(&self, index: u64) -> Result<Vec<Hash>, EscrowError> {
        inclusion_proof(&self.tree, index, self.tree.size()).map_err(|e| EscrowError::Index {
            index,
            size: self.tree.size(),
            message: e.to_string(),
        })
    }

    /// Opens leaf `index`.
    pub fn open(&self, index: u64) -> Result<Opening, EscrowError> {
        let path = self.path(index)?;
        let (record, salt, _) = &self.leaves[index as usize];
        Ok(Opening {
            index,
            record: record.clone(),
            salt: *salt,
            path,
        })
    }

    /// Where the item with identifier `uid` is, if it is committed.
    pub fn index_of(&self, uid: &str) -> Option<u64> {
        self.leaves.iter().position(|(r, _, _)| r.uid == uid).map(|i| i as u64)
    }

    fn label(&self, index: u64) -> Result<ZoneLabel, EscrowError> {
        let path = self.path(index)?;
        let (record, _, inner) = &self.leaves[index as usize];
        Ok(ZoneLabel {
            index,
            zone: record.zone.clone(),
            inner: *inner,
            path,
        })
    }

    /// Opens every leaf of `zone`, with the labels of the leaves on either side. A zone with
    /// no items is revealed by the two labels that meet where it would sort.
    pub fn reveal_zone(&self, zone: &str) -> Result<ZoneReveal, EscrowError> {
        let (start, len) = match self.zones.iter().find(|z| z.zone == zone) {
            Some(z) => (z.start, z.len),
            None => {
                let at = self
                    .zones
                    .iter()
                    .find(|z| zone_key(&z.zone) > zone_key(zone))
                    .map_or(self.commitment.size, |z| z.start);
                (at, 0)
            }
        };
        let openings = (start..start + len).map(|i| self.open(i)).collect::<Result<Vec<_>, _>>()?;
        let before = if start > 0 { Some(self.label(start - 1)?) } else { None };
        let end = start + len;
        let after = if end < self.commitment.size { Some(self.label(end)?) } else { None };
        Ok(ZoneReveal {
            zone: zone.into(),
            start,
            openings,
            before,
            after,
        })
    }
}

/// Checks an opening against a commitment: the record and salt hash to a leaf that the path
/// places at its index under the root.
pub fn verify_opening(c: &Commitment, o: &Opening) -> Result<(), EscrowError> {
    check_commitment(c)?;
    verify_leaf(c, o)
}

/// A commitment a verifier can read: its format, and a context whose fields cannot be made to
/// read as others (the leaf separates them with 0x00).
fn check_commitment(c: &Commitment) -> Result<(), EscrowError> {
    if c.format != FORMAT {
        return Err(EscrowError::Format(c.format.clone()));
    }
    let ctx = &c.context;
    if [&ctx.treaty, &ctx.party, &ctx.as_of]
        .iter()
        .any(|v| v.is_empty() || v.chars().any(char::is_control))
    {
        return Err(EscrowError::Context(
            "treaty, party and as_of must be non-empty, without control characters".into(),
        ));
    }
    Ok(())
}

/// The opening's leaf is at its index under the root (the commitment checked by the caller).
fn verify_leaf(c: &Commitment, o: &Opening) -> Result<(), EscrowError> {
    let leaf = leaf_of(&c.context, &o.record.zone, &inner_hash(&o.salt, &o.record));
    verify_inclusion(o.index, c.size, &leaf, &o.path, &c.root).map_err(|e| EscrowError::Opening {
        index: o.index,
        message: e.to_string(),
    })
}

fn verify_label(c: &Commitment, l: &ZoneLabel) -> Result<(), EscrowError> {
    let leaf = leaf_of(&c.context, &l.zone, &l.inner);
    verify_inclusion(l.index, c.size, &leaf, &l.path, &c.root).map_err(|e| EscrowError::Opening {
        index: l.index,
        message: e.to_string(),
    })
}

/// Checks a zone reveal: every opening verifies, holds an item of the zone, and they run
/// without a gap from `start`; the leaf before sorts in an earlier zone and the leaf after in a
/// later one (or the zone meets the tree's edge). Returns the zone's records.
pub fn verify_zone_reveal(c: &Commitment, z: &ZoneReveal) -> Result<Vec<Record>, EscrowError> {
    check_commitment(c)?;
    let fail = |message: String| EscrowError::ZoneReveal {
        zone: z.zone.clone(),
        message,
    };
    let end = z
        .start
        .checked_add(z.openings.len() as u64)
        .ok_or_else(|| fail("start overflows".into()))?;
    if end > c.size {
        return Err(fail(format!("leaves {}..{end} run past the tree's {} leaves", z.start, c.size)));
    }
    let mut uids = std::collections::HashSet::with_capacity(z.openings.len());
    for (k, o) in z.openings.iter().enumerate() {
        if o.index != z.start + k as u64 {
            return Err(fail(format!("opening {k} is leaf {}, expected {}", o.index, z.start + k as u64)));
        }
        if o.record.zone != z.zone {
            return Err(fail(format!("leaf {} is in zone '{}'", o.index, o.record.zone)));
        }
        if (o.record.status == Status::Padding) != (z.zone == PADDING_ZONE) {
            return Err(fail(format!(
                "leaf {}: padding only in the padding zone, and only padding there",
                o.index
            )));
        }
        // The tree is sorted by (zone, salt): within the zone, salts ascend.
        if k > 0 && o.salt <= z.openings[k - 1].salt {
            return Err(fail(format!("leaf {}: the zone's leaves are not in salt order", o.index)));
        }
        if !uids.insert(o.record.uid.as_str()) {
            return Err(fail(format!("leaf {}: '{}' is opened twice", o.index, o.record.uid)));
        }
        verify_leaf(c, o)?;
    }
    match (&z.before, z.start) {
        (None, 0) => {}
        (None, s) => return Err(fail(format!("no label for leaf {} before the zone", s - 1))),
        (Some(b), s) => {
            if s == 0 || b.index != s - 1 {
                return Err(fail(format!("the label before is leaf {}, not the one before leaf {s}", b.index)));
            }
            if zone_key(&b.zone) >= zone_key(&z.zone) {
                return Err(fail(format!(
                    "leaf {} before the zone is in zone '{}', which does not sort before it",
                    b.index, b.zone
                )));
            }
            verify_label(c, b)?;
        }
    }
    match (&z.after, end) {
        (None, e) if e == c.size => {}
        (None, e) => return Err(fail(format!("no label for leaf {e} after the zone"))),
        (Some(a), e) => {
            if a.index != e {
                return Err(fail(format!("the label after is leaf {}, not leaf {e}", a.index)));
            }
            if zone_key(&a.zone) <= zone_key(&z.zone) {
                return Err(fail(format!(
                    "leaf {} after the zone is in zone '{}', which does not sort after it",
                    a.index, a.zone
                )));
            }
            verify_label(c, a)?;
        }
    }
    Ok(z.openings.iter().map(|o| o.record.clone()).collect())
}

pub(crate) use accord_tlog::merkle::b64 as b64_hash;

pub(crate) mod b64_hashes {
    use accord_tlog::merkle::Hash;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hs: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(hs.iter().map(|h| base64::engine::general_purpose::STANDARD.encode(h.0)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts.iter().map(|t| t.parse::<Hash>().map_err(serde::de::Error::custom)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            treaty: "us-2020-10-freeze".into(),
            party: "US".into(),
            as_of: "2020-10-13".into(),
        }
    }

    fn rec(uid: &str, zone: &str) -> Record {
        Record {
            uid: uid.into(),
            item_type: "W76-1".into(),
            zone: zone.into(),
            status: Status::NonDeployed,
        }
    }

    fn sample() -> Vec<Record> {
        let mut v = Vec::new();
        for (zone, n) in [("kings-bay", 5), ("bangor", 3), ("pantex", 4)] {
            for i in 0..n {
                v.push(rec(&format!("{zone}-{i}"), zone));
            }
        }
        v
    }

    #[test]
    fn zones_are_contiguous_and_every_opening_verifies() {
        let inv = Inventory::build(ctx(), &Seed([7; 32]), sample(), 16).unwrap();
        let c = inv.commitment();
        assert_eq!(c.size, 16);
        let names: Vec<&str> = inv.zones().iter().map(|z| z.zone.as_str()).collect();
        assert_eq!(names, ["bangor", "kings-bay", "pantex", PADDING_ZONE]);
        assert_eq!(inv.counts()["kings-bay"], 5);
        for i in 0..c.size {
            verify_opening(c, &inv.open(i).unwrap()).unwrap();
        }
        // Input order does not matter.
        let mut rev = sample();
        rev.reverse();
        assert_eq!(Inventory::build(ctx(), &Seed([7; 32]), rev, 16).unwrap().commitment(), c);
        // Another seed, another root; another date, another root.
        assert_ne!(
            Inventory::build(ctx(), &Seed([8; 32]), sample(), 16).unwrap().commitment().root,
            c.root
        );
    }

    #[test]
    fn an_opening_fails_for_any_change() {
        let inv = Inventory::build(ctx(), &Seed([7; 32]), sample(), 0).unwrap();
        let c = inv.commitment().clone();
        let o = inv.open(3).unwrap();
        let mut changed = o.clone();
        changed.record.status = Status::Deployed;
        assert!(verify_opening(&c, &changed).is_err());
        let mut changed = o.clone();
        changed.salt.0[0] ^= 1;
        assert!(verify_opening(&c, &changed).is_err());
        let mut changed = o.clone();
        changed.path[0].0[31] ^= 1;
        assert!(verify_opening(&c, &changed).is_err());
        let mut changed = o.clone();
        changed.index = 4;
        assert!(verify_opening(&c, &changed).is_err());
        let mut other = c.clone();
        other.context.party = "RU".into();
        assert!(verify_opening(&other, &o).is_err(), "bound to its Party");
    }

    #[test]
    fn a_zone_reveal_proves_the_zone_complete() {
        let inv = Inventory::build(ctx(), &Seed([1; 32]), sample(), 16).unwrap();
        let c = inv.commitment().clone();
        for zone in ["bangor", "kings-bay", "pantex", "none-here", "aaa", "zzz"] {
            let z = inv.reveal_zone(zone).unwrap();
            let records = verify_zone_reveal(&c, &z).unwrap();
            assert_eq!(records.len() as u64, inv.counts().get(zone).copied().unwrap_or(0), "{zone}");
        }
        // Leaving out the last item of the zone: the label after is in the same zone.
        let mut z = inv.reveal_zone("kings-bay").unwrap();
        z.openings.pop();
        let label = inv.label(z.start + z.openings.len() as u64).unwrap();
        z.after = Some(label);
        assert!(verify_zone_reveal(&c, &z).is_err());
        // Leaving out the first: the label before is in the zone itself.
        let mut z = inv.reveal_zone("kings-bay").unwrap();
        z.openings.remove(0);
        z.before = Some(inv.label(z.start).unwrap());
        z.start += 1;
        assert!(verify_zone_reveal(&c, &z).is_err());
        // Dropping the boundary label.
        let mut z = inv.reveal_zone("kings-bay").unwrap();
        z.after = None;
        assert!(verify_zone_reveal(&c, &z).is_err());
    }

    /// What the verifier can check of the tree's order: salts ascend within a zone, padding
    /// only in the padding zone (which sorts last whatever the zone names), no item twice; and
    /// a context with a control character is refused.
    #[test]
    fn a_zone_reveal_out_of_order_is_refused() {
        let mut v = sample();
        v.push(rec("RU-1", "Северная"));
        let inv = Inventory::build(ctx(), &Seed([3; 32]), v, 32).unwrap();
        assert_eq!(
            inv.zones().last().unwrap().zone,
            PADDING_ZONE,
            "padding last, after a Cyrillic name"
        );
        let c = inv.commitment().clone();
        verify_zone_reveal(&c, &inv.reveal_zone("Северная").unwrap()).unwrap();
        let mut z = inv.reveal_zone("kings-bay").unwrap();
        z.openings.swap(0, 1);
        z.openings[0].index = z.start;
        z.openings[1].index = z.start + 1;
        assert!(verify_zone_reveal(&c, &z).is_err(), "out of salt order");
        let mut z = inv.reveal_zone("kings-bay").unwrap();
        z.openings[2].record.status = Status::Padding;
        assert!(verify_zone_reveal(&c, &z).is_err(), "padding in a real zone");
        let mut bad = c.clone();
        bad.context.party = "US\0RU".into();
        assert!(verify_opening(&bad, &inv.open(0).unwrap()).is_err(), "a control character");
    }

    #[test]
    fn bad_records_are_refused_naming_the_entry() {
        let mut v = sample();
        v.push(rec("bangor-1", "pantex"));
        let e = Inventory::build(ctx(), &Seed([0; 32]), v, 0).unwrap_err();
        assert!(e.to_string().contains("entry 13") && e.to_string().contains("uid"), "{e}");
        let e = Inventory::build(ctx(), &Seed([0; 32]), vec![rec("a", "~x")], 0).unwrap_err();
        assert!(e.to_string().contains("zone"), "{e}");
        let e = Inventory::build(ctx(), &Seed([0; 32]), vec![rec("a", "x")], MAX_LEAVES + 1).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
        let e = Inventory::build(ctx(), &Seed([0; 32]), vec![rec("", "x")], 0).unwrap_err();
        assert!(e.to_string().contains("entry 1") && e.to_string().contains("uid"), "{e}");
    }

    proptest::proptest! {
        /// The written-out canonical JSON is RFC 8785's, for any strings.
        #[test]
        fn the_canonical_record_is_rfc_8785(uid in "\\PC*", ty in ".*", zone in "[\\x00-\\x7f]*", s in 0usize..4) {
            let r = Record {
                uid,
                item_type: ty,
                zone,
                status: [Status::Deployed, Status::NonDeployed, Status::AwaitingDismantlement, Status::Padding][s],
            };
            proptest::prop_assert_eq!(r.canonical(), serde_json_canonicalizer::to_vec(&r).unwrap());
        }
    }

    #[test]
    fn the_leaf_is_the_rfc_6962_leaf_hash_of_its_data() {
        let inner = Hash([9; 32]);
        let mut data = b"accord-inventory/1 leaf\x00us-2020-10-freeze\x00US\x002020-10-13\x00pantex\x00".to_vec();
        data.extend_from_slice(&inner.0);
        assert_eq!(leaf_of(&ctx(), "pantex", &inner), accord_tlog::merkle::leaf_hash(&data));
    }

    #[test]
    fn the_commitment_round_trips_as_json() {
        let inv = Inventory::build(ctx(), &Seed([2; 32]), sample(), 0).unwrap();
        let text = serde_json::to_string(inv.commitment()).unwrap();
        assert!(
            text.contains("\"format\":\"accord-inventory/1\"") && text.contains("\"as_of\":\"2020-10-13\""),
            "{text}"
        );
        let back: Commitment = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, inv.commitment());
        let o = inv.open(0).unwrap();
        let back: Opening = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        verify_opening(inv.commitment(), &back).unwrap();
    }
}
