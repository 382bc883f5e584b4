//! The state machine every outbound queue shares (`mail_outbox` for e-mail
//! replies, `webhook_outbox` for replies to connectors): rows are `queued`
//! until due, taken by one worker as `sending`, and put back when the worker
//! that took them died. Each queue keeps its own columns and outcomes.

use plateau_core::Timestamp;
use uuid::Uuid;

use crate::backend::on_pool;
use crate::row::PortableRow;
use crate::{Result, Store};

/// The outbound queues (table names, never from input).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outbox {
    Mail,
    Webhook,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Mail => "mail_outbox",
            Outbox::Webhook => "webhook_outbox",
        }
    }
}

impl Store {
    /// The earliest time a queued delivery is due, to sleep until then.
    pub(crate) async fn outbox_next_due(&self, q: Outbox) -> Result<Option<Timestamp>> {
        let sql = format!(
            "SELECT MIN(next_attempt_at) AS at FROM {} WHERE state = $1",
            q.table()
        );
        on_pool!(&self.read, p => {
            let r = sqlx::query(&sql).bind("queued").fetch_one(p).await?;
            Ok(r.opt_int("at")?.map(Timestamp))
        })
    }

    /// Takes a due delivery for one worker; `now` is kept to find it again
    /// if that worker dies. False when another worker has it.
    pub(crate) async fn outbox_take(
        &self,
        q: Outbox,
        message_id: Uuid,
        now: Timestamp,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET state = $1, next_attempt_at = $2 WHERE message_id = $3 AND state = $4",
            q.table()
        );
        let n = on_pool!(&self.write, p => {
            sqlx::query(&sql).bind("sending").bind(now.0).bind(message_id).bind("queued")
                .execute(p).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Puts back deliveries a worker took before `before` and never
    /// finished (the peer may get one twice, never zero times).
    pub(crate) async fn outbox_requeue_stale(&self, q: Outbox, before: Timestamp) -> Result<u64> {
        let sql = format!(
            "UPDATE {} SET state = $1 WHERE state = $2 AND next_attempt_at < $3",
            q.table()
        );
        on_pool!(&self.write, p => {
            Ok(sqlx::query(&sql).bind("queued").bind("sending").bind(before.0)
                .execute(p).await?.rows_affected())
        })
    }
}
