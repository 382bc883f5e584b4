//! The per-queue service level: contacts answered within the threshold divided
//! by contacts answered. Abandons are counted beside it, short abandons (the
//! customer hung up within a few seconds, often a misdial) separately, so
//! neither can flatter or sink the ratio.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevel {
    pub threshold_secs: i64,
    pub short_abandon_secs: i64,
    pub answered: u64,
    pub answered_within: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
}

impl ServiceLevel {
    pub fn new(threshold_secs: i64, short_abandon_secs: i64) -> Self {
        ServiceLevel {
            threshold_secs,
            short_abandon_secs,
            answered: 0,
            answered_within: 0,
            abandoned: 0,
            short_abandoned: 0,
        }
    }

    /// A contact answered after waiting `waited_micros`; the threshold is inclusive
    /// ("answered within 20 s" includes exactly 20 s).
    pub fn record_answered(&mut self, waited_micros: i64) {
        self.answered += 1;
        if waited_micros <= self.threshold_secs.saturating_mul(1_000_000) {
            self.answered_within += 1;
        }
    }

    /// A customer who left before an answer; under the short limit it is a short abandon.
    pub fn record_abandoned(&mut self, waited_micros: i64) {
        if waited_micros < self.short_abandon_secs.saturating_mul(1_000_000) {
            self.short_abandoned += 1;
        } else {
            self.abandoned += 1;
        }
    }

    /// Answered within the threshold / answered; None before anything is answered.
    pub fn ratio(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answered_within as f64 / self.answered as f64)
    }

    pub fn merge(&mut self, other: &ServiceLevel) {
        self.answered += other.answered;
        self.answered_within += other.answered_within;
        self.abandoned += other.abandoned;
        self.short_abandoned += other.short_abandoned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_within_over_answered_with_abandons_apart() {
        let mut sl = ServiceLevel::new(20, 5);
        assert_eq!(sl.ratio(), None);
        for w in [0, 10, 20, 21, 60] {
            sl.record_answered(w * 1_000_000);
        }
        sl.record_abandoned(3_000_000);
        sl.record_abandoned(4_999_999);
        sl.record_abandoned(5_000_000);
        sl.record_abandoned(90_000_000);
        assert_eq!((sl.answered, sl.answered_within), (5, 3));
        assert_eq!(sl.ratio(), Some(0.6));
        assert_eq!((sl.short_abandoned, sl.abandoned), (2, 2));
        let mut total = ServiceLevel::new(20, 5);
        total.merge(&sl);
        total.merge(&sl);
        assert_eq!(total.ratio(), Some(0.6));
        assert_eq!(total.short_abandoned, 4);
    }
}
