//! The server-rendered desk: login, inbox, conversation, new conversation,
//! supervisor board and settings. Pages are askama templates; a small
//! hand-written script adds live updates and keyboard shortcuts.

mod advisors;
mod board;
pub mod callbacks;
mod channels;
mod chat;
mod conversation;
mod customers;
mod forum;
mod help_centre;
mod inbox;
mod knowledge;
mod knowledge_admin;
mod login;
mod routing;
pub(crate) mod search;
mod settings;
mod staffing;
pub(crate) mod trees;
mod wallboard;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use plateau_core::model::Tenant;
use plateau_core::policy::Action;

use crate::auth::{authenticate, CurrentUser};
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(knowledge::routes())
        .merge(help_centre::routes())
        .merge(knowledge_admin::routes())
        .merge(trees::routes())
        .merge(channels::routes())
        .merge(chat::routes())
        .merge(forum::routes())
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/settings", get(settings::page))
        .route("/settings/locale", post(settings::set_locale))
        .route("/presence", post(advisors::declare))
        .route("/presence/postpone-break", post(advisors::postpone_break))
        .route(
            "/t/{tenant}/advisors/{user}",
            get(advisors::profile).post(advisors::save_profile),
        )
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/t/{tenant}", get(tenant_home))
        .route("/t/{tenant}/inbox", get(inbox::page))
        .route(
            "/t/{tenant}/new",
            get(conversation::new_form).post(conversation::create),
        )
        .route("/t/{tenant}/c/{number}", get(conversation::page))
        .route("/t/{tenant}/letters/new", get(customers::letter_form))
        .route(
            "/t/{tenant}/letters",
            post(customers::letter_create).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::letters::UPLOAD_LIMIT_BYTES,
            )),
        )
        .route("/t/{tenant}/customers/{id}", get(customers::page))
        .route(
            "/t/{tenant}/customers/{id}/identities",
            post(customers::add_identity),
        )
        .route("/t/{tenant}/customers/{id}/merge", post(customers::merge))
        .route(
            "/t/{tenant}/customers/{id}/merges/{merge_id}/undo",
            post(customers::undo),
        )
        .route(
            "/t/{tenant}/c/{number}/messages",
            post(conversation::post_message),
        )
        .route("/t/{tenant}/c/{number}/update", post(conversation::update))
        .route("/t/{tenant}/c/{number}/take", post(conversation::take))
        .route("/t/{tenant}/board", get(board::page))
        .route("/t/{tenant}/callbacks", get(callbacks::page))
        .route("/t/{tenant}/c/{number}/escalate", post(callbacks::escalate))
        .route(
            "/t/{tenant}/c/{number}/callbacks",
            post(callbacks::schedule),
        )
        .route(
            "/t/{tenant}/c/{number}/callbacks/{id}/{what}",
            post(callbacks::finish),
        )
        .route(
            "/assets/callbacks.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../assets/callbacks.js"),
                )
            }),
        )
        .route("/t/{tenant}/wallboard", get(wallboard::page))
        .route("/t/{tenant}/wallboard/board", get(wallboard::fragment))
        .route(
            "/t/{tenant}/routing",
            get(routing::show).post(routing::update),
        )
        .route(
            "/t/{tenant}/routing/sla",
            get(routing::sla_show).post(routing::sla_update),
        )
        .route("/t/{tenant}/search", get(search::page))
        .route("/t/{tenant}/open/{id}", get(search::open))
        .route("/t/{tenant}/staffing", get(staffing::page))
        .route(
            "/assets/app.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../assets/app.css"),
                )
            }),
        )
        .route(
            "/assets/trees.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../assets/trees.js"),
                )
            }),
        )
        .route(
            "/assets/trees.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../assets/trees.css"),
                )
            }),
        )
        .route(
            "/assets/app.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../assets/app.js"),
                )
            }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// HTML-escapes text placed in markup built outside templates (one
/// implementation for the export files and the desk).
pub use plateau_core::knowledge_io::escape_html as escape;

/// The path to return to after a form, if it is a path of this site: a
/// leading `//` or any backslash (which browsers read as `/`) could name
/// another origin.
pub fn local_path(p: &str) -> Option<&str> {
    (p.starts_with('/') && !p.starts_with("//") && !p.contains('\\')).then_some(p)
}

/// Percent-encodes every byte of `s` but ASCII letters, digits and `keep`,
/// for text carried in a redirect's query string.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || keep.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A logged-in person on a UI route; anyone else is sent to the login page.
pub struct UiUser(pub CurrentUser);

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, &parts.headers).await {
            Ok(Some(u)) => Ok(UiUser(u)),
            Ok(None) | Err(WebError::Domain(plateau_core::DomainError::Unauthenticated)) => {
                let path = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next = percent_encode(path, b"/-_.");
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            Err(e) => Err(UiError(e).into_response()),
        }
    }
}

