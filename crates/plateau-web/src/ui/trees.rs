//! Diagnostic trees in the desk: the list with import, the outline editor
//! (assets/trees.js) with publishing and versions, the diff between versions,
//! path analytics with charts, and the runner panel inside a conversation.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::model::{Conversation, Tenant};
use plateau_core::policy::Action;
use plateau_core::tree::{
    Field, FieldKind, MediaKind, MediaSource, Outcome, SessionAction, Step, StepView, TreeDiff,
};
use plateau_core::DomainError;
use serde::Deserialize;
use uuid::Uuid;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::trees as api;
use crate::auth::CurrentUser;
use crate::error::{UiError, WebError};
use crate::i18n::Tr;
use crate::svg::StackedBars;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/trees", get(list).post(create))
        .route("/t/{tenant}/trees/{id}", get(edit))
        .route("/t/{tenant}/trees/{id}/meta", post(save_meta))
        .route("/t/{tenant}/trees/{id}/publish", post(publish))
        .route("/t/{tenant}/trees/{id}/diff", get(diff))
        .route(
            "/t/{tenant}/trees/{id}/versions/{version}/analytics",
            get(analytics),
        )
        .route("/t/{tenant}/c/{number}/trees/start", post(start))
        .route("/t/{tenant}/c/{number}/trees/{session}", post(act))
}

fn ui_err(e: WebError) -> UiError {
    e.into()
}

// ---- list -------------------------------------------------------------------

struct TreeRow {
    href: String,
    title: String,
    state: &'static str,
    state_label: String,
    reasons: String,
    products: String,
    updated: String,
    analytics_href: String,
}

#[derive(Template)]
#[template(path = "trees_list.html")]
struct ListPage {
    tr: Tr,
    layout: Layout,
    rows: Vec<TreeRow>,
    can_author: bool,
    error: String,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    error: String,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let can_author = user.actor.can(tenant.id, Action::AuthorTrees);
    let can_stats = user.actor.can(tenant.id, Action::ViewTreeAnalytics);
    let base = format!("/t/{}/trees", tenant.slug);
    let rows = state
        .store
        .trees(tenant.id)
        .await?
        .into_iter()
        .filter(|t| can_author || t.published_version > 0)
        .map(|t| TreeRow {
            href: format!("{base}/{}", t.id),
            state: if t.published_version > 0 {
                "validated"
            } else {
                "wip"
            },
            state_label: if t.published_version > 0 {
                format!("{} v{}", tr.t("trees.published"), t.published_version)
            } else {
                tr.t("trees.draft_only").to_string()
            },
            reasons: t.reasons.join(", "),
            products: t.products.join(", "),
            updated: tr.datetime(t.updated_at),
            analytics_href: if can_stats && t.published_version > 0 {
                format!("{base}/{}/versions/{}/analytics", t.id, t.published_version)
            } else {
                String::new()
            },
            title: t.title,
        })
        .collect();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "trees",
        tr.t("trees.title").to_string(),
        "",
    )
    .await?;
    render(&ListPage {
        tr,
        layout,
        rows,
        can_author,
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::RunTrees).await?;
    list_page(&state, &user, &tenant, String::new()).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    title: String,
}

