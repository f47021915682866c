//! Request building and response parsing, without a network.

use pagopa_domain::ports::CheckoutNotice;
use pagopa_domain::{AmountCents, CartId, Email, EnteId, NoticeNumber, ReturnUrls, Text};

use super::*;

fn cart(waiting: Option<&str>, email: Option<&str>) -> CheckoutCart {
    CheckoutCart {
        cart_id: "7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6".parse().unwrap(),
        notices: vec![CheckoutNotice {
            notice_number: "302032002700000251".parse::<NoticeNumber>().unwrap(),
            ente: "77777777777".parse::<EnteId>().unwrap(),
            amount: AmountCents::new(12_345).unwrap(),
            company_name: "Comune di Prova".parse::<Text<140>>().unwrap(),
            description: "TARI 2026 saldo".parse::<Text<140>>().unwrap(),
        }],
        return_urls: ReturnUrls {
            ok: "https://ente.example.it/ok".into(),
            cancel: "https://ente.example.it/cancel".into(),
            error: "https://ente.example.it/error".into(),
            waiting: waiting.map(str::to_owned),
        },
        email: email.map(|e| e.parse::<Email>().unwrap()),
        all_ccp: false,
    }
}

fn failure(error: CheckoutError) -> CheckoutFailure {
    match error {
        CheckoutError::Unavailable(source) => *source.downcast::<CheckoutFailure>().unwrap(),
        other => panic!("not unavailable: {other:?}"),
    }
}

#[test]
fn v2_body() {
    let body = cart_request_body(
        &cart(Some("https://ente.example.it/wait"), Some("mario.rossi@example.it")),
        CheckoutVersion::V2,
    );
    assert_eq!(
        body,
        json!({
            "paymentNotices": [{
                "noticeNumber": "302032002700000251",
                "fiscalCode": "77777777777",
                "amount": 12345,
                "companyName": "Comune di Prova",
                "description": "TARI 2026 saldo",
            }],
            "returnUrls": {
                "returnOkUrl": "https://ente.example.it/ok",
                "returnCancelUrl": "https://ente.example.it/cancel",
                "returnErrorUrl": "https://ente.example.it/error",
                "returnWaitingUrl": "https://ente.example.it/wait",
            },
            "emailNotice": "mario.rossi@example.it",
            "idCart": "7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6",
            "allCCP": false,
        })
    );
    assert!(body["paymentNotices"][0]["amount"].is_u64());
}

#[test]
fn v2_waiting_falls_back_to_the_error_url() {
    let body = cart_request_body(&cart(None, None), CheckoutVersion::V2);
    assert_eq!(body["returnUrls"]["returnWaitingUrl"], "https://ente.example.it/error");
    assert!(body.get("emailNotice").is_none());
}

#[test]
fn v1_has_no_waiting_url() {
    let mut cart = cart(Some("https://ente.example.it/wait"), None);
    cart.all_ccp = true;
    let body = cart_request_body(&cart, CheckoutVersion::V1);
    let urls = body["returnUrls"].as_object().unwrap();
    assert_eq!(urls.len(), 3);
    assert!(!urls.contains_key("returnWaitingUrl"));
    assert_eq!(body["allCCP"], true);
    assert!(body.get("emailNotice").is_none());
}

#[test]
fn redirects() {
    let url = "https://checkout.pagopa.it/c/abc?x=1";
    assert_eq!(parse_response(302, Some(url), b"").unwrap().url, url);
    assert_eq!(parse_response(303, Some(url), b"").unwrap().url, url);
    assert!(matches!(
        failure(parse_response(302, None, b"").unwrap_err()),
        CheckoutFailure::NoLocation { status: 302 }
    ));
    assert!(matches!(
        failure(parse_response(302, Some("  "), b"").unwrap_err()),
        CheckoutFailure::NoLocation { status: 302 }
    ));
    assert!(matches!(
        failure(parse_response(302, Some("/c/abc"), b"").unwrap_err()),
        CheckoutFailure::BadLocation { status: 302, .. }
    ));
    assert!(matches!(
        failure(parse_response(302, Some("javascript:alert(1)"), b"").unwrap_err()),
        CheckoutFailure::BadLocation { .. }
    ));
    assert!(matches!(
        failure(parse_response(200, Some(url), b"{}").unwrap_err()),
        CheckoutFailure::NotRedirect { status: 200 }
    ));
    assert!(matches!(
        failure(parse_response(304, Some(url), b"").unwrap_err()),
        CheckoutFailure::NotRedirect { status: 304 }
    ));
}

