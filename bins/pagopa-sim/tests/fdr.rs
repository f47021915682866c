//! The flows the simulator publishes, read back by the back end's FdR client over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use common::{COMUNE, FakeEc, Script, TARI_NOTICE};
use pagopa_domain::value::EnteId;
use pagopa_nodo::fdr::dto::PayStatus;
use pagopa_nodo::fdr::{FdrClient, FdrError, FdrSettings};
use pagopa_sim::PayOptions;
use pagopa_sim::flows::{Anomaly, FlowDesk, PublishRequest, Sender, SentPayment, SentTransfer};
use serde_json::json;

const OTHER_ENTE: &str = "00000000001";

fn day() -> NaiveDate {
    "2026-11-25".parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn sender(psp: &str) -> Sender {
    Sender {
        psp_id: psp.into(),
        psp_name: "Banca Esempio S.p.A.".into(),
        broker_id: "12345678903".into(),
        channel_id: "12345678903_03".into(),
    }
}

/// Payment `n` of `psp`: one transfer to the Comune of (n % 900 + 1) euro, and a second to
/// another Ente every tenth payment.
fn payment(n: u32, psp: &str) -> SentPayment {
    let mut transfers = vec![SentTransfer {
        id: 1,
        ente: COMUNE.parse().unwrap(),
        ente_name: "Comune di Valdesempio".into(),
        amount_cents: i64::from(n % 900 + 1) * 100 + 5,
    }];
    if n.is_multiple_of(10) {
        transfers.push(SentTransfer {
            id: 2,
            ente: OTHER_ENTE.parse().unwrap(),
            ente_name: "Provincia di Esempio".into(),
            amount_cents: 250,
        });
    }
    SentPayment {
        receipt_id: format!("{n:032x}"),
        iuv: format!("0526010{n:010}"),
        sender: sender(psp),
        paid_at: at("2026-11-25T10:00:00Z"),
        day: day(),
        stand_in: n.is_multiple_of(7),
        transfers,
    }
}

fn client(address: std::net::SocketAddr) -> FdrClient {
    let settings: FdrSettings = serde_json::from_value(json!({
        "base_url": format!("http://{address}/fdr-org/service/v1"),
        "subscription_key": "sim-key",
        "page_size": 2,
    }))
    .unwrap();
    FdrClient::new(settings).unwrap()
}

fn serve(desk: &Arc<FlowDesk>) -> std::net::SocketAddr {
    let desk = Arc::clone(desk);
    let server = actix_web::HttpServer::new(move || {
        let desk = Arc::clone(&desk);
        actix_web::App::new().configure(move |cfg| pagopa_sim::flows::http::configure(cfg, desk))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    address
}

#[actix_web::test]
async fn a_published_flow_is_read_back_with_its_payment_pages() {
    let desk = Arc::new(FlowDesk::new());
    for n in 1..=1_250 {
        desk.record(payment(n, "ABI99999"));
    }
    desk.record(payment(5_000, "BCITITMM"));
    let published = desk
        .publish(
            &PublishRequest {
                day: day(),
                ente: Some(COMUNE.parse().unwrap()),
                psp: None,
                anomalies: vec![
                    Anomaly::NoReceipt,
                    Anomaly::StandInNoReceipt,
                    Anomaly::Revoked,
                    Anomaly::Duplicate,
                    Anomaly::WrongTotal,
                    Anomaly::ForeignIuv,
                    Anomaly::WrongAmount,
                    Anomaly::DropReceipt,
                ],
                regulation_date: None,
            },
            at("2026-11-26T08:00:00Z"),
        )
        .unwrap();
    assert_eq!(published.len(), 2, "{published:?}");
    let main = &published[0];
    assert_eq!((main.flow_id.as_str(), main.revision), ("2026-11-25ABI99999-0001", 1));
    // 1250 receipts, one dropped, five lines added.
    assert_eq!(main.lines, 1_250 - 1 + 5);
    assert_eq!(main.anomalies.len(), 8, "{:?}", main.anomalies);
    assert_eq!(published[1].flow_id, "2026-11-25BCITITMM-0001");

    let address = serve(&desk);
    let client = client(address);
    let pages = client
        .published_flows(COMUNE, at("2026-11-01T00:00:00Z"))
        .await
        .unwrap();
    let listed: Vec<(String, String, u64)> = pages
        .iter()
        .flat_map(|p| p.value.data.iter())
        .map(|f| (f.fdr.clone(), f.psp_id.clone(), f.revision))
        .collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&("2026-11-25ABI99999-0001".into(), "ABI99999".into(), 1)));
    assert!(
        client
            .published_flows(COMUNE, at("2026-11-26T08:00:00Z"))
            .await
            .unwrap()[0]
            .value
            .data
            .is_empty(),
        "publishedGt is strict"
    );

    let header = client
        .flow(COMUNE, "2026-11-25ABI99999-0001", 1, "ABI99999")
        .await
        .unwrap()
        .value;
    assert_eq!(header.regulation_date, "2026-11-26".parse::<NaiveDate>().unwrap());
    assert_eq!(header.receiver.organization_id, COMUNE);
    assert_eq!(header.sender.psp_name, "Banca Esempio S.p.A.");
    assert_eq!(header.tot_payments, 1_254);
    assert_eq!(header.computed_tot_payments, Some(1_254));

    let pages = client
        .flow_payments(COMUNE, "2026-11-25ABI99999-0001", 1, "ABI99999")
        .await
        .unwrap();
    assert_eq!(pages.len(), 2, "1254 payments in pages of 1000");
    let payments: Vec<_> = pages.iter().flat_map(|p| p.value.data.iter()).collect();
    assert_eq!(payments.len(), 1_254);
    let indices: Vec<u64> = payments.iter().map(|p| p.index).collect();
    assert_eq!(indices, (1..=1_254).collect::<Vec<u64>>());
    let lines_cents: i64 = payments.iter().map(|p| p.pay_cents().unwrap()).sum();
    let declared = pagopa_nodo::fdr::dto::amount_cents(header.sum_payments).unwrap();
    assert_eq!(declared, lines_cents + 100, "the wrong total is 1.00 above the lines");
    // Payment 1 with its amount raised by 1.00 (2.05 + 1.00), payment 7 paid in Stand-In.
    assert_eq!(payments[0].iur, format!("{:032x}", 1));
    assert_eq!(payments[0].pay_cents(), Some(305));
    assert_eq!(payments[6].pay_status, PayStatus::StandIn);
    let statuses: Vec<PayStatus> = payments[1_249..].iter().map(|p| p.pay_status).collect();
    assert_eq!(
        statuses,
        [
            PayStatus::NoRpt,
            PayStatus::StandInNoRpt,
            PayStatus::Revoked,
            PayStatus::Executed,
            PayStatus::Executed
        ]
    );
    assert_eq!(payments[1_251].pay_cents(), Some(-205));
    assert_eq!(payments[1_252].iur, payments[0].iur, "the duplicate");
    assert!(payments[1_253].iuv.starts_with("99"), "the foreign IUV");
    assert_eq!(payments[1_253].iuv.len(), 17);
    assert!(payments[1_249].iuv.starts_with("05"), "the Comune's segregation code");
    assert!(
        !payments.iter().any(|p| p.iur == format!("{:032x}", 1_250)),
        "the dropped receipt"
    );

    // The other Ente's transfers are in their own flow, published on their own request.
    let other = desk
        .publish(
            &PublishRequest {
                day: day(),
                ente: Some(OTHER_ENTE.parse().unwrap()),
                ..PublishRequest::default()
            },
            at("2026-11-26T09:00:00Z"),
        )
        .unwrap();
    let other: Vec<(&str, usize)> = other.iter().map(|p| (p.flow_id.as_str(), p.lines)).collect();
    assert_eq!(
        other,
        [("2026-11-25ABI99999-0002", 125), ("2026-11-25BCITITMM-0002", 1)]
    );

    // Every transfer of the day is in a flow now: publishing again publishes nothing.
    let again = PublishRequest {
        day: day(),
        ..PublishRequest::default()
    };
    assert_eq!(desk.publish(&again, at("2026-11-26T10:00:00Z")).unwrap(), []);

    // A new revision corrects the wrong amount.
    let revised = desk
        .publish(
            &PublishRequest {
                day: day(),
                ente: Some(COMUNE.parse().unwrap()),
                psp: Some("ABI99999".into()),
                anomalies: vec![Anomaly::NewRevision],
                regulation_date: None,
            },
            at("2026-11-27T08:00:00Z"),
        )
        .unwrap();
    assert_eq!(revised.len(), 1, "{revised:?}");
    assert_eq!(revised[0].revision, 2);
    let listed = client
        .published_flows(COMUNE, at("2026-11-26T08:30:00Z"))
        .await
        .unwrap();
    let flows: Vec<_> = listed.iter().flat_map(|p| p.value.data.iter()).collect();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].revision, 2);
    let pages = client
        .flow_payments(COMUNE, "2026-11-25ABI99999-0001", 2, "ABI99999")
        .await
        .unwrap();
    assert_eq!(pages[0].value.data[0].pay_cents(), Some(205));
    let header = client
        .flow(COMUNE, "2026-11-25ABI99999-0001", 2, "ABI99999")
        .await
        .unwrap()
        .value;
    assert_eq!(
        pagopa_nodo::fdr::dto::amount_cents(header.sum_payments),
        Some(lines_cents - 100)
    );

    let missing = client
        .flow(COMUNE, "2026-11-25ABI99999-0001", 3, "ABI99999")
        .await
        .unwrap_err();
    assert!(matches!(missing, FdrError::NotFound { .. }), "{missing}");
}

