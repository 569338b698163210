//! `accord inventory`: the freeze's escrow from the command line (docs/freeze-verification.md).
//! Files in, files out; the cryptography is `accord-escrow`'s. The seed and the openings are
//! secrets: written with mode 0600 and synced before anything that depends on them is printed.

use std::path::Path;

use accord_escrow::inventory::{self, Commitment, Context, Inventory, Opening, Record, Seed, Status, ZoneReveal};
use accord_escrow::totals::{self, Cap, CapSecret, LimitProof, Openings};
use accord_escrow::{sample, EscrowError};
use anyhow::{anyhow, Context as _};

use crate::args::{Format, InventoryCommand, InventoryDecl};
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::files::{read_text, write_atomic};
use crate::output::{json, print_json};

/// Runs an inventory command.
pub fn run(c: InventoryCommand, format: Format) -> Outcome {
    match c {
        InventoryCommand::Commit { decl, out } => commit(&decl, out.as_deref()),
        InventoryCommand::Open {
            decl,
            commitment,
            index,
            uid,
            zone,
        } => open(&decl, &commitment, index, uid.as_deref(), zone.as_deref()),
        InventoryCommand::Verify { commitment, file } => verify(&commitment, &file, format),
        InventoryCommand::Sample {
            commitment,
            reveal_a,
            reveal_b,
            context,
            k,
        } => draw(&commitment, &reveal_a, &reveal_b, &context, k, format),
        InventoryCommand::Prove {
            decl,
            commitment,
            name,
            statuses,
            cap,
            baseline,
            baseline_openings,
            bits,
            out,
            openings_out,
        } => prove(ProveArgs {
            decl: &decl,
            commitment: &commitment,
            name,
            statuses: &statuses,
            cap,
            baseline: baseline.as_deref().zip(baseline_openings.as_deref()),
            bits,
            out: &out,
            openings_out: &openings_out,
        }),
        InventoryCommand::VerifyProof { file, commitment } => verify_proof(&file, commitment.as_deref(), format),
        InventoryCommand::Trial {
            cheat,
            party,
            bad,
            k,
            omitted,
            zones,
            runs,
            seed,
        } => trial(&cheat, &party, (bad, k), (omitted, zones), runs, seed, format),
    }
}

/// `accord inventory trial`.
fn trial(
    cheat: &str,
    party: &str,
    (bad, k): (usize, u64),
    (omitted, zones): (usize, u64),
    runs: u32,
    seed: u64,
    format: Format,
) -> Outcome {
    use accord_sim::freeze;
    if runs == 0 {
        return Err(input(anyhow!("--runs: at least 1")));
    }
    let all = freeze::inventories(freeze::FREEZE_ESTIMATES).map_err(|e| io(anyhow!("{e}")))?;
    let inv = all.iter().find(|i| i.party == party).ok_or_else(|| {
        input(anyhow!(
            "--party: '{party}' (the estimates give {})",
            all.iter().map(|i| i.party.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let t = match cheat {
        "misdeclaration" => freeze::misdeclaration(inv, bad, k, runs, seed),
        _ => freeze::omission(inv, omitted, zones, runs, seed),
    }
    .map_err(|e| input(anyhow!("{e}")))?;
    let theory = if cheat == "misdeclaration" {
        format!("hypergeometric (n {}, {bad} wrong, k {k})", inv.records.len())
    } else {
        let all: std::collections::BTreeSet<&str> = inv.records.iter().map(|r| r.zone.as_str()).collect();
        format!(
            "the bound over zones ({zones} of {} revealed, {omitted} items hidden in one)",
            all.len()
        )
    };
    if json(format) {
        print_json(&serde_json::json!({
            "cheat": cheat, "party": party, "items": inv.records.len(), "runs": t.runs, "seeds": [t.seed, t.seed + u64::from(t.runs) - 1],
            "caught": t.caught, "rate": t.rate(), "expected": t.expected, "interval_99": [t.interval.0, t.interval.1], "within": t.within(),
        }))?;
    } else {
        println!(
            "{party} {cheat}: {} runs (seeds {}–{}): caught {} ({:.3}); {theory}: {:.3}; 99 % interval [{:.3}, {:.3}]: {}",
            t.runs,
            t.seed,
            t.seed + u64::from(t.runs) - 1,
            t.caught,
            t.rate(),
            t.expected,
            t.interval.0,
            t.interval.1,
            if t.within() { "within" } else { "OUTSIDE" }
        );
    }
    Ok(if t.within() { 0 } else { CHECK_FAILED })
}

fn escrow(at: &Path, e: EscrowError) -> Failure {
    input(anyhow!("{}: {e}", at.display()))
}

/// Reads the records, naming the line and the field of a malformed one.
fn read_records(path: &Path) -> Result<Vec<Record>, Failure> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(w, _)| w);
            input(anyhow!("{}:{}:{}: {what}", path.display(), i + 1, e.column()))
        })?;
        out.push(r);
    }
    if out.is_empty() {
        return Err(input(anyhow!("{}: no records", path.display())));
    }
    Ok(out)
}

