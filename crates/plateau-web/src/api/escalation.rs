//! Escalation of a conversation up a tier. In a routed brand the request is
//! an event the tenant's router (in whichever process holds it) answers with
//! `routing.escalated` or `routing.escalation_refused`; the API waits briefly
//! for that answer. In a brand without routing it falls back to moving the
//! conversation to a team of the next tier, and says so.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::model::{Conversation, Tenant, Tier};
use plateau_core::policy::Action;
use plateau_core::routing::handoff;
use plateau_core::tree::EscalationTarget;
use plateau_core::DomainError;
use plateau_store::routing::escalation_kind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::broadcast;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, tenant_for, ApiJson};
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// How long the API waits for the router's answer before answering 202.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateIn {
    /// Why the contact goes up a tier (required).
    pub reason: String,
    /// What was done so far, for the next advisor.
    #[serde(default)]
    pub context: Option<String>,
    /// Without routing only: the tier whose team takes the conversation (default n2).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tier: Option<Tier>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalateOut {
    pub conversation_id: Uuid,
    /// `escalated` (the router moved it), `pending` (the router has not
    /// answered yet; watch the timeline), or `moved` (no routing: moved to a team).
    pub status: &'static str,
    /// `routed` or `direct` (routing is not configured for this brand).
    pub mode: &'static str,
    /// The router's answer (from, to, tier, reason, context, by, history) or the team moved to.
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// What became of an escalation request.
pub enum Escalation {
    Done(EscalateOut),
    /// The router does not hold the conversation (it was not routed to its
    /// advisor): the caller may fall back to a team move.
    NotRouted(String),
}

