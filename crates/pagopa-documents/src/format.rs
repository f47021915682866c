//! Print forms: Italian amounts and dates, and ASCII folding for fixed-width payloads.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// `1.234,56` from integer cents (never through floating point).
pub(crate) fn italian_amount(cents: u64) -> String {
    let euros = (cents / 100).to_string();
    let mut out = String::with_capacity(euros.len() + euros.len() / 3 + 3);
    for (index, digit) in euros.chars().enumerate() {
        if index > 0 && (euros.len() - index).is_multiple_of(3) {
            out.push('.');
        }
        out.push(digit);
    }
    out.push(',');
    let rest = cents % 100;
    out.push(char::from(b'0' + (rest / 10) as u8));
    out.push(char::from(b'0' + (rest % 10) as u8));
    out
}

/// `dd/mm/yyyy`.
pub(crate) fn italian_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Italian civil time of an instant: CET, or CEST from the last Sunday of March to the last
/// Sunday of October at 01:00 UTC (the EU rule). Returns the local time and its UTC offset in
/// hours.
pub(crate) fn italian_time(at: DateTime<Utc>) -> (NaiveDateTime, i64) {
    let offset = if pagopa_domain::model::calendar::is_italian_summer_time(at) {
        2
    } else {
        1
    };
    ((at + Duration::hours(offset)).naive_utc(), offset)
}

/// The text folded to printable ASCII for fixed-width payloads: accents dropped (`è` → `e`),
/// ligatures spelled out, anything else a space.
pub(crate) fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(if c.is_ascii_control() { ' ' } else { c });
            continue;
        }
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'È' | 'É' | 'Ê' | 'Ë' => "E",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'Ì' | 'Í' | 'Î' | 'Ï' => "I",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
            'ç' => "c",
            'Ç' => "C",
            'ñ' => "n",
            'Ñ' => "N",
            'ß' => "ss",
            'æ' => "ae",
            'Æ' => "AE",
            'œ' => "oe",
            'Œ' => "OE",
            '’' | '‘' | '`' | '´' => "'",
            '“' | '”' | '«' | '»' => "\"",
            '–' | '—' => "-",
            '€' => "EUR",
            _ => " ",
        };
        out.push_str(folded);
    }
    out
}

/// `text` folded to ASCII, cut to `width` characters and padded with spaces to it: the fields of
/// the Poste Data Matrix have fixed widths, so there (and only there) long texts are cut.
pub(crate) fn fixed_width(text: &str, width: usize) -> String {
    let mut out: String = fold_ascii(text).chars().take(width).collect();
    while out.len() < width {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn amounts_are_italian() {
        assert_eq!(italian_amount(1), "0,01");
        assert_eq!(italian_amount(100), "1,00");
        assert_eq!(italian_amount(123_456), "1.234,56");
        assert_eq!(italian_amount(99_999_999_999), "999.999.999,99");
        assert_eq!(italian_amount(100_000_000), "1.000.000,00");
    }

    #[test]
    fn italian_time_follows_summer_time() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        assert_eq!(italian_time(winter).0.format("%H:%M").to_string(), "11:00");
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0).unwrap();
        assert_eq!(italian_time(summer).0.format("%H:%M").to_string(), "12:00");
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let before = Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 0).unwrap();
        assert_eq!(italian_time(before).1, 1);
        let after = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap();
        assert_eq!(italian_time(after).1, 2);
        let autumn = Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap();
        assert_eq!(italian_time(autumn).1, 1);
    }

    #[test]
    fn fixed_width_fields_fold_cut_and_pad() {
        assert_eq!(fixed_width("Perché così", 12), "Perche cosi ");
        assert_eq!(fixed_width("abcdef", 3), "abc");
        assert_eq!(fixed_width("Straße", 7), "Strasse");
    }
}