fn check_date(text: &str) -> Result<(), Failure> {
    super::at_node::date_arg("--as-of", text).map(|_| ())
}

/// Writes a secret file that must not exist yet, mode 0600: written and synced under a
/// temporary name, then linked into place (never overwriting), its folder synced; an
/// interruption leaves no short file under the name.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if path.exists() {
        return Err(input(anyhow!("{}: already there (a secret is never overwritten)", path.display())));
    }
    let (dir, tmp) = crate::files::temp_name(path)?;
    let result = crate::files::write_temp(&tmp, bytes, true)
        .and_then(|()| std::fs::hard_link(&tmp, path).with_context(|| format!("cannot create {}", path.display())));
    let _ = std::fs::remove_file(&tmp);
    result.map_err(|e| {
        if path.exists() {
            input(anyhow!("{}: already there (a secret is never overwritten)", path.display()))
        } else {
            io(e)
        }
    })?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
        .map_err(io)
}

fn read_seed(path: &Path) -> Result<Seed, Failure> {
    let bytes = crate::files::read_bytes(path)?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| input(anyhow!("{}: {} bytes, a seed is 32", path.display(), b.len())))?;
    Ok(Seed(arr))
}

fn context(d: &InventoryDecl) -> Result<Context, Failure> {
    check_date(&d.as_of)?;
    Ok(Context {
        treaty: d.treaty.clone(),
        party: d.party.clone(),
        as_of: d.as_of.clone(),
    })
}

fn build(d: &InventoryDecl, seed: &Seed) -> Result<Inventory, Failure> {
    let records = read_records(&d.records)?;
    Inventory::build(context(d)?, seed, records, d.pad_to).map_err(|e| escrow(&d.records, e))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| input(anyhow!("{}: not {what}: {e}", path.display())))
}

fn pretty<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, Failure> {
    let mut s = serde_json::to_vec_pretty(v).map_err(|e| io(anyhow!("{e}")))?;
    s.push(b'\n');
    Ok(s)
}

/// Rebuilds the inventory and checks it is the one committed.
fn rebuild(d: &InventoryDecl, commitment: &Path) -> Result<(Inventory, Commitment), Failure> {
    let c: Commitment = read_json(commitment, "an inventory commitment")?;
    let inv = build(d, &read_seed(&d.seed)?)?;
    if inv.commitment() != &c {
        return Err(input(anyhow!(
            "{}: these records and this seed do not rebuild the commitment (root {}, size {}; rebuilt root {}, size {})",
            commitment.display(),
            c.root,
            c.size,
            inv.commitment().root,
            inv.commitment().size
        )));
    }
    Ok((inv, c))
}

fn commit(d: &InventoryDecl, out: Option<&Path>) -> Outcome {
    let records = read_records(&d.records)?;
    let ctx = context(d)?;
    let made = !d.seed.exists();
    let seed = if made {
        Seed(crate::clock::random::<32>())
    } else {
        read_seed(&d.seed)?
    };
    let items = records.len();
    // Built once; a new seed is written only after the records built, so bad input leaves
    // nothing behind, and before the commitment is printed.
    let inv = Inventory::build(ctx, &seed, records, d.pad_to).map_err(|e| escrow(&d.records, e))?;
    if made {
        write_secret(&d.seed, &seed.0)?;
    }
    let c = inv.commitment();
    match out {
        Some(p) => write_atomic(p, &pretty(c)?)?,
        None => print_json(c)?,
    }
    eprintln!(
        "committed {} items in {} zones ({} leaves, root {}); seed {} {}",
        items,
        inv.counts().len(),
        c.size,
        c.root,
        d.seed.display(),
        if made {
            "created (mode 0600): keep it, the commitment cannot be opened without it"
        } else {
            "reused"
        }
    );
    Ok(0)
}

