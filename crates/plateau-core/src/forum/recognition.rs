//! Recognition without money: a score from what a contributor's posts did
//! for others, KCS levels from the score, badges from configurable rules, and
//! the rights a level unlocks. Every tenant tunes it in [`ForumSettings`].

use serde::{Deserialize, Serialize};

use crate::error::Validator;
use crate::model::text_enum;
use crate::DomainError;

text_enum!(
    /// KCS licence levels, in increasing order.
    Level { Candidate = "candidate", Contributor = "contributor", Publisher = "publisher" }
);

text_enum!(
    /// A counter of [`Contribution`] a badge rule can test, or the score.
    Metric {
        Posts = "posts",
        Answers = "answers",
        HelpfulVotes = "helpful_votes",
        Reuses = "reuses",
        Accepted = "accepted",
        Verified = "verified",
        Promotions = "promotions",
        Score = "score",
    }
);

/// What one person's forum activity amounted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contribution {
    pub posts: u64,
    pub answers: u64,
    pub helpful_votes: u64,
    pub reuses: u64,
    pub accepted: u64,
    pub verified: u64,
    pub promotions: u64,
    pub confirmed_flags: u64,
}

/// Points per unit of each metric; confirmed flags are subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreWeights {
    pub post: u32,
    pub answer: u32,
    pub helpful_vote: u32,
    pub reuse: u32,
    pub accepted: u32,
    pub verified: u32,
    pub promotion: u32,
    pub confirmed_flag: u32,
}

impl Default for ScoreWeights {
    /// Relevance outweighs frequency: a reuse on a live contact is worth more
    /// than a post, and a promotion most of all.
    fn default() -> Self {
        ScoreWeights {
            post: 1,
            answer: 2,
            helpful_vote: 3,
            reuse: 5,
            accepted: 10,
            verified: 10,
            promotion: 25,
            confirmed_flag: 20,
        }
    }
}

/// The score at which each level starts; Candidate is everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelThresholds {
    pub contributor: i64,
    pub publisher: i64,
}

impl Default for LevelThresholds {
    fn default() -> Self {
        LevelThresholds {
            contributor: 50,
            publisher: 250,
        }
    }
}

fn points(count: u64, weight: u32) -> u64 {
    count.saturating_mul(u64::from(weight))
}

/// The score: saturating, so that no input overflows and the order of any
/// two contributions is kept wherever it can be represented.
pub fn score(c: &Contribution, w: &ScoreWeights) -> i64 {
    let plus = [
        points(c.posts, w.post),
        points(c.answers, w.answer),
        points(c.helpful_votes, w.helpful_vote),
        points(c.reuses, w.reuse),
        points(c.accepted, w.accepted),
        points(c.verified, w.verified),
        points(c.promotions, w.promotion),
    ]
    .into_iter()
    .fold(0u64, u64::saturating_add);
    let minus = points(c.confirmed_flags, w.confirmed_flag);
    let plus = i64::try_from(plus).unwrap_or(i64::MAX);
    let minus = i64::try_from(minus).unwrap_or(i64::MAX);
    plus.saturating_sub(minus)
}

pub fn level(score: i64, t: &LevelThresholds) -> Level {
    if score >= t.publisher {
        Level::Publisher
    } else if score >= t.contributor {
        Level::Contributor
    } else {
        Level::Candidate
    }
}

impl Contribution {
    pub fn metric(&self, m: Metric, w: &ScoreWeights) -> i64 {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        match m {
            Metric::Posts => clamp(self.posts),
            Metric::Answers => clamp(self.answers),
            Metric::HelpfulVotes => clamp(self.helpful_votes),
            Metric::Reuses => clamp(self.reuses),
            Metric::Accepted => clamp(self.accepted),
            Metric::Verified => clamp(self.verified),
            Metric::Promotions => clamp(self.promotions),
            Metric::Score => score(self, w),
        }
    }
}

/// A trophy: earned once `metric` reaches `threshold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BadgeRule {
    pub key: String,
    pub name_en: String,
    pub name_fr: String,
    pub metric: Metric,
    pub threshold: i64,
}

impl BadgeRule {
    fn new(key: &str, en: &str, fr: &str, metric: Metric, threshold: i64) -> Self {
        BadgeRule {
            key: key.into(),
            name_en: en.into(),
            name_fr: fr.into(),
            metric,
            threshold,
        }
    }

