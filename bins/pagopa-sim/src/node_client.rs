//! The Node's HTTP side: SOAP requests posted to the Ente's `paForNode` endpoint, as the pagoPA
//! Node sends them (`Content-Type: text/xml; charset=utf-8`, `SOAPAction: "<operation>"`, the
//! optional shared-secret header), with the Node's per-operation timeouts.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use pagopa_domain::demo;
use pagopa_domain::services::StationIds;
use pagopa_domain::value::EnteId;
use pagopa_nodo::soap::Operation;
use pagopa_nodo::soap::node::{NodeResponse, parse_response};

/// The header that carries the Node's shared secret, unless configured otherwise.
pub const DEFAULT_SECRET_HEADER: &str = "X-Node-Secret";

/// The Node's own timeouts towards an Ente: 7 s for verify, activation and demand, 15 s for a
/// receipt.
pub fn node_timeout(operation: Operation) -> Duration {
    match operation {
        Operation::SendRt | Operation::SendRtV2 => Duration::from_secs(15),
        _ => Duration::from_secs(7),
    }
}

/// The station ids the Node writes in each request (`idBrokerPA`, `idStation`), by Ente.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stations {
    /// The broker used for an Ente without its own entry (default: the demo broker).
    pub default_broker: String,
    /// The station used for an Ente without its own entry (default: the demo station).
    pub default_station: String,
    /// Per-Ente `(broker, station)`.
    pub per_ente: BTreeMap<String, (String, String)>,
}

impl Default for Stations {
    fn default() -> Self {
        Self {
            default_broker: demo::BROKER.into(),
            default_station: demo::STATION.into(),
            per_ente: BTreeMap::new(),
        }
    }
}

impl Stations {
    /// The ids of the requests addressed to `ente`.
    pub fn for_ente(&self, ente: &EnteId) -> StationIds {
        let (broker, station) = self
            .per_ente
            .get(ente.as_str())
            .cloned()
            .unwrap_or_else(|| (self.default_broker.clone(), self.default_station.clone()));
        StationIds {
            ente: ente.clone(),
            broker,
            station,
        }
    }

    /// Adds an entry from `CF=BROKER/STATION`.
    pub fn add_spec(&mut self, spec: &str) -> Result<(), String> {
        let (ente, ids) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: expected CF=BROKER/STATION"))?;
        let (broker, station) = ids
            .split_once('/')
            .ok_or_else(|| format!("{spec:?}: expected CF=BROKER/STATION"))?;
        let ente: EnteId = ente.trim().parse().map_err(|e| format!("{spec:?}: {e}"))?;
        if broker.trim().is_empty() || station.trim().is_empty() {
            return Err(format!("{spec:?}: broker and station must not be empty"));
        }
        self.per_ente
            .insert(ente.to_string(), (broker.trim().to_owned(), station.trim().to_owned()));
        Ok(())
    }
}

/// Where and how the Node calls the Ente.
#[derive(Clone)]
pub struct NodeClientSettings {
    /// The `paForNode` endpoint, e.g. `http://127.0.0.1:8080/pagopa/paForNode`.
    pub ec_url: String,
    /// The shared secret sent on every call, if any.
    pub secret: Option<String>,
    /// The header that carries it (default [`DEFAULT_SECRET_HEADER`]).
    pub secret_header: String,
    /// One timeout for every operation, instead of the Node's ([`node_timeout`]).
    pub timeout: Option<Duration>,
    /// The station ids by Ente.
    pub stations: Stations,
}

impl NodeClientSettings {
    /// Settings for `ec_url`, no secret, the Node's timeouts, the demo station for every Ente.
    pub fn new(ec_url: impl Into<String>) -> Self {
        Self {
            ec_url: ec_url.into(),
            secret: None,
            secret_header: DEFAULT_SECRET_HEADER.into(),
            timeout: None,
            stations: Stations::default(),
        }
    }
}

impl fmt::Debug for NodeClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeClientSettings")
            .field("ec_url", &self.ec_url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("secret_header", &self.secret_header)
            .field("timeout", &self.timeout)
            .field("stations", &self.stations)
            .finish()
    }
}

/// Why a [`NodeClient`] cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeClientError {
    /// The endpoint URL is not an absolute http(s) URL.
    #[error("the EC endpoint {0:?} is not an absolute http(s) URL")]
    Url(String),
    /// The secret or its header name cannot be sent in an HTTP header.
    #[error("the Node secret or its header name is not a valid HTTP header")]
    Header,
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// A response the Ente gave to one call.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The operation called.
    pub operation: Operation,
    /// The HTTP status.
    pub status: u16,
    /// The parsed response.
    pub response: NodeResponse,
    /// From sending the request to reading the whole answer.
    pub elapsed: Duration,
}

/// A call that produced no usable `paForNode` response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No complete answer within the timeout.
    #[error("{operation}: no answer within {timeout:?}")]
    Timeout {
        /// The operation called.
        operation: Operation,
        /// The timeout that expired.
        timeout: Duration,
        /// Time spent.
        elapsed: Duration,
    },
    /// The connection failed.
    #[error("{operation}: {message}")]
    Transport {
        /// The operation called.
        operation: Operation,
        /// What failed.
        message: String,
        /// Time spent.
        elapsed: Duration,
    },
    /// The answer is not a `paForNode` response of this operation (a SOAP Fault, HTML, another
    /// element…).
    #[error("{operation}: HTTP {status}, {message}")]
    BadResponse {
        /// The operation called.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// What is wrong, with the start of the body.
        message: String,
        /// Time spent.
        elapsed: Duration,
    },
}

