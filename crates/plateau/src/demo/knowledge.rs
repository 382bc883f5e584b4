//! The demo knowledge base: each brand's product catalogue, its KCS articles
//! in French and English (translations linked, a few with an earlier
//! version), FAQ entries, synonyms, open flags, links to demo conversations
//! and a month of search log, read from `knowledge.json` and written through
//! the store so every change has its event.

use std::collections::HashMap;

use anyhow::Context;
use plateau_core::knowledge::{
    ArticleContent, ArticleState, Audience, FlagReason, ProductKind, SearchOutcome, SearchSurface,
};
use plateau_core::model::Language;
use plateau_core::Timestamp;
use plateau_store::knowledge::{ArticleEdit, NewArticle, NewFaq, NewProduct, NewSearch};
use plateau_store::Store;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde::Deserialize;
use uuid::Uuid;

/// The content, kept apart from the code so writers can edit it. Most
/// articles come from the search evaluation corpus (our own).
const DATA: &str = include_str!("knowledge.json");

#[derive(Deserialize)]
struct Data {
    brands: Vec<BrandData>,
}

#[derive(Deserialize)]
struct BrandData {
    slug: String,
    products: Vec<ProductData>,
    articles: Vec<ArticleData>,
    synonyms: HashMap<Language, String>,
    faq: Vec<FaqData>,
    /// Conversation reason → the (French, English) article that answers it.
    scenario_articles: HashMap<String, [String; 2]>,
    flags: Vec<FlagData>,
    searches: Vec<SearchData>,
}

#[derive(Deserialize)]
struct ProductData {
    code: String,
    name: String,
    kind: ProductKind,
    parent: Option<String>,
    attributes: serde_json::Value,
}

#[derive(Deserialize)]
struct ArticleData {
    key: String,
    language: Language,
    state: ArticleState,
    audience: Audience,
    tags: Vec<String>,
    products: Vec<String>,
    title: String,
    issue: String,
    environment: String,
    resolution: String,
    cause: String,
    translation_of: Option<String>,
    /// A first version with a shorter resolution, so the history has a diff.
    earlier: Option<EarlierData>,
}

#[derive(Deserialize)]
struct EarlierData {
    resolution: String,
    note: String,
}

#[derive(Deserialize)]
struct FaqData {
    language: Language,
    question: String,
    answer: String,
    article: Option<String>,
    product: Option<String>,
    published: bool,
}

#[derive(Deserialize)]
struct FlagData {
    article: String,
    reason: FlagReason,
    comment: String,
}

#[derive(Deserialize)]
struct SearchData {
    language: Language,
    query: String,
    results: Vec<String>,
}

/// A demo conversation an article may be linked to.
pub struct DemoConversation {
    pub id: Uuid,
    pub reason: &'static str,
    pub language: Language,
    pub advisor: Option<Uuid>,
    /// Resolved or closed: an answer was found, so knowledge was reused.
    pub finished: bool,
}

/// What one brand's knowledge base needs from the rest of the demo.
pub struct BrandContext<'a> {
    pub slug: &'a str,
    pub tenant_id: Uuid,
    /// The knowledge manager who writes and curates the articles.
    pub manager: Option<Uuid>,
    /// Advisors who search, link and flag.
    pub advisors: Vec<Uuid>,
    pub conversations: Vec<DemoConversation>,
}

/// Counts of what was written for one brand, for the summary line and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seeded {
    pub products: usize,
    pub articles: usize,
    pub faq: usize,
    pub links: usize,
    pub searches: usize,
}

fn parse() -> anyhow::Result<Data> {
    serde_json::from_str(DATA).context("demo/knowledge.json is not valid")
}

