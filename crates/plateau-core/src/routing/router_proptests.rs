//! Property tests of the router against an independent model: it never
//! exceeds an advisor's capacity, never offers to an advisor who is not
//! available, never assigns a contact twice, and breaks ties by id whatever
//! the order events were listed in.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use uuid::Uuid;

use super::tests::{contact, id, t};
use super::*;
use crate::model::{Channel, ContractTier, Language, Priority, Tier};
use crate::routing::config::tests::{schema, step, wf};
use crate::routing::config::RoutingConfig;
use crate::routing::{AdvisorSpec, Presence};

const CHANNELS: [Channel; 3] = [Channel::Phone, Channel::Chat, Channel::Email];
const REASONS: [&str; 3] = ["sales", "after_sales", "loyalty"];
const PRIORITIES: [Priority; 4] = [
    Priority::Low,
    Priority::Normal,
    Priority::High,
    Priority::Urgent,
];

fn config() -> RoutingConfig {
    RoutingConfig {
        schema: schema(),
        workflows: vec![
            wf(
                "sales",
                "reason == 'sales'",
                Tier::N1,
                Some("n2"),
                vec![
                    step("skills.fibre >= 3", Some(10)),
                    step("skills.fibre >= 1", None),
                ],
            ),
            wf(
                "after_sales",
                "reason == 'after_sales'",
                Tier::N1,
                Some("n2"),
                vec![
                    step("skills.mobile >= 2 and language == 'fr'", Some(20)),
                    step("true", None),
                ],
            ),
            wf(
                "n2",
                "",
                Tier::N2,
                None,
                vec![step("tier in ['n2', 'expert']", None)],
            ),
        ],
        offer_timeout_secs: 15,
        max_wait_secs: 120,
        wrap_up_secs: vec![],
        ..RoutingConfig::default()
    }
}

type Profile = (u8, u8, u8, u16, u16, u16);

fn spec(n: usize, p: &Profile) -> AdvisorSpec {
    let mut skills = BTreeMap::new();
    if p.0 > 0 {
        skills.insert("fibre".to_string(), p.0);
    }
    if p.1 > 0 {
        skills.insert("mobile".to_string(), p.1);
    }
    AdvisorSpec {
        id: id(1000 + n as u128),
        skills,
        languages: vec![Language::Fr],
        tier: Tier::ALL[usize::from(p.2) % 3],
        site: None,
        team: None,
        capacity: vec![
            (Channel::Phone, p.3),
            (Channel::Chat, p.4),
            (Channel::Email, p.5),
        ],
    }
}

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        reason: usize,
        ch: usize,
        prio: usize,
    },
    Presence {
        adv: usize,
        state: usize,
    },
    Accept(usize),
    Reject(usize),
    End(usize),
    Abandon(usize),
    Withdraw(usize),
    Escalate(usize),
    Tick(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 0..4usize).prop_map(|(reason, ch, prio)| Op::Arrive { reason, ch, prio }),
        2 => (0..6usize, 0..4usize).prop_map(|(adv, state)| Op::Presence { adv, state }),
        3 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Reject),
        3 => any::<usize>().prop_map(Op::End),
        1 => any::<usize>().prop_map(Op::Abandon),
        1 => any::<usize>().prop_map(Op::Withdraw),
        1 => any::<usize>().prop_map(Op::Escalate),
        2 => (1i64..40).prop_map(Op::Tick),
    ]
}

/// What the router is allowed to do, tracked from its own decisions.
#[derive(Default)]
struct Model {
    declared: BTreeMap<Uuid, Presence>,
    capacity: BTreeMap<(Uuid, u8), u16>,
    load: BTreeMap<(Uuid, u8), u16>,
    channel: BTreeMap<Uuid, Channel>,
    offered: BTreeMap<Uuid, Uuid>,
    assigned: BTreeMap<Uuid, Uuid>,
    live: BTreeSet<Uuid>,
    /// What the caller would keep for the wallboard.
    outcomes: Vec<Outcome>,
    withdrawn: BTreeSet<Uuid>,
}

