//! Router throughput and per-decision latency (issue 4): 3,200 advisors online
//! and 10,000 contacts waiting, in steady state. Each cycle ends one random
//! assigned contact (its advisor is freed and offered the best waiting contact
//! — the routing decision), accepts that offer, and lets a new contact arrive,
//! so the backlog stays at 10,000. Simulated time moves 2 ms per cycle, so step
//! timeouts (30 s, 60 s) fire during the run as they would in production.
//!
//! Before criterion runs, a custom loop times every cycle with `Instant` and
//! prints p50/p90/p99/p99.9 per decision (see BENCHMARKS.md).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use plateau_core::model::{Channel, ContractTier, Language, Priority, Tier};
use plateau_core::routing::{
    AdvisorSpec, ContactSpec, Decision, Event, OrderKey, Presence, PriorityChange, Router, Routing,
    RoutingConfig, Schema, StepSpec, WorkflowSpec,
};
use plateau_core::Timestamp;
use uuid::Uuid;

const ADVISORS: usize = 3_200;
const WAITING: usize = 10_000;
const SKILLS: usize = 12;
const STEP_MICROS: i64 = 2_000;

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// 12 reasons × 2 languages = 24 queues, each relaxing over three steps:
/// skill ≥ 3 in the language (proficiency, then longest idle), skill ≥ 1 in the
/// language (raised priority), then skill ≥ 1 in any language.
fn config() -> RoutingConfig {
    let mut workflows = Vec::new();
    for k in 0..SKILLS {
        for lang in ["fr", "en"] {
            let step = |target: String, timeout: Option<i64>| StepSpec {
                target,
                timeout_secs: timeout,
                priority: None,
                skip_if: vec![],
                order: vec![],
            };
            let mut s0 = step(
                format!("skills.s{k} >= 3 and language == \"{lang}\""),
                Some(30),
            );
            s0.order = vec![
                OrderKey::Proficiency(format!("s{k}")),
                OrderKey::LongestIdle,
            ];
            let mut s1 = step(
                format!("skills.s{k} >= 1 and language == \"{lang}\""),
                Some(60),
            );
            s1.priority = Some(PriorityChange::Raise);
            let s2 = step(format!("skills.s{k} >= 1"), None);
            workflows.push(WorkflowSpec {
                name: format!("r{k}_{lang}"),
                filter: Some(format!("reason == \"r{k}\" and language == \"{lang}\"")),
                tier: Tier::N1,
                escalate_to: None,
                max_wait_secs: Some(3_600),
                steps: vec![s0, s1, s2],
            });
        }
    }
    RoutingConfig {
        schema: Schema {
            skills: names("s", SKILLS),
            sites: names("site", 5),
            teams: names("team", 20),
            tenants: vec!["orange".into()],
            reasons: names("r", SKILLS),
            segments: vec![],
        },
        workflows,
        wrap_up_secs: vec![],
        ..RoutingConfig::default()
    }
}

fn advisor(i: usize, rng: &mut Rng) -> AdvisorSpec {
    let mut skills = BTreeMap::new();
    while skills.len() < 3 {
        skills.insert(format!("s{}", rng.below(SKILLS)), 1 + rng.below(5) as u8);
    }
    let mut languages = Vec::new();
    if rng.below(10) < 8 {
        languages.push(Language::Fr);
    }
    if languages.is_empty() || rng.below(10) < 4 {
        languages.push(Language::En);
    }
    let mut capacity = vec![(Channel::Phone, 1)];
    if rng.below(10) < 3 {
        capacity.push((Channel::Chat, 2));
    }
    AdvisorSpec {
        id: Uuid::from_u128(1_000_000 + i as u128),
        skills,
        languages,
        tier: Tier::N1,
        site: Some(format!("site{}", rng.below(5))),
        team: Some(format!("team{}", rng.below(20))),
        capacity,
    }
}

fn contact(n: u128, rng: &mut Rng) -> ContactSpec {
    ContactSpec {
        id: Uuid::from_u128(n),
        tenant: "orange".into(),
        channel: if rng.below(10) < 8 {
            Channel::Phone
        } else {
            Channel::Chat
        },
        reason: Some(format!("r{}", rng.below(SKILLS))),
        language: if rng.below(4) < 3 {
            Language::Fr
        } else {
            Language::En
        },
        priority: match rng.below(20) {
            0 => Priority::Urgent,
            1 | 2 => Priority::High,
            _ => Priority::Normal,
        },
        contract_tier: ContractTier::Standard,
        segment: None,
    }
}

/// A router in steady state: advisors busy, `WAITING` contacts in queue.
struct Floor {
    router: Router,
    rng: Rng,
    now: i64,
    next_contact: u128,
    assigned: Vec<Uuid>,
    buf: Vec<Decision>,
}

