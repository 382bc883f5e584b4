//! Escalation through the running router: an N1 advisor hands a routed chat
//! up with a reason and context, it reaches an N2 advisor (never back to the
//! one who escalated) with its history in the timeline; the expert cell is
//! refused for a standard contract and nothing changes; roles and brands are
//! checked; without routing the request falls back to a team move.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

pub const WAIT: Duration = Duration::from_secs(20);

/// adv_a is N1, adv2_a N2; chats go to `n1`, which escalates to `n2`, which
/// escalates to the expert cell. Phone callbacks go to anyone with the skill.
pub async fn configure_tiers(app: &App) {
    for (who, tier) in [("adv_a", "n1"), ("adv2_a", "n2")] {
        set_routing_profile(app, who, json!({"skills": {"internet": 3}, "languages": ["fr"], "tier": tier, "capacity": {"chat": 3, "phone": 1}})).await;
    }
    save_routing(app, |config| {
        config["offer_timeout_secs"] = json!(120);
        config["callback_preferred_secs"] = json!(60);
        config["workflows"] = json!([
            {"name": "n1", "filter": "channel == \"chat\"", "tier": "n1", "escalate_to": "n2",
             "steps": [{"target": "tier == \"n1\""}]},
            {"name": "n2", "tier": "n2", "escalate_to": "expert",
             "steps": [{"target": "tier == \"n2\""}]},
            {"name": "expert", "tier": "expert",
             "steps": [{"target": "tier == \"expert\""}]},
            {"name": "callbacks", "filter": "channel == \"phone\"", "tier": "n1",
             "steps": [{"target": "skills.internet >= 1"}]}
        ]);
    })
    .await;
}

