//! The knowledge-base API: KCS lifecycle and roles, versions and diffs,
//! flag it or fix it, links from conversations, suggestions, synonyms, the
//! public FAQ feed and analytics — and every refusal writes nothing.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

const BASE: &str = "/api/v1/tenants/acme";

fn article(title: &str, audience: &str, state: &str) -> Value {
    json!({
        "title": title, "language": "fr", "state": state, "audience": audience,
        "issue": "Ma box ne s'allume plus, aucun voyant.",
        "environment": "Box fibre, prise murale.",
        "resolution": "Vérifier le bloc d'alimentation, puis tester une autre prise.",
        "cause": "Alimentation défectueuse.",
        "tags": ["Box", "Alimentation"]
    })
}

async fn create(app: &App, who: &str, body: Value) -> Value {
    let (st, v) = app
        .send(who, Method::POST, &format!("{BASE}/articles"), body)
        .await;
    assert_eq!(st, StatusCode::CREATED, "{}: {v}", app.label());
    v
}

/// Polls a GET until `want` holds (the index follows the event log).
async fn until(app: &App, who: &str, path: &str, want: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (st, v) = app.get(who, path).await;
        if st == StatusCode::OK && want(&v) {
            return v;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{}: {path}: never satisfied; last {last}", app.label());
}

fn has_hit(v: &Value, id: &str) -> bool {
    v["hits"]
        .as_array()
        .is_some_and(|h| h.iter().any(|h| h["id"] == id))
}

#[tokio::test]
async fn kcs_lifecycle_follows_roles_and_keeps_every_version() {
    for app in apps().await {
        let l = app.label();
        // Advisors capture internal drafts; publishing needs a knowledge manager.
        let draft = create(
            &app,
            "adv_a",
            article("Box éteinte", "internal", "work_in_progress"),
        )
        .await;
        assert_eq!(
            (draft["version"].as_i64(), draft["state"].as_str()),
            (Some(1), Some("work_in_progress")),
            "{l}"
        );
        let before = app.event_count().await;
        for (body, who) in [
            (
                article("Box éteinte", "public", "work_in_progress"),
                "adv_a",
            ),
            (article("Box éteinte", "internal", "validated"), "adv_a"),
            (
                article("Box éteinte", "internal", "work_in_progress"),
                "viewer_a",
            ),
        ] {
            let (st, v) = app
                .send(who, Method::POST, &format!("{BASE}/articles"), body)
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{l}: {who}: {v}");
        }
        // Bad input: every bad field reported, nothing written.
        let (st, v) = app
            .send("km_a", Method::POST, &format!("{BASE}/articles"),
                json!({"title": "  ", "language": "fr", "state": "validated", "audience": "public"}))
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{l}: {v}"
        );
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"title") && fields.contains(&"resolution"),
            "{l}: {v}"
        );
        let st = app
            .call("km_a", Method::POST, &format!("{BASE}/articles"), None)
            .await
            .status();
        assert!(st.is_client_error(), "{l}: no body");
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: refusals write nothing"
        );

        // Fix it: an advisor improves the draft; a stale version is refused.
        let id = draft["id"].as_str().unwrap();
        let path = format!("{BASE}/articles/{id}");
        let mut edit = article("Box éteinte : aucun voyant", "internal", "work_in_progress");
        edit.as_object_mut().unwrap().remove("state");
        edit["expected_version"] = json!(1);
        edit["note"] = json!("Titre plus précis");
        let (st, v) = app.send("adv_a", Method::PUT, &path, edit.clone()).await;
        assert_eq!(
            (st, v["version"].as_i64()),
            (StatusCode::OK, Some(2)),
            "{l}: {v}"
        );
        let before = app.event_count().await;
        let (st, v) = app.send("adv2_a", Method::PUT, &path, edit.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "conflict"),
            "{l}: {v}"
        );
        // An advisor may not publish it by editing the audience.
        edit["expected_version"] = json!(2);
        edit["audience"] = json!("public");
        let (st, _) = app.send("adv_a", Method::PUT, &path, edit).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        assert_eq!(app.event_count().await, before, "{l}");

        // Versions and the diff between them.
        let (st, v) = app.get("adv_a", &format!("{path}/versions")).await;
        assert_eq!(
            (st, v.as_array().unwrap().len()),
            (StatusCode::OK, 2),
            "{l}"
        );
        let (st, v) = app.get("adv_a", &format!("{path}/diff?from=1&to=2")).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let changed: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(changed, vec!["title"], "{l}: {v}");
        let (st, _) = app.get("adv_a", &format!("{path}/diff?from=1&to=9")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");

        // The lifecycle: advisors move drafts, knowledge managers validate.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/state"),
                json!({"expected_version": 2, "state": "validated"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{path}/state"),
                json!({"expected_version": 2, "state": "validated"}),
            )
            .await;
        assert_eq!(
            (st, v["state"].as_str()),
            (StatusCode::OK, Some("validated")),
            "{l}: {v}"
        );
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{path}/state"),
                json!({"expected_version": 2, "state": "draft"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        // Now validated, advisors can no longer edit it: they flag it instead.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/flags"),
                json!({"reason": "outdated", "comment": "Le bloc a changé de modèle."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let flag_id = v["id"].as_str().unwrap().to_string();
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{path}/flags"),
                json!({"reason": "boring"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        let (st, _) = app.get("adv_a", &format!("{BASE}/flags")).await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "{l}: the flag queue is the publishers'"
        );
        let (st, v) = app.get("km_a", &format!("{BASE}/flags")).await;
        assert_eq!(
            (st, v.as_array().unwrap().len()),
            (StatusCode::OK, 1),
            "{l}: {v}"
        );
        let resolve = format!("{BASE}/flags/{flag_id}/resolve");
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &resolve,
                json!({"status": "fixed", "note": "Mis à jour."}),
            )
            .await;
        assert_eq!(
            (st, v["status"].as_str()),
            (StatusCode::OK, Some("fixed")),
            "{l}: {v}"
        );
        let (st, _) = app
            .send(
                "km_a",
                Method::POST,
                &resolve,
                json!({"status": "dismissed"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
    }
}

#[tokio::test]
async fn audiences_and_tenants_are_walls() {
    for app in apps().await {
        let l = app.label();
        let internal = create(
            &app,
            "km_a",
            article("Procédure interne box", "internal", "validated"),
        )
        .await;
        let public = create(
            &app,
            "km_a",
            article("Box qui ne s'allume plus", "public", "validated"),
        )
        .await;
        let (iid, pid) = (
            internal["id"].as_str().unwrap(),
            public["id"].as_str().unwrap(),
        );

        // The brand's read-only account: public and partner articles only.
        let (_, v) = app.get("viewer_a", &format!("{BASE}/articles")).await;
        let ids: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![pid], "{l}: {v}");
        let (st, _) = app.get("viewer_a", &format!("{BASE}/articles/{iid}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = app.get("viewer_a", &format!("{BASE}/articles/{pid}")).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        // Advisors find both by search once indexed; the viewer only the public one.
        until(
            &app,
            "adv_a",
            &format!("{BASE}/search?q=box%20allume&kind=article"),
            |v| has_hit(v, iid) && has_hit(v, pid),
        )
        .await;
        let (_, v) = app
            .get(
                "viewer_a",
                &format!("{BASE}/search?q=box%20allume&kind=article"),
            )
            .await;
        assert!(has_hit(&v, pid) && !has_hit(&v, iid), "{l}: {v}");
        assert_eq!(v["total"], 1, "{l}: counts reveal nothing either");

        // Another tenant sees nothing of acme's knowledge.
        for path in [
            format!("{BASE}/articles"),
            format!("{BASE}/articles/{pid}"),
            format!("{BASE}/products"),
        ] {
            let (st, _) = app.get("adv_b", &path).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{l}: {path}");
        }
        let (st, _) = app
            .get("adv_b", &format!("/api/v1/tenants/globex/articles/{pid}"))
            .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{l}: an id from elsewhere names nothing"
        );

        // The public API shows validated public articles only.
        let n = public["number"].as_i64().unwrap();
        let (st, v) = app
            .get("anonymous", &format!("/api/v1/public/acme/articles/{n}"))
            .await;
        assert_eq!(
            (st, v["title"].as_str()),
            (StatusCode::OK, Some("Box qui ne s'allume plus")),
            "{l}: {v}"
        );
        let n = internal["number"].as_i64().unwrap();
        let (st, _) = app
            .get("anonymous", &format!("/api/v1/public/acme/articles/{n}"))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = app.get("anonymous", "/api/v1/public/nope/faq").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
    }
}

#[tokio::test]
async fn articles_are_suggested_linked_once_and_counted() {
    for app in apps().await {
        let l = app.label();
        let a = create(
            &app,
            "km_a",
            article("Box qui ne s'allume plus", "internal", "validated"),
        )
        .await;
        let aid = a["id"].as_str().unwrap();
        // The fixture's conversation says "ma box ne s'allume plus".
        let conv = app.conv_a.id;
        let sug = until(
            &app,
            "adv_a",
            &format!("{BASE}/conversations/{conv}/suggestions"),
            |v| has_hit(v, aid),
        )
        .await;
        let query_id = sug["query_id"]
            .as_str()
            .expect("suggestions are logged")
            .to_string();

        let link = format!("{BASE}/conversations/{conv}/articles");
        let body = json!({"article_id": aid, "query_id": query_id});
        let (st, v) = app.send("adv_a", Method::POST, &link, body.clone()).await;
        assert_eq!(
            (st, v["linked"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{l}: {v}"
        );
        let (st, v) = app.send("adv2_a", Method::POST, &link, body.clone()).await;
        assert_eq!(
            (st, v["linked"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{l}: counted once per conversation"
        );
        let (_, v) = app.get("adv_a", &format!("{BASE}/articles/{aid}")).await;
        assert_eq!(v["article"]["reuse_count"], 1, "{l}: {v}");
        let (_, v) = app.get("adv_a", &link).await;
        assert_eq!(v.as_array().unwrap().len(), 1, "{l}: {v}");

        // Refusals: the read-only account, another tenant's conversation, a bad id.
        let (st, _) = app
            .send("viewer_a", Method::POST, &link, body.clone())
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let other = format!("{BASE}/conversations/{}/articles", app.conv_b.id);
        let (st, _) = app.send("adv_a", Method::POST, &other, body.clone()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &link,
                json!({"article_id": "not-a-uuid"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");

        // Unlinking gives the count back.
        let st = app
            .call("adv_a", Method::DELETE, &format!("{link}/{aid}"), None)
            .await
            .status();
        assert_eq!(st, StatusCode::NO_CONTENT, "{l}");
        let (_, v) = app.get("adv_a", &format!("{BASE}/articles/{aid}")).await;
        assert_eq!(v["article"]["reuse_count"], 0, "{l}");

        // The link shows up in the knowledge managers' analytics.
        let (st, _) = app
            .get("adv_a", &format!("{BASE}/knowledge/analytics"))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, v) = app
            .get("km_a", &format!("{BASE}/knowledge/analytics?days=7"))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert!(!v["top_queries"].as_array().unwrap().is_empty(), "{l}: {v}");
    }
}

#[tokio::test]
async fn synonyms_faq_and_products_are_managed_by_knowledge_managers() {
    for app in apps().await {
        let l = app.label();
        let a = create(
            &app,
            "km_a",
            article("Connexion lente", "public", "validated"),
        )
        .await;
        let aid = a["id"].as_str().unwrap();
        // "ça rame" shares no word with the article until a synonym says so.
        let path = format!("{BASE}/synonyms/fr");
        let (st, _) = app
            .send(
                "adv_a",
                Method::PUT,
                &path,
                json!({"rules": "ça rame, connexion lente"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let before = app.event_count().await;
        let (st, v) = app
            .send(
                "km_a",
                Method::PUT,
                &path,
                json!({"rules": "ok, fine\n=> nothing"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert_eq!(app.event_count().await, before, "{l}");
        let (st, _) = app
            .send(
                "km_a",
                Method::PUT,
                &format!("{BASE}/synonyms/xx"),
                json!({"rules": ""}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, v) = app
            .send(
                "km_a",
                Method::PUT,
                &path,
                json!({"rules": "ça rame, connexion lente"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        until(
            &app,
            "adv_a",
            &format!("{BASE}/search?q=%C3%A7a%20rame&kind=article"),
            |v| has_hit(v, aid),
        )
        .await;

        // Products: managed by knowledge managers, listed for everyone.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{BASE}/products"),
                json!({"code": "box-5", "name": "Box 5"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, p) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/products"),
                json!({"code": "box-5", "name": "Box 5", "attributes": {"wifi": "6E"}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {p}");
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/products"),
                json!({"code": "box-5", "name": "Encore"}),
            )
            .await;
        assert!(
            matches!(st, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY),
            "{l}: {v}"
        );
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/products"),
                json!({"code": "x", "name": "X", "attributes": [1]}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");

        // The FAQ feed: published entries only, in order, without login.
        for (q, published) in [("Comment redémarrer ma box ?", true), ("Brouillon", false)] {
            let (st, v) = app
                .send(
                    "km_a",
                    Method::POST,
                    &format!("{BASE}/faq"),
                    json!({
                        "language": "fr", "question": q, "answer": "Débranchez-la dix secondes.",
                        "product_id": p["id"], "published": published
                    }),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        }
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{BASE}/faq"),
                json!({"language": "fr", "question": "?", "answer": "!"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, v) = app
            .get("anonymous", "/api/v1/public/acme/faq?language=fr")
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        let entries = v["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{l}: {v}");
        assert_eq!(entries[0]["product"], "box-5", "{l}");
        let (_, v) = app
            .get("anonymous", "/api/v1/public/acme/faq?language=en")
            .await;
        assert!(v["entries"].as_array().unwrap().is_empty(), "{l}");
        let (st, _) = app
            .get("anonymous", "/api/v1/public/acme/faq?language=klingon")
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{l}");
    }
}
