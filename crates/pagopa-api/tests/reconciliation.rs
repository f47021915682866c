//! Reconciliation for operators over an in-memory world: a flow uploaded as XML and matched,
//! a bank statement uploaded and matched, the status per day, the work list with a
//! resolution, the export, and the bad inputs each route refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::test;
use pagopa_api::{ApiState, ReconciliationTools};
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::{FetchSchedule, StationIds};
use pagopa_domain::*;
use serde_json::{Value, json};

mod common;

use common::{OPERATOR_KEY, PROVINCIA_OPERATOR_KEY};
const FLOW: &str = "2026-11-26ABI03069-0001";

async fn app(
    world: &MemoryWorld,
) -> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let state = ApiState {
        services: world.services(),
        ports: world.ports(),
    };
    let tools = ReconciliationTools {
        decode_flow: |xml| pagopa_nodo::flow_xml::decode(xml).map_err(|e| e.to_string()),
        source: None,
        schedule: FetchSchedule::default(),
        worker: "test".into(),
        recovery: None,
    };
    common::service(state, common::keys(), Some(tools)).await
}

/// The TARI receipt of the demo debtor: (receipt, its first transfer's id and amount).
async fn pay_tari(world: &MemoryWorld) -> Receipt {
    let option = demo::tari().options[0].clone();
    let receipt = demo::receipt_for(&option, "r-tari", world.clock.now());
    world
        .services()
        .node
        .accept_receipt(
            &StationIds {
                ente: demo::COMUNE.parse().unwrap(),
                broker: demo::BROKER.into(),
                station: demo::STATION.into(),
            },
            receipt.clone(),
        )
        .await
        .unwrap();
    receipt
}

fn flow_of(receipt: &Receipt, ente: &str) -> FlowRevision {
    let mine: Vec<&ReceiptTransfer> = receipt
        .transfers
        .iter()
        .filter(|t| t.ente.as_str() == demo::COMUNE)
        .collect();
    let mut lines: Vec<FlowLine> = mine
        .iter()
        .enumerate()
        .map(|(i, t)| FlowLine {
            index: i as u32 + 1,
            iuv: receipt.creditor_reference_id.as_str().into(),
            iur: receipt.receipt_id.as_str().into(),
            transfer_id: Some(t.id),
            amount_cents: t.amount.cents() as i64,
            outcome: LineOutcome::Executed,
            outcome_date: "2026-11-25".parse().unwrap(),
        })
        .collect();
    lines.push(FlowLine {
        index: lines.len() as u32 + 1,
        iuv: demo::comune_notice(777).iuv().as_str().into(),
        iur: "missing-receipt-0001".into(),
        transfer_id: Some(1),
        amount_cents: 1_500,
        outcome: LineOutcome::Executed,
        outcome_date: "2026-11-25".parse().unwrap(),
    });
    let total = lines.iter().map(|l| l.amount_cents).sum();
    FlowRevision {
        key: FlowKey {
            ente: ente.parse().unwrap(),
            psp: "ABI03069".parse().unwrap(),
            flow_id: FLOW.parse().unwrap(),
        },
        revision: 1,
        psp_name: Some("Banca Esempio".into()),
        flow_date: "2026-11-26T08:00:00Z".parse().unwrap(),
        published_at: None,
        regulation: "SCT-0001".into(),
        regulation_date: "2026-11-26".parse().unwrap(),
        bic: None,
        declared_count: lines.len() as u64,
        declared_total_cents: total,
        lines,
    }
}

