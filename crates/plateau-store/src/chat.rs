//! The web chat's records: whether a brand's chat is on, and each widget
//! session (its token digest, the conversation and customer it reached, when
//! it was last seen and whether it is live or a message left out of hours),
//! plus the e-mail follow-up of replies to messages left out of hours.

use plateau_core::event::kind;
use plateau_core::Timestamp;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

/// `live` (answered in the chat), `offline` (left while the brand was
/// closed: replies go by e-mail) or `ended` (the customer said goodbye).
pub const LIVE: &str = "live";
pub const OFFLINE: &str = "offline";
pub const ENDED: &str = "ended";

#[derive(Debug, Clone, Serialize)]
pub struct ChatSession {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Set by the session's first message.
    pub conversation_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub state: String,
}

fn session(r: &impl PortableRow) -> Result<ChatSession> {
    Ok(ChatSession {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        conversation_id: r.opt_uuid("conversation_id")?,
        customer_id: r.opt_uuid("customer_id")?,
        created_at: r.ts("created_at")?,
        last_seen_at: r.ts("last_seen_at")?,
        state: r.text("state")?,
    })
}

const COLS: &str = "id, tenant_id, conversation_id, customer_id, created_at, last_seen_at, state";

/// An outbound chat message on an out-of-hours conversation that still
/// needs its e-mail.
struct Followup {
    message_id: Uuid,
    tenant_id: Uuid,
    conversation_id: Uuid,
    customer_id: Uuid,
    created_at: Timestamp,
}

impl Store {
    /// Whether the brand's chat is on (off until an administrator turns it on).
    pub async fn chat_enabled(&self, tenant_id: Uuid) -> Result<bool> {
        on_pool!(&self.read, p => {
            Ok(sqlx::query("SELECT enabled FROM chat_settings WHERE tenant_id = $1")
                .bind(tenant_id).fetch_optional(p).await?
                .map(|r| r.boolean("enabled")).transpose()?.unwrap_or(false))
        })
    }

    pub async fn set_chat_enabled(
        &self,
        tenant_id: Uuid,
        enabled: bool,
        actor: Option<Uuid>,
    ) -> Result<()> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO chat_settings (tenant_id, enabled, updated_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE SET enabled = $2, updated_at = $3")
                .bind(tenant_id).bind(enabled).bind(now.0).execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CHAT_SETTINGS_UPDATED, subject_id: None, actor_id: actor,
                payload: json!({"enabled": enabled}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// A new session; `token_hash` is the digest of the token the widget keeps.
    pub async fn create_chat_session(
        &self,
        tenant_id: Uuid,
        token_hash: &str,
        state: &str,
    ) -> Result<ChatSession> {
        let now = Timestamp::now();
        let s = ChatSession {
            id: Uuid::now_v7(),
            tenant_id,
            conversation_id: None,
            customer_id: None,
            created_at: now,
            last_seen_at: now,
            state: state.to_string(),
        };
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO chat_sessions (id, tenant_id, conversation_id, customer_id, token_hash, created_at, last_seen_at, state) VALUES ($1, $2, NULL, NULL, $3, $4, $4, $5)")
                .bind(s.id).bind(tenant_id).bind(token_hash).bind(now.0).bind(state)
                .execute(p).await?;
        });
        Ok(s)
    }

    /// The session a token opened, in this brand only: a token of another
    /// brand finds nothing.
    pub async fn chat_session_by_token(
        &self,
        tenant_id: Uuid,
        token_hash: &str,
    ) -> Result<Option<ChatSession>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM chat_sessions WHERE tenant_id = $1 AND token_hash = $2"))
                .bind(tenant_id).bind(token_hash).fetch_optional(p).await?
                .map(|r| session(&r)).transpose()
        })
    }

    /// Records the conversation and customer the first message reached.
    pub async fn attach_chat_session(
        &self,
        id: Uuid,
        conversation_id: Uuid,
        customer_id: Uuid,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("UPDATE chat_sessions SET conversation_id = $1, customer_id = $2, last_seen_at = $3 WHERE id = $4")
                .bind(conversation_id).bind(customer_id).bind(Timestamp::now().0).bind(id)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Marks the session seen now, optionally in a new state.
    pub async fn touch_chat_session(&self, id: Uuid, state: Option<&str>) -> Result<()> {
        let now = Timestamp::now().0;
        on_pool!(&self.write, p => {
            match state {
                Some(s) => sqlx::query("UPDATE chat_sessions SET last_seen_at = $1, state = $2 WHERE id = $3")
                    .bind(now).bind(s).bind(id).execute(p).await?,
                None => sqlx::query("UPDATE chat_sessions SET last_seen_at = $1 WHERE id = $2")
                    .bind(now).bind(id).execute(p).await?,
            };
        });
        Ok(())
    }

    /// Sessions that reached a conversation (normally one).
    pub async fn chat_sessions_of(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<ChatSession>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM chat_sessions WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at"))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(session).collect()
        })
    }

    /// Queues the e-mail of every advisor reply written in the chat on a
    /// conversation left out of hours that has none yet, and returns how
    /// many were queued. Called after each such reply and periodically, so
    /// a reply written while no server watched still gets its e-mail (at
    /// least once: the outbox is keyed by the message).
    pub async fn queue_chat_followups(&self) -> Result<usize> {
        let due: Vec<Followup> = on_pool!(&self.read, p => {
            sqlx::query("SELECT m.id, m.tenant_id, m.conversation_id, c.customer_id, m.created_at FROM chat_sessions s JOIN messages m ON m.tenant_id = s.tenant_id AND m.conversation_id = s.conversation_id JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id WHERE s.state = $1 AND m.direction = $2 AND m.channel = $3 AND m.created_at >= s.created_at AND NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.message_id = m.id) ORDER BY m.created_at LIMIT 200")
                .bind(OFFLINE).bind("outbound").bind("chat").fetch_all(p).await?
                .iter().map(|r| Ok(Followup {
                    message_id: r.uuid("id")?,
                    tenant_id: r.uuid("tenant_id")?,
                    conversation_id: r.uuid("conversation_id")?,
                    customer_id: r.uuid("customer_id")?,
                    created_at: r.ts("created_at")?,
                })).collect::<Result<Vec<_>>>()?
        });
        let mut queued = 0;
        for f in due {
            let to = self.customer_email(f.tenant_id, f.customer_id).await?;
            let n = on_pool!(&self.write, p => {
                let mut tx = p.begin().await?;
                let before = sqlx::query("SELECT 1 AS one FROM mail_outbox WHERE message_id = $1")
                    .bind(f.message_id).fetch_optional(&mut *tx).await?;
                if before.is_none() {
                    crate::mail::queue_reply!(&mut *tx, f.tenant_id, f.conversation_id, f.message_id, to.as_deref(), f.created_at);
                    insert_event!(&mut *tx, &NewEvent {
                        tenant_id: Some(f.tenant_id), kind: kind::MAIL_DELIVERY_CHANGED, subject_id: Some(f.conversation_id), actor_id: None,
                        payload: json!({"message_id": f.message_id, "state": if to.is_some() { "queued" } else { "failed" }}),
                    });
                }
                tx.commit().await?;
                usize::from(before.is_none())
            });
            queued += n;
        }
        if queued > 0 {
            self.notify_committed();
        }
        Ok(queued)
    }
}
