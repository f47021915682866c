//! IUV allocation: one counter row per Ente and layout, incremented under the write lock.

use async_trait::async_trait;
use diesel::prelude::*;
use pagopa_domain::ports::{IuvAllocator, StorageError};
use pagopa_domain::{EnteId, NoticeLayout};

use crate::DieselStore;
use crate::db::{Backend, to_u64, with_write_conn};
use crate::schema::iuv_sequences;

#[async_trait]
impl IuvAllocator for DieselStore {
    async fn next_base(&self, ente: &EnteId, layout: NoticeLayout) -> Result<u64, StorageError> {
        let bases = self.next_bases(ente, layout, 1).await?;
        bases
            .first()
            .copied()
            .ok_or_else(|| StorageError::NotFound("an IUV base".into()))
    }

    async fn next_bases(&self, ente: &EnteId, layout: NoticeLayout, count: u64) -> Result<Vec<u64>, StorageError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let step = i64::try_from(count).map_err(|_| StorageError::NotFound(format!("{count} IUV bases")))?;
        let ente = ente.clone();
        let aux = i32::from(layout.aux_digit());
        // Layouts without a code use -1, so the primary key never holds a NULL.
        let code = layout.code().map_or(-1, i32::from);
        with_write_conn!(self, |conn| {
            conn.write(|c| {
                let key = (ente.as_str(), aux, code);
                diesel::insert_into(iuv_sequences::table)
                    .values((
                        iuv_sequences::ente.eq(key.0),
                        iuv_sequences::aux_digit.eq(aux),
                        iuv_sequences::code.eq(code),
                        iuv_sequences::last_base.eq(0i64),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)?;
                // The UPDATE takes the row lock (PostgreSQL) inside the write transaction
                // (SQLite), so no two allocators read the same value.
                diesel::update(iuv_sequences::table.find(key))
                    .set(iuv_sequences::last_base.eq(iuv_sequences::last_base + step))
                    .execute(c)?;
                let base: i64 = iuv_sequences::table
                    .find(key)
                    .select(iuv_sequences::last_base)
                    .first(c)?;
                let last = to_u64(base)?;
                Ok((last + 1 - count..=last).collect())
            })
        })
    }
}
