//! The knowledge base over JSON: KCS articles (versions, diffs, state moves,
//! translations), flags ("flag it or fix it"), links to conversations and
//! suggestions while answering, the product catalogue, the FAQ, synonyms and
//! search analytics. Who may do what is the policy's (`Actor::may_*`); these
//! handlers parse, ask it, call the store and answer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::knowledge::{
    diff_article_versions, Article, ArticleContent, ArticleFlag, ArticleState, ArticleVersion,
    Audience, FaqEntry, FieldDiff, FlagReason, FlagStatus, Product, ProductKind, SearchSurface,
};
use plateau_core::model::Language;
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::Cursor;
use plateau_store::knowledge::{
    ArticleEdit, ArticleFilter, ArticleLink, ArticleRef, LinkRate, NewArticle, NewFaq, NewProduct,
    NewSearch, QueryStat, SynonymSuggestion,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::search::{run, SearchParams, SearchResponse};
use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

type Created<T> = Result<(StatusCode, Json<T>), WebError>;

fn me(user: &CurrentUser) -> Option<Uuid> {
    Some(user.user.id)
}

/// Reads an article the caller may see; one they may not is absent.
pub(crate) async fn readable(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    id: &str,
) -> Result<Article, WebError> {
    let id = parse_id(id, "article")?;
    let a = state.store.article(tenant_id, id).await?;
    user.actor.may_read_article(tenant_id, a.audience)?;
    Ok(a)
}

// ---------------------------------------------------------------------------
// Articles

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ArticleQuery {
    /// Comma-separated KCS states.
    pub state: Option<String>,
    /// Comma-separated audiences (narrowed to what the caller may read).
    pub audience: Option<String>,
    pub language: Option<Language>,
    pub product_id: Option<Uuid>,
    pub tag: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

fn parse_list<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Vec<T>, WebError> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|e: String| {
                WebError::bad_request("invalid_query", format!("{field}: {e}"))
            })
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct ArticlePage {
    pub items: Vec<Article>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/articles", tag = "knowledge", params(("tenant" = String, Path), ArticleQuery), responses((status = 200, body = ArticlePage)))]
pub async fn list_articles(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> Result<Json<ArticlePage>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let readable = user.actor.article_audiences(t.id);
    let asked: Vec<Audience> = parse_list("audience", q.audience.as_deref())?;
    let audiences = if asked.is_empty() {
        readable.to_vec()
    } else {
        asked.into_iter().filter(|a| readable.contains(a)).collect()
    };
    if audiences.is_empty() {
        return Ok(Json(ArticlePage {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    let filter = ArticleFilter {
        states: parse_list("state", q.state.as_deref())?,
        audiences,
        language: q.language,
        product_id: q.product_id,
        tag: q.tag.filter(|t| !t.trim().is_empty()),
    };
    let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = state
        .store
        .articles(t.id, &filter, cursor, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(ArticlePage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

// No deny_unknown_fields: serde does not support it beside `flatten`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ArticleIn {
    #[serde(flatten)]
    pub content: ArticleContent,
    /// Default: work_in_progress (KCS: capture first, improve with use).
    pub state: Option<ArticleState>,
    /// Default: internal.
    pub audience: Option<Audience>,
    /// Why the article was written or changed.
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles", tag = "knowledge", params(("tenant" = String, Path)), request_body = ArticleIn, responses((status = 201, body = Article), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ArticleIn>,
) -> Created<Article> {
    let t = tenant_for(&state, &user, &slug, Action::CreateArticle).await?;
    let new = NewArticle {
        content: body.content,
        state: body.state.unwrap_or(ArticleState::WorkInProgress),
        audience: body.audience.unwrap_or(Audience::Internal),
        note: body.note,
    };
    user.actor
        .may_create_article(t.id, new.state, new.audience)?;
    let a = state.store.create_article(t.id, &new, me(&user)).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Serialize, ToSchema)]
pub struct ArticleDetail {
    pub article: Article,
    pub products: Vec<Product>,
    /// The same article in other languages (that the caller may read).
    #[schema(value_type = Vec<Object>)]
    pub translations: Vec<ArticleRef>,
    pub open_flags: Vec<ArticleFlag>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/articles/{id}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = ArticleDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<ArticleDetail>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let article = readable(&state, &user, t.id, &id).await?;
    let catalogue = state.store.products(t.id).await?;
    let products = catalogue
        .into_iter()
        .filter(|p| article.content.product_ids.contains(&p.id))
        .collect();
    let audiences = user.actor.article_audiences(t.id);
    let translations = state
        .store
        .translations(t.id, article.id)
        .await?
        .into_iter()
        .filter(|a| audiences.contains(&a.audience))
        .map(|a| ArticleRef {
            id: a.id,
            number: a.number,
            title: a.content.title,
            language: a.content.language,
            state: a.state,
            audience: a.audience,
        })
        .collect();
    let open_flags = if user.actor.can(t.id, Action::FlagArticles) {
        state
            .store
            .flags(t.id, Some(FlagStatus::Open), Some(article.id), 50)
            .await?
    } else {
        Vec::new()
    };
    Ok(Json(ArticleDetail {
        article,
        products,
        translations,
        open_flags,
    }))
}

// No deny_unknown_fields: serde does not support it beside `flatten`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ArticleUpdateIn {
    /// The version the edit was made from; a newer one answers 409.
    pub expected_version: i64,
    #[serde(flatten)]
    pub content: ArticleContent,
    /// Default: unchanged.
    pub audience: Option<Audience>,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/articles/{id}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ArticleUpdateIn, responses((status = 200, body = Article), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ArticleUpdateIn>,
) -> Result<Json<Article>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let before = readable(&state, &user, t.id, &id).await?;
    let audience = body.audience.unwrap_or(before.audience);
    user.actor
        .may_edit_article(t.id, before.state, before.audience, audience)?;
    let edit = ArticleEdit {
        content: body.content,
        audience,
        note: body.note,
    };
    let a = state
        .store
        .update_article(t.id, before.id, body.expected_version, &edit, me(&user))
        .await?;
    Ok(Json(a))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateIn {
    pub expected_version: i64,
    pub state: ArticleState,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles/{id}/state", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = StateIn, responses((status = 200, body = Article), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn change_state(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<StateIn>,
) -> Result<Json<Article>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let before = readable(&state, &user, t.id, &id).await?;
    user.actor
        .may_change_article_state(t.id, before.state, body.state)?;
    let a = state
        .store
        .change_article_state(
            t.id,
            before.id,
            body.expected_version,
            body.state,
            me(&user),
        )
        .await?;
    Ok(Json(a))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/articles/{id}/versions", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = Vec<ArticleVersion>), (status = 404, body = crate::error::Problem)))]
pub async fn versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<ArticleVersion>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    Ok(Json(state.store.article_versions(t.id, a.id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleDiff {
    pub from: i64,
    pub to: i64,
    /// The fields that differ, each as a line diff (`op`: equal, added, removed).
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDiff>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/articles/{id}/diff", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path), DiffQuery), responses((status = 200, body = ArticleDiff), (status = 404, body = crate::error::Problem)))]
pub async fn diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<ArticleDiff>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    let old = state.store.article_version(t.id, a.id, q.from).await?;
    let new = state.store.article_version(t.id, a.id, q.to).await?;
    Ok(Json(ArticleDiff {
        from: q.from,
        to: q.to,
        fields: diff_article_versions(&old, &new),
    }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslationIn {
    /// The same article in the other language.
    pub translation_id: Uuid,
}

/// Linking two articles as translations changes how both are presented: the
/// caller must be allowed to edit each of them. Shared by the API and the desk.
pub(crate) fn may_link_translation(
    user: &CurrentUser,
    tenant_id: Uuid,
    a: &Article,
    other: &Article,
) -> Result<(), DomainError> {
    for x in [a, other] {
        user.actor
            .may_edit_article(tenant_id, x.state, x.audience, x.audience)?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles/{id}/translations", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = TranslationIn, responses((status = 204), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn link_translation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<TranslationIn>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    let other = readable(&state, &user, t.id, &body.translation_id.to_string()).await?;
    may_link_translation(&user, t.id, &a, &other)?;
    state
        .store
        .link_translation(t.id, a.id, other.id, me(&user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/articles/{id}/translations", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 403, body = crate::error::Problem)))]
pub async fn unlink_translation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    user.actor
        .may_edit_article(t.id, a.state, a.audience, a.audience)?;
    state
        .store
        .unlink_translation(t.id, a.id, me(&user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewIn {
    /// The search that led here (`query_id` of a search response).
    pub query_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles/{id}/views", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ViewIn, responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn record_view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ViewIn>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    state
        .store
        .record_article_view(t.id, a.id, body.query_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles/{id}/helpful", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn helpful(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    state.store.record_article_helpful(t.id, a.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// Flag it or fix it

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    pub reason: FlagReason,
    #[serde(default)]
    pub comment: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/articles/{id}/flags", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = FlagIn, responses((status = 201, body = ArticleFlag), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn flag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<FlagIn>,
) -> Created<ArticleFlag> {
    let t = tenant_for(&state, &user, &slug, Action::FlagArticles).await?;
    let a = readable(&state, &user, t.id, &id).await?;
    let f = state
        .store
        .flag_article(t.id, a.id, body.reason, &body.comment, me(&user))
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FlagQuery {
    /// open (default), fixed or dismissed.
    pub status: Option<FlagStatus>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/flags", tag = "knowledge", params(("tenant" = String, Path), FlagQuery), responses((status = 200, body = Vec<ArticleFlag>), (status = 403, body = crate::error::Problem)))]
pub async fn list_flags(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<FlagQuery>,
) -> Result<Json<Vec<ArticleFlag>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PublishArticles).await?;
    let status = q.status.unwrap_or(FlagStatus::Open);
    Ok(Json(
        state
            .store
            .flags(t.id, Some(status), None, q.limit.unwrap_or(100))
            .await?,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveIn {
    /// fixed or dismissed.
    pub status: FlagStatus,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/flags/{id}/resolve", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ResolveIn, responses((status = 200, body = ArticleFlag), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn resolve_flag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ResolveIn>,
) -> Result<Json<ArticleFlag>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PublishArticles).await?;
    let id = parse_id(&id, "flag")?;
    Ok(Json(
        state
            .store
            .resolve_flag(t.id, id, body.status, &body.note, me(&user))
            .await?,
    ))
}

// ---------------------------------------------------------------------------
// Articles in conversations

async fn conversation_id(state: &AppState, tenant_id: Uuid, raw: &str) -> Result<Uuid, WebError> {
    let id = parse_id(raw, "conversation")?;
    // Existence in this tenant, so another tenant's id is absent.
    Ok(state.store.conversation(tenant_id, id).await?.id)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/articles", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 404, body = crate::error::Problem)))]
pub async fn conversation_articles(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<ArticleLink>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let conv = conversation_id(&state, t.id, &id).await?;
    let audiences = user.actor.article_audiences(t.id);
    Ok(Json(
        state
            .store
            .conversation_articles(t.id, conv)
            .await?
            .into_iter()
            .filter(|l| audiences.contains(&l.article.audience))
            .collect(),
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub article_id: Uuid,
    /// The search that found it, for analytics and learned synonyms.
    pub query_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkOut {
    /// False when the article was already linked (nothing counted twice).
    pub linked: bool,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/articles", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = LinkIn, responses((status = 200, body = LinkOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn link_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<LinkIn>,
) -> Result<Json<LinkOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::LinkArticles).await?;
    let conv = conversation_id(&state, t.id, &id).await?;
    let a = readable(&state, &user, t.id, &body.article_id.to_string()).await?;
    let linked = state
        .store
        .link_article(t.id, conv, a.id, body.query_id, me(&user))
        .await?;
    Ok(Json(LinkOut { linked }))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/conversations/{id}/articles/{article}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path), ("article" = String, Path)), responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn unlink_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id, article)): Path<(String, String, String)>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::LinkArticles).await?;
    let conv = conversation_id(&state, t.id, &id).await?;
    let a = readable(&state, &user, t.id, &article).await?;
    state
        .store
        .unlink_article(t.id, conv, a.id, me(&user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The words a conversation is about: its subject, contact reason and the
/// customer's first words, cut so the query stays a query.
pub fn suggestion_text(subject: &str, reason: Option<&str>, first_inbound: Option<&str>) -> String {
    const MAX: usize = 300;
    let mut text = subject.to_string();
    if let Some(r) = reason {
        text.push(' ');
        text.push_str(&r.replace(['-', '_'], " "));
    }
    if let Some(m) = first_inbound {
        text.push(' ');
        text.push_str(m);
    }
    // Quotes would turn the customer's words into a phrase search.
    let text: String = text.replace('"', " ");
    text.chars().take(MAX).collect()
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/suggestions", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = SearchResponse), (status = 404, body = crate::error::Problem)))]
pub async fn suggestions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<SearchResponse>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    user.actor.require(t.id, Action::ViewConversations)?;
    let conv = state
        .store
        .conversation(t.id, parse_id(&id, "conversation")?)
        .await?;
    let messages = state.store.messages(t.id, conv.id, false).await?;
    let first = messages
        .iter()
        .find(|m| m.direction == plateau_core::model::Direction::Inbound)
        .map(|m| m.body.as_str());
    let params = SearchParams {
        q: suggestion_text(&conv.subject, conv.reason.as_deref(), first),
        kind: Some("article".into()),
        language: None,
        as_you_type: false,
        limit: Some(5),
        offset: 0,
    };
    let mut found = run(&state, &user, &slug, t.id, &params).await?;
    found.query_id = log_search(&state, &user, t.id, &found, SearchSurface::Suggestion).await;
    Ok(Json(found))
}

/// Logs a search for analytics and returns its id, or `None` when there was
/// nothing to log. A failure to log never fails the search itself.
pub async fn log_search(
    state: &AppState,
    user: &CurrentUser,
    tenant_id: Uuid,
    found: &SearchResponse,
    surface: SearchSurface,
) -> Option<Uuid> {
    if found.query.trim().is_empty() {
        return None;
    }
    let new = NewSearch {
        user_id: Some(user.user.id),
        query: found.query.clone(),
        language: None,
        surface,
        result_count: found.total as i64,
        result_article_ids: found
            .hits
            .iter()
            .filter(|h| h.kind == "article")
            .map(|h| h.id)
            .collect(),
        at: None,
    };
    match state.store.record_search(tenant_id, &new).await {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = ?e, "search log write failed");
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Products

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub code: String,
    pub name: String,
    pub kind: Option<ProductKind>,
    /// A JSON object of attributes (speed, colour, warranty…).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Option<serde_json::Value>,
    pub parent_id: Option<Uuid>,
}

impl ProductIn {
    fn into_domain(self) -> NewProduct {
        NewProduct {
            code: self.code,
            name: self.name,
            kind: self.kind.unwrap_or(ProductKind::Product),
            attributes: self
                .attributes
                .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
            parent_id: self.parent_id,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/products", tag = "knowledge", params(("tenant" = String, Path)), responses((status = 200, body = Vec<Product>)))]
pub async fn list_products(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Product>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    Ok(Json(state.store.products(t.id).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/products", tag = "knowledge", params(("tenant" = String, Path)), request_body = ProductIn, responses((status = 201, body = Product), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ProductIn>,
) -> Created<Product> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let p = state
        .store
        .create_product(t.id, &body.into_domain(), me(&user))
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/products/{id}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ProductIn, responses((status = 200, body = Product), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ProductIn>,
) -> Result<Json<Product>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let id = parse_id(&id, "product")?;
    Ok(Json(
        state
            .store
            .update_product(t.id, id, &body.into_domain(), me(&user))
            .await?,
    ))
}

// ---------------------------------------------------------------------------
// FAQ

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqIn {
    pub language: Language,
    pub question: String,
    pub answer: String,
    pub article_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    /// Default: last.
    pub position: Option<i64>,
    #[serde(default)]
    pub published: bool,
}

impl FaqIn {
    fn into_domain(self) -> NewFaq {
        NewFaq {
            language: self.language,
            question: self.question,
            answer: self.answer,
            article_id: self.article_id,
            product_id: self.product_id,
            position: self.position,
            published: self.published,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LanguageQuery {
    pub language: Option<Language>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/faq", tag = "knowledge", params(("tenant" = String, Path), LanguageQuery), responses((status = 200, body = Vec<FaqEntry>)))]
pub async fn list_faq(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<LanguageQuery>,
) -> Result<Json<Vec<FaqEntry>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    Ok(Json(state.store.faq_entries(t.id, q.language).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/faq", tag = "knowledge", params(("tenant" = String, Path)), request_body = FaqIn, responses((status = 201, body = FaqEntry), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_faq(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<FaqIn>,
) -> Created<FaqEntry> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let f = state
        .store
        .create_faq(t.id, &body.into_domain(), me(&user))
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/faq/{id}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), request_body = FaqIn, responses((status = 200, body = FaqEntry), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update_faq(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<FaqIn>,
) -> Result<Json<FaqEntry>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let id = parse_id(&id, "FAQ entry")?;
    Ok(Json(
        state
            .store
            .update_faq(t.id, id, &body.into_domain(), me(&user))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/faq/{id}", tag = "knowledge", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn delete_faq(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let id = parse_id(&id, "FAQ entry")?;
    state.store.delete_faq(t.id, id, me(&user)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// Synonyms

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SynonymsBody {
    /// One rule per line: `a, b, c` (equivalent) or `a => b` (one way).
    pub rules: String,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/synonyms/{language}", tag = "knowledge", params(("tenant" = String, Path), ("language" = String, Path)), responses((status = 200, body = SynonymsBody)))]
pub async fn get_synonyms(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, language)): Path<(String, String)>,
) -> Result<Json<SynonymsBody>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let language = parse_language(&language)?;
    let rules = state
        .store
        .synonyms(t.id, language)
        .await?
        .map(|s| s.text)
        .unwrap_or_default();
    Ok(Json(SynonymsBody { rules }))
}

fn parse_language(raw: &str) -> Result<Language, WebError> {
    raw.parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("language")))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/synonyms/{language}", tag = "knowledge", params(("tenant" = String, Path), ("language" = String, Path)), request_body = SynonymsBody, responses((status = 200, body = SynonymsBody), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_synonyms(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, language)): Path<(String, String)>,
    ApiJson(body): ApiJson<SynonymsBody>,
) -> Result<Json<SynonymsBody>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let language = parse_language(&language)?;
    let s = state
        .store
        .put_synonyms(t.id, language, &body.rules, me(&user))
        .await?;
    Ok(Json(SynonymsBody { rules: s.text }))
}

// ---------------------------------------------------------------------------
// Analytics

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// The last N days (1–365, default 30).
    pub days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct KnowledgeAnalytics {
    pub days: i64,
    #[schema(value_type = Vec<Object>)]
    pub top_queries: Vec<QueryStat>,
    #[schema(value_type = Vec<Object>)]
    pub zero_result_queries: Vec<QueryStat>,
    /// Searches after which no article was opened or linked.
    #[schema(value_type = Vec<Object>)]
    pub queries_without_outcome: Vec<QueryStat>,
    #[schema(value_type = Vec<Object>)]
    pub never_found_articles: Vec<ArticleRef>,
    #[schema(value_type = Object)]
    pub link_rate: LinkRate,
    /// Queries after which advisors linked an article the search did not show first.
    #[schema(value_type = Vec<Object>)]
    pub synonym_suggestions: Vec<SynonymSuggestion>,
}

/// The analytics over the last `days` days; shared by the API and the page.
pub async fn analytics(
    state: &AppState,
    tenant_id: Uuid,
    days: i64,
) -> Result<KnowledgeAnalytics, WebError> {
    let days = days.clamp(1, 365);
    let until = Timestamp::now();
    let since = Timestamp(until.0 - days * 86_400 * 1_000_000);
    let s = &state.store;
    Ok(KnowledgeAnalytics {
        days,
        top_queries: s.top_queries(tenant_id, since, until, 20).await?,
        zero_result_queries: s.zero_result_queries(tenant_id, since, until, 20).await?,
        queries_without_outcome: s
            .queries_without_outcome(tenant_id, since, until, 20)
            .await?,
        never_found_articles: s.never_found_articles(tenant_id, since, 50).await?,
        link_rate: s.link_rate(tenant_id, since, until).await?,
        synonym_suggestions: s
            .synonym_suggestions(tenant_id, since, until, 2, 20)
            .await?,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/knowledge/analytics", tag = "knowledge", params(("tenant" = String, Path), WindowQuery), responses((status = 200, body = KnowledgeAnalytics), (status = 403, body = crate::error::Problem)))]
pub async fn get_analytics(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<KnowledgeAnalytics>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewKnowledgeAnalytics).await?;
    Ok(Json(analytics(&state, t.id, q.days.unwrap_or(30)).await?))
}

// ---------------------------------------------------------------------------
// Public: the FAQ feed for voice menus and virtual agents, and the help
// centre's articles. No login; only published FAQ entries and validated
// public articles ever leave through here.

#[derive(Serialize, ToSchema)]
pub struct PublicFaqEntry {
    pub question: String,
    pub answer: String,
    /// The product's code, for menus organised by product.
    pub product: Option<String>,
    pub position: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PublicFaq {
    pub tenant: String,
    pub language: Language,
    pub entries: Vec<PublicFaqEntry>,
}

#[utoipa::path(get, path = "/api/v1/public/{tenant}/faq", tag = "public", params(("tenant" = String, Path), LanguageQuery), responses((status = 200, body = PublicFaq), (status = 404, body = crate::error::Problem)))]
pub async fn public_faq(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<LanguageQuery>,
) -> Result<Json<PublicFaq>, WebError> {
    let t = super::tenant_by_slug(&state, &slug).await?;
    let language = q.language.unwrap_or(Language::Fr);
    let products = state.store.products(t.id).await?;
    let entries = state
        .store
        .published_faq(t.id, language)
        .await?
        .into_iter()
        .map(|f| PublicFaqEntry {
            product: f
                .product_id
                .and_then(|id| products.iter().find(|p| p.id == id))
                .map(|p| p.code.clone()),
            question: f.question,
            answer: f.answer,
            position: f.position,
        })
        .collect();
    Ok(Json(PublicFaq {
        tenant: t.slug,
        language,
        entries,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PublicArticle {
    pub number: i64,
    pub language: Language,
    pub title: String,
    pub issue: String,
    pub environment: String,
    pub resolution: String,
    pub cause: String,
    pub tags: Vec<String>,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

/// Whether an article may be shown to anyone on the internet.
pub fn is_public(a: &Article) -> bool {
    a.audience == Audience::Public && a.state == ArticleState::Validated
}

#[utoipa::path(get, path = "/api/v1/public/{tenant}/articles/{number}", tag = "public", params(("tenant" = String, Path), ("number" = i64, Path)), responses((status = 200, body = PublicArticle), (status = 404, body = crate::error::Problem)))]
pub async fn public_article(
    State(state): State<AppState>,
    Path((slug, number)): Path<(String, String)>,
) -> Result<Json<PublicArticle>, WebError> {
    let t = super::tenant_by_slug(&state, &slug).await?;
    let number: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("article")))?;
    let a = state.store.article_by_number(t.id, number).await?;
    if !is_public(&a) {
        return Err(DomainError::NotFound("article").into());
    }
    Ok(Json(PublicArticle {
        number: a.number,
        language: a.content.language,
        title: a.content.title,
        issue: a.content.issue,
        environment: a.content.environment,
        resolution: a.content.resolution,
        cause: a.content.cause,
        tags: a.content.tags,
        updated_at: a.updated_at,
    }))
}
