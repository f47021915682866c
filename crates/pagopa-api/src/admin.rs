//! Operators' operations under `/api/v1/admin`: positions (create, read, replace, change
//! status, search), receipts (search, those needing review), the catalogue, and outbox replay.
//! Every operation checks the key's Enti.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use pagopa_domain::ports::{Page, PositionCursor, PositionQuery, ReceiptCursor, ReceiptQuery};
use pagopa_domain::{
    DomainError, EnteId, FiscalCode, Iupd, Iuv, NoticeNumber, PositionDraft, PositionStatus, ReceiptId,
    SpontaneousService,
};

use crate::ApiState;
use crate::auth::{Operator, Principal};
use crate::openapi::Problem;
use crate::problem::{ApiError, parse, parse_optional};

/// The Ente of a path, after checking the key may act on it.
fn ente_in_scope(principal: &Principal, raw: &str) -> Result<EnteId, ApiError> {
    let ente: EnteId = parse(raw, "invalid_ente_id")?;
    principal.check_ente(&ente)?;
    Ok(ente)
}

/// The Ente filter of a search: required for a key limited to some Enti.
fn search_scope(principal: &Principal, ente: Option<EnteId>) -> Result<Option<EnteId>, ApiError> {
    match ente {
        Some(ente) => principal.check_ente(&ente).map(|()| Some(ente)),
        None if principal.entes.is_empty() => Ok(None),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_ente",
            "name an Ente this key may act on (?ente=…)",
        )),
    }
}

/// A page with the cursor as query parameters for the next request.
#[derive(serde::Serialize)]
struct PageDto<T> {
    items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<serde_json::Value>,
}

/// `POST /api/v1/admin/entes/{ente}/positions`: a new position (201).
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/positions", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    request_body(content = crate::doc_types::PositionDraftDoc, description = "A position draft"),
    responses((status = 201, description = "The stored position", body = crate::doc_types::DebtPositionDoc),
        (status = 409, description = "`duplicate`: the iupd or a notice number exists", body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn create_position(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: web::Json<PositionDraft>,
) -> Result<HttpResponse, ApiError> {
    let ente = ente_in_scope(&operator.0, &path)?;
    let position = state
        .services
        .positions
        .create(&ente, body.into_inner())
        .await
        .map_err(conflict_on_duplicate)?;
    Ok(HttpResponse::Created().json(position))
}

/// `GET /api/v1/admin/entes/{ente}/positions/{iupd}`.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/positions/{iupd}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    responses((status = 200, description = "The position", body = crate::doc_types::DebtPositionDoc), (status = 404, body = Problem)))]
pub(crate) async fn get_position(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ente = ente_in_scope(&operator.0, &path.0)?;
    let iupd: Iupd = parse(&path.1, "invalid_iupd")?;
    let position = state
        .ports
        .positions
        .get(&ente, &iupd)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("position {iupd}")))?;
    Ok(HttpResponse::Ok().json(position))
}

/// `PUT /api/v1/admin/entes/{ente}/positions/{iupd}`: replaces a draft or valid position.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}/positions/{iupd}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    request_body(content = crate::doc_types::PositionDraftDoc, description = "A position draft with the same iupd"),
    responses((status = 200, description = "The replaced position", body = crate::doc_types::DebtPositionDoc), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_position(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<PositionDraft>,
) -> Result<HttpResponse, ApiError> {
    let ente = ente_in_scope(&operator.0, &path.0)?;
    let iupd: Iupd = parse(&path.1, "invalid_iupd")?;
    if body.iupd != iupd {
        return Err(ApiError::bad_request(
            "iupd_mismatch",
            "the body's iupd differs from the path's",
        ));
    }
    let position = state
        .services
        .positions
        .update(&ente, &iupd, body.into_inner())
        .await
        .map_err(conflict_on_duplicate)?;
    Ok(HttpResponse::Ok().json(position))
}

/// Body of a status change.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusChange {
    status: PositionStatus,
}

