//! Safe retries: the first answer to a request carrying an `Idempotency-Key` is kept, so a
//! client that retries after a timeout gets it again instead of a second effect.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StorageError;

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new (or its last use is older than the lifetime): the caller runs the
    /// request, then [`IdempotencyStore::complete`]s or [`IdempotencyStore::release`]s it.
    Claimed,
    /// Another request with this key is running.
    InProgress {
        /// The fingerprint of that request.
        fingerprint: String,
    },
    /// A request with this key was answered.
    Done {
        /// The fingerprint of that request.
        fingerprint: String,
        /// Its HTTP status.
        status: u16,
        /// Its body.
        body: String,
    },
}

/// Idempotency keys, scoped (by caller and operation) and kept for a lifetime.
///
/// Error contract: only [`StorageError::Unavailable`] (storage failed; nothing was claimed).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` in `scope` for a request with `fingerprint`, atomically: of concurrent
    /// claims exactly one gets [`IdempotencyClaim::Claimed`]. Uses older than `lifetime` are
    /// forgotten; a claim left unanswered for `abandoned_after` (its process died) may be
    /// claimed again.
    async fn claim(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<IdempotencyClaim, StorageError>;
    /// Keeps the answer of a claimed key.
    async fn complete(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StorageError>;
    /// Forgets a claimed key whose request failed, so a retry runs it again.
    async fn release(&self, scope: &str, key: &str) -> Result<(), StorageError>;
}
