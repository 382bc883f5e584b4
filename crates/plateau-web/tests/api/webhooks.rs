//! The signed inbound webhook for social and messaging connectors: a
//! registered connector's messages become conversations threaded by the
//! network's thread id; every refusal (unsigned, forged, stale, replayed,
//! oversized, malformed, unknown) has its own code and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn tweet(id: &str, thread: &str, text: &str) -> Vec<u8> {
    json!({"external_id": id, "thread_id": thread, "network": "twitter",
           "author": {"handle": "@JDupont", "name": "Jean Dupont"},
           "text": text, "public": true})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn signed_messages_become_threaded_conversations_and_bad_requests_change_nothing() {
    for app in apps().await {
        let label = app.label();
        // Registering a connector: administrators only, a clean name, once.
        let path = "/api/v1/tenants/acme/connectors";
        let (st, _) = app
            .send("adv_a", Method::POST, path, json!({"name": "x-bridge"}))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{label}");
        let (st, v) = app
            .send("admin_a", Method::POST, path, json!({"name": "x bridge!"}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        let (st, v) = app
            .send(
                "admin_a",
                Method::POST,
                path,
                json!({"name": "x-bridge", "outbound_url": "https://bridge.example/replies"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        let secret = v["secret"].as_str().unwrap().to_string();
        let hook = v["webhook_path"].as_str().unwrap().to_string();
        assert_eq!(hook, "/api/v1/webhooks/acme/x-bridge");
        let (st, _) = app
            .send("admin_a", Method::POST, path, json!({"name": "x-bridge"}))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{label}");
        let (_, list) = app.get("admin_a", path).await;
        assert_eq!(list[0]["name"], "x-bridge");
        assert!(
            list[0].get("secret").is_none(),
            "{label}: the secret is shown once"
        );

        // A public tweet opens a conversation with a new customer.
        let first = tweet(
            "t1",
            "thread-1",
            "@Acme ma fibre est coupée depuis ce matin",
        );
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s(), &first).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        let conv = v["conversation_id"].as_str().unwrap().to_string();
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        assert_eq!(c["conversation"]["channel"], "social", "{label}: {c}");
        assert_eq!(c["customer"]["name"], "Jean Dupont");
        assert_eq!(c["customer"]["identities"][0]["value"], "twitter:@jdupont");

        // The next message of the thread joins it; the same network message
        // sent again (new signature) is reported as a duplicate.
        let second = tweet("t2", "thread-1", "Toujours rien.");
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s(), &second).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        assert_eq!(v["conversation_id"], conv.as_str());
        // (Another timestamp: one second earlier could be the first post's
        // own, when the clock ticked between the two, and a replay.)
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s() - 30, &second).await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        assert_eq!(v["duplicate"], true);
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        assert_eq!(c["messages"].as_array().unwrap().len(), 2, "{label}: {c}");
        // The desk marks public posts: everyone reads the answer.
        let page = app.browser("adv_a").await;
        let number = c["conversation"]["number"].as_i64().unwrap();
        let (_, html) = page.page(&format!("/t/acme/c/{number}")).await;
        assert!(html.contains("badge public"), "{label}");

        // Refusals: each with its code, none writes anything.
        let before = app.event_count().await;
        let third = tweet("t3", "thread-1", "encore");
        let (st, v) = post_signed(&app, &hook, None, 0, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "unsigned"),
            "{label}"
        );
        let (st, v) = post_signed(&app, &hook, Some("not-the-secret"), now_s(), &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "bad_signature"),
            "{label}"
        );
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s() - 3600, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "stale_request"),
            "{label}"
        );
        let ts = now_s();
        let (st, _) = post_signed(&app, &hook, Some(&secret), ts, &third).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}");
        let after_third = app.event_count().await;
        let (st, v) = post_signed(&app, &hook, Some(&secret), ts, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "replayed"),
            "{label}: {v}"
        );
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s(), b"{not json").await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            "{label}"
        );
        let bad = json!({"external_id": "", "thread_id": "x", "network": "twitter",
                         "author": {"handle": "@a"}, "text": "x"})
        .to_string();
        let (st, v) = post_signed(&app, &hook, Some(&secret), now_s(), bad.as_bytes()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        let huge = tweet("t4", "thread-1", &"a".repeat(300 * 1024));
        let (st, _) = post_signed(&app, &hook, Some(&secret), now_s(), &huge).await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{label}");
        let (st, _) = post_signed(
            &app,
            "/api/v1/webhooks/acme/nobody",
            Some(&secret),
            now_s(),
            &third,
        )
        .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let (st, _) = post_signed(
            &app,
            "/api/v1/webhooks/globex/x-bridge",
            Some(&secret),
            now_s(),
            &third,
        )
        .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{label}: another brand's connector"
        );
        assert!(after_third > before, "{label}: the accepted message wrote");
        assert_eq!(
            app.event_count().await,
            after_third,
            "{label}: refusals wrote nothing"
        );
    }
}

