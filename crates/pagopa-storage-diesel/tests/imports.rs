//! The storage contract of bulk loads, on SQLite and on PostgreSQL: load records, leases, and
//! batches through the domain's Imports service (create, unchanged, update, cancel, refusals,
//! one bad position never stopping the others).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune, seeded};

contract!(
    records_are_found_by_id_and_digest_and_leased_to_one_worker,
    a_batch_creates_then_leaves_then_updates_and_cancels,
    a_position_that_cannot_be_written_fails_alone,
);

fn record(ports: &Ports, sha: &str, at: chrono::DateTime<chrono::Utc>) -> ImportRecord {
    let new = NewImport {
        ente: comune(),
        format: ImportFormat::Csv,
        sha256: sha.into(),
        dry_run: false,
        actor: "test".into(),
        bytes: 10,
    };
    ImportRecord::queued(ports.ids.import_id(), new, at)
}

async fn records_are_found_by_id_and_digest_and_leased_to_one_worker(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    let first = record(&f.ports, "aa", now);
    let second = record(&f.ports, "aa", now + chrono::Duration::seconds(1));
    f.ports.imports.create_import(&first).await.unwrap();
    f.ports.imports.create_import(&second).await.unwrap();
    assert_eq!(f.ports.imports.import(&first.id).await.unwrap(), Some(first.clone()));
    let found = f.ports.imports.import_by_digest(&comune(), "aa", false).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(first.id.clone()), "the first load of a file");
    assert_eq!(
        f.ports.imports.import_by_digest(&comune(), "aa", true).await.unwrap(),
        None
    );
    assert_eq!(f.ports.imports.unfinished_imports().await.unwrap().len(), 2);

    let until = now + chrono::Duration::minutes(2);
    let claimed = f.ports.imports.claim_import(&first.id, "w1", now, until).await.unwrap();
    assert_eq!(claimed.as_ref().and_then(|r| r.worker.clone()).as_deref(), Some("w1"));
    assert_eq!(
        f.ports.imports.claim_import(&first.id, "w2", now, until).await.unwrap(),
        None,
        "held by w1"
    );
    let later = until + chrono::Duration::seconds(1);
    let taken = f
        .ports
        .imports
        .claim_import(&first.id, "w2", later, later + chrono::Duration::minutes(2))
        .await;
    assert!(taken.unwrap().is_some(), "a lapsed lease is taken over");

    let mut done = f.ports.imports.import(&first.id).await.unwrap().unwrap();
    done.status = ImportStatus::Done;
    done.rows_read = 7;
    f.ports.imports.save_import(&done).await.unwrap();
    assert_eq!(f.ports.imports.import(&first.id).await.unwrap().unwrap().rows_read, 7);
    assert_eq!(f.ports.imports.unfinished_imports().await.unwrap().len(), 1);
    assert_eq!(
        f.ports
            .imports
            .claim_import(&first.id, "w2", later, later)
            .await
            .unwrap(),
        None,
        "ended"
    );
}

fn item(row: u64, draft: PositionDraft) -> ImportItem {
    ImportItem {
        rows: vec![RowRef {
            row,
            option_index: Some(0),
        }],
        position_id: draft.iupd.as_str().to_owned(),
        content: Ok(ImportContent::Upsert(ImportDraft::complete(draft))),
    }
}

fn fresh(iupd: &str, base: u64, cents: u64) -> PositionDraft {
    demo::draft(
        iupd,
        demo::debtor(),
        "Canone 2027",
        vec![demo::simple_option(base, cents, "Canone 2027", "2027-06-30")],
    )
}

