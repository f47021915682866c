//! Connections, pools, errors and the two backends' few differences.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::result::DatabaseErrorKind;
use diesel::sqlite::SqliteConnection;
use pagopa_domain::ports::StorageError;

/// The connection pool of one backend.
#[derive(Clone, Debug)]
pub(crate) enum Pools {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

/// Everything that can go wrong below the port boundary.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error(transparent)]
    Diesel(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] r2d2::Error),
    #[error(transparent)]
    Port(#[from] StorageError),
    #[error("stored data cannot be read back: {0}")]
    Corrupt(String),
}

impl From<DbError> for StorageError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Port(port) => port,
            DbError::Diesel(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                StorageError::Duplicate(info.message().to_owned())
            }
            DbError::Diesel(diesel::result::Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info)) => {
                StorageError::Conflict(info.message().to_owned())
            }
            other => StorageError::Unavailable(Box::new(other)),
        }
    }
}

/// Runs `work` on tokio's blocking pool: diesel's connections are synchronous, and the async
/// workers must never wait on a database.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, DbError> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(StorageError::from),
        Err(join) => Err(StorageError::Unavailable(Box::new(join))),
    }
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend the store uses.
/// The body is compiled once per backend, so it may use any diesel DSL both backends support;
/// what differs goes through [`Backend`]. Captured values must be owned (`move`).
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:block) => {{
        let pools = $store.pools.clone();
        // Wait here, asynchronously, for a connection's worth of room: no more blocking threads
        // run than there are connections, so none of them sleeps on the pool.
        let _permit = $store.permits.acquire().await;
        $crate::db::blocking(move || match &pools {
            $crate::db::Pools::Sqlite(pool) => {
                let mut guard = pool.get()?;
                let $conn: &mut diesel::sqlite::SqliteConnection = &mut guard;
                $body
            }
            $crate::db::Pools::Postgres(pool) => {
                let mut guard = pool.get()?;
                let $conn: &mut diesel::pg::PgConnection = &mut guard;
                $body
            }
        })
        .await
    }};
}
pub(crate) use with_conn;

/// [`with_conn!`] for a short read. On SQLite, when the store reads inline
/// (`DieselStore::read_inline`), the body runs on the calling thread: a WAL reader never waits
/// for a writer, and a warm indexed read costs less than the two thread switches of the
/// blocking pool. Otherwise, and always on PostgreSQL (a network round trip), as `with_conn!`.
macro_rules! with_read_conn {
    ($store:expr, |$conn:ident| $body:block) => {{
        match (&$store.pools, $store.read_inline) {
            ($crate::db::Pools::Sqlite(pool), true) => {
                let _permit = $store.permits.acquire().await;
                let run = || -> Result<_, $crate::db::DbError> {
                    let mut guard = pool.get()?;
                    let $conn: &mut diesel::sqlite::SqliteConnection = &mut guard;
                    $body
                };
                run().map_err(pagopa_domain::ports::StorageError::from)
            }
            _ => $crate::db::with_conn!($store, |$conn| $body),
        }
    }};
}
pub(crate) use with_read_conn;

/// [`with_conn!`] for a body that writes. On SQLite the body goes to the group writer
/// (`group.rs`): writers queue in arrival order and share commits. PostgreSQL writers run
/// concurrently on pooled connections under their row locks.
macro_rules! with_write_conn {
    ($store:expr, |$conn:ident| $body:block) => {{
        match (&$store.pools, &$store.writer) {
            ($crate::db::Pools::Sqlite(_), Some(writer)) => {
                writer
                    .write(move |$conn: &mut diesel::sqlite::SqliteConnection| $body)
                    .await
            }
            _ => $crate::db::with_conn!($store, |$conn| $body),
        }
    }};
}
pub(crate) use with_write_conn;

/// What differs between the backends.
pub(crate) trait Backend: Connection + Sized {
    /// A transaction for writing. SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// two writers never deadlock upgrading a read lock; PostgreSQL uses row locks.
    fn write<T, F>(&mut self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Self) -> Result<T, DbError>;

    /// `FOR UPDATE SKIP LOCKED` where the backend has it. SQLite serialises writers, so a
    /// claim inside a write transaction already excludes every other claimer.
    const SKIP_LOCKED: &'static str;
}

impl Backend for SqliteConnection {
    fn write<T, F>(&mut self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Self) -> Result<T, DbError>,
    {
        use diesel::connection::TransactionManager;
        let nested = <Self as Connection>::TransactionManager::transaction_manager_status_mut(self)
            .transaction_depth()?
            .is_some();
        if nested {
            // Inside the group writer's batch transaction: a savepoint.
            self.transaction(work)
        } else {
            self.immediate_transaction(work)
        }
    }

    const SKIP_LOCKED: &'static str = "";
}

impl Backend for PgConnection {
    fn write<T, F>(&mut self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Self) -> Result<T, DbError>,
    {
        self.transaction(work)
    }

    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
}

/// Sets every SQLite connection up: write-ahead log, foreign keys, a busy timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(crate::SQLITE_PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Microseconds since the epoch: how instants are stored.
pub(crate) fn to_us(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The instant stored as microseconds since the epoch.
pub(crate) fn from_us(us: i64) -> Result<DateTime<Utc>, DbError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| DbError::Corrupt(format!("instant {us}")))
}

/// ISO form of a date, as stored.
pub(crate) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// An aggregate as its JSON document.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// An aggregate back from its JSON document. Parsing goes through the domain's value types, so
/// a document edited by hand into something invalid is refused, not half-loaded.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(document: &str) -> Result<T, DbError> {
    serde_json::from_str(document).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// A number stored as i64 from a domain u64 (amounts, versions, bases all fit).
pub(crate) fn to_i64(value: u64) -> Result<i64, DbError> {
    i64::try_from(value).map_err(|_| DbError::Corrupt(format!("{value} does not fit a 64-bit column")))
}

/// A stored i64 back as the domain's u64.
pub(crate) fn to_u64(value: i64) -> Result<u64, DbError> {
    u64::try_from(value).map_err(|_| DbError::Corrupt(format!("negative value {value}")))
}

/// Implements a trait for both connection types with one body, compiled once per backend.
macro_rules! impl_for_both {
    ($trait:path { $($items:tt)* }) => {
        impl $trait for diesel::sqlite::SqliteConnection {
            $($items)*
        }
        impl $trait for diesel::pg::PgConnection {
            $($items)*
        }
    };
}
pub(crate) use impl_for_both;

/// A row of raw SQL that selects a version and a document.
#[derive(diesel::QueryableByName, Debug)]
pub(crate) struct VersionedDocument {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) version: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) document: String,
}

/// A WHERE clause built from optional filters, with `$n` placeholders numbered in order of
/// appearance (which both SQLite and PostgreSQL bind positionally) and text binds.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub(crate) sql: String,
    pub(crate) binds: Vec<String>,
}

impl Filters {
    /// Adds a bind and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<String>) -> String {
        self.binds.push(value.into());
        format!("${}", self.binds.len())
    }

    /// Adds ` AND <condition>`, where `condition` already holds its placeholders.
    pub(crate) fn and(&mut self, condition: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
    }
}
