use super::*;
use std::path::{Path, PathBuf};

/// Crates whose library code is pure.
const PURE: &[&str] = &["treaty", "ledger", "sim", "tlog", "escrow"];
/// Where the node may use HTTP server types.
const NODE_RIM: &[&str] = &["http/", "witness.rs"];
/// Where each crate may read the wall clock and OS randomness (`None`: nowhere).
const AMBIENT: &[(&str, Option<&str>)] = &[
    ("treaty", None),
    ("ledger", None),
    ("sim", None),
    ("tlog", None),
    ("escrow", None),
    ("logstore", None),
    ("node", Some("clock.rs")),
    ("cli", Some("clock.rs")),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("src").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn krate(files: &[(&str, &str)]) -> Crate {
    Crate {
        name: "x".into(),
        sources: files
            .iter()
            .map(|(p, t)| Source {
                path: (*p).into(),
                text: (*t).into(),
            })
            .collect(),
    }
}

/// The normal dependencies of a workspace crate, by `cargo tree`.
fn cargo_tree(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}", "--locked",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut deps: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    deps.sort();
    deps.dedup();
    deps
}

#[test]
fn the_tree_keeps_its_invariants() {
    let names = crates();
    for must in ["treaty", "ledger", "sim", "tlog", "escrow", "logstore", "node", "cli"] {
        assert!(names.iter().any(|n| n == must), "crates/{must} is missing: update the tidy tables");
    }
    let mut found = Vec::new();
    for name in &names {
        let c = read_crate(&root(), name).expect("read the crate");
        assert!(!c.sources.is_empty(), "crates/{name}/src has no source");
        if PURE.contains(&name.as_str()) {
            found.extend(check_pure(&c));
        }
        if let Some((_, allowed)) = AMBIENT.iter().find(|(n, _)| n == name) {
            if let Some(a) = allowed {
                if !c.sources.iter().any(|s| s.path == *a) {
                    found.push(Violation {
                        file: format!("crates/{name}/src/{a}"),
                        line: 0,
                        rule: Rule::WallClock,
                        what: "named as the one module that reads the wall clock and OS randomness, but missing".into(),
                    });
                }
            }
            found.extend(check_ambient(&c, *allowed));
        }
        found.extend(check_cycles(&c));
        if name == "node" {
            found.extend(check_rim(&c, NODE_RIM));
        }
    }
    for name in PURE {
        let deps = cargo_tree(&format!("accord-{name}"));
        assert!(deps.len() > 1, "cargo tree listed nothing for accord-{name}");
        found.extend(check_deps(name, &deps));
    }
    found.sort();
    let list: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        found.is_empty(),
        "{} architecture invariants broken:\n{}",
        found.len(),
        list.join("\n")
    );
}

#[test]
fn a_planted_violation_in_the_real_tree_is_caught() {
    // The real ledger, with one line planted in its replay: the check must name it.
    let mut c = read_crate(&root(), "ledger").expect("ledger");
    assert!(check_pure(&c).is_empty());
    let s = c.sources.iter_mut().find(|s| s.path == "replay.rs").expect("replay.rs");
    s.text
        .push_str("\npub fn planted() -> String { std::fs::read_to_string(\"x\").unwrap_or_default() }\n");
    let v = check_pure(&c);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].file, "crates/ledger/src/replay.rs");
    assert!(v[0].what.contains("the file system"), "{}", v[0].what);

    // The real node, with OS randomness planted outside its clock module.
    let mut n = read_crate(&root(), "node").expect("node");
    assert!(check_ambient(&n, Some("clock.rs")).is_empty());
    let s = n.sources.iter_mut().find(|s| s.path == "view.rs").expect("view.rs");
    s.text.push_str("\nfn planted() -> [u8; 4] { rand::random() }\n");
    let v = check_ambient(&n, Some("clock.rs"));
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, Rule::Entropy);

    // The real node, with an HTTP response type planted in its append path.
    let mut n = read_crate(&root(), "node").expect("node");
    assert!(check_rim(&n, NODE_RIM).is_empty());
    let s = n.sources.iter_mut().find(|s| s.path == "append.rs").expect("append.rs");
    s.text
        .push_str("\nfn planted(r: axum::response::Response) -> u16 { r.status().as_u16() }\n");
    let v = check_rim(&n, NODE_RIM);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].file.as_str(), v[0].rule), ("crates/node/src/append.rs", Rule::Rim));

    // The real tlog, with a cycle planted between two of its modules.
    let mut t = read_crate(&root(), "tlog").expect("tlog");
    assert!(check_cycles(&t).is_empty());
    let s = t.sources.iter_mut().find(|s| s.path == "merkle.rs").expect("merkle.rs");
    s.text.push_str("\nuse crate::note::Note;\n");
    let v = check_cycles(&t);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].what.contains("merkle") && v[0].what.contains("note"), "{}", v[0].what);

    // A forbidden dependency.
    assert_eq!(check_deps("ledger", &["serde".into(), "tokio".into()]).len(), 1);
    assert_eq!(check_deps("ledger", &["tokio-util".into()]).len(), 1);
    assert!(check_deps("ledger", &["serde".into(), "time".into()]).is_empty());
}

