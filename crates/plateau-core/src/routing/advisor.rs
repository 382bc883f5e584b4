//! Advisors and contacts as the router sees them: presence states, the
//! channels an advisor works with a capacity for each, and the attributes
//! that filters and targets read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::expr::{Attr, Attributes, Schema, MAX_SKILL_LEVEL, NONE};
use crate::model::{Channel, ContractTier, Language, Priority, Tier};
use crate::Timestamp;

/// What an advisor is doing. `Busy` and `WrapUp` are derived by the router from
/// the advisor's contacts; the others are chosen by the advisor or a supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Busy,
    WrapUp,
    Break,
    Training,
    Offline,
}

impl Presence {
    pub const ALL: &'static [Presence] = &[
        Presence::Available,
        Presence::Busy,
        Presence::WrapUp,
        Presence::Break,
        Presence::Training,
        Presence::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::Busy => "busy",
            Presence::WrapUp => "wrap_up",
            Presence::Break => "break",
            Presence::Training => "training",
            Presence::Offline => "offline",
        }
    }

    /// States a person may choose; the other two follow from work.
    pub fn is_declarable(self) -> bool {
        !matches!(self, Presence::Busy | Presence::WrapUp)
    }
}

/// An advisor's routing profile, sent when they log in or their profile changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisorSpec {
    pub id: Uuid,
    /// Skill name → level 1–5.
    pub skills: BTreeMap<String, u8>,
    pub languages: Vec<Language>,
    pub tier: Tier,
    pub site: Option<String>,
    pub team: Option<String>,
    /// How many contacts of each channel at once: for example 1 call, 3 chats,
    /// 10 e-mails. Channels not listed are not worked.
    pub capacity: Vec<(Channel, u16)>,
}

/// A contact to route (a new conversation, or a callback when it falls due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSpec {
    pub id: Uuid,
    pub tenant: String,
    pub channel: Channel,
    pub reason: Option<String>,
    pub language: Language,
    pub priority: Priority,
    pub contract_tier: ContractTier,
    pub segment: Option<String>,
}

/// A scheduled callback: routed like a contact from `not_before`, preferably to
/// `preferred_advisor`; an alert is raised if nobody has it by `deadline`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackSpec {
    pub contact: ContactSpec,
    pub not_before: Timestamp,
    pub deadline: Timestamp,
    pub preferred_advisor: Option<Uuid>,
}

/// Advisor attributes resolved to indexes, so targets evaluate without strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdvisorAttrs {
    pub skills: Vec<u8>,
    pub languages: u32,
    pub tier: u32,
    pub site: u32,
    pub team: u32,
}

impl Attributes for AdvisorAttrs {
    #[inline]
    fn value(&self, a: Attr) -> u32 {
        match a {
            Attr::Skill(k) => self.skills.get(usize::from(k)).map_or(0, |l| u32::from(*l)),
            Attr::Languages => self.languages,
            Attr::AdvisorTier => self.tier,
            Attr::Site => self.site,
            Attr::Team => self.team,
            _ => NONE,
        }
    }
}

impl AdvisorAttrs {
    pub(crate) fn resolve(spec: &AdvisorSpec, schema: &Schema) -> Result<AdvisorAttrs, String> {
        let mut skills = vec![0u8; schema.skills.len()];
        for (name, level) in &spec.skills {
            let k = schema
                .skill(name)
                .ok_or_else(|| format!("unknown skill '{name}'"))?;
            if !(1..=MAX_SKILL_LEVEL).contains(level) {
                return Err(format!(
                    "skill '{name}' has level {level}; levels run from 1 to {MAX_SKILL_LEVEL}"
                ));
            }
            skills[usize::from(k)] = *level;
        }
        let languages = spec
            .languages
            .iter()
            .map(|l| Language::ALL.iter().position(|x| x == l).unwrap_or(0))
            .fold(0u32, |m, i| m | (1 << i));
        let name = |v: &Option<String>, f: fn(&Schema, &str) -> Option<u32>, what: &str| match v {
            None => Ok(NONE),
            Some(n) => f(schema, n).ok_or_else(|| format!("unknown {what} '{n}'")),
        };
        Ok(AdvisorAttrs {
            skills,
            languages,
            tier: position(Tier::ALL, spec.tier),
            site: name(&spec.site, Schema::site, "site")?,
            team: name(&spec.team, Schema::team, "team")?,
        })
    }
}

/// Contact attributes resolved to indexes for filter evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContactAttrs {
    pub tenant: u32,
    pub channel: u32,
    pub reason: u32,
    pub language: u32,
    pub priority: u32,
    pub contract_tier: u32,
    pub segment: u32,
}

impl Attributes for ContactAttrs {
    #[inline]
    fn value(&self, a: Attr) -> u32 {
        match a {
            Attr::Tenant => self.tenant,
            Attr::Channel => self.channel,
            Attr::Reason => self.reason,
            Attr::ContactLanguage => self.language,
            Attr::Priority => self.priority,
            Attr::ContractTier => self.contract_tier,
            Attr::Segment => self.segment,
            _ => NONE,
        }
    }
}

impl ContactAttrs {
    /// Unknown names are not an error here: a contact with a reason no filter
    /// knows still reaches a catch-all workflow.
    pub(crate) fn resolve(spec: &ContactSpec, schema: &Schema) -> ContactAttrs {
        let opt = |v: &Option<String>, f: fn(&Schema, &str) -> Option<u32>| {
            v.as_deref().and_then(|n| f(schema, n)).unwrap_or(NONE)
        };
        ContactAttrs {
            tenant: schema.tenant(&spec.tenant).unwrap_or(NONE),
            channel: position(Channel::ALL, spec.channel),
            reason: opt(&spec.reason, Schema::reason),
            language: position(Language::ALL, spec.language),
            priority: position(Priority::ALL, spec.priority),
            contract_tier: position(ContractTier::ALL, spec.contract_tier),
            segment: opt(&spec.segment, Schema::segment),
        }
    }
}

pub(crate) fn position<T: PartialEq + Copy>(all: &[T], v: T) -> u32 {
    all.iter().position(|x| *x == v).unwrap_or(0) as u32
}
