//! Customers: list and search by name, create with channel identities, show
//! with their conversation history, and update the segmentation profile.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::model::{
    AgeBand, Channel, ContractTier, Conversation, Customer, CustomerProfile, IdentityKind,
    Language, TechAppetite, ValueTier,
};
use plateau_core::policy::Action;
use plateau_store::conversations::InboxFilter;
use plateau_store::customers::NewCustomer;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{double_option, parse_id, tenant_for, ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerIn {
    pub name: String,
    pub email: Option<String>,
    /// E.164, e.g. `+33612345678`.
    pub phone: Option<String>,
    /// `network:@handle`, e.g. `twitter:@jdupont`.
    pub social: Option<String>,
    pub age_band: Option<AgeBand>,
    pub tech_appetite: Option<TechAppetite>,
    pub value_tier: Option<ValueTier>,
    pub contract_tier: Option<ContractTier>,
    pub language: Option<Language>,
    pub preferred_channel: Option<Channel>,
}

impl NewCustomerIn {
    pub fn into_domain(self) -> NewCustomer {
        let mut identities = Vec::new();
        if let Some(e) = self.email {
            identities.push((IdentityKind::Email, e));
        }
        if let Some(p) = self.phone {
            identities.push((IdentityKind::Phone, p));
        }
        if let Some(s) = self.social {
            identities.push((IdentityKind::Social, s));
        }
        NewCustomer {
            name: self.name,
            profile: CustomerProfile {
                age_band: self.age_band,
                tech_appetite: self.tech_appetite,
                value_tier: self.value_tier,
                contract_tier: self.contract_tier.unwrap_or(ContractTier::Standard),
                language: self.language.unwrap_or(Language::Fr),
                preferred_channel: self.preferred_channel,
            },
            identities,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Name prefix.
    pub q: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/customers", tag = "customers", params(("tenant" = String, Path), CustomerQuery), responses((status = 200, body = CustomerPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<Json<CustomerPage>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewCustomers).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let items = state
        .store
        .customers(
            t.id,
            q.q.as_deref().unwrap_or("").trim(),
            q.cursor.as_deref(),
            limit + 1,
        )
        .await?;
    let mut items = items;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|c| c.name.clone())
    } else {
        None
    };
    Ok(Json(CustomerPage { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/customers", tag = "customers", params(("tenant" = String, Path)), request_body = NewCustomerIn, responses((status = 201, body = Customer), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewCustomerIn>,
) -> Result<(StatusCode, Json<Customer>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let c = state
        .store
        .create_customer(t.id, &body.into_domain(), Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Serialize, ToSchema)]
pub struct CustomerDetail {
    pub customer: Customer,
    /// The customer this one was merged into, if it was.
    pub merged_into: Option<uuid::Uuid>,
    /// The customer's conversations across every channel, most recent first.
    pub conversations: Vec<Conversation>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/customers/{id}", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = CustomerDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<CustomerDetail>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewCustomers).await?;
    let id = parse_id(&id, "customer")?;
    let customer = state.store.customer(t.id, id).await?;
    let f = InboxFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    let conversations = state.store.conversations(t.id, &f, None, 50).await?.items;
    let merged_into = state.store.merged_into(t.id, id).await?;
    Ok(Json(CustomerDetail {
        customer,
        merged_into,
        conversations,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<AgeBand>)]
    pub age_band: Option<Option<AgeBand>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TechAppetite>)]
    pub tech_appetite: Option<Option<TechAppetite>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ValueTier>)]
    pub value_tier: Option<Option<ValueTier>>,
    pub contract_tier: Option<ContractTier>,
    pub language: Option<Language>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Channel>)]
    pub preferred_channel: Option<Option<Channel>>,
}

