//! Inbound e-mail, from a stored raw message to a conversation message: the
//! worker that processes what receivers accepted, and the receivers
//! themselves (`smtp`, and `imap`, which polls mailboxes). Receivers only store and acknowledge; everything that
//! can fail after that ends as a visible state of the stored message
//! (ingested, machine, duplicate, dead), never as a lost message.

pub mod imap;
pub mod smtp;

use std::sync::Arc;
use std::time::Duration;

use plateau_core::channels::mail::{self, machine_mail, normalise_address, Thread};
use plateau_core::channels::mime::MailLimits;
use plateau_core::channels::{html, mime};
use plateau_core::model::{Attachment, Channel, IdentityKind, Language};
use plateau_core::Timestamp;
use plateau_store::mail::{Claim, InboundMail, InboundState};
use plateau_store::Store;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

/// Look for pending mail this often even without a wake-up: another server
/// process may have accepted it, or a replay was requested there.
const POLL: Duration = Duration::from_secs(10);
/// A message taken this long ago and still not finished belonged to a
/// worker that died; it goes back to pending.
const STALE_AFTER_US: i64 = 5 * 60 * 1_000_000;
const BATCH: i64 = 100;

/// Wakes the worker when a receiver has stored a message.
#[derive(Clone, Default)]
pub struct MailWake(Arc<Notify>);

impl MailWake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Starts the worker: it processes what a crash left pending, then each
/// message as receivers store it.
pub fn spawn(
    store: Store,
    wake: MailWake,
    limits: MailLimits,
    mut stopping: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = drain_with(&store, &limits).await {
                tracing::warn!(error = %e, "inbound mail: pass failed; retrying");
            }
            tokio::select! {
                _ = wake.0.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stopping.changed() => return,
            }
        }
    });
}

/// Processes every pending message with the default limits.
pub async fn drain(store: &Store) -> plateau_store::Result<usize> {
    drain_with(store, &MailLimits::default()).await
}

