//! The sources table, `docs/sources.md`: every source the data files in `data/` cite, by the id
//! outputs print in brackets (`[state-fs-2010-04-08]`), with its tag, its address, where it was
//! read and what cites it; and every aggregate row's fact sheet and the page its figures were
//! read at. This test writes the table between the file's markers from the data and fails when
//! the committed file did not already hold it, so the table cannot go stale.
//!
//! It also holds the data to what the table promises: an id is one source wherever it is
//! declared, every cited id is declared, every address in `data/` is in the table, and no value
//! cites a research note outside the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use accord_ledger::published::parse_published;
use accord_treaty::provenance::{OFFICIAL_HOSTS, TREATY_TEXT_HOSTS};

const BEGIN: &str = "<!-- BEGIN sources (written by `cargo test -p accord-ledger --test sources`) -->";
const END: &str = "<!-- END sources -->";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One `[sources]` entry, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    tag: String,
    url: String,
    read_at: Option<String>,
    note: Option<String>,
    files: BTreeSet<String>,
}

/// What a data file's entries are called in the table: an array element by its date, name,
/// key, kind or id (the first it has), else by its index.
fn label(t: &toml::Table, i: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    match t.get("date") {
        Some(toml::Value::Datetime(d)) => parts.push(d.to_string()),
        Some(toml::Value::String(d)) => parts.push(d.clone()),
        _ => {}
    }
    if let Some(v) = ["name", "key", "id", "kind", "code"]
        .iter()
        .find_map(|k| t.get(*k).and_then(|v| v.as_str()))
    {
        parts.push(v.to_owned());
    }
    if let Some(p) = t.get("party").and_then(|v| v.as_str()) {
        parts.push(p.to_owned());
    }
    if parts.is_empty() {
        format!("#{}", i + 1)
    } else {
        parts.join(" ")
    }
}

/// What a walk over a data file collects.
#[derive(Default)]
struct Walk {
    /// (source id, path citing it).
    cites: Vec<(String, String)>,
    /// (path, text) of every string value.
    strings: Vec<(String, String)>,
    /// (path, note) of every value marked unconfirmed (a deadline whose rule is `unconfirmed` in
    /// an otherwise confirmed entry is listed as `….deadline`).
    unconfirmed: Vec<(String, String)>,
}

/// Every `source = "id"` under `v`, with the path to it, and the rest of [`Walk`].
fn citations(v: &toml::Value, path: &str, w: &mut Walk) {
    match v {
        toml::Value::Table(t) => {
            let word = |k: &str| t.get(k).and_then(|x| x.as_str());
            let note = word("note").unwrap_or("").to_owned();
            if word("status") == Some("unconfirmed") || t.get("confirmed").and_then(|c| c.as_bool()) == Some(false) {
                w.unconfirmed.push((path.to_owned(), note));
            } else if t.get("deadline").and_then(|d| d.get("rule")).and_then(|r| r.as_str()) == Some("unconfirmed") {
                w.unconfirmed.push((format!("{path}.deadline"), note));
            }
            for (k, x) in t {
                if k == "sources" && path.is_empty() {
                    continue;
                }
                if k == "source" {
                    if let Some(s) = x.as_str() {
                        w.cites
                            .push((s.to_owned(), if path.is_empty() { "(file)".into() } else { path.to_owned() }));
                    }
                }
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                citations(x, &p, w);
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = match x {
                    toml::Value::Table(t) => format!("{path}[{}]", label(t, i)),
                    _ => path.to_owned(),
                };
                citations(x, &p, w);
            }
        }
        toml::Value::String(s) => w.strings.push((path.to_owned(), s.clone())),
        _ => {}
    }
}

