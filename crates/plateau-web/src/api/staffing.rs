//! The supervisors' staffing view: for one day, the forecast contacts per channel, the
//! advisors required to meet each channel's target, and the advisors scheduled at each site,
//! per interval, following the sun across the sites' time zones. One view model serves the
//! API and the page; the mathematics lives in `plateau_wfm::plan`, this module only gathers
//! the data and moves between UTC and local clocks (IANA zones through `jiff`).
//!
//! Until shift schedules exist, "scheduled" means: every advisor rostered at a site (their
//! membership's site, or their team's) works while the site is open, 08:00–20:00 local time.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp as JTimestamp};
use plateau_core::error::Validator;
use plateau_core::model::{Channel, Role, Site, Tenant};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::volumes::HourlyArrivals;
use plateau_wfm::forecast::History;
use plateau_wfm::plan::{
    default_rules, fit_history, on_floor, plan_day, rostered_on_shift, DayInput, Fitted,
    OpeningHours, Rule,
};
use plateau_wfm::WfmError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{tenant_for, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

const DAY_S: i64 = 86_400;
const HOUR_S: i64 = 3_600;
/// Planning intervals the screen offers; each divides an hour, the history's resolution.
pub const INTERVALS_MIN: [u32; 3] = [15, 30, 60];
pub const DEFAULT_SHRINKAGE: f64 = 0.3;
pub const DEFAULT_WEEKS: u32 = 8;
const MAX_WEEKS: u32 = 52;
/// How far from today a plan may be asked for: a forecast a year out is a guess, and a year
/// back is already history.
const MAX_DAYS_AWAY: i64 = 366;
/// What "scheduled" means until the schedules issue lands; also shown on the screen.
pub const SCHEDULED_BASIS: &str = "rostered advisors per site (membership site, else team site) x opening hours 08:00-20:00 local, every day; no shift schedules yet";

/// Query of the staffing view. Every field is optional and read as text, so that a bad value
/// is reported with its field name rather than as an unreadable query.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct StaffingQuery {
    /// Day to plan, `YYYY-MM-DD`, in the demand time zone. Default: today there.
    pub date: Option<String>,
    /// Interval length in minutes: 15, 30 or 60 (default).
    pub interval_min: Option<String>,
    /// Shrinkage in [0, 0.95]: share of paid time off contacts (default 0.3).
    pub shrinkage: Option<String>,
    /// Weeks of history the forecast learns from, 1–52 (default 8).
    pub weeks: Option<String>,
    /// IANA time zone of the customers' clock (the forecast's seasonality). Default: the
    /// zone of the site with the most rostered advisors, else UTC.
    pub zone: Option<String>,
}

/// Validated query.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffingParams {
    pub date: Option<Date>,
    pub interval_min: u32,
    pub shrinkage: f64,
    pub weeks: u32,
    pub zone: Option<String>,
}

impl Default for StaffingParams {
    fn default() -> Self {
        StaffingParams {
            date: None,
            interval_min: 60,
            shrinkage: DEFAULT_SHRINKAGE,
            weeks: DEFAULT_WEEKS,
            zone: None,
        }
    }
}

/// A query value, unless absent or blank (an empty form field means "the default").
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl StaffingParams {
    /// Checks every field, reporting all bad ones at once.
    pub fn parse(q: &StaffingQuery) -> Result<StaffingParams, DomainError> {
        let mut v = Validator::new();
        let mut p = StaffingParams::default();
        if let Some(s) = given(&q.date) {
            match s.parse::<Date>() {
                Ok(d) if s.len() == 10 => p.date = Some(d),
                _ => v.push("date", "must be a calendar date written YYYY-MM-DD"),
            }
        }
        if let Some(s) = given(&q.interval_min) {
            match s.parse::<u32>() {
                Ok(m) if INTERVALS_MIN.contains(&m) => p.interval_min = m,
                _ => v.push("interval_min", "must be 15, 30 or 60"),
            }
        }
        if let Some(s) = given(&q.shrinkage) {
            match s.parse::<f64>() {
                Ok(x) if (0.0..=0.95).contains(&x) => p.shrinkage = x,
                _ => v.push("shrinkage", "must be a number between 0 and 0.95"),
            }
        }
        if let Some(s) = given(&q.weeks) {
            match s.parse::<u32>() {
                Ok(w) if (1..=MAX_WEEKS).contains(&w) => p.weeks = w,
                _ => v.push(
                    "weeks",
                    format!("must be a whole number from 1 to {MAX_WEEKS}"),
                ),
            }
        }
        if let Some(s) = given(&q.zone) {
            match TimeZone::get(s) {
                Ok(_) => p.zone = Some(s.to_string()),
                Err(_) => v.push("zone", "must be an IANA time zone such as Europe/Paris"),
            }
        }
        v.finish()?;
        Ok(p)
    }
}

