//! Callback appointments through the running router: offered when due to the
//! preferred advisor, marked missed (with its event) at the deadline when
//! nobody took it, rebuilt by a new server on the same database, and every
//! bad input refused with nothing written.

use std::time::Duration;

use plateau_web::{AppState, WebConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::escalation::*;
use crate::helpers::*;

fn in_secs(s: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(s)).to_string()
}

async fn schedule(app: &App, who: &str, conv: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/tenants/acme/conversations/{conv}/callbacks"),
        body,
    )
    .await
}

async fn callback_state(app: &App, conv: &str) -> Value {
    let (st, v) = app
        .get(
            "adv_a",
            &format!("/api/v1/tenants/acme/conversations/{conv}/callbacks"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v[0].clone()
}

async fn wait_state(app: &App, conv: &str, state: &str, wait: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let c = callback_state(app, conv).await;
        if c["state"] == state || tokio::time::Instant::now() >= deadline {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn a_due_callback_is_offered_to_its_preferred_advisor_first() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        available(&app, "adv_a").await;
        available(&app, "adv2_a").await;
        // An e-mail matches no workflow: only the callback is routed.
        let conv = new_conversation(&app, "email", "Rappel demandé").await;
        let (st, cb) = schedule(
            &app,
            "adv_a",
            &conv,
            json!({
                "phone_number": "+33 6 12 34 56 78", "time_zone": "Europe/Paris",
                "not_before": in_secs(2), "deadline": in_secs(120),
                "preferred_advisor_id": app.users["adv2_a"], "note": "après 14 h"
            }),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {cb}");
        assert_eq!(cb["state"], "scheduled", "{l}");
        assert_eq!(cb["phone_number"], "+33612345678", "{l}");
        assert!(
            cb["local_not_before"].as_str().unwrap().contains("CET"),
            "{l}: {cb}"
        );
        // Not before its time.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            offers(&app, "adv2_a").await.is_empty(),
            "{l}: offered early"
        );
        let offer = wait_offer_for(&app, "adv2_a", &conv, WAIT)
            .await
            .unwrap_or_else(|| panic!("{l}: the due callback never reached its advisor"));
        assert_eq!(
            offer["channel"], "email",
            "{l}: the conversation's own channel is listed"
        );
        assert!(
            offers(&app, "adv_a").await.is_empty(),
            "{l}: offered to someone else"
        );
        assert_eq!(
            wait_state(&app, &conv, "offered", WAIT).await["state"],
            "offered",
            "{l}"
        );
        accept(&app, "adv2_a", &conv).await;
        assert!(
            wait_assignee(&app, &conv, "adv2_a").await,
            "{l}: not given to the advisor"
        );
        // Closing the conversation after the call makes the callback done.
        let (st, v) = app
            .send(
                "adv2_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(
            wait_state(&app, &conv, "done", WAIT).await["state"],
            "done",
            "{l}"
        );
        assert_eq!(
            events_of(&app, &conv, "callback.done").await.len(),
            1,
            "{l}"
        );
        // The supervisors' list no longer shows it as live.
        let (st, v) = app.get("sup_a", "/api/v1/tenants/acme/callbacks").await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v, json!([]), "{l}");
        let (st, _) = app.get("adv_a", "/api/v1/tenants/acme/callbacks").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
    }
}

#[tokio::test]
async fn a_callback_nobody_takes_is_missed_at_its_deadline() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        // Nobody available.
        let conv = new_conversation(&app, "chat", "Rappel").await;
        let (st, cb) = schedule(
            &app,
            "adv_a",
            &conv,
            json!({
                "phone_number": "+33612345678", "time_zone": "Europe/Paris",
                "not_before": in_secs(1), "deadline": in_secs(3)
            }),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {cb}");
        assert_eq!(
            cb["preferred_advisor_id"],
            json!(app.users["adv_a"]),
            "{l}: the creator by default"
        );
        let c = wait_state(&app, &conv, "missed", WAIT).await;
        assert_eq!(c["state"], "missed", "{l}: {c}");
        let missed = events_of(&app, &conv, "callback.missed").await;
        assert_eq!(missed.len(), 1, "{l}");
        assert_eq!(missed[0].payload["callback_id"], cb["id"], "{l}");
        let (_, v) = app
            .get("sup_a", "/api/v1/tenants/acme/callbacks?state=missed")
            .await;
        assert_eq!(v.as_array().map(Vec::len), Some(1), "{l}: {v}");
        // Cancelled: it leaves the list; a second cancel conflicts.
        let path = format!(
            "/api/v1/tenants/acme/callbacks/{}/cancel",
            cb["id"].as_str().unwrap()
        );
        let (st, v) = app.send("adv_a", Method::POST, &path, json!({})).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["state"], "cancelled", "{l}");
        let (st, _) = app.send("adv_a", Method::POST, &path, json!({})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
        let (st, _) = app.send("adv_b", Method::POST, &path, json!({})).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: another brand");
    }
}

