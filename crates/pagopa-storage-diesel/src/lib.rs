//! Every storage port of `pagopa-domain` on diesel, for embedded SQLite (the default: one file,
//! nothing to install) and PostgreSQL (production: several server instances share it).
//!
//! One [`DieselStore`] implements all the storage ports. Diesel's connections are synchronous,
//! so every call runs on tokio's blocking pool with a pooled connection (see
//! `docs/adr/0002-storage-execution-model.md`). Queries are written once and compiled for both
//! backends; the few differences (write-lock mode, `SKIP LOCKED`) sit behind one trait.
//! Aggregates are stored as JSON documents beside the columns every lookup, search and report
//! uses, and each backend has its own embedded migrations.

mod db;
mod group;
mod repo;

pub use repo::audit::AuditEntry;
mod schema;

use std::path::Path;

use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use pagopa_domain::ports::StorageError;

use crate::db::{DbError, Pools, SqlitePragmas, with_conn};

/// What every SQLite connection is set to: a 4 KiB page for new files (SQLite's default; every
/// index entry placed at random, as a bulk load's debtors are, writes its whole page to the
/// log, and 16 KiB pages wrote 18 GB for a million-row load against 11 GB: `docs/performance.md`;
/// an existing file keeps its page size), the write-ahead log
/// (readers never wait for the writer), `synchronous = FULL` (every commit is on disk before it
/// returns: an acknowledged receipt survives a power cut, not only a crash), foreign keys, a 10 s busy timeout, an 8 MiB page cache per connection (reads go through the
/// memory map; bulk imports raise it on their connection), reads memory-mapped up to 2 GiB
/// (the process's resident size then counts the mapped file pages once per connection: they
/// are the OS page cache, shared, not heap), and a checkpoint every 4000 pages.
pub const SQLITE_PRAGMAS: &str = "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
    PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000; \
    PRAGMA mmap_size = 2147418112;";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The PostgreSQL advisory lock key migrations run under ("pagoPA" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_676f_5041;

/// Which database a store uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL names no supported database.
    #[error("unsupported database URL '{0}': use postgres://… or sqlite://<file>")]
    Url(String),
    /// The SQLite file's folder could not be created.
    #[error("cannot create the folder of the SQLite file")]
    Folder(#[source] std::io::Error),
    /// The database could not be reached.
    #[error("cannot connect to the database")]
    Pool(#[source] r2d2::Error),
    /// The SQLite writer thread could not be started.
    #[error("cannot start the SQLite writer thread")]
    Writer(#[source] std::io::Error),
}

/// All storage ports over one diesel connection pool.
#[derive(Clone, Debug)]
pub struct DieselStore {
    pools: Pools,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// SQLite's group writer (see `group.rs`); `None` on PostgreSQL.
    writer: Option<group::GroupWriter>,
    /// Whether short SQLite reads run on the calling thread (`with_read_conn!`).
    read_inline: bool,
}

impl DieselStore {
    /// Opens a pool of `pool_size` connections to `url`: `postgres://…` (or `postgresql://…`),
    /// or `sqlite://<path>` (the folder is created; `:memory:` is refused, as every pooled
    /// connection would see its own empty database).
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, ConnectError> {
        let pool_size = pool_size.max(1);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = Pool::builder()
                .max_size(pool_size)
                // A broken connection shows on its next query; a test query on every checkout
                // would cost a round trip per call.
                .test_on_check_out(false)
                .build(ConnectionManager::<PgConnection>::new(url))
                .map_err(ConnectError::Pool)?;
            return Ok(Self::over(Pools::Postgres(pool), pool_size, None));
        }
        let path = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| ConnectError::Url(url.to_owned()))?;
        if path.is_empty() || path.contains(":memory:") {
            return Err(ConnectError::Url(url.to_owned()));
        }
        if let Some(folder) = Path::new(path).parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(ConnectError::Folder)?;
        }
        // One more connection than asked: the group writer keeps one for good.
        let pool = Pool::builder()
            .max_size(pool_size + 1)
            .test_on_check_out(false)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(ConnectionManager::<SqliteConnection>::new(path))
            .map_err(ConnectError::Pool)?;
        let writer = group::GroupWriter::start(&pool)?;
        Ok(Self::over(Pools::Sqlite(pool), pool_size, Some(writer)))
    }

    fn over(pools: Pools, permits: u32, writer: Option<group::GroupWriter>) -> Self {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(permits as usize));
        Self {
            pools,
            permits,
            writer,
            read_inline: false,
        }
    }

    /// Runs short SQLite reads on the calling thread instead of the blocking pool (see
    /// ADR 0004). No effect on PostgreSQL.
    pub fn read_inline(mut self, inline: bool) -> Self {
        self.read_inline = inline;
        self
    }

    /// The backend in use.
    pub fn backend(&self) -> BackendKind {
        match self.pools {
            Pools::Sqlite(_) => BackendKind::Sqlite,
            Pools::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Applies the embedded migrations not applied yet; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, StorageError> {
        let pools = self.pools.clone();
        db::blocking(move || {
            let applied = match &pools {
                Pools::Sqlite(pool) => pool.get()?.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
                Pools::Postgres(pool) => {
                    // Instances starting together take turns: the first applies the
                    // migrations, the others find nothing pending. The lock is the session's
                    // and is released below, or by the server if this connection dies.
                    let mut conn = pool.get()?;
                    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(&mut *conn)?;
                    let applied = conn.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
                    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut *conn)?;
                    applied
                }
            };
            applied.map_err(|e| DbError::Corrupt(format!("migration failed: {e}")))
        })
        .await
    }

    /// Whether writes can be made: on SQLite, whether the group writer thread runs (it is
    /// restarted when a write panics; readiness fails until it is back). Always true on
    /// PostgreSQL.
    pub fn writer_running(&self) -> bool {
        self.writer.as_ref().is_none_or(group::GroupWriter::is_running)
    }

    /// Whether the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), StorageError> {
        use diesel::connection::SimpleConnection;
        with_conn!(self, |conn| { Ok(conn.batch_execute("SELECT 1")?) })
    }
}
