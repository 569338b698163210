//! Published aggregate figures (CSV): one row per (date, Party) with a column per limit, the
//! official fact sheet that published them and where the numbers were read, as in
//! `data/new-start-aggregates.csv`.
//!
//! Invariants: in a `published` row a blank cell is "not published" and stays `None`; an
//! `unsourced` row (the figures were published, but no source for them was found) has every
//! figure blank, and is never read as "not published" nor as zero; rows may come in any order; a
//! duplicate (date, Party) row, a malformed cell, a figure in an unsourced row, an unknown status
//! or a missing column refuses the whole file, naming line and column. A `fact_sheet` is a
//! government's own page ([`official_host`]) and its `fact_sheet_date` is not before the row's
//! date: a fact sheet cannot publish figures before they are current, and a press report is
//! never passed off as the fact sheet (it is the row's `source_url`, where the numbers were read).

use accord_treaty::provenance::{official_host, Unconfirmed};
use accord_treaty::{parse_date, Date, TreatySpec};

pub use crate::compliance::RowStatus;
use crate::compliance::{check_limits, Report};
use crate::error::LedgerError;

/// One published row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRow {
    /// 1-based line in the file.
    pub line: u64,
    /// As of.
    pub as_of: Date,
    /// Party code.
    pub party: String,
    /// Value of each limit of the spec, in spec order.
    pub values: Vec<Option<u64>>,
    /// Where the numbers were read (may be empty).
    pub source_url: String,
    /// The government page that publishes the figures: the fact sheet itself where its address
    /// is known, else the government's summary page that holds them.
    pub fact_sheet: Option<String>,
    /// When the figures were first published (the fact sheet's date), when a source gives it.
    pub fact_sheet_date: Option<Date>,
    /// Whether the figures are here (`Published`) or were published without a source found.
    pub status: RowStatus,
}

fn err(line: u64, column: &str, message: impl Into<String>) -> LedgerError {
    LedgerError::Csv {
        source_name: "-".into(),
        line,
        column: column.to_owned(),
        message: message.into(),
    }
}

