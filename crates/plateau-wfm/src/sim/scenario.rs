//! Simulation scenario: arrival profiles per skill, handle-time and patience laws, advisor
//! groups with skills, site and staffing per interval. Serde-friendly so that a scenario can
//! be written as JSON (the `plateau simulate --scenario` file format).

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};
use serde::{Deserialize, Serialize};

use crate::error::{non_negative, positive, Result, WfmError};

/// A positive random duration, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case")]
pub enum Duration {
    /// Exponential with the given mean (the Erlang models' assumption).
    Exponential {
        /// Mean in seconds.
        mean_s: f64,
    },
    /// Lognormal parametrised by its mean and coefficient of variation (std / mean), the usual
    /// empirical fit for handle times (Brown et al. 2005).
    Lognormal {
        /// Mean in seconds.
        mean_s: f64,
        /// Coefficient of variation.
        cv: f64,
    },
    /// Always the same value.
    Constant {
        /// Value in seconds.
        value_s: f64,
    },
}

impl Duration {
    /// Mean of the law, in seconds.
    pub fn mean(&self) -> f64 {
        match *self {
            Duration::Exponential { mean_s } | Duration::Lognormal { mean_s, .. } => mean_s,
            Duration::Constant { value_s } => value_s,
        }
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        match *self {
            Duration::Exponential { mean_s } => {
                positive(&format!("{field}.mean_s"), mean_s).map(drop)
            }
            Duration::Lognormal { mean_s, cv } => {
                positive(&format!("{field}.mean_s"), mean_s)?;
                positive(&format!("{field}.cv"), cv).map(drop)
            }
            Duration::Constant { value_s } => {
                non_negative(&format!("{field}.value_s"), value_s).map(drop)
            }
        }
    }

    pub(crate) fn sampler(&self) -> Sampler {
        match *self {
            Duration::Exponential { mean_s } => match Exp::new(1.0 / mean_s) {
                Ok(d) => Sampler::Exp(d),
                Err(_) => Sampler::Const(mean_s),
            },
            Duration::Lognormal { mean_s, cv } => {
                // mean = e^{μ+σ²/2}, cv² = e^{σ²} − 1.
                let sigma2 = cv.mul_add(cv, 1.0).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                match LogNormal::new(mu, sigma2.sqrt()) {
                    Ok(d) => Sampler::LogNormal(d),
                    Err(_) => Sampler::Const(mean_s),
                }
            }
            Duration::Constant { value_s } => Sampler::Const(value_s),
        }
    }
}

/// Pre-built distribution objects, so that sampling in the event loop allocates nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sampler {
    Exp(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Const(f64),
}

impl Sampler {
    #[inline]
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Exp(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Const(v) => *v,
        }
    }
}

/// Contacts of one skill (queue): arrivals, handling and patience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    /// Skill name, referenced by advisor groups.
    pub name: String,
    /// Expected contacts per interval (Poisson, piecewise-constant rate). One value is
    /// broadcast to every interval.
    pub arrivals: Vec<f64>,
    /// Handle-time law.
    pub handle: Duration,
    /// Patience law; `None` means callers never abandon.
    #[serde(default)]
    pub patience: Option<Duration>,
}

/// Advisors sharing a skill set and a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Site (used for reporting; routing is site-agnostic in a virtual contact centre).
    #[serde(default)]
    pub site: String,
    /// Names of the skills this group may handle.
    pub skills: Vec<String>,
    /// Advisors logged in per interval. One value is broadcast to every interval.
    pub advisors: Vec<u32>,
}

/// A complete simulation scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Interval length in seconds.
    pub interval_s: f64,
    /// Number of intervals simulated (the horizon is `intervals × interval_s`).
    pub intervals: usize,
    /// Answer time `t` of the service level, in seconds.
    pub answer_s: f64,
    /// Contacts arriving before this time are simulated but not counted (removes the
    /// empty-centre start when comparing with steady-state formulas).
    #[serde(default)]
    pub warmup_s: f64,
    /// Skills (queues).
    pub skills: Vec<Skill>,
    /// Advisor groups.
    pub groups: Vec<Group>,
}

/// A scenario checked and compiled into index form for the engine.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub interval_s: f64,
    pub intervals: usize,
    pub answer_s: f64,
    pub warmup_s: f64,
    /// rates[skill][interval], contacts per second.
    pub rates: Vec<Vec<f64>>,
    pub handle: Vec<Sampler>,
    pub patience: Vec<Option<Sampler>>,
    /// staffing[group][interval].
    pub staffing: Vec<Vec<u32>>,
    /// Skills of each group (indices).
    pub group_skills: Vec<Vec<u16>>,
    /// Groups able to take each skill (indices).
    pub skill_groups: Vec<Vec<u16>>,
}

