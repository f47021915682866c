//! The quarantine: what the Node sent that could not be read as a receipt. A `paSendRT` /
//! `paSendRTV2` too broken to decode, or naming a notice whose check digits are wrong, is
//! answered with a syntax fault, but its raw envelope is kept for operators: nothing the Node
//! sent is only logged.

use chrono::{DateTime, Utc};

use crate::value::EnteId;

/// How much of a raw envelope is kept: receipts with a digital stamp attachment are a few KiB,
/// so this keeps every real one whole while one huge body cannot fill the database.
pub const MAX_QUARANTINED_BYTES: usize = 256 * 1024;

/// A message to quarantine, as the endpoint captured it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantineEntry {
    /// When it reached us.
    pub received_at: DateTime<Utc>,
    /// The caller's address, as the endpoint saw it.
    pub peer: Option<String>,
    /// The operation it was for (`paSendRTV2`), when known.
    pub operation: Option<String>,
    /// The `idPA` it named, when it could be read: operators limited to some Enti see only
    /// their own entries.
    pub ente: Option<EnteId>,
    /// Why it could not be read.
    pub reason: String,
    /// The envelope as received (invalid UTF-8 replaced), at most [`MAX_QUARANTINED_BYTES`].
    pub raw: String,
    /// The size of the whole body in bytes, when it was read.
    pub size: Option<u64>,
    /// Whether `raw` was cut at [`MAX_QUARANTINED_BYTES`] (or the body was not read at all).
    pub truncated: bool,
}

impl QuarantineEntry {
    /// An entry for `body` (`None` when it could not be read, e.g. over the size limit), cut
    /// to [`MAX_QUARANTINED_BYTES`] on a character boundary.
    pub fn capture(
        received_at: DateTime<Utc>,
        peer: Option<String>,
        operation: Option<String>,
        ente: Option<EnteId>,
        reason: impl Into<String>,
        body: Option<&[u8]>,
    ) -> Self {
        let (raw, size, truncated) = match body {
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                let mut end = text.len().min(MAX_QUARANTINED_BYTES);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let truncated = end < text.len();
                (text[..end].to_owned(), Some(bytes.len() as u64), truncated)
            }
            None => (String::new(), None, true),
        };
        Self {
            received_at,
            peer,
            operation,
            ente,
            reason: reason.into(),
            raw,
            size,
            truncated,
        }
    }
}

/// A quarantined message as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantinedMessage {
    /// Storage-assigned id, increasing.
    pub id: u64,
    /// What was captured.
    #[serde(flatten)]
    pub entry: QuarantineEntry,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_body_is_cut_on_a_character_boundary() {
        let mut body = "é".repeat(MAX_QUARANTINED_BYTES).into_bytes();
        body.push(0xff);
        let entry = QuarantineEntry::capture(DateTime::UNIX_EPOCH, None, None, None, "broken", Some(&body));
        assert!(entry.truncated);
        assert!(entry.raw.len() <= MAX_QUARANTINED_BYTES);
        assert_eq!(entry.size, Some(body.len() as u64));
        let small = QuarantineEntry::capture(DateTime::UNIX_EPOCH, None, None, None, "broken", Some(b"<a>\xff</a>"));
        assert_eq!((small.raw.as_str(), small.truncated), ("<a>\u{fffd}</a>", false));
    }
}
