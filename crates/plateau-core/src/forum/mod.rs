//! The advisors' forum: threads, answers and comments with their limits,
//! after-the-fact moderation by weighted flags, recognition (score, KCS levels,
//! badges, rights) and the confidence label search shows. Pure rules, no I/O.

mod moderation;
mod recognition;

pub use moderation::*;
pub use recognition::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Validator;
use crate::model::text_enum;
use crate::{validate, DomainError};

pub const MIN_TITLE: usize = 3;
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 40;
/// The free-text context of a question (customer's words, what was tried).
pub const MAX_CONTEXT: usize = 5_000;
/// Sources a knowledge manager cites when verifying an answer.
pub const MAX_SOURCES: usize = 20;
pub const MAX_SOURCE: usize = 500;

text_enum!(
    /// The question opens a thread; answers reply to it; comments hang off
    /// the question or an answer.
    PostKind { Question = "question", Answer = "answer", Comment = "comment" }
);

text_enum!(
    /// Open until an answer is accepted; promoted once an answer became a
    /// knowledge-base article.
    ThreadStatus { Open = "open", Answered = "answered", Promoted = "promoted" }
);

text_enum!(
    /// Where a search result's trust comes from, strongest first.
    Confidence {
        Validated = "validated",
        Verified = "verified",
        Accepted = "accepted",
        Community = "community",
    }
);

/// The confidence of a forum answer. A published article is `Validated`,
/// which no forum post ever is: only its promotion makes one.
pub fn answer_confidence(verified: bool, accepted: bool) -> Confidence {
    if verified {
        Confidence::Verified
    } else if accepted {
        Confidence::Accepted
    } else {
        Confidence::Community
    }
}

/// A thread title: trimmed, 3 to 200 characters.
pub fn title(value: &str) -> Result<String, String> {
    let t = validate::text(value, MAX_TITLE)
        .map_err(|_| format!("a title must have {MIN_TITLE} to {MAX_TITLE} characters"))?;
    if t.chars().count() < MIN_TITLE {
        return Err(format!(
            "a title must have {MIN_TITLE} to {MAX_TITLE} characters"
        ));
    }
    Ok(t)
}

/// A post body in Markdown: 1 to 20,000 characters. The message states the
/// limit so that the advisor knows how much to cut.
pub fn body(value: &str) -> Result<String, String> {
    let n = value.trim().chars().count();
    if n > MAX_BODY {
        return Err(format!(
            "a post may hold at most {MAX_BODY} characters; this one has {n}"
        ));
    }
    validate::text(value, MAX_BODY)
}

/// Optional context text (may be empty), at most [`MAX_CONTEXT`] characters.
pub fn context(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    validate::text(value, MAX_CONTEXT)
}

/// One tag: `[a-z0-9-]{1,40}` after lower-casing.
pub fn tag(value: &str) -> Result<String, String> {
    let t = value.trim().to_lowercase();
    let ok = (1..=MAX_TAG).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(t)
    } else {
        Err(format!(
            "tag '{}' must be 1 to {MAX_TAG} lower-case letters, digits or dashes",
            value.trim()
        ))
    }
}

/// A tag list: each valid, duplicates dropped, order kept, at most 10.
pub fn tags(values: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let t = tag(v)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    Ok(out)
}

/// The sources a knowledge manager checked: at least one, each a short line.
pub fn sources(values: &[String]) -> Result<Vec<String>, String> {
    let out: Vec<String> = values
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if out.is_empty() {
        return Err("name at least one source you checked".into());
    }
    if out.len() > MAX_SOURCES {
        return Err(format!("at most {MAX_SOURCES} sources"));
    }
    for s in &out {
        validate::text(s, MAX_SOURCE).map_err(|e| format!("source '{s}': {e}"))?;
    }
    Ok(out)
}

/// A question as an advisor writes it, often straight from a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewThread {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The conversation the question came from, if any.
    #[serde(default)]
    pub conversation_id: Option<Uuid>,
    /// The customer's issue in their own words.
    #[serde(default)]
    pub customer_words: String,
    /// What the advisor already tried.
    #[serde(default)]
    pub tried: String,
}

impl NewThread {
    /// The normalised question, or every bad field at once.
    pub fn validated(&self) -> Result<NewThread, DomainError> {
        let mut v = Validator::new();
        let title = v.check("title", title(&self.title));
        let body = v.check("body", body(&self.body));
        let tags = v.check("tags", tags(&self.tags));
        let customer_words = v.check("customer_words", context(&self.customer_words));
        let tried = v.check("tried", context(&self.tried));
        v.finish()?;
        match (title, body, tags, customer_words, tried) {
            (Some(title), Some(body), Some(tags), Some(customer_words), Some(tried)) => {
                Ok(NewThread {
                    title,
                    body,
                    product_id: self.product_id,
                    tags,
                    conversation_id: self.conversation_id,
                    customer_words,
                    tried,
                })
            }
            _ => Err(DomainError::field("body", "invalid question")),
        }
    }
}

/// A body-only validation for answers, comments and edits.
pub fn checked_body(value: &str) -> Result<String, DomainError> {
    body(value).map_err(|m| DomainError::field("body", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(title: &str, body: &str, tags: &[&str]) -> NewThread {
        NewThread {
            title: title.into(),
            body: body.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn limits_are_enforced_with_clear_messages() {
        assert!(
            q("Box reboots", "It reboots every hour", &["Livebox", "wifi"])
                .validated()
                .is_ok()
        );
        let long = "x".repeat(MAX_BODY + 1);
        let Err(DomainError::Invalid(errs)) = q("ok title", &long, &[]).validated() else {
            panic!("oversized body accepted");
        };
        assert!(errs[0].message.contains("20000"), "{:?}", errs);
        assert!(q("ab", "body", &[]).validated().is_err());
        assert!(q("   ", "body", &[]).validated().is_err());
        assert!(q(&"t".repeat(201), "body", &[]).validated().is_err());
        assert!(q("title", "  ", &[]).validated().is_err());
        assert!(q("title", &"x".repeat(MAX_BODY), &[]).validated().is_ok());
    }

    #[test]
    fn tags_are_normalised_and_bounded() {
        let t = q("title", "b", &["WiFi", "wifi", "fibre-1"])
            .validated()
            .unwrap();
        assert_eq!(t.tags, vec!["wifi", "fibre-1"]);
        for bad in ["", "a b", "é", "under_score", &"a".repeat(41)] {
            assert!(tag(bad).is_err(), "{bad} accepted");
        }
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(tags(&eleven).is_err());
        assert!(tags(&eleven[..10]).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let Err(DomainError::Invalid(errs)) = q("", "", &["bad tag"]).validated() else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["title", "body", "tags"]);
    }

    #[test]
    fn confidence_ranks_verified_over_accepted() {
        assert_eq!(answer_confidence(true, false), Confidence::Verified);
        assert_eq!(answer_confidence(false, true), Confidence::Accepted);
        assert_eq!(answer_confidence(false, false), Confidence::Community);
        assert!(Confidence::Validated < Confidence::Verified);
        assert!(sources(&[" ".into()]).is_err());
        assert_eq!(sources(&[" doc A ".into()]).unwrap(), vec!["doc A"]);
    }
}
