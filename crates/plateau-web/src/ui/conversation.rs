//! One conversation: the cross-channel timeline (messages, notes and changes),
//! the composer, the properties panel and the customer card with history.
//! Also the form that logs a new conversation.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::event::kind;
use plateau_core::model::{
    AgeBand, Channel, ContractTier, Conversation, CustomerProfile, Direction, IdentityKind,
    Language, Priority, Role, Status,
};
use plateau_core::policy::Action;
use plateau_core::{validate, DomainError, Timestamp};
use plateau_store::conversations::{CustomerRef, InboxFilter, NewConversation};
use plateau_store::customers::NewCustomer;
use serde::Deserialize;
use uuid::Uuid;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::conversations::{
    apply_patch, post_message as api_post_message, NewMessageIn, PatchIn,
};
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

pub struct TimelineItem {
    /// `inbound`, `outbound`, `note` or `change`.
    pub kind: &'static str,
    /// `m-<message id>` for messages, so a search hit can point at one.
    pub anchor: String,
    pub author: String,
    pub channel_label: String,
    pub body: String,
    pub when: String,
    pub when_iso: String,
    /// For an e-mail reply: `queued`, `sending`, `sent` or `failed`, and a
    /// sentence saying so (with the error); empty otherwise.
    pub delivery: &'static str,
    pub delivery_label: String,
    /// A public post on a social network (read by everyone), not a private message.
    pub public: bool,
    /// Downloads shown under the body (href, label): a letter's scan, a
    /// call's recording.
    pub links: Vec<(String, String)>,
    /// The e-mail as formatted by the sender, sanitised, as an iframe document.
    pub html_doc: Option<String>,
}