pub async fn create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<CreateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    match api::create_draft(&state, &user, &tenant, &f.title, &[], &[], None).await {
        Ok(rec) => Ok(Redirect::to(&format!("/t/{slug}/trees/{}", rec.id)).into_response()),
        Err(WebError::Domain(DomainError::Invalid(errs))) => {
            let msg = errs
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; ");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(&state, &user, &tenant, msg).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- editor -----------------------------------------------------------------

struct VersionRow {
    version: i64,
    when: String,
    by: String,
    diff_href: String,
    analytics_href: String,
    export_base: String,
}

#[derive(Template)]
#[template(path = "tree_edit.html")]
struct EditPage {
    tr: Tr,
    layout: Layout,
    id: String,
    title: String,
    base: String,
    api_base: String,
    revision: i64,
    published_version: i64,
    /// The draft JSON, safe inside a `<script>` element.
    draft_json: String,
    readonly: bool,
    can_publish: bool,
    can_stats: bool,
    reasons: String,
    products: String,
    versions: Vec<VersionRow>,
    problems: Vec<String>,
    notice: String,
    /// Media files of the brand: (key, type, size in KiB).
    media: Vec<(String, String, i64)>,
}

/// `</` would end the script element early; JSON allows `<\/` for it.
fn script_safe(json: &str) -> String {
    json.replace("</", "<\\/").replace("<!--", "<\\!--")
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    published: Option<i64>,
    #[serde(default)]
    saved: Option<i64>,
}

async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    id: &str,
    problems: Vec<String>,
    notice: String,
) -> Result<Response, UiError> {
    let (_, rec) = api::load_tree(state, user, &tenant.slug, id, Action::RunTrees).await?;
    let tr = Tr::new(user.user.locale);
    let base = format!("/t/{}/trees/{}", tenant.slug, rec.id);
    let api_base = format!("/api/v1/tenants/{}/trees", tenant.slug);
    let names: BTreeMap<Uuid, String> = state
        .store
        .members(tenant.id)
        .await?
        .into_iter()
        .map(|m| (m.user.id, m.user.display_name))
        .collect();
    let can_stats = user.actor.can(tenant.id, Action::ViewTreeAnalytics);
    let versions = state
        .store
        .tree_versions(tenant.id, rec.id)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            when: tr.datetime(v.published_at),
            by: v
                .published_by
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_default(),
            diff_href: format!("{base}/diff?from={}&to=draft", v.version),
            analytics_href: format!("{base}/versions/{}/analytics", v.version),
            export_base: format!("{api_base}/{}/export?version={}", rec.id, v.version),
        })
        .collect();
    let media = state
        .store
        .blobs(tenant.id)
        .await?
        .into_iter()
        .map(|b| (b.key, b.content_type, (b.size_bytes + 1023) / 1024))
        .collect();
    let layout = Layout::new(state, user, Some(tenant), "trees", rec.title.clone(), "").await?;
    render(&EditPage {
        media,
        tr,
        layout,
        id: rec.id.to_string(),
        title: rec.title.clone(),
        base,
        api_base,
        revision: rec.revision,
        published_version: rec.published_version,
        draft_json: script_safe(&rec.draft),
        readonly: !user.actor.can(tenant.id, Action::AuthorTrees),
        can_publish: user.actor.can(tenant.id, Action::PublishTrees),
        can_stats,
        reasons: rec.reasons.join(", "),
        products: rec.products.join(", "),
        versions,
        problems,
        notice,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::RunTrees).await?;
    let tr = Tr::new(user.user.locale);
    let notice = match (q.published, q.saved) {
        (Some(v), _) => format!("{} v{v}", tr.t("trees.published_now")),
        (None, Some(_)) => tr.t("trees.meta_saved").to_string(),
        _ => String::new(),
    };
    edit_page(&state, &user, &tenant, &id, Vec::new(), notice).await
}

#[derive(Deserialize)]
pub struct MetaForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    revision: i64,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    products: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).collect()
}

pub async fn save_meta(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<MetaForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, rec) = api::load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    let tree = plateau_core::tree::Tree::from_json(&rec.draft)
        .map_err(|e| ui_err(WebError::Internal(anyhow::anyhow!("stored tree: {e}"))))?;
    let body = api::DraftIn {
        expected_revision: f.revision,
        tree,
        reasons: Some(split_list(&f.reasons)),
        products: Some(split_list(&f.products)),
    };
    match api::save_draft(&state, &user, &tenant, &rec, body).await {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/t/{slug}/trees/{}?saved={}",
            rec.id, saved.revision
        ))
        .into_response()),
        Err(WebError::Domain(DomainError::Conflict(m))) => Ok((
            StatusCode::CONFLICT,
            edit_page(&state, &user, &tenant, &id, vec![m], String::new()).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    revision: i64,
}

pub async fn publish(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<PublishForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, rec) = api::load_tree(&state, &user, &slug, &id, Action::PublishTrees).await?;
    let problems = match api::publish_draft(&state, &user, &tenant, &rec, f.revision).await {
        Ok(v) => {
            return Ok(
                Redirect::to(&format!("/t/{slug}/trees/{}?published={v}", rec.id)).into_response(),
            )
        }
        Err(WebError::Domain(DomainError::Invalid(errs))) => errs
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect(),
        Err(WebError::Domain(DomainError::Conflict(m))) => vec![m],
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        edit_page(&state, &user, &tenant, &id, problems, String::new()).await?,
    )
        .into_response())
}

