//! Per-position order of the outbox on SQLite, PostgreSQL and in memory: a message is not
//! claimed while an older message of the same position is pending (due later, or in flight),
//! so the gestionale receives one position's events in the order they were committed; other
//! positions, and payments of no known position, do not wait; a dead letter holds nothing up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pagopa_domain::memory::MemoryStore;
use pagopa_domain::ports::Outbox;
use pagopa_domain::*;
use support::TestDb;

contract!(a_position_s_messages_are_claimed_one_at_a_time_in_order_on_the_store);

#[tokio::test]
async fn a_position_s_messages_are_claimed_one_at_a_time_in_order_in_memory() {
    a_position_s_messages_are_claimed_one_at_a_time_in_order(&MemoryStore::default()).await;
}

async fn a_position_s_messages_are_claimed_one_at_a_time_in_order_on_the_store(db: &TestDb) {
    a_position_s_messages_are_claimed_one_at_a_time_in_order(&db.store).await;
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn payment(receipt: &str, iupd: Option<&str>) -> OutboxEvent {
    OutboxEvent::PaymentReceived(PaymentNotification {
        receipt_id: receipt.parse().unwrap(),
        ente: demo::COMUNE.parse().unwrap(),
        notice_number: "302032002700000251".parse().unwrap(),
        iuv: "02032002700000251".parse().unwrap(),
        iupd: iupd.map(|i| i.parse().unwrap()),
        amount: AmountCents::new(1_000).unwrap(),
        paid_at: at(0),
        disposition: ReceiptDisposition::Settled,
        psp_name: "PSP".into(),
    })
}

fn cancellation(iupd: &str) -> OutboxEvent {
    OutboxEvent::PositionCancelled(CancellationNotification {
        ente: demo::COMUNE.parse().unwrap(),
        iupd: iupd.parse().unwrap(),
        notices: Vec::new(),
        cancelled_at: at(0),
    })
}

/// The dedup keys of what `worker` claims at `now`.
async fn claim(outbox: &dyn Outbox, worker: &str, now: DateTime<Utc>) -> Vec<(u64, String)> {
    let claimed = outbox.claim(worker, now, Duration::seconds(30), 10).await.unwrap();
    claimed.into_iter().map(|m| (m.id, m.event.dedup_key())).collect()
}

fn keys(claimed: &[(u64, String)]) -> Vec<&str> {
    claimed.iter().map(|(_, key)| key.as_str()).collect()
}

async fn a_position_s_messages_are_claimed_one_at_a_time_in_order(outbox: &dyn Outbox) {
    let comune = demo::COMUNE;
    // Position P: two instalments paid, then cancelled (three commits); Q: one payment; and a
    // payment of no known position.
    outbox.enqueue(&[payment("p-1", Some("P"))], at(0)).await.unwrap();
    outbox
        .enqueue(&[payment("p-2", Some("P")), payment("q-1", Some("Q"))], at(1))
        .await
        .unwrap();
    outbox.enqueue(&[cancellation("P")], at(2)).await.unwrap();
    outbox.enqueue(&[payment("loose-1", None)], at(2)).await.unwrap();

    // One message of P per round: its first; Q's and the loose payment do not wait.
    let first = claim(outbox, "a", at(3)).await;
    assert_eq!(
        keys(&first),
        [
            format!("payment:{comune}:p-1"),
            format!("payment:{comune}:q-1"),
            format!("payment:{comune}:loose-1")
        ]
    );
    // While P's first is in flight another worker gets nothing of P.
    assert!(claim(outbox, "b", at(4)).await.is_empty());

    // P's first fails and is due in a minute: P's second is not due before it.
    outbox.reschedule(first[0].0, "a", "HTTP 503", at(63)).await.unwrap();
    for (id, _) in &first[1..] {
        outbox.acknowledge(*id, "a", at(4)).await.unwrap();
    }
    assert!(claim(outbox, "b", at(10)).await.is_empty(), "p-2 waits behind p-1");
    let retried = claim(outbox, "b", at(63)).await;
    assert_eq!(keys(&retried), [format!("payment:{comune}:p-1")]);
    outbox.acknowledge(retried[0].0, "b", at(64)).await.unwrap();

    // Then P's second, alone: the cancellation waits for it.
    let second = claim(outbox, "a", at(64)).await;
    assert_eq!(keys(&second), [format!("payment:{comune}:p-2")]);
    // A dead letter holds the position up no longer: the cancellation follows.
    outbox.dead_letter(second[0].0, "a", "HTTP 400", at(65)).await.unwrap();
    let third = claim(outbox, "a", at(65)).await;
    assert_eq!(keys(&third), [format!("cancel:{comune}:P")]);
    outbox.acknowledge(third[0].0, "a", at(66)).await.unwrap();
    assert_eq!(outbox.backlog().await.unwrap(), 0);

    // A replayed older message holds up a newer one enqueued after the replay, in order again.
    outbox.replay(retried[0].0, at(70)).await.unwrap();
    outbox.enqueue(&[payment("p-3", Some("P"))], at(70)).await.unwrap();
    let replayed = claim(outbox, "a", at(71)).await;
    assert_eq!(keys(&replayed), [format!("payment:{comune}:p-1")]);
}