impl Floor {
    fn new(backlog: bool) -> Floor {
        let routing = Routing::compile(&config()).unwrap_or_else(|e| panic!("bench config: {e:?}"));
        let mut f = Floor {
            router: Router::new(routing),
            rng: Rng(0x9E37_79B9_7F4A_7C15),
            now: 1_800_000_000_000_000,
            next_contact: 1,
            assigned: Vec::new(),
            buf: Vec::new(),
        };
        let mut events = Vec::new();
        for i in 0..ADVISORS {
            let a = advisor(i, &mut f.rng);
            let id = a.id;
            events.push(Event::AdvisorUpdated(a));
            events.push(Event::SetPresence {
                advisor: id,
                presence: Presence::Available,
                reason: String::new(),
            });
        }
        let d = f.router.step(Timestamp(f.now), events);
        assert!(d.iter().all(|d| !matches!(d, Decision::Refused { .. })));
        if backlog {
            while f.router.waiting_count() < WAITING {
                let batch: Vec<Event> = (0..100).map(|_| f.arrival()).collect();
                f.now += STEP_MICROS;
                f.run(batch);
            }
        }
        f
    }

    fn arrival(&mut self) -> Event {
        let c = contact(self.next_contact, &mut self.rng);
        self.next_contact += 1;
        Event::ContactArrived(c)
    }

    /// Steps the router, accepts every offer at once, and returns the offers made.
    fn run(&mut self, events: Vec<Event>) -> usize {
        let mut out = std::mem::take(&mut self.buf);
        out.clear();
        self.router.step_into(Timestamp(self.now), events, &mut out);
        let mut offers = 0;
        let mut accepts = Vec::new();
        for d in &out {
            if let Decision::Offer {
                contact, advisor, ..
            } = d
            {
                offers += 1;
                accepts.push(Event::OfferAccepted {
                    contact: *contact,
                    advisor: *advisor,
                });
                self.assigned.push(*contact);
            }
        }
        if !accepts.is_empty() {
            out.clear();
            self.router
                .step_into(Timestamp(self.now), accepts, &mut out);
        }
        self.buf = out;
        offers
    }

    /// One steady-state cycle: end a random assigned contact, accept what the
    /// freed advisor is offered, and let a new contact arrive.
    fn cycle(&mut self, backlog: bool) -> usize {
        self.now += STEP_MICROS;
        let mut offers = 0;
        if backlog || self.assigned.len() > ADVISORS / 2 {
            if self.assigned.is_empty() {
                return 0;
            }
            let i = self.rng.below(self.assigned.len());
            let c = self.assigned.swap_remove(i);
            offers += self.run(vec![Event::ContactEnded { contact: c }]);
        }
        let arrival = self.arrival();
        offers += self.run(vec![arrival]);
        offers
    }
}

/// Per-cycle wall times, divided by the decisions each made, with percentiles.
fn latency(label: &str, backlog: bool, cycles: usize) {
    let mut f = Floor::new(backlog);
    for _ in 0..20_000 {
        f.cycle(backlog);
    }
    let mut per_decision: Vec<u64> = Vec::with_capacity(cycles);
    let mut decisions = 0usize;
    let start = Instant::now();
    for _ in 0..cycles {
        let t0 = Instant::now();
        let n = f.cycle(backlog);
        let ns = t0.elapsed().as_nanos() as u64;
        if n > 0 {
            decisions += n;
            per_decision.push(ns / n as u64);
        }
    }
    let total = start.elapsed();
    per_decision.sort_unstable();
    let q = |p: f64| per_decision[((per_decision.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{label}: {cycles} cycles, {decisions} decisions in {:.3} s = {:.0} decisions/s; per decision p50 {:.2} µs, p90 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.2} µs; waiting at end {}",
        total.as_secs_f64(),
        decisions as f64 / total.as_secs_f64(),
        q(0.50) as f64 / 1e3,
        q(0.90) as f64 / 1e3,
        q(0.99) as f64 / 1e3,
        q(0.999) as f64 / 1e3,
        per_decision.last().copied().unwrap_or(0) as f64 / 1e3,
        f.router.waiting_count(),
    );
}

fn criterion_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("routing");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(10));
    let mut f = Floor::new(true);
    g.bench_function("steady_state_cycle_3200_advisors_10000_waiting", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(f.cycle(true));
            }
            start.elapsed()
        })
    });
    let mut f = Floor::new(false);
    g.bench_function("arrival_to_idle_advisor_3200_advisors", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(f.cycle(false));
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--latency-only");
    // ROUTING_BENCH_CYCLES lengthens the timed loop, to check nothing drifts over long runs.
    let cycles = std::env::var("ROUTING_BENCH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    latency("backlog (3,200 advisors, 10,000 waiting)", true, cycles);
    latency("idle advisors (3,200 advisors, no backlog)", false, cycles);
    if quick {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
