//! How to reach a gestionale, as read from the configuration, and the checks made on it.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

/// The default [`GestionaleHttpSettings::header`].
pub const DEFAULT_AUTH_HEADER: &str = "Authorization";

/// The default [`GestionaleHttpSettings::timeout_ms`].
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// How to reach a gestionale that speaks the contract of `docs/gestionale-http.md`.
///
/// ```toml
/// base_url = "https://gestionale.comune.example.it/pagopa/v1"
/// token = "…"                # optional: no credential header without it
/// header = "Authorization"   # optional, default Authorization (sent as "Bearer <token>")
/// timeout_ms = 5000          # optional, default 5000
/// expirations = false        # optional: send expiry notices (POST …/expirations)
/// webhook_secret = "whsec_…"  # optional: sign notifications (Standard Webhooks)
/// ```
///
/// `Debug` never shows the token or the webhook secret.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GestionaleHttpSettings {
    /// The root of the contract's endpoints, without `/entes/…`: an absolute `http(s)` URL
    /// without query or fragment. A trailing `/` is allowed.
    pub base_url: String,
    /// The secret sent in [`header`](Self::header) on every call; none is sent without it. A
    /// secret; surrounding white space is ignored.
    #[serde(default)]
    pub token: Option<String>,
    /// The header carrying the token (default `Authorization`). With `Authorization` the value
    /// is `Bearer <token>`, unless the token already names its scheme (`Basic …`, a value with a
    /// space); with any other header (`X-Api-Key`, …) it is the token as is.
    #[serde(default = "default_header")]
    pub header: String,
    /// How long a whole call may take, connection included, in milliseconds (default 5000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Whether the gestionale takes the position lifecycle notices: expiries (`POST
    /// …/entes/{ente}/expirations`) and cancellations (`POST …/entes/{ente}/cancellations`).
    /// Default false: without it they are acknowledged unsent, as a gestionale written before
    /// them would answer 404 for ever. Always true for `[gestionali.NAME]`.
    #[serde(default)]
    pub expirations: bool,
    /// The Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes) notifications are
    /// signed with ([`crate::signature`]); without it they are sent unsigned.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

fn default_header() -> String {
    DEFAULT_AUTH_HEADER.to_owned()
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

impl GestionaleHttpSettings {
    /// Settings for `base_url` with the defaults: no token, `Authorization`, 5000 ms.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: None,
            header: default_header(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            expirations: false,
            webhook_secret: None,
        }
    }
}

