//! The storage execution model, measured: a debtor's positions by fiscal code (the read path of
//! the citizen API) through (a) sync diesel on tokio's blocking pool with an r2d2 pool, which is
//! what `DieselStore` does, and (b) diesel-async with a deadpool pool (`AsyncPgConnection`, or
//! `SyncConnectionWrapper<SqliteConnection>` for SQLite). Same data, same query, same JSON
//! decoding, same concurrency; one after the other in one run.
//!
//! ```sh
//! cargo bench -p pagopa-storage-diesel --bench execution_model
//! BENCH_DB=postgres PAGOPA_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p pagopa-storage-diesel --bench execution_model
//! ```
//! Settings as in the `storage` bench: `BENCH_DEBTORS`, `BENCH_SECONDS`, `BENCH_CONCURRENCY`,
//! `BENCH_POOL`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;

use common::{Lookup, env, fiscal_code, load, measure, open};
use diesel::{ExpressionMethods, QueryDsl, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl as _, SimpleAsyncConnection};
use pagopa_domain::ports::PositionRepository;
use pagopa_domain::{DebtPosition, FiscalCode};
use pagopa_storage_diesel::BackendKind;

diesel::table! {
    positions (ente, iupd) {
        ente -> Text,
        iupd -> Text,
        debtor -> Nullable<Text>,
        version -> BigInt,
        document -> Text,
    }
}

fn decode(rows: Vec<(i64, String)>) -> usize {
    rows.iter()
        .map(|(version, document)| {
            let mut position: DebtPosition = serde_json::from_str(document).unwrap();
            position.version = *version as u64;
            position
        })
        .count()
}

async fn report(name: &str, lookup: Lookup, codes: Arc<Vec<FiscalCode>>) {
    let measured = measure(lookup, codes).await;
    println!(
        "{name}: {:.0} lookups/s, p50 {:.2} ms, p99 {:.2} ms ({} concurrent callers, pool {})",
        measured.per_second,
        measured.p50.as_secs_f64() * 1000.0,
        measured.p99.as_secs_f64() * 1000.0,
        env("BENCH_CONCURRENCY", 16u64),
        env("BENCH_POOL", 8),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let debtors: u64 = env("BENCH_DEBTORS", 100_000);
        let pool_size: u32 = env("BENCH_POOL", 8);
        let db = open(pool_size).await;
        load(&db.store, debtors * 5, 5, 10_000).await;
        let codes: Arc<Vec<FiscalCode>> = Arc::new((0..debtors).map(fiscal_code).collect());
        let backend = db.store.backend();

        let store = Arc::new(db.store.clone());
        let sync: Lookup = Arc::new(move |code| {
            let store = store.clone();
            Box::pin(async move { store.list_by_debtor(&code).await.unwrap().len() })
        });
        report(
            &format!("sync diesel on the blocking pool [{backend:?}]"),
            sync,
            codes.clone(),
        )
        .await;

        let query = |code: &FiscalCode| {
            positions::table
                .filter(positions::debtor.eq(code.as_str().to_owned()))
                .order((positions::ente, positions::iupd))
                .select((positions::version, positions::document))
        };
        let asynchronous: Lookup = match backend {
            BackendKind::Postgres => {
                let mut config = ManagerConfig::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(db.url(), config);
                let pool = Pool::builder(manager).max_size(pool_size as usize).build().unwrap();
                Arc::new(move |code| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        let mut conn = pool.get().await.unwrap();
                        decode(query(&code).load::<(i64, String)>(&mut conn).await.unwrap())
                    })
                })
            }
            BackendKind::Sqlite => {
                // The same pragmas as DieselStore's connections, so the comparison is fair.
                let mut config = ManagerConfig::<SyncConnectionWrapper<SqliteConnection>>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(|path| {
                    let path = path.to_owned();
                    Box::pin(async move {
                        let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(&path).await?;
                        conn.batch_execute(pagopa_storage_diesel::SQLITE_PRAGMAS)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager = AsyncDieselConnectionManager::<SyncConnectionWrapper<SqliteConnection>>::new_with_config(
                    db.path(),
                    config,
                );
                let pool = Pool::builder(manager).max_size(pool_size as usize).build().unwrap();
                Arc::new(move |code| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        let mut conn = pool.get().await.unwrap();
                        decode(query(&code).load::<(i64, String)>(&mut conn).await.unwrap())
                    })
                })
            }
        };
        report(
            &format!("diesel-async with deadpool [{backend:?}]"),
            asynchronous,
            codes,
        )
        .await;
    });
}
