//! Erlang B and Erlang C (M/M/N, infinitely patient callers): blocking, probability of waiting,
//! service level, ASA, occupancy, queue length, and the exact minimal staffing search.
//!
//! Formulas: Erlang B through its stable recurrence; Erlang C from B; service level
//! `P(W ≤ t) = 1 − C·e^{−(N−A)t/AHT}`; `ASA = C·AHT/(N−A)`; see `docs/wfm.md`.

use serde::{Deserialize, Serialize};

use crate::error::{non_negative, positive, Result, WfmError};
use crate::numeric::InvErlangB;

/// Largest advisor count the searches will consider before reporting the target unreachable.
/// Ten million advisors is three orders of magnitude beyond any single contact centre queue.
pub const SEARCH_LIMIT: u64 = 10_000_000;

/// Erlang B blocking probability `B(n, a)` for `n` servers and `a` Erlangs of offered load.
///
/// Computed with the recurrence `B(0)=1`, `B(n) = a·B(n−1)/(n + a·B(n−1))` (in inverse form,
/// started where earlier terms no longer matter), so it is exact to rounding for any `a`.
///
/// ```
/// let b = plateau_wfm::erlang_b(10, 5.0).unwrap();
/// assert!((b - 0.018_384_570_336_0).abs() < 1e-12);
/// ```
pub fn erlang_b(n: u64, a: f64) -> Result<f64> {
    positive("load_erlangs", a)?;
    Ok(InvErlangB::at(n, a).erlang_b())
}

/// Erlang C probability that an arrival waits, `C(n, a)`; requires `n > a` (a stable queue).
///
/// ```
/// let c = plateau_wfm::erlang_c(14, 10.0).unwrap();
/// assert!((c - 0.174_13).abs() < 1e-5);
/// ```
pub fn erlang_c(n: u64, a: f64) -> Result<f64> {
    positive("load_erlangs", a)?;
    if (n as f64) <= a {
        return Err(WfmError::invalid(
            "advisors",
            n,
            format!("Erlang C needs more advisors than the offered load ({a} Erlangs)"),
        ));
    }
    Ok(InvErlangB::at(n, a).erlang_c())
}

/// Offered load in Erlangs: `contacts × AHT / interval length`.
pub fn offered_load(contacts: f64, interval_s: f64, aht_s: f64) -> Result<f64> {
    positive("contacts", contacts)?;
    positive("interval_s", interval_s)?;
    positive("aht_s", aht_s)?;
    Ok(contacts * aht_s / interval_s)
}

/// Scheduled headcount once shrinkage (breaks, training, absence) is applied:
/// `ceil(n / (1 − s))`, with `s ∈ [0, 1)`.
pub fn with_shrinkage(n: u64, shrinkage: f64) -> Result<u64> {
    crate::error::unit_lower("shrinkage", shrinkage)?;
    let raw = n as f64 / (1.0 - shrinkage);
    // Guard against `ceil` overshooting by one when n/(1−s) is an integer up to rounding.
    let mut k = raw.ceil() as u64;
    if k > 0 && ((k - 1) as f64) * (1.0 - shrinkage) >= n as f64 * (1.0 - 1e-12) {
        k -= 1;
    }
    Ok(k.max(n))
}

/// Performance of one staffing level. Times are in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of advisors (productive, i.e. before shrinkage).
    pub advisors: u64,
    /// Offered load in Erlangs.
    pub load_erlangs: f64,
    /// Fraction of all offered contacts answered within the answer time (abandons count as
    /// failures under Erlang A).
    pub service_level: f64,
    /// Probability that an arriving contact finds every advisor busy.
    pub p_wait: f64,
    /// Probability of abandoning; `None` under Erlang C (infinitely patient callers).
    pub p_abandon: Option<f64>,
    /// Average speed of answer: mean wait of the contacts that are answered.
    pub asa_s: f64,
    /// Mean wait over all offered contacts, abandons included (equal to ASA under Erlang C).
    pub mean_wait_s: f64,
    /// Mean number of contacts waiting.
    pub queue_length: f64,
    /// Fraction of advisor time spent handling contacts.
    pub occupancy: f64,
}

