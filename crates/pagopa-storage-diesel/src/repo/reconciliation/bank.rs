//! Bank statements and their credits, and what each credit matched (a flow it marks cashed).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pagopa_domain::model::{
    BankStatement, CreditMatch, CreditReference, FlowId, FlowStatus, StatementStored, StatementSummary, StoredCredit,
};
use pagopa_domain::ports::{CreditQuery, MAX_PAGE, Page};
use pagopa_domain::value::EnteId;

use super::{LastInsertId, key_columns};
use crate::db::{Backend, DbError, from_json, impl_for_both, to_json};
use crate::schema::{rec_credits, rec_flows, rec_statements};

#[derive(Queryable, Selectable)]
#[diesel(table_name = rec_credits)]
struct CreditRow {
    id: i64,
    statement: i64,
    ente: String,
    matched: String,
    credit: String,
}

impl CreditRow {
    fn into_credit(self) -> Result<StoredCredit, DbError> {
        let credit: pagopa_domain::model::BankCredit = from_json(&self.credit)?;
        Ok(StoredCredit {
            id: self.id as u64,
            statement: self.statement as u64,
            ente: self
                .ente
                .parse()
                .map_err(|_| DbError::Corrupt(format!("credit Ente {}", self.ente)))?,
            reference: CreditReference::parse(&credit.remittance),
            matched: from_json(&self.matched)?,
            credit,
        })
    }
}

fn reference_columns(reference: &CreditReference) -> (&'static str, Option<String>) {
    match reference {
        CreditReference::Flow(id) => ("flow", Some(id.as_str().to_owned())),
        CreditReference::Iuv(iuv) => ("iuv", Some(iuv.clone())),
        CreditReference::None => ("none", None),
    }
}

