//! The knowledge base on the desk: the list with search and filters, the
//! article page (KCS sections, badges, translations, flag it or fix it, state
//! moves, "was this helpful"), the editor (also reached from a conversation to
//! capture an article), versions with their diff, and the flag queue.
//! Handlers ask the policy, call the store or the API's functions, render.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::knowledge::{
    diff_article_versions, Article, ArticleContent, ArticleState, Audience, DiffLine, FlagReason,
    FlagStatus,
};
use plateau_core::model::{Direction, Language};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::knowledge::{ArticleEdit, ArticleFilter, NewArticle};
use serde::Deserialize;
use uuid::Uuid;

use super::{escape, render, tenant_for, Choice, Layout, UiUser};
use crate::api::knowledge::readable;
use crate::api::parse_id;
use crate::api::search::{run, SearchParams, SearchResponse};
use crate::auth::CurrentUser;
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/kb", get(list))
        .route("/t/{tenant}/kb/new", get(new_form).post(create))
        .route("/t/{tenant}/kb/flags", get(flags))
        .route("/t/{tenant}/kb/flags/{id}/resolve", post(resolve_flag))
        .route("/t/{tenant}/kb/n/{number}", get(by_number))
        .route("/t/{tenant}/kb/{id}", get(article))
        .route("/t/{tenant}/kb/{id}/edit", get(edit_form).post(update))
        .route("/t/{tenant}/kb/{id}/state", post(change_state))
        .route("/t/{tenant}/kb/{id}/flag", post(flag))
        .route("/t/{tenant}/kb/{id}/helpful", post(helpful))
        .route("/t/{tenant}/kb/{id}/translation", post(link_translation))
        .route("/t/{tenant}/kb/{id}/versions", get(versions))
        .route("/t/{tenant}/kb/{id}/diff", get(diff))
        .route("/t/{tenant}/c/{number}/articles", post(link))
        .route(
            "/t/{tenant}/c/{number}/articles/{article}/unlink",
            post(unlink),
        )
}

/// Escaped text as paragraphs: blank lines separate them, single line breaks
/// stay. No markup from the author ever reaches the page.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

fn state_code(s: ArticleState) -> &'static str {
    s.as_str()
}

fn back_local(back: &str, fallback: String) -> String {
    super::local_path(back).map_or(fallback, str::to_string)
}

// ---------------------------------------------------------------------------
// List

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    audience: String,
    /// A product id.
    #[serde(default)]
    product: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    cursor: String,
}

pub struct ArticleRow {
    pub href: String,
    pub number: i64,
    pub title: String,
    pub state: &'static str,
    pub state_label: String,
    pub audience: String,
    pub language: &'static str,
    pub reuse: i64,
    pub views: i64,
    /// A highlighted passage when the list is a search.
    pub snippet: String,
}

#[derive(Template)]
#[template(path = "kb_list.html")]
struct ListPage {
    tr: Tr,
    layout: Layout,
    q: String,
    rows: Vec<ArticleRow>,
    states: Vec<Choice>,
    languages: Vec<Choice>,
    audiences: Vec<Choice>,
    products: Vec<Choice>,
    tag: String,
    next: Option<String>,
    can_create: bool,
    can_publish: bool,
    searching: bool,
}

fn row(tr: &Tr, slug: &str, a: &Article, snippet: String) -> ArticleRow {
    ArticleRow {
        href: format!("/t/{slug}/kb/{}", a.id),
        number: a.number,
        title: a.content.title.clone(),
        state: state_code(a.state),
        state_label: tr.e("kb.state", a.state.as_str()),
        audience: tr.e("kb.audience", a.audience.as_str()),
        language: a.content.language.as_str(),
        reuse: a.reuse_count,
        views: a.view_count,
        snippet,
    }
}

