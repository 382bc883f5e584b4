//! The conversation endpoints end to end: create, list with filters and
//! cursors, show, reply, note, assign, change status, tag, and history.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_advisor_works_a_conversation_end_to_end() {
    for app in apps().await {
        let l = app.label();
        let (st, c) = app
            .send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations", json!({
                "subject": "Débit faible", "channel": "chat", "body": "Ma connexion rame.",
                "customer": {"name": "Jean Valjean", "email": "jean@ex.fr", "phone": "+33 6 11 22 33 44", "age_band": "60_74", "contract_tier": "pro", "language": "fr"},
                "tags": ["Fibre"], "priority": "high", "team_id": app.team_a.id
            }))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {c}");
        assert_eq!(c["status"], "new");
        assert_eq!(c["number"], 2);
        assert_eq!(c["tags"], json!(["fibre"]));
        let id = c["id"].as_str().unwrap();
        let path = format!("/api/v1/tenants/acme/conversations/{id}");

        // Reply with "send and set pending", then an internal note.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/messages"),
                json!({"body": "Je lance un test.", "status": "pending"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["conversation"]["status"], "pending");
        assert_eq!(v["message"]["direction"], "outbound");
        assert_eq!(v["message"]["channel"], "chat");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/messages"),
                json!({"body": "Client fragile", "direction": "note"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        // The customer calls back: a new channel in the same conversation reopens it.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/messages"),
                json!({"body": "Toujours lent", "direction": "inbound", "channel": "phone"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        assert_eq!(v["conversation"]["status"], "open");
        assert_eq!(v["conversation"]["channel"], "phone");

        // Assign to self, tag, resolve.
        let me = app.users["adv_a"].to_string();
        let (st, v) = app.send("adv_a", Method::PATCH, &path, json!({"assignee_id": me, "tags": ["fibre", "rappel"], "status": "resolved", "reason": "internet-lent"})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["assignee_id"], me.as_str());
        assert_eq!(v["status"], "resolved");

        let (st, d) = app.get("adv_a", &path).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(d["messages"].as_array().unwrap().len(), 4);
        assert_eq!(d["customer"]["name"], "Jean Valjean");
        assert_eq!(d["customer"]["age_band"], "60_74");
        assert_eq!(d["conversation"]["tags"], json!(["fibre", "rappel"]));
        assert!(
            d["conversation"]["created_at"]
                .as_str()
                .unwrap()
                .ends_with('Z'),
            "RFC 3339 times"
        );

        let (st, evs) = app.get("adv_a", &format!("{path}/events")).await;
        assert_eq!(st, StatusCode::OK);
        let kinds: Vec<&str> = evs
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            vec![
                "conversation.created",
                "message.added",
                "message.added",
                "message.added",
                "conversation.updated"
            ]
        );

        // The customer's card lists this conversation in its history.
        let cid = d["customer"]["id"].as_str().unwrap();
        let (st, cust) = app
            .get("adv_a", &format!("/api/v1/tenants/acme/customers/{cid}"))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(cust["conversations"][0]["id"], id);
        assert!(cust["customer"]["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["value"] == "+33611223344"));

        // Unassign with an explicit null.
        let (st, v) = app
            .send("adv_a", Method::PATCH, &path, json!({"assignee_id": null}))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(v["assignee_id"].is_null());
    }
}

#[tokio::test]
async fn inbox_filters_and_cursor_pagination() {
    for app in apps().await {
        for i in 0..7 {
            let ch = if i % 2 == 0 { "email" } else { "social" };
            let (st, _) = app
                .send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations", json!({"subject": format!("s{i}"), "channel": ch, "body": "b", "customer_id": app.conv_a.customer_id}))
                .await;
            assert_eq!(st, StatusCode::CREATED);
        }
        let me = app.users["adv_a"];
        let (_, list) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?limit=3")
            .await;
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            3,
            "{}",
            app.label()
        );
        let mut seen: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        let mut cursor = list["next_cursor"].as_str().map(String::from);
        while let Some(c) = cursor {
            let (st, page) = app
                .get(
                    "adv_a",
                    &format!("/api/v1/tenants/acme/conversations?limit=3&cursor={c}"),
                )
                .await;
            assert_eq!(st, StatusCode::OK);
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_str().unwrap().to_string()),
            );
            cursor = page["next_cursor"].as_str().map(String::from);
        }
        assert_eq!(seen.len(), 8);
        let (_, social) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?channel=social")
            .await;
        assert_eq!(social["items"].as_array().unwrap().len(), 3);
        let (_, mine) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?view=mine")
            .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 0);
        app.send(
            "adv_a",
            Method::PATCH,
            &app.conv_a_path(),
            json!({"assignee_id": me}),
        )
        .await;
        let (_, mine) = app
            .get(
                "adv_a",
                "/api/v1/tenants/acme/conversations?view=mine&status=active",
            )
            .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        let (_, un) = app
            .get(
                "adv_a",
                "/api/v1/tenants/acme/conversations?view=unassigned",
            )
            .await;
        assert_eq!(un["items"].as_array().unwrap().len(), 7);
        let (_, open) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?status=open")
            .await;
        assert_eq!(
            open["items"].as_array().unwrap().len(),
            1,
            "taking a new conversation opens it"
        );
        let (_, team) = app
            .get(
                "adv_a",
                &format!(
                    "/api/v1/tenants/acme/conversations?team_id={}",
                    app.team_a.id
                ),
            )
            .await;
        assert_eq!(team["items"].as_array().unwrap().len(), 0);
    }
}

#[tokio::test]
async fn customers_are_listed_created_and_updated() {
    for app in apps().await {
        let (st, c) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/tenants/acme/customers",
                json!({"name": "Zoé Zola", "social": "Twitter:@ZZ", "value_tier": "gold"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{}: {c}", app.label());
        assert_eq!(c["identities"][0]["value"], "twitter:@zz");
        let (st, dup) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/tenants/acme/customers",
                json!({"name": "Other", "social": "twitter:@zz"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{dup}");
        let (_, list) = app
            .get("adv_a", "/api/v1/tenants/acme/customers?q=Zo")
            .await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let id = c["id"].as_str().unwrap();
        let (st, u) = app
            .send(
                "adv_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/customers/{id}"),
                json!({"tech_appetite": "high", "value_tier": null}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(u["tech_appetite"], "high");
        assert!(u["value_tier"].is_null());
        // Not visible from the other brand.
        let (st, _) = app
            .get("adv_b", &format!("/api/v1/tenants/globex/customers/{id}"))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn closed_conversations_refuse_new_messages() {
    for app in apps().await {
        let (st, _) = app
            .send(
                "sup_a",
                Method::PATCH,
                &app.conv_a_path(),
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{}/messages", app.conv_a_path()),
                json!({"body": "hello"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{}", app.label());
        assert_eq!(code(&v), "conflict");
        let (st, v) = app
            .send(
                "sup_a",
                Method::PATCH,
                &app.conv_a_path(),
                json!({"status": "open"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
}
