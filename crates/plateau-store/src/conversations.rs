//! Conversations and their messages: one thread per customer issue across
//! channels, created, listed, replied to and updated with their event rows in
//! the same transaction, so a crash can never leave half a conversation.

use std::collections::HashMap;

use plateau_core::event::kind;
use plateau_core::model::{
    Attachment, Channel, Conversation, Customer, Direction, Language, Message, Priority, Role,
    Status,
};
use plateau_core::{validate, DomainError, Timestamp};
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::backend::on_pool;
use crate::customers::{insert_customer, NewCustomer};
use crate::events::{insert_event, insert_events, NewEvent};
use crate::row::{bind_args, Arg, Params, PortableRow};
use crate::{Result, Store, StoreError};

pub(crate) const COLS: &str = "id, tenant_id, number, customer_id, subject, status, priority, reason, assignee_id, team_id, channel, language, preview, message_count, created_at, updated_at, last_message_at";
const PREVIEW_CHARS: usize = 160;

pub(crate) fn conversation(r: &impl PortableRow) -> Result<Conversation> {
    Ok(Conversation {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        number: r.int("number")?,
        customer_id: r.uuid("customer_id")?,
        subject: r.text("subject")?,
        status: r.parse("status")?,
        priority: r.parse("priority")?,
        reason: r.opt_text("reason")?,
        tags: Vec::new(),
        assignee_id: r.opt_uuid("assignee_id")?,
        team_id: r.opt_uuid("team_id")?,
        channel: r.parse("channel")?,
        language: r.parse("language")?,
        preview: r.text("preview")?,
        message_count: r.int("message_count")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
        last_message_at: r.ts("last_message_at")?,
    })
}

pub(crate) fn message(r: &impl PortableRow) -> Result<Message> {
    let attachments: Vec<Attachment> = serde_json::from_str(&r.text("attachments")?)
        .map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))?;
    Ok(Message {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        conversation_id: r.uuid("conversation_id")?,
        direction: r.parse("direction")?,
        channel: r.parse("channel")?,
        author_id: r.opt_uuid("author_id")?,
        body: r.text("body")?,
        attachments,
        created_at: r.ts("created_at")?,
    })
}

fn preview(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        flat
    } else {
        let mut s: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// Who the new conversation is with.
#[derive(Debug, Clone)]
pub enum CustomerRef {
    Existing(Uuid),
    New(NewCustomer),
}

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub customer: CustomerRef,
    pub subject: String,
    pub channel: Channel,
    /// Inbound when the customer reached us; outbound when an advisor called or wrote first.
    pub direction: Direction,
    pub body: String,
    pub priority: Priority,
    pub reason: Option<String>,
    pub tags: Vec<String>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub language: Option<Language>,
    pub attachments: Vec<Attachment>,
    /// Back-dates the conversation; only imports and the demo set it.
    pub at: Option<Timestamp>,
}

/// A conversation with its history, as an import or the demo brings it.
#[derive(Debug, Clone)]
pub struct Import {
    pub new: NewConversation,
    pub followups: Vec<NewMessage>,
    /// Final status; by default the one the messages lead to.
    pub status: Option<Status>,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub direction: Direction,
    pub channel: Channel,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// Status to set with a public reply (e.g. "send and mark pending").
    pub then_status: Option<Status>,
    pub at: Option<Timestamp>,
}

/// A partial update; `None` leaves a field unchanged. `assignee_id: Some(None)` unassigns.
#[derive(Debug, Clone, Default)]
pub struct ConversationPatch {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub reason: Option<Option<String>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub team_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Any,
    Unassigned,
    User(Uuid),
}

