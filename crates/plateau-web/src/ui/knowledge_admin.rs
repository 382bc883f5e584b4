//! What knowledge managers run: search analytics (what to write next), the
//! synonym rules per language, the FAQ behind the public feed, and the
//! product catalogue.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use plateau_core::knowledge::ProductKind;
use plateau_core::model::Language;
use plateau_core::policy::Action;
use plateau_core::DomainError;
use plateau_store::knowledge::{NewFaq, NewProduct};
use serde::Deserialize;

use super::{render, tenant_for, Layout, UiUser};
use crate::api::knowledge::{analytics as load_analytics, KnowledgeAnalytics};
use crate::error::UiError;
use crate::i18n::Tr;
use crate::svg::StackedBars;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/kb/analytics", get(analytics))
        .route("/t/{tenant}/kb/synonyms", get(synonyms).post(save_synonyms))
        .route("/t/{tenant}/kb/faq", get(faq).post(create_faq))
        .route("/t/{tenant}/kb/faq/{id}/delete", post(delete_faq))
        .route(
            "/t/{tenant}/kb/products",
            get(products).post(create_product),
        )
}

/// A form page re-shown after a refusal answers 422, so clients and tests
/// can tell it from a plain visit.
fn refused_if(failed: bool, page: Response) -> Response {
    if failed {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    }
}

#[derive(Template)]
#[template(path = "kb_analytics.html")]
struct AnalyticsPage {
    tr: Tr,
    layout: Layout,
    a: KnowledgeAnalytics,
    chart: String,
    rate: String,
    days: i64,
    /// Per synonym suggestion, the synonyms page pre-filled with it.
    add_links: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct DaysQuery {
    #[serde(default)]
    days: Option<i64>,
}

async fn analytics(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<DaysQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewKnowledgeAnalytics).await?;
    let tr = Tr::new(user.user.locale);
    let a = load_analytics(&state, tenant.id, q.days.unwrap_or(30)).await?;
    let lr = a.link_rate;
    let chart = StackedBars {
        title: tr.t("kba.chart"),
        rows: vec![(
            tr.t("kba.conversations").to_string(),
            vec![
                (lr.with_article, "s-open"),
                (lr.conversations - lr.with_article, "s-pending"),
            ],
        )],
        legend: vec![
            (tr.t("kba.with_article").to_string(), "s-open"),
            (tr.t("kba.without_article").to_string(), "s-pending"),
        ],
    }
    .render();
    let rate = if lr.conversations > 0 {
        format!(
            "{:.0} %",
            100.0 * lr.with_article as f64 / lr.conversations as f64
        )
    } else {
        tr.t("empty.dash").to_string()
    };
    let layout = Layout::new(
        &state,
        &user,
        Some(&tenant),
        "kb",
        tr.t("kba.title").to_string(),
        "",
    )
    .await?;
    let add_links = a
        .synonym_suggestions
        .iter()
        .map(|s| {
            let line = format!("{}, {}", s.query, s.article.title.to_lowercase());
            format!("/t/{slug}/kb/synonyms?add={}", super::search::encode(&line))
        })
        .collect();
    render(&AnalyticsPage {
        add_links,
        tr,
        layout,
        days: a.days,
        a,
        chart,
        rate,
    })
}

#[derive(Template)]
#[template(path = "kb_synonyms.html")]
struct SynonymsPage {
    tr: Tr,
    layout: Layout,
    /// (language code, label, rules text, errors)
    langs: Vec<(&'static str, String, String, Vec<String>)>,
    saved: bool,
    can_edit: bool,
}

#[derive(Deserialize, Default)]
pub struct SynonymsQuery {
    #[serde(default)]
    saved: bool,
    /// Pre-fill from a synonym suggestion: a line to add to French rules.
    #[serde(default)]
    add: String,
}

async fn synonyms_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    edited: Option<(Language, String, Vec<String>)>,
    add: &str,
    saved: bool,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let mut langs = Vec::new();
    for l in Language::ALL {
        let (text, errors) = match &edited {
            Some((el, text, errors)) if el == l => (text.clone(), errors.clone()),
            _ => {
                let mut text = state
                    .store
                    .synonyms(tenant.id, *l)
                    .await?
                    .map(|s| s.text)
                    .unwrap_or_default();
                if *l == Language::Fr && !add.trim().is_empty() {
                    text = format!("{}\n{}", text.trim_end(), add.trim());
                }
                (text, Vec::new())
            }
        };
        langs.push((l.as_str(), tr.e("lang", l.as_str()), text, errors));
    }
    let failed = edited.as_ref().is_some_and(|e| !e.2.is_empty());
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "kb",
        tr.t("kbs.title").to_string(),
        "",
    )
    .await?;
    let page = render(&SynonymsPage {
        tr,
        layout,
        langs,
        saved,
        can_edit: user.actor.can(tenant.id, Action::ManageKnowledge),
    })?;
    Ok(refused_if(failed, page))
}

async fn synonyms(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Query(q): Query<SynonymsQuery>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    synonyms_page(&state, &user, &tenant, None, &q.add, q.saved).await
}

#[derive(Deserialize)]
pub struct SynonymsForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    language: String,
    #[serde(default)]
    rules: String,
}

