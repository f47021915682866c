//! Reconciliation: flows and their lines ([`flows`]), bank statements and credits ([`bank`]),
//! the anomalies work list ([`anomalies`]) and each Ente's scheduled fetch ([`fetch`]).

/// The rows of one flow in a `rec_flow*` table (`rec_flows`, `rec_flow_lines`,
/// `rec_flow_documents`): `table.filter(ente).filter(psp).filter(flow_id)`, then optionally
/// `revision = …` or `current` (`is_current = true`). A macro, not a function: the filtered
/// query's type differs per table and per backend-neutral use (select, update, boxing).
macro_rules! flow_rows {
    ($table:ident, $ente:expr, $psp:expr, $flow_id:expr) => {
        $table::table
            .filter($table::ente.eq($ente))
            .filter($table::psp.eq($psp))
            .filter($table::flow_id.eq($flow_id))
    };
    ($table:ident, $ente:expr, $psp:expr, $flow_id:expr, revision = $revision:expr) => {
        flow_rows!($table, $ente, $psp, $flow_id).filter($table::revision.eq($revision))
    };
    ($table:ident, $ente:expr, $psp:expr, $flow_id:expr, current) => {
        flow_rows!($table, $ente, $psp, $flow_id).filter($table::is_current.eq(true))
    };
}

mod anomalies;
mod bank;
mod fetch;
mod flows;
mod matches;
mod receipts;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use pagopa_domain::model::{
    Anomaly, AnomalyCode, AnomalyDraft, AnomalyScope, AnomalySync, BankStatement, CreditMatch, FetchState, FlowId,
    FlowKey, FlowOrigin, FlowRevision, FlowStatus, FlowStored, FlowSummary, LineMatch, RawDocument, ReceiptId,
    StatementStored, StatementSummary, StoredCredit, StoredFlow, StoredReceipt, UnreportedReceipt,
};
use pagopa_domain::ports::{
    AnomalyQuery, CreditQuery, FlowCursor, FlowQuery, Page, ReceiptLinks, ReceiptLinksCursor, ReconciliationRepository,
    StorageError,
};
use pagopa_domain::value::EnteId;

use self::anomalies::AnomalyStore;
use self::bank::BankStore;
use self::fetch::FetchStore;
use self::flows::FlowStore;
use self::receipts::ReceiptReads;
use crate::DieselStore;
use crate::db::{DbError, with_conn, with_read_conn, with_write_conn};

/// A flow's key as the `ente`, `psp` and `flow_id` column values.
fn key_columns(key: &FlowKey) -> (String, String, String) {
    (
        key.ente.as_str().to_owned(),
        key.psp.as_str().to_owned(),
        key.flow_id.as_str().to_owned(),
    )
}

#[derive(QueryableByName)]
struct LastId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The id the connection's last insert generated.
pub(crate) trait LastInsertId {
    fn last_insert_id(&mut self) -> Result<i64, DbError>;
}

impl LastInsertId for diesel::sqlite::SqliteConnection {
    fn last_insert_id(&mut self) -> Result<i64, DbError> {
        let row: LastId = diesel::sql_query("SELECT last_insert_rowid() AS id").get_result(self)?;
        Ok(row.id)
    }
}

impl LastInsertId for diesel::pg::PgConnection {
    fn last_insert_id(&mut self) -> Result<i64, DbError> {
        let row: LastId = diesel::sql_query("SELECT lastval() AS id").get_result(self)?;
        Ok(row.id)
    }
}

#[async_trait]
impl ReconciliationRepository for DieselStore {
    async fn store_flow(
        &self,
        flow: &FlowRevision,
        origin: FlowOrigin,
        raw: &[RawDocument],
        now: DateTime<Utc>,
    ) -> Result<FlowStored, StorageError> {
        let (flow, raw) = (flow.clone(), raw.to_vec());
        with_write_conn!(self, |conn| { conn.store_flow(&flow, origin, &raw, now) })
    }

    async fn flow(&self, key: &FlowKey, revision: Option<u32>) -> Result<Option<StoredFlow>, StorageError> {
        let key = key.clone();
        with_read_conn!(self, |conn| { conn.load_flow(&key, revision) })
    }

    async fn flow_documents(&self, key: &FlowKey, revision: u32) -> Result<Vec<RawDocument>, StorageError> {
        let key = key.clone();
        with_read_conn!(self, |conn| { FlowStore::flow_documents(conn, &key, revision) })
    }

    async fn flow_revisions(&self, key: &FlowKey) -> Result<Vec<FlowSummary>, StorageError> {
        let key = key.clone();
        with_read_conn!(self, |conn| { FlowStore::flow_revisions(conn, &key) })
    }

    async fn flows(&self, query: &FlowQuery) -> Result<Page<FlowSummary, FlowCursor>, StorageError> {
        let query = query.clone();
        with_read_conn!(self, |conn| { FlowStore::flows(conn, &query) })
    }

    async fn save_flow_matching(
        &self,
        key: &FlowKey,
        revision: u32,
        matches: &[LineMatch],
        status: FlowStatus,
    ) -> Result<(), StorageError> {
        let (key, matches) = (key.clone(), matches.to_vec());
        with_write_conn!(self, |conn| {
            FlowStore::save_flow_matching(conn, &key, revision, &matches, status)
        })
    }

    async fn flows_awaiting_receipt(&self, ente: &EnteId, iur: &ReceiptId) -> Result<Vec<FlowKey>, StorageError> {
        let (ente, iur) = (ente.clone(), iur.clone());
        with_read_conn!(self, |conn| { FlowStore::flows_awaiting_receipt(conn, &ente, &iur) })
    }

