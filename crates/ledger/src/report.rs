//! The factual inspection report (Protocol Part Five, Section X): one typed record, rendered in
//! English and in Russian (both authentic), and the discrepancies between what was declared and
//! what was found, each of which opens an item on the Bilateral Consultative Commission's agenda.
//!
//! Invariants: both renderings come from the same [`Report`] and carry the same figures in the
//! same order; a report is final only when signed by both Parties; a discrepancy is any count
//! (or reentry-vehicle number) observed that differs from the declared one. Pure: no I/O.

use std::fmt::Write as _;

use accord_treaty::{Date, TreatySpec};
use serde::Serialize;

/// A count of one category: declared for the site before the inspection, and observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Count {
    /// Category code (from the spec).
    pub category: String,
    /// Declared.
    pub declared: u64,
    /// Observed.
    pub observed: u64,
}

/// The reentry vehicles on the missile chosen for a reentry-vehicle inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reentry {
    /// The missile's unique identifier.
    pub missile: String,
    /// Warheads declared on it.
    pub declared: u32,
    /// Reentry vehicles found.
    pub observed: u32,
}

/// A measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// What was measured (free text, in the inspectors' words, given in both languages).
    pub what_en: String,
    /// The same in Russian.
    pub what_ru: String,
    /// Value.
    pub value: String,
    /// Unit.
    pub unit: String,
}

/// The factual report of one inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Report {
    /// Inspection identifier.
    pub inspection: String,
    /// Inspection type code.
    pub kind: String,
    /// Inspecting Party.
    pub inspecting: String,
    /// Inspected Party.
    pub inspected: String,
    /// The site (its declared name or identifier).
    pub site: String,
    /// The date of the report.
    pub date: Date,
    /// Counts declared and observed.
    pub counts: Vec<Count>,
    /// Reentry vehicles, for a reentry-vehicle inspection.
    pub reentry: Option<Reentry>,
    /// Items seen, by unique identifier.
    pub seen: Vec<String>,
    /// Measurements.
    pub measurements: Vec<Measurement>,
    /// The Parties that signed it.
    pub signed_by: Vec<String>,
}

/// A difference between what was declared and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// The inspection.
    pub inspection: String,
    /// The inspected Party.
    pub party: String,
    /// What (a category code, or `reentry_vehicles:<missile>`).
    pub what: String,
    /// Declared.
    pub declared: u64,
    /// Found.
    pub observed: u64,
    /// The Commission's agenda item it opens.
    pub agenda_item: String,
}

/// The report's two languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

impl Report {
    /// Records a Party's signature (once).
    pub fn sign(&mut self, party: &str, spec: &TreatySpec) -> Result<(), String> {
        if spec.party(party).is_none() {
            return Err(format!("'{party}' is not a Party"));
        }
        if self.signed_by.iter().any(|p| p == party) {
            return Err(format!("{party} has already signed the report of {}", self.inspection));
        }
        self.signed_by.push(party.to_owned());
        Ok(())
    }

    /// True once both Parties signed.
    pub fn is_final(&self) -> bool {
        [&self.inspecting, &self.inspected].iter().all(|p| self.signed_by.contains(p))
    }

    /// The discrepancies between declared and found.
    pub fn discrepancies(&self) -> Vec<Discrepancy> {
        let mut out = Vec::new();
        let mut add = |what: String, declared: u64, observed: u64| {
            let n = out.len() + 1;
            out.push(Discrepancy {
                inspection: self.inspection.clone(),
                party: self.inspected.clone(),
                agenda_item: format!("BCC: {} discrepancy {n}: {what}", self.inspection),
                what,
                declared,
                observed,
            });
        };
        for c in &self.counts {
            if c.declared != c.observed {
                add(c.category.clone(), c.declared, c.observed);
            }
        }
        if let Some(r) = &self.reentry {
            if r.declared != r.observed {
                add(format!("reentry_vehicles:{}", r.missile), r.declared.into(), r.observed.into());
            }
        }
        out
    }

