//! The knowledge base's persistence: products and offers, KCS articles with
//! every version kept, translations, FAQ entries, synonym rules, article links
//! to conversations, flags, the search log and its analytics, and the pages
//! the search indexer reads. Each change appends its event in the same
//! transaction; text search itself is tantivy's job, never SQL's.
//!
//! Counters that record reading rather than changing knowledge (views,
//! "helpful" votes, the search log) write no event: they would multiply the
//! log by the read rate and wake every live page for nothing a reader shows.

use std::collections::HashMap;

use plateau_core::event::kind;
use plateau_core::knowledge::{
    self, Article, ArticleContent, ArticleFlag, ArticleState, ArticleVersion, Audience, FaqEntry,
    FlagReason, FlagStatus, Product, ProductKind, SearchOutcome, SearchSurface, SynonymRules,
};
use plateau_core::model::Language;
use plateau_core::{validate, DomainError, Timestamp};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::backend::on_pool;
use crate::conversations::{Cursor, Page};
use crate::events::{insert_event, NewEvent};
use crate::row::{bind_args, Arg, Params, PortableRow};
use crate::{Backend, Result, Store, StoreError};

const PRODUCT_COLS: &str =
    "id, tenant_id, code, name, kind, attributes, parent_id, created_at, updated_at";
pub(crate) const ARTICLE_COLS: &str = "id, tenant_id, number, language, translation_group, state, audience, title, issue, environment, resolution, cause, version, created_by, updated_by, view_count, reuse_count, helpful_count, created_at, updated_at";
pub(crate) const VERSION_COLS: &str = "article_id, version, language, state, audience, title, issue, environment, resolution, cause, tags, product_ids, note, author_id, created_at";
const FAQ_COLS: &str = "id, tenant_id, language, question, answer, article_id, product_id, position, published, updated_by, created_at, updated_at";
const FLAG_COLS: &str = "id, tenant_id, article_id, reason, comment, status, created_by, created_at, resolved_by, resolved_at, resolution_note";

