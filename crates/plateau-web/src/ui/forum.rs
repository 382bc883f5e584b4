//! The advisors' forum on the desk: the thread list with filters and follows,
//! the thread page with its actions by role, asking from a conversation, the
//! moderation queue, promotion candidates, recognition, settings and
//! notifications. Handlers authorise, call the forum store, render.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::forum::{
    self, BadgeRule, Confidence, Decision, FlagReason, ForumSettings, Level, Metric, NewThread,
    PostKind, ScoreWeights, ThreadStatus,
};
use plateau_core::model::Tenant;
use plateau_core::policy::Action;
use plateau_core::{DomainError, FieldError, Timestamp};
use plateau_store::forum::{
    FollowTarget, LeaderBy, Post, PromoteRequest, Thread, ThreadFilter, ThreadView,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::parse_id;
use crate::auth::CurrentUser;
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::markdown::to_html;
use crate::svg::StackedBars;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/forum", get(home))
        .route("/t/{tenant}/forum/new", get(new_form).post(create))
        .route("/t/{tenant}/forum/follows", post(follow))
        .route("/t/{tenant}/forum/notifications", get(notifications))
        .route("/t/{tenant}/forum/notifications/read", post(read))
        .route("/t/{tenant}/forum/moderation", get(moderation))
        .route("/t/{tenant}/forum/moderation/{post}", post(decide))
        .route("/t/{tenant}/forum/candidates", get(candidates))
        .route("/t/{tenant}/forum/recognition", get(recognition))
        .route(
            "/t/{tenant}/forum/settings",
            get(settings).post(save_settings),
        )
        .route("/t/{tenant}/forum/{id}", get(thread))
        .route("/t/{tenant}/forum/{id}/answers", post(answer))
        .route("/t/{tenant}/forum/{id}/defect", post(defect))
        .route("/t/{tenant}/forum/{id}/escalate", post(defect))
        .route("/t/{tenant}/forum/{id}/affected", post(affected))
        .route(
            "/t/{tenant}/forum/{id}/posts/{post}/comments",
            post(comment),
        )
        .route(
            "/t/{tenant}/forum/{id}/posts/{post}/edit",
            get(history).post(edit),
        )
        .route("/t/{tenant}/forum/{id}/posts/{post}/history", get(history))
        .route("/t/{tenant}/forum/{id}/posts/{post}/helpful", post(helpful))
        .route("/t/{tenant}/forum/{id}/posts/{post}/accept", post(accept))
        .route("/t/{tenant}/forum/{id}/posts/{post}/link", post(link))
        .route("/t/{tenant}/forum/{id}/posts/{post}/flag", post(flag))
        .route("/t/{tenant}/forum/{id}/posts/{post}/verify", post(verify))
        .route("/t/{tenant}/forum/{id}/posts/{post}/promote", post(promote))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Display names of the tenant's members, for authors, flaggers, leaders.
async fn names(state: &AppState, tenant_id: Uuid) -> Result<HashMap<Uuid, String>, WebError> {
    Ok(state
        .store
        .members(tenant_id)
        .await?
        .into_iter()
        .map(|m| (m.user.id, m.user.display_name))
        .collect())
}

fn name_of(names: &HashMap<Uuid, String>, id: Option<Uuid>) -> String {
    id.and_then(|i| names.get(&i).cloned()).unwrap_or_default()
}

fn notice_text(tr: &Tr, notice: &str) -> String {
    if notice.is_empty() {
        String::new()
    } else {
        tr.e("forum.notice", notice)
    }
}

use crate::api::forum::thread_url as thread_href;

fn back_to(slug: &str, thread: Uuid, notice: &str) -> Response {
    Redirect::to(&format!("{}?notice={notice}", thread_href(slug, thread))).into_response()
}

fn moderator(user: &CurrentUser, t: Uuid) -> bool {
    user.actor.can(t, Action::ModerateForum)
}

/// The thread a path names, as the person may see it: moderators see
/// hidden posts, others get a hidden question's thread as absent.
async fn readable(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    id: &str,
) -> Result<ThreadView, WebError> {
    let id = parse_id(id, "thread")?;
    Ok(state
        .store
        .forum_thread(tenant.id, id, moderator(user, tenant.id))
        .await?)
}

/// A post of the thread in the path that the person may see.
fn post_in<'a>(view: &'a ThreadView, post: &str) -> Result<&'a Post, WebError> {
    let id = parse_id(post, "post")?;
    view.posts
        .iter()
        .find(|p| p.id == id)
        .ok_or(WebError::Domain(DomainError::NotFound("post")))
}

// ---------------------------------------------------------------------------
// Home: the thread list

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    defects: String,
    #[serde(default)]
    notice: String,
}

pub struct ThreadRow {
    pub id: String,
    pub href: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
    pub defect: bool,
    pub answers: i64,
    pub product: String,
    pub tags: Vec<String>,
    pub author: String,
    pub ago: String,
}

pub struct FollowRow {
    pub kind: &'static str,
    pub target: String,
    pub label: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "forum_home.html")]
struct HomePage {
    tr: Tr,
    layout: Layout,
    q: String,
    tag: String,
    defects: bool,
    products: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<ThreadRow>,
    follows: Vec<FollowRow>,
    unread: usize,
    filtered: bool,
    notice: String,
    can_post: bool,
    can_moderate: bool,
    can_curate: bool,
    can_manage: bool,
}

