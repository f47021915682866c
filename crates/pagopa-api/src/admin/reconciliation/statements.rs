//! The treasury's statements: uploaded, matched to flows and payments, listed with their credits.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::ports::CreditQuery;
use pagopa_domain::{DomainError, StatementFormat};

use super::{media_type, read_body, served};
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// `POST /api/v1/admin/entes/{ente}/bank-statements`: a statement of the Ente's account.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/bank-statements", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    request_body(description = "ISO 20022 camt.053 (`application/xml`) or CSV (`text/csv`: `date`, `amount`, `account`, `remittance`, optional `value_date`, `reference`, `debtor_name`); docs/reconciliation.md",
        content((String = "application/xml"), (String = "text/csv"))),
    responses((status = 201, description = "Stored and matched: `statement`, `flows`, `payments`, `unmatched`, `anomalies`", body = Object),
        (status = 200, description = "The same file was uploaded before (`duplicate`)", body = Object),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, description = "`invalid_file` and the other statement errors, naming the line or element", body = Problem)))]
pub(crate) async fn upload_statement(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let media = media_type(&request);
    let format = match media.as_str() {
        "application/xml" | "text/xml" => StatementFormat::Camt053,
        "text/csv" => StatementFormat::Csv,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("a statement is application/xml (camt.053) or text/csv, not {media:?}"),
            ));
        }
    };
    let body = read_body(payload).await?;
    let statement = pagopa_import::statement::read_statement(ente, &body, Some(format))
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()))?;
    let report = state
        .services
        .reconciliation
        .upload_statement(&statement, &operator.0.name)
        .await?;
    let status = if report.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(report))
}

/// `GET /api/v1/admin/entes/{ente}/bank-statements`: the statements uploaded, newest first.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/bank-statements", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 200, description = "`items`: id, format, digest, credits, total_cents, uploaded_at, uploaded_by", body = Object),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_statements(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let items = state
        .ports
        .reconciliation
        .statements(&ente)
        .await
        .map_err(DomainError::from)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Query of the credit listing.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreditListing {
    statement: Option<u64>,
    #[serde(default)]
    unmatched: bool,
    after: Option<u64>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/entes/{ente}/bank-credits`: credits and what each matched.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/bank-credits", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("statement" = Option<u64>, Query, description = "One statement's credits"),
        ("unmatched" = Option<bool>, Query, description = "Only those matching nothing"),
        ("after" = Option<u64>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Credits per page, 1 to 1000 (100)")),
    responses((status = 200, description = "`items` (id, statement, credit, reference, matched) and `next`", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_credits(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<CreditListing>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let q = query.into_inner();
    if q.after.is_some_and(|after| after > i64::MAX as u64) || q.statement.is_some_and(|s| s > i64::MAX as u64) {
        return Err(ApiError::bad_request("invalid_query", "ids are at most 2^63 - 1"));
    }
    let page = state
        .ports
        .reconciliation
        .credits(&CreditQuery {
            ente: Some(ente),
            statement: q.statement,
            unmatched_only: q.unmatched,
            after: q.after,
            limit: super::super::page_limit(q.limit)?,
        })
        .await
        .map_err(DomainError::from)?;
    let mut body = serde_json::json!({ "items": page.items });
    if let Some(next) = page.next {
        body["next"] = serde_json::json!(next);
    }
    Ok(HttpResponse::Ok().json(body))
}
