//! One conversation's SLA clocks, read off its history: what happened
//! (opened, customer messages, replies, waits on the customer, resolution,
//! reopening) turned into clock events, and where each clock stands now.
//! Computed on read, so a changed policy or calendar applies at once and no
//! clock state has to be stored.

use serde::Serialize;

use super::{BusinessTime, ConversationEvent, Metric, SlaClock, SlaEvent, SlaPolicy};
use crate::model::{Direction, Status};
use crate::Timestamp;

/// The clock events of a conversation, in time order. `messages` are the
/// public messages after the first (the opening one); `statuses` the status
/// moves, each `(at, from, to)`.
pub fn clock_events(
    created_at: Timestamp,
    messages: &[(Timestamp, Direction)],
    statuses: &[(Timestamp, Status, Status)],
) -> Vec<(Timestamp, ConversationEvent)> {
    let mut out = vec![(created_at, ConversationEvent::Opened)];
    for (at, d) in messages {
        match d {
            Direction::Inbound => out.push((*at, ConversationEvent::CustomerMessage)),
            Direction::Outbound => out.push((*at, ConversationEvent::AdvisorReply)),
            Direction::Note => {}
        }
    }
    let done = |s: &Status| matches!(s, Status::Resolved | Status::Closed);
    for (at, from, to) in statuses {
        let e = if done(to) && !done(from) {
            ConversationEvent::Resolved
        } else if done(from) && !done(to) {
            ConversationEvent::Reopened
        } else if *to == Status::Pending && *from != Status::Pending {
            ConversationEvent::WaitingOnCustomer
        } else {
            continue;
        };
        out.push((*at, e));
    }
    // Stable: a reply and the status it set share an instant and keep the
    // order given (messages first), which is the order they happened in.
    out.sort_by_key(|(at, _)| *at);
    out
}

/// Where one metric stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricState {
    /// Never started (no next response owed, for example) or no target.
    Idle,
    /// Counting: `due` is when it breaches if nothing stops it.
    Running,
    /// Paused while waiting on the customer.
    Paused,
    /// Stopped by a reply or the resolution.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MetricStatus {
    pub metric: Metric,
    pub state: MetricState,
    /// When it breaches (running) or breached.
    pub due: Option<Timestamp>,
    /// Inside the warning window, not yet breached.
    pub warning: bool,
    pub breached: bool,
}

/// Replays the events under `policy` and reports every metric that has a
/// target, at `now`.
pub fn status(
    policy: &SlaPolicy,
    events: &[(Timestamp, ConversationEvent)],
    bt: &BusinessTime,
    now: Timestamp,
) -> Vec<MetricStatus> {
    replay(policy, events, bt, now).0
}

/// The most urgent running clock of a conversation: what an inbox sorted by
/// SLA shows first, and when a watcher must look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Urgency {
    pub metric: Metric,
    /// When it breaches, or breached.
    pub due: Timestamp,
    pub warning: bool,
    pub breached: bool,
    /// The next instant a clock reaches its warning or breach if nothing
    /// else happens; None when no running clock has one left.
    pub next_check: Option<Timestamp>,
}

/// The running metric due first (a breached one first of all, since its due
/// instant is past); None when no clock runs (answered, paused while
/// waiting on the customer, resolved, or no policy target).
pub fn urgency(
    policy: &SlaPolicy,
    events: &[(Timestamp, ConversationEvent)],
    bt: &BusinessTime,
    now: Timestamp,
) -> Option<Urgency> {
    assess(policy, events, bt, now).1
}

/// Every metric's status and the most urgent running one, from a single
/// replay of the history (what a watcher needs for both).
pub fn assess(
    policy: &SlaPolicy,
    events: &[(Timestamp, ConversationEvent)],
    bt: &BusinessTime,
    now: Timestamp,
) -> (Vec<MetricStatus>, Option<Urgency>) {
    let (metrics, next_check) = replay(policy, events, bt, now);
    let urgent = metrics
        .iter()
        .filter(|m| m.state == MetricState::Running)
        .filter_map(|m| Some((m.due?, m)))
        .min_by_key(|(due, m)| (*due, m.metric))
        .map(|(due, m)| Urgency {
            metric: m.metric,
            due,
            warning: m.warning,
            breached: m.breached,
            next_check,
        });
    (metrics, urgent)
}