pub struct HistoryRow {
    pub href: String,
    pub number: i64,
    pub subject: String,
    pub status: &'static str,
    pub status_label: String,
    pub channel_label: String,
    pub ago: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    tr: Tr,
    layout: Layout,
    /// Suggested and linked articles; `None` for those who may not read any.
    kb: Option<super::knowledge::Panel>,
    /// Diagnostic trees running or to start; `None` for those who may not run any.
    trees: Option<super::trees::RunnerPanel>,
    /// Whether the person may take this customer's question to the forum.
    ask_forum: bool,
    conv_id: String,
    number: i64,
    subject: String,
    status: &'static str,
    status_label: String,
    priority: &'static str,
    priority_label: String,
    channel_label: String,
    assignee_name: String,
    team_name: String,
    tags: Vec<String>,
    tags_text: String,
    reason: String,
    timeline: Vec<TimelineItem>,
    action_base: String,
    can_reply: bool,
    can_note: bool,
    can_edit: bool,
    can_take: bool,
    closed: bool,
    status_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    assignee_choices: Vec<Choice>,
    team_choices: Vec<Choice>,
    channel_choices: Vec<Choice>,
    customer_name: String,
    customer_id: String,
    identities: Vec<(String, String)>,
    profile: Vec<(String, String)>,
    history: Vec<HistoryRow>,
    /// SLA chips: (css state, label with the due time), one per metric.
    sla: Vec<(&'static str, String)>,
    /// Escalate and Schedule-a-callback; `None` for those who may do neither.
    handoff: Option<super::callbacks::Panel>,
}

/// One chip per SLA metric that has started: running (with the warning
/// colour in the last stretch), met, or breached.
fn sla_chips(
    tr: &Tr,
    metrics: &[plateau_core::sla::conversation::MetricStatus],
    now: Timestamp,
) -> Vec<(&'static str, String)> {
    use plateau_core::sla::conversation::MetricState;
    use plateau_core::sla::Metric;
    metrics
        .iter()
        .filter(|m| m.state != MetricState::Idle)
        .map(|m| {
            let name = tr.t(match m.metric {
                Metric::FirstResponse => "sla.first_response",
                Metric::NextResponse => "sla.next_response",
                Metric::Resolution => "sla.resolution",
            });
            let due = m.due.map(|d| tr.datetime(d)).unwrap_or_default();
            let (class, key) = match (m.state, m.breached, m.warning) {
                (MetricState::Stopped, false, _) => ("met", "sla.met"),
                (_, true, _) => ("breached", "sla.breached"),
                (MetricState::Paused, false, _) => ("paused", "sla.paused"),
                (_, false, true) => ("warning", "sla.due"),
                _ => ("running", "sla.due"),
            };
            let left = match m.due {
                Some(d) if class == "running" || class == "warning" => {
                    format!(
                        " ({})",
                        tr.t("sla.in")
                            .replace("{n}", &((d.0 - now.0).max(0) / 60_000_000).to_string())
                    )
                }
                _ => String::new(),
            };
            (
                class,
                format!("{name}: {} {due}{left}", tr.t(key))
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

fn describe_change(
    tr: &Tr,
    field: &str,
    v: &serde_json::Value,
    names: &HashMap<Uuid, String>,
    teams: &HashMap<Uuid, String>,
) -> String {
    let show = |x: &serde_json::Value| -> String {
        match x {
            serde_json::Value::Null => tr.t("empty.dash").to_string(),
            serde_json::Value::String(s) => match field {
                "status" => tr.e("status", s),
                "priority" => tr.e("priority", s),
                "assignee_id" => Uuid::parse_str(s)
                    .ok()
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| s.clone()),
                "team_id" => Uuid::parse_str(s)
                    .ok()
                    .and_then(|id| teams.get(&id).cloned())
                    .unwrap_or_else(|| s.clone()),
                _ => s.clone(),
            },
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    };
    let label = match field {
        "status" => tr.t("col.status"),
        "priority" => tr.t("col.priority"),
        "assignee_id" => tr.t("col.assignee"),
        "team_id" => tr.t("col.team"),
        "tags" => tr.t("conv.tags"),
        "reason" => tr.t("conv.reason"),
        "subject" => tr.t("col.subject"),
        other => other,
    };
    format!("{label}: {} → {}", show(&v["from"]), show(&v["to"]))
}

/// Stored attachments the desk can download (keys the blob route serves).
fn attachment_links(
    tr: &Tr,
    slug: &str,
    attachments: &[plateau_core::model::Attachment],
) -> Vec<(String, String)> {
    attachments
        .iter()
        .filter_map(|a| {
            let key = a.blob_key.as_deref().filter(|k| !k.contains('/'))?;
            Some((
                format!("/api/v1/tenants/{slug}/blobs/{key}"),
                format!(
                    "{} {} ({} KiB)",
                    tr.t("conv.download"),
                    a.file_name,
                    (a.size_bytes + 1023) / 1024
                ),
            ))
        })
        .collect()
}

async fn load(
    state: &AppState,
    user: &super::CurrentUser,
    slug: &str,
    number: &str,
) -> Result<(plateau_core::model::Tenant, Conversation), UiError> {
    let tenant = tenant_for(state, user, slug, Action::ViewConversations).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("conversation")))?;
    let c = state.store.conversation_by_number(tenant.id, n).await?;
    Ok((tenant, c))
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// What went wrong with the last step of a diagnostic tree.
    #[serde(default)]
    tree_error: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Result<Response, UiError> {
    let (tenant, c) = load(&state, &user, &slug, &number).await?;
    let tr = Tr::new(user.user.locale);
    let t = tenant.id;
    let a = &user.actor;
    let notes = a.can(t, Action::ViewInternalNotes);
    let messages = state.store.messages(t, c.id, notes).await?;
    let events = state.store.subject_events(t, c.id).await?;
    let deliveries = crate::api::conversations::deliveries(&state, t, c.id).await?;
    let public = state.store.public_messages(t, c.id).await?;
    let first_inbound = messages
        .iter()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.body.as_str());
    let kb = super::knowledge::panel(&state, &user, &tenant, &c, first_inbound, &tr).await?;
    let trees = super::trees::panel(
        &state,
        &user,
        &tenant,
        &c,
        q.tree_error.unwrap_or_default().chars().take(500).collect(),
    )
    .await?;
    let customer = state.store.customer(t, c.customer_id).await?;
    let members = state.store.members(t).await?;
    let teams = state.store.teams(t).await?;
    let names: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect();
    let team_names: HashMap<Uuid, String> = teams.iter().map(|x| (x.id, x.name.clone())).collect();

    let html = state.store.conversation_message_html(t, c.id).await?;
    let mut timeline: Vec<(Timestamp, TimelineItem)> = messages
        .iter()
        .map(|m| {
            let author = match (m.direction, m.author_id) {
                (Direction::Inbound, _) => customer.name.clone(),
                (_, Some(id)) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| tr.t("conv.system").to_string()),
                (_, None) => tr.t("conv.system").to_string(),
            };
            (
                m.created_at,
                TimelineItem {
                    kind: m.direction.as_str(),
                    anchor: format!("m-{}", m.id),
                    author,
                    channel_label: tr.e("channel", m.channel.as_str()),
                    body: m.body.clone(),
                    when: tr.datetime(m.created_at),
                    when_iso: m.created_at.rfc3339(),
                    delivery: "",
                    delivery_label: String::new(),
                    public: public.contains(&m.id),
                    links: attachment_links(&tr, &tenant.slug, &m.attachments),
                    html_doc: html
                        .iter()
                        .find(|(id, _)| *id == m.id)
                        .map(|(_, h)| plateau_core::channels::html::frame_document(h)),
                },
            )
        })
        .collect();
    for (_, item) in timeline.iter_mut() {
        let Some(d) = deliveries
            .iter()
            .find(|d| item.anchor.strip_prefix("m-") == Some(d.message_id.to_string().as_str()))
        else {
            continue;
        };
        let (state, key) = match d.state.as_str() {
            "sent" => ("sent", "sent"),
            "failed" => ("failed", "failed"),
            "sending" => ("queued", "sending"),
            _ if d.attempts > 0 => ("queued", "retrying"),
            _ => ("queued", "queued"),
        };
        let prefix = if d.via == "connector" {
            "connector"
        } else {
            "mail"
        };
        let mut label = tr
            .t(&format!("{prefix}.{key}"))
            .replace("{to}", &d.to_address);
        if let Some(e) = d.last_error.as_deref().filter(|_| state != "sent") {
            label.push_str(" — ");
            label.push_str(e);
        }
        item.delivery = state;
        item.delivery_label = label;
    }
    // Changes and diagnostic walks are logged events, shown as change lines.
    for ev in &events {
        let mut links = Vec::new();
        let (body, channel_label) = if ev.kind == kind::CALL_EVENT {
            let (line, link) = crate::api::cti::timeline_line(&tr, &tenant.slug, &ev.payload);
            links.extend(link);
            (line, tr.e("channel", "phone"))
        } else if ev.kind == kind::CONVERSATION_UPDATED {
            let Some(changes) = ev.payload.get("changes").and_then(|c| c.as_object()) else {
                continue;
            };
            let body = changes
                .iter()
                .map(|(f, v)| describe_change(&tr, f, v, &names, &team_names))
                .collect::<Vec<_>>()
                .join(" · ");
            (body, String::new())
        } else if let Some(body) = super::trees::timeline_line(&tr, &ev.kind, &ev.payload) {
            (body, tr.t("trees.timeline").to_string())
        } else if let Some(line) = super::callbacks::timeline_line(&tr, &ev.kind, &ev.payload) {
            line
        } else if ev.kind == kind::SLA_WARNING || ev.kind == kind::SLA_BREACHED {
            let metric = ev
                .payload
                .get("metric")
                .and_then(|m| m.as_str())
                .unwrap_or("");
            let what = tr.t(match metric {
                "first_response" => "sla.first_response",
                "next_response" => "sla.next_response",
                _ => "sla.resolution",
            });
            let key = if ev.kind == kind::SLA_BREACHED {
                "sla.timeline_breached"
            } else {
                "sla.timeline_warning"
            };
            (tr.t(key).replace("{what}", what), "SLA".to_string())
        } else {
            continue;
        };
        let author = ev
            .actor_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| tr.t("conv.system").to_string());
        timeline.push((
            ev.created_at,
            TimelineItem {
                kind: "change",
                anchor: String::new(),
                author,
                channel_label,
                body,
                when: tr.datetime(ev.created_at),
                when_iso: ev.created_at.rfc3339(),
                delivery: "",
                delivery_label: String::new(),
                public: false,
                links,
                html_doc: None,
            },
        ));
    }
    timeline.sort_by_key(|(t, _)| *t);

    let f = InboxFilter {
        customer_id: Some(customer.id),
        ..Default::default()
    };
    let now = Timestamp::now();
    let history = state
        .store
        .conversations(t, &f, None, 20)
        .await?
        .items
        .into_iter()
        .map(|h| HistoryRow {
            href: format!("/t/{}/c/{}", tenant.slug, h.number),
            number: h.number,
            subject: h.subject.clone(),
            status: h.status.as_str(),
            status_label: tr.e("status", h.status.as_str()),
            channel_label: tr.e("channel", h.channel.as_str()),
            ago: tr.ago(h.updated_at, now),
            current: h.id == c.id,
        })
        .collect();

    let p = &customer.profile;
    let dash = tr.t("empty.dash").to_string();
    let profile = vec![
        (
            tr.t("customer.contract_tier").to_string(),
            tr.e("contract", p.contract_tier.as_str()),
        ),
        (
            tr.t("customer.value_tier").to_string(),
            p.value_tier
                .map(|v| tr.e("value", v.as_str()))
                .unwrap_or(dash.clone()),
        ),
        (
            tr.t("customer.age_band").to_string(),
            p.age_band
                .map(|v| tr.e("age", v.as_str()))
                .unwrap_or(dash.clone()),
        ),
        (
            tr.t("customer.tech_appetite").to_string(),
            p.tech_appetite
                .map(|v| tr.e("level", v.as_str()))
                .unwrap_or(dash.clone()),
        ),
        (
            tr.t("customer.language").to_string(),
            tr.e("lang", p.language.as_str()),
        ),
        (
            tr.t("customer.preferred_channel").to_string(),
            p.preferred_channel
                .map(|v| tr.e("channel", v.as_str()))
                .unwrap_or(dash.clone()),
        ),
    ];
    let identities = customer
        .identities
        .iter()
        .map(|i| (tr.e("identity", i.kind.as_str()), i.value.clone()))
        .collect();

    let can_assign_others = a.can(t, Action::AssignOthers);
    let mut assignee_choices = vec![Choice {
        value: String::new(),
        label: tr.t("nobody").into(),
        selected: c.assignee_id.is_none(),
    }];
    for m in members.iter().filter(|m| m.role != Role::ClientViewer) {
        if can_assign_others || m.user.id == user.user.id || Some(m.user.id) == c.assignee_id {
            assignee_choices.push(Choice {
                value: m.user.id.to_string(),
                label: m.user.display_name.clone(),
                selected: Some(m.user.id) == c.assignee_id,
            });
        }
    }
    let mut team_choices = vec![Choice {
        value: String::new(),
        label: tr.t("no_team").into(),
        selected: c.team_id.is_none(),
    }];
    team_choices.extend(teams.iter().map(|x| Choice {
        value: x.id.to_string(),
        label: format!("{} ({})", x.name, tr.e("tier", x.tier.as_str())),
        selected: Some(x.id) == c.team_id,
    }));
    let statuses: Vec<Status> = Status::ALL
        .iter()
        .copied()
        .filter(|s| c.status.can_become(*s))
        .collect();

    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "inbox",
        format!("#{} {}", c.number, c.subject),
        "conv-head timeline conv-props customer-history",
    )
    .await?;
    // The page has read the messages and events already: the clocks reuse them.
    let now = Timestamp::now();
    let sla = match crate::api::sla::SlaContext::load(&state.store, t).await? {
        Some(ctx) => sla_chips(&tr, &ctx.status(&c, &messages, &events, now), now),
        None => Vec::new(),
    };
    let handoff =
        super::callbacks::panel(&state, &user, &tenant, &c, &customer, &events, &tr).await?;
    render(&ConversationPage {
        sla,
        handoff,
        kb,
        trees,
        ask_forum: a.can(t, Action::PostForum),
        conv_id: c.id.to_string(),
        number: c.number,
        subject: c.subject.clone(),
        status: c.status.as_str(),
        status_label: tr.e("status", c.status.as_str()),
        priority: c.priority.as_str(),
        priority_label: tr.e("priority", c.priority.as_str()),
        channel_label: tr.e("channel", c.channel.as_str()),
        assignee_name: c
            .assignee_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| tr.t("nobody").to_string()),
        team_name: c
            .team_id
            .and_then(|id| team_names.get(&id).cloned())
            .unwrap_or_default(),
        tags: c.tags.clone(),
        tags_text: c.tags.join(", "),
        reason: c.reason.clone().unwrap_or_default(),
        timeline: timeline.into_iter().map(|(_, i)| i).collect(),
        action_base: format!("/t/{}/c/{}", tenant.slug, c.number),
        can_reply: a.can(t, Action::Reply) && c.status != Status::Closed,
        can_note: a.can(t, Action::AddNote) && c.status != Status::Closed,
        can_edit: a.can(t, Action::EditConversation) && c.status != Status::Closed,
        can_take: a.can(t, Action::AssignSelf)
            && c.assignee_id != Some(user.user.id)
            && c.status != Status::Closed,
        closed: c.status == Status::Closed,
        status_choices: Choice::list(
            &statuses,
            Some(c.status),
            |s| s.as_str().into(),
            |s| tr.e("status", s.as_str()),
        ),
        priority_choices: Choice::list(
            Priority::ALL,
            Some(c.priority),
            |s| s.as_str().into(),
            |s| tr.e("priority", s.as_str()),
        ),
        assignee_choices,
        team_choices,
        channel_choices: Choice::list(
            Channel::ALL,
            Some(c.channel),
            |s| s.as_str().into(),
            |s| tr.e("channel", s.as_str()),
        ),
        customer_name: customer.name.clone(),
        customer_id: customer.id.to_string(),
        identities,
        profile,
        history,
        tr,
        layout,
    })
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    direction: String,
    body: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
}

