//! The CTI API a PBX calls with each call event, signed like the social
//! webhook with a connector's secret. A call's first event finds (or
//! creates) the customer by caller number and joins their open phone
//! conversation, or opens one; every event then shows in that
//! conversation's timeline. Refusals (unsigned, stale, forged, replayed,
//! malformed, impossible transition, unknown advisor) write nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use plateau_core::channels::signature::{self, SignatureError};
use plateau_core::channels::voice::{self, CallEvent, CallEventIn, CallEventKind};
use plateau_core::model::{Channel, IdentityKind, Language};
use plateau_core::{DomainError, Timestamp};
use plateau_store::calls::{NewCallEvent, Recorded};
use plateau_store::social::Connector;
use plateau_store::users::Member;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tenant_by_slug;
use crate::error::WebError;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CallEventOut {
    /// Plateau's id of the call.
    pub call: Uuid,
    pub conversation_id: Uuid,
    pub state: String,
    /// True when this (call, event, instant) had already been received.
    pub duplicate: bool,
}

fn refused(status: StatusCode, code: &'static str, detail: impl Into<String>) -> WebError {
    WebError::Request {
        status,
        code,
        detail: detail.into(),
    }
}

/// The tenant member a PBX names by e-mail address or user id.
fn member<'a>(members: &'a [Member], who: &str) -> Option<&'a Member> {
    let id = Uuid::parse_str(who).ok();
    members
        .iter()
        .find(|m| Some(m.user.id) == id || m.user.email.eq_ignore_ascii_case(who))
}

#[utoipa::path(post, path = "/api/v1/cti/{tenant}/{connector}/events", tag = "channels", params(("tenant" = String, Path), ("connector" = String, Path), ("X-Plateau-Timestamp" = String, Header, description = "Unix seconds"), ("X-Plateau-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"{timestamp}.{body}\">")), request_body = Object, responses((status = 202, body = CallEventOut), (status = 200, body = CallEventOut, description = "already received"), (status = 401, body = crate::error::Problem), (status = 409, body = crate::error::Problem, description = "replayed, or a transition the call cannot make"), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn receive(
    State(state): State<AppState>,
    Path((slug, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CallEventOut>), WebError> {
    let tenant = tenant_by_slug(&state, &slug).await?;
    let connector = state
        .store
        .connector(tenant.id, &name)
        .await?
        .ok_or(DomainError::NotFound("connector"))?;
    let header = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    let sig = header("x-plateau-signature").map(str::trim);
    signature::verify(
        connector.secret.as_bytes(),
        header("x-plateau-timestamp"),
        sig,
        &body,
        Timestamp::now().0 / 1_000_000,
    )
    .map_err(|e| {
        let code = match e {
            SignatureError::Missing => "unsigned",
            SignatureError::Stale => "stale_request",
            _ => "bad_signature",
        };
        refused(StatusCode::UNAUTHORIZED, code, e.to_string())
    })?;
    let sig = sig.unwrap_or_default();
    let parsed: CallEventIn = serde_json::from_slice(&body).map_err(|e| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
        )
    })?;
    let e = parsed.validated()?;
    if state.store.signature_seen(connector.id, sig).await? {
        return Err(replayed());
    }
    let call = state.store.call(connector.id, &e.call_id).await?;
    if let Some(c) = &call {
        if state.store.call_event_seen(c.id, e.kind, e.at).await? {
            return Ok((
                StatusCode::OK,
                Json(CallEventOut {
                    call: c.id,
                    conversation_id: c.conversation_id,
                    state: c.state.as_str().to_string(),
                    duplicate: true,
                }),
            ));
        }
    }
    let next = voice::transition(call.as_ref().map(|c| c.state), e.kind)
        .map_err(|t| refused(StatusCode::CONFLICT, "invalid_transition", t.to_string()))?;
    let members = state.store.members(tenant.id).await?;
    let advisor = match e.advisor.as_deref() {
        Some(who) => Some(member(&members, who).ok_or_else(|| {
            WebError::from(DomainError::field(
                "advisor",
                format!("no advisor of this brand is {who}"),
            ))
        })?),
        None => None,
    };
    let payload = timeline_payload(&e, call.as_ref().map(|c| c.first_at), advisor, &members);
    // Every check passed: the signature is used up now, and only now.
    if !state.store.accept_signature(connector.id, sig).await? {
        return Err(replayed());
    }
    let conversation_id = match &call {
        Some(c) => c.conversation_id,
        None => conversation_for(&state, &connector, &e).await?,
    };
    let recorded = state
        .store
        .record_call_event(NewCallEvent {
            tenant_id: tenant.id,
            connector_id: connector.id,
            call: call.as_ref(),
            call_id: &e.call_id,
            conversation_id,
            caller: &e.caller,
            dialled: &e.dialled,
            event: e.kind,
            at: e.at,
            next,
            payload,
        })
        .await?;
    let (status, call, duplicate) = match recorded {
        Recorded::New { call } => (StatusCode::ACCEPTED, call, false),
        Recorded::Duplicate { call } => (StatusCode::OK, call, true),
    };
    Ok((
        status,
        Json(CallEventOut {
            call,
            conversation_id,
            state: next.as_str().to_string(),
            duplicate,
        }),
    ))
}

fn replayed() -> WebError {
    refused(
        StatusCode::CONFLICT,
        "replayed",
        "this signed request was already received",
    )
}

