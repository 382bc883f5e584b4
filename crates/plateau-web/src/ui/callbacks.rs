//! Escalations and callbacks in the desk: their timeline lines, and the
//! supervisors' callbacks page (due soon, missed, and contacts waiting beyond
//! their queue's maximum) at `/t/{tenant}/callbacks`, refreshed live.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::policy::Action;
use plateau_core::Timestamp;
use plateau_store::callbacks::kind as cb_kind;
use plateau_store::routing::escalation_kind;
use serde::Deserialize;
use serde_json::Value;

use super::{render, tenant_for, Layout, UiUser};
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

fn text<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or("")
}

fn local(payload: &Value, key: &str) -> String {
    let zone = text(payload, "time_zone");
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    text(payload, key)
        .parse::<jiff::Timestamp>()
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

/// The timeline line of an escalation or callback event, with its label.
pub fn timeline_line(tr: &Tr, kind: &str, payload: &Value) -> Option<(String, String)> {
    let reason = text(payload, "reason");
    let with_context = |line: String| {
        let context = text(payload, "context");
        if context.is_empty() {
            line
        } else {
            format!("{line} — {} : {context}", tr.t("esc.context"))
        }
    };
    let esc = tr.t("esc.button").to_string();
    let cb = tr.t("cb.title").to_string();
    let line = match kind {
        escalation_kind::ESCALATED if payload.get("team_id").is_some() => (
            with_context(
                tr.t("esc.timeline_direct")
                    .replace("{tier}", text(payload, "tier"))
                    .replace("{reason}", reason),
            ),
            esc,
        ),
        escalation_kind::ESCALATED => (
            with_context(
                tr.t("esc.timeline")
                    .replace("{from}", text(payload, "from"))
                    .replace("{to}", text(payload, "to"))
                    .replace("{reason}", reason),
            ),
            esc,
        ),
        escalation_kind::REFUSED => (
            tr.t("esc.timeline_refused").replace("{reason}", reason),
            esc,
        ),
        escalation_kind::REQUESTED => (
            with_context(tr.t("esc.timeline_requested").replace("{reason}", reason)),
            esc,
        ),
        cb_kind::SCHEDULED => {
            let mut line = tr
                .t("cb.timeline_scheduled")
                .replace("{phone}", text(payload, "phone_number"))
                .replace("{from}", &local(payload, "not_before"))
                .replace("{to}", &local(payload, "deadline"));
            let note = text(payload, "note");
            if !note.is_empty() {
                line.push_str(" — ");
                line.push_str(note);
            }
            (line, cb)
        }
        cb_kind::OFFERED => (tr.t("cb.timeline_offered").to_string(), cb),
        cb_kind::MISSED => (tr.t("cb.timeline_missed").to_string(), cb),
        cb_kind::DONE => (tr.t("cb.timeline_done").to_string(), cb),
        cb_kind::CANCELLED => (tr.t("cb.timeline_cancelled").to_string(), cb),
        _ => return None,
    };
    Some(line)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub state: Option<String>,
}

pub struct Row {
    pub href: String,
    pub phone: String,
    pub state: String,
    pub state_class: &'static str,
    pub customer_time: String,
    pub your_time: String,
    pub deadline: String,
    pub note: String,
}

/// A contact that waited beyond its queue's maximum (last 24 hours).
pub struct Alert {
    pub href: String,
    pub label: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    tr: Tr,
    layout: Layout,
    slug: String,
    missed_only: bool,
    rows: Vec<Row>,
    alerts: Vec<Alert>,
}

/// How far back the page looks in the brand's log for max-wait alerts.
const ALERT_SCAN: i64 = 2000;

async fn alerts(
    state: &AppState,
    t: &plateau_core::model::Tenant,
    tr: &Tr,
) -> Result<Vec<Alert>, WebError> {
    let since = Timestamp::now().minus_seconds(24 * 3600);
    let mut out = Vec::new();
    for ev in state.store.tenant_events(t.id, None, ALERT_SCAN).await? {
        if ev.created_at < since {
            break;
        }
        if ev.kind != plateau_core::event::kind::ROUTING_MAX_WAIT_EXCEEDED {
            continue;
        }
        let Some(subject) = ev.subject_id else {
            continue;
        };
        let Ok(conv) = state.store.conversation(t.id, subject).await else {
            continue;
        };
        let mins = ev
            .payload
            .get("waited_seconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            / 60;
        out.push(Alert {
            href: format!("/t/{}/c/{}", t.slug, conv.number),
            label: tr
                .t("cb.alert")
                .replace("{n}", &conv.number.to_string())
                .replace("{queue}", text(&ev.payload, "workflow"))
                .replace("{mins}", &mins.to_string()),
            when: tr.datetime(ev.created_at),
        });
    }
    Ok(out)
}

/// Supervisors' list of live callbacks (or the missed ones), soonest first.
pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewWallboard).await?;
    let tr = Tr::new(user.user.locale);
    let missed_only = q.state.as_deref() == Some("missed");
    let items = crate::api::callbacks::list(
        &state,
        t.id,
        Some(if missed_only { "missed" } else { "live" }),
        None,
    )
    .await
    .map_err(UiError::from)?;
    let now = Timestamp::now();
    let mut rows = Vec::new();
    for c in items {
        let conv = state
            .store
            .conversation(t.id, c.conversation_id)
            .await
            .map_err(WebError::from)?;
        let o = crate::api::callbacks::out(c, now);
        let c = &o.callback;
        rows.push(Row {
            href: format!("/t/{}/c/{}", t.slug, conv.number),
            phone: c.phone_number.clone(),
            state: tr.t(&format!("cb.state.{}", c.state)).to_string(),
            state_class: if c.state == "missed" || o.late {
                "missed"
            } else {
                "live"
            },
            customer_time: o.local_not_before.clone(),
            your_time: tr.datetime(c.not_before),
            deadline: o.local_deadline.clone(),
            note: c.note.clone(),
        });
    }
    let layout = Layout::new(
        &state,
        &user,
        Some(&t),
        "callbacks",
        format!("{} — {}", tr.t("cb.title"), t.name),
        "",
    )
    .await?;
    let alerts = alerts(&state, &t, &tr).await?;
    render(&CallbacksPage {
        tr,
        layout,
        slug: t.slug,
        missed_only,
        rows,
        alerts,
    })
}

