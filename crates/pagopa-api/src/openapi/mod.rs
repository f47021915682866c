//! The OpenAPI 3.1 document, generated from the handlers' annotations; served at
//! `/openapi.json`, with an API browser at `/docs/` whose assets are compiled in (no internet
//! needed).

mod contract;
mod examples;
mod reconciliation_examples;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto::*;

/// An RFC 9457 problem, as every error is reported.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:pagopa-backend:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// For `invalid_form`: one entry per bad field.
    pub errors: Option<Vec<ProblemField>>,
}

/// One bad field of a form.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// The field name as submitted.
    pub field: String,
    /// `missing`, `unknown`, `too_long`, `pattern`, `not_a_number`, `above_maximum`, …
    pub problem: String,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "citizen_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT (EdDSA)")
                    .build(),
            ),
        );
    }
}

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Back-End Pagamenti",
        description = "pagoPA payments back end of an Ente: the citizen Front-End's and operators' REST API. Errors are RFC 9457 problem details with a stable `code`.",
    ),
    paths(
        crate::handlers::list_entes,
        crate::handlers::list_services,
        crate::handlers::get_service,
        crate::handlers::submit_request,
        crate::handlers::get_notice,
        crate::handlers::my_positions,
        crate::handlers::my_receipts,
        crate::handlers::start_cart,
        crate::handlers::get_cart,
        crate::health::live,
        crate::health::ready,
        crate::handlers::metrics,
        crate::admin::list_entes,
        crate::admin::get_ente,
        crate::admin::put_ente,
        crate::admin::get_logo,
        crate::admin::put_logo,
        crate::admin::delete_logo,
        crate::admin::create_position,
        crate::admin::get_position,
        crate::admin::update_position,
        crate::admin::set_status,
        crate::admin::search_positions,
        crate::admin::search_receipts,
        crate::admin::put_service,
        crate::admin::ente_events,
        crate::admin::list_outbox,
        crate::admin::replay_outbox_matching,
        crate::admin::replay_outbox,
        crate::admin::list_quarantine,
        crate::admin::upload_import,
        crate::admin::get_import,
        crate::admin::get_report,
        crate::admin::upload_flow,
        crate::admin::list_flows,
        crate::admin::get_flow,
        crate::admin::trigger_fetch,
        crate::admin::fetch_state,
        crate::admin::upload_statement,
        crate::admin::list_statements,
        crate::admin::list_credits,
        crate::admin::reconciliation_status,
        crate::admin::reconciliation_export,
        crate::admin::list_anomalies,
        crate::admin::get_anomaly,
        crate::admin::resolve_anomaly,
        crate::admin::recover_receipts,
        crate::documents::notice::my_notice_pdf,
        crate::documents::receipt::my_receipt_pdf,
        crate::documents::notice::public_notice_pdf,
        crate::documents::notice::admin_notice_pdf,
        crate::documents::receipt::admin_receipt_pdf,
        crate::documents::zip::notices_zip,
    ),
    components(schemas(
        Problem, ProblemField, EnteDto, ServiceSummaryDto, ServiceDto, SpontaneousRequestDto, PaymentDto, NoticeDto,
        PositionDto, OptionDto, MyPositionsDto, ReceiptDto, StartCartDto, CartNoticeDto, ReturnUrlsDto, CartDto,
        crate::doc_types::PositionDraftDoc, crate::doc_types::DebtPositionDoc,
        crate::documents::zip::NoticesFilter, crate::admin::ImportDto, crate::admin::ResolutionDto
    )),
    modifiers(&Security),
    tags(
        (name = "front-end", description = "The citizen Front-End (X-API-Key of role front_end)"),
        (name = "citizen", description = "The authenticated citizen (X-API-Key and a citizen token)"),
        (name = "operator", description = "Operators (X-API-Key of role operator, limited to its Enti)"),
        (name = "operations", description = "Probes and metrics"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The document as pretty JSON, as served and as kept in `docs/openapi.json`: the handlers'
/// annotations, completed with the error responses and parameter rules of every route.
pub fn document() -> String {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    contract::complete(&mut document);
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
