//! Benchmark: web chat latency each way with many widgets connected (issue 3
//! asks p99 under 100 ms with 1,000 sessions open on loopback).
//!
//!   cargo run --release -p plateau --example chat_latency -- [sessions] [rounds] [database-url]
//!
//! An in-process server on a real socket. `sessions` widgets connect over
//! WebSocket at once, say hello and open their conversation with a first
//! message; an advisor holds the desk's SSE stream. Then, `rounds` times,
//! one session (round robin) sends a message, timed until its
//! `message.added` reaches the advisor's stream; and the advisor replies on
//! that conversation over the API, timed until the widget receives it.
//! Without a URL it uses SQLite in a temporary directory; with a PostgreSQL
//! URL it creates a database of its own beside the one named, and drops it.

#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is the report

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use plateau_core::model::{Language, Membership, Role};
use plateau_store::users::NewUser;
use plateau_store::Store;
use plateau_web::{AppState, WebConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use uuid::Uuid;

const WARM_UP: usize = 20;

/// Reads the advisor's SSE stream and reports each message.added (its message id).
async fn listen(base: String, token: String, out: mpsc::UnboundedSender<(String, Instant)>) {
    let mut r = reqwest::Client::new()
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "SSE: {}", r.status());
    let mut buf = String::new();
    while let Ok(Some(chunk)) = r.chunk().await {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if !block.lines().any(|l| l == "event: message.added") {
                continue;
            }
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let ev: Value = serde_json::from_str(data).unwrap();
            if let Some(id) = ev["payload"]["message_id"].as_str() {
                let _ = out.send((id.to_string(), at));
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
        "{label:<34} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   mean {:>7.2} ms",
        percentile(&v, 0.50),
        percentile(&v, 0.95),
        percentile(&v, 0.99),
        v[v.len() - 1],
        mean
    );
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Ws,
>;

/// One widget: its writing half, and its frames forwarded as (session, frame, arrival).
async fn widget(
    url: String,
    index: usize,
    frames: mpsc::UnboundedSender<(usize, Value, Instant)>,
) -> Sink {
    let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (sink, mut stream) = ws.split();
    tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            let at = Instant::now();
            if let Ws::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if frames.send((index, v, at)).is_err() {
                    return;
                }
            }
        }
    });
    sink
}

