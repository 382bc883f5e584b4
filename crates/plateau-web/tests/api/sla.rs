//! SLA clocks on live conversations: the brand's policies live in its
//! routing configuration (validated with the rest), and each conversation
//! shows where its first response, next response and resolution stand.

use plateau_store::conversations::{CustomerRef, NewConversation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn save(app: &App, sla: Value) -> (StatusCode, Value) {
    let (_, v) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
    let mut config = v["config"].clone();
    config["workflows"] = json!([{
        "name": "mail", "filter": "channel == \"email\"", "tier": "n1",
        "steps": [{"target": "tier == \"n1\""}]
    }]);
    config["sla_policies"] = sla;
    app.send(
        "admin_a",
        Method::PUT,
        "/api/v1/tenants/acme/routing",
        json!({"expected_version": v["version"], "config": config}),
    )
    .await
}

fn metric<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn conversations_show_their_sla_clocks_under_the_brands_policy() {
    for app in apps().await {
        let label = app.label();
        // A bad policy is refused with its path, and nothing is saved.
        let (st, v) = save(
            &app,
            json!([{"channel": "email", "first_response_secs": 0}]),
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        assert!(
            v.to_string()
                .contains("sla_policies[0].first_response_secs"),
            "{label}: {v}"
        );
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        assert_eq!(c["sla"], json!([]), "{label}: no policy, no clocks");

        let (st, v) = save(
            &app,
            json!([{"channel": "email", "first_response_secs": 3600, "next_response_secs": 1800,
                    "resolution_secs": 86400, "warn_before_secs": 600}]),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");

        // The new e-mail conversation owes a first response within the hour.
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["state"], "running", "{label}: {c}");
        assert_eq!(fr["breached"], false);
        assert_eq!(metric(&c, "resolution")["state"], "running");
        assert_eq!(metric(&c, "next_response")["state"], "idle");

        // A reply meets it.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{}/messages", app.conv_a_path()),
                json!({"body": "Bonjour, nous regardons.", "channel": "email"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}");
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["state"], "stopped", "{label}: {c}");
        assert_eq!(fr["breached"], false, "{label}: {c}");

        // A conversation that arrived three hours ago without an answer has
        // breached; the desk shows it in red.
        let old = app
            .db
            .store
            .create_conversation(
                app.tenant_a.id,
                NewConversation {
                    customer: CustomerRef::Existing(app.conv_a.customer_id),
                    subject: "Facture en double".into(),
                    channel: plateau_core::model::Channel::Email,
                    direction: plateau_core::model::Direction::Inbound,
                    body: "J'ai été prélevé deux fois.".into(),
                    priority: plateau_core::model::Priority::Normal,
                    reason: None,
                    tags: vec![],
                    team_id: None,
                    assignee_id: None,
                    language: None,
                    attachments: vec![],
                    at: Some(plateau_core::Timestamp(
                        plateau_core::Timestamp::now().0 - 3 * 3600 * 1_000_000,
                    )),
                },
                None,
            )
            .await
            .unwrap();
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{}", old.id),
            )
            .await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["breached"], true, "{label}: {c}");
        assert_eq!(fr["state"], "running", "{label}: still owed");
        // The watcher announces the breach once, as an event on the
        // conversation, whatever how many times it passes.
        let now = plateau_core::Timestamp::now();
        let first = plateau_web::sla_watch::run_once(&app.db.store, now)
            .await
            .unwrap();
        assert!(first >= 1, "{label}");
        assert_eq!(
            plateau_web::sla_watch::run_once(&app.db.store, now)
                .await
                .unwrap(),
            0,
            "{label}"
        );
        let (_, evs) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{}/events", old.id),
            )
            .await;
        let breaches: Vec<&Value> = evs
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "sla.breached")
            .collect();
        assert_eq!(breaches.len(), 1, "{label}: {evs}");
        assert_eq!(breaches[0]["payload"]["metric"], "first_response");
        let page = app.browser("adv_a").await;
        let (_, html) = page.page(&format!("/t/acme/c/{}", old.number)).await;
        assert!(html.contains("sla-breached"), "{label}");
        assert!(
            html.contains("First response: the SLA was breached"),
            "{label}"
        );
        let (_, html) = page.page(&format!("/t/acme/c/{}", app.conv_a.number)).await;
        assert!(html.contains("sla-met"), "{label}");
    }
}
