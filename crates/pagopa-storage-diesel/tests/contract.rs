//! The storage contract: every storage port, on SQLite and on PostgreSQL, including the
//! concurrency guarantees, each proven with concurrent tasks against a real database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::*;
use pagopa_domain::services::{Services, StationIds};
use pagopa_domain::*;
use support::{TestDb, ports};

contract!(
    entes_and_catalogue_round_trip,
    positions_round_trip_and_unique_keys,
    a_stale_update_is_a_conflict,
    concurrent_writers_of_one_position_lose_no_update,
    search_filters_and_keyset_pages,
    iuv_allocation_never_repeats_under_16_allocators,
    a_receipt_is_recorded_once_with_its_effects,
    concurrent_different_receipts_pay_once_and_are_all_kept,
    outbox_claims_never_overlap_and_leases_expire,
    outbox_acknowledge_reschedule_replay,
    carts_round_trip_and_hold_notices,
    bulk_insert_is_all_or_nothing,
    the_audit_trail_records_changes_and_refuses_edits,
);

struct Fixture {
    world: MemoryWorld,
    ports: Ports,
    services: Services,
}

async fn seeded(db: &TestDb) -> Fixture {
    let world = MemoryWorld::new();
    let ports = ports(&db.store, &world);
    demo::seed(&ports, world.clock.now()).await.unwrap();
    let services = Services::new(ports.clone());
    Fixture { world, ports, services }
}

fn comune() -> EnteId {
    demo::COMUNE.parse().unwrap()
}

