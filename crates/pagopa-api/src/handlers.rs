//! The Front-End's operations under `/api/v1`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::services::{SpontaneousRequest, StartCart};
use pagopa_domain::{AmountRule, CartId, DomainError, EnteId, FiscalCode, NoticeNumber, ServiceCode, SubjectId};

use pagopa_domain::ports::{MAX_PAGE, ReceiptQuery};

use crate::ApiState;
use crate::auth::FrontEnd;
use crate::citizen::{Citizen, MaybeCitizen};
use crate::dto::{
    CartDto, EnteDto, MyPositionsDto, NoticeDto, PaymentDto, PositionDto, ReceiptDto, ServiceDto, ServiceSummaryDto,
    SpontaneousRequestDto, StartCartDto,
};
use crate::openapi::Problem;
use crate::problem::{ApiError, parse};
use crate::schema::form_schema;

/// `GET /api/v1/entes`: the Enti served here.
#[utoipa::path(get, path = "/api/v1/entes", tag = "front-end", security(("api_key" = [])),
    responses((status = 200, description = "The Enti served", body = [EnteDto]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_entes(caller: FrontEnd, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let entes = state.ports.entes.list().await.map_err(DomainError::from)?;
    Ok(HttpResponse::Ok().json(
        entes
            .iter()
            .filter(|e| e.enabled && caller.0.may_act_on(&e.id))
            .map(EnteDto::from)
            .collect::<Vec<_>>(),
    ))
}

/// `GET /api/v1/entes/{ente}/services`: the Ente's active catalogue.
#[utoipa::path(get, path = "/api/v1/entes/{ente}/services", tag = "front-end", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's 11-digit fiscal code")),
    responses((status = 200, description = "The active catalogue", body = [ServiceSummaryDto]), (status = 404, body = Problem)))]
pub(crate) async fn list_services(
    caller: FrontEnd,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ente: EnteId = parse(&path, "invalid_ente_id")?;
    caller.0.check_ente(&ente)?;
    let services = state.services.spontaneous.catalogue(&ente).await?;
    Ok(HttpResponse::Ok().json(services.iter().map(ServiceSummaryDto::from).collect::<Vec<_>>()))
}

/// `GET /api/v1/entes/{ente}/services/{code}`: one service with its form as JSON Schema.
#[utoipa::path(get, path = "/api/v1/entes/{ente}/services/{code}", tag = "front-end", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("code" = String, Path, description = "The service code")),
    responses((status = 200, description = "The service, its form as JSON Schema", body = ServiceDto), (status = 404, body = Problem)))]
pub(crate) async fn get_service(
    caller: FrontEnd,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ente: EnteId = parse(&path.0, "invalid_ente_id")?;
    caller.0.check_ente(&ente)?;
    let code: ServiceCode = parse(&path.1, "invalid_service_code")?;
    let service = state.services.spontaneous.service(&ente, &code).await?;
    let fixed_amount_cents = match &service.amount {
        AmountRule::Fixed { amount } => Some(amount.cents()),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(ServiceDto {
        code: service.code.to_string(),
        name: service.name.to_string(),
        description: service.description.as_ref().map(ToString::to_string),
        fixed_amount_cents,
        form: form_schema(&service.form),
    }))
}

/// `POST /api/v1/entes/{ente}/services/{code}/requests`: a spontaneous request. Every invalid
/// field is listed in the problem's `errors`; a valid request creates a payable position.
#[utoipa::path(post, path = "/api/v1/entes/{ente}/services/{code}/requests", tag = "front-end", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("code" = String, Path, description = "The service code"), ("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key with the same body within 24 hours answers the first answer (header `Idempotent-Replayed: true`), without a second position; with another body 422 `idempotency_key_reused`")),
    request_body = SpontaneousRequestDto,
    responses((status = 201, description = "The new payable notice", body = PaymentDto),
        (status = 422, description = "`invalid_form` lists every bad field in `errors`; `payer_mismatch`; `idempotency_key_reused`", body = Problem),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still running", body = Problem),
        (status = 404, body = Problem)))]
