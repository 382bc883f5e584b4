//! The supervisor's live wallboard page: the board is one fragment, rendered
//! inside the page and again every two seconds for the page's script, so
//! there is one template for both and no client-side rendering.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use plateau_core::policy::Action;
use plateau_core::routing::Presence;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::wallboard::{wallboard_view, WallboardOut};
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::svg::ServiceLevelChart;
use crate::AppState;

pub struct QueueRow {
    pub name: String,
    /// Only today's outcomes name it: gone from the configuration.
    pub gone: bool,
    pub waiting: u32,
    /// Epoch milliseconds of the longest wait's start, for the ticking clock.
    pub since_ms: Option<i64>,
    pub longest: String,
    pub level: String,
    /// `met`, `missed` or `none` (nothing answered yet).
    pub status: &'static str,
    pub answered: u64,
    pub within: u64,
    pub abandoned: u64,
    pub short: u64,
    pub advisors: Vec<(&'static str, String, u32)>,
}

/// The refreshed part of the page.
pub struct Board {
    pub slug: String,
    pub configured: bool,
    pub has_snapshot: bool,
    pub stale: bool,
    pub snapshot_at: String,
    pub now_ms: i64,
    /// How the figures are read: threshold, target, short abandons, since when.
    pub rules: String,
    pub chart: String,
    pub rows: Vec<QueueRow>,
    pub advisors: Vec<(&'static str, String, u32)>,
    pub postponed: Vec<(String, i64, String)>,
}

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage {
    tr: Tr,
    layout: Layout,
    b: Board,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct BoardFragment {
    tr: Tr,
    b: Board,
}

/// Seconds as m:ss, or h:mm:ss from an hour (the script ticks the same format).
pub fn clock(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, x) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{x:02}")
    } else {
        format!("{m}:{x:02}")
    }
}

fn by_state(
    tr: &Tr,
    m: &std::collections::BTreeMap<Presence, u32>,
) -> Vec<(&'static str, String, u32)> {
    Presence::ALL
        .iter()
        .filter_map(|p| {
            let n = *m.get(p)?;
            (n > 0).then(|| (p.as_str(), tr.e("presence", p.as_str()), n))
        })
        .collect()
}

fn board(tr: &Tr, slug: &str, w: WallboardOut) -> Board {
    let rows: Vec<QueueRow> = w
        .queues
        .iter()
        .map(|q| QueueRow {
            name: q.queue.clone(),
            gone: !q.live,
            waiting: q.waiting,
            since_ms: q.oldest_since.map(|t| t.0 / 1000),
            longest: if q.waiting > 0 {
                clock(q.longest_wait_secs)
            } else {
                tr.t("empty.dash").to_string()
            },
            level: q
                .service_level_percent
                .map(|p| format!("{p:.0} %"))
                .unwrap_or_else(|| tr.t("empty.dash").to_string()),
            status: match q.meets_target {
                Some(true) => "met",
                Some(false) => "missed",
                None => "none",
            },
            answered: q.service_level.answered,
            within: q.service_level.answered_within,
            abandoned: q.service_level.abandoned,
            short: q.service_level.short_abandoned,
            advisors: by_state(tr, &q.advisors),
        })
        .collect();
    let chart = ServiceLevelChart {
        title: tr.t("wallboard.chart"),
        rows: w
            .queues
            .iter()
            .map(|q| {
                (
                    q.queue.clone(),
                    q.service_level_percent,
                    q.meets_target == Some(true),
                )
            })
            .collect(),
        target_percent: f64::from(w.target_percent),
        target_label: tr
            .t("wallboard.target_line")
            .replace("{n}", &w.target_percent.to_string()),
    }
    .render();
    Board {
        slug: slug.to_string(),
        configured: w.configured,
        has_snapshot: w.snapshot_at.is_some(),
        stale: w.stale,
        snapshot_at: w.snapshot_at.map(|t| tr.datetime(t)).unwrap_or_default(),
        now_ms: w.now.0 / 1000,
        rules: tr
            .t("wallboard.rules")
            .replace("{t}", &w.threshold_secs.to_string())
            .replace("{n}", &w.target_percent.to_string())
            .replace("{s}", &w.short_abandon_secs.to_string())
            .replace(
                "{day}",
                &format!("{} ({})", tr.datetime(w.day_start), w.time_zone),
            ),
        chart,
        advisors: by_state(tr, &w.advisors),
        postponed: w
            .postponed
            .into_iter()
            .map(|p| {
                let until = p.until.map(|t| tr.datetime(t)).unwrap_or_default();
                (p.name, p.count, until)
            })
            .collect(),
        rows,
    }
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewWallboard).await?;
    let tr = Tr::new(user.user.locale);
    let w = wallboard_view(&state, &tenant).await?;
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "wallboard",
        format!("{} — {}", tr.t("wallboard.title"), tenant.name),
        "",
    )
    .await?;
    let b = board(&tr, &tenant.slug, w);
    render(&WallboardPage { tr, layout, b })
}

/// The board alone, for the page's two-second refresh.
pub async fn fragment(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewWallboard).await?;
    let tr = Tr::new(user.user.locale);
    let w = wallboard_view(&state, &tenant).await?;
    let b = board(&tr, &tenant.slug, w);
    let html = BoardFragment { tr, b }
        .render()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn waits_read_as_a_clock() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(65), "1:05");
        assert_eq!(clock(3_601), "1:00:01");
        assert_eq!(clock(-3), "0:00");
    }
}
