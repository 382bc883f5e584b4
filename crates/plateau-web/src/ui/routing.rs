//! The routing editor: a brand's queues and workflows as TOML, with every
//! problem listed (TOML syntax with its line, unknown names and expression
//! errors with line and column) and the person's text kept until it is valid.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use plateau_core::policy::Action;
use plateau_core::routing::{RoutingConfig, Schema};
use plateau_core::DomainError;
use serde::Deserialize;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::routing::{save, schema};
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

#[derive(Template)]
#[template(path = "routing.html")]
struct RoutingPage {
    tr: Tr,
    layout: Layout,
    text: String,
    version: i64,
    names: Schema,
    errors: Vec<String>,
    saved: bool,
    can_edit: bool,
}

async fn page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    text: String,
    version: i64,
    errors: Vec<String>,
    saved: bool,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let stored = state.store.routing_config(tenant.id).await?;
    let names = schema(&state.store, tenant, &stored.config.schema).await?;
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "board",
        format!("{} — {}", tr.t("routing.title"), tenant.name),
        "",
    )
    .await?;
    render(&RoutingPage {
        tr,
        layout,
        text,
        version,
        names,
        errors,
        saved,
        can_edit: user.actor.can(tenant.id, Action::ManageTenant),
    })
}

fn to_toml(config: &RoutingConfig) -> Result<String, WebError> {
    toml::to_string_pretty(config)
        .map_err(|e| WebError::Internal(anyhow::anyhow!("routing config as TOML: {e}")))
}

pub async fn show(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    user.actor
        .require(tenant.id, Action::ViewInternalNotes)
        .map_err(WebError::from)?;
    let stored = state.store.routing_config(tenant.id).await?;
    let text = to_toml(&stored.config)?;
    page(
        &state,
        &user,
        &tenant,
        text,
        stored.version,
        Vec::new(),
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct RoutingForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    config: String,
    version: i64,
}

pub async fn update(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<RoutingForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let errors = match toml::from_str::<RoutingConfig>(&f.config) {
        Err(e) => vec![e.to_string()],
        Ok(config) => match save(&state, &user, &tenant, f.version, &config).await {
            Ok(version) => {
                let text = to_toml(&config)?;
                return page(&state, &user, &tenant, text, version, Vec::new(), true).await;
            }
            Err(WebError::Domain(DomainError::Invalid(errs))) => errs
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
            Err(WebError::Domain(DomainError::Conflict(m))) => vec![m],
            Err(e) => return Err(e.into()),
        },
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(&state, &user, &tenant, f.config, f.version, errors, false).await?,
    )
        .into_response())
}

// ---- SLA policies as a form ----------------------------------------------

/// One row of the SLA form, as shown: targets in minutes, blank for none.
pub struct SlaRow {
    pub channel: String,
    pub priority: String,
    pub first: String,
    pub next: String,
    pub resolution: String,
    pub warn: String,
}

impl SlaRow {
    fn blank() -> SlaRow {
        SlaRow {
            channel: String::new(),
            priority: String::new(),
            first: String::new(),
            next: String::new(),
            resolution: String::new(),
            warn: String::new(),
        }
    }

    fn from_policy(p: &plateau_core::sla::SlaPolicy) -> SlaRow {
        let minutes = |s: Option<i64>| s.map(format_minutes).unwrap_or_default();
        SlaRow {
            channel: p
                .channel
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            priority: p
                .priority
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            first: minutes(p.first_response_secs),
            next: minutes(p.next_response_secs),
            resolution: minutes(p.resolution_secs),
            warn: if p.warn_before_secs > 0 {
                format_minutes(p.warn_before_secs)
            } else {
                String::new()
            },
        }
    }

    fn is_blank(&self) -> bool {
        [&self.first, &self.next, &self.resolution, &self.warn]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// Whole minutes as they are; a policy saved in seconds shows decimals.
fn format_minutes(secs: i64) -> String {
    if secs % 60 == 0 {
        (secs / 60).to_string()
    } else {
        format!("{:.2}", secs as f64 / 60.0)
    }
}

#[derive(Template)]
#[template(path = "routing_sla.html")]
struct SlaPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<SlaRow>,
    version: i64,
    errors: Vec<String>,
    saved: bool,
    can_edit: bool,
    channels: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
}

/// Empty rows offered under the policies, to add new ones.
const NEW_ROWS: usize = 2;

async fn sla_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    mut rows: Vec<SlaRow>,
    version: i64,
    errors: Vec<String>,
    saved: bool,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    rows.extend((0..NEW_ROWS).map(|_| SlaRow::blank()));
    let channels = plateau_core::model::Channel::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), tr.e("channel", c.as_str())))
        .collect();
    let priorities = plateau_core::model::Priority::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), tr.e("priority", p.as_str())))
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "board",
        format!("{} — {}", tr.t("slaform.title"), tenant.name),
        "",
    )
    .await?;
    render(&SlaPage {
        tr,
        layout,
        rows,
        version,
        errors,
        saved,
        can_edit: user.actor.can(tenant.id, Action::ManageTenant),
        channels,
        priorities,
    })
}