/// An M/M/N queue (Erlang C): Poisson arrivals, exponential handling, no abandonment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangC {
    load: f64,
    aht_s: f64,
}

impl ErlangC {
    /// A queue with `load_erlangs` of offered traffic and mean handle time `aht_s`.
    pub fn new(load_erlangs: f64, aht_s: f64) -> Result<Self> {
        positive("load_erlangs", load_erlangs)?;
        positive("aht_s", aht_s)?;
        Ok(ErlangC {
            load: load_erlangs,
            aht_s,
        })
    }

    /// From a contact volume per interval.
    pub fn from_volume(contacts: f64, interval_s: f64, aht_s: f64) -> Result<Self> {
        Self::new(offered_load(contacts, interval_s, aht_s)?, aht_s)
    }

    /// Offered load in Erlangs.
    pub fn load(&self) -> f64 {
        self.load
    }

    /// Smallest advisor count with a stable queue: `floor(A) + 1`.
    pub fn min_stable(&self) -> u64 {
        self.load.floor() as u64 + 1
    }

    fn check_n(&self, n: u64) -> Result<()> {
        if (n as f64) <= self.load {
            Err(WfmError::invalid(
                "advisors",
                n,
                format!(
                    "Erlang C needs more advisors than the offered load ({:.4} Erlangs)",
                    self.load
                ),
            ))
        } else {
            Ok(())
        }
    }

    /// All metrics for `n` advisors and answer time `answer_s`.
    pub fn metrics(&self, n: u64, answer_s: f64) -> Result<Metrics> {
        non_negative("answer_s", answer_s)?;
        self.check_n(n)?;
        Ok(self.metrics_from(&InvErlangB::at(n, self.load), answer_s))
    }

    fn metrics_from(&self, b: &InvErlangB, answer_s: f64) -> Metrics {
        let n = b.n();
        let nf = n as f64;
        let c = b.erlang_c();
        let spare = nf - self.load;
        let asa = c * self.aht_s / spare;
        Metrics {
            advisors: n,
            load_erlangs: self.load,
            service_level: 1.0 - c * (-spare * answer_s / self.aht_s).exp(),
            p_wait: c,
            p_abandon: None,
            asa_s: asa,
            mean_wait_s: asa,
            queue_length: c * self.load / spare,
            occupancy: self.load / nf,
        }
    }

    /// Service level `P(W ≤ t) = 1 − C·exp(−(N−A)·t/AHT)`.
    pub fn service_level(&self, n: u64, answer_s: f64) -> Result<f64> {
        Ok(self.metrics(n, answer_s)?.service_level)
    }

    /// Exact minimal advisor count meeting `target` (see [`Target`]).
    ///
    /// The search starts at the smallest admissible `N` — `floor(A)+1`, raised to
    /// `ceil(A/max_occupancy)` when an occupancy cap is set — and walks upwards one advisor at a
    /// time, updating Erlang B in O(1) per step. Because it starts at the smallest admissible
    /// value and stops at the first success, the result is the true minimum whatever the
    /// shape of the SL curve (which is in fact increasing in N).
    pub fn required(&self, target: &Target) -> Result<Metrics> {
        target.validate()?;
        let mut n = self.min_stable();
        if let Some(occ) = target.max_occupancy {
            n = n.max(min_for_occupancy(self.load, occ));
        }
        let cap = target
            .max_advisors
            .unwrap_or(SEARCH_LIMIT)
            .min(SEARCH_LIMIT);
        if n > cap {
            return Err(cap_error(target, n, self.load));
        }
        let mut b = InvErlangB::at(n, self.load);
        loop {
            let m = self.metrics_from(&b, target.answer_s);
            if target.accepts(&m) {
                return Ok(m);
            }
            if b.n() >= cap {
                return Err(unreachable(target, &m));
            }
            b.step();
        }
    }
}

