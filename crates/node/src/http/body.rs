//! The typed bodies of the HTTP API that are the rim's own (the protocol modules' are theirs:
//! [`crate::exchange::Status`], [`crate::append::Logged`], [`crate::bundle::Imported`]).
//! `openapi.json` is checked against these types (the tests below): every key a schema
//! requires is one the type writes, and a type writes no key a schema that lists its
//! properties leaves out. Fields are declared in the order their keys are written.

use serde::{Deserialize, Serialize};

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    /// This node's Party.
    pub party: String,
    /// The own log's size.
    pub size: u64,
    /// Always `ok`.
    pub status: String,
}

/// `GET /api/v1/keys`: the keys a partner or witness configures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keys {
    /// The own log's verifier key.
    pub log_key: String,
    /// The node's key (cosignatures, signed requests).
    pub node_key: String,
    /// The own log's origin.
    pub origin: String,
    /// This node's Party.
    pub party: String,
}

/// `POST` and `GET /api/v1/session`: the role of the credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRole {
    /// The role's name.
    pub role: String,
}

/// `POST /api/v1/session`: the token to exchange for a session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    /// A bearer token.
    pub token: String,
}

/// `DELETE /api/v1/session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedOut {
    /// Whether a live session was ended.
    pub ended: bool,
}

/// `POST /api/v1/validate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Validity {
    /// What is wrong, naming the field, when it is not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Whether the notification is valid.
    pub valid: bool,
}

/// `POST /api/v1/compose`: what to compose (the id defaults to the next free one, the body to
/// `{}`). A field given as `null` is kept as `null` (and then refused by validation), not taken
/// for an absent one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compose {
    /// The catalogue kind.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub kind: Option<serde_json::Value>,
    /// The event date.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub date: Option<serde_json::Value>,
    /// The body.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// The id.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
}

/// A field that is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl Compose {
    /// The fields a compose request may have.
    pub const FIELDS: [&'static str; 4] = ["kind", "date", "body", "id"];
}

/// `POST /api/v1/compose`: the notification composed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Composed {
    /// The notification, with this Party and an id.
    pub notification: serde_json::Value,
    /// What is wrong, naming the field, when it is not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Whether it is valid.
    pub valid: bool,
}

/// `POST /api/v1/notifications`: one receipt a notification, in the order submitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipts {
    /// The receipts.
    pub receipts: Vec<Option<crate::append::Logged>>,
}

/// `GET` and `PUT /api/v1/clock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockReading {
    /// The treaty clock (RFC 3339).
    pub now: String,
    /// Whether it is a virtual clock an operator sets.
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
}

/// `PUT /api/v1/clock`: the time to set a virtual clock to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetClock {
    /// `YYYY-MM-DDTHH:MM:SSZ`, not before the clock's time.
    pub now: String,
}

/// `GET /api/v1/outbox`, `GET /api/v1/inbox`: a page of the mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxPage {
    /// The newest items, oldest first.
    pub items: Vec<crate::view::BoxItem>,
    /// How many items match the filter in all.
    pub total: usize,
}

/// `GET /api/v1/state`: each Party's figure for each limit on a date, from the exchanged record.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// The date.
    pub on: String,
    /// One entry a Party, in the treaty's order.
    pub parties: Vec<PartyFigures>,
}

/// One Party's figures on a date.
#[derive(Debug, Clone, Serialize)]
pub struct PartyFigures {
    /// The date of the data they come from (`null` before the Party's first data).
    pub declared_as_of: Option<String>,
    /// The Party.
    pub party: String,
    /// One entry a limit, in the treaty's order.
    pub values: Vec<LimitFigure>,
}

/// A Party's figure for one limit.
#[derive(Debug, Clone, Serialize)]
pub struct LimitFigure {
    /// The limit's name.
    pub limit: String,
    /// Its ceiling.
    pub max: u64,
    /// The figure (`null` when nothing was declared).
    pub value: Option<u64>,
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Clone, Serialize)]
pub struct Alerts {
    /// Forks and entry problems raised, in order.
    pub alerts: Vec<crate::state::Alert>,
    /// The evidence of each fork kept.
    pub evidence: Vec<ForkEvidence>,
    /// Problems with the partner's entries.
    pub problems: Vec<crate::view::Problem>,
}

/// Two signed checkpoints of one log that cannot both be true.
#[derive(Debug, Clone, Serialize)]
pub struct ForkEvidence {
    /// The checkpoint held (cosigned or mirrored).
    pub held: String,
    /// The log's origin.
    pub origin: String,
    /// The conflicting checkpoint seen.
    pub seen: String,
    /// When it was seen (POSIX seconds).
    pub seen_at: u64,
}

