//! The client of pagoPA Checkout's carts API (modello 1): `POST {base_url}/carts`, answered by a
//! `302` whose `Location` is the Checkout page the citizen's browser must go to.
//!
//! - [`CheckoutSettings`] and [`CheckoutVersion`]: what the configuration file holds.
//! - [`CheckoutClient`]: the [`PagoPaCheckout`] adapter, on the shared outbound base
//!   ([`pagopa_http_client`]: rustls with *ring*, no redirects, request ids, capped bodies).
//! - [`cart_request_body`] and [`parse_response`]: the pure halves of the exchange (the JSON we
//!   send, the meaning of what comes back), tested without a network.
//!
//! Mapping of the answers (the [`PagoPaCheckout`] error contract):
//!
//! - 301/302/303/307/308 with an absolute `http(s)` `Location`: `Ok`, the browser goes there;
//!   without a usable `Location`: `Unavailable` ([`CheckoutFailure::NoLocation`],
//!   [`CheckoutFailure::BadLocation`]);
//! - any other 1xx/2xx/3xx: `Unavailable` ([`CheckoutFailure::NotRedirect`]);
//! - 401, 403, 404, 405, 407, 408, 429: `Unavailable` ([`CheckoutFailure::Status`]), because they
//!   are about our key, our URL or Checkout's load, not about the cart (and a refusal's detail
//!   is shown to the citizen);
//! - any other 4xx (400, 422, …): `Rejected { status, detail }`;
//! - 5xx, or a status outside 100..=599: `Unavailable` ([`CheckoutFailure::Status`]);
//! - no complete answer within `timeout_ms`: `Unavailable` ([`CheckoutFailure::Timeout`]);
//! - a connection or protocol error: `Unavailable` ([`CheckoutFailure::Transport`]).
//!
//! The detail of a refusal is taken from Checkout's ProblemJson (`title` and `detail`), or else
//! from the raw body, cut to [`DETAIL_MAX_CHARS`] characters. The call is never repeated:
//! starting a cart is not idempotent.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use pagopa_domain::ports::{BoxError, CheckoutCart, CheckoutError, CheckoutRedirect, PagoPaCheckout};
use pagopa_domain::{cause_chain, excerpt};
use pagopa_http_client::header::{ACCEPT, LOCATION};
use pagopa_http_client::{
    BaseUrl, Cleartext, HttpClient, HttpError, Method, OutboundRequest, SubscriptionKey, Url, explanation,
    timeout_from_ms,
};
use serde_json::{Map, Value, json};

mod settings;

pub use settings::{CheckoutConfigError, CheckoutSettings, CheckoutVersion};

/// The header carrying the API Management subscription key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// The longest detail (in characters) kept from an error body.
pub const DETAIL_MAX_CHARS: usize = 300;

/// The most bytes of an error body read from Checkout; the rest is ignored.
const BODY_MAX_BYTES: usize = 16 * 1024;

const USER_AGENT: &str = concat!("pagopa-nodo/", env!("CARGO_PKG_VERSION"));

/// Why Checkout is unavailable: the source of a [`CheckoutError::Unavailable`] built by this
/// module (reach it with [`std::error::Error::source`] and `downcast_ref`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutFailure {
    /// No complete answer within the timeout. Checkout may have created the cart anyway; without
    /// its URL nobody can pay through it, and it expires on its own.
    #[error("Checkout did not answer within {timeout_ms} ms")]
    Timeout {
        /// The timeout applied.
        timeout_ms: u64,
        /// The client's error.
        #[source]
        source: HttpError,
    },
    /// The connection failed or the answer was not valid HTTP.
    #[error("cannot talk to Checkout")]
    Transport(#[source] HttpError),
    /// An error status that says nothing about the cart: a server error, or a refusal of our
    /// credentials, URL or request rate.
    #[error("Checkout answered HTTP {status}: {detail}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// What the body said, cut to [`DETAIL_MAX_CHARS`] characters.
        detail: String,
    },
    /// A redirect status without a `Location` header.
    #[error("Checkout answered HTTP {status} without a Location header")]
    NoLocation {
        /// The HTTP status.
        status: u16,
    },
    /// A redirect whose `Location` is not an absolute `http(s)` URL.
    #[error("Checkout answered HTTP {status} with a Location that is not an absolute http(s) URL: {location:?}")]
    BadLocation {
        /// The HTTP status.
        status: u16,
        /// The header, cut to [`DETAIL_MAX_CHARS`] characters.
        location: String,
    },
    /// A success or another non-redirect status, where Checkout answers `302`.
    #[error("Checkout answered HTTP {status} instead of a 302 redirect")]
    NotRedirect {
        /// The HTTP status.
        status: u16,
    },
}

impl From<CheckoutFailure> for CheckoutError {
    fn from(failure: CheckoutFailure) -> Self {
        CheckoutError::Unavailable(BoxError::from(failure))
    }
}