impl fmt::Debug for GestionaleHttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GestionaleHttpSettings")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("header", &self.header)
            .field("timeout_ms", &self.timeout_ms)
            .field("expirations", &self.expirations)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a [`GestionaleHttp`](crate::GestionaleHttp) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `base_url` is not an absolute `http(s)` URL without query or fragment.
    #[error("the gestionale base URL {url:?} is not usable: {reason}")]
    BaseUrl {
        /// The configured URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `header` is not a valid HTTP header name.
    #[error("the gestionale credential header {0:?} is not a valid HTTP header name")]
    Header(String),
    /// The token is empty or cannot be sent in an HTTP header.
    #[error("the gestionale token {0}")]
    Token(&'static str),
    /// `webhook_secret` is not a Standard Webhooks secret.
    #[error("the gestionale webhook secret {0}")]
    WebhookSecret(#[source] crate::signature::SecretError),
    /// `timeout_ms` is zero.
    #[error("the gestionale timeout must be at least 1 ms")]
    Timeout,
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for the gestionale")]
    Client(#[source] reqwest::Error),
}

/// The checked base URL: absolute `http(s)`, a host, no query or fragment, no trailing `/`.
pub(crate) fn base_url(raw: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::BaseUrl {
        url: raw.to_owned(),
        reason,
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("the scheme must be https (or http)".to_owned()));
    }
    if !url.has_host() || url.cannot_be_a_base() {
        return Err(invalid("it has no host".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it may not have a query or a fragment".to_owned()));
    }
    Ok(url)
}

/// The credential header to send, if a token is configured.
pub(crate) fn credential(header: &str, token: Option<&str>) -> Result<Option<(HeaderName, HeaderValue)>, ConfigError> {
    let name = HeaderName::from_bytes(header.trim().as_bytes()).map_err(|_| ConfigError::Header(header.to_owned()))?;
    let Some(token) = token else {
        return Ok(None);
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(ConfigError::Token("is empty"));
    }
    // A bearer token (RFC 6750 token68) has no space; a value with one already names its scheme.
    let value = if name == AUTHORIZATION && !token.contains(' ') {
        format!("Bearer {token}")
    } else {
        token.to_owned()
    };
    let mut value = HeaderValue::from_str(&value)
        .map_err(|_| ConfigError::Token("contains characters not allowed in an HTTP header"))?;
    value.set_sensitive(true);
    Ok(Some((name, value)))
}

/// Whether the URL's host is the local machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings(value: serde_json::Value) -> Result<GestionaleHttpSettings, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn defaults_and_secrecy() {
        let s = settings(json!({"base_url": "https://g.example.it/api", "token": "s3cr3t"})).unwrap();
        assert_eq!(s.header, "Authorization");
        assert_eq!(s.timeout_ms, 5_000);
        assert_eq!(s.token.as_deref(), Some("s3cr3t"));
        let debug = format!("{s:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");

        let s = settings(json!({"base_url": "https://g.example.it"})).unwrap();
        assert!(s.token.is_none());
        assert!(format!("{s:?}").contains("token: None"));

        let s =
            settings(json!({"base_url": "https://g.example.it", "header": "X-Api-Key", "timeout_ms": 250})).unwrap();
        assert_eq!((s.header.as_str(), s.timeout_ms), ("X-Api-Key", 250));

        assert!(settings(json!({"base_url": "https://g.example.it", "tokn": "x"})).is_err());
        assert!(settings(json!({"token": "x"})).is_err());
        assert!(settings(json!({"base_url": "https://g.example.it", "timeout_ms": "5s"})).is_err());
    }

    #[test]
    fn urls() {
        for raw in [
            "https://g.example.it/pagopa/v1",
            "https://g.example.it/pagopa/v1/",
            " https://g.example.it/pagopa/v1// ",
        ] {
            assert_eq!(
                base_url(raw).unwrap().as_str(),
                "https://g.example.it/pagopa/v1",
                "{raw}"
            );
        }
        assert_eq!(
            base_url("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        for bad in [
            "",
            "g.example.it/api",
            "ftp://g.example.it/a",
            "https://g.it/a?k=1",
            "https://g.it/a#f",
        ] {
            assert!(matches!(base_url(bad), Err(ConfigError::BaseUrl { .. })), "{bad}");
        }
        assert!(is_loopback(&base_url("http://localhost:1").unwrap()));
        assert!(is_loopback(&base_url("http://[::1]:1").unwrap()));
        assert!(is_loopback(&base_url("http://127.0.0.1").unwrap()));
        assert!(!is_loopback(&base_url("http://10.0.0.1").unwrap()));
    }

    #[test]
    fn credentials() {
        let (name, value) = credential("Authorization", Some(" abc.def ")).unwrap().unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value.to_str().unwrap(), "Bearer abc.def");
        assert!(value.is_sensitive());

        let (_, value) = credential("authorization", Some("Basic dXNlcjpwdw=="))
            .unwrap()
            .unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic dXNlcjpwdw==");

        let (name, value) = credential("X-Api-Key", Some("k-123")).unwrap().unwrap();
        assert_eq!(name.as_str(), "x-api-key");
        assert_eq!(value.to_str().unwrap(), "k-123");

        assert!(credential("Authorization", None).unwrap().is_none());
        assert!(matches!(
            credential("Bad Header", Some("x")),
            Err(ConfigError::Header(_))
        ));
        assert!(matches!(credential("", None), Err(ConfigError::Header(_))));
        assert!(matches!(
            credential("Authorization", Some("  ")),
            Err(ConfigError::Token(_))
        ));
        assert!(matches!(credential("X-Key", Some("a\nb")), Err(ConfigError::Token(_))));
    }
}
