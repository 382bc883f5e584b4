//! Discrete-event simulation of a multi-skill, multi-site contact centre, used to check
//! staffing plans where the Erlang formulas' assumptions fail (non-exponential handle times,
//! time-varying load, skills shared between groups) and validated against those formulas
//! where they hold.
//!
//! Model: per skill, Poisson arrivals with a piecewise-constant rate per interval; handle
//! times and patience from [`Duration`] laws; advisors logged in per group and interval; an
//! arriving contact goes to the longest-idle eligible advisor, otherwise waits in its
//! skill's FIFO queue; a freed advisor takes the longest-waiting contact among its skills.
//! Each replication is seeded from `(seed, replication index)`, so results are reproducible
//! whatever the number of threads.

mod engine;
mod scenario;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

pub use scenario::{Duration, Group, Scenario, Skill};

use crate::error::{Result, WfmError};
use crate::stats::Estimate;
use engine::{Engine, RunStats, Tally};

/// How to run a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Independent replications (≥ 2 for confidence intervals).
    pub replications: usize,
    /// Base seed; replication `r` uses a seed derived from `(seed, r)`.
    pub seed: u64,
    /// Worker threads; 0 uses the available parallelism.
    pub threads: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            replications: 30,
            seed: 1,
            threads: 0,
        }
    }
}

/// Replication means and 95% confidence intervals for one population of contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    /// Contacts offered (arrived after the warm-up).
    pub offered: Option<Estimate>,
    /// Share of offered contacts answered within the answer time.
    pub service_level: Option<Estimate>,
    /// Share of offered contacts that found no eligible idle advisor.
    pub p_wait: Option<Estimate>,
    /// Share of offered contacts that abandoned.
    pub p_abandon: Option<Estimate>,
    /// Mean wait of answered contacts, seconds.
    pub asa_s: Option<Estimate>,
    /// Mean wait of all offered contacts (abandons at their abandonment time), seconds.
    pub mean_wait_s: Option<Estimate>,
}

/// Per-skill results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillReport {
    /// Skill name.
    pub name: String,
    /// Its measures.
    pub measures: Measures,
}

/// Per-group results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// Group name.
    pub name: String,
    /// Site of the group.
    pub site: String,
    /// Busy time over logged-in time inside the measurement window.
    pub occupancy: Option<Estimate>,
}

/// Per-interval results, by the interval in which contacts arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalReport {
    /// Interval index.
    pub index: usize,
    /// Start, in seconds from the beginning of the simulated horizon.
    pub start_s: f64,
    /// Its measures.
    pub measures: Measures,
}

/// Result of [`simulate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Replications run.
    pub replications: usize,
    /// Base seed.
    pub seed: u64,
    /// All skills together.
    pub overall: Measures,
    /// Occupancy of all advisors together.
    pub occupancy: Option<Estimate>,
    /// Per skill.
    pub skills: Vec<SkillReport>,
    /// Per advisor group.
    pub groups: Vec<GroupReport>,
    /// Per interval (all skills).
    pub intervals: Vec<IntervalReport>,
    /// Mean number of events processed per replication (a cost indicator).
    pub events_per_replication: f64,
}

