//! The receipt PDF for the citizen and the operator.

use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_documents::render_receipt;
use pagopa_domain::{DomainError, EnteId, ReceiptId, StoredReceipt};

use super::{pdf_response, render, served_ente};
use crate::ApiState;
use crate::auth::Operator;
use crate::citizen::Citizen;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse};

async fn receipt_pdf(request: &HttpRequest, state: &ApiState, stored: StoredReceipt) -> Result<HttpResponse, ApiError> {
    let ente = served_ente(state, &stored.receipt.delivery.recipient).await?;
    let file_name = format!("ricevuta_{}_{}.pdf", ente.id, stored.receipt.notice_number);
    let pdf = render(move || render_receipt(&ente, &stored)).await?;
    Ok(pdf_response(request, pdf, &file_name))
}

async fn stored(state: &ApiState, recipient: &EnteId, id: &ReceiptId) -> Result<Option<StoredReceipt>, ApiError> {
    Ok(state
        .ports
        .receipts
        .get(recipient, id)
        .await
        .map_err(DomainError::from)?)
}

/// `GET /api/v1/me/receipts/{recipient}/{receipt_id}/receipt.pdf`: a receipt of the citizen's
/// (as debtor or payer).
#[utoipa::path(get, path = "/api/v1/me/receipts/{recipient}/{receipt_id}/receipt.pdf", tag = "citizen",
    security(("api_key" = [], "citizen_token" = [])),
    params(("recipient" = String, Path, description = "The Ente the receipt was delivered to"), ("receipt_id" = String, Path, description = "The receipt id")),
    responses((status = 200, description = "The receipt, PDF/A-2b", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such receipt of this citizen", body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn my_receipt_pdf(
    request: HttpRequest,
    citizen: Citizen,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let recipient: EnteId = parse(&path.0, "invalid_ente_id")?;
    let id: ReceiptId = parse(&path.1, "invalid_receipt_id")?;
    let not_found = || ApiError::not_found(format!("receipt {id}"));
    let mine = |s: &StoredReceipt| {
        let r = &s.receipt;
        citizen.principal.may_act_on(&r.ente)
            && (r.debtor.id.fiscal_code() == Some(&citizen.fiscal_code)
                || r.payer.as_ref().and_then(|p| p.id.fiscal_code()) == Some(&citizen.fiscal_code))
    };
    let stored = stored(&state, &recipient, &id)
        .await?
        .filter(mine)
        .ok_or_else(not_found)?;
    receipt_pdf(&request, &state, stored).await
}

/// `GET /api/v1/admin/receipts/{recipient}/{receipt_id}/receipt.pdf`.
#[utoipa::path(get, path = "/api/v1/admin/receipts/{recipient}/{receipt_id}/receipt.pdf", tag = "operator",
    security(("api_key" = [])),
    params(("recipient" = String, Path, description = "The Ente the receipt was delivered to"), ("receipt_id" = String, Path, description = "The receipt id")),
    responses((status = 200, description = "The receipt, PDF/A-2b", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn admin_receipt_pdf(
    request: HttpRequest,
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let recipient: EnteId = parse(&path.0, "invalid_ente_id")?;
    operator.0.check_ente(&recipient)?;
    let id: ReceiptId = parse(&path.1, "invalid_receipt_id")?;
    let stored = stored(&state, &recipient, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("receipt {id}")))?;
    receipt_pdf(&request, &state, stored).await
}
