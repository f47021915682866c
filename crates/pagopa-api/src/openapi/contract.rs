//! What the handlers' annotations leave implicit, added to the document in one place so that no
//! route can forget it: the error responses every kind of route can give (from the statuses
//! [`ApiError`](crate::ApiError) produces), all as `application/problem+json`; and the domain's
//! rules on path and query parameters, by parameter name.

use serde_json::{Map, Value, json};

/// An error status and when a route answers it.
struct Standard {
    status: u16,
    description: &'static str,
    applies: fn(&Route) -> bool,
}

/// What a route is, as far as its errors go.
struct Route {
    api: bool,
    authenticated: bool,
    citizen: bool,
    body: bool,
    path_params: bool,
}

/// Every status the API's error type can give, and the routes that can give it.
const STANDARD: &[Standard] = &[
    Standard {
        status: 400,
        description: "`invalid_path`, `invalid_query`, `invalid_json` or an invalid value (`invalid_ente_id`, `invalid_notice_number`, …); check digits and fiscal codes are checked here",
        applies: |r| r.api,
    },
    Standard {
        status: 401,
        description: "`unauthenticated`: no or an unknown X-API-Key, or an invalid citizen token",
        applies: |r| r.authenticated,
    },
    Standard {
        status: 403,
        description: "`forbidden_role` (the key's role may not call this) or `forbidden_ente` (the key is limited to other Enti)",
        applies: |r| r.authenticated,
    },
    Standard {
        status: 404,
        description: "`not_found`, `unknown_ente`, `notice_not_found`: nothing here with these ids",
        applies: |r| r.api,
    },
    Standard {
        status: 405,
        description: "`method_not_allowed`; the `Allow` header lists the methods of the resource",
        applies: |_| false,
    },
    Standard {
        status: 413,
        description: "`payload_too_large`: the body exceeds its limit",
        applies: |r| r.body,
    },
    Standard {
        status: 415,
        description: "`unsupported_media_type`: send the content type this operation takes",
        applies: |r| r.body,
    },
    Standard {
        status: 422,
        description: "The body is well-formed but breaks a domain rule; `code` says which",
        applies: |r| r.body,
    },
    Standard {
        status: 500,
        description: "`internal_error`: a fault of ours, logged with the request id",
        applies: |r| r.api || r.path_params,
    },
    Standard {
        status: 501,
        description: "`citizen_tokens_not_configured`: this installation verifies no citizen tokens",
        applies: |r| r.citizen,
    },
    Standard {
        status: 503,
        description: "`storage_unavailable` or `iuv_exhausted`: try again later",
        applies: |r| r.api,
    },
];

/// The statuses the document may hold for errors (a test holds [`crate::ApiError`] to it).
#[cfg(test)]
fn documented_error_statuses() -> Vec<u16> {
    let mut statuses: Vec<u16> = STANDARD.iter().map(|s| s.status).collect();
    statuses.extend([409, 412, 502]);
    statuses
}