async fn list(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let tr = Tr::new(user.user.locale);
    let state_filter: Option<ArticleState> = q.state.parse().ok();
    let language: Option<Language> = q.language.parse().ok();
    let readable = user.actor.article_audiences(tenant.id).to_vec();
    let audience: Option<Audience> = q.audience.parse().ok().filter(|a| readable.contains(a));
    let audiences = match audience {
        Some(a) => vec![a],
        None => readable.clone(),
    };
    let catalogue = state.store.products(tenant.id).await?;
    let product = Uuid::parse_str(&q.product)
        .ok()
        .filter(|id| catalogue.iter().any(|p| p.id == *id));
    let tag = Some(q.tag.trim().to_lowercase()).filter(|t| !t.is_empty());
    // The same filters on a search's hits (the engine ranks, the store decides).
    let keep = |a: &Article| {
        state_filter.is_none_or(|s| s == a.state)
            && audiences.contains(&a.audience)
            && product.is_none_or(|p| a.content.product_ids.contains(&p))
            && tag.as_ref().is_none_or(|t| a.content.tags.contains(t))
    };
    let mut rows = Vec::new();
    let mut next = None;
    let searching = !q.q.trim().is_empty();
    if searching {
        let params = SearchParams {
            q: q.q.clone(),
            kind: Some("article".into()),
            language: language.map(|l| l.as_str().to_string()),
            as_you_type: false,
            limit: Some(30),
            offset: 0,
        };
        let found = run(&state, &user, &slug, tenant.id, &params).await?;
        let query_id = crate::api::knowledge::log_search(
            &state,
            &user,
            tenant.id,
            &found,
            plateau_core::knowledge::SearchSurface::Desk,
        )
        .await;
        let ids: Vec<Uuid> = found.hits.iter().map(|h| h.id).collect();
        let articles = state.store.articles_by_ids(tenant.id, &ids).await?;
        for h in &found.hits {
            if let Some(a) = articles.iter().find(|a| a.id == h.id) {
                if !keep(a) {
                    continue;
                }
                let mut r = row(&tr, &slug, a, h.snippet_html.clone());
                if let Some(qid) = query_id {
                    r.href = format!("{}?q={qid}", r.href);
                }
                rows.push(r);
            }
        }
    } else {
        let filter = ArticleFilter {
            states: state_filter.into_iter().collect(),
            audiences: audiences.clone(),
            language,
            product_id: product,
            tag: tag.clone(),
        };
        let cursor = plateau_store::conversations::Cursor::decode(&q.cursor).ok();
        let page = state.store.articles(tenant.id, &filter, cursor, 50).await?;
        rows = page
            .items
            .iter()
            .map(|a| row(&tr, &slug, a, String::new()))
            .collect();
        next = page.next_cursor.map(|c| {
            format!(
                "?state={}&language={}&audience={}&product={}&tag={}&cursor={c}",
                q.state.as_str(),
                q.language.as_str(),
                q.audience.as_str(),
                q.product.as_str(),
                super::search::encode(&q.tag)
            )
        });
    }
    let states = Choice::list(
        ArticleState::ALL,
        state_filter,
        |s| s.as_str().into(),
        |s| tr.e("kb.state", s.as_str()),
    );
    let languages = Choice::list(
        Language::ALL,
        language,
        |l| l.as_str().into(),
        |l| tr.e("lang", l.as_str()),
    );
    let audience_choices = readable
        .iter()
        .map(|a| Choice {
            value: a.as_str().into(),
            label: tr.e("kb.audience", a.as_str()),
            selected: audience == Some(*a),
        })
        .collect();
    let products = catalogue
        .iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name.clone(),
            selected: product == Some(p.id),
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "kb",
        tr.t("kb.title").to_string(),
        "",
    )
    .await?;
    render(&ListPage {
        tr,
        layout,
        q: q.q,
        rows,
        states,
        languages,
        audiences: audience_choices,
        products,
        tag: q.tag,
        next,
        can_create: user.actor.can(tenant.id, Action::CreateArticle),
        can_publish: user.actor.can(tenant.id, Action::PublishArticles),
        searching,
    })
}

