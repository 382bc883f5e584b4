//! Benchmark: from a contact created over HTTP to its offer reaching the
//! advisor's live stream (issue 4 asks p99 under 50 ms).
//!
//!   cargo run --release -p plateau --example offer_latency -- [contacts] [advisors] [database-url]
//!
//! An in-process server on a real socket; `advisors` available advisors
//! (chat capacity 50 each), each holding an SSE connection as a browser
//! would. Contacts are created one after another with `POST
//! /api/v1/tenants/{t}/conversations`; each is timed until `routing.offered`
//! for it arrives on its advisor's stream. Without a URL it uses SQLite in a
//! temporary directory; with a PostgreSQL URL it creates a database of its
//! own beside the one named, and drops it at the end.

#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is the report

use std::time::{Duration, Instant};

use plateau_core::model::{Language, Membership, Role};
use plateau_core::routing::{Presence, RoutingConfig, RoutingProfile};
use plateau_store::users::NewUser;
use plateau_store::Store;
use plateau_web::{AppState, WebConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

const WARM_UP: usize = 20;
const CAPACITY: u16 = 50;

async fn user(store: &Store, tenant: Uuid, name: &str, role: Role) -> (Uuid, String) {
    let email = format!("{name}@bench.example");
    let u = store
        .create_user(
            NewUser {
                email: &email,
                display_name: name,
                password_hash: None,
                locale: Language::En,
                platform_admin: false,
            },
            None,
        )
        .await
        .unwrap();
    store
        .set_membership(
            &Membership {
                tenant_id: tenant,
                user_id: u.id,
                role,
                team_id: None,
                site_id: None,
            },
            None,
        )
        .await
        .unwrap();
    let secret = format!("plt_bench_{}", Uuid::now_v7().simple());
    store
        .create_api_token(u.id, "bench", &plateau_web::auth::digest(&secret))
        .await
        .unwrap();
    (u.id, secret)
}

/// Reads one advisor's SSE stream and reports each `routing.offered` for them.
async fn listen(
    base: String,
    advisor: Uuid,
    token: String,
    out: mpsc::UnboundedSender<(Uuid, Instant)>,
    ready: mpsc::UnboundedSender<()>,
) {
    let mut r = reqwest::Client::new()
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "SSE: {}", r.status());
    let _ = ready.send(());
    let mut buf = String::new();
    while let Ok(Some(chunk)) = r.chunk().await {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if !block.lines().any(|l| l == "event: routing.offered") {
                continue;
            }
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let ev: Value = serde_json::from_str(data).unwrap();
            if ev["payload"]["advisor_id"] == json!(advisor) {
                if let Some(conv) = ev["subject_id"].as_str().and_then(|s| s.parse().ok()) {
                    let _ = out.send((conv, at));
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(label: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{label:<28} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   mean {:>7.2} ms",
        percentile(&v, 0.50),
        percentile(&v, 0.90),
        percentile(&v, 0.99),
        v[v.len() - 1],
        mean
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let contacts: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000);
    let advisors: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(50);
    anyhow::ensure!(
        contacts + WARM_UP <= advisors * usize::from(CAPACITY),
        "{advisors} advisors hold at most {} pending offers",
        advisors * usize::from(CAPACITY)
    );
    let dir = tempfile::tempdir()?;
    let pid = std::process::id();
    let (url, pg) = match args.next() {
        Some(admin_url) => {
            use sqlx::Connection;
            let name = format!("plateau_offer_bench_{pid}");
            let mut c = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await?;
            let (head, _) = admin_url
                .rsplit_once('/')
                .ok_or_else(|| anyhow::anyhow!("expected postgres://…/database"))?;
            (format!("{head}/{name}"), Some((admin_url, name)))
        }
        None => (format!("sqlite://{}/bench.db", dir.path().display()), None),
    };
    let store = Store::open(&url).await?;
    store.migrate().await?;
    let tenant = store.create_tenant("bench", "Bench", None).await?;
    let (_, admin) = user(&store, tenant.id, "admin", Role::TenantAdmin).await;
    let profile = RoutingProfile {
        skills: [("internet".to_string(), 3)].into_iter().collect(),
        languages: vec![Language::Fr],
        tier: plateau_core::model::Tier::N1,
        capacity: [(plateau_core::model::Channel::Chat, CAPACITY)]
            .into_iter()
            .collect(),
    };
    let mut staff = Vec::new();
    for i in 0..advisors {
        let (id, token) = user(&store, tenant.id, &format!("adv{i}"), Role::Advisor).await;
        store
            .set_routing_profile(tenant.id, id, &profile, None)
            .await?;
        store
            .set_presence(id, Presence::Available, None, None)
            .await?;
        staff.push((id, token));
    }
    let mut config = serde_json::to_value(RoutingConfig::default())?;
    config["offer_timeout_secs"] = json!(3_600);
    config["max_wait_secs"] = json!(3_600);
    config["workflows"] = json!([{
        "name": "chat", "filter": "channel == \"chat\"", "tier": "n1",
        "steps": [{"target": "skills.internet >= 1"}]
    }]);
    let config: RoutingConfig = serde_json::from_value(config)?;
    store
        .set_routing_config(tenant.id, 0, &config, None)
        .await?;

    let state = AppState::new(store.clone(), WebConfig::default())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(plateau_web::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    let (offers_tx, mut offers) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    for (id, token) in &staff {
        tokio::spawn(listen(
            base.clone(),
            *id,
            token.clone(),
            offers_tx.clone(),
            ready_tx.clone(),
        ));
    }
    for _ in 0..advisors {
        ready.recv().await;
    }
    // The router publishes its first snapshot once it has loaded everyone.
    let started = Instant::now();
    while store.routing_snapshot(tenant.id).await?.is_none() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the router never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let client = reqwest::Client::new();
    let create = format!("{base}/api/v1/tenants/bench/conversations");
    let mut created_ms = Vec::new();
    let mut offered_ms = Vec::new();
    for i in 0..WARM_UP + contacts {
        let body = json!({
            "subject": format!("Panne {i}"), "channel": "chat", "body": "Ma connexion rame.",
            "customer": {"name": "Jean Valjean", "email": format!("c{i}@bench.example"), "language": "fr"}
        });
        let t0 = Instant::now();
        let r = client
            .post(&create)
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "create: {}", r.status());
        let v: Value = r.json().await?;
        let created = t0.elapsed();
        let id: Uuid = v["id"].as_str().unwrap_or_default().parse()?;
        let at = loop {
            let (conv, at) = tokio::time::timeout(Duration::from_secs(10), offers.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the streams closed"))?;
            if conv == id {
                break at;
            }
        };
        if i >= WARM_UP {
            created_ms.push(created.as_secs_f64() * 1e3);
            offered_ms.push(at.duration_since(t0).as_secs_f64() * 1e3);
        }
    }
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "offer latency, {backend}, {contacts} contacts one after another, {advisors} advisors available, load average {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    report("POST answered", created_ms);
    report("offer on the advisor's SSE", offered_ms);

    let _ = stop.send(());
    let _ = server.await;
    drop(state);
    drop(store);
    if let Some((admin_url, name)) = pg {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .await?;
    }
    Ok(())
}