/// Processes every pending message; returns how many were processed.
pub async fn drain_with(store: &Store, limits: &MailLimits) -> plateau_store::Result<usize> {
    store
        .requeue_stale_mail(Timestamp(Timestamp::now().0 - STALE_AFTER_US))
        .await?;
    let lanes = match store.backend() {
        // Each message costs several commits; PostgreSQL takes concurrent
        // writers, so several senders' mail goes through at once.
        plateau_store::Backend::Postgres => LANES,
        // SQLite serialises writers: lanes would only wait on each other.
        plateau_store::Backend::Sqlite => 1,
    };
    let mut done = 0;
    loop {
        let pending = store.pending_mails(BATCH).await?;
        if pending.is_empty() {
            return Ok(done);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for lane in by_sender(pending, lanes) {
            let (store, limits) = (store.clone(), *limits);
            tasks.spawn(async move {
                let mut n = 0;
                for m in lane {
                    if store.take_mail(m.tenant_id, m.id).await? {
                        process_with(&store, &m, &limits).await?;
                        n += 1;
                    }
                }
                Ok::<usize, plateau_store::StoreError>(n)
            });
        }
        let mut took = 0;
        let mut failed = None;
        while let Some(r) = tasks.join_next().await {
            match r {
                Ok(Ok(n)) => took += n,
                Ok(Err(e)) => failed = Some(e),
                // A lane that panicked is a bug: let it surface as one. One
                // that was cancelled (the runtime stopping) leaves its
                // messages taken; they go back to pending when stale.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        done += took;
        if took == 0 {
            return Ok(done);
        }
    }
}

/// Senders' mail processed at once on PostgreSQL.
const LANES: usize = 4;

/// Splits pending mail (oldest first) into at most `lanes` lists, all of a
/// sender's mail in one list and in arrival order: a customer's reply is
/// threaded after the message it answers, whichever lane runs first.
fn by_sender(pending: Vec<InboundMail>, lanes: usize) -> Vec<Vec<InboundMail>> {
    let mut out: Vec<Vec<InboundMail>> = (0..lanes.max(1)).map(|_| Vec::new()).collect();
    let mut lane_of: std::collections::HashMap<(Uuid, String), usize> = Default::default();
    for m in pending {
        let key = (m.tenant_id, m.envelope_from.to_ascii_lowercase());
        let next = lane_of.len() % out.len();
        let lane = *lane_of.entry(key).or_insert(next);
        out[lane].push(m);
    }
    out.retain(|l| !l.is_empty());
    out
}

/// The outcome of one message, before it is written down.
struct Outcome {
    state: InboundState,
    detail: Option<String>,
    conversation_id: Option<Uuid>,
    message_uuid: Option<Uuid>,
}

impl Outcome {
    fn dead(reason: impl Into<String>) -> Self {
        Outcome {
            state: InboundState::Dead,
            detail: Some(reason.into()),
            conversation_id: None,
            message_uuid: None,
        }
    }
}

/// Processes one taken message and records how it ended. Only a failure to
/// record that leaves it in `processing`, to be requeued later.
pub async fn process(store: &Store, m: &InboundMail) -> plateau_store::Result<InboundState> {
    process_with(store, m, &MailLimits::default()).await
}

pub async fn process_with(
    store: &Store,
    m: &InboundMail,
    limits: &MailLimits,
) -> plateau_store::Result<InboundState> {
    let mut message_id = None;
    let outcome = match ingest(store, m, limits, &mut message_id).await {
        Ok(o) => o,
        Err(plateau_store::StoreError::Domain(plateau_core::DomainError::Invalid(fields))) => {
            Outcome::dead(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
        Err(e) => Outcome::dead(e.to_string()),
    };
    store
        .finish_mail(
            m.tenant_id,
            m.id,
            outcome.state,
            outcome.detail.as_deref(),
            outcome.conversation_id,
            outcome.message_uuid,
            message_id.as_deref(),
        )
        .await?;
    if outcome.state == InboundState::Dead {
        tracing::warn!(inbound = %m.id, reason = ?outcome.detail, "inbound mail: dead letter");
    }
    Ok(outcome.state)
}

async fn ingest(
    store: &Store,
    m: &InboundMail,
    limits: &MailLimits,
    message_id: &mut Option<String>,
) -> plateau_store::Result<Outcome> {
    let raw = store.inbound_raw(m.tenant_id, m.id).await?;
    let parsed = match mime::parse_with(&raw, limits) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::dead(e.to_string())),
    };
    let h = &parsed.headers;
    if let Some(mid) = &h.message_id {
        match store.claim_message_id(m.tenant_id, mid, m.id).await? {
            Claim::Duplicate => {
                return Ok(Outcome {
                    state: InboundState::Duplicate,
                    detail: Some(format!("Message-ID <{mid}> was already received")),
                    conversation_id: None,
                    message_uuid: None,
                })
            }
            // The same row got as far as its conversation before a crash:
            // the message is there; only the bookkeeping was missing.
            Claim::Mine {
                conversation_id: Some(c),
            } => {
                return Ok(Outcome {
                    state: InboundState::Ingested,
                    detail: Some("recovered after a restart".into()),
                    conversation_id: Some(c),
                    message_uuid: None,
                })
            }
            Claim::Mine {
                conversation_id: None,
            } => *message_id = Some(mid.clone()),
        }
    }
    let from = h.from.clone().unwrap_or_default();
    let customer = store
        .customer_by_identity(m.tenant_id, IdentityKind::Email, &from)
        .await?;

    let known = store
        .conversations_by_message_ids(m.tenant_id, &mail::replied_ids(h))
        .await?;
    let by_number = match (mail::subject_number(&h.subject), &customer) {
        (Some(n), Some(c)) => store
            .conversation_by_number(m.tenant_id, n)
            .await
            .ok()
            .filter(|conv| conv.customer_id == c.id),
        _ => None,
    };
    let thread = mail::thread(
        h,
        |id| known.iter().find(|(k, _)| k == id).map(|(_, c)| *c),
        |n| by_number.as_ref().filter(|c| c.number == n).map(|c| c.id),
    );
    let threaded = match thread {
        Thread::Existing { conversation, .. } => Some(conversation),
        Thread::New => None,
    };

    if let Some(verdict) = machine_mail(h) {
        return Ok(Outcome {
            state: InboundState::Machine,
            detail: Some(verdict.as_str().to_string()),
            conversation_id: threaded,
            message_uuid: None,
        });
    }

    let mut attachments = Vec::with_capacity(parsed.attachments.len());
    for (i, a) in parsed.attachments.iter().enumerate() {
        let key = format!("mail/{}/{}-{}", m.id, i + 1, a.file_name);
        let meta = store
            .put_blob(m.tenant_id, &key, &a.content_type, &a.data, None)
            .await?;
        attachments.push(Attachment {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: meta.size_bytes,
            blob_key: Some(meta.key),
        });
    }
    let team_id = store
        .mailbox(&normalise_address(&m.envelope_to))
        .await?
        .filter(|mb| mb.tenant_id == m.tenant_id)
        .and_then(|mb| mb.team_id);
    let language = guess_language(&parsed.text);
    let delivered = crate::inbound::deliver(
        store,
        crate::inbound::Arrival {
            tenant_id: m.tenant_id,
            channel: Channel::Email,
            thread: threaded,
            customer: customer.map(|c| c.id),
            name: parsed
                .from_name
                .clone()
                .unwrap_or_else(|| from.split('@').next().unwrap_or(&from).to_string()),
            identity: (IdentityKind::Email, from.clone()),
            language: Some(language),
            subject: if h.subject.is_empty() {
                "(no subject)".to_string()
            } else {
                h.subject.chars().take(200).collect()
            },
            body: fit_body(&parsed.text),
            attachments,
            team_id,
            tags: Vec::new(),
        },
    )
    .await?;
    if let Some(html) = parsed.html.as_deref().and_then(html::sanitise) {
        // The message is delivered: failing to keep its formatting must not
        // turn it into a dead letter. The text version is what counts.
        if let Err(e) = keep_html(store, m.tenant_id, &delivered, &html).await {
            tracing::warn!(inbound = %m.id, error = %e, "inbound mail: HTML version not kept");
        }
    }
    Ok(Outcome {
        state: InboundState::Ingested,
        detail: None,
        conversation_id: Some(delivered.conversation_id),
        message_uuid: delivered.message_id,
    })
}

/// Said at the end of a text cut to the longest message body.
pub const CUT_NOTE: &str =
    "\n\n[…] The message was longer; the original, kept with it, has the full text.";

/// The text as a message body: cut (with a note) when longer than a
/// message may be, since the whole message is kept as received anyway.
/// Control characters (a form feed, a stray NUL) are dropped: a message body
/// may not carry them, and they say nothing to a reader.
fn fit_body(text: &str) -> String {
    let max = plateau_core::validate::MAX_BODY;
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect();
    let text = cleaned.as_str();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max - CUT_NOTE.chars().count();
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(CUT_NOTE);
    out
}

async fn keep_html(
    store: &Store,
    tenant_id: Uuid,
    delivered: &crate::inbound::Delivered,
    html: &str,
) -> plateau_store::Result<()> {
    // A new conversation's one message is this mail.
    let message = match delivered.message_id {
        Some(id) => Some(id),
        None => store
            .messages(tenant_id, delivered.conversation_id, false)
            .await?
            .first()
            .map(|msg| msg.id),
    };
    if let Some(message) = message {
        store
            .put_message_html(tenant_id, delivered.conversation_id, message, html)
            .await?;
    }
    Ok(())
}

/// French or English from the most common short words: enough to pick the
/// search analyser and the reply templates; an advisor can correct it.
fn guess_language(text: &str) -> Language {
    const FR: &[&str] = &[
        "le", "la", "les", "de", "des", "et", "est", "je", "vous", "pas", "une", "mon", "ma",
        "pour", "bonjour", "merci",
    ];
    const EN: &[&str] = &[
        "the", "and", "is", "i", "you", "not", "my", "for", "to", "of", "hello", "thanks", "it",
        "with",
    ];
    let (mut fr, mut en) = (0, 0);
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .take(400)
        .map(str::to_lowercase)
    {
        fr += usize::from(FR.contains(&w.as_str()));
        en += usize::from(EN.contains(&w.as_str()));
    }
    if en > fr {
        Language::En
    } else {
        Language::Fr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, n: i64) -> InboundMail {
        InboundMail {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            source: "smtp".into(),
            envelope_from: from.into(),
            envelope_to: "support@acme.test".into(),
            message_id: None,
            subject: format!("{n}"),
            size_bytes: 0,
            state: InboundState::Pending,
            detail: None,
            conversation_id: None,
            message_uuid: None,
            attempts: 0,
            received_at: Timestamp(n),
            processed_at: None,
        }
    }

    #[test]
    fn a_senders_mail_stays_in_one_lane_in_arrival_order() {
        let froms = ["a@x", "b@x", "A@x", "c@x", "d@x", "e@x", "b@x", "a@x"];
        let pending: Vec<_> = froms
            .iter()
            .enumerate()
            .map(|(i, f)| mail(f, i as i64))
            .collect();
        let lanes = by_sender(pending, 4);
        assert_eq!(lanes.len(), 4);
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), froms.len());
        for lane in &lanes {
            let order: Vec<i64> = lane.iter().map(|m| m.received_at.0).collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "arrival order kept: {order:?}"
            );
        }
        let lane_of = |from: &str| {
            let from = from.to_ascii_lowercase();
            lanes
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    l.iter()
                        .any(|m| m.envelope_from.to_ascii_lowercase() == from)
                })
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        for f in ["a@x", "b@x", "c@x"] {
            assert_eq!(lane_of(f).len(), 1, "{f} is in exactly one lane");
        }
        assert_eq!(by_sender(vec![mail("a@x", 1)], 1).len(), 1);
        assert!(by_sender(Vec::new(), 4).is_empty());
    }

    #[test]
    fn a_long_text_is_cut_with_a_note() {
        let max = plateau_core::validate::MAX_BODY;
        assert_eq!(fit_body("short"), "short");
        assert_eq!(fit_body("page\u{c}two\u{0}\r\n\tend"), "pagetwo\r\n\tend");
        let long = "é".repeat(max + 10);
        let cut = fit_body(&long);
        assert_eq!(cut.chars().count(), max);
        assert!(cut.ends_with(CUT_NOTE));
        let exact = "a".repeat(max);
        assert_eq!(fit_body(&exact), exact);
    }

    #[test]
    fn language_follows_the_common_words() {
        assert_eq!(
            guess_language("Bonjour, ma box ne marche pas depuis hier. Merci"),
            Language::Fr
        );
        assert_eq!(
            guess_language("Hello, my router is not working and the light is red."),
            Language::En
        );
        assert_eq!(guess_language(""), Language::Fr);
    }
}
