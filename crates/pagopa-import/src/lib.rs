//! Bulk loads of debt positions from the gestionale's files.
//!
//! A file is read by the reader of its format ([`csv`], [`jsonl`], [`gpd`]) into
//! [`ImportItem`]s, one per position, each with the rows it came from; a row the reader cannot
//! turn into a position is an item carrying its [`RowIssue`]. The [`runner`] feeds the items in
//! batches to the domain's [`pagopa_domain::services::Imports`] and writes the [`report`].
//! Formats and codes are described in `docs/imports.md`.

pub mod csv;
pub mod gpd;
pub mod jsonl;
pub mod report;
pub mod runner;
pub mod statement;
mod text;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use pagopa_domain::{ImportFormat, ImportItem, RowIssue};

/// Why a file cannot be read at all (as opposed to a row that is refused): the load fails and
/// the CLI exits with status 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be read.
    #[error("the file cannot be read: {0}")]
    Io(#[from] std::io::Error),
    /// The header names columns this format does not have, or lacks required ones.
    #[error("{0}")]
    Header(String),
    /// The file is not in the format it was said to be in.
    #[error("{0}")]
    Format(String),
}

/// Where a reader sends its items: `false` stops it (the consumer is gone).
pub type Sink<'a> = dyn FnMut(ImportItem) -> bool + 'a;

/// Counts the bytes a reader consumed, for progress reports.
#[derive(Clone, Debug, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    /// Bytes consumed so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A reader that counts what passes through it.
pub(crate) struct Counting<R> {
    inner: R,
    count: BytesRead,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads `file` of `ente`'s positions as `format`, sending each position to `sink` in file order. The file is read
/// once, in constant memory apart from the set of position ids seen (to refuse repeats).
///
/// # Errors
///
/// [`FileError`] when the file cannot be read to its end; the items sent before stand.
pub fn read_file(
    format: ImportFormat,
    file: std::fs::File,
    ente: &pagopa_domain::Ente,
    progress: &BytesRead,
    sink: &mut Sink<'_>,
) -> Result<(), FileError> {
    match format {
        ImportFormat::Csv => csv::read(counting(file, progress), ente, sink),
        ImportFormat::Jsonl => jsonl::read(counting(file, progress), sink),
        ImportFormat::Gpd => gpd::read(file, &ente.id, progress, sink),
    }
}

pub(crate) fn counting<R: Read>(inner: R, progress: &BytesRead) -> std::io::BufReader<Counting<R>> {
    std::io::BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner,
            count: progress.clone(),
        },
    )
}

/// Checks the first bytes of a file (up to 1 MiB) before it is accepted for a load: a CSV
/// header with columns a load can read, JSON Lines or GPD JSON that starts as a JSON object,
/// a ZIP (when `zip` says the sender declared one) that starts as a ZIP. What follows is judged
/// row by row when the file is loaded.
///
/// # Errors
///
/// [`FileError`] saying why the file cannot be loaded.
pub fn check_start(format: ImportFormat, head: &[u8], zip: bool) -> Result<(), FileError> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match format {
        ImportFormat::Csv => csv::check_header(head),
        _ if zip || head.starts_with(b"PK\x03\x04") => {
            if head.starts_with(b"PK\x03\x04") && format == ImportFormat::Gpd {
                Ok(())
            } else {
                Err(FileError::Format("the body is not a ZIP file of a GPD load".into()))
            }
        }
        ImportFormat::Jsonl | ImportFormat::Gpd if first == Some(b'{') => Ok(()),
        ImportFormat::Jsonl => Err(FileError::Format(
            "a JSON Lines file has a JSON object on each line".into(),
        )),
        ImportFormat::Gpd => Err(FileError::Format(
            "a GPD file is a JSON object {\"paymentPositions\": […]}, plain or in a ZIP".into(),
        )),
    }
}

/// Remembers the position ids of a file, to refuse one that comes back after its rows ended.
/// Ids are kept as 64-bit hashes: a million positions take about 16 MiB.
#[derive(Debug, Default)]
pub(crate) struct SeenIds(std::collections::HashSet<u64>);

impl SeenIds {
    /// Whether `id` is new (and remembers it).
    pub(crate) fn first_time(&mut self, id: &str) -> bool {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut hasher);
        self.0.insert(hasher.finish())
    }
}
