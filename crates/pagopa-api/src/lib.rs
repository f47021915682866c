//! The REST API of the Back-End Pagamenti for the citizen Front-End (and, as it grows, for
//! operators and gestionali): handlers over the domain's services, DTOs, RFC 9457 problem
//! details for every error, and API-key authentication. The binary mounts [`configure`] and
//! wraps the app in [`problem_details`] and [`request_id`].

mod admin;
pub mod auth;
pub mod citizen;
mod doc_types;
mod documents;
pub mod dto;
mod handlers;
pub mod health;
mod idempotency;
pub mod metrics;
pub mod openapi;
mod preconditions;
pub mod problem;
mod routing;
pub mod schema;

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{Error, web};
use pagopa_domain::ports::Ports;
use pagopa_domain::services::Services;
use tracing::Instrument;

use crate::routing::resource;

pub use admin::{MAX_RECONCILIATION_BYTES, ReconciliationTools, Uploads};
pub use auth::{ApiKeyEntry, ApiKeys, Role};
pub use citizen::{Citizen, CitizenTokens, MaybeCitizen};
pub use health::Readiness;
pub use metrics::{Metrics, MetricsSource};
pub use problem::{ApiError, PROBLEM_JSON};

/// The largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// What the handlers use.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The use cases.
    pub services: Services,
    /// The ports, for plain reads.
    pub ports: Ports,
}

/// Mounts the API: `/api/v1/…`, `/health/…` and `/metrics` (which needs `web::Data<Metrics>`). Needs `web::Data<ApiState>` and
/// `web::Data<ApiKeys>` as app data, and `web::Data<CitizenTokens>` for the citizen's
/// operations (`/api/v1/me/…`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_JSON_BYTES)
            .content_type_required(true)
            .error_handler(|error, _| json_error(&error).into()),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|error, _| ApiError::bad_request("invalid_path", error.to_string()).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|error, _| ApiError::bad_request("invalid_query", error.to_string()).into()),
    )
    .service(
        web::scope("/api/v1")
            .service(resource!("/entes", get => handlers::list_entes))
            .service(resource!("/entes/{ente}/services", get => handlers::list_services))
            .service(resource!("/entes/{ente}/services/{code}", get => handlers::get_service))
            .service(resource!("/entes/{ente}/services/{code}/requests", post => handlers::submit_request))
            .service(resource!("/entes/{ente}/notices/{notice}", get => handlers::get_notice))
            .service(resource!("/me/positions", get => handlers::my_positions))
            .service(resource!("/me/receipts", get => handlers::my_receipts))
            .service(resource!("/carts", post => handlers::start_cart))
            .service(resource!("/carts/{id}", get => handlers::get_cart))
            .service(resource!("/admin/entes", get => admin::list_entes))
            .service(resource!("/admin/entes/{ente}", get => admin::get_ente, put => admin::put_ente))
            .service(resource!("/admin/entes/{ente}/logo",
                get => admin::get_logo, put => admin::put_logo, delete => admin::delete_logo))
            .service(resource!("/admin/entes/{ente}/positions", post => admin::create_position))
            .service(resource!("/admin/entes/{ente}/positions/{iupd}",
                get => admin::get_position, put => admin::update_position))
            .service(resource!("/admin/entes/{ente}/positions/{iupd}/status", post => admin::set_status))
            .service(resource!("/admin/entes/{ente}/services/{code}", put => admin::put_service))
            .service(resource!("/admin/entes/{ente}/imports", post => admin::upload_import))
            .service(resource!("/admin/imports/{import}", get => admin::get_import))
            .service(resource!("/admin/imports/{import}/report", get => admin::get_report))
            .service(resource!("/admin/positions", get => admin::search_positions))
            .service(resource!("/admin/receipts", get => admin::search_receipts))
            .service(resource!("/admin/entes/{ente}/events", get => admin::ente_events))
            .service(resource!("/admin/outbox", get => admin::list_outbox))
            .service(resource!("/admin/outbox/replay", post => admin::replay_outbox_matching))
            .service(resource!("/admin/outbox/{id}/replay", post => admin::replay_outbox))
            .service(resource!("/admin/quarantine", get => admin::list_quarantine))
            .service(resource!("/admin/entes/{ente}/flows", get => admin::list_flows, post => admin::upload_flow))
            .service(resource!("/admin/entes/{ente}/flows/fetch",
                get => admin::fetch_state, post => admin::trigger_fetch))
            .service(resource!("/admin/entes/{ente}/flows/{psp}/{flow}", get => admin::get_flow))
            .service(resource!("/admin/entes/{ente}/bank-statements",
                get => admin::list_statements, post => admin::upload_statement))
            .service(resource!("/admin/entes/{ente}/bank-credits", get => admin::list_credits))
            .service(resource!("/admin/entes/{ente}/reconciliation", get => admin::reconciliation_status))
            .service(resource!("/admin/entes/{ente}/reconciliation/export", get => admin::reconciliation_export))
            .service(resource!("/admin/entes/{ente}/reconciliation/anomalies", get => admin::list_anomalies))
            .service(resource!("/admin/entes/{ente}/reconciliation/anomalies/{id}", get => admin::get_anomaly))
            .service(resource!("/admin/entes/{ente}/reconciliation/anomalies/{id}/resolve",
                post => admin::resolve_anomaly))
            .service(resource!("/admin/entes/{ente}/reconciliation/recover", post => admin::recover_receipts))
            .service(resource!("/entes/{ente}/notices/{notice}/notice.pdf", get => documents::public_notice_pdf))
            .service(resource!("/me/positions/{ente}/{iupd}/notice.pdf", get => documents::my_notice_pdf))
            .service(resource!("/me/receipts/{recipient}/{receipt_id}/receipt.pdf", get => documents::my_receipt_pdf))
            .service(resource!("/admin/entes/{ente}/positions/{iupd}/notice.pdf", get => documents::admin_notice_pdf))
            .service(resource!("/admin/entes/{ente}/notices.zip", post => documents::notices_zip))
            .service(
                resource!("/admin/receipts/{recipient}/{receipt_id}/receipt.pdf", get => documents::admin_receipt_pdf),
            ),
    )
    .service(resource!("/health/live", get => health::live))
    .service(resource!("/health/ready", get => health::ready))
    .service(resource!("/metrics", get => handlers::metrics))
    .service(resource!("/openapi.json", get => openapi_document))
    .service(utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")))
    .default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such resource"))
    }));
}

