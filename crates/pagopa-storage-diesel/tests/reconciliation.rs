//! Reconciliation on SQLite and PostgreSQL: the domain's scenarios (a flow matched to receipts
//! with every line anomaly, late receipts clearing them, revisions, bank credits, the sweeps,
//! the scheduled fetch's cursor and back-off, the status per day and the export) with this
//! store behind every port, and the storage rules of their own: revisions kept, the lease of a
//! fetch, an anomaly's resolution audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

contract!(
    a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies,
    totals_revisions_credits_and_sweeps,
    the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off,
    revisions_documents_leases_and_audit,
);

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use pagopa_domain::ports::{AnomalyQuery, Clock, FlowSource, FlowSourceError, ReconciliationRepository};
use pagopa_domain::services::Services;
use pagopa_domain::services::{FetchSchedule, Reconciliation, ReconciliationSettings};
use pagopa_domain::*;
use support::{Fixture, TestDb, comune, seeded, station};

/// The receipt builder of the domain's tests: a single transfer of `cents` to the Comune.
fn receipt(receipt_id: &str, notice: &NoticeNumber, cents: u64, at: DateTime<Utc>) -> Receipt {
    let mut option = demo::simple_option(1, cents, "Pagamento", "2026-12-31");
    option.notice_number = notice.clone();
    demo::receipt_for(&option, receipt_id, at)
}

struct Setup<'a> {
    db: &'a TestDb,
    fixture: Fixture,
}

impl Setup<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.fixture.world.clock.now()
    }
    fn store(&self) -> &pagopa_storage_diesel::DieselStore {
        &self.db.store
    }
    fn services(&self) -> &Services {
        &self.fixture.services
    }
}

fn reconciliation(s: &Setup<'_>) -> Reconciliation {
    Reconciliation::new(
        Arc::new(s.db.store.clone()),
        Arc::new(s.db.store.clone()),
        s.fixture.world.clock.clone(),
        ReconciliationSettings::default(),
    )
}

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn line(index: u32, iuv: &str, iur: &str, cents: i64, outcome: LineOutcome) -> FlowLine {
    FlowLine {
        index,
        iuv: iuv.into(),
        iur: iur.into(),
        transfer_id: Some(1),
        amount_cents: cents,
        outcome,
        outcome_date: day("2026-11-25"),
    }
}

fn flow(flow_id: &str, revision: u32, lines: Vec<FlowLine>) -> FetchedFlow {
    let total = lines.iter().map(|l| l.amount_cents).sum();
    FetchedFlow {
        flow: FlowRevision {
            key: FlowKey {
                ente: comune(),
                psp: "ABI03069".parse().unwrap(),
                flow_id: flow_id.parse().unwrap(),
            },
            revision,
            psp_name: Some("Banca".into()),
            flow_date: "2026-11-26T08:00:00Z".parse().unwrap(),
            published_at: None,
            regulation: "TRN-1".into(),
            regulation_date: day("2026-11-26"),
            bic: None,
            declared_count: lines.len() as u64,
            declared_total_cents: total,
            lines,
        },
        raw: vec![RawDocument {
            part: "xml".into(),
            media_type: "application/xml".into(),
            body: "<FlussoRiversamento/>".into(),
        }],
    }
}