fn station() -> StationIds {
    StationIds {
        ente: comune(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    }
}

fn n1() -> NoticeNumber {
    demo::comune_notice(2_601_000_004_711)
}

async fn entes_and_catalogue_round_trip(db: &TestDb) {
    let f = seeded(db).await;
    let entes = f.ports.entes.list().await.unwrap();
    assert_eq!(entes, vec![demo::provincia(), demo::comune()], "listed by id");
    assert_eq!(f.ports.entes.get(&comune()).await.unwrap(), Some(demo::comune()));
    assert_eq!(f.ports.entes.get(&"77777777777".parse().unwrap()).await.unwrap(), None);

    let mut changed = demo::comune();
    changed.positions_on_demand = false;
    f.ports.entes.upsert(&changed).await.unwrap();
    assert_eq!(f.ports.entes.get(&comune()).await.unwrap(), Some(changed));

    let services = f.ports.catalogue.list(&comune()).await.unwrap();
    let mut expected = demo::catalogue();
    expected.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(services, expected);
    let permit = f
        .ports
        .catalogue
        .by_demand_id(&comune(), "90001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(permit.code.as_str(), "tesserino-funghi");
    let mut inactive = permit.clone();
    inactive.active = false;
    f.ports.catalogue.upsert(&inactive).await.unwrap();
    assert!(
        !f.ports
            .catalogue
            .get(&comune(), &permit.code)
            .await
            .unwrap()
            .unwrap()
            .active
    );
}

async fn positions_round_trip_and_unique_keys(db: &TestDb) {
    let f = seeded(db).await;
    let tari = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap();
    let ente = demo::comune();
    let expected = DebtPosition::create(&ente.id, ente.notice_layout, demo::tari(), MemoryWorld::start_time()).unwrap();
    assert_eq!(tari, expected, "a position reads back exactly as written");
    assert_eq!(
        f.ports.positions.get(&comune(), &tari.iupd).await.unwrap(),
        Some(tari.clone())
    );
    assert_eq!(
        f.ports
            .positions
            .find_by_notice(&comune(), &demo::comune_notice(1))
            .await
            .unwrap(),
        None
    );

    let mine = f
        .ports
        .positions
        .list_by_debtor(&demo::DEBTOR.parse().unwrap())
        .await
        .unwrap();
    let iupds: Vec<&str> = mine.iter().map(|p| p.iupd.as_str()).collect();
    assert_eq!(iupds, ["IMU-2026-5000", "MENSA-2025-03", "TARI-2026-4711"]);

    assert!(matches!(
        f.ports.positions.insert(&tari).await,
        Err(StorageError::Duplicate(_))
    ));
    let mut same_notice = tari.clone();
    same_notice.iupd = "OTHER".parse().unwrap();
    assert!(matches!(
        f.ports.positions.insert(&same_notice).await,
        Err(StorageError::Duplicate(_))
    ));
}

async fn a_stale_update_is_a_conflict(db: &TestDb) {
    let f = seeded(db).await;
    let first = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap();
    let stale = first.clone();
    let mut edited = first.clone();
    edited.description = "TARI 2026 saldo (rettificato)".parse().unwrap();
    let saved = f.ports.positions.update(&edited).await.unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        f.ports.positions.get(&comune(), &first.iupd).await.unwrap(),
        Some(saved)
    );
    assert!(matches!(
        f.ports.positions.update(&stale).await,
        Err(StorageError::Conflict(_))
    ));
    let mut gone = first;
    gone.iupd = "NOT-THERE".parse().unwrap();
    assert!(matches!(
        f.ports.positions.update(&gone).await,
        Err(StorageError::NotFound(_))
    ));
}

async fn concurrent_writers_of_one_position_lose_no_update(db: &TestDb) {
    let f = seeded(db).await;
    let base = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let repo = f.ports.positions.clone();
        let mut mine = base.clone();
        mine.description = format!("writer {i}").parse().unwrap();
        tasks.push(tokio::spawn(async move { repo.update(&mine).await }));
    }
    let mut won = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(saved) => won.push(saved),
            Err(StorageError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one writer wins, the others get a typed conflict");
    let stored = f.ports.positions.get(&comune(), &base.iupd).await.unwrap().unwrap();
    assert_eq!(stored, won[0]);
}

async fn search_filters_and_keyset_pages(db: &TestDb) {
    let f = seeded(db).await;
    let all = |query: PositionQuery| {
        let repo = f.ports.positions.clone();
        async move {
            let mut query = PositionQuery { limit: 2, ..query };
            let mut seen = Vec::new();
            loop {
                let page = repo.search(&query).await.unwrap();
                seen.extend(page.items.into_iter().map(|p| p.iupd.to_string()));
                match page.next {
                    Some(cursor) => query.after = Some(cursor),
                    None => break,
                }
            }
            seen
        }
    };
    assert_eq!(
        all(PositionQuery::default()).await,
        ["CANONE-2026-77", "IMU-2026-5000", "MENSA-2025-03", "TARI-2026-4711"]
    );
    assert_eq!(
        all(PositionQuery {
            debtor: Some(demo::OTHER_DEBTOR.parse().unwrap()),
            ..Default::default()
        })
        .await,
        ["CANONE-2026-77"]
    );
    assert_eq!(
        all(PositionQuery {
            notice_number: Some(n1()),
            ..Default::default()
        })
        .await,
        ["TARI-2026-4711"]
    );
    assert_eq!(
        all(PositionQuery {
            iuv: Some(demo::comune_notice(2_601_000_005_002).iuv()),
            ..Default::default()
        })
        .await,
        ["IMU-2026-5000"]
    );
    let due = |from: &str, to: &str| PositionQuery {
        due_from: Some(from.parse().unwrap()),
        due_to: Some(to.parse().unwrap()),
        ..Default::default()
    };
    assert_eq!(all(due("2027-01-01", "2027-12-31")).await, ["IMU-2026-5000"]);
    assert_eq!(all(due("2025-01-01", "2025-12-31")).await, ["MENSA-2025-03"]);
    assert_eq!(
        all(PositionQuery {
            ente: Some(demo::PROVINCIA.parse().unwrap()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        all(PositionQuery {
            status: Some(PositionStatus::Valid),
            ente: Some(comune()),
            ..Default::default()
        })
        .await
        .len(),
        4
    );
    assert_eq!(
        all(PositionQuery {
            status: Some(PositionStatus::Paid),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
}

async fn iuv_allocation_never_repeats_under_16_allocators(db: &TestDb) {
    let f = seeded(db).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let iuv = f.ports.iuv.clone();
        tasks.push(tokio::spawn(async move {
            let mut bases = Vec::new();
            for _ in 0..10 {
                bases.push(iuv.next_base(&comune(), demo::comune_layout()).await.unwrap());
            }
            bases
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), 160, "no base was handed out twice");
    assert_eq!(distinct, (1..=160).collect::<BTreeSet<u64>>());
    // Another layout has its own sequence.
    assert_eq!(f.ports.iuv.next_base(&comune(), NoticeLayout::Aux2).await.unwrap(), 1);
}

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
    f.ports.outbox.acknowledge(claimed[0].id, now).await.unwrap();
    f.ports
        .outbox
        .reschedule(claimed[1].id, "gestionale down", now + Duration::seconds(30))
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
        f.ports.outbox.acknowledge(9_999, now).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(f.ports.outbox.get(9_999).await.unwrap(), None);
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

async fn bulk_insert_is_all_or_nothing(db: &TestDb) {
    let f = seeded(db).await;
    let ente = demo::comune();
    let make = |i: u64| {
        let draft = demo::draft(
            &format!("BULK-{i}"),
            demo::debtor(),
            "Bulk",
            vec![demo::simple_option(10_000 + i, 1_000 + i, "Bulk", "2026-12-31")],
        );
        DebtPosition::create(&ente.id, ente.notice_layout, draft, MemoryWorld::start_time()).unwrap()
    };
    let batch: Vec<DebtPosition> = (0..2_500).map(make).collect();
    assert_eq!(f.ports.positions.insert_batch(&batch).await.unwrap(), 2_500);
    assert_eq!(
        f.ports
            .positions
            .get(&comune(), &"BULK-2499".parse().unwrap())
            .await
            .unwrap(),
        Some(batch[2_499].clone())
    );

    let mut clash: Vec<DebtPosition> = (2_500..2_600).map(make).collect();
    clash.push(batch[0].clone());
    assert!(matches!(
        f.ports.positions.insert_batch(&clash).await,
        Err(StorageError::Duplicate(_))
    ));
    assert_eq!(
        f.ports
            .positions
            .get(&comune(), &"BULK-2500".parse().unwrap())
            .await
            .unwrap(),
        None,
        "nothing of a failed batch stays"
    );
}

async fn the_audit_trail_records_changes_and_refuses_edits(db: &TestDb) {
    let f = seeded(db).await;
    let iupd: Iupd = "TARI-2026-4711".parse().unwrap();
    f.services
        .positions
        .set_status(&comune(), &iupd, PositionStatus::Cancelled)
        .await
        .unwrap();
    let trail = db
        .store
        .audit_trail("position", &format!("{}/{iupd}", demo::COMUNE))
        .await
        .unwrap();
    let steps: Vec<(&str, Option<&str>, Option<&str>)> = trail
        .iter()
        .map(|e| (e.action.as_str(), e.from_status.as_deref(), e.to_status.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("created", None, Some("valid")),
            ("status", Some("valid"), Some("cancelled"))
        ]
    );

    let edit = "UPDATE audit_log SET action = 'forged'";
    let delete = "DELETE FROM audit_log";
    use diesel::{Connection, RunQueryDsl};
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        assert!(diesel::sql_query(edit).execute(&mut conn).is_err());
        assert!(diesel::sql_query(delete).execute(&mut conn).is_err());
    } else {
        let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
        assert!(diesel::sql_query(edit).execute(&mut conn).is_err());
        assert!(diesel::sql_query(delete).execute(&mut conn).is_err());
    }
    assert_eq!(
        db.store
            .audit_trail("position", &format!("{}/{iupd}", demo::COMUNE))
            .await
            .unwrap(),
        trail
    );
}
