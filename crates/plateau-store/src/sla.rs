//! SLA notices: which warnings and breaches of which conversation were
//! already announced, so the watcher emits each as an event exactly once;
//! and each open conversation's most urgent clock (`sla_due`), which the
//! inbox sorts by and the watcher wakes on.

use plateau_core::event::kind;
use plateau_core::Timestamp;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::{bind_args, Arg, Params, PortableRow};
use crate::{Result, Store};

/// A conversation's most urgent running SLA clock, as last computed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlaDue {
    pub conversation_id: Uuid,
    pub metric: String,
    /// When it breaches, or breached.
    pub due_at: Timestamp,
    pub warning: bool,
    pub breached: bool,
    /// When the watcher looks again (the next warning or breach).
    pub check_at: Option<Timestamp>,
}

fn sla_due(r: &impl PortableRow) -> Result<SlaDue> {
    Ok(SlaDue {
        conversation_id: r.uuid("conversation_id")?,
        metric: r.text("metric")?,
        due_at: r.ts("due_at")?,
        warning: r.boolean("warning")?,
        breached: r.boolean("breached")?,
        check_at: r.opt_int("check_at")?.map(Timestamp),
    })
}

const DUE_COLS: &str = "conversation_id, metric, due_at, warning, breached, check_at";

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

    /// Records a conversation's most urgent clock, or that none runs.
    /// Derived data (recomputed from the history), so no event.
    pub async fn set_sla_due(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        due: Option<&SlaDue>,
    ) -> Result<()> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            match due {
                None => {
                    sqlx::query("DELETE FROM sla_due WHERE conversation_id = $1 AND tenant_id = $2")
                        .bind(conversation_id).bind(tenant_id).execute(p).await?;
                }
                Some(d) => {
                    sqlx::query("INSERT INTO sla_due (conversation_id, tenant_id, metric, due_at, warning, breached, check_at, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (conversation_id) DO UPDATE SET metric = excluded.metric, due_at = excluded.due_at, warning = excluded.warning, breached = excluded.breached, check_at = excluded.check_at, computed_at = excluded.computed_at")
                        .bind(conversation_id).bind(tenant_id).bind(&d.metric).bind(d.due_at.0)
                        .bind(d.warning).bind(d.breached).bind(d.check_at.map(|t| t.0)).bind(now.0)
                        .execute(p).await?;
                }
            }
        });
        Ok(())
    }

    /// Conversations whose clocks reach a warning or breach by `now`: the
    /// only ones the watcher's minute tick recomputes. (tenant, conversation)
    /// pairs, the earliest first.
    pub async fn sla_checks_due(&self, now: Timestamp, limit: i64) -> Result<Vec<(Uuid, Uuid)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id, conversation_id FROM sla_due WHERE check_at <= $1 ORDER BY check_at, conversation_id LIMIT $2")
                .bind(now.0).bind(limit).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("tenant_id")?, r.uuid("conversation_id")?))).collect()
        })
    }

    /// The most urgent clock of each of these conversations that has one.
    pub async fn sla_dues(&self, tenant_id: Uuid, ids: &[Uuid]) -> Result<Vec<SlaDue>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let ph: Vec<String> = ids.iter().map(|id| params.push(Arg::Uuid(*id))).collect();
        let sql = format!(
            "SELECT {DUE_COLS} FROM sla_due WHERE tenant_id = {t} AND conversation_id IN ({})",
            ph.join(", ")
        );
        on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(sla_due).collect()
        })
    }
}
