//! The staffing screen and its API: who may see it, bad input named by field, required
//! advisors that agree with plateau_wfm for a known volume, sites covering each other across
//! time zones, and the page with its chart.

use plateau_core::model::*;
use plateau_core::Timestamp;
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_wfm::{required_advisors, with_shrinkage, StaffingRequest, Target};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const DAY_US: i64 = 86_400_000_000;
const HOUR_US: i64 = 3_600_000_000;

fn today_midnight_utc() -> i64 {
    let now = Timestamp::now().0;
    now - now.rem_euclid(DAY_US)
}

fn ymd(micros: i64) -> String {
    Timestamp(micros).rfc3339()[..10].to_string()
}

fn call(customer: uuid::Uuid, at: i64) -> NewConversation {
    NewConversation {
        customer: CustomerRef::Existing(customer),
        subject: "Plus de tonalité".into(),
        channel: Channel::Phone,
        direction: Direction::Inbound,
        body: "Bonjour, je n'ai plus de tonalité.".into(),
        priority: Priority::Normal,
        reason: None,
        tags: vec![],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: Some(Timestamp(at)),
    }
}

fn field_of(problem: &Value) -> &str {
    problem["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn staffing_is_for_supervisors_and_names_bad_fields() {
    for app in apps().await {
        let l = app.label();
        let path = "/api/v1/tenants/acme/staffing";
        for who in ["sup_a", "admin_a", "viewer_a"] {
            let (st, body) = app.get(who, path).await;
            assert_eq!(st, StatusCode::OK, "{l} {who}: {body}");
        }
        let (st, _) = app.get("adv_a", path).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}: advisors do not plan staff");
        let (st, _) = app.get("adv_b", path).await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{l}: another brand's plan does not exist"
        );

        // Only today's conversation exists, and the forecast never looks at today.
        let (_, body) = app.get("sup_a", path).await;
        assert_eq!(body["status"], "no_history", "{l}: {body}");
        assert_eq!(body["history"]["contacts"], 0, "{l}");
        assert_eq!(body["intervals"].as_array().map(Vec::len), Some(24), "{l}");

        for (query, field) in [
            ("date=2026-13-40", "date"),
            ("date=yesterday", "date"),
            ("interval_min=7", "interval_min"),
            ("shrinkage=1.5", "shrinkage"),
            ("weeks=0", "weeks"),
            ("zone=Mars/Olympus", "zone"),
            ("date=1999-01-01", "date"),
        ] {
            let (st, body) = app.get("sup_a", &format!("{path}?{query}")).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l} {query}: {body}");
            assert_eq!(field_of(&body), field, "{l} {query}: {body}");
            assert_eq!(body["code"], "validation_failed", "{l}");
        }
    }
}

