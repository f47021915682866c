//! The pure halves of each call: what an answer means, given its status and body. No I/O, so
//! every mapping is tested without a network.
//!
//! Common to the three endpoints:
//!
//! - `501`: [`GestionaleError::Unsupported`], the gestionale does not offer the operation;
//! - `401`, `403`, `405`, `407`, `408`, `429`, and `404` except for positions and notices: `Unavailable`
//!   ([`GestionaleFailure::Status`]): they are about our credentials, our URL or the
//!   gestionale's load, not about the request, and must not reach the citizen as a refusal;
//! - any other 4xx: [`GestionaleError::Rejected`] with the body's `reason` and `fields`;
//! - 5xx and statuses outside 100..=599: `Unavailable` ([`GestionaleFailure::Status`]);
//! - a 1xx/3xx, or a 2xx the endpoint does not use: [`GestionaleError::Protocol`];
//! - a success body that is not the expected JSON, or whose values do not map onto the
//!   domain: [`GestionaleError::Protocol`], naming the member.

use pagopa_domain::ports::{BoxError, GestionaleError, GestionaleQuote, PricingRequest};
use pagopa_domain::{DebtPosition, Ente, FieldError, FieldProblem, FiscalCode, NoticeNumber, PositionDraft, excerpt};
use pagopa_http_client::{HttpError, NotJson, decode_json, explanation};
use serde_json::Value;

use crate::dto::{PositionDto, PositionsDto, QuoteDto};

/// The longest detail (in characters) kept from an error body, and the longest refusal reason.
pub const DETAIL_MAX_CHARS: usize = 300;

/// Why the gestionale is unavailable: the source of a [`GestionaleError::Unavailable`] built by
/// this crate (reach it with [`std::error::Error::source`] and `downcast_ref`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GestionaleFailure {
    /// No complete answer within the timeout.
    #[error("the gestionale did not answer within {timeout_ms} ms")]
    Timeout {
        /// The timeout applied.
        timeout_ms: u64,
        /// The client's error.
        #[source]
        source: HttpError,
    },
    /// The connection failed or the answer was not valid HTTP.
    #[error("cannot talk to the gestionale")]
    Transport(#[source] HttpError),
    /// An error status that says nothing about the request: a server error, or a refusal of our
    /// credentials, URL or request rate.
    #[error("the gestionale answered HTTP {status}: {detail}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// What the body said, cut to [`DETAIL_MAX_CHARS`] characters.
        detail: String,
    },
}

impl From<GestionaleFailure> for GestionaleError {
    fn from(failure: GestionaleFailure) -> Self {
        GestionaleError::Unavailable(BoxError::from(failure))
    }
}

/// What the answer to `GET …/entes/{ente}/debtors/{debtor}/positions` means: `200` with a
/// [`PositionsDto`] body gives the drafts (each checked, see [`PositionsDto::to_drafts`]);
/// `204` and `404` mean no positions.
pub fn parse_positions_response(
    status: u16,
    body: &[u8],
    ente: &Ente,
    debtor: &FiscalCode,
) -> Result<Vec<PositionDraft>, GestionaleError> {
    match status {
        200 => {
            let dto: PositionsDto = json_body(body)?;
            Ok(dto.to_drafts(ente, debtor)?)
        }
        204 | 404 => Ok(Vec::new()),
        100..=399 => Err(unexpected(status, "200, 204 or 404")),
        _ => Err(error_status(status, body)),
    }
}

/// What the answer to `GET …/entes/{ente}/notices/{notice}` means: `200` with a
/// [`PositionDto`](crate::dto::PositionDto) body gives the position holding the notice (checked
/// as the domain will check it, and required to hold that notice); `204` and `404` mean the
/// gestionale does not know the notice either.
pub fn parse_notice_response(
    status: u16,
    body: &[u8],
    ente: &Ente,
    notice: &NoticeNumber,
) -> Result<Option<PositionDraft>, GestionaleError> {
    match status {
        200 => {
            let dto: PositionDto = json_body(body)?;
            let draft = dto.to_draft("position", &ente.id)?;
            if !draft.options.iter().any(|o| &o.notice_number == notice) {
                return Err(GestionaleError::Protocol(format!(
                    "position.options: asked for notice {notice}, the position has no option with it"
                )));
            }
            DebtPosition::create(
                &ente.id,
                ente.notice_layout,
                draft.clone(),
                chrono::DateTime::UNIX_EPOCH,
            )
            .map_err(|e| GestionaleError::Protocol(format!("position (iupd {}): {e}", draft.iupd)))?;
            Ok(Some(draft))
        }
        204 | 404 => Ok(None),
        100..=399 => Err(unexpected(status, "200, 204 or 404")),
        _ => Err(error_status(status, body)),
    }
}

