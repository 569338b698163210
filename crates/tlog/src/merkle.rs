//! RFC 6962 Merkle tree math (RFC 9162 §2.1), SHA-256.
//!
//! Invariants: hashing is domain-separated (0x00 before a leaf, 0x01 before two child hashes);
//! a proof is generated from complete-subtree hashes only (level `l`, index `i` covers leaves
//! `i·2^l .. (i+1)·2^l`), so a store that keeps those hashes serves any proof with O(log n)
//! reads for each sibling, O(log² n) at worst; verification needs no store and refuses, never
//! panics on, any malformed proof.

use std::fmt;

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Standard base64, as checkpoints, proofs and tlog tools write hashes.
impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use base64::Engine as _;
        f.write_str(&base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

/// Parses standard base64 of exactly 32 bytes.
impl std::str::FromStr for Hash {
    type Err = String;

    fn from_str(text: &str) -> Result<Hash, String> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("not base64: {e}"))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("{} bytes, expected 32", b.len()))?;
        Ok(Hash(arr))
    }
}

/// A hash as standard base64 in serde (`#[serde(with = "accord_tlog::merkle::b64")]`).
pub mod b64 {
    use super::Hash;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the hash as standard base64.
    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(h)
    }

    /// Reads standard base64 of exactly 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Why a proof cannot be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not in the tree.
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The older size is larger than the newer.
    #[error("size {first} is larger than size {second}")]
    SizesOutOfOrder {
        /// Older size.
        first: u64,
        /// Newer size.
        second: u64,
    },
    /// The proof has the wrong number of hashes.
    #[error("proof has {got} hashes, {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// What was expected.
        want: String,
    },
    /// The proof does not lead to the given root.
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
    /// A consistency proof from the empty tree was asked for.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyFirst,
    /// The hash store could not provide a hash.
    #[error("no stored hash at level {level}, index {index}")]
    Missing {
        /// Level.
        level: u32,
        /// Index.
        index: u64,
    },
}

/// Reads stored complete-subtree hashes. The only thing a proof generator needs from storage.
pub trait HashReader {
    /// The hash of the complete subtree at `level` with `index`, covering leaves
    /// `index·2^level .. (index+1)·2^level`.
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError>;
}

/// The largest power of two strictly less than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start .. start+len]) from stored hashes; `len` ≥ 1.
pub fn range_hash(r: &dyn HashReader, start: u64, len: u64) -> Result<Hash, ProofError> {
    if len.is_power_of_two() && start.is_multiple_of(len) {
        let level = len.trailing_zeros();
        return r.node(level, start >> level);
    }
    let k = split(len);
    Ok(node_hash(&range_hash(r, start, k)?, &range_hash(r, start + k, len - k)?))
}

/// The root hash of the tree of `size` leaves.
pub fn tree_hash(r: &dyn HashReader, size: u64) -> Result<Hash, ProofError> {
    if size == 0 {
        Ok(empty_root())
    } else {
        range_hash(r, 0, size)
    }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 6962 §2.1.1): the
/// leaf's sibling first, the root's child last.
pub fn inclusion_proof(r: &dyn HashReader, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::with_capacity(64);
    fn path(r: &dyn HashReader, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) -> Result<(), ProofError> {
        if n == 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            path(r, m, start, k, out)?;
            out.push(range_hash(r, start + k, n - k)?);
        } else {
            path(r, m - k, start + k, n - k, out)?;
            out.push(range_hash(r, start, k)?);
        }
        Ok(())
    }
    path(r, index, 0, size, &mut out)?;
    Ok(out)
}

