//! How to reach the Node's `nodeForPa` SOAP interface, as configured.

use pagopa_http_client::{BaseUrlError, BuildError, Secret, SecretError};

/// The UAT endpoint of `nodeForPa`, as its WSDL gives it.
pub const UAT_BASE_URL: &str = "https://api.uat.platform.pagopa.it/nodo-auth/node-for-pa/v1";

/// The default [`NodoFlowSettings::timeout_ms`]: a flow of thousands of payments is megabytes.
const DEFAULT_TIMEOUT_MS: u64 = 60_000;

/// How to reach `nodeForPa` for `nodoChiediElencoFlussiRendicontazione` and
/// `nodoChiediFlussoRendicontazione`, as read from the configuration.
///
/// ```toml
/// base_url = "https://api.uat.platform.pagopa.it/nodo-auth/node-for-pa/v1"
/// broker_id = "80012345676"        # identificativoIntermediarioPA
/// station_id = "80012345676_01"    # identificativoStazioneIntermediarioPA
/// password = "…"                   # the station's password, 8 to 15 characters
/// subscription_key = "…"           # optional: Ocp-Apim-Subscription-Key
/// timeout_ms = 60000               # optional, default 60000
/// ```
///
/// `Debug` never shows the password nor the subscription key.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodoFlowSettings {
    /// The SOAP endpoint the requests are posted to, as is ([`UAT_BASE_URL`] in UAT). https is
    /// required outside the local machine.
    pub base_url: String,
    /// `identificativoIntermediarioPA`: the broker of the station, 1 to 35 characters.
    pub broker_id: String,
    /// `identificativoStazioneIntermediarioPA`: the station, 1 to 35 characters.
    pub station_id: String,
    /// The station's `password` (`stPassword`: 8 to 15 characters). A secret; surrounding white
    /// space is ignored.
    pub password: Secret,
    /// The `Ocp-Apim-Subscription-Key` of the subscription to the Node's product, when the
    /// endpoint asks for one. A secret.
    #[serde(default)]
    pub subscription_key: Option<Secret>,
    /// How long one call may take, connection included, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// Why a [`NodoFlowSource`](super::NodoFlowSource) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodoFlowConfigError {
    /// `base_url` is not an absolute https URL without query or fragment (or http on the local
    /// machine).
    #[error("the nodeForPa URL {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The broker or station id is empty or longer than 35 characters.
    #[error("the nodeForPa {field} must have 1 to 35 characters")]
    Identifier {
        /// `broker_id` or `station_id`.
        field: &'static str,
    },
    /// The password has fewer than 8 or more than 15 characters.
    #[error("the nodeForPa password must have 8 to 15 characters, not {0}")]
    Password(usize),
    /// The subscription key is empty or cannot be sent in an HTTP header.
    #[error("the nodeForPa subscription key {0}")]
    SubscriptionKey(#[from] SecretError),
    /// `timeout_ms` is zero.
    #[error("the nodeForPa timeout must be at least 1 ms")]
    Timeout,
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for nodeForPa")]
    Client(#[source] BuildError),
}