#[test]
fn refusals() {
    let problem = br#"{"type":"about:blank","title":"Invalid payment notices","status":422,
        "detail":"Notice 302032002700000251 is not payable"}"#;
    match parse_response(422, None, problem).unwrap_err() {
        CheckoutError::Rejected { status, detail } => {
            assert_eq!(status, 422);
            assert_eq!(
                detail,
                "Invalid payment notices: Notice 302032002700000251 is not payable"
            );
        }
        other => panic!("{other:?}"),
    }
    match parse_response(400, None, br#"{"title":"Bad Request"}"#).unwrap_err() {
        CheckoutError::Rejected { status: 400, detail } => assert_eq!(detail, "Bad Request"),
        other => panic!("{other:?}"),
    }
    match parse_response(400, None, br#"{"title":"x","detail":"x"}"#).unwrap_err() {
        CheckoutError::Rejected { detail, .. } => assert_eq!(detail, "x"),
        other => panic!("{other:?}"),
    }
    match parse_response(400, None, b"<html>\n  <b>bad</b>\r\n</html>").unwrap_err() {
        CheckoutError::Rejected { detail, .. } => assert_eq!(detail, "<html> <b>bad</b> </html>"),
        other => panic!("{other:?}"),
    }
    match parse_response(409, None, b"").unwrap_err() {
        CheckoutError::Rejected { status: 409, detail } => assert_eq!(detail, "no explanation given"),
        other => panic!("{other:?}"),
    }
    let long = "è".repeat(1000);
    match parse_response(400, None, long.as_bytes()).unwrap_err() {
        CheckoutError::Rejected { detail, .. } => {
            assert_eq!(detail.chars().count(), DETAIL_MAX_CHARS + 1);
            assert!(detail.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unavailable_statuses() {
    for status in [401, 403, 404, 408, 429, 500, 502, 503, 504, 600] {
        match failure(parse_response(status, None, br#"{"detail":"boom"}"#).unwrap_err()) {
            CheckoutFailure::Status { status: s, detail } => {
                assert_eq!(s, status);
                assert_eq!(detail, "boom");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[test]
fn urls() {
    for base in [
        "https://api.uat.platform.pagopa.it/checkout/ec/v2",
        "https://api.uat.platform.pagopa.it/checkout/ec/v2/",
        " https://api.uat.platform.pagopa.it/checkout/ec/v2// ",
    ] {
        assert_eq!(
            carts_url(base).unwrap().as_str(),
            "https://api.uat.platform.pagopa.it/checkout/ec/v2/carts"
        );
    }
    assert_eq!(
        carts_url("http://127.0.0.1:8080").unwrap().as_str(),
        "http://127.0.0.1:8080/carts"
    );
    for bad in [
        "",
        "api.platform.pagopa.it/checkout",
        "ftp://x.it/a",
        "https://x.it/a?k=1",
        "https://x.it/a#f",
    ] {
        assert!(
            matches!(carts_url(bad), Err(CheckoutConfigError::BaseUrl { .. })),
            "{bad}"
        );
    }
}

fn settings(toml_like: Value) -> Result<CheckoutSettings, serde_json::Error> {
    serde_json::from_value(toml_like)
}

#[test]
fn settings_defaults_and_secrecy() {
    let s = settings(json!({"base_url": "https://x.it/checkout/ec/v2", "subscription_key": "s3cr3t"})).unwrap();
    assert_eq!(s.version, CheckoutVersion::V2);
    assert_eq!(s.timeout_ms, 10_000);
    assert!(!format!("{s:?}").contains("s3cr3t"));
    let s = settings(json!({"base_url": "https://x.it", "subscription_key": "k", "version": "v1", "timeout_ms": 5}))
        .unwrap();
    assert_eq!((s.version, s.timeout_ms), (CheckoutVersion::V1, 5));
    assert!(settings(json!({"base_url": "https://x.it", "subscription_key": "k", "extra": 1})).is_err());
    assert!(settings(json!({"base_url": "https://x.it", "subscription_key": "k", "version": "V3"})).is_err());
    assert!(settings(json!({"base_url": "https://x.it"})).is_err());

    let client = CheckoutClient::new(s.clone()).unwrap();
    assert_eq!(client.carts_url(), "https://x.it/carts");
    assert_eq!(client.version(), CheckoutVersion::V1);
    assert!(!format!("{client:?}").contains("\"k\""));
    assert!(matches!(
        CheckoutClient::new(CheckoutSettings {
            subscription_key: " ".into(),
            ..s.clone()
        }),
        Err(CheckoutConfigError::SubscriptionKey(_))
    ));
    assert!(matches!(
        CheckoutClient::new(CheckoutSettings {
            subscription_key: "a\nb".into(),
            ..s.clone()
        }),
        Err(CheckoutConfigError::SubscriptionKey(_))
    ));
    assert!(matches!(
        CheckoutClient::new(CheckoutSettings { timeout_ms: 0, ..s }),
        Err(CheckoutConfigError::Timeout)
    ));
}

#[test]
fn cart_id_is_sent_verbatim() {
    let mut c = cart(None, None);
    c.cart_id = "cart_01".parse::<CartId>().unwrap();
    assert_eq!(cart_request_body(&c, CheckoutVersion::V1)["idCart"], "cart_01");
}