/// What the page frame needs: who is logged in, which brand, the menu.
pub struct Layout {
    pub tr: Tr,
    pub title: String,
    pub user_name: String,
    /// Lets the live script recognise offers made to this person.
    pub user_id: String,
    pub csrf: String,
    pub tenants: Vec<(String, String)>,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub tenant_id: String,
    pub nav: &'static str,
    pub can_board: bool,
    pub can_wallboard: bool,
    pub can_create: bool,
    /// Tenant administration (the channels page).
    pub can_manage: bool,
    /// Ids of the regions the live script refreshes on relevant events.
    pub live: &'static str,
    /// The person's declared presence (`available`, `break`…).
    pub presence: &'static str,
    /// Whether a pushed-back break is pending.
    pub break_postponed: bool,
    /// Where a form in the frame returns to.
    pub here: String,
}

impl Layout {
    pub async fn new(
        state: &AppState,
        user: &CurrentUser,
        tenant: Option<&Tenant>,
        nav: &'static str,
        title: String,
        live: &'static str,
    ) -> Result<Layout, WebError> {
        let tenants: Vec<(String, String)> = state
            .store
            .tenants()
            .await?
            .into_iter()
            .filter(|t| user.actor.platform_admin || user.actor.role_in(t.id).is_some())
            .map(|t| (t.slug, t.name))
            .collect();
        let presence = state.store.presence(user.user.id).await?;
        let now = plateau_core::Timestamp::now();
        Ok(Layout {
            presence: presence.state.as_str(),
            break_postponed: presence.break_postponed_until.is_some_and(|t| t > now),
            here: tenant
                .map(|t| format!("/t/{}/inbox", t.slug))
                .unwrap_or_else(|| "/settings".into()),
            tr: Tr::new(user.user.locale),
            title,
            user_name: user.user.display_name.clone(),
            user_id: user.user.id.to_string(),
            csrf: user.csrf.clone().unwrap_or_default(),
            tenants,
            tenant_slug: tenant.map(|t| t.slug.clone()).unwrap_or_default(),
            tenant_name: tenant.map(|t| t.name.clone()).unwrap_or_default(),
            tenant_id: tenant.map(|t| t.id.to_string()).unwrap_or_default(),
            nav,
            can_board: tenant.is_some_and(|t| user.actor.can(t.id, Action::ViewBoard)),
            can_wallboard: tenant.is_some_and(|t| user.actor.can(t.id, Action::ViewWallboard)),
            can_create: tenant.is_some_and(|t| user.actor.can(t.id, Action::CreateConversation)),
            can_manage: tenant.is_some_and(|t| user.actor.can(t.id, Action::ManageTenant)),
            live,
        })
    }
}

pub fn render<T: askama::Template>(t: &T) -> Result<Response, UiError> {
    let html = t
        .render()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

async fn home(State(state): State<AppState>, UiUser(user): UiUser) -> Result<Response, UiError> {
    let tenants = state.store.tenants().await?;
    let first = tenants
        .into_iter()
        .find(|t| user.actor.platform_admin || user.actor.role_in(t.id).is_some());
    match first {
        Some(t) => Ok(Redirect::to(&format!("/t/{}/inbox", t.slug)).into_response()),
        None => Ok((StatusCode::OK, Html("<!doctype html><meta charset=utf-8><link rel=stylesheet href=/assets/app.css><main class=empty-state><h1>Plateau</h1><p>You are not a member of any brand yet. Ask your administrator to add you.</p><p>Vous n'êtes membre d'aucune marque. Demandez à votre administrateur de vous ajouter.</p><form method=post action=/logout><button>Log out</button></form></main>")).into_response()),
    }
}

async fn tenant_home(Path(slug): Path<String>) -> Redirect {
    Redirect::to(&format!("/t/{slug}/inbox"))
}

/// Resolves the tenant named in a UI path for an action.
pub async fn tenant_for(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    action: Action,
) -> Result<Tenant, UiError> {
    Ok(crate::api::tenant_for(state, user, slug, action).await?)
}

/// An `<option>` in a select list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn list<T: Copy + PartialEq>(
        all: &[T],
        current: Option<T>,
        value: impl Fn(T) -> String,
        label: impl Fn(T) -> String,
    ) -> Vec<Choice> {
        all.iter()
            .map(|v| Choice {
                value: value(*v),
                label: label(*v),
                selected: current == Some(*v),
            })
            .collect()
    }
}
