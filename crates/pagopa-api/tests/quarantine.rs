//! `GET /api/v1/admin/quarantine`: unreadable receipts for operators, newest first, each key
//! seeing only the Enti it may act on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::test;
use pagopa_api::ApiState;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::{QuarantineEntry, demo};
use serde_json::Value;

mod common;

use common::{OPERATOR_KEY, PROVINCIA_OPERATOR_KEY};

async fn app()
-> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
    let world = MemoryWorld::new();
    let ports = world.ports();
    for (ente, reason) in [
        (
            Some(demo::COMUNE),
            "notice 305260100000471131 was not issued by this Ente",
        ),
        (Some(demo::PROVINCIA), "unexpected element"),
        (None, "the request is not UTF-8"),
    ] {
        let entry = QuarantineEntry::capture(
            world.clock.now(),
            Some("10.1.2.3:4567".into()),
            Some("paSendRTV2".into()),
            ente.map(|e| e.parse().unwrap()),
            reason,
            Some(b"<soapenv:Envelope>broken"),
        );
        ports.quarantine.keep(&entry).await.unwrap();
    }
    let state = ApiState {
        services: world.services(),
        ports,
    };
    common::service(state, common::keys(), None).await
}

fn as_operator(uri: &str, key: &str) -> actix_http::Request {
    test::TestRequest::get()
        .uri(uri)
        .insert_header(("x-api-key", key))
        .to_request()
}

#[actix_web::test]
async fn operators_list_the_quarantine_newest_first() {
    let app = app().await;
    let page: Value =
        test::call_and_read_body_json(&app, as_operator("/api/v1/admin/quarantine?limit=2", OPERATOR_KEY)).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["reason"], "the request is not UTF-8");
    assert_eq!(items[1]["ente"], demo::PROVINCIA);
    assert_eq!(items[1]["raw"], "<soapenv:Envelope>broken");
    assert_eq!(items[1]["peer"], "10.1.2.3:4567");
    assert_eq!(items[1]["operation"], "paSendRTV2");
    let before = page["next"]["before"].as_u64().unwrap();
    let rest: Value = test::call_and_read_body_json(
        &app,
        as_operator(&format!("/api/v1/admin/quarantine?before={before}"), OPERATOR_KEY),
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["ente"], demo::COMUNE);
    assert!(rest.get("next").is_none());
}

#[actix_web::test]
async fn a_key_limited_to_some_enti_sees_only_theirs() {
    let app = app().await;
    let resp = test::call_service(&app, as_operator("/api/v1/admin/quarantine", PROVINCIA_OPERATOR_KEY)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "an Ente filter is required");
    let uri = format!("/api/v1/admin/quarantine?ente={}", demo::COMUNE);
    let resp = test::call_service(&app, as_operator(&uri, PROVINCIA_OPERATOR_KEY)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let uri = format!("/api/v1/admin/quarantine?ente={}", demo::PROVINCIA);
    let own: Value = test::call_and_read_body_json(&app, as_operator(&uri, PROVINCIA_OPERATOR_KEY)).await;
    let items = own["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["ente"], demo::PROVINCIA);
}
