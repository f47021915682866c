//! `Idempotency-Key` on the operations that create something (a spontaneous request, a cart): the
//! same key with the same body within 24 hours answers the first answer again, without a second
//! effect, even when the retries arrive together; the same key with another body is 422. Keys
//! are scoped by API key, citizen and operation.

use std::time::{Duration as StdDuration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use pagopa_domain::DomainError;
use pagopa_domain::ports::IdempotencyClaim;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ApiState;
use crate::problem::ApiError;

/// The request header.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer given again for a retried key.
pub(crate) const REPLAYED: &str = "idempotent-replayed";

/// How long a key is remembered.
const LIFETIME_HOURS: i64 = 24;
/// After this an unanswered claim (its process died) may be taken over.
const ABANDONED_SECS: i64 = 60;
/// How long a retry waits for the first request with its key to finish.
const WAIT: StdDuration = StdDuration::from_secs(10);

/// The key of a request, if it sent one: 1..=255 visible ASCII characters.
fn key_of(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

fn answer(status: StatusCode, body: String, key: Option<&str>, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, "application/json"));
    if let Some(key) = key.and_then(|k| HeaderValue::from_str(k).ok()) {
        response.insert_header((HeaderName::from_static(IDEMPOTENCY_KEY), key));
    }
    if replayed {
        response.insert_header((HeaderName::from_static(REPLAYED), "true"));
    }
    response.body(body)
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used with another request body",
    )
}

/// Runs `operation` once per key: `scope` names the caller and the operation, `body` is the
/// request as JSON (its canonical form is the fingerprint). Without the header it just runs.
pub(crate) async fn once<F, Fut>(
    request: &HttpRequest,
    state: &ApiState,
    scope: String,
    body: &Value,
    operation: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let Some(key) = key_of(request)? else {
        let (status, value) = operation().await?;
        return Ok(answer(status, value.to_string(), None, false));
    };
    // serde_json's maps are ordered: the same body with its members in another order is the
    // same request.
    let fingerprint = hex::encode(Sha256::digest(body.to_string().as_bytes()));
    let store = &state.ports.idempotency;
    let lifetime = chrono::Duration::hours(LIFETIME_HOURS);
    let abandoned = chrono::Duration::seconds(ABANDONED_SECS);
    let waiting_since = Instant::now();
    loop {
        let now = state.ports.clock.now();
        let claim = store
            .claim(&scope, &key, &fingerprint, now, lifetime, abandoned)
            .await
            .map_err(DomainError::from)?;
        match claim {
            IdempotencyClaim::Claimed => {
                return match operation().await {
                    Ok((status, value)) => {
                        let text = value.to_string();
                        if let Err(error) = store.complete(&scope, &key, status.as_u16(), &text).await {
                            // The effect happened and is answered; a retry after this finds the
                            // claim abandoned and runs again, which the domain's own duplicate
                            // checks (notices held by one cart) bound.
                            tracing::error!(%error, "could not keep the answer of an idempotency key");
                        }
                        Ok(answer(status, text, Some(&key), false))
                    }
                    Err(error) => {
                        if let Err(release) = store.release(&scope, &key).await {
                            tracing::warn!(error = %release, "could not release an idempotency key");
                        }
                        Err(error)
                    }
                };
            }
            IdempotencyClaim::Done {
                fingerprint: first,
                status,
                body,
            } => {
                if first != fingerprint {
                    return Err(reused());
                }
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok(answer(status, body, Some(&key), true));
            }
            IdempotencyClaim::InProgress { fingerprint: first } => {
                if first != fingerprint {
                    return Err(reused());
                }
                if waiting_since.elapsed() > WAIT {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "idempotency_in_progress",
                        "a request with this Idempotency-Key is still running; retry later",
                    ));
                }
                actix_web::rt::time::sleep(StdDuration::from_millis(25)).await;
            }
        }
    }
}
