//! Conversations: the inbox list with filters and cursor pagination, creation,
//! the detail with its cross-channel timeline, replies and notes, and updates
//! (status, priority, assignee, team, tags, reason).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::event::Event;
use plateau_core::model::{Channel, Conversation, Customer, Direction, Message, Priority, Status};
use plateau_core::policy::Action;
use plateau_core::DomainError;
use plateau_store::conversations::{
    AssigneeFilter, ConversationPatch, Cursor, CustomerRef, InboxFilter, NewConversation,
    NewMessage,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::customers::NewCustomerIn;
use super::{double_option, parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `mine`, `unassigned` or `all` (default).
    pub view: Option<String>,
    /// Comma-separated statuses, or `active` for new, open and pending.
    pub status: Option<String>,
    pub channel: Option<Channel>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub tag: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    /// `activity` (default: the latest activity first) or `sla_due` (only
    /// conversations with a running SLA clock, the one due first on top;
    /// breached ones come first of all).
    pub sort: Option<String>,
}

/// Turns list parameters into a store filter; shared with the inbox page.
pub fn filter_from(q: &ListQuery, me: Uuid) -> Result<InboxFilter, WebError> {
    let mut v = plateau_core::error::Validator::new();
    let assignee = match (q.view.as_deref(), q.assignee_id) {
        (_, Some(id)) => AssigneeFilter::User(id),
        (Some("mine"), None) => AssigneeFilter::User(me),
        (Some("unassigned"), None) => AssigneeFilter::Unassigned,
        (None | Some("all") | Some("team") | Some(""), None) => AssigneeFilter::Any,
        (Some(other), None) => {
            v.push(
                "view",
                format!("unknown view '{other}': expected mine, team, unassigned or all"),
            );
            AssigneeFilter::Any
        }
    };
    let mut statuses = Vec::new();
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        for part in s.split(',') {
            match part.trim() {
                "active" => statuses.extend([Status::New, Status::Open, Status::Pending]),
                p => {
                    if let Some(st) = v.check("status", p.parse::<Status>()) {
                        statuses.push(st);
                    }
                }
            }
        }
    }
    let by_sla_due = match q.sort.as_deref() {
        None | Some("") | Some("activity") => false,
        Some("sla_due") => true,
        Some(other) => {
            v.push(
                "sort",
                format!("unknown sort '{other}': expected activity or sla_due"),
            );
            false
        }
    };
    v.finish()?;
    Ok(InboxFilter {
        by_sla_due,
        assignee,
        team_id: q.team_id,
        statuses,
        channel: q.channel,
        customer_id: q.customer_id,
        tag: q.tag.clone().filter(|t| !t.is_empty()),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ConversationPage {
    pub items: Vec<Conversation>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The most urgent running SLA clock of each listed conversation that
    /// has one: metric, `due_at`, `warning`, `breached` (kept by the SLA
    /// watcher within moments of each change).
    #[schema(value_type = Vec<Object>)]
    pub sla: Vec<plateau_store::sla::SlaDue>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations", tag = "conversations", params(("tenant" = String, Path), ListQuery), responses((status = 200, body = ConversationPage), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ConversationPage>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let f = filter_from(&q, user.user.id)?;
    let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = state
        .store
        .conversations(t.id, &f, cursor, q.limit.unwrap_or(50))
        .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
    let sla = state.store.sla_dues(t.id, &ids).await?;
    Ok(Json(ConversationPage {
        items: page.items,
        next_cursor: page.next_cursor,
        sla,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationIn {
    /// An existing customer of this tenant…
    pub customer_id: Option<Uuid>,
    /// …or a new one.
    pub customer: Option<NewCustomerIn>,
    pub subject: String,
    pub channel: Channel,
    /// `inbound` (default) when the customer reached out, `outbound` when we did.
    pub direction: Option<Direction>,
    /// The first message.
    pub body: String,
    pub priority: Option<Priority>,
    pub reason: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations", tag = "conversations", params(("tenant" = String, Path)), request_body = NewConversationIn, responses((status = 201, body = Conversation), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewConversationIn>,
) -> Result<(StatusCode, Json<Conversation>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    if body.assignee_id.is_some() {
        user.actor.may_assign(t.id, body.assignee_id)?;
    }
    let customer = match (body.customer_id, body.customer) {
        (Some(id), None) => CustomerRef::Existing(id),
        (None, Some(c)) => CustomerRef::New(c.into_domain()),
        _ => {
            return Err(DomainError::field(
                "customer",
                "give exactly one of customer_id or customer",
            )
            .into())
        }
    };
    let new = NewConversation {
        customer,
        subject: body.subject,
        channel: body.channel,
        direction: body.direction.unwrap_or(Direction::Inbound),
        body: body.body,
        priority: body.priority.unwrap_or(Priority::Normal),
        reason: body.reason,
        tags: body.tags,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
        language: None,
        attachments: Vec::new(),
        at: None,
    };
    let c = state
        .store
        .create_conversation(t.id, new, Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub customer: Customer,
    /// Every message across channels, oldest first. Internal notes are
    /// omitted for roles that may not see them.
    pub messages: Vec<Message>,
    /// How each e-mail reply's delivery stands, by message id.
    pub deliveries: Vec<Delivery>,
    /// The SLA clocks under the brand's policy for this channel and
    /// priority: each metric's state (idle, running, paused, stopped), when
    /// it is due or breached, and whether it is in the warning window.
    #[schema(value_type = Vec<Object>)]
    pub sla: Vec<plateau_core::sla::conversation::MetricStatus>,
}

/// The delivery of one reply to the customer: by e-mail, or posted to the
/// network through the connector the conversation came from.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    pub message_id: Uuid,
    /// `email` or `connector`.
    pub via: &'static str,
    /// The e-mail address, or the connector's name.
    pub to_address: String,
    /// queued (waiting or between retries), sending, sent or failed.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>)]
    pub next_attempt_at: Option<plateau_core::Timestamp>,
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<plateau_core::Timestamp>,
}

/// Every reply's delivery in a conversation, whichever way it goes out.
pub async fn deliveries(
    state: &AppState,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Vec<Delivery>, WebError> {
    let mail = state.store.conversation_outbound(tenant_id, id).await?;
    let network = state
        .store
        .conversation_network_replies(tenant_id, id)
        .await?;
    let connectors = if network.is_empty() {
        Vec::new()
    } else {
        state.store.connectors(tenant_id).await?
    };
    let mut out: Vec<Delivery> = mail
        .into_iter()
        .map(|o| Delivery {
            next_attempt_at: (o.state == "queued").then_some(o.next_attempt_at),
            message_id: o.message_id,
            via: "email",
            to_address: o.to_address,
            state: o.state,
            attempts: o.attempts,
            last_error: o.last_error,
            sent_at: o.sent_at,
        })
        .collect();
    out.extend(network.into_iter().map(|o| {
        Delivery {
            next_attempt_at: (o.state == "queued").then_some(o.next_attempt_at),
            message_id: o.message_id,
            via: "connector",
            to_address: connectors
                .iter()
                .find(|c| Some(c.id) == o.connector_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            state: o.state,
            attempts: o.attempts,
            last_error: o.last_error,
            sent_at: o.sent_at,
        }
    }));
    Ok(out)
}

pub async fn load_detail(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ConversationDetail, WebError> {
    let conversation = state.store.conversation(tenant_id, id).await?;
    let customer = state
        .store
        .customer(tenant_id, conversation.customer_id)
        .await?;
    let notes = user.actor.can(tenant_id, Action::ViewInternalNotes);
    let messages = state.store.messages(tenant_id, id, notes).await?;
    let deliveries = deliveries(state, tenant_id, id).await?;
    let sla = super::sla::conversation_sla(
        &state.store,
        &conversation,
        &messages,
        plateau_core::Timestamp::now(),
    )
    .await?;
    Ok(ConversationDetail {
        conversation,
        customer,
        messages,
        deliveries,
        sla,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}", tag = "conversations", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = ConversationDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<ConversationDetail>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let id = parse_id(&id, "conversation")?;
    Ok(Json(load_detail(&state, &user, t.id, id).await?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PatchIn {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<Option<String>>,
    /// `null` unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    pub subject: Option<String>,
}

/// Checks each requested change against the role that governs it, then applies.
pub async fn apply_patch(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    id: Uuid,
    p: PatchIn,
) -> Result<Conversation, WebError> {
    let a = &user.actor;
    if p.status.is_some() {
        a.require(tenant_id, Action::ChangeStatus)?;
    }
    if let Some(assignee) = p.assignee_id {
        a.may_assign(tenant_id, assignee)?;
    }
    if p.priority.is_some()
        || p.reason.is_some()
        || p.team_id.is_some()
        || p.tags.is_some()
        || p.subject.is_some()
    {
        a.require(tenant_id, Action::EditConversation)?;
    }
    if p.status.is_none()
        && p.assignee_id.is_none()
        && p.priority.is_none()
        && p.reason.is_none()
        && p.team_id.is_none()
        && p.tags.is_none()
        && p.subject.is_none()
    {
        return Err(DomainError::field("body", "nothing to change").into());
    }
    let patch = ConversationPatch {
        status: p.status,
        priority: p.priority,
        reason: p.reason,
        assignee_id: p.assignee_id,
        team_id: p.team_id,
        tags: p.tags,
        subject: p.subject,
    };
    Ok(state
        .store
        .update_conversation(tenant_id, id, patch, Some(user.user.id))
        .await?)
}

#[utoipa::path(patch, path = "/api/v1/tenants/{tenant}/conversations/{id}", tag = "conversations", params(("tenant" = String, Path), ("id" = String, Path)), request_body = PatchIn, responses((status = 200, body = Conversation), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(p): ApiJson<PatchIn>,
) -> Result<Json<Conversation>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let id = parse_id(&id, "conversation")?;
    Ok(Json(apply_patch(&state, &user, t.id, id, p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessageIn {
    /// `outbound` for a reply to the customer (default), `note` for an internal
    /// note, `inbound` to log what the customer said (e.g. on the phone).
    pub direction: Option<Direction>,
    pub body: String,
    /// Defaults to the conversation's current channel.
    pub channel: Option<Channel>,
    /// Status to set with a reply, e.g. `pending` or `resolved`.
    pub status: Option<Status>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub message: Message,
    pub conversation: Conversation,
}

pub async fn post_message(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    id: Uuid,
    body: NewMessageIn,
) -> Result<MessageOut, WebError> {
    let direction = body.direction.unwrap_or(Direction::Outbound);
    match direction {
        Direction::Note => user.actor.require(tenant_id, Action::AddNote)?,
        _ => user.actor.require(tenant_id, Action::Reply)?,
    }
    if body.status.is_some() {
        user.actor.require(tenant_id, Action::ChangeStatus)?;
    }
    let current = state.store.conversation(tenant_id, id).await?;
    let new = NewMessage {
        direction,
        channel: body.channel.unwrap_or(current.channel),
        author_id: if direction == Direction::Inbound {
            None
        } else {
            Some(user.user.id)
        },
        body: body.body,
        attachments: Vec::new(),
        then_status: body.status,
        at: None,
    };
    let (message, conversation) = state
        .store
        .add_message(tenant_id, id, new, Some(user.user.id))
        .await?;
    Ok(MessageOut {
        message,
        conversation,
    })
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/messages", tag = "conversations", params(("tenant" = String, Path), ("id" = String, Path)), request_body = NewMessageIn, responses((status = 201, body = MessageOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn add_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewMessageIn>,
) -> Result<(StatusCode, Json<MessageOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let id = parse_id(&id, "conversation")?;
    Ok((
        StatusCode::CREATED,
        Json(post_message(&state, &user, t.id, id, body).await?),
    ))
}

/// The conversation's history of changes (who assigned, who changed status, when).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/events", tag = "conversations", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = Vec<Object>)))]
pub async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<Event>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let id = parse_id(&id, "conversation")?;
    state.store.conversation(t.id, id).await?;
    let notes = user.actor.can(t.id, Action::ViewInternalNotes);
    let evs = state.store.subject_events(t.id, id).await?;
    Ok(Json(
        evs.into_iter()
            .filter(|e| notes || !e.is_internal())
            .collect(),
    ))
}