/// Parses a CSV of published figures. Columns: `as_of`, `party`, one per limit of the spec,
/// `source_url` (where the numbers were read), and optionally `status` (`published`, the
/// default, or `unsourced`), `fact_sheet` (the government page that publishes them) and
/// `fact_sheet_date` (when they were first published); other columns are ignored.
pub fn parse_published(spec: &TreatySpec, text: &str) -> Result<Vec<PublishedRow>, LedgerError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| err(1, "-", format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| -> Result<usize, LedgerError> {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            err(
                1,
                name,
                format!(
                    "missing column '{name}' (the header must name as_of, party, {}, source_url)",
                    limit_names(spec)
                ),
            )
        })
    };
    let c_as_of = col("as_of")?;
    let c_party = col("party")?;
    let c_limits: Vec<usize> = spec.limits.iter().map(|l| col(&l.name)).collect::<Result<_, _>>()?;
    let c_source = col("source_url")?;
    let c_status = headers.iter().position(|h| h == "status");
    let c_fact_sheet = headers.iter().position(|h| h == "fact_sheet");
    let c_fact_sheet_date = headers.iter().position(|h| h == "fact_sheet_date");
    let mut rows: Vec<PublishedRow> = Vec::new();
    let mut seen: std::collections::HashMap<(Date, String), u64> = Default::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("{len} cells where the header has {expected_len}")
                }
                _ => e.to_string(),
            };
            err(line, "-", message)
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        let get = |i: usize| rec.get(i).unwrap_or("");
        let as_of = parse_date(get(c_as_of)).map_err(|e| err(line, "as_of", e.to_string()))?;
        let party = get(c_party).to_owned();
        if spec.party(&party).is_none() {
            let codes: Vec<&str> = spec.parties.iter().map(|p| p.code.as_str()).collect();
            return Err(err(
                line,
                "party",
                format!("'{party}' is not a Party of {} (expected {})", spec.short_name, codes.join(" or ")),
            ));
        }
        let mut values = Vec::with_capacity(c_limits.len());
        for (l, &c) in spec.limits.iter().zip(&c_limits) {
            let cell = get(c);
            if cell.is_empty() {
                values.push(None);
                continue;
            }
            if !cell.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(line, &l.name, format!("'{cell}' is not a non-negative whole number")));
            }
            let v: u64 = cell.parse().map_err(|_| err(line, &l.name, format!("'{cell}' is too large")))?;
            values.push(Some(v));
        }
        let status = match c_status.map(get).unwrap_or("") {
            "" => RowStatus::Published,
            word => RowStatus::ALL.into_iter().find(|s| s.word() == word).ok_or_else(|| {
                err(
                    line,
                    "status",
                    format!("'{word}' is not a row status (published, or unsourced: published, no source for the figures found)"),
                )
            })?,
        };
        if status == RowStatus::Unsourced {
            if let Some((l, _)) = spec.limits.iter().zip(&values).find(|(_, v)| v.is_some()) {
                return Err(err(
                    line,
                    &l.name,
                    "an unsourced row gives no figures (write the figures with status published and their source)",
                ));
            }
        }
        let fact_sheet = match c_fact_sheet.map(get).unwrap_or("") {
            "" => None,
            url if official_host(url) => Some(url.to_owned()),
            url => {
                return Err(err(
                    line,
                    "fact_sheet",
                    format!("'{url}' is not a government's page (a copy or a report of a fact sheet is the row's source_url)"),
                ))
            }
        };
        let fact_sheet_date = match c_fact_sheet_date.map(get).unwrap_or("") {
            "" => None,
            text => {
                let d = parse_date(text).map_err(|e| err(line, "fact_sheet_date", e.to_string()))?;
                if d < as_of {
                    return Err(err(
                        line,
                        "fact_sheet_date",
                        format!("{d} is before the figures' date {as_of}: a fact sheet publishes figures already current"),
                    ));
                }
                Some(d)
            }
        };
        if let Some(first) = seen.get(&(as_of, party.clone())) {
            return Err(err(
                line,
                "as_of",
                format!("duplicate row for {as_of} {party}: lines {first} and {line}"),
            ));
        }
        seen.insert((as_of, party.clone()), line);
        rows.push(PublishedRow {
            line,
            as_of,
            party,
            values,
            source_url: get(c_source).to_owned(),
            fact_sheet,
            fact_sheet_date,
            status,
        });
    }
    Ok(rows)
}