/// The next frame of `kind` from `session`, other frames dropped.
async fn wait_for(
    frames: &mut mpsc::UnboundedReceiver<(usize, Value, Instant)>,
    session: usize,
    kind: &str,
) -> anyhow::Result<(Value, Instant)> {
    loop {
        let (i, v, at) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the widgets closed"))?;
        if i == session && v["type"] == kind {
            return Ok((v, at));
        }
        anyhow::ensure!(v["type"] != "error", "session {i}: {v}");
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let sessions: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000);
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let pid = std::process::id();
    let (url, pg) = match args.next() {
        Some(admin_url) => {
            use sqlx::Connection;
            let name = format!("plateau_chat_bench_{pid}");
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
    store.set_chat_enabled(tenant.id, true, None).await?;
    let u = store
        .create_user(
            NewUser {
                email: "advisor@bench.example",
                display_name: "Advisor",
                password_hash: None,
                locale: Language::En,
                platform_admin: false,
            },
            None,
        )
        .await?;
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
        .await?;
    let token = format!("plt_bench_{}", Uuid::now_v7().simple());
    store
        .create_api_token(u.id, "bench", &plateau_web::auth::digest(&token))
        .await?;

    let state = AppState::new(store.clone(), WebConfig::default())?;
    // All the widgets come from one address here.
    state.chat.set_max_sessions_per_ip(sessions + 10);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(plateau_web::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    let (sse_tx, mut sse) = mpsc::unbounded_channel();
    tokio::spawn(listen(base.clone(), token.clone(), sse_tx));

    // Every widget connects at once, then says hello and opens its conversation.
    let ws_url = format!("ws://{addr}/api/v1/public/bench/chat");
    let (frames_tx, mut frames) = mpsc::unbounded_channel();
    let opened = Instant::now();
    let connects: Vec<_> = (0..sessions)
        .map(|i| tokio::spawn(widget(ws_url.clone(), i, frames_tx.clone())))
        .collect();
    let mut sinks = Vec::with_capacity(sessions);
    for c in connects {
        sinks.push(c.await?);
    }
    for s in sinks.iter_mut() {
        s.send(Ws::text(
            json!({"type": "hello", "name": "Bench"}).to_string(),
        ))
        .await?;
    }
    let mut welcomed = 0;
    while welcomed < sessions {
        let (i, v, _) = tokio::time::timeout(Duration::from_secs(60), frames.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("closed"))?;
        anyhow::ensure!(v["type"] == "welcome", "session {i}: {v}");
        welcomed += 1;
    }
    let mut conversations: HashMap<usize, String> = HashMap::new();
    for (i, s) in sinks.iter_mut().enumerate() {
        s.send(Ws::text(
            json!({"type": "message", "text": format!("Bonjour, session {i}")}).to_string(),
        ))
        .await?;
        let _ = wait_for(&mut frames, i, "message").await?;
    }
    println!(
        "{sessions} sessions connected, greeted and with a conversation in {:.1} s",
        opened.elapsed().as_secs_f64()
    );
    {
        let client = reqwest::Client::new();
        let mut page: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/tenants/bench/conversations?limit=200");
            if let Some(c) = &page {
                url.push_str(&format!("&cursor={c}"));
            }
            let v: Value = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            for c in v["items"].as_array().cloned().unwrap_or_default() {
                let subject = c["subject"].as_str().unwrap_or_default();
                if let Some(n) = subject.strip_prefix("Bonjour, session ") {
                    conversations.insert(n.parse()?, c["id"].as_str().unwrap_or_default().into());
                }
            }
            match v["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => page = Some(c.to_string()),
                _ => break,
            }
        }
    }
    anyhow::ensure!(
        conversations.len() == sessions,
        "found {} of {sessions} conversations",
        conversations.len()
    );
    // Drain what the first messages left on the advisor's stream.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while sse.try_recv().is_ok() {}

    let client = reqwest::Client::new();
    let mut to_advisor = Vec::new();
    let mut to_widget = Vec::new();
    let mut seen: HashMap<String, Instant> = HashMap::new();
    for r in 0..WARM_UP + rounds {
        let i = r % sessions;
        // Customer → advisor: from the frame sent to message.added on the SSE.
        let t0 = Instant::now();
        sinks[i]
            .send(Ws::text(
                json!({"type": "message", "text": format!("Question {r}")}).to_string(),
            ))
            .await?;
        let (ack, _) = wait_for(&mut frames, i, "message").await?;
        let id = ack["id"].as_str().unwrap_or_default().to_string();
        let arrived = loop {
            if let Some(at) = seen.remove(&id) {
                break at;
            }
            let (m, at) = tokio::time::timeout(Duration::from_secs(10), sse.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the SSE stream closed"))?;
            if m == id {
                break at;
            }
            seen.insert(m, at);
        };
        // Advisor → customer: from the reply's POST to the widget's frame.
        let conv = &conversations[&i];
        let t1 = Instant::now();
        let resp = client
            .post(format!(
                "{base}/api/v1/tenants/bench/conversations/{conv}/messages"
            ))
            .bearer_auth(&token)
            .json(&json!({"body": format!("Réponse {r}")}))
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "reply: {}", resp.status());
        let (_, got) = wait_for(&mut frames, i, "message").await?;
        if r >= WARM_UP {
            to_advisor.push(arrived.duration_since(t0).as_secs_f64() * 1e3);
            to_widget.push(got.duration_since(t1).as_secs_f64() * 1e3);
        }
        seen.clear();
    }
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "chat latency, {backend}, {sessions} widget sessions open, {rounds} round trips one after another, load average {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    report("customer → advisor's SSE", to_advisor);
    report("advisor's POST → widget", to_widget);

    drop(sinks);
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
