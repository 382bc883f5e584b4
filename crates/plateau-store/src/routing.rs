//! What the router service reads and writes: the contacts to replay, offers
//! and their answers (each with its event), the one-router-per-tenant claim,
//! and the wallboard's live snapshot and per-contact outcomes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use plateau_core::event::kind;
use plateau_core::model::{Channel, ContractTier, Language, Priority};
use plateau_core::routing::{Outcome, QueueSnapshot, Snapshot};
use plateau_core::sla::OutcomeKind;
use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::{on_pool, Pool};
use crate::events::{insert_event, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store};

/// An open, unassigned conversation with what routing needs to know about it.
#[derive(Debug, Clone)]
pub struct RoutableConversation {
    pub id: Uuid,
    pub channel: Channel,
    pub priority: Priority,
    pub reason: Option<String>,
    pub language: Language,
    pub contract_tier: ContractTier,
    pub created_at: Timestamp,
}

/// A pending offer, as the offered advisor's desk lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingOffer {
    pub conversation_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant: String,
    pub number: i64,
    pub subject: String,
    pub channel: Channel,
    pub offered_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The offer of a conversation as stored: who it is for and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRow {
    pub advisor_id: Uuid,
    pub state: String,
    pub expires_at: Timestamp,
}

const ROUTABLE: &str =
    "SELECT c.id, c.channel, c.priority, c.reason, c.language, c.created_at, cu.contract_tier \
     FROM conversations c JOIN customers cu ON cu.id = c.customer_id";

