//! Plateau's persistence. One set of portable SQL (`$N` placeholders, BIGINT
//! times, UUID ids) runs on SQLite (the embedded default) and PostgreSQL (for
//! scale). Every change writes its event-log row in the same transaction.

pub mod advisors;
mod backend;
pub mod callbacks;
pub mod calls;
pub mod chat;
pub mod conversations;
pub mod customers;
pub mod directory;
pub mod error;
pub mod events;
pub mod forum;
mod group_commit;
pub mod knowledge;
pub mod letters;
pub mod mail;
pub mod migrate;
mod outbox;
pub mod routing;
mod row;
pub mod search_feed;
pub mod sla;
pub mod social;
pub mod trees;
pub mod users;
pub mod volumes;

pub use backend::{Backend, Store};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
pub mod testing;
