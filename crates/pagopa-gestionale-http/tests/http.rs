//! The adapter against a local fake gestionale that implements the contract of
//! `docs/gestionale-http.md` (no internet): what it sends, and how each kind of answer is mapped.
//! The last tests run the domain's own services over the adapter.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{TimeZone, Utc};
use pagopa_domain::demo::{self, COMUNE, DEBTOR, OTHER_DEBTOR};
use pagopa_domain::memory::{FakeCheckout, ManualClock, MemoryStore, MemoryWorld, SequentialIds};
use pagopa_domain::ports::{Gestionale, GestionaleError, GestionaleQuote, Ports, PricingRequest};
use pagopa_domain::services::Services;
use pagopa_domain::{
    AmountCents, EnteId, FieldError, FieldProblem, FiscalCode, OutboxEvent, PaymentNotification, ReceiptDisposition,
    Transfer,
};
use pagopa_gestionale_http::dto::{PaymentNotificationDto, PositionsDto, PricingRequestDto, QuoteDto, RefusalDto};
use pagopa_gestionale_http::{GestionaleFailure, GestionaleHttp, GestionaleHttpSettings, WebhookSigner};
use pagopa_http_client::stand_in::StandIn;
use serde_json::{Value, json};

const TOKEN: &str = "g3st-t0ken";

/// How the fake answers every request, instead of following the contract.
#[derive(Clone, Debug)]
enum Override {
    /// This status and body.
    Status(u16, &'static str),
    /// The contract's answer, after this delay.
    Slow(Duration),
}

/// A request the fake received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    api_key: Option<String>,
    idempotency_key: Option<String>,
    accept: Option<String>,
    content_type: Option<String>,
    body: Option<Value>,
    raw_body: Vec<u8>,
    webhook: [Option<String>; 3],
}

