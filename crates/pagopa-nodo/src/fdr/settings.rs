//! How to reach the FdR REST API, as configured.

use pagopa_http_client::{BaseUrlError, BuildError, Secret, SecretError};

/// The production base URL of the FdR organization API.
pub const PRODUCTION_BASE_URL: &str = "https://api.platform.pagopa.it/fdr-org/service/v1";

/// The largest page the service serves (`size` at most 1000), and the size of the payments
/// pages this client asks for.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The default [`FdrSettings::timeout_ms`]: a page of 1000 payments is a few hundred kB.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// How to reach the FdR REST API (`fdr-org`), as read from the configuration.
///
/// ```toml
/// base_url = "https://api.platform.pagopa.it/fdr-org/service/v1"
/// subscription_key = "…"
/// timeout_ms = 30000  # optional, default 30000
/// page_size = 1000    # optional, default 1000 (1 to 1000): flows per page of the list
/// ```
///
/// `Debug` never shows the subscription key.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FdrSettings {
    /// The API base, without `/organizations`: [`PRODUCTION_BASE_URL`]. https is required
    /// outside the local machine. A trailing `/` is allowed.
    pub base_url: String,
    /// The `Ocp-Apim-Subscription-Key` of the organization's (or its partner's) subscription to
    /// the FdR product. A secret; surrounding white space is ignored.
    pub subscription_key: Secret,
    /// How long one call (one page) may take, connection included, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// How many flows to ask for per page of the list (`size`), 1 to [`MAX_PAGE_SIZE`].
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

/// Why an [`FdrClient`](super::FdrClient) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FdrConfigError {
    /// `base_url` is not an absolute https URL without query or fragment (or http on the
    /// local machine).
    #[error("the FdR base URL {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The subscription key is empty or cannot be sent in an HTTP header.
    #[error("the FdR subscription key {0}")]
    SubscriptionKey(#[from] SecretError),
    /// `timeout_ms` is zero.
    #[error("the FdR timeout must be at least 1 ms")]
    Timeout,
    /// `page_size` is outside 1..=1000.
    #[error("the FdR page size must be 1 to {MAX_PAGE_SIZE}, not {0}")]
    PageSize(u32),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for FdR")]
    Client(#[source] BuildError),
}