fn routable(r: &impl PortableRow) -> Result<RoutableConversation> {
    Ok(RoutableConversation {
        id: r.uuid("id")?,
        channel: r.parse("channel")?,
        priority: r.parse("priority")?,
        reason: r.opt_text("reason")?,
        language: r.parse("language")?,
        contract_tier: r.parse("contract_tier")?,
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    /// Tenants with a saved routing configuration: the ones that get a router.
    pub async fn routed_tenants(&self) -> Result<Vec<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id FROM routing_configs WHERE version > 0")
                .fetch_all(p).await?
                .iter().map(|r| r.uuid("tenant_id")).collect()
        })
    }

    /// Active, unassigned conversations, oldest first: what a router replays on start.
    pub async fn routable_conversations(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<RoutableConversation>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{ROUTABLE} WHERE c.tenant_id = $1 AND c.assignee_id IS NULL AND c.status IN ('new', 'open', 'pending') ORDER BY c.created_at, c.id"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(routable).collect()
        })
    }

    /// One conversation's routing attributes, whatever its state.
    pub async fn routable_conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Option<RoutableConversation>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{ROUTABLE} WHERE c.tenant_id = $1 AND c.id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .as_ref().map(routable).transpose()
        })
    }

    /// Records the router's offer of a conversation to an advisor, replacing
    /// any earlier offer of it, with its `routing.offered` event. Returns
    /// false, writing nothing, when an accepted offer is already there (an
    /// answer that beat the router's timeout keeps the conversation).
    pub async fn record_offer(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        advisor_id: Uuid,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let c = self.conversation(tenant_id, conversation_id).await?;
        let now = Timestamp::now();
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::ROUTING_OFFERED,
            subject_id: Some(conversation_id),
            actor_id: None,
            payload: json!({"advisor_id": advisor_id, "expires_at": expires_at, "subject": c.subject,
                            "number": c.number, "channel": c.channel}),
        };
        let done = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("INSERT INTO routing_offers (conversation_id, tenant_id, advisor_id, state, offered_at, expires_at) VALUES ($1, $2, $3, 'pending', $4, $5) \
                         ON CONFLICT (conversation_id) DO UPDATE SET advisor_id = $3, state = 'pending', offered_at = $4, expires_at = $5 \
                         WHERE routing_offers.state <> 'accepted'")
                .bind(conversation_id).bind(tenant_id).bind(advisor_id).bind(now.0).bind(expires_at.0)
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
        if done {
            self.notify_committed();
        }
        Ok(done)
    }

    /// Pending offers of a tenant: on start a router withdraws the ones its
    /// predecessor left, since it does not know them.
    pub async fn pending_tenant_offers(&self, tenant_id: Uuid) -> Result<Vec<(Uuid, Uuid)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT conversation_id, advisor_id FROM routing_offers WHERE tenant_id = $1 AND state = 'pending'")
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("conversation_id")?, r.uuid("advisor_id")?))).collect()
        })
    }

    /// Ends a pending offer that timed out or was withdrawn, with its event.
    /// Returns false, writing nothing, when the offer was no longer pending
    /// (the advisor's answer won the race).
    pub async fn record_offer_lapsed(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        advisor_id: Uuid,
        why: &str,
    ) -> Result<bool> {
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::ROUTING_OFFER_LAPSED,
            subject_id: Some(conversation_id),
            actor_id: None,
            payload: json!({"advisor_id": advisor_id, "why": why}),
        };
        let done = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE routing_offers SET state = 'lapsed' WHERE tenant_id = $1 AND conversation_id = $2 AND advisor_id = $3 AND state = 'pending'")
                .bind(tenant_id).bind(conversation_id).bind(advisor_id)
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
        if done {
            self.notify_committed();
        }
        Ok(done)
    }

    /// The offered advisor's answer. Another advisor's offer is `Forbidden`;
    /// no pending offer is `NotFound`; an expired one is a `Conflict`. The
    /// answer and its event commit together, and only while still pending.
    pub async fn answer_offer(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        advisor_id: Uuid,
        accept: bool,
    ) -> Result<()> {
        let now = Timestamp::now();
        let Some(offer) = self.offer(tenant_id, conversation_id).await? else {
            return Err(DomainError::NotFound("offer").into());
        };
        if offer.state != "pending" {
            return Err(DomainError::NotFound("offer").into());
        }
        if offer.advisor_id != advisor_id {
            return Err(DomainError::Forbidden("this offer is for another advisor").into());
        }
        if offer.expires_at <= now {
            return Err(DomainError::Conflict("the offer has expired".into()).into());
        }
        let (state, k) = if accept {
            ("accepted", kind::ROUTING_OFFER_ACCEPTED)
        } else {
            ("rejected", kind::ROUTING_OFFER_REJECTED)
        };
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: k,
            subject_id: Some(conversation_id),
            actor_id: Some(advisor_id),
            payload: json!({"advisor_id": advisor_id}),
        };
        let done = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE routing_offers SET state = $1 WHERE tenant_id = $2 AND conversation_id = $3 AND advisor_id = $4 AND state = 'pending' AND expires_at > $5")
                .bind(state).bind(tenant_id).bind(conversation_id).bind(advisor_id).bind(now.0)
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
        if !done {
            return Err(DomainError::Conflict("the offer has just ended".into()).into());
        }
        self.notify_committed();
        Ok(())
    }

    /// The current (or last) offer of a conversation.
    pub async fn offer(&self, tenant_id: Uuid, conversation_id: Uuid) -> Result<Option<OfferRow>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT advisor_id, state, expires_at FROM routing_offers WHERE tenant_id = $1 AND conversation_id = $2")
                .bind(tenant_id).bind(conversation_id).fetch_optional(p).await?
                .map(|r| Ok::<_, crate::StoreError>(OfferRow { advisor_id: r.uuid("advisor_id")?, state: r.text("state")?, expires_at: r.ts("expires_at")? }))
                .transpose()
        })
    }

    /// An advisor's pending, unexpired offers in every tenant, soonest to expire first.
    pub async fn pending_offers(&self, advisor_id: Uuid) -> Result<Vec<PendingOffer>> {
        let now = Timestamp::now();
        on_pool!(&self.read, p => {
            sqlx::query("SELECT o.conversation_id, o.tenant_id, t.slug, c.number, c.subject, c.channel, o.offered_at, o.expires_at \
                         FROM routing_offers o JOIN conversations c ON c.id = o.conversation_id JOIN tenants t ON t.id = o.tenant_id \
                         WHERE o.advisor_id = $1 AND o.state = 'pending' AND o.expires_at > $2 ORDER BY o.expires_at, o.conversation_id")
                .bind(advisor_id).bind(now.0).fetch_all(p).await?
                .iter()
                .map(|r| Ok(PendingOffer {
                    conversation_id: r.uuid("conversation_id")?,
                    tenant_id: r.uuid("tenant_id")?,
                    tenant: r.text("slug")?,
                    number: r.int("number")?,
                    subject: r.text("subject")?,
                    channel: r.parse("channel")?,
                    offered_at: r.ts("offered_at")?,
                    expires_at: r.ts("expires_at")?,
                }))
                .collect()
        })
    }

    /// An event-only record of a router decision (an alert, an unroutable contact).
    pub async fn record_routing_event(
        &self,
        tenant_id: Uuid,
        kind: &'static str,
        conversation_id: Uuid,
        payload: serde_json::Value,
    ) -> Result<()> {
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind,
            subject_id: Some(conversation_id),
            actor_id: None,
            payload,
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            insert_event!(&mut *tx, &event);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Replaces the tenant's published live state with `snapshot`, taken at `at`.
    pub async fn write_routing_snapshot(
        &self,
        tenant_id: Uuid,
        snapshot: &Snapshot,
        at: Timestamp,
    ) -> Result<()> {
        let json = |m: &std::collections::BTreeMap<plateau_core::routing::Presence, u32>| {
            serde_json::to_string(m)
                .map_err(|e| crate::StoreError::Corrupt(format!("advisors by state: {e}")))
        };
        let mut rows = vec![("", 0i64, None, json(&snapshot.advisors)?)];
        for q in &snapshot.queues {
            rows.push((
                q.queue.as_str(),
                i64::from(q.waiting),
                q.oldest_since.map(|t| t.0),
                json(&q.advisors)?,
            ));
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM routing_snapshots WHERE tenant_id = $1")
                .bind(tenant_id).execute(&mut *tx).await?;
            for (queue, waiting, oldest, advisors) in &rows {
                sqlx::query("INSERT INTO routing_snapshots (tenant_id, queue, waiting, oldest_since, advisors, written_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(tenant_id).bind(*queue).bind(*waiting).bind(*oldest).bind(advisors).bind(at.0)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The tenant's last published live state and when it was taken; None
    /// when no router has published for it yet.
    pub async fn routing_snapshot(&self, tenant_id: Uuid) -> Result<Option<(Snapshot, Timestamp)>> {
        let rows = on_pool!(&self.read, p => {
            sqlx::query("SELECT queue, waiting, oldest_since, advisors, written_at FROM routing_snapshots WHERE tenant_id = $1")
                .bind(tenant_id).fetch_all(p).await?
                .iter()
                .map(|r| {
                    let advisors = serde_json::from_str(&r.text("advisors")?)
                        .map_err(|e| crate::StoreError::Corrupt(format!("advisors by state: {e}")))?;
                    Ok((QueueSnapshot {
                        queue: r.text("queue")?,
                        waiting: u32::try_from(r.int("waiting")?).unwrap_or(u32::MAX),
                        oldest_since: r.opt_int("oldest_since")?.map(Timestamp),
                        advisors,
                    }, r.ts("written_at")?))
                })
                .collect::<Result<Vec<_>>>()?
        });
        let Some(at) = rows.iter().map(|r| r.1).max() else {
            return Ok(None);
        };
        let mut snapshot = Snapshot::default();
        for (q, _) in rows {
            if q.queue.is_empty() {
                snapshot.advisors = q.advisors;
            } else {
                snapshot.queues.push(q);
            }
        }
        Ok(Some((snapshot, at)))
    }

    /// Keeps how contacts counted in their queues' service levels.
    pub async fn record_routing_outcomes(
        &self,
        tenant_id: Uuid,
        outcomes: &[Outcome],
    ) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            for o in outcomes {
                sqlx::query("INSERT INTO routing_outcomes (id, tenant_id, conversation_id, queue, kind, waited_micros, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(Uuid::now_v7()).bind(tenant_id).bind(o.contact).bind(o.queue.as_str())
                    .bind(o.kind.as_str()).bind(o.waited_micros).bind(o.at.0)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Outcomes per (queue, kind) from `since` on: today's service levels.
    pub async fn routing_outcome_counts(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
    ) -> Result<Vec<(String, OutcomeKind, u64)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT queue, kind, COUNT(*) AS n FROM routing_outcomes WHERE tenant_id = $1 AND at >= $2 GROUP BY queue, kind ORDER BY queue, kind")
                .bind(tenant_id).bind(since.0).fetch_all(p).await?
                .iter()
                .map(|r| {
                    let kind = r.text("kind")?.parse::<OutcomeKind>().map_err(crate::StoreError::Corrupt)?;
                    Ok((r.text("queue")?, kind, u64::try_from(r.int("n")?).unwrap_or(0)))
                })
                .collect()
        })
    }

    /// Tries to become the one router of `tenant_id`. On PostgreSQL this takes
    /// a session advisory lock on a connection of its own, held by the claim
    /// (other server processes see it); on SQLite, with a single process, the
    /// claim is kept in this store's memory. `None`: someone else routes it.
    pub async fn try_claim_router(&self, tenant_id: Uuid) -> Result<Option<RouterClaim>> {
        match &self.write {
            Pool::Postgres(pool) => {
                use sqlx::Connection;
                let opts = (*pool.connect_options()).clone();
                let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(lock_key(tenant_id))
                    .fetch_one(&mut conn)
                    .await?;
                if got {
                    Ok(Some(RouterClaim {
                        held: Held::Postgres(conn),
                    }))
                } else {
                    // Closing the connection is enough; it holds nothing.
                    let _ = conn.close().await;
                    Ok(None)
                }
            }
            Pool::Sqlite(_) => {
                let mut claimed = self.router_claims.lock().map_err(|_| {
                    crate::StoreError::Corrupt("router claims lock poisoned".into())
                })?;
                if claimed.insert(tenant_id) {
                    Ok(Some(RouterClaim {
                        held: Held::Local(self.router_claims.clone(), tenant_id),
                    }))
                } else {
                    Ok(None)
                }
            }
        }
    }
}

/// The advisory-lock key of a tenant: its UUID folded to 64 bits, mixed with
/// a constant so routing locks do not collide with other uses of advisory locks.
pub fn lock_key(tenant_id: Uuid) -> i64 {
    let (hi, lo) = tenant_id.as_u64_pair();
    (hi ^ lo ^ 0x706c_6174_6561_7572) as i64
}

/// In-process claims (SQLite), shared by clones of one store.
pub(crate) type LocalClaims = Arc<Mutex<HashSet<Uuid>>>;

enum Held {
    Postgres(sqlx::PgConnection),
    Local(LocalClaims, Uuid),
}

/// The right to route one tenant, for as long as it is held. Dropping it
/// releases the claim (on PostgreSQL, by closing the lock's connection).
pub struct RouterClaim {
    held: Held,
}

impl RouterClaim {
    /// Whether the claim still stands: on PostgreSQL, whether the lock's
    /// connection still answers (a lost connection has lost the lock).
    pub async fn is_held(&mut self) -> bool {
        match &mut self.held {
            Held::Postgres(conn) => sqlx::query("SELECT 1").execute(conn).await.is_ok(),
            Held::Local(..) => true,
        }
    }
}

impl Drop for RouterClaim {
    fn drop(&mut self) {
        if let Held::Local(claims, tenant) = &self.held {
            if let Ok(mut c) = claims.lock() {
                c.remove(tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_claim_per_tenant_until_released() {
        for db in crate::testing::all().await.unwrap() {
            let t = db.store.create_tenant("acme", "Acme", None).await.unwrap();
            let mut first = db.store.try_claim_router(t.id).await.unwrap().unwrap();
            assert!(first.is_held().await, "{}", db.label);
            // A second store on the same database stands for another process.
            let other = if db.label == "postgres" {
                Store::open(&db.url).await.unwrap()
            } else {
                db.store.clone()
            };
            assert!(
                other.try_claim_router(t.id).await.unwrap().is_none(),
                "{}: the tenant is already claimed",
                db.label
            );
            drop(first);
            let mut again = None;
            for _ in 0..50 {
                again = other.try_claim_router(t.id).await.unwrap();
                if again.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(again.is_some(), "{}: released on drop", db.label);
        }
    }

    #[tokio::test]
    async fn snapshots_replace_and_outcomes_count_from_a_day() {
        use plateau_core::routing::{Presence, QueueName};
        for db in crate::testing::all().await.unwrap() {
            let t = db.store.create_tenant("acme", "Acme", None).await.unwrap();
            let other = db
                .store
                .create_tenant("other", "Other", None)
                .await
                .unwrap();
            assert_eq!(db.store.routing_snapshot(t.id).await.unwrap(), None);
            let snap = |waiting| Snapshot {
                queues: vec![QueueSnapshot {
                    queue: "sales".into(),
                    waiting,
                    oldest_since: Some(Timestamp(5)),
                    advisors: [(Presence::Available, 2u32)].into_iter().collect(),
                }],
                advisors: [(Presence::Available, 2u32), (Presence::Offline, 1)]
                    .into_iter()
                    .collect(),
            };
            db.store
                .write_routing_snapshot(t.id, &snap(3), Timestamp(10))
                .await
                .unwrap();
            db.store
                .write_routing_snapshot(t.id, &snap(1), Timestamp(20))
                .await
                .unwrap();
            assert_eq!(
                db.store.routing_snapshot(t.id).await.unwrap(),
                Some((snap(1), Timestamp(20))),
                "{}",
                db.label
            );
            assert_eq!(db.store.routing_snapshot(other.id).await.unwrap(), None);

            let c = db
                .store
                .create_conversation(
                    t.id,
                    crate::conversations::NewConversation {
                        customer: crate::conversations::CustomerRef::New(
                            crate::customers::NewCustomer {
                                name: "Jean".into(),
                                profile: plateau_core::model::CustomerProfile {
                                    age_band: None,
                                    tech_appetite: None,
                                    value_tier: None,
                                    contract_tier: ContractTier::Standard,
                                    language: Language::Fr,
                                    preferred_channel: None,
                                },
                                identities: vec![],
                            },
                        ),
                        subject: "Connexion".into(),
                        channel: Channel::Chat,
                        direction: plateau_core::model::Direction::Inbound,
                        body: "Ma connexion rame.".into(),
                        priority: Priority::Normal,
                        reason: None,
                        tags: vec![],
                        team_id: None,
                        assignee_id: None,
                        language: None,
                        attachments: vec![],
                        at: None,
                    },
                    None,
                )
                .await
                .unwrap()
                .id;
            let o = |at, kind| Outcome {
                contact: c,
                queue: QueueName::from("sales"),
                at: Timestamp(at),
                waited_micros: 1,
                kind,
            };
            db.store
                .record_routing_outcomes(
                    t.id,
                    &[
                        o(1, OutcomeKind::AnsweredWithin),
                        o(100, OutcomeKind::AnsweredWithin),
                        o(101, OutcomeKind::AnsweredWithin),
                        o(102, OutcomeKind::ShortAbandon),
                    ],
                )
                .await
                .unwrap();
            assert_eq!(
                db.store
                    .routing_outcome_counts(t.id, Timestamp(100))
                    .await
                    .unwrap(),
                vec![
                    ("sales".to_string(), OutcomeKind::AnsweredWithin, 2),
                    ("sales".to_string(), OutcomeKind::ShortAbandon, 1),
                ],
                "{}",
                db.label
            );
            assert!(db
                .store
                .routing_outcome_counts(other.id, Timestamp(0))
                .await
                .unwrap()
                .is_empty());
        }
    }
}

/// Escalation through the router: the request (written by the API) and the
/// router's answer, each on the conversation, correlated by `request_id`.
pub mod escalation_kind {
    pub use plateau_core::event::kind::{
        ESCALATED, ESCALATION_REFUSED as REFUSED, ESCALATION_REQUESTED as REQUESTED,
    };
}

impl Store {
    /// An event-only record on a conversation with who caused it (an
    /// escalation request or the router's answer to it).
    pub async fn record_conversation_event(
        &self,
        tenant_id: Uuid,
        kind: &'static str,
        conversation_id: Uuid,
        actor_id: Option<Uuid>,
        payload: serde_json::Value,
    ) -> Result<()> {
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind,
            subject_id: Some(conversation_id),
            actor_id,
            payload,
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            insert_event!(&mut *tx, &event);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Forgets a conversation's settled offer made before `before`, so a
    /// callback due later can be offered in the same conversation (an
    /// accepted offer otherwise blocks new ones, to let an answer that beat
    /// its timeout keep the conversation).
    pub async fn clear_settled_offer(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        before: Timestamp,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("DELETE FROM routing_offers WHERE tenant_id = $1 AND conversation_id = $2 AND state <> 'pending' AND offered_at < $3")
                .bind(tenant_id).bind(conversation_id).bind(before.0)
                .execute(p).await?;
        });
        Ok(())
    }
}
