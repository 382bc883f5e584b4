//! Diagnostic trees over HTTP: drafts with live validation, publishing,
//! versions and diffs, mind-map import and export, media, the runner inside a
//! conversation, and path analytics per published version. The domain lives
//! in `plateau_core::tree`; these handlers parse, authorise and store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use plateau_core::model::{Conversation, Tenant};
use plateau_core::policy::Action;
use plateau_core::tree::analytics::{
    report, return_stats, Analytics, Returns, SessionFacts, Trail,
};
use plateau_core::tree::interchange::{
    export_mm, export_opml, export_xmind, import_mm, import_opml, import_xmind,
};
use plateau_core::tree::tally::Tally;
use plateau_core::tree::{
    diff as tree_diff, validate, CustomerAttrs, Known, NodeKind, Path as WalkPath, Problem,
    Session, SessionAction, Severity, Step, Tree, TreeDiff, WalkSummary,
};
use plateau_core::{DomainError, FieldError, Timestamp};
use plateau_store::trees::{NewTree, TreeRecord, TreeSessionRecord, TreeVersion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// Mind-map files and media are larger than ordinary requests.
pub const UPLOAD_LIMIT_BYTES: usize = 9 * 1024 * 1024;

/// Media types a tree screen may show. No SVG or HTML: served from our
/// origin, they could run script.
pub const MEDIA_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "video/mp4",
    "video/webm",
];

// ---- shared helpers -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemOut {
    /// `error` blocks publishing; `warning` is advice.
    pub severity: &'static str,
    pub code: String,
    pub node: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOut {
    pub problems: Vec<ProblemOut>,
    pub publishable: bool,
}

fn problem_out(p: &Problem) -> ProblemOut {
    ProblemOut {
        severity: match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        code: serde_json::to_value(p.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        node: p.node.clone(),
        message: p.message.clone(),
    }
}

/// Validates against the tenant's media and published sub-trees.
pub async fn check(state: &AppState, tenant: &Tenant, tree: &Tree) -> Result<ReportOut, WebError> {
    let blobs: BTreeSet<String> = state
        .store
        .blobs(tenant.id)
        .await?
        .into_iter()
        .map(|b| b.key)
        .collect();
    let mut subtrees: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, v) in state.store.published_trees(tenant.id).await? {
        // A jump can only see what the sub-tree's forms set.
        let vars = match published_version(state, tenant.id, t.id, v.version).await {
            Ok(p) => p.vars.clone(),
            Err(_) => BTreeSet::new(),
        };
        subtrees.insert(t.id.to_string(), vars);
    }
    let report = validate(
        tree,
        Known {
            blobs: Some(&blobs),
            subtrees: Some(&subtrees),
        },
    );
    Ok(ReportOut {
        problems: report.problems.iter().map(problem_out).collect(),
        publishable: report.is_publishable(),
    })
}

/// A published version as the runner and the checks use it.
pub struct PublishedVersion {
    pub title: String,
    pub tree: Tree,
    /// The variables its forms set: all a jump into it can see.
    pub vars: BTreeSet<String>,
}