/// The consistency proof between the trees of `first` and `second` leaves (RFC 6962 §2.1.2).
/// Empty when `first` is 0 or equal to `second`.
pub fn consistency_proof(r: &dyn HashReader, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    let mut out = Vec::with_capacity(64);
    if first == 0 || first == second {
        return Ok(out);
    }
    fn sub(r: &dyn HashReader, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) -> Result<(), ProofError> {
        if m == n {
            if !whole {
                out.push(range_hash(r, start, n)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            sub(r, m, start, k, whole, out)?;
            out.push(range_hash(r, start + k, n - k)?);
        } else {
            sub(r, m - k, start + k, n - k, false, out)?;
            out.push(range_hash(r, start, k)?);
        }
        Ok(())
    }
    sub(r, first, 0, second, true, &mut out)?;
    Ok(out)
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with root `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: "too many for this index and size".into(),
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: "too few for this index and size".into(),
        });
    }
    if r == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Verifies that the tree of `first` leaves with root `root1` is a prefix of the tree of `second`
/// leaves with root `root2` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal
/// roots; a first size of 0 is refused, as transparency-dev/merkle does.
pub fn verify_consistency(first: u64, second: u64, root1: &Hash, root2: &Hash, proof: &[Hash]) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == 0 {
        // Every tree extends the empty tree: there is nothing to prove, and a caller that asks
        // is confused (a witness handles old size 0 before calling this).
        return Err(ProofError::EmptyFirst);
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: "none expected for equal sizes".into(),
            });
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::RootMismatch) };
    }

    if proof.is_empty() {
        return Err(ProofError::WrongLength {
            got: 0,
            want: "at least one expected".into(),
        });
    }
    let mut hashes: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        hashes.push(*root1);
    }
    hashes.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (hashes[0], hashes[0]);
    for c in &hashes[1..] {
        if s == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: "too many for these sizes".into(),
            });
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: "too few for these sizes".into(),
        });
    }
    if fr == *root1 && sr == *root2 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// An in-memory tree keeping every complete-subtree hash (the stored hashes a log keeps), for
/// tests and small logs. Appending a leaf stores O(1) amortised new hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash, storing every subtree it completes.
    pub fn append(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let n = self.levels[level].len();
            if !n.is_multiple_of(2) {
                break;
            }
            h = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        tree_hash(self, self.size()).unwrap_or_else(|_| empty_root())
    }
}

impl HashReader for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(ProofError::Missing { level, index })
    }
}

/// The position of the stored hash at `level`, `index` in the order a log stores hashes as it
/// appends leaves (the numbering of Go's `sumdb/tlog.StoredHashIndex`): leaf `n`'s hash, then
/// every subtree it completes, lowest first. Appending only ever adds hashes at the end.
pub fn stored_index(level: u32, index: u64) -> u64 {
    let mut n = index;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0u64;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + u64::from(level)
}

/// Number of stored hashes for a tree of `size` leaves.
pub fn stored_count(size: u64) -> u64 {
    if size == 0 {
        0
    } else {
        // Leaf `size-1`'s first hash, plus the subtrees it completes (its trailing ones).
        stored_index(0, size - 1) + 1 + u64::from((size - 1).trailing_ones())
    }
}

/// The right edge of a tree (its compact range from 0): the hash of each complete subtree
/// matching a set bit of the size. Enough to append leaves and compute the root without
/// reading anything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edge {
    size: u64,
    /// `by_level[l]` is the subtree of 2^l leaves on the edge, if bit `l` of `size` is set.
    by_level: Vec<Option<Hash>>,
}

impl Edge {
    /// The edge of the empty tree.
    pub fn new() -> Edge {
        Edge::default()
    }

    /// The edge of the tree of `size` leaves, read from stored hashes.
    pub fn load(r: &dyn HashReader, size: u64) -> Result<Edge, ProofError> {
        let mut by_level = vec![None; 64 - size.leading_zeros() as usize];
        let mut start = 0u64;
        for level in (0..by_level.len()).rev() {
            if size & (1 << level) != 0 {
                by_level[level] = Some(r.node(level as u32, start >> level)?);
                start += 1 << level;
            }
        }
        Ok(Edge { size, by_level })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The edge of a tree of `size` leaves from its subtree hashes, largest (leftmost) first:
    /// one for each set bit of `size`, as [`Edge::hashes`] gives them.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Result<Edge, ProofError> {
        let levels: Vec<usize> = (0..64).rev().filter(|l| size & (1u64 << l) != 0).collect();
        if levels.len() != hashes.len() {
            return Err(ProofError::WrongLength {
                got: hashes.len(),
                want: format!("a tree of size {size} has {} edge hashes", levels.len()),
            });
        }
        let mut by_level = vec![None; 64 - size.leading_zeros() as usize];
        for (l, h) in levels.into_iter().zip(hashes) {
            by_level[l] = Some(*h);
        }
        Ok(Edge { size, by_level })
    }

    /// The subtree hashes of the edge, largest (leftmost) first.
    pub fn hashes(&self) -> Vec<Hash> {
        self.by_level.iter().rev().flatten().copied().collect()
    }

    /// Appends a leaf; `out` receives the stored hashes it creates as (level, index, hash),
    /// in stored order.
    pub fn push(&mut self, leaf: Hash, out: &mut Vec<(u32, u64, Hash)>) {
        let n = self.size;
        out.push((0, n, leaf));
        let mut h = leaf;
        let mut level = 0usize;
        while n & (1 << level) != 0 {
            // Bit `level` of the size is set, so the edge holds that subtree.
            let Some(left) = self.by_level.get_mut(level).and_then(Option::take) else {
                break;
            };
            h = node_hash(&left, &h);
            level += 1;
            out.push((level as u32, n >> level, h));
        }
        if self.by_level.len() <= level {
            self.by_level.resize(level + 1, None);
        }
        self.by_level[level] = Some(h);
        self.size += 1;
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for h in self.by_level.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(empty_root)
    }
}
