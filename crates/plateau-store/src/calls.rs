//! Calls reported by a PBX through the CTI API: each call's state and
//! conversation, every accepted event once (a second delivery of the same
//! call, event and instant is a duplicate), and the `call.event` log entry
//! that shows it in the conversation's timeline.

use plateau_core::channels::voice::{CallEventKind, CallState};
use plateau_core::event::kind;
use plateau_core::{DomainError, Timestamp};
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

#[derive(Debug, Clone)]
pub struct Call {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub state: CallState,
    /// The instant of the call's first event, as the PBX reported it.
    pub first_at: Timestamp,
}

/// An event to record. `call` is None for the first event of a call, which
/// creates it in `conversation_id`.
pub struct NewCallEvent<'a> {
    pub tenant_id: Uuid,
    pub connector_id: Uuid,
    pub call: Option<&'a Call>,
    pub call_id: &'a str,
    pub conversation_id: Uuid,
    pub caller: &'a str,
    pub dialled: &'a str,
    pub event: CallEventKind,
    pub at: Timestamp,
    pub next: CallState,
    /// What the timeline shows, kept in `call_events` and the log entry.
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New { call: Uuid },
    Duplicate { call: Uuid },
}

impl Store {
    pub async fn call(&self, connector_id: Uuid, call_id: &str) -> Result<Option<Call>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id, tenant_id, conversation_id, state, first_at FROM calls WHERE connector_id = $1 AND call_id = $2")
                .bind(connector_id).bind(call_id).fetch_optional(p).await?
                .map(|r| Ok(Call {
                    id: r.uuid("id")?,
                    tenant_id: r.uuid("tenant_id")?,
                    conversation_id: r.uuid("conversation_id")?,
                    state: r.parse("state")?,
                    first_at: r.ts("first_at")?,
                }))
                .transpose()
        })
    }

    pub async fn call_event_seen(
        &self,
        call: Uuid,
        event: CallEventKind,
        at: Timestamp,
    ) -> Result<bool> {
        on_pool!(&self.read, p => {
            Ok(sqlx::query("SELECT 1 AS one FROM call_events WHERE call_uuid = $1 AND event = $2 AND at = $3")
                .bind(call).bind(event.as_str()).bind(at.0).fetch_optional(p).await?.is_some())
        })
    }

    /// Whether a connector's signature was already accepted, without
    /// recording it: refusals must not write.
    pub async fn signature_seen(&self, connector_id: Uuid, signature: &str) -> Result<bool> {
        on_pool!(&self.read, p => {
            Ok(sqlx::query("SELECT 1 AS one FROM webhook_signatures WHERE connector_id = $1 AND signature = $2")
                .bind(connector_id).bind(signature).fetch_optional(p).await?.is_some())
        })
    }

    /// The customer's most recent phone conversation that is not closed.
    pub async fn open_phone_conversation(
        &self,
        tenant_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Option<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id FROM conversations WHERE tenant_id = $1 AND customer_id = $2 AND channel = 'phone' AND status <> 'closed' ORDER BY updated_at DESC LIMIT 1")
                .bind(tenant_id).bind(customer_id).fetch_optional(p).await?
                .map(|r| r.uuid("id")).transpose()
        })
    }

    /// Records one event in one transaction: the call (created by its first
    /// event), the event row, the state moved from what the caller read
    /// (a concurrent change makes this a conflict, not a lost update), and
    /// the log entry on the conversation.
    pub async fn record_call_event(&self, e: NewCallEvent<'_>) -> Result<Recorded> {
        let now = Timestamp::now();
        let call_uuid = e.call.map_or_else(Uuid::now_v7, |c| c.id);
        let payload = e.payload.to_string();
        let outcome = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            match e.call {
                None => {
                    let n = sqlx::query("INSERT INTO calls (id, tenant_id, connector_id, call_id, conversation_id, state, caller, dialled, first_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (connector_id, call_id) DO NOTHING")
                        .bind(call_uuid).bind(e.tenant_id).bind(e.connector_id).bind(e.call_id).bind(e.conversation_id)
                        .bind(e.next.as_str()).bind(e.caller).bind(e.dialled).bind(e.at.0).bind(now.0)
                        .execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(DomainError::Conflict("another event of this call is being recorded; send it again".into()).into());
                    }
                }
                Some(c) => {
                    let seen = sqlx::query("SELECT 1 AS one FROM call_events WHERE call_uuid = $1 AND event = $2 AND at = $3")
                        .bind(c.id).bind(e.event.as_str()).bind(e.at.0).fetch_optional(&mut *tx).await?.is_some();
                    if seen {
                        return Ok(Recorded::Duplicate { call: c.id });
                    }
                    let n = sqlx::query("UPDATE calls SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
                        .bind(e.next.as_str()).bind(now.0).bind(c.id).bind(c.state.as_str())
                        .execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(DomainError::Conflict("the call changed meanwhile; send the event again".into()).into());
                    }
                }
            }
            let n = sqlx::query("INSERT INTO call_events (call_uuid, event, at, tenant_id, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_uuid, event, at) DO NOTHING")
                .bind(call_uuid).bind(e.event.as_str()).bind(e.at.0).bind(e.tenant_id).bind(&payload).bind(now.0)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                // A concurrent delivery of the same event won: drop ours.
                return Ok(Recorded::Duplicate { call: call_uuid });
            }
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(e.tenant_id), kind: kind::CALL_EVENT, subject_id: Some(e.conversation_id),
                actor_id: None, payload: e.payload.clone(),
            });
            tx.commit().await?;
            Recorded::New { call: call_uuid }
        });
        self.notify_committed();
        Ok(outcome)
    }
}