// ---------------------------------------------------------------------------
// Article page

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    tr: Tr,
    layout: Layout,
    base: String,
    a: Article,
    state: &'static str,
    state_label: String,
    audience_label: String,
    issue: String,
    environment: String,
    resolution: String,
    cause: String,
    products: Vec<String>,
    translations: Vec<(String, String, String)>,
    flags: Vec<(String, String, String)>,
    moves: Vec<(String, String)>,
    can_edit: bool,
    can_flag: bool,
    updated: String,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct ArticleQuery {
    /// The logged search that led here.
    #[serde(default)]
    q: String,
    #[serde(default)]
    notice: String,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    tenant: &plateau_core::model::Tenant,
    a: Article,
    notice: &str,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let t = tenant.id;
    let catalogue = state.store.products(t).await?;
    let products = catalogue
        .iter()
        .filter(|p| a.content.product_ids.contains(&p.id))
        .map(|p| p.name.clone())
        .collect();
    let audiences = user.actor.article_audiences(t);
    let translations = state
        .store
        .translations(t, a.id)
        .await?
        .into_iter()
        .filter(|x| audiences.contains(&x.audience))
        .map(|x| {
            (
                format!("/t/{}/kb/{}", tenant.slug, x.id),
                tr.e("lang", x.content.language.as_str()),
                x.content.title,
            )
        })
        .collect();
    let flags = if user.actor.can(t, Action::FlagArticles) {
        state
            .store
            .flags(t, Some(FlagStatus::Open), Some(a.id), 20)
            .await?
            .into_iter()
            .map(|f| {
                (
                    tr.e("kb.flag", f.reason.as_str()),
                    f.comment,
                    tr.datetime(f.created_at),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let moves = ArticleState::ALL
        .iter()
        .filter(|to| {
            user.actor
                .may_change_article_state(t, a.state, **to)
                .is_ok()
                && **to != a.state
        })
        .map(|to| (to.as_str().to_string(), tr.e("kb.to", to.as_str())))
        .collect();
    let can_edit = user
        .actor
        .may_edit_article(t, a.state, a.audience, a.audience)
        .is_ok();
    let layout = Layout::new(state, user, Some(tenant), "kb", a.content.title.clone(), "").await?;
    render(&ArticlePage {
        base: format!("/t/{}/kb/{}", tenant.slug, a.id),
        state: state_code(a.state),
        state_label: tr.e("kb.state", a.state.as_str()),
        audience_label: tr.e("kb.audience", a.audience.as_str()),
        issue: paragraphs(&a.content.issue),
        environment: paragraphs(&a.content.environment),
        resolution: paragraphs(&a.content.resolution),
        cause: paragraphs(&a.content.cause),
        products,
        translations,
        flags,
        moves,
        can_edit,
        can_flag: user.actor.can(t, Action::FlagArticles),
        updated: tr.datetime(a.updated_at),
        notice: if notice.is_empty() {
            String::new()
        } else {
            tr.e("kb.notice", notice)
        },
        tr,
        layout,
        a,
    })
}

async fn article(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<ArticleQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    let query_id = Uuid::parse_str(&q.q).ok();
    // A view with a stale or foreign query id still counts as a view.
    if state
        .store
        .record_article_view(tenant.id, a.id, query_id)
        .await
        .is_err()
    {
        state
            .store
            .record_article_view(tenant.id, a.id, None)
            .await?;
    }
    show(&state, &user, &tenant, a, &q.notice).await
}

async fn by_number(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("article")))?;
    let a = state.store.article_by_number(tenant.id, n).await?;
    user.actor.may_read_article(tenant.id, a.audience)?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/{}", a.id)).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn helpful(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    state.store.record_article_helpful(tenant.id, a.id).await?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=thanks", a.id)).into_response())
}

#[derive(Deserialize)]
pub struct TranslationForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// The other language's article, by its number.
    number: String,
}

async fn link_translation(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<TranslationForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    let n: i64 = f
        .number
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| DomainError::field("number", "an article number, like 12"))?;
    let other = state.store.article_by_number(tenant.id, n).await?;
    user.actor.may_read_article(tenant.id, other.audience)?;
    crate::api::knowledge::may_link_translation(&user, tenant.id, &a, &other)?;
    state
        .store
        .link_translation(tenant.id, a.id, other.id, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=saved", a.id)).into_response())
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    reason: String,
    #[serde(default)]
    comment: String,
}

