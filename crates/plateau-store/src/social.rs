//! Social and messaging connectors: their secrets, the signatures already
//! accepted (so a captured request cannot be replayed), and the network
//! messages received, which thread a network conversation into one of ours
//! and keep whether each message was public.

use plateau_core::event::kind;
use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::outbox::Outbox;
use crate::row::PortableRow;
use crate::{Result, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Connector {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// Never serialised: shown once, when the connector is created.
    #[serde(skip)]
    pub secret: String,
    pub outbound_url: Option<String>,
    pub created_at: Timestamp,
}

fn connector(r: &impl PortableRow) -> Result<Connector> {
    Ok(Connector {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        secret: r.text("secret")?,
        outbound_url: r.opt_text("outbound_url")?,
        created_at: r.ts("created_at")?,
    })
}

const COLS: &str = "id, tenant_id, name, secret, outbound_url, created_at";

/// A signature is kept this long: twice the clock tolerance, so every
/// request that could still pass the timestamp check is remembered.
const KEEP_SIGNATURES_US: i64 = 2 * 300 * 1_000_000;

impl Store {
    pub async fn create_connector(
        &self,
        tenant_id: Uuid,
        name: &str,
        secret: &str,
        outbound_url: Option<&str>,
        actor: Option<Uuid>,
    ) -> Result<Connector> {
        if self.connector(tenant_id, name).await?.is_some() {
            return Err(DomainError::Conflict(format!("a connector named {name} exists")).into());
        }
        let c = Connector {
            id: Uuid::now_v7(),
            tenant_id,
            name: name.to_string(),
            secret: secret.to_string(),
            outbound_url: outbound_url.map(str::to_string),
            created_at: Timestamp::now(),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query(&format!("INSERT INTO connectors ({COLS}) VALUES ($1, $2, $3, $4, $5, $6)"))
                .bind(c.id).bind(tenant_id).bind(&c.name).bind(&c.secret).bind(&c.outbound_url).bind(c.created_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::CONNECTOR_CREATED, subject_id: Some(c.id), actor_id: actor,
                payload: json!({"name": c.name, "outbound_url": c.outbound_url}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(c)
    }

    pub async fn connector(&self, tenant_id: Uuid, name: &str) -> Result<Option<Connector>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM connectors WHERE tenant_id = $1 AND name = $2"))
                .bind(tenant_id).bind(name).fetch_optional(p).await?
                .map(|r| connector(&r)).transpose()
        })
    }

    pub async fn connectors(&self, tenant_id: Uuid) -> Result<Vec<Connector>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM connectors WHERE tenant_id = $1 ORDER BY name"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(connector).collect()
        })
    }

    /// Remembers an accepted signature; false if it was seen before (a
    /// replay). Old signatures are forgotten on the way.
    pub async fn accept_signature(&self, connector_id: Uuid, signature: &str) -> Result<bool> {
        let now = Timestamp::now();
        let n = on_pool!(&self.write, p => {
            sqlx::query("DELETE FROM webhook_signatures WHERE received_at < $1")
                .bind(now.0 - KEEP_SIGNATURES_US).execute(p).await?;
            sqlx::query("INSERT INTO webhook_signatures (connector_id, signature, received_at) VALUES ($1, $2, $3) ON CONFLICT (connector_id, signature) DO NOTHING")
                .bind(connector_id).bind(signature).bind(now.0)
                .execute(p).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// The conversation a network message already became, if it did.
    pub async fn social_message(
        &self,
        connector_id: Uuid,
        external_id: &str,
    ) -> Result<Option<(Uuid, Option<Uuid>)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT conversation_id, message_id FROM social_messages WHERE connector_id = $1 AND external_id = $2")
                .bind(connector_id).bind(external_id).fetch_optional(p).await?
                .map(|r| Ok((r.uuid("conversation_id")?, r.opt_uuid("message_id")?))).transpose()
        })
    }

    /// The conversation of the latest message of a network thread.
    pub async fn social_thread(&self, connector_id: Uuid, thread_id: &str) -> Result<Option<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT conversation_id FROM social_messages WHERE connector_id = $1 AND thread_id = $2 ORDER BY created_at DESC LIMIT 1")
                .bind(connector_id).bind(thread_id).fetch_optional(p).await?
                .map(|r| r.uuid("conversation_id")).transpose()
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_social_message(
        &self,
        connector: &Connector,
        external_id: &str,
        thread_id: &str,
        conversation_id: Uuid,
        message_id: Option<Uuid>,
        public: bool,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO social_messages (connector_id, external_id, tenant_id, thread_id, conversation_id, message_id, public, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (connector_id, external_id) DO NOTHING")
                .bind(connector.id).bind(external_id).bind(connector.tenant_id).bind(thread_id)
                .bind(conversation_id).bind(message_id).bind(public).bind(Timestamp::now().0)
                .execute(p).await?;
        });
        Ok(())
    }

    /// The messages of a conversation that were public posts.
    pub async fn public_messages(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT message_id FROM social_messages WHERE tenant_id = $1 AND conversation_id = $2 AND public = $3 AND message_id IS NOT NULL")
                .bind(tenant_id).bind(conversation_id).bind(true).fetch_all(p).await?
                .iter().map(|r| r.uuid("message_id")).collect()
        })
    }
}

