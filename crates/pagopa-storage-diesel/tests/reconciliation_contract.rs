//! The storage contract for reconciliation, on SQLite and on PostgreSQL: flow revisions and
//! their matching, statements and credits cashing flows, the anomalies work list, the fetch
//! lease, and the receipts read for matching and the export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pagopa_domain::ports::*;
use pagopa_domain::*;
use support::{TestDb, comune, n1, seeded};

contract!(
    revisions_higher_same_lower,
    matching_is_saved_and_read_back,
    statements_credits_and_cashing,
    anomalies_sync_and_resolve,
    fetch_lease,
    receipts_for_matching_and_export,
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn key(flow: &str) -> FlowKey {
    FlowKey {
        ente: comune(),
        psp: "ABI03069".parse().unwrap(),
        flow_id: flow.parse().unwrap(),
    }
}

fn rid(n: u32) -> String {
    format!("{n:032x}")
}

fn flow(flow_id: &str, revision: u32, lines: usize) -> FlowRevision {
    let lines: Vec<FlowLine> = (0..lines)
        .map(|i| FlowLine {
            index: i as u32 + 1,
            iuv: format!("IUV{i:015}"),
            iur: rid(i as u32 + 1),
            transfer_id: Some(1),
            amount_cents: 1000,
            outcome: LineOutcome::Executed,
            outcome_date: day(24),
        })
        .collect();
    FlowRevision {
        key: key(flow_id),
        revision,
        psp_name: Some("Banca".into()),
        flow_date: t0(),
        published_at: None,
        regulation: "TRN1".into(),
        regulation_date: day(25),
        bic: None,
        declared_count: lines.len() as u64,
        declared_total_cents: 1000 * lines.len() as i64,
        lines,
    }
}

fn raw() -> Vec<RawDocument> {
    vec![
        RawDocument {
            part: "header".into(),
            media_type: "application/json".into(),
            body: "{}".into(),
        },
        RawDocument {
            part: "payments-1".into(),
            media_type: "application/json".into(),
            body: "[]".into(),
        },
    ]
}

async fn revisions_higher_same_lower(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 2, 3), FlowOrigin::Rest, &raw(), t0())
            .await
            .unwrap(),
        FlowStored::New { superseded: None }
    );
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 2, 5), FlowOrigin::Rest, &[], t0())
            .await
            .unwrap(),
        FlowStored::AlreadyStored
    );
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 1, 1), FlowOrigin::Soap, &[], t0())
            .await
            .unwrap(),
        FlowStored::Older { current: 2 }
    );
    let current = s.flow(&k, None).await.unwrap().unwrap();
    assert_eq!(current.flow, flow(k.flow_id.as_str(), 2, 3), "lines read back in order");
    assert_eq!(current.summary.status, FlowStatus::Received);
    assert!(current.matches.is_empty());
    assert_eq!(s.flow_documents(&k, 2).await.unwrap(), raw());
    assert_eq!(
        s.store_flow(&flow(k.flow_id.as_str(), 3, 2), FlowOrigin::Rest, &[], t0())
            .await
            .unwrap(),
        FlowStored::New { superseded: Some(2) }
    );
    let revisions = s.flow_revisions(&k).await.unwrap();
    let listed: Vec<_> = revisions.iter().map(|r| (r.revision, r.current, r.status)).collect();
    assert_eq!(
        listed,
        vec![
            (3, true, FlowStatus::Received),
            (2, false, FlowStatus::Superseded),
            (1, false, FlowStatus::Received)
        ]
    );
    let old = s.flow(&k, Some(2)).await.unwrap().unwrap();
    assert_eq!(old.flow.lines.len(), 3, "the superseded revision is kept as it was");
    // Listing: newest settlement first, pages.
    s.store_flow(&flow("2026-11-25ABI03069-0002", 1, 1), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let mut query = FlowQuery {
        ente: Some(comune()),
        current_only: true,
        limit: 1,
        ..Default::default()
    };
    let first = s.flows(&query).await.unwrap();
    assert_eq!(first.items.len(), 1);
    query.after = first.next.clone();
    let second = s.flows(&query).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    assert_ne!(first.items[0].key, second.items[0].key);
    let ids = [k.flow_id.clone()];
    assert_eq!(s.current_flows(&comune(), &ids).await.unwrap()[0].revision, 3);
}

