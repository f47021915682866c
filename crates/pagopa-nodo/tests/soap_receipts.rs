//! Receipts through the paForNode endpoint: stored with their raw message and their effect,
//! never refused over texts the schema allows, a KO settles nothing, and the codec round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::{App, test};
use common::*;
use pagopa_domain::demo;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::model::PositionStatus;
use pagopa_nodo::soap::node::{self, parse_response};

#[actix_web::test]
async fn receipts_are_stored_with_their_raw_message_and_notified() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let body = fixture("samples/paSendRTV2Request.xml");
    let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
    assert!(parse_response(&answer).unwrap().ok, "{answer}");
    let ports = h.world.ports();
    let comune = demo::COMUNE.parse().unwrap();
    let stored = ports
        .receipts
        .get(&comune, &"4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.receipt.delivery.raw_message.as_deref(), Some(body.as_str()));
    assert_eq!(stored.receipt.amount.cents(), 24_570);
    assert_eq!(stored.receipt.transfers.len(), 2);
    assert_eq!(
        stored.receipt.payment_note.as_ref().map(|n| n.as_str()),
        Some("7c1e5a92-3f0b-4d6e-9b84-21a5f0c3d7e6")
    );
    // 10:42:31 in Italy in November is 09:42:31 UTC.
    assert_eq!(
        stored.receipt.payment_date_time.unwrap().to_rfc3339(),
        "2026-11-25T09:42:31+00:00"
    );
    assert_eq!(stored.receipt.metadata.entries().len(), 2);
    let position = ports
        .positions
        .find_by_notice(&comune, &"305260100000471130".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Paid);
    assert_eq!(ports.outbox.backlog().await.unwrap(), 1);
}

#[actix_web::test]
async fn a_receipt_survives_a_round_trip_through_the_codec() {
    let at = MemoryWorld::start_time();
    let tari = demo::tari();
    let mut receipt = demo::receipt_for(&tari.options[0], "roundtrip0001", at);
    receipt.payer = Some(demo::debtor());
    receipt.payment_note = Some("cart-1".parse().unwrap());
    receipt.transfer_date = Some(at.date_naive());
    let body = node::receipt_request(&station(), &receipt);
    let decoded = pagopa_nodo::soap::decode_request(&body, Some("paSendRTV2"), at).unwrap();
    let pagopa_nodo::soap::NodeRequest::Receipt { receipt: decoded, .. } = decoded else {
        panic!("not a receipt");
    };
    receipt.delivery.raw_message = Some(body);
    assert_eq!(*decoded, receipt);
}

#[actix_web::test]
async fn receipts_the_schema_allows_are_never_refused_over_their_texts() {
    let sample = fixture("samples/paSendRTV2Request.xml");
    let forty = "1".repeat(40);
    let variants = [
        (
            "a line break in the PSP's name",
            with(&sample, "Banca Esempio S.p.A.", "Banca&#10;Esempio"),
        ),
        (
            "a tab in the debtor's name",
            with(&sample, "<fullName>Giuseppe Verdi", "<fullName>Giuseppe&#9;Verdi"),
        ),
        (
            "a blank street",
            with(
                &sample,
                "<streetName>Via Roma</streetName>",
                "<streetName> </streetName>",
            ),
        ),
        (
            "a 40-character PSP fiscal code",
            with(
                &sample,
                "<pspFiscalCode>12345678903</pspFiscalCode>",
                &format!("<pspFiscalCode>{forty}</pspFiscalCode>"),
            ),
        ),
        (
            "an amount with leading zeros",
            with(
                &sample,
                "<paymentAmount>245.70</paymentAmount>",
                "<paymentAmount>0000000245.70</paymentAmount>",
            ),
        ),
    ];
    for (label, body) in variants {
        let h = harness().await;
        let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
        let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
        assert!(parse_response(&answer).unwrap().ok, "{label}: {answer}");
        let stored = h
            .world
            .ports()
            .receipts
            .get(
                &demo::COMUNE.parse().unwrap(),
                &"4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap(),
            )
            .await
            .unwrap();
        let stored = stored.unwrap_or_else(|| panic!("{label}: not stored"));
        assert_eq!(stored.receipt.amount.cents(), 24_570, "{label}");
        assert_eq!(
            stored.receipt.delivery.raw_message.as_deref(),
            Some(body.as_str()),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn a_receipt_with_outcome_ko_settles_nothing() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let body = with(
        &fixture("samples/paSendRTV2Request.xml"),
        "<outcome>OK</outcome>",
        "<outcome>KO</outcome>",
    );
    let (_, answer) = call(&app, Some("paSendRTV2"), &body).await;
    assert_eq!(
        parse_response(&answer).unwrap().fault_code.as_deref(),
        Some("PAA_SEMANTICA")
    );
    let position = h
        .world
        .ports()
        .positions
        .find_by_notice(&demo::COMUNE.parse().unwrap(), &"305260100000471130".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Valid);
}

#[actix_web::test]
async fn unreadable_receipts_are_answered_as_before_and_quarantined() {
    let h = harness().await;
    let app = test::init_service(App::new().configure(|cfg| h.endpoint.configure(cfg))).await;
    let sample = fixture("samples/paSendRTV2Request.xml");
    let cases = [
        (
            "a notice number with wrong check digits",
            with(
                &sample,
                "<noticeNumber>305260100000471130<",
                "<noticeNumber>305260100000471131<",
            ),
            "PAA_SINTASSI_EXTRAXSD",
        ),
        (
            "an element the schema does not know",
            with(&sample, "<noticeNumber>", "<unexpected>1</unexpected><noticeNumber>"),
            "PAA_SINTASSI_XSD",
        ),
    ];
    for (what, body, fault) in &cases {
        let (status, answer) = call(&app, Some("paSendRTV2"), body).await;
        assert_eq!(status, 200, "{what}");
        let response = parse_response(&answer).unwrap();
        assert!(!response.ok, "{what}");
        assert_eq!(
            response.fault_code.as_deref(),
            Some(*fault),
            "{what}: answered as before"
        );
    }
    let kept = h
        .world
        .ports()
        .quarantine
        .list(&pagopa_domain::ports::QuarantineQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(kept.items.len(), cases.len(), "nothing the Node sent is only logged");
    // Newest first.
    for (message, (what, body, _)) in kept.items.iter().rev().zip(&cases) {
        assert_eq!(&message.entry.raw, body, "{what}: the raw envelope as received");
        assert_eq!(message.entry.operation.as_deref(), Some("paSendRTV2"));
        assert_eq!(message.entry.ente, Some(demo::COMUNE.parse().unwrap()), "{what}");
        assert!(!message.entry.reason.is_empty());
        assert!(!message.entry.truncated);
        assert_eq!(
            message.entry.received_at,
            pagopa_domain::ports::Clock::now(&*h.world.clock)
        );
    }
    assert_eq!(
        h.world
            .ports()
            .receipts
            .search(&Default::default())
            .await
            .unwrap()
            .items
            .len(),
        0
    );
}
