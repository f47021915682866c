//! The PSP flows against a fake Ente endpoint that answers with the canned samples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{CDU_NOTICE, COMUNE, FakeEc, SECRET, Script, TARI_NOTICE};
use pagopa_domain::value::{EnteId, NoticeNumber};
use pagopa_nodo::soap::{NodeRequest, decode_request};
use pagopa_sim::receipt::now;
use pagopa_sim::{DemandRequest, Outcome, PayOptions, ReceiptTimeout};

fn ids(notice: &str) -> (EnteId, NoticeNumber) {
    (COMUNE.parse().unwrap(), notice.parse().unwrap())
}

fn receipt_of(body: &str) -> pagopa_domain::model::Receipt {
    match decode_request(body, Some("paSendRTV2"), now()).unwrap() {
        NodeRequest::Receipt { receipt, .. } => *receipt,
        other => panic!("not a receipt: {other:?}"),
    }
}

#[actix_web::test]
async fn modello_3_calls_verify_activate_and_receipt_in_order() {
    let ec = FakeEc::start(Script::default()).await;
    let sim = ec.simulator(Some(SECRET));
    let (ente, notice) = ids(TARI_NOTICE);
    let report = sim.pay_notice(&ente, &notice, &PayOptions::default()).await;
    assert!(report.success, "{report}");
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2"]);
    for seen in ec.seen() {
        assert_eq!(seen.content_type, "text/xml; charset=utf-8");
        assert_eq!(seen.secret.as_deref(), Some(SECRET));
    }
    assert_eq!(report.amount_cents, Some(24_570));
    let steps: Vec<_> = report.steps.iter().map(|s| (s.step.as_str(), s.outcome)).collect();
    assert_eq!(
        steps,
        [
            ("verify", Outcome::Ok),
            ("activate", Outcome::Ok),
            ("receipt", Outcome::Ok)
        ]
    );
    // The activation carried the amount seen at verify; the receipt echoes the activation.
    let seen = ec.seen();
    assert!(seen[1].body.contains("<amount>245.70</amount>"), "{}", seen[1].body);
    let receipt = receipt_of(&seen[2].body);
    assert_eq!(Some(receipt.receipt_id.to_string()), report.receipt_id);
    assert_eq!(receipt.amount.cents(), 24_570);
    assert_eq!(receipt.transfers.iter().map(|t| t.amount.cents()).sum::<u64>(), 24_570);
    assert_eq!(receipt.metadata.get("TARI-TEFA-2"), Some("A000|2026|TEFA"));
    // Kept for resends.
    let kept = sim.receipts().load(&receipt.receipt_id).unwrap().unwrap();
    assert_eq!(kept, seen[2].body);
    assert!(report.to_string().contains("paSendRTV2"));
    ec.stop().await;
}

#[actix_web::test]
async fn a_stamp_is_paid_with_an_attachment() {
    let ec = FakeEc::start(Script {
        activate: "paGetPaymentV2Response-stamp.xml",
        ..Script::default()
    })
    .await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(CDU_NOTICE);
    let report = sim.pay_notice(&ente, &notice, &PayOptions::default()).await;
    assert!(report.success, "{report}");
    let receipt = receipt_of(&ec.seen()[2].body);
    assert!(receipt.transfers[1].iban.is_none());
    assert!(receipt.transfers[1].stamp_attachment.is_some());
    assert!(ec.seen().iter().all(|s| s.secret.is_none()));
    ec.stop().await;
}

#[actix_web::test]
async fn duplicate_second_receipt_and_abandon() {
    let ec = FakeEc::start(Script::default()).await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(TARI_NOTICE);
    let options = PayOptions {
        duplicate: true,
        second_receipt: true,
        ..PayOptions::default()
    };
    let report = sim.pay_notice(&ente, &notice, &options).await;
    assert!(report.success, "{report}");
    let seen = ec.seen();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[2].body, seen[3].body, "the duplicate is the same message");
    let second = receipt_of(&seen[4].body);
    assert_ne!(Some(second.receipt_id.to_string()), report.receipt_id);
    let last = report.steps.last().unwrap();
    assert_eq!(
        (last.outcome, last.fault_code.as_deref()),
        (Outcome::Ko, Some("PAA_RECEIPT_DUPLICATA"))
    );

    let abandoned = sim
        .pay_notice(
            &ente,
            &notice,
            &PayOptions {
                abandon: true,
                ..PayOptions::default()
            },
        )
        .await;
    assert!(abandoned.success, "{abandoned}");
    assert_eq!(ec.actions()[5..], ["paVerifyPaymentNotice", "paGetPaymentV2"]);
    ec.stop().await;
}

