//! The router running inside the server: a new chat is offered to an
//! available advisor with a matching profile, who accepts (it is assigned to
//! them) or rejects (it goes to someone else, never back); nobody answers
//! another's offer; and two servers on one database route a tenant once.

use std::time::Duration;

use plateau_web::{AppState, WebConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Polls `who`'s pending offers until one is for `conv`.
async fn wait_offer(app: &App, who: &str, conv: &str) -> Option<Value> {
    wait_offer_for(app, who, conv, WAIT).await
}

/// Long enough for a loaded two-core machine; polls return as soon as it holds.
const WAIT: Duration = Duration::from_secs(20);

/// Chats are routed to advisors with the `internet` skill; other channels
/// match no workflow. The offer timeout is long so that no offer lapses while
/// a slow test runs.
async fn configure(app: &App) {
    for who in ["adv_a", "adv2_a"] {
        set_routing_profile(app, who, json!({"skills": {"internet": 3}, "languages": ["fr"], "tier": "n1", "capacity": {"chat": 3}})).await;
    }
    save_routing(app, |config| {
        config["offer_timeout_secs"] = json!(120);
        config["workflows"] = json!([{
            "name": "chat", "filter": "channel == \"chat\"", "tier": "n1",
            "steps": [{"target": "skills.internet >= 1"}]
        }]);
    })
    .await;
}

async fn wait_assignee(app: &App, conv: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, c) = app
            .get(
                "sup_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        let a = c["conversation"]["assignee_id"].clone();
        let a = if a.is_null() {
            c["assignee_id"].clone()
        } else {
            a
        };
        if !a.is_null() || tokio::time::Instant::now() >= deadline {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn answer(conv: &str, what: &str) -> String {
    format!("/api/v1/tenants/acme/offers/{conv}/{what}")
}

async fn events_of(app: &App, conv: &str, kind: &str) -> Vec<plateau_core::event::Event> {
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

#[tokio::test]
async fn an_accepted_offer_assigns_the_conversation_to_its_advisor() {
    for app in apps().await {
        let l = app.label();
        configure(&app).await;
        available(&app, "adv_a").await;
        let conv = new_conversation(&app, "chat", "Débit faible").await;
        let offer = wait_offer(&app, "adv_a", &conv)
            .await
            .unwrap_or_else(|| panic!("{l}: no offer reached the available advisor"));
        assert_eq!(offer["tenant"], "acme", "{l}");
        assert_eq!(offer["subject"], "Débit faible", "{l}");
        assert!(
            offers(&app, "adv2_a").await.is_empty(),
            "{l}: offline advisors get nothing"
        );

        // Only the offered advisor may answer.
        for (who, want) in [
            ("adv2_a", StatusCode::FORBIDDEN),
            ("viewer_a", StatusCode::FORBIDDEN),
            ("adv_b", StatusCode::NOT_FOUND),
            ("nobody", StatusCode::NOT_FOUND),
        ] {
            let (st, v) = app
                .send(who, Method::POST, &answer(&conv, "accept"), json!({}))
                .await;
            assert_eq!(st, want, "{l}: {who}: {v}");
        }
        assert!(
            events_of(&app, &conv, "routing.offer_accepted")
                .await
                .is_empty(),
            "{l}: refusals write nothing"
        );
        let unknown = uuid::Uuid::now_v7();
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &answer(&unknown.to_string(), "accept"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");

        let (st, v) = app
            .send("adv_a", Method::POST, &answer(&conv, "accept"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(
            wait_assignee(&app, &conv).await,
            json!(app.users["adv_a"]),
            "{l}: assigned to the accepter"
        );
        let (st, _) = app
            .send("adv_a", Method::POST, &answer(&conv, "accept"), json!({}))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: an answered offer is gone");
        assert!(
            offers(&app, "adv_a")
                .await
                .iter()
                .all(|o| o["conversation_id"] != conv.as_str()),
            "{l}"
        );
        // The timeline tells the story: offered, accepted, assigned.
        assert_eq!(
            events_of(&app, &conv, "routing.offered").await.len(),
            1,
            "{l}"
        );
        assert_eq!(
            events_of(&app, &conv, "routing.offer_accepted").await.len(),
            1,
            "{l}"
        );
        let updates = events_of(&app, &conv, "conversation.updated").await;
        assert!(
            updates
                .iter()
                .any(|e| e.payload["changes"]["assignee_id"]["to"] == json!(app.users["adv_a"])),
            "{l}: {updates:?}"
        );
    }
}

#[tokio::test]
async fn a_rejected_offer_goes_to_someone_else_and_never_back() {
    for app in apps().await {
        let l = app.label();
        configure(&app).await;
        available(&app, "adv_a").await;
        let conv = new_conversation(&app, "chat", "Box muette").await;
        wait_offer(&app, "adv_a", &conv)
            .await
            .unwrap_or_else(|| panic!("{l}: no offer"));
        let (st, v) = app
            .send("adv_a", Method::POST, &answer(&conv, "reject"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");

        available(&app, "adv2_a").await;
        wait_offer(&app, "adv2_a", &conv).await.unwrap_or_else(|| {
            panic!("{l}: the rejected conversation went back to the queue for others")
        });
        let offered: Vec<Value> = events_of(&app, &conv, "routing.offered")
            .await
            .into_iter()
            .map(|e| e.payload["advisor_id"].clone())
            .collect();
        assert_eq!(
            offered,
            vec![json!(app.users["adv_a"]), json!(app.users["adv2_a"])],
            "{l}: never offered back"
        );
        assert!(
            offers(&app, "adv_a")
                .await
                .iter()
                .all(|o| o["conversation_id"] != conv.as_str()),
            "{l}"
        );
        // A new chat still reaches the advisor who rejected the other one.
        let other = new_conversation(&app, "chat", "Autre souci").await;
        assert!(
            wait_offer(&app, "adv_a", &other).await.is_some()
                || wait_offer(&app, "adv2_a", &other).await.is_some(),
            "{l}"
        );
        assert_eq!(
            wait_assignee(&app, &conv).await,
            Value::Null,
            "{l}: nobody accepted yet"
        );
    }
}

#[tokio::test]
async fn two_servers_on_one_database_route_a_tenant_once() {
    for app in apps().await {
        let l = app.label();
        configure(&app).await;
        available(&app, "adv_a").await;
        // The first server routes the tenant once an offer has been made.
        let first = new_conversation(&app, "chat", "Panne 0").await;
        wait_offer(&app, "adv_a", &first)
            .await
            .unwrap_or_else(|| panic!("{l}: no offer"));
        // A second server process: its own store on the same database (on
        // SQLite, one process is all there is, so it shares the store).
        let store2 = if l == "postgres" {
            plateau_store::Store::open(&app.db.url).await.unwrap()
        } else {
            app.db.store.clone()
        };
        let second = AppState::new(store2, WebConfig::default()).unwrap();
        let mut convs = vec![first];
        for i in 1..3 {
            convs.push(new_conversation(&app, "chat", &format!("Panne {i}")).await);
        }
        for conv in &convs {
            wait_offer(&app, "adv_a", conv)
                .await
                .unwrap_or_else(|| panic!("{l}: no offer for {conv}"));
            let (st, v) = app
                .send("adv_a", Method::POST, &answer(conv, "accept"), json!({}))
                .await;
            assert_eq!(st, StatusCode::OK, "{l}: {v}");
            assert_eq!(
                wait_assignee(&app, conv).await,
                json!(app.users["adv_a"]),
                "{l}"
            );
        }
        // Give a second router, if there were one, time to act.
        tokio::time::sleep(Duration::from_secs(3)).await;
        for conv in &convs {
            assert_eq!(
                events_of(&app, conv, "routing.offered").await.len(),
                1,
                "{l}: offered once"
            );
            let assignments = events_of(&app, conv, "conversation.updated")
                .await
                .into_iter()
                .filter(|e| e.payload["changes"].get("assignee_id").is_some())
                .count();
            assert_eq!(assignments, 1, "{l}: assigned exactly once");
        }

        // The first server stops routing (as on shutdown): the second takes over.
        app.state.stopping.send_replace(true);
        let conv = new_conversation(&app, "chat", "Après la bascule").await;
        assert!(
            wait_offer(&app, "adv_a", &conv).await.is_some(),
            "{l}: the remaining server routes the tenant"
        );
        assert_eq!(
            events_of(&app, &conv, "routing.offered").await.len(),
            1,
            "{l}"
        );
        second.stopping.send_replace(true);
    }
}

/// Yesterday to the day after tomorrow (UTC dates) as holidays: the site is
/// closed now whatever its zone.
fn closed_days() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let mut d = today.previous_day().unwrap();
    let mut out = Vec::new();
    for _ in 0..4 {
        out.push(format!("{d} Fermé"));
        d = d.next_day().unwrap();
    }
    out.join("\n")
}

#[tokio::test]
async fn a_closed_site_is_passed_over_at_once_and_its_reopening_takes_over() {
    for app in apps().await {
        let l = app.label();
        // Paris (adv_a) first; Sydney (adv2_a) once Paris is passed over.
        let mut site_ids = Vec::new();
        for (name, tz) in [("Paris", "Europe/Paris"), ("Sydney", "Australia/Sydney")] {
            let (st, v) = app
                .send(
                    "admin_a",
                    Method::POST,
                    "/api/v1/tenants/acme/sites",
                    json!({"name": name, "country": "FR", "time_zone": tz}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
            site_ids.push(v["id"].as_str().unwrap().to_string());
        }
        let hours = format!("/api/v1/tenants/acme/sites/{}/hours", site_ids[0]);
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                &hours,
                json!({"hours": "mon-sun 00:00-24:00", "holidays": closed_days()}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        for (who, site) in [("adv_a", &site_ids[0]), ("adv2_a", &site_ids[1])] {
            let id = app.users[who];
            let (st, v) = app
                .send(
                    "admin_a",
                    Method::PUT,
                    &format!("/api/v1/tenants/acme/members/{id}"),
                    json!({"role": "advisor", "team_id": null, "site_id": site}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{l}: {v}");
            set_routing_profile(&app, who, json!({"skills": {"internet": 3}, "languages": ["fr"], "tier": "n1", "capacity": {"chat": 3}})).await;
        }
        save_routing(&app, |config| {
            config["offer_timeout_secs"] = json!(120);
            // Without the hand-over, the first step would hold a chat for
            // ten minutes before trying Sydney.
            config["workflows"] = json!([{
                "name": "chat", "filter": "channel == \"chat\"", "tier": "n1",
                "steps": [
                    {"target": "site == \"Paris\"", "timeout_secs": 600, "skip_if": [{"site_closed": "Paris"}]},
                    {"target": "site == \"Sydney\""}
                ]
            }]);
        })
        .await;
        available(&app, "adv_a").await;
        available(&app, "adv2_a").await;

        let night = new_conversation(&app, "chat", "Paris dort").await;
        wait_offer(&app, "adv2_a", &night)
            .await
            .unwrap_or_else(|| panic!("{l}: Paris is closed, Sydney should have the chat at once"));
        assert!(
            offers(&app, "adv_a").await.is_empty(),
            "{l}: closed Paris gets nothing"
        );
        // Sydney takes it, so the rebuild below has no earlier chat to offer.
        let (st, v) = app
            .send("adv2_a", Method::POST, &answer(&night, "accept"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert!(!wait_assignee(&app, &night).await.is_null(), "{l}");

        // Paris opens (its holidays removed): the router hears of it, and
        // the next chat goes to Paris first.
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                &hours,
                json!({"hours": "mon-sun 00:00-24:00", "holidays": ""}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let day = new_conversation(&app, "chat", "Paris répond").await;
        wait_offer(&app, "adv_a", &day)
            .await
            .unwrap_or_else(|| panic!("{l}: Paris is open again and should have the chat"));
    }
}
