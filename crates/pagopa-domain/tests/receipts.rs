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

fn imu_notices() -> (NoticeNumber, Vec<NoticeNumber>) {
    let single = demo::comune_notice(2_601_000_005_000);
    let instalments = (5_001..=5_003)
        .map(|b| demo::comune_notice(2_601_000_000_000 + b))
        .collect();
    (single, instalments)
}

async fn imu(s: &Setup) -> DebtPosition {
    PositionRepository::get(&*s.world.store, &comune(), &"IMU-2026-5000".parse().unwrap())
        .await
        .unwrap()
        .unwrap()
}

/// The disposition the gestionale was told about for `receipt_id`.
async fn notified_disposition(s: &Setup, receipt_id: &str) -> ReceiptDisposition {
    // One message of a position per round (they go in order): rounds until none is left.
    while s.services.notifier.dispatch_once("test", 100).await.unwrap().delivered > 0 {}
    s.world
        .gestionale
        .notifications()
        .into_iter()
        .find(|n| n.receipt_id.as_str() == receipt_id)
        .unwrap()
        .disposition
}

#[tokio::test]
async fn a_single_solution_after_an_instalment_is_recorded_and_flagged() {
    let s = seeded().await;
    let node = &s.services.node;
    let (single, instalments) = imu_notices();
    node.accept_receipt(&station(), receipt("rata-1", &instalments[0], 20_000, s.now()))
        .await
        .unwrap();
    let out = node
        .accept_receipt(&station(), receipt("unica", &single, 60_000, s.now()))
        .await
        .unwrap();
    assert!(out.disposition.needs_review(), "{:?}", out.disposition);
    assert_eq!(out.disposition.as_str(), "plan_overlap");
    assert_eq!(out.fault(), None, "the receipt settled its own notice");
    let position = imu(&s).await;
    assert_eq!(position.status, PositionStatus::Paid);
    assert!(position.option(&single).unwrap().is_paid(), "the money was collected");
    assert!(position.option(&instalments[0]).unwrap().is_paid());
    assert_eq!(notified_disposition(&s, "unica").await, out.disposition);
}

#[tokio::test]
async fn an_instalment_after_the_single_solution_is_recorded_and_flagged_alike() {
    let s = seeded().await;
    let node = &s.services.node;
    let (single, instalments) = imu_notices();
    node.accept_receipt(&station(), receipt("unica", &single, 60_000, s.now()))
        .await
        .unwrap();
    let out = node
        .accept_receipt(&station(), receipt("rata-2", &instalments[1], 20_000, s.now()))
        .await
        .unwrap();
    assert!(out.disposition.needs_review(), "{:?}", out.disposition);
    assert_eq!(out.disposition.as_str(), "plan_overlap");
    assert_eq!(out.fault(), None, "treated as the other order is");
    let position = imu(&s).await;
    assert_eq!(position.status, PositionStatus::Paid);
    assert!(
        position.option(&instalments[1]).unwrap().is_paid(),
        "the money was collected"
    );
    assert_eq!(notified_disposition(&s, "rata-2").await, out.disposition);
}

#[tokio::test]
async fn a_receipt_for_another_amount_settles_and_is_flagged_with_both_amounts() {
    let s = seeded().await;
    let out = s
        .services
        .node
        .accept_receipt(&station(), receipt("old-amount", &n1(), 24_000, s.now()))
        .await
        .unwrap();
    assert!(out.disposition.needs_review(), "{:?}", out.disposition);
    assert_eq!(out.disposition.as_str(), "amount_differs");
    assert_eq!(out.fault(), None);
    let paid = s.world.store.find_by_notice(&comune(), &n1()).await.unwrap().unwrap();
    assert_eq!(paid.status, PositionStatus::Paid);
    assert_eq!(notified_disposition(&s, "old-amount").await, out.disposition);
}

#[tokio::test]
async fn a_receipt_whose_transfers_differ_settles_and_is_flagged() {
    let s = seeded().await;
    let mut wrong_iban = receipt("other-iban", &n1(), 24_570, s.now());
    wrong_iban.transfers[1].iban = Some("IT56M0306911200000000046020".parse().unwrap());
    let out = s.services.node.accept_receipt(&station(), wrong_iban).await.unwrap();
    assert!(out.disposition.needs_review(), "{:?}", out.disposition);
    assert_eq!(out.disposition.as_str(), "transfers_differ");
    assert_eq!(out.fault(), None);

    let s = seeded().await;
    let mut one_transfer = receipt("one-transfer", &n1(), 24_570, s.now());
    one_transfer.transfers.truncate(1);
    one_transfer.transfers[0].amount = AmountCents::new(24_570).unwrap();
    let out = s.services.node.accept_receipt(&station(), one_transfer).await.unwrap();
    assert_eq!(out.disposition.as_str(), "transfers_differ");

    let s = seeded().await;
    let clean = s
        .services
        .node
        .accept_receipt(&station(), receipt("clean", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    assert_eq!(
        clean.disposition,
        ReceiptDisposition::Settled,
        "the same transfers are clean"
    );
}

#[tokio::test]
async fn the_qr_code_ente_must_be_served_by_the_calling_station() {
    let s = seeded().await;
    let mut other = demo::provincia();
    other.id = "02345678904".parse().unwrap();
    other.station_id = "02345678904_01".parse().unwrap();
    other.broker_id = "02345678904".parse().unwrap();
    pagopa_domain::ports::EnteRepository::upsert(&*s.world.store, &other)
        .await
        .unwrap();
    let mut option = demo::simple_option(1, 1_000, "Diritti", "2026-12-31");
    option.notice_number = NoticeNumber::build(other.notice_layout, 2_601_000_000_001).unwrap();
    option.transfers[0].ente = other.id.clone();
    let draft = demo::draft("DIRITTI-1", demo::debtor(), "Diritti", vec![option.clone()]);
    let position = DebtPosition::create(&other.id, other.notice_layout, draft, s.now()).unwrap();
    s.world.store.insert(&position).await.unwrap();

    let err = s
        .services
        .node
        .verify(&station(), &other.id, &option.notice_number)
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::IdDominioErrato);
    // An Ente served through the same station is fine.
    let provincia: EnteId = demo::PROVINCIA.parse().unwrap();
    let err = s
        .services
        .node
        .verify(&station(), &provincia, &demo::comune_notice(9))
        .await
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::PagamentoSconosciuto);
}
