//! Authentication: argon2id password hashes, session cookies (HttpOnly,
//! SameSite=Lax, Secure behind TLS), CSRF tokens for cookie-authenticated
//! writes, and personal API tokens presented as `Authorization: Bearer`.
//! Secrets are stored as SHA-256 digests; comparisons are constant-time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use plateau_core::model::User;
use plateau_core::policy::Actor;
use plateau_core::DomainError;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::WebError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "plateau_session";
pub const LOGIN_COOKIE: &str = "plateau_login";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "plt_";

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, checked when the e-mail is unknown so that
/// failed logins take the same time whether or not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token(24)).unwrap_or_default())
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn session_cookie(value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    let mut c = Cookie::new(SESSION_COOKIE, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c.set_path("/");
    c.set_max_age(time::Duration::seconds(max_age_secs));
    c
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| Cookie::parse(kv.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Session,
    Token,
}

/// The authenticated person behind a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
    /// The session's CSRF token; None for API-token requests, which carry no cookies.
    pub csrf: Option<String>,
    pub via: AuthVia,
}

impl CurrentUser {
    /// Form posts from the UI must echo the session's CSRF token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        match &self.csrf {
            Some(expected) if constant_time_eq(expected, presented) => Ok(()),
            None => Ok(()),
            _ => Err(WebError::Request {
                status: axum::http::StatusCode::FORBIDDEN,
                code: "csrf_failed",
                detail: "the form has expired or did not come from Plateau; reload the page and try again".into(),
            }),
        }
    }
}

/// Resolves the caller from a bearer token or the session cookie.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>, WebError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let value = auth.to_str().unwrap_or_default();
        let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
            return Err(WebError::Domain(DomainError::Unauthenticated));
        };
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(WebError::Domain(DomainError::Unauthenticated));
        }
        let hashed = digest(token);
        let key = format!("t:{hashed}");
        if let Some(u) = state.auth_cache.get(&key) {
            return Ok(Some(u));
        }
        let Some(user) = state.store.user_for_token(&hashed).await? else {
            return Err(WebError::Domain(DomainError::Unauthenticated));
        };
        if user.disabled {
            return Err(WebError::Domain(DomainError::Unauthenticated));
        }
        let actor = state.store.actor(&user).await?;
        let u = CurrentUser {
            user,
            actor,
            csrf: None,
            via: AuthVia::Token,
        };
        state.auth_cache.put(key, u.clone());
        return Ok(Some(u));
    }
    let Some(raw) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hashed = digest(&raw);
    let key = format!("s:{hashed}");
    if let Some(u) = state.auth_cache.get(&key) {
        return Ok(Some(u));
    }
    match state.store.session(&hashed).await? {
        Some((user, csrf)) if !user.disabled => {
            let actor = state.store.actor(&user).await?;
            let u = CurrentUser {
                user,
                actor,
                csrf: Some(csrf),
                via: AuthVia::Session,
            };
            state.auth_cache.put(key, u.clone());
            Ok(Some(u))
        }
        _ => Ok(None),
    }
}

/// Extractor for the API: 401 problem when nobody is logged in, and a CSRF
/// header check on writes made with a session cookie.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(u) = parts.extensions.get::<CurrentUser>() {
            return Ok(u.clone());
        }
        let user = authenticate(state, &parts.headers)
            .await?
            .ok_or(WebError::Domain(DomainError::Unauthenticated))?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && user.via == AuthVia::Session {
            let presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            user.check_csrf(presented)?;
        }
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_digests_stable() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(digest("a"), digest("a"));
        assert_eq!(digest("a").len(), 64);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