// ---- diff -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tree_diff.html")]
struct DiffPage {
    tr: Tr,
    layout: Layout,
    title: String,
    base: String,
    from: String,
    to: String,
    choices: Vec<String>,
    diff: TreeDiff,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

pub async fn diff(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, UiError> {
    let (tenant, rec) = api::load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    let tr = Tr::new(user.user.locale);
    let latest = rec.published_version.max(1).to_string();
    let from = q.from.unwrap_or(latest);
    let to = q.to.unwrap_or_else(|| "draft".into());
    let old = api::tree_at(&state, &tenant, &rec, &from).await?;
    let new = api::tree_at(&state, &tenant, &rec, &to).await?;
    let mut choices: Vec<String> = (1..=rec.published_version)
        .rev()
        .map(|v| v.to_string())
        .collect();
    choices.insert(0, "draft".into());
    let layout = Layout::new(&state, &user, Some(&tenant), "trees", rec.title.clone(), "").await?;
    render(&DiffPage {
        tr,
        layout,
        title: rec.title.clone(),
        base: format!("/t/{slug}/trees/{}", rec.id),
        from,
        to,
        choices,
        diff: plateau_core::tree::diff(&old, &new),
    })
}

// ---- analytics --------------------------------------------------------------

struct NodeRow {
    title: String,
    id: String,
    visits: u64,
    reached: u64,
    dropped: u64,
    drop_rate: String,
    median: String,
}

struct PathRow {
    nodes: String,
    count: u64,
    share: String,
}

#[derive(Template)]
#[template(path = "tree_analytics.html")]
struct AnalyticsPage {
    tr: Tr,
    layout: Layout,
    title: String,
    version: i64,
    base: String,
    csv_href: String,
    window_days: u32,
    sessions: u64,
    completion: String,
    resolution: String,
    returns_rate: String,
    returns: u64,
    resolved: u64,
    outcome_chart: String,
    dropoff_chart: String,
    nodes: Vec<NodeRow>,
    paths: Vec<PathRow>,
}

#[derive(Deserialize)]
pub struct AnalyticsQuery {
    #[serde(default)]
    window_days: Option<u32>,
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

pub async fn analytics(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id, version)): Path<(String, String, i64)>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, UiError> {
    let (tenant, rec) =
        api::load_tree(&state, &user, &slug, &id, Action::ViewTreeAnalytics).await?;
    let window = q.window_days.unwrap_or(7).clamp(1, 90);
    let a = api::version_analytics(&state.store, tenant.id, rec.id, version, window).await?;
    let tr = Tr::new(user.user.locale);
    let titles: BTreeMap<&str, &str> = a
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.title.as_str()))
        .collect();
    let outcome_chart = StackedBars {
        title: tr.t("trees.outcomes"),
        rows: vec![(
            format!("v{version}"),
            vec![
                (a.resolved as i64, "seg-resolved"),
                (a.escalated as i64, "seg-escalated"),
                (a.unresolved as i64, "seg-unresolved"),
                (a.abandoned as i64, "seg-abandoned"),
            ],
        )],
        legend: vec![
            (tr.e("outcome", "resolved"), "seg-resolved"),
            (tr.e("outcome", "escalated"), "seg-escalated"),
            (tr.e("outcome", "unresolved"), "seg-unresolved"),
            (tr.t("trees.abandoned").to_string(), "seg-abandoned"),
        ],
    }
    .render();
    let mut by_drop: Vec<_> = a.nodes.iter().filter(|n| n.reached > 0).collect();
    by_drop.sort_by(|x, y| y.dropped_here.cmp(&x.dropped_here).then(x.id.cmp(&y.id)));
    let dropoff_chart = StackedBars {
        title: tr.t("trees.dropoff"),
        rows: by_drop
            .iter()
            .take(12)
            .map(|n| {
                (
                    n.title.clone(),
                    vec![
                        (n.dropped_here as i64, "seg-abandoned"),
                        (
                            n.reached.saturating_sub(n.dropped_here) as i64,
                            "seg-resolved",
                        ),
                    ],
                )
            })
            .collect(),
        legend: vec![
            (tr.t("trees.dropped").to_string(), "seg-abandoned"),
            (tr.t("trees.went_on").to_string(), "seg-resolved"),
        ],
    }
    .render();
    let nodes = a
        .nodes
        .iter()
        .map(|n| NodeRow {
            title: n.title.clone(),
            id: n.id.clone(),
            visits: n.visits,
            reached: n.reached,
            dropped: n.dropped_here,
            drop_rate: pct(n.drop_off_rate),
            // An outcome node is where the walk ends: no time is spent there.
            median: n
                .median_ms
                .filter(|ms| *ms > 0.0 || n.finished_here < n.reached)
                .map(|ms| format!("{:.1} s", ms / 1000.0))
                .unwrap_or_else(|| tr.t("empty.dash").to_string()),
        })
        .collect();
    let paths = a
        .top_paths
        .iter()
        .map(|p| PathRow {
            nodes: p
                .nodes
                .iter()
                .map(|id| titles.get(id.as_str()).copied().unwrap_or(id.as_str()))
                .collect::<Vec<_>>()
                .join(" → "),
            count: p.count,
            share: pct(p.share),
        })
        .collect();
    let base = format!("/t/{slug}/trees/{}", rec.id);
    let layout = Layout::new(&state, &user, Some(&tenant), "trees", rec.title.clone(), "").await?;
    render(&AnalyticsPage {
        tr,
        layout,
        title: rec.title.clone(),
        version,
        csv_href: format!(
            "/api/v1/tenants/{slug}/trees/{}/versions/{version}/analytics?format=csv&window_days={window}",
            rec.id
        ),
        base,
        window_days: window,
        sessions: a.sessions,
        completion: pct(a.completion_rate),
        resolution: pct(a.resolution_rate),
        returns_rate: pct(a.returns.rate),
        returns: a.returns.returns,
        resolved: a.returns.resolved_sessions,
        outcome_chart,
        dropoff_chart,
        nodes,
        paths,
    })
}

