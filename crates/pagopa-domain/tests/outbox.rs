//! The outbox: each payment reaches the gestionale once, retried with back-off, leased to one
//! worker at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::*;
use pagopa_domain::ports::Outbox;

#[tokio::test]
async fn the_outbox_delivers_each_payment_once_and_retries_when_down() {
    let s = seeded().await;
    s.services
        .node
        .accept_receipt(&station(), receipt("r-notify", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    s.services
        .node
        .accept_receipt(&station(), receipt("r-notify", &n1(), 24_570, s.now()))
        .await
        .unwrap();

    s.world.gestionale.set_down(true);
    let report = s.services.notifier.dispatch_once("worker-1", 10).await.unwrap();
    assert_eq!((report.delivered, report.rescheduled), (0, 1));
    let message = Outbox::get(&*s.world.store, 1).await.unwrap().unwrap();
    assert_eq!(message.attempts, 1);
    assert!(message.last_error.is_some());
    // Not due yet.
    s.world.gestionale.set_down(false);
    assert_eq!(
        s.services
            .notifier
            .dispatch_once("worker-1", 10)
            .await
            .unwrap()
            .delivered,
        0
    );
    s.world.clock.advance(Duration::seconds(11));
    assert_eq!(
        s.services
            .notifier
            .dispatch_once("worker-1", 10)
            .await
            .unwrap()
            .delivered,
        1
    );
    assert_eq!(s.world.store.backlog().await.unwrap(), 0);
    let notes = s.world.gestionale.notifications();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].iupd.as_ref().map(|i| i.as_str()), Some("TARI-2026-4711"));

    // An operator's replay delivers it again (the gestionale is idempotent on the receipt id).
    s.world.store.replay(1, s.now()).await.unwrap();
    assert_eq!(
        s.services
            .notifier
            .dispatch_once("worker-2", 10)
            .await
            .unwrap()
            .delivered,
        1
    );
    assert_eq!(s.world.gestionale.notifications().len(), 1);
}

#[tokio::test]
async fn a_leased_message_is_not_claimed_twice_until_its_lease_ends() {
    let s = seeded().await;
    s.services
        .node
        .accept_receipt(&station(), receipt("r-lease", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    let first = s
        .world
        .store
        .claim("a", s.now(), Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        s.world
            .store
            .claim("b", s.now(), Duration::minutes(5), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = s.now() + Duration::minutes(6);
    assert_eq!(
        s.world
            .store
            .claim("b", later, Duration::minutes(5), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A gestionale that takes `step` of the clock's time for every notification.
struct SlowGestionale {
    inner: std::sync::Arc<pagopa_domain::memory::FakeGestionale>,
    clock: std::sync::Arc<pagopa_domain::memory::ManualClock>,
    step: Duration,
}

#[async_trait::async_trait]
impl pagopa_domain::ports::Gestionale for SlowGestionale {
    async fn debtor_positions(
        &self,
        ente: &pagopa_domain::Ente,
        debtor: &pagopa_domain::FiscalCode,
    ) -> Result<Vec<pagopa_domain::PositionDraft>, pagopa_domain::ports::GestionaleError> {
        self.inner.debtor_positions(ente, debtor).await
    }

    async fn price(
        &self,
        request: &pagopa_domain::ports::PricingRequest,
    ) -> Result<pagopa_domain::ports::GestionaleQuote, pagopa_domain::ports::GestionaleError> {
        self.inner.price(request).await
    }

    async fn notify_payment(
        &self,
        notification: &pagopa_domain::PaymentNotification,
    ) -> Result<(), pagopa_domain::ports::GestionaleError> {
        self.clock.advance(self.step);
        self.inner.notify_payment(notification).await
    }
}

#[tokio::test]
async fn a_round_stops_delivering_once_its_lease_has_run_out() {
    let s = seeded().await;
    for (id, base, cents) in [
        ("r-a", 2_601_000_004_711, 24_570),
        ("r-b", 2_601_000_007_700, 12_000),
        ("r-c", 2_601_000_005_001, 20_000),
    ] {
        s.services
            .node
            .accept_receipt(
                &station(),
                receipt(id, &pagopa_domain::demo::comune_notice(base), cents, s.now()),
            )
            .await
            .unwrap();
    }
    let mut ports = s.world.ports();
    ports.gestionale = std::sync::Arc::new(SlowGestionale {
        inner: s.world.gestionale.clone(),
        clock: s.world.clock.clone(),
        step: Duration::minutes(3),
    });
    let notifier = pagopa_domain::services::GestionaleNotifier::new(
        ports,
        pagopa_domain::RetryPolicy::default(),
        Duration::minutes(5),
    );
    let report = notifier.dispatch_once("slow", 10).await.unwrap();
    assert_eq!(
        report.delivered, 2,
        "the third delivery would start after the lease ran out"
    );
    assert_eq!(s.world.gestionale.notifications().len(), 2);
    // Another worker finds the third message free once the lease has run out.
    let rescued = Outbox::claim(&*s.world.store, "rescuer", s.now(), Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(rescued.len(), 1);
}