async fn home(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let t = tenant.id;
    let tr = Tr::new(user.user.locale);
    let catalogue = state.store.products(t).await?;
    let product = Uuid::parse_str(&q.product)
        .ok()
        .filter(|id| catalogue.iter().any(|p| p.id == *id));
    let status: Option<ThreadStatus> = q.status.parse().ok();
    let tag = forum::tag(&q.tag).ok();
    let text = Some(q.q.trim().to_string()).filter(|s| !s.is_empty());
    let defects = !q.defects.is_empty();
    let filter = ThreadFilter {
        product_id: product,
        tag: tag.clone(),
        status,
        defect: defects.then_some(true),
        text: text.clone(),
        include_hidden: moderator(&user, t),
        limit: 50,
    };
    let threads = state.store.forum_threads(t, &filter).await?;
    let now = Timestamp::now();
    let product_name = |id: Option<Uuid>| {
        id.and_then(|id| catalogue.iter().find(|p| p.id == id))
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let rows = threads
        .iter()
        .map(|th| ThreadRow {
            id: th.id.to_string(),
            href: thread_href(&slug, th.id),
            title: th.title.clone(),
            status: th.status.as_str(),
            status_label: tr.e("forum.status", th.status.as_str()),
            defect: th.defect.is_some(),
            answers: th.answer_count,
            product: product_name(th.product_id),
            tags: th.tags.clone(),
            author: th.author_name.clone(),
            ago: tr.ago(th.updated_at, now),
        })
        .collect();
    let follows = state
        .store
        .forum_follows(t, user.user.id)
        .await?
        .into_iter()
        .map(|f| match f {
            FollowTarget::Product(id) => FollowRow {
                kind: "product",
                target: id.to_string(),
                label: product_name(Some(id)),
                href: format!("/t/{slug}/forum?product={id}"),
            },
            FollowTarget::Tag(tag) => FollowRow {
                kind: "tag",
                href: format!("/t/{slug}/forum?tag={}", super::search::encode(&tag)),
                label: format!("#{tag}"),
                target: tag,
            },
        })
        .collect();
    let unread = state
        .store
        .forum_notifications(t, user.user.id, true, 100)
        .await?
        .len();
    let products = catalogue
        .iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name.clone(),
            selected: product == Some(p.id),
        })
        .collect();
    let statuses = Choice::list(
        ThreadStatus::ALL,
        status,
        |s| s.as_str().into(),
        |s| tr.e("forum.status", s.as_str()),
    );
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "forum",
        tr.t("forum.title").to_string(),
        "forum-threads forum-unread",
    )
    .await?;
    render(&HomePage {
        notice: notice_text(&tr, &q.notice),
        filtered: product.is_some()
            || tag.is_some()
            || status.is_some()
            || defects
            || text.is_some(),
        can_post: user.actor.can(t, Action::PostForum),
        can_moderate: moderator(&user, t),
        can_curate: user.actor.can(t, Action::VerifyForum),
        can_manage: user.actor.can(t, Action::ManageForum),
        tr,
        layout,
        q: q.q,
        tag: q.tag,
        defects,
        products,
        statuses,
        rows,
        follows,
        unread,
    })
}

#[derive(Deserialize)]
pub struct FollowForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    kind: String,
    target: String,
    /// "1" to follow, "0" to stop.
    #[serde(default)]
    follow: String,
}

async fn follow(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<FollowForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let target = match f.kind.as_str() {
        "product" => {
            // Typed by name or code, or sent back as an id by the unfollow button.
            let wanted = f.target.trim().to_lowercase();
            let p = state
                .store
                .products(tenant.id)
                .await?
                .into_iter()
                .find(|p| {
                    p.id.to_string() == wanted
                        || p.code.to_lowercase() == wanted
                        || p.name.to_lowercase() == wanted
                })
                .ok_or_else(|| DomainError::field("target", "no product of that name or code"))?;
            FollowTarget::Product(p.id)
        }
        "tag" => FollowTarget::Tag(
            forum::tag(f.target.trim_start_matches('#'))
                .map_err(|m| DomainError::field("target", m))?,
        ),
        _ => return Err(DomainError::field("kind", "product or tag").into()),
    };
    let notice = if f.follow == "0" {
        state
            .store
            .unfollow_forum(tenant.id, user.user.id, &target)
            .await?;
        "unfollowed"
    } else {
        state
            .store
            .follow_forum(tenant.id, user.user.id, &target)
            .await?;
        "followed"
    };
    Ok(Redirect::to(&format!("/t/{slug}/forum?notice={notice}")).into_response())
}

// ---------------------------------------------------------------------------
// New question, possibly from a conversation

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// The conversation's number when asked from a conversation.
    #[serde(default)]
    conversation: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct QuestionForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    customer_words: String,
    #[serde(default)]
    tried: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    conversation: String,
}

#[derive(Template)]
#[template(path = "forum_new.html")]
struct NewPage {
    tr: Tr,
    layout: Layout,
    title: String,
    body: String,
    customer_words: String,
    tried: String,
    tags: String,
    products: Vec<Choice>,
    conversation_number: String,
    conversation_label: String,
    errors: Vec<(String, String)>,
    max_body: usize,
    max_context: usize,
}

async fn new_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    form: QuestionForm,
    conversation_label: String,
    errors: Vec<(String, String)>,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let products = state
        .store
        .products(tenant.id)
        .await?
        .into_iter()
        .map(|p| Choice {
            selected: p.id.to_string() == form.product,
            value: p.id.to_string(),
            label: p.name,
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "forum",
        tr.t("forum.new").to_string(),
        "",
    )
    .await?;
    let failed = !errors.is_empty();
    let page = render(&NewPage {
        tr,
        layout,
        title: form.title,
        body: form.body,
        customer_words: form.customer_words,
        tried: form.tried,
        tags: form.tags,
        products,
        conversation_number: form.conversation,
        conversation_label,
        errors,
        max_body: forum::MAX_BODY,
        max_context: forum::MAX_CONTEXT,
    })?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    })
}

/// The conversation a question comes from, if the person may read it.
async fn source_conversation(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    number: &str,
) -> Result<Option<(Uuid, String)>, WebError> {
    let Ok(n) = number.trim().trim_start_matches('#').parse::<i64>() else {
        return Ok(None);
    };
    user.actor.require(tenant.id, Action::ViewConversations)?;
    let c = state.store.conversation_by_number(tenant.id, n).await?;
    Ok(Some((c.id, format!("#{} {}", c.number, c.subject))))
}

async fn new_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let mut form = QuestionForm::default();
    let mut label = String::new();
    if let Some((_, l)) = source_conversation(&state, &user, &tenant, &q.conversation).await? {
        // The number parsed and the conversation exists in this tenant.
        let n: i64 = q
            .conversation
            .trim()
            .trim_start_matches('#')
            .parse()
            .unwrap_or_default();
        let p = state.store.forum_prefill(tenant.id, n).await?;
        let mut tags = p.tags.clone();
        if let Some(r) = p.reason.as_deref().and_then(|r| forum::tag(r).ok()) {
            if !tags.contains(&r) {
                tags.push(r);
            }
        }
        form = QuestionForm {
            title: p.title,
            customer_words: p.customer_words,
            product: p.product_id.map(|id| id.to_string()).unwrap_or_default(),
            tags: tags.join(", "),
            conversation: n.to_string(),
            ..QuestionForm::default()
        };
        label = l;
    }
    new_page(&state, &user, &tenant, form, label, Vec::new()).await
}

