//! Group commit for SQLite: one writer thread owns a connection and runs the writes queued
//! while it was busy in one transaction, each in its own savepoint, so one `fsync` makes a
//! whole batch durable. A write that fails rolls back to its savepoint and fails alone; a
//! commit that fails fails the whole batch. Nobody is answered before the commit: what a
//! caller is told was written is on disk (`synchronous = FULL`).
//!
//! SQLite has a single writer anyway: queueing the writers here, in arrival order, replaces the
//! busy handler's sleeps (growing to 100 ms) that made the latency tail, and batching turns
//! `fsync`s per write into `fsync`s per batch.

use std::sync::mpsc;

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
}

impl GroupWriter {
    /// Starts the writer thread over a connection taken from `pool` for good.
    pub(crate) fn start(pool: &Pool<ConnectionManager<SqliteConnection>>) -> Result<Self, crate::ConnectError> {
        let conn = pool.get().map_err(crate::ConnectError::Pool)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue))
            .map_err(crate::ConnectError::Writer)?;
        Ok(Self { jobs })
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

fn run(mut conn: PooledConnection<ConnectionManager<SqliteConnection>>, queue: mpsc::Receiver<Job>) {
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
