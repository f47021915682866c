//! Bulk loads: upload a file (202, run in the background), follow it, read its report while
//! it runs. The same file sent again finds the first load.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::{DomainError, ImportFormat, ImportId, ImportRecord, ImportStatus, NewImport};
use pagopa_import::runner::ImportFiles;
use sha2::Digest;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::ente_in_scope;
use crate::ApiState;
use crate::auth::Operator;
use crate::documents::zip::ChunkBody;
use crate::openapi::Problem;
use crate::problem::ApiError;

/// Where uploads go and how the worker is woken; the binary makes it (`[imports]`).
#[derive(Clone, Debug)]
pub struct Uploads {
    files: ImportFiles,
    wake: Arc<tokio::sync::Notify>,
    max_bytes: u64,
}

impl Uploads {
    /// Uploads kept in `files`, at most `max_bytes` each; `wake` tells the worker one came.
    pub fn new(files: ImportFiles, wake: Arc<tokio::sync::Notify>, max_bytes: u64) -> Self {
        Self { files, wake, max_bytes }
    }
}

/// `?dry_run=true` validates and reports without writing; `?format=` overrides the body's type.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadQuery {
    #[serde(default)]
    dry_run: bool,
    format: Option<String>,
}

/// A load as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ImportDto {
    /// Its id.
    id: String,
    /// The Ente.
    ente: String,
    /// `csv`, `jsonl` or `gpd`.
    format: String,
    /// `queued`, `running`, `done` or `failed`.
    status: String,
    /// Validated and reported only.
    dry_run: bool,
    /// Hex SHA-256 of the file.
    sha256: String,
    /// The file's size.
    bytes: u64,
    /// Rows read and decided so far.
    rows_read: u64,
    /// Rows accepted.
    accepted: u64,
    /// Rows rejected.
    rejected: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// When it was received (RFC 3339).
    created_at: String,
    /// When it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<String>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    /// The report's URL.
    report: String,
}

fn dto(record: &ImportRecord) -> ImportDto {
    ImportDto {
        id: record.id.to_string(),
        ente: record.ente.to_string(),
        format: record.format.as_str().into(),
        status: record.status.as_str().into(),
        dry_run: record.dry_run,
        sha256: record.sha256.clone(),
        bytes: record.bytes,
        rows_read: record.rows_read,
        accepted: record.accepted,
        rejected: record.rejected,
        error: record.error.clone(),
        created_at: record.created_at.to_rfc3339(),
        started_at: record.started_at.map(|t| t.to_rfc3339()),
        finished_at: record.finished_at.map(|t| t.to_rfc3339()),
        report: format!("{}/report", location(&record.id)),
    }
}

fn location(id: &ImportId) -> String {
    format!("/api/v1/admin/imports/{id}")
}

/// The answer for a load: 202 with `Location` and `Retry-After` while it is to run, 200 once
/// it ended.
fn answer(record: &ImportRecord) -> HttpResponse {
    let mut response = if record.status.is_finished() {
        HttpResponse::Ok()
    } else {
        let mut accepted = HttpResponse::Accepted();
        accepted.insert_header((RETRY_AFTER, "2"));
        accepted
    };
    response
        .insert_header((LOCATION, location(&record.id)))
        .json(dto(record))
}

fn media_type(request: &HttpRequest) -> String {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The start of the file (up to its first MiB) checked as a load would read it: 422
/// `invalid_file` at once for a file no load could read.
async fn check_start(part: &std::path::Path, format: ImportFormat, zip: bool) -> Result<(), ApiError> {
    use tokio::io::AsyncReadExt;
    let failed = |e: io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "upload_not_kept",
            format!("the file could not be read back: {e}"),
        )
    };
    let file = tokio::fs::File::open(part).await.map_err(failed)?;
    let mut head = Vec::with_capacity(64 * 1024);
    file.take(1024 * 1024).read_to_end(&mut head).await.map_err(failed)?;
    pagopa_import::check_start(format, &head, zip)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file", e.to_string()))
}

