//! The `tN_` columns of a row: transfer N of its option.

use pagopa_domain::{Ente, Metadata, RowIssue, StampRequest, Text, Transfer, TransferAccount};

use super::columns::Header;
use crate::text::{self, Field};

pub(super) fn transfer(
    header: &Header,
    record: &csv::StringRecord,
    n: usize,
    count: usize,
    ente: &Ente,
    option_amount: pagopa_domain::AmountCents,
    description: &Text<140>,
) -> Field<Transfer> {
    let get = |c: &str| header.transfer(record, n, c);
    let name = |c: &str| format!("t{n}_{c}");
    let beneficiary = match get("ente") {
        Some(v) => text::ente(&name("ente"), v)?,
        None if n == 1 => ente.id.clone(),
        None => return Err(text::missing(&name("ente"))),
    };
    let amount = match get("amount_cents") {
        Some(v) => text::amount(&name("amount_cents"), v)?,
        // A single transfer takes the whole amount.
        None if count == 1 => option_amount,
        None => return Err(text::missing(&name("amount_cents"))),
    };
    let account = match (get("iban"), get("stamp_hash")) {
        (Some(_), Some(_)) => {
            return Err(RowIssue::new(
                "transfer_account",
                format!("t{n}: IBAN e marca da bollo sono alternativi"),
                format!("t{n}: an IBAN and a digital stamp exclude each other"),
            ));
        }
        (None, Some(hash)) => TransferAccount::Stamp(StampRequest {
            document_hash: text::text(&name("stamp_hash"), hash)?,
            stamp_type: text::text(&name("stamp_type"), get("stamp_type").unwrap_or("01"))?,
            province: text::province(
                &name("stamp_province"),
                text::required(&name("stamp_province"), get("stamp_province"))?,
            )?,
        }),
        (iban, None) => {
            let iban = match iban {
                Some(v) => text::iban(&name("iban"), v)?,
                None if beneficiary == ente.id => ente.bank_iban.clone(),
                None => return Err(text::missing(&name("iban"))),
            };
            let postal_alternative = text::optional(get("postal_iban"), |v| text::iban(&name("postal_iban"), v))?;
            TransferAccount::Iban {
                iban,
                postal_alternative,
            }
        }
    };
    Ok(Transfer {
        id: u8::try_from(n).unwrap_or(u8::MAX),
        ente: beneficiary,
        company_name: None,
        amount,
        account,
        remittance: match get("remittance") {
            Some(v) => text::text(&name("remittance"), v)?,
            None => description.clone(),
        },
        category: text::category(&name("category"), text::required(&name("category"), get("category"))?)?,
        metadata: Metadata::default(),
    })
}
