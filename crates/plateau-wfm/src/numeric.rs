//! Numerical kernels shared by the queueing models: the scaled Erlang B recurrence, the
//! Erlang A tail series in log space, and Student-t quantiles for confidence intervals.
//!
//! Everything here works on plain `f64` and never forms a factorial, so it stays finite from
//! 0.1 to millions of Erlangs.

/// Rescale threshold for the scaled recurrences: far below `f64::MAX` so one more step
/// (a multiplication by at most ~1e6) can never overflow.
const RESCALE_AT: f64 = 1e200;
const LN_RESCALE: f64 = 460.517_018_598_809_1; // ln(1e200)

/// The inverse Erlang B blocking probability `1/B(n, a)`, kept as `r · exp(ln_scale)`.
///
/// Uses the stable recurrence `1/B(n) = 1 + (n/a)·1/B(n−1)` (the inverse form of
/// `B(n) = a·B(n−1)/(n + a·B(n−1))`). Each step is one multiply-add, so callers that walk
/// `n` upwards (the Erlang C staffing search) pay O(1) per candidate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InvErlangB {
    a: f64,
    n: u64,
    r: f64,
    ln_scale: f64,
    /// `exp(-ln_scale)`, cached so the hot step needs no transcendental call.
    unit: f64,
}

impl InvErlangB {
    /// `1/B(n, a)` for `a > 0`.
    ///
    /// Starting the recurrence at 0 costs O(n). Errors in the starting value are multiplied by
    /// `∏ j/a` over the steps taken, so we start at the `n0` where that product is below
    /// `e^-55` (relative error < 1e-22·√a) with the geometric guess `a/(a−n0)`: O(|n−a| + 11√a).
    pub(crate) fn at(n: u64, a: f64) -> Self {
        let nf = n as f64;
        let margin = ((nf - a) * (nf - a) + 110.0 * a).sqrt() + 5.0;
        let start = (a - margin).floor();
        let (n0, r0) = if start <= 0.0 {
            (0u64, 1.0)
        } else {
            let n0 = (start as u64).min(n);
            (n0, a / (a - n0 as f64))
        };
        let mut s = InvErlangB {
            a,
            n: n0,
            r: r0,
            ln_scale: 0.0,
            unit: 1.0,
        };
        while s.n < n {
            s.step();
        }
        s
    }

    /// Advances from `n` to `n + 1`.
    #[inline]
    pub(crate) fn step(&mut self) {
        self.n += 1;
        self.r = self.unit + (self.n as f64 / self.a) * self.r;
        if self.r > RESCALE_AT {
            self.r /= RESCALE_AT;
            self.ln_scale += LN_RESCALE;
            self.unit = (-self.ln_scale).exp();
        }
    }

    pub(crate) fn n(&self) -> u64 {
        self.n
    }

    /// Erlang B blocking probability (underflows gracefully to 0).
    pub(crate) fn erlang_b(&self) -> f64 {
        self.unit / self.r
    }

    /// `ln(1/B)`, always finite.
    pub(crate) fn ln_inv_b(&self) -> f64 {
        self.r.ln() + self.ln_scale
    }

    /// Erlang C probability of waiting for `n > a`: `C = 1 / (ρ + (1−ρ)/B)` with `ρ = a/n`,
    /// algebraically equal to `n·B/(n − a(1−B))` but free of cancellation.
    pub(crate) fn erlang_c(&self) -> f64 {
        let rho = self.a / self.n as f64;
        self.unit / (self.r * (1.0 - rho) + rho * self.unit)
    }
}

/// Sums of the Erlang A tail series, in log space.
///
/// With `T_0 = 1` and `T_k = y^k / ((m+1)(m+2)…(m+k))` (so `π_{n+k} = π_n·T_k` in the
/// M/M/n+M birth–death chain with `m = nμ/θ`, `y = λ/θ`):
/// * `ln_s  = ln Σ_{k≥1} T_k` (equal to `e^y y^{-m} γ(m+1, y)`),
/// * `ln_js = ln Σ_{k≥1} k·T_k` (proportional to the mean queue length),
/// * `ln_ws = ln Σ_{k≥0} T_k · m/(m+k+1) · Σ_{i=1}^{k+1} 1/(m+i)` (θ × the mean wait of served
///   customers, unnormalised); only computed on request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TailSums {
    pub ln_s: f64,
    pub ln_js: f64,
    pub ln_ws: f64,
}