#[actix_web::test]
async fn the_admin_endpoint_publishes_what_the_simulator_paid() {
    let ec = FakeEc::start(Script::default()).await;
    let checkout = pagopa_sim::CheckoutSim::new(ec.simulator(None), pagopa_sim::CheckoutSettings::default());
    let sim = checkout.simulator().clone();
    let ente: EnteId = COMUNE.parse().unwrap();
    let report = sim
        .pay_notice(&ente, &TARI_NOTICE.parse().unwrap(), &PayOptions::default())
        .await;
    assert!(report.success, "{report}");
    assert_eq!(sim.flows().sent_count(), 1);
    let app = actix_web::test::init_service(actix_web::App::new().configure(move |cfg| checkout.configure(cfg))).await;
    let today = pagopa_sim::receipt::now().date_naive();
    let request = actix_web::test::TestRequest::post()
        .uri("/sim/flows/publish")
        .set_json(json!({"day": today, "ente": COMUNE, "anomalies": ["no_receipt"]}))
        .to_request();
    let answer: serde_json::Value = actix_web::test::call_and_read_body_json(&app, request).await;
    let published = answer["published"].as_array().unwrap();
    assert_eq!(published.len(), 1, "{answer}");
    assert_eq!(published[0]["lines"], 2);
    // The TARI notice's transfer to the Comune (the rest goes to the Provincia's flow) and the
    // code-9 line of 10.00.
    assert_eq!(published[0]["declared_total_cents"], 23_400 + 1_000);
    let request = actix_web::test::TestRequest::post()
        .uri("/sim/flows/publish")
        .set_json(json!({"day": today, "anomalies": ["mistake"]}))
        .to_request();
    let answer = actix_web::test::call_service(&app, request).await;
    assert_eq!(answer.status(), 400);
    let request = actix_web::test::TestRequest::get()
        .uri(&format!("/fdr-org/service/v1/organizations/{COMUNE}/fdrs"))
        .to_request();
    assert_eq!(
        actix_web::test::call_service(&app, request).await.status(),
        401,
        "no key"
    );
    ec.stop().await;
}

