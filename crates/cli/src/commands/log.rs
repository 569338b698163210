//! `accord log ...`: a Party's transparency log on disk (crates/logstore) and the formats of
//! crates/tlog. This module reads files, the clock and the OS random generator (through `crate::clock`), and maps errors
//! to exit codes; everything else happens in those crates.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use accord_logstore::dir::{DataDir, DirError};

use super::folder::{blob, database, dir_err, node_err, not_a_database, reader};
use accord_logstore::log::{checkpoint_at, prove_consistency, prove_inclusion, LogError};
use accord_logstore::sequencer::{Options, Sequencer};
use accord_logstore::sqlite::SqliteStore;
use accord_logstore::store::{DynStore, Store, StoreError};
use accord_logstore::verify::Report;
use accord_node::append::{self, Prepared};
use accord_node::storage::Backend as _;
use accord_tlog::entry::{self, Attachment, EntryRef};
use accord_tlog::proof::{ConsistencyDoc, Policy, TlogProof, CONSISTENCY_FORMAT};
use accord_tlog::tile;
use accord_tlog::{leaf_hash, Checkpoint, Hash, Note, VerifierKey};
use accord_treaty::TreatySpec;
use anyhow::anyhow;
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};

use crate::args::{Format, LogCommand, ProveCommand};
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::output::{json, print_json};

pub fn run(c: LogCommand, spec: &TreatySpec, format: Format) -> Outcome {
    match c {
        LogCommand::Init { data, origin, party } => init(&data.data, &origin, &party, spec, format),
        LogCommand::Key { data } => {
            let k = super::folder::recorded_key(&data.data)?;
            if json(format) {
                print_json(&serde_json::json!({"vkey": k.to_string(), "origin": k.name(), "key_id": format!("{:08x}", k.id())}))?;
            } else {
                println!("{k}");
            }
            Ok(0)
        }
        LogCommand::Append {
            data,
            files,
            jsonl,
            refs,
            attachments,
        } => {
            let extras = Extras::parse(&refs, &attachments)?;
            if jsonl {
                append_stream(&data.data, spec, &extras, format)
            } else {
                append_files(&data.data, &files, spec, &extras, format)
            }
        }
        LogCommand::Checkpoint { data, size, all } => checkpoint(&data.data, size, all, format),
        LogCommand::Show { data, index, raw } => show(&data.data, index, raw),
        LogCommand::Verify {
            data,
            tiles,
            key,
            cosigner,
            config,
        } => match (data, tiles) {
            (_, Some(t)) => verify_tiles(&t, key.as_deref(), format),
            (Some(d), None) => verify_store(&d, key.as_deref(), &cosigners(&cosigner, config.as_deref())?, format),
            (None, None) => Err(input(anyhow!("give --data DIR or --tiles DIR"))),
        },
        LogCommand::Prove(p) => prove(p, format),
        LogCommand::VerifyProof {
            file,
            key,
            data,
            entry,
            witness,
            quorum,
            policy,
        } => match policy {
            Some(p) => verify_proof_policy(&file, &p, entry.as_deref(), format),
            None => verify_proof(&file, key.as_deref(), data.as_deref(), entry.as_deref(), &witness, quorum, format),
        },
        LogCommand::ExportTiles {
            data,
            out,
            to,
            endpoint,
            entries,
            public,
        } => match (out, to) {
            (Some(out), None) => export_tiles(&data.data, &out, public, format),
            (None, Some(to)) => super::publish::to_s3(&data.data, &to, endpoint.as_deref(), entries, format),
            _ => Err(input(anyhow!("name one of --out DIR or --to s3://BUCKET/PREFIX"))),
        },
        LogCommand::WitnessRequest { data, old, out } => witness_request(&data.data, old, out.as_deref()),
        LogCommand::Cosign { data, witness, size, file } => cosign(&data.data, &witness, size, file.as_deref(), format),
    }
}

fn log_err(e: LogError) -> Failure {
    match &e {
        LogError::Inconsistent(_) | LogError::Store(StoreError::Corrupt(_)) => Failure {
            code: CHECK_FAILED,
            error: e.into(),
        },
        LogError::Store(_) => io(e),
        _ => input(e),
    }
}

fn store_err(e: StoreError) -> Failure {
    log_err(LogError::Store(e))
}

/// The root (base64) of a signed checkpoint note, or "" if it does not parse.
fn checkpoint_root(note: &[u8]) -> String {
    Note::parse(note)
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .map(|c| b64(&c.root))
        .unwrap_or_default()
}

/// A hash as tlog formats write it: standard base64.
fn b64(h: &Hash) -> String {
    B64.encode(h.0)
}

fn init(dir: &Path, origin: &str, party: &str, spec: &TreatySpec, format: Format) -> Outcome {
    if spec.party(party).is_none() {
        let codes: Vec<&str> = spec.parties.iter().map(|p| p.code.as_str()).collect();
        return Err(input(anyhow!(
            "--party: '{party}' is not a Party of {} ({})",
            spec.short_name,
            codes.join(", ")
        )));
    }
    if origin.is_empty() || origin.contains(char::is_whitespace) || origin.contains('+') {
        return Err(input(anyhow!(
            "--origin: '{origin}' must be non-empty, without spaces or '+' (e.g. accord.example/us/new-start)"
        )));
    }
    crate::files::not_a_file(dir)?;
    let d = DataDir::new(dir);
    let (log, _lock) = d.init(origin, party, crate::clock::random::<32>()).map_err(dir_err)?;
    let vkey = log.verifier().to_string();
    if json(format) {
        print_json(&serde_json::json!({
            "data": dir.display().to_string(), "origin": origin, "party": party, "vkey": vkey,
            "checkpoint": String::from_utf8_lossy(log.latest()),
        }))?;
    } else {
        eprintln!(
            "created the log {origin} of {party} in {} (private key: {}, mode 0600)",
            dir.display(),
            d.key_file().display()
        );
        println!("{vkey}");
    }
    Ok(0)
}

/// References and attachments given on the command line, put in every appended entry.
struct Extras {
    refs: Vec<EntryRef>,
    attachments: Vec<Attachment>,
}

