//! Debt positions: create, read, replace, change status, search.

use actix_web::http::StatusCode;
use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::ports::{Page, PositionCursor, PositionQuery};
use pagopa_domain::{DomainError, EnteId, FiscalCode, Iupd, Iuv, NoticeNumber, PositionDraft, PositionStatus};

use super::{PageDto, ente_in_scope, search_scope};
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::preconditions::{IfMatch, expected_version, version_tag};
use crate::problem::{ApiError, parse, parse_optional};

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
    responses((status = 200, description = "The position; `ETag` is its version, for `If-Match`", body = crate::doc_types::DebtPositionDoc), (status = 404, body = Problem)))]
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
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, version_tag(position.version)))
        .json(position))
}

/// `PUT /api/v1/admin/entes/{ente}/positions/{iupd}`: replaces a draft or valid position.
#[utoipa::path(put, path = "/api/v1/admin/entes/{ente}/positions/{iupd}", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id"), ("If-Match" = Option<String>, Header, description = "The `ETag` of the position as read (`\"v3\"`): replaced only if it is still that version, else 412")),
    request_body(content = crate::doc_types::PositionDraftDoc, description = "A position draft with the same iupd"),
    responses((status = 200, description = "The replaced position (with its new `ETag`)", body = crate::doc_types::DebtPositionDoc), (status = 409, body = Problem),
        (status = 412, description = "`precondition_failed`: the position changed since the `ETag` given", body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_position(
    request: HttpRequest,
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
    let expected = expected_version(IfMatch::of(&request)?.as_ref())?;
    let position = state
        .services
        .positions
        .update_if(&ente, &iupd, body.into_inner(), expected)
        .await
        .map_err(conflict_on_duplicate)?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, version_tag(position.version)))
        .json(position))
}

/// Body of a status change.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusChange {
    status: OperatorStatus,
}

/// The statuses an operator may set. `paid` and `partially_paid` come only from receipts
/// (which carry the money, the audit link and the gestionale's notification); `draft` only
/// from creation.
#[derive(Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum OperatorStatus {
    Cancelled,
    Valid,
    Expired,
    Reported,
}

impl From<OperatorStatus> for PositionStatus {
    fn from(status: OperatorStatus) -> Self {
        match status {
            OperatorStatus::Cancelled => Self::Cancelled,
            OperatorStatus::Valid => Self::Valid,
            OperatorStatus::Expired => Self::Expired,
            OperatorStatus::Reported => Self::Reported,
        }
    }
}

/// `POST /api/v1/admin/entes/{ente}/positions/{iupd}/status`: publish, cancel, expire, report.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/positions/{iupd}/status", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    request_body(content = Object, description = "{\"status\": \"cancelled\" | \"valid\" | \"expired\" | \"reported\"}; `paid` and `partially_paid` come only from receipts (400)"),
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
        .set_status(&ente, &iupd, body.status.into())
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
// Unknown query parameters are ignored, on every route alike (README).
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
        limit: super::page_limit(q.limit)?,
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