async fn a_batch_creates_then_leaves_then_updates_and_cancels(db: &TestDb) {
    let f = seeded(db).await;
    let ente = demo::comune();
    let served = f.services.imports.beneficiaries().await.unwrap();
    let batch = || {
        vec![
            item(2, fresh("IMP-1", 2_700_000_000_001, 5_000)),
            item(3, fresh("IMP-2", 2_700_000_000_002, 7_000)),
        ]
    };
    let outcomes = |lines: &[ReportLine]| lines.iter().map(|l| l.outcome).collect::<Vec<_>>();

    let dry = f
        .services
        .imports
        .apply_batch(&ente, &served, batch(), true)
        .await
        .unwrap();
    assert_eq!(outcomes(&dry), [RowOutcome::Created, RowOutcome::Created]);
    assert_eq!(
        f.ports
            .positions
            .get(&comune(), &"IMP-1".parse().unwrap())
            .await
            .unwrap(),
        None,
        "a dry run writes nothing"
    );

    let first = f
        .services
        .imports
        .apply_batch(&ente, &served, batch(), false)
        .await
        .unwrap();
    assert_eq!(outcomes(&first), [RowOutcome::Created, RowOutcome::Created]);
    assert_eq!(first[0].notice_number, Some(demo::comune_notice(2_700_000_000_001)));
    let again = f
        .services
        .imports
        .apply_batch(&ente, &served, batch(), false)
        .await
        .unwrap();
    assert_eq!(outcomes(&again), [RowOutcome::Unchanged, RowOutcome::Unchanged]);

    let changed = vec![item(2, fresh("IMP-1", 2_700_000_000_001, 5_500))];
    let updated = f
        .services
        .imports
        .apply_batch(&ente, &served, changed, false)
        .await
        .unwrap();
    assert_eq!(outcomes(&updated), [RowOutcome::Updated]);
    let stored = f
        .ports
        .positions
        .get(&comune(), &"IMP-1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.options[0].amount.cents(), 5_500);

    let cancel = |row| ImportItem {
        rows: vec![RowRef {
            row,
            option_index: None,
        }],
        position_id: "IMP-2".into(),
        content: Ok(ImportContent::Cancel("IMP-2".parse().unwrap())),
    };
    let cancelled = f
        .services
        .imports
        .apply_batch(&ente, &served, vec![cancel(4)], false)
        .await
        .unwrap();
    assert_eq!(outcomes(&cancelled), [RowOutcome::Cancelled]);
    let feed = f.ports.outbox.feed(&comune(), 0, 1000).await.unwrap();
    assert!(
        feed.iter()
            .any(|m| matches!(&m.event, OutboxEvent::PositionCancelled(c) if c.iupd.as_str() == "IMP-2")),
        "a cancellation by a load reaches the gestionale like any other"
    );
    let twice = f
        .services
        .imports
        .apply_batch(&ente, &served, vec![cancel(4)], false)
        .await
        .unwrap();
    assert_eq!(outcomes(&twice), [RowOutcome::Unchanged]);
    let revived = f
        .services
        .imports
        .apply_batch(
            &ente,
            &served,
            vec![item(3, fresh("IMP-2", 2_700_000_000_002, 7_000))],
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        outcomes(&revived),
        [RowOutcome::Rejected],
        "a cancelled position is not brought back"
    );
    assert_eq!(revived[0].issue.as_ref().unwrap().code, "not_updatable");

    // A paid position resent as it was is unchanged; changed, it is refused with the reason.
    let paid_draft = fresh("IMP-3", 2_700_000_000_003, 9_000);
    f.services
        .imports
        .apply_batch(&ente, &served, vec![item(5, paid_draft.clone())], false)
        .await
        .unwrap();
    let mut paid = f
        .ports
        .positions
        .get(&comune(), &"IMP-3".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    paid.options[0].payment = Some(OptionPayment {
        receipt_id: "r-imp-3".parse().unwrap(),
        paid_at: f.world.clock.now(),
        amount: paid.options[0].amount,
    });
    paid.status = PositionStatus::Paid;
    f.ports.positions.update(&paid).await.unwrap();
    let resent = f
        .services
        .imports
        .apply_batch(&ente, &served, vec![item(5, paid_draft)], false)
        .await
        .unwrap();
    assert_eq!(outcomes(&resent), [RowOutcome::Unchanged]);
    let altered = f
        .services
        .imports
        .apply_batch(
            &ente,
            &served,
            vec![item(5, fresh("IMP-3", 2_700_000_000_003, 9_100))],
            false,
        )
        .await
        .unwrap();
    assert_eq!(outcomes(&altered), [RowOutcome::Rejected]);
    assert!(
        altered[0].issue.as_ref().unwrap().english.contains("paid"),
        "{:?}",
        altered[0].issue
    );
}

async fn a_position_that_cannot_be_written_fails_alone(db: &TestDb) {
    let f = seeded(db).await;
    let ente = demo::comune();
    let served = f.services.imports.beneficiaries().await.unwrap();
    // IMP-B reuses the notice number of a demo position: the database refuses it, alone.
    let taken = demo::tari().options[0].notice_number.base();
    let mut allocated = fresh("IMP-C", 0, 1_000);
    let to_allocate = ImportDraft {
        allocate: [0].into(),
        draft: {
            allocated.options[0].notice_number = demo::comune_notice(1);
            allocated
        },
    };
    let items = vec![
        item(2, fresh("IMP-A", 2_700_000_000_010, 1_000)),
        item(3, fresh("IMP-B", taken, 1_000)),
        ImportItem {
            rows: vec![RowRef {
                row: 4,
                option_index: Some(0),
            }],
            position_id: "IMP-C".into(),
            content: Ok(ImportContent::Upsert(to_allocate.clone())),
        },
        item(5, fresh("IMP-A", 2_700_000_000_011, 1_000)),
    ];
    let lines = f
        .services
        .imports
        .apply_batch(&ente, &served, items, false)
        .await
        .unwrap();
    let outcomes: Vec<_> = lines
        .iter()
        .map(|l| (l.outcome, l.issue.as_ref().map(|i| i.code)))
        .collect();
    assert_eq!(
        outcomes,
        [
            (RowOutcome::Created, None),
            (RowOutcome::Rejected, Some("duplicate_notice")),
            (RowOutcome::Created, None),
            (RowOutcome::Rejected, Some("duplicate_key")),
        ]
    );
    assert!(
        f.ports
            .positions
            .get(&comune(), &"IMP-A".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.ports
            .positions
            .get(&comune(), &"IMP-B".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // The allocated number is kept when the same row comes again.
    let allocated = lines[2].notice_number.clone().unwrap();
    let again = ImportItem {
        rows: vec![RowRef {
            row: 4,
            option_index: Some(0),
        }],
        position_id: "IMP-C".into(),
        content: Ok(ImportContent::Upsert(to_allocate)),
    };
    let lines = f
        .services
        .imports
        .apply_batch(&ente, &served, vec![again], false)
        .await
        .unwrap();
    assert_eq!(
        (lines[0].outcome, lines[0].notice_number.clone()),
        (RowOutcome::Unchanged, Some(allocated))
    );
}