fn post(path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> test::TestRequest {
    test::TestRequest::post()
        .uri(path)
        .insert_header(("x-api-key", OPERATOR_KEY))
        .insert_header(("content-type", content_type))
        .set_payload(body.into())
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .insert_header(("x-api-key", OPERATOR_KEY))
}

async fn call<S>(app: &S, request: test::TestRequest) -> (StatusCode, Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let body = test::read_body(response).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn flows_statements_work_list_and_export() {
    let world = MemoryWorld::new();
    let app = app(&world).await;
    let receipt = pay_tari(&world).await;
    let flow = flow_of(&receipt, demo::COMUNE);
    let xml = pagopa_nodo::flow_xml::encode(&flow);
    let base = format!("/api/v1/admin/entes/{}", demo::COMUNE);

    let (status, body) = call(&app, post(&format!("{base}/flows"), "application/xml", xml.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["stored"], "new");
    assert_eq!(body["status"], "anomalous");
    assert_eq!(body["anomalies"]["opened"], 1);
    let (status, body) = call(&app, post(&format!("{base}/flows"), "application/xml", xml.clone())).await;
    assert_eq!(
        (status, body["stored"].as_str()),
        (StatusCode::OK, Some("already_stored"))
    );

    // Refusals: the wrong media type, not a flow, another Ente's flow, another Ente's key.
    let (status, body) = call(&app, post(&format!("{base}/flows"), "text/plain", xml.clone())).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"))
    );
    let (status, body) = call(&app, post(&format!("{base}/flows"), "application/xml", "<a/>")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_flow"))
    );
    let other = pagopa_nodo::flow_xml::encode(&flow_of(&receipt, demo::PROVINCIA));
    let (status, body) = call(&app, post(&format!("{base}/flows"), "application/xml", other)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ente_mismatch"))
    );
    let (status, _) = call(
        &app,
        post(&format!("{base}/flows"), "application/xml", xml.clone())
            .insert_header(("x-api-key", PROVINCIA_OPERATOR_KEY)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, post(&format!("{base}/flows"), "application/xml", "")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("empty_body"))
    );

    // The flow, listed and read with its matches.
    let (status, body) = call(&app, get(&format!("{base}/flows"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (status, body) = call(&app, get(&format!("{base}/flows/ABI03069/{FLOW}"))).await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"missing"));
    assert!(kinds[..kinds.len() - 1].iter().all(|k| *k == "matched"), "{kinds:?}");
    let (status, _) = call(&app, get(&format!("{base}/flows/ABI03069/2026-11-26ABI03069-9999"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, get(&format!("{base}/flows?status=nonsense"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The bank statement: the flow's credit and one naming nothing.
    let total = flow.lines_total_cents();
    let csv = format!(
        "date,amount,account,remittance\n2026-11-26,{}.{:02},IT60X0542811101000000123456,/PUR/LGPE-RIVERSAMENTO/URI/{FLOW}\n\
         2026-11-26,12.00,IT60X0542811101000000123456,GIROCONTO\n",
        total / 100,
        total % 100
    );
    let (status, body) = call(&app, post(&format!("{base}/bank-statements"), "text/csv", csv.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["flows"].as_u64(), body["unmatched"].as_u64()), (Some(1), Some(1)));
    let (status, body) = call(&app, post(&format!("{base}/bank-statements"), "text/csv", csv)).await;
    assert_eq!((status, body["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
    let (status, body) = call(
        &app,
        post(&format!("{base}/bank-statements"), "text/csv", "date,amount\n"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(&app, get(&format!("{base}/bank-credits?unmatched=true"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (_, body) = call(&app, get(&format!("{base}/flows/ABI03069/{FLOW}"))).await;
    assert_eq!(body["summary"]["status"], "cashed");

    // The work list, filtered; one resolved with a note.
    let (status, body) = call(&app, get(&format!("{base}/reconciliation/anomalies"))).await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["line_without_receipt", "credit_unmatched"]);
    let missing = &body["items"][0];
    assert_eq!(missing["links"]["iur"], "missing-receipt-0001");
    assert!(missing["action"].as_str().unwrap().contains("Recover the receipt"));
    let id = missing["id"].as_u64().unwrap();
    let (status, body) = call(
        &app,
        post(
            &format!("{base}/reconciliation/anomalies/{id}/resolve"),
            "application/json",
            json!({"note": "PSP: duplicate line, flow to be corrected"}).to_string(),
        ),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("resolved")));
    assert_eq!(body["resolution"]["by"], "op");
    let (status, _) = call(
        &app,
        post(
            &format!("{base}/reconciliation/anomalies/{id}/resolve"),
            "application/json",
            json!({"note": " "}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &app,
        post(
            &format!("{base}/reconciliation/anomalies/999999/resolve"),
            "application/json",
            json!({"note": "x"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = call(
        &app,
        get(&format!(
            "{base}/reconciliation/anomalies?code=line_without_receipt&status=resolved"
        )),
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (status, _) = call(&app, get(&format!("{base}/reconciliation/anomalies?code=bogus"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The status per day and the export.
    let today = world.clock.today();
    let from = today - chrono::Duration::days(7);
    let (status, body) = call(&app, get(&format!("{base}/reconciliation?from={from}&to={today}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let day = body["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["receipts"]["count"].as_u64() > Some(0))
        .unwrap();
    assert_eq!(
        day["receipts"], day["cashed"],
        "every transfer reported and cashed: {day}"
    );
    let (status, _) = call(&app, get(&format!("{base}/reconciliation?from={today}&to={from}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, get(&format!("{base}/reconciliation?from=2020-01-01&to={today}"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let response = test::call_service(
        &app,
        get(&format!("{base}/reconciliation/export?from={from}&to={today}")).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ente,receipt_id,iuv,notice_number,transfer_id,amount_cents,category")
    );
    let row = lines.next().unwrap();
    assert!(row.contains("r-tari") && row.contains(FLOW), "{row}");

    // No flow source: a fetch cannot be started.
    let (status, body) = call(&app, post(&format!("{base}/flows/fetch"), "application/json", "")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_flow_source"))
    );
    // No receipts service: the missing receipts cannot be asked for.
    let (status, body) = call(
        &app,
        post(&format!("{base}/reconciliation/recover"), "application/json", ""),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_receipt_source"))
    );
}
