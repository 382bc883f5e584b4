//! Channels other than live voice: deferrable work (e-mail, social messages, back-office)
//! planned from workload rather than from a queueing formula, and blending of advisors
//! whose time is shared between channels.
//!
//! Why not Erlang here: with a target such as "95% within 4 hours" and handle times of a few
//! minutes, the answer time is ~50–100 AHTs. Erlang C then returns `ceil(A)` plus a rounding
//! advisor, because any stable M/M/N queue answers almost everyone within 4 h — the
//! formula's assumptions (stationary load, immediate service, work that must be done in the
//! interval it arrives) are the wrong way round for work that can legitimately be moved to a
//! later interval, overnight arrivals included. Planning must instead make sure each
//! interval's work is *finished by its deadline*: a fluid, workload-based model.

use serde::{Deserialize, Serialize};

use crate::error::{non_negative, open_unit, positive, unit_upper, Result, WfmError};

/// Full-time equivalents for a workload: `volume × AHT / concurrency / (interval × max
/// occupancy) × (1 + backlog_factor)`.
///
/// `backlog_factor` is the extra work carried in from earlier intervals, as a share of this
/// interval's new work (0 when the queue is under control); `concurrency` is the number of
/// items an advisor works in parallel (1 for e-mail, 2–3 for asynchronous messaging).
pub fn workload_fte(
    volume: f64,
    aht_s: f64,
    interval_s: f64,
    max_occupancy: f64,
    concurrency: f64,
    backlog_factor: f64,
) -> Result<f64> {
    non_negative("volume", volume)?;
    positive("aht_s", aht_s)?;
    positive("interval_s", interval_s)?;
    unit_upper("max_occupancy", max_occupancy)?;
    if !(concurrency.is_finite() && concurrency >= 1.0) {
        return Err(WfmError::invalid(
            "concurrency",
            concurrency,
            "must be a finite number >= 1",
        ));
    }
    non_negative("backlog_factor", backlog_factor)?;
    Ok(volume * aht_s / concurrency / (interval_s * max_occupancy) * (1.0 + backlog_factor))
}

/// A deferrable-work service target: `fraction` of items handled within `within_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeferredTarget {
    /// Share of items that must meet the deadline, in (0, 1) (0.95 for "95% within 4 h").
    pub fraction: f64,
    /// Deadline in seconds (14,400 for 4 h).
    pub within_s: f64,
}

/// Inputs of [`plan_deferred`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredWork {
    /// Planning interval length in seconds.
    pub interval_s: f64,
    /// Items arriving in each interval (forecast).
    pub volumes: Vec<f64>,
    /// Average handle time per item, seconds.
    pub aht_s: f64,
    /// Service target.
    pub target: DeferredTarget,
    /// Deadline for the share allowed to miss the target (`1 − fraction`); defaults to twice
    /// `target.within_s`. It keeps late items from being pushed indefinitely.
    #[serde(default)]
    pub late_within_s: Option<f64>,
    /// Items worked in parallel by one advisor (≥ 1).
    #[serde(default = "one")]
    pub concurrency: f64,
    /// Planned occupancy ceiling in (0, 1].
    #[serde(default = "one")]
    pub max_occupancy: f64,
    /// Which intervals are staffed (`None`: all). Deadlines run on the open-hours clock: a
    /// message sent at night is due `within_s` of open time after opening.
    #[serde(default)]
    pub open: Option<Vec<bool>>,
    /// Items already waiting at the start, due within the target window.
    #[serde(default)]
    pub initial_backlog: f64,
}

fn one() -> f64 {
    1.0
}

/// One interval of a deferred-work plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeferredInterval {
    /// Items worked in the interval under the plan.
    pub worked: f64,
    /// Workload in advisor-hours (before the occupancy ceiling).
    pub workload_h: f64,
    /// Fractional FTE needed: `workload / (interval × max occupancy)`.
    pub required_fte: f64,
    /// Advisors to staff: `ceil(required_fte)`.
    pub advisors: u64,
    /// Items still waiting at the end of the interval.
    pub backlog_end: f64,
}

/// A deferred-work plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredPlan {
    /// Per interval.
    pub intervals: Vec<DeferredInterval>,
    /// Items whose deadline falls beyond the planning horizon, left for the next plan.
    pub carried_over: f64,
}

#[derive(Debug, Clone, Copy)]
struct Cohort {
    remaining: f64,
    /// Open intervals left before the deadline, including the current one.
    open_left: usize,
}

