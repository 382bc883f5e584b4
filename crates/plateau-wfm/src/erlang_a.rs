//! Erlang A (M/M/N+M): Poisson arrivals, exponential handling, exponential patience.
//! Exact stationary measures from the birth–death chain (Palm 1943; Garnett, Mandelbaum &
//! Reiman 2002), computed in log space so that any load and any staffing — including fewer
//! advisors than the offered load — is finite and accurate.
//!
//! Notation: `λ` arrival rate, `μ = 1/AHT`, `θ = 1/mean patience`, `n` advisors,
//! `R = λ/μ` offered load, `m = nμ/θ`, `x = λ/θ`. The stationary distribution satisfies
//! `π_{n+k} = π_n·T_k` with `T_k = x^k/((m+1)…(m+k))`. An arrival that finds `k` waiting ahead
//! of it reaches an advisor after `V_k = Σ_{i=0}^{k} Exp(nμ + iθ)` unless its own patience runs
//! out first, so (see `docs/wfm.md` for the derivation):
//! * `P(W>0) = π_n (1 + S)`, `S = Σ_{k≥1} T_k = A(m,x) − 1` in Garnett et al.'s notation;
//! * `P(abandon) = π_n · Σ_k k T_k / x`;
//! * `P(delayed, answered within t) = π_n (m/x) [S(x) − e^{x−x'−mθt} S(x')]`, `x' = x e^{−θt}`;
//! * `1/π_n = 1/B(n, R) + S`, where `B` is Erlang B.

use crate::erlang::{offered_load, unreachable, Metrics, Target};
use crate::error::{non_negative, positive, Result, WfmError};
use crate::numeric::{log_add, tail_sums, InvErlangB};

/// Beyond this value of `λ/θ` (load × patience/AHT) the exact tail series would need more
/// than ~10⁸ terms; such callers are, for all practical purposes, infinitely patient.
const MAX_X: f64 = 1e8;

/// An M/M/N+M queue (Erlang A).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    load: f64,
    aht_s: f64,
    patience_s: f64,
}

impl ErlangA {
    /// A queue with `load_erlangs` offered, mean handle time `aht_s` and mean patience
    /// `patience_s` (all in seconds).
    pub fn new(load_erlangs: f64, aht_s: f64, patience_s: f64) -> Result<Self> {
        positive("load_erlangs", load_erlangs)?;
        positive("aht_s", aht_s)?;
        positive("patience_s", patience_s)?;
        let x = load_erlangs * patience_s / aht_s;
        if x > MAX_X {
            return Err(WfmError::invalid(
                "patience_s",
                patience_s,
                format!(
                    "load × patience / AHT must stay below {MAX_X:e}; callers this patient are modelled by Erlang C (omit the patience)"
                ),
            ));
        }
        Ok(ErlangA {
            load: load_erlangs,
            aht_s,
            patience_s,
        })
    }

    /// From a contact volume per interval.
    pub fn from_volume(
        contacts: f64,
        interval_s: f64,
        aht_s: f64,
        patience_s: f64,
    ) -> Result<Self> {
        Self::new(
            offered_load(contacts, interval_s, aht_s)?,
            aht_s,
            patience_s,
        )
    }

    /// Offered load in Erlangs.
    pub fn load(&self) -> f64 {
        self.load
    }

    /// All stationary metrics for `n ≥ 1` advisors and answer time `answer_s`.
    ///
    /// The service level is `P(answered within t)` over all offered contacts: a contact that
    /// abandons counts as a failure whenever it abandons (also before `t`).
    pub fn metrics(&self, n: u64, answer_s: f64) -> Result<Metrics> {
        non_negative("answer_s", answer_s)?;
        if n == 0 {
            return Err(WfmError::invalid("advisors", n, "must be at least 1"));
        }
        Ok(self.metrics_unchecked(n, answer_s))
    }

