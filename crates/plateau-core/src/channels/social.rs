//! What a social-network or messaging connector posts to the inbound
//! webhook, and the checks it must pass before it becomes a message: one
//! shape for every network (the connector translates), with the public or
//! private flag kept, because a public answer is read by everyone.

use serde::Deserialize;

use crate::error::{DomainError, Validator};
use crate::validate;

/// The largest webhook body accepted, before parsing.
pub const MAX_WEBHOOK_BYTES: usize = 256 * 1024;
const MAX_ID: usize = 200;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialMessageIn {
    /// The network's id of this message: a second delivery is a duplicate.
    pub external_id: String,
    /// The network's id of the conversation (a tweet thread, a Messenger
    /// conversation, a WhatsApp chat): messages of one thread share a
    /// conversation while it is open.
    pub thread_id: String,
    /// `twitter`, `facebook`, `instagram`, `whatsapp`…
    pub network: String,
    pub author: SocialAuthor,
    pub text: String,
    /// A public post or comment, as opposed to a private message.
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialAuthor {
    /// The handle on that network, with or without `@`.
    pub handle: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A message that passed every check, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialMessage {
    pub external_id: String,
    pub thread_id: String,
    pub network: String,
    /// The customer identity, `network:@handle`.
    pub identity: String,
    pub author_name: String,
    pub text: String,
    pub public: bool,
}

fn id(v: &str) -> Result<String, String> {
    let t = v.trim();
    if t.is_empty() || t.len() > MAX_ID || t.chars().any(char::is_control) {
        return Err(format!("must be 1 to {MAX_ID} printable characters"));
    }
    Ok(t.to_string())
}

fn network(v: &str) -> Result<String, String> {
    let t = v.trim().to_lowercase();
    if t.is_empty()
        || t.len() > 30
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err("must be a network name such as twitter or whatsapp".into());
    }
    Ok(t)
}

impl SocialMessageIn {
    /// Checks every field at once and reports each bad one by name.
    pub fn validated(&self) -> Result<SocialMessage, DomainError> {
        let mut v = Validator::new();
        let external_id = v.check("external_id", id(&self.external_id));
        let thread_id = v.check("thread_id", id(&self.thread_id));
        let network = v.check("network", network(&self.network));
        let handle = self.author.handle.trim().trim_start_matches('@');
        let identity = match &network {
            Some(n) => v.check(
                "author.handle",
                validate::social_handle(&format!("{n}:@{handle}")),
            ),
            None => None,
        };
        let text = v.check("text", validate::text(&self.text, validate::MAX_BODY));
        let name = match self.author.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => {
                v.check("author.name", validate::text(n, validate::MAX_NAME))
            }
            _ => Some(format!("@{handle}")),
        };
        v.finish()?;
        match (external_id, thread_id, network, identity, text, name) {
            (
                Some(external_id),
                Some(thread_id),
                Some(network),
                Some(identity),
                Some(text),
                Some(author_name),
            ) => Ok(SocialMessage {
                external_id,
                thread_id,
                network,
                identity,
                author_name,
                text,
                public: self.public,
            }),
            _ => Err(DomainError::field("body", "incomplete message")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SocialMessageIn {
        SocialMessageIn {
            external_id: "1790000000001".into(),
            thread_id: "1790000000000".into(),
            network: "Twitter".into(),
            author: SocialAuthor {
                handle: "@JDupont".into(),
                name: Some("Jean Dupont".into()),
            },
            text: "@Orbitel ma fibre est coupée depuis ce matin".into(),
            public: true,
        }
    }

    #[test]
    fn a_good_message_is_normalised() {
        let m = sample().validated().unwrap();
        assert_eq!(m.network, "twitter");
        assert_eq!(m.identity, "twitter:@jdupont");
        assert_eq!(m.author_name, "Jean Dupont");
        assert!(m.public);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut m = sample();
        m.external_id = " ".into();
        m.network = "Twit ter!".into();
        m.text = String::new();
        let Err(DomainError::Invalid(errs)) = m.validated() else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"external_id"), "{fields:?}");
        assert!(fields.contains(&"network"), "{fields:?}");
        assert!(fields.contains(&"text"), "{fields:?}");
    }

    #[test]
    fn a_missing_name_falls_back_to_the_handle() {
        let mut m = sample();
        m.author.name = None;
        assert_eq!(m.validated().unwrap().author_name, "@JDupont");
    }
}
