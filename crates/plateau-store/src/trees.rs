//! Diagnostic trees: the editable draft, immutable published versions, the
//! sessions advisors walk inside conversations, and the media blobs their
//! screens show. The store keeps JSON text; plateau-core parses and checks it.

use std::collections::BTreeMap;

use plateau_core::event::kind;
use plateau_core::tree::analytics::Trail;
use plateau_core::tree::tally::Tally;
use plateau_core::{DomainError, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_events, NewEvent};
use crate::row::PortableRow;
use crate::{Result, Store, StoreError};

/// Largest media blob accepted for a tree screen.
pub const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct TreeRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    /// Conversation reasons that suggest this tree.
    pub reasons: Vec<String>,
    /// Product codes that suggest this tree.
    pub products: Vec<String>,
    pub draft: String,
    pub revision: i64,
    /// 0 while never published.
    pub published_version: i64,
    pub updated_at: Timestamp,
    pub updated_by: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct TreeVersion {
    pub tree_id: Uuid,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub published_by: Option<Uuid>,
    pub published_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct TreeSessionRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tree_id: Uuid,
    pub version: i64,
    pub conversation_id: Uuid,
    pub customer_id: Uuid,
    pub advisor_id: Option<Uuid>,
    /// Sub-tree id → the version fixed when the session started.
    pub subtrees: BTreeMap<String, i64>,
    pub path: String,
    pub trail: String,
    pub outcome: Option<String>,
    pub revision: i64,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// A later conversation of the same customer, for the unjustified-return rate.
#[derive(Debug, Clone)]
pub struct ReturnRow {
    pub customer_id: Uuid,
    pub reason: String,
    pub created_at: Timestamp,
    pub conversation_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct BlobMeta {
    pub key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: Timestamp,
}

/// Ids per `IN (…)` list: far below both backends' parameter limits.
const IN_CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn parse_list(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("tree list: {e}")))
}

fn decode_tree(r: &impl PortableRow) -> Result<TreeRecord> {
    Ok(TreeRecord {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        title: r.text("title")?,
        reasons: parse_list(&r.text("reasons")?)?,
        products: parse_list(&r.text("products")?)?,
        draft: r.text("draft")?,
        revision: r.int("revision")?,
        published_version: r.int("published_version")?,
        updated_at: r.ts("updated_at")?,
        updated_by: r.opt_uuid("updated_by")?,
    })
}

fn decode_session(r: &impl PortableRow) -> Result<TreeSessionRecord> {
    Ok(TreeSessionRecord {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        tree_id: r.uuid("tree_id")?,
        version: r.int("version")?,
        conversation_id: r.uuid("conversation_id")?,
        customer_id: r.uuid("customer_id")?,
        advisor_id: r.opt_uuid("advisor_id")?,
        subtrees: serde_json::from_str(&r.text("subtrees")?)
            .map_err(|e| StoreError::Corrupt(format!("session sub-trees: {e}")))?,
        path: r.text("path")?,
        trail: r.text("trail")?,
        outcome: r.opt_text("outcome")?,
        revision: r.int("revision")?,
        started_at: r.ts("started_at")?,
        updated_at: r.ts("updated_at")?,
        finished_at: r.opt_int("finished_at")?.map(Timestamp),
    })
}

const TREE_COLUMNS: &str = "id, tenant_id, title, reasons, products, draft, revision, published_version, updated_at, updated_by";
const SESSION_COLUMNS: &str = "id, tenant_id, tree_id, version, conversation_id, customer_id, advisor_id, subtrees, path, trail, outcome, revision, started_at, updated_at, finished_at";

fn stale(what: &str) -> StoreError {
    DomainError::Conflict(format!("the {what} was changed meanwhile; reload it")).into()
}

/// Reads a trail the caller built; one that does not decode is refused before
/// anything is written, since its counters could never be taken back.
fn decode_trail(text: &str) -> Result<Trail> {
    Trail::decode(text).map_err(|e| DomainError::field("trail", e.to_string()).into())
}

/// Counter rows per statement: 5 values a row stays far below both backends'
/// parameter limits.
const TALLY_CHUNK: usize = 1_000;

/// `INSERT … ON CONFLICT DO UPDATE` adding `n` to each counter, for `rows` rows.
fn add_tally_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| format!("({})", placeholders(i * 5 + 1, 5)))
        .collect();
    format!(
        "INSERT INTO tree_tallies (tree_id, version, tenant_id, key, n) VALUES {} \
         ON CONFLICT (tree_id, version, key) DO UPDATE SET n = tree_tallies.n + excluded.n",
        values.join(",")
    )
}

