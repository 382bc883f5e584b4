//! What the search indexer reads from the store (articles have theirs in
//! `knowledge`): conversations and messages
//! with the context a search hit needs (the customer's name, the thread's
//! subject), page by page in id order for a rebuild, or one at a time when an
//! event says it changed.

use plateau_core::model::{Conversation, Language, Message};
use uuid::Uuid;

use crate::backend::on_pool;
use crate::conversations::{conversation, message, COLS};
use crate::row::PortableRow;
use crate::{Result, Store};

/// A conversation as the index sees it.
#[derive(Debug, Clone)]
pub struct IndexedConversation {
    pub conversation: Conversation,
    pub customer_name: String,
}

/// A message as the index sees it: its text under its thread's subject.
#[derive(Debug, Clone)]
pub struct IndexedMessage {
    pub message: Message,
    pub conversation_number: i64,
    pub subject: String,
    pub language: Language,
}

const MESSAGE_COLS: &str = "m.id, m.tenant_id, m.conversation_id, m.direction, m.channel, m.author_id, m.body, m.attachments, m.created_at, c.number, c.subject, c.language";

fn indexed_message(r: &impl PortableRow) -> Result<IndexedMessage> {
    Ok(IndexedMessage {
        message: message(r)?,
        conversation_number: r.int("number")?,
        subject: r.text("subject")?,
        language: r.parse("language")?,
    })
}

impl Store {
    fn conversation_feed_sql(filter: &str) -> String {
        format!(
            "SELECT {COLS}, (SELECT name FROM customers WHERE customers.id = conversations.customer_id) AS customer_name \
             FROM conversations WHERE {filter}"
        )
    }

    async fn indexed_conversations(
        &self,
        sql: &str,
        a: Uuid,
        b: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<IndexedConversation>> {
        let mut rows: Vec<(Conversation, String)> = on_pool!(&self.read, p => {
            let q = sqlx::query(sql).bind(a);
            let q = match b { Some(b) => q.bind(b), None => q.bind(limit) };
            q.fetch_all(p).await?
                .iter()
                .map(|r| Ok((conversation(r)?, r.text("customer_name")?)))
                .collect::<Result<Vec<_>>>()?
        });
        let mut convs: Vec<Conversation> = rows.iter().map(|(c, _)| c.clone()).collect();
        self.fill_tags(&mut convs).await?;
        Ok(rows
            .drain(..)
            .zip(convs)
            .map(|((_, customer_name), conversation)| IndexedConversation {
                conversation,
                customer_name,
            })
            .collect())
    }

    /// Conversations of every tenant with ids after `after`, in id order.
    pub async fn indexable_conversations_after(
        &self,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<IndexedConversation>> {
        let sql = Self::conversation_feed_sql("id > $1 ORDER BY id LIMIT $2");
        self.indexed_conversations(&sql, after, None, limit).await
    }

    /// One conversation as the index sees it; `None` if it does not exist.
    pub async fn indexable_conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Option<IndexedConversation>> {
        let sql = Self::conversation_feed_sql("tenant_id = $1 AND id = $2");
        Ok(self
            .indexed_conversations(&sql, tenant_id, Some(id), 1)
            .await?
            .pop())
    }

    /// Messages of every tenant with ids after `after`, in id order.
    pub async fn indexable_messages_after(
        &self,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<IndexedMessage>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {MESSAGE_COLS} FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id > $1 ORDER BY m.id LIMIT $2"))
                .bind(after).bind(limit).fetch_all(p).await?
                .iter().map(indexed_message).collect()
        })
    }

    /// One message as the index sees it; `None` if it does not exist.
    pub async fn indexable_message(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Option<IndexedMessage>> {
        on_pool!(&self.read, p => {
            sqlx::query(&format!("SELECT {MESSAGE_COLS} FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.tenant_id = $1 AND m.id = $2"))
                .bind(tenant_id).bind(id).fetch_optional(p).await?
                .as_ref().map(indexed_message).transpose()
        })
    }

    /// How many articles a rebuild will read (for progress).
    pub async fn count_articles(&self) -> Result<i64> {
        on_pool!(&self.read, p => {
            sqlx::query("SELECT COUNT(*) AS n FROM articles").fetch_one(p).await?.int("n")
        })
    }

    /// How many conversations and messages a rebuild will read (for progress).
    pub async fn indexable_counts(&self) -> Result<(i64, i64)> {
        on_pool!(&self.read, p => {
            let c = sqlx::query("SELECT COUNT(*) AS n FROM conversations").fetch_one(p).await?.int("n")?;
            let m = sqlx::query("SELECT COUNT(*) AS n FROM messages").fetch_one(p).await?.int("n")?;
            Ok((c, m))
        })
    }
}
