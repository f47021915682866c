//! The receipts service client (biz-events) against a local stand-in (no internet): a receipt
//! read and recorded as the domain's, 404 as "none", a throttled or refused call as the right
//! kind of error, the key sent and never shown, every request one of the official
//! `biz_events.json`, and the stand-in's receipt complete by that file's schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Mutex, OnceLock};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{TimeZone, Utc};
use pagopa_domain::model::{Delivery, PrimitiveVersion};
use pagopa_domain::ports::ReceiptSource;
use pagopa_http_client::stand_in::StandIn;
use pagopa_nodo::bizevents::{BizEventsClient, BizEventsSettings};
use serde_json::{Value, json};

const KEY: &str = "bizevents-test-subscription-key";
const PREFIX: &str = "/bizevents/service/v1";
const ORG: &str = "80012345676";
const IUR: &str = "c8be0e5a4e9d4f8a9b1f2e3d4c5b6a79";
const IUV: &str = "02000000000012320";

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pagopa-api/openapi/biz_events.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// The receipt the stand-in holds.
fn held() -> Value {
    json!({
        "receiptId": IUR,
        "noticeNumber": format!("3{IUV}"),
        "fiscalCode": ORG,
        "outcome": "OK",
        "creditorReferenceId": IUV,
        "paymentAmount": 10.5,
        "description": "Mensa scolastica",
        "companyName": "Comune di Valdesempio",
        "debtor": {
            "entityUniqueIdentifierType": "F",
            "entityUniqueIdentifierValue": "RSSMRA80A01H501U",
            "fullName": "Mario Rossi"
        },
        "transferList": [{
            "idTransfer": 1, "transferAmount": 10.5, "fiscalCodePA": ORG,
            "iban": "IT60X0542811101000000123456", "mbdAttachment": "",
            "remittanceInformation": "Mensa", "transferCategory": "9/0101108TS/"
        }],
        "idPSP": "ABI03069",
        "pspCompanyName": "Banca Esempio",
        "idChannel": "ABI03069_01",
        "paymentDateTime": "2026-11-26T10:15:00"
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Holds,
    Throttled,
    Refused,
}

struct State {
    mode: Mode,
    seen: Mutex<Vec<(String, Option<String>)>>,
}

async fn answer(request: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let path = request.path().strip_prefix(PREFIX).unwrap().to_owned();
    let key = request
        .headers()
        .get("Ocp-Apim-Subscription-Key")
        .map(|v| v.to_str().unwrap().to_owned());
    state.seen.lock().unwrap().push((path.clone(), key));
    let problem = |status: u16, title: &str| {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .json(json!({"title": title, "status": status, "detail": title}))
    };
    match state.mode {
        Mode::Throttled => return problem(429, "Too Many Requests"),
        Mode::Refused => return problem(401, "Access denied due to invalid subscription key"),
        Mode::Holds => {}
    }
    if path == format!("/organizations/{ORG}/receipts/{IUR}/paymentoptions/{IUV}") {
        HttpResponse::Ok().json(held())
    } else {
        problem(404, "Not found the receipt")
    }
}

async fn start(mode: Mode) -> (StandIn<State>, BizEventsClient) {
    let stand_in = StandIn::start(
        State {
            mode,
            seen: Mutex::new(Vec::new()),
        },
        answer,
    )
    .unwrap();
    let client = BizEventsClient::new(BizEventsSettings {
        base_url: format!("http://{}{PREFIX}", stand_in.addr()),
        subscription_key: KEY.into(),
        timeout_ms: 5_000,
    })
    .unwrap();
    (stand_in, client)
}

fn delivery() -> Delivery {
    Delivery {
        recipient: ORG.parse().unwrap(),
        broker_id: ORG.parse().unwrap(),
        station_id: format!("{ORG}_01").parse().unwrap(),
        version: PrimitiveVersion::V2,
        received_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        raw_message: None,
        recovered: true,
    }
}

#[test]
fn the_stand_in_receipt_has_every_required_member() {
    let schema = &spec()["components"]["schemas"]["CtReceiptModelResponse"];
    let held = held();
    for member in schema["required"].as_array().unwrap() {
        assert!(held.get(member.as_str().unwrap()).is_some(), "{member} missing");
    }
    let transfer = &spec()["components"]["schemas"]["TransferPA"];
    for member in transfer["required"].as_array().unwrap() {
        assert!(
            held["transferList"][0].get(member.as_str().unwrap()).is_some(),
            "{member}"
        );
    }
}

#[actix_web::test]
async fn a_held_receipt_is_read_and_a_missing_one_is_none() {
    let (stand_in, client) = start(Mode::Holds).await;
    let ente = ORG.parse().unwrap();
    let receipt = ReceiptSource::receipt(&client, &ente, IUR, IUV, delivery())
        .await
        .unwrap()
        .expect("held");
    assert_eq!(receipt.receipt_id.as_str(), IUR);
    assert_eq!(receipt.amount.cents(), 1_050);
    assert!(receipt.delivery.recovered);
    assert!(
        receipt.delivery.raw_message.as_deref().unwrap().contains(IUR),
        "the answer as received"
    );
    let none = ReceiptSource::receipt(&client, &ente, IUR, "02000000000099999", delivery())
        .await
        .unwrap();
    assert!(none.is_none());

    // Every request is an operation of the specification, with the key.
    let paths = spec()["paths"].as_object().unwrap();
    for (path, key) in stand_in.state().seen.lock().unwrap().iter() {
        assert_eq!(key.as_deref(), Some(KEY));
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let known = paths.keys().any(|template| {
            let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment)
        });
        assert!(known, "{path} is not in biz_events.json");
    }
    stand_in.stop().await;
}

#[actix_web::test]
async fn throttled_is_transient_and_refused_is_not() {
    let ente = ORG.parse().unwrap();
    let (stand_in, client) = start(Mode::Throttled).await;
    let error = ReceiptSource::receipt(&client, &ente, IUR, IUV, delivery())
        .await
        .unwrap_err();
    assert!(error.transient, "{}", error.message);
    assert!(error.message.contains("429"), "{}", error.message);
    assert!(!error.message.contains(KEY));
    stand_in.stop().await;

    let (stand_in, client) = start(Mode::Refused).await;
    let error = ReceiptSource::receipt(&client, &ente, IUR, IUV, delivery())
        .await
        .unwrap_err();
    assert!(!error.transient, "{}", error.message);
    assert!(error.message.contains("401"), "{}", error.message);
    stand_in.stop().await;
}
