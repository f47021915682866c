//! `ETag` and `If-Match` for the resources operators replace (a position, an Ente): a `PUT`
//! with a stale `If-Match` answers 412 instead of overwriting someone else's change.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::IF_MATCH;
use sha2::{Digest, Sha256};

use crate::problem::ApiError;

/// What an `If-Match` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// `*`: the resource exists, whatever its version.
    Any,
    /// One of these entity tags (strong comparison; a weak `W/` tag never matches).
    Tags(Vec<String>),
}

impl IfMatch {
    /// The request's `If-Match`, if it sent one.
    pub(crate) fn of(request: &HttpRequest) -> Result<Option<Self>, ApiError> {
        let Some(value) = request.headers().get(IF_MATCH) else {
            return Ok(None);
        };
        let raw = value
            .to_str()
            .map_err(|_| ApiError::bad_request("invalid_if_match", "If-Match is not ASCII"))?
            .trim();
        if raw == "*" {
            return Ok(Some(Self::Any));
        }
        let tags: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.is_empty()
            || tags
                .iter()
                .any(|t| !(t.ends_with('"') && (t.starts_with('"') || t.starts_with("W/\""))))
        {
            return Err(ApiError::bad_request(
                "invalid_if_match",
                "If-Match takes * or quoted entity tags, as the ETag header gives them",
            ));
        }
        Ok(Some(Self::Tags(tags)))
    }

    /// Whether the current tag `etag` satisfies it.
    pub(crate) fn matches(&self, etag: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t == etag),
        }
    }
}

/// The entity tag of a position at `version`.
pub(crate) fn version_tag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// The version an `If-Match` names for a versioned resource: `None` for `*` or no header, the
/// version of its one strong tag, else 412 (a tag of no version of ours can never match).
pub(crate) fn expected_version(if_match: Option<&IfMatch>) -> Result<Option<u64>, ApiError> {
    let tags = match if_match {
        None | Some(IfMatch::Any) => return Ok(None),
        Some(IfMatch::Tags(tags)) => tags,
    };
    let versions: Vec<u64> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok())
        .collect();
    match versions.as_slice() {
        [version] => Ok(Some(*version)),
        _ => Err(stale("the If-Match names no current version of this position")),
    }
}

/// The entity tag of a document (its content's digest).
pub(crate) fn content_tag(document: &serde_json::Value) -> String {
    let digest = Sha256::digest(document.to_string().as_bytes());
    format!("\"{}\"", &hex::encode(digest)[..16])
}

/// 412.
pub(crate) fn stale(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed", detail)
}
