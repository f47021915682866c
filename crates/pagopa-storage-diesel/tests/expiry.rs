//! Expiry by time on SQLite and PostgreSQL: positions due to expire are expired and notified
//! once, even by two instances sharing the database at the same time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use pagopa_domain::ports::*;
use pagopa_domain::*;
use pagopa_storage_diesel::DieselStore;
use support::{TestDb, comune, seeded};

contract!(two_instances_never_both_expire_or_notify_a_position,);

const POSITIONS: u64 = 40;

async fn two_instances_never_both_expire_or_notify_a_position(db: &TestDb) {
    let f = seeded(db).await;
    let now = f.world.clock.now();
    let mut drafts = Vec::new();
    for i in 0..POSITIONS {
        let option = demo::simple_option(2_612_000_001_000 + i, 1_000, "Sanzione", "2026-12-16");
        let mut draft = demo::draft(&format!("EXP-{i}"), demo::debtor(), "Sanzione", vec![option]);
        draft.expires_after_due_date = true;
        drafts.push(DebtPosition::create(&comune(), demo::comune_layout(), draft, now).unwrap());
    }
    f.ports.positions.insert_batch(&drafts).await.unwrap();

    // Two instances: two stores (own pools, own SQLite writer) over one database.
    let other = DieselStore::connect(&db.url, 4).unwrap();
    let instances: Vec<Arc<dyn PositionRepository>> = vec![Arc::new(db.store.clone()), Arc::new(other)];
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 16, 23, 30, 0).unwrap();
    let mut tasks = Vec::new();
    for store in instances {
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.expire_due(today, at, 3).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|p| p.iupd.to_string()));
            }
        }));
    }
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for task in tasks {
        let mine = task.await.unwrap();
        total += mine.len();
        seen.extend(mine);
    }
    // The demo canteen position (due in 2025) expires too.
    assert_eq!(total, POSITIONS as usize + 1, "no position expired twice");
    assert_eq!(seen.len(), POSITIONS as usize + 1);
    for i in 0..POSITIONS {
        let stored = f
            .ports
            .positions
            .get(&comune(), &format!("EXP-{i}").parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stored.status, stored.version), (PositionStatus::Expired, 1), "EXP-{i}");
    }
    let messages = f
        .ports
        .outbox
        .claim("check", at + Duration::seconds(1), Duration::minutes(5), 1000)
        .await
        .unwrap();
    let expiries: Vec<&ExpiryNotification> = messages
        .iter()
        .filter_map(|m| match &m.event {
            OutboxEvent::PositionExpired(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(expiries.len(), POSITIONS as usize + 1, "one notification per position");
    assert!(
        f.ports.positions.expire_due(today, at, 100).await.unwrap().is_empty(),
        "nothing is due twice"
    );
}
