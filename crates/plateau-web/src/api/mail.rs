//! Inbound e-mail administration: which addresses deliver to the brand (and
//! to which team), and the messages that could not become conversation
//! messages (dead letters), which an administrator reads, replays or
//! discards, and the IMAP servers mailboxes are polled from (the password
//! is write-only). Tenant administrators only.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use plateau_core::channels::mail::{self, ImapInput, ImapSettings};
use plateau_core::error::FieldError;
use plateau_core::policy::Action;
use plateau_core::{validate, DomainError, Timestamp};
use plateau_store::mail::{ImapConfig, InboundMail, InboundState, Mailbox};
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
    /// IMAP polling, when the mailbox is also fetched from a server.
    pub imap: Option<ImapOut>,
}

/// A mailbox's IMAP settings and how its last poll went. The password is
/// never returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImapOut {
    pub host: String,
    pub port: u16,
    /// tls, starttls or plain.
    pub security: String,
    pub username: String,
    pub folder: String,
    pub poll_seconds: i64,
    /// Whether an extra CA certificate is trusted for this server.
    pub has_ca: bool,
    #[schema(value_type = Option<String>)]
    pub last_polled_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub last_ok_at: Option<Timestamp>,
    /// Why the last poll failed; null after a success.
    pub last_error: Option<String>,
    /// Failed polls in a row (the next one waits longer each time).
    pub failures: i64,
    /// Messages fetched since these settings were saved.
    pub fetched: i64,
}

impl From<ImapConfig> for ImapOut {
    fn from(c: ImapConfig) -> Self {
        ImapOut {
            host: c.settings.host,
            port: c.settings.port,
            security: c.settings.security.as_str().to_string(),
            username: c.settings.username,
            folder: c.settings.folder,
            poll_seconds: c.settings.poll_seconds,
            has_ca: c.settings.ca_pem.is_some(),
            last_polled_at: c.last_polled_at,
            last_ok_at: c.last_ok_at,
            last_error: c.last_error,
            failures: c.failures,
            fetched: c.fetched,
        }
    }
}

fn mailbox_out(m: Mailbox, imap: Option<ImapConfig>) -> MailboxOut {
    MailboxOut {
        address: m.address,
        team_id: m.team_id,
        created_at: m.created_at,
        imap: imap.map(Into::into),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxIn {
    /// The team new conversations from this address go to.
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// Also fetch this mailbox from an IMAP server. Leaving it out (or null)
    /// stops polling.
    #[serde(default)]
    pub imap: Option<ImapIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapIn {
    pub host: String,
    /// Defaults to 993 for tls, 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    /// tls, starttls or plain (plain only for a server on the same machine).
    pub security: String,
    pub username: String,
    /// Write-only. Leave out to keep the stored password.
    #[serde(default)]
    pub password: Option<String>,
    /// Defaults to INBOX.
    #[serde(default)]
    pub folder: Option<String>,
    /// Seconds between polls, 1 to 86400; defaults to 60.
    #[serde(default)]
    pub poll_seconds: Option<i64>,
    /// An extra trusted CA certificate (PEM), for a self-signed server.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

impl From<ImapIn> for ImapInput {
    fn from(i: ImapIn) -> Self {
        ImapInput {
            host: i.host,
            port: i.port,
            security: i.security,
            username: i.username,
            password: i.password,
            folder: i.folder,
            poll_seconds: i.poll_seconds,
            ca_pem: i.ca_pem,
        }
    }
}

/// Checks IMAP settings against the stored password; field errors are named
/// `imap.<field>`.
pub(crate) async fn check_imap(
    state: &AppState,
    tenant_id: Uuid,
    address: &str,
    input: &ImapInput,
) -> Result<ImapSettings, WebError> {
    let stored = state.store.mailbox_imap(tenant_id, address).await?;
    mail::imap_settings(input, stored.as_ref().map(|c| c.settings.password.as_str())).map_err(
        |errs| {
            WebError::Domain(DomainError::Invalid(
                errs.into_iter()
                    .map(|(f, m)| FieldError::new(format!("imap.{f}"), m))
                    .collect(),
            ))
        },
    )
}

/// Saves a mailbox and its IMAP settings (or their absence), after checking
/// everything first so that a refused request changes nothing.
pub(crate) async fn save_mailbox(
    state: &AppState,
    tenant_id: Uuid,
    address: &str,
    team_id: Option<Uuid>,
    imap: Option<ImapInput>,
    actor: Uuid,
) -> Result<MailboxOut, WebError> {
    let settings = match &imap {
        Some(i) => Some(check_imap(state, tenant_id, address, i).await?),
        None => None,
    };
    let m = state
        .store
        .put_mailbox(tenant_id, address, team_id, Some(actor))
        .await?;
    let cfg = match settings {
        Some(s) => Some(
            state
                .store
                .put_mailbox_imap(tenant_id, address, &s, Some(actor))
                .await?,
        ),
        None => {
            state
                .store
                .delete_mailbox_imap(tenant_id, address, Some(actor))
                .await?;
            None
        }
    };
    state.imap_wake.wake();
    Ok(mailbox_out(m, cfg))
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
    let mut imaps = state.store.mailbox_imaps(t.id).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| {
                let imap = imaps
                    .iter()
                    .position(|c| c.address == m.address)
                    .map(|i| imaps.swap_remove(i));
                mailbox_out(m, imap)
            })
            .collect(),
    ))
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
    let out = save_mailbox(
        &state,
        t.id,
        &address,
        body.team_id,
        body.imap.map(Into::into),
        user.user.id,
    )
    .await?;
    Ok(Json(out))
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
