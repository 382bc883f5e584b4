//! SQLite group commit for conversation creation: one task takes every
//! creation queued while the previous transaction ran and commits them in one
//! transaction, so a burst of inbound contacts pays for one commit, not one each.
//!
//! SQLite has a single writer anyway; what a transaction per creation costs is
//! the BEGIN/COMMIT round trips and rewriting the same B-tree pages (the
//! conversations, messages and events indexes) into the WAL every time. A
//! grouped transaction writes each touched page once. Isolation between
//! callers is kept: if any job in a group fails, the group is rolled back and
//! each job is replayed in a transaction of its own, so one bad request never
//! fails or commits another's.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::conversations::{write_sqlite, Prepared};
use crate::{Result, StoreError};
use plateau_core::model::Conversation;

/// Enough to amortise a commit over a burst, small enough that one group's
/// transaction never holds the write connection for long.
const MAX_GROUP: usize = 64;
/// Queued jobs beyond this make callers wait to enqueue (backpressure).
const QUEUE: usize = 1024;

struct Job {
    tenant_id: Uuid,
    prepared: Vec<Prepared>,
    actor: Option<Uuid>,
    reply: oneshot::Sender<Result<Vec<Conversation>>>,
}

/// The handle callers queue creations on. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the write pool. The task ends when the last
    /// `Writer` (every clone of the `Store`) is dropped.
    pub(crate) fn spawn(pool: SqlitePool) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, jobs));
        Writer { queue }
    }

    /// Writes one caller's conversations, all or nothing, and returns them
    /// once their transaction has committed.
    pub(crate) async fn write(
        &self,
        tenant_id: Uuid,
        prepared: Vec<Prepared>,
        actor: Option<Uuid>,
    ) -> Result<Vec<Conversation>> {
        let (reply, done) = oneshot::channel();
        let job = Job {
            tenant_id,
            prepared,
            actor,
            reply,
        };
        let stopped = || StoreError::Corrupt("the SQLite writer task has stopped".into());
        self.queue.send(job).await.map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

async fn run(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(job) = jobs.recv().await {
        group.push(job);
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&pool, std::mem::take(&mut group)).await;
    }
}

async fn commit_group(pool: &SqlitePool, group: Vec<Job>) {
    if group.len() > 1 {
        match write_jobs(pool, &group).await {
            Ok(all) => {
                for (job, created) in group.into_iter().zip(all) {
                    // A caller that went away (client disconnected) still had
                    // its conversation written: accepted data is kept.
                    let _ = job.reply.send(Ok(created));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, jobs = group.len(), "a grouped write failed; replaying each job alone");
            }
        }
    }
    for job in group {
        let result = write_jobs(pool, std::slice::from_ref(&job))
            .await
            .and_then(|mut all| {
                all.pop()
                    .ok_or(StoreError::Corrupt("a write job produced nothing".into()))
            });
        let _ = job.reply.send(result);
    }
}

async fn write_jobs(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<Vec<Conversation>>> {
    let mut tx = pool.begin().await?;
    let mut all = Vec::with_capacity(jobs.len());
    for job in jobs {
        all.push(write_sqlite(&mut tx, job.tenant_id, &job.prepared, job.actor).await?);
    }
    tx.commit().await?;
    Ok(all)
}
