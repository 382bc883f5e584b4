//! The router: a deterministic state machine that turns events (contacts
//! arriving, presence changes, offer answers, time passing) into decisions
//! (offers, step changes, alerts). One router serves one tenant's queues.
//!
//! Data structures are chosen for the hot path (see docs/routing.md):
//! - each distinct (target, order) is a *pool*; an advisor's eligible pools are
//!   computed once per profile change, never per decision;
//! - per (pool, channel), an ordered set of offerable advisors (best first) and
//!   an ordered set of waiting contacts (priority, then place, then id);
//! - invariant: an advisor who could take a waiting contact of a pool is never
//!   left listed idle in that pool (except after that contact rejected them),
//!   so an arriving contact only looks at the head of one set, and a freed
//!   advisor only at the heads of their pools' sets.
//!
//! Ties always break on stable ids (contact id, advisor id), never on arrival
//! order of events, hash order or memory addresses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use super::advisor::{
    AdvisorAttrs, AdvisorSpec, CallbackSpec, ContactAttrs, ContactSpec, Presence,
};
use super::config::{channel_index, OrderComp, Routing, Skip};
use super::wallboard::{Outcome, QueueSnapshot, Snapshot};
use crate::model::{Channel, ContractTier, Priority, Tier};
use crate::sla::ServiceLevel;
use crate::Timestamp;

const NCH: usize = Channel::ALL.len();

/// Something that happened, fed to [`Router::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    ContactArrived(ContactSpec),
    CallbackScheduled(CallbackSpec),
    /// The customer left before being answered (or cancelled the callback).
    ContactAbandoned {
        contact: Uuid,
    },
    /// Someone took the contact out of the queue by hand (assigned it
    /// directly): it leaves the queue and its statistics, since the customer
    /// neither waited it out nor gave up.
    ContactWithdrawn {
        contact: Uuid,
    },
    /// The advisor finished the contact; wrap-up follows for the channel's duration.
    ContactEnded {
        contact: Uuid,
    },
    /// The advisor finished wrap-up early.
    WrapUpDone {
        advisor: Uuid,
    },
    /// Log-in or profile change. A new advisor starts offline.
    AdvisorUpdated(AdvisorSpec),
    /// Available, break, training or offline, with a free-text reason.
    SetPresence {
        advisor: Uuid,
        presence: Presence,
        reason: String,
    },
    /// During a peak the advisor pushes back their break; recorded for the supervisor.
    BreakPostponed {
        advisor: Uuid,
        minutes: u32,
    },
    OfferAccepted {
        contact: Uuid,
        advisor: Uuid,
    },
    OfferRejected {
        contact: Uuid,
        advisor: Uuid,
    },
    /// The assigned advisor hands the contact up a tier, with the reason and what was done.
    Escalate {
        contact: Uuid,
        reason: String,
        context: String,
    },
    SiteHours {
        site: String,
        open: bool,
    },
    Fact {
        name: String,
        value: bool,
    },
}

/// A queue (workflow) name, shared by decisions without copying the text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueName(Arc<str>);

impl QueueName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for QueueName {
    fn from(s: &str) -> Self {
        QueueName(Arc::from(s))
    }
}

impl std::fmt::Display for QueueName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for QueueName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Why an offer ended without an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lapse {
    Rejected,
    TimedOut,
    /// The customer left, or the advisor went offline.
    Cancelled,
}

/// One hand-over up a tier, kept with the contact so the next advisor sees it all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub from: QueueName,
    pub to: QueueName,
    pub tier: Tier,
    pub by: Uuid,
    pub reason: String,
    pub context: String,
    pub at: Timestamp,
}

/// What the router decided; the caller persists and acts on each, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    Offer {
        contact: Uuid,
        advisor: Uuid,
        expires_at: Timestamp,
    },
    Assigned {
        contact: Uuid,
        advisor: Uuid,
        waited_micros: i64,
    },
    OfferLapsed {
        contact: Uuid,
        advisor: Uuid,
        why: Lapse,
    },
    StepEntered {
        contact: Uuid,
        workflow: QueueName,
        step: u32,
        priority: Priority,
        skipped: Vec<u32>,
    },
    PresenceChanged {
        advisor: Uuid,
        presence: Presence,
        reason: String,
        since: Timestamp,
        previous: Presence,
        previous_micros: i64,
    },
    BreakPostponed {
        advisor: Uuid,
        minutes: u32,
        at: Timestamp,
    },
    Escalated {
        contact: Uuid,
        history: Vec<Escalation>,
    },
    EscalationRefused {
        contact: Uuid,
        why: String,
    },
    MaxWaitExceeded {
        contact: Uuid,
        workflow: QueueName,
        waited_micros: i64,
    },
    CallbackMissed {
        contact: Uuid,
        deadline: Timestamp,
    },
    Abandoned {
        contact: Uuid,
        workflow: QueueName,
        waited_micros: i64,
        short: bool,
    },
    /// Taken out of the queue by hand; not counted in the service level.
    Withdrawn {
        contact: Uuid,
        workflow: QueueName,
    },
    /// How an answered or abandoned contact counts in its queue's service
    /// level (callbacks are not counted), right after its `Assigned` or
    /// `Abandoned`: what the caller keeps so the day's figures survive a restart.
    Outcome(Outcome),
    /// No workflow's filter matched (or only the expert cell, without the contract for it).
    Unroutable {
        contact: Uuid,
        why: String,
    },
    /// The event was invalid and changed nothing.
    Refused {
        why: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    OfferTimeout,
    WrapUpEnd,
    CallbackDue,
    PreferredExpired,
    StepTimeout,
    CallbackDeadline,
    MaxWait,
}

/// Fired in (time, kind, id) order; `epoch` lets a superseded timer be ignored
/// instead of searched for and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Timestamp,
    kind: TimerKind,
    id: Uuid,
    epoch: u32,
}

/// Waiting order: most urgent first, then earliest place, then contact id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct CKey {
    urgency: u8,
    place: Timestamp,
    id: Uuid,
}

/// Offer order within a pool: the step's two order keys, then advisor id.
type AKey = (i64, i64, Uuid, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Scheduled,
    Preferred(u32),
    Waiting,
    Offered(u32),
    Assigned(u32),
}

