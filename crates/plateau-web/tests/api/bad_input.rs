//! Requests that must be refused with a clear problem and write nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn malformed_oversized_and_misshapen_bodies_write_nothing() {
    for app in apps().await {
        let before = app.event_count().await;
        let url = app.url("/api/v1/tenants/acme/conversations");
        let c = reqwest::Client::new();
        let tok = &app.tokens["adv_a"];

        let r = c
            .post(&url)
            .bearer_auth(tok)
            .header("content-type", "application/json")
            .body("{\"subject\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", app.label());
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "malformed_json");

        let r = c
            .post(&url)
            .bearer_auth(tok)
            .body("subject=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let huge = "x".repeat(2 * 1024 * 1024);
        let r = c.post(&url).bearer_auth(tok).json(&json!({"subject": "big", "channel": "email", "body": huge, "customer": {"name": "A"}})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "payload_too_large");

        let r = c
            .post(&url)
            .bearer_auth(tok)
            .json(
                &json!({"subject": "x", "channel": "fax", "body": "b", "customer": {"name": "A"}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "invalid_body");
        assert!(v["detail"].as_str().unwrap().contains("fax"), "{v}");

        let r = c.post(&url).bearer_auth(tok).json(&json!({"subject": "x", "channel": "email", "body": "b", "customer": {"name": "A"}, "surprise": 1})).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown fields are refused"
        );

        let (st, v) = app.send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations", json!({"subject": " ", "channel": "email", "body": "", "customer": {"name": "A", "email": "not-an-email", "phone": "0612"}})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code(&v), "validation_failed");
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            vec![
                "subject",
                "body",
                "customer.identities[0]",
                "customer.identities[1]"
            ]
        );

        assert_eq!(app.event_count().await, before, "nothing was written");
    }
}

#[tokio::test]
async fn unknown_and_foreign_ids_are_404_and_bad_queries_400() {
    for app in apps().await {
        let before = app.event_count().await;
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations/not-a-uuid")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{}", app.label());
        assert_eq!(code(&v), "not_found");
        let (st, _) = app
            .get(
                "adv_a",
                &format!(
                    "/api/v1/tenants/acme/conversations/{}",
                    uuid::Uuid::now_v7()
                ),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Another tenant's conversation, through a tenant the caller belongs to.
        let (st, _) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{}", app.conv_b.id),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = app
            .send(
                "adv_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{}", app.conv_b.id),
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v) = app
            .get(
                "adv_a",
                "/api/v1/tenants/acme/conversations?status=sleeping",
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], "status");
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?cursor=garbage")
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], "cursor");
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?limit=many")
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(code(&v), "invalid_query");
        let (st, _) = app.get("adv_a", "/api/v1/no/such/endpoint").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Patching with nothing to change, and an invalid status move.
        let (st, _) = app
            .send("adv_a", Method::PATCH, &app.conv_a_path(), json!({}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, v) = app
            .send(
                "adv_a",
                Method::PATCH,
                &app.conv_a_path(),
                json!({"status": "new"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "new → new is a no-op: {v}");
        assert_eq!(app.event_count().await, before);
    }
}

#[tokio::test]
async fn a_crash_mid_write_leaves_no_partial_conversation() {
    // The store writes customer, conversation, first message and events in one
    // transaction; a failure after the first inserts (a duplicate identity
    // discovered inside the transaction) must leave nothing behind.
    for app in apps().await {
        let before = app.event_count().await;
        let (st, v) = app
            .send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations", json!({"subject": "x", "channel": "email", "body": "b", "customer": {"name": "Dup", "email": "marie@a.example"}}))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{}: {v}", app.label());
        let (_, list) = app.get("adv_a", "/api/v1/tenants/acme/conversations").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.event_count().await, before);
    }
}
