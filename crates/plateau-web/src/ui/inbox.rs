//! The inbox: saved views (mine, my team, unassigned, all), status and
//! channel filters, newest activity first or the soonest SLA due first,
//! each row with its most urgent SLA clock, paged by cursor.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use plateau_core::model::{Channel, Status};
use plateau_core::policy::Action;
use plateau_core::Timestamp;
use plateau_store::conversations::Cursor;
use serde::Deserialize;
use uuid::Uuid;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::conversations::{filter_from, ListQuery};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::AppState;

pub struct Row {
    pub number: i64,
    pub href: String,
    pub customer: String,
    pub subject: String,
    pub preview: String,
    pub status: &'static str,
    pub status_label: String,
    pub priority: &'static str,
    pub priority_label: String,
    pub channel: &'static str,
    pub channel_label: String,
    pub assignee: String,
    pub team: String,
    pub updated_ago: String,
    pub updated_iso: String,
    pub tags: Vec<String>,
    /// The most urgent running SLA clock: (class, label).
    pub sla: Option<(&'static str, String)>,
}

pub struct ViewLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<Row>,
    views: Vec<ViewLink>,
    statuses: Vec<Choice>,
    channels: Vec<Choice>,
    sorts: Vec<Choice>,
    by_sla: bool,
    view: String,
    next_href: Option<String>,
    first_page: bool,
    newest_href: String,
    filtered: bool,
    assignee: String,
    assignee_name: Option<String>,
    clear_assignee_href: String,
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    view: Option<String>,
    status: Option<String>,
    channel: Option<String>,
    cursor: Option<String>,
    /// One advisor's work, as linked from the board's "who works on what".
    assignee: Option<String>,
    /// `activity` (default) or `sla_due`.
    sort: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<InboxQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewConversations).await?;
    let tr = Tr::new(user.user.locale);
    let roster = state.store.members(tenant.id).await?;
    let me = roster.iter().find(|m| m.user.id == user.user.id);
    let read_only = !user.actor.can(tenant.id, Action::Reply);
    // Advisors land on their own work; read-only and admin accounts on everything.
    let view = q.view.clone().unwrap_or_else(|| {
        if read_only {
            "all".into()
        } else {
            "mine".into()
        }
    });
    let status = q.status.clone().unwrap_or_else(|| "active".into());
    let channel: Option<Channel> = q
        .channel
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|c| c.parse().ok());
    let team_id = if view == "team" {
        me.and_then(|m| m.team_id)
    } else {
        None
    };
    let assignee =
        match q.assignee.as_deref().filter(|a| !a.is_empty()) {
            Some(a) => Some(Uuid::parse_str(a).map_err(|_| {
                plateau_core::DomainError::field("assignee", "is not an advisor id")
            })?),
            None => None,
        };
    let sort = match q.sort.as_deref() {
        Some("sla_due") => "sla_due",
        _ => "activity",
    };
    let by_sla = sort == "sla_due";
    let lq = ListQuery {
        sort: Some(sort.to_string()),
        view: Some(view.clone()),
        status: Some(status.clone()),
        channel,
        team_id,
        assignee_id: assignee,
        ..Default::default()
    };
    let filter = filter_from(&lq, user.user.id)?;
    let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = state
        .store
        .conversations(tenant.id, &filter, cursor, 50)
        .await?;

    let members: HashMap<Uuid, String> = roster
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect();
    let teams: HashMap<Uuid, String> = state
        .store
        .teams(tenant.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let now = Timestamp::now();
    let ids: Vec<Uuid> = page.items.iter().map(|c| c.customer_id).collect();
    let names = state.store.customer_names(tenant.id, &ids).await?;
    let conv_ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
    let dues: HashMap<Uuid, plateau_store::sla::SlaDue> = state
        .store
        .sla_dues(tenant.id, &conv_ids)
        .await?
        .into_iter()
        .map(|d| (d.conversation_id, d))
        .collect();
    let mut rows = Vec::with_capacity(page.items.len());
    for c in &page.items {
        let customer = names.get(&c.customer_id).cloned().unwrap_or_default();
        let sla = dues.get(&c.id).map(|d| {
            let what = tr.e("sla", &d.metric);
            // Breached, or reached since the watcher last looked.
            if d.breached || d.due_at <= now {
                (
                    "sla-breached",
                    tr.t("sla.chip_breached")
                        .replace("{what}", &what)
                        .replace("{when}", &tr.ago(d.due_at, now)),
                )
            } else {
                (
                    if d.warning {
                        "sla-warning"
                    } else {
                        "sla-running"
                    },
                    tr.t("sla.chip_due")
                        .replace("{what}", &what)
                        .replace("{when}", &tr.until(d.due_at, now)),
                )
            }
        });
        rows.push(Row {
            number: c.number,
            href: format!("/t/{}/c/{}", tenant.slug, c.number),
            customer,
            subject: c.subject.clone(),
            preview: c.preview.clone(),
            status: c.status.as_str(),
            status_label: tr.e("status", c.status.as_str()),
            priority: c.priority.as_str(),
            priority_label: tr.e("priority", c.priority.as_str()),
            channel: c.channel.as_str(),
            channel_label: tr.e("channel", c.channel.as_str()),
            assignee: c
                .assignee_id
                .and_then(|a| members.get(&a).cloned())
                .unwrap_or_else(|| tr.t("nobody").to_string()),
            team: c
                .team_id
                .and_then(|t| teams.get(&t).cloned())
                .unwrap_or_default(),
            updated_ago: tr.ago(c.updated_at, now),
            updated_iso: c.updated_at.rfc3339(),
            tags: c.tags.clone(),
            sla,
        });
    }

    let base = format!("/t/{}/inbox", tenant.slug);
    let link = |v: &str, s: &str, ch: Option<Channel>| {
        let mut h = format!("{base}?view={v}&status={s}");
        if by_sla {
            h.push_str("&sort=sla_due");
        }
        if let Some(ch) = ch {
            h.push_str(&format!("&channel={ch}"));
        }
        h
    };
    let mut views = Vec::new();
    let mut names = vec!["mine", "team", "unassigned", "all"];
    if read_only {
        names.retain(|v| *v == "all" || *v == "unassigned");
    }
    if me.and_then(|m| m.team_id).is_none() {
        names.retain(|v| *v != "team");
    }
    for v in names {
        views.push(ViewLink {
            label: tr.t(&format!("view.{v}")).to_string(),
            href: link(v, &status, channel),
            current: v == view,
        });
    }
    let mut statuses = vec![Choice {
        value: "active".into(),
        label: tr.t("filter.active").into(),
        selected: status == "active",
    }];
    statuses.extend(Status::ALL.iter().map(|s| Choice {
        value: s.as_str().into(),
        label: tr.e("status", s.as_str()),
        selected: status == s.as_str(),
    }));
    statuses.push(Choice {
        value: "all".into(),
        label: tr.t("view.all").into(),
        selected: status == "all",
    });
    let mut channels = vec![Choice {
        value: String::new(),
        label: tr.t("filter.any").into(),
        selected: channel.is_none(),
    }];
    channels.extend(Choice::list(
        Channel::ALL,
        channel,
        |c| c.as_str().into(),
        |c| tr.e("channel", c.as_str()),
    ));

    let sorts = ["activity", "sla_due"]
        .into_iter()
        .map(|v| Choice {
            value: v.into(),
            label: tr.t(&format!("sort.{v}")).into(),
            selected: v == sort,
        })
        .collect();

    // Paging keeps the advisor filter; switching views drops it.
    let here = match assignee {
        Some(a) => format!("{}&assignee={a}", link(&view, &status, channel)),
        None => link(&view, &status, channel),
    };
    let next_href = page.next_cursor.map(|c| format!("{here}&cursor={c}"));
    let assignee_name = assignee.map(|a| members.get(&a).cloned().unwrap_or_default());
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "inbox",
        format!("{} — {}", tr.t("inbox.title"), tenant.name),
        "inbox-list",
    )
    .await?;
    render(&InboxPage {
        tr,
        layout,
        rows,
        views,
        statuses,
        channels,
        sorts,
        by_sla,
        view: view.clone(),
        next_href,
        first_page: cursor.is_none(),
        newest_href: here,
        filtered: status != "active"
            || channel.is_some()
            || view != "mine"
            || assignee.is_some()
            || by_sla,
        assignee: assignee.map(|a| a.to_string()).unwrap_or_default(),
        assignee_name,
        clear_assignee_href: link(&view, &status, channel),
    })
}
