//! [`HttpClient`]: one reqwest client per remote service, built the same way for every adapter
//! (rustls with *ring*, no redirects, a timeout on the whole call, a user agent), and the
//! exchange: a request id per call, capped body reads, one debug line per call without URL or
//! header values.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::answer::Answer;
use pagopa_domain::excerpt;

use crate::body::{decode_json, is_json_content_type};
use crate::error::{BuildError, HttpError, NotJson};

/// The header carrying the id of each outbound call, for the remote's logs and ours.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// The default cap of a body read ([`HttpClientBuilder::max_body_bytes`]): 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The id of one outbound call: a random UUID (version 4), sent as [`REQUEST_ID_HEADER`] and
/// logged with the call's outcome.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh id.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // Without randomness the id only needs to tell calls apart in the logs.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            bytes = nanos.to_be_bytes();
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex::encode(bytes);
        Self(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        ))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// How to build an [`HttpClient`]; from [`HttpClient::builder`].
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    service: &'static str,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    max_body_bytes: usize,
    user_agent: String,
}

impl HttpClientBuilder {
    /// The longest wait for a connection (default: the whole call's timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The most bytes [`Answer::read`] reads (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The `User-Agent` (default `pagopa-http-client/VERSION`): name the adapter,
    /// `concat!("pagopa-nodo/", env!("CARGO_PKG_VERSION"))`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The client. Installs rustls' *ring* crypto provider as the process default if no
    /// provider is installed yet (the workspace builds reqwest without one).
    pub fn build(self) -> Result<HttpClient, BuildError> {
        // Fails only when a provider is already installed, which is then used instead.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout.unwrap_or(self.timeout))
            .user_agent(self.user_agent)
            .build()
            .map_err(BuildError)?;
        Ok(HttpClient {
            http,
            service: self.service,
            timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            max_body_bytes: self.max_body_bytes,
        })
    }
}

/// The timeout of `timeout_ms` milliseconds from the configuration, or `None` for zero (a
/// client that can never answer).
pub fn timeout_from_ms(timeout_ms: u64) -> Option<Duration> {
    (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms))
}

