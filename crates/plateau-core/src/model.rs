//! The contact-centre vocabulary from the glossary (DESIGN.md §2): tenants,
//! sites, teams, tiers, users, customers, conversations and messages.
//!
//! Enumerations are stored as short text in the database; `as_str` and
//! `FromStr` are their only mapping, so a value can never drift between layers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// Declares a closed set of text values with one mapping to and from text.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value '{}': expected one of {}",
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
// Other glossary modules (knowledge) declare their closed sets the same way.
pub(crate) use text_enum;

text_enum!(
    /// Escalation level: N1 handles first contact, N2 escalations, experts the hardest cases.
    Tier { N1 = "n1", N2 = "n2", Expert = "expert" }
);

text_enum!(
    /// A user's role within one tenant. Platform admin is a user flag, not a membership.
    Role {
        TenantAdmin = "tenant_admin",
        Supervisor = "supervisor",
        KnowledgeManager = "knowledge_manager",
        Advisor = "advisor",
        ClientViewer = "client_viewer",
    }
);

text_enum!(
    Channel {
        Email = "email",
        Phone = "phone",
        Chat = "chat",
        Social = "social",
        Letter = "letter",
    }
);

text_enum!(
    Status { New = "new", Open = "open", Pending = "pending", Resolved = "resolved", Closed = "closed" }
);

text_enum!(
    Priority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

text_enum!(
    Direction { Inbound = "inbound", Outbound = "outbound", Note = "note" }
);

text_enum!(
    Language { Fr = "fr", En = "en" }
);

text_enum!(
    AgeBand {
        Under25 = "under_25",
        From25To39 = "25_39",
        From40To59 = "40_59",
        From60To74 = "60_74",
        Over75 = "75_plus",
    }
);

text_enum!(
    /// Appetite for technology, one of the static segmentation inputs in seed 004.
    TechAppetite { Low = "low", Medium = "medium", High = "high" }
);

text_enum!(
    ValueTier { Bronze = "bronze", Silver = "silver", Gold = "gold", Platinum = "platinum" }
);

text_enum!(
    /// The customer's support contract; only `expert` reaches the expert cell directly.
    ContractTier { Standard = "standard", Pro = "pro", Expert = "expert" }
);

text_enum!(
    IdentityKind { Email = "email", Phone = "phone", Social = "social" }
);

impl Priority {
    /// Sort weight: higher is more urgent.
    pub fn weight(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

impl Status {
    /// Statuses that still need work from the centre: the backlog.
    pub fn is_active(self) -> bool {
        matches!(self, Status::New | Status::Open | Status::Pending)
    }

    /// Closed is final: a customer writing again starts a new conversation
    /// (as in Zendesk), so reports on closed work never change afterwards.
    pub fn can_become(self, next: Status) -> bool {
        if self == next {
            return true;
        }
        self != Status::Closed && next != Status::New
    }

    /// Status after an advisor's public reply: a new conversation becomes open.
    pub fn after_reply(self) -> Status {
        match self {
            Status::New => Status::Open,
            s => s,
        }
    }

    /// Status after a customer writes again: resolved or pending work reopens.
    pub fn after_inbound(self) -> Status {
        match self {
            Status::Pending | Status::Resolved => Status::Open,
            s => s,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA time zone, e.g. `Europe/Paris`.
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub site_id: Option<Uuid>,
    pub name: String,
    pub tier: Tier,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub locale: Language,
    pub platform_admin: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerProfile {
    pub age_band: Option<AgeBand>,
    pub tech_appetite: Option<TechAppetite>,
    pub value_tier: Option<ValueTier>,
    pub contract_tier: ContractTier,
    pub language: Language,
    pub preferred_channel: Option<Channel>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    #[serde(flatten)]
    pub profile: CustomerProfile,
    pub identities: Vec<Identity>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    pub kind: IdentityKind,
    /// Normalised: lower-case e-mail, E.164 phone, `network:@handle` social.
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Per-tenant human number, shown as `#1234`.
    pub number: i64,
    pub customer_id: Uuid,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub reason: Option<String>,
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    /// Channel of the latest message: conversations span channels.
    pub channel: Channel,
    pub language: Language,
    pub preview: String,
    pub message_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_message_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Key in the blob store; None while only metadata is known.
    pub blob_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub direction: Direction,
    pub channel: Channel,
    /// The advisor who wrote it; None for inbound customer messages.
    pub author_id: Option<Uuid>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn text_enums_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_str(s.as_str()), Ok(*s));
        }
        for r in Role::ALL {
            assert_eq!(Role::from_str(r.as_str()), Ok(*r));
        }
        for a in AgeBand::ALL {
            assert_eq!(AgeBand::from_str(a.as_str()), Ok(*a));
        }
        let err = Channel::from_str("fax").unwrap_err();
        assert!(err.contains("email, phone, chat, social, letter"), "{err}");
    }

    #[test]
    fn closed_is_final_and_new_is_never_reentered() {
        for s in Status::ALL {
            assert_eq!(Status::Closed.can_become(*s), *s == Status::Closed);
            assert_eq!(s.can_become(Status::New), *s == Status::New);
        }
        assert!(Status::Resolved.can_become(Status::Open));
        assert!(Status::New.can_become(Status::Resolved));
    }

    #[test]
    fn replies_and_inbound_move_status() {
        assert_eq!(Status::New.after_reply(), Status::Open);
        assert_eq!(Status::Pending.after_reply(), Status::Pending);
        assert_eq!(Status::Resolved.after_inbound(), Status::Open);
        assert_eq!(Status::Closed.after_inbound(), Status::Closed);
    }
}
