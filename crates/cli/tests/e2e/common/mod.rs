//! Helpers shared by the end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)]

pub mod live;
pub mod node;

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The US notifications of the small example history (`docs/examples/history-small.jsonl`),
/// one JSON line each.
pub fn us_history_lines() -> Vec<String> {
    std::fs::read_to_string(root().join("docs/examples/history-small.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"party\":\"US\""))
        .map(str::to_owned)
        .collect()
}

/// An empty US log in `dir/us` (origin `accord.example/us/new-start`); its verifier key.
pub fn init_us(dir: &Path) -> String {
    let (code, vkey, err) = node::accord(
        dir,
        &[
            "log",
            "init",
            "--data",
            "us",
            "--origin",
            "accord.example/us/new-start",
            "--party",
            "US",
        ],
    );
    assert_eq!(code, 0, "{err}");
    vkey.trim().to_owned()
}

/// A tile reader over an exported folder, for tlog_tiles: it maps their Go-layout tiles to
/// C2SP paths, written here from the spec (not with accord's code): `tile/<L>/<N>[.p/<W>]`,
/// N in three-digit groups, all but the last prefixed `x`.
pub struct Exported(pub PathBuf);

fn c2sp_path(level: u8, index: u64, width: u32) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut n = index / 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    let mut p = format!("tile/{level}/{}", groups.join("/"));
    if width < 256 {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

impl tlog_tiles::TileReader for Exported {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                std::fs::read(self.0.join(c2sp_path(t.level(), t.level_index(), t.width())))
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// Checks a tiled log with clients that are not accord: `signed_note` verifies the checkpoint
/// with `vkey`, `tlog_tiles` recomputes the tree of `size` from the hash tiles under `site` and
/// proves the first bundle's entries included.
pub fn check_with_independent_client(site: &Path, checkpoint: &[u8], vkey: &str, size: u64, bundle0: &[u8]) {
    let note = signed_note::Note::from_bytes(checkpoint).unwrap();
    let verifier = signed_note::StandardVerifier::new(vkey).unwrap();
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!(cp.size(), size);
    let reader = Exported(site.to_path_buf());
    let thr = tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &reader);
    assert_eq!(tlog_tiles::tree_hash(size, &thr).unwrap(), *cp.hash());
    let entries = accord_tlog::tile::parse_bundle("tile/entries/000", bundle0).unwrap();
    for k in [0u64, 1, 100, 255] {
        if k < size && (k as usize) < entries.len() {
            let p = tlog_tiles::prove_record(size, k, &thr).unwrap();
            tlog_tiles::check_record(&p, size, *cp.hash(), k, tlog_tiles::record_hash(entries[k as usize])).unwrap();
        }
    }
}
