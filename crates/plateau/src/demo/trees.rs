//! Demo diagnostic trees (trees.json): one published tree per brand, linked
//! to its knowledge base, and walks recorded on the brand's finished
//! conversations with the matching reason, so the runner panel and the
//! analytics page have something to show.

use std::collections::BTreeMap;

use anyhow::Context;
use plateau_core::knowledge::ArticleState;
use plateau_core::tree::analytics::Trail;
use plateau_core::tree::{validate, CustomerAttrs, Known, Session, StepView, Tree, WalkSummary};
use plateau_core::Timestamp;
use plateau_store::knowledge::ArticleFilter;
use plateau_store::trees::NewTree;
use plateau_store::Store;
use rand::rngs::StdRng;
use rand::Rng;
use serde::Deserialize;
use serde_json::Value;

use super::knowledge::BrandContext;

#[derive(Deserialize)]
struct Data {
    brands: Vec<Brand>,
}

#[derive(Deserialize)]
struct Brand {
    slug: String,
    trees: Vec<DemoTree>,
}

#[derive(Deserialize)]
struct DemoTree {
    reasons: Vec<String>,
    products: Vec<String>,
    /// A tree whose solution nodes may name an article by its `article`
    /// title instead of an id (ids are only known once the demo is seeded).
    tree: Value,
}

/// Publishes the brand's demo trees and records walks; returns how many.
pub async fn seed_brand(
    store: &Store,
    ctx: &BrandContext<'_>,
    rng: &mut StdRng,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let data: Data = serde_json::from_str(include_str!("trees.json")).context("demo trees.json")?;
    let Some(brand) = data.brands.into_iter().find(|b| b.slug == ctx.slug) else {
        return Ok(0);
    };
    let t = ctx.tenant_id;
    let articles = store
        .articles(
            t,
            &ArticleFilter {
                states: vec![ArticleState::Validated],
                ..Default::default()
            },
            None,
            200,
        )
        .await?
        .items;
    let mut walks = 0;
    for demo in brand.trees {
        let mut json = demo.tree;
        if let Some(nodes) = json.get_mut("nodes").and_then(Value::as_array_mut) {
            for n in nodes {
                let Some(obj) = n.as_object_mut() else {
                    continue;
                };
                if let Some(title) = obj.remove("article") {
                    let id = articles
                        .iter()
                        .find(|a| Some(a.content.title.as_str()) == title.as_str())
                        .map(|a| a.id.to_string())
                        .with_context(|| format!("demo tree names a missing article {title}"))?;
                    obj.insert("article_id".into(), Value::String(id));
                }
            }
        }
        let tree: Tree = serde_json::from_value(json).context("demo tree shape")?;
        let report = validate(&tree, Known::default());
        anyhow::ensure!(
            report.is_publishable(),
            "demo tree '{}' is invalid: {:?}",
            tree.title,
            report.problems
        );
        let body = tree.to_json();
        let rec = store
            .create_tree(
                t,
                &NewTree {
                    title: &tree.title,
                    reasons: &demo.reasons,
                    products: &demo.products,
                    draft: &body,
                },
                ctx.manager,
            )
            .await?;
        store
            .publish_tree(t, rec.id, rec.revision, &tree.title, &body, ctx.manager)
            .await?;
        let version = store.tree_version(t, rec.id, 1).await?;
        for c in ctx
            .conversations
            .iter()
            .filter(|c| c.finished && demo.reasons.iter().any(|r| r == c.reason))
        {
            let conv = store.conversation(t, c.id).await?;
            let customer = store.customer(t, conv.customer_id).await?;
            let attrs = CustomerAttrs {
                age_band: customer.profile.age_band,
                tech_appetite: customer.profile.tech_appetite,
                value_tier: customer.profile.value_tier,
                contract_tier: Some(customer.profile.contract_tier),
                language: Some(conv.language),
                channel: Some(conv.channel),
            };
            // Walks happened while the conversation was open: within its first days.
            let start = conv.created_at.0 + rng.random_range(60..3_600) * 1_000_000;
            let (path, trail, done) = walk(&tree, attrs, start.min(now.0), rng)?;
            let s = store
                .start_tree_session(
                    t,
                    &version,
                    c.id,
                    conv.customer_id,
                    c.advisor,
                    &BTreeMap::new(),
                    &path,
                    &trail,
                )
                .await?;
            if let Some((outcome, summary)) = done {
                let payload = serde_json::json!({
                    "session_id": s.id, "title": version.title, "version": 1, "summary": summary,
                });
                store
                    .record_tree_step(&s, s.revision, &path, &trail, Some((outcome, payload)))
                    .await?;
            }
            walks += 1;
        }
    }
    Ok(walks)
}

