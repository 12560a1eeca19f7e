//! The hub's clock. Decisions depend on time (emergencies last 72 hours, deadlines count
//! working days), so time comes from here rather than from the system directly, and a
//! test can move it forward instead of waiting three days.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// An instant as a `google.protobuf.Timestamp`, as the wire carries it.
pub fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

/// A system time as a `google.protobuf.Timestamp`.
pub fn system_timestamp(at: std::time::SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(at)
}

/// Wall-clock time plus an offset that only tests change.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    /// Now, as the hub decides.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Moves the hub's time forward (tests: "72 hours later").
    pub fn advance(&self, by: Duration) {
        self.offset_seconds
            .fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }

    /// Sets the hub's time to `at` (to the second), from where it keeps running (tests:
    /// "23:30 UTC on the last Sunday of October").
    pub fn set(&self, at: OffsetDateTime) {
        let offset = (at - OffsetDateTime::now_utc()).whole_seconds();
        self.offset_seconds.store(offset, Ordering::Relaxed);
    }
}
