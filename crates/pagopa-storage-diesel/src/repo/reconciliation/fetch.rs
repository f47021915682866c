//! Each Ente's scheduled fetch: its cursor, when it is due, its failures, and the lease that
//! keeps it to one instance at a time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pagopa_domain::model::FetchState;
use pagopa_domain::value::EnteId;

use crate::db::{Backend, DbError, from_us, impl_for_both, to_us};
use crate::schema::rec_fetch;

#[derive(Queryable, Selectable)]
#[diesel(table_name = rec_fetch)]
struct Row {
    ente: String,
    cursor_us: Option<i64>,
    next_at_us: i64,
    failures: i64,
    last_error: Option<String>,
    last_success_us: Option<i64>,
}

impl Row {
    fn into_state(self) -> Result<FetchState, DbError> {
        Ok(FetchState {
            ente: self
                .ente
                .parse()
                .map_err(|_| DbError::Corrupt(format!("fetch Ente {}", self.ente)))?,
            cursor: self.cursor_us.map(from_us).transpose()?,
            next_at: from_us(self.next_at_us)?,
            failures: u32::try_from(self.failures).unwrap_or(u32::MAX),
            last_error: self.last_error,
            last_success: self.last_success_us.map(from_us).transpose()?,
        })
    }
}

pub(crate) trait FetchStore {
    fn claim_fetch(
        &mut self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, DbError>;
    fn finish_fetch(&mut self, state: &FetchState, worker: &str) -> Result<bool, DbError>;
    fn fetch_state(&mut self, ente: &EnteId) -> Result<Option<FetchState>, DbError>;
}

impl_for_both!(FetchStore {
    fn claim_fetch(
        &mut self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, DbError> {
        let ente = ente.as_str().to_owned();
        let now = to_us(now);
        self.write(|c| {
            diesel::insert_into(rec_fetch::table)
                .values((
                    rec_fetch::ente.eq(&ente),
                    rec_fetch::next_at_us.eq(now),
                    rec_fetch::failures.eq(0),
                ))
                .on_conflict_do_nothing()
                .execute(c)?;
            let target = rec_fetch::table
                .filter(rec_fetch::ente.eq(&ente))
                .filter(rec_fetch::lease_until_us.is_null().or(rec_fetch::lease_until_us.le(now)));
            let claimed = if force {
                diesel::update(target)
                    .set((rec_fetch::lease_owner.eq(worker), rec_fetch::lease_until_us.eq(to_us(until))))
                    .execute(c)?
            } else {
                diesel::update(target.filter(rec_fetch::next_at_us.le(now)))
                    .set((rec_fetch::lease_owner.eq(worker), rec_fetch::lease_until_us.eq(to_us(until))))
                    .execute(c)?
            };
            if claimed == 0 {
                return Ok(None);
            }
            let row: Row = rec_fetch::table
                .filter(rec_fetch::ente.eq(&ente))
                .select(Row::as_select())
                .first(c)?;
            row.into_state().map(Some)
        })
    }

    fn finish_fetch(&mut self, state: &FetchState, worker: &str) -> Result<bool, DbError> {
        let state = state.clone();
        self.write(|c| {
            let done = diesel::update(
                rec_fetch::table
                    .filter(rec_fetch::ente.eq(state.ente.as_str()))
                    .filter(rec_fetch::lease_owner.eq(worker)),
            )
            .set((
                rec_fetch::cursor_us.eq(state.cursor.map(to_us)),
                rec_fetch::next_at_us.eq(to_us(state.next_at)),
                rec_fetch::failures.eq(i64::from(state.failures)),
                rec_fetch::last_error.eq(state.last_error.as_deref()),
                rec_fetch::last_success_us.eq(state.last_success.map(to_us)),
                rec_fetch::lease_owner.eq(None::<String>),
                rec_fetch::lease_until_us.eq(None::<i64>),
            ))
            .execute(c)?;
            Ok(done == 1)
        })
    }

    fn fetch_state(&mut self, ente: &EnteId) -> Result<Option<FetchState>, DbError> {
        let row: Option<Row> = rec_fetch::table
            .filter(rec_fetch::ente.eq(ente.as_str()))
            .select(Row::as_select())
            .first(self)
            .optional()?;
        row.map(Row::into_state).transpose()
    }
});
