//! One row of a CSV file: the payment option it describes, with its transfers and metadata.

use pagopa_domain::{Ente, Metadata, NoticeNumber, PaymentOption, RowIssue, Text};

use super::columns::{Header, MAX_TRANSFER_COLUMNS, TRANSFER_COLUMNS};
use super::transfers::transfer;
use crate::text::{self, Field};

/// The option a row describes, with its place in the position.
pub(super) struct OptionRow {
    pub(super) instalment: Option<u8>,
    pub(super) option: PaymentOption,
    pub(super) allocate: bool,
}

pub(super) fn option_row(header: &Header, record: &csv::StringRecord, ente: &Ente) -> Field<OptionRow> {
    let get = |name: &str| header.get(record, name);
    let index = get("option_index").unwrap_or("");
    let instalment = match get("option_kind").unwrap_or("") {
        "" | "single" => match index {
            "" | "0" => None,
            other => {
                return Err(RowIssue::new(
                    "invalid_option_index",
                    format!("option_index: la soluzione unica ha indice 0, non {other:?}"),
                    format!("option_index: the single solution has index 0, not {other:?}"),
                ));
            }
        },
        "instalment" => match index.parse::<u8>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(RowIssue::new(
                    "invalid_option_index",
                    format!("option_index: una rata ha indice da 1 a 100, non {index:?}"),
                    format!("option_index: an instalment has index 1 to 100, not {index:?}"),
                ));
            }
        },
        other => return Err(text::choice("option_kind", other, "single, instalment")),
    };
    let notice = text::optional(get("notice_number"), |v| text::notice_number("notice_number", v))?;
    let amount = text::amount("amount_cents", text::required("amount_cents", get("amount_cents"))?)?;
    let due_date = text::date("due_date", text::required("due_date", get("due_date"))?)?;
    let description: Text<140> = text::text("description", text::required("description", get("description"))?)?;
    let given: Vec<usize> = (1..=MAX_TRANSFER_COLUMNS)
        .filter(|n| {
            TRANSFER_COLUMNS
                .iter()
                .any(|c| header.transfer(record, *n, c).is_some())
        })
        .collect();
    if given.len() > 5 || given.iter().any(|n| *n > 5) {
        return Err(RowIssue::new(
            "transfer_count",
            format!(
                "un'opzione ha da 1 a 5 trasferimenti, non {}",
                given.iter().max().unwrap_or(&0)
            ),
            format!(
                "an option has 1 to 5 transfers, not {}",
                given.iter().max().unwrap_or(&0)
            ),
        ));
    }
    let count = given.iter().max().copied().unwrap_or(1);
    let mut transfers = Vec::with_capacity(count);
    for n in 1..=count {
        transfers.push(transfer(header, record, n, count, ente, amount, &description)?);
    }
    let mut metadata = Metadata::default();
    for (key, at) in &header.meta {
        let Some(value) = record.get(*at).filter(|v| !v.is_empty()) else {
            continue;
        };
        let column = format!("meta_{key}");
        let key = text::text::<140>(&column, key)?;
        let value = text::text::<140>(&column, value)?;
        metadata.insert(key, value).map_err(|e| {
            RowIssue::new(
                "too_many_metadata",
                format!("{column}: al massimo {} metadati per opzione", Metadata::MAX_ENTRIES),
                format!("{column}: {e}"),
            )
        })?;
    }
    let allocate = notice.is_none();
    Ok(OptionRow {
        instalment,
        option: PaymentOption {
            notice_number: notice.unwrap_or_else(placeholder),
            amount,
            description,
            due_date,
            instalment: None,
            transfers,
            metadata,
            payment: None,
        },
        allocate,
    })
}

/// The notice number of an option the file left without one; the load replaces it.
fn placeholder() -> NoticeNumber {
    static PLACEHOLDER: std::sync::OnceLock<NoticeNumber> = std::sync::OnceLock::new();
    PLACEHOLDER
        .get_or_init(|| {
            NoticeNumber::build(pagopa_domain::NoticeLayout::Aux2, 0)
                .unwrap_or_else(|_| unreachable!("base 0 is a valid notice base"))
        })
        .clone()
}
