//! Inbound e-mail administration: which addresses deliver to the brand (and
//! to which team), and the messages that could not become conversation
//! messages (dead letters), which an administrator reads, replays or
//! discards. Tenant administrators only.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use plateau_core::policy::Action;
use plateau_core::{validate, DomainError, Timestamp};
use plateau_store::mail::{InboundMail, InboundState, Mailbox};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxOut {
    pub address: String,
    pub team_id: Option<Uuid>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<Mailbox> for MailboxOut {
    fn from(m: Mailbox) -> Self {
        MailboxOut {
            address: m.address,
            team_id: m.team_id,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxIn {
    /// The team new conversations from this address go to.
    #[serde(default)]
    pub team_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboundOut {
    pub id: Uuid,
    pub source: String,
    pub envelope_from: String,
    pub envelope_to: String,
    pub message_id: Option<String>,
    pub subject: String,
    pub size_bytes: i64,
    /// pending, processing, ingested, machine, duplicate, dead or discarded.
    pub state: String,
    /// Why it is a dead letter, or which kind of machine mail it is.
    pub detail: Option<String>,
    pub conversation_id: Option<Uuid>,
    pub attempts: i64,
    #[schema(value_type = String)]
    pub received_at: Timestamp,
}

impl From<InboundMail> for InboundOut {
    fn from(m: InboundMail) -> Self {
        InboundOut {
            id: m.id,
            source: m.source,
            envelope_from: m.envelope_from,
            envelope_to: m.envelope_to,
            message_id: m.message_id,
            subject: m.subject,
            size_bytes: m.size_bytes,
            state: m.state.as_str().to_string(),
            detail: m.detail,
            conversation_id: m.conversation_id,
            attempts: m.attempts,
            received_at: m.received_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct InboundQuery {
    #[serde(default)]
    state: Option<String>,
}

fn address(raw: &str) -> Result<String, WebError> {
    validate::email(raw).map_err(|m| WebError::Domain(DomainError::field("address", m)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mailboxes", tag = "mail", params(("tenant" = String, Path)), responses((status = 200, body = [MailboxOut]), (status = 404, body = crate::error::Problem)))]
pub async fn list_mailboxes(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<MailboxOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let list = state.store.mailboxes(t.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/mailboxes/{address}", tag = "mail", params(("tenant" = String, Path), ("address" = String, Path)), request_body = MailboxIn, responses((status = 200, body = MailboxOut), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_mailbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, raw)): Path<(String, String)>,
    ApiJson(body): ApiJson<MailboxIn>,
) -> Result<Json<MailboxOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let address = address(&raw)?;
    let m = state
        .store
        .put_mailbox(t.id, &address, body.team_id, Some(user.user.id))
        .await?;
    Ok(Json(m.into()))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/mailboxes/{address}", tag = "mail", params(("tenant" = String, Path), ("address" = String, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete_mailbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let address = address(&raw)?;
    state
        .store
        .delete_mailbox(t.id, &address, Some(user.user.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mail/inbound", tag = "mail", params(("tenant" = String, Path), ("state" = Option<String>, Query, description = "dead (default), machine, duplicate, pending, ingested or discarded")), responses((status = 200, body = [InboundOut]), (status = 400, body = crate::error::Problem)))]
pub async fn list_inbound(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<InboundQuery>,
) -> Result<Json<Vec<InboundOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let wanted: InboundState = q
        .state
        .as_deref()
        .unwrap_or("dead")
        .parse()
        .map_err(|m: String| WebError::bad_request("invalid_query", m))?;
    let list = state.store.inbound_mails(t.id, wanted, 200).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mail/inbound/{id}/raw", tag = "mail", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, description = "the message as received (message/rfc822)"), (status = 404, body = crate::error::Problem)))]
pub async fn raw_inbound(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let id = parse_id(&id, "inbound message")?;
    let raw = state.store.inbound_raw(t.id, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.eml\""),
            ),
        ],
        Body::from(raw),
    )
        .into_response())
}

async fn resolve(
    state: AppState,
    user: CurrentUser,
    slug: String,
    id: String,
    replay: bool,
) -> Result<Json<InboundOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let id = parse_id(&id, "inbound message")?;
    state
        .store
        .resolve_dead_letter(t.id, id, replay, Some(user.user.id))
        .await?;
    if replay {
        state.mail_wake.wake();
    }
    Ok(Json(state.store.inbound_mail(t.id, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/mail/inbound/{id}/replay", tag = "mail", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = InboundOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn replay(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<InboundOut>, WebError> {
    resolve(state, user, slug, id, true).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/mail/inbound/{id}/discard", tag = "mail", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = InboundOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn discard(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<InboundOut>, WebError> {
    resolve(state, user, slug, id, false).await
}
