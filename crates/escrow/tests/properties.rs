//! Property tests of the escrow (issue #13): every opening of any inventory verifies, and any
//! change to its record, salt, path or index fails; any total over the cap yields no proof; a
//! flipped bit anywhere in a proof or a commitment fails verification.

#![allow(clippy::unwrap_used)]

use accord_escrow::inventory::{verify_opening, Context, Inventory, Record, Seed, Status};
use accord_escrow::totals::{prove, verify, Cap, Statement};
use accord_escrow::EscrowError;
use base64::Engine as _;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn ctx() -> Context {
    Context {
        treaty: "us-2020-10-freeze".into(),
        party: "RU".into(),
        as_of: "2020-10-13".into(),
    }
}

fn inventory(n: usize, zones: usize, seed: u8) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            uid: format!("RU-W{i:05}"),
            item_type: "strategic".into(),
            zone: format!("zone-{}", i % zones),
            status: [Status::Deployed, Status::NonDeployed, Status::AwaitingDismantlement][(i + usize::from(seed)) % 3],
        })
        .collect()
}

fn statement(zones: usize, cap: u64) -> Statement {
    Statement {
        treaty: "us-2020-10-freeze".into(),
        party: "RU".into(),
        as_of: "2020-10-13".into(),
        name: "all_warheads".into(),
        cap: Cap::Public(cap),
        inventory_root: None,
        bits: 16,
        zones: (0..zones).map(|i| format!("zone-{i}")).collect(),
    }
}

/// The one proof every case of the flip test flips a bit of (the statement is the same in
/// each: proving it once is enough).
static FLIPPED_FROM: std::sync::LazyLock<accord_escrow::totals::LimitProof> = std::sync::LazyLock::new(|| {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    prove(statement(4, 5000), &[900, 1000, 1100, 1200], None, &mut rng).unwrap().0
});

fn flip(text: &str, at: usize, bit: u8) -> String {
    let mut bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
    let i = at % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_opening_verifies_and_any_change_fails(
        n in 1usize..200, zones in 1usize..12, seed in any::<u8>(), pad in 0u64..300, pick in any::<u64>(), what in 0u8..5, bit in any::<u8>()
    ) {
        let inv = Inventory::build(ctx(), &Seed([seed; 32]), inventory(n, zones, seed), pad).unwrap();
        let c = inv.commitment().clone();
        let index = pick % c.size;
        let o = inv.open(index).unwrap();
        prop_assert!(verify_opening(&c, &o).is_ok());
        let mut changed = o.clone();
        match what {
            0 => changed.record.uid.push('x'),
            1 => changed.record.zone.push('x'),
            2 => changed.salt.0[usize::from(bit) % 32] ^= 1 << (bit % 8),
            3 if !changed.path.is_empty() => {
                let k = usize::from(bit) % changed.path.len();
                changed.path[k].0[usize::from(bit) % 32] ^= 1;
            }
            _ => changed.index = (index + 1) % (c.size + 1),
        }
        if changed != o {
            prop_assert!(verify_opening(&c, &changed).is_err());
        }
    }

    #[test]
    fn a_total_over_the_cap_yields_no_proof(counts in prop::collection::vec(0u64..2000, 4), over in 1u64..500) {
        let total: u64 = counts.iter().sum();
        prop_assume!(total >= over);
        let mut rng = ChaCha20Rng::seed_from_u64(total);
        let e = prove(statement(4, total - over), &counts, None, &mut rng).unwrap_err();
        prop_assert!(matches!(e, EscrowError::OverCap { .. }), "{}", e);
    }

    #[test]
    fn a_flipped_bit_anywhere_fails(at in any::<usize>(), bit in any::<u8>(), field in 0usize..6) {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let mut q = FLIPPED_FROM.clone();
        match field {
            0..=3 => q.commitments[field] = flip(&q.commitments[field], at, bit),
            4 => q.counts_proof = flip(&q.counts_proof, at, bit),
            _ => q.margin_proof = flip(&q.margin_proof, at, bit),
        }
        prop_assert!(verify(&q, &mut rng).is_err());
    }
}
