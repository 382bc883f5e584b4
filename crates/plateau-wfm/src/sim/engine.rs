//! The event loop of one replication: a binary-heap calendar of arrivals, departures,
//! abandonments and staffing changes; longest-idle-advisor routing; FIFO queues per skill.
//!
//! Memory is allocated once per engine and reused across replications: the loop itself only
//! pushes to vectors whose capacity has already grown (contacts, heap, queues).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

use super::scenario::Compiled;

/// Tallies for a set of contacts (a skill, an interval, or everything).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tally {
    pub offered: u64,
    pub answered: u64,
    pub answered_within: u64,
    pub abandoned: u64,
    pub delayed: u64,
    pub wait_answered_s: f64,
    pub wait_all_s: f64,
}

/// Everything one replication measures.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunStats {
    pub overall: Tally,
    pub per_skill: Vec<Tally>,
    pub per_interval: Vec<Tally>,
    pub busy_s: Vec<f64>,
    pub staffed_s: Vec<f64>,
    pub events: u64,
}

const BOUNDARY: u8 = 0;
const DEPARTURE: u8 = 1;
const ABANDON: u8 = 2;
const ARRIVAL: u8 = 3;

#[derive(Debug, Clone, Copy)]
struct Event {
    t: f64,
    kind: u8,
    id: u32,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    // Reversed so that `BinaryHeap` (a max-heap) pops the earliest event; ties broken by kind
    // (staffing changes first) and id so the order never depends on heap internals.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t)
            .then(o.kind.cmp(&self.kind))
            .then(o.id.cmp(&self.id))
    }
}

const WAITING: u8 = 0;
const SERVED: u8 = 1;
const ABANDONED: u8 = 2;

#[derive(Debug, Clone, Copy)]
struct Contact {
    arrival: f64,
    skill: u16,
    state: u8,
    counted: bool,
    interval: u32,
}

#[derive(Debug, Clone, Copy)]
struct Advisor {
    group: u16,
    idle_since: f64,
}