/// The schema of a path or query parameter, from the domain's rule for values of that name.
fn parameter_schema(name: &str, location: &str) -> Option<Value> {
    const ENTE: &str = "^[0-9]{11}$";
    const ID: &str = "^[A-Za-z0-9._-]+$";
    let schema = match name {
        "ente" | "recipient" | "after_ente" | "after_recipient" => {
            json!({ "type": "string", "pattern": ENTE, "minLength": 11, "maxLength": 11 })
        }
        "notice" | "notice_number" => {
            json!({ "type": "string", "pattern": "^[0-3][0-9]{17}$", "minLength": 18, "maxLength": 18 })
        }
        "iuv" => {
            json!({ "type": "string", "pattern": "^([0-9]{15}|[0-9]{17}|RF[0-9]{2}[A-Za-z0-9]{1,21})$", "minLength": 5, "maxLength": 25 })
        }
        "code" => json!({ "type": "string", "pattern": ID, "minLength": 1, "maxLength": 35 }),
        "iupd" | "after_iupd" => json!({ "type": "string", "pattern": ID, "minLength": 1, "maxLength": 50 }),
        "after_receipt_id" | "receipt_id" => {
            json!({ "type": "string", "pattern": ID, "minLength": 1, "maxLength": 35 })
        }
        "id" if location == "path" => return None,
        "format" => json!({ "type": "string", "enum": ["csv", "jsonl", "gpd"] }),
        "import" => json!({ "type": "string", "pattern": "^imp_[0-9a-f]{32}$", "minLength": 36, "maxLength": 36 }),
        "debtor" => {
            json!({ "type": "string", "pattern": "^([A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]|[0-9]{11})$", "minLength": 11, "maxLength": 16 })
        }
        "status" => {
            json!({ "type": "string", "enum": ["draft", "valid", "partially_paid", "paid", "reported", "expired", "cancelled"] })
        }
        "due_from" | "due_to" => json!({ "type": "string", "format": "date" }),
        "state" => {
            return Some(json!({ "anyOf": [
                { "type": "string", "maxLength": 0 },
                { "type": "string", "enum": ["pending", "delivered", "dead"] }
            ] }));
        }
        // Empty means absent, as for every query value; otherwise an RFC 3339 instant.
        "from" | "to" => {
            return Some(json!({ "anyOf": [
                { "type": "string", "maxLength": 0 },
                { "type": "string", "format": "date-time" }
            ] }));
        }
        "after" => json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX }),
        "limit" => json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
        "before" => json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX }),
        _ => return None,
    };
    Some(if location == "query" {
        empty_means_absent(schema)
    } else {
        schema
    })
}

/// A query value left empty (`?ente=`) is taken as absent: the text schema admits "".
fn empty_means_absent(mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut()
        && let Some(Value::String(pattern)) = object.get("pattern").cloned()
    {
        let inner = pattern.trim_start_matches('^').trim_end_matches('$');
        object.insert("pattern".into(), Value::String(format!("^$|^(?:{inner})$")));
        object.remove("minLength");
    }
    schema
}

/// What a parameter's description adds about rules a schema cannot carry.
fn parameter_note(name: &str) -> Option<&'static str> {
    match name {
        "ente" | "recipient" => Some("11 digits; its check digit is not required (pagoPA does not require it)."),
        "notice" | "notice_number" => {
            Some("18 digits: aux digit, then the IUV; its mod-93 check digits are checked (400 when wrong).")
        }
        "debtor" => Some("A personal fiscal code (its check character is checked) or an 11-digit code."),
        _ => None,
    }
}

/// Completes the generated document in place.
pub(crate) fn complete(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            complete_operation(path, method, operation);
        }
    }
}

