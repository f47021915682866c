//! Operators' operations: positions, searches, the catalogue and outbox replay, each limited to
//! the Enti of the operator's key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::*;
use pagopa_domain::demo;
use serde_json::{Value, json};

fn as_operator(request: test::TestRequest, key: &str) -> test::TestRequest {
    request.insert_header(("x-api-key", key))
}

fn position_uri(iupd: &str) -> String {
    format!("/api/v1/admin/entes/{}/positions/{iupd}", demo::COMUNE)
}

#[actix_web::test]
async fn an_operator_manages_positions_of_its_ente() {
    let app = app().await;
    let draft = demo::draft(
        "RETTA-2027-01",
        demo::debtor(),
        "Retta asilo nido gennaio 2027",
        vec![demo::simple_option(9_100, 18_000, "Retta gennaio", "2027-01-31")],
    );
    let create = as_operator(test::TestRequest::post(), OPERATOR_KEY)
        .uri(&format!("/api/v1/admin/entes/{}/positions", demo::COMUNE))
        .set_json(&draft);
    let resp = test::call_service(&app, create.to_request()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = test::read_body_json(resp).await;
    assert_eq!(
        (created["status"].as_str(), created["version"].as_u64()),
        (Some("valid"), Some(0))
    );

    let again = as_operator(test::TestRequest::post(), OPERATOR_KEY)
        .uri(&format!("/api/v1/admin/entes/{}/positions", demo::COMUNE))
        .set_json(&draft);
    let (status, body) = problem(test::call_service(&app, again.to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate"))
    );

    let mut changed = draft.clone();
    changed.description = "Retta asilo nido gennaio 2027 (rettifica)".parse().unwrap();
    let put = as_operator(test::TestRequest::put(), OPERATOR_KEY)
        .uri(&position_uri("RETTA-2027-01"))
        .set_json(&changed);
    let updated: Value = test::call_and_read_body_json(&app, put.to_request()).await;
    assert_eq!(updated["version"], 1);

    // Paid and partially paid come only from receipts.
    for status in ["paid", "partially_paid", "draft"] {
        let set = as_operator(test::TestRequest::post(), OPERATOR_KEY)
            .uri(&format!("{}/status", position_uri("RETTA-2027-01")))
            .set_json(json!({ "status": status }));
        let (code, body) = problem(test::call_service(&app, set.to_request()).await).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{status}: {body}");
    }

    let cancel = as_operator(test::TestRequest::post(), OPERATOR_KEY)
        .uri(&format!("{}/status", position_uri("RETTA-2027-01")))
        .set_json(json!({ "status": "cancelled" }));
    let cancelled: Value = test::call_and_read_body_json(&app, cancel.to_request()).await;
    assert_eq!(cancelled["status"], "cancelled");
    let revive = as_operator(test::TestRequest::post(), OPERATOR_KEY)
        .uri(&format!("{}/status", position_uri("RETTA-2027-01")))
        .set_json(json!({ "status": "valid" }));
    let (status, body) = problem(test::call_service(&app, revive.to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition"))
    );

    let bad = as_operator(test::TestRequest::post(), OPERATOR_KEY)
        .uri(&format!("/api/v1/admin/entes/{}/positions", demo::COMUNE))
        .set_json(json!({ "iupd": "X" }));
    let (status, body) = problem(test::call_service(&app, bad.to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
}

#[actix_web::test]
async fn searches_page_with_a_cursor() {
    let app = app().await;
    let mut seen = Vec::new();
    let mut uri = format!("/api/v1/admin/positions?ente={}&limit=3", demo::COMUNE);
    loop {
        let page: Value = test::call_and_read_body_json(
            &app,
            as_operator(test::TestRequest::get(), OPERATOR_KEY)
                .uri(&uri)
                .to_request(),
        )
        .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["iupd"].as_str().unwrap().to_owned()),
        );
        match page.get("next") {
            Some(next) => {
                uri = format!(
                    "/api/v1/admin/positions?ente={}&limit=3&after_ente={}&after_iupd={}",
                    demo::COMUNE,
                    next["after_ente"].as_str().unwrap(),
                    next["after_iupd"].as_str().unwrap()
                )
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["CANONE-2026-77", "IMU-2026-5000", "MENSA-2025-03", "TARI-2026-4711"]
    );

    let paid: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), OPERATOR_KEY)
            .uri("/api/v1/admin/positions?status=paid")
            .to_request(),
    )
    .await;
    assert_eq!(
        paid["items"].as_array().unwrap().len(),
        1,
        "the TARI paid in the fixture"
    );
    let receipts: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), OPERATOR_KEY)
            .uri("/api/v1/admin/receipts")
            .to_request(),
    )
    .await;
    assert_eq!(receipts["items"][0]["receipt"]["receipt_id"], "r-tari");
    let review: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), OPERATOR_KEY)
            .uri("/api/v1/admin/receipts?needs_review=true")
            .to_request(),
    )
    .await;
    assert_eq!(review["items"], json!([]));
    let (status, _) = problem(
        test::call_service(
            &app,
            as_operator(test::TestRequest::get(), OPERATOR_KEY)
                .uri("/api/v1/admin/positions?after_ente=80012345676")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn an_operator_of_one_ente_cannot_touch_another() {
    let app = app().await;
    let cases = [
        test::TestRequest::get().uri(&position_uri("TARI-2026-4711")),
        test::TestRequest::post()
            .uri(&format!("{}/status", position_uri("TARI-2026-4711")))
            .set_json(json!({ "status": "cancelled" })),
        test::TestRequest::get().uri("/api/v1/admin/positions"),
        test::TestRequest::get().uri(&format!("/api/v1/admin/positions?ente={}", demo::COMUNE)),
        test::TestRequest::get().uri("/api/v1/admin/receipts"),
        test::TestRequest::post().uri("/api/v1/admin/outbox/1/replay"),
    ];
    for request in cases {
        let (status, body) =
            problem(test::call_service(&app, as_operator(request, PROVINCIA_OPERATOR_KEY).to_request()).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden_ente"))
        );
    }
    let own: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), PROVINCIA_OPERATOR_KEY)
            .uri(&format!("/api/v1/admin/positions?ente={}", demo::PROVINCIA))
            .to_request(),
    )
    .await;
    assert_eq!(own["items"], json!([]));
    // A Front-End key is not an operator key.
    let (status, _) = problem(test::call_service(&app, get("/api/v1/admin/positions").to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_catalogue_and_the_outbox() {
    let app = app().await;
    let mut service = demo::catalogue().remove(1);
    service.name = "Licenza di pesca (nuova tariffa)".parse().unwrap();
    let uri = format!("/api/v1/admin/entes/{}/services/{}", demo::COMUNE, service.code);
    let put = as_operator(test::TestRequest::put(), OPERATOR_KEY)
        .uri(&uri)
        .set_json(&service);
    assert_eq!(
        test::call_service(&app, put.to_request()).await.status(),
        StatusCode::OK
    );
    let listed: Value = test::call_and_read_body_json(
        &app,
        get(&format!("/api/v1/entes/{}/services/{}", demo::COMUNE, service.code)).to_request(),
    )
    .await;
    assert_eq!(listed["name"], "Licenza di pesca (nuova tariffa)");

    let mut broken = service.clone();
    broken.transfers.clear();
    let put = as_operator(test::TestRequest::put(), OPERATOR_KEY)
        .uri(&uri)
        .set_json(&broken);
    let (status, body) = problem(test::call_service(&app, put.to_request()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_service"))
    );

    let replay = as_operator(test::TestRequest::post(), OPERATOR_KEY).uri("/api/v1/admin/outbox/1/replay");
    assert_eq!(
        test::call_service(&app, replay.to_request()).await.status(),
        StatusCode::ACCEPTED
    );
    let missing = as_operator(test::TestRequest::post(), OPERATOR_KEY).uri("/api/v1/admin/outbox/99/replay");
    assert_eq!(
        test::call_service(&app, missing.to_request()).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn enti_are_managed_within_the_keys_scope_and_audited_changes_are_checked() {
    let app = app().await;
    let uri = |ente: &str| format!("/api/v1/admin/entes/{ente}");
    // A key limited to the Provincia lists and reads only the Provincia.
    let list: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), PROVINCIA_OPERATOR_KEY)
            .uri("/api/v1/admin/entes")
            .to_request(),
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (status, body) = problem(
        test::call_service(
            &app,
            as_operator(test::TestRequest::get(), PROVINCIA_OPERATOR_KEY)
                .uri(&uri(demo::COMUNE))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_ente"))
    );

    // Adding an Ente needs a key without limit.
    let mut new = serde_json::to_value(pagopa_domain::EnteSettings::from(&demo::provincia())).unwrap();
    new["id"] = json!("00345670178");
    new["name"] = json!("Comune di Primo");
    let put = |key: &'static str, ente: &str, body: &Value| {
        as_operator(test::TestRequest::put(), key)
            .uri(&uri(ente))
            .set_json(body)
            .to_request()
    };
    let limited = PROVINCIA_OPERATOR_KEY;
    let (status, _) = problem(test::call_service(&app, put(limited, "00345670178", &new)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = test::call_service(&app, put(OPERATOR_KEY, "00345670178", &new)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = test::call_service(&app, put(OPERATOR_KEY, "00345670178", &new)).await;
    assert_eq!(resp.status(), StatusCode::OK, "saving the same settings again");

    for (key, value, named) in [
        ("segregation_code", json!(47), "segregation_code"),
        ("postal_iban", json!("IT56M0306911200000000046020"), "postal_iban"),
        ("logo", json!("/etc/logo.png"), "logo"),
        (
            "gestionale",
            json!("nope"),
            "no gestionale \"nope\" is configured (configured: tributi)",
        ),
        ("gestionale", json!("Bad Name"), "gestionale"),
    ] {
        let mut bad = new.clone();
        bad[key] = value;
        let (status, body) = problem(test::call_service(&app, put(OPERATOR_KEY, "00345670178", &bad)).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_ente_settings"))
        );
        assert!(body["detail"].as_str().unwrap().contains(named), "{body}");
    }
    let mut served = new.clone();
    served["gestionale"] = json!("tributi");
    let resp = test::call_service(&app, put(OPERATOR_KEY, "00345670178", &served)).await;
    assert_eq!(resp.status(), StatusCode::OK, "a configured gestionale is accepted");
    let read: Value = test::call_and_read_body_json(
        &app,
        as_operator(test::TestRequest::get(), OPERATOR_KEY)
            .uri(&uri("00345670178"))
            .to_request(),
    )
    .await;
    assert_eq!(read["gestionale"], "tributi", "{read}");
    let (status, _) = problem(test::call_service(&app, put(OPERATOR_KEY, demo::COMUNE, &new)).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the body's id differs from the path's");

    // Logos: checked by their content.
    let logo = |content_type: &'static str, body: &'static [u8]| {
        as_operator(test::TestRequest::put(), OPERATOR_KEY)
            .uri(&format!("{}/logo", uri(demo::COMUNE)))
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, logo("image/gif", b"GIF89a")).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        test::call_service(&app, logo("image/png", b"<svg xmlns='http://www.w3.org/2000/svg'/>"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // An SVG that says it is one but cannot be read would fail every notice: refused at once.
    assert_eq!(
        test::call_service(
            &app,
            logo("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><rect")
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='10' height='10'/></svg>";
    assert_eq!(
        test::call_service(&app, logo("image/svg+xml", svg)).await.status(),
        StatusCode::NO_CONTENT
    );
    let got = test::call_service(
        &app,
        as_operator(test::TestRequest::get(), OPERATOR_KEY)
            .uri(&format!("{}/logo", uri(demo::COMUNE)))
            .to_request(),
    )
    .await;
    assert_eq!(got.headers().get("content-type").unwrap(), "image/svg+xml");
    assert_eq!(test::read_body(got).await.as_ref(), svg);
}

#[actix_web::test]
async fn dead_letters_are_listed_by_state_and_ente_counted_and_replayed_in_bulk() {
    use pagopa_domain::ports::{Clock as _, Outbox as _};

    let world = pagopa_domain::memory::MemoryWorld::new();
    let app = app_in(world.clone()).await;
    // The fixture's notification, given up on.
    let now = world.clock.now();
    let claimed = world
        .store
        .claim("w", now, chrono::Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    world
        .store
        .dead_letter(claimed[0].id, "w", "HTTP 503", now)
        .await
        .unwrap();

    let get = |key: &'static str, query: &str| {
        as_operator(test::TestRequest::get(), key)
            .uri(&format!("/api/v1/admin/outbox{query}"))
            .to_request()
    };
    let dead: Value = test::call_and_read_body_json(&app, get(OPERATOR_KEY, "?state=dead")).await;
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(
        (
            items[0]["state"].as_str(),
            items[0]["ente"].as_str(),
            items[0]["last_error"].as_str()
        ),
        (Some("dead"), Some(demo::COMUNE), Some("HTTP 503"))
    );
    assert_eq!(items[0]["event"]["type"], "payment_received");
    let pending: Value = test::call_and_read_body_json(&app, get(OPERATOR_KEY, "?state=pending")).await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 0);
    let later: Value =
        test::call_and_read_body_json(&app, get(OPERATOR_KEY, "?state=dead&from=2099-01-01T00:00:00Z")).await;
    assert_eq!(later["items"].as_array().unwrap().len(), 0, "filtered by date");
    let inverted: Value = test::call_and_read_body_json(
        &app,
        get(
            OPERATOR_KEY,
            "?state=dead&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
        ),
    )
    .await;
    assert_eq!(inverted["items"].as_array().unwrap().len(), 0, "an empty range");
    let open_ended: Value = test::call_and_read_body_json(&app, get(OPERATOR_KEY, "?state=dead&from=&to=")).await;
    assert_eq!(open_ended["items"].as_array().unwrap().len(), 1, "empty means absent");

    // A key limited to the Provincia names it, and sees none of the Comune's messages.
    let (status, body) = problem(test::call_service(&app, get(PROVINCIA_OPERATOR_KEY, "?state=dead")).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_ente"))
    );
    let theirs: Value = test::call_and_read_body_json(
        &app,
        get(PROVINCIA_OPERATOR_KEY, &format!("?state=dead&ente={}", demo::PROVINCIA)),
    )
    .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    for bad in ["?state=lost", "?from=yesterday", "?limit=0", "?ente=123"] {
        let (status, body) = problem(test::call_service(&app, get(OPERATOR_KEY, bad)).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    let metrics = |app_response: actix_web::dev::ServiceResponse| async move {
        String::from_utf8(test::read_body(app_response).await.to_vec()).unwrap()
    };
    let text = metrics(test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await).await;
    assert!(
        text.contains("pagopa_outbox_dead_letters 1") && text.contains("pagopa_outbox_backlog 0"),
        "{text}"
    );

    let replay = |key: &'static str, query: &str| {
        as_operator(test::TestRequest::post(), key)
            .uri(&format!("/api/v1/admin/outbox/replay{query}"))
            .to_request()
    };
    let (status, _) = problem(test::call_service(&app, replay(PROVINCIA_OPERATOR_KEY, "")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let none: Value = test::call_and_read_body_json(
        &app,
        replay(PROVINCIA_OPERATOR_KEY, &format!("?ente={}", demo::PROVINCIA)),
    )
    .await;
    assert_eq!(none["replayed"], 0);
    let (status, _) = problem(test::call_service(&app, replay(OPERATOR_KEY, "?after=3")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let done: Value =
        test::call_and_read_body_json(&app, replay(OPERATOR_KEY, &format!("?ente={}", demo::COMUNE))).await;
    assert_eq!(done["replayed"], 1);
    let text = metrics(test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await).await;
    assert!(
        text.contains("pagopa_outbox_dead_letters 0") && text.contains("pagopa_outbox_backlog 1"),
        "{text}"
    );
    let pending: Value = test::call_and_read_body_json(&app, get(OPERATOR_KEY, "?state=pending")).await;
    assert_eq!(pending["items"][0]["attempts"], 0, "{pending}");
}

#[actix_web::test]
async fn the_pull_feed_serves_every_event_of_an_ente_in_order_to_its_gestionale() {
    let app = app().await;
    let feed = |key: &'static str, ente: &str, query: &str| {
        as_operator(test::TestRequest::get(), key)
            .uri(&format!("/api/v1/admin/entes/{ente}/events{query}"))
            .to_request()
    };
    let first: Value = test::call_and_read_body_json(&app, feed(COMUNE_GESTIONALE_KEY, demo::COMUNE, "")).await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the fixture's receipt: {first}");
    assert_eq!((items[0]["seq"].as_u64(), first["cursor"].as_u64()), (Some(1), Some(1)));
    assert_eq!(items[0]["event"]["type"], "payment_received");
    assert_eq!(items[0]["event"]["receipt_id"], "r-tari");
    assert_eq!(
        (items[0]["needs_review"].as_bool(), items[0]["notification"].as_str()),
        (Some(false), Some("pending"))
    );
    let rest: Value = test::call_and_read_body_json(&app, feed(COMUNE_GESTIONALE_KEY, demo::COMUNE, "?after=1")).await;
    assert_eq!(
        (rest["items"].as_array().unwrap().len(), rest["cursor"].as_u64()),
        (0, Some(1))
    );
    // Operators read it too.
    let by_operator: Value = test::call_and_read_body_json(&app, feed(OPERATOR_KEY, demo::COMUNE, "?limit=5")).await;
    assert_eq!(by_operator["items"], first["items"]);

    // A gestionale key reads only its Enti's feed, and nothing else.
    let (status, body) =
        problem(test::call_service(&app, feed(COMUNE_GESTIONALE_KEY, demo::PROVINCIA, "")).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_ente"))
    );
    let outbox = as_operator(test::TestRequest::get(), COMUNE_GESTIONALE_KEY)
        .uri(&format!("/api/v1/admin/outbox?ente={}", demo::COMUNE))
        .to_request();
    let (status, body) = problem(test::call_service(&app, outbox).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );
    let (status, body) = problem(test::call_service(&app, feed(FRONT_END_KEY, demo::COMUNE, "")).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );
    for bad in ["?after=-1", "?after=x", "?limit=0", "?after=9223372036854775808"] {
        let (status, _) = problem(test::call_service(&app, feed(OPERATOR_KEY, demo::COMUNE, bad)).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}
