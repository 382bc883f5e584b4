//! The supervisor board page: headline figures, backlog by team (with a
//! server-drawn chart) and by channel, and who is working on what.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use plateau_core::policy::Action;
use plateau_core::Timestamp;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::{board_view, BoardView};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::svg::StackedBars;
use crate::AppState;

pub struct AdvisorRow {
    pub name: String,
    pub role: String,
    pub team: String,
    pub active: i64,
    pub oldest: String,
    pub href: String,
    /// The routing-profile page, for those who may edit it.
    pub profile_href: Option<String>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    tr: Tr,
    layout: Layout,
    board: BoardView,
    chart: String,
    oldest_new: String,
    teams: Vec<(String, i64, i64, i64, i64)>,
    channels: Vec<(String, i64, i64, i64, i64)>,
    advisors: Vec<AdvisorRow>,
    presence: Vec<PresenceRow>,
    sites: Vec<SiteRow>,
}

pub struct SiteRow {
    pub name: String,
    pub open: bool,
    pub hours: String,
    /// When a closed site reopens, in its own local time.
    pub reopens: String,
}

/// A UTC instant on a site's wall clock.
fn local(t: Timestamp, time_zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_microsecond(t.0)
        .map(|ts| ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub struct PresenceRow {
    pub name: String,
    /// The state's code, for the coloured dot.
    pub state: &'static str,
    pub label: String,
    pub since: String,
    pub reason: String,
    pub postponed: i64,
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    let tr = Tr::new(user.user.locale);
    let board = board_view(&state, tenant.id).await?;
    let now = Timestamp::now();
    let team_label = |name: &str| {
        if name.is_empty() {
            tr.t("no_team").to_string()
        } else {
            name.to_string()
        }
    };
    let chart = StackedBars {
        title: tr.t("board.chart"),
        rows: board
            .by_team
            .iter()
            .map(|t| {
                (
                    team_label(&t.name),
                    vec![
                        (t.counts.new, "s-new"),
                        (t.counts.open, "s-open"),
                        (t.counts.pending, "s-pending"),
                    ],
                )
            })
            .collect(),
        legend: vec![
            (tr.e("status", "new"), "s-new"),
            (tr.e("status", "open"), "s-open"),
            (tr.e("status", "pending"), "s-pending"),
        ],
    }
    .render();
    let teams = board
        .by_team
        .iter()
        .map(|t| {
            (
                team_label(&t.name),
                t.counts.new,
                t.counts.open,
                t.counts.pending,
                t.counts.total(),
            )
        })
        .collect();
    let channels = board
        .by_channel
        .iter()
        .map(|c| {
            (
                tr.e("channel", c.channel.as_str()),
                c.counts.new,
                c.counts.open,
                c.counts.pending,
                c.counts.total(),
            )
        })
        .collect();
    let can_profile = user.actor.can(tenant.id, Action::AssignOthers);
    let advisors = board
        .advisors
        .iter()
        .map(|a| AdvisorRow {
            name: a.name.clone(),
            role: tr.e("role", a.role.as_str()),
            team: a.team.clone().unwrap_or_default(),
            active: a.active,
            oldest: a
                .oldest_update
                .map(|t| tr.ago(t, now))
                .unwrap_or_else(|| tr.t("empty.dash").to_string()),
            href: format!(
                "/t/{}/inbox?view=all&status=active&assignee={}",
                tenant.slug, a.user_id
            ),
            profile_href: can_profile.then(|| format!("/t/{}/advisors/{}", tenant.slug, a.user_id)),
        })
        .collect();
    // The centre's own business, like internal notes (see api::advisors).
    let presence = if user.actor.can(tenant.id, Action::ViewInternalNotes) {
        crate::api::advisors::team_presence(&state, tenant.id).await?
    } else {
        Vec::new()
    };
    let presence = presence
        .into_iter()
        .map(|p| PresenceRow {
            name: p.name,
            state: p.status.state.as_str(),
            label: tr.e("presence", p.status.state.as_str()),
            since: if p.status.since.0 > 0 {
                tr.ago(p.status.since, now)
            } else {
                tr.t("empty.dash").to_string()
            },
            reason: p.status.reason.unwrap_or_default(),
            postponed: p.postponed_breaks,
        })
        .collect();
    let sites = crate::api::availability::availability(&state, tenant.id, now)
        .await?
        .sites
        .into_iter()
        .map(|s| SiteRow {
            reopens: s
                .reopens_at
                .map(|t| format!("{} ({})", local(t, &s.time_zone), s.time_zone))
                .unwrap_or_default(),
            hours: if s.hours.is_empty() {
                tr.t("sites.always").to_string()
            } else {
                s.hours.replace('\n', " · ")
            },
            name: s.name,
            open: s.open_now,
        })
        .collect();
    let oldest_new = board
        .oldest_new
        .map(|t| tr.ago(t, now))
        .unwrap_or_else(|| tr.t("empty.dash").to_string());
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "board",
        format!("{} — {}", tr.t("board.title"), tenant.name),
        "board",
    )
    .await?;
    render(&BoardPage {
        tr,
        layout,
        board,
        chart,
        oldest_new,
        teams,
        channels,
        advisors,
        presence,
        sites,
    })
}