fn problem_content() -> Value {
    json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

fn complete_operation(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let (request, response) = super::examples::operation(method, path);
    if let (Some(example), Some(content)) = (
        request,
        operation
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(|c| c.get_mut("application/json"))
            .and_then(Value::as_object_mut),
    ) {
        content.insert("example".into(), example);
    }
    if let (Some(example), Some(responses)) = (response, operation.get_mut("responses").and_then(Value::as_object_mut))
        && let Some(content) = responses
            .iter_mut()
            .filter(|(status, _)| status.starts_with('2'))
            .find_map(|(_, r)| r.get_mut("content").and_then(|c| c.get_mut("application/json")))
            .and_then(Value::as_object_mut)
    {
        content.insert("example".into(), example);
    }
    let security: Vec<String> = operation
        .get("security")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .flat_map(|requirement| requirement.keys().cloned())
                .collect()
        })
        .unwrap_or_default();
    let route = Route {
        api: path.starts_with("/api/"),
        authenticated: !security.is_empty(),
        citizen: security.iter().any(|s| s == "citizen_token"),
        body: operation.contains_key("requestBody"),
        path_params: path.contains('{'),
    };
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters.iter_mut().filter_map(Value::as_object_mut) {
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let location = parameter
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(schema) = parameter_schema(&name, &location) {
                parameter.insert("schema".into(), schema);
            }
            if let Some(example) = super::examples::parameter(&name) {
                parameter.insert("example".into(), example);
            }
            if let Some(note) = parameter_note(&name) {
                let description = match parameter.get("description").and_then(Value::as_str) {
                    Some(d) if !d.is_empty() => format!("{d}. {note}"),
                    _ => note.to_owned(),
                };
                parameter.insert("description".into(), Value::String(description));
            }
        }
    }
    let responses = operation
        .entry("responses")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    // Declared errors: their body is a problem document.
    for (status, response) in responses.iter_mut() {
        if (status.starts_with('4') || status.starts_with('5'))
            && let Some(response) = response.as_object_mut()
        {
            response.insert("content".into(), problem_content());
            response
                .entry("description")
                .or_insert_with(|| Value::String(String::new()));
        }
    }
    for standard in STANDARD.iter().filter(|s| (s.applies)(&route)) {
        responses
            .entry(standard.status.to_string())
            .or_insert_with(|| json!({ "description": standard.description, "content": problem_content() }));
    }
    // Descriptions left empty by the annotations get the standard one.
    for standard in STANDARD {
        if let Some(response) = responses
            .get_mut(&standard.status.to_string())
            .and_then(Value::as_object_mut)
            && response
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            response.insert("description".into(), Value::String(standard.description.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use pagopa_domain::DomainError;
    use pagopa_domain::ports::{GestionaleError, StorageError};

    use super::*;
    use crate::ApiError;

    #[test]
    fn every_operation_has_its_examples_and_errors() {
        let document: Value = serde_json::from_str(&crate::openapi::document()).unwrap_or_default();
        let paths = document["paths"].as_object().cloned().unwrap_or_default();
        assert!(paths.len() > 20);
        for (path, item) in paths {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                let name = format!("{method} {path}");
                if let Some(content) = operation["requestBody"]["content"].get("application/json") {
                    assert!(content.get("example").is_some(), "{name}: no request example");
                }
                let responses = operation["responses"].as_object().cloned().unwrap_or_default();
                let json_2xx: Vec<&Value> = responses
                    .iter()
                    .filter(|(status, _)| status.starts_with('2'))
                    .filter_map(|(_, r)| r["content"].get("application/json"))
                    .collect();
                if !json_2xx.is_empty() {
                    assert!(
                        json_2xx.iter().any(|c| c.get("example").is_some()),
                        "{name}: no response example"
                    );
                }
                for (status, response) in &responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert!(
                            response["content"].get("application/problem+json").is_some(),
                            "{name} {status}"
                        );
                    }
                }
                if path.starts_with("/api/") {
                    assert!(responses.contains_key("400") && responses.contains_key("500"), "{name}");
                }
            }
        }
    }

    #[test]
    fn every_status_the_error_type_gives_is_documented() {
        let notice = pagopa_domain::demo::comune_notice(1);
        let ente: pagopa_domain::EnteId = "80012345676".parse().unwrap_or_else(|_| unreachable!());
        let errors = vec![
            DomainError::UnknownEnte(ente.clone()),
            DomainError::UnknownNotice(notice.clone()),
            DomainError::Expired(notice.clone()),
            DomainError::Cancelled(notice.clone()),
            DomainError::AlreadyPaid(notice.clone()),
            DomainError::PaymentInProgress(notice.clone()),
            DomainError::Semantic("x".into()),
            DomainError::Storage(StorageError::Unavailable("x".into())),
            DomainError::InvalidForm(vec![]),
            DomainError::NotFound("x".into()),
            DomainError::ServiceInactive("x".into()),
            DomainError::IuvExhausted(ente),
            DomainError::Conflict("x".into()),
            DomainError::Gestionale(GestionaleError::Unsupported),
            DomainError::WrongBroker("x".into()),
        ];
        let documented = documented_error_statuses();
        for error in errors {
            let status = actix_web::ResponseError::status_code(&ApiError::from(error)).as_u16();
            assert!(documented.contains(&status), "{status} is not documented");
        }
    }
}
