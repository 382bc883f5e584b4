//! The append-only event log: written inside each change's transaction, read
//! in id order by the realtime push and the audit trail.

use std::time::Duration;

use plateau_core::event::Event;
use plateau_core::Timestamp;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::row::PortableRow;
use crate::{Backend, Result, Store};

/// An event about to be written with its change.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tenant_id: Option<Uuid>,
    pub kind: &'static str,
    pub subject_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (tenant_id, kind, subject_id, actor_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Appends `$ev` on the open transaction `$tx`.
macro_rules! insert_event {
    ($tx:expr, $ev:expr) => {{
        let ev: &$crate::events::NewEvent = $ev;
        sqlx::query($crate::events::INSERT_EVENT)
            .bind(ev.tenant_id)
            .bind(ev.kind)
            .bind(ev.subject_id)
            .bind(ev.actor_id)
            .bind(ev.payload.to_string())
            .bind(plateau_core::Timestamp::now().0)
            .execute($tx)
            .await?;
    }};
}
pub(crate) use insert_event;

/// The multi-row form of [`INSERT_EVENT`] for `n` events: one statement where
/// a change writes several events (a new customer and their conversation).
pub(crate) fn insert_events_sql(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let b = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            )
        })
        .collect();
    format!(
        "INSERT INTO events (tenant_id, kind, subject_id, actor_id, payload, created_at) VALUES {}",
        rows.join(", ")
    )
}

/// Appends all of `$evs` (a slice of `NewEvent`) on `$tx` in one statement.
macro_rules! insert_events {
    ($tx:expr, $evs:expr) => {{
        let evs: &[$crate::events::NewEvent] = $evs;
        if !evs.is_empty() {
            let sql = $crate::events::insert_events_sql(evs.len());
            let now = plateau_core::Timestamp::now().0;
            let mut q = sqlx::query(&sql);
            for ev in evs {
                q = q
                    .bind(ev.tenant_id)
                    .bind(ev.kind)
                    .bind(ev.subject_id)
                    .bind(ev.actor_id)
                    .bind(ev.payload.to_string())
                    .bind(now);
            }
            q.execute($tx).await?;
        }
    }};
}
pub(crate) use insert_events;

const SELECT_EVENTS: &str =
    "SELECT id, tenant_id, kind, subject_id, actor_id, payload, created_at FROM events";

fn decode(r: &impl PortableRow) -> Result<Event> {
    let payload = r.text("payload")?;
    Ok(Event {
        id: r.int("id")?,
        tenant_id: r.opt_uuid("tenant_id")?,
        kind: r.text("kind")?,
        subject_id: r.opt_uuid("subject_id")?,
        actor_id: r.opt_uuid("actor_id")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    /// Events after `after`, oldest first. On PostgreSQL only events whose
    /// transaction precedes every running one are returned: identity values are
    /// allocated before commit, so a later id can become visible first, and a
    /// tail that advanced past it would skip the earlier one for ever.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = match self.backend {
            Backend::Sqlite => on_pool!(&self.read, p => {
                sqlx::query(&format!("{SELECT_EVENTS} WHERE id > $1 ORDER BY id LIMIT $2"))
                    .bind(after).bind(limit).fetch_all(p).await?
                    .iter().map(decode).collect::<Result<Vec<_>>>()?
            }),
            Backend::Postgres => on_pool!(&self.read, p => {
                sqlx::query(&format!(
                    "{SELECT_EVENTS} WHERE id > $1 AND txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY id LIMIT $2"
                ))
                .bind(after).bind(limit).fetch_all(p).await?
                .iter().map(decode).collect::<Result<Vec<_>>>()?
            }),
        };
        Ok(rows)
    }

    /// A tenant's audit trail, newest first, paged by event id.
    pub async fn tenant_events(
        &self,
        tenant_id: Uuid,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let before = before.unwrap_or(i64::MAX);
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{SELECT_EVENTS} WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"))
                .bind(tenant_id).bind(before).bind(limit).fetch_all(p).await?
                .iter().map(decode).collect()
        })
    }

    /// Events about one subject (a conversation, a customer), oldest first.
    pub async fn subject_events(&self, tenant_id: Uuid, subject_id: Uuid) -> Result<Vec<Event>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{SELECT_EVENTS} WHERE tenant_id = $1 AND subject_id = $2 ORDER BY id"))
                .bind(tenant_id).bind(subject_id).fetch_all(p).await?
                .iter().map(decode).collect()
        })
    }

    /// Every row in the log, whatever its visibility to tailers (tests, stats).
    pub async fn count_events(&self) -> Result<i64> {
        on_pool!(&self.read, p => {
            let r = sqlx::query("SELECT COUNT(*) AS n FROM events").fetch_one(p).await?;
            r.int("n")
        })
    }

    pub async fn last_event_id(&self) -> Result<i64> {
        on_pool!(&self.read, p => {
            let r = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM events").fetch_one(p).await?;
            r.int("id")
        })
    }

    /// The newest event id a consumer may resume after without skipping an
    /// event that commits later: on PostgreSQL, the same horizon as
    /// [`Store::events_after`] (transactions older than every running one).
    pub async fn settled_event_id(&self) -> Result<i64> {
        match self.backend {
            Backend::Sqlite => self.last_event_id().await,
            Backend::Postgres => on_pool!(&self.read, p => {
                sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM events WHERE txid < pg_snapshot_xmin(pg_current_snapshot())")
                    .fetch_one(p).await?.int("id")
            }),
        }
    }

    /// Starts the tailer that republishes committed events to subscribers.
    ///
    /// It starts from the current end of the log (a browser reconnecting asks
    /// for what it missed by id instead), wakes on every local commit, and
    /// polls as a fallback so writes from other server processes on the same
    /// PostgreSQL database arrive too.
    pub fn spawn_tailer(&self, capacity: usize) -> broadcast::Sender<Event> {
        let (tx, _) = broadcast::channel(capacity);
        let sender = tx.clone();
        let store = self.clone();
        tokio::spawn(async move {
            let mut last = match store.last_event_id().await {
                Ok(id) => id,
                Err(e) => {
                    tracing::error!(error = ?e, "event tailer could not start");
                    return;
                }
            };
            // On PostgreSQL a commit can stay invisible to the tail for a
            // moment (it only reads below the oldest running transaction);
            // after a local commit that read found nothing, look again soon
            // instead of waiting for the next poll.
            let recheck = store.backend == crate::Backend::Postgres;
            let mut woken_empty = 0u32;
            loop {
                let woken = store.committed.notified();
                let mut read_any = false;
                match store.events_after(last, 500).await {
                    Ok(events) => {
                        let full = events.len() == 500;
                        read_any = !events.is_empty();
                        for ev in events {
                            last = ev.id;
                            // No subscribers is normal; the log keeps everything.
                            let _ = sender.send(ev);
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(e) => tracing::warn!(error = ?e, "event tailer read failed; retrying"),
                }
                if recheck && !read_any && (1..=20).contains(&woken_empty) {
                    woken_empty += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                // Read as soon as something commits. A burst still costs few
                // reads: what commits while one read runs is taken by the
                // next. (A fixed pause here to gather a burst put its length
                // on every hop of the offer path: the router hears of a new
                // contact through this tailer, and the advisor of its offer.)
                let was_woken = tokio::time::timeout(Duration::from_millis(250), woken)
                    .await
                    .is_ok();
                woken_empty = u32::from(was_woken);
            }
        });
        tx
    }
}

/// Shorthand for the current time in the log's unit.
pub fn now() -> Timestamp {
    Timestamp::now()
}