fn limit_names(spec: &TreatySpec) -> String {
    spec.limits.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Checks published rows against the limits (limits only: no findings). Rows come out sorted by
/// date, then in the spec's Party order.
pub fn published_report(spec: &TreatySpec, rows: &[PublishedRow]) -> Report {
    let mut sorted: Vec<&PublishedRow> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.as_of, spec.party(&r.party)));
    let mut unconfirmed: Vec<Unconfirmed> = Vec::new();
    let mut out_rows = Vec::new();
    let mut violations = Vec::new();
    for r in sorted {
        let (mut row, v) = check_limits(spec, r.as_of, &r.party, &r.values, &mut unconfirmed);
        row.source_url = Some(r.source_url.clone());
        row.fact_sheet.clone_from(&r.fact_sheet);
        row.fact_sheet_date = r.fact_sheet_date;
        row.line = Some(r.line);
        row.published = Some(r.status);
        out_rows.push(row);
        violations.extend(v);
    }
    Report {
        treaty: spec.id.clone(),
        evaluated_at: None,
        rows: out_rows,
        violations,
        findings: None,
        unconfirmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "as_of,party,deployed_delivery_vehicles,warheads,launchers_total,source_url,status\n";

    /// The status column: absent or blank is published; `unsourced` rows give no figures and
    /// are reported as such, never as "not published"; anything else is refused naming it.
    #[test]
    fn a_row_is_published_or_published_without_a_source_for_its_figures() {
        let spec = accord_treaty::builtin::new_start();
        let rows = parse_published(
            &spec,
            &format!("{HEAD}2022-03-01,US,686,1515,800,u,\n2022-09-01,US,,,,u,unsourced\n2022-09-01,RU,,,,u,published\n"),
        )
        .expect("parses");
        let st: Vec<RowStatus> = rows.iter().map(|r| r.status).collect();
        assert_eq!(st, [RowStatus::Published, RowStatus::Unsourced, RowStatus::Published]);
        let report = published_report(&spec, &rows);
        let words: Vec<Option<&str>> = report.rows.iter().map(|r| r.published.map(RowStatus::word)).collect();
        assert_eq!(
            words,
            [Some("published"), Some("unsourced"), Some("published")],
            "by date, then Party order"
        );
        // Without the column, every row is published.
        let plain = "as_of,party,deployed_delivery_vehicles,warheads,launchers_total,source_url\n2022-03-01,US,686,1515,800,u\n";
        assert_eq!(parse_published(&spec, plain).expect("parses")[0].status, RowStatus::Published);
        // A figure in an unsourced row, and an unknown status, are refused naming the cell.
        let e = parse_published(&spec, &format!("{HEAD}2022-09-01,US,,1500,,u,unsourced\n")).expect_err("a figure");
        assert!(e.to_string().contains("warheads") && e.to_string().contains(":2:"), "{e}");
        let e = parse_published(&spec, &format!("{HEAD}2022-09-01,US,,,,u,rumoured\n")).expect_err("status");
        assert!(e.to_string().contains("status") && e.to_string().contains("rumoured"), "{e}");
    }

    /// A row names the official page that published its figures apart from where they were
    /// read: the fact sheet must be a government's page and not dated before the figures.
    #[test]
    fn the_fact_sheet_is_a_government_page_dated_after_its_figures() {
        let spec = accord_treaty::builtin::new_start();
        let head = "as_of,party,deployed_delivery_vehicles,warheads,launchers_total,source_url,fact_sheet,fact_sheet_date\n";
        let ok = format!("{head}2020-09-01,US,675,1457,800,https://www.globalsecurity.org/x.htm,https://www.state.gov/fs/,2020-12-01\n2021-03-01,US,651,1357,800,https://press.example/a,,\n");
        let rows = parse_published(&spec, &ok).expect("parses");
        assert_eq!(rows[0].fact_sheet.as_deref(), Some("https://www.state.gov/fs/"));
        assert_eq!(rows[0].fact_sheet_date, Some(accord_treaty::parse_date("2020-12-01").unwrap()));
        assert_eq!((rows[1].fact_sheet.as_deref(), rows[1].fact_sheet_date), (None, None));
        let report = published_report(&spec, &rows);
        let v = serde_json::to_value(&report.rows[0]).unwrap();
        assert_eq!(v["fact_sheet"], "https://www.state.gov/fs/");
        assert_eq!(v["fact_sheet_date"], "2020-12-01");
        assert_eq!(v["source_url"], "https://www.globalsecurity.org/x.htm");
        let mirror = format!("{head}2020-09-01,US,675,1457,800,u,https://www.globalsecurity.org/x.htm,\n");
        let e = parse_published(&spec, &mirror).expect_err("a mirror as the fact sheet");
        assert!(e.to_string().contains("fact_sheet") && e.to_string().contains(":2:"), "{e}");
        let early = format!("{head}2020-09-01,US,675,1457,800,u,https://www.state.gov/fs/,2020-08-31\n");
        let e = parse_published(&spec, &early).expect_err("dated before its figures");
        assert!(e.to_string().contains("fact_sheet_date"), "{e}");
    }
}
