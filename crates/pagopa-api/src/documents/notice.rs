//! The notice PDF for the citizen, the anonymous payer and the operator.

use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_documents::{NoticeInput, OptionSelection, render_notice};
use pagopa_domain::{DebtPosition, DomainError, Ente, EnteId, FiscalCode, Iupd, NoticeNumber};

use super::{pdf_response, render, served_ente};
use crate::ApiState;
use crate::auth::{FrontEnd, Operator};
use crate::citizen::Citizen;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse};

/// Renders the notice of `position` (every payable option, or only `notice`).
async fn notice_pdf(
    request: &HttpRequest,
    state: &ApiState,
    ente: Ente,
    position: DebtPosition,
    notice: Option<NoticeNumber>,
) -> Result<HttpResponse, ApiError> {
    if super::expired_by_date(&position, state.ports.clock.now().date_naive()) {
        return Err(super::document_problem(pagopa_documents::DocumentError::Expired));
    }
    let logo = state.ports.entes.logo(&ente.id).await.map_err(DomainError::from)?;
    let file_name = format!(
        "avviso_{}_{}.pdf",
        ente.id,
        notice.as_ref().unwrap_or(&position.options[0].notice_number)
    );
    let pdf = render(move || {
        let mut input = NoticeInput::new(&ente, logo.as_ref(), &position);
        if let Some(notice) = &notice {
            input.selection = OptionSelection::Only(notice);
        }
        render_notice(&input)
    })
    .await?;
    Ok(pdf_response(request, pdf, &file_name))
}

async fn position(state: &ApiState, ente: &EnteId, iupd: &Iupd) -> Result<Option<DebtPosition>, ApiError> {
    Ok(state.ports.positions.get(ente, iupd).await.map_err(DomainError::from)?)
}

/// `GET /api/v1/me/positions/{ente}/{iupd}/notice.pdf`: the citizen's own position only.
#[utoipa::path(get, path = "/api/v1/me/positions/{ente}/{iupd}/notice.pdf", tag = "citizen",
    security(("api_key" = [], "citizen_token" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    responses((status = 200, description = "The notice", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such position of this citizen", body = Problem),
        (status = 409, description = "Not printable: `notice_position_draft`, `notice_position_cancelled`, `notice_position_paid`, `notice_position_expired`, `notice_stamp_only`, `notice_instalments_do_not_add_up`, `notice_nothing_to_print`", body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn my_notice_pdf(
    request: HttpRequest,
    citizen: Citizen,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ente_id: EnteId = parse(&path.0, "invalid_ente_id")?;
    let iupd: Iupd = parse(&path.1, "invalid_iupd")?;
    let not_found = || ApiError::not_found(format!("position {iupd} of Ente {ente_id}"));
    if !citizen.principal.may_act_on(&ente_id) {
        return Err(not_found());
    }
    let ente = served_ente(&state, &ente_id).await?;
    let position = position(&state, &ente_id, &iupd)
        .await?
        .filter(|p| p.listed_to_debtor && p.debtor.id.fiscal_code() == Some(&citizen.fiscal_code))
        .ok_or_else(not_found)?;
    notice_pdf(&request, &state, ente, position, None).await
}

/// Query of the anonymous payer's notice.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DebtorQuery {
    debtor: String,
}

/// `GET /api/v1/entes/{ente}/notices/{notice}/notice.pdf?debtor=…`: the notice of one option for
/// whoever knows both its number and its debtor's fiscal code; a wrong code and an unknown
/// notice get the same 404.
#[utoipa::path(get, path = "/api/v1/entes/{ente}/notices/{notice}/notice.pdf", tag = "front-end",
    security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("notice" = String, Path, description = "The 18-digit notice number"),
        ("debtor" = String, Query, description = "The debtor's fiscal code")),
    responses((status = 200, description = "The notice of this option", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such notice for this debtor", body = Problem),
        (status = 409, description = "Not printable: `notice_option_paid`, `notice_instalments_started`, `notice_stamp_only`, `notice_position_*`", body = Problem)))]
pub(crate) async fn public_notice_pdf(
    request: HttpRequest,
    caller: FrontEnd,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    query: web::Query<DebtorQuery>,
) -> Result<HttpResponse, ApiError> {
    let ente_id: EnteId = parse(&path.0, "invalid_ente_id")?;
    caller.0.check_ente(&ente_id)?;
    let notice: NoticeNumber = parse(&path.1, "invalid_notice_number")?;
    let not_found = || ApiError::not_found(format!("notice {notice} of Ente {ente_id} for this debtor"));
    // A malformed code is as unknown as a wrong one: nothing tells them apart.
    let debtor: Option<FiscalCode> = query.debtor.parse().ok();
    let ente = served_ente(&state, &ente_id).await?;
    let position = state
        .ports
        .positions
        .find_by_notice(&ente_id, &notice)
        .await
        .map_err(DomainError::from)?
        .filter(|p| debtor.is_some() && p.debtor.id.fiscal_code() == debtor.as_ref())
        .ok_or_else(not_found)?;
    notice_pdf(&request, &state, ente, position, Some(notice)).await
}

/// `GET /api/v1/admin/entes/{ente}/positions/{iupd}/notice.pdf`.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/positions/{iupd}/notice.pdf", tag = "operator",
    security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("iupd" = String, Path, description = "The position id")),
    responses((status = 200, description = "The notice", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "Not printable (`notice_position_draft`, …)", body = Problem)))]
pub(crate) async fn admin_notice_pdf(
    request: HttpRequest,
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ente_id: EnteId = parse(&path.0, "invalid_ente_id")?;
    operator.0.check_ente(&ente_id)?;
    let iupd: Iupd = parse(&path.1, "invalid_iupd")?;
    let ente = served_ente(&state, &ente_id).await?;
    let position = position(&state, &ente_id, &iupd)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("position {iupd}")))?;
    notice_pdf(&request, &state, ente, position, None).await
}
