//! The OpenAPI schemas of the operator API's documents (`PositionDraft`, `DebtPosition`) match
//! what the API really reads and writes: real positions, serialized by the domain, are walked
//! against the published schemas, and every member must be described with a compatible type.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::{DebtPosition, OptionPayment, Origin, StampRequest, SubjectId, TransferAccount, demo};
use serde_json::Value;

fn resolve<'a>(schema: &'a Value, schemas: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(&schemas[reference.trim_start_matches("#/components/schemas/")], schemas),
        None => schema,
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// Whether `value` fits `schema`: every object member is a described property, recursively,
/// and scalars have a compatible type.
fn check(value: &Value, schema: &Value, schemas: &Value, path: &str) -> Result<(), String> {
    let schema = resolve(schema, schemas);
    for combinator in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            let errors: Vec<String> = branches
                .iter()
                .filter_map(|b| check(value, b, schemas, path).err())
                .collect();
            return if errors.len() < branches.len() {
                Ok(())
            } else {
                Err(format!("{path}: no {combinator} branch fits: {errors:?}"))
            };
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // Merge the parts' properties, then check once.
        let mut merged = serde_json::Map::new();
        for part in parts {
            if let Some(props) = resolve(part, schemas).get("properties").and_then(Value::as_object) {
                merged.extend(props.clone());
            }
        }
        let merged = serde_json::json!({ "type": "object", "properties": merged });
        return check(value, &merged, schemas, path);
    }
    let allowed = types(schema);
    let fits = |t: &str| allowed.is_empty() || allowed.contains(&t);
    match value {
        Value::Null if fits("null") => Ok(()),
        Value::Bool(_) if fits("boolean") => Ok(()),
        Value::Number(n) if fits("number") || (n.is_u64() || n.is_i64()) && fits("integer") => Ok(()),
        Value::String(s) => match schema.get("enum").and_then(Value::as_array) {
            Some(values) if !values.iter().any(|v| v == s) => Err(format!("{path}: {s:?} is not among {values:?}")),
            _ if fits("string") => Ok(()),
            _ => Err(format!("{path}: a string where the schema says {allowed:?}")),
        },
        Value::Array(items) if fits("array") => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check(item, &schema["items"], schemas, &format!("{path}[{i}]"))),
        Value::Object(members) if fits("object") => {
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{path}: an object where the schema has no properties: {schema}"))?;
            for (name, member) in members {
                let property = properties
                    .get(name)
                    .ok_or_else(|| format!("{path}.{name} is not in the schema"))?;
                check(member, property, schemas, &format!("{path}.{name}"))?;
            }
            Ok(())
        }
        other => Err(format!("{path}: {other} does not fit {allowed:?}")),
    }
}

fn positions() -> Vec<DebtPosition> {
    let ente = demo::comune();
    let at = MemoryWorld::start_time();
    let create = |draft| DebtPosition::create(&ente.id, ente.notice_layout, draft, at).unwrap();
    let mut rich = demo::tari();
    rich.metadata
        .insert("K".parse().unwrap(), "V".parse().unwrap())
        .unwrap();
    rich.options[0].transfers[1]
        .metadata
        .insert("A".parse().unwrap(), "B".parse().unwrap())
        .unwrap();
    rich.valid_from = Some(at);
    let mut debtor = demo::debtor();
    debtor.id = SubjectId::Anonymous;
    let mut stamp = demo::tari();
    stamp.iupd = "STAMP".parse().unwrap();
    stamp.debtor = debtor;
    stamp.origin = Origin::Spontaneous {
        service: "certificato-cdu".parse().unwrap(),
    };
    stamp.options[0].transfers[1].ente = ente.id.clone();
    stamp.options[0].transfers[1].account = TransferAccount::Stamp(StampRequest {
        document_hash: "nD+EJU/lBv9Aw/q6W62+BUwI3dO27tjdxPyYTNOP1lk=".parse().unwrap(),
        stamp_type: "01".parse().unwrap(),
        province: "BS".parse().unwrap(),
    });
    let mut paid = create(demo::imu_plan());
    paid.options[1].payment = Some(OptionPayment {
        receipt_id: "r1".parse().unwrap(),
        paid_at: at,
        amount: paid.options[1].amount,
    });
    vec![create(rich), create(stamp), paid, create(demo::canteen_expired())]
}

#[test]
fn positions_and_drafts_fit_their_published_schemas() {
    let document: Value = serde_json::from_str(&pagopa_api::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    for position in positions() {
        let value = serde_json::to_value(&position).unwrap();
        check(&value, &schemas["DebtPosition"], schemas, "DebtPosition").unwrap();
    }
    for draft in [demo::tari(), demo::imu_plan(), demo::other_debtor_position()] {
        let value = serde_json::to_value(&draft).unwrap();
        check(&value, &schemas["PositionDraft"], schemas, "PositionDraft").unwrap();
    }
}

#[test]
fn the_walk_itself_catches_an_undescribed_member() {
    let document: Value = serde_json::from_str(&pagopa_api::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    let mut value = serde_json::to_value(demo::tari()).unwrap();
    value["options"][0]["transfers"][0]["colour"] = Value::String("red".into());
    assert!(check(&value, &schemas["PositionDraft"], schemas, "PositionDraft").is_err());
}
