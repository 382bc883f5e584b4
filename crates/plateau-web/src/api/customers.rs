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
    Ok(Json(CustomerDetail {
        customer,
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
