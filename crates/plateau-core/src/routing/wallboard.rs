//! The supervisor's wallboard figures: what the router publishes of its live
//! state, the outcome kept for each answered or abandoned contact, and today's
//! service level per queue built from those outcomes. Pure code: the day's
//! bounds and the current time are inputs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::advisor::Presence;
use super::router::QueueName;
use crate::sla::{OutcomeKind, ServiceLevel, UtcOffsets};
use crate::Timestamp;

const SEC: i64 = 1_000_000;
const DAY: i64 = 86_400 * SEC;

/// How one contact counted in its queue's service level, as the router
/// decided it (see `Decision::Outcome`); kept so the day survives restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub contact: Uuid,
    pub queue: QueueName,
    pub at: Timestamp,
    pub waited_micros: i64,
    pub kind: OutcomeKind,
}

/// One queue's live state, as the router owning the tenant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    pub queue: String,
    pub waiting: u32,
    /// Place of the contact waiting longest, so a reader can tick the wait on.
    pub oldest_since: Option<Timestamp>,
    /// Advisors who could serve the queue, by displayed state.
    pub advisors: BTreeMap<Presence, u32>,
}

/// The router's live state for a wallboard: per queue, and every advisor of
/// the tenant by state (an advisor serving two queues is counted once here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub queues: Vec<QueueSnapshot>,
    pub advisors: BTreeMap<Presence, u32>,
}

/// The instant the local day containing `now` began: the first instant
/// whose local time is that day's midnight. When the clock falls back over
/// midnight, the earlier midnight counts; when it jumps over midnight, the
/// day starts at the jump.
pub fn local_day_start(now: Timestamp, offsets: &UtcOffsets) -> Timestamp {
    let local = |t: Timestamp| t.0.saturating_add(i64::from(offsets.at(t)) * SEC);
    let midnight = local(now).div_euclid(DAY) * DAY;
    let offsets_seen =
        std::iter::once(offsets.initial).chain(offsets.transitions.iter().map(|t| t.1));
    let at_midnight = offsets_seen
        .map(|o| Timestamp(midnight - i64::from(o) * SEC))
        .filter(|c| *c <= now && local(*c) == midnight)
        .min();
    let start = at_midnight.or_else(|| {
        // No instant shows midnight: the jump that skipped it starts the day.
        offsets
            .transitions
            .iter()
            .map(|t| t.0)
            .filter(|t| *t <= now && local(*t) >= midnight && local(Timestamp(t.0 - 1)) < midnight)
            .min()
    });
    start.unwrap_or(now)
}

/// The rules today's figures are read with, from the routing configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub threshold_secs: i64,
    pub short_abandon_secs: i64,
    pub target_percent: u8,
}

/// One wallboard row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueBoard {
    pub queue: String,
    pub waiting: u32,
    pub oldest_since: Option<Timestamp>,
    /// `now` minus `oldest_since`, in whole seconds; 0 when nobody waits.
    pub longest_wait_secs: i64,
    pub advisors: BTreeMap<Presence, u32>,
    pub service_level: ServiceLevel,
    /// Answered within the threshold ÷ answered, in percent; None before
    /// anything was answered today.
    pub service_level_percent: Option<f64>,
    pub target_percent: u8,
    pub meets_target: Option<bool>,
    /// In the router's configuration now; false for a queue only today's
    /// outcomes still name (renamed or removed since).
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wallboard {
    pub queues: Vec<QueueBoard>,
    pub advisors: BTreeMap<Presence, u32>,
    pub day_start: Timestamp,
}

/// Counts outcomes per (queue, kind) from `day_start` on: what the store
/// does in SQL, for callers holding outcomes in memory.
pub fn tally<'a>(
    outcomes: impl IntoIterator<Item = &'a Outcome>,
    day_start: Timestamp,
) -> Vec<(String, OutcomeKind, u64)> {
    let mut m: BTreeMap<(String, OutcomeKind), u64> = BTreeMap::new();
    for o in outcomes {
        if o.at >= day_start {
            *m.entry((o.queue.as_str().to_string(), o.kind)).or_insert(0) += 1;
        }
    }
    m.into_iter().map(|((q, k), n)| (q, k, n)).collect()
}