/// Whether a forecast could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastStatus {
    /// Forecast from history.
    Ok,
    /// No conversation in the history window.
    NoHistory,
    /// Some history, but fewer than 7 full days (or a weekday never seen).
    InsufficientHistory,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistorySummary {
    /// Start of the history window (UTC, RFC 3339).
    pub from: String,
    /// End of the history window, excluded: the start of the planned day, or today's start
    /// when planning ahead.
    pub to: String,
    /// Conversations created in the window.
    pub contacts: i64,
}

/// Forecast accuracy on the last week of history held out, in percent.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct AccuracyOut {
    /// Interval MAPE over intervals with contacts.
    pub mape: f64,
    /// MAPE of daily totals.
    pub daily_mape: f64,
    /// Σ|error| / Σ actual.
    pub wape: f64,
}

/// How one channel is forecast and staffed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelPlan {
    pub channel: Channel,
    /// `erlang_c`, `erlang_a` or `workload` (deferrable work).
    pub model: String,
    /// Share of contacts to answer within `answer_s`.
    pub target: f64,
    pub answer_s: f64,
    pub aht_s: f64,
    /// Contacts one advisor handles at once.
    pub concurrency: f64,
    /// `linear` or `none`, when a forecast was fitted.
    pub trend: Option<String>,
    /// Accuracy of this channel's forecast on the held-out week.
    pub mape: Option<f64>,
    /// Forecast contacts over the planned day.
    pub contacts: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SitePlan {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    /// Advisors rostered at the site.
    pub advisors: u64,
    /// Local opening time, `HH:MM`.
    pub opens: String,
    /// Local closing time, `HH:MM`.
    pub closes: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelInterval {
    pub channel: Channel,
    /// Forecast contacts arriving in the interval.
    pub contacts: f64,
    /// Advisors this channel needs: whole advisors for live channels, FTE for deferrable.
    pub advisors: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteInterval {
    pub site_id: Uuid,
    /// Local time at the site when the interval starts, `HH:MM`.
    pub local_time: String,
    pub open: bool,
    /// Advisors scheduled at the site.
    pub scheduled: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntervalPlan {
    /// Interval start, UTC (RFC 3339).
    pub start: String,
    /// Interval end, UTC.
    pub end: String,
    /// Local time in the demand zone, `HH:MM`.
    pub local_time: String,
    pub channels: Vec<ChannelInterval>,
    /// Forecast contacts, all channels.
    pub contacts: f64,
    /// Advisors needed on contacts.
    pub required: u64,
    /// Advisors to schedule once shrinkage is applied: ceil(required / (1 − shrinkage)).
    pub to_schedule: u64,
    pub sites: Vec<SiteInterval>,
    /// Advisors scheduled, all sites.
    pub scheduled: u64,
    /// Scheduled advisors expected on contacts: floor(scheduled × (1 − shrinkage)).
    pub on_floor: u64,
    /// scheduled − to_schedule; negative is a shortfall.
    pub gap: i64,
    pub shortfall: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffingView {
    /// Planned day, `YYYY-MM-DD`, in `zone`.
    pub date: String,
    /// The demand time zone: the customers' clock the forecast follows.
    pub zone: String,
    pub interval_min: u32,
    pub shrinkage: f64,
    pub weeks: u32,
    pub status: ForecastStatus,
    pub history: HistorySummary,
    /// Accuracy of the all-channel forecast on the last week held out, when the history
    /// has at least three weeks.
    pub accuracy: Option<AccuracyOut>,
    /// What "scheduled" means until shift schedules exist.
    pub scheduled_basis: String,
    pub channels: Vec<ChannelPlan>,
    pub sites: Vec<SitePlan>,
    /// Advisors with no site (directly or through their team): not counted as scheduled.
    pub unsited_advisors: u64,
    pub intervals: Vec<IntervalPlan>,
    /// Intervals where scheduled advisors fall short of the need.
    pub shortfall_intervals: u64,
    /// Problems with the data worth telling a supervisor (a site's unknown time zone, ...).
    pub warnings: Vec<String>,
}

fn wfm(e: WfmError) -> WebError {
    match e {
        WfmError::InvalidInput {
            field, expected, ..
        } => WebError::Domain(DomainError::field(field, expected)),
        WfmError::Unreachable { field, reason } | WfmError::Inconsistent { field, reason } => {
            WebError::Domain(DomainError::field(field, reason))
        }
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> WebError {
    WebError::Internal(anyhow::anyhow!("staffing: {what}: {e}"))
}

/// UTC seconds of local midnight starting `date` in `tz` (the first instant of the day,
/// even when a DST change skips midnight).
fn day_start(date: Date, tz: &TimeZone) -> Result<i64, WebError> {
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| internal("day start", e))
}

fn offset_s(tz: &TimeZone, utc_s: i64) -> i64 {
    JTimestamp::from_second(utc_s)
        .map(|t| i64::from(tz.to_offset(t).seconds()))
        .unwrap_or(0)
}

/// Local wall-clock seconds for a UTC instant: what the forecast's seasonality keys on.
fn local_s(tz: &TimeZone, utc_s: i64) -> i64 {
    utc_s + offset_s(tz, utc_s)
}

fn hhmm(minute_of_day: i64) -> String {
    let m = minute_of_day.rem_euclid(1440);
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn rfc3339(utc_s: i64) -> String {
    JTimestamp::from_second(utc_s)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Hourly UTC counts → a dense hourly series on the demand zone's clock. Every hour of the
/// window is present (zero when quiet) so that full days are recognised; the two UTC hours
/// that share a local hour when clocks go back are added together.
fn local_history(
    rows: &[HourlyArrivals],
    channel: Option<Channel>,
    tz: &TimeZone,
    from_s: i64,
    to_s: i64,
) -> History {
    let floor_hour = |s: i64| s - s.rem_euclid(HOUR_S);
    let mut series: BTreeMap<i64, f64> = BTreeMap::new();
    let mut h = floor_hour(from_s);
    while h < to_s {
        series.entry(floor_hour(local_s(tz, h))).or_insert(0.0);
        h += HOUR_S;
    }
    for r in rows
        .iter()
        .filter(|r| channel.is_none_or(|c| r.channel == c))
    {
        let utc = r.hour * HOUR_S;
        *series.entry(floor_hour(local_s(tz, utc))).or_insert(0.0) += r.count as f64;
    }
    History {
        interval_s: HOUR_S as u32,
        points: series.into_iter().collect(),
    }
}

/// Everything the plan is computed from, loaded from the store.
pub struct StaffingInputs {
    pub sites: Vec<Site>,
    /// Rostered advisors per site id.
    pub rostered: BTreeMap<Uuid, u64>,
    pub unsited: u64,
    pub arrivals: Vec<HourlyArrivals>,
}

/// Loads the data and computes the view for `tenant`.
pub async fn staffing_view(
    state: &AppState,
    tenant: &Tenant,
    params: &StaffingParams,
) -> Result<StaffingView, WebError> {
    let sites = state.store.sites(tenant.id).await?;
    let teams = state.store.teams(tenant.id).await?;
    let members = state.store.members(tenant.id).await?;
    let mut rostered: BTreeMap<Uuid, u64> = BTreeMap::new();
    let mut unsited = 0;
    for m in members
        .iter()
        .filter(|m| m.role == Role::Advisor && !m.user.disabled)
    {
        let site = m.site_id.or_else(|| {
            m.team_id
                .and_then(|t| teams.iter().find(|x| x.id == t))
                .and_then(|t| t.site_id)
        });
        match site {
            Some(s) => *rostered.entry(s).or_default() += 1,
            None => unsited += 1,
        }
    }
    let frame = Frame::new(&sites, &rostered, params, JTimestamp::now().as_second())?;
    let arrivals = state
        .store
        .hourly_arrivals(
            tenant.id,
            Timestamp(frame.history_from * 1_000_000),
            Timestamp(frame.history_to * 1_000_000),
        )
        .await?;
    build_view(
        &frame,
        &StaffingInputs {
            sites,
            rostered,
            unsited,
            arrivals,
        },
        params,
    )
}

/// The planned day's clock: demand zone, day bounds and history window, in UTC seconds.
pub struct Frame {
    pub zone_name: String,
    pub zone: TimeZone,
    pub date: Date,
    pub day_from: i64,
    pub day_to: i64,
    pub history_from: i64,
    pub history_to: i64,
}

impl Frame {
    pub fn new(
        sites: &[Site],
        rostered: &BTreeMap<Uuid, u64>,
        params: &StaffingParams,
        now_s: i64,
    ) -> Result<Frame, WebError> {
        // The customers' clock: asked for, else the biggest site's (most brands serve one
        // home market from it), else UTC.
        let zone_name = params.zone.clone().unwrap_or_else(|| {
            sites
                .iter()
                .filter(|s| TimeZone::get(&s.time_zone).is_ok())
                .max_by_key(|s| {
                    (
                        rostered.get(&s.id).copied().unwrap_or(0),
                        std::cmp::Reverse(s.name.clone()),
                    )
                })
                .map(|s| s.time_zone.clone())
                .unwrap_or_else(|| "UTC".to_string())
        });
        let zone = TimeZone::get(&zone_name).map_err(|_| {
            DomainError::field("zone", "must be an IANA time zone such as Europe/Paris")
        })?;
        let now = JTimestamp::from_second(now_s).map_err(|e| internal("now", e))?;
        let today = now.to_zoned(zone.clone()).date();
        let date = params.date.unwrap_or(today);
        let away = (date - today).get_days();
        if i64::from(away).abs() > MAX_DAYS_AWAY {
            return Err(DomainError::field(
                "date",
                format!("must be within {MAX_DAYS_AWAY} days of today"),
            )
            .into());
        }
        let next = date.tomorrow().map_err(|e| internal("date", e))?;
        let day_from = day_start(date, &zone)?;
        let day_to = day_start(next, &zone)?;
        // The forecast never looks at the planned day itself, nor at days not over yet.
        let history_end_date = date.min(today);
        let history_start_date = history_end_date
            .checked_sub(Span::new().days(i64::from(params.weeks) * 7))
            .map_err(|e| internal("history start", e))?;
        Ok(Frame {
            zone_name,
            date,
            day_from,
            day_to,
            history_from: day_start(history_start_date, &zone)?,
            history_to: day_start(history_end_date, &zone)?,
            zone,
        })
    }
}

/// Computes the view from loaded data; no I/O.
pub fn build_view(
    frame: &Frame,
    inputs: &StaffingInputs,
    params: &StaffingParams,
) -> Result<StaffingView, WebError> {
    let iv = i64::from(params.interval_min) * 60;
    let lead_in = (DAY_S / iv) as usize;
    let planned = ((frame.day_to - frame.day_from) + iv - 1) / iv;
    let span_from = frame.day_from - DAY_S;
    let starts: Vec<i64> = (0..lead_in as i64 + planned)
        .map(|k| span_from + k * iv)
        .collect();
    let mut warnings = Vec::new();

    // Sites, each on its own clock.
    let hours = OpeningHours::DEFAULT;
    let site_zones: Vec<TimeZone> = inputs
        .sites
        .iter()
        .map(|s| {
            TimeZone::get(&s.time_zone).unwrap_or_else(|_| {
                warnings.push(format!(
                    "site {}: unknown time zone {:?}, read as UTC",
                    s.name, s.time_zone
                ));
                TimeZone::UTC
            })
        })
        .collect();
    let rostered = |s: &Site| inputs.rostered.get(&s.id).copied().unwrap_or(0);
    // scheduled[k][site] for every interval of the span (lead-in included: deferred work
    // waits for someone to be on shift).
    let scheduled: Vec<Vec<u64>> = starts
        .iter()
        .map(|&u| {
            inputs
                .sites
                .iter()
                .zip(&site_zones)
                .map(|(s, tz)| {
                    let mid = local_s(tz, u + iv / 2).rem_euclid(DAY_S) / 60;
                    rostered_on_shift(rostered(s), hours, mid as u32)
                })
                .collect()
        })
        .collect();
    let anyone = inputs.rostered.values().any(|&n| n > 0);
    // With nobody rostered anywhere, plan as if the floor never closed: the need is then
    // the demand itself rather than a backlog nobody will ever work.
    let open: Vec<bool> = scheduled
        .iter()
        .map(|row| !anyone || row.iter().sum::<u64>() > 0)
        .collect();

    // Forecast.
    let contacts: i64 = inputs.arrivals.iter().map(|r| r.count).sum();
    let tz = &frame.zone;
    let total_fit = if contacts > 0 {
        fit_history(&local_history(
            &inputs.arrivals,
            None,
            tz,
            frame.history_from,
            frame.history_to,
        ))
        .map_err(wfm)?
    } else {
        None
    };
    let status = match (&total_fit, contacts) {
        (_, 0) => ForecastStatus::NoHistory,
        (None, _) => ForecastStatus::InsufficientHistory,
        (Some(_), _) => ForecastStatus::Ok,
    };
    let rules = default_rules();
    let mut fits: Vec<Option<Fitted>> = Vec::with_capacity(rules.len());
    let mut channels: Vec<Channel> = Vec::with_capacity(rules.len());
    for rule in &rules {
        let ch: Channel = rule
            .channel
            .parse()
            .map_err(|e| internal("channel rule", e))?;
        channels.push(ch);
        let has_any = inputs.arrivals.iter().any(|r| r.channel == ch);
        fits.push(if status == ForecastStatus::Ok && has_any {
            fit_history(&local_history(
                &inputs.arrivals,
                Some(ch),
                tz,
                frame.history_from,
                frame.history_to,
            ))
            .map_err(wfm)?
        } else {
            None
        });
    }
    let share = iv as f64 / HOUR_S as f64;
    let volumes: Vec<Vec<f64>> = fits
        .iter()
        .map(|fit| {
            starts
                .iter()
                .map(|&u| match fit {
                    Some(f) => {
                        let local = local_s(tz, u);
                        f.model.at(local - local.rem_euclid(HOUR_S)) * share
                    }
                    None => 0.0,
                })
                .collect()
        })
        .collect();

    // Need.
    let needs = plan_day(
        &rules,
        &DayInput {
            interval_s: iv as f64,
            lead_in,
            volumes: &volumes,
            open: &open,
            shrinkage: params.shrinkage,
        },
    )
    .map_err(wfm)?;

    let mut intervals = Vec::with_capacity(needs.len());
    for (i, need) in needs.iter().enumerate() {
        let k = lead_in + i;
        let u = starts[k];
        let per_site = &scheduled[k];
        let sched: u64 = per_site.iter().sum();
        let gap = sched as i64 - need.to_schedule as i64;
        intervals.push(IntervalPlan {
            start: rfc3339(u),
            end: rfc3339(u + iv),
            local_time: hhmm(local_s(tz, u).rem_euclid(DAY_S) / 60),
            channels: channels
                .iter()
                .enumerate()
                .map(|(c, ch)| ChannelInterval {
                    channel: *ch,
                    contacts: volumes[c][k],
                    advisors: need.by_channel[c],
                })
                .collect(),
            contacts: volumes.iter().map(|v| v[k]).sum(),
            required: need.required,
            to_schedule: need.to_schedule,
            sites: inputs
                .sites
                .iter()
                .zip(&site_zones)
                .zip(per_site)
                .map(|((s, stz), &n)| SiteInterval {
                    site_id: s.id,
                    local_time: hhmm(local_s(stz, u).rem_euclid(DAY_S) / 60),
                    open: hours.is_open((local_s(stz, u + iv / 2).rem_euclid(DAY_S) / 60) as u32),
                    scheduled: n,
                })
                .collect(),
            scheduled: sched,
            on_floor: on_floor(sched, params.shrinkage).map_err(wfm)?,
            gap,
            shortfall: gap < 0,
        });
    }

    let channel_plans = rules
        .iter()
        .zip(&channels)
        .zip(&fits)
        .enumerate()
        .map(|(c, ((rule, ch), fit))| {
            let (model, target, answer_s, aht_s, concurrency) = match rule.rule {
                Rule::Live {
                    target,
                    aht_s,
                    patience_s,
                    concurrency,
                } => (
                    if patience_s.is_some() {
                        "erlang_a"
                    } else {
                        "erlang_c"
                    },
                    target.service_level,
                    target.answer_s,
                    aht_s,
                    f64::from(concurrency),
                ),
                Rule::Deferred {
                    target,
                    aht_s,
                    concurrency,
                    ..
                } => (
                    "workload",
                    target.fraction,
                    target.within_s,
                    aht_s,
                    concurrency,
                ),
            };
            ChannelPlan {
                channel: *ch,
                model: model.into(),
                target,
                answer_s,
                aht_s,
                concurrency,
                trend: fit.as_ref().map(|f| {
                    match f.trend {
                        plateau_wfm::forecast::Trend::Linear => "linear",
                        plateau_wfm::forecast::Trend::None => "none",
                    }
                    .to_string()
                }),
                mape: fit.as_ref().and_then(|f| f.accuracy).map(|a| a.mape),
                contacts: volumes[c][lead_in..].iter().sum(),
            }
        })
        .collect();

    Ok(StaffingView {
        date: frame.date.to_string(),
        zone: frame.zone_name.clone(),
        interval_min: params.interval_min,
        shrinkage: params.shrinkage,
        weeks: params.weeks,
        status,
        history: HistorySummary {
            from: rfc3339(frame.history_from),
            to: rfc3339(frame.history_to),
            contacts,
        },
        accuracy: total_fit.and_then(|f| f.accuracy).map(|a| AccuracyOut {
            mape: a.mape,
            daily_mape: a.daily_mape,
            wape: a.wape,
        }),
        scheduled_basis: SCHEDULED_BASIS.into(),
        channels: channel_plans,
        sites: inputs
            .sites
            .iter()
            .map(|s| SitePlan {
                id: s.id,
                name: s.name.clone(),
                time_zone: s.time_zone.clone(),
                advisors: rostered(s),
                opens: hhmm(i64::from(hours.opens_min)),
                closes: hhmm(i64::from(hours.closes_min)),
            })
            .collect(),
        unsited_advisors: inputs.unsited,
        shortfall_intervals: intervals.iter().filter(|i| i.shortfall).count() as u64,
        intervals,
        warnings,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/staffing",
    tag = "staffing",
    params(("tenant" = String, Path), StaffingQuery),
    responses(
        (status = 200, body = StaffingView, description = "Forecast, required and scheduled advisors per interval and site for one day"),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "A query field is invalid; `errors` names it"),
    )
)]
pub async fn staffing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<StaffingQuery>,
) -> Result<Json<StaffingView>, WebError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    let params = StaffingParams::parse(&q)?;
    Ok(Json(staffing_view(&state, &tenant, &params).await?))
}
