//! The Checkout carts client against a local stand-in for Checkout (no internet): what it sends,
//! and how each kind of answer is mapped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::ports::{CheckoutCart, CheckoutError, CheckoutNotice, PagoPaCheckout};
use pagopa_domain::{AmountCents, ReturnUrls};
use pagopa_http_client::stand_in::StandIn;
use pagopa_nodo::checkout::{CheckoutClient, CheckoutFailure, CheckoutSettings, CheckoutVersion};
use serde_json::{Value, json};

const KEY: &str = "test-subscription-key";

/// How the stand-in answers `POST …/carts`.
#[derive(Clone, Debug)]
enum Reply {
    /// 302 to `/checkout-page` on the stand-in itself (which records a visit if it is followed).
    Redirect,
    /// 302 without `Location`.
    RedirectWithoutLocation,
    /// This status and JSON body.
    Status(u16, &'static str),
    /// 302 after this delay.
    Slow(Duration),
}

/// A request the stand-in received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    key: Option<String>,
    content_type: Option<String>,
    body: Option<Value>,
}

struct State {
    reply: Reply,
    seen: Mutex<Vec<Seen>>,
}

struct Stub {
    addr: SocketAddr,
    stand_in: StandIn<State>,
}

impl Stub {
    async fn start(reply: Reply) -> Self {
        let stand_in = StandIn::start(
            State {
                reply,
                seen: Mutex::new(Vec::new()),
            },
            answer,
        )
        .unwrap();
        Self {
            addr: stand_in.addr(),
            stand_in,
        }
    }

    /// The v2 base URL, with a trailing slash the client must not double.
    fn base_url(&self) -> String {
        format!("http://{}/checkout/ec/v2/", self.addr)
    }

    fn client(&self, version: CheckoutVersion, timeout_ms: u64) -> CheckoutClient {
        CheckoutClient::new(CheckoutSettings {
            base_url: self.base_url(),
            subscription_key: KEY.into(),
            version,
            timeout_ms,
        })
        .unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stand_in.state().seen.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.stand_in.stop().await;
    }
}

async fn answer(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    state.seen.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        key: header("Ocp-Apim-Subscription-Key"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).ok(),
    });
    let location = format!("http://{}/checkout-page?id=42", request.connection_info().host());
    match &state.reply {
        Reply::Redirect => HttpResponse::Found().insert_header(("Location", location)).finish(),
        Reply::RedirectWithoutLocation => HttpResponse::Found().finish(),
        Reply::Status(status, body) => HttpResponse::build(actix_web::http::StatusCode::from_u16(*status).unwrap())
            .content_type("application/json")
            .body(*body),
        Reply::Slow(delay) => {
            actix_web::rt::time::sleep(*delay).await;
            HttpResponse::Found().insert_header(("Location", location)).finish()
        }
    }
}

fn cart(waiting: Option<&str>) -> CheckoutCart {
    CheckoutCart {
        cart_id: "cart-0001".parse().unwrap(),
        notices: vec![
            CheckoutNotice {
                notice_number: "302032002700000251".parse().unwrap(),
                ente: "77777777777".parse().unwrap(),
                amount: AmountCents::new(1000).unwrap(),
                company_name: "Comune di Prova".parse().unwrap(),
                description: "TARI 2026 acconto".parse().unwrap(),
            },
            CheckoutNotice {
                notice_number: "305260100000471130".parse().unwrap(),
                ente: "77777777777".parse().unwrap(),
                amount: AmountCents::new(2050).unwrap(),
                company_name: "Comune di Prova".parse().unwrap(),
                description: "TARI 2026 saldo".parse().unwrap(),
            },
        ],
        return_urls: ReturnUrls {
            ok: "https://ente.example.it/ok".into(),
            cancel: "https://ente.example.it/cancel".into(),
            error: "https://ente.example.it/error".into(),
            waiting: waiting.map(str::to_owned),
        },
        email: Some("mario.rossi@example.it".parse().unwrap()),
        all_ccp: false,
    }
}

