//! The anomalies work list: each matching pass's findings replace the pass's previous ones
//! (ADR 0009), an operator's resolution is kept and audited.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use pagopa_domain::model::{Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalyStatus, AnomalySync, Resolution};
use pagopa_domain::ports::{AnomalyQuery, MAX_PAGE, Page};
use pagopa_domain::value::EnteId;

use crate::db::{Backend, DbError, date_text, from_json, from_us, impl_for_both, to_json, to_us};
use crate::repo::audit::{Audit, SettingsChange};
use crate::schema::rec_anomalies;

/// Anomalies per multi-row statement (12 binds each).
const CHUNK: usize = 400;

#[derive(Queryable, Selectable)]
#[diesel(table_name = rec_anomalies)]
struct Row {
    id: i64,
    ente: String,
    scope: String,
    code: String,
    akey: String,
    day: String,
    psp: Option<String>,
    amount_cents: Option<i64>,
    links: String,
    detail: String,
    status: String,
    first_seen_us: i64,
    last_seen_us: i64,
    resolved_by: Option<String>,
    resolved_at_us: Option<i64>,
    note: Option<String>,
}

fn corrupt(what: &str, value: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what} {value}"))
}

impl Row {
    fn into_anomaly(self) -> Result<Anomaly, DbError> {
        let resolution = match (self.resolved_by, self.resolved_at_us, self.note) {
            (Some(by), Some(at), Some(note)) => Some(Resolution {
                by,
                at: from_us(at)?,
                note,
            }),
            _ => None,
        };
        Ok(Anomaly {
            id: self.id as u64,
            ente: self.ente.parse().map_err(|_| corrupt("anomaly Ente", &self.ente))?,
            scope: self.scope,
            draft: AnomalyDraft {
                code: AnomalyCode::parse(&self.code).ok_or_else(|| corrupt("anomaly code", &self.code))?,
                key: self.akey,
                day: NaiveDate::parse_from_str(&self.day, "%Y-%m-%d").map_err(|_| corrupt("anomaly day", &self.day))?,
                psp: self
                    .psp
                    .map(|psp| psp.parse().map_err(|_| corrupt("anomaly PSP", &psp)))
                    .transpose()?,
                amount_cents: self.amount_cents,
                links: from_json(&self.links)?,
                detail: self.detail,
            },
            status: AnomalyStatus::parse(&self.status).ok_or_else(|| corrupt("anomaly status", &self.status))?,
            first_seen: from_us(self.first_seen_us)?,
            last_seen: from_us(self.last_seen_us)?,
            resolution,
        })
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) trait AnomalyStore {
    fn sync_anomalies(
        &mut self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, DbError>;
    fn anomalies(&mut self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, DbError>;
    fn anomaly(&mut self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, DbError>;
    fn resolve_anomaly(
        &mut self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, DbError>;
    fn anomaly_counts(
        &mut self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, DbError>;
}

impl_for_both!(AnomalyStore {
    fn sync_anomalies(
        &mut self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, DbError> {
        let scope = scope.key();
        let ente = ente.as_str().to_owned();
        self.write(|c| {
            let before: Vec<(String, String, String, i64)> = rec_anomalies::table
                .filter(rec_anomalies::ente.eq(&ente))
                .filter(rec_anomalies::scope.eq(&scope))
                .select((rec_anomalies::code, rec_anomalies::akey, rec_anomalies::status, rec_anomalies::sync_gen))
                .load(c)?;
            let generation = before.iter().map(|(_, _, _, generation)| *generation).max().unwrap_or(0) + 1;
            let known: HashMap<(&str, &str), &str> = before
                .iter()
                .map(|(code, key, status, _)| ((code.as_str(), key.as_str()), status.as_str()))
                .collect();
            // Findings not of this scope may be stored under another (a finding that moves).
            let unknown: Vec<&str> = found
                .iter()
                .filter(|draft| !known.contains_key(&(draft.code.as_str(), draft.key.as_str())))
                .map(|draft| draft.key.as_str())
                .collect();
            let mut elsewhere: Vec<(String, String, String)> = Vec::new();
            for chunk in unknown.chunks(CHUNK) {
                elsewhere.extend(
                    rec_anomalies::table
                        .filter(rec_anomalies::ente.eq(&ente))
                        .filter(rec_anomalies::akey.eq_any(chunk))
                        .select((rec_anomalies::code, rec_anomalies::akey, rec_anomalies::status))
                        .load::<(String, String, String)>(c)?,
                );
            }
            let elsewhere: HashMap<(&str, &str), &str> = elsewhere
                .iter()
                .map(|(code, key, status)| ((code.as_str(), key.as_str()), status.as_str()))
                .collect();
            let mut sync = AnomalySync::default();
            for draft in found {
                let id = (draft.code.as_str(), draft.key.as_str());
                match known.get(&id).or_else(|| elsewhere.get(&id)) {
                    Some(status) if *status != AnomalyStatus::Cleared.as_str() => sync.kept += 1,
                    _ => sync.opened += 1,
                }
            }
            let at = to_us(now);
            for chunk in found.chunks(CHUNK) {
                let mut rows = Vec::with_capacity(chunk.len());
                for n in 0..chunk.len() {
                    let b = n * 10;
                    rows.push(format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, CAST(${} AS BIGINT), ${}, ${}, 'open', ${}, ${}, {generation})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9,
                        b + 10,
                        b + 10,
                    ));
                }
                let sql = format!(
                    "INSERT INTO rec_anomalies (ente, scope, code, akey, day, psp, amount_cents, links, detail, status, \
                     first_seen_us, last_seen_us, sync_gen) VALUES {} \
                     ON CONFLICT (ente, code, akey) DO UPDATE SET scope = excluded.scope, day = excluded.day, \
                     psp = excluded.psp, amount_cents = excluded.amount_cents, links = excluded.links, \
                     detail = excluded.detail, last_seen_us = excluded.last_seen_us, sync_gen = excluded.sync_gen, \
                     status = CASE WHEN rec_anomalies.status = 'cleared' THEN 'open' ELSE rec_anomalies.status END, \
                     resolved_by = CASE WHEN rec_anomalies.status = 'cleared' THEN NULL ELSE rec_anomalies.resolved_by END, \
                     resolved_at_us = CASE WHEN rec_anomalies.status = 'cleared' THEN NULL ELSE rec_anomalies.resolved_at_us END, \
                     note = CASE WHEN rec_anomalies.status = 'cleared' THEN NULL ELSE rec_anomalies.note END",
                    rows.join(", ")
                );
                let mut insert = diesel::sql_query(sql).into_boxed::<<Self as diesel::Connection>::Backend>();
                for draft in chunk {
                    insert = insert
                        .bind::<Text, _>(ente.clone())
                        .bind::<Text, _>(scope.clone())
                        .bind::<Text, _>(draft.code.as_str())
                        .bind::<Text, _>(draft.key.clone())
                        .bind::<Text, _>(date_text(draft.day))
                        .bind::<Nullable<Text>, _>(draft.psp.as_ref().map(|psp| psp.as_str().to_owned()))
                        .bind::<Nullable<BigInt>, _>(draft.amount_cents)
                        .bind::<Text, _>(to_json(&draft.links)?)
                        .bind::<Text, _>(draft.detail.clone())
                        .bind::<BigInt, _>(at);
                }
                insert.execute(c)?;
            }
            let cleared = diesel::update(
                rec_anomalies::table
                    .filter(rec_anomalies::ente.eq(&ente))
                    .filter(rec_anomalies::scope.eq(&scope))
                    .filter(rec_anomalies::status.eq(AnomalyStatus::Open.as_str()))
                    .filter(rec_anomalies::sync_gen.lt(generation)),
            )
            .set((
                rec_anomalies::status.eq(AnomalyStatus::Cleared.as_str()),
                rec_anomalies::last_seen_us.eq(at),
            ))
            .execute(c)?;
            sync.cleared = cleared as u64;
            Ok(sync)
        })
    }

    fn anomalies(&mut self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, DbError> {
        let limit = query.limit.clamp(1, MAX_PAGE) as usize;
        let mut select = rec_anomalies::table.select(Row::as_select()).into_boxed();
        if let Some(ente) = &query.ente {
            select = select.filter(rec_anomalies::ente.eq(ente.as_str().to_owned()));
        }
        if let Some(code) = query.code {
            select = select.filter(rec_anomalies::code.eq(code.as_str()));
        }
        if let Some(status) = query.status {
            select = select.filter(rec_anomalies::status.eq(status.as_str()));
        }
        if let Some(from) = query.from {
            select = select.filter(rec_anomalies::day.ge(date_text(from)));
        }
        if let Some(to) = query.to {
            select = select.filter(rec_anomalies::day.le(date_text(to)));
        }
        if let Some(psp) = &query.psp {
            select = select.filter(rec_anomalies::psp.eq(psp.as_str().to_owned()));
        }
        if let Some(after) = query.after {
            select = select.filter(rec_anomalies::id.gt(after as i64));
        }
        let rows: Vec<Row> = select.order(rec_anomalies::id).limit(limit as i64 + 1).load(self)?;
        let items = rows.into_iter().map(Row::into_anomaly).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, |anomaly| anomaly.id))
    }

    fn anomaly(&mut self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, DbError> {
        let row: Option<Row> = rec_anomalies::table
            .filter(rec_anomalies::ente.eq(ente.as_str()))
            .filter(rec_anomalies::id.eq(id as i64))
            .select(Row::as_select())
            .first(self)
            .optional()?;
        row.map(Row::into_anomaly).transpose()
    }

    fn resolve_anomaly(
        &mut self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, DbError> {
        self.write(|c| {
            let Some(before) = c.anomaly(ente, id)? else {
                return Ok(None);
            };
            diesel::update(rec_anomalies::table.filter(rec_anomalies::id.eq(id as i64)))
                .set((
                    rec_anomalies::status.eq(AnomalyStatus::Resolved.as_str()),
                    rec_anomalies::resolved_by.eq(actor),
                    rec_anomalies::resolved_at_us.eq(to_us(now)),
                    rec_anomalies::note.eq(note),
                ))
                .execute(c)?;
            let after = c
                .anomaly(ente, id)?
                .ok_or_else(|| DbError::Corrupt("an anomaly vanished inside its transaction".into()))?;
            let key = format!("{ente}/{id}");
            c.audit_settings(
                now,
                SettingsChange {
                    entity: "anomaly",
                    key: &key,
                    action: "resolved",
                    actor,
                    before: Some(&to_json(&before)?),
                    after: Some(&to_json(&after)?),
                },
            )?;
            Ok(Some(after))
        })
    }

    fn anomaly_counts(
        &mut self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, DbError> {
        let rows: Vec<Count> = diesel::sql_query(
            "SELECT day, code, COUNT(*) AS n FROM rec_anomalies WHERE ente = $1 AND status = 'open' \
             AND day >= $2 AND day <= $3 GROUP BY day, code ORDER BY day, code",
        )
        .bind::<Text, _>(ente.as_str())
        .bind::<Text, _>(date_text(from))
        .bind::<Text, _>(date_text(to))
        .load(self)?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    NaiveDate::parse_from_str(&row.day, "%Y-%m-%d").map_err(|_| corrupt("anomaly day", &row.day))?,
                    AnomalyCode::parse(&row.code).ok_or_else(|| corrupt("anomaly code", &row.code))?,
                    row.n as u64,
                ))
            })
            .collect()
    }
});