pub async fn post_message(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<MessageForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, c) = load(&state, &user, &slug, &number).await?;
    let direction = match f.direction.as_str() {
        "note" => Direction::Note,
        "outbound" => Direction::Outbound,
        _ => return Err(DomainError::field("direction", "must be outbound or note").into()),
    };
    let status = if direction == Direction::Note || f.status.is_empty() {
        None
    } else {
        Some(
            f.status
                .parse::<Status>()
                .map_err(|m| DomainError::field("status", m))?,
        )
    };
    let channel = if f.channel.is_empty() {
        None
    } else {
        Some(
            f.channel
                .parse::<Channel>()
                .map_err(|m| DomainError::field("channel", m))?,
        )
    };
    api_post_message(
        &state,
        &user,
        tenant.id,
        c.id,
        NewMessageIn {
            direction: Some(direction),
            body: f.body,
            channel,
            status,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{}/c/{}#composer", tenant.slug, c.number)).into_response())
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    status: Option<String>,
    priority: Option<String>,
    assignee_id: Option<String>,
    team_id: Option<String>,
    tags: Option<String>,
    reason: Option<String>,
}

fn opt_uuid(field: &str, s: &str) -> Result<Option<Uuid>, WebError> {
    if s.is_empty() {
        Ok(None)
    } else {
        Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| DomainError::field(field, "is not a valid id").into())
    }
}