/// One published version, parsed once per process (see `Inner::published_trees`).
/// The key carries the tenant, so a cache hit never crosses tenants.
pub async fn published_version(
    state: &AppState,
    tenant_id: Uuid,
    tree_id: Uuid,
    version: i64,
) -> Result<Arc<PublishedVersion>, WebError> {
    let key = format!("{tenant_id}:{tree_id}:{version}");
    if let Some(hit) = state.published_trees.get(&key) {
        return Ok(hit);
    }
    let v = state
        .store
        .tree_version(tenant_id, tree_id, version)
        .await?;
    let tree = stored_tree(&v.body)?;
    let vars = tree
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Form { fields, .. } => Some(fields.iter().map(|f| f.name.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let out = Arc::new(PublishedVersion {
        title: v.title,
        tree,
        vars,
    });
    state.published_trees.put(key, out.clone());
    Ok(out)
}

fn stored_tree(text: &str) -> Result<Tree, WebError> {
    Tree::from_json(text)
        .map_err(|e| WebError::Internal(anyhow::anyhow!("stored tree does not parse: {e}")))
}

/// Trims, drops empties and duplicates: reasons and product codes as typed.
pub fn clean_keys(items: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().count() <= 100 && seen.insert(s.clone()))
        .collect()
}

// ---- trees ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeSummary {
    pub id: Uuid,
    pub title: String,
    pub reasons: Vec<String>,
    pub products: Vec<String>,
    pub revision: i64,
    /// 0 while never published.
    pub published_version: i64,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl From<&TreeRecord> for TreeSummary {
    fn from(t: &TreeRecord) -> Self {
        TreeSummary {
            id: t.id,
            title: t.title.clone(),
            reasons: t.reasons.clone(),
            products: t.products.clone(),
            revision: t.revision,
            published_version: t.published_version,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeOut {
    #[serde(flatten)]
    pub summary: TreeSummary,
    #[schema(value_type = Object)]
    pub draft: Tree,
    pub report: ReportOut,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees", tag = "trees", params(("tenant" = String, Path)), responses((status = 200, body = [TreeSummary]), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<TreeSummary>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::RunTrees).await?;
    let trees = state.store.trees(t.id).await?;
    // Advisors see what they can run; authors also see unpublished drafts.
    let authors = user.actor.can(t.id, Action::AuthorTrees);
    Ok(Json(
        trees
            .iter()
            .filter(|x| authors || x.published_version > 0)
            .map(TreeSummary::from)
            .collect(),
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTreeIn {
    pub title: String,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    /// The first draft; a one-question skeleton when absent.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tree: Option<Tree>,
}

/// A small valid start the author can grow: a question with two outcomes.
pub fn skeleton(title: &str) -> Tree {
    let json = serde_json::json!({
        "title": title,
        "root": "start",
        "nodes": [
            {"id": "start", "title": "Question", "kind": "question",
             "content": {"text": "What does the customer see?"},
             "answers": [{"label": "It works again", "target": "fixed"},
                         {"label": "Still broken", "target": "escalate"}]},
            {"id": "fixed", "title": "Resolved", "kind": "end", "outcome": "resolved", "content": {"text": ""}},
            {"id": "escalate", "title": "Level 2", "kind": "escalation", "target": {"tier": "n2"},
             "reason": "Not solved at level 1", "content": {"text": "Transfer to level 2."}}
        ]
    });
    serde_json::from_value(json).unwrap_or(Tree {
        title: title.to_string(),
        root: String::new(),
        nodes: Vec::new(),
    })
}

fn check_title(title: &str) -> Result<String, WebError> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(
            DomainError::field("title", "give the tree a title of 1 to 200 characters").into(),
        );
    }
    Ok(t.to_string())
}

/// Creates a draft; shared by the API, the list page and imports.
pub async fn create_draft(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    title: &str,
    reasons: &[String],
    products: &[String],
    tree: Option<Tree>,
) -> Result<TreeRecord, WebError> {
    let title = check_title(title)?;
    let mut tree = tree.unwrap_or_else(|| skeleton(&title));
    tree.title = title.clone();
    let json = tree.to_json();
    Tree::from_json(&json).map_err(|e| DomainError::field("tree", e.to_string()))?;
    Ok(state
        .store
        .create_tree(
            tenant.id,
            &NewTree {
                title: &title,
                reasons: &clean_keys(reasons),
                products: &clean_keys(products),
                draft: &json,
            },
            Some(user.user.id),
        )
        .await?)
}

async fn tree_out(
    state: &AppState,
    tenant: &Tenant,
    rec: &TreeRecord,
) -> Result<TreeOut, WebError> {
    let draft = stored_tree(&rec.draft)?;
    let report = check(state, tenant, &draft).await?;
    Ok(TreeOut {
        summary: rec.into(),
        draft,
        report,
    })
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/trees", tag = "trees", params(("tenant" = String, Path)), request_body = NewTreeIn, responses((status = 201, body = TreeOut), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewTreeIn>,
) -> Result<(StatusCode, Json<TreeOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    let rec = create_draft(
        &state,
        &user,
        &t,
        &body.title,
        &body.reasons,
        &body.products,
        body.tree,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(tree_out(&state, &t, &rec).await?)))
}

/// The tenant and the tree, for a caller allowed `action` on trees. Drafts
/// are the authors' business: others only reach published trees.
pub async fn load_tree(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
    action: Action,
) -> Result<(Tenant, TreeRecord), WebError> {
    let t = tenant_for(state, user, slug, action).await?;
    let rec = state.store.tree(t.id, parse_id(id, "tree")?).await?;
    if rec.published_version == 0 && !user.actor.can(t.id, Action::AuthorTrees) {
        return Err(DomainError::NotFound("tree").into());
    }
    Ok((t, rec))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = TreeOut), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<TreeOut>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    Ok(Json(tree_out(&state, &t, &rec).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    /// The revision this edit started from; a newer one answers 409.
    pub expected_revision: i64,
    #[schema(value_type = Object)]
    pub tree: Tree,
    /// Unchanged when absent.
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
    #[serde(default)]
    pub products: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftSaved {
    pub revision: i64,
    #[serde(flatten)]
    pub report: ReportOut,
}

/// Saves a draft whatever its problems (drafts may be unfinished) and
/// returns them; shared by the API and the editor page.
pub async fn save_draft(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    rec: &TreeRecord,
    body: DraftIn,
) -> Result<DraftSaved, WebError> {
    let title = check_title(&body.tree.title)?;
    let mut tree = body.tree;
    tree.title = title.clone();
    let json = tree.to_json();
    // The same limits as a stored document: refuse what could not be read back.
    Tree::from_json(&json).map_err(|e| DomainError::field("tree", e.to_string()))?;
    let report = check(state, tenant, &tree).await?;
    let reasons = clean_keys(body.reasons.as_ref().unwrap_or(&rec.reasons));
    let products = clean_keys(body.products.as_ref().unwrap_or(&rec.products));
    let revision = state
        .store
        .save_tree_draft(
            tenant.id,
            rec.id,
            body.expected_revision,
            &NewTree {
                title: &title,
                reasons: &reasons,
                products: &products,
                draft: &json,
            },
            Some(user.user.id),
        )
        .await?;
    Ok(DraftSaved { revision, report })
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/trees/{id}/draft", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), request_body = DraftIn, responses((status = 200, body = DraftSaved), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_draft(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DraftIn>,
) -> Result<Json<DraftSaved>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    Ok(Json(save_draft(&state, &user, &t, &rec, body).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateIn {
    #[schema(value_type = Object)]
    pub tree: Tree,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/trees/validate", tag = "trees", params(("tenant" = String, Path)), request_body = ValidateIn, responses((status = 200, body = ReportOut), (status = 422, body = crate::error::Problem)))]
pub async fn validate_tree(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ValidateIn>,
) -> Result<Json<ReportOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    Ok(Json(check(&state, &t, &body.tree).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    /// The draft revision the author reviewed; a newer one answers 409.
    pub expected_revision: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    pub version: i64,
}

/// Publishes the draft if it has no errors; otherwise every error comes back
/// as a field named after its node and nothing changes.
pub async fn publish_draft(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    rec: &TreeRecord,
    expected_revision: i64,
) -> Result<i64, WebError> {
    let tree = stored_tree(&rec.draft)?;
    let report = check(state, tenant, &tree).await?;
    if !report.publishable {
        let errors = report
            .problems
            .iter()
            .filter(|p| p.severity == "error")
            .map(|p| {
                FieldError::new(
                    p.node.clone().unwrap_or_else(|| "tree".into()),
                    format!("{}: {}", p.code, p.message),
                )
            })
            .collect();
        return Err(DomainError::Invalid(errors).into());
    }
    Ok(state
        .store
        .publish_tree(
            tenant.id,
            rec.id,
            expected_revision,
            &rec.title,
            &rec.draft,
            Some(user.user.id),
        )
        .await?)
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/trees/{id}/publish", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), request_body = PublishIn, responses((status = 200, body = Published), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<PublishIn>,
) -> Result<Json<Published>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::PublishTrees).await?;
    let version = publish_draft(&state, &user, &t, &rec, body.expected_revision).await?;
    Ok(Json(Published { version }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub title: String,
    pub published_by: Option<Uuid>,
    #[schema(value_type = String)]
    pub published_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub tree: Option<Tree>,
}

fn version_out(v: &TreeVersion, with_body: bool) -> Result<VersionOut, WebError> {
    Ok(VersionOut {
        version: v.version,
        title: v.title.clone(),
        published_by: v.published_by,
        published_at: v.published_at,
        tree: if with_body {
            Some(stored_tree(&v.body)?)
        } else {
            None
        },
    })
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}/versions", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [VersionOut])))]
pub async fn versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<VersionOut>>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::RunTrees).await?;
    let list = state.store.tree_versions(t.id, rec.id).await?;
    Ok(Json(
        list.iter()
            .map(|v| version_out(v, false))
            .collect::<Result<_, _>>()?,
    ))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}/versions/{version}", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path), ("version" = i64, Path)), responses((status = 200, body = VersionOut), (status = 404, body = crate::error::Problem)))]
pub async fn version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id, version)): Path<(String, String, String)>,
) -> Result<Json<VersionOut>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::RunTrees).await?;
    let n = parse_version(&version)?;
    let v = state.store.tree_version(t.id, rec.id, n).await?;
    Ok(Json(version_out(&v, true)?))
}

fn parse_version(s: &str) -> Result<i64, WebError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(WebError::Domain(DomainError::NotFound("tree version")))
}

/// A version number or `draft`.
pub async fn tree_at(
    state: &AppState,
    tenant: &Tenant,
    rec: &TreeRecord,
    which: &str,
) -> Result<Tree, WebError> {
    if which == "draft" {
        return stored_tree(&rec.draft);
    }
    let n = parse_version(which)?;
    stored_tree(&state.store.tree_version(tenant.id, rec.id, n).await?.body)
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    pub from: String,
    #[serde(default = "draft_name")]
    pub to: String,
}

fn draft_name() -> String {
    "draft".into()
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}/diff", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path), ("from" = String, Query, description = "a version number or `draft`"), ("to" = Option<String>, Query, description = "a version number or `draft` (the default)")), responses((status = 200, body = Object)))]
pub async fn diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<TreeDiff>, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    let old = tree_at(&state, &t, &rec, &q.from).await?;
    let new = tree_at(&state, &t, &rec, &q.to).await?;
    Ok(Json(tree_diff(&old, &new)))
}

// ---- import and export ----------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// `mm`, `opml` or `xmind`.
    pub format: String,
    /// Defaults to the map's own title.
    #[serde(default)]
    pub title: Option<String>,
}

