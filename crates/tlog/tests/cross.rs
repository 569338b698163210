//! Cross-checks against independent Rust implementations: `ct-merkle` (RFC 6962 trees and
//! proofs), `tlog_tiles` (Cloudflare's port of Go's sumdb/tlog: stored hashes, proofs, tile
//! contents) and `signed_note` (Cloudflare's C2SP signed-note). Same inputs, same bytes out,
//! and each side verifies the other's proofs and signatures.

#![allow(clippy::unwrap_used)]

use accord_tlog::merkle::{consistency_proof, inclusion_proof, stored_count, stored_index, verify_consistency, verify_inclusion, Edge};
use accord_tlog::tile::{tile_bytes, tiles_for_size};
use accord_tlog::{leaf_hash, Hash, HashReader, MemoryTree, Note, SignerKey};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use proptest::prelude::*;

type Ct = MemoryBackedTree<sha2_011::Sha256, Vec<u8>>;

fn build(n: u64) -> (MemoryTree, Ct, Vec<Vec<u8>>) {
    let mut ours = MemoryTree::new();
    let mut theirs = Ct::new();
    let mut entries = Vec::new();
    for i in 0..n {
        let e = format!("leaf {i} {}", "x".repeat((i % 7) as usize)).into_bytes();
        ours.append(leaf_hash(&e));
        theirs.push(e.clone());
        entries.push(e);
    }
    (ours, theirs, entries)
}

fn flat(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ct_merkle_agrees(n in 1u64..300, a in any::<u64>(), b in any::<u64>()) {
        let (ours, theirs, entries) = build(n);
        let root = theirs.root();
        prop_assert_eq!(&ours.root().0[..], &root.as_bytes()[..]);
        let idx = a % n;
        let our_proof = inclusion_proof(&ours, idx, n).unwrap();
        let their_proof = theirs.prove_inclusion(idx as usize);
        prop_assert_eq!(flat(&our_proof), their_proof.as_bytes().to_vec());
        // They verify ours.
        let from_ours = ct_merkle::InclusionProof::<sha2_011::Sha256>::try_from_bytes(flat(&our_proof)).unwrap();
        prop_assert!(root.verify_inclusion(&entries[idx as usize], idx, &from_ours).is_ok());
        // Consistency from m to n.
        let m = 1 + b % n;
        if m < n {
            let our_c = consistency_proof(&ours, m, n).unwrap();
            let their_c = theirs.prove_consistency((n - m) as usize);
            prop_assert_eq!(flat(&our_c), their_c.as_bytes().to_vec());
            let (old, _, _) = build(m);
            let old_root = ct_merkle::RootHash::<sha2_011::Sha256>::new(old.root().0.into(), m);
            let from_ours = ct_merkle::ConsistencyProof::<sha2_011::Sha256>::try_from_bytes(flat(&our_c)).unwrap();
            prop_assert!(root.verify_consistency(&old_root, &from_ours).is_ok());
            verify_consistency(m, n, &old.root(), &ours.root(), &our_c).unwrap();
        }
        verify_inclusion(idx, n, &leaf_hash(&entries[idx as usize]), &our_proof, &ours.root()).unwrap();
    }
}

/// A tlog_tiles hash reader over our stored hashes (Go numbering).
struct Stored<'a>(&'a [Hash]);
impl tlog_tiles::HashReader for Stored<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|i| tlog_tiles::Hash(self.0[*i as usize].0)).collect())
    }
}

