//! Time, identifiers and IUV allocation.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StorageError;
use crate::model::CartId;
use crate::value::{EnteId, NoticeLayout};

/// The current time. Services never read the system clock themselves, so tests can move time.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Today on the Italian calendar (Europe/Rome, summer time included): the day due dates,
    /// expiry and spontaneous due dates are decided on.
    fn today(&self) -> NaiveDate {
        crate::model::calendar::italian_date(self.now())
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(std::time::SystemTime::now())
    }
}

/// Fresh identifiers for what we create.
pub trait IdGenerator: Send + Sync {
    /// A new cart id, never given before (a random UUID in production).
    fn cart_id(&self) -> CartId;
    /// A new import id, never given before.
    fn import_id(&self) -> crate::model::ImportId;
}

/// Hands out IUV bases.
///
/// Error contract: a base is returned at most once per Ente and layout, even across processes
/// sharing the storage and across restarts; a failure returns [`StorageError`] and consumes
/// nothing the caller relies on (a gap in the sequence is allowed, a repeat never).
#[async_trait]
pub trait IuvAllocator: Send + Sync {
    /// The next unused IUV base of `ente` in `layout`, starting from 1. The caller turns it into
    /// a notice number and refuses bases past the layout's maximum.
    async fn next_base(&self, ente: &EnteId, layout: NoticeLayout) -> Result<u64, StorageError>;

    /// `count` unused bases at once (bulk loads), in increasing order; the same contract as
    /// [`IuvAllocator::next_base`]. The default asks one by one; adapters take a range.
    async fn next_bases(&self, ente: &EnteId, layout: NoticeLayout, count: u64) -> Result<Vec<u64>, StorageError> {
        let mut bases = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for _ in 0..count {
            bases.push(self.next_base(ente, layout).await?);
        }
        Ok(bases)
    }
}
