//! The crate's error type.

use thiserror::Error;

/// What can go wrong in the search engine. Queries never fail on their text
/// (see `query::parse`); these are I/O and index-level failures.
#[derive(Debug, Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("opening search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the index writer lock was poisoned by a panic")]
    Poisoned,
    #[error("the index commit payload is not ours: {0}")]
    BadPayload(String),
}

/// Result alias of this crate.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;
