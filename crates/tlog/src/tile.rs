//! C2SP tlog-tiles: tile paths, hash tiles, entry bundles, and checking a whole tiled tree.
//!
//! Invariants: a tile at level `L` with index `N` holds the hashes of Merkle level `8·L`,
//! indexes `N·256 .. N·256+W`, 32 bytes each (W = 256 for a full tile, 1..=255 for a
//! partial one); a partial tile is never hashed into the level above; an entry bundle is a
//! concatenation of `u16be length || entry`, so no entry exceeds 65,535 bytes. Paths follow
//! the C2SP layout (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`), not Go sumdb's
//! (`tile/8/<L>/…`). Decoders refuse, never panic on, malformed input.

use crate::merkle::{leaf_hash, node_hash, Hash, HashReader, ProofError};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Merkle levels per tile level.
pub const TILE_HEIGHT: u32 = 8;
/// The largest entry a bundle can hold.
pub const MAX_ENTRY: usize = u16::MAX as usize;

/// What is wrong with a tile, a bundle, a path or a tiled tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A path that is not a tlog-tiles path.
    #[error("not a tlog-tiles path: {path:?} ({why})")]
    Path {
        /// The path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A hash tile of the wrong length.
    #[error("{path}: {len} bytes; a tile of width {width} has {} bytes", width * 32)]
    TileLength {
        /// Tile path.
        path: String,
        /// Its length.
        len: usize,
        /// The width it should have.
        width: u64,
    },
    /// A malformed entry bundle.
    #[error("{path}: {why}")]
    Bundle {
        /// Bundle path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// An entry too large for a bundle.
    #[error("entry of {size} bytes; an entry is at most 65,535 bytes")]
    EntryTooLarge {
        /// Its size.
        size: usize,
    },
    /// A tile or bundle a tree of this size needs is missing.
    #[error("{path}: missing")]
    Missing {
        /// The path.
        path: String,
    },
    /// A stored hash differs from the one recomputed from the level below or from the entries.
    #[error("{path}: hash {slot} (level {level} index {index}) differs from the one recomputed from {from}")]
    HashMismatch {
        /// Tile path.
        path: String,
        /// Position in the tile.
        slot: u64,
        /// Merkle level.
        level: u32,
        /// Index at that level.
        index: u64,
        /// What it was recomputed from.
        from: String,
    },
    /// The tree's root differs from the checkpoint's.
    #[error("the tiles give root {computed} for size {size}, the checkpoint says {claimed}")]
    RootMismatch {
        /// Tree size.
        size: u64,
        /// Root from the tiles.
        computed: Hash,
        /// Root in the checkpoint.
        claimed: Hash,
    },
    /// A hash the proof machinery needed is not in the tiles.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// One tile: level, index and width (256 when full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level (Merkle level `8·level`).
    pub level: u8,
    /// Index of the tile at its level.
    pub index: u64,
    /// Number of hashes (or entries) in it: 1..=256.
    pub width: u16,
}

/// `N` in C2SP form: three-digit groups, each but the last prefixed with `x`.
pub fn index_path(n: u64) -> String {
    let mut groups = Vec::new();
    let mut n = n;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| if i == last { format!("{g:03}") } else { format!("x{g:03}") })
        .collect::<Vec<_>>()
        .join("/")
}