/// The format of an upload: its content type's, or `?format=` for a content type that does not
/// say (`application/octet-stream`, …). A `format` that contradicts the content type is refused.
fn format_of(request: &HttpRequest, query: &UploadQuery) -> Result<ImportFormat, ApiError> {
    let media = media_type(request);
    let declared = match media.as_str() {
        "text/csv" => Some(ImportFormat::Csv),
        "application/jsonl" | "application/x-ndjson" | "application/x-jsonlines" => Some(ImportFormat::Jsonl),
        "application/json" | "application/zip" => Some(ImportFormat::Gpd),
        _ => None,
    };
    let asked = query
        .format
        .as_deref()
        .map(str::parse::<ImportFormat>)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e))?;
    match (declared, asked) {
        (Some(declared), Some(asked)) if declared != asked => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "format_mismatch",
            format!("the body is {media}, which is not a {} file", asked.as_str()),
        )),
        (Some(format), _) | (None, Some(format)) => Ok(format),
        (None, None) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "a load is text/csv, application/jsonl, or application/json or application/zip for GPD files, not {media:?}"
            ),
        )),
    }
}

/// `POST /api/v1/admin/entes/{ente}/imports`: a file of positions, loaded in the background.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/imports", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code"),
        ("dry_run" = Option<bool>, Query, description = "Validate and report only"),
        ("format" = Option<String>, Query, description = "`csv`, `jsonl` or `gpd`, for a content type that does not say (`application/octet-stream`); one that contradicts the content type is 422 `format_mismatch`")),
    request_body(description = "The file: CSV (`text/csv`), JSON Lines (`application/jsonl`), or a pagoPA GPD file (`application/json`, or `application/zip` with one entry); docs/imports.md",
        content(
            (String = "text/csv"),
            (serde_json::Value = "application/jsonl"),
            (serde_json::Value = "application/json"),
            (Vec<u8> = "application/zip"),
        )),
    responses((status = 202, description = "Received; `Location` is the load, `Retry-After` when to look", body = ImportDto),
        (status = 200, description = "This file was loaded before: that load", body = ImportDto),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, description = "`too_large`", body = Problem), (status = 415, body = Problem),
        (status = 422, description = "`invalid_file`: the file's start is not what a load can read (a CSV header with unknown columns, not JSON, not a ZIP)", body = Problem)))]
pub(crate) async fn upload_import(
    operator: Operator,
    state: web::Data<ApiState>,
    uploads: Option<web::Data<Uploads>>,
    path: web::Path<String>,
    query: web::Query<UploadQuery>,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(uploads) = uploads else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "imports_unavailable",
            "this server takes no bulk loads",
        ));
    };
    let ente = ente_in_scope(&operator.0, &path)?;
    if !state
        .ports
        .entes
        .get(&ente)
        .await
        .map_err(DomainError::from)?
        .is_some_and(|e| e.enabled)
    {
        return Err(DomainError::UnknownEnte(ente).into());
    }
    let format = format_of(&request, &query)?;
    let id = state.ports.ids.import_id();
    let part = uploads.files.dir().join(format!(".{id}.part"));
    let received = receive(&mut payload, &part, uploads.max_bytes).await;
    let (sha256, bytes) = match received {
        Ok(done) => done,
        Err(error) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(error);
        }
    };
    if bytes == 0 {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(ApiError::bad_request("empty_body", "the file is empty"));
    }
    let zip = media_type(&request) == "application/zip";
    if let Err(error) = check_start(&part, format, zip).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(error);
    }
    let first = state
        .ports
        .imports
        .import_by_digest(&ente, &sha256, query.dry_run)
        .await
        .map_err(DomainError::from)?;
    if let Some(first) = first {
        let _ = tokio::fs::remove_file(&part).await;
        return Ok(answer(&first));
    }
    let new = NewImport {
        ente,
        format,
        sha256,
        dry_run: query.dry_run,
        actor: operator.0.name.clone(),
        bytes,
    };
    let record = ImportRecord::queued(id, new, state.ports.clock.now());
    if let Err(e) = tokio::fs::rename(&part, uploads.files.upload(&record.id)).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "upload_not_kept",
            format!("the file could not be kept: {e}"),
        ));
    }
    state
        .ports
        .imports
        .create_import(&record)
        .await
        .map_err(DomainError::from)?;
    uploads.wake.notify_one();
    Ok(answer(&record))
}

/// The payload's next chunk.
async fn next_chunk(payload: &mut web::Payload) -> Option<Result<Bytes, actix_web::error::PayloadError>> {
    use futures_core::Stream;
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *payload).poll_next(cx)).await
}

/// Writes the body to `part` while hashing it; returns its hex SHA-256 and size.
async fn receive(payload: &mut web::Payload, part: &PathBuf, max_bytes: u64) -> Result<(String, u64), ApiError> {
    let failed = |e: io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "upload_not_kept",
            format!("the file could not be kept: {e}"),
        )
    };
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    }
    let mut file = tokio::fs::File::create(part).await.map_err(failed)?;
    let mut hasher = sha2::Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = next_chunk(payload).await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        bytes += chunk.len() as u64;
        if bytes > max_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a load has at most {max_bytes} bytes"),
            ));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.sync_all().await.map_err(failed)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

