//! SLA policies (per tenant, channel and priority) and the clocks they start on
//! a conversation: first response, next response and resolution, counted in
//! business time, paused while the conversation waits on the customer, with a
//! warning before each breach and a breach event at the exact instant.

use serde::{Deserialize, Serialize};

use super::calendar::BusinessTime;
use crate::error::{DomainError, Validator};
use crate::model::{Channel, Priority};
use crate::Timestamp;

const SEC: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first_response",
            Metric::NextResponse => "next_response",
            Metric::Resolution => "resolution",
        }
    }

    pub const ALL: [Metric; 3] = [
        Metric::FirstResponse,
        Metric::NextResponse,
        Metric::Resolution,
    ];
}

/// Targets in business seconds. `channel` / `priority` of None match any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Blank in a brand's own configuration.
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub first_response_secs: Option<i64>,
    #[serde(default)]
    pub next_response_secs: Option<i64>,
    #[serde(default)]
    pub resolution_secs: Option<i64>,
    /// Warn this many business seconds before a breach (0: no warning).
    #[serde(default)]
    pub warn_before_secs: i64,
}

impl SlaPolicy {
    fn target(&self, m: Metric) -> Option<i64> {
        match m {
            Metric::FirstResponse => self.first_response_secs,
            Metric::NextResponse => self.next_response_secs,
            Metric::Resolution => self.resolution_secs,
        }
    }
}

/// A tenant's policies; the most specific match wins (channel and priority,
/// then channel, then priority, then the tenant default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicies(Vec<SlaPolicy>);

impl SlaPolicies {
    pub fn new(policies: Vec<SlaPolicy>) -> Result<SlaPolicies, DomainError> {
        let mut v = Validator::new();
        for (i, p) in policies.iter().enumerate() {
            for m in Metric::ALL {
                if p.target(m).is_some_and(|t| t < 1) {
                    v.push(
                        &format!("policies[{i}].{}", field(m)),
                        "must be at least 1 second",
                    );
                }
            }
            if p.warn_before_secs < 0 {
                v.push(
                    &format!("policies[{i}].warn_before_secs"),
                    "must not be negative",
                );
            }
            let shortest = Metric::ALL.into_iter().filter_map(|m| p.target(m)).min();
            if let Some(t) = shortest.filter(|t| p.warn_before_secs >= *t && *t >= 1) {
                v.push(
                    &format!("policies[{i}].warn_before_secs"),
                    format!("must be shorter than the shortest target ({t} s): the warning would come as soon as the clock starts"),
                );
            }
            if let Some(j) = policies[..i].iter().position(|q| {
                q.tenant == p.tenant && q.channel == p.channel && q.priority == p.priority
            }) {
                v.push(
                    &format!("policies[{i}]"),
                    format!("same tenant, channel and priority as policies[{j}]"),
                );
            }
        }
        v.finish()?;
        Ok(SlaPolicies(policies))
    }

    pub fn find(&self, tenant: &str, channel: Channel, priority: Priority) -> Option<&SlaPolicy> {
        self.0
            .iter()
            .filter(|p| p.tenant == tenant)
            .filter(|p| {
                p.channel.is_none_or(|c| c == channel) && p.priority.is_none_or(|x| x == priority)
            })
            .max_by_key(|p| {
                (
                    p.channel.is_some(),
                    p.priority.is_some(),
                    std::cmp::Reverse(self.index(p)),
                )
            })
    }

    fn index(&self, p: &SlaPolicy) -> usize {
        self.0.iter().position(|q| std::ptr::eq(q, p)).unwrap_or(0)
    }
}

fn field(m: Metric) -> &'static str {
    match m {
        Metric::FirstResponse => "first_response_secs",
        Metric::NextResponse => "next_response_secs",
        Metric::Resolution => "resolution_secs",
    }
}

/// What happens to a conversation, as far as its SLA is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationEvent {
    /// The customer's first message: first response and resolution start.
    Opened,
    /// Starts the next-response clock if no response clock is running, and ends a wait on the customer.
    CustomerMessage,
    /// A public reply: the running response clock is met.
    AdvisorReply,
    /// Pending on the customer: every running clock pauses.
    WaitingOnCustomer,
    Resolved,
    /// Resolution resumes with the time already used; a next response is owed.
    Reopened,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlaEvent {
    Warning {
        metric: Metric,
        at: Timestamp,
        breach_at: Timestamp,
    },
    Breached {
        metric: Metric,
        at: Timestamp,
    },
    /// The clock stopped; `breached` says whether it had breached first.
    Stopped {
        metric: Metric,
        at: Timestamp,
        used_micros: i64,
        breached: bool,
    },
}

