//! The reconciliation scenarios, shared by the domain's tests (in-memory store) and the
//! storage adapter's (SQLite and PostgreSQL), so both stores are held to the same behaviour: a
//! flow matched to receipts with every line anomaly, late receipts clearing them, revisions,
//! bank credits, the sweeps, the scheduled fetch's cursor and back-off, the status per day and
//! the export. Include it with `#[path]` and implement [`Stage`].

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use pagopa_domain::memory::ManualClock;
use pagopa_domain::ports::{AnomalyQuery, Clock, FlowSource, FlowSourceError, ReconciliationRepository};
use pagopa_domain::services::{FetchSchedule, Reconciliation, Services, StationIds};
use pagopa_domain::*;

/// What a scenario runs on: the demo data seeded, the services, the store, a manual clock.
pub trait Stage {
    /// Reconciliation over the store.
    fn rec(&self) -> Reconciliation;
    /// The store.
    fn repo(&self) -> &dyn ReconciliationRepository;
    /// Every use case (the Node's, to record receipts).
    fn services(&self) -> &Services;
    /// The clock.
    fn clock(&self) -> &ManualClock;
    /// Now.
    fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }
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

/// A receipt of a single transfer of `cents` to the Comune.
fn receipt(receipt_id: &str, notice: &NoticeNumber, cents: u64, at: DateTime<Utc>) -> Receipt {
    let mut option = demo::simple_option(1, cents, "Pagamento", "2026-12-31");
    option.notice_number = notice.clone();
    demo::receipt_for(&option, receipt_id, at)
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

pub fn flow(flow_id: &str, revision: u32, lines: Vec<FlowLine>) -> FetchedFlow {
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
async fn pay_three(s: &impl Stage) -> Vec<(String, String, i64)> {
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

pub async fn a_flow_is_matched_line_by_line_and_late_receipts_clear_its_anomalies(s: &impl Stage) {
    let rec = s.rec();
    let paid = pay_three(s).await;
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
    let stored = s.repo().flow(&fetched.flow.key, None).await.unwrap().unwrap();
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

pub async fn totals_revisions_credits_and_sweeps(s: &impl Stage) {
    let rec = s.rec();
    let paid = pay_three(s).await;
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
    let cashed = s.repo().flow(&first.flow.key, None).await.unwrap().unwrap();
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
    let old = s.repo().flow(&first.flow.key, Some(1)).await.unwrap().unwrap();
    assert_eq!(old.summary.status, FlowStatus::Superseded);
    // The credit, matched again, no longer fits the new total.
    assert_eq!(open(&rec, AnomalyCode::CreditAmountDiffers).await.len(), 1);

    // Days later: the third receipt was never reported; the new revision was never cashed.
    s.clock().advance(Duration::days(10));
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
    let today = s.clock().today();
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
    /// Every revision published; the listing gives the latest of each flow.
    flows: Mutex<Vec<FetchedFlow>>,
}

#[async_trait]
impl FlowSource for Source {
    async fn published(&self, _ente: &EnteId, after: DateTime<Utc>) -> Result<Vec<PublishedFlow>, FlowSourceError> {
        self.listed_after.lock().unwrap().push(after);
        let flows = self.flows.lock().unwrap();
        let mut latest: Vec<&FetchedFlow> = Vec::new();
        for f in flows.iter() {
            match latest.iter_mut().find(|l| l.flow.key == f.flow.key) {
                Some(l) if l.flow.revision < f.flow.revision => *l = f,
                Some(_) => {}
                None => latest.push(f),
            }
        }
        Ok(latest
            .into_iter()
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
        let flows = self.flows.lock().unwrap();
        Ok(flows
            .iter()
            .find(|f| f.flow.key == flow.key && f.flow.revision == flow.revision)
            .unwrap()
            .clone())
    }

    fn name(&self) -> &'static str {
        "test"
    }
}

pub async fn the_fetch_keeps_its_cursor_before_a_failed_flow_and_backs_off(s: &impl Stage) {
    let rec = s.rec();
    let t1: DateTime<Utc> = "2026-11-25T09:00:00Z".parse().unwrap();
    let mut a = flow("2026-11-26ABI03069-0001", 1, vec![]);
    a.flow.published_at = Some(t1);
    let mut b = flow("2026-11-26ABI03069-0002", 1, vec![]);
    b.flow.published_at = Some(t1 + Duration::minutes(5));
    let source = Source {
        fail_second: Mutex::new(true),
        listed_after: Mutex::new(Vec::new()),
        flows: Mutex::new(vec![a.clone(), b]),
    };
    let schedule = FetchSchedule::default();
    let first = rec
        .fetch_due(&comune(), &source, "w1", &schedule, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.listed, first.fetched, first.failed.len()), (2, 1, 1));
    let state = s.repo().fetch_state(&comune()).await.unwrap().unwrap();
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
    let state = s.repo().fetch_state(&comune()).await.unwrap().unwrap();
    assert_eq!(state.failures, 0);
    assert_eq!(state.cursor, Some(t1 + Duration::minutes(5)));
    assert_eq!(state.next_at, s.now() + schedule.interval);
    let listed = source.listed_after.lock().unwrap().clone();
    assert_eq!(listed[0], s.now() - schedule.initial_lookback);
    assert!(listed[1] < t1 + Duration::minutes(5) - schedule.margin + Duration::seconds(1));

    // Revisions 2 and 3 of the first flow published since: the listing names 3, both are
    // fetched, in order, and every revision is kept.
    for revision in [2, 3] {
        let mut next = a.clone();
        next.flow.revision = revision;
        next.flow.published_at = Some(t1 + Duration::minutes(10 + i64::from(revision)));
        source.flows.lock().unwrap().push(next);
    }
    let third = rec
        .fetch_due(&comune(), &source, "w1", &schedule, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((third.fetched, third.failed.len()), (2, 0));
    let revisions: Vec<u32> = s
        .repo()
        .flow_revisions(&a.flow.key)
        .await
        .unwrap()
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revisions, [3, 2, 1]);
}

/// A paid position whose transfers to the Ente a flow reports whole becomes `Reported`; the
/// line's IUR may be another than the receipt's id (some PSPs send their own): the IUV, the
/// transfer, the amount and the day match it.
pub async fn a_position_reported_whole_becomes_reported(s: &impl Stage, positions: &dyn ports::PositionRepository) {
    let rec = s.rec();
    let option = demo::tari().options[0].clone();
    let paid = demo::receipt_for(&option, "tari-receipt-0001", s.now());
    s.services()
        .node
        .accept_receipt(&station(), paid.clone())
        .await
        .unwrap();
    let before = positions
        .find_by_notice(&comune(), &option.notice_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.status, PositionStatus::Paid);
    let day = model::calendar::italian_date(paid.paid_at());
    let lines: Vec<FlowLine> = paid
        .transfers
        .iter()
        .filter(|t| t.ente == comune())
        .enumerate()
        .map(|(i, t)| FlowLine {
            index: i as u32 + 1,
            iuv: paid.creditor_reference_id.as_str().into(),
            iur: "PSP-OWN-IUR-7".into(),
            transfer_id: Some(t.id),
            amount_cents: t.amount.cents() as i64,
            outcome: LineOutcome::Executed,
            outcome_date: day,
        })
        .collect();
    let report = rec
        .ingest(&flow("2026-11-26ABI03069-0077", 1, lines), FlowOrigin::Rest)
        .await
        .unwrap();
    assert_eq!(report.status, Some(FlowStatus::Reconciled), "{report:?}");
    let after = positions
        .find_by_notice(&comune(), &option.notice_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, PositionStatus::Reported);
}

/// pagoPA's receipts service as a test sees it: the receipts it holds by IUR, every call
/// counted, and failing on demand.
#[derive(Default)]
pub struct HeldReceipts {
    held: Mutex<Vec<Receipt>>,
    calls: Mutex<Vec<(String, String)>>,
    failing: Mutex<bool>,
}

impl HeldReceipts {
    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

#[async_trait]
impl ports::ReceiptSource for HeldReceipts {
    async fn receipt(
        &self,
        ente: &EnteId,
        iur: &str,
        iuv: &str,
        delivery: Delivery,
    ) -> Result<Option<Receipt>, FlowSourceError> {
        self.calls.lock().unwrap().push((iuv.to_owned(), iur.to_owned()));
        if *self.failing.lock().unwrap() {
            return Err(FlowSourceError {
                message: "HTTP 429".into(),
                transient: true,
                source: None,
            });
        }
        Ok(self
            .held
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.receipt_id.as_str() == iur && &r.ente == ente)
            .cloned()
            .map(|mut receipt| {
                receipt.delivery = Delivery {
                    raw_message: Some("{\"receiptId\":\"…\"}".into()),
                    ..delivery
                };
                receipt
            }))
    }

    fn name(&self) -> &'static str {
        "held"
    }
}

pub async fn receipts_the_node_never_delivered_are_recovered_within_the_budget(s: &impl Stage) {
    use pagopa_domain::services::{ReceiptRecovery, RecoverySettings};
    let rec = s.rec();
    let held = std::sync::Arc::new(HeldReceipts::default());
    // Four payments whose paSendRT never came; pagoPA holds the receipts of three.
    let mut lines = Vec::new();
    for (i, base) in [9201u64, 9202, 9203, 9204].into_iter().enumerate() {
        let notice = demo::comune_notice(base);
        let id = format!("lost{i}aaaaaaaaaaaaaaaaaaaaaaaaaaa");
        if i < 3 {
            held.held.lock().unwrap().push(receipt(&id, &notice, 500, s.now()));
        }
        lines.push(line(
            i as u32 + 1,
            notice.iuv().as_str(),
            &id,
            500,
            LineOutcome::Executed,
        ));
    }
    let fetched = flow("2026-11-26ABI03069-0077", 1, lines);
    rec.ingest(&fetched, FlowOrigin::Upload).await.unwrap();
    assert_eq!(open(&rec, AnomalyCode::LineWithoutReceipt).await.len(), 4);

    let recovery = ReceiptRecovery::new(
        held.clone(),
        s.services().node.clone(),
        rec.clone(),
        RecoverySettings {
            calls_per_hour: 2,
            ..RecoverySettings::default()
        },
    );
    // A budget of two calls an hour: two lines asked, two recovered, the flow matched again.
    let first = recovery.run(&comune()).await.unwrap();
    assert_eq!(
        (first.waiting, first.asked, first.recovered, first.deferred),
        (4, 2, 2, 2)
    );
    assert_eq!(first.rematched, 1);
    assert_eq!(open(&rec, AnomalyCode::LineWithoutReceipt).await.len(), 2);
    // Within the hour nothing more is asked.
    let spent = recovery.run(&comune()).await.unwrap();
    assert_eq!((spent.asked, spent.deferred), (0, 2));
    assert_eq!(held.calls(), 2);

    // An hour later: the third is found, the fourth is not held, and is not asked again soon.
    s.clock().advance(Duration::minutes(61));
    let second = recovery.run(&comune()).await.unwrap();
    assert_eq!((second.asked, second.recovered, second.not_found), (2, 1, 1));
    assert_eq!(open(&rec, AnomalyCode::LineWithoutReceipt).await.len(), 1);
    s.clock().advance(Duration::minutes(61));
    let third = recovery.run(&comune()).await.unwrap();
    assert_eq!(
        (third.asked, third.deferred),
        (0, 1),
        "asked again after a day, not before"
    );

    // A 429 pauses recovery for an hour.
    s.clock().advance(Duration::hours(24));
    *held.failing.lock().unwrap() = true;
    let failed = recovery.run(&comune()).await.unwrap();
    assert_eq!(failed.asked, 1);
    assert!(failed.error.as_deref().unwrap().contains("429"));
    *held.failing.lock().unwrap() = false;
    s.clock().advance(Duration::minutes(30));
    assert_eq!(recovery.run(&comune()).await.unwrap().asked, 0, "paused");

    // A recovered receipt is stored like a delivered one, marked, and settles its position
    // as one; a paSendRT of it arriving later is a repeated delivery.
    let recovered = s
        .repo()
        .receipts_by_iuvs(&comune(), &[demo::comune_notice(9201).iuv().as_str().to_owned()])
        .await
        .unwrap();
    assert_eq!(recovered.len(), 1);
    assert!(recovered[0].receipt.delivery.recovered);
    let late = s
        .services()
        .node
        .accept_receipt(
            &station(),
            receipt(
                "lost0aaaaaaaaaaaaaaaaaaaaaaaaaaa",
                &demo::comune_notice(9201),
                500,
                s.now(),
            ),
        )
        .await
        .unwrap();
    assert!(late.repeated_delivery);
}

pub async fn digital_stamps_are_never_waited_for(s: &impl Stage, positions: &dyn ports::PositionRepository) {
    let rec = s.rec();
    // A position of a payment and a digital stamp: the stamp's money never reaches the Ente,
    // so no flow reports it.
    let mut draft = demo::tari();
    draft.iupd = "STAMP-0001".parse().unwrap();
    draft.options.truncate(1);
    let option = &mut draft.options[0];
    option.notice_number = demo::comune_notice(9301);
    option.transfers[1].ente = comune();
    option.transfers[1].account = TransferAccount::Stamp(StampRequest {
        document_hash: "nD+EJU/lBv9Aw/q6W62+BUwI3dO27tjdxPyYTNOP1lk=".parse().unwrap(),
        stamp_type: "01".parse().unwrap(),
        province: "BS".parse().unwrap(),
    });
    let option = option.clone();
    s.services().positions.create(&comune(), draft).await.unwrap();
    let mut paid = demo::receipt_for(&option, "stamp-receipt-0001", s.now());
    paid.transfers[1].stamp_attachment = Some("UEsDBBQAAAAIAA==".into());
    s.services()
        .node
        .accept_receipt(&station(), paid.clone())
        .await
        .unwrap();
    // A receipt of a stamp alone (of no position here).
    let mut stamp_only = paid.clone();
    stamp_only.receipt_id = "stamp-only-0001".parse().unwrap();
    stamp_only.notice_number = demo::comune_notice(9302);
    stamp_only.creditor_reference_id = stamp_only.notice_number.iuv();
    stamp_only.transfers.remove(0);
    stamp_only.transfers[0].id = 1;
    stamp_only.amount = stamp_only.transfers[0].amount;
    s.services().node.accept_receipt(&station(), stamp_only).await.unwrap();

    // The flow reports the payment's account transfer only: the position is reported whole.
    let day = model::calendar::italian_date(paid.paid_at());
    let lines = vec![FlowLine {
        index: 1,
        iuv: paid.creditor_reference_id.as_str().into(),
        iur: "stamp-receipt-0001".into(),
        transfer_id: Some(1),
        amount_cents: paid.transfers[0].amount.cents() as i64,
        outcome: LineOutcome::Executed,
        outcome_date: day,
    }];
    let report = rec
        .ingest(&flow("2026-11-26ABI03069-0088", 1, lines), FlowOrigin::Rest)
        .await
        .unwrap();
    assert_eq!(report.status, Some(FlowStatus::Reconciled), "{report:?}");
    let position = positions
        .find_by_notice(&comune(), &option.notice_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.status, PositionStatus::Reported, "the stamp is not waited for");

    // Long after: neither receipt is waited for by the sweep.
    s.clock().advance(Duration::days(30));
    rec.sweep(&comune()).await.unwrap();
    let waited: Vec<String> = open(&rec, AnomalyCode::ReceiptWithoutFlow)
        .await
        .iter()
        .filter_map(|a| a.draft.links.receipt_id.as_ref().map(|r| r.as_str().to_owned()))
        .collect();
    assert!(
        !waited.iter().any(|r| r.starts_with("stamp")),
        "stamps are never in flows: {waited:?}"
    );
    // The day counts the account transfer, reported; no stamp.
    let status = rec.status(&comune(), day, day).await.unwrap();
    let today = status.iter().find(|d| d.day == day).unwrap();
    assert_eq!((today.receipts.count, today.reported.count), (1, 1), "{today:?}");
    assert_eq!(today.receipts.cents, paid.transfers[0].amount.cents() as i64);
}
