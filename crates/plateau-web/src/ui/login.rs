//! Logging in and out. The login form carries a double-submit token (cookie
//! plus hidden field) so that another site cannot log a browser into an
//! account of its choosing.

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, SameSite};
use plateau_core::model::Language;
use serde::Deserialize;

use super::{render, UiUser};
use crate::auth::{
    constant_time_eq, cookie_value, decoy_hash, digest, random_token, session_cookie,
    verify_password, LOGIN_COOKIE, SESSION_COOKIE,
};
use crate::error::UiError;
use crate::i18n::{negotiate, Tr};
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    csrf: String,
    next: String,
    email: String,
    error: Option<&'static str>,
    other_lang: &'static str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

fn lang_of(headers: &HeaderMap, forced: Option<&str>) -> Language {
    match forced.and_then(|l| l.parse().ok()) {
        Some(l) => l,
        None => negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// Secure cookies when configured, or when a TLS-terminating proxy says the
/// browser came over HTTPS.
fn behind_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Only same-site paths are followed after login, never another origin.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(super::local_path).unwrap_or("/").to_string()
}

fn page(
    state: &AppState,
    lang: Language,
    next: String,
    email: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let token = random_token(24);
    let mut c = Cookie::new(LOGIN_COOKIE, token.clone());
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(state.config.secure_cookies);
    c.set_path("/login");
    let other_lang = if lang == Language::Fr { "en" } else { "fr" };
    let mut res = render(&LoginPage {
        tr: Tr::new(lang),
        csrf: token,
        next,
        email,
        error,
        other_lang,
    })?;
    *res.status_mut() = status;
    if let Ok(v) = c.encoded().to_string().parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, UiError> {
    page(
        &state,
        lang_of(&headers, q.lang.as_deref()),
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, UiError> {
    let lang = lang_of(&headers, Some(f.lang.as_str()));
    let next = safe_next(Some(&f.next));
    let cookie = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(&cookie, &f.csrf) {
        return page(
            &state,
            lang,
            next,
            f.email,
            Some("login.expired"),
            StatusCode::FORBIDDEN,
        );
    }
    let account_key = format!("email:{}", f.email.trim().to_lowercase());
    let peer_key = format!("ip:{}", peer.ip());
    let blocked = state
        .login_throttle
        .blocked_for(&account_key)
        .or_else(|| state.login_throttle.blocked_for(&peer_key));
    if let Some(secs) = blocked {
        metrics::counter!("plateau_login_throttled_total").increment(1);
        let mut res = page(
            &state,
            lang,
            next,
            f.email,
            Some("login.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        if let Ok(v) = secs.to_string().parse() {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let found = state.store.user_for_login(&f.email).await?;
    let hash = match &found {
        Some((u, Some(hash))) if !u.disabled => Some(hash.clone()),
        _ => None,
    };
    let password = f.password.clone();
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    // An unknown account is checked against a decoy hash, so timing does not
    // reveal which e-mails exist.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = verify_password(&password, decoy_hash());
            false
        }
    })
    .await
    .map_err(|e| crate::error::WebError::Internal(anyhow::anyhow!("password check: {e}")))?;
    if ok {
        state.login_throttle.succeed(&account_key);
    } else {
        state.login_throttle.fail(&account_key);
        state.login_throttle.fail(&peer_key);
    }
    let Some((user, _)) = found.filter(|_| ok) else {
        tracing::info!(email = %f.email, "failed login");
        metrics::counter!("plateau_login_failures_total").increment(1);
        return page(
            &state,
            lang,
            next,
            f.email,
            Some("login.failed"),
            StatusCode::UNAUTHORIZED,
        );
    };
    let secret = random_token(32);
    let csrf = random_token(24);
    let ttl = state.config.session_ttl_secs;
    state
        .store
        .create_session(&digest(&secret), user.id, &csrf, ttl)
        .await?;
    let cookie = session_cookie(secret, behind_tls(&state, &headers), ttl);
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = cookie.encoded().to_string().parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    if let Some(raw) = cookie_value(&headers, SESSION_COOKIE) {
        state.store.delete_session(&digest(&raw)).await?;
        state.auth_cache.clear();
    }
    let mut res = Redirect::to("/login").into_response();
    let gone = session_cookie(String::new(), behind_tls(&state, &headers), 0);
    if let Ok(v) = gone.encoded().to_string().parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