impl Wallboard {
    /// Puts the live snapshot (None: no router has published yet) beside the
    /// day's outcome counts. Queues come in configuration order, then the
    /// ones only outcomes name, by name.
    pub fn build(
        snapshot: Option<&Snapshot>,
        counts: &[(String, OutcomeKind, u64)],
        rules: Rules,
        day_start: Timestamp,
        now: Timestamp,
    ) -> Wallboard {
        let empty = ServiceLevel::new(rules.threshold_secs, rules.short_abandon_secs);
        let row = |queue: &str, live: bool| QueueBoard {
            queue: queue.to_string(),
            waiting: 0,
            oldest_since: None,
            longest_wait_secs: 0,
            advisors: BTreeMap::new(),
            service_level: empty.clone(),
            service_level_percent: None,
            target_percent: rules.target_percent,
            meets_target: None,
            live,
        };
        let mut queues: Vec<QueueBoard> = Vec::new();
        for q in snapshot.map(|s| s.queues.as_slice()).unwrap_or_default() {
            let mut b = row(&q.queue, true);
            b.waiting = q.waiting;
            b.oldest_since = q.oldest_since;
            b.longest_wait_secs = q
                .oldest_since
                .map_or(0, |since| (now.0 - since.0).max(0) / SEC);
            b.advisors = q.advisors.clone();
            queues.push(b);
        }
        let mut gone: BTreeMap<&str, QueueBoard> = BTreeMap::new();
        for (queue, kind, n) in counts {
            let b = match queues.iter_mut().find(|b| &b.queue == queue) {
                Some(b) => b,
                None => gone.entry(queue).or_insert_with(|| row(queue, false)),
            };
            b.service_level.add(*kind, *n);
        }
        queues.extend(gone.into_values());
        for b in &mut queues {
            let ratio = b.service_level.ratio();
            b.service_level_percent = ratio.map(|r| r * 100.0);
            // Compared in whole contacts, so 4 of 5 meets 80 % exactly.
            b.meets_target = ratio.map(|_| {
                b.service_level.answered_within * 100
                    >= u64::from(rules.target_percent) * b.service_level.answered
            });
        }
        Wallboard {
            queues,
            advisors: snapshot.map(|s| s.advisors.clone()).unwrap_or_default(),
            day_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp(secs * SEC)
    }

    const RULES: Rules = Rules {
        threshold_secs: 20,
        short_abandon_secs: 5,
        target_percent: 80,
    };

    fn outcome(queue: &str, at: i64, kind: OutcomeKind) -> Outcome {
        Outcome {
            contact: Uuid::from_u128(at as u128),
            queue: QueueName::from(queue),
            at: t(at),
            waited_micros: 0,
            kind,
        }
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            queues: vec![
                QueueSnapshot {
                    queue: "sales".into(),
                    waiting: 2,
                    oldest_since: Some(t(1_000)),
                    advisors: BTreeMap::from([(Presence::Available, 1), (Presence::Busy, 2)]),
                },
                QueueSnapshot {
                    queue: "after_sales".into(),
                    waiting: 0,
                    oldest_since: None,
                    advisors: BTreeMap::new(),
                },
            ],
            advisors: BTreeMap::from([(Presence::Available, 1), (Presence::Busy, 2)]),
        }
    }

    #[test]
    fn todays_level_per_queue_with_short_abandons_apart() {
        use OutcomeKind::*;
        let outcomes = [
            outcome("sales", 10, AnsweredWithin), // yesterday: left out
            outcome("sales", 200, AnsweredWithin),
            outcome("sales", 300, AnsweredWithin),
            outcome("sales", 400, AnsweredWithin),
            outcome("sales", 500, AnsweredLate),
            outcome("sales", 600, ShortAbandon),
            outcome("sales", 700, Abandoned),
            outcome("loyalty", 800, AnsweredLate),
        ];
        let counts = tally(&outcomes, t(100));
        let b = Wallboard::build(Some(&snapshot()), &counts, RULES, t(100), t(1_030));
        let names: Vec<&str> = b.queues.iter().map(|q| q.queue.as_str()).collect();
        assert_eq!(names, ["sales", "after_sales", "loyalty"]);
        let s = &b.queues[0];
        assert_eq!((s.waiting, s.longest_wait_secs), (2, 30));
        assert_eq!(
            (s.service_level.answered, s.service_level.answered_within),
            (4, 3)
        );
        assert_eq!(
            (s.service_level.short_abandoned, s.service_level.abandoned),
            (1, 1)
        );
        assert_eq!(s.service_level_percent, Some(75.0));
        assert_eq!(s.meets_target, Some(false));
        assert!(s.live);
        // Nothing answered yet: no level, no verdict.
        assert_eq!(b.queues[1].service_level_percent, None);
        assert_eq!(b.queues[1].meets_target, None);
        // A queue gone from the configuration keeps its figures for the day.
        assert!(!b.queues[2].live);
        assert_eq!(b.queues[2].service_level_percent, Some(0.0));
        assert_eq!(b.advisors[&Presence::Busy], 2);
    }

    #[test]
    fn the_target_is_met_at_exactly_the_target() {
        let counts = vec![
            ("sales".to_string(), OutcomeKind::AnsweredWithin, 4),
            ("sales".to_string(), OutcomeKind::AnsweredLate, 1),
        ];
        let b = Wallboard::build(None, &counts, RULES, t(0), t(1));
        assert_eq!(b.queues[0].meets_target, Some(true));
        let b = Wallboard::build(
            None,
            &counts,
            Rules {
                target_percent: 81,
                ..RULES
            },
            t(0),
            t(1),
        );
        assert_eq!(b.queues[0].meets_target, Some(false));
    }

