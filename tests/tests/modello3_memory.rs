//! A full modello-3 cycle through the domain's public API only, as an embedding team would
//! drive it: seed, verify, activate, receipt, notify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::{Clock, Outbox};
use pagopa_domain::services::{ActivateRequest, StationIds};
use pagopa_domain::*;

#[tokio::test]
async fn a_notice_is_verified_activated_paid_and_notified() {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let services = world.services();
    let comune: EnteId = demo::COMUNE.parse().unwrap();
    let station = StationIds {
        ente: comune.clone(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    };
    let notice = demo::comune_notice(2_601_000_007_700);

    let info = services.node.verify(&station, &comune, &notice).await.unwrap();
    assert_eq!(info.amount.cents(), 12_000);
    let activation = ActivateRequest {
        station: station.clone(),
        ente: comune.clone(),
        notice_number: notice.clone(),
        transfer_type: None,
        version: PrimitiveVersion::V2,
        payment_note: None,
    };
    let payment = services.node.activate(&activation).await.unwrap();
    assert_eq!(payment.position.debtor.id.value(), demo::OTHER_DEBTOR);

    let receipt: Receipt = serde_json::from_value(serde_json::json!({
        "receipt_id": "e2e-1",
        "notice_number": notice.as_str(),
        "ente": demo::COMUNE,
        "outcome_ok": true,
        "creditor_reference_id": notice.iuv().as_str(),
        "amount": 12000,
        "description": "COSAP 2026",
        "company_name": "Comune di Valdesempio",
        "office_name": null,
        "debtor": { "id": { "type": "fiscal_code", "value": demo::OTHER_DEBTOR }, "full_name": "Laura Bianchi",
                    "street_name": null, "civic_number": null, "postal_code": null, "city": null,
                    "province": null, "country": null, "email": null },
        "payer": null,
        "transfers": [{ "id": 1, "amount": 12000, "ente": demo::COMUNE, "company_name": null,
                        "iban": "IT56M0306911200000000046020", "stamp_attachment": null,
                        "remittance": "COSAP 2026", "category": "9/0101101IM/", "metadata": [] }],
        "psp": { "id": "ABI99999", "fiscal_code": "12345678903", "vat_number": null,
                 "company_name": "Banca Esempio S.p.A.", "channel_id": "12345678903_03", "channel_description": "app" },
        "payment_method": null, "payment_note": null, "fee_cents": 100, "primary_ci_incurred_fee_cents": null,
        "bundle_id": null, "ci_bundle_id": null, "payment_date_time": "2026-11-25T09:59:30Z",
        "application_date": "2026-11-25", "transfer_date": null, "metadata": [], "stand_in": false,
        "delivery": { "recipient": demo::COMUNE, "broker_id": demo::BROKER, "station_id": demo::STATION,
                      "version": "v2", "received_at": "2026-11-25T10:00:00Z", "raw_message": null }
    }))
    .unwrap();
    let outcome = services.node.accept_receipt(&station, receipt).await.unwrap();
    assert_eq!(outcome.disposition, ReceiptDisposition::Settled);
    assert_eq!(world.store.backlog().await.unwrap(), 1);
    assert_eq!(services.notifier.dispatch_once("e2e", 10).await.unwrap().delivered, 1);
    assert_eq!(world.gestionale.notifications()[0].receipt_id.as_str(), "e2e-1");

    let view = services
        .positions
        .of_debtor(&demo::OTHER_DEBTOR.parse().unwrap(), false)
        .await
        .unwrap();
    assert_eq!(view.positions[0].status, PositionStatus::Paid);

    // A bad value anywhere in a receipt is refused at the edge, not stored half-valid.
    let bad = serde_json::from_value::<NoticeNumber>(serde_json::json!("305260100007700999"));
    assert!(bad.is_err());
}
