//! Flows: every revision with its lines and raw documents, one current per flow; the lines'
//! matches; the receipts matching reads.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use pagopa_domain::model::{
    FlowId, FlowKey, FlowLine, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch, LineOutcome,
    RawDocument, ReceiptId, StoredFlow,
};
use pagopa_domain::ports::{FlowCursor, FlowQuery, MAX_PAGE, Page};
use pagopa_domain::value::EnteId;

use super::key_columns;
use super::matches::MatchWrites;
use crate::db::{Backend, DbError, date_text, from_json, impl_for_both, to_json};
use crate::schema::{rec_flow_documents, rec_flow_lines, rec_flows};

/// Rows per multi-row statement: well under SQLite's bind limit at 15 columns.
const CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = rec_flow_lines)]
struct LineRow<'a> {
    ente: &'a str,
    psp: &'a str,
    flow_id: &'a str,
    revision: i64,
    line_index: i64,
    is_current: bool,
    iuv: &'a str,
    iur: &'a str,
    transfer_id: Option<i32>,
    amount_cents: i64,
    outcome: &'a str,
    outcome_date: String,
    match_kind: Option<&'a str>,
    receipt_id: Option<&'a str>,
    receipt_cents: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = rec_flows)]
pub(super) struct FlowRow {
    is_current: bool,
    status: String,
    credit_id: Option<i64>,
    summary: String,
    header: String,
}

impl FlowRow {
    pub(super) fn summary(&self) -> Result<FlowSummary, DbError> {
        let mut summary: FlowSummary = from_json(&self.summary)?;
        summary.current = self.is_current;
        summary.status =
            FlowStatus::parse(&self.status).ok_or_else(|| DbError::Corrupt(format!("flow status {}", self.status)))?;
        summary.credit_id = self.credit_id.map(|id| id as u64);
        Ok(summary)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = rec_flow_lines)]
struct StoredLine {
    line_index: i64,
    iuv: String,
    iur: String,
    transfer_id: Option<i32>,
    amount_cents: i64,
    outcome: String,
    outcome_date: String,
    match_kind: Option<String>,
    receipt_id: Option<String>,
    receipt_cents: Option<i64>,
}

fn corrupt(what: &str, value: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what} {value}"))
}

fn date(text: &str) -> Result<NaiveDate, DbError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("date", text))
}

impl StoredLine {
    fn into_parts(self) -> Result<(FlowLine, Option<LineMatch>), DbError> {
        let line = FlowLine {
            index: u32::try_from(self.line_index).map_err(|_| corrupt("line index", self.line_index))?,
            iuv: self.iuv,
            iur: self.iur,
            transfer_id: self
                .transfer_id
                .map(|id| u8::try_from(id).map_err(|_| corrupt("transfer id", id)))
                .transpose()?,
            amount_cents: self.amount_cents,
            outcome: LineOutcome::parse(&self.outcome).ok_or_else(|| corrupt("line outcome", &self.outcome))?,
            outcome_date: date(&self.outcome_date)?,
        };
        let receipt = || -> Result<ReceiptId, DbError> {
            let id = self.receipt_id.as_deref().unwrap_or_default();
            id.parse().map_err(|_| corrupt("matched receipt", id))
        };
        let found = match self.match_kind.as_deref() {
            None => None,
            Some("matched") => Some(LineMatch::Matched { receipt_id: receipt()? }),
            Some("amount_differs") => Some(LineMatch::AmountDiffers {
                receipt_id: receipt()?,
                receipt_cents: self.receipt_cents.unwrap_or_default(),
            }),
            Some("revoked") => Some(LineMatch::Revoked),
            Some("without_receipt") => Some(LineMatch::WithoutReceipt),
            Some("missing") => Some(LineMatch::Missing),
            Some("duplicate") => Some(LineMatch::Duplicate),
            Some("foreign_iuv") => Some(LineMatch::ForeignIuv),
            Some(other) => return Err(corrupt("line match", other)),
        };
        Ok((line, found))
    }
}

#[derive(QueryableByName)]
struct FlowRef {
    #[diesel(sql_type = Text)]
    psp: String,
    #[diesel(sql_type = Text)]
    flow_id: String,
}