// ---- the runner panel in a conversation -----------------------------------

pub struct RunnerField {
    pub name: String,
    pub label: String,
    pub help: String,
    /// `text`, `number`, `checkbox`, `select`, `date`, `email` or `tel`.
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub checked: bool,
    pub options: Vec<(String, String, bool)>,
}

pub struct RunnerMedia {
    /// `image`, `audio`, `video` or `link`.
    pub kind: &'static str,
    pub src: String,
    pub alt: String,
}

/// One running session as the panel shows it.
pub struct RunnerView {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub revision: i64,
    pub step_title: String,
    /// The screen's Markdown as safe HTML, for the panel.
    pub html: String,
    /// The same without markup, for "insert into the reply".
    pub text: String,
    pub media: Vec<RunnerMedia>,
    /// `question`, `instruction`, `form`, `solution`.
    pub kind: &'static str,
    pub answers: Vec<String>,
    pub fields: Vec<RunnerField>,
    pub article_href: String,
    pub can_go_back: bool,
    /// For a finished walk: its outcome, and who it was handed to and why.
    pub outcome_label: String,
    pub handoff: String,
}

pub struct TreeChoice {
    pub id: String,
    pub title: String,
    pub matched: String,
}

/// What the conversation page's diagnosis panel shows; None when the person
/// may not run trees.
pub struct RunnerPanel {
    /// Walks in progress, or the one that just ended.
    pub running: Vec<RunnerView>,
    /// True when nothing is in progress, so another tree may be started.
    pub finished_only: bool,
    pub suggested: Vec<TreeChoice>,
    pub others: Vec<TreeChoice>,
    pub error: String,
}

fn field_view(f: &Field, values: &BTreeMap<String, plateau_core::tree::Value>) -> RunnerField {
    let value = values
        .get(&f.name)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let (input, options) = match &f.kind {
        FieldKind::Text { .. } => ("text", Vec::new()),
        FieldKind::Number { .. } => ("number", Vec::new()),
        FieldKind::Boolean => ("checkbox", Vec::new()),
        FieldKind::Choice { options } => (
            "select",
            options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone(), o.value == value))
                .collect(),
        ),
        FieldKind::Date => ("date", Vec::new()),
        FieldKind::Email => ("email", Vec::new()),
        FieldKind::Phone => ("tel", Vec::new()),
    };
    RunnerField {
        name: f.name.clone(),
        label: f.label.clone(),
        help: f.help.clone(),
        input,
        required: f.required,
        checked: value == "true",
        value,
        options,
    }
}

