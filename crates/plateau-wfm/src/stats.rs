//! Replication statistics: sample mean and Student-t 95% confidence interval, used by the
//! simulator to report each measure as `mean ± half_width`.

use serde::{Deserialize, Serialize};

use crate::numeric::student_t_975;

/// A mean with its two-sided 95% confidence interval across independent replications.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Half-width `t_{0.975, n−1} · s / √n`; `None` with fewer than two observations.
    pub half_width: Option<f64>,
    /// Number of replications that produced the measure (a replication with no offered
    /// contacts has no service level, for instance).
    pub n: u64,
}

impl Estimate {
    /// From independent observations; `None` when there are none.
    pub fn from_samples(xs: &[f64]) -> Option<Estimate> {
        let n = xs.len() as u64;
        if n == 0 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let half_width = (n >= 2).then(|| {
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
            student_t_975(n - 1) * (var / n as f64).sqrt()
        });
        Some(Estimate {
            mean,
            half_width,
            n,
        })
    }

    /// Lower end of the interval (the mean itself without a half-width).
    pub fn low(&self) -> f64 {
        self.mean - self.half_width.unwrap_or(0.0)
    }

    /// Upper end of the interval.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width.unwrap_or(0.0)
    }

    /// Whether `v` lies inside the closed interval.
    pub fn contains(&self, v: f64) -> bool {
        self.low() <= v && v <= self.high()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_interval() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(e.mean, 2.5);
        // s = 1.2909944, t_{0.975,3} = 3.1824463
        assert!(
            (e.half_width.unwrap() - 3.182_446_305_283_71 * 1.290_994_448_735_805_6 / 2.0).abs()
                < 1e-12
        );
        assert!(Estimate::from_samples(&[]).is_none());
        assert_eq!(Estimate::from_samples(&[5.0]).unwrap().half_width, None);
    }
}
