//! The client of pagoPA's receipts service (biz-events, `bizevents/service/v1`), used by
//! reconciliation to read back a receipt the Node never delivered: a flow reported the
//! payment, no `paSendRT` of it reached us.
//!
//! - [`BizEventsSettings`]: what the configuration file holds.
//! - [`BizEventsClient::receipt`]: `GET /organizations/{organizationfiscalcode}/receipts/{iur}/paymentoptions/{iuv}`,
//!   one call, the answer ([`dto::CtReceiptModelResponse`]) kept raw.
//! - [`BizEventsClient`] is also the domain's [`ReceiptSource`]: the answer mapped onto the
//!   domain's [`Receipt`] ([`dto::CtReceiptModelResponse::into_receipt`]).
//!
//! pagoPA throttles the service to about 10 calls an hour per subscription ("exception use
//! only"): this client never repeats a call; the domain's
//! [`ReceiptRecovery`](pagopa_domain::services::ReceiptRecovery) decides how often to call.

use async_trait::async_trait;
use pagopa_domain::cause_chain;
use pagopa_domain::model::{Delivery, Receipt};
use pagopa_domain::ports::{FlowSourceError, ReceiptSource};
use pagopa_domain::value::EnteId;
use pagopa_http_client::header::ACCEPT;
use pagopa_http_client::{
    BaseUrl, BaseUrlError, BuildError, Cleartext, HttpClient, HttpError, Method, Secret, SecretError, SubscriptionKey,
    decode_json, timeout_from_ms,
};

pub mod dto;

use crate::fdr::Fetched;

/// The production base URL of the receipts service.
pub const PRODUCTION_BASE_URL: &str = "https://api.platform.pagopa.it/bizevents/service/v1";

const USER_AGENT: &str = concat!("pagopa-nodo/", env!("CARGO_PKG_VERSION"));

/// The default [`BizEventsSettings::timeout_ms`].
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The largest answer read: a receipt of five transfers with metadata is a few kB; a stamp's
/// `mbdAttachment` is the largest member.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// How to reach the receipts service, as read from the configuration.
///
/// ```toml
/// base_url = "https://api.platform.pagopa.it/bizevents/service/v1"
/// subscription_key = "…"
/// timeout_ms = 10000  # optional, default 10000
/// ```
///
/// `Debug` never shows the subscription key.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BizEventsSettings {
    /// The API base, without `/organizations`: [`PRODUCTION_BASE_URL`]. https is required
    /// outside the local machine. A trailing `/` is allowed.
    pub base_url: String,
    /// The `Ocp-Apim-Subscription-Key` of a subscription to the biz-events product. A secret;
    /// surrounding white space is ignored.
    pub subscription_key: Secret,
    /// How long one call may take, connection included, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// Why a [`BizEventsClient`] cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BizEventsConfigError {
    /// `base_url` is not an absolute https URL without query or fragment (or http on the
    /// local machine).
    #[error("the receipts service base URL {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The subscription key is empty or cannot be sent in an HTTP header.
    #[error("the receipts service subscription key {0}")]
    SubscriptionKey(#[from] SecretError),
    /// `timeout_ms` is zero.
    #[error("the receipts service timeout must be at least 1 ms")]
    Timeout,
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client for the receipts service")]
    Client(#[source] BuildError),
}

/// Why a receipt could not be read. Never holds the subscription key or the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BizEventsError {
    /// No answer, an error status (429 when throttled), a body that is not the JSON of the
    /// specification ([`HttpError::Decode`] names the member).
    #[error("the receipts service call failed")]
    Http(#[source] HttpError),
    /// The answer is a receipt, but not one the domain can record.
    #[error("the receipts service answered a receipt that cannot be recorded: {0}")]
    Receipt(String),
}

impl BizEventsError {
    /// Whether trying later may succeed (timeouts, connection failures, 5xx, 408, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http(source) => source.is_transient(),
            Self::Receipt(_) => false,
        }
    }
}

/// The receipts service client of one subscription. Cloning is cheap and shares the
/// connection pool. `Debug` never shows the subscription key.
#[derive(Clone, Debug)]
pub struct BizEventsClient {
    http: HttpClient,
    base_url: BaseUrl,
    subscription_key: SubscriptionKey,
}

impl BizEventsClient {
    /// A client for `settings`, checked: https outside the local machine, a key headers can
    /// carry, a timeout.
    pub fn new(settings: BizEventsSettings) -> Result<Self, BizEventsConfigError> {
        let base_url = BaseUrl::parse(&settings.base_url, "biz-events", Cleartext::Refuse)?;
        let subscription_key = SubscriptionKey::new(&settings.subscription_key)?;
        let timeout = timeout_from_ms(settings.timeout_ms).ok_or(BizEventsConfigError::Timeout)?;
        let http = HttpClient::builder("biz-events", timeout)
            .user_agent(USER_AGENT)
            .max_body_bytes(MAX_BODY_BYTES)
            .build()
            .map_err(BizEventsConfigError::Client)?;
        Ok(Self {
            http,
            base_url,
            subscription_key,
        })
    }

    /// The API base.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The receipt of payment option `iuv` with receipt id `iur` of `organization`, or `None`
    /// when the service has none (404). One call.
    pub async fn receipt(
        &self,
        organization: &str,
        iur: &str,
        iuv: &str,
    ) -> Result<Option<Fetched<dto::CtReceiptModelResponse>>, BizEventsError> {
        let url = self
            .base_url
            .endpoint(["organizations", organization, "receipts", iur, "paymentoptions", iuv]);
        let request = self
            .http
            .request(Method::GET, url)
            .subscription_key(&self.subscription_key)
            .header(ACCEPT, "application/json");
        let answer = self.http.send(request).await.map_err(BizEventsError::Http)?;
        match answer.status() {
            200 => {}
            404 => return Ok(None),
            _ => return Err(BizEventsError::Http(answer.into_error("200").await)),
        }
        let body = answer.read_all().await.map_err(BizEventsError::Http)?;
        let value = decode_json(&body).map_err(BizEventsError::Http)?;
        let raw = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Some(Fetched { value, raw }))
    }
}

#[async_trait]
impl ReceiptSource for BizEventsClient {
    async fn receipt(
        &self,
        ente: &EnteId,
        iur: &str,
        iuv: &str,
        delivery: Delivery,
    ) -> Result<Option<Receipt>, FlowSourceError> {
        let failed = |error: BizEventsError| FlowSourceError {
            message: cause_chain(&error),
            transient: error.is_transient(),
            source: Some(Box::new(error)),
        };
        let Some(fetched) = BizEventsClient::receipt(self, ente.as_str(), iur, iuv)
            .await
            .map_err(failed)?
        else {
            return Ok(None);
        };
        let delivery = Delivery {
            raw_message: Some(fetched.raw),
            recovered: true,
            ..delivery
        };
        fetched
            .value
            .into_receipt(delivery)
            .map(Some)
            .map_err(|problem| failed(BizEventsError::Receipt(problem)))
    }

    fn name(&self) -> &'static str {
        "biz-events"
    }
}

#[cfg(test)]
mod tests;
