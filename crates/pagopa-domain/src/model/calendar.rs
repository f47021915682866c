//! The Italian calendar day. Due dates, expiry and spontaneous due dates are Italian dates
//! (Europe/Rome), so the domain turns an instant into the day in Italy. Only the EU summer-time
//! rule is needed (since 1996: from 01:00 UTC of the last Sunday of March to 01:00 UTC of the
//! last Sunday of October), so no time-zone database is pulled in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Whether an instant falls in Italian summer time (CEST, UTC+2).
pub fn is_italian_summer_time(at: DateTime<Utc>) -> bool {
    let utc = at.naive_utc();
    let (Some(start), Some(end)) = (last_sunday(utc.year(), 3), last_sunday(utc.year(), 10)) else {
        return false;
    };
    let one = NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default();
    utc >= start.and_time(one) && utc < end.and_time(one)
}

/// The calendar day in Italy at an instant.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pagopa_domain::model::calendar::italian_date;
///
/// // 23:30 UTC on 16 December is 00:30 on the 17th in Rome (CET, UTC+1).
/// let at = Utc.with_ymd_and_hms(2026, 12, 16, 23, 30, 0).unwrap();
/// assert_eq!(italian_date(at).to_string(), "2026-12-17");
/// ```
pub fn italian_date(at: DateTime<Utc>) -> NaiveDate {
    let offset = if is_italian_summer_time(at) { 2 } else { 1 };
    (at.naive_utc() + Duration::hours(offset)).date()
}

/// The instant an Italian calendar day begins (midnight in Rome).
///
/// ```
/// use chrono::NaiveDate;
/// use pagopa_domain::model::calendar::italian_midnight;
///
/// let day = NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
/// assert_eq!(italian_midnight(day).to_rfc3339(), "2026-12-16T23:00:00+00:00");
/// let day = NaiveDate::from_ymd_opt(2026, 7, 16).unwrap();
/// assert_eq!(italian_midnight(day).to_rfc3339(), "2026-07-15T22:00:00+00:00");
/// ```
pub fn italian_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN).and_utc();
    let summer = midnight - Duration::hours(2);
    if is_italian_summer_time(summer) && italian_date(summer) == day {
        summer
    } else {
        midnight - Duration::hours(1)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn the_day_changes_at_midnight_in_rome() {
        // Winter, UTC+1.
        assert_eq!(italian_date(at(2026, 12, 16, 22, 59)).to_string(), "2026-12-16");
        assert_eq!(italian_date(at(2026, 12, 16, 23, 0)).to_string(), "2026-12-17");
        // Summer, UTC+2.
        assert_eq!(italian_date(at(2026, 7, 15, 21, 59)).to_string(), "2026-07-15");
        assert_eq!(italian_date(at(2026, 7, 15, 22, 0)).to_string(), "2026-07-16");
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert!(!is_italian_summer_time(at(2026, 3, 29, 0, 59)));
        assert!(is_italian_summer_time(at(2026, 3, 29, 1, 0)));
        assert!(is_italian_summer_time(at(2026, 10, 25, 0, 59)));
        assert!(!is_italian_summer_time(at(2026, 10, 25, 1, 0)));
        // New Year's Eve.
        assert_eq!(italian_date(at(2026, 12, 31, 23, 30)).to_string(), "2027-01-01");
    }
}