/// Seed for replication `r`: SplitMix64 of the base seed and the index, so neighbouring
/// replications get unrelated streams.
fn replication_seed(seed: u64, r: usize) -> u64 {
    let mut z = seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `opts.replications` independent replications of `scenario`.
///
/// `progress` is called on the calling thread with the number of replications completed so
/// far, after each one.
pub fn simulate(
    scenario: &Scenario,
    opts: &RunOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Report> {
    let compiled = scenario.compile()?;
    if opts.replications == 0 {
        return Err(WfmError::invalid("replications", 0, "must be at least 1"));
    }
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    }
    .min(opts.replications)
    .max(1);

    let mut runs: Vec<Option<RunStats>> = vec![None; opts.replications];
    if threads == 1 {
        let mut engine = Engine::new(&compiled);
        for (r, slot) in runs.iter_mut().enumerate() {
            *slot = Some(engine.run(replication_seed(opts.seed, r)).clone());
            progress(r + 1);
        }
    } else {
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, RunStats)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let next = &next;
                let compiled = &compiled;
                scope.spawn(move || {
                    let mut engine = Engine::new(compiled);
                    loop {
                        let r = next.fetch_add(1, Ordering::Relaxed);
                        if r >= opts.replications {
                            break;
                        }
                        let stats = engine.run(replication_seed(opts.seed, r)).clone();
                        if tx.send((r, stats)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut done = 0;
            for (r, stats) in rx {
                runs[r] = Some(stats);
                done += 1;
                progress(done);
            }
        });
    }
    let runs: Vec<RunStats> = runs.into_iter().flatten().collect();
    if runs.len() != opts.replications {
        return Err(WfmError::inconsistent(
            "threads",
            "a simulation worker stopped before finishing its replications",
        ));
    }
    Ok(report(scenario, &compiled, opts, &runs))
}

fn measures<'r>(tallies: impl Iterator<Item = &'r Tally> + Clone) -> Measures {
    let per = |f: &dyn Fn(&Tally) -> Option<f64>| -> Option<Estimate> {
        let xs: Vec<f64> = tallies.clone().filter_map(f).collect();
        Estimate::from_samples(&xs)
    };
    let frac = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    Measures {
        offered: per(&|t| Some(t.offered as f64)),
        service_level: per(&|t| frac(t.answered_within, t.offered)),
        p_wait: per(&|t| frac(t.delayed, t.offered)),
        p_abandon: per(&|t| frac(t.abandoned, t.offered)),
        asa_s: per(&|t| (t.answered > 0).then(|| t.wait_answered_s / t.answered as f64)),
        mean_wait_s: per(&|t| (t.offered > 0).then(|| t.wait_all_s / t.offered as f64)),
    }
}

fn report(
    scenario: &Scenario,
    c: &scenario::Compiled,
    opts: &RunOptions,
    runs: &[RunStats],
) -> Report {
    let occupancy = {
        let xs: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let staffed: f64 = r.staffed_s.iter().sum();
                (staffed > 0.0).then(|| r.busy_s.iter().sum::<f64>() / staffed)
            })
            .collect();
        Estimate::from_samples(&xs)
    };
    Report {
        replications: runs.len(),
        seed: opts.seed,
        overall: measures(runs.iter().map(|r| &r.overall)),
        occupancy,
        skills: scenario
            .skills
            .iter()
            .enumerate()
            .map(|(i, s)| SkillReport {
                name: s.name.clone(),
                measures: measures(runs.iter().map(move |r| &r.per_skill[i])),
            })
            .collect(),
        groups: scenario
            .groups
            .iter()
            .enumerate()
            .map(|(g, grp)| GroupReport {
                name: grp.name.clone(),
                site: grp.site.clone(),
                occupancy: Estimate::from_samples(
                    &runs
                        .iter()
                        .filter(|r| r.staffed_s[g] > 0.0)
                        .map(|r| r.busy_s[g] / r.staffed_s[g])
                        .collect::<Vec<_>>(),
                ),
            })
            .collect(),
        intervals: (0..c.intervals)
            .map(|k| IntervalReport {
                index: k,
                start_s: k as f64 * c.interval_s,
                measures: measures(runs.iter().map(move |r| &r.per_interval[k])),
            })
            .collect(),
        events_per_replication: runs.iter().map(|r| r.events as f64).sum::<f64>()
            / runs.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_queue(advisors: u32, patience: Option<f64>) -> Scenario {
        Scenario::single_queue(
            100.0,
            1800.0,
            4,
            Duration::Exponential { mean_s: 180.0 },
            patience.map(|p| Duration::Exponential { mean_s: p }),
            advisors,
            20.0,
            0.0,
        )
    }

    #[test]
    fn reproducible_and_thread_independent() {
        let sc = one_queue(12, Some(60.0));
        let a = simulate(
            &sc,
            &RunOptions {
                replications: 4,
                seed: 9,
                threads: 1,
            },
            &mut |_| {},
        )
        .unwrap();
        let b = simulate(
            &sc,
            &RunOptions {
                replications: 4,
                seed: 9,
                threads: 3,
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(a, b);
        let c = simulate(
            &sc,
            &RunOptions {
                replications: 4,
                seed: 10,
                threads: 1,
            },
            &mut |_| {},
        )
        .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn bad_scenarios_name_the_field() {
        let mut sc = one_queue(12, None);
        sc.skills[0].arrivals = vec![1.0, -2.0, 1.0, 1.0];
        let err = simulate(&sc, &RunOptions::default(), &mut |_| {}).unwrap_err();
        assert!(
            matches!(err, WfmError::InvalidInput { ref field, .. } if field == "skills[0].arrivals[1]"),
            "{err}"
        );
        let mut sc = one_queue(12, None);
        sc.groups[0].skills = vec!["chat".into()];
        let err = simulate(&sc, &RunOptions::default(), &mut |_| {}).unwrap_err();
        assert!(
            matches!(err, WfmError::Inconsistent { ref field, .. } if field == "groups[0].skills"),
            "{err}"
        );
        let mut sc = one_queue(12, None);
        sc.skills[0].handle = Duration::Lognormal {
            mean_s: 180.0,
            cv: f64::NAN,
        };
        assert!(simulate(&sc, &RunOptions::default(), &mut |_| {}).is_err());
    }

    #[test]
    fn staffing_changes_and_zero_staff_intervals() {
        // Nobody logged in during interval 1: contacts wait and are served afterwards.
        let mut sc = one_queue(12, None);
        sc.groups[0].advisors = vec![12, 0, 15, 3];
        let r = simulate(
            &sc,
            &RunOptions {
                replications: 3,
                seed: 1,
                threads: 1,
            },
            &mut |_| {},
        )
        .unwrap();
        let i0 = r.intervals[0].measures.service_level.unwrap().mean;
        let i1 = r.intervals[1].measures.service_level.unwrap().mean;
        assert!(i1 < 0.05, "{i1}");
        assert!(i0 > 0.5, "{i0}");
        // No contact lost: without patience every offered contact is answered.
        assert_eq!(r.overall.p_abandon.unwrap().mean, 0.0);
    }

    #[test]
    fn skill_based_routing_respects_eligibility() {
        let sc = Scenario {
            interval_s: 3600.0,
            intervals: 2,
            answer_s: 30.0,
            warmup_s: 0.0,
            skills: vec![
                Skill {
                    name: "fr".into(),
                    arrivals: vec![100.0],
                    handle: Duration::Constant { value_s: 120.0 },
                    patience: None,
                },
                Skill {
                    name: "en".into(),
                    arrivals: vec![20.0],
                    handle: Duration::Lognormal {
                        mean_s: 200.0,
                        cv: 0.8,
                    },
                    patience: Some(Duration::Exponential { mean_s: 60.0 }),
                },
            ],
            groups: vec![
                Group {
                    name: "lyon".into(),
                    site: "Lyon".into(),
                    skills: vec!["fr".into()],
                    advisors: vec![5],
                },
                Group {
                    name: "dakar".into(),
                    site: "Dakar".into(),
                    skills: vec!["fr".into(), "en".into()],
                    advisors: vec![2],
                },
            ],
        };
        let r = simulate(
            &sc,
            &RunOptions {
                replications: 5,
                seed: 3,
                threads: 1,
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.skills.len(), 2);
        assert_eq!(r.skills[0].measures.p_abandon.unwrap().mean, 0.0);
        assert!(r.groups[1].occupancy.unwrap().mean > 0.5);
    }
}
