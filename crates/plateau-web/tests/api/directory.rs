//! Tenants, sites, teams, members, the board, the audit trail, and the
//! operational endpoints.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn tenants_sites_teams_and_members() {
    for app in apps().await {
        let (_, t) = app.get("adv_a", "/api/v1/tenants").await;
        assert_eq!(
            t.as_array().unwrap().len(),
            2,
            "advisor of both brands: {}",
            app.label()
        );
        let (_, t) = app.get("adv_b", "/api/v1/tenants").await;
        assert_eq!(t.as_array().unwrap().len(), 1);
        let (_, t) = app.get("nobody", "/api/v1/tenants").await;
        assert_eq!(t.as_array().unwrap().len(), 0);

        let (st, _) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants",
                json!({"slug": "initech", "name": "Initech"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, v) = app
            .send(
                "platform",
                Method::POST,
                "/api/v1/tenants",
                json!({"slug": "initech", "name": "Initech"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, _) = app
            .send(
                "platform",
                Method::POST,
                "/api/v1/tenants",
                json!({"slug": "initech", "name": "Again"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);

        let (st, site) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/sites",
                json!({"name": "Casablanca", "country": "MA", "time_zone": "Africa/Casablanca"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{site}");
        let (st, v) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/sites",
                json!({"name": "X", "country": "morocco", "time_zone": "nowhere"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"].as_array().unwrap().len(), 2);
        let (st, team) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/teams",
                json!({"name": "Experts", "tier": "expert", "site_id": site["id"]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{team}");
        let (_, teams) = app.get("adv_a", "/api/v1/tenants/acme/teams").await;
        assert_eq!(teams.as_array().unwrap().len(), 2);
        let (_, sites) = app.get("viewer_a", "/api/v1/tenants/acme/sites").await;
        assert_eq!(sites.as_array().unwrap().len(), 1);

        let (st, m) = app
            .send("admin_a", Method::POST, "/api/v1/tenants/acme/members", json!({"email": "new@test.example", "display_name": "New Advisor", "password": "long-enough-pw", "role": "advisor", "team_id": team["id"]}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        let (st, v) = app.send("admin_a", Method::POST, "/api/v1/tenants/acme/members", json!({"email": "x@test.example", "display_name": "X", "password": "short", "role": "advisor"})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], "password");
        // A team of another tenant cannot be linked.
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                &format!("/api/v1/tenants/acme/members/{}", app.users["adv2_a"]),
                json!({"role": "supervisor", "team_id": uuid::Uuid::now_v7()}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // Grant adv_b (a Globex advisor) a role in Acme: one advisor, several brands.
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                &format!("/api/v1/tenants/acme/members/{}", app.users["adv_b"]),
                json!({"role": "advisor"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (_, t) = app.get("adv_b", "/api/v1/tenants").await;
        assert_eq!(t.as_array().unwrap().len(), 2);
        let (_, members) = app.get("adv_a", "/api/v1/tenants/acme/members").await;
        assert!(members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "new@test.example"));
    }
}

#[tokio::test]
async fn board_and_audit_trail() {
    for app in apps().await {
        let me = app.users["adv_a"].to_string();
        app.send(
            "adv_a",
            Method::PATCH,
            &app.conv_a_path(),
            json!({"assignee_id": me, "team_id": app.team_a.id}),
        )
        .await;
        let (st, b) = app.get("sup_a", "/api/v1/tenants/acme/board").await;
        assert_eq!(st, StatusCode::OK, "{}", app.label());
        assert_eq!(b["total_active"], 1);
        assert_eq!(b["unassigned_active"], 0);
        let n1 = b["by_team"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "N1")
            .unwrap();
        assert_eq!(n1["counts"]["open"], 1);
        let adv = b["advisors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "adv_a")
            .unwrap();
        assert_eq!(adv["active"], 1);
        let email = b["by_channel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "email")
            .unwrap();
        assert_eq!(email["counts"]["open"], 1);

        let (st, audit) = app
            .get("admin_a", "/api/v1/tenants/acme/events?limit=2")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(audit["items"].as_array().unwrap().len(), 2);
        assert_eq!(audit["items"][0]["kind"], "conversation.updated");
        let before = audit["next_before"].as_i64().unwrap();
        let (_, older) = app
            .get(
                "admin_a",
                &format!("/api/v1/tenants/acme/events?before={before}"),
            )
            .await;
        assert!(older["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64().unwrap() < before));
        assert!(
            older["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["tenant_id"] == app.tenant_a.id.to_string()),
            "no other tenant's events"
        );
    }
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    for app in apps().await {
        let r = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        app.get("adv_a", "/api/v1/tenants").await;
        let m = reqwest::get(app.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(m.contains("plateau_http_requests_total"), "{m}");
        assert!(m.contains("route=\"/api/v1/tenants\""));
        let doc: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/tenants/{tenant}/conversations",
            "/api/v1/tenants/{tenant}/conversations/{id}/messages",
            "/api/v1/events",
            "/api/v1/tenants/{tenant}/board",
        ] {
            assert!(paths.contains_key(p), "{p} missing from OpenAPI");
        }
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let ui = reqwest::get(app.url("/api/docs/")).await.unwrap();
        assert_eq!(ui.status(), StatusCode::OK);
        assert!(ui.text().await.unwrap().contains("swagger"));
    }
}