    pub fn earned_by(&self, c: &Contribution, w: &ScoreWeights) -> bool {
        c.metric(self.metric, w) >= self.threshold
    }
}

pub fn default_badges() -> Vec<BadgeRule> {
    vec![
        BadgeRule::new(
            "first-answer",
            "First answer",
            "Première réponse",
            Metric::Answers,
            1,
        ),
        BadgeRule::new(
            "helpful-10",
            "Helped ten times",
            "Dix fois utile",
            Metric::HelpfulVotes,
            10,
        ),
        BadgeRule::new(
            "reused-25",
            "Reused 25 times",
            "Réutilisé 25 fois",
            Metric::Reuses,
            25,
        ),
        BadgeRule::new(
            "first-promotion",
            "First article",
            "Premier article",
            Metric::Promotions,
            1,
        ),
        BadgeRule::new(
            "accepted-5",
            "Five accepted answers",
            "Cinq réponses acceptées",
            Metric::Accepted,
            5,
        ),
    ]
}

/// One tenant's forum rules, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ForumSettings {
    /// Sum of open flags' weights that hides a post.
    pub hide_threshold: u32,
    pub weights: ScoreWeights,
    pub levels: LevelThresholds,
    pub badges: Vec<BadgeRule>,
    /// From this level on, an author may promote their own verified-free
    /// answer straight to a published article; None: managers only.
    pub publish_without_review: Option<Level>,
}

impl Default for ForumSettings {
    fn default() -> Self {
        ForumSettings {
            hide_threshold: 4,
            weights: ScoreWeights::default(),
            levels: LevelThresholds::default(),
            badges: default_badges(),
            publish_without_review: None,
        }
    }
}

pub const MAX_BADGES: usize = 50;
pub const MAX_HIDE_THRESHOLD: u32 = 1_000;

impl ForumSettings {
    pub fn validated(&self) -> Result<ForumSettings, DomainError> {
        let mut v = Validator::new();
        if !(1..=MAX_HIDE_THRESHOLD).contains(&self.hide_threshold) {
            v.push(
                "hide_threshold",
                format!("must be between 1 and {MAX_HIDE_THRESHOLD}"),
            );
        }
        if self.levels.contributor < 1 || self.levels.publisher <= self.levels.contributor {
            v.push(
                "levels",
                "contributor must be at least 1 and publisher above contributor",
            );
        }
        if self.badges.len() > MAX_BADGES {
            v.push("badges", format!("at most {MAX_BADGES} badges"));
        }
        let mut keys: Vec<&str> = Vec::new();
        for (i, b) in self.badges.iter().enumerate() {
            let field = format!("badges[{i}]");
            if super::tag(&b.key).as_deref() != Ok(b.key.as_str()) {
                v.push(&field, "key must be lower-case letters, digits or dashes");
            }
            if keys.contains(&b.key.as_str()) {
                v.push(&field, format!("key '{}' is used twice", b.key));
            }
            keys.push(&b.key);
            for name in [&b.name_en, &b.name_fr] {
                if crate::validate::text(name, 80).is_err() {
                    v.push(&field, "names must have 1 to 80 characters");
                }
            }
            if b.threshold < 1 {
                v.push(&field, "threshold must be at least 1");
            }
        }
        v.finish()?;
        Ok(self.clone())
    }

    pub fn level_of(&self, c: &Contribution) -> Level {
        level(score(c, &self.weights), &self.levels)
    }

    pub fn badges_of(&self, c: &Contribution) -> Vec<&BadgeRule> {
        self.badges
            .iter()
            .filter(|b| b.earned_by(c, &self.weights))
            .collect()
    }

