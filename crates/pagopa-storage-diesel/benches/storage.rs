//! Storage throughput on this machine: bulk insert of single-option positions, and a debtor's
//! positions looked up by fiscal code through the port.
//!
//! ```sh
//! cargo bench -p pagopa-storage-diesel --bench storage                    # everything, SQLite
//! BENCH_DB=postgres PAGOPA_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p pagopa-storage-diesel --bench storage
//! ```
//! Settings (environment): `BENCH` = `bulk` | `lookup` | `all` (default); `BENCH_DB` = `sqlite`
//! (default) | `postgres`; `BENCH_POSITIONS` (1 000 000); `BENCH_DEBTORS` (100 000, five
//! positions each); `BENCH_BATCH` (10 000 positions per `insert_batch`); `BENCH_SECONDS` (10);
//! `BENCH_CONCURRENCY` (16); `BENCH_POOL` (8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;

use common::{Lookup, env, fiscal_code, load, measure, open};
use pagopa_domain::FiscalCode;
use pagopa_domain::ports::PositionRepository;

async fn bulk() {
    let count: u64 = env("BENCH_POSITIONS", 1_000_000);
    let db = open(env("BENCH_POOL", 8)).await;
    let batch: u64 = env("BENCH_BATCH", 10_000);
    let (inserting, building) = load(&db.store, count, 1, batch).await;
    println!(
        "bulk insert [{:?}]: {count} positions in {inserting:.2} s = {:.0} positions/s through insert_batch \
         (batches of {batch}; building them took another {building:.2} s)",
        db.store.backend(),
        count as f64 / inserting
    );
}

async fn lookup() {
    let debtors: u64 = env("BENCH_DEBTORS", 100_000);
    let db = open(env("BENCH_POOL", 8)).await;
    load(&db.store, debtors * 5, 5, 10_000).await;
    let codes: Arc<Vec<FiscalCode>> = Arc::new((0..debtors).map(fiscal_code).collect());
    let store = Arc::new(db.store.clone());
    let lookup: Lookup = Arc::new(move |code| {
        let store = store.clone();
        Box::pin(async move { store.list_by_debtor(&code).await.unwrap().len() })
    });
    let measured = measure(lookup, codes).await;
    println!(
        "debtor lookup [{:?}]: {} lookups in {} s = {:.0} lookups/s ({debtors} debtors, 5 positions each, \
         {} concurrent callers, pool {}), p99 {:.2} ms",
        db.store.backend(),
        measured.total,
        env("BENCH_SECONDS", 10u64),
        measured.per_second,
        env("BENCH_CONCURRENCY", 16u64),
        env("BENCH_POOL", 8),
        measured.p99.as_secs_f64() * 1000.0
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let which: String = env("BENCH", String::from("all"));
    runtime.block_on(async {
        if which == "bulk" || which == "all" {
            bulk().await;
        }
        if which == "lookup" || which == "all" {
            lookup().await;
        }
    });
}
