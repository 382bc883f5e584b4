//! Keeps each open conversation's most urgent SLA clock (`sla_due`) and
//! announces warnings and breaches as they happen. A conversation is
//! recomputed when it changes (from the event log), when its next warning or
//! breach comes (its `check_at`, looked up each minute), and every
//! conversation of a brand when its policies, sites or hours change. So a
//! minute's work is proportional to what changed, not to the open backlog.
//! The store's notices make each announcement exactly once, across restarts
//! and server processes.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use plateau_core::event::{kind, Event};
use plateau_core::model::Status;
use plateau_core::Timestamp;
use plateau_store::conversations::{Cursor, InboxFilter};
use plateau_store::sla::SlaDue;
use plateau_store::Store;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::api::sla::SlaContext;
use crate::error::WebError;

const TICK: Duration = Duration::from_secs(60);
/// A full pass now and then, in case an event was missed while no process
/// was running (the history is the truth; `sla_due` is derived).
const FULL_EVERY: Duration = Duration::from_secs(3600);

pub fn spawn(store: Store, events: &broadcast::Sender<Event>, mut stopping: watch::Receiver<bool>) {
    let mut tail = events.subscribe();
    tokio::spawn(async move {
        let mut last_full: Option<tokio::time::Instant> = None;
        let mut next_tick = tokio::time::Instant::now();
        loop {
            let mut changed: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
            let mut brands: BTreeSet<Uuid> = BTreeSet::new();
            let mut full = last_full.is_none_or(|t| t.elapsed() >= FULL_EVERY);
            if !full {
                tokio::select! {
                    r = tail.recv() => match r {
                        Ok(ev) => note(&ev, &mut changed, &mut brands),
                        Err(broadcast::error::RecvError::Lagged(_)) => full = true,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = tokio::time::sleep_until(next_tick) => {}
                    _ = stopping.changed() => return,
                }
                // Take the rest of a burst in the same pass.
                loop {
                    match tail.try_recv() {
                        Ok(ev) => note(&ev, &mut changed, &mut brands),
                        Err(broadcast::error::TryRecvError::Lagged(_)) => full = true,
                        Err(_) => break,
                    }
                }
            }
            let now = Timestamp::now();
            let result = if full {
                last_full = Some(tokio::time::Instant::now());
                run_once(&store, now).await.map(|_| ())
            } else {
                async {
                    for t in &brands {
                        refresh_brand(&store, *t, now).await?;
                    }
                    changed.retain(|(t, _)| !brands.contains(t));
                    if tokio::time::Instant::now() >= next_tick {
                        next_tick = tokio::time::Instant::now() + TICK;
                        changed.extend(store.sla_checks_due(now, 1000).await?);
                    }
                    refresh(&store, changed, now).await.map(|_| ())
                }
                .await
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "sla watch: pass failed");
            }
        }
    });
}

/// Which conversations or brands an event makes stale.
fn note(ev: &Event, changed: &mut BTreeSet<(Uuid, Uuid)>, brands: &mut BTreeSet<Uuid>) {
    let Some(t) = ev.tenant_id else { return };
    match ev.kind.as_str() {
        kind::CONVERSATION_CREATED | kind::CONVERSATION_UPDATED | kind::MESSAGE_ADDED => {
            if let Some(c) = ev.subject_id {
                changed.insert((t, c));
            }
        }
        kind::ROUTING_CONFIG_UPDATED
        | kind::SITE_CREATED
        | kind::SITE_HOURS_UPDATED
        | kind::TEAM_CREATED => {
            brands.insert(t);
        }
        _ => {}
    }
}

/// A full pass: every open conversation of every brand with SLA policies.
/// Returns the notices written.
pub async fn run_once(store: &Store, now: Timestamp) -> Result<usize, WebError> {
    let mut written = 0;
    for t in store.tenants().await? {
        written += refresh_brand(store, t.id, now).await?;
    }
    Ok(written)
}

/// Every open conversation of one brand.
async fn refresh_brand(store: &Store, tenant_id: Uuid, now: Timestamp) -> Result<usize, WebError> {
    let ctx = SlaContext::load(store, tenant_id).await?;
    let filter = InboxFilter {
        // A brand without policies may have had some: clear what is left.
        by_sla_due: ctx.is_none(),
        statuses: if ctx.is_some() {
            vec![Status::New, Status::Open, Status::Pending]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let mut written = 0;
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.conversations(tenant_id, &filter, cursor, 200).await?;
        for c in &page.items {
            written += settle(store, ctx.as_ref(), c, now).await?;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    Ok(written)
}

/// The listed conversations, each brand's context read once.
async fn refresh(
    store: &Store,
    conversations: BTreeSet<(Uuid, Uuid)>,
    now: Timestamp,
) -> Result<usize, WebError> {
    let mut contexts: HashMap<Uuid, Option<SlaContext>> = HashMap::new();
    let mut written = 0;
    for (t, id) in conversations {
        if let std::collections::hash_map::Entry::Vacant(e) = contexts.entry(t) {
            e.insert(SlaContext::load(store, t).await?);
        }
        // A brand without policies has no rows to keep (the brand pass that
        // follows a policy change clears them), so its changes cost nothing.
        let Some(ctx) = contexts.get(&t).and_then(Option::as_ref) else {
            continue;
        };
        let c = match store.conversation(t, id).await {
            Ok(c) => c,
            Err(plateau_store::StoreError::Domain(plateau_core::DomainError::NotFound(_))) => {
                continue
            }
            Err(e) => return Err(e.into()),
        };
        written += settle(store, Some(ctx), &c, now).await?;
    }
    Ok(written)
}

/// Recomputes one conversation: announces what its clocks reached and
/// records its most urgent clock (or that none runs).
async fn settle(
    store: &Store,
    ctx: Option<&SlaContext>,
    c: &plateau_core::model::Conversation,
    now: Timestamp,
) -> Result<usize, WebError> {
    let open = matches!(c.status, Status::New | Status::Open | Status::Pending);
    let Some(ctx) = ctx.filter(|_| open) else {
        store.set_sla_due(c.tenant_id, c.id, None).await?;
        return Ok(0);
    };
    let messages = store.messages(c.tenant_id, c.id, false).await?;
    let events = store.subject_events(c.tenant_id, c.id).await?;
    let (metrics, urgent) = ctx.assess(c, &messages, &events, now);
    let mut written = 0;
    for m in metrics {
        let Some(due) = m.due else { continue };
        for (reached, breached) in [(m.warning, false), (m.breached, true)] {
            if reached {
                written += usize::from(
                    store
                        .announce_sla(c.tenant_id, c.id, m.metric.as_str(), breached, due)
                        .await?,
                );
            }
        }
    }
    let due = urgent.map(|u| SlaDue {
        conversation_id: c.id,
        metric: u.metric.as_str().to_string(),
        due_at: u.due,
        warning: u.warning,
        breached: u.breached,
        check_at: u.next_check,
    });
    store.set_sla_due(c.tenant_id, c.id, due.as_ref()).await?;
    Ok(written)
}
