//! Callback appointments in a conversation: schedule (validated in
//! `routing::handoff`, times read in the customer's zone with jiff), list per
//! conversation and per brand, cancel, mark done. The tenant's router hears of
//! each through the event log and offers the callback when it is due.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::model::Role;
use plateau_core::policy::Action;
use plateau_core::routing::handoff::{self, CallbackInput};
use plateau_core::{DomainError, Timestamp};
use plateau_store::callbacks::{self, Callback, NewCallback};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackIn {
    /// E.164, e.g. +33612345678.
    pub phone_number: String,
    /// RFC 3339 (`2026-12-04T09:00:00Z`) or local to `time_zone` (`2026-12-04T10:00`).
    pub not_before: String,
    /// Same forms as `not_before`; must be after it.
    pub deadline: String,
    /// The customer's IANA zone, e.g. Europe/Paris.
    pub time_zone: String,
    /// Who should call; by default the conversation's advisor (or the creator).
    #[serde(default)]
    pub preferred_advisor_id: Option<Uuid>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub callback: Callback,
    /// `not_before` and `deadline` as local times in the customer's zone.
    pub local_not_before: String,
    pub local_deadline: String,
    /// Still scheduled or offered after its deadline (the router marks it
    /// missed; without routing nobody does).
    pub late: bool,
}

fn local(t: Timestamp, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_microsecond(t.0)
        .map(|ts| ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

pub fn out(c: Callback, now: Timestamp) -> CallbackOut {
    CallbackOut {
        local_not_before: local(c.not_before, &c.time_zone),
        local_deadline: local(c.deadline, &c.time_zone),
        late: matches!(c.state.as_str(), "scheduled" | "offered") && c.deadline <= now,
        callback: c,
    }
}

/// An instant as RFC 3339, or a local date and time in `zone`.
fn instant(value: &str, zone: Option<&jiff::tz::TimeZone>) -> Result<Timestamp, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("give a date and time".into());
    }
    if let Ok(ts) = jiff::Timestamp::from_str(v) {
        return Ok(Timestamp(ts.as_microsecond()));
    }
    let dt = jiff::civil::DateTime::from_str(v)
        .map_err(|_| format!("'{v}' is not a date and time like 2026-12-04T10:00"))?;
    let tz = zone.ok_or("a local time needs a valid time zone")?;
    dt.to_zoned(tz.clone())
        .map(|z| Timestamp(z.timestamp().as_microsecond()))
        .map_err(|e| format!("'{v}' does not exist in that zone: {e}"))
}

/// Validates and stores a callback for conversation `conversation_id`.
pub async fn schedule(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    conversation_id: Uuid,
    body: CallbackIn,
) -> Result<Callback, WebError> {
    let c = state.store.conversation(tenant_id, conversation_id).await?;
    let zone = jiff::tz::TimeZone::get(body.time_zone.trim()).ok();
    let req = handoff::callback(
        Timestamp::now(),
        CallbackInput {
            phone_number: &body.phone_number,
            time_zone: &body.time_zone,
            zone_known: zone.is_some(),
            not_before: instant(&body.not_before, zone.as_ref()),
            deadline: instant(&body.deadline, zone.as_ref()),
            note: body.note.as_deref().unwrap_or(""),
        },
    )?;
    let preferred =
        match body.preferred_advisor_id {
            Some(id) => {
                let ok =
                    state.store.members(tenant_id).await?.iter().any(|m| {
                        m.user.id == id && !m.user.disabled && m.role != Role::ClientViewer
                    });
                if !ok {
                    return Err(DomainError::field(
                        "preferred_advisor_id",
                        "not an advisor of this brand",
                    )
                    .into());
                }
                Some(id)
            }
            None => c.assignee_id.or(Some(user.user.id)),
        };
    let cb = state
        .store
        .create_callback(
            tenant_id,
            NewCallback {
                conversation_id,
                phone_number: req.phone_number,
                not_before: req.not_before,
                deadline: req.deadline,
                time_zone: req.time_zone,
                preferred_advisor_id: preferred,
                note: req.note,
            },
            user.user.id,
        )
        .await?;
    Ok(cb)
}

