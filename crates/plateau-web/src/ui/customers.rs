//! The customer card (every channel's history in one timeline, identities,
//! merges and their undo) and the page that logs a letter from its scan.

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use plateau_core::event::kind;
use plateau_core::model::{Direction, IdentityKind};
use plateau_core::policy::Action;
use plateau_core::{DomainError, Timestamp};
use plateau_store::conversations::InboxFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::{render, tenant_for, Choice, Layout, UiUser};
use crate::api::letters;
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::AppState;

#[derive(Template)]
#[template(path = "letter_new.html")]
struct LetterPage {
    tr: Tr,
    layout: Layout,
    /// The hint with the size limit in it.
    hint: String,
}

pub async fn letter_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    let tr = Tr::new(user.user.locale);
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "new",
        tr.t("letter.title").to_string(),
        "",
    )
    .await?;
    let mib = plateau_core::channels::letter::MAX_SCAN_BYTES / (1024 * 1024);
    render(&LetterPage {
        hint: tr.t("letter.hint").replace("{n}", &mib.to_string()),
        tr,
        layout,
    })
}

pub async fn letter_create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    let f = letters::read_form(form.map_err(letters::multipart_rejection)?).await?;
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    let conv = letters::create_letter(&state, &user, &tenant, f).await?;
    Ok(Redirect::to(&format!("/t/{}/c/{}", tenant.slug, conv.number)).into_response())
}

pub struct CardItem {
    pub channel: &'static str,
    pub channel_label: String,
    pub conversation_href: String,
    pub number: i64,
    pub author: String,
    pub body: String,
    pub when: String,
    pub when_iso: String,
    pub links: Vec<(String, String)>,
}

pub struct MergeRow {
    pub id: String,
    /// Merged into this card, or this customer merged into another.
    pub into_this: bool,
    pub other_href: String,
    pub other_name: String,
    pub summary: String,
    pub when: String,
    pub undone: bool,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    tr: Tr,
    layout: Layout,
    id: String,
    name: String,
    merged_into: Option<(String, String)>,
    identities: Vec<(String, String)>,
    kinds: Vec<Choice>,
    timeline: Vec<CardItem>,
    can_edit: bool,
    q: String,
    candidates: Vec<(String, String, String)>,
    merges: Vec<MergeRow>,
}

#[derive(Deserialize, Default)]
pub struct CardQuery {
    #[serde(default)]
    q: String,
}

fn icon(channel: &str) -> &'static str {
    match channel {
        "email" => "✉",
        "phone" => "☎",
        "chat" => "💬",
        "social" => "#",
        "letter" => "📄",
        _ => "•",
    }
}

