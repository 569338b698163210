//! The architecture's invariants, made executable (in the manner of rust-analyzer's tidy tests).
//!
//! `cargo test` runs `the_tree_keeps_its_invariants` (in `src/tests.rs`) over the workspace:
//!
//! - **Pure crates** (`accord-treaty`, `accord-ledger`, `accord-sim`, `accord-tlog`) use no file
//!   system, network, process, environment, threads, clock (wall or monotonic) or OS randomness in
//!   their library code ([`check_pure`]); seeded generators passed in are fine. Their normal
//!   dependencies include no async runtime, HTTP or database crate ([`check_deps`], over
//!   `cargo tree`).
//! - **Ambient inputs**: the node and the CLI read the wall clock and OS randomness in one module
//!   each (`crates/node/src/clock.rs`, `crates/cli/src/clock.rs`); the log store reads neither
//!   ([`check_ambient`]). Monotonic time (`Instant::now`, for timeouts and measurements) is fine.
//! - **HTTP at the rim**: in the node, the HTTP server's types (`axum`) are used only under
//!   `src/http/` and in `src/witness.rs` (the standalone witness's server); the core (the folder
//!   and shared state, the append path, the view, the storage, the protocol modules) knows
//!   nothing of HTTP ([`check_rim`]).
//! - **No import cycles** between the modules of one crate ([`check_cycles`]): an edge is any
//!   `crate::`, `super::`, `self::` or child-module path in non-test code; the crate root (the
//!   facade that re-exports) is not a node of the graph.
//!
//! The checks read Rust source as text: comments, string and character literals and
//! `#[cfg(test)]` items are blanked first ([`strip`]), then paths are collected from `use` trees
//! (expanded) and from the code ([`paths`]). They are deliberately simple and err on the side of
//! flagging; each violation names the file, the line and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One source file of a crate.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path relative to the crate's `src/` (`commands/log.rs`).
    pub path: String,
    /// Its text.
    pub text: String,
}

/// A crate's library or binary sources.
#[derive(Debug, Clone)]
pub struct Crate {
    /// Folder name under `crates/` (`ledger`).
    pub name: String,
    /// Every `.rs` file under `src/`.
    pub sources: Vec<Source>,
}

/// Which invariant a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A pure crate touches the outside world.
    Impure,
    /// The wall clock read outside the one module allowed.
    WallClock,
    /// OS randomness read outside the one module allowed.
    Entropy,
    /// Modules of one crate import each other in a cycle.
    Cycle,
    /// A pure crate depends on an async runtime, HTTP or database crate.
    Dependency,
    /// HTTP server types outside the node's rim.
    Rim,
}

/// A broken invariant, located.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// `crates/<crate>/src/<path>`.
    pub file: String,
    /// 1-based line (0 when the violation is not at a line).
    pub line: usize,
    /// The rule.
    pub rule: Rule,
    /// What was found.
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {:?}: {}", self.file, self.line, self.rule, self.what)
    }
}

