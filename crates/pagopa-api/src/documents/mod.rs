//! Documents over REST: the payment notice and the receipt as PDF for citizens, anonymous payers
//! and operators, and a streamed ZIP of an Ente's notices for operators.

pub(crate) mod notice;
pub(crate) mod receipt;
pub(crate) mod zip;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_documents::DocumentError;
use pagopa_domain::{DomainError, Ente, EnteId};
use sha2::{Digest, Sha256};

use crate::ApiState;
use crate::problem::ApiError;

pub(crate) use notice::{admin_notice_pdf, my_notice_pdf, public_notice_pdf};
pub(crate) use receipt::{admin_receipt_pdf, my_receipt_pdf};
pub(crate) use zip::notices_zip;

/// A served Ente (stored and enabled), or 404.
async fn served_ente(state: &ApiState, id: &EnteId) -> Result<Ente, ApiError> {
    state
        .ports
        .entes
        .get(id)
        .await
        .map_err(DomainError::from)?
        .filter(|ente| ente.enabled)
        .ok_or_else(|| ApiError::from(DomainError::UnknownEnte(id.clone())))
}

/// The problem for a document that cannot be rendered: 409 with the document's own code for
/// what may not be printed, 404 for an unknown notice, 500 for a failure of the renderer.
fn document_problem(error: DocumentError) -> ApiError {
    match error {
        DocumentError::UnknownNotice(_) => ApiError::not_found(error.to_string()),
        error if error.is_unprintable() => ApiError::new(StatusCode::CONFLICT, error.code(), error.to_string()),
        error => {
            tracing::error!(error = %error, "document rendering failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the document could not be rendered",
            )
        }
    }
}

/// Runs the renderer on the blocking pool (a notice takes a few milliseconds of CPU).
async fn render<F>(work: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, DocumentError> + Send + 'static,
{
    web::block(work)
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "try again later"))?
        .map_err(document_problem)
}

/// Whether every open option of `position` has expired by `today`. The renderer has no clock:
/// a position that stops being payable after its due dates is refused here once they passed.
fn expired_by_date(position: &pagopa_domain::DebtPosition, today: chrono::NaiveDate) -> bool {
    let mut open = position.options.iter().filter(|o| !o.is_paid()).peekable();
    open.peek().is_some() && open.all(|o| position.is_expired_at(o, today))
}

/// A PDF answer: a strong ETag over the bytes (304 when the caller has them), private caching,
/// and the file name to save it under.
fn pdf_response(request: &HttpRequest, pdf: Vec<u8>, file_name: &str) -> HttpResponse {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&pdf)[..16]));
    let matches = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, "private, max-age=300"))
        .insert_header((CONTENT_DISPOSITION, format!("inline; filename=\"{file_name}\"")));
    if matches {
        response.finish()
    } else {
        response.content_type("application/pdf").body(pdf)
    }
}