impl Extras {
    fn parse(refs: &[String], files: &[PathBuf]) -> Result<Extras, Failure> {
        let mut out = Extras {
            refs: Vec::new(),
            attachments: Vec::new(),
        };
        for r in refs {
            let bad = |why: &str| input(anyhow!("--ref {r:?}: {why}; the form is ORIGIN:INDEX:LEAF_HASH_BASE64"));
            let mut parts = r.rsplitn(3, ':');
            let (Some(h), Some(i), Some(origin)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad("not three parts"));
            };
            let index: u64 = i.parse().map_err(|_| bad("the index is not a number"))?;
            let raw = B64.decode(h).map_err(|_| bad("the leaf hash is not base64"))?;
            let a: [u8; 32] = raw.try_into().map_err(|_| bad("the leaf hash is not 32 bytes"))?;
            out.refs.push(EntryRef {
                origin: origin.to_owned(),
                index,
                leaf_hash: Hash(a),
            });
        }
        for f in files {
            let bytes = std::fs::read(f).map_err(|e| input(anyhow!("--attach {}: {e}", f.display())))?;
            out.attachments.push(Attachment {
                name: f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
                size: bytes.len() as u64,
                sha256: accord_logstore::dir::sha256_hex(&bytes),
            });
        }
        Ok(out)
    }
}

/// Validates one notification against the catalogue and the log's Party (the node's check, one
/// copy: `accord_node::append`); a `received` the file carries is kept, as a log built offline
/// from a simulated history needs.
fn validated(spec: &TreatySpec, text: &str, party: &str, what: &str) -> Result<serde_json::Value, Failure> {
    append::validate_with(spec, text, party, append::SenderReceived::Keep).map_err(|e| input(anyhow!("{what}: {e}")))
}

/// A notification ready to be logged, inline or by hash (the node's preparation, one copy).
fn prepare(d: &DataDir, party: &str, notification: serde_json::Value, extras: &Extras, what: &str) -> Result<Prepared, Failure> {
    append::prepare(d, party, notification, extras.refs.clone(), extras.attachments.clone()).map_err(|e| match e {
        append::SubmitError::Invalid(m) => input(anyhow!("{what}: {m}")),
        append::SubmitError::Dir(e) => dir_err(e),
        append::SubmitError::Storage(e) => crate::failure::io(e),
    })
}

/// The notification ids a log holds, with their entry index (one pass over the entries; a
/// notification logged by hash is read from its blob).
fn logged_ids(d: &DataDir, store: &dyn Store) -> Result<std::collections::HashMap<String, u64>, Failure> {
    let (size, _) = store.latest().map_err(|e| io(anyhow!("{e}")))?;
    let mut ids = std::collections::HashMap::new();
    store
        .scan_entries(0, size, &mut |i, bytes| {
            let id_of = |text: &[u8]| -> Option<String> {
                let v: serde_json::Value = serde_json::from_slice(text).ok()?;
                v.get("id")?.as_str().map(str::to_owned)
            };
            let id = match entry::read_stored(bytes) {
                Ok(e) => match e.notification {
                    Some(raw) => id_of(raw.get().as_bytes()),
                    None => by_hash_notification(bytes).and_then(|h| d.blob(h).ok()).and_then(|b| id_of(&b)),
                },
                Err(_) => None,
            };
            if let Some(id) = id {
                ids.entry(id).or_insert(i);
            }
            Ok(())
        })
        .map_err(|e| io(anyhow!("{e}")))?;
    Ok(ids)
}

/// Refuses a notification whose id the log holds already, or that an earlier input of the
/// same call carries: an id names one notification (the node answers a second submission with
/// the first's receipt; offline, twice is a mistake to say, not to log).
fn unique_id(ids: &mut std::collections::HashMap<String, u64>, value: &serde_json::Value, at: u64, what: &str) -> Result<(), Failure> {
    let id = value.get("id").and_then(|v| v.as_str()).unwrap_or_default();
    if let Some(i) = ids.get(id) {
        return Err(input(anyhow!("{what}: id {id} is already logged (entry {i}); nothing was logged")));
    }
    ids.insert(id.to_owned(), at);
    Ok(())
}

fn encode_entry(party: &str, seq: u64, p: &Prepared) -> Result<Vec<u8>, entry::EntryError> {
    append::encode(party, seq, crate::clock::random::<16>(), p)
}

fn append_files(dir: &Path, files: &[PathBuf], spec: &TreatySpec, extras: &Extras, format: Format) -> Outcome {
    not_a_database(dir)?;
    let d = DataDir::new(dir);
    let (mut log, _lock) = d.open_writer().map_err(dir_err)?;
    let party = log.meta().party.clone();
    let mut inputs = Vec::new();
    if files.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| input(anyhow!("standard input: {e}")))?;
        inputs.push(("standard input".to_owned(), text));
    } else {
        for f in files {
            inputs.push((f.display().to_string(), crate::files::read_text(f)?));
        }
    }
    // Everything is checked before anything is logged: all or nothing.
    let mut ids = logged_ids(&d, log.store())?;
    let mut entries = Vec::new();
    for (i, (name, text)) in inputs.iter().enumerate() {
        let value = validated(spec, text, &party, name)?;
        unique_id(&mut ids, &value, log.size() + i as u64, name)?;
        let prepared = prepare(&d, &party, value, extras, name)?;
        let bytes = encode_entry(&party, log.size() + i as u64, &prepared).map_err(|e| input(anyhow!("{name}: {e}")))?;
        entries.push(bytes);
    }
    let done = log.append(&entries).map_err(log_err)?;
    let cp = String::from_utf8_lossy(&done.checkpoint).to_string();
    if json(format) {
        let logged: Vec<_> = inputs
            .iter()
            .zip(&done.leaf_hashes)
            .enumerate()
            .map(|(i, ((name, _), h))| serde_json::json!({"source": name, "index": done.first + i as u64, "leaf_hash": b64(h)}))
            .collect();
        print_json(&serde_json::json!({"logged": logged, "size": done.size, "checkpoint": cp}))?;
    } else {
        for (i, ((name, _), h)) in inputs.iter().zip(&done.leaf_hashes).enumerate() {
            println!("logged {name} as entry {} (leaf hash {})", done.first + i as u64, b64(h));
        }
        print!("{cp}");
    }
    Ok(0)
}

