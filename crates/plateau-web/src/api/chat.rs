//! The web chat: the public WebSocket a brand's widget speaks to, the
//! advisor's typing signal, and the brand's on/off switch. A session's
//! messages join or open a chat conversation through `inbound::deliver`
//! (stored before they are acknowledged); advisors' replies on that
//! conversation, written on the desk as usual, are pushed back from the
//! event log. Typing is relayed both ways through `Hub` and never stored.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use plateau_core::channels::chat::{
    self, ChatLine, ClientFrame, FrameError, RateLimit, ServerFrame,
};
use plateau_core::event::{kind, Event};
use plateau_core::model::{Channel, Direction, IdentityKind, Message, Status};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::chat::{ChatSession, LIVE, OFFLINE};
use plateau_store::Store;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_by_slug, tenant_for, ApiJson};
use crate::auth::{digest, random_token, CurrentUser};
use crate::error::WebError;
use crate::AppState;

/// Someone is typing in a chat conversation. Lives only in this process.
#[derive(Debug, Clone)]
pub struct Typing {
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    /// The customer (shown to advisors) or an advisor (shown in the widget).
    pub from_customer: bool,
    pub active: bool,
    pub name: Option<String>,
}

/// What chat connections of this process share: the typing relay and the
/// count of live connections per client address.
pub struct Hub {
    typing: broadcast::Sender<Typing>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max_per_ip: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            typing: broadcast::channel(1024).0,
            per_ip: Mutex::new(HashMap::new()),
            max_per_ip: AtomicUsize::new(chat::MAX_SESSIONS_PER_IP),
        }
    }
}

impl Hub {
    pub fn subscribe_typing(&self) -> broadcast::Receiver<Typing> {
        self.typing.subscribe()
    }

    /// Raises or lowers the per-address limit (a load test opens a thousand
    /// sessions from one address).
    pub fn set_max_sessions_per_ip(&self, n: usize) {
        self.max_per_ip.store(n, Ordering::Relaxed);
    }

    fn signal(&self, t: Typing) {
        // Nobody listening is not an error: typing is best effort.
        let _ = self.typing.send(t);
    }

    fn claim(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let mut m = self.per_ip.lock().ok()?;
        let n = m.entry(ip).or_insert(0);
        if *n >= self.max_per_ip.load(Ordering::Relaxed) {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            hub: self.clone(),
            ip,
        })
    }
}

/// One live connection counted against its address until dropped.
struct IpSlot {
    hub: Arc<Hub>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.hub.per_ip.lock() {
            if let Some(n) = m.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    m.remove(&self.ip);
                }
            }
        }
    }
}

/// A frame larger than this is dropped by the WebSocket layer itself; up to
/// it, the session reads it and answers `frame_too_large`.
const WIRE_LIMIT: usize = 64 * 1024;