struct State {
    /// The credential header and the value it must carry, if the fake checks one.
    credential: Option<(&'static str, String)>,
    answer: Option<Override>,
    seen: Mutex<Vec<Seen>>,
    /// Notifications by receipt id, each kept once.
    payments: Mutex<BTreeMap<String, PaymentNotification>>,
}

struct Fake {
    addr: SocketAddr,
    stand_in: StandIn<State>,
}

impl Fake {
    async fn start(credential: Option<(&'static str, String)>, mode: Option<Override>) -> Self {
        let stand_in = StandIn::start(
            State {
                credential,
                answer: mode,
                seen: Mutex::new(Vec::new()),
                payments: Mutex::new(BTreeMap::new()),
            },
            answer,
        )
        .unwrap();
        Self {
            addr: stand_in.addr(),
            stand_in,
        }
    }

    /// A fake that wants `Authorization: Bearer TOKEN` and follows the contract.
    async fn contract() -> Self {
        Self::start(Some(("authorization", format!("Bearer {TOKEN}"))), None).await
    }

    /// A fake that answers every request with `status` and `body`.
    async fn answering(status: u16, body: &'static str) -> Self {
        Self::start(None, Some(Override::Status(status, body))).await
    }

    fn settings(&self) -> GestionaleHttpSettings {
        GestionaleHttpSettings {
            token: Some(TOKEN.into()),
            ..GestionaleHttpSettings::new(format!("http://{}/pagopa/v1/", self.addr))
        }
    }

    fn client(&self) -> GestionaleHttp {
        GestionaleHttp::new(self.settings()).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stand_in.state().seen.lock().unwrap().clone()
    }

    fn payments(&self) -> Vec<PaymentNotification> {
        self.stand_in
            .state()
            .payments
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect()
    }

    async fn stop(self) {
        self.stand_in.stop().await;
    }
}

fn json_answer(status: u16, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap()).json(body)
}

fn refusal(status: u16, reason: &str, fields: Vec<FieldError>) -> HttpResponse {
    json_answer(
        status,
        &RefusalDto {
            reason: reason.into(),
            fields,
        },
    )
}

async fn answer(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    state.seen.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        authorization: header("authorization"),
        api_key: header("x-api-key"),
        idempotency_key: header("idempotency-key"),
        accept: header("accept"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).ok(),
        raw_body: body.to_vec(),
        webhook: [
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
        ],
    });
    match &state.answer {
        Some(Override::Status(status, body)) => {
            return HttpResponse::build(StatusCode::from_u16(*status).unwrap())
                .content_type("application/json")
                .body(*body);
        }
        Some(Override::Slow(delay)) => actix_web::rt::time::sleep(*delay).await,
        None => {}
    }
    if let Some((name, value)) = &state.credential
        && header(name).as_deref() != Some(value.as_str())
    {
        return refusal(401, "missing or wrong credential", Vec::new());
    }
    let path = request.path().trim_start_matches("/pagopa/v1/");
    let parts: Vec<&str> = path.split('/').collect();
    match (request.method().as_str(), parts.as_slice()) {
        ("GET", ["entes", ente, "debtors", debtor, "positions"]) => {
            if *ente == COMUNE && *debtor == DEBTOR {
                json_answer(200, &PositionsDto::from_drafts(&[demo::tari(), demo::imu_plan()]))
            } else {
                HttpResponse::NotFound().finish()
            }
        }
        ("POST", ["entes", ente, "pricing"]) => {
            let ente: EnteId = ente.parse().unwrap();
            let Ok(dto) = serde_json::from_slice::<PricingRequestDto>(&body) else {
                return refusal(400, "not a pricing request", Vec::new());
            };
            let request = dto.to_request(ente.clone()).unwrap();
            match (request.service.as_str(), request.values.get("targa")) {
                ("PASSO-CARRABILE", Some(plate)) if plate.starts_with("AB") => {
                    json_answer(200, &QuoteDto::from_quote(&quote(&ente)))
                }
                ("PASSO-CARRABILE", _) => refusal(
                    422,
                    "La targa non risulta registrata",
                    vec![FieldError {
                        field: "targa".into(),
                        problem: FieldProblem::Pattern,
                    }],
                ),
                _ => HttpResponse::NotImplemented().finish(),
            }
        }
        ("POST", ["entes", _, "payments"]) => {
            let Ok(notification) = serde_json::from_slice::<PaymentNotificationDto>(&body)
                .map_err(|e| e.to_string())
                .and_then(|dto| dto.to_notification().map_err(|e| e.to_string()))
            else {
                return refusal(400, "not a payment notification", Vec::new());
            };
            // Idempotent on (Ente, receipt id): a repeat is acknowledged with 409 and changes
            // nothing.
            match state
                .payments
                .lock()
                .unwrap()
                .entry(format!("{}:{}", notification.ente, notification.receipt_id))
            {
                Entry::Occupied(_) => refusal(409, "already known", Vec::new()),
                Entry::Vacant(slot) => {
                    slot.insert(notification);
                    HttpResponse::Created().finish()
                }
            }
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

/// The fake's price of a driveway permit: 50.00, 40.00 to the Comune and 10.00 to the Provincia.
fn quote(ente: &EnteId) -> GestionaleQuote {
    let mut transfers: Vec<Transfer> = demo::tari().options[0].transfers.clone();
    transfers[0].ente = ente.clone();
    transfers[0].amount = AmountCents::new(4_000).unwrap();
    transfers[1].amount = AmountCents::new(1_000).unwrap();
    GestionaleQuote {
        amount: AmountCents::new(5_000).unwrap(),
        description: Some("Passo carrabile AB123CD 2026".parse().unwrap()),
        transfers: Some(transfers),
    }
}

fn debtor() -> FiscalCode {
    DEBTOR.parse().unwrap()
}

fn pricing(plate: &str) -> PricingRequest {
    PricingRequest {
        ente: COMUNE.parse().unwrap(),
        service: "PASSO-CARRABILE".parse().unwrap(),
        debtor: Some(debtor()),
        values: BTreeMap::from([("targa".to_owned(), plate.to_owned())]),
    }
}

fn notification(receipt_id: &str) -> PaymentNotification {
    let notice = demo::comune_notice(2_601_000_004_711);
    PaymentNotification {
        receipt_id: receipt_id.parse().unwrap(),
        ente: COMUNE.parse().unwrap(),
        iuv: notice.iuv(),
        notice_number: notice,
        iupd: Some("TARI-2026-4711".parse().unwrap()),
        amount: AmountCents::new(24_570).unwrap(),
        paid_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        disposition: ReceiptDisposition::Settled,
        psp_name: "Banca Esempio S.p.A.".into(),
    }
}

fn failure(error: GestionaleError) -> GestionaleFailure {
    match error {
        GestionaleError::Unavailable(source) => *source.downcast::<GestionaleFailure>().unwrap(),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[actix_web::test]
async fn positions_are_fetched_with_the_bearer_token() {
    let fake = Fake::contract().await;

    let drafts = fake
        .client()
        .debtor_positions(&demo::comune(), &debtor())
        .await
        .unwrap();

    assert_eq!(drafts, vec![demo::tari(), demo::imu_plan()]);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!("/pagopa/v1/entes/{COMUNE}/debtors/{DEBTOR}/positions")
    );
    assert_eq!(request.authorization.as_deref(), Some("Bearer g3st-t0ken"));
    assert_eq!(request.accept.as_deref(), Some("application/json"));
    assert!(request.body.is_none());
    fake.stop().await;
}

#[actix_web::test]
async fn a_404_is_no_positions() {
    let fake = Fake::contract().await;

    let other: FiscalCode = OTHER_DEBTOR.parse().unwrap();
    let drafts = fake.client().debtor_positions(&demo::comune(), &other).await.unwrap();

    assert!(drafts.is_empty());
    assert_eq!(
        fake.seen()[0].path,
        format!("/pagopa/v1/entes/{COMUNE}/debtors/{OTHER_DEBTOR}/positions")
    );
    fake.stop().await;
}

#[actix_web::test]
async fn a_501_is_unsupported() {
    let fake = Fake::answering(501, "").await;
    let client = fake.client();

    assert!(matches!(
        client.debtor_positions(&demo::comune(), &debtor()).await,
        Err(GestionaleError::Unsupported)
    ));
    assert!(matches!(
        client.price(&pricing("AB123CD")).await,
        Err(GestionaleError::Unsupported)
    ));
    assert!(matches!(
        client.notify_payment(&notification("r-1")).await,
        Err(GestionaleError::Unsupported)
    ));
    fake.stop().await;
}

#[actix_web::test]
async fn invalid_positions_are_a_protocol_error() {
    let fake = Fake::answering(
        200,
        r#"{"positions": [{"iupd": "TARI-1", "description": "TARI", "options": [],
            "debtor": {"fiscalCode": "VRDGPP80A01B157X", "fullName": "Giuseppe Verdi"}}]}"#,
    )
    .await;

    let error = fake
        .client()
        .debtor_positions(&demo::comune(), &debtor())
        .await
        .unwrap_err();

    match error {
        GestionaleError::Protocol(message) => {
            assert_eq!(message, "positions[0].options: a position needs at least one option");
        }
        other => panic!("{other:?}"),
    }
    fake.stop().await;
}