async fn openapi_document() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::document())
}

fn json_error(error: &actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body exceeds {MAX_JSON_BYTES} bytes"),
        ),
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json",
        ),
        other => ApiError::bad_request("invalid_json", other.to_string()),
    }
}

/// Turns every error response that is not already problem+json (404 and 405 from routing, 413
/// from a body limit, actix's own 400s) into one, with a stable `code`.
pub fn problem_details<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|response: ServiceResponse<B>| {
        // Problem documents pass through, and so do SOAP faults of the paForNode endpoint.
        let is_problem = response.headers().get(CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()) || v.as_bytes().starts_with(b"text/xml")
        });
        if is_problem {
            return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
        }
        let status = response.status();
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::BAD_REQUEST => "bad_request",
            s if s.is_server_error() => "internal_error",
            _ => "error",
        };
        let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
        let problem = ApiError::new(status, code, detail);
        let (request, _) = response.into_parts();
        let mut replaced = actix_web::HttpResponse::build(status).body(problem.body());
        replaced
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(request, replaced).map_into_right_body(),
        ))
    })
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The request id header, in requests (kept when the caller sends a sane one) and responses.
pub const REQUEST_ID: &str = "x-request-id";

/// Middleware (`actix_web::middleware::from_fn(request_id)`): gives every request an id,
/// echoes it in the response and records it on the request's tracing span.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let given = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| {
        let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("{:x}-{n:x}", std::process::id())
    });
    let started = std::time::Instant::now();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    // The route pattern (`/api/v1/entes/{ente}/services`), never the path, which may hold ids.
    let route = request.match_pattern().unwrap_or_else(|| String::from("unmatched"));
    let method = metrics::method_label(request.method());
    let client = request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", id = %id, method = method, route = %route, client = %client);
    // The span follows the request across awaits (a guard held over an await would not).
    let mut response = next.call(request).instrument(span.clone()).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "served"));
    if let Some(metrics) = metrics {
        metrics.record(&route, method, response.status().as_u16(), started.elapsed());
    }
    Ok(response)
}