#[utoipa::path(patch, path = "/api/v1/tenants/{tenant}/customers/{id}", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path)), request_body = CustomerPatch, responses((status = 200, body = Customer)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(p): ApiJson<CustomerPatch>,
) -> Result<Json<Customer>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let id = parse_id(&id, "customer")?;
    let c = state.store.customer(t.id, id).await?;
    let mut profile = c.profile.clone();
    if let Some(v) = p.age_band {
        profile.age_band = v;
    }
    if let Some(v) = p.tech_appetite {
        profile.tech_appetite = v;
    }
    if let Some(v) = p.value_tier {
        profile.value_tier = v;
    }
    if let Some(v) = p.contract_tier {
        profile.contract_tier = v;
    }
    if let Some(v) = p.language {
        profile.language = v;
    }
    if let Some(v) = p.preferred_channel {
        profile.preferred_channel = v;
    }
    let c = state
        .store
        .update_customer_profile(t.id, id, p.name.as_deref(), &profile, Some(user.user.id))
        .await?;
    Ok(Json(c))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityIn {
    pub kind: IdentityKind,
    /// E-mail address, E.164 number or `network:@handle`.
    pub value: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/customers/{id}/identities", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path)), request_body = IdentityIn, responses((status = 201, body = Customer), (status = 409, body = crate::error::Problem, description = "owned by another customer, named in the detail"), (status = 422, body = crate::error::Problem)))]
pub async fn add_identity(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<IdentityIn>,
) -> Result<(StatusCode, Json<Customer>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let id = parse_id(&id, "customer")?;
    let c = state
        .store
        .add_identity(t.id, id, body.kind, &body.value, Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The customer merged into this one (it is marked merged and its
    /// identities and conversations move here).
    pub from: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeOut {
    pub id: uuid::Uuid,
    pub survivor_id: uuid::Uuid,
    pub merged_id: uuid::Uuid,
    /// `[kind, value]` pairs that moved.
    pub identities: Vec<(IdentityKind, String)>,
    pub conversations: Vec<uuid::Uuid>,
    pub created_by: Option<uuid::Uuid>,
    pub created_at: String,
    pub undone_at: Option<String>,
}

pub fn merge_out(m: plateau_store::customers::Merge) -> MergeOut {
    MergeOut {
        id: m.id,
        survivor_id: m.survivor_id,
        merged_id: m.merged_id,
        identities: m
            .identities
            .into_iter()
            .map(|i| (i.kind, i.value))
            .collect(),
        conversations: m.conversations,
        created_by: m.created_by,
        created_at: m.created_at.rfc3339(),
        undone_at: m.undone_at.map(|t| t.rfc3339()),
    }
}

/// Advisors merge (the issue asks that an advisor can), like any customer
/// edit: `EditCustomers`. Undo is the safety net.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/customers/{id}/merge", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path)), request_body = MergeIn, responses((status = 201, body = MergeOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<MergeIn>,
) -> Result<(StatusCode, Json<MergeOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let id = parse_id(&id, "customer")?;
    let from = parse_id(&body.from, "customer")?;
    let m = state
        .store
        .merge_customers(t.id, id, from, Some(user.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(merge_out(m))))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/customers/{id}/merges", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, body = [MergeOut])))]
pub async fn merges(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Vec<MergeOut>>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::ViewCustomers).await?;
    let id = parse_id(&id, "customer")?;
    state.store.customer(t.id, id).await?;
    let list = state.store.merges(t.id, id).await?;
    Ok(Json(list.into_iter().map(merge_out).collect()))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/customers/{id}/merges/{merge_id}/undo", tag = "customers", params(("tenant" = String, Path), ("id" = String, Path), ("merge_id" = String, Path)), responses((status = 200, body = MergeOut), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem, description = "already undone, or something moved since; the detail says what")))]
pub async fn undo_merge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id, merge_id)): Path<(String, String, String)>,
) -> Result<Json<MergeOut>, WebError> {
    let t = tenant_for(&state, &user, &slug, Action::EditCustomers).await?;
    let id = parse_id(&id, "customer")?;
    let merge_id = parse_id(&merge_id, "merge")?;
    let m = state
        .store
        .undo_merge(t.id, id, merge_id, Some(user.user.id))
        .await?;
    Ok(Json(merge_out(m)))
}
