//! The JSON API under /api/v1, its OpenAPI 3.1 document at /api/openapi.json
//! and Swagger UI at /api/docs. Request bodies and queries go through the
//! extractors here so that every malformed request gets a problem response.

pub mod advisors;
pub mod availability;
mod board;
pub mod callbacks;
pub mod chat;
pub mod conversations;
pub(crate) mod cti;
pub(crate) mod customers;
mod directory;
pub mod escalation;
pub mod forum;
pub mod knowledge;
pub mod letters;
pub(crate) mod mail;
mod me;
pub mod offers;
pub mod routing;
pub mod search;
pub mod sla;
pub mod staffing;
pub mod trees;
pub mod wallboard;
pub(crate) mod webhooks;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use plateau_core::model::Tenant;
use plateau_core::policy::Action;
use plateau_core::DomainError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use utoipa::OpenApi;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

pub use board::{board_view, BoardView};
pub use conversations::ConversationDetail;
pub use me::issue_token;

pub fn routes() -> Router<AppState> {
    let v1 = Router::new()
        .route("/me", get(me::me))
        .route("/me/tokens", get(me::list_tokens).post(me::create_token))
        .route("/me/tokens/{id}", axum::routing::delete(me::revoke_token))
        .route("/me/presence", get(advisors::mine).put(advisors::declare))
        .route("/me/offers", get(offers::mine))
        .route(
            "/tenants/{tenant}/offers/{conversation_id}/accept",
            post(offers::accept),
        )
        .route(
            "/tenants/{tenant}/offers/{conversation_id}/reject",
            post(offers::reject),
        )
        .route(
            "/me/presence/postpone-break",
            post(advisors::postpone_break),
        )
        .route("/tenants/{tenant}/presence", get(advisors::tenant))
        .route("/tenants/{tenant}/availability", get(availability::tenant))
        .route(
            "/tenants/{tenant}/routing",
            get(routing::get).put(routing::put),
        )
        .route(
            "/tenants/{tenant}/sites/{id}/hours",
            put(availability::set_hours),
        )
        .route("/public/{tenant}/availability", get(availability::public))
        .route("/public/{tenant}/chat", get(chat::connect))
        .route(
            "/tenants/{tenant}/chat",
            get(chat::get_settings).put(chat::put_settings),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/typing",
            post(chat::agent_typing),
        )
        .route("/tenants/{tenant}/wallboard", get(wallboard::get))
        .route(
            "/tenants/{tenant}/members/{user}/routing-profile",
            get(advisors::get_profile).put(advisors::put_profile),
        )
        .route("/events", get(crate::realtime::stream))
        .route(
            "/tenants",
            get(directory::list_tenants).post(directory::create_tenant),
        )
        .route("/tenants/{tenant}/mailboxes", get(mail::list_mailboxes))
        .route(
            "/tenants/{tenant}/mailboxes/{address}",
            put(mail::put_mailbox).delete(mail::delete_mailbox),
        )
        .route(
            "/tenants/{tenant}/connectors",
            get(webhooks::list_connectors).post(webhooks::create_connector),
        )
        .route(
            "/webhooks/{tenant}/{connector}",
            post(webhooks::receive).layer(DefaultBodyLimit::max(
                plateau_core::channels::social::MAX_WEBHOOK_BYTES,
            )),
        )
        .route("/tenants/{tenant}/mail/inbound", get(mail::list_inbound))
        .route(
            "/tenants/{tenant}/mail/inbound/{id}/raw",
            get(mail::raw_inbound),
        )
        .route(
            "/tenants/{tenant}/mail/inbound/{id}/replay",
            post(mail::replay),
        )
        .route(
            "/tenants/{tenant}/mail/inbound/{id}/discard",
            post(mail::discard),
        )
        .route(
            "/tenants/{tenant}/sites",
            get(directory::list_sites).post(directory::create_site),
        )
        .route(
            "/tenants/{tenant}/teams",
            get(directory::list_teams).post(directory::create_team),
        )
        .route(
            "/tenants/{tenant}/members",
            get(directory::list_members).post(directory::create_member),
        )
        .route(
            "/tenants/{tenant}/members/{user_id}",
            put(directory::set_member),
        )
        .route("/tenants/{tenant}/events", get(directory::audit))
        .route("/tenants/{tenant}/board", get(board::board))
        .route("/tenants/{tenant}/search", get(search::search))
        .route(
            "/tenants/{tenant}/articles",
            get(knowledge::list_articles).post(knowledge::create_article),
        )
        .route(
            "/tenants/{tenant}/articles/{id}",
            get(knowledge::show_article).put(knowledge::update_article),
        )
        .route(
            "/tenants/{tenant}/articles/{id}/state",
            post(knowledge::change_state),
        )
        .route(
            "/tenants/{tenant}/articles/{id}/versions",
            get(knowledge::versions),
        )
        .route("/tenants/{tenant}/articles/{id}/diff", get(knowledge::diff))
        .route(
            "/tenants/{tenant}/articles/{id}/translations",
            post(knowledge::link_translation).delete(knowledge::unlink_translation),
        )
        .route(
            "/tenants/{tenant}/articles/{id}/views",
            post(knowledge::record_view),
        )
        .route(
            "/tenants/{tenant}/articles/{id}/helpful",
            post(knowledge::helpful),
        )
        .route(
            "/tenants/{tenant}/articles/{id}/flags",
            post(knowledge::flag),
        )
        .route("/tenants/{tenant}/flags", get(knowledge::list_flags))
        .route(
            "/tenants/{tenant}/flags/{id}/resolve",
            post(knowledge::resolve_flag),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/articles",
            get(knowledge::conversation_articles).post(knowledge::link_article),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/articles/{article}",
            axum::routing::delete(knowledge::unlink_article),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/suggestions",
            get(knowledge::suggestions),
        )
        .route(
            "/tenants/{tenant}/products",
            get(knowledge::list_products).post(knowledge::create_product),
        )
        .route(
            "/tenants/{tenant}/products/{id}",
            put(knowledge::update_product),
        )
        .route(
            "/tenants/{tenant}/faq",
            get(knowledge::list_faq).post(knowledge::create_faq),
        )
        .route(
            "/tenants/{tenant}/faq/{id}",
            put(knowledge::update_faq).delete(knowledge::delete_faq),
        )
        .route(
            "/tenants/{tenant}/synonyms/{language}",
            get(knowledge::get_synonyms).put(knowledge::put_synonyms),
        )
        .route(
            "/tenants/{tenant}/knowledge/analytics",
            get(knowledge::get_analytics),
        )
        .route("/public/{tenant}/faq", get(knowledge::public_faq))
        .route(
            "/public/{tenant}/articles/{number}",
            get(knowledge::public_article),
        )
        .route(
            "/tenants/{tenant}/forum/threads",
            get(forum::list_threads).post(forum::create_thread),
        )
        .route("/tenants/{tenant}/forum/prefill", get(forum::prefill))
        .route(
            "/tenants/{tenant}/forum/threads/{id}",
            get(forum::show_thread),
        )
        .route(
            "/tenants/{tenant}/forum/threads/{id}/answers",
            post(forum::answer),
        )
        .route(
            "/tenants/{tenant}/forum/threads/{id}/accept",
            post(forum::accept),
        )
        .route(
            "/tenants/{tenant}/forum/threads/{id}/defect",
            put(forum::set_defect).delete(forum::clear_defect),
        )
        .route(
            "/tenants/{tenant}/forum/threads/{id}/affected",
            post(forum::mark_affected),
        )
        .route("/tenants/{tenant}/forum/posts/{id}", put(forum::edit))
        .route(
            "/tenants/{tenant}/forum/posts/{id}/comments",
            post(forum::comment),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/history",
            get(forum::history),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/helpful",
            post(forum::helpful),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/reuses",
            post(forum::reuse),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/flags",
            post(forum::flag),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/decision",
            post(forum::decide),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/verify",
            post(forum::verify),
        )
        .route(
            "/tenants/{tenant}/forum/posts/{id}/promote",
            post(forum::promote),
        )
        .route("/tenants/{tenant}/forum/queue", get(forum::queue))
        .route("/tenants/{tenant}/forum/digest", get(forum::digest))
        .route(
            "/tenants/{tenant}/forum/follows",
            get(forum::list_follows)
                .post(forum::follow)
                .delete(forum::unfollow),
        )
        .route(
            "/tenants/{tenant}/forum/notifications",
            get(forum::notifications),
        )
        .route(
            "/tenants/{tenant}/forum/notifications/read",
            post(forum::read_notifications),
        )
        .route(
            "/tenants/{tenant}/forum/leaderboard",
            get(forum::leaderboard),
        )
        .route("/tenants/{tenant}/forum/me", get(forum::my_standing))
        .route(
            "/tenants/{tenant}/forum/settings",
            get(forum::get_settings).put(forum::put_settings),
        )
        .route("/tenants/{tenant}/staffing", get(staffing::staffing))
        .route(
            "/tenants/{tenant}/trees",
            get(trees::list).post(trees::create),
        )
        .route(
            "/tenants/{tenant}/trees/validate",
            post(trees::validate_tree),
        )
        .route(
            "/tenants/{tenant}/trees/import",
            post(trees::import).layer(DefaultBodyLimit::max(trees::UPLOAD_LIMIT_BYTES)),
        )
        .route("/tenants/{tenant}/trees/{id}", get(trees::show))
        .route("/tenants/{tenant}/trees/{id}/draft", put(trees::put_draft))
        .route("/tenants/{tenant}/trees/{id}/publish", post(trees::publish))
        .route(
            "/tenants/{tenant}/trees/{id}/versions",
            get(trees::versions),
        )
        .route(
            "/tenants/{tenant}/trees/{id}/versions/{version}",
            get(trees::version),
        )
        .route(
            "/tenants/{tenant}/trees/{id}/versions/{version}/analytics",
            get(trees::analytics),
        )
        .route("/tenants/{tenant}/trees/{id}/diff", get(trees::diff))
        .route("/tenants/{tenant}/trees/{id}/export", get(trees::export))
        .route("/tenants/{tenant}/blobs", get(trees::list_blobs))
        .route(
            "/tenants/{tenant}/blobs/{key}",
            get(trees::get_blob)
                .put(trees::put_blob)
                .layer(DefaultBodyLimit::max(trees::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/tree-suggestions",
            get(trees::suggestions),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/tree-sessions",
            get(trees::conversation_sessions).post(trees::start),
        )
        .route("/tenants/{tenant}/tree-sessions/{id}", get(trees::session))
        .route(
            "/tenants/{tenant}/tree-sessions/{id}/actions",
            post(trees::action),
        )
        .route(
            "/tenants/{tenant}/customers",
            get(customers::list).post(customers::create),
        )
        .route(
            "/tenants/{tenant}/customers/{id}",
            get(customers::show).patch(customers::update),
        )
        .route(
            "/tenants/{tenant}/customers/{id}/identities",
            post(customers::add_identity),
        )
        .route(
            "/tenants/{tenant}/customers/{id}/merge",
            post(customers::merge),
        )
        .route(
            "/tenants/{tenant}/customers/{id}/merges",
            get(customers::merges),
        )
        .route(
            "/tenants/{tenant}/customers/{id}/merges/{merge_id}/undo",
            post(customers::undo_merge),
        )
        .route(
            "/cti/{tenant}/{connector}/events",
            post(cti::receive).layer(DefaultBodyLimit::max(
                plateau_core::channels::voice::MAX_CTI_BYTES,
            )),
        )
        .route(
            "/tenants/{tenant}/letters",
            post(letters::create).layer(DefaultBodyLimit::max(letters::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/tenants/{tenant}/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}",
            get(conversations::show).patch(conversations::update),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/messages",
            post(conversations::add_message),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/events",
            get(conversations::events),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/escalate",
            post(escalation::post),
        )
        .route(
            "/tenants/{tenant}/conversations/{id}/callbacks",
            get(callbacks::of_conversation).post(callbacks::create),
        )
        .route("/tenants/{tenant}/callbacks", get(callbacks::of_tenant))
        .route(
            "/tenants/{tenant}/callbacks/{id}/cancel",
            post(callbacks::cancel),
        )
        .route(
            "/tenants/{tenant}/callbacks/{id}/done",
            post(callbacks::done),
        )
        .fallback(|| async { WebError::Domain(DomainError::NotFound("endpoint")) });
    Router::new()
        .nest("/api/v1", v1)
        .route(
            "/api/openapi.json",
            get(|| async { axum::Json(ApiDoc::openapi()) }),
        )
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.docs.json", ApiDoc::openapi()),
        )
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Plateau API", description = "Contact-centre desk: tenants, customers, conversations, messages, board and live events. Errors are RFC 9457 problem+json with a stable `code`."),
    paths(
        me::me, me::list_tokens, me::create_token, me::revoke_token,
        advisors::mine, advisors::declare, advisors::postpone_break, advisors::tenant,
        advisors::get_profile, advisors::put_profile,
        availability::tenant, availability::set_hours, availability::public,
        mail::list_mailboxes, mail::put_mailbox, mail::delete_mailbox, mail::list_inbound,
        mail::raw_inbound, mail::replay, mail::discard,
        webhooks::create_connector, webhooks::list_connectors, webhooks::receive,
        chat::connect, chat::get_settings, chat::put_settings, chat::agent_typing,
        routing::get, routing::put,
        offers::mine, offers::accept, offers::reject, wallboard::get,
        escalation::post, callbacks::create, callbacks::of_conversation, callbacks::of_tenant, callbacks::cancel, callbacks::done,
        directory::list_tenants, directory::create_tenant, directory::list_sites, directory::create_site,
        directory::list_teams, directory::create_team, directory::list_members, directory::create_member,
        directory::set_member, directory::audit,
        board::board,
        search::search,
        knowledge::list_articles, knowledge::create_article, knowledge::show_article,
        knowledge::update_article, knowledge::change_state, knowledge::versions, knowledge::diff,
        knowledge::link_translation, knowledge::unlink_translation, knowledge::record_view,
        knowledge::helpful, knowledge::flag, knowledge::list_flags, knowledge::resolve_flag,
        knowledge::conversation_articles, knowledge::link_article, knowledge::unlink_article,
        knowledge::suggestions, knowledge::list_products, knowledge::create_product,
        knowledge::update_product, knowledge::list_faq, knowledge::create_faq,
        knowledge::update_faq, knowledge::delete_faq, knowledge::get_synonyms,
        knowledge::put_synonyms, knowledge::get_analytics, knowledge::public_faq,
        knowledge::public_article,
        forum::list_threads, forum::create_thread, forum::prefill, forum::show_thread,
        forum::answer, forum::comment, forum::edit, forum::history, forum::helpful,
        forum::accept, forum::reuse, forum::flag, forum::queue, forum::decide,
        forum::verify, forum::promote, forum::digest, forum::set_defect,
        forum::clear_defect, forum::mark_affected, forum::list_follows, forum::follow,
        forum::unfollow, forum::notifications, forum::read_notifications,
        forum::leaderboard, forum::my_standing, forum::get_settings, forum::put_settings,
        staffing::staffing,
        trees::list, trees::create, trees::validate_tree, trees::import, trees::show,
        trees::put_draft, trees::publish, trees::versions, trees::version, trees::analytics,
        trees::diff, trees::export, trees::list_blobs, trees::get_blob, trees::put_blob,
        trees::suggestions, trees::conversation_sessions, trees::start, trees::session,
        trees::action,
        customers::list, customers::create, customers::show, customers::update,
        customers::add_identity, customers::merge, customers::merges, customers::undo_merge,
        cti::receive, letters::create,
        conversations::list, conversations::create, conversations::show, conversations::update,
        conversations::add_message, conversations::events,
        crate::realtime::stream,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;
impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// JSON body extractor whose rejections are problem responses: 400 malformed
/// JSON, 413 too large, 415 wrong content type, 422 well-formed but wrong shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => {
                let status = rej.status();
                let code = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
                    _ => "malformed_json",
                };
                Err(WebError::Request {
                    status,
                    code,
                    detail: rej.body_text(),
                })
            }
        }
    }
}

