//! Turning the text of a field into a domain value, or into the row's issue naming the field.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use pagopa_domain::{
    AmountCents, CountryCode, Email, EnteId, FiscalCode, Iban, Iupd, NoticeNumber, Province, RowIssue, Text,
    TransferCategory,
};

/// A field's value, by its name in the file.
pub(crate) type Field<T> = Result<T, RowIssue>;

fn issue(code: &'static str, field: &str, italian: &str, english: impl std::fmt::Display) -> RowIssue {
    RowIssue::new(code, format!("{field}: {italian}"), format!("{field}: {english}"))
}

/// A required field that is empty.
pub(crate) fn missing(field: &str) -> RowIssue {
    issue(
        "missing_field",
        field,
        "campo obbligatorio vuoto",
        "required field is empty",
    )
}

/// A required field.
pub(crate) fn required<'a>(field: &str, raw: Option<&'a str>) -> Field<&'a str> {
    raw.filter(|v| !v.is_empty()).ok_or_else(|| missing(field))
}

/// Free text of at most `MAX` characters.
pub(crate) fn text<const MAX: usize>(field: &str, raw: &str) -> Field<Text<MAX>> {
    Text::<MAX>::from_str(raw).map_err(|e| {
        issue(
            "invalid_text",
            field,
            &format!("testo non valido (al massimo {MAX} caratteri, senza caratteri di controllo)"),
            e,
        )
    })
}

/// A debtor's or an Ente's fiscal code.
pub(crate) fn fiscal_code(field: &str, raw: &str) -> Field<FiscalCode> {
    FiscalCode::from_str(raw).map_err(|e| {
        issue(
            "invalid_fiscal_code",
            field,
            &format!("codice fiscale {raw:?} non valido"),
            format!("{raw:?} is not a valid fiscal code: {e}"),
        )
    })
}

/// An Ente's fiscal code (11 digits).
pub(crate) fn ente(field: &str, raw: &str) -> Field<EnteId> {
    EnteId::from_str(raw).map_err(|e| {
        issue(
            "invalid_ente",
            field,
            &format!("codice fiscale dell'ente {raw:?} non valido"),
            format!("{raw:?} is not an Ente fiscal code: {e}"),
        )
    })
}

/// An IBAN.
pub(crate) fn iban(field: &str, raw: &str) -> Field<Iban> {
    Iban::from_str(raw).map_err(|e| {
        issue(
            "invalid_iban",
            field,
            &format!("IBAN {raw:?} non valido"),
            format!("{raw:?} is not a valid IBAN: {e}"),
        )
    })
}

/// A notice number with its check digits.
pub(crate) fn notice_number(field: &str, raw: &str) -> Field<NoticeNumber> {
    NoticeNumber::from_str(raw).map_err(|e| {
        issue(
            "invalid_notice_number",
            field,
            &format!("numero avviso {raw:?} non valido (18 cifre, cifre di controllo)"),
            format!("{raw:?} is not a valid notice number: {e}"),
        )
    })
}

/// A position id (iupd).
pub(crate) fn iupd(field: &str, raw: &str) -> Field<Iupd> {
    Iupd::from_str(raw).map_err(|e| {
        issue(
            "invalid_position_id",
            field,
            &format!("identificativo {raw:?} non valido"),
            format!("{raw:?} is not a valid position id: {e}"),
        )
    })
}

/// A positive amount in cents, at most pagoPA's maximum.
pub(crate) fn amount(field: &str, raw: &str) -> Field<AmountCents> {
    let cents: u64 = raw.parse().map_err(|_| {
        issue(
            "invalid_amount",
            field,
            &format!("importo {raw:?} non valido: un numero intero di centesimi"),
            format!("{raw:?} is not a whole number of cents"),
        )
    })?;
    AmountCents::new(cents).map_err(|e| {
        issue(
            "invalid_amount",
            field,
            &format!("importo {cents} non ammesso (da 1 a 99999999999 centesimi)"),
            e,
        )
    })
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date(field: &str, raw: &str) -> Field<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        issue(
            "invalid_date",
            field,
            &format!("data {raw:?} non valida (AAAA-MM-GG)"),
            format!("{raw:?} is not a date (YYYY-MM-DD)"),
        )
    })
}

/// An instant: RFC 3339, or a date (midnight UTC of that day).
pub(crate) fn instant(field: &str, raw: &str) -> Field<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    date(field, raw).map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// `true` or `false`.
pub(crate) fn boolean(field: &str, raw: &str) -> Field<bool> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(issue(
            "invalid_boolean",
            field,
            &format!("{other:?} non è true o false"),
            format!("{other:?} is not true or false"),
        )),
    }
}

/// A taxonomy code.
pub(crate) fn category(field: &str, raw: &str) -> Field<TransferCategory> {
    TransferCategory::from_str(raw).map_err(|e| {
        issue(
            "invalid_category",
            field,
            &format!("codice tassonomico {raw:?} non valido"),
            e,
        )
    })
}

/// A two-letter province.
pub(crate) fn province(field: &str, raw: &str) -> Field<Province> {
    Province::from_str(raw).map_err(|e| issue("invalid_province", field, "sigla di provincia non valida", e))
}

/// A two-letter country.
pub(crate) fn country(field: &str, raw: &str) -> Field<CountryCode> {
    CountryCode::from_str(raw).map_err(|e| issue("invalid_country", field, "codice nazione non valido", e))
}

/// An e-mail address.
pub(crate) fn email(field: &str, raw: &str) -> Field<Email> {
    Email::from_str(raw).map_err(|e| issue("invalid_email", field, "indirizzo e-mail non valido", e))
}

/// A field whose value is not one of those allowed.
pub(crate) fn choice(field: &str, raw: &str, allowed: &str) -> RowIssue {
    issue(
        "invalid_value",
        field,
        &format!("valore {raw:?} non ammesso ({allowed})"),
        format!("{raw:?} is not allowed ({allowed})"),
    )
}

/// An optional value: absent when the text is empty or missing.
pub(crate) fn optional<T>(raw: Option<&str>, parse: impl FnOnce(&str) -> Field<T>) -> Field<Option<T>> {
    match raw.filter(|v| !v.is_empty()) {
        Some(v) => parse(v).map(Some),
        None => Ok(None),
    }
}