#[derive(Debug, Clone)]
pub struct InboxFilter {
    pub assignee: AssigneeFilter,
    pub team_id: Option<Uuid>,
    /// Empty means every status.
    pub statuses: Vec<Status>,
    pub channel: Option<Channel>,
    pub customer_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Only conversations with a running SLA clock, the one due (or
    /// breached) first at the top, instead of the latest activity first.
    pub by_sla_due: bool,
}

impl Default for InboxFilter {
    fn default() -> Self {
        InboxFilter {
            assignee: AssigneeFilter::Any,
            team_id: None,
            statuses: Vec::new(),
            channel: None,
            customer_id: None,
            tag: None,
            by_sla_due: false,
        }
    }
}

/// An opaque position in an inbox list: the last row's (updated_at, id), or
/// (SLA due instant, id) in the SLA order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row.
    pub updated_at: i64,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at, self.id.simple())
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || {
            StoreError::Domain(DomainError::field(
                "cursor",
                "is not a cursor this server issued",
            ))
        };
        let (t, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            updated_at: t.parse().map_err(|_| bad())?,
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Counts for the supervisor board.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Board {
    /// (team id or None for no team, status, count), active statuses only.
    pub by_team: Vec<(Option<Uuid>, Status, i64)>,
    pub by_channel: Vec<(Channel, Status, i64)>,
    /// (assignee, active conversations, oldest update among them).
    pub by_assignee: Vec<(Uuid, i64, Timestamp)>,
    pub unassigned_active: i64,
    pub oldest_new: Option<Timestamp>,
}

/// Everything one write needs, checked against the tenant before the transaction.
pub(crate) struct Checked {
    subject: String,
    body: String,
    reason: Option<String>,
    tags: Vec<String>,
    /// A new customer's normalised name and identities.
    customer: Option<(String, Vec<plateau_core::model::Identity>)>,
}

/// One conversation validated and ready to write: a new customer is already
/// built (`Ok`), an existing one is referenced by id (`Err`).
pub(crate) struct Prepared {
    new: NewConversation,
    checked: Checked,
    customer: std::result::Result<Customer, Uuid>,
    followups: Vec<NewMessage>,
    status: Option<Status>,
}

/// Writes prepared conversations inside the open transaction `$tx` and
/// evaluates to the created conversations. A macro, like the other write
/// helpers, so one body serves both backends and the SQLite group writer.
macro_rules! write_prepared {
    ($tx:ident, $tenant_id:expr, $prepared:expr, $reserved:expr, $actor:expr) => {{
        let mut created = Vec::with_capacity($prepared.len());
        for (i, Prepared { new, checked, customer, followups, status: final_status }) in $prepared.iter().enumerate() {
            // This conversation's events, written together in one statement.
            let mut pending: Vec<NewEvent> = Vec::with_capacity(2 + followups.len());
            let (customer_id, language) = match customer {
                Ok(c) => {
                    pending.push(insert_customer!($tx, c, $actor));
                    (c.id, c.profile.language)
                }
                Err(id) => {
                    let row = sqlx::query("SELECT language FROM customers WHERE tenant_id = $1 AND id = $2")
                        .bind($tenant_id).bind(*id).fetch_optional(&mut *$tx).await?;
                    let Some(row) = row else {
                        return Err(DomainError::field("customer_id", "is not a customer of this tenant").into());
                    };
                    (*id, row.parse::<Language>("language")?)
                }
            };
            // PostgreSQL: a number reserved before the transaction. SQLite has
            // one writer, so the next number is read inside the INSERT itself
            // (an index lookup on (tenant_id, number)) and stays gapless.
            let number = $reserved.as_ref().map(|numbers| numbers[i]).unwrap_or(0);
            let at = new.at.unwrap_or_else(Timestamp::now);
            let mut status = if new.assignee_id.is_some() || new.direction == Direction::Outbound { Status::Open } else { Status::New };
            let mut last_public = (at, checked.body.as_str(), new.channel);
            let mut last_at = at;
            for f in followups {
                let fat = f.at.unwrap_or(at).max(last_at);
                last_at = fat;
                status = match f.direction {
                    Direction::Outbound => status.after_reply(),
                    Direction::Inbound => status.after_inbound(),
                    Direction::Note => status,
                };
                if f.direction != Direction::Note {
                    last_public = (fat, f.body.as_str(), f.channel);
                }
            }
            if let Some(s) = final_status {
                status = *s;
            }
            let mut c = Conversation {
                id: Uuid::now_v7(),
                tenant_id: $tenant_id,
                number,
                customer_id,
                subject: checked.subject.clone(),
                status,
                priority: new.priority,
                reason: checked.reason.clone(),
                tags: checked.tags.clone(),
                assignee_id: new.assignee_id,
                team_id: new.team_id,
                channel: last_public.2,
                language: new.language.unwrap_or(language),
                preview: preview(last_public.1),
                message_count: 1 + followups.len() as i64,
                created_at: at,
                updated_at: last_at,
                last_message_at: last_public.0,
            };
            let number_sql = if $reserved.is_some() { "$3" } else { "(SELECT COALESCE(MAX(number), $3) + 1 FROM conversations WHERE tenant_id = $2)" };
            c.number = sqlx::query(&format!("INSERT INTO conversations ({COLS}) VALUES ($1, $2, {number_sql}, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING number"))
                .bind(c.id).bind($tenant_id).bind(c.number).bind(c.customer_id).bind(&c.subject)
                .bind(c.status.as_str()).bind(c.priority.as_str()).bind(c.reason.as_deref())
                .bind(c.assignee_id).bind(c.team_id).bind(c.channel.as_str()).bind(c.language.as_str())
                .bind(&c.preview).bind(c.message_count).bind(at.0).bind(c.updated_at.0).bind(c.last_message_at.0)
                .fetch_one(&mut *$tx).await?
                .int("number")?;
            for t in &c.tags {
                sqlx::query("INSERT INTO conversation_tags (conversation_id, tag, tenant_id) VALUES ($1, $2, $3)")
                    .bind(c.id).bind(t).bind($tenant_id).execute(&mut *$tx).await?;
            }
            let msg_id = Uuid::now_v7();
            let author = if new.direction == Direction::Outbound { $actor } else { None };
            sqlx::query("INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(msg_id).bind($tenant_id).bind(c.id).bind(new.direction.as_str()).bind(new.channel.as_str())
                .bind(author).bind(&checked.body).bind(serde_json::to_string(&new.attachments).unwrap_or_else(|_| "[]".into())).bind(at.0)
                .execute(&mut *$tx).await?;
            pending.push(NewEvent {
                tenant_id: Some($tenant_id), kind: kind::CONVERSATION_CREATED, subject_id: Some(c.id), actor_id: $actor,
                payload: json!({"number": c.number, "status": c.status, "channel": c.channel, "team_id": c.team_id,
                                "assignee_id": c.assignee_id, "message_id": msg_id, "direction": new.direction}),
            });
            let mut prev = at;
            for f in followups {
                let fat = f.at.unwrap_or(at).max(prev);
                prev = fat;
                let id = Uuid::now_v7();
                sqlx::query("INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(id).bind($tenant_id).bind(c.id).bind(f.direction.as_str()).bind(f.channel.as_str())
                    .bind(f.author_id).bind(&f.body).bind(serde_json::to_string(&f.attachments).unwrap_or_else(|_| "[]".into())).bind(fat.0)
                    .execute(&mut *$tx).await?;
                pending.push(NewEvent {
                    tenant_id: Some($tenant_id), kind: kind::MESSAGE_ADDED, subject_id: Some(c.id), actor_id: f.author_id,
                    payload: json!({"message_id": id, "direction": f.direction, "channel": f.channel, "imported": true}),
                });
            }
            insert_events!(&mut *$tx, &pending);
            created.push(c);
        }
        created
    }};
}

/// The SQLite group writer's entry point: one job's conversations, written on
/// the connection whose transaction the writer shares between jobs.
pub(crate) async fn write_sqlite(
    conn: &mut sqlx::SqliteConnection,
    tenant_id: Uuid,
    prepared: &[Prepared],
    actor: Option<Uuid>,
) -> Result<Vec<Conversation>> {
    let reserved: Option<Vec<i64>> = None;
    Ok(write_prepared!(conn, tenant_id, prepared, reserved, actor))
}

impl Store {
    /// Rejects an assignee who is not a working member of the tenant, and a
    /// team from another tenant: ids from elsewhere must never be linked in.
    pub(crate) async fn check_links(
        &self,
        tenant_id: Uuid,
        assignee: Option<Uuid>,
        team: Option<Uuid>,
    ) -> Result<()> {
        let mut v = plateau_core::error::Validator::new();
        if let Some(a) = assignee {
            match self.member(tenant_id, a).await? {
                Some(m) if m.role != Role::ClientViewer && !m.user.disabled => {}
                _ => v.push("assignee_id", "is not an advisor of this tenant"),
            }
        }
        if let Some(t) = team {
            if !self.teams(tenant_id).await?.iter().any(|x| x.id == t) {
                v.push("team_id", "is not a team of this tenant");
            }
        }
        v.finish().map_err(Into::into)
    }

    fn check_new(new: &NewConversation) -> Result<Checked> {
        let mut v = plateau_core::error::Validator::new();
        let subject = v.check(
            "subject",
            validate::text(&new.subject, validate::MAX_SUBJECT),
        );
        let body = v.check("body", validate::text(&new.body, validate::MAX_BODY));
        let reason = match &new.reason {
            Some(r) if !r.trim().is_empty() => v.check("reason", validate::text(r, 100)).map(Some),
            _ => Some(None),
        };
        let tags = v.check("tags", validate::tags(&new.tags));
        if new.direction == Direction::Note {
            v.push(
                "direction",
                "a conversation starts with an inbound or outbound message",
            );
        }
        let mut customer = None;
        if let CustomerRef::New(c) = &new.customer {
            match c.validated("customer.") {
                Ok(valid) => customer = Some(valid),
                Err(StoreError::Domain(DomainError::Invalid(errs))) => {
                    for e in errs {
                        v.push(&e.field, e.message);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        v.finish()?;
        Ok(Checked {
            subject: subject.unwrap_or_default(),
            body: body.unwrap_or_default(),
            reason: reason.flatten(),
            tags: tags.unwrap_or_default(),
            customer,
        })
    }

    pub async fn create_conversation(
        &self,
        tenant_id: Uuid,
        new: NewConversation,
        actor: Option<Uuid>,
    ) -> Result<Conversation> {
        let mut out = self
            .create_conversations(tenant_id, vec![new], actor)
            .await?;
        out.pop()
            .ok_or(StoreError::Corrupt("no conversation created".into()))
    }

    /// Creates several conversations in one transaction; either all of them
    /// exist afterwards or none does.
    pub async fn create_conversations(
        &self,
        tenant_id: Uuid,
        news: Vec<NewConversation>,
        actor: Option<Uuid>,
    ) -> Result<Vec<Conversation>> {
        let imports = news
            .into_iter()
            .map(|new| Import {
                new,
                followups: Vec::new(),
                status: None,
            })
            .collect();
        self.import_conversations(tenant_id, imports, actor).await
    }

    /// Writes whole conversations with their later messages (imports, the
    /// demo) in one transaction, with the same events a live desk would log.
    pub async fn import_conversations(
        &self,
        tenant_id: Uuid,
        imports: Vec<Import>,
        actor: Option<Uuid>,
    ) -> Result<Vec<Conversation>> {
        let mut prepared = Vec::with_capacity(imports.len());
        let mut links_checked: Vec<(Option<Uuid>, Option<Uuid>)> = Vec::new();
        for Import {
            new,
            followups,
            status,
        } in imports
        {
            for (i, f) in followups.iter().enumerate() {
                validate::text(&f.body, validate::MAX_BODY)
                    .map_err(|m| DomainError::field(format!("followups[{i}].body"), m))?;
            }
            let mut checked = Self::check_new(&new)?;
            let link = (new.assignee_id, new.team_id);
            if !links_checked.contains(&link) {
                self.check_links(tenant_id, new.assignee_id, new.team_id)
                    .await?;
                links_checked.push(link);
            }
            let customer = match (&new.customer, checked.customer.take()) {
                (CustomerRef::Existing(id), _) => Err(*id),
                (CustomerRef::New(_), None) => {
                    return Err(StoreError::Corrupt("new customer was not validated".into()))
                }
                (CustomerRef::New(c), Some((name, identities))) => Ok(Customer {
                    id: Uuid::now_v7(),
                    tenant_id,
                    name,
                    profile: c.profile.clone(),
                    identities,
                    created_at: new.at.unwrap_or_else(Timestamp::now),
                }),
            };
            prepared.push(Prepared {
                new,
                checked,
                customer,
                followups,
                status,
            });
        }
        let reserved = match self.backend {
            crate::Backend::Postgres => Some(
                self.allocate_numbers(tenant_id, prepared.len() as i64)
                    .await?,
            ),
            crate::Backend::Sqlite => None,
        };
        if let Some(writer) = &self.writer {
            let created = writer.write(tenant_id, prepared, actor).await?;
            self.notify_committed();
            return Ok(created);
        }
        let created = on_pool!(&self.write, p => {
            let mut tx = p.begin().await?;
            let created = write_prepared!(tx, tenant_id, prepared, reserved, actor);
            tx.commit().await?;
            created
        });
        self.notify_committed();
        Ok(created)
    }

    /// Reserves `n` conversation numbers for a tenant on PostgreSQL. Numbering
    /// inside each transaction would hold the tenant's row lock through every
    /// commit and serialise all creation in a tenant; instead numbers come from
    /// blocks of 100 reserved in their own short statement (the hi/lo scheme).
    /// The price: a crash or a failed write leaves gaps, and numbers from two
    /// server processes interleave out of creation order.
    async fn allocate_numbers(&self, tenant_id: Uuid, n: i64) -> Result<Vec<i64>> {
        const BLOCK: i64 = 100;
        let mut out = Vec::with_capacity(n as usize);
        loop {
            {
                let mut blocks = self
                    .numbers
                    .lock()
                    .map_err(|_| StoreError::Corrupt("number allocator poisoned".into()))?;
                if let Some((next, last)) = blocks.get_mut(&tenant_id) {
                    while *next <= *last && (out.len() as i64) < n {
                        out.push(*next);
                        *next += 1;
                    }
                }
            }
            if out.len() as i64 == n {
                return Ok(out);
            }
            let want = BLOCK.max(n - out.len() as i64);
            let last = on_pool!(&self.write, p => {
                sqlx::query("UPDATE tenants SET next_number = next_number + $1 WHERE id = $2 RETURNING next_number")
                    .bind(want).bind(tenant_id).fetch_optional(p).await?
                    .ok_or(DomainError::NotFound("tenant"))?
                    .int("next_number")?
            });
            let mut blocks = self
                .numbers
                .lock()
                .map_err(|_| StoreError::Corrupt("number allocator poisoned".into()))?;
            blocks.insert(tenant_id, (last - want + 1, last));
        }
    }

    pub async fn conversation(&self, tenant_id: Uuid, id: Uuid) -> Result<Conversation> {
        let found = on_pool!(&self.read, p => {
            match sqlx::query(&format!("SELECT {COLS} FROM conversations WHERE tenant_id = $1 AND id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await? {
                None => None,
                Some(r) => {
                    let mut c = conversation(&r)?;
                    for t in sqlx::query("SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag")
                        .bind(id).fetch_all(p).await? {
                        c.tags.push(t.text("tag")?);
                    }
                    Some(c)
                }
            }
        });
        found.ok_or(DomainError::NotFound("conversation").into())
    }

    pub async fn conversation_by_number(
        &self,
        tenant_id: Uuid,
        number: i64,
    ) -> Result<Conversation> {
        let id = on_pool!(&self.read, p => {
            sqlx::query("SELECT id FROM conversations WHERE tenant_id = $1 AND number = $2")
                .bind(tenant_id).bind(number).fetch_optional(p).await?
                .map(|r| r.uuid("id")).transpose()?
        });
        match id {
            Some(id) => self.conversation(tenant_id, id).await,
            None => Err(DomainError::NotFound("conversation").into()),
        }
    }

    /// One page of an inbox, most recently active first.
    pub async fn conversations(
        &self,
        tenant_id: Uuid,
        f: &InboxFilter,
        cursor: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Conversation>> {
        let limit = limit.clamp(1, 200);
        let mut params = Params::default();
        // The SLA order reads the due instant through a subquery so that
        // no column name is shared with the conversations table.
        let (join, key) = if f.by_sla_due {
            (
                " JOIN (SELECT conversation_id, due_at AS sla_due_at FROM sla_due) d ON d.conversation_id = c.id",
                "sla_due_at",
            )
        } else {
            ("", "updated_at")
        };
        let mut sql = format!(
            "SELECT {COLS}{} FROM conversations c{join} WHERE tenant_id = {}",
            if f.by_sla_due { ", sla_due_at" } else { "" },
            params.push(Arg::Uuid(tenant_id))
        );
        match f.assignee {
            AssigneeFilter::Any => {}
            AssigneeFilter::Unassigned => sql.push_str(" AND assignee_id IS NULL"),
            AssigneeFilter::User(u) => {
                sql.push_str(&format!(" AND assignee_id = {}", params.push(Arg::Uuid(u))))
            }
        }
        if let Some(t) = f.team_id {
            sql.push_str(&format!(" AND team_id = {}", params.push(Arg::Uuid(t))));
        }
        if !f.statuses.is_empty() {
            let ph: Vec<String> = f
                .statuses
                .iter()
                .map(|s| params.push(Arg::Text(s.as_str().into())))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", ph.join(", ")));
        }
        if let Some(ch) = f.channel {
            sql.push_str(&format!(
                " AND channel = {}",
                params.push(Arg::Text(ch.as_str().into()))
            ));
        }
        if let Some(cu) = f.customer_id {
            sql.push_str(&format!(
                " AND customer_id = {}",
                params.push(Arg::Uuid(cu))
            ));
        }
        if let Some(tag) = &f.tag {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = {})",
                params.push(Arg::Text(tag.clone()))
            ));
        }
        // Newest activity first, or the soonest SLA due first.
        let (cmp, dir) = if f.by_sla_due {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some(cur) = cursor {
            let a = params.push(Arg::Int(cur.updated_at));
            let b = params.push(Arg::Uuid(cur.id));
            sql.push_str(&format!(" AND ({key}, id) {cmp} ({a}, {b})"));
        }
        sql.push_str(&format!(
            " ORDER BY {key} {dir}, id {dir} LIMIT {}",
            params.push(Arg::Int(limit + 1))
        ));

        let rows: Vec<(Conversation, i64)> = on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(|r| {
                    let c = conversation(r)?;
                    let k = if f.by_sla_due { r.int("sla_due_at")? } else { c.updated_at.0 };
                    Ok((c, k))
                }).collect::<Result<Vec<_>>>()?
        });
        let more = rows.len() as i64 > limit;
        let mut keys: Vec<(i64, Uuid)> = Vec::with_capacity(rows.len());
        let mut items: Vec<Conversation> = Vec::with_capacity(rows.len());
        for (c, k) in rows.into_iter().take(limit as usize) {
            keys.push((k, c.id));
            items.push(c);
        }
        let next_cursor = if more {
            keys.last().map(|(k, id)| {
                Cursor {
                    updated_at: *k,
                    id: *id,
                }
                .encode()
            })
        } else {
            None
        };
        self.fill_tags(&mut items).await?;
        Ok(Page { items, next_cursor })
    }

    pub(crate) async fn fill_tags(&self, items: &mut [Conversation]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut params = Params::default();
        let ph: Vec<String> = items.iter().map(|c| params.push(Arg::Uuid(c.id))).collect();
        let sql = format!("SELECT conversation_id, tag FROM conversation_tags WHERE conversation_id IN ({}) ORDER BY tag", ph.join(", "));
        let pairs: Vec<(Uuid, String)> = on_pool!(&self.read, p => {
            bind_args!(sqlx::query(&sql), &params.args).fetch_all(p).await?
                .iter().map(|r| Ok((r.uuid("conversation_id")?, r.text("tag")?))).collect::<Result<Vec<_>>>()?
        });
        let mut by_id: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (id, t) in pairs {
            by_id.entry(id).or_default().push(t);
        }
        for c in items {
            if let Some(t) = by_id.remove(&c.id) {
                c.tags = t;
            }
        }
        Ok(())
    }

    /// The messages of a conversation, oldest first; notes only when asked.
    pub async fn messages(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        include_notes: bool,
    ) -> Result<Vec<Message>> {
        let sql = if include_notes {
            "SELECT id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, id"
        } else {
            "SELECT id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction <> 'note' ORDER BY created_at, id"
        };
        on_pool!(&self.read, p => {
            sqlx::query(sql).bind(tenant_id).bind(conversation_id).fetch_all(p).await?
                .iter().map(message).collect()
        })
    }

    /// One message of a brand's conversation, notes included.
    pub async fn message(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        id: Uuid,
    ) -> Result<Message> {
        let row = on_pool!(&self.read, p => {
            sqlx::query("SELECT id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3")
                .bind(tenant_id).bind(conversation_id).bind(id).fetch_optional(p).await?
                .map(|r| message(&r)).transpose()?
        });
        row.ok_or(DomainError::NotFound("message").into())
    }

    /// Adds a reply, an inbound message or an internal note, moving the
    /// conversation's status as the domain rules say.
    pub async fn add_message(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        new: NewMessage,
        actor: Option<Uuid>,
    ) -> Result<(Message, Conversation)> {
        let body = validate::text(&new.body, validate::MAX_BODY)
            .map_err(|m| DomainError::field("body", m))?;
        // A live reply by e-mail is queued for delivery with the message;
        // back-dated ones (imports, the demo) are history, already sent.
        let live_reply = new.direction == Direction::Outbound && new.at.is_none();
        let deliver = live_reply && new.channel == Channel::Email;
        // A live reply on the social channel goes back through its connector.
        let network = if live_reply && new.channel == Channel::Social {
            Some(self.social_reply_route(tenant_id, conversation_id).await?)
        } else {
            None
        };
        for _ in 0..5 {
            let c = self.conversation(tenant_id, conversation_id).await?;
            let mail_to = if deliver {
                Some(self.customer_email(tenant_id, c.customer_id).await?)
            } else {
                None
            };
            if c.status == Status::Closed {
                return Err(DomainError::Conflict(
                    "the conversation is closed; start a new one".into(),
                )
                .into());
            }
            let mut status = match new.direction {
                Direction::Outbound => c.status.after_reply(),
                Direction::Inbound => c.status.after_inbound(),
                Direction::Note => c.status,
            };
            if let Some(s) = new.then_status {
                if new.direction == Direction::Note {
                    return Err(
                        DomainError::field("status", "a note does not change the status").into(),
                    );
                }
                if !c.status.can_become(s) {
                    return Err(DomainError::field(
                        "status",
                        format!("cannot go from {} to {}", c.status, s),
                    )
                    .into());
                }
                status = s;
            }
            let at = new.at.unwrap_or_else(Timestamp::now).max(c.updated_at);
            let m = Message {
                id: Uuid::now_v7(),
                tenant_id,
                conversation_id,
                direction: new.direction,
                channel: new.channel,
                author_id: new.author_id,
                body: body.clone(),
                attachments: new.attachments.clone(),
                created_at: at,
            };
            let public = new.direction != Direction::Note;
            let updated = on_pool!(&self.write, p => {
                let mut tx = p.begin().await?;
                // Optimistic check: someone else's change since our read means retry.
                let n = if public {
                    sqlx::query("UPDATE conversations SET status = $1, channel = $2, preview = $3, message_count = message_count + 1, updated_at = $4, last_message_at = $4 WHERE tenant_id = $5 AND id = $6 AND updated_at = $7")
                        .bind(status.as_str()).bind(m.channel.as_str()).bind(preview(&m.body)).bind(at.0)
                        .bind(tenant_id).bind(conversation_id).bind(c.updated_at.0)
                        .execute(&mut *tx).await?.rows_affected()
                } else {
                    sqlx::query("UPDATE conversations SET message_count = message_count + 1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND updated_at = $4")
                        .bind(at.0).bind(tenant_id).bind(conversation_id).bind(c.updated_at.0)
                        .execute(&mut *tx).await?.rows_affected()
                };
                if n == 1 {
                    sqlx::query("INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, author_id, body, attachments, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(m.id).bind(tenant_id).bind(conversation_id).bind(m.direction.as_str()).bind(m.channel.as_str())
                        .bind(m.author_id).bind(&m.body).bind(serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into())).bind(at.0)
                        .execute(&mut *tx).await?;
                    if let Some(to) = &mail_to {
                        crate::mail::queue_reply!(&mut *tx, tenant_id, conversation_id, m.id, to.as_deref(), at);
                    }
                    if let Some(route) = &network {
                        crate::social::queue_network_reply!(&mut *tx, tenant_id, conversation_id, m.id, route.as_ref(), at);
                    }
                    insert_event!(&mut *tx, &NewEvent {
                        tenant_id: Some(tenant_id), kind: kind::MESSAGE_ADDED, subject_id: Some(conversation_id), actor_id: actor,
                        payload: json!({"message_id": m.id, "direction": m.direction, "channel": m.channel,
                                        "status": {"from": c.status, "to": status}}),
                    });
                    tx.commit().await?;
                    true
                } else {
                    tx.rollback().await?;
                    false
                }
            });
            if updated {
                self.notify_committed();
                let c = self.conversation(tenant_id, conversation_id).await?;
                return Ok((m, c));
            }
        }
        Err(DomainError::Conflict("the conversation is changing too fast; try again".into()).into())
    }

    pub async fn update_conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: ConversationPatch,
        actor: Option<Uuid>,
    ) -> Result<Conversation> {
        let mut v = plateau_core::error::Validator::new();
        let tags = match &patch.tags {
            Some(t) => v.check("tags", validate::tags(t)),
            None => None,
        };
        let subject = match &patch.subject {
            Some(s) => v.check("subject", validate::text(s, validate::MAX_SUBJECT)),
            None => None,
        };
        let reason = match &patch.reason {
            Some(Some(r)) if !r.trim().is_empty() => {
                v.check("reason", validate::text(r, 100)).map(Some)
            }
            Some(_) => Some(None),
            None => None,
        };
        v.finish()?;
        self.check_links(
            tenant_id,
            patch.assignee_id.flatten(),
            patch.team_id.flatten(),
        )
        .await?;

        for _ in 0..5 {
            let before = self.conversation(tenant_id, id).await?;
            let mut after = before.clone();
            let mut changes = Map::new();
            let mut note = |field: &str, from: Value, to: Value| {
                if from != to {
                    changes.insert(field.into(), json!({"from": from, "to": to}));
                }
            };
            if let Some(s) = patch.status {
                if !before.status.can_become(s) {
                    return Err(DomainError::field(
                        "status",
                        format!("cannot go from {} to {}", before.status, s),
                    )
                    .into());
                }
                after.status = s;
                note("status", json!(before.status), json!(s));
            } else if before.status == Status::Closed {
                return Err(DomainError::Conflict("the conversation is closed".into()).into());
            }
            if let Some(p) = patch.priority {
                after.priority = p;
                note("priority", json!(before.priority), json!(p));
            }
            if let Some(r) = &reason {
                after.reason = r.clone();
                note("reason", json!(before.reason), json!(r));
            }
            if let Some(a) = patch.assignee_id {
                after.assignee_id = a;
                // Taking a new conversation is starting work on it.
                if a.is_some() && after.status == Status::New && patch.status.is_none() {
                    after.status = Status::Open;
                    note("status", json!(before.status), json!(Status::Open));
                }
                note("assignee_id", json!(before.assignee_id), json!(a));
            }
            if let Some(t) = patch.team_id {
                after.team_id = t;
                note("team_id", json!(before.team_id), json!(t));
            }
            if let Some(t) = &tags {
                after.tags = t.clone();
                note("tags", json!(before.tags), json!(t));
            }
            if let Some(s) = &subject {
                after.subject = s.clone();
                note("subject", json!(before.subject), json!(s));
            }
            if changes.is_empty() {
                return Ok(before);
            }
            let now = Timestamp::now().max(Timestamp(before.updated_at.0 + 1));
            after.updated_at = now;
            let ok = on_pool!(&self.write, p => {
                let mut tx = p.begin().await?;
                let n = sqlx::query("UPDATE conversations SET status = $1, priority = $2, reason = $3, assignee_id = $4, team_id = $5, subject = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9 AND updated_at = $10")
                    .bind(after.status.as_str()).bind(after.priority.as_str()).bind(after.reason.as_deref())
                    .bind(after.assignee_id).bind(after.team_id).bind(&after.subject).bind(now.0)
                    .bind(tenant_id).bind(id).bind(before.updated_at.0)
                    .execute(&mut *tx).await?.rows_affected();
                if n == 1 {
                    if tags.is_some() {
                        sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1").bind(id).execute(&mut *tx).await?;
                        for t in &after.tags {
                            sqlx::query("INSERT INTO conversation_tags (conversation_id, tag, tenant_id) VALUES ($1, $2, $3)")
                                .bind(id).bind(t).bind(tenant_id).execute(&mut *tx).await?;
                        }
                    }
                    insert_event!(&mut *tx, &NewEvent {
                        tenant_id: Some(tenant_id), kind: kind::CONVERSATION_UPDATED, subject_id: Some(id), actor_id: actor,
                        payload: json!({"changes": changes}),
                    });
                    tx.commit().await?;
                    true
                } else {
                    tx.rollback().await?;
                    false
                }
            });
            if ok {
                self.notify_committed();
                return Ok(after);
            }
        }
        Err(DomainError::Conflict("the conversation is changing too fast; try again".into()).into())
    }

    pub async fn board(&self, tenant_id: Uuid) -> Result<Board> {
        let mut b = Board::default();
        on_pool!(&self.read, p => {
            for r in sqlx::query("SELECT team_id, status, COUNT(*) AS n FROM conversations WHERE tenant_id = $1 AND status IN ('new', 'open', 'pending') GROUP BY team_id, status")
                .bind(tenant_id).fetch_all(p).await? {
                b.by_team.push((r.opt_uuid("team_id")?, r.parse("status")?, r.int("n")?));
            }
            for r in sqlx::query("SELECT channel, status, COUNT(*) AS n FROM conversations WHERE tenant_id = $1 AND status IN ('new', 'open', 'pending') GROUP BY channel, status")
                .bind(tenant_id).fetch_all(p).await? {
                b.by_channel.push((r.parse("channel")?, r.parse("status")?, r.int("n")?));
            }
            for r in sqlx::query("SELECT assignee_id, COUNT(*) AS n, MIN(updated_at) AS oldest FROM conversations WHERE tenant_id = $1 AND status IN ('new', 'open', 'pending') AND assignee_id IS NOT NULL GROUP BY assignee_id")
                .bind(tenant_id).fetch_all(p).await? {
                b.by_assignee.push((r.uuid("assignee_id")?, r.int("n")?, r.ts("oldest")?));
            }
            let r = sqlx::query("SELECT COUNT(*) AS n FROM conversations WHERE tenant_id = $1 AND status IN ('new', 'open', 'pending') AND assignee_id IS NULL")
                .bind(tenant_id).fetch_one(p).await?;
            b.unassigned_active = r.int("n")?;
            let r = sqlx::query("SELECT MIN(created_at) AS oldest FROM conversations WHERE tenant_id = $1 AND status = 'new'")
                .bind(tenant_id).fetch_one(p).await?;
            b.oldest_new = r.opt_int("oldest")?.map(Timestamp);
        });
        Ok(b)
    }

    /// Active conversations per assignee, newest first, for "who works on what".
    pub async fn active_by_assignee(
        &self,
        tenant_id: Uuid,
        assignee: Uuid,
        limit: i64,
    ) -> Result<Vec<Conversation>> {
        let f = InboxFilter {
            assignee: AssigneeFilter::User(assignee),
            statuses: vec![Status::New, Status::Open, Status::Pending],
            ..InboxFilter::default()
        };
        Ok(self.conversations(tenant_id, &f, None, limit).await?.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            updated_at: 42,
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "42", "x.y", "42.zz"] {
            assert!(Cursor::decode(bad).is_err());
        }
    }

    #[test]
    fn previews_are_flat_and_short() {
        assert_eq!(preview("a\n\n b"), "a b");
        let long = "x".repeat(500);
        assert_eq!(preview(&long).chars().count(), PREVIEW_CHARS);
    }
}
