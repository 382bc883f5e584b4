//! The supervisors' staffing page: a day's forecast, advisors needed and advisors scheduled
//! per interval and site, as a server-drawn chart and an accessible table. The figures come
//! from `api::staffing`; this module only words and lays them out.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use plateau_core::policy::Action;
use plateau_core::DomainError;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::staffing::{
    staffing_view, ForecastStatus, StaffingParams, StaffingQuery, StaffingView, INTERVALS_MIN,
};
use crate::api::ApiQuery;
use crate::error::UiError;
use crate::i18n::Tr;
use crate::svg::StaffingChart;
use crate::AppState;

/// One table row: an interval.
pub struct Row {
    pub utc: String,
    pub local: String,
    /// Forecast contacts of the channels shown, formatted.
    pub contacts: Vec<String>,
    pub total: String,
    pub required: u64,
    pub to_schedule: u64,
    /// Per site: local time, open, scheduled advisors.
    pub sites: Vec<(String, bool, u64)>,
    pub scheduled: u64,
    pub gap: i64,
    pub shortfall: bool,
}

/// The form as the supervisor typed it, so a bad value is shown back, not lost.
pub struct FormValues {
    pub date: String,
    pub shrinkage_pct: String,
    pub weeks: String,
    pub zone: String,
}

#[derive(Template)]
#[template(path = "staffing.html")]
struct StaffingPage {
    tr: Tr,
    layout: Layout,
    view: StaffingView,
    form: FormValues,
    intervals: Vec<Choice>,
    /// Field errors of the query, shown above the form; defaults were used instead.
    errors: Vec<(String, String)>,
    has_forecast: bool,
    no_history: bool,
    chart: String,
    channel_heads: Vec<String>,
    site_heads: Vec<(String, String)>,
    rows: Vec<Row>,
    total_contacts: String,
    peak_need: u64,
    mape: Option<String>,
    channel_mapes: Vec<(String, String)>,
    shrinkage_pct: String,
}

fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<StaffingQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    let tr = Tr::new(user.user.locale);
    // The form sends shrinkage as a percentage, which is what supervisors speak in.
    let mut q = q;
    let shrinkage_typed = q.shrinkage.clone().unwrap_or_default();
    if let Some(pct) = q
        .shrinkage
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q.shrinkage = Some(match pct.parse::<f64>() {
            Ok(p) => (p / 100.0).to_string(),
            Err(_) => pct.to_string(),
        });
    }
    let (params, errors) = match StaffingParams::parse(&q) {
        Ok(p) => (p, Vec::new()),
        Err(DomainError::Invalid(errs)) => (
            StaffingParams::default(),
            errs.into_iter().map(|e| (e.field, e.message)).collect(),
        ),
        Err(e) => return Err(e.into()),
    };
    let view = staffing_view(&state, &tenant, &params).await?;
    let has_forecast = view.status == ForecastStatus::Ok;

    // Channels with any forecast volume get a column; the others would be all zeros.
    let shown: Vec<usize> = view
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| c.contacts > 0.0)
        .map(|(i, _)| i)
        .collect();
    let channel_heads = shown
        .iter()
        .map(|&i| tr.e("channel", view.channels[i].channel.as_str()))
        .collect();
    let site_heads = view
        .sites
        .iter()
        .map(|s| (s.name.clone(), format!("{} · {}", s.time_zone, s.advisors)))
        .collect();
    let rows: Vec<Row> = view
        .intervals
        .iter()
        .map(|iv| Row {
            utc: iv.start.get(11..16).unwrap_or_default().to_string(),
            local: iv.local_time.clone(),
            contacts: shown
                .iter()
                .map(|&c| one_decimal(iv.channels[c].contacts))
                .collect(),
            total: one_decimal(iv.contacts),
            required: iv.required,
            to_schedule: iv.to_schedule,
            sites: iv
                .sites
                .iter()
                .map(|s| (s.local_time.clone(), s.open, s.scheduled))
                .collect(),
            scheduled: iv.scheduled,
            gap: iv.gap,
            shortfall: iv.shortfall,
        })
        .collect();
    let peak_need = view
        .intervals
        .iter()
        .map(|i| i.to_schedule)
        .max()
        .unwrap_or(0);
    let total: f64 = view.intervals.iter().map(|i| i.contacts).sum();
    let summary = format!(
        "{}: {}; {}: {}; {}: {}",
        tr.t("staffing.summary_contacts"),
        total.round(),
        tr.t("staffing.peak_need"),
        peak_need,
        tr.t("staffing.shortfall_count"),
        view.shortfall_intervals
    );
    let chart = if has_forecast {
        StaffingChart {
            title: tr.t("staffing.chart"),
            summary,
            labels: rows.iter().map(|r| r.utc.clone()).collect(),
            contacts: view.intervals.iter().map(|i| i.contacts).collect(),
            needed: view
                .intervals
                .iter()
                .map(|i| i.to_schedule as f64)
                .collect(),
            scheduled: view.intervals.iter().map(|i| i.scheduled as f64).collect(),
            shortfall: view.intervals.iter().map(|i| i.shortfall).collect(),
            legend: [
                tr.t("staffing.legend_contacts").to_string(),
                tr.t("staffing.legend_needed").to_string(),
                tr.t("staffing.legend_scheduled").to_string(),
                tr.t("staffing.legend_short").to_string(),
            ],
            axes: [
                tr.t("staffing.axis_advisors").to_string(),
                tr.t("staffing.axis_contacts").to_string(),
            ],
        }
        .render()
    } else {
        String::new()
    };
    let form = FormValues {
        date: view.date.clone(),
        shrinkage_pct: if errors.iter().any(|e| e.0 == "shrinkage") {
            shrinkage_typed
        } else {
            format!("{}", (params.shrinkage * 100.0).round())
        },
        weeks: params.weeks.to_string(),
        zone: q.zone.clone().unwrap_or_default(),
    };
    let intervals = Choice::list(
        &INTERVALS_MIN,
        Some(params.interval_min),
        |m| m.to_string(),
        |m| format!("{m} min"),
    );
    let mape = view.accuracy.map(|a| format!("{:.1} %", a.mape));
    let channel_mapes = view
        .channels
        .iter()
        .filter_map(|c| {
            c.mape
                .map(|m| (tr.e("channel", c.channel.as_str()), format!("{m:.1} %")))
        })
        .collect();
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "staffing",
        format!("{} — {}", tr.t("staffing.title"), tenant.name),
        "",
    )
    .await?;
    render(&StaffingPage {
        tr,
        layout,
        no_history: view.status == ForecastStatus::NoHistory,
        shrinkage_pct: format!("{}", (view.shrinkage * 100.0).round()),
        view,
        form,
        intervals,
        errors,
        has_forecast,
        chart,
        channel_heads,
        site_heads,
        rows,
        total_contacts: format!("{}", total.round()),
        peak_need,
        mape,
        channel_mapes,
    })
}