async fn matching_is_saved_and_read_back(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let receipt: ReceiptId = rid(1).parse().unwrap();
    let matches = vec![
        LineMatch::Matched {
            receipt_id: receipt.clone(),
        },
        LineMatch::Missing,
        LineMatch::AmountDiffers {
            receipt_id: rid(3).parse().unwrap(),
            receipt_cents: 900,
        },
    ];
    assert_eq!(
        s.flows_awaiting_receipt(&comune(), &rid(2).parse().unwrap())
            .await
            .unwrap(),
        vec![k.clone()]
    );
    s.save_flow_matching(&k, 1, &matches, FlowStatus::Anomalous)
        .await
        .unwrap();
    let stored = s.flow(&k, None).await.unwrap().unwrap();
    assert_eq!(stored.matches, matches);
    assert_eq!(stored.summary.status, FlowStatus::Anomalous);
    assert_eq!(stored.flow, flow(k.flow_id.as_str(), 1, 3));
    assert_eq!(
        s.flows_awaiting_receipt(&comune(), &rid(2).parse().unwrap())
            .await
            .unwrap(),
        vec![k.clone()]
    );
    assert!(s.flows_awaiting_receipt(&comune(), &receipt).await.unwrap().is_empty());
    assert!(
        s.flows_awaiting_receipt(&comune(), &rid(3).parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.flows_awaiting_credit(&comune(), day(26)).await.unwrap().len(), 1);
    assert!(s.flows_awaiting_credit(&comune(), day(25)).await.unwrap().is_empty());
}

fn statement(digest: &str, flow_id: &str) -> BankStatement {
    let credit = |remittance: &str, cents| BankCredit {
        booking_date: day(26),
        value_date: None,
        amount_cents: cents,
        account: None,
        remittance: remittance.into(),
        bank_reference: None,
        debtor_name: None,
    };
    BankStatement {
        ente: comune(),
        format: StatementFormat::Csv,
        digest: digest.into(),
        statement_id: None,
        credits: vec![
            credit(&format!("/PUR/LGPE-RIVERSAMENTO/URI/{flow_id}"), 3000),
            credit("/RFS/RF18539007547034/100.00", 10000),
            credit("STIPENDIO", 5),
        ],
        raw: "csv".into(),
    }
}

async fn statements_credits_and_cashing(db: &TestDb) {
    let s = &db.store;
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let matches = vec![LineMatch::Missing; 3];
    s.save_flow_matching(&k, 1, &matches, FlowStatus::Reconciled)
        .await
        .unwrap();
    let StatementStored::New { summary, credits } = s
        .store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
        .await
        .unwrap()
    else {
        panic!("a new statement")
    };
    assert_eq!(summary.credits, 3);
    assert_eq!(summary.total_cents, 13005);
    assert_eq!(credits.len(), 3);
    assert_eq!(credits[0].reference, CreditReference::Flow(k.flow_id.clone()));
    assert_eq!(credits[1].reference, CreditReference::Iuv("RF18539007547034".into()));
    assert_eq!(credits[2].reference, CreditReference::None);
    assert!(credits.iter().all(|c| c.matched == CreditMatch::Unmatched));
    assert_eq!(
        s.store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
            .await
            .unwrap(),
        StatementStored::Duplicate(summary.clone())
    );
    assert_eq!(s.statements(&comune()).await.unwrap(), vec![summary.clone()]);
    let ids = [k.flow_id.clone()];
    assert_eq!(
        s.credits_for_flows(&comune(), &ids).await.unwrap(),
        vec![credits[0].clone()]
    );

    let credit = credits[0].id;
    s.save_credit_matches(&comune(), &[(credit, CreditMatch::Flow { key: k.clone() })], t0())
        .await
        .unwrap();
    let cashed = s.flow(&k, None).await.unwrap().unwrap().summary;
    assert_eq!((cashed.status, cashed.credit_id), (FlowStatus::Cashed, Some(credit)));
    assert!(s.flows_awaiting_credit(&comune(), day(26)).await.unwrap().is_empty());
    let unmatched = CreditQuery {
        ente: Some(comune()),
        unmatched_only: true,
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.credits(&unmatched).await.unwrap().items.len(), 2);
    let page = s
        .credits(&CreditQuery {
            ente: Some(comune()),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items[0].matched, CreditMatch::Flow { key: k.clone() });
    assert_eq!(page.next, Some(credits[1].id));

    s.save_credit_matches(&comune(), &[(credit, CreditMatch::Unmatched)], t0())
        .await
        .unwrap();
    let back = s.flow(&k, None).await.unwrap().unwrap().summary;
    assert_eq!(
        (back.status, back.credit_id),
        (FlowStatus::Reconciled, None),
        "the mark is taken back"
    );
}

fn draft(code: AnomalyCode, key: &str) -> AnomalyDraft {
    AnomalyDraft {
        code,
        key: key.into(),
        day: day(25),
        psp: Some("ABI03069".parse().unwrap()),
        amount_cents: Some(100),
        links: AnomalyLinks {
            iuv: Some("IUV".into()),
            ..Default::default()
        },
        detail: "detail".into(),
    }
}

async fn anomalies_sync_and_resolve(db: &TestDb) {
    let s = &db.store;
    let scope = AnomalyScope::Flow {
        psp: "ABI03069".parse().unwrap(),
        flow_id: "F1".parse().unwrap(),
    };
    let (a, b, c) = (
        draft(AnomalyCode::LineWithoutReceipt, "a"),
        draft(AnomalyCode::AmountDiffers, "b"),
        draft(AnomalyCode::DuplicateLine, "c"),
    );
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone(), c.clone()], t0())
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 3,
            kept: 0,
            cleared: 0
        }
    );
    let all = s
        .anomalies(&AnomalyQuery {
            ente: Some(comune()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.items.len(), 3);
    let b_id = all.items.iter().find(|x| x.draft.key == "b").unwrap().id;
    let c_id = all.items.iter().find(|x| x.draft.key == "c").unwrap().id;
    let later = t0() + Duration::hours(1);
    let resolved = s
        .resolve_anomaly(&comune(), b_id, "op", "ok", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.status, AnomalyStatus::Resolved);
    assert_eq!(
        resolved.resolution,
        Some(Resolution {
            by: "op".into(),
            at: later,
            note: "ok".into()
        })
    );
    let audited = db
        .store
        .audit_trail("anomaly", &format!("{}/{b_id}", comune()))
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(
        s.resolve_anomaly(&"99999999999".parse().unwrap(), b_id, "op", "x", later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.anomaly(&comune(), 999_999).await.unwrap().is_none());

    // Again without c: a and b kept (b's resolution kept), c cleared.
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone()], later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 0,
            kept: 2,
            cleared: 1
        }
    );
    let b_now = s.anomaly(&comune(), b_id).await.unwrap().unwrap();
    assert_eq!(b_now.status, AnomalyStatus::Resolved);
    assert!(b_now.resolution.is_some());
    assert_eq!(b_now.last_seen, later);
    let c_now = s.anomaly(&comune(), c_id).await.unwrap().unwrap();
    assert_eq!((c_now.status, c_now.last_seen), (AnomalyStatus::Cleared, later));
    // c found again: open again, same id.
    let sync = s
        .sync_anomalies(&comune(), &scope, &[a.clone(), b.clone(), c.clone()], later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 1,
            kept: 2,
            cleared: 0
        }
    );
    assert_eq!(
        s.anomaly(&comune(), c_id).await.unwrap().unwrap().status,
        AnomalyStatus::Open
    );
    // Another scope finds a: it moves there.
    let sweep = AnomalyScope::ReceiptsWithoutFlow;
    let sync = s
        .sync_anomalies(&comune(), &sweep, std::slice::from_ref(&a), later)
        .await
        .unwrap();
    assert_eq!(
        sync,
        AnomalySync {
            opened: 0,
            kept: 1,
            cleared: 0
        }
    );
    let counts = s.anomaly_counts(&comune(), day(1), day(30)).await.unwrap();
    assert_eq!(
        counts,
        vec![
            (day(25), AnomalyCode::DuplicateLine, 1),
            (day(25), AnomalyCode::LineWithoutReceipt, 1)
        ],
        "open ones only, by day and code"
    );
    let open = AnomalyQuery {
        ente: Some(comune()),
        status: Some(AnomalyStatus::Open),
        limit: 1,
        ..Default::default()
    };
    let page = s.anomalies(&open).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.next.is_some());
}

