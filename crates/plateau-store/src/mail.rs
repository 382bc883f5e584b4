//! Inbound e-mail storage: the mailbox addresses that route mail to a tenant,
//! the raw messages receivers accepted (written before they are
//! acknowledged, so none is lost), their processing state and dead letters,
//! and the Message-IDs that thread replies and drop duplicates.

use plateau_core::channels::mail::{ImapSecurity, ImapSettings};
use plateau_core::event::kind;
use plateau_core::{DomainError, Timestamp};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::events::{insert_event, NewEvent};
use crate::outbox::Outbox;
use crate::row::PortableRow;
use crate::{Result, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Mailbox {
    pub address: String,
    pub tenant_id: Uuid,
    pub team_id: Option<Uuid>,
    pub created_at: Timestamp,
}

/// Where a stored inbound message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundState {
    Pending,
    /// Taken by one worker; back to pending if that worker died.
    Processing,
    Ingested,
    Machine,
    Duplicate,
    Dead,
    Discarded,
}

impl InboundState {
    pub fn as_str(self) -> &'static str {
        match self {
            InboundState::Pending => "pending",
            InboundState::Processing => "processing",
            InboundState::Ingested => "ingested",
            InboundState::Machine => "machine",
            InboundState::Duplicate => "duplicate",
            InboundState::Dead => "dead",
            InboundState::Discarded => "discarded",
        }
    }
}

impl std::str::FromStr for InboundState {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "pending" => InboundState::Pending,
            "processing" => InboundState::Processing,
            "ingested" => InboundState::Ingested,
            "machine" => InboundState::Machine,
            "duplicate" => InboundState::Duplicate,
            "dead" => InboundState::Dead,
            "discarded" => InboundState::Discarded,
            other => return Err(format!("unknown inbound state {other}")),
        })
    }
}

/// A stored inbound message without its raw bytes.
#[derive(Debug, Clone, Serialize)]
pub struct InboundMail {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `smtp`, `lmtp` or `imap`.
    pub source: String,
    pub envelope_from: String,
    pub envelope_to: String,
    pub message_id: Option<String>,
    pub subject: String,
    pub size_bytes: i64,
    pub state: InboundState,
    /// Why it is a dead letter, or which kind of machine mail it is.
    pub detail: Option<String>,
    pub conversation_id: Option<Uuid>,
    pub message_uuid: Option<Uuid>,
    pub attempts: i64,
    pub received_at: Timestamp,
    pub processed_at: Option<Timestamp>,
}

/// A message as a receiver hands it over.
#[derive(Debug, Clone)]
pub struct AcceptedMail<'a> {
    pub tenant_id: Uuid,
    pub source: &'static str,
    pub envelope_from: &'a str,
    pub envelope_to: &'a str,
    /// Read off the header when it could be; only informative here.
    pub message_id: Option<&'a str>,
    pub subject: &'a str,
    pub raw: &'a [u8],
}

/// The result of claiming a Message-ID for an inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First time the tenant sees this id (or the same inbound row again
    /// after a crash, with the conversation it reached if it got that far).
    Mine { conversation_id: Option<Uuid> },
    /// Another message already carried this id.
    Duplicate,
}

const COLS: &str = "id, tenant_id, source, envelope_from, envelope_to, message_id, subject, size_bytes, state, detail, conversation_id, message_uuid, attempts, received_at, processed_at";

fn inbound(r: &impl PortableRow) -> Result<InboundMail> {
    Ok(InboundMail {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        source: r.text("source")?,
        envelope_from: r.text("envelope_from")?,
        envelope_to: r.text("envelope_to")?,
        message_id: r.opt_text("message_id")?,
        subject: r.text("subject")?,
        size_bytes: r.int("size_bytes")?,
        state: r.parse("state")?,
        detail: r.opt_text("detail")?,
        conversation_id: r.opt_uuid("conversation_id")?,
        message_uuid: r.opt_uuid("message_uuid")?,
        attempts: r.int("attempts")?,
        received_at: r.ts("received_at")?,
        processed_at: r.opt_int("processed_at")?.map(Timestamp),
    })
}

