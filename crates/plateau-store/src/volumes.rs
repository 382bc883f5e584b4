//! Contact volumes for workforce planning: conversation arrivals counted per UTC hour and
//! channel, the history the staffing forecast learns from.
//!
//! A conversation "arrives" when it is created; its channel is the conversation's channel
//! column (the channel of its latest public message, which for almost every conversation is
//! the channel it came in on). Hours are whole hours since 1970-01-01 UTC, computed in SQL
//! as `created_at / 3600000000` (integer division of BIGINT microseconds on both backends),
//! so the database returns at most one row per hour and channel whatever the traffic.

use plateau_core::model::Channel;
use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::row::PortableRow;
use crate::{Result, Store};

/// Microseconds in an hour: the bucket width of [`HourlyArrivals`].
pub const HOUR_MICROS: i64 = 3_600_000_000;

/// Longest history one query may cover; two years is more than any forecast here uses.
pub const MAX_WEEKS: u32 = 104;

/// Conversations of one channel created during one UTC hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HourlyArrivals {
    /// Whole hours since 1970-01-01T00:00Z (`created_at / 3600000000`).
    pub hour: i64,
    pub channel: Channel,
    pub count: i64,
}

impl HourlyArrivals {
    /// Start of the hour.
    pub fn start(&self) -> Timestamp {
        Timestamp(self.hour * HOUR_MICROS)
    }
}

impl Store {
    /// Arrivals per hour and channel for conversations created in `[from, to)`, ordered by
    /// hour then channel. Hours without any conversation are absent (the caller fills zeros).
    /// Bounds are usually whole hours; a bound inside an hour yields a partial count for it.
    pub async fn hourly_arrivals(
        &self,
        tenant_id: Uuid,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<HourlyArrivals>> {
        if to.0 <= from.0 {
            return Err(DomainError::field("to", "must be later than from").into());
        }
        if to.0 - from.0 > i64::from(MAX_WEEKS) * 7 * 24 * HOUR_MICROS {
            return Err(
                DomainError::field("from", format!("covers more than {MAX_WEEKS} weeks")).into(),
            );
        }
        on_pool!(&self.read, p => {
            // GROUP BY/ORDER BY by position: the same text is valid on both backends, and
            // repeating the expression would invite the two copies to drift apart.
            sqlx::query(
                "SELECT created_at / 3600000000 AS hour, channel, COUNT(*) AS n FROM conversations \
                 WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 \
                 GROUP BY 1, 2 ORDER BY 1, 2")
                .bind(tenant_id).bind(from.0).bind(to.0)
                .fetch_all(p).await?
                .iter()
                .map(|r| Ok(HourlyArrivals {
                    hour: r.int("hour")?,
                    channel: r.parse("channel")?,
                    count: r.int("n")?,
                }))
                .collect()
        })
    }

    /// Arrivals per hour and channel over the `weeks` weeks before `until` (exclusive).
    pub async fn hourly_arrivals_last_weeks(
        &self,
        tenant_id: Uuid,
        until: Timestamp,
        weeks: u32,
    ) -> Result<Vec<HourlyArrivals>> {
        if weeks == 0 || weeks > MAX_WEEKS {
            return Err(
                DomainError::field("weeks", format!("must be between 1 and {MAX_WEEKS}")).into(),
            );
        }
        let from = Timestamp(until.0 - i64::from(weeks) * 7 * 24 * HOUR_MICROS);
        self.hourly_arrivals(tenant_id, from, until).await
    }
}
