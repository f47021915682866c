//! [`FakeHttpGestionale`]: a gestionale on a local port that speaks the reference contract of
//! `docs/gestionale-http.md`, backed by a [`MemoryGestionale`], with fault injection, an
//! optional credential and webhook-signature check, and a count of distinct idempotency keys.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pagopa_domain::ports::{Gestionale, GestionaleError, GestionaleQuote, PricingRequest};
use pagopa_domain::{EnteId, FiscalCode, NoticeNumber, PositionDraft};
use pagopa_gestionale_http::WebhookSigner;
use pagopa_gestionale_http::dto::{
    CancellationNotificationDto, ExpiryNotificationDto, PaymentNotificationDto, PositionDto, PositionsDto,
    PricingRequestDto, QuoteDto, RefusalDto,
};

use crate::backend::{Backend, Fault};
use crate::memory::MemoryGestionale;

/// A request the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct SeenRequest {
    /// The method.
    pub method: String,
    /// The path (under the base URL).
    pub path: String,
    /// The `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
    /// Whether a webhook signature was present and valid (`None`: none was checked).
    pub signature_valid: Option<bool>,
    /// The body, when it was JSON.
    pub body: Option<serde_json::Value>,
}

/// A notification the fake answered (a `POST` with an `Idempotency-Key`): when its request
/// arrived and when its answer was ready, to check that two senders never had the same message
/// in flight at once, and in which order a position's events came.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The `Idempotency-Key`.
    pub idempotency_key: String,
    /// The path (under the base URL).
    pub path: String,
    /// The status answered: `201` the first time a payment is taken, `409` a repeat, `503`
    /// while down, ….
    pub status: u16,
    /// When the request arrived.
    pub started: Instant,
    /// When its answer was ready.
    pub ended: Instant,
    /// The body, when it was JSON.
    pub body: Option<serde_json::Value>,
    /// The `Authorization` header, if any: which sender it was, when each has its own token.
    pub authorization: Option<String>,
}

#[derive(Default)]
struct Shared {
    fault: Option<Fault>,
    keys: HashSet<String>,
    seen: Vec<SeenRequest>,
    deliveries: Vec<Delivery>,
    /// Answer each notification this many times with 500 before taking it (a flaky gestionale).
    fail_first: u32,
    failures: u32,
}

struct State {
    memory: Arc<MemoryGestionale>,
    shared: Mutex<Shared>,
    token: Option<String>,
    signer: Option<WebhookSigner>,
}

impl State {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake HTTP gestionale on `127.0.0.1` (its own thread and runtime, so any test runtime can
/// use it). [`FakeHttpGestionale::backend`] is the [`Backend`] the contract suite drives.
///
/// - Faults: `Down` answers 503, `ServerError` 500, `Html` an HTML page with 200, `WrongSchema`
///   `{"unexpected": true}` with 200, `Slow(d)` the contract's answer after `d`.
/// - Duplicates: a repeated `Idempotency-Key` on `…/payments` is answered `409` (already
///   known), as the contract allows; [`Backend::distinct_payments`] counts distinct keys.
/// - With [`with_token`](Self::with_token) a wrong `Authorization: Bearer` is `401`; with
///   [`with_webhook_secret`](Self::with_webhook_secret) a notification without a valid
///   Standard Webhooks signature is `401`.
/// - Timing: [`deliveries`](Self::deliveries) has every notification's key, status, and the
///   instants its request arrived and its answer was ready.
pub struct FakeHttpGestionale {
    addr: SocketAddr,
    state: web::Data<State>,
}

impl std::fmt::Debug for FakeHttpGestionale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHttpGestionale")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The options of a fake before it starts.
#[derive(Debug, Default)]
pub struct FakeOptions {
    token: Option<String>,
    secret: Option<String>,
}

impl FakeHttpGestionale {
    /// A fake that takes any caller.
    pub fn start() -> Self {
        Self::start_with(FakeOptions::default())
    }

    /// A fake that wants `Authorization: Bearer <token>`.
    pub fn with_token(token: &str) -> FakeOptions {
        FakeOptions {
            token: Some(token.to_owned()),
            secret: None,
        }
    }

    /// A fake that wants a Standard Webhooks signature with `secret` on notifications.
    pub fn with_webhook_secret(secret: &str) -> FakeOptions {
        FakeOptions {
            token: None,
            secret: Some(secret.to_owned()),
        }
    }

    /// A fake with `options`.
    pub fn start_with(options: FakeOptions) -> Self {
        let signer = options.secret.as_deref().map(|secret| {
            WebhookSigner::from_secret(secret).unwrap_or_else(|e| panic!("the fake's webhook secret: {e}"))
        });
        let state = web::Data::new(State {
            memory: Arc::new(MemoryGestionale::default()),
            shared: Mutex::new(Shared::default()),
            token: options.token,
            signer,
        });
        let data = state.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server =
                    HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(answer)))
                        .workers(2)
                        .disable_signals()
                        .shutdown_timeout(0)
                        .bind(("127.0.0.1", 0));
                let server = match server {
                    Ok(server) => server,
                    Err(e) => panic!("the fake gestionale cannot listen: {e}"),
                };
                let _ = sender.send(server.addrs()[0]);
                let _ = server.run().await;
            });
        });
        let addr = receiver
            .recv()
            .unwrap_or_else(|e| panic!("the fake gestionale did not start: {e}"));
        Self { addr, state }
    }

    /// The base URL to configure the adapter with.
    pub fn base_url(&self) -> String {
        format!("http://{}/pagopa/v1", self.addr)
    }

    /// Its backend, for [`Subject`](crate::Subject).
    pub fn backend(&self) -> Arc<dyn Backend> {
        Arc::new(FakeBackend(self.state.clone()))
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.state.shared().seen.clone()
    }

    /// The notifications answered so far, in the order their answers were ready.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.shared().deliveries.clone()
    }

    /// The distinct payments stored.
    pub fn payments(&self) -> Vec<pagopa_domain::PaymentNotification> {
        self.state.memory.payments()
    }

    /// Answers the first `n` notifications of each key with 500 (a flaky gestionale).
    pub fn fail_first_notifications(&self, n: u32) {
        self.state.shared().fail_first = n;
    }
}

