//! The caller's own account: who am I, and my personal API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::model::{Role, User};
use plateau_store::users::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_id, ApiJson};
use crate::auth::{digest, random_token, CurrentUser, TOKEN_PREFIX};
use crate::error::WebError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct MembershipOut {
    pub tenant: String,
    pub tenant_name: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub user: User,
    pub memberships: Vec<MembershipOut>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = MeOut), (status = 401, body = crate::error::Problem)))]
pub async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<Json<MeOut>, WebError> {
    let tenants = state.store.tenants().await?;
    let mut memberships = Vec::new();
    for t in tenants {
        if let Some(role) = user.actor.role_in(t.id) {
            memberships.push(MembershipOut {
                tenant: t.slug,
                tenant_name: t.name,
                role,
            });
        }
    }
    Ok(Json(MeOut {
        user: user.user,
        memberships,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: uuid::Uuid,
    pub name: String,
    #[schema(value_type = String)]
    pub created_at: plateau_core::Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_used_at: Option<plateau_core::Timestamp>,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<plateau_core::Timestamp>,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TokenOut>>, WebError> {
    let tokens = state.store.api_tokens(user.user.id).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenOut {
    #[serde(flatten)]
    pub info: TokenOut,
    /// Shown once; only its digest is stored.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewTokenIn, responses((status = 201, body = NewTokenOut), (status = 422, body = crate::error::Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewTokenIn>,
) -> Result<(StatusCode, Json<NewTokenOut>), WebError> {
    let (secret, info) = issue_token(&state, &user, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenOut {
            info: info.into(),
            token: secret,
        }),
    ))
}

pub async fn issue_token(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
) -> Result<(String, ApiToken), WebError> {
    let secret = format!("{TOKEN_PREFIX}{}", random_token(32));
    let info = state
        .store
        .create_api_token(user.user.id, name, &digest(&secret))
        .await?;
    Ok((secret, info))
}

#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = String, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    let id = parse_id(&id, "token")?;
    state.store.revoke_api_token(user.user.id, id).await?;
    state.auth_cache.clear();
    Ok(StatusCode::NO_CONTENT)
}