async fn record_in_scope(operator: &Operator, state: &ApiState, raw: &str) -> Result<ImportRecord, ApiError> {
    let id: ImportId = raw
        .parse()
        .map_err(|e: String| ApiError::bad_request("invalid_import_id", e))?;
    let record = state
        .ports
        .imports
        .import(&id)
        .await
        .map_err(DomainError::from)?
        .ok_or_else(|| ApiError::not_found(format!("import {id}")))?;
    operator.0.check_ente(&record.ente)?;
    Ok(record)
}

/// `GET /api/v1/admin/imports/{import}`: where a load is. Never rate-limited: poll as often as the
/// `Retry-After` of the upload says.
#[utoipa::path(get, path = "/api/v1/admin/imports/{import}", tag = "operator", security(("api_key" = [])),
    params(("import" = String, Path, description = "The load's id (`imp_` and 32 hexadecimal digits)")),
    responses((status = 200, description = "The load", body = ImportDto),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_import(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = record_in_scope(&operator, &state, &path).await?;
    Ok(HttpResponse::Ok().json(dto(&record)))
}

/// `GET /api/v1/admin/imports/{import}/report`: the report so far, streamed: CSV, or a JSON array
/// with `Accept: application/json`.
#[utoipa::path(get, path = "/api/v1/admin/imports/{import}/report", tag = "operator", security(("api_key" = [])),
    params(("import" = String, Path, description = "The load's id (`imp_` and 32 hexadecimal digits)")),
    responses((status = 200, description = "One line per row decided so far: row, position_id, option_index, outcome, code, message, notice_number",
            content_type = "text/csv", body = String),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such load, or a load from the command line (its report is beside its file)", body = Problem)))]
pub(crate) async fn get_report(
    operator: Operator,
    state: web::Data<ApiState>,
    uploads: Option<web::Data<Uploads>>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let record = record_in_scope(&operator, &state, &path).await?;
    let report = uploads.as_ref().map(|u| u.files.report(&record.id));
    let json = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let file = match report.as_ref().map(std::fs::File::open) {
        Some(Ok(file)) => Some(file),
        _ if record.actor == "cli" => {
            return Err(ApiError::not_found(format!(
                "import {} was run from the command line: its report is beside its file",
                record.id
            )));
        }
        // Not started yet: the report has no line.
        _ if record.status == ImportStatus::Queued => None,
        _ => return Err(ApiError::not_found(format!("the report of import {}", record.id))),
    };
    let (sender, receiver) = mpsc::channel(8);
    let limit = record.report_bytes;
    tokio::task::spawn_blocking(move || stream_report(file, limit, json, &sender));
    let content_type = if json {
        "application/json"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .body(ChunkBody(receiver)))
}

/// Sends the report's first `limit` bytes (the lines of decided rows), as CSV or as JSON.
fn stream_report(file: Option<std::fs::File>, limit: u64, json: bool, out: &mpsc::Sender<io::Result<Bytes>>) {
    const CHUNK: usize = 64 * 1024;
    let header = || {
        let mut line = pagopa_domain::REPORT_COLUMNS.join(",");
        line.push_str("\r\n");
        line
    };
    let Some(file) = file else {
        let body = if json { "[]".to_owned() } else { header() };
        let _ = out.blocking_send(Ok(Bytes::from(body)));
        return;
    };
    let mut limited = file.take(limit);
    if !json {
        let mut buffer = vec![0u8; CHUNK];
        loop {
            match limited.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => {
                    if out.blocking_send(Ok(Bytes::copy_from_slice(&buffer[..n]))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = out.blocking_send(Err(e));
                    return;
                }
            }
        }
    }
    let mut chunk = Vec::with_capacity(CHUNK);
    chunk.push(b'[');
    let mut first = true;
    for line in pagopa_import::report::lines_as_json(limited) {
        match line {
            Ok(value) => {
                if !first {
                    chunk.push(b',');
                }
                first = false;
                if serde_json::to_writer(&mut chunk, &value).is_err() {
                    return;
                }
                if chunk.len() >= CHUNK && out.blocking_send(Ok(Bytes::from(std::mem::take(&mut chunk)))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = out.blocking_send(Err(e));
                return;
            }
        }
    }
    chunk.push(b']');
    let _ = out.blocking_send(Ok(Bytes::from(chunk)));
}
