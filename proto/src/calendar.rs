//! The covenant's calendar: Europe/Amsterdam. Every "today", every date check and every
//! deadline of the treiteraanpak is a day of Amsterdam's calendar, never UTC's.
//!
//! Why it matters: from 00:00 to 01:00 Amsterdam time in winter (to 02:00 in summer) the
//! UTC date is still yesterday. A consent given "today" at 00:30 in Amsterdam is dated
//! the Amsterdam day, and a check against the UTC date would call it "in the future".
//! Instants (when a melding was made, when an emergency ends) stay instants; this module
//! turns them into Amsterdam days and wall-clock times and back, and counts the
//! covenant's deadlines on those days:
//!
//! | need | function |
//! |---|---|
//! | Amsterdam's UTC offset at an instant | [`offset`], [`zone_name`] |
//! | an instant as Amsterdam reads it; today's date | [`local`], [`today`], [`clock_text`] |
//! | an Amsterdam wall-clock time or midnight as an instant | [`from_local`], [`start_of_day`] |
//! | 2 working days to contact the melder (4.3), 1 to review an emergency share (15.2) | [`add_working_days`] |
//! | 24 / 3 months of retention (9.1, 9.2) | [`add_months`], [`months_after`] |
//! | 4 weeks to answer an inzage request (11.2) | [`weeks_after`] |
//! | a date a person gives (consent, inzage received): read, refused in the future | [`check_not_future`], [`parse_date`], [`date_text`] |
//!
//! Every function takes the instant it works on as a parameter; nothing here reads the
//! system clock, so a test can ask what 23:30 UTC on a DST change day means.
//!
//! # Where it lives
//! In `treiter-proto` because the hub, the node agent and hubctl all depend on this
//! crate (hubctl does not depend on `treiter-policies`), and because the calendar is
//! part of the API's contract: the coordinator API's dates (a consent's `date`, an
//! inzage's `received_on` and `due_on`) are Amsterdam dates and its deadlines count
//! Amsterdam working days, so both ends must read them with one rule.
//!
//! # The rule, and why it is written out here
//! Since 1996 the Netherlands follows the EU's summer-time rule, fixed by directive
//! 2000/84/EC (articles 2 and 3): summer time (CEST, UTC+2) starts at 01:00 UTC on the
//! last Sunday of March and ends at 01:00 UTC on the last Sunday of October; the rest
//! of the year is CET (UTC+1). That is one date computation per year, so it is computed
//! here rather than read from a time-zone database (a `jiff` or `chrono-tz` with a
//! bundled tzdb): no new dependency, no tz data to keep fresh on servers, and no way for
//! a machine's `TZ` or tzdata to change what the hub decides. The test
//! `matches_the_iana_database_1996_to_2037` holds the rule against the IANA database's
//! transitions (tzdata 2025b). Should the EU ever end the clock change (the 2018
//! proposal COM(2018) 639 is stalled), [`offset`] is the one place to change.
//!
//! Instants before 1996 get the same rule, which the Netherlands did not follow exactly
//! (summer time ended in September until 1995); the covenant dates nothing that early
//! by the clock.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// The zone of the covenant's calendar, for messages and documents.
pub const ZONE: &str = "Europe/Amsterdam";

const CET: UtcOffset = match UtcOffset::from_hms(1, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};
const CEST: UtcOffset = match UtcOffset::from_hms(2, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The last Sunday of `month` in `year`, at 01:00 UTC: when the clocks change.
fn last_sunday_0100_utc(year: i32, month: Month) -> Option<OffsetDateTime> {
    let days = time::util::days_in_month(month, year);
    let last = Date::from_calendar_date(year, month, days).ok()?;
    let back = i64::from(last.weekday().number_days_from_sunday());
    let sunday = last.checked_sub(Duration::days(back))?;
    Some(PrimitiveDateTime::new(sunday, Time::from_hms(1, 0, 0).ok()?).assume_utc())
}

/// Amsterdam's UTC offset at the instant `at`: +2 in summer time, +1 otherwise.
pub fn offset(at: OffsetDateTime) -> UtcOffset {
    let utc = at.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let summer = match (
        last_sunday_0100_utc(year, Month::March),
        last_sunday_0100_utc(year, Month::October),
    ) {
        (Some(start), Some(end)) => utc >= start && utc < end,
        // Only at the very ends of `time`'s range of years.
        _ => false,
    };
    if summer { CEST } else { CET }
}

/// The name of Amsterdam's offset at `at`: "CEST" in summer time, "CET" otherwise.
pub fn zone_name(at: OffsetDateTime) -> &'static str {
    if offset(at) == CEST { "CEST" } else { "CET" }
}