/// Plans deferrable work so that every interval's arrivals meet the target, under a fluid
/// model with an *even-spread* policy: each batch of items (the `fraction` share with the
/// target deadline, the rest with the late deadline) is worked at a constant rate over the
/// open intervals remaining before its deadline.
///
/// With steady arrivals this reduces to `workload_fte` (each interval works exactly what
/// arrives); after a closed night the morning backlog is spread over the deadline window
/// instead of being demanded in the first interval. Deadlines are rounded down to whole
/// intervals (an item arriving at any time in interval `i` with a 4-hour target is planned
/// to be finished by the end of interval `i + W − 1`, `W = floor(4 h / interval)`), which
/// makes the plan slightly conservative.
pub fn plan_deferred(w: &DeferredWork) -> Result<DeferredPlan> {
    positive("interval_s", w.interval_s)?;
    positive("aht_s", w.aht_s)?;
    open_unit("target.fraction", w.target.fraction)?;
    positive("target.within_s", w.target.within_s)?;
    unit_upper("max_occupancy", w.max_occupancy)?;
    non_negative("initial_backlog", w.initial_backlog)?;
    if !(w.concurrency.is_finite() && w.concurrency >= 1.0) {
        return Err(WfmError::invalid(
            "concurrency",
            w.concurrency,
            "must be a finite number >= 1",
        ));
    }
    for (i, &v) in w.volumes.iter().enumerate() {
        non_negative(&format!("volumes[{i}]"), v)?;
    }
    let late_s = w.late_within_s.unwrap_or(2.0 * w.target.within_s);
    positive("late_within_s", late_s)?;
    if late_s < w.target.within_s {
        return Err(WfmError::inconsistent(
            "late_within_s",
            "must not be shorter than target.within_s",
        ));
    }
    if w.target.within_s < w.interval_s {
        return Err(WfmError::inconsistent(
            "target.within_s",
            "shorter than one interval: this is live work, staff it with Erlang C/A instead",
        ));
    }
    let n = w.volumes.len();
    let open = match &w.open {
        Some(o) if o.len() != n => {
            return Err(WfmError::inconsistent(
                "open",
                format!("has {} values for {n} intervals", o.len()),
            ))
        }
        Some(o) => o.clone(),
        None => vec![true; n],
    };
    let window = ((w.target.within_s / w.interval_s) + 1e-9).floor().max(1.0) as usize;
    let late_window = ((late_s / w.interval_s) + 1e-9).floor().max(1.0) as usize;
    let per_item_s = w.aht_s / w.concurrency;

    let mut pending: Vec<Cohort> = Vec::new();
    if w.initial_backlog > 0.0 {
        pending.push(Cohort {
            remaining: w.initial_backlog,
            open_left: window,
        });
    }
    let mut out = Vec::with_capacity(n);
    for (i, &v) in w.volumes.iter().enumerate() {
        if v > 0.0 {
            pending.push(Cohort {
                remaining: v * w.target.fraction,
                open_left: window,
            });
            pending.push(Cohort {
                remaining: v * (1.0 - w.target.fraction),
                open_left: late_window,
            });
        }
        let mut worked = 0.0;
        if open[i] {
            for c in pending.iter_mut() {
                let share = c.remaining / c.open_left as f64;
                c.remaining -= share;
                worked += share;
                c.open_left -= 1;
            }
            pending.retain(|c| c.open_left > 0 && c.remaining > 1e-12);
        }
        let backlog_end: f64 = pending.iter().map(|c| c.remaining).sum();
        let workload_s = worked * per_item_s;
        let fte = workload_s / (w.interval_s * w.max_occupancy);
        out.push(DeferredInterval {
            worked,
            workload_h: workload_s / 3600.0,
            required_fte: fte,
            advisors: (fte - 1e-9).ceil().max(0.0) as u64,
            backlog_end,
        });
    }
    Ok(DeferredPlan {
        carried_over: pending.iter().map(|c| c.remaining).sum(),
        intervals: out,
    })
}

/// Headcount when each advisor's time is split between channels in fixed shares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    /// Advisors needed: `ceil(max_c required_c / share_c)`.
    pub advisors: u64,
    /// Unrounded FTE.
    pub fte: f64,
    /// Index of the channel that sets the headcount.
    pub binding_channel: usize,
}

/// Blended FTE for a fixed split: advisors spend `shares[c]` of their time on channel `c`
/// (e.g. 0.3 phone / 0.7 social), so `H` advisors deliver `H·shares[c]` FTE to each channel
/// and must cover every channel's requirement: `H = max_c required[c] / shares[c]`.
pub fn blend_fixed_split(required: &[f64], shares: &[f64]) -> Result<Blend> {
    if required.len() != shares.len() || required.is_empty() {
        return Err(WfmError::inconsistent(
            "shares",
            "need one share per channel requirement",
        ));
    }
    let mut total = 0.0;
    let mut best = (0.0f64, 0usize);
    for (c, (&r, &s)) in required.iter().zip(shares).enumerate() {
        non_negative(&format!("required[{c}]"), r)?;
        non_negative(&format!("shares[{c}]"), s)?;
        total += s;
        if r > 0.0 {
            if s == 0.0 {
                return Err(WfmError::inconsistent(
                    format!("shares[{c}]"),
                    "is 0 but the channel needs staff",
                ));
            }
            let h = r / s;
            if h > best.0 {
                best = (h, c);
            }
        }
    }
    if total > 1.0 + 1e-9 {
        return Err(WfmError::invalid(
            "shares",
            total,
            "must add up to at most 1",
        ));
    }
    Ok(Blend {
        advisors: (best.0 - 1e-9).ceil().max(0.0) as u64,
        fte: best.0,
        binding_channel: best.1,
    })
}

