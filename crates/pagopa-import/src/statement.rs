//! Bank statements: the treasury's account statements, read into the credits reconciliation
//! matches against flows and payments (`docs/reconciliation.md`, "Bank statements").
//!
//! Two forms are read: ISO 20022 `camt.053` (versions `001.02` to `001.08`, [`camt`]) and a
//! CSV with a header ([`csv`]). Debits are left out; only booked credits in euro are kept.

pub mod camt;
pub mod csv;

use pagopa_domain::model::reconciliation::MAX_STATEMENT_CREDITS;
use pagopa_domain::{BankCredit, BankStatement, EnteId, StatementFormat};
use sha2::{Digest, Sha256};

/// Why a statement cannot be read; every variant names where in the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The bytes are not UTF-8.
    #[error("the statement is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The file is empty.
    #[error("the statement is empty")]
    Empty,
    /// Not well-formed XML, or a CSV that cannot be split into rows.
    #[error("{location}: {problem}")]
    Malformed {
        /// Where (`line 4`, `Ntry 3`, …).
        location: String,
        /// What is wrong.
        problem: String,
    },
    /// XML that is not a `camt.053` statement of a version read here.
    #[error("not a camt.053.001.02 to .08 statement: {0}")]
    UnsupportedFormat(String),
    /// A required element or field is missing or empty.
    #[error("{location}: {field} is required")]
    Missing {
        /// Where.
        location: String,
        /// Which element or column.
        field: String,
    },
    /// An amount in another currency than euro.
    #[error("{location}: the currency is {currency:?}, only EUR is taken")]
    UnsupportedCurrency {
        /// Where.
        location: String,
        /// The currency written.
        currency: String,
    },
    /// An amount that is not a positive number of euro with at most two decimals.
    #[error("{location}: {field} {value:?} is not an amount in euro (digits, at most 2 decimals, above 0)")]
    BadAmount {
        /// Where.
        location: String,
        /// Which element or column.
        field: String,
        /// What was written.
        value: String,
    },
    /// A date that cannot be read.
    #[error("{location}: {field} {value:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)")]
    BadDate {
        /// Where.
        location: String,
        /// Which element or column.
        field: String,
        /// What was written.
        value: String,
    },
    /// CSV columns that are not part of the format.
    #[error("unknown columns {}: the columns are date, amount, account, remittance, value_date, reference, debtor_name", .0.join(", "))]
    UnknownColumn(Vec<String>),
    /// CSV columns required and absent, or repeated.
    #[error("{0}")]
    Header(String),
    /// More credits than [`MAX_STATEMENT_CREDITS`].
    #[error("the statement holds more than {MAX_STATEMENT_CREDITS} credits")]
    TooManyCredits,
}

impl StatementError {
    /// A short stable code, for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotUtf8 { .. } | Self::Empty | Self::Malformed { .. } => "invalid_file",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::Missing { .. } => "missing_field",
            Self::UnsupportedCurrency { .. } => "unsupported_currency",
            Self::BadAmount { .. } => "bad_amount",
            Self::BadDate { .. } => "bad_date",
            Self::UnknownColumn(_) => "unknown_column",
            Self::Header(_) => "bad_header",
            Self::TooManyCredits => "too_many_credits",
        }
    }
}

/// Reads a statement file of `ente`'s account. `format` `None` detects it: a file whose first
/// non-blank character is `<` is read as `camt.053`, anything else as CSV.
///
/// # Errors
///
/// [`StatementError`] for the first thing that cannot be read; nothing is kept then.
pub fn read_statement(
    ente: EnteId,
    bytes: &[u8],
    format: Option<StatementFormat>,
) -> Result<BankStatement, StatementError> {
    let raw = std::str::from_utf8(bytes).map_err(|e| StatementError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    if text.trim().is_empty() {
        return Err(StatementError::Empty);
    }
    let format = format.unwrap_or_else(|| detect(text));
    let (statement_id, credits) = match format {
        StatementFormat::Camt053 => camt::read(text)?,
        StatementFormat::Csv => (None, csv::read(text)?),
    };
    Ok(BankStatement {
        ente,
        format,
        digest: hex::encode(Sha256::digest(bytes)),
        statement_id,
        credits,
        raw: raw.to_owned(),
    })
}

/// The form a file looks like it is in.
pub fn detect(text: &str) -> StatementFormat {
    if text.trim_start_matches('\u{feff}').trim_start().starts_with('<') {
        StatementFormat::Camt053
    } else {
        StatementFormat::Csv
    }
}

/// Adds a credit, refusing more than [`MAX_STATEMENT_CREDITS`].
fn push(credits: &mut Vec<BankCredit>, credit: BankCredit) -> Result<(), StatementError> {
    push_within(credits, credit, MAX_STATEMENT_CREDITS)
}

fn push_within(credits: &mut Vec<BankCredit>, credit: BankCredit, limit: usize) -> Result<(), StatementError> {
    if credits.len() >= limit {
        return Err(StatementError::TooManyCredits);
    }
    credits.push(credit);
    Ok(())
}

/// An amount as written: `-`? digits, with `.` or `,` as decimal separator and the other as
/// thousands separator (`1234.56`, `1234,56`, `1.234,56`, `1,234.56`); at most two decimals
/// that are not zero. `None` when it is not one. The sign is kept.
fn parse_cents(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return None;
    }
    let decimal = match (digits.rfind('.'), digits.rfind(',')) {
        (Some(dot), Some(comma)) => Some(dot.max(comma)),
        (Some(at), None) | (None, Some(at)) => {
            let separator = digits.as_bytes()[at];
            // One separator is the decimal one; several of the same are thousands groups.
            (digits.bytes().filter(|b| *b == separator).count() == 1).then_some(at)
        }
        (None, None) => None,
    };
    let (whole, fraction) = match decimal {
        Some(at) => (&digits[..at], &digits[at + 1..]),
        None => (digits, ""),
    };
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole_digits = thousands(whole)?;
    if whole_digits.is_empty() && fraction.is_empty() {
        return None;
    }
    let (cents_part, rest) = fraction.split_at(fraction.len().min(2));
    if rest.chars().any(|c| c != '0') {
        return None;
    }
    let euros: i64 = if whole_digits.is_empty() {
        0
    } else {
        whole_digits.parse().ok()?
    };
    let cents: i64 = format!("{cents_part:0<2}").parse().ok()?;
    let value = euros.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -value } else { value })
}

