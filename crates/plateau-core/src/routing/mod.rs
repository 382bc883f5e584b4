//! Skills-based routing (issue 4): the expression language for filters and
//! targets, queues and workflows, advisor presence and capacity, and the
//! deterministic [`Router`] state machine. Pure code: time is an input, there
//! is no I/O, and equal inputs always give equal decisions.

pub mod advisor;
pub mod config;
pub mod expr;
pub mod handoff;
pub mod lexer;
pub mod profile;
pub mod router;
pub mod wallboard;

pub use advisor::{AdvisorSpec, CallbackSpec, ContactSpec, Presence};
pub use config::{
    OrderKey, PriorityChange, Routing, RoutingConfig, SkipIf, StepSpec, WorkflowSpec,
};
pub use expr::{Expr, ExprError, Schema, Subject, MAX_SKILL_LEVEL};
pub use lexer::Pos;
pub use profile::RoutingProfile;
pub use router::{Decision, Escalation, Event, Lapse, QueueName, QueueStats, Router};
pub use wallboard::{Outcome, QueueBoard, QueueSnapshot, Snapshot, Wallboard};