/// A stream: each line is validated (and sized) here, handed to the sequencer, and
/// acknowledged (one line on standard output, flushed) only once durable. A bad line is
/// reported with its number and stops the stream: nothing after it is submitted, and the lines
/// before it stay logged and acknowledged.
fn append_stream(dir: &Path, spec: &TreatySpec, extras: &Extras, format: Format) -> Outcome {
    use accord_logstore::sequencer::{Receipt, SeqError};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    not_a_database(dir)?;
    let d = DataDir::new(dir);
    let (log, lock) = d.open_writer().map_err(dir_err)?;
    let party = log.meta().party.clone();
    let mut ids = logged_ids(&d, log.store())?;
    let mut next = log.size();
    let seq = Sequencer::start(log, Options::default());
    type Pending = (usize, std::sync::mpsc::Receiver<Result<Receipt, SeqError>>);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Pending>(8192);
    let as_json = json(format);
    let stop = Arc::new(AtomicBool::new(false));
    let stop_printer = Arc::clone(&stop);
    // Acknowledgements are printed in submission order by their own thread; after a failure it
    // goes on printing the entries that did become durable, and reports the first failure.
    let printer = std::thread::spawn(move || -> (u64, Option<Failure>) {
        let out = std::io::stdout();
        let mut out = out.lock();
        let mut n = 0u64;
        let mut first: Option<Failure> = None;
        for (line_no, r) in rx {
            let receipt = match r.recv() {
                Ok(Ok(receipt)) => receipt,
                Ok(Err(e)) => {
                    stop_printer.store(true, Ordering::SeqCst);
                    let f = match e {
                        SeqError::Refused(why) => input(anyhow!("line {line_no}: {why}")),
                        SeqError::Log(e) => {
                            let mut f = log_err(e);
                            f.error = f.error.context(format!("line {line_no}: not logged"));
                            f
                        }
                        SeqError::Stopped => io(anyhow!("line {line_no}: the sequencer stopped")),
                    };
                    first.get_or_insert(f);
                    continue;
                }
                Err(_) => {
                    stop_printer.store(true, Ordering::SeqCst);
                    first.get_or_insert(io(anyhow!("line {line_no}: the sequencer stopped")));
                    continue;
                }
            };
            let line = if as_json {
                serde_json::json!({"line": line_no, "index": receipt.index, "leaf_hash": b64(&receipt.leaf_hash), "size": receipt.size, "root": checkpoint_root(&receipt.checkpoint)})
                    .to_string()
            } else {
                format!(
                    "line {line_no}: entry {} leaf {} checkpoint size {}",
                    receipt.index,
                    b64(&receipt.leaf_hash),
                    receipt.size
                )
            };
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                // Nobody reads the acknowledgements any more: stop taking input.
                stop_printer.store(true, Ordering::SeqCst);
                first.get_or_insert(io(anyhow!("standard output closed")));
                continue;
            }
            n += 1;
        }
        (n, first)
    });
    let mut failure = None;
    let stdin = std::io::stdin();
    for (i, line) in stdin.lock().lines().enumerate() {
        let line_no = i + 1;
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                failure = Some(input(anyhow!("standard input line {line_no}: {e}")));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let what = format!("line {line_no}");
        let checked = validated(spec, &line, &party, &what).and_then(|v| unique_id(&mut ids, &v, next, &what).map(|()| v));
        let prepared = match checked.and_then(|v| prepare(&d, &party, v, extras, &what)) {
            Ok(p) => p,
            Err(f) => {
                failure = Some(f);
                break;
            }
        };
        let party = party.clone();
        next += 1;
        match seq.submit(Box::new(move |index| {
            encode_entry(&party, index, &prepared).map_err(|e| e.to_string())
        })) {
            Ok(r) => {
                if tx.send((line_no, r)).is_err() {
                    break;
                }
            }
            Err(e) => {
                failure = Some(io(anyhow!("line {line_no}: {e}")));
                break;
            }
        }
    }
    drop(tx);
    let (printed, printer_failure) = printer.join().map_err(|_| io(anyhow!("the acknowledgement printer panicked")))?;
    let log = seq.stop();
    drop(lock);
    if let Some(f) = printer_failure.or(failure) {
        eprintln!("{printed} entries logged and acknowledged before the failure");
        return Err(f);
    }
    if let Some(log) = log {
        eprintln!("{printed} entries logged; log size {}", log.size());
    }
    Ok(0)
}

/// Entry `index` of a log whose size is above it: a missing row is damage (exit 1).
fn entry_at(store: &dyn Store, index: u64) -> Result<Vec<u8>, Failure> {
    store.entry(index).map_err(|e| match e {
        StoreError::NotFound(_) => Failure {
            code: CHECK_FAILED,
            error: anyhow!("entry {index} is missing from the store, below its size: run accord log verify"),
        },
        other => store_err(other),
    })
}

fn checkpoint(dir: &Path, size: Option<u64>, all: bool, format: Format) -> Outcome {
    let store = reader(dir)?;
    if all {
        let mut rows = Vec::new();
        store
            .scan_checkpoints(&mut |s, note| {
                let root = Note::parse(note)
                    .ok()
                    .and_then(|n| Checkpoint::parse(&n.text).ok())
                    .map(|c| b64(&c.root))
                    .unwrap_or_else(|| "(malformed)".into());
                rows.push((s, root));
                Ok(())
            })
            .map_err(store_err)?;
        if json(format) {
            let v: Vec<_> = rows.iter().map(|(s, r)| serde_json::json!({"size": s, "root": r})).collect();
            print_json(&serde_json::json!({ "checkpoints": v }))?;
        } else {
            for (s, r) in rows {
                println!("{s}\t{r}");
            }
        }
        return Ok(0);
    }
    let (note, cp, cosignatures) = cosigned_note(&store, size)?;
    if json(format) {
        print_json(
            &serde_json::json!({"origin": cp.origin, "size": cp.size, "root": b64(&cp.root), "note": String::from_utf8_lossy(&note), "cosignatures": cosignatures}),
        )?;
    } else {
        std::io::stdout().write_all(&note).map_err(io)?;
    }
    Ok(0)
}

fn show(dir: &Path, index: u64, raw: bool) -> Outcome {
    let store = reader(dir)?;
    let (size, _) = store.latest().map_err(store_err)?;
    if index >= size {
        return Err(input(anyhow!("--index {index}: the log has {size} entries")));
    }
    let bytes = entry_at(&store, index)?;
    if raw {
        std::io::stdout().write_all(&bytes).map_err(io)?;
        return Ok(0);
    }
    let e = entry::decode(&bytes).map_err(|e| Failure {
        code: CHECK_FAILED,
        error: anyhow!("entry {index}: {e}"),
    })?;
    let v = serde_json::to_value(&e).map_err(io)?;
    let mut out = serde_json::json!({"index": index, "leaf_hash": b64(&leaf_hash(&bytes)), "entry": v});
    // A notification logged by hash: read it from the blobs, checked against its hash.
    if e.notification.is_null() {
        if let Some(a) = e.attachments.iter().find(|a| a.name == entry::NOTIFICATION_ATTACHMENT) {
            let blob = blob(dir, &a.sha256).map_err(|err| Failure {
                code: CHECK_FAILED,
                error: anyhow!("entry {index}: its notification (logged by hash): {err}"),
            })?;
            let n: serde_json::Value = serde_json::from_slice(&blob).map_err(|err| Failure {
                code: CHECK_FAILED,
                error: anyhow!("entry {index}: blob {} is not JSON: {err}", a.sha256),
            })?;
            out["notification"] = n;
        }
    }
    print_json(&out)?;
    Ok(0)
}

