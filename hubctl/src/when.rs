//! Times as people in Amsterdam read and write them.
//!
//! The hub counts working days and dates on Amsterdam's calendar (coordinator.proto);
//! hubctl shows every moment in that zone too, reads local times typed on the command
//! line as Amsterdam times, and "today" is the Amsterdam date. The calendar itself (the
//! EU's summer-time rule) is [`treiter_proto::calendar`], shared with the hub and the
//! agents; this module only reads and writes it for people.
//!
//! The current moment always comes in as a parameter.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset, Weekday};
use treiter_proto::calendar::{self, DateError};

/// A time argument that cannot be read. Says which forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} \"{text}\" is not a time hubctl reads: use \"now\", \"now-2h\" (m, h or d), \"2026-11-20 09:30\" (Amsterdam time), \"2026-11-20\" or RFC 3339 (\"2026-11-20T09:30:00+01:00\")"
)]
pub struct BadTime {
    /// The option, e.g. `--melding-at`.
    pub what: &'static str,
    /// What was typed (a time, never personal data).
    pub text: String,
}

/// A date argument that cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadDate {
    /// Not a date hubctl reads.
    #[error("{what} \"{text}\" is not a date: use \"today\" or YYYY-MM-DD, e.g. \"2026-11-20\"")]
    Unreadable {
        /// The option, e.g. `--date`.
        what: &'static str,
        /// What was typed.
        text: String,
    },
    /// A date after today in Amsterdam, where only a day that has come makes sense (a
    /// consent given, a request received): names the option, the date and today.
    #[error(transparent)]
    InTheFuture(DateError),
}

/// Reads a time argument (see [`BadTime`] for the forms), relative to `now`.
pub fn parse_time(
    what: &'static str,
    text: &str,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, BadTime> {
    let bad = || BadTime {
        what,
        text: text.to_owned(),
    };
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(ago) = t.strip_prefix("now-").or_else(|| t.strip_prefix("now -")) {
        let ago = ago.trim();
        let (number, unit) = ago.split_at(ago.len().saturating_sub(1));
        let n: i64 = number.trim().parse().map_err(|_| bad())?;
        let span = match unit {
            "m" => Duration::minutes(n),
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            _ => return Err(bad()),
        };
        return Ok(now - span);
    }
    if let Ok(at) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(at);
    }
    let minutes = format_description!("[year]-[month]-[day] [hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let normalised = t.replacen('T', " ", 1);
    for format in [minutes, seconds] {
        if let Ok(local) = PrimitiveDateTime::parse(&normalised, &format) {
            return Ok(calendar::from_local(local));
        }
    }
    if let Ok(date) = Date::parse(t, format_description!("[year]-[month]-[day]")) {
        return Ok(calendar::start_of_day(date));
    }
    Err(bad())
}

/// Reads a date argument: `today` (Amsterdam's date at `now`) or `YYYY-MM-DD`, not
/// after today in Amsterdam; returns it as `YYYY-MM-DD`.
pub fn parse_date(what: &'static str, text: &str, now: OffsetDateTime) -> Result<String, BadDate> {
    let t = text.trim();
    let date = if t.eq_ignore_ascii_case("today") {
        calendar::today(now)
    } else {
        let date = Date::parse(t, format_description!("[year]-[month]-[day]")).map_err(|_| {
            BadDate::Unreadable {
                what,
                text: text.to_owned(),
            }
        })?;
        let today = calendar::today(now);
        if date > today {
            return Err(BadDate::InTheFuture(DateError::InTheFuture {
                field: what,
                given: date,
                today,
            }));
        }
        date
    };
    Ok(calendar::date_text(date))
}

/// An instant from a protobuf timestamp.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Option<OffsetDateTime> {
    let nanos = u32::try_from(ts.nanos).ok()?;
    OffsetDateTime::from_unix_timestamp(ts.seconds)
        .ok()?
        .replace_nanosecond(nanos)
        .ok()
}

/// A protobuf timestamp for an instant.
pub fn to_timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

/// An instant as Amsterdam reads it: `Tue 2026-11-24 15:00 CET`.
pub fn show(at: OffsetDateTime) -> String {
    let local = calendar::local(at);
    format!(
        "{} {} {:02}:{:02} {}",
        weekday(local.weekday()),
        calendar::date_text(local.date()),
        local.hour(),
        local.minute(),
        calendar::zone_name(at)
    )
}

/// A protobuf timestamp as [`show`] writes it; "-" when absent.
pub fn show_ts(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(from_timestamp)
        .map(show)
        .unwrap_or_else(|| "-".to_owned())
}