/// The outbound client of one remote service. Cloning is cheap and shares the connection pool.
/// `Debug` shows the service, the timeout and the cap, never a credential (credentials travel
/// with each [`OutboundRequest`], marked sensitive).
#[derive(Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    service: &'static str,
    timeout_ms: u64,
    max_body_bytes: usize,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("service", &self.service)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A builder for the client of `service` (its name in logs: `checkout`, `gestionale`,
    /// `fdr`), with a timeout on each whole call.
    pub fn builder(service: &'static str, timeout: Duration) -> HttpClientBuilder {
        HttpClientBuilder {
            service,
            timeout,
            connect_timeout: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: concat!("pagopa-http-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// The service's name in logs.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The timeout of a whole call, in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// The cap of [`Answer::read`].
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// A request with a fresh [`RequestId`] in [`REQUEST_ID_HEADER`].
    pub fn request(&self, method: Method, url: Url) -> OutboundRequest {
        let request_id = RequestId::new();
        let inner = self
            .http
            .request(method.clone(), url)
            .header(REQUEST_ID_HEADER, request_id.as_str());
        OutboundRequest {
            inner,
            method,
            request_id,
            invalid_header: None,
        }
    }

    /// Sends the request once (never repeated here) and returns the answer with its body
    /// unread. Logs one debug line with the service, request id, method, status and time.
    pub async fn send(&self, request: OutboundRequest) -> Result<Answer, HttpError> {
        let OutboundRequest {
            inner,
            method,
            request_id,
            invalid_header,
        } = request;
        if let Some(name) = invalid_header {
            return Err(HttpError::Encode(format!(
                "the value of the {name} header cannot be sent"
            )));
        }
        let started = Instant::now();
        let result = inner.send().await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (service, id, method) = (self.service, request_id.as_str(), method.as_str());
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(service, request_id = id, method, status, elapsed_ms, "outbound answer");
                Ok(Answer::new(response, request_id, self.timeout_ms, self.max_body_bytes))
            }
            Err(error) => {
                let error = HttpError::from_reqwest(error, self.timeout_ms);
                let class = error.class().as_str();
                tracing::debug!(
                    service,
                    request_id = id,
                    method,
                    class,
                    elapsed_ms,
                    "outbound call failed"
                );
                Err(error)
            }
        }
    }

    /// Sends the request with `Accept: application/json` and decodes a 2xx answer as `T`: the
    /// body read whole within the cap, its content type (when given) a JSON one. Any other
    /// answer is the error [`Answer::into_error`] gives.
    pub async fn fetch_json<T: DeserializeOwned>(&self, request: OutboundRequest) -> Result<T, HttpError> {
        let answer = self.send(request.header(ACCEPT, "application/json")).await?;
        if !(200..300).contains(&answer.status()) {
            return Err(answer.into_error("a 2xx").await);
        }
        if let Some(content_type) = answer.content_type()
            && !is_json_content_type(&content_type)
        {
            let found = if content_type.to_ascii_lowercase().contains("html") {
                NotJson::Html
            } else {
                NotJson::ContentType
            };
            return Err(HttpError::NotJson {
                found,
                excerpt: excerpt(&content_type, 80),
            });
        }
        decode_json(&answer.read_all().await?)
    }
}

/// One request being built; from [`HttpClient::request`]. `Debug` shows the method and the
/// request id only.
pub struct OutboundRequest {
    inner: reqwest::RequestBuilder,
    method: Method,
    request_id: RequestId,
    invalid_header: Option<HeaderName>,
}

impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundRequest")
            .field("method", &self.method)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl OutboundRequest {
    /// The call's id, for the adapter's own log line.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// Adds a header that is not a secret. A value headers cannot carry makes
    /// [`HttpClient::send`] fail with [`HttpError::Encode`] naming the header.
    pub fn header<V: TryInto<HeaderValue>>(mut self, name: impl Into<HeaderName>, value: V) -> Self {
        let name = name.into();
        match value.try_into() {
            Ok(value) => self.inner = self.inner.header(name, value),
            Err(_) => self.invalid_header = Some(name),
        }
        self
    }

    /// Adds a credential header, marked sensitive whatever `value` says, so that no `Debug`
    /// down the stack shows it.
    pub fn secret_header(mut self, name: impl Into<HeaderName>, value: &HeaderValue) -> Self {
        let mut value = value.clone();
        value.set_sensitive(true);
        self.inner = self.inner.header(name.into(), value);
        self
    }

    /// Sends `bytes` (already JSON: a signature may cover them) with `Content-Type:
    /// application/json`.
    pub fn json_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.inner = self
            .inner
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(bytes);
        self
    }

    /// Sends `bytes` with the given `Content-Type` (a SOAP envelope: `text/xml; charset=utf-8`).
    pub fn body_bytes(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.inner = self
            .inner
            .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
            .body(bytes);
        self
    }

    /// Sends `body` encoded as JSON.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::Encode(e.to_string()))?;
        Ok(self.json_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn request_ids_are_uuids() {
        let (a, b) = (RequestId::new(), RequestId::new());
        assert_ne!(a, b);
        let text = a.as_str();
        assert_eq!(text.len(), 36);
        let dashes: Vec<usize> = text.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, vec![8, 13, 18, 23]);
        assert_eq!(&text[14..15], "4", "{text}");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
    }

    #[test]
    fn timeouts() {
        assert_eq!(timeout_from_ms(0), None);
        assert_eq!(timeout_from_ms(250), Some(Duration::from_millis(250)));
        let client = HttpClient::builder("test", Duration::from_millis(250))
            .max_body_bytes(10)
            .build()
            .unwrap();
        assert_eq!(
            (client.timeout_ms(), client.max_body_bytes(), client.service()),
            (250, 10, "test")
        );
        assert_eq!(
            format!("{client:?}"),
            "HttpClient { service: \"test\", timeout_ms: 250, max_body_bytes: 10, .. }"
        );
    }
}
