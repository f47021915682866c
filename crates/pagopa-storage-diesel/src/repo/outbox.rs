//! The outbox: messages leased with row locks, delivered at least once.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use pagopa_domain::ports::{MAX_PAGE, Outbox, OutboxQuery, Page, StorageError};
use pagopa_domain::{EnteId, OutboxEvent, OutboxMessage, OutboxState};

use crate::DieselStore;
use crate::db::{
    Backend, DbError, from_json, from_us, impl_for_both, to_json, to_us, with_conn, with_read_conn, with_write_conn,
};
use crate::schema::outbox;

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewMessage<'a> {
    dedup_key: String,
    ente: &'a str,
    event: String,
    attempts: i32,
    available_at_us: i64,
    created_at_us: i64,
    position_key: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct MessageRow {
    id: i64,
    event: String,
    attempts: i32,
    available_at_us: i64,
    created_at_us: i64,
    last_error: Option<String>,
    delivered_at_us: Option<i64>,
    dead_at_us: Option<i64>,
    retrying_since_us: Option<i64>,
    feed_seq: Option<i64>,
}

impl MessageRow {
    fn into_message(self) -> Result<OutboxMessage, DbError> {
        Ok(OutboxMessage {
            id: u64::try_from(self.id).map_err(|_| DbError::Corrupt(format!("outbox id {}", self.id)))?,
            event: from_json(&self.event)?,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            available_at: from_us(self.available_at_us)?,
            created_at: from_us(self.created_at_us)?,
            last_error: self.last_error,
            delivered_at: self.delivered_at_us.map(from_us).transpose()?,
            dead_at: self.dead_at_us.map(from_us).transpose()?,
            retrying_since: self.retrying_since_us.map(from_us).transpose()?,
            feed_seq: self
                .feed_seq
                .map(|s| u64::try_from(s).map_err(|_| DbError::Corrupt(format!("outbox feed_seq {s}"))))
                .transpose()?,
        })
    }
}

