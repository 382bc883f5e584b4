//! Keeps the search index in step with the event log. The index stores, in
//! the same atomic commit as the documents, the id of the last event applied
//! (its checkpoint); after a crash or restart the indexer resumes from there,
//! and re-applying an event is harmless because every change is an upsert of
//! the subject's current state read from the store. `rebuild` is the
//! from-scratch path behind `plateau reindex`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use plateau_core::event::{kind, Event};
use plateau_core::model::{self, Direction};
use plateau_search::{DocKind, Index, SearchDocument};
use plateau_store::forum::AnswerForIndex;
use plateau_store::knowledge::ArticleForIndex;
use plateau_store::search_feed::{IndexedConversation, IndexedMessage};
use plateau_store::Store;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

/// Events read per pass; one index commit per pass.
const BATCH: i64 = 1000;
/// Commits cost an fsync; a burst of writes is folded into one commit this often.
const MIN_COMMIT_INTERVAL: Duration = Duration::from_millis(250);
/// Also look at the log this often, for writes by other server processes.
const POLL: Duration = Duration::from_secs(1);
/// After this long without a change the index writer is closed, giving back
/// its threads and memory; long enough for background merges to finish.
const RELEASE_AFTER: Duration = Duration::from_secs(60);

pub fn search_language(language: model::Language) -> plateau_search::Language {
    match language {
        model::Language::Fr => plateau_search::Language::Fr,
        _ => plateau_search::Language::En,
    }
}

fn conversation_doc(c: &IndexedConversation) -> SearchDocument {
    let conv = &c.conversation;
    let mut body = c.customer_name.clone();
    if let Some(reason) = &conv.reason {
        body.push_str(" · ");
        body.push_str(reason);
    }
    SearchDocument {
        body,
        tags: conv.tags.clone(),
        updated_at: conv.updated_at.0,
        ..SearchDocument::new(
            conv.tenant_id,
            conv.id,
            DocKind::Conversation,
            search_language(conv.language),
            &format!("#{} {}", conv.number, conv.subject),
        )
    }
}

fn message_doc(m: &IndexedMessage) -> SearchDocument {
    let msg = &m.message;
    SearchDocument {
        body: msg.body.clone(),
        parent_id: Some(msg.conversation_id),
        // Notes are tagged so that searches on behalf of a client viewer can
        // leave them out (`is_note`).
        tags: if msg.direction == Direction::Note {
            vec![NOTE_TAG.to_string()]
        } else {
            Vec::new()
        },
        updated_at: msg.created_at.0,
        ..SearchDocument::new(
            msg.tenant_id,
            msg.id,
            DocKind::Message,
            search_language(m.language),
            &format!("#{} {}", m.conversation_number, m.subject),
        )
    }
}

fn article_doc(a: &ArticleForIndex) -> SearchDocument {
    let art = &a.article;
    let c = &art.content;
    SearchDocument {
        issue: c.issue.clone(),
        environment: c.environment.clone(),
        resolution: c.resolution.clone(),
        cause: c.cause.clone(),
        // The index facets on one product; an article about several is
        // filed under the first, and found by text under the others.
        product: a.product_codes.first().cloned(),
        state: plateau_search::ArticleState::from_code(art.state.search_code()),
        audience: plateau_search::Audience::from_code(art.audience.as_str()),
        tags: c.tags.clone(),
        reuse_count: u64::try_from(art.reuse_count).unwrap_or(0),
        updated_at: art.updated_at.0,
        ..SearchDocument::new(
            art.tenant_id,
            art.id,
            DocKind::Article,
            search_language(c.language),
            &c.title,
        )
    }
}

fn answer_doc(a: &AnswerForIndex) -> SearchDocument {
    let p = &a.post;
    SearchDocument {
        body: p.body.clone(),
        parent_id: Some(p.thread_id),
        tags: a.tags.clone(),
        reuse_count: u64::try_from(p.reuse_count).unwrap_or(0),
        updated_at: p.updated_at.0,
        ..SearchDocument::new(
            p.tenant_id,
            p.id,
            DocKind::ForumAnswer,
            search_language(a.language),
            &a.thread_title,
        )
    }
}

