//! Diagnostic trees end to end over HTTP: drafts, publishing refused while
//! invalid, the runner inside a conversation with its timeline entry,
//! analytics, mind-map import and export, media, and the role and tenant
//! walls around all of it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn box_tree() -> Value {
    json!({"title": "Box: no internet", "root": "lights", "nodes": [
        {"id": "lights", "title": "Lights", "kind": "question", "content": {"text": "Are the **lights** of the box on? <script>alert(1)</script>"},
         "answers": [{"label": "Yes", "target": "serial"}, {"label": "No", "target": "l2"}]},
        {"id": "serial", "title": "Serial", "kind": "form", "content": {"text": "Ask for the serial number."},
         "fields": [{"name": "serial", "label": "Serial number", "required": true, "type": "text", "max_len": 20},
                    {"name": "speed", "label": "Speed (Mb/s)", "required": true, "type": "number", "min": 0}],
         "next": "route"},
        {"id": "route", "title": "Route", "kind": "decision", "content": {"text": ""},
         "rules": [{"when": [{"subject": {"var": "speed"}, "op": "lt", "value": 5}], "target": "slow"}],
         "default": "done"},
        {"id": "slow", "title": "Restart", "kind": "solution", "article_id": "kb-42",
         "content": {"text": "Restart the box: {{speed}} Mb/s is too slow for {{serial}}."}},
        {"id": "l2", "title": "Level 2", "kind": "escalation", "target": {"tier": "n2"}, "reason": "Box dead",
         "content": {"text": "Transfer to level 2."}},
        {"id": "done", "title": "Done", "kind": "end", "outcome": "resolved", "content": {"text": ""}}
    ]})
}

const BASE: &str = "/api/v1/tenants/acme/trees";