async fn flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<FlagForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::FlagArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    let reason: FlagReason = f
        .reason
        .parse()
        .map_err(|m| DomainError::field("reason", m))?;
    state
        .store
        .flag_article(tenant.id, a.id, reason, &f.comment, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=flagged", a.id)).into_response())
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    state: String,
    version: i64,
}

async fn change_state(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<StateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    let to: ArticleState = f
        .state
        .parse()
        .map_err(|m| DomainError::field("state", m))?;
    user.actor
        .may_change_article_state(tenant.id, a.state, to)?;
    match state
        .store
        .change_article_state(tenant.id, a.id, f.version, to, Some(user.user.id))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=moved", a.id)).into_response()),
        Err(plateau_store::StoreError::Domain(DomainError::Conflict(_))) => {
            Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=conflict", a.id)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Editor

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    tr: Tr,
    layout: Layout,
    action: String,
    form: EditForm,
    languages: Vec<Choice>,
    audiences: Vec<Choice>,
    products: Vec<(String, String, bool)>,
    errors: Vec<(String, String)>,
    conflict: bool,
    creating: bool,
}

#[derive(Deserialize, Default, Clone)]
pub struct EditForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub issue: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: i64,
    /// Product ids, several fields of the same name.
    #[serde(default)]
    pub products: Vec<String>,
}

impl EditForm {
    fn from_article(a: &Article) -> EditForm {
        EditForm {
            csrf: String::new(),
            title: a.content.title.clone(),
            language: a.content.language.as_str().into(),
            issue: a.content.issue.clone(),
            environment: a.content.environment.clone(),
            resolution: a.content.resolution.clone(),
            cause: a.content.cause.clone(),
            tags: a.content.tags.join(", "),
            audience: a.audience.as_str().into(),
            note: String::new(),
            version: a.version,
            products: a.content.product_ids.iter().map(Uuid::to_string).collect(),
        }
    }

    fn content(&self) -> ArticleContent {
        ArticleContent {
            title: self.title.clone(),
            issue: self.issue.clone(),
            environment: self.environment.clone(),
            resolution: self.resolution.clone(),
            cause: self.cause.clone(),
            tags: self
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            product_ids: self
                .products
                .iter()
                .filter_map(|p| Uuid::parse_str(p).ok())
                .collect(),
            language: self.language.parse().unwrap_or(Language::Fr),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &plateau_core::model::Tenant,
    action: String,
    form: EditForm,
    errors: Vec<(String, String)>,
    conflict: bool,
    creating: bool,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let languages = Choice::list(
        Language::ALL,
        form.language.parse().ok(),
        |l| l.as_str().into(),
        |l| tr.e("lang", l.as_str()),
    );
    let audiences = Choice::list(
        Audience::ALL,
        form.audience.parse().ok().or(Some(Audience::Internal)),
        |a| a.as_str().into(),
        |a| tr.e("kb.audience", a.as_str()),
    );
    let products = state
        .store
        .products(tenant.id)
        .await?
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            let chosen = form.products.contains(&id);
            (id, p.name, chosen)
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "kb",
        tr.t(if creating { "kb.new" } else { "kb.edit" })
            .to_string(),
        "",
    )
    .await?;
    let page = EditPage {
        tr,
        layout,
        action,
        form,
        languages,
        audiences,
        products,
        errors: errors.clone(),
        conflict,
        creating,
    };
    let rendered = render(&page)?;
    Ok(if errors.is_empty() && !conflict {
        rendered
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, rendered).into_response()
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// Capture from a conversation: its number.
    #[serde(default)]
    conversation: String,
}

async fn new_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::CreateArticle).await?;
    let mut form = EditForm {
        language: user.user.locale.as_str().into(),
        audience: Audience::Internal.as_str().into(),
        ..EditForm::default()
    };
    // KCS: capture in the workflow, in the customer's own words.
    if let Ok(n) = q.conversation.parse::<i64>() {
        if user.actor.can(tenant.id, Action::ViewConversations) {
            let c = state.store.conversation_by_number(tenant.id, n).await?;
            let first = state
                .store
                .messages(tenant.id, c.id, false)
                .await?
                .into_iter()
                .find(|m| m.direction == Direction::Inbound);
            form.title = c.subject.clone();
            form.language = c.language.as_str().into();
            form.issue = first.map(|m| m.body).unwrap_or_default();
            form.note = format!("#{}", c.number);
        }
    }
    edit_page(
        &state,
        &user,
        &tenant,
        format!("/t/{slug}/kb/new"),
        form,
        Vec::new(),
        false,
        true,
    )
    .await
}