/// Escalates `c` for `user`, who must hold it or be allowed to assign others.
pub async fn escalate(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    c: &Conversation,
    reason: &str,
    context: Option<&str>,
    tier: Option<Tier>,
) -> Result<Escalation, WebError> {
    if c.assignee_id != Some(user.user.id) && !user.actor.can(tenant.id, Action::AssignOthers) {
        return Err(DomainError::Forbidden(
            "only the assigned advisor or a supervisor can escalate",
        )
        .into());
    }
    let req = handoff::escalation(reason, context)?;
    let routed = state.store.routing_config(tenant.id).await?.version > 0;
    if !routed {
        return direct(state, user, tenant, c, &req, tier)
            .await
            .map(Escalation::Done);
    }
    if c.assignee_id.is_none() {
        return Err(DomainError::Conflict(
            "the conversation is not assigned: only a contact an advisor holds can be escalated"
                .into(),
        )
        .into());
    }
    let request_id = Uuid::now_v7();
    // Subscribe first, so the answer cannot slip between the write and the wait.
    let mut rx = state.events.subscribe();
    state
        .store
        .record_conversation_event(
            tenant.id,
            escalation_kind::REQUESTED,
            c.id,
            Some(user.user.id),
            json!({"request_id": request_id, "reason": req.reason, "context": req.context, "by": user.user.id}),
        )
        .await?;
    let answer = tokio::time::timeout(ANSWER_WAIT, async {
        loop {
            match rx.recv().await {
                Ok(ev)
                    if ev.subject_id == Some(c.id)
                        && ev.payload.get("request_id") == Some(&json!(request_id))
                        && (ev.kind == escalation_kind::ESCALATED
                            || ev.kind == escalation_kind::REFUSED) =>
                {
                    return Some(ev)
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten();
    let Some(ev) = answer else {
        return Ok(Escalation::Done(EscalateOut {
            conversation_id: c.id,
            status: "pending",
            mode: "routed",
            detail: json!({"request_id": request_id}),
        }));
    };
    if ev.kind == escalation_kind::ESCALATED {
        return Ok(Escalation::Done(EscalateOut {
            conversation_id: c.id,
            status: "escalated",
            mode: "routed",
            detail: ev.payload,
        }));
    }
    let why = ev
        .payload
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("the router refused the escalation")
        .to_string();
    match ev.payload.get("code").and_then(Value::as_str) {
        Some("not_routed") => Ok(Escalation::NotRouted(why)),
        Some("not_assigned") => Err(DomainError::Conflict(why).into()),
        // No escalation path, or the expert cell outside the contract.
        _ => Err(DomainError::field("escalation", why).into()),
    }
}

/// Without routing: the conversation goes back to the queue of a team of the
/// target tier (the advisor's site first), as the diagnostic trees did.
async fn direct(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    c: &Conversation,
    req: &handoff::EscalationRequest,
    tier: Option<Tier>,
) -> Result<EscalateOut, WebError> {
    let tier = tier.unwrap_or(Tier::N2);
    let team = team_for(state, user, tenant, &EscalationTarget::Tier(tier)).await?;
    let Some(team) = team else {
        return Err(DomainError::Conflict(format!(
            "routing is not configured for this brand and it has no {tier} team to move the conversation to"
        ))
        .into());
    };
    move_to_team(state, user, tenant, c.id, team).await?;
    let detail = json!({"team_id": team, "tier": tier, "reason": req.reason, "context": req.context,
                        "by": user.user.id, "note": "routing is not configured for this brand: moved to the team directly"});
    state
        .store
        .record_conversation_event(
            tenant.id,
            escalation_kind::ESCALATED,
            c.id,
            Some(user.user.id),
            detail.clone(),
        )
        .await?;
    Ok(EscalateOut {
        conversation_id: c.id,
        status: "moved",
        mode: "direct",
        detail,
    })
}

/// The team an escalation to `target` goes to, from the advisor's site first.
pub async fn team_for(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    target: &EscalationTarget,
) -> Result<Option<Uuid>, WebError> {
    let teams = state.store.teams(tenant.id).await?;
    let site = state
        .store
        .memberships(user.user.id)
        .await?
        .into_iter()
        .find(|m| m.tenant_id == tenant.id)
        .and_then(|m| m.site_id);
    Ok(plateau_core::tree::act::escalation_team(
        target, &teams, site,
    ))
}

/// Unassigns the conversation and gives it to `team`, with the caller's rights.
pub async fn move_to_team(
    state: &AppState,
    user: &CurrentUser,
    tenant: &Tenant,
    conversation_id: Uuid,
    team: Uuid,
) -> Result<(), WebError> {
    let patch = crate::api::conversations::PatchIn {
        assignee_id: Some(None),
        team_id: Some(Some(team)),
        ..Default::default()
    };
    crate::api::conversations::apply_patch(state, user, tenant.id, conversation_id, patch).await?;
    Ok(())
}

/// Escalates a conversation up a tier: through the router when the brand is
/// routed (the contact keeps its place in the next queue and is never offered
/// back to the escalating advisor), else to a team of the next tier.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/conversations/{id}/escalate", tag = "routing",
    params(("tenant" = String, Path), ("id" = String, Path)), request_body = EscalateIn,
    responses((status = 200, body = EscalateOut), (status = 202, body = EscalateOut, description = "The router has not answered yet"),
              (status = 403, body = crate::error::Problem, description = "Not the assigned advisor nor a supervisor"),
              (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem, description = "Not assigned, or not routed by the router"),
              (status = 422, body = crate::error::Problem, description = "No reason, no escalation path, or the expert cell outside the contract")))]
pub async fn post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EscalateIn>,
) -> Result<(StatusCode, Json<EscalateOut>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::AssignSelf).await?;
    let c = state
        .store
        .conversation(t.id, parse_id(&id, "conversation")?)
        .await?;
    match escalate(
        &state,
        &user,
        &t,
        &c,
        &body.reason,
        body.context.as_deref(),
        body.tier,
    )
    .await?
    {
        Escalation::Done(out) => {
            let status = if out.status == "pending" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(out)))
        }
        Escalation::NotRouted(why) => Err(DomainError::Conflict(why).into()),
    }
}
