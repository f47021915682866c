//! CSV files: RFC 4180, UTF-8 (a BOM is skipped), `,` or `;` as found in the header line, one
//! row per payment option; the adjacent rows with the same `position_id` form one position.
//!
//! The header and its columns are in `columns`; a position's rows are gathered in
//! `position`, an option's row is read in `row` and its `tN_` transfers in `transfers`.

use std::io::{BufRead, Read};

use pagopa_domain::{Ente, ImportItem, RowIssue, RowRef};

use crate::text;
use crate::{FileError, SeenIds, Sink};

mod columns;
mod position;
mod row;
mod transfers;

pub use columns::{COLUMNS, TRANSFER_COLUMNS};

use columns::Header;
use position::Pending;

/// Checks the header line of a CSV file (its first bytes, up to the first line break), as a
/// load would read it: the API refuses an upload whose columns cannot be loaded at once.
///
/// # Errors
///
/// [`FileError::Header`] naming what is wrong.
pub fn check_header(head: &[u8]) -> Result<(), FileError> {
    let end = head.iter().position(|b| *b == b'\n').map_or(head.len(), |at| at + 1);
    let (line, delimiter) = header_line(&head[..end])?;
    let mut csv = reader_of(delimiter, line);
    header_of(&mut csv).map(|_| ())
}

/// The header line without its byte-order mark, and the delimiter it uses: `;` when it has
/// more semicolons than commas.
pub(crate) fn header_line(first: &[u8]) -> Result<(&[u8], u8), FileError> {
    let line = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Header(
            "the file is empty: the first line must name the columns".into(),
        ));
    }
    let commas = line.iter().filter(|b| **b == b',').count();
    let semicolons = line.iter().filter(|b| **b == b';').count();
    Ok((line, if semicolons > commas { b';' } else { b',' }))
}

fn reader_of<R: Read>(delimiter: u8, input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(input)
}

fn header_of<R: Read>(csv: &mut csv::Reader<R>) -> Result<Header, FileError> {
    let names = csv
        .headers()
        .map_err(|e| FileError::Header(format!("the header line cannot be read: {e}")))?;
    let names = csv::StringRecord::from_iter(names.iter().map(str::trim));
    Header::parse(&names)
}

/// Reads a CSV file of `ente`'s positions into `sink`.
///
/// # Errors
///
/// [`FileError`] for a header with unknown, repeated or missing columns, for bytes that are not
/// UTF-8 in the header, and for read failures. A row that is not UTF-8 or has more cells than
/// the header is refused on its own.
pub fn read(mut reader: impl BufRead, ente: &Ente, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first)?;
    let (line, delimiter) = header_line(&first)?;
    let mut csv = reader_of(delimiter, std::io::Cursor::new(line.to_vec()).chain(reader));
    let header = header_of(&mut csv)?;
    let mut seen = SeenIds::default();
    let mut pending: Option<Pending> = None;
    let mut record = csv::ByteRecord::new();
    loop {
        let row = csv.position().line();
        let more = match csv.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => return Err(FileError::Io(std::io::Error::other(e.to_string()))),
                _ => {
                    // A malformed row (an unclosed quote): refused alone, the file goes on.
                    if let Some(done) = pending.take()
                        && !sink(done.finish())
                    {
                        return Ok(());
                    }
                    let issue = RowIssue::new(
                        "malformed_row",
                        format!("riga non leggibile come CSV: {e}"),
                        format!("the row is not valid CSV: {e}"),
                    );
                    if !sink(lone(row, String::new(), issue)) {
                        return Ok(());
                    }
                    continue;
                }
            },
        };
        if !more {
            break;
        }
        if record.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let row = record.position().map_or(row, |p| p.line());
        let record = match csv::StringRecord::from_byte_record(record.clone()) {
            Ok(text) => text,
            Err(_) => {
                let issue = RowIssue::new(
                    "invalid_encoding",
                    "la riga non è testo UTF-8",
                    "the row is not UTF-8 text",
                );
                if let Some(done) = pending.take()
                    && !sink(done.finish())
                {
                    return Ok(());
                }
                if !sink(lone(row, String::new(), issue)) {
                    return Ok(());
                }
                continue;
            }
        };
        let id = header.get(&record, "position_id").unwrap_or("").to_owned();
        if pending.as_ref().is_some_and(|p| p.id == id && !id.is_empty()) {
            if let Some(p) = pending.as_mut() {
                p.add(&header, &record, row, ente);
            }
            continue;
        }
        if let Some(done) = pending.take()
            && !sink(done.finish())
        {
            return Ok(());
        }
        if id.is_empty() {
            if !sink(lone(row, id, text::missing("position_id"))) {
                return Ok(());
            }
            continue;
        }
        if !seen.first_time(&id) {
            let issue = RowIssue::new(
                "duplicate_key",
                "position_id: la posizione compare già in righe precedenti non adiacenti (le righe di una posizione vanno messe di seguito)",
                "position_id: the position already appeared in earlier, non-adjacent rows (the rows of a position must be adjacent)",
            );
            if !sink(lone(row, id, issue)) {
                return Ok(());
            }
            continue;
        }
        let mut started = Pending::start(&header, &record, id);
        started.add(&header, &record, row, ente);
        pending = Some(started);
    }
    if let Some(done) = pending.take() {
        sink(done.finish());
    }
    Ok(())
}

fn lone(row: u64, position_id: String, issue: RowIssue) -> ImportItem {
    ImportItem {
        rows: vec![RowRef {
            row,
            option_index: None,
        }],
        position_id,
        content: Err(issue),
    }
}
