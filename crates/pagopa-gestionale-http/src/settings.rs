//! How to reach a gestionale, as read from the configuration, and the checks made on it.

use pagopa_http_client::header::{AUTHORIZATION, HeaderName, HeaderValue};
use pagopa_http_client::{BaseUrl, BaseUrlError, BuildError, Cleartext, Secret, SecretError, header_value};

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
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GestionaleHttpSettings {
    /// The root of the contract's endpoints, without `/entes/…`: an absolute `http(s)` URL
    /// without query or fragment. A trailing `/` is allowed.
    pub base_url: String,
    /// The secret sent in [`header`](Self::header) on every call; none is sent without it. A
    /// secret; surrounding white space is ignored.
    #[serde(default)]
    pub token: Option<Secret>,
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
    pub webhook_secret: Option<Secret>,
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

/// Why a [`GestionaleHttp`](crate::GestionaleHttp) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `base_url` is not an absolute `http(s)` URL without query or fragment.
    #[error("the gestionale base URL {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// `header` is not a valid HTTP header name.
    #[error("the gestionale credential header {0:?} is not a valid HTTP header name")]
    Header(String),
    /// The token is empty or cannot be sent in an HTTP header.
    #[error("the gestionale token {0}")]
    Token(#[from] SecretError),
    /// `webhook_secret` is not a Standard Webhooks secret.
    #[error("the gestionale webhook secret {0}")]
    WebhookSecret(#[source] crate::signature::SecretError),
    /// `timeout_ms` is zero.
    #[error("the gestionale timeout must be at least 1 ms")]
    Timeout,
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for the gestionale")]
    Client(#[source] BuildError),
}

/// The checked base URL: absolute `http(s)`, a host, no query or fragment, no trailing `/`;
/// `http` outside the local machine is a warning (a gestionale may sit on a private network).
pub(crate) fn base_url(raw: &str) -> Result<BaseUrl, ConfigError> {
    Ok(BaseUrl::parse(raw, "gestionale", Cleartext::Warn)?)
}

/// The credential header to send, if a token is configured.
pub(crate) fn credential(header: &str, token: Option<&str>) -> Result<Option<(HeaderName, HeaderValue)>, ConfigError> {
    let name = HeaderName::from_bytes(header.trim().as_bytes()).map_err(|_| ConfigError::Header(header.to_owned()))?;
    let Some(token) = token.map(str::trim) else {
        return Ok(None);
    };
    // A bearer token (RFC 6750 token68) has no space; a value with one already names its scheme.
    let value = if name == AUTHORIZATION && !token.is_empty() && !token.contains(' ') {
        format!("Bearer {token}")
    } else {
        token.to_owned()
    };
    Ok(Some((name, header_value(&value)?)))
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
        assert_eq!(s.token.as_ref().map(Secret::expose), Some("s3cr3t"));
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
        // The checks themselves are pagopa-http-client's; here: they apply, and plain http on a
        // private network is accepted (with a warning), as deploy.md promises.
        assert!(matches!(
            base_url("ftp://g.example.it/a"),
            Err(ConfigError::BaseUrl { .. })
        ));
        assert!(base_url("http://gestionale.internal:8080/api").is_ok());
        assert!(base_url("http://localhost:1").unwrap().is_loopback());
        assert!(base_url("http://[::1]:1").unwrap().is_loopback());
        assert!(base_url("http://127.0.0.1").unwrap().is_loopback());
        assert!(!base_url("http://10.0.0.1").unwrap().is_loopback());
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
