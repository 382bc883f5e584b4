//! Benchmark: a new forum thread reaching every connected advisor. Starts
//! the server in-process on loopback, connects N advisors to the live
//! stream (SSE), posts threads one after another and measures, for each
//! post and each connection, the delay from just before the POST is sent to
//! the moment that connection reads `event: forum.thread_created`.
//!
//!   cargo run --release -p plateau --example forum_fanout -- [advisors] [posts] [database-url]
//!
//! Defaults: 1,000 advisors, 20 posts, SQLite in a temporary directory.

#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is the report

use std::collections::HashMap;
use std::time::{Duration, Instant};

use plateau_core::model::*;
use plateau_store::users::NewUser;
use plateau_store::Store;
use plateau_web::auth::digest;
use plateau_web::{AppState, WebConfig};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Reads one SSE connection, reporting each thread_created's thread id and
/// when its frame was complete.
async fn watch(mut resp: reqwest::Response, seen: mpsc::UnboundedSender<(String, Instant)>) {
    let mut buf = String::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if !frame.contains("event: forum.thread_created") {
                continue;
            }
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .unwrap_or("")
                .trim();
            let v: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
            if let Some(id) = v["payload"]["thread_id"].as_str() {
                if seen.send((id.to_string(), at)).is_err() {
                    return;
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let advisors: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(1000);
    let posts: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let url = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/fanout.db", dir.path().display()));
    let store = Store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let slug = format!("fanout-{}", &Uuid::now_v7().simple().to_string()[..8]);
    let tenant = store.create_tenant(&slug, "Fanout", None).await.unwrap();

    let started = Instant::now();
    let mut tokens = Vec::with_capacity(advisors + 1);
    for i in 0..=advisors {
        let email = format!("adv{i}@{slug}.example");
        let u = store
            .create_user(
                NewUser {
                    email: &email,
                    display_name: &format!("Advisor {i}"),
                    password_hash: None,
                    locale: Language::Fr,
                    platform_admin: false,
                },
                None,
            )
            .await
            .unwrap();
        store
            .set_membership(
                &Membership {
                    tenant_id: tenant.id,
                    user_id: u.id,
                    role: Role::Advisor,
                    team_id: None,
                    site_id: None,
                },
                None,
            )
            .await
            .unwrap();
        let secret = format!("plt_bench_{i}_{}", Uuid::now_v7().simple());
        store
            .create_api_token(u.id, "bench", &digest(&secret))
            .await
            .unwrap();
        tokens.push(secret);
    }
    eprintln!(
        "{} advisors with tokens in {:.1} s",
        advisors + 1,
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), WebConfig::default()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(plateau_web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    // One client per connection, so each stream has its own socket.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut connecting = Vec::with_capacity(advisors);
    for token in tokens.iter().skip(1) {
        let url = format!("{base}/api/v1/events");
        let token = token.clone();
        connecting.push(tokio::spawn(async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }));
    }
    for c in connecting {
        let resp = c.await.unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        tokio::spawn(watch(resp, tx.clone()));
    }
    drop(tx);
    eprintln!(
        "{advisors} SSE connections open in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let poster = reqwest::Client::new();
    let threads_url = format!("{base}/api/v1/tenants/{slug}/forum/threads");
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut delays: Vec<f64> = Vec::with_capacity(advisors * posts);
    let mut per_post_max: Vec<f64> = Vec::new();
    for n in 0..posts {
        let t0 = Instant::now();
        let r = poster
            .post(&threads_url)
            .bearer_auth(&tokens[0])
            .json(&serde_json::json!({
                "title": format!("Livebox reboots, case {n}"),
                "body": "The box reboots every hour since the last firmware.",
                "tags": ["livebox", "firmware"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
        let v: serde_json::Value = r.json().await.unwrap();
        let id = v["thread"]["id"].as_str().unwrap().to_string();
        sent.insert(id.clone(), t0);
        // Wait for every connection to see it (or 10 s).
        let mut got = 0;
        let mut worst = 0.0f64;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got < advisors {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((tid, at))) => {
                    if let Some(start) = sent.get(&tid) {
                        let ms = at.duration_since(*start).as_secs_f64() * 1000.0;
                        delays.push(ms);
                        if tid == id {
                            got += 1;
                            worst = worst.max(ms);
                        }
                    }
                }
                _ => break,
            }
        }
        if got < advisors {
            eprintln!("post {n}: only {got}/{advisors} connections saw it within 10 s");
        }
        per_post_max.push(worst);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    delays.sort_by(|a, b| a.total_cmp(b));
    println!(
        "backend {}: {advisors} connected advisors, {posts} posts, {} deliveries",
        if url.starts_with("sqlite") {
            "sqlite"
        } else {
            "postgres"
        },
        delays.len()
    );
    println!(
        "post to delivery: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&delays, 50.0),
        percentile(&delays, 99.0),
        delays.last().copied().unwrap_or(f64::NAN)
    );
    per_post_max.sort_by(|a, b| a.total_cmp(b));
    println!(
        "slowest connection per post: median {:.1} ms, worst {:.1} ms",
        percentile(&per_post_max, 50.0),
        per_post_max.last().copied().unwrap_or(f64::NAN)
    );
    let _ = stop.send(());
    store.close().await;
}
