//! Safe retries: `Idempotency-Key` on the operations that create something, concurrent retries
//! included; `ETag` / `If-Match` on the resources operators replace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::*;
use pagopa_domain::demo;
use serde_json::{Value, json};

fn request_form(year: u32) -> Value {
    json!({ "values": { "full_name": "Mario Rossi", "fiscal_code": "RSSMRA80A01H501U", "year": year } })
}

fn submit(key: Option<&str>, body: &Value) -> actix_http::Request {
    let mut request = test::TestRequest::post()
        .uri(&format!(
            "/api/v1/entes/{}/services/licenza-pesca/requests",
            demo::COMUNE
        ))
        .insert_header(("x-api-key", FRONT_END_KEY))
        .set_json(body);
    if let Some(key) = key {
        request = request.insert_header(("idempotency-key", key));
    }
    request.to_request()
}

async fn spontaneous_positions<S>(app: &S) -> usize
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let search = test::TestRequest::get()
        .uri(&format!("/api/v1/admin/positions?ente={}&limit=1000", demo::COMUNE))
        .insert_header(("x-api-key", OPERATOR_KEY))
        .to_request();
    let page: Value = test::call_and_read_body_json(app, search).await;
    // Spontaneous positions: the demo has none of its own.
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["origin"]["kind"] == "spontaneous")
        .count()
}

#[actix_web::test]
async fn a_retried_spontaneous_request_files_one_position() {
    let app = app().await;
    let first = test::call_service(&app, submit(Some("retry-1"), &request_form(2027))).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = test::read_body_json(first).await;
    let again = test::call_service(&app, submit(Some("retry-1"), &request_form(2027))).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = test::read_body_json(again).await;
    assert_eq!(again["notice_number"], first["notice_number"], "the same notice");
    assert_eq!(spontaneous_positions(&app).await, 1);

    // The same key with another body is refused; another key is another request.
    let (status, body) = problem(test::call_service(&app, submit(Some("retry-1"), &request_form(2028))).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
    );
    assert_eq!(
        test::call_service(&app, submit(Some("retry-2"), &request_form(2027)))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Without the header nothing changes: each request files a position.
    assert_eq!(
        test::call_service(&app, submit(None, &request_form(2027)))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(spontaneous_positions(&app).await, 3);
    let (status, _) = problem(test::call_service(&app, submit(Some(""), &request_form(2027))).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn concurrent_retries_with_one_key_file_one_position() {
    let app = app().await;
    let form = request_form(2027);
    let (a, b, c, d, e) = tokio::join!(
        test::call_service(&app, submit(Some("together"), &form)),
        test::call_service(&app, submit(Some("together"), &form)),
        test::call_service(&app, submit(Some("together"), &form)),
        test::call_service(&app, submit(Some("together"), &form)),
        test::call_service(&app, submit(Some("together"), &form)),
    );
    let mut notices = Vec::new();
    for response in [a, b, c, d, e] {
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = test::read_body_json(response).await;
        notices.push(body["notice_number"].as_str().unwrap().to_owned());
    }
    notices.dedup();
    assert_eq!(notices.len(), 1, "every retry got the first answer: {notices:?}");
    assert_eq!(spontaneous_positions(&app).await, 1);
}

#[actix_web::test]
async fn a_retried_cart_is_the_same_cart() {
    let app = app().await;
    let instalment = demo::comune_notice(2_601_000_005_001).to_string();
    let body = json!({
        "notices": [{ "ente": demo::COMUNE, "notice_number": instalment }],
        "return_urls": { "ok": "https://fe.example/ok", "cancel": "https://fe.example/ko", "error": "https://fe.example/err" },
    });
    let start = || {
        test::TestRequest::post()
            .uri("/api/v1/carts")
            .insert_header(("x-api-key", FRONT_END_KEY))
            .insert_header(("idempotency-key", "cart-retry"))
            .set_json(&body)
            .to_request()
    };
    let first: Value = test::call_and_read_body_json(&app, start()).await;
    let again = test::call_service(&app, start()).await;
    assert_eq!(
        again.status(),
        StatusCode::CREATED,
        "not 409: the retry is the same cart"
    );
    let again: Value = test::read_body_json(again).await;
    assert_eq!(again["id"], first["id"]);
}

#[actix_web::test]
async fn a_stale_if_match_is_refused_with_412() {
    let app = app().await;
    let iupd = "CANONE-2026-77";
    let uri = format!("/api/v1/admin/entes/{}/positions/{iupd}", demo::COMUNE);
    let read = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&uri)
            .insert_header(("x-api-key", OPERATOR_KEY))
            .to_request(),
    )
    .await;
    let etag = read.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    assert_eq!(etag, "\"v0\"");
    let draft = demo::other_debtor_position();
    let put = |tag: &str| {
        test::TestRequest::put()
            .uri(&uri)
            .insert_header(("x-api-key", OPERATOR_KEY))
            .insert_header(("if-match", tag.to_owned()))
            .set_json(&draft)
            .to_request()
    };
    let changed = test::call_service(&app, put(&etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers().get("etag").unwrap(), "\"v1\"");
    let (status, body) = problem(test::call_service(&app, put(&etag)).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("precondition_failed"))
    );
    assert_eq!(test::call_service(&app, put("*")).await.status(), StatusCode::OK);
    let (status, _) = problem(test::call_service(&app, put("v2")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unquoted tag is not an entity tag");

    // An Ente's settings: the ETag follows their content.
    let ente_uri = format!("/api/v1/admin/entes/{}", demo::PROVINCIA);
    let read = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&ente_uri)
            .insert_header(("x-api-key", OPERATOR_KEY))
            .to_request(),
    )
    .await;
    let etag = read.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    let mut settings: Value = test::read_body_json(read).await;
    settings["info"] = json!("www.provincia.example");
    let put = |tag: &str, body: &Value| {
        test::TestRequest::put()
            .uri(&ente_uri)
            .insert_header(("x-api-key", OPERATOR_KEY))
            .insert_header(("if-match", tag.to_owned()))
            .set_json(body)
            .to_request()
    };
    let changed = test::call_service(&app, put(&etag, &settings)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers().get("etag").unwrap().to_str().unwrap(), etag);
    settings["info"] = json!("www.other.example");
    let (status, _) = problem(test::call_service(&app, put(&etag, &settings)).await).await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "someone else changed the settings in between"
    );
}