/// Reads a mind map in one of the three formats; hostile files are refused
/// by the core with a message naming the problem.
pub fn read_mind_map(format: &str, bytes: &[u8]) -> Result<Tree, WebError> {
    let tree = match format {
        "mm" => import_mm(bytes),
        "opml" => import_opml(bytes),
        "xmind" => import_xmind(bytes),
        _ => {
            return Err(DomainError::field("format", "choose mm, opml or xmind").into());
        }
    };
    tree.map_err(|e| WebError::Request {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_mind_map",
        detail: e.to_string(),
    })
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/trees/import", tag = "trees", params(("tenant" = String, Path), ("format" = String, Query, description = "mm, opml or xmind"), ("title" = Option<String>, Query)), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, body = TreeOut), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<TreeOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    let tree = read_mind_map(&q.format, &body)?;
    let title = q
        .title
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| tree.title.clone());
    let title = if title.trim().is_empty() {
        "Imported tree".to_string()
    } else {
        title
    };
    let rec = create_draft(&state, &user, &t, &title, &[], &[], Some(tree)).await?;
    Ok((StatusCode::CREATED, Json(tree_out(&state, &t, &rec).await?)))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub format: String,
    /// A version number or `draft` (the default).
    #[serde(default = "draft_name")]
    pub version: String,
}

