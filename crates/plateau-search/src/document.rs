//! What the index holds: [`SearchDocument`] and its closed vocabularies
//! (kind, language, KCS confidence state, audience).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a search document stands for. Articles are the knowledge base; the
/// desk's search box also finds forum answers, conversations and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Article,
    ForumAnswer,
    Conversation,
    Message,
}

/// Languages with an analyser. A tenant's text in any other language is
/// indexed with the closer of the two by the caller's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Fr,
    En,
}

/// KCS confidence state of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    Wip,
    NotValidated,
    Validated,
    Archived,
}

/// Who may read an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Internal,
    Partner,
    Public,
}

/// Stable lowercase codes, used in the index and in facet values.
macro_rules! codes {
    ($ty:ident { $($variant:ident => $code:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The stable code stored in the index.
            pub fn code(self) -> &'static str {
                match self { $($ty::$variant => $code),* }
            }

            /// Parses a code written by [`Self::code`].
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($ty::$variant),)* _ => None }
            }
        }
    };
}

codes!(DocKind { Article => "article", ForumAnswer => "forum_answer", Conversation => "conversation", Message => "message" });
codes!(Language { Fr => "fr", En => "en" });
codes!(ArticleState { Wip => "wip", NotValidated => "not_validated", Validated => "validated", Archived => "archived" });
codes!(Audience { Internal => "internal", Partner => "partner", Public => "public" });

impl ArticleState {
    /// Ranking multiplier: validated knowledge first, archived last. Work in
    /// progress is still shown (KCS: "reuse is review"), just lower.
    pub fn boost(self) -> f32 {
        match self {
            ArticleState::Validated => 1.3,
            ArticleState::NotValidated => 1.0,
            ArticleState::Wip => 0.85,
            ArticleState::Archived => 0.5,
        }
    }
}

/// One document to index. Articles fill the KCS parts; forum answers,
/// conversations and messages put their text in `body` (and a subject in
/// `title` where they have one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: DocKind,
    pub language: Language,
    pub title: String,
    /// KCS issue: the problem in the customer's own words.
    #[serde(default)]
    pub issue: String,
    /// KCS environment: product and context.
    #[serde(default)]
    pub environment: String,
    /// KCS resolution.
    #[serde(default)]
    pub resolution: String,
    /// KCS cause.
    #[serde(default)]
    pub cause: String,
    /// Free text of a forum answer, conversation or message.
    #[serde(default)]
    pub body: String,
    /// The thread a message or forum answer belongs to, so a hit can open it.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub state: Option<ArticleState>,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// How many times advisors linked this article to a conversation.
    #[serde(default)]
    pub reuse_count: u64,
    /// Last change, microseconds since the Unix epoch, UTC (the store's format).
    #[serde(default)]
    pub updated_at: i64,
}

impl SearchDocument {
    /// A document with only the required parts; fill the rest with struct
    /// update syntax.
    pub fn new(tenant_id: Uuid, id: Uuid, kind: DocKind, language: Language, title: &str) -> Self {
        SearchDocument {
            tenant_id,
            id,
            kind,
            language,
            title: title.to_string(),
            issue: String::new(),
            environment: String::new(),
            resolution: String::new(),
            cause: String::new(),
            body: String::new(),
            parent_id: None,
            product: None,
            state: None,
            audience: None,
            tags: Vec::new(),
            reuse_count: 0,
            updated_at: 0,
        }
    }

    /// Text matched as the symptom: what the customer says and where.
    pub(crate) fn symptom_text(&self) -> String {
        join(&[&self.issue, &self.environment, &self.tags.join(", ")])
    }

    /// Text matched as the answer: resolution, cause and free text.
    pub(crate) fn answer_text(&self) -> String {
        join(&[&self.resolution, &self.cause, &self.body])
    }

    /// The text shown in snippets, in reading order.
    pub(crate) fn display_text(&self) -> String {
        join(&[
            &self.issue,
            &self.environment,
            &self.resolution,
            &self.cause,
            &self.body,
        ])
    }
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::from_code(k.code()), Some(*k));
        }
        for s in ArticleState::ALL {
            assert_eq!(ArticleState::from_code(s.code()), Some(*s));
        }
        for a in Audience::ALL {
            assert_eq!(Audience::from_code(a.code()), Some(*a));
        }
        for l in Language::ALL {
            assert_eq!(Language::from_code(l.code()), Some(*l));
        }
        assert_eq!(ArticleState::from_code("bogus"), None);
    }

    #[test]
    fn serde_uses_the_codes() {
        let json = serde_json::to_string(&ArticleState::NotValidated).unwrap();
        assert_eq!(json, "\"not_validated\"");
    }
}
