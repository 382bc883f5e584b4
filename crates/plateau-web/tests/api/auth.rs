//! Login, sessions, CSRF and API tokens.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_sets_a_hardened_session_cookie_and_bad_passwords_fail() {
    for app in apps().await {
        let client = cookie_client();
        let csrf = login_csrf(&client, &app.url("/login")).await;
        let bad = client
            .post(app.url("/login"))
            .form(&[
                ("email", "adv_a@test.example"),
                ("password", "wrong-password"),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED, "{}", app.label());
        let csrf = login_csrf(&client, &app.url("/login")).await;
        let ok = client
            .post(app.url("/login"))
            .form(&[
                ("email", "ADV_A@test.example"),
                ("password", PASSWORD),
                ("_csrf", &csrf),
                ("next", "//evil.example/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        // An off-site "next" is ignored.
        assert_eq!(ok.headers()["location"], "/");
        let cookie = ok
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("plateau_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "no TLS in tests, so no Secure flag: {cookie}"
        );
        let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);

        // Behind a TLS-terminating proxy the cookie is marked Secure.
        let csrf = login_csrf(&client, &app.url("/login")).await;
        let ok = client
            .post(app.url("/login"))
            .header("x-forwarded-proto", "https")
            .form(&[
                ("email", "adv_a@test.example"),
                ("password", PASSWORD),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        let cookie = ok
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("plateau_session="))
            .unwrap();
        assert!(cookie.contains("Secure"), "{cookie}");
    }
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    for app in apps().await {
        let client = cookie_client();
        let r = client
            .post(app.url("/login"))
            .form(&[
                ("email", "adv_a@test.example"),
                ("password", PASSWORD),
                ("_csrf", "forged"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", app.label());
        assert!(r
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("plateau_session=")));
    }
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    for app in apps().await {
        let b = app.browser("adv_a").await;
        let path = format!("{}/messages", app.conv_a_path());
        let url = format!("{}{path}", app.base);
        let r = b
            .client
            .post(&url)
            .json(&json!({"body": "hi", "direction": "note"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", app.label());
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "csrf_failed");
        let csrf = b.csrf().await;
        let r = b
            .client
            .post(&url)
            .header("x-csrf-token", csrf)
            .json(&json!({"body": "hi", "direction": "note"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        // Form posts in the UI need it too.
        let r = b
            .post_form(
                &format!("/t/acme/c/{}/take", app.conv_a.number),
                &[("_csrf", "nope")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(app
            .db
            .store
            .conversation(app.tenant_a.id, app.conv_a.id)
            .await
            .unwrap()
            .assignee_id
            .is_none());
    }
}

#[tokio::test]
async fn api_tokens_are_created_listed_used_and_revoked() {
    for app in apps().await {
        let (st, v) = app
            .send(
                "adv_a",
                Method::POST,
                "/api/v1/me/tokens",
                json!({"name": "script"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{}", app.label());
        let token = v["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("plt_"));
        let id = v["id"].as_str().unwrap().to_string();
        let c = reqwest::Client::new();
        let r = c
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["user"]["email"], "adv_a@test.example");
        assert_eq!(me["memberships"].as_array().unwrap().len(), 2);
        let (_, list) = app.get("adv_a", "/api/v1/me/tokens").await;
        assert!(list
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str()));
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("token").is_none()),
            "secrets are never listed"
        );
        // Someone else cannot revoke it.
        let r = app
            .call(
                "adv2_a",
                Method::DELETE,
                &format!("/api/v1/me/tokens/{id}"),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .call(
                "adv_a",
                Method::DELETE,
                &format!("/api/v1/me/tokens/{id}"),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = c
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn anonymous_and_bogus_credentials_get_401_problems() {
    for app in apps().await {
        let r = reqwest::get(app.url("/api/v1/tenants")).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&v), "unauthenticated");
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/tenants"))
            .bearer_auth("plt_forged")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // UI pages send people to the login page instead.
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = c.get(app.url("/t/acme/inbox")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=/t/acme/inbox"));
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    for app in apps().await {
        let b = app.browser("adv_a").await;
        let csrf = b.csrf().await;
        let r = b.post_form("/logout", &[("_csrf", &csrf)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (st, _) = b.page("/t/acme/inbox").await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{}", app.label());
    }
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    for app in apps().await {
        let client = cookie_client();
        let attempt = |password: &'static str| {
            let client = client.clone();
            let url = app.url("/login");
            async move {
                let csrf = login_csrf(&client, &url).await;
                client
                    .post(&url)
                    .form(&[
                        ("email", "adv_a@test.example"),
                        ("password", password),
                        ("_csrf", &csrf),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        for _ in 0..10 {
            assert_eq!(
                attempt("guess-guess-guess").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        // Even the right password is refused until the window passes.
        let r = attempt(PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{}", app.label());
        assert!(r.headers().contains_key("retry-after"));
        assert!(r
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("plateau_session=")));
        let m = reqwest::get(app.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(m.contains("plateau_login_throttled_total"));
    }
}
