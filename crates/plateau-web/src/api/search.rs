//! The desk's search box: one query over the tenant's knowledge-base articles,
//! conversations and messages, with facets and highlighted snippets. A query
//! never fails on its text: syntax the engine does not understand is searched
//! as plain words, and an over-long query is cut and flagged as such.

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::policy::Action;
use plateau_search::{DocKind, Filters, SearchRequest, MAX_QUERY_CHARS};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{tenant_for, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::indexer::NOTE_TAG;
use crate::AppState;

/// At most this many hits per page; deeper pages use `offset`.
pub const MAX_LIMIT: usize = 50;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// What the person typed. Quotes make a phrase.
    #[serde(default)]
    pub q: String,
    /// Comma-separated kinds to search: article, forum_answer, conversation,
    /// message. Default: all the caller may see.
    pub kind: Option<String>,
    /// fr or en: search only this language's documents.
    pub language: Option<String>,
    /// Treat the last word as a prefix (search as you type).
    #[serde(default)]
    pub as_you_type: bool,
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// article, conversation or message.
    pub kind: String,
    pub id: Uuid,
    /// The conversation a message belongs to.
    pub conversation_id: Option<Uuid>,
    pub language: String,
    pub title: String,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    pub title_html: String,
    /// A passage, HTML-escaped, with matched words in `<mark>`.
    pub snippet_html: String,
    /// KCS confidence of an article: wip, not_validated, validated, archived.
    pub state: Option<String>,
    pub audience: Option<String>,
    pub product: Option<String>,
    pub tags: Vec<String>,
    /// Where the desk shows this hit.
    pub url: String,
    /// How far to trust it: validated (a validated article), verified (a
    /// forum answer checked by a knowledge manager), accepted (the asker's
    /// accepted answer) or community (an unvalidated answer). None for
    /// conversations, messages and articles not yet validated.
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SearchResponse {
    /// The text actually searched.
    pub query: String,
    /// The query was too long and was cut to `query`.
    pub truncated: bool,
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Matching documents per kind, over all pages.
    pub kinds: Vec<FacetCount>,
    /// The logged search's id: send it back when opening or linking an
    /// article found here, so analytics learn what answered what.
    pub query_id: Option<Uuid>,
}

/// Runs a search on behalf of `user` in tenant `tenant_id` (already checked
/// for `ViewConversations`). Internal notes are left out for those who may
/// not read them.
pub async fn run(
    state: &AppState,
    user: &CurrentUser,
    tenant_slug: &str,
    tenant_id: Uuid,
    params: &SearchParams,
) -> Result<SearchResponse, WebError> {
    let notes_visible = user.actor.can(tenant_id, Action::ViewInternalNotes);
    let mut kinds = match &params.kind {
        None => vec![
            DocKind::Article,
            DocKind::ForumAnswer,
            DocKind::Conversation,
            DocKind::Message,
        ],
        Some(list) => list
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                DocKind::from_code(k.trim()).ok_or_else(|| {
                    WebError::bad_request(
                        "invalid_query",
                        format!(
                            "kind {k:?} is not one of article, forum_answer, conversation, message"
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    // The forum is the centre's own talk: brand accounts never search it.
    let forum_visible = user.actor.can(tenant_id, Action::ViewForum);
    if !forum_visible {
        kinds.retain(|k| *k != DocKind::ForumAnswer);
    }
    // What the caller may not read is excluded in the index query itself, so
    // counts and pages never reveal it: internal notes, and articles outside
    // the caller's audiences (a brand's read-only account sees partner and
    // public ones only).
    let mut exclude_tags = Vec::new();
    if !notes_visible {
        exclude_tags.push(NOTE_TAG.to_string());
    }
    let readable = user.actor.article_audiences(tenant_id);
    let exclude_audiences: Vec<plateau_search::Audience> = plateau_core::knowledge::Audience::ALL
        .iter()
        .filter(|a| !readable.contains(a))
        .filter_map(|a| plateau_search::Audience::from_code(a.as_str()))
        .collect();
    if readable.is_empty() {
        kinds.retain(|k| *k != DocKind::Article);
    }
    let language = match params.language.as_deref() {
        None | Some("") => None,
        Some(code) => Some(plateau_search::Language::from_code(code).ok_or_else(|| {
            WebError::bad_request(
                "invalid_query",
                format!("language {code:?} is not fr or en"),
            )
        })?),
    };
    let limit = params.limit.unwrap_or(20).clamp(1, MAX_LIMIT);
    let mut request = SearchRequest::new(tenant_id, &params.q)
        .filters(Filters {
            kinds: kinds.clone(),
            exclude_tags,
            exclude_audiences,
            ..Filters::default()
        })
        .as_you_type(params.as_you_type)
        .limit(limit);
    request.offset = params.offset.min(10_000);
    request.facets = true;
    if let Some(l) = language {
        request = request.language(l);
    }
    let index = state.search.clone();
    let results = if kinds.is_empty() {
        None
    } else {
        // Scoring is CPU work; keep it off the request threads.
        Some(
            tokio::task::spawn_blocking(move || index.search(&request))
                .await
                .map_err(|e| WebError::Internal(e.into()))?
                .map_err(|e| WebError::Internal(e.into()))?,
        )
    };
    let Some(results) = results else {
        return Ok(SearchResponse {
            query: params.q.chars().take(MAX_QUERY_CHARS).collect(),
            truncated: params.q.chars().count() > MAX_QUERY_CHARS,
            total: 0,
            hits: Vec::new(),
            kinds: Vec::new(),
            query_id: None,
        });
    };
    let mut hits = Vec::with_capacity(results.hits.len());
    for h in results
        .hits
        .into_iter()
        .filter(|h| notes_visible || !h.tags.iter().any(|t| t == NOTE_TAG))
    {
        let url = match (h.kind, h.parent_id) {
            (DocKind::Message, Some(conv)) => {
                format!("/t/{tenant_slug}/open/{conv}#m-{}", h.id)
            }
            (DocKind::Article, _) => format!("/t/{tenant_slug}/kb/{}", h.id),
            (DocKind::ForumAnswer, Some(thread)) => format!(
                "{}#p-{}",
                super::forum::thread_url(tenant_slug, thread),
                h.id
            ),
            _ => format!("/t/{tenant_slug}/open/{}", h.id),
        };
        let confidence = match h.kind {
            DocKind::Article => {
                (h.state == Some(plateau_search::ArticleState::Validated)).then(|| {
                    plateau_core::forum::Confidence::Validated
                        .as_str()
                        .to_string()
                })
            }
            DocKind::ForumAnswer => {
                // The store has the last word: a post hidden since it was
                // indexed is never shown, and the label is always current.
                match state.store.forum_answer_for_index(tenant_id, h.id).await? {
                    Some(a) => Some(a.post.confidence().as_str().to_string()),
                    None => continue,
                }
            }
            _ => None,
        };
        hits.push(SearchHit {
            kind: h.kind.code().to_string(),
            id: h.id,
            conversation_id: h.parent_id,
            language: h.language.code().to_string(),
            title: h.title,
            title_html: h.title_html,
            snippet_html: h.snippet_html,
            state: h.state.map(|s| s.code().to_string()),
            audience: h.audience.map(|a| a.code().to_string()),
            product: h.product,
            tags: h.tags.into_iter().filter(|t| t != NOTE_TAG).collect(),
            url,
            confidence,
        });
    }
    Ok(SearchResponse {
        query: results.searched_text,
        truncated: results.truncated,
        total: results.total,
        hits,
        kinds: results
            .facets
            .kind
            .into_iter()
            .map(|f| FacetCount {
                value: f.value,
                count: f.count,
            })
            .collect(),
        query_id: None,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/search", tag = "search",
    params(("tenant" = String, Path), SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let mut found = run(&state, &user, &slug, t.id, &params).await?;
    // Typing-as-you-go and later pages are not new searches.
    if !params.as_you_type && params.offset == 0 {
        found.query_id = super::knowledge::log_search(
            &state,
            &user,
            t.id,
            &found,
            plateau_core::knowledge::SearchSurface::Desk,
        )
        .await;
    }
    Ok(Json(found))
}
