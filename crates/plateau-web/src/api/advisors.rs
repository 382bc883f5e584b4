//! Advisors over JSON: my presence (declare it, push back my break), routing
//! profiles (skills, languages, tier, capacity per channel) and,
//! for supervisors, every member of a brand with their state, reason, since
//! when, and how many breaks they pushed back today.

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::policy::Action;
use plateau_core::presence::PresenceStatus;
use plateau_core::routing::{Presence, RoutingProfile};
use plateau_core::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{tenant_for, ApiJson};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceIn {
    /// available, break, training or offline (busy and wrap-up follow from work).
    pub state: String,
    /// Why, in a few words ("Déjeuner", "Formation fibre").
    pub reason: Option<String>,
}

fn parse_state(raw: &str) -> Result<Presence, WebError> {
    raw.parse()
        .map_err(|m: String| plateau_core::DomainError::field("state", m).into())
}

#[utoipa::path(get, path = "/api/v1/me/presence", tag = "presence", responses((status = 200, body = PresenceStatus)))]
pub async fn mine(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<PresenceStatus>, WebError> {
    Ok(Json(state.store.presence(user.user.id).await?))
}

#[utoipa::path(put, path = "/api/v1/me/presence", tag = "presence", request_body = PresenceIn, responses((status = 200, body = PresenceStatus), (status = 422, body = crate::error::Problem)))]
pub async fn declare(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PresenceIn>,
) -> Result<Json<PresenceStatus>, WebError> {
    let p = parse_state(&body.state)?;
    Ok(Json(
        state
            .store
            .set_presence(user.user.id, p, body.reason.as_deref(), Some(user.user.id))
            .await?,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostponeIn {
    /// 5 to 60.
    pub minutes: i64,
}

#[utoipa::path(post, path = "/api/v1/me/presence/postpone-break", tag = "presence", request_body = PostponeIn, responses((status = 200, body = PresenceStatus), (status = 422, body = crate::error::Problem)))]
pub async fn postpone_break(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PostponeIn>,
) -> Result<Json<PresenceStatus>, WebError> {
    Ok(Json(
        state
            .store
            .postpone_break(user.user.id, body.minutes)
            .await?,
    ))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPresenceOut {
    pub user_id: uuid::Uuid,
    pub name: String,
    pub status: PresenceStatus,
    /// Breaks pushed back in the last 24 hours.
    pub postponed_breaks: i64,
}

/// A brand's members and their presence, names resolved; shared with the board.
pub async fn team_presence(
    state: &AppState,
    tenant_id: uuid::Uuid,
) -> Result<Vec<MemberPresenceOut>, WebError> {
    let since = Timestamp(Timestamp::now().0 - 86_400 * 1_000_000);
    let members = state.store.members(tenant_id).await?;
    let mut out: Vec<MemberPresenceOut> = state
        .store
        .tenant_presence(tenant_id, since)
        .await?
        .into_iter()
        .filter_map(|p| {
            let m = members.iter().find(|m| m.user.id == p.status.user_id)?;
            (m.role != plateau_core::model::Role::ClientViewer).then(|| MemberPresenceOut {
                user_id: m.user.id,
                name: m.user.display_name.clone(),
                status: p.status,
                postponed_breaks: p.postponed_breaks,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/presence", tag = "presence", params(("tenant" = String, Path)), responses((status = 200, body = Vec<MemberPresenceOut>), (status = 403, body = crate::error::Problem)))]
pub async fn tenant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<MemberPresenceOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    // Who is on a break and why is the centre's own business, like internal
    // notes: the brand's read-only account sees the board but not this.
    user.actor.require(t.id, Action::ViewInternalNotes)?;
    Ok(Json(team_presence(&state, t.id).await?))
}

/// Reading a profile: the advisor themselves, or whoever supervises the brand.
async fn profile_target(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    user_id: &str,
    write: bool,
) -> Result<(uuid::Uuid, uuid::Uuid), WebError> {
    let t = tenant_for(state, user, slug, Action::ViewConversations).await?;
    let uid = super::parse_id(user_id, "member")?;
    // Skills and capacities are set by those who may assign others' work
    // (supervisors, tenant admins); an advisor may read their own.
    if write || uid != user.user.id {
        user.actor.require(t.id, Action::AssignOthers)?;
    }
    Ok((t.id, uid))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/members/{user}/routing-profile", tag = "presence", params(("tenant" = String, Path), ("user" = String, Path)), responses((status = 200, body = RoutingProfile), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, user_id)): Path<(String, String)>,
) -> Result<Json<RoutingProfile>, WebError> {
    let (t, uid) = profile_target(&state, &user, &slug, &user_id, false).await?;
    Ok(Json(state.store.routing_profile(t, uid).await?))
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/members/{user}/routing-profile", tag = "presence", params(("tenant" = String, Path), ("user" = String, Path)), request_body = RoutingProfile, responses((status = 200, body = RoutingProfile), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoutingProfile>,
) -> Result<Json<RoutingProfile>, WebError> {
    let (t, uid) = profile_target(&state, &user, &slug, &user_id, true).await?;
    Ok(Json(
        state
            .store
            .set_routing_profile(t, uid, &body, Some(user.user.id))
            .await?,
    ))
}