#[derive(Debug, Clone)]
struct Contact {
    id: Uuid,
    ch: usize,
    contract_tier: ContractTier,
    priority: Priority,
    place: Timestamp,
    workflow: u32,
    step: u32,
    stage: Stage,
    /// Bumped on every step change (step timers) and every offer or preference change.
    step_epoch: u32,
    offer_epoch: u32,
    alerted: bool,
    /// Has entered its workflow (a due callback may first wait for its preferred advisor).
    entered: bool,
    /// The step timed out while an offer was out: move on if the offer lapses.
    step_due: bool,
    callback: Option<(Timestamp, Option<Uuid>)>,
    history: Vec<Escalation>,
    /// Pending timers owned by the contact, removed as soon as they cannot
    /// matter, so the timer set holds live timers only (epochs stay as a guard).
    max_wait_timer: Option<Timer>,
    step_timer: Option<Timer>,
    offer_timer: Option<Timer>,
}

impl Contact {
    fn key(&self) -> CKey {
        CKey {
            urgency: 3 - (self.priority.weight().clamp(0, 3) as u8),
            place: self.place,
            id: self.id,
        }
    }
}

#[derive(Debug, Clone)]
struct Adv {
    id: Uuid,
    attrs: AdvisorAttrs,
    capacity: [u16; NCH],
    /// Offered + assigned + in wrap-up, per channel.
    load: [u16; NCH],
    /// Offered + assigned, all channels.
    active: u16,
    wraps: Vec<(Uuid, usize)>,
    declared: Presence,
    shown: Presence,
    reason: String,
    shown_reason: String,
    since: Timestamp,
    idle_since: Timestamp,
    pools: Vec<u32>,
    listed: [bool; NCH],
    listed_key: i64,
    preferred: BTreeSet<CKey>,
}

impl Adv {
    fn offerable(&self, ch: usize) -> bool {
        self.declared == Presence::Available && self.load[ch] < self.capacity[ch]
    }

    fn staffed(&self) -> bool {
        self.declared != Presence::Offline
    }

    fn derived(&self) -> Presence {
        match self.declared {
            Presence::Available if self.active > 0 => Presence::Busy,
            Presence::Available if !self.wraps.is_empty() => Presence::WrapUp,
            p => p,
        }
    }
}

/// Live figures for one queue, for the supervisor's wallboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    pub workflow: QueueName,
    pub waiting: usize,
    pub longest_wait_micros: i64,
    pub service_level: ServiceLevel,
}

#[derive(Clone)]
pub struct Router {
    cfg: Routing,
    names: Vec<QueueName>,
    advisors: Vec<Adv>,
    by_id: HashMap<Uuid, u32>,
    contacts: HashMap<Uuid, Contact>,
    /// Contacts that rejected (or let time out) an offer, and from whom.
    rejected: BTreeMap<Uuid, Vec<u32>>,
    idle: Vec<BTreeSet<AKey>>,
    waiting: Vec<BTreeSet<CKey>>,
    staffed: Vec<u32>,
    timers: BTreeSet<Timer>,
    closed_sites: BTreeSet<u32>,
    facts: BTreeSet<String>,
    stats: Vec<ServiceLevel>,
    now: Timestamp,
}

impl Router {
    pub fn new(cfg: Routing) -> Router {
        let pools = cfg.pools.len();
        let stats = cfg
            .workflows
            .iter()
            .map(|_| ServiceLevel::new(cfg.sl_threshold_secs, cfg.short_abandon_secs))
            .collect();
        Router {
            names: cfg
                .workflows
                .iter()
                .map(|w| QueueName(Arc::from(w.name.as_str())))
                .collect(),
            advisors: Vec::new(),
            by_id: HashMap::new(),
            contacts: HashMap::new(),
            rejected: BTreeMap::new(),
            idle: vec![BTreeSet::new(); pools * NCH],
            waiting: vec![BTreeSet::new(); pools * NCH],
            staffed: vec![0; pools],
            timers: BTreeSet::new(),
            closed_sites: BTreeSet::new(),
            facts: BTreeSet::new(),
            stats,
            now: Timestamp(i64::MIN),
            cfg,
        }
    }

    /// Applies due timers, then the events in order, and returns the decisions.
    /// Time never goes backwards: an earlier `now` than the last one is treated as the last one.
    pub fn step(
        &mut self,
        now: Timestamp,
        events: impl IntoIterator<Item = Event>,
    ) -> Vec<Decision> {
        let mut out = Vec::new();
        self.step_into(now, events, &mut out);
        out
    }

    /// Like [`Router::step`], appending to a caller-owned buffer.
    pub fn step_into(
        &mut self,
        now: Timestamp,
        events: impl IntoIterator<Item = Event>,
        out: &mut Vec<Decision>,
    ) {
        self.now = self.now.max(now);
        self.fire_timers(out);
        // Contacts arriving in the same batch arrived at the same instant: route
        // them by (priority, id), so the order the caller listed them in cannot matter.
        let mut batch: Vec<Event> = events.into_iter().collect();
        let mut i = 0;
        while i < batch.len() {
            let run = batch[i..]
                .iter()
                .take_while(|e| matches!(e, Event::ContactArrived(_)))
                .count();
            if run > 1 {
                batch[i..i + run].sort_by_key(|e| match e {
                    Event::ContactArrived(c) => (3 - c.priority.weight(), c.id),
                    _ => (0, Uuid::nil()),
                });
            }
            i += run.max(1);
        }
        for e in batch {
            self.apply(e, out);
        }
    }

