//! Offers from the router to an advisor: my pending offers, and the offered
//! advisor's accept or reject, written as events the tenant's router consumes
//! (whichever server process runs it).

use axum::extract::{Path, State};
use axum::Json;
use plateau_core::model::Channel;
use plateau_core::policy::Action;
use plateau_core::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_for};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferOut {
    pub conversation_id: Uuid,
    /// The tenant's slug.
    pub tenant: String,
    pub number: i64,
    pub subject: String,
    pub channel: Channel,
    #[schema(value_type = String)]
    pub offered_at: Timestamp,
    /// After this instant the offer is gone and answering it is refused (409).
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
    /// The desk page of the conversation.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OffersOut {
    pub items: Vec<OfferOut>,
}

#[utoipa::path(get, path = "/api/v1/me/offers", tag = "routing", responses((status = 200, body = OffersOut), (status = 401, body = crate::error::Problem)))]
pub async fn mine(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<OffersOut>, WebError> {
    let items = state
        .store
        .pending_offers(user.user.id)
        .await?
        .into_iter()
        // Roles can change after an offer is made; offers follow the current ones.
        .filter(|o| user.actor.can(o.tenant_id, Action::AssignSelf))
        .map(|o| OfferOut {
            url: format!("/t/{}/c/{}", o.tenant, o.number),
            conversation_id: o.conversation_id,
            tenant: o.tenant,
            number: o.number,
            subject: o.subject,
            channel: o.channel,
            offered_at: o.offered_at,
            expires_at: o.expires_at,
        })
        .collect();
    Ok(Json(OffersOut { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOut {
    pub conversation_id: Uuid,
    pub accepted: bool,
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
    accept: bool,
) -> Result<Json<AnswerOut>, WebError> {
    // Taking work is the advisor's right; a tenant the caller is not in is absent.
    let t = tenant_for(state, user, slug, Action::AssignSelf).await?;
    let conversation_id = parse_id(id, "offer")?;
    state
        .store
        .answer_offer(t.id, conversation_id, user.user.id, accept)
        .await?;
    Ok(Json(AnswerOut {
        conversation_id,
        accepted: accept,
    }))
}

/// Accepts my pending offer; the router then assigns the conversation to me.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/offers/{conversation_id}/accept", tag = "routing", params(("tenant" = String, Path), ("conversation_id" = Uuid, Path)), responses((status = 200, body = AnswerOut), (status = 403, body = crate::error::Problem, description = "The offer is for another advisor, or the role cannot take work"), (status = 404, body = crate::error::Problem, description = "No pending offer"), (status = 409, body = crate::error::Problem, description = "The offer expired")))]
pub async fn accept(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<AnswerOut>, WebError> {
    answer(&state, &user, &slug, &id, true).await
}

/// Rejects my pending offer; the conversation goes back to its place in the
/// queue and is not offered to me again.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/offers/{conversation_id}/reject", tag = "routing", params(("tenant" = String, Path), ("conversation_id" = Uuid, Path)), responses((status = 200, body = AnswerOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<AnswerOut>, WebError> {
    answer(&state, &user, &slug, &id, false).await
}
