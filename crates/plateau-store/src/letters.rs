//! Scanned letters: the metadata an advisor typed in, kept beside the
//! conversation the letter opened (the scan itself is a blob).

use plateau_core::channels::letter::Letter;
use plateau_core::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::row::PortableRow;
use crate::{Result, Store};

#[derive(Debug, Clone, Serialize)]
pub struct LetterRecord {
    pub conversation_id: Uuid,
    pub sender_name: String,
    pub postal_address: String,
    pub received_on: String,
    pub reference: String,
    pub summary: String,
    pub blob_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn record_letter(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        l: &Letter,
        blob_key: &str,
        content_type: &str,
        size_bytes: i64,
        actor: Option<Uuid>,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO letters (conversation_id, tenant_id, sender_name, postal_address, received_on, reference, summary, blob_key, content_type, size_bytes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                .bind(conversation_id).bind(tenant_id).bind(&l.sender_name).bind(&l.postal_address)
                .bind(&l.received_on).bind(&l.reference).bind(&l.summary).bind(blob_key)
                .bind(content_type).bind(size_bytes).bind(actor).bind(Timestamp::now().0)
                .execute(p).await?;
        });
        Ok(())
    }

    pub async fn letter(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Option<LetterRecord>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT conversation_id, sender_name, postal_address, received_on, reference, summary, blob_key, content_type, size_bytes, created_by, created_at FROM letters WHERE tenant_id = $1 AND conversation_id = $2")
                .bind(tenant_id).bind(conversation_id).fetch_optional(p).await?
                .map(|r| Ok(LetterRecord {
                    conversation_id: r.uuid("conversation_id")?,
                    sender_name: r.text("sender_name")?,
                    postal_address: r.text("postal_address")?,
                    received_on: r.text("received_on")?,
                    reference: r.text("reference")?,
                    summary: r.text("summary")?,
                    blob_key: r.text("blob_key")?,
                    content_type: r.text("content_type")?,
                    size_bytes: r.int("size_bytes")?,
                    created_by: r.opt_uuid("created_by")?,
                    created_at: r.ts("created_at")?,
                }))
                .transpose()
        })
    }
}
