//! Plateau's domain core: the contact-centre vocabulary (tenants, sites, teams,
//! advisors, customers, conversations, messages), its validation rules and the
//! role policy. Pure code with no I/O, so every rule is unit- and property-tested.

pub mod channels;
pub mod error;
pub mod event;
pub mod forum;
pub mod knowledge;
pub mod knowledge_io;
pub mod model;
pub mod policy;
pub mod presence;
pub mod routing;
pub mod sla;
pub mod timestamp;
pub mod tree;
pub mod validate;

pub use error::{DomainError, FieldError};
pub use timestamp::Timestamp;
