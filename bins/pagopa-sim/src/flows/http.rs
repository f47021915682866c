//! The flows over HTTP: the simulator's admin endpoints, the FdR organization API and the
//! biz-events receipts API.
//!
//! Admin (JSON):
//! - `POST /sim/flows/publish` with a [`PublishRequest`] (`day`,
//!   optional `ente`, `psp` and `regulation_date`, `anomalies`: any of `no_receipt`, `stand_in_no_receipt`,
//!   `revoked`, `duplicate`, `wrong_total`, `foreign_iuv`, `wrong_amount`, `drop_receipt`,
//!   `new_revision`) → `{"published": [Publication…]}`;
//! - `GET /sim/flows?ente=CF` → the latest revision of each flow, as the domain's
//!   `FlowRevision`.
//!
//! FdR (`fdr_organization.json`), under [`FDR_PREFIX`], each call with a
//! non-empty `Ocp-Apim-Subscription-Key`:
//! - `GET /organizations/{organizationId}/fdrs?publishedGt&pspId&flowDate&page&size`
//!   (published after `publishedGt`, `flowDate` at or after `flowDate`);
//! - `GET /organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}`;
//! - `GET …/psps/{pspId}/payments?page&size`.
//!
//! `page` counts from 1, `size` is 1 to 1000 (default 1000); amounts are euro numbers.
//!
//! Biz-events (`biz_events.json`), under [`BIZEVENTS_PREFIX`], with
//! a non-empty `Ocp-Apim-Subscription-Key` (see [`bizevents`](super::bizevents)):
//! - `GET /organizations/{organizationfiscalcode}/receipts/{iur}/paymentoptions/{iuv}` → the
//!   `CtReceiptModelResponse` of a receipt the Node lost
//!   ([`PayOptions::lose_receipt`](crate::PayOptions::lose_receipt)), `404` ProblemJson for
//!   any other, `401` without a key.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use pagopa_domain::model::LineOutcome;
use serde_json::{Value, json};

use super::{BIZEVENTS_PREFIX, FDR_PREFIX, FlowDesk, PublishRequest, PublishedRevision};

/// The largest `size` served.
const MAX_SIZE: u64 = 1000;

/// Mounts the admin endpoints, the FdR API and the biz-events receipts API on an actix-web
/// app.
pub fn configure(cfg: &mut web::ServiceConfig, desk: Arc<FlowDesk>) {
    super::soap::configure(cfg);
    cfg.app_data(web::Data::from(desk))
        .route("/sim/flows/publish", web::post().to(publish))
        .route("/sim/flows", web::get().to(list_admin))
        .service(
            web::scope(FDR_PREFIX)
                .route("/organizations/{organization}/fdrs", web::get().to(list_fdrs))
                .route(
                    "/organizations/{organization}/fdrs/{fdr}/revisions/{revision}/psps/{psp}",
                    web::get().to(get_flow),
                )
                .route(
                    "/organizations/{organization}/fdrs/{fdr}/revisions/{revision}/psps/{psp}/payments",
                    web::get().to(get_payments),
                ),
        )
        .service(web::scope(BIZEVENTS_PREFIX).configure(super::bizevents::configure));
}

fn problem(status: StatusCode, detail: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "httpStatusCode": status.as_u16(),
        "httpStatusDescription": status.canonical_reason().unwrap_or_default(),
        "appErrorCode": format!("FDR-{}", status.as_u16()),
        "errors": [{"message": detail.into()}],
    }))
}

/// An answer refused, before it becomes its `ErrorResponse`.
struct Refusal(StatusCode, String);

