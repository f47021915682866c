//! The storage contract for reconciliation, on SQLite and on PostgreSQL: flow revisions and
//! their matching, statements and credits cashing flows, the anomalies work list, the fetch
//! lease, and the receipts read for matching and the export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod anomalies;
mod bank;
mod fetch;
mod fixtures;
mod flows;
mod receipts;

use pagopa_domain::ports::*;
use pagopa_domain::*;

use self::anomalies::anomalies_sync_and_resolve;
use self::bank::statements_credits_and_cashing;
use self::fetch::fetch_lease;
use self::fixtures::{flow, raw, rid, t0};
use self::flows::{matching_is_saved_and_read_back, revisions_higher_same_lower};
use self::receipts::receipts_for_matching_and_export;
use self::support::TestDb;

contract!(
    revisions_higher_same_lower,
    matching_is_saved_and_read_back,
    statements_credits_and_cashing,
    anomalies_sync_and_resolve,
    fetch_lease,
    receipts_for_matching_and_export,
);

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