fn mailbox(r: &impl PortableRow) -> Result<Mailbox> {
    Ok(Mailbox {
        address: r.text("address")?,
        tenant_id: r.uuid("tenant_id")?,
        team_id: r.opt_uuid("team_id")?,
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    // ---- mailboxes -------------------------------------------------------

    /// Routes `address` (already normalised) to the tenant, and to a team
    /// when given. An address belongs to one tenant: taking another
    /// tenant's address is a conflict, never a silent move.
    pub async fn put_mailbox(
        &self,
        tenant_id: Uuid,
        address: &str,
        team_id: Option<Uuid>,
        actor: Option<Uuid>,
    ) -> Result<Mailbox> {
        if let Some(existing) = self.mailbox(address).await? {
            if existing.tenant_id != tenant_id {
                return Err(DomainError::Conflict(format!(
                    "{address} already delivers to another brand"
                ))
                .into());
            }
        }
        if let Some(team) = team_id {
            self.check_links(tenant_id, None, Some(team)).await?;
        }
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO mailboxes (address, tenant_id, team_id, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (address) DO UPDATE SET team_id = $3 WHERE mailboxes.tenant_id = $2")
                .bind(address).bind(tenant_id).bind(team_id).bind(now.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::MAILBOX_UPDATED, subject_id: None, actor_id: actor,
                payload: json!({"address": address, "team_id": team_id}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.mailbox(address)
            .await?
            .filter(|m| m.tenant_id == tenant_id)
            .ok_or_else(|| {
                DomainError::Conflict(format!("{address} already delivers to another brand")).into()
            })
    }

    pub async fn delete_mailbox(
        &self,
        tenant_id: Uuid,
        address: &str,
        actor: Option<Uuid>,
    ) -> Result<()> {
        let n = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM mailbox_imap WHERE tenant_id = $1 AND address = $2")
                .bind(tenant_id).bind(address).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM mailboxes WHERE tenant_id = $1 AND address = $2")
                .bind(tenant_id).bind(address).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::MAILBOX_UPDATED, subject_id: None, actor_id: actor,
                    payload: json!({"address": address, "deleted": true}),
                });
            }
            tx.commit().await?;
            n
        });
        if n == 0 {
            return Err(DomainError::NotFound("mailbox").into());
        }
        self.notify_committed();
        Ok(())
    }

    /// The mailbox an address delivers to, whatever the tenant: receivers
    /// use it to accept or refuse a recipient.
    pub async fn mailbox(&self, address: &str) -> Result<Option<Mailbox>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT address, tenant_id, team_id, created_at FROM mailboxes WHERE address = $1")
                .bind(address).fetch_optional(p).await?
                .map(|r| mailbox(&r)).transpose()
        })
    }

    pub async fn mailboxes(&self, tenant_id: Uuid) -> Result<Vec<Mailbox>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT address, tenant_id, team_id, created_at FROM mailboxes WHERE tenant_id = $1 ORDER BY address")
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(mailbox).collect()
        })
    }

    // ---- inbound messages -------------------------------------------------

    /// Stores a received message as pending and returns its id. A receiver
    /// acknowledges the message only after this returns.
    pub async fn accept_mail(&self, m: AcceptedMail<'_>) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            sqlx::query(&format!("INSERT INTO mail_inbound ({COLS}, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, 0, $10, NULL, $11)"))
                .bind(id).bind(m.tenant_id).bind(m.source).bind(m.envelope_from).bind(m.envelope_to)
                .bind(m.message_id).bind(m.subject).bind(m.raw.len() as i64).bind(InboundState::Pending.as_str())
                .bind(now.0).bind(m.raw)
                .execute(p).await?;
        });
        Ok(id)
    }

    pub async fn inbound_mail(&self, tenant_id: Uuid, id: Uuid) -> Result<InboundMail> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM mail_inbound WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .map(|r| inbound(&r)).transpose()?
                .ok_or_else(|| DomainError::NotFound("inbound message").into())
        })
    }

    /// The raw bytes as received, for processing and for download.
    pub async fn inbound_raw(&self, tenant_id: Uuid, id: Uuid) -> Result<Vec<u8>> {
        on_pool!(&self.read, p => {
            let row = sqlx::query("SELECT raw FROM mail_inbound WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .ok_or(DomainError::NotFound("inbound message"))?;
            use sqlx::Row;
            Ok(row.try_get::<Vec<u8>, _>("raw")?)
        })
    }

    /// A tenant's inbound messages in one state, newest first.
    pub async fn inbound_mails(
        &self,
        tenant_id: Uuid,
        state: InboundState,
        limit: i64,
    ) -> Result<Vec<InboundMail>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM mail_inbound WHERE tenant_id = $1 AND state = $2 ORDER BY received_at DESC, id DESC LIMIT $3"))
                .bind(tenant_id).bind(state.as_str()).bind(limit).fetch_all(p).await?
                .iter().map(inbound).collect()
        })
    }

    /// Pending messages of every tenant, oldest first: what a crash or a
    /// restart left unprocessed.
    pub async fn pending_mails(&self, limit: i64) -> Result<Vec<InboundMail>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {COLS} FROM mail_inbound WHERE state = $1 ORDER BY received_at, id LIMIT $2"))
                .bind(InboundState::Pending.as_str()).bind(limit).fetch_all(p).await?
                .iter().map(inbound).collect()
        })
    }

    /// Takes a pending message for processing; false if another worker (in
    /// this or another server process) already has it.
    pub async fn take_mail(&self, tenant_id: Uuid, id: Uuid) -> Result<bool> {
        let n = on_pool!(&self.write, p => {
            sqlx::query("UPDATE mail_inbound SET state = $1, processed_at = $2 WHERE tenant_id = $3 AND id = $4 AND state = $5")
                .bind(InboundState::Processing.as_str()).bind(Timestamp::now().0).bind(tenant_id).bind(id)
                .bind(InboundState::Pending.as_str())
                .execute(p).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Gives back to pending the messages a worker took before `before` and
    /// never finished (it crashed or was killed).
    pub async fn requeue_stale_mail(&self, before: Timestamp) -> Result<u64> {
        on_pool!(&self.write, p => {
            Ok(sqlx::query("UPDATE mail_inbound SET state = $1 WHERE state = $2 AND processed_at < $3")
                .bind(InboundState::Pending.as_str()).bind(InboundState::Processing.as_str()).bind(before.0)
                .execute(p).await?.rows_affected())
        })
    }

    /// Claims `message_id` for the inbound row `inbound_id`.
    pub async fn claim_message_id(
        &self,
        tenant_id: Uuid,
        message_id: &str,
        inbound_id: Uuid,
    ) -> Result<Claim> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO mail_message_ids (tenant_id, message_id, conversation_id, inbound_id, created_at) VALUES ($1, $2, NULL, $3, $4) ON CONFLICT (tenant_id, message_id) DO NOTHING")
                .bind(tenant_id).bind(message_id).bind(inbound_id).bind(now.0)
                .execute(p).await?;
            let r = sqlx::query("SELECT conversation_id, inbound_id FROM mail_message_ids WHERE tenant_id = $1 AND message_id = $2")
                .bind(tenant_id).bind(message_id).fetch_one(p).await?;
            Ok(if r.opt_uuid("inbound_id")? == Some(inbound_id) {
                Claim::Mine { conversation_id: r.opt_uuid("conversation_id")? }
            } else {
                Claim::Duplicate
            })
        })
    }

    /// Records a Message-ID we sent (or one received outside the receivers)
    /// so that replies to it thread into `conversation_id`.
    pub async fn remember_message_id(
        &self,
        tenant_id: Uuid,
        message_id: &str,
        conversation_id: Uuid,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO mail_message_ids (tenant_id, message_id, conversation_id, inbound_id, created_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (tenant_id, message_id) DO NOTHING")
                .bind(tenant_id).bind(message_id).bind(conversation_id).bind(Timestamp::now().0)
                .execute(p).await?;
        });
        Ok(())
    }

    /// The conversations known Message-IDs belong to, as (id, conversation).
    pub async fn conversations_by_message_ids(
        &self,
        tenant_id: Uuid,
        ids: &[String],
    ) -> Result<Vec<(String, Uuid)>> {
        let mut out = Vec::new();
        // A reply references at most a few dozen ids; read them one by one
        // through the primary key rather than build an IN list.
        for id in ids.iter().take(50) {
            let found = on_pool!(&self.read, p => {
                sqlx::query("SELECT conversation_id FROM mail_message_ids WHERE tenant_id = $1 AND message_id = $2")
                    .bind(tenant_id).bind(id).fetch_optional(p).await?
                    .map(|r| r.opt_uuid("conversation_id")).transpose()?.flatten()
            });
            if let Some(c) = found {
                out.push((id.clone(), c));
            }
        }
        Ok(out)
    }

    /// Ends the processing of an inbound message. For an ingested one the
    /// claimed Message-ID now points at its conversation, so replies thread.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_mail(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        state: InboundState,
        detail: Option<&str>,
        conversation_id: Option<Uuid>,
        message_uuid: Option<Uuid>,
        message_id: Option<&str>,
    ) -> Result<()> {
        let now = Timestamp::now();
        let event = match state {
            InboundState::Dead => Some(kind::MAIL_DEAD_LETTERED),
            InboundState::Machine => Some(kind::MAIL_MACHINE_RECEIVED),
            _ => None,
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE mail_inbound SET state = $1, detail = $2, conversation_id = $3, message_uuid = $4, attempts = attempts + 1, processed_at = $5 WHERE tenant_id = $6 AND id = $7")
                .bind(state.as_str()).bind(detail).bind(conversation_id).bind(message_uuid).bind(now.0)
                .bind(tenant_id).bind(id)
                .execute(&mut *tx).await?;
            if let (Some(mid), Some(c)) = (message_id, conversation_id) {
                sqlx::query("UPDATE mail_message_ids SET conversation_id = $1 WHERE tenant_id = $2 AND message_id = $3 AND inbound_id = $4")
                    .bind(c).bind(tenant_id).bind(mid).bind(id)
                    .execute(&mut *tx).await?;
            }
            if let Some(k) = event {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: k, subject_id: Some(id), actor_id: None,
                    payload: json!({"detail": detail, "conversation_id": conversation_id}),
                });
            }
            tx.commit().await?;
        });
        if event.is_some() {
            self.notify_committed();
        }
        Ok(())
    }

    /// Puts a dead letter back to pending so it is processed again, or
    /// discards it; both are logged. Only dead letters can be resolved.
    pub async fn resolve_dead_letter(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        replay: bool,
        actor: Option<Uuid>,
    ) -> Result<()> {
        let to = if replay {
            InboundState::Pending
        } else {
            InboundState::Discarded
        };
        let n = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE mail_inbound SET state = $1 WHERE tenant_id = $2 AND id = $3 AND state = $4")
                .bind(to.as_str()).bind(tenant_id).bind(id).bind(InboundState::Dead.as_str())
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::MAIL_DEAD_LETTER_RESOLVED, subject_id: Some(id), actor_id: actor,
                    payload: json!({"action": if replay { "replay" } else { "discard" }}),
                });
            }
            tx.commit().await?;
            n
        });
        if n == 0 {
            // Either it does not exist for this tenant or it is not dead.
            self.inbound_mail(tenant_id, id).await?;
            return Err(DomainError::Conflict(
                "only a dead letter can be replayed or discarded".into(),
            )
            .into());
        }
        self.notify_committed();
        Ok(())
    }
}

