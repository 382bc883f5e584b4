//! The presence control in the top bar: declare a state with a reason, or
//! push back one's break during a peak. Both return to the page they came from.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::DomainError;
use serde::Deserialize;

use super::UiUser;
use crate::error::UiError;
use crate::AppState;

#[derive(Deserialize)]
pub struct PresenceForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    state: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

/// Only local paths, so a form cannot send someone elsewhere.
fn back_to(back: &str) -> String {
    if back.starts_with('/') && !back.starts_with("//") {
        back.to_string()
    } else {
        "/".into()
    }
}

pub async fn declare(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<PresenceForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let p = f
        .state
        .parse()
        .map_err(|m: String| DomainError::field("state", m))?;
    state
        .store
        .set_presence(user.user.id, p, Some(&f.reason), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}

#[derive(Deserialize)]
pub struct PostponeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    minutes: i64,
    #[serde(default)]
    back: String,
}

pub async fn postpone_break(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<PostponeForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    state.store.postpone_break(user.user.id, f.minutes).await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}