/// The digits of the integer part, checking that any thousands separators group by three.
fn thousands(whole: &str) -> Option<String> {
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    if groups.len() > 1 {
        let first = groups[0];
        if first.is_empty() || first.len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    Some(groups.concat())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    /// `cents` as a bank may write it: `1234.56`, `1234,56`, `1.234,56`, `1,234.56`.
    fn written(cents: i64, decimal: char, thousands: Option<char>) -> String {
        let euros = (cents / 100).to_string();
        let whole = match thousands {
            Some(separator) => {
                let digits: Vec<char> = euros.chars().collect();
                let mut grouped = String::new();
                for (n, digit) in digits.iter().enumerate() {
                    if n > 0 && (digits.len() - n).is_multiple_of(3) {
                        grouped.push(separator);
                    }
                    grouped.push(*digit);
                }
                grouped
            }
            None => euros,
        };
        format!("{whole}{decimal}{:02}", cents % 100)
    }

    proptest::proptest! {
        #[test]
        fn every_written_form_reads_back_exactly(cents in 1i64..100_000_000_000, form in 0usize..4) {
            let text = match form {
                0 => written(cents, '.', None),
                1 => written(cents, ',', None),
                2 => written(cents, ',', Some('.')),
                _ => written(cents, '.', Some(',')),
            };
            proptest::prop_assert_eq!(parse_cents(&text), Some(cents), "{}", text);
            proptest::prop_assert_eq!(parse_cents(&format!("-{text}")), Some(-cents));
        }
    }

    #[test]
    fn credits_stop_at_the_cap() {
        let credit = BankCredit {
            booking_date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
            value_date: None,
            amount_cents: 1,
            account: None,
            remittance: String::new(),
            bank_reference: None,
            debtor_name: None,
        };
        let mut credits = Vec::new();
        assert_eq!(push_within(&mut credits, credit.clone(), 2), Ok(()));
        assert_eq!(push_within(&mut credits, credit.clone(), 2), Ok(()));
        let refused = push_within(&mut credits, credit, 2).unwrap_err();
        assert_eq!(refused, StatementError::TooManyCredits);
        assert_eq!(refused.code(), "too_many_credits");
        assert_eq!(credits.len(), 2);
    }

    #[test]
    fn amounts_are_exact_cents() {
        assert_eq!(parse_cents("1234.56"), Some(123_456));
        assert_eq!(parse_cents("1234,56"), Some(123_456));
        assert_eq!(parse_cents("1.234,56"), Some(123_456));
        assert_eq!(parse_cents("1,234.56"), Some(123_456));
        assert_eq!(parse_cents("1.234.567,8"), Some(123_456_780));
        assert_eq!(parse_cents("12"), Some(1_200));
        assert_eq!(parse_cents("0.10"), Some(10));
        assert_eq!(parse_cents("-5,00"), Some(-500));
        assert_eq!(parse_cents("10.500"), Some(1_050));
        assert_eq!(parse_cents("10.505"), None);
        assert_eq!(parse_cents("1.23.4"), None);
        assert_eq!(parse_cents("12,34,56"), None);
        assert_eq!(parse_cents("1e3"), None);
        assert_eq!(parse_cents(""), None);
        assert_eq!(parse_cents("."), None);
    }
}