/// Schedules a phone callback in the conversation (a chat can become one).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/callbacks", tag = "routing",
    params(("tenant" = String, Path), ("id" = String, Path)), request_body = CallbackIn,
    responses((status = 201, body = CallbackOut), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem, description = "A callback is already scheduled in this conversation"),
              (status = 422, body = crate::error::Problem, description = "Bad number, zone or times; nothing is written")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<CallbackIn>,
) -> Result<(StatusCode, Json<CallbackOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditConversation).await?;
    let cb = schedule(&state, &user, t.id, parse_id(&id, "conversation")?, body).await?;
    Ok((StatusCode::CREATED, Json(out(cb, Timestamp::now()))))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/callbacks", tag = "routing",
    params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [CallbackOut])))]
pub async fn of_conversation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<CallbackOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let conv = parse_id(&id, "conversation")?;
    state.store.conversation(t.id, conv).await?;
    let now = Timestamp::now();
    Ok(Json(
        state
            .store
            .conversation_callbacks(t.id, conv)
            .await?
            .into_iter()
            .map(|c| out(c, now))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `live` (scheduled, offered, missed: the default), `missed`, or `all`.
    pub state: Option<String>,
    /// Only those due within this many hours from now (default: any time).
    pub due_within_hours: Option<i64>,
}

/// The brand's callbacks, soonest first: for supervisors (due today, missed).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/callbacks", tag = "routing",
    params(("tenant" = String, Path), ListQuery), responses((status = 200, body = [CallbackOut]), (status = 403, body = crate::error::Problem)))]
pub async fn of_tenant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<CallbackOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewWallboard).await?;
    let items = list(&state, t.id, q.state.as_deref(), q.due_within_hours).await?;
    let now = Timestamp::now();
    Ok(Json(items.into_iter().map(|c| out(c, now)).collect()))
}

pub async fn list(
    state: &AppState,
    tenant_id: Uuid,
    which: Option<&str>,
    due_within_hours: Option<i64>,
) -> Result<Vec<Callback>, WebError> {
    let states: &[&str] = match which.unwrap_or("live") {
        "live" => &callbacks::LIVE,
        "missed" => &["missed"],
        "all" => &[],
        other => {
            return Err(DomainError::field(
                "state",
                format!("'{other}' is not one of live, missed, all"),
            )
            .into())
        }
    };
    let due = match due_within_hours {
        Some(h) if !(0..=24 * 366).contains(&h) => {
            return Err(DomainError::field("due_within_hours", "between 0 and 8784").into())
        }
        Some(h) => Some(Timestamp::now().plus_seconds(h * 3600)),
        None => None,
    };
    Ok(state
        .store
        .tenant_callbacks(tenant_id, states, due, 500)
        .await?)
}

async fn finish(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
    done: bool,
) -> Result<Json<CallbackOut>, WebError> {
    let t = tenant_for(state, user, slug, Action::EditConversation).await?;
    let id = parse_id(id, "callback")?;
    let (to, kind) = if done {
        ("done", callbacks::kind::DONE)
    } else {
        ("cancelled", callbacks::kind::CANCELLED)
    };
    let moved = state
        .store
        .move_callback(
            t.id,
            id,
            &callbacks::LIVE,
            to,
            kind,
            Some(user.user.id),
            None,
        )
        .await?;
    let cb = state.store.callback(t.id, id).await?;
    if !moved {
        return Err(DomainError::Conflict(format!("the callback is already {}", cb.state)).into());
    }
    Ok(Json(out(cb, Timestamp::now())))
}

/// Cancels a live callback; the router drops it.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/callbacks/{id}/cancel", tag = "routing",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = CallbackOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<CallbackOut>, WebError> {
    finish(&state, &user, &slug, &id, false).await
}

/// Marks a callback made; the router frees the advisor.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/callbacks/{id}/done", tag = "routing",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = CallbackOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn done(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<CallbackOut>, WebError> {
    finish(&state, &user, &slug, &id, true).await
}
