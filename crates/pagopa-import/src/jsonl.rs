//! JSON Lines files: one position per line, in the operator API's `PositionDraft` form (the
//! body of `POST /api/v1/admin/entes/{ente}/positions`), or `{"action": "cancel", "iupd": …}`.

use std::io::BufRead;

use pagopa_domain::{ImportContent, ImportDraft, ImportItem, PositionDraft, RowIssue, RowRef};

use crate::text;
use crate::{FileError, SeenIds, Sink};

/// Reads a JSON Lines file into `sink`; blank lines are skipped.
///
/// # Errors
///
/// [`FileError`] when the file cannot be read. A line that is not a position is refused on its
/// own.
pub fn read(reader: impl BufRead, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let mut seen = SeenIds::default();
    let mut row = 0u64;
    let mut bytes = Vec::new();
    let mut reader = reader;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        row += 1;
        let line = if row == 1 {
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)
        } else {
            &bytes
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let item = item(row, line, &mut seen);
        if !sink(item) {
            break;
        }
    }
    Ok(())
}

fn item(row: u64, line: &[u8], seen: &mut SeenIds) -> ImportItem {
    let lone = |position_id: String, issue: RowIssue| ImportItem {
        rows: vec![RowRef {
            row,
            option_index: None,
        }],
        position_id,
        content: Err(issue),
    };
    let mut value: serde_json::Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => {
            return lone(
                String::new(),
                RowIssue::new(
                    "invalid_json",
                    format!("la riga non è JSON: {e}"),
                    format!("the line is not JSON: {e}"),
                ),
            );
        }
    };
    let position_id = value.get("iupd").and_then(|v| v.as_str()).unwrap_or("").to_owned();
    if !position_id.is_empty() && !seen.first_time(&position_id) {
        return lone(
            position_id,
            RowIssue::new(
                "duplicate_key",
                "iupd: la posizione compare già in una riga precedente",
                "iupd: the position already appeared on an earlier line",
            ),
        );
    }
    let action = value.as_object_mut().and_then(|o| o.remove("action"));
    match action.as_ref().map(|a| a.as_str()) {
        None | Some(Some("upsert")) => {}
        Some(Some("cancel")) => {
            let content = text::iupd("iupd", &position_id).map(ImportContent::Cancel);
            return ImportItem {
                rows: vec![RowRef {
                    row,
                    option_index: None,
                }],
                position_id,
                content,
            };
        }
        Some(other) => {
            let shown = other.map_or_else(
                || action.as_ref().map(ToString::to_string).unwrap_or_default(),
                str::to_owned,
            );
            return lone(position_id, text::choice("action", &shown, "upsert, cancel"));
        }
    }
    match serde_path_to_error::deserialize::<_, PositionDraft>(value) {
        Ok(draft) => ImportItem {
            rows: draft
                .options
                .iter()
                .map(|o| RowRef {
                    row,
                    option_index: Some(o.instalment.map_or(0, |i| u32::from(i.number))),
                })
                .collect(),
            position_id,
            content: Ok(ImportContent::Upsert(ImportDraft::complete(draft))),
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            lone(
                position_id,
                RowIssue::new(
                    "invalid_position",
                    format!("{path}: valore non valido ({inner})"),
                    format!("{path}: {inner}"),
                ),
            )
        }
    }
}