impl Model {
    fn absorb(&mut self, ds: &[Decision]) -> Result<(), TestCaseError> {
        for d in ds {
            match d {
                Decision::Offer {
                    contact, advisor, ..
                } => {
                    let ch = self.channel[contact];
                    prop_assert_eq!(
                        self.declared.get(advisor).copied(),
                        Some(Presence::Available),
                        "offer to an advisor who is not available"
                    );
                    let load = self.load.entry((*advisor, ch as u8)).or_insert(0);
                    prop_assert!(
                        *load < self.capacity[&(*advisor, ch as u8)],
                        "offer beyond capacity"
                    );
                    *load += 1;
                    prop_assert!(
                        !self.offered.contains_key(contact) && !self.assigned.contains_key(contact),
                        "contact offered twice"
                    );
                    prop_assert!(
                        self.live.contains(contact),
                        "offer of a contact that is gone"
                    );
                    self.offered.insert(*contact, *advisor);
                }
                Decision::OfferLapsed {
                    contact,
                    advisor,
                    why,
                } => {
                    prop_assert_eq!(self.offered.remove(contact), Some(*advisor));
                    *self
                        .load
                        .entry((*advisor, self.channel[contact] as u8))
                        .or_insert(0) -= 1;
                    if *why == Lapse::TimedOut
                        && self.declared.get(advisor) == Some(&Presence::Available)
                    {
                        self.declared.insert(*advisor, Presence::Break);
                    }
                }
                Decision::Assigned {
                    contact, advisor, ..
                } => {
                    prop_assert_eq!(self.offered.remove(contact), Some(*advisor));
                    self.assigned.insert(*contact, *advisor);
                }
                Decision::Escalated { contact, .. } => {
                    let a = self.assigned.remove(contact);
                    prop_assert!(a.is_some());
                    if let Some(a) = a {
                        *self
                            .load
                            .entry((a, self.channel[contact] as u8))
                            .or_insert(0) -= 1;
                    }
                }
                Decision::Abandoned { contact, .. } | Decision::Unroutable { contact, .. } => {
                    self.live.remove(contact);
                }
                Decision::Withdrawn { contact, .. } => {
                    self.live.remove(contact);
                    self.withdrawn.insert(*contact);
                }
                Decision::Outcome(o) => {
                    prop_assert!(
                        !self.withdrawn.contains(&o.contact),
                        "a withdrawn contact counted"
                    );
                    self.outcomes.push(o.clone());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn pick<T: Copy>(set: impl Iterator<Item = T>, i: usize) -> Option<T> {
    let v: Vec<T> = set.collect();
    (!v.is_empty()).then(|| v[i % v.len()])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_router_keeps_its_promises(
        profiles in prop::collection::vec((0u8..=5, 0u8..=5, 0u8..3, 0u16..=2, 0u16..=3, 0u16..=3), 6),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut r = Router::new(Routing::compile(&config()).unwrap());
        let mut m = Model::default();
        let mut now = 0;
        let mut next_id = 1u128;
        let advisors: Vec<AdvisorSpec> = profiles.iter().enumerate().map(|(i, p)| spec(i, p)).collect();
        for a in &advisors {
            for ch in CHANNELS {
                m.capacity.insert((a.id, ch as u8), a.capacity.iter().find(|c| c.0 == ch).map_or(0, |c| c.1));
            }
            m.declared.insert(a.id, Presence::Offline);
        }
        let d = r.step(t(0), advisors.iter().cloned().map(Event::AdvisorUpdated));
        m.absorb(&d)?;
        for op in ops {
            // Timers first, so the model sees their effects before the event changes anything.
            let d = r.step(t(now), []);
            m.absorb(&d)?;
            let event = match op {
                Op::Tick(s) => { now += s; None }
                Op::Arrive { reason, ch, prio } => {
                    let mut c = contact(next_id, REASONS[reason], CHANNELS[ch], PRIORITIES[prio]);
                    c.contract_tier = ContractTier::Pro;
                    next_id += 1;
                    m.channel.insert(c.id, c.channel);
                    m.live.insert(c.id);
                    Some(Event::ContactArrived(c))
                }
                Op::Presence { adv, state } => {
                    let p = [Presence::Available, Presence::Break, Presence::Training, Presence::Offline][state];
                    m.declared.insert(advisors[adv].id, p);
                    Some(Event::SetPresence { advisor: advisors[adv].id, presence: p, reason: String::new() })
                }
                Op::Accept(i) => pick(m.offered.iter().map(|(c, a)| (*c, *a)), i).map(|(contact, advisor)| Event::OfferAccepted { contact, advisor }),
                Op::Reject(i) => pick(m.offered.iter().map(|(c, a)| (*c, *a)), i).map(|(contact, advisor)| Event::OfferRejected { contact, advisor }),
                Op::End(i) => pick(m.assigned.keys().copied(), i).map(|contact| {
                    if let Some(a) = m.assigned.remove(&contact) {
                        *m.load.entry((a, m.channel[&contact] as u8)).or_insert(0) -= 1;
                    }
                    m.live.remove(&contact);
                    Event::ContactEnded { contact }
                }),
                Op::Abandon(i) => pick(m.live.iter().copied().filter(|c| !m.assigned.contains_key(c)), i).map(|contact| Event::ContactAbandoned { contact }),
                Op::Withdraw(i) => pick(m.live.iter().copied().filter(|c| !m.assigned.contains_key(c)), i).map(|contact| Event::ContactWithdrawn { contact }),
                Op::Escalate(i) => pick(m.assigned.keys().copied(), i).map(|contact| Event::Escalate { contact, reason: "r".into(), context: "c".into() }),
            };
            if let Some(e) = event {
                let d = r.step(t(now), [e]);
                prop_assert!(!d.iter().any(|x| matches!(x, Decision::Refused { .. })), "the harness only sends valid events: {:?}", d);
                m.absorb(&d)?;
            }
            if let Err(e) = r.check_invariants() {
                return Err(TestCaseError::fail(e));
            }
        }
        // The outcomes the caller keeps rebuild the router's own service
        // levels exactly: the wallboard after a restart shows what the
        // router counted.
        let rules = crate::routing::wallboard::Rules { threshold_secs: 20, short_abandon_secs: 5, target_percent: 80 };
        let board = crate::routing::Wallboard::build(None, &crate::routing::wallboard::tally(&m.outcomes, t(0)), rules, t(0), t(now));
        for q in r.queue_stats() {
            let kept = board.queues.iter().find(|b| b.queue == q.workflow.as_str()).map(|b| b.service_level.clone());
            let kept = kept.unwrap_or_else(|| crate::sla::ServiceLevel::new(20, 5));
            prop_assert_eq!(kept, q.service_level.clone(), "queue {}", q.workflow);
        }
    }

    #[test]
    fn ties_break_by_id_whatever_the_arrival_order(
        ids in prop::collection::btree_set(1u128..10_000, 2..30),
        seed in any::<u64>(),
        reasons in prop::collection::vec(0usize..2, 30),
        staff_first in any::<bool>(),
    ) {
        let ids: Vec<u128> = ids.into_iter().collect();
        let mut shuffled = ids.clone();
        // Deterministic Fisher–Yates from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let run = |order: &[u128]| {
            let mut r = Router::new(Routing::compile(&config()).unwrap());
            let profiles: [Profile; 4] = [(5, 5, 0, 1, 2, 0), (3, 2, 1, 1, 1, 0), (1, 3, 0, 1, 0, 0), (4, 0, 2, 1, 3, 0)];
            let staff: Vec<Event> = profiles.iter().enumerate().flat_map(|(i, p)| {
                let s = spec(i, p);
                let a = s.id;
                [Event::AdvisorUpdated(s), Event::SetPresence { advisor: a, presence: Presence::Available, reason: String::new() }]
            }).collect();
            let arrivals: Vec<Event> = order.iter().map(|&n| {
                let k = ids.iter().position(|&i| i == n).unwrap_or(0);
                Event::ContactArrived(contact(n, REASONS[reasons[k]], if k % 2 == 0 { Channel::Phone } else { Channel::Chat }, Priority::Normal))
            }).collect();
            let mut out = Vec::new();
            if staff_first {
                out.extend(r.step(t(0), staff));
                out.extend(r.step(t(1), arrivals));
            } else {
                out.extend(r.step(t(0), arrivals));
                out.extend(r.step(t(1), staff));
            }
            out.extend(r.step(t(100), []));
            out
        };
        let a = run(&ids);
        let b = run(&shuffled);
        prop_assert_eq!(a, b);
    }
}

#[test]
fn the_model_catches_an_offer_to_an_unavailable_advisor() {
    // The harness must be able to fail: feed it a forged decision.
    let mut m = Model::default();
    let (c, a) = (Uuid::from_u128(1), Uuid::from_u128(2));
    m.channel.insert(c, Channel::Phone);
    m.capacity.insert((a, Channel::Phone as u8), 1);
    m.declared.insert(a, Presence::Break);
    m.live.insert(c);
    assert!(m
        .absorb(&[Decision::Offer {
            contact: c,
            advisor: a,
            expires_at: t(1)
        }])
        .is_err());
    m.declared.insert(a, Presence::Available);
    assert!(m
        .absorb(&[Decision::Offer {
            contact: c,
            advisor: a,
            expires_at: t(1)
        }])
        .is_ok());
    assert!(
        m.absorb(&[Decision::Offer {
            contact: c,
            advisor: a,
            expires_at: t(1)
        }])
        .is_err(),
        "twice, and over capacity"
    );
}