/// The JSON body of `POST /carts` for `cart` in the given API `version`.
///
/// - `paymentNotices[]`: `noticeNumber`, `fiscalCode` (the Ente), `amount` (integer euro
///   cents), `companyName`, `description`.
/// - `returnUrls`: `returnOkUrl`, `returnCancelUrl`, `returnErrorUrl`; in v2 also
///   `returnWaitingUrl`, which v2 requires. When the cart has no waiting URL, the **error URL**
///   stands in for it: "outcome unknown" must not be shown as a success (a payment may have
///   failed) nor as a cancellation, and the return pages are only user experience, the outcome
///   comes from the receipts. v1 never sends `returnWaitingUrl`, even when the cart has one.
/// - `idCart` always; `emailNotice` only when the cart has an e-mail; `allCCP` always.
pub fn cart_request_body(cart: &CheckoutCart, version: CheckoutVersion) -> Value {
    let notices: Vec<Value> = cart
        .notices
        .iter()
        .map(|notice| {
            json!({
                "noticeNumber": notice.notice_number.as_str(),
                "fiscalCode": notice.ente.as_str(),
                "amount": notice.amount.cents(),
                "companyName": notice.company_name.as_str(),
                "description": notice.description.as_str(),
            })
        })
        .collect();
    let urls = &cart.return_urls;
    let mut return_urls = Map::new();
    return_urls.insert("returnOkUrl".into(), urls.ok.as_str().into());
    return_urls.insert("returnCancelUrl".into(), urls.cancel.as_str().into());
    return_urls.insert("returnErrorUrl".into(), urls.error.as_str().into());
    if version == CheckoutVersion::V2 {
        let waiting = urls.waiting.as_deref().unwrap_or(urls.error.as_str());
        return_urls.insert("returnWaitingUrl".into(), waiting.into());
    }
    let mut body = Map::new();
    body.insert("paymentNotices".into(), Value::Array(notices));
    body.insert("returnUrls".into(), Value::Object(return_urls));
    if let Some(email) = &cart.email {
        body.insert("emailNotice".into(), email.as_str().into());
    }
    body.insert("idCart".into(), cart.cart_id.as_str().into());
    body.insert("allCCP".into(), cart.all_ccp.into());
    Value::Object(body)
}

/// What Checkout's answer means: the status, the `Location` header (if present and text) and the
/// body (only read for error statuses; pass `&[]` otherwise). See the module documentation for
/// the mapping.
pub fn parse_response(status: u16, location: Option<&str>, body: &[u8]) -> Result<CheckoutRedirect, CheckoutError> {
    match status {
        301 | 302 | 303 | 307 | 308 => {
            let location = location.map(str::trim).filter(|l| !l.is_empty());
            let Some(location) = location else {
                return Err(CheckoutFailure::NoLocation { status }.into());
            };
            match Url::parse(location) {
                Ok(url) if matches!(url.scheme(), "https" | "http") && url.has_host() => Ok(CheckoutRedirect {
                    url: location.to_owned(),
                }),
                _ => Err(CheckoutFailure::BadLocation {
                    status,
                    location: excerpt(location, DETAIL_MAX_CHARS),
                }
                .into()),
            }
        }
        100..=399 => Err(CheckoutFailure::NotRedirect { status }.into()),
        401 | 403 | 404 | 405 | 407 | 408 | 429 => Err(CheckoutFailure::Status {
            status,
            detail: error_detail(body),
        }
        .into()),
        400..=499 => Err(CheckoutError::Rejected {
            status,
            detail: error_detail(body),
        }),
        _ => Err(CheckoutFailure::Status {
            status,
            detail: error_detail(body),
        }
        .into()),
    }
}

/// The part of a ProblemJson this client reads.
#[derive(serde::Deserialize)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// The explanation in an error body: `title: detail` of a ProblemJson (either alone when the
/// other is missing or the same), or else the body's text; at most [`DETAIL_MAX_CHARS`]
/// characters on one line.
fn error_detail(body: &[u8]) -> String {
    if let Ok(problem) = serde_json::from_slice::<Problem>(body) {
        let title = problem
            .title
            .as_deref()
            .map(|t| excerpt(t, usize::MAX))
            .filter(|t| !t.is_empty());
        let detail = problem
            .detail
            .as_deref()
            .map(|d| excerpt(d, usize::MAX))
            .filter(|d| !d.is_empty());
        let text = match (title, detail) {
            (Some(title), Some(detail)) if title != detail => Some(format!("{title}: {detail}")),
            (_, Some(detail)) => Some(detail),
            (Some(title), None) => Some(title),
            (None, None) => None,
        };
        if let Some(text) = text {
            return excerpt(&text, DETAIL_MAX_CHARS);
        }
    }
    explanation(body, &[], DETAIL_MAX_CHARS)
}

/// `{base_url}/carts`, checked: absolute `http(s)`, a host, no query or fragment (`http` outside
/// the local machine is logged as a warning).
fn carts_url(base_url: &str) -> Result<Url, CheckoutConfigError> {
    Ok(BaseUrl::parse(base_url, "Checkout", Cleartext::Warn)?.endpoint(["carts"]))
}