/// The distance from `now` to `at` in words: "in 1 d 4 h", "3 h 10 min ago", "now".
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let delta = at - now;
    let future = delta.is_positive();
    let total = delta.abs().whole_minutes();
    if total == 0 {
        return "now".to_owned();
    }
    let (days, hours, minutes) = (total / (24 * 60), (total / 60) % 24, total % 60);
    let text = if days > 0 {
        if hours > 0 {
            format!("{days} d {hours} h")
        } else {
            format!("{days} d")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{hours} h {minutes} min")
        } else {
            format!("{hours} h")
        }
    } else {
        format!("{minutes} min")
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// A protobuf timestamp as RFC 3339 UTC text (for `--json`).
pub fn rfc3339(ts: &prost_types::Timestamp) -> Option<String> {
    from_timestamp(ts).and_then(|t| t.to_offset(UtcOffset::UTC).format(&Rfc3339).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_show_in_amsterdam_time_with_the_zone() {
        assert_eq!(
            show(datetime!(2026-11-24 14:00 UTC)),
            "Tue 2026-11-24 15:00 CET"
        );
        assert_eq!(
            show(datetime!(2026-07-01 10:30 UTC)),
            "Wed 2026-07-01 12:30 CEST"
        );
        // 23:30 UTC on a winter Sunday is Monday 00:30 in Amsterdam.
        assert_eq!(
            show(datetime!(2026-12-06 23:30 UTC)),
            "Mon 2026-12-07 00:30 CET"
        );
        // Both sides of the autumn change, the clock showing 02:30 twice.
        assert_eq!(
            show(datetime!(2026-10-25 00:30 UTC)),
            "Sun 2026-10-25 02:30 CEST"
        );
        assert_eq!(
            show(datetime!(2026-10-25 01:30 UTC)),
            "Sun 2026-10-25 02:30 CET"
        );
    }

    #[test]
    fn time_arguments() {
        let now = datetime!(2026-11-20 12:00 UTC);
        assert_eq!(parse_time("--at", "now", now).unwrap(), now);
        assert_eq!(
            parse_time("--at", "now-2h", now).unwrap(),
            datetime!(2026-11-20 10:00 UTC)
        );
        assert_eq!(
            parse_time("--at", "now-90m", now).unwrap(),
            datetime!(2026-11-20 10:30 UTC)
        );
        assert_eq!(
            parse_time("--at", "now-1d", now).unwrap(),
            datetime!(2026-11-19 12:00 UTC)
        );
        assert_eq!(
            parse_time("--at", "2026-11-20 09:30", now).unwrap(),
            datetime!(2026-11-20 08:30 UTC)
        );
        assert_eq!(
            parse_time("--at", "2026-07-01T09:30", now).unwrap(),
            datetime!(2026-07-01 07:30 UTC)
        );
        assert_eq!(
            parse_time("--at", "2026-11-20", now).unwrap(),
            datetime!(2026-11-19 23:00 UTC)
        );
        assert_eq!(
            parse_time("--at", "2026-11-20T09:30:00Z", now).unwrap(),
            datetime!(2026-11-20 09:30 UTC)
        );
        for bad in ["yesterday", "now-2y", "20-11-2026", "now-h", ""] {
            let err = parse_time("--melding-at", bad, now).unwrap_err();
            assert!(err.to_string().contains("--melding-at"), "{err}");
        }
    }

    #[test]
    fn today_is_the_amsterdam_date_at_night() {
        // 00:30 in Amsterdam, while UTC's date is still yesterday: in winter, in
        // summer, on both change days and the night after each.
        for (now, amsterdam) in [
            (datetime!(2026-12-06 23:30 UTC), "2026-12-07"),
            (datetime!(2026-07-01 22:30 UTC), "2026-07-02"),
            (datetime!(2026-03-28 23:30 UTC), "2026-03-29"),
            (datetime!(2026-03-29 22:30 UTC), "2026-03-30"),
            (datetime!(2026-10-24 22:30 UTC), "2026-10-25"),
            (datetime!(2026-10-25 23:30 UTC), "2026-10-26"),
        ] {
            assert_eq!(parse_date("--date", "today", now).unwrap(), amsterdam);
            assert_eq!(parse_date("--date", amsterdam, now).unwrap(), amsterdam);
        }
    }

    #[test]
    fn date_arguments() {
        let now = datetime!(2026-11-20 23:30 UTC);
        assert_eq!(
            parse_date("--date", "2026-11-01", now).unwrap(),
            "2026-11-01"
        );
        assert!(matches!(
            parse_date("--date", "1-11-2026", now),
            Err(BadDate::Unreadable { what: "--date", .. })
        ));
        // Tomorrow in Amsterdam is refused here already, naming the option and today.
        assert_eq!(
            parse_date("--received-on", "2026-11-22", now)
                .unwrap_err()
                .to_string(),
            "--received-on 2026-11-22 is in the future: today is 2026-11-21 in Amsterdam"
        );
    }

    #[test]
    fn a_date_as_a_time_is_amsterdam_midnight() {
        let now = datetime!(2026-11-20 12:00 UTC);
        assert_eq!(
            parse_time("--from", "2026-07-01", now).unwrap(),
            datetime!(2026-06-30 22:00 UTC)
        );
        assert_eq!(
            parse_time("--from", "2026-10-25", now).unwrap(),
            datetime!(2026-10-24 22:00 UTC)
        );
    }

    #[test]
    fn relative_times() {
        let now = datetime!(2026-11-20 12:00 UTC);
        assert_eq!(relative(datetime!(2026-11-21 16:00 UTC), now), "in 1 d 4 h");
        assert_eq!(
            relative(datetime!(2026-11-20 08:50 UTC), now),
            "3 h 10 min ago"
        );
        assert_eq!(relative(datetime!(2026-11-20 12:05 UTC), now), "in 5 min");
        assert_eq!(relative(now, now), "now");
    }

    #[test]
    fn timestamps_round_trip() {
        let at = datetime!(2026-11-20 12:00:01.5 UTC);
        assert_eq!(from_timestamp(&to_timestamp(at)), Some(at));
        assert_eq!(
            rfc3339(&to_timestamp(at)).as_deref(),
            Some("2026-11-20T12:00:01.5Z")
        );
    }
}
