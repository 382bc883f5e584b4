//! Guided diagnostic trees (issue 7): the authored model, publication checks,
//! the step-by-step runner, version diffs and mind-map interchange. Pure code:
//! the store owns ids, versions and blobs; times are inputs.
//!
//! Entry points:
//! - [`Tree::from_json`] / [`Tree::to_json`]: the stored and edited JSON shape;
//! - [`validate`] → [`Report`]: every [`Problem`]; publishable when no errors;
//! - [`Session::start`], then [`Session::answer`], [`Session::submit`],
//!   [`Session::proceed`], [`Session::back`], [`Session::restart`]; [`Session::step`]
//!   renders the current screen and [`Session::path`] is what the timeline keeps;
//! - [`diff`] between two versions;
//! - [`interchange`]: FreeMind/Freeplane `.mm`, OPML 2.0 and XMind import/export.
//!
//! See docs/trees.md for the JSON shape, the validation codes and the mappings.

pub mod act;
pub mod analytics;
pub mod diff;
pub mod interchange;
pub mod model;
pub mod runner;
pub mod tally;
pub mod template;
pub mod validate;

#[cfg(test)]
mod tests;

pub use act::{SessionAction, WalkSummary};
pub use diff::{diff, EdgeChange, FieldChange, NodeChange, TreeDiff};
pub use model::{
    Answer, ChoiceOption, Condition, Content, CustomerAttr, CustomerAttrs, EscalationTarget, Field,
    FieldKind, Literal, Media, MediaKind, MediaSource, Node, NodeId, NodeKind, Op, Outcome, Rule,
    Segment, Subject, Tree, TreeJsonError, Variant,
};
pub use runner::{
    GivenAnswer, Handoff, Path, PathEntry, PathEvent, RunError, Session, Step, StepView, SubTrees,
    Value,
};
pub use validate::{validate, Code, Known, Problem, Report, Severity};