fn replay(
    policy: &SlaPolicy,
    events: &[(Timestamp, ConversationEvent)],
    bt: &BusinessTime,
    now: Timestamp,
) -> (Vec<MetricStatus>, Option<Timestamp>) {
    let mut clock = SlaClock::new(policy);
    let mut seen: Vec<SlaEvent> = Vec::new();
    for (at, e) in events.iter().filter(|(at, _)| *at <= now) {
        seen.extend(clock.apply(*at, *e, bt));
    }
    seen.extend(clock.poll(now, bt));
    let next_check = clock.next_due(bt);
    let target = |m: Metric| match m {
        Metric::FirstResponse => policy.first_response_secs,
        Metric::NextResponse => policy.next_response_secs,
        Metric::Resolution => policy.resolution_secs,
    };
    let metrics = Metric::ALL
        .into_iter()
        .filter(|m| target(*m).is_some())
        .map(|m| {
            let mut breached_at = None;
            let mut warned = false;
            let mut stopped = false;
            let mut touched = false;
            for e in &seen {
                match e {
                    SlaEvent::Breached { metric, at } if *metric == m => {
                        breached_at = Some(*at);
                        touched = true;
                    }
                    SlaEvent::Warning { metric, .. } if *metric == m => {
                        warned = true;
                        touched = true;
                    }
                    SlaEvent::Stopped {
                        metric, breached, ..
                    } if *metric == m => {
                        // A later start (a new next response) begins anew.
                        stopped = true;
                        touched = true;
                        if !breached {
                            breached_at = None;
                            warned = false;
                        }
                    }
                    _ => {}
                }
            }
            let running = clock.is_running(m);
            let used = clock.used(m, now, bt);
            let (state, due) = if running {
                (MetricState::Running, clock.breach_at(m, bt).or(breached_at))
            } else if stopped && !touched_after_stop(&seen, m) {
                (MetricState::Stopped, breached_at)
            } else if used > 0 || touched {
                (MetricState::Paused, breached_at)
            } else {
                (MetricState::Idle, None)
            };
            let breached = breached_at.is_some();
            MetricStatus {
                metric: m,
                state,
                due,
                warning: warned && !breached && state == MetricState::Running,
                breached,
            }
        })
        .collect();
    (metrics, next_check)
}

