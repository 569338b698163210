//! The inspection and the negotiation the live demo plays between the two nodes, at their
//! dates on the virtual clock, through the same API an operator uses (`POST
//! /api/v1/inspections`, `POST /api/v1/proposals`): a Russian Type One inspection of a US ICBM
//! base in June 2011 (notice, designation with the base's declared data, findings, the report
//! in English and Russian, signed by both), the October 2020 proposal and counter-proposal,
//! the five-year extension accepted on 2021-01-26, and Russia's exemption of 2022-08-08.

use accord_ledger::notification::Notification;
use accord_ledger::record::site_data;
use accord_ledger::History;
use accord_treaty::{Date, TreatySpec};
use anyhow::anyhow;

use crate::failure::{io, Failure};

/// One scripted step: its date, the Party acting, the API path and the request.
pub struct Scripted {
    /// The step's date.
    pub date: Date,
    /// `US` or `RU`.
    pub party: &'static str,
    /// `/api/v1/inspections` or `/api/v1/proposals`.
    pub path: &'static str,
    /// The request.
    pub req: serde_json::Value,
    /// What to print once done.
    pub say: String,
}

fn d(s: &str) -> Result<Date, Failure> {
    accord_treaty::parse_date(s).map_err(|e| io(anyhow!("{s}: {e}")))
}

/// The script, in date order. The inspection's site and missile come from the synthetic
/// history: the first US ICBM base with deployed missiles on the designation date.
pub fn script(spec: &TreatySpec, notifications: &[Notification<'static>]) -> Result<Vec<Scripted>, Failure> {
    let on = d("2011-06-01")?;
    let sent: Vec<&Notification<'static>> = notifications.iter().filter(|n| n.date <= on).collect();
    let history = History::from_notifications(spec, sent).map_err(|e| io(anyhow!("demo script: {e}")))?;
    let init = notifications
        .iter()
        .find(|n| n.party == "US" && n.kind == "initial_data")
        .ok_or_else(|| io(anyhow!("demo script: no US initial data")))?;
    let mut site = None;
    for f in init.body.facilities.iter().flatten() {
        if f.facility_type == "icbm_base" {
            let data = site_data(spec, &history, "US", &f.id, on).map_err(|e| io(anyhow!("demo script: {e}")))?;
            if !data.loadings.is_empty() {
                site = Some(data);
                break;
            }
        }
    }
    let data = site.ok_or_else(|| io(anyhow!("demo script: no US ICBM base with deployed missiles on {on}")))?;
    let (missile, rv) = data
        .loadings
        .iter()
        .next()
        .map(|(m, r)| (m.clone(), *r))
        .ok_or_else(|| io(anyhow!("demo script: no missile")))?;
    let id = "RU-2011-T1-01";
    let ins = "/api/v1/inspections";
    let pro = "/api/v1/proposals";
    let builtin = |i: usize| accord_treaty::proposal::BUILTIN[i].1.to_owned();
    Ok(vec![
        Scripted {
            date: on,
            party: "RU",
            path: ins,
            req: serde_json::json!({"step": "notify", "id": id, "type": "type_one", "date": "2011-06-01"}),
            say: format!("RU notifies Type One inspection {id} of the United States"),
        },
        Scripted {
            date: on,
            party: "RU",
            path: ins,
            req: serde_json::json!({"step": "designate", "id": id, "site": data.site, "missile": missile, "date": "2011-06-01"}),
            say: format!(
                "RU designates {} ({} items declared there) and missile {missile} ({rv} reentry vehicles declared)",
                data.site,
                data.items.len()
            ),
        },
        Scripted {
            date: on,
            party: "RU",
            path: ins,
            req: serde_json::json!({"step": "findings", "id": id, "date": "2011-06-01",
                "found": {"items": data.items, "counts": data.counts, "reentry_vehicles": rv}}),
            say: "RU records its findings: every unique identifier and count as declared".into(),
        },
        Scripted {
            date: d("2011-06-02")?,
            party: "RU",
            path: ins,
            req: serde_json::json!({"step": "report", "id": id, "date": "2011-06-02"}),
            say: "RU gives the factual report in English and Russian, signed over its SHA-256".into(),
        },
        Scripted {
            date: d("2011-06-02")?,
            party: "US",
            path: ins,
            req: serde_json::json!({"step": "sign", "id": id, "date": "2011-06-02"}),
            say: "US countersigns the same report: the inspection ends, no discrepancy".into(),
        },
        Scripted {
            date: d("2020-10-13")?,
            party: "US",
            path: pro,
            req: serde_json::json!({"step": "file", "toml": builtin(0)}),
            say: "US proposes: extend one year, freeze all nuclear warheads, verified".into(),
        },
        Scripted {
            date: d("2020-10-20")?,
            party: "RU",
            path: pro,
            req: serde_json::json!({"step": "counter", "toml": builtin(1)}),
            say: "RU counters: one year, a political cap on warheads, no verification demands".into(),
        },
        Scripted {
            date: d("2021-01-26")?,
            party: "RU",
            path: pro,
            req: serde_json::json!({"step": "file", "date": "2021-01-26", "proposal": {"id": "ru-2021-01-26-five-years",
                "title": "Extend New START for five years, without conditions", "terms": [{"extend_years": 5}]}}),
            say: "RU proposes a five-year extension without conditions".into(),
        },
        Scripted {
            date: d("2021-01-26")?,
            party: "US",
            path: pro,
            req: serde_json::json!({"step": "accept", "id": "ru-2021-01-26-five-years", "date": "2021-01-26"}),
            say: "US accepts it".into(),
        },
        Scripted {
            date: d("2022-08-08")?,
            party: "RU",
            path: ins,
            req: serde_json::json!({"step": "exempt", "id": "RU-2022-08-08", "date": "2022-08-08",
                "reason": "Temporary exemption of all facilities (Protocol Part Five, Section I), citing sanctions and COVID-19"}),
            say: "RU temporarily exempts all its facilities from inspection".into(),
        },
    ])
}
