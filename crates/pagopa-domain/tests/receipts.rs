//! Receipts from the Node: idempotency, double payments, unknown, late and cancelled notices,
//! instalments, broadcast copies, and concurrent deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use pagopa_domain::ports::{Outbox, PositionRepository, ReceiptQuery, ReceiptRepository};
use pagopa_domain::services::StationIds;
use pagopa_domain::*;

#[tokio::test]
async fn a_receipt_settles_once_and_a_repeat_changes_nothing() {
    let s = seeded().await;
    let node = &s.services.node;
    let first = node
        .accept_receipt(
            &station(),
            receipt("4b2f8a1c9d3e47f6a05b71c2e8d94f30", &n1(), 24_570, s.now()),
        )
        .await
        .unwrap();
    assert_eq!(first.disposition, ReceiptDisposition::Settled);
    assert_eq!(first.fault(), None);
    let paid = s.world.store.find_by_notice(&comune(), &n1()).await.unwrap().unwrap();
    assert_eq!(paid.status, PositionStatus::Paid);
    assert_eq!(paid.version, 1);
    assert_eq!(s.world.store.backlog().await.unwrap(), 1);

    let again = node
        .accept_receipt(
            &station(),
            receipt("4b2f8a1c9d3e47f6a05b71c2e8d94f30", &n1(), 24_570, s.now()),
        )
        .await
        .unwrap();
    assert!(again.repeated_delivery);
    assert_eq!(again.fault(), None);
    let still = s.world.store.find_by_notice(&comune(), &n1()).await.unwrap().unwrap();
    assert_eq!(still.version, 1, "no second effect");
    assert_eq!(s.world.store.backlog().await.unwrap(), 1, "no second notification");
}

