//! The advisors' forum in the browser: who sees which page, empty states,
//! asking from a conversation, escaped script, oversized posts refused with
//! the text kept, answering, accepting, flags through the moderation queue,
//! verification and promotion, and the settings form's validation.

use reqwest::StatusCode;

use crate::helpers::*;

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

fn path_of(location: &str) -> String {
    location.split('?').next().unwrap().to_string()
}

/// Posts a question as `b` and returns its thread page's path.
async fn ask(b: &Browser, title: &str, body: &str) -> String {
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/t/acme/forum/new",
            &[
                ("_csrf", &csrf),
                ("title", title),
                ("body", body),
                ("customer_words", "Ma box clignote en rouge."),
                ("tried", "Redémarrage."),
                ("tags", "livebox, wifi"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "ask {title}");
    path_of(&location(&r))
}

#[tokio::test]
async fn forum_pages_follow_roles_and_show_empty_states() {
    for app in apps().await {
        let l = app.label();
        let adv = app.browser("adv_a").await;
        let (st, html) = adv.page("/t/acme/forum").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("No question yet"), "{l}: empty state");
        assert!(
            html.contains("data-key=\"gf\"") && html.contains("<kbd>f</kbd>"),
            "{l}: nav link with its shortcut, listed in the help"
        );
        // Advisors see no curator links and may not open curator pages.
        assert!(
            !html.contains("/forum/moderation") && !html.contains("/forum/settings"),
            "{l}"
        );
        for (path, st) in [
            ("/t/acme/forum/moderation", StatusCode::FORBIDDEN),
            ("/t/acme/forum/candidates", StatusCode::FORBIDDEN),
            ("/t/acme/forum/settings", StatusCode::FORBIDDEN),
            ("/t/acme/forum/recognition", StatusCode::OK),
            ("/t/acme/forum/notifications", StatusCode::OK),
            ("/t/acme/forum/new", StatusCode::OK),
        ] {
            assert_eq!(adv.page(path).await.0, st, "{l}: adv {path}");
        }
        let (_, html) = adv.page("/t/acme/forum/notifications").await;
        assert!(html.contains("No notification"), "{l}");
        let (_, html) = adv.page("/t/acme/forum/recognition").await;
        assert!(
            html.contains("No badge yet") && html.contains("Candidate"),
            "{l}: a newcomer is a candidate without badges"
        );

        // The brand's read-only account never sees the centre's forum; a
        // member of another brand does not learn this one exists.
        let viewer = app.browser("viewer_a").await;
        assert_eq!(
            viewer.page("/t/acme/forum").await.0,
            StatusCode::FORBIDDEN,
            "{l}"
        );
        let other = app.browser("adv_b").await;
        assert_eq!(
            other.page("/t/acme/forum").await.0,
            StatusCode::NOT_FOUND,
            "{l}"
        );

        // Knowledge managers moderate and curate; tenant admins configure.
        let km = app.browser("km_a").await;
        let (st, html) = km.page("/t/acme/forum/moderation").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("No flagged post"), "{l}");
        let (st, html) = km.page("/t/acme/forum/candidates").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("No candidate"), "{l}");
        let admin = app.browser("admin_a").await;
        assert_eq!(
            admin.page("/t/acme/forum/settings").await.0,
            StatusCode::OK,
            "{l}"
        );
        // An unknown thread is a 404, not an error page.
        assert_eq!(
            adv.page("/t/acme/forum/0190c8a0-0000-7000-8000-000000000000")
                .await
                .0,
            StatusCode::NOT_FOUND,
            "{l}"
        );
    }
}

