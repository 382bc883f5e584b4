//! The advisors' forum's persistence: threads and posts with every revision,
//! helpful votes, reuse links, weighted flags and moderator decisions,
//! follows and notifications, defect escalations, promotion into the
//! knowledge base, recognition counters, badges and per-tenant settings.
//!
//! Every query names its tenant; every change writes its events in the same
//! transaction. Authorisation (who may moderate, verify, promote) is the
//! caller's: the store enforces only what the data itself forbids (one vote
//! per user, not on one's own post; one open flag per user per post).

use std::collections::HashMap;

use plateau_core::event::kind;
use plateau_core::forum::{
    self, Contribution, Decision, FlagReason, FlagStatus, ForumSettings, Level, NewThread,
    PostKind, ThreadStatus,
};
use plateau_core::knowledge::{ArticleContent, ArticleState, Audience};
use plateau_core::model::{Direction, Language};
use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, insert_events, NewEvent};
use crate::knowledge::{checked_new_article, insert_article_tx, new_article_row, NewArticle};
use crate::row::{bind_args, Arg, Params, PortableRow};
use crate::{Result, Store, StoreError};

/// A defect escalation on a thread. The affected count is computed on read.
#[derive(Debug, Clone, Serialize)]
pub struct Defect {
    pub escalated_to: String,
    pub reference: String,
    pub escalated_at: Option<Timestamp>,
    /// Distinct conversations linked to any post of the thread (reuses) or
    /// marked affected.
    pub affected_conversations: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Thread {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    pub product_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub conversation_id: Option<Uuid>,
    pub customer_words: String,
    pub tried: String,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub status: ThreadStatus,
    pub accepted_post_id: Option<Uuid>,
    pub promoted_article_id: Option<Uuid>,
    pub defect: Option<Defect>,
    /// Visible answers.
    pub answer_count: i64,
    /// Whether the question post is hidden (only moderators see such threads).
    pub hidden: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub thread_id: Uuid,
    pub kind: PostKind,
    /// The question or answer a comment hangs off.
    pub parent_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    /// Raw Markdown; the web layer renders it safely.
    pub body: String,
    pub revision: i64,
    pub hidden: bool,
    pub verified_by: Option<Uuid>,
    pub verified_at: Option<Timestamp>,
    pub sources: Vec<String>,
    pub helpful_count: i64,
    pub reuse_count: i64,
    pub accepted: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Post {
    pub fn confidence(&self) -> forum::Confidence {
        forum::answer_confidence(self.verified_at.is_some(), self.accepted)
    }
}

/// A thread with its posts, oldest first (the question first).
#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    pub thread: Thread,
    pub posts: Vec<Post>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub post_id: Uuid,
    pub revision: i64,
    /// The thread title at that revision, for questions.
    pub title: Option<String>,
    pub body: String,
    pub editor_id: Option<Uuid>,
    pub created_at: Timestamp,
}

/// Filters of the thread list; None means "any".
#[derive(Debug, Clone, Default)]
pub struct ThreadFilter {
    pub product_id: Option<Uuid>,
    pub tag: Option<String>,
    pub status: Option<ThreadStatus>,
    pub defect: Option<bool>,
    /// Words that must all appear in the title or the question.
    pub text: Option<String>,
    /// Moderators see threads whose question is hidden.
    pub include_hidden: bool,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub id: Uuid,
    pub post_id: Uuid,
    pub user_id: Uuid,
    pub reason: FlagReason,
    pub comment: String,
    pub weight: i64,
    pub status: FlagStatus,
    pub created_at: Timestamp,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<Timestamp>,
}

/// What a flag did: the flag, and whether the post is now hidden.
#[derive(Debug, Clone, Serialize)]
pub struct FlagOutcome {
    pub flag: Flag,
    pub hidden: bool,
}

/// A flagged post waiting for a moderator.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub post: Post,
    pub thread_title: String,
    pub flags: Vec<Flag>,
    pub open_weight: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "target", rename_all = "snake_case")]
pub enum FollowTarget {
    Product(Uuid),
    Tag(String),
}

impl FollowTarget {
    fn parts(&self) -> (&'static str, String) {
        match self {
            FollowTarget::Product(id) => ("product", id.to_string()),
            FollowTarget::Tag(t) => ("tag", t.clone()),
        }
    }

