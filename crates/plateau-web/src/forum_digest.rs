//! The weekly promotion digest: once a week per brand, the knowledge
//! managers get a notification listing the forum answers most worth
//! validating (the most reused unvalidated ones), so the forum's best
//! answers move into the knowledge base (KCS "Evolve").

use std::time::Duration;

use plateau_core::policy::{role_allows, Action};
use plateau_core::Timestamp;
use plateau_store::Store;
use tokio::sync::watch;

pub const EVERY: Duration = Duration::from_secs(7 * 24 * 3600);
/// How often to check whether a brand's digest is due.
const TICK: Duration = Duration::from_secs(3600);

pub fn spawn(store: Store, mut stopping: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_once(&store, Timestamp::now()).await {
                tracing::warn!(error = %e, "forum digest: pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stopping.changed() => return,
            }
        }
    });
}

/// Sends every brand's digest that is due; returns the notifications written.
pub async fn run_once(store: &Store, now: Timestamp) -> plateau_store::Result<usize> {
    let mut sent = 0;
    for t in store.tenants().await? {
        let recipients: Vec<_> = store
            .members(t.id)
            .await?
            .into_iter()
            .filter(|m| role_allows(m.role, Action::PromoteForum))
            .map(|m| m.user.id)
            .collect();
        sent += store
            .send_promotion_digest(t.id, &recipients, now, EVERY)
            .await?;
    }
    Ok(sent)
}