impl SlaEvent {
    fn at(&self) -> Timestamp {
        match self {
            SlaEvent::Warning { at, .. }
            | SlaEvent::Breached { at, .. }
            | SlaEvent::Stopped { at, .. } => *at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct MetricClock {
    budget: Option<i64>,
    used: i64,
    running_since: Option<Timestamp>,
    paused: bool,
    warned: bool,
    breached: bool,
}

impl MetricClock {
    fn new(budget: Option<i64>) -> Self {
        MetricClock {
            budget,
            used: 0,
            running_since: None,
            paused: false,
            warned: false,
            breached: false,
        }
    }
}

/// The SLA clocks of one conversation. The caller persists it (it is plain
/// data) and calls [`SlaClock::poll`] at [`SlaClock::next_due`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    clocks: [MetricClock; 3],
    warn_before: i64,
    pending: bool,
}

impl SlaClock {
    pub fn new(policy: &SlaPolicy) -> Self {
        SlaClock {
            clocks: Metric::ALL.map(|m| MetricClock::new(policy.target(m).map(|s| s * SEC))),
            warn_before: policy.warn_before_secs * SEC,
            pending: false,
        }
    }

    /// Emits warnings and breaches up to `at`, then applies the event.
    pub fn apply(
        &mut self,
        at: Timestamp,
        event: ConversationEvent,
        bt: &BusinessTime,
    ) -> Vec<SlaEvent> {
        let mut out = self.poll(at, bt);
        use ConversationEvent as E;
        use Metric as M;
        match event {
            E::Opened => {
                self.start(M::FirstResponse, at, true);
                self.start(M::Resolution, at, true);
            }
            E::CustomerMessage => {
                if self.pending {
                    self.pending = false;
                    for m in Metric::ALL {
                        self.resume(m, at);
                    }
                }
                let first = &self.clocks[M::FirstResponse as usize];
                let responding = first.running_since.is_some() || first.paused;
                let next = &self.clocks[M::NextResponse as usize];
                if !responding && next.running_since.is_none() && !next.paused {
                    self.start(M::NextResponse, at, true);
                }
            }
            E::AdvisorReply => {
                self.stop(M::FirstResponse, at, bt, &mut out);
                self.stop(M::NextResponse, at, bt, &mut out);
            }
            E::WaitingOnCustomer => {
                self.pending = true;
                for m in Metric::ALL {
                    self.pause(m, at, bt);
                }
            }
            E::Resolved => {
                self.pending = false;
                for m in Metric::ALL {
                    self.stop(m, at, bt, &mut out);
                }
            }
            E::Reopened => {
                self.start(M::Resolution, at, false);
                self.start(M::NextResponse, at, true);
            }
        }
        out
    }

    fn start(&mut self, m: Metric, at: Timestamp, fresh: bool) {
        let c = &mut self.clocks[m as usize];
        if c.budget.is_none() {
            return;
        }
        if fresh {
            *c = MetricClock::new(c.budget);
        }
        c.paused = false;
        c.running_since = Some(at);
    }

    fn pause(&mut self, m: Metric, at: Timestamp, bt: &BusinessTime) {
        let c = &mut self.clocks[m as usize];
        if let Some(since) = c.running_since.take() {
            c.used += bt.between(since, at);
            c.paused = true;
        }
    }

    fn resume(&mut self, m: Metric, at: Timestamp) {
        let c = &mut self.clocks[m as usize];
        if c.paused {
            c.paused = false;
            c.running_since = Some(at);
        }
    }

    fn stop(&mut self, m: Metric, at: Timestamp, bt: &BusinessTime, out: &mut Vec<SlaEvent>) {
        let c = &mut self.clocks[m as usize];
        let used = c.used + c.running_since.map_or(0, |s| bt.between(s, at));
        if c.running_since.is_some() || c.paused {
            out.push(SlaEvent::Stopped {
                metric: m,
                at,
                used_micros: used,
                breached: c.breached,
            });
        }
        c.used = used;
        c.running_since = None;
        c.paused = false;
    }

    /// Business microseconds used so far on a metric.
    pub fn used(&self, m: Metric, now: Timestamp, bt: &BusinessTime) -> i64 {
        let c = &self.clocks[m as usize];
        c.used + c.running_since.map_or(0, |s| bt.between(s, now))
    }

    pub fn is_running(&self, m: Metric) -> bool {
        self.clocks[m as usize].running_since.is_some()
    }

    /// When the running metric will breach, if nothing stops it.
    pub fn breach_at(&self, m: Metric, bt: &BusinessTime) -> Option<Timestamp> {
        let c = &self.clocks[m as usize];
        bt.add(c.running_since?, c.budget? - c.used)
    }

    /// Warnings and breaches whose instant is at or before `now`, in time order.
    pub fn poll(&mut self, now: Timestamp, bt: &BusinessTime) -> Vec<SlaEvent> {
        let mut out = Vec::new();
        for m in Metric::ALL {
            let warn_before = self.warn_before;
            let c = &mut self.clocks[m as usize];
            let (Some(since), Some(budget)) = (c.running_since, c.budget) else {
                continue;
            };
            if !c.warned && warn_before > 0 {
                if let Some(w) = bt.add(since, (budget - warn_before - c.used).max(0)) {
                    if w <= now {
                        c.warned = true;
                        let breach_at = bt.add(since, budget - c.used).unwrap_or(w);
                        out.push(SlaEvent::Warning {
                            metric: m,
                            at: w,
                            breach_at,
                        });
                    }
                }
            }
            if !c.breached {
                if let Some(b) = bt.add(since, (budget - c.used).max(0)) {
                    if b <= now {
                        c.breached = true;
                        c.warned = true;
                        out.push(SlaEvent::Breached { metric: m, at: b });
                    }
                }
            }
        }
        out.sort_by_key(SlaEvent::at);
        out
    }

    /// The next instant at which `poll` will have something to report.
    pub fn next_due(&self, bt: &BusinessTime) -> Option<Timestamp> {
        let mut best: Option<Timestamp> = None;
        for c in &self.clocks {
            let (Some(since), Some(budget)) = (c.running_since, c.budget) else {
                continue;
            };
            let next = if !c.warned && self.warn_before > 0 {
                bt.add(since, (budget - self.warn_before - c.used).max(0))
            } else if !c.breached {
                bt.add(since, (budget - c.used).max(0))
            } else {
                None
            };
            if let Some(n) = next {
                best = Some(best.map_or(n, |b| b.min(n)));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::tests::{office, ts};
    use crate::sla::calendar::UtcOffsets;
    use time::macros::datetime;

    fn policy(first: i64, next: i64, resolution: i64, warn: i64) -> SlaPolicy {
        SlaPolicy {
            tenant: "orange".into(),
            channel: None,
            priority: None,
            first_response_secs: Some(first),
            next_response_secs: Some(next),
            resolution_secs: Some(resolution),
            warn_before_secs: warn,
        }
    }

    #[test]
    fn the_most_specific_policy_wins() {
        let mut social = policy(3600, 3600, 86_400, 0);
        social.channel = Some(Channel::Social);
        let mut urgent_social = social.clone();
        urgent_social.priority = Some(Priority::Urgent);
        urgent_social.first_response_secs = Some(600);
        let mut urgent = policy(900, 900, 3600, 0);
        urgent.priority = Some(Priority::Urgent);
        let set = SlaPolicies::new(vec![
            policy(86_400, 86_400, 86_400 * 3, 0),
            social,
            urgent_social,
            urgent,
        ])
        .unwrap();
        assert_eq!(
            set.find("orange", Channel::Social, Priority::Urgent)
                .unwrap()
                .first_response_secs,
            Some(600)
        );
        assert_eq!(
            set.find("orange", Channel::Social, Priority::Low)
                .unwrap()
                .first_response_secs,
            Some(3600)
        );
        assert_eq!(
            set.find("orange", Channel::Email, Priority::Urgent)
                .unwrap()
                .first_response_secs,
            Some(900)
        );
        assert_eq!(
            set.find("orange", Channel::Email, Priority::Low)
                .unwrap()
                .first_response_secs,
            Some(86_400)
        );
        assert!(set.find("sosh", Channel::Email, Priority::Low).is_none());
        let dup = SlaPolicies::new(vec![policy(0, 1, 1, -1), policy(1, 1, 1, 0)]).unwrap_err();
        let DomainError::Invalid(fields) = dup else {
            panic!()
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "policies[0].first_response_secs",
                "policies[0].warn_before_secs",
                "policies[1]"
            ]
        );
    }

    #[test]
    fn a_warning_must_come_before_the_shortest_target() {
        let err = SlaPolicies::new(vec![policy(600, 3600, 7200, 600)]).unwrap_err();
        let DomainError::Invalid(fields) = err else {
            panic!()
        };
        assert_eq!(fields[0].field, "policies[0].warn_before_secs");
        assert!(fields[0].message.contains("600 s"), "{}", fields[0].message);
        assert!(SlaPolicies::new(vec![policy(600, 3600, 7200, 599)]).is_ok());
    }

    #[test]
    fn first_response_counts_business_time_warns_then_breaches() {
        let bt = BusinessTime::new(office(), UtcOffsets::fixed(0));
        // Two business hours, warning 30 min before, opened Friday 17:00.
        let mut clock = SlaClock::new(&policy(7200, 3600, 86_400, 1800));
        let opened = ts(datetime!(2026-11-20 17:00));
        assert!(clock
            .apply(opened, ConversationEvent::Opened, &bt)
            .is_empty());
        // Friday 17:00–18:00 is one hour; Saturday 09:00 opens the second.
        let breach = ts(datetime!(2026-11-21 10:00));
        let warn = ts(datetime!(2026-11-21 09:30));
        assert_eq!(clock.breach_at(Metric::FirstResponse, &bt), Some(breach));
        assert_eq!(clock.next_due(&bt), Some(warn));
        assert!(clock.poll(ts(datetime!(2026-11-21 09:29)), &bt).is_empty());
        assert_eq!(
            clock.poll(ts(datetime!(2026-11-21 09:45)), &bt),
            vec![SlaEvent::Warning {
                metric: Metric::FirstResponse,
                at: warn,
                breach_at: breach
            }]
        );
        assert_eq!(clock.next_due(&bt), Some(breach));
        // Polling late still reports the exact breach instant, once.
        assert_eq!(
            clock.poll(ts(datetime!(2026-11-23 12:00)), &bt),
            vec![SlaEvent::Breached {
                metric: Metric::FirstResponse,
                at: breach
            }]
        );
        assert!(clock.poll(ts(datetime!(2026-11-23 13:00)), &bt).is_empty());
        let reply = ts(datetime!(2026-11-23 09:30));
        let ev = clock.apply(reply, ConversationEvent::AdvisorReply, &bt);
        assert_eq!(
            ev,
            vec![SlaEvent::Stopped {
                metric: Metric::FirstResponse,
                at: reply,
                used_micros: (3600 + 3 * 3600 + 1800) * SEC,
                breached: true
            }]
        );
        assert!(!clock.is_running(Metric::FirstResponse));
        assert!(clock.is_running(Metric::Resolution));
    }

    #[test]
    fn pending_on_the_customer_pauses_and_next_response_restarts() {
        let bt = BusinessTime::new(crate::sla::Calendar::always_open(), UtcOffsets::fixed(0));
        let t = |s: i64| Timestamp(1_800_000_000 * SEC + s * SEC);
        let mut c = SlaClock::new(&policy(600, 300, 3600, 0));
        c.apply(t(0), ConversationEvent::Opened, &bt);
        let ev = c.apply(t(100), ConversationEvent::AdvisorReply, &bt);
        assert_eq!(
            ev,
            vec![SlaEvent::Stopped {
                metric: Metric::FirstResponse,
                at: t(100),
                used_micros: 100 * SEC,
                breached: false
            }]
        );
        c.apply(t(200), ConversationEvent::WaitingOnCustomer, &bt);
        assert_eq!(
            c.used(Metric::Resolution, t(5000), &bt),
            200 * SEC,
            "paused while pending"
        );
        assert_eq!(c.next_due(&bt), None);
        // The customer answers after a long time: resolution resumes, a next response is owed.
        assert!(c
            .apply(t(5000), ConversationEvent::CustomerMessage, &bt)
            .is_empty());
        assert_eq!(c.breach_at(Metric::NextResponse, &bt), Some(t(5300)));
        assert_eq!(c.breach_at(Metric::Resolution, &bt), Some(t(5000 + 3400)));
        // A second customer message does not restart the running next-response clock.
        c.apply(t(5100), ConversationEvent::CustomerMessage, &bt);
        assert_eq!(c.breach_at(Metric::NextResponse, &bt), Some(t(5300)));
        let ev = c.apply(t(5400), ConversationEvent::AdvisorReply, &bt);
        assert_eq!(
            ev,
            vec![
                SlaEvent::Breached {
                    metric: Metric::NextResponse,
                    at: t(5300)
                },
                SlaEvent::Stopped {
                    metric: Metric::NextResponse,
                    at: t(5400),
                    used_micros: 400 * SEC,
                    breached: true
                },
            ]
        );
        let ev = c.apply(t(5500), ConversationEvent::Resolved, &bt);
        assert_eq!(
            ev,
            vec![SlaEvent::Stopped {
                metric: Metric::Resolution,
                at: t(5500),
                used_micros: 700 * SEC,
                breached: false
            }]
        );
        // Reopened: resolution resumes from 700 s used.
        c.apply(t(9000), ConversationEvent::Reopened, &bt);
        assert_eq!(c.breach_at(Metric::Resolution, &bt), Some(t(9000 + 2900)));
        assert_eq!(c.breach_at(Metric::NextResponse, &bt), Some(t(9300)));
    }
}
