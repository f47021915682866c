//! The client of pagoPA's FdR REST API for organizations (`fdr-org/service/v1`): the
//! reconciliation flows (flussi di rendicontazione) PSPs publish for an Ente.
//!
//! - [`FdrSettings`]: what the configuration file holds.
//! - [`FdrClient`]: the three reads, on the shared outbound base ([`pagopa_http_client`]):
//!   - [`FdrClient::published_flows`]: `GET /organizations/{organizationId}/fdrs`, every page,
//!     always with `publishedGt` (without it the service only looks back to the start of the
//!     previous month);
//!   - [`FdrClient::flow`]: `GET …/fdrs/{fdr}/revisions/{revision}/psps/{pspId}`, the header of
//!     one revision;
//!   - [`FdrClient::flow_payments`]: `GET …/psps/{pspId}/payments`, every page of
//!     [`MAX_PAGE_SIZE`] payments.
//! - [`dto`]: the JSON of the answers, named as in the specification.
//! - [`FdrFlowSource`]: the client as the domain's [`pagopa_domain::ports::FlowSource`], and
//!   [`fetched_flow`], the mapping of a flow's answers to the domain's
//!   [`pagopa_domain::model::FetchedFlow`].
//!
//! Each answer comes back as [`Fetched`]: the decoded value and the body as received, which
//! the caller stores. A page is one call: no call is repeated here (all are reads, so the
//! caller may try again, see [`FdrError::is_transient`]).

use std::fmt;

use pagopa_http_client::header::ACCEPT;
use pagopa_http_client::{
    BaseUrl, Cleartext, HttpClient, HttpError, Method, NotJson, SubscriptionKey, Url, decode_json,
    is_json_content_type, timeout_from_ms,
};
use serde::de::DeserializeOwned;

pub mod dto;
mod settings;
mod source;

use dto::{FlowsPage, Page, PaymentsPage, SingleFlowResponse};
pub use settings::{FdrConfigError, FdrSettings, MAX_PAGE_SIZE, PRODUCTION_BASE_URL};
pub use source::{FdrFlowSource, JSON_MEDIA_TYPE, fetched_flow};

/// The header carrying the API Management subscription key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

const USER_AGENT: &str = concat!("pagopa-nodo/", env!("CARGO_PKG_VERSION"));

/// The most pages one listing follows: far above any real listing (a million flows at the
/// smallest page size would need more), it stops a service that never says "last page".
const MAX_PAGES: u64 = 100_000;

/// One decoded answer and its body as received (UTF-8 JSON), for the caller to store.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched<T> {
    /// The answer, decoded.
    pub value: T,
    /// The body, as received.
    pub raw: String,
}

/// Which call of the API failed, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FdrCall {
    /// The list of the published flows.
    PublishedFlows,
    /// The header of a flow.
    Flow,
    /// The payments of a flow.
    FlowPayments,
}

impl fmt::Display for FdrCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PublishedFlows => "list of published flows",
            Self::Flow => "flow header",
            Self::FlowPayments => "flow payments",
        })
    }
}

/// Why an FdR read gave no usable answer. Never holds the subscription key; the HTTP errors
/// never hold the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FdrError {
    /// HTTP 404: the organization, the flow or that revision of it is not known to FdR (or not
    /// published).
    #[error("FdR has no {what}: the {call} call answered HTTP 404: {detail}")]
    NotFound {
        /// The call.
        call: FdrCall,
        /// What was asked for: the organization, or the flow, revision and PSP.
        what: String,
        /// What the body said, cut.
        detail: String,
    },
    /// Any other failure of a call: no answer, an error status, a body that is not the JSON of
    /// the specification ([`HttpError::Decode`] names the member).
    #[error("the FdR {call} call failed (page {page})")]
    Http {
        /// The call.
        call: FdrCall,
        /// The page asked for (1 for the header).
        page: u64,
        /// Why.
        #[source]
        source: HttpError,
    },
    /// A page whose `metadata` does not follow: another `pageNumber` than asked for, or more
    /// pages than this client follows.
    #[error("the FdR {call} pagination does not follow: asked for page {asked}, got page {got} of {total}")]
    Pagination {
        /// The call.
        call: FdrCall,
        /// The page asked for.
        asked: u64,
        /// `metadata.pageNumber`.
        got: u64,
        /// `metadata.totPage`.
        total: u64,
    },
}

