//! Advisors on the desk: the presence control in the top bar (declare a state
//! with a reason, or push back one's break during a peak; both return to the
//! page they came from) and the routing-profile page supervisors edit.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::DomainError;
use serde::Deserialize;

use plateau_core::model::{Channel, Language, Tier};
use plateau_core::policy::Action;
use plateau_core::routing::RoutingProfile;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

#[derive(Deserialize)]
pub struct PresenceForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    state: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

fn back_to(back: &str) -> String {
    super::local_path(back).unwrap_or("/").to_string()
}

pub async fn declare(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<PresenceForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let p = f
        .state
        .parse()
        .map_err(|m: String| DomainError::field("state", m))?;
    state
        .store
        .set_presence(user.user.id, p, Some(&f.reason), Some(user.user.id))
        .await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}

#[derive(Deserialize)]
pub struct PostponeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    minutes: i64,
    #[serde(default)]
    back: String,
}

pub async fn postpone_break(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(f): Form<PostponeForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    state.store.postpone_break(user.user.id, f.minutes).await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}

pub struct CapacityRow {
    pub channel: &'static str,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "advisor_profile.html")]
struct ProfilePage {
    tr: Tr,
    layout: Layout,
    name: String,
    action: String,
    skills: String,
    languages: Vec<Choice>,
    tiers: Vec<Choice>,
    capacity: Vec<CapacityRow>,
    errors: Vec<(String, String)>,
    saved: bool,
}

fn skills_text(p: &RoutingProfile) -> String {
    p.skills
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(clippy::too_many_arguments)]
async fn profile_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    uid: uuid::Uuid,
    p: &RoutingProfile,
    skills: String,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let target = state.store.user(uid).await?;
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "board",
        format!("{} — {}", tr.t("profile.title"), target.display_name),
        "",
    )
    .await?;
    let languages = Language::ALL
        .iter()
        .map(|l| Choice {
            value: l.as_str().into(),
            label: tr.e("lang", l.as_str()),
            selected: p.languages.contains(l),
        })
        .collect();
    let tiers = Choice::list(
        Tier::ALL,
        Some(p.tier),
        |t| t.as_str().into(),
        |t| tr.e("tier", t.as_str()),
    );
    let capacity = Channel::ALL
        .iter()
        .map(|c| CapacityRow {
            channel: c.as_str(),
            label: tr.e("channel", c.as_str()),
            value: p.capacity.get(c).map(|n| n.to_string()).unwrap_or_default(),
        })
        .collect();
    render(&ProfilePage {
        tr,
        layout,
        name: target.display_name,
        action: format!("/t/{}/advisors/{uid}", tenant.slug),
        skills,
        languages,
        tiers,
        capacity,
        errors,
        saved,
    })
}

pub async fn profile(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::AssignOthers).await?;
    let uid = crate::api::parse_id(&id, "member")?;
    let p = state.store.routing_profile(tenant.id, uid).await?;
    let skills = skills_text(&p);
    profile_page(&state, &user, &tenant, uid, &p, skills, Vec::new(), false).await
}

/// Parses the form; what cannot be read becomes a field error shown with the
/// person's input kept.
fn parse_profile(form: &[(String, String)]) -> (RoutingProfile, String, Vec<(String, String)>) {
    let mut p = RoutingProfile {
        languages: Vec::new(),
        ..RoutingProfile::default()
    };
    let mut errors = Vec::new();
    let mut skills_raw = String::new();
    for (k, v) in form {
        match k.as_str() {
            "skills" => {
                skills_raw = v.clone();
                for (i, line) in v.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let parsed = line.split_once(':').and_then(|(name, level)| {
                        Some((name.trim().to_string(), level.trim().parse::<u8>().ok()?))
                    });
                    match parsed {
                        Some((name, level)) => {
                            p.skills.insert(name, level);
                        }
                        None => errors.push((
                            "skills".into(),
                            format!("line {}: write \"skill: level\"", i + 1),
                        )),
                    }
                }
            }
            "language" => match v.parse::<Language>() {
                Ok(l) => p.languages.push(l),
                Err(m) => errors.push(("languages".into(), m)),
            },
            "tier" => match v.parse::<Tier>() {
                Ok(t) => p.tier = t,
                Err(m) => errors.push(("tier".into(), m)),
            },
            other => {
                if let Some(ch) = other.strip_prefix("capacity.") {
                    if v.trim().is_empty() {
                        continue;
                    }
                    match (ch.parse::<Channel>(), v.trim().parse::<u16>()) {
                        (Ok(c), Ok(n)) => {
                            p.capacity.insert(c, n);
                        }
                        _ => errors.push((other.to_string(), "a whole number".into())),
                    }
                }
            }
        }
    }
    (p, skills_raw, errors)
}

pub async fn save_profile(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    user.check_csrf(csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::AssignOthers).await?;
    let uid = crate::api::parse_id(&id, "member")?;
    let (p, skills_raw, mut errors) = parse_profile(&form);
    if errors.is_empty() {
        match state
            .store
            .set_routing_profile(tenant.id, uid, &p, Some(user.user.id))
            .await
        {
            Ok(saved) => {
                let skills = skills_text(&saved);
                return profile_page(
                    &state,
                    &user,
                    &tenant,
                    uid,
                    &saved,
                    skills,
                    Vec::new(),
                    true,
                )
                .await;
            }
            Err(plateau_store::StoreError::Domain(DomainError::Invalid(errs))) => {
                errors.extend(errs.into_iter().map(|e| (e.field, e.message)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        profile_page(&state, &user, &tenant, uid, &p, skills_raw, errors, false).await?,
    )
        .into_response())
}