fn runner_view(slug: &str, tr: &Tr, out: &api::SessionOut) -> RunnerView {
    let step: &Step = &out.step;
    let (mut outcome_label, mut handoff) = (String::new(), String::new());
    if let StepView::Finished {
        outcome,
        handoff: h,
        ..
    } = &step.view
    {
        outcome_label = tr.e("outcome", outcome.as_str());
        if let Some(h) = h {
            let target = match &h.target {
                plateau_core::tree::EscalationTarget::Queue(q) => q.clone(),
                plateau_core::tree::EscalationTarget::Tier(t) => tr.e("tier", t.as_str()),
            };
            handoff = format!("{} {target}: {}", tr.t("trees.handoff"), h.reason);
        }
    }
    let (kind, answers, fields, article) = match &step.view {
        StepView::Question { answers } => ("question", answers.clone(), Vec::new(), None),
        StepView::Instruction => ("instruction", Vec::new(), Vec::new(), None),
        StepView::Form { fields, values } => (
            "form",
            Vec::new(),
            fields.iter().map(|f| field_view(f, values)).collect(),
            None,
        ),
        StepView::Solution { article_id } => {
            ("solution", Vec::new(), Vec::new(), article_id.clone())
        }
        StepView::Finished { article_id, .. } => {
            ("finished", Vec::new(), Vec::new(), article_id.clone())
        }
    };
    RunnerView {
        id: out.id.to_string(),
        title: out.title.clone(),
        version: out.version,
        revision: out.revision,
        step_title: step.title.clone(),
        html: crate::markdown::to_html(&step.text),
        text: crate::markdown::to_plain_text(&step.text),
        media: step
            .media
            .iter()
            .map(|m| RunnerMedia {
                kind: match m.kind {
                    MediaKind::Image => "image",
                    MediaKind::Audio => "audio",
                    MediaKind::Video => "video",
                    MediaKind::Link => "link",
                },
                src: match &m.source {
                    MediaSource::Blob(key) => format!("/api/v1/tenants/{slug}/blobs/{key}"),
                    MediaSource::Url(u) => u.clone(),
                },
                alt: m.alt.clone(),
            })
            .collect(),
        kind,
        answers,
        fields,
        article_href: article
            .map(|a| format!("/t/{slug}/kb/{a}"))
            .unwrap_or_default(),
        can_go_back: step.can_go_back,
        outcome_label,
        handoff,
    }
}

/// The panel for a conversation: running sessions and trees to start.
pub async fn panel(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    c: &Conversation,
    error: String,
) -> Result<Option<RunnerPanel>, WebError> {
    if !user.actor.can(tenant.id, Action::RunTrees) {
        return Ok(None);
    }
    let tr = Tr::new(user.user.locale);
    let sessions = state
        .store
        .conversation_tree_sessions(tenant.id, c.id)
        .await?;
    // A walk that just ended stays on screen with its last step: a final
    // solution's text is what the advisor reads out or inserts in the reply.
    let recent = plateau_core::Timestamp::now().0 - 2 * 3_600_000_000;
    let showing: Vec<_> = if sessions.iter().any(|r| r.finished_at.is_none()) {
        sessions
            .into_iter()
            .filter(|r| r.finished_at.is_none())
            .collect()
    } else {
        sessions
            .into_iter()
            .rev()
            .take(1)
            .filter(|r| r.finished_at.is_some_and(|t| t.0 > recent))
            .collect()
    };
    let mut running = Vec::new();
    for r in showing {
        let walk = api::load_walk(state, tenant, r).await?;
        running.push(runner_view(&tenant.slug, &tr, &walk.out()?));
    }
    let (suggested, others) = api::suggestions_for(state, tenant, c)
        .await?
        .into_iter()
        .map(|s| TreeChoice {
            id: s.tree_id.to_string(),
            title: s.title,
            matched: s.matched,
        })
        .partition(|t| !t.matched.is_empty());
    let finished_only = running.iter().all(|r| r.kind == "finished");
    Ok(Some(RunnerPanel {
        finished_only,
        running,
        suggested,
        others,
        error,
    }))
}

async fn conversation_of(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    number: &str,
) -> Result<(Tenant, Conversation), WebError> {
    let tenant = crate::api::tenant_for(state, user, slug, Action::RunTrees).await?;
    let n: i64 = number
        .parse()
        .map_err(|_| WebError::Domain(DomainError::NotFound("conversation")))?;
    let c = state.store.conversation_by_number(tenant.id, n).await?;
    Ok((tenant, c))
}

/// Back to the conversation's panel; an advisor's mistake travels in the
/// query so the page can say what to fix.
fn back_to(slug: &str, number: &str, error: Option<String>) -> Response {
    let mut url = format!("/t/{slug}/c/{number}");
    if let Some(e) = error {
        url.push_str(&format!(
            "?tree_error={}",
            super::percent_encode(&e, b"-_.~")
        ));
    }
    url.push_str("#tree-panel");
    Redirect::to(&url).into_response()
}

