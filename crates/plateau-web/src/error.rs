//! The one place where errors become HTTP: RFC 9457 problem+json for the API,
//! a readable page for the UI. Internal causes are logged in full and never
//! sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use plateau_core::{DomainError, FieldError};
use plateau_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{detail}")]
    Request {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => WebError::Domain(d),
            other => WebError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl WebError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        WebError::Request {
            status: StatusCode::BAD_REQUEST,
            code,
            detail: detail.into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, code, detail, errors) = match self {
            WebError::Domain(d) => {
                let status = match d {
                    DomainError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    DomainError::NotFound(_) => StatusCode::NOT_FOUND,
                    DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
                    DomainError::Conflict(_) => StatusCode::CONFLICT,
                    DomainError::Unauthenticated => StatusCode::UNAUTHORIZED,
                };
                let errors = match d {
                    DomainError::Invalid(e) => e.clone(),
                    _ => Vec::new(),
                };
                let detail = match d {
                    DomainError::Invalid(e) if e.len() == 1 => {
                        format!("{}: {}", e[0].field, e[0].message)
                    }
                    DomainError::Invalid(_) => "several fields are invalid; see errors".into(),
                    other => other.to_string(),
                };
                (status, d.code(), detail, errors)
            }
            WebError::Request {
                status,
                code,
                detail,
            } => (*status, *code, detail.clone(), Vec::new()),
            WebError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; it has been logged".into(),
                Vec::new(),
            ),
        };
        Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            errors,
        }
    }

    fn log(&self) {
        if let WebError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
    }
}

/// Errors from API handlers: always problem+json.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let p = self.problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Errors from UI handlers: a page a person can read, in plain words.
#[derive(Debug)]
pub struct UiError(pub WebError);

impl<E: Into<WebError>> From<E> for UiError {
    fn from(e: E) -> Self {
        UiError(e.into())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        self.0.log();
        let p = self.0.problem();
        if p.status == 401 {
            return axum::response::Redirect::to("/login").into_response();
        }
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut items = String::new();
        for e in &p.errors {
            items.push_str(&format!(
                "<li><strong>{}</strong>: {}</li>",
                crate::ui::escape(&e.field),
                crate::ui::escape(&e.message)
            ));
        }
        let html = format!(
            "<!doctype html><html><head><meta charset=utf-8><title>{status}</title><link rel=stylesheet href=/assets/app.css></head>\
             <body class=error-page><main><h1>{} — {}</h1><p>{}</p><ul>{items}</ul><p><a href=\"javascript:history.back()\">←</a> · <a href=\"/\">Plateau</a></p></main></body></html>",
            p.status,
            crate::ui::escape(&p.title),
            crate::ui::escape(&p.detail)
        );
        (status, Html(html)).into_response()
    }
}