/// A file name from the title: letters, digits and dashes only.
fn file_stem(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "tree".into()
    } else {
        s.chars().take(60).collect()
    }
}

pub fn write_mind_map(tree: &Tree, format: &str) -> Result<Response, WebError> {
    let invalid = |e: plateau_core::tree::interchange::InterchangeError| WebError::Request {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "cannot_export",
        detail: e.to_string(),
    };
    let (bytes, content_type, ext) = match format {
        "mm" => (
            export_mm(tree).map_err(invalid)?.into_bytes(),
            "application/x-freemind",
            "mm",
        ),
        "opml" => (
            export_opml(tree).map_err(invalid)?.into_bytes(),
            "text/x-opml; charset=utf-8",
            "opml",
        ),
        "xmind" => (
            export_xmind(tree).map_err(invalid)?,
            "application/vnd.xmind.workbook",
            "xmind",
        ),
        _ => return Err(DomainError::field("format", "choose mm, opml or xmind").into()),
    };
    let disposition = format!("attachment; filename=\"{}.{ext}\"", file_stem(&tree.title));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}/export", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path), ("format" = String, Query, description = "mm, opml or xmind"), ("version" = Option<String>, Query, description = "a version number or `draft`")), responses((status = 200, description = "the mind-map file")))]
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::AuthorTrees).await?;
    let tree = tree_at(&state, &t, &rec, &q.version).await?;
    write_mind_map(&tree, &q.format)
}

// ---- media ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlobOut {
    pub key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

fn check_blob_key(key: &str) -> Result<(), WebError> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && !key.starts_with('.')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::field(
            "key",
            "use 1 to 200 letters, digits, '-', '_' or '.', not starting with '.'",
        )
        .into())
    }
}

#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/blobs/{key}", tag = "trees", params(("tenant" = String, Path), ("key" = String, Path)), request_body(content = Vec<u8>, content_type = "image/png"), responses((status = 200, body = BlobOut), (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem)))]
pub async fn put_blob(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BlobOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    check_blob_key(&key)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !MEDIA_TYPES.contains(&content_type.as_str()) {
        return Err(WebError::Request {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            detail: format!("media must be one of: {}", MEDIA_TYPES.join(", ")),
        });
    }
    let meta = state
        .store
        .put_blob(t.id, &key, &content_type, &body, Some(user.user.id))
        .await?;
    Ok(Json(BlobOut {
        key: meta.key,
        content_type: meta.content_type,
        size_bytes: meta.size_bytes,
    }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/blobs/{key}", tag = "trees", params(("tenant" = String, Path), ("key" = String, Path)), responses((status = 200, description = "the file"), (status = 404, body = crate::error::Problem)))]
pub async fn get_blob(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, key)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::RunTrees).await?;
    let (meta, data) = state.store.blob(t.id, &key).await?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        data,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/blobs", tag = "trees", params(("tenant" = String, Path)), responses((status = 200, body = [BlobOut])))]
pub async fn list_blobs(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<BlobOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AuthorTrees).await?;
    Ok(Json(
        state
            .store
            .blobs(t.id)
            .await?
            .into_iter()
            .map(|m| BlobOut {
                key: m.key,
                content_type: m.content_type,
                size_bytes: m.size_bytes,
            })
            .collect(),
    ))
}

// ---- the runner -----------------------------------------------------------

/// What the session row's `path` column holds: the path plus the customer's
/// attributes as they were at the start, so a replay decides the same way
/// even if the customer card changes meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredWalk {
    customer: CustomerAttrs,
    #[serde(flatten)]
    path: WalkPath,
}

