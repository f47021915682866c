//! [`HttpError`]: why an outbound call gave no usable answer, in classes an adapter maps onto
//! its port's error contract ([`HttpError::class`]).

use std::fmt;

/// What kind of failure an [`HttpError`] is, for the adapter's mapping and for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// No complete answer within the timeout.
    Timeout,
    /// No connection (refused, DNS, TLS handshake).
    Connect,
    /// The connection broke or the answer was not valid HTTP.
    Transport,
    /// A 3xx: redirects are never followed (credentials must not reach another host).
    Redirect,
    /// A 4xx.
    ClientStatus,
    /// A 5xx, or a status outside 100..=599.
    ServerStatus,
    /// Another status the call does not expect (1xx, a 2xx it does not use).
    UnexpectedStatus,
    /// The body is longer than the cap.
    TooLarge,
    /// The body is not JSON: empty, an HTML page, other markup, or invalid text.
    NotJson,
    /// JSON that does not match the expected schema.
    Decode,
    /// The request body could not be encoded.
    Encode,
}

impl ErrorClass {
    /// A short stable name (`timeout`, `connect`, `client_status`, …), for log fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Transport => "transport",
            Self::Redirect => "redirect",
            Self::ClientStatus => "client_status",
            Self::ServerStatus => "server_status",
            Self::UnexpectedStatus => "unexpected_status",
            Self::TooLarge => "too_large",
            Self::NotJson => "not_json",
            Self::Decode => "decode",
            Self::Encode => "encode",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a body that should be JSON is instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotJson {
    /// No bytes at all.
    Empty,
    /// An HTML page: a proxy's, a login page, a gateway's error page.
    Html,
    /// Other markup (XML?).
    Markup,
    /// Text that is not valid JSON.
    Invalid,
    /// A `Content-Type` that is not JSON.
    ContentType,
}

impl NotJson {
    /// `"empty"`, `"an HTML page"`, `"markup (XML?)"`, `"not valid JSON"`, `"not of a JSON
    /// content type"`: what follows "the body is".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Html => "an HTML page",
            Self::Markup => "markup (XML?)",
            Self::Invalid => "not valid JSON",
            Self::ContentType => "not of a JSON content type",
        }
    }
}

/// Why an outbound call gave no usable answer. Never holds the URL (paths may carry fiscal
/// codes) nor any header value; a body appears only as a short one-line excerpt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// No complete answer within the timeout.
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The timeout applied.
        timeout_ms: u64,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// No connection could be made.
    #[error("cannot connect")]
    Connect(#[source] reqwest::Error),
    /// The connection broke, or the answer was not valid HTTP.
    #[error("the exchange failed")]
    Transport(#[source] reqwest::Error),
    /// A redirect, not followed.
    #[error("HTTP {status} is a redirect (to {location:?}), not followed: set the base URL to the final address")]
    Redirect {
        /// The status.
        status: u16,
        /// The `Location` header, cut to an excerpt.
        location: Option<String>,
    },
    /// An error status (4xx, 5xx, or outside 100..=599).
    #[error("HTTP {status}: {excerpt}")]
    Status {
        /// The status.
        status: u16,
        /// What the body said, on one line and cut.
        excerpt: String,
    },
    /// A status the call does not expect.
    #[error("HTTP {status}, where {expected} was expected")]
    UnexpectedStatus {
        /// The status.
        status: u16,
        /// What the call expects, for the message.
        expected: &'static str,
    },
    /// The body is longer than the cap; the rest was not read.
    #[error("the answer is longer than {max_bytes} bytes")]
    TooLarge {
        /// The cap.
        max_bytes: usize,
    },
    /// The body is not JSON.
    #[error("the body is {}, not JSON: {excerpt}", .found.describe())]
    NotJson {
        /// What it is instead.
        found: NotJson,
        /// The start of the body, or the parser's message.
        excerpt: String,
    },
    /// JSON of another schema.
    #[error("the body is JSON of the wrong schema: {path}: {message}")]
    Decode {
        /// Where in the document (`items[3].amount`; `.` for the root).
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// The request body could not be encoded.
    #[error("cannot encode the request body: {0}")]
    Encode(String),
}

impl HttpError {
    /// The class of the failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Timeout { .. } => ErrorClass::Timeout,
            Self::Connect(_) => ErrorClass::Connect,
            Self::Transport(_) => ErrorClass::Transport,
            Self::Redirect { .. } => ErrorClass::Redirect,
            Self::Status { status, .. } if (400..500).contains(status) => ErrorClass::ClientStatus,
            Self::Status { .. } => ErrorClass::ServerStatus,
            Self::UnexpectedStatus { .. } => ErrorClass::UnexpectedStatus,
            Self::TooLarge { .. } => ErrorClass::TooLarge,
            Self::NotJson { .. } => ErrorClass::NotJson,
            Self::Decode { .. } => ErrorClass::Decode,
            Self::Encode(_) => ErrorClass::Encode,
        }
    }

    /// The HTTP status, when the remote answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Redirect { status, .. } | Self::Status { status, .. } | Self::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Whether trying again later may succeed: timeouts, connection failures, server errors
    /// and the statuses about load (408, 429). Says nothing about whether the call is safe to
    /// repeat: that is the adapter's to know.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect(_) | Self::Transport(_) => true,
            Self::Status { status, .. } => matches!(status, 408 | 429) || *status >= 500,
            _ => false,
        }
    }

    /// The class of a reqwest failure, without its URL.
    pub(crate) fn from_reqwest(error: reqwest::Error, timeout_ms: u64) -> Self {
        let error = error.without_url();
        if error.is_timeout() {
            Self::Timeout {
                timeout_ms,
                source: error,
            }
        } else if error.is_connect() {
            Self::Connect(error)
        } else {
            Self::Transport(error)
        }
    }
}

/// Why an [`HttpClient`](crate::HttpClient) cannot be built (the TLS set-up failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client")]
pub struct BuildError(#[source] pub(crate) reqwest::Error);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_statuses() {
        let status = |status| HttpError::Status {
            status,
            excerpt: "x".into(),
        };
        assert_eq!(status(404).class(), ErrorClass::ClientStatus);
        assert_eq!(status(503).class(), ErrorClass::ServerStatus);
        assert_eq!(status(600).class(), ErrorClass::ServerStatus);
        assert_eq!(status(404).status(), Some(404));
        assert!(status(503).is_transient() && status(429).is_transient() && status(408).is_transient());
        assert!(!status(400).is_transient() && !status(404).is_transient());
        assert_eq!(HttpError::TooLarge { max_bytes: 9 }.status(), None);
        assert_eq!(ErrorClass::NotJson.to_string(), "not_json");

        let html = HttpError::NotJson {
            found: NotJson::Html,
            excerpt: "<html>".into(),
        };
        assert_eq!(html.to_string(), "the body is an HTML page, not JSON: <html>");
        assert!(!html.is_transient());
    }
}