    /// May an author at `level` promote their own answer without a manager?
    pub fn may_publish_without_review(&self, level: Level) -> bool {
        self.publish_without_review.is_some_and(|min| level >= min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn contribution() -> impl Strategy<Value = Contribution> {
        (any::<[u64; 4]>(), any::<[u64; 4]>()).prop_map(|(a, b)| Contribution {
            posts: a[0],
            answers: a[1],
            helpful_votes: a[2],
            reuses: a[3],
            accepted: b[0],
            verified: b[1],
            promotions: b[2],
            confirmed_flags: b[3],
        })
    }

    fn small_contribution() -> impl Strategy<Value = Contribution> {
        (any::<[u16; 4]>(), any::<[u16; 4]>()).prop_map(|(a, b)| Contribution {
            posts: a[0].into(),
            answers: a[1].into(),
            helpful_votes: a[2].into(),
            reuses: a[3].into(),
            accepted: b[0].into(),
            verified: b[1].into(),
            promotions: b[2].into(),
            confirmed_flags: b[3].into(),
        })
    }

    fn weights() -> impl Strategy<Value = ScoreWeights> {
        any::<[u32; 8]>().prop_map(|w| ScoreWeights {
            post: w[0],
            answer: w[1],
            helpful_vote: w[2],
            reuse: w[3],
            accepted: w[4],
            verified: w[5],
            promotion: w[6],
            confirmed_flag: w[7],
        })
    }

    /// Each positive metric, as a setter that adds `by` (saturating).
    fn bump(c: &mut Contribution, which: usize, by: u64) {
        let f = match which {
            0 => &mut c.posts,
            1 => &mut c.answers,
            2 => &mut c.helpful_votes,
            3 => &mut c.reuses,
            4 => &mut c.accepted,
            5 => &mut c.verified,
            _ => &mut c.promotions,
        };
        *f = f.saturating_add(by);
    }

    proptest! {
        #[test]
        fn score_is_monotone_in_every_positive_metric(
            c in contribution(), w in weights(), which in 0usize..7, by in any::<u64>()
        ) {
            let mut more = c;
            bump(&mut more, which, by);
            prop_assert!(score(&more, &w) >= score(&c, &w));
        }

        #[test]
        fn score_strictly_grows_while_representable(
            c in small_contribution(), which in 0usize..7, by in 1u64..1000
        ) {
            let w = ScoreWeights::default();
            let mut more = c;
            bump(&mut more, which, by);
            prop_assert!(score(&more, &w) > score(&c, &w));
        }

        #[test]
        fn confirmed_flags_only_lower_the_score(
            c in contribution(), w in weights(), by in any::<u64>()
        ) {
            let mut worse = c;
            worse.confirmed_flags = worse.confirmed_flags.saturating_add(by);
            prop_assert!(score(&worse, &w) <= score(&c, &w));
        }

        #[test]
        fn level_is_monotone_in_score(
            a in any::<i64>(), b in any::<i64>(), t1 in 1i64..10_000, gap in 1i64..10_000
        ) {
            let t = LevelThresholds { contributor: t1, publisher: t1 + gap };
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(level(lo, &t) <= level(hi, &t));
        }

        #[test]
        fn nothing_panics(c in contribution(), w in weights()) {
            let s = ForumSettings { weights: w, ..ForumSettings::default() };
            let _ = s.level_of(&c);
            let _ = s.badges_of(&c);
            for m in Metric::ALL {
                let _ = c.metric(*m, &w);
            }
        }
    }

    #[test]
    fn levels_and_badges_with_defaults() {
        let s = ForumSettings::default();
        assert_eq!(s.level_of(&Contribution::default()), Level::Candidate);
        let c = Contribution {
            answers: 1,
            reuses: 10,
            ..Default::default()
        };
        assert_eq!(score(&c, &s.weights), 52);
        assert_eq!(s.level_of(&c), Level::Contributor);
        let keys: Vec<&str> = s.badges_of(&c).iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, vec!["first-answer"]);
        let flagged = Contribution {
            confirmed_flags: 1,
            ..c
        };
        assert_eq!(s.level_of(&flagged), Level::Candidate);
    }

    #[test]
    fn rights_follow_the_configured_level() {
        let mut s = ForumSettings::default();
        assert!(!s.may_publish_without_review(Level::Publisher));
        s.publish_without_review = Some(Level::Contributor);
        assert!(s.may_publish_without_review(Level::Publisher));
        assert!(s.may_publish_without_review(Level::Contributor));
        assert!(!s.may_publish_without_review(Level::Candidate));
    }

    #[test]
    fn settings_validation() {
        assert!(ForumSettings::default().validated().is_ok());
        let mut s = ForumSettings {
            hide_threshold: 0,
            ..Default::default()
        };
        s.levels.publisher = s.levels.contributor;
        s.badges.push(s.badges[0].clone());
        let Err(DomainError::Invalid(errs)) = s.validated() else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"hide_threshold"));
        assert!(fields.contains(&"levels"));
        assert!(fields.iter().any(|f| f.starts_with("badges[")));
        let json = serde_json::json!({"hide_threshold": 6});
        let parsed: ForumSettings = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.hide_threshold, 6);
        assert_eq!(parsed.badges.len(), 5);
    }
}