    /// The report in one language, from the same data.
    pub fn render(&self, spec: &TreatySpec, lang: Lang) -> String {
        let t = |en: &'static str, ru: &'static str| if lang == Lang::En { en } else { ru };
        let party = |code: &str| {
            spec.parties
                .iter()
                .find(|p| p.code == code)
                .map(|p| match lang {
                    Lang::En => p.name.clone(),
                    Lang::Ru => p.name_ru.clone().unwrap_or_else(|| p.name.clone()),
                })
                .unwrap_or_else(|| code.to_owned())
        };
        let kind = spec
            .inspections
            .types
            .iter()
            .find(|k| k.code == self.kind)
            .map(|k| match lang {
                Lang::En => k.name.clone(),
                Lang::Ru => k.name_ru.clone().unwrap_or_else(|| k.code.clone()),
            })
            .unwrap_or_else(|| self.kind.clone());
        let category = |code: &str| {
            spec.categories
                .iter()
                .find(|c| c.code == code)
                .map(|c| match lang {
                    Lang::En => c.name.clone(),
                    Lang::Ru => c.name_ru.clone().unwrap_or_else(|| c.code.clone()),
                })
                .unwrap_or_else(|| code.to_owned())
        };
        let mut o = String::new();
        let _ = writeln!(o, "{} {}", t("INSPECTION REPORT", "ОТЧЁТ ОБ ИНСПЕКЦИИ"), self.inspection);
        let _ = writeln!(o, "{}: {kind}", t("Type of activity", "Вид деятельности"));
        let _ = writeln!(o, "{}: {}", t("Site", "Объект"), self.site);
        let _ = writeln!(
            o,
            "{}: {}",
            t("Inspecting Party", "Инспектирующая Сторона"),
            party(&self.inspecting)
        );
        let _ = writeln!(o, "{}: {}", t("Inspected Party", "Инспектируемая Сторона"), party(&self.inspected));
        let _ = writeln!(o, "{}: {}", t("Date", "Дата"), self.date);
        let _ = writeln!(o, "\n{}", t("Declared and observed", "Заявлено и выявлено"));
        for c in &self.counts {
            let _ = writeln!(
                o,
                "  {}: {} {}, {} {}",
                category(&c.category),
                t("declared", "заявлено"),
                c.declared,
                t("observed", "выявлено"),
                c.observed
            );
        }
        if let Some(r) = &self.reentry {
            let _ = writeln!(
                o,
                "  {} {}: {} {}, {} {}",
                t("Reentry vehicles on missile", "Головные части на ракете"),
                r.missile,
                t("declared", "заявлено"),
                r.declared,
                t("observed", "выявлено"),
                r.observed
            );
        }
        if !self.seen.is_empty() {
            let _ = writeln!(
                o,
                "{}: {}",
                t("Unique identifiers seen", "Уникальные идентификаторы"),
                self.seen.join(", ")
            );
        }
        if !self.measurements.is_empty() {
            let _ = writeln!(o, "\n{}", t("Measurements", "Измерения"));
            for m in &self.measurements {
                let what = if lang == Lang::En { &m.what_en } else { &m.what_ru };
                let _ = writeln!(o, "  {what}: {} {}", m.value, m.unit);
            }
        }
        let d = self.discrepancies();
        let _ = writeln!(o, "\n{}: {}", t("Discrepancies", "Расхождения"), d.len());
        for x in &d {
            let what = match x.what.strip_prefix("reentry_vehicles:") {
                Some(m) => format!("{} {m}", t("reentry vehicles on", "головные части на")),
                None => category(&x.what),
            };
            let _ = writeln!(
                o,
                "  {what}: {} {}, {} {}",
                t("declared", "заявлено"),
                x.declared,
                t("observed", "выявлено"),
                x.observed
            );
        }
        let signed: Vec<String> = self.signed_by.iter().map(|p| party(p)).collect();
        let _ = writeln!(
            o,
            "\n{}: {}",
            t("Signed by", "Подписан"),
            if signed.is_empty() {
                t("not yet signed", "ещё не подписан").to_owned()
            } else {
                signed.join("; ")
            }
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            inspection: "US-1-0007".into(),
            kind: "type_one".into(),
            inspecting: "US".into(),
            inspected: "RU".into(),
            site: "RU-ICBM-BASE-03".into(),
            date: accord_treaty::parse_date("2019-06-14").expect("date"),
            counts: vec![
                Count {
                    category: "icbm".into(),
                    declared: 18,
                    observed: 18,
                },
                Count {
                    category: "icbm_launcher".into(),
                    declared: 20,
                    observed: 19,
                },
            ],
            reentry: Some(Reentry {
                missile: "RU-ICBM-0112".into(),
                declared: 4,
                observed: 5,
            }),
            seen: vec!["RU-ICBM-0112".into(), "RU-ICBM-0113".into()],
            measurements: vec![Measurement {
                what_en: "Length of the launch canister".into(),
                what_ru: "Длина транспортно-пускового контейнера".into(),
                value: "22.1".into(),
                unit: "m".into(),
            }],
            signed_by: vec![],
        }
    }

    #[test]
    fn both_languages_from_the_same_data() {
        let spec = accord_treaty::builtin::new_start();
        let mut r = report();
        r.sign("US", &spec).expect("US");
        assert!(!r.is_final());
        assert!(r.sign("US", &spec).is_err());
        r.sign("RU", &spec).expect("RU");
        assert!(r.is_final());
        let en = r.render(&spec, Lang::En);
        let ru = r.render(&spec, Lang::Ru);
        insta::assert_snapshot!("report_en", en);
        insta::assert_snapshot!("report_ru", ru);
        // The same figures in the same order in both.
        let numbers = |s: &str| {
            s.split(|c: char| !c.is_ascii_digit())
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(&en), numbers(&ru));
    }

    #[test]
    fn discrepancies_open_agenda_items() {
        let d = report().discrepancies();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].what.as_str(), d[0].declared, d[0].observed), ("icbm_launcher", 20, 19));
        assert_eq!(d[1].what, "reentry_vehicles:RU-ICBM-0112");
        assert!(d.iter().all(|x| x.party == "RU" && x.agenda_item.starts_with("BCC: US-1-0007")));
        let mut ok = report();
        ok.counts[1].observed = 20;
        ok.reentry = None;
        assert!(ok.discrepancies().is_empty());
    }
}