#[test]
fn tlog_tiles_agrees_on_stored_hashes_proofs_and_tiles() {
    let n = 70_000u64;
    let mut edge = Edge::new();
    let mut created = Vec::new();
    let mut mem = MemoryTree::new();
    let mut stored: Vec<Hash> = Vec::new();
    for i in 0..n {
        let data = format!("record {i}").into_bytes();
        // Their stored hashes for record i, given the ones before it, are ours.
        let theirs = tlog_tiles::stored_hashes(i, &data, &Stored(&stored)).unwrap();
        created.clear();
        edge.push(leaf_hash(&data), &mut created);
        mem.append(leaf_hash(&data));
        prop_assert_eq_hashes(&theirs, &created);
        for (level, index, h) in &created {
            assert_eq!(stored_index(*level, *index), stored.len() as u64);
            assert_eq!(tlog_tiles::stored_hash_index(*level as u8, *index), stored.len() as u64);
            stored.push(*h);
        }
        if i % 9973 == 0 || i == n - 1 {
            assert_eq!(stored_count(i + 1), tlog_tiles::stored_hash_count(i + 1));
        }
    }
    let r = Stored(&stored);
    let th = tlog_tiles::tree_hash(n, &r).unwrap();
    assert_eq!(th.0, edge.root().0);
    for (t, k) in [(n, 0u64), (n, 65_535), (n, n - 1), (256, 255), (70_000, 12_345)] {
        let p = tlog_tiles::prove_record(t, k, &r).unwrap();
        let ours = inclusion_proof(&mem, k, t).unwrap();
        assert_eq!(
            p.iter().map(|h| h.0).collect::<Vec<_>>(),
            ours.iter().map(|h| h.0).collect::<Vec<_>>()
        );
    }
    for (t, old) in [(n, 1u64), (n, 256), (n, 65_536), (n, 69_999)] {
        let p = tlog_tiles::prove_tree(t, old, &r).unwrap();
        let ours = consistency_proof(&mem, old, t).unwrap();
        assert_eq!(
            p.iter().map(|h| h.0).collect::<Vec<_>>(),
            ours.iter().map(|h| h.0).collect::<Vec<_>>()
        );
    }
    // Tile contents: their tile data (height 8) is our C2SP tile's bytes; only the paths differ.
    for t in tiles_for_size(n) {
        let theirs = tlog_tiles::Tile::new(8, t.level, t.index, u32::from(t.width), false)
            .read_data(&r)
            .unwrap();
        assert_eq!(theirs, tile_bytes(&mem, t).unwrap(), "{}", t.path());
    }
}

fn prop_assert_eq_hashes(theirs: &[tlog_tiles::Hash], ours: &[(u32, u64, Hash)]) {
    assert_eq!(theirs.len(), ours.len());
    for (a, (_, _, b)) in theirs.iter().zip(ours) {
        assert_eq!(a.0, b.0);
    }
}

#[test]
fn signed_note_agrees() {
    // Our note, their verifier.
    let key = SignerKey::from_seed("accord.example/us/new-start", accord_tlog::note::ALG_ED25519, [42; 32]).unwrap();
    let mut n = Note::new("accord.example/us/new-start\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    n.sign(&key, 0);
    let verifier = signed_note::StandardVerifier::new(&key.verifier().to_string()).unwrap();
    let theirs = signed_note::Note::from_bytes(&n.to_bytes()).unwrap();
    let (ok, _) = theirs.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).unwrap();
    assert_eq!(ok.len(), 1);
    // Their note, our verifier; their skey is our skey format.
    let signer = signed_note::StandardSigner::new(&key.to_skey()).unwrap();
    let mut theirs = signed_note::Note::new(b"hello from signed_note\n", &[]).unwrap();
    theirs.add_sigs(&[&signer]).unwrap();
    let bytes = theirs.to_bytes();
    assert_eq!(bytes, {
        let mut ours = Note::new("hello from signed_note\n").unwrap();
        ours.sign(&key, 0);
        ours.to_bytes()
    });
    Note::parse(&bytes).unwrap().verify(&[key.verifier()]).unwrap();
    // Key IDs agree.
    assert_eq!(
        signed_note::key_id("accord.example/us/new-start", &[&[1u8][..], &key.public_key()].concat()),
        key.id()
    );
}

#[test]
fn memory_tree_reader_is_consistent() {
    let (ours, _, _) = build(40);
    assert!(ours.node(5, 1).is_err(), "no complete subtree of 32 at index 1 in 40 leaves");
}
