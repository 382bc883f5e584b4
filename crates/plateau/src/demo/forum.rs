//! The demo forum: a few advisors' questions per brand in French and English
//! with answers, comments, votes, reuse links to demo conversations, an
//! accepted answer, a verified one, one promoted to the knowledge base, one
//! flagged, one defect escalated with affected conversations, and follows.
//! Read from `forum.json` and written through the store, events included.

use std::collections::HashMap;

use anyhow::Context;
use plateau_core::forum::{FlagReason, NewThread, PostKind};
use plateau_core::model::Language;
use plateau_store::forum::{FollowTarget, PromoteRequest};
use plateau_store::Store;
use serde::Deserialize;
use uuid::Uuid;

use super::knowledge::{BrandContext, DemoConversation};

const DATA: &str = include_str!("forum.json");

#[derive(Deserialize)]
struct Data {
    brands: Vec<BrandData>,
}

#[derive(Deserialize)]
struct BrandData {
    slug: String,
    follows: Vec<FollowData>,
    threads: Vec<ThreadData>,
}

#[derive(Deserialize)]
struct FollowData {
    /// An index into the brand's advisors.
    advisor: usize,
    kind: String,
    target: String,
}

#[derive(Deserialize)]
struct ThreadData {
    /// The language the thread is written in; a promotion's article takes it.
    language: Language,
    author: usize,
    product: Option<String>,
    tags: Vec<String>,
    /// The conversations asked from, reused and affected share this reason.
    reason: String,
    title: String,
    customer_words: String,
    body: String,
    tried: String,
    defect: Option<DefectData>,
    answers: Vec<AnswerData>,
}

#[derive(Deserialize)]
struct DefectData {
    target: String,
    reference: String,
    affected: usize,
}

#[derive(Deserialize)]
struct AnswerData {
    author: usize,
    body: String,
    #[serde(default)]
    accepted: bool,
    /// Sources a knowledge manager checked, if verified.
    #[serde(default)]
    verified: Vec<String>,
    #[serde(default)]
    promote: bool,
    #[serde(default)]
    votes: usize,
    #[serde(default)]
    reuses: usize,
    #[serde(default)]
    comments: Vec<CommentData>,
    flag: Option<FlagData>,
}

#[derive(Deserialize)]
struct CommentData {
    author: usize,
    body: String,
}

#[derive(Deserialize)]
struct FlagData {
    by: usize,
    reason: FlagReason,
    comment: String,
}

/// Conversations of the brand about `reason` first, then the others, so a
/// thread's reuses and affected count point at plausible conversations.
fn conversations_for<'a>(all: &'a [DemoConversation], reason: &str) -> Vec<&'a DemoConversation> {
    let (mut same, other): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.reason == reason);
    same.extend(other);
    same
}

/// Seeds one brand's forum; returns how many threads were written.
pub async fn seed_brand(store: &Store, ctx: &BrandContext<'_>) -> anyhow::Result<usize> {
    let data: Data = serde_json::from_str(DATA).context("demo/forum.json is not valid")?;
    let Some(brand) = data.brands.into_iter().find(|b| b.slug == ctx.slug) else {
        return Ok(0);
    };
    if ctx.advisors.is_empty() {
        return Ok(0);
    }
    let t = ctx.tenant_id;
    let advisor = |i: usize| ctx.advisors[i % ctx.advisors.len()];
    let products: HashMap<String, Uuid> = store
        .products(t)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();

    for f in &brand.follows {
        let target = match f.kind.as_str() {
            "product" => match products.get(&f.target) {
                Some(id) => FollowTarget::Product(*id),
                None => continue,
            },
            _ => FollowTarget::Tag(f.target.clone()),
        };
        store.follow_forum(t, advisor(f.advisor), &target).await?;
    }

    let mut written = 0;
    for th in &brand.threads {
        let convs = conversations_for(&ctx.conversations, &th.reason);
        let asker = advisor(th.author);
        let new = NewThread {
            title: th.title.clone(),
            body: th.body.clone(),
            product_id: th.product.as_ref().and_then(|c| products.get(c).copied()),
            tags: th.tags.clone(),
            conversation_id: convs.first().map(|c| c.id),
            customer_words: th.customer_words.clone(),
            tried: th.tried.clone(),
        }
        .validated()
        .with_context(|| format!("demo thread {}", th.title))?;
        let view = store.create_thread(t, &new, asker).await?;
        let thread_id = view.thread.id;
        // Each conversation counts once per post; later answers take the next ones.
        let mut next_conv = 1;
        for a in &th.answers {
            let author = advisor(a.author);
            let post = store
                .add_forum_post(t, thread_id, PostKind::Answer, None, &a.body, author)
                .await?;
            for c in &a.comments {
                store
                    .add_forum_post(
                        t,
                        thread_id,
                        PostKind::Comment,
                        Some(post.id),
                        &c.body,
                        advisor(c.author),
                    )
                    .await?;
            }
            // Voters are the other advisors: one vote each, never the author.
            let voters: Vec<Uuid> = ctx
                .advisors
                .iter()
                .copied()
                .filter(|u| *u != author)
                .take(a.votes)
                .collect();
            for v in voters {
                store.vote_forum_post(t, post.id, v).await?;
            }
            for c in convs.iter().skip(next_conv).take(a.reuses) {
                store
                    .link_forum_reuse(t, post.id, c.id, c.advisor.unwrap_or(author))
                    .await?;
            }
            next_conv += a.reuses;
            if a.accepted {
                store
                    .accept_forum_answer(t, thread_id, post.id, asker)
                    .await?;
            }
            if let Some(manager) = ctx.manager {
                if !a.verified.is_empty() {
                    store
                        .verify_forum_post(t, post.id, &a.verified, manager)
                        .await?;
                }
                if a.promote {
                    store
                        .promote_forum_answer(
                            t,
                            &PromoteRequest {
                                post_id: post.id,
                                actor: manager,
                                require_verified: true,
                                language: th.language,
                                back_link: format!("/t/{}/forum/{thread_id}", ctx.slug),
                            },
                        )
                        .await
                        .with_context(|| format!("demo promotion of {}", th.title))?;
                }
            }
            if let Some(f) = &a.flag {
                store
                    .flag_forum_post(t, post.id, advisor(f.by), false, f.reason, &f.comment)
                    .await?;
            }
        }
        if let Some(d) = &th.defect {
            let actor = ctx.manager.unwrap_or(asker);
            store
                .set_forum_defect(t, thread_id, Some((&d.target, &d.reference)), actor)
                .await?;
            for c in convs.iter().take(d.affected) {
                store.mark_forum_affected(t, thread_id, c.id, actor).await?;
            }
        }
        written += 1;
    }
    Ok(written)
}
