//! Tile paths and entry bundles: parsed paths print back identically; parsed bundles re-encode
//! to the same bytes; checking arbitrary tiles against a root never panics.
#![no_main]
use accord_tlog::tile::{check_tiles, parse_bundle, parse_tile, push_entry, TileId};
use accord_tlog::Hash;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok((t, entries)) = TileId::parse_path(s) {
            assert_eq!(if entries { t.entries_path() } else { t.path() }, s);
        }
    }
    if let Ok(es) = parse_bundle("fuzz", data) {
        let mut again = Vec::new();
        for e in &es {
            push_entry(&mut again, e).expect("an entry from a bundle fits a bundle");
        }
        assert_eq!(again, data);
    }
    let _ = parse_tile("fuzz", data, (data.len() / 32) as u64);
    // A tiny tree whose tile is the input.
    if data.len() >= 2 {
        let size = u64::from(data[0]) + 1;
        let mut read = |p: &str| if p.starts_with("tile/0/") { Some(data[1..].to_vec()) } else { None };
        let _ = check_tiles(size, &Hash([0; 32]), false, &mut read);
    }
});