/// Adds counter changes inside the caller's transaction. Entries come sorted
/// by key ([`Tally::entries`]), so two transactions touching the same
/// counters take their row locks in one order and cannot deadlock.
macro_rules! add_tally {
    ($tx:expr, $tenant:expr, $tree:expr, $version:expr, $entries:expr) => {{
        let entries: &[(String, i64)] = $entries;
        for chunk in entries.chunks(TALLY_CHUNK) {
            let sql = add_tally_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for (key, n) in chunk {
                q = q
                    .bind($tree)
                    .bind($version)
                    .bind($tenant)
                    .bind(key)
                    .bind(*n);
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}

/// A walk recorded elsewhere, for [`Store::import_tree_sessions`].
#[derive(Debug, Clone)]
pub struct ImportedSession {
    pub conversation_id: Uuid,
    pub customer_id: Uuid,
    pub path: String,
    pub trail: String,
    pub outcome: Option<String>,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// A new draft tree's identity and suggestion keys.
pub struct NewTree<'a> {
    pub title: &'a str,
    pub reasons: &'a [String],
    pub products: &'a [String],
    pub draft: &'a str,
}

impl Store {
    pub async fn create_tree(
        &self,
        tenant_id: Uuid,
        new: &NewTree<'_>,
        actor: Option<Uuid>,
    ) -> Result<TreeRecord> {
        let id = Uuid::now_v7();
        let now = Timestamp::now();
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::TREE_CREATED,
            subject_id: Some(id),
            actor_id: actor,
            payload: json!({"title": new.title}),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO trees (id, tenant_id, title, reasons, products, draft, revision, published_version, created_by, created_at, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7, $8, $7, $8)")
                .bind(id).bind(tenant_id).bind(new.title).bind(list_json(new.reasons))
                .bind(list_json(new.products)).bind(new.draft).bind(actor).bind(now.0)
                .execute(&mut *tx).await?;
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(TreeRecord {
            id,
            tenant_id,
            title: new.title.to_string(),
            reasons: new.reasons.to_vec(),
            products: new.products.to_vec(),
            draft: new.draft.to_string(),
            revision: 1,
            published_version: 0,
            updated_at: now,
            updated_by: actor,
        })
    }

    /// Every tree of the tenant, by title.
    pub async fn trees(&self, tenant_id: Uuid) -> Result<Vec<TreeRecord>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {TREE_COLUMNS} FROM trees WHERE tenant_id = $1 ORDER BY title, id"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(decode_tree).collect()
        })
    }

    pub async fn tree(&self, tenant_id: Uuid, id: Uuid) -> Result<TreeRecord> {
        let row = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {TREE_COLUMNS} FROM trees WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| decode_tree(&r)).transpose()?
        });
        row.ok_or_else(|| DomainError::NotFound("tree").into())
    }

    /// Replaces the draft (and its title and suggestion keys) if nobody saved
    /// since `expected_revision`; returns the new revision.
    pub async fn save_tree_draft(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        expected_revision: i64,
        new: &NewTree<'_>,
        actor: Option<Uuid>,
    ) -> Result<i64> {
        let now = Timestamp::now();
        let next = expected_revision + 1;
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::TREE_DRAFT_SAVED,
            subject_id: Some(id),
            actor_id: actor,
            payload: json!({"revision": next, "title": new.title}),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE trees SET title = $1, reasons = $2, products = $3, draft = $4, revision = $5, updated_by = $6, updated_at = $7 \
                                 WHERE tenant_id = $8 AND id = $9 AND revision = $10")
                .bind(new.title).bind(list_json(new.reasons)).bind(list_json(new.products)).bind(new.draft)
                .bind(next).bind(actor).bind(now.0).bind(tenant_id).bind(id).bind(expected_revision)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                // Tell a missing tree from a stale edit.
                self.tree(tenant_id, id).await?;
                return Err(stale("tree"));
            }
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(next)
    }

    /// Freezes the draft at `expected_revision` as the next version. The
    /// caller has validated `body`, which must be that draft.
    pub async fn publish_tree(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        expected_revision: i64,
        title: &str,
        body: &str,
        actor: Option<Uuid>,
    ) -> Result<i64> {
        let now = Timestamp::now();
        let version = on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let current = sqlx::query("SELECT revision, published_version FROM trees WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).fetch_optional(&mut *tx).await?
                .map(|r| Ok::<_, StoreError>((r.int("revision")?, r.int("published_version")?)))
                .transpose()?;
            let Some((revision, published)) = current else {
                return Err(DomainError::NotFound("tree").into());
            };
            if revision != expected_revision {
                return Err(stale("tree"));
            }
            let version = published + 1;
            sqlx::query("INSERT INTO tree_versions (tree_id, version, tenant_id, title, body, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id).bind(version).bind(tenant_id).bind(title).bind(body).bind(actor).bind(now.0)
                .execute(&mut *tx).await?;
            let n = sqlx::query("UPDATE trees SET published_version = $1 WHERE tenant_id = $2 AND id = $3 AND revision = $4 AND published_version = $5")
                .bind(version).bind(tenant_id).bind(id).bind(revision).bind(published)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Err(stale("tree"));
            }
            let event = NewEvent {
                tenant_id: Some(tenant_id),
                kind: kind::TREE_PUBLISHED,
                subject_id: Some(id),
                actor_id: actor,
                payload: json!({"version": version, "title": title}),
            };
            // Counted from its first walk: reports read the counters.
            add_tally!(tx, tenant_id, id, version, &[("tally".to_string(), 1)]);
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
            version
        });
        self.notify_committed();
        Ok(version)
    }

    /// The published versions of a tree, newest first, without their bodies.
    pub async fn tree_versions(&self, tenant_id: Uuid, id: Uuid) -> Result<Vec<TreeVersion>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT tree_id, version, title, '' AS body, published_by, published_at FROM tree_versions WHERE tenant_id = $1 AND tree_id = $2 ORDER BY version DESC")
                .bind(tenant_id).bind(id).fetch_all(p).await?
                .iter().map(decode_version).collect()
        })
    }

    pub async fn tree_version(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        version: i64,
    ) -> Result<TreeVersion> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT tree_id, version, title, body, published_by, published_at FROM tree_versions WHERE tenant_id = $1 AND tree_id = $2 AND version = $3")
                .bind(tenant_id).bind(id).bind(version).fetch_optional(p).await?
                .map(|r| decode_version(&r)).transpose()?
        });
        row.ok_or_else(|| DomainError::NotFound("tree version").into())
    }

    /// The latest published version of every published tree, with its
    /// suggestion keys: what advisors may run and jumps may name. Without
    /// bodies (`body` is empty): every conversation page asks for this list,
    /// and a body is read, once, only for a tree that is run.
    pub async fn published_trees(&self, tenant_id: Uuid) -> Result<Vec<(TreeRecord, TreeVersion)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT t.id, t.tenant_id, t.title, t.reasons, t.products, '' AS draft, t.revision, t.published_version, t.updated_at, t.updated_by, \
                                v.tree_id, v.version, v.title AS version_title, '' AS body, v.published_by, v.published_at \
                         FROM trees t JOIN tree_versions v ON v.tree_id = t.id AND v.version = t.published_version \
                         WHERE t.tenant_id = $1 ORDER BY v.title, t.id")
                .bind(tenant_id).fetch_all(p).await?
                .iter()
                .map(|r| {
                    let t = decode_tree(r)?;
                    let v = TreeVersion {
                        tree_id: r.uuid("tree_id")?,
                        version: r.int("version")?,
                        title: r.text("version_title")?,
                        body: r.text("body")?,
                        published_by: r.opt_uuid("published_by")?,
                        published_at: r.ts("published_at")?,
                    };
                    Ok((t, v))
                })
                .collect()
        })
    }

    // ---- sessions ---------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn start_tree_session(
        &self,
        tenant_id: Uuid,
        version: &TreeVersion,
        conversation_id: Uuid,
        customer_id: Uuid,
        advisor_id: Option<Uuid>,
        subtrees: &BTreeMap<String, i64>,
        path: &str,
        trail: &str,
    ) -> Result<TreeSessionRecord> {
        let id = Uuid::now_v7();
        let now = Timestamp::now();
        let counters = Tally::of(&decode_trail(trail)?).entries();
        let subtrees_text = serde_json::to_string(subtrees)
            .map_err(|e| StoreError::Corrupt(format!("session sub-trees: {e}")))?;
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::TREE_SESSION_STARTED,
            subject_id: Some(conversation_id),
            actor_id: advisor_id,
            payload: json!({"session_id": id, "tree_id": version.tree_id, "version": version.version, "title": version.title}),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO tree_sessions (id, tenant_id, tree_id, version, conversation_id, customer_id, advisor_id, subtrees, path, trail, outcome, revision, started_at, updated_at, finished_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 1, $11, $11, NULL)")
                .bind(id).bind(tenant_id).bind(version.tree_id).bind(version.version).bind(conversation_id)
                .bind(customer_id).bind(advisor_id).bind(&subtrees_text).bind(path).bind(trail).bind(now.0)
                .execute(&mut *tx).await?;
            add_tally!(tx, tenant_id, version.tree_id, version.version, &counters);
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(TreeSessionRecord {
            id,
            tenant_id,
            tree_id: version.tree_id,
            version: version.version,
            conversation_id,
            customer_id,
            advisor_id,
            subtrees: subtrees.clone(),
            path: path.to_string(),
            trail: trail.to_string(),
            outcome: None,
            revision: 1,
            started_at: now,
            updated_at: now,
            finished_at: None,
        })
    }

    pub async fn tree_session(&self, tenant_id: Uuid, id: Uuid) -> Result<TreeSessionRecord> {
        let row = on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM tree_sessions WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| decode_session(&r)).transpose()?
        });
        row.ok_or_else(|| DomainError::NotFound("tree session").into())
    }

    /// The sessions run in a conversation, oldest first.
    pub async fn conversation_tree_sessions(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<TreeSessionRecord>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM tree_sessions WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY started_at, id"))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(decode_session).collect()
        })
    }

    /// Records one step of a session if nobody else moved it since
    /// `expected_revision` (two tabs on one conversation). `finished` carries
    /// the outcome and the timeline entry when the walk ended with this step.
    pub async fn record_tree_step(
        &self,
        session: &TreeSessionRecord,
        expected_revision: i64,
        path: &str,
        trail: &str,
        finished: Option<(&str, serde_json::Value)>,
    ) -> Result<i64> {
        // The new path was computed from `session` as loaded: if the caller
        // expects another revision, the step was made on a view that is not
        // this record's, and the counters' "before" would be wrong too.
        if expected_revision != session.revision {
            return Err(stale("session"));
        }
        let now = Timestamp::now();
        let next = expected_revision + 1;
        let counters =
            Tally::change(Some(&decode_trail(&session.trail)?), &decode_trail(trail)?).entries();
        let (outcome, finished_at) = match &finished {
            Some((o, _)) => (Some(o.to_string()), Some(now.0)),
            None => (None, None),
        };
        let events: Vec<NewEvent> = finished
            .map(|(_, payload)| NewEvent {
                tenant_id: Some(session.tenant_id),
                kind: kind::TREE_SESSION_FINISHED,
                subject_id: Some(session.conversation_id),
                actor_id: session.advisor_id,
                payload,
            })
            .into_iter()
            .collect();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE tree_sessions SET path = $1, trail = $2, outcome = $3, finished_at = $4, revision = $5, updated_at = $6 \
                                 WHERE tenant_id = $7 AND id = $8 AND revision = $9 AND finished_at IS NULL")
                .bind(path).bind(trail).bind(outcome).bind(finished_at).bind(next).bind(now.0)
                .bind(session.tenant_id).bind(session.id).bind(expected_revision)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Err(stale("session"));
            }
            add_tally!(tx, session.tenant_id, session.tree_id, session.version, &counters);
            insert_events!(&mut *tx, &events);
            tx.commit().await?;
        });
        if !events.is_empty() {
            self.notify_committed();
        }
        Ok(next)
    }

    /// Writes finished walks recorded elsewhere (a previous tool, the
    /// benchmarks) in one transaction per call, without timeline events: the
    /// conversations they belong to already tell their story.
    pub async fn import_tree_sessions(
        &self,
        tenant_id: Uuid,
        version: &TreeVersion,
        sessions: &[ImportedSession],
    ) -> Result<()> {
        // 15 values a row stays far below both backends' parameter limits.
        const CHUNK: usize = 1_000;
        let now = Timestamp::now().0;
        let mut tally = Tally::default();
        for s in sessions {
            tally.add(&decode_trail(&s.trail)?, 1);
        }
        let counters = tally.entries();
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            for chunk in sessions.chunks(CHUNK) {
                let mut sql = String::from("INSERT INTO tree_sessions (id, tenant_id, tree_id, version, conversation_id, customer_id, advisor_id, subtrees, path, trail, outcome, revision, started_at, updated_at, finished_at) VALUES ");
                for i in 0..chunk.len() {
                    let b = i * 11;
                    if i > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, NULL, '{{}}', ${}, ${}, ${}, 1, ${}, ${}, ${})",
                        b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 10, b + 11
                    ));
                }
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = q
                        .bind(Uuid::now_v7()).bind(tenant_id).bind(version.tree_id).bind(version.version)
                        .bind(s.conversation_id).bind(s.customer_id).bind(&s.path).bind(&s.trail)
                        .bind(s.outcome.as_deref()).bind(s.started_at.0)
                        .bind(s.finished_at.map(|t| t.0).or(if s.outcome.is_some() { Some(now) } else { None }));
                }
                q.execute(&mut *tx).await?;
            }
            add_tally!(tx, tenant_id, version.tree_id, version.version, &counters);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The counters of one published version, or None for a version
    /// published before they existed (its report reads the trails).
    pub async fn tree_tally(
        &self,
        tenant_id: Uuid,
        tree_id: Uuid,
        version: i64,
    ) -> Result<Option<Tally>> {
        let rows: Vec<(String, i64)> = on_pool!(&self.read, p => {
            sqlx::query("SELECT key, n FROM tree_tallies WHERE tenant_id = $1 AND tree_id = $2 AND version = $3")
                .bind(tenant_id).bind(tree_id).bind(version).fetch_all(p).await?
                .iter().map(|r| Ok((r.text("key")?, r.int("n")?))).collect::<Result<_>>()?
        });
        if !rows.iter().any(|(k, _)| k == "tally") {
            return Ok(None);
        }
        let counters = rows.into_iter().filter(|(k, _)| k != "tally");
        Tally::from_entries(counters)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// The conversation and end of every walk of one version that ended
    /// resolved: all the unjustified-return rate needs. Read from an index
    /// that covers it, so the rows (with their paths) are never visited.
    pub async fn resolved_tree_sessions(
        &self,
        tenant_id: Uuid,
        tree_id: Uuid,
        version: i64,
    ) -> Result<Vec<(Uuid, Timestamp)>> {
        use futures_util::TryStreamExt;
        let mut out = Vec::new();
        on_pool!(&self.read, p => {
            let mut rows = sqlx::query("SELECT conversation_id, finished_at FROM tree_sessions WHERE tree_id = $1 AND version = $2 AND outcome = 'resolved' AND tenant_id = $3 AND finished_at IS NOT NULL")
                .bind(tree_id).bind(version).bind(tenant_id).fetch(p);
            while let Some(r) = rows.try_next().await? {
                out.push((r.uuid("conversation_id")?, r.ts("finished_at")?));
            }
        });
        Ok(out)
    }

    /// The conversation and trail of every session of one published version,
    /// each passed through `decode` as rows arrive (rows it maps to None are
    /// dropped). This is the one read that grows with the number of sessions,
    /// so it carries two columns and no join, and the caller decodes while the
    /// database still reads. (Reading two halves of the key range at once on
    /// SQLite was measured slower: the cost is sqlx handing rows over, not
    /// SQLite reading them.)
    pub async fn tree_session_trails<T>(
        &self,
        tenant_id: Uuid,
        tree_id: Uuid,
        version: i64,
        decode: impl Fn(Uuid, &str) -> Option<T>,
    ) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        let mut out = Vec::new();
        on_pool!(&self.read, p => {
            let mut rows = sqlx::query("SELECT conversation_id, trail FROM tree_sessions WHERE tenant_id = $1 AND tree_id = $2 AND version = $3")
                .bind(tenant_id).bind(tree_id).bind(version).fetch(p);
            while let Some(r) = rows.try_next().await? {
                if let Some(t) = decode(r.uuid("conversation_id")?, &r.text("trail")?) {
                    out.push(t);
                }
            }
        });
        Ok(out)
    }

    /// Customer and reason of each conversation named (those sessions ran in).
    pub async fn conversation_reasons(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid, Option<String>)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let list = placeholders(2, chunk.len());
            let sql = format!("SELECT id, customer_id, reason FROM conversations WHERE tenant_id = $1 AND id IN ({list})");
            on_pool!(&self.read, p => {
                let mut q = sqlx::query(&sql).bind(tenant_id);
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(p).await? {
                    out.push((r.uuid("id")?, r.uuid("customer_id")?, r.opt_text("reason")?));
                }
            });
        }
        Ok(out)
    }

    /// Conversations with a reason created since `since` by these customers:
    /// the candidates for an unjustified return.
    pub async fn later_conversations(
        &self,
        tenant_id: Uuid,
        customers: &[Uuid],
        since: Timestamp,
    ) -> Result<Vec<ReturnRow>> {
        let mut out = Vec::new();
        for chunk in customers.chunks(IN_CHUNK) {
            let list = placeholders(3, chunk.len());
            let sql = format!(
                "SELECT customer_id, reason, created_at, id FROM conversations \
                 WHERE tenant_id = $1 AND created_at >= $2 AND reason IS NOT NULL AND reason <> '' AND customer_id IN ({list})"
            );
            on_pool!(&self.read, p => {
                let mut q = sqlx::query(&sql).bind(tenant_id).bind(since.0);
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(p).await? {
                    out.push(ReturnRow {
                        customer_id: r.uuid("customer_id")?,
                        reason: r.text("reason")?,
                        created_at: r.ts("created_at")?,
                        conversation_id: r.uuid("id")?,
                    });
                }
            });
        }
        Ok(out)
    }

    // ---- media blobs ------------------------------------------------------

    /// Stores a blob under `key`; storing the same key again replaces it.
    pub async fn put_blob(
        &self,
        tenant_id: Uuid,
        key: &str,
        content_type: &str,
        data: &[u8],
        actor: Option<Uuid>,
    ) -> Result<BlobMeta> {
        if data.len() > MAX_BLOB_BYTES {
            return Err(DomainError::field(
                "file",
                format!(
                    "the file is larger than {} MiB",
                    MAX_BLOB_BYTES / (1024 * 1024)
                ),
            )
            .into());
        }
        let now = Timestamp::now();
        let size = data.len() as i64;
        let event = NewEvent {
            tenant_id: Some(tenant_id),
            kind: kind::BLOB_STORED,
            subject_id: None,
            actor_id: actor,
            payload: json!({"key": key, "content_type": content_type, "size_bytes": size}),
        };
        on_pool!(&self.write, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO blobs (tenant_id, blob_key, content_type, size_bytes, data, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (tenant_id, blob_key) DO UPDATE SET content_type = $3, size_bytes = $4, data = $5, created_by = $6, created_at = $7")
                .bind(tenant_id).bind(key).bind(content_type).bind(size).bind(data).bind(actor).bind(now.0)
                .execute(&mut *tx).await?;
            insert_events!(&mut *tx, std::slice::from_ref(&event));
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(BlobMeta {
            key: key.to_string(),
            content_type: content_type.to_string(),
            size_bytes: size,
            created_at: now,
        })
    }

    pub async fn blob(&self, tenant_id: Uuid, key: &str) -> Result<(BlobMeta, Vec<u8>)> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT blob_key, content_type, size_bytes, created_at, data FROM blobs WHERE tenant_id = $1 AND blob_key = $2")
                .bind(tenant_id).bind(key).fetch_optional(p).await?
                .map(|r| {
                    use sqlx::Row;
                    let data: Vec<u8> = r.try_get("data")?;
                    Ok::<_, StoreError>((decode_blob(&r)?, data))
                })
                .transpose()?
        });
        row.ok_or_else(|| DomainError::NotFound("file").into())
    }

    pub async fn blobs(&self, tenant_id: Uuid) -> Result<Vec<BlobMeta>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT blob_key, content_type, size_bytes, created_at FROM blobs WHERE tenant_id = $1 ORDER BY blob_key")
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(decode_blob).collect()
        })
    }
}

fn decode_version(r: &impl PortableRow) -> Result<TreeVersion> {
    Ok(TreeVersion {
        tree_id: r.uuid("tree_id")?,
        version: r.int("version")?,
        title: r.text("title")?,
        body: r.text("body")?,
        published_by: r.opt_uuid("published_by")?,
        published_at: r.ts("published_at")?,
    })
}

fn decode_blob(r: &impl PortableRow) -> Result<BlobMeta> {
    Ok(BlobMeta {
        key: r.text("blob_key")?,
        content_type: r.text("content_type")?,
        size_bytes: r.int("size_bytes")?,
        created_at: r.ts("created_at")?,
    })
}
