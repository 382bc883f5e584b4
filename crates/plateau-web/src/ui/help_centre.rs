//! The public help centre of a brand: no login, validated public articles
//! only, the same French and English search as the desk, and the published
//! FAQ. Searches are logged (surface `help_centre`) for the knowledge
//! managers' analytics.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use plateau_core::knowledge::{ArticleState, Audience, SearchSurface};
use plateau_core::model::{Language, Tenant};
use plateau_core::DomainError;
use plateau_search::{DocKind, Filters, SearchRequest};
use plateau_store::knowledge::NewSearch;
use serde::Deserialize;

use super::knowledge::paragraphs;
use super::render;
use crate::api::knowledge::is_public;
use crate::error::{UiError, WebError};
use crate::i18n::{negotiate, Tr};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/help/{tenant}", get(home))
        .route("/help/{tenant}/a/{number}", get(article))
}

#[derive(Deserialize, Default)]
pub struct HelpQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lang: String,
}

fn language(q: &HelpQuery, headers: &HeaderMap) -> Language {
    q.lang.parse().unwrap_or_else(|_| {
        negotiate(
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

pub struct HelpHit {
    pub href: String,
    pub title_html: String,
    pub snippet_html: String,
}

#[derive(Template)]
#[template(path = "help_home.html")]
struct HomePage {
    tr: Tr,
    tenant: Tenant,
    q: String,
    hits: Vec<HelpHit>,
    faq: Vec<(String, String)>,
    lang: &'static str,
    other_lang: &'static str,
    truncated: bool,
}

async fn home(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<HelpQuery>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let t = crate::api::tenant_by_slug(&state, &slug).await?;
    let lang = language(&q, &headers);
    let tr = Tr::new(lang);
    let mut hits = Vec::new();
    let mut truncated = false;
    if !q.q.trim().is_empty() {
        // Only what anyone on the internet may read: validated, public.
        let mut request = SearchRequest::new(t.id, &q.q)
            .filters(Filters {
                kinds: vec![DocKind::Article],
                audiences: vec![plateau_search::Audience::Public],
                states: vec![plateau_search::ArticleState::Validated],
                ..Filters::default()
            })
            .limit(20);
        request.snippets = true;
        let index = state.search.clone();
        let found = tokio::task::spawn_blocking(move || index.search(&request))
            .await
            .map_err(|e| WebError::Internal(e.into()))?
            .map_err(|e| WebError::Internal(e.into()))?;
        truncated = found.truncated;
        let ids: Vec<uuid::Uuid> = found.hits.iter().map(|h| h.id).collect();
        let articles = state.store.articles_by_ids(t.id, &ids).await?;
        for h in &found.hits {
            // The index may lag a change by a moment: the database decides.
            if let Some(a) = articles.iter().find(|a| a.id == h.id && is_public(a)) {
                hits.push(HelpHit {
                    href: format!("/help/{}/a/{}?lang={}", t.slug, a.number, lang.as_str()),
                    title_html: h.title_html.clone(),
                    snippet_html: h.snippet_html.clone(),
                });
            }
        }
        let log = NewSearch {
            user_id: None,
            query: found.searched_text.clone(),
            language: Some(lang),
            surface: SearchSurface::HelpCentre,
            result_count: hits.len() as i64,
            result_article_ids: ids,
            at: None,
        };
        if let Err(e) = state.store.record_search(t.id, &log).await {
            tracing::warn!(error = ?e, "help-centre search log write failed");
        }
    }
    let faq = state
        .store
        .published_faq(t.id, lang)
        .await?
        .into_iter()
        .map(|f| (f.question, paragraphs(&f.answer)))
        .collect();
    render(&HomePage {
        tr,
        tenant: t,
        q: q.q,
        hits,
        faq,
        lang: lang.as_str(),
        other_lang: if lang == Language::Fr { "en" } else { "fr" },
        truncated,
    })
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage {
    tr: Tr,
    tenant: Tenant,
    number: i64,
    title: String,
    issue: String,
    resolution: String,
    cause: String,
    lang: &'static str,
}

async fn article(
    State(state): State<AppState>,
    Path((slug, number)): Path<(String, String)>,
    Query(q): Query<HelpQuery>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let t = crate::api::tenant_by_slug(&state, &slug).await?;
    let lang = language(&q, &headers);
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("article")))?;
    let a = state.store.article_by_number(t.id, n).await?;
    if !is_public(&a) {
        return Err(WebError::Domain(DomainError::NotFound("article")).into());
    }
    debug_assert!(a.audience == Audience::Public && a.state == ArticleState::Validated);
    state.store.record_article_view(t.id, a.id, None).await?;
    render(&ArticlePage {
        tr: Tr::new(lang),
        number: a.number,
        title: a.content.title.clone(),
        issue: paragraphs(&a.content.issue),
        resolution: paragraphs(&a.content.resolution),
        cause: paragraphs(&a.content.cause),
        lang: lang.as_str(),
        tenant: t,
    })
}
