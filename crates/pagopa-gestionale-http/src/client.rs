//! [`GestionaleHttp`]: the I/O half, on the shared outbound base ([`pagopa_http_client`]). It
//! builds each request from the DTOs, reads the answer (capped), hands it to
//! [`crate::exchange`] and logs the outcome without secrets or full fiscal codes.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use pagopa_domain::cause_chain;
use pagopa_domain::ports::{Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
use pagopa_domain::{
    CancellationNotification, Ente, EnteId, ExpiryNotification, FiscalCode, NoticeNumber, PaymentNotification,
    PositionDraft,
};
use pagopa_http_client::header::{ACCEPT, HeaderName, HeaderValue};
use pagopa_http_client::{
    BaseUrl, HttpClient, HttpError, Method, OutboundRequest, REDACTED, Secret, Url, timeout_from_ms,
};

use crate::dto::{CancellationNotificationDto, ExpiryNotificationDto, PaymentNotificationDto, PricingRequestDto};
use crate::exchange::{
    GestionaleFailure, parse_notice_response, parse_payment_response, parse_positions_response, parse_pricing_response,
};
use crate::settings::{ConfigError, GestionaleHttpSettings, base_url, credential};
use crate::signature::{WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, WebhookSigner};

/// The most bytes of an answer read; a longer success body is a protocol error, a longer error
/// body is cut.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The header carrying the idempotency key (the receipt id) of a payment notification.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// [`IDEMPOTENCY_KEY_HEADER`] as a header name (lower case).
const IDEMPOTENCY_KEY_HEADER_LOWER: &str = "idempotency-key";

const USER_AGENT: &str = concat!("pagopa-gestionale-http/", env!("CARGO_PKG_VERSION"));

/// The [`Gestionale`] port over the REST/JSON contract of `docs/gestionale-http.md`. One client
/// serves every Ente of the installation whose gestionale lives at its base URL: the Ente is in
/// each path. Cloning is cheap (the connection pool is shared).
#[derive(Clone)]
pub struct GestionaleHttp {
    http: HttpClient,
    base_url: BaseUrl,
    credential: Option<(HeaderName, HeaderValue)>,
    expirations: bool,
    signer: Option<WebhookSigner>,
}

impl fmt::Debug for GestionaleHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GestionaleHttp")
            .field("base_url", &self.base_url.as_str())
            .field(
                "credential",
                &self.credential.as_ref().map(|(name, _)| (name.as_str(), REDACTED)),
            )
            .field("timeout_ms", &self.http.timeout_ms())
            .field("signed", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

/// What one call asks for.
struct Call<'a> {
    operation: &'static str,
    method: Method,
    url: Url,
    body: Option<serde_json::Value>,
    idempotency_key: Option<&'a str>,
}

impl GestionaleHttp {
    /// A client for `settings`. Installs rustls' *ring* crypto provider as the process default if
    /// no provider is installed yet (the workspace builds reqwest without one).
    pub fn new(settings: GestionaleHttpSettings) -> Result<Self, ConfigError> {
        let base_url = base_url(&settings.base_url)?;
        let credential = credential(&settings.header, settings.token.as_ref().map(Secret::expose))?;
        let timeout = timeout_from_ms(settings.timeout_ms).ok_or(ConfigError::Timeout)?;
        let signer = settings
            .webhook_secret
            .as_ref()
            .map(|secret| WebhookSigner::from_secret(secret.expose()))
            .transpose()
            .map_err(ConfigError::WebhookSecret)?;
        let http = HttpClient::builder("gestionale", timeout)
            .user_agent(USER_AGENT)
            .max_body_bytes(MAX_ANSWER_BYTES)
            .build()
            .map_err(ConfigError::Client)?;
        Ok(Self {
            http,
            base_url,
            credential,
            expirations: settings.expirations,
            signer,
        })
    }

    /// The base URL the endpoints hang from.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// The timeout of a whole call, in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.http.timeout_ms()
    }

    /// `{base_url}/entes/{ente}/{tail…}`, each part a percent-encoded path segment.
    fn endpoint(&self, ente: &EnteId, tail: &[&str]) -> Url {
        endpoint(&self.base_url, ente, tail)
    }

    /// The request of `call`, its credential, idempotency key and signature included.
    fn request(&self, call: &Call<'_>) -> Result<OutboundRequest, GestionaleError> {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .header(ACCEPT, "application/json");
        if let Some((name, value)) = &self.credential {
            request = request.secret_header(name.clone(), value);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header(HeaderName::from_static(IDEMPOTENCY_KEY_HEADER_LOWER), key);
        }
        if let Some(body) = &call.body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| GestionaleError::Protocol(format!("cannot encode the request body: {e}")))?;
            // Notifications are signed over the exact bytes sent, at each attempt afresh (a new
            // timestamp), with the idempotency key as the message id.
            if let (Some(signer), Some(key)) = (&self.signer, call.idempotency_key) {
                let timestamp = unix_now();
                request = request
                    .header(HeaderName::from_static(WEBHOOK_ID_HEADER), key)
                    .header(HeaderName::from_static(WEBHOOK_TIMESTAMP_HEADER), timestamp.to_string())
                    .header(
                        HeaderName::from_static(WEBHOOK_SIGNATURE_HEADER),
                        signer.sign(key, timestamp, &bytes),
                    );
            }
            request = request.json_bytes(bytes);
        }
        Ok(request)
    }

    /// Sends the request and returns the status and (capped) body, or why there is none.
    async fn exchange(&self, request: OutboundRequest) -> Result<(u16, Vec<u8>), GestionaleError> {
        let answer = self.http.send(request).await.map_err(transport_failure)?;
        let status = answer.status();
        let body = answer.read().await.map_err(transport_failure)?;
        if !body.complete && (200..300).contains(&status) {
            return Err(GestionaleError::Protocol(format!(
                "the answer is longer than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        Ok((status, body.bytes))
    }

    /// Runs `call`, interprets the answer with `parse` and logs the outcome.
    async fn run<T>(
        &self,
        call: Call<'_>,
        ente: &EnteId,
        parse: impl FnOnce(u16, &[u8]) -> Result<T, GestionaleError>,
    ) -> Result<T, GestionaleError> {
        let started = Instant::now();
        let request = self.request(&call)?;
        let request_id = request.request_id().clone();
        let request_id = request_id.as_str();
        let result = self.exchange(request).await;
        let status = result.as_ref().ok().map(|(status, _)| *status);
        let result = result.and_then(|(status, body)| parse(status, &body));
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let operation = call.operation;
        let ente = ente.as_str();
        match &result {
            Ok(_) => tracing::info!(operation, ente, status, elapsed_ms, request_id, "gestionale call done"),
            Err(GestionaleError::Rejected { reason, fields }) => {
                let fields = fields.len();
                tracing::warn!(operation, ente, status, elapsed_ms, request_id, reason = %reason, fields, "gestionale refused");
            }
            Err(GestionaleError::Unsupported) => {
                tracing::info!(
                    operation,
                    ente,
                    status,
                    elapsed_ms,
                    request_id,
                    "gestionale does not support the operation"
                );
            }
            Err(error) => {
                let error = cause_chain(error);
                tracing::error!(operation, ente, status, elapsed_ms, request_id, error = %error, "gestionale call failed");
            }
        }
        result
    }
}

/// The gestionale's failure for an exchange that gave no answer. The shared client keeps the
/// URL (with a fiscal code in its path) out of the error and the logs.
fn transport_failure(error: HttpError) -> GestionaleError {
    if let HttpError::Timeout { timeout_ms, .. } = error {
        GestionaleFailure::Timeout {
            timeout_ms,
            source: error,
        }
        .into()
    } else {
        GestionaleFailure::Transport(error).into()
    }
}

#[async_trait]
impl Gestionale for GestionaleHttp {
    async fn debtor_positions(&self, ente: &Ente, debtor: &FiscalCode) -> Result<Vec<PositionDraft>, GestionaleError> {
        let call = Call {
            operation: "debtor_positions",
            method: Method::GET,
            url: self.endpoint(&ente.id, &["debtors", debtor.as_str(), "positions"]),
            body: None,
            idempotency_key: None,
        };
        let result = self
            .run(call, &ente.id, |status, body| {
                parse_positions_response(status, body, ente, debtor)
            })
            .await;
        if let Ok(drafts) = &result {
            tracing::debug!(ente = %ente.id, debtor = %debtor.masked(), positions = drafts.len(), "gestionale positions");
        }
        result
    }

    async fn notify_cancellation(&self, notification: &CancellationNotification) -> Result<(), GestionaleError> {
        if !self.expirations {
            return Err(GestionaleError::Unsupported);
        }
        let body = serde_json::to_value(CancellationNotificationDto::from_notification(notification))
            .map_err(|e| GestionaleError::Protocol(format!("cannot encode the cancellation notice: {e}")))?;
        let key = format!("{}:cancel:{}", notification.ente, notification.iupd);
        let call = Call {
            operation: "notify_cancellation",
            method: Method::POST,
            url: self.endpoint(&notification.ente, &["cancellations"]),
            body: Some(body),
            idempotency_key: Some(key.as_str()),
        };
        self.run(call, &notification.ente, parse_payment_response).await
    }

    async fn notice(&self, ente: &Ente, notice: &NoticeNumber) -> Result<Option<PositionDraft>, GestionaleError> {
        let call = Call {
            operation: "notice",
            method: Method::GET,
            url: self.endpoint(&ente.id, &["notices", notice.as_str()]),
            body: None,
            idempotency_key: None,
        };
        self.run(call, &ente.id, |status, body| {
            parse_notice_response(status, body, ente, notice)
        })
        .await
    }

    async fn price(&self, request: &PricingRequest) -> Result<GestionaleQuote, GestionaleError> {
        let body = serde_json::to_value(PricingRequestDto::from_request(request))
            .map_err(|e| GestionaleError::Protocol(format!("cannot encode the pricing request: {e}")))?;
        let call = Call {
            operation: "price",
            method: Method::POST,
            url: self.endpoint(&request.ente, &["pricing"]),
            body: Some(body),
            idempotency_key: None,
        };
        self.run(call, &request.ente, |status, body| {
            parse_pricing_response(status, body, request)
        })
        .await
    }

    async fn notify_payment(&self, notification: &PaymentNotification) -> Result<(), GestionaleError> {
        let body = serde_json::to_value(PaymentNotificationDto::from_notification(notification))
            .map_err(|e| GestionaleError::Protocol(format!("cannot encode the payment notification: {e}")))?;
        // The same receipt reaches every Ente it credits (a secondary beneficiary gets a
        // copy): the key is the Ente with the receipt id, as the storage keys receipts.
        let key = format!("{}:{}", notification.ente, notification.receipt_id);
        let call = Call {
            operation: "notify_payment",
            method: Method::POST,
            url: self.endpoint(&notification.ente, &["payments"]),
            body: Some(body),
            idempotency_key: Some(key.as_str()),
        };
        self.run(call, &notification.ente, parse_payment_response).await
    }

    async fn notify_expiry(&self, notification: &ExpiryNotification) -> Result<(), GestionaleError> {
        if !self.expirations {
            return Err(GestionaleError::Unsupported);
        }
        let body = serde_json::to_value(ExpiryNotificationDto::from_notification(notification))
            .map_err(|e| GestionaleError::Protocol(format!("cannot encode the expiry notice: {e}")))?;
        let key = format!(
            "{}:expiry:{}:{}",
            notification.ente, notification.iupd, notification.last_due_date
        );
        let call = Call {
            operation: "notify_expiry",
            method: Method::POST,
            url: self.endpoint(&notification.ente, &["expirations"]),
            body: Some(body),
            idempotency_key: Some(key.as_str()),
        };
        self.run(call, &notification.ente, parse_payment_response).await
    }
}

/// `{base}/entes/{ente}/{tail…}`, each part a percent-encoded path segment.
pub(crate) fn endpoint(base: &BaseUrl, ente: &EnteId, tail: &[&str]) -> Url {
    base.endpoint(["entes", ente.as_str()].into_iter().chain(tail.iter().copied()))
}

/// Now, in Unix seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> GestionaleHttpSettings {
        GestionaleHttpSettings {
            token: Some("t0ken-value".into()),
            ..GestionaleHttpSettings::new("https://gestionale.example.it/pagopa/v1/")
        }
    }

    #[test]
    fn endpoints() {
        let client = GestionaleHttp::new(settings()).unwrap();
        let ente: EnteId = "80012345676".parse().unwrap();
        assert_eq!(
            client
                .endpoint(&ente, &["debtors", "VRDGPP80A01B157X", "positions"])
                .as_str(),
            "https://gestionale.example.it/pagopa/v1/entes/80012345676/debtors/VRDGPP80A01B157X/positions"
        );
        assert_eq!(
            client.endpoint(&ente, &["pricing"]).as_str(),
            "https://gestionale.example.it/pagopa/v1/entes/80012345676/pricing"
        );
        let root = base_url("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            endpoint(&root, &ente, &["payments"]).as_str(),
            "http://127.0.0.1:9000/entes/80012345676/payments"
        );
        // Path segments are encoded, never interpreted.
        assert_eq!(
            endpoint(&root, &ente, &["a/b?c"]).as_str(),
            "http://127.0.0.1:9000/entes/80012345676/a%2Fb%3Fc"
        );
    }

    #[test]
    fn construction_and_secrecy() {
        let client = GestionaleHttp::new(settings()).unwrap();
        assert_eq!(client.base_url(), "https://gestionale.example.it/pagopa/v1");
        assert_eq!(client.timeout_ms(), 5_000);
        let debug = format!("{client:?}");
        assert!(!debug.contains("t0ken"), "{debug}");
        assert!(debug.contains("authorization"), "{debug}");

        assert!(matches!(
            GestionaleHttp::new(GestionaleHttpSettings {
                timeout_ms: 0,
                ..settings()
            }),
            Err(ConfigError::Timeout)
        ));
        assert!(matches!(
            GestionaleHttp::new(GestionaleHttpSettings::new("gestionale.example.it")),
            Err(ConfigError::BaseUrl { .. })
        ));
        assert!(matches!(
            GestionaleHttp::new(GestionaleHttpSettings {
                token: Some(String::new().into()),
                ..settings()
            }),
            Err(ConfigError::Token(_))
        ));
        assert!(GestionaleHttp::new(GestionaleHttpSettings::new("http://localhost:1")).is_ok());
    }
}
