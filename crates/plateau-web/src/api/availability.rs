//! Sites' opening hours and whether the brand is open now: edited by tenant
//! admins, shown on the board, and published without login so a chat widget
//! or a voice menu can tell a customer when the brand reopens and point them
//! to the help centre meanwhile (follow-the-sun: the brand is open while any
//! of its sites is).

use axum::extract::{Path, State};
use axum::Json;
use jiff::tz::TimeZone;
use plateau_core::policy::Action;
use plateau_core::sla::{opening_hours, BusinessTime, Calendar, UtcOffsets};
use plateau_core::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// Offsets are resolved this far ahead: a reopening is looked for within it.
const HORIZON_DAYS: i64 = 14;

/// The UTC offsets of `tz` from `now` to the horizon, for the core calendar.
pub fn offsets(tz: &TimeZone, now: Timestamp) -> UtcOffsets {
    let Ok(start) = jiff::Timestamp::from_microsecond(now.0) else {
        return UtcOffsets::fixed(0);
    };
    let end = now.0 + HORIZON_DAYS * 86_400 * 1_000_000;
    let initial = tz.to_offset(start).seconds();
    let transitions = tz
        .following(start)
        .take_while(|t| t.timestamp().as_microsecond() <= end)
        .map(|t| {
            (
                Timestamp(t.timestamp().as_microsecond()),
                t.offset().seconds(),
            )
        })
        .collect();
    UtcOffsets::new(initial, transitions).unwrap_or_else(|_| UtcOffsets::fixed(initial))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteStatus {
    pub site_id: Uuid,
    pub name: String,
    pub time_zone: String,
    /// The hours as written; empty when the site is open around the clock.
    pub hours: String,
    pub holidays: String,
    pub open_now: bool,
    /// When it next opens, if closed now (within two weeks).
    #[schema(value_type = Option<String>)]
    pub reopens_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    /// Open while any site is.
    pub open_now: bool,
    #[schema(value_type = Option<String>)]
    pub reopens_at: Option<Timestamp>,
    pub sites: Vec<SiteStatus>,
}

/// Whether each site of a tenant is open at `now`, and when the closed ones reopen.
pub async fn availability(
    state: &AppState,
    tenant_id: Uuid,
    now: Timestamp,
) -> Result<Availability, WebError> {
    let sites = state.store.sites(tenant_id).await?;
    let hours = state.store.site_hours(tenant_id).await?;
    let mut out = Vec::with_capacity(sites.len());
    for s in sites {
        let h = hours.iter().find(|h| h.site_id == s.id);
        let calendar = match h {
            Some(h) => opening_hours::parse(&h.hours, &h.holidays).map_err(|e| {
                WebError::Internal(anyhow::anyhow!(
                    "stored hours of site {} no longer parse: {e:?}",
                    s.id
                ))
            })?,
            None => Calendar::always_open(),
        };
        let tz = TimeZone::get(&s.time_zone).unwrap_or(TimeZone::UTC);
        let bt = BusinessTime::new(calendar, offsets(&tz, now));
        let open_now = bt.is_open(now);
        out.push(SiteStatus {
            site_id: s.id,
            name: s.name,
            time_zone: s.time_zone,
            hours: h.map(|h| h.hours.clone()).unwrap_or_default(),
            holidays: h.map(|h| h.holidays.clone()).unwrap_or_default(),
            open_now,
            reopens_at: if open_now { None } else { bt.next_open(now) },
        })
    }
    // A brand without sites has nobody to answer; treat it as open so that
    // nothing claims a closure nobody configured.
    let open_now = out.is_empty() || out.iter().any(|s| s.open_now);
    let reopens_at = if open_now {
        None
    } else {
        out.iter().filter_map(|s| s.reopens_at).min()
    };
    Ok(Availability {
        open_now,
        reopens_at,
        sites: out,
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/availability", tag = "sites", params(("tenant" = String, Path)), responses((status = 200, body = Availability)))]
pub async fn tenant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Availability>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    Ok(Json(availability(&state, t.id, Timestamp::now()).await?))
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursIn {
    /// One rule per line: `mon-fri 08:00-20:00`, `sam 09:00-12:00, 14:00-18:00`,
    /// `sun 22:00-06:00` (past midnight). Empty: open around the clock.
    pub hours: String,
    /// One ISO date per line, optionally followed by a label: `2026-12-25 Noël`.
    #[serde(default)]
    pub holidays: String,
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/sites/{id}/hours", tag = "sites", params(("tenant" = String, Path), ("id" = String, Path)), request_body = HoursIn, responses((status = 200, body = HoursIn), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_hours(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<HoursIn>,
) -> Result<Json<HoursIn>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let site = parse_id(&id, "site")?;
    let saved = state
        .store
        .set_site_hours(t.id, site, &body.hours, &body.holidays, Some(user.user.id))
        .await?;
    Ok(Json(match saved {
        Some(h) => HoursIn {
            hours: h.hours,
            holidays: h.holidays,
        },
        None => HoursIn {
            hours: String::new(),
            holidays: String::new(),
        },
    }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAvailability {
    pub open_now: bool,
    #[schema(value_type = Option<String>)]
    pub reopens_at: Option<Timestamp>,
    /// Where to send a customer while the brand is closed.
    pub help_centre: String,
    pub faq: String,
}

#[utoipa::path(get, path = "/api/v1/public/{tenant}/availability", tag = "public", params(("tenant" = String, Path)), responses((status = 200, body = PublicAvailability), (status = 404, body = crate::error::Problem)))]
pub async fn public(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<PublicAvailability>, WebError> {
    let t = super::tenant_by_slug(&state, &slug).await?;
    let a = availability(&state, t.id, Timestamp::now()).await?;
    Ok(Json(PublicAvailability {
        open_now: a.open_now,
        reopens_at: a.reopens_at,
        help_centre: format!("/help/{}", t.slug),
        faq: format!("/api/v1/public/{}/faq", t.slug),
    }))
}
