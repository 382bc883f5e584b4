//! Search requests and results, and the translation of what a person typed
//! into a tantivy query: tenant and facet filters, per-language term clauses,
//! phrases, typo tolerance, as-you-type prefixes and synonym expansion.
//!
//! We parse the text ourselves rather than with tantivy's `QueryParser`: the
//! only syntax we honour is "quoted phrases", everything else is words, so no
//! input can be a syntax error (an unbalanced quote just ends the phrase).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Searcher, Term};
use uuid::Uuid;

use crate::analysis::{AnalyzedToken, Analyzers};
use crate::document::{ArticleState, Audience, DocKind, Language};
use crate::schema::{facet, Fields, TextFields};
use crate::synonyms::SynonymRegistry;

/// Longest query text we analyse, in characters. Longer text is cut and the
/// result says so (`truncated`).
pub const MAX_QUERY_CHARS: usize = 256;
/// Most analysed terms we search per language; the rest are dropped (and the
/// result says so). Each term costs a few posting-list scans.
pub const MAX_QUERY_TERMS: usize = 32;
/// Terms of at least this many characters get typo tolerance 1 …
const FUZZY_MIN_CHARS: usize = 5;
/// … and of at least this many, tolerance 2.
const FUZZY2_MIN_CHARS: usize = 9;
/// A term found in at most this many documents is probably a typo: we add its
/// fuzzy variants. Common words never pay for a Levenshtein automaton.
const FUZZY_MAX_DOC_FREQ: u64 = 2;
/// Weight of a fuzzy match relative to the field weight (fuzzy scores are
/// constant, 1 per field).
const FUZZY_WEIGHT: f32 = 1.2;
/// As-you-type: how many completions of the last word we search, most
/// frequent first, and how many dictionary entries we read to find them.
const PREFIX_EXPANSIONS: usize = 12;
const PREFIX_SCAN_LIMIT: usize = 4096;
const PREFIX_WEIGHT: f32 = 0.7;
/// Shortest last word (in characters) we complete.
const PREFIX_MIN_CHARS: usize = 3;
/// Weight of a synonym phrase relative to the words typed.
const SYNONYM_WEIGHT: f32 = 0.9;

/// Optional filters. Values within one list are alternatives (OR); lists are
/// combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub kinds: Vec<DocKind>,
    pub products: Vec<String>,
    /// Without a state filter, archived articles are left out.
    pub states: Vec<ArticleState>,
    pub audiences: Vec<Audience>,
    pub tags: Vec<String>,
    /// Leaves out articles of these audiences (a brand's read-only account
    /// never sees internal ones); documents without an audience stay.
    #[serde(default)]
    pub exclude_audiences: Vec<Audience>,
    /// Leaves out documents with any of these tags (internal notes).
    #[serde(default)]
    pub exclude_tags: Vec<String>,
}

/// A search. `tenant_id` is not optional: every search is inside one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub tenant_id: Uuid,
    pub text: String,
    /// Restricts to one language (and analyses the text only as that
    /// language). `None` searches both.
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub filters: Filters,
    /// The text is still being typed: complete its last word.
    #[serde(default)]
    pub as_you_type: bool,
    #[serde(default = "default_limit")]
    pub limit: usize,
    #[serde(default)]
    pub offset: usize,
    /// Compute facet counts (costs a pass over every matching document).
    #[serde(default = "yes")]
    pub facets: bool,
    /// Compute highlighted snippets for the hits.
    #[serde(default = "yes")]
    pub snippets: bool,
}

fn default_limit() -> usize {
    10
}

fn yes() -> bool {
    true
}

impl SearchRequest {
    /// A search with defaults: both languages, no filter, 10 hits, facets and
    /// snippets on.
    pub fn new(tenant_id: Uuid, text: &str) -> Self {
        SearchRequest {
            tenant_id,
            text: text.to_string(),
            language: None,
            filters: Filters::default(),
            as_you_type: false,
            limit: default_limit(),
            offset: 0,
            facets: true,
            snippets: true,
        }
    }

    /// Restricts to one language.
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Sets the filters.
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// Turns as-you-type completion on or off.
    pub fn as_you_type(mut self, on: bool) -> Self {
        self.as_you_type = on;
        self
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: Uuid,
    pub kind: DocKind,
    pub language: Language,
    pub title: String,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    pub title_html: String,
    /// A passage of the text, HTML-escaped, with matched words in `<mark>`.
    pub snippet_html: String,
    /// The thread of a message or forum answer.
    pub parent_id: Option<Uuid>,
    pub product: Option<String>,
    pub state: Option<ArticleState>,
    pub audience: Option<Audience>,
    pub tags: Vec<String>,
    pub reuse_count: u64,
    pub updated_at: i64,
    pub score: f32,
}

/// A facet value and how many matching documents have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// Facet counts over all matching documents, most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub kind: Vec<FacetValue>,
    pub language: Vec<FacetValue>,
    pub product: Vec<FacetValue>,
    pub state: Vec<FacetValue>,
    pub audience: Vec<FacetValue>,
    pub tag: Vec<FacetValue>,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// How many documents matched in all.
    pub total: usize,
    pub facets: Facets,
    /// The query was longer than [`MAX_QUERY_CHARS`] or had more than
    /// [`MAX_QUERY_TERMS`] terms, and was cut: tell the user.
    pub truncated: bool,
    /// The text actually searched (after cutting).
    pub searched_text: String,
}

