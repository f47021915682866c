//! The REST API over an in-memory world: authentication, the Front-End operations, and problem
//! details for every kind of error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::*;
use pagopa_domain::demo;
use serde_json::{Value, json};

#[actix_web::test]
async fn keys_are_required_and_roles_enforced() {
    let app = app().await;
    let resp = test::call_service(&app, test::TestRequest::get().uri("/api/v1/entes").to_request()).await;
    let (status, body) = problem(resp).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    let wrong = test::TestRequest::get()
        .uri("/api/v1/entes")
        .insert_header(("x-api-key", "nope"))
        .to_request();
    assert_eq!(test::call_service(&app, wrong).await.status(), StatusCode::UNAUTHORIZED);

    let operator = test::TestRequest::get()
        .uri("/api/v1/entes")
        .insert_header(("x-api-key", OPERATOR_KEY))
        .to_request();
    let (status, body) = problem(test::call_service(&app, operator).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );
}

#[actix_web::test]
async fn the_catalogue_and_its_forms() {
    let app = app().await;
    let entes: Value = test::call_and_read_body_json(&app, get("/api/v1/entes").to_request()).await;
    assert_eq!(entes.as_array().unwrap().len(), 2);
    let services: Value = test::call_and_read_body_json(
        &app,
        get(&format!("/api/v1/entes/{}/services", demo::COMUNE)).to_request(),
    )
    .await;
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["certificato-cdu", "licenza-pesca", "sala-civica", "tesserino-funghi"]
    );
    let fishing: Value = test::call_and_read_body_json(
        &app,
        get(&format!("/api/v1/entes/{}/services/licenza-pesca", demo::COMUNE)).to_request(),
    )
    .await;
    assert_eq!(fishing["fixed_amount_cents"], 3400);
    assert_eq!(fishing["form"]["properties"]["year"]["type"], "integer");
    assert_eq!(fishing["form"]["required"], json!(["full_name", "fiscal_code", "year"]));
}

#[actix_web::test]
async fn a_spontaneous_request_creates_a_notice_or_lists_every_bad_field() {
    let app = app().await;
    let uri = format!("/api/v1/entes/{}/services/sala-civica/requests", demo::COMUNE);
    let good = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(json!({ "values": { "full_name": "Giuseppe Verdi", "date": "2026-12-20", "hours": 2.5, "resident": true } }))
        .to_request();
    let resp = test::call_service(&app, good).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = test::read_body_json(resp).await;
    assert_eq!(created["amount_cents"], 5000);
    assert_eq!(created["amount"], "50,00");
    let notice = created["notice_number"].as_str().unwrap().to_owned();
    let summary: Value = test::call_and_read_body_json(
        &app,
        get(&format!("/api/v1/entes/{}/notices/{notice}", demo::COMUNE)).to_request(),
    )
    .await;
    assert_eq!(summary["state"], "payable");

    let bad = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(json!({ "values": { "date": "tomorrow", "hours": 40, "resident": [1], "colour": "red" } }))
        .to_request();
    let (status, body) = problem(test::call_service(&app, bad).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_form"))
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["resident"], "a value of the wrong JSON type is reported first");

    let bad = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(json!({ "values": { "date": "tomorrow", "hours": 40, "colour": "red" } }))
        .to_request();
    let (_, body) = problem(test::call_service(&app, bad).await).await;
    let mut problems: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        [
            ("colour".to_owned(), "unknown".to_owned()),
            ("date".to_owned(), "not_a_date".to_owned()),
            ("full_name".to_owned(), "missing".to_owned()),
            ("hours".to_owned(), "above_maximum".to_owned()),
        ]
    );
}

