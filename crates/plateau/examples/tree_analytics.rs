//! Benchmark: analytics of one published tree version over 1,000,000
//! recorded sessions, end to end as the server computes them (read the
//! version's counters, the resolved walks and the customers' later
//! conversations; count the returns; build the report).
//!
//!   cargo run --release -p plateau --example tree_analytics -- [sessions] [database-url]
//!
//! Without a URL it uses SQLite in a temporary directory. The walks are real
//! runner sessions through the demo's Wi-Fi tree with random answers.

#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is the report

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use plateau_core::model::*;
use plateau_core::tree::analytics::Trail;
use plateau_core::tree::{CustomerAttrs, FieldKind, Session, StepView, Tree};
use plateau_core::Timestamp;
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use plateau_store::trees::{ImportedSession, NewTree};
use plateau_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CUSTOMERS: usize = 10_000;
const DAY_US: i64 = 86_400_000_000;

fn demo_tree() -> Tree {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("../src/demo/trees.json")).unwrap();
    let mut tree = data["brands"][0]["trees"][0]["tree"].clone();
    for n in tree["nodes"].as_array_mut().unwrap() {
        if n.as_object_mut().unwrap().remove("article").is_some() {
            n["article_id"] = serde_json::Value::String("kb-1".into());
        }
    }
    serde_json::from_value(tree).unwrap()
}

/// One walk with random answers and form values that fit each field's type.
fn random_walk(tree: &Tree, start: i64, rng: &mut StdRng) -> (Trail, String, Option<String>) {
    let mut at = start;
    let mut s = Session::start(tree, &(), CustomerAttrs::default(), at).unwrap();
    while s.outcome().is_none() && !rng.random_bool(0.05) {
        at += rng.random_range(5..90) * 1_000_000;
        match s.step().unwrap().view {
            StepView::Question { answers } => s.answer(rng.random_range(0..answers.len()), at),
            StepView::Form { fields, .. } => {
                let values = fields
                    .iter()
                    .map(|f| {
                        let v = match &f.kind {
                            FieldKind::Choice { options } => {
                                options[rng.random_range(0..options.len())].value.clone()
                            }
                            FieldKind::Number { .. } => rng.random_range(1..40).to_string(),
                            FieldKind::Boolean => rng.random_bool(0.5).to_string(),
                            FieldKind::Date => "2026-01-15".into(),
                            _ => "bench".into(),
                        };
                        (f.name.clone(), v)
                    })
                    .collect();
                s.submit(&values, at)
            }
            StepView::Instruction | StepView::Solution { .. } => s.proceed(at),
            StepView::Finished { .. } => break,
        }
        .unwrap();
    }
    let path = serde_json::json!({"customer": CustomerAttrs::default(), "events": s.path().events});
    (
        Trail::from_path(tree, s.path()),
        path.to_string(),
        s.outcome().map(|o| o.as_str().to_string()),
    )
}

/// A Wi-Fi conversation (the tree's reason) opened at `at`.
fn wifi_conversation(customer: CustomerRef, at: i64) -> NewConversation {
    NewConversation {
        customer,
        subject: "Wi-Fi".into(),
        channel: Channel::Phone,
        direction: Direction::Inbound,
        body: "Le wifi se coupe.".into(),
        priority: Priority::Normal,
        reason: Some("box-wifi".into()),
        tags: vec![],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: Some(Timestamp(at)),
    }
}