    fn metrics_unchecked(&self, n: u64, t: f64) -> Metrics {
        let nf = n as f64;
        // Rates in "per mean patience" units: θ = 1.
        let ratio = self.patience_s / self.aht_s; // μ/θ
        let m = nf * ratio;
        let x = self.load * ratio;
        let theta = 1.0 / self.patience_s;

        let ln_inv_b = InvErlangB::at(n, self.load).ln_inv_b();
        let tx = tail_sums(m, x, true);
        let z = log_add(ln_inv_b, tx.ln_s); // ln(1/π_n)

        let p_wait = (log_add(0.0, tx.ln_s) - z).exp();
        // 1 − P(W>0) = π_n (1/B − 1): evaluated directly to keep precision when P(W>0) ≈ 1.
        let p_no_wait = (ln_expm1(ln_inv_b) - z).exp();
        let ln_m_over_x = (nf / self.load).ln();
        let p_abandon = (tx.ln_js - x.ln() - z).exp().min(1.0);

        let theta_t = t / self.patience_s;
        let answered_late_share = if t == 0.0 {
            0.0
        } else {
            let xp = x * (-theta_t).exp();
            let s2 = tail_sums(m, xp, false).ln_s + (x - xp) - m * theta_t;
            // fraction of delayed-served mass answered within t: 1 − e^{s2 − s1}
            -(s2 - tx.ln_s).exp_m1()
        };
        let p_delayed_served = (ln_m_over_x + tx.ln_s - z).exp();
        let p_delayed_served_within = p_delayed_served * answered_late_share.clamp(0.0, 1.0);
        let service_level = (p_no_wait + p_delayed_served_within).clamp(0.0, 1.0);

        let mean_wait_s = p_abandon / theta;
        // Summed from positive terms rather than as 1 − P(abandon), which would lose all
        // relative precision in deep overload where almost everyone abandons.
        let p_served = (p_no_wait + p_delayed_served).min(1.0);
        // E[W · 1{served}] = π_n · ws / θ.
        let served_wait = (tx.ln_ws - z).exp() / theta;
        let asa_s = if p_served > 0.0 {
            served_wait / p_served
        } else {
            0.0
        };
        Metrics {
            advisors: n,
            load_erlangs: self.load,
            service_level,
            p_wait: p_wait.min(1.0),
            p_abandon: Some(p_abandon),
            asa_s,
            mean_wait_s,
            queue_length: (tx.ln_js - z).exp(),
            occupancy: (self.load * p_served / nf).min(1.0),
        }
    }

    /// Exact minimal advisor count meeting `target`, searching from one advisor upwards.
    ///
    /// Unlike Erlang C there is no stability floor: abandonment keeps the queue finite, so the
    /// minimum can lie below the offered load. Every measure used by [`Target`] is monotone in
    /// `n` (tested by property tests), so an exponential bracket followed by bisection finds
    /// the smallest feasible `n` with O(log n) evaluations.
    pub fn required(&self, target: &Target) -> Result<Metrics> {
        target.validate()?;
        let mut lo = 0u64; // infeasible by convention
        let cap = target.max_advisors.unwrap_or(crate::erlang::SEARCH_LIMIT);
        let cap = cap.min(crate::erlang::SEARCH_LIMIT);
        let feasible = |n: u64| -> (bool, Metrics) {
            let m = self.metrics_unchecked(n, target.answer_s);
            (target.accepts(&m), m)
        };
        let mut hi = (self.load.ceil() as u64).clamp(1, cap);
        let mut step = (self.load.sqrt().ceil() as u64).max(1);
        let (mut ok, mut best) = feasible(hi);
        while !ok {
            if hi >= cap {
                return Err(unreachable(target, &best));
            }
            lo = hi;
            hi = hi.saturating_add(step).min(cap);
            step = step.saturating_mul(2);
            (ok, best) = feasible(hi);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let (ok_mid, m_mid) = feasible(mid);
            if ok_mid {
                hi = mid;
                best = m_mid;
            } else {
                lo = mid;
            }
        }
        Ok(best)
    }
}

