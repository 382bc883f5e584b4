//! Fresh, isolated databases for tests: SQLite in a temporary directory
//! always, and PostgreSQL when `PLATEAU_TEST_DATABASE_URL` names a server.

use uuid::Uuid;

use crate::{Result, Store};

/// The environment variable naming the PostgreSQL server tests may use.
pub const PG_ENV: &str = "PLATEAU_TEST_DATABASE_URL";

/// A database that lives as long as the guard.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Result<TestDb> {
    let dir = tempfile::tempdir().map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    let url = format!("sqlite://{}/plateau.db", dir.path().display());
    let store = Store::open(&url).await?;
    store.migrate().await?;
    Ok(TestDb {
        store,
        url,
        label: "sqlite",
        _dir: Some(dir),
    })
}

/// A new, empty PostgreSQL database on the configured server, or None when
/// the variable is unset. CI sets it, so there these tests never skip.
pub async fn postgres() -> Result<Option<TestDb>> {
    let Ok(base) = std::env::var(PG_ENV) else {
        return Ok(None);
    };
    let name = format!("plateau_test_{}", Uuid::now_v7().simple());
    {
        let admin = Store::open(&base).await?;
        crate::backend::on_pool!(&admin.write, p => {
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await?;
        });
        admin.close().await;
    }
    let url = match base.rsplit_once('/') {
        Some((server, _db)) => format!("{server}/{name}"),
        None => format!("{base}/{name}"),
    };
    let store = Store::open(&url).await?;
    store.migrate().await?;
    Ok(Some(TestDb {
        store,
        url,
        label: "postgres",
        _dir: None,
    }))
}

/// Every backend available to this run; prints once why PostgreSQL is missing.
pub async fn all() -> Result<Vec<TestDb>> {
    let mut out = vec![sqlite().await?];
    match postgres().await? {
        Some(db) => out.push(db),
        None => eprintln!("SKIPPED postgres: {PG_ENV} is not set; running on SQLite only"),
    }
    Ok(out)
}