    /// Earliest pending timer, so the caller knows when to call `step` again.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        self.timers.first().map(|t| t.at)
    }

    pub fn waiting_count(&self) -> usize {
        self.contacts
            .values()
            .filter(|c| c.stage == Stage::Waiting)
            .count()
    }

    pub fn presence(&self, advisor: Uuid) -> Option<(Presence, &str, Timestamp)> {
        let a = &self.advisors[*self.by_id.get(&advisor)? as usize];
        Some((a.shown, a.reason.as_str(), a.since))
    }

    /// Advisors per displayed state.
    pub fn advisors_by_state(&self) -> BTreeMap<Presence, usize> {
        let mut m = BTreeMap::new();
        for a in &self.advisors {
            *m.entry(a.shown).or_insert(0) += 1;
        }
        m
    }

    pub fn queue_stats(&self) -> Vec<QueueStats> {
        let mut out: Vec<QueueStats> = self
            .names
            .iter()
            .zip(&self.stats)
            .map(|(n, s)| QueueStats {
                workflow: n.clone(),
                waiting: 0,
                longest_wait_micros: 0,
                service_level: s.clone(),
            })
            .collect();
        for c in self.contacts.values() {
            if matches!(
                c.stage,
                Stage::Waiting | Stage::Preferred(_) | Stage::Offered(_)
            ) {
                let q = &mut out[c.workflow as usize];
                q.waiting += 1;
                q.longest_wait_micros = q.longest_wait_micros.max(self.now.0 - c.place.0);
            }
        }
        out
    }

    /// What the wallboard shows of the live state, per queue: contacts
    /// waiting (queued, kept for a preferred advisor, or being offered),
    /// since when the oldest waits, and the advisors who could serve the
    /// queue (matching one of its steps' targets) by displayed state.
    pub fn snapshot(&self) -> Snapshot {
        let mut queues: Vec<QueueSnapshot> = self
            .names
            .iter()
            .map(|n| QueueSnapshot {
                queue: n.as_str().to_string(),
                waiting: 0,
                oldest_since: None,
                advisors: BTreeMap::new(),
            })
            .collect();
        for c in self.contacts.values() {
            if matches!(
                c.stage,
                Stage::Waiting | Stage::Preferred(_) | Stage::Offered(_)
            ) {
                let q = &mut queues[c.workflow as usize];
                q.waiting += 1;
                q.oldest_since = Some(q.oldest_since.map_or(c.place, |o| o.min(c.place)));
            }
        }
        for (w, q) in self.cfg.workflows.iter().zip(queues.iter_mut()) {
            for a in &self.advisors {
                if w.steps.iter().any(|s| a.pools.contains(&s.pool)) {
                    *q.advisors.entry(a.shown).or_insert(0) += 1;
                }
            }
        }
        Snapshot {
            queues,
            advisors: self
                .advisors_by_state()
                .into_iter()
                .map(|(p, n)| (p, n as u32))
                .collect(),
        }
    }

    /// The validated configuration this router runs.
    pub fn routing(&self) -> &Routing {
        &self.cfg
    }

    /// Starts a new reporting period (for example "today") for service levels.
    pub fn reset_service_levels(&mut self) {
        for s in &mut self.stats {
            *s = ServiceLevel::new(self.cfg.sl_threshold_secs, self.cfg.short_abandon_secs);
        }
    }

    // ------------------------------------------------------------ events

    fn apply(&mut self, e: Event, out: &mut Vec<Decision>) {
        match e {
            Event::ContactArrived(spec) => {
                if self.contacts.contains_key(&spec.id) {
                    return refuse(out, format!("contact {} is already being routed", spec.id));
                }
                if let Some(c) = self.admit(&spec, self.now, None, out) {
                    self.enter_workflow(c, out);
                }
            }
            Event::CallbackScheduled(cb) => {
                if self.contacts.contains_key(&cb.contact.id) {
                    return refuse(
                        out,
                        format!("contact {} is already being routed", cb.contact.id),
                    );
                }
                if cb.deadline <= cb.not_before {
                    return refuse(
                        out,
                        format!(
                            "callback {}: the deadline must be after not_before",
                            cb.contact.id
                        ),
                    );
                }
                let id = cb.contact.id;
                let Some(mut c) = self.admit(
                    &cb.contact,
                    cb.not_before,
                    Some((cb.deadline, cb.preferred_advisor)),
                    out,
                ) else {
                    return;
                };
                c.stage = Stage::Scheduled;
                self.contacts.insert(id, c);
                self.timers.insert(Timer {
                    at: cb.not_before,
                    kind: TimerKind::CallbackDue,
                    id,
                    epoch: 0,
                });
                self.timers.insert(Timer {
                    at: cb.deadline,
                    kind: TimerKind::CallbackDeadline,
                    id,
                    epoch: 0,
                });
                self.fire_timers(out);
            }
            Event::ContactAbandoned { contact } => self.abandon(contact, true, out),
            Event::ContactWithdrawn { contact } => self.abandon(contact, false, out),
            Event::ContactEnded { contact } => {
                let Some(c) = self.contacts.get(&contact) else {
                    return refuse(out, format!("contact {contact} is not being routed"));
                };
                let Stage::Assigned(a) = c.stage else {
                    return refuse(
                        out,
                        format!("contact {contact} is not assigned to an advisor"),
                    );
                };
                let ch = c.ch;
                self.forget(contact);
                let wrap = self.cfg.wrap_up[ch];
                let adv = &mut self.advisors[a as usize];
                adv.active -= 1;
                if wrap > 0 {
                    adv.wraps.push((contact, ch));
                    self.timers.insert(Timer {
                        at: Timestamp(self.now.0.saturating_add(wrap)),
                        kind: TimerKind::WrapUpEnd,
                        id: contact,
                        epoch: a,
                    });
                } else {
                    adv.load[ch] -= 1;
                }
                self.advisor_changed(a, out);
            }
            Event::WrapUpDone { advisor } => {
                let Some(a) = self.adv(advisor, out) else {
                    return;
                };
                let adv = &mut self.advisors[a as usize];
                for (_, ch) in std::mem::take(&mut adv.wraps) {
                    adv.load[ch] -= 1;
                }
                self.advisor_changed(a, out);
            }
            Event::AdvisorUpdated(spec) => self.upsert_advisor(spec, out),
            Event::SetPresence {
                advisor,
                presence,
                reason,
            } => {
                let Some(a) = self.adv(advisor, out) else {
                    return;
                };
                if !presence.is_declarable() {
                    return refuse(
                        out,
                        format!(
                            "{} follows from the advisor's work and cannot be set",
                            presence.as_str()
                        ),
                    );
                }
                self.set_declared(a, presence, reason, out);
            }
            Event::BreakPostponed { advisor, minutes } => {
                if self.adv(advisor, out).is_some() {
                    out.push(Decision::BreakPostponed {
                        advisor,
                        minutes,
                        at: self.now,
                    });
                }
            }
            Event::OfferAccepted { contact, advisor } => {
                let Some(a) = self.offer_of(contact, advisor, out) else {
                    return;
                };
                let Some(c) = self.contacts.get_mut(&contact) else {
                    return;
                };
                c.stage = Stage::Assigned(a);
                c.offer_epoch += 1;
                // Assigned: no offer expiry, step change or max-wait alert can apply any more.
                drop_timer(&mut self.timers, &mut c.offer_timer);
                drop_timer(&mut self.timers, &mut c.step_timer);
                drop_timer(&mut self.timers, &mut c.max_wait_timer);
                let waited = self.now.0 - c.place.0;
                let counted = c.callback.is_none().then(|| {
                    let wf = c.workflow as usize;
                    (wf, self.stats[wf].record_answered(waited))
                });
                self.rejected.remove(&contact);
                out.push(Decision::Assigned {
                    contact,
                    advisor,
                    waited_micros: waited,
                });
                if let Some((wf, kind)) = counted {
                    out.push(Decision::Outcome(Outcome {
                        contact,
                        queue: self.names[wf].clone(),
                        at: self.now,
                        waited_micros: waited,
                        kind,
                    }));
                }
            }
            Event::OfferRejected { contact, advisor } => {
                let Some(a) = self.offer_of(contact, advisor, out) else {
                    return;
                };
                self.lapse(contact, a, Lapse::Rejected, out);
            }
            Event::Escalate {
                contact,
                reason,
                context,
            } => self.escalate(contact, reason, context, out),
            Event::SiteHours { site, open } => {
                let Some(s) = self.cfg.schema.site(&site) else {
                    return refuse(out, format!("unknown site '{site}'"));
                };
                if open {
                    self.closed_sites.remove(&s);
                } else {
                    self.closed_sites.insert(s);
                }
                self.recheck_skips(out);
            }
            Event::Fact { name, value } => {
                if value {
                    self.facts.insert(name);
                } else {
                    self.facts.remove(&name);
                }
                self.recheck_skips(out);
            }
        }
    }

    fn adv(&self, id: Uuid, out: &mut Vec<Decision>) -> Option<u32> {
        let a = self.by_id.get(&id).copied();
        if a.is_none() {
            refuse(out, format!("advisor {id} is not known to the router"));
        }
        a
    }

    /// The advisor index if `contact` is currently offered to `advisor`.
    fn offer_of(&self, contact: Uuid, advisor: Uuid, out: &mut Vec<Decision>) -> Option<u32> {
        let a = self.by_id.get(&advisor).copied();
        match (self.contacts.get(&contact).map(|c| c.stage), a) {
            (Some(Stage::Offered(x)), Some(a)) if x == a => Some(a),
            _ => {
                refuse(
                    out,
                    format!("contact {contact} is not offered to advisor {advisor}"),
                );
                None
            }
        }
    }

    /// Builds the contact and picks its workflow: the first matching filter,
    /// skipping the expert cell for contracts that do not include it.
    fn admit(
        &mut self,
        spec: &ContactSpec,
        place: Timestamp,
        callback: Option<(Timestamp, Option<Uuid>)>,
        out: &mut Vec<Decision>,
    ) -> Option<Contact> {
        let attrs = ContactAttrs::resolve(spec, &self.cfg.schema);
        let expert_ok = self.cfg.expert_contract_tiers.contains(&spec.contract_tier);
        let wf = self
            .cfg
            .workflows
            .iter()
            .position(|w| (w.tier != Tier::Expert || expert_ok) && w.filter.eval(&attrs));
        let Some(wf) = wf else {
            out.push(Decision::Unroutable {
                contact: spec.id,
                why: "no workflow's filter matches this contact".into(),
            });
            return None;
        };
        Some(Contact {
            id: spec.id,
            ch: channel_index(spec.channel),
            contract_tier: spec.contract_tier,
            priority: spec.priority,
            place,
            workflow: wf as u32,
            step: 0,
            stage: Stage::Waiting,
            step_epoch: 0,
            offer_epoch: 0,
            alerted: false,
            entered: false,
            step_due: false,
            callback,
            history: Vec::new(),
            max_wait_timer: None,
            step_timer: None,
            offer_timer: None,
        })
    }

    fn enter_workflow(&mut self, mut c: Contact, out: &mut Vec<Decision>) {
        let w = &self.cfg.workflows[c.workflow as usize];
        let at = Timestamp(c.place.0.saturating_add(w.max_wait).max(self.now.0));
        let timer = Timer {
            at,
            kind: TimerKind::MaxWait,
            id: c.id,
            epoch: c.workflow,
        };
        self.timers.insert(timer);
        c.max_wait_timer = Some(timer);
        c.step = 0;
        let id = c.id;
        self.contacts.insert(id, c);
        self.enter_step(id, 0, out);
    }

    /// Puts the contact in step `from` (or the first later step whose skip
    /// condition is false; the last step is never skipped), keeping its place.
    fn enter_step(&mut self, id: Uuid, from: u32, out: &mut Vec<Decision>) {
        let Some(c) = self.contacts.get(&id) else {
            return;
        };
        let (wf, ch) = (c.workflow as usize, c.ch);
        let steps = self.cfg.workflows[wf].steps.len() as u32;
        let mut s = from.min(steps - 1);
        let mut skipped = Vec::new();
        let mut priority = c.priority;
        loop {
            let step = &self.cfg.workflows[wf].steps[s as usize];
            if let Some(pc) = step.priority {
                priority = pc.apply(priority);
            }
            if s + 1 < steps && self.skip(step.pool, &step.skip_if) {
                skipped.push(s);
                s += 1;
                continue;
            }
            break;
        }
        let step = &self.cfg.workflows[wf].steps[s as usize];
        let (pool, timeout) = (step.pool, step.timeout);
        let Some(c) = self.contacts.get_mut(&id) else {
            return;
        };
        if c.stage == Stage::Waiting {
            self.waiting[c.pool_slot(&self.cfg)].remove(&c.key());
        }
        c.step = s;
        c.priority = priority;
        c.entered = true;
        c.step_due = false;
        c.step_epoch += 1;
        c.stage = Stage::Waiting;
        drop_timer(&mut self.timers, &mut c.step_timer);
        if let Some(t) = timeout {
            let timer = Timer {
                at: Timestamp(self.now.0.saturating_add(t)),
                kind: TimerKind::StepTimeout,
                id,
                epoch: c.step_epoch,
            };
            self.timers.insert(timer);
            c.step_timer = Some(timer);
        }
        out.push(Decision::StepEntered {
            contact: id,
            workflow: self.names[wf].clone(),
            step: s,
            priority,
            skipped,
        });
        self.route_contact(id, pool as usize * NCH + ch, out);
    }

    fn skip(&self, pool: u32, conds: &[Skip]) -> bool {
        conds.iter().any(|k| match k {
            Skip::SiteClosed(s) => self.closed_sites.contains(s),
            Skip::NobodyStaffed => self.staffed[pool as usize] == 0,
            Skip::Fact(f) => self.facts.contains(f),
        })
    }

    /// Offers the waiting contact to the best listed advisor of its slot, or queues it.
    fn route_contact(&mut self, id: Uuid, slot: usize, out: &mut Vec<Decision>) {
        let refused = self.rejected.get(&id);
        let best = self.idle[slot]
            .iter()
            .find(|k| refused.is_none_or(|r| !r.contains(&k.3)))
            .map(|k| k.3);
        match best {
            Some(a) => {
                self.offer(id, a, out);
                self.show(a, out);
            }
            None => {
                if let Some(c) = self.contacts.get(&id) {
                    self.waiting[slot].insert(c.key());
                }
            }
        }
    }

    /// Returns false (and changes nothing) if the contact is unknown.
    fn offer(&mut self, id: Uuid, a: u32, out: &mut Vec<Decision>) -> bool {
        let Some(c) = self.contacts.get_mut(&id) else {
            return false;
        };
        match c.stage {
            Stage::Waiting => {
                let slot = c.pool_slot(&self.cfg);
                self.waiting[slot].remove(&c.key());
            }
            Stage::Preferred(p) => {
                self.advisors[p as usize].preferred.remove(&c.key());
            }
            _ => {}
        }
        c.stage = Stage::Offered(a);
        c.offer_epoch += 1;
        let ch = c.ch;
        let expires_at = Timestamp(self.now.0.saturating_add(self.cfg.offer_timeout));
        let timer = Timer {
            at: expires_at,
            kind: TimerKind::OfferTimeout,
            id,
            epoch: c.offer_epoch,
        };
        drop_timer(&mut self.timers, &mut c.offer_timer);
        self.timers.insert(timer);
        c.offer_timer = Some(timer);
        let adv = &mut self.advisors[a as usize];
        debug_assert!(adv.offerable(ch), "offer to an advisor who cannot take it");
        adv.load[ch] += 1;
        adv.active += 1;
        out.push(Decision::Offer {
            contact: id,
            advisor: adv.id,
            expires_at,
        });
        // Least recently given work goes first: being offered work resets idleness.
        self.unlist(a);
        self.advisors[a as usize].idle_since = self.now;
        self.relist(a);
        true
    }

    /// An offer ended without assignment: free the advisor's slot and put the
    /// contact back where it was (same step, same place).
    fn lapse(&mut self, id: Uuid, a: u32, why: Lapse, out: &mut Vec<Decision>) {
        self.release_offer(id, a, why, out);
        let Some(c) = self.contacts.get(&id) else {
            return;
        };
        let (entered, step_due, next, slot) =
            (c.entered, c.step_due, c.step + 1, c.pool_slot(&self.cfg));
        if !entered {
            if let Some(c) = self.contacts.remove(&id) {
                self.enter_workflow_keep(c, out);
            }
        } else if step_due {
            self.enter_step(id, next, out);
        } else {
            self.route_contact(id, slot, out);
        }
        self.advisor_changed(a, out);
    }

    /// Frees the advisor's slot held by an offer; the contact is left waiting but not yet indexed.
    fn release_offer(&mut self, id: Uuid, a: u32, why: Lapse, out: &mut Vec<Decision>) {
        let Some(c) = self.contacts.get_mut(&id) else {
            return;
        };
        let ch = c.ch;
        c.stage = Stage::Waiting;
        c.offer_epoch += 1;
        drop_timer(&mut self.timers, &mut c.offer_timer);
        let adv = &mut self.advisors[a as usize];
        adv.load[ch] -= 1;
        adv.active -= 1;
        out.push(Decision::OfferLapsed {
            contact: id,
            advisor: adv.id,
            why,
        });
        if why != Lapse::Cancelled {
            self.rejected.entry(id).or_default().push(a);
        }
        if why == Lapse::TimedOut {
            // An advisor who lets an offer ring out is probably away: stop offering to them.
            let adv = &mut self.advisors[a as usize];
            if adv.declared == Presence::Available {
                adv.declared = Presence::Break;
                adv.reason = "missed_offer".to_string();
                self.relist(a);
            }
        }
    }

    /// The contact leaves before being answered: `counted` when the customer
    /// gave up (an abandon), not when someone took it by hand.
    fn abandon(&mut self, id: Uuid, counted: bool, out: &mut Vec<Decision>) {
        let Some(c) = self.contacts.get(&id) else {
            return refuse(out, format!("contact {id} is not being routed"));
        };
        let (stage, wf, waited, is_cb) = (
            c.stage,
            c.workflow,
            self.now.0 - c.place.0,
            c.callback.is_some(),
        );
        match stage {
            Stage::Assigned(_) => {
                return refuse(
                    out,
                    format!("contact {id} is with an advisor: end it instead"),
                )
            }
            Stage::Offered(a) => {
                self.release_offer(id, a, Lapse::Cancelled, out);
                // Not indexed as waiting after release: forget must not look for it there.
                if let Some(c) = self.contacts.get_mut(&id) {
                    c.stage = Stage::Scheduled;
                }
                self.forget(id);
                self.advisor_changed(a, out);
            }
            _ => self.forget(id),
        }
        if stage != Stage::Scheduled && !counted {
            out.push(Decision::Withdrawn {
                contact: id,
                workflow: self.names[wf as usize].clone(),
            });
        } else if stage != Stage::Scheduled {
            let short = waited < self.cfg.short_abandon_secs * 1_000_000;
            let kind = (!is_cb).then(|| self.stats[wf as usize].record_abandoned(waited));
            out.push(Decision::Abandoned {
                contact: id,
                workflow: self.names[wf as usize].clone(),
                waited_micros: waited,
                short,
            });
            if let Some(kind) = kind {
                out.push(Decision::Outcome(Outcome {
                    contact: id,
                    queue: self.names[wf as usize].clone(),
                    at: self.now,
                    waited_micros: waited,
                    kind,
                }));
            }
        }
    }

    /// Removes the contact from every index and drops its timers (callback
    /// timers, rare, lapse by themselves).
    fn forget(&mut self, id: Uuid) {
        let Some(mut c) = self.contacts.remove(&id) else {
            return;
        };
        drop_timer(&mut self.timers, &mut c.offer_timer);
        drop_timer(&mut self.timers, &mut c.step_timer);
        drop_timer(&mut self.timers, &mut c.max_wait_timer);
        match c.stage {
            Stage::Waiting => {
                self.waiting[c.pool_slot(&self.cfg)].remove(&c.key());
            }
            Stage::Preferred(a) => {
                self.advisors[a as usize].preferred.remove(&c.key());
            }
            _ => {}
        }
        self.rejected.remove(&id);
    }

    fn escalate(&mut self, id: Uuid, reason: String, context: String, out: &mut Vec<Decision>) {
        let Some(c) = self.contacts.get(&id) else {
            return refuse(out, format!("contact {id} is not being routed"));
        };
        let Stage::Assigned(a) = c.stage else {
            return out.push(Decision::EscalationRefused {
                contact: id,
                why: "only an assigned contact can be escalated".into(),
            });
        };
        let from = &self.cfg.workflows[c.workflow as usize];
        let Some(to) = from.escalate_to else {
            return out.push(Decision::EscalationRefused {
                contact: id,
                why: format!("queue '{}' has no escalation path", from.name),
            });
        };
        let target = &self.cfg.workflows[to as usize];
        if target.tier == Tier::Expert && !self.cfg.expert_contract_tiers.contains(&c.contract_tier)
        {
            return out.push(Decision::EscalationRefused {
                contact: id,
                why: format!(
                    "the {} contract does not include the expert cell",
                    c.contract_tier
                ),
            });
        }
        let record = Escalation {
            from: self.names[c.workflow as usize].clone(),
            to: self.names[to as usize].clone(),
            tier: target.tier,
            by: self.advisors[a as usize].id,
            reason,
            context,
            at: self.now,
        };
        let Some(mut c) = self.contacts.remove(&id) else {
            return;
        };
        let adv = &mut self.advisors[a as usize];
        adv.active -= 1;
        adv.load[c.ch] -= 1;
        c.history.push(record);
        c.workflow = to;
        c.stage = Stage::Waiting;
        c.alerted = false;
        c.step_epoch += 1;
        c.offer_epoch += 1;
        // The customer has already waited: the contact keeps its original place.
        out.push(Decision::Escalated {
            contact: id,
            history: c.history.clone(),
        });
        self.rejected.remove(&id);
        self.rejected.insert(id, vec![a]);
        self.enter_workflow_keep(c, out);
        self.advisor_changed(a, out);
    }

    fn enter_workflow_keep(&mut self, mut c: Contact, out: &mut Vec<Decision>) {
        // Not in any waiting set yet: mark as scheduled so enter_step does not look for it.
        c.stage = Stage::Scheduled;
        let w = &self.cfg.workflows[c.workflow as usize];
        let at = Timestamp(self.now.0.saturating_add(w.max_wait));
        let timer = Timer {
            at,
            kind: TimerKind::MaxWait,
            id: c.id,
            epoch: c.workflow,
        };
        drop_timer(&mut self.timers, &mut c.max_wait_timer);
        self.timers.insert(timer);
        c.max_wait_timer = Some(timer);
        let id = c.id;
        self.contacts.insert(id, c);
        self.enter_step(id, 0, out);
    }

    fn recheck_skips(&mut self, out: &mut Vec<Decision>) {
        let mut due: Vec<(CKey, Uuid, u32)> = self
            .contacts
            .values()
            .filter(|c| c.stage == Stage::Waiting)
            .filter(|c| {
                let w = &self.cfg.workflows[c.workflow as usize];
                let s = &w.steps[c.step as usize];
                (c.step as usize) + 1 < w.steps.len() && self.skip(s.pool, &s.skip_if)
            })
            .map(|c| (c.key(), c.id, c.step + 1))
            .collect();
        due.sort_unstable();
        for (_, id, next) in due {
            self.enter_step(id, next, out);
        }
    }

    // ---------------------------------------------------------- advisors

    fn upsert_advisor(&mut self, spec: AdvisorSpec, out: &mut Vec<Decision>) {
        let attrs = match AdvisorAttrs::resolve(&spec, &self.cfg.schema) {
            Ok(a) => a,
            Err(e) => return refuse(out, format!("advisor {}: {e}", spec.id)),
        };
        let mut capacity = [0u16; NCH];
        for (ch, n) in &spec.capacity {
            if capacity[channel_index(*ch)] != 0 {
                return refuse(
                    out,
                    format!("advisor {}: channel {ch} is listed twice", spec.id),
                );
            }
            capacity[channel_index(*ch)] = *n;
        }
        let pools: Vec<u32> = self
            .cfg
            .pools
            .iter()
            .enumerate()
            .filter(|(_, p)| p.target.eval(&attrs))
            .map(|(i, _)| i as u32)
            .collect();
        let a = match self.by_id.get(&spec.id) {
            Some(&a) => {
                self.unlist(a);
                if self.advisors[a as usize].staffed() {
                    for p in &self.advisors[a as usize].pools {
                        self.staffed[*p as usize] -= 1;
                    }
                }
                let adv = &mut self.advisors[a as usize];
                adv.attrs = attrs;
                adv.capacity = capacity;
                adv.pools = pools;
                a
            }
            None => {
                let a = self.advisors.len() as u32;
                self.by_id.insert(spec.id, a);
                self.advisors.push(Adv {
                    id: spec.id,
                    attrs,
                    capacity,
                    load: [0; NCH],
                    active: 0,
                    wraps: Vec::new(),
                    declared: Presence::Offline,
                    shown: Presence::Offline,
                    reason: String::new(),
                    shown_reason: String::new(),
                    since: self.now,
                    idle_since: self.now,
                    pools,
                    listed: [false; NCH],
                    listed_key: 0,
                    preferred: BTreeSet::new(),
                });
                a
            }
        };
        if self.advisors[a as usize].staffed() {
            for p in &self.advisors[a as usize].pools {
                self.staffed[*p as usize] += 1;
            }
        }
        self.advisor_changed(a, out);
    }

    fn set_declared(
        &mut self,
        a: u32,
        presence: Presence,
        reason: String,
        out: &mut Vec<Decision>,
    ) {
        let adv = &mut self.advisors[a as usize];
        let was_staffed = adv.staffed();
        let was_available = adv.declared == Presence::Available;
        adv.declared = presence;
        adv.reason = reason;
        let now_staffed = adv.staffed();
        if was_staffed != now_staffed {
            for p in &adv.pools {
                if now_staffed {
                    self.staffed[*p as usize] += 1;
                } else {
                    self.staffed[*p as usize] -= 1;
                }
            }
        }
        if presence == Presence::Available && !was_available {
            self.unlist(a);
            self.advisors[a as usize].idle_since = self.now;
        } else {
            // Listed means offerable: drop the listings before anything else is routed.
            self.relist(a);
        }
        if presence == Presence::Offline {
            // Nobody is there to answer pending offers: give the contacts back now.
            let mut pending: Vec<(CKey, Uuid)> = self
                .contacts
                .values()
                .filter(|c| c.stage == Stage::Offered(a))
                .map(|c| (c.key(), c.id))
                .collect();
            pending.sort_unstable();
            for (_, id) in pending {
                self.lapse(id, a, Lapse::Cancelled, out);
            }
        }
        self.advisor_changed(a, out);
    }

    /// After any change to an advisor: give them waiting work while they can
    /// take it, then list them idle on the channels that still have room.
    fn advisor_changed(&mut self, a: u32, out: &mut Vec<Decision>) {
        while let Some(id) = self.best_contact_for(a) {
            // Never spin on an index entry without a contact (that would be a bug elsewhere).
            if !self.offer(id, a, out) {
                break;
            }
        }
        self.show(a, out);
        self.relist(a);
    }

    /// Preferred callbacks first, then the most urgent, oldest contact among
    /// the heads of the advisor's pools on channels with room.
    fn best_contact_for(&self, a: u32) -> Option<Uuid> {
        let adv = &self.advisors[a as usize];
        if adv.declared != Presence::Available {
            return None;
        }
        if let Some(k) = adv.preferred.iter().find(|k| {
            self.contacts
                .get(&k.id)
                .is_some_and(|c| adv.offerable(c.ch))
        }) {
            return Some(k.id);
        }
        let mut best: Option<CKey> = None;
        for ch in 0..NCH {
            if !adv.offerable(ch) {
                continue;
            }
            for &p in &adv.pools {
                let set = &self.waiting[p as usize * NCH + ch];
                let head = if self.rejected.is_empty() {
                    set.first()
                } else {
                    set.iter()
                        .find(|k| self.rejected.get(&k.id).is_none_or(|r| !r.contains(&a)))
                };
                if let Some(k) = head {
                    if best.is_none_or(|b| *k < b) {
                        best = Some(*k);
                    }
                }
            }
        }
        best.map(|k| k.id)
    }

    fn akey(&self, a: u32, pool: u32) -> AKey {
        let adv = &self.advisors[a as usize];
        let comp = |o: OrderComp| match o {
            OrderComp::None => 0,
            OrderComp::LongestIdle => adv.idle_since.0,
            OrderComp::Proficiency(k) => {
                -i64::from(adv.attrs.skills.get(usize::from(k)).copied().unwrap_or(0))
            }
        };
        let order = self.cfg.pools[pool as usize].order;
        (comp(order[0]), comp(order[1]), adv.id, a)
    }

    fn unlist(&mut self, a: u32) {
        for ch in 0..NCH {
            if !self.advisors[a as usize].listed[ch] {
                continue;
            }
            for i in 0..self.advisors[a as usize].pools.len() {
                let p = self.advisors[a as usize].pools[i];
                let k = self.akey_listed(a, p);
                self.idle[p as usize * NCH + ch].remove(&k);
            }
            self.advisors[a as usize].listed[ch] = false;
        }
    }

    /// The key under which the advisor was listed (idle time may have moved since).
    fn akey_listed(&self, a: u32, pool: u32) -> AKey {
        let mut k = self.akey(a, pool);
        let order = self.cfg.pools[pool as usize].order;
        let listed = self.advisors[a as usize].listed_key;
        if order[0] == OrderComp::LongestIdle {
            k.0 = listed;
        }
        if order[1] == OrderComp::LongestIdle {
            k.1 = listed;
        }
        k
    }

    fn relist(&mut self, a: u32) {
        let idle_since = self.advisors[a as usize].idle_since.0;
        if self.advisors[a as usize].listed.iter().any(|l| *l)
            && self.advisors[a as usize].listed_key != idle_since
        {
            self.unlist(a);
        }
        self.advisors[a as usize].listed_key = idle_since;
        for ch in 0..NCH {
            let want = self.advisors[a as usize].offerable(ch);
            if want == self.advisors[a as usize].listed[ch] {
                continue;
            }
            for i in 0..self.advisors[a as usize].pools.len() {
                let p = self.advisors[a as usize].pools[i];
                let k = self.akey(a, p);
                let set = &mut self.idle[p as usize * NCH + ch];
                if want {
                    set.insert(k);
                } else {
                    set.remove(&k);
                }
            }
            self.advisors[a as usize].listed[ch] = want;
        }
    }

    /// Emits a presence change when the displayed state or its reason moved.
    fn show(&mut self, a: u32, out: &mut Vec<Decision>) {
        let now = self.now;
        let adv = &mut self.advisors[a as usize];
        let p = adv.derived();
        if p != adv.shown || adv.shown_reason != adv.reason {
            let previous = adv.shown;
            let previous_micros = now.0 - adv.since.0;
            adv.shown = p;
            adv.since = now;
            adv.shown_reason.clone_from(&adv.reason);
            out.push(Decision::PresenceChanged {
                advisor: adv.id,
                presence: p,
                reason: adv.reason.clone(),
                since: now,
                previous,
                previous_micros,
            });
        }
    }

    // ------------------------------------------------------------- timers

    fn fire_timers(&mut self, out: &mut Vec<Decision>) {
        while let Some(t) = self.timers.first().copied() {
            if t.at > self.now {
                break;
            }
            self.timers.remove(&t);
            self.fire(t, out);
        }
    }

    fn fire(&mut self, t: Timer, out: &mut Vec<Decision>) {
        match t.kind {
            TimerKind::WrapUpEnd => {
                let a = t.epoch;
                let Some(adv) = self.advisors.get_mut(a as usize) else {
                    return;
                };
                if let Some(i) = adv.wraps.iter().position(|w| w.0 == t.id) {
                    let (_, ch) = adv.wraps.remove(i);
                    adv.load[ch] -= 1;
                    self.advisor_changed(a, out);
                }
                return;
            }
            TimerKind::CallbackDue => {
                let Some(c) = self.contacts.get(&t.id) else {
                    return;
                };
                if c.stage != Stage::Scheduled {
                    return;
                }
                let pref = c
                    .callback
                    .and_then(|cb| cb.1)
                    .and_then(|p| self.by_id.get(&p).copied());
                let ch = c.ch;
                let Some(c) = self.contacts.remove(&t.id) else {
                    return;
                };
                match pref {
                    Some(a) if self.advisors[a as usize].offerable(ch) => {
                        let id = c.id;
                        let mut c = c;
                        c.stage = Stage::Preferred(a);
                        self.contacts.insert(id, c);
                        self.offer(id, a, out);
                        self.show(a, out);
                    }
                    Some(a) if self.cfg.callback_preferred > 0 => {
                        let mut c = c;
                        c.stage = Stage::Preferred(a);
                        c.offer_epoch += 1;
                        self.advisors[a as usize].preferred.insert(c.key());
                        self.timers.insert(Timer {
                            at: Timestamp(self.now.0.saturating_add(self.cfg.callback_preferred)),
                            kind: TimerKind::PreferredExpired,
                            id: c.id,
                            epoch: c.offer_epoch,
                        });
                        self.contacts.insert(c.id, c);
                    }
                    _ => self.enter_workflow_keep(c, out),
                }
                return;
            }
            _ => {}
        }
        let Some(c) = self.contacts.get(&t.id) else {
            return;
        };
        match t.kind {
            TimerKind::OfferTimeout => {
                if let Stage::Offered(a) = c.stage {
                    if c.offer_epoch == t.epoch {
                        self.lapse(t.id, a, Lapse::TimedOut, out);
                    }
                }
            }
            TimerKind::StepTimeout => {
                if c.step_epoch == t.epoch {
                    let next = c.step + 1;
                    if c.stage == Stage::Waiting {
                        self.enter_step(t.id, next, out);
                    } else if let Some(c) = self.contacts.get_mut(&t.id) {
                        // Offered right now: if the offer lapses, the contact resumes in the next step.
                        c.step_due = true;
                    }
                }
            }
            TimerKind::PreferredExpired => {
                if let Stage::Preferred(a) = c.stage {
                    if c.offer_epoch == t.epoch {
                        let key = c.key();
                        self.advisors[a as usize].preferred.remove(&key);
                        if let Some(mut c) = self.contacts.remove(&t.id) {
                            c.stage = Stage::Scheduled;
                            self.enter_workflow_keep(c, out);
                        }
                    }
                }
            }
            TimerKind::CallbackDeadline => {
                if !matches!(c.stage, Stage::Assigned(_)) {
                    if let Some((deadline, _)) = c.callback {
                        out.push(Decision::CallbackMissed {
                            contact: t.id,
                            deadline,
                        });
                    }
                }
            }
            TimerKind::MaxWait => {
                let fire = t.epoch == c.workflow
                    && !c.alerted
                    && matches!(
                        c.stage,
                        Stage::Waiting | Stage::Preferred(_) | Stage::Offered(_)
                    );
                if fire {
                    let waited = self.now.0 - c.place.0;
                    let wf = self.names[c.workflow as usize].clone();
                    if let Some(c) = self.contacts.get_mut(&t.id) {
                        c.alerted = true;
                    }
                    out.push(Decision::MaxWaitExceeded {
                        contact: t.id,
                        workflow: wf,
                        waited_micros: waited,
                    });
                }
            }
            TimerKind::WrapUpEnd | TimerKind::CallbackDue => {}
        }
    }

    /// Test support: the invariants the property tests rely on.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        for a in &self.advisors {
            for ch in 0..NCH {
                if a.load[ch] > a.capacity[ch] && a.active > 0 {
                    return Err(format!(
                        "advisor {} over capacity on channel {ch}: {} > {}",
                        a.id, a.load[ch], a.capacity[ch]
                    ));
                }
            }
            let offered = self.contacts.values().filter(|c| matches!(c.stage, Stage::Offered(x) | Stage::Assigned(x) if self.advisors[x as usize].id == a.id)).count();
            if offered != usize::from(a.active) {
                return Err(format!(
                    "advisor {} active {} but holds {offered}",
                    a.id, a.active
                ));
            }
        }
        for t in &self.timers {
            if matches!(
                t.kind,
                TimerKind::OfferTimeout | TimerKind::StepTimeout | TimerKind::MaxWait
            ) {
                match self.contacts.get(&t.id).map(|c| c.stage) {
                    None => return Err(format!("{:?} timer outlives contact {}", t.kind, t.id)),
                    Some(Stage::Assigned(_)) => {
                        return Err(format!(
                            "{:?} timer left on assigned contact {}",
                            t.kind, t.id
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        let waiting: usize = self.waiting.iter().map(BTreeSet::len).sum();
        let expect = self
            .contacts
            .values()
            .filter(|c| c.stage == Stage::Waiting)
            .count();
        if waiting != expect {
            return Err(format!(
                "{waiting} contacts indexed as waiting, {expect} waiting"
            ));
        }
        Ok(())
    }
}

impl Contact {
    fn pool_slot(&self, cfg: &Routing) -> usize {
        let pool = cfg.workflows[self.workflow as usize].steps[self.step as usize].pool;
        pool as usize * NCH + self.ch
    }
}

fn drop_timer(timers: &mut BTreeSet<Timer>, slot: &mut Option<Timer>) {
    if let Some(t) = slot.take() {
        timers.remove(&t);
    }
}

fn refuse(out: &mut Vec<Decision>, why: String) {
    out.push(Decision::Refused { why });
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "router_proptests.rs"]
mod proptests;
