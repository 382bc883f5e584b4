//! Tenants, sites, teams and members, and the tenant's audit trail.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::event::Event;
use plateau_core::model::{Language, Membership, Role, Site, Team, Tenant, Tier};
use plateau_core::policy::Action;
use plateau_core::{validate, DomainError};
use plateau_store::users::{Member, NewUser};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::{hash_password, CurrentUser};
use crate::error::WebError;
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/tenants", tag = "directory", responses((status = 200, body = Vec<Tenant>)))]
pub async fn list_tenants(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<Tenant>>, WebError> {
    let all = state.store.tenants().await?;
    Ok(Json(
        all.into_iter()
            .filter(|t| user.actor.platform_admin || user.actor.role_in(t.id).is_some())
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantIn {
    pub slug: String,
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/tenants", tag = "directory", request_body = NewTenantIn, responses((status = 201, body = Tenant), (status = 403, body = crate::error::Problem)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewTenantIn>,
) -> Result<(StatusCode, Json<Tenant>), WebError> {
    if !user.actor.platform_admin {
        return Err(DomainError::Forbidden("only platform admins create tenants").into());
    }
    let t = state
        .store
        .create_tenant(&body.slug, &body.name, Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/sites", tag = "directory", params(("tenant" = String, Path)), responses((status = 200, body = Vec<Site>)))]
pub async fn list_sites(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Site>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    Ok(Json(state.store.sites(t.id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSiteIn {
    pub name: String,
    /// ISO 3166-1 alpha-2, e.g. `MA`.
    pub country: String,
    /// IANA zone, e.g. `Africa/Casablanca`.
    pub time_zone: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/sites", tag = "directory", params(("tenant" = String, Path)), request_body = NewSiteIn, responses((status = 201, body = Site)))]
pub async fn create_site(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewSiteIn>,
) -> Result<(StatusCode, Json<Site>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let s = state
        .store
        .create_site(
            t.id,
            &body.name,
            &body.country,
            &body.time_zone,
            Some(user.user.id),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/teams", tag = "directory", params(("tenant" = String, Path)), responses((status = 200, body = Vec<Team>)))]
pub async fn list_teams(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Team>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    Ok(Json(state.store.teams(t.id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeamIn {
    pub name: String,
    pub tier: Tier,
    pub site_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/teams", tag = "directory", params(("tenant" = String, Path)), request_body = NewTeamIn, responses((status = 201, body = Team)))]
pub async fn create_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewTeamIn>,
) -> Result<(StatusCode, Json<Team>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let team = state
        .store
        .create_team(
            t.id,
            body.site_id,
            &body.name,
            body.tier,
            Some(user.user.id),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub disabled: bool,
}

impl From<Member> for MemberOut {
    fn from(m: Member) -> Self {
        MemberOut {
            user_id: m.user.id,
            email: m.user.email,
            display_name: m.user.display_name,
            role: m.role,
            team_id: m.team_id,
            site_id: m.site_id,
            disabled: m.user.disabled,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/members", tag = "directory", params(("tenant" = String, Path)), responses((status = 200, body = Vec<MemberOut>)))]
pub async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<MemberOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    Ok(Json(
        state
            .store
            .members(t.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMemberIn {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub locale: Option<Language>,
}

/// Creates a user and makes them a member of the tenant.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/members", tag = "directory", params(("tenant" = String, Path)), request_body = NewMemberIn, responses((status = 201, body = MemberOut), (status = 409, body = crate::error::Problem)))]
pub async fn create_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewMemberIn>,
) -> Result<(StatusCode, Json<MemberOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    validate::password(&body.password).map_err(|m| DomainError::field("password", m))?;
    check_team_site(&state, t.id, body.team_id, body.site_id).await?;
    let hash = hash_password(&body.password)?;
    let u = state
        .store
        .create_user(
            NewUser {
                email: &body.email,
                display_name: &body.display_name,
                password_hash: Some(hash),
                locale: body.locale.unwrap_or(Language::Fr),
                platform_admin: false,
            },
            Some(user.user.id),
        )
        .await?;
    let m = Membership {
        tenant_id: t.id,
        user_id: u.id,
        role: body.role,
        team_id: body.team_id,
        site_id: body.site_id,
    };
    state.store.set_membership(&m, Some(user.user.id)).await?;
    state.auth_cache.clear();
    Ok((
        StatusCode::CREATED,
        Json(MemberOut {
            user_id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: m.role,
            team_id: m.team_id,
            site_id: m.site_id,
            disabled: false,
        }),
    ))
}

async fn check_team_site(
    state: &AppState,
    tenant_id: Uuid,
    team: Option<Uuid>,
    site: Option<Uuid>,
) -> Result<(), WebError> {
    let mut v = plateau_core::error::Validator::new();
    if let Some(team) = team {
        if !state
            .store
            .teams(tenant_id)
            .await?
            .iter()
            .any(|x| x.id == team)
        {
            v.push("team_id", "is not a team of this tenant");
        }
    }
    if let Some(site) = site {
        if !state
            .store
            .sites(tenant_id)
            .await?
            .iter()
            .any(|x| x.id == site)
        {
            v.push("site_id", "is not a site of this tenant");
        }
    }
    v.finish().map_err(Into::into)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMemberIn {
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
}

/// Grants an existing user a role in this tenant (one advisor may serve several brands).
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/members/{user_id}", tag = "directory", params(("tenant" = String, Path), ("user_id" = String, Path)), request_body = SetMemberIn, responses((status = 200, body = MemberOut), (status = 404, body = crate::error::Problem)))]
pub async fn set_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetMemberIn>,
) -> Result<Json<MemberOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let uid = parse_id(&user_id, "user")?;
    let target = state.store.user(uid).await?;
    check_team_site(&state, t.id, body.team_id, body.site_id).await?;
    let m = Membership {
        tenant_id: t.id,
        user_id: uid,
        role: body.role,
        team_id: body.team_id,
        site_id: body.site_id,
    };
    state.store.set_membership(&m, Some(user.user.id)).await?;
    state.auth_cache.clear();
    Ok(Json(MemberOut {
        user_id: uid,
        email: target.email,
        display_name: target.display_name,
        role: m.role,
        team_id: m.team_id,
        site_id: m.site_id,
        disabled: target.disabled,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Return events with an id below this one (the previous page's last id).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Event>,
    pub next_before: Option<i64>,
}

/// The tenant's append-only audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/events", tag = "directory", params(("tenant" = String, Path), AuditQuery), responses((status = 200, body = AuditPage)))]
pub async fn audit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewAudit).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let items = state.store.tenant_events(t.id, q.before, limit).await?;
    let next_before = if items.len() as i64 == limit {
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPage { items, next_before }))
}
