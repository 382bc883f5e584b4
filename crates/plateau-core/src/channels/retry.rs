//! When an outbound delivery (an e-mail reply, a reply posted to a
//! connector) is tried again after a failure: exponential backoff with a cap
//! and a last attempt, so a peer that is down for hours gets a few calls an
//! hour rather than a storm, and a reply that can never go out is marked
//! failed instead of retrying for ever.

use std::time::Duration;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure; it doubles after each further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
    /// After this many attempts the delivery is given up.
    pub max_attempts: i64,
}

impl Backoff {
    /// 30 s, doubling, at most an hour apart, twelve attempts: about seven
    /// hours of trying before a reply is marked failed.
    pub const DELIVERY: Backoff = Backoff {
        base: Duration::from_secs(30),
        max: Duration::from_secs(3600),
        max_attempts: 12,
    };

    /// When to try again after `attempts` failures (including this one);
    /// None when it is time to give up.
    pub fn retry_at(&self, attempts: i64, now: Timestamp) -> Option<Timestamp> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 1u32 << attempts.clamp(0, 20) as u32;
        let wait = self.base.saturating_mul(factor.max(1)).min(self.max);
        Some(Timestamp(now.0.saturating_add(wait.as_micros() as i64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retries_double_up_to_the_cap_then_give_up() {
        let b = Backoff::DELIVERY;
        let now = Timestamp(0);
        assert_eq!(b.retry_at(1, now), Some(Timestamp(60_000_000)));
        assert_eq!(b.retry_at(2, now), Some(Timestamp(120_000_000)));
        assert_eq!(b.retry_at(11, now), Some(Timestamp(3_600_000_000)));
        assert_eq!(b.retry_at(12, now), None);
    }

    proptest! {
        #[test]
        fn waits_never_shrink_and_never_exceed_the_cap(a in 0i64..40, now in 0i64..4_000_000_000_000_000) {
            let b = Backoff { max_attempts: 100, ..Backoff::DELIVERY };
            let t = Timestamp(now);
            let (Some(x), Some(y)) = (b.retry_at(a, t), b.retry_at(a + 1, t)) else {
                return Err(TestCaseError::fail("gave up before max_attempts"));
            };
            prop_assert!(x <= y);
            prop_assert!(y.0 - now <= b.max.as_micros() as i64);
            prop_assert!(x.0 > now);
        }
    }
}
