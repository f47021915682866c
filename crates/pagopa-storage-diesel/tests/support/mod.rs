//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on the server named by
//! `PAGOPA_TEST_DATABASE_URL`, per test; and the domain's ports over a store.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::{Connection, RunQueryDsl};
use pagopa_domain::memory::{FakeCheckout, FakeGestionale, ManualClock, MemoryWorld, SequentialIds};
use pagopa_domain::ports::{Clock as _, Ports};
use pagopa_domain::services::{Services, StationIds};
use pagopa_domain::{EnteId, NoticeNumber, demo};
use pagopa_storage_diesel::DieselStore;

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    pub store: DieselStore,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    Database { server: String, name: String },
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let folder = std::env::temp_dir().join(unique("pagopa_test"));
        let url = format!("sqlite://{}", folder.join("pagopa.db").display());
        let store = DieselStore::connect(&url, 8).expect("open SQLite").read_inline(true);
        store.migrate().await.expect("migrate SQLite");
        Self {
            store,
            url,
            cleanup: Cleanup::Folder(folder),
        }
    }

    /// A fresh database, or `None` (with a printed notice) when no server is configured.
    /// With `PAGOPA_REQUIRE_EXTERNAL=1` a missing server is a failure instead.
    pub async fn postgres() -> Option<Self> {
        let Ok(server) = std::env::var("PAGOPA_TEST_DATABASE_URL") else {
            if std::env::var("PAGOPA_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1") {
                panic!("PAGOPA_TEST_DATABASE_URL is not set but PAGOPA_REQUIRE_EXTERNAL=1");
            }
            eprintln!("notice: PAGOPA_TEST_DATABASE_URL is not set, skipping the PostgreSQL half of this test");
            return None;
        };
        let name = unique("pagopa_test");
        let mut admin = diesel::PgConnection::establish(&server).expect("connect to the PostgreSQL test server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create a test database");
        let url = with_database(&server, &name);
        let store = DieselStore::connect(&url, 8).expect("open PostgreSQL");
        store.migrate().await.expect("migrate PostgreSQL");
        Some(Self {
            store,
            url,
            cleanup: Cleanup::Database { server, name },
        })
    }
}

/// The server URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Database { server, name } => {
                if let Ok(mut admin) = diesel::PgConnection::establish(server) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
                }
            }
        }
    }
}

/// The domain's ports with this store for storage and in-memory fakes for the rest.
pub fn ports(store: &DieselStore, world: &MemoryWorld) -> Ports {
    Ports::with_storage(
        Arc::new(store.clone()),
        world.gestionale.clone(),
        world.checkout.clone(),
        world.clock.clone(),
        Arc::new(SequentialIds::default()),
    )
}

// Keep the fakes' types nameable from the tests.
pub type Gestionale = FakeGestionale;
pub type Checkout = FakeCheckout;
pub type Clock = ManualClock;

/// Generates each contract test twice: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::support::TestDb::sqlite().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::postgres().await else { return };
                    super::$name(&db).await;
                }
            )*
        }
    };
}

pub struct Fixture {
    pub world: MemoryWorld,
    pub ports: Ports,
    pub services: Services,
}

pub async fn seeded(db: &TestDb) -> Fixture {
    let world = MemoryWorld::new();
    let ports = ports(&db.store, &world);
    demo::seed(&ports, world.clock.now()).await.unwrap();
    let services = Services::new(ports.clone());
    Fixture { world, ports, services }
}

pub fn comune() -> EnteId {
    demo::COMUNE.parse().unwrap()
}

pub fn station() -> StationIds {
    StationIds {
        ente: comune(),
        broker: demo::BROKER.into(),
        station: demo::STATION.into(),
    }
}

pub fn n1() -> NoticeNumber {
    demo::comune_notice(2_601_000_004_711)
}
