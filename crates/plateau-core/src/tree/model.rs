//! The diagnostic tree as authored (issue 7): nodes and their kinds, content
//! with segment variants and media, form fields, decision rules, and the JSON
//! shape the store keeps and the browser editor sends.
//!
//! A [`Tree`] is plain data and may be invalid (a draft); [`super::validate`]
//! says whether it can be published. Nodes live in a `Vec` rather than a map so
//! a duplicated id in untrusted input is reported instead of silently dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{AgeBand, Channel, ContractTier, Language, TechAppetite, Tier, ValueTier};

/// Largest JSON document [`Tree::from_json`] parses, checked before parsing.
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Most nodes in one tree.
pub const MAX_NODES: usize = 10_000;
/// Longest text (node text, variant, label, reason) in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest node id, variable name, label or reference in characters.
pub const MAX_NAME: usize = 200;
/// Most entries in one list (answers, fields, rules, conditions, variants, media, options).
pub const MAX_ITEMS: usize = 200;

/// A node id: unique in its tree, chosen by the editor (a UUID or a short slug).
pub type NodeId = String;

/// One version of a diagnostic tree. Ids and versions belong to the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tree {
    #[serde(default)]
    pub title: String,
    /// The node a session starts at.
    pub root: NodeId,
    pub nodes: Vec<Node>,
}

/// Why a tree document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeJsonError {
    #[error("tree document is {0} bytes, more than the {MAX_JSON_BYTES} accepted")]
    TooLarge(usize),
    #[error("tree document is not valid: {0}")]
    Json(#[from] serde_json::Error),
}

impl Tree {
    /// Parses the stored or submitted JSON, refusing oversized input before
    /// any allocation proportional to it.
    pub fn from_json(json: &str) -> Result<Tree, TreeJsonError> {
        if json.len() > MAX_JSON_BYTES {
            return Err(TreeJsonError::TooLarge(json.len()));
        }
        Ok(serde_json::from_str(json)?)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The first node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Index of each id (the first occurrence wins), for lookups in loops.
    pub fn index(&self) -> BTreeMap<&str, usize> {
        let mut map = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            map.entry(n.id.as_str()).or_insert(i);
        }
        map
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Node {
    pub id: NodeId,
    /// Short label for the editor's outline and mind-map exports.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: Content,
    /// Lets cycles pass through this node (see docs/trees.md: only nodes that
    /// wait for the advisor may carry it, so a loop can never spin by itself).
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_loop: bool,
    #[serde(flatten)]
    pub kind: NodeKind,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What a node does. Serialised with a `kind` tag beside the node's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeKind {
    /// The content is the prompt; each answer leads to a node.
    Question {
        answers: Vec<Answer>,
    },
    /// Something to say or do, then continue.
    Instruction {
        next: NodeId,
    },
    /// Typed fields; each one becomes a variable named after the field.
    Form {
        fields: Vec<Field>,
        next: NodeId,
    },
    /// Evaluated without the advisor: the first rule whose conditions all
    /// hold wins, otherwise `default` (mandatory to publish).
    Decision {
        rules: Vec<Rule>,
        #[serde(default)]
        default: Option<NodeId>,
    },
    /// A fix. Without `next` it ends the session as resolved; with `next` the
    /// advisor continues (e.g. to "did that work?").
    Solution {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        article_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<NodeId>,
    },
    /// Hands the case and everything collected to a queue or tier; ends the session.
    Escalation {
        target: EscalationTarget,
        #[serde(default)]
        reason: String,
    },
    /// Runs another published tree. With `return_to`, its end (other than an
    /// escalation) comes back here; without, its outcome ends this session.
    Jump {
        tree_ref: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        return_to: Option<NodeId>,
    },
    End {
        outcome: Outcome,
    },
}

impl NodeKind {
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Question { .. } => "question",
            NodeKind::Instruction { .. } => "instruction",
            NodeKind::Form { .. } => "form",
            NodeKind::Decision { .. } => "decision",
            NodeKind::Solution { .. } => "solution",
            NodeKind::Escalation { .. } => "escalation",
            NodeKind::Jump { .. } => "jump",
            NodeKind::End { .. } => "end",
        }
    }