    async fn current_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<FlowSummary>, StorageError> {
        let (ente, ids) = (ente.clone(), flow_ids.to_vec());
        with_read_conn!(self, |conn| { FlowStore::current_flows(conn, &ente, &ids) })
    }

    async fn flows_awaiting_credit(
        &self,
        ente: &EnteId,
        settled_before: NaiveDate,
    ) -> Result<Vec<FlowSummary>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| {
            FlowStore::flows_awaiting_credit(conn, &ente, settled_before)
        })
    }

    async fn receipts_by_ids(&self, recipient: &EnteId, ids: &[ReceiptId]) -> Result<Vec<StoredReceipt>, StorageError> {
        let recipient = recipient.clone();
        let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
        with_conn!(self, |conn| { conn.receipts_where(&recipient, "receipt_id", &ids) })
    }

    async fn receipts_by_iuvs(&self, recipient: &EnteId, iuvs: &[String]) -> Result<Vec<StoredReceipt>, StorageError> {
        let (recipient, iuvs) = (recipient.clone(), iuvs.to_vec());
        with_conn!(self, |conn| { conn.receipts_where(&recipient, "iuv", &iuvs) })
    }

    async fn unreported_receipts(
        &self,
        ente: &EnteId,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<UnreportedReceipt>, StorageError> {
        let ente = ente.clone();
        with_conn!(self, |conn| {
            ReceiptReads::unreported_receipts(conn, &ente, since, before)
        })
    }

    async fn receipts_with_links(
        &self,
        ente: &EnteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&ReceiptLinksCursor>,
        limit: u32,
    ) -> Result<Page<ReceiptLinks, ReceiptLinksCursor>, StorageError> {
        let (ente, after) = (ente.clone(), after.cloned());
        with_conn!(self, |conn| {
            ReceiptReads::receipts_with_links(conn, &ente, from, to, after.as_ref(), limit)
        })
    }

    async fn store_statement(
        &self,
        statement: &BankStatement,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<StatementStored, StorageError> {
        let (statement, actor) = (statement.clone(), actor.to_owned());
        with_write_conn!(self, |conn| {
            BankStore::store_statement(conn, &statement, &actor, now)
        })
    }

    async fn statements(&self, ente: &EnteId) -> Result<Vec<StatementSummary>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| { BankStore::statements(conn, &ente) })
    }

    async fn credits(&self, query: &CreditQuery) -> Result<Page<StoredCredit, u64>, StorageError> {
        let query = query.clone();
        with_read_conn!(self, |conn| { BankStore::credits(conn, &query) })
    }

    async fn credits_for_flows(&self, ente: &EnteId, flow_ids: &[FlowId]) -> Result<Vec<StoredCredit>, StorageError> {
        let (ente, ids) = (ente.clone(), flow_ids.to_vec());
        with_read_conn!(self, |conn| { BankStore::credits_for_flows(conn, &ente, &ids) })
    }

    async fn save_credit_matches(
        &self,
        ente: &EnteId,
        matches: &[(u64, CreditMatch)],
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let (ente, matches) = (ente.clone(), matches.to_vec());
        with_write_conn!(self, |conn| { BankStore::save_credit_matches(conn, &ente, &matches) })
    }

    async fn sync_anomalies(
        &self,
        ente: &EnteId,
        scope: &AnomalyScope,
        found: &[AnomalyDraft],
        now: DateTime<Utc>,
    ) -> Result<AnomalySync, StorageError> {
        let (ente, scope, found) = (ente.clone(), scope.clone(), found.to_vec());
        with_write_conn!(self, |conn| {
            AnomalyStore::sync_anomalies(conn, &ente, &scope, &found, now)
        })
    }

    async fn anomalies(&self, query: &AnomalyQuery) -> Result<Page<Anomaly, u64>, StorageError> {
        let query = query.clone();
        with_read_conn!(self, |conn| { AnomalyStore::anomalies(conn, &query) })
    }

    async fn anomaly(&self, ente: &EnteId, id: u64) -> Result<Option<Anomaly>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| { AnomalyStore::anomaly(conn, &ente, id) })
    }

    async fn resolve_anomaly(
        &self,
        ente: &EnteId,
        id: u64,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Anomaly>, StorageError> {
        let (ente, actor, note) = (ente.clone(), actor.to_owned(), note.to_owned());
        with_write_conn!(self, |conn| {
            AnomalyStore::resolve_anomaly(conn, &ente, id, &actor, &note, now)
        })
    }

    async fn anomaly_counts(
        &self,
        ente: &EnteId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, AnomalyCode, u64)>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| { AnomalyStore::anomaly_counts(conn, &ente, from, to) })
    }

    async fn claim_fetch(
        &self,
        ente: &EnteId,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<FetchState>, StorageError> {
        let (ente, worker) = (ente.clone(), worker.to_owned());
        with_write_conn!(self, |conn| {
            FetchStore::claim_fetch(conn, &ente, &worker, now, until, force)
        })
    }

    async fn finish_fetch(&self, state: &FetchState, worker: &str) -> Result<bool, StorageError> {
        let (state, worker) = (state.clone(), worker.to_owned());
        with_write_conn!(self, |conn| { FetchStore::finish_fetch(conn, &state, &worker) })
    }

    async fn fetch_state(&self, ente: &EnteId) -> Result<Option<FetchState>, StorageError> {
        let ente = ente.clone();
        with_read_conn!(self, |conn| { FetchStore::fetch_state(conn, &ente) })
    }
}