impl FdrError {
    /// The HTTP status, when the service answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::NotFound { .. } => Some(404),
            Self::Http { source, .. } => source.status(),
            Self::Pagination { .. } => None,
        }
    }

    /// Whether trying again later may succeed (timeouts, connection failures, 5xx, 408, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { source, .. } => source.is_transient(),
            Self::NotFound { .. } | Self::Pagination { .. } => false,
        }
    }
}

/// The FdR REST client of one subscription. Cloning is cheap and shares the connection pool.
/// `Debug` never shows the subscription key.
#[derive(Clone, Debug)]
pub struct FdrClient {
    http: HttpClient,
    base_url: BaseUrl,
    subscription_key: SubscriptionKey,
    page_size: u32,
}

impl FdrClient {
    /// A client for `settings`, checked: https outside the local machine, a key headers can
    /// carry, a timeout, a page size of 1 to [`MAX_PAGE_SIZE`].
    pub fn new(settings: FdrSettings) -> Result<Self, FdrConfigError> {
        let base_url = BaseUrl::parse(&settings.base_url, "FdR", Cleartext::Refuse)?;
        let subscription_key = SubscriptionKey::new(&settings.subscription_key)?;
        let timeout = timeout_from_ms(settings.timeout_ms).ok_or(FdrConfigError::Timeout)?;
        if !(1..=MAX_PAGE_SIZE).contains(&settings.page_size) {
            return Err(FdrConfigError::PageSize(settings.page_size));
        }
        let http = HttpClient::builder("fdr", timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(FdrConfigError::Client)?;
        Ok(Self {
            http,
            base_url,
            subscription_key,
            page_size: settings.page_size,
        })
    }

    /// The API base.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// Every flow of `organization` published after `published_gt`, page after page
    /// (`publishedGt`, `page` from 1, `size` the configured page size) until
    /// `metadata.totPage`. Each listed flow is at its latest published revision. One
    /// [`Fetched`] per page, in order; the flows are in their `data`.
    ///
    /// `published_gt` is sent to the second (`2025-01-01T00:00:00Z`), rounded down: a flow
    /// published in the same second as the bound may be listed again, never missed.
    pub async fn published_flows(
        &self,
        organization: &str,
        published_gt: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Fetched<FlowsPage>>, FdrError> {
        let url = self.base_url.endpoint(["organizations", organization, "fdrs"]);
        let published_gt = published_gt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let what = || format!("organization {organization}");
        self.all_pages(FdrCall::PublishedFlows, self.page_size, &what, |page, size| {
            let mut url = url.clone();
            url.query_pairs_mut()
                .append_pair("publishedGt", &published_gt)
                .append_pair("page", &page.to_string())
                .append_pair("size", &size.to_string());
            url
        })
        .await
    }

    /// The header of `revision` of flow `flow_id` sent by `psp_id` to `organization`.
    pub async fn flow(
        &self,
        organization: &str,
        flow_id: &str,
        revision: u64,
        psp_id: &str,
    ) -> Result<Fetched<SingleFlowResponse>, FdrError> {
        let url = self.flow_url(organization, flow_id, revision, psp_id, false);
        let what = || flow_what(organization, flow_id, revision, psp_id);
        self.fetch(FdrCall::Flow, 1, url, &what).await
    }

    /// Every payment of `revision` of flow `flow_id`, pages of [`MAX_PAGE_SIZE`] (`page` from
    /// 1, `size=1000`) until `metadata.totPage`. One [`Fetched`] per page, in order.
    pub async fn flow_payments(
        &self,
        organization: &str,
        flow_id: &str,
        revision: u64,
        psp_id: &str,
    ) -> Result<Vec<Fetched<PaymentsPage>>, FdrError> {
        let url = self.flow_url(organization, flow_id, revision, psp_id, true);
        let what = || flow_what(organization, flow_id, revision, psp_id);
        self.all_pages(FdrCall::FlowPayments, MAX_PAGE_SIZE, &what, |page, size| {
            let mut url = url.clone();
            url.query_pairs_mut()
                .append_pair("page", &page.to_string())
                .append_pair("size", &size.to_string());
            url
        })
        .await
    }

    /// `…/organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}[/payments]`.
    fn flow_url(&self, organization: &str, flow_id: &str, revision: u64, psp_id: &str, payments: bool) -> Url {
        let revision = revision.to_string();
        let mut segments = vec![
            "organizations",
            organization,
            "fdrs",
            flow_id,
            "revisions",
            &revision,
            "psps",
            psp_id,
        ];
        if payments {
            segments.push("payments");
        }
        self.base_url.endpoint(segments)
    }

    /// Pages 1, 2, … of `url_of(page, size)` until the last one `metadata` announces.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        call: FdrCall,
        size: u32,
        what: &(dyn Fn() -> String + Sync),
        url_of: impl Fn(u64, u32) -> Url,
    ) -> Result<Vec<Fetched<Page<T>>>, FdrError> {
        let mut pages = Vec::new();
        let mut asked = 1;
        loop {
            let page: Fetched<Page<T>> = self.fetch(call, asked, url_of(asked, size), what).await?;
            let metadata = &page.value.metadata;
            let (got, total) = (metadata.page_number, metadata.tot_page);
            if got != asked || asked > MAX_PAGES {
                return Err(FdrError::Pagination {
                    call,
                    asked,
                    got,
                    total,
                });
            }
            pages.push(page);
            if asked >= total {
                return Ok(pages);
            }
            asked += 1;
        }
    }

    /// One `GET` with the key, its 2xx JSON answer decoded and kept raw.
    async fn fetch<T: DeserializeOwned>(
        &self,
        call: FdrCall,
        page: u64,
        url: Url,
        what: &(dyn Fn() -> String + Sync),
    ) -> Result<Fetched<T>, FdrError> {
        let failed = |source| FdrError::Http { call, page, source };
        let request = self
            .http
            .request(Method::GET, url)
            .subscription_key(&self.subscription_key)
            .header(ACCEPT, "application/json");
        let answer = self.http.send(request).await.map_err(failed)?;
        if !(200..300).contains(&answer.status()) {
            return Err(match answer.into_error("a 2xx").await {
                HttpError::Status { status: 404, excerpt } => FdrError::NotFound {
                    call,
                    what: what(),
                    detail: excerpt,
                },
                other => failed(other),
            });
        }
        if let Some(content_type) = answer.content_type()
            && !is_json_content_type(&content_type)
        {
            let found = if content_type.to_ascii_lowercase().contains("html") {
                NotJson::Html
            } else {
                NotJson::ContentType
            };
            let excerpt = pagopa_domain::excerpt(&content_type, 80);
            return Err(failed(HttpError::NotJson { found, excerpt }));
        }
        let body = answer.read_all().await.map_err(failed)?;
        let value = decode_json(&body).map_err(failed)?;
        // JSON that decoded is UTF-8 (serde_json checks strings; the rest is ASCII).
        let raw = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Fetched { value, raw })
    }
}

fn flow_what(organization: &str, flow_id: &str, revision: u64, psp_id: &str) -> String {
    format!("flow {flow_id} revision {revision} of PSP {psp_id} for organization {organization}")
}

#[cfg(test)]
mod tests;
