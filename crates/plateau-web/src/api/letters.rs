//! Letters received by post: an advisor uploads the scan (PDF, PNG or JPEG,
//! recognised by content) with the metadata they read on it, and a
//! conversation on the letter channel opens with the scan attached. A bad
//! upload is refused whole: nothing is stored.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use plateau_core::channels::letter::{self, LetterIn};
use plateau_core::model::{
    Attachment, Channel, ContractTier, Conversation, CustomerProfile, Direction, Language,
    Priority, Tenant,
};
use plateau_core::policy::Action;
use plateau_core::DomainError;
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use uuid::Uuid;

use super::tenant_for;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::AppState;

/// The request body limit of the upload routes: the largest scan plus room
/// for the typed fields.
pub const UPLOAD_LIMIT_BYTES: usize = letter::MAX_SCAN_BYTES + 64 * 1024;

/// The multipart form as received.
#[derive(Default)]
pub struct LetterForm {
    pub letter: LetterIn,
    /// An existing customer the letter is from; else one is created with
    /// the sender's name.
    pub customer_id: String,
    pub scan: Vec<u8>,
    /// The UI form's CSRF token (the API authenticates otherwise).
    pub csrf: String,
}

fn too_large() -> WebError {
    WebError::Request {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        detail: format!(
            "the scan is larger than {} MiB",
            letter::MAX_SCAN_BYTES / (1024 * 1024)
        ),
    }
}

fn multipart_error(e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    WebError::Request {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_multipart",
        detail: e.body_text(),
    }
}

pub fn multipart_rejection(r: MultipartRejection) -> WebError {
    WebError::Request {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        detail: format!("send multipart/form-data: {}", r.body_text()),
    }
}

/// Reads every field; unknown ones are refused so that a typo is not lost.
pub async fn read_form(mut m: Multipart) -> Result<LetterForm, WebError> {
    let mut f = LetterForm::default();
    while let Some(field) = m.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "scan" {
            let data = field.bytes().await.map_err(multipart_error)?;
            if data.len() > letter::MAX_SCAN_BYTES {
                return Err(too_large());
            }
            f.scan = data.to_vec();
            continue;
        }
        let text = field.text().await.map_err(multipart_error)?;
        match name.as_str() {
            "sender_name" => f.letter.sender_name = text,
            "postal_address" => f.letter.postal_address = text,
            "received_on" => f.letter.received_on = text,
            "reference" => f.letter.reference = text,
            "summary" => f.letter.summary = text,
            "customer_id" => f.customer_id = text,
            "_csrf" => f.csrf = text,
            other => {
                return Err(DomainError::field(other, "unknown field").into());
            }
        }
    }
    Ok(f)
}

/// Checks everything, then stores the scan, opens the conversation and
/// keeps the metadata.
pub async fn create_letter(
    state: &AppState,
    user: &CurrentUser,
    t: &Tenant,
    f: LetterForm,
) -> Result<Conversation, WebError> {
    let l = f.letter.validated()?;
    let media_type = letter::check_scan(&f.scan)?;
    let customer = match f.customer_id.trim() {
        "" => CustomerRef::New(NewCustomer {
            name: l.sender_name.clone(),
            profile: CustomerProfile {
                age_band: None,
                tech_appetite: None,
                value_tier: None,
                contract_tier: ContractTier::Standard,
                language: Language::Fr,
                preferred_channel: Some(Channel::Letter),
            },
            identities: Vec::new(),
        }),
        id => {
            let id = Uuid::parse_str(id)
                .map_err(|_| DomainError::field("customer_id", "is not a customer id"))?;
            CustomerRef::Existing(state.store.customer(t.id, id).await?.id)
        }
    };
    let ext = letter::extension(media_type);
    let key = format!("letter-{}.{ext}", Uuid::now_v7());
    let meta = state
        .store
        .put_blob(t.id, &key, media_type, &f.scan, Some(user.user.id))
        .await?;
    let subject: String = l
        .summary
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect();
    let reference = if l.reference.is_empty() {
        String::new()
    } else {
        format!(" · {}", l.reference)
    };
    let body = format!(
        "{}\n\n{}\n{}\n{}{reference}",
        l.summary, l.sender_name, l.postal_address, l.received_on
    );
    let conv = state
        .store
        .create_conversation(
            t.id,
            NewConversation {
                customer,
                subject,
                channel: Channel::Letter,
                direction: Direction::Inbound,
                body,
                priority: Priority::Normal,
                reason: None,
                tags: vec!["letter".to_string()],
                team_id: None,
                assignee_id: None,
                language: None,
                attachments: vec![Attachment {
                    file_name: format!("scan.{ext}"),
                    content_type: media_type.to_string(),
                    size_bytes: meta.size_bytes,
                    blob_key: Some(meta.key.clone()),
                }],
                at: None,
            },
            Some(user.user.id),
        )
        .await?;
    state
        .store
        .record_letter(
            t.id,
            conv.id,
            &l,
            &meta.key,
            media_type,
            meta.size_bytes,
            Some(user.user.id),
        )
        .await?;
    Ok(conv)
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/letters", tag = "channels", params(("tenant" = String, Path)), request_body(content_type = "multipart/form-data", description = "scan (PDF, PNG or JPEG), sender_name, postal_address, received_on (YYYY-MM-DD), reference (optional), summary, customer_id (optional)"), responses((status = 201, body = Conversation), (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Conversation>), WebError> {
    let t = tenant_for(&state, &user, &slug, Action::CreateConversation).await?;
    let f = read_form(form.map_err(multipart_rejection)?).await?;
    let conv = create_letter(&state, &user, &t, f).await?;
    Ok((StatusCode::CREATED, Json(conv)))
}