/// What the timeline shows of an event; stored with it.
fn timeline_payload(
    e: &CallEvent,
    first_at: Option<Timestamp>,
    advisor: Option<&Member>,
    members: &[Member],
) -> serde_json::Value {
    let since_start = first_at.map_or(0, |f| (e.at.0 - f.0).max(0) / 1_000_000);
    let to_name = e
        .to
        .as_deref()
        .map(|t| member(members, t).map_or_else(|| t.to_string(), |m| m.user.display_name.clone()));
    json!({
        "call_id": e.call_id,
        "event": e.kind.as_str(),
        "at": e.at.rfc3339(),
        "caller": e.caller,
        "dialled": e.dialled,
        "ivr_path": e.ivr_path,
        "advisor_id": advisor.map(|m| m.user.id),
        "advisor_name": advisor.map(|m| m.user.display_name.clone()),
        "to": to_name,
        "seconds_since_start": since_start,
        "duration_seconds": e.duration_seconds,
        "hangup": e.hangup.map(|h| h.as_str()),
        "recording": e.recording,
    })
}

/// The conversation a new call belongs to: the caller's open phone
/// conversation, or a new one opened through the shared inbound path with
/// the customer found by number (or created with it).
async fn conversation_for(
    state: &AppState,
    connector: &Connector,
    e: &CallEvent,
) -> Result<Uuid, WebError> {
    let t = connector.tenant_id;
    let customer = state
        .store
        .customer_by_identity(t, IdentityKind::Phone, &e.caller)
        .await?;
    let open = match &customer {
        Some(c) => state.store.open_phone_conversation(t, c.id).await?,
        None => None,
    };
    if let Some(conv) = open {
        return Ok(conv);
    }
    let ivr = if e.ivr_path.is_empty() {
        String::new()
    } else {
        format!(" (IVR {})", voice::ivr_label(&e.ivr_path))
    };
    let d = crate::inbound::deliver(
        &state.store,
        crate::inbound::Arrival {
            tenant_id: t,
            channel: Channel::Phone,
            thread: None,
            customer: customer.map(|c| c.id),
            identity: (IdentityKind::Phone, e.caller.clone()),
            name: e.caller.clone(),
            language: None::<Language>,
            subject: format!("☎ {} → {}", e.caller, e.dialled),
            body: format!("☎ {} → {}{ivr}", e.caller, e.dialled),
            attachments: Vec::new(),
            team_id: None,
            tags: vec!["call".to_string()],
        },
    )
    .await?;
    Ok(d.conversation_id)
}

/// A timeline line for a `call.event` log entry, in the reader's language,
/// with the recording's link (href, label) when there is one.
pub fn timeline_line(
    tr: &crate::i18n::Tr,
    tenant_slug: &str,
    p: &serde_json::Value,
) -> (String, Option<(String, String)>) {
    let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let n = |k: &str| p.get(k).and_then(|v| v.as_i64());
    let ivr: Vec<String> = p
        .get("ivr_path")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let ivr = if ivr.is_empty() {
        String::new()
    } else {
        tr.t("call.ivr").replace("{path}", &voice::ivr_label(&ivr))
    };
    let kind = s("event").parse::<CallEventKind>().ok();
    let mut link = None;
    let text = match kind {
        Some(CallEventKind::Offered) => tr
            .t("call.offered")
            .replace("{from}", &s("caller"))
            .replace("{to}", &s("dialled")),
        Some(CallEventKind::Ringing) => tr.t("call.ringing").to_string(),
        Some(CallEventKind::Answered) => tr
            .t("call.answered")
            .replace("{who}", &s("advisor_name"))
            .replace(
                "{after}",
                &voice::duration_label(n("seconds_since_start").unwrap_or(0)),
            ),
        Some(CallEventKind::Transferred) => tr.t("call.transferred").replace("{to}", &s("to")),
        Some(CallEventKind::Ended) => {
            let mut t = tr.t("call.ended").replace(
                "{duration}",
                &voice::duration_label(n("duration_seconds").unwrap_or(0)),
            );
            let side = s("hangup");
            if !side.is_empty() {
                t.push_str(", ");
                t.push_str(&tr.e("hangup", &side));
            }
            t
        }
        Some(CallEventKind::RecordingAvailable) => {
            let r = p.get("recording").cloned().unwrap_or_default();
            let rs = |k: &str| r.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let consent = r.get("consent").and_then(|v| v.as_bool()).unwrap_or(false);
            let label = tr
                .t("call.recording")
                .replace("{format}", &rs("format").unwrap_or_default())
                .replace(
                    "{duration}",
                    &voice::duration_label(
                        r.get("duration_seconds")
                            .and_then(|v| v.as_i64())
                            .unwrap_or(0),
                    ),
                )
                .replace(
                    "{consent}",
                    tr.t(if consent {
                        "call.consent_yes"
                    } else {
                        "call.consent_no"
                    }),
                );
            let href = match (rs("url"), rs("blob_key")) {
                (Some(u), _) => Some(u),
                (None, Some(k)) => Some(format!("/api/v1/tenants/{tenant_slug}/blobs/{k}")),
                _ => None,
            };
            if let Some(h) = href {
                link = Some((h, label.clone()));
            }
            tr.t("call.recording_ready").to_string()
        }
        None => s("event"),
    };
    let line = match kind {
        Some(CallEventKind::Offered | CallEventKind::Answered) if !ivr.is_empty() => {
            format!("{text}, {ivr}")
        }
        _ => text,
    };
    (line, link)
}
