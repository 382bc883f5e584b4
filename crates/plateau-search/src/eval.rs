//! The relevance evaluation harness: loading the labelled corpus, queries and
//! synonyms (tests/data), and computing recall@k and MRR. Shared by the
//! evaluation test and the benchmark so both measure the same thing.

use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use crate::document::{ArticleState, Audience, DocKind, Language, SearchDocument};

/// Errors of the harness: a data file is missing or malformed.
pub type EvalError = Box<dyn std::error::Error + Send + Sync>;

/// One article as written in the corpus files (JSON lines).
#[derive(Debug, Deserialize)]
struct CorpusArticle {
    id: String,
    product: String,
    state: String,
    audience: String,
    tags: Vec<String>,
    reuse: u64,
    title: String,
    issue: String,
    environment: String,
    resolution: String,
    cause: String,
}

/// A stable UUID for a corpus name ("fr-t01"), so runs and peers agree.
pub fn doc_uuid(name: &str) -> Uuid {
    // Two FNV-1a passes with different offsets make 128 bits; collisions
    // across a few hundred names are not a concern.
    let fnv = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x8422_2325_cbf2_9ce4);
    Uuid::from_u64_pair(hi, lo)
}

/// A corpus article: its name in the data files and the document to index.
#[derive(Debug, Clone)]
pub struct NamedDocument {
    pub name: String,
    pub doc: SearchDocument,
}

/// Loads a JSON-lines article file as documents of `tenant` in `language`.
pub fn load_articles(
    path: &Path,
    tenant: Uuid,
    language: Language,
) -> Result<Vec<NamedDocument>, EvalError> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a: CorpusArticle =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let state = ArticleState::from_code(&a.state)
            .ok_or_else(|| format!("{}:{}: bad state {}", path.display(), n + 1, a.state))?;
        let audience = Audience::from_code(&a.audience)
            .ok_or_else(|| format!("{}:{}: bad audience {}", path.display(), n + 1, a.audience))?;
        let doc = SearchDocument {
            issue: a.issue,
            environment: a.environment,
            resolution: a.resolution,
            cause: a.cause,
            product: Some(a.product),
            state: Some(state),
            audience: Some(audience),
            tags: a.tags,
            reuse_count: a.reuse,
            updated_at: 1_700_000_000_000_000 + n as i64,
            ..SearchDocument::new(
                tenant,
                doc_uuid(&a.id),
                DocKind::Article,
                language,
                &a.title,
            )
        };
        out.push(NamedDocument { name: a.id, doc });
    }
    Ok(out)
}

/// One labelled query.
#[derive(Debug, Clone)]
pub struct EvalQuery {
    pub language: Language,
    pub text: String,
    /// Names of the relevant articles.
    pub relevant: Vec<String>,
    /// What the query exercises (typo, elision, synonym…).
    pub note: String,
}

/// Loads `queries.tsv`: language, query, relevant names (comma-separated),
/// note. Lines starting with `#` are comments.
pub fn load_queries(path: &Path) -> Result<Vec<EvalQuery>, EvalError> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(lang), Some(query), Some(relevant)) = (cols.first(), cols.get(1), cols.get(2))
        else {
            return Err(format!(
                "{}:{}: expected 3 or 4 tab-separated columns",
                path.display(),
                n + 1
            )
            .into());
        };
        let language = Language::from_code(lang)
            .ok_or_else(|| format!("{}:{}: bad language {lang}", path.display(), n + 1))?;
        out.push(EvalQuery {
            language,
            text: (*query).to_string(),
            relevant: relevant.split(',').map(|s| s.trim().to_string()).collect(),
            note: cols.get(3).map(|s| s.to_string()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Loads `synonyms.tsv`: language, phrases separated by `|`.
pub fn load_synonyms(path: &Path) -> Result<Vec<(Language, Vec<String>)>, EvalError> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((lang, group)) = line.split_once('\t') else {
            return Err(format!(
                "{}:{}: expected language<TAB>phrases",
                path.display(),
                n + 1
            )
            .into());
        };
        let language = Language::from_code(lang)
            .ok_or_else(|| format!("{}:{}: bad language {lang}", path.display(), n + 1))?;
        out.push((
            language,
            group.split('|').map(|s| s.trim().to_string()).collect(),
        ));
    }
    Ok(out)
}

/// Recall@k and reciprocal rank of one ranked answer.
pub fn score_one(ranked: &[String], relevant: &[String], k: usize) -> (f64, f64) {
    if relevant.is_empty() {
        return (0.0, 0.0);
    }
    let found = relevant
        .iter()
        .filter(|r| ranked.iter().take(k).any(|x| x == *r))
        .count();
    let rr = ranked
        .iter()
        .position(|x| relevant.contains(x))
        .map(|i| 1.0 / (i as f64 + 1.0))
        .unwrap_or(0.0);
    (found as f64 / relevant.len() as f64, rr)
}

/// Mean recall@k and MRR over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub recall_at_k: f64,
    pub mrr: f64,
}

/// Averages per-query `(recall, reciprocal rank)` pairs.
pub fn aggregate(per_query: &[(f64, f64)]) -> Metrics {
    let n = per_query.len();
    if n == 0 {
        return Metrics::default();
    }
    Metrics {
        queries: n,
        recall_at_k: per_query.iter().map(|p| p.0).sum::<f64>() / n as f64,
        mrr: per_query.iter().map(|p| p.1).sum::<f64>() / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let ranked: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(score_one(&ranked, &["b".to_string()], 5), (1.0, 0.5));
        assert_eq!(score_one(&ranked, &["z".to_string()], 5), (0.0, 0.0));
        assert_eq!(
            score_one(&ranked, &["c".to_string(), "z".to_string()], 2),
            (0.0, 1.0 / 3.0)
        );
    }

    #[test]
    fn uuids_are_stable_and_distinct() {
        assert_eq!(doc_uuid("fr-t01"), doc_uuid("fr-t01"));
        assert_ne!(doc_uuid("fr-t01"), doc_uuid("fr-t02"));
    }
}
