//! Amsterdam time, as the API counts it: the coordinator API counts working days in
//! Europe/Amsterdam time, and clients show and read times in that zone.
//!
//! The zone's rule since 1996 is the EU's (directive 2000/84/EC): CEST (UTC+2) from the
//! last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, CET (UTC+1)
//! otherwise. It is computed here rather than read from a time-zone database, so that
//! neither the hub nor its clients need one.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The last Sunday of `month` in `year`, at 01:00 UTC.
fn last_sunday_0100_utc(year: i32, month: Month) -> Option<OffsetDateTime> {
    let days = time::util::days_in_month(month, year);
    let last = Date::from_calendar_date(year, month, days).ok()?;
    let back = i64::from(last.weekday().number_days_from_sunday());
    let sunday = last - Duration::days(back);
    Some(PrimitiveDateTime::new(sunday, Time::from_hms(1, 0, 0).ok()?).assume_utc())
}

/// Amsterdam's UTC offset at the instant `at`.
pub fn amsterdam_offset(at: OffsetDateTime) -> UtcOffset {
    let utc = at.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let summer = match (
        last_sunday_0100_utc(year, Month::March),
        last_sunday_0100_utc(year, Month::October),
    ) {
        (Some(start), Some(end)) => utc >= start && utc < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The instant `at` in Amsterdam time.
pub fn in_amsterdam(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(amsterdam_offset(at))
}

/// A local Amsterdam wall-clock time as an instant. In the autumn hour that happens
/// twice, the summer-time reading is taken; a time in the skipped spring hour is read
/// as winter time.
pub fn from_amsterdam(local: PrimitiveDateTime) -> OffsetDateTime {
    for hours in [2, 1] {
        if let Ok(offset) = UtcOffset::from_hms(hours, 0, 0) {
            let candidate = local.assume_offset(offset);
            if amsterdam_offset(candidate) == offset {
                return candidate;
            }
        }
    }
    local.assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn offsets_follow_the_eu_rule() {
        assert_eq!(
            amsterdam_offset(datetime!(2026-01-15 12:00 UTC)).whole_hours(),
            1
        );
        assert_eq!(
            amsterdam_offset(datetime!(2026-07-15 12:00 UTC)).whole_hours(),
            2
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            amsterdam_offset(datetime!(2026-03-29 00:59 UTC)).whole_hours(),
            1
        );
        assert_eq!(
            amsterdam_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            amsterdam_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            amsterdam_offset(datetime!(2026-10-25 01:00 UTC)).whole_hours(),
            1
        );
    }

    #[test]
    fn local_times_read_back_to_instants() {
        let winter = PrimitiveDateTime::new(
            Date::from_calendar_date(2026, Month::November, 20).unwrap(),
            Time::from_hms(9, 30, 0).unwrap(),
        );
        assert_eq!(from_amsterdam(winter), datetime!(2026-11-20 08:30 UTC));
        // The repeated autumn hour reads as summer time.
        let repeated = PrimitiveDateTime::new(
            Date::from_calendar_date(2026, Month::October, 25).unwrap(),
            Time::from_hms(2, 30, 0).unwrap(),
        );
        assert_eq!(from_amsterdam(repeated), datetime!(2026-10-25 00:30 UTC));
        assert_eq!(in_amsterdam(datetime!(2026-07-01 10:30 UTC)).hour(), 12);
    }
}
