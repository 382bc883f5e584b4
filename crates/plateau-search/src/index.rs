//! The [`Index`]: one tantivy index (in a directory or in RAM) holding every
//! tenant's documents, its single writer, a reader that follows commits, the
//! synonym registry, and the search entry point.

use std::path::Path;
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{Facet, Value};
use tantivy::{
    DocAddress, DocId, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader,
    TantivyDocument, Term,
};
use uuid::Uuid;

use crate::analysis::{self, Analyzers, ENGLISH, FRENCH};
use crate::document::{ArticleState, Audience, DocKind, Language, SearchDocument};
use crate::error::{Result, SearchError};
use crate::highlight::{escape_html, lead, Highlighter, SNIPPET_CHARS};
use crate::query::{self, FacetValue, Facets, Hit, SearchRequest, SearchResults};
use crate::schema::{self, Fields};
use crate::synonyms::{SynonymRegistry, SynonymSet};

/// Most hits one request may ask for.
pub const MAX_LIMIT: usize = 100;
/// Strength of the reuse boost: score × (1 + k·ln(1 + reuse_count)). Log-damped
/// so that an article linked 1,000 times does not bury a better match linked
/// 10 times (×1.55 against ×1.19).
const REUSE_BOOST: f32 = 0.08;

/// Writer settings.
#[derive(Debug, Clone, Copy)]
pub struct IndexOptions {
    /// Memory the writer may buffer before flushing a segment (at least
    /// 15 MB per thread, tantivy's floor).
    pub writer_memory_bytes: usize,
    /// Indexing threads.
    pub writer_threads: usize,
}

impl Default for IndexOptions {
    /// One thread and 50 MB: the live indexer applies small batches of events
    /// and must leave the CPU to the server.
    fn default() -> Self {
        IndexOptions {
            writer_memory_bytes: 50_000_000,
            writer_threads: 1,
        }
    }
}

/// What we store in tantivy's commit payload: the last event applied. It is
/// written in the same atomic commit as the documents, so the index and its
/// checkpoint cannot disagree after a crash.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    last_event_id: i64,
}

/// The search index. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Index {
    index: tantivy::Index,
    fields: Fields,
    analyzers: Analyzers,
    reader: IndexReader,
    /// Opened on the first change and released by [`Index::release_writer`]
    /// when idle: an open writer holds indexing threads and their memory.
    writer: RwLock<Option<IndexWriter>>,
    options: IndexOptions,
    checkpoint: Mutex<Option<i64>>,
    synonyms: RwLock<SynonymRegistry>,
}

impl Index {
    /// A new, empty index in memory (tests, benchmarks).
    pub fn create_in_ram() -> Result<Self> {
        let (schema, fields) = schema::build();
        Self::from_tantivy(
            tantivy::Index::create_in_ram(schema),
            fields,
            IndexOptions::default(),
        )
    }

    /// A new, empty index in memory with writer settings.
    pub fn create_in_ram_with(options: IndexOptions) -> Result<Self> {
        let (schema, fields) = schema::build();
        Self::from_tantivy(tantivy::Index::create_in_ram(schema), fields, options)
    }

