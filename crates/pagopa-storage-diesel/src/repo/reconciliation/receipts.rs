//! The receipts as reconciliation reads them: by id or IUV for matching, those no current
//! flow reports, and a page of them with the flow lines matched to each.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use pagopa_domain::model::{FlowKey, StoredReceipt, UnreportedReceipt};
use pagopa_domain::ports::{LineLink, MAX_PAGE, Page, ReceiptLinks, ReceiptLinksCursor};
use pagopa_domain::value::EnteId;

use crate::db::{DbError, from_json, impl_for_both, to_us};

/// Values per `IN (…)` list.
const CHUNK: usize = 500;

fn corrupt(what: &str, value: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what} {value}"))
}

fn date(text: &str) -> Result<NaiveDate, DbError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("date", text))
}

#[derive(QueryableByName)]
struct ReceiptDocument {
    #[diesel(sql_type = Text)]
    document: String,
}

#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = Text)]
    receipt_id: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    transfer_id: Option<i32>,
    #[diesel(sql_type = BigInt)]
    amount_cents: i64,
    #[diesel(sql_type = Text)]
    psp: String,
    #[diesel(sql_type = Text)]
    flow_id: String,
    #[diesel(sql_type = BigInt)]
    revision: i64,
    #[diesel(sql_type = Text)]
    regulation_date: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    credit_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    credit: Option<String>,
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) trait ReceiptReads {
    fn receipts_where(
        &mut self,
        recipient: &EnteId,
        column: &str,
        values: &[String],
    ) -> Result<Vec<StoredReceipt>, DbError>;
    fn unreported_receipts(
        &mut self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, DbError>;
    fn receipts_with_links(
        &mut self,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, DbError>;
}

impl_for_both!(ReceiptReads {
    fn receipts_where(&mut self, recipient: &EnteId, column: &str, values: &[String]) -> Result<Vec<StoredReceipt>, DbError> {
        let mut found = Vec::new();
        for chunk in values.chunks(CHUNK) {
            let sql = format!(
                "SELECT document FROM receipts WHERE recipient = $1 AND {column} IN ({})",
                placeholders(2, chunk.len())
            );
            let mut select = diesel::sql_query(sql)
                .into_boxed::<<Self as diesel::Connection>::Backend>()
                .bind::<Text, _>(recipient.as_str().to_owned());
            for value in chunk {
                select = select.bind::<Text, _>(value.clone());
            }
            let rows: Vec<ReceiptDocument> = select.load(self)?;
            for row in rows {
                found.push(from_json::<StoredReceipt>(&row.document)?);
            }
        }
        Ok(found)
    }

    fn unreported_receipts(
        &mut self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, DbError> {
        let rows: Vec<ReceiptDocument> = diesel::sql_query(
            "SELECT r.document FROM receipts r WHERE r.recipient = $1 AND r.paid_at_us >= $2 AND r.paid_at_us < $3 \
             AND NOT EXISTS (SELECT 1 FROM rec_flow_lines l WHERE l.ente = r.recipient AND l.receipt_id = r.receipt_id \
             AND l.is_current AND l.receipt_id IS NOT NULL) ORDER BY r.paid_at_us, r.receipt_id",
        )
        .bind::<Text, _>(ente.as_str())
        .bind::<BigInt, _>(to_us(since))
        .bind::<BigInt, _>(to_us(before))
        .load(self)?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let stored: StoredReceipt = from_json(&row.document)?;
            found.extend(UnreportedReceipt::of(&stored, ente));
        }
        Ok(found)
    }

    fn receipts_with_links(
        &mut self,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, DbError> {
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        let (after_us, after_id) = after.map_or((i64::MIN, String::new()), |(at, id)| (to_us(*at), id.as_str().to_owned()));
        let rows: Vec<ReceiptDocument> = diesel::sql_query(
            "SELECT document FROM receipts WHERE recipient = $1 AND paid_at_us >= $2 AND paid_at_us < $3 \
             AND (paid_at_us > $4 OR (paid_at_us = $4 AND receipt_id > $5)) \
             ORDER BY paid_at_us, receipt_id LIMIT $6",
        )
        .bind::<Text, _>(ente.as_str())
        .bind::<BigInt, _>(to_us(from))
        .bind::<BigInt, _>(to_us(to))
        .bind::<BigInt, _>(after_us)
        .bind::<Text, _>(after_id)
        .bind::<BigInt, _>(limit as i64 + 1)
        .load(self)?;
        let receipts = rows
            .iter()
            .map(|row| from_json::<StoredReceipt>(&row.document))
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = receipts.iter().map(|s| s.receipt.receipt_id.as_str().to_owned()).collect();
        let mut links: BTreeMap<String, Vec<LineLink>> = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT l.receipt_id, l.transfer_id, l.amount_cents, l.psp, l.flow_id, l.revision, f.regulation_date, \
                 f.credit_id, c.credit FROM rec_flow_lines l \
                 JOIN rec_flows f ON f.ente = l.ente AND f.psp = l.psp AND f.flow_id = l.flow_id AND f.revision = l.revision \
                 LEFT JOIN rec_credits c ON c.id = f.credit_id \
                 WHERE l.ente = $1 AND l.is_current AND l.receipt_id IS NOT NULL AND l.receipt_id IN ({}) \
                 ORDER BY l.psp, l.flow_id, l.line_index",
                placeholders(2, chunk.len())
            );
            let mut select = diesel::sql_query(sql)
                .into_boxed::<<Self as diesel::Connection>::Backend>()
                .bind::<Text, _>(ente.as_str().to_owned());
            for id in chunk {
                select = select.bind::<Text, _>(id.clone());
            }
            let rows: Vec<LinkRow> = select.load(self)?;
            for row in rows {
                let credit = match (row.credit_id, row.credit) {
                    (Some(id), Some(credit)) => {
                        let credit: pagopa_domain::model::BankCredit = from_json(&credit)?;
                        Some((id as u64, credit.booking_date))
                    }
                    _ => None,
                };
                links.entry(row.receipt_id).or_default().push(LineLink {
                    transfer_id: row.transfer_id.map(|id| u8::try_from(id).map_err(|_| corrupt("transfer id", id))).transpose()?,
                    amount_cents: row.amount_cents,
                    flow: FlowKey {
                        ente: ente.clone(),
                        psp: row.psp.parse().map_err(|_| corrupt("PSP", &row.psp))?,
                        flow_id: row.flow_id.parse().map_err(|_| corrupt("flow id", &row.flow_id))?,
                    },
                    revision: u32::try_from(row.revision).map_err(|_| corrupt("revision", row.revision))?,
                    regulation_date: date(&row.regulation_date)?,
                    credit,
                });
            }
        }
        let items = receipts
            .into_iter()
            .map(|receipt| ReceiptLinks {
                lines: links.remove(receipt.receipt.receipt_id.as_str()).unwrap_or_default(),
                receipt,
            })
            .collect();
        Ok(Page::from_overfetch(items, limit, |links| {
            (links.receipt.receipt.paid_at(), links.receipt.receipt.receipt_id.clone())
        }))
    }
});