/// The instant `at` as Amsterdam's clocks show it.
pub fn local(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(offset(at))
}

/// The date in Amsterdam at the instant `at`: what "today" means for every party.
pub fn today(at: OffsetDateTime) -> Date {
    local(at).date()
}

/// An Amsterdam wall-clock time as an instant. In the autumn hour that happens twice,
/// the summer-time reading (the earlier instant) is taken; a time in the skipped spring
/// hour (02:00–03:00) does not exist and is read as winter time, one hour later than
/// the clocks showed.
pub fn from_local(local: PrimitiveDateTime) -> OffsetDateTime {
    for zone in [CEST, CET] {
        let candidate = local.assume_offset(zone);
        if offset(candidate) == zone {
            return candidate;
        }
    }
    local.assume_offset(CET)
}

/// The instant Amsterdam's day `date` begins (its local midnight; the clocks never
/// change at midnight, so there always is one).
pub fn start_of_day(date: Date) -> OffsetDateTime {
    from_local(PrimitiveDateTime::new(date, Time::MIDNIGHT))
}

/// Monday to Friday. The covenant excludes weekends only, so public holidays count as
/// working days.
pub fn is_working_day(day: Weekday) -> bool {
    !matches!(day, Weekday::Saturday | Weekday::Sunday)
}

/// The instant `n` working days after `from`, counted on Amsterdam's calendar.
///
/// When `from` falls on a working day in Amsterdam: the same local clock time on the
/// `n`-th following working day (Friday 15:00 + 2 → Tuesday 15:00, also across a DST
/// change). When it falls on a Saturday or Sunday: counting starts at the next Monday
/// 00:00 (Saturday 11:00 + 2 → Wednesday 00:00). The day is Amsterdam's: Friday 00:30
/// in Amsterdam is a Friday, even though UTC still says Thursday.
pub fn add_working_days(from: OffsetDateTime, n: u32) -> OffsetDateTime {
    let here = local(from);
    let (mut date, clock) = if is_working_day(here.weekday()) {
        (here.date(), here.time())
    } else {
        let mut monday = here.date();
        while !is_working_day(monday.weekday()) {
            monday = monday.next_day().unwrap_or(monday);
        }
        // Counting starts at Monday 00:00; reaching it is the first step, not a day.
        (monday, Time::MIDNIGHT)
    };
    let mut counted = 0;
    while counted < n {
        let Some(next) = date.next_day() else { break };
        date = next;
        if is_working_day(date.weekday()) {
            counted += 1;
        }
    }
    from_local(PrimitiveDateTime::new(date, clock))
}

/// The date `months` calendar months after `date`: the same day of the month, or the
/// month's last day when it is shorter (31 August + 6 months → the end of February).
pub fn months_after(date: Date, months: u32) -> Date {
    let index = i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(i64::from(date.year()) + index / 12).ok();
    let month = u8::try_from(index % 12 + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok());
    match (year, month) {
        (Some(year), Some(month)) => {
            let day = date.day().min(month.length(year));
            // Past the last representable year: a term that never runs out.
            Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
        }
        _ => Date::MAX,
    }
}

/// The instant `months` calendar months after `at` on Amsterdam's calendar (article 9's
/// retention terms): [`months_after`] of the Amsterdam date, at the same Amsterdam
/// clock time.
pub fn add_months(at: OffsetDateTime, months: u32) -> OffsetDateTime {
    let here = local(at);
    from_local(PrimitiveDateTime::new(
        months_after(here.date(), months),
        here.time(),
    ))
}

/// The date `weeks` weeks after `date` (article 11.2: an inzage request is answered
/// within 4 weeks of the day it was received).
pub fn weeks_after(date: Date, weeks: u32) -> Date {
    date.checked_add(Duration::weeks(i64::from(weeks)))
        .unwrap_or(Date::MAX)
}

/// A date as the API writes it: `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// An instant as Amsterdam's clocks show it, to the minute, for messages:
/// `2026-12-07 00:30 CET`.
pub fn clock_text(at: OffsetDateTime) -> String {
    let here = local(at);
    format!(
        "{} {:02}:{:02} {}",
        date_text(here.date()),
        here.hour(),
        here.minute(),
        zone_name(at)
    )
}

