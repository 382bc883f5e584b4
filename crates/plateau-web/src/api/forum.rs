//! The advisors' forum over HTTP: threads, answers and comments, votes,
//! reuse links, flags and the moderator queue, verification and promotion to
//! the knowledge base, defects, follows and notifications, recognition and
//! settings. Rules live in `plateau_core::forum`; these handlers parse,
//! authorise (tenant and role, every request) and call the store.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::forum::{
    Confidence, Decision, FlagReason, ForumSettings, NewThread, PostKind, ThreadStatus,
};
use plateau_core::model::{Language, Tenant};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::forum::{
    FollowTarget, LeaderBy, Post, PromoteRequest, Revision, Thread, ThreadFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::markdown;
use crate::AppState;

type Created<T> = Result<(StatusCode, Json<T>), WebError>;

/// Where the desk shows a thread; promoted articles link back here.
pub fn thread_url(slug: &str, id: Uuid) -> String {
    format!("/t/{slug}/forum/{id}")
}

/// A post as the API returns it: the raw Markdown and its safe HTML (raw
/// HTML in a post is shown as text, never run).
#[derive(Debug, Serialize, ToSchema)]
pub struct PostOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub post: Post,
    pub body_html: String,
    #[schema(value_type = String)]
    pub confidence: Option<Confidence>,
}