/// The forum post an event is about: post events name it as their subject,
/// thread events (acceptance, promotion) in their payload.
fn forum_post_of(e: &Event) -> Option<Uuid> {
    match e.kind.as_str() {
        kind::FORUM_POST_CREATED
        | kind::FORUM_POST_EDITED
        | kind::FORUM_POST_HIDDEN
        | kind::FORUM_POST_RESTORED
        | kind::FORUM_POST_VERIFIED => e.subject_id,
        kind::FORUM_ANSWER_ACCEPTED | kind::FORUM_THREAD_PROMOTED => e
            .payload
            .get("post_id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok()),
        _ => None,
    }
}

/// Loads a tenant's synonym rules for one language into the index. One-way
/// rules ("rame => lent") are widened into groups: the engine expands
/// symmetrically, and a slightly wider recall beats ignoring the rule.
pub fn apply_synonyms(index: &Index, s: &plateau_store::knowledge::Synonyms) -> anyhow::Result<()> {
    let rules = s.rules()?;
    let mut groups = rules.equivalence_groups();
    for (from, to) in rules.one_way() {
        groups.push(from.into_iter().chain(to).collect());
    }
    index.set_synonyms(s.tenant_id, search_language(s.language), &groups)?;
    Ok(())
}

/// Loads every tenant's synonyms; the index keeps them in memory only.
pub async fn load_synonyms(store: &Store, index: &Index) -> anyhow::Result<()> {
    for s in store.all_synonyms().await? {
        apply_synonyms(index, &s)?;
    }
    Ok(())
}

/// The tag carried by internal notes in the index.
pub const NOTE_TAG: &str = "internal-note";

/// What one pass of events asks the index to refresh.
#[derive(Default)]
struct Touched {
    conversations: BTreeSet<(Uuid, Uuid)>,
    messages: BTreeSet<(Uuid, Uuid)>,
    articles: BTreeSet<(Uuid, Uuid)>,
    forum_answers: BTreeSet<(Uuid, Uuid)>,
    /// (tenant, language code)
    synonyms: BTreeSet<(Uuid, String)>,
}

impl Touched {
    fn note(&mut self, e: &Event) {
        if e.kind == kind::SYNONYMS_UPDATED {
            if let (Some(tenant), Some(lang)) = (
                e.tenant_id,
                e.payload.get("language").and_then(|l| l.as_str()),
            ) {
                self.synonyms.insert((tenant, lang.to_string()));
            }
            return;
        }
        if e.is_forum() {
            if let (Some(tenant), Some(post)) = (e.tenant_id, forum_post_of(e)) {
                self.forum_answers.insert((tenant, post));
            }
            return;
        }
        let (Some(tenant), Some(subject)) = (e.tenant_id, e.subject_id) else {
            return;
        };
        if e.kind.starts_with("article.") || e.kind == kind::FLAG_RESOLVED {
            self.articles.insert((tenant, subject));
            return;
        }
        let message_id = e
            .payload
            .get("message_id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok());
        match e.kind.as_str() {
            kind::CONVERSATION_CREATED | kind::MESSAGE_ADDED => {
                self.conversations.insert((tenant, subject));
                if let Some(m) = message_id {
                    self.messages.insert((tenant, m));
                }
            }
            kind::CONVERSATION_UPDATED => {
                self.conversations.insert((tenant, subject));
            }
            _ => {}
        }
    }
}

/// Applies every event after the index's checkpoint, committing after each
/// batch. Returns how many events were read.
pub async fn catch_up(store: &Store, index: &Index) -> anyhow::Result<usize> {
    let mut read = 0;
    loop {
        let after = index.checkpoint()?.unwrap_or(0);
        let events = store.events_after(after, BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(read);
        };
        read += events.len();
        let mut touched = Touched::default();
        for e in &events {
            touched.note(e);
        }
        for (tenant, id) in &touched.conversations {
            match store.indexable_conversation(*tenant, *id).await? {
                Some(c) => index.upsert(&conversation_doc(&c))?,
                None => index.delete(*tenant, *id)?,
            }
        }
        for (tenant, id) in &touched.articles {
            match store.article_for_index(*tenant, *id).await? {
                Some(a) => index.upsert(&article_doc(&a))?,
                None => index.delete(*tenant, *id)?,
            }
        }
        for (tenant, id) in &touched.forum_answers {
            match store.forum_answer_for_index(*tenant, *id).await? {
                Some(a) => index.upsert(&answer_doc(&a))?,
                None => index.delete(*tenant, *id)?,
            }
        }
        for (tenant, lang) in &touched.synonyms {
            let Ok(language) = lang.parse::<model::Language>() else {
                continue;
            };
            match store.synonyms(*tenant, language).await? {
                Some(s) => apply_synonyms(index, &s)?,
                None => index.set_synonyms(*tenant, search_language(language), &[])?,
            }
        }
        for (tenant, id) in &touched.messages {
            match store.indexable_message(*tenant, *id).await? {
                Some(m) => index.upsert(&message_doc(&m))?,
                None => index.delete(*tenant, *id)?,
            }
        }
        index.commit_with_checkpoint(last)?;
        if events.len() < BATCH as usize {
            return Ok(read);
        }
    }
}

/// Runs the indexer until `stopping` turns true: woken by every event this
/// process publishes, and by a poll for other processes' writes.
pub fn spawn(
    store: Store,
    index: Arc<Index>,
    events: &broadcast::Sender<Event>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut wake = events.subscribe();
    tokio::spawn(async move {
        if let Err(e) = load_synonyms(&store, &index).await {
            tracing::error!(error = ?e, "loading search synonyms failed; searching without them");
        }
        let mut last_change = std::time::Instant::now();
        let mut writer_open = true;
        loop {
            match catch_up(&store, &index).await {
                Ok(0) => {
                    if writer_open && last_change.elapsed() > RELEASE_AFTER {
                        writer_open = false;
                        if let Err(e) = index.release_writer() {
                            tracing::warn!(error = ?e, "closing the idle search index writer failed");
                        }
                    }
                }
                Ok(_) => {
                    last_change = std::time::Instant::now();
                    writer_open = true;
                }
                Err(e) => {
                    tracing::error!(error = ?e, "search indexer pass failed; retrying");
                    // Drop whatever the failed pass staged; the next pass redoes
                    // it from the checkpoint.
                    if let Err(e) = index.rollback() {
                        tracing::error!(error = ?e, "search index rollback failed");
                    }
                }
            }
            tokio::time::sleep(MIN_COMMIT_INTERVAL).await;
            tokio::select! {
                r = wake.recv() => {
                    if matches!(r, Err(broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
                _ = tokio::time::sleep(POLL) => {}
                _ = stopping.changed() => return,
            }
            // Everything queued meanwhile is covered by the next pass.
            while wake.try_recv().is_ok() {}
        }
    });
}

/// Progress of a rebuild: documents written so far and the total expected.
pub trait Progress {
    fn set_total(&self, total: u64);
    fn advance(&self, n: u64);
}

impl Progress for () {
    fn set_total(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// Rebuilds the index from the store: every article, forum answer, conversation and message, then a
/// catch-up on events that arrived meanwhile. The checkpoint is the last event
/// id read *before* paging, so a change made during the rebuild is applied
/// again afterwards rather than missed.
pub async fn rebuild(
    store: &Store,
    index: &Index,
    progress: &impl Progress,
) -> anyhow::Result<u64> {
    const PAGE: i64 = 2000;
    let start = store.settled_event_id().await?;
    let (conversations, messages) = store.indexable_counts().await?;
    let articles = store.count_articles().await?;
    progress.set_total((conversations + messages + articles) as u64);
    index.clear()?;
    let mut written = 0u64;
    let mut after = None;
    loop {
        let page = store.articles_for_index(None, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.article.id);
        for a in &page {
            index.insert(&article_doc(a))?;
        }
        written += page.len() as u64;
        progress.advance(page.len() as u64);
    }
    let mut after = Uuid::nil();
    loop {
        let page = store.indexable_conversations_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.conversation.id;
        for c in &page {
            index.insert(&conversation_doc(c))?;
        }
        written += page.len() as u64;
        progress.advance(page.len() as u64);
    }
    let mut after = Uuid::nil();
    loop {
        let (page, last) = store.forum_answers_for_index(after, PAGE).await?;
        let Some(last) = last else { break };
        after = last;
        for a in &page {
            index.insert(&answer_doc(a))?;
        }
        written += page.len() as u64;
        progress.advance(page.len() as u64);
    }
    let mut after = Uuid::nil();
    loop {
        let page = store.indexable_messages_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.message.id;
        for m in &page {
            index.insert(&message_doc(m))?;
        }
        written += page.len() as u64;
        progress.advance(page.len() as u64);
    }
    index.commit_with_checkpoint(start)?;
    load_synonyms(store, index).await?;
    catch_up(store, index).await?;
    Ok(written)
}
