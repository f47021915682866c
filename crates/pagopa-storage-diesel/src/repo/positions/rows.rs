//! The rows of a position: the `positions` row with its document, one `payment_options` row
//! per option and one `transfers` row per transfer, and the audit entry of their insert.

use diesel::prelude::*;
use pagopa_domain::{DebtPosition, TransferAccount};

use crate::db::{DbError, date_text, to_i64, to_json, to_us};
use crate::schema::{payment_options, positions, transfers};

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = positions, treat_none_as_default_value = false)]
pub(crate) struct PositionRow {
    pub(super) ente: String,
    pub(super) iupd: String,
    pub(super) debtor: Option<String>,
    pub(super) status: String,
    pub(super) version: i64,
    pub(super) created_at_us: i64,
    pub(super) updated_at_us: i64,
    pub(super) document: String,
    pub(super) expires_on: Option<String>,
}

#[derive(Insertable, PartialEq)]
#[diesel(table_name = payment_options, treat_none_as_default_value = false)]
pub(crate) struct OptionRow {
    pub(super) ente: String,
    pub(super) notice_number: String,
    pub(super) iuv: String,
    pub(super) iupd: String,
    pub(super) amount_cents: i64,
    pub(super) due_date: String,
    pub(super) instalment: Option<i32>,
    pub(super) paid_receipt_id: Option<String>,
}

#[derive(Insertable, PartialEq)]
#[diesel(table_name = transfers, treat_none_as_default_value = false)]
pub(crate) struct TransferRow {
    pub(super) ente: String,
    pub(super) iuv: String,
    pub(super) transfer_id: i32,
    pub(super) beneficiary: String,
    pub(super) amount_cents: i64,
    pub(super) iban: Option<String>,
    pub(super) category: String,
}

pub(super) fn position_row(position: &DebtPosition) -> Result<PositionRow, DbError> {
    Ok(PositionRow {
        ente: position.ente.to_string(),
        iupd: position.iupd.to_string(),
        debtor: position.debtor.id.fiscal_code().map(|code| code.as_str().to_owned()),
        status: position.status.as_str().to_owned(),
        version: to_i64(position.version)?,
        created_at_us: to_us(position.created_at),
        updated_at_us: to_us(position.updated_at),
        document: to_json(position)?,
        expires_on: position.expires_on().map(date_text),
    })
}

pub(super) fn child_rows(
    position: &DebtPosition,
    options: &mut Vec<OptionRow>,
    transfer_rows: &mut Vec<TransferRow>,
) -> Result<(), DbError> {
    for option in &position.options {
        options.push(OptionRow {
            ente: position.ente.to_string(),
            notice_number: option.notice_number.to_string(),
            iuv: option.notice_number.iuv().to_string(),
            iupd: position.iupd.to_string(),
            amount_cents: to_i64(option.amount.cents())?,
            due_date: date_text(option.due_date),
            instalment: option.instalment.map(|i| i32::from(i.number)),
            paid_receipt_id: option.payment.as_ref().map(|p| p.receipt_id.to_string()),
        });
        for transfer in &option.transfers {
            transfer_rows.push(TransferRow {
                ente: position.ente.to_string(),
                iuv: option.notice_number.iuv().to_string(),
                transfer_id: i32::from(transfer.id),
                beneficiary: transfer.ente.to_string(),
                amount_cents: to_i64(transfer.amount.cents())?,
                iban: match &transfer.account {
                    TransferAccount::Iban { iban, .. } => Some(iban.to_string()),
                    TransferAccount::Stamp(_) => None,
                },
                category: transfer.category.to_string(),
            });
        }
    }
    Ok(())
}

/// The rows of some positions, ready to insert.
pub(crate) struct Rows {
    pub(super) positions: Vec<PositionRow>,
    pub(super) options: Vec<OptionRow>,
    pub(super) transfers: Vec<TransferRow>,
}

impl Rows {
    pub(super) fn of(list: &[DebtPosition]) -> Result<Self, DbError> {
        let mut rows = Rows {
            positions: Vec::with_capacity(list.len()),
            options: Vec::new(),
            transfers: Vec::new(),
        };
        for position in list {
            rows.positions.push(position_row(position)?);
            child_rows(position, &mut rows.options, &mut rows.transfers)?;
        }
        Ok(rows)
    }
}

/// New positions turned into rows, with what the audit log will say of them: built before the
/// write (by a bulk load, off the SQLite writer thread, which then only inserts).
pub(crate) struct NewPositions {
    pub(super) rows: Rows,
    pub(super) created: Option<Created>,
}

impl NewPositions {
    pub(crate) fn of(list: &[DebtPosition]) -> Result<Self, DbError> {
        Ok(Self {
            rows: Rows::of(list)?,
            created: Created::of(list),
        })
    }
}

/// The audit entry of an insert: one per position for a single creation; one for the whole
/// batch of an import, which can hold a million positions (each keeps its own created_at).
pub(crate) struct Created {
    pub(super) entity: &'static str,
    pub(super) key: String,
    pub(super) status: Option<&'static str>,
}

impl Created {
    pub(super) fn of(list: &[DebtPosition]) -> Option<Self> {
        match list {
            [position] => Some(Self {
                entity: "position",
                key: format!("{}/{}", position.ente, position.iupd),
                status: Some(position.status.as_str()),
            }),
            [first, .., last] => Some(Self {
                entity: "import",
                key: format!(
                    "{}/{}..{}/{} ({} positions)",
                    first.ente,
                    first.iupd,
                    last.ente,
                    last.iupd,
                    list.len()
                ),
                status: None,
            }),
            [] => None,
        }
    }
}
