//! The brand's channel settings for tenant administrators: which addresses
//! deliver mail to the brand (and the IMAP servers some are polled from),
//! the mail that could not be processed (dead
//! letters, to replay or discard), and the social/messaging connectors.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::channels::mail::ImapInput;
use plateau_core::model::Tenant;
use plateau_core::policy::Action;
use plateau_core::{validate, DomainError};
use plateau_store::mail::InboundState;
use serde::Deserialize;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::parse_id;
use crate::auth::{random_token, CurrentUser};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/channels", get(page))
        .route("/t/{tenant}/channels/mailboxes", post(add_mailbox))
        .route(
            "/t/{tenant}/channels/mailboxes/remove",
            post(remove_mailbox),
        )
        .route("/t/{tenant}/channels/inbound/{id}/{action}", post(resolve))
        .route("/t/{tenant}/channels/connectors", post(add_connector))
}

pub struct MailboxRow {
    pub address: String,
    pub team: String,
    pub imap: Option<ImapRow>,
}

pub struct ImapRow {
    /// `user@host:port/folder`, what the poller logs into.
    pub target: String,
    /// never, ok or failed.
    pub status: &'static str,
    pub when: String,
    pub error: String,
    pub fetched: i64,
}

pub struct LetterRow {
    pub id: String,
    pub when: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub reason: String,
    pub attempts: i64,
}

pub struct ConnectorRow {
    pub name: String,
    pub path: String,
    pub outbound_url: String,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    tr: Tr,
    layout: Layout,
    mailboxes: Vec<MailboxRow>,
    teams: Vec<Choice>,
    letters: Vec<LetterRow>,
    connectors: Vec<ConnectorRow>,
    /// A connector's secret, shown once after its creation.
    new_secret: Option<(String, String)>,
    error: String,
    /// The web chat's switch (toggled by ui::chat).
    chat_enabled: bool,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    new_secret: Option<(String, String)>,
    error: String,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let t = tenant.id;
    let teams = state.store.teams(t).await?;
    let team_name = |id: Option<uuid::Uuid>| {
        id.and_then(|id| teams.iter().find(|x| x.id == id))
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let imaps = state.store.mailbox_imaps(t).await?;
    let mailboxes = state
        .store
        .mailboxes(t)
        .await?
        .into_iter()
        .map(|m| MailboxRow {
            team: team_name(m.team_id),
            imap: imaps.iter().find(|c| c.address == m.address).map(|c| {
                let s = &c.settings;
                ImapRow {
                    target: format!("{}@{}:{}/{}", s.username, s.host, s.port, s.folder),
                    status: match (&c.last_polled_at, &c.last_error) {
                        (None, _) => "never",
                        (Some(_), None) => "ok",
                        (Some(_), Some(_)) => "failed",
                    },
                    when: c.last_polled_at.map(|t| tr.datetime(t)).unwrap_or_default(),
                    error: c.last_error.clone().unwrap_or_default(),
                    fetched: c.fetched,
                }
            }),
            address: m.address,
        })
        .collect();
    let letters = state
        .store
        .inbound_mails(t, InboundState::Dead, 200)
        .await?
        .into_iter()
        .map(|m| LetterRow {
            id: m.id.to_string(),
            when: tr.datetime(m.received_at),
            from: m.envelope_from,
            to: m.envelope_to,
            subject: m.subject,
            reason: m.detail.unwrap_or_default(),
            attempts: m.attempts,
        })
        .collect();
    let connectors = state
        .store
        .connectors(t)
        .await?
        .into_iter()
        .map(|c| ConnectorRow {
            path: format!("/api/v1/webhooks/{}/{}", tenant.slug, c.name),
            name: c.name,
            outbound_url: c.outbound_url.unwrap_or_default(),
        })
        .collect();
    let team_choices = teams
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: x.name.clone(),
            selected: false,
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "channels",
        tr.t("channels.title").to_string(),
        "",
    )
    .await?;
    render(&ChannelsPage {
        tr,
        layout,
        mailboxes,
        teams: team_choices,
        letters,
        connectors,
        new_secret,
        error,
        chat_enabled: state.store.chat_enabled(t).await?,
    })
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    show(&state, &user, &tenant, None, String::new()).await
}

