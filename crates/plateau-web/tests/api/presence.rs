//! Advisor presence: declared states with reasons, pushed-back breaks, and the
//! supervisor's view of a brand — refused to the brand's read-only account,
//! to advisors and to other brands.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn advisors_declare_presence_and_supervisors_see_it() {
    for app in apps().await {
        let l = app.label();
        let (st, v) = app.get("adv_a", "/api/v1/me/presence").await;
        assert_eq!(
            (st, v["state"].as_str()),
            (StatusCode::OK, Some("offline")),
            "{l}"
        );
        let before = app.event_count().await;
        for bad in [
            json!({"state": "busy"}),
            json!({"state": "lunch"}),
            json!({"state": "break", "reason": "x".repeat(101)}),
        ] {
            let (st, v) = app
                .send("adv_a", Method::PUT, "/api/v1/me/presence", bad)
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        }
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/me/presence/postpone-break",
                json!({"minutes": 15}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: offline, no break to push back"
        );
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: refusals write nothing"
        );

        let (st, v) = app
            .send(
                "adv_a",
                Method::PUT,
                "/api/v1/me/presence",
                json!({"state": "available"}),
            )
            .await;
        assert_eq!(
            (st, v["state"].as_str()),
            (StatusCode::OK, Some("available")),
            "{l}: {v}"
        );
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/me/presence/postpone-break",
                json!({"minutes": 15}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert!(v["break_postponed_until"].is_string(), "{l}: {v}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/me/presence/postpone-break",
                json!({"minutes": 0}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");

        let (st, v) = app.get("sup_a", "/api/v1/tenants/acme/presence").await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let me = v
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == app.users["adv_a"].to_string())
            .unwrap();
        assert_eq!(
            (
                me["status"]["state"].as_str(),
                me["postponed_breaks"].as_i64()
            ),
            (Some("available"), Some(1)),
            "{l}: {me}"
        );
        for (who, want) in [
            ("adv_a", StatusCode::FORBIDDEN),
            ("viewer_a", StatusCode::FORBIDDEN),
            ("adv_b", StatusCode::NOT_FOUND),
        ] {
            let (st, _) = app.get(who, "/api/v1/tenants/acme/presence").await;
            assert_eq!(st, want, "{l}: {who}");
        }

        // The top-bar form, and the supervisor's board.
        let b = app.browser("adv_a").await;
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                "/presence",
                &[
                    ("_csrf", &csrf),
                    ("state", "break"),
                    ("reason", "Déjeuner"),
                    ("back", "/t/acme/inbox"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        assert_eq!(r.headers()["location"], "/t/acme/inbox");
        let r = b
            .post_form("/presence", &[("_csrf", "forged"), ("state", "offline")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{l}");
        let (_, v) = app.get("adv_a", "/api/v1/me/presence").await;
        assert_eq!(
            (v["state"].as_str(), v["reason"].as_str()),
            (Some("break"), Some("Déjeuner")),
            "{l}"
        );
        let (st, html) = app.browser("sup_a").await.page("/t/acme/board").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("Déjeuner") && html.contains("presence-break"),
            "{l}"
        );
        let (_, html) = app.browser("viewer_a").await.page("/t/acme/board").await;
        assert!(
            !html.contains("Déjeuner"),
            "{l}: the brand does not see the centre's breaks"
        );
    }
}

#[tokio::test]
async fn supervisors_set_routing_profiles_and_bad_ones_change_nothing() {
    for app in apps().await {
        let l = app.label();
        let adv = app.users["adv_a"];
        let path = format!("/api/v1/tenants/acme/members/{adv}/routing-profile");
        let (st, v) = app.get("adv_a", &path).await;
        assert_eq!(
            (st, v["tier"].as_str()),
            (StatusCode::OK, Some("n1")),
            "{l}: own profile, default"
        );
        let good = json!({"skills": {"Fibre": 4, "tv": 2}, "languages": ["fr", "en"], "tier": "n2",
                          "capacity": {"phone": 1, "chat": 3, "email": 10}});
        let (st, _) = app.send("adv_a", Method::PUT, &path, good.clone()).await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "{l}: advisors do not set their own skills"
        );
        let (st, v) = app.send("sup_a", Method::PUT, &path, good.clone()).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["skills"], json!({"fibre": 4, "tv": 2}), "{l}");
        let before = app.event_count().await;
        let bad =
            json!({"skills": {"fibre": 9}, "languages": [], "tier": "n2", "capacity": {"chat": 0}});
        let (st, v) = app.send("sup_a", Method::PUT, &path, bad).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert_eq!(v["errors"].as_array().unwrap().len(), 3, "{l}: {v}");
        let (st, _) = app
            .send("sup_a", Method::PUT, &path, json!({"tier": "n7"}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(app.event_count().await, before, "{l}");
        let (_, v) = app.get("adv_a", &path).await;
        assert_eq!(v["capacity"]["email"], 10, "{l}: the good profile stands");
        // Another brand's supervisor, or a non-member target, find nothing.
        let (st, _) = app.get("adv_b", &path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let outsider = app.users["adv_b"];
        let (st, _) = app
            .get(
                "sup_a",
                &format!("/api/v1/tenants/acme/members/{outsider}/routing-profile"),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");

        // The form keeps the supervisor's input when a line is unreadable.
        let b = app.browser("sup_a").await;
        let csrf = b.csrf().await;
        let page = format!("/t/acme/advisors/{adv}");
        let r = b
            .post_form(
                &page,
                &[
                    ("_csrf", &csrf),
                    ("skills", "fibre: 5\nwifi cinq"),
                    ("language", "fr"),
                    ("tier", "expert"),
                    ("capacity.phone", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(html.contains("wifi cinq") && html.contains("line 2"), "{l}");
        let r = b
            .post_form(
                &page,
                &[
                    ("_csrf", &csrf),
                    ("skills", "fibre: 5\nwifi: 3"),
                    ("language", "fr"),
                    ("tier", "expert"),
                    ("capacity.phone", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{l}");
        let (_, v) = app.get("adv_a", &path).await;
        assert_eq!(
            (v["tier"].as_str(), v["skills"]["wifi"].as_i64()),
            (Some("expert"), Some(3)),
            "{l}: {v}"
        );
        let (st, _) = app.browser("adv_a").await.page(&page).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
    }
}