fn bar(len: u64, msg: &'static str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:>12} {bar:40} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(msg);
    b
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let sessions: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let url = args
        .next()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let store = Store::open(&url).await?;
    store.migrate().await?;
    let slug = format!("bench{}", std::process::id());
    let tenant = store.create_tenant(&slug, "Bench", None).await?;
    let tree = demo_tree();
    let body = tree.to_json();
    let reasons = vec!["box-wifi".to_string()];
    let rec = store
        .create_tree(
            tenant.id,
            &NewTree {
                title: &tree.title,
                reasons: &reasons,
                products: &[],
                draft: &body,
            },
            None,
        )
        .await?;
    store
        .publish_tree(tenant.id, rec.id, 1, &tree.title, &body, None)
        .await?;
    let version = store.tree_version(tenant.id, rec.id, 1).await?;

    // Customers, each with a first conversation; a third come back within days
    // with the same reason (the unjustified returns), some after the window.
    let mut rng = StdRng::seed_from_u64(7);
    let t0 = Timestamp::now().0 - 60 * DAY_US;
    let pb = bar(CUSTOMERS as u64, "customers");
    let mut firsts = Vec::with_capacity(CUSTOMERS);
    for chunk in 0..CUSTOMERS / 500 {
        let news = (0..500)
            .map(|i| {
                let customer = CustomerRef::New(NewCustomer {
                    name: format!("Client {chunk}-{i}"),
                    profile: CustomerProfile {
                        age_band: None,
                        tech_appetite: None,
                        value_tier: None,
                        contract_tier: ContractTier::Standard,
                        language: Language::Fr,
                        preferred_channel: None,
                    },
                    identities: vec![(IdentityKind::Email, format!("c{chunk}-{i}@bench.example"))],
                });
                wifi_conversation(customer, t0)
            })
            .collect();
        firsts.extend(store.create_conversations(tenant.id, news, None).await?);
        pb.inc(500);
    }
    pb.finish_and_clear();
    let mut comebacks: Vec<NewConversation> = Vec::new();
    for c in &firsts {
        if rng.random_bool(0.33) {
            let at = t0 + rng.random_range(1..14) * DAY_US;
            comebacks.push(wifi_conversation(CustomerRef::Existing(c.customer_id), at));
        }
    }
    for chunk in comebacks.chunks(500) {
        store
            .create_conversations(tenant.id, chunk.to_vec(), None)
            .await?;
    }

    let pb = bar(sessions as u64, "sessions");
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..sessions {
        let c = &firsts[i % firsts.len()];
        let start = t0 + rng.random_range(0..3_600) * 1_000_000;
        let (trail, path, outcome) = random_walk(&tree, start, &mut rng);
        batch.push(ImportedSession {
            conversation_id: c.id,
            customer_id: c.customer_id,
            finished_at: outcome.as_ref().map(|_| Timestamp(trail.end_us)),
            trail: trail.encode(),
            path,
            outcome,
            started_at: Timestamp(start),
        });
        if batch.len() == 10_000 || i + 1 == sessions {
            store
                .import_tree_sessions(tenant.id, &version, &batch)
                .await?;
            pb.inc(batch.len() as u64);
            batch.clear();
        }
    }
    pb.finish_and_clear();

    // What the analytics endpoint does, five times; for the split, the one
    // read that grows with sessions (the resolved walks, for the returns),
    // and for comparison the read of every trail the counters replace.
    let mut runs = Vec::new();
    let mut loads = Vec::new();
    let mut scans = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let rows = store
            .tree_session_trails(tenant.id, rec.id, 1, |_, _| Some(()))
            .await?;
        scans.push(t.elapsed().as_secs_f64());
        assert_eq!(rows.len(), sessions);
        let t = Instant::now();
        store.resolved_tree_sessions(tenant.id, rec.id, 1).await?;
        loads.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let a = plateau_web::api::trees::version_analytics(&store, tenant.id, rec.id, 1, 7)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        runs.push(t.elapsed().as_secs_f64());
        last = Some(a);
    }
    runs.sort_by(f64::total_cmp);
    loads.sort_by(f64::total_cmp);
    scans.sort_by(f64::total_cmp);
    let a = last.unwrap();
    assert_eq!(a.sessions as usize, sessions, "the counters saw every walk");
    println!(
        "backend={} sessions={} resolved={} returns={}/{} distinct_paths={}",
        if url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        },
        a.sessions,
        a.resolved,
        a.returns.returns,
        a.returns.resolved_sessions,
        a.distinct_paths
    );
    println!(
        "analytics end to end: median {:.3} s (min {:.3}, max {:.3}); of which reading the resolved walks: median {:.3} s; reading every trail (what the counters replace): median {:.3} s",
        runs[2], runs[0], runs[4], loads[2], scans[2]
    );
    store.close().await;
    Ok(())
}
