//! The work list: anomalies filtered and read, resolved with a note, and the receipts of the
//! lines without one asked of pagoPA.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use pagopa_domain::ports::AnomalyQuery;
use pagopa_domain::{Anomaly, AnomalyCode, AnomalyStatus, DomainError, PartyId};

use super::{ReconciliationTools, served, tools};
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse_optional};

/// Query of the work list.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnomalyListing {
    code: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    psp: Option<String>,
    after: Option<u64>,
    limit: Option<u32>,
}

/// An anomaly with what to do about it.
fn item(anomaly: &Anomaly) -> serde_json::Value {
    let mut value = serde_json::to_value(anomaly).unwrap_or_default();
    value["action"] = serde_json::Value::String(anomaly.draft.code.action().into());
    value
}

/// `GET /api/v1/admin/entes/{ente}/reconciliation/anomalies`: the work list, by id.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/reconciliation/anomalies", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("code" = Option<String>, Query, description = "One code: line_without_receipt, executed_without_receipt, receipt_without_flow, amount_differs, revoked_payment, duplicate_line, flow_totals_mismatch, foreign_iuv, revision_changed_reconciled, credit_unmatched, credit_amount_differs, flow_not_cashed"),
        ("status" = Option<String>, Query, description = "`open` (the default), `resolved`, `cleared` or `all`"),
        ("from" = Option<String>, Query, description = "Day from (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Day to (YYYY-MM-DD)"),
        ("psp" = Option<String>, Query, description = "Only this PSP's"),
        ("after" = Option<u64>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Anomalies per page, 1 to 1000 (100)")),
    responses((status = 200, description = "`items` (id, code, key, day, psp, amount_cents, links: iuv, iur, flow_id, flow_revision, receipt_id, credit_id; detail, action, status, resolution) and `next`", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_anomalies(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<AnomalyListing>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let q = query.into_inner();
    let code = q
        .code
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            AnomalyCode::parse(raw)
                .ok_or_else(|| ApiError::bad_request("invalid_query", format!("unknown anomaly code {raw:?}")))
        })
        .transpose()?;
    let status = match q.status.as_deref().unwrap_or("open") {
        "" | "open" => Some(AnomalyStatus::Open),
        "all" => None,
        raw => Some(
            AnomalyStatus::parse(raw)
                .ok_or_else(|| ApiError::bad_request("invalid_query", format!("unknown status {raw:?}")))?,
        ),
    };
    if q.after.is_some_and(|after| after > i64::MAX as u64) {
        return Err(ApiError::bad_request("invalid_query", "after is above the largest id"));
    }
    let page = state
        .services
        .reconciliation
        .anomalies(&AnomalyQuery {
            ente: Some(ente),
            code,
            status,
            from: super::day(&q.from, "from")?,
            to: super::day(&q.to, "to")?,
            psp: parse_optional::<PartyId>(&q.psp, "invalid_query")?,
            after: q.after,
            limit: super::super::page_limit(q.limit)?,
        })
        .await?;
    let mut body = serde_json::json!({ "items": page.items.iter().map(item).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        body["next"] = serde_json::json!(next);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}`: one anomaly.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("id" = u64, Path, description = "The anomaly")),
    responses((status = 200, description = "The anomaly, with `action`", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_anomaly(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (ente, id) = path.into_inner();
    let ente = served(&operator, &state, &ente).await?;
    if id > i64::MAX as u64 {
        return Err(ApiError::not_found(format!("anomaly {id}")));
    }
    let anomaly = state
        .ports
        .reconciliation
        .anomaly(&ente, id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("anomaly {id}")))?;
    Ok(HttpResponse::Ok().json(item(&anomaly)))
}

/// The body of a resolution.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolutionDto {
    /// Why it is resolved: 1 to 2000 characters, kept with the operator's name in the audit log.
    note: String,
}

/// `POST /api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}/resolve`: resolved, with a note.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/reconciliation/anomalies/{id}/resolve", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("id" = u64, Path, description = "The anomaly")),
    request_body = ResolutionDto,
    responses((status = 200, description = "The anomaly, resolved", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "`invalid_request`: no note, or a note too long", body = Problem)))]
pub(crate) async fn resolve_anomaly(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, u64)>,
    body: web::Json<ResolutionDto>,
) -> Result<HttpResponse, ApiError> {
    let (ente, id) = path.into_inner();
    let ente = served(&operator, &state, &ente).await?;
    if id > i64::MAX as u64 {
        return Err(ApiError::not_found(format!("anomaly {id}")));
    }
    let anomaly = state
        .services
        .reconciliation
        .resolve(&ente, id, &operator.0.name, &body.note)
        .await?;
    Ok(HttpResponse::Ok().json(item(&anomaly)))
}

/// `POST /api/v1/admin/entes/{ente}/reconciliation/recover`: ask pagoPA's receipts service now
/// for the receipts of the Ente's open `line_without_receipt` anomalies, within the calls the
/// service allows (the scheduled job does the same every round).
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/reconciliation/recover", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    responses((status = 200, description = "What the round did: `waiting`, `asked`, `recovered`, `not_found`, `deferred` (left for later: the hourly budget is spent, recovery is paused after a failure, or asked about recently), `rematched` flows, and the `error` that paused it", body = Object),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`no_receipt_source`: no receipts service is configured ([reconciliation.recovery])", body = Problem)))]
pub(crate) async fn recover_receipts(
    operator: Operator,
    state: web::Data<ApiState>,
    tools_data: Option<web::Data<ReconciliationTools>>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tools = tools(tools_data)?;
    let ente = served(&operator, &state, &path).await?;
    let Some(recovery) = tools.recovery.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_receipt_source",
            "no receipts service is configured ([reconciliation.recovery]): lines without their receipt are listed only",
        ));
    };
    let outcome = recovery.run(&ente).await?;
    Ok(HttpResponse::Ok().json(outcome))
}
