//! The advisors' forum over HTTP: moderation and promotion end to end,
//! tenant and role attacks, bad input, live delivery over SSE, follow
//! notifications, and forum answers in the one search with their label.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::realtime::{listen, next_kind};

const THREADS: &str = "/api/v1/tenants/acme/forum/threads";

fn post_path(id: &str, what: &str) -> String {
    format!("/api/v1/tenants/acme/forum/posts/{id}{what}")
}

/// A thread by `who` and an answer by `answerer`: (thread id, answer id).
async fn thread_with_answer(app: &App, who: &str, answerer: &str, title: &str) -> (String, String) {
    let (st, t) = app
        .send(
            who,
            Method::POST,
            THREADS,
            json!({"title": title, "body": "The box reboots every hour.", "tags": ["reboot"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{}: {t}", app.label());
    let id = t["thread"]["id"].as_str().unwrap().to_string();
    let (st, a) = app
        .send(
            answerer,
            Method::POST,
            &format!("{THREADS}/{id}/answers"),
            json!({"body": "Downgrade the firmware to 4.2, then **reboot**."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    (id, a["id"].as_str().unwrap().to_string())
}

async fn thread_json(app: &App, who: &str, id: &str) -> (StatusCode, Value) {
    app.get(who, &format!("{THREADS}/{id}")).await
}

fn has_post(thread: &Value, post: &str) -> bool {
    thread["posts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == post)
}

#[tokio::test]
async fn moderation_flags_hide_and_moderators_decide() {
    for app in apps().await {
        let l = app.label();
        // Two candidates' flags (1 each) reach a threshold of 2.
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/forum/settings",
                json!({"hide_threshold": 2}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let (thread, answer) = thread_with_answer(&app, "adv_a", "adv2_a", "Box reboots").await;
        let flag = |who: &'static str| {
            let path = post_path(&answer, "/flags");
            let app = &app;
            async move {
                app.send(
                    who,
                    Method::POST,
                    &path,
                    json!({"reason": "incorrect", "comment": "wrong fw"}),
                )
                .await
            }
        };
        let (st, o) = flag("adv_a").await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {o}");
        assert_eq!(o["hidden"], false);
        let (st, _) = flag("adv_a").await;
        assert_eq!(st, StatusCode::CONFLICT, "one open flag per user");
        let (_, o) = flag("sup_a").await;
        assert_eq!(o["hidden"], true, "{l}: {o}");
        // Hidden at once for non-moderators, still there for moderators.
        let (_, t) = thread_json(&app, "adv2_a", &thread).await;
        assert!(!has_post(&t, &answer), "{l}");
        let (_, t) = thread_json(&app, "km_a", &thread).await;
        assert!(has_post(&t, &answer));
        // A hidden post cannot be flagged (nor voted on) by those who cannot see it.
        let (st, _) = flag("adv2_a").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // The queue is the moderators'.
        let (st, _) = app.get("adv_a", "/api/v1/tenants/acme/forum/queue").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, q) = app.get("km_a", "/api/v1/tenants/acme/forum/queue").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(q.as_array().unwrap().len(), 1, "{l}: {q}");
        assert_eq!(q[0]["open_weight"], 2);
        assert_eq!(q[0]["post"]["id"], answer.as_str());
        // Disagree: restored.
        let decide = |who: &'static str, d: &'static str| {
            let path = post_path(&answer, "/decision");
            let app = &app;
            async move {
                app.send(who, Method::POST, &path, json!({"decision": d}))
                    .await
            }
        };
        let (st, _) = decide("adv_a", "disagree").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, p) = decide("km_a", "disagree").await;
        assert_eq!(st, StatusCode::OK, "{p}");
        assert_eq!(p["hidden"], false);
        let (_, t) = thread_json(&app, "adv2_a", &thread).await;
        assert!(has_post(&t, &answer));
        let (_, q) = app.get("km_a", "/api/v1/tenants/acme/forum/queue").await;
        assert!(q.as_array().unwrap().is_empty());
        // Flag again, agree: stays hidden and counts against the author.
        flag("adv_a").await;
        flag("sup_a").await;
        let (_, p) = decide("admin_a", "agree").await;
        assert_eq!(p["hidden"], true, "{l}");
        let (_, me) = app.get("adv2_a", "/api/v1/tenants/acme/forum/me").await;
        assert_eq!(me["contribution"]["confirmed_flags"], 1, "{l}: {me}");
        // Every edit is kept; only the author or a moderator edits.
        let q_id = t["posts"][0]["id"].as_str().unwrap().to_string();
        let (st, _) = app
            .send(
                "adv2_a",
                Method::PUT,
                &post_path(&q_id, ""),
                json!({"body": "hijack"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = app
            .send(
                "adv_a",
                Method::PUT,
                &post_path(&q_id, ""),
                json!({"title": "Box reboots hourly", "body": "Every hour."}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (_, h) = app.get("adv2_a", &post_path(&q_id, "/history")).await;
        assert_eq!(h.as_array().unwrap().len(), 2, "{l}: {h}");
        assert_eq!(h[0]["body"], "The box reboots every hour.");
    }
}

#[tokio::test]
async fn promotion_creates_the_article_or_changes_nothing() {
    for app in apps().await {
        let l = app.label();
        let (thread, answer) =
            thread_with_answer(&app, "adv_a", "adv2_a", "Box reboots at night").await;
        // Advisors neither verify nor promote.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/verify"),
                json!({"sources": ["x"]}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, _) = app
            .send(
                "adv2_a",
                Method::POST,
                &post_path(&answer, "/promote"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Not verified yet: refused, and the thread is unchanged.
        let events = app.event_count().await;
        let (st, e) = app
            .send(
                "km_a",
                Method::POST,
                &post_path(&answer, "/promote"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}: {e}");
        assert_eq!(app.event_count().await, events);
        let (_, t) = thread_json(&app, "km_a", &thread).await;
        assert_eq!(t["thread"]["promoted_article_id"], Value::Null);
        // Verify with sources, then promote.
        let (st, e) = app
            .send(
                "km_a",
                Method::POST,
                &post_path(&answer, "/verify"),
                json!({"sources": []}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (st, p) = app
            .send(
                "km_a",
                Method::POST,
                &post_path(&answer, "/verify"),
                json!({"sources": ["Sagemcom bulletin 2026-11"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(p["confidence"], "verified");
        let (st, pr) = app
            .send(
                "km_a",
                Method::POST,
                &post_path(&answer, "/promote"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {pr}");
        let article_id = pr["article_id"].as_str().unwrap().to_string();
        let (st, a) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/articles/{article_id}"),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{a}");
        assert_eq!(a["article"]["state"], "validated");
        assert_eq!(a["article"]["title"], "Box reboots at night");
        let resolution = a["article"]["resolution"].as_str().unwrap();
        assert!(
            resolution.contains("Downgrade the firmware"),
            "{resolution}"
        );
        assert!(
            resolution.contains(&format!("/t/acme/forum/{thread}")),
            "{resolution}"
        );
        let tenant = app.tenant_a.id;
        let credits = app
            .db
            .store
            .article_credits(tenant, article_id.parse().unwrap())
            .await
            .unwrap();
        let credited: Vec<_> = credits.iter().map(|(u, _)| *u).collect();
        for who in ["adv_a", "adv2_a", "km_a"] {
            assert!(credited.contains(&app.users[who]), "{who} not credited");
        }
        let (_, t) = thread_json(&app, "adv_a", &thread).await;
        assert_eq!(t["thread"]["status"], "promoted");
        assert_eq!(t["thread"]["promoted_article_id"], article_id.as_str());

        // A second promotion of the same thread fails and leaves no article.
        let (st, a2) = app
            .send(
                "sup_a",
                Method::POST,
                &format!("{THREADS}/{thread}/answers"),
                json!({"body": "Or swap the box."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let a2 = a2["id"].as_str().unwrap().to_string();
        app.send(
            "km_a",
            Method::POST,
            &post_path(&a2, "/verify"),
            json!({"sources": ["ops"]}),
        )
        .await;
        let (_, before) = app.get("km_a", "/api/v1/tenants/acme/articles").await;
        let (st, _) = app
            .send("km_a", Method::POST, &post_path(&a2, "/promote"), json!({}))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
        let (_, after) = app.get("km_a", "/api/v1/tenants/acme/articles").await;
        assert_eq!(
            before["items"].as_array().unwrap().len(),
            after["items"].as_array().unwrap().len()
        );
        let (_, t) = thread_json(&app, "adv_a", &thread).await;
        assert_eq!(t["thread"]["promoted_article_id"], article_id.as_str());

        // A tenant may let trusted authors publish their own answers.
        let (st, _) = app
            .send(
                "km_a",
                Method::PUT,
                "/api/v1/tenants/acme/forum/settings",
                json!({"publish_without_review": "candidate"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (_, own) = thread_with_answer(&app, "adv_a", "adv2_a", "Wi-Fi drops").await;
        let (st, pr) = app
            .send(
                "adv2_a",
                Method::POST,
                &post_path(&own, "/promote"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {pr}");
        // Someone else's answer is still not theirs to publish.
        let (_, other) = thread_with_answer(&app, "adv2_a", "adv_a", "TV freezes").await;
        let (st, _) = app
            .send(
                "adv2_a",
                Method::POST,
                &post_path(&other, "/promote"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn tenants_and_roles_are_enforced() {
    for app in apps().await {
        let l = app.label();
        let (thread, answer) = thread_with_answer(&app, "adv_a", "adv2_a", "Isolation check").await;
        // Another brand's advisor: absent, under either tenant's path.
        let (st, _) = thread_json(&app, "adv_b", &thread).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, _) = app
            .get(
                "adv_b",
                &format!("/api/v1/tenants/globex/forum/threads/{thread}"),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = app
            .send(
                "adv_b",
                Method::POST,
                &format!("/api/v1/tenants/globex/forum/posts/{answer}/flags"),
                json!({"reason": "incorrect"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = app
            .send(
                "adv_b",
                Method::POST,
                &post_path(&answer, "/flags"),
                json!({"reason": "incorrect"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, l2) = app
            .get("adv_b", "/api/v1/tenants/globex/forum/threads")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(l2.as_array().unwrap().is_empty());
        // The brand's read-only account does not see the forum at all.
        for path in [THREADS.to_string(), format!("{THREADS}/{thread}")] {
            let (st, _) = app.get("viewer_a", &path).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
        }
        let (st, _) = app
            .send(
                "viewer_a",
                Method::POST,
                &post_path(&answer, "/flags"),
                json!({"reason": "incorrect"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = app
            .send(
                "viewer_a",
                Method::POST,
                THREADS,
                json!({"title": "hello", "body": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Advisors and supervisors neither moderate, verify, promote nor configure.
        for who in ["adv_a", "sup_a"] {
            for (method, path, body) in [
                (
                    Method::POST,
                    post_path(&answer, "/decision"),
                    json!({"decision": "agree"}),
                ),
                (
                    Method::POST,
                    post_path(&answer, "/verify"),
                    json!({"sources": ["a"]}),
                ),
                (Method::POST, post_path(&answer, "/promote"), json!({})),
                (
                    Method::PUT,
                    "/api/v1/tenants/acme/forum/settings".to_string(),
                    json!({"hide_threshold": 1}),
                ),
                (
                    Method::PUT,
                    format!("{THREADS}/{thread}/defect"),
                    json!({"escalated_to": "Vendor"}),
                ),
            ] {
                let (st, v) = app.send(who, method, &path, body).await;
                assert_eq!(st, StatusCode::FORBIDDEN, "{who} {path}: {v}");
            }
        }
        // Only the asker or a moderator accepts.
        let (st, _) = app
            .send(
                "adv2_a",
                Method::POST,
                &format!("{THREADS}/{thread}/accept"),
                json!({"post_id": answer}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, t) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{THREADS}/{thread}/accept"),
                json!({"post_id": answer}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{t}");
        assert_eq!(t["status"], "answered");
        // No vote on one's own post; reuse links a conversation once.
        let (st, _) = app
            .send(
                "adv2_a",
                Method::POST,
                &post_path(&answer, "/helpful"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, p) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/helpful"),
                json!({}),
            )
            .await;
        assert_eq!(p["helpful_count"], 1, "{p}");
        assert_eq!(st, StatusCode::OK);
        let number = app.conv_a.number;
        let (st, p) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/reuses"),
                json!({"conversation": number}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{p}");
        assert_eq!(p["reuse_count"], 1);
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/reuses"),
                json!({"conversation": number}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);
        // Another tenant's conversation number is not found.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/reuses"),
                json!({"conversation": app.conv_b.number + 1000}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Defect: the count follows reuses and marked conversations.
        let (st, t) = app
            .send(
                "km_a",
                Method::PUT,
                &format!("{THREADS}/{thread}/defect"),
                json!({"escalated_to": "Sagemcom", "reference": "SAG-1"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{t}");
        assert_eq!(t["defect"]["affected_conversations"], 1);
        let (_, list) = app.get("adv_a", &format!("{THREADS}?defect=true")).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{l}: {list}");
        // Leaderboard and standing.
        let (st, board) = app
            .get("adv_a", "/api/v1/tenants/acme/forum/leaderboard?by=team")
            .await;
        assert_eq!(st, StatusCode::OK);
        let team = board
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group_id"] == app.team_a.id.to_string())
            .unwrap();
        assert_eq!(
            team["members"][0]["user_id"],
            app.users["adv2_a"].to_string(),
            "{board}"
        );
        let (st, _) = app
            .get("adv_a", "/api/v1/tenants/acme/forum/leaderboard?by=planet")
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        let (_, me) = app.get("adv2_a", "/api/v1/tenants/acme/forum/me").await;
        assert_eq!(me["level"], "candidate");
        assert!(
            me["badges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["key"] == "first-answer"),
            "{me}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_script_stays_text() {
    for app in apps().await {
        let l = app.label();
        let before = app.event_count().await;
        for (body, field) in [
            (
                json!({"title": "Too long", "body": "x".repeat(20_001)}),
                "body",
            ),
            (json!({"title": "", "body": "x"}), "title"),
            (
                json!({"title": "ok title", "body": "x", "tags": ["Wi Fi"]}),
                "tags",
            ),
            (
                json!({"title": "ok title", "body": "x", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
                "tags",
            ),
        ] {
            let (st, e) = app.send("adv_a", Method::POST, THREADS, body).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {e}");
            assert_eq!(e["errors"][0]["field"], field, "{e}");
        }
        let (_, e) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"title": "Too long", "body": "x".repeat(20_001)}),
            )
            .await;
        assert!(e["detail"].as_str().unwrap().contains("20000"), "{e}");
        assert_eq!(app.event_count().await, before, "bad input wrote nothing");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"titel": "typo", "body": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

        let (st, t) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"title": "Script test", "body": "Hello <script>alert('x')</script> <img src=x onerror=alert(1)>"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let html = t["posts"][0]["body_html"].as_str().unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(t["posts"][0]["body"].as_str().unwrap().contains("<script>"));
        let id = t["thread"]["id"].as_str().unwrap();
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{THREADS}/{id}/answers"),
                json!({"body": "  "}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, _) = app.get("adv_a", &format!("{THREADS}/not-a-uuid")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/forum/posts/{id}/flags"),
                json!({"reason": "spam"}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, _) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/forum/settings",
                json!({"hide_threshold": 0}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn a_question_from_a_conversation_is_prefilled() {
    for app in apps().await {
        let (st, t) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"body": "Anyone seen this?", "tried": "Power cycle", "from_conversation": app.conv_a.number}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{}: {t}", app.label());
        assert_eq!(t["thread"]["title"], "Box éteinte");
        assert_eq!(
            t["thread"]["customer_words"],
            "Bonjour, ma box ne s'allume plus."
        );
        assert_eq!(t["thread"]["conversation_id"], app.conv_a.id.to_string());
        assert_eq!(t["thread"]["tried"], "Power cycle");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"body": "x", "from_conversation": 999_999}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_new_post_reaches_connected_advisors_and_followers_live() {
    for app in apps().await {
        let l = app.label();
        let (st, _) = app
            .send(
                "adv2_a",
                Method::POST,
                "/api/v1/tenants/acme/forum/follows",
                json!({"tag": "Fibre"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let mut follower = listen(&app, "adv2_a", None).await;
        let mut km = listen(&app, "km_a", None).await;
        let mut viewer = listen(&app, "viewer_a", None).await;
        let mut other = listen(&app, "adv_b", None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (st, t) = app
            .send(
                "adv_a",
                Method::POST,
                THREADS,
                json!({"title": "Fibre down in Lille", "body": "Since 9am.", "tags": ["fibre"]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let id = t["thread"]["id"].as_str().unwrap().to_string();
        let ev = next_kind(&mut km, "forum.thread_created")
            .await
            .unwrap_or_else(|| panic!("{l}: no thread_created within 1 s"));
        assert_eq!(ev["payload"]["thread_id"], id.as_str());
        let note = next_kind(&mut follower, "forum.notification")
            .await
            .unwrap_or_else(|| panic!("{l}: no notification within 1 s"));
        assert_eq!(note["payload"]["user_id"], app.users["adv2_a"].to_string());
        assert_eq!(note["payload"]["thread_id"], id.as_str());
        assert!(
            next_kind(&mut km, "forum.notification").await.is_none(),
            "{l}: someone else's notification"
        );
        assert!(
            next_kind(&mut viewer, "forum.thread_created")
                .await
                .is_none(),
            "{l}: viewer saw the forum"
        );
        assert!(
            next_kind(&mut other, "forum.thread_created")
                .await
                .is_none(),
            "{l}: leaked across tenants"
        );
        let (_, n) = app
            .get(
                "adv2_a",
                "/api/v1/tenants/acme/forum/notifications?unread=true",
            )
            .await;
        assert_eq!(n.as_array().unwrap().len(), 1, "{n}");
        assert_eq!(n[0]["reason"], "followed_tag");
        let (_, r) = app
            .send(
                "adv2_a",
                Method::POST,
                "/api/v1/tenants/acme/forum/notifications/read",
                json!({}),
            )
            .await;
        assert_eq!(r["marked"], 1);
        let (_, f) = app
            .get("adv2_a", "/api/v1/tenants/acme/forum/follows")
            .await;
        assert_eq!(f, json!([{"kind": "tag", "target": "fibre"}]));
        let r = app
            .call(
                "adv2_a",
                Method::DELETE,
                "/api/v1/tenants/acme/forum/follows?tag=fibre",
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        // An answer reaches the asker's other tabs too.
        let mut asker = listen(&app, "adv_a", None).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.send(
            "km_a",
            Method::POST,
            &format!("{THREADS}/{id}/answers"),
            json!({"body": "Known outage."}),
        )
        .await;
        let ev = next_kind(&mut asker, "forum.post_created")
            .await
            .unwrap_or_else(|| panic!("{l}: no post_created"));
        assert_eq!(ev["payload"]["thread_id"], id.as_str());
    }
}

/// Searches until `want` holds or 10 s pass: the index follows the log.
async fn search_until(app: &App, who: &str, path: &str, want: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (st, v) = app.get(who, path).await;
        assert_eq!(st, StatusCode::OK, "{}: {v}", app.label());
        if want(&v) {
            return v;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{}: {path}: never met; last {last}", app.label());
}

#[tokio::test]
async fn forum_answers_are_in_the_one_search_with_their_confidence() {
    for app in apps().await {
        let (_, answer) =
            thread_with_answer(&app, "adv_a", "adv2_a", "Decoder zebra stripes").await;
        let path = "/api/v1/tenants/acme/search?q=firmware%20zebra";
        let confidence = |v: &Value| {
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["id"] == answer.as_str())
                .map(|h| h["confidence"].as_str().unwrap_or("").to_string())
        };
        let v = search_until(&app, "adv_a", path, |v| confidence(v).is_some()).await;
        assert_eq!(confidence(&v).as_deref(), Some("community"));
        let hit = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == answer.as_str())
            .unwrap();
        assert_eq!(hit["kind"], "forum_answer");
        assert!(hit["url"].as_str().unwrap().starts_with("/t/acme/forum/"));
        app.send(
            "km_a",
            Method::POST,
            &post_path(&answer, "/verify"),
            json!({"sources": ["doc"]}),
        )
        .await;
        let v = search_until(&app, "adv_a", path, |v| {
            confidence(v).as_deref() == Some("verified")
        })
        .await;
        assert!(confidence(&v).is_some());
        // Brand accounts never get forum answers.
        let (st, v) = app.get("viewer_a", path).await;
        assert_eq!(st, StatusCode::OK);
        assert!(confidence(&v).is_none(), "{v}");
        // A hidden answer leaves the results at once.
        app.send(
            "km_a",
            Method::POST,
            &post_path(&answer, "/flags"),
            json!({"reason": "outdated"}),
        )
        .await;
        let (_, v) = app.get("adv_a", path).await;
        assert!(
            confidence(&v).is_none(),
            "{}: hidden answer found: {v}",
            app.label()
        );
    }
}

#[tokio::test]
async fn knowledge_managers_get_the_weekly_promotion_digest_once() {
    for app in apps().await {
        let label = app.label();
        let s = &app.db.store;
        let now = plateau_core::Timestamp::now();
        // Nothing to propose: no digest.
        assert_eq!(
            plateau_web::forum_digest::run_once(s, now).await.unwrap(),
            0,
            "{label}"
        );
        let (_, answer) = thread_with_answer(&app, "adv_a", "adv2_a", "Box reboots hourly").await;
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &post_path(&answer, "/reuses"),
                json!({"conversation": app.conv_a.number}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}");
        let sent = plateau_web::forum_digest::run_once(s, now).await.unwrap();
        assert!(sent >= 1, "{label}: the knowledge managers were told");
        let (_, km) = app
            .get("km_a", "/api/v1/tenants/acme/forum/notifications")
            .await;
        let digests: Vec<&Value> = km
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["reason"] == "digest")
            .collect();
        assert_eq!(digests.len(), 1, "{label}: {km}");
        assert_eq!(
            digests[0]["thread_title"], "Box reboots hourly",
            "{label}: {km}"
        );
        let (_, adv) = app
            .get("adv2_a", "/api/v1/tenants/acme/forum/notifications")
            .await;
        assert!(
            adv.as_array()
                .unwrap()
                .iter()
                .all(|n| n["reason"] != "digest"),
            "{label}: advisors do not get it: {adv}"
        );
        // Once a week: a second pass the same day sends nothing, and eight
        // days on the answer is older than the digest's week.
        assert_eq!(
            plateau_web::forum_digest::run_once(s, now).await.unwrap(),
            0,
            "{label}"
        );
        let later = plateau_core::Timestamp(now.0 + 8 * 24 * 3600 * 1_000_000);
        assert_eq!(
            plateau_web::forum_digest::run_once(s, later).await.unwrap(),
            0,
            "{label}"
        );
        let page = app.browser("km_a").await;
        let (st, html) = page.page("/t/acme/forum/notifications").await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert!(html.contains("/t/acme/forum/candidates"), "{label}");
    }
}