fn split_tags(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn field_errors(e: DomainError) -> Result<Vec<(String, String)>, UiError> {
    match e {
        DomainError::Invalid(errs) => Ok(errs.into_iter().map(|e| (e.field, e.message)).collect()),
        other => Err(WebError::Domain(other).into()),
    }
}

fn store_field_errors(e: plateau_store::StoreError) -> Result<Vec<(String, String)>, UiError> {
    match e {
        plateau_store::StoreError::Domain(d) => field_errors(d),
        other => Err(other.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<QuestionForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let from = source_conversation(&state, &user, &tenant, &f.conversation).await?;
    let label = from.as_ref().map(|c| c.1.clone()).unwrap_or_default();
    // Left empty, the customer's words are the question: posting at once matters.
    let body = if f.body.trim().is_empty() {
        f.customer_words.clone()
    } else {
        f.body.clone()
    };
    let product_id = Uuid::parse_str(&f.product).ok();
    if let Some(p) = product_id {
        if !state
            .store
            .products(tenant.id)
            .await?
            .iter()
            .any(|x| x.id == p)
        {
            return new_page(
                &state,
                &user,
                &tenant,
                f,
                label,
                vec![("product".into(), "unknown product".into())],
            )
            .await;
        }
    }
    let new = NewThread {
        title: f.title.clone(),
        body,
        product_id,
        tags: split_tags(&f.tags),
        conversation_id: from.map(|c| c.0),
        customer_words: f.customer_words.clone(),
        tried: f.tried.clone(),
    };
    let checked = match new.validated() {
        Ok(n) => n,
        Err(e) => {
            let errors = field_errors(e)?;
            return new_page(&state, &user, &tenant, f, label, errors).await;
        }
    };
    match state
        .store
        .create_thread(tenant.id, &checked, user.user.id)
        .await
    {
        Ok(v) => Ok(back_to(&slug, v.thread.id, "posted")),
        Err(e) => {
            let errors = store_field_errors(e)?;
            new_page(&state, &user, &tenant, f, label, errors).await
        }
    }
}

// ---------------------------------------------------------------------------
// Thread page

pub struct CommentView {
    pub id: String,
    pub author: String,
    pub when: String,
    pub when_iso: String,
    pub body_html: String,
    pub hidden: bool,
}

pub struct PostView {
    pub id: String,
    pub is_question: bool,
    pub author: String,
    pub level: String,
    pub when: String,
    pub when_iso: String,
    pub edited: bool,
    pub history_href: String,
    pub hidden: bool,
    pub body_html: String,
    pub confidence: &'static str,
    pub confidence_label: String,
    pub accepted: bool,
    pub sources: Vec<String>,
    pub helpful: i64,
    pub reuse: i64,
    pub mine: bool,
    pub can_edit: bool,
    pub can_promote: bool,
    pub comments: Vec<CommentView>,
}

pub struct DefectView {
    pub affected: i64,
    pub target: String,
    pub reference: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "forum_thread.html")]
struct ThreadPage {
    tr: Tr,
    layout: Layout,
    base: String,
    thread_id: String,
    title: String,
    status: &'static str,
    status_label: String,
    defect: bool,
    defect_info: Option<DefectView>,
    product: String,
    tags: Vec<String>,
    conversation_href: String,
    customer_words: String,
    tried: String,
    notice: String,
    error: String,
    article_href: String,
    article_title: String,
    posts: Vec<PostView>,
    answer_count: usize,
    flag_reasons: Vec<Choice>,
    can_post: bool,
    can_vote: bool,
    can_accept: bool,
    can_link: bool,
    can_flag: bool,
    can_curate: bool,
    can_defect: bool,
    max_body: usize,
    max_comment: usize,
}

#[derive(Deserialize, Default)]
pub struct ThreadQuery {
    #[serde(default)]
    notice: String,
}

/// Answers in reading order: the accepted one first, then by helpful
/// votes, then oldest first.
fn answer_order(a: &Post, b: &Post) -> std::cmp::Ordering {
    b.accepted
        .cmp(&a.accepted)
        .then(b.helpful_count.cmp(&a.helpful_count))
        .then(a.created_at.cmp(&b.created_at))
}

async fn thread(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<ThreadQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    show(
        &state,
        &user,
        &tenant,
        view,
        notice_text(&Tr::new(user.user.locale), &q.notice),
    )
    .await
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    view: ThreadView,
    notice: String,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let t = tenant.id;
    let slug = &tenant.slug;
    let me = user.user.id;
    let th: &Thread = &view.thread;
    let base = thread_href(slug, th.id);
    let now = Timestamp::now();
    let can_moderate = moderator(user, t);
    let can_curate = user.actor.can(t, Action::VerifyForum);
    let can_promote_any = user.actor.can(t, Action::PromoteForum);
    // An author whose level unlocks publishing without review promotes
    // their own answers themselves.
    // Levels come from the counters, read once: showing a page awards nothing.
    let settings = state.store.forum_settings(t).await?;
    let levels: HashMap<Uuid, Level> = state
        .store
        .forum_contributions(t)
        .await?
        .into_iter()
        .map(|(u, c)| (u, settings.level_of(&c)))
        .collect();
    let my_level = levels.get(&me).copied().unwrap_or(Level::Candidate);
    let self_publish =
        user.actor.can(t, Action::PostForum) && settings.may_publish_without_review(my_level);
    let level_label = |id: Option<Uuid>| {
        id.and_then(|i| levels.get(&i))
            .map(|l| tr.e("forum.lvl", l.as_str()))
            .unwrap_or_default()
    };
    let post_view = |p: &Post| {
        let mine = p.author_id == Some(me);
        let confidence: Confidence = p.confidence();
        let comments = view
            .posts
            .iter()
            .filter(|c| c.kind == PostKind::Comment && c.parent_id == Some(p.id))
            .map(|c| CommentView {
                id: c.id.to_string(),
                author: c.author_name.clone(),
                when: tr.ago(c.created_at, now),
                when_iso: c.created_at.rfc3339(),
                body_html: to_html(&c.body),
                hidden: c.hidden,
            })
            .collect();
        PostView {
            id: p.id.to_string(),
            is_question: p.kind == PostKind::Question,
            author: p.author_name.clone(),
            level: level_label(p.author_id),
            when: tr.ago(p.created_at, now),
            when_iso: p.created_at.rfc3339(),
            edited: p.revision > 1,
            history_href: format!("{base}/posts/{}/history", p.id),
            hidden: p.hidden,
            body_html: to_html(&p.body),
            confidence: confidence.as_str(),
            confidence_label: tr.e("forum.confidence", confidence.as_str()),
            accepted: p.accepted,
            sources: p.sources.clone(),
            helpful: p.helpful_count,
            reuse: p.reuse_count,
            mine,
            can_edit: (mine && user.actor.can(t, Action::PostForum)) || can_moderate,
            can_promote: p.kind == PostKind::Answer
                && th.promoted_article_id.is_none()
                && !p.hidden
                && if can_promote_any {
                    p.verified_at.is_some()
                } else {
                    mine && self_publish
                },
            comments,
        }
    };
    let mut answers: Vec<&Post> = view
        .posts
        .iter()
        .filter(|p| p.kind == PostKind::Answer)
        .collect();
    answers.sort_by(|a, b| answer_order(a, b));
    let mut posts: Vec<PostView> = view
        .posts
        .iter()
        .filter(|p| p.kind == PostKind::Question)
        .map(post_view)
        .collect();
    let answer_count = answers.iter().filter(|p| !p.hidden).count();
    posts.extend(answers.into_iter().map(post_view));

    let catalogue = state.store.products(t).await?;
    let product = th
        .product_id
        .and_then(|id| catalogue.iter().find(|p| p.id == id))
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let conversation_href = match th.conversation_id {
        Some(cid) if user.actor.can(t, Action::ViewConversations) => {
            match state.store.conversation(t, cid).await {
                Ok(c) => format!("/t/{slug}/c/{}", c.number),
                Err(_) => String::new(),
            }
        }
        _ => String::new(),
    };
    let (article_href, article_title) = match th.promoted_article_id {
        Some(aid) => {
            let found = state.store.articles_by_ids(t, &[aid]).await?;
            match found.first() {
                Some(a) => (
                    format!("/t/{slug}/kb/{}", a.id),
                    format!("#{} {}", a.number, a.content.title),
                ),
                None => (format!("/t/{slug}/kb/{aid}"), String::new()),
            }
        }
        None => (String::new(), String::new()),
    };
    let defect_info = th.defect.as_ref().map(|d| DefectView {
        affected: d.affected_conversations,
        target: d.escalated_to.clone(),
        reference: d.reference.clone(),
        when: d.escalated_at.map(|w| tr.datetime(w)).unwrap_or_default(),
    });
    let flag_reasons = FlagReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: tr.e("forum.flag", r.as_str()),
            selected: false,
        })
        .collect();
    let can_post = user.actor.can(t, Action::PostForum);
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "forum",
        th.title.clone(),
        "forum-posts",
    )
    .await?;
    render(&ThreadPage {
        base,
        thread_id: th.id.to_string(),
        title: th.title.clone(),
        status: th.status.as_str(),
        status_label: tr.e("forum.status", th.status.as_str()),
        defect: th.defect.is_some(),
        defect_info,
        product,
        tags: th.tags.clone(),
        conversation_href,
        customer_words: if th.customer_words.is_empty() {
            String::new()
        } else {
            to_html(&th.customer_words)
        },
        tried: if th.tried.is_empty() {
            String::new()
        } else {
            to_html(&th.tried)
        },
        notice,
        error: String::new(),
        article_href,
        article_title,
        posts,
        answer_count,
        flag_reasons,
        can_post,
        can_vote: can_post,
        can_accept: th.author_id == Some(me) || can_moderate,
        can_link: can_post && user.actor.can(t, Action::ViewConversations),
        can_flag: can_post,
        can_curate,
        can_defect: can_moderate || user.actor.can(t, Action::ViewBoard),
        max_body: forum::MAX_BODY,
        max_comment: forum::MAX_BODY,
        tr,
        layout,
    })
}

