//! `POST /api/v1/admin/entes/{ente}/notices.zip`: the notices of the positions a search finds,
//! as a ZIP built while it is sent. Positions are read a page at a time (keyset) by a task,
//! rendered and written by a blocking thread, and the ZIP's bytes reach the response through a
//! bounded channel, so memory stays flat whatever the number of notices. The PDFs are stored,
//! not deflated (they are compressed already); `report.csv` lists the positions not printed.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use pagopa_documents::{DocumentError, NoticeInput, OptionSelection, printable_options, render_notice};
use pagopa_domain::ports::{PositionCursor, PositionQuery};
use pagopa_domain::{DebtPosition, DomainError, Ente, EnteId, EnteLogo, FiscalCode, PositionStatus};
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::served_ente;
use crate::ApiState;
use crate::auth::Operator;
use crate::openapi::Problem;
use crate::problem::{ApiError, parse, parse_optional};

/// Positions read per storage query.
const PAGE: u32 = 200;
/// Positions waiting to be rendered.
const POSITIONS_IN_FLIGHT: usize = 16;
/// Chunks of ZIP waiting to be sent.
const CHUNKS_IN_FLIGHT: usize = 8;
/// The size of one chunk.
const CHUNK: usize = 64 * 1024;

/// The position search of a notices ZIP; every filter is optional.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticesFilter {
    /// Only positions in this status (`valid`, `partially_paid`, …).
    #[schema(value_type = Option<String>)]
    status: Option<PositionStatus>,
    /// Only positions with an option due on or after this date.
    #[schema(value_type = Option<String>, format = Date)]
    due_from: Option<chrono::NaiveDate>,
    /// Only positions with an option due on or before this date.
    #[schema(value_type = Option<String>, format = Date)]
    due_to: Option<chrono::NaiveDate>,
    /// Only this debtor's positions.
    debtor: Option<String>,
}

/// `POST /api/v1/admin/entes/{ente}/notices.zip`.
#[utoipa::path(post, path = "/api/v1/admin/entes/{ente}/notices.zip", tag = "operator", security(("api_key" = [])),
    params(("ente" = String, Path, description = "The Ente's fiscal code")),
    request_body = NoticesFilter,
    responses((status = 200, description = "A streamed ZIP: `{ente}_{notice}.pdf` per printable position (named after its first printable option) and `report.csv` (`ente,iupd,code,detail`) listing the others",
            content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 400, body = Problem)))]
pub(crate) async fn notices_zip(
    operator: Operator,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: web::Json<NoticesFilter>,
) -> Result<HttpResponse, ApiError> {
    let ente_id: EnteId = parse(&path, "invalid_ente_id")?;
    operator.0.check_ente(&ente_id)?;
    let filter = body.into_inner();
    let query = PositionQuery {
        ente: Some(ente_id.clone()),
        debtor: parse_optional::<FiscalCode>(&filter.debtor, "invalid_fiscal_code")?,
        status: filter.status,
        due_from: filter.due_from,
        due_to: filter.due_to,
        limit: PAGE,
        ..PositionQuery::default()
    };
    let ente = served_ente(&state, &ente_id).await?;
    let logo = state.ports.entes.logo(&ente_id).await.map_err(DomainError::from)?;

    let (positions_tx, positions_rx) = mpsc::channel(POSITIONS_IN_FLIGHT);
    let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let reader_state = state.clone();
    actix_web::rt::spawn(async move { read_positions(&reader_state, query, positions_tx).await });
    let today = state.ports.clock.now().date_naive();
    actix_web::rt::task::spawn_blocking(move || {
        let failure = chunks_tx.clone();
        let sink = ChunkWriter::new(chunks_tx);
        if let Err(error) = write_zip(&ente, logo.as_ref(), today, positions_rx, sink) {
            tracing::warn!(error = %error, "notices ZIP stopped");
            // The client sees a truncated body rather than a ZIP that looks complete.
            let _ = failure.blocking_send(Err(error));
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((CACHE_CONTROL, "private, no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ente_id}_avvisi.zip\""),
        ))
        .body(ChunkBody(chunks_rx)))
}

/// Pages through the search, handing positions to the writer; stops when the writer does.
async fn read_positions(state: &ApiState, mut query: PositionQuery, out: mpsc::Sender<Result<DebtPosition, String>>) {
    loop {
        let page = match state.ports.positions.search(&query).await {
            Ok(page) => page,
            Err(error) => {
                let _ = out.send(Err(error.to_string())).await;
                return;
            }
        };
        for position in page.items {
            if out.send(Ok(position)).await.is_err() {
                return;
            }
        }
        match page.next {
            Some(PositionCursor { ente, iupd }) => query.after = Some(PositionCursor { ente, iupd }),
            None => return,
        }
    }
}

/// Renders each position and writes the ZIP, then `report.csv`.
fn write_zip(
    ente: &Ente,
    logo: Option<&EnteLogo>,
    today: chrono::NaiveDate,
    mut positions: mpsc::Receiver<Result<DebtPosition, String>>,
    sink: ChunkWriter,
) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(sink);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(false);
    let mut report = String::from("ente,iupd,code,detail\n");
    while let Some(next) = positions.blocking_recv() {
        let position = next.map_err(io::Error::other)?;
        let mut input = NoticeInput::new(ente, logo, &position);
        input.selection = OptionSelection::Payable;
        let rendered = if super::expired_by_date(&position, today) {
            Err(DocumentError::Expired)
        } else {
            Ok(())
        };
        let rendered = rendered
            .and_then(|()| printable_options(&position, OptionSelection::Payable))
            .and_then(|options| render_notice(&input).map(|pdf| (options[0].notice_number.clone(), pdf)));
        match rendered {
            Ok((notice, pdf)) => {
                zip.start_file(format!("{}_{}.pdf", ente.id, notice), stored)
                    .map_err(io::Error::other)?;
                zip.write_all(&pdf)?;
            }
            Err(error) => {
                report.push_str(&format!(
                    "{},{},{},{}\n",
                    position.ente,
                    csv_field(position.iupd.as_str()),
                    error.code(),
                    csv_field(&error.to_string())
                ));
            }
        }
    }
    zip.start_file("report.csv", stored).map_err(io::Error::other)?;
    zip.write_all(report.as_bytes())?;
    let mut sink = zip.finish().map_err(io::Error::other)?.into_inner();
    sink.flush()
}

/// A CSV field, quoted when it needs to be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Collects the ZIP's bytes into chunks and hands them to the response, waiting while the
/// client is slower than the renderer.
struct ChunkWriter {
    out: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn new(out: mpsc::Sender<io::Result<Bytes>>) -> Self {
        Self {
            out,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.out
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The response body: the chunks as they come.
pub(crate) struct ChunkBody(pub(crate) mpsc::Receiver<io::Result<Bytes>>);

impl MessageBody for ChunkBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.get_mut().0.poll_recv(cx)
    }
}