fn advisor_message(e: &WebError) -> Option<String> {
    match e {
        WebError::Domain(DomainError::Invalid(errs)) => Some(
            errs.iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        WebError::Domain(DomainError::Conflict(m)) => Some(m.clone()),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    tree_id: String,
}

pub async fn start(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number)): Path<(String, String)>,
    Form(f): Form<StartForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let (tenant, c) = conversation_of(&state, &user, &slug, &number).await?;
    let tree_id = crate::api::parse_id(&f.tree_id, "tree")?;
    match api::start_walk(&state, &user, &tenant, &c, tree_id).await {
        Ok(_) => Ok(back_to(&slug, &number, None)),
        Err(e) => match advisor_message(&e) {
            Some(m) => Ok(back_to(&slug, &number, Some(m))),
            None => Err(e.into()),
        },
    }
}

pub async fn act(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, number, session)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    user.check_csrf(get("_csrf"))?;
    let (tenant, c) = conversation_of(&state, &user, &slug, &number).await?;
    let (_, walk) = api::walk_for(&state, &user, &slug, &session).await?;
    if walk.record.conversation_id != c.id {
        return Err(ui_err(WebError::Domain(DomainError::NotFound(
            "tree session",
        ))));
    }
    let revision: i64 = get("revision").parse().unwrap_or(-1);
    let action = match get("action") {
        "answer" => match get("index").parse() {
            Ok(index) => SessionAction::Answer { index },
            Err(_) => return Ok(back_to(&slug, &number, Some("choose an answer".into()))),
        },
        "submit" => SessionAction::Submit {
            // Form fields travel as `f.<name>`; a checkbox is absent when off.
            values: form
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("f.").map(|n| (n.to_string(), v.clone())))
                .collect(),
        },
        "proceed" => SessionAction::Proceed,
        "back" => SessionAction::Back,
        "restart" => SessionAction::Restart,
        "stop" => match get("outcome") {
            "resolved" => SessionAction::Stop {
                outcome: Outcome::Resolved,
            },
            "escalated" => SessionAction::Stop {
                outcome: Outcome::Escalated,
            },
            _ => SessionAction::Stop {
                outcome: Outcome::Unresolved,
            },
        },
        _ => return Ok(back_to(&slug, &number, Some("unknown action".into()))),
    };
    match api::act(&state, &user, &tenant, walk, revision, &action).await {
        Ok(_) => Ok(back_to(&slug, &number, None)),
        Err(e) => match advisor_message(&e) {
            Some(m) => Ok(back_to(&slug, &number, Some(m))),
            None => Err(e.into()),
        },
    }
}

/// A timeline line for a tree event on the conversation, in the reader's
/// language; None for other events.
pub fn timeline_line(tr: &Tr, kind: &str, payload: &serde_json::Value) -> Option<String> {
    let title = payload.get("title").and_then(|t| t.as_str()).unwrap_or("");
    let version = payload.get("version").and_then(|v| v.as_i64()).unwrap_or(0);
    match kind {
        plateau_core::event::kind::TREE_SESSION_STARTED => {
            Some(format!("{} « {title} » v{version}", tr.t("trees.started")))
        }
        plateau_core::event::kind::TREE_SESSION_FINISHED => {
            let summary: plateau_core::tree::WalkSummary =
                serde_json::from_value(payload.get("summary")?.clone()).ok()?;
            let mut parts = vec![format!(
                "{} « {title} » v{version} — {}",
                tr.t("trees.finished"),
                summary
                    .outcome
                    .map(|o| tr.e("outcome", o.as_str()))
                    .unwrap_or_default()
            )];
            for a in &summary.answers {
                parts.push(format!("{} → {}", a.question, a.answer));
            }
            if !summary.values.is_empty() {
                parts.push(
                    summary
                        .values
                        .iter()
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if let Some(h) = &summary.handoff {
                let target = match &h.target {
                    plateau_core::tree::EscalationTarget::Queue(q) => q.clone(),
                    plateau_core::tree::EscalationTarget::Tier(t) => tr.e("tier", t.as_str()),
                };
                parts.push(format!("{} {target}: {}", tr.t("trees.handoff"), h.reason));
            }
            Some(parts.join("\n"))
        }
        _ => None,
    }
}
