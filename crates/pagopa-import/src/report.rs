//! A load's report: one CSV line per row of the file, in file order, with the columns of
//! [`REPORT_COLUMNS`]. Written as the load goes; every line before the record's `report_bytes`
//! belongs to a decided row.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use pagopa_domain::{REPORT_COLUMNS, ReportLine};

/// Appends report lines to a file.
#[derive(Debug)]
pub struct ReportWriter {
    file: File,
    bytes: u64,
}

impl ReportWriter {
    /// Opens the report of a load at `bytes` (what its record says is decided): a new report
    /// when 0, otherwise the file cut back to `bytes`, dropping lines of a batch a crash
    /// interrupted.
    ///
    /// # Errors
    ///
    /// The file cannot be created, or is shorter than `bytes`.
    pub fn open(path: &Path, bytes: u64) -> std::io::Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(path)?;
        if bytes == 0 {
            file.set_len(0)?;
            let mut writer = Self { file, bytes: 0 };
            let header = record_bytes(&REPORT_COLUMNS.map(str::to_owned))?;
            writer.write(&header)?;
            return Ok(writer);
        }
        if file.metadata()?.len() < bytes {
            return Err(std::io::Error::other(format!(
                "the report {} is shorter than the {bytes} bytes its load recorded",
                path.display()
            )));
        }
        file.set_len(bytes)?;
        file.seek(SeekFrom::End(0))?;
        Ok(Self { file, bytes })
    }

    /// Appends `lines` and makes them durable; returns the report's length.
    ///
    /// # Errors
    ///
    /// The write failed.
    pub fn append(&mut self, lines: &[ReportLine]) -> std::io::Result<u64> {
        let mut buffer = Vec::with_capacity(lines.len() * 64);
        for line in lines {
            buffer.extend_from_slice(&record_bytes(&cells(line))?);
        }
        self.write(&buffer)?;
        self.file.sync_data()?;
        Ok(self.bytes)
    }

    /// The report's length so far.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// Whether nothing was written (not even the header).
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// The cells of a line, as the report writes them.
pub fn cells(line: &ReportLine) -> [String; 7] {
    [
        line.row.to_string(),
        line.position_id.clone(),
        line.option_index.map(|i| i.to_string()).unwrap_or_default(),
        line.outcome.as_str().to_owned(),
        line.issue.as_ref().map(|i| i.code.to_owned()).unwrap_or_default(),
        line.issue.as_ref().map(|i| i.message()).unwrap_or_default(),
        line.notice_number
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
    ]
}

fn record_bytes(cells: &[String; 7]) -> std::io::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(cells).map_err(std::io::Error::other)?;
    writer.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// Reads report CSV (as written here) and gives each line as a JSON object keyed by column,
/// for the API's JSON form of the report.
pub fn lines_as_json(report: impl std::io::Read) -> impl Iterator<Item = std::io::Result<serde_json::Value>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(report);
    let mut records = csv::StringRecord::new();
    std::iter::from_fn(move || match reader.read_record(&mut records) {
        Ok(true) => {
            let mut object = serde_json::Map::new();
            for (name, value) in REPORT_COLUMNS.iter().zip(records.iter()) {
                let value = match *name {
                    "row" | "option_index" if !value.is_empty() => value
                        .parse::<u64>()
                        .map_or_else(|_| serde_json::Value::from(value), serde_json::Value::from),
                    _ if value.is_empty() => serde_json::Value::Null,
                    _ => serde_json::Value::from(value),
                };
                object.insert((*name).to_owned(), value);
            }
            Some(Ok(serde_json::Value::Object(object)))
        }
        Ok(false) => None,
        Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
    })
}
