//! Statements as CSV: a header line, `,` or `;` as delimiter (whichever the header has more
//! of), one credit per row.
//!
//! Columns: `date` (booking date, `YYYY-MM-DD` or `DD/MM/YYYY`), `amount` (`1234.56`,
//! `1234,56`, `1.234,56`; a negative amount is a debit and its row is skipped), `account`,
//! `remittance`, and optionally `value_date`, `reference`, `debtor_name`. Names are read
//! without case or surrounding blanks; any other column is refused.

use chrono::NaiveDate;
use pagopa_domain::BankCredit;

use super::{StatementError, parse_cents, push};

const REQUIRED: [&str; 4] = ["date", "amount", "account", "remittance"];
const OPTIONAL: [&str; 3] = ["value_date", "reference", "debtor_name"];

/// Reads the rows of a CSV statement into credits.
pub(super) fn read(text: &str) -> Result<Vec<BankCredit>, StatementError> {
    let first = text.split_inclusive('\n').next().unwrap_or(text);
    let (_, delimiter) = crate::csv::header_line(first.as_bytes()).map_err(|_| StatementError::Empty)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| StatementError::Malformed {
        location: "line 1".into(),
        problem: format!("the header cannot be read: {e}"),
    })?;
    let names: Vec<String> = header
        .iter()
        .map(|n| n.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| !REQUIRED.contains(&n.as_str()) && !OPTIONAL.contains(&n.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(StatementError::UnknownColumn(unknown));
    }
    let column = |name: &str| names.iter().position(|n| n == name);
    for (at, name) in names.iter().enumerate() {
        if names[..at].contains(name) {
            return Err(StatementError::Header(format!("the column {name} appears twice")));
        }
    }
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| column(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(StatementError::Header(format!(
            "required columns missing: {}",
            missing.join(", ")
        )));
    }
    let [date, amount, account, remittance] = REQUIRED.map(|c| column(c).unwrap_or_default());
    let [value_date, reference, debtor_name] = OPTIONAL.map(column);
    let mut credits = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| StatementError::Malformed {
            location: e
                .position()
                .map_or_else(|| "a row".to_owned(), |p| format!("line {}", p.line())),
            problem: e.to_string(),
        })?;
        let line = record.position().map_or(0, ::csv::Position::line);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |at: usize| record.get(at).map(str::trim).unwrap_or_default();
        let optional = |at: Option<usize>| at.map(cell).filter(|v| !v.is_empty()).map(str::to_owned);
        let location = format!("line {line}");
        let value = cell(amount);
        let cents = parse_cents(value)
            .filter(|c| *c != 0)
            .ok_or_else(|| StatementError::BadAmount {
                location: location.clone(),
                field: "amount".into(),
                value: value.to_owned(),
            })?;
        if cents < 0 {
            continue;
        }
        let booking_date = date_of(cell(date), &location, "date")?.ok_or_else(|| StatementError::Missing {
            location: location.clone(),
            field: "date".into(),
        })?;
        let credit = BankCredit {
            booking_date,
            value_date: date_of(value_date.map(cell).unwrap_or_default(), &location, "value_date")?,
            amount_cents: cents,
            account: optional(Some(account)),
            remittance: cell(remittance).to_owned(),
            bank_reference: optional(reference),
            debtor_name: optional(debtor_name),
        };
        push(&mut credits, credit)?;
    }
    Ok(credits)
}

/// A date as `YYYY-MM-DD` or `DD/MM/YYYY`; `None` when blank.
fn date_of(value: &str, location: &str, field: &str) -> Result<Option<NaiveDate>, StatementError> {
    if value.is_empty() {
        return Ok(None);
    }
    let format = if value.contains('/') { "%d/%m/%Y" } else { "%Y-%m-%d" };
    NaiveDate::parse_from_str(value, format)
        .ok()
        .filter(|_| value.len() == 10)
        .map(Some)
        .ok_or_else(|| StatementError::BadDate {
            location: location.to_owned(),
            field: field.to_owned(),
            value: value.to_owned(),
        })
}