fn vkey(s: &str, what: &str) -> Result<VerifierKey, Failure> {
    VerifierKey::parse(s).map_err(|e| input(anyhow!("{what}: {e}")))
}

fn print_report(r: &Report, format: Format, started: std::time::Instant) -> Outcome {
    let secs = started.elapsed().as_secs_f64();
    if json(format) {
        let problems: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        print_json(&serde_json::json!({
            "origin": r.origin, "size": r.size, "entries": r.entries, "hashes": r.hashes,
            "checkpoints": r.checkpoints, "bytes": r.bytes, "seconds": secs,
            "ok": r.ok(), "problem_count": r.problem_count, "problems": problems,
        }))?;
    } else {
        if !r.origin.is_empty() {
            println!(
                "{}: size {}, {} entries ({} bytes), {} stored hashes, {} checkpoints checked in {secs:.2} s",
                r.origin, r.size, r.entries, r.bytes, r.hashes, r.checkpoints
            );
        }
        for p in &r.problems {
            println!("PROBLEM {p}");
        }
        if r.ok() {
            println!("ok: every leaf hash, stored hash, checkpoint signature and root verifies; all checkpoints are consistent");
        } else {
            println!("FAILED: {} problem(s)", r.problem_count);
        }
    }
    Ok(if r.ok() { 0 } else { CHECK_FAILED })
}

/// The cosigners `log verify` checks lines against: `--cosigner` keys, and a node
/// configuration's partners' node keys and witnesses' keys. `None`: none given (lines are then
/// checked for form only).
fn cosigners(given: &[String], config: Option<&Path>) -> Result<Option<Vec<VerifierKey>>, Failure> {
    let mut keys = Vec::new();
    for k in given {
        keys.push(vkey(k, "--cosigner")?);
    }
    if let Some(c) = config {
        let cfg = accord_node::NodeConfig::load(c).map_err(|e| input(anyhow!("{e}")))?;
        let k = cfg.keys().map_err(|e| input(anyhow!("{}: {e}", c.display())))?;
        keys.extend(k.cosigners());
    }
    Ok((!given.is_empty() || config.is_some()).then_some(keys))
}

/// Every cosignature line kept beside a checkpoint: well formed, and, with `cosigners`, by one
/// of them and verifying over that checkpoint. A forged line would otherwise be served in
/// `/log/checkpoint` and in proofs.
fn check_cosignatures(store: &dyn Store, cosigners: Option<&[VerifierKey]>) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_size: std::collections::BTreeMap<u64, Vec<String>> = std::collections::BTreeMap::new();
    let _ = store.scan_cosignatures_desc(&mut |size, line| {
        by_size.entry(size).or_default().push(line.to_owned());
        true
    });
    for (size, lines) in by_size.into_iter().rev() {
        let Some(note) = store.checkpoint(size).ok().flatten().and_then(|n| Note::parse(&n).ok()) else {
            out.push(format!("cosignatures of size {size}: no readable checkpoint of that size"));
            continue;
        };
        for line in lines {
            let sig = match accord_tlog::note::NoteSignature::parse_line(&line) {
                Ok(s) => s,
                Err(e) => {
                    out.push(format!("cosignature of size {size}: not a signature line ({e}): {line:?}"));
                    continue;
                }
            };
            let Some(keys) = cosigners else { continue };
            if !keys.iter().any(|k| k.name() == sig.name && k.id() == sig.id) {
                out.push(format!("cosignature of size {size} by {}: not a cosigner given", sig.name));
            } else if accord_node::state::verified_cosignature(&note.text, &line, keys).is_none() {
                out.push(format!("cosignature of size {size} by {}: does not verify", sig.name));
            }
        }
    }
    out
}

fn verify_store(dir: &Path, key: Option<&str>, cosigners: &Option<Vec<VerifierKey>>, format: Format) -> Outcome {
    let started = std::time::Instant::now();
    if let Some(b) = database(dir)? {
        return verify_database(dir, &b, key, cosigners, format, started);
    }
    let d = DataDir::new(dir);
    let store = match d.open_reader() {
        Ok(s) => s,
        Err(DirError::Store(e @ (StoreError::Corrupt(_) | StoreError::Backend(_)))) => {
            let r = Report {
                problems: vec![accord_logstore::verify::Problem::Store(e.to_string())],
                problem_count: 1,
                ..Report::default()
            };
            return print_report(&r, format, started);
        }
        Err(e) => return Err(dir_err(e)),
    };
    let key = match key {
        Some(k) => vkey(k, "--key")?,
        None => match store.meta() {
            Ok(m) => vkey(&m.vkey, "the recorded key")?,
            Err(e) => {
                let r = Report {
                    problems: vec![accord_logstore::verify::Problem::Store(e.to_string())],
                    problem_count: 1,
                    ..Report::default()
                };
                return print_report(&r, format, started);
            }
        },
    };
    let mut bar = crate::progress::Progress::new(store.latest().map(|(n, _)| n).unwrap_or(0), "verifying");
    // Each notification logged by hash must have its blob, with the right content.
    let blobs = d.clone();
    let inspect = move |_: u64, entry: &[u8]| -> Option<String> {
        let sha = by_hash_notification(entry)?;
        blobs.blob(sha).err().map(|e| format!("its notification, logged by hash: {e}"))
    };
    let mut report = accord_logstore::verify::verify_sqlite(&store, &d.db(), &key, Some(&inspect), &mut |n| bar.set(n));
    bar.finish();
    let mut extra = Vec::new();
    let (_, blob_problems) = d.check_blobs();
    extra.extend(blob_problems);
    extra.extend(check_meta(&d, &store));
    extra.extend(node_databases(dir));
    extra.extend(check_cosignatures(&store, cosigners.as_deref()));
    for p in extra {
        report.add(accord_logstore::verify::Problem::Store(p));
    }
    print_report(&report, format, started)
}