async fn save_synonyms(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<SynonymsForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let lang: Language = f
        .language
        .parse()
        .map_err(|m| DomainError::field("language", m))?;
    match state
        .store
        .put_synonyms(tenant.id, lang, &f.rules, Some(user.user.id))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/t/{slug}/kb/synonyms?saved=true")).into_response()),
        Err(plateau_store::StoreError::Domain(DomainError::Invalid(errs))) => {
            let errors = errs
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            synonyms_page(
                &state,
                &user,
                &tenant,
                Some((lang, f.rules, errors)),
                "",
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "kb_faq.html")]
struct FaqPage {
    tr: Tr,
    layout: Layout,
    /// (id, language, position, question, answer, published)
    entries: Vec<(String, &'static str, i64, String, String, bool)>,
    errors: Vec<String>,
    can_edit: bool,
}

async fn faq_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    errors: Vec<String>,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let entries = state
        .store
        .faq_entries(tenant.id, None)
        .await?
        .into_iter()
        .map(|f| {
            (
                f.id.to_string(),
                f.language.as_str(),
                f.position,
                f.question,
                f.answer,
                f.published,
            )
        })
        .collect();
    let failed = !errors.is_empty();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "kb",
        tr.t("kbf.title").to_string(),
        "",
    )
    .await?;
    let page = render(&FaqPage {
        tr,
        layout,
        entries,
        errors,
        can_edit: user.actor.can(tenant.id, Action::ManageKnowledge),
    })?;
    Ok(refused_if(failed, page))
}

async fn faq(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    faq_page(&state, &user, &tenant, Vec::new()).await
}

#[derive(Deserialize)]
pub struct FaqForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    language: String,
    question: String,
    answer: String,
    #[serde(default)]
    published: Option<String>,
}

fn invalid(e: plateau_store::StoreError) -> Result<Vec<String>, UiError> {
    match e {
        plateau_store::StoreError::Domain(DomainError::Invalid(errs)) => Ok(errs
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()),
        plateau_store::StoreError::Domain(DomainError::Conflict(m)) => Ok(vec![m]),
        other => Err(other.into()),
    }
}

async fn create_faq(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<FaqForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let language: Language = f
        .language
        .parse()
        .map_err(|m| DomainError::field("language", m))?;
    let new = NewFaq {
        language,
        question: f.question,
        answer: f.answer,
        article_id: None,
        product_id: None,
        position: None,
        published: f.published.is_some(),
    };
    match state
        .store
        .create_faq(tenant.id, &new, Some(user.user.id))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/t/{slug}/kb/faq")).into_response()),
        Err(e) => {
            let errors = invalid(e)?;
            faq_page(&state, &user, &tenant, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn delete_faq(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let id = crate::api::parse_id(&id, "FAQ entry")?;
    state
        .store
        .delete_faq(tenant.id, id, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("/t/{slug}/kb/faq")).into_response())
}

#[derive(Template)]
#[template(path = "kb_products.html")]
struct ProductsPage {
    tr: Tr,
    layout: Layout,
    /// (code, name, kind label, attributes JSON)
    rows: Vec<(String, String, String, String)>,
    errors: Vec<String>,
    can_edit: bool,
}

async fn products_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    tenant: &plateau_core::model::Tenant,
    errors: Vec<String>,
) -> Result<Response, UiError> {
    let tr = Tr::new(user.user.locale);
    let rows = state
        .store
        .products(tenant.id)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.code,
                p.name,
                tr.e("kbp.kind", p.kind.as_str()),
                p.attributes.to_string(),
            )
        })
        .collect();
    let failed = !errors.is_empty();
    let layout = Layout::new(
        state,
        user,
        Some(tenant),
        "kb",
        tr.t("kbp.title").to_string(),
        "",
    )
    .await?;
    let page = render(&ProductsPage {
        tr,
        layout,
        rows,
        errors,
        can_edit: user.actor.can(tenant.id, Action::ManageKnowledge),
    })?;
    Ok(refused_if(failed, page))
}

async fn products(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let tenant = tenant_for(&state, &user, &slug, Action::ViewArticles).await?;
    products_page(&state, &user, &tenant, Vec::new()).await
}

#[derive(Deserialize)]
pub struct ProductForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    code: String,
    name: String,
    kind: String,
    #[serde(default)]
    attributes: String,
}

async fn create_product(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(slug): Path<String>,
    Form(f): Form<ProductForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&f.csrf)?;
    let tenant = tenant_for(&state, &user, &slug, Action::ManageKnowledge).await?;
    let attributes = if f.attributes.trim().is_empty() {
        Ok(serde_json::json!({}))
    } else {
        serde_json::from_str::<serde_json::Value>(&f.attributes)
            .map_err(|e| format!("attributes: {e}"))
    };
    let kind: ProductKind = f.kind.parse().unwrap_or(ProductKind::Product);
    let result = match attributes {
        Err(m) => Err(vec![m]),
        Ok(attributes) => {
            let new = NewProduct {
                code: f.code,
                name: f.name,
                kind,
                attributes,
                parent_id: None,
            };
            match state
                .store
                .create_product(tenant.id, &new, Some(user.user.id))
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(invalid(e)?),
            }
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/t/{slug}/kb/products")).into_response()),
        Err(errors) => products_page(&state, &user, &tenant, errors).await,
    }
}
