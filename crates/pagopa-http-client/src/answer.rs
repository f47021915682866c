//! [`Answer`]: the status and headers of an outbound call, and its body read within a cap as it
//! streams in.

use reqwest::header::{CONTENT_TYPE, LOCATION};

use pagopa_domain::excerpt;

use crate::body::{EXCERPT_MAX_CHARS, explanation};
use crate::client::RequestId;
use crate::error::HttpError;

/// The members of an error body [`Answer::into_error`] takes its excerpt from (problem+json,
/// Azure API Management, most REST services).
pub const PROBLEM_KEYS: &[&str] = &["detail", "title", "message"];

/// The answer to an [`OutboundRequest`](crate::OutboundRequest), its body not read yet.
#[derive(Debug)]
pub struct Answer {
    response: reqwest::Response,
    request_id: RequestId,
    timeout_ms: u64,
    max_body_bytes: usize,
}

/// A body as read: at most the cap, and whether that was all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The bytes read.
    pub bytes: Vec<u8>,
    /// False when the body was longer than the cap and the rest was not read.
    pub complete: bool,
}

impl Answer {
    pub(crate) fn new(
        response: reqwest::Response,
        request_id: RequestId,
        timeout_ms: u64,
        max_body_bytes: usize,
    ) -> Self {
        Self {
            response,
            request_id,
            timeout_ms,
            max_body_bytes,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// The call's id.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// A header as text (bytes that are not ASCII read as lossy UTF-8, not as missing).
    pub fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<String> {
        self.response.headers().get(name).map(|value| match value.to_str() {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })
    }

    /// The `Content-Type`, if any.
    pub fn content_type(&self) -> Option<String> {
        self.header(CONTENT_TYPE)
    }

    /// The body, at most the client's cap, read as it streams in (a longer body is never held).
    pub async fn read(self) -> Result<Body, HttpError> {
        let max = self.max_body_bytes;
        self.read_up_to(max).await
    }

    /// The body, at most `max_bytes` of it.
    pub async fn read_up_to(mut self, max_bytes: usize) -> Result<Body, HttpError> {
        let mut bytes = Vec::new();
        loop {
            let chunk = self
                .response
                .chunk()
                .await
                .map_err(|e| HttpError::from_reqwest(e, self.timeout_ms))?;
            let Some(chunk) = chunk else {
                return Ok(Body { bytes, complete: true });
            };
            let room = max_bytes - bytes.len();
            if chunk.len() > room {
                bytes.extend_from_slice(&chunk[..room]);
                return Ok(Body { bytes, complete: false });
            }
            bytes.extend_from_slice(&chunk);
        }
    }

    /// The whole body, or [`HttpError::TooLarge`] past the client's cap.
    pub async fn read_all(self) -> Result<Vec<u8>, HttpError> {
        let max_bytes = self.max_body_bytes;
        let body = self.read_up_to(max_bytes).await?;
        if body.complete {
            Ok(body.bytes)
        } else {
            Err(HttpError::TooLarge { max_bytes })
        }
    }

    /// The error this answer is when the call wanted `expected` (a 2xx, a 302…): a
    /// [`Redirect`](HttpError::Redirect) for a 3xx, a [`Status`](HttpError::Status) with an
    /// excerpt of the body ([`PROBLEM_KEYS`]) for 4xx, 5xx and statuses past 599, else
    /// [`UnexpectedStatus`](HttpError::UnexpectedStatus).
    pub async fn into_error(self, expected: &'static str) -> HttpError {
        let status = self.status();
        match status {
            300..=399 => HttpError::Redirect {
                status,
                location: self.header(LOCATION).map(|l| excerpt(&l, EXCERPT_MAX_CHARS)),
            },
            100..=299 => HttpError::UnexpectedStatus { status, expected },
            _ => {
                let body = match self.read_up_to(16 * 1024).await {
                    Ok(body) => body.bytes,
                    Err(error) => return error,
                };
                HttpError::Status {
                    status,
                    excerpt: explanation(&body, PROBLEM_KEYS, EXCERPT_MAX_CHARS),
                }
            }
        }
    }
}