#[derive(Deserialize)]
pub struct BodyForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

async fn answer(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<BodyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let body = forum::checked_body(&f.body)?;
    state
        .store
        .add_forum_post(
            tenant.id,
            view.thread.id,
            PostKind::Answer,
            None,
            &body,
            user.user.id,
        )
        .await?;
    Ok(back_to(&slug, view.thread.id, "answered"))
}

async fn comment(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<BodyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let parent = post_in(&view, &post)?;
    if parent.kind == PostKind::Comment {
        return Err(DomainError::field("post", "comments hang off a question or an answer").into());
    }
    let body = forum::checked_body(&f.body)?;
    state
        .store
        .add_forum_post(
            tenant.id,
            view.thread.id,
            PostKind::Comment,
            Some(parent.id),
            &body,
            user.user.id,
        )
        .await?;
    Ok(back_to(&slug, view.thread.id, "commented"))
}

// ---------------------------------------------------------------------------
// Edit and history

pub struct RevisionView {
    pub who: String,
    pub when: String,
    pub note: String,
    pub body_html: String,
}

#[derive(Template)]
#[template(path = "forum_edit.html")]
struct EditPage {
    tr: Tr,
    layout: Layout,
    back: String,
    action: String,
    body: String,
    can_edit: bool,
    history: Vec<RevisionView>,
    errors: Vec<(String, String)>,
    max_body: usize,
}

