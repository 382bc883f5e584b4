//! The supervisor's live wallboard: per queue, contacts waiting, the longest
//! wait, today's service level against its target, and advisors by state.
//! Read from what the tenant's router publishes in the database, so any
//! server process answers, and from the outcomes kept since local midnight.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::model::Tenant;
use plateau_core::policy::Action;
use plateau_core::routing::wallboard::{local_day_start, Rules};
use plateau_core::routing::{Presence, QueueBoard, Wallboard};
use plateau_core::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tenant_for;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// A snapshot older than this means no router is publishing for the tenant
/// (the router writes one at least every two seconds).
const STALE_AFTER_MICROS: i64 = 10_000_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostponedOut {
    pub user_id: Uuid,
    pub name: String,
    /// Breaks pushed back today.
    pub count: i64,
    /// The pushed-back break is due then (absent once taken).
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WallboardOut {
    /// False until the brand saves a routing configuration: nothing is routed.
    pub configured: bool,
    /// The zone "today" is counted in: the brand's first site's, else UTC.
    pub time_zone: String,
    #[schema(value_type = String)]
    pub day_start: Timestamp,
    #[schema(value_type = String)]
    pub now: Timestamp,
    /// When the router last published its live state (absent: never).
    #[schema(value_type = Option<String>)]
    pub snapshot_at: Option<Timestamp>,
    /// The live figures are old: no server is routing this brand right now.
    pub stale: bool,
    pub threshold_secs: i64,
    pub short_abandon_secs: i64,
    pub target_percent: u8,
    /// In the configuration's order, then queues only today's outcomes name.
    #[schema(value_type = Vec<Object>)]
    pub queues: Vec<QueueBoard>,
    /// Every advisor of the brand once, by state.
    #[schema(value_type = Object)]
    pub advisors: BTreeMap<Presence, u32>,
    /// Who pushed a break back today, most first.
    pub postponed: Vec<PostponedOut>,
}

/// The wallboard's figures; shared by the API and the page.
pub async fn wallboard_view(state: &AppState, tenant: &Tenant) -> Result<WallboardOut, WebError> {
    let now = Timestamp::now();
    let stored = state.store.routing_config(tenant.id).await?;
    let time_zone = state
        .store
        .sites(tenant.id)
        .await?
        .into_iter()
        .next()
        .map(|s| s.time_zone)
        .unwrap_or_else(|| "UTC".into());
    let tz = jiff::tz::TimeZone::get(&time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    // Offsets from two days back, so the one in force at midnight is known.
    let offsets = super::availability::offsets(&tz, Timestamp(now.0 - 2 * 86_400 * 1_000_000));
    let day_start = local_day_start(now, &offsets);
    let snapshot = state.store.routing_snapshot(tenant.id).await?;
    let counts = state
        .store
        .routing_outcome_counts(tenant.id, day_start)
        .await?;
    let c = &stored.config;
    let rules = Rules {
        threshold_secs: c.service_level_threshold_secs,
        short_abandon_secs: c.short_abandon_secs,
        target_percent: c.service_level_target_percent,
    };
    let board = Wallboard::build(
        snapshot.as_ref().map(|s| &s.0),
        &counts,
        rules,
        day_start,
        now,
    );
    let snapshot_at = snapshot.map(|s| s.1);
    let members = state.store.members(tenant.id).await?;
    let mut postponed: Vec<PostponedOut> = state
        .store
        .tenant_presence(tenant.id, day_start)
        .await?
        .into_iter()
        .filter(|p| p.postponed_breaks > 0)
        .filter_map(|p| {
            let m = members.iter().find(|m| m.user.id == p.status.user_id)?;
            Some(PostponedOut {
                user_id: m.user.id,
                name: m.user.display_name.clone(),
                count: p.postponed_breaks,
                until: p.status.break_postponed_until.filter(|t| *t > now),
            })
        })
        .collect();
    postponed.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(WallboardOut {
        configured: stored.version > 0,
        time_zone,
        day_start,
        now,
        stale: snapshot_at.is_none_or(|at| now.0 - at.0 > STALE_AFTER_MICROS),
        snapshot_at,
        threshold_secs: rules.threshold_secs,
        short_abandon_secs: rules.short_abandon_secs,
        target_percent: rules.target_percent,
        queues: board.queues,
        advisors: board.advisors,
        postponed,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/wallboard", tag = "routing", params(("tenant" = String, Path)), responses((status = 200, body = WallboardOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<WallboardOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewWallboard).await?;
    Ok(Json(wallboard_view(&state, &t).await?))
}
