//! The supervisor's wallboard: its figures follow contacts as they arrive,
//! are answered, taken by hand or closed while queued; today's service level
//! survives a restart on the same database; only supervisors and tenant
//! admins of the brand see it.

use std::time::Duration;

use plateau_web::{AppState, WebConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Long enough for a loaded two-core machine; polls return as soon as it holds.
const WAIT: Duration = Duration::from_secs(20);
const BOARD: &str = "/api/v1/tenants/acme/wallboard";

/// One chat at a time for adv_a, so a second chat waits; chats go through
/// the "chat" queue.
async fn configure(app: &App) {
    for who in ["adv_a", "adv2_a"] {
        set_routing_profile(app, who, json!({"skills": {"internet": 3}, "languages": ["fr"], "tier": "n1", "capacity": {"chat": 1}})).await;
    }
    save_routing(app, |config| {
        config["offer_timeout_secs"] = json!(120);
        config["service_level_target_percent"] = json!(90);
        config["workflows"] = json!([{
            "name": "chat", "filter": "channel == \"chat\"", "tier": "n1",
            "steps": [{"target": "skills.internet >= 1"}]
        }]);
    })
    .await;
}

/// Polls `get` until `ok` holds for the "chat" queue's row; returns the last board.
async fn wait_board<F, Fut>(get: F, ok: impl Fn(&Value) -> bool) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (st, v) = get().await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let row = v["queues"]
            .as_array()
            .and_then(|qs| qs.iter().find(|q| q["queue"] == "chat"))
            .cloned()
            .unwrap_or(Value::Null);
        if ok(&row) || tokio::time::Instant::now() >= deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn chat_row(board: &Value) -> Value {
    board["queues"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["queue"] == "chat"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn sl(row: &Value, field: &str) -> i64 {
    row["service_level"][field].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn figures_follow_contacts_and_survive_a_restart() {
    for app in apps().await {
        let l = app.label();
        // Nothing configured: an empty board that says so.
        let (st, v) = app.get("sup_a", BOARD).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["configured"], false, "{l}");
        assert_eq!(v["queues"], json!([]), "{l}");

        configure(&app).await;
        let (st, v) = app
            .send(
                "adv_a",
                Method::PUT,
                "/api/v1/me/presence",
                json!({"state": "available"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");

        // The first chat is offered to adv_a, who accepts: answered in time.
        let first = new_conversation(&app, "chat", "Panne 1").await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (st, _) = app
                .send(
                    "adv_a",
                    Method::POST,
                    &format!("/api/v1/tenants/acme/offers/{first}/accept"),
                    json!({}),
                )
                .await;
            if st == StatusCode::OK {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{l}: no offer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The second waits: adv_a has room for one chat, adv2_a is offline.
        let second = new_conversation(&app, "chat", "Panne 2").await;
        let board = wait_board(
            || app.get("sup_a", BOARD),
            |q| q["waiting"] == 1 && sl(q, "answered") == 1,
        )
        .await;
        let row = chat_row(&board);
        assert_eq!(board["configured"], true, "{l}");
        assert_eq!(board["stale"], false, "{l}: {board}");
        assert_eq!(board["target_percent"], 90, "{l}");
        assert_eq!(row["waiting"], 1, "{l}: {board}");
        assert!(row["oldest_since"].is_string(), "{l}: {row}");
        assert_eq!(
            (sl(&row, "answered"), sl(&row, "answered_within")),
            (1, 1),
            "{l}: {row}"
        );
        assert_eq!(row["service_level_percent"], 100.0, "{l}");
        assert_eq!(row["meets_target"], true, "{l}");
        assert_eq!(
            row["advisors"]["busy"], 1,
            "{l}: adv_a holds the first chat: {row}"
        );
        assert_eq!(board["advisors"]["busy"], 1, "{l}: {board}");

        // Taken by hand while queued: it leaves the queue, not as an abandon.
        let (st, v) = app
            .send(
                "sup_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{second}"),
                json!({"assignee_id": app.users["adv2_a"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let board = wait_board(|| app.get("sup_a", BOARD), |q| q["waiting"] == 0).await;
        let row = chat_row(&board);
        assert_eq!(row["waiting"], 0, "{l}: {board}");
        assert_eq!(
            sl(&row, "abandoned") + sl(&row, "short_abandoned"),
            0,
            "{l}: taking a chat by hand is no abandon: {row}"
        );
        // Closed while queued: the customer's contact ended unanswered.
        let third = new_conversation(&app, "chat", "Panne 3").await;
        wait_board(|| app.get("sup_a", BOARD), |q| q["waiting"] == 1).await;
        let (st, v) = app
            .send(
                "sup_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{third}"),
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let board = wait_board(
            || app.get("sup_a", BOARD),
            |q| sl(q, "abandoned") + sl(q, "short_abandoned") == 1,
        )
        .await;
        let row = chat_row(&board);
        assert_eq!(
            sl(&row, "abandoned") + sl(&row, "short_abandoned"),
            1,
            "{l}: the closed chat only: {row}"
        );
        assert_eq!(
            sl(&row, "answered"),
            1,
            "{l}: the hand-taken chat is not counted"
        );

        // Another brand's board shows none of it.
        let (st, v) = app
            .get("platform", "/api/v1/tenants/globex/wallboard")
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["queues"], json!([]), "{l}: {v}");
        assert_eq!(v["configured"], false, "{l}");

        // Restart: the first server stops, a new one on the same database
        // serves the same day's figures and routes again.
        app.state.stopping.send_replace(true);
        let restarted = jiff::Timestamp::now();
        let store2 = if l == "postgres" {
            plateau_store::Store::open(&app.db.url).await.unwrap()
        } else {
            app.db.store.clone()
        };
        let second_state = AppState::new(store2, WebConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(plateau_web::serve(listener, second_state.clone(), async {
            let _ = stopped.await;
        }));
        let token = app.tokens["sup_a"].clone();
        let get2 = || {
            let (base, token) = (base.clone(), token.clone());
            async move {
                let r = reqwest::Client::new()
                    .get(format!("{base}{BOARD}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                let st = r.status();
                (st, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let board = wait_board(get2, |q| !q.is_null()).await;
        let row = chat_row(&board);
        assert_eq!(
            (
                sl(&row, "answered"),
                sl(&row, "answered_within"),
                sl(&row, "abandoned") + sl(&row, "short_abandoned")
            ),
            (1, 1, 1),
            "{l}: today's figures after the restart: {board}"
        );
        // The new server's router publishes its own snapshot.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (_, b) = get2().await;
            let fresh = b["snapshot_at"]
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| t >= restarted);
            if fresh {
                assert_eq!(b["stale"], false, "{l}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{l}: the new server never published: {b}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        second_state.stopping.send_replace(true);
        drop(stop);
    }
}

#[tokio::test]
async fn only_supervisors_and_tenant_admins_of_the_brand_see_it() {
    for app in apps().await {
        let l = app.label();
        for (who, want) in [
            ("sup_a", StatusCode::OK),
            ("admin_a", StatusCode::OK),
            ("platform", StatusCode::OK),
            ("adv_a", StatusCode::FORBIDDEN),
            ("km_a", StatusCode::FORBIDDEN),
            ("viewer_a", StatusCode::FORBIDDEN),
            ("adv_b", StatusCode::NOT_FOUND),
            ("nobody", StatusCode::NOT_FOUND),
            ("anonymous", StatusCode::UNAUTHORIZED),
        ] {
            let (st, v) = app.get(who, BOARD).await;
            assert_eq!(st, want, "{l}: {who}: {v}");
        }
        let (st, _) = app.get("sup_a", "/api/v1/tenants/globex/wallboard").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: another brand looks absent");
    }
}

#[tokio::test]
async fn the_page_shows_an_empty_state_then_live_queues_in_both_languages() {
    for app in apps().await {
        let l = app.label();
        let sup = app.browser("sup_a").await;
        let (st, html) = sup.page("/t/acme/wallboard").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("data-wallboard=\"/t/acme/wallboard/board\""),
            "{l}"
        );
        assert!(
            html.contains("queues and workflows are not set up"),
            "{l}: empty state"
        );
        assert!(!html.contains("<svg"), "{l}: no chart without queues");
        // The nav link (and its g w shortcut) only for those allowed.
        let (_, inbox) = sup.page("/t/acme/inbox").await;
        assert!(inbox.contains("href=\"/t/acme/wallboard\""), "{l}");
        assert!(inbox.contains("data-key=\"gw\""), "{l}");
        let adv = app.browser("adv_a").await;
        let (_, inbox) = adv.page("/t/acme/inbox").await;
        assert!(!inbox.contains("/wallboard"), "{l}: no link for an advisor");
        for path in ["/t/acme/wallboard", "/t/acme/wallboard/board"] {
            let (st, _) = adv.page(path).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{l}: {path}");
            let (st, _) = app.browser("viewer_a").await.page(path).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{l}: {path}");
        }

        configure(&app).await;
        new_conversation(&app, "chat", "En attente").await;
        // Nobody is available: the chat waits, and the fragment shows it ticking.
        let deadline = tokio::time::Instant::now() + WAIT;
        let fragment = loop {
            let (st, html) = sup.page("/t/acme/wallboard/board").await;
            assert_eq!(st, StatusCode::OK, "{l}");
            if html.contains("data-since-ms") || tokio::time::Instant::now() >= deadline {
                break html;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(fragment.contains("data-since-ms"), "{l}: {fragment}");
        assert!(!fragment.contains("<html"), "{l}: a fragment, not a page");
        assert!(
            fragment.contains("<svg") && fragment.contains("target 90 %"),
            "{l}: {fragment}"
        );
        assert!(fragment.contains(">chat<"), "{l}");

        let csrf = sup.csrf().await;
        let r = sup
            .post_form(
                "/settings/locale",
                &[
                    ("_csrf", &csrf),
                    ("locale", "fr"),
                    ("back", "/t/acme/wallboard"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = sup.page("/t/acme/wallboard").await;
        assert!(html.contains("Mur de supervision"), "{l}");
        assert!(html.contains("objectif 90 %"), "{l}");
        assert!(html.contains("Plus longue attente"), "{l}");
    }
}