struct FakeBackend(web::Data<State>);

impl Backend for FakeBackend {
    fn hold_positions(&self, ente: &EnteId, debtor: &FiscalCode, drafts: Vec<PositionDraft>) {
        self.0.memory.hold_positions(ente, debtor, drafts);
    }
    fn hold_notice(&self, ente: &EnteId, draft: PositionDraft) {
        self.0.memory.hold_notice(ente, draft);
    }
    fn set_quote(&self, service: &str, quote: GestionaleQuote) {
        self.0.memory.set_quote(service, quote);
    }
    fn set_fault(&self, fault: Fault) {
        self.0.shared().fault = Some(fault);
    }
    fn supports(&self, _: Fault) -> bool {
        true
    }
    fn distinct_payments(&self) -> usize {
        self.0.shared().keys.len()
    }
    fn received_payments(&self) -> usize {
        self.0
            .shared()
            .seen
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/payments"))
            .count()
    }
}

fn json(status: u16, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)).json(body)
}

fn refusal(status: u16, reason: &str) -> HttpResponse {
    json(
        status,
        &RefusalDto {
            reason: reason.to_owned(),
            fields: Vec::new(),
        },
    )
}

fn header(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// [`respond`], timing the notifications.
async fn answer(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let started = Instant::now();
    let key = header(&request, "idempotency-key").filter(|_| request.method() == actix_web::http::Method::POST);
    let Some(idempotency_key) = key else {
        return respond(request, body, state).await;
    };
    let path = request.path().trim_start_matches("/pagopa/v1").to_owned();
    let json = serde_json::from_slice(&body).ok();
    let authorization = header(&request, "authorization");
    let response = respond(request, body, state.clone()).await;
    state.shared().deliveries.push(Delivery {
        idempotency_key,
        path,
        status: response.status().as_u16(),
        started,
        ended: Instant::now(),
        body: json,
        authorization,
    });
    response
}

async fn respond(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = request.path().trim_start_matches("/pagopa/v1").to_owned();
    let method = request.method().to_string();
    let key = header(&request, "idempotency-key");
    let signature_valid = match (&state.signer, header(&request, "webhook-signature")) {
        (Some(signer), Some(signature)) => {
            let id = header(&request, "webhook-id").unwrap_or_default();
            let timestamp = header(&request, "webhook-timestamp")
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or_default();
            Some(signer.verify(&id, timestamp, &body, &signature))
        }
        (Some(_), None) if method == "POST" && key.is_some() => Some(false),
        _ => None,
    };
    let fault = {
        let mut shared = state.shared();
        shared.seen.push(SeenRequest {
            method: method.clone(),
            path: path.clone(),
            idempotency_key: key.clone(),
            signature_valid,
            body: serde_json::from_slice(&body).ok(),
        });
        shared.fault
    };
    match fault {
        Some(Fault::Down) => return refusal(503, "down for maintenance"),
        Some(Fault::ServerError) => return refusal(500, "internal error"),
        Some(Fault::Html) => {
            return HttpResponse::Ok()
                .content_type("text/html")
                .body("<!DOCTYPE html><html><body>Accesso richiesto</body></html>");
        }
        Some(Fault::WrongSchema) => return json(200, &serde_json::json!({ "unexpected": true })),
        Some(Fault::Slow(delay)) => actix_web::rt::time::sleep(delay).await,
        Some(Fault::None) | None => {}
    }
    if let Some(token) = &state.token
        && header(&request, "authorization").as_deref() != Some(format!("Bearer {token}").as_str())
    {
        return refusal(401, "missing or wrong credential");
    }
    if signature_valid == Some(false) {
        return refusal(401, "missing or wrong webhook signature");
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ente = |raw: &str| raw.parse::<EnteId>().ok();
    let memory = state.memory.clone();
    let known_ente = |raw: &str| ente(raw).map(served_as_comune);
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["entes", e, "debtors", debtor, "positions"]) => {
            let (Some(ente), Ok(debtor)) = (known_ente(e), debtor.parse::<FiscalCode>()) else {
                return refusal(400, "bad path");
            };
            match memory.debtor_positions(&ente, &debtor).await {
                Ok(drafts) if drafts.is_empty() => HttpResponse::NotFound().finish(),
                Ok(drafts) => json(200, &PositionsDto::from_drafts(&drafts)),
                Err(error) => refusal(500, &error.to_string()),
            }
        }
        ("GET", ["entes", e, "notices", notice]) => {
            let (Some(ente), Ok(notice)) = (known_ente(e), notice.parse::<NoticeNumber>()) else {
                return refusal(400, "bad path");
            };
            match memory.notice(&ente, &notice).await {
                Ok(Some(draft)) => json(200, &PositionDto::from_draft(&draft)),
                Ok(None) => HttpResponse::NotFound().finish(),
                Err(error) => refusal(500, &error.to_string()),
            }
        }
        ("POST", ["entes", e, "pricing"]) => {
            let Some(ente) = ente(e) else {
                return refusal(400, "bad path");
            };
            let Ok(request) = serde_json::from_slice::<PricingRequestDto>(&body)
                .map_err(|e| e.to_string())
                .and_then(|dto| dto.to_request(ente).map_err(|e| e.to_string()))
            else {
                return refusal(400, "not a pricing request");
            };
            price(&memory, &request).await
        }
        ("POST", ["entes", _, "payments"]) => {
            let Ok(notification) = serde_json::from_slice::<PaymentNotificationDto>(&body)
                .map_err(|e| e.to_string())
                .and_then(|dto| dto.to_notification().map_err(|e| e.to_string()))
            else {
                return refusal(400, "not a payment notification");
            };
            let key = key.unwrap_or_else(|| format!("{}:{}", notification.ente, notification.receipt_id));
            {
                let mut shared = state.shared();
                if shared.failures < shared.fail_first {
                    shared.failures += 1;
                    return refusal(500, "flaky");
                }
                shared.failures = 0;
            }
            let _ = memory.notify_payment(&notification).await;
            if state.shared().keys.insert(key) {
                HttpResponse::Created().finish()
            } else {
                refusal(409, "already known")
            }
        }
        ("POST", ["entes", _, "cancellations"]) => match serde_json::from_slice::<CancellationNotificationDto>(&body) {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(_) => refusal(400, "not a cancellation notice"),
        },
        ("POST", ["entes", _, "expirations"]) => {
            let Ok(dto) = serde_json::from_slice::<ExpiryNotificationDto>(&body) else {
                return refusal(400, "not an expiry notice");
            };
            let _ = dto;
            HttpResponse::NoContent().finish()
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

async fn price(memory: &MemoryGestionale, request: &PricingRequest) -> HttpResponse {
    match memory.price(request).await {
        Ok(quote) => json(200, &QuoteDto::from_quote(&quote)),
        Err(GestionaleError::Rejected { reason, .. }) => refusal(422, &reason),
        Err(error) => refusal(500, &error.to_string()),
    }
}

/// The demo Comune's settings under another id: the fake keys what it holds by Ente id only.
fn served_as_comune(id: EnteId) -> pagopa_domain::Ente {
    let mut ente = pagopa_domain::demo::comune();
    ente.id = id;
    ente
}
