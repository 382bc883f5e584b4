//! Embedded schema migrations, one set per backend, applied in order at start.
//!
//! The two sets must list the same versions and names; a test checks it, and
//! another applies both and compares the resulting tables and columns.

use sha2::{Digest, Sha256};

use crate::backend::on_pool;
use crate::row::PortableRow;
use crate::{Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "arrivals_index",
        sqlite: include_str!("../migrations/sqlite/0002_arrivals_index.sql"),
        postgres: include_str!("../migrations/postgres/0002_arrivals_index.sql"),
    },
    Migration {
        version: 3,
        name: "knowledge",
        sqlite: include_str!("../migrations/sqlite/0003_knowledge.sql"),
        postgres: include_str!("../migrations/postgres/0003_knowledge.sql"),
    },
    Migration {
        version: 5,
        name: "presence",
        sqlite: include_str!("../migrations/sqlite/0005_presence.sql"),
        postgres: include_str!("../migrations/postgres/0005_presence.sql"),
    },
    Migration {
        version: 6,
        name: "routing_profiles",
        sqlite: include_str!("../migrations/sqlite/0006_routing_profiles.sql"),
        postgres: include_str!("../migrations/postgres/0006_routing_profiles.sql"),
    },
    Migration {
        version: 7,
        name: "site_hours",
        sqlite: include_str!("../migrations/sqlite/0007_site_hours.sql"),
        postgres: include_str!("../migrations/postgres/0007_site_hours.sql"),
    },
    Migration {
        version: 8,
        name: "routing_configs",
        sqlite: include_str!("../migrations/sqlite/0008_routing_configs.sql"),
        postgres: include_str!("../migrations/postgres/0008_routing_configs.sql"),
    },
    Migration {
        version: 9,
        name: "trees",
        sqlite: include_str!("../migrations/sqlite/0009_trees.sql"),
        postgres: include_str!("../migrations/postgres/0009_trees.sql"),
    },
    Migration {
        version: 10,
        name: "routing_offers",
        sqlite: include_str!("../migrations/sqlite/0010_routing_offers.sql"),
        postgres: include_str!("../migrations/postgres/0010_routing_offers.sql"),
    },
    Migration {
        version: 11,
        name: "forum",
        sqlite: include_str!("../migrations/sqlite/0011_forum.sql"),
        postgres: include_str!("../migrations/postgres/0011_forum.sql"),
    },
    Migration {
        version: 12,
        name: "wallboard",
        sqlite: include_str!("../migrations/sqlite/0012_wallboard.sql"),
        postgres: include_str!("../migrations/postgres/0012_wallboard.sql"),
    },
    Migration {
        version: 13,
        name: "tree_tallies",
        sqlite: include_str!("../migrations/sqlite/0013_tree_tallies.sql"),
        postgres: include_str!("../migrations/postgres/0013_tree_tallies.sql"),
    },
    Migration {
        version: 14,
        name: "mail_in",
        sqlite: include_str!("../migrations/sqlite/0014_mail_in.sql"),
        postgres: include_str!("../migrations/postgres/0014_mail_in.sql"),
    },
    Migration {
        version: 15,
        name: "mail_out",
        sqlite: include_str!("../migrations/sqlite/0015_mail_out.sql"),
        postgres: include_str!("../migrations/postgres/0015_mail_out.sql"),
    },
    Migration {
        version: 16,
        name: "connectors",
        sqlite: include_str!("../migrations/sqlite/0016_connectors.sql"),
        postgres: include_str!("../migrations/postgres/0016_connectors.sql"),
    },
    Migration {
        version: 17,
        name: "sla_notices",
        sqlite: include_str!("../migrations/sqlite/0017_sla_notices.sql"),
        postgres: include_str!("../migrations/postgres/0017_sla_notices.sql"),
    },
    Migration {
        version: 18,
        name: "mail_imap",
        sqlite: include_str!("../migrations/sqlite/0018_mail_imap.sql"),
        postgres: include_str!("../migrations/postgres/0018_mail_imap.sql"),
    },
    Migration {
        version: 19,
        name: "chat",
        sqlite: include_str!("../migrations/sqlite/0019_chat.sql"),
        postgres: include_str!("../migrations/postgres/0019_chat.sql"),
    },
    Migration {
        version: 20,
        name: "callbacks",
        sqlite: include_str!("../migrations/sqlite/0020_callbacks.sql"),
        postgres: include_str!("../migrations/postgres/0020_callbacks.sql"),
    },
    Migration {
        version: 21,
        name: "voice_letters_merges",
        sqlite: include_str!("../migrations/sqlite/0021_voice_letters_merges.sql"),
        postgres: include_str!("../migrations/postgres/0021_voice_letters_merges.sql"),
    },
    Migration {
        version: 22,
        name: "webhook_out",
        sqlite: include_str!("../migrations/sqlite/0022_webhook_out.sql"),
        postgres: include_str!("../migrations/postgres/0022_webhook_out.sql"),
    },
    Migration {
        version: 23,
        name: "sla_due",
        sqlite: include_str!("../migrations/sqlite/0023_sla_due.sql"),
        postgres: include_str!("../migrations/postgres/0023_sla_due.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Applies pending migrations, each in its own transaction, and refuses to
    /// start if an applied migration's text has changed since.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let backend = self.backend;
        let mut applied_now = Vec::new();
        on_pool!(&self.write, p => {
            sqlx::query(CREATE_TABLE).execute(p).await?;
            let rows = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(p)
                .await?;
            let mut applied = Vec::new();
            for r in &rows {
                applied.push((r.int("version")?, r.text("checksum")?));
            }
            for m in MIGRATIONS {
                let sql = match backend {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                let sum = checksum(sql);
                if let Some((_, old)) = applied.iter().find(|(v, _)| *v == m.version) {
                    if *old != sum {
                        return Err(StoreError::Corrupt(format!(
                            "migration {} ({}) was changed after it was applied",
                            m.version, m.name
                        )));
                    }
                    continue;
                }
                let mut tx = p.begin().await?;
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(sum)
                    .bind(plateau_core::Timestamp::now().0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
                applied_now.push(m.version);
            }
        });
        Ok(applied_now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table and column names per migration, in order, so both sets stay in step.
    fn shape(sql: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in sql.lines() {
            let l = line.trim();
            if l.starts_with("--") || l.is_empty() {
                continue;
            }
            if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
                out.push(format!("table {}", rest.trim_end_matches(" (")));
            } else if let Some(rest) = l.strip_prefix("CREATE INDEX ") {
                out.push(format!("index {rest}"));
            } else if !l.starts_with(')') {
                if let Some(col) = l.split_whitespace().next() {
                    out.push(col.to_string());
                }
            }
        }
        out
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "versions must increase");
            last = m.version;
            let (s, p) = (shape(m.sqlite), shape(m.postgres));
            // PostgreSQL carries one extra column: the event's transaction id.
            let p: Vec<String> = p.into_iter().filter(|c| c != "txid").collect();
            assert_eq!(
                s, p,
                "migration {} differs between SQLite and PostgreSQL",
                m.name
            );
        }
    }
}