fn post_out(post: Post) -> PostOut {
    let body_html = markdown::to_html(&post.body);
    let confidence = (post.kind == PostKind::Answer).then(|| post.confidence());
    PostOut {
        post,
        body_html,
        confidence,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadOut {
    #[schema(value_type = Object)]
    pub thread: Thread,
    pub posts: Vec<PostOut>,
    pub url: String,
}

fn is_moderator(user: &CurrentUser, tenant: &Tenant) -> bool {
    user.actor.can(tenant.id, Action::ModerateForum)
}

fn me(user: &CurrentUser) -> Uuid {
    user.user.id
}

/// A post the caller may see: hidden posts (and posts of a hidden
/// question's thread) exist for moderators only; others get 404.
async fn visible_post(
    state: &AppState,
    user: &CurrentUser,
    t: &Tenant,
    id: &str,
) -> Result<Post, WebError> {
    let id = parse_id(id, "post")?;
    let post = state.store.forum_post(t.id, id).await?;
    if !is_moderator(user, t) {
        if post.hidden {
            return Err(DomainError::NotFound("post").into());
        }
        // The thread check also hides answers under a hidden question.
        state
            .store
            .forum_thread(t.id, post.thread_id, false)
            .await?;
    }
    Ok(post)
}

// ---- threads ----------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct ThreadQuery {
    pub product_id: Option<Uuid>,
    pub tag: Option<String>,
    /// open, answered or promoted.
    pub status: Option<String>,
    pub defect: Option<bool>,
    /// Words that must all appear in the title or the question.
    pub q: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/threads", tag = "forum", params(("tenant" = String, Path), ThreadQuery), responses((status = 200, body = Object), (status = 403, body = crate::error::Problem)))]
pub async fn list_threads(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ThreadQuery>,
) -> Result<Json<Vec<Thread>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<ThreadStatus>()
                .map_err(|e| WebError::bad_request("invalid_query", e))?,
        ),
    };
    let filter = ThreadFilter {
        product_id: q.product_id,
        tag: q.tag.filter(|s| !s.trim().is_empty()),
        status,
        defect: q.defect,
        text: q.q,
        include_hidden: is_moderator(&user, &t),
        limit: q.limit.unwrap_or(50),
    };
    Ok(Json(state.store.forum_threads(t.id, &filter).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadIn {
    #[serde(default)]
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub product_id: Option<Uuid>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub customer_words: String,
    #[serde(default)]
    pub tried: String,
    /// Number of the conversation the question comes from: its subject,
    /// first customer message, product and tags fill what is left empty.
    #[serde(default)]
    pub from_conversation: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/threads", tag = "forum", params(("tenant" = String, Path)), request_body = ThreadIn, responses((status = 201, body = ThreadOut), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ThreadIn>,
) -> Created<ThreadOut> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let mut new = NewThread {
        title: body.title,
        body: body.body,
        product_id: body.product_id,
        tags: body.tags,
        conversation_id: None,
        customer_words: body.customer_words,
        tried: body.tried,
    };
    if let Some(number) = body.from_conversation {
        user.actor.require(t.id, Action::ViewConversations)?;
        let p = state.store.forum_prefill(t.id, number).await?;
        new.conversation_id = Some(p.conversation_id);
        if new.title.trim().is_empty() {
            new.title = p.title;
        }
        if new.customer_words.trim().is_empty() {
            new.customer_words = p.customer_words;
        }
        if new.product_id.is_none() {
            new.product_id = p.product_id;
        }
        if new.tags.is_empty() {
            new.tags = p.tags;
        }
    }
    let view = state.store.create_thread(t.id, &new, me(&user)).await?;
    Ok((
        StatusCode::CREATED,
        Json(ThreadOut {
            url: thread_url(&slug, view.thread.id),
            thread: view.thread,
            posts: view.posts.into_iter().map(post_out).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PrefillQuery {
    /// The conversation's number.
    pub conversation: i64,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/prefill", tag = "forum", params(("tenant" = String, Path), PrefillQuery), responses((status = 200, body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn prefill(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<PrefillQuery>,
) -> Result<Json<plateau_store::forum::Prefill>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    user.actor.require(t.id, Action::ViewConversations)?;
    Ok(Json(state.store.forum_prefill(t.id, q.conversation).await?))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/threads/{id}", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = ThreadOut), (status = 404, body = crate::error::Problem)))]
pub async fn show_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<ThreadOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let id = parse_id(&id, "thread")?;
    let view = state
        .store
        .forum_thread(t.id, id, is_moderator(&user, &t))
        .await?;
    Ok(Json(ThreadOut {
        url: thread_url(&slug, view.thread.id),
        thread: view.thread,
        posts: view.posts.into_iter().map(post_out).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyIn {
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/threads/{id}/answers", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = BodyIn, responses((status = 201, body = PostOut), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<BodyIn>,
) -> Created<PostOut> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let id = parse_id(&id, "thread")?;
    state
        .store
        .forum_thread(t.id, id, is_moderator(&user, &t))
        .await?;
    let p = state
        .store
        .add_forum_post(t.id, id, PostKind::Answer, None, &body.body, me(&user))
        .await?;
    Ok((StatusCode::CREATED, Json(post_out(p))))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/comments", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = BodyIn, responses((status = 201, body = PostOut), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<BodyIn>,
) -> Created<PostOut> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let parent = visible_post(&state, &user, &t, &id).await?;
    let p = state
        .store
        .add_forum_post(
            t.id,
            parent.thread_id,
            PostKind::Comment,
            Some(parent.id),
            &body.body,
            me(&user),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(post_out(p))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIn {
    /// Questions only: the thread's new title.
    #[serde(default)]
    pub title: Option<String>,
    pub body: String,
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/forum/posts/{id}", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = EditIn, responses((status = 200, body = PostOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EditIn>,
) -> Result<Json<PostOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    if p.author_id != Some(me(&user)) && !is_moderator(&user, &t) {
        return Err(
            DomainError::Forbidden("only the author or a moderator may edit a post").into(),
        );
    }
    let p = state
        .store
        .edit_forum_post(t.id, p.id, body.title.as_deref(), &body.body, me(&user))
        .await?;
    Ok(Json(post_out(p)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub revision: Revision,
    pub body_html: String,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/history", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [RevisionOut]), (status = 404, body = crate::error::Problem)))]
pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<RevisionOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let revisions = state.store.forum_post_history(t.id, p.id).await?;
    Ok(Json(
        revisions
            .into_iter()
            .map(|r| RevisionOut {
                body_html: markdown::to_html(&r.body),
                revision: r,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/helpful", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = PostOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn helpful(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<PostOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let p = state.store.vote_forum_post(t.id, p.id, me(&user)).await?;
    Ok(Json(post_out(p)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    pub post_id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/threads/{id}/accept", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = AcceptIn, responses((status = 200, body = Object), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<AcceptIn>,
) -> Result<Json<Thread>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let id = parse_id(&id, "thread")?;
    let moderator = is_moderator(&user, &t);
    let view = state.store.forum_thread(t.id, id, moderator).await?;
    if view.thread.author_id != Some(me(&user)) && !moderator {
        return Err(
            DomainError::Forbidden("only the asker or a moderator may accept an answer").into(),
        );
    }
    let th = state
        .store
        .accept_forum_answer(t.id, id, body.post_id, me(&user))
        .await?;
    Ok(Json(th))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationIn {
    /// The conversation's number (`#1234`).
    pub conversation: i64,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/reuses", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ConversationIn, responses((status = 200, body = PostOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn reuse(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ConversationIn>,
) -> Result<Json<PostOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    user.actor.require(t.id, Action::ViewConversations)?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let c = state
        .store
        .conversation_by_number(t.id, body.conversation)
        .await?;
    let p = state
        .store
        .link_forum_reuse(t.id, p.id, c.id, me(&user))
        .await?;
    Ok(Json(post_out(p)))
}

// ---- moderation -------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    /// incorrect, outdated, inappropriate or duplicate.
    #[schema(value_type = String)]
    pub reason: FlagReason,
    #[serde(default)]
    pub comment: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/flags", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = FlagIn, responses((status = 201, body = Object), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn flag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<FlagIn>,
) -> Created<plateau_store::forum::FlagOutcome> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let o = state
        .store
        .flag_forum_post(
            t.id,
            p.id,
            me(&user),
            is_moderator(&user, &t),
            body.reason,
            &body.comment,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(o)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    #[schema(value_type = Object)]
    pub post: PostOut,
    pub thread_title: String,
    pub thread_url: String,
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<plateau_store::forum::Flag>,
    pub open_weight: i64,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/queue", tag = "forum", params(("tenant" = String, Path)), responses((status = 200, body = [QueueOut]), (status = 403, body = crate::error::Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<QueueOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let items = state.store.forum_queue(t.id).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| QueueOut {
                thread_url: thread_url(&slug, i.post.thread_id),
                post: post_out(i.post),
                thread_title: i.thread_title,
                flags: i.flags,
                open_weight: i.open_weight,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// agree (stays hidden, counts against the author), disagree (restored)
    /// or ignore (restored, no effect).
    #[schema(value_type = String)]
    pub decision: Decision,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/decision", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = DecisionIn, responses((status = 200, body = PostOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> Result<Json<PostOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let p = state
        .store
        .decide_forum_flags(t.id, p.id, body.decision, me(&user))
        .await?;
    Ok(Json(post_out(p)))
}

// ---- validation and promotion ---------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// The sources checked: documents, tickets, people.
    pub sources: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/verify", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = VerifyIn, responses((status = 200, body = PostOut), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<VerifyIn>,
) -> Result<Json<PostOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::VerifyForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let p = state
        .store
        .verify_forum_post(t.id, p.id, &body.sources, me(&user))
        .await?;
    Ok(Json(post_out(p)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteIn {
    /// The article's language; the caller's locale by default.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub promotion: plateau_store::forum::Promotion,
    pub article_url: String,
}

/// Knowledge managers promote verified answers. An author whose level the
/// tenant trusts to publish without review may promote their own answer
/// without the verification step.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/posts/{id}/promote", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = PromoteIn, responses((status = 201, body = PromotionOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn promote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Created<PromotionOut> {
    // The body is optional: an empty one takes the defaults.
    let body: PromoteIn = if body.iter().all(u8::is_ascii_whitespace) {
        PromoteIn::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| WebError::bad_request("invalid_body", e.to_string()))?
    };
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let p = visible_post(&state, &user, &t, &id).await?;
    let manager = user.actor.can(t.id, Action::PromoteForum);
    let self_publish = if manager {
        false
    } else {
        let own = p.author_id == Some(me(&user));
        let settings = state.store.forum_settings(t.id).await?;
        let level = state.store.forum_recognition(t.id, me(&user)).await?.level;
        if !(own
            && user.actor.can(t.id, Action::PostForum)
            && settings.may_publish_without_review(level))
        {
            return Err(DomainError::Forbidden(
                "only knowledge managers, or authors whose level allows it, may promote",
            )
            .into());
        }
        true
    };
    let language = body.language.unwrap_or(user.user.locale);
    let promotion = state
        .store
        .promote_forum_answer(
            t.id,
            &PromoteRequest {
                post_id: p.id,
                actor: me(&user),
                require_verified: !self_publish,
                language,
                back_link: thread_url(&slug, p.thread_id),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PromotionOut {
            article_url: format!("/t/{slug}/kb/{}", promotion.article_id),
            promotion,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DigestQuery {
    /// The window, in days (default 7).
    pub days: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/digest", tag = "forum", params(("tenant" = String, Path), DigestQuery), responses((status = 200, body = Object), (status = 403, body = crate::error::Problem)))]
pub async fn digest(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<DigestQuery>,
) -> Result<Json<Vec<plateau_store::forum::Candidate>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::VerifyForum).await?;
    let days = q.days.unwrap_or(7).clamp(1, 366);
    let since = Timestamp(Timestamp::now().0.saturating_sub(days * 86_400 * 1_000_000));
    Ok(Json(
        state
            .store
            .promotion_digest(t.id, since, q.limit.unwrap_or(20))
            .await?,
    ))
}

// ---- defects ------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefectIn {
    /// The vendor or product team it is escalated to.
    pub escalated_to: String,
    /// Their ticket reference, if any.
    #[serde(default)]
    pub reference: String,
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/forum/threads/{id}/defect", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = DefectIn, responses((status = 200, body = Object), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_defect(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DefectIn>,
) -> Result<Json<Thread>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let id = parse_id(&id, "thread")?;
    let th = state
        .store
        .set_forum_defect(
            t.id,
            id,
            Some((&body.escalated_to, &body.reference)),
            me(&user),
        )
        .await?;
    Ok(Json(th))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/forum/threads/{id}/defect", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = Object), (status = 403, body = crate::error::Problem)))]
pub async fn clear_defect(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Thread>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ModerateForum).await?;
    let id = parse_id(&id, "thread")?;
    Ok(Json(
        state
            .store
            .set_forum_defect(t.id, id, None, me(&user))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/threads/{id}/affected", tag = "forum", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ConversationIn, responses((status = 200, body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn mark_affected(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ConversationIn>,
) -> Result<Json<Thread>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    user.actor.require(t.id, Action::ViewConversations)?;
    let id = parse_id(&id, "thread")?;
    state
        .store
        .forum_thread(t.id, id, is_moderator(&user, &t))
        .await?;
    let c = state
        .store
        .conversation_by_number(t.id, body.conversation)
        .await?;
    Ok(Json(
        state
            .store
            .mark_forum_affected(t.id, id, c.id, me(&user))
            .await?,
    ))
}

// ---- follows and notifications ----------------------------------------------

#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FollowIn {
    pub product_id: Option<Uuid>,
    pub tag: Option<String>,
}

fn follow_target(f: FollowIn) -> Result<FollowTarget, WebError> {
    match (f.product_id, f.tag) {
        (Some(p), None) => Ok(FollowTarget::Product(p)),
        (None, Some(t)) => Ok(FollowTarget::Tag(t)),
        _ => Err(DomainError::field("product_id", "give either product_id or tag").into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/follows", tag = "forum", params(("tenant" = String, Path)), responses((status = 200, body = Object)))]
pub async fn list_follows(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<FollowTarget>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    Ok(Json(state.store.forum_follows(t.id, me(&user)).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/follows", tag = "forum", params(("tenant" = String, Path)), request_body = FollowIn, responses((status = 200, body = Object), (status = 422, body = crate::error::Problem)))]
pub async fn follow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<FollowIn>,
) -> Result<Json<Vec<FollowTarget>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::PostForum).await?;
    let target = follow_target(body)?;
    state.store.follow_forum(t.id, me(&user), &target).await?;
    Ok(Json(state.store.forum_follows(t.id, me(&user)).await?))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/forum/follows", tag = "forum", params(("tenant" = String, Path), FollowIn), responses((status = 200, body = Object)))]
pub async fn unfollow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<FollowIn>,
) -> Result<Json<Vec<FollowTarget>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let target = follow_target(q)?;
    state.store.unfollow_forum(t.id, me(&user), &target).await?;
    Ok(Json(state.store.forum_follows(t.id, me(&user)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NotificationQuery {
    #[serde(default)]
    pub unread: bool,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/notifications", tag = "forum", params(("tenant" = String, Path), NotificationQuery), responses((status = 200, body = Object)))]
pub async fn notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<Vec<plateau_store::forum::Notification>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    Ok(Json(
        state
            .store
            .forum_notifications(t.id, me(&user), q.unread, q.limit.unwrap_or(50))
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// The notifications to mark read; all of the caller's when absent.
    #[serde(default)]
    pub ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadOut {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forum/notifications/read", tag = "forum", params(("tenant" = String, Path)), request_body = ReadIn, responses((status = 200, body = ReadOut)))]
pub async fn read_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ReadIn>,
) -> Result<Json<ReadOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let marked = state
        .store
        .read_forum_notifications(t.id, me(&user), body.ids.as_deref())
        .await?;
    Ok(Json(ReadOut { marked }))
}

// ---- recognition and settings ----------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeaderQuery {
    /// team (default) or site.
    pub by: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/leaderboard", tag = "forum", params(("tenant" = String, Path), LeaderQuery), responses((status = 200, body = Object), (status = 400, body = crate::error::Problem)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<LeaderQuery>,
) -> Result<Json<Vec<plateau_store::forum::LeaderGroup>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let by = match q.by.as_deref() {
        None | Some("team") => LeaderBy::Team,
        Some("site") => LeaderBy::Site,
        Some(other) => {
            return Err(WebError::bad_request(
                "invalid_query",
                format!("by {other:?} is not team or site"),
            ))
        }
    };
    Ok(Json(state.store.forum_leaderboard(t.id, by).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub recognition: plateau_store::forum::Recognition,
    /// May promote their own answers without a knowledge manager.
    pub publish_without_review: bool,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/me", tag = "forum", params(("tenant" = String, Path)), responses((status = 200, body = MeOut)))]
pub async fn my_standing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<MeOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    let settings = state.store.forum_settings(t.id).await?;
    let recognition = state.store.forum_recognition(t.id, me(&user)).await?;
    Ok(Json(MeOut {
        publish_without_review: settings.may_publish_without_review(recognition.level),
        recognition,
    }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/forum/settings", tag = "forum", params(("tenant" = String, Path)), responses((status = 200, body = Object)))]
pub async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<ForumSettings>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewForum).await?;
    Ok(Json(state.store.forum_settings(t.id).await?))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/forum/settings", tag = "forum", params(("tenant" = String, Path)), request_body = Object, responses((status = 200, body = Object), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ForumSettings>,
) -> Result<Json<ForumSettings>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageForum).await?;
    Ok(Json(
        state
            .store
            .set_forum_settings(t.id, &body, Some(me(&user)))
            .await?,
    ))
}
