//! One customer across channels: identities added by hand (one owned by
//! another customer is a conflict naming them), merges that move
//! identities and conversations, and undo that moves exactly those back or
//! says why it cannot. Brands stay apart; read-only accounts cannot merge.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn customer(app: &App, name: &str, email: &str) -> String {
    let (st, v) = app
        .send(
            "adv_a",
            Method::POST,
            "/api/v1/tenants/acme/customers",
            json!({"name": name, "email": email}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (st, v) = app
        .send("adv_a", Method::POST, "/api/v1/tenants/acme/conversations",
              json!({"customer_id": id, "subject": format!("{name}'s question"), "channel": "email", "body": "Bonjour"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    id
}

/// (sorted identity values, sorted conversation ids, merged_into)
async fn snapshot(app: &App, id: &str) -> (Vec<String>, Vec<String>, Value) {
    let (st, v) = app
        .get("adv_a", &format!("/api/v1/tenants/acme/customers/{id}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mut ids: Vec<String> = v["customer"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["kind"].as_str().unwrap(),
                i["value"].as_str().unwrap()
            )
        })
        .collect();
    ids.sort();
    let mut convs: Vec<String> = v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    convs.sort();
    (ids, convs, v["merged_into"].clone())
}

#[tokio::test]
async fn merge_moves_identities_and_conversations_and_undo_restores_them_exactly() {
    for app in apps().await {
        let label = app.label();
        let a = customer(&app, "Awa Diallo", "awa@example.org").await;
        let b = customer(&app, "A. Diallo", "AWA.D@Example.org").await;
        let base = "/api/v1/tenants/acme/customers";

        // Identities by hand: normalised, and one owned elsewhere names its owner.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/identities"),
                json!({"kind": "phone", "value": "+33 6 11 22 33 44"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/identities"),
                json!({"kind": "email", "value": "awa.d@example.org"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{label}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains("A. Diallo")
                && v["detail"].as_str().unwrap().contains(&b),
            "{label}: {v}"
        );
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/identities"),
                json!({"kind": "phone", "value": "0611223344"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: E.164 only");

        let a0 = snapshot(&app, &a).await;
        let b0 = snapshot(&app, &b).await;
        assert_eq!(
            b0.0,
            ["email:awa.d@example.org"],
            "{label}: e-mail lower-cased"
        );

        // Roles and brands first: nothing moves.
        let (st, _) = app
            .send(
                "viewer_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": b}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{label}");
        let (st, _) = app
            .send(
                "adv_b",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": b}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let other = app.conv_b.customer_id.to_string();
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": other}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{label}: another brand's customer"
        );
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": a}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(snapshot(&app, &a).await, a0, "{label}");

        // The merge: everything of B is now A's; B points at A.
        let (st, m) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": b}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {m}");
        let merge_id = m["id"].as_str().unwrap().to_string();
        let a1 = snapshot(&app, &a).await;
        let b1 = snapshot(&app, &b).await;
        let mut want_ids = [a0.0.clone(), b0.0.clone()].concat();
        want_ids.sort();
        let mut want_convs = [a0.1.clone(), b0.1.clone()].concat();
        want_convs.sort();
        assert_eq!(a1.0, want_ids, "{label}");
        assert_eq!(a1.1, want_convs, "{label}");
        assert!(b1.0.is_empty() && b1.1.is_empty(), "{label}: {b1:?}");
        assert_eq!(b1.2, a.as_str(), "{label}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": b}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{label}: already merged");
        // A call from the merged customer's... identity now finds the survivor.
        let (_, list) = app.get("adv_a", &format!("{base}/{a}/merges")).await;
        assert_eq!(list[0]["id"], merge_id.as_str(), "{label}");
        // The card shows both histories and the merge.
        let br = app.browser("adv_a").await;
        let (st, html) = br.page(&format!("/t/acme/customers/{a}")).await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert_eq!(
            html.matches("<div class=\"body\">Bonjour</div>").count(),
            2,
            "{label}: both customers' conversations in one timeline"
        );
        assert!(
            html.contains(&format!("/merges/{merge_id}/undo")),
            "{label}"
        );

        // Undo: exactly what moved goes back; things added since stay.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/identities"),
                json!({"kind": "social", "value": "twitter:@awa"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {v}");
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merges/{merge_id}/undo"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        assert!(v["undone_at"].is_string(), "{label}");
        let a2 = snapshot(&app, &a).await;
        let mut want = a0.0.clone();
        want.push("social:twitter:@awa".into());
        want.sort();
        assert_eq!(a2.0, want, "{label}");
        assert_eq!(a2.1, a0.1, "{label}");
        assert_eq!(snapshot(&app, &b).await, b0, "{label}: B is back as it was");
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merges/{merge_id}/undo"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{label}: {v}");
        let (_, html) = br.page(&format!("/t/acme/customers/{a}")).await;
        assert_eq!(
            html.matches("<div class=\"body\">Bonjour</div>").count(),
            1,
            "{label}"
        );
        assert!(html.contains("Undone"), "{label}");

        // An undo that cannot be exact is refused and says why.
        let c = customer(&app, "Awa D.", "awa3@example.org").await;
        let (st, m) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merge"),
                json!({"from": b}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}: {m}");
        let second = m["id"].as_str().unwrap().to_string();
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{c}/merge"),
                json!({"from": a}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}");
        let before = app.event_count().await;
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{base}/{a}/merges/{second}/undo"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{label}: {v}");
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("undo that merge first"),
            "{label}: {v}"
        );
        assert_eq!(app.event_count().await, before, "{label}");
        // Another brand's advisor cannot undo either.
        let (st, _) = app
            .send(
                "adv_b",
                Method::POST,
                &format!("{base}/{a}/merges/{second}/undo"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
    }
}