/// The pagoPA Checkout carts client: the [`PagoPaCheckout`] adapter.
///
/// One `POST {base_url}/carts` per [`PagoPaCheckout::start_cart`], with the subscription key,
/// redirects not followed (the `302` is the answer), a timeout on the whole call and no retry.
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct CheckoutClient {
    http: HttpClient,
    carts_url: Url,
    subscription_key: SubscriptionKey,
    version: CheckoutVersion,
}

impl fmt::Debug for CheckoutClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutClient")
            .field("carts_url", &self.carts_url.as_str())
            .field("subscription_key", &self.subscription_key)
            .field("version", &self.version)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl CheckoutClient {
    /// A client for `settings`. Installs rustls' *ring* crypto provider as the process default
    /// if no provider is installed yet (the workspace builds reqwest without one).
    pub fn new(settings: CheckoutSettings) -> Result<Self, CheckoutConfigError> {
        let carts_url = carts_url(&settings.base_url)?;
        let subscription_key = SubscriptionKey::new(&settings.subscription_key)?;
        let timeout = timeout_from_ms(settings.timeout_ms).ok_or(CheckoutConfigError::Timeout)?;
        let other = match settings.version {
            CheckoutVersion::V1 => "/v2/",
            CheckoutVersion::V2 => "/v1/",
        };
        if carts_url.path().contains(other) {
            let version = settings.version.as_str();
            tracing::warn!(url = %carts_url, version, "the Checkout URL looks like another API version");
        }
        let http = HttpClient::builder("checkout", timeout)
            .user_agent(USER_AGENT)
            .max_body_bytes(BODY_MAX_BYTES)
            .build()
            .map_err(CheckoutConfigError::Client)?;
        Ok(Self {
            http,
            carts_url,
            subscription_key,
            version: settings.version,
        })
    }

    /// The URL carts are posted to (`{base_url}/carts`).
    pub fn carts_url(&self) -> &str {
        self.carts_url.as_str()
    }

    /// The API version the client speaks.
    pub fn version(&self) -> CheckoutVersion {
        self.version
    }

    /// The `POST /carts` of `cart`.
    fn cart_request(&self, cart: &CheckoutCart) -> Result<OutboundRequest, CheckoutError> {
        let body = cart_request_body(cart, self.version);
        self.http
            .request(Method::POST, self.carts_url.clone())
            .subscription_key(&self.subscription_key)
            .header(ACCEPT, "application/json")
            .json(&body)
            .map_err(|e| self.failure(e))
    }

    /// Sends the cart and interprets the answer (no logging: see `start_cart`).
    async fn post_cart(&self, request: OutboundRequest) -> Result<(u16, CheckoutRedirect), CheckoutError> {
        let answer = self.http.send(request).await.map_err(|e| self.failure(e))?;
        let status = answer.status();
        // A Location with non-ASCII bytes is read as (lossy) UTF-8 rather than reported
        // missing; `parse_response` then judges the URL.
        let location = answer.header(LOCATION);
        let body = if status >= 400 {
            answer.read().await.map_err(|e| self.failure(e))?.bytes
        } else {
            Vec::new()
        };
        parse_response(status, location.as_deref(), &body).map(|redirect| (status, redirect))
    }

    fn failure(&self, error: HttpError) -> CheckoutError {
        if let HttpError::Timeout { timeout_ms, .. } = error {
            CheckoutFailure::Timeout {
                timeout_ms,
                source: error,
            }
            .into()
        } else {
            CheckoutFailure::Transport(error).into()
        }
    }
}

#[async_trait]
impl PagoPaCheckout for CheckoutClient {
    async fn start_cart(&self, cart: &CheckoutCart) -> Result<CheckoutRedirect, CheckoutError> {
        let started = Instant::now();
        let request = self.cart_request(cart)?;
        let request_id = request.request_id().clone();
        let request_id = request_id.as_str();
        let result = self.post_cart(request).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let cart_id = cart.cart_id.as_str();
        let notices = cart.notices.len();
        match &result {
            Ok((status, redirect)) => {
                tracing::info!(
                    cart_id,
                    notices,
                    status,
                    elapsed_ms,
                    request_id,
                    "Checkout started the cart"
                );
                tracing::debug!(cart_id, url = %redirect.url, "Checkout redirect");
            }
            Err(CheckoutError::Rejected { status, detail }) => {
                tracing::warn!(cart_id, notices, status, elapsed_ms, request_id, detail = %detail, "Checkout refused the cart");
            }
            Err(error) => {
                let error = cause_chain(error);
                tracing::error!(cart_id, notices, elapsed_ms, request_id, error = %error, "Checkout unavailable");
            }
        }
        result.map(|(_, redirect)| redirect)
    }
}

#[cfg(test)]
mod tests;
