//! Reconciliation for the accounting office, under `/api/v1/admin/entes/{ente}/…`:
//!
//! - [`flows`]: flows uploaded as XML, listed and read with their lines; the fetch from
//!   pagoPA triggered by hand and its state;
//! - [`statements`]: the treasury's statements uploaded (camt.053 or CSV) and their credits;
//! - [`anomalies`]: the work list, an anomaly resolved with a note, and the missing receipts
//!   asked of pagoPA;
//! - [`report`]: the status per day and the CSV export of collected payments.

mod anomalies;
mod flows;
mod report;
mod statements;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web;
pub(crate) use anomalies::*;
use chrono::NaiveDate;
pub(crate) use flows::*;
use pagopa_domain::ports::FlowSource;
use pagopa_domain::services::{FetchSchedule, ReceiptRecovery};
use pagopa_domain::{DomainError, EnteId, FlowRevision};
pub(crate) use report::*;
pub(crate) use statements::*;

use crate::problem::ApiError;

/// The largest flow or statement file taken (a flow of 100 000 payments is about 40 MiB of XML).
pub const MAX_RECONCILIATION_BYTES: usize = 64 * 1024 * 1024;

/// What the reconciliation routes need beyond the services; the binary makes it.
#[derive(Clone)]
pub struct ReconciliationTools {
    /// Reads a `FlussoRiversamento` XML (validated as its XSD asks).
    pub decode_flow: fn(&[u8]) -> Result<FlowRevision, String>,
    /// Where flows are fetched from, when the server fetches them.
    pub source: Option<Arc<dyn FlowSource>>,
    /// The fetch's schedule (its lease, for a fetch triggered by hand).
    pub schedule: FetchSchedule,
    /// This instance's name, as the holder of a fetch's lease.
    pub worker: String,
    /// The recovery of receipts the Node never delivered, when a receipts service is
    /// configured (it shares the scheduled job's budget of calls).
    pub recovery: Option<ReceiptRecovery>,
}

impl std::fmt::Debug for ReconciliationTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconciliationTools")
            .field("source", &self.source.as_ref().map(|source| source.name()))
            .field("worker", &self.worker)
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

fn tools(tools: Option<web::Data<ReconciliationTools>>) -> Result<web::Data<ReconciliationTools>, ApiError> {
    tools.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "reconciliation_unavailable",
            "this server does no reconciliation",
        )
    })
}

/// The Ente of the path, in the key's scope and served here.
async fn served(operator: &crate::auth::Operator, state: &crate::ApiState, raw: &str) -> Result<EnteId, ApiError> {
    let ente = super::ente_in_scope(&operator.0, raw)?;
    if state.ports.entes.get(&ente).await.map_err(DomainError::from)?.is_none() {
        return Err(DomainError::UnknownEnte(ente).into());
    }
    Ok(ente)
}

/// A day of a query (`YYYY-MM-DD`).
fn day(raw: &Option<String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    raw.as_deref()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("invalid_query", format!("{name} is a date YYYY-MM-DD, not {raw:?}"))
            })
        })
        .transpose()
}

/// A period of the query: both days, `from` not after `to`.
fn period(from: &Option<String>, to: &Option<String>) -> Result<(NaiveDate, NaiveDate), ApiError> {
    match (day(from, "from")?, day(to, "to")?) {
        (Some(from), Some(to)) if from <= to => Ok((from, to)),
        (Some(_), Some(_)) => Err(ApiError::bad_request("invalid_query", "from is after to")),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            "from and to (YYYY-MM-DD) are required",
        )),
    }
}

/// The whole body, at most [`MAX_RECONCILIATION_BYTES`].
async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    use futures_core::Stream;
    let mut body = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut payload).poll_next(cx)).await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if body.len() + chunk.len() > MAX_RECONCILIATION_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a file here has at most {MAX_RECONCILIATION_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "the file is empty"));
    }
    Ok(body)
}

/// The media type of the request, lower case, without parameters.
fn media_type(request: &actix_web::HttpRequest) -> String {
    request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