/// One of the conversation's callbacks in the desk panel.
pub struct PanelCallback {
    pub id: String,
    pub state: String,
    pub live: bool,
    pub phone: String,
    pub customer_time: String,
    pub your_time: String,
    pub deadline: String,
}

/// The Escalate and Schedule-a-callback controls of a conversation page.
pub struct Panel {
    pub can_escalate: bool,
    pub can_schedule: bool,
    /// Prefilled from the conversation and its diagnostic-tree trail.
    pub context: String,
    pub phone: String,
    pub zone: String,
    /// Now, in the customer's zone and in the advisor's (the server's view).
    pub now_customer: String,
    pub now_yours: String,
    pub callbacks: Vec<PanelCallback>,
}

/// Builds the panel; None for those who may do neither.
pub async fn panel(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    c: &plateau_core::model::Conversation,
    customer: &plateau_core::model::Customer,
    events: &[plateau_core::event::Event],
    tr: &Tr,
) -> Result<Option<Panel>, WebError> {
    let can_schedule = user.actor.can(tenant.id, Action::EditConversation);
    let can_escalate = c.assignee_id.is_some()
        && (c.assignee_id == Some(user.user.id) || user.actor.can(tenant.id, Action::AssignOthers));
    if !can_schedule && !can_escalate {
        return Ok(None);
    }
    // The subject, then what the latest diagnostic walk established.
    let mut context = vec![c.subject.clone()];
    if let Some(summary) = events
        .iter()
        .rev()
        .find(|e| e.kind == plateau_core::event::kind::TREE_SESSION_FINISHED)
        .and_then(|e| e.payload.get("summary"))
    {
        for a in summary
            .get("answers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            context.push(format!("{} → {}", text(a, "question"), text(a, "answer")));
        }
    }
    let phone = customer
        .identities
        .iter()
        .find(|i| i.kind == plateau_core::model::IdentityKind::Phone)
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let zone = state
        .store
        .sites(tenant.id)
        .await?
        .into_iter()
        .min_by(|a, b| a.name.cmp(&b.name))
        .map(|s| s.time_zone)
        .unwrap_or_else(|| "Europe/Paris".into());
    let now = Timestamp::now();
    let callbacks = state
        .store
        .conversation_callbacks(tenant.id, c.id)
        .await?
        .into_iter()
        .map(|cb| {
            let o = crate::api::callbacks::out(cb, now);
            PanelCallback {
                id: o.callback.id.to_string(),
                state: tr.t(&format!("cb.state.{}", o.callback.state)).to_string(),
                live: plateau_store::callbacks::LIVE.contains(&o.callback.state.as_str()),
                phone: o.callback.phone_number.clone(),
                your_time: tr.datetime(o.callback.not_before),
                customer_time: o.local_not_before,
                deadline: o.local_deadline,
            }
        })
        .collect();
    let now_customer = {
        let tz = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
        jiff::Timestamp::from_microsecond(now.0)
            .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_default()
    };
    Ok(Some(Panel {
        can_escalate,
        can_schedule,
        context: context.join("\n"),
        phone,
        zone,
        now_customer,
        now_yours: tr.datetime(now),
        callbacks,
    }))
}

