//! Every receipt the simulator sent, as the exact `paSendRT(V2)` envelope, so it can be sent
//! again later (as the Node's support staff restart a stuck receipt): in memory for the server,
//! as files for the command line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pagopa_domain::model::ReceiptId;

/// Why a receipt could not be saved or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Where sent receipts are kept, keyed by `receiptId`.
pub trait ReceiptLog: Send + Sync + fmt::Debug {
    /// Keeps `envelope` as the receipt `receipt_id` (replacing any earlier one).
    fn save(&self, receipt_id: &ReceiptId, envelope: &str) -> Result<(), StoreError>;
    /// The envelope of `receipt_id`, if kept.
    fn load(&self, receipt_id: &ReceiptId) -> Result<Option<String>, StoreError>;
    /// The ids kept, in order.
    fn ids(&self) -> Result<Vec<String>, StoreError>;
}

/// Receipts in memory.
#[derive(Debug, Default)]
pub struct MemoryReceipts {
    receipts: Mutex<BTreeMap<String, String>>,
}

impl MemoryReceipts {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        // A panic while holding the lock cannot leave the map half-updated: keep using it.
        self.receipts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ReceiptLog for MemoryReceipts {
    fn save(&self, receipt_id: &ReceiptId, envelope: &str) -> Result<(), StoreError> {
        self.map().insert(receipt_id.to_string(), envelope.to_owned());
        Ok(())
    }

    fn load(&self, receipt_id: &ReceiptId) -> Result<Option<String>, StoreError> {
        Ok(self.map().get(receipt_id.as_str()).cloned())
    }

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.map().keys().cloned().collect())
    }
}

/// Keeps nothing: for load runs, where thousands of receipts would only cost memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardReceipts;

impl ReceiptLog for DiscardReceipts {
    fn save(&self, _receipt_id: &ReceiptId, _envelope: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn load(&self, _receipt_id: &ReceiptId) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
}

/// Receipts as files `<dir>/receipts/<receiptId>.xml`. A receipt id holds only letters, digits,
/// `.`, `_` and `-`, so it cannot leave the folder.
#[derive(Debug, Clone)]
pub struct DirReceipts {
    dir: PathBuf,
}

impl DirReceipts {
    /// Receipts under `state_dir/receipts` (created on the first save).
    pub fn new(state_dir: impl AsRef<Path>) -> Self {
        Self {
            dir: state_dir.as_ref().join("receipts"),
        }
    }

    /// The folder of the receipt files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, receipt_id: &ReceiptId) -> PathBuf {
        self.dir.join(format!("{receipt_id}.xml"))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl ReceiptLog for DirReceipts {
    fn save(&self, receipt_id: &ReceiptId, envelope: &str) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.path(receipt_id);
        std::fs::write(&path, envelope).map_err(io(&path))
    }

    fn load(&self, receipt_id: &ReceiptId) -> Result<Option<String>, StoreError> {
        let path = self.path(receipt_id);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&self.dir))?;
            if let Some(id) = entry.file_name().to_str().and_then(|n| n.strip_suffix(".xml")) {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(log: &dyn ReceiptLog) {
        let id: ReceiptId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(log.load(&id).unwrap(), None);
        log.save(&id, "<x/>").unwrap();
        assert_eq!(log.load(&id).unwrap().as_deref(), Some("<x/>"));
        assert_eq!(log.ids().unwrap(), vec![id.to_string()]);
    }

    #[test]
    fn memory_and_files_keep_receipts() {
        exercise(&MemoryReceipts::new());
        let dir = std::env::temp_dir().join(format!("pagopa-sim-store-{}", std::process::id()));
        let files = DirReceipts::new(&dir);
        exercise(&files);
        assert!(files.dir().join("0123456789abcdef0123456789abcdef.xml").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