#[actix_web::test]
async fn every_error_is_a_problem_with_a_stable_code() {
    let app = app().await;
    let cases: Vec<(test::TestRequest, StatusCode, &str)> = vec![
        (
            get("/api/v1/entes/123/services"),
            StatusCode::BAD_REQUEST,
            "invalid_ente_id",
        ),
        (
            get("/api/v1/entes/77777777777/services"),
            StatusCode::NOT_FOUND,
            "unknown_ente",
        ),
        (
            get(&format!("/api/v1/entes/{}/notices/305260100009123463", demo::COMUNE)),
            StatusCode::NOT_FOUND,
            "notice_not_found",
        ),
        (
            get(&format!("/api/v1/entes/{}/notices/305260100009123464", demo::COMUNE)),
            StatusCode::BAD_REQUEST,
            "invalid_notice_number",
        ),
        (
            get(&format!("/api/v1/entes/{}/services/nope", demo::COMUNE)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (get("/nowhere"), StatusCode::NOT_FOUND, "not_found"),
        (
            test::TestRequest::delete()
                .uri("/api/v1/entes")
                .insert_header(("x-api-key", FRONT_END_KEY)),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            test::TestRequest::post()
                .uri(&format!("/api/v1/entes/{}/services/sala-civica/requests", demo::COMUNE))
                .insert_header(("x-api-key", FRONT_END_KEY))
                .insert_header(("content-type", "text/plain"))
                .set_payload("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            test::TestRequest::post()
                .uri(&format!("/api/v1/entes/{}/services/sala-civica/requests", demo::COMUNE))
                .insert_header(("x-api-key", FRONT_END_KEY))
                .insert_header(("content-type", "application/json"))
                .set_payload("{not json"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            test::TestRequest::post()
                .uri(&format!("/api/v1/entes/{}/services/sala-civica/requests", demo::COMUNE))
                .insert_header(("x-api-key", FRONT_END_KEY))
                .insert_header(("content-type", "application/json"))
                .set_payload(format!("{{\"values\":{{\"full_name\":\"{}\"}}}}", "x".repeat(70_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let resp = test::call_service(&app, request.to_request()).await;
        assert!(resp.headers().contains_key("x-request-id"));
        let (got_status, body) = problem(resp).await;
        assert_eq!((got_status, body["code"].as_str()), (status, Some(code)), "{body}");
        assert_eq!(body["status"], status.as_u16());
    }
}

#[actix_web::test]
async fn health_and_request_ids() {
    let app = app().await;
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/health/ready")
            .insert_header(("x-request-id", "abc-123"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "abc-123");
    let resp = test::call_service(&app, test::TestRequest::get().uri("/health/live").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_citizen_sees_only_their_own_positions_and_receipts() {
    let app = app().await;
    let mine: Value =
        test::call_and_read_body_json(&app, as_citizen("/api/v1/me/positions", demo::DEBTOR).to_request()).await;
    let iupds: Vec<&str> = mine["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["iupd"].as_str().unwrap())
        .collect();
    assert_eq!(iupds, ["IMU-2026-5000", "MENSA-2025-03", "TARI-2026-4711"]);
    let tari = &mine["positions"][2];
    assert_eq!(
        (tari["status"].as_str(), tari["options"][0]["paid"].as_bool()),
        (Some("paid"), Some(true))
    );
    let imu = &mine["positions"][0];
    assert_eq!(imu["options"][1]["instalment"], json!([1, 3]));
    assert_eq!(imu["options"][1]["payable"], true);

    let theirs: Value = test::call_and_read_body_json(
        &app,
        as_citizen("/api/v1/me/positions", demo::OTHER_DEBTOR).to_request(),
    )
    .await;
    let iupds: Vec<&str> = theirs["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["iupd"].as_str().unwrap())
        .collect();
    assert_eq!(iupds, ["CANONE-2026-77"]);

    let receipts: Value =
        test::call_and_read_body_json(&app, as_citizen("/api/v1/me/receipts", demo::DEBTOR).to_request()).await;
    assert_eq!(receipts.as_array().unwrap().len(), 1);
    assert_eq!(receipts[0]["receipt_id"], "r-tari");
    let none: Value =
        test::call_and_read_body_json(&app, as_citizen("/api/v1/me/receipts", demo::OTHER_DEBTOR).to_request()).await;
    assert_eq!(none, json!([]));

    // No token, a forged token, a token for a key that is not ours: 401.
    let (status, body) = problem(test::call_service(&app, get("/api/v1/me/positions").to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let forged = citizen_token(demo::OTHER_DEBTOR).replacen('.', ".x", 1);
    let request = get("/api/v1/me/positions").insert_header(("authorization", format!("Bearer {forged}")));
    assert_eq!(
        test::call_service(&app, request.to_request()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = problem(
        test::call_service(
            &app,
            as_citizen("/api/v1/me/positions?refresh=maybe", demo::DEBTOR).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = app().await;
    for _ in 0..3 {
        test::call_service(
            &app,
            get(&format!("/api/v1/entes/{}/services", demo::COMUNE)).to_request(),
        )
        .await;
    }
    test::call_service(&app, get("/nowhere").to_request()).await;
    test::call_service(&app, get("/elsewhere/else").to_request()).await;
    // Extension methods are counted under one label: a flood of made-up methods cannot grow the
    // metrics.
    for method in ["X1", "X2", "PROPFIND"] {
        let request = get("/nowhere").method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap());
        test::call_service(&app, request.to_request()).await;
    }
    let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains(r#"http_requests_total{route="/api/v1/entes/{ente}/services",method="GET",status="200"} 3"#),
        "{text}"
    );
    assert!(
        !text.contains(demo::COMUNE),
        "routes are patterns, never paths with ids"
    );
    assert!(
        text.contains(r#"http_requests_total{route="unmatched",method="GET",status="404"} 2"#),
        "unknown routes share one label: {text}"
    );
    assert!(
        text.contains(r#"http_requests_total{route="unmatched",method="other",status="404"} 3"#),
        "{text}"
    );
    assert!(!text.contains("PROPFIND") && !text.contains("\"X1\""), "{text}");
    assert!(
        text.contains(r#"http_request_duration_seconds_count{route="/api/v1/entes/{ente}/services"} 3"#),
        "{text}"
    );
    assert!(
        text.contains("pagopa_outbox_backlog 1"),
        "the fixture's receipt is waiting for the gestionale: {text}"
    );
}

/// The committed OpenAPI document is the one the code generates. Run with
/// `UPDATE_OPENAPI=1` to rewrite `docs/openapi.json` after changing the API.
#[actix_web::test]
async fn the_openapi_document_matches_its_snapshot_and_is_served() {
    let generated = pagopa_api::openapi::document();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("docs/openapi.json exists (UPDATE_OPENAPI=1 writes it)");
    assert_eq!(
        committed.trim_end(),
        generated,
        "docs/openapi.json is stale: run with UPDATE_OPENAPI=1"
    );

    let app = app().await;
    let served: Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/openapi.json").to_request()).await;
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/api/v1/entes/{ente}/services/{code}/requests",
        "/api/v1/me/positions",
        "/api/v1/admin/positions",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let resp = test::call_service(&app, test::TestRequest::get().uri("/docs/").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(page.contains("swagger-ui"), "the API browser is served from the binary");
    assert!(
        !page.contains("cdn.") && !page.contains("unpkg"),
        "and loads nothing from a CDN"
    );
}

#[actix_web::test]
async fn a_cart_is_started_and_followed_by_its_citizen_only() {
    let app = app().await;
    let instalment = demo::comune_notice(2_601_000_005_001).to_string();
    let body = json!({
        "notices": [{ "ente": demo::COMUNE, "notice_number": instalment }],
        "return_urls": { "ok": "https://fe.example/ok", "cancel": "https://fe.example/ko", "error": "https://fe.example/err" },
    });
    let start = test::TestRequest::post()
        .uri("/api/v1/carts")
        .insert_header(("x-api-key", FRONT_END_KEY))
        .insert_header(("authorization", format!("Bearer {}", citizen_token(demo::DEBTOR))))
        .set_json(&body);
    let resp = test::call_service(&app, start.to_request()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cart: Value = test::read_body_json(resp).await;
    assert_eq!(cart["status"], "in_progress");
    assert_eq!(cart["total_cents"], 20_000);
    assert!(
        cart["checkout_url"]
            .as_str()
            .unwrap()
            .contains(cart["id"].as_str().unwrap())
    );
    let uri = format!("/api/v1/carts/{}", cart["id"].as_str().unwrap());

    let mine: Value = test::call_and_read_body_json(&app, as_citizen(&uri, demo::DEBTOR).to_request()).await;
    assert_eq!(mine["status"], "in_progress");
    for request in [as_citizen(&uri, demo::OTHER_DEBTOR), get(&uri)] {
        let (status, body) = problem(test::call_service(&app, request.to_request()).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }

    // The same notice again while the first cart holds it: 409.
    let again = test::TestRequest::post()
        .uri("/api/v1/carts")
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(&body);
    let (status, body_json) = problem(test::call_service(&app, again.to_request()).await).await;
    assert_eq!(
        (status, body_json["code"].as_str()),
        (StatusCode::CONFLICT, Some("payment_in_progress"))
    );

    let six: Vec<Value> = (1..=6)
        .map(|b| json!({ "ente": demo::COMUNE, "notice_number": demo::comune_notice(2_601_000_005_000 + b).to_string() }))
        .collect();
    let too_many = test::TestRequest::post()
        .uri("/api/v1/carts")
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(json!({ "notices": six, "return_urls": body["return_urls"] }));
    let (status, body_json) = problem(test::call_service(&app, too_many.to_request()).await).await;
    assert_eq!(
        (status, body_json["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cart"))
    );
}