    /// Outgoing edges in a stable order, each with a key naming it
    /// (`answers[0]`, `next`, `rules[1]`, `default`, `return_to`).
    pub fn edges(&self) -> Vec<(String, &NodeId)> {
        match self {
            NodeKind::Question { answers } => answers
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("answers[{i}]"), &a.target))
                .collect(),
            NodeKind::Instruction { next } | NodeKind::Form { next, .. } => {
                vec![("next".to_string(), next)]
            }
            NodeKind::Decision { rules, default } => {
                let mut e: Vec<(String, &NodeId)> = rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("rules[{i}]"), &r.target))
                    .collect();
                if let Some(d) = default {
                    e.push(("default".to_string(), d));
                }
                e
            }
            NodeKind::Solution { next, .. } => {
                next.iter().map(|n| ("next".to_string(), n)).collect()
            }
            NodeKind::Jump { return_to, .. } => return_to
                .iter()
                .map(|n| ("return_to".to_string(), n))
                .collect(),
            NodeKind::Escalation { .. } | NodeKind::End { .. } => vec![],
        }
    }

    /// Mutable view of the same edges, in the same order as [`NodeKind::edges`].
    pub fn edges_mut(&mut self) -> Vec<&mut NodeId> {
        match self {
            NodeKind::Question { answers } => answers.iter_mut().map(|a| &mut a.target).collect(),
            NodeKind::Instruction { next } | NodeKind::Form { next, .. } => vec![next],
            NodeKind::Decision { rules, default } => {
                let mut e: Vec<&mut NodeId> = rules.iter_mut().map(|r| &mut r.target).collect();
                if let Some(d) = default {
                    e.push(d);
                }
                e
            }
            NodeKind::Solution { next, .. } => next.iter_mut().collect(),
            NodeKind::Jump { return_to, .. } => return_to.iter_mut().collect(),
            NodeKind::Escalation { .. } | NodeKind::End { .. } => vec![],
        }
    }

    /// Whether reaching this node can end a session by itself.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            NodeKind::End { .. }
                | NodeKind::Escalation { .. }
                | NodeKind::Solution { next: None, .. }
                | NodeKind::Jump {
                    return_to: None,
                    ..
                }
        )
    }

    /// Whether the runner stops here for the advisor (rather than passing through).
    pub fn waits_for_advisor(&self) -> bool {
        matches!(
            self,
            NodeKind::Question { .. }
                | NodeKind::Instruction { .. }
                | NodeKind::Form { .. }
                | NodeKind::Solution { next: Some(_), .. }
        )
    }
}

/// Markdown text with `{{variable}}` placeholders, per-segment variants and media.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Content {
    #[serde(default)]
    pub text: String,
    /// Tried in order; the first whose segment matches the customer replaces `text`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variant {
    pub segment: Segment,
    pub text: String,
}

/// A set of customers: each non-empty list must contain the customer's value
/// (an unknown value never matches a non-empty list); empty lists match anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub age_band: Vec<AgeBand>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tech_appetite: Vec<TechAppetite>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_tier: Vec<ValueTier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contract_tier: Vec<ContractTier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<Language>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel: Vec<Channel>,
}

impl Segment {
    pub fn is_everyone(&self) -> bool {
        self.age_band.is_empty()
            && self.tech_appetite.is_empty()
            && self.value_tier.is_empty()
            && self.contract_tier.is_empty()
            && self.language.is_empty()
            && self.channel.is_empty()
    }

    pub fn matches(&self, c: &CustomerAttrs) -> bool {
        fn ok<T: PartialEq>(list: &[T], v: Option<T>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.contains(&v))
        }
        ok(&self.age_band, c.age_band)
            && ok(&self.tech_appetite, c.tech_appetite)
            && ok(&self.value_tier, c.value_tier)
            && ok(&self.contract_tier, c.contract_tier)
            && ok(&self.language, c.language)
            && ok(&self.channel, c.channel)
    }
}

/// What the runner knows about the customer; any attribute may be unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerAttrs {
    #[serde(default)]
    pub age_band: Option<AgeBand>,
    #[serde(default)]
    pub tech_appetite: Option<TechAppetite>,
    #[serde(default)]
    pub value_tier: Option<ValueTier>,
    #[serde(default)]
    pub contract_tier: Option<ContractTier>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub channel: Option<Channel>,
}