// ---- replies out to the network --------------------------------------------

/// Where an advisor's reply in a connector's conversation goes: the thread
/// of the latest network message, answering that message, with its
/// visibility (a reply to a public post is public).
#[derive(Debug, Clone)]
pub(crate) struct ReplyRoute {
    pub connector_id: Uuid,
    pub has_url: bool,
    pub thread_id: String,
    pub in_reply_to: String,
    pub public: bool,
}

impl Store {
    /// The route a reply in this conversation takes back to its network, if
    /// the conversation came through a connector.
    pub(crate) async fn social_reply_route(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Option<ReplyRoute>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT s.connector_id, s.thread_id, s.external_id, s.public, c.outbound_url FROM social_messages s JOIN connectors c ON c.id = s.connector_id WHERE s.tenant_id = $1 AND s.conversation_id = $2 ORDER BY s.created_at DESC, s.external_id DESC LIMIT 1")
                .bind(tenant_id).bind(conversation_id).fetch_optional(p).await?
                .map(|r| Ok(ReplyRoute {
                    connector_id: r.uuid("connector_id")?,
                    has_url: r.opt_text("outbound_url")?.is_some_and(|u| !u.is_empty()),
                    thread_id: r.text("thread_id")?,
                    in_reply_to: r.text("external_id")?,
                    public: r.boolean("public")?,
                })).transpose()
        })
    }
}

/// Queues a reply for the connector inside the transaction that writes it.
/// A conversation with no network thread, or a connector without an
/// outbound URL, gets a failed entry at once, so the desk says why the reply
/// did not reach the customer instead of showing nothing.
macro_rules! queue_network_reply {
    ($tx:expr, $tenant:expr, $conversation:expr, $message:expr, $route:expr, $at:expr) => {{
        let route: Option<&$crate::social::ReplyRoute> = $route;
        let (state, error) = match route {
            Some(r) if r.has_url => ("queued", None),
            Some(_) => ("failed", Some("the connector has no outbound URL")),
            None => (
                "failed",
                Some("this conversation has no network thread to answer"),
            ),
        };
        sqlx::query("INSERT INTO webhook_outbox (message_id, tenant_id, conversation_id, connector_id, thread_id, in_reply_to, public, state, attempts, next_attempt_at, last_error, response_status, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, NULL, $9, NULL)")
            .bind($message).bind($tenant).bind($conversation)
            .bind(route.map(|r| r.connector_id))
            .bind(route.map(|r| r.thread_id.as_str()).unwrap_or(""))
            .bind(route.map(|r| r.in_reply_to.as_str()).unwrap_or(""))
            .bind(route.is_some_and(|r| r.public))
            .bind(state).bind($at.0).bind(error)
            .execute($tx).await?;
    }};
}
pub(crate) use queue_network_reply;

