//! The pull feed on SQLite and PostgreSQL: each Ente's events are numbered 1, 2, 3, … in commit
//! order, whatever their delivery state, so a reader resuming after the last number it saw
//! never skips or repeats one, even while many writers append at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pagopa_domain::ports::Outbox;
use pagopa_domain::*;
use support::TestDb;

contract!(
    a_cancellation_is_written_with_its_notice_for_the_gestionale,
    each_ente_has_its_own_numbering_whatever_the_delivery_state,
    a_reader_never_skips_an_event_that_commits_late,
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

fn seqs(messages: &[OutboxMessage]) -> Vec<u64> {
    messages.iter().map(|m| m.feed_seq.unwrap()).collect()
}

async fn each_ente_has_its_own_numbering_whatever_the_delivery_state(db: &TestDb) {
    let store = &db.store;
    let comune: EnteId = demo::COMUNE.parse().unwrap();
    let provincia: EnteId = demo::PROVINCIA.parse().unwrap();
    store
        .enqueue(
            &[
                payment(demo::COMUNE, "r-1"),
                payment(demo::PROVINCIA, "r-2"),
                payment(demo::COMUNE, "r-3"),
            ],
            at(0),
        )
        .await
        .unwrap();
    // A duplicate takes no number.
    store.enqueue(&[payment(demo::COMUNE, "r-1")], at(1)).await.unwrap();
    store.enqueue(&[payment(demo::COMUNE, "r-4")], at(2)).await.unwrap();
    // Delivered or dead, an event stays in the feed.
    let claimed = store.claim("w", at(3), Duration::minutes(5), 10).await.unwrap();
    store.acknowledge(claimed[0].id, "w", at(3)).await.unwrap();
    store.dead_letter(claimed[1].id, "w", "x", at(3)).await.unwrap();

    let feed = store.feed(&comune, 0, 100).await.unwrap();
    assert_eq!(seqs(&feed), [1, 2, 3]);
    let receipts: Vec<&str> = feed
        .iter()
        .map(|m| match &m.event {
            OutboxEvent::PaymentReceived(n) => n.receipt_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(receipts, ["r-1", "r-3", "r-4"]);
    assert_eq!(seqs(&store.feed(&provincia, 0, 100).await.unwrap()), [1]);
    assert_eq!(seqs(&store.feed(&comune, 1, 1).await.unwrap()), [2]);
    assert_eq!(seqs(&store.feed(&comune, 3, 100).await.unwrap()), Vec::<u64>::new());
    assert!(store.feed(&comune, u64::MAX, 100).await.unwrap().is_empty());
}

async fn a_reader_never_skips_an_event_that_commits_late(db: &TestDb) {
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    let comune: EnteId = demo::COMUNE.parse().unwrap();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = db.store.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..EACH {
                // Two Enti per transaction, in both orders: the counters are locked in one
                // order whatever the events' order, so writers never deadlock.
                let (first, second) = if n % 2 == 0 {
                    (demo::COMUNE, demo::PROVINCIA)
                } else {
                    (demo::PROVINCIA, demo::COMUNE)
                };
                let events = [
                    payment(first, &format!("a-{w}-{n}")),
                    payment(second, &format!("b-{w}-{n}")),
                ];
                store.enqueue(&events, at(0)).await.unwrap();
            }
        }));
    }
    let reader = {
        let store = db.store.clone();
        let comune = comune.clone();
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            while seen.len() < WRITERS * EACH {
                let page = store.feed(&comune, cursor, 7).await.unwrap();
                for message in page {
                    let seq = message.feed_seq.unwrap();
                    assert_eq!(seq, cursor + 1, "skipped or repeated after {cursor}");
                    cursor = seq;
                    seen.push(seq);
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), reader)
        .await
        .expect("the reader sees every event")
        .unwrap();
    assert_eq!(seen, (1..=(WRITERS * EACH) as u64).collect::<Vec<_>>());
}

async fn a_cancellation_is_written_with_its_notice_for_the_gestionale(db: &TestDb) {
    let fixture = support::seeded(db).await;
    let comune: EnteId = demo::COMUNE.parse().unwrap();
    let before = db.store.feed(&comune, 0, 1000).await.unwrap().len();
    let tari = demo::tari();
    fixture
        .services
        .positions
        .set_status(&comune, &tari.iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let feed = db.store.feed(&comune, 0, 1000).await.unwrap();
    assert_eq!(feed.len(), before + 1);
    match &feed.last().unwrap().event {
        OutboxEvent::PositionCancelled(cancelled) => {
            assert_eq!(cancelled.iupd, tari.iupd);
            assert_eq!(cancelled.notices, vec![tari.options[0].notice_number.clone()]);
        }
        other => panic!("{other:?}"),
    }
    // A position that cannot be cancelled writes no notice either.
    let again = fixture
        .services
        .positions
        .set_status(&comune, &tari.iupd, PositionStatus::Cancelled)
        .await;
    assert!(again.is_err());
    assert_eq!(db.store.feed(&comune, 0, 1000).await.unwrap().len(), before + 1);
}