async fn fetch_lease(db: &TestDb) {
    let s = &db.store;
    let ente = comune();
    assert!(s.fetch_state(&ente).await.unwrap().is_none());
    let until = t0() + Duration::minutes(5);
    let mut state = s.claim_fetch(&ente, "w1", t0(), until, false).await.unwrap().unwrap();
    assert_eq!((state.next_at, state.failures), (t0(), 0));
    assert!(
        s.claim_fetch(&ente, "w2", t0(), until, true).await.unwrap().is_none(),
        "held by w1"
    );
    state.cursor = Some(t0());
    state.next_at = t0() + Duration::hours(1);
    state.last_success = Some(t0());
    assert!(!s.finish_fetch(&state, "w2").await.unwrap(), "w2 holds no lease");
    assert!(s.finish_fetch(&state, "w1").await.unwrap());
    assert_eq!(s.fetch_state(&ente).await.unwrap().unwrap(), state);
    let soon = t0() + Duration::minutes(10);
    assert!(
        s.claim_fetch(&ente, "w2", soon, soon + Duration::minutes(5), false)
            .await
            .unwrap()
            .is_none(),
        "not due"
    );
    let forced = s
        .claim_fetch(&ente, "w2", soon, soon + Duration::minutes(5), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(forced, state);
    // w2's lease expires: w3 takes it when due.
    let late = t0() + Duration::hours(2);
    assert!(
        s.claim_fetch(&ente, "w3", late, late + Duration::minutes(5), false)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!s.finish_fetch(&state, "w2").await.unwrap(), "w2 lost its lease");
}

async fn receipts_for_matching_and_export(db: &TestDb) {
    let f = seeded(db).await;
    let s = &db.store;
    let option = f
        .ports
        .positions
        .find_by_notice(&comune(), &n1())
        .await
        .unwrap()
        .unwrap()
        .options[0]
        .clone();
    let mut ids = Vec::new();
    for n in 1..=4u32 {
        let at = t0() + Duration::minutes(i64::from(n));
        let mut receipt = demo::receipt_for(&option, &rid(n), at);
        receipt.payment_date_time = Some(at);
        ids.push(receipt.receipt_id.clone());
        let stored = StoredReceipt {
            receipt,
            disposition: ReceiptDisposition::Settled,
        };
        f.ports
            .receipts
            .record(ReceiptWrite {
                receipt: stored,
                position: None,
                outbox: vec![],
            })
            .await
            .unwrap();
    }
    let found = s.receipts_by_ids(&comune(), &ids[..2]).await.unwrap();
    assert_eq!(found.len(), 2);
    let iuvs = vec![option.notice_number.iuv().as_str().to_owned()];
    assert_eq!(s.receipts_by_iuvs(&comune(), &iuvs).await.unwrap().len(), 4);

    // A flow matches receipts 1 and 2; a superseded revision matched 3 (it does not count).
    let k = key("2026-11-25ABI03069-0001");
    s.store_flow(&flow(k.flow_id.as_str(), 1, 3), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    let m = |n: u32| LineMatch::Matched {
        receipt_id: rid(n).parse().unwrap(),
    };
    s.save_flow_matching(&k, 1, &[m(1), m(2), m(3)], FlowStatus::Reconciled)
        .await
        .unwrap();
    s.store_flow(&flow(k.flow_id.as_str(), 2, 2), FlowOrigin::Rest, &[], t0())
        .await
        .unwrap();
    s.save_flow_matching(&k, 2, &[m(1), m(2)], FlowStatus::Reconciled)
        .await
        .unwrap();
    let end = t0() + Duration::hours(1);
    let unreported = s.unreported_receipts(&comune(), t0(), end).await.unwrap();
    let listed: Vec<_> = unreported.iter().map(|u| u.receipt_id.clone()).collect();
    assert_eq!(listed, vec![ids[2].clone(), ids[3].clone()]);
    assert_eq!(unreported[0].paid_at, t0() + Duration::minutes(3));
    let window = s
        .unreported_receipts(&comune(), t0() + Duration::minutes(3), t0() + Duration::minutes(4))
        .await
        .unwrap();
    assert_eq!(window.len(), 1, "paid at the window's end: excluded");
    assert_eq!(window[0].receipt_id, ids[2]);
    assert_eq!(window[0].psp, option_psp(&found[0]));

    let StatementStored::New { credits, .. } = s
        .store_statement(&statement("d1", k.flow_id.as_str()), "op", t0())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    s.save_credit_matches(
        &comune(),
        &[(credits[0].id, CreditMatch::Flow { key: k.clone() })],
        t0(),
    )
    .await
    .unwrap();
    let first = s.receipts_with_links(&comune(), t0(), end, None, 3).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.items[0].lines.len(), 1);
    let link = &first.items[0].lines[0];
    assert_eq!((link.revision, link.amount_cents, link.transfer_id), (2, 1000, Some(1)));
    assert_eq!(link.credit, Some((credits[0].id, day(26))));
    assert_eq!(link.regulation_date, day(25));
    assert!(first.items[2].lines.is_empty());
    let next = first.next.clone().unwrap();
    assert_eq!(next.1, ids[2]);
    let second = s
        .receipts_with_links(&comune(), t0(), end, Some(&next), 3)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].receipt.receipt.receipt_id, ids[3]);
    assert!(second.next.is_none());
}