#[tokio::test]
async fn a_known_volume_is_staffed_as_plateau_wfm_says_and_the_sun_is_followed() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let t = app.tenant_a.id;
        let paris = s
            .create_site(t, "Paris", "FR", "Europe/Paris", None)
            .await
            .unwrap();
        let sydney = s
            .create_site(t, "Sydney", "AU", "Australia/Sydney", None)
            .await
            .unwrap();
        for (who, site) in [("adv_a", paris.id), ("adv2_a", sydney.id)] {
            s.set_membership(
                &Membership {
                    tenant_id: t,
                    user_id: app.users[who],
                    role: Role::Advisor,
                    team_id: Some(app.team_a.id),
                    site_id: Some(site),
                },
                None,
            )
            .await
            .unwrap();
        }
        // Three weeks of history: two calls in every UTC hour.
        let today = today_midnight_utc();
        let mut calls = Vec::new();
        for h in 0..21 * 24 {
            let hour = today - 21 * DAY_US + h * HOUR_US;
            calls.push(call(app.conv_a.customer_id, hour + 5 * 60_000_000));
            calls.push(call(app.conv_a.customer_id, hour + 35 * 60_000_000));
        }
        s.create_conversations(t, calls, None).await.unwrap();

        let date = ymd(today);
        let (st, v) = app
            .get(
                "sup_a",
                &format!("/api/v1/tenants/acme/staffing?date={date}&zone=UTC&weeks=3"),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["status"], "ok", "{l}");
        assert_eq!(v["history"]["contacts"], 21 * 24 * 2, "{l}");
        let mape = v["accuracy"]["mape"]
            .as_f64()
            .expect("three weeks are scored");
        assert!(
            mape < 1e-6,
            "{l}: a flat history is forecast exactly ({mape})"
        );
        let phone = v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["channel"] == "phone")
            .unwrap();
        let rule = &v["channels"][phone];
        assert_eq!(rule["model"], "erlang_c", "{l}");
        let intervals = v["intervals"].as_array().unwrap();
        assert_eq!(intervals.len(), 24, "{l}");
        for iv in intervals {
            let contacts = iv["channels"][phone]["contacts"].as_f64().unwrap();
            assert!((contacts - 2.0).abs() < 1e-6, "{l}: {iv}");
            let expected = required_advisors(&StaffingRequest {
                contacts,
                interval_s: 3600.0,
                aht_s: rule["aht_s"].as_f64().unwrap(),
                target: Target::new(
                    rule["target"].as_f64().unwrap(),
                    rule["answer_s"].as_f64().unwrap(),
                ),
                patience_s: None,
                shrinkage: 0.0,
            })
            .unwrap()
            .required;
            assert_eq!(iv["required"], expected, "{l}: only phone has volume");
            assert_eq!(
                iv["to_schedule"],
                with_shrinkage(expected, 0.3).unwrap(),
                "{l}: default shrinkage 30%"
            );
        }

        // Follow the sun: Paris works the European day, Sydney the European night.
        let at = |hhmm: &str| {
            intervals
                .iter()
                .find(|iv| iv["start"].as_str().unwrap().contains(&format!("T{hhmm}")))
                .unwrap()
        };
        let scheduled = |iv: &Value, site: uuid::Uuid| {
            iv["sites"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["site_id"] == site.to_string())
                .unwrap()["scheduled"]
                .as_u64()
                .unwrap()
        };
        let (day, night, gap) = (at("10:00"), at("23:00"), at("20:00"));
        assert_eq!(
            (scheduled(day, paris.id), scheduled(day, sydney.id)),
            (1, 0),
            "{l}"
        );
        assert_eq!(
            (scheduled(night, paris.id), scheduled(night, sydney.id)),
            (0, 1),
            "{l}"
        );
        assert!(
            night["sites"][1]["local_time"] == "09:00"
                || night["sites"][1]["local_time"] == "10:00",
            "{l}: Sydney's local clock is shown: {night}"
        );
        assert_eq!(gap["scheduled"], 0, "{l}: 21:00 in Paris, 06:00 in Sydney");
        assert_eq!(gap["shortfall"], true, "{l}");
        assert!(v["shortfall_intervals"].as_u64().unwrap() > 0, "{l}");

        // Half-hour intervals split the hourly forecast.
        let (st, v30) = app
            .get(
                "sup_a",
                &format!(
                    "/api/v1/tenants/acme/staffing?date={date}&zone=UTC&weeks=3&interval_min=30"
                ),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let iv30 = v30["intervals"].as_array().unwrap();
        assert_eq!(iv30.len(), 48, "{l}");
        assert!(
            (iv30[0]["contacts"].as_f64().unwrap() - 1.0).abs() < 1e-6,
            "{l}"
        );

        // The page: chart, sites, table headers; advisors are refused.
        let b = app.browser("sup_a").await;
        let (st, html) = b
            .page(&format!("/t/acme/staffing?date={date}&zone=UTC&weeks=3"))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("<svg") && html.contains("staffing-chart"),
            "{l}"
        );
        assert!(
            html.contains("Staffing plan") && html.contains("Sydney"),
            "{l}"
        );
        assert!(
            html.contains("scope=\"colgroup\"") && html.contains("scope=\"row\""),
            "{l}"
        );
        assert!(
            html.contains("href=\"/t/acme/staffing\" aria-current=\"page\""),
            "{l}"
        );
        let (st, html) = b.page("/t/acme/staffing?interval_min=7").await;
        assert_eq!(
            st,
            StatusCode::OK,
            "{l}: a bad setting is explained on the page"
        );
        assert!(
            html.contains("role=\"alert\"") && html.contains("interval_min"),
            "{l}"
        );
        let (st, _) = app.browser("adv_a").await.page("/t/acme/staffing").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
    }
}
