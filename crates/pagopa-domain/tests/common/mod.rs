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

/// A receipt for `notice` of the Comune, as the Node would send it: the transfers of the demo
/// option with that notice (a single transfer to the Comune for any other notice), for
/// `amount_cents` (a single transfer follows the amount).
pub fn receipt(receipt_id: &str, notice: &NoticeNumber, amount_cents: u64, received_at: DateTime<Utc>) -> Receipt {
    let option = demo::positions()
        .into_iter()
        .flat_map(|draft| draft.options)
        .find(|o| &o.notice_number == notice)
        .unwrap_or_else(|| {
            let mut option = demo::simple_option(1, amount_cents, "Pagamento", "2026-12-31");
            option.notice_number = notice.clone();
            option
        });
    let mut receipt = demo::receipt_for(&option, receipt_id, received_at);
    receipt.amount = AmountCents::new(amount_cents).unwrap();
    if receipt.transfers.len() == 1 {
        receipt.transfers[0].amount = receipt.amount;
    }
    receipt
}