#[tokio::test]
async fn a_new_server_rebuilds_scheduled_callbacks() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        available(&app, "adv2_a").await;
        let conv = new_conversation(&app, "email", "Rappel demain").await;
        let (st, cb) = schedule(
            &app,
            "adv_a",
            &conv,
            json!({
                "phone_number": "+33612345678", "time_zone": "America/New_York",
                "not_before": in_secs(4), "deadline": in_secs(300),
                "preferred_advisor_id": app.users["adv2_a"]
            }),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {cb}");
        // The first server stops before the callback is due.
        app.state.stopping.send_replace(true);
        let store2 = if l == "postgres" {
            plateau_store::Store::open(&app.db.url).await.unwrap()
        } else {
            app.db.store.clone()
        };
        let second = AppState::new(store2, WebConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(plateau_web::serve(listener, second.clone(), async {
            let _ = stopped.await;
        }));
        let token = app.tokens["adv2_a"].clone();
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut found = Value::Null;
        while tokio::time::Instant::now() < deadline {
            let v: Value = reqwest::Client::new()
                .get(format!("{base}/api/v1/me/offers"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(o) = v["items"]
                .as_array()
                .and_then(|a| a.iter().find(|o| o["conversation_id"] == conv.as_str()))
            {
                found = o.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert!(
            !found.is_null(),
            "{l}: the new server never offered the callback"
        );
        let c = callback_state(&app, &conv).await;
        assert_eq!(c["state"], "offered", "{l}: {c}");
        second.stopping.send_replace(true);
        drop(stop);
    }
}

#[tokio::test]
async fn bad_callbacks_are_refused_and_nothing_is_written() {
    for app in apps().await {
        let l = app.label();
        let conv = app.conv_a.id.to_string();
        let good = json!({
            "phone_number": "+33612345678", "time_zone": "Europe/Paris",
            "not_before": "2099-01-02T10:00", "deadline": "2099-01-02T12:00"
        });
        let count = app.event_count().await;
        let cases: &[(&str, Value, &str)] = &[
            ("phone_number", json!("06 12 34 56 78"), "a national number"),
            ("phone_number", json!("+33abc"), "letters"),
            ("time_zone", json!("Mars/Olympus"), "an unknown zone"),
            ("time_zone", json!(""), "no zone"),
            ("not_before", json!("2001-01-01T10:00:00Z"), "the past"),
            ("not_before", json!("demain"), "not a date"),
            ("deadline", json!("2099-01-02T09:00"), "before not_before"),
            ("deadline", json!("2099-01-02T10:00"), "equal to not_before"),
        ];
        for (field, value, what) in cases {
            let mut body = good.clone();
            body[*field] = value.clone();
            let (st, v) = schedule(&app, "adv_a", &conv, body).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {what}: {v}");
            assert!(
                v["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == *field),
                "{l}: {what}: {v}"
            );
        }
        // An unknown preferred advisor, another brand, a read-only account.
        let mut body = good.clone();
        body["preferred_advisor_id"] = json!(app.users["adv_b"]);
        let (st, v) = schedule(&app, "adv_a", &conv, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        let (st, _) = schedule(&app, "adv_b", &conv, good.clone()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = schedule(&app, "viewer_a", &conv, good.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        assert_eq!(
            app.event_count().await,
            count,
            "{l}: a refused callback wrote an event"
        );
        assert_eq!(
            callback_state(&app, &conv).await,
            Value::Null,
            "{l}: a refused callback was stored"
        );
        // A good one, local to the zone; then a second live one conflicts.
        let (st, v) = schedule(&app, "adv_a", &conv, good.clone()).await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let nb: jiff::Timestamp = v["not_before"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            nb,
            "2099-01-02T09:00:00Z".parse::<jiff::Timestamp>().unwrap(),
            "{l}: 10:00 in Paris is 09:00 UTC: {v}"
        );
        let (st, _) = schedule(&app, "adv_a", &conv, good.clone()).await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
    }
}

#[tokio::test]
async fn the_desk_schedules_a_callback_and_supervisors_see_it() {
    for app in apps().await {
        let l = app.label();
        let b = app.browser("adv_a").await;
        let page = format!("/t/acme/c/{}", app.conv_a.number);
        let (st, html) = b.page(&page).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("id=\"callback-form\""),
            "{l}: no callback form"
        );
        let csrf = field(&html, "_csrf");
        // A chat or e-mail conversation becomes a phone callback; the local
        // time is read in the customer's zone.
        let r = b
            .post_form(
                &format!("{page}/callbacks"),
                &[
                    ("_csrf", csrf.as_str()),
                    ("phone_number", "+33 6 11 22 33 44"),
                    ("time_zone", "Australia/Sydney"),
                    ("not_before", "2099-03-01T09:00"),
                    ("deadline", "2099-03-01T18:00"),
                    ("note", "rappeler pour le paiement"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let c = callback_state(&app, &app.conv_a.id.to_string()).await;
        assert_eq!(c["phone_number"], "+33611223344", "{l}: {c}");
        assert!(
            c["local_not_before"]
                .as_str()
                .unwrap()
                .starts_with("2099-03-01 09:00"),
            "{l}: {c}"
        );
        let (_, html) = b.page(&page).await;
        assert!(
            html.contains("rappeler pour le paiement"),
            "{l}: the timeline does not show it"
        );
        // A bad one is refused with nothing written.
        let count = app.event_count().await;
        let r = b
            .post_form(
                &format!("{page}/callbacks"),
                &[
                    ("_csrf", csrf.as_str()),
                    ("phone_number", "+33611223344"),
                    ("time_zone", "Nowhere/Atlantis"),
                    ("not_before", "2099-03-01T09:00"),
                    ("deadline", "2099-03-01T18:00"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(app.event_count().await, count, "{l}");
        // The supervisors' page lists it; an advisor may not see that page.
        let (st, html) = app.browser("sup_a").await.page("/t/acme/callbacks").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("+33611223344"), "{l}");
        let (st, _) = b.page("/t/acme/callbacks").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (_, html) = app
            .browser("sup_a")
            .await
            .page("/t/acme/callbacks?state=missed")
            .await;
        assert!(!html.contains("+33611223344"), "{l}: not missed");
    }
}

#[tokio::test]
async fn supervisors_see_contacts_waiting_beyond_the_maximum() {
    for app in apps().await {
        let l = app.label();
        configure_tiers(&app).await;
        let (_, v) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        let mut config = v["config"].clone();
        config["workflows"][0]["max_wait_secs"] = json!(1);
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/routing",
                json!({"expected_version": v["version"], "config": config}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let b = app.browser("sup_a").await;
        let (_, html) = b.page("/t/acme/callbacks").await;
        assert!(html.contains("id=\"wait-alerts\""), "{l}");
        // Nobody is available: the chat waits beyond its queue's maximum.
        let conv = new_conversation(&app, "chat", "Personne ne répond").await;
        let deadline = tokio::time::Instant::now() + WAIT;
        while events_of(&app, &conv, "routing.max_wait_exceeded")
            .await
            .is_empty()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{l}: no max-wait alert"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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
        let (_, html) = b.page("/t/acme/callbacks").await;
        assert!(
            html.contains(&format!("/t/acme/c/{n}\"")),
            "{l}: the alert is not shown"
        );
    }
}