#[tokio::test]
async fn a_tree_is_drafted_published_walked_and_measured() {
    for app in apps().await {
        let l = app.label();
        // Only authors create; another brand's people do not see acme at all.
        let body = json!({"title": "Box: no internet", "reasons": ["no_internet", " "], "tree": box_tree()});
        let (st, _) = app.send("adv_a", Method::POST, BASE, body.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, _) = app.send("adv_b", Method::POST, BASE, body.clone()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        let (st, v) = app.send("km_a", Method::POST, BASE, body).await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        assert_eq!(
            v["reasons"],
            json!(["no_internet"]),
            "{l}: blank reasons dropped"
        );
        assert_eq!(v["report"]["publishable"], json!(true), "{l}: {v}");
        let id = v["id"].as_str().unwrap().to_string();
        let tree_path = format!("{BASE}/{id}");

        // Drafts are the authors' business.
        let (_, list) = app.get("adv_a", BASE).await;
        assert_eq!(list.as_array().unwrap().len(), 0, "{l}: {list}");
        let (st, _) = app
            .get("adv_b", &format!("/api/v1/tenants/beta/trees/{id}"))
            .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{l}: another brand cannot reach it"
        );

        // A broken draft saves (work in progress) but cannot be published.
        let mut broken = box_tree();
        broken["nodes"][0]["answers"][1]["target"] = json!("nowhere");
        let (st, v) = app
            .send(
                "km_a",
                Method::PUT,
                &format!("{tree_path}/draft"),
                json!({"expected_revision": 1, "tree": broken}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(v["revision"], json!(2));
        assert_eq!(v["publishable"], json!(false), "{l}: {v}");
        assert!(
            v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "dangling_target" && p["node"] == "lights"),
            "{l}: {v}"
        );
        let before = app.event_count().await;
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{tree_path}/publish"),
                json!({"expected_revision": 2}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("dangling_target"),
            "{l}: {v}"
        );
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: a refused publication writes nothing"
        );
        let (_, versions) = app.get("km_a", &format!("{tree_path}/versions")).await;
        assert_eq!(versions, json!([]), "{l}");

        // A stale save is refused; the fixed draft publishes; supervisors may not publish.
        let (st, _) = app
            .send(
                "km_a",
                Method::PUT,
                &format!("{tree_path}/draft"),
                json!({"expected_revision": 1, "tree": box_tree()}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
        let (st, v) = app
            .send(
                "km_a",
                Method::PUT,
                &format!("{tree_path}/draft"),
                json!({"expected_revision": 2, "tree": box_tree()}),
            )
            .await;
        assert_eq!(
            (st, v["revision"].as_i64()),
            (StatusCode::OK, Some(3)),
            "{l}: {v}"
        );
        let (st, _) = app
            .send(
                "sup_a",
                Method::POST,
                &format!("{tree_path}/publish"),
                json!({"expected_revision": 3}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{tree_path}/publish"),
                json!({"expected_revision": 3}),
            )
            .await;
        assert_eq!(
            (st, v["version"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{l}: {v}"
        );

        // The conversation's reason suggests it; the advisor walks it.
        let conv = app.conv_a_path();
        app.send(
            "adv_a",
            Method::PATCH,
            &conv,
            json!({"reason": "no_internet"}),
        )
        .await;
        let (st, v) = app.get("adv_a", &format!("{conv}/tree-suggestions")).await;
        assert_eq!(st, StatusCode::OK, "{l}: {v}");
        assert_eq!(
            (v[0]["tree_id"].as_str(), v[0]["matched"].as_str()),
            (Some(id.as_str()), Some("reason")),
            "{l}: {v}"
        );
        let (st, _) = app
            .send(
                "viewer_a",
                Method::POST,
                &format!("{conv}/tree-sessions"),
                json!({"tree_id": id}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "{l}: the brand's read-only account does not run trees"
        );
        let (st, s) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{conv}/tree-sessions"),
                json!({"tree_id": id}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {s}");
        assert_eq!(s["step"]["node"], json!("lights"), "{l}: {s}");
        assert_eq!(
            s["step"]["view"]["answers"],
            json!(["Yes", "No"]),
            "{l}: {s}"
        );
        let sid = s["id"].as_str().unwrap().to_string();
        let act = format!("/api/v1/tenants/acme/tree-sessions/{sid}/actions");
        let (st, v) = app
            .send(
                "adv_b",
                Method::POST,
                &format!("/api/v1/tenants/beta/tree-sessions/{sid}/actions"),
                json!({"expected_revision": 1, "action": "answer", "index": 0}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: {v}");
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                &act,
                json!({"expected_revision": 1, "action": "answer", "index": 7}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        let (st, s) = app
            .send(
                "adv_a",
                Method::POST,
                &act,
                json!({"expected_revision": 1, "action": "answer", "index": 0}),
            )
            .await;
        assert_eq!(
            (st, s["step"]["node"].as_str()),
            (StatusCode::OK, Some("serial")),
            "{l}: {s}"
        );
        assert_eq!(s["revision"], json!(2));
        // A bad value is named and changes nothing; a stale revision is refused.
        let (st, v) = app.send("adv_a", Method::POST, &act, json!({"expected_revision": 2, "action": "submit", "values": {"serial": "SN-1", "speed": "fast"}})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}: {v}");
        assert_eq!(v["errors"][0]["field"], json!("speed"), "{l}: {v}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &act,
                json!({"expected_revision": 1, "action": "back"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}");
        let (st, s) = app.send("adv_a", Method::POST, &act, json!({"expected_revision": 2, "action": "submit", "values": {"serial": "SN-1", "speed": "3,5"}})).await;
        assert_eq!(st, StatusCode::OK, "{l}: {s}");
        assert_eq!(
            s["finished"],
            json!(true),
            "{l}: the decision led to a final solution: {s}"
        );
        assert_eq!(s["step"]["view"]["outcome"], json!("resolved"), "{l}: {s}");
        assert_eq!(s["summary"]["values"]["speed"], json!(3.5), "{l}: {s}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &act,
                json!({"expected_revision": 3, "action": "back"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{l}: a finished walk is closed");

        // The timeline keeps the walk: answers and values.
        let (_, events) = app.get("adv_a", &format!("{conv}/events")).await;
        let finished = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "tree.session_finished")
            .unwrap_or_else(|| panic!("{l}: no finished event in {events}"));
        assert_eq!(
            finished["payload"]["summary"]["answers"][0]["answer"],
            json!("Yes"),
            "{l}"
        );
        assert_eq!(
            finished["payload"]["summary"]["values"]["serial"],
            json!("SN-1"),
            "{l}"
        );

        // An escalation hands the conversation to a team of the target tier,
        // back in its queue, with the collected data in the timeline.
        let (st, team) = app
            .send(
                "admin_a",
                Method::POST,
                "/api/v1/tenants/acme/teams",
                json!({"name": "N2 Experts", "tier": "n2"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {team}");
        let (_, s) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{conv}/tree-sessions"),
                json!({"tree_id": id}),
            )
            .await;
        let act2 = format!(
            "/api/v1/tenants/acme/tree-sessions/{}/actions",
            s["id"].as_str().unwrap()
        );
        let (st, s) = app
            .send(
                "adv_a",
                Method::POST,
                &act2,
                json!({"expected_revision": 1, "action": "answer", "index": 1}),
            )
            .await;
        assert_eq!(
            (st, s["step"]["view"]["outcome"].as_str()),
            (StatusCode::OK, Some("escalated")),
            "{l}: {s}"
        );
        assert_eq!(
            s["summary"]["handoff"]["reason"],
            json!("Box dead"),
            "{l}: {s}"
        );
        let (_, c) = app.get("adv_a", &conv).await;
        assert_eq!(c["conversation"]["team_id"], team["id"], "{l}: {c}");
        assert_eq!(c["conversation"]["assignee_id"], Value::Null, "{l}: {c}");

        // Analytics of version 1, as JSON and CSV; knowledge roles only.
        let stats = format!("{tree_path}/versions/1/analytics");
        let (st, _) = app.get("adv_a", &stats).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let (st, a) = app.get("sup_a", &stats).await;
        assert_eq!(st, StatusCode::OK, "{l}: {a}");
        assert_eq!(
            (
                a["sessions"].as_u64(),
                a["resolved"].as_u64(),
                a["escalated"].as_u64()
            ),
            (Some(2), Some(1), Some(1)),
            "{l}: {a}"
        );
        let lights = a["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == "lights")
            .unwrap();
        assert_eq!(lights["reached"], json!(2), "{l}: {a}");
        assert_eq!(a["returns"]["returns"], json!(0), "{l}: no return yet: {a}");
        // The customer comes back with the same reason: an unjustified return.
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/tenants/acme/conversations",
                json!({
                "customer_id": app.conv_a.customer_id, "subject": "Toujours pas d'internet",
                "channel": "phone", "body": "Ça ne marche toujours pas.", "reason": "no_internet"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{l}: {v}");
        let (_, a) = app.get("sup_a", &stats).await;
        assert_eq!(
            (
                a["returns"]["returns"].as_u64(),
                a["returns"]["resolved_sessions"].as_u64()
            ),
            (Some(1), Some(1)),
            "{l}: {a}"
        );
        let (st, _) = app.get("sup_a", &format!("{stats}?window_days=0")).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let r = app
            .call("km_a", Method::GET, &format!("{stats}?format=csv"), None)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        assert!(
            csv.lines().count() > 6 && csv.contains("Lights"),
            "{l}: {csv}"
        );

        // Export every format; the .mm comes back as an equal draft.
        let r = app
            .call(
                "km_a",
                Method::GET,
                &format!("{tree_path}/export?format=mm&version=1"),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{l}");
        let mm = r.bytes().await.unwrap();
        let r = app
            .call(
                "km_a",
                Method::GET,
                &format!("{tree_path}/export?format=xmind"),
                None,
            )
            .await;
        assert!(
            r.bytes().await.unwrap().starts_with(b"PK"),
            "{l}: an XMind file is a zip"
        );
        let r = reqwest::Client::new()
            .post(app.url(&format!("{BASE}/import?format=mm")))
            .bearer_auth(&app.tokens["km_a"])
            .body(mm.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{l}");
        let imported: Value = r.json().await.unwrap();
        let (_, v1) = app.get("km_a", &format!("{tree_path}/versions/1")).await;
        assert_eq!(
            imported["draft"], v1["tree"],
            "{l}: the round trip keeps the tree"
        );

        // Versions are immutable: the diff between v1 and a new draft shows the edit.
        let mut edited = box_tree();
        edited["nodes"][0]["content"]["text"] = json!("Are the box's lights on?");
        app.send(
            "km_a",
            Method::PUT,
            &format!("{tree_path}/draft"),
            json!({"expected_revision": 3, "tree": edited}),
        )
        .await;
        let (st, d) = app
            .get("km_a", &format!("{tree_path}/diff?from=1&to=draft"))
            .await;
        assert_eq!(st, StatusCode::OK, "{l}: {d}");
        assert_eq!(d["changed"][0]["node"], json!("lights"), "{l}: {d}");
        let (_, v1) = app.get("adv_a", &format!("{tree_path}/versions/1")).await;
        assert_eq!(
            v1["tree"]["nodes"][0]["content"]["text"],
            json!("Are the **lights** of the box on? <script>alert(1)</script>"),
            "{l}"
        );
    }
}

#[tokio::test]
async fn hostile_files_and_media_are_refused() {
    for app in apps().await {
        let l = app.label();
        let post = |path: &str, body: Vec<u8>, ct: &str| {
            reqwest::Client::new()
                .request(
                    if path.contains("/blobs/") {
                        Method::PUT
                    } else {
                        Method::POST
                    },
                    app.url(path),
                )
                .bearer_auth(&app.tokens["km_a"])
                .header("content-type", ct)
                .body(body)
                .send()
        };
        let before = app.event_count().await;
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><map><node TEXT="&lol2;"/></map>"#;
        let r = post(
            &format!("{BASE}/import?format=mm"),
            laughs.to_vec(),
            "application/octet-stream",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(code(&v), "invalid_mind_map", "{l}: {v}");
        let r = post(
            &format!("{BASE}/import?format=xmind"),
            b"PK\x03\x04 not really a zip".to_vec(),
            "application/octet-stream",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let r = post(
            &format!("{BASE}/import?format=docx"),
            b"x".to_vec(),
            "application/octet-stream",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let huge = vec![b' '; 10 * 1024 * 1024];
        let r = post(
            &format!("{BASE}/import?format=opml"),
            huge,
            "application/octet-stream",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{l}");
        let r = post(
            "/api/v1/tenants/acme/blobs/logo.svg",
            b"<svg onload=alert(1)/>".to_vec(),
            "image/svg+xml",
        )
        .await
        .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{l}: SVG could carry script"
        );
        let r = post(
            "/api/v1/tenants/acme/blobs/..%2Fetc",
            b"\x89PNG".to_vec(),
            "image/png",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: nothing refused was stored"
        );

        let r = post(
            "/api/v1/tenants/acme/blobs/box-front.png",
            b"\x89PNG\r\n".to_vec(),
            "image/png",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{l}");
        let r = app
            .call(
                "adv_a",
                Method::GET,
                "/api/v1/tenants/acme/blobs/box-front.png",
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let (st, _) = app
            .get("adv_b", "/api/v1/tenants/beta/blobs/box-front.png")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}: media are per brand");

        // Validation sees the store's media: a missing image is an error.
        let mut tree = box_tree();
        tree["nodes"][0]["content"]["media"] =
            json!([{"kind": "image", "source": {"blob": "missing.png"}, "alt": "x"}]);
        let (_, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/validate"),
                json!({"tree": tree}),
            )
            .await;
        assert!(
            v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "missing_media"),
            "{l}: {v}"
        );
        tree["nodes"][0]["content"]["media"][0]["source"]["blob"] = json!("box-front.png");
        let (_, v) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/validate"),
                json!({"tree": tree}),
            )
            .await;
        assert_eq!(v["publishable"], json!(true), "{l}: {v}");
        // A body that is not a tree at all is a 422 with serde's reason.
        let (st, _) = app
            .send(
                "km_a",
                Method::POST,
                &format!("{BASE}/validate"),
                json!({"tree": {"nodes": 3}}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
    }
}

#[tokio::test]
async fn the_desk_runs_a_tree_inside_the_conversation() {
    for app in apps().await {
        let l = app.label();
        let (_, v) = app
            .send(
                "km_a",
                Method::POST,
                BASE,
                json!({"title": "Box", "tree": box_tree()}),
            )
            .await;
        let id = v["id"].as_str().unwrap().to_string();
        let km = app.browser("km_a").await;
        let csrf = km.csrf().await;
        let (st, html) = km.page(&format!("/t/acme/trees/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("id=\"tree-editor\"") && html.contains("id=\"tree-json\""),
            "{l}"
        );
        let r = km
            .post_form(
                &format!("/t/acme/trees/{id}/publish"),
                &[("_csrf", &csrf), ("revision", "1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");

        let adv = app.browser("adv_a").await;
        let csrf = adv.csrf().await;
        let (_, list) = adv.page("/t/acme/trees").await;
        assert!(list.contains("Box"), "{l}: the published tree is listed");
        let page = format!("/t/acme/c/{}", app.conv_a.number);
        let (_, html) = adv.page(&page).await;
        assert!(html.contains("id=\"tree-panel\""), "{l}");
        let r = adv
            .post_form(
                &format!("{page}/trees/start"),
                &[("_csrf", &csrf), ("tree_id", &id)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = adv.page(&page).await;
        assert!(
            html.contains("Are the <strong>lights</strong> of the box on?"),
            "{l}: the first screen shows, its Markdown rendered"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                && !html.contains("<script>alert(1)"),
            "{l}: raw HTML in a screen is shown as text"
        );
        let session = html
            .split("data-session=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let act = format!("{page}/trees/{session}");
        adv.post_form(
            &act,
            &[
                ("_csrf", &csrf),
                ("revision", "1"),
                ("action", "answer"),
                ("index", "0"),
            ],
        )
        .await;
        // An invalid value comes back as a message on the page, nothing recorded.
        let r = adv
            .post_form(
                &act,
                &[
                    ("_csrf", &csrf),
                    ("revision", "2"),
                    ("action", "submit"),
                    ("f.serial", "SN-9"),
                    ("f.speed", "-1"),
                ],
            )
            .await;
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.contains("tree_error="), "{l}: {to}");
        let (_, html) = adv.page(&to).await;
        assert!(html.contains("id=\"tree-error\""), "{l}");
        adv.post_form(
            &act,
            &[
                ("_csrf", &csrf),
                ("revision", "2"),
                ("action", "submit"),
                ("f.serial", "SN-9"),
                ("f.speed", "12"),
            ],
        )
        .await;
        let (_, html) = adv.page(&page).await;
        assert!(
            !html.contains("data-session="),
            "{l}: the walk ended (speed ≥ 5 → resolved)"
        );
        assert!(
            html.contains("serial = SN-9"),
            "{l}: the timeline shows the values"
        );
        // Someone else's CSRF token or another brand's person changes nothing.
        let other = app.browser("adv_b").await;
        let r = other
            .post_form(
                &format!("{page}/trees/start"),
                &[("_csrf", &other.csrf().await), ("tree_id", &id)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{l}");
    }
}
