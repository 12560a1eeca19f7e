//! Working days for the contact deadline (article 4.3): Monday to Friday in Amsterdam
//! local time. The covenant excludes weekends only, so public holidays count.
//!
//! "N working days after T": when T falls on a working day, the same local clock time
//! on the N-th following working day (Friday 15:00 + 2 → Tuesday 15:00); when T falls on
//! a Saturday or Sunday, counting starts at the next Monday 00:00 (Saturday 11:00 + 2 →
//! Wednesday 00:00).
//!
//! Amsterdam's offset follows the EU rule ([`treiter_proto::amsterdam`], shared with the
//! clients).

use time::{OffsetDateTime, PrimitiveDateTime, Time, Weekday};
pub use treiter_proto::amsterdam::{amsterdam_offset, from_amsterdam};

fn is_working_day(day: Weekday) -> bool {
    !matches!(day, Weekday::Saturday | Weekday::Sunday)
}

/// The instant `n` working days after `from`, by the rule in the module doc.
pub fn add_working_days(from: OffsetDateTime, n: u32) -> OffsetDateTime {
    let local = from.to_offset(amsterdam_offset(from));
    let (mut date, time) = if is_working_day(local.weekday()) {
        (local.date(), local.time())
    } else {
        let mut monday = local.date();
        while !is_working_day(monday.weekday()) {
            monday = monday.next_day().unwrap_or(monday);
        }
        // Counting starts at Monday 00:00; reaching it is the first step, not a day.
        (monday, Time::MIDNIGHT)
    };
    let mut counted = 0;
    while counted < n {
        date = date.next_day().unwrap_or(date);
        if is_working_day(date.weekday()) {
            counted += 1;
        }
    }
    from_amsterdam(PrimitiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn weekdays_keep_the_clock_time() {
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
    fn weekends_start_counting_on_monday_midnight() {
        // Saturday 28 Nov 11:00 local + 2 → Wednesday 2 Dec 00:00 local (Tue 23:00 UTC).
        assert_eq!(
            add_working_days(datetime!(2026-11-28 10:00 UTC), 2),
            datetime!(2026-12-01 23:00 UTC)
        );
        // Sunday late evening local time is still Sunday, even when UTC says Sunday too.
        assert_eq!(
            add_working_days(datetime!(2026-11-29 22:30 UTC), 2),
            datetime!(2026-12-01 23:00 UTC)
        );
    }

    #[test]
    fn a_local_friday_that_is_thursday_in_utc_counts_as_friday() {
        // Friday 00:30 local in summer is Thursday 22:30 UTC.
        assert_eq!(
            add_working_days(datetime!(2026-07-09 22:30 UTC), 2),
            datetime!(2026-07-13 22:30 UTC)
        );
    }

    #[test]
    fn deadlines_across_the_dst_change_keep_local_time() {
        // Friday 23 Oct 2026 10:00 CEST (08:00 UTC) + 2 → Tuesday 27 Oct 10:00 CET (09:00 UTC).
        assert_eq!(
            add_working_days(datetime!(2026-10-23 08:00 UTC), 2),
            datetime!(2026-10-27 09:00 UTC)
        );
    }
}