impl CallError {
    /// Time spent on the call.
    pub fn elapsed(&self) -> Duration {
        match self {
            Self::Timeout { elapsed, .. } | Self::Transport { elapsed, .. } | Self::BadResponse { elapsed, .. } => {
                *elapsed
            }
        }
    }

    /// Whether the call timed out (the Ente may still have processed it).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

/// Sends `paForNode` requests to one Ente endpoint. Cheap to clone (the connection pool is
/// shared).
#[derive(Clone, Debug)]
pub struct NodeClient {
    http: reqwest::Client,
    settings: NodeClientSettings,
}

/// The first characters of a body, for error messages.
fn excerpt(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        cut.push('…');
    }
    cut
}

impl NodeClient {
    /// A client for `settings`. Installs rustls' *ring* provider as the process default when
    /// none is installed (the workspace builds reqwest without one), so `https` endpoints work.
    pub fn new(settings: NodeClientSettings) -> Result<Self, NodeClientError> {
        let url = reqwest::Url::parse(&settings.ec_url).map_err(|_| NodeClientError::Url(settings.ec_url.clone()))?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(NodeClientError::Url(settings.ec_url.clone()));
        }
        if let Some(secret) = &settings.secret {
            reqwest::header::HeaderName::from_bytes(settings.secret_header.as_bytes())
                .map_err(|_| NodeClientError::Header)?;
            reqwest::header::HeaderValue::from_str(secret).map_err(|_| NodeClientError::Header)?;
        }
        // Fails only when a provider is already installed, which is then used instead.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()
            .map_err(NodeClientError::Client)?;
        Ok(Self { http, settings })
    }

    /// The settings.
    pub fn settings(&self) -> &NodeClientSettings {
        &self.settings
    }

    /// The station ids for requests addressed to `ente`.
    pub fn station_for(&self, ente: &EnteId) -> StationIds {
        self.settings.stations.for_ente(ente)
    }

    /// The timeout of `operation`: the configured one, or the Node's.
    pub fn timeout_for(&self, operation: Operation) -> Duration {
        self.settings.timeout.unwrap_or_else(|| node_timeout(operation))
    }

    /// Posts `envelope` as `operation` and reads the response, within `timeout` (or
    /// [`Self::timeout_for`]). A response is accepted whatever the HTTP status if its body is the
    /// operation's response element with an `outcome`.
    pub async fn call(
        &self,
        operation: Operation,
        envelope: String,
        timeout: Option<Duration>,
    ) -> Result<Exchange, CallError> {
        let timeout = timeout.unwrap_or_else(|| self.timeout_for(operation));
        let started = Instant::now();
        let mut request = self
            .http
            .post(&self.settings.ec_url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{}\"", operation.name()))
            .body(envelope);
        if let Some(secret) = &self.settings.secret {
            request = request.header(self.settings.secret_header.as_str(), secret.as_str());
        }
        let failure = |error: reqwest::Error, started: Instant| {
            if error.is_timeout() {
                CallError::Timeout {
                    operation,
                    timeout,
                    elapsed: started.elapsed(),
                }
            } else {
                CallError::Transport {
                    operation,
                    message: transport_message(&error),
                    elapsed: started.elapsed(),
                }
            }
        };
        let response = request.send().await.map_err(|e| failure(e, started))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| failure(e, started))?;
        let elapsed = started.elapsed();
        let bad = |message: String| CallError::BadResponse {
            operation,
            status,
            message,
            elapsed,
        };
        let parsed = parse_response(&body).map_err(|e| bad(format!("{} ({})", e.0, excerpt(&body))))?;
        if parsed.element != operation.response_element() {
            return Err(bad(format!(
                "expected <{}>, got <{}>",
                operation.response_element(),
                parsed.element
            )));
        }
        tracing::debug!(%operation, status, ok = parsed.ok, ?elapsed, "paForNode call");
        Ok(Exchange {
            operation,
            status,
            response: parsed,
            elapsed,
        })
    }
}

/// The error and its causes on one line ("error sending request: connection refused").
fn transport_message(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stations_default_to_the_demo_station_and_take_overrides() {
        let mut stations = Stations::default();
        let comune: EnteId = demo::COMUNE.parse().unwrap();
        let provincia: EnteId = demo::PROVINCIA.parse().unwrap();
        assert_eq!(stations.for_ente(&comune).station, demo::STATION);
        stations.add_spec("00123456782=99999999999/99999999999_02").unwrap();
        let ids = stations.for_ente(&provincia);
        assert_eq!(
            (ids.broker.as_str(), ids.station.as_str()),
            ("99999999999", "99999999999_02")
        );
        assert_eq!(stations.for_ente(&comune).broker, demo::BROKER);
        assert!(stations.add_spec("00123456782=nobroker").is_err());
        assert!(stations.add_spec("123=a/b").is_err());
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(NodeClient::new(NodeClientSettings::new("not a url")).is_err());
        assert!(NodeClient::new(NodeClientSettings::new("ftp://host/x")).is_err());
        assert!(NodeClient::new(NodeClientSettings::new("http://127.0.0.1:1/pagopa/paForNode")).is_ok());
    }
}