/// [`verify_store`] for a node on PostgreSQL: the own log in one snapshot (every leaf, stored
/// hash, checkpoint signature and root), the notification of each entry logged by hash
/// against its blob, the recorded metadata against the key file, the cosignatures, and each
/// partner's mirror as the log it mirrors. (The witness state's integrity is the server's.)
fn verify_database(
    dir: &Path,
    b: &accord_node::storage::postgres::Postgres,
    key: Option<&str>,
    cosigners: &Option<Vec<VerifierKey>>,
    format: Format,
    started: std::time::Instant,
) -> Outcome {
    let fail = |e: String| {
        let r = Report {
            problems: vec![accord_logstore::verify::Problem::Store(e)],
            problem_count: 1,
            ..Report::default()
        };
        print_report(&r, format, started)
    };
    let store = match b.open_reader() {
        Ok(s) => s,
        Err(e @ accord_node::error::NodeError::Internal(_)) => return fail(e.to_string()),
        Err(e) => return Err(node_err(dir)(e)),
    };
    let key = match key {
        Some(k) => vkey(k, "--key")?,
        None => match store.meta() {
            Ok(m) => vkey(&m.vkey, "the recorded key")?,
            Err(e) => return fail(e.to_string()),
        },
    };
    let size = store.latest().map(|(n, _)| n).unwrap_or(0);
    let mut bar = crate::progress::Progress::new(size, "verifying");
    let mut report = accord_logstore::verify::verify(&store, &key, accord_logstore::verify::Leaves::Inline, &mut |n| bar.set(n));
    bar.finish();
    let mut extra = Vec::new();
    let scanned = store.scan_entries(0, size, &mut |i, e| {
        if let Some(sha) = by_hash_notification(e) {
            if let Err(err) = b.blob(sha) {
                extra.push(format!("entry {i}: its notification, logged by hash: {err}"));
            }
        }
        Ok(())
    });
    if let Err(e) = scanned {
        extra.push(e.to_string());
    }
    extra.extend(check_meta(&DataDir::new(dir), &store));
    extra.extend(check_cosignatures(&store, cosigners.as_deref()));
    // Each partner's mirror, as the log it mirrors, against the key it records.
    match b.mirrored() {
        Ok(parties) => {
            for party in parties {
                let what = format!("the mirror of {} (schema {}_mirror_{party})", party.to_uppercase(), b.party());
                let checked = b.read_mirror_of(&party).map_err(|e| e.to_string()).and_then(|m| {
                    let m = m.ok_or("gone")?;
                    let key = m
                        .meta()
                        .map_err(|e| e.to_string())
                        .and_then(|meta| VerifierKey::parse(&meta.vkey).map_err(|e| e.to_string()))?;
                    Ok(accord_logstore::verify::verify(
                        &m,
                        &key,
                        accord_logstore::verify::Leaves::Inline,
                        &mut |_| {},
                    ))
                });
                match checked {
                    Ok(r) => extra.extend(r.problems.iter().map(|p| format!("{what}: {p}"))),
                    Err(e) => extra.push(format!("{what}: {e}")),
                }
            }
        }
        Err(e) => extra.push(format!("the mirrors: {e}")),
    }
    for p in extra {
        report.add(accord_logstore::verify::Problem::Store(p));
    }
    print_report(&report, format, started)
}

/// In a node's folder, every other database is verified too: each partner's mirror
/// (`partner.db`, `partner-<PARTY>.db`) as the log it mirrors, against the key it records, each
/// problem located and named by file; and the witness state (`witness.db`) by SQLite's own
/// integrity check. Nothing is written.
fn node_databases(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let mirror = name == "partner.db" || (name.starts_with("partner-") && name.ends_with(".db"));
        if mirror {
            let store = match SqliteStore::open_read_only(&path) {
                Ok(s) => s,
                Err(e) => {
                    out.push(format!("{name} (a partner's mirror): {e}"));
                    continue;
                }
            };
            let key = match store
                .meta()
                .map_err(|e| e.to_string())
                .and_then(|m| VerifierKey::parse(&m.vkey).map_err(|e| e.to_string()))
            {
                Ok(k) => k,
                Err(e) => {
                    out.push(format!("{name} (a partner's mirror): its recorded key: {e}"));
                    continue;
                }
            };
            let r = accord_logstore::verify::verify_sqlite(&store, &path, &key, None, &mut |_| {});
            for p in &r.problems {
                out.push(format!("{name} (the mirror of {}): {p}", r.origin));
            }
            if r.problem_count > r.problems.len() as u64 {
                out.push(format!("{name}: {} more problems", r.problem_count - r.problems.len() as u64));
            }
        } else if name == "witness.db" {
            for p in accord_logstore::witness::WitnessState::check_file(&path) {
                out.push(format!("{name} (the witness state): {p}"));
            }
        }
    }
    out
}

/// The SHA-256 (hex) of a notification logged by hash, read from the entry's canonical prefix:
/// such an entry starts with that attachment (keys sorted, the attachment first).
fn by_hash_notification(entry: &[u8]) -> Option<&str> {
    let prefix = format!("{{\"attachments\":[{{\"name\":\"{}\",\"sha256\":\"", entry::NOTIFICATION_ATTACHMENT);
    let rest = entry.strip_prefix(prefix.as_bytes())?;
    std::str::from_utf8(rest.get(..64)?).ok()
}

/// The log's metadata is not signed: check it against what is (the key file, and the Party of
/// the first and last entries).
fn check_meta(d: &DataDir, store: &dyn Store) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(meta) = store.meta() else {
        return out;
    };
    if d.key_file().exists() {
        match d.signer() {
            Ok(k) if k.verifier().to_string() != meta.vkey => {
                out.push(format!(
                    "meta: the recorded key {} is not the key file's {}",
                    meta.vkey,
                    k.verifier()
                ));
            }
            Ok(_) => {}
            Err(e) => out.push(format!("{e}")),
        }
    }
    let size = store.latest().map(|(n, _)| n).unwrap_or(0);
    for i in [0, size.saturating_sub(1)] {
        if i >= size {
            continue;
        }
        if let Ok(e) = store.entry(i).map_err(|_| ()).and_then(|b| entry::decode(&b).map_err(|_| ())) {
            if e.party != meta.party {
                out.push(format!(
                    "meta: the log's Party is recorded as {}, but entry {i} is {}'s",
                    meta.party, e.party
                ));
            }
        }
    }
    out
}

