//! A catalogue form as JSON Schema (draft 2020-12), so the Front-End can render and pre-check it.
//! The server validates again on submission; the schema is a convenience, not the authority.

use pagopa_domain::{FieldKind, Form};
use serde_json::{Map, Value, json};

/// The JSON Schema of `form`: an object whose properties are the fields, all values as the
/// JSON types the submission endpoint accepts.
pub fn form_schema(form: &Form) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &form.fields {
        let mut schema = match &field.kind {
            FieldKind::Text {
                min_length,
                max_length,
                pattern,
            } => {
                let mut s = json!({ "type": "string" });
                if let Some(min) = min_length {
                    s["minLength"] = json!(min);
                }
                s["maxLength"] = json!(max_length.unwrap_or(1000).min(1000));
                if let Some(pattern) = pattern {
                    s["pattern"] = json!(format!("^(?:{})$", pattern.as_str()));
                }
                s
            }
            FieldKind::Number { min, max, decimals } => {
                let mut s = json!({ "type": if *decimals == 0 { "integer" } else { "number" } });
                if let Some(min) = min {
                    s["minimum"] = json!(min.to_string().parse::<f64>().unwrap_or_default());
                }
                if let Some(max) = max {
                    s["maximum"] = json!(max.to_string().parse::<f64>().unwrap_or_default());
                }
                if *decimals > 0 {
                    s["multipleOf"] = json!(10f64.powi(-i32::from(*decimals)));
                }
                s
            }
            FieldKind::Date { min, max } => {
                let mut s = json!({ "type": "string", "format": "date" });
                if let Some(min) = min {
                    s["formatMinimum"] = json!(min.to_string());
                }
                if let Some(max) = max {
                    s["formatMaximum"] = json!(max.to_string());
                }
                s
            }
            FieldKind::Choice { choices } => json!({
                "type": "string",
                "oneOf": choices.iter().map(|c| json!({ "const": c.value.as_str(), "title": c.label.as_str() })).collect::<Vec<_>>(),
            }),
            FieldKind::Boolean => json!({ "type": "boolean" }),
            FieldKind::FiscalCode => json!({
                "type": "string",
                "pattern": "^([A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]|[0-9]{11})$",
            }),
            FieldKind::Email => json!({ "type": "string", "format": "email", "maxLength": 256 }),
        };
        schema["title"] = json!(field.label.as_str());
        if let Some(help) = &field.help {
            schema["description"] = json!(help.as_str());
        }
        properties.insert(field.name.to_string(), schema);
        if field.required {
            required.push(json!(field.name.as_str()));
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_forms_become_schemas() {
        let catalogue = pagopa_domain::demo::catalogue();
        let room = catalogue.iter().find(|s| s.code.as_str() == "sala-civica").unwrap();
        let schema = form_schema(&room.form);
        assert_eq!(schema["properties"]["hours"]["type"], "number");
        assert_eq!(schema["properties"]["hours"]["maximum"], 12.0);
        assert_eq!(schema["properties"]["date"]["format"], "date");
        assert_eq!(schema["properties"]["resident"]["type"], "boolean");
        assert_eq!(schema["required"], json!(["full_name", "date", "hours"]));
        let permit = catalogue
            .iter()
            .find(|s| s.code.as_str() == "tesserino-funghi")
            .unwrap();
        let schema = form_schema(&permit.form);
        assert_eq!(schema["properties"]["tipologia"]["oneOf"][1]["const"], "NON_RESIDENTE");
        assert_eq!(schema["properties"]["anno_validita"]["type"], "integer");
    }
}
