//! Bulk loads of positions from the gestionale's files: what a file turns into (one
//! [`ImportItem`] per position), what happened to each row ([`ReportLine`]), and the record of a
//! load ([`ImportRecord`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::model::{Iupd, PositionDraft};
use crate::value::{EnteId, NoticeNumber};

/// The id of a load: `imp_` and 32 hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImportId(String);

impl ImportId {
    /// The id from 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        use std::fmt::Write;
        let mut id = String::with_capacity(36);
        id.push_str("imp_");
        for byte in bytes {
            let _ = write!(id, "{byte:02x}");
        }
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ImportId {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let hex = raw.strip_prefix("imp_").unwrap_or("");
        if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "{raw:?} is not an import id (imp_ and 32 lowercase hexadecimal digits)"
            ))
        }
    }
}

impl TryFrom<String> for ImportId {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl From<ImportId> for String {
    fn from(id: ImportId) -> Self {
        id.0
    }
}

impl std::fmt::Display for ImportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The file formats a load can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// RFC 4180 CSV, one row per payment option.
    Csv,
    /// JSON Lines, one position draft per line.
    Jsonl,
    /// pagoPA GPD's mass-upload JSON (`{"paymentPositions": […]}`), plain or in a one-entry ZIP.
    Gpd,
}

impl ImportFormat {
    /// The name used in URLs, the CLI and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
            Self::Gpd => "gpd",
        }
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::Jsonl),
            "gpd" => Ok(Self::Gpd),
            other => Err(format!("unknown import format {other:?} (csv, jsonl or gpd)")),
        }
    }
}

/// Where a load is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Received, waiting for the worker.
    Queued,
    /// Being read and applied.
    Running,
    /// Every row was read; some may have been rejected.
    Done,
    /// The file could not be read to its end (see the record's `error`); what was committed
    /// before stays, position by position.
    Failed,
}

impl ImportStatus {
    /// The status name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Whether the load has ended.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

impl std::str::FromStr for ImportStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        [Self::Queued, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("unknown import status {raw:?}"))
    }
}

/// One load: its file, where it is, and what it did so far.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportRecord {
    /// Its id.
    pub id: ImportId,
    /// The Ente whose positions the file holds.
    pub ente: EnteId,
    /// The file's format.
    pub format: ImportFormat,
    /// Hex SHA-256 of the file: the same file sent again finds this load.
    pub sha256: String,
    /// Validate and report only; nothing is written.
    pub dry_run: bool,
    /// Where it is.
    pub status: ImportStatus,
    /// Who sent it (an operator key's name, or `cli`).
    pub actor: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Rows (physical lines or GPD positions) read and decided.
    pub rows_read: u64,
    /// Rows accepted (created, updated, unchanged or cancelled).
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The last row whose position is decided (and committed): a resumed load starts after it.
    pub checkpoint_row: u64,
    /// How many bytes of the report belong to decided rows.
    pub report_bytes: u64,
    /// Why the load failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When the worker started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The worker applying it, while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Until when that worker holds it; past this, another may take it over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
}

/// What is known of a load when it is received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewImport {
    /// The Ente whose positions the file holds.
    pub ente: EnteId,
    /// The file's format.
    pub format: ImportFormat,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Validate and report only.
    pub dry_run: bool,
    /// Who sent it.
    pub actor: String,
    /// The file's size in bytes.
    pub bytes: u64,
}

impl ImportRecord {
    /// A load just received.
    pub fn queued(id: ImportId, new: NewImport, now: DateTime<Utc>) -> Self {
        Self {
            id,
            ente: new.ente,
            format: new.format,
            sha256: new.sha256,
            dry_run: new.dry_run,
            status: ImportStatus::Queued,
            actor: new.actor,
            bytes: new.bytes,
            rows_read: 0,
            accepted: 0,
            rejected: 0,
            checkpoint_row: 0,
            report_bytes: 0,
            error: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            worker: None,
            lease_until: None,
        }
    }
}

