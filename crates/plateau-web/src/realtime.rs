//! The per-user live stream (Server-Sent Events). Each connection sees only
//! events of the tenants its user belongs to, without internal notes for
//! read-only brand accounts, and offers only for their advisor and supervisors; `Last-Event-ID` replays what a reconnecting
//! browser missed, straight from the event log. Forum events go to those who
//! may read the forum, a forum notification to its one recipient only.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::Stream;
use plateau_core::event::Event;
use plateau_core::policy::{Action, Actor};
use tokio::sync::{broadcast, watch};

use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

fn visible(actor: &Actor, ev: &Event) -> bool {
    let Some(t) = ev.tenant_id else {
        return false;
    };
    if ev.is_forum() {
        if !actor.can(t, Action::ViewForum) {
            return false;
        }
        return match ev.recipient() {
            Some(user) => user == actor.user_id,
            None => ev.kind != plateau_core::event::kind::FORUM_NOTIFICATION,
        };
    }
    if !actor.can(t, Action::ViewConversations) {
        return false;
    }
    // An offer is the offered advisor's business, and their supervisors'.
    if ev.kind.starts_with("routing.offer") {
        let for_me = ev.payload.get("advisor_id").and_then(|a| a.as_str())
            == Some(actor.user_id.to_string().as_str());
        return for_me || actor.can(t, Action::ViewBoard);
    }
    !ev.is_internal() || actor.can(t, Action::ViewInternalNotes)
}

/// A replayed forum event may describe a post hidden since: its excerpt is
/// dropped for those who may not read hidden posts.
fn replayed(actor: &Actor, mut ev: Event) -> Event {
    if ev.is_forum() {
        let moderator = ev
            .tenant_id
            .is_some_and(|t| actor.can(t, Action::ModerateForum));
        if !moderator {
            if let Some(p) = ev.payload.as_object_mut() {
                p.remove("excerpt");
            }
        }
    }
    ev
}

fn to_sse(ev: &Event) -> SseEvent {
    SseEvent::default()
        .id(ev.id.to_string())
        .event(ev.kind.clone())
        .data(serde_json::to_string(ev).unwrap_or_default())
}

/// Live events for the caller, as `text/event-stream`.
#[utoipa::path(get, path = "/api/v1/events", tag = "realtime", responses((status = 200, content_type = "text/event-stream", description = "One SSE event per log entry the caller may see: `id` is the log id, `event` the kind, `data` the JSON event.")))]
pub async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, WebError> {
    // Subscribe before replaying so nothing falls between the two.
    let mut rx = state.events.subscribe();
    let mut typing = state.chat.subscribe_typing();
    let last_id: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let backlog = match last_id {
        Some(id) => state.store.events_after(id, 1000).await?,
        None => Vec::new(),
    };
    let mut shutdown = Some(state.stopping.subscribe());
    metrics::gauge!("plateau_sse_connections").increment(1.0);
    let store = state.store.clone();
    let user_id = user.user.id;
    let s = async_stream(move |y| async move {
        let mut actor = user.actor.clone();
        let mut sent = last_id.unwrap_or(0);
        for ev in backlog {
            sent = ev.id;
            if visible(&actor, &ev) && !y.send(to_sse(&replayed(&actor, ev))).await {
                return;
            }
        }
        let mut refresh = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(ev) => {
                        if ev.id <= sent { continue; }
                        sent = ev.id;
                        if visible(&actor, &ev) && !y.send(to_sse(&ev)).await { break; }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow a reader: tell the page to resync rather than drop silently.
                        if !y.send(SseEvent::default().event("resync").data("{}")).await { break; }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                t = typing.recv() => match t {
                    // A customer typing in the chat: a hint for the desk, not stored.
                    Ok(t) if t.from_customer && actor.can(t.tenant_id, Action::ViewConversations) => {
                        let data = serde_json::json!({"tenant_id": t.tenant_id, "conversation_id": t.conversation_id, "active": t.active});
                        if !y.send(SseEvent::default().event("chat.typing").data(data.to_string())).await { break; }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                },
                _ = refresh.tick() => {
                    // Roles can change while a page stays open; re-read them.
                    if let Ok(u) = store.user(user_id).await {
                        if u.disabled { break; }
                        if let Ok(a) = store.actor(&u).await { actor = a; }
                    }
                }
                _ = wait_shutdown(&mut shutdown) => break,
            }
        }
        metrics::gauge!("plateau_sse_connections").decrement(1.0);
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn wait_shutdown(rx: &mut Option<watch::Receiver<bool>>) {
    match rx {
        Some(rx) => {
            while !*rx.borrow() {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// A minimal generator: the producer sends items through a bounded channel.
struct Yielder(tokio::sync::mpsc::Sender<SseEvent>);

impl Yielder {
    async fn send(&self, ev: SseEvent) -> bool {
        self.0.send(ev).await.is_ok()
    }
}

fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(Yielder) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(Yielder(tx)));
    futures_util::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(rx),
        Ok::<SseEvent, Infallible>,
    )
}
