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
