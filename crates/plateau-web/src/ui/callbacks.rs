//! Escalations and callbacks in the desk: their timeline lines, and the
//! supervisors' callbacks page (due soon, missed) at `/t/{tenant}/callbacks`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
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
        escalation_kind::REFUSED => (tr.t("esc.timeline_refused").replace("{reason}", reason), esc),
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

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    tr: Tr,
    layout: Layout,
    slug: String,
    missed_only: bool,
    rows: Vec<Row>,
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
        let conv = state.store.conversation(t.id, c.conversation_id).await.map_err(WebError::from)?;
        let o = crate::api::callbacks::out(c, now);
        let c = &o.callback;
        rows.push(Row {
            href: format!("/t/{}/c/{}", t.slug, conv.number),
            phone: c.phone_number.clone(),
            state: tr.t(&format!("cb.state.{}", c.state)).to_string(),
            state_class: if c.state == "missed" || o.late { "missed" } else { "live" },
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
    render(&CallbacksPage {
        tr,
        layout,
        slug: t.slug,
        missed_only,
        rows,
    })
}