#[derive(QueryableByName)]
struct FeedSeq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Outbox operations on one connection.
pub(crate) trait OutboxStore {
    /// Inserts events, skipping those whose dedup key is present; call it inside the
    /// transaction of the change the events report.
    fn enqueue_events(&mut self, events: &[OutboxEvent], now: DateTime<Utc>) -> Result<(), DbError>;
    fn claim_messages(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, DbError>;
}

impl_for_both!(OutboxStore {
    fn enqueue_events(&mut self, events: &[OutboxEvent], now: DateTime<Utc>) -> Result<(), DbError> {
        // Enti in one order for every transaction, so two writers locking the feed counters
        // of the same Enti never deadlock; each Ente's events keep their order (stable sort).
        let mut ordered: Vec<&OutboxEvent> = events.iter().collect();
        ordered.sort_by(|a, b| a.ente().cmp(b.ente()));
        for event in ordered {
            let dedup_key = event.dedup_key();
            let row = NewMessage {
                dedup_key: dedup_key.clone(),
                ente: event.ente().as_str(),
                event: to_json(event)?,
                attempts: 0,
                available_at_us: to_us(now),
                created_at_us: to_us(now),
                position_key: event.position_key(),
            };
            let inserted = diesel::insert_into(outbox::table).values(&row).on_conflict_do_nothing().execute(self)?;
            if inserted == 0 {
                continue;
            }
            // The counter row stays locked until this transaction commits: the next writer
            // of this Ente gets the next number only after this one is visible.
            let seq: FeedSeq = diesel::sql_query(
                "INSERT INTO feed_counters (ente, last_seq) VALUES ($1, 1) \
                 ON CONFLICT (ente) DO UPDATE SET last_seq = feed_counters.last_seq + 1 RETURNING last_seq",
            )
            .bind::<diesel::sql_types::Text, _>(event.ente().as_str())
            .get_result(self)?;
            diesel::update(outbox::table.filter(outbox::dedup_key.eq(&dedup_key)))
                .set(outbox::feed_seq.eq(Some(seq.last_seq)))
                .execute(self)?;
        }
        Ok(())
    }

    fn claim_messages(&mut self, worker: &str, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<OutboxMessage>, DbError> {
        let now_us = to_us(now);
        let until = to_us(now + lease);
        self.write(|c| {
            // Candidates: undelivered, due, not leased (or leased by a worker whose lease ran
            // out), and first of their position: while an older message of the same position
            // is pending (due later, or in flight) the newer waits, so a position's messages
            // arrive in the order they were committed. A dead letter holds nothing up.
            let sql = format!(
                "SELECT id FROM outbox WHERE delivered_at_us IS NULL AND dead_at_us IS NULL AND available_at_us <= $1 \
                 AND (lease_until_us IS NULL OR lease_until_us <= $1) \
                 AND (position_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox AS older \
                      WHERE older.position_key = outbox.position_key AND older.feed_seq < outbox.feed_seq \
                      AND older.delivered_at_us IS NULL AND older.dead_at_us IS NULL)) \
                 ORDER BY id LIMIT {limit} {}",
                <Self as Backend>::SKIP_LOCKED
            );
            let ids: Vec<ClaimedId> = diesel::sql_query(sql).bind::<BigInt, _>(now_us).load(c)?;
            let ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((outbox::lease_owner.eq(worker), outbox::lease_until_us.eq(until)))
                .execute(c)?;
            let rows: Vec<MessageRow> = outbox::table
                .filter(outbox::id.eq_any(&ids))
                .order(outbox::id)
                .select(MessageRow::as_select())
                .load(c)?;
            rows.into_iter().map(MessageRow::into_message).collect()
        })
    }
});

/// The filters of an [`OutboxQuery`] (state, Ente, creation dates, the `after` cursor) on a
/// boxed select of the outbox; a macro since the boxed query's type differs per backend.
macro_rules! filtered {
    ($select:expr, $query:expr) => {{
        let query: &OutboxQuery = $query;
        let mut select = $select;
        match query.state {
            Some(OutboxState::Pending) => {
                select = select
                    .filter(outbox::delivered_at_us.is_null())
                    .filter(outbox::dead_at_us.is_null())
            }
            Some(OutboxState::Delivered) => {
                select = select
                    .filter(outbox::delivered_at_us.is_not_null())
                    .filter(outbox::dead_at_us.is_null())
            }
            Some(OutboxState::Dead) => select = select.filter(outbox::dead_at_us.is_not_null()),
            None => {}
        }
        if let Some(ente) = &query.ente {
            select = select.filter(outbox::ente.eq(ente.as_str().to_owned()));
        }
        if let Some(from) = query.created_from {
            select = select.filter(outbox::created_at_us.ge(to_us(from)));
        }
        if let Some(before) = query.created_before {
            select = select.filter(outbox::created_at_us.lt(to_us(before)));
        }
        if let Some(after) = query.after {
            // Ids are positive 63-bit integers: past the largest, nothing is after.
            select = select.filter(outbox::id.gt(i64::try_from(after).unwrap_or(i64::MAX)));
        }
        select
    }};
}

/// The columns an operator's replay sets: available now, with a fresh delivery budget.
#[allow(clippy::type_complexity)]
fn replayed(
    now: DateTime<Utc>,
) -> (
    diesel::dsl::Eq<outbox::delivered_at_us, Option<i64>>,
    diesel::dsl::Eq<outbox::dead_at_us, Option<i64>>,
    diesel::dsl::Eq<outbox::attempts, i32>,
    diesel::dsl::Eq<outbox::retrying_since_us, Option<i64>>,
    diesel::dsl::Eq<outbox::available_at_us, i64>,
    diesel::dsl::Eq<outbox::lease_owner, Option<String>>,
    diesel::dsl::Eq<outbox::lease_until_us, Option<i64>>,
) {
    (
        outbox::delivered_at_us.eq(None::<i64>),
        outbox::dead_at_us.eq(None::<i64>),
        outbox::attempts.eq(0),
        outbox::retrying_since_us.eq(Some(to_us(now))),
        outbox::available_at_us.eq(to_us(now)),
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until_us.eq(None::<i64>),
    )
}

/// `NotFound` when an update touched no message.
fn exists(changed: usize, id: u64) -> Result<(), DbError> {
    if changed == 0 {
        Err(StorageError::NotFound(format!("outbox message {id}")).into())
    } else {
        Ok(())
    }
}

fn db_id(id: u64) -> Result<i64, DbError> {
    i64::try_from(id).map_err(|_| StorageError::NotFound(format!("outbox message {id}")).into())
}

#[async_trait]
impl Outbox for DieselStore {
    async fn enqueue(&self, events: &[OutboxEvent], now: DateTime<Utc>) -> Result<(), StorageError> {
        let events = events.to_vec();
        with_write_conn!(self, |conn| { conn.write(|c| c.enqueue_events(&events, now)) })
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StorageError> {
        let worker = worker.to_owned();
        with_write_conn!(self, |conn| { conn.claim_messages(&worker, now, lease, limit) })
    }

    async fn acknowledge(&self, id: u64, worker: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
        let worker = worker.to_owned();
        with_write_conn!(self, |conn| {
            let changed = diesel::update(outbox::table.find(db_id(id)?))
                .filter(outbox::lease_owner.eq(&worker))
                .set((
                    outbox::delivered_at_us.eq(Some(to_us(now))),
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::lease_owner.eq(None::<String>),
                    outbox::lease_until_us.eq(None::<i64>),
                ))
                .execute(conn)?;
            if changed == 0 {
                return Err(conn.lease_lost(id));
            }
            Ok(())
        })
    }

    async fn reschedule(
        &self,
        id: u64,
        worker: &str,
        error: &str,
        available_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let error: String = error.chars().take(2000).collect();
        let worker = worker.to_owned();
        with_write_conn!(self, |conn| {
            let changed = diesel::update(outbox::table.find(db_id(id)?))
                .filter(outbox::lease_owner.eq(&worker))
                .set((
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::last_error.eq(Some(&error)),
                    outbox::available_at_us.eq(to_us(available_at)),
                    outbox::lease_owner.eq(None::<String>),
                    outbox::lease_until_us.eq(None::<i64>),
                ))
                .execute(conn)?;
            if changed == 0 {
                return Err(conn.lease_lost(id));
            }
            Ok(())
        })
    }

    async fn dead_letter(&self, id: u64, worker: &str, error: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
        let error: String = error.chars().take(2000).collect();
        let worker = worker.to_owned();
        with_write_conn!(self, |conn| {
            let changed = diesel::update(outbox::table.find(db_id(id)?))
                .filter(outbox::lease_owner.eq(&worker))
                .set((
                    outbox::attempts.eq(outbox::attempts + 1),
                    outbox::last_error.eq(Some(&error)),
                    outbox::dead_at_us.eq(Some(to_us(now))),
                    outbox::lease_owner.eq(None::<String>),
                    outbox::lease_until_us.eq(None::<i64>),
                ))
                .execute(conn)?;
            if changed == 0 {
                return Err(conn.lease_lost(id));
            }
            Ok(())
        })
    }

    async fn replay(&self, id: u64, now: DateTime<Utc>) -> Result<(), StorageError> {
        with_write_conn!(self, |conn| {
            let changed = diesel::update(outbox::table.find(db_id(id)?))
                .set(replayed(now))
                .execute(conn)?;
            exists(changed, id)
        })
    }

    async fn replay_matching(&self, query: &OutboxQuery, now: DateTime<Utc>) -> Result<u64, StorageError> {
        let query = query.clone();
        let limit = i64::try_from(query.page_size()).unwrap_or(i64::MAX);
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                let select = filtered!(outbox::table.select(outbox::id).into_boxed(), &query);
                let ids: Vec<i64> = select.order(outbox::id).limit(limit).load(c)?;
                if ids.is_empty() {
                    return Ok(0);
                }
                let changed = diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                    .set(replayed(now))
                    .execute(c)?;
                Ok(u64::try_from(changed).unwrap_or_default())
            })
        })
    }

    async fn list(&self, query: &OutboxQuery) -> Result<Page<OutboxMessage, u64>, StorageError> {
        let query = query.clone();
        let limit = query.page_size();
        with_read_conn!(self, |conn| {
            let select = filtered!(outbox::table.select(MessageRow::as_select()).into_boxed(), &query);
            let rows: Vec<MessageRow> = select
                .order(outbox::id)
                .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                .load(conn)?;
            let items = rows
                .into_iter()
                .map(MessageRow::into_message)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, limit, |m| m.id))
        })
    }

    async fn feed(&self, ente: &EnteId, after: u64, limit: u32) -> Result<Vec<OutboxMessage>, StorageError> {
        let ente = ente.as_str().to_owned();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::from(limit.clamp(1, MAX_PAGE));
        with_read_conn!(self, |conn| {
            let rows: Vec<MessageRow> = outbox::table
                .filter(outbox::ente.eq(&ente))
                .filter(outbox::feed_seq.gt(after))
                .order(outbox::feed_seq)
                .limit(limit)
                .select(MessageRow::as_select())
                .load(conn)?;
            rows.into_iter().map(MessageRow::into_message).collect()
        })
    }

    async fn dead_letters(&self) -> Result<u64, StorageError> {
        with_conn!(self, |conn| {
            let count: i64 = outbox::table
                .filter(outbox::dead_at_us.is_not_null())
                .count()
                .get_result(conn)?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
    }

    async fn get(&self, id: u64) -> Result<Option<OutboxMessage>, StorageError> {
        with_conn!(self, |conn| {
            let row: Option<MessageRow> = outbox::table
                .find(db_id(id)?)
                .select(MessageRow::as_select())
                .first(conn)
                .optional()?;
            row.map(MessageRow::into_message).transpose()
        })
    }

    async fn prune_delivered(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, StorageError> {
        with_write_conn!(self, |conn| {
            let ids: Vec<i64> = outbox::table
                .select(outbox::id)
                .filter(outbox::delivered_at_us.lt(to_us(before)))
                .filter(outbox::dead_at_us.is_null())
                .order(outbox::delivered_at_us)
                .limit(i64::from(limit))
                .load(conn)?;
            let deleted = diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids))).execute(conn)?;
            Ok(u64::try_from(deleted).unwrap_or_default())
        })
    }

    async fn backlog(&self) -> Result<u64, StorageError> {
        with_conn!(self, |conn| {
            let count: i64 = outbox::table
                .filter(outbox::delivered_at_us.is_null())
                .filter(outbox::dead_at_us.is_null())
                .count()
                .get_result(conn)?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
    }
}

/// Why an acknowledgement or a reschedule changed no row.
trait LeaseLost {
    /// Unknown (`NotFound`), or leased to someone else or to nobody (`Conflict`).
    fn lease_lost(&mut self, id: u64) -> DbError;
}

impl_for_both!(LeaseLost {
    fn lease_lost(&mut self, id: u64) -> DbError {
        let known = db_id(id).and_then(|key| Ok(outbox::table.filter(outbox::id.eq(key)).count().get_result::<i64>(self)?));
        match known {
            Ok(0) => StorageError::NotFound(format!("outbox message {id}")).into(),
            Ok(_) => StorageError::Conflict(format!("the lease of outbox message {id}")).into(),
            Err(error) => error,
        }
    }
});
