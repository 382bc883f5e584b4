//! Replies out to social and messaging networks: the worker that posts what
//! `add_message` queued in `webhook_outbox` to the connector's outbound URL,
//! signed like the connector's own requests, retrying with backoff while the
//! connector is down. The connector (the bridge to the network's API) then
//! publishes the reply in the thread it names.

use std::time::Duration;

use plateau_core::channels::retry::Backoff;
use plateau_core::channels::signature;
use plateau_core::event::Event;
use plateau_core::Timestamp;
use plateau_store::social::NetworkOutbound;
use plateau_store::Store;
use serde_json::json;
use tokio::sync::{broadcast, watch};

/// A worker that died mid-post leaves the reply `sending`; after this long
/// it is queued again (the connector may then get it twice, never zero times:
/// `X-Plateau-Delivery` lets it drop the second).
const STALE_AFTER_US: i64 = 10 * 60 * 1_000_000;

/// Starts the sender; it wakes on every committed event (a new reply comes
/// with one) and otherwise when the next retry is due.
pub fn spawn(
    store: Store,
    backoff: Backoff,
    events: &broadcast::Sender<Event>,
    stopping: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "replies to connectors: no HTTP client; not started");
            return;
        }
    };
    let sender = ConnectorSender {
        store,
        client,
        backoff,
    };
    crate::outbox::spawn(sender, events, stopping);
}

struct ConnectorSender {
    store: Store,
    client: reqwest::Client,
    backoff: Backoff,
}

impl crate::outbox::Sender for ConnectorSender {
    const NAME: &'static str = "connector";

    async fn pass(&mut self) -> plateau_store::Result<()> {
        drain(&self.store, &self.client, &self.backoff).await
    }

    async fn next_due(&self) -> plateau_store::Result<Option<Timestamp>> {
        self.store.next_network_reply_at().await
    }
}

async fn drain(
    store: &Store,
    client: &reqwest::Client,
    backoff: &Backoff,
) -> plateau_store::Result<()> {
    store
        .requeue_stale_network_replies(Timestamp(Timestamp::now().0 - STALE_AFTER_US))
        .await?;
    for o in store.due_network_replies(Timestamp::now(), 50).await? {
        if !store
            .take_network_reply(o.message_id, Timestamp::now())
            .await?
        {
            continue;
        }
        let (status, error, retry) = match post(store, client, &o).await {
            Ok(status) => (Some(status), None, None),
            Err(Failure::Permanent(status, e)) => (status, Some(e), None),
            Err(Failure::Transient(status, e)) => (
                status,
                Some(e),
                backoff.retry_at(o.attempts + 1, Timestamp::now()),
            ),
        };
        if let Some(e) = &error {
            tracing::info!(message = %o.message_id, error = %e, retry = retry.is_some(), "reply to connector not delivered");
        }
        store
            .network_reply_attempted(&o, status, error.as_deref(), retry)
            .await?;
    }
    Ok(())
}

enum Failure {
    /// No retry can fix it (the reply or connector is gone, the connector
    /// refused the request as bad).
    Permanent(Option<u16>, String),
    Transient(Option<u16>, String),
}

/// The JSON a connector receives; documented in docs/channels.md.
fn payload(o: &NetworkOutbound, text: &str, author: &str, number: i64, at: Timestamp) -> Vec<u8> {
    json!({
        "type": "reply",
        "message_id": o.message_id,
        "conversation_id": o.conversation_id,
        "conversation_number": number,
        "thread_id": o.thread_id,
        "in_reply_to": o.in_reply_to,
        "public": o.public,
        "text": text,
        "author": {"name": author},
        "created_at": at.rfc3339(),
    })
    .to_string()
    .into_bytes()
}

async fn post(
    store: &Store,
    client: &reqwest::Client,
    o: &NetworkOutbound,
) -> Result<u16, Failure> {
    let gone = |e: plateau_store::StoreError| Failure::Permanent(None, e.to_string());
    let connector = match o.connector_id {
        Some(id) => store.connector_by_id(o.tenant_id, id).await.map_err(gone)?,
        None => None,
    }
    .ok_or_else(|| Failure::Permanent(None, "the connector no longer exists".into()))?;
    let url = connector
        .outbound_url
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Failure::Permanent(None, "the connector has no outbound URL".into()))?;
    let msg = store
        .message(o.tenant_id, o.conversation_id, o.message_id)
        .await
        .map_err(gone)?;
    let conv = store
        .conversation(o.tenant_id, o.conversation_id)
        .await
        .map_err(gone)?;
    // The brand answers, not the person: networks show the brand's account,
    // and advisors' names stay inside the company.
    let brand = store.tenant(o.tenant_id).await.map_err(gone)?.name;
    let body = payload(o, &msg.body, &brand, conv.number, msg.created_at);
    let ts = Timestamp::now().0 / 1_000_000;
    let sig = signature::sign(connector.secret.as_bytes(), ts, &body);
    let resp = client
        .post(&url)
        .header("content-type", "application/json")
        .header("x-plateau-timestamp", ts.to_string())
        .header("x-plateau-signature", sig)
        .header("x-plateau-delivery", o.message_id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::Transient(None, format!("{url}: {e}")))?;
    let status = resp.status();
    let code = status.as_u16();
    if status.is_success() {
        return Ok(code);
    }
    let detail: String = resp
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let error = format!("the connector answered {status}: {detail}");
    // 408 and 429 say "later"; other 4xx say the request itself is wrong.
    if status.is_client_error() && code != 408 && code != 429 {
        Err(Failure::Permanent(Some(code), error))
    } else {
        Err(Failure::Transient(Some(code), error))
    }
}