/// How the delivery of one reply to a network stands.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkOutbound {
    pub message_id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub connector_id: Option<Uuid>,
    pub thread_id: String,
    /// The network message this reply answers.
    pub in_reply_to: String,
    pub public: bool,
    /// queued, sending, sent or failed.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    /// The connector's HTTP status on the last attempt.
    pub response_status: Option<i64>,
    pub sent_at: Option<Timestamp>,
}

const NET_COLS: &str = "message_id, tenant_id, conversation_id, connector_id, thread_id, in_reply_to, public, state, attempts, next_attempt_at, last_error, response_status, sent_at";

fn network_outbound(r: &impl PortableRow) -> Result<NetworkOutbound> {
    Ok(NetworkOutbound {
        message_id: r.uuid("message_id")?,
        tenant_id: r.uuid("tenant_id")?,
        conversation_id: r.uuid("conversation_id")?,
        connector_id: r.opt_uuid("connector_id")?,
        thread_id: r.text("thread_id")?,
        in_reply_to: r.text("in_reply_to")?,
        public: r.boolean("public")?,
        state: r.text("state")?,
        attempts: r.int("attempts")?,
        next_attempt_at: r.ts("next_attempt_at")?,
        last_error: r.opt_text("last_error")?,
        response_status: r.opt_int("response_status")?,
        sent_at: r.opt_int("sent_at")?.map(Timestamp),
    })
}

impl Store {
    /// Network replies due for a delivery attempt, oldest first.
    pub async fn due_network_replies(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<NetworkOutbound>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {NET_COLS} FROM webhook_outbox WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, message_id LIMIT $3"))
                .bind("queued").bind(now.0).bind(limit).fetch_all(p).await?
                .iter().map(network_outbound).collect()
        })
    }

    /// The earliest time a queued network reply is due.
    pub async fn next_network_reply_at(&self) -> Result<Option<Timestamp>> {
        self.outbox_next_due(Outbox::Webhook).await
    }

    /// Takes a due reply for one worker; `now` is kept to find it again if
    /// that worker dies.
    pub async fn take_network_reply(&self, message_id: Uuid, now: Timestamp) -> Result<bool> {
        self.outbox_take(Outbox::Webhook, message_id, now).await
    }

    /// Puts back replies a worker took before `before` and never finished
    /// (it died: the connector may get that reply twice, never zero times).
    pub async fn requeue_stale_network_replies(&self, before: Timestamp) -> Result<u64> {
        self.outbox_requeue_stale(Outbox::Webhook, before).await
    }

    /// Records an attempt: sent, queued again for `retry_at`, or failed for
    /// good (`error` set and no retry).
    pub async fn network_reply_attempted(
        &self,
        o: &NetworkOutbound,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let now = Timestamp::now();
        let (state, at) = match (error, retry_at) {
            (None, _) => ("sent", now),
            (Some(_), Some(t)) => ("queued", t),
            (Some(_), None) => ("failed", now),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE webhook_outbox SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, response_status = $4, sent_at = $5 WHERE message_id = $6")
                .bind(state).bind(error).bind(at.0).bind(status.map(i64::from))
                .bind((state == "sent").then_some(now.0)).bind(o.message_id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(o.tenant_id), kind: kind::CONNECTOR_DELIVERY_CHANGED, subject_id: Some(o.conversation_id), actor_id: None,
                payload: json!({"message_id": o.message_id, "state": state, "error": error, "status": status}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Delivery of every network reply of a conversation.
    pub async fn conversation_network_replies(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<NetworkOutbound>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {NET_COLS} FROM webhook_outbox WHERE tenant_id = $1 AND conversation_id = $2"))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(network_outbound).collect()
        })
    }

    /// A connector by id, with its secret and outbound URL (the sender's
    /// view; the API never shows the secret again).
    pub async fn connector_by_id(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Connector>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM connectors WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| connector(&r)).transpose()
        })
    }
}
