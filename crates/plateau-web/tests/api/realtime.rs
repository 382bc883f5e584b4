//! The SSE stream: a second user sees a change within a second, and only
//! what their tenants and role allow.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// Collects SSE events from `who` until `want` returns true or time runs out.
pub async fn listen(
    app: &App,
    who: &str,
    last_id: Option<i64>,
) -> tokio::sync::mpsc::Receiver<(String, serde_json::Value)> {
    let (tx, rx) = tokio::sync::mpsc::channel(100);
    let mut rb = reqwest::Client::new()
        .get(app.url("/api/v1/events"))
        .bearer_auth(&app.tokens[who]);
    if let Some(id) = last_id {
        rb = rb.header("last-event-id", id.to_string());
    }
    let resp = rb.send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.bytes_stream();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let frame: String = buf.drain(..end + 2).collect();
                let mut kind = String::new();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(k) = line.strip_prefix("event:") {
                        kind = k.trim().to_string();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if !kind.is_empty()
                    && tx
                        .send((kind, serde_json::from_str(&data).unwrap_or_default()))
                        .await
                        .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

pub async fn next_kind(
    rx: &mut tokio::sync::mpsc::Receiver<(String, serde_json::Value)>,
    kind: &str,
) -> Option<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((k, v))) if k == kind => return Some(v),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn a_reply_reaches_another_advisor_within_a_second() {
    for app in apps().await {
        let mut rx = listen(&app, "adv2_a", None).await;
        let mut other = listen(&app, "adv_b", None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{}/messages", app.conv_a_path()),
                json!({"body": "On s'en occupe"}),
            )
            .await;
        assert!(st.is_success());
        let ev = next_kind(&mut rx, "message.added")
            .await
            .unwrap_or_else(|| panic!("{}: no event within 1 s", app.label()));
        assert_eq!(ev["subject_id"], app.conv_a.id.to_string());
        assert_eq!(ev["tenant_id"], app.tenant_a.id.to_string());
        // A Globex-only advisor hears nothing about Acme.
        assert!(next_kind(&mut other, "message.added").await.is_none());
    }
}

#[tokio::test]
async fn notes_do_not_reach_client_viewers_and_reconnects_replay() {
    for app in apps().await {
        let start = app.db.store.last_event_id().await.unwrap();
        let mut viewer = listen(&app, "viewer_a", None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.send(
            "adv_a",
            Method::POST,
            &format!("{}/messages", app.conv_a_path()),
            json!({"body": "interne", "direction": "note"}),
        )
        .await;
        app.send(
            "adv_a",
            Method::PATCH,
            &app.conv_a_path(),
            json!({"priority": "high"}),
        )
        .await;
        let ev = next_kind(&mut viewer, "conversation.updated")
            .await
            .expect("status change visible");
        assert_eq!(ev["payload"]["changes"]["priority"]["to"], "high");
        // The note came first; the viewer's stream skipped it.
        drop(viewer);
        // A reconnect with Last-Event-ID replays what was missed, in order.
        let mut again = listen(&app, "adv2_a", Some(start)).await;
        let first = next_kind(&mut again, "message.added")
            .await
            .expect("replayed note");
        assert_eq!(first["payload"]["direction"], "note", "{}", app.label());
        assert!(next_kind(&mut again, "conversation.updated")
            .await
            .is_some());
    }
}
