//! What an advisor can do to a running session, as one request names it, and
//! the summary of a walk that the conversation's timeline keeps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::Outcome;
use super::runner::{GivenAnswer, Handoff, RunError, Session, Value};

/// One advisor action; every action either applies fully or changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum SessionAction {
    /// Pick the answer at this position (0-based) of the current question.
    Answer {
        index: usize,
    },
    /// Submit the current form: text per field name, as a browser sends it.
    Submit {
        #[serde(default)]
        values: BTreeMap<String, String>,
    },
    /// Go on from an instruction or a solution with a next step.
    Proceed,
    Back,
    Restart,
    /// End early, e.g. the customer hung up.
    Stop {
        outcome: Outcome,
    },
}

impl SessionAction {
    pub fn apply(&self, s: &mut Session<'_>, at: i64) -> Result<(), RunError> {
        match self {
            SessionAction::Answer { index } => s.answer(*index, at),
            SessionAction::Submit { values } => s.submit(values, at),
            SessionAction::Proceed => s.proceed(at),
            SessionAction::Back => s.back(at),
            SessionAction::Restart => {
                s.restart(at);
                Ok(())
            }
            SessionAction::Stop { outcome } => s.stop(*outcome, at),
        }
    }
}

/// The walk as the timeline shows it once it ended: enough for the next
/// person to pick up without opening the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkSummary {
    pub outcome: Option<Outcome>,
    pub answers: Vec<GivenAnswer>,
    pub values: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Handoff>,
    /// Screens the advisor saw, undone ones included.
    pub steps: usize,
}

impl WalkSummary {
    pub fn of(s: &Session<'_>) -> WalkSummary {
        WalkSummary {
            outcome: s.outcome(),
            answers: s.answers().to_vec(),
            values: s.variables().clone(),
            handoff: s.handoff().cloned(),
            steps: s.path().visited().len(),
        }
    }
}