/// Blanks comments, string and character literals and `#[cfg(test)]` items with spaces, keeping
/// every newline, so offsets and lines of what is left are those of the original text.
pub fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out: Vec<u8> = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            let end = src[i..].find('\n').map_or(b.len(), |e| i + e);
            blank(&mut out, i, end);
            i = end;
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (c == b'r' || (c == b'b' && next == Some(b'r'))) && !ident_before(b, i) && raw_string_start(b, i).is_some() {
            let (hashes, body) = raw_string_start(b, i).unwrap_or((0, i));
            let closing: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let end = find_bytes(b, body, &closing).map_or(b.len(), |e| e + closing.len());
            blank(&mut out, body, end.saturating_sub(closing.len()));
            i = end;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            blank(&mut out, i + 1, j);
            i = j + 1;
        } else if c == b'\'' {
            // A character literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
            if next == Some(b'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            } else {
                let ch_len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                if b.get(i + 1 + ch_len) == Some(&b'\'') {
                    blank(&mut out, i + 1, i + 1 + ch_len);
                    i += 2 + ch_len;
                } else {
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    let mut code = String::from_utf8(out).unwrap_or_default();
    blank_test_items(&mut code);
    code
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// For `r"`, `r#"`, `br"`…: the number of hashes and the offset just past the opening quote.
fn raw_string_start(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = if b[i] == b'b' { i + 2 } else { i + 1 };
    let mut hashes = 0;
    while b.get(j) == Some(&b'#') {
        hashes += 1;
        j += 1;
    }
    (b.get(j) == Some(&b'"')).then_some((hashes, j + 1))
}

fn find_bytes(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    (from..hay.len().saturating_sub(needle.len() - 1)).find(|&k| hay[k..].starts_with(needle))
}

/// Blanks each item marked `#[cfg(test)]` (a module, a function, a `use`).
fn blank_test_items(code: &mut String) {
    const ATTR: &str = "#[cfg(test)]";
    let mut from = 0;
    while let Some(at) = code[from..].find(ATTR).map(|k| k + from) {
        let b = code.as_bytes();
        let mut j = at + ATTR.len();
        let mut depth = 0i32;
        let mut end = b.len();
        while j < b.len() {
            match b[j] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                b'{' if depth == 0 => {
                    end = matching_brace(b, j).map_or(b.len(), |e| e + 1);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let blanked: String = code[at..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
        code.replace_range(at..end, &blanked);
        from = at + blanked.len();
    }
}

fn matching_brace(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Sep,
    Punct(u8),
}

fn tokens(code: &str) -> Vec<(usize, Tok<'_>)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            // Raw identifiers (r#type) keep their name.
            out.push((s, Tok::Ident(&code[s..i])));
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push((i, Tok::Sep));
            i += 2;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            out.push((i, Tok::Punct(c)));
            i += 1;
        }
    }
    out
}

/// Every path in stripped code, with the offset where it starts: each `use` tree expanded to its
/// leaves (`use a::{b, c::d as e}` gives `a::b` and `a::c::d`), and every other run
/// `x::y::z` of the code.
pub fn paths(code: &str) -> Vec<(usize, String)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let after_sep = i > 0 && toks[i - 1].1 == Tok::Sep;
        if toks[i].1 == Tok::Ident("use") && !after_sep {
            let start = toks[i].0;
            let mut j = i + 1;
            if toks.get(j).map(|t| &t.1) == Some(&Tok::Sep) {
                j += 1;
            }
            let mut leaves = Vec::new();
            j = use_tree(&toks, j, &mut Vec::new(), &mut leaves);
            out.extend(leaves.into_iter().map(|p| (start, p)));
            while j < toks.len() && toks[j].1 != Tok::Punct(b';') {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if let Tok::Ident(first) = toks[i].1 {
            if !after_sep && toks.get(i + 1).map(|t| &t.1) == Some(&Tok::Sep) {
                let start = toks[i].0;
                let mut segs = vec![first];
                let mut j = i + 1;
                while toks.get(j).map(|t| &t.1) == Some(&Tok::Sep) {
                    match toks.get(j + 1).map(|t| &t.1) {
                        Some(Tok::Ident(s)) => {
                            segs.push(s);
                            j += 2;
                        }
                        _ => break,
                    }
                }
                if segs.len() > 1 {
                    out.push((start, segs.join("::")));
                }
                i = j.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Expands one use tree from `toks[i]`; returns the index after it.
fn use_tree(toks: &[(usize, Tok<'_>)], mut i: usize, prefix: &mut Vec<String>, leaves: &mut Vec<String>) -> usize {
    let depth = prefix.len();
    loop {
        match toks.get(i).map(|t| &t.1) {
            Some(Tok::Ident(s)) => {
                prefix.push((*s).to_owned());
                i += 1;
                if toks.get(i).map(|t| &t.1) == Some(&Tok::Sep) {
                    i += 1;
                    continue;
                }
                if toks.get(i).map(|t| &t.1) == Some(&Tok::Ident("as")) {
                    i += 2;
                }
                leaves.push(prefix.join("::"));
                break;
            }
            Some(Tok::Punct(b'*')) => {
                leaves.push(prefix.join("::"));
                i += 1;
                break;
            }
            Some(Tok::Punct(b'{')) => {
                i += 1;
                loop {
                    match toks.get(i).map(|t| &t.1) {
                        Some(Tok::Punct(b'}')) | None => {
                            i += 1;
                            break;
                        }
                        Some(Tok::Punct(b',')) => i += 1,
                        _ => i = use_tree(toks, i, prefix, leaves),
                    }
                }
                break;
            }
            _ => break,
        }
    }
    prefix.truncate(depth);
    i
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&c| c == b'\n').count() + 1
}

fn segments(path: &str) -> Vec<&str> {
    path.split("::").collect()
}

/// Whether a path reads the wall clock.
pub fn is_wall_clock(path: &str) -> bool {
    let s = segments(path);
    let n = s.len();
    let last2 = |a: &str, b: &str| n >= 2 && s[n - 2] == a && s[n - 1] == b;
    last2("SystemTime", "now")
        || last2("Utc", "now")
        || last2("Local", "now")
        || last2("UtcDateTime", "now")
        || s.iter().any(|x| *x == "now_utc" || *x == "now_local")
}

/// Whether a path draws OS randomness.
pub fn is_entropy(path: &str) -> bool {
    let s = segments(path);
    let n = s.len();
    s.iter().any(|x| {
        matches!(
            *x,
            "OsRng" | "thread_rng" | "ThreadRng" | "getrandom" | "from_entropy" | "from_os_rng" | "try_from_os_rng" | "SysRng"
        )
    }) || (n >= 2 && s[n - 2] == "rand" && matches!(s[n - 1], "random" | "rng" | "random_range" | "random_bool"))
}

/// What a path does that a pure crate may not, if anything.
pub fn impurity(path: &str) -> Option<&'static str> {
    let s = segments(path);
    let first_two = (s.first().copied(), s.get(1).copied());
    match first_two {
        (Some("std"), Some("fs")) => return Some("the file system"),
        (Some("std"), Some("net")) => return Some("the network"),
        (Some("std"), Some("thread")) => return Some("threads"),
        (Some("std"), Some("process")) => return Some("processes"),
        (Some("std"), Some("env")) => return Some("the environment"),
        (Some("tokio" | "rayon" | "mio" | "reqwest" | "rusqlite" | "socket2" | "crossbeam"), _) => {
            return Some("an I/O, thread or runtime crate")
        }
        _ => {}
    }
    if is_wall_clock(path) {
        return Some("the wall clock");
    }
    let n = s.len();
    if n >= 2 && s[n - 2] == "Instant" && s[n - 1] == "now" {
        return Some("the monotonic clock");
    }
    if is_entropy(path) {
        return Some("OS randomness");
    }
    if matches!(
        s.last(),
        Some(&("File" | "TcpStream" | "TcpListener" | "UdpSocket" | "stdin" | "stdout" | "stderr"))
    ) {
        return Some("the file system or the network");
    }
    None
}

fn file_of(c: &Crate, s: &Source) -> String {
    format!("crates/{}/src/{}", c.name, s.path)
}

/// Pure crates: no path of the code reaches the outside world.
pub fn check_pure(c: &Crate) -> Vec<Violation> {
    let mut out = Vec::new();
    for s in &c.sources {
        let code = strip(&s.text);
        for (off, p) in paths(&code) {
            if let Some(what) = impurity(&p) {
                out.push(Violation {
                    file: file_of(c, s),
                    line: line_of(&code, off),
                    rule: Rule::Impure,
                    what: format!("`{p}` uses {what}; a pure crate takes it as an input"),
                });
            }
        }
    }
    out
}

/// The wall clock and OS randomness are read only in `allowed` (a path under `src/`), or
/// nowhere when `allowed` is `None`.
pub fn check_ambient(c: &Crate, allowed: Option<&str>) -> Vec<Violation> {
    let mut out = Vec::new();
    let place = allowed.map_or_else(|| "nowhere in this crate".to_owned(), |a| format!("only in src/{a}"));
    for s in c.sources.iter().filter(|s| Some(s.path.as_str()) != allowed) {
        let code = strip(&s.text);
        for (off, p) in paths(&code) {
            let rule = if is_wall_clock(&p) {
                Rule::WallClock
            } else if is_entropy(&p) {
                Rule::Entropy
            } else {
                continue;
            };
            let what = if rule == Rule::WallClock {
                "the wall clock"
            } else {
                "OS randomness"
            };
            out.push(Violation {
                file: file_of(c, s),
                line: line_of(&code, off),
                rule,
                what: format!("`{p}` reads {what}, which is read {place} and injected elsewhere"),
            });
        }
    }
    out
}

/// Paths into the HTTP server crate (`axum`) in files of `c` outside `rim` (folders end in
/// `/`, files are named whole).
pub fn check_rim(c: &Crate, rim: &[&str]) -> Vec<Violation> {
    let mut out = Vec::new();
    let inside = |path: &str| rim.iter().any(|r| if r.ends_with('/') { path.starts_with(r) } else { path == *r });
    for s in c.sources.iter().filter(|s| !inside(&s.path)) {
        let code = strip(&s.text);
        for (off, p) in paths(&code) {
            let http = ["axum", "hyper", "hyper_util"]
                .iter()
                .any(|c| p == *c || p.starts_with(&format!("{c}::")));
            if http {
                out.push(Violation {
                    file: file_of(c, s),
                    line: line_of(&code, off),
                    rule: Rule::Rim,
                    what: format!("`{p}`: HTTP types belong in {}", rim.join(" or ")),
                });
            }
        }
    }
    out
}

/// The module a file under `src/` is (`""` for the crate root).
fn module_of(path: &str) -> Option<String> {
    let p = path.strip_suffix(".rs")?;
    let p = p.strip_suffix("/mod").unwrap_or(p);
    if p == "lib" || p == "main" {
        return Some(String::new());
    }
    Some(p.replace('/', "::"))
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}::{b}")
    }
}

fn parent(m: &str) -> String {
    m.rsplit_once("::").map_or(String::new(), |(p, _)| p.to_owned())
}

/// Child modules a file declares (`mod x;`, `pub(crate) mod x;`).
fn declared_children(code: &str) -> Vec<String> {
    let toks = tokens(code);
    let mut out = Vec::new();
    for w in toks.windows(3) {
        if let (Tok::Ident("mod"), Tok::Ident(name), Tok::Punct(b';')) = (&w[0].1, &w[1].1, &w[2].1) {
            out.push((*name).to_owned());
        }
    }
    out
}

/// The import graph between a crate's modules: for each module, the modules it names, each with
/// the file and line of one place that names it.
pub fn import_graph(c: &Crate) -> BTreeMap<String, BTreeMap<String, (String, usize)>> {
    let modules: BTreeMap<String, &Source> = c.sources.iter().filter_map(|s| Some((module_of(&s.path)?, s))).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, (String, usize)>> = BTreeMap::new();
    for (m, s) in &modules {
        let code = strip(&s.text);
        let children = declared_children(&code);
        let edges = graph.entry(m.clone()).or_default();
        for (off, p) in paths(&code) {
            let segs = segments(&p);
            let (mut base, rest): (String, &[&str]) = match segs[0] {
                "crate" => (String::new(), &segs[1..]),
                "self" => (m.clone(), &segs[1..]),
                "super" => {
                    let mut b = parent(m);
                    let mut k = 1;
                    while segs.get(k) == Some(&"super") {
                        b = parent(&b);
                        k += 1;
                    }
                    (b, &segs[k..])
                }
                first if children.iter().any(|c| c == first) => (m.clone(), &segs[..]),
                _ => continue,
            };
            // The longest prefix that is a module.
            let mut target = base.clone();
            for seg in rest {
                base = join(&base, seg);
                if modules.contains_key(&base) {
                    target = base.clone();
                } else {
                    break;
                }
            }
            if target.is_empty() || target == *m {
                continue;
            }
            edges.entry(target).or_insert_with(|| (file_of(c, s), line_of(&code, off)));
        }
    }
    graph
}

/// No two modules of the crate import each other, directly or through others.
pub fn check_cycles(c: &Crate) -> Vec<Violation> {
    let graph = import_graph(c);
    let mut out = Vec::new();
    for scc in strongly_connected(&graph) {
        if scc.len() < 2 {
            continue;
        }
        let members: BTreeSet<&String> = scc.iter().collect();
        let mut edges = Vec::new();
        for m in &scc {
            for (t, (file, line)) in &graph[m] {
                if members.contains(t) {
                    edges.push(format!("{m} → {t} ({file}:{line})"));
                }
            }
        }
        let first = scc.first().map(|m| &graph[m]).and_then(|e| e.values().next());
        out.push(Violation {
            file: first.map_or_else(String::new, |f| f.0.clone()),
            line: first.map_or(0, |f| f.1),
            rule: Rule::Cycle,
            what: format!("modules {} import each other: {}", scc.join(", "), edges.join("; ")),
        });
    }
    out
}

/// Tarjan's algorithm; each component's members sorted.
fn strongly_connected(graph: &BTreeMap<String, BTreeMap<String, (String, usize)>>) -> Vec<Vec<String>> {
    struct St<'g> {
        g: &'g BTreeMap<String, BTreeMap<String, (String, usize)>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(st: &mut St<'g>, v: &'g str) {
        st.index.insert(v, st.next);
        st.low.insert(v, st.next);
        st.next += 1;
        st.stack.push(v);
        st.on.insert(v);
        let g = st.g;
        for w in g.get(v).into_iter().flat_map(|e| e.keys()) {
            let w = w.as_str();
            if !g.contains_key(w) {
                continue;
            }
            if !st.index.contains_key(w) {
                visit(st, w);
                let lw = st.low[w];
                let lv = st.low[v];
                st.low.insert(v, lv.min(lw));
            } else if st.on.contains(w) {
                let iw = st.index[w];
                let lv = st.low[v];
                st.low.insert(v, lv.min(iw));
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            comp.sort();
            st.out.push(comp);
        }
    }
    let mut st = St {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.out
}

/// Crates a pure crate may not depend on, even indirectly: async runtimes, HTTP, databases.
pub const FORBIDDEN_DEPS: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "futures",
    "mio",
    "axum",
    "hyper",
    "http",
    "reqwest",
    "ureq",
    "tower",
    "actix-web",
    "warp",
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "postgres",
    "tokio-postgres",
    "diesel",
    "sled",
    "redb",
];

/// A pure crate's normal dependencies (names, as `cargo tree` lists them) contain none of
/// [`FORBIDDEN_DEPS`] nor any `tokio-*` crate.
pub fn check_deps(krate: &str, deps: &[String]) -> Vec<Violation> {
    deps.iter()
        .filter(|d| FORBIDDEN_DEPS.contains(&d.as_str()) || d.starts_with("tokio-"))
        .map(|d| Violation {
            file: format!("crates/{krate}/Cargo.toml"),
            line: 0,
            rule: Rule::Dependency,
            what: format!("{krate} depends on {d} (an async runtime, HTTP or database crate)"),
        })
        .collect()
}

/// Reads every `.rs` file under `crates/<name>/src` of the workspace at `root`.
pub fn read_crate(root: &std::path::Path, name: &str) -> std::io::Result<Crate> {
    let src = root.join("crates").join(name).join("src");
    let mut sources = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&src).map_err(std::io::Error::other)?;
                let path = rel.to_string_lossy().replace('\\', "/");
                sources.push(Source {
                    path,
                    text: std::fs::read_to_string(&p)?,
                });
            }
        }
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Crate {
        name: name.to_owned(),
        sources,
    })
}

#[cfg(test)]
mod tests;
