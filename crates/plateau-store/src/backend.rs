//! Opening the database chosen by URL, and the one macro that runs a query
//! body on whichever backend is open. The SQL text is shared; only the Rust
//! code is instantiated per backend, which is how we avoid `sqlx::Any`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use tokio::sync::Notify;

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool of the open backend.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::backend::Pool::Sqlite($p) => $body,
            $crate::backend::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The handle every part of Plateau shares. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// SQLite allows one writer; a single-connection write pool queues writers
    /// in-process instead of failing them with SQLITE_BUSY. PostgreSQL uses
    /// one pool for both.
    pub(crate) write: Pool,
    pub(crate) read: Pool,
    pub(crate) backend: Backend,
    /// Woken after each commit that wrote events, so tailers see them at once.
    pub(crate) committed: Arc<Notify>,
    /// PostgreSQL only: blocks of conversation numbers reserved per tenant
    /// (next, last). See `allocate_numbers`.
    pub(crate) numbers: Arc<std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (i64, i64)>>>,
    /// SQLite only: the task that commits queued conversation creations
    /// together (see `group_commit`).
    pub(crate) writer: Option<crate::group_commit::Writer>,
    /// SQLite only: tenants whose router this process runs (see `routing.rs`).
    pub(crate) router_claims: crate::routing::LocalClaims,
}

impl Store {
    /// Opens `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            let pool = Pool::Postgres(pool);
            Ok(Store {
                write: pool.clone(),
                read: pool,
                backend: Backend::Postgres,
                committed: Arc::new(Notify::new()),
                numbers: Default::default(),
                writer: None,
                router_claims: Default::default(),
            })
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL survives a process crash without losing a
                // committed transaction; only an OS crash may lose the last ones.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-16000")
                .pragma("temp_store", "memory")
                .optimize_on_close(true, None);
            // An embedded database's connections cannot go stale, so the pool's
            // default liveness ping before each acquire would be a wasted round
            // trip on every transaction.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(opts.read_only(true).optimize_on_close(false, None))
                .await?;
            let writer = Some(crate::group_commit::Writer::spawn(write.clone()));
            Ok(Store {
                writer,
                write: Pool::Sqlite(write),
                read: Pool::Sqlite(read),
                backend: Backend::Sqlite,
                committed: Arc::new(Notify::new()),
                numbers: Default::default(),
                router_claims: Default::default(),
            })
        } else {
            Err(crate::StoreError::Domain(plateau_core::DomainError::field(
                "database_url",
                "must start with sqlite: or postgres://",
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Wakes event tailers; called after every commit that appended events.
    pub(crate) fn notify_committed(&self) {
        self.committed.notify_waiters();
    }

    /// Refreshes the query planner's statistics. SQLite plans without them as
    /// if every index were equally selective, which at a million rows can turn
    /// a primary-key lookup into a tenant-wide scan. PostgreSQL's autovacuum
    /// already does this, so there it is a no-op.
    pub async fn optimize(&self) -> Result<()> {
        if let Pool::Sqlite(p) = &self.write {
            sqlx::query("PRAGMA optimize=0x10002").execute(p).await?;
        }
        Ok(())
    }

    /// SQLite only: moves WAL checkpoints off the writer. A checkpoint copies
    /// the log into the database file and fsyncs it; done by the writer (the
    /// default every 1,000 pages) it stalls every write behind it. A dedicated
    /// connection now checkpoints passively a few times a second, and the
    /// writer only steps in if the log passes 10,000 pages (~40 MB).
    pub async fn spawn_checkpointer(&self) -> Result<()> {
        let Pool::Sqlite(write) = &self.write else {
            return Ok(());
        };
        sqlx::query("PRAGMA wal_autocheckpoint=10000")
            .execute(write)
            .await?;
        let opts = (*write.connect_options()).clone();
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            loop {
                every.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&checkpointer)
                    .await
                {
                    tracing::warn!(error = ?e, "WAL checkpoint failed; the writer will checkpoint itself");
                }
            }
        });
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        on_pool!(&self.read, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(&self.write, p => p.close().await);
        on_pool!(&self.read, p => p.close().await);
    }
}
