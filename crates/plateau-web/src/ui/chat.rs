//! The web chat's pages: the widget script itself (`/widget.js`, public and
//! cached), a demo brand page that embeds it, and the administrators'
//! on/off switch posted from the Channels page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::policy::Action;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{render, tenant_for, UiUser};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

const WIDGET_JS: &str = include_str!("../../assets/widget.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget))
        .route("/t/{tenant}/chat-demo", get(demo))
        .route("/t/{tenant}/channels/chat", post(toggle))
}

/// The script's version tag: brands' pages cache it for an hour and
/// revalidate cheaply afterwards.
fn etag() -> String {
    let d = Sha256::digest(WIDGET_JS.as_bytes());
    let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

async fn widget(headers: HeaderMap) -> Response {
    let tag = etag();
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let common = [
        (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        (header::ETAG, tag),
        (
            header::CONTENT_TYPE,
            "text/javascript; charset=utf-8".to_string(),
        ),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, WIDGET_JS).into_response()
}

#[derive(Deserialize)]
pub struct DemoQuery {
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "chat_demo.html")]
struct DemoPage {
    tr: Tr,
    lang: &'static str,
    brand: String,
    slug: String,
}

/// A made-up brand page with the widget on it, to try the chat as a
/// customer would (public, like the brand's own site).
async fn demo(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<DemoQuery>,
) -> Result<Response, UiError> {
    let t = crate::api::tenant_by_slug(&state, &slug).await?;
    let (lang, language) = match q.lang.as_deref() {
        Some("en") => ("en", plateau_core::model::Language::En),
        _ => ("fr", plateau_core::model::Language::Fr),
    };
    render(&DemoPage {
        tr: Tr::new(language),
        lang,
        brand: t.name,
        slug: t.slug,
    })
}

#[derive(Deserialize)]
pub struct ToggleForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    enabled: String,
}

async fn toggle(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<ToggleForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    state
        .store
        .set_chat_enabled(t.id, f.enabled == "true", Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{}/channels#web-chat", t.slug)).into_response())
}