fn may_edit(user: &CurrentUser, t: Uuid, p: &Post) -> bool {
    (p.author_id == Some(user.user.id) && user.actor.can(t, Action::PostForum))
        || user.actor.can(t, Action::ModerateForum)
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    view: &ThreadView,
    p: &Post,
    body: String,
    errors: Vec<(String, String)>,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let who = names(state, tenant.id).await?;
    let base = thread_href(&tenant.slug, view.thread.id);
    // Newest first: the reader comes for what changed last.
    let mut revisions = state.store.forum_post_history(tenant.id, p.id).await?;
    revisions.reverse();
    let history = revisions
        .into_iter()
        .map(|r| RevisionView {
            who: name_of(&who, r.editor_id),
            when: tr.datetime(r.created_at),
            note: format!("v{}", r.revision),
            body_html: to_html(&r.body),
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "forum",
        tr.t("forum.history").to_string(),
        "",
    )
    .await?;
    let failed = !errors.is_empty();
    let page = render(&EditPage {
        back: format!("{base}#post-{}", p.id),
        action: format!("{base}/posts/{}/edit", p.id),
        can_edit: may_edit(user, tenant.id, p),
        body,
        history,
        errors,
        max_body: forum::MAX_BODY,
        tr,
        layout,
    })?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    })
}

async fn history(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?.clone();
    edit_page(
        &state,
        &user,
        &tenant,
        &view,
        &p,
        p.body.clone(),
        Vec::new(),
    )
    .await
}

async fn edit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<BodyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?.clone();
    if !may_edit(&user, tenant.id, &p) {
        return Err(WebError::Domain(DomainError::Forbidden(
            "only the author or a moderator edits a post",
        ))
        .into());
    }
    let body = match forum::checked_body(&f.body) {
        Ok(b) => b,
        Err(e) => {
            let errors = field_errors(e)?;
            return edit_page(&state, &user, &tenant, &view, &p, f.body, errors).await;
        }
    };
    state
        .store
        .edit_forum_post(tenant.id, p.id, None, &body, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "edited"))
}

// ---------------------------------------------------------------------------
// Votes, acceptance, reuse, flags

async fn helpful(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?;
    state
        .store
        .vote_forum_post(tenant.id, p.id, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "thanks"))
}

async fn accept(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    if view.thread.author_id != Some(user.user.id) && !moderator(&user, tenant.id) {
        return Err(WebError::Domain(DomainError::Forbidden(
            "only the asker or a moderator accepts an answer",
        ))
        .into());
    }
    let p = post_in(&view, &post)?;
    if p.kind != PostKind::Answer {
        return Err(DomainError::field("post", "only an answer can be accepted").into());
    }
    state
        .store
        .accept_forum_answer(tenant.id, view.thread.id, p.id, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "accepted"))
}

#[derive(Deserialize)]
pub struct ConversationForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// A conversation number, `#` optional.
    #[serde(default)]
    conversation: String,
}

async fn link(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<ConversationForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?;
    let (cid, _) = source_conversation(&state, &user, &tenant, &f.conversation)
        .await?
        .ok_or_else(|| DomainError::field("conversation", "a conversation number, like 42"))?;
    state
        .store
        .link_forum_reuse(tenant.id, p.id, cid, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "linked"))
}

async fn affected(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<ConversationForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let (cid, _) = source_conversation(&state, &user, &tenant, &f.conversation)
        .await?
        .ok_or_else(|| DomainError::field("conversation", "a conversation number, like 42"))?;
    state
        .store
        .mark_forum_affected(tenant.id, view.thread.id, cid, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "linked"))
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
}

async fn flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<FlagForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    // A post the person cannot see is not found, so it cannot be flagged.
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?;
    let reason: FlagReason = f
        .reason
        .parse()
        .map_err(|m| DomainError::field("reason", m))?;
    state
        .store
        .flag_forum_post(
            tenant.id,
            p.id,
            user.user.id,
            moderator(&user, tenant.id),
            reason,
            f.comment.trim(),
        )
        .await?;
    Ok(back_to(&slug, view.thread.id, "flagged"))
}

// ---------------------------------------------------------------------------
// Knowledge managers: verify and promote; defects

#[derive(Deserialize)]
pub struct SourcesForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    sources: String,
}

async fn verify(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<SourcesForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::VerifyForum).await?;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?;
    if p.kind != PostKind::Answer {
        return Err(DomainError::field("post", "only an answer can be verified").into());
    }
    let lines: Vec<String> = f.sources.lines().map(str::to_string).collect();
    let sources = forum::sources(&lines).map_err(|m| DomainError::field("sources", m))?;
    state
        .store
        .verify_forum_post(tenant.id, p.id, &sources, user.user.id)
        .await?;
    Ok(back_to(&slug, view.thread.id, "verified"))
}

async fn promote(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, post)): Path<(String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let t = tenant.id;
    let view = readable(&state, &user, &tenant, &id).await?;
    let p = post_in(&view, &post)?;
    // Knowledge managers promote what they verified; only an author whose
    // level the tenant trusts skips that step, for their own answer.
    let curator = user.actor.can(t, Action::PromoteForum);
    let self_publish = !curator && p.author_id == Some(user.user.id) && {
        let settings = state.store.forum_settings(t).await?;
        let level = state.store.forum_recognition(t, user.user.id).await?.level;
        settings.may_publish_without_review(level)
    };
    if !curator && !self_publish {
        return Err(WebError::Domain(DomainError::Forbidden(
            "promoting needs a knowledge manager or a level that publishes without review",
        ))
        .into());
    }
    let req = PromoteRequest {
        post_id: p.id,
        actor: user.user.id,
        require_verified: !self_publish,
        language: user.user.locale,
        back_link: thread_href(&slug, view.thread.id),
    };
    state.store.promote_forum_answer(t, &req).await?;
    Ok(back_to(&slug, view.thread.id, "promoted"))
}

#[derive(Deserialize)]
pub struct DefectForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reference: String,
}

/// Marks the thread a product defect escalated to a team or vendor, or
/// updates the escalation. Supervisors and moderators decide what goes out.
async fn defect(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<DefectForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    if !moderator(&user, tenant.id) && !user.actor.can(tenant.id, Action::ViewBoard) {
        return Err(WebError::Domain(DomainError::Forbidden(
            "supervisors and moderators escalate defects",
        ))
        .into());
    }
    let view = readable(&state, &user, &tenant, &id).await?;
    let target = f.target.trim();
    let target = if target.is_empty() {
        Tr::new(user.user.locale).t("forum.defect_default_target")
    } else {
        target
    };
    let notice = if view.thread.defect.is_some() {
        "escalated"
    } else {
        "defect"
    };
    state
        .store
        .set_forum_defect(
            tenant.id,
            view.thread.id,
            Some((target, f.reference.trim())),
            user.user.id,
        )
        .await?;
    Ok(back_to(&slug, view.thread.id, notice))
}

