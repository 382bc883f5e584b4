//! The signed inbound webhook for social and messaging connectors: a
//! registered connector's messages become conversations threaded by the
//! network's thread id; every refusal (unsigned, forged, stale, replayed,
//! oversized, malformed, unknown) has its own code and changes nothing.

use plateau_core::channels::signature::sign;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn now_s() -> i64 {
    plateau_core::Timestamp::now().0 / 1_000_000
}

/// Posts `body` to the webhook, signed with `secret` at `ts` unless told not to.
async fn post(
    app: &App,
    path: &str,
    secret: Option<&str>,
    ts: i64,
    body: &[u8],
) -> (StatusCode, Value) {
    let mut rb = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = secret {
        rb = rb
            .header("X-Plateau-Timestamp", ts.to_string())
            .header("X-Plateau-Signature", sign(s.as_bytes(), ts, body));
    }
    let r = rb.send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

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
        let (st, v) = post(&app, &hook, Some(&secret), now_s(), &first).await;
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
        let (st, v) = post(&app, &hook, Some(&secret), now_s(), &second).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}: {v}");
        assert_eq!(v["conversation_id"], conv.as_str());
        let (st, v) = post(&app, &hook, Some(&secret), now_s() - 1, &second).await;
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
        let (st, v) = post(&app, &hook, None, 0, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "unsigned"),
            "{label}"
        );
        let (st, v) = post(&app, &hook, Some("not-the-secret"), now_s(), &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "bad_signature"),
            "{label}"
        );
        let (st, v) = post(&app, &hook, Some(&secret), now_s() - 3600, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, "stale_request"),
            "{label}"
        );
        let ts = now_s();
        let (st, _) = post(&app, &hook, Some(&secret), ts, &third).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{label}");
        let after_third = app.event_count().await;
        let (st, v) = post(&app, &hook, Some(&secret), ts, &third).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "replayed"),
            "{label}: {v}"
        );
        let (st, v) = post(&app, &hook, Some(&secret), now_s(), b"{not json").await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            "{label}"
        );
        let bad = json!({"external_id": "", "thread_id": "x", "network": "twitter",
                         "author": {"handle": "@a"}, "text": "x"})
        .to_string();
        let (st, v) = post(&app, &hook, Some(&secret), now_s(), bad.as_bytes()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        let huge = tweet("t4", "thread-1", &"a".repeat(300 * 1024));
        let (st, _) = post(&app, &hook, Some(&secret), now_s(), &huge).await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{label}");
        let (st, _) = post(
            &app,
            "/api/v1/webhooks/acme/nobody",
            Some(&secret),
            now_s(),
            &third,
        )
        .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let (st, _) = post(
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