/// Where in the file an option of an item was: the physical row (line) and, when known, the
/// option's index (0 for the single solution, 1..n for instalments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    /// The physical row (CSV record's line, JSON Lines line, GPD position's ordinal).
    pub row: u64,
    /// The option's index, when the row names one.
    pub option_index: Option<u32>,
}

/// Why a row is refused: a stable code and a message in Italian and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowIssue {
    /// A stable, documented code (`invalid_fiscal_code`, `transfer_sum`, …).
    pub code: &'static str,
    /// Which field and what is wrong, in Italian.
    pub italian: String,
    /// The same, in English.
    pub english: String,
}

impl RowIssue {
    /// An issue with its code and both messages.
    pub fn new(code: &'static str, italian: impl Into<String>, english: impl Into<String>) -> Self {
        Self {
            code,
            italian: italian.into(),
            english: english.into(),
        }
    }

    /// The report's `message`: the Italian, then the English.
    pub fn message(&self) -> String {
        format!("{} / {}", self.italian, self.english)
    }
}

/// What a file says about one position: its rows, and what they ask for or why they cannot be
/// read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportItem {
    /// The rows it came from, in file order.
    pub rows: Vec<RowRef>,
    /// The position's id as the file gives it (kept as text: it may be invalid).
    pub position_id: String,
    /// What the rows ask for, or the first problem found reading them.
    pub content: Result<ImportContent, RowIssue>,
}

impl ImportItem {
    /// The last physical row of the item.
    pub fn last_row(&self) -> u64 {
        self.rows.iter().map(|r| r.row).max().unwrap_or(0)
    }

    /// The iupd, when the item could be read.
    pub fn iupd(&self) -> Option<&Iupd> {
        match &self.content {
            Ok(ImportContent::Upsert(draft)) => Some(&draft.draft.iupd),
            Ok(ImportContent::Cancel(iupd)) => Some(iupd),
            Err(_) => None,
        }
    }
}

/// What the rows of a position ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
// Nearly every item is an upsert: boxing it would only add an allocation per position.
#[allow(clippy::large_enum_variant)]
pub enum ImportContent {
    /// Create the position, or bring it in line with the file.
    Upsert(ImportDraft),
    /// Cancel the payable position with this iupd.
    Cancel(Iupd),
}

/// A position read from a file. Options whose notice number the file left empty carry a
/// placeholder and are listed in `allocate`: the load keeps the stored option's number (same
/// kind and index) or allocates a fresh one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportDraft {
    /// The position.
    pub draft: PositionDraft,
    /// Indexes into `draft.options` whose notice number is to be kept or allocated.
    pub allocate: BTreeSet<usize>,
}

impl ImportDraft {
    /// A draft whose every notice number is given.
    pub fn complete(draft: PositionDraft) -> Self {
        Self {
            draft,
            allocate: BTreeSet::new(),
        }
    }

    /// The iupd.
    pub fn iupd(&self) -> &Iupd {
        &self.draft.iupd
    }
}

/// What happened to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new position was stored (or would be, on a dry run).
    Created,
    /// The stored position was changed to what the file says.
    Updated,
    /// The stored position already says what the file says.
    Unchanged,
    /// The position was cancelled.
    Cancelled,
    /// The row was refused; see its code and message.
    Rejected,
}

impl RowOutcome {
    /// The outcome's name in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    /// Whether the row was accepted.
    pub fn is_accepted(self) -> bool {
        self != Self::Rejected
    }
}

/// One line of a load's report: a row and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLine {
    /// The physical row.
    pub row: u64,
    /// The position's id as the file gives it.
    pub position_id: String,
    /// The option's index, when known.
    pub option_index: Option<u32>,
    /// What happened.
    pub outcome: RowOutcome,
    /// For a rejected row, why.
    pub issue: Option<RowIssue>,
    /// The option's notice number, given or allocated.
    pub notice_number: Option<NoticeNumber>,
}

/// The report's columns, in order.
pub const REPORT_COLUMNS: [&str; 7] = [
    "row",
    "position_id",
    "option_index",
    "outcome",
    "code",
    "message",
    "notice_number",
];
