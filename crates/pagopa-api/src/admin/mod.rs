//! Operators' operations under `/api/v1/admin`, a module per resource: Enti, positions,
//! receipts, the catalogue, the outbox. Every operation checks the key's Enti.

mod catalogue;
mod entes;
mod events;
mod imports;
mod outbox;
mod positions;
mod quarantine;
mod receipts;
mod reconciliation;

use actix_web::http::StatusCode;
use pagopa_domain::EnteId;

pub(crate) use catalogue::*;
pub(crate) use entes::*;
pub(crate) use events::*;
pub use imports::Uploads;
pub(crate) use imports::*;
pub(crate) use outbox::*;
pub(crate) use positions::*;
pub(crate) use quarantine::*;
pub(crate) use receipts::*;
pub(crate) use reconciliation::*;
pub use reconciliation::{MAX_RECONCILIATION_BYTES, ReconciliationTools};

use crate::auth::Principal;
use crate::problem::{ApiError, parse};

/// The Ente of a path, after checking the key may act on it.
pub(super) fn ente_in_scope(principal: &Principal, raw: &str) -> Result<EnteId, ApiError> {
    let ente: EnteId = parse(raw, "invalid_ente_id")?;
    principal.check_ente(&ente)?;
    Ok(ente)
}

/// The Ente filter of a search: required for a key limited to some Enti.
pub(super) fn search_scope(principal: &Principal, ente: Option<EnteId>) -> Result<Option<EnteId>, ApiError> {
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
pub(super) struct PageDto<T> {
    pub(super) items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next: Option<serde_json::Value>,
}

/// The page size of a search: 1..=1000, 100 when absent.
pub(super) fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=pagopa_domain::ports::MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be within 1..={}, not {n}", pagopa_domain::ports::MAX_PAGE),
        )),
    }
}
