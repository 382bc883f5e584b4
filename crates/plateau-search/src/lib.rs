//! Plateau's search engine: tantivy indexes of knowledge-base articles, forum
//! answers, conversations and messages, with French and English analysers,
//! per-tenant synonyms, facets, highlighted snippets, typo tolerance and
//! ranking boosts for validated, often-reused articles.
//!
//! The crate knows nothing of the database: the store feeds it
//! [`SearchDocument`]s from the event log and records its progress with
//! [`Index::commit_with_checkpoint`]. See `docs/search.md`.

pub mod analysis;
pub mod document;
pub mod error;
pub mod eval;
pub mod highlight;
pub mod index;
pub mod query;
pub mod schema;
pub mod synonyms;

pub use document::{ArticleState, Audience, DocKind, Language, SearchDocument};
pub use error::{Result, SearchError};
pub use index::{Index, IndexOptions};
pub use query::{
    FacetValue, Facets, Filters, Hit, SearchRequest, SearchResults, MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
};
