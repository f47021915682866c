//! Group commit for SQLite: one writer thread owns a connection and runs the writes queued
//! while it was busy in one transaction, each in its own savepoint, so one `fsync` makes a
//! whole batch durable. A write that fails rolls back to its savepoint and fails alone; a
//! commit that fails fails the whole batch. Nobody is answered before the commit: what a
//! caller is told was written is on disk (`synchronous = FULL`).
//!
//! SQLite has a single writer anyway: queueing the writers here, in arrival order, replaces the
//! busy handler's sleeps (growing to 100 ms) that made the latency tail, and batching turns
//! `fsync`s per write into `fsync`s per batch.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use diesel::Connection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use pagopa_domain::ports::StorageError;

use crate::db::DbError;

/// Writes taken into one transaction at most.
const MAX_BATCH: usize = 128;

/// Tells the caller how its write ended, once the batch's commit is known.
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
/// A queued write: runs on the writer's connection and returns its completion.
type Job = Box<dyn FnOnce(&mut SqliteConnection) -> Completion + Send>;

/// The queue to the writer thread. Cloning shares the thread; it ends when the last clone is
/// dropped.
#[derive(Clone, Debug)]
pub(crate) struct GroupWriter {
    jobs: mpsc::Sender<Job>,
    running: Arc<AtomicBool>,
}

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

impl GroupWriter {
    /// Starts the writer thread over a connection taken from `pool`. The thread supervises
    /// itself: a write that panics fails its batch (its callers get an error, nothing is
    /// half-committed: the transaction is rolled back with the connection, which is dropped),
    /// and the writer starts again on a fresh connection.
    pub(crate) fn start(pool: &SqlitePool) -> Result<Self, crate::ConnectError> {
        let conn = pool.get().map_err(crate::ConnectError::Pool)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let running = Arc::new(AtomicBool::new(true));
        let (pool, flag) = (pool.clone(), running.clone());
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || supervise(conn, &pool, &queue, &flag))
            .map_err(crate::ConnectError::Writer)?;
        Ok(Self { jobs, running })
    }

    /// Whether the writer thread is running (false while it restarts).
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Runs `work` on the writer's connection, inside the batch transaction, and waits for the
    /// commit.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, DbError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T, StorageError>>();
        let job: Job = Box::new(move |conn: &mut SqliteConnection| {
            // A savepoint of its own: a failing write is undone alone.
            let result = conn.transaction::<T, DbError, _>(work);
            Box::new(move |commit_error: Option<&str>| {
                let answer = match (result, commit_error) {
                    (Ok(value), None) => Ok(value),
                    (Ok(_), Some(e)) => Err(StorageError::Unavailable(format!("commit failed: {e}").into())),
                    (Err(e), _) => Err(StorageError::from(e)),
                };
                let _ = tx.send(answer);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StorageError::Unavailable("the SQLite writer has stopped".into()))?;
        rx.await
            .map_err(|_| StorageError::Unavailable("the SQLite writer dropped a write".into()))?
    }
}

/// Runs the writer, and again after a panic, until every sender is gone.
fn supervise(
    first: PooledConnection<ConnectionManager<SqliteConnection>>,
    pool: &SqlitePool,
    queue: &mpsc::Receiver<Job>,
    running: &AtomicBool,
) {
    let mut conn = Some(first);
    loop {
        let Some(current) = conn.take().or_else(|| pool.get().ok()) else {
            running.store(false, Ordering::Release);
            tracing::error!("the SQLite writer cannot get a connection; retrying in 1 s");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        };
        running.store(true, Ordering::Release);
        // The connection moves into the run: if it unwinds, r2d2 sees a panicking thread and
        // discards the connection (with its open transaction) instead of pooling it.
        match catch_unwind(AssertUnwindSafe(|| run(current, queue))) {
            Ok(()) => return,
            Err(_) => {
                running.store(false, Ordering::Release);
                tracing::error!("a SQLite write panicked: its batch failed; the writer restarts");
            }
        }
    }
}

fn run(mut conn: PooledConnection<ConnectionManager<SqliteConnection>>, queue: &mpsc::Receiver<Job>) {
    let conn: &mut SqliteConnection = &mut conn;
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut completions: Vec<Completion> = Vec::with_capacity(MAX_BATCH);
    // Wait for a first write, then take what else is already queued.
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // One transaction for the batch; each write nests as a savepoint.
        let committed = conn.immediate_transaction::<(), DbError, _>(|c| {
            for job in batch.drain(..) {
                completions.push(job(c));
            }
            Ok(())
        });
        // A BEGIN that failed ran nothing: dropping the jobs answers their callers with an error.
        batch.clear();
        let error = committed.err().map(|e| e.to_string());
        if let Some(error) = &error {
            tracing::error!(%error, writes = completions.len(), "SQLite batch commit failed");
        }
        for completion in completions.drain(..) {
            completion(error.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use diesel::RunQueryDsl;

    use super::*;

    #[tokio::test]
    async fn a_panicking_write_fails_alone_and_the_writer_comes_back() {
        let file = std::env::temp_dir().join(format!("pagopa-group-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let pool = Pool::builder()
            .max_size(3)
            .build(ConnectionManager::<SqliteConnection>::new(file.display().to_string()))
            .unwrap();
        let writer = GroupWriter::start(&pool).unwrap();
        writer
            .write(|c| Ok(diesel::sql_query("CREATE TABLE t (v INTEGER)").execute(c)?))
            .await
            .unwrap();
        let panicked = writer
            .write(|c| -> Result<usize, DbError> {
                diesel::sql_query("INSERT INTO t VALUES (1)").execute(c)?;
                panic!("a bug in a write job");
            })
            .await;
        assert!(panicked.is_err(), "the caller of the panicking write gets an error");
        let written = writer
            .write(|c| Ok(diesel::sql_query("INSERT INTO t VALUES (2)").execute(c)?))
            .await;
        assert_eq!(written.unwrap(), 1, "the writer restarted");
        assert!(writer.is_running());
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = pool.get().unwrap();
        let count: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM t WHERE v = 1")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(count.n, 0, "the panicking write left nothing behind");
        let _ = std::fs::remove_file(file);
    }
}