    fn from_parts(kind: &str, target: String) -> Result<FollowTarget> {
        match kind {
            "product" => target
                .parse()
                .map(FollowTarget::Product)
                .map_err(|_| StoreError::Corrupt(format!("follow target {target}"))),
            "tag" => Ok(FollowTarget::Tag(target)),
            other => Err(StoreError::Corrupt(format!("follow kind {other}"))),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub thread_id: Uuid,
    pub post_id: Option<Uuid>,
    /// followed_product, followed_tag or answer.
    pub reason: String,
    pub thread_title: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// A person's standing: what they did, the score, the level and badges.
#[derive(Debug, Clone, Serialize)]
pub struct Recognition {
    pub user_id: Uuid,
    pub contribution: Contribution,
    pub score: i64,
    pub level: Level,
    pub badges: Vec<AwardedBadge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AwardedBadge {
    pub key: String,
    pub name_en: String,
    pub name_fr: String,
    pub awarded_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderBy {
    Team,
    Site,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeaderEntry {
    pub user_id: Uuid,
    pub display_name: String,
    pub score: i64,
    pub level: Level,
}

/// One team or site (None: members without one), best first inside.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderGroup {
    pub group_id: Option<Uuid>,
    pub name: String,
    pub total_score: i64,
    pub members: Vec<LeaderEntry>,
}

/// An unvalidated answer worth promoting.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub post_id: Uuid,
    pub thread_id: Uuid,
    pub thread_title: String,
    pub author_id: Option<Uuid>,
    pub reuse_count: i64,
    pub helpful_count: i64,
    pub created_at: Timestamp,
}

/// A promotion's result.
#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    pub article_id: Uuid,
    pub article_number: i64,
    pub thread_id: Uuid,
    pub credited: Vec<Uuid>,
}

/// How a promotion is asked for.
#[derive(Debug, Clone)]
pub struct PromoteRequest {
    pub post_id: Uuid,
    pub actor: Uuid,
    /// Knowledge managers promote verified answers only; an author whose
    /// level unlocks publishing without review skips that step.
    pub require_verified: bool,
    pub language: Language,
    /// Where the article links back to (the thread's page).
    pub back_link: String,
}

/// What a question prefilled from a conversation starts with.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Prefill {
    pub conversation_id: Uuid,
    pub title: String,
    pub customer_words: String,
    pub reason: Option<String>,
    /// The first product whose code is among the conversation's tags or reason.
    pub product_id: Option<Uuid>,
    pub tags: Vec<String>,
}

/// A forum answer that matched a search, with its thread.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerHit {
    pub post_id: Uuid,
    pub thread_id: Uuid,
    pub thread_title: String,
    pub body: String,
    pub confidence: forum::Confidence,
    pub reuse_count: i64,
    pub helpful_count: i64,
    /// How many query words matched (the title counts twice).
    pub matched: i64,
}

const THREAD_COLS: &str = "t.id, t.tenant_id, t.title, t.product_id, t.tags, t.conversation_id, t.customer_words, t.tried, t.author_id, t.status, t.accepted_post_id, t.promoted_article_id, t.defect, t.escalated_to, t.escalation_ref, t.escalated_at, t.created_at, t.updated_at";

/// Counts and the author's name come from their tables, so no counter drifts.
const THREAD_EXTRA: &str = "COALESCE(u.display_name, '') AS author_name, \
     (SELECT COUNT(*) FROM forum_posts a WHERE a.thread_id = t.id AND a.kind = 'answer' AND a.hidden = FALSE) AS answer_count, \
     (SELECT q.hidden FROM forum_posts q WHERE q.thread_id = t.id AND q.kind = 'question') AS question_hidden, \
     (SELECT COUNT(*) FROM (SELECT r.conversation_id FROM forum_reuses r JOIN forum_posts rp ON rp.id = r.post_id WHERE rp.thread_id = t.id \
        UNION SELECT fa.conversation_id FROM forum_affected fa WHERE fa.thread_id = t.id) affected) AS affected";

const POST_COLS: &str = "p.id, p.tenant_id, p.thread_id, p.kind, p.parent_id, p.author_id, p.body, p.revision, p.hidden, p.verified_by, p.verified_at, p.sources, p.created_at, p.updated_at, \
     COALESCE(u.display_name, '') AS author_name, \
     (SELECT COUNT(*) FROM forum_votes v WHERE v.post_id = p.id) AS helpful_count, \
     (SELECT COUNT(*) FROM forum_reuses r WHERE r.post_id = p.id) AS reuse_count, \
     (SELECT COUNT(*) FROM forum_threads acc WHERE acc.accepted_post_id = p.id) AS accepted_count";

const FLAG_COLS: &str =
    "id, post_id, user_id, reason, comment, weight, status, created_at, decided_by, decided_at";

fn json_list(r: &impl PortableRow, col: &str) -> Result<Vec<String>> {
    serde_json::from_str(&r.text(col)?).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn thread(r: &impl PortableRow) -> Result<Thread> {
    let defect = if r.boolean("defect")? {
        Some(Defect {
            escalated_to: r.text("escalated_to")?,
            reference: r.text("escalation_ref")?,
            escalated_at: r.opt_int("escalated_at")?.map(Timestamp),
            affected_conversations: r.int("affected")?,
        })
    } else {
        None
    };
    Ok(Thread {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        title: r.text("title")?,
        product_id: r.opt_uuid("product_id")?,
        tags: json_list(r, "tags")?,
        conversation_id: r.opt_uuid("conversation_id")?,
        customer_words: r.text("customer_words")?,
        tried: r.text("tried")?,
        author_id: r.opt_uuid("author_id")?,
        author_name: r.text("author_name")?,
        status: r.parse("status")?,
        accepted_post_id: r.opt_uuid("accepted_post_id")?,
        promoted_article_id: r.opt_uuid("promoted_article_id")?,
        defect,
        answer_count: r.int("answer_count")?,
        hidden: r.boolean("question_hidden")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn post(r: &impl PortableRow) -> Result<Post> {
    Ok(Post {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        thread_id: r.uuid("thread_id")?,
        kind: r.parse("kind")?,
        parent_id: r.opt_uuid("parent_id")?,
        author_id: r.opt_uuid("author_id")?,
        author_name: r.text("author_name")?,
        body: r.text("body")?,
        revision: r.int("revision")?,
        hidden: r.boolean("hidden")?,
        verified_by: r.opt_uuid("verified_by")?,
        verified_at: r.opt_int("verified_at")?.map(Timestamp),
        sources: json_list(r, "sources")?,
        helpful_count: r.int("helpful_count")?,
        reuse_count: r.int("reuse_count")?,
        accepted: r.int("accepted_count")? > 0,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn flag(r: &impl PortableRow) -> Result<Flag> {
    Ok(Flag {
        id: r.uuid("id")?,
        post_id: r.uuid("post_id")?,
        user_id: r.uuid("user_id")?,
        reason: r.parse("reason")?,
        comment: r.text("comment")?,
        weight: r.int("weight")?,
        status: r.parse("status")?,
        created_at: r.ts("created_at")?,
        decided_by: r.opt_uuid("decided_by")?,
        decided_at: r.opt_int("decided_at")?.map(Timestamp),
    })
}

/// The first characters of a body, for event payloads and notifications.
fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    let mut s: String = body.chars().take(MAX).collect();
    if body.chars().count() > MAX {
        s.push('…');
    }
    s
}

fn not_found(what: &'static str) -> StoreError {
    DomainError::NotFound(what).into()
}

fn conflict(message: &str) -> StoreError {
    DomainError::Conflict(message.into()).into()
}

/// Text of at most `max` characters, cut on a character boundary.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Escapes LIKE wildcards so a searched word matches literally.
fn like_word(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Lower-cased words of a query, at most eight, each at least two characters.
fn query_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .take(8)
        .collect()
}

struct Notify {
    user_id: Uuid,
    reason: &'static str,
}

impl Store {
    // -----------------------------------------------------------------------
    // Settings

    /// The tenant's forum settings, or the defaults when never saved.
    pub async fn forum_settings(&self, tenant_id: Uuid) -> Result<ForumSettings> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT settings FROM forum_settings WHERE tenant_id = $1")
                .bind(tenant_id).fetch_optional(p).await?
                .map(|r| r.text("settings")).transpose()?
        });
        match row {
            None => Ok(ForumSettings::default()),
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| StoreError::Corrupt(format!("forum settings: {e}"))),
        }
    }

    pub async fn set_forum_settings(
        &self,
        tenant_id: Uuid,
        settings: &ForumSettings,
        actor: Option<Uuid>,
    ) -> Result<ForumSettings> {
        let s = settings.validated()?;
        let text = serde_json::to_string(&s)
            .map_err(|e| StoreError::Corrupt(format!("forum settings: {e}")))?;
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO forum_settings (tenant_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (tenant_id) DO UPDATE SET settings = $2, updated_by = $3, updated_at = $4")
                .bind(tenant_id).bind(&text).bind(actor).bind(now.0).execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_SETTINGS_UPDATED, subject_id: None, actor_id: actor,
                payload: json!({"hide_threshold": s.hide_threshold}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(s)
    }

    // -----------------------------------------------------------------------
    // Threads and posts

    /// What a question asked from conversation `number` starts with: the
    /// subject as title, the first customer message as their words, the
    /// reason, and a product whose code the conversation names.
    pub async fn forum_prefill(&self, tenant_id: Uuid, number: i64) -> Result<Prefill> {
        let c = self.conversation_by_number(tenant_id, number).await?;
        let messages = self.messages(tenant_id, c.id, false).await?;
        let words = messages
            .iter()
            .find(|m| m.direction == Direction::Inbound)
            .map(|m| clip(&m.body, forum::MAX_CONTEXT))
            .unwrap_or_default();
        let products = self.products(tenant_id).await?;
        let named = |code: &str| {
            let code = code.to_lowercase();
            c.tags.iter().any(|t| t.to_lowercase() == code)
                || c.reason
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase() == code)
        };
        let product_id = products.iter().find(|p| named(&p.code)).map(|p| p.id);
        let tags = c
            .tags
            .iter()
            .filter_map(|t| forum::tag(t).ok())
            .take(forum::MAX_TAGS)
            .collect();
        Ok(Prefill {
            conversation_id: c.id,
            title: clip(&c.subject, forum::MAX_TITLE),
            customer_words: words,
            reason: c.reason.clone(),
            product_id,
            tags,
        })
    }

    async fn check_refs(&self, tenant_id: Uuid, t: &NewThread) -> Result<()> {
        if let Some(p) = t.product_id {
            self.product(tenant_id, p).await.map_err(|_| {
                StoreError::from(DomainError::field(
                    "product_id",
                    "is not a product of this tenant",
                ))
            })?;
        }
        if let Some(c) = t.conversation_id {
            self.conversation(tenant_id, c).await.map_err(|_| {
                StoreError::from(DomainError::field(
                    "conversation_id",
                    "is not a conversation of this tenant",
                ))
            })?;
        }
        Ok(())
    }

    /// Followers of a product or any of the tags, except `author`.
    async fn followers(
        &self,
        tenant_id: Uuid,
        product_id: Option<Uuid>,
        tags: &[String],
        author: Uuid,
    ) -> Result<Vec<Notify>> {
        let mut out: Vec<Notify> = Vec::new();
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let mut ors = Vec::new();
        if let Some(p) = product_id {
            let ph = params.push(Arg::Text(p.to_string()));
            ors.push(format!("(target_kind = 'product' AND target = {ph})"));
        }
        if !tags.is_empty() {
            let ph: Vec<String> = tags
                .iter()
                .map(|x| params.push(Arg::Text(x.clone())))
                .collect();
            ors.push(format!(
                "(target_kind = 'tag' AND target IN ({}))",
                ph.join(", ")
            ));
        }
        if ors.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT user_id, target_kind FROM forum_follows WHERE tenant_id = {t} AND ({}) ORDER BY target_kind",
            ors.join(" OR ")
        );
        let rows: Vec<(Uuid, String)> = on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("user_id")?, r.text("target_kind")?)))
                .collect::<Result<Vec<_>>>()?
        });
        for (user_id, k) in rows {
            if user_id == author || out.iter().any(|n| n.user_id == user_id) {
                continue;
            }
            let reason = if k == "product" {
                "followed_product"
            } else {
                "followed_tag"
            };
            out.push(Notify { user_id, reason });
        }
        Ok(out)
    }

    /// Opens a thread with its question; followers of its product or tags
    /// are notified in the same transaction.
    pub async fn create_thread(
        &self,
        tenant_id: Uuid,
        new: &NewThread,
        author: Uuid,
    ) -> Result<ThreadView> {
        let t = new.validated()?;
        self.check_refs(tenant_id, &t).await?;
        let notify = self
            .followers(tenant_id, t.product_id, &t.tags, author)
            .await?;
        let now = Timestamp::now();
        let thread_id = Uuid::now_v7();
        let post_id = Uuid::now_v7();
        let mut events = vec![
            NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::FORUM_THREAD_CREATED,
                subject_id: Some(thread_id),
                actor_id: Some(author),
                payload: json!({"thread_id": thread_id, "post_id": post_id, "title": t.title,
                                "product_id": t.product_id, "tags": t.tags, "excerpt": excerpt(&t.body)}),
            },
            NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::FORUM_POST_CREATED,
                subject_id: Some(post_id),
                actor_id: Some(author),
                payload: json!({"thread_id": thread_id, "post_id": post_id, "kind": PostKind::Question}),
            },
        ];
        let notes: Vec<(Uuid, &Notify)> = notify.iter().map(|n| (Uuid::now_v7(), n)).collect();
        for (id, n) in &notes {
            events.push(NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::FORUM_NOTIFICATION,
                subject_id: Some(thread_id),
                actor_id: Some(author),
                payload: json!({"user_id": n.user_id, "notification_id": id, "thread_id": thread_id,
                                "post_id": post_id, "reason": n.reason, "title": t.title}),
            });
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO forum_threads (id, tenant_id, title, product_id, tags, conversation_id, customer_words, tried, author_id, status, accepted_post_id, promoted_article_id, defect, escalated_to, escalation_ref, escalated_at, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, FALSE, '', '', NULL, $11, $11)")
                .bind(thread_id).bind(tenant_id).bind(&t.title).bind(t.product_id).bind(json!(t.tags).to_string())
                .bind(t.conversation_id).bind(&t.customer_words).bind(&t.tried).bind(author)
                .bind(ThreadStatus::Open.as_str()).bind(now.0)
                .execute(&mut *tx).await?;
            for tag in &t.tags {
                sqlx::query("INSERT INTO forum_thread_tags (thread_id, tag, tenant_id) VALUES ($1, $2, $3)")
                    .bind(thread_id).bind(tag).bind(tenant_id).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO forum_posts (id, tenant_id, thread_id, kind, parent_id, author_id, body, revision, hidden, verified_by, verified_at, sources, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, NULL, $5, $6, 1, FALSE, NULL, NULL, '[]', $7, $7)")
                .bind(post_id).bind(tenant_id).bind(thread_id).bind(PostKind::Question.as_str()).bind(author)
                .bind(&t.body).bind(now.0).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO forum_revisions (post_id, revision, tenant_id, title, body, editor_id, created_at) VALUES ($1, 1, $2, $3, $4, $5, $6)")
                .bind(post_id).bind(tenant_id).bind(&t.title).bind(&t.body).bind(author).bind(now.0)
                .execute(&mut *tx).await?;
            for (id, n) in &notes {
                sqlx::query("INSERT INTO forum_notifications (id, tenant_id, user_id, thread_id, post_id, reason, created_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
                    .bind(*id).bind(tenant_id).bind(n.user_id).bind(thread_id).bind(post_id).bind(n.reason).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        self.notify_committed();
        self.forum_thread(tenant_id, thread_id, true).await
    }

    async fn thread_row(&self, tenant_id: Uuid, id: Uuid) -> Result<Thread> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {THREAD_COLS}, {THREAD_EXTRA} FROM forum_threads t LEFT JOIN users u ON u.id = t.author_id WHERE t.tenant_id = $1 AND t.id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| thread(&r)).transpose()?
        })
        .ok_or_else(|| not_found("thread"))
    }

    /// A thread with its posts. Without `include_hidden` (non-moderators),
    /// hidden posts are left out and a thread whose question is hidden is
    /// reported absent.
    pub async fn forum_thread(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        include_hidden: bool,
    ) -> Result<ThreadView> {
        let thread = self.thread_row(tenant_id, id).await?;
        if thread.hidden && !include_hidden {
            return Err(not_found("thread"));
        }
        let posts = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {POST_COLS} FROM forum_posts p LEFT JOIN users u ON u.id = p.author_id WHERE p.tenant_id = $1 AND p.thread_id = $2 ORDER BY p.created_at, p.id"))
                .bind(tenant_id).bind(id).fetch_all(p).await?
                .iter().map(post).collect::<Result<Vec<_>>>()?
        });
        let posts = posts
            .into_iter()
            .filter(|p| include_hidden || !p.hidden)
            .collect();
        Ok(ThreadView { thread, posts })
    }

    /// One post, whatever its visibility; callers check `hidden`.
    pub async fn forum_post(&self, tenant_id: Uuid, id: Uuid) -> Result<Post> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {POST_COLS} FROM forum_posts p LEFT JOIN users u ON u.id = p.author_id WHERE p.tenant_id = $1 AND p.id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| post(&r)).transpose()?
        })
        .ok_or_else(|| not_found("post"))
    }

    /// Threads, most recently active first.
    pub async fn forum_threads(&self, tenant_id: Uuid, f: &ThreadFilter) -> Result<Vec<Thread>> {
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let mut sql = format!("SELECT {THREAD_COLS}, {THREAD_EXTRA} FROM forum_threads t LEFT JOIN users u ON u.id = t.author_id WHERE t.tenant_id = {t}");
        if let Some(p) = f.product_id {
            sql.push_str(&format!(
                " AND t.product_id = {}",
                params.push(Arg::Uuid(p))
            ));
        }
        if let Some(tag) = &f.tag {
            let ph = params.push(Arg::Text(tag.trim().to_lowercase()));
            sql.push_str(&format!(" AND EXISTS (SELECT 1 FROM forum_thread_tags g WHERE g.thread_id = t.id AND g.tenant_id = {t} AND g.tag = {ph})"));
        }
        if let Some(s) = f.status {
            sql.push_str(&format!(
                " AND t.status = {}",
                params.push(Arg::Text(s.as_str().into()))
            ));
        }
        match f.defect {
            Some(true) => sql.push_str(" AND t.defect = TRUE"),
            Some(false) => sql.push_str(" AND t.defect = FALSE"),
            None => {}
        }
        if !f.include_hidden {
            sql.push_str(" AND NOT EXISTS (SELECT 1 FROM forum_posts h WHERE h.thread_id = t.id AND h.kind = 'question' AND h.hidden = TRUE)");
        }
        for w in query_words(f.text.as_deref().unwrap_or("")) {
            let ph = params.push(Arg::Text(like_word(&w)));
            sql.push_str(&format!(" AND (LOWER(t.title) LIKE {ph} ESCAPE '\\' OR EXISTS (SELECT 1 FROM forum_posts qw WHERE qw.thread_id = t.id AND qw.kind = 'question' AND LOWER(qw.body) LIKE {ph} ESCAPE '\\'))"));
        }
        let limit = params.push(Arg::Int(f.limit.clamp(1, 200)));
        sql.push_str(&format!(
            " ORDER BY t.updated_at DESC, t.id DESC LIMIT {limit}"
        ));
        on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(thread).collect()
        })
    }

    /// Adds an answer to a thread, or a comment under a question or answer
    /// (`parent`). The thread's author hears about answers.
    pub async fn add_forum_post(
        &self,
        tenant_id: Uuid,
        thread_id: Uuid,
        kind_: PostKind,
        parent: Option<Uuid>,
        body: &str,
        author: Uuid,
    ) -> Result<Post> {
        let body = forum::checked_body(body)?;
        let thread = self.thread_row(tenant_id, thread_id).await?;
        match (kind_, parent) {
            (PostKind::Answer, None) => {}
            (PostKind::Comment, Some(pid)) => {
                let parent = self.forum_post(tenant_id, pid).await?;
                if parent.thread_id != thread_id || parent.kind == PostKind::Comment {
                    return Err(DomainError::field(
                        "parent_id",
                        "a comment goes under the question or an answer of this thread",
                    )
                    .into());
                }
            }
            _ => {
                return Err(DomainError::field(
                    "kind",
                    "only answers and comments are added to a thread",
                )
                .into())
            }
        }
        let now = Timestamp::now();
        let id = Uuid::now_v7();
        let mut events = vec![NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::FORUM_POST_CREATED,
            subject_id: Some(id),
            actor_id: Some(author),
            payload: json!({"thread_id": thread_id, "post_id": id, "kind": kind_, "title": thread.title,
                            "excerpt": excerpt(&body)}),
        }];
        let note = match thread.author_id {
            Some(a) if a != author && kind_ == PostKind::Answer => Some((Uuid::now_v7(), a)),
            _ => None,
        };
        if let Some((nid, user)) = note {
            events.push(NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::FORUM_NOTIFICATION,
                subject_id: Some(thread_id),
                actor_id: Some(author),
                payload: json!({"user_id": user, "notification_id": nid, "thread_id": thread_id,
                                "post_id": id, "reason": "answer", "title": thread.title}),
            });
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO forum_posts (id, tenant_id, thread_id, kind, parent_id, author_id, body, revision, hidden, verified_by, verified_at, sources, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, FALSE, NULL, NULL, '[]', $8, $8)")
                .bind(id).bind(tenant_id).bind(thread_id).bind(kind_.as_str()).bind(parent).bind(author)
                .bind(&body).bind(now.0).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO forum_revisions (post_id, revision, tenant_id, title, body, editor_id, created_at) VALUES ($1, 1, $2, NULL, $3, $4, $5)")
                .bind(id).bind(tenant_id).bind(&body).bind(author).bind(now.0)
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE forum_threads SET updated_at = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(now.0).bind(tenant_id).bind(thread_id).execute(&mut *tx).await?;
            if let Some((nid, user)) = note {
                sqlx::query("INSERT INTO forum_notifications (id, tenant_id, user_id, thread_id, post_id, reason, created_at, read_at) VALUES ($1, $2, $3, $4, $5, 'answer', $6, NULL)")
                    .bind(nid).bind(tenant_id).bind(user).bind(thread_id).bind(id).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        self.notify_committed();
        self.forum_post(tenant_id, id).await
    }

    /// Saves a new revision of a post (and, for a question, of the thread's
    /// title). The previous text stays in the history.
    pub async fn edit_forum_post(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        title: Option<&str>,
        body: &str,
        editor: Uuid,
    ) -> Result<Post> {
        let old = self.forum_post(tenant_id, post_id).await?;
        let mut v = plateau_core::error::Validator::new();
        let body = v.check("body", forum::body(body));
        let title = match (title, old.kind) {
            (Some(t), PostKind::Question) => v.check("title", forum::title(t)),
            (Some(_), _) => {
                v.push("title", "only a question has a title");
                None
            }
            (None, _) => None,
        };
        v.finish()?;
        let body = body.ok_or_else(|| DomainError::field("body", "missing"))?;
        let now = Timestamp::now();
        let next = old.revision + 1;
        let current_title = if old.kind == PostKind::Question {
            Some(
                title
                    .clone()
                    .unwrap_or(self.thread_row(tenant_id, old.thread_id).await?.title),
            )
        } else {
            None
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE forum_posts SET body = $1, revision = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND revision = $6")
                .bind(&body).bind(next).bind(now.0).bind(tenant_id).bind(post_id).bind(old.revision)
                .execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(conflict("the post was edited meanwhile; reload and try again"));
            }
            sqlx::query("INSERT INTO forum_revisions (post_id, revision, tenant_id, title, body, editor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(post_id).bind(next).bind(tenant_id).bind(&current_title).bind(&body).bind(editor).bind(now.0)
                .execute(&mut *tx).await?;
            if let Some(t) = &title {
                sqlx::query("UPDATE forum_threads SET title = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
                    .bind(t).bind(now.0).bind(tenant_id).bind(old.thread_id).execute(&mut *tx).await?;
            }
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_POST_EDITED, subject_id: Some(post_id), actor_id: Some(editor),
                payload: json!({"thread_id": old.thread_id, "post_id": post_id, "revision": next}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.forum_post(tenant_id, post_id).await
    }

    /// Every revision of a post, oldest first.
    pub async fn forum_post_history(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
    ) -> Result<Vec<Revision>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT post_id, revision, title, body, editor_id, created_at FROM forum_revisions WHERE tenant_id = $1 AND post_id = $2 ORDER BY revision")
                .bind(tenant_id).bind(post_id).fetch_all(p).await?
                .iter().map(|r| Ok(Revision {
                    post_id: r.uuid("post_id")?,
                    revision: r.int("revision")?,
                    title: r.opt_text("title")?,
                    body: r.text("body")?,
                    editor_id: r.opt_uuid("editor_id")?,
                    created_at: r.ts("created_at")?,
                })).collect()
        })
    }

    /// "This helped me": one vote per user per post, never on one's own.
    pub async fn vote_forum_post(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        user: Uuid,
    ) -> Result<Post> {
        let p = self.forum_post(tenant_id, post_id).await?;
        if p.hidden {
            return Err(not_found("post"));
        }
        if p.author_id == Some(user) {
            return Err(DomainError::Forbidden("you cannot vote for your own post").into());
        }
        let now = Timestamp::now();
        let r = on_pool!(&self.write, pool => {
            sqlx::query("INSERT INTO forum_votes (post_id, user_id, tenant_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(post_id).bind(user).bind(tenant_id).bind(now.0).execute(pool).await.map(|_| ())
        });
        match r {
            Ok(_) => {}
            Err(e) => {
                return Err(match StoreError::from(e) {
                    StoreError::Domain(DomainError::Conflict(_)) => {
                        conflict("you already marked this post as helpful")
                    }
                    other => other,
                })
            }
        }
        self.forum_post(tenant_id, post_id).await
    }

    /// Accepts an answer of a thread (replacing any earlier choice).
    pub async fn accept_forum_answer(
        &self,
        tenant_id: Uuid,
        thread_id: Uuid,
        post_id: Uuid,
        actor: Uuid,
    ) -> Result<Thread> {
        let p = self.forum_post(tenant_id, post_id).await?;
        if p.thread_id != thread_id || p.kind != PostKind::Answer {
            return Err(DomainError::field("post_id", "is not an answer of this thread").into());
        }
        if p.hidden {
            return Err(not_found("post"));
        }
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            // A promoted thread keeps its status; accepting still records the answer.
            sqlx::query("UPDATE forum_threads SET accepted_post_id = $1, status = CASE WHEN status = 'promoted' THEN status ELSE 'answered' END, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
                .bind(post_id).bind(now.0).bind(tenant_id).bind(thread_id).execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_ANSWER_ACCEPTED, subject_id: Some(thread_id), actor_id: Some(actor),
                payload: json!({"thread_id": thread_id, "post_id": post_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.thread_row(tenant_id, thread_id).await
    }

    /// Links a post to a conversation it helped answer (KCS reuse); once.
    pub async fn link_forum_reuse(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        conversation_id: Uuid,
        user: Uuid,
    ) -> Result<Post> {
        let p = self.forum_post(tenant_id, post_id).await?;
        if p.hidden {
            return Err(not_found("post"));
        }
        self.conversation(tenant_id, conversation_id).await?;
        let now = Timestamp::now();
        let r = on_pool!(&self.write, pool => {
            sqlx::query("INSERT INTO forum_reuses (post_id, conversation_id, tenant_id, user_id, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(post_id).bind(conversation_id).bind(tenant_id).bind(user).bind(now.0).execute(pool).await.map(|_| ())
        });
        if let Err(e) = r {
            return Err(match StoreError::from(e) {
                StoreError::Domain(DomainError::Conflict(_)) => {
                    conflict("this post is already linked to that conversation")
                }
                other => other,
            });
        }
        self.forum_post(tenant_id, post_id).await
    }

    // -----------------------------------------------------------------------
    // Moderation

    /// Flags a post. The flag weighs by the flagger's level (a moderator's
    /// alone reaches the threshold); once the open flags reach the tenant's
    /// threshold the post is hidden in the same transaction.
    pub async fn flag_forum_post(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        user: Uuid,
        moderator: bool,
        reason: FlagReason,
        comment: &str,
    ) -> Result<FlagOutcome> {
        let comment = if comment.trim().is_empty() {
            String::new()
        } else {
            plateau_core::validate::text(comment, 1_000)
                .map_err(|m| DomainError::field("comment", m))?
        };
        let p = self.forum_post(tenant_id, post_id).await?;
        if p.hidden && !moderator {
            return Err(not_found("post"));
        }
        let settings = self.forum_settings(tenant_id).await?;
        let level = self.recognition_of(tenant_id, user, &settings).await?.level;
        let weight = forum::flag_weight(level, moderator, settings.hide_threshold);
        let now = Timestamp::now();
        let f = Flag {
            id: Uuid::now_v7(),
            post_id,
            user_id: user,
            reason,
            comment,
            weight: i64::from(weight),
            status: FlagStatus::Open,
            created_at: now,
            decided_by: None,
            decided_at: None,
        };
        let hidden = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(&format!("INSERT INTO forum_flags (tenant_id, {FLAG_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"))
                .bind(tenant_id).bind(f.id).bind(post_id).bind(user).bind(reason.as_str()).bind(&f.comment)
                .bind(f.weight).bind(FlagStatus::Open.as_str()).bind(now.0)
                .execute(&mut *tx).await;
            if let Err(e) = inserted {
                return Err(match StoreError::from(e) {
                    StoreError::Domain(DomainError::Conflict(_)) => conflict("you already flagged this post"),
                    other => other,
                });
            }
            let weights: Vec<u32> = sqlx::query("SELECT weight FROM forum_flags WHERE post_id = $1 AND tenant_id = $2 AND status = 'open'")
                .bind(post_id).bind(tenant_id).fetch_all(&mut *tx).await?
                .iter().map(|r| r.int("weight").map(|w| u32::try_from(w).unwrap_or(u32::MAX)))
                .collect::<Result<Vec<_>>>()?;
            let hide = !p.hidden && forum::reaches_threshold(&weights, settings.hide_threshold);
            let mut events = vec![NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_POST_FLAGGED, subject_id: Some(post_id), actor_id: Some(user),
                payload: json!({"thread_id": p.thread_id, "post_id": post_id, "reason": reason}),
            }];
            if hide {
                sqlx::query("UPDATE forum_posts SET hidden = TRUE WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant_id).bind(post_id).execute(&mut *tx).await?;
                events.push(NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::FORUM_POST_HIDDEN, subject_id: Some(post_id), actor_id: None,
                    payload: json!({"thread_id": p.thread_id, "post_id": post_id, "why": "flags"}),
                });
            }
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
            hide || p.hidden
        });
        self.notify_committed();
        Ok(FlagOutcome { flag: f, hidden })
    }

    /// Posts with open flags, heaviest first.
    pub async fn forum_queue(&self, tenant_id: Uuid) -> Result<Vec<QueueItem>> {
        let flags = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {FLAG_COLS} FROM forum_flags WHERE tenant_id = $1 AND status = 'open' ORDER BY created_at"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(flag).collect::<Result<Vec<_>>>()?
        });
        let mut by_post: Vec<(Uuid, Vec<Flag>)> = Vec::new();
        for f in flags {
            match by_post.iter_mut().find(|(id, _)| *id == f.post_id) {
                Some((_, list)) => list.push(f),
                None => by_post.push((f.post_id, vec![f])),
            }
        }
        let mut out = Vec::new();
        for (post_id, flags) in by_post {
            let post = self.forum_post(tenant_id, post_id).await?;
            let thread_title = self.thread_row(tenant_id, post.thread_id).await?.title;
            let open_weight = flags.iter().map(|f| f.weight).sum();
            out.push(QueueItem {
                post,
                thread_title,
                flags,
                open_weight,
            });
        }
        out.sort_by_key(|i| std::cmp::Reverse(i.open_weight));
        Ok(out)
    }

    /// All flags ever raised on a post, newest first.
    pub async fn forum_post_flags(&self, tenant_id: Uuid, post_id: Uuid) -> Result<Vec<Flag>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {FLAG_COLS} FROM forum_flags WHERE tenant_id = $1 AND post_id = $2 ORDER BY created_at DESC"))
                .bind(tenant_id).bind(post_id).fetch_all(p).await?
                .iter().map(flag).collect()
        })
    }

    /// A moderator's decision on all open flags of a post.
    pub async fn decide_forum_flags(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        decision: Decision,
        moderator: Uuid,
    ) -> Result<Post> {
        let p = self.forum_post(tenant_id, post_id).await?;
        let outcome = decision.outcome();
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let closed = sqlx::query("UPDATE forum_flags SET status = $1, decided_by = $2, decided_at = $3 WHERE tenant_id = $4 AND post_id = $5 AND status = 'open'")
                .bind(outcome.flag_status.as_str()).bind(moderator).bind(now.0).bind(tenant_id).bind(post_id)
                .execute(&mut *tx).await?.rows_affected();
            if closed == 0 {
                return Err(conflict("this post has no open flag to decide on"));
            }
            sqlx::query("UPDATE forum_posts SET hidden = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(outcome.hidden).bind(tenant_id).bind(post_id).execute(&mut *tx).await?;
            let k = if outcome.hidden { kind::FORUM_POST_HIDDEN } else { kind::FORUM_POST_RESTORED };
            if outcome.hidden != p.hidden {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: k, subject_id: Some(post_id), actor_id: Some(moderator),
                    payload: json!({"thread_id": p.thread_id, "post_id": post_id, "decision": decision}),
                });
            }
            tx.commit().await?;
        });
        self.notify_committed();
        self.forum_post(tenant_id, post_id).await
    }

    // -----------------------------------------------------------------------
    // Validation and promotion

    /// Marks an answer verified with the sources checked.
    pub async fn verify_forum_post(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
        sources: &[String],
        verifier: Uuid,
    ) -> Result<Post> {
        let sources = forum::sources(sources).map_err(|m| DomainError::field("sources", m))?;
        let p = self.forum_post(tenant_id, post_id).await?;
        if p.kind != PostKind::Answer {
            return Err(DomainError::field("post_id", "only answers are verified").into());
        }
        if p.hidden {
            return Err(conflict("a hidden post cannot be verified"));
        }
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE forum_posts SET verified_by = $1, verified_at = $2, sources = $3 WHERE tenant_id = $4 AND id = $5")
                .bind(verifier).bind(now.0).bind(json!(sources).to_string()).bind(tenant_id).bind(post_id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_POST_VERIFIED, subject_id: Some(post_id), actor_id: Some(verifier),
                payload: json!({"thread_id": p.thread_id, "post_id": post_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.forum_post(tenant_id, post_id).await
    }

    /// Turns an answer into a validated knowledge-base article with its KCS
    /// fields prefilled, marks the thread promoted and credits its
    /// contributors, all in one transaction: if any step fails, there is no
    /// article and the thread is as it was.
    pub async fn promote_forum_answer(
        &self,
        tenant_id: Uuid,
        req: &PromoteRequest,
    ) -> Result<Promotion> {
        let answer = self.forum_post(tenant_id, req.post_id).await?;
        if answer.kind != PostKind::Answer {
            return Err(DomainError::field("post_id", "only an answer can be promoted").into());
        }
        if answer.hidden {
            return Err(conflict("a hidden answer cannot be promoted"));
        }
        if req.require_verified && answer.verified_at.is_none() {
            return Err(conflict("verify the answer against its sources first"));
        }
        let view = self.forum_thread(tenant_id, answer.thread_id, true).await?;
        let t = &view.thread;
        if t.promoted_article_id.is_some() {
            return Err(conflict("this thread was already promoted"));
        }
        let question = view
            .posts
            .iter()
            .find(|p| p.kind == PostKind::Question)
            .ok_or_else(|| StoreError::Corrupt(format!("thread {} has no question", t.id)))?;
        let environment = match t.product_id {
            Some(p) => self.product(tenant_id, p).await?.name,
            None => String::new(),
        };
        let issue = if t.customer_words.is_empty() {
            question.body.clone()
        } else {
            t.customer_words.clone()
        };
        let resolution = format!("{}\n\n[{}]({})", answer.body, "Forum thread", req.back_link);
        let new = NewArticle {
            content: ArticleContent {
                title: t.title.clone(),
                issue: clip(&issue, plateau_core::knowledge::MAX_ISSUE),
                environment: clip(&environment, plateau_core::knowledge::MAX_ENVIRONMENT),
                resolution,
                cause: String::new(),
                tags: t.tags.clone(),
                product_ids: t.product_id.into_iter().collect(),
                language: req.language,
            },
            state: ArticleState::Validated,
            audience: Audience::Internal,
            note: format!("Promoted from forum thread {}", t.id),
        };
        let (content, note) = checked_new_article(&new)?;
        let mut article = new_article_row(tenant_id, &content, &new, Some(req.actor));
        let mut credited: Vec<(Uuid, &'static str)> = Vec::new();
        for (who, role) in [
            (answer.author_id, "answer"),
            (t.author_id, "question"),
            (answer.verified_by, "verifier"),
        ] {
            if let Some(u) = who {
                if !credited.iter().any(|(c, _)| *c == u) {
                    credited.push((u, role));
                }
            }
        }
        let now = Timestamp::now();
        let thread_id = t.id;
        let number = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let number = insert_article_tx!(&mut tx, &article, &note);
            // The guard makes a concurrent second promotion lose cleanly.
            let marked = sqlx::query("UPDATE forum_threads SET promoted_article_id = $1, status = 'promoted', updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND promoted_article_id IS NULL")
                .bind(article.id).bind(now.0).bind(tenant_id).bind(thread_id)
                .execute(&mut *tx).await?.rows_affected();
            if marked == 0 {
                return Err(conflict("this thread was already promoted"));
            }
            for (u, role) in &credited {
                sqlx::query("INSERT INTO forum_credits (article_id, user_id, tenant_id, thread_id, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(article.id).bind(*u).bind(tenant_id).bind(thread_id).bind(*role).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_THREAD_PROMOTED, subject_id: Some(thread_id), actor_id: Some(req.actor),
                payload: json!({"thread_id": thread_id, "post_id": req.post_id, "article_id": article.id, "article_number": number}),
            });
            tx.commit().await?;
            number
        });
        self.notify_committed();
        article.number = number;
        Ok(Promotion {
            article_id: article.id,
            article_number: number,
            thread_id,
            credited: credited.into_iter().map(|(u, _)| u).collect(),
        })
    }

    /// The thread an article was promoted from, if any.
    pub async fn article_forum_thread(
        &self,
        tenant_id: Uuid,
        article_id: Uuid,
    ) -> Result<Option<Uuid>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT id FROM forum_threads WHERE tenant_id = $1 AND promoted_article_id = $2")
                .bind(tenant_id).bind(article_id).fetch_optional(p).await?
                .map(|r| r.uuid("id")).transpose()
        })
    }

    /// The people an article's promotion credited, with their part.
    pub async fn article_credits(
        &self,
        tenant_id: Uuid,
        article_id: Uuid,
    ) -> Result<Vec<(Uuid, String)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT user_id, role FROM forum_credits WHERE tenant_id = $1 AND article_id = $2 ORDER BY created_at, user_id")
                .bind(tenant_id).bind(article_id).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("user_id")?, r.text("role")?))).collect()
        })
    }

    /// Unvalidated answers (not verified, not promoted, not hidden) posted
    /// since `since`, most reused first, then most helpful.
    pub async fn promotion_digest(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<Candidate>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT p.id, p.thread_id, t.title, p.author_id, p.created_at, \
                         (SELECT COUNT(*) FROM forum_reuses r WHERE r.post_id = p.id) AS reuses, \
                         (SELECT COUNT(*) FROM forum_votes v WHERE v.post_id = p.id) AS votes \
                         FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id \
                         WHERE p.tenant_id = $1 AND p.kind = 'answer' AND p.hidden = FALSE AND p.verified_at IS NULL \
                         AND t.promoted_article_id IS NULL AND p.created_at >= $2 \
                         ORDER BY reuses DESC, votes DESC, p.created_at DESC LIMIT $3")
                .bind(tenant_id).bind(since.0).bind(limit.clamp(1, 200)).fetch_all(p).await?
                .iter().map(|r| Ok(Candidate {
                    post_id: r.uuid("id")?,
                    thread_id: r.uuid("thread_id")?,
                    thread_title: r.text("title")?,
                    author_id: r.opt_uuid("author_id")?,
                    reuse_count: r.int("reuses")?,
                    helpful_count: r.int("votes")?,
                    created_at: r.ts("created_at")?,
                })).collect()
        })
    }

    /// Sends the week's promotion candidates to `recipients` (the
    /// knowledge managers) as a `digest` notification pointing at the best
    /// candidate, at most once every `every` per tenant and only when there
    /// is a candidate. Returns how many notifications were written.
    pub async fn send_promotion_digest(
        &self,
        tenant_id: Uuid,
        recipients: &[Uuid],
        now: Timestamp,
        every: std::time::Duration,
    ) -> Result<usize> {
        let window = every.as_micros() as i64;
        let last = on_pool!(&self.read, p => {
            sqlx::query("SELECT MAX(created_at) AS last FROM forum_notifications WHERE tenant_id = $1 AND reason = 'digest'")
                .bind(tenant_id).fetch_one(p).await?.opt_int("last")?
        });
        if recipients.is_empty() || last.is_some_and(|l| now.0 - l < window) {
            return Ok(0);
        }
        let candidates = self
            .promotion_digest(tenant_id, Timestamp(now.0 - window), 20)
            .await?;
        let Some(top) = candidates.first() else {
            return Ok(0);
        };
        let notes: Vec<(Uuid, Uuid)> = recipients.iter().map(|u| (Uuid::now_v7(), *u)).collect();
        let events: Vec<NewEvent> = notes
            .iter()
            .map(|(id, user)| NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::FORUM_NOTIFICATION,
                subject_id: Some(top.thread_id),
                actor_id: None,
                payload: json!({"user_id": user, "notification_id": id, "thread_id": top.thread_id,
                                "post_id": top.post_id, "reason": "digest", "title": top.thread_title,
                                "candidates": candidates.len()}),
            })
            .collect();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            for (id, user) in &notes {
                sqlx::query("INSERT INTO forum_notifications (id, tenant_id, user_id, thread_id, post_id, reason, created_at, read_at) VALUES ($1, $2, $3, $4, $5, 'digest', $6, NULL)")
                    .bind(*id).bind(tenant_id).bind(*user).bind(top.thread_id).bind(top.post_id).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(notes.len())
    }

    // -----------------------------------------------------------------------
    // Defects

    /// Marks a thread as a product defect escalated to `to` (a vendor or
    /// product team) with an optional reference, or clears it (`None`).
    pub async fn set_forum_defect(
        &self,
        tenant_id: Uuid,
        thread_id: Uuid,
        escalation: Option<(&str, &str)>,
        actor: Uuid,
    ) -> Result<Thread> {
        let (defect, to, reference) = match escalation {
            None => (false, String::new(), String::new()),
            Some((to, reference)) => {
                let mut v = plateau_core::error::Validator::new();
                let to = v.check("escalated_to", plateau_core::validate::text(to, 200));
                let reference = v.check("reference", forum_optional(reference, 200));
                v.finish()?;
                (true, to.unwrap_or_default(), reference.unwrap_or_default())
            }
        };
        self.thread_row(tenant_id, thread_id).await?;
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE forum_threads SET defect = $1, escalated_to = $2, escalation_ref = $3, escalated_at = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7")
                .bind(defect).bind(&to).bind(&reference).bind(defect.then_some(now.0)).bind(now.0)
                .bind(tenant_id).bind(thread_id).execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FORUM_DEFECT_UPDATED, subject_id: Some(thread_id), actor_id: Some(actor),
                payload: json!({"thread_id": thread_id, "defect": defect, "escalated_to": to, "reference": reference}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.thread_row(tenant_id, thread_id).await
    }

    /// Counts a conversation as affected by a thread's defect.
    pub async fn mark_forum_affected(
        &self,
        tenant_id: Uuid,
        thread_id: Uuid,
        conversation_id: Uuid,
        actor: Uuid,
    ) -> Result<Thread> {
        self.thread_row(tenant_id, thread_id).await?;
        self.conversation(tenant_id, conversation_id).await?;
        let now = Timestamp::now();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let added = sqlx::query("INSERT INTO forum_affected (thread_id, conversation_id, tenant_id, marked_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (thread_id, conversation_id) DO NOTHING")
                .bind(thread_id).bind(conversation_id).bind(tenant_id).bind(actor).bind(now.0)
                .execute(&mut *tx).await?.rows_affected();
            if added > 0 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::FORUM_DEFECT_UPDATED, subject_id: Some(thread_id), actor_id: Some(actor),
                    payload: json!({"thread_id": thread_id, "affected_conversation": conversation_id}),
                });
            }
            tx.commit().await?;
        });
        self.notify_committed();
        self.thread_row(tenant_id, thread_id).await
    }

    // -----------------------------------------------------------------------
    // Follows and notifications

    pub async fn follow_forum(
        &self,
        tenant_id: Uuid,
        user: Uuid,
        target: &FollowTarget,
    ) -> Result<()> {
        let (k, value) = match target {
            FollowTarget::Product(p) => {
                self.product(tenant_id, *p).await?;
                ("product", p.to_string())
            }
            FollowTarget::Tag(t) => (
                "tag",
                forum::tag(t).map_err(|m| DomainError::field("tag", m))?,
            ),
        };
        on_pool!(&self.write, pool => {
            sqlx::query("INSERT INTO forum_follows (tenant_id, user_id, target_kind, target, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, user_id, target_kind, target) DO NOTHING")
                .bind(tenant_id).bind(user).bind(k).bind(&value).bind(Timestamp::now().0)
                .execute(pool).await?;
        });
        Ok(())
    }

    pub async fn unfollow_forum(
        &self,
        tenant_id: Uuid,
        user: Uuid,
        target: &FollowTarget,
    ) -> Result<()> {
        let (k, value) = target.parts();
        let value = if k == "tag" {
            value.trim().to_lowercase()
        } else {
            value
        };
        on_pool!(&self.write, pool => {
            sqlx::query("DELETE FROM forum_follows WHERE tenant_id = $1 AND user_id = $2 AND target_kind = $3 AND target = $4")
                .bind(tenant_id).bind(user).bind(k).bind(&value).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn forum_follows(&self, tenant_id: Uuid, user: Uuid) -> Result<Vec<FollowTarget>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT target_kind, target FROM forum_follows WHERE tenant_id = $1 AND user_id = $2 ORDER BY target_kind, target")
                .bind(tenant_id).bind(user).fetch_all(p).await?
                .iter().map(|r| FollowTarget::from_parts(&r.text("target_kind")?, r.text("target")?)).collect()
        })
    }

    /// A user's notifications, newest first.
    pub async fn forum_notifications(
        &self,
        tenant_id: Uuid,
        user: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let unread = if unread_only {
            " AND n.read_at IS NULL"
        } else {
            ""
        };
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT n.id, n.thread_id, n.post_id, n.reason, n.created_at, n.read_at, t.title FROM forum_notifications n JOIN forum_threads t ON t.id = n.thread_id \
                          WHERE n.tenant_id = $1 AND n.user_id = $2{unread} ORDER BY n.created_at DESC, n.id DESC LIMIT $3"))
                .bind(tenant_id).bind(user).bind(limit.clamp(1, 500)).fetch_all(p).await?
                .iter().map(|r| Ok(Notification {
                    id: r.uuid("id")?,
                    thread_id: r.uuid("thread_id")?,
                    post_id: r.opt_uuid("post_id")?,
                    reason: r.text("reason")?,
                    thread_title: r.text("title")?,
                    created_at: r.ts("created_at")?,
                    read_at: r.opt_int("read_at")?.map(Timestamp),
                })).collect()
        })
    }

    /// Marks some (or, with None, all) of a user's notifications read;
    /// returns how many changed.
    pub async fn read_forum_notifications(
        &self,
        tenant_id: Uuid,
        user: Uuid,
        ids: Option<&[Uuid]>,
    ) -> Result<u64> {
        let mut params = Params::default();
        let now = params.push(Arg::Int(Timestamp::now().0));
        let t = params.push(Arg::Uuid(tenant_id));
        let u = params.push(Arg::Uuid(user));
        let mut sql = format!("UPDATE forum_notifications SET read_at = {now} WHERE tenant_id = {t} AND user_id = {u} AND read_at IS NULL");
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(0);
            }
            let ph: Vec<String> = ids.iter().map(|id| params.push(Arg::Uuid(*id))).collect();
            sql.push_str(&format!(" AND id IN ({})", ph.join(", ")));
        }
        let n = on_pool!(&self.write, pool => {
            bind_args!(sqlx::query(&sql), &params.args).execute(pool).await?.rows_affected()
        });
        Ok(n)
    }

    // -----------------------------------------------------------------------
    // Recognition

    /// Every member's contribution in a tenant, from the forum's tables.
    pub async fn forum_contributions(
        &self,
        tenant_id: Uuid,
    ) -> Result<HashMap<Uuid, Contribution>> {
        let mut out: HashMap<Uuid, Contribution> = HashMap::new();
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        let rows: Vec<(Uuid, i64, i64, i64)> = on_pool!(&self.read, p => {
            sqlx::query("SELECT author_id, COUNT(*) AS posts, SUM(CASE WHEN kind = 'answer' THEN 1 ELSE 0 END) AS answers, \
                         SUM(CASE WHEN verified_at IS NOT NULL THEN 1 ELSE 0 END) AS verified \
                         FROM forum_posts WHERE tenant_id = $1 AND author_id IS NOT NULL GROUP BY author_id")
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("author_id")?, r.int("posts")?, r.int("answers")?, r.int("verified")?)))
                .collect::<Result<Vec<_>>>()?
        });
        for (u, posts, answers, verified) in rows {
            let c = out.entry(u).or_default();
            c.posts = count(posts);
            c.answers = count(answers);
            c.verified = count(verified);
        }
        let grouped = [
            "SELECT p.author_id AS uid, COUNT(*) AS n FROM forum_votes v JOIN forum_posts p ON p.id = v.post_id WHERE v.tenant_id = $1 AND p.author_id IS NOT NULL GROUP BY p.author_id",
            "SELECT p.author_id AS uid, COUNT(*) AS n FROM forum_reuses r JOIN forum_posts p ON p.id = r.post_id WHERE r.tenant_id = $1 AND p.author_id IS NOT NULL GROUP BY p.author_id",
            "SELECT p.author_id AS uid, COUNT(*) AS n FROM forum_threads t JOIN forum_posts p ON p.id = t.accepted_post_id WHERE t.tenant_id = $1 AND p.author_id IS NOT NULL GROUP BY p.author_id",
            "SELECT user_id AS uid, COUNT(*) AS n FROM forum_credits WHERE tenant_id = $1 GROUP BY user_id",
            "SELECT p.author_id AS uid, COUNT(DISTINCT p.id) AS n FROM forum_flags f JOIN forum_posts p ON p.id = f.post_id WHERE f.tenant_id = $1 AND f.status = 'agreed' AND p.author_id IS NOT NULL GROUP BY p.author_id",
        ];
        for (i, sql) in grouped.iter().enumerate() {
            let rows: Vec<(Uuid, i64)> = on_pool!(&self.read, p => {
                sqlx::query(sql).bind(tenant_id).fetch_all(p).await?
                    .iter().map(|r| Ok((r.uuid("uid")?, r.int("n")?))).collect::<Result<Vec<_>>>()?
            });
            for (u, n) in rows {
                let c = out.entry(u).or_default();
                let slot = match i {
                    0 => &mut c.helpful_votes,
                    1 => &mut c.reuses,
                    2 => &mut c.accepted,
                    3 => &mut c.promotions,
                    _ => &mut c.confirmed_flags,
                };
                *slot = count(n);
            }
        }
        Ok(out)
    }

    async fn recognition_of(
        &self,
        tenant_id: Uuid,
        user: Uuid,
        settings: &ForumSettings,
    ) -> Result<Recognition> {
        let contribution = self
            .forum_contributions(tenant_id)
            .await?
            .remove(&user)
            .unwrap_or_default();
        let score = forum::score(&contribution, &settings.weights);
        Ok(Recognition {
            user_id: user,
            contribution,
            score,
            level: forum::level(score, &settings.levels),
            badges: Vec::new(),
        })
    }

    /// A user's standing; badges newly earned are awarded (and kept even if
    /// the rules change later: a trophy is not taken back).
    pub async fn forum_recognition(&self, tenant_id: Uuid, user: Uuid) -> Result<Recognition> {
        let settings = self.forum_settings(tenant_id).await?;
        let mut r = self.recognition_of(tenant_id, user, &settings).await?;
        let earned: Vec<String> = settings
            .badges_of(&r.contribution)
            .iter()
            .map(|b| b.key.clone())
            .collect();
        let now = Timestamp::now();
        if !earned.is_empty() {
            on_pool!(&self.write, pool => {
                for key in &earned {
                    sqlx::query("INSERT INTO forum_badges (tenant_id, user_id, badge_key, awarded_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, user_id, badge_key) DO NOTHING")
                        .bind(tenant_id).bind(user).bind(key).bind(now.0).execute(pool).await?;
                }
            });
        }
        let awarded: Vec<(String, Timestamp)> = on_pool!(&self.read, p => {
            sqlx::query("SELECT badge_key, awarded_at FROM forum_badges WHERE tenant_id = $1 AND user_id = $2 ORDER BY awarded_at, badge_key")
                .bind(tenant_id).bind(user).fetch_all(p).await?
                .iter().map(|r| Ok((r.text("badge_key")?, r.ts("awarded_at")?))).collect::<Result<Vec<_>>>()?
        });
        r.badges = awarded
            .into_iter()
            .map(|(key, at)| {
                let rule = settings.badges.iter().find(|b| b.key == key);
                AwardedBadge {
                    name_en: rule
                        .map(|b| b.name_en.clone())
                        .unwrap_or_else(|| key.clone()),
                    name_fr: rule
                        .map(|b| b.name_fr.clone())
                        .unwrap_or_else(|| key.clone()),
                    key,
                    awarded_at: at,
                }
            })
            .collect();
        Ok(r)
    }

    /// Scores per team or per site, members best first, groups by total.
    pub async fn forum_leaderboard(
        &self,
        tenant_id: Uuid,
        by: LeaderBy,
    ) -> Result<Vec<LeaderGroup>> {
        let settings = self.forum_settings(tenant_id).await?;
        let contributions = self.forum_contributions(tenant_id).await?;
        let members = self.members(tenant_id).await?;
        let names: HashMap<Uuid, String> = match by {
            LeaderBy::Team => self
                .teams(tenant_id)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
            LeaderBy::Site => self
                .sites(tenant_id)
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect(),
        };
        let mut groups: Vec<LeaderGroup> = Vec::new();
        for m in members {
            if m.role == plateau_core::model::Role::ClientViewer {
                continue;
            }
            let c = contributions.get(&m.user.id).copied().unwrap_or_default();
            let score = forum::score(&c, &settings.weights);
            let group_id = match by {
                LeaderBy::Team => m.team_id,
                LeaderBy::Site => m.site_id,
            };
            let entry = LeaderEntry {
                user_id: m.user.id,
                display_name: m.user.display_name.clone(),
                score,
                level: forum::level(score, &settings.levels),
            };
            match groups.iter_mut().find(|g| g.group_id == group_id) {
                Some(g) => {
                    g.total_score = g.total_score.saturating_add(score);
                    g.members.push(entry);
                }
                None => groups.push(LeaderGroup {
                    group_id,
                    name: group_id
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_default(),
                    total_score: score,
                    members: vec![entry],
                }),
            }
        }
        for g in &mut groups {
            g.members.sort_by(|a, b| {
                b.score
                    .cmp(&a.score)
                    .then_with(|| a.display_name.cmp(&b.display_name))
            });
        }
        groups.sort_by(|a, b| {
            b.total_score
                .cmp(&a.total_score)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(groups)
    }

    // -----------------------------------------------------------------------
    // Search

    /// Visible answers whose thread title or body hold the query's words,
    /// best match first, then most reused. The one search merges these with
    /// articles and labels them by confidence.
    pub async fn search_forum_answers(
        &self,
        tenant_id: Uuid,
        query: &str,
        limit: i64,
    ) -> Result<Vec<AnswerHit>> {
        let words = query_words(query);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let mut score_terms = Vec::new();
        let mut any = Vec::new();
        for w in &words {
            let ph = params.push(Arg::Text(like_word(w)));
            score_terms.push(format!("(CASE WHEN LOWER(t.title) LIKE {ph} ESCAPE '\\' THEN 2 ELSE 0 END) + (CASE WHEN LOWER(p.body) LIKE {ph} ESCAPE '\\' THEN 1 ELSE 0 END)"));
            any.push(format!(
                "LOWER(t.title) LIKE {ph} ESCAPE '\\' OR LOWER(p.body) LIKE {ph} ESCAPE '\\'"
            ));
        }
        let limit = params.push(Arg::Int(limit.clamp(1, 100)));
        let sql = format!(
            "SELECT p.id, p.thread_id, t.title, p.body, p.verified_at, \
             (SELECT COUNT(*) FROM forum_reuses r WHERE r.post_id = p.id) AS reuses, \
             (SELECT COUNT(*) FROM forum_votes v WHERE v.post_id = p.id) AS votes, \
             CAST(CASE WHEN t.accepted_post_id = p.id THEN 1 ELSE 0 END AS BIGINT) AS accepted, \
             CAST({} AS BIGINT) AS matched \
             FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id \
             WHERE p.tenant_id = {t} AND p.kind = 'answer' AND p.hidden = FALSE \
             AND NOT EXISTS (SELECT 1 FROM forum_posts q WHERE q.thread_id = t.id AND q.kind = 'question' AND q.hidden = TRUE) \
             AND ({}) \
             ORDER BY matched DESC, reuses DESC, votes DESC, p.created_at DESC LIMIT {limit}",
            score_terms.join(" + "),
            any.join(" OR ")
        );
        on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(|r| {
                    let verified = r.opt_int("verified_at")?.is_some();
                    let accepted = r.int("accepted")? > 0;
                    Ok(AnswerHit {
                        post_id: r.uuid("id")?,
                        thread_id: r.uuid("thread_id")?,
                        thread_title: r.text("title")?,
                        body: r.text("body")?,
                        confidence: forum::answer_confidence(verified, accepted),
                        reuse_count: r.int("reuses")?,
                        helpful_count: r.int("votes")?,
                        matched: r.int("matched")?,
                    })
                }).collect()
        })
    }
}