/// `ln(e^v − 1)` for `v ≥ 0`, accurate for small and large `v`.
fn ln_expm1(v: f64) -> f64 {
    if v > 40.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp_m1().ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang::ErlangC;

    #[test]
    fn approaches_erlang_c_for_patient_callers() {
        let c = ErlangC::new(10.0, 180.0)
            .unwrap()
            .metrics(14, 20.0)
            .unwrap();
        let a = ErlangA::new(10.0, 180.0, 1e7)
            .unwrap()
            .metrics(14, 20.0)
            .unwrap();
        assert!(
            (a.p_wait - c.p_wait).abs() < 1e-4,
            "{} {}",
            a.p_wait,
            c.p_wait
        );
        assert!((a.service_level - c.service_level).abs() < 1e-4);
        assert!((a.asa_s - c.asa_s).abs() < 1e-2);
        assert!(a.p_abandon.unwrap() < 1e-5);
    }

    #[test]
    fn probabilities_are_consistent() {
        let q = ErlangA::new(50.0, 240.0, 90.0).unwrap();
        for n in [20, 45, 50, 55, 70] {
            let m = q.metrics(n, 30.0).unwrap();
            let pa = m.p_abandon.unwrap();
            assert!(pa >= 0.0 && pa <= m.p_wait && m.p_wait <= 1.0);
            assert!(m.service_level <= 1.0 - pa + 1e-12);
            // Little's law on the queue: E[Q] = λ·E[W].
            let lambda = 50.0 / 240.0;
            assert!(
                (m.queue_length - lambda * m.mean_wait_s).abs() < 1e-9 * m.queue_length.max(1.0)
            );
        }
    }

    #[test]
    fn minimum_can_be_below_the_load() {
        // Very impatient callers and a lax target: fewer advisors than Erlangs suffice.
        let q = ErlangA::new(20.0, 300.0, 10.0).unwrap();
        let m = q.required(&Target::new(0.5, 60.0)).unwrap();
        assert!((m.advisors as f64) < 20.0, "{m:?}");
        let below = q.metrics(m.advisors - 1, 60.0).unwrap();
        assert!(below.service_level < 0.5);
    }

    #[test]
    fn unreachable_caps_are_named() {
        let q = ErlangA::new(10.0, 180.0, 60.0).unwrap();
        let mut t = Target::new(0.8, 20.0);
        t.max_advisors = Some(8);
        assert!(
            matches!(q.required(&t), Err(WfmError::Unreachable { ref field, .. }) if field == "max_advisors")
        );
        let mut t = Target::new(0.8, 20.0);
        t.max_occupancy = Some(1e-9);
        assert!(
            matches!(q.required(&t), Err(WfmError::Unreachable { ref field, .. }) if field == "max_occupancy")
        );
        assert!(
            matches!(ErlangA::new(10.0, 180.0, -1.0), Err(WfmError::InvalidInput { ref field, .. }) if field == "patience_s")
        );
    }

    #[test]
    fn staffs_twenty_thousand_erlangs() {
        let q = ErlangA::new(20_000.0, 300.0, 120.0).unwrap();
        let m = q.required(&Target::new(0.8, 20.0)).unwrap();
        assert!(m.service_level >= 0.8);
        assert!(q.metrics(m.advisors - 1, 20.0).unwrap().service_level < 0.8);
        let c = ErlangC::new(20_000.0, 300.0)
            .unwrap()
            .required(&Target::new(0.8, 20.0))
            .unwrap();
        assert_eq!(c.advisors, 20_022);
        assert!(m.advisors <= c.advisors);
    }

    #[test]
    fn huge_load_is_finite() {
        let q = ErlangA::new(20_000.0, 300.0, 120.0).unwrap();
        for n in [15_000, 20_000, 20_200] {
            let m = q.metrics(n, 20.0).unwrap();
            for v in [
                m.service_level,
                m.p_wait,
                m.asa_s,
                m.p_abandon.unwrap_or(0.0),
                m.occupancy,
            ] {
                assert!(v.is_finite());
            }
        }
    }
}
