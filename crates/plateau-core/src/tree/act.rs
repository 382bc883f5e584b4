//! What an advisor can do to a running session, as one request names it, and
//! the summary of a walk that the conversation's timeline keeps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{EscalationTarget, Outcome};
use super::runner::{GivenAnswer, Handoff, RunError, Session, Value};
use crate::model::Team;

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

/// The team an escalation hands the conversation to: for a queue, the team
/// of that name (case and surrounding spaces ignored); for a tier, a team of
/// that tier on the advisor's site first, then any, by name. None when the
/// brand has no such team: the hand-off then stays a timeline entry.
pub fn escalation_team(
    target: &EscalationTarget,
    teams: &[Team],
    advisor_site: Option<uuid::Uuid>,
) -> Option<uuid::Uuid> {
    let mut candidates: Vec<&Team> = match target {
        EscalationTarget::Queue(name) => teams
            .iter()
            .filter(|t| t.name.trim().eq_ignore_ascii_case(name.trim()))
            .collect(),
        EscalationTarget::Tier(tier) => teams.iter().filter(|t| t.tier == *tier).collect(),
    };
    candidates.sort_by(|a, b| {
        let here = |t: &Team| advisor_site.is_some() && t.site_id == advisor_site;
        here(b)
            .cmp(&here(a))
            .then_with(|| a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    candidates.first().map(|t| t.id)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::model::Tier;

    fn team(name: &str, tier: Tier, site: Option<Uuid>) -> Team {
        Team {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            site_id: site,
            name: name.into(),
            tier,
        }
    }

    #[test]
    fn escalations_find_their_team() {
        let paris = Uuid::now_v7();
        let teams = vec![
            team("N1 Internet", Tier::N1, Some(paris)),
            team("N2 Casablanca", Tier::N2, None),
            team("N2 Paris", Tier::N2, Some(paris)),
            team("Incidents", Tier::N2, None),
        ];
        let id = |i: usize| Some(teams[i].id);
        assert_eq!(
            escalation_team(&EscalationTarget::Queue(" incidents ".into()), &teams, None),
            id(3)
        );
        assert_eq!(
            escalation_team(&EscalationTarget::Queue("sav".into()), &teams, None),
            None
        );
        // Same site first, otherwise by name.
        assert_eq!(
            escalation_team(&EscalationTarget::Tier(Tier::N2), &teams, Some(paris)),
            id(2)
        );
        // "Incidents" sorts before "N2 Casablanca".
        assert_eq!(
            escalation_team(&EscalationTarget::Tier(Tier::N2), &teams, None),
            id(3)
        );
        assert_eq!(
            escalation_team(&EscalationTarget::Tier(Tier::Expert), &teams, None),
            None
        );
    }
}
