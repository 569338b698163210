//! The freeze's costs against baselines measured in the same run (docs/benchmarks.md, issue
//! #13): committing 10,000 items against SHA-256 over the records' bytes; verifying an opening
//! against recomputing its audit path; the treaty-shaped statement (64 zones: counts and
//! margin) against a bare aggregated range proof of 64 × 16-bit values.

#![allow(missing_docs, clippy::unwrap_used)]

use accord_escrow::inventory::{verify_opening, Context, Inventory, Record, Seed, Status};
use accord_escrow::totals::{self, Cap, Statement};
use accord_tlog::merkle::verify_inclusion;
use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            uid: format!("US-W{i:06}"),
            item_type: ["W76-1", "W78", "W87", "W88", "B61-7", "B83-1"][i % 6].into(),
            zone: format!("zone-{:02}", i % 64),
            status: [Status::Deployed, Status::NonDeployed, Status::AwaitingDismantlement][i % 3],
        })
        .collect()
}

fn ctx() -> Context {
    Context {
        treaty: "us-2020-10-freeze".into(),
        party: "US".into(),
        as_of: "2020-10-13".into(),
    }
}

fn commit(c: &mut Criterion) {
    let recs = records(10_000);
    let bytes: Vec<Vec<u8>> = recs.iter().map(Record::canonical).collect();
    let mut g = c.benchmark_group("inventory_10k");
    g.sample_size(20);
    g.bench_function("baseline_sha256_of_records", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for r in &bytes {
                acc ^= Sha256::digest(r)[0];
            }
            acc
        })
    });
    // The records are the Party's, in memory, and the commitment takes them: their copy is
    // made outside the measurement.
    g.bench_function("commit", |b| {
        b.iter_batched(
            || recs.clone(),
            |r| Inventory::build(ctx(), &Seed([5; 32]), r, 0).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn opening(c: &mut Criterion) {
    let inv = Inventory::build(ctx(), &Seed([5; 32]), records(10_000), 0).unwrap();
    let cm = inv.commitment().clone();
    let o = inv.open(4321).unwrap();
    let leaf = accord_escrow::inventory::leaf_of(
        &cm.context,
        &o.record.zone,
        &accord_escrow::inventory::inner_hash(&o.salt, &o.record),
    );
    let mut g = c.benchmark_group("opening");
    g.bench_function("baseline_audit_path", |b| {
        b.iter(|| verify_inclusion(o.index, cm.size, &leaf, &o.path, &cm.root).unwrap())
    });
    g.bench_function("verify_opening", |b| b.iter(|| verify_opening(&cm, &o).unwrap()));
    g.finish();
}

fn proofs(c: &mut Criterion) {
    const ZONES: usize = 64;
    let counts: Vec<u64> = (0..ZONES as u64).map(|i| 40 + i % 17).collect();
    let total: u64 = counts.iter().sum();
    let statement = Statement {
        treaty: "us-2020-10-freeze".into(),
        party: "US".into(),
        as_of: "2020-10-13".into(),
        name: "all_warheads".into(),
        cap: Cap::Public(total + 100),
        inventory_root: None,
        bits: 16,
        zones: (0..ZONES).map(|i| format!("zone-{i:02}")).collect(),
    };
    let bp = BulletproofGens::new(16, ZONES);
    let pc = PedersenGens::default();
    let mut g = c.benchmark_group("limit_proof_64_zones");
    g.sample_size(10);
    g.bench_function("baseline_aggregated_range_proof_prove", |b| {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        b.iter_batched(
            || counts.iter().map(|_| Scalar::random(&mut rng)).collect::<Vec<_>>(),
            |blind| {
                let mut t = Transcript::new(b"bench");
                RangeProof::prove_multiple_with_rng(&bp, &pc, &mut t, &counts, &blind, 16, &mut ChaCha20Rng::seed_from_u64(2)).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("treaty_statement_prove", |b| {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        b.iter(|| totals::prove(statement.clone(), &counts, None, &mut rng).unwrap())
    });
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let blind: Vec<Scalar> = counts.iter().map(|_| Scalar::random(&mut rng)).collect();
    let mut t = Transcript::new(b"bench");
    let (bare, commits) = RangeProof::prove_multiple_with_rng(&bp, &pc, &mut t, &counts, &blind, 16, &mut rng).unwrap();
    g.bench_function("baseline_aggregated_range_proof_verify", |b| {
        b.iter(|| {
            let mut t = Transcript::new(b"bench");
            bare.verify_multiple_with_rng(&bp, &pc, &mut t, &commits, 16, &mut ChaCha20Rng::seed_from_u64(5))
                .unwrap()
        })
    });
    let (proof, _) = totals::prove(statement.clone(), &counts, None, &mut rng).unwrap();
    g.bench_function("treaty_statement_verify", |b| {
        b.iter(|| totals::verify(&proof, &mut ChaCha20Rng::seed_from_u64(6)).unwrap())
    });
    g.finish();
    let size = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(s).unwrap().len()
    };
    println!(
        "sizes: counts proof {} B, margin proof {} B, commitments {} × 32 B = {} B, bare aggregated proof {} B",
        size(&proof.counts_proof),
        size(&proof.margin_proof),
        proof.commitments.len(),
        proof.commitments.len() * 32,
        bare.to_bytes().len()
    );
}

criterion_group!(benches, commit, opening, proofs);
criterion_main!(benches);