fn failure(error: CheckoutError) -> CheckoutFailure {
    match error {
        CheckoutError::Unavailable(source) => *source.downcast::<CheckoutFailure>().unwrap(),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[actix_web::test]
async fn a_302_gives_the_checkout_url_and_is_not_followed() {
    let stub = Stub::start(Reply::Redirect).await;
    let client = stub.client(CheckoutVersion::V2, 5_000);

    let redirect = client
        .start_cart(&cart(Some("https://ente.example.it/wait")))
        .await
        .unwrap();

    assert_eq!(redirect.url, format!("http://{}/checkout-page?id=42", stub.addr));
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "one POST, and the redirect not followed: {seen:?}");
    let request = &seen[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/checkout/ec/v2/carts");
    assert_eq!(request.key.as_deref(), Some(KEY));
    assert!(request.content_type.as_deref().unwrap().starts_with("application/json"));
    assert_eq!(
        request.body.as_ref().unwrap(),
        &json!({
            "paymentNotices": [
                {
                    "noticeNumber": "302032002700000251",
                    "fiscalCode": "77777777777",
                    "amount": 1000,
                    "companyName": "Comune di Prova",
                    "description": "TARI 2026 acconto",
                },
                {
                    "noticeNumber": "305260100000471130",
                    "fiscalCode": "77777777777",
                    "amount": 2050,
                    "companyName": "Comune di Prova",
                    "description": "TARI 2026 saldo",
                },
            ],
            "returnUrls": {
                "returnOkUrl": "https://ente.example.it/ok",
                "returnCancelUrl": "https://ente.example.it/cancel",
                "returnErrorUrl": "https://ente.example.it/error",
                "returnWaitingUrl": "https://ente.example.it/wait",
            },
            "emailNotice": "mario.rossi@example.it",
            "idCart": "cart-0001",
            "allCCP": false,
        })
    );
    stub.stop().await;
}

#[actix_web::test]
async fn v1_sends_no_waiting_url_and_v2_falls_back_to_the_error_url() {
    let stub = Stub::start(Reply::Redirect).await;

    stub.client(CheckoutVersion::V1, 5_000)
        .start_cart(&cart(Some("https://ente.example.it/wait")))
        .await
        .unwrap();
    stub.client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap();

    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    let v1 = seen[0].body.as_ref().unwrap()["returnUrls"]
        .as_object()
        .unwrap()
        .clone();
    assert!(!v1.contains_key("returnWaitingUrl"), "{v1:?}");
    assert_eq!(v1.len(), 3);
    let v2 = &seen[1].body.as_ref().unwrap()["returnUrls"];
    assert_eq!(v2["returnWaitingUrl"], "https://ente.example.it/error");
    stub.stop().await;
}

#[actix_web::test]
async fn a_422_is_a_refusal_with_the_problem_detail() {
    let stub = Stub::start(Reply::Status(
        422,
        concat!(
            r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,"#,
            r#""detail":"notice 302032002700000251 not payable"}"#
        ),
    ))
    .await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    match error {
        CheckoutError::Rejected { status, detail } => {
            assert_eq!(status, 422);
            assert_eq!(detail, "Unprocessable Entity: notice 302032002700000251 not payable");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(stub.seen().len(), 1);
    stub.stop().await;
}

#[actix_web::test]
async fn a_400_with_a_raw_body_is_a_refusal() {
    let stub = Stub::start(Reply::Status(400, "invalid paymentNotices")).await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, CheckoutError::Rejected { status: 400, detail } if detail == "invalid paymentNotices"),
        "{error:?}"
    );
    stub.stop().await;
}

#[actix_web::test]
async fn a_500_is_unavailable_and_not_retried() {
    let stub = Stub::start(Reply::Status(500, r#"{"title":"Internal Server Error","status":500}"#)).await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    match failure(error) {
        CheckoutFailure::Status { status, detail } => {
            assert_eq!(status, 500);
            assert_eq!(detail, "Internal Server Error");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stub.seen().len(), 1, "no retry");
    stub.stop().await;
}

#[actix_web::test]
async fn a_bad_subscription_key_is_unavailable_not_a_refusal() {
    let stub = Stub::start(Reply::Status(
        401,
        r#"{"statusCode":401,"message":"Access denied due to invalid subscription key."}"#,
    ))
    .await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    assert!(matches!(failure(error), CheckoutFailure::Status { status: 401, .. }));
    stub.stop().await;
}

#[actix_web::test]
async fn a_302_without_location_is_unavailable() {
    let stub = Stub::start(Reply::RedirectWithoutLocation).await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    let failure = failure(error);
    assert!(
        matches!(failure, CheckoutFailure::NoLocation { status: 302 }),
        "{failure:?}"
    );
    assert!(failure.to_string().contains("without a Location"));
    stub.stop().await;
}

#[actix_web::test]
async fn a_200_is_unavailable() {
    let stub = Stub::start(Reply::Status(200, "{}")).await;

    let error = stub
        .client(CheckoutVersion::V2, 5_000)
        .start_cart(&cart(None))
        .await
        .unwrap_err();

    assert!(matches!(failure(error), CheckoutFailure::NotRedirect { status: 200 }));
    stub.stop().await;
}

#[actix_web::test]
async fn a_slow_checkout_times_out() {
    let stub = Stub::start(Reply::Slow(Duration::from_secs(3))).await;
    let client = stub.client(CheckoutVersion::V2, 200);

    let started = Instant::now();
    let error = client.start_cart(&cart(None)).await.unwrap_err();

    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    match failure(error) {
        CheckoutFailure::Timeout { timeout_ms, .. } => assert_eq!(timeout_ms, 200),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(stub.seen().len(), 1, "no retry");
    stub.stop().await;
}

#[actix_web::test]
async fn nobody_listening_is_unavailable() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = CheckoutClient::new(CheckoutSettings {
        base_url: format!("http://{addr}/checkout/ec/v2"),
        subscription_key: KEY.into(),
        version: CheckoutVersion::V2,
        timeout_ms: 2_000,
    })
    .unwrap();

    let error = client.start_cart(&cart(None)).await.unwrap_err();

    assert!(matches!(failure(error), CheckoutFailure::Transport(_)));
}