fn verify_tiles(dir: &Path, key: Option<&str>, format: Format) -> Outcome {
    let key = vkey(
        key.ok_or_else(|| input(anyhow!("--tiles needs --key VKEY, the log's verifier key")))?,
        "--key",
    )?;
    let fail = |what: String| -> Outcome {
        if json(format) {
            print_json(&serde_json::json!({"ok": false, "problems": [what]}))?;
        } else {
            println!("PROBLEM {what}");
            println!("FAILED");
        }
        Ok(CHECK_FAILED)
    };
    if !dir.is_dir() {
        return Err(input(anyhow!("--tiles {}: no such folder", dir.display())));
    }
    let cp_path = dir.join("checkpoint");
    let bytes = match std::fs::read(&cp_path) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", cp_path.display())),
    };
    let note = match Note::parse(&bytes) {
        Ok(n) => n,
        Err(e) => return fail(format!("checkpoint: {e}")),
    };
    if let Err(e) = note.verify(std::slice::from_ref(&key)) {
        return fail(format!("checkpoint: {e}"));
    }
    let cp = match Checkpoint::parse(&note.text) {
        Ok(c) => c,
        Err(e) => return fail(format!("checkpoint: {e}")),
    };
    if cp.origin != key.name() {
        return fail(format!("checkpoint: origin {:?}, the key is {:?}'s", cp.origin, key.name()));
    }
    let with_entries = dir.join("tile/entries").is_dir();
    let mut read = |p: &str| std::fs::read(dir.join(p)).ok();
    if let Err(e) = tile::check_tiles(cp.size, &cp.root, with_entries, &mut read) {
        return fail(e.to_string());
    }
    // Every other file a server would serve must agree with the tree too.
    if let Some(problem) = check_other_files(dir, cp.size) {
        return fail(problem);
    }
    let n = tile::tiles(cp.size).count();
    if json(format) {
        print_json(&serde_json::json!({"ok": true, "origin": cp.origin, "size": cp.size, "tiles": n, "entries_checked": with_entries}))?;
    } else {
        println!(
            "ok: {} size {}: checkpoint signature, {n} hash tile(s){}, every other file and the root verify",
            cp.origin,
            cp.size,
            if with_entries { " with their entry bundles" } else { "" }
        );
    }
    Ok(0)
}

/// Files under `root`, as paths relative to it with '/' separators.
fn tree_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Checks the files of an exported tree that are not tiles of its checkpoint's tree: an older
/// partial tile or bundle must be a prefix of the current one; a blob must hash to its name;
/// anything else under `tile/` is reported.
fn check_other_files(dir: &Path, size: u64) -> Option<String> {
    for rel in tree_files(&dir.join("tile")) {
        let rel = format!("tile/{rel}");
        let Ok((t, entries)) = tile::TileId::parse_path(&rel) else {
            return Some(format!("{rel}: not a tlog-tiles path"));
        };
        let current = tile::tiles(size).find(|c| c.level == t.level && c.index == t.index);
        let Some(c) = current else {
            return Some(format!("{rel}: beyond the tree of size {size}"));
        };
        if c == t || c.width < t.width {
            if c.width < t.width {
                return Some(format!("{rel}: wider than the tree of size {size} allows"));
            }
            continue;
        }
        let cur_path = if entries { c.entries_path() } else { c.path() };
        let (Ok(old), Ok(cur)) = (std::fs::read(dir.join(&rel)), std::fs::read(dir.join(&cur_path))) else {
            return Some(format!("{rel}: unreadable"));
        };
        let prefix_ok = if entries {
            match (tile::parse_bundle(&rel, &old), tile::parse_bundle(&cur_path, &cur)) {
                (Ok(a), Ok(b)) => a.len() == usize::from(t.width) && b.len() >= a.len() && a[..] == b[..a.len()],
                _ => false,
            }
        } else {
            old.len() == usize::from(t.width) * 32 && cur.starts_with(&old)
        };
        if !prefix_ok {
            return Some(format!("{rel}: an earlier partial tile that is not a prefix of {cur_path}"));
        }
    }
    // Each public release is an entry of the tree (its leaf hash in the level-0 tile, which
    // check_tiles has tied to the root) and a public release.
    let releases = dir.join("releases");
    for name in tree_files(&releases) {
        let Some(i) = name.parse::<u64>().ok().filter(|i| *i < size && name == i.to_string()) else {
            return Some(format!("releases/{name}: not an entry of the tree of size {size}"));
        };
        let Ok(bytes) = std::fs::read(releases.join(&name)) else {
            return Some(format!("releases/{name}: unreadable"));
        };
        let Some(t) = tile::tiles(size).find(|t| t.level == 0 && t.index == i / 256) else {
            return Some(format!("releases/{name}: no tile holds it"));
        };
        let hashes = std::fs::read(dir.join(t.path()))
            .ok()
            .and_then(|b| tile::parse_tile(&t.path(), &b, u64::from(t.width)).ok());
        if hashes.and_then(|h| h.get((i % 256) as usize).copied()) != Some(leaf_hash(&bytes)) {
            return Some(format!("releases/{name}: not entry {i} of the tree (its leaf hash differs)"));
        }
        if !entry::read_stored(&bytes).is_ok_and(|e| e.public.is_some()) {
            return Some(format!("releases/{name}: entry {i} is not a public release"));
        }
    }
    let blobs = dir.join("blobs");
    for name in tree_files(&blobs) {
        let Ok(bytes) = std::fs::read(blobs.join(&name)) else {
            return Some(format!("blobs/{name}: unreadable"));
        };
        let got: String = accord_logstore::dir::sha256_hex(&bytes);
        if got != name {
            return Some(format!("blobs/{name}: its content hashes to {got}"));
        }
    }
    None
}

fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match out {
        Some(p) => crate::files::write_atomic(p, bytes),
        None => std::io::stdout().write_all(bytes).map_err(io),
    }
}

fn prove(p: ProveCommand, format: Format) -> Outcome {
    match p {
        ProveCommand::Inclusion {
            data,
            index,
            size,
            with_entry,
            out,
        } => {
            let store = reader(&data.data)?;
            let (path, note, cp) = prove_inclusion(&store, index, size).map_err(log_err)?;
            let (note, _) = with_cosignatures(&store, note, cp.size)?;
            let bytes = entry_at(&store, index)?;
            let proof = TlogProof {
                extra: with_entry.then(|| bytes.clone()),
                index,
                path: path.clone(),
                checkpoint: Note::parse(&note).map_err(|e| log_err(e.into()))?,
            };
            let text = proof.to_bytes();
            if json(format) {
                let v = serde_json::json!({
                    "index": index, "size": cp.size, "leaf_hash": b64(&leaf_hash(&bytes)),
                    "proof": path.iter().map(b64).collect::<Vec<_>>(),
                    "checkpoint": String::from_utf8_lossy(&note), "tlog_proof": String::from_utf8_lossy(&text),
                });
                emit(
                    out.as_deref(),
                    format!("{}\n", serde_json::to_string_pretty(&v).map_err(io)?).as_bytes(),
                )?;
            } else {
                emit(out.as_deref(), &text)?;
            }
            Ok(0)
        }
        ProveCommand::Consistency { data, from, to, out } => {
            let store = reader(&data.data)?;
            let (proof, old, new) = prove_consistency(&store, from, to).map_err(log_err)?;
            let doc = ConsistencyDoc {
                format: CONSISTENCY_FORMAT.into(),
                from: String::from_utf8_lossy(&old).to_string(),
                to: String::from_utf8_lossy(&new).to_string(),
                proof: proof.iter().map(b64).collect(),
            };
            emit(
                out.as_deref(),
                format!("{}\n", serde_json::to_string_pretty(&doc).map_err(io)?).as_bytes(),
            )?;
            Ok(0)
        }
    }
}

