//! An advisor's routing profile in one brand, as supervisors edit it: skills
//! with levels 1–5, languages, tier, and how many contacts of each channel
//! they take at once. It becomes the router's [`AdvisorSpec`](super::AdvisorSpec).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::expr::MAX_SKILL_LEVEL;
use crate::error::Validator;
use crate::model::{Channel, Language, Tier};
use crate::DomainError;

/// At most this many skills per advisor; more is a data-entry mistake.
pub const MAX_SKILLS: usize = 50;
/// At most this many simultaneous contacts on one channel.
pub const MAX_CAPACITY: u16 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingProfile {
    /// Skill name (lower-case letters, digits, `-` and `_`) → level 1–5.
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    #[serde(default)]
    pub languages: Vec<Language>,
    pub tier: Tier,
    /// Channel → simultaneous contacts, for example phone 1, chat 3, email 10.
    /// A channel not listed is not worked.
    #[serde(default)]
    pub capacity: BTreeMap<Channel, u16>,
}

impl Default for RoutingProfile {
    fn default() -> Self {
        RoutingProfile {
            skills: BTreeMap::new(),
            languages: vec![Language::Fr],
            tier: Tier::N1,
            capacity: BTreeMap::new(),
        }
    }
}

fn skill_name(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() || name.len() > 40 {
        return Err("skill names have 1 to 40 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(format!("{name:?}: use letters, digits, - and _ only"));
    }
    Ok(name)
}

impl RoutingProfile {
    /// Normalises skill names and languages, and reports every bad entry.
    pub fn validated(&self) -> Result<RoutingProfile, DomainError> {
        let mut v = Validator::new();
        let mut skills = BTreeMap::new();
        if self.skills.len() > MAX_SKILLS {
            v.push("skills", format!("at most {MAX_SKILLS} skills"));
        }
        for (raw, level) in &self.skills {
            match skill_name(raw) {
                Ok(name) if (1..=MAX_SKILL_LEVEL).contains(level) => {
                    skills.insert(name, *level);
                }
                Ok(name) => v.push(
                    &format!("skills.{name}"),
                    format!("level must be 1 to {MAX_SKILL_LEVEL}"),
                ),
                Err(m) => v.push("skills", m),
            }
        }
        let mut languages = self.languages.clone();
        languages.sort_by_key(|l| l.as_str());
        languages.dedup();
        if languages.is_empty() {
            v.push("languages", "at least one language");
        }
        for (channel, n) in &self.capacity {
            if *n == 0 || *n > MAX_CAPACITY {
                v.push(
                    &format!("capacity.{}", channel.as_str()),
                    format!("1 to {MAX_CAPACITY} contacts at once (leave the channel out to not work it)"),
                );
            }
        }
        v.finish()?;
        Ok(RoutingProfile {
            skills,
            languages,
            tier: self.tier,
            capacity: self.capacity.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_normalised_and_every_bad_entry_reported() {
        let p = RoutingProfile {
            skills: [("Fibre".to_string(), 4), ("tv".to_string(), 2)].into(),
            languages: vec![Language::En, Language::Fr, Language::En],
            tier: Tier::N2,
            capacity: [(Channel::Phone, 1), (Channel::Chat, 3)].into(),
        };
        let ok = p.validated().unwrap();
        assert_eq!(ok.skills.keys().collect::<Vec<_>>(), vec!["fibre", "tv"]);
        assert_eq!(ok.languages.len(), 2);

        let bad = RoutingProfile {
            skills: [("fibre".to_string(), 0), ("box wifi".to_string(), 3)].into(),
            languages: vec![],
            tier: Tier::N1,
            capacity: [(Channel::Email, 0)].into(),
        };
        let Err(DomainError::Invalid(errs)) = bad.validated() else {
            panic!("accepted a bad profile")
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["skills.fibre", "skills", "languages", "capacity.email"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }
}
