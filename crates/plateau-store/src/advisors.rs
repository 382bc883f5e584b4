//! Advisors as routing sees them. Presence: each person's declared state, the
//! log of every state with its reason and duration, and breaks pushed back;
//! each change is an event in every tenant the person serves, so each brand's
//! supervisors see it live. Routing profiles: skills, languages, tier and
//! capacity per channel, per brand.

use plateau_core::event::kind;
use plateau_core::presence::{self, PresenceStatus};
use plateau_core::routing::Presence;
use plateau_core::Timestamp;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_events, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

/// A tenant member's presence, for the supervisor's view.
#[derive(Debug, Clone, Serialize)]
pub struct MemberPresence {
    pub status: PresenceStatus,
    /// Breaks this person pushed back since the start of the window.
    pub postponed_breaks: i64,
}

/// One past or current state of a person.
#[derive(Debug, Clone, Serialize)]
pub struct PresenceSpan {
    pub state: String,
    pub reason: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

fn status(r: &impl PortableRow) -> Result<PresenceStatus> {
    Ok(PresenceStatus {
        user_id: r.uuid("user_id")?,
        state: r.parse("state")?,
        reason: r.opt_text("reason")?,
        since: r.ts("since")?,
        break_postponed_until: r.opt_int("break_postponed_until")?.map(Timestamp),
    })
}

impl Store {
    /// A person's presence; offline if they never declared one.
    pub async fn presence(&self, user_id: Uuid) -> Result<PresenceStatus> {
        let found = on_pool!(&self.read, p => {
            sqlx::query("SELECT user_id, state, reason, since, break_postponed_until FROM presence WHERE user_id = $1")
                .bind(user_id).fetch_optional(p).await?
                .as_ref().map(status).transpose()?
        });
        Ok(found.unwrap_or_else(|| PresenceStatus::offline(user_id)))
    }