// ---- IMAP polling -----------------------------------------------------------

/// A mailbox's IMAP settings and where its poller stands.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub address: String,
    pub tenant_id: Uuid,
    pub settings: ImapSettings,
    pub uid_validity: Option<u32>,
    pub last_uid: u32,
    pub last_polled_at: Option<Timestamp>,
    pub last_ok_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Failed polls in a row, for the backoff.
    pub failures: i64,
    /// Messages fetched since the settings were saved.
    pub fetched: i64,
}

const IMAP_COLS: &str = "address, tenant_id, host, port, security, username, password, folder, poll_seconds, ca_pem, uid_validity, last_uid, last_polled_at, last_ok_at, last_error, failures, fetched";

fn imap_config(r: &impl PortableRow) -> Result<ImapConfig> {
    let security = r.text("security")?;
    Ok(ImapConfig {
        address: r.text("address")?,
        tenant_id: r.uuid("tenant_id")?,
        settings: ImapSettings {
            host: r.text("host")?,
            port: u16::try_from(r.int("port")?).unwrap_or(0),
            security: ImapSecurity::parse(&security).ok_or_else(|| {
                DomainError::Conflict(format!("unknown IMAP security {security}"))
            })?,
            username: r.text("username")?,
            password: r.text("password")?,
            folder: r.text("folder")?,
            poll_seconds: r.int("poll_seconds")?,
            ca_pem: r.opt_text("ca_pem")?,
        },
        uid_validity: r
            .opt_int("uid_validity")?
            .and_then(|v| u32::try_from(v).ok()),
        last_uid: u32::try_from(r.int("last_uid")?).unwrap_or(0),
        last_polled_at: r.opt_int("last_polled_at")?.map(Timestamp),
        last_ok_at: r.opt_int("last_ok_at")?.map(Timestamp),
        last_error: r.opt_text("last_error")?,
        failures: r.int("failures")?,
        fetched: r.int("fetched")?,
    })
}

