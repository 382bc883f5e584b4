//! The desk's search page: one box over articles, conversations and messages,
//! with a tab per kind, highlighted snippets and a clear empty state. Also the
//! `open/{id}` hop that turns a search hit's conversation id into its page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use plateau_core::policy::Action;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::parse_id;
use crate::api::search::{run, SearchParams, SearchResponse};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

pub struct KindTab {
    pub label: String,
    pub href: String,
    pub count: u64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    tr: Tr,
    layout: Layout,
    q: String,
    results: SearchResponse,
    tabs: Vec<KindTab>,
    /// Query string of the next page, if there is one.
    next: Option<String>,
    prev: Option<String>,
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let tr = Tr::new(user.user.locale);
    // Tab counts come from an unfiltered search; the list from the chosen tab.
    let all = SearchParams {
        q: params.q.clone(),
        kind: None,
        language: None,
        as_you_type: false,
        limit: Some(1),
        offset: 0,
    };
    let (counts, results) = if params.q.trim().is_empty() {
        // An empty box shows the hint, not a browse of everything.
        (SearchResponse::default(), SearchResponse::default())
    } else {
        (
            run(&state, &user, &slug, tenant.id, &all).await?,
            run(&state, &user, &slug, tenant.id, &params).await?,
        )
    };
    let q = encode(&params.q);
    let current = params.kind.clone().unwrap_or_default();
    let mut tabs = vec![KindTab {
        label: tr.t("search.all").to_string(),
        href: format!("?q={q}"),
        count: counts.total as u64,
        current: current.is_empty(),
    }];
    for f in &counts.kinds {
        tabs.push(KindTab {
            label: tr.e("search.kind", &f.value),
            href: format!("?q={q}&kind={}", f.value),
            count: f.count,
            current: current == f.value,
        });
    }
    let limit = params
        .limit
        .unwrap_or(20)
        .clamp(1, crate::api::search::MAX_LIMIT);
    let kind = if current.is_empty() {
        String::new()
    } else {
        format!("&kind={current}")
    };
    let next = (params.offset + limit < results.total)
        .then(|| format!("?q={q}{kind}&offset={}", params.offset + limit));
    let prev = (params.offset > 0).then(|| {
        format!(
            "?q={q}{kind}&offset={}",
            params.offset.saturating_sub(limit)
        )
    });
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "search",
        tr.t("search.title").to_string(),
        "",
    )
    .await?;
    render(&SearchPage {
        tr,
        layout,
        q: params.q,
        results,
        tabs,
        next,
        prev,
    })
}

/// Opens a conversation by id (search hits carry ids, pages use numbers).
pub async fn open(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let id = parse_id(&id, "conversation")?;
    let c = state.store.conversation(tenant.id, id).await?;
    Ok(Redirect::to(&format!("/t/{slug}/c/{}", c.number)).into_response())
}