/// What a person typed, split into phrases and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedText {
    /// The text after cutting to [`MAX_QUERY_CHARS`].
    pub text: String,
    pub truncated: bool,
    /// Quoted phrases.
    pub phrases: Vec<String>,
    /// Everything outside quotes.
    pub words: String,
    /// The text ends inside a word (no trailing space or quote): the last word
    /// may be incomplete.
    pub ends_in_word: bool,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '«' | '»' | '“' | '”' | '„')
}

/// Cuts and splits query text. Never fails.
pub fn parse(text: &str) -> ParsedText {
    let truncated = text.chars().count() > MAX_QUERY_CHARS;
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let mut phrases = Vec::new();
    let mut words = String::new();
    let mut current = String::new();
    let mut in_phrase = false;
    for c in text.chars() {
        if is_quote(c) {
            if in_phrase {
                if !current.trim().is_empty() {
                    phrases.push(current.trim().to_string());
                }
            } else {
                words.push_str(&current);
                words.push(' ');
            }
            current.clear();
            in_phrase = !in_phrase;
        } else {
            current.push(c);
        }
    }
    // An unclosed quote: its text is searched as plain words.
    words.push_str(&current);
    let ends_in_word = text.chars().last().is_some_and(char::is_alphanumeric) && !in_phrase;
    ParsedText {
        text: text.clone(),
        truncated,
        phrases,
        words,
        ends_in_word,
    }
}