/// A customer attribute that rules and placeholders (`{{customer.age_band}}`) may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CustomerAttr {
    AgeBand,
    TechAppetite,
    ValueTier,
    ContractTier,
    Language,
    Channel,
}

impl CustomerAttr {
    pub const ALL: [CustomerAttr; 6] = [
        CustomerAttr::AgeBand,
        CustomerAttr::TechAppetite,
        CustomerAttr::ValueTier,
        CustomerAttr::ContractTier,
        CustomerAttr::Language,
        CustomerAttr::Channel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerAttr::AgeBand => "age_band",
            CustomerAttr::TechAppetite => "tech_appetite",
            CustomerAttr::ValueTier => "value_tier",
            CustomerAttr::ContractTier => "contract_tier",
            CustomerAttr::Language => "language",
            CustomerAttr::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<CustomerAttr> {
        CustomerAttr::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Every value the attribute can take, in its natural order (so
    /// `age_band >= "60_74"` means "60 or older").
    pub fn values(self) -> Vec<&'static str> {
        fn all<T: Copy>(v: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
            v.iter().map(|x| f(*x)).collect()
        }
        match self {
            CustomerAttr::AgeBand => all(AgeBand::ALL, AgeBand::as_str),
            CustomerAttr::TechAppetite => all(TechAppetite::ALL, TechAppetite::as_str),
            CustomerAttr::ValueTier => all(ValueTier::ALL, ValueTier::as_str),
            CustomerAttr::ContractTier => all(ContractTier::ALL, ContractTier::as_str),
            CustomerAttr::Language => all(Language::ALL, Language::as_str),
            CustomerAttr::Channel => all(Channel::ALL, Channel::as_str),
        }
    }

    /// Only the graded attributes have an order; language and channel do not.
    pub fn is_ordered(self) -> bool {
        !matches!(self, CustomerAttr::Language | CustomerAttr::Channel)
    }

    pub fn read(self, c: &CustomerAttrs) -> Option<&'static str> {
        match self {
            CustomerAttr::AgeBand => c.age_band.map(AgeBand::as_str),
            CustomerAttr::TechAppetite => c.tech_appetite.map(TechAppetite::as_str),
            CustomerAttr::ValueTier => c.value_tier.map(ValueTier::as_str),
            CustomerAttr::ContractTier => c.contract_tier.map(ContractTier::as_str),
            CustomerAttr::Language => c.language.map(Language::as_str),
            CustomerAttr::Channel => c.channel.map(Channel::as_str),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Media {
    pub kind: MediaKind,
    pub source: MediaSource,
    /// Said aloud by screen readers and shown when the media cannot play.
    #[serde(default)]
    pub alt: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Link,
}

/// Where the media lives: a key in the tenant's blob store, or an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    Blob(String),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    pub label: String,
    pub target: NodeId,
}

/// A form field; its value is stored in the variable `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Field {
    pub name: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    #[serde(flatten)]
    pub kind: FieldKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_len: Option<u32>,
    },
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "is_false")]
        integer: bool,
    },
    /// A checkbox: absent means false, so `required` is not meaningful.
    Boolean,
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    Date,
    Email,
    /// E.164, e.g. `+33612345678`.
    Phone,
}

impl FieldKind {
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Number { .. } => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::Choice { .. } => "choice",
            FieldKind::Date => "date",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChoiceOption {
    /// Stored in the variable and compared by rules.
    pub value: String,
    pub label: String,
}

/// All conditions must hold (an empty list always holds); authors express
/// "or" as several rules with the same target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    #[serde(default)]
    pub when: Vec<Condition>,
    pub target: NodeId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    pub subject: Subject,
    pub op: Op,
    /// Absent for `is_set` / `is_not_set`; a list for `in` / `not_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Literal>,
}

/// What a condition reads: a variable from a form, or a customer attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Var(String),
    Customer(CustomerAttr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    IsSet,
    IsNotSet,
}

impl Op {
    pub fn needs_order(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A constant in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Literal {
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Literal>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// A routing queue by name (see routing workflows).
    Queue(String),
    Tier(Tier),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resolved,
    Escalated,
    Unresolved,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Escalated => "escalated",
            Outcome::Unresolved => "unresolved",
        }
    }
}