impl TileId {
    /// Whether the tile holds 256 hashes.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    fn suffix(&self) -> String {
        if self.is_full() {
            index_path(self.index)
        } else {
            format!("{}.p/{}", index_path(self.index), self.width)
        }
    }

    /// The hash tile's path, e.g. `tile/0/x001/234.p/17`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.suffix())
    }

    /// The path of the entry bundle beside a level-0 tile, e.g. `tile/entries/000.p/15`.
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", self.suffix())
    }

    /// The Merkle level of the hashes in this tile.
    pub fn merkle_level(&self) -> u32 {
        u32::from(self.level) * TILE_HEIGHT
    }

    /// The index (at [`Self::merkle_level`]) of the tile's first hash.
    pub fn first(&self) -> u64 {
        self.index * TILE_WIDTH
    }

    /// Parses a tile path; returns the tile and whether it is an entry bundle.
    pub fn parse_path(path: &str) -> Result<(TileId, bool), TileError> {
        let bad = |why: &str| TileError::Path {
            path: path.to_owned(),
            why: why.to_owned(),
        };
        let rest = path.strip_prefix("tile/").ok_or_else(|| bad("does not start with tile/"))?;
        let (level_part, rest) = rest.split_once('/').ok_or_else(|| bad("no index"))?;
        let (entries, level) = if level_part == "entries" {
            (true, 0u8)
        } else {
            let l: u8 = parse_decimal(level_part).ok_or_else(|| bad("level is not a decimal number"))?;
            // Level 8 would hold hashes at Merkle level 64: no tree of at most 2^64 - 1
            // leaves has one.
            if l > 7 {
                return Err(bad("level above 7"));
            }
            (false, l)
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let w: u16 = parse_decimal(w).ok_or_else(|| bad("width is not a decimal number"))?;
                if !(1..=255).contains(&w) {
                    return Err(bad("partial width outside 1..=255"));
                }
                (i, w)
            }
            None => (rest, 256),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 == groups.len() {
                *g
            } else {
                g.strip_prefix('x')
                    .ok_or_else(|| bad("an index group before the last lacks its x"))?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("an index group is not three digits"));
            }
            let v: u64 = digits.parse().map_err(|_| bad("index group"))?;
            index = index
                .checked_mul(1000)
                .and_then(|x| x.checked_add(v))
                .ok_or_else(|| bad("index overflows"))?;
        }
        let id = TileId { level, index, width };
        // The tile's hashes must exist in some tree of at most 2^64 - 1 leaves, which has
        // (2^64 - 1) >> L complete nodes at Merkle level L: its last hash's index must be below
        // that. (Unchecked, `first()` of a huge index wraps round to another tile's.)
        let last = index
            .checked_mul(TILE_WIDTH)
            .and_then(|f| f.checked_add(u64::from(width) - 1))
            .ok_or_else(|| bad("index beyond any tree"))?;
        if last >= u64::MAX >> id.merkle_level() {
            return Err(bad("index beyond any tree"));
        }
        // Only the canonical spelling is a path (no superfluous leading groups).
        let canonical = if entries { id.entries_path() } else { id.path() };
        if canonical != path {
            return Err(bad("not in canonical form"));
        }
        Ok((id, entries))
    }
}

fn parse_decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Every tile (full and partial) of the tree of `size` leaves, level by level, lowest first,
/// lazily (a claimed size can be huge; a caller stops at the first tile it cannot find).
pub fn tiles(size: u64) -> impl Iterator<Item = TileId> {
    (0u8..8).flat_map(move |level| {
        let shift = u32::from(level) * TILE_HEIGHT;
        let hashes = if shift >= 64 { 0 } else { size >> shift };
        let full = hashes / TILE_WIDTH;
        let rem = hashes % TILE_WIDTH;
        (0..full)
            .map(move |index| TileId { level, index, width: 256 })
            .chain((rem > 0).then_some(TileId {
                level,
                index: full,
                width: rem as u16,
            }))
    })
}

/// [`tiles`] collected.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    tiles(size).collect()
}

/// The bytes of a hash tile, read from stored hashes.
pub fn tile_bytes(r: &dyn HashReader, tile: TileId) -> Result<Vec<u8>, ProofError> {
    let mut out = Vec::with_capacity(usize::from(tile.width) * 32);
    for i in 0..u64::from(tile.width) {
        out.extend_from_slice(&r.node(tile.merkle_level(), tile.first() + i)?.0);
    }
    Ok(out)
}

/// Splits a hash tile into its hashes; `width` is the expected number.
pub fn parse_tile(path: &str, bytes: &[u8], width: u64) -> Result<Vec<Hash>, TileError> {
    if bytes.len() as u64 != width * 32 {
        return Err(TileError::TileLength {
            path: path.to_owned(),
            len: bytes.len(),
            width,
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            Hash(h)
        })
        .collect())
}