pub(crate) trait BankStore {
    fn store_statement(
        &mut self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, DbError>;
    fn statements(&mut self, ente: &EnteId) -> Result<Vec<StatementSummary>, DbError>;
    fn credits(&mut self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, DbError>;
    fn credits_for_flows(&mut self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, DbError>;
    fn save_credit_matches(&mut self, ente: &EnteId, matches: &[(u64, CreditMatch)]) -> Result<(), DbError>;
}

impl_for_both!(BankStore {
    fn store_statement(
        &mut self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, DbError> {
        let ente = statement.ente.as_str().to_owned();
        self.write(|c| {
            let existing: Option<String> = rec_statements::table
                .filter(rec_statements::ente.eq(&ente))
                .filter(rec_statements::digest.eq(&statement.digest))
                .select(rec_statements::summary)
                .first(c)
                .optional()?;
            if let Some(summary) = existing {
                return Ok(StatementStored::Duplicate(from_json(&summary)?));
            }
            let mut summary = StatementSummary {
                id: 0,
                ente: statement.ente.clone(),
                format: statement.format,
                digest: statement.digest.clone(),
                statement_id: statement.statement_id.clone(),
                credits: statement.credits.len() as u64,
                total_cents: statement.credits.iter().map(|credit| credit.amount_cents).sum(),
                uploaded_at: now,
                uploaded_by: actor.to_owned(),
            };
            diesel::insert_into(rec_statements::table)
                .values((
                    rec_statements::ente.eq(&ente),
                    rec_statements::digest.eq(&statement.digest),
                    rec_statements::summary.eq(to_json(&summary)?),
                    rec_statements::raw.eq(&statement.raw),
                ))
                .execute(c)?;
            let id = c.last_insert_id()?;
            summary.id = id as u64;
            diesel::update(rec_statements::table.filter(rec_statements::id.eq(id)))
                .set(rec_statements::summary.eq(to_json(&summary)?))
                .execute(c)?;
            let mut credits = Vec::with_capacity(statement.credits.len());
            for credit in &statement.credits {
                let reference = CreditReference::parse(&credit.remittance);
                let (kind, value) = reference_columns(&reference);
                diesel::insert_into(rec_credits::table)
                    .values((
                        rec_credits::statement.eq(id),
                        rec_credits::ente.eq(&ente),
                        rec_credits::reference_kind.eq(kind),
                        rec_credits::reference_value.eq(value),
                        rec_credits::match_kind.eq(CreditMatch::Unmatched.as_str()),
                        rec_credits::matched.eq(to_json(&CreditMatch::Unmatched)?),
                        rec_credits::credit.eq(to_json(credit)?),
                    ))
                    .execute(c)?;
                credits.push(StoredCredit {
                    id: c.last_insert_id()? as u64,
                    statement: id as u64,
                    ente: statement.ente.clone(),
                    credit: credit.clone(),
                    reference,
                    matched: CreditMatch::Unmatched,
                });
            }
            Ok(StatementStored::New { summary, credits })
        })
    }

    fn statements(&mut self, ente: &EnteId) -> Result<Vec<StatementSummary>, DbError> {
        let rows: Vec<String> = rec_statements::table
            .filter(rec_statements::ente.eq(ente.as_str()))
            .order(rec_statements::id.desc())
            .select(rec_statements::summary)
            .load(self)?;
        rows.iter().map(|summary| from_json(summary)).collect()
    }

    fn credits(&mut self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, DbError> {
        let limit = query.limit.clamp(1, MAX_PAGE) as usize;
        let mut select = rec_credits::table.select(CreditRow::as_select()).into_boxed();
        if let Some(ente) = &query.ente {
            select = select.filter(rec_credits::ente.eq(ente.as_str().to_owned()));
        }
        if let Some(statement) = query.statement {
            select = select.filter(rec_credits::statement.eq(statement as i64));
        }
        if query.unmatched_only {
            select = select.filter(rec_credits::match_kind.eq(CreditMatch::Unmatched.as_str()));
        }
        if let Some(after) = query.after {
            select = select.filter(rec_credits::id.gt(after as i64));
        }
        let rows: Vec<CreditRow> = select.order(rec_credits::id).limit(limit as i64 + 1).load(self)?;
        let items = rows.into_iter().map(CreditRow::into_credit).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, |credit| credit.id))
    }

    fn credits_for_flows(&mut self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, DbError> {
        let mut found = Vec::new();
        for chunk in flow_ids.chunks(500) {
            let ids: Vec<&str> = chunk.iter().map(FlowId::as_str).collect();
            let rows: Vec<CreditRow> = rec_credits::table
                .filter(rec_credits::ente.eq(ente.as_str()))
                .filter(rec_credits::reference_kind.eq("flow"))
                .filter(rec_credits::reference_value.eq_any(ids))
                .order(rec_credits::id)
                .select(CreditRow::as_select())
                .load(self)?;
            for row in rows {
                found.push(row.into_credit()?);
            }
        }
        Ok(found)
    }

    fn save_credit_matches(&mut self, ente: &EnteId, matches: &[(u64, CreditMatch)]) -> Result<(), DbError> {
        self.write(|c| {
            for (id, found) in matches {
                let id = *id as i64;
                let before: String = rec_credits::table
                    .filter(rec_credits::id.eq(id))
                    .filter(rec_credits::ente.eq(ente.as_str()))
                    .select(rec_credits::matched)
                    .first(c)
                    .optional()?
                    .ok_or_else(|| DbError::Port(pagopa_domain::ports::StorageError::NotFound(format!("credit {id}"))))?;
                let before: CreditMatch = from_json(&before)?;
                diesel::update(rec_credits::table.filter(rec_credits::id.eq(id)))
                    .set((
                        rec_credits::match_kind.eq(found.as_str()),
                        rec_credits::matched.eq(to_json(found)?),
                    ))
                    .execute(c)?;
                if let CreditMatch::Flow { key } = &before
                    && before != *found
                {
                    // The flow's current revision loses the credit: back to what matching said.
                    let (e, p, f) = key_columns(key);
                    diesel::update(
                        flow_rows!(rec_flows, e, p, f, current)
                            .filter(rec_flows::credit_id.eq(id)),
                    )
                    .set((
                        rec_flows::credit_id.eq(None::<i64>),
                        rec_flows::status.eq(rec_flows::matched_status),
                    ))
                    .execute(c)?;
                }
                if let CreditMatch::Flow { key } = found {
                    let (e, p, f) = key_columns(key);
                    diesel::update(flow_rows!(rec_flows, e, p, f, current))
                        .set((rec_flows::credit_id.eq(Some(id)), rec_flows::status.eq(FlowStatus::Cashed.as_str())))
                        .execute(c)?;
                }
            }
            Ok(())
        })
    }
});