/// Whether the last event of metric `m` is not a stop (it was restarted).
fn touched_after_stop(seen: &[SlaEvent], m: Metric) -> bool {
    let last_stop = seen
        .iter()
        .rposition(|e| matches!(e, SlaEvent::Stopped { metric, .. } if *metric == m));
    match last_stop {
        Some(i) => seen[i + 1..].iter().any(|e| match e {
            SlaEvent::Warning { metric, .. } | SlaEvent::Breached { metric, .. } => *metric == m,
            SlaEvent::Stopped { .. } => false,
        }),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Calendar;
    use crate::sla::UtcOffsets;

    const MIN: i64 = 60_000_000;

    fn policy() -> SlaPolicy {
        SlaPolicy {
            tenant: "orbitel".into(),
            channel: None,
            priority: None,
            first_response_secs: Some(3600),
            next_response_secs: Some(1800),
            resolution_secs: Some(8 * 3600),
            warn_before_secs: 600,
        }
    }

    fn always() -> BusinessTime {
        BusinessTime::new(Calendar::always_open(), UtcOffsets::fixed(0))
    }

    fn get(s: &[MetricStatus], m: Metric) -> MetricStatus {
        *s.iter().find(|x| x.metric == m).unwrap()
    }

    #[test]
    fn a_new_conversation_owes_a_first_response_and_warns_before_the_breach() {
        let t0 = Timestamp(1_800_000_000_000_000);
        let ev = clock_events(t0, &[], &[]);
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 10 * MIN));
        let fr = get(&s, Metric::FirstResponse);
        assert_eq!(fr.state, MetricState::Running);
        assert_eq!(fr.due, Some(Timestamp(t0.0 + 60 * MIN)));
        assert!(!fr.warning && !fr.breached);
        assert_eq!(get(&s, Metric::NextResponse).state, MetricState::Idle);

        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 55 * MIN));
        assert!(get(&s, Metric::FirstResponse).warning);
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 61 * MIN));
        let fr = get(&s, Metric::FirstResponse);
        assert!(fr.breached && !fr.warning, "{fr:?}");
        assert_eq!(fr.due, Some(Timestamp(t0.0 + 60 * MIN)));
    }

    #[test]
    fn a_reply_in_time_stops_the_clock_and_a_customer_message_owes_the_next() {
        let t0 = Timestamp(1_800_000_000_000_000);
        let ev = clock_events(
            t0,
            &[
                (Timestamp(t0.0 + 20 * MIN), Direction::Outbound),
                (Timestamp(t0.0 + 30 * MIN), Direction::Note),
                (Timestamp(t0.0 + 40 * MIN), Direction::Inbound),
            ],
            &[],
        );
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 45 * MIN));
        let fr = get(&s, Metric::FirstResponse);
        assert_eq!(fr.state, MetricState::Stopped);
        assert!(!fr.breached);
        let nr = get(&s, Metric::NextResponse);
        assert_eq!(nr.state, MetricState::Running);
        assert_eq!(nr.due, Some(Timestamp(t0.0 + 70 * MIN)));
    }

    #[test]
    fn waiting_on_the_customer_pauses_and_resolving_stops_everything() {
        let t0 = Timestamp(1_800_000_000_000_000);
        let ev = clock_events(
            t0,
            &[(Timestamp(t0.0 + 5 * MIN), Direction::Outbound)],
            &[
                (Timestamp(t0.0 + 5 * MIN), Status::Open, Status::Pending),
                (
                    Timestamp(t0.0 + 600 * MIN),
                    Status::Pending,
                    Status::Resolved,
                ),
            ],
        );
        // Paused: nine hours later the resolution clock has used 5 minutes.
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 540 * MIN));
        let res = get(&s, Metric::Resolution);
        assert_eq!(res.state, MetricState::Paused, "{res:?}");
        assert!(!res.breached);
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 700 * MIN));
        assert_eq!(get(&s, Metric::Resolution).state, MetricState::Stopped);
        assert!(s
            .iter()
            .all(|m| !m.breached && m.state != MetricState::Running));
    }

    #[test]
    fn a_late_reply_is_recorded_as_breached() {
        let t0 = Timestamp(1_800_000_000_000_000);
        let ev = clock_events(
            t0,
            &[(Timestamp(t0.0 + 90 * MIN), Direction::Outbound)],
            &[],
        );
        let s = status(&policy(), &ev, &always(), Timestamp(t0.0 + 100 * MIN));
        let fr = get(&s, Metric::FirstResponse);
        assert_eq!(fr.state, MetricState::Stopped);
        assert!(fr.breached);
    }

    #[test]
    fn urgency_is_the_running_clock_due_first_and_says_when_to_look_again() {
        let t0 = Timestamp(1_800_000_000_000_000);
        let ev = clock_events(t0, &[], &[]);
        // First response (60 min) is due before resolution (8 h); the next
        // thing to happen is its warning, 10 minutes before.
        let u = urgency(&policy(), &ev, &always(), Timestamp(t0.0 + 5 * MIN)).unwrap();
        assert_eq!(u.metric, Metric::FirstResponse);
        assert_eq!(u.due, Timestamp(t0.0 + 60 * MIN));
        assert!(!u.warning && !u.breached);
        assert_eq!(u.next_check, Some(Timestamp(t0.0 + 50 * MIN)));
        // In the window: the next check is the breach.
        let u = urgency(&policy(), &ev, &always(), Timestamp(t0.0 + 55 * MIN)).unwrap();
        assert!(u.warning);
        assert_eq!(u.next_check, Some(Timestamp(t0.0 + 60 * MIN)));
        // Breached: still the most urgent, due in the past; the next check
        // is resolution's warning.
        let u = urgency(&policy(), &ev, &always(), Timestamp(t0.0 + 70 * MIN)).unwrap();
        assert_eq!((u.metric, u.breached), (Metric::FirstResponse, true));
        assert_eq!(u.next_check, Some(Timestamp(t0.0 + 470 * MIN)));

        // Answered: resolution is what runs.
        let answered = clock_events(
            t0,
            &[(Timestamp(t0.0 + 20 * MIN), Direction::Outbound)],
            &[],
        );
        let u = urgency(&policy(), &answered, &always(), Timestamp(t0.0 + 30 * MIN)).unwrap();
        assert_eq!(u.metric, Metric::Resolution);
        assert_eq!(u.due, Timestamp(t0.0 + 480 * MIN));

        // Waiting on the customer: nothing runs, nothing is urgent.
        let waiting = clock_events(
            t0,
            &[(Timestamp(t0.0 + 20 * MIN), Direction::Outbound)],
            &[(Timestamp(t0.0 + 20 * MIN), Status::Open, Status::Pending)],
        );
        assert_eq!(
            urgency(&policy(), &waiting, &always(), Timestamp(t0.0 + 30 * MIN)),
            None
        );
    }
}
