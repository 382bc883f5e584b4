//! One path for a customer's message that a server-side receiver took in
//! (e-mail, social and messaging webhooks): it joins the conversation the
//! channel's threading found while that is still open, or opens a new one
//! (a reply to a closed conversation is a new request) with the customer
//! found earlier or created with the identity they wrote from.

use plateau_core::model::{
    Attachment, Channel, ContractTier, CustomerProfile, Direction, IdentityKind, Language,
    Priority, Status,
};
use plateau_store::conversations::{CustomerRef, NewConversation, NewMessage};
use plateau_store::customers::NewCustomer;
use plateau_store::Store;
use uuid::Uuid;

/// A customer's message as a receiver read it.
pub struct Arrival {
    pub tenant_id: Uuid,
    pub channel: Channel,
    /// The conversation the channel's threading rules found, if any.
    pub thread: Option<Uuid>,
    /// The customer who owns `identity`, when the receiver already found them.
    pub customer: Option<Uuid>,
    pub identity: (IdentityKind, String),
    /// The name a new customer is created with.
    pub name: String,
    /// The conversation's language when the receiver could tell; a new
    /// customer's profile takes it (French otherwise).
    pub language: Option<Language>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub team_id: Option<Uuid>,
    pub tags: Vec<String>,
}

/// Where the message went. `message_id` is None for a new conversation:
/// creation returns the conversation, whose one message is the arrival.
pub struct Delivered {
    pub conversation_id: Uuid,
    pub message_id: Option<Uuid>,
}

pub async fn deliver(store: &Store, a: Arrival) -> plateau_store::Result<Delivered> {
    let open = match a.thread {
        Some(c) => Some(store.conversation(a.tenant_id, c).await?)
            .filter(|conv| conv.status != Status::Closed),
        None => None,
    };
    if let Some(conv) = open {
        let (msg, conv) = store
            .add_message(
                a.tenant_id,
                conv.id,
                NewMessage {
                    direction: Direction::Inbound,
                    channel: a.channel,
                    author_id: None,
                    body: a.body,
                    attachments: a.attachments,
                    then_status: None,
                    at: None,
                },
                None,
            )
            .await?;
        return Ok(Delivered {
            conversation_id: conv.id,
            message_id: Some(msg.id),
        });
    }
    let customer = match a.customer {
        Some(id) => CustomerRef::Existing(id),
        None => CustomerRef::New(NewCustomer {
            name: a.name,
            profile: CustomerProfile {
                age_band: None,
                tech_appetite: None,
                value_tier: None,
                contract_tier: ContractTier::Standard,
                language: a.language.unwrap_or(Language::Fr),
                preferred_channel: Some(a.channel),
            },
            identities: vec![a.identity],
        }),
    };
    let conv = store
        .create_conversation(
            a.tenant_id,
            NewConversation {
                customer,
                subject: a.subject,
                channel: a.channel,
                direction: Direction::Inbound,
                body: a.body,
                priority: Priority::Normal,
                reason: None,
                tags: a.tags,
                team_id: a.team_id,
                assignee_id: None,
                language: a.language,
                attachments: a.attachments,
                at: None,
            },
            None,
        )
        .await?;
    Ok(Delivered {
        conversation_id: conv.id,
        message_id: None,
    })
}