pub(crate) trait FlowStore {
    fn store_flow(
        &mut self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, DbError>;
    fn load_flow(&mut self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, DbError>;
    fn flow_documents(&mut self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, DbError>;
    fn flow_revisions(&mut self, key: &FlowKey) -> Result<Vec<FlowSummary>, DbError>;
    fn flows(&mut self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, DbError>;
    fn save_flow_matching(
        &mut self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), DbError>;
    fn flows_awaiting_receipt(&mut self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, DbError>;
    fn current_flows(&mut self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, DbError>;
    fn flows_awaiting_credit(&mut self, ente: &EnteId, settled_before: NaiveDate) -> Result<Vec<FlowSummary>, DbError>;
}

impl_for_both!(FlowStore {
    fn store_flow(
        &mut self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, DbError> {
        let (ente, psp, flow_id) = key_columns(&flow.key);
        let revision = i64::from(flow.revision);
        self.write(|c| {
            let same = flow_rows!(rec_flows, &ente, &psp, &flow_id)
                .select(rec_flows::revision)
                .load::<i64>(c)?;
            if same.contains(&revision) {
                return Ok(FlowStored::AlreadyStored);
            }
            let current: Option<i64> = flow_rows!(rec_flows, &ente, &psp, &flow_id, current)
                .select(rec_flows::revision)
                .first(c)
                .optional()?;
            let becomes_current = current.is_none_or(|current| revision > current);
            if let (Some(current), true) = (current, becomes_current) {
                diesel::update(flow_rows!(rec_flows, &ente, &psp, &flow_id, revision = current))
                    .set((rec_flows::is_current.eq(false), rec_flows::status.eq(FlowStatus::Superseded.as_str())))
                    .execute(c)?;
                diesel::update(flow_rows!(rec_flow_lines, &ente, &psp, &flow_id, revision = current))
                    .set(rec_flow_lines::is_current.eq(false))
                    .execute(c)?;
            }
            let summary = FlowSummary::of(flow, origin, becomes_current, now);
            let header = FlowRevision {
                lines: Vec::new(),
                ..flow.clone()
            };
            diesel::insert_into(rec_flows::table)
                .values((
                    rec_flows::ente.eq(&ente),
                    rec_flows::psp.eq(&psp),
                    rec_flows::flow_id.eq(&flow_id),
                    rec_flows::revision.eq(revision),
                    rec_flows::is_current.eq(becomes_current),
                    rec_flows::status.eq(FlowStatus::Received.as_str()),
                    rec_flows::matched_status.eq(FlowStatus::Received.as_str()),
                    rec_flows::regulation_date.eq(date_text(flow.regulation_date)),
                    rec_flows::lines_count.eq(flow.lines.len() as i64),
                    rec_flows::summary.eq(to_json(&summary)?),
                    rec_flows::header.eq(to_json(&header)?),
                ))
                .execute(c)?;
            for chunk in flow.lines.chunks(CHUNK) {
                let rows: Vec<LineRow<'_>> = chunk
                    .iter()
                    .map(|line| LineRow {
                        ente: &ente,
                        psp: &psp,
                        flow_id: &flow_id,
                        revision,
                        line_index: i64::from(line.index),
                        is_current: becomes_current,
                        iuv: &line.iuv,
                        iur: &line.iur,
                        transfer_id: line.transfer_id.map(i32::from),
                        amount_cents: line.amount_cents,
                        outcome: line.outcome.as_str(),
                        outcome_date: date_text(line.outcome_date),
                        match_kind: None,
                        receipt_id: None,
                        receipt_cents: None,
                    })
                    .collect();
                diesel::insert_into(rec_flow_lines::table).values(&rows).execute(c)?;
            }
            for (seq, document) in raw.iter().enumerate() {
                diesel::insert_into(rec_flow_documents::table)
                    .values((
                        rec_flow_documents::ente.eq(&ente),
                        rec_flow_documents::psp.eq(&psp),
                        rec_flow_documents::flow_id.eq(&flow_id),
                        rec_flow_documents::revision.eq(revision),
                        rec_flow_documents::seq.eq(seq as i64),
                        rec_flow_documents::part.eq(&document.part),
                        rec_flow_documents::media_type.eq(&document.media_type),
                        rec_flow_documents::body.eq(&document.body),
                    ))
                    .execute(c)?;
            }
            Ok(match current {
                Some(current) if !becomes_current => FlowStored::Older {
                    current: u32::try_from(current).map_err(|_| corrupt("revision", current))?,
                },
                superseded => FlowStored::New {
                    superseded: superseded.map(|r| r as u32),
                },
            })
        })
    }

    fn load_flow(&mut self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, DbError> {
        let (ente, psp, flow_id) = key_columns(key);
        let mut select = flow_rows!(rec_flows, &ente, &psp, &flow_id)
            .select((FlowRow::as_select(), rec_flows::revision))
            .into_boxed();
        select = match revision {
            Some(revision) => select.filter(rec_flows::revision.eq(i64::from(revision))),
            None => select.filter(rec_flows::is_current.eq(true)),
        };
        let Some((row, revision)) = select.first::<(FlowRow, i64)>(self).optional()? else {
            return Ok(None);
        };
        let lines: Vec<StoredLine> = flow_rows!(rec_flow_lines, &ente, &psp, &flow_id, revision = revision)
            .order(rec_flow_lines::line_index)
            .select(StoredLine::as_select())
            .load(self)?;
        let mut flow: FlowRevision = from_json(&row.header)?;
        let mut matches = Vec::with_capacity(lines.len());
        let mut all_matched = true;
        for stored in lines {
            let (line, found) = stored.into_parts()?;
            flow.lines.push(line);
            match found {
                Some(found) => matches.push(found),
                None => all_matched = false,
            }
        }
        if !all_matched {
            matches.clear();
        }
        Ok(Some(StoredFlow {
            summary: row.summary()?,
            flow,
            matches,
        }))
    }

    fn flow_documents(&mut self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, DbError> {
        let (ente, psp, flow_id) = key_columns(key);
        let revision = i64::from(revision);
        let rows: Vec<(String, String, String)> =
            flow_rows!(rec_flow_documents, &ente, &psp, &flow_id, revision = revision)
                .order(rec_flow_documents::seq)
                .select((rec_flow_documents::part, rec_flow_documents::media_type, rec_flow_documents::body))
                .load(self)?;
        Ok(rows
            .into_iter()
            .map(|(part, media_type, body)| RawDocument { part, media_type, body })
            .collect())
    }

    fn flow_revisions(&mut self, key: &FlowKey) -> Result<Vec<FlowSummary>, DbError> {
        let (ente, psp, flow_id) = key_columns(key);
        let rows: Vec<FlowRow> = flow_rows!(rec_flows, &ente, &psp, &flow_id)
            .order(rec_flows::revision.desc())
            .select(FlowRow::as_select())
            .load(self)?;
        rows.iter().map(FlowRow::summary).collect()
    }

    fn flows(&mut self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, DbError> {
        let limit = query.limit.clamp(1, MAX_PAGE) as usize;
        let mut select = rec_flows::table.select(FlowRow::as_select()).into_boxed();
        if let Some(ente) = &query.ente {
            select = select.filter(rec_flows::ente.eq(ente.as_str().to_owned()));
        }
        if let Some(psp) = &query.psp {
            select = select.filter(rec_flows::psp.eq(psp.as_str().to_owned()));
        }
        if let Some(status) = query.status {
            select = select.filter(rec_flows::status.eq(status.as_str()));
        }
        if let Some(from) = query.from {
            select = select.filter(rec_flows::regulation_date.ge(date_text(from)));
        }
        if let Some(to) = query.to {
            select = select.filter(rec_flows::regulation_date.le(date_text(to)));
        }
        if query.current_only {
            select = select.filter(rec_flows::is_current.eq(true));
        }
        if let Some(after) = &query.after {
            let day = date_text(after.regulation_date);
            let (ente, psp, flow_id) = key_columns(&after.key);
            let revision = i64::from(after.revision);
            select = select.filter(
                rec_flows::regulation_date.lt(day.clone()).or(rec_flows::regulation_date.eq(day).and(
                    rec_flows::ente.gt(ente.clone()).or(rec_flows::ente.eq(ente).and(
                        rec_flows::psp.gt(psp.clone()).or(rec_flows::psp.eq(psp).and(
                            rec_flows::flow_id
                                .gt(flow_id.clone())
                                .or(rec_flows::flow_id.eq(flow_id).and(rec_flows::revision.gt(revision))),
                        )),
                    )),
                )),
            );
        }
        let rows: Vec<FlowRow> = select
            .order((
                rec_flows::regulation_date.desc(),
                rec_flows::ente,
                rec_flows::psp,
                rec_flows::flow_id,
                rec_flows::revision,
            ))
            .limit(limit as i64 + 1)
            .load(self)?;
        let items = rows.iter().map(FlowRow::summary).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, |s| FlowCursor {
            regulation_date: s.regulation_date,
            key: s.key.clone(),
            revision: s.revision,
        }))
    }

    fn save_flow_matching(
        &mut self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), DbError> {
        let (ente, psp, flow_id) = key_columns(key);
        let revision = i64::from(revision);
        self.write(|c| {
            let lines: i64 = flow_rows!(rec_flows, &ente, &psp, &flow_id, revision = revision)
                .select(rec_flows::lines_count)
                .first(c)
                .optional()?
                .ok_or_else(|| {
                    DbError::Port(pagopa_domain::ports::StorageError::NotFound(format!(
                        "flow {ente}/{psp}/{flow_id} revision {revision}"
                    )))
                })?;
            if lines != matches.len() as i64 {
                return Err(DbError::Port(pagopa_domain::ports::StorageError::Conflict(format!(
                    "flow {flow_id} revision {revision}: {} matches for {lines} lines",
                    matches.len()
                ))));
            }
            // The line indexes in order, to address each line.
            let indexes: Vec<i64> = flow_rows!(rec_flow_lines, &ente, &psp, &flow_id, revision = revision)
                .order(rec_flow_lines::line_index)
                .select(rec_flow_lines::line_index)
                .load(c)?;
            let pairs: Vec<(i64, &LineMatch)> = indexes.into_iter().zip(matches).collect();
            c.write_line_matches((&ente, &psp, &flow_id), revision, &pairs)?;
            diesel::update(flow_rows!(rec_flows, &ente, &psp, &flow_id, revision = revision))
                .set(rec_flows::status.eq(status.as_str()))
                .execute(c)?;
            if status != FlowStatus::Cashed {
                diesel::update(flow_rows!(rec_flows, &ente, &psp, &flow_id, revision = revision))
                    .set(rec_flows::matched_status.eq(status.as_str()))
                    .execute(c)?;
            }
            Ok(())
        })
    }

    fn flows_awaiting_receipt(&mut self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, DbError> {
        let rows: Vec<FlowRef> = diesel::sql_query(
            "SELECT DISTINCT psp, flow_id FROM rec_flow_lines \
             WHERE ente = $1 AND iur = $2 AND is_current AND receipt_id IS NULL ORDER BY psp, flow_id",
        )
        .bind::<Text, _>(ente.as_str())
        .bind::<Text, _>(iur.as_str())
        .load(self)?;
        rows.into_iter()
            .map(|row| {
                Ok(FlowKey {
                    ente: ente.clone(),
                    psp: row.psp.parse().map_err(|_| corrupt("PSP", &row.psp))?,
                    flow_id: row.flow_id.parse().map_err(|_| corrupt("flow id", &row.flow_id))?,
                })
            })
            .collect()
    }

    fn current_flows(&mut self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, DbError> {
        let mut found = Vec::new();
        for chunk in flow_ids.chunks(CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(FlowId::as_str).collect();
            let rows: Vec<FlowRow> = rec_flows::table
                .filter(rec_flows::ente.eq(ente.as_str()))
                .filter(rec_flows::is_current.eq(true))
                .filter(rec_flows::flow_id.eq_any(ids))
                .select(FlowRow::as_select())
                .load(self)?;
            for row in &rows {
                found.push(row.summary()?);
            }
        }
        Ok(found)
    }

    fn flows_awaiting_credit(&mut self, ente: &EnteId, settled_before: NaiveDate) -> Result<Vec<FlowSummary>, DbError> {
        let rows: Vec<FlowRow> = rec_flows::table
            .filter(rec_flows::ente.eq(ente.as_str()))
            .filter(rec_flows::is_current.eq(true))
            .filter(rec_flows::credit_id.is_null())
            .filter(rec_flows::lines_count.gt(0))
            .filter(rec_flows::regulation_date.lt(date_text(settled_before)))
            .order((rec_flows::regulation_date, rec_flows::psp, rec_flows::flow_id))
            .select(FlowRow::as_select())
            .load(self)?;
        rows.iter().map(FlowRow::summary).collect()
    }
});