/// A date as the API writes it, or `None` when `text` is not exactly `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// A date someone gave that cannot be taken. Messages name the field and the value,
/// and for a date in the future, today's date in Amsterdam.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not a `YYYY-MM-DD` date. The value is echoed only when it has that shape (e.g.
    /// "2026-02-30"): the field may hold anything a caller typed, and messages never
    /// carry personal data (article 12.3).
    #[error("{field} {} is not a date of the form YYYY-MM-DD", shown(.given.as_deref()))]
    NotADate {
        field: &'static str,
        given: Option<String>,
    },
    /// After today in Amsterdam.
    #[error(
        "{field} {} is in the future: today is {} in Amsterdam",
        date_text(*.given),
        date_text(*.today)
    )]
    InTheFuture {
        field: &'static str,
        given: Date,
        today: Date,
    },
}

fn shown(given: Option<&str>) -> String {
    match given {
        Some(text) => format!("\"{text}\""),
        None => "(the value given, not echoed)".to_owned(),
    }
}

/// Whether `text` looks like `YYYY-MM-DD` (digits in those places), so that echoing it
/// reveals nothing but a date-shaped value.
fn date_shaped(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Reads the date `text` given for `field` and refuses it when it is after today in
/// Amsterdam at `now` (a consent given, a request received: both have happened).
pub fn check_not_future(
    field: &'static str,
    text: &str,
    now: OffsetDateTime,
) -> Result<Date, DateError> {
    let given = parse_date(text).ok_or_else(|| DateError::NotADate {
        field,
        given: date_shaped(text).then(|| text.to_owned()),
    })?;
    let today = today(now);
    if given > today {
        return Err(DateError::InTheFuture {
            field,
            given,
            today,
        });
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn hours(at: OffsetDateTime) -> i8 {
        offset(at).whole_hours()
    }

    /// The last Sundays of March and October from the IANA time-zone database (tzdata
    /// 2025b, `zdump -v -c 1996,2038 Europe/Amsterdam`): every change there is at 01:00
    /// UTC on these days.
    const IANA_CHANGES: [(i32, u8, u8); 42] = [
        (1996, 31, 27),
        (1997, 30, 26),
        (1998, 29, 25),
        (1999, 28, 31),
        (2000, 26, 29),
        (2001, 25, 28),
        (2002, 31, 27),
        (2003, 30, 26),
        (2004, 28, 31),
        (2005, 27, 30),
        (2006, 26, 29),
        (2007, 25, 28),
        (2008, 30, 26),
        (2009, 29, 25),
        (2010, 28, 31),
        (2011, 27, 30),
        (2012, 25, 28),
        (2013, 31, 27),
        (2014, 30, 26),
        (2015, 29, 25),
        (2016, 27, 30),
        (2017, 26, 29),
        (2018, 25, 28),
        (2019, 31, 27),
        (2020, 29, 25),
        (2021, 28, 31),
        (2022, 27, 30),
        (2023, 26, 29),
        (2024, 31, 27),
        (2025, 30, 26),
        (2026, 29, 25),
        (2027, 28, 31),
        (2028, 26, 29),
        (2029, 25, 28),
        (2030, 31, 27),
        (2031, 30, 26),
        (2032, 28, 31),
        (2033, 27, 30),
        (2034, 26, 29),
        (2035, 25, 28),
        (2036, 30, 26),
        (2037, 29, 25),
    ];

    #[test]
    fn matches_the_iana_database_1996_to_2037() {
        for (year, march, october) in IANA_CHANGES {
            let at = |month, day, h, m, s| {
                let date = Date::from_calendar_date(year, month, day).unwrap();
                PrimitiveDateTime::new(date, Time::from_hms(h, m, s).unwrap()).assume_utc()
            };
            let spring = at(Month::March, march, 1, 0, 0);
            let autumn = at(Month::October, october, 1, 0, 0);
            let second = Duration::seconds(1);
            assert_eq!(
                hours(spring - second),
                1,
                "{year}: before the spring change"
            );
            assert_eq!(hours(spring), 2, "{year}: at the spring change");
            assert_eq!(
                hours(autumn - second),
                2,
                "{year}: before the autumn change"
            );
            assert_eq!(hours(autumn), 1, "{year}: at the autumn change");
            assert_eq!(hours(at(Month::January, 15, 12, 0, 0)), 1, "{year}");
            assert_eq!(hours(at(Month::July, 15, 12, 0, 0)), 2, "{year}");
        }
    }

    /// The instants the issue names: 00:30 in Amsterdam, when UTC's date is still
    /// yesterday's, in winter, in summer, and on and after both change days.
    #[test]
    fn today_is_the_amsterdam_date_when_utc_is_still_yesterday() {
        for (at, amsterdam) in [
            // Winter: 23:30 UTC is 00:30 CET the next day.
            (datetime!(2026-12-06 23:30 UTC), date!(2026 - 12 - 07)),
            // Summer: 22:30 UTC is 00:30 CEST the next day.
            (datetime!(2026-07-01 22:30 UTC), date!(2026 - 07 - 02)),
            // Spring change day (29 March 2026): its first half hour, still CET ...
            (datetime!(2026-03-28 23:30 UTC), date!(2026 - 03 - 29)),
            // ... and the first night of summer time after it.
            (datetime!(2026-03-29 22:30 UTC), date!(2026 - 03 - 30)),
            // Autumn change day (25 October 2026): its first half hour, still CEST ...
            (datetime!(2026-10-24 22:30 UTC), date!(2026 - 10 - 25)),
            // ... and the first night of winter time after it.
            (datetime!(2026-10-25 23:30 UTC), date!(2026 - 10 - 26)),
            // New year's night: the year changes too.
            (datetime!(2026-12-31 23:30 UTC), date!(2027 - 01 - 01)),
        ] {
            assert_ne!(at.date(), amsterdam, "{at}: UTC's date differs");
            assert_eq!(today(at), amsterdam, "{at}");
        }
        // Just before local midnight it is still the UTC day.
        assert_eq!(
            today(datetime!(2026-12-06 22:59 UTC)),
            date!(2026 - 12 - 06)
        );
        assert_eq!(
            today(datetime!(2026-07-01 21:59 UTC)),
            date!(2026 - 07 - 01)
        );
    }

    #[test]
    fn offsets_and_zone_names_on_the_change_days() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(hours(datetime!(2026-03-29 00:59:59 UTC)), 1);
        assert_eq!(hours(datetime!(2026-03-29 01:00 UTC)), 2);
        assert_eq!(hours(datetime!(2026-10-25 00:59:59 UTC)), 2);
        assert_eq!(hours(datetime!(2026-10-25 01:00 UTC)), 1);
        assert_eq!(zone_name(datetime!(2026-03-29 01:00 UTC)), "CEST");
        assert_eq!(zone_name(datetime!(2026-10-25 01:00 UTC)), "CET");
        assert_eq!(
            local(datetime!(2026-07-01 10:30 UTC)),
            datetime!(2026-07-01 12:30 +2)
        );
        assert_eq!(
            local(datetime!(2026-03-29 01:00 UTC)),
            datetime!(2026-03-29 03:00 +2)
        );
    }

    #[test]
    fn local_times_read_back_to_instants() {
        assert_eq!(
            from_local(datetime!(2026-11-20 09:30)),
            datetime!(2026-11-20 08:30 UTC)
        );
        assert_eq!(
            from_local(datetime!(2026-07-20 09:30)),
            datetime!(2026-07-20 07:30 UTC)
        );
        // The repeated autumn hour reads as summer time (the first time round).
        assert_eq!(
            from_local(datetime!(2026-10-25 02:30)),
            datetime!(2026-10-25 00:30 UTC)
        );
        // The skipped spring hour reads as winter time: 02:30 CET is 03:30 CEST.
        assert_eq!(
            from_local(datetime!(2026-03-29 02:30)),
            datetime!(2026-03-29 01:30 UTC)
        );
    }

    #[test]
    fn days_start_at_amsterdam_midnight() {
        assert_eq!(
            start_of_day(date!(2026 - 12 - 07)),
            datetime!(2026-12-06 23:00 UTC)
        );
        assert_eq!(
            start_of_day(date!(2026 - 07 - 02)),
            datetime!(2026-07-01 22:00 UTC)
        );
        // Both change days begin in the offset of the night before.
        assert_eq!(
            start_of_day(date!(2026 - 03 - 29)),
            datetime!(2026-03-28 23:00 UTC)
        );
        assert_eq!(
            start_of_day(date!(2026 - 03 - 30)),
            datetime!(2026-03-29 22:00 UTC)
        );
        assert_eq!(
            start_of_day(date!(2026 - 10 - 25)),
            datetime!(2026-10-24 22:00 UTC)
        );
        assert_eq!(
            start_of_day(date!(2026 - 10 - 26)),
            datetime!(2026-10-25 23:00 UTC)
        );
        // A day and its start agree, in every season.
        for day in [
            date!(2026 - 01 - 01),
            date!(2026 - 03 - 29),
            date!(2026 - 10 - 25),
            date!(2026 - 12 - 07),
        ] {
            assert_eq!(today(start_of_day(day)), day);
            assert_eq!(
                today(start_of_day(day) - Duration::seconds(1)),
                day.previous_day().unwrap()
            );
        }
    }

    #[test]
    fn working_days_keep_the_clock_time() {
        // Monday 23 Nov 2026 10:00 local (09:00 UTC) + 2 → Wednesday 10:00 local.
        assert_eq!(
            add_working_days(datetime!(2026-11-23 09:00 UTC), 2),
            datetime!(2026-11-25 09:00 UTC)
        );
        // Friday 27 Nov 15:00 local (14:00 UTC) + 2 → Tuesday 1 Dec 15:00 local.
        assert_eq!(
            add_working_days(datetime!(2026-11-27 14:00 UTC), 2),
            datetime!(2026-12-01 14:00 UTC)
        );
    }

    #[test]
    fn working_days_from_a_weekend_start_on_monday_midnight() {
        // Saturday 28 Nov 11:00 local + 2 → Wednesday 2 Dec 00:00 local (Tue 23:00 UTC).
        assert_eq!(
            add_working_days(datetime!(2026-11-28 10:00 UTC), 2),
            datetime!(2026-12-01 23:00 UTC)
        );
        // Sunday 23:30 local is Sunday, even though it is 22:30 UTC.
        assert_eq!(
            add_working_days(datetime!(2026-11-29 22:30 UTC), 2),
            datetime!(2026-12-01 23:00 UTC)
        );
    }

    #[test]
    fn working_days_count_amsterdam_days_at_night() {
        // Friday 00:30 CEST is Thursday 22:30 UTC: a Friday, so + 2 → Tuesday 00:30.
        assert_eq!(
            add_working_days(datetime!(2026-07-09 22:30 UTC), 2),
            datetime!(2026-07-13 22:30 UTC)
        );
        // Monday 00:30 CET is Sunday 23:30 UTC: a Monday, so + 1 → Tuesday 00:30, not
        // Tuesday 00:00 as counting from a Sunday would give.
        assert_eq!(
            add_working_days(datetime!(2026-12-06 23:30 UTC), 1),
            datetime!(2026-12-07 23:30 UTC)
        );
        // Saturday 00:30 CET is Friday 23:30 UTC: a weekend day, so + 1 → Tuesday
        // 00:00, not Monday 00:30.
        assert_eq!(
            add_working_days(datetime!(2026-12-11 23:30 UTC), 1),
            datetime!(2026-12-14 23:00 UTC)
        );
    }

    #[test]
    fn working_days_across_the_change_keep_the_local_time() {
        // Friday 23 Oct 2026 10:00 CEST (08:00 UTC) + 2 → Tuesday 27 Oct 10:00 CET.
        assert_eq!(
            add_working_days(datetime!(2026-10-23 08:00 UTC), 2),
            datetime!(2026-10-27 09:00 UTC)
        );
        // Friday 27 Mar 2026 10:00 CET (09:00 UTC) + 1 → Monday 30 Mar 10:00 CEST.
        assert_eq!(
            add_working_days(datetime!(2026-03-27 09:00 UTC), 1),
            datetime!(2026-03-30 08:00 UTC)
        );
        // A melding on the spring change day (Sunday) → Wednesday 00:00 CEST.
        assert_eq!(
            add_working_days(datetime!(2026-03-28 23:30 UTC), 2),
            datetime!(2026-03-31 22:00 UTC)
        );
    }

    #[test]
    fn months_keep_the_day_or_take_the_month_end() {
        assert_eq!(
            months_after(date!(2026 - 01 - 15), 24),
            date!(2028 - 01 - 15)
        );
        assert_eq!(
            months_after(date!(2026 - 11 - 30), 3),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            months_after(date!(2027 - 11 - 30), 3),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            months_after(date!(2026 - 08 - 31), 1),
            date!(2026 - 09 - 30)
        );
        assert_eq!(
            months_after(date!(2026 - 12 - 31), 0),
            date!(2026 - 12 - 31)
        );
        assert_eq!(
            months_after(date!(2026 - 12 - 31), 12),
            date!(2027 - 12 - 31)
        );
        assert_eq!(
            months_after(date!(2026 - 12 - 31), 1),
            date!(2027 - 01 - 31)
        );
    }

    #[test]
    fn months_count_on_the_amsterdam_date_and_clock() {
        // Closed Sunday 1 Feb 2026 00:30 CET (31 Jan 23:30 UTC) + 24 months → 1 Feb
        // 2028 00:30 CET. By UTC's date (31 Jan → 31 Jan) it comes out the same here ...
        assert_eq!(
            add_months(datetime!(2026-01-31 23:30 UTC), 24),
            datetime!(2028-01-31 23:30 UTC)
        );
        // ... but not at a month's end: 31 Jan 00:30 CET (30 Jan 23:30 UTC) + 1 month
        // is 28 Feb 00:30 CET; by UTC's date it would be 28 Feb 23:30 UTC (1 March in
        // Amsterdam).
        assert_eq!(
            add_months(datetime!(2026-01-30 23:30 UTC), 1),
            datetime!(2026-02-27 23:30 UTC)
        );
        // Across the change the Amsterdam clock time stays: 15 Jan 13:00 CET + 6 months
        // → 15 Jul 13:00 CEST (11:00 UTC).
        assert_eq!(
            add_months(datetime!(2026-01-15 12:00 UTC), 6),
            datetime!(2026-07-15 11:00 UTC)
        );
    }

    #[test]
    fn weeks_count_calendar_days() {
        assert_eq!(weeks_after(date!(2026 - 12 - 07), 4), date!(2027 - 01 - 04));
        assert_eq!(weeks_after(date!(2026 - 03 - 20), 4), date!(2026 - 04 - 17));
    }

    #[test]
    fn dates_today_are_taken_at_every_hour_of_an_amsterdam_night() {
        for at in [
            datetime!(2026-12-06 23:30 UTC),
            datetime!(2026-07-01 22:30 UTC),
            datetime!(2026-03-28 23:30 UTC),
            datetime!(2026-03-29 22:30 UTC),
            datetime!(2026-10-24 22:30 UTC),
            datetime!(2026-10-25 23:30 UTC),
        ] {
            let amsterdam = today(at);
            assert_eq!(
                check_not_future("consent date", &date_text(amsterdam), at),
                Ok(amsterdam),
                "{at}"
            );
            let tomorrow = amsterdam.next_day().unwrap();
            let refused = check_not_future("consent date", &date_text(tomorrow), at);
            assert_eq!(
                refused,
                Err(DateError::InTheFuture {
                    field: "consent date",
                    given: tomorrow,
                    today: amsterdam
                }),
                "{at}"
            );
        }
    }

    #[test]
    fn a_future_date_is_refused_naming_field_value_and_today() {
        let at = datetime!(2026-12-05 23:30 UTC);
        let message = check_not_future("consent date", "2026-12-07", at)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "consent date 2026-12-07 is in the future: today is 2026-12-06 in Amsterdam"
        );
    }

    #[test]
    fn a_malformed_date_is_echoed_only_when_date_shaped() {
        let at = datetime!(2026-12-06 12:00 UTC);
        assert_eq!(
            check_not_future("consent date", "2026-02-30", at)
                .unwrap_err()
                .to_string(),
            "consent date \"2026-02-30\" is not a date of the form YYYY-MM-DD"
        );
        for typed in ["Jan Jansen", "01-01-1980", "2026-1-5", "", "2026-12-06 "] {
            let message = check_not_future("consent date", typed, at)
                .unwrap_err()
                .to_string();
            assert_eq!(
                message,
                "consent date (the value given, not echoed) is not a date of the form YYYY-MM-DD"
            );
        }
    }

    #[test]
    fn instants_are_written_in_amsterdam_time() {
        assert_eq!(
            clock_text(datetime!(2026-12-06 23:30 UTC)),
            "2026-12-07 00:30 CET"
        );
        assert_eq!(
            clock_text(datetime!(2026-10-25 00:30 UTC)),
            "2026-10-25 02:30 CEST"
        );
        assert_eq!(
            clock_text(datetime!(2026-10-25 01:30 UTC)),
            "2026-10-25 02:30 CET"
        );
    }

    #[test]
    fn dates_are_written_as_the_api_reads_them() {
        assert_eq!(date_text(date!(2026 - 03 - 09)), "2026-03-09");
        assert_eq!(parse_date("2026-03-09"), Some(date!(2026 - 03 - 09)));
        assert_eq!(parse_date("2026-3-9"), None);
    }
}
