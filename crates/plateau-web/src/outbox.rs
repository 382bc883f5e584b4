//! The loop every outbound sender runs (e-mail replies, replies to
//! connectors): a pass over what is due, then sleep until the next retry is
//! due, a new commit (a reply is queued with one), or the idle poll.

use std::future::Future;
use std::time::Duration;

use plateau_core::event::Event;
use plateau_core::Timestamp;
use tokio::sync::{broadcast, watch};

/// Even with nothing due, look again this often (another process may have
/// queued a reply this one heard nothing of).
const IDLE_POLL: Duration = Duration::from_secs(5);

/// One kind of outbound delivery.
pub trait Sender: Send + 'static {
    /// For the logs.
    const NAME: &'static str;
    /// Tries everything due now.
    fn pass(&mut self) -> impl Future<Output = plateau_store::Result<()>> + Send;
    /// When the next queued delivery is due, if any.
    fn next_due(&self) -> impl Future<Output = plateau_store::Result<Option<Timestamp>>> + Send;
}

pub fn spawn<S: Sender>(
    mut sender: S,
    events: &broadcast::Sender<Event>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut tail = events.subscribe();
    tokio::spawn(async move {
        loop {
            if let Err(e) = sender.pass().await {
                tracing::warn!(sender = S::NAME, error = %e, "delivery pass failed; retrying");
            }
            let wait = match sender.next_due().await {
                Ok(Some(at)) => {
                    let us = (at.0 - Timestamp::now().0).max(0) as u64;
                    Duration::from_micros(us).min(IDLE_POLL)
                }
                _ => IDLE_POLL,
            };
            tokio::select! {
                _ = tail.recv() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.changed() => return,
            }
        }
    });
}
