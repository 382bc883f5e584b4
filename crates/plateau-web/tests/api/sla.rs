//! SLA clocks on live conversations: the brand's policies live in its
//! routing configuration (validated with the rest), and each conversation
//! shows where its first response, next response and resolution stand.

use plateau_store::conversations::{CustomerRef, NewConversation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn save(app: &App, sla: Value) -> (StatusCode, Value) {
    let (_, v) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
    let mut config = v["config"].clone();
    config["workflows"] = json!([{
        "name": "mail", "filter": "channel == \"email\"", "tier": "n1",
        "steps": [{"target": "tier == \"n1\""}]
    }]);
    config["sla_policies"] = sla;
    app.send(
        "admin_a",
        Method::PUT,
        "/api/v1/tenants/acme/routing",
        json!({"expected_version": v["version"], "config": config}),
    )
    .await
}

fn metric<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn conversations_show_their_sla_clocks_under_the_brands_policy() {
    for app in apps().await {
        let label = app.label();
        // A bad policy is refused with its path, and nothing is saved.
        let (st, v) = save(
            &app,
            json!([{"channel": "email", "first_response_secs": 0}]),
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        assert!(
            v.to_string()
                .contains("sla_policies[0].first_response_secs"),
            "{label}: {v}"
        );
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        assert_eq!(c["sla"], json!([]), "{label}: no policy, no clocks");

        let (st, v) = save(
            &app,
            json!([{"channel": "email", "first_response_secs": 3600, "next_response_secs": 1800,
                    "resolution_secs": 86400, "warn_before_secs": 600}]),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");

        // The new e-mail conversation owes a first response within the hour.
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["state"], "running", "{label}: {c}");
        assert_eq!(fr["breached"], false);
        assert_eq!(metric(&c, "resolution")["state"], "running");
        assert_eq!(metric(&c, "next_response")["state"], "idle");

        // A reply meets it.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("{}/messages", app.conv_a_path()),
                json!({"body": "Bonjour, nous regardons.", "channel": "email"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}");
        let (_, c) = app.get("adv_a", &app.conv_a_path()).await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["state"], "stopped", "{label}: {c}");
        assert_eq!(fr["breached"], false, "{label}: {c}");

        // A conversation that arrived three hours ago without an answer has
        // breached; the desk shows it in red.
        let old = app
            .db
            .store
            .create_conversation(
                app.tenant_a.id,
                NewConversation {
                    customer: CustomerRef::Existing(app.conv_a.customer_id),
                    subject: "Facture en double".into(),
                    channel: plateau_core::model::Channel::Email,
                    direction: plateau_core::model::Direction::Inbound,
                    body: "J'ai été prélevé deux fois.".into(),
                    priority: plateau_core::model::Priority::Normal,
                    reason: None,
                    tags: vec![],
                    team_id: None,
                    assignee_id: None,
                    language: None,
                    attachments: vec![],
                    at: Some(plateau_core::Timestamp(
                        plateau_core::Timestamp::now().0 - 3 * 3600 * 1_000_000,
                    )),
                },
                None,
            )
            .await
            .unwrap();
        let (_, c) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{}", old.id),
            )
            .await;
        let fr = metric(&c, "first_response");
        assert_eq!(fr["breached"], true, "{label}: {c}");
        assert_eq!(fr["state"], "running", "{label}: still owed");
        // The breach is announced once, as an event on the conversation,
        // however many passes see it: the background watcher (which heard
        // of the new conversation) and two more here.
        let now = plateau_core::Timestamp::now();
        for _ in 0..2 {
            plateau_web::sla_watch::run_once(&app.db.store, now)
                .await
                .unwrap();
        }
        assert_eq!(
            plateau_web::sla_watch::run_once(&app.db.store, now)
                .await
                .unwrap(),
            0,
            "{label}: nothing left to announce"
        );
        let (_, evs) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations/{}/events", old.id),
            )
            .await;
        let breaches: Vec<&Value> = evs
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "sla.breached")
            .collect();
        assert_eq!(breaches.len(), 1, "{label}: {evs}");
        assert_eq!(breaches[0]["payload"]["metric"], "first_response");
        let page = app.browser("adv_a").await;
        let (_, html) = page.page(&format!("/t/acme/c/{}", old.number)).await;
        assert!(html.contains("sla-breached"), "{label}");
        assert!(
            html.contains("First response: the SLA was breached"),
            "{label}"
        );
        let (_, html) = page.page(&format!("/t/acme/c/{}", app.conv_a.number)).await;
        assert!(html.contains("sla-met"), "{label}");
    }
}

