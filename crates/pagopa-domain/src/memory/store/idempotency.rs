//! Idempotency keys in memory: claimed, answered, released.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::MemoryStore;
use crate::ports::StorageError;

/// A claimed idempotency key: its fingerprint, when, and the answer once there is one.
#[derive(Debug)]
pub(super) struct Remembered {
    fingerprint: String,
    at: DateTime<Utc>,
    answer: Option<(u16, String)>,
}

#[async_trait]
impl crate::ports::IdempotencyStore for MemoryStore {
    async fn claim(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<crate::ports::IdempotencyClaim, StorageError> {
        use crate::ports::IdempotencyClaim as C;
        let mut state = self.state();
        let id = (scope.to_owned(), key.to_owned());
        match state.idempotency.get(&id) {
            Some(seen) if now - seen.at < lifetime && (seen.answer.is_some() || now - seen.at < abandoned_after) => {
                Ok(match &seen.answer {
                    Some((status, body)) => C::Done {
                        fingerprint: seen.fingerprint.clone(),
                        status: *status,
                        body: body.clone(),
                    },
                    None => C::InProgress {
                        fingerprint: seen.fingerprint.clone(),
                    },
                })
            }
            _ => {
                let fresh = Remembered {
                    fingerprint: fingerprint.to_owned(),
                    at: now,
                    answer: None,
                };
                state.idempotency.insert(id, fresh);
                Ok(C::Claimed)
            }
        }
    }

    async fn complete(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StorageError> {
        if let Some(seen) = self.state().idempotency.get_mut(&(scope.to_owned(), key.to_owned())) {
            seen.answer = Some((status, body.to_owned()));
        }
        Ok(())
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StorageError> {
        self.state().idempotency.remove(&(scope.to_owned(), key.to_owned()));
        Ok(())
    }
}