    /// Opens the index in `dir`, creating the directory and the index if
    /// needed.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        Self::open_or_create_with(dir, IndexOptions::default())
    }

    /// [`Self::open_or_create`] with writer settings.
    pub fn open_or_create_with(dir: &Path, options: IndexOptions) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir)?;
        let index = tantivy::Index::open_or_create(directory, schema)?;
        Self::from_tantivy(index, fields, options)
    }

    fn from_tantivy(index: tantivy::Index, fields: Fields, options: IndexOptions) -> Result<Self> {
        // Analysers are code, not data: they must be registered on every open.
        index.tokenizers().register(FRENCH, analysis::french());
        index.tokenizers().register(ENGLISH, analysis::english());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let checkpoint = read_checkpoint(&index)?;
        Ok(Index {
            index,
            fields,
            analyzers: Analyzers::default(),
            reader,
            writer: RwLock::new(None),
            options,
            checkpoint: Mutex::new(checkpoint),
            synonyms: RwLock::new(SynonymRegistry::default()),
        })
    }

    /// Adds or replaces a document (by tenant and id). Visible after the next
    /// commit.
    pub fn upsert(&self, doc: &SearchDocument) -> Result<()> {
        let guard = self.writer_for_changes()?;
        let writer = guard.as_ref().ok_or(SearchError::Poisoned)?;
        // Within one commit, a delete only affects documents added before it,
        // so delete-then-add replaces the old version and keeps the new one.
        writer.delete_term(Term::from_field_text(
            self.fields.key,
            &schema::key(doc.tenant_id, doc.id),
        ));
        writer.add_document(schema::to_tantivy(&self.fields, doc))?;
        Ok(())
    }

    /// Adds a document without replacing anything: for rebuilding into an
    /// empty index (`plateau reindex`), where there is nothing to replace and
    /// skipping the delete saves time.
    pub fn insert(&self, doc: &SearchDocument) -> Result<()> {
        let guard = self.writer_for_changes()?;
        let writer = guard.as_ref().ok_or(SearchError::Poisoned)?;
        writer.add_document(schema::to_tantivy(&self.fields, doc))?;
        Ok(())
    }

    /// Removes a document. Visible after the next commit.
    pub fn delete(&self, tenant_id: Uuid, id: Uuid) -> Result<()> {
        let guard = self.writer_for_changes()?;
        let writer = guard.as_ref().ok_or(SearchError::Poisoned)?;
        writer.delete_term(Term::from_field_text(
            self.fields.key,
            &schema::key(tenant_id, id),
        ));
        Ok(())
    }

    /// Removes every document of a tenant. Visible after the next commit.
    pub fn delete_tenant(&self, tenant_id: Uuid) -> Result<()> {
        let guard = self.writer_for_changes()?;
        let writer = guard.as_ref().ok_or(SearchError::Poisoned)?;
        writer.delete_term(Term::from_field_text(
            self.fields.tenant,
            &tenant_id.to_string(),
        ));
        Ok(())
    }

    /// Removes every document (before a full reindex).
    pub fn clear(&self) -> Result<()> {
        let guard = self.writer_for_changes()?;
        let writer = guard.as_ref().ok_or(SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes pending changes durable and visible, keeping the last checkpoint.
    pub fn commit(&self) -> Result<()> {
        let checkpoint = *self.checkpoint.lock().map_err(|_| SearchError::Poisoned)?;
        self.commit_inner(checkpoint)
    }

    /// Makes pending changes durable and visible, and records in the same
    /// atomic commit that every event up to `last_event_id` is applied.
    pub fn commit_with_checkpoint(&self, last_event_id: i64) -> Result<()> {
        self.commit_inner(Some(last_event_id))
    }

    fn commit_inner(&self, checkpoint: Option<i64>) -> Result<()> {
        let mut saved = self.checkpoint.lock().map_err(|_| SearchError::Poisoned)?;
        {
            let mut guard = self.writer.write().map_err(|_| SearchError::Poisoned)?;
            if guard.is_none() {
                *guard = Some(self.new_writer()?);
            }
            let writer = guard.as_mut().ok_or(SearchError::Poisoned)?;
            let mut prepared = writer.prepare_commit()?;
            if let Some(last_event_id) = checkpoint {
                let payload = serde_json::to_string(&Payload { last_event_id })
                    .map_err(|e| SearchError::BadPayload(e.to_string()))?;
                prepared.set_payload(&payload);
            }
            prepared.commit()?;
        }
        *saved = checkpoint;
        // The reload policy would notice the commit within a few hundred
        // milliseconds; reloading now lets the writer's caller read its writes.
        self.reader.reload()?;
        Ok(())
    }

    /// Drops changes made since the last commit.
    pub fn rollback(&self) -> Result<()> {
        let mut guard = self.writer.write().map_err(|_| SearchError::Poisoned)?;
        if let Some(writer) = guard.as_mut() {
            writer.rollback()?;
        }
        Ok(())
    }

    /// Closes the writer, dropping anything not committed; the next change
    /// opens a new one. An idle server calls this so that its indexing threads
    /// and their memory budget are not held while nothing changes.
    pub fn release_writer(&self) -> Result<()> {
        let mut guard = self.writer.write().map_err(|_| SearchError::Poisoned)?;
        *guard = None;
        Ok(())
    }

    fn new_writer(&self) -> Result<IndexWriter> {
        Ok(self.index.writer_with_num_threads(
            self.options.writer_threads,
            self.options.writer_memory_bytes,
        )?)
    }

    /// A read guard on an open writer, opening one if needed.
    fn writer_for_changes(&self) -> Result<std::sync::RwLockReadGuard<'_, Option<IndexWriter>>> {
        loop {
            let guard = self.writer.read().map_err(|_| SearchError::Poisoned)?;
            if guard.is_some() {
                return Ok(guard);
            }
            drop(guard);
            let mut guard = self.writer.write().map_err(|_| SearchError::Poisoned)?;
            if guard.is_none() {
                *guard = Some(self.new_writer()?);
            }
            // Loop to trade the write guard for a read guard; a release in
            // between only means opening again.
        }
    }

    /// The last event id committed with [`Self::commit_with_checkpoint`], as
    /// durably stored in the index. `None` for an index never fed from the log.
    pub fn checkpoint(&self) -> Result<Option<i64>> {
        read_checkpoint(&self.index)
    }

    /// Replaces a tenant's synonym groups for one language. Each group is a
    /// list of equivalent words or phrases.
    pub fn set_synonyms(
        &self,
        tenant_id: Uuid,
        language: Language,
        groups: &[Vec<String>],
    ) -> Result<()> {
        let set = SynonymSet::build(&self.analyzers, language, groups);
        self.synonyms
            .write()
            .map_err(|_| SearchError::Poisoned)?
            .set(tenant_id, language, set);
        Ok(())
    }

    /// Number of live documents visible to searches (all tenants).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Blocks until background merges finish (benchmarks; a server never
    /// needs to).
    pub fn wait_merges(self) -> Result<()> {
        let writer = self
            .writer
            .into_inner()
            .map_err(|_| SearchError::Poisoned)?;
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
        }
        Ok(())
    }

    /// The analysers, for callers that want to show what a text becomes.
    pub fn analyzers(&self) -> &Analyzers {
        &self.analyzers
    }

    /// Runs a search. Never fails on the text of the query.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let parsed = query::parse(&request.text);
        let built = {
            let synonyms = self.synonyms.read().map_err(|_| SearchError::Poisoned)?;
            query::build(
                &searcher,
                &self.fields,
                &self.analyzers,
                &synonyms,
                request,
                &parsed,
            )
        };
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let top = TopDocs::with_limit(limit)
            .and_offset(request.offset)
            .tweak_score(move |segment: &SegmentReader| {
                let fast = segment.fast_fields();
                let reuse = fast.u64("reuse_count").ok();
                let rank = fast.u64("state_rank").ok();
                move |doc: DocId, score: Score| {
                    let reuse = reuse.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                    let rank = rank.as_ref().and_then(|c| c.first(doc)).unwrap_or(2);
                    score * rank_boost(rank) * (1.0 + REUSE_BOOST * (reuse as f32).ln_1p())
                }
            });
        let (top_docs, total, facet_counts) = if request.facets {
            let mut facets = FacetCollector::for_field("facets");
            for dimension in DIMENSIONS {
                facets.add_facet(Facet::from_path([dimension]));
            }
            let (t, c, f) = searcher.search(&*built.query, &(top, Count, facets))?;
            (t, c, Some(f))
        } else {
            let (t, c) = searcher.search(&*built.query, &(top, Count))?;
            (t, c, None)
        };

        let mut highlighters: Vec<(Language, Highlighter)> = Vec::new();
        let mut hits = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs.into_iter().take(request.limit) {
            if let Some(hit) = self.hit(
                &searcher,
                address,
                score,
                request.snippets,
                &built.highlight,
                &mut highlighters,
            )? {
                hits.push(hit);
            }
        }
        Ok(SearchResults {
            hits,
            total,
            facets: facet_counts.map(|f| facets_from(&f)).unwrap_or_default(),
            truncated: built.truncated,
            searched_text: parsed.text,
        })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: Score,
        snippets: bool,
        terms: &std::collections::HashMap<Language, std::collections::BTreeMap<String, Score>>,
        highlighters: &mut Vec<(Language, Highlighter)>,
    ) -> Result<Option<Hit>> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let f = &self.fields;
        let text_of = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // A stored document we cannot read back is skipped rather than failing
        // the whole search: it can only come from a schema change mid-flight.
        let (Some(id), Some(kind), Some(language)) = (
            text_of(f.id).and_then(|s| Uuid::parse_str(&s).ok()),
            text_of(f.kind).and_then(|s| DocKind::from_code(&s)),
            text_of(f.language).and_then(|s| Language::from_code(&s)),
        ) else {
            return Ok(None);
        };
        let title = text_of(f.title).unwrap_or_default();
        let text = text_of(f.text).unwrap_or_default();
        let (title_html, snippet_html) = if snippets {
            if !highlighters.iter().any(|(l, _)| *l == language) {
                let language_terms = terms.get(&language).cloned().unwrap_or_default();
                highlighters.push((
                    language,
                    Highlighter::new(language_terms, self.analyzers.get(language).clone(), f.text),
                ));
            }
            match highlighters.iter().find(|(l, _)| *l == language) {
                Some((_, h)) => (h.title(&title), h.snippet(&text)),
                None => (escape_html(&title), lead(&text, SNIPPET_CHARS)),
            }
        } else {
            (escape_html(&title), String::new())
        };
        Ok(Some(Hit {
            id,
            kind,
            language,
            title,
            title_html,
            snippet_html,
            parent_id: text_of(f.parent).and_then(|s| Uuid::parse_str(&s).ok()),
            product: text_of(f.product),
            state: text_of(f.state).and_then(|s| ArticleState::from_code(&s)),
            audience: text_of(f.audience).and_then(|s| Audience::from_code(&s)),
            tags: doc
                .get_all(f.tags)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            reuse_count: doc
                .get_first(f.reuse_count)
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            updated_at: doc
                .get_first(f.updated_at)
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
            score,
        }))
    }
}

const DIMENSIONS: [&str; 6] = ["kind", "language", "product", "state", "audience", "tag"];

fn rank_boost(rank: u64) -> f32 {
    match rank {
        0 => ArticleState::Archived.boost(),
        1 => ArticleState::Wip.boost(),
        3 => ArticleState::Validated.boost(),
        _ => 1.0,
    }
}

fn facets_from(counts: &FacetCounts) -> Facets {
    let values = |dimension: &str| {
        let mut v: Vec<FacetValue> = counts
            .get(&format!("/{dimension}"))
            .filter_map(|(facet, count)| {
                facet.to_path().last().map(|value| FacetValue {
                    value: (*value).to_string(),
                    count,
                })
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        v
    };
    Facets {
        kind: values("kind"),
        language: values("language"),
        product: values("product"),
        state: values("state"),
        audience: values("audience"),
        tag: values("tag"),
    }
}

fn read_checkpoint(index: &tantivy::Index) -> Result<Option<i64>> {
    let metas = index.load_metas()?;
    match metas.payload {
        None => Ok(None),
        Some(text) => serde_json::from_str::<Payload>(&text)
            .map(|p| Some(p.last_event_id))
            .map_err(|_| SearchError::BadPayload(text)),
    }
}