fn urls_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        let tail = &rest[i..];
        if tail.starts_with("http://") || tail.starts_with("https://") {
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ']' | '>' | '<' | '`'))
                .unwrap_or(tail.len());
            let mut u = tail[..end].trim_end_matches(['.', ';']);
            // A closing parenthesis ends the address unless the address opened it.
            while u.ends_with(')') && u.matches(')').count() > u.matches('(').count() {
                u = u[..u.len() - 1].trim_end_matches(['.', ';']);
            }
            out.push(u.to_owned());
            rest = &tail[end..];
        } else {
            rest = &tail[4..];
        }
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[test]
fn every_cited_source_is_in_the_sources_table() {
    let data = root().join("data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .chain(std::fs::read_dir(data.join("proposals")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut declared: BTreeMap<String, Declared> = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut cited: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut inline: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new(); // proposals: id -> (url, cited by)
    let mut strings: Vec<(String, String)> = Vec::new();
    let mut unconfirmed: Vec<(String, String)> = Vec::new();
    for f in &files {
        let name = f.strip_prefix(root()).unwrap().display().to_string().replace("../", "");
        let name = name.trim_start_matches("./").to_owned();
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        if let Some(s) = v.get("sources").and_then(|s| s.as_table()) {
            for (key, e) in s {
                let d = Declared {
                    tag: e["tag"].as_str().unwrap().to_owned(),
                    url: e["url"].as_str().unwrap().to_owned(),
                    read_at: e.get("read_at").and_then(|x| x.as_str()).map(str::to_owned),
                    note: e.get("note").and_then(|x| x.as_str()).map(str::to_owned),
                    files: BTreeSet::from([name.clone()]),
                };
                match declared.get_mut(key) {
                    Some(old) if (&old.tag, &old.url, &old.read_at) == (&d.tag, &d.url, &d.read_at) => {
                        old.files.insert(name.clone());
                    }
                    Some(old) => conflicts.push(format!("{key}: {} in {:?}, {} in {name}", old.url, old.files, d.url)),
                    None => {
                        declared.insert(key.clone(), d);
                    }
                }
            }
        }
        let mut walk = Walk::default();
        citations(&v, "", &mut walk);
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        strings.extend(walk.strings.into_iter().map(|(p, s)| (format!("{stem} {p}"), s)));
        unconfirmed.extend(walk.unconfirmed.into_iter().map(|(p, n)| (format!("{stem} {p}"), n)));
        for (key, path) in walk.cites {
            let at = format!("{stem} {path}");
            if f.parent().unwrap().ends_with("proposals") {
                let url = v.get("url").and_then(|u| u.as_str()).unwrap_or("").to_owned();
                inline.entry(key).or_insert_with(|| (url, Vec::new())).1.push(at);
            } else {
                cited.entry(key).or_default().push(at);
            }
        }
    }
    assert!(
        conflicts.is_empty(),
        "an id declared as different sources:\n{}",
        conflicts.join("\n")
    );
    // A value's text that names a source by its id cites it too.
    for (at, text) in strings
        .iter()
        .filter(|(at, _)| !at.ends_with(".source") && !at.ends_with(" source"))
    {
        for key in declared.keys() {
            let named = text.match_indices(key.as_str()).any(|(i, _)| {
                let token = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
                !token(text[..i].chars().next_back()) && !token(text[i + key.len()..].chars().next())
            });
            if named {
                cited.entry(key.clone()).or_default().push(format!("{at} (named in its text)"));
            }
        }
    }
    let undeclared: Vec<&String> = cited.keys().filter(|k| !declared.contains_key(*k)).collect();
    assert!(undeclared.is_empty(), "cited, never declared: {undeclared:?}");
    let spec = accord_treaty::builtin::new_start();
    for key in spec.sources.keys() {
        assert!(declared.contains_key(key), "the spec's source {key} is not in the table");
    }

    // No value points at a research note outside the repository.
    let outside: Vec<String> = strings
        .iter()
        .filter(|(_, s)| {
            ["shared/", "facts §", "confirmations §", "review §", "new-start-facts"]
                .iter()
                .any(|p| s.contains(p))
        })
        .map(|(p, s)| format!("data/{p}: {s}"))
        .collect();
    assert!(
        outside.is_empty(),
        "values citing notes outside the repository:\n{}",
        outside.join("\n")
    );

    let csv_text = std::fs::read_to_string(data.join("new-start-aggregates.csv")).unwrap();
    let rows = parse_published(&spec, &csv_text).unwrap();

    // The table.
    let mut t = String::new();
    writeln!(t, "{BEGIN}\n").unwrap();
    writeln!(
        t,
        "### Sources of the data files\n\n{} sources, declared in the `[sources]` tables of {}. *Cited by* names \
         each value or event that rests on the source (file, then the entry by its date, name or kind).\n",
        declared.len(),
        declared
            .values()
            .flat_map(|d| &d.files)
            .collect::<BTreeSet<_>>()
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    writeln!(t, "| id | tag | address | read at | cited by | note |\n|---|---|---|---|---|---|").unwrap();
    let mut uncited = Vec::new();
    for (key, d) in &declared {
        let by = cited.get(key).map(|v| v.join("; ")).unwrap_or_default();
        if by.is_empty() {
            uncited.push(key.clone());
        }
        writeln!(
            t,
            "| `{key}` | {} | <{}> | {} | {} | {} |",
            d.tag,
            d.url,
            d.read_at.as_deref().map(|r| format!("<{r}>")).unwrap_or_default(),
            cell(&by),
            cell(d.note.as_deref().unwrap_or(""))
        )
        .unwrap();
    }
    assert!(
        uncited.is_empty(),
        "declared, cited by nothing (drop them or cite them): {uncited:?}"
    );
    writeln!(
        t,
        "\n### Sources of the built-in proposals\n\nEach proposal in `data/proposals/` names its source and address \
         itself (press reports of the officials who made or answered it).\n\n| id | address | cited by |\n|---|---|---|"
    )
    .unwrap();
    for (key, (url, by)) in &inline {
        writeln!(t, "| `{key}` | <{url}> | {} |", cell(&by.join("; "))).unwrap();
    }
    writeln!(
        t,
        "\n### Sources of the aggregate figures\n\n`data/new-start-aggregates.csv`, {} rows. *Fact sheet* is the \
         government page that publishes the row's figures (the fact sheet itself where its address is known, else \
         State's summary page; blank: none found), *first published* the fact sheet's date where a source gives it, and *figures read at* the page the numbers were copied from (the State \
         Department's summary page for 2011–2020 shows them only as charts). A row marked `unsourced` was published, \
         but no source for its figures was found.\n\n| as of | party | status | fact sheet | first published | figures read at |\n|---|---|---|---|---|---|",
        rows.len()
    )
    .unwrap();
    for r in &rows {
        writeln!(
            t,
            "| {} | {} | {} | {} | {} | <{}> |",
            r.as_of,
            r.party,
            r.status.word(),
            r.fact_sheet.as_deref().map(|u| format!("<{u}>")).unwrap_or_default(),
            r.fact_sheet_date.map(|d| d.to_string()).unwrap_or_default(),
            r.source_url
        )
        .unwrap();
    }
    writeln!(
        t,
        "\n### Values the sources do not settle\n\n{} values of the treaty files are marked unconfirmed \
         (`status = \"unconfirmed\"`, a counting rule with `confirmed = false`, or a deadline whose rule is \
         `unconfirmed`). Outputs that rest on one list it under `unconfirmed`; what was searched for each is \
         under *What was searched*, below.\n\n| value | note |\n|---|---|",
        unconfirmed.len()
    )
    .unwrap();
    for (path, note) in &unconfirmed {
        writeln!(t, "| `{path}` | {} |", cell(note)).unwrap();
    }
    writeln!(
        t,
        "\n### Hosts whose pages may be tagged `official`\n\nA government's own publications: {}. A source tagged \
         `treaty_text` may also be read on {} (legal databases that publish the Russian text verbatim). A copy of a \
         government page found elsewhere keeps the government's address as its address and names the copy under \
         *read at*. The test `only_government_pages_are_tagged_official` (crates/treaty/tests/builtin.rs) holds \
         every source to this list.\n",
        OFFICIAL_HOSTS.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
        TREATY_TEXT_HOSTS.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
    )
    .unwrap();
    write!(t, "{END}").unwrap();

    // Every address in data/ is in the table.
    let mut missing = Vec::new();
    for f in files.iter().chain([&data.join("new-start-aggregates.csv")]) {
        for u in urls_in(&std::fs::read_to_string(f).unwrap()) {
            if !t.contains(&u) {
                missing.push(format!("{}: {u}", f.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "addresses in data/ missing from the table:\n{}",
        missing.join("\n")
    );

    let doc = root().join("docs/sources.md");
    let current = std::fs::read_to_string(&doc).unwrap_or_default();
    // Each unconfirmed value says, outside the generated tables, what was searched for it.
    let by_hand = current.find(END).map_or("", |e| &current[e + END.len()..]);
    let unsearched: Vec<&String> = unconfirmed
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !by_hand.contains(&format!("`{p}`")))
        .collect();
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{t}{}", &current[..b], &current[e + END.len()..]),
        _ => format!("{current}\n{t}\n"),
    };
    if updated != current {
        std::fs::write(&doc, &updated).unwrap();
    }
    assert!(
        updated == current,
        "docs/sources.md did not hold the data's sources; it is written now: commit it"
    );
    assert!(
        unsearched.is_empty(),
        "unconfirmed values docs/sources.md does not say what was searched for (under 'What was searched'): {unsearched:?}"
    );
}