fn field_errors(e: plateau_store::StoreError) -> Result<Vec<(String, String)>, UiError> {
    match e {
        plateau_store::StoreError::Domain(DomainError::Invalid(errs)) => {
            Ok(errs.into_iter().map(|e| (e.field, e.message)).collect())
        }
        other => Err(other.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<EditForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::CreateArticle).await?;
    let audience: Audience = f.audience.parse().unwrap_or(Audience::Internal);
    user.actor
        .may_create_article(tenant.id, ArticleState::WorkInProgress, audience)?;
    let new = NewArticle {
        content: f.content(),
        state: ArticleState::WorkInProgress,
        audience,
        note: f.note.clone(),
    };
    match state
        .store
        .create_article(tenant.id, &new, Some(user.user.id))
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=saved", a.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            edit_page(
                &state,
                &user,
                &tenant,
                format!("/t/{slug}/kb/new"),
                f,
                errors,
                false,
                true,
            )
            .await
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    user.actor
        .may_edit_article(tenant.id, a.state, a.audience, a.audience)?;
    let action = format!("/t/{slug}/kb/{}/edit", a.id);
    edit_page(
        &state,
        &user,
        &tenant,
        action,
        EditForm::from_article(&a),
        Vec::new(),
        false,
        false,
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<EditForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    let a = readable(&state, &user, tenant.id, &id).await?;
    let audience: Audience = f.audience.parse().unwrap_or(a.audience);
    user.actor
        .may_edit_article(tenant.id, a.state, a.audience, audience)?;
    let edit = ArticleEdit {
        content: f.content(),
        audience,
        note: f.note.clone(),
    };
    let action = format!("/t/{slug}/kb/{}/edit", a.id);
    match state
        .store
        .update_article(tenant.id, a.id, f.version, &edit, Some(user.user.id))
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/t/{slug}/kb/{}?notice=saved", a.id)).into_response()),
        // Someone saved first: keep this person's text and say so.
        Err(plateau_store::StoreError::Domain(DomainError::Conflict(_))) => {
            edit_page(&state, &user, &tenant, action, f, Vec::new(), true, false).await
        }
        Err(e) => {
            let errors = field_errors(e)?;
            edit_page(&state, &user, &tenant, action, f, errors, false, false).await
        }
    }
}

// ---------------------------------------------------------------------------
// Versions and diff

pub struct VersionRow {
    pub version: i64,
    pub when: String,
    pub author: String,
    pub note: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "kb_versions.html")]
