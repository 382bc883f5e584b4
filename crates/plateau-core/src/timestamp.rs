//! UTC instants stored as microseconds since the Unix epoch.
//!
//! Both SQLite and PostgreSQL store a `BIGINT`, so one query, one index and one
//! cursor format serve both backends, and ordering is exact.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let micros = dt.unix_timestamp_nanos() / 1_000;
        Timestamp(i64::try_from(micros).unwrap_or(i64::MAX))
    }

    pub fn as_micros(self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 text for APIs and logs.
    pub fn rfc3339(self) -> String {
        self.to_datetime()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }

    pub fn minus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_sub(secs.saturating_mul(1_000_000)))
    }

    pub fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1_000_000)))
    }

    /// Whole seconds from `self` to `later` (negative if `later` is earlier).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0) / 1_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_datetime() {
        let t = Timestamp(1_700_000_000_123_456);
        assert_eq!(Timestamp::from_datetime(t.to_datetime()), t);
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn arithmetic_in_seconds() {
        let t = Timestamp(10_000_000);
        assert_eq!(t.plus_seconds(5).0, 15_000_000);
        assert_eq!(t.minus_seconds(5).0, 5_000_000);
        assert_eq!(t.seconds_until(t.plus_seconds(90)), 90);
    }
}