#[test]
fn strip_blanks_comments_strings_and_test_items_and_keeps_lines() {
    let src = "let a = \"std::fs\"; // std::fs\n/* std::net */ let c = '\"';\nlet r = r#\"std::env\"#;\n#[cfg(test)]\nmod tests {\n  use std::fs;\n}\nfn f<'a>(x: &'a str) {}\n";
    let code = strip(src);
    assert_eq!(code.lines().count(), src.lines().count());
    assert_eq!(code.len(), src.len());
    assert!(!code.contains("std::"), "{code}");
    assert!(code.contains("fn f<'a>(x: &'a str)"), "{code}");
    assert!(code.contains("let c = '"), "{code}");
}

#[test]
fn use_trees_are_expanded() {
    let code = strip("use std::{fs::{self, File}, time::SystemTime as T};\nuse ::rand::random;\nlet x = a::b::c(d::e);\n");
    let p: Vec<String> = paths(&code).into_iter().map(|(_, p)| p).collect();
    for want in [
        "std::fs::self",
        "std::fs::File",
        "std::time::SystemTime",
        "rand::random",
        "a::b::c",
        "d::e",
    ] {
        assert!(p.iter().any(|x| x == want), "{want} not in {p:?}");
    }
}

#[test]
fn impure_paths_are_named() {
    let c = krate(&[(
        "lib.rs",
        "use std::time::SystemTime;\nfn a() { let _ = SystemTime::now(); }\nfn b() { std::thread::spawn(|| ()); }\nfn c() { let _ = std::time::Instant::now(); }\nfn d() { let mut r = rand::thread_rng(); }\nuse std::{net::TcpStream};\n",
    )]);
    let v = check_pure(&c);
    let lines: Vec<usize> = v.iter().map(|v| v.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6], "{v:?}");
    // Seeded generators and time arithmetic are fine.
    let ok = krate(&[(
        "lib.rs",
        "use rand::SeedableRng;\nfn a(seed: u64) { let r = rand_chacha::ChaCha8Rng::seed_from_u64(seed); let d = time::Duration::days(1); }\n",
    )]);
    assert!(check_pure(&ok).is_empty(), "{:?}", check_pure(&ok));
}

#[test]
fn ambient_reads_outside_the_named_module_are_refused() {
    let c = krate(&[
        (
            "clock.rs",
            "pub fn now() -> i64 { std::time::SystemTime::now(); 0 }\npub fn seed() -> [u8; 32] { rand::random() }\n",
        ),
        (
            "auth.rs",
            "fn t() { let raw: [u8; 24] = rand::random(); }\nfn u() { let t = time::OffsetDateTime::now_utc(); }\n",
        ),
        ("seq.rs", "fn m() { let t = std::time::Instant::now(); }\n"),
    ]);
    let v = check_ambient(&c, Some("clock.rs"));
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!((v[0].rule, v[0].line), (Rule::Entropy, 1));
    assert_eq!((v[1].rule, v[1].line), (Rule::WallClock, 2));
    assert_eq!(check_ambient(&c, None).len(), 4);
}

#[test]
fn cycles_are_found_through_every_kind_of_path() {
    // crate:: paths, a grouped use, super:: from a child, and a parent naming its child.
    let c = krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub use a::X;\n"),
        ("a.rs", "use crate::{b::Y, c};\npub struct X;\n"),
        ("b.rs", "pub struct Y;\nfn f() { crate::a::X; }\n"),
        ("c.rs", "pub fn g() {}\n"),
        ("d/mod.rs", "mod e;\nfn h() { e::run(); }\npub fn helper() {}\n"),
        ("d/e.rs", "pub fn run() { super::helper(); }\n"),
    ]);
    let v = check_cycles(&c);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].what.contains("modules a, b"), "{}", v[0].what);
    assert!(v[1].what.contains("modules d, d::e"), "{}", v[1].what);
    // The crate root re-exporting is no cycle; test modules do not count.
    let ok = krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub use a::X;\n"),
        ("a.rs", "pub struct X;\n#[cfg(test)]\nmod tests { use crate::b::Y; }\n"),
        ("b.rs", "use crate::X;\npub struct Y;\n"),
    ]);
    assert!(check_cycles(&ok).is_empty(), "{:?}", check_cycles(&ok));
}