struct VersionsPage {
    tr: Tr,
    layout: Layout,
    base: String,
    title: String,
    rows: Vec<VersionRow>,
    /// (field label, lines as (op, text)) when two versions are compared.
    diff: Vec<(String, Vec<(&'static str, String)>)>,
    from: i64,
    to: i64,
}

#[derive(Deserialize, Default)]
pub struct DiffQuery {
    #[serde(default)]
    from: i64,
    #[serde(default)]
    to: i64,
}

async fn versions_page(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
    from: i64,
    to: i64,
) -> Result<Response, UiError> {
    let tenant = tenant_for(state, user, slug, Action::ViewArticles).await?;
    let tr = Tr::new(user.user.locale);
    let a = readable(state, user, tenant.id, id).await?;
    let versions = state.store.article_versions(tenant.id, a.id).await?;
    let members = state.store.members(tenant.id).await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|id| members.iter().find(|m| m.user.id == id))
            .map(|m| m.user.display_name.clone())
            .unwrap_or_else(|| tr.t("empty.dash").to_string())
    };
    let rows = versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            when: tr.datetime(v.created_at),
            author: name(v.author_id),
            note: v.note.clone(),
            state: tr.e("kb.state", v.state.as_str()),
        })
        .collect();
    let mut diff = Vec::new();
    if from > 0 && to > 0 {
        let old = state.store.article_version(tenant.id, a.id, from).await?;
        let new = state.store.article_version(tenant.id, a.id, to).await?;
        for f in diff_article_versions(&old, &new) {
            let lines = f
                .lines
                .into_iter()
                .map(|l| match l {
                    DiffLine::Equal(t) => ("equal", t),
                    DiffLine::Added(t) => ("added", t),
                    DiffLine::Removed(t) => ("removed", t),
                })
                .collect();
            diff.push((tr.e("kb.field", f.field), lines));
        }
    }
    let layout = Layout::new(
        state,
        user,
        Some(&tenant),
        "kb",
        format!("{} — {}", tr.t("kb.versions"), a.content.title),
        "",
    )
    .await?;
    render(&VersionsPage {
        tr,
        layout,
        base: format!("/t/{slug}/kb/{}", a.id),
        title: a.content.title,
        rows,
        diff,
        from,
        to,
    })
}

async fn versions(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    versions_page(&state, &user, &slug, &id, 0, 0).await
}

async fn diff(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, UiError> {
    versions_page(&state, &user, &slug, &id, q.from, q.to).await
}

// ---------------------------------------------------------------------------
// Flag queue

pub struct FlagRow {
    pub id: String,
    pub article_href: String,
    pub article: String,
    pub reason: String,
    pub comment: String,
    pub who: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "kb_flags.html")]
struct FlagsPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<FlagRow>,
}

async fn flags(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::PublishArticles).await?;
    let tr = Tr::new(user.user.locale);
    let open = state
        .store
        .flags(tenant.id, Some(FlagStatus::Open), None, 200)
        .await?;
    let ids: Vec<Uuid> = open.iter().map(|f| f.article_id).collect();
    let articles = state.store.articles_by_ids(tenant.id, &ids).await?;
    let members = state.store.members(tenant.id).await?;
    let rows = open
        .into_iter()
        .map(|f| FlagRow {
            id: f.id.to_string(),
            article_href: format!("/t/{slug}/kb/{}", f.article_id),
            article: articles
                .iter()
                .find(|a| a.id == f.article_id)
                .map(|a| format!("#{} {}", a.number, a.content.title))
                .unwrap_or_default(),
            reason: tr.e("kb.flag", f.reason.as_str()),
            comment: f.comment,
            who: f
                .created_by
                .and_then(|id| members.iter().find(|m| m.user.id == id))
                .map(|m| m.user.display_name.clone())
                .unwrap_or_default(),
            when: tr.ago(f.created_at, Timestamp::now()),
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "kb",
        tr.t("kb.flags").to_string(),
        "",
    )
    .await?;
    render(&FlagsPage { tr, layout, rows })
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    status: String,
    #[serde(default)]
    note: String,
}

