//! `accord witness ...`: a neutral witness's state on disk (crates/logstore/src/witness.rs) and
//! the tlog-witness exchange, one request at a time. The clock is read here, at the edge.

use std::io::Read;
use std::path::Path;

use accord_logstore::dir::{create_key_file, read_key_file};
use accord_logstore::witness::{WitnessState, WitnessStore};
use accord_tlog::note::ALG_COSIGNATURE_V1;
use accord_tlog::{SignerKey, VerifierKey};
use anyhow::anyhow;

use crate::args::{Format, WitnessCommand};
use crate::failure::{input, io, Failure, Outcome, CHECK_FAILED};
use crate::output::{json, print_json};

fn state(dir: &Path) -> Result<WitnessState, Failure> {
    if !dir.join("witness.key").exists() {
        return Err(input(anyhow!(
            "{}: no witness here (create one with `accord witness init --data {} --name NAME`)",
            dir.display(),
            dir.display()
        )));
    }
    WitnessState::open(&dir.join("witness.db")).map_err(io)
}

fn key(dir: &Path) -> Result<SignerKey, Failure> {
    read_key_file(&dir.join("witness.key")).map_err(input)
}

fn now() -> u64 {
    crate::clock::now_unix().max(0) as u64
}

pub fn run(c: WitnessCommand, format: Format) -> Outcome {
    match c {
        WitnessCommand::Init { data, name } => {
            crate::files::not_a_file(&data)?;
            if data.join("witness.key").exists() {
                return Err(input(anyhow!("{}: a witness already exists here", data.display())));
            }
            let seed: [u8; 32] = crate::clock::random();
            let k = SignerKey::from_seed(&name, ALG_COSIGNATURE_V1, seed).map_err(|e| input(anyhow!("--name: {e}")))?;
            accord_logstore::private::dir(&data).map_err(|e| io(anyhow!("{}: {e}", data.display())))?;
            WitnessState::open(&data.join("witness.db")).map_err(io)?;
            create_key_file(&data.join("witness.key"), &k).map_err(io)?;
            println!("{}", k.verifier());
            Ok(0)
        }
        WitnessCommand::Key { data } => {
            state(&data)?;
            println!("{}", key(&data)?.verifier());
            Ok(0)
        }
        WitnessCommand::Follow { data, vkey } => {
            let mut st = state(&data)?;
            let v = VerifierKey::parse(&vkey).map_err(|e| input(anyhow!("--vkey: {e}")))?;
            st.follow(&v).map_err(io)?;
            eprintln!("following {}", v.name());
            Ok(0)
        }
        WitnessCommand::AddCheckpoint { data, file } => {
            let mut st = state(&data)?;
            let k = key(&data)?;
            let body = match file {
                Some(f) => crate::files::read_bytes(&f)?,
                None => {
                    let mut b = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut b)
                        .map_err(|e| input(anyhow!("standard input: {e}")))?;
                    b
                }
            };
            match st.add_checkpoint(&body, &k, now()).map_err(io)? {
                Ok(resp) => {
                    if json(format) {
                        print_json(&serde_json::json!({"status": 200, "body": String::from_utf8_lossy(&resp)}))?;
                    } else {
                        print!("{}", String::from_utf8_lossy(&resp));
                    }
                    Ok(0)
                }
                Err(rej) => {
                    if json(format) {
                        print_json(&serde_json::json!({"status": rej.status(), "body": rej.body()}))?;
                    } else {
                        print!("HTTP {}\n{}", rej.status(), rej.body());
                    }
                    Ok(CHECK_FAILED)
                }
            }
        }
        WitnessCommand::Serve {
            data,
            listen,
            allow,
            stop_with_stdin,
        } => super::serve::witness_serve(&data, &listen, &allow, stop_with_stdin),
        WitnessCommand::Status { data } => {
            let st = state(&data)?;
            let logs = st.followed().map_err(io)?;
            let evidence = st.evidence().map_err(io)?;
            if json(format) {
                let l: Vec<_> = logs
                    .iter()
                    .map(|f| serde_json::json!({"origin": f.origin, "vkeys": f.vkeys, "size": f.size, "frozen": f.frozen}))
                    .collect();
                let e: Vec<_> = evidence
                    .iter()
                    .map(|e| {
                        serde_json::json!({"origin": e.origin, "cosigned": String::from_utf8_lossy(&e.cosigned),
                            "conflicting": String::from_utf8_lossy(&e.conflicting), "seen_at": e.seen_at})
                    })
                    .collect();
                print_json(&serde_json::json!({"logs": l, "evidence": e}))?;
            } else {
                for f in &logs {
                    println!(
                        "{}\tsize {}{}",
                        f.origin,
                        f.size,
                        if f.frozen { "\tFROZEN: equivocation seen" } else { "" }
                    );
                }
                for e in &evidence {
                    println!(
                        "EVIDENCE {} at {}:\n{}--- conflicts with ---\n{}",
                        e.origin,
                        e.seen_at,
                        String::from_utf8_lossy(&e.cosigned),
                        String::from_utf8_lossy(&e.conflicting)
                    );
                }
            }
            Ok(if evidence.is_empty() { 0 } else { CHECK_FAILED })
        }
    }
}