/// Computes [`TailSums`] by forward summation with periodic rescaling.
///
/// All terms are positive, so there is no cancellation; terms rise while `k < y − m` and then
/// fall faster than geometrically, so the loop costs O(max(0, y − m) + √(y + m)).
pub(crate) fn tail_sums(m: f64, y: f64, with_wait: bool) -> TailSums {
    if y <= 0.0 {
        return TailSums {
            ln_s: f64::NEG_INFINITY,
            ln_js: f64::NEG_INFINITY,
            ln_ws: if with_wait {
                // Only the k = 0 term survives: T_0 · m/(m+1) · 1/(m+1).
                (m / ((m + 1.0) * (m + 1.0))).ln()
            } else {
                f64::NEG_INFINITY
            },
        };
    }
    let peak = (y - m).max(0.0);
    let max_iter = (peak + 60.0 * (y + m + 1.0).sqrt() + 200.0) as u64;
    let mut ln_scale = 0.0;
    let mut term = 1.0; // T_0, scaled
    let mut s = 0.0;
    let mut js = 0.0;
    // Harmonic partial sum h_{k+1} = Σ_{i=1}^{k+1} 1/(m+i).
    let mut h = 1.0 / (m + 1.0);
    let mut ws = if with_wait { m / (m + 1.0) * h } else { 0.0 };
    let mut k: u64 = 0;
    while k < max_iter {
        k += 1;
        let kf = k as f64;
        term *= y / (m + kf);
        s += term;
        js += kf * term;
        if with_wait {
            h += 1.0 / (m + kf + 1.0);
            ws += term * (m / (m + kf + 1.0)) * h;
        }
        if kf > peak && term * (kf + 1.0) < 1e-18 * s {
            break;
        }
        if term > RESCALE_AT {
            term /= RESCALE_AT;
            s /= RESCALE_AT;
            js /= RESCALE_AT;
            ws /= RESCALE_AT;
            ln_scale += LN_RESCALE;
        }
    }
    TailSums {
        ln_s: s.ln() + ln_scale,
        ln_js: js.ln() + ln_scale,
        ln_ws: if with_wait {
            ws.ln() + ln_scale
        } else {
            f64::NEG_INFINITY
        },
    }
}

/// `ln(e^a + e^b)` without overflow.
pub(crate) fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// Two-sided 95% Student-t quantile `t_{0.975, df}`.
///
/// Degrees of freedom 1–30 come from a table computed with mpmath (50 digits, see
/// `bench/wfm/gen_vectors.py`); above 30 the Cornish–Fisher expansion in 1/df (Abramowitz &
/// Stegun 26.7.5) is accurate to better than 1e-6.
pub fn student_t_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062047361747,
        4.302652729749463,
        3.182446305283709,
        2.776445105197794,
        2.570581835636315,
        2.446911851144969,
        2.364624251592785,
        2.306004135204166,
        2.262157162798205,
        2.228138851986274,
        2.200985160091639,
        2.178812829667228,
        2.160368656462792,
        2.144786687917803,
        2.131449545559775,
        2.119905299221254,
        2.109815577833317,
        2.100922040241038,
        2.093024054408309,
        2.085963447265864,
        2.07961384472768,
        2.073873067904026,
        2.068657610419048,
        2.063898561628025,
        2.059538552753297,
        2.055529438642873,
        2.051830516480285,
        2.048407141795245,
        2.045229642132704,
        2.042272456301238,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return TABLE[(df - 1) as usize];
    }
    let z = 1.959_963_984_540_054_f64;
    let v = df as f64;
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erlang_b_naive(n: u64, a: f64) -> f64 {
        let mut b = 1.0;
        for k in 1..=n {
            b = a * b / (k as f64 + a * b);
        }
        b
    }

    #[test]
    fn damped_start_matches_full_recurrence() {
        for &a in &[0.1f64, 1.0, 7.3, 99.5, 480.2, 5000.0] {
            for dn in [-40i64, -3, 0, 1, 2, 10, 60] {
                let n = (a.floor() as i64 + dn).max(1) as u64;
                let full = erlang_b_naive(n, a);
                let fast = InvErlangB::at(n, a).erlang_b();
                assert!(
                    ((full - fast) / full).abs() < 1e-13,
                    "a={a} n={n} {full} {fast}"
                );
            }
        }
    }

    #[test]
    fn stepping_matches_fresh_start() {
        let mut s = InvErlangB::at(95, 100.0);
        for _ in 0..50 {
            s.step();
            let fresh = InvErlangB::at(s.n(), 100.0);
            assert!((s.erlang_c() / fresh.erlang_c() - 1.0).abs() < 1e-13);
        }
    }

    #[test]
    fn huge_inverse_is_rescaled() {
        // 1/B(400, 0.1) ≈ 400!/0.1^400 overflows f64 without rescaling.
        let s = InvErlangB::at(400, 0.1);
        assert!(s.ln_inv_b().is_finite() && s.ln_inv_b() > 1000.0);
        assert_eq!(s.erlang_b(), 0.0);
    }

    #[test]
    fn tail_sums_identity() {
        // Σ k T_k = y + (y − m) Σ T_k  (from (m+k)T_k = y T_{k−1}).
        for &(m, y) in &[(5.0, 3.0), (10.0, 10.0), (3.0, 40.0), (2000.0, 2100.0)] {
            let t = tail_sums(m, y, true);
            let lhs = t.ln_js.exp();
            let rhs = y + (y - m) * t.ln_s.exp();
            assert!(((lhs - rhs) / lhs).abs() < 1e-11, "{m} {y} {lhs} {rhs}");
        }
    }

    #[test]
    fn student_t_large_df() {
        assert!((student_t_975(31) - 2.039_513_446).abs() < 1e-6);
        assert!((student_t_975(100) - 1.983_971_519).abs() < 1e-6);
    }
}
