//! C2SP tlog-policy: which logs a verifier accepts and which witness cosignatures make a
//! checkpoint valid (`log`, `witness`, `group <name> all|any|<k> <members…>`, `quorum <name>`).
//!
//! Invariants: parsing follows the spec's rules and names the line of any violation: names are
//! defined before use, a member is listed at most once in a group, 1 ≤ k ≤ n, no duplicate
//! public keys, exactly one quorum line, only tab, newline and 0x20–0x7E or high-bit octets.
//! [`TlogPolicy::check`] accepts a checkpoint note only if a listed log whose key name is the
//! origin signed it and the quorum is met by valid cosignatures; a witness counts once.

use crate::note::{Checkpoint, Note, NoteError, VerifierKey, ALG_COSIGNATURE_V1};

/// What is wrong with a policy file, or why a checkpoint does not satisfy it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The file is malformed.
    #[error("policy line {line}: {why}")]
    Syntax {
        /// 1-based line number (0 for the file as a whole).
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// No listed log signed the checkpoint.
    #[error("no log of the policy signed the checkpoint of {0}")]
    Log(String),
    /// A signature by a known key does not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The quorum is not met.
    #[error("the quorum {quorum} is not met: valid cosignatures from {got:?}")]
    Quorum {
        /// The quorum's name.
        quorum: String,
        /// Witnesses whose cosignature verified.
        got: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct Group {
    name: String,
    k: usize,
    members: Vec<Member>,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct TlogPolicy {
    logs: Vec<(VerifierKey, Option<String>)>,
    witnesses: Vec<(String, VerifierKey, Option<String>)>,
    groups: Vec<Group>,
    /// `None` is `quorum none`.
    quorum: Option<Member>,
}

impl TlogPolicy {
    /// Parses a policy file.
    pub fn parse(bytes: &[u8]) -> Result<TlogPolicy, PolicyError> {
        let err = |line: usize, why: String| PolicyError::Syntax { line, why };
        if let Some(pos) = bytes.iter().position(|&b| b < 0x20 && b != b'\t' && b != b'\n' || b == 0x7f) {
            let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(err(line, format!("control character 0x{:02x}", bytes[pos])));
        }
        let text = String::from_utf8_lossy(bytes);
        let mut p = TlogPolicy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        let mut names: Vec<String> = Vec::new();
        for (i, raw) in text.split('\n').enumerate() {
            let n = i + 1;
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            if words.is_empty() || words[0].starts_with('#') {
                continue;
            }
            let key = |s: &str| VerifierKey::parse(s).map_err(|e| err(n, e.to_string()));
            let lookup = |name: &str, p: &TlogPolicy| -> Option<Member> {
                p.witnesses
                    .iter()
                    .position(|w| w.0 == name)
                    .map(Member::Witness)
                    .or_else(|| p.groups.iter().position(|g| g.name == name).map(Member::Group))
            };
            let dup_key = |k: &VerifierKey, p: &TlogPolicy| {
                p.logs.iter().any(|l| l.0.public_key() == k.public_key()) || p.witnesses.iter().any(|w| w.1.public_key() == k.public_key())
            };
            match words[0] {
                "log" if (2..=3).contains(&words.len()) => {
                    let k = key(words[1])?;
                    if dup_key(&k, &p) {
                        return Err(err(n, "a duplicate public key".into()));
                    }
                    p.logs.push((k, words.get(2).map(|s| s.to_string())));
                }
                "witness" if (3..=4).contains(&words.len()) => {
                    let name = words[1];
                    if name == "none" || names.iter().any(|x| x == name) {
                        return Err(err(n, format!("the name {name} is taken")));
                    }
                    let k = key(words[2])?;
                    if k.alg() != ALG_COSIGNATURE_V1 {
                        return Err(err(n, format!("witness {name}'s key is not a cosignature/v1 key")));
                    }
                    if dup_key(&k, &p) {
                        return Err(err(n, "a duplicate public key".into()));
                    }
                    names.push(name.to_owned());
                    p.witnesses.push((name.to_owned(), k, words.get(3).map(|s| s.to_string())));
                }
                "group" if words.len() >= 4 => {
                    let name = words[1];
                    if name == "none" || names.iter().any(|x| x == name) {
                        return Err(err(n, format!("the name {name} is taken")));
                    }
                    let mut members = Vec::new();
                    for m in &words[3..] {
                        let member = lookup(m, &p).ok_or_else(|| err(n, format!("{m} is not defined on a line above")))?;
                        if members.contains(&member) {
                            return Err(err(n, format!("{m} is listed twice")));
                        }
                        members.push(member);
                    }
                    let k = match words[2] {
                        "all" => members.len(),
                        "any" => 1,
                        t => {
                            let k: usize = t
                                .parse()
                                .ok()
                                .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
                                .ok_or_else(|| err(n, format!("threshold {t:?} is not all, any or a decimal number")))?;
                            if k < 1 || k > members.len() {
                                return Err(err(n, format!("threshold {k} is not within 1..={}", members.len())));
                            }
                            k
                        }
                    };
                    names.push(name.to_owned());
                    p.groups.push(Group {
                        name: name.to_owned(),
                        k,
                        members,
                    });
                }
                "quorum" if words.len() == 2 => {
                    if quorum_seen {
                        return Err(err(n, "a second quorum line".into()));
                    }
                    quorum_seen = true;
                    p.quorum = if words[1] == "none" {
                        None
                    } else {
                        Some(lookup(words[1], &p).ok_or_else(|| err(n, format!("{} is not defined on a line above", words[1])))?)
                    };
                }
                other => return Err(err(n, format!("{other:?} with {} item(s) is not a policy line", words.len() - 1))),
            }
        }
        if !quorum_seen {
            return Err(err(0, "no quorum line".into()));
        }
        Ok(p)
    }

    /// The keys of the listed logs.
    pub fn log_keys(&self) -> Vec<VerifierKey> {
        self.logs.iter().map(|l| l.0.clone()).collect()
    }

    /// Checks a checkpoint note against the policy; returns the checkpoint.
    pub fn check(&self, note: &Note) -> Result<Checkpoint, PolicyError> {
        let cp = Checkpoint::parse(&note.text)?;
        let logs: Vec<VerifierKey> = self.logs.iter().filter(|l| l.0.name() == cp.origin).map(|l| l.0.clone()).collect();
        if logs.is_empty() {
            return Err(PolicyError::Log(cp.origin));
        }
        note.verify(&logs).map_err(|e| match e {
            NoteError::UnknownSigners => PolicyError::Log(cp.origin.clone()),
            other => PolicyError::Note(other),
        })?;
        // Each witness on its own (by key name and ID): a bad cosignature by a known witness
        // rejects the note, as signed-note asks; a missing one just does not count.
        let mut cosigned = Vec::with_capacity(self.witnesses.len());
        for w in &self.witnesses {
            cosigned.push(match note.verify(std::slice::from_ref(&w.1)) {
                Ok(_) => true,
                Err(NoteError::UnknownSigners) => false,
                Err(e) => return Err(e.into()),
            });
        }
        let mut group_ok = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            // Members are defined above their group, so their results are known.
            let got = g
                .members
                .iter()
                .filter(|m| match m {
                    Member::Witness(i) => cosigned[*i],
                    Member::Group(j) => group_ok[*j],
                })
                .count();
            group_ok.push(got >= g.k);
        }
        let met = match self.quorum {
            None => true,
            Some(Member::Witness(i)) => cosigned[i],
            Some(Member::Group(j)) => group_ok[j],
        };
        if !met {
            let quorum = match self.quorum {
                Some(Member::Witness(i)) => self.witnesses[i].0.clone(),
                Some(Member::Group(j)) => self.groups[j].name.clone(),
                None => "none".into(),
            };
            let got = self
                .witnesses
                .iter()
                .zip(&cosigned)
                .filter(|(_, c)| **c)
                .map(|(w, _)| w.0.clone())
                .collect();
            return Err(PolicyError::Quorum { quorum, got });
        }
        Ok(cp)
    }
}