async fn resolve_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PublishArticles).await?;
    let status: FlagStatus = f
        .status
        .parse()
        .map_err(|m| DomainError::field("status", m))?;
    state
        .store
        .resolve_flag(
            tenant.id,
            parse_id(&id, "flag")?,
            status,
            &f.note,
            Some(user.user.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/flags")).into_response())
}

// ---------------------------------------------------------------------------
// Knowledge in a conversation

/// What the conversation page's knowledge panel shows.
pub struct Panel {
    pub suggestions: Vec<PanelHit>,
    pub linked: Vec<PanelHit>,
    pub query_id: String,
    pub capture_href: String,
    pub can_link: bool,
}

pub struct PanelHit {
    pub id: String,
    pub href: String,
    pub title: String,
    pub state: &'static str,
    pub state_label: String,
    /// The resolution, for "insert into reply".
    pub resolution: String,
    pub snippet: String,
}

/// Suggestions for a conversation (logged as a search) and its linked articles.
pub async fn panel(
    state: &AppState,
    user: &CurrentUser,
    tenant: &plateau_core::model::Tenant,
    conv: &plateau_core::model::Conversation,
    first_inbound: Option<&str>,
    tr: &Tr,
) -> Result<Option<Panel>, WebError> {
    if !user.actor.can(tenant.id, Action::ViewArticles) {
        return Ok(None);
    }
    let params = SearchParams {
        q: crate::api::knowledge::suggestion_text(
            &conv.subject,
            conv.reason.as_deref(),
            first_inbound,
        ),
        kind: Some("article".into()),
        language: None,
        as_you_type: false,
        limit: Some(5),
        offset: 0,
    };
    let found: SearchResponse = run(state, user, &tenant.slug, tenant.id, &params).await?;
    let query_id = crate::api::knowledge::log_search(
        state,
        user,
        tenant.id,
        &found,
        plateau_core::knowledge::SearchSurface::Suggestion,
    )
    .await;
    let linked_links = state
        .store
        .conversation_articles(tenant.id, conv.id)
        .await?;
    let audiences = user.actor.article_audiences(tenant.id);
    let mut ids: Vec<Uuid> = found.hits.iter().map(|h| h.id).collect();
    ids.extend(linked_links.iter().map(|l| l.article.id));
    let articles = state.store.articles_by_ids(tenant.id, &ids).await?;
    let hit = |a: &Article, snippet: String| PanelHit {
        id: a.id.to_string(),
        href: format!(
            "/t/{}/kb/{}{}",
            tenant.slug,
            a.id,
            query_id.map(|q| format!("?q={q}")).unwrap_or_default()
        ),
        title: a.content.title.clone(),
        state: state_code(a.state),
        state_label: tr.e("kb.state", a.state.as_str()),
        resolution: a.content.resolution.clone(),
        snippet,
    };
    let linked: Vec<PanelHit> = linked_links
        .iter()
        .filter(|l| audiences.contains(&l.article.audience))
        .filter_map(|l| articles.iter().find(|a| a.id == l.article.id))
        .map(|a| hit(a, String::new()))
        .collect();
    let suggestions = found
        .hits
        .iter()
        .filter(|h| !linked.iter().any(|l| l.id == h.id.to_string()))
        .filter_map(|h| {
            articles
                .iter()
                .find(|a| a.id == h.id)
                .map(|a| hit(a, h.snippet_html.clone()))
        })
        .collect();
    Ok(Some(Panel {
        suggestions,
        linked,
        query_id: query_id.map(|q| q.to_string()).unwrap_or_default(),
        capture_href: format!("/t/{}/kb/new?conversation={}", tenant.slug, conv.number),
        can_link: user.actor.can(tenant.id, Action::LinkArticles),
    }))
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    article: String,
    #[serde(default)]
    query_id: String,
    #[serde(default)]
    back: String,
}

async fn link(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<LinkForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::LinkArticles).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("conversation")))?;
    let conv = state.store.conversation_by_number(tenant.id, n).await?;
    let a = readable(&state, &user, tenant.id, &f.article).await?;
    let query_id = Uuid::parse_str(&f.query_id).ok();
    // A stale search id must not cost the advisor their link.
    if state
        .store
        .link_article(tenant.id, conv.id, a.id, query_id, Some(user.user.id))
        .await
        .is_err()
    {
        state
            .store
            .link_article(tenant.id, conv.id, a.id, None, Some(user.user.id))
            .await?;
    }
    Ok(Redirect::to(&back_local(&f.back, format!("/t/{slug}/c/{n}"))).into_response())
}

async fn unlink(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number, article)): Path<(String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::LinkArticles).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("conversation")))?;
    let conv = state.store.conversation_by_number(tenant.id, n).await?;
    let a = readable(&state, &user, tenant.id, &article).await?;
    state
        .store
        .unlink_article(tenant.id, conv.id, a.id, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/c/{n}")).into_response())
}
