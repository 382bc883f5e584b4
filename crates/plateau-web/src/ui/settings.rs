//! Personal settings: interface language and personal API tokens.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::model::Language;
use plateau_core::DomainError;
use serde::Deserialize;

use super::{render, Choice, Layout, UiUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    tr: Tr,
    layout: Layout,
    languages: Vec<Choice>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    new_token: Option<String>,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let tokens = state
        .store
        .api_tokens(user.user.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            created: tr.datetime(t.created_at),
            last_used: t
                .last_used_at
                .map(|x| tr.datetime(x))
                .unwrap_or_else(|| tr.t("settings.never").to_string()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        None,
        "settings",
        tr.t("settings.title").to_string(),
        "",
    )
    .await?;
    render(&SettingsPage {
        languages: Choice::list(
            Language::ALL,
            Some(user.user.locale),
            |l| l.as_str().into(),
            |l| tr.e("lang", l.as_str()),
        ),
        tr,
        layout,
        tokens,
        new_token,
    })
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
) -> Result<Response, UiError> {
    show(&state, &user, None).await
}

#[derive(Deserialize)]
pub struct LocaleForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    locale: String,
    #[serde(default)]
    back: String,
}

pub async fn set_locale(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<LocaleForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let l: Language = f
        .locale
        .parse()
        .map_err(|m| DomainError::field("locale", m))?;
    state.store.set_locale(user.user.id, l).await?;
    state.auth_cache.clear();
    let back = super::local_path(&f.back)
        .unwrap_or("/settings")
        .to_string();
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<TokenForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (secret, _) = crate::api::issue_token(&state, &user, &f.name).await?;
    show(&state, &user, Some(secret)).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let id = parse_id(&id, "token")?;
    state.store.revoke_api_token(user.user.id, id).await?;
    state.auth_cache.clear();
    Ok(Redirect::to("/settings").into_response())
}