/// What the answer to `POST …/entes/{ente}/pricing` means: `200` (or `201`) with a
/// [`QuoteDto`] body gives the quote, its transfers checked against the request's Ente.
pub fn parse_pricing_response(
    status: u16,
    body: &[u8],
    request: &PricingRequest,
) -> Result<GestionaleQuote, GestionaleError> {
    match status {
        200 | 201 => {
            let dto: QuoteDto = json_body(body)?;
            Ok(dto.to_quote(&request.ente)?)
        }
        100..=399 => Err(unexpected(status, "200")),
        _ => Err(error_status(status, body)),
    }
}

/// What the answer to `POST …/entes/{ente}/payments` means: any 2xx, and `409` (already known),
/// acknowledge the payment; the body is ignored.
pub fn parse_payment_response(status: u16, body: &[u8]) -> Result<(), GestionaleError> {
    match status {
        200..=299 | 409 => Ok(()),
        100..=399 => Err(unexpected(status, "2xx or 409")),
        _ => Err(error_status(status, body)),
    }
}

/// The body as JSON of type `T`; the error tells an HTML page (a proxy's or a login page),
/// text that is not JSON, and JSON of the wrong shape apart, since each has another fix.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, GestionaleError> {
    decode_json(body).map_err(|error| {
        let message = match error {
            HttpError::NotJson {
                found: found @ (NotJson::Html | NotJson::Markup),
                excerpt,
            } => format!(
                "the body is {}, not the JSON the contract defines (a proxy or login page in front of the gestionale?): {excerpt}",
                found.describe()
            ),
            HttpError::NotJson {
                found: NotJson::Empty, ..
            } => "the body is empty, not the JSON the contract defines".to_owned(),
            HttpError::Decode { path, message } => {
                let at = if path.is_empty() || path == "." { String::new() } else { format!("{path}: ") };
                format!("the body is JSON of the wrong schema, not the JSON the contract defines: {at}{message}")
            }
            other => format!("the body is not valid JSON, not the JSON the contract defines: {other}"),
        };
        GestionaleError::Protocol(message)
    })
}

fn unexpected(status: u16, expected: &str) -> GestionaleError {
    if (300..400).contains(&status) {
        return GestionaleError::Protocol(format!(
            "HTTP {status} is a redirect, where the contract answers {expected}: redirects are not followed \
             (credentials must not leak to another host); set base_url to the final address"
        ));
    }
    GestionaleError::Protocol(format!("HTTP {status}, where the contract answers {expected}"))
}

/// The meaning of an error status (4xx, 5xx, or outside 100..=599).
fn error_status(status: u16, body: &[u8]) -> GestionaleError {
    match status {
        501 => GestionaleError::Unsupported,
        401 | 403 | 404 | 405 | 407 | 408 | 429 => GestionaleFailure::Status {
            status,
            detail: error_detail(body),
        }
        .into(),
        400..=499 => refusal(status, body),
        _ => GestionaleFailure::Status {
            status,
            detail: error_detail(body),
        }
        .into(),
    }
}

/// A refusal from a [`RefusalDto`](crate::dto::RefusalDto)-shaped body, read leniently: the reason
/// is `reason` (or a problem+json `detail` or `title`, or `message`), else a generic text (an
/// HTML error page is not for the citizen); each `fields[]` entry needs a `field` name, and a
/// `problem` the domain does not know counts as `pattern`.
fn refusal(status: u16, body: &[u8]) -> GestionaleError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let text = |key: &str| {
        json.as_ref()
            .and_then(|j| j.get(key))
            .and_then(Value::as_str)
            .map(|t| excerpt(t, DETAIL_MAX_CHARS))
            .filter(|t| !t.is_empty())
    };
    let reason = ["reason", "detail", "title", "message"]
        .into_iter()
        .find_map(text)
        .unwrap_or_else(|| format!("the gestionale refused the request (HTTP {status})"));
    let fields = json
        .as_ref()
        .and_then(|j| j.get("fields"))
        .and_then(Value::as_array)
        .map(|entries| entries.iter().filter_map(field_error).collect())
        .unwrap_or_default();
    GestionaleError::Rejected { reason, fields }
}

fn field_error(entry: &Value) -> Option<FieldError> {
    let field = entry.get("field")?.as_str()?.trim();
    if field.is_empty() {
        return None;
    }
    let problem = serde_json::from_value::<FieldProblem>(entry.clone()).unwrap_or(FieldProblem::Pattern);
    Some(FieldError {
        field: field.to_owned(),
        problem,
    })
}

/// The explanation in an error body, for logs: `reason`, `detail`, `title` or `message` of a JSON
/// body, or else the body's text; at most [`DETAIL_MAX_CHARS`] characters on one line.
fn error_detail(body: &[u8]) -> String {
    explanation(body, &["reason", "detail", "title", "message"], DETAIL_MAX_CHARS)
}

#[cfg(test)]
mod tests;