#[actix_web::test]
async fn a_request_is_priced() {
    let fake = Fake::contract().await;

    let quote_got = fake.client().price(&pricing("AB123CD")).await.unwrap();

    assert_eq!(quote_got, quote(&COMUNE.parse().unwrap()));
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, format!("/pagopa/v1/entes/{COMUNE}/pricing"));
    assert!(seen[0].content_type.as_deref().unwrap().starts_with("application/json"));
    assert_eq!(
        seen[0].body.as_ref().unwrap(),
        &json!({"service": "PASSO-CARRABILE", "debtor": DEBTOR, "values": {"targa": "AB123CD"}})
    );
    fake.stop().await;
}

#[actix_web::test]
async fn a_422_is_a_refusal_with_field_errors() {
    let fake = Fake::contract().await;

    let error = fake.client().price(&pricing("ZZ999ZZ")).await.unwrap_err();

    match error {
        GestionaleError::Rejected { reason, fields } => {
            assert_eq!(reason, "La targa non risulta registrata");
            assert_eq!(
                fields,
                vec![FieldError {
                    field: "targa".into(),
                    problem: FieldProblem::Pattern
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    fake.stop().await;
}

#[actix_web::test]
async fn a_payment_is_acknowledged_once_and_a_repeat_is_ok() {
    let fake = Fake::contract().await;
    let client = fake.client();

    client.notify_payment(&notification("c2e0f1a4b5d6")).await.unwrap();
    client.notify_payment(&notification("c2e0f1a4b5d6")).await.unwrap();

    assert_eq!(fake.payments(), vec![notification("c2e0f1a4b5d6")]);
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, format!("/pagopa/v1/entes/{COMUNE}/payments"));
        assert_eq!(
            request.idempotency_key.as_deref(),
            Some(format!("{COMUNE}:c2e0f1a4b5d6").as_str())
        );
        assert_eq!(request.authorization.as_deref(), Some("Bearer g3st-t0ken"));
    }
    assert_eq!(
        seen[0].body.as_ref().unwrap(),
        &json!({
            "receiptId": "c2e0f1a4b5d6", "ente": COMUNE, "noticeNumber": "305260100000471130",
            "iuv": "05260100000471130", "iupd": "TARI-2026-4711", "amount": 24570,
            "paidAt": "2026-11-25T10:00:00Z", "disposition": "settled", "settledBy": null,
            "expectedAmount": null, "otherReceipts": null, "problem": null,
            "pspName": "Banca Esempio S.p.A.", "needsReview": false
        })
    );
    fake.stop().await;
}

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[actix_web::test]
async fn notifications_are_signed_per_standard_webhooks() {
    let fake = Fake::contract().await;
    let client = GestionaleHttp::new(GestionaleHttpSettings {
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        ..fake.settings()
    })
    .unwrap();
    client.notify_payment(&notification("c2e0f1a4b5d6")).await.unwrap();
    client.debtor_positions(&demo::comune(), &debtor()).await.unwrap();

    let seen = fake.seen();
    let [id, timestamp, signature] = seen[0].webhook.clone().map(Option::unwrap);
    assert_eq!(id, format!("{COMUNE}:c2e0f1a4b5d6"), "the id is the idempotency key");
    let timestamp: i64 = timestamp.parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - timestamp).abs() < 60, "{timestamp}");
    let signer = WebhookSigner::from_secret(WEBHOOK_SECRET).unwrap();
    assert!(signature.starts_with("v1,"), "{signature}");
    assert!(signer.verify(&id, timestamp, &seen[0].raw_body, &signature));
    assert!(!signer.verify(&id, timestamp + 1, &seen[0].raw_body, &signature));
    // Only notifications are signed; a lookup has no body to sign.
    assert_eq!(seen[1].webhook, [None, None, None]);
    fake.stop().await;
}

#[actix_web::test]
async fn without_a_secret_notifications_are_unsigned_and_a_bad_secret_is_refused() {
    let fake = Fake::contract().await;
    fake.client()
        .notify_payment(&notification("c2e0f1a4b5d6"))
        .await
        .unwrap();
    assert_eq!(fake.seen()[0].webhook, [None, None, None]);
    let bad = GestionaleHttp::new(GestionaleHttpSettings {
        webhook_secret: Some("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        ..fake.settings()
    });
    assert!(bad.unwrap_err().to_string().contains("webhook secret"));
    fake.stop().await;
}

#[actix_web::test]
async fn a_400_to_a_payment_is_a_refusal() {
    let fake = Fake::answering(400, r#"{"reason": "ente sconosciuto"}"#).await;

    let error = fake.client().notify_payment(&notification("r-2")).await.unwrap_err();

    assert!(
        matches!(&error, GestionaleError::Rejected { reason, fields } if reason == "ente sconosciuto" && fields.is_empty()),
        "{error:?}"
    );
    fake.stop().await;
}

#[actix_web::test]
async fn a_500_is_unavailable_and_not_retried() {
    let fake = Fake::answering(500, r#"{"title": "Internal Server Error"}"#).await;
    let client = fake.client();

    let errors = [
        client.debtor_positions(&demo::comune(), &debtor()).await.unwrap_err(),
        client.price(&pricing("AB123CD")).await.unwrap_err(),
        client.notify_payment(&notification("r-3")).await.unwrap_err(),
    ];

    for error in errors {
        match failure(error) {
            GestionaleFailure::Status { status, detail } => {
                assert_eq!(status, 500);
                assert_eq!(detail, "Internal Server Error");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(fake.seen().len(), 3, "one request per call");
    fake.stop().await;
}

#[actix_web::test]
async fn a_wrong_token_is_unavailable_not_a_refusal() {
    let fake = Fake::contract().await;
    let client = GestionaleHttp::new(GestionaleHttpSettings {
        token: Some("wrong".into()),
        ..fake.settings()
    })
    .unwrap();

    let error = client.price(&pricing("AB123CD")).await.unwrap_err();

    assert!(matches!(failure(error), GestionaleFailure::Status { status: 401, .. }));
    assert_eq!(fake.seen()[0].authorization.as_deref(), Some("Bearer wrong"));
    fake.stop().await;
}

#[actix_web::test]
async fn a_custom_header_carries_the_token_as_is() {
    let fake = Fake::start(Some(("x-api-key", TOKEN.to_owned())), None).await;
    let client = GestionaleHttp::new(GestionaleHttpSettings {
        header: "X-Api-Key".into(),
        ..fake.settings()
    })
    .unwrap();

    client.notify_payment(&notification("r-4")).await.unwrap();

    let seen = fake.seen();
    assert_eq!(seen[0].api_key.as_deref(), Some(TOKEN));
    assert_eq!(seen[0].authorization, None);
    fake.stop().await;
}

#[actix_web::test]
async fn without_a_token_no_credential_is_sent() {
    let fake = Fake::start(None, None).await;
    let client = GestionaleHttp::new(GestionaleHttpSettings::new(format!("http://{}/pagopa/v1", fake.addr))).unwrap();

    client.notify_payment(&notification("r-5")).await.unwrap();

    assert_eq!(fake.seen()[0].authorization, None);
    fake.stop().await;
}

#[actix_web::test]
async fn a_slow_gestionale_times_out() {
    let fake = Fake::start(None, Some(Override::Slow(Duration::from_secs(3)))).await;
    let client = GestionaleHttp::new(GestionaleHttpSettings {
        timeout_ms: 200,
        ..fake.settings()
    })
    .unwrap();

    let started = Instant::now();
    let error = client.notify_payment(&notification("r-6")).await.unwrap_err();

    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    match failure(error) {
        GestionaleFailure::Timeout { timeout_ms, .. } => assert_eq!(timeout_ms, 200),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(fake.seen().len(), 1, "no retry");
    fake.stop().await;
}

#[actix_web::test]
async fn nobody_listening_is_unavailable() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = GestionaleHttp::new(GestionaleHttpSettings::new(format!("http://{addr}"))).unwrap();

    let error = client.debtor_positions(&demo::comune(), &debtor()).await.unwrap_err();

    let failure = failure(error);
    assert!(matches!(failure, GestionaleFailure::Transport(_)), "{failure:?}");
    // The URL, with the debtor's fiscal code in it, stays out of the error.
    let text = format!("{failure:?} {failure}");
    assert!(!text.contains(DEBTOR), "{text}");
}

/// The domain's services over a memory store, with the adapter as their gestionale.
async fn services_over(fake: &Fake) -> (Services, Ports) {
    let ports = Ports::with_storage(
        Arc::new(MemoryStore::default()),
        Arc::new(fake.client()),
        Arc::new(FakeCheckout::default()),
        Arc::new(ManualClock::new(MemoryWorld::start_time())),
        Arc::new(SequentialIds::default()),
    );
    ports.entes.upsert(&demo::comune()).await.unwrap();
    (Services::new(ports.clone()), ports)
}

#[actix_web::test]
async fn the_positions_service_merges_what_the_gestionale_holds() {
    let fake = Fake::contract().await;
    let (services, _) = services_over(&fake).await;

    let mine = services.positions.of_debtor(&debtor(), true).await.unwrap();

    assert!(mine.stale.is_empty(), "{:?}", mine.stale);
    let iupds: Vec<&str> = mine.positions.iter().map(|p| p.iupd.as_str()).collect();
    assert_eq!(iupds.len(), 2, "{iupds:?}");
    assert!(
        iupds.contains(&"TARI-2026-4711") && iupds.contains(&"IMU-2026-5000"),
        "{iupds:?}"
    );
    fake.stop().await;
}

#[actix_web::test]
async fn the_outbox_delivers_through_the_adapter_and_retries_a_failure() {
    let fake = Fake::contract().await;
    let (services, ports) = services_over(&fake).await;
    let now = MemoryWorld::start_time();
    let event = OutboxEvent::PaymentReceived(notification("c2e0f1a4b5d6"));

    ports.outbox.enqueue(std::slice::from_ref(&event), now).await.unwrap();
    let report = services.notifier.dispatch_once("worker-1", 10).await.unwrap();

    assert_eq!((report.delivered, report.rescheduled), (1, 0));
    assert_eq!(fake.payments(), vec![notification("c2e0f1a4b5d6")]);
    assert_eq!(ports.outbox.backlog().await.unwrap(), 0);
    fake.stop().await;

    // To a gestionale that is down, the message is rescheduled, not lost.
    let down = Fake::answering(503, "").await;
    let (services, ports) = services_over(&down).await;
    ports.outbox.enqueue(&[event], now).await.unwrap();
    let report = services.notifier.dispatch_once("worker-1", 10).await.unwrap();
    assert_eq!((report.delivered, report.rescheduled), (0, 1));
    assert_eq!(ports.outbox.backlog().await.unwrap(), 1);
    down.stop().await;
}

#[actix_web::test]
async fn expiry_notices_are_sent_only_to_a_gestionale_that_takes_them() {
    let fake = Fake::answering(204, "").await;
    let notice = pagopa_domain::ExpiryNotification {
        ente: COMUNE.parse().unwrap(),
        iupd: "MENSA-2025-03".parse().unwrap(),
        notices: vec![demo::comune_notice(2_503_000_001_942)],
        last_due_date: chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
        expired_at: Utc.with_ymd_and_hms(2025, 4, 30, 22, 5, 0).unwrap(),
    };
    assert!(matches!(
        fake.client().notify_expiry(&notice).await,
        Err(GestionaleError::Unsupported)
    ));
    assert!(fake.seen().is_empty(), "nothing sent by default");

    let client = GestionaleHttp::new(GestionaleHttpSettings {
        expirations: true,
        ..fake.settings()
    })
    .unwrap();
    client.notify_expiry(&notice).await.unwrap();
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, format!("/pagopa/v1/entes/{COMUNE}/expirations"));
    assert_eq!(
        seen[0].idempotency_key.as_deref(),
        Some(format!("{COMUNE}:expiry:MENSA-2025-03:2025-04-30").as_str())
    );
    assert_eq!(
        seen[0].body.as_ref().unwrap(),
        &json!({
            "ente": COMUNE, "iupd": "MENSA-2025-03", "noticeNumbers": [demo::comune_notice(2_503_000_001_942).to_string()],
            "lastDueDate": "2025-04-30", "expiredAt": "2025-04-30T22:05:00Z"
        })
    );
    fake.stop().await;
}