pub async fn sla_show(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewBoard).await?;
    let stored = state.store.routing_config(tenant.id).await?;
    let rows = stored
        .config
        .sla_policies
        .iter()
        .map(SlaRow::from_policy)
        .collect();
    sla_page(
        &state,
        &user,
        &tenant,
        rows,
        stored.version,
        Vec::new(),
        false,
    )
    .await
}

/// The form's columns, one value per row in order (every input of every
/// row is sent, blank or not, so the lists line up).
#[derive(Deserialize)]
pub struct SlaForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    version: i64,
    #[serde(default)]
    channel: Vec<String>,
    #[serde(default)]
    priority: Vec<String>,
    #[serde(default)]
    first: Vec<String>,
    #[serde(default)]
    next: Vec<String>,
    #[serde(default)]
    resolution: Vec<String>,
    #[serde(default)]
    warn: Vec<String>,
}

impl SlaForm {
    fn rows(&self) -> Vec<SlaRow> {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        (0..self.channel.len())
            .map(|i| SlaRow {
                channel: at(&self.channel, i),
                priority: at(&self.priority, i),
                first: at(&self.first, i),
                next: at(&self.next, i),
                resolution: at(&self.resolution, i),
                warn: at(&self.warn, i),
            })
            .filter(|r| !r.is_blank())
            .collect()
    }
}

/// The rows as policies; every problem is listed with its row number.
fn policies_from(
    rows: &[SlaRow],
    tr: &Tr,
) -> Result<Vec<plateau_core::sla::SlaPolicy>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row = tr.t("slaform.row").replace("{n}", &(i + 1).to_string());
        let mut secs = |label: &str, v: &str| -> Option<i64> {
            let v = v.trim().replace(',', ".");
            if v.is_empty() {
                return None;
            }
            match v.parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 && m <= 525_600.0 => {
                    Some((m * 60.0).round() as i64)
                }
                _ => {
                    errors.push(format!(
                        "{row} — {}: {}",
                        tr.t(label),
                        tr.t("slaform.bad_minutes")
                    ));
                    None
                }
            }
        };
        let first_response_secs = secs("sla.first_response", &r.first);
        let next_response_secs = secs("sla.next_response", &r.next);
        let resolution_secs = secs("sla.resolution", &r.resolution);
        let warn_before_secs = secs("slaform.warn", &r.warn).unwrap_or(0);
        let channel = match r.channel.as_str() {
            "" => None,
            c => match c.parse() {
                Ok(c) => Some(c),
                Err(_) => {
                    errors.push(format!("{row} — {}: {c}", tr.t("filter.channel")));
                    None
                }
            },
        };
        let priority = match r.priority.as_str() {
            "" => None,
            p => match p.parse() {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(format!("{row} — {}: {p}", tr.t("col.priority")));
                    None
                }
            },
        };
        out.push(plateau_core::sla::SlaPolicy {
            tenant: String::new(),
            channel,
            priority,
            first_response_secs,
            next_response_secs,
            resolution_secs,
            warn_before_secs,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub async fn sla_update(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<SlaForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageTenant).await?;
    let tr = Tr::new(user.user.locale);
    let rows = f.rows();
    let errors = match policies_from(&rows, &tr) {
        Err(errors) => errors,
        Ok(policies) => {
            // Only the policies change; the rest of the configuration is
            // saved as stored, under the version the form was read at, so
            // a concurrent edit of either is refused rather than lost.
            let stored = state.store.routing_config(tenant.id).await?;
            let mut config = stored.config;
            config.sla_policies = policies;
            match save(&state, &user, &tenant, f.version, &config).await {
                Ok(version) => {
                    let rows = config
                        .sla_policies
                        .iter()
                        .map(SlaRow::from_policy)
                        .collect();
                    return sla_page(&state, &user, &tenant, rows, version, Vec::new(), true).await;
                }
                Err(WebError::Domain(DomainError::Invalid(errs))) => errs
                    .into_iter()
                    .map(|e| sla_error(&e.field, &e.message, &tr))
                    .collect(),
                Err(WebError::Domain(DomainError::Conflict(m))) => vec![m],
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        sla_page(&state, &user, &tenant, rows, f.version, errors, false).await?,
    )
        .into_response())
}

/// "sla_policies[1].first_response_secs: …" as "Row 2 — …: …"; problems
/// elsewhere in the configuration are shown as they are.
fn sla_error(field: &str, message: &str, tr: &Tr) -> String {
    let Some(rest) = field.strip_prefix("sla_policies[") else {
        return format!("{field}: {message}");
    };
    let Some((n, what)) = rest.split_once(']') else {
        return format!("{field}: {message}");
    };
    let row = n
        .parse::<usize>()
        .map(|i| tr.t("slaform.row").replace("{n}", &(i + 1).to_string()))
        .unwrap_or_else(|_| field.to_string());
    let what = what.trim_start_matches('.');
    let label = match what {
        "first_response_secs" => tr.t("sla.first_response"),
        "next_response_secs" => tr.t("sla.next_response"),
        "resolution_secs" => tr.t("sla.resolution"),
        "warn_before_secs" => tr.t("slaform.warn"),
        other => other,
    };
    format!("{row} — {label}: {message}")
}
