//! Moments as Dutch readers in Amsterdam read them: `di 24 nov. 2026 15:00`, always in
//! Europe/Amsterdam time ([`treiter_proto::calendar`], the covenant's calendar, shared with the hub),
//! with the machine-readable moment alongside for `<time datetime="...">`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::texts;
use crate::when::from_timestamp;
use treiter_proto::calendar::local as in_amsterdam;

/// A moment ready for a template: the words and the `datetime` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    /// `di 24 nov. 2026 15:00`, Amsterdam time.
    pub text: String,
    /// RFC 3339 with Amsterdam's offset, for `<time datetime>`.
    pub iso: String,
}

/// `at` in Amsterdam time.
pub fn moment(at: OffsetDateTime) -> Moment {
    let local = in_amsterdam(at);
    let weekday = texts::WEEKDAYS[usize::from(local.weekday().number_days_from_monday())];
    let month = texts::MONTHS[usize::from(u8::from(local.month())) - 1];
    Moment {
        text: format!(
            "{weekday} {} {month} {} {:02}:{:02}",
            local.day(),
            local.year(),
            local.hour(),
            local.minute()
        ),
        iso: local.format(&Rfc3339).unwrap_or_default(),
    }
}

/// A protobuf timestamp as a [`Moment`]; `None` when absent or out of range.
pub fn moment_ts(ts: Option<&prost_types::Timestamp>) -> Option<Moment> {
    ts.and_then(from_timestamp).map(moment)
}

/// The clock time only, `15:04`, Amsterdam time (the status bar).
pub fn clock(at: OffsetDateTime) -> String {
    let local = in_amsterdam(at);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn moments_are_amsterdam_time_in_dutch() {
        let winter = moment(datetime!(2026-11-24 14:00 UTC));
        assert_eq!(winter.text, "di 24 nov. 2026 15:00");
        assert_eq!(winter.iso, "2026-11-24T15:00:00+01:00");
        // Summer time: UTC+2.
        let summer = moment(datetime!(2026-07-01 10:30 UTC));
        assert_eq!(summer.text, "wo 1 jul. 2026 12:30");
        // 23:30 UTC on 31 December is already New Year in Amsterdam.
        assert_eq!(
            moment(datetime!(2026-12-31 23:30 UTC)).text,
            "vr 1 jan. 2027 00:30"
        );
        assert_eq!(clock(datetime!(2026-07-01 10:30 UTC)), "12:30");
    }
}