#[tokio::test]
async fn asking_from_a_conversation_prefills_the_question() {
    for app in apps().await {
        let l = app.label();
        let adv = app.browser("adv_a").await;
        let n = app.conv_a.number;
        let (st, html) = adv.page(&format!("/t/acme/c/{n}")).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let ask_href = format!("/t/acme/forum/new?conversation={n}");
        assert!(
            html.contains(&format!("href=\"{ask_href}\"")),
            "{l}: Ask the forum button"
        );
        let (st, html) = adv.page(&ask_href).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("Bonjour, ma box ne s&#39;allume plus.")
                || html.contains("Bonjour, ma box ne s&#x27;allume plus."),
            "{l}: the customer's first message, escaped: {html}"
        );
        assert!(
            html.contains("value=\"Box éteinte\""),
            "{l}: subject as title"
        );
        // A conversation of another brand is not found, and prefills nothing.
        let (st, _) = adv
            .page(&format!(
                "/t/acme/forum/new?conversation={}",
                app.conv_b.number + 1000
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
    }
}

#[tokio::test]
async fn threads_escape_script_refuse_oversized_posts_and_run_the_flows() {
    for app in apps().await {
        let l = app.label();
        let adv = app.browser("adv_a").await;
        let adv2 = app.browser("adv2_a").await;
        let km = app.browser("km_a").await;

        // Oversized: refused with the limit named, the text kept, nothing written.
        let csrf = adv.csrf().await;
        let before = app.event_count().await;
        let long = format!("Mon texte à garder {}", "x".repeat(20_001));
        let r = adv
            .post_form(
                "/t/acme/forum/new",
                &[("_csrf", &csrf), ("title", "Trop long"), ("body", &long)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("20000") && html.contains("Mon texte à garder"),
            "{l}"
        );
        assert_eq!(app.event_count().await, before, "{l}: nothing written");

        // Script in a title or a body never reaches the page as markup.
        let thread = ask(
            &adv,
            "Box <script>alert(1)</script> rouge",
            "Voyant rouge <script>alert('x')</script> **fixe**",
        )
        .await;
        let (st, html) = adv.page(&thread).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(!html.contains("<script>alert"), "{l}: {html}");
        assert!(html.contains("<strong>fixe</strong>"), "{l}: Markdown kept");
        assert!(html.contains("No answer yet"), "{l}: no answer yet");
        let (_, list) = adv.page("/t/acme/forum").await;
        assert!(
            list.contains(&thread) && !list.contains("<script>alert"),
            "{l}"
        );

        // An answer from a colleague; the asker accepts it.
        let csrf2 = adv2.csrf().await;
        let r = adv2
            .post_form(
                &format!("{thread}/answers"),
                &[("_csrf", &csrf2), ("body", "Changer le **bloc secteur**.")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = adv.page(&thread).await;
        assert!(html.contains("<strong>bloc secteur</strong>"), "{l}");
        let answer_id = html
            .split("class=\"forum-post item forum-answer")
            .nth(1)
            .and_then(|s| s.split("data-post-id=\"").nth(1))
            .map(|s| s.split('"').next().unwrap().to_string())
            .expect("answer id on the page");
        let r = adv
            .post_form(
                &format!("{thread}/posts/{answer_id}/accept"),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = adv.page(&thread).await;
        assert!(html.contains("badge conf-accepted"), "{l}: accepted label");
        // Someone else may not accept on the asker's behalf.
        let r = adv2
            .post_form(
                &format!("{thread}/posts/{answer_id}/accept"),
                &[("_csrf", &csrf2)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{l}");

        // A flag with a reason lands in the moderators' queue; agreeing hides
        // the post and empties the queue.
        let r = adv
            .post_form(
                &format!("{thread}/posts/{answer_id}/flag"),
                &[
                    ("_csrf", &csrf),
                    ("reason", "outdated"),
                    ("comment", "Bloc changé en 2024"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, queue) = km.page("/t/acme/forum/moderation").await;
        assert!(
            queue.contains("Bloc changé en 2024") && queue.contains("Outdated"),
            "{l}: {queue}"
        );
        // A flag with a reason outside the list changes nothing.
        let r = adv
            .post_form(
                &format!("{thread}/posts/{answer_id}/flag"),
                &[("_csrf", &csrf), ("reason", "boring")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let kcsrf = km.csrf().await;
        let r = km
            .post_form(
                &format!("/t/acme/forum/moderation/{answer_id}"),
                &[("_csrf", &kcsrf), ("decision", "disagree")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, queue) = km.page("/t/acme/forum/moderation").await;
        assert!(queue.contains("No flagged post"), "{l}");

        // Verify with sources, then promote: the thread links its article.
        let r = km
            .post_form(
                &format!("{thread}/posts/{answer_id}/verify"),
                &[("_csrf", &kcsrf), ("sources", "Guide box v3\nTicket 118")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = km.page(&thread).await;
        assert!(
            html.contains("badge conf-verified") && html.contains("Ticket 118"),
            "{l}"
        );
        let r = km
            .post_form(
                &format!("{thread}/posts/{answer_id}/promote"),
                &[("_csrf", &kcsrf)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = km.page(&thread).await;
        assert!(html.contains("id=\"forum-article-link\""), "{l}: {html}");
        // The asker was told of the answer, and can mark it read.
        let (_, html) = adv.page("/t/acme/forum/notifications").await;
        assert!(
            html.contains(&thread) && html.contains("an answer to your question"),
            "{l}: {html}"
        );
        let r = adv
            .post_form("/t/acme/forum/notifications/read", &[("_csrf", &csrf)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = adv.page("/t/acme/forum/notifications").await;
        assert!(!html.contains("Mark all as read"), "{l}: all read");

        // The answer's author leads the team board, drawn as a chart.
        let (_, html) = adv.page("/t/acme/forum/recognition?by=team").await;
        assert!(
            html.contains("<svg") && html.contains("adv2_a"),
            "{l}: {html}"
        );

        // An advisor may not verify or promote.
        let r = adv
            .post_form(
                &format!("{thread}/posts/{answer_id}/verify"),
                &[("_csrf", &csrf), ("sources", "moi")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{l}");
    }
}

#[tokio::test]
async fn settings_are_validated_before_saving() {
    for app in apps().await {
        let l = app.label();
        let admin = app.browser("admin_a").await;
        let (_, html) = admin.page("/t/acme/forum/settings").await;
        let csrf = field(&html, "_csrf");
        let before = app.event_count().await;
        let bad = [
            ("_csrf", csrf.as_str()),
            ("hide_threshold", "0"),
            ("level_contributor", "50"),
            ("level_publisher", "10"),
            ("publish_without_review", ""),
            ("w_post", "abc"),
        ];
        let r = admin.post_form("/t/acme/forum/settings", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("forum-settings-errors") && html.contains("whole number"),
            "{l}: {html}"
        );
        assert_eq!(app.event_count().await, before, "{l}: nothing saved");
        let good = [
            ("_csrf", csrf.as_str()),
            ("hide_threshold", "6"),
            ("level_contributor", "40"),
            ("level_publisher", "200"),
            ("publish_without_review", "publisher"),
            ("badge_key", "first-answer"),
            ("badge_en", "First answer"),
            ("badge_fr", "Première réponse"),
            ("badge_metric", "answers"),
            ("badge_threshold", "1"),
            ("badge_key", ""),
            ("badge_en", ""),
            ("badge_fr", ""),
            ("badge_metric", "posts"),
            ("badge_threshold", ""),
        ];
        let r = admin.post_form("/t/acme/forum/settings", &good).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = admin.page("/t/acme/forum/settings").await;
        assert!(
            html.contains("name=\"hide_threshold\" min=\"1\" max=\"1000\" required value=\"6\""),
            "{l}"
        );
    }
}
