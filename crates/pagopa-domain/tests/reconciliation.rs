//! Reconciliation over the in-memory store: the shared scenarios (`shared/reconciliation.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "shared/reconciliation.rs"]
mod scenarios;

use pagopa_domain::demo;
use pagopa_domain::memory::{ManualClock, MemoryWorld};
use pagopa_domain::ports::{Clock, ReconciliationRepository};
use pagopa_domain::services::{Reconciliation, ReconciliationSettings, Services};
use scenarios::Stage;

struct Memory {
    world: MemoryWorld,
    services: Services,
}

impl Memory {
    async fn new() -> Self {
        let world = MemoryWorld::new();
        demo::seed(&world.ports(), world.clock.now()).await.unwrap();
        let services = world.services();
        Self { world, services }
    }
}

impl Stage for Memory {
    fn rec(&self) -> Reconciliation {
        Reconciliation::new(
            self.world.store.clone(),
            self.world.store.clone(),
            self.world.store.clone(),
            self.world.clock.clone(),
            ReconciliationSettings::default(),
        )
    }
    fn repo(&self) -> &dyn ReconciliationRepository {
        self.world.store.as_ref()
    }
    fn services(&self) -> &Services {
        &self.services
    }
    fn clock(&self) -> &ManualClock {
        &self.world.clock
    }
}

#[tokio::test]
async fn a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies() {
    scenarios::a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies(&Memory::new().await).await;
}

#[tokio::test]
async fn totals_revisions_credits_and_sweeps() {
    scenarios::totals_revisions_credits_and_sweeps(&Memory::new().await).await;
}

#[tokio::test]
async fn the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off() {
    scenarios::the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off(&Memory::new().await).await;
}

#[tokio::test]
async fn a_position_reported_whole_becomes_reported() {
    let memory = Memory::new().await;
    let positions = memory.world.store.clone();
    scenarios::a_position_reported_whole_becomes_reported(&memory, positions.as_ref()).await;
}

#[tokio::test]
async fn receipts_the_node_never_delivered_are_recovered_within_the_budget() {
    scenarios::receipts_the_node_never_delivered_are_recovered_within_the_budget(&Memory::new().await).await;
}

#[tokio::test]
async fn digital_stamps_are_never_waited_for() {
    let memory = Memory::new().await;
    let positions = memory.world.store.clone();
    scenarios::digital_stamps_are_never_waited_for(&memory, positions.as_ref()).await;
}