    async fn tenants_of(&self, user_id: Uuid) -> Result<Vec<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id FROM memberships WHERE user_id = $1")
                .bind(user_id).fetch_all(p).await?
                .iter().map(|r| r.uuid("tenant_id")).collect()
        })
    }

    /// Declares a state. The previous state's log row is closed at the same
    /// instant, so durations add up; going on a break clears a pushed-back one.
    pub async fn set_presence(
        &self,
        user_id: Uuid,
        state: Presence,
        reason: Option<&str>,
        actor: Option<Uuid>,
    ) -> Result<PresenceStatus> {
        let reason = presence::declaration(state, reason)?;
        let before = self.presence(user_id).await?;
        let now = Timestamp::now();
        let postponed = if state == Presence::Break {
            None
        } else {
            before.break_postponed_until.filter(|t| *t > now)
        };
        let after = PresenceStatus {
            user_id,
            state,
            reason: reason.clone(),
            since: now,
            break_postponed_until: postponed,
        };
        let tenants = self.tenants_of(user_id).await?;
        let events: Vec<NewEvent> = tenants
            .iter()
            .map(|t| NewEvent {
                tenant_id: Some(*t),
                kind: kind::PRESENCE_CHANGED,
                subject_id: Some(user_id),
                actor_id: actor,
                payload: json!({"state": state.as_str(), "from": before.state.as_str(), "reason": reason,
                                "previous_seconds": (before.since.0 > 0).then(|| (now.0 - before.since.0) / 1_000_000)}),
            })
            .collect();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO presence (user_id, state, reason, since, break_postponed_until) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (user_id) DO UPDATE SET state = $2, reason = $3, since = $4, break_postponed_until = $5")
                .bind(user_id).bind(state.as_str()).bind(reason.as_deref()).bind(now.0).bind(postponed.map(|t| t.0))
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE presence_log SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
                .bind(now.0).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO presence_log (id, user_id, state, reason, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, NULL)")
                .bind(Uuid::now_v7()).bind(user_id).bind(state.as_str()).bind(reason.as_deref()).bind(now.0)
                .execute(&mut *tx).await?;
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(after)
    }

    /// Pushes back the person's break by `minutes` during a peak.
    pub async fn postpone_break(&self, user_id: Uuid, minutes: i64) -> Result<PresenceStatus> {
        let before = self.presence(user_id).await?;
        let now = Timestamp::now();
        let due = presence::postponement(&before, minutes, now)?;
        let tenants = self.tenants_of(user_id).await?;
        let events: Vec<NewEvent> = tenants
            .iter()
            .map(|t| NewEvent {
                tenant_id: Some(*t),
                kind: kind::BREAK_POSTPONED,
                subject_id: Some(user_id),
                actor_id: Some(user_id),
                payload: json!({"minutes": minutes, "due_at": due}),
            })
            .collect();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE presence SET break_postponed_until = $1 WHERE user_id = $2")
                .bind(due.0).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO break_postponements (id, user_id, minutes, due_at, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(Uuid::now_v7()).bind(user_id).bind(minutes).bind(due.0).bind(now.0)
                .execute(&mut *tx).await?;
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(PresenceStatus {
            break_postponed_until: Some(due),
            ..before
        })
    }

    /// Every member of a tenant with their presence (offline if never
    /// declared) and the breaks they pushed back since `since`.
    pub async fn tenant_presence(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
    ) -> Result<Vec<MemberPresence>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT m.user_id, p.state, p.reason, p.since, p.break_postponed_until, \
                         (SELECT COUNT(*) FROM break_postponements b WHERE b.user_id = m.user_id AND b.created_at >= $2) AS postponed \
                         FROM memberships m LEFT JOIN presence p ON p.user_id = m.user_id WHERE m.tenant_id = $1")
                .bind(tenant_id).bind(since.0).fetch_all(p).await?
                .iter()
                .map(|r| {
                    let user_id = r.uuid("user_id")?;
                    let status = match r.opt_text("state")? {
                        None => PresenceStatus::offline(user_id),
                        Some(_) => status(r)?,
                    };
                    Ok(MemberPresence { status, postponed_breaks: r.int("postponed")? })
                })
                .collect()
        })
    }

    /// A person's states since `since`, oldest first.
    pub async fn presence_log(&self, user_id: Uuid, since: Timestamp) -> Result<Vec<PresenceSpan>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT state, reason, started_at, ended_at FROM presence_log WHERE user_id = $1 AND (ended_at IS NULL OR ended_at >= $2) ORDER BY started_at, id")
                .bind(user_id).bind(since.0).fetch_all(p).await?
                .iter()
                .map(|r| Ok(PresenceSpan {
                    state: r.text("state")?,
                    reason: r.opt_text("reason")?,
                    started_at: r.ts("started_at")?,
                    ended_at: r.opt_int("ended_at")?.map(Timestamp),
                }))
                .collect()
        })
    }
}