// ---------------------------------------------------------------------------
// Moderation queue

pub struct FlagLine {
    pub reason: String,
    pub comment: String,
    pub who: String,
    pub when: String,
}

pub struct QueueRow {
    pub post_id: String,
    pub href: String,
    pub thread_title: String,
    pub author: String,
    pub hidden: bool,
    pub score: i64,
    pub body_html: String,
    pub flags: Vec<FlagLine>,
}

#[derive(Template)]
#[template(path = "forum_moderation.html")]
struct ModerationPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<QueueRow>,
    notice: String,
}

async fn moderation(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let tr = Tr::new(user.user.locale);
    let who = names(&state, tenant.id).await?;
    let rows = state
        .store
        .forum_queue(tenant.id)
        .await?
        .into_iter()
        .map(|item| QueueRow {
            post_id: item.post.id.to_string(),
            href: format!(
                "{}#post-{}",
                thread_href(&slug, item.post.thread_id),
                item.post.id
            ),
            thread_title: item.thread_title,
            author: item.post.author_name.clone(),
            hidden: item.post.hidden,
            score: item.open_weight,
            body_html: to_html(&item.post.body),
            flags: item
                .flags
                .iter()
                .map(|f| FlagLine {
                    reason: tr.e("forum.flag", f.reason.as_str()),
                    comment: f.comment.clone(),
                    who: name_of(&who, Some(f.user_id)),
                    when: tr.datetime(f.created_at),
                })
                .collect(),
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "forum",
        tr.t("forum.moderation").to_string(),
        "",
    )
    .await?;
    render(&ModerationPage {
        notice: notice_text(&tr, &q.notice),
        tr,
        layout,
        rows,
    })
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

async fn decide(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, post)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let decision: Decision = f
        .decision
        .parse()
        .map_err(|m| DomainError::field("decision", m))?;
    let post = parse_id(&post, "post")?;
    state
        .store
        .decide_forum_flags(tenant.id, post, decision, user.user.id)
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/forum/moderation?notice=moderated")).into_response())
}

// ---------------------------------------------------------------------------
// Promotion candidates

pub struct CandidateRow {
    pub href: String,
    pub title: String,
    pub confidence: &'static str,
    pub confidence_label: String,
    pub reuse: i64,
    pub helpful: i64,
    pub author: String,
}

#[derive(Template)]
#[template(path = "forum_candidates.html")]
struct CandidatesPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<CandidateRow>,
}

/// How far back the digest looks for answers worth promoting.
const DIGEST_DAYS: i64 = 90;

async fn candidates(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::VerifyForum).await?;
    let tr = Tr::new(user.user.locale);
    let who = names(&state, tenant.id).await?;
    let since = Timestamp::now().minus_seconds(DIGEST_DAYS * 86_400);
    // Candidates are unverified by definition: their label says so.
    let community = Confidence::Community;
    let rows = state
        .store
        .promotion_digest(tenant.id, since, 30)
        .await?
        .into_iter()
        .map(|c| CandidateRow {
            href: format!("{}#post-{}", thread_href(&slug, c.thread_id), c.post_id),
            title: c.thread_title,
            confidence: community.as_str(),
            confidence_label: tr.e("forum.confidence", community.as_str()),
            reuse: c.reuse_count,
            helpful: c.helpful_count,
            author: name_of(&who, c.author_id),
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "forum",
        tr.t("forum.candidates").to_string(),
        "",
    )
    .await?;
    render(&CandidatesPage { tr, layout, rows })
}

// ---------------------------------------------------------------------------
// Recognition

pub struct BadgeView {
    pub icon: &'static str,
    pub name: String,
    pub description: String,
}

pub struct LeaderRow {
    pub rank: usize,
    pub name: String,
    pub level: String,
    pub points: i64,
    pub me: bool,
}

pub struct LeaderView {
    pub name: String,
    pub chart: String,
    pub rows: Vec<LeaderRow>,
}

#[derive(Template)]
#[template(path = "forum_recognition.html")]
struct RecognitionPage {
    tr: Tr,
    layout: Layout,
    level: String,
    points: i64,
    next_level: String,
    progress_value: i64,
    progress_max: i64,
    unlocks_publish: bool,
    badges: Vec<BadgeView>,
    by: &'static str,
    groups: Vec<LeaderView>,
}

#[derive(Deserialize, Default)]
pub struct RecognitionQuery {
    #[serde(default)]
    by: String,
}

/// The next level and how far the score has come from the current one's
/// floor towards it, as (value, max); none at the top.
pub fn progress(score: i64, s: &ForumSettings) -> Option<(Level, i64, i64)> {
    let (floor, next, at) = match forum::level(score, &s.levels) {
        Level::Candidate => (0, Level::Contributor, s.levels.contributor),
        Level::Contributor => (s.levels.contributor, Level::Publisher, s.levels.publisher),
        Level::Publisher => return None,
    };
    let max = (at - floor).max(1);
    Some((next, (score - floor).clamp(0, max), max))
}

/// Leaders shown per team or site, and in its chart.
const LEADERS: usize = 10;