/// `POST /api/v1/admin/entes/{ente}/positions/{iupd}/status`: publish, cancel, expire, report.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/positions/{iupd}/status", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    request_body(content = Object, description = "{\"status\": \"cancelled\" | \"valid\" | \"expired\" | \"reported\"}"),
    responses((status = 200, description = "The position", body = crate::doc_types::DebtPositionDoc), (status = 409, description = "`illegal_transition`", body = Problem)))]
pub(crate) async fn set_status(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let ente = ente_in_scope(&operator.0, &path.0)?;
    let iupd: Iupd = parse(&path.1, "invalid_iupd")?;
    let position = state
        .services
        .positions
        .set_status(&ente, &iupd, body.status)
        .await
        .map_err(|e| match e {
            DomainError::InvalidPosition(inner) => {
                ApiError::new(StatusCode::CONFLICT, "illegal_transition", inner.to_string())
            }
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(position))
}

fn conflict_on_duplicate(error: DomainError) -> ApiError {
    match error {
        DomainError::Storage(pagopa_domain::ports::StorageError::Duplicate(what)) => {
            ApiError::new(StatusCode::CONFLICT, "duplicate", format!("{what} already exists"))
        }
        other => other.into(),
    }
}

/// Query of the position search.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PositionSearch {
    ente: Option<String>,
    debtor: Option<String>,
    notice_number: Option<String>,
    iuv: Option<String>,
    status: Option<PositionStatus>,
    due_from: Option<chrono::NaiveDate>,
    due_to: Option<chrono::NaiveDate>,
    after_ente: Option<String>,
    after_iupd: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/positions`: keyset-paginated search; `next` holds the query parameters
/// of the following page.
#[utoipa::path(get, path = "/api/v1/admin/positions", tag = "operator", security(("api_key" = [])),
    params(("ente" = Option<String>, Query, description = "Required for a key limited to some Enti"),
        ("debtor" = Option<String>, Query), ("notice_number" = Option<String>, Query), ("iuv" = Option<String>, Query),
        ("status" = Option<String>, Query), ("due_from" = Option<String>, Query), ("due_to" = Option<String>, Query),
        ("after_ente" = Option<String>, Query), ("after_iupd" = Option<String>, Query), ("limit" = Option<u32>, Query, description = "Page size, at most 1000")),
    responses((status = 200, description = "`items` and, if there is more, `next` (the cursor parameters)", body = Object), (status = 403, body = Problem)))]
pub(crate) async fn search_positions(
    operator: Operator,
    state: web::Data<ApiState>,
    query: web::Query<PositionSearch>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = match (
        parse_optional::<EnteId>(&q.after_ente, "invalid_ente_id")?,
        parse_optional::<Iupd>(&q.after_iupd, "invalid_iupd")?,
    ) {
        (Some(ente), Some(iupd)) => Some(PositionCursor { ente, iupd }),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "after_ente and after_iupd go together",
            ));
        }
    };
    let search = PositionQuery {
        ente: search_scope(&operator.0, parse_optional(&q.ente, "invalid_ente_id")?)?,
        debtor: parse_optional::<FiscalCode>(&q.debtor, "invalid_fiscal_code")?,
        notice_number: parse_optional::<NoticeNumber>(&q.notice_number, "invalid_notice_number")?,
        iuv: parse_optional::<Iuv>(&q.iuv, "invalid_iuv")?,
        status: q.status,
        due_from: q.due_from,
        due_to: q.due_to,
        after,
        limit: q.limit.unwrap_or(100),
    };
    let page: Page<_, PositionCursor> = state.ports.positions.search(&search).await.map_err(DomainError::from)?;
    let next = page
        .next
        .map(|c| serde_json::json!({ "after_ente": c.ente, "after_iupd": c.iupd }));
    Ok(HttpResponse::Ok().json(PageDto {
        items: page.items,
        next,
    }))
}

/// Query of the receipt search.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReceiptSearch {
    recipient: Option<String>,
    debtor: Option<String>,
    notice_number: Option<String>,
    #[serde(default)]
    needs_review: bool,
    after_recipient: Option<String>,
    after_receipt_id: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/receipts`: keyset-paginated search; `needs_review=true` lists the receipts
/// an operator must handle (double payments, unknown or cancelled notices, late payments).
#[utoipa::path(get, path = "/api/v1/admin/receipts", tag = "operator", security(("api_key" = [])),
    params(("recipient" = Option<String>, Query, description = "Required for a key limited to some Enti"),
        ("debtor" = Option<String>, Query), ("notice_number" = Option<String>, Query), ("needs_review" = Option<bool>, Query),
        ("after_recipient" = Option<String>, Query), ("after_receipt_id" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, description = "`items` and, if there is more, `next`", body = Object), (status = 403, body = Problem)))]
