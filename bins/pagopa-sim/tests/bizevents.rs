//! A receipt the Node lost, read back over the biz-events receipts API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{DateTime, Utc};
use pagopa_domain::demo;
use pagopa_sim::flows::{BIZEVENTS_PREFIX, FlowDesk, SentPayment};
use serde_json::Value;

const RECEIPT_ID: &str = "0123456789abcdef0123456789abcdef";
const SPEC: &str = "/work/shared/pagopa-spec/pagopa-api/openapi/biz_events.json";

/// The `required` members of `schema` in the biz-events OpenAPI, if the file is here.
fn required(schema: &str) -> Option<Vec<String>> {
    let candidates = [
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/pagopa-spec/pagopa-api/openapi/biz_events.json"),
        std::path::PathBuf::from(SPEC),
    ];
    let Some(text) = candidates.iter().find_map(|p| std::fs::read_to_string(p).ok()) else {
        eprintln!("notice: {SPEC} is absent; the required members of {schema} are not checked");
        return None;
    };
    let spec: Value = serde_json::from_str(&text).unwrap();
    let list = spec["components"]["schemas"][schema]["required"].as_array().unwrap();
    Some(list.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
}

fn url(ente: &str, iur: &str, iuv: &str) -> String {
    format!("{BIZEVENTS_PREFIX}/organizations/{ente}/receipts/{iur}/paymentoptions/{iuv}")
}

#[actix_web::test]
async fn a_lost_receipt_is_served_as_ct_receipt_model_response() {
    let at: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    let option = demo::simple_option(1, 1050, "Pagamento", "2026-12-31");
    let receipt = demo::receipt_for(&option, RECEIPT_ID, at);
    let iuv = receipt.creditor_reference_id.to_string();
    let desk = Arc::new(FlowDesk::new());
    desk.record(SentPayment::from(&receipt));
    desk.hold(receipt.clone());
    assert_eq!(desk.held(demo::COMUNE, RECEIPT_ID, &iuv), Some(receipt.clone()));
    assert_eq!(desk.held(demo::COMUNE, RECEIPT_ID, "99"), None);

    let app =
        test::init_service(actix_web::App::new().configure(move |cfg| pagopa_sim::flows::http::configure(cfg, desk)))
            .await;

    let request = test::TestRequest::get()
        .uri(&url(demo::COMUNE, RECEIPT_ID, &iuv))
        .insert_header(("Ocp-Apim-Subscription-Key", "sim-key"))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = test::read_body_json(response).await;
    if let Some(required) = required("CtReceiptModelResponse") {
        for member in &required {
            assert!(body.get(member).is_some(), "{member} missing from {body:#}");
        }
    }
    assert_eq!(body["paymentAmount"], serde_json::json!(10.5));
    assert_eq!(body["receiptId"], RECEIPT_ID);
    assert_eq!(body["fiscalCode"], demo::COMUNE);
    assert_eq!(body["creditorReferenceId"], iuv.as_str());
    assert_eq!(body["noticeNumber"], receipt.notice_number.to_string());
    assert_eq!(body["outcome"], "OK");
    assert_eq!(body["fee"], serde_json::json!(1.2));
    assert_eq!(body["paymentDateTime"], "2026-11-25T10:00:00+00:00");
    let debtor = &body["debtor"];
    if let Some(required) = required("Debtor") {
        for member in &required {
            assert!(debtor.get(member).is_some(), "debtor.{member} missing from {body:#}");
        }
    }
    let transfers = body["transferList"].as_array().unwrap();
    assert_eq!(transfers.len(), 1);
    if let Some(required) = required("TransferPA") {
        for member in &required {
            assert!(
                transfers[0].get(member).is_some(),
                "transferList[0].{member} missing from {body:#}"
            );
        }
    }
    assert_eq!(transfers[0]["transferAmount"], serde_json::json!(10.5));
    assert_eq!(transfers[0]["idTransfer"], 1);

    // Another IUV, another Ente, another IUR: not found.
    for uri in [
        url(demo::COMUNE, RECEIPT_ID, "99999999999999999"),
        url("00000000001", RECEIPT_ID, &iuv),
        url(demo::COMUNE, "ffffffffffffffffffffffffffffffff", &iuv),
    ] {
        let request = test::TestRequest::get()
            .uri(&uri)
            .insert_header(("Ocp-Apim-Subscription-Key", "sim-key"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body["status"], 404);
        assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    }

    // No key, or an empty one: 401.
    for key in [None, Some(" ")] {
        let mut request = test::TestRequest::get().uri(&url(demo::COMUNE, RECEIPT_ID, &iuv));
        if let Some(key) = key {
            request = request.insert_header(("Ocp-Apim-Subscription-Key", key));
        }
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body["status"], 401);
        assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    }
}