/// Pooled blending with voice priority: advisors take deferrable work only when no call is
/// waiting. Voice still needs its own Erlang requirement `voice_required`; the deferrable
/// workload (in Erlangs, i.e. advisor-seconds per second) fills the idle time voice leaves,
/// and total work must fit under the occupancy ceiling:
/// `H = max(voice_required, ceil((voice_load + deferred_load) / max_occupancy))`.
///
/// Assumes deferrable items are short or interruptible compared with the voice answer time
/// (otherwise an advisor busy on an e-mail delays calls and voice needs more than its
/// stand-alone requirement; simulate such cases).
pub fn blend_voice_priority(
    voice_required: u64,
    voice_load_erlangs: f64,
    deferred_load_erlangs: f64,
    max_occupancy: f64,
) -> Result<u64> {
    non_negative("voice_load_erlangs", voice_load_erlangs)?;
    non_negative("deferred_load_erlangs", deferred_load_erlangs)?;
    unit_upper("max_occupancy", max_occupancy)?;
    let pooled = ((voice_load_erlangs + deferred_load_erlangs) / max_occupancy - 1e-9).ceil();
    Ok(voice_required.max(pooled.max(0.0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn social(volumes: Vec<f64>, open: Option<Vec<bool>>) -> DeferredWork {
        DeferredWork {
            interval_s: 3600.0,
            volumes,
            aht_s: 360.0,
            target: DeferredTarget {
                fraction: 0.95,
                within_s: 4.0 * 3600.0,
            },
            late_within_s: None,
            concurrency: 1.0,
            max_occupancy: 0.9,
            open,
            initial_backlog: 0.0,
        }
    }

    #[test]
    fn steady_arrivals_reduce_to_workload() {
        let plan = plan_deferred(&social(vec![30.0; 48], None)).unwrap();
        // After the windows fill (8 h), each interval works exactly what arrives.
        let steady = workload_fte(30.0, 360.0, 3600.0, 0.9, 1.0, 0.0).unwrap();
        for iv in &plan.intervals[8..] {
            assert!((iv.required_fte - steady).abs() < 1e-9, "{iv:?}");
        }
        assert!((steady - 10.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn overnight_backlog_is_spread_over_the_window() {
        // Closed 8 h, then open; 20 messages per hour around the clock.
        let mut open = vec![false; 8];
        open.extend(vec![true; 16]);
        let plan = plan_deferred(&social(vec![20.0; 24], Some(open))).unwrap();
        assert_eq!(plan.intervals[0].required_fte, 0.0);
        assert!((plan.intervals[7].backlog_end - 160.0).abs() < 1e-9);
        // The night's 160 messages are not all demanded in the first open hour.
        let first_open = plan.intervals[8].worked;
        assert!(first_open < 160.0 && first_open > 20.0, "{first_open}");
        // Every on-target item is done within 4 open hours of its arrival (or of opening).
        let worked_first_4h: f64 = plan.intervals[8..12].iter().map(|i| i.worked).sum();
        assert!(worked_first_4h >= 0.95 * 160.0);
    }

    #[test]
    fn blends() {
        // 30% phone / 70% social: phone needs 6 FTE, social 10.5 → 20 advisors (phone binds).
        let b = blend_fixed_split(&[6.0, 10.5], &[0.3, 0.7]).unwrap();
        assert_eq!((b.advisors, b.binding_channel), (20, 0));
        assert!(blend_fixed_split(&[6.0, 1.0], &[0.8, 0.7]).is_err());
        assert_eq!(blend_voice_priority(14, 10.0, 2.0, 0.85).unwrap(), 15);
        assert_eq!(blend_voice_priority(14, 10.0, 0.5, 0.85).unwrap(), 14);
    }

    #[test]
    fn live_targets_are_rejected() {
        let mut w = social(vec![5.0], None);
        w.target.within_s = 60.0;
        assert!(
            matches!(plan_deferred(&w), Err(WfmError::Inconsistent { ref field, .. }) if field == "target.within_s")
        );
    }
}