pub async fn accept(app: &App, who: &str, conv: &str) {
    let (st, v) = app
        .send(
            who,
            Method::POST,
            &format!("/api/v1/tenants/acme/offers/{conv}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{who} accepting {conv}: {v}");
}

pub async fn assignee(app: &App, conv: &str) -> Value {
    let (_, c) = app
        .get(
            "sup_a",
            &format!("/api/v1/tenants/acme/conversations/{conv}"),
        )
        .await;
    let a = c["conversation"]["assignee_id"].clone();
    if a.is_null() {
        c["assignee_id"].clone()
    } else {
        a
    }
}

/// Polls until the conversation is assigned to `who`.
pub async fn wait_assignee(app: &App, conv: &str, who: &str) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if assignee(app, conv).await == json!(app.users[who]) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub async fn events_of(app: &App, conv: &str, kind: &str) -> Vec<plateau_core::event::Event> {
    let id = uuid::Uuid::parse_str(conv).unwrap();
    app.db
        .store
        .subject_events(app.tenant_a.id, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// The desk page of a conversation as `who` sees it.
pub async fn conversation_page(app: &App, who: &str, conv: &str) -> (StatusCode, String) {
    let (_, c) = app
        .get(
            "sup_a",
            &format!("/api/v1/tenants/acme/conversations/{conv}"),
        )
        .await;
    let n = if c["conversation"].is_null() {
        c["number"].clone()
    } else {
        c["conversation"]["number"].clone()
    };
    app.browser(who).await.page(&format!("/t/acme/c/{n}")).await
}

fn escalate_path(conv: &str) -> String {
    format!("/api/v1/tenants/acme/conversations/{conv}/escalate")
}

/// A chat routed to adv_a (N1) and accepted.
async fn routed_to_n1(app: &App, l: &str) -> String {
    let conv = new_conversation(app, "chat", "Débit faible").await;
    wait_offer_for(app, "adv_a", &conv, WAIT)
        .await
        .unwrap_or_else(|| panic!("{l}: the chat never reached the N1 advisor"));
    accept(app, "adv_a", &conv).await;
    assert!(
        wait_assignee(app, &conv, "adv_a").await,
        "{l}: not assigned to adv_a"
    );
    conv
}

#[tokio::test]
async fn an_n1_escalation_reaches_n2_with_its_reason_and_never_comes_back() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        available(&app, "adv_a").await;
        available(&app, "adv2_a").await;
        let conv = routed_to_n1(&app, l).await;

        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &escalate_path(&conv),
                json!({"reason": "Synchro OK, débit toujours nul", "context": "Box redémarrée, ligne testée"}),
            )
            .await;
        assert_eq!(v["mode"], "routed", "{l}: {v}");
        // The router answers within the API's wait unless the machine is
        // very loaded; then the answer is 202 and the event follows.
        let v = if st == StatusCode::ACCEPTED {
            assert_eq!(v["status"], "pending", "{l}: {v}");
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                if let Some(e) = events_of(&app, &conv, "routing.escalated").await.pop() {
                    break json!({"status": "escalated", "detail": e.payload});
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{l}: never escalated"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        } else {
            assert_eq!(st, StatusCode::OK, "{l}: {v}");
            v
        };
        assert_eq!(v["status"], "escalated", "{l}: {v}");
        assert_eq!(v["detail"]["from"], "n1", "{l}: {v}");
        assert_eq!(v["detail"]["to"], "n2", "{l}: {v}");
        assert_eq!(v["detail"]["tier"], "n2", "{l}: {v}");
        assert_eq!(v["detail"]["by"], json!(app.users["adv_a"]), "{l}: {v}");
        assert_eq!(
            v["detail"]["context"], "Box redémarrée, ligne testée",
            "{l}"
        );

        // The N2 advisor gets it; the escalating advisor never sees it again.
        wait_offer_for(&app, "adv2_a", &conv, WAIT)
            .await
            .unwrap_or_else(|| panic!("{l}: the escalated chat never reached N2"));
        assert!(
            offers(&app, "adv_a")
                .await
                .iter()
                .all(|o| o["conversation_id"] != conv),
            "{l}: offered back to the escalating advisor"
        );
        accept(&app, "adv2_a", &conv).await;
        assert!(wait_assignee(&app, &conv, "adv2_a").await, "{l}");

        // The timeline holds the request and the router's answer with the reason.
        let esc = events_of(&app, &conv, "routing.escalated").await;
        assert_eq!(esc.len(), 1, "{l}");
        assert_eq!(esc[0].payload["reason"], "Synchro OK, débit toujours nul");
        assert_eq!(esc[0].payload["history"].as_array().unwrap().len(), 1);
        let (st, page) = conversation_page(&app, "adv2_a", &conv).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            page.contains("id=\"escalate-form\""),
            "{l}: no Escalate control for the holder"
        );
        assert!(
            page.contains("Synchro OK, débit toujours nul") && page.contains("Box redémarrée"),
            "{l}: the timeline does not show the escalation"
        );

        // N2 → expert is refused for a standard contract, and nothing changes.
        let before = events_of(&app, &conv, "routing.escalated").await.len();
        let (st, v) = app
            .send(
                "adv2_a",
                Method::POST,
                &escalate_path(&conv),
                json!({"reason": "besoin d'un expert"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert!(
            v["detail"].as_str().unwrap_or("").contains("expert cell"),
            "{l}: {v}"
        );
        assert_eq!(
            assignee(&app, &conv).await,
            json!(app.users["adv2_a"]),
            "{l}"
        );
        assert_eq!(
            events_of(&app, &conv, "routing.escalated").await.len(),
            before,
            "{l}"
        );
        assert_eq!(
            events_of(&app, &conv, "routing.escalation_refused")
                .await
                .len(),
            1,
            "{l}"
        );
    }
}

#[tokio::test]
async fn escalation_checks_roles_brands_and_input() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        available(&app, "adv_a").await;
        let conv = routed_to_n1(&app, l).await;
        let path = escalate_path(&conv);
        let body = json!({"reason": "trop technique"});
        let count = app.event_count().await;
        // Another brand's advisor: the conversation does not exist for them.
        let (st, v) = app.send("adv_b", Method::POST, &path, body.clone()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: {v}");
        // An advisor who does not hold it, and the brand's read-only account.
        let (st, v) = app.send("adv2_a", Method::POST, &path, body.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}: {v}");
        let (st, v) = app
            .send("viewer_a", Method::POST, &path, body.clone())
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}: {v}");
        // No reason.
        let (st, v) = app
            .send("adv_a", Method::POST, &path, json!({"reason": "  "}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert_eq!(v["errors"][0]["field"], "reason", "{l}: {v}");
        assert_eq!(
            app.event_count().await,
            count,
            "{l}: a refused request wrote something"
        );
        assert_eq!(
            assignee(&app, &conv).await,
            json!(app.users["adv_a"]),
            "{l}"
        );

        // A conversation nobody holds cannot go up a tier.
        let idle = new_conversation(&app, "email", "Facture").await;
        let (st, v) = app
            .send("sup_a", Method::POST, &escalate_path(&idle), body.clone())
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}: {v}");

        // A supervisor may escalate someone else's contact.
        let (st, v) = app.send("sup_a", Method::POST, &path, body.clone()).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["detail"]["to"], "n2", "{l}: {v}");
    }
}

#[tokio::test]
async fn without_routing_escalation_moves_to_a_team_and_says_so() {
    for app in apps().await {
        let l = app.label();
        let path = format!("{}/escalate", app.conv_a_path());
        // The fixture's conversation belongs to adv_a's brand, unrouted; there
        // is an N1 team only, so an N2 escalation has nowhere to go.
        let (st, _) = app
            .send(
                "sup_a",
                Method::PATCH,
                &app.conv_a_path(),
                json!({"assignee_id": app.users["adv_a"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let (st, v) = app
            .send("adv_a", Method::POST, &path, json!({"reason": "niveau 2"}))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}: {v}");
        assert!(
            v["detail"]
                .as_str()
                .unwrap_or("")
                .contains("not configured"),
            "{l}: {v}"
        );
        let (st, v) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/teams",
                json!({"name": "Support N2", "tier": "n2"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let team = v["id"].clone();
        let (st, v) = app
            .send("adv_a", Method::POST, &path, json!({"reason": "niveau 2"}))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(
            (v["status"].as_str(), v["mode"].as_str()),
            (Some("moved"), Some("direct")),
            "{l}: {v}"
        );
        let (_, c) = app.get("sup_a", &app.conv_a_path()).await;
        let c = if c["conversation"].is_null() {
            c
        } else {
            c["conversation"].clone()
        };
        assert_eq!(c["team_id"], team, "{l}: {c}");
        assert!(c["assignee_id"].is_null(), "{l}: {c}");
    }
}

/// A published one-question tree whose "No" answer escalates to N2.
async fn escalation_tree(app: &App) -> String {
    let tree = json!({"title": "Box", "root": "lights", "nodes": [
        {"id": "lights", "title": "Lights", "kind": "question", "content": {"text": "Are the lights on?"},
         "answers": [{"label": "Yes", "target": "done"}, {"label": "No", "target": "l2"}]},
        {"id": "l2", "title": "Level 2", "kind": "escalation", "target": {"tier": "n2"}, "reason": "Box dead",
         "content": {"text": "Transfer to level 2."}},
        {"id": "done", "title": "Done", "kind": "end", "outcome": "resolved", "content": {"text": ""}}
    ]});
    let (st, v) = app
        .send(
            "km_a",
            Method::POST,
            "/api/v1/tenants/acme/trees",
            json!({"title": "Box", "tree": tree}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (st, v) = app
        .send(
            "km_a",
            Method::POST,
            &format!("/api/v1/tenants/acme/trees/{id}/publish"),
            json!({"expected_revision": v["revision"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

#[tokio::test]
async fn a_tree_escalation_in_a_routed_brand_goes_through_the_router() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        available(&app, "adv_a").await;
        available(&app, "adv2_a").await;
        let tree = escalation_tree(&app).await;
        let conv = routed_to_n1(&app, l).await;
        let (st, s) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv}/tree-sessions"),
                json!({"tree_id": tree}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {s}");
        let (st, s) = app
            .send(
                "adv_a",
                Method::POST,
                &format!(
                    "/api/v1/tenants/acme/tree-sessions/{}/actions",
                    s["id"].as_str().unwrap()
                ),
                json!({"expected_revision": 1, "action": "answer", "index": 1}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {s}");
        // The router escalated it with the tree's reason; N2 gets it, never N1.
        let deadline = tokio::time::Instant::now() + WAIT;
        while events_of(&app, &conv, "routing.escalated").await.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{l}: the tree's escalation did not reach the router"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let esc = events_of(&app, &conv, "routing.escalated").await;
        assert_eq!(esc[0].payload["reason"], "Box dead", "{l}");
        assert_eq!(esc[0].payload["to"], "n2", "{l}: {:?}", esc[0].payload);
        wait_offer_for(&app, "adv2_a", &conv, WAIT)
            .await
            .unwrap_or_else(|| panic!("{l}: the escalated chat never reached N2"));
        assert!(
            offers(&app, "adv_a")
                .await
                .iter()
                .all(|o| o["conversation_id"] != conv),
            "{l}: offered back to the escalating advisor"
        );
    }
}