type Walked = (String, String, Option<(&'static str, WalkSummary)>);

/// A plausible walk: random answers, filled forms, some advisors who stop
/// half-way (the customer hung up); 5 to 90 seconds per screen.
fn walk(tree: &Tree, attrs: CustomerAttrs, start: i64, rng: &mut StdRng) -> anyhow::Result<Walked> {
    let mut at = start;
    let mut s = Session::start(tree, &(), attrs, at)?;
    for _ in 0..30 {
        if s.outcome().is_some() || rng.random_bool(0.06) {
            break;
        }
        at += rng.random_range(5..90) * 1_000_000;
        let step = s.step()?;
        match step.view {
            StepView::Question { answers } => s.answer(rng.random_range(0..answers.len()), at)?,
            StepView::Form { fields, .. } => {
                let values = fields
                    .iter()
                    .map(|f| {
                        let v = match f.name.as_str() {
                            "modele" => ["v4", "v5", "v6"][rng.random_range(0..3)].to_string(),
                            "appareils" => rng.random_range(2..25).to_string(),
                            "achat" => format!(
                                "2025-{:02}-{:02}",
                                rng.random_range(1..13),
                                rng.random_range(1..29)
                            ),
                            "serie" => format!("ML-{}", rng.random_range(10_000..99_999)),
                            "sous_garantie" => rng.random_bool(0.7).to_string(),
                            _ => "demo".to_string(),
                        };
                        (f.name.clone(), v)
                    })
                    .collect();
                s.submit(&values, at)?
            }
            StepView::Instruction | StepView::Solution { .. } => s.proceed(at)?,
            StepView::Finished { .. } => break,
        }
    }
    let path = serde_json::json!({"customer": attrs, "events": s.path().events}).to_string();
    let trail = Trail::from_path(tree, s.path()).encode();
    let done = s.outcome().map(|o| (o.as_str(), WalkSummary::of(&s)));
    Ok((path, trail, done))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn demo_trees_validate_and_walks_replay() {
        let data: Data = serde_json::from_str(include_str!("trees.json")).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let mut outcomes = BTreeMap::new();
        for b in data.brands {
            for d in b.trees {
                let mut json = d.tree;
                for n in json["nodes"].as_array_mut().unwrap() {
                    if n.as_object_mut().unwrap().remove("article").is_some() {
                        n["article_id"] = Value::String("kb-1".into());
                    }
                }
                let tree: Tree = serde_json::from_value(json).unwrap();
                let report = validate(&tree, Known::default());
                assert!(
                    report.is_publishable(),
                    "{}: {:?}",
                    tree.title,
                    report.problems
                );
                for _ in 0..200 {
                    let (path, trail, done) = walk(
                        &tree,
                        CustomerAttrs::default(),
                        1_700_000_000_000_000,
                        &mut rng,
                    )
                    .unwrap();
                    let path: plateau_core::tree::Path = serde_json::from_str(&path).unwrap();
                    // What the server will do with it: replay it and read the trail.
                    let replayed =
                        Session::replay(&tree, &(), CustomerAttrs::default(), &path).unwrap();
                    assert_eq!(
                        replayed.outcome().map(|o| o.as_str()),
                        done.as_ref().map(|d| d.0)
                    );
                    Trail::decode(&trail).unwrap();
                    *outcomes
                        .entry(done.map_or("abandoned", |d| d.0))
                        .or_insert(0) += 1;
                }
            }
        }
        // The analytics page shows a mix, not one outcome.
        assert!(outcomes.len() >= 3, "{outcomes:?}");
    }
}
