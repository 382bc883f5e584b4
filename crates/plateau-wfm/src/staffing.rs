//! One-call staffing for an interval: picks Erlang C or Erlang A from the presence of a
//! patience figure, finds the minimal advisors and applies shrinkage. This is what the CLI
//! and the staffing screen call.

use serde::{Deserialize, Serialize};

use crate::erlang::{with_shrinkage, ErlangC, Metrics, Target};
use crate::erlang_a::ErlangA;
use crate::error::{positive, unit_lower, Result};

/// Inputs for one interval of one voice-like queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingRequest {
    /// Contacts offered during the interval (forecast volume); may be fractional.
    pub contacts: f64,
    /// Interval length in seconds (1800 for half-hour planning).
    pub interval_s: f64,
    /// Average handle time in seconds (talk + hold + wrap-up).
    pub aht_s: f64,
    /// Service-level target and caps.
    pub target: Target,
    /// Mean caller patience in seconds: `Some` selects Erlang A, `None` Erlang C.
    #[serde(default)]
    pub patience_s: Option<f64>,
    /// Shrinkage in [0, 1): share of paid time not available for contacts.
    #[serde(default)]
    pub shrinkage: f64,
}

/// Which queueing model produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// M/M/N, no abandonment.
    ErlangC,
    /// M/M/N+M, exponential patience.
    ErlangA,
}

/// Minimal staffing for one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingResult {
    /// Model used.
    pub model: Model,
    /// Advisors needed on the phones (productive).
    pub required: u64,
    /// Advisors to schedule once shrinkage is applied: `ceil(required / (1 − shrinkage))`.
    pub scheduled: u64,
    /// Performance at `required` advisors.
    pub metrics: Metrics,
}

/// Minimal advisors for one interval (Erlang C, or Erlang A when `patience_s` is given).
///
/// ```
/// use plateau_wfm::{required_advisors, StaffingRequest, Target};
/// let r = required_advisors(&StaffingRequest {
///     contacts: 100.0, interval_s: 1800.0, aht_s: 180.0,
///     target: Target::new(0.8, 20.0), patience_s: None, shrinkage: 0.3,
/// }).unwrap();
/// assert_eq!((r.required, r.scheduled), (14, 20));
/// ```
pub fn required_advisors(req: &StaffingRequest) -> Result<StaffingResult> {
    positive("contacts", req.contacts)?;
    positive("interval_s", req.interval_s)?;
    positive("aht_s", req.aht_s)?;
    unit_lower("shrinkage", req.shrinkage)?;
    req.target.validate()?;
    let (model, metrics) = match req.patience_s {
        None => (
            Model::ErlangC,
            ErlangC::from_volume(req.contacts, req.interval_s, req.aht_s)?.required(&req.target)?,
        ),
        Some(p) => (
            Model::ErlangA,
            ErlangA::from_volume(req.contacts, req.interval_s, req.aht_s, p)?
                .required(&req.target)?,
        ),
    };
    Ok(StaffingResult {
        model,
        required: metrics.advisors,
        scheduled: with_shrinkage(metrics.advisors, req.shrinkage)?,
        metrics,
    })
}