impl Store {
    /// Saves a mailbox's IMAP settings. Pointing it at another server,
    /// account or folder forgets where the previous one stood: its UIDs mean
    /// nothing there.
    pub async fn put_mailbox_imap(
        &self,
        tenant_id: Uuid,
        address: &str,
        s: &ImapSettings,
        actor: Option<Uuid>,
    ) -> Result<ImapConfig> {
        let previous = self.mailbox_imap(tenant_id, address).await?;
        let same_place = previous.as_ref().is_some_and(|p| {
            p.settings.host == s.host
                && p.settings.port == s.port
                && p.settings.username == s.username
                && p.settings.folder == s.folder
        });
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let owned = sqlx::query("SELECT address FROM mailboxes WHERE tenant_id = $1 AND address = $2")
                .bind(tenant_id).bind(address).fetch_optional(&mut *tx).await?;
            if owned.is_none() {
                return Err(DomainError::NotFound("mailbox").into());
            }
            if same_place {
                sqlx::query("UPDATE mailbox_imap SET security = $1, password = $2, poll_seconds = $3, ca_pem = $4, last_error = NULL, failures = 0, updated_at = $5 WHERE tenant_id = $6 AND address = $7")
                    .bind(s.security.as_str()).bind(&s.password).bind(s.poll_seconds).bind(&s.ca_pem)
                    .bind(now.0).bind(tenant_id).bind(address)
                    .execute(&mut *tx).await?;
            } else {
                sqlx::query("DELETE FROM mailbox_imap WHERE tenant_id = $1 AND address = $2")
                    .bind(tenant_id).bind(address).execute(&mut *tx).await?;
                sqlx::query(&format!("INSERT INTO mailbox_imap ({IMAP_COLS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL, NULL, NULL, 0, 0, $11)"))
                    .bind(address).bind(tenant_id).bind(&s.host).bind(i64::from(s.port)).bind(s.security.as_str())
                    .bind(&s.username).bind(&s.password).bind(&s.folder).bind(s.poll_seconds).bind(&s.ca_pem)
                    .bind(now.0)
                    .execute(&mut *tx).await?;
            }
            // The password stays out of the event log.
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(tenant_id), kind: kind::MAILBOX_UPDATED, subject_id: None, actor_id: actor,
                payload: json!({"address": address, "imap": {"host": s.host, "port": s.port, "security": s.security.as_str(), "username": s.username, "folder": s.folder, "poll_seconds": s.poll_seconds}}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        self.mailbox_imap(tenant_id, address)
            .await?
            .ok_or_else(|| DomainError::NotFound("mailbox").into())
    }

    /// Stops polling a mailbox; false when it had no IMAP settings.
    pub async fn delete_mailbox_imap(
        &self,
        tenant_id: Uuid,
        address: &str,
        actor: Option<Uuid>,
    ) -> Result<bool> {
        let n = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM mailbox_imap WHERE tenant_id = $1 AND address = $2")
                .bind(tenant_id).bind(address).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                insert_event!(&mut *tx, &NewEvent {
                    tenant_id: Some(tenant_id), kind: kind::MAILBOX_UPDATED, subject_id: None, actor_id: actor,
                    payload: json!({"address": address, "imap": null}),
                });
            }
            tx.commit().await?;
            n
        });
        if n == 1 {
            self.notify_committed();
        }
        Ok(n == 1)
    }

    pub async fn mailbox_imap(&self, tenant_id: Uuid, address: &str) -> Result<Option<ImapConfig>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {IMAP_COLS} FROM mailbox_imap WHERE tenant_id = $1 AND address = $2"))
                .bind(tenant_id).bind(address).fetch_optional(p).await?
                .map(|r| imap_config(&r)).transpose()
        })
    }

    /// A tenant's polled mailboxes.
    pub async fn mailbox_imaps(&self, tenant_id: Uuid) -> Result<Vec<ImapConfig>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {IMAP_COLS} FROM mailbox_imap WHERE tenant_id = $1 ORDER BY address"))
                .bind(tenant_id).fetch_all(p).await?
                .iter().map(imap_config).collect()
        })
    }

    /// Every polled mailbox of every tenant, for the pollers.
    pub async fn all_mailbox_imaps(&self) -> Result<Vec<ImapConfig>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {IMAP_COLS} FROM mailbox_imap ORDER BY address"))
                .fetch_all(p).await?
                .iter().map(imap_config).collect()
        })
    }

    /// Records where a poll stands once a message is stored (or, after a
    /// first poll, the folder's current end). The UID never goes back, even
    /// if two pollers raced.
    pub async fn imap_advance(
        &self,
        tenant_id: Uuid,
        address: &str,
        uid_validity: u32,
        last_uid: u32,
        fetched: i64,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("UPDATE mailbox_imap SET last_uid = CASE WHEN uid_validity = $1 AND last_uid > $2 THEN last_uid ELSE $2 END, uid_validity = $1, fetched = fetched + $3 WHERE tenant_id = $4 AND address = $5")
                .bind(i64::from(uid_validity)).bind(i64::from(last_uid)).bind(fetched).bind(tenant_id).bind(address)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Records how a poll ended: `error` None for success. Failures count up
    /// for the backoff and reset on the first success.
    pub async fn imap_polled(
        &self,
        tenant_id: Uuid,
        address: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            match error {
                None => sqlx::query("UPDATE mailbox_imap SET last_polled_at = $1, last_ok_at = $1, last_error = NULL, failures = 0 WHERE tenant_id = $2 AND address = $3")
                    .bind(now.0).bind(tenant_id).bind(address).execute(p).await?,
                Some(e) => sqlx::query("UPDATE mailbox_imap SET last_polled_at = $1, last_error = $2, failures = failures + 1 WHERE tenant_id = $3 AND address = $4")
                    .bind(now.0).bind(e).bind(tenant_id).bind(address).execute(p).await?,
            };
        });
        Ok(())
    }
}

