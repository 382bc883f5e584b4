//! The server-rendered desk through a cookie session: every page renders for
//! the roles that may see it, forms change data, and the UI speaks French and English.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn pages_render_and_forms_work() {
    for app in apps().await {
        let b = app.browser("adv_a").await;
        let (st, html) = b.page("/t/acme/inbox?view=all").await;
        assert_eq!(st, StatusCode::OK, "{}", app.label());
        assert!(html.contains("Box éteinte"), "inbox lists the conversation");
        assert!(html.contains("data-live=\"inbox-list\""));
        let (st, html) = b.page("/t/acme/inbox?view=mine").await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            html.contains("class=\"empty-state\""),
            "an empty view explains itself"
        );

        let conv = format!("/t/acme/c/{}", app.conv_a.number);
        let (st, html) = b.page(&conv).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            html.contains("Marie Curie") && html.contains("marie@a.example"),
            "customer card"
        );
        let csrf = field(&html, "_csrf");

        let r = b
            .post_form(
                &format!("{conv}/messages"),
                &[
                    ("_csrf", &csrf),
                    ("direction", "outbound"),
                    ("body", "Nous envoyons un technicien."),
                    ("channel", "email"),
                    ("status", "pending"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = b
            .post_form(
                &format!("{conv}/messages"),
                &[
                    ("_csrf", &csrf),
                    ("direction", "note"),
                    ("body", "Rappeler jeudi"),
                    ("status", "resolved"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "a note ignores the status buttons"
        );
        let r = b
            .post_form(&format!("{conv}/take"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = b
            .post_form(
                &format!("{conv}/update"),
                &[
                    ("_csrf", &csrf),
                    ("status", "pending"),
                    ("priority", "urgent"),
                    ("assignee_id", &app.users["adv_a"].to_string()),
                    ("team_id", ""),
                    ("tags", "Fibre, rappel"),
                    ("reason", "panne"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let c = app
            .db
            .store
            .conversation(app.tenant_a.id, app.conv_a.id)
            .await
            .unwrap();
        assert_eq!(c.status.as_str(), "pending");
        assert_eq!(c.priority.as_str(), "urgent");
        assert_eq!(c.assignee_id, Some(app.users["adv_a"]));
        assert_eq!(c.tags, vec!["fibre", "rappel"]);
        assert_eq!(c.reason.as_deref(), Some("panne"));
        let (_, html) = b.page(&conv).await;
        assert!(html.contains("Nous envoyons un technicien.") && html.contains("Rappeler jeudi"));
        assert!(
            html.contains("item-change"),
            "changes appear in the timeline"
        );

        // A bad form value gets a readable error page and changes nothing.
        let r = b
            .post_form(
                &format!("{conv}/update"),
                &[("_csrf", &csrf), ("status", "sleeping")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("status"));

        let r = b
            .post_form(
                "/t/acme/new",
                &[
                    ("_csrf", &csrf),
                    ("customer_name", "Paul Durand"),
                    ("phone", "+33 6 99 88 77 66"),
                    ("channel", "phone"),
                    ("subject", "Appel: facture"),
                    ("body", "Le client conteste sa facture."),
                    ("priority", "normal"),
                    ("team_id", ""),
                    ("language", "fr"),
                    ("assign_me", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let (st, html) = b.page(&loc).await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("Paul Durand") && html.contains("+33699887766"));
    }
}

#[tokio::test]
async fn board_settings_language_and_read_only_views() {
    for app in apps().await {
        let sup = app.browser("sup_a").await;
        let (st, html) = sup.page("/t/acme/board").await;
        assert_eq!(st, StatusCode::OK, "{}", app.label());
        assert!(html.contains("<svg") && html.contains("Supervisor board"));
        let adv = app.browser("adv_a").await;
        let (st, _) = adv.page("/t/acme/board").await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "advisors do not get the supervisor board"
        );
        let (st, _) = adv.page("/t/globex/inbox").await;
        assert_eq!(
            st,
            StatusCode::OK,
            "a multi-brand advisor opens both inboxes"
        );
        let other = app.browser("adv_b").await;
        let (st, _) = other.page("/t/acme/inbox").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = other
            .page(&format!("/t/acme/c/{}", app.conv_a.number))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // Switch to French.
        let csrf = adv.csrf().await;
        let r = adv
            .post_form("/settings/locale", &[("_csrf", &csrf), ("locale", "fr")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = adv.page("/t/acme/inbox?view=all").await;
        assert!(html.contains("Boîte de réception") && html.contains("lang=\"fr\""));
        // Tokens from the settings page are shown once.
        let r = adv
            .post_form(
                "/settings/tokens",
                &[("_csrf", &csrf), ("name", "mon script")],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("data-new-token>plt_"));

        let viewer = app.browser("viewer_a").await;
        let (_, html) = viewer
            .page(&format!("/t/acme/c/{}", app.conv_a.number))
            .await;
        assert!(
            !html.contains("id=\"composer\""),
            "read-only accounts get no composer"
        );
        assert!(!html.contains("data-props"));
        let (st, html) = viewer.page("/t/acme/board").await;
        assert_eq!(st, StatusCode::OK, "brands see their backlog");
        assert!(
            !html.contains("/t/acme/new"),
            "no create link for read-only accounts"
        );
        let csrf = viewer.csrf().await;
        let r = viewer
            .post_form(
                &format!("/t/acme/c/{}/messages", app.conv_a.number),
                &[("_csrf", &csrf), ("direction", "outbound"), ("body", "hi")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn login_page_follows_the_browser_language() {
    for app in apps().await {
        let c = reqwest::Client::new();
        let fr = c
            .get(app.url("/login"))
            .header("accept-language", "fr-FR,fr;q=0.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(fr.contains("Se connecter"));
        let en = c
            .get(app.url("/login"))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("Log in"));
        let css = reqwest::get(app.url("/assets/app.js")).await.unwrap();
        assert_eq!(css.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn the_board_links_to_one_advisors_work() {
    for app in apps().await {
        let me = app.users["adv_a"].to_string();
        let (st, _) = app
            .send("sup_a", reqwest::Method::POST, "/api/v1/tenants/acme/conversations", serde_json::json!({"subject": "Autre", "channel": "phone", "body": "b", "customer_id": app.conv_a.customer_id}))
            .await;
        assert_eq!(st, StatusCode::CREATED);
        app.send(
            "sup_a",
            reqwest::Method::PATCH,
            &app.conv_a_path(),
            serde_json::json!({"assignee_id": me}),
        )
        .await;
        let sup = app.browser("sup_a").await;
        let (_, board) = sup.page("/t/acme/board").await;
        let link = format!("/t/acme/inbox?view=all&#38;status=active&#38;assignee={me}");
        assert!(
            board.contains(&link),
            "{}: board links to the advisor's work",
            app.label()
        );
        let (st, html) = sup.page(&link.replace("&#38;", "&")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            html.contains("Box éteinte") && !html.contains("Autre"),
            "only adv_a's conversation"
        );
        assert!(html.contains("show everyone"));
        let (st, _) = sup.page("/t/acme/inbox?assignee=nope").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
