//! The per-queue service level: contacts answered within the threshold divided
//! by contacts answered. Abandons are counted beside it, short abandons (the
//! customer hung up within a few seconds, often a misdial) separately, so
//! neither can flatter or sink the ratio.

use serde::{Deserialize, Serialize};

/// How one contact counts in its queue's service level, decided once when it
/// is answered or abandoned, so stored outcomes keep the threshold of their day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    AnsweredWithin,
    AnsweredLate,
    Abandoned,
    ShortAbandon,
}

impl OutcomeKind {
    pub const ALL: &'static [OutcomeKind] = &[
        OutcomeKind::AnsweredWithin,
        OutcomeKind::AnsweredLate,
        OutcomeKind::Abandoned,
        OutcomeKind::ShortAbandon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::AnsweredWithin => "answered_within",
            OutcomeKind::AnsweredLate => "answered_late",
            OutcomeKind::Abandoned => "abandoned",
            OutcomeKind::ShortAbandon => "short_abandon",
        }
    }

    pub fn answered(self) -> bool {
        matches!(
            self,
            OutcomeKind::AnsweredWithin | OutcomeKind::AnsweredLate
        )
    }
}

impl std::str::FromStr for OutcomeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OutcomeKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown service-level outcome '{s}'"))
    }
}

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
    pub fn classify_answered(&self, waited_micros: i64) -> OutcomeKind {
        if waited_micros <= self.threshold_secs.saturating_mul(1_000_000) {
            OutcomeKind::AnsweredWithin
        } else {
            OutcomeKind::AnsweredLate
        }
    }

    /// A customer who left before an answer; under the short limit it is a short abandon.
    pub fn classify_abandoned(&self, waited_micros: i64) -> OutcomeKind {
        if waited_micros < self.short_abandon_secs.saturating_mul(1_000_000) {
            OutcomeKind::ShortAbandon
        } else {
            OutcomeKind::Abandoned
        }
    }

    /// Counts `n` contacts of one kind.
    pub fn add(&mut self, kind: OutcomeKind, n: u64) {
        match kind {
            OutcomeKind::AnsweredWithin => {
                self.answered += n;
                self.answered_within += n;
            }
            OutcomeKind::AnsweredLate => self.answered += n,
            OutcomeKind::Abandoned => self.abandoned += n,
            OutcomeKind::ShortAbandon => self.short_abandoned += n,
        }
    }

    pub fn record_answered(&mut self, waited_micros: i64) -> OutcomeKind {
        let k = self.classify_answered(waited_micros);
        self.add(k, 1);
        k
    }

    pub fn record_abandoned(&mut self, waited_micros: i64) -> OutcomeKind {
        let k = self.classify_abandoned(waited_micros);
        self.add(k, 1);
        k
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

    #[test]
    fn outcome_kinds_round_trip_and_count_like_the_records() {
        for k in OutcomeKind::ALL {
            assert_eq!(k.as_str().parse::<OutcomeKind>(), Ok(*k));
        }
        assert!("answered".parse::<OutcomeKind>().is_err());
        let sl = ServiceLevel::new(20, 5);
        assert_eq!(
            sl.classify_answered(20_000_000),
            OutcomeKind::AnsweredWithin
        );
        assert_eq!(sl.classify_answered(20_000_001), OutcomeKind::AnsweredLate);
        assert_eq!(sl.classify_abandoned(4_999_999), OutcomeKind::ShortAbandon);
        assert_eq!(sl.classify_abandoned(5_000_000), OutcomeKind::Abandoned);
        let mut a = ServiceLevel::new(20, 5);
        a.add(OutcomeKind::AnsweredWithin, 3);
        a.add(OutcomeKind::AnsweredLate, 1);
        a.add(OutcomeKind::ShortAbandon, 2);
        assert_eq!(
            (
                a.answered,
                a.answered_within,
                a.short_abandoned,
                a.abandoned
            ),
            (4, 3, 2, 0)
        );
        assert_eq!(a.ratio(), Some(0.75));
    }
}
