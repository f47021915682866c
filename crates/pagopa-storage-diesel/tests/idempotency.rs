//! The storage contract for idempotency keys on SQLite and PostgreSQL: of concurrent claims of
//! one key exactly one wins; answers are kept for the lifetime; an abandoned claim is taken over.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration;
use pagopa_domain::ports::{IdempotencyClaim, IdempotencyStore};
use support::TestDb;

contract!(
    one_of_concurrent_claims_wins_and_the_answer_is_kept,
    keys_are_forgotten_after_their_lifetime_and_abandoned_claims_taken_over,
);

fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

async fn one_of_concurrent_claims_wins_and_the_answer_is_kept(db: &TestDb) {
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store
                    .claim(
                        "fe|POST /carts",
                        "k1",
                        "f1",
                        at(0),
                        Duration::hours(24),
                        Duration::seconds(60),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for claim in claims {
        match claim.await.unwrap().unwrap() {
            IdempotencyClaim::Claimed => won += 1,
            IdempotencyClaim::InProgress { fingerprint } => assert_eq!(fingerprint, "f1"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
    db.store
        .complete("fe|POST /carts", "k1", 201, "{\"id\":\"c1\"}")
        .await
        .unwrap();
    let again = db
        .store
        .claim(
            "fe|POST /carts",
            "k1",
            "f1",
            at(10),
            Duration::hours(24),
            Duration::seconds(60),
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        IdempotencyClaim::Done {
            fingerprint: "f1".into(),
            status: 201,
            body: "{\"id\":\"c1\"}".into()
        }
    );
    // Another scope is another key.
    let other = db
        .store
        .claim(
            "other|POST /carts",
            "k1",
            "f1",
            at(10),
            Duration::hours(24),
            Duration::seconds(60),
        )
        .await
        .unwrap();
    assert_eq!(other, IdempotencyClaim::Claimed);
    // A released claim (its request failed) runs again.
    db.store.release("other|POST /carts", "k1").await.unwrap();
    let retried = db
        .store
        .claim(
            "other|POST /carts",
            "k1",
            "f2",
            at(11),
            Duration::hours(24),
            Duration::seconds(60),
        )
        .await
        .unwrap();
    assert_eq!(retried, IdempotencyClaim::Claimed);
}

async fn keys_are_forgotten_after_their_lifetime_and_abandoned_claims_taken_over(db: &TestDb) {
    let store = &db.store;
    let (day, minute) = (Duration::hours(24), Duration::seconds(60));
    assert_eq!(
        store.claim("s", "k", "f", at(0), day, minute).await.unwrap(),
        IdempotencyClaim::Claimed
    );
    // Unanswered for less than a minute: still running.
    assert!(matches!(
        store.claim("s", "k", "f", at(30), day, minute).await.unwrap(),
        IdempotencyClaim::InProgress { .. }
    ));
    // Unanswered for more: its process died; taken over.
    assert_eq!(
        store.claim("s", "k", "f", at(90), day, minute).await.unwrap(),
        IdempotencyClaim::Claimed
    );
    store.complete("s", "k", 201, "{}").await.unwrap();
    assert!(matches!(
        store.claim("s", "k", "f", at(3600), day, minute).await.unwrap(),
        IdempotencyClaim::Done { .. }
    ));
    // After its lifetime the key is new again.
    assert_eq!(
        store.claim("s", "k", "g", at(90 + 86_401), day, minute).await.unwrap(),
        IdempotencyClaim::Claimed
    );
}