fn option_psp(receipt: &StoredReceipt) -> PartyId {
    receipt.receipt.psp.id.clone()
}

/// 100 000 lines stored and matched on SQLite; run in release with `--ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a timing, run in release"]
async fn bench_100k_lines_on_sqlite() {
    let db = TestDb::sqlite().await;
    let s = &db.store;
    let big = flow("2026-11-25ABI03069-0001", 1, 100_000);
    let started = std::time::Instant::now();
    s.store_flow(&big, FlowOrigin::Rest, &raw(), t0()).await.unwrap();
    let stored = started.elapsed();
    let matches: Vec<LineMatch> = (0..100_000u32)
        .map(|n| LineMatch::Matched {
            receipt_id: rid(n + 1).parse().unwrap(),
        })
        .collect();
    let started = std::time::Instant::now();
    s.save_flow_matching(&big.key, 1, &matches, FlowStatus::Reconciled)
        .await
        .unwrap();
    let matched = started.elapsed();
    let started = std::time::Instant::now();
    let read = s.flow(&big.key, None).await.unwrap().unwrap();
    let loaded = started.elapsed();
    assert_eq!(read.matches.len(), 100_000);
    println!("100k lines on SQLite: store_flow {stored:?}, save_flow_matching {matched:?}, flow() {loaded:?}");
}
