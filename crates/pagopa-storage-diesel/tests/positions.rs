//! The storage contract for Enti, the catalogue, positions, search, IUV allocation, bulk
//! imports and the audit trail, on SQLite and on PostgreSQL, concurrency guarantees included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use pagopa_domain::memory::MemoryWorld;
use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune, n1, seeded};

contract!(
    entes_and_catalogue_round_trip,
    positions_round_trip_and_unique_keys,
    a_stale_update_is_a_conflict,
    many_positions_are_read_by_notice_and_updated_together,
    concurrent_writers_of_one_position_lose_no_update,
    search_filters_and_keyset_pages,
    iuv_allocation_never_repeats_under_16_allocators,
    bulk_insert_is_all_or_nothing,
    the_audit_trail_records_changes_and_refuses_edits,
    concurrent_writes_fail_alone,
);

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

async fn many_positions_are_read_by_notice_and_updated_together(db: &TestDb) {
    let f = seeded(db).await;
    let positions = &f.ports.positions;
    let imu = demo::imu_plan();
    let notices = [
        n1(),
        imu.options[0].notice_number.clone(),
        imu.options[1].notice_number.clone(),
        demo::comune_notice(2_601_000_999_999),
    ];
    let mut found = positions.find_by_notices(&comune(), &notices).await.unwrap();
    found.sort_by(|a, b| a.iupd.cmp(&b.iupd));
    let iupds: Vec<&str> = found.iter().map(|p| p.iupd.as_str()).collect();
    assert_eq!(
        iupds,
        ["IMU-2026-5000", "TARI-2026-4711"],
        "each position once, the notice of none skipped"
    );
    assert!(positions.find_by_notices(&comune(), &[]).await.unwrap().is_empty());

    // One copy gone stale meanwhile, one of no position: each fails alone.
    positions.update(&found[1]).await.unwrap();
    let mut edited = found.clone();
    for position in &mut edited {
        position.description = "rettificato".parse().unwrap();
    }
    let mut gone = found[0].clone();
    gone.iupd = "NOT-THERE".parse().unwrap();
    edited.push(gone);
    let results = positions.update_many(&edited).await.unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().version, found[0].version + 1);
    assert!(matches!(results[1], Err(StorageError::Conflict(_))), "{:?}", results[1]);
    assert!(matches!(results[2], Err(StorageError::NotFound(_))), "{:?}", results[2]);
    let stored = positions.get(&comune(), &found[0].iupd).await.unwrap().unwrap();
    assert_eq!(stored.description.as_str(), "rettificato");
    let untouched = positions.get(&comune(), &found[1].iupd).await.unwrap().unwrap();
    assert_ne!(untouched.description.as_str(), "rettificato");
    assert!(positions.update_many(&[]).await.unwrap().is_empty());
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

/// Many writers at once (on SQLite they share group commits): each duplicate fails alone, every
/// other write is kept.
async fn concurrent_writes_fail_alone(db: &TestDb) {
    let f = seeded(db).await;
    let ente = demo::comune();
    let mut tasks = Vec::new();
    for i in 0..40u64 {
        let positions = f.ports.positions.clone();
        let ente = ente.clone();
        tasks.push(tokio::spawn(async move {
            // Every fourth task repeats the iupd and notice of the one before it.
            let n = if i % 4 == 3 { i - 1 } else { i };
            let draft = demo::draft(
                &format!("BATCH-{n}"),
                demo::debtor(),
                "Scritture concorrenti",
                vec![demo::simple_option(70_000 + n, 1_000 + n, "Quota", "2027-03-31")],
            );
            let position =
                DebtPosition::create(&ente.id, ente.notice_layout, draft, MemoryWorld::start_time()).unwrap();
            (n, positions.insert(&position).await)
        }));
    }
    let mut stored = BTreeSet::new();
    let mut duplicates = 0;
    for task in tasks {
        match task.await.unwrap() {
            (n, Ok(_)) => assert!(stored.insert(n), "BATCH-{n} stored twice"),
            (_, Err(StorageError::Duplicate(_))) => duplicates += 1,
            (n, Err(other)) => panic!("BATCH-{n}: {other}"),
        }
    }
    assert_eq!((stored.len(), duplicates), (30, 10));
    for n in stored {
        let position = f
            .ports
            .positions
            .get(&comune(), &format!("BATCH-{n}").parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(position.options[0].amount.cents(), 1_000 + n);
    }
}