/// An e-mail conversation of brand A that arrived `minutes_ago`.
async fn arrived(app: &App, subject: &str, minutes_ago: i64) -> plateau_core::model::Conversation {
    app.db
        .store
        .create_conversation(
            app.tenant_a.id,
            NewConversation {
                customer: CustomerRef::Existing(app.conv_a.customer_id),
                subject: subject.into(),
                channel: plateau_core::model::Channel::Email,
                direction: plateau_core::model::Direction::Inbound,
                body: format!("{subject} ?"),
                priority: plateau_core::model::Priority::Normal,
                reason: None,
                tags: vec![],
                team_id: None,
                assignee_id: None,
                language: None,
                attachments: vec![],
                at: Some(plateau_core::Timestamp(
                    plateau_core::Timestamp::now().0 - minutes_ago * 60 * 1_000_000,
                )),
            },
            None,
        )
        .await
        .unwrap()
}

/// The subjects of the SLA-ordered list, once the watcher has settled on
/// `want` (it works in the background, moments after each change).
async fn sla_order(app: &App, want: &[&str]) -> Value {
    let path = "/api/v1/tenants/acme/conversations?status=active&sort=sla_due";
    let mut last = Value::Null;
    for _ in 0..100 {
        let (st, v) = app.get("adv_a", path).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let got: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap())
            .collect();
        if got == want {
            return v;
        }
        last = v;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{}: the SLA order never became {want:?}: {last}",
        app.label()
    );
}