/// Applies only the fields the person changed, so that saving the panel
/// never needs rights over fields left as they were.
pub async fn update(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<UpdateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, c) = load(&state, &user, &slug, &number).await?;
    let mut p = PatchIn::default();
    if let Some(s) = f.status.filter(|s| *s != c.status.as_str()) {
        p.status = Some(s.parse().map_err(|m| DomainError::field("status", m))?);
    }
    if let Some(s) = f.priority.filter(|s| *s != c.priority.as_str()) {
        p.priority = Some(s.parse().map_err(|m| DomainError::field("priority", m))?);
    }
    if let Some(s) = f.assignee_id {
        let a = opt_uuid("assignee_id", &s)?;
        if a != c.assignee_id {
            p.assignee_id = Some(a);
        }
    }
    if let Some(s) = f.team_id {
        let team = opt_uuid("team_id", &s)?;
        if team != c.team_id {
            p.team_id = Some(team);
        }
    }
    if let Some(s) = f.tags {
        let tags: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        let normalised = validate::tags(&tags).map_err(|m| DomainError::field("tags", m))?;
        if normalised != c.tags {
            p.tags = Some(normalised);
        }
    }
    if let Some(r) = f.reason {
        let r = r.trim().to_string();
        if Some(&r) != c.reason.as_ref() && !(r.is_empty() && c.reason.is_none()) {
            p.reason = Some(if r.is_empty() { None } else { Some(r) });
        }
    }
    let nothing = p.status.is_none()
        && p.priority.is_none()
        && p.assignee_id.is_none()
        && p.team_id.is_none()
        && p.tags.is_none()
        && p.reason.is_none();
    if !nothing {
        apply_patch(&state, &user, tenant.id, c.id, p).await?;
    }
    Ok(Redirect::to(&format!("/t/{}/c/{}", tenant.slug, c.number)).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn take(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, c) = load(&state, &user, &slug, &number).await?;
    let p = PatchIn {
        assignee_id: Some(Some(user.user.id)),
        ..Default::default()
    };
    apply_patch(&state, &user, tenant.id, c.id, p).await?;
    Ok(Redirect::to(&format!("/t/{}/c/{}", tenant.slug, c.number)).into_response())
}

