//! The desk search: the index follows the event log, French queries match
//! despite missing accents and plurals, tenants and roles are respected, and
//! bad queries get a clear answer instead of an error.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Searches until `want` holds for the response or 10 s pass: the indexer
/// commits a few times a second, after the write that feeds it.
async fn search_until(app: &App, who: &str, path: &str, want: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (st, v) = app.get(who, path).await;
        assert_eq!(st, StatusCode::OK, "{}: {path}: {v}", app.label());
        if want(&v) {
            return v;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{}: {path}: condition never met; last answer {last}",
        app.label()
    );
}

fn titles(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn new_conversations_and_notes_become_searchable_for_those_allowed() {
    for app in apps().await {
        let l = app.label();
        let (st, c) = app
            .send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations", json!({
                "subject": "Décodeur bloqué", "channel": "email",
                "body": "Depuis l'orage, les voyants du décodeur clignotent en orange.",
                "customer": {"name": "Léa Fontaine", "email": "lea@ex.fr", "contract_tier": "standard", "language": "fr"}
            }))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {c}");
        let conv_id = c["id"].as_str().unwrap().to_string();
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{conv_id}/messages"),
                json!({"body": "Client difficile, code interne zébrure-42", "direction": "note"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);

        // No accent, singular for plural, elision: still the message.
        let v = search_until(
            &app,
            "adv_a",
            "/api/v1/tenants/acme/search?q=voyant%20decodeur%20clignote%20orage",
            |v| {
                v["hits"]
                    .as_array()
                    .is_some_and(|h| h.iter().any(|h| h["kind"] == "message"))
            },
        )
        .await;
        let hit = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["kind"] == "message")
            .unwrap();
        assert_eq!(hit["conversation_id"], conv_id.as_str(), "{l}");
        assert!(
            hit["snippet_html"].as_str().unwrap().contains("<mark>"),
            "{l}: {hit}"
        );
        assert_eq!(
            hit["url"],
            format!("/t/acme/open/{conv_id}#m-{}", hit["id"].as_str().unwrap())
        );
        // The conversation itself is found by its customer's name.
        let v = search_until(
            &app,
            "adv_a",
            "/api/v1/tenants/acme/search?q=lea%20fontaine&kind=conversation",
            |v| v["total"] == 1,
        )
        .await;
        assert_eq!(
            titles(&v)[0],
            format!("#{} Décodeur bloqué", c["number"]),
            "{l}"
        );

        // The note is found by advisors, never by the brand's read-only account.
        search_until(
            &app,
            "adv_a",
            "/api/v1/tenants/acme/search?q=zebrure",
            |v| v["total"] == 1,
        )
        .await;
        let (st, v) = app
            .get("viewer_a", "/api/v1/tenants/acme/search?q=zebrure")
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert_eq!(v["total"], 0, "{l}: {v}");
        // The customer's own message is part of what the brand may read.
        let (_, v) = app
            .get("viewer_a", "/api/v1/tenants/acme/search?q=voyant%20orage")
            .await;
        assert!(
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["kind"] == "message"),
            "{l}: {v}"
        );

        // Another brand's advisor finds nothing of it, and cannot search acme.
        let (st, v) = app
            .get("adv_b", "/api/v1/tenants/globex/search?q=decodeur%20orage")
            .await;
        assert_eq!(
            (st, v["total"].as_u64()),
            (StatusCode::OK, Some(0)),
            "{l}: {v}"
        );
        let (st, v) = app
            .get("adv_b", "/api/v1/tenants/acme/search?q=decodeur")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: {v}");
        let (st, _) = app
            .get("nobody", "/api/v1/tenants/acme/search?q=decodeur")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = app
            .get("anonymous", "/api/v1/tenants/acme/search?q=decodeur")
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{l}");
    }
}

#[tokio::test]
async fn bad_queries_get_clear_answers() {
    for app in apps().await {
        let l = app.label();
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/search?q=box&kind=tickets")
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{l}: {v}"
        );
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/search?q=box&language=de")
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{l}: {v}"
        );
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/search?q=box&limit=many")
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{l}: {v}"
        );
        // Syntax the engine does not understand is searched as words.
        for q in [
            "%22unbalanced",
            "box%20AND%20OR%20(",
            "*%3A%3A~~^",
            "%E2%80%8B",
        ] {
            let (st, v) = app
                .get("adv_a", &format!("/api/v1/tenants/acme/search?q={q}"))
                .await;
            assert_eq!(st, StatusCode::OK, "{l}: {q}: {v}");
        }
        // An over-long query is cut, and the answer says so.
        let long = "connexion ".repeat(200);
        let (st, v) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/search?q={}", long.replace(' ', "%20")),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert_eq!(v["truncated"], true, "{l}: {v}");
        assert!(v["query"].as_str().unwrap().len() < long.len());
    }
}

#[tokio::test]
async fn the_search_page_lists_hits_and_opens_them() {
    for app in apps().await {
        let l = app.label();
        let b = app.browser("adv_a").await;
        // The fixture's conversation: "ma box ne s'allume plus".
        let path = "/api/v1/tenants/acme/search?q=allume";
        search_until(&app, "adv_a", path, |v| v["total"].as_u64() >= Some(1)).await;
        let (st, html) = b.page("/t/acme/search?q=allume").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("<mark>s&#39;allume</mark>"), "{l}: {html}");
        assert!(
            html.contains(&format!("/t/acme/open/{}", app.conv_a.id)),
            "{l}"
        );
        let r = b
            .client
            .get(app.url(&format!("/t/acme/open/{}", app.conv_a.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        assert_eq!(
            r.headers()["location"],
            format!("/t/acme/c/{}", app.conv_a.number)
        );
        // Another tenant's conversation id does not open.
        let (st, _) = b.page(&format!("/t/acme/open/{}", app.conv_b.id)).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        // Empty states: no query yet, and nothing found.
        let (_, html) = b.page("/t/acme/search").await;
        assert!(
            html.contains("Type what the customer says")
                || html.contains("Tapez ce que dit le client"),
            "{l}"
        );
        let (_, html) = b.page("/t/acme/search?q=xylophone").await;
        assert!(
            html.contains("No result for") || html.contains("Aucun résultat pour"),
            "{l}"
        );
    }
}
