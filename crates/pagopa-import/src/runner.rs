//! Applying a file: a reader thread turns it into items, this task hands them in batches to the
//! domain's [`Imports`] service, appends the report, and records the progress after each batch.
//! A load resumed after a crash starts after the last recorded row: the batches in flight when
//! it stopped (two at most) are decided again, and since every decision is idempotent, their
//! positions (committed or not) end up as the file says, never half written.

use std::path::{Path, PathBuf};

use chrono::Duration;
use pagopa_domain::ports::Ports;
use pagopa_domain::services::{IMPORT_BATCH, Imports};
use pagopa_domain::{DomainError, ImportItem, ImportRecord, ImportStatus};
use tokio::sync::mpsc;

use crate::report::ReportWriter;
use crate::{BytesRead, FileError};

/// How long a worker holds a running load between two progress records, by default. A load
/// whose worker died is taken over once its lease lapses.
pub const LEASE: Duration = Duration::seconds(30);

/// What a running load did so far, for progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows decided.
    pub rows: u64,
    /// Rows accepted.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Bytes of the file read.
    pub bytes_read: u64,
    /// The file's size.
    pub bytes_total: u64,
}

/// Why a load could not be run at all (its record is marked failed where it can be).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The storage failed; the load can be resumed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The report could not be written; the load can be resumed.
    #[error("the report cannot be written: {0}")]
    Report(#[source] std::io::Error),
}

/// A batch being written, on a task of its own.
type Writing = tokio::task::JoinHandle<Result<Vec<pagopa_domain::ReportLine>, DomainError>>;
/// A progress record being saved.
type Saving = tokio::task::JoinHandle<Result<(), pagopa_domain::ports::StorageError>>;

/// A write or save task that panicked or was cancelled: the load stops and can be resumed.
fn stopped(error: tokio::task::JoinError) -> DomainError {
    DomainError::from(pagopa_domain::ports::StorageError::Unavailable(
        format!("a bulk load's write stopped: {error}").into(),
    ))
}

enum Message {
    Item(Box<ImportItem>),
    End(Result<(), FileError>),
}

/// Runs loads over one set of ports.
#[derive(Clone, Debug)]
pub struct Runner {
    ports: Ports,
    imports: Imports,
    worker: String,
    lease: Duration,
}

impl Runner {
    /// A runner over `ports` that records itself as `worker` in the loads it runs.
    pub fn new(ports: Ports, worker: impl Into<String>) -> Self {
        Self {
            imports: Imports::new(ports.clone()),
            ports,
            worker: worker.into(),
            lease: LEASE,
        }
    }

