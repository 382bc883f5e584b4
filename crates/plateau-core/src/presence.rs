//! What an advisor declares about themselves: available, on a break, in
//! training or offline, with a reason, and the break they chose to push back
//! during a peak. `Busy` and `WrapUp` follow from work and are set by routing,
//! never declared.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::routing::Presence;
use crate::{validate, DomainError, Timestamp};

pub const MAX_REASON: usize = 100;
/// A break is pushed back by at least this much, and at most this much at once.
pub const MIN_POSTPONE_MINUTES: i64 = 5;
pub const MAX_POSTPONE_MINUTES: i64 = 60;

impl std::str::FromStr for Presence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Presence::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a presence state"))
    }
}

/// A person's current presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceStatus {
    pub user_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: Presence,
    pub reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub since: Timestamp,
    /// Set while a break the person pushed back is still pending.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub break_postponed_until: Option<Timestamp>,
}

impl PresenceStatus {
    /// Someone who never declared anything is offline since forever.
    pub fn offline(user_id: Uuid) -> PresenceStatus {
        PresenceStatus {
            user_id,
            state: Presence::Offline,
            reason: None,
            since: Timestamp(0),
            break_postponed_until: None,
        }
    }
}

/// Checks a declared change: only declarable states, a short reason (required
/// for a break or training, so the supervisor's view says why).
pub fn declaration(state: Presence, reason: Option<&str>) -> Result<Option<String>, DomainError> {
    if !state.is_declarable() {
        return Err(DomainError::field(
            "state",
            "busy and wrap-up follow from work and cannot be declared",
        ));
    }
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            Some(validate::text(r, MAX_REASON).map_err(|m| DomainError::field("reason", m))?)
        }
        None => None,
    };
    Ok(reason)
}

/// Checks a break postponement: only while working (not already on a break,
/// in training or offline), by a bounded number of minutes. Returns when the
/// postponed break falls due.
pub fn postponement(
    current: &PresenceStatus,
    minutes: i64,
    now: Timestamp,
) -> Result<Timestamp, DomainError> {
    if !(MIN_POSTPONE_MINUTES..=MAX_POSTPONE_MINUTES).contains(&minutes) {
        return Err(DomainError::field(
            "minutes",
            format!("must be between {MIN_POSTPONE_MINUTES} and {MAX_POSTPONE_MINUTES}"),
        ));
    }
    if !matches!(
        current.state,
        Presence::Available | Presence::Busy | Presence::WrapUp
    ) {
        return Err(DomainError::field(
            "state",
            "a break can be pushed back only while working",
        ));
    }
    // Pushing back again extends from the later of now and the pending break.
    let from = current.break_postponed_until.map_or(now, |t| t.max(now));
    Ok(Timestamp(from.0 + minutes * 60_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: Presence) -> PresenceStatus {
        PresenceStatus {
            state,
            ..PresenceStatus::offline(Uuid::nil())
        }
    }

    #[test]
    fn only_chosen_states_are_declared_and_reasons_are_short() {
        assert!(declaration(Presence::Busy, None).is_err());
        assert!(declaration(Presence::WrapUp, None).is_err());
        assert_eq!(declaration(Presence::Break, Some("  ")).unwrap(), None);
        assert_eq!(
            declaration(Presence::Training, Some(" Formation fibre ")).unwrap(),
            Some("Formation fibre".into())
        );
        assert!(declaration(Presence::Break, Some(&"x".repeat(MAX_REASON + 1))).is_err());
        for p in Presence::ALL {
            assert_eq!(p.as_str().parse::<Presence>().unwrap(), *p);
        }
        assert!("lunch".parse::<Presence>().is_err());
    }

    #[test]
    fn breaks_are_pushed_back_while_working_by_bounded_steps() {
        let now = Timestamp(1_000_000_000);
        let due = postponement(&status(Presence::Available), 15, now).unwrap();
        assert_eq!(due.0 - now.0, 15 * 60_000_000);
        let mut pending = status(Presence::Busy);
        pending.break_postponed_until = Some(due);
        let again = postponement(&pending, 10, now).unwrap();
        assert_eq!(
            again.0 - due.0,
            10 * 60_000_000,
            "extends the pending break"
        );
        assert!(postponement(&status(Presence::Break), 15, now).is_err());
        assert!(postponement(&status(Presence::Offline), 15, now).is_err());
        assert!(postponement(&status(Presence::Available), 4, now).is_err());
        assert!(postponement(&status(Presence::Available), 61, now).is_err());
    }
}
