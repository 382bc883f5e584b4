//! The knowledge base in the browser: list, article page, editor with
//! validation and conflicts, flag it or fix it, the conversation's knowledge
//! panel with one-click linking, and the public help centre.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn article(app: &App, title: &str, audience: &str, state: &str) -> Value {
    let (st, v) = app
        .send(
            "km_a",
            Method::POST,
            "/api/v1/tenants/acme/articles",
            json!({
                "title": title, "language": "fr", "state": state, "audience": audience,
                "issue": "Ma box ne s'allume plus du tout.",
                "resolution": "Vérifier le bloc d'alimentation.\n\nEssayer une autre prise.",
                "cause": "Alimentation <défectueuse>."
            }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v
}

/// Waits until the desk search finds `id` (the index follows the event log).
async fn indexed(app: &App, id: &str) {
    for _ in 0..100 {
        let (_, v) = app
            .get(
                "km_a",
                "/api/v1/tenants/acme/search?q=box%20allume&kind=article",
            )
            .await;
        if v["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["id"] == id))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{}: article {id} never indexed", app.label());
}

#[tokio::test]
async fn articles_are_read_written_flagged_and_linked_in_the_desk() {
    for app in apps().await {
        let l = app.label();
        let adv = app.browser("adv_a").await;
        let (st, html) = adv.page("/t/acme/kb").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("No article yet") || html.contains("Aucun article"),
            "{l}: empty state"
        );

        let public = article(&app, "Box éteinte <script>", "public", "validated").await;
        let internal = article(
            &app,
            "Box éteinte, procédure interne",
            "internal",
            "validated",
        )
        .await;
        let (pid, iid) = (
            public["id"].as_str().unwrap(),
            internal["id"].as_str().unwrap(),
        );

        // The page escapes what authors write and keeps paragraphs.
        let (st, html) = adv.page(&format!("/t/acme/kb/{pid}")).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("Box éteinte &#60;script&#62;") && !html.contains("<script>"),
            "{l}: {html}"
        );
        assert!(
            html.contains("&lt;défectueuse&gt;")
                && html.contains("<p>Essayer une autre prise.</p>"),
            "{l}"
        );
        // The brand's read-only account: public yes, internal absent.
        let viewer = app.browser("viewer_a").await;
        let (_, html) = viewer.page("/t/acme/kb").await;
        assert!(html.contains(pid) && !html.contains(iid), "{l}");
        let (st, _) = viewer.page(&format!("/t/acme/kb/{iid}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");

        // Filters: audience narrows the list and a search; a viewer asking
        // for internal articles gets none.
        let (_, html) = adv.page("/t/acme/kb?audience=internal").await;
        assert!(html.contains(iid) && !html.contains(pid), "{l}");
        indexed(&app, iid).await;
        let (_, html) = adv.page("/t/acme/kb?q=box%20allume&audience=public").await;
        assert!(html.contains(pid) && !html.contains(iid), "{l}");
        let (_, html) = viewer.page("/t/acme/kb?audience=internal").await;
        assert!(!html.contains(iid), "{l}");
        let (_, html) = viewer.page("/t/acme/kb?q=box%20allume").await;
        assert!(
            html.contains(pid) && !html.contains(iid),
            "{l}: a viewer's search hides internal articles"
        );

        // Editor: a bad article keeps the input and writes nothing.
        let csrf = adv.csrf().await;
        let before = app.event_count().await;
        let r = adv
            .post_form(
                "/t/acme/kb/new",
                &[
                    ("_csrf", &csrf),
                    ("title", " "),
                    ("issue", "Mon texte à garder"),
                    ("language", "fr"),
                    ("audience", "internal"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.text().await.unwrap().contains("Mon texte à garder"),
            "{l}"
        );
        assert_eq!(app.event_count().await, before, "{l}");
        let r = adv
            .post_form(
                "/t/acme/kb/new",
                &[
                    ("_csrf", &csrf),
                    ("title", "Wi-Fi qui décroche"),
                    ("issue", "Le wifi coupe"),
                    ("language", "fr"),
                    ("audience", "internal"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let draft_path = r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        // Two people edit version 1: the second keeps their text and is told.
        let edit = |title: &'static str| {
            vec![
                ("_csrf", csrf.clone()),
                ("title", title.to_string()),
                ("issue", "Le wifi coupe".into()),
                ("language", "fr".into()),
                ("audience", "internal".into()),
                ("version", "1".into()),
            ]
        };
        let form: Vec<(&str, String)> = edit("Wi-Fi qui décroche le soir");
        let r = adv
            .client
            .post(app.url(&format!("{draft_path}/edit")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let before = app.event_count().await;
        let form: Vec<(&str, String)> = edit("Ma version concurrente");
        let r = adv
            .client
            .post(app.url(&format!("{draft_path}/edit")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Ma version concurrente")
                && (html.contains("Someone saved") || html.contains("Quelqu'un a enregistré")),
            "{l}"
        );
        assert_eq!(
            app.event_count().await,
            before,
            "{l}: the stale edit wrote nothing"
        );

        // Translations are linked by number from the article page.
        let (_, en) = app
            .send(
                "km_a",
                Method::POST,
                "/api/v1/tenants/acme/articles",
                json!({
                    "title": "Box will not power on", "language": "en", "audience": "internal"
                }),
            )
            .await;
        let km0 = app.browser("km_a").await;
        let kcsrf = km0.csrf().await;
        let r = km0
            .post_form(
                &format!("/t/acme/kb/{iid}/translation"),
                &[("_csrf", &kcsrf), ("number", &format!("#{}", en["number"]))],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = km0.page(&format!("/t/acme/kb/{iid}")).await;
        assert!(
            html.contains("Box will not power on"),
            "{l}: the translation is shown"
        );
        let r = km0
            .post_form(
                &format!("/t/acme/kb/{iid}/translation"),
                &[("_csrf", &kcsrf), ("number", "douze")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");

        // Flag it: the knowledge manager sees it in the queue and resolves it.
        let r = adv
            .post_form(
                &format!("/t/acme/kb/{pid}/flag"),
                &[
                    ("_csrf", &csrf),
                    ("reason", "outdated"),
                    ("comment", "Nouveau bloc depuis mars"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (st, _) = adv.page("/t/acme/kb/flags").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        let km = app.browser("km_a").await;
        let (_, html) = km.page("/t/acme/kb/flags").await;
        assert!(html.contains("Nouveau bloc depuis mars"), "{l}");

        // The conversation suggests the article; one click links it.
        indexed(&app, pid).await;
        let (_, html) = adv.page(&format!("/t/acme/c/{}", app.conv_a.number)).await;
        assert!(
            html.contains("kb-panel") && html.contains(&format!("value=\"{pid}\"")),
            "{l}: suggested"
        );
        let r = adv
            .post_form(
                &format!("/t/acme/c/{}/articles", app.conv_a.number),
                &[
                    ("_csrf", &csrf),
                    ("article", pid),
                    ("query_id", "not-a-query"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, v) = app
            .get("adv_a", &format!("/api/v1/tenants/acme/articles/{pid}"))
            .await;
        assert_eq!(v["article"]["reuse_count"], 1, "{l}: {v}");
        let (_, html) = adv.page(&format!("/t/acme/c/{}", app.conv_a.number)).await;
        assert!(
            html.contains(&format!("/articles/{pid}/unlink")),
            "{l}: listed as linked"
        );
    }
}

#[tokio::test]
async fn the_help_centre_shows_validated_public_articles_only() {
    for app in apps().await {
        let l = app.label();
        let public = article(&app, "Box qui ne s'allume plus", "public", "validated").await;
        let internal = article(
            &app,
            "Box qui ne s'allume plus (interne)",
            "internal",
            "validated",
        )
        .await;
        let draft = article(
            &app,
            "Box qui ne s'allume plus (brouillon)",
            "public",
            "not_validated",
        )
        .await;
        indexed(&app, public["id"].as_str().unwrap()).await;
        let anon = cookie_client();
        let page = |path: String| {
            let anon = anon.clone();
            let url = app.url(&path);
            async move {
                let r = anon.get(url).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let (st, html) = page("/help/acme?q=box%20allume&lang=fr".into()).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains(&format!("/help/acme/a/{}", public["number"])),
            "{l}: {html}"
        );
        assert!(
            !html.contains("(interne)") && !html.contains("(brouillon)"),
            "{l}"
        );
        for a in [&internal, &draft] {
            let (st, _) = page(format!("/help/acme/a/{}", a["number"])).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
        }
        let (st, html) = page(format!("/help/acme/a/{}?lang=en", public["number"])).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(html.contains("Help centre"), "{l}");
        let (st, _) = page("/help/nope".into()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{l}");
    }
}

#[tokio::test]
async fn knowledge_managers_run_analytics_synonyms_faq_and_products() {
    for app in apps().await {
        let l = app.label();
        let km = app.browser("km_a").await;
        let csrf = km.csrf().await;
        // Empty states first.
        let (st, html) = km.page("/t/acme/kb/analytics").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert!(
            html.contains("Nothing in this period") || html.contains("Rien sur cette période"),
            "{l}"
        );
        assert!(
            html.contains("<svg"),
            "{l}: the link-rate chart is drawn on the server"
        );
        let (st, _) = app
            .browser("adv_a")
            .await
            .page("/t/acme/kb/analytics")
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{l}");
        // A search with no result shows up as something to write.
        app.get("adv_a", "/api/v1/tenants/acme/search?q=xylophone%20bleu")
            .await;
        let (_, html) = km.page("/t/acme/kb/analytics?days=7").await;
        assert!(html.contains("xylophone bleu"), "{l}");

        // Synonyms: a bad line is named, keeps the text, writes nothing.
        let before = app.event_count().await;
        let r = km
            .post_form(
                "/t/acme/kb/synonyms",
                &[
                    ("_csrf", &csrf),
                    ("language", "fr"),
                    ("rules", "ça rame, connexion lente\n=> rien"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("=&gt; rien") || html.contains("=&#62; rien"),
            "{l}: input kept"
        );
        assert!(html.contains("line 2:"), "{l}: the line is named");
        assert_eq!(app.event_count().await, before, "{l}");
        let r = km
            .post_form(
                "/t/acme/kb/synonyms",
                &[
                    ("_csrf", &csrf),
                    ("language", "fr"),
                    ("rules", "ça rame, connexion lente"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let adv = app.browser("adv_a").await;
        let r = adv
            .post_form(
                "/t/acme/kb/synonyms",
                &[
                    ("_csrf", &adv.csrf().await),
                    ("language", "fr"),
                    ("rules", "a, b"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{l}");

        // FAQ: an entry added here is in the public feed.
        let r = km
            .post_form(
                "/t/acme/kb/faq",
                &[
                    ("_csrf", &csrf),
                    ("language", "fr"),
                    ("question", "Comment redémarrer ma box ?"),
                    ("answer", "Débranchez-la dix secondes."),
                    ("published", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let r = km
            .post_form(
                "/t/acme/kb/faq",
                &[
                    ("_csrf", &csrf),
                    ("language", "fr"),
                    ("question", " "),
                    ("answer", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let (_, v) = app
            .get("anonymous", "/api/v1/public/acme/faq?language=fr")
            .await;
        assert_eq!(
            v["entries"][0]["question"], "Comment redémarrer ma box ?",
            "{l}: {v}"
        );

        // Products: bad attributes are refused with the reason.
        let r = km
            .post_form(
                "/t/acme/kb/products",
                &[
                    ("_csrf", &csrf),
                    ("code", "box-5"),
                    ("name", "Box 5"),
                    ("kind", "product"),
                    ("attributes", "{not json"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let r = km
            .post_form(
                "/t/acme/kb/products",
                &[
                    ("_csrf", &csrf),
                    ("code", "box-5"),
                    ("name", "Box 5"),
                    ("kind", "product"),
                    ("attributes", r#"{"wifi": "6E"}"#),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{l}");
        let (_, html) = km.page("/t/acme/kb/products").await;
        assert!(html.contains("box-5") && html.contains("6E"), "{l}");
    }
}
