//! The lines' matches written back: one `UPDATE … FROM (VALUES …)` per chunk of lines.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use pagopa_domain::model::LineMatch;

use crate::db::{DbError, impl_for_both};

/// Lines per `UPDATE … FROM (VALUES …)` of the matches, per backend (measured with
/// `tests/load/reconciliation.sh`): SQLite indexes a small VALUES list and slows down sharply
/// above a few hundred rows; PostgreSQL may scan the revision's lines once per statement, so
/// fewer, larger statements (4 binds a line, under its bind limit).
trait MatchChunk {
    const MATCH_CHUNK: usize;
}

impl MatchChunk for diesel::sqlite::SqliteConnection {
    const MATCH_CHUNK: usize = 500;
}

impl MatchChunk for diesel::pg::PgConnection {
    const MATCH_CHUNK: usize = 4_000;
}

fn receipt_cents(found: &LineMatch) -> Option<i64> {
    match found {
        LineMatch::AmountDiffers { receipt_cents, .. } => Some(*receipt_cents),
        _ => None,
    }
}

pub(super) trait MatchWrites {
    /// Sets each line's match, the lines addressed by `(line_index, match)` within one revision.
    fn write_line_matches(
        &mut self,
        key: (&str, &str, &str),
        revision: i64,
        pairs: &[(i64, &LineMatch)],
    ) -> Result<(), DbError>;
}

impl_for_both!(MatchWrites {
    fn write_line_matches(
        &mut self,
        (ente, psp, flow_id): (&str, &str, &str),
        revision: i64,
        pairs: &[(i64, &LineMatch)],
    ) -> Result<(), DbError> {
        for chunk in pairs.chunks(Self::MATCH_CHUNK) {
            // One UPDATE … FROM (VALUES …) per chunk: both backends have it (SQLite 3.33+).
            let mut values = Vec::with_capacity(chunk.len());
            for n in 0..chunk.len() {
                let at = 1 + n * 4;
                values.push(format!(
                    "(CAST(${} AS BIGINT), ${}, ${}, CAST(${} AS BIGINT))",
                    at,
                    at + 1,
                    at + 2,
                    at + 3
                ));
            }
            // Placeholders are numbered in order of appearance (SQLite binds `$n` so).
            let next = 1 + chunk.len() * 4;
            let sql = format!(
                "UPDATE rec_flow_lines SET match_kind = v.c2, receipt_id = v.c3, receipt_cents = v.c4 \
                 FROM (SELECT column1 AS c1, column2 AS c2, column3 AS c3, column4 AS c4 FROM (VALUES {}) AS t) AS v \
                 WHERE rec_flow_lines.ente = ${} AND rec_flow_lines.psp = ${} AND rec_flow_lines.flow_id = ${} \
                 AND rec_flow_lines.revision = ${} AND rec_flow_lines.line_index = v.c1",
                values.join(", "),
                next,
                next + 1,
                next + 2,
                next + 3
            );
            let mut update = diesel::sql_query(sql).into_boxed::<<Self as diesel::Connection>::Backend>();
            for (index, found) in chunk {
                update = update
                    .bind::<BigInt, _>(*index)
                    .bind::<Text, _>(found.as_str())
                    .bind::<Nullable<Text>, _>(found.receipt().map(|id| id.as_str().to_owned()))
                    .bind::<Nullable<BigInt>, _>(receipt_cents(found));
            }
            let update = update
                .bind::<Text, _>(ente.to_owned())
                .bind::<Text, _>(psp.to_owned())
                .bind::<Text, _>(flow_id.to_owned())
                .bind::<BigInt, _>(revision);
            update.execute(self)?;
        }
        Ok(())
    }
});