/// One post the fake connector received: its headers and body.
type Received = (axum::http::HeaderMap, Vec<u8>);

/// What the fake connector received, and what it answers next.
#[derive(Clone, Default)]
struct Bridge {
    seen: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    answers: std::sync::Arc<std::sync::Mutex<Vec<u16>>>,
}

/// A connector's bridge on loopback: records each post and answers the
/// queued statuses in order, then 200.
async fn start_bridge() -> (Bridge, String) {
    use axum::{extract::State, http::HeaderMap, routing::post, Router};
    let bridge = Bridge::default();
    async fn receive(
        State(b): State<Bridge>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> axum::http::StatusCode {
        b.seen.lock().unwrap().push((headers, body.to_vec()));
        let mut a = b.answers.lock().unwrap();
        let code = if a.is_empty() { 200 } else { a.remove(0) };
        axum::http::StatusCode::from_u16(code).unwrap()
    }
    let app = Router::new()
        .route("/replies", post(receive))
        .with_state(bridge.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/replies", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (bridge, url)
}

async fn delivery(app: &App, conv: &str, message: &str) -> Value {
    let (_, c) = app
        .get(
            "adv_a",
            &format!("/api/v1/tenants/acme/conversations/{conv}"),
        )
        .await;
    c["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message_id"] == message)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Polls until the reply's delivery reaches `state` (the sender runs in
/// the background), for at most 10 s.
async fn await_delivery(app: &App, conv: &str, message: &str, state: &str) -> Value {
    for _ in 0..200 {
        let d = delivery(app, conv, message).await;
        if d["state"] == state {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "{}: the reply never became {state}: {}",
        app.label(),
        delivery(app, conv, message).await
    );
}

#[tokio::test]
async fn replies_go_back_to_the_network_signed_and_are_retried_while_the_bridge_is_down() {
    use plateau_core::channels::retry::Backoff;
    for db in plateau_store::testing::all().await.expect("test database") {
        let config = plateau_web::WebConfig {
            connector_backoff: Backoff {
                base: std::time::Duration::from_millis(200),
                max: std::time::Duration::from_millis(400),
                max_attempts: 1000,
            },
            ..Default::default()
        };
        let app = spawn_app(db, config).await;
        let label = app.label();
        let (bridge, url) = start_bridge().await;
        let path = "/api/v1/tenants/acme/connectors";
        let (st, v) = app
            .send(
                "admin_a",
                Method::POST,
                path,
                json!({"name": "x-bridge", "outbound_url": url}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        let secret = v["secret"].as_str().unwrap().to_string();
        let hook = v["webhook_path"].as_str().unwrap().to_string();
        let (_, v) = app
            .send("admin_a", Method::POST, path, json!({"name": "fb-bridge"}))
            .await;
        let silent_secret = v["secret"].as_str().unwrap().to_string();

        // The customer's tweet, then an advisor's answer while the bridge
        // is failing: the reply waits with the error, then goes out.
        let (_, v) = post_signed(
            &app,
            &hook,
            Some(&secret),
            now_s(),
            &tweet("t1", "th-9", "@Acme plus de réseau"),
        )
        .await;
        let conv = v["conversation_id"].as_str().unwrap().to_string();
        bridge.answers.lock().unwrap().extend([503, 503]);
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv}/messages"),
                json!({"body": "Bonjour Jean, nous regardons votre ligne."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        let message = v["message"]["id"].as_str().unwrap().to_string();
        let d = await_delivery(&app, &conv, &message, "sent").await;
        assert_eq!(d["via"], "connector", "{label}: {d}");
        assert_eq!(d["to_address"], "x-bridge");
        assert_eq!(d["attempts"], 3, "{label}: two 503s, then delivered: {d}");
        assert!(d["last_error"].is_null(), "{label}: {d}");

        let seen = bridge.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{label}");
        let (headers, body) = &seen[2];
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        plateau_core::channels::signature::verify(
            secret.as_bytes(),
            h("x-plateau-timestamp").as_deref(),
            h("x-plateau-signature").as_deref(),
            body,
            now_s(),
        )
        .unwrap_or_else(|e| {
            panic!("{label}: the reply is not signed with the connector's secret: {e}")
        });
        assert_eq!(h("x-plateau-delivery").as_deref(), Some(message.as_str()));
        let p: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(p["type"], "reply");
        assert_eq!(p["thread_id"], "th-9");
        assert_eq!(
            p["in_reply_to"], "t1",
            "{label}: answers the customer's message"
        );
        assert_eq!(
            p["public"], true,
            "{label}: a reply to a public post is public"
        );
        assert_eq!(p["text"], "Bonjour Jean, nous regardons votre ligne.");
        assert_eq!(
            p["author"]["name"], "Acme Télécom",
            "{label}: the brand answers"
        );
        assert_eq!(p["conversation_id"], conv.as_str());

        // The desk shows where the reply went.
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        let number = c["conversation"]["number"].as_i64().unwrap();
        let page = app.browser("adv_a").await;
        let (_, html) = page.page(&format!("/t/acme/c/{number}")).await;
        assert!(html.contains("Posted through x-bridge"), "{label}");

        // A refusal the bridge says is final is not retried.
        bridge.answers.lock().unwrap().push(400);
        let (_, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv}/messages"),
                json!({"body": "Et maintenant ?"}),
            )
            .await;
        let refused = v["message"]["id"].as_str().unwrap().to_string();
        let d = await_delivery(&app, &conv, &refused, "failed").await;
        assert_eq!(d["attempts"], 1, "{label}: {d}");
        assert!(
            d["last_error"].as_str().unwrap().contains("400"),
            "{label}: {d}"
        );

        // Internal notes never leave; a connector with nowhere to post says so.
        let before = bridge.seen.lock().unwrap().len();
        app.send(
            "adv_a",
            Method::POST,
            &format!("/api/v1/tenants/acme/conversations/{conv}/messages"),
            json!({"body": "note interne", "direction": "note"}),
        )
        .await;
        let fb_hook = "/api/v1/webhooks/acme/fb-bridge";
        let (_, v) = post_signed(
            &app,
            fb_hook,
            Some(&silent_secret),
            now_s(),
            &tweet("f1", "fb-1", "allo"),
        )
        .await;
        let fb_conv = v["conversation_id"].as_str().unwrap().to_string();
        let (_, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{fb_conv}/messages"),
                json!({"body": "Bonjour"}),
            )
            .await;
        let nowhere = v["message"]["id"].as_str().unwrap().to_string();
        let d = delivery(&app, &fb_conv, &nowhere).await;
        assert_eq!(d["state"], "failed", "{label}: {d}");
        assert_eq!(d["last_error"], "the connector has no outbound URL");
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(
            bridge.seen.lock().unwrap().len(),
            before,
            "{label}: nothing else was posted"
        );
    }
}