#[tokio::test]
async fn the_inbox_puts_the_sla_due_first_and_follows_each_change() {
    for app in apps().await {
        let label = app.label();
        let (st, v) = app
            .get("adv_a", "/api/v1/tenants/acme/conversations?sort=urgent")
            .await;
        assert!(st.is_client_error(), "{label}: {v}");
        assert!(v.to_string().contains("sort"), "{label}: {v}");

        // Without a policy nothing is on the clock.
        let late = arrived(&app, "Late", 180).await;
        sla_order(&app, &[]).await;
        let (st, v) = save(
            &app,
            json!([{"channel": "email", "first_response_secs": 3600,
                    "resolution_secs": 86400, "warn_before_secs": 600}]),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        // Saving the policy makes the watcher look at every open
        // conversation: three hours without an answer is a breach, 55
        // minutes is inside the warning window, the fixture's is fresh.
        let soon = arrived(&app, "Soon", 55).await;
        let fresh = arrived(&app, "Fresh", 0).await;
        let subject_a = app.conv_a.subject.clone();
        let v = sla_order(&app, &["Late", "Soon", &subject_a, "Fresh"]).await;
        let sla = |id: uuid::Uuid| {
            v["sla"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["conversation_id"] == id.to_string())
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(sla(late.id)["breached"], true, "{label}: {v}");
        assert_eq!(sla(late.id)["metric"], "first_response");
        assert_eq!(sla(soon.id)["warning"], true, "{label}: {v}");
        assert_eq!(sla(fresh.id)["warning"], false, "{label}: {v}");

        // Paging keeps the order, with no row twice.
        let (_, p1) = app
            .get(
                "adv_a",
                "/api/v1/tenants/acme/conversations?status=active&sort=sla_due&limit=2",
            )
            .await;
        let cursor = p1["next_cursor"].as_str().unwrap().to_string();
        let (_, p2) = app
            .get(
                "adv_a",
                &format!("/api/v1/tenants/acme/conversations?status=active&sort=sla_due&limit=2&cursor={cursor}"),
            )
            .await;
        let names: Vec<&str> = p1["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(p2["items"].as_array().unwrap())
            .map(|c| c["subject"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Late", "Soon", subject_a.as_str(), "Fresh"],
            "{label}"
        );

        // An answer stops the first-response clock: resolution (a day) is
        // what runs now, so "Soon" goes to the end. Resolving "Fresh" takes
        // it off the clock altogether.
        let (st, _) = app
            .send(
                "adv_a",
                Method::POST,
                &format!("/api/v1/tenants/acme/conversations/{}/messages", soon.id),
                json!({"body": "Nous regardons."}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{label}");
        let (st, _) = app
            .send(
                "adv_a",
                Method::PATCH,
                &format!("/api/v1/tenants/acme/conversations/{}", fresh.id),
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}");
        sla_order(&app, &["Late", &subject_a, "Soon"]).await;

        // The inbox page sorts the same way and shows each clock.
        let page = app.browser("adv_a").await;
        let (_, html) = page
            .page("/t/acme/inbox?view=all&status=active&sort=sla_due")
            .await;
        assert!(html.contains("First response breached"), "{label}");
        let (late_at, soon_at) = (html.find(">Late<").unwrap(), html.find(">Soon<").unwrap());
        assert!(late_at < soon_at, "{label}");

        // Another brand's advisor sees none of it; their own brand has none.
        let (st, _) = app
            .get("adv_b", "/api/v1/tenants/acme/conversations?sort=sla_due")
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let (_, v) = app
            .get("adv_b", "/api/v1/tenants/globex/conversations?sort=sla_due")
            .await;
        assert_eq!(v["items"], json!([]), "{label}: {v}");

        // Removing the policies takes every clock away.
        let (st, _) = save(&app, json!([])).await;
        assert_eq!(st, StatusCode::OK, "{label}");
        sla_order(&app, &[]).await;
    }
}

/// The form's fields for these rows (channel, priority, first, next,
/// resolution, warn), as a browser sends them.
fn sla_form<'a>(csrf: &'a str, version: &'a str, rows: &[[&'a str; 6]]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("_csrf", csrf), ("version", version)];
    for r in rows {
        for (name, v) in ["channel", "priority", "first", "next", "resolution", "warn"]
            .into_iter()
            .zip(r)
        {
            f.push((name, *v));
        }
    }
    f
}

#[tokio::test]
async fn service_level_targets_are_edited_as_a_form_and_checked_before_saving() {
    for app in apps().await {
        let label = app.label();
        // Policies live in the routing configuration, which needs a workflow.
        let (st, _) = save(&app, json!([])).await;
        assert_eq!(st, StatusCode::OK, "{label}");
        let (_, before) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        let admin = app.browser("admin_a").await;
        let (st, html) = admin.page("/t/acme/routing/sla").await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert!(html.contains("Service-level targets"), "{label}");
        let csrf = field(&html, "_csrf");
        let version = before["version"].to_string();

        // Bad minutes and a warning that does not fit its target: every
        // problem is listed by line, and nothing is saved.
        let r = admin
            .post_form(
                "/t/acme/routing/sla",
                &sla_form(
                    &csrf,
                    &version,
                    &[
                        ["email", "", "abc", "", "", ""],
                        ["chat", "high", "-5", "", "", ""],
                    ],
                ),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Line 1 — First response: enter a number"),
            "{label}"
        );
        assert!(html.contains("Line 2 — First response"), "{label}");
        assert!(
            html.contains("value=\"abc\""),
            "{label}: the person's input is kept"
        );
        let (_, after) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        assert_eq!(after["version"], before["version"], "{label}");

        // Valid lines are saved into the configuration, the rest of which is
        // kept; blank lines are dropped.
        let r = admin
            .post_form(
                "/t/acme/routing/sla",
                &sla_form(
                    &csrf,
                    &version,
                    &[
                        ["email", "", "60", "30", "1440", "10"],
                        ["chat", "urgent", "0.5", "", "", ""],
                        ["", "", "", "", "", ""],
                    ],
                ),
            )
            .await;
        let st = r.status();
        let html = r.text().await.unwrap();
        let problems = html
            .split("role=\"alert\"")
            .nth(1)
            .unwrap_or("")
            .split("</div>")
            .next()
            .unwrap_or("");
        assert_eq!(st, StatusCode::OK, "{label}: {problems}");
        assert!(html.contains("Saved"), "{label}");
        let (_, after) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        let p = &after["config"]["sla_policies"];
        assert_eq!(p.as_array().unwrap().len(), 2, "{label}: {p}");
        assert_eq!(p[0]["channel"], "email");
        assert_eq!(p[0]["first_response_secs"], 3600);
        assert_eq!(p[0]["resolution_secs"], 86400);
        assert_eq!(p[0]["warn_before_secs"], 600);
        assert_eq!(p[1]["priority"], "urgent");
        assert_eq!(p[1]["first_response_secs"], 30);
        assert_eq!(
            after["config"]["workflows"], before["config"]["workflows"],
            "{label}"
        );

        // A warning longer than its target is the core's rule, shown on
        // its line; a stale version is refused (someone saved meanwhile).
        let version2 = after["version"].to_string();
        let r = admin
            .post_form(
                "/t/acme/routing/sla",
                &sla_form(&csrf, &version2, &[["email", "", "10", "", "", "20"]]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(r.text().await.unwrap().contains("Line 1 — "), "{label}");
        let r = admin
            .post_form(
                "/t/acme/routing/sla",
                &sla_form(&csrf, &version, &[["email", "", "5", "", "", ""]]),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: stale version"
        );
        let (_, still) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        assert_eq!(still["version"], after["version"], "{label}");

        // Supervisors read it; only brand administrators save it; another
        // brand's administrator cannot even read it.
        let sup = app.browser("sup_a").await;
        let (st, html) = sup.page("/t/acme/routing/sla").await;
        assert_eq!(st, StatusCode::OK, "{label}");
        assert!(
            html.contains("value=\"60\"") && !html.contains("Check and save"),
            "{label}"
        );
        let sup_csrf = field(&html, "_csrf");
        let r = sup
            .post_form(
                "/t/acme/routing/sla",
                &sla_form(&sup_csrf, &version2, &[["", "", "1", "", "", ""]]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{label}");
        let other = app.browser("adv_b").await;
        let (st, _) = other.page("/t/acme/routing/sla").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
        let (_, last) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
        assert_eq!(
            last["version"], after["version"],
            "{label}: nothing else was saved"
        );
    }
}