impl Store {
    /// Keeps the sanitised HTML of a received message (the caller sanitised it).
    pub async fn put_message_html(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        message_id: Uuid,
        sanitised_html: &str,
    ) -> Result<()> {
        on_pool!(&self.write, p => {
            sqlx::query("INSERT INTO mail_message_html (message_id, tenant_id, conversation_id, html, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING")
                .bind(message_id).bind(tenant_id).bind(conversation_id).bind(sanitised_html).bind(Timestamp::now().0)
                .execute(p).await?;
        });
        Ok(())
    }

    /// The sanitised HTML of a conversation's received messages, by message.
    pub async fn conversation_message_html(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<(Uuid, String)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT message_id, html FROM mail_message_html WHERE tenant_id = $1 AND conversation_id = $2")
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("message_id")?, r.text("html")?))).collect()
        })
    }
}

// ---- outbound -------------------------------------------------------------

/// Queues the delivery of a reply inside the transaction that writes it. A
/// customer without an e-mail address gets a failed entry at once, so the
/// desk says why the reply did not go out instead of showing it as sent.
macro_rules! queue_reply {
    ($tx:expr, $tenant:expr, $conversation:expr, $message:expr, $to:expr, $at:expr) => {{
        let to: Option<&str> = $to;
        let (state, error) = match to {
            Some(_) => ("queued", None),
            None => ("failed", Some("the customer has no e-mail address")),
        };
        sqlx::query("INSERT INTO mail_outbox (message_id, tenant_id, conversation_id, to_address, state, attempts, next_attempt_at, last_error, smtp_message_id, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, NULL, $6, NULL)")
            .bind($message).bind($tenant).bind($conversation).bind(to.unwrap_or("")).bind(state)
            .bind($at.0).bind(error)
            .execute($tx).await?;
    }};
}
pub(crate) use queue_reply;

