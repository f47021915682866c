//! Receipts: search, and those needing review.

use actix_web::{HttpResponse, web};
use pagopa_domain::ports::{ReceiptCursor, ReceiptQuery};
use pagopa_domain::{DomainError, EnteId, FiscalCode, NoticeNumber, ReceiptId};

use super::{PageDto, search_scope};
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse_optional};

/// Query of the receipt search.
#[derive(serde::Deserialize)]
// Unknown query parameters are ignored, on every route alike (README).
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
        limit: super::page_limit(q.limit)?,
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