#[actix_web::test]
async fn the_same_flows_are_read_over_soap_with_the_back_ends_client() {
    use pagopa_domain::ports::FlowSource;
    use pagopa_nodo::flow_soap::{NodoFlowSettings, NodoFlowSource};

    let desk = Arc::new(FlowDesk::new());
    for n in 1..=40 {
        desk.record(payment(n, "ABI99999"));
    }
    let request = PublishRequest {
        day: day(),
        ente: Some(COMUNE.parse().unwrap()),
        psp: None,
        anomalies: vec![Anomaly::NoReceipt, Anomaly::Revoked],
        regulation_date: None,
    };
    desk.publish(&request, at("2026-11-26T08:00:00Z")).unwrap();
    let address = serve(&desk);
    let settings: NodoFlowSettings = serde_json::from_value(json!({
        "base_url": format!("http://{address}{}", pagopa_sim::flows::soap::SOAP_PATH),
        "broker_id": "80012345676",
        "station_id": "80012345676_01",
        "password": "Password01",
    }))
    .unwrap();
    let source = NodoFlowSource::new(settings).unwrap();
    let comune: EnteId = COMUNE.parse().unwrap();
    let listed = source.published(&comune, at("2026-11-01T00:00:00Z")).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].key.flow_id.as_str(), "2026-11-25ABI99999-0001");
    assert_eq!(listed[0].key.psp.as_str(), "ABI99999");
    let fetched = source.fetch(&listed[0]).await.unwrap();
    let latest = desk.latest(COMUNE);
    let mut expected = latest[0].flow.clone();
    // XML carries no revision, no publication time and the flow's time to the second.
    expected.published_at = None;
    expected.psp_name = fetched.flow.psp_name.clone();
    expected.flow_date = fetched.flow.flow_date;
    assert_eq!(
        fetched.flow.lines, expected.lines,
        "every line as published, revocation negative"
    );
    assert_eq!(fetched.flow.declared_total_cents, expected.declared_total_cents);
    assert_eq!(fetched.raw[0].part, "xml");

    // A flow not published is the Node's fault, not a crash.
    let mut unknown = listed[0].clone();
    unknown.key.flow_id = "2026-11-25ABI99999-9999".parse().unwrap();
    let error = source.fetch(&unknown).await.unwrap_err();
    assert!(error.message.contains("PPT_ID_FLUSSO_SCONOSCIUTO"), "{error}");
}
