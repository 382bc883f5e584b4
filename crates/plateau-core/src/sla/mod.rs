//! Service levels (issue 4): business calendars and business time, SLA
//! policies and per-conversation clocks with warnings and breaches, and the
//! per-queue service level. Pure code: every function takes the time it needs.
//!
//! Time zones stay outside the core: a [`calendar::UtcOffsets`] is a table of
//! UTC-offset transitions that the caller resolves from the time-zone database
//! for the period it cares about (see docs/routing.md, "Business time").

pub mod calendar;
pub mod clock;
pub mod conversation;
pub mod opening_hours;
pub mod service_level;

pub use calendar::{BusinessTime, Calendar, UtcOffsets};
pub use clock::{ConversationEvent, Metric, SlaClock, SlaEvent, SlaPolicies, SlaPolicy};
pub use service_level::{OutcomeKind, ServiceLevel};