/// Appends one entry to a bundle.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), TileError> {
    let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge { size: entry.len() })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits an entry bundle into its entries.
pub fn parse_bundle<'a>(path: &str, bytes: &'a [u8]) -> Result<Vec<&'a [u8]>, TileError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let bad = |why: String| TileError::Bundle {
            path: path.to_owned(),
            why,
        };
        let [a, b, tail @ ..] = rest else {
            return Err(bad(format!("entry {} has a truncated length prefix", out.len())));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if tail.len() < len {
            return Err(bad(format!("entry {} claims {len} bytes, {} remain", out.len(), tail.len())));
        }
        out.push(&tail[..len]);
        rest = &tail[len..];
    }
    Ok(out)
}

/// Checks a tiled tree: every level-0 hash against its entry's leaf hash (when bundles are
/// given), every higher-level hash against the full tile below it, and the root against
/// `root`. `read(path)` returns a file's bytes or `None` when absent; `with_entries` says
/// whether bundles are expected. Errors locate the tile, the slot and the Merkle index.
pub fn check_tiles(size: u64, root: &Hash, with_entries: bool, read: &mut dyn FnMut(&str) -> Option<Vec<u8>>) -> Result<(), TileError> {
    let mut levels: Vec<Vec<Hash>> = Vec::new();
    for tile in tiles(size) {
        let path = tile.path();
        let bytes = read(&path).ok_or_else(|| TileError::Missing { path: path.clone() })?;
        let hashes = parse_tile(&path, &bytes, u64::from(tile.width))?;
        if tile.level == 0 && with_entries {
            let bpath = tile.entries_path();
            let bundle = read(&bpath).ok_or_else(|| TileError::Missing { path: bpath.clone() })?;
            let entries = parse_bundle(&bpath, &bundle)?;
            if entries.len() != usize::from(tile.width) {
                return Err(TileError::Bundle {
                    path: bpath,
                    why: format!("{} entries; the tile has width {}", entries.len(), tile.width),
                });
            }
            for (slot, (e, h)) in entries.iter().zip(&hashes).enumerate() {
                if leaf_hash(e) != *h {
                    return Err(TileError::HashMismatch {
                        path,
                        slot: slot as u64,
                        level: 0,
                        index: tile.first() + slot as u64,
                        from: format!("entry {} in {bpath}", tile.first() + slot as u64),
                    });
                }
            }
        }
        if tile.level > 0 {
            let below = &levels[usize::from(tile.level) - 1];
            for (slot, h) in hashes.iter().enumerate() {
                let index = tile.first() + slot as u64;
                let start = (index * TILE_WIDTH) as usize;
                let computed = subtree_root(&below[start..start + TILE_WIDTH as usize]);
                if computed != *h {
                    return Err(TileError::HashMismatch {
                        path,
                        slot: slot as u64,
                        level: tile.merkle_level(),
                        index,
                        from: format!("tile {} at level {}", index, tile.level - 1),
                    });
                }
            }
        }
        let l = usize::from(tile.level);
        if levels.len() <= l {
            levels.push(Vec::new());
        }
        levels[l].extend(hashes);
    }
    let computed = root_from_levels(size, &levels);
    if computed != *root {
        return Err(TileError::RootMismatch {
            size,
            computed,
            claimed: *root,
        });
    }
    Ok(())
}

