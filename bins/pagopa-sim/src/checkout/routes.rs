//! The HTTP handlers of the simulated Checkout and of the simulator's API.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::model::ReceiptId;
use pagopa_domain::value::{EnteId, NoticeNumber};
use serde_json::json;

use super::cart::{self, ApiVersion, CartRejection, SimCart};
use super::{CartError, CheckoutSim, SUBSCRIPTION_KEY_HEADER, page};
use crate::psp::{DemandRequest, PayOptions, ReceiptTimeout};
use crate::report::PaymentReport;

pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "UP"}))
}

fn problem(status: StatusCode, detail: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail.into(),
        }))
}

fn cart_error(error: CartError) -> HttpResponse {
    match error {
        CartError::NotFound(_) => problem(StatusCode::NOT_FOUND, error.to_string()),
        CartError::NotPending { .. } => problem(StatusCode::CONFLICT, error.to_string()),
        CartError::Internal(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}

fn subscription_key(request: &HttpRequest) -> Option<String> {
    let header = request
        .headers()
        .get(SUBSCRIPTION_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    header.or_else(|| {
        web::Query::<BTreeMap<String, String>>::from_query(request.query_string())
            .ok()
            .and_then(|q| q.get("subscription-key").cloned())
            .filter(|v| !v.trim().is_empty())
    })
}

async fn post_cart(
    request: HttpRequest,
    body: web::Bytes,
    checkout: &CheckoutSim,
    version: ApiVersion,
) -> HttpResponse {
    let Some(key) = subscription_key(&request) else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Access denied due to missing subscription key (Ocp-Apim-Subscription-Key)",
        );
    };
    if let Some(expected) = &checkout.inner.settings.subscription_key
        && expected.trim() != key.trim()
    {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Access denied due to invalid subscription key",
        );
    }
    let cart_request = match cart::validate(&body, version) {
        Ok(cart_request) => cart_request,
        Err(rejection) => {
            let status = match rejection {
                CartRejection::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::BAD_REQUEST,
            };
            tracing::info!(status = status.as_u16(), %rejection, "cart refused");
            return problem(status, rejection.to_string());
        }
    };
    let cart = checkout.create_cart(cart_request, version);
    let base = match &checkout.inner.settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let info = request.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    let location = format!("{base}/checkout/pay/{}", cart.id);
    tracing::info!(cart = %cart.id, notices = cart.request.notices.len(), %location, "cart created");
    HttpResponse::Found().insert_header((LOCATION, location)).finish()
}

pub(super) async fn post_cart_v1(
    request: HttpRequest,
    body: web::Bytes,
    checkout: web::Data<CheckoutSim>,
) -> HttpResponse {
    post_cart(request, body, &checkout, ApiVersion::V1).await
}

pub(super) async fn post_cart_v2(
    request: HttpRequest,
    body: web::Bytes,
    checkout: web::Data<CheckoutSim>,
) -> HttpResponse {
    post_cart(request, body, &checkout, ApiVersion::V2).await
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ContentType::html())
        .body(body)
}

fn see_other(url: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, url)).finish()
}

pub(super) async fn cart_page(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    match checkout.cart(&id) {
        Some(cart) => html(StatusCode::OK, page::render(&cart)),
        None => html(StatusCode::NOT_FOUND, page::not_found(&id)),
    }
}

/// Options of the pay calls.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize)]
pub struct PayQuery {
    /// Delay before each receipt, in milliseconds.
    pub late_ms: Option<u64>,
}

/// Pays or cancels on a task of its own, so a browser that goes away mid-payment does not leave
/// the cart half done.
async fn detached(
    checkout: &CheckoutSim,
    id: &str,
    late: Option<Duration>,
    cancel: bool,
) -> Result<SimCart, CartError> {
    let (checkout, task_id) = (checkout.clone(), id.to_owned());
    let task = actix_web::rt::spawn(async move {
        if cancel {
            checkout.abandon_cart(&task_id).await
        } else {
            checkout.pay_cart(&task_id, late).await
        }
    });
    task.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, cart = id, "the cart task failed");
        Err(CartError::Internal(e.to_string()))
    })
}

fn page_answer(id: &str, result: Result<SimCart, CartError>, checkout: &CheckoutSim) -> HttpResponse {
    match result {
        Ok(cart) => see_other(cart.return_url.as_deref().unwrap_or("/")),
        Err(CartError::NotFound(_)) => html(StatusCode::NOT_FOUND, page::not_found(id)),
        Err(e @ CartError::Internal(_)) => html(StatusCode::INTERNAL_SERVER_ERROR, page::html_escape(&e.to_string())),
        // Paid or cancelled already (a second click): show the page with its state.
        Err(CartError::NotPending { .. }) => match checkout.cart(id) {
            Some(cart) => html(StatusCode::CONFLICT, page::render(&cart)),
            None => html(StatusCode::NOT_FOUND, page::not_found(id)),
        },
    }
}

pub(super) async fn pay_page(
    id: web::Path<String>,
    query: web::Query<PayQuery>,
    checkout: web::Data<CheckoutSim>,
) -> HttpResponse {
    let late = query.late_ms.map(Duration::from_millis);
    let result = detached(&checkout, &id, late, false).await;
    page_answer(&id, result, &checkout)
}

pub(super) async fn cancel_page(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    let result = detached(&checkout, &id, None, true).await;
    page_answer(&id, result, &checkout)
}

pub(super) async fn list_carts(checkout: web::Data<CheckoutSim>) -> HttpResponse {
    HttpResponse::Ok().json(checkout.all_carts())
}

