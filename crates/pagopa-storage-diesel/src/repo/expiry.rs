//! Expiry by time: the due positions are claimed with row locks (`SKIP LOCKED` on PostgreSQL,
//! the single writer on SQLite), expired by the domain's rule and notified in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use pagopa_domain::{DebtPosition, ExpiryNotification, OutboxEvent};

use super::{OutboxStore, PositionStore};
use crate::db::{Backend, DbError, date_text, impl_for_both};

#[derive(QueryableByName)]
struct DueKey {
    #[diesel(sql_type = Text)]
    ente: String,
    #[diesel(sql_type = Text)]
    iupd: String,
}

/// Expiry on one connection.
pub(crate) trait ExpiryStore {
    /// Expires up to `limit` due positions in one transaction; see
    /// [`PositionRepository::expire_due`](pagopa_domain::ports::PositionRepository::expire_due).
    fn expire_due_positions(
        &mut self,
        today: NaiveDate,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DebtPosition>, DbError>;
}

impl_for_both!(ExpiryStore {
    fn expire_due_positions(&mut self, today: NaiveDate, now: DateTime<Utc>, limit: u32) -> Result<Vec<DebtPosition>, DbError> {
        self.write(|c| {
            // Rows another instance has locked are skipped: it is expiring them right now.
            let sql = format!(
                "SELECT ente, iupd FROM positions WHERE status = 'valid' AND expires_on IS NOT NULL \
                 AND expires_on <= $1 ORDER BY expires_on, ente, iupd LIMIT {limit} {}",
                <Self as Backend>::SKIP_LOCKED
            );
            let due: Vec<DueKey> = diesel::sql_query(sql).bind::<Text, _>(date_text(today)).load(c)?;
            let mut expired = Vec::with_capacity(due.len());
            for key in due {
                let Some(mut position) = c.load_position(&key.ente, &key.iupd)? else {
                    continue;
                };
                // The domain decides; the column only narrows the search.
                if !position.expire_if_due(today, now) {
                    continue;
                }
                let Some(notification) = ExpiryNotification::of(&position, now) else {
                    continue;
                };
                let stored = c.update_position(&position, now)?;
                c.enqueue_events(&[OutboxEvent::PositionExpired(notification)], now)?;
                expired.push(stored);
            }
            Ok(expired)
        })
    }
});
