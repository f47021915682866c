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
        step: Duration::minutes(2),
    });
    let notifier = pagopa_domain::services::GestionaleNotifier::new(
        ports,
        pagopa_domain::RetryPolicy::default(),
        Duration::minutes(5),
    );
    let started = s.now();
    let report = notifier.dispatch_once("slow", 10).await.unwrap();
    assert_eq!(
        report.delivered, 2,
        "the third delivery would start with less than half the lease left"
    );
    assert_eq!(s.world.gestionale.notifications().len(), 2);
    assert!(
        s.now() - started <= Duration::minutes(5),
        "no delivery ran past the lease"
    );
    // Another worker finds the third message free once the lease has run out.
    s.world.clock.advance(Duration::minutes(2));
    let rescued = Outbox::claim(&*s.world.store, "rescuer", s.now(), Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(rescued.len(), 1);
}

/// The notifier over the world's fake gestionale routed as the named gestionale of the Comune,
/// dead-lettering after `limits`.
fn routed_notifier(s: &Setup, limits: pagopa_domain::DeliveryLimits) -> pagopa_domain::services::GestionaleNotifier {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use pagopa_domain::gestionali::{GestionaleRoute, GestionaleRoutes, GuardedGestionale};

    let mut named = BTreeMap::new();
    named.insert(
        "tributi".parse().unwrap(),
        GestionaleRoute {
            // A breaker that never opens here: the limits are what this test is about.
            gestionale: Arc::new(GuardedGestionale::new(
                s.world.gestionale.clone(),
                s.world.clock.clone(),
                u32::MAX,
                Duration::seconds(1),
            )),
            limits: Some(limits),
        },
    );
    let mut ports = s.world.ports();
    ports.gestionale = Arc::new(GestionaleRoutes::new(s.world.store.clone(), named, None));
    pagopa_domain::services::GestionaleNotifier::new(
        ports,
        pagopa_domain::RetryPolicy {
            base: Duration::seconds(10),
            max: Duration::hours(1),
        },
        Duration::minutes(5),
    )
}

async fn comune_with_gestionale(s: &Setup) {
    let mut comune = pagopa_domain::demo::comune();
    comune.gestionale = Some("tributi".parse().unwrap());
    pagopa_domain::ports::EnteRepository::save(&*s.world.store, &comune, "test")
        .await
        .unwrap();
}

#[tokio::test]
async fn past_max_attempts_a_message_is_dead_kept_and_replayable() {
    use pagopa_domain::OutboxState;
    use pagopa_domain::ports::OutboxQuery;

    let s = seeded().await;
    comune_with_gestionale(&s).await;
    let notifier = routed_notifier(
        &s,
        pagopa_domain::DeliveryLimits {
            max_attempts: 3,
            max_age: Duration::days(30),
        },
    );
    s.services
        .node
        .accept_receipt(&station(), receipt("r-dead", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    s.world.gestionale.set_down(true);
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(notifier.dispatch_once("w", 10).await.unwrap());
        s.world.clock.advance(Duration::hours(2));
    }
    assert_eq!(
        reports.iter().map(|r| (r.rescheduled, r.dead)).collect::<Vec<_>>(),
        [(1, 0), (1, 0), (0, 1)]
    );
    let message = Outbox::get(&*s.world.store, 1).await.unwrap().unwrap();
    assert_eq!(message.state(), OutboxState::Dead);
    assert_eq!(message.attempts, 3);
    assert!(message.last_error.as_deref().unwrap().contains("down"), "{message:?}");
    // Dead: never claimed again, not in the backlog, counted apart.
    s.world.gestionale.set_down(false);
    assert_eq!(notifier.dispatch_once("w", 10).await.unwrap(), Default::default());
    assert_eq!(s.world.store.backlog().await.unwrap(), 0);
    assert_eq!(s.world.store.dead_letters().await.unwrap(), 1);
    let dead = OutboxQuery {
        state: Some(OutboxState::Dead),
        limit: 10,
        ..OutboxQuery::default()
    };
    assert_eq!(s.world.store.list(&dead).await.unwrap().items.len(), 1);

    // Replayed in bulk: a fresh budget, delivered at the next round.
    assert_eq!(s.world.store.replay_matching(&dead, s.now()).await.unwrap(), 1);
    assert_eq!(s.world.store.replay_matching(&dead, s.now()).await.unwrap(), 0);
    let message = Outbox::get(&*s.world.store, 1).await.unwrap().unwrap();
    assert_eq!((message.state(), message.attempts), (OutboxState::Pending, 0));
    assert_eq!(notifier.dispatch_once("w", 10).await.unwrap().delivered, 1);
    assert_eq!(s.world.gestionale.notifications().len(), 1);
    assert_eq!(s.world.store.dead_letters().await.unwrap(), 0);
}

#[tokio::test]
async fn past_max_age_a_message_is_dead_and_a_replay_restarts_its_age() {
    let s = seeded().await;
    comune_with_gestionale(&s).await;
    let notifier = routed_notifier(
        &s,
        pagopa_domain::DeliveryLimits {
            max_attempts: 1000,
            max_age: Duration::hours(1),
        },
    );
    s.services
        .node
        .accept_receipt(&station(), receipt("r-old", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    s.world.gestionale.set_down(true);
    assert_eq!(notifier.dispatch_once("w", 10).await.unwrap().rescheduled, 1);
    s.world.clock.advance(Duration::minutes(61));
    assert_eq!(notifier.dispatch_once("w", 10).await.unwrap().dead, 1);

    s.world.store.replay(1, s.now()).await.unwrap();
    assert_eq!(
        notifier.dispatch_once("w", 10).await.unwrap().rescheduled,
        1,
        "a replayed message has the whole age budget again"
    );
}

#[tokio::test]
async fn retries_back_off_exponentially_with_jitter() {
    let s = seeded().await;
    s.services
        .node
        .accept_receipt(&station(), receipt("r-jitter", &n1(), 24_570, s.now()))
        .await
        .unwrap();
    s.world.gestionale.set_down(true);
    let mut delays = Vec::new();
    for _ in 0..5 {
        let before = s.now();
        assert_eq!(s.services.notifier.dispatch_once("w", 10).await.unwrap().rescheduled, 1);
        let message = Outbox::get(&*s.world.store, 1).await.unwrap().unwrap();
        delays.push((message.available_at - before).num_milliseconds());
        s.world.clock.set(message.available_at);
    }
    // Attempt n waits between half and all of 10 s × 2^(n-1) (the default policy).
    for (n, delay) in delays.iter().enumerate() {
        let full = 10_000 * 2i64.pow(n as u32);
        assert!(
            (full / 2..=full).contains(delay),
            "attempt {}: {delay} ms of {full}",
            n + 1
        );
    }
}
