//! Idempotency keys: claimed with an insert that only one of concurrent claims wins.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use pagopa_domain::ports::{IdempotencyClaim, IdempotencyStore, StorageError};

use crate::DieselStore;
use crate::db::{Backend, DbError, impl_for_both, to_us, with_write_conn};
use crate::schema::idempotency_keys as keys;

trait IdempotencyWrites {
    fn claim_key(
        &mut self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: i64,
        oldest: i64,
        abandoned: i64,
    ) -> Result<IdempotencyClaim, DbError>;
}

impl_for_both!(IdempotencyWrites {
    fn claim_key(&mut self, scope: &str, key: &str, fingerprint: &str, now: i64, oldest: i64, abandoned: i64)
    -> Result<IdempotencyClaim, DbError> {
        // Keys past their lifetime are forgotten (the index on the creation time keeps this
        // cheap), so the table holds about a day of keys.
        diesel::delete(keys::table.filter(keys::created_at_us.lt(oldest))).execute(self)?;
        let inserted = diesel::insert_into(keys::table)
            .values((
                keys::scope.eq(scope),
                keys::key.eq(key),
                keys::fingerprint.eq(fingerprint),
                keys::created_at_us.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(self)?;
        if inserted == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        // A claim never answered, whose process died: taken over, under the row's lock.
        let taken = diesel::update(keys::table.find((scope, key)))
            .filter(keys::status.is_null())
            .filter(keys::created_at_us.lt(abandoned))
            .set((keys::fingerprint.eq(fingerprint), keys::created_at_us.eq(now)))
            .execute(self)?;
        if taken == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        let (fingerprint, status, body): (String, Option<i32>, Option<String>) = keys::table
            .find((scope, key))
            .select((keys::fingerprint, keys::status, keys::body))
            .first(self)?;
        Ok(match (status, body) {
            (Some(status), Some(body)) => IdempotencyClaim::Done {
                fingerprint,
                status: u16::try_from(status).map_err(|_| DbError::Corrupt(format!("HTTP status {status}")))?,
                body,
            },
            _ => IdempotencyClaim::InProgress { fingerprint },
        })
    }
});

#[async_trait]
impl IdempotencyStore for DieselStore {
    async fn claim(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<IdempotencyClaim, StorageError> {
        let (scope, key, fingerprint) = (scope.to_owned(), key.to_owned(), fingerprint.to_owned());
        let (oldest, abandoned) = (to_us(now - lifetime), to_us(now - abandoned_after));
        let now = to_us(now);
        with_write_conn!(self, |conn| {
            conn.write(|c| c.claim_key(&scope, &key, &fingerprint, now, oldest, abandoned))
        })
    }

    async fn complete(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StorageError> {
        let (scope, key, body) = (scope.to_owned(), key.to_owned(), body.to_owned());
        with_write_conn!(self, |conn| {
            diesel::update(keys::table.find((&scope, &key)))
                .set((keys::status.eq(i32::from(status)), keys::body.eq(&body)))
                .execute(conn)?;
            Ok(())
        })
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StorageError> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        with_write_conn!(self, |conn| {
            diesel::delete(keys::table.find((&scope, &key))).execute(conn)?;
            Ok(())
        })
    }
}