async fn load(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    slug: &str,
    number: &str,
    action: Action,
) -> Result<
    (
        plateau_core::model::Tenant,
        plateau_core::model::Conversation,
    ),
    UiError,
> {
    let t = tenant_for(state, user, slug, action).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(plateau_core::DomainError::NotFound("conversation")))?;
    let c = state
        .store
        .conversation_by_number(t.id, n)
        .await
        .map_err(WebError::from)?;
    Ok((t, c))
}

fn back(t: &plateau_core::model::Tenant, c: &plateau_core::model::Conversation) -> Response {
    Redirect::to(&format!("/t/{}/c/{}#handoff", t.slug, c.number)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct EscalateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    context: String,
}

/// The Escalate button: the same path as the API.
pub async fn escalate(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<EscalateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (t, c) = load(&state, &user, &slug, &number, Action::AssignSelf).await?;
    match crate::api::escalation::escalate(&state, &user, &t, &c, &f.reason, Some(&f.context), None)
        .await?
    {
        crate::api::escalation::Escalation::Done(_) => Ok(back(&t, &c)),
        crate::api::escalation::Escalation::NotRouted(why) => {
            Err(WebError::Domain(plateau_core::DomainError::Conflict(why)).into())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    phone_number: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    not_before: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    note: String,
}

/// Schedule a callback: the local times are read in the customer's zone.
pub async fn schedule(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<CallbackForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (t, c) = load(&state, &user, &slug, &number, Action::EditConversation).await?;
    let body = crate::api::callbacks::CallbackIn {
        phone_number: f.phone_number,
        not_before: f.not_before,
        deadline: f.deadline,
        time_zone: f.time_zone,
        preferred_advisor_id: None,
        note: Some(f.note),
    };
    crate::api::callbacks::schedule(&state, &user, t.id, c.id, body).await?;
    Ok(back(&t, &c))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Cancel or mark done one of the conversation's callbacks.
pub async fn finish(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number, id, what)): Path<(String, String, String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (t, c) = load(&state, &user, &slug, &number, Action::EditConversation).await?;
    let (to, kind) = match what.as_str() {
        "done" => ("done", cb_kind::DONE),
        "cancel" => ("cancelled", cb_kind::CANCELLED),
        _ => return Err(WebError::Domain(plateau_core::DomainError::NotFound("action")).into()),
    };
    let id = crate::api::parse_id(&id, "callback")?;
    let cb = state
        .store
        .callback(t.id, id)
        .await
        .map_err(WebError::from)?;
    if cb.conversation_id != c.id {
        return Err(WebError::Domain(plateau_core::DomainError::NotFound("callback")).into());
    }
    state
        .store
        .move_callback(
            t.id,
            id,
            &plateau_store::callbacks::LIVE,
            to,
            kind,
            Some(user.user.id),
            None,
        )
        .await
        .map_err(WebError::from)?;
    Ok(back(&t, &c))
}
