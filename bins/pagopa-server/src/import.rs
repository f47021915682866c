//! `pagopa-server import`, and the worker that runs the loads the operator API receives.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use pagopa_domain::ports::Ports;
use pagopa_domain::{EnteId, ImportFormat, ImportRecord, NewImport};
use pagopa_import::runner::{ImportFiles, Progress, Runner};

use crate::Settings;
use crate::settings::ImportSettings;

/// What `pagopa-server import` was asked.
#[derive(Debug, Clone)]
pub struct ImportArgs {
    /// The Ente whose positions the file holds.
    pub ente: String,
    /// The format; from the file's extension when absent.
    pub format: Option<ImportFormat>,
    /// Validate and report only.
    pub check: bool,
    /// Where to write the report; next to the file when absent.
    pub report: Option<PathBuf>,
    /// The file.
    pub file: PathBuf,
}

/// How a load from the command line ended.
#[derive(Debug)]
pub struct Imported {
    /// Its record as it ended.
    pub record: ImportRecord,
    /// Where its report is.
    pub report: PathBuf,
}

/// The format of a file by its extension: `.csv`, `.jsonl`/`.ndjson`, `.json`/`.zip` (GPD).
pub fn format_of(path: &Path) -> Option<ImportFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "csv" => Some(ImportFormat::Csv),
        "jsonl" | "ndjson" => Some(ImportFormat::Jsonl),
        "json" | "zip" => Some(ImportFormat::Gpd),
        _ => None,
    }
}

/// The hex SHA-256 and the size of a file, read once.
pub fn digest(path: &Path) -> std::io::Result<(String, u64)> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Why a command-line load could not start: the file (exit 2) or the setup.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefused {
    /// The file cannot be read at all.
    #[error("{0}")]
    File(String),
}

/// Runs a load from the command line: the configured Enti are applied first (as `serve` does),
/// then the file is read, applied batch by batch and reported. On a terminal a progress line
/// shows rows per second and the estimated time left.
pub async fn import_file(settings: &Settings, args: &ImportArgs) -> anyhow::Result<Imported> {
    let format = match args.format.or_else(|| format_of(&args.file)) {
        Some(format) => format,
        None => {
            return Err(ImportRefused::File(format!(
                "{}: give --format csv|jsonl|gpd (the extension does not tell)",
                args.file.display()
            ))
            .into());
        }
    };
    let ente: EnteId = args
        .ente
        .parse()
        .map_err(|e| crate::Refusal(format!("--ente {}: {e}", args.ente)))?;
    let (sha256, bytes) =
        digest(&args.file).map_err(|e| ImportRefused::File(format!("{}: cannot be read: {e}", args.file.display())))?;
    let configured = settings.configured_entes()?;
    let store = crate::open_store(settings).await?;
    let ports = crate::ports(&store, settings)?;
    if !configured.is_empty() {
        crate::settings::apply_entes(&ports, &configured).await?;
    }
    match ports.entes.get(&ente).await.context("reading the Enti")? {
        Some(found) if found.enabled => {}
        _ => return Err(crate::Refusal(format!("--ente {ente}: no such Ente is served here")).into()),
    }
    let report = args.report.clone().unwrap_or_else(|| {
        let mut name = args.file.as_os_str().to_owned();
        name.push(".report.csv");
        PathBuf::from(name)
    });
    let new = NewImport {
        ente,
        format,
        sha256,
        dry_run: args.check,
        actor: "cli".into(),
        bytes,
    };
    let record = ImportRecord::queued(ports.ids.import_id(), new, ports.clock.now());
    ports
        .imports
        .create_import(&record)
        .await
        .context("recording the load")?;
    let runner = Runner::new(ports, worker_name("cli"));
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut last_shown = Instant::now();
    let mut show = |progress: &Progress| {
        if terminal && last_shown.elapsed().as_millis() >= 200 {
            last_shown = Instant::now();
            eprint!("\r{}", progress_line(progress, started.elapsed().as_secs_f64()));
            let _ = std::io::stderr().flush();
        }
    };
    let record = runner
        .run(record, &args.file, &report, &mut show)
        .await
        .context("the load stopped")?;
    if terminal {
        eprintln!();
    }
    Ok(Imported { record, report })
}

/// `rows 120 000 (45 000 rows/s) · 38% · about 0:04 left`.
fn progress_line(progress: &Progress, seconds: f64) -> String {
    let rate = if seconds > 0.0 {
        progress.rows as f64 / seconds
    } else {
        0.0
    };
    let done = if progress.bytes_total > 0 {
        progress.bytes_read as f64 / progress.bytes_total as f64
    } else {
        1.0
    };
    let left = if done > 0.0 { seconds * (1.0 - done) / done } else { 0.0 };
    let left = left.max(0.0).round() as u64;
    format!(
        "rows {} ({:.0} rows/s), {} rejected · {:.0}% · about {}:{:02} left   ",
        progress.rows,
        rate,
        progress.rejected,
        done * 100.0,
        left / 60,
        left % 60
    )
}

/// `cli-<pid>@<host>` or `api-<pid>@<host>`: who holds a running load.
fn worker_name(kind: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("{kind}-{}@{}", std::process::id(), host.trim())
}

/// The uploads folder and the worker that runs what the API receives, on a thread of its own
/// (a load's parsing and decisions never take the HTTP workers' time). Returns what the API's
/// handlers need.
pub fn spawn_worker(ports: &Ports, settings: &ImportSettings) -> anyhow::Result<pagopa_api::Uploads> {
    // The folder is made at the first upload: an installation that never takes loads never has it.
    let files = ImportFiles::new(&settings.dir);
    let wake = Arc::new(tokio::sync::Notify::new());
    let uploads = pagopa_api::Uploads::new(files.clone(), wake.clone(), settings.max_bytes);
    if settings.enabled {
        let runner =
            Runner::new(ports.clone(), worker_name("api")).with_lease(chrono::Duration::seconds(settings.lease_secs));
        let poll = std::time::Duration::from_secs(settings.poll_secs);
        std::thread::Builder::new()
            .name("imports".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                match runtime {
                    Ok(runtime) => runtime.block_on(pagopa_import::runner::work(runner, files, wake, poll)),
                    Err(e) => tracing::error!(error = %e, "the bulk-load worker cannot start"),
                }
            })
            .context("starting the bulk-load worker")?;
    }
    Ok(uploads)
}
