//! The Checkout stand-in through actix's test utilities, paying against a fake Ente endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{App, test};
use common::{COMUNE, FakeEc, Script, TARI_NOTICE};
use pagopa_nodo::soap::{NodeRequest, decode_request};
use pagopa_sim::checkout::cart::{CartState, SimCart};
use pagopa_sim::receipt::now;
use pagopa_sim::{CheckoutSettings, CheckoutSim};
use serde_json::{Value, json};

const KEY: &str = "sim-key";

fn cart_body(notices: &[&str]) -> Value {
    json!({
        "paymentNotices": notices.iter().map(|n| json!({
            "noticeNumber": n,
            "fiscalCode": COMUNE,
            "amount": 24570,
            "companyName": "Comune di Valdesempio",
            "description": "TARI 2026 <saldo>"
        })).collect::<Vec<_>>(),
        "returnUrls": {
            "returnOkUrl": "https://fe.example.it/esito/ok",
            "returnCancelUrl": "https://fe.example.it/esito/annullato",
            "returnErrorUrl": "https://fe.example.it/esito/errore",
            "returnWaitingUrl": "https://fe.example.it/esito/attesa"
        },
        "emailNotice": "giuseppe.verdi@example.it",
        "idCart": "b42d90e7-5c18-4a3f-8e61-0f9c27d4a5b3",
        "allCCP": false
    })
}

fn checkout(ec: &FakeEc, key: Option<&str>) -> CheckoutSim {
    CheckoutSim::new(
        ec.simulator(None),
        CheckoutSettings {
            subscription_key: key.map(str::to_owned),
            public_url: None,
        },
    )
}

macro_rules! app {
    ($checkout:expr) => {{
        let checkout = $checkout.clone();
        test::init_service(App::new().configure(move |cfg| checkout.configure(cfg))).await
    }};
}

