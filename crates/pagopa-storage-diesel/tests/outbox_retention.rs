//! Pruning the outbox on SQLite, PostgreSQL and in memory: delivered messages older than the
//! retention are deleted, oldest first and in chunks; pending messages and dead letters stay
//! whatever their age, and the pull feed numbers new events after the pruned ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pagopa_domain::memory::MemoryStore;
use pagopa_domain::ports::Outbox;
use pagopa_domain::*;
use support::TestDb;

contract!(delivered_messages_past_the_retention_are_pruned_on_the_store);

#[tokio::test]
async fn delivered_messages_past_the_retention_are_pruned_in_memory() {
    delivered_messages_past_the_retention_are_pruned(&MemoryStore::default()).await;
}

async fn delivered_messages_past_the_retention_are_pruned_on_the_store(db: &TestDb) {
    delivered_messages_past_the_retention_are_pruned(&db.store).await;
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::days(n)
}

fn payment(receipt: &str) -> OutboxEvent {
    OutboxEvent::PaymentReceived(PaymentNotification {
        receipt_id: receipt.parse().unwrap(),
        ente: demo::COMUNE.parse().unwrap(),
        notice_number: "302032002700000251".parse().unwrap(),
        iuv: "02032002700000251".parse().unwrap(),
        iupd: None,
        amount: AmountCents::new(1_000).unwrap(),
        paid_at: day(0),
        disposition: ReceiptDisposition::Settled,
        psp_name: "PSP".into(),
    })
}

async fn delivered_messages_past_the_retention_are_pruned(outbox: &dyn Outbox) {
    // Day 0: five messages; three delivered on day 1, 2 and 40, one dead on day 1, one pending.
    let events: Vec<_> = (1..=5).map(|n| payment(&format!("r-{n}"))).collect();
    outbox.enqueue(&events, day(0)).await.unwrap();
    let claimed = outbox.claim("w", day(0), Duration::days(100), 10).await.unwrap();
    assert_eq!(claimed.len(), 5);
    outbox.acknowledge(claimed[0].id, "w", day(1)).await.unwrap();
    outbox.acknowledge(claimed[1].id, "w", day(2)).await.unwrap();
    outbox.acknowledge(claimed[2].id, "w", day(40)).await.unwrap();
    outbox
        .dead_letter(claimed[3].id, "w", "HTTP 400", day(1))
        .await
        .unwrap();
    outbox.reschedule(claimed[4].id, "w", "HTTP 503", day(1)).await.unwrap();

    // 30 days' retention on day 45: the two delivered before day 15, one chunk at a time.
    let before = day(45) - Duration::days(30);
    assert_eq!(outbox.prune_delivered(before, 1).await.unwrap(), 1);
    assert!(outbox.get(claimed[0].id).await.unwrap().is_none(), "the oldest first");
    assert!(outbox.get(claimed[1].id).await.unwrap().is_some());
    assert_eq!(outbox.prune_delivered(before, 1_000).await.unwrap(), 1);
    assert_eq!(outbox.prune_delivered(before, 1_000).await.unwrap(), 0);
    assert!(outbox.get(claimed[1].id).await.unwrap().is_none());
    for kept in &claimed[2..] {
        assert!(outbox.get(kept.id).await.unwrap().is_some(), "{kept:?}");
    }
    // Even far past the retention, a dead letter and a pending message stay.
    assert_eq!(outbox.prune_delivered(day(1_000), 1_000).await.unwrap(), 1);
    assert_eq!(outbox.dead_letters().await.unwrap(), 1);
    assert_eq!(outbox.backlog().await.unwrap(), 1);

    // The feed goes on after the pruned numbers.
    outbox.enqueue(&[payment("r-6")], day(46)).await.unwrap();
    let feed = outbox.feed(&demo::COMUNE.parse().unwrap(), 0, 100).await.unwrap();
    let seqs: Vec<u64> = feed.iter().map(|m| m.feed_seq.unwrap()).collect();
    assert_eq!(seqs, [4, 5, 6]);
}
