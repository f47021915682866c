//! The storage contract for receipts, the outbox and carts, on SQLite and on PostgreSQL:
//! a receipt's effects in one transaction, concurrent receipts, outbox leases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune, n1, seeded, station};

contract!(
    a_receipt_is_recorded_once_with_its_effects,
    concurrent_different_receipts_pay_once_and_are_all_kept,
    outbox_claims_never_overlap_and_leases_expire,
    outbox_acknowledge_reschedule_replay,
    a_slow_worker_cannot_clear_the_lease_of_the_worker_that_reclaimed,
    carts_round_trip_and_hold_notices,
    a_notice_is_held_by_one_open_cart_at_a_time,
    concurrent_carts_for_one_notice_give_one_holder,
);

async fn a_receipt_is_recorded_once_with_its_effects(db: &TestDb) {
    let f = seeded(db).await;
    let option = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap()
        .options[0]
        .clone();
    let receipt = demo::receipt_for(&option, "4b2f8a1c9d3e47f6a05b71c2e8d94f30", f.world.clock.now());
    let first = f
        .services
        .node
        .accept_receipt(&station(), receipt.clone())
        .await
        .unwrap();
    assert_eq!(first.disposition, ReceiptDisposition::Settled);
    let again = f
        .services
        .node
        .accept_receipt(&station(), receipt.clone())
        .await
        .unwrap();
    assert!(again.repeated_delivery);

    let stored = f
        .ports
        .receipts
        .get(&comune(), &receipt.receipt_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.receipt, receipt,
        "every field, the raw message included, reads back"
    );
    let paid = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.status, PositionStatus::Paid);
    assert_eq!(paid.version, 1);
    assert_eq!(f.ports.outbox.backlog().await.unwrap(), 1);

    let unknown = demo::comune_notice(9_999);
    let mut stray = demo::receipt_for(&option, "stray-1", f.world.clock.now());
    stray.notice_number = unknown.clone();
    let outcome = f.services.node.accept_receipt(&station(), stray).await.unwrap();
    assert_eq!(outcome.fault(), Some(FaultCode::PagamentoSconosciuto));
    let review = f
        .ports
        .receipts
        .search(&ReceiptQuery {
            needs_review: true,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(review.items.len(), 1);
    assert_eq!(review.items[0].receipt.notice_number, unknown);
    let by_debtor = f
        .ports
        .receipts
        .search(&ReceiptQuery {
            debtor: Some(demo::DEBTOR.parse().unwrap()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_debtor.items.len(), 1);
    let rest = f
        .ports
        .receipts
        .search(&ReceiptQuery {
            debtor: Some(demo::DEBTOR.parse().unwrap()),
            limit: 1,
            after: by_debtor.next,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.next.is_none());
    assert_ne!(rest.items[0].receipt.receipt_id, by_debtor.items[0].receipt.receipt_id);
}

async fn concurrent_different_receipts_pay_once_and_are_all_kept(db: &TestDb) {
    let f = seeded(db).await;
    let option = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap()
        .options[0]
        .clone();
    let node = Arc::new(f.services.node.clone());
    let mut tasks = Vec::new();
    for i in 0..6 {
        let node = node.clone();
        let receipt = demo::receipt_for(&option, &format!("race-{i}"), f.world.clock.now());
        tasks.push(tokio::spawn(
            async move { node.accept_receipt(&station(), receipt).await },
        ));
    }
    let mut settled = 0;
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        if outcome.disposition == ReceiptDisposition::Settled {
            settled += 1;
        } else {
            assert!(matches!(
                outcome.disposition,
                ReceiptDisposition::DoublePayment { settled_by: Some(_) }
            ));
        }
    }
    assert_eq!(settled, 1, "exactly one Paid transition");
    let paid = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.status, PositionStatus::Paid);
    assert_eq!(paid.version, 1);
    let kept = f
        .ports
        .receipts
        .search(&ReceiptQuery {
            notice_number: Some(n1()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(kept.items.len(), 6, "every receipt is kept");
    assert_eq!(
        f.ports.outbox.backlog().await.unwrap(),
        6,
        "the gestionale hears of every one"
    );
}

fn event(i: usize) -> OutboxEvent {
    OutboxEvent::PaymentReceived(PaymentNotification {
        receipt_id: format!("evt-{i}").parse().unwrap(),
        ente: comune(),
        notice_number: n1(),
        iuv: n1().iuv(),
        iupd: None,
        amount: AmountCents::new(100).unwrap(),
        paid_at: MemoryWorld::start_time(),
        disposition: ReceiptDisposition::Settled,
        psp_name: "Banca Esempio".into(),
    })
}

async fn outbox_claims_never_overlap_and_leases_expire(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    let events: Vec<OutboxEvent> = (0..60).map(event).collect();
    f.ports.outbox.enqueue(&events, now).await.unwrap();
    f.ports.outbox.enqueue(&events[..10], now).await.unwrap();
    assert_eq!(
        f.ports.outbox.backlog().await.unwrap(),
        60,
        "a dedup key is enqueued once"
    );

    let mut workers = Vec::new();
    for w in 0..4 {
        let outbox = f.ports.outbox.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = outbox
                    .claim(&format!("worker-{w}"), now, Duration::minutes(5), 4)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    break mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(all.len(), 60, "no message was held by two workers");
    assert_eq!(distinct.len(), 60);

    // The lease holds until it ends; then a dead worker's messages can be claimed again.
    let later = now + Duration::minutes(4);
    assert!(
        f.ports
            .outbox
            .claim("late", later, Duration::minutes(5), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let after_lease = now + Duration::minutes(6);
    assert_eq!(
        f.ports
            .outbox
            .claim("rescuer", after_lease, Duration::minutes(5), 100)
            .await
            .unwrap()
            .len(),
        60
    );
}

async fn outbox_acknowledge_reschedule_replay(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    f.ports.outbox.enqueue(&[event(1), event(2)], now).await.unwrap();
    let claimed = f.ports.outbox.claim("w", now, Duration::minutes(5), 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].event, event(1));
    f.ports.outbox.acknowledge(claimed[0].id, "w", now).await.unwrap();
    f.ports
        .outbox
        .reschedule(claimed[1].id, "w", "gestionale down", now + Duration::seconds(30))
        .await
        .unwrap();
    let retried = f.ports.outbox.get(claimed[1].id).await.unwrap().unwrap();
    assert_eq!(
        (retried.attempts, retried.last_error.as_deref()),
        (1, Some("gestionale down"))
    );
    assert_eq!(f.ports.outbox.backlog().await.unwrap(), 1);
    assert!(
        f.ports
            .outbox
            .claim("w", now + Duration::seconds(29), Duration::minutes(5), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.ports
            .outbox
            .claim("w", now + Duration::seconds(30), Duration::minutes(5), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    f.ports.outbox.replay(claimed[0].id, now).await.unwrap();
    assert_eq!(f.ports.outbox.backlog().await.unwrap(), 2);
    assert!(
        f.ports
            .outbox
            .get(claimed[0].id)
            .await
            .unwrap()
            .unwrap()
            .delivered_at
            .is_none()
    );
    assert!(matches!(
        f.ports.outbox.acknowledge(9_999, "w", now).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(f.ports.outbox.get(9_999).await.unwrap(), None);
}

async fn a_slow_worker_cannot_clear_the_lease_of_the_worker_that_reclaimed(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    f.ports.outbox.enqueue(&[event(1)], now).await.unwrap();
    let slow = f
        .ports
        .outbox
        .claim("slow", now, Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(slow.len(), 1);
    // The slow worker's lease runs out while it waits on the gestionale; another re-claims.
    let rescued = f
        .ports
        .outbox
        .claim("rescuer", now + Duration::minutes(2), Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(rescued.len(), 1);
    // The slow worker's late answer must not end the rescuer's lease.
    assert!(matches!(
        f.ports
            .outbox
            .reschedule(slow[0].id, "slow", "timeout", now + Duration::minutes(2))
            .await,
        Err(StorageError::Conflict(_))
    ));
    assert!(
        f.ports
            .outbox
            .claim("third", now + Duration::minutes(3), Duration::minutes(5), 10)
            .await
            .unwrap()
            .is_empty(),
        "the message is still leased to the rescuer"
    );
    assert!(matches!(
        f.ports
            .outbox
            .acknowledge(slow[0].id, "slow", now + Duration::minutes(3))
            .await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(f.ports.outbox.get(slow[0].id).await.unwrap().unwrap().attempts, 0);
    f.ports
        .outbox
        .acknowledge(rescued[0].id, "rescuer", now + Duration::minutes(3))
        .await
        .unwrap();
    let delivered = f.ports.outbox.get(slow[0].id).await.unwrap().unwrap();
    assert_eq!((delivered.attempts, delivered.delivered_at.is_some()), (1, true));
}

async fn carts_round_trip_and_hold_notices(db: &TestDb) {
    let f = seeded(db).await;
    let return_urls = ReturnUrls {
        ok: "https://fe/ok".into(),
        cancel: "https://fe/ko".into(),
        error: "https://fe/err".into(),
        waiting: None,
    };
    let started = f
        .services
        .carts
        .start(services::StartCart {
            notices: vec![(comune(), n1())],
            citizen: Some(demo::DEBTOR.parse().unwrap()),
            email: None,
            return_urls,
        })
        .await
        .unwrap();
    assert_eq!(started.status, CartStatus::InProgress);
    assert_eq!(f.ports.carts.get(&started.id).await.unwrap(), Some(started.clone()));
    let holders = f.ports.carts.holding(&comune(), &n1()).await.unwrap();
    assert_eq!(holders, vec![started.clone()]);

    let mut stale = started.clone();
    stale.version -= 1;
    assert!(matches!(
        f.ports.carts.update(&stale).await,
        Err(StorageError::Conflict(_))
    ));
    f.world.clock.advance(Duration::minutes(31));
    let uncertain = f.services.carts.status(&started.id, None).await.unwrap();
    assert_eq!(uncertain.status, CartStatus::Uncertain);
    assert!(
        f.ports.carts.holding(&comune(), &n1()).await.unwrap().is_empty(),
        "an uncertain cart holds nothing"
    );
    assert!(matches!(
        f.ports.carts.insert(&started).await,
        Err(StorageError::Duplicate(_))
    ));
}

fn start_cart(notice: NoticeNumber) -> pagopa_domain::services::StartCart {
    pagopa_domain::services::StartCart {
        notices: vec![(comune(), notice)],
        citizen: None,
        email: None,
        return_urls: ReturnUrls {
            ok: "https://fe/ok".into(),
            cancel: "https://fe/ko".into(),
            error: "https://fe/err".into(),
            waiting: None,
        },
    }
}

fn open_cart(id: &str, notice: &NoticeNumber, now: chrono::DateTime<chrono::Utc>) -> Cart {
    let item = CartItem {
        ente: comune(),
        notice_number: notice.clone(),
        amount: AmountCents::new(24_570).unwrap(),
        company_name: "Comune di Valdesempio".parse().unwrap(),
        description: "TARI 2026 saldo".parse().unwrap(),
    };
    Cart::new(
        id.parse().unwrap(),
        vec![item],
        None,
        None,
        start_cart(notice.clone()).return_urls,
        now,
    )
    .unwrap()
}

async fn a_notice_is_held_by_one_open_cart_at_a_time(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    let first = f.ports.carts.insert(&open_cart("cart-a", &n1(), now)).await.unwrap();
    assert!(
        matches!(
            f.ports.carts.insert(&open_cart("cart-b", &n1(), now)).await,
            Err(StorageError::Duplicate(_))
        ),
        "the database refuses a second holder"
    );
    assert_eq!(
        f.ports.carts.get(&"cart-b".parse().unwrap()).await.unwrap(),
        None,
        "nothing written"
    );
    // Once the first cart stops holding, the notice is free.
    let mut failed = first.clone();
    failed.transition(CartStatus::Failed, now).unwrap();
    f.ports.carts.update(&failed).await.unwrap();
    f.ports.carts.insert(&open_cart("cart-c", &n1(), now)).await.unwrap();
    assert_eq!(f.ports.carts.holding(&comune(), &n1()).await.unwrap().len(), 1);
}

async fn concurrent_carts_for_one_notice_give_one_holder(db: &TestDb) {
    let f = seeded(db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let carts = f.services.carts.clone();
        tasks.push(tokio::spawn(async move { carts.start(start_cart(n1())).await }));
    }
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => started += 1,
            Err(DomainError::PaymentInProgress(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(started, 1, "exactly one cart holds the notice");
    assert_eq!(f.ports.carts.holding(&comune(), &n1()).await.unwrap().len(), 1);
}
