//! Callback appointments: the table a router rebuilds its scheduled callbacks
//! from, and each change of state with its event on the conversation (so the
//! timeline shows it and the router, in whichever process, hears of it).

use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

/// Event kinds of callbacks; the subject is the conversation, the payload
/// carries `callback_id`.
pub mod kind {
    pub use plateau_core::event::kind::{
        CALLBACK_CANCELLED as CANCELLED, CALLBACK_DONE as DONE, CALLBACK_MISSED as MISSED,
        CALLBACK_OFFERED as OFFERED, CALLBACK_SCHEDULED as SCHEDULED,
    };
}

/// States a callback may be in; the first three are live (the router holds them).
pub const LIVE: [&str; 3] = ["scheduled", "offered", "missed"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Callback {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub phone_number: String,
    pub not_before: Timestamp,
    pub deadline: Timestamp,
    pub time_zone: String,
    pub preferred_advisor_id: Option<Uuid>,
    pub assigned_to: Option<Uuid>,
    pub state: String,
    pub note: String,
    pub created_by: Uuid,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a new callback is made of (already validated by the caller).
#[derive(Debug, Clone)]
pub struct NewCallback {
    pub conversation_id: Uuid,
    pub phone_number: String,
    pub not_before: Timestamp,
    pub deadline: Timestamp,
    pub time_zone: String,
    pub preferred_advisor_id: Option<Uuid>,
    pub note: String,
}

const COLS: &str =
    "id, tenant_id, conversation_id, phone_number, not_before, deadline, time_zone, \
    preferred_advisor_id, assigned_to, state, note, created_by, created_at, updated_at";

fn callback(r: &impl PortableRow) -> Result<Callback> {
    Ok(Callback {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        conversation_id: r.uuid("conversation_id")?,
        phone_number: r.text("phone_number")?,
        not_before: r.ts("not_before")?,
        deadline: r.ts("deadline")?,
        time_zone: r.text("time_zone")?,
        preferred_advisor_id: r.opt_uuid("preferred_advisor_id")?,
        assigned_to: r.opt_uuid("assigned_to")?,
        state: r.text("state")?,
        note: r.text("note")?,
        created_by: r.uuid("created_by")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn payload(c: &Callback) -> serde_json::Value {
    json!({
        "callback_id": c.id, "phone_number": c.phone_number, "not_before": c.not_before,
        "deadline": c.deadline, "time_zone": c.time_zone,
        "preferred_advisor_id": c.preferred_advisor_id, "note": c.note,
    })
}

impl Store {
    /// Schedules a callback in a conversation of the tenant, with its
    /// `callback.scheduled` event. A conversation holds one live callback at
    /// a time: a second is a `Conflict`, and nothing is written.
    pub async fn create_callback(
        &self,
        tenant_id: Uuid,
        new: NewCallback,
        created_by: Uuid,
    ) -> Result<Callback> {
        // Also checks the conversation is the tenant's (NotFound otherwise).
        self.conversation(tenant_id, new.conversation_id).await?;
        let now = Timestamp::now();
        let c = Callback {
            id: Uuid::now_v7(),
            tenant_id,
            conversation_id: new.conversation_id,
            phone_number: new.phone_number,
            not_before: new.not_before,
            deadline: new.deadline,
            time_zone: new.time_zone,
            preferred_advisor_id: new.preferred_advisor_id,
            assigned_to: None,
            state: "scheduled".into(),
            note: new.note,
            created_by,
            created_at: now,
            updated_at: now,
        };
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::SCHEDULED,
            subject_id: Some(c.conversation_id),
            actor_id: Some(created_by),
            payload: payload(&c),
        };
        let created = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let live: i64 = {
                let r = sqlx::query("SELECT COUNT(*) AS n FROM callbacks WHERE conversation_id = $1 AND state IN ('scheduled', 'offered', 'missed')")
                    .bind(c.conversation_id).fetch_one(&mut *tx).await?;
                r.int("n")?
            };
            if live > 0 {
                tx.rollback().await?;
                false
            } else {
                sqlx::query(&format!("INSERT INTO callbacks ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
                    .bind(c.id).bind(tenant_id).bind(c.conversation_id).bind(&c.phone_number)
                    .bind(c.not_before.0).bind(c.deadline.0).bind(&c.time_zone)
                    .bind(c.preferred_advisor_id).bind(c.assigned_to).bind(&c.state).bind(&c.note)
                    .bind(created_by).bind(now.0).bind(now.0)
                    .execute(&mut *tx).await?;
                insert_event!(&mut *tx, &event);
                tx.commit().await?;
                true
            }
        });
        if !created {
            return Err(DomainError::Conflict(
                "this conversation already has a callback scheduled; cancel it or mark it done first".into(),
            )
            .into());
        }
        self.notify_committed();
        Ok(c)
    }

    pub async fn callback(&self, tenant_id: Uuid, id: Uuid) -> Result<Callback> {
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM callbacks WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .as_ref().map(callback).transpose()?
        });
        found.ok_or_else(|| DomainError::NotFound("callback").into())
    }

    /// A conversation's callbacks, newest first.
    pub async fn conversation_callbacks(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<Callback>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM callbacks WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id"))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(callback).collect()
        })
    }

    /// The tenant's callbacks in `states` (all when empty) due before
    /// `due_before` (no bound when None), soonest first, at most `limit`.
    pub async fn tenant_callbacks(
        &self,
        tenant_id: Uuid,
        states: &[&str],
        due_before: Option<Timestamp>,
        limit: i64,
    ) -> Result<Vec<Callback>> {
        let rows: Vec<Callback> = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM callbacks WHERE tenant_id = $1 AND not_before < $2 ORDER BY not_before, id"))
                .bind(tenant_id).bind(due_before.map_or(i64::MAX, |t| t.0))
                .fetch_all(p).await?
                .iter().map(callback).collect::<Result<Vec<_>>>()?
        });
        Ok(rows
            .into_iter()
            .filter(|c| states.is_empty() || states.contains(&c.state.as_str()))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    /// Moves a callback from one of `from` to `to`, with its event (`kind`),
    /// setting `assigned_to` when given. Guarded on the current state, so two
    /// processes or a late timer never both move it: false when it was no
    /// longer in `from`, and nothing is written.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_callback(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        from: &[&str],
        to: &str,
        event_kind: &'static str,
        actor: Option<Uuid>,
        assigned_to: Option<Uuid>,
    ) -> Result<bool> {
        let c = self.callback(tenant_id, id).await?;
        if !from.contains(&c.state.as_str()) {
            return Ok(false);
        }
        let now = Timestamp::now();
        let mut p = payload(&c);
        p["from"] = json!(c.state);
        if let Some(a) = assigned_to {
            p["advisor_id"] = json!(a);
        }
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: event_kind,
            subject_id: Some(c.conversation_id),
            actor_id: actor,
            payload: p,
        };
        let moved = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            // Guarded on the state read above: a concurrent move makes this a no-op.
            let n = sqlx::query("UPDATE callbacks SET state = $1, assigned_to = COALESCE($2, assigned_to), updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND state = $6")
                .bind(to).bind(assigned_to).bind(now.0).bind(tenant_id).bind(id).bind(&c.state)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &event);
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        if moved {
            self.notify_committed();
        }
        Ok(moved)
    }

    /// Records that the router gave a due callback to an advisor (no event:
    /// the conversation's assignment is the visible change).
    pub async fn set_callback_assignee(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        advisor: Uuid,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("UPDATE callbacks SET assigned_to = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
                .bind(advisor).bind(Timestamp::now().0).bind(tenant_id).bind(id)
                .execute(p).await?;
        });
        Ok(())
    }
}