fn verify_proof(
    file: &Path,
    key: Option<&str>,
    data: Option<&Path>,
    entry_file: Option<&Path>,
    witnesses: &[String],
    quorum: Option<usize>,
    format: Format,
) -> Outcome {
    let log_key = match (key, data) {
        (Some(k), _) => vkey(k, "--key")?,
        (None, Some(d)) => super::folder::recorded_key(d)?,
        (None, None) => return Err(input(anyhow!("give the log's key: --key VKEY or --data DIR"))),
    };
    let witnesses: Vec<VerifierKey> = witnesses.iter().map(|w| vkey(w, "--witness")).collect::<Result<_, _>>()?;
    let policy = Policy {
        origin: log_key.name().to_owned(),
        log_keys: vec![log_key],
        quorum: quorum.unwrap_or(usize::from(!witnesses.is_empty())),
        witnesses,
    };
    let bytes = crate::files::read_bytes(file)?;
    let result = |ok: bool, what: String, extra: serde_json::Value| -> Outcome {
        if json(format) {
            print_json(&serde_json::json!({"ok": ok, "message": what, "detail": extra}))?;
        } else {
            println!("{}{what}", if ok { "ok: " } else { "FAILED: " });
        }
        Ok(if ok { 0 } else { CHECK_FAILED })
    };
    if bytes.starts_with(accord_tlog::proof::HEADER.as_bytes()) {
        let proof = TlogProof::parse(&bytes).map_err(|e| input(anyhow!("{}: {e}", file.display())))?;
        let entry_bytes = proof_entry(file, entry_file, &proof)?;
        match proof.verify(&leaf_hash(&entry_bytes), &policy) {
            Ok(cp) => {
                let summary = entry::decode(&entry_bytes)
                    .map(|e| serde_json::json!({"party": e.party, "seq": e.seq, "kind": e.notification.get("kind")}))
                    .unwrap_or(serde_json::Value::Null);
                let included = format!(
                    "entry {} is in {} at size {} (root {})",
                    proof.index,
                    cp.origin,
                    cp.size,
                    b64(&cp.root)
                );
                let (ok, message) = accord_escrow::release::with_inclusion(included, &entry_bytes, &mut crate::clock::rng());
                result(
                    ok,
                    message,
                    serde_json::json!({"index": proof.index, "origin": cp.origin, "size": cp.size, "root": b64(&cp.root), "entry": summary}),
                )
            }
            Err(e) => result(false, format!("inclusion of entry {}: {e}", proof.index), serde_json::Value::Null),
        }
    } else {
        let doc: ConsistencyDoc = serde_json::from_slice(&bytes).map_err(|e| {
            input(anyhow!(
                "{}: neither a tlog-proof (first line {}) nor an {CONSISTENCY_FORMAT} document: {e}",
                file.display(),
                accord_tlog::proof::HEADER
            ))
        })?;
        match doc.verify(&policy) {
            Err(accord_tlog::proof::VerifyError::Malformed(m)) => Err(input(anyhow!("{}: {m}", file.display()))),
            Ok((a, b)) => result(
                true,
                format!("{} size {} is consistent with size {}", a.origin, a.size, b.size),
                serde_json::json!({"origin": a.origin, "from": a.size, "to": b.size}),
            ),
            Err(e) => result(false, format!("consistency: {e}"), serde_json::Value::Null),
        }
    }
}

fn export_tiles(dir: &Path, out: &Path, public: bool, format: Format) -> Outcome {
    let store = reader(dir)?;
    let mut removed = Vec::new();
    if public {
        // A public export never carries confidential contents, even from an earlier full export.
        for sub in ["tile/entries", "blobs"] {
            let p = out.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(|e| io(anyhow!("{}: {e}", p.display())))?;
                removed.push(p.display().to_string());
            }
        }
    } else if let Some(b) = database(dir)? {
        // The notifications the entries log by hash, from the database.
        let dst = out.join("blobs");
        std::fs::create_dir_all(&dst).map_err(|e| io(anyhow!("{}: {e}", dst.display())))?;
        let mut names = Vec::new();
        let size = store.latest().map_err(store_err)?.0;
        store
            .scan_entries(0, size, &mut |_, e| {
                names.extend(by_hash_notification(e).map(str::to_owned));
                Ok(())
            })
            .map_err(store_err)?;
        for name in names {
            let bytes = b.blob(&name).map_err(node_err(dir))?;
            crate::files::write_atomic(&dst.join(&name), &bytes)?;
        }
    } else {
        let src = DataDir::new(dir).blobs();
        if let Ok(rd) = std::fs::read_dir(&src) {
            let dst = out.join("blobs");
            std::fs::create_dir_all(&dst).map_err(|e| io(anyhow!("{}: {e}", dst.display())))?;
            for e in rd.flatten() {
                let name = e.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let bytes = std::fs::read(e.path()).map_err(|err| io(anyhow!("{}: {err}", e.path().display())))?;
                crate::files::write_atomic(&dst.join(&name), &bytes)?;
            }
        }
    }
    let (note, objects) = accord_node::publish::tree_objects(&store, !public, 0).map_err(store_err)?;
    let (mut files, mut bytes_written) = (0u64, 0u64);
    for o in &objects {
        let path = out.join(&o.rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(anyhow!("{}: {e}", parent.display())))?;
        }
        crate::files::write_atomic(&path, &o.bytes)?;
        files += 1;
        bytes_written += o.bytes.len() as u64;
    }
    let cp = Note::parse(&note)
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .ok_or_else(|| Failure {
            code: CHECK_FAILED,
            error: anyhow!("the latest checkpoint is malformed; run accord log verify"),
        })?;
    // Partial tiles and bundles of earlier exports: the tree now has larger ones.
    for rel in tree_files(&out.join("tile")) {
        let rel = format!("tile/{rel}");
        if let Ok((t, _)) = tile::TileId::parse_path(&rel) {
            if !t.is_full() && !tile::tiles(cp.size).any(|c| c == t) {
                let _ = std::fs::remove_file(out.join(&rel));
            }
        }
    }
    if json(format) {
        print_json(
            &serde_json::json!({"out": out.display().to_string(), "size": cp.size, "files": files, "bytes": bytes_written, "public": public, "removed": removed}),
        )?;
    } else {
        println!(
            "exported {} size {} to {}: {files} files, {bytes_written} bytes{}",
            cp.origin,
            cp.size,
            out.display(),
            if public { " (public: no entry bundles)" } else { "" }
        );
        for r in &removed {
            println!("removed {r} (left from an earlier, non-public export)");
        }
    }
    Ok(0)
}