pub(crate) async fn submit_request(
    request: HttpRequest,
    caller: MaybeCitizen,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    raw: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let ente: EnteId = parse(&path.0, "invalid_ente_id")?;
    caller.principal.check_ente(&ente)?;
    let code: ServiceCode = parse(&path.1, "invalid_service_code")?;
    let body: SpontaneousRequestDto =
        serde_json::from_value(raw.0.clone()).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let scope = format!(
        "{}|{}|POST /entes/{ente}/services/{code}/requests",
        caller.principal.name,
        caller.citizen.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    crate::idempotency::once(&request, &state, scope, &raw, || {
        submit(caller, &state, ente, code, body)
    })
    .await
}

async fn submit(
    caller: MaybeCitizen,
    state: &ApiState,
    ente: EnteId,
    code: ServiceCode,
    body: SpontaneousRequestDto,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let values = body.text_values().map_err(DomainError::InvalidForm)?;
    let named = body
        .payer_fiscal_code
        .as_deref()
        .map(|code| parse::<FiscalCode>(code, "invalid_fiscal_code"))
        .transpose()?;
    // With a citizen token the position is the citizen's own; a payer named by the caller is
    // only a payer, never put in that citizen's list.
    let (debtor, debtor_verified) = match (&caller.citizen, named) {
        (Some(citizen), Some(named)) if &named != citizen => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "payer_mismatch",
                "payer_fiscal_code differs from the citizen of the token",
            ));
        }
        (Some(citizen), _) => (SubjectId::FiscalCode(citizen.clone()), true),
        (None, Some(named)) => (SubjectId::FiscalCode(named), false),
        (None, None) => (SubjectId::Anonymous, false),
    };
    let debtor_name = body
        .payer_name
        .as_deref()
        .map(|n| parse(n, "invalid_payer_name"))
        .transpose()?;
    let request = SpontaneousRequest {
        ente,
        service: code,
        debtor,
        debtor_verified,
        debtor_name,
        values,
    };
    let created = state.services.spontaneous.submit(request).await?;
    let payment = PaymentDto::first_option(&created.position)
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no option"))?;
    Ok((StatusCode::CREATED, serde_json::to_value(payment).unwrap_or_default()))
}

/// `GET /api/v1/entes/{ente}/notices/{notice}`: a notice by number, as printed on it (no
/// personal data), with whether it can be paid.
#[utoipa::path(get, path = "/api/v1/entes/{ente}/notices/{notice}", tag = "front-end", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"), ("notice" = String, Path, description = "The 18-digit notice number")),
    responses((status = 200, description = "The notice as printed, and whether it is payable", body = NoticeDto), (status = 404, body = Problem)))]
pub(crate) async fn get_notice(
    caller: FrontEnd,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ente: EnteId = parse(&path.0, "invalid_ente_id")?;
    caller.0.check_ente(&ente)?;
    let notice: NoticeNumber = parse(&path.1, "invalid_notice_number")?;
    let summary = state.services.positions.notice(&ente, &notice).await?;
    Ok(HttpResponse::Ok().json(NoticeDto::from(summary)))
}

/// Query of `GET /api/v1/me/positions`.
#[derive(Debug, serde::Deserialize)]
// Unknown query parameters are ignored, on every route alike (README).
pub(crate) struct PositionsQuery {
    /// Ask the Enti's back offices first (default: false, the stored positions only).
    #[serde(default)]
    refresh: bool,
}

/// `GET /api/v1/me/positions`: the citizen's positions across Enti; with `refresh=true` each
/// Ente's gestionale is asked first.
#[utoipa::path(get, path = "/api/v1/me/positions", tag = "citizen", security(("api_key" = [], "citizen_token" = [])),
    params(("refresh" = Option<bool>, Query, description = "Ask each Ente's back office first")),
    responses((status = 200, description = "The citizen's positions", body = MyPositionsDto), (status = 401, body = Problem)))]
pub(crate) async fn my_positions(
    citizen: Citizen,
    state: web::Data<ApiState>,
    query: web::Query<PositionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .services
        .positions
        .of_debtor(&citizen.fiscal_code, query.refresh)
        .await?;
    let now = state.ports.clock.now();
    Ok(HttpResponse::Ok().json(MyPositionsDto {
        positions: view
            .positions
            .iter()
            .filter(|p| citizen.principal.may_act_on(&p.ente))
            .map(|p| PositionDto::new(p, now))
            .collect(),
        stale_entes: view.stale.iter().map(ToString::to_string).collect(),
    }))
}

/// `GET /api/v1/me/receipts`: the citizen's receipts (as debtor), newest first, at most 1000.
#[utoipa::path(get, path = "/api/v1/me/receipts", tag = "citizen", security(("api_key" = [], "citizen_token" = [])),
    responses((status = 200, description = "The citizen's receipts, newest first", body = [ReceiptDto]), (status = 401, body = Problem)))]