#[utoipa::path(get, path = "/api/v1/public/{tenant}/chat", tag = "public", params(("tenant" = String, Path)), responses((status = 101, description = "WebSocket: JSON frames, see docs/channels.md"), (status = 404, body = crate::error::Problem, description = "unknown brand, or its chat is off"), (status = 429, body = crate::error::Problem, description = "too many chat sessions from this address")))]
pub async fn connect(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Result<Response, WebError> {
    let tenant = tenant_by_slug(&state, &slug).await?;
    if !state.store.chat_enabled(tenant.id).await? {
        return Err(DomainError::NotFound("chat").into());
    }
    let slot = state.chat.claim(addr.ip()).ok_or(WebError::Request {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "too_many_sessions",
        detail: "too many chat sessions from this address".into(),
    })?;
    Ok(ws
        .max_message_size(WIRE_LIMIT)
        .max_frame_size(WIRE_LIMIT)
        .on_upgrade(move |socket| async move {
            let mut s = Session::new(state, tenant.id);
            if let Err(e) = s.run(socket).await {
                tracing::warn!(error = %e, "chat session ended on an error");
            }
            drop(slot);
        }))
}

struct Session {
    state: AppState,
    tenant_id: Uuid,
    record: Option<ChatSession>,
    name: String,
    email: Option<String>,
    rate: RateLimit,
    /// Advisors' display names by id, for the widget.
    authors: HashMap<Uuid, String>,
    assignee: Option<Uuid>,
}

enum Flow {
    Continue,
    Stop,
}

fn now_ms() -> i64 {
    Timestamp::now().0 / 1000
}

fn line(m: &Message, author: Option<String>) -> ChatLine {
    ChatLine {
        id: m.id.to_string(),
        from: if m.direction == Direction::Inbound {
            "customer".into()
        } else {
            "agent".into()
        },
        text: m.body.clone(),
        at: m.created_at.rfc3339(),
        author,
    }
}

async fn send(socket: &mut WebSocket, f: &ServerFrame) -> bool {
    match serde_json::to_string(f) {
        Ok(s) => socket.send(WsMessage::Text(s.into())).await.is_ok(),
        Err(_) => false,
    }
}

fn error_frame(e: &FrameError) -> ServerFrame {
    ServerFrame::Error {
        code: e.code.to_string(),
        message: e.message.clone(),
    }
}

fn refuse(code: &'static str, message: impl Into<String>) -> FrameError {
    FrameError {
        code,
        message: message.into(),
        fatal: false,
    }
}

impl Session {
    fn new(state: AppState, tenant_id: Uuid) -> Self {
        Session {
            state,
            tenant_id,
            record: None,
            name: String::new(),
            email: None,
            rate: RateLimit::new(now_ms()),
            authors: HashMap::new(),
            assignee: None,
        }
    }

    fn store(&self) -> &Store {
        &self.state.store
    }

    fn conversation(&self) -> Option<Uuid> {
        self.record.as_ref().and_then(|r| r.conversation_id)
    }

    async fn run(&mut self, mut socket: WebSocket) -> anyhow::Result<()> {
        // Subscribe first, so that a reply written just after the hello is seen.
        let mut events = self.state.events.subscribe();
        let mut typing = self.state.chat.subscribe_typing();
        let mut stopping = self.state.stopping.subscribe();
        let mut closing: Option<(&'static str, String)> = None;
        loop {
            tokio::select! {
                m = socket.recv() => {
                    let Some(Ok(m)) = m else { break };
                    let text = match m {
                        WsMessage::Text(t) => t.to_string(),
                        WsMessage::Binary(_) => {
                            let e = refuse("bad_json", "frames are JSON text");
                            if !send(&mut socket, &error_frame(&e)).await { break; }
                            continue;
                        }
                        WsMessage::Close(_) => break,
                        _ => continue,
                    };
                    match self.frame(&mut socket, &text).await {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Stop) => { closing = Some(("bye", String::new())); break; }
                        Err(e) => {
                            let _ = send(&mut socket, &error_frame(&e)).await;
                            if e.fatal {
                                closing = Some((e.code, e.message));
                                break;
                            }
                        }
                    }
                }
                ev = events.recv() => match ev {
                    Ok(ev) => if !self.event(&mut socket, &ev).await { break },
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Replies may have been missed: resend the history.
                        if !self.resync(&mut socket).await { break }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                t = typing.recv() => match t {
                    Ok(t) => {
                        if !t.from_customer && t.tenant_id == self.tenant_id && Some(t.conversation_id) == self.conversation()
                            && !send(&mut socket, &ServerFrame::Typing { active: t.active, name: t.name }).await {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                },
                _ = stopping.changed() => { closing = Some(("going_away", "the server is restarting".into())); break; }
            }
        }
        if let Some((why, _)) = closing {
            let code = match why {
                "frame_too_large" => 1009,
                "going_away" => 1001,
                _ => 1000,
            };
            let _ = socket
                .send(WsMessage::Close(Some(CloseFrame {
                    code,
                    reason: why.into(),
                })))
                .await;
        }
        if let Some(r) = &self.record {
            if let Some(c) = r.conversation_id {
                self.state.chat.signal(Typing {
                    tenant_id: self.tenant_id,
                    conversation_id: c,
                    from_customer: true,
                    active: false,
                    name: None,
                });
            }
            let _ = self.store().touch_chat_session(r.id, None).await;
        }
        Ok(())
    }

    async fn frame(&mut self, socket: &mut WebSocket, text: &str) -> Result<Flow, FrameError> {
        let f = chat::parse_frame(text)?;
        if self.record.is_none() && !matches!(f, ClientFrame::Hello { .. }) {
            return Err(refuse("hello_first", "say hello first"));
        }
        match f {
            ClientFrame::Hello {
                token, name, email, ..
            } => {
                if self.record.is_some() {
                    return Err(refuse("already_greeted", "this session has said hello"));
                }
                let (name, email) = chat::visitor(name.as_deref(), email.as_deref())?;
                self.name = name;
                self.email = email;
                let welcome = self.hello(token.as_deref()).await?;
                let offline = matches!(&welcome, ServerFrame::Welcome { open: false, .. });
                let reopens_at = match &welcome {
                    ServerFrame::Welcome { reopens_at, .. } => reopens_at.clone(),
                    _ => None,
                };
                send(socket, &welcome).await;
                if offline {
                    send(
                        socket,
                        &ServerFrame::Offline {
                            reopens_at,
                            email_required: self.email.is_none(),
                        },
                    )
                    .await;
                }
            }
            ClientFrame::Message { text, client_id } => {
                if !self.rate.allow(now_ms()) {
                    return Err(refuse("rate_limited", "too many messages; wait a moment"));
                }
                let text = chat::message_text(&text)?;
                let m = self.message(text).await?;
                send(
                    socket,
                    &ServerFrame::Message {
                        line: line(&m, None),
                        client_id,
                    },
                )
                .await;
            }
            ClientFrame::Typing { active } => {
                if let Some(c) = self.conversation() {
                    self.state.chat.signal(Typing {
                        tenant_id: self.tenant_id,
                        conversation_id: c,
                        from_customer: true,
                        active,
                        name: Some(self.name.clone()).filter(|n| !n.is_empty()),
                    });
                }
            }
            ClientFrame::Read { .. } => {
                if let Some(r) = &self.record {
                    self.store()
                        .touch_chat_session(r.id, None)
                        .await
                        .map_err(internal)?;
                }
            }
            ClientFrame::Bye => {
                if let Some(r) = &self.record {
                    self.store()
                        .touch_chat_session(r.id, Some(plateau_store::chat::ENDED))
                        .await
                        .map_err(internal)?;
                }
                send(
                    socket,
                    &ServerFrame::Closed {
                        reason: "bye".into(),
                    },
                )
                .await;
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    async fn hello(&mut self, token: Option<&str>) -> Result<ServerFrame, FrameError> {
        let avail =
            super::availability::availability(&self.state, self.tenant_id, Timestamp::now())
                .await
                .map_err(|_| refuse("internal", "please try again"))?;
        let reopens_at = avail.reopens_at.map(Timestamp::rfc3339);
        let (record, new_token) = match token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => {
                let r = self
                    .store()
                    .chat_session_by_token(self.tenant_id, &digest(t))
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| {
                        refuse(
                            "unknown_session",
                            "this chat session is not known here; start a new one",
                        )
                    })?;
                (r, None)
            }
            None => {
                let t = random_token(32);
                let state = if avail.open_now { LIVE } else { OFFLINE };
                let r = self
                    .store()
                    .create_chat_session(self.tenant_id, &digest(&t), state)
                    .await
                    .map_err(internal)?;
                (r, Some(t))
            }
        };
        let mut history = Vec::new();
        if let Some(c) = record.conversation_id {
            let conv = self
                .store()
                .conversation(self.tenant_id, c)
                .await
                .map_err(internal)?;
            self.assignee = conv.assignee_id;
            let msgs = self
                .store()
                .messages(self.tenant_id, c, false)
                .await
                .map_err(internal)?;
            for m in &msgs {
                let author = self.author(m).await;
                history.push(line(m, author));
            }
        }
        let resumed = new_token.is_none();
        let session_id = record.id.to_string();
        self.store()
            .touch_chat_session(record.id, None)
            .await
            .map_err(internal)?;
        // A session that left a message out of hours stays a message
        // conversation (replies go by e-mail), even if it reconnects later.
        let open = avail.open_now && record.state != OFFLINE;
        self.record = Some(record);
        Ok(ServerFrame::Welcome {
            session_id,
            token: new_token,
            resumed,
            open,
            reopens_at: if open { None } else { reopens_at },
            history,
        })
    }

    /// Stores the customer's message, opening the conversation with the
    /// first one; returns it once it is committed.
    async fn message(&mut self, text: String) -> Result<Message, FrameError> {
        let Some(record) = self.record.clone() else {
            return Err(refuse("hello_first", "say hello first"));
        };
        let offline = record.state == OFFLINE;
        if offline && self.email.is_none() {
            return Err(refuse(
                "email_required",
                "we are closed: leave your e-mail address so that we can answer",
            ));
        }
        let store = self.store().clone();
        let t = self.tenant_id;
        let (customer, identity) = match &self.email {
            Some(e) => (
                store
                    .customer_by_identity(t, IdentityKind::Email, e)
                    .await
                    .map_err(internal)?
                    .map(|c| c.id),
                (IdentityKind::Email, e.clone()),
            ),
            // An anonymous visitor is a customer of their own, known by the session.
            None => (
                None,
                (
                    IdentityKind::Social,
                    format!("webchat:@{}", record.id.simple()),
                ),
            ),
        };
        let customer = match (customer, record.customer_id) {
            (Some(c), _) => Some(c),
            (None, Some(c)) if self.email.is_none() => Some(c),
            _ => None,
        };
        let mut tags = vec!["chat".to_string()];
        if offline {
            tags.push("offline".into());
        }
        let name = if self.name.is_empty() {
            match &self.email {
                Some(e) => e.clone(),
                None => "Chat visitor".into(),
            }
        } else {
            self.name.clone()
        };
        let d = crate::inbound::deliver(
            &store,
            crate::inbound::Arrival {
                tenant_id: t,
                channel: Channel::Chat,
                thread: record.conversation_id,
                customer,
                identity,
                name,
                language: None,
                subject: text.chars().take(80).collect(),
                body: text,
                attachments: Vec::new(),
                team_id: None,
                tags,
            },
        )
        .await
        .map_err(|e| match e {
            plateau_store::StoreError::Domain(d) => refuse("bad_message", d.to_string()),
            other => internal(other),
        })?;
        let m = match d.message_id {
            Some(id) => store
                .messages(t, d.conversation_id, false)
                .await
                .map_err(internal)?
                .into_iter()
                .rev()
                .find(|m| m.id == id),
            None => store
                .messages(t, d.conversation_id, false)
                .await
                .map_err(internal)?
                .into_iter()
                .next(),
        }
        .ok_or_else(|| refuse("internal", "the message was stored but cannot be read back"))?;
        if record.conversation_id != Some(d.conversation_id) {
            let conv = store
                .conversation(t, d.conversation_id)
                .await
                .map_err(internal)?;
            store
                .attach_chat_session(record.id, conv.id, conv.customer_id)
                .await
                .map_err(internal)?;
            if let Some(r) = &mut self.record {
                r.conversation_id = Some(conv.id);
                r.customer_id = Some(conv.customer_id);
            }
            self.assignee = conv.assignee_id;
        }
        Ok(m)
    }

    async fn author(&mut self, m: &Message) -> Option<String> {
        let id = m.author_id?;
        if m.direction == Direction::Inbound {
            return None;
        }
        if let Some(n) = self.authors.get(&id) {
            return Some(n.clone());
        }
        let n = self.store().user(id).await.ok()?.display_name;
        self.authors.insert(id, n.clone());
        Some(n)
    }

    /// Pushes what the desk did on this session's conversation.
    async fn event(&mut self, socket: &mut WebSocket, ev: &Event) -> bool {
        let Some(conv) = self.conversation() else {
            return true;
        };
        if ev.tenant_id != Some(self.tenant_id) || ev.subject_id != Some(conv) {
            return true;
        }
        if ev.kind == kind::MESSAGE_ADDED {
            let dir = ev.payload.get("direction").and_then(|d| d.as_str());
            if dir != Some("outbound") {
                return true;
            }
            let Some(id) = ev
                .payload
                .get("message_id")
                .and_then(|m| m.as_str())
                .and_then(|m| m.parse::<Uuid>().ok())
            else {
                return true;
            };
            let Ok(msgs) = self.store().messages(self.tenant_id, conv, false).await else {
                return true;
            };
            let Some(m) = msgs.into_iter().rev().find(|m| m.id == id) else {
                return true;
            };
            let author = self.author(&m).await;
            return send(
                socket,
                &ServerFrame::Message {
                    line: line(&m, author),
                    client_id: None,
                },
            )
            .await;
        }
        if ev.kind == kind::CONVERSATION_UPDATED {
            let changes = ev.payload.get("changes");
            let assignee = changes
                .and_then(|c| c.get("assignee_id"))
                .and_then(|a| a.get("to"))
                .and_then(|a| a.as_str())
                .and_then(|a| a.parse::<Uuid>().ok());
            if let Some(a) = assignee {
                if self.assignee != Some(a) {
                    self.assignee = Some(a);
                    if let Ok(u) = self.store().user(a).await {
                        if !send(
                            socket,
                            &ServerFrame::AgentJoined {
                                name: u.display_name,
                            },
                        )
                        .await
                        {
                            return false;
                        }
                    }
                }
            }
            let closed = changes
                .and_then(|c| c.get("status"))
                .and_then(|s| s.get("to"))
                .and_then(|s| s.as_str())
                == Some(Status::Closed.as_str());
            if closed {
                return send(
                    socket,
                    &ServerFrame::Closed {
                        reason: "closed_by_agent".into(),
                    },
                )
                .await;
            }
        }
        true
    }

    /// After missing events, sends the advisors' messages again; the widget
    /// drops lines it already shows (same id).
    async fn resync(&mut self, socket: &mut WebSocket) -> bool {
        let Some(conv) = self.conversation() else {
            return true;
        };
        let Ok(msgs) = self.store().messages(self.tenant_id, conv, false).await else {
            return true;
        };
        for m in msgs.iter().filter(|m| m.direction == Direction::Outbound) {
            let author = self.author(m).await;
            if !send(
                socket,
                &ServerFrame::Message {
                    line: line(m, author),
                    client_id: None,
                },
            )
            .await
            {
                return false;
            }
        }
        true
    }
}

fn internal(e: impl std::fmt::Display) -> FrameError {
    tracing::warn!(error = %e, "chat: storage failed");
    refuse(
        "internal",
        "the message could not be stored; please try again",
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingIn {
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The advisor is typing a reply: shown in the customer's widget, not stored.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/typing", tag = "channels", params(("tenant" = String, Path), ("id" = String, Path)), request_body = TypingIn, responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn agent_typing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<TypingIn>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::Reply).await?;
    let id = parse_id(&id, "conversation")?;
    let c = state.store.conversation(t.id, id).await?;
    state.chat.signal(Typing {
        tenant_id: t.id,
        conversation_id: c.id,
        from_customer: false,
        active: body.active,
        name: Some(user.user.display_name.clone()),
    });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSettingsOut {
    pub enabled: bool,
    /// The tag to paste into the brand's pages (origin left to the caller).
    pub snippet: String,
}

pub fn snippet(origin: &str, slug: &str) -> String {
    format!(r#"<script src="{origin}/widget.js" data-tenant="{slug}" async></script>"#)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/chat", tag = "channels", params(("tenant" = String, Path)), responses((status = 200, body = ChatSettingsOut)))]
pub async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<ChatSettingsOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    Ok(Json(ChatSettingsOut {
        enabled: state.store.chat_enabled(t.id).await?,
        snippet: snippet("https://YOUR-PLATEAU-HOST", &t.slug),
    }))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/chat", tag = "channels", params(("tenant" = String, Path)), request_body = ChatSettings, responses((status = 200, body = ChatSettingsOut), (status = 403, body = crate::error::Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ChatSettings>,
) -> Result<Json<ChatSettingsOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    state
        .store
        .set_chat_enabled(t.id, body.enabled, Some(user.user.id))
        .await?;
    Ok(Json(ChatSettingsOut {
        enabled: body.enabled,
        snippet: snippet("https://YOUR-PLATEAU-HOST", &t.slug),
    }))
}

/// Queues the e-mail of replies to messages left out of hours: after each
/// advisor reply in a chat, and every half minute for replies written while
/// no server was watching.
pub fn spawn_followups(
    store: Store,
    events: &broadcast::Sender<Event>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut tail = events.subscribe();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                ev = tail.recv() => match ev {
                    Ok(ev) => {
                        let p = &ev.payload;
                        let chat_reply = ev.kind == kind::MESSAGE_ADDED
                            && p.get("direction").and_then(|d| d.as_str()) == Some("outbound")
                            && p.get("channel").and_then(|d| d.as_str()) == Some("chat");
                        if !chat_reply { continue; }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => {}
                _ = stopping.changed() => return,
            }
            if let Err(e) = store.queue_chat_followups().await {
                tracing::warn!(error = %e, "chat: queueing e-mail follow-ups failed");
            }
        }
    });
}
