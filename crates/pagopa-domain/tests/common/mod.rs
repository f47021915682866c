//! Shared set-up for the service tests: a seeded in-memory world and a receipt builder.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::Clock;
use pagopa_domain::services::Services;
use pagopa_domain::services::StationIds;
use pagopa_domain::*;

pub struct Setup {
    pub world: MemoryWorld,
    pub services: Services,
}

impl Setup {
    pub fn now(&self) -> DateTime<Utc> {
        self.world.clock.now()
    }
}

pub async fn seeded() -> Setup {
    let world = MemoryWorld::new();
    demo::seed(&world.ports(), world.clock.now()).await.unwrap();
    let services = world.services();
    Setup { world, services }
}

pub fn station() -> StationIds {
    StationIds {
        ente: comune(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    }
}

pub fn comune() -> EnteId {
    demo::COMUNE.parse().unwrap()
}

pub fn n1() -> NoticeNumber {
    "305260100000471130".parse().unwrap()
}

/// A receipt for `notice` of the Comune, as the Node would send it.
pub fn receipt(receipt_id: &str, notice: &NoticeNumber, amount_cents: u64, received_at: DateTime<Utc>) -> Receipt {
    let amount = AmountCents::new(amount_cents).unwrap();
    Receipt {
        receipt_id: receipt_id.parse().unwrap(),
        notice_number: notice.clone(),
        ente: comune(),
        outcome_ok: true,
        creditor_reference_id: notice.iuv(),
        amount,
        description: "Pagamento".parse().unwrap(),
        company_name: "Comune di Valdesempio".parse().unwrap(),
        office_name: None,
        debtor: demo::debtor(),
        payer: None,
        transfers: vec![ReceiptTransfer {
            id: 1,
            amount,
            ente: comune(),
            company_name: None,
            iban: Some("IT56M0306911200000000046020".parse().unwrap()),
            stamp_attachment: None,
            remittance: "Pagamento".parse().unwrap(),
            category: "9/0101101IM/".parse().unwrap(),
            metadata: Metadata::default(),
        }],
        psp: Psp {
            id: "ABI99999".parse().unwrap(),
            fiscal_code: Some("12345678903".parse().unwrap()),
            vat_number: None,
            company_name: "Banca Esempio S.p.A.".parse().unwrap(),
            channel_id: "12345678903_03".parse().unwrap(),
            channel_description: "app".parse().unwrap(),
        },
        payment_method: Some("card".parse().unwrap()),
        payment_note: None,
        fee_cents: Some(120),
        primary_ci_incurred_fee_cents: None,
        bundle_id: None,
        ci_bundle_id: None,
        payment_date_time: Some(received_at),
        application_date: None,
        transfer_date: None,
        metadata: Metadata::default(),
        stand_in: false,
        delivery: Delivery {
            recipient: comune(),
            broker_id: demo::BROKER.parse().unwrap(),
            station_id: demo::STATION.parse().unwrap(),
            version: PrimitiveVersion::V2,
            received_at,
            raw_message: Some("<paSendRTV2Request/>".into()),
        },
    }
}