pub(crate) async fn search_receipts(
    operator: Operator,
    state: web::Data<ApiState>,
    query: web::Query<ReceiptSearch>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = match (
        parse_optional::<EnteId>(&q.after_recipient, "invalid_ente_id")?,
        parse_optional::<ReceiptId>(&q.after_receipt_id, "invalid_receipt_id")?,
    ) {
        (Some(recipient), Some(receipt_id)) => Some(ReceiptCursor { recipient, receipt_id }),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "after_recipient and after_receipt_id go together",
            ));
        }
    };
    let search = ReceiptQuery {
        recipient: search_scope(&operator.0, parse_optional(&q.recipient, "invalid_ente_id")?)?,
        debtor: parse_optional::<FiscalCode>(&q.debtor, "invalid_fiscal_code")?,
        notice_number: parse_optional::<NoticeNumber>(&q.notice_number, "invalid_notice_number")?,
        needs_review: q.needs_review,
        after,
        limit: q.limit.unwrap_or(100),
    };
    let page = state.ports.receipts.search(&search).await.map_err(DomainError::from)?;
    let next = page
        .next
        .map(|c| serde_json::json!({ "after_recipient": c.recipient, "after_receipt_id": c.receipt_id }));
    Ok(HttpResponse::Ok().json(PageDto {
        items: page.items,
        next,
    }))
}

/// `PUT /api/v1/admin/entes/{ente}/services/{code}`: adds or replaces a catalogue service,
/// after checking its definition.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}/services/{code}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("code" = String, Path, description = "The service code")),
    request_body(content = Object, description = "A catalogue service (pagopa_domain::SpontaneousService)"),
    responses((status = 200, description = "The stored service", body = Object), (status = 422, description = "`invalid_service`", body = Problem)))]
pub(crate) async fn put_service(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    body: web::Json<SpontaneousService>,
) -> Result<HttpResponse, ApiError> {
    let ente_id = ente_in_scope(&operator.0, &path.0)?;
    let service = body.into_inner();
    if service.ente != ente_id || service.code.as_str() != path.1 {
        return Err(ApiError::bad_request(
            "path_mismatch",
            "the body's Ente and code differ from the path's",
        ));
    }
    let ente = state
        .ports
        .entes
        .get(&ente_id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::from(DomainError::UnknownEnte(ente_id.clone())))?;
    service
        .validate(&ente)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_service", e.to_string()))?;
    state
        .ports
        .catalogue
        .upsert(&service)
        .await
        .map_err(DomainError::from)?;
    Ok(HttpResponse::Ok().json(service))
}

/// `POST /api/v1/admin/outbox/{id}/replay`: delivers a message to the gestionale again.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/replay", tag = "operator", security(("api_key" = [])),
    params(("id" = u64, Path, description = "The outbox message")),
    responses((status = 202, description = "Queued for delivery again"), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn replay_outbox(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let message = state
        .ports
        .outbox
        .get(id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("outbox message {id}")))?;
    operator.0.check_ente(message.event.ente())?;
    state
        .ports
        .outbox
        .replay(id, state.ports.clock.now())
        .await
        .map_err(DomainError::from)?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id, "status": "replayed" })))
}
