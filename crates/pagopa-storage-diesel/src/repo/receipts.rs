//! Receipts: stored with the position change and the outbox messages in one transaction.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::Text;
use pagopa_domain::ports::{
    Page, ReceiptCursor, ReceiptQuery, ReceiptRepository, ReceiptWrite, RecordOutcome, StorageError,
};
use pagopa_domain::{EnteId, FiscalCode, ReceiptId, StoredReceipt};

use super::audit::{Audit, Change};
use super::{OutboxStore, PositionStore};
use crate::DieselStore;
use crate::db::{
    Backend, DbError, Filters, from_json, impl_for_both, to_i64, to_json, to_us, with_conn, with_read_conn,
    with_write_conn,
};
use crate::schema::receipts;

#[derive(Insertable)]
#[diesel(table_name = receipts)]
struct ReceiptRow<'a> {
    recipient: &'a str,
    receipt_id: &'a str,
    ente: &'a str,
    notice_number: &'a str,
    iuv: &'a str,
    debtor: Option<&'a str>,
    amount_cents: i64,
    disposition: &'a str,
    needs_review: bool,
    paid_at_us: i64,
    received_at_us: i64,
    raw_message: Option<&'a str>,
    document: String,
}

trait ReceiptStore {
    fn record_receipt(&mut self, write: &ReceiptWrite) -> Result<RecordOutcome, DbError>;
    fn load_receipt(&mut self, recipient: &str, receipt_id: &str) -> Result<Option<StoredReceipt>, DbError>;
    fn search_receipts(&mut self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, DbError>;
}

impl_for_both!(ReceiptStore {
    fn record_receipt(&mut self, write: &ReceiptWrite) -> Result<RecordOutcome, DbError> {
        let stored = &write.receipt;
        let receipt = &stored.receipt;
        let at = receipt.delivery.received_at;
        // The raw message is kept in its own column; the document holds the rest.
        let mut document = stored.clone();
        document.receipt.delivery.raw_message = None;
        let row = ReceiptRow {
            recipient: receipt.delivery.recipient.as_str(),
            receipt_id: receipt.receipt_id.as_str(),
            ente: receipt.ente.as_str(),
            notice_number: receipt.notice_number.as_str(),
            iuv: receipt.creditor_reference_id.as_str(),
            debtor: receipt.debtor.id.fiscal_code().map(FiscalCode::as_str),
            amount_cents: to_i64(receipt.amount.cents())?,
            disposition: stored.disposition.as_str(),
            needs_review: stored.disposition.needs_review(),
            paid_at_us: to_us(receipt.paid_at()),
            received_at_us: to_us(at),
            raw_message: receipt.delivery.raw_message.as_deref(),
            document: to_json(&document)?,
        };
        let inserted = diesel::insert_into(receipts::table).values(&row).on_conflict_do_nothing().execute(self)?;
        if inserted == 0 {
            let existing = self
                .load_receipt(row.recipient, row.receipt_id)?
                .ok_or_else(|| DbError::Corrupt("a receipt vanished inside its transaction".into()))?;
            return Ok(RecordOutcome::AlreadyRecorded(Box::new(existing)));
        }
        if let Some(position) = &write.position {
            self.update_position(position, at)?;
        }
        self.enqueue_events(&write.outbox, at)?;
        let key = format!("{}/{}", row.recipient, row.receipt_id);
        self.audit(at, &[Change { entity: "receipt", key: &key, action: "received", from: None, to: Some(row.disposition) }])?;
        Ok(RecordOutcome::Recorded)
    }

    fn load_receipt(&mut self, recipient: &str, receipt_id: &str) -> Result<Option<StoredReceipt>, DbError> {
        let row: Option<(String, Option<String>)> = receipts::table
            .find((recipient, receipt_id))
            .select((receipts::document, receipts::raw_message))
            .first(self)
            .optional()?;
        row.map(|(document, raw)| {
            let mut stored: StoredReceipt = from_json(&document)?;
            stored.receipt.delivery.raw_message = raw;
            Ok(stored)
        })
        .transpose()
    }

    fn search_receipts(&mut self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, DbError> {
        let mut filters = Filters::default();
        if let Some(after) = &query.after {
            let recipient = filters.bind(after.recipient.as_str());
            let id = filters.bind(after.receipt_id.as_str());
            filters.and(&format!("(r.recipient > {recipient} OR (r.recipient = {recipient} AND r.receipt_id > {id}))"));
        }
        if let Some(recipient) = &query.recipient {
            let recipient = filters.bind(recipient.as_str());
            filters.and(&format!("r.recipient = {recipient}"));
        }
        if let Some(debtor) = &query.debtor {
            let debtor = filters.bind(debtor.as_str());
            filters.and(&format!("r.debtor = {debtor}"));
        }
        if let Some(notice) = &query.notice_number {
            let notice = filters.bind(notice.as_str());
            filters.and(&format!("r.notice_number = {notice}"));
        }
        if query.needs_review {
            filters.and("r.needs_review");
        }
        let limit = query.page_size();
        // The raw message is read back with the document: operators look at flagged receipts.
        let sql = format!(
            "SELECT r.document, r.raw_message FROM receipts r WHERE 1 = 1{} ORDER BY r.recipient, r.receipt_id LIMIT {}",
            filters.sql,
            limit + 1
        );
        let mut statement = diesel::sql_query(sql).into_boxed();
        for value in filters.binds {
            statement = statement.bind::<Text, _>(value);
        }
        let rows: Vec<DocumentWithRaw> = statement.load(self)?;
        let items = rows
            .into_iter()
            .map(|r| {
                let mut stored: StoredReceipt = from_json(&r.document)?;
                stored.receipt.delivery.raw_message = r.raw_message;
                Ok(stored)
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Page::from_overfetch(items, limit, ReceiptCursor::after))
    }
});

#[derive(QueryableByName)]
struct DocumentWithRaw {
    #[diesel(sql_type = Text)]
    document: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    raw_message: Option<String>,
}

#[async_trait]
impl ReceiptRepository for DieselStore {
    async fn record(&self, write: ReceiptWrite) -> Result<RecordOutcome, StorageError> {
        with_write_conn!(self, |conn| { conn.write(|c| c.record_receipt(&write)) })
    }

    async fn get(&self, recipient: &EnteId, receipt_id: &ReceiptId) -> Result<Option<StoredReceipt>, StorageError> {
        let (recipient, receipt_id) = (recipient.clone(), receipt_id.clone());
        with_read_conn!(self, |conn| {
            conn.load_receipt(recipient.as_str(), receipt_id.as_str())
        })
    }

    async fn search(&self, query: &ReceiptQuery) -> Result<Page<StoredReceipt, ReceiptCursor>, StorageError> {
        let query = query.clone();
        with_conn!(self, |conn| { conn.search_receipts(&query) })
    }
}
