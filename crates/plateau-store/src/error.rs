//! Store errors: a domain error the caller can show, or a database failure
//! whose cause is logged and never shown to clients.

use plateau_core::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // A unique-key violation is the caller's conflict, not our failure.
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Domain(DomainError::Conflict(
                    "a record with the same unique value already exists".into(),
                ));
            }
        }
        StoreError::Database(e)
    }
}