/// `GET /public/releases`.
#[derive(Debug, Clone, Serialize)]
pub struct Releases {
    /// The size of the own log final under the policy.
    pub final_size: u64,
    /// Every public release, oldest first.
    pub releases: Vec<Release>,
}

/// One public release.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// Whether its entry is below the final size (a proof to a final checkpoint exists).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Its entry's index in the own log.
    pub index: u64,
    /// The public part of the notification it releases.
    pub release: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The schema of a response (`status`) or, with `status` None, of the request body, with
    /// `$ref`s resolved.
    fn schema(doc: &Value, method: &str, path: &str, status: Option<&str>) -> Value {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in openapi.json");
        let s = match status {
            Some(st) => &op["responses"][st]["content"]["application/json"]["schema"],
            None => &op["requestBody"]["content"]["application/json"]["schema"],
        };
        resolve(doc, s)
    }

    fn resolve(doc: &Value, s: &Value) -> Value {
        match s["$ref"].as_str() {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                doc["components"]["schemas"][name].clone()
            }
            None => s.clone(),
        }
    }

    /// Checks a value a type writes against a schema: each required key is written, each key
    /// written is listed when the schema lists properties, an enum holds the value, and the
    /// same for nested objects and array items.
    fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
        let schema = resolve(doc, schema);
        let mut out = Vec::new();
        if let Some(e) = schema["enum"].as_array() {
            if !e.contains(v) {
                out.push(format!("{at}: {v} is not one of {e:?}"));
            }
        }
        if let Some(c) = schema.get("const") {
            if c != v {
                out.push(format!("{at}: {v} is not {c}"));
            }
        }
        if let (Some(o), true) = (v.as_object(), schema.is_object()) {
            for r in schema["required"].as_array().into_iter().flatten() {
                let k = r.as_str().unwrap_or_default();
                if !o.contains_key(k) {
                    out.push(format!("{at}: the schema requires `{k}`, which the type does not write"));
                }
            }
            if let Some(props) = schema["properties"].as_object() {
                for (k, x) in o {
                    match props.get(k) {
                        Some(p) => out.extend(conforms(doc, p, x, &format!("{at}.{k}"))),
                        None if schema["required"].as_array().is_some_and(|r| r.iter().any(|r| r == k)) => {}
                        None => out.push(format!("{at}: the type writes `{k}`, which the schema does not list")),
                    }
                }
            }
        }
        if let (Some(a), Some(items)) = (v.as_array(), schema.get("items")) {
            for (i, x) in a.iter().enumerate() {
                out.extend(conforms(doc, items, x, &format!("{at}[{i}]")));
            }
        }
        out
    }

    /// openapi.json describes what the types write: each documented response and request body
    /// with a type, checked with values of that type (the compiler makes each sample name every
    /// field, so a field added to a type is checked here).
    #[test]
    fn openapi_describes_the_types() {
        let doc: Value = serde_json::from_str(crate::http::api::OPENAPI).expect("openapi.json");
        let logged = crate::append::Logged {
            duplicate: false,
            id: "US-1".into(),
            index: 3,
            leaf_hash: Some("AAAA".into()),
            size: Some(4),
        };
        let retry = crate::append::Logged {
            duplicate: true,
            leaf_hash: None,
            size: None,
            ..logged.clone()
        };
        let status = crate::exchange::Status {
            acknowledged_by_partner: 1,
            alerts: 0,
            clock: "2011-02-05T00:00:00Z".into(),
            cosigned: crate::state::CosignedBy {
                partner: 2,
                witnesses: vec![2],
            },
            final_size: 2,
            frozen: false,
            origin: "accord.example/us".into(),
            partner: crate::exchange::PartnerProgress {
                acknowledged: 1,
                mirrored: 2,
                party: "RU".into(),
            },
            party: "US".into(),
            problems: 0,
            reached: Some(true),
            size: 2,
        };
        let item = crate::view::BoxItem {
            index: 0,
            id: "US-1".into(),
            kind: "deployment".into(),
            date: "2011-02-05".into(),
            sent: Some("2011-02-05T00:00:00Z".into()),
            received: None,
            due: Some("2011-02-10".into()),
            status: crate::view::DeadlineStatus::Awaiting,
        };
        let imported = crate::bundle::Imported {
            origin: "accord.example/ru".into(),
            from: 0,
            size: 9,
            held_before: 0,
            held_after: 9,
            own_size: 5,
            cosigned_by_partner: Some(5),
            exported_at: 1_300_000_000,
        };
        let j = |v: &dyn erased::Ser| v.to_json();
        let cases: Vec<(&str, &str, Option<&str>, Value)> = vec![
            (
                "get",
                "/health",
                Some("200"),
                j(&Health {
                    party: "US".into(),
                    size: 1,
                    status: "ok".into(),
                }),
            ),
            (
                "get",
                "/api/v1/keys",
                Some("200"),
                j(&Keys {
                    log_key: "k".into(),
                    node_key: "n".into(),
                    origin: "o".into(),
                    party: "US".into(),
                }),
            ),
            ("post", "/api/v1/session", Some("200"), j(&SessionRole { role: "operator".into() })),
            ("post", "/api/v1/session", None, j(&SignIn { token: "accord_x".into() })),
            ("get", "/api/v1/session", Some("200"), j(&SessionRole { role: "operator".into() })),
            ("delete", "/api/v1/session", Some("200"), j(&SignedOut { ended: true })),
            (
                "post",
                "/api/v1/validate",
                Some("200"),
                j(&Validity {
                    problem: Some("kind: unknown".into()),
                    valid: false,
                }),
            ),
            (
                "post",
                "/api/v1/compose",
                None,
                j(&Compose {
                    kind: Some(json!("deployment")),
                    date: Some(json!("2011-02-05")),
                    body: Some(json!({})),
                    id: Some(json!("US-1")),
                }),
            ),
            (
                "post",
                "/api/v1/compose",
                Some("200"),
                j(&Composed {
                    notification: json!({}),
                    problem: None,
                    valid: true,
                }),
            ),
            (
                "post",
                "/api/v1/notifications",
                Some("200"),
                j(&Receipts {
                    receipts: vec![Some(logged), Some(retry)],
                }),
            ),
            (
                "get",
                "/api/v1/clock",
                Some("200"),
                j(&ClockReading {
                    now: "2011-02-05T00:00:00Z".into(),
                    is_virtual: true,
                }),
            ),
            (
                "put",
                "/api/v1/clock",
                None,
                j(&SetClock {
                    now: "2011-02-05T00:00:00Z".into(),
                }),
            ),
            (
                "put",
                "/api/v1/clock",
                Some("200"),
                j(&ClockReading {
                    now: "2011-02-05T00:00:00Z".into(),
                    is_virtual: true,
                }),
            ),
            ("get", "/api/v1/status", Some("200"), j(&status)),
            (
                "get",
                "/api/v1/outbox",
                Some("200"),
                serde_json::to_value(MailboxPage {
                    items: vec![item.clone()],
                    total: 1,
                })
                .expect("json"),
            ),
            (
                "get",
                "/api/v1/inbox",
                Some("200"),
                serde_json::to_value(MailboxPage {
                    items: vec![item],
                    total: 1,
                })
                .expect("json"),
            ),
            ("post", "/api/v1/bundle", Some("200"), j(&imported)),
            (
                "get",
                "/api/v1/state",
                Some("200"),
                j(&Figures {
                    on: "2011-02-05".into(),
                    parties: vec![PartyFigures {
                        declared_as_of: None,
                        party: "US".into(),
                        values: vec![LimitFigure {
                            limit: "deployed_warheads".into(),
                            max: 1550,
                            value: Some(1),
                        }],
                    }],
                }),
            ),
            (
                "get",
                "/api/v1/alerts",
                Some("200"),
                j(&Alerts {
                    alerts: vec![crate::state::Alert {
                        kind: "fork".into(),
                        message: "m".into(),
                        at: "2011-02-05T00:00:00Z".into(),
                    }],
                    evidence: vec![ForkEvidence {
                        held: "a".into(),
                        origin: "o".into(),
                        seen: "b".into(),
                        seen_at: 1,
                    }],
                    problems: vec![crate::view::Problem {
                        party: "RU".into(),
                        index: 1,
                        problem: "p".into(),
                    }],
                }),
            ),
            (
                "get",
                "/public/releases",
                Some("200"),
                j(&Releases {
                    final_size: 3,
                    releases: vec![Release {
                        is_final: true,
                        index: 1,
                        release: json!({"kind": "deployment"}),
                    }],
                }),
            ),
        ];
        // The regime's bodies, from a real (empty) record and a built-in proposal.
        let spec = accord_treaty::builtin::new_start();
        let record = accord_ledger::record::Record::new(&spec);
        let on = accord_treaty::parse_date("2021-02-05").expect("date");
        let mut inspections = serde_json::to_value(crate::regime::inspections_on(&record, on)).expect("json");
        inspections["quotas"] = j(&vec![crate::regime::Quota {
            party: "US".into(),
            quota: 10,
            kind: "type_one".into(),
            used: 1,
        }]);
        let proposal = accord_treaty::proposal::BUILTIN
            .iter()
            .find_map(|(_, text)| accord_treaty::proposal::Proposal::parse(text, &spec).ok())
            .expect("a built-in proposal");
        let evaluation = accord_ledger::negotiation::evaluate(&spec, &proposal, on, &[], &[]);
        let receipt = crate::append::Logged {
            duplicate: false,
            id: "US-inspection".into(),
            index: 0,
            leaf_hash: None,
            size: None,
        };
        let mut cases = cases;
        cases.extend([
            ("get", "/api/v1/inspections", Some("200"), inspections),
            (
                "post",
                "/api/v1/inspections",
                Some("200"),
                j(&crate::regime::InspectionLogged {
                    exemption: None,
                    inspection: None,
                    notification: json!({}),
                    receipt: Some(receipt.clone()),
                }),
            ),
            (
                "get",
                "/api/v1/proposals",
                Some("200"),
                j(&crate::regime::proposals_on(&record, on)),
            ),
            (
                "post",
                "/api/v1/proposals",
                Some("200"),
                j(&crate::regime::ProposalLogged {
                    agreements: &[],
                    notification: json!({}),
                    proposals: &[],
                    receipt: Some(receipt),
                }),
            ),
            (
                "get",
                "/api/v1/timeline",
                Some("200"),
                j(&crate::http::regime::Timeline {
                    events: vec![json!({"date": "2011-02-05"})],
                    treaty: "new-start".into(),
                }),
            ),
            (
                "get",
                "/api/v1/proposals/{id}/evaluation",
                Some("200"),
                j(&crate::regime::Evaluated { evaluation, proposal }),
            ),
            (
                "get",
                "/api/v1/freeze",
                Some("200"),
                j(&accord_ledger::freeze::FreezeRecord::default()),
            ),
            (
                "post",
                "/api/v1/freeze",
                Some("200"),
                j(&crate::freeze::FreezeLogged {
                    findings: Vec::new(),
                    notification: json!({}),
                    receipt: None,
                    sample: None,
                }),
            ),
        ]);
        let mut problems = Vec::new();
        for (method, path, status, v) in &cases {
            let s = schema(&doc, method, path, *status);
            assert!(s.is_object(), "{method} {path} {status:?}: no JSON schema in openapi.json");
            problems.extend(conforms(&doc, &s, v, &format!("{method} {path} {}", status.unwrap_or("request"))));
        }
        assert!(problems.is_empty(), "openapi.json and the types disagree:\n{}", problems.join("\n"));
    }

    /// The check fails when the document and a type disagree (a key the schema requires that
    /// the type does not write; a key the type writes that the schema does not list).
    #[test]
    fn the_check_catches_a_disagreement() {
        let doc = json!({"components": {"schemas": {}}});
        let schema = json!({"type": "object", "required": ["now", "virtual"], "properties": {"now": {}, "virtual": {}}});
        assert!(conforms(&doc, &schema, &json!({"now": "x", "virtual": true}), "ok").is_empty());
        assert_eq!(conforms(&doc, &schema, &json!({"now": "x"}), "a").len(), 1);
        assert_eq!(
            conforms(&doc, &schema, &json!({"now": "x", "virtual": true, "extra": 1}), "b").len(),
            1
        );
        let e = json!({"enum": ["on_time", "late"]});
        assert_eq!(conforms(&doc, &e, &json!("early"), "c").len(), 1);
    }

    /// A compose field given as `null` stays `null`; an absent one is absent; an unknown one is
    /// refused.
    #[test]
    fn compose_tells_null_from_absent() {
        let c: Compose = serde_json::from_value(json!({"kind": "deployment", "body": null})).expect("compose");
        assert_eq!(c.body, Some(Value::Null));
        assert_eq!(c.id, None);
        assert!(serde_json::from_value::<Compose>(json!({"kind": "x", "extra": 1})).is_err());
    }

    /// Serialisation behind a trait object, so the table above can hold values of many types.
    mod erased {
        pub trait Ser {
            fn to_json(&self) -> serde_json::Value;
        }
        impl<T: serde::Serialize> Ser for T {
            fn to_json(&self) -> serde_json::Value {
                serde_json::to_value(self).expect("json")
            }
        }
    }
}