/// Reusable simulation state.
pub(crate) struct Engine<'a> {
    sc: &'a Compiled,
    rng: Pcg64Mcg,
    heap: BinaryHeap<Event>,
    contacts: Vec<Contact>,
    queues: Vec<VecDeque<u32>>,
    advisors: Vec<Advisor>,
    idle: Vec<VecDeque<u32>>,
    logged: Vec<u32>,
    pending_leave: Vec<u32>,
    retired: Vec<Vec<u32>>,
    horizon: f64,
    stats: RunStats,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(sc: &'a Compiled) -> Self {
        let ns = sc.rates.len();
        let ng = sc.staffing.len();
        Engine {
            sc,
            rng: Pcg64Mcg::seed_from_u64(0),
            heap: BinaryHeap::new(),
            contacts: Vec::new(),
            queues: vec![VecDeque::new(); ns],
            advisors: Vec::new(),
            idle: vec![VecDeque::new(); ng],
            logged: vec![0; ng],
            pending_leave: vec![0; ng],
            retired: vec![Vec::new(); ng],
            horizon: sc.interval_s * sc.intervals as f64,
            stats: RunStats::default(),
        }
    }

    fn reset(&mut self, seed: u64) {
        self.rng = Pcg64Mcg::seed_from_u64(seed);
        self.heap.clear();
        self.contacts.clear();
        self.queues.iter_mut().for_each(VecDeque::clear);
        self.advisors.clear();
        self.idle.iter_mut().for_each(VecDeque::clear);
        self.logged.iter_mut().for_each(|x| *x = 0);
        self.pending_leave.iter_mut().for_each(|x| *x = 0);
        self.retired.iter_mut().for_each(Vec::clear);
        let ns = self.sc.rates.len();
        let ng = self.sc.staffing.len();
        self.stats = RunStats {
            overall: Tally::default(),
            per_skill: vec![Tally::default(); ns],
            per_interval: vec![Tally::default(); self.sc.intervals],
            busy_s: vec![0.0; ng],
            staffed_s: vec![0.0; ng],
            events: 0,
        };
        // Staffed time inside the measurement window [warmup, horizon).
        for (g, st) in self.sc.staffing.iter().enumerate() {
            for (i, &n) in st.iter().enumerate() {
                let a = (i as f64 * self.sc.interval_s).max(self.sc.warmup_s);
                let b = (i + 1) as f64 * self.sc.interval_s;
                if b > a {
                    self.stats.staffed_s[g] += n as f64 * (b - a);
                }
            }
        }
    }

    /// Runs one replication to completion (arrivals stop at the horizon; queued contacts are
    /// then served or abandon with the last interval's staffing).
    pub(crate) fn run(&mut self, seed: u64) -> &RunStats {
        self.reset(seed);
        self.heap.push(Event {
            t: 0.0,
            kind: BOUNDARY,
            id: 0,
        });
        for s in 0..self.sc.rates.len() {
            self.schedule_arrival(s, 0.0, 0);
        }
        while let Some(ev) = self.heap.pop() {
            self.stats.events += 1;
            match ev.kind {
                BOUNDARY => self.on_boundary(ev.id as usize, ev.t),
                DEPARTURE => self.on_departure(ev.id, ev.t),
                ABANDON => self.on_abandon(ev.id, ev.t),
                _ => self.on_arrival(ev.id as usize, ev.t),
            }
        }
        &self.stats
    }

    /// Next arrival of `skill` after `t` (which lies in interval `k`): piecewise-constant
    /// Poisson, using memorylessness to restart the clock at each rate change.
    fn schedule_arrival(&mut self, skill: usize, mut t: f64, mut k: usize) {
        let dt = self.sc.interval_s;
        while k < self.sc.intervals {
            let rate = self.sc.rates[skill][k];
            let end = (k + 1) as f64 * dt;
            if rate > 0.0 {
                let e: f64 = Exp1.sample(&mut self.rng);
                let next = t + e / rate;
                if next < end {
                    self.heap.push(Event {
                        t: next,
                        kind: ARRIVAL,
                        id: skill as u32,
                    });
                    return;
                }
            }
            t = end;
            k += 1;
        }
    }

    fn interval_of(&self, t: f64) -> usize {
        ((t / self.sc.interval_s) as usize).min(self.sc.intervals - 1)
    }

    fn on_arrival(&mut self, skill: usize, t: f64) {
        let k = self.interval_of(t);
        let id = self.contacts.len() as u32;
        let counted = t >= self.sc.warmup_s;
        self.contacts.push(Contact {
            arrival: t,
            skill: skill as u16,
            state: WAITING,
            counted,
            interval: k as u32,
        });
        if counted {
            self.stats.overall.offered += 1;
            self.stats.per_skill[skill].offered += 1;
            self.stats.per_interval[k].offered += 1;
        }
        // Longest-idle eligible advisor: each group's idle queue is ordered by idle time, so
        // only the group fronts need comparing.
        let mut best: Option<(u16, f64)> = None;
        for &g in &self.sc.skill_groups[skill] {
            if let Some(&a) = self.idle[g as usize].front() {
                let since = self.advisors[a as usize].idle_since;
                if best.is_none_or(|(_, b)| since < b) {
                    best = Some((g, since));
                }
            }
        }
        if let Some((g, _)) = best {
            if let Some(a) = self.idle[g as usize].pop_front() {
                self.start_service(a, id, t);
            }
        } else {
            self.queues[skill].push_back(id);
            if counted {
                self.stats.overall.delayed += 1;
                self.stats.per_skill[skill].delayed += 1;
                self.stats.per_interval[k].delayed += 1;
            }
            if let Some(p) = &self.sc.patience[skill] {
                let patience = p.sample(&mut self.rng);
                self.heap.push(Event {
                    t: t + patience,
                    kind: ABANDON,
                    id,
                });
            }
        }
        self.schedule_arrival(skill, t, k);
    }

    fn start_service(&mut self, advisor: u32, contact: u32, t: f64) {
        let c = &mut self.contacts[contact as usize];
        c.state = SERVED;
        let c = *c;
        if c.counted {
            let wait = t - c.arrival;
            let within = wait <= self.sc.answer_s;
            for tally in [
                &mut self.stats.overall,
                &mut self.stats.per_skill[c.skill as usize],
                &mut self.stats.per_interval[c.interval as usize],
            ] {
                tally.answered += 1;
                tally.answered_within += u64::from(within);
                tally.wait_answered_s += wait;
                tally.wait_all_s += wait;
            }
        }
        let h = self.sc.handle[c.skill as usize].sample(&mut self.rng);
        let g = self.advisors[advisor as usize].group as usize;
        let a = t.max(self.sc.warmup_s);
        let b = (t + h).min(self.horizon);
        if b > a {
            self.stats.busy_s[g] += b - a;
        }
        self.heap.push(Event {
            t: t + h,
            kind: DEPARTURE,
            id: advisor,
        });
    }

    fn on_departure(&mut self, advisor: u32, t: f64) {
        let g = self.advisors[advisor as usize].group as usize;
        if self.pending_leave[g] > 0 {
            self.pending_leave[g] -= 1;
            self.logged[g] -= 1;
            self.retired[g].push(advisor);
        } else {
            self.advisor_free(advisor, t);
        }
    }

    /// An advisor becomes available: take the longest-waiting contact among its skills'
    /// queues (FIFO within each skill), else go idle.
    fn advisor_free(&mut self, advisor: u32, t: f64) {
        let g = self.advisors[advisor as usize].group as usize;
        let mut best: Option<(usize, f64)> = None;
        for &s in &self.sc.group_skills[g] {
            let q = &mut self.queues[s as usize];
            // Abandoned contacts are removed lazily when they reach the head.
            while let Some(&c) = q.front() {
                if self.contacts[c as usize].state == WAITING {
                    break;
                }
                q.pop_front();
            }
            if let Some(&c) = q.front() {
                let arr = self.contacts[c as usize].arrival;
                if best.is_none_or(|(_, b)| arr < b) {
                    best = Some((s as usize, arr));
                }
            }
        }
        if let Some((s, _)) = best {
            if let Some(c) = self.queues[s].pop_front() {
                self.start_service(advisor, c, t);
                return;
            }
        }
        self.advisors[advisor as usize].idle_since = t;
        self.idle[g].push_back(advisor);
    }

    fn on_abandon(&mut self, contact: u32, t: f64) {
        let c = &mut self.contacts[contact as usize];
        if c.state != WAITING {
            return;
        }
        c.state = ABANDONED;
        let c = *c;
        if c.counted {
            let wait = t - c.arrival;
            for tally in [
                &mut self.stats.overall,
                &mut self.stats.per_skill[c.skill as usize],
                &mut self.stats.per_interval[c.interval as usize],
            ] {
                tally.abandoned += 1;
                tally.wait_all_s += wait;
            }
        }
    }

    /// Applies interval `k`'s staffing. Reductions first send idle advisors home (most
    /// recently idle first, keeping the longest-idle order intact) and let busy ones finish
    /// their contact before leaving; increases first cancel pending departures.
    fn on_boundary(&mut self, k: usize, t: f64) {
        for g in 0..self.sc.staffing.len() {
            let target = self.sc.staffing[g][k];
            let effective = self.logged[g] - self.pending_leave[g];
            if target > effective {
                let mut add = target - effective;
                let cancel = add.min(self.pending_leave[g]);
                self.pending_leave[g] -= cancel;
                add -= cancel;
                for _ in 0..add {
                    let id = match self.retired[g].pop() {
                        Some(id) => id,
                        None => {
                            self.advisors.push(Advisor {
                                group: g as u16,
                                idle_since: t,
                            });
                            (self.advisors.len() - 1) as u32
                        }
                    };
                    self.logged[g] += 1;
                    self.advisor_free(id, t);
                }
            } else if target < effective {
                let mut remove = effective - target;
                while remove > 0 {
                    let Some(a) = self.idle[g].pop_back() else {
                        break;
                    };
                    self.logged[g] -= 1;
                    self.retired[g].push(a);
                    remove -= 1;
                }
                self.pending_leave[g] += remove;
            }
        }
        if k + 1 < self.sc.intervals {
            self.heap.push(Event {
                t: (k + 1) as f64 * self.sc.interval_s,
                kind: BOUNDARY,
                id: (k + 1) as u32,
            });
        }
    }
}