    #[test]
    fn no_router_and_no_outcomes_is_an_empty_board() {
        let b = Wallboard::build(None, &[], RULES, t(0), t(1));
        assert!(b.queues.is_empty());
        assert!(b.advisors.is_empty());
    }

    #[test]
    fn the_local_day_starts_at_local_midnight() {
        // 2026-03-29 10:00 UTC; Paris is UTC+2 from 01:00 UTC that day.
        let now = Timestamp(1_774_778_400 * SEC);
        assert_eq!(
            local_day_start(now, &UtcOffsets::fixed(0)),
            Timestamp(1_774_742_400 * SEC)
        );
        let paris = UtcOffsets::new(3600, vec![(Timestamp(1_774_746_000 * SEC), 7200)]).unwrap();
        // Midnight in Paris was 23:00 UTC the day before, still at UTC+1.
        assert_eq!(
            local_day_start(now, &paris),
            Timestamp((1_774_742_400 - 3600) * SEC)
        );
        // Sydney at UTC+11: 10:00 UTC is 21:00 local, the day began at 13:00 UTC.
        assert_eq!(
            local_day_start(now, &UtcOffsets::fixed(11 * 3600)),
            Timestamp((1_774_742_400 - 11 * 3600) * SEC)
        );
        // Just before local midnight, the day is still the previous one.
        let late = Timestamp((1_774_742_400 - 3600 - 1) * SEC);
        assert_eq!(
            local_day_start(late, &paris),
            Timestamp((1_774_742_400 - 3600 - 86_400) * SEC)
        );
    }

    #[test]
    fn a_clock_that_jumps_over_midnight_starts_the_day_at_the_jump() {
        // At 23:30 local (UTC+0) the clock jumps to 00:30 (UTC+1).
        let jump = Timestamp((86_400 - 1800) * SEC);
        let offsets = UtcOffsets::new(0, vec![(jump, 3600)]).unwrap();
        assert_eq!(local_day_start(t(86_400 + 3600), &offsets), jump);
    }

    fn kind() -> impl Strategy<Value = OutcomeKind> {
        prop::sample::select(OutcomeKind::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn the_day_contains_now_and_begins_at_midnight(
            now in -4_000_000_000i64..4_000_000_000,
            initial in -14 * 4i32..=14 * 4,
            change in prop::option::of((-200_000i64..200_000, -14 * 4i32..=14 * 4)),
        ) {
            let transitions = change
                .map(|(at, o)| vec![(Timestamp((now + at) * SEC), o * 900)])
                .unwrap_or_default();
            let offsets = UtcOffsets::new(initial * 900, transitions).unwrap();
            let now = Timestamp(now * SEC);
            let start = local_day_start(now, &offsets);
            prop_assert!(start <= now);
            // A day lasts at most 24 h plus the largest offset jump.
            prop_assert!(now.0 - start.0 < DAY + 28 * 3600 * SEC);
            let local = |t: Timestamp| t.0 + i64::from(offsets.at(t)) * SEC;
            let midnight = local(now).div_euclid(DAY) * DAY;
            // The start is the first instant of today's local date.
            prop_assert!(local(start) >= midnight || start == now);
            if start.0 > i64::MIN + SEC {
                let before = Timestamp(start.0 - SEC);
                prop_assert!(local(before) < midnight, "a second earlier is still today");
            }
        }

        #[test]
        fn todays_level_counts_every_outcome_of_the_day_once(
            outcomes in prop::collection::vec((0usize..3, -50i64..50, kind()), 0..80),
            target in 1u8..=100,
        ) {
            let queues = ["a", "b", "c"];
            let all: Vec<Outcome> = outcomes
                .iter()
                .map(|(q, at, k)| outcome(queues[*q], *at, *k))
                .collect();
            let rules = Rules { target_percent: target, ..RULES };
            let b = Wallboard::build(None, &tally(&all, t(0)), rules, t(0), t(60));
            let today: Vec<&Outcome> = all.iter().filter(|o| o.at >= t(0)).collect();
            let counted: u64 = b.queues.iter().map(|q| {
                let s = &q.service_level;
                s.answered + s.abandoned + s.short_abandoned
            }).sum();
            prop_assert_eq!(counted, today.len() as u64);
            for q in &b.queues {
                let mine: Vec<&&Outcome> = today.iter().filter(|o| o.queue.as_str() == q.queue).collect();
                let answered = mine.iter().filter(|o| o.kind.answered()).count() as u64;
                let within = mine.iter().filter(|o| o.kind == OutcomeKind::AnsweredWithin).count() as u64;
                prop_assert_eq!(q.service_level.answered, answered);
                prop_assert_eq!(q.service_level.answered_within, within);
                match q.service_level_percent {
                    None => prop_assert_eq!(answered, 0),
                    Some(p) => {
                        prop_assert!((0.0..=100.0).contains(&p));
                        prop_assert!((p - within as f64 * 100.0 / answered as f64).abs() < 1e-9);
                        prop_assert_eq!(q.meets_target, Some(p + 1e-9 >= f64::from(target)));
                    }
                }
            }
        }
    }
}
