//! A brand's queues and workflows: read and replace the routing
//! configuration. The names expressions may use (skills, sites, teams, the
//! tenant) come from the brand's own data, so a typo in a target is refused
//! at save time with its line and column; reasons and segments are declared
//! in the configuration itself.

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::policy::Action;
use plateau_core::routing::{Routing, RoutingConfig, Schema};
use plateau_core::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{tenant_for, ApiJson};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// The names a tenant's expressions may refer to, from its directory and the
/// advisors' routing profiles, plus the reasons and segments `declared`.
pub async fn schema(
    store: &plateau_store::Store,
    tenant: &plateau_core::model::Tenant,
    declared: &Schema,
) -> Result<Schema, WebError> {
    let mut skills = std::collections::BTreeSet::new();
    for m in store.members(tenant.id).await? {
        if let Ok(p) = store.routing_profile(tenant.id, m.user.id).await {
            skills.extend(p.skills.into_keys());
        }
    }
    skills.extend(declared.skills.iter().cloned());
    Ok(Schema {
        skills: skills.into_iter().collect(),
        sites: store
            .sites(tenant.id)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        teams: store
            .teams(tenant.id)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        tenants: vec![tenant.slug.clone()],
        reasons: declared.reasons.clone(),
        segments: declared.segments.clone(),
    })
}

/// Compiles `config` against the tenant's names; every problem is reported.
pub async fn check(
    state: &AppState,
    tenant: &plateau_core::model::Tenant,
    config: &RoutingConfig,
) -> Result<Routing, WebError> {
    compile(&state.store, tenant, config).await
}

/// [`check`] without the web state: the router service compiles the stored
/// configuration exactly as it was checked when saved.
pub async fn compile(
    store: &plateau_store::Store,
    tenant: &plateau_core::model::Tenant,
    config: &RoutingConfig,
) -> Result<Routing, WebError> {
    let mut full = config.clone();
    full.schema = schema(store, tenant, &config.schema).await?;
    Ok(Routing::compile(&full)?)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutingOut {
    /// 0: nothing saved yet (this is the default configuration).
    pub version: i64,
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<Timestamp>,
    #[schema(value_type = Object)]
    pub config: RoutingConfig,
    /// Every name expressions may use now.
    #[schema(value_type = Object)]
    pub names: Schema,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/routing", tag = "routing", params(("tenant" = String, Path)), responses((status = 200, body = RoutingOut), (status = 403, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<RoutingOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    user.actor.require(t.id, Action::ViewInternalNotes)?;
    let stored = state.store.routing_config(t.id).await?;
    let names = schema(&state.store, &t, &stored.config.schema).await?;
    Ok(Json(RoutingOut {
        version: stored.version,
        updated_at: stored.updated_at,
        config: stored.config,
        names,
    }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingIn {
    /// The version this edit started from (0 for the first save); a newer one answers 409.
    pub expected_version: i64,
    #[schema(value_type = Object)]
    pub config: RoutingConfig,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Saved {
    pub version: i64,
}

/// Validates and saves; shared by the API and the editor page.
pub async fn save(
    state: &AppState,
    user: &CurrentUser,
    tenant: &plateau_core::model::Tenant,
    expected_version: i64,
    config: &RoutingConfig,
) -> Result<i64, WebError> {
    check(state, tenant, config).await?;
    Ok(state
        .store
        .set_routing_config(tenant.id, expected_version, config, Some(user.user.id))
        .await?)
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/routing", tag = "routing", params(("tenant" = String, Path)), request_body = RoutingIn, responses((status = 200, body = Saved), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<RoutingIn>,
) -> Result<Json<Saved>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let version = save(&state, &user, &t, body.expected_version, &body.config).await?;
    Ok(Json(Saved { version }))
}