#[derive(Template)]
#[template(path = "new_conversation.html")]
struct NewPage {
    tr: Tr,
    layout: Layout,
    channels: Vec<Choice>,
    priorities: Vec<Choice>,
    teams: Vec<Choice>,
    languages: Vec<Choice>,
}

pub async fn new_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    let tr = Tr::new(user.user.locale);
    let me = state.store.member(tenant.id, user.user.id).await?;
    let my_team = me.and_then(|m| m.team_id);
    let mut teams = vec![Choice {
        value: String::new(),
        label: tr.t("no_team").into(),
        selected: my_team.is_none(),
    }];
    teams.extend(
        state
            .store
            .teams(tenant.id)
            .await?
            .into_iter()
            .map(|x| Choice {
                value: x.id.to_string(),
                label: x.name,
                selected: Some(x.id) == my_team,
            }),
    );
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "new",
        tr.t("new.title").to_string(),
        "",
    )
    .await?;
    render(&NewPage {
        channels: Choice::list(
            Channel::ALL,
            Some(Channel::Phone),
            |c| c.as_str().into(),
            |c| tr.e("channel", c.as_str()),
        ),
        priorities: Choice::list(
            Priority::ALL,
            Some(Priority::Normal),
            |c| c.as_str().into(),
            |c| tr.e("priority", c.as_str()),
        ),
        languages: Choice::list(
            Language::ALL,
            Some(user.user.locale),
            |c| c.as_str().into(),
            |c| tr.e("lang", c.as_str()),
        ),
        teams,
        tr,
        layout,
    })
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    customer_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    channel: String,
    subject: String,
    body: String,
    priority: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    assign_me: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<NewForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    let mut v = plateau_core::error::Validator::new();
    let channel = v.check("channel", f.channel.parse::<Channel>());
    let priority = v.check("priority", f.priority.parse::<Priority>());
    let language = if f.language.is_empty() {
        Some(Language::Fr)
    } else {
        v.check("language", f.language.parse::<Language>())
    };
    let email = if f.email.trim().is_empty() {
        None
    } else {
        v.check("email", validate::email(&f.email))
    };
    let phone = if f.phone.trim().is_empty() {
        None
    } else {
        v.check("phone", validate::phone_e164(&f.phone))
    };
    let team_id = opt_uuid("team_id", &f.team_id).unwrap_or_else(|_| {
        v.push("team_id", "is not a valid id");
        None
    });
    v.finish()?;
    // An existing customer is recognised by any identity given.
    let mut existing = None;
    if let Some(e) = &email {
        existing = state
            .store
            .customer_by_identity(tenant.id, IdentityKind::Email, e)
            .await?;
    }
    if existing.is_none() {
        if let Some(p) = &phone {
            existing = state
                .store
                .customer_by_identity(tenant.id, IdentityKind::Phone, p)
                .await?;
        }
    }
    let customer = match existing {
        Some(c) => CustomerRef::Existing(c.id),
        None => {
            let mut identities = Vec::new();
            if let Some(e) = email {
                identities.push((IdentityKind::Email, e));
            }
            if let Some(p) = phone {
                identities.push((IdentityKind::Phone, p));
            }
            CustomerRef::New(NewCustomer {
                name: f.customer_name.clone(),
                profile: CustomerProfile {
                    age_band: None::<AgeBand>,
                    tech_appetite: None,
                    value_tier: None,
                    contract_tier: ContractTier::Standard,
                    language: language.unwrap_or(Language::Fr),
                    preferred_channel: channel,
                },
                identities,
            })
        }
    };
    let assignee = if f.assign_me.is_some() {
        Some(user.user.id)
    } else {
        None
    };
    if assignee.is_some() {
        user.actor.may_assign(tenant.id, assignee)?;
    }
    let new = NewConversation {
        customer,
        subject: f.subject,
        channel: channel.unwrap_or(Channel::Phone),
        direction: Direction::Inbound,
        body: f.body,
        priority: priority.unwrap_or(Priority::Normal),
        reason: None,
        tags: Vec::new(),
        team_id,
        assignee_id: assignee,
        language,
        attachments: Vec::new(),
        at: None,
    };
    let c = state
        .store
        .create_conversation(tenant.id, new, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{}/c/{}", tenant.slug, c.number)).into_response())
}
