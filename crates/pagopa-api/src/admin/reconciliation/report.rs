//! The status per day and the CSV export of collected payments.

use std::fmt::Write as _;
use std::io;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use pagopa_domain::CollectedPayment;
use tokio::sync::mpsc;

use super::{period, served};
use crate::ApiState;
use crate::auth::Operator;
use crate::documents::zip::ChunkBody;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// Query of a period.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/admin/entes/{ente}/reconciliation`: the status of each payment day.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/reconciliation", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("from" = String, Query, description = "First payment day (YYYY-MM-DD)"),
        ("to" = String, Query, description = "Last payment day (YYYY-MM-DD), at most 366 days after `from`")),
    responses((status = 200, description = "`days`: day, receipts, reported, cashed (each `count` and `cents`), anomalies (open, by code)", body = Object),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn reconciliation_status(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let (from, to) = period(&query.from, &query.to)?;
    let days = state.services.reconciliation.status(&ente, from, to).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ente": ente, "from": from, "to": to, "days": days })))
}

/// The export's columns.
pub(crate) const EXPORT_COLUMNS: [&str; 15] = [
    "ente",
    "receipt_id",
    "iuv",
    "notice_number",
    "transfer_id",
    "amount_cents",
    "category",
    "remittance",
    "paid_at",
    "psp",
    "flow_id",
    "flow_revision",
    "regulation_date",
    "credit_id",
    "credit_date",
];

/// A CSV field, quoted when it must be (RFC 4180).
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn row(out: &mut String, p: &CollectedPayment) {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let values = [
        p.ente.to_string(),
        p.receipt_id.to_string(),
        p.iuv.clone(),
        p.notice_number.clone(),
        p.transfer_id.to_string(),
        p.amount_cents.to_string(),
        p.category.clone(),
        p.remittance.clone(),
        p.paid_at.to_rfc3339(),
        p.psp.to_string(),
        opt(p.flow_id.as_ref().map(ToString::to_string)),
        opt(p.flow_revision.map(|r| r.to_string())),
        opt(p.regulation_date.map(|d| d.to_string())),
        opt(p.credit_id.map(|c| c.to_string())),
        opt(p.credit_date.map(|d| d.to_string())),
    ];
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, value);
    }
    out.push_str("\r\n");
}

/// `GET /api/v1/admin/entes/{ente}/reconciliation/export`: every collected payment of a period, as CSV.
#[utoipa::path(get, path = "/api/v1/admin/entes/{ente}/reconciliation/export", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("from" = String, Query, description = "First payment day (YYYY-MM-DD)"),
        ("to" = String, Query, description = "Last payment day (YYYY-MM-DD), at most 366 days after `from`")),
    responses((status = 200, description = "CSV, one row per transfer to the Ente: ente, receipt_id, iuv, notice_number, transfer_id, amount_cents, category, remittance, paid_at, psp, flow_id, flow_revision, regulation_date, credit_id, credit_date", body = String, content_type = "text/csv"),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn reconciliation_export(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, ApiError> {
    let ente = served(&operator, &state, &path).await?;
    let (from, to) = period(&query.from, &query.to)?;
    // The first page here, so that a bad period is a problem rather than a broken download.
    let service = state.services.reconciliation.clone();
    let first = service.export(&ente, from, to, None, 500).await?;
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let name = format!("attachment; filename=\"{ente}_riconciliazione_{from}_{to}.csv\"");
    tokio::spawn(async move {
        let mut out = String::new();
        let _ = writeln!(out, "{}\r", EXPORT_COLUMNS.join(","));
        let mut page = first;
        loop {
            for payment in &page.rows {
                row(&mut out, payment);
            }
            if tx.send(Ok(Bytes::from(std::mem::take(&mut out)))).await.is_err() {
                return;
            }
            let Some(next) = page.next.take() else { return };
            page = match service.export(&ente, from, to, Some(&next), 500).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = tx.send(Err(io::Error::other(error.to_string()))).await;
                    return;
                }
            };
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, name))
        .body(ChunkBody(rx)))
}