impl Store {
    /// An advisor's routing profile in a tenant; the default (French, level 1,
    /// no skills, no channel) when none was set. `NotFound` for a non-member.
    pub async fn routing_profile(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<plateau_core::routing::RoutingProfile> {
        if self.member(tenant_id, user_id).await?.is_none() {
            return Err(plateau_core::DomainError::NotFound("member").into());
        }
        let found = on_pool!(&self.read, p => {
            sqlx::query("SELECT profile FROM routing_profiles WHERE tenant_id = $1 AND user_id = $2")
                .bind(tenant_id).bind(user_id).fetch_optional(p).await?
                .map(|r| r.text("profile")).transpose()?
        });
        match found {
            None => Ok(Default::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| crate::StoreError::Corrupt(format!("routing profile: {e}"))),
        }
    }

    /// Replaces an advisor's routing profile in a tenant, validated first.
    pub async fn set_routing_profile(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        profile: &plateau_core::routing::RoutingProfile,
        actor: Option<Uuid>,
    ) -> Result<plateau_core::routing::RoutingProfile> {
        let profile = profile.validated()?;
        if self.member(tenant_id, user_id).await?.is_none() {
            return Err(plateau_core::DomainError::NotFound("member").into());
        }
        let text = serde_json::to_string(&profile)
            .map_err(|e| crate::StoreError::Corrupt(format!("routing profile: {e}")))?;
        let now = Timestamp::now();
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::ROUTING_PROFILE_UPDATED,
            subject_id: Some(user_id),
            actor_id: actor,
            payload: serde_json::to_value(&profile).unwrap_or_default(),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO routing_profiles (tenant_id, user_id, profile, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (tenant_id, user_id) DO UPDATE SET profile = $3, updated_by = $4, updated_at = $5")
                .bind(tenant_id).bind(user_id).bind(&text).bind(actor).bind(now.0)
                .execute(&mut *tx).await?;
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(profile)
    }
}

/// A brand's stored routing configuration and its version.
#[derive(Debug, Clone)]
pub struct StoredRouting {
    pub config: plateau_core::routing::RoutingConfig,
    /// 0 when nothing was saved yet (the default configuration).
    pub version: i64,
    pub updated_at: Option<Timestamp>,
}

impl Store {
    /// The tenant's routing configuration, or the default one at version 0.
    pub async fn routing_config(&self, tenant_id: Uuid) -> Result<StoredRouting> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT config, version, updated_at FROM routing_configs WHERE tenant_id = $1")
                .bind(tenant_id).fetch_optional(p).await?
                .map(|r| Ok::<_, crate::StoreError>((r.text("config")?, r.int("version")?, r.ts("updated_at")?)))
                .transpose()?
        });
        match row {
            None => Ok(StoredRouting {
                config: Default::default(),
                version: 0,
                updated_at: None,
            }),
            Some((text, version, at)) => Ok(StoredRouting {
                config: serde_json::from_str(&text)
                    .map_err(|e| crate::StoreError::Corrupt(format!("routing config: {e}")))?,
                version,
                updated_at: Some(at),
            }),
        }
    }

    /// Saves a configuration the caller has already compiled successfully;
    /// `expected_version` must be the version it was edited from.
    pub async fn set_routing_config(
        &self,
        tenant_id: Uuid,
        expected_version: i64,
        config: &plateau_core::routing::RoutingConfig,
        actor: Option<Uuid>,
    ) -> Result<i64> {
        let text = serde_json::to_string(config)
            .map_err(|e| crate::StoreError::Corrupt(format!("routing config: {e}")))?;
        let now = Timestamp::now();
        let next = expected_version + 1;
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::ROUTING_CONFIG_UPDATED,
            subject_id: Some(tenant_id),
            actor_id: actor,
            payload: json!({"version": next, "workflows": config.workflows.len()}),
        };
        let conflict = || {
            plateau_core::DomainError::Conflict(
                "the routing configuration was changed meanwhile; reload it".into(),
            )
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let written = if expected_version == 0 {
                // A unique-key violation here is the same conflict: someone saved first.
                sqlx::query("INSERT INTO routing_configs (tenant_id, config, version, updated_by, updated_at) VALUES ($1, $2, 1, $3, $4)")
                    .bind(tenant_id).bind(&text).bind(actor).bind(now.0)
                    .execute(&mut *tx).await.map_err(|_| conflict())?.rows_affected()
            } else {
                sqlx::query("UPDATE routing_configs SET config = $1, version = $2, updated_by = $3, updated_at = $4 WHERE tenant_id = $5 AND version = $6")
                    .bind(&text).bind(next).bind(actor).bind(now.0).bind(tenant_id).bind(expected_version)
                    .execute(&mut *tx).await?.rows_affected()
            };
            if written != 1 {
                return Err(conflict().into());
            }
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(next)
    }
}