#[actix_web::test]
async fn an_unexpected_receipt_fault_fails_the_report() {
    // The fake refuses a second, different receipt for a notice it saw paid: the second
    // payment's receipt answers KO where OK was expected.
    let ec = FakeEc::start(Script::default()).await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(TARI_NOTICE);
    assert!(sim.pay_notice(&ente, &notice, &PayOptions::default()).await.success);
    let again = sim.pay_notice(&ente, &notice, &PayOptions::default()).await;
    assert!(!again.success);
    assert!(again.to_string().contains("UNEXPECTED (wanted OK)"), "{again}");
    ec.stop().await;
}

#[actix_web::test]
async fn a_timed_out_receipt_is_resent() {
    let ec = FakeEc::start(Script {
        receipt_delay: Duration::from_millis(150),
        ..Script::default()
    })
    .await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(TARI_NOTICE);
    let options = PayOptions {
        timeout: Some(ReceiptTimeout {
            client_timeout: Duration::from_millis(20),
            resend_after: Duration::from_millis(10),
        }),
        late: Some(Duration::from_millis(30)),
        ..PayOptions::default()
    };
    let report = sim.pay_notice(&ente, &notice, &options).await;
    assert!(report.success, "{report}");
    let outcomes: Vec<_> = report.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, [Outcome::Ok, Outcome::Ok, Outcome::Timeout, Outcome::Ok]);
    let seen = ec.seen();
    assert_eq!(seen[2].body, seen[3].body);
    assert!(report.notes.iter().any(|n| n.contains("waited 30 ms")));
    ec.stop().await;
}

#[actix_web::test]
async fn stand_in_sends_only_a_receipt_after_reading_the_notice() {
    let ec = FakeEc::start(Script::default()).await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(TARI_NOTICE);
    let options = PayOptions {
        stand_in: true,
        ..PayOptions::default()
    };
    let report = sim.pay_notice(&ente, &notice, &options).await;
    assert!(report.success, "{report}");
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice", "paSendRTV2"]);
    let receipt = receipt_of(&ec.seen()[1].body);
    assert!(receipt.stand_in);
    assert_eq!(receipt.amount.cents(), 24_570);

    // With the Node's copy given, the Ente sees the receipt only.
    let copy = pagopa_sim::NoticeCopy::demo("10.00".parse().unwrap()).unwrap();
    let other: NoticeNumber = CDU_NOTICE.parse().unwrap();
    let report = sim
        .pay_notice(
            &ente,
            &other,
            &PayOptions {
                stand_in: true,
                stand_in_copy: Some(copy),
                ..PayOptions::default()
            },
        )
        .await;
    assert!(report.success, "{report}");
    assert_eq!(ec.actions()[2..], ["paSendRTV2"]);
    ec.stop().await;
}

#[actix_web::test]
async fn a_refused_verify_stops_the_payment_unless_expected() {
    let ec = FakeEc::start(Script {
        verify: "paVerifyPaymentNoticeRes-ko-scaduto.xml",
        ..Script::default()
    })
    .await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(TARI_NOTICE);
    let report = sim.pay_notice(&ente, &notice, &PayOptions::default()).await;
    assert!(!report.success);
    assert_eq!(report.steps[0].fault_code.as_deref(), Some("PAA_PAGAMENTO_SCADUTO"));
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice"]);
    let expected = PayOptions {
        expect_fault: Some("PAA_PAGAMENTO_SCADUTO".into()),
        ..PayOptions::default()
    };
    let report = sim.pay_notice(&ente, &notice, &expected).await;
    assert!(report.success, "{report}");
    assert_eq!(ec.actions().len(), 2);
    ec.stop().await;
}