#[actix_web::test]
async fn carts_are_accepted_with_a_redirect_and_refused_with_problems() {
    let ec = FakeEc::start(Script::default()).await;
    let checkout = checkout(&ec, Some(KEY));
    let app = app!(checkout);

    let post = |path: &str, key: Option<&str>, body: Value| {
        let mut request = test::TestRequest::post()
            .uri(path)
            .insert_header(("Host", "checkout.test:8090"))
            .set_json(body);
        if let Some(key) = key {
            request = request.insert_header(("Ocp-Apim-Subscription-Key", key));
        }
        request.to_request()
    };

    let response = test::call_service(
        &app,
        post("/checkout/ec/v2/carts", Some(KEY), cart_body(&[TARI_NOTICE])),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://checkout.test:8090/checkout/pay/"),
        "{location}"
    );
    let id = location.rsplit('/').next().unwrap().to_owned();
    let cart = checkout.cart(&id).unwrap();
    assert_eq!(cart.state, CartState::Pending);
    assert_eq!(
        cart.request.id_cart.as_deref(),
        Some("b42d90e7-5c18-4a3f-8e61-0f9c27d4a5b3")
    );

    // v1 does not need returnWaitingUrl; v2 does.
    let mut v1 = cart_body(&[TARI_NOTICE]);
    v1["returnUrls"].as_object_mut().unwrap().remove("returnWaitingUrl");
    let response = test::call_service(&app, post("/checkout/ec/v1/carts", Some(KEY), v1.clone())).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let response = test::call_service(&app, post("/checkout/ec/v2/carts", Some(KEY), v1)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem: Value = test::read_body_json(response).await;
    assert_eq!(problem["status"], 400);
    assert!(problem["title"].is_string());
    assert!(problem["detail"].as_str().unwrap().contains("returnWaitingUrl"));

    let mut bad_notice = cart_body(&[TARI_NOTICE]);
    bad_notice["paymentNotices"][0]["noticeNumber"] = json!("3052601");
    let mut zero = cart_body(&[TARI_NOTICE]);
    zero["paymentNotices"][0]["amount"] = json!(0);
    for body in [bad_notice, zero, cart_body(&[]), json!({"paymentNotices": "x"})] {
        let response = test::call_service(&app, post("/checkout/ec/v2/carts", Some(KEY), body)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let response = test::call_service(
        &app,
        post(
            "/checkout/ec/v2/carts",
            Some(KEY),
            cart_body(&[TARI_NOTICE, TARI_NOTICE]),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for key in [None, Some("wrong")] {
        let response = test::call_service(&app, post("/checkout/ec/v2/carts", key, cart_body(&[TARI_NOTICE]))).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(checkout.all_carts().len(), 2);
    assert!(ec.seen().is_empty(), "creating carts calls no Ente");
    ec.stop().await;
}

macro_rules! create_cart {
    ($app:expr) => {{
        let request = test::TestRequest::post()
            .uri("/checkout/ec/v2/carts")
            .insert_header(("Ocp-Apim-Subscription-Key", "any"))
            .set_json(cart_body(&[TARI_NOTICE]))
            .to_request();
        let response = test::call_service($app, request).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers().get(LOCATION).unwrap().to_str().unwrap();
        location.rsplit('/').next().unwrap().to_owned()
    }};
}

#[actix_web::test]
async fn the_page_pays_and_returns_to_the_ok_url() {
    let ec = FakeEc::start(Script::default()).await;
    let checkout = checkout(&ec, None);
    let app = app!(checkout);
    let id = create_cart!(&app);

    let page = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/checkout/pay/{id}"))
            .to_request(),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    assert!(html.contains(TARI_NOTICE));
    assert!(html.contains("245,70 €"));
    assert!(html.contains("TARI 2026 &lt;saldo&gt;"), "text is escaped");
    assert!(html.contains(&format!("action=\"/checkout/pay/{id}\"")));
    assert!(html.contains(">Annulla</button>"));
    assert!(!html.contains("<script"));

    let paid = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/checkout/pay/{id}"))
            .to_request(),
    )
    .await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(paid.headers().get(LOCATION).unwrap(), "https://fe.example.it/esito/ok");
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2"]);
    // paymentNote = idCart, in the activation and in the receipt.
    let seen = ec.seen();
    assert!(
        seen[1]
            .body
            .contains("<paymentNote>b42d90e7-5c18-4a3f-8e61-0f9c27d4a5b3</paymentNote>")
    );
    match decode_request(&seen[2].body, Some("paSendRTV2"), now()).unwrap() {
        NodeRequest::Receipt { receipt, .. } => assert_eq!(
            receipt.payment_note.map(|n| n.to_string()).as_deref(),
            Some("b42d90e7-5c18-4a3f-8e61-0f9c27d4a5b3")
        ),
        other => panic!("{other:?}"),
    }

    let state = test::call_service(
        &app,
        test::TestRequest::get().uri(&format!("/sim/carts/{id}")).to_request(),
    )
    .await;
    assert_eq!(state.status(), StatusCode::OK);
    let cart: SimCart = test::read_body_json(state).await;
    assert_eq!(cart.state, CartState::Paid);
    assert_eq!(cart.reports.len(), 1);
    assert!(cart.reports[0].success);

    // A second click does not pay twice.
    let again = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/checkout/pay/{id}"))
            .to_request(),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(ec.actions().len(), 3);
    ec.stop().await;
}

#[actix_web::test]
async fn the_json_api_pays_cancels_and_reports_failures() {
    let ec = FakeEc::start(Script {
        activate: "paGetPaymentV2Response-ko-sconosciuto.xml",
        ..Script::default()
    })
    .await;
    let checkout = checkout(&ec, None);
    let app = app!(checkout);

    let id = create_cart!(&app);
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/sim/carts/{id}/pay"))
            .set_json(json!({"late_ms": 1}))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cart: SimCart = test::read_body_json(response).await;
    assert_eq!(cart.state, CartState::Failed);
    assert_eq!(cart.return_url.as_deref(), Some("https://fe.example.it/esito/errore"));
    assert_eq!(
        cart.reports[0].steps[1].fault_code.as_deref(),
        Some("PAA_PAGAMENTO_SCONOSCIUTO")
    );
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice", "paGetPaymentV2"], "no receipt");

    let id = create_cart!(&app);
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/checkout/pay/{id}/cancel"))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers().get(LOCATION).unwrap(),
        "https://fe.example.it/esito/annullato"
    );
    assert_eq!(checkout.cart(&id).unwrap().state, CartState::Cancelled);
    assert!(!ec.actions().contains(&"paSendRTV2".to_owned()));

    let missing = test::call_service(&app, test::TestRequest::get().uri("/sim/carts/nope").to_request()).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let page = test::call_service(&app, test::TestRequest::get().uri("/checkout/pay/nope").to_request()).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    ec.stop().await;
}

#[actix_web::test]
async fn the_sim_api_pays_a_notice_and_resends_its_receipt() {
    let ec = FakeEc::start(Script::default()).await;
    let checkout = checkout(&ec, None);
    let app = app!(checkout);
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/sim/pay")
            .set_json(json!({"ente": COMUNE, "notice": TARI_NOTICE, "duplicate": true}))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: pagopa_sim::PaymentReport = test::read_body_json(response).await;
    assert!(report.success, "{report}");
    let receipt_id = report.receipt_id.unwrap();
    let ids: Vec<String> =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/sim/receipts").to_request()).await;
    assert_eq!(ids, std::slice::from_ref(&receipt_id));
    let resent: pagopa_sim::PaymentReport = test::call_and_read_body_json(
        &app,
        test::TestRequest::post()
            .uri(&format!("/sim/receipts/{receipt_id}/resend"))
            .to_request(),
    )
    .await;
    assert!(resent.success, "{resent}");
    assert_eq!(ec.actions().len(), 5);
    let bad = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/sim/pay")
            .set_json(json!({"ente": "1", "notice": TARI_NOTICE}))
            .to_request(),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    ec.stop().await;
}

#[actix_web::test]
async fn a_receipt_lost_through_the_sim_api_is_read_over_biz_events() {
    let ec = FakeEc::start(Script::default()).await;
    let checkout = checkout(&ec, None);
    let app = app!(checkout);
    let report: pagopa_sim::PaymentReport = test::call_and_read_body_json(
        &app,
        test::TestRequest::post()
            .uri("/sim/pay")
            .set_json(json!({"ente": COMUNE, "notice": TARI_NOTICE, "lose_receipt": true}))
            .to_request(),
    )
    .await;
    assert!(report.success, "{report}");
    assert!(!ec.actions().contains(&"paSendRTV2".to_owned()), "{:?}", ec.actions());
    let receipt_id = report.receipt_id.unwrap();
    let iuv = TARI_NOTICE.parse::<pagopa_domain::value::NoticeNumber>().unwrap().iuv();
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!(
                "{}/organizations/{COMUNE}/receipts/{receipt_id}/paymentoptions/{iuv}",
                pagopa_sim::flows::BIZEVENTS_PREFIX
            ))
            .insert_header(("Ocp-Apim-Subscription-Key", "any"))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["receiptId"], receipt_id.as_str());
    assert_eq!(body["paymentAmount"], json!(245.7));
    ec.stop().await;
}
