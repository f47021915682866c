//! How to reach Checkout, as configured.

use std::fmt;

use pagopa_http_client::{BaseUrlError, BuildError, Secret, SecretError};

/// The default [`CheckoutSettings::timeout_ms`].
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Which version of the carts API `base_url` points to: it decides the shape of `returnUrls`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckoutVersion {
    /// `/checkout/ec/v1`: `returnUrls` without `returnWaitingUrl`.
    V1,
    /// `/checkout/ec/v2` (the default): `returnUrls` with the required `returnWaitingUrl`.
    #[default]
    V2,
}

impl CheckoutVersion {
    /// `"v1"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

impl fmt::Display for CheckoutVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach pagoPA Checkout, as read from the configuration.
///
/// ```toml
/// base_url = "https://api.uat.platform.pagopa.it/checkout/ec/v2"
/// subscription_key = "…"
/// version = "v2"      # optional, default v2
/// timeout_ms = 10000  # optional, default 10000
/// ```
///
/// `Debug` never shows the subscription key.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSettings {
    /// The API base, without `/carts`: `https://api.platform.pagopa.it/checkout/ec/v2` (UAT:
    /// `https://api.uat.platform.pagopa.it/checkout/ec/v2`). A trailing `/` is allowed.
    pub base_url: String,
    /// The `Ocp-Apim-Subscription-Key` of the Ente's (or its partner's) subscription. A secret;
    /// surrounding white space is ignored.
    pub subscription_key: Secret,
    /// The API version `base_url` points to (default v2).
    #[serde(default)]
    pub version: CheckoutVersion,
    /// How long a whole call may take, connection included, in milliseconds (default 10000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// Why a [`CheckoutClient`](super::CheckoutClient) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutConfigError {
    /// `base_url` is not an absolute `http(s)` URL without query or fragment.
    #[error("the Checkout base URL {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The subscription key is empty or cannot be sent in an HTTP header.
    #[error("the Checkout subscription key {0}")]
    SubscriptionKey(#[from] SecretError),
    /// `timeout_ms` is zero.
    #[error("the Checkout timeout must be at least 1 ms")]
    Timeout,
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for Checkout")]
    Client(#[source] BuildError),
}
