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