/// Smallest `n` with `a/n ≤ occ`, robust to rounding in `a/occ`.
pub(crate) fn min_for_occupancy(a: f64, occ: f64) -> u64 {
    let mut n = (a / occ).ceil().max(1.0) as u64;
    while a / (n as f64) > occ {
        n += 1;
    }
    while n > 1 && a / ((n - 1) as f64) <= occ {
        n -= 1;
    }
    n
}

pub(crate) fn cap_error(target: &Target, needed: u64, load: f64) -> WfmError {
    match target.max_advisors {
        Some(cap) if needed > cap => WfmError::Unreachable {
            field: "max_advisors".into(),
            reason: format!(
                "{load:.4} Erlangs need at least {needed} advisors under the other caps, above the cap of {cap}"
            ),
        },
        _ => WfmError::Unreachable {
            field: "max_occupancy".into(),
            reason: format!(
                "occupancy cap {:?} needs {needed} advisors, beyond the search limit of {SEARCH_LIMIT}",
                target.max_occupancy
            ),
        },
    }
}

pub(crate) fn unreachable(target: &Target, best: &Metrics) -> WfmError {
    // Name the cap that binds: the headcount limit if one was given, otherwise whichever
    // constraint the best staffing examined still violates.
    let field = if target.max_advisors.is_some_and(|c| c < SEARCH_LIMIT) {
        "max_advisors"
    } else if target.max_occupancy.is_some_and(|o| best.occupancy > o) {
        "max_occupancy"
    } else if target.max_asa_s.is_some_and(|a| best.asa_s > a) {
        "max_asa_s"
    } else if target
        .max_abandon
        .is_some_and(|p| best.p_abandon.unwrap_or(0.0) > p)
    {
        "max_abandon"
    } else {
        "target_sl"
    };
    WfmError::Unreachable {
        field: field.into(),
        reason: format!(
            "best examined: {} advisors giving service level {:.4}, ASA {:.2} s, occupancy {:.4}, abandonment {}; targets: SL {} within {} s, max occupancy {:?}, max ASA {:?} s, max abandonment {:?}",
            best.advisors,
            best.service_level,
            best.asa_s,
            best.occupancy,
            best.p_abandon.map_or("n/a".to_string(), |p| format!("{p:.4}")),
            target.service_level,
            target.answer_s,
            target.max_occupancy,
            target.max_asa_s,
            target.max_abandon
        ),
    }
}

/// What a staffing level must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Required service level, strictly between 0 and 1 (e.g. 0.8 for 80/20).
    pub service_level: f64,
    /// Answer time `t` of the service level, in seconds (the 20 of 80/20).
    pub answer_s: f64,
    /// Optional cap on occupancy, in (0, 1].
    #[serde(default)]
    pub max_occupancy: Option<f64>,
    /// Optional cap on the average speed of answer, in seconds.
    #[serde(default)]
    pub max_asa_s: Option<f64>,
    /// Optional cap on the abandonment probability (Erlang A only), in (0, 1].
    #[serde(default)]
    pub max_abandon: Option<f64>,
    /// Optional headcount limit: the search fails rather than exceed it.
    #[serde(default)]
    pub max_advisors: Option<u64>,
}

impl Target {
    /// A service-level target `service_level` within `answer_s` seconds, without caps.
    pub fn new(service_level: f64, answer_s: f64) -> Self {
        Target {
            service_level,
            answer_s,
            max_occupancy: None,
            max_asa_s: None,
            max_abandon: None,
            max_advisors: None,
        }
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        crate::error::open_unit("target_sl", self.service_level)?;
        non_negative("answer_s", self.answer_s)?;
        if let Some(o) = self.max_occupancy {
            crate::error::unit_upper("max_occupancy", o)?;
        }
        if let Some(a) = self.max_asa_s {
            positive("max_asa_s", a)?;
        }
        if let Some(p) = self.max_abandon {
            crate::error::unit_upper("max_abandon", p)?;
        }
        if let Some(c) = self.max_advisors {
            if c == 0 {
                return Err(WfmError::invalid("max_advisors", c, "must be at least 1"));
            }
        }
        Ok(())
    }