#[tokio::test]
async fn a_second_different_receipt_is_kept_and_answered_duplicata() {
    let s = seeded().await;
    let node = &s.services.node;
    node.accept_receipt(
        &station(),
        receipt("4b2f8a1c9d3e47f6a05b71c2e8d94f30", &n1(), 24_570, s.now()),
    )
    .await
    .unwrap();
    let second = node
        .accept_receipt(
            &station(),
            receipt("c71e0d95a8b2463f9e14d2a6b05f83c7", &n1(), 24_570, s.now()),
        )
        .await
        .unwrap();
    assert_eq!(second.fault(), Some(FaultCode::ReceiptDuplicata));
    assert_eq!(
        second.disposition,
        ReceiptDisposition::DoublePayment {
            settled_by: Some("4b2f8a1c9d3e47f6a05b71c2e8d94f30".parse().unwrap())
        }
    );
    let flagged = ReceiptRepository::search(
        &*s.world.store,
        &ReceiptQuery {
            needs_review: true,
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(flagged.items.len(), 1);
    let all = ReceiptRepository::search(
        &*s.world.store,
        &ReceiptQuery {
            notice_number: Some(n1()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), 2, "both receipts are kept");
}

#[tokio::test]
async fn concurrent_different_receipts_give_one_payment() {
    let s = seeded().await;
    let node = s.services.node.clone();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let node = node.clone();
        let r = receipt(&format!("concurrent-{i}"), &n1(), 24_570, s.now());
        tasks.push(tokio::spawn(async move { node.accept_receipt(&station(), r).await }));
    }
    let mut settled = 0;
    for task in tasks {
        if task.await.unwrap().unwrap().disposition == ReceiptDisposition::Settled {
            settled += 1;
        }
    }
    assert_eq!(settled, 1);
    let all = ReceiptRepository::search(
        &*s.world.store,
        &ReceiptQuery {
            notice_number: Some(n1()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), 8);
}

#[tokio::test]
async fn a_receipt_for_an_unknown_notice_is_kept() {
    let s = seeded().await;
    let unknown: NoticeNumber = "305260100009123463".parse().unwrap();
    let outcome = s
        .services
        .node
        .accept_receipt(&station(), receipt("r-unknown", &unknown, 1_000, s.now()))
        .await
        .unwrap();
    assert_eq!(outcome.disposition, ReceiptDisposition::UnknownNotice);
    assert_eq!(outcome.fault(), Some(FaultCode::PagamentoSconosciuto));
    let stored = ReceiptRepository::get(&*s.world.store, &comune(), &"r-unknown".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.disposition.needs_review());
    assert_eq!(
        stored.receipt.delivery.raw_message.as_deref(),
        Some("<paSendRTV2Request><receiptId>r-unknown</receiptId></paSendRTV2Request>")
    );
    // The gestionale hears of it too.
    assert_eq!(s.world.store.backlog().await.unwrap(), 1);
}

#[tokio::test]
async fn late_receipts_settle_expired_positions_and_flag_cancelled_ones() {
    let s = seeded().await;
    let node = &s.services.node;
    let canteen = PositionRepository::get(&*s.world.store, &comune(), &"MENSA-2025-03".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    s.services
        .positions
        .set_status(&comune(), &canteen.iupd, PositionStatus::Expired)
        .await
        .unwrap();
    let expired: NoticeNumber = "305250300000194264".parse().unwrap();
    let outcome = node
        .accept_receipt(&station(), receipt("r-late", &expired, 4_500, s.now()))
        .await
        .unwrap();
    assert_eq!(outcome.disposition, ReceiptDisposition::SettledAfterExpiry);
    assert_eq!(outcome.fault(), None);
    assert_eq!(
        s.world
            .store
            .find_by_notice(&comune(), &expired)
            .await
            .unwrap()
            .unwrap()
            .status,
        PositionStatus::Paid
    );

    let iupd: Iupd = "CANONE-2026-77".parse().unwrap();
    s.services
        .positions
        .set_status(&comune(), &iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let cancelled = demo::comune_notice(2_601_000_007_700);
    let outcome = node
        .accept_receipt(&station(), receipt("r-cancelled", &cancelled, 12_000, s.now()))
        .await
        .unwrap();
    assert_eq!(outcome.disposition, ReceiptDisposition::CancelledPosition);
    assert!(outcome.disposition.needs_review());
    assert_eq!(
        PositionRepository::get(&*s.world.store, &comune(), &iupd)
            .await
            .unwrap()
            .unwrap()
            .status,
        PositionStatus::Cancelled
    );
}

#[tokio::test]
async fn instalments_make_a_position_partially_paid_then_paid() {
    let s = seeded().await;
    let node = &s.services.node;
    let single = demo::comune_notice(2_601_000_005_000);
    let instalments: Vec<NoticeNumber> = (5_001..=5_003)
        .map(|b| demo::comune_notice(2_601_000_000_000 + b))
        .collect();

    node.accept_receipt(&station(), receipt("rata-1", &instalments[0], 20_000, s.now()))
        .await
        .unwrap();
    let position = PositionRepository::get(&*s.world.store, &comune(), &"IMU-2026-5000".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::PartiallyPaid);
    let err = node.verify(&station(), &comune(), &single).await.unwrap_err();
    assert_eq!(
        err.fault_code(),
        FaultCode::Semantica,
        "the single solution is no longer payable"
    );
    node.verify(&station(), &comune(), &instalments[1]).await.unwrap();

    node.accept_receipt(&station(), receipt("rata-2", &instalments[1], 20_000, s.now()))
        .await
        .unwrap();
    node.accept_receipt(&station(), receipt("rata-3", &instalments[2], 20_000, s.now()))
        .await
        .unwrap();
    let position = PositionRepository::get(&*s.world.store, &comune(), &"IMU-2026-5000".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Paid);
}

#[tokio::test]
async fn a_broadcast_copy_for_a_secondary_beneficiary_is_kept_without_settling() {
    let s = seeded().await;
    let mut copy = receipt("r-broadcast", &n1(), 24_570, s.now());
    copy.delivery.recipient = demo::PROVINCIA.parse().unwrap();
    let ids = StationIds {
        ente: demo::PROVINCIA.parse().unwrap(),
        ..station()
    };
    let outcome = s.services.node.accept_receipt(&ids, copy).await.unwrap();
    assert_eq!(outcome.disposition, ReceiptDisposition::SecondaryBeneficiary);
    assert_eq!(
        s.world
            .store
            .find_by_notice(&comune(), &n1())
            .await
            .unwrap()
            .unwrap()
            .status,
        PositionStatus::Valid
    );
}

#[tokio::test]
async fn a_receipt_addressed_to_another_ente_than_the_request_is_refused() {
    let s = seeded().await;
    let mut misrouted = receipt("r-misrouted", &n1(), 24_570, s.now());
    misrouted.delivery.recipient = demo::PROVINCIA.parse().unwrap();
    let err = s.services.node.accept_receipt(&station(), misrouted).await.unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::Semantica);
    let stored = ReceiptRepository::get(&*s.world.store, &comune(), &"r-misrouted".parse().unwrap())
        .await
        .unwrap();
    assert!(stored.is_none());
}