/// The root of a complete subtree given its leaves (a power-of-two count).
fn subtree_root(hashes: &[Hash]) -> Hash {
    let mut cur: Vec<Hash> = hashes.to_vec();
    while cur.len() > 1 {
        cur = cur.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    cur[0]
}

/// The tree hash from the tile levels: each power-of-two piece of `size` is read from the
/// highest tile level that holds it, and finished from the level below when needed.
fn root_from_levels(size: u64, levels: &[Vec<Hash>]) -> Hash {
    struct Levels<'a>(&'a [Vec<Hash>]);
    impl HashReader for Levels<'_> {
        fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
            let tl = (level / TILE_HEIGHT) as usize;
            let k = level % TILE_HEIGHT;
            let first = (index << k) as usize;
            let span = 1usize << k;
            let hashes = self
                .0
                .get(tl)
                .and_then(|l| l.get(first..first + span))
                .ok_or(ProofError::Missing { level, index })?;
            Ok(subtree_root(hashes))
        }
    }
    crate::merkle::tree_hash(&Levels(levels), size).unwrap_or_else(|_| crate::merkle::empty_root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1000), "x001/000");
        let t = |level, index, width| TileId { level, index, width };
        assert_eq!(t(0, 0, 15).path(), "tile/0/000.p/15");
        assert_eq!(t(0, 0, 15).entries_path(), "tile/entries/000.p/15");
        let s256: Vec<String> = tiles_for_size(256).iter().map(|t| t.path()).collect();
        assert_eq!(s256, ["tile/0/000", "tile/1/000.p/1"]);
        let s70000 = tiles_for_size(70000);
        let l0: Vec<_> = s70000.iter().filter(|t| t.level == 0).collect();
        assert_eq!(l0.len(), 274);
        assert_eq!(l0[273].path(), "tile/0/273.p/112");
        let rest: Vec<String> = s70000.iter().filter(|t| t.level > 0).map(|t| t.path()).collect();
        assert_eq!(rest, ["tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]);
        assert!(tiles_for_size(0).is_empty());
    }

    #[test]
    fn paths_parse_back_and_bad_ones_are_refused() {
        for size in [1u64, 255, 256, 257, 70000, 1_000_000] {
            for tile in tiles_for_size(size) {
                assert_eq!(TileId::parse_path(&tile.path()), Ok((tile, false)));
                if tile.level == 0 {
                    assert_eq!(TileId::parse_path(&tile.entries_path()), Ok((tile, true)));
                }
            }
        }
        for bad in [
            "tile/0/1",
            "tile/0/x000/001",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/64/000",
            "tile/00/000",
            "tiles/0/000",
            "tile/0/001/002",
            "tile/0/000.p/",
            "tile/0/x1000/000",
            // Past any tree of u64 leaves: the first hash's index overflows (it wrapped round
            // to tile/0/000) or the level is one no tree has.
            "tile/0/x072/x057/x594/x037/x927/936",
            "tile/entries/x072/x057/x594/x037/x927/936",
            "tile/0/x072/x057/x594/x037/x927/935",
            "tile/1/x281/x474/x976/x710/655",
            "tile/7/000",
            "tile/8/000",
            "tile/8/x018/x446/x744/x073/x709/x551/615",
        ] {
            assert!(TileId::parse_path(bad).is_err(), "{bad}");
        }
        // The last tiles that exist: at level 0 the one ending with leaf 2^64 - 2, at level 1
        // the one ending with node 2^56 - 2.
        for good in [
            "tile/0/x072/x057/x594/x037/x927/935.p/255",
            "tile/entries/x072/x057/x594/x037/x927/935.p/255",
            "tile/1/x281/x474/x976/x710/655.p/255",
            "tile/1/x281/x474/x976/x710/654",
            "tile/7/000.p/255",
        ] {
            assert!(TileId::parse_path(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn bundles_round_trip_and_refuse_truncation() {
        let mut b = Vec::new();
        for e in [&b"one"[..], b"", b"three"] {
            push_entry(&mut b, e).unwrap();
        }
        assert_eq!(parse_bundle("x", &b).unwrap(), vec![&b"one"[..], b"", b"three"]);
        assert!(parse_bundle("x", &b[..b.len() - 1]).is_err());
        assert!(parse_bundle("x", &[0]).is_err());
        assert_eq!(push_entry(&mut b, &vec![0; 65536]), Err(TileError::EntryTooLarge { size: 65536 }));
        assert!(push_entry(&mut b, &vec![0; 65535]).is_ok());
    }
}
