//! The routing configuration: names come from the brand's data, every
//! problem is reported with its place, nothing invalid or stale is saved.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn routing_configs_are_checked_against_the_brands_names() {
    for app in apps().await {
        let l = app.label();
        let adv = app.users["adv_a"];
        app.send("sup_a", Method::PUT, &format!("/api/v1/tenants/acme/members/{adv}/routing-profile"),
            json!({"skills": {"internet": 4}, "languages": ["fr"], "tier": "n1", "capacity": {"chat": 3}})).await;
        let (st, v) = app.get("sup_a", "/api/v1/tenants/acme/routing").await;
        assert_eq!(
            (st, v["version"].as_i64()),
            (StatusCode::OK, Some(0)),
            "{l}: {v}"
        );
        assert_eq!(v["names"]["skills"], json!(["internet"]), "{l}: {v}");
        let mut config = v["config"].clone();
        config["schema"]["reasons"] = json!(["internet"]);
        config["workflows"] = json!([{
            "name": "internet", "filter": "reason == \"internet\"", "tier": "n1",
            "steps": [{"target": "skills.internett >= 3", "timeout_secs": 30}, {"target": "skills.internet >= 1"}]
        }]);
        let before = app.event_count().await;
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/routing",
                json!({"expected_version": 0, "config": config}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        let msg = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            msg.contains("1:") && msg.contains("internett"),
            "{l}: the typo is named with its place: {v}"
        );
        let (st, _) = app
            .send(
                "sup_a",
                Method::PUT,
                "/api/v1/tenants/acme/routing",
                json!({"expected_version": 0, "config": config}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "{l}: supervisors read, admins configure"
        );
        assert_eq!(app.event_count().await, before, "{l}");

        config["workflows"][0]["steps"][0]["target"] = json!("skills.internet >= 3");
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/routing",
                json!({"expected_version": 0, "config": config}),
            )
            .await;
        assert_eq!(
            (st, v["version"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{l}: {v}"
        );
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/routing",
                json!({"expected_version": 0, "config": config}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}: a stale edit loses nothing");
        for (who, want) in [
            ("adv_a", StatusCode::FORBIDDEN),
            ("viewer_a", StatusCode::FORBIDDEN),
            ("adv_b", StatusCode::NOT_FOUND),
        ] {
            let (st, _) = app.get(who, "/api/v1/tenants/acme/routing").await;
            assert_eq!(st, want, "{l}: {who}");
        }

        // The editor: TOML with a syntax error keeps the text and names the line.
        let b = app.browser("admin_a").await;
        let (st, html) = b.page("/t/acme/routing").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let shown = html.split("<textarea").nth(1).unwrap_or_default();
        assert!(
            shown.contains("skills.internet") && shown.contains("[[workflows]]"),
            "{l}: the saved config is shown as TOML: {shown}"
        );
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                "/t/acme/routing",
                &[
                    ("_csrf", &csrf),
                    ("version", "1"),
                    ("config", "offer_timeout_secs = \n"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(html.contains("line 1"), "{l}: {html}");
        let (_, v) = app.get("sup_a", "/api/v1/tenants/acme/routing").await;
        assert_eq!(v["version"], 1, "{l}");
    }
}
