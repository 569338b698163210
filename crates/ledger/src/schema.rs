//! The JSON Schema (draft 2020-12) of the notification format for a treaty, generated from its
//! catalogue: one `oneOf` branch per kind, each with exactly the kind's body fields.
//!
//! Invariant: a notification that the schema accepts has the shape [`crate::notification`]
//! parses (what replay checks beyond shape, the schema cannot: identities and dates).

use accord_treaty::{Field, TreatySpec};
use serde_json::{json, Value};

fn field_schema(spec: &TreatySpec, f: Field) -> Value {
    let id = json!({"type": "string", "minLength": 1});
    let limits: Vec<&str> = spec.limits.iter().map(|l| l.name.as_str()).collect();
    let categories: Vec<&str> = spec.categories.iter().map(|c| c.code.as_str()).collect();
    let ftypes: Vec<&str> = spec.facility_types.iter().map(|c| c.code.as_str()).collect();
    match f {
        Field::Facilities => json!({"type": "array", "items": {"type": "object", "additionalProperties": false,
            "required": ["id", "type", "name"],
            "properties": {"id": id, "type": {"enum": ftypes}, "name": {"type": "string"}}}}),
        Field::Items => json!({"type": "array", "items": {"type": "object", "additionalProperties": false,
            "required": ["id", "category", "type", "facility"],
            "properties": {"id": id, "category": {"enum": categories}, "type": {"type": "string", "minLength": 1},
                "facility": id, "launcher": id, "status": {"enum": ["deployed", "non_deployed"]}}}}),
        Field::Loadings => json!({"type": "array", "items": {"type": "object", "additionalProperties": false,
            "required": ["missile", "reentry_vehicles"],
            "properties": {"missile": id, "reentry_vehicles": {"type": "integer", "minimum": 0, "maximum": 4294967295u64}}}}),
        Field::Totals => {
            let props: serde_json::Map<String, Value> = limits
                .iter()
                .map(|l| (l.to_string(), json!({"type": "integer", "minimum": 0})))
                .collect();
            json!({"type": "object", "additionalProperties": false, "properties": props})
        }
        Field::Category => json!({"enum": categories}),
        Field::FacilityType => json!({"enum": ftypes}),
        Field::Status => json!({"enum": ["deployed", "non_deployed"]}),
        Field::Facility | Field::Item | Field::Launcher | Field::From | Field::To | Field::Type => id,
        Field::Name | Field::Reason | Field::Note | Field::Reference => json!({"type": "string"}),
        Field::Inspection => {
            let counts = json!({"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}});
            let hex = json!({"type": "string", "pattern": "^[0-9a-f]+$"});
            json!({"type": "object", "additionalProperties": false, "required": ["id"],
                "properties": {"id": id, "type": {"enum": spec.inspections.types.iter().map(|t| t.code.as_str()).collect::<Vec<_>>()},
                    "site": id, "missile": id, "until": {"type": "string", "format": "date"},
                    "declared": {"type": "object", "additionalProperties": false, "required": ["site", "as_of", "counts", "items", "loadings"],
                        "properties": {"site": id, "as_of": {"type": "string", "format": "date"}, "counts": counts,
                            "items": {"type": "array", "items": id}, "loadings": counts}},
                    "found": {"type": "object", "additionalProperties": false,
                        "properties": {"items": {"type": "array", "items": id}, "counts": counts,
                            "reentry_vehicles": {"type": "integer", "minimum": 0}, "armaments": counts,
                            "measurements": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                                "required": ["what_en", "what_ru", "value", "unit"],
                                "properties": {"what_en": {"type": "string"}, "what_ru": {"type": "string"}, "value": {"type": "string"}, "unit": {"type": "string"}}}}}},
                    "report_sha256": hex, "commitment": hex, "nonce": hex, "value": hex}})
        }
        Field::Inventory => {
            json!({"type": "object", "additionalProperties": false, "required": ["format", "treaty", "party", "as_of", "size", "root"],
                "properties": {"format": {"const": "accord-inventory/1"}, "treaty": id, "party": {"enum": spec.parties.iter().map(|p| p.code.as_str()).collect::<Vec<_>>()},
                    "as_of": {"type": "string", "format": "date"}, "size": {"type": "integer", "minimum": 0}, "root": {"type": "string"}}})
        }
        Field::LimitProof => {
            let b64 = json!({"type": "string"});
            json!({"type": "object", "additionalProperties": false, "required": ["format", "statement", "commitments", "counts_proof", "margin_proof"],
                "properties": {"format": {"const": "accord-limit-proof/1"}, "statement": {"type": "object"},
                    "commitments": {"type": "array", "items": b64}, "counts_proof": b64, "margin_proof": b64}})
        }
        Field::Openings => {
            json!({"type": "object", "additionalProperties": false, "required": ["counts", "blindings"],
                "properties": {"counts": {"type": "array", "items": {"type": "integer", "minimum": 0}}, "blindings": {"type": "array", "items": {"type": "string"}}}})
        }
        Field::Changes => {
            json!({"type": "array", "items": {"type": "object", "required": ["change", "uid"],
                "properties": {"change": {"enum": ["produced", "dismantled", "moved", "status_changed"]}, "uid": id}}})
        }
        Field::Sample => {
            json!({"type": "object", "required": ["step", "id"],
                "properties": {"step": {"enum": ["request", "commit", "reveal", "open", "findings", "zone_request", "zone_reveal", "refuse"]}, "id": id}})
        }
        Field::Proposal => {
            let date = json!({"type": "string", "format": "date"});
            json!({"type": "object", "additionalProperties": false, "required": ["id"],
                "properties": {"id": id, "title": {"type": "string"}, "responds_to": id,
                    "conditions": {"type": "array", "items": {"type": "string"}},
                    "terms": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                        "properties": {"extend_years": {"type": "integer", "minimum": 1}, "freeze_warheads_at": date,
                            "declaration": {"type": "string"}, "categories": {"type": "array", "items": {"type": "string"}},
                            "political": {"type": "boolean"}, "verification": {"type": "string"}, "disclose": {"enum": ["nothing", "zone_counts"]},
                            "limit": {"enum": limits}, "value": {"type": "integer", "minimum": 0}}}}}})
        }
    }
}