fn witness_request(dir: &Path, old: u64, out: Option<&Path>) -> Outcome {
    let store = reader(dir)?;
    let (note, cp) = checkpoint_at(&store, None).map_err(log_err)?;
    if old > cp.size {
        return Err(input(anyhow!("--old {old}: the log is at size {}", cp.size)));
    }
    let proof = if old == 0 || old == cp.size {
        Vec::new()
    } else {
        accord_tlog::merkle::consistency_proof(&accord_logstore::store::Hashes(&store), old, cp.size).map_err(|e| log_err(e.into()))?
    };
    let req = accord_tlog::witness::AddCheckpoint {
        old,
        proof,
        checkpoint: Note::parse(&note).map_err(|e| log_err(e.into()))?,
    };
    emit(out, &req.to_bytes())?;
    Ok(0)
}

/// The checkpoint note at `size` (latest when `None`) with every cosignature kept for it.
fn cosigned_note(store: &dyn Store, size: Option<u64>) -> Result<(Vec<u8>, Checkpoint, Vec<String>), Failure> {
    let (note, cp) = checkpoint_at(store, size).map_err(log_err)?;
    let (bytes, lines) = with_cosignatures(store, note, cp.size)?;
    Ok((bytes, cp, lines))
}

/// A checkpoint note of `size` followed by the cosignature lines kept for it.
fn with_cosignatures(store: &dyn Store, mut note: Vec<u8>, size: u64) -> Result<(Vec<u8>, Vec<String>), Failure> {
    let lines = store.cosignatures(size).map_err(store_err)?;
    for l in &lines {
        note.extend_from_slice(l.as_bytes());
        note.push(b'\n');
    }
    Ok((note, lines))
}

fn cosign(dir: &Path, witness: &str, size: Option<u64>, file: Option<&Path>, format: Format) -> Outcome {
    let w = vkey(witness, "--witness")?;
    let body = match file {
        Some(f) => crate::files::read_bytes(f)?,
        None => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| input(anyhow!("standard input: {e}")))?;
            b
        }
    };
    let sigs = accord_tlog::witness::parse_response(&body).map_err(|e| input(anyhow!("the response: {e}")))?;
    let mut store: DynStore = match database(dir)? {
        Some(b) => b.open_cosigner().map_err(node_err(dir))?,
        None => Box::new(DataDir::new(dir).open_cosigner().map_err(dir_err)?),
    };
    let (note, cp) = checkpoint_at(&store, size).map_err(log_err)?;
    let base = Note::parse(&note).map_err(|e| log_err(e.into()))?;
    let mut lines = Vec::new();
    for (i, sig) in sigs.into_iter().enumerate() {
        if sig.name != w.name() || sig.id != w.id() {
            return Err(input(anyhow!(
                "response line {}: signed by {} ({:08x}), not by the witness {}",
                i + 1,
                sig.name,
                sig.id,
                w
            )));
        }
        let mut one = Note {
            text: base.text.clone(),
            signatures: vec![sig.clone()],
        };
        one.verify(std::slice::from_ref(&w)).map_err(|e| Failure {
            code: CHECK_FAILED,
            error: anyhow!("response line {}: does not cosign {} size {}: {e}", i + 1, cp.origin, cp.size),
        })?;
        lines.push(one.signatures.remove(0).line());
    }
    let added = store.add_cosignatures(cp.size, &lines).map_err(store_err)?;
    if json(format) {
        print_json(&serde_json::json!({"size": cp.size, "witness": w.name(), "received": lines.len(), "added": added}))?;
    } else {
        println!("kept {added} new cosignature(s) by {} of {} size {}", w.name(), cp.origin, cp.size);
    }
    Ok(0)
}

fn verify_proof_policy(file: &Path, policy: &Path, entry_file: Option<&Path>, format: Format) -> Outcome {
    let text = crate::files::read_bytes(policy)?;
    let policy = accord_tlog::policy::TlogPolicy::parse(&text).map_err(|e| input(anyhow!("{e}")))?;
    let bytes = crate::files::read_bytes(file)?;
    let proof = TlogProof::parse(&bytes).map_err(|e| input(anyhow!("{}: {e}", file.display())))?;
    let entry_bytes = proof_entry(file, entry_file, &proof)?;
    let (ok, message) = match proof.verify_policy(&leaf_hash(&entry_bytes), &policy) {
        Ok(cp) => {
            let included = format!(
                "entry {} is in {} at size {}, and the checkpoint meets the policy",
                proof.index, cp.origin, cp.size
            );
            accord_escrow::release::with_inclusion(included, &entry_bytes, &mut crate::clock::rng())
        }
        Err(e) => (false, format!("entry {}: {e}", proof.index)),
    };
    if json(format) {
        print_json(&serde_json::json!({"ok": ok, "message": message}))?;
    } else {
        println!("{}{message}", if ok { "ok: " } else { "FAILED: " });
    }
    Ok(if ok { 0 } else { CHECK_FAILED })
}

/// The entry a tlog-proof is about: `--entry FILE`, else the proof's extra data.
fn proof_entry(file: &Path, entry_file: Option<&Path>, proof: &TlogProof) -> Result<Vec<u8>, Failure> {
    match (entry_file, &proof.extra) {
        (Some(f), _) => std::fs::read(f).map_err(|e| input(anyhow!("--entry {}: {e}", f.display()))),
        (None, Some(e)) => Ok(e.clone()),
        (None, None) => Err(input(anyhow!(
            "{}: the proof carries no entry; give it with --entry FILE",
            file.display()
        ))),
    }
}