/// A published tree some conversation may walk, and why it is suggested.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    pub tree_id: Uuid,
    pub title: String,
    pub version: i64,
    /// `reason`, `product`, or empty when not suggested (the full list).
    pub matched: String,
}

/// Published trees for a conversation, suggested ones first (those whose
/// reasons include the conversation's reason, then those whose products
/// appear in its tags), then the rest by title.
pub async fn suggestions_for(
    state: &AppState,
    tenant: &Tenant,
    c: &Conversation,
) -> Result<Vec<Suggestion>, WebError> {
    let mut out: Vec<(u8, Suggestion)> = state
        .store
        .published_trees(tenant.id)
        .await?
        .into_iter()
        .map(|(t, v)| {
            let by_reason = c.reason.as_ref().is_some_and(|r| t.reasons.contains(r));
            let by_product = t.products.iter().any(|p| c.tags.contains(p));
            let (rank, matched) = match (by_reason, by_product) {
                (true, _) => (0, "reason"),
                (false, true) => (1, "product"),
                _ => (2, ""),
            };
            (
                rank,
                Suggestion {
                    tree_id: t.id,
                    title: v.title,
                    version: v.version,
                    matched: matched.into(),
                },
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

async fn conversation_for(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
) -> Result<(Tenant, Conversation), WebError> {
    let t = tenant_for(state, user, slug, Action::RunTrees).await?;
    let c = state
        .store
        .conversation(t.id, parse_id(id, "conversation")?)
        .await?;
    Ok((t, c))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/tree-suggestions", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [Suggestion])))]
pub async fn suggestions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<Suggestion>>, WebError> {
    let (t, c) = conversation_for(&state, &user, &slug, &id).await?;
    Ok(Json(suggestions_for(&state, &t, &c).await?))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionOut {
    pub id: Uuid,
    pub tree_id: Uuid,
    pub title: String,
    pub version: i64,
    pub conversation_id: Uuid,
    /// Send it back with the next action; a newer one answers 409.
    pub revision: i64,
    pub finished: bool,
    #[schema(value_type = Object)]
    pub step: Step,
    #[schema(value_type = Object)]
    pub summary: WalkSummary,
}

/// A session rebuilt from its stored path against the exact versions it
/// started with.
pub struct Walk {
    pub record: TreeSessionRecord,
    pub title: String,
    tree: Arc<PublishedVersion>,
    subtrees: BTreeMap<String, Tree>,
    stored: StoredWalk,
}

impl Walk {
    pub fn session(&self) -> Result<Session<'_>, WebError> {
        Session::replay(
            &self.tree.tree,
            &self.subtrees,
            self.stored.customer,
            &self.stored.path,
        )
        .map_err(|e| WebError::Internal(anyhow::anyhow!("stored walk does not replay: {e}")))
    }

    pub fn out(&self) -> Result<SessionOut, WebError> {
        let mut out = view_of(&self.session()?)?;
        out.fill(&self.record, &self.title, self.record.revision);
        Ok(out)
    }
}

/// The session's screen and summary; the record's fields come with `fill`.
fn view_of(s: &Session<'_>) -> Result<SessionOut, WebError> {
    Ok(SessionOut {
        id: Uuid::nil(),
        tree_id: Uuid::nil(),
        title: String::new(),
        version: 0,
        conversation_id: Uuid::nil(),
        revision: 0,
        finished: s.outcome().is_some(),
        step: s.step().map_err(run_error)?,
        summary: WalkSummary::of(s),
    })
}

impl SessionOut {
    fn fill(&mut self, r: &TreeSessionRecord, title: &str, revision: i64) {
        self.id = r.id;
        self.tree_id = r.tree_id;
        self.title = title.to_string();
        self.version = r.version;
        self.conversation_id = r.conversation_id;
        self.revision = revision;
    }
}

/// Runner errors are the advisor's: a bad answer index, an invalid form
/// value, nothing to undo. Each names what to fix.
fn run_error(e: plateau_core::tree::RunError) -> WebError {
    use plateau_core::tree::RunError as R;
    match e {
        R::Invalid(errors) => DomainError::Invalid(
            errors
                .into_iter()
                .map(|f| FieldError::new(f.field, f.message))
                .collect(),
        )
        .into(),
        R::Finished => DomainError::Conflict("the session is finished".into()).into(),
        other => DomainError::field("action", other.to_string()).into(),
    }
}

async fn subtrees_of(
    state: &AppState,
    tenant: &Tenant,
    versions: &BTreeMap<String, i64>,
) -> Result<BTreeMap<String, Tree>, WebError> {
    let mut out = BTreeMap::new();
    for (r, v) in versions {
        let id = parse_id(r, "tree")?;
        let p = published_version(state, tenant.id, id, *v).await?;
        out.insert(r.clone(), p.tree.clone());
    }
    Ok(out)
}

pub async fn load_walk(
    state: &AppState,
    tenant: &Tenant,
    record: TreeSessionRecord,
) -> Result<Walk, WebError> {
    let version = published_version(state, tenant.id, record.tree_id, record.version).await?;
    let subtrees = subtrees_of(state, tenant, &record.subtrees).await?;
    let stored: StoredWalk = serde_json::from_str(&record.path)
        .map_err(|e| WebError::Internal(anyhow::anyhow!("stored walk: {e}")))?;
    Ok(Walk {
        record,
        title: version.title.clone(),
        tree: version,
        subtrees,
        stored,
    })
}

fn trail_text(tree: &Tree, path: &WalkPath) -> String {
    Trail::from_path(tree, path).encode()
}

fn walk_text(customer: CustomerAttrs, path: &WalkPath) -> Result<String, WebError> {
    serde_json::to_string(&StoredWalk {
        customer,
        path: path.clone(),
    })
    .map_err(|e| WebError::Internal(anyhow::anyhow!("walk: {e}")))
}

/// The customer as the runner sees them: their card plus this conversation's
/// channel and language.
fn customer_attrs(customer: &plateau_core::model::Customer, c: &Conversation) -> CustomerAttrs {
    let p = &customer.profile;
    CustomerAttrs {
        age_band: p.age_band,
        tech_appetite: p.tech_appetite,
        value_tier: p.value_tier,
        contract_tier: Some(p.contract_tier),
        language: Some(c.language),
        channel: Some(c.channel),
    }
}

/// Starts the latest published version of `tree_id` in a conversation.
pub async fn start_walk(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    c: &Conversation,
    tree_id: Uuid,
) -> Result<SessionOut, WebError> {
    let rec = state.store.tree(tenant.id, tree_id).await?;
    if rec.published_version == 0 {
        return Err(DomainError::field("tree_id", "this tree has no published version yet").into());
    }
    let version = state
        .store
        .tree_version(tenant.id, tree_id, rec.published_version)
        .await?;
    let tree = stored_tree(&version.body)?;
    // Fix the versions of every sub-tree reachable through jumps, transitively.
    let published: BTreeMap<String, i64> = state
        .store
        .published_trees(tenant.id)
        .await?
        .into_iter()
        .map(|(t, v)| (t.id.to_string(), v.version))
        .collect();
    let mut fixed = BTreeMap::new();
    let mut pending: Vec<Tree> = vec![tree.clone()];
    while let Some(t) = pending.pop() {
        for n in &t.nodes {
            if let NodeKind::Jump { tree_ref, .. } = &n.kind {
                if let (false, Some(v)) = (fixed.contains_key(tree_ref), published.get(tree_ref)) {
                    fixed.insert(tree_ref.clone(), *v);
                    let id = parse_id(tree_ref, "tree")?;
                    pending.push(stored_tree(
                        &state.store.tree_version(tenant.id, id, *v).await?.body,
                    )?);
                }
            }
        }
    }
    let subtrees = subtrees_of(state, tenant, &fixed).await?;
    let customer = state.store.customer(tenant.id, c.customer_id).await?;
    let attrs = customer_attrs(&customer, c);
    // The session borrows the trees and is not Send: finish with it before
    // any await.
    let (path_text, trail, done, mut out) = {
        let session =
            Session::start(&tree, &subtrees, attrs, Timestamp::now().0).map_err(run_error)?;
        let done = session
            .outcome()
            .map(|_| (outcome_name(&session), WalkSummary::of(&session)));
        (
            walk_text(attrs, session.path())?,
            trail_text(&tree, session.path()),
            done,
            view_of(&session)?,
        )
    };
    let record = state
        .store
        .start_tree_session(
            tenant.id,
            &version,
            c.id,
            c.customer_id,
            Some(user.user.id),
            &fixed,
            &path_text,
            &trail,
        )
        .await?;
    let mut revision = record.revision;
    // A tree may end at once (a decision straight to an outcome).
    if let Some((outcome, summary)) = done {
        let payload = finished_payload(&version.title, version.version, record.id, &summary);
        revision = state
            .store
            .record_tree_step(
                &record,
                revision,
                &path_text,
                &trail,
                Some((outcome, payload)),
            )
            .await?;
    }
    out.fill(&record, &version.title, revision);
    if let Some(h) = &out.summary.handoff {
        hand_over(state, user, tenant, c.id, h).await?;
    }
    Ok(out)
}

fn outcome_name(s: &Session<'_>) -> &'static str {
    s.outcome().map_or("unresolved", |o| o.as_str())
}

fn finished_payload(
    title: &str,
    version: i64,
    id: Uuid,
    summary: &WalkSummary,
) -> serde_json::Value {
    serde_json::json!({
        "session_id": id,
        "title": title,
        "version": version,
        "summary": summary,
    })
}

/// Applies one action to a session and records it; shared with the desk.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    walk: Walk,
    expected_revision: i64,
    action: &SessionAction,
) -> Result<SessionOut, WebError> {
    if walk.record.finished_at.is_some() {
        return Err(DomainError::Conflict("the session is finished".into()).into());
    }
    if walk.record.revision != expected_revision {
        return Err(DomainError::Conflict(
            "the session moved on in another window; reload it".into(),
        )
        .into());
    }
    let (path_text, trail, finished, mut out) = {
        let mut s = walk.session()?;
        action
            .apply(&mut s, Timestamp::now().0)
            .map_err(run_error)?;
        let finished = s.outcome().map(|_| {
            (
                outcome_name(&s),
                finished_payload(
                    &walk.title,
                    walk.record.version,
                    walk.record.id,
                    &WalkSummary::of(&s),
                ),
            )
        });
        (
            walk_text(walk.stored.customer, s.path())?,
            trail_text(&walk.tree.tree, s.path()),
            finished,
            view_of(&s)?,
        )
    };
    let revision = state
        .store
        .record_tree_step(
            &walk.record,
            expected_revision,
            &path_text,
            &trail,
            finished,
        )
        .await?;
    out.fill(&walk.record, &walk.title, revision);
    if let Some(h) = &out.summary.handoff {
        hand_over(state, user, tenant, walk.record.conversation_id, h).await?;
    }
    Ok(out)
}

/// An escalation in a routed brand goes through the router like the
/// Escalate button (reason and the walk's answers as context), so the
/// contact keeps its place in the next queue. Otherwise, or when the router
/// does not hold the conversation, it moves to the target team and back to
/// its queue; without a matching team the hand-off stays a timeline entry
/// for a supervisor to act on.
async fn hand_over(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    conversation_id: Uuid,
    handoff: &plateau_core::tree::Handoff,
) -> Result<(), WebError> {
    if state.store.routing_config(tenant.id).await?.version > 0 {
        let c = state.store.conversation(tenant.id, conversation_id).await?;
        let context = handoff
            .answers
            .iter()
            .map(|a| format!("{} → {}", a.question, a.answer))
            .collect::<Vec<_>>()
            .join("\n");
        let reason = if handoff.reason.trim().is_empty() {
            "diagnostic tree escalation"
        } else {
            handoff.reason.as_str()
        };
        if c.assignee_id.is_some() {
            match crate::api::escalation::escalate(
                state,
                user,
                tenant,
                &c,
                reason,
                Some(&context),
                None,
            )
            .await
            {
                Ok(crate::api::escalation::Escalation::Done(_)) => return Ok(()),
                Ok(crate::api::escalation::Escalation::NotRouted(_)) => {}
                // Refused by the router (no path, expert cell outside the
                // contract): the walk is recorded, the contact stays put.
                Err(WebError::Domain(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
    let Some(team) = crate::api::escalation::team_for(state, user, tenant, &handoff.target).await?
    else {
        return Ok(());
    };
    crate::api::escalation::move_to_team(state, user, tenant, conversation_id, team).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartIn {
    pub tree_id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/tree-sessions", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), request_body = StartIn, responses((status = 201, body = SessionOut), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<StartIn>,
) -> Result<(StatusCode, Json<SessionOut>), WebError> {
    let (t, c) = conversation_for(&state, &user, &slug, &id).await?;
    let out = start_walk(&state, &user, &t, &c, body.tree_id).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/conversations/{id}/tree-sessions", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [SessionOut])))]
pub async fn conversation_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<SessionOut>>, WebError> {
    let (t, c) = conversation_for(&state, &user, &slug, &id).await?;
    let mut out = Vec::new();
    for r in state.store.conversation_tree_sessions(t.id, c.id).await? {
        out.push(load_walk(&state, &t, r).await?.out()?);
    }
    Ok(Json(out))
}

/// A session of the tenant, for a caller who may run trees.
pub async fn walk_for(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
) -> Result<(Tenant, Walk), WebError> {
    let t = tenant_for(state, user, slug, Action::RunTrees).await?;
    let r = state
        .store
        .tree_session(t.id, parse_id(id, "tree session")?)
        .await?;
    let walk = load_walk(state, &t, r).await?;
    Ok((t, walk))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/tree-sessions/{id}", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = SessionOut), (status = 404, body = crate::error::Problem)))]
pub async fn session(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<SessionOut>, WebError> {
    let (_, walk) = walk_for(&state, &user, &slug, &id).await?;
    Ok(Json(walk.out()?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ActionIn {
    pub expected_revision: i64,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub action: SessionAction,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/tree-sessions/{id}/actions", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ActionIn, responses((status = 200, body = SessionOut), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn action(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ActionIn>,
) -> Result<Json<SessionOut>, WebError> {
    let (t, walk) = walk_for(&state, &user, &slug, &id).await?;
    Ok(Json(
        act(
            &state,
            &user,
            &t,
            walk,
            body.expected_revision,
            &body.action,
        )
        .await?,
    ))
}

// ---- analytics ------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AnalyticsQuery {
    /// Days after a resolved session within which a return counts (1–90, default 7).
    #[serde(default)]
    pub window_days: Option<u32>,
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// Analytics of one published version: the counters kept as walks happen,
/// and for the unjustified returns the resolved walks and their customers'
/// later conversations. A version published before the counters existed is
/// counted from all its trails instead.
pub async fn version_analytics(
    store: &plateau_store::Store,
    tenant_id: Uuid,
    tree_id: Uuid,
    version: i64,
    window_days: u32,
) -> Result<Analytics, WebError> {
    let v = store.tree_version(tenant_id, tree_id, version).await?;
    let tree = stored_tree(&v.body)?;
    let tally = store.tree_tally(tenant_id, tree_id, version).await?;
    let decode = |conversation_id, text: &str| {
        // A trail that does not decode is a bug, not a reason to hide the rest.
        match Trail::decode(text) {
            Ok(trail) => Some((conversation_id, trail)),
            Err(e) => {
                tracing::warn!(error = %e, "skipping an unreadable session trail");
                None
            }
        }
    };
    let trails = if tally.is_some() {
        // The returns need only who and when: a trail standing for the end.
        store
            .resolved_tree_sessions(tenant_id, tree_id, version)
            .await?
            .into_iter()
            .map(|(conversation_id, end)| {
                let trail = Trail {
                    start_us: end.0,
                    end_us: end.0,
                    outcome: Some(plateau_core::tree::Outcome::Resolved),
                    visits: Vec::new(),
                };
                (conversation_id, trail)
            })
            .collect()
    } else {
        store
            .tree_session_trails(tenant_id, tree_id, version, decode)
            .await?
    };
    // Reasons and customers per conversation, read once per conversation
    // rather than joined on every session.
    let mut ids: Vec<Uuid> = trails.iter().map(|(c, _)| *c).collect();
    ids.sort_unstable();
    ids.dedup();
    let owners: std::collections::HashMap<Uuid, (Uuid, Option<String>)> = store
        .conversation_reasons(tenant_id, &ids)
        .await?
        .into_iter()
        .map(|(id, customer, reason)| (id, (customer, reason)))
        .collect();
    let mut facts = Vec::with_capacity(trails.len());
    let mut resolved_customers = BTreeSet::new();
    let mut since = i64::MAX;
    for (conversation_id, trail) in trails {
        let Some((customer_id, reason)) = owners.get(&conversation_id) else {
            continue;
        };
        if trail.outcome == Some(plateau_core::tree::Outcome::Resolved) {
            resolved_customers.insert(*customer_id);
            since = since.min(trail.end_us);
        }
        facts.push(SessionFacts {
            conversation_id,
            customer_id: *customer_id,
            reason: reason.clone(),
            trail,
        });
    }
    let customers: Vec<Uuid> = resolved_customers.into_iter().collect();
    let later = if customers.is_empty() {
        Vec::new()
    } else {
        store
            .later_conversations(tenant_id, &customers, Timestamp(since))
            .await?
    };
    let returns = Returns::new(later.into_iter().map(|r| {
        (
            r.customer_id,
            Some(r.reason),
            r.created_at.0,
            r.conversation_id,
        )
    }));
    let tally = tally.unwrap_or_else(|| {
        let mut t = Tally::default();
        for f in &facts {
            t.add(&f.trail, 1);
        }
        t
    });
    Ok(report(
        &tree,
        &tally,
        return_stats(&facts, &returns, window_days),
    ))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/trees/{id}/versions/{version}/analytics", tag = "trees", params(("tenant" = String, Path), ("id" = String, Path), ("version" = i64, Path), ("window_days" = Option<u32>, Query), ("format" = Option<String>, Query, description = "json or csv")), responses((status = 200, body = Object)))]
pub async fn analytics(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id, version)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let (t, rec) = load_tree(&state, &user, &slug, &id, Action::ViewTreeAnalytics).await?;
    let n = parse_version(&version)?;
    let window = q.window_days.unwrap_or(7);
    if !(1..=90).contains(&window) {
        return Err(DomainError::field("window_days", "choose between 1 and 90 days").into());
    }
    let a = version_analytics(&state.store, t.id, rec.id, n, window).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(a).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-v{n}-analytics.csv\"",
                        file_stem(&rec.title)
                    ),
                ),
            ],
            a.to_csv(),
        )
            .into_response()),
        _ => Err(DomainError::field("format", "choose json or csv").into()),
    }
}