async fn recognition(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<RecognitionQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let t = tenant.id;
    let tr = Tr::new(user.user.locale);
    let me = user.user.id;
    let settings = state.store.forum_settings(t).await?;
    let mine = state.store.forum_recognition(t, me).await?;
    let (next_level, progress_value, progress_max) = match progress(mine.score, &settings) {
        Some((l, v, m)) => (tr.e("forum.lvl", l.as_str()), v, m),
        None => (String::new(), 0, 1),
    };
    let fr = tr.lang == plateau_core::model::Language::Fr;
    let badges = mine
        .badges
        .iter()
        .map(|b| {
            let rule = settings.badges.iter().find(|r| r.key == b.key);
            BadgeView {
                icon: "★",
                name: if fr {
                    b.name_fr.clone()
                } else {
                    b.name_en.clone()
                },
                description: rule
                    .map(|r| {
                        format!(
                            "{} ≥ {}",
                            tr.e("forum.metric", r.metric.as_str()),
                            r.threshold
                        )
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let (by, leader_by) = if q.by == "site" {
        ("site", LeaderBy::Site)
    } else {
        ("team", LeaderBy::Team)
    };
    let none = tr.t(if by == "site" {
        "forum.no_site"
    } else {
        "forum.no_team"
    });
    let groups = state
        .store
        .forum_leaderboard(t, leader_by)
        .await?
        .into_iter()
        .filter(|g| g.members.iter().any(|m| m.score != 0))
        .map(|g| {
            let name = if g.group_id.is_none() && g.name.is_empty() {
                none.to_string()
            } else {
                g.name.clone()
            };
            // Nobody is ranked for doing nothing: zero scores stay off the board.
            let top: Vec<_> = g
                .members
                .iter()
                .filter(|m| m.score != 0)
                .take(LEADERS)
                .collect();
            let chart = StackedBars {
                title: &name,
                rows: top
                    .iter()
                    .map(|m| {
                        let class = if m.user_id == me { "s-me" } else { "s-points" };
                        (m.display_name.clone(), vec![(m.score.max(0), class)])
                    })
                    .collect(),
                legend: vec![(tr.t("forum.points").to_string(), "s-points")],
            }
            .render();
            LeaderView {
                rows: top
                    .iter()
                    .enumerate()
                    .map(|(i, m)| LeaderRow {
                        rank: i + 1,
                        name: m.display_name.clone(),
                        level: tr.e("forum.lvl", m.level.as_str()),
                        points: m.score,
                        me: m.user_id == me,
                    })
                    .collect(),
                chart,
                name,
            }
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "forum",
        tr.t("forum.recognition").to_string(),
        "",
    )
    .await?;
    render(&RecognitionPage {
        level: tr.e("forum.lvl", mine.level.as_str()),
        points: mine.score,
        next_level,
        progress_value,
        progress_max,
        unlocks_publish: settings.may_publish_without_review(mine.level),
        badges,
        by,
        groups,
        tr,
        layout,
    })
}

// ---------------------------------------------------------------------------
// Notifications

pub struct NotificationRow {
    pub id: String,
    pub href: String,
    pub title: String,
    pub why: String,
    pub ago: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "forum_notifications.html")]
struct NotificationsPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<NotificationRow>,
    unread: usize,
}

async fn notifications(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let tr = Tr::new(user.user.locale);
    let now = Timestamp::now();
    let rows: Vec<NotificationRow> = state
        .store
        .forum_notifications(tenant.id, user.user.id, false, 100)
        .await?
        .into_iter()
        .map(|n| NotificationRow {
            id: n.id.to_string(),
            href: match (n.reason.as_str(), n.post_id) {
                ("digest", _) => format!("/t/{slug}/forum/candidates"),
                (_, Some(p)) => format!("{}#post-{p}", thread_href(&slug, n.thread_id)),
                (_, None) => thread_href(&slug, n.thread_id),
            },
            title: if n.reason == "digest" {
                tr.t("forum.digest_title")
                    .replace("{title}", &n.thread_title)
            } else {
                n.thread_title
            },
            why: tr.e("forum.why", &n.reason),
            ago: tr.ago(n.created_at, now),
            read: n.read_at.is_some(),
        })
        .collect();
    let unread = rows.iter().filter(|r| !r.read).count();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "forum",
        tr.t("forum.notifications").to_string(),
        "",
    )
    .await?;
    render(&NotificationsPage {
        tr,
        layout,
        rows,
        unread,
    })
}

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// One notification; absent marks them all.
    #[serde(default)]
    id: String,
}

async fn read(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<ReadForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let one = if f.id.is_empty() {
        None
    } else {
        Some([parse_id(&f.id, "notification")?])
    };
    state
        .store
        .read_forum_notifications(tenant.id, user.user.id, one.as_ref().map(|a| &a[..]))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/forum/notifications")).into_response())
}

// ---------------------------------------------------------------------------
// Settings

pub struct WeightField {
    pub name: &'static str,
    pub label: String,
    pub value: u32,
}

pub struct BadgeField {
    pub key: String,
    pub name_en: String,
    pub name_fr: String,
    pub threshold: String,
    pub metrics: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "forum_settings.html")]
struct SettingsPage {
    tr: Tr,
    layout: Layout,
    hide_threshold: u32,
    level_contributor: i64,
    level_publisher: i64,
    publish_choices: Vec<Choice>,
    weights: Vec<WeightField>,
    badges: Vec<BadgeField>,
    errors: Vec<(String, String)>,
    notice: String,
}

async fn settings_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    s: &ForumSettings,
    errors: Vec<(String, String)>,
    notice: &str,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let mut publish_choices = vec![Choice {
        value: String::new(),
        label: tr.t("forum.set.nobody").into(),
        selected: s.publish_without_review.is_none(),
    }];
    publish_choices.extend(Choice::list(
        Level::ALL,
        s.publish_without_review,
        |l| l.as_str().into(),
        |l| tr.e("forum.lvl", l.as_str()),
    ));
    let weights = WEIGHTS
        .iter()
        .map(|(name, metric)| WeightField {
            name,
            label: tr.e("forum.metric", metric),
            value: weight_of(&s.weights, name),
        })
        .collect();
    let badge_field = |b: Option<&BadgeRule>| BadgeField {
        key: b.map(|b| b.key.clone()).unwrap_or_default(),
        name_en: b.map(|b| b.name_en.clone()).unwrap_or_default(),
        name_fr: b.map(|b| b.name_fr.clone()).unwrap_or_default(),
        threshold: b.map(|b| b.threshold.to_string()).unwrap_or_default(),
        metrics: Choice::list(
            Metric::ALL,
            b.map(|b| b.metric),
            |m| m.as_str().into(),
            |m| tr.e("forum.metric", m.as_str()),
        ),
    };
    // One spare row to add a badge.
    let mut badges: Vec<BadgeField> = s.badges.iter().map(|b| badge_field(Some(b))).collect();
    badges.push(badge_field(None));
    let errors: Vec<(String, String)> = errors
        .into_iter()
        .map(|(f, m)| (setting_label(&tr, &f), m))
        .collect();
    let failed = !errors.is_empty();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "forum",
        tr.t("forum.settings").to_string(),
        "",
    )
    .await?;
    let page = render(&SettingsPage {
        hide_threshold: s.hide_threshold,
        level_contributor: s.levels.contributor,
        level_publisher: s.levels.publisher,
        publish_choices,
        weights,
        badges,
        errors,
        notice: notice_text(&tr, notice),
        tr,
        layout,
    })?;
    Ok(if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    })
}