/// A visible forum answer as the search index stores it.
#[derive(Debug, Clone)]
pub struct AnswerForIndex {
    pub post: Post,
    pub thread_title: String,
    pub tags: Vec<String>,
    /// The author's language, for the analyser.
    pub language: Language,
}

impl Store {
    /// An answer to index, or None when it should not be found (not an
    /// answer, hidden, under a hidden question, or gone).
    pub async fn forum_answer_for_index(
        &self,
        tenant_id: Uuid,
        post_id: Uuid,
    ) -> Result<Option<AnswerForIndex>> {
        let post = match self.forum_post(tenant_id, post_id).await {
            Ok(p) => p,
            Err(StoreError::Domain(DomainError::NotFound(_))) => return Ok(None),
            Err(e) => return Err(e),
        };
        if post.kind != PostKind::Answer || post.hidden {
            return Ok(None);
        }
        let thread = self.thread_row(tenant_id, post.thread_id).await?;
        if thread.hidden {
            return Ok(None);
        }
        let language = match post.author_id {
            Some(a) => self.user(a).await.map(|u| u.locale).unwrap_or(Language::Fr),
            None => Language::Fr,
        };
        Ok(Some(AnswerForIndex {
            post,
            thread_title: thread.title,
            tags: thread.tags,
            language,
        }))
    }

    /// Visible answers of every tenant after `after` in id order, for a rebuild.
    pub async fn forum_answers_for_index(
        &self,
        after: Uuid,
        limit: i64,
    ) -> Result<(Vec<AnswerForIndex>, Option<Uuid>)> {
        let ids: Vec<(Uuid, Uuid)> = on_pool!(&self.read, p => {
            sqlx::query("SELECT id, tenant_id FROM forum_posts WHERE id > $1 AND kind = 'answer' ORDER BY id LIMIT $2")
                .bind(after).bind(limit).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("id")?, r.uuid("tenant_id")?))).collect::<Result<Vec<_>>>()?
        });
        let last = ids.last().map(|(id, _)| *id);
        let mut out = Vec::new();
        for (id, tenant) in ids {
            if let Some(a) = self.forum_answer_for_index(tenant, id).await? {
                out.push(a);
            }
        }
        Ok((out, last))
    }
}

fn forum_optional(value: &str, max: usize) -> Result<String, String> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        plateau_core::validate::text(value, max)
    }
}
