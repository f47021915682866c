//! `xsd:dateTime` as the Node writes it: Italian local time, usually without an offset.
//!
//! pagoPA's `paymentDateTime` carries no zone (`2026-11-25T10:42:31`) and means the time in
//! Italy. Converting needs only the EU summer-time rule (since 1996: from 01:00 UTC of the last
//! Sunday of March to 01:00 UTC of the last Sunday of October), so no time-zone database is
//! pulled in.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Whether an instant (as a UTC naive time) falls in Italian summer time: the domain's rule.
fn is_summer(utc: NaiveDateTime) -> bool {
    pagopa_domain::model::calendar::is_italian_summer_time(utc.and_utc())
}

fn rome_offset_hours(utc: NaiveDateTime) -> i64 {
    if is_summer(utc) { 2 } else { 1 }
}

/// A local Italian time to UTC. In the repeated hour of October the earlier instant is taken.
pub(crate) fn rome_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    // Try summer time first: right when the result lies in summer time.
    let summer = local - Duration::hours(2);
    let utc = if is_summer(summer) {
        summer
    } else {
        local - Duration::hours(1)
    };
    Utc.from_utc_datetime(&utc)
}

/// UTC to Italian local time, without offset, as the Node writes it.
pub(crate) fn utc_to_rome(utc: DateTime<Utc>) -> NaiveDateTime {
    let naive = utc.naive_utc();
    naive + Duration::hours(rome_offset_hours(naive))
}

/// The day in Italy at an instant (a PSP's operating day, `applicationDate`).
pub fn italian_date(utc: DateTime<Utc>) -> NaiveDate {
    utc_to_rome(utc).date()
}

/// Parses an `xsd:dateTime`: with an offset (`Z`, `+01:00`) it is exact; without, Italian time.
pub(crate) fn parse_date_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(exact) = DateTime::<FixedOffset>::parse_from_rfc3339(raw) {
        return Some(exact.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(rome_to_utc)
}

/// Parses an `xsd:date`, ignoring an optional zone suffix.
pub(crate) fn parse_date(raw: &str) -> Option<NaiveDate> {
    let date = raw.get(..10)?;
    let rest = &raw[10..];
    if !(rest.is_empty() || rest == "Z" || rest.starts_with(['+', '-'])) {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(raw: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn winter_and_summer() {
        assert_eq!(
            rome_to_utc(naive("2026-11-25T10:42:31")).to_rfc3339(),
            "2026-11-25T09:42:31+00:00"
        );
        assert_eq!(
            rome_to_utc(naive("2026-07-01T12:00:00")).to_rfc3339(),
            "2026-07-01T10:00:00+00:00"
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            rome_to_utc(naive("2026-03-29T03:30:00")).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(
            rome_to_utc(naive("2026-03-29T01:30:00")).to_rfc3339(),
            "2026-03-29T00:30:00+00:00"
        );
        for raw in ["2026-11-25T10:42:31", "2026-07-01T12:00:00", "2026-01-01T00:00:00"] {
            assert_eq!(utc_to_rome(rome_to_utc(naive(raw))), naive(raw));
        }
    }

    #[test]
    fn parses_xsd_forms() {
        assert_eq!(
            parse_date_time("2026-11-25T10:42:31.250").unwrap().to_rfc3339(),
            "2026-11-25T09:42:31.250+00:00"
        );
        assert_eq!(
            parse_date_time("2026-11-25T10:42:31Z").unwrap().to_rfc3339(),
            "2026-11-25T10:42:31+00:00"
        );
        assert!(parse_date_time("2026-11-25 10:42").is_none());
        assert_eq!(parse_date("2026-11-25").unwrap().to_string(), "2026-11-25");
        assert_eq!(parse_date("2026-11-25+01:00").unwrap().to_string(), "2026-11-25");
        assert!(parse_date("2026-13-25").is_none());
        assert!(parse_date("2026-11-25x").is_none());
    }
}