/// A settings field's name as the form shows it.
fn setting_label(tr: &Tr, field: &str) -> String {
    if let Some(w) = field.strip_prefix("w_") {
        if let Some((_, metric)) = WEIGHTS.iter().find(|(n, _)| *n == w) {
            return format!(
                "{} — {}",
                tr.t("forum.set.weights"),
                tr.e("forum.metric", metric)
            );
        }
    }
    match field {
        "hide_threshold" => tr.t("forum.set.hide_threshold").to_string(),
        "levels" | "level_contributor" | "level_publisher" => tr.t("forum.set.levels").to_string(),
        "publish_without_review" => tr.t("forum.set.publish_without_review").to_string(),
        f if f.starts_with("badges") => {
            format!("{} {}", tr.t("forum.badges"), &f["badges".len()..])
        }
        other => other.to_string(),
    }
}

async fn settings(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ManageForum).await?;
    let s = state.store.forum_settings(tenant.id).await?;
    settings_page(&state, &user, &tenant, &s, Vec::new(), &q.notice).await
}

async fn save_settings(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    user.check_csrf(csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageForum).await?;
    let as_pairs = |errs: Vec<FieldError>| -> Vec<(String, String)> {
        errs.into_iter().map(|e| (e.field, e.message)).collect()
    };
    let parsed = match settings_from_form(&pairs) {
        Ok(s) => s,
        Err(errs) => {
            // Show what was typed where it parsed, the saved value elsewhere.
            let saved = state.store.forum_settings(tenant.id).await?;
            return settings_page(&state, &user, &tenant, &saved, as_pairs(errs), "").await;
        }
    };
    let checked = match parsed.validated() {
        Ok(s) => s,
        Err(e) => {
            let errors = field_errors(e)?;
            return settings_page(&state, &user, &tenant, &parsed, errors, "").await;
        }
    };
    state
        .store
        .set_forum_settings(tenant.id, &checked, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/forum/settings?notice=saved")).into_response())
}
// ---------------------------------------------------------------------------
// Settings form: every field of [`ForumSettings`], read from repeated form
// pairs (badge rows repeat their names), so bad numbers are field errors too.

/// The weights in the order the form shows them, with their metric label key.
const WEIGHTS: &[(&str, &str)] = &[
    ("post", "posts"),
    ("answer", "answers"),
    ("helpful_vote", "helpful_votes"),
    ("reuse", "reuses"),
    ("accepted", "accepted"),
    ("verified", "verified"),
    ("promotion", "promotions"),
    ("confirmed_flag", "confirmed_flags"),
];

fn weight_mut<'a>(w: &'a mut ScoreWeights, name: &str) -> Option<&'a mut u32> {
    Some(match name {
        "post" => &mut w.post,
        "answer" => &mut w.answer,
        "helpful_vote" => &mut w.helpful_vote,
        "reuse" => &mut w.reuse,
        "accepted" => &mut w.accepted,
        "verified" => &mut w.verified,
        "promotion" => &mut w.promotion,
        "confirmed_flag" => &mut w.confirmed_flag,
        _ => return None,
    })
}

fn weight_of(w: &ScoreWeights, name: &str) -> u32 {
    let mut copy = *w;
    weight_mut(&mut copy, name).map_or(0, |v| *v)
}

/// Settings from the form's pairs, or every unreadable field at once (as
/// (field, message)). Range checks are the domain's, after this.
pub fn settings_from_form(pairs: &[(String, String)]) -> Result<ForumSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut s = ForumSettings {
        badges: Vec::new(),
        ..ForumSettings::default()
    };
    let mut badge = BadgeRow::default();
    let mut rows: Vec<BadgeRow> = Vec::new();
    fn number<T: std::str::FromStr + Default>(
        field: &str,
        v: &str,
        errors: &mut Vec<FieldError>,
    ) -> T {
        v.trim().parse().unwrap_or_else(|_| {
            errors.push(FieldError {
                field: field.to_string(),
                message: "must be a whole number".into(),
            });
            T::default()
        })
    }
    for (k, v) in pairs {
        match k.as_str() {
            "hide_threshold" => s.hide_threshold = number(k, v, &mut errors),
            "level_contributor" => s.levels.contributor = number(k, v, &mut errors),
            "level_publisher" => s.levels.publisher = number(k, v, &mut errors),
            "publish_without_review" => {
                s.publish_without_review = if v.is_empty() {
                    None
                } else {
                    match v.parse::<Level>() {
                        Ok(l) => Some(l),
                        Err(_) => {
                            errors.push(FieldError {
                                field: k.clone(),
                                message: "not a level".into(),
                            });
                            None
                        }
                    }
                }
            }
            // A row starts with its key.
            "badge_key" => {
                rows.push(std::mem::take(&mut badge));
                badge.key = v.trim().to_string();
            }
            "badge_en" => badge.name_en = v.trim().to_string(),
            "badge_fr" => badge.name_fr = v.trim().to_string(),
            "badge_metric" => badge.metric = v.clone(),
            "badge_threshold" => badge.threshold = v.trim().to_string(),
            _ => {
                if let Some(name) = k.strip_prefix("w_") {
                    let value = number(k, v, &mut errors);
                    if let Some(w) = weight_mut(&mut s.weights, name) {
                        *w = value;
                    }
                }
            }
        }
    }
    rows.push(badge);
    // An empty key removes its row (and leaves the spare row unused).
    for (i, r) in rows.into_iter().filter(|r| !r.key.is_empty()).enumerate() {
        let field = format!("badges[{i}]");
        let metric = r.metric.parse::<Metric>().unwrap_or_else(|_| {
            errors.push(FieldError {
                field: field.clone(),
                message: "unknown counter".into(),
            });
            Metric::Posts
        });
        let threshold = number(&field, &r.threshold, &mut errors);
        s.badges.push(BadgeRule {
            key: r.key,
            name_en: r.name_en,
            name_fr: r.name_fr,
            metric,
            threshold,
        });
    }
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

#[derive(Default)]
struct BadgeRow {
    key: String,
    name_en: String,
    name_fr: String,
    metric: String,
    threshold: String,
}