/// Seeds one brand's knowledge base.
pub async fn seed_brand(
    store: &Store,
    ctx: &BrandContext<'_>,
    rng: &mut StdRng,
    now: Timestamp,
) -> anyhow::Result<Seeded> {
    let data = parse()?;
    let Some(brand) = data.brands.into_iter().find(|b| b.slug == ctx.slug) else {
        return Ok(Seeded::default());
    };
    let t = ctx.tenant_id;
    let actor = ctx.manager;
    let mut seeded = Seeded::default();

    // Parents come before their children in the file.
    let mut products: HashMap<String, Uuid> = HashMap::new();
    for p in &brand.products {
        let parent_id = p.parent.as_ref().and_then(|c| products.get(c).copied());
        let created = store
            .create_product(
                t,
                &NewProduct {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    kind: p.kind,
                    attributes: p.attributes.clone(),
                    parent_id,
                },
                actor,
            )
            .await
            .with_context(|| format!("demo product {}", p.code))?;
        products.insert(p.code.clone(), created.id);
        seeded.products += 1;
    }

    let mut articles: HashMap<String, Uuid> = HashMap::new();
    for a in &brand.articles {
        let id = seed_article(store, t, actor, a, &products)
            .await
            .with_context(|| format!("demo article {}", a.key))?;
        articles.insert(a.key.clone(), id);
        seeded.articles += 1;
    }
    for a in &brand.articles {
        if let (Some(id), Some(other)) = (
            articles.get(&a.key),
            a.translation_of.as_ref().and_then(|k| articles.get(k)),
        ) {
            store.link_translation(t, *other, *id, actor).await?;
        }
    }

    for (language, text) in &brand.synonyms {
        store.put_synonyms(t, *language, text, actor).await?;
    }

    for f in &brand.faq {
        store
            .create_faq(
                t,
                &NewFaq {
                    language: f.language,
                    question: f.question.clone(),
                    answer: f.answer.clone(),
                    article_id: f.article.as_ref().and_then(|k| articles.get(k).copied()),
                    product_id: f.product.as_ref().and_then(|c| products.get(c).copied()),
                    position: None,
                    published: f.published,
                },
                actor,
            )
            .await?;
        seeded.faq += 1;
    }

    for f in &brand.flags {
        if let Some(id) = articles.get(&f.article) {
            let by = ctx.advisors.choose(rng).copied();
            store.flag_article(t, *id, f.reason, &f.comment, by).await?;
        }
    }

    // About one finished conversation in four cites the article that answers
    // its reason: enough for reuse counts and a link rate worth reading.
    for c in ctx.conversations.iter().filter(|c| c.finished) {
        let Some(pair) = brand.scenario_articles.get(c.reason) else {
            continue;
        };
        if rng.random::<f64>() >= 0.25 {
            continue;
        }
        let key = if c.language == Language::En {
            &pair[1]
        } else {
            &pair[0]
        };
        if let Some(article) = articles.get(key) {
            if store
                .link_article(t, c.id, *article, None, c.advisor)
                .await?
            {
                seeded.links += 1;
            }
        }
    }

    // A month of searches: each query typed a few times, most followed by
    // opening the first result, some by linking it, some by nothing at all.
    for s in &brand.searches {
        let found: Vec<Uuid> = s
            .results
            .iter()
            .filter_map(|k| articles.get(k).copied())
            .collect();
        for _ in 0..rng.random_range(1..=4) {
            let at = now.minus_seconds(rng.random_range(3_600..30 * 86_400));
            let id = store
                .record_search(
                    t,
                    &NewSearch {
                        user_id: ctx.advisors.choose(rng).copied(),
                        query: s.query.clone(),
                        language: Some(s.language),
                        surface: if rng.random::<f64>() < 0.8 {
                            SearchSurface::Desk
                        } else {
                            SearchSurface::HelpCentre
                        },
                        result_count: found.len() as i64,
                        result_article_ids: found.clone(),
                        at: Some(at),
                    },
                )
                .await?;
            seeded.searches += 1;
            if let Some(first) = found.first() {
                let roll = rng.random::<f64>();
                if roll < 0.6 {
                    store
                        .record_search_outcome(t, id, SearchOutcome::Opened, *first)
                        .await?;
                } else if roll < 0.75 {
                    store
                        .record_search_outcome(t, id, SearchOutcome::Linked, *first)
                        .await?;
                }
            }
        }
    }
    Ok(seeded)
}

/// Creates one article; with an earlier version, the first write is that
/// draft and the second the current text. Archived articles are created
/// validated first, as an article can only be archived after being trusted.
async fn seed_article(
    store: &Store,
    t: Uuid,
    actor: Option<Uuid>,
    a: &ArticleData,
    products: &HashMap<String, Uuid>,
) -> anyhow::Result<Uuid> {
    let content = ArticleContent {
        title: a.title.clone(),
        issue: a.issue.clone(),
        environment: a.environment.clone(),
        resolution: a.resolution.clone(),
        cause: a.cause.clone(),
        tags: a.tags.clone(),
        product_ids: a
            .products
            .iter()
            .filter_map(|c| products.get(c).copied())
            .collect(),
        language: a.language,
    };
    let first_state = if a.state == ArticleState::Archived {
        ArticleState::Validated
    } else {
        a.state
    };
    let first = match &a.earlier {
        Some(e) => ArticleContent {
            resolution: e.resolution.clone(),
            ..content.clone()
        },
        None => content.clone(),
    };
    let note = a
        .earlier
        .as_ref()
        .map(|e| e.note.clone())
        .unwrap_or_default();
    let mut article = store
        .create_article(
            t,
            &NewArticle {
                content: first,
                state: first_state,
                audience: a.audience,
                note,
            },
            actor,
        )
        .await?;
    if a.earlier.is_some() {
        let note = if a.language == Language::En {
            "Added the last checks before escalating."
        } else {
            "Ajout des dernières vérifications avant escalade."
        };
        article = store
            .update_article(
                t,
                article.id,
                article.version,
                &ArticleEdit {
                    content,
                    audience: a.audience,
                    note: note.into(),
                },
                actor,
            )
            .await?;
    }
    if a.state != first_state {
        store
            .change_article_state(t, article.id, article.version, a.state, actor)
            .await?;
    }
    Ok(article.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parses_and_references_resolve() {
        let data = parse().unwrap();
        assert_eq!(data.brands.len(), 2);
        for b in &data.brands {
            let codes: Vec<&str> = b.products.iter().map(|p| p.code.as_str()).collect();
            let keys: Vec<&str> = b.articles.iter().map(|a| a.key.as_str()).collect();
            for a in &b.articles {
                for p in &a.products {
                    assert!(codes.contains(&p.as_str()), "{}: product {p}", a.key);
                }
                if let Some(t) = &a.translation_of {
                    assert!(keys.contains(&t.as_str()), "{}: translation {t}", a.key);
                }
            }
            for f in &b.faq {
                if let Some(k) = &f.article {
                    assert!(keys.contains(&k.as_str()), "faq article {k}");
                }
            }
            for pair in b.scenario_articles.values() {
                for k in pair {
                    assert!(keys.contains(&k.as_str()), "scenario article {k}");
                }
            }
            for s in b.synonyms.values() {
                plateau_core::knowledge::SynonymRules::parse(s).unwrap();
            }
        }
    }
}
