//! Replies out by e-mail: the worker that delivers what `add_message` queued
//! in `mail_outbox` to the organisation's SMTP relay (lettre), with the
//! threading headers that bring the customer's answer back into the same
//! conversation, retrying with backoff while the relay is unreachable.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use plateau_core::channels::mail::{outbound_message_id, reply_references, reply_subject};
use plateau_core::channels::retry::Backoff;
use plateau_core::event::Event;
use plateau_core::Timestamp;
use plateau_store::mail::Outbound;
use plateau_store::Store;
use tokio::sync::{broadcast, watch};

/// Where and how replies are sent (`serve --smtp-relay HOST:PORT`).
#[derive(Clone, Debug)]
pub struct RelayConfig {
    pub host: String,
    pub port: u16,
    /// First retry after this long, doubling up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// After this many attempts the reply is marked failed.
    pub max_attempts: i64,
}

impl RelayConfig {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        RelayConfig {
            host: host.into(),
            port,
            retry_base: Backoff::DELIVERY.base,
            retry_max: Backoff::DELIVERY.max,
            max_attempts: Backoff::DELIVERY.max_attempts,
        }
    }

    /// When to try again after `attempts` failures (including this one);
    /// None when it is time to give up.
    pub fn retry_at(&self, attempts: i64, now: Timestamp) -> Option<Timestamp> {
        Backoff {
            base: self.retry_base,
            max: self.retry_max,
            max_attempts: self.max_attempts,
        }
        .retry_at(attempts, now)
    }
}

/// A worker that died mid-send leaves the reply `sending`; after this long
/// it is queued again (the relay may then get it twice, never zero times).
const STALE_AFTER_US: i64 = 10 * 60 * 1_000_000;

/// Starts the sender; it wakes on every new message (through the event
/// log's broadcast) and otherwise when the next retry is due.
pub fn spawn(
    store: Store,
    relay: RelayConfig,
    events: &broadcast::Sender<Event>,
    stopping: watch::Receiver<bool>,
) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(relay.host.clone())
        .port(relay.port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let sender = MailSender {
        store,
        transport,
        relay,
    };
    crate::outbox::spawn(sender, events, stopping);
}

struct MailSender {
    store: Store,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    relay: RelayConfig,
}

impl crate::outbox::Sender for MailSender {
    const NAME: &'static str = "e-mail";

    async fn pass(&mut self) -> plateau_store::Result<()> {
        drain(&self.store, &self.transport, &self.relay).await
    }

    async fn next_due(&self) -> plateau_store::Result<Option<Timestamp>> {
        self.store.next_outbound_at().await
    }
}

async fn drain(
    store: &Store,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    relay: &RelayConfig,
) -> plateau_store::Result<()> {
    store
        .requeue_stale_outbound(Timestamp(Timestamp::now().0 - STALE_AFTER_US))
        .await?;
    for o in store.due_outbound(Timestamp::now(), 50).await? {
        if !store.take_outbound(o.message_id, Timestamp::now()).await? {
            continue;
        }
        match build(store, &o).await {
            Err(permanent) => store.outbound_failed(&o, &permanent, None).await?,
            Ok((email, smtp_id)) => match transport.send(email).await {
                Ok(_) => store.outbound_sent(&o, &smtp_id).await?,
                Err(e) => {
                    let retry = if e.is_permanent() {
                        None
                    } else {
                        relay.retry_at(o.attempts + 1, Timestamp::now())
                    };
                    tracing::info!(message = %o.message_id, error = %e, retry = retry.is_some(), "outbound mail not delivered");
                    store.outbound_failed(&o, &e.to_string(), retry).await?;
                }
            },
        }
    }
    Ok(())
}

/// The e-mail for a queued reply; Err is a reason no retry can fix.
async fn build(store: &Store, o: &Outbound) -> Result<(Message, String), String> {
    let conv = store
        .conversation(o.tenant_id, o.conversation_id)
        .await
        .map_err(|e| e.to_string())?;
    let msg = store
        .message(o.tenant_id, o.conversation_id, o.message_id)
        .await
        .map_err(|e| e.to_string())?;
    let from = store
        .reply_from(o.tenant_id, o.conversation_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the brand has no mailbox to send from")?;
    let tenant = store.tenant(o.tenant_id).await.map_err(|e| e.to_string())?;
    let domain = from.rsplit('@').next().unwrap_or("localhost").to_string();
    let smtp_id = outbound_message_id(o.message_id, &domain);
    let ids = store
        .conversation_message_ids(o.tenant_id, o.conversation_id)
        .await
        .map_err(|e| e.to_string())?;
    // Answer the customer's latest message; reference the whole thread.
    let answered = ids
        .iter()
        .rev()
        .find(|(_, inbound)| *inbound)
        .map(|(id, _)| id.clone());
    let thread: Vec<String> = ids.into_iter().map(|(id, _)| id).collect();
    let references = reply_references(&thread, answered.as_deref());

    let from_box = Mailbox::new(
        Some(tenant.name.clone()),
        from.parse().map_err(|e| format!("sender {from}: {e}"))?,
    );
    let to_box: Mailbox = o
        .to_address
        .parse()
        .map_err(|e| format!("recipient {}: {e}", o.to_address))?;
    let mut b = Message::builder()
        .from(from_box)
        .to(to_box)
        .subject(reply_subject(&conv.subject, conv.number))
        .message_id(Some(format!("<{smtp_id}>")))
        .header(ContentType::TEXT_PLAIN);
    if let Some(a) = &answered {
        b = b.in_reply_to(format!("<{a}>"));
    }
    if !references.is_empty() {
        let joined = references
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(" ");
        b = b.references(joined);
    }
    let email = b.body(msg.body).map_err(|e| e.to_string())?;
    Ok((email, smtp_id))
}