fn open(d: &InventoryDecl, commitment: &Path, index: Option<u64>, uid: Option<&str>, zone: Option<&str>) -> Outcome {
    let (inv, _) = rebuild(d, commitment)?;
    if let Some(z) = zone {
        let reveal = inv.reveal_zone(z).map_err(|e| escrow(&d.records, e))?;
        print_json(&reveal)?;
        return Ok(0);
    }
    let index = match (index, uid) {
        (Some(i), _) => i,
        (None, Some(u)) => inv
            .index_of(u)
            .ok_or_else(|| input(anyhow!("--uid: '{u}' is not in the committed inventory")))?,
        (None, None) => return Err(input(anyhow!("name what to open: --index, --uid or --zone"))),
    };
    let o = inv.open(index).map_err(|e| input(anyhow!("--index: {e}")))?;
    print_json(&o)?;
    Ok(0)
}

fn verify(commitment: &Path, file: &Path, format: Format) -> Outcome {
    let c: Commitment = read_json(commitment, "an inventory commitment")?;
    let v: serde_json::Value = read_json(file, "JSON")?;
    let result = if v.get("openings").is_some() {
        let z: ZoneReveal = serde_json::from_value(v).map_err(|e| input(anyhow!("{}: not a zone reveal: {e}", file.display())))?;
        inventory::verify_zone_reveal(&c, &z).map(|records| format!("zone '{}' complete: {} items", z.zone, records.len()))
    } else {
        let o: Opening = serde_json::from_value(v).map_err(|e| input(anyhow!("{}: not an opening: {e}", file.display())))?;
        inventory::verify_opening(&c, &o).map(|()| {
            format!(
                "leaf {} opens to {} ({}, {}, {})",
                o.index,
                o.record.uid,
                o.record.item_type,
                o.record.zone,
                o.record.status.word()
            )
        })
    };
    let (ok, said) = match result {
        Ok(s) => (true, s),
        Err(e) => (false, e.to_string()),
    };
    if json(format) {
        print_json(&serde_json::json!({"verified": ok, "detail": said}))?;
    } else {
        println!("{}: {said}", if ok { "verified" } else { "NOT VERIFIED" });
    }
    Ok(if ok { 0 } else { CHECK_FAILED })
}

fn hex32(flag: &str, text: &str) -> Result<[u8; 32], Failure> {
    accord_ledger::record::unhex(text.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| input(anyhow!("{flag}: 64 hex digits expected")))
}

fn draw(commitment: &Path, a: &str, b: &str, ctx: &str, k: u64, format: Format) -> Outcome {
    let c: Commitment = read_json(commitment, "an inventory commitment")?;
    let seed = sample::seed(&hex32("--reveal-a", a)?, &hex32("--reveal-b", b)?, &c.root, c.size, ctx);
    let indexes = sample::draw(&seed, c.size, k).map_err(|e| input(anyhow!("-k: {e}")))?;
    if json(format) {
        let hex: String = seed.iter().map(|x| format!("{x:02x}")).collect();
        print_json(&serde_json::json!({"format": "accord-sample/1", "seed": hex, "size": c.size, "indexes": indexes}))?;
    } else {
        println!("{}", indexes.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
    }
    Ok(0)
}

struct ProveArgs<'a> {
    decl: &'a InventoryDecl,
    commitment: &'a Path,
    name: String,
    statuses: &'a [String],
    cap: Option<u64>,
    baseline: Option<(&'a Path, &'a Path)>,
    bits: u8,
    out: &'a Path,
    openings_out: &'a Path,
}