#[derive(Deserialize)]
pub struct MailboxForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    address: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    imap_host: String,
    #[serde(default)]
    imap_port: String,
    #[serde(default)]
    imap_security: String,
    #[serde(default)]
    imap_username: String,
    #[serde(default)]
    imap_password: String,
    #[serde(default)]
    imap_folder: String,
    #[serde(default)]
    imap_poll: String,
    #[serde(default)]
    imap_ca: String,
}

impl MailboxForm {
    /// The IMAP part of the form, None when no server was given.
    fn imap(&self) -> Result<Option<ImapInput>, String> {
        if self.imap_host.trim().is_empty() {
            return Ok(None);
        }
        let number = |v: &str, what: &str| -> Result<Option<i64>, String> {
            match v.trim() {
                "" => Ok(None),
                n => n
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| format!("{what}: '{n}' is not a number")),
            }
        };
        let port = number(&self.imap_port, "port")?
            .map(|p| u16::try_from(p).map_err(|_| "port: must be between 1 and 65535".to_string()))
            .transpose()?;
        let opt = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
        Ok(Some(ImapInput {
            host: self.imap_host.clone(),
            port,
            security: self.imap_security.clone(),
            username: self.imap_username.clone(),
            password: opt(&self.imap_password),
            folder: opt(&self.imap_folder),
            poll_seconds: number(&self.imap_poll, "poll")?,
            ca_pem: opt(&self.imap_ca),
        }))
    }
}

fn back(slug: &str) -> Response {
    Redirect::to(&format!("/t/{slug}/channels")).into_response()
}

pub async fn add_mailbox(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<MailboxForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let address = match validate::email(&f.address) {
        Ok(a) => a,
        Err(m) => return show(&state, &user, &tenant, None, m).await,
    };
    let team = match f.team.trim() {
        "" => None,
        id => Some(parse_id(id, "team")?),
    };
    let imap = match f.imap() {
        Ok(i) => i,
        Err(m) => return show(&state, &user, &tenant, None, m).await,
    };
    match crate::api::mail::save_mailbox(&state, tenant.id, &address, team, imap, user.user.id)
        .await
    {
        Ok(_) => Ok(back(&slug)),
        Err(crate::error::WebError::Domain(DomainError::Invalid(fields))) => {
            let m = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            show(&state, &user, &tenant, None, m).await
        }
        Err(crate::error::WebError::Domain(e @ DomainError::Conflict(_))) => {
            show(&state, &user, &tenant, None, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    address: String,
}

pub async fn remove_mailbox(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    state
        .store
        .delete_mailbox(tenant.id, &f.address, Some(user.user.id))
        .await?;
    Ok(back(&slug))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, action)): Path<(String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let id = parse_id(&id, "inbound message")?;
    let replay = match action.as_str() {
        "replay" => true,
        "discard" => false,
        _ => return Err(DomainError::NotFound("action").into()),
    };
    state
        .store
        .resolve_dead_letter(tenant.id, id, replay, Some(user.user.id))
        .await?;
    if replay {
        state.mail_wake.wake();
    }
    Ok(back(&slug))
}

#[derive(Deserialize)]
pub struct ConnectorForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
    #[serde(default)]
    outbound_url: String,
}

pub async fn add_connector(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<ConnectorForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let checked = crate::api::webhooks::check_name(&f.name)
        .and_then(|n| crate::api::webhooks::check_url(Some(&f.outbound_url)).map(|u| (n, u)));
    let (name, url) = match checked {
        Ok(x) => x,
        Err(e) => return show(&state, &user, &tenant, None, e.to_string()).await,
    };
    let secret = random_token(32);
    match state
        .store
        .create_connector(
            tenant.id,
            &name,
            &secret,
            url.as_deref(),
            Some(user.user.id),
        )
        .await
    {
        Ok(c) => {
            show(
                &state,
                &user,
                &tenant,
                Some((c.name, secret)),
                String::new(),
            )
            .await
        }
        Err(plateau_store::StoreError::Domain(e @ DomainError::Conflict(_))) => {
            show(&state, &user, &tenant, None, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}