pub(super) async fn get_cart(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    match checkout.cart(&id) {
        Some(cart) => HttpResponse::Ok().json(cart),
        None => cart_error(CartError::NotFound(id.into_inner())),
    }
}

/// An optional JSON body (empty: the defaults); the error is the 400 detail.
fn json_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))
}

pub(super) async fn pay_api(
    id: web::Path<String>,
    query: web::Query<PayQuery>,
    body: web::Bytes,
    checkout: web::Data<CheckoutSim>,
) -> HttpResponse {
    let from_body: PayQuery = match json_body(&body) {
        Ok(options) => options,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, detail),
    };
    let late = from_body.late_ms.or(query.late_ms).map(Duration::from_millis);
    match detached(&checkout, &id, late, false).await {
        Ok(cart) => HttpResponse::Ok().json(cart),
        Err(e) => cart_error(e),
    }
}

pub(super) async fn abandon_api(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    match detached(&checkout, &id, None, true).await {
        Ok(cart) => HttpResponse::Ok().json(cart),
        Err(e) => cart_error(e),
    }
}

/// The body of `POST /sim/pay`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// The Ente's fiscal code.
    pub ente: String,
    /// The notice number.
    pub notice: String,
    /// Send the receipt twice.
    #[serde(default)]
    pub duplicate: bool,
    /// Delay the receipt.
    #[serde(default)]
    pub late_ms: Option<u64>,
    /// Stop after the activation.
    #[serde(default)]
    pub abandon: bool,
    /// A Stand-In receipt.
    #[serde(default)]
    pub stand_in: bool,
    /// A second receipt with another id.
    #[serde(default)]
    pub second_receipt: bool,
    /// A receipt call that times out (after this many ms, default 1), then a resend.
    #[serde(default)]
    pub timeout: bool,
    /// The client timeout of `timeout`.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// `paymentNote`.
    #[serde(default)]
    pub payment_note: Option<String>,
    /// Expect verify or activation to answer this fault.
    #[serde(default)]
    pub expect_fault: Option<String>,
    /// The Node loses the receipt: recorded for the flows and the biz-events API, never sent.
    #[serde(default)]
    pub lose_receipt: bool,
}

impl PayRequest {
    /// The payment options it asks for.
    pub fn options(&self) -> PayOptions {
        PayOptions {
            duplicate: self.duplicate,
            late: self.late_ms.map(Duration::from_millis),
            abandon: self.abandon,
            stand_in: self.stand_in,
            second_receipt: self.second_receipt,
            timeout: (self.timeout || self.timeout_ms.is_some()).then(|| ReceiptTimeout {
                client_timeout: Duration::from_millis(self.timeout_ms.unwrap_or(1)),
                ..ReceiptTimeout::default()
            }),
            payment_note: self.payment_note.clone(),
            expect_fault: self.expect_fault.clone(),
            lose_receipt: self.lose_receipt,
            ..PayOptions::default()
        }
    }
}

fn report_answer(report: &PaymentReport) -> HttpResponse {
    HttpResponse::Ok().json(report)
}

pub(super) async fn pay_notice_api(body: web::Bytes, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    let request: PayRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")),
    };
    let ente: EnteId = match request.ente.parse() {
        Ok(ente) => ente,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("ente: {e}")),
    };
    let notice: NoticeNumber = match request.notice.parse() {
        Ok(notice) => notice,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("notice: {e}")),
    };
    report_answer(
        &checkout
            .simulator()
            .pay_notice(&ente, &notice, &request.options())
            .await,
    )
}

/// The body of `POST /sim/demand`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandApiRequest {
    /// The Ente's fiscal code.
    pub ente: String,
    /// `idServizio`.
    pub service_id: String,
    /// `idSoggettoServizio` (default `00101`).
    #[serde(default)]
    pub subject_service_id: Option<String>,
    /// The form values.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Pay the new notice too.
    #[serde(default)]
    pub pay: bool,
}

pub(super) async fn demand_api(body: web::Bytes, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    let request: DemandApiRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")),
    };
    let ente: EnteId = match request.ente.parse() {
        Ok(ente) => ente,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("ente: {e}")),
    };
    let mut demand = DemandRequest::new(request.service_id, request.values);
    if let Some(subject) = request.subject_service_id {
        demand.subject_service_id = subject;
    }
    let pay = request.pay.then(PayOptions::default);
    report_answer(&checkout.simulator().demand(&ente, &demand, pay.as_ref()).await)
}

pub(super) async fn list_receipts(checkout: web::Data<CheckoutSim>) -> HttpResponse {
    match checkout.simulator().receipts().ids() {
        Ok(ids) => HttpResponse::Ok().json(ids),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A receipt id from the path; the error is the 400 detail.
fn receipt_id(raw: &str) -> Result<ReceiptId, String> {
    raw.parse().map_err(|e| format!("receipt id: {e}"))
}

pub(super) async fn get_receipt(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    let id = match receipt_id(&id) {
        Ok(id) => id,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, detail),
    };
    match checkout.simulator().receipts().load(&id) {
        Ok(Some(xml)) => HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(xml),
        Ok(None) => problem(StatusCode::NOT_FOUND, format!("no receipt {id}")),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn resend_api(id: web::Path<String>, checkout: web::Data<CheckoutSim>) -> HttpResponse {
    let id = match receipt_id(&id) {
        Ok(id) => id,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, detail),
    };
    match checkout.simulator().receipts().load(&id) {
        Ok(Some(xml)) => report_answer(&checkout.simulator().resend_receipt_xml(&xml).await),
        Ok(None) => problem(StatusCode::NOT_FOUND, format!("no receipt {id}")),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
