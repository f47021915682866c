//! The read-only position queries: a debtor's positions and the filtered, paged search.

use diesel::prelude::*;
use diesel::sql_types::Text;
use pagopa_domain::DebtPosition;
use pagopa_domain::ports::{Page, PositionCursor, PositionQuery};

use super::decode;
use crate::db::{DbError, Filters, VersionedDocument, date_text, impl_for_both};
use crate::schema::positions;

/// The read-only queries, run outside any explicit transaction.
pub(super) trait PositionQueries {
    fn positions_of_debtor(&mut self, debtor: &str) -> Result<Vec<DebtPosition>, DbError>;
    fn search_positions(&mut self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, DbError>;
}

impl_for_both!(PositionQueries {
    fn positions_of_debtor(&mut self, debtor: &str) -> Result<Vec<DebtPosition>, DbError> {
        let rows: Vec<(i64, String)> = positions::table
            .filter(positions::debtor.eq(debtor))
            .order((positions::ente, positions::iupd))
            .select((positions::version, positions::document))
            .load(self)?;
        rows.iter().map(|(version, document)| decode(*version, document)).collect()
    }

    fn search_positions(&mut self, query: &PositionQuery) -> Result<Page<DebtPosition, PositionCursor>, DbError> {
        let mut filters = Filters::default();
        if let Some(after) = &query.after {
            let ente = filters.bind(after.ente.as_str());
            let iupd = filters.bind(after.iupd.as_str());
            filters.and(&format!("(p.ente > {ente} OR (p.ente = {ente} AND p.iupd > {iupd}))"));
        }
        if let Some(ente) = &query.ente {
            let ente = filters.bind(ente.as_str());
            filters.and(&format!("p.ente = {ente}"));
        }
        if let Some(debtor) = &query.debtor {
            let debtor = filters.bind(debtor.as_str());
            filters.and(&format!("p.debtor = {debtor}"));
        }
        if let Some(status) = query.status {
            let status = filters.bind(status.as_str());
            filters.and(&format!("p.status = {status}"));
        }
        let mut option_filters = Filters { sql: String::new(), binds: std::mem::take(&mut filters.binds) };
        if let Some(notice) = &query.notice_number {
            let iuv = option_filters.bind(notice.iuv().as_str());
            let notice = option_filters.bind(notice.as_str());
            option_filters.and(&format!("o.iuv = {iuv} AND o.notice_number = {notice}"));
        }
        if let Some(iuv) = &query.iuv {
            let iuv = option_filters.bind(iuv.as_str());
            option_filters.and(&format!("o.iuv = {iuv}"));
        }
        if let Some(from) = query.due_from {
            let from = option_filters.bind(date_text(from));
            option_filters.and(&format!("o.due_date >= {from}"));
        }
        if let Some(to) = query.due_to {
            let to = option_filters.bind(date_text(to));
            option_filters.and(&format!("o.due_date <= {to}"));
        }
        if !option_filters.sql.is_empty() {
            filters.and(&format!(
                "EXISTS (SELECT 1 FROM payment_options o WHERE o.ente = p.ente AND o.iupd = p.iupd{})",
                option_filters.sql
            ));
        }
        let limit = query.page_size();
        let sql = format!(
            "SELECT p.version, p.document FROM positions p WHERE 1 = 1{} ORDER BY p.ente, p.iupd LIMIT {}",
            filters.sql,
            limit + 1
        );
        let mut statement = diesel::sql_query(sql).into_boxed();
        for value in option_filters.binds {
            statement = statement.bind::<Text, _>(value);
        }
        let rows: Vec<VersionedDocument> = statement.load(self)?;
        let items = rows.iter().map(|r| decode(r.version, &r.document)).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, limit, PositionCursor::after))
    }
});