fn prove(a: ProveArgs<'_>) -> Outcome {
    if a.out == a.openings_out {
        return Err(input(anyhow!(
            "--out and --openings-out name the same file: the proof is public, the openings are not"
        )));
    }
    let (inv, _) = rebuild(a.decl, a.commitment)?;
    let wanted: Vec<Status> = a
        .statuses
        .iter()
        .map(|s| {
            serde_json::from_value::<Status>(serde_json::Value::String(s.clone()))
                .ok()
                .filter(|s| *s != Status::Padding)
                .ok_or_else(|| {
                    input(anyhow!(
                        "--status: '{s}' (expected deployed, non_deployed or awaiting_dismantlement)"
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let (cap, secret) = match (a.cap, a.baseline) {
        (Some(v), None) => (Cap::Public(v), None),
        (None, Some((proof, openings))) => {
            let base: LimitProof = read_json(proof, "a limit proof")?;
            let opened: Openings = read_json(openings, "limit-proof openings")?;
            let mut rng = crate::clock::rng();
            totals::verify(&base, &mut rng).map_err(|e| input(anyhow!("{}: the baseline does not verify: {e}", proof.display())))?;
            totals::verify_openings(&base, &opened).map_err(|e| input(anyhow!("{}: {e}", openings.display())))?;
            let secret = CapSecret::of(&opened).map_err(|e| input(anyhow!("{}: {e}", openings.display())))?;
            (base.as_cap(), Some(secret))
        }
        _ => return Err(input(anyhow!("name the cap: --cap N, or --baseline with --baseline-openings"))),
    };
    let mut rng = crate::clock::rng();
    let (proof, openings) = match totals::prove_inventory(&inv, &a.name, &wanted, cap, secret.as_ref(), a.bits, &mut rng) {
        Ok(x) => x,
        Err(e @ EscrowError::OverCap { .. }) => {
            eprintln!("no proof: {e}");
            return Ok(CHECK_FAILED);
        }
        Err(e) => return Err(input(anyhow!("{e}"))),
    };
    write_secret(a.openings_out, &pretty(&openings)?)?;
    if let Err(e) = write_atomic(a.out, &pretty(&proof)?) {
        // No openings without their proof: a re-run must not find them in the way.
        let _ = std::fs::remove_file(a.openings_out);
        return Err(e);
    }
    eprintln!(
        "proved {} within the cap over {} zones; proof {}, openings {} (mode 0600)",
        proof.statement.name,
        proof.statement.zones.len(),
        a.out.display(),
        a.openings_out.display()
    );
    Ok(0)
}

fn verify_proof(file: &Path, commitment: Option<&Path>, format: Format) -> Outcome {
    let p: LimitProof = read_json(file, "a limit proof")?;
    let mut rng = crate::clock::rng();
    let mut result = match totals::verify(&p, &mut rng) {
        // A malformed proof is bad input; a well-formed one that does not hold is a failed check.
        Err(e @ (EscrowError::Proof(_) | EscrowError::Format(_))) => return Err(input(anyhow!("{}: {e}", file.display()))),
        r => r.map_err(|e| e.to_string()),
    };
    if let (Ok(()), Some(cpath)) = (&result, commitment) {
        let c: Commitment = read_json(cpath, "an inventory commitment")?;
        let named = p.statement.inventory_root.as_deref();
        if !p.is_of(&c) {
            result = Err(format!(
                "the proof speaks for inventory {} ({} {}), not {} ({} {})",
                named.unwrap_or("(none)"),
                p.statement.party,
                p.statement.as_of,
                c.root,
                c.context.party,
                c.context.as_of
            ));
        }
    }
    let cap = p.statement.cap.to_string();
    let said = match &result {
        Ok(()) => format!(
            "{} {} of {} as of {}: within {cap} (over {} zones; nothing else disclosed)",
            p.statement.party,
            p.statement.name,
            p.statement.treaty,
            p.statement.as_of,
            p.statement.zones.len()
        ),
        Err(e) => e.clone(),
    };
    if json(format) {
        print_json(&serde_json::json!({"verified": result.is_ok(), "detail": said}))?;
    } else {
        println!("{}: {said}", if result.is_ok() { "verified" } else { "NOT VERIFIED" });
    }
    Ok(if result.is_ok() { 0 } else { CHECK_FAILED })
}