/// How the delivery of one e-mail reply stands.
#[derive(Debug, Clone, Serialize)]
pub struct Outbound {
    pub message_id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub to_address: String,
    /// queued, sending, sent or failed.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    /// The Message-ID it went out with.
    pub smtp_message_id: Option<String>,
    pub sent_at: Option<Timestamp>,
}

const OUT_COLS: &str = "message_id, tenant_id, conversation_id, to_address, state, attempts, next_attempt_at, last_error, smtp_message_id, sent_at";

fn outbound(r: &impl PortableRow) -> Result<Outbound> {
    Ok(Outbound {
        message_id: r.uuid("message_id")?,
        tenant_id: r.uuid("tenant_id")?,
        conversation_id: r.uuid("conversation_id")?,
        to_address: r.text("to_address")?,
        state: r.text("state")?,
        attempts: r.int("attempts")?,
        next_attempt_at: r.ts("next_attempt_at")?,
        last_error: r.opt_text("last_error")?,
        smtp_message_id: r.opt_text("smtp_message_id")?,
        sent_at: r.opt_int("sent_at")?.map(Timestamp),
    })
}

impl Store {
    /// The customer's e-mail address (the first, if several).
    pub async fn customer_email(
        &self,
        tenant_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Option<String>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT value FROM customer_identities WHERE tenant_id = $1 AND customer_id = $2 AND kind = $3 ORDER BY value LIMIT 1")
                .bind(tenant_id).bind(customer_id).bind("email").fetch_optional(p).await?
                .map(|r| r.text("value")).transpose()
        })
    }

    /// Replies due for a delivery attempt, oldest first.
    pub async fn due_outbound(&self, now: Timestamp, limit: i64) -> Result<Vec<Outbound>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {OUT_COLS} FROM mail_outbox WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, message_id LIMIT $3"))
                .bind("queued").bind(now.0).bind(limit).fetch_all(p).await?
                .iter().map(outbound).collect()
        })
    }

    /// The earliest time a queued reply is due, to sleep until then.
    pub async fn next_outbound_at(&self) -> Result<Option<Timestamp>> {
        self.outbox_next_due(Outbox::Mail).await
    }

    /// Takes a due reply for one worker; `now` is kept to find it again if
    /// that worker dies.
    pub async fn take_outbound(&self, message_id: Uuid, now: Timestamp) -> Result<bool> {
        self.outbox_take(Outbox::Mail, message_id, now).await
    }

    /// Puts back replies a worker took before `before` and never finished.
    pub async fn requeue_stale_outbound(&self, before: Timestamp) -> Result<u64> {
        self.outbox_requeue_stale(Outbox::Mail, before).await
    }

    /// Records a delivery, and the Message-ID it carried so that the
    /// customer's answer threads back into the conversation.
    pub async fn outbound_sent(&self, o: &Outbound, smtp_message_id: &str) -> Result<()> {
        let now = Timestamp::now();
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE mail_outbox SET state = $1, attempts = attempts + 1, last_error = NULL, smtp_message_id = $2, sent_at = $3 WHERE message_id = $4")
                .bind("sent").bind(smtp_message_id).bind(now.0).bind(o.message_id)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO mail_message_ids (tenant_id, message_id, conversation_id, inbound_id, created_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (tenant_id, message_id) DO NOTHING")
                .bind(o.tenant_id).bind(smtp_message_id).bind(o.conversation_id).bind(now.0)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(o.tenant_id), kind: kind::MAIL_DELIVERY_CHANGED, subject_id: Some(o.conversation_id), actor_id: None,
                payload: json!({"message_id": o.message_id, "state": "sent"}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Records a failed attempt: queued again for `retry_at`, or failed for
    /// good when there is none.
    pub async fn outbound_failed(
        &self,
        o: &Outbound,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let (state, at) = match retry_at {
            Some(t) => ("queued", t),
            None => ("failed", Timestamp::now()),
        };
        on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE mail_outbox SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE message_id = $4")
                .bind(state).bind(error).bind(at.0).bind(o.message_id)
                .execute(&mut *tx).await?;
            insert_event!(&mut *tx, &NewEvent {
                tenant_id: Some(o.tenant_id), kind: kind::MAIL_DELIVERY_CHANGED, subject_id: Some(o.conversation_id), actor_id: None,
                payload: json!({"message_id": o.message_id, "state": state, "error": error}),
            });
            tx.commit().await?;
        });
        self.notify_committed();
        Ok(())
    }

    /// Delivery of every e-mail reply of a conversation.
    pub async fn conversation_outbound(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<Outbound>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {OUT_COLS} FROM mail_outbox WHERE tenant_id = $1 AND conversation_id = $2"))
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(outbound).collect()
        })
    }

    /// The Message-IDs of a conversation, oldest first, each with whether
    /// it was received (true) or sent: a reply's In-Reply-To and References.
    pub async fn conversation_message_ids(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<(String, bool)>> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT message_id, inbound_id FROM mail_message_ids WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, message_id")
                .bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(|r| Ok((r.text("message_id")?, r.opt_uuid("inbound_id")?.is_some()))).collect()
        })
    }

    /// The address a reply goes out from: the mailbox the customer last
    /// wrote to in this conversation, else the brand's first mailbox.
    pub async fn reply_from(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Option<String>> {
        let last = on_pool!(&self.read, p => {
            sqlx::query("SELECT i.envelope_to FROM mail_inbound i JOIN mailboxes b ON b.address = i.envelope_to AND b.tenant_id = i.tenant_id WHERE i.tenant_id = $1 AND i.conversation_id = $2 ORDER BY i.received_at DESC LIMIT 1")
                .bind(tenant_id).bind(conversation_id).fetch_optional(p).await?
                .map(|r| r.text("envelope_to")).transpose()?
        });
        if last.is_some() {
            return Ok(last);
        }
        Ok(self
            .mailboxes(tenant_id)
            .await?
            .into_iter()
            .next()
            .map(|m| m.address))
    }
}