    /// The same runner holding loads for `lease` between progress records.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The worker name it records.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Runs (or resumes) the load of `record` from `file`, writing its report at `report`.
    /// `progress` is called after each batch. Returns the record as it ended: `done`, or
    /// `failed` with the reason when the file could not be read to its end.
    ///
    /// # Errors
    ///
    /// [`RunError`] when the storage or the report fail: the record stays `running` with the
    /// progress recorded so far, and running the load again resumes it.
    pub async fn run(
        &self,
        mut record: ImportRecord,
        file: &Path,
        report: &Path,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<ImportRecord, RunError> {
        let now = self.ports.clock.now();
        let ente = match self.ports.entes.get(&record.ente).await.map_err(DomainError::from)? {
            Some(ente) if ente.enabled => ente,
            _ => {
                let why = format!("Ente {} is not served", record.ente);
                return self.fail(record, why).await;
            }
        };
        let opened = match std::fs::File::open(file) {
            Ok(opened) => opened,
            Err(e) => {
                let why = format!("the file {} cannot be read: {e}", file.display());
                return self.fail(record, why).await;
            }
        };
        let bytes_total = opened.metadata().map(|m| m.len()).unwrap_or(record.bytes);
        let beneficiaries = self.imports.beneficiaries().await?;
        record.status = ImportStatus::Running;
        record.started_at.get_or_insert(now);
        record.worker = Some(self.worker.clone());
        record.lease_until = Some(now + self.lease);
        self.ports
            .imports
            .save_import(&record)
            .await
            .map_err(DomainError::from)?;
        let mut writer = ReportWriter::open(report, record.report_bytes).map_err(RunError::Report)?;
        record.report_bytes = writer.len();

        let read = BytesRead::default();
        let (sender, mut receiver) = mpsc::channel::<Message>(2 * IMPORT_BATCH);
        let reader = {
            let (format, ente, read) = (record.format, ente.clone(), read.clone());
            std::thread::Builder::new()
                .name(format!("import-{}", record.id))
                .spawn(move || {
                    let mut sink = |item: ImportItem| sender.blocking_send(Message::Item(Box::new(item))).is_ok();
                    let result = crate::read_file(format, opened, &ente, &read, &mut sink);
                    let _ = sender.blocking_send(Message::End(result));
                })
                .map_err(|e| RunError::Report(std::io::Error::other(e)))?
        };

        // Three things overlap: batch N is written (its rows built, then the SQLite writer),
        // batch N+1 is read and decided, and the progress of batch N-1 is recorded. The
        // writer goes from one write to the next without waiting for this task.
        let skip_through = record.checkpoint_row;
        let mut ended = None;
        let mut writing: Option<(Writing, u64)> = None;
        let mut saving: Option<Saving> = None;
        loop {
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            while ended.is_none() && batch.len() < IMPORT_BATCH {
                match receiver.recv().await {
                    Some(Message::Item(item)) if item.last_row() > skip_through => batch.push(*item),
                    Some(Message::Item(_)) => {}
                    Some(Message::End(result)) => ended = Some(result),
                    None => ended = Some(Err(FileError::Format("the file reader stopped unexpectedly".into()))),
                }
            }
            if batch.is_empty() && writing.is_none() {
                break;
            }
            let next = if batch.is_empty() {
                None
            } else {
                let plan = self
                    .imports
                    .plan_batch(&ente, &beneficiaries, batch, record.dry_run)
                    .await?;
                let last_row = plan.last_row();
                let imports = self.imports.clone();
                Some((tokio::spawn(async move { imports.write_batch(plan).await }), last_row))
            };
            if let Some((task, last_row)) = writing.take() {
                let lines = task.await.map_err(stopped)??;
                let accepted = lines.iter().filter(|l| l.outcome.is_accepted()).count() as u64;
                record.report_bytes = writer.append(&lines).map_err(RunError::Report)?;
                record.rows_read += lines.len() as u64;
                record.accepted += accepted;
                record.rejected += lines.len() as u64 - accepted;
                record.checkpoint_row = record.checkpoint_row.max(last_row);
                record.lease_until = Some(self.ports.clock.now() + self.lease);
                if let Some(previous) = saving.take() {
                    previous.await.map_err(stopped)?.map_err(DomainError::from)?;
                }
                let (imports, snapshot) = (self.ports.imports.clone(), record.clone());
                saving = Some(tokio::spawn(async move { imports.save_import(&snapshot).await }));
                progress(&Progress {
                    rows: record.rows_read,
                    accepted: record.accepted,
                    rejected: record.rejected,
                    bytes_read: read.get(),
                    bytes_total,
                });
            }
            writing = next;
        }
        if let Some(previous) = saving.take() {
            previous.await.map_err(stopped)?.map_err(DomainError::from)?;
        }
        drop(receiver);
        let _ = reader.join();
        match ended {
            Some(Err(error)) => self.finish(record, Some(error.to_string())).await,
            _ => self.finish(record, None).await,
        }
    }

    async fn fail(&self, record: ImportRecord, why: String) -> Result<ImportRecord, RunError> {
        self.finish(record, Some(why)).await
    }

    /// Ends the load: `done`, or `failed` with the reason; its worker and lease released.
    async fn finish(&self, mut record: ImportRecord, failure: Option<String>) -> Result<ImportRecord, RunError> {
        record.status = match failure {
            Some(why) => {
                record.error = Some(why);
                ImportStatus::Failed
            }
            None => ImportStatus::Done,
        };
        record.finished_at = Some(self.ports.clock.now());
        record.worker = None;
        record.lease_until = None;
        self.ports
            .imports
            .save_import(&record)
            .await
            .map_err(DomainError::from)?;
        Ok(record)
    }
}

/// Where the API keeps a load's file and report: `{dir}/{id}.upload` and `{dir}/{id}.report.csv`.
#[derive(Clone, Debug)]
pub struct ImportFiles {
    dir: PathBuf,
}

impl ImportFiles {
    /// Files under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The uploaded file of a load.
    pub fn upload(&self, id: &pagopa_domain::ImportId) -> PathBuf {
        self.dir.join(format!("{id}.upload"))
    }

    /// The report of a load.
    pub fn report(&self, id: &pagopa_domain::ImportId) -> PathBuf {
        self.dir.join(format!("{id}.report.csv"))
    }
}

/// Runs the API's loads: every unfinished load whose file is here, oldest first, then waits to
/// be woken (a new upload) or for `poll`, for ever. Loads another instance holds are left to it;
/// one whose holder stopped renewing its lease is taken over and resumed.
pub async fn work(
    runner: Runner,
    files: ImportFiles,
    wake: std::sync::Arc<tokio::sync::Notify>,
    poll: std::time::Duration,
) {
    loop {
        match runner.ports.imports.unfinished_imports().await {
            Ok(list) => {
                for record in list {
                    let upload = files.upload(&record.id);
                    if !upload.exists() {
                        continue;
                    }
                    let now = runner.ports.clock.now();
                    let claimed = runner
                        .ports
                        .imports
                        .claim_import(&record.id, &runner.worker, now, now + runner.lease)
                        .await;
                    let Ok(Some(claimed)) = claimed else { continue };
                    let id = claimed.id.clone();
                    tracing::info!(import = %id, ente = %claimed.ente, "bulk load started");
                    match runner.run(claimed, &upload, &files.report(&id), &mut |_| {}).await {
                        Ok(done) => tracing::info!(
                            import = %id,
                            status = done.status.as_str(),
                            rows = done.rows_read,
                            accepted = done.accepted,
                            rejected = done.rejected,
                            "bulk load ended"
                        ),
                        Err(e) => tracing::warn!(import = %id, error = %e, "bulk load interrupted; it will be resumed"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the bulk loads to run"),
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}
