//! `GET /api/v1/admin/quarantine`: what the Node sent that could not be read as a receipt (a
//! `paSendRT`/`paSendRTV2` too broken to decode, or naming a notice whose check digits are
//! wrong), kept with its raw envelope, the time, the peer and the reason. Newest first; a key
//! limited to some Enti names one of them and sees only the entries naming it.

use actix_web::{HttpResponse, web};
use pagopa_domain::ports::QuarantineQuery;
use pagopa_domain::{DomainError, EnteId};

use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse_optional};

/// The most entries on one page: each may hold a raw envelope of up to 256 KiB.
const MAX_ENTRIES: u32 = 50;

/// Query of the quarantine listing.
#[derive(serde::Deserialize)]
pub(crate) struct QuarantineListing {
    ente: Option<String>,
    before: Option<u64>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/quarantine`: unreadable receipts, newest first.
#[utoipa::path(get, path = "/api/v1/admin/quarantine", tag = "operator", security(("api_key" = [])),
    params(("ente" = Option<String>, Query, description = "Only entries naming this Ente (`idPA`); required for a key limited to some Enti"),
        ("before" = Option<u64>, Query, description = "Only entries older than this id (the `next.before` of the previous page)"),
        ("limit" = Option<u32>, Query, description = "Entries per page (default 20); more than 50 gives 50")),
    responses((status = 200, description = "`items` (id, received_at, peer, operation, ente, reason, raw, size, truncated) and, if there is more, `next`", body = Object),
        (status = 403, description = "`forbidden_ente`", body = Problem)))]
pub(crate) async fn list_quarantine(
    operator: Operator,
    state: web::Data<ApiState>,
    query: web::Query<QuarantineListing>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let principal = &operator.0;
    let ente = super::search_scope(principal, parse_optional::<EnteId>(&q.ente, "invalid_ente_id")?)?;
    let limit = match q.limit {
        None => 20,
        Some(n) => super::page_limit(Some(n))?.min(MAX_ENTRIES),
    };
    // Ids are 63-bit integers in storage.
    if q.before.is_some_and(|b| b > i64::MAX as u64) {
        return Err(ApiError::bad_request("invalid_query", "before is above the largest id"));
    }
    let listing = QuarantineQuery {
        ente,
        before: q.before,
        limit,
    };
    let page = state.ports.quarantine.list(&listing).await.map_err(DomainError::from)?;
    let mut body = serde_json::json!({ "items": page.items });
    if let Some(before) = page.next {
        body["next"] = serde_json::json!({ "before": before });
    }
    Ok(HttpResponse::Ok().json(body))
}
