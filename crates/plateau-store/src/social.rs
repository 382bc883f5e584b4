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