/// The schema for `spec`'s notifications.
pub fn notification_schema(spec: &TreatySpec) -> Value {
    let parties: Vec<&str> = spec.parties.iter().map(|p| p.code.as_str()).collect();
    let date = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"});
    let time = json!({"type": "string", "format": "date-time"});
    let branches: Vec<Value> = spec
        .catalogue
        .kinds()
        .iter()
        .map(|k| {
            let props: serde_json::Map<String, Value> = k
                .fields
                .iter()
                .map(|f| (f.field.name().to_string(), field_schema(spec, f.field)))
                .collect();
            let required: Vec<&str> = k.fields.iter().filter(|f| f.required).map(|f| f.field.name()).collect();
            json!({
                "title": k.title,
                "description": format!("{} ({})", k.section, k.kind),
                "properties": {
                    "kind": {"const": k.kind},
                    "body": {"type": "object", "additionalProperties": false, "required": required, "properties": props}
                }
            })
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://accord.invalid/schema/{}/notification/1", spec.id),
        "title": format!("{} notification (accord format 1)", spec.short_name),
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "kind", "party", "date", "body"],
        "properties": {
            "id": {"type": "string", "minLength": 1, "description": "unique within the notifying Party's history"},
            "kind": {"enum": spec.catalogue.kinds().iter().map(|k| k.kind.as_str()).collect::<Vec<_>>()},
            "party": {"enum": parties},
            "date": date,
            "sent": time,
            "received": time,
            "body": {"type": "object"}
        },
        "oneOf": branches
    })
}
