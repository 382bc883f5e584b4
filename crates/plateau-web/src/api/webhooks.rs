//! Social and messaging connectors: tenant administrators register one and
//! get its secret once; the connector then posts each network message to the
//! inbound webhook, signed over a timestamp and the body. Unsigned, stale,
//! forged, replayed, oversized or malformed requests are refused, each with
//! its own code, and change nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use plateau_core::channels::signature::{self, SignatureError};
use plateau_core::channels::social::{SocialMessage, SocialMessageIn};
use plateau_core::model::{Channel, IdentityKind};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::social::Connector;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{tenant_by_slug, tenant_for, ApiJson};
use crate::auth::{random_token, CurrentUser};
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorIn {
    /// Letters, digits and dashes; it names the webhook URL.
    pub name: String,
    /// Where replies will be posted to the connector (signed the same way).
    #[serde(default)]
    pub outbound_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorOut {
    pub id: Uuid,
    pub name: String,
    pub outbound_url: Option<String>,
    /// The path the connector posts to.
    pub webhook_path: String,
    /// Only in the answer to the creation: it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn out(slug: &str, c: Connector, with_secret: bool) -> ConnectorOut {
    ConnectorOut {
        id: c.id,
        webhook_path: format!("/api/v1/webhooks/{slug}/{}", c.name),
        name: c.name,
        outbound_url: c.outbound_url,
        secret: with_secret.then_some(c.secret),
    }
}

pub(crate) fn check_name(name: &str) -> Result<String, WebError> {
    let n = name.trim().to_lowercase();
    let ok = !n.is_empty()
        && n.len() <= 40
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(n)
    } else {
        Err(DomainError::field("name", "use 1 to 40 letters, digits or dashes").into())
    }
}

pub(crate) fn check_url(url: Option<&str>) -> Result<Option<String>, WebError> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 500 => {
            Ok(Some(u.to_string()))
        }
        Some(_) => Err(DomainError::field("outbound_url", "must be an http(s) URL").into()),
    }
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/connectors", tag = "channels", params(("tenant" = String, Path)), request_body = ConnectorIn, responses((status = 201, body = ConnectorOut), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_connector(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ConnectorIn>,
) -> Result<(StatusCode, Json<ConnectorOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let name = check_name(&body.name)?;
    let url = check_url(body.outbound_url.as_deref())?;
    let secret = random_token(32);
    let c = state
        .store
        .create_connector(t.id, &name, &secret, url.as_deref(), Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(out(&slug, c, true))))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/connectors", tag = "channels", params(("tenant" = String, Path)), responses((status = 200, body = [ConnectorOut])))]
pub async fn list_connectors(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<ConnectorOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let list = state.store.connectors(t.id).await?;
    Ok(Json(
        list.into_iter().map(|c| out(&slug, c, false)).collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub conversation_id: Uuid,
    pub message_id: Option<Uuid>,
    /// True when this network message had already been received.
    pub duplicate: bool,
}

fn refused(status: StatusCode, code: &'static str, detail: impl Into<String>) -> WebError {
    WebError::Request {
        status,
        code,
        detail: detail.into(),
    }
}

#[utoipa::path(post, path = "/api/v1/webhooks/{tenant}/{connector}", tag = "channels", params(("tenant" = String, Path), ("connector" = String, Path), ("X-Plateau-Timestamp" = String, Header, description = "Unix seconds"), ("X-Plateau-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"{timestamp}.{body}\">")), request_body = Object, responses((status = 202, body = WebhookOut), (status = 200, body = WebhookOut, description = "already received"), (status = 401, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn receive(
    State(state): State<AppState>,
    Path((slug, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<WebhookOut>), WebError> {
    let tenant = tenant_by_slug(&state, &slug).await?;
    let connector = state
        .store
        .connector(tenant.id, &name)
        .await?
        .ok_or(DomainError::NotFound("connector"))?;
    let header = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    let sig = header("x-plateau-signature");
    signature::verify(
        connector.secret.as_bytes(),
        header("x-plateau-timestamp"),
        sig,
        &body,
        Timestamp::now().0 / 1_000_000,
    )
    .map_err(|e| {
        let code = match e {
            SignatureError::Missing => "unsigned",
            SignatureError::Stale => "stale_request",
            _ => "bad_signature",
        };
        refused(StatusCode::UNAUTHORIZED, code, e.to_string())
    })?;
    let parsed: SocialMessageIn = serde_json::from_slice(&body).map_err(|e| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
        )
    })?;
    let m = parsed.validated()?;
    // Only a valid, well-formed request uses up its signature; a replay of
    // it is then refused even within the clock tolerance.
    if !state
        .store
        .accept_signature(connector.id, sig.unwrap_or_default().trim())
        .await?
    {
        return Err(refused(
            StatusCode::CONFLICT,
            "replayed",
            "this signed request was already received",
        ));
    }
    if let Some((conversation_id, message_id)) = state
        .store
        .social_message(connector.id, &m.external_id)
        .await?
    {
        return Ok((
            StatusCode::OK,
            Json(WebhookOut {
                conversation_id,
                message_id,
                duplicate: true,
            }),
        ));
    }
    let (conversation_id, message_id) = deliver(&state, &connector, &m).await?;
    state
        .store
        .record_social_message(
            &connector,
            &m.external_id,
            &m.thread_id,
            conversation_id,
            message_id,
            m.public,
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(WebhookOut {
            conversation_id,
            message_id,
            duplicate: false,
        }),
    ))
}

/// Adds the message to its thread's open conversation, or opens one with
/// the customer found by (or created with) their network handle.
async fn deliver(
    state: &AppState,
    connector: &Connector,
    m: &SocialMessage,
) -> Result<(Uuid, Option<Uuid>), WebError> {
    let t = connector.tenant_id;
    let customer = state
        .store
        .customer_by_identity(t, IdentityKind::Social, &m.identity)
        .await?;
    let d = crate::inbound::deliver(
        &state.store,
        crate::inbound::Arrival {
            tenant_id: t,
            channel: Channel::Social,
            thread: state
                .store
                .social_thread(connector.id, &m.thread_id)
                .await?,
            customer: customer.map(|c| c.id),
            identity: (IdentityKind::Social, m.identity.clone()),
            name: m.author_name.clone(),
            language: None,
            subject: m.text.chars().take(80).collect(),
            body: m.text.clone(),
            attachments: Vec::new(),
            team_id: None,
            tags: vec![m.network.clone()],
        },
    )
    .await?;
    // Creation returns the conversation; its one message is the first.
    let message_id = match d.message_id {
        Some(id) => Some(id),
        None => state
            .store
            .messages(t, d.conversation_id, false)
            .await?
            .first()
            .map(|m| m.id),
    };
    Ok((d.conversation_id, message_id))
}