pub async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<CardQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewCustomers).await?;
    let t = tenant.id;
    let id =
        Uuid::parse_str(&id).map_err(|_| WebError::Domain(DomainError::NotFound("customer")))?;
    let customer = state.store.customer(t, id).await?;
    let tr = Tr::new(user.user.locale);
    let a = &user.actor;
    let notes = a.can(t, Action::ViewInternalNotes);
    let can_edit = a.can(t, Action::EditCustomers);
    let members = state.store.members(t).await?;
    let name_of = |uid: Option<Uuid>| {
        uid.and_then(|u| members.iter().find(|m| m.user.id == u))
            .map(|m| m.user.display_name.clone())
            .unwrap_or_else(|| tr.t("conv.system").to_string())
    };
    let f = InboxFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    let convs = state.store.conversations(t, &f, None, 50).await?.items;
    let mut timeline: Vec<(Timestamp, CardItem)> = Vec::new();
    for c in &convs {
        let href = format!("/t/{}/c/{}", tenant.slug, c.number);
        for m in state.store.messages(t, c.id, notes).await? {
            let author = if m.direction == Direction::Inbound {
                customer.name.clone()
            } else {
                name_of(m.author_id)
            };
            timeline.push((
                m.created_at,
                CardItem {
                    channel: icon(m.channel.as_str()),
                    channel_label: tr.e("channel", m.channel.as_str()),
                    conversation_href: href.clone(),
                    number: c.number,
                    author,
                    body: m.body.chars().take(600).collect(),
                    when: tr.datetime(m.created_at),
                    when_iso: m.created_at.rfc3339(),
                    links: Vec::new(),
                },
            ));
        }
        for ev in state.store.subject_events(t, c.id).await? {
            if ev.kind != kind::CALL_EVENT {
                continue;
            }
            let (body, link) = crate::api::cti::timeline_line(&tr, &tenant.slug, &ev.payload);
            timeline.push((
                ev.created_at,
                CardItem {
                    channel: icon("phone"),
                    channel_label: tr.e("channel", "phone"),
                    conversation_href: href.clone(),
                    number: c.number,
                    author: tr.t("conv.system").to_string(),
                    body,
                    when: tr.datetime(ev.created_at),
                    when_iso: ev.created_at.rfc3339(),
                    links: link.into_iter().collect(),
                },
            ));
        }
    }
    timeline.sort_by_key(|x| std::cmp::Reverse(x.0));

    let merged_into = match state.store.merged_into(t, id).await? {
        Some(other) => {
            let n = state.store.customer(t, other).await?.name;
            Some((format!("/t/{}/customers/{other}", tenant.slug), n))
        }
        None => None,
    };
    let mut merges = Vec::new();
    for m in state.store.merges(t, id).await? {
        let into_this = m.survivor_id == id;
        let other = if into_this {
            m.merged_id
        } else {
            m.survivor_id
        };
        let other_name = state.store.customer(t, other).await?.name;
        merges.push(MergeRow {
            id: m.id.to_string(),
            into_this,
            other_href: format!("/t/{}/customers/{other}", tenant.slug),
            other_name,
            summary: tr
                .t("customer.merge_moved")
                .replace("{i}", &m.identities.len().to_string())
                .replace("{c}", &m.conversations.len().to_string()),
            when: tr.datetime(m.created_at),
            undone: m.undone_at.is_some(),
        });
    }
    let query = q.q.trim().to_string();
    let candidates = if can_edit && !query.is_empty() {
        state
            .store
            .customers(t, &query, None, 10)
            .await?
            .into_iter()
            .filter(|c| c.id != id)
            .map(|c| {
                let ids = c
                    .identities
                    .iter()
                    .map(|i| i.value.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                (c.id.to_string(), c.name, ids)
            })
            .collect()
    } else {
        Vec::new()
    };
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "inbox",
        customer.name.clone(),
        "",
    )
    .await?;
    render(&CustomerPage {
        identities: customer
            .identities
            .iter()
            .map(|i| (tr.e("identity", i.kind.as_str()), i.value.clone()))
            .collect(),
        kinds: Choice::list(
            IdentityKind::ALL,
            Some(IdentityKind::Phone),
            |k| k.as_str().into(),
            |k| tr.e("identity", k.as_str()),
        ),
        id: id.to_string(),
        name: customer.name,
        merged_into,
        timeline: timeline.into_iter().map(|(_, i)| i).collect(),
        can_edit,
        q: query,
        candidates,
        merges,
        tr,
        layout,
    })
}

#[derive(Deserialize)]
pub struct IdentityForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    kind: String,
    value: String,
}

pub async fn add_identity(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<IdentityForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let id =
        Uuid::parse_str(&id).map_err(|_| WebError::Domain(DomainError::NotFound("customer")))?;
    let kind: IdentityKind = f
        .kind
        .parse()
        .map_err(|m: String| WebError::Domain(DomainError::field("kind", m)))?;
    state
        .store
        .add_identity(tenant.id, id, kind, &f.value, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{}/customers/{id}", tenant.slug)).into_response())
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    from: String,
}

pub async fn merge(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<MergeForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let not_found = || WebError::Domain(DomainError::NotFound("customer"));
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let from = Uuid::parse_str(&f.from).map_err(|_| not_found())?;
    state
        .store
        .merge_customers(tenant.id, id, from, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{}/customers/{id}", tenant.slug)).into_response())
}

#[derive(Deserialize)]
pub struct UndoForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn undo(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, merge_id)): Path<(String, String, String)>,
    Form(f): Form<UndoForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let not_found = |w| WebError::Domain(DomainError::NotFound(w));
    let id = Uuid::parse_str(&id).map_err(|_| not_found("customer"))?;
    let merge_id = Uuid::parse_str(&merge_id).map_err(|_| not_found("merge"))?;
    state
        .store
        .undo_merge(tenant.id, id, merge_id, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{}/customers/{id}", tenant.slug)).into_response())
}