fn product(r: &impl PortableRow) -> Result<Product> {
    let attributes = serde_json::from_str(&r.text("attributes")?)
        .map_err(|e| StoreError::Corrupt(format!("attributes: {e}")))?;
    Ok(Product {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        kind: r.parse("kind")?,
        attributes,
        parent_id: r.opt_uuid("parent_id")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

/// An article row; tags and products live in their own tables and are filled after.
fn article(r: &impl PortableRow) -> Result<Article> {
    Ok(Article {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        number: r.int("number")?,
        translation_group: r.opt_uuid("translation_group")?,
        state: r.parse("state")?,
        audience: r.parse("audience")?,
        content: ArticleContent {
            title: r.text("title")?,
            issue: r.text("issue")?,
            environment: r.text("environment")?,
            resolution: r.text("resolution")?,
            cause: r.text("cause")?,
            tags: Vec::new(),
            product_ids: Vec::new(),
            language: r.parse("language")?,
        },
        version: r.int("version")?,
        created_by: r.opt_uuid("created_by")?,
        updated_by: r.opt_uuid("updated_by")?,
        view_count: r.int("view_count")?,
        reuse_count: r.int("reuse_count")?,
        helpful_count: r.int("helpful_count")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn json_list<T: serde::de::DeserializeOwned>(r: &impl PortableRow, col: &str) -> Result<Vec<T>> {
    serde_json::from_str(&r.text(col)?).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn version(r: &impl PortableRow) -> Result<ArticleVersion> {
    Ok(ArticleVersion {
        article_id: r.uuid("article_id")?,
        version: r.int("version")?,
        state: r.parse("state")?,
        audience: r.parse("audience")?,
        content: ArticleContent {
            title: r.text("title")?,
            issue: r.text("issue")?,
            environment: r.text("environment")?,
            resolution: r.text("resolution")?,
            cause: r.text("cause")?,
            tags: json_list(r, "tags")?,
            product_ids: json_list(r, "product_ids")?,
            language: r.parse("language")?,
        },
        note: r.text("note")?,
        author_id: r.opt_uuid("author_id")?,
        created_at: r.ts("created_at")?,
    })
}

fn faq(r: &impl PortableRow) -> Result<FaqEntry> {
    Ok(FaqEntry {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        language: r.parse("language")?,
        question: r.text("question")?,
        answer: r.text("answer")?,
        article_id: r.opt_uuid("article_id")?,
        product_id: r.opt_uuid("product_id")?,
        position: r.int("position")?,
        published: r.boolean("published")?,
        updated_by: r.opt_uuid("updated_by")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

fn flag(r: &impl PortableRow) -> Result<ArticleFlag> {
    Ok(ArticleFlag {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        article_id: r.uuid("article_id")?,
        reason: r.parse("reason")?,
        comment: r.text("comment")?,
        status: r.parse("status")?,
        created_by: r.opt_uuid("created_by")?,
        created_at: r.ts("created_at")?,
        resolved_by: r.opt_uuid("resolved_by")?,
        resolved_at: r.opt_int("resolved_at")?.map(Timestamp),
        resolution_note: r.text("resolution_note")?,
    })
}

/// What a short list of articles shows: enough to render a link.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleRef {
    pub id: Uuid,
    pub number: i64,
    pub title: String,
    pub language: Language,
    pub state: ArticleState,
    pub audience: Audience,
}

fn article_ref(r: &impl PortableRow, prefix: &str) -> Result<ArticleRef> {
    let c = |name: &str| format!("{prefix}{name}");
    Ok(ArticleRef {
        id: r.uuid(&c("id"))?,
        number: r.int(&c("number"))?,
        title: r.text(&c("title"))?,
        language: r.parse(&c("language"))?,
        state: r.parse(&c("state"))?,
        audience: r.parse(&c("audience"))?,
    })
}

/// A product to create, or the full new value of one to update.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub code: String,
    pub name: String,
    pub kind: ProductKind,
    /// Must be a JSON object.
    pub attributes: Value,
    pub parent_id: Option<Uuid>,
}

/// An article to create.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub content: ArticleContent,
    pub state: ArticleState,
    pub audience: Audience,
    /// Why it was written; kept with version 1.
    pub note: String,
}

/// The full new content of an article; the state changes on its own path.
#[derive(Debug, Clone)]
pub struct ArticleEdit {
    pub content: ArticleContent,
    pub audience: Audience,
    pub note: String,
}

/// Filters of an article list; an empty list means "any".
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub states: Vec<ArticleState>,
    /// The web layer passes the caller's readable audiences here.
    pub audiences: Vec<Audience>,
    pub language: Option<Language>,
    pub product_id: Option<Uuid>,
    pub tag: Option<String>,
}

/// A link between an article and a conversation it helped answer.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleLink {
    pub conversation_id: Uuid,
    pub article: ArticleRef,
    pub linked_by: Option<Uuid>,
    pub search_query_id: Option<Uuid>,
    pub created_at: Timestamp,
}

/// A FAQ entry to create, or the full new value of one to update.
#[derive(Debug, Clone)]
pub struct NewFaq {
    pub language: Language,
    pub question: String,
    pub answer: String,
    pub article_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    /// None puts a new entry last (and keeps an updated entry's place).
    pub position: Option<i64>,
    pub published: bool,
}

/// A tenant's synonym rules for one language, as stored (canonical text).
#[derive(Debug, Clone, Serialize)]
pub struct Synonyms {
    pub tenant_id: Uuid,
    pub language: Language,
    pub text: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: Timestamp,
}

impl Synonyms {
    /// The parsed rules; the text was validated when stored.
    pub fn rules(&self) -> Result<SynonymRules> {
        SynonymRules::parse(&self.text)
            .map_err(|e| StoreError::Corrupt(format!("synonym rules: {e:?}")))
    }
}

/// A search to log for analytics.
#[derive(Debug, Clone)]
pub struct NewSearch {
    pub user_id: Option<Uuid>,
    pub query: String,
    pub language: Option<Language>,
    pub surface: SearchSurface,
    pub result_count: i64,
    /// The article ids shown first, best first; only the first
    /// [`knowledge::LOGGED_RESULTS`] are kept.
    pub result_article_ids: Vec<Uuid>,
    /// Back-dates the entry; only tests and imports set it.
    pub at: Option<Timestamp>,
}

/// One query's numbers over an analytics window.
#[derive(Debug, Clone, Serialize)]
pub struct QueryStat {
    /// The normalised query text.
    pub query: String,
    pub searches: i64,
    /// Distinct people who searched it (anonymous searches not counted).
    pub users: i64,
    pub last_at: Timestamp,
}

/// "People who searched this linked that article": a synonym to consider
/// when the article was not among the first results.
#[derive(Debug, Clone, Serialize)]
pub struct SynonymSuggestion {
    pub query: String,
    pub article: ArticleRef,
    pub links: i64,
    pub users: i64,
    /// How many of those searches already showed the article in the first results.
    pub found_in_results: i64,
}

/// Conversations in a window, and those that reused knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LinkRate {
    pub conversations: i64,
    pub with_article: i64,
}

/// An article with the product codes the index facets on.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleForIndex {
    pub article: Article,
    pub product_codes: Vec<String>,
}

/// Validates a product's fields.
fn checked_product(new: &NewProduct) -> Result<NewProduct> {
    let mut v = plateau_core::error::Validator::new();
    let code = v.check("code", knowledge::product_code(&new.code));
    let name = v.check("name", validate::text(&new.name, validate::MAX_NAME));
    let attributes = v.check("attributes", knowledge::product_attributes(&new.attributes));
    v.finish()?;
    Ok(NewProduct {
        code: code.unwrap_or_default(),
        name: name.unwrap_or_default(),
        kind: new.kind,
        attributes: attributes.unwrap_or(Value::Null),
        parent_id: new.parent_id,
    })
}

fn checked_faq(new: &NewFaq) -> Result<NewFaq> {
    let mut v = plateau_core::error::Validator::new();
    let question = v.check(
        "question",
        validate::text(&new.question, knowledge::MAX_FAQ_QUESTION),
    );
    let answer = v.check(
        "answer",
        validate::text(&new.answer, knowledge::MAX_FAQ_ANSWER),
    );
    if let Some(p) = new.position {
        if !(0..=1_000_000_000).contains(&p) {
            v.push("position", "must be between 0 and 1000000000");
        }
    }
    v.finish()?;
    Ok(NewFaq {
        question: question.unwrap_or_default(),
        answer: answer.unwrap_or_default(),
        ..new.clone()
    })
}

/// (article id, tag) and (article id, product id) pairs of a page of articles.
type TagsAndProducts = (Vec<(Uuid, String)>, Vec<(Uuid, Uuid)>);

fn conflict(message: impl Into<String>) -> StoreError {
    DomainError::Conflict(message.into()).into()
}

/// True when the error is a unique-key conflict worth retrying (a number
/// taken by a concurrent creation on PostgreSQL).
fn is_conflict(e: &StoreError) -> bool {
    matches!(e, StoreError::Domain(DomainError::Conflict(_)))
}

/// The checked content and change note of an article to create; shared by
/// [`Store::create_article`] and the forum's promotion, which creates its
/// article inside its own transaction.
pub(crate) fn checked_new_article(new: &NewArticle) -> Result<(ArticleContent, String)> {
    let mut v = plateau_core::error::Validator::new();
    let content = match new.content.validated(new.state) {
        Ok(c) => Some(c),
        Err(DomainError::Invalid(errs)) => {
            for e in errs {
                v.push(&e.field, e.message);
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    let note = v.check("note", knowledge::change_note(&new.note));
    if new.state == ArticleState::Archived {
        v.push("state", "a new article cannot start archived");
    }
    v.finish()?;
    match (content, note) {
        (Some(content), Some(note)) => Ok((content, note)),
        _ => Err(StoreError::Corrupt(
            "validated article lost its content".into(),
        )),
    }
}

/// The row of a new article before its number is taken.
pub(crate) fn new_article_row(
    tenant_id: Uuid,
    content: &ArticleContent,
    new: &NewArticle,
    actor: Option<Uuid>,
) -> Article {
    let now = Timestamp::now();
    Article {
        id: Uuid::now_v7(),
        tenant_id,
        number: 0,
        translation_group: None,
        state: new.state,
        audience: new.audience,
        content: content.clone(),
        version: 1,
        created_by: actor,
        updated_by: actor,
        view_count: 0,
        reuse_count: 0,
        helpful_count: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Writes article `$a` (from [`new_article_row`]) as version 1 with its
/// tags, products and event on the open transaction `$tx`, taking the
/// tenant's next number; evaluates to that number.
macro_rules! insert_article_tx {
    ($tx:expr, $a:expr, $note:expr) => {{
        let a: &plateau_core::knowledge::Article = $a;
        let note: &str = $note;
        let c = &a.content;
        let tenant_id = a.tenant_id;
        let actor = a.created_by;
        let now = a.created_at;
        let number = sqlx::query(&format!("INSERT INTO articles ({}) VALUES ($1, $2, (SELECT COALESCE(MAX(number), 0) + 1 FROM articles WHERE tenant_id = $2), $3, NULL, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, 0, 0, 0, $12, $12) RETURNING number", $crate::knowledge::ARTICLE_COLS))
            .bind(a.id).bind(tenant_id).bind(c.language.as_str()).bind(a.state.as_str()).bind(a.audience.as_str())
            .bind(&c.title).bind(&c.issue).bind(&c.environment).bind(&c.resolution).bind(&c.cause)
            .bind(actor).bind(now.0)
            .fetch_one(&mut **$tx).await?
            .int("number")?;
        for t in &c.tags {
            sqlx::query("INSERT INTO article_tags (article_id, tag, tenant_id) VALUES ($1, $2, $3)")
                .bind(a.id).bind(t).bind(tenant_id).execute(&mut **$tx).await?;
        }
        for p in &c.product_ids {
            sqlx::query("INSERT INTO article_products (article_id, product_id, tenant_id) VALUES ($1, $2, $3)")
                .bind(a.id).bind(*p).bind(tenant_id).execute(&mut **$tx).await?;
        }
        sqlx::query(&format!("INSERT INTO article_versions (tenant_id, {}) VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)", $crate::knowledge::VERSION_COLS))
            .bind(tenant_id).bind(a.id).bind(c.language.as_str()).bind(a.state.as_str()).bind(a.audience.as_str())
            .bind(&c.title).bind(&c.issue).bind(&c.environment).bind(&c.resolution).bind(&c.cause)
            .bind(serde_json::json!(c.tags).to_string()).bind(serde_json::json!(c.product_ids).to_string()).bind(note).bind(actor).bind(now.0)
            .execute(&mut **$tx).await?;
        $crate::events::insert_event!(&mut **$tx, &$crate::events::NewEvent {
            tenant_id: Some(tenant_id), kind: plateau_core::event::kind::ARTICLE_CREATED, subject_id: Some(a.id), actor_id: actor,
            payload: serde_json::json!({"number": number, "version": 1, "state": a.state, "audience": a.audience,
                            "language": c.language, "title": c.title}),
        });
        number
    }};
}
pub(crate) use insert_article_tx;

impl Store {
    /// The ids among `ids` that are not rows of `table` in this tenant. Rows
    /// of these tables are never deleted nor moved between tenants, so a
    /// check before the writing transaction stays true inside it.
    async fn missing_in_tenant(
        &self,
        table: &'static str,
        tenant_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let ph: Vec<String> = ids.iter().map(|id| params.push(Arg::Uuid(*id))).collect();
        let sql = format!(
            "SELECT id FROM {table} WHERE tenant_id = {t} AND id IN ({})",
            ph.join(", ")
        );
        let found: Vec<Uuid> = on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(|r| r.uuid("id")).collect::<Result<Vec<_>>>()?
        });
        Ok(ids
            .iter()
            .filter(|id| !found.contains(id))
            .copied()
            .collect())
    }

    async fn require_in_tenant(
        &self,
        table: &'static str,
        field: &str,
        tenant_id: Uuid,
        id: Option<Uuid>,
        what: &str,
    ) -> Result<()> {
        if let Some(id) = id {
            if !self
                .missing_in_tenant(table, tenant_id, &[id])
                .await?
                .is_empty()
            {
                return Err(
                    DomainError::field(field, format!("is not {what} of this tenant")).into(),
                );
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Products

    pub async fn create_product(
        &self,
        tenant_id: Uuid,
        new: &NewProduct,
        actor: Option<Uuid>,
    ) -> Result<Product> {
        let new = checked_product(new)?;
        self.require_in_tenant(
            "products",
            "parent_id",
            tenant_id,
            new.parent_id,
            "a product",
        )
        .await?;
        let now = Timestamp::now();
        let p = Product {
            id: Uuid::now_v7(),
            tenant_id,
            code: new.code,
            name: new.name,
            kind: new.kind,
            attributes: new.attributes,
            parent_id: new.parent_id,
            created_at: now,
            updated_at: now,
        };
        let taken = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(&format!("INSERT INTO products ({PRODUCT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (tenant_id, code) DO NOTHING"))
                .bind(p.id).bind(tenant_id).bind(&p.code).bind(&p.name).bind(p.kind.as_str())
                .bind(p.attributes.to_string()).bind(p.parent_id).bind(now.0)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::PRODUCT_CREATED, subject_id: Some(p.id), actor_id: actor,
                    payload: json!({"code": p.code, "kind": p.kind, "parent_id": p.parent_id}),
                });
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 0
        });
        if taken {
            return Err(DomainError::field(
                "code",
                format!("'{}' is already a product code", p.code),
            )
            .into());
        }
        self.notify_committed();
        Ok(p)
    }

    /// Replaces a product's fields. A product cannot become its own ancestor.
    pub async fn update_product(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        new: &NewProduct,
        actor: Option<Uuid>,
    ) -> Result<Product> {
        let new = checked_product(new)?;
        let before = self.product(tenant_id, id).await?;
        if let Some(parent) = new.parent_id {
            self.require_in_tenant(
                "products",
                "parent_id",
                tenant_id,
                Some(parent),
                "a product",
            )
            .await?;
            // Walk up from the new parent; meeting `id` would close a cycle.
            let mut cur = Some(parent);
            let mut steps = 0;
            while let Some(c) = cur {
                if c == id {
                    return Err(DomainError::field(
                        "parent_id",
                        "would make the product its own ancestor",
                    )
                    .into());
                }
                steps += 1;
                if steps > 100 {
                    break;
                }
                cur = self.product(tenant_id, c).await?.parent_id;
            }
        }
        if new.code != before.code {
            if let Ok(other) = self.product_by_code(tenant_id, &new.code).await {
                if other.id != id {
                    return Err(DomainError::field(
                        "code",
                        format!("'{}' is already a product code", new.code),
                    )
                    .into());
                }
            }
        }
        let now = Timestamp::now().max(Timestamp(before.updated_at.0 + 1));
        let after = Product {
            code: new.code,
            name: new.name,
            kind: new.kind,
            attributes: new.attributes,
            parent_id: new.parent_id,
            updated_at: now,
            ..before.clone()
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE products SET code = $1, name = $2, kind = $3, attributes = $4, parent_id = $5, updated_at = $6 WHERE tenant_id = $7 AND id = $8")
                .bind(&after.code).bind(&after.name).bind(after.kind.as_str()).bind(after.attributes.to_string())
                .bind(after.parent_id).bind(now.0).bind(tenant_id).bind(id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::PRODUCT_UPDATED, subject_id: Some(id), actor_id: actor,
                payload: json!({"code": after.code, "from_code": before.code, "kind": after.kind, "parent_id": after.parent_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(after)
    }

    pub async fn product(&self, tenant_id: Uuid, id: Uuid) -> Result<Product> {
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {PRODUCT_COLS} FROM products WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .as_ref().map(product).transpose()?
        });
        found.ok_or(DomainError::NotFound("product").into())
    }

    pub async fn product_by_code(&self, tenant_id: Uuid, code: &str) -> Result<Product> {
        let code = code.trim().to_lowercase();
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {PRODUCT_COLS} FROM products WHERE tenant_id = $1 AND code = $2"))
                .bind(tenant_id).bind(&code).fetch_optional(p).await?
                .as_ref().map(product).transpose()?
        });
        found.ok_or(DomainError::NotFound("product").into())
    }

    /// The whole catalogue, by code: a tenant's catalogue is hundreds of
    /// entries, not millions.
    pub async fn products(&self, tenant_id: Uuid) -> Result<Vec<Product>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {PRODUCT_COLS} FROM products WHERE tenant_id = $1 ORDER BY code"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(product).collect()
        })
    }

    // -----------------------------------------------------------------------
    // Articles

    async fn check_article_products(
        &self,
        tenant_id: Uuid,
        content: &ArticleContent,
    ) -> Result<()> {
        let missing = self
            .missing_in_tenant("products", tenant_id, &content.product_ids)
            .await?;
        if let Some(m) = missing.first() {
            return Err(DomainError::field(
                "product_ids",
                format!("{m} is not a product of this tenant"),
            )
            .into());
        }
        Ok(())
    }

    /// Creates an article as version 1. Its number is the tenant's next,
    /// taken inside the transaction, so numbers have no gaps on either
    /// backend (articles are written far too rarely for the lock to matter);
    /// two concurrent creations on PostgreSQL collide on the unique number,
    /// and the loser retries (each round lets at least one through).
    pub async fn create_article(
        &self,
        tenant_id: Uuid,
        new: &NewArticle,
        actor: Option<Uuid>,
    ) -> Result<Article> {
        let (content, note) = checked_new_article(new)?;
        self.check_article_products(tenant_id, &content).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .insert_article(tenant_id, &content, new, &note, actor)
                .await
            {
                Err(e) if is_conflict(&e) && attempt < 20 && self.backend == Backend::Postgres => {
                    continue
                }
                other => return other,
            }
        }
    }

    async fn insert_article(
        &self,
        tenant_id: Uuid,
        content: &ArticleContent,
        new: &NewArticle,
        note: &str,
        actor: Option<Uuid>,
    ) -> Result<Article> {
        let mut a = new_article_row(tenant_id, content, new, actor);
        let number = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let number = insert_article_tx!(&mut tx, &a, note);
            tx.commit().await?;
            number
        });
        self.notify_committed();
        a.number = number;
        Ok(a)
    }

    /// Saves new content as the next version. `expected_version` is the
    /// version the editor started from: if someone saved in between, the edit
    /// fails with a conflict instead of silently replacing their work. An
    /// edit that changes nothing writes nothing.
    pub async fn update_article(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        expected_version: i64,
        edit: &ArticleEdit,
        actor: Option<Uuid>,
    ) -> Result<Article> {
        let before = self.article(tenant_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(format!(
                "the article was changed meanwhile: version {} is current, not {expected_version}",
                before.version
            )));
        }
        let mut v = plateau_core::error::Validator::new();
        let content = match edit.content.validated(before.state) {
            Ok(c) => Some(c),
            Err(DomainError::Invalid(errs)) => {
                for e in errs {
                    v.push(&e.field, e.message);
                }
                None
            }
            Err(e) => return Err(e.into()),
        };
        let note = v.check("note", knowledge::change_note(&edit.note));
        v.finish()?;
        let (Some(content), Some(note)) = (content, note) else {
            return Err(StoreError::Corrupt(
                "validated article lost its content".into(),
            ));
        };
        self.check_article_products(tenant_id, &content).await?;
        if content.language != before.content.language {
            if let Some(group) = before.translation_group {
                let taken = self
                    .translations(tenant_id, id)
                    .await?
                    .iter()
                    .any(|t| t.content.language == content.language);
                if taken {
                    return Err(DomainError::field(
                        "language",
                        format!(
                            "translation group {group} already has an article in {}",
                            content.language
                        ),
                    )
                    .into());
                }
            }
        }
        let same_sets = |a: &[String], b: &[String]| {
            let (mut a, mut b) = (a.to_vec(), b.to_vec());
            a.sort();
            b.sort();
            a == b
        };
        let mut changed: Vec<&str> = Vec::new();
        let (o, n) = (&before.content, &content);
        for (field, differs) in [
            ("title", o.title != n.title),
            ("issue", o.issue != n.issue),
            ("environment", o.environment != n.environment),
            ("resolution", o.resolution != n.resolution),
            ("cause", o.cause != n.cause),
            ("tags", !same_sets(&o.tags, &n.tags)),
            (
                "product_ids",
                !same_sets(
                    &o.product_ids
                        .iter()
                        .map(Uuid::to_string)
                        .collect::<Vec<_>>(),
                    &n.product_ids
                        .iter()
                        .map(Uuid::to_string)
                        .collect::<Vec<_>>(),
                ),
            ),
            ("language", o.language != n.language),
            ("audience", before.audience != edit.audience),
        ] {
            if differs {
                changed.push(field);
            }
        }
        if changed.is_empty() {
            return Ok(before);
        }
        let now = Timestamp::now().max(Timestamp(before.updated_at.0 + 1));
        let next = before.version + 1;
        let after = Article {
            content,
            audience: edit.audience,
            version: next,
            updated_by: actor,
            updated_at: now,
            ..before.clone()
        };
        let c = &after.content;
        let ok = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE articles SET language = $1, audience = $2, title = $3, issue = $4, environment = $5, resolution = $6, cause = $7, version = $8, updated_by = $9, updated_at = $10 WHERE tenant_id = $11 AND id = $12 AND version = $13")
                .bind(c.language.as_str()).bind(after.audience.as_str()).bind(&c.title).bind(&c.issue)
                .bind(&c.environment).bind(&c.resolution).bind(&c.cause).bind(next).bind(actor).bind(now.0)
                .bind(tenant_id).bind(id).bind(expected_version)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM article_tags WHERE article_id = $1").bind(id).execute(&mut *tx).await?;
                for t in &c.tags {
                    sqlx::query("INSERT INTO article_tags (article_id, tag, tenant_id) VALUES ($1, $2, $3)")
                        .bind(id).bind(t).bind(tenant_id).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM article_products WHERE article_id = $1").bind(id).execute(&mut *tx).await?;
                for p in &c.product_ids {
                    sqlx::query("INSERT INTO article_products (article_id, product_id, tenant_id) VALUES ($1, $2, $3)")
                        .bind(id).bind(*p).bind(tenant_id).execute(&mut *tx).await?;
                }
                sqlx::query(&format!("INSERT INTO article_versions (tenant_id, {VERSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
                    .bind(tenant_id).bind(id).bind(next).bind(c.language.as_str()).bind(after.state.as_str()).bind(after.audience.as_str())
                    .bind(&c.title).bind(&c.issue).bind(&c.environment).bind(&c.resolution).bind(&c.cause)
                    .bind(json!(c.tags).to_string()).bind(json!(c.product_ids).to_string()).bind(&note).bind(actor).bind(now.0)
                    .execute(&mut *tx).await?;
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::ARTICLE_UPDATED, subject_id: Some(id), actor_id: actor,
                    payload: json!({"version": next, "changed": changed, "note": note, "audience": after.audience,
                                    "language": c.language}),
                });
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        if !ok {
            return Err(conflict(
                "the article was changed meanwhile; reload it and apply your edit again",
            ));
        }
        self.notify_committed();
        Ok(after)
    }

    /// Moves an article along the KCS lifecycle. The caller names the version
    /// they reviewed, so nobody validates content they have not seen. The
    /// content must satisfy the new state (a validated article has an issue
    /// and a resolution). State is not content: no new version is written;
    /// the event log keeps the history of states.
    pub async fn change_article_state(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        expected_version: i64,
        to: ArticleState,
        actor: Option<Uuid>,
    ) -> Result<Article> {
        let before = self.article(tenant_id, id).await?;
        if before.version != expected_version {
            return Err(conflict(format!(
                "the article was changed meanwhile: version {} is current, not {expected_version}",
                before.version
            )));
        }
        before.state.check_transition(to)?;
        before.content.validated(to)?;
        let now = Timestamp::now().max(Timestamp(before.updated_at.0 + 1));
        let ok = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE articles SET state = $1, updated_by = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND version = $6 AND state = $7")
                .bind(to.as_str()).bind(actor).bind(now.0).bind(tenant_id).bind(id)
                .bind(expected_version).bind(before.state.as_str())
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::ARTICLE_STATE_CHANGED, subject_id: Some(id), actor_id: actor,
                    payload: json!({"from": before.state, "to": to, "version": before.version, "audience": before.audience}),
                });
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        if !ok {
            return Err(conflict("the article was changed meanwhile; reload it"));
        }
        self.notify_committed();
        Ok(Article {
            state: to,
            updated_by: actor,
            updated_at: now,
            ..before
        })
    }

    /// Fills tags and product ids of articles read from their rows.
    async fn fill_article_lists(&self, items: &mut [Article]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut params = Params::default();
        let ph: Vec<String> = items.iter().map(|a| params.push(Arg::Uuid(a.id))).collect();
        let list = ph.join(", ");
        let tags_sql = format!(
            "SELECT article_id, tag FROM article_tags WHERE article_id IN ({list}) ORDER BY tag"
        );
        let products_sql = format!("SELECT article_id, product_id FROM article_products WHERE article_id IN ({list}) ORDER BY product_id");
        let (tags, products): TagsAndProducts = on_pool!(&self.read, p => {
            let tags = bind_args!(sqlx::query(&tags_sql), &params.args).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("article_id")?, r.text("tag")?))).collect::<Result<Vec<_>>>()?;
            let products = bind_args!(sqlx::query(&products_sql), &params.args).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("article_id")?, r.uuid("product_id")?))).collect::<Result<Vec<_>>>()?;
            (tags, products)
        });
        let mut t: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (id, tag) in tags {
            t.entry(id).or_default().push(tag);
        }
        let mut pr: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (id, p) in products {
            pr.entry(id).or_default().push(p);
        }
        for a in items {
            a.content.tags = t.remove(&a.id).unwrap_or_default();
            a.content.product_ids = pr.remove(&a.id).unwrap_or_default();
        }
        Ok(())
    }

    async fn articles_where(&self, sql: &str, params: &Params) -> Result<Vec<Article>> {
        let mut items = on_pool!(&self.read, p => {
            bind_args!(sqlx::query(sql), &params.args).fetch_all(p).await?
                .iter().map(article).collect::<Result<Vec<_>>>()?
        });
        self.fill_article_lists(&mut items).await?;
        Ok(items)
    }

    pub async fn article(&self, tenant_id: Uuid, id: Uuid) -> Result<Article> {
        let mut params = Params::default();
        let sql = format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE tenant_id = {} AND id = {}",
            params.push(Arg::Uuid(tenant_id)),
            params.push(Arg::Uuid(id))
        );
        self.articles_where(&sql, &params)
            .await?
            .pop()
            .ok_or(DomainError::NotFound("article").into())
    }

    pub async fn article_by_number(&self, tenant_id: Uuid, number: i64) -> Result<Article> {
        let mut params = Params::default();
        let sql = format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE tenant_id = {} AND number = {}",
            params.push(Arg::Uuid(tenant_id)),
            params.push(Arg::Int(number))
        );
        self.articles_where(&sql, &params)
            .await?
            .pop()
            .ok_or(DomainError::NotFound("article").into())
    }

    /// Articles by id in the order asked (search hits), skipping ids that
    /// are not this tenant's: the index may lag behind the database.
    pub async fn articles_by_ids(&self, tenant_id: Uuid, ids: &[Uuid]) -> Result<Vec<Article>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = &ids[..ids.len().min(500)];
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let ph: Vec<String> = ids.iter().map(|id| params.push(Arg::Uuid(*id))).collect();
        let sql = format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE tenant_id = {t} AND id IN ({})",
            ph.join(", ")
        );
        let mut found: HashMap<Uuid, Article> = self
            .articles_where(&sql, &params)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// One page of articles, most recently changed first.
    pub async fn articles(
        &self,
        tenant_id: Uuid,
        f: &ArticleFilter,
        cursor: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Article>> {
        let limit = limit.clamp(1, 200);
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {ARTICLE_COLS} FROM articles a WHERE tenant_id = {}",
            params.push(Arg::Uuid(tenant_id))
        );
        let mut any_of = |sql: &mut String, col: &str, values: Vec<String>| {
            if !values.is_empty() {
                let ph: Vec<String> = values
                    .into_iter()
                    .map(|v| params.push(Arg::Text(v)))
                    .collect();
                sql.push_str(&format!(" AND {col} IN ({})", ph.join(", ")));
            }
        };
        any_of(
            &mut sql,
            "state",
            f.states.iter().map(|s| s.as_str().to_string()).collect(),
        );
        any_of(
            &mut sql,
            "audience",
            f.audiences.iter().map(|s| s.as_str().to_string()).collect(),
        );
        any_of(
            &mut sql,
            "language",
            f.language.iter().map(|s| s.as_str().to_string()).collect(),
        );
        if let Some(pid) = f.product_id {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM article_products ap WHERE ap.article_id = a.id AND ap.product_id = {})",
                params.push(Arg::Uuid(pid))
            ));
        }
        if let Some(tag) = &f.tag {
            let tag = validate::tag(tag).map_err(|m| DomainError::field("tag", m))?;
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = {})",
                params.push(Arg::Text(tag))
            ));
        }
        if let Some(cur) = cursor {
            let a = params.push(Arg::Int(cur.updated_at));
            let b = params.push(Arg::Uuid(cur.id));
            sql.push_str(&format!(" AND (updated_at, id) < ({a}, {b})"));
        }
        sql.push_str(&format!(
            " ORDER BY updated_at DESC, id DESC LIMIT {}",
            params.push(Arg::Int(limit + 1))
        ));
        let mut items = self.articles_where(&sql, &params).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| {
                Cursor {
                    updated_at: a.updated_at.0,
                    id: a.id,
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&self, tenant_id: Uuid, id: Uuid) -> Result<Vec<ArticleVersion>> {
        let out: Vec<ArticleVersion> = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {VERSION_COLS} FROM article_versions WHERE tenant_id = $1 AND article_id = $2 ORDER BY version DESC"))
                .bind(tenant_id).bind(id).fetch_all(p).await?
                .iter().map(version).collect::<Result<Vec<_>>>()?
        });
        if out.is_empty() {
            return Err(DomainError::NotFound("article").into());
        }
        Ok(out)
    }

    pub async fn article_version(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        number: i64,
    ) -> Result<ArticleVersion> {
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {VERSION_COLS} FROM article_versions WHERE tenant_id = $1 AND article_id = $2 AND version = $3"))
                .bind(tenant_id).bind(id).bind(number).fetch_optional(p).await?
                .as_ref().map(version).transpose()?
        });
        found.ok_or(DomainError::NotFound("article version").into())
    }

    /// The other articles of this one's translation group.
    pub async fn translations(&self, tenant_id: Uuid, id: Uuid) -> Result<Vec<Article>> {
        let mut params = Params::default();
        let t = params.push(Arg::Uuid(tenant_id));
        let i = params.push(Arg::Uuid(id));
        let sql = format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE tenant_id = {t} AND id <> {i} AND translation_group IS NOT NULL AND translation_group = (SELECT translation_group FROM articles WHERE tenant_id = {t} AND id = {i}) ORDER BY language"
        );
        self.articles_where(&sql, &params).await
    }

    /// Declares `other` a translation of `id`. They join `id`'s group (or
    /// `other`'s, or a new one); a group holds at most one article per
    /// language, and two existing groups are never merged silently.
    pub async fn link_translation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        other: Uuid,
        actor: Option<Uuid>,
    ) -> Result<Uuid> {
        if id == other {
            return Err(DomainError::field(
                "translation_id",
                "an article is not its own translation",
            )
            .into());
        }
        let a = self.article(tenant_id, id).await?;
        let b = self.article(tenant_id, other).await?;
        let group = match (a.translation_group, b.translation_group) {
            (Some(g), Some(h)) if g == h => return Ok(g),
            (Some(_), Some(_)) => {
                return Err(DomainError::field(
                    "translation_id",
                    "both articles already have translations; unlink one first",
                )
                .into())
            }
            (Some(g), None) | (None, Some(g)) => g,
            (None, None) => Uuid::now_v7(),
        };
        let mut members: Vec<Article> = vec![a.clone(), b.clone()];
        for m in [&a, &b] {
            if m.translation_group.is_some() {
                for t in self.translations(tenant_id, m.id).await? {
                    if !members.iter().any(|x| x.id == t.id) {
                        members.push(t);
                    }
                }
            }
        }
        for (i, m) in members.iter().enumerate() {
            if members[..i]
                .iter()
                .any(|x| x.content.language == m.content.language)
            {
                return Err(DomainError::field(
                    "translation_id",
                    format!(
                        "the group would hold two articles in {}",
                        m.content.language
                    ),
                )
                .into());
            }
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE articles SET translation_group = $1 WHERE tenant_id = $2 AND id IN ($3, $4)")
                .bind(group).bind(tenant_id).bind(id).bind(other)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::ARTICLE_TRANSLATION_LINKED, subject_id: Some(id), actor_id: actor,
                payload: json!({"translation_id": other, "translation_group": group, "audience": a.audience}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(group)
    }

    /// Takes an article out of its translation group; a group left with one
    /// article is dissolved.
    pub async fn unlink_translation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: Option<Uuid>,
    ) -> Result<()> {
        let a = self.article(tenant_id, id).await?;
        let Some(group) = a.translation_group else {
            return Ok(());
        };
        let rest = self.translations(tenant_id, id).await?;
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE articles SET translation_group = NULL WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).execute(&mut *tx).await?;
            if rest.len() == 1 {
                sqlx::query("UPDATE articles SET translation_group = NULL WHERE tenant_id = $1 AND translation_group = $2")
                    .bind(tenant_id).bind(group).execute(&mut *tx).await?;
            }
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::ARTICLE_TRANSLATION_UNLINKED, subject_id: Some(id), actor_id: actor,
                payload: json!({"translation_group": group, "audience": a.audience}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Counts a reader opening the article, and the search that led there.
    pub async fn record_article_view(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        search_query_id: Option<Uuid>,
    ) -> Result<()> {
        // The outcome first: it checks both ids, so a bad one counts nothing.
        if let Some(q) = search_query_id {
            self.record_search_outcome(tenant_id, q, SearchOutcome::Opened, id)
                .await?;
        }
        let n = on_pool!(&self.write, p => {
            sqlx::query("UPDATE articles SET view_count = view_count + 1 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(DomainError::NotFound("article").into());
        }
        Ok(())
    }

    /// Counts a reader's "this helped" on the help centre.
    pub async fn record_article_helpful(&self, tenant_id: Uuid, id: Uuid) -> Result<()> {
        let n = on_pool!(&self.write, p => {
            sqlx::query("UPDATE articles SET helpful_count = helpful_count + 1 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(DomainError::NotFound("article").into());
        }
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Links to conversations

    /// Links an article to a conversation it helped answer. Idempotent: a
    /// pair is linked (and counted in the article's reuse) once. Returns
    /// whether this call made the link. The search that found the article,
    /// when given, is credited with a `linked` outcome.
    pub async fn link_article(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        article_id: Uuid,
        search_query_id: Option<Uuid>,
        actor: Option<Uuid>,
    ) -> Result<bool> {
        let mut v = plateau_core::error::Validator::new();
        if !self
            .missing_in_tenant("conversations", tenant_id, &[conversation_id])
            .await?
            .is_empty()
        {
            v.push("conversation_id", "is not a conversation of this tenant");
        }
        if !self
            .missing_in_tenant("search_queries", tenant_id, search_query_id.as_slice())
            .await?
            .is_empty()
        {
            v.push("search_query_id", "is not a search of this tenant");
        }
        v.finish()?;
        let a = self.article(tenant_id, article_id).await?;
        if a.state == ArticleState::Archived {
            // KCS: archived knowledge is kept for the record, not reused.
            return Err(DomainError::field(
                "article_id",
                "is archived; restore it before linking it",
            )
            .into());
        }
        let now = Timestamp::now();
        let made = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("INSERT INTO article_links (conversation_id, article_id, tenant_id, linked_by, search_query_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, article_id) DO NOTHING")
                .bind(conversation_id).bind(article_id).bind(tenant_id).bind(actor).bind(search_query_id).bind(now.0)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                let reuse = sqlx::query("UPDATE articles SET reuse_count = reuse_count + 1 WHERE tenant_id = $1 AND id = $2 RETURNING reuse_count")
                    .bind(tenant_id).bind(article_id).fetch_one(&mut *tx).await?.int("reuse_count")?;
                if let Some(q) = search_query_id {
                    sqlx::query("INSERT INTO search_outcomes (query_id, kind, article_id, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (query_id, kind, article_id) DO NOTHING")
                        .bind(q).bind(SearchOutcome::Linked.as_str()).bind(article_id).bind(tenant_id).bind(now.0)
                        .execute(&mut *tx).await?;
                }
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::ARTICLE_LINKED, subject_id: Some(article_id), actor_id: actor,
                    payload: json!({"conversation_id": conversation_id, "search_query_id": search_query_id,
                                    "reuse_count": reuse, "audience": a.audience}),
                });
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 1
        });
        if made {
            self.notify_committed();
        }
        Ok(made)
    }

    /// Removes a link (a mistaken click); the reuse count follows, so it
    /// always equals the number of linked conversations. Returns whether a
    /// link was removed.
    pub async fn unlink_article(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        article_id: Uuid,
        actor: Option<Uuid>,
    ) -> Result<bool> {
        let a = self.article(tenant_id, article_id).await?;
        let removed = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("DELETE FROM article_links WHERE tenant_id = $1 AND conversation_id = $2 AND article_id = $3")
                .bind(tenant_id).bind(conversation_id).bind(article_id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                let reuse = sqlx::query("UPDATE articles SET reuse_count = reuse_count - 1 WHERE tenant_id = $1 AND id = $2 RETURNING reuse_count")
                    .bind(tenant_id).bind(article_id).fetch_one(&mut *tx).await?.int("reuse_count")?;
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::ARTICLE_UNLINKED, subject_id: Some(article_id), actor_id: actor,
                    payload: json!({"conversation_id": conversation_id, "reuse_count": reuse, "audience": a.audience}),
                });
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 1
        });
        if removed {
            self.notify_committed();
        }
        Ok(removed)
    }

    const LINK_SELECT: &'static str = "SELECT l.conversation_id, l.linked_by, l.search_query_id, l.created_at, a.id AS a_id, a.number AS a_number, a.title AS a_title, a.language AS a_language, a.state AS a_state, a.audience AS a_audience FROM article_links l JOIN articles a ON a.id = l.article_id";

    fn link(r: &impl PortableRow) -> Result<ArticleLink> {
        Ok(ArticleLink {
            conversation_id: r.uuid("conversation_id")?,
            article: article_ref(r, "a_")?,
            linked_by: r.opt_uuid("linked_by")?,
            search_query_id: r.opt_uuid("search_query_id")?,
            created_at: r.ts("created_at")?,
        })
    }

    /// Articles linked to a conversation, in the order they were linked.
    pub async fn conversation_articles(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<ArticleLink>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{} WHERE l.tenant_id = $1 AND l.conversation_id = $2 ORDER BY l.created_at, a.id", Self::LINK_SELECT))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(Self::link).collect()
        })
    }

    /// Conversations an article was linked to, newest first.
    pub async fn article_conversations(
        &self,
        tenant_id: Uuid,
        article_id: Uuid,
        limit: i64,
    ) -> Result<Vec<ArticleLink>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("{} WHERE l.tenant_id = $1 AND l.article_id = $2 ORDER BY l.created_at DESC, l.conversation_id DESC LIMIT $3", Self::LINK_SELECT))
                .bind(tenant_id).bind(article_id).bind(limit.clamp(1, 500)).fetch_all(p).await?
                .iter().map(Self::link).collect()
        })
    }

    // -----------------------------------------------------------------------
    // Flags

    pub async fn flag_article(
        &self,
        tenant_id: Uuid,
        article_id: Uuid,
        reason: FlagReason,
        comment: &str,
        actor: Option<Uuid>,
    ) -> Result<ArticleFlag> {
        let comment =
            knowledge::flag_comment(comment).map_err(|m| DomainError::field("comment", m))?;
        let a = self.article(tenant_id, article_id).await?;
        let f = ArticleFlag {
            id: Uuid::now_v7(),
            tenant_id,
            article_id,
            reason,
            comment,
            status: FlagStatus::Open,
            created_by: actor,
            created_at: Timestamp::now(),
            resolved_by: None,
            resolved_at: None,
            resolution_note: String::new(),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(&format!("INSERT INTO article_flags ({FLAG_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, '')"))
                .bind(f.id).bind(tenant_id).bind(article_id).bind(reason.as_str()).bind(&f.comment)
                .bind(f.status.as_str()).bind(actor).bind(f.created_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::ARTICLE_FLAGGED, subject_id: Some(article_id), actor_id: actor,
                payload: json!({"flag_id": f.id, "reason": reason, "audience": a.audience}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(f)
    }

    /// Flags, oldest first: open ones by default (the knowledge managers'
    /// queue), optionally of one article.
    pub async fn flags(
        &self,
        tenant_id: Uuid,
        status: Option<FlagStatus>,
        article_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<ArticleFlag>> {
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {FLAG_COLS} FROM article_flags WHERE tenant_id = {}",
            params.push(Arg::Uuid(tenant_id))
        );
        if let Some(s) = status {
            sql.push_str(&format!(
                " AND status = {}",
                params.push(Arg::Text(s.as_str().into()))
            ));
        }
        if let Some(a) = article_id {
            sql.push_str(&format!(" AND article_id = {}", params.push(Arg::Uuid(a))));
        }
        sql.push_str(&format!(
            " ORDER BY created_at, id LIMIT {}",
            params.push(Arg::Int(limit.clamp(1, 500)))
        ));
        on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(flag).collect()
        })
    }

    /// Closes an open flag as fixed or dismissed.
    pub async fn resolve_flag(
        &self,
        tenant_id: Uuid,
        flag_id: Uuid,
        resolution: FlagStatus,
        note: &str,
        actor: Option<Uuid>,
    ) -> Result<ArticleFlag> {
        let mut v = plateau_core::error::Validator::new();
        if resolution == FlagStatus::Open {
            v.push("status", "a flag is resolved as fixed or dismissed");
        }
        let note = v.check("note", knowledge::flag_comment(note));
        v.finish()?;
        let note = note.unwrap_or_default();
        let before = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {FLAG_COLS} FROM article_flags WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(flag_id).fetch_optional(p).await?
                .as_ref().map(flag).transpose()?
        })
        .ok_or(DomainError::NotFound("flag"))?;
        let audience = self.article(tenant_id, before.article_id).await?.audience;
        let now = Timestamp::now();
        let ok = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE article_flags SET status = $1, resolved_by = $2, resolved_at = $3, resolution_note = $4 WHERE tenant_id = $5 AND id = $6 AND status = 'open'")
                .bind(resolution.as_str()).bind(actor).bind(now.0).bind(&note).bind(tenant_id).bind(flag_id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::FLAG_RESOLVED, subject_id: Some(before.article_id), actor_id: actor,
                    payload: json!({"flag_id": flag_id, "status": resolution, "audience": audience}),
                });
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        if !ok {
            return Err(conflict("the flag is already resolved"));
        }
        self.notify_committed();
        Ok(ArticleFlag {
            status: resolution,
            resolved_by: actor,
            resolved_at: Some(now),
            resolution_note: note,
            ..before
        })
    }

    // -----------------------------------------------------------------------
    // FAQ

    async fn check_faq_links(&self, tenant_id: Uuid, new: &NewFaq) -> Result<()> {
        let mut v = plateau_core::error::Validator::new();
        if !self
            .missing_in_tenant("articles", tenant_id, new.article_id.as_slice())
            .await?
            .is_empty()
        {
            v.push("article_id", "is not an article of this tenant");
        }
        if !self
            .missing_in_tenant("products", tenant_id, new.product_id.as_slice())
            .await?
            .is_empty()
        {
            v.push("product_id", "is not a product of this tenant");
        }
        v.finish().map_err(Into::into)
    }

    pub async fn create_faq(
        &self,
        tenant_id: Uuid,
        new: &NewFaq,
        actor: Option<Uuid>,
    ) -> Result<FaqEntry> {
        let new = checked_faq(new)?;
        self.check_faq_links(tenant_id, &new).await?;
        let now = Timestamp::now();
        let mut e = FaqEntry {
            id: Uuid::now_v7(),
            tenant_id,
            language: new.language,
            question: new.question,
            answer: new.answer,
            article_id: new.article_id,
            product_id: new.product_id,
            position: new.position.unwrap_or(-1),
            published: new.published,
            updated_by: actor,
            created_at: now,
            updated_at: now,
        };
        e.position = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            // A new entry without a position goes last in its language.
            let position = sqlx::query(&format!("INSERT INTO faq_entries ({FAQ_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 >= 0 THEN $8 ELSE (SELECT COALESCE(MAX(position), -1) + 1 FROM faq_entries WHERE tenant_id = $2 AND language = $3) END, $9, $10, $11, $11) RETURNING position"))
                .bind(e.id).bind(tenant_id).bind(e.language.as_str()).bind(&e.question).bind(&e.answer)
                .bind(e.article_id).bind(e.product_id).bind(e.position).bind(e.published).bind(actor).bind(now.0)
                .fetch_one(&mut *tx).await?.int("position")?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FAQ_CREATED, subject_id: Some(e.id), actor_id: actor,
                payload: json!({"language": e.language, "position": position, "published": e.published}),
            });
            tx.commit().await?;
            position
        });
        self.notify_committed();
        Ok(e)
    }

    pub async fn update_faq(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        new: &NewFaq,
        actor: Option<Uuid>,
    ) -> Result<FaqEntry> {
        let new = checked_faq(new)?;
        self.check_faq_links(tenant_id, &new).await?;
        let before = self.faq_entry(tenant_id, id).await?;
        let now = Timestamp::now().max(Timestamp(before.updated_at.0 + 1));
        let after = FaqEntry {
            language: new.language,
            question: new.question,
            answer: new.answer,
            article_id: new.article_id,
            product_id: new.product_id,
            position: new.position.unwrap_or(before.position),
            published: new.published,
            updated_by: actor,
            updated_at: now,
            ..before.clone()
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE faq_entries SET language = $1, question = $2, answer = $3, article_id = $4, product_id = $5, position = $6, published = $7, updated_by = $8, updated_at = $9 WHERE tenant_id = $10 AND id = $11")
                .bind(after.language.as_str()).bind(&after.question).bind(&after.answer).bind(after.article_id)
                .bind(after.product_id).bind(after.position).bind(after.published).bind(actor).bind(now.0)
                .bind(tenant_id).bind(id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FAQ_UPDATED, subject_id: Some(id), actor_id: actor,
                payload: json!({"language": after.language, "position": after.position, "published": after.published,
                                "was_published": before.published}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(after)
    }

    pub async fn delete_faq(&self, tenant_id: Uuid, id: Uuid, actor: Option<Uuid>) -> Result<()> {
        let before = self.faq_entry(tenant_id, id).await?;
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM faq_entries WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).execute(&mut *tx).await?;
            // The question goes into the log so the audit trail keeps what was removed.
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::FAQ_DELETED, subject_id: Some(id), actor_id: actor,
                payload: json!({"language": before.language, "question": before.question, "was_published": before.published}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    pub async fn faq_entry(&self, tenant_id: Uuid, id: Uuid) -> Result<FaqEntry> {
        let found = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {FAQ_COLS} FROM faq_entries WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .as_ref().map(faq).transpose()?
        });
        found.ok_or(DomainError::NotFound("FAQ entry").into())
    }

    /// Every entry of a tenant (published or not), for editing: by language, then position.
    pub async fn faq_entries(
        &self,
        tenant_id: Uuid,
        language: Option<Language>,
    ) -> Result<Vec<FaqEntry>> {
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {FAQ_COLS} FROM faq_entries WHERE tenant_id = {}",
            params.push(Arg::Uuid(tenant_id))
        );
        if let Some(l) = language {
            sql.push_str(&format!(
                " AND language = {}",
                params.push(Arg::Text(l.as_str().into()))
            ));
        }
        sql.push_str(" ORDER BY language, position, id");
        on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(faq).collect()
        })
    }

    /// The published feed in one language, in order: what the IVR reads.
    pub async fn published_faq(
        &self,
        tenant_id: Uuid,
        language: Language,
    ) -> Result<Vec<FaqEntry>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {FAQ_COLS} FROM faq_entries WHERE tenant_id = $1 AND language = $2 AND published = $3 ORDER BY position, id"))
                .bind(tenant_id).bind(language.as_str()).bind(true).fetch_all(p).await?
                .iter().map(faq).collect()
        })
    }

    // -----------------------------------------------------------------------
    // Synonyms

    fn synonyms_row(r: &impl PortableRow) -> Result<Synonyms> {
        Ok(Synonyms {
            tenant_id: r.uuid("tenant_id")?,
            language: r.parse("language")?,
            text: r.text("rules")?,
            updated_by: r.opt_uuid("updated_by")?,
            updated_at: r.ts("updated_at")?,
        })
    }

    pub async fn synonyms(&self, tenant_id: Uuid, language: Language) -> Result<Option<Synonyms>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id, language, rules, updated_by, updated_at FROM synonym_sets WHERE tenant_id = $1 AND language = $2")
                .bind(tenant_id).bind(language.as_str()).fetch_optional(p).await?
                .as_ref().map(Self::synonyms_row).transpose()
        })
    }

    /// Every tenant's rules: what the search index loads at start-up.
    pub async fn all_synonyms(&self) -> Result<Vec<Synonyms>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tenant_id, language, rules, updated_by, updated_at FROM synonym_sets ORDER BY tenant_id, language")
                .fetch_all(p).await?
                .iter().map(Self::synonyms_row).collect()
        })
    }

    /// Replaces a tenant's rules for a language. The text is validated
    /// (every bad line reported) and stored in its canonical form.
    pub async fn put_synonyms(
        &self,
        tenant_id: Uuid,
        language: Language,
        text: &str,
        actor: Option<Uuid>,
    ) -> Result<Synonyms> {
        let rules = SynonymRules::parse(text)?;
        let s = Synonyms {
            tenant_id,
            language,
            text: rules.to_text(),
            updated_by: actor,
            updated_at: Timestamp::now(),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO synonym_sets (tenant_id, language, rules, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, language) DO UPDATE SET rules = excluded.rules, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(tenant_id).bind(language.as_str()).bind(&s.text).bind(actor).bind(s.updated_at.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::SYNONYMS_UPDATED, subject_id: None, actor_id: actor,
                payload: json!({"language": language, "rules": rules.rules.len()}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(s)
    }

    // -----------------------------------------------------------------------
    // Search log and analytics

    /// Logs one search and returns its id, which the caller hands back with
    /// an outcome (article opened or linked).
    pub async fn record_search(&self, tenant_id: Uuid, s: &NewSearch) -> Result<Uuid> {
        let normalized = knowledge::normalize_query(&s.query);
        if normalized.is_empty() {
            return Err(DomainError::field("query", "an empty search is not logged").into());
        }
        let query: String = s
            .query
            .trim()
            .chars()
            .take(knowledge::MAX_LOGGED_QUERY)
            .collect();
        let id = Uuid::now_v7();
        let at = s.at.unwrap_or_else(Timestamp::now);
        let mut results: Vec<Uuid> = Vec::new();
        for r in &s.result_article_ids {
            if results.len() == knowledge::LOGGED_RESULTS {
                break;
            }
            if !results.contains(r) {
                results.push(*r);
            }
        }
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO search_queries (id, tenant_id, user_id, query, normalized, language, surface, result_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(id).bind(tenant_id).bind(s.user_id).bind(&query).bind(&normalized)
                .bind(s.language.map(|l| l.as_str())).bind(s.surface.as_str()).bind(s.result_count.max(0)).bind(at.0)
                .execute(&mut *tx).await?;
            for (rank, article_id) in results.iter().enumerate() {
                sqlx::query("INSERT INTO search_results (query_id, rank, article_id, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(rank as i64 + 1).bind(*article_id).bind(tenant_id).bind(at.0)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Records what followed a search. Idempotent per (search, outcome, article).
    pub async fn record_search_outcome(
        &self,
        tenant_id: Uuid,
        query_id: Uuid,
        outcome: SearchOutcome,
        article_id: Uuid,
    ) -> Result<()> {
        let mut v = plateau_core::error::Validator::new();
        if !self
            .missing_in_tenant("search_queries", tenant_id, &[query_id])
            .await?
            .is_empty()
        {
            v.push("search_query_id", "is not a search of this tenant");
        }
        if !self
            .missing_in_tenant("articles", tenant_id, &[article_id])
            .await?
            .is_empty()
        {
            v.push("article_id", "is not an article of this tenant");
        }
        v.finish()?;
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO search_outcomes (query_id, kind, article_id, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (query_id, kind, article_id) DO NOTHING")
                .bind(query_id).bind(outcome.as_str()).bind(article_id).bind(tenant_id).bind(Timestamp::now().0)
                .execute(p).await?;
        });
        Ok(())
    }

    async fn query_stats(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
        extra: &str,
        limit: i64,
    ) -> Result<Vec<QueryStat>> {
        let sql = format!(
            "SELECT q.normalized, COUNT(*) AS searches, COUNT(DISTINCT q.user_id) AS users, MAX(q.created_at) AS last_at FROM search_queries q WHERE q.tenant_id = $1 AND q.created_at >= $2 AND q.created_at < $3{extra} GROUP BY q.normalized ORDER BY searches DESC, q.normalized LIMIT $4"
        );
        on_pool!(&self.read, p => {
            sqlx::query(&sql).bind(tenant_id).bind(since.0).bind(until.0).bind(limit.clamp(1, 1000))
                .fetch_all(p).await?
                .iter().map(|r| Ok(QueryStat {
                    query: r.text("normalized")?,
                    searches: r.int("searches")?,
                    users: r.int("users")?,
                    last_at: r.ts("last_at")?,
                })).collect()
        })
    }

    /// The most frequent queries in [since, until).
    pub async fn top_queries(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<QueryStat>> {
        self.query_stats(tenant_id, since, until, "", limit).await
    }

    /// Queries that found nothing: the articles to write next.
    pub async fn zero_result_queries(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<QueryStat>> {
        self.query_stats(tenant_id, since, until, " AND q.result_count = 0", limit)
            .await
    }

    /// Queries that found something, after which no article was opened or
    /// linked: results that did not look like answers.
    pub async fn queries_without_outcome(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<QueryStat>> {
        self.query_stats(
            tenant_id,
            since,
            until,
            " AND q.result_count > 0 AND NOT EXISTS (SELECT 1 FROM search_outcomes o WHERE o.query_id = q.id)",
            limit,
        )
        .await
    }

    /// KCS link rate over conversations created in [since, until): how many
    /// there were, and how many have at least one linked article.
    pub async fn link_rate(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<LinkRate> {
        on_pool!(&self.read, p => {
            let r = sqlx::query("SELECT COUNT(*) AS conversations, \
                COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM article_links l WHERE l.conversation_id = c.id) THEN 1 ELSE 0 END), 0) AS linked \
                FROM conversations c WHERE c.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3")
                .bind(tenant_id).bind(since.0).bind(until.0).fetch_one(p).await?;
            Ok(LinkRate { conversations: r.int("conversations")?, with_article: r.int("linked")? })
        })
    }

    /// Articles (not archived) that no logged search showed among its first
    /// results since `since`: invisible knowledge, or knowledge nobody needs.
    pub async fn never_found_articles(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<ArticleRef>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT a.id, a.number, a.title, a.language, a.state, a.audience FROM articles a WHERE a.tenant_id = $1 AND a.state <> 'archived' AND NOT EXISTS (SELECT 1 FROM search_results r WHERE r.tenant_id = $1 AND r.article_id = a.id AND r.created_at >= $2) ORDER BY a.number LIMIT $3")
                .bind(tenant_id).bind(since.0).bind(limit.clamp(1, 1000)).fetch_all(p).await?
                .iter().map(|r| article_ref(r, "")).collect()
        })
    }

    /// Pairs (query, article) where a search was followed by linking that
    /// article, at least `min_links` times in [since, until). A pair whose
    /// article rarely appeared in the results means the customers' words are
    /// missing from the article: a synonym to add.
    pub async fn synonym_suggestions(
        &self,
        tenant_id: Uuid,
        since: Timestamp,
        until: Timestamp,
        min_links: i64,
        limit: i64,
    ) -> Result<Vec<SynonymSuggestion>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT q.normalized, COUNT(*) AS links, COUNT(DISTINCT q.user_id) AS users, \
                SUM(CASE WHEN EXISTS (SELECT 1 FROM search_results r WHERE r.query_id = q.id AND r.article_id = o.article_id) THEN 1 ELSE 0 END) AS found, \
                a.id, a.number, a.title, a.language, a.state, a.audience \
                FROM search_outcomes o JOIN search_queries q ON q.id = o.query_id JOIN articles a ON a.id = o.article_id \
                WHERE o.tenant_id = $1 AND o.kind = 'linked' AND o.created_at >= $2 AND o.created_at < $3 \
                GROUP BY q.normalized, a.id, a.number, a.title, a.language, a.state, a.audience \
                HAVING COUNT(*) >= $4 ORDER BY links DESC, q.normalized, a.number LIMIT $5")
                .bind(tenant_id).bind(since.0).bind(until.0).bind(min_links.max(1)).bind(limit.clamp(1, 1000))
                .fetch_all(p).await?
                .iter().map(|r| Ok(SynonymSuggestion {
                    query: r.text("normalized")?,
                    article: article_ref(r, "")?,
                    links: r.int("links")?,
                    users: r.int("users")?,
                    found_in_results: r.int("found")?,
                })).collect()
        })
    }

    /// Forgets searches older than `before` (with their results and
    /// outcomes); links keep their counts but lose the reference.
    pub async fn purge_search_log(&self, before: Timestamp) -> Result<u64> {
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let old = "SELECT id FROM search_queries WHERE created_at < $1";
            sqlx::query(&format!("UPDATE article_links SET search_query_id = NULL WHERE search_query_id IN ({old})"))
                .bind(before.0).execute(&mut *tx).await?;
            sqlx::query(&format!("DELETE FROM search_outcomes WHERE query_id IN ({old})")).bind(before.0).execute(&mut *tx).await?;
            sqlx::query(&format!("DELETE FROM search_results WHERE query_id IN ({old})")).bind(before.0).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM search_queries WHERE created_at < $1").bind(before.0).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }

    // -----------------------------------------------------------------------
    // What the search indexer reads

    async fn with_product_codes(&self, articles: Vec<Article>) -> Result<Vec<ArticleForIndex>> {
        let mut ids: Vec<Uuid> = articles
            .iter()
            .flat_map(|a| a.content.product_ids.iter().copied())
            .collect();
        ids.sort();
        ids.dedup();
        let mut codes: HashMap<Uuid, String> = HashMap::new();
        if !ids.is_empty() {
            let mut params = Params::default();
            let ph: Vec<String> = ids.iter().map(|id| params.push(Arg::Uuid(*id))).collect();
            let sql = format!(
                "SELECT id, code FROM products WHERE id IN ({})",
                ph.join(", ")
            );
            let rows: Vec<(Uuid, String)> = on_pool!(&self.read, p => {
                bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                    .iter().map(|r| Ok((r.uuid("id")?, r.text("code")?))).collect::<Result<Vec<_>>>()?
            });
            codes.extend(rows);
        }
        Ok(articles
            .into_iter()
            .map(|a| {
                let mut product_codes: Vec<String> = a
                    .content
                    .product_ids
                    .iter()
                    .filter_map(|p| codes.get(p).cloned())
                    .collect();
                product_codes.sort();
                ArticleForIndex {
                    article: a,
                    product_codes,
                }
            })
            .collect())
    }

    /// Articles in id order after `after`, of one tenant or of all: a full
    /// reindex pages through them with the last id it received.
    pub async fn articles_for_index(
        &self,
        tenant_id: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<ArticleForIndex>> {
        let mut params = Params::default();
        let mut sql = format!("SELECT {ARTICLE_COLS} FROM articles WHERE 1 = 1");
        if let Some(t) = tenant_id {
            sql.push_str(&format!(" AND tenant_id = {}", params.push(Arg::Uuid(t))));
        }
        if let Some(a) = after {
            sql.push_str(&format!(" AND id > {}", params.push(Arg::Uuid(a))));
        }
        sql.push_str(&format!(
            " ORDER BY id LIMIT {}",
            params.push(Arg::Int(limit.clamp(1, 10_000)))
        ));
        let items = self.articles_where(&sql, &params).await?;
        self.with_product_codes(items).await
    }

    /// The current indexable state of one article; None when it does not
    /// exist (the indexer then deletes it).
    pub async fn article_for_index(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ArticleForIndex>> {
        match self.article(tenant_id, id).await {
            Ok(a) => Ok(self.with_product_codes(vec![a]).await?.pop()),
            Err(StoreError::Domain(DomainError::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
