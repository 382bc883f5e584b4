//! SLA notices: which warnings and breaches of which conversation were
//! already announced, so the watcher emits each as an event exactly once.

use plateau_core::event::kind;
use plateau_core::Timestamp;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::{Result, Store};

impl Store {
    /// Announces a warning (`breached` false) or a breach of `metric` due at
    /// `due`, with its event, unless it was announced before; true if this
    /// call announced it.
    pub async fn announce_sla(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        metric: &str,
        breached: bool,
        due: Timestamp,
    ) -> Result<bool> {
        let (k, event_kind) = if breached {
            ("breached", kind::SLA_BREACHED)
        } else {
            ("warning", kind::SLA_WARNING)
        };
        let now = Timestamp::now();
        let fresh = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("INSERT INTO sla_notices (conversation_id, metric, kind, due, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, metric, kind, due) DO NOTHING")
                .bind(conversation_id).bind(metric).bind(k).bind(due.0).bind(tenant_id).bind(now.0)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: event_kind, subject_id: Some(conversation_id), actor_id: None,
                    payload: json!({"metric": metric, "due": due}),
                });
            }
            tx.commit().await?;
            n == 1
        });
        if fresh {
            self.notify_committed();
        }
        Ok(fresh)
    }
}