    pub(crate) fn accepts(&self, m: &Metrics) -> bool {
        m.service_level >= self.service_level
            && self.max_occupancy.is_none_or(|o| m.occupancy <= o)
            && self.max_asa_s.is_none_or(|a| m.asa_s <= a)
            && self
                .max_abandon
                .is_none_or(|p| m.p_abandon.unwrap_or(0.0) <= p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_100_calls_180s_80_20() {
        let q = ErlangC::from_volume(100.0, 1800.0, 180.0).unwrap();
        let m = q.required(&Target::new(0.8, 20.0)).unwrap();
        assert_eq!(m.advisors, 14);
        assert!((m.p_wait - 0.1741).abs() < 5e-5, "{}", m.p_wait);
        assert!(
            (m.service_level - 0.8884).abs() < 5e-5,
            "{}",
            m.service_level
        );
        assert!((m.asa_s - 7.84).abs() < 5e-3, "{}", m.asa_s);
        assert!((m.occupancy - 10.0 / 14.0).abs() < 1e-15);
    }

    #[test]
    fn shrinkage_rounds_up_exactly() {
        assert_eq!(with_shrinkage(14, 0.3).unwrap(), 20);
        assert_eq!(with_shrinkage(7, 0.3).unwrap(), 10);
        assert_eq!(with_shrinkage(14, 0.0).unwrap(), 14);
        assert_eq!(with_shrinkage(3, 0.5).unwrap(), 6);
        assert!(with_shrinkage(3, 1.0).is_err());
    }

    #[test]
    fn occupancy_cap_raises_staff() {
        let q = ErlangC::new(10.0, 180.0).unwrap();
        let mut t = Target::new(0.8, 20.0);
        t.max_occupancy = Some(0.7);
        let m = q.required(&t).unwrap();
        assert_eq!(m.advisors, 15);
        assert!(m.occupancy <= 0.7);
    }

    #[test]
    fn starts_at_floor_plus_one() {
        // A = 2.6 with a lax target: N = 3 already meets 20% within 60 s.
        let q = ErlangC::new(2.6, 180.0).unwrap();
        let m = q.required(&Target::new(0.2, 60.0)).unwrap();
        assert_eq!(m.advisors, 3);
    }

    #[test]
    fn headcount_cap_is_reported() {
        let q = ErlangC::new(10.0, 180.0).unwrap();
        let mut t = Target::new(0.8, 20.0);
        t.max_advisors = Some(12);
        match q.required(&t) {
            Err(WfmError::Unreachable { field, .. }) => assert_eq!(field, "max_advisors"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn absurd_occupancy_cap_is_unreachable() {
        let q = ErlangC::new(20_000.0, 180.0).unwrap();
        let mut t = Target::new(0.8, 20.0);
        t.max_occupancy = Some(1e-6);
        assert!(
            matches!(q.required(&t), Err(WfmError::Unreachable { ref field, .. }) if field == "max_occupancy")
        );
        t.max_occupancy = Some(0.0);
        assert!(
            matches!(q.required(&t), Err(WfmError::InvalidInput { ref field, .. }) if field == "max_occupancy")
        );
    }

    #[test]
    fn bad_inputs_name_their_field() {
        let q = ErlangC::new(10.0, 180.0).unwrap();
        for (t, field) in [
            (Target::new(1.0, 20.0), "target_sl"),
            (Target::new(0.0, 20.0), "target_sl"),
            (Target::new(f64::NAN, 20.0), "target_sl"),
            (Target::new(0.8, -1.0), "answer_s"),
        ] {
            match q.required(&t) {
                Err(WfmError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            ErlangC::from_volume(-3.0, 1800.0, 180.0),
            Err(WfmError::InvalidInput { ref field, .. }) if field == "contacts"
        ));
        assert!(matches!(
            ErlangC::from_volume(3.0, 1800.0, 0.0),
            Err(WfmError::InvalidInput { ref field, .. }) if field == "aht_s"
        ));
    }
}