/// Query-string extractor with problem-response rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rej| WebError::bad_request("invalid_query", rej.body_text()))
    }
}

/// An id from the path; anything that is not a UUID cannot name a record.
pub fn parse_id(s: &str, what: &'static str) -> Result<Uuid, WebError> {
    Uuid::parse_str(s).map_err(|_| WebError::Domain(DomainError::NotFound(what)))
}

/// Resolves a tenant slug the caller may act in for `action`. A tenant the
/// caller does not belong to is reported as absent, never as forbidden.
pub async fn tenant_for(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    action: Action,
) -> Result<Tenant, WebError> {
    let tenant = tenant_by_slug(state, slug).await?;
    user.actor.require(tenant.id, action)?;
    Ok(tenant)
}

/// A tenant by slug through the per-process cache, with no membership check:
/// for `tenant_for` and for the public pages and feeds.
pub async fn tenant_by_slug(state: &AppState, slug: &str) -> Result<Tenant, WebError> {
    if let Some(t) = state.tenant_cache.get(slug) {
        return Ok(t);
    }
    let t = state.store.tenant_by_slug(slug).await?;
    state.tenant_cache.put(slug.to_string(), t.clone());
    Ok(t)
}

/// Distinguishes an absent JSON field (None) from an explicit null (Some(None)).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
