//! UTC instants stored as microseconds since the Unix epoch.
//!
//! Both SQLite and PostgreSQL store a `BIGINT`, so one query, one index and one
//! cursor format serve both backends, and ordering is exact.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

/// Serialised as RFC 3339 text for API clients; stored as the integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = DateTime))]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

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

    pub fn parse_rfc3339(s: &str) -> Result<Self, String> {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(Self::from_datetime)
            .map_err(|e| format!("'{s}' is not an RFC 3339 time: {e}"))
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
        assert_eq!(Timestamp::parse_rfc3339(&t.rfc3339()).unwrap(), t);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn arithmetic_in_seconds() {
        let t = Timestamp(10_000_000);
        assert_eq!(t.plus_seconds(5).0, 15_000_000);
        assert_eq!(t.minus_seconds(5).0, 5_000_000);
        assert_eq!(t.seconds_until(t.plus_seconds(90)), 90);
    }
}
