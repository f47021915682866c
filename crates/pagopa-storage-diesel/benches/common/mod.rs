//! Data and databases shared by the benchmarks: the same valid debtors and positions, on a
//! fresh SQLite file or PostgreSQL database.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use diesel::{Connection, RunQueryDsl};
use pagopa_domain::ports::PositionRepository;
use pagopa_domain::{DebtPosition, FiscalCode, Subject, SubjectId, demo};
use pagopa_storage_diesel::DieselStore;

pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The valid fiscal code of debtor `i`, the same sequence as `shared/bench` generates.
pub fn fiscal_code(i: u64) -> FiscalCode {
    let mut letters = [b'A'; 6];
    let mut rest = i;
    for slot in letters.iter_mut().rev() {
        *slot = b'A' + (rest % 26) as u8;
        rest /= 26;
    }
    let months = b"ABCDEHLMPRST";
    let body = format!(
        "{}{:02}{}{:02}{}{:03}",
        String::from_utf8_lossy(&letters),
        i % 100,
        char::from(months[(i / 100 % 12) as usize]),
        1 + i / 7 % 28,
        char::from(b'A' + (i / 3 % 26) as u8),
        i % 1000
    );
    let odd = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
    ];
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(k, c)| {
            let value = if c.is_ascii_digit() { c - b'0' } else { c - b'A' } as usize;
            if k % 2 == 0 { odd[value] } else { value as u32 }
        })
        .sum();
    format!("{body}{}", char::from(b'A' + (sum % 26) as u8))
        .parse()
        .unwrap()
}

/// Position `id` (from 1) of debtor `id / per_debtor`: one option, one transfer.
pub fn position(id: u64, per_debtor: u64) -> DebtPosition {
    let ente = demo::comune();
    let debtor = fiscal_code((id - 1) / per_debtor);
    let amount = 1_000 + id * 7_919 % 250_000;
    let due = format!("2026-{:02}-{:02}", 1 + id % 12, 1 + id % 28);
    let option = demo::simple_option(id, amount, "TARI 2026", &due);
    let draft = demo::draft(
        &format!("B-{id}"),
        Subject::new(SubjectId::FiscalCode(debtor), "Debitore di prova".parse().unwrap()),
        "TARI 2026",
        vec![option],
    );
    let at = Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap();
    DebtPosition::create(&ente.id, ente.notice_layout, draft, at).unwrap()
}

pub struct Database {
    pub store: DieselStore,
    url: String,
    cleanup: Option<(String, String)>,
    folder: Option<std::path::PathBuf>,
}

impl Database {
    /// The URL the store was opened with.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The SQLite file path (the URL without `sqlite://`).
    pub fn path(&self) -> String {
        self.url.trim_start_matches("sqlite://").to_owned()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.cleanup
            && let Ok(mut admin) = diesel::PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

pub async fn open(pool: u32) -> Database {
    let name = format!("pagopa_bench_{}", std::process::id());
    if env("BENCH_DB", String::from("sqlite")) == "postgres" {
        let server = std::env::var("PAGOPA_TEST_DATABASE_URL").expect("PAGOPA_TEST_DATABASE_URL for BENCH_DB=postgres");
        let mut admin = diesel::PgConnection::establish(&server).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
        let store = DieselStore::connect(&url, pool).unwrap();
        store.migrate().await.unwrap();
        return Database {
            store,
            url,
            cleanup: Some((server, name)),
            folder: None,
        };
    }
    let folder = std::env::temp_dir().join(&name);
    let url = format!("sqlite://{}", folder.join("bench.db").display());
    let store = DieselStore::connect(&url, pool).unwrap();
    store.migrate().await.unwrap();
    Database {
        store,
        url,
        cleanup: None,
        folder: Some(folder),
    }
}

/// Inserts `count` positions in `insert_batch` calls of `batch`; returns the seconds spent in
/// the port (building the positions is timed apart).
pub async fn load(store: &DieselStore, count: u64, per_debtor: u64, batch: u64) -> (f64, f64) {
    let (mut inserting, mut building) = (Duration::ZERO, Duration::ZERO);
    let mut next = 1;
    while next <= count {
        let end = (next + batch).min(count + 1);
        let started = Instant::now();
        let positions: Vec<DebtPosition> = (next..end).map(|id| position(id, per_debtor)).collect();
        building += started.elapsed();
        let started = Instant::now();
        store.insert_batch(&positions).await.unwrap();
        inserting += started.elapsed();
        next = end;
    }
    (inserting.as_secs_f64(), building.as_secs_f64())
}

/// One lookup of a debtor's positions; answers how many positions it found.
pub type Lookup = Arc<dyn Fn(FiscalCode) -> Pin<Box<dyn Future<Output = usize> + Send>> + Send + Sync>;

/// Throughput and latency of a run of lookups.
pub struct Measured {
    pub per_second: f64,
    pub total: u64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Runs `BENCH_CONCURRENCY` callers doing `lookup` on random debtors for `BENCH_SECONDS`,
/// each checking that five positions came back.
pub async fn measure(lookup: Lookup, codes: Arc<Vec<FiscalCode>>) -> Measured {
    let seconds: u64 = env("BENCH_SECONDS", 10);
    let concurrency: u64 = env("BENCH_CONCURRENCY", 16);
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (lookup, codes, done, count) = (lookup.clone(), codes.clone(), done.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            // xorshift: a fixed, cheap sequence of random debtors per caller.
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (worker + 1);
            let mut latencies = Vec::new();
            while !AtomicBool::load(&done, Ordering::Relaxed) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let code = codes[(state % codes.len() as u64) as usize].clone();
                let started = Instant::now();
                assert_eq!(lookup(code).await, 5);
                latencies.push(started.elapsed());
                count.fetch_add(1, Ordering::Relaxed);
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    done.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    latencies.sort();
    let total = AtomicU64::load(&count, Ordering::Relaxed);
    Measured {
        per_second: total as f64 / seconds as f64,
        total,
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
    }
}
