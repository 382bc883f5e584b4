//! Moderation after the fact: flags weighted by the flagger's level hide a
//! post once they reach the tenant's threshold; a moderator then decides.

use serde::{Deserialize, Serialize};

use crate::model::text_enum;

use super::Level;

text_enum!(
    FlagReason {
        Incorrect = "incorrect",
        Outdated = "outdated",
        Inappropriate = "inappropriate",
        Duplicate = "duplicate",
    }
);

text_enum!(
    /// Open until a moderator decides; the decision closes every open flag
    /// of the post at once.
    FlagStatus { Open = "open", Agreed = "agreed", Disagreed = "disagreed", Ignored = "ignored" }
);

text_enum!(
    Decision { Agree = "agree", Disagree = "disagree", Ignore = "ignore" }
);

/// What a moderator's decision does to a post's flags and to the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub flag_status: FlagStatus,
    pub hidden: bool,
    /// Agreed flags lower the author's score (confirmed flags).
    pub counts_against_author: bool,
}

impl Decision {
    pub fn outcome(self) -> Outcome {
        match self {
            Decision::Agree => Outcome {
                flag_status: FlagStatus::Agreed,
                hidden: true,
                counts_against_author: true,
            },
            Decision::Disagree => Outcome {
                flag_status: FlagStatus::Disagreed,
                hidden: false,
                counts_against_author: false,
            },
            Decision::Ignore => Outcome {
                flag_status: FlagStatus::Ignored,
                hidden: false,
                counts_against_author: false,
            },
        }
    }
}

/// A flag's weight: the flagger's level, and a moderator's flag alone hides.
pub fn flag_weight(level: Level, moderator: bool, threshold: u32) -> u32 {
    if moderator {
        return threshold.max(1);
    }
    match level {
        Level::Candidate => 1,
        Level::Contributor => 2,
        Level::Publisher => 3,
    }
}

/// Whether the open flags' weights reach the threshold.
pub fn reaches_threshold(open_weights: &[u32], threshold: u32) -> bool {
    let sum = open_weights
        .iter()
        .fold(0u64, |acc, w| acc.saturating_add(u64::from(*w)));
    sum >= u64::from(threshold.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_levels_and_moderators_hide_alone() {
        assert_eq!(flag_weight(Level::Candidate, false, 4), 1);
        assert_eq!(flag_weight(Level::Contributor, false, 4), 2);
        assert_eq!(flag_weight(Level::Publisher, false, 4), 3);
        assert_eq!(flag_weight(Level::Candidate, true, 4), 4);
        assert!(reaches_threshold(
            &[flag_weight(Level::Candidate, true, 7)],
            7
        ));
        assert!(!reaches_threshold(&[1, 2], 4));
        assert!(reaches_threshold(&[1, 3], 4));
        assert!(reaches_threshold(&[u32::MAX, u32::MAX], u32::MAX));
    }

    #[test]
    fn decisions() {
        assert!(Decision::Agree.outcome().hidden);
        assert!(Decision::Agree.outcome().counts_against_author);
        assert!(!Decision::Disagree.outcome().hidden);
        let ignore = Decision::Ignore.outcome();
        assert!(!ignore.hidden && !ignore.counts_against_author);
        assert_eq!(ignore.flag_status, FlagStatus::Ignored);
    }
}
