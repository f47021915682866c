//! The pure readings of a body: JSON against a schema, the content type, and short one-line
//! excerpts for errors and logs. No I/O, so adapters' exchange functions use them directly.

use pagopa_domain::excerpt;
use serde::de::DeserializeOwned;

use crate::error::{HttpError, NotJson};

/// The longest excerpt of a body kept in an [`HttpError`], in characters.
pub const EXCERPT_MAX_CHARS: usize = 300;

/// What [`explanation`] says of an empty body.
pub const NO_EXPLANATION: &str = "no explanation given";

/// The explanation in an error body, for a message or a log: the first non-empty string
/// member named in `keys` of a JSON object (`["detail", "title"]` for a problem+json), or
/// else the body's text, or [`NO_EXPLANATION`]; one line, at most `max_chars` characters.
pub fn explanation(body: &[u8], keys: &[&str], max_chars: usize) -> String {
    if !keys.is_empty()
        && let Ok(serde_json::Value::Object(json)) = serde_json::from_slice(body)
    {
        let found = keys
            .iter()
            .filter_map(|key| json.get(*key).and_then(serde_json::Value::as_str))
            .map(|text| excerpt(text, max_chars))
            .find(|text| !text.is_empty());
        if let Some(text) = found {
            return text;
        }
    }
    let text = excerpt(&String::from_utf8_lossy(body), max_chars);
    if text.is_empty() {
        NO_EXPLANATION.to_owned()
    } else {
        text
    }
}

/// Whether a `Content-Type` names JSON: `application/json`, or any `…/…+json` such as
/// `application/problem+json`, with any parameters.
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.contains('/') && essence.ends_with("+json"))
}

/// The body as JSON of type `T`. An empty body, an HTML page, other markup and invalid text
/// are [`HttpError::NotJson`] (each has another fix: a proxy, a login page, a wrong URL);
/// valid JSON of another shape is [`HttpError::Decode`] naming the member.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(&mut json) {
        Ok(value) => match json.end() {
            Ok(()) => Ok(value),
            Err(trailing) => Err(not_decoded(body, String::new(), &trailing)),
        },
        Err(error) => Err(not_decoded(body, error.path().to_string(), error.inner())),
    }
}

/// Why `body` did not decode, `error` having stopped the parser at `path`.
fn not_decoded(body: &[u8], path: String, error: &serde_json::Error) -> HttpError {
    if let Some(found) = markup(body) {
        return HttpError::NotJson {
            found,
            excerpt: excerpt(&String::from_utf8_lossy(body), 80),
        };
    }
    if body.is_empty() {
        return HttpError::NotJson {
            found: NotJson::Empty,
            excerpt: String::new(),
        };
    }
    if error.is_data() {
        HttpError::Decode {
            path,
            message: error.to_string(),
        }
    } else {
        HttpError::NotJson {
            found: NotJson::Invalid,
            excerpt: error.to_string(),
        }
    }
}

/// Whether the body is markup, and which.
fn markup(body: &[u8]) -> Option<NotJson> {
    let text = String::from_utf8_lossy(body.get(..512).unwrap_or(body));
    let text = text.trim_start();
    if !text.starts_with('<') {
        return None;
    }
    let head: String = text.chars().take(200).collect::<String>().to_ascii_lowercase();
    Some(if head.contains("html") {
        NotJson::Html
    } else {
        NotJson::Markup
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Page {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Item {
        amount: u32,
    }

    #[test]
    fn explanations() {
        let keys = &["detail", "title"];
        assert_eq!(explanation(br#"{"title":"T","detail":" D \n"}"#, keys, 300), "D");
        assert_eq!(explanation(br#"{"title":"T","detail":""}"#, keys, 300), "T");
        assert_eq!(explanation(br#"{"other":"x"}"#, keys, 300), r#"{"other":"x"}"#);
        assert_eq!(explanation(b"<html>Bad Gateway</html>", keys, 10), "<html>Bad …");
        assert_eq!(explanation(b"", keys, 300), NO_EXPLANATION);
        assert_eq!(explanation(br#"{"detail":"x"}"#, &[], 300), r#"{"detail":"x"}"#);
    }

    #[test]
    fn content_types() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/Problem+JSON",
        ] {
            assert!(is_json_content_type(json), "{json}");
        }
        for other in ["text/html", "text/plain", "application/xml", "json", "+json", ""] {
            assert!(!is_json_content_type(other), "{other}");
        }
    }

    #[test]
    fn decoding() {
        let page: Page = decode_json(br#"{"items": [{"amount": 5}]}"#).unwrap();
        assert_eq!(page.items, vec![Item { amount: 5 }]);

        let not_json = |body: &[u8]| match decode_json::<Page>(body).unwrap_err() {
            HttpError::NotJson { found, .. } => found,
            other => panic!("{other:?}"),
        };
        assert_eq!(not_json(b""), NotJson::Empty);
        assert_eq!(
            not_json(b"<!DOCTYPE html><html><body>Login</body></html>"),
            NotJson::Html
        );
        assert_eq!(not_json(b"  <html>"), NotJson::Html);
        assert_eq!(not_json(b"<?xml version=\"1.0\"?><a/>"), NotJson::Markup);
        assert_eq!(not_json(b"{\"items\": ["), NotJson::Invalid);
        assert_eq!(not_json(b"ok"), NotJson::Invalid);
        assert_eq!(not_json(br#"{"items": []} trailing"#), NotJson::Invalid);

        match decode_json::<Page>(br#"{"items": [{"amount": 5}, {"amount": "6"}]}"#).unwrap_err() {
            HttpError::Decode { path, message } => {
                assert_eq!(path, "items[1].amount");
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode_json::<Page>(b"[]"), Err(HttpError::Decode { .. })));
    }
}