/// A built query plus what the snippet generator needs.
pub(crate) struct BuiltQuery {
    pub query: Box<dyn Query>,
    /// Terms to highlight, per language.
    pub highlight: HashMap<Language, BTreeMap<String, Score>>,
    pub truncated: bool,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

/// A filter: matches like `query`, contributes nothing to the score.
fn filter(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn any_of(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn all_of(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

fn facet_filter(fields: &Fields, dimension: &str, values: &[&str]) -> Box<dyn Query> {
    let clauses = values
        .iter()
        .map(|v| {
            Box::new(TermQuery::new(
                Term::from_facet(fields.facets, &facet(dimension, v)),
                IndexRecordOption::Basic,
            )) as Box<dyn Query>
        })
        .collect();
    filter(any_of(clauses))
}

/// A term searched in every text field of a language, each with its weight.
fn term_in_fields(text_fields: &TextFields, term: &str, weight: f32) -> Vec<Box<dyn Query>> {
    text_fields
        .weighted()
        .into_iter()
        .map(|(field, w)| boosted(term_query(field, term), w * weight))
        .collect()
}

fn doc_freq(searcher: &Searcher, text_fields: &TextFields, term: &str) -> u64 {
    text_fields
        .weighted()
        .into_iter()
        .map(|(field, _)| {
            searcher
                .doc_freq(&Term::from_field_text(field, term))
                .unwrap_or(0)
        })
        .sum()
}

/// The most frequent dictionary terms starting with `prefix`, over all
/// segments. Bounded in both reads and results, unlike an automaton query whose
/// cost grows with the number of completions.
fn complete_prefix(searcher: &Searcher, field: Field, prefix: &str) -> Vec<(String, u64)> {
    let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
    let lower = prefix.as_bytes().to_vec();
    let mut upper = lower.clone();
    // The first byte string after every completion of `prefix`.
    while let Some(last) = upper.pop() {
        if last < u8::MAX {
            upper.push(last + 1);
            break;
        }
    }
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let mut range = inverted.terms().range().ge(&lower);
        if !upper.is_empty() {
            range = range.lt(&upper);
        }
        let Ok(mut stream) = range.into_stream() else {
            continue;
        };
        let mut read = 0;
        while read < PREFIX_SCAN_LIMIT && stream.advance() {
            *counts.entry(stream.key().to_vec()).or_default() += u64::from(stream.value().doc_freq);
            read += 1;
        }
    }
    let mut completions: Vec<(String, u64)> = counts
        .into_iter()
        .filter_map(|(k, n)| String::from_utf8(k).ok().map(|s| (s, n)))
        .collect();
    completions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    completions.truncate(PREFIX_EXPANSIONS);
    completions
}

/// The text part of the query in one language, or `None` if the text has no
/// searchable term in that language.
#[allow(clippy::too_many_arguments)]
fn language_query(
    searcher: &Searcher,
    fields: &Fields,
    analyzers: &Analyzers,
    synonyms: &SynonymRegistry,
    tenant: Uuid,
    language: Language,
    parsed: &ParsedText,
    as_you_type: bool,
    highlight: &mut BTreeMap<String, Score>,
    truncated: &mut bool,
) -> Option<Box<dyn Query>> {
    let text_fields = fields.text(language);
    let mut tokens: Vec<AnalyzedToken> = analyzers.analyze(language, &parsed.words);
    if tokens.len() > MAX_QUERY_TERMS {
        tokens.truncate(MAX_QUERY_TERMS);
        *truncated = true;
    }
    let words_end = parsed.words.trim_end().len();
    let mut should: Vec<Box<dyn Query>> = Vec::new();
    let mut must: Vec<Box<dyn Query>> = Vec::new();
    let mut seen = HashSet::new();
    let last_index = tokens.len().saturating_sub(1);

    for (i, token) in tokens.iter().enumerate() {
        let term = token.term.as_str();
        let completing = as_you_type
            && parsed.ends_in_word
            && parsed.phrases.is_empty()
            && i == last_index
            && token.offset_to >= words_end
            && token.raw_chars >= PREFIX_MIN_CHARS;
        if !seen.insert(term.to_string()) && !completing {
            continue;
        }
        should.extend(term_in_fields(text_fields, term, 1.0));
        highlight.insert(term.to_string(), 1.0);

        // Typo tolerance: only for words long enough that one edit does not
        // turn them into another common word, and only when the word as typed
        // is (nearly) unknown — a correctly spelled word needs no fuzzing.
        // As you type, the last word is completed first; only a word that
        // completes to nothing (a typo) falls back to fuzzy matching.
        let mut completed = false;
        if completing {
            for (field, w) in text_fields.weighted() {
                for (completion, _) in complete_prefix(searcher, field, term) {
                    if completion != term {
                        completed = true;
                        should.push(boosted(term_query(field, &completion), w * PREFIX_WEIGHT));
                        highlight.insert(completion, PREFIX_WEIGHT);
                    }
                }
            }
        }

        if token.raw_chars >= FUZZY_MIN_CHARS
            && !completed
            && doc_freq(searcher, text_fields, term) <= FUZZY_MAX_DOC_FREQ
        {
            let distance = if token.raw_chars >= FUZZY2_MIN_CHARS {
                2
            } else {
                1
            };
            for (field, w) in text_fields.weighted() {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, term), distance, true);
                should.push(boosted(Box::new(fuzzy), w * FUZZY_WEIGHT));
            }
        }
    }

    // Quoted phrases are required: whoever types quotes means it.
    for phrase in &parsed.phrases {
        let phrase_tokens = analyzers.analyze(language, phrase);
        let Some(first) = phrase_tokens.first() else {
            continue;
        };
        for t in &phrase_tokens {
            highlight.insert(t.term.clone(), 1.0);
        }
        if phrase_tokens.len() == 1 {
            must.push(any_of(term_in_fields(text_fields, &first.term, 1.5)));
            continue;
        }
        let per_field = text_fields
            .weighted()
            .into_iter()
            .map(|(field, w)| {
                let terms = phrase_tokens
                    .iter()
                    .map(|t| {
                        (
                            t.position.saturating_sub(first.position),
                            Term::from_field_text(field, &t.term),
                        )
                    })
                    .collect();
                boosted(Box::new(PhraseQuery::new_with_offset(terms)), w * 1.5)
            })
            .collect();
        must.push(any_of(per_field));
    }

    // Synonyms: each other phrase of a matched group must match as a whole
    // (all its terms, in any field), so "internet lent" is not satisfied by
    // every document that merely says "internet".
    if let Some(set) = synonyms.get(tenant, language) {
        let mut query_terms: Vec<String> = tokens.iter().map(|t| t.term.clone()).collect();
        for phrase in &parsed.phrases {
            query_terms.extend(
                analyzers
                    .analyze(language, phrase)
                    .into_iter()
                    .map(|t| t.term),
            );
        }
        for expansion in set.expansions(&query_terms) {
            let parts = expansion
                .terms
                .iter()
                .map(|t| {
                    highlight.insert(t.clone(), SYNONYM_WEIGHT);
                    any_of(term_in_fields(text_fields, t, 1.0))
                })
                .collect();
            should.push(boosted(all_of(parts), SYNONYM_WEIGHT));
        }
    }

    if should.is_empty() && must.is_empty() {
        return None;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = must
        .into_iter()
        .map(|q| (Occur::Must, q))
        .chain(should.into_iter().map(|q| (Occur::Should, q)))
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// Builds the whole query for a request: tenant filter (always), facet
/// filters, and the text part in each searched language.
pub(crate) fn build(
    searcher: &Searcher,
    fields: &Fields,
    analyzers: &Analyzers,
    synonyms: &SynonymRegistry,
    request: &SearchRequest,
    parsed: &ParsedText,
) -> BuiltQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // Tenant isolation lives here, in the one function every search goes
    // through; it is a required clause, never an optional filter.
    clauses.push((
        Occur::Must,
        filter(Box::new(TermQuery::new(
            Term::from_field_text(fields.tenant, &request.tenant_id.to_string()),
            IndexRecordOption::Basic,
        ))),
    ));

    let f = &request.filters;
    let codes = |values: Vec<&'static str>| values;
    if !f.kinds.is_empty() {
        let v = codes(f.kinds.iter().map(|k| k.code()).collect());
        clauses.push((Occur::Must, facet_filter(fields, "kind", &v)));
    }
    if !f.products.is_empty() {
        let v: Vec<&str> = f.products.iter().map(String::as_str).collect();
        clauses.push((Occur::Must, facet_filter(fields, "product", &v)));
    }
    if f.states.is_empty() {
        clauses.push((
            Occur::MustNot,
            facet_filter(fields, "state", &[ArticleState::Archived.code()]),
        ));
    } else {
        let v = codes(f.states.iter().map(|s| s.code()).collect());
        clauses.push((Occur::Must, facet_filter(fields, "state", &v)));
    }
    if !f.audiences.is_empty() {
        let v = codes(f.audiences.iter().map(|a| a.code()).collect());
        clauses.push((Occur::Must, facet_filter(fields, "audience", &v)));
    }
    if !f.tags.is_empty() {
        let v: Vec<&str> = f.tags.iter().map(String::as_str).collect();
        clauses.push((Occur::Must, facet_filter(fields, "tag", &v)));
    }
    if !f.exclude_audiences.is_empty() {
        let v = codes(f.exclude_audiences.iter().map(|a| a.code()).collect());
        clauses.push((Occur::MustNot, facet_filter(fields, "audience", &v)));
    }
    if !f.exclude_tags.is_empty() {
        let v: Vec<&str> = f.exclude_tags.iter().map(String::as_str).collect();
        clauses.push((Occur::MustNot, facet_filter(fields, "tag", &v)));
    }
    if let Some(language) = request.language {
        clauses.push((
            Occur::Must,
            facet_filter(fields, "language", &[language.code()]),
        ));
    }

    let languages: Vec<Language> = match request.language {
        Some(l) => vec![l],
        None => Language::ALL.to_vec(),
    };
    let mut highlight = HashMap::new();
    let mut truncated = parsed.truncated;
    let mut text_parts = Vec::new();
    for language in languages {
        let mut terms = BTreeMap::new();
        if let Some(q) = language_query(
            searcher,
            fields,
            analyzers,
            synonyms,
            request.tenant_id,
            language,
            parsed,
            request.as_you_type,
            &mut terms,
            &mut truncated,
        ) {
            text_parts.push(q);
        }
        highlight.insert(language, terms);
    }
    let text_query: Box<dyn Query> = if text_parts.is_empty() {
        // No searchable word (empty box, or only stop words): browse the
        // tenant's documents under the filters, ranked by the boosts alone.
        Box::new(AllQuery)
    } else if text_parts.len() == 1 {
        text_parts.remove(0)
    } else {
        any_of(text_parts)
    };
    clauses.push((Occur::Must, text_query));

    BuiltQuery {
        query: Box::new(BooleanQuery::new(clauses)),
        highlight,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_phrases_and_words() {
        let p = parse("box \"voyant rouge\" fibre");
        assert_eq!(p.phrases, vec!["voyant rouge"]);
        assert_eq!(
            p.words.split_whitespace().collect::<Vec<_>>(),
            vec!["box", "fibre"]
        );
        assert!(p.ends_in_word);
        assert!(!p.truncated);
    }

    #[test]
    fn unbalanced_quote_becomes_words() {
        let p = parse("voyant \"rouge box");
        assert!(p.phrases.is_empty());
        assert_eq!(
            p.words.split_whitespace().collect::<Vec<_>>(),
            vec!["voyant", "rouge", "box"]
        );
        assert!(
            !p.ends_in_word,
            "an open phrase is not completed as you type"
        );
    }

    #[test]
    fn typographic_quotes_are_quotes() {
        let p = parse("« mot de passe » oublié");
        assert_eq!(p.phrases, vec!["mot de passe"]);
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_QUERY_CHARS + 10);
        let p = parse(&long);
        assert!(p.truncated);
        assert_eq!(p.text.chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn trailing_space_means_the_last_word_is_complete() {
        assert!(!parse("lave-linge ").ends_in_word);
        assert!(parse("lave-linge fui").ends_in_word);
    }
}