async fn publish(body: web::Bytes, desk: web::Data<FlowDesk>) -> HttpResponse {
    let request: PublishRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("invalid body: {e}")),
    };
    match desk.publish(&request, crate::receipt::now()) {
        Ok(published) => HttpResponse::Ok().json(json!({ "published": published })),
        Err(e) => problem(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct EnteQuery {
    ente: String,
}

async fn list_admin(query: web::Query<EnteQuery>, desk: web::Data<FlowDesk>) -> HttpResponse {
    let flows: Vec<_> = desk.latest(&query.ente).iter().map(|p| p.flow.clone()).collect();
    HttpResponse::Ok().json(json!({ "flows": flows }))
}

fn authorised(request: &HttpRequest) -> Option<HttpResponse> {
    let key = request
        .headers()
        .get(pagopa_nodo::fdr::SUBSCRIPTION_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    key.trim().is_empty().then(|| {
        problem(
            StatusCode::UNAUTHORIZED,
            "Access denied due to missing subscription key.",
        )
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    page: Option<u64>,
    size: Option<u64>,
    published_gt: Option<DateTime<Utc>>,
    psp_id: Option<String>,
    flow_date: Option<DateTime<Utc>>,
}

/// `page` and `size`, checked.
fn paging(query: &PageQuery) -> Result<(u64, u64), Refusal> {
    let page = query.page.unwrap_or(1);
    let size = query.size.unwrap_or(MAX_SIZE);
    if page == 0 || size == 0 || size > MAX_SIZE {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("page must be at least 1 and size 1 to {MAX_SIZE}"),
        ));
    }
    Ok((page, size))
}

/// A page of `items`, as `PaginatedFlowsResponse` and `PaginatedPaymentsResponse` have it.
fn page_of(items: Vec<Value>, page: u64, size: u64) -> Value {
    let count = items.len() as u64;
    let total = count.div_ceil(size);
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let data: Vec<Value> = items
        .into_iter()
        .skip(skip)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .collect();
    json!({
        "metadata": {"pageSize": data.len(), "pageNumber": page, "totPage": total},
        "count": count,
        "data": data,
    })
}

async fn list_fdrs(
    request: HttpRequest,
    organization: web::Path<String>,
    query: web::Query<PageQuery>,
    desk: web::Data<FlowDesk>,
) -> HttpResponse {
    if let Some(denied) = authorised(&request) {
        return denied;
    }
    let (page, size) = match paging(&query) {
        Ok(paging) => paging,
        Err(Refusal(status, detail)) => return problem(status, detail),
    };
    let flows: Vec<Value> = desk
        .latest(&organization)
        .into_iter()
        .filter(|p| {
            query
                .published_gt
                .is_none_or(|gt| p.flow.published_at.is_some_and(|at| at > gt))
        })
        .filter(|p| query.psp_id.as_deref().is_none_or(|psp| p.flow.key.psp.as_str() == psp))
        .filter(|p| query.flow_date.is_none_or(|from| p.flow.flow_date >= from))
        .map(|p| {
            json!({
                "fdr": p.flow.key.flow_id.as_str(),
                "pspId": p.flow.key.psp.as_str(),
                "revision": p.flow.revision,
                "published": p.flow.published_at,
                "flowDate": p.flow.flow_date,
            })
        })
        .collect();
    HttpResponse::Ok().json(page_of(flows, page, size))
}

fn find(desk: &FlowDesk, path: &(String, String, u32, String)) -> Result<Arc<PublishedRevision>, Refusal> {
    let (organization, fdr, revision, psp) = path;
    desk.revision(organization, psp, fdr, *revision)
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, format!("Reporting Fdr [{fdr}] not found")))
}

fn euro(cents: i64) -> f64 {
    // Exact for the amounts pagoPA carries (below 2^53 cents): the nearest double to n/100.
    cents as f64 / 100.0
}

async fn get_flow(
    request: HttpRequest,
    path: web::Path<(String, String, u32, String)>,
    desk: web::Data<FlowDesk>,
) -> HttpResponse {
    if let Some(denied) = authorised(&request) {
        return denied;
    }
    let published = match find(&desk, &path) {
        Ok(found) => found,
        Err(Refusal(status, detail)) => return problem(status, detail),
    };
    let flow = &published.flow;
    let sender = &published.sender;
    let sender_type = if sender.psp_id.starts_with("ABI") {
        "ABI_CODE"
    } else {
        "LEGAL_PERSON"
    };
    HttpResponse::Ok().json(json!({
        "status": "PUBLISHED",
        "revision": flow.revision,
        "created": flow.flow_date,
        "updated": flow.published_at,
        "fdr": flow.key.flow_id.as_str(),
        "fdrDate": flow.flow_date,
        "regulation": flow.regulation,
        "regulationDate": flow.regulation_date,
        "bicCodePouringBank": flow.bic,
        "sender": {
            "type": sender_type,
            "id": sender.psp_id,
            "pspId": sender.psp_id,
            "pspName": sender.psp_name,
            "pspBrokerId": sender.broker_id,
            "channelId": sender.channel_id,
        },
        "receiver": {
            "id": flow.key.ente.as_str(),
            "organizationId": flow.key.ente.as_str(),
            "organizationName": published.receiver_name,
        },
        "published": flow.published_at,
        "computedTotPayments": flow.lines.len(),
        "computedSumPayments": euro(flow.lines_total_cents()),
        "totPayments": flow.declared_count,
        "sumPayments": euro(flow.declared_total_cents),
    }))
}

fn pay_status(outcome: LineOutcome) -> &'static str {
    match outcome {
        LineOutcome::Executed => "EXECUTED",
        LineOutcome::Revoked => "REVOKED",
        LineOutcome::StandIn => "STAND_IN",
        LineOutcome::StandInNoReceipt => "STAND_IN_NO_RPT",
        LineOutcome::NoReceipt => "NO_RPT",
    }
}

async fn get_payments(
    request: HttpRequest,
    path: web::Path<(String, String, u32, String)>,
    query: web::Query<PageQuery>,
    desk: web::Data<FlowDesk>,
) -> HttpResponse {
    if let Some(denied) = authorised(&request) {
        return denied;
    }
    let (page, size) = match paging(&query) {
        Ok(paging) => paging,
        Err(Refusal(status, detail)) => return problem(status, detail),
    };
    let published = match find(&desk, &path) {
        Ok(found) => found,
        Err(Refusal(status, detail)) => return problem(status, detail),
    };
    let payments: Vec<Value> = published
        .flow
        .lines
        .iter()
        .zip(&published.pay_dates)
        .map(|(line, at)| {
            json!({
                "index": line.index,
                "iuv": line.iuv,
                "iur": line.iur,
                "idTransfer": line.transfer_id.unwrap_or(1),
                "pay": euro(line.amount_cents),
                "payStatus": pay_status(line.outcome),
                "payDate": at,
            })
        })
        .collect();
    HttpResponse::Ok().json(page_of(payments, page, size))
}
