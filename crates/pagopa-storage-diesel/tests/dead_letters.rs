//! The outbox's dead letters on SQLite and PostgreSQL: a dead message is never claimed again
//! but kept, listed by state, Ente and date with a cursor, counted apart from the backlog, and
//! replayed one by one or in bulk with a fresh delivery budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pagopa_domain::ports::{Outbox, OutboxQuery, StorageError};
use pagopa_domain::*;
use support::TestDb;

contract!(
    dead_letters_are_kept_listed_and_replayed,
    only_the_lease_holder_dead_letters_a_message,
);

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn payment(ente: &str, receipt: &str) -> OutboxEvent {
    OutboxEvent::PaymentReceived(PaymentNotification {
        receipt_id: receipt.parse().unwrap(),
        ente: ente.parse().unwrap(),
        notice_number: "302032002700000251".parse().unwrap(),
        iuv: "02032002700000251".parse().unwrap(),
        iupd: None,
        amount: AmountCents::new(1_000).unwrap(),
        paid_at: at(0),
        disposition: ReceiptDisposition::Settled,
        psp_name: "PSP".into(),
    })
}

fn dead(ente: Option<&str>) -> OutboxQuery {
    OutboxQuery {
        state: Some(OutboxState::Dead),
        ente: ente.map(|e| e.parse().unwrap()),
        limit: 100,
        ..OutboxQuery::default()
    }
}

async fn dead_letters_are_kept_listed_and_replayed(db: &TestDb) {
    let store = &db.store;
    // Three messages for the Comune an hour apart, one for the Provincia.
    for (n, (ente, receipt)) in [
        (demo::COMUNE, "r-1"),
        (demo::COMUNE, "r-2"),
        (demo::COMUNE, "r-3"),
        (demo::PROVINCIA, "r-4"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .enqueue(&[payment(ente, receipt)], at(60 * n as i64))
            .await
            .unwrap();
    }
    let claimed = store.claim("w", at(200), Duration::minutes(5), 10).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for message in &claimed[..2] {
        store.dead_letter(message.id, "w", "HTTP 500", at(201)).await.unwrap();
    }
    store
        .dead_letter(claimed[3].id, "w", "HTTP 500", at(201))
        .await
        .unwrap();
    store.acknowledge(claimed[2].id, "w", at(201)).await.unwrap();

    let first = store.get(claimed[0].id).await.unwrap().unwrap();
    assert_eq!(first.state(), OutboxState::Dead);
    assert_eq!(first.dead_at, Some(at(201)));
    assert_eq!((first.attempts, first.last_error.as_deref()), (1, Some("HTTP 500")));
    assert_eq!(
        (store.backlog().await.unwrap(), store.dead_letters().await.unwrap()),
        (0, 3)
    );
    assert!(
        store
            .claim("w2", at(300), Duration::minutes(5), 10)
            .await
            .unwrap()
            .is_empty(),
        "dead letters are never claimed"
    );

    // Filters: state, Ente, creation dates; a cursor by id.
    let ids = |page: &[OutboxMessage]| page.iter().map(|m| m.id).collect::<Vec<_>>();
    let all_dead = store.list(&dead(None)).await.unwrap();
    assert_eq!(ids(&all_dead.items), [claimed[0].id, claimed[1].id, claimed[3].id]);
    assert_eq!(all_dead.next, None);
    let comune = store.list(&dead(Some(demo::COMUNE))).await.unwrap();
    assert_eq!(ids(&comune.items), [claimed[0].id, claimed[1].id]);
    let delivered = OutboxQuery {
        state: Some(OutboxState::Delivered),
        limit: 100,
        ..OutboxQuery::default()
    };
    assert_eq!(ids(&store.list(&delivered).await.unwrap().items), [claimed[2].id]);
    let dated = OutboxQuery {
        created_from: Some(at(60)),
        created_before: Some(at(180)),
        ..dead(None)
    };
    assert_eq!(ids(&store.list(&dated).await.unwrap().items), [claimed[1].id]);
    let page = store.list(&OutboxQuery { limit: 1, ..dead(None) }).await.unwrap();
    assert_eq!(
        (ids(&page.items), page.next),
        (vec![claimed[0].id], Some(claimed[0].id))
    );
    let next = store
        .list(&OutboxQuery {
            limit: 1,
            after: page.next,
            ..dead(None)
        })
        .await
        .unwrap();
    assert_eq!(ids(&next.items), [claimed[1].id]);

    // One replay: pending again with a fresh budget.
    store.replay(claimed[3].id, at(400)).await.unwrap();
    let replayed = store.get(claimed[3].id).await.unwrap().unwrap();
    assert_eq!(replayed.state(), OutboxState::Pending);
    assert_eq!((replayed.attempts, replayed.retrying_since), (0, Some(at(400))));
    assert_eq!(
        replayed.last_error.as_deref(),
        Some("HTTP 500"),
        "the last error stays visible"
    );
    // A bulk replay, bounded by its limit and by its filters.
    let one = OutboxQuery {
        limit: 1,
        ..dead(Some(demo::COMUNE))
    };
    assert_eq!(store.replay_matching(&one, at(400)).await.unwrap(), 1);
    assert_eq!(
        store.replay_matching(&dead(Some(demo::COMUNE)), at(400)).await.unwrap(),
        1
    );
    assert_eq!(store.replay_matching(&dead(None), at(400)).await.unwrap(), 0);
    assert_eq!(
        (store.backlog().await.unwrap(), store.dead_letters().await.unwrap()),
        (3, 0)
    );
    let again = store.claim("w3", at(400), Duration::minutes(5), 10).await.unwrap();
    assert_eq!(ids(&again), [claimed[0].id, claimed[1].id, claimed[3].id]);
    assert!(matches!(
        store.replay(999_999, at(400)).await,
        Err(StorageError::NotFound(_))
    ));
}

async fn only_the_lease_holder_dead_letters_a_message(db: &TestDb) {
    let store = &db.store;
    store.enqueue(&[payment(demo::COMUNE, "r-1")], at(0)).await.unwrap();
    let claimed = store.claim("w1", at(0), Duration::minutes(1), 10).await.unwrap();
    let id = claimed[0].id;
    // The lease ran out and another worker holds the message: the first may not bury it.
    store.claim("w2", at(2), Duration::minutes(1), 10).await.unwrap();
    assert!(matches!(
        store.dead_letter(id, "w1", "late", at(2)).await,
        Err(StorageError::Conflict(_))
    ));
    assert!(matches!(
        store.dead_letter(999_999, "w1", "x", at(2)).await,
        Err(StorageError::NotFound(_))
    ));
    store.dead_letter(id, "w2", "gone", at(2)).await.unwrap();
    assert_eq!(store.get(id).await.unwrap().unwrap().state(), OutboxState::Dead);
}
