//! Announces SLA warnings and breaches as they happen: every minute, for
//! each brand with SLA policies, it computes the clocks of the open
//! conversations and writes a `sla.warning` or `sla.breached` event the
//! first time each is reached (the store's notices make that exactly once,
//! across restarts and server processes). The desk shows them live.

use std::time::Duration;

use plateau_core::model::Status;
use plateau_core::Timestamp;
use plateau_store::conversations::{Cursor, InboxFilter};
use plateau_store::Store;
use tokio::sync::watch;

use crate::api::sla::SlaContext;

const TICK: Duration = Duration::from_secs(60);

pub fn spawn(store: Store, mut stopping: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stopping.changed() => return,
            }
            if let Err(e) = run_once(&store, Timestamp::now()).await {
                tracing::warn!(error = %e, "sla watch: pass failed");
            }
        }
    });
}

/// One pass over every brand with SLA policies; returns the notices written.
pub async fn run_once(store: &Store, now: Timestamp) -> Result<usize, crate::error::WebError> {
    let mut written = 0;
    for t in store.tenants().await? {
        let Some(ctx) = SlaContext::load(store, t.id).await? else {
            continue;
        };
        let filter = InboxFilter {
            statuses: vec![Status::New, Status::Open, Status::Pending],
            ..Default::default()
        };
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = store.conversations(t.id, &filter, cursor, 200).await?;
            for c in &page.items {
                let messages = store.messages(t.id, c.id, false).await?;
                let events = store.subject_events(t.id, c.id).await?;
                for m in ctx.status(c, &messages, &events, now) {
                    let Some(due) = m.due else { continue };
                    for (reached, breached) in [(m.warning, false), (m.breached, true)] {
                        if reached {
                            written += usize::from(
                                store
                                    .announce_sla(t.id, c.id, m.metric.as_str(), breached, due)
                                    .await?,
                            );
                        }
                    }
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(Cursor::decode(&next)?),
                None => break,
            }
        }
    }
    Ok(written)
}