fn broadcast<T: Copy>(v: &[T], n: usize, field: &str) -> Result<Vec<T>> {
    match v.len() {
        1 => Ok(vec![v[0]; n]),
        l if l == n => Ok(v.to_vec()),
        l => Err(WfmError::inconsistent(
            field,
            format!("has {l} values; expected 1 or intervals = {n}"),
        )),
    }
}

impl Scenario {
    /// A single-skill, single-group scenario with constant rate and staffing: the shape of
    /// the Erlang models, used by `plateau simulate` without a scenario file.
    #[allow(clippy::too_many_arguments)]
    pub fn single_queue(
        contacts_per_interval: f64,
        interval_s: f64,
        intervals: usize,
        handle: Duration,
        patience: Option<Duration>,
        advisors: u32,
        answer_s: f64,
        warmup_s: f64,
    ) -> Scenario {
        Scenario {
            interval_s,
            intervals,
            answer_s,
            warmup_s,
            skills: vec![Skill {
                name: "voice".into(),
                arrivals: vec![contacts_per_interval],
                handle,
                patience,
            }],
            groups: vec![Group {
                name: "advisors".into(),
                site: String::new(),
                skills: vec!["voice".into()],
                advisors: vec![advisors],
            }],
        }
    }

    /// Validates every field (naming the first bad one) and compiles the scenario.
    pub(crate) fn compile(&self) -> Result<Compiled> {
        positive("interval_s", self.interval_s)?;
        non_negative("answer_s", self.answer_s)?;
        non_negative("warmup_s", self.warmup_s)?;
        if self.intervals == 0 {
            return Err(WfmError::invalid("intervals", 0, "must be at least 1"));
        }
        if self.warmup_s >= self.interval_s * self.intervals as f64 {
            return Err(WfmError::inconsistent(
                "warmup_s",
                "must end before the simulated horizon (intervals × interval_s)",
            ));
        }
        if self.skills.is_empty() || self.skills.len() > u16::MAX as usize {
            return Err(WfmError::invalid(
                "skills",
                self.skills.len(),
                "need between 1 and 65535 skills",
            ));
        }
        if self.groups.is_empty() || self.groups.len() > u16::MAX as usize {
            return Err(WfmError::invalid(
                "groups",
                self.groups.len(),
                "need between 1 and 65535 groups",
            ));
        }
        let mut rates: Vec<Vec<f64>> = Vec::with_capacity(self.skills.len());
        let mut handle = Vec::with_capacity(self.skills.len());
        let mut patience = Vec::with_capacity(self.skills.len());
        for (i, s) in self.skills.iter().enumerate() {
            let field = format!("skills[{i}]");
            if self.skills[..i].iter().any(|o| o.name == s.name) {
                return Err(WfmError::inconsistent(
                    format!("{field}.name"),
                    format!("duplicate skill name {:?}", s.name),
                ));
            }
            let arr = broadcast(&s.arrivals, self.intervals, &format!("{field}.arrivals"))?;
            for (k, &a) in arr.iter().enumerate() {
                non_negative(&format!("{field}.arrivals[{k}]"), a)?;
            }
            rates.push(arr.iter().map(|a| a / self.interval_s).collect());
            s.handle.validate(&format!("{field}.handle"))?;
            handle.push(s.handle.sampler());
            if let Some(p) = &s.patience {
                p.validate(&format!("{field}.patience"))?;
            }
            patience.push(s.patience.map(|p| p.sampler()));
        }
        let mut staffing = Vec::with_capacity(self.groups.len());
        let mut group_skills = Vec::with_capacity(self.groups.len());
        let mut skill_groups = vec![Vec::new(); self.skills.len()];
        for (g, grp) in self.groups.iter().enumerate() {
            let field = format!("groups[{g}]");
            staffing.push(broadcast(
                &grp.advisors,
                self.intervals,
                &format!("{field}.advisors"),
            )?);
            let mut sk: Vec<u16> = Vec::new();
            for name in &grp.skills {
                let Some(idx) = self.skills.iter().position(|s| &s.name == name) else {
                    return Err(WfmError::inconsistent(
                        format!("{field}.skills"),
                        format!("unknown skill {name:?}"),
                    ));
                };
                if !sk.contains(&(idx as u16)) {
                    sk.push(idx as u16);
                    skill_groups[idx].push(g as u16);
                }
            }
            group_skills.push(sk);
        }
        for (i, groups) in skill_groups.iter().enumerate() {
            if groups.is_empty() && rates[i].iter().any(|&r| r > 0.0) {
                return Err(WfmError::inconsistent(
                    format!("skills[{i}]"),
                    format!("no advisor group handles skill {:?}", self.skills[i].name),
                ));
            }
        }
        Ok(Compiled {
            interval_s: self.interval_s,
            intervals: self.intervals,
            answer_s: self.answer_s,
            warmup_s: self.warmup_s,
            rates,
            handle,
            patience,
            staffing,
            group_skills,
            skill_groups,
        })
    }
}
