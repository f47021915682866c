//! Reconciliation on SQLite and PostgreSQL: the domain's scenarios (`pagopa-domain/tests/
//! shared/reconciliation.rs`) with this store behind every port, and the storage rules of
//! their own: revisions kept, raw documents, the lease of a fetch, an anomaly's resolution
//! audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "../../pagopa-domain/tests/shared/reconciliation.rs"]
mod scenarios;

contract!(
    a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies,
    totals_revisions_credits_and_sweeps,
    the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off,
    revisions_documents_leases_and_audit,
    a_position_reported_whole_becomes_reported,
    receipts_the_node_never_delivered_are_recovered_within_the_budget,
    digital_stamps_are_never_waited_for,
);

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use pagopa_domain::memory::ManualClock;
use pagopa_domain::ports::{AnomalyQuery, ReconciliationRepository};
use pagopa_domain::services::{Reconciliation, ReconciliationSettings, Services};
use pagopa_domain::*;
use scenarios::Stage;
use support::{Fixture, TestDb, comune, seeded};

struct Setup<'a> {
    db: &'a TestDb,
    fixture: Fixture,
}

impl Stage for Setup<'_> {
    fn rec(&self) -> Reconciliation {
        Reconciliation::new(
            Arc::new(self.db.store.clone()),
            Arc::new(self.db.store.clone()),
            Arc::new(self.db.store.clone()),
            self.fixture.world.clock.clone(),
            ReconciliationSettings::default(),
        )
    }
    fn repo(&self) -> &dyn ReconciliationRepository {
        &self.db.store
    }
    fn services(&self) -> &Services {
        &self.fixture.services
    }
    fn clock(&self) -> &ManualClock {
        &self.fixture.world.clock
    }
}

impl Setup<'_> {
    fn store(&self) -> &pagopa_storage_diesel::DieselStore {
        &self.db.store
    }
}

async fn a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies(&s).await;
}

async fn totals_revisions_credits_and_sweeps(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::totals_revisions_credits_and_sweeps(&s).await;
}

async fn the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off(&s).await;
}

async fn a_position_reported_whole_becomes_reported(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::a_position_reported_whole_becomes_reported(&s, &db.store).await;
}

async fn receipts_the_node_never_delivered_are_recovered_within_the_budget(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::receipts_the_node_never_delivered_are_recovered_within_the_budget(&s).await;
}

async fn digital_stamps_are_never_waited_for(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    scenarios::digital_stamps_are_never_waited_for(&s, &db.store).await;
}

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

async fn revisions_documents_leases_and_audit(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    let store = s.store();
    let now = s.now();
    let second = scenarios::flow("2026-11-26ABI03069-0009", 2, vec![]);
    assert_eq!(
        store
            .store_flow(&second.flow, FlowOrigin::Rest, &second.raw, now)
            .await
            .unwrap(),
        FlowStored::New { superseded: None }
    );
    let first = scenarios::flow("2026-11-26ABI03069-0009", 1, vec![]);
    assert_eq!(
        store
            .store_flow(&first.flow, FlowOrigin::Rest, &first.raw, now)
            .await
            .unwrap(),
        FlowStored::Older { current: 2 },
        "an older revision is kept, not current"
    );
    assert_eq!(
        store
            .store_flow(&second.flow, FlowOrigin::Rest, &second.raw, now)
            .await
            .unwrap(),
        FlowStored::AlreadyStored
    );
    let revisions = store.flow_revisions(&second.flow.key).await.unwrap();
    assert_eq!(
        revisions.iter().map(|r| (r.revision, r.current)).collect::<Vec<_>>(),
        [(2, true), (1, false)]
    );
    assert_eq!(
        store.flow_documents(&second.flow.key, 2).await.unwrap(),
        second.raw,
        "kept as received"
    );

    // The fetch lease: one worker at a time, until it expires or is released.
    let until = now + Duration::minutes(10);
    assert!(
        store
            .claim_fetch(&comune(), "a", now, until, false)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .claim_fetch(&comune(), "b", now, until, true)
            .await
            .unwrap()
            .is_none(),
        "held by a"
    );
    let mut state = store.fetch_state(&comune()).await.unwrap().unwrap();
    state.next_at = now + Duration::hours(1);
    assert!(!store.finish_fetch(&state, "b").await.unwrap(), "b holds nothing");
    assert!(store.finish_fetch(&state, "a").await.unwrap());
    assert!(
        store
            .claim_fetch(&comune(), "b", now, until, false)
            .await
            .unwrap()
            .is_none(),
        "not due"
    );
    assert!(
        store
            .claim_fetch(&comune(), "b", now, until, true)
            .await
            .unwrap()
            .is_some(),
        "forced"
    );
    let later = until + Duration::seconds(1);
    assert!(
        store
            .claim_fetch(&comune(), "c", later, later + Duration::minutes(10), true)
            .await
            .unwrap()
            .is_some(),
        "expired"
    );

    // A resolution is kept with its author and written to the audit trail.
    let scope = AnomalyScope::ReceiptsWithoutFlow;
    let draft = AnomalyDraft {
        code: AnomalyCode::ReceiptWithoutFlow,
        key: "receipt/x".into(),
        day: day("2026-11-25"),
        psp: None,
        amount_cents: Some(100),
        links: AnomalyLinks::default(),
        detail: "no flow".into(),
    };
    store
        .sync_anomalies(&comune(), &scope, std::slice::from_ref(&draft), now)
        .await
        .unwrap();
    let id = store
        .anomalies(&AnomalyQuery {
            ente: Some(comune()),
            limit: 10,
            ..AnomalyQuery::default()
        })
        .await
        .unwrap()
        .items[0]
        .id;
    let resolved = store
        .resolve_anomaly(&comune(), id, "op", "checked", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.resolution.as_ref().map(|r| r.by.as_str()), Some("op"));
    assert!(
        store
            .resolve_anomaly(&"00123456782".parse().unwrap(), id, "op", "x", now)
            .await
            .unwrap()
            .is_none()
    );
    let audited: i64 = {
        use diesel::prelude::*;
        let url = db.url.clone();
        if url.starts_with("postgres") {
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'anomaly'")
                .get_result::<Count>(&mut c)
                .unwrap()
                .n
        } else {
            let mut c = diesel::SqliteConnection::establish(url.trim_start_matches("sqlite://")).unwrap();
            diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'anomaly'")
                .get_result::<Count>(&mut c)
                .unwrap()
                .n
        }
    };
    assert_eq!(audited, 1);
    // Found again, it stays resolved; no longer found, a resolved one is left as it is.
    let again = store
        .sync_anomalies(&comune(), &scope, std::slice::from_ref(&draft), now)
        .await
        .unwrap();
    assert_eq!((again.kept, again.opened), (1, 0));
    let gone = store.sync_anomalies(&comune(), &scope, &[], now).await.unwrap();
    assert_eq!(gone.cleared, 0);
    assert_eq!(
        store.anomaly(&comune(), id).await.unwrap().unwrap().status,
        AnomalyStatus::Resolved
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