pub(crate) async fn my_receipts(citizen: Citizen, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let query = ReceiptQuery {
        debtor: Some(citizen.fiscal_code.clone()),
        limit: MAX_PAGE,
        ..Default::default()
    };
    let page = state.ports.receipts.search(&query).await.map_err(DomainError::from)?;
    let mut receipts: Vec<ReceiptDto> = page
        .items
        .iter()
        .filter(|r| citizen.principal.may_act_on(&r.receipt.ente))
        .map(ReceiptDto::from)
        .collect();
    receipts.sort_by(|a, b| b.paid_at.cmp(&a.paid_at));
    Ok(HttpResponse::Ok().json(receipts))
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub(crate) async fn metrics(state: web::Data<ApiState>, metrics: Option<web::Data<crate::Metrics>>) -> HttpResponse {
    let backlog = state.ports.outbox.backlog().await.ok();
    let dead_letters = state.ports.outbox.dead_letters().await.ok();
    let body = metrics
        .map(|m| m.render_outbox(backlog, dead_letters))
        .unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

#[utoipa::path(post, path = "/api/v1/carts", tag = "front-end", security(("api_key" = []), ("api_key" = [], "citizen_token" = [])),
    request_body = StartCartDto,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key with the same body within 24 hours answers the same cart (header `Idempotent-Replayed: true`), without a second Checkout session; with another body 422 `idempotency_key_reused`")),
    responses((status = 201, description = "The cart, with the Checkout URL to send the browser to", body = CartDto),
        (status = 422, description = "`invalid_cart` (0 or more than 5 notices, a duplicate), a refusal by Checkout, or `idempotency_key_reused`", body = Problem),
        (status = 409, description = "A notice is paid, expired, cancelled or held by another cart; `idempotency_in_progress`", body = Problem),
        (status = 502, description = "Checkout is unavailable; the cart is stored as failed", body = Problem)))]
/// `POST /api/v1/carts`: starts a Checkout cart of 1..5 notices. With a citizen token, only that
/// citizen can read the cart afterwards.
pub(crate) async fn start_cart(
    request: HttpRequest,
    caller: MaybeCitizen,
    state: web::Data<ApiState>,
    raw: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let body: StartCartDto =
        serde_json::from_value(raw.0.clone()).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let notices = body
        .notices
        .iter()
        .map(|n| {
            let ente = parse::<EnteId>(&n.ente, "invalid_ente_id")?;
            caller.principal.check_ente(&ente)?;
            Ok((ente, parse::<NoticeNumber>(&n.notice_number, "invalid_notice_number")?))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let email = body.email.as_deref().map(|e| parse(e, "invalid_email")).transpose()?;
    let return_urls = pagopa_domain::ReturnUrls {
        ok: body.return_urls.ok,
        cancel: body.return_urls.cancel,
        error: body.return_urls.error,
        waiting: body.return_urls.waiting,
    };
    let scope = format!(
        "{}|{}|POST /carts",
        caller.principal.name,
        caller.citizen.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    let start = StartCart {
        notices,
        citizen: caller.citizen,
        email,
        return_urls,
    };
    crate::idempotency::once(&request, &state, scope, &raw, || async {
        let cart = state.services.carts.start(start).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(CartDto::from(&cart)).unwrap_or_default(),
        ))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/carts/{id}", tag = "front-end", security(("api_key" = []), ("api_key" = [], "citizen_token" = [])),
    params(("id" = String, Path, description = "The cart id")),
    responses((status = 200, description = "Where the cart stands, from the receipts received", body = CartDto), (status = 404, body = Problem)))]
/// `GET /api/v1/carts/{id}`: the cart's status, decided by the receipts (never by the
/// browser's return). A cart started by a citizen is found only with that citizen's token.
pub(crate) async fn get_cart(
    caller: MaybeCitizen,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CartId = parse(&path, "invalid_cart_id")?;
    let cart = state.services.carts.status(&id, caller.citizen.as_ref()).await?;
    if cart.citizen.is_some() && caller.citizen.is_none() {
        return Err(ApiError::not_found(format!("cart {id}")));
    }
    // A key limited to some Enti sees only carts whose every notice is of those Enti.
    if cart.items.iter().any(|item| !caller.principal.may_act_on(&item.ente)) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "forbidden_ente",
            "this key may not act on an Ente of this cart",
        ));
    }
    Ok(HttpResponse::Ok().json(CartDto::from(&cart)))
}