#[actix_web::test]
async fn demand_then_pay_and_resend() {
    let ec = FakeEc::start(Script::default()).await;
    let sim = ec.simulator(None);
    let values = BTreeMap::from([
        ("anno_validita".to_owned(), "2027".to_owned()),
        ("tipologia".to_owned(), "RESIDENTE".to_owned()),
    ]);
    let request = DemandRequest::new("90001", values);
    let report = sim
        .demand(&COMUNE.parse().unwrap(), &request, Some(&PayOptions::default()))
        .await;
    assert!(report.success, "{report}");
    assert_eq!(report.notice.as_deref(), Some("305260900000005761"));
    assert_eq!(
        ec.actions(),
        [
            "paDemandPaymentNotice",
            "paVerifyPaymentNotice",
            "paGetPaymentV2",
            "paSendRTV2"
        ]
    );
    match decode_request(&ec.seen()[0].body, Some("paDemandPaymentNotice"), now()).unwrap() {
        NodeRequest::Demand { service_id, values, .. } => {
            assert_eq!(service_id, "90001");
            assert_eq!(values.get("anno_validita").map(String::as_str), Some("2027"));
        }
        other => panic!("{other:?}"),
    }
    let receipt_id = report.receipt_id.unwrap().parse().unwrap();
    let resent = sim.resend_receipt(&receipt_id).await;
    assert!(resent.success, "{resent}");
    assert_eq!(ec.seen()[4].body, ec.seen()[3].body);
    let missing = sim
        .resend_receipt(&"ffffffffffffffffffffffffffffffff".parse().unwrap())
        .await;
    assert!(!missing.success);
    ec.stop().await;
}

#[actix_web::test]
async fn an_unreachable_endpoint_is_reported_not_panicked() {
    let ec = FakeEc::start(Script::default()).await;
    let url = ec.url();
    ec.stop().await;
    let mut settings = pagopa_sim::NodeClientSettings::new(url);
    settings.timeout = Some(Duration::from_millis(500));
    let sim = pagopa_sim::Simulator::new(
        pagopa_sim::NodeClient::new(settings).unwrap(),
        pagopa_sim::PspProfile::banca_esempio().unwrap(),
        std::sync::Arc::new(pagopa_sim::MemoryReceipts::new()),
    );
    let (ente, notice) = ids(TARI_NOTICE);
    let report = sim.pay_notice(&ente, &notice, &PayOptions::default()).await;
    assert!(!report.success);
    assert!(matches!(report.steps[0].outcome, Outcome::Error | Outcome::Timeout));
}

#[actix_web::test]
async fn a_lost_receipt_is_paid_and_held_but_never_sent() {
    let ec = FakeEc::start(Script {
        activate: "paGetPaymentV2Response-stamp.xml",
        ..Script::default()
    })
    .await;
    let sim = ec.simulator(None);
    let (ente, notice) = ids(CDU_NOTICE);
    let options = PayOptions {
        lose_receipt: true,
        ..PayOptions::default()
    };
    let report = sim.pay_notice(&ente, &notice, &options).await;
    assert!(report.success, "{report}");
    assert_eq!(ec.actions(), ["paVerifyPaymentNotice", "paGetPaymentV2"]);
    let receipt_id = report.receipt_id.clone().unwrap();
    let text = report.to_string();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("modello 3 [lost-receipt] "), "{text}");
    assert!(first.contains(&format!("receipt {receipt_id}")), "{text}");
    assert_eq!(text.matches(&format!("receipt {receipt_id}")).count(), 1, "{text}");
    assert!(text.contains("lost: never sent to the Ente"), "{text}");
    // In the flows, and held for the biz-events API.
    assert_eq!(sim.flows().sent_count(), 1);
    let iuv = notice.iuv().to_string();
    let held = sim.flows().held(COMUNE, &receipt_id, &iuv).unwrap();
    let model = pagopa_sim::flows::bizevents::receipt_model(&held);
    let stamp = &model["transferList"][1];
    assert_eq!(stamp["iban"], "");
    assert!(!stamp["mbdAttachment"].as_str().unwrap().is_empty(), "{model:#}");
    assert!(
        !model["transferList"][0]["iban"].as_str().unwrap().is_empty(),
        "{model:#}"
    );
    ec.stop().await;
}