/// Pays three notices of the Comune: returns (receipt id, IUV, cents) of each.
async fn pay_three(s: &Setup<'_>) -> Vec<(String, String, i64)> {
    let mut paid = Vec::new();
    for (i, base) in [9001u64, 9002, 9003].into_iter().enumerate() {
        let notice = demo::comune_notice(base);
        let id = format!("r{i}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let cents = 1_000 * (i as u64 + 1);
        s.services()
            .node
            .accept_receipt(&station(), receipt(&id, &notice, cents, s.now()))
            .await
            .unwrap();
        paid.push((id, notice.iuv().as_str().to_owned(), cents as i64));
    }
    paid
}

async fn open(rec: &Reconciliation, code: AnomalyCode) -> Vec<Anomaly> {
    rec.anomalies(&AnomalyQuery {
        ente: Some(comune()),
        code: Some(code),
        status: Some(AnomalyStatus::Open),
        limit: 100,
        ..AnomalyQuery::default()
    })
    .await
    .unwrap()
    .items
}

async fn a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    let rec = reconciliation(&s);
    let paid = pay_three(&s).await;
    let (r0, iuv0, c0) = &paid[0];
    let (r1, iuv1, c1) = &paid[1];
    let late_iuv = demo::comune_notice(9100).iuv().as_str().to_owned();
    let fetched = flow(
        "2026-11-26ABI03069-0001",
        1,
        vec![
            line(1, iuv0, r0, *c0, LineOutcome::Executed),
            line(2, iuv1, r1, c1 + 5, LineOutcome::Executed),
            line(3, iuv0, r0, *c0, LineOutcome::Executed),
            line(4, iuv1, "rev1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", -c1, LineOutcome::Revoked),
            line(
                5,
                &late_iuv,
                "nort9aaaaaaaaaaaaaaaaaaaaaaaaaaa",
                700,
                LineOutcome::NoReceipt,
            ),
            line(
                6,
                "07999999999999999",
                "foreignaaaaaaaaaaaaaaaaaaaaaaaaa",
                800,
                LineOutcome::Executed,
            ),
            line(
                7,
                &late_iuv,
                "lateaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                900,
                LineOutcome::Executed,
            ),
        ],
    );
    let report = rec.ingest(&fetched, FlowOrigin::Upload).await.unwrap();
    assert_eq!(report.stored, "new");
    assert_eq!(report.status, Some(FlowStatus::Anomalous));
    assert_eq!(
        report.matched, 2,
        "lines 1 and 2 (with its wrong amount) found their receipt"
    );
    assert_eq!(report.anomalies.opened, 6);
    let stored = s.store().flow(&fetched.flow.key, None).await.unwrap().unwrap();
    let kinds: Vec<&str> = stored.matches.iter().map(LineMatch::as_str).collect();
    assert_eq!(
        kinds,
        [
            "matched",
            "amount_differs",
            "duplicate",
            "revoked",
            "without_receipt",
            "foreign_iuv",
            "missing"
        ]
    );
    for code in [
        AnomalyCode::AmountDiffers,
        AnomalyCode::DuplicateLine,
        AnomalyCode::RevokedPayment,
        AnomalyCode::ExecutedWithoutReceipt,
        AnomalyCode::ForeignIuv,
        AnomalyCode::LineWithoutReceipt,
    ] {
        assert_eq!(open(&rec, code).await.len(), 1, "{code:?}");
    }
    let differs = &open(&rec, AnomalyCode::AmountDiffers).await[0];
    assert_eq!(differs.draft.amount_cents, Some(5));
    assert_eq!(differs.draft.links.receipt_id.as_ref().unwrap().as_str(), r1.as_str());

    // The same revision again changes nothing.
    let again = rec.ingest(&fetched, FlowOrigin::Upload).await.unwrap();
    assert_eq!(again.stored, "already_stored");

    // The missing receipt arrives: the flow is matched again and its anomaly clears.
    let notice = demo::comune_notice(9100);
    s.services()
        .node
        .accept_receipt(
            &station(),
            receipt("lateaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &notice, 900, s.now()),
        )
        .await
        .unwrap();
    // The scheduled round finds it (the receipt path may also say so at once).
    assert_eq!(rec.rematch_waiting(&comune()).await.unwrap(), 1);
    let rematched = rec
        .receipt_arrived(&comune(), &"lateaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(rematched, 0, "nothing waits for it any more");
    assert_eq!(rec.rematch_waiting(&comune()).await.unwrap(), 0);
    assert!(open(&rec, AnomalyCode::LineWithoutReceipt).await.is_empty());
    let all = rec
        .anomalies(&AnomalyQuery {
            ente: Some(comune()),
            code: Some(AnomalyCode::LineWithoutReceipt),
            limit: 10,
            ..AnomalyQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.items[0].status, AnomalyStatus::Cleared, "kept, cleared");
}

async fn totals_revisions_credits_and_sweeps(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    let rec = reconciliation(&s);
    let paid = pay_three(&s).await;
    let lines: Vec<FlowLine> = paid
        .iter()
        .take(2)
        .enumerate()
        .map(|(i, (id, iuv, cents))| line(i as u32 + 1, iuv, id, *cents, LineOutcome::Executed))
        .collect();
    let first = flow("2026-11-26ABI03069-0002", 1, lines.clone());
    let report = rec.ingest(&first, FlowOrigin::Rest).await.unwrap();
    assert_eq!(report.status, Some(FlowStatus::Reconciled));

    // A statement whose credit names the flow, wrapped by the bank, for the right amount;
    // one with no reference at all.
    let credit = |cents: i64, remittance: &str| BankCredit {
        booking_date: day("2026-11-27"),
        value_date: None,
        amount_cents: cents,
        account: Some("IT60X0542811101000000123456".into()),
        remittance: remittance.into(),
        bank_reference: None,
        debtor_name: None,
    };
    let statement = BankStatement {
        ente: comune(),
        format: StatementFormat::Csv,
        digest: "d1".into(),
        statement_id: None,
        credits: vec![
            credit(3_000, "/PUR/LGPE-RIVERSAMENTO/URI/2026-11-26ABI03069-\n0002"),
            credit(55, "INTERESSI"),
        ],
        raw: String::new(),
    };
    let uploaded = rec.upload_statement(&statement, "op").await.unwrap();
    assert_eq!((uploaded.flows, uploaded.unmatched), (1, 1));
    assert_eq!(open(&rec, AnomalyCode::CreditUnmatched).await.len(), 1);
    let cashed = s.store().flow(&first.flow.key, None).await.unwrap().unwrap();
    assert_eq!(cashed.summary.status, FlowStatus::Cashed);
    assert!(rec.upload_statement(&statement, "op").await.unwrap().duplicate);

    // A new revision that changes a cashed flow: flagged; the older revision is kept.
    let mut changed = lines;
    changed[1].amount_cents += 100;
    let mut second = flow("2026-11-26ABI03069-0002", 2, changed);
    second.flow.declared_total_cents += 1;
    let report = rec.ingest(&second, FlowOrigin::Rest).await.unwrap();
    assert_eq!(report.superseded, Some(1));
    assert_eq!(open(&rec, AnomalyCode::RevisionChangedReconciled).await.len(), 1);
    assert_eq!(open(&rec, AnomalyCode::FlowTotalsMismatch).await.len(), 1);
    let old = s.store().flow(&first.flow.key, Some(1)).await.unwrap().unwrap();
    assert_eq!(old.summary.status, FlowStatus::Superseded);
    // The credit, matched again, no longer fits the new total.
    assert_eq!(open(&rec, AnomalyCode::CreditAmountDiffers).await.len(), 1);

    // Days later: the third receipt was never reported; the new revision was never cashed.
    s.fixture.world.clock.advance(Duration::days(10));
    let sweep = rec.sweep(&comune()).await.unwrap();
    assert_eq!(sweep.receipts_without_flow.opened, 1);
    assert_eq!(sweep.flows_not_cashed.opened, 1);
    let unreported = &open(&rec, AnomalyCode::ReceiptWithoutFlow).await[0];
    assert_eq!(unreported.draft.links.receipt_id.as_ref().unwrap().as_str(), paid[2].0);

    // The office resolves one with a note; a sweep finding it again keeps the resolution.
    let resolved = rec
        .resolve(&comune(), unreported.id, "op", "PSP asked, flow coming")
        .await
        .unwrap();
    assert_eq!(resolved.status, AnomalyStatus::Resolved);
    let again = rec.sweep(&comune()).await.unwrap();
    assert_eq!(again.receipts_without_flow.kept, 1);
    assert!(open(&rec, AnomalyCode::ReceiptWithoutFlow).await.is_empty());
    assert!(rec.resolve(&comune(), unreported.id, "op", "  ").await.is_err());

    // Status per day and the export.
    let today = s.fixture.world.clock.today();
    let days = rec.status(&comune(), today - Duration::days(30), today).await.unwrap();
    let paid_day = days.iter().find(|d| d.receipts.count > 0).unwrap();
    assert_eq!(paid_day.receipts.count, 3);
    assert_eq!(paid_day.reported.count, 2);
    let export = rec
        .export(&comune(), today - Duration::days(30), today, None, 100)
        .await
        .unwrap();
    assert_eq!(export.rows.len(), 3);
    assert!(export.rows.iter().filter(|r| r.flow_id.is_some()).count() == 2);
}

/// A source that lists two flows and fails to fetch the second once.
struct Source {
    fail_second: Mutex<bool>,
    listed_after: Mutex<Vec<DateTime<Utc>>>,
    flows: Vec<FetchedFlow>,
}

#[async_trait]
impl FlowSource for Source {
    async fn published(&self, _ente: &EnteId, after: DateTime<Utc>) -> Result<Vec<PublishedFlow>, FlowSourceError> {
        self.listed_after.lock().unwrap().push(after);
        Ok(self
            .flows
            .iter()
            .map(|f| PublishedFlow {
                key: f.flow.key.clone(),
                revision: f.flow.revision,
                published_at: f.flow.published_at,
                flow_date: Some(f.flow.flow_date),
            })
            .collect())
    }

    async fn fetch(&self, flow: &PublishedFlow) -> Result<FetchedFlow, FlowSourceError> {
        if flow.key.flow_id.as_str().ends_with("0002") && std::mem::take(&mut *self.fail_second.lock().unwrap()) {
            return Err(FlowSourceError {
                message: "503 from the FdR service".into(),
                transient: true,
                source: None,
            });
        }
        Ok(self.flows.iter().find(|f| f.flow.key == flow.key).unwrap().clone())
    }

    fn name(&self) -> &'static str {
        "test"
    }
}

async fn the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    let rec = reconciliation(&s);
    let t1: DateTime<Utc> = "2026-11-25T09:00:00Z".parse().unwrap();
    let mut a = flow("2026-11-26ABI03069-0001", 1, vec![]);
    a.flow.published_at = Some(t1);
    let mut b = flow("2026-11-26ABI03069-0002", 1, vec![]);
    b.flow.published_at = Some(t1 + Duration::minutes(5));
    let source = Source {
        fail_second: Mutex::new(true),
        listed_after: Mutex::new(Vec::new()),
        flows: vec![a, b],
    };
    let schedule = FetchSchedule::default();
    let first = rec
        .fetch_due(&comune(), &source, "w1", &schedule, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.listed, first.fetched, first.failed.len()), (2, 1, 1));
    let state = s.store().fetch_state(&comune()).await.unwrap().unwrap();
    assert_eq!(state.failures, 1);
    assert!(
        state.cursor.unwrap() < t1 + Duration::minutes(5),
        "not past the failed flow"
    );
    assert_eq!(state.next_at, s.now() + Duration::minutes(1));
    // Not due yet: nothing happens; forced, it runs and fetches the failed flow again.
    assert!(
        rec.fetch_due(&comune(), &source, "w1", &schedule, false)
            .await
            .unwrap()
            .is_none()
    );
    let second = rec
        .fetch_due(&comune(), &source, "w2", &schedule, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.fetched, second.already_stored, second.failed.len()), (1, 1, 0));
    let state = s.store().fetch_state(&comune()).await.unwrap().unwrap();
    assert_eq!(state.failures, 0);
    assert_eq!(state.cursor, Some(t1 + Duration::minutes(5)));
    assert_eq!(state.next_at, s.now() + schedule.interval);
    let listed = source.listed_after.lock().unwrap().clone();
    assert_eq!(listed[0], s.now() - schedule.initial_lookback);
    assert!(listed[1] < t1 + Duration::minutes(5) - schedule.margin + Duration::seconds(1));
}

async fn revisions_documents_leases_and_audit(db: &TestDb) {
    let s = Setup {
        db,
        fixture: seeded(db).await,
    };
    let store = s.store();
    let now = s.now();
    let second = flow("2026-11-26ABI03069-0009", 2, vec![]);
    assert_eq!(
        store
            .store_flow(&second.flow, FlowOrigin::Rest, &second.raw, now)
            .await
            .unwrap(),
        FlowStored::New { superseded: None }
    );
    let first = flow("2026-11-26ABI03069-0009", 1, vec![]);
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
