//! A day's staffing plan across channels and sites, as the supervisors' staffing screen shows
//! it: history → forecast (with hold-out accuracy), forecast → required advisors per interval
//! (Erlang C/A for live channels, deadline workload for deferrable ones), and rostered
//! headcount × opening hours → scheduled advisors per site.
//!
//! Everything here is pure. Time zones are the caller's job: it converts UTC to each site's
//! local clock and passes local timestamps and minutes of the day in.

use serde::{Deserialize, Serialize};

use crate::channels::{plan_deferred, DeferredTarget, DeferredWork};
use crate::erlang::{with_shrinkage, Target};
use crate::error::{positive, unit_lower, Result, WfmError};
use crate::forecast::{holdout_accuracy, Accuracy, ForecastConfig, History, Model, Trend};
use crate::staffing::{required_advisors, StaffingRequest};

/// Below this many forecast contacts an interval needs nobody: Erlang would still ask for
/// one advisor for a thousandth of a call, which is noise from the forecast, not demand.
const NEGLIGIBLE_CONTACTS: f64 = 1e-6;

/// How one channel is staffed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Rule {
    /// Live contacts (phone, chat): the minimal Erlang C staffing per interval, or Erlang A
    /// when `patience_s` is known. With `concurrency` > 1 (chat), Erlang counts chat slots
    /// and each advisor holds `concurrency` of them: advisors = ceil(slots / concurrency).
    Live {
        target: Target,
        aht_s: f64,
        #[serde(default)]
        patience_s: Option<f64>,
        concurrency: u32,
    },
    /// Deferrable work (e-mail, social messages, letters), planned from workload so that each
    /// interval's arrivals are finished by their deadline (`channels::plan_deferred`).
    Deferred {
        target: DeferredTarget,
        aht_s: f64,
        concurrency: f64,
        max_occupancy: f64,
    },
}

/// A channel and its staffing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRule {
    /// Channel name as the caller spells it (`phone`, `chat`, ...).
    pub channel: String,
    pub rule: Rule,
}

/// The defaults the staffing screen plans with until tenants can set their own: the seeds'
/// targets (80% of calls within 20 s, social media within the hour) and common handle times.
///
/// | channel | model | target | AHT | concurrency |
/// | --- | --- | --- | --- | --- |
/// | phone | Erlang C | 80% in 20 s | 360 s | 1 |
/// | chat | Erlang C | 80% in 60 s | 600 s | 2 |
/// | email | workload | 95% in 4 h | 480 s | 1 |
/// | social | workload | 95% in 1 h | 300 s | 1 |
/// | letter | workload | 95% in 24 h | 600 s | 1 |
///
/// Deferrable channels plan at 85% occupancy at most.
pub fn default_rules() -> Vec<ChannelRule> {
    let live = |channel: &str, sl: f64, answer_s: f64, aht_s: f64, concurrency: u32| ChannelRule {
        channel: channel.into(),
        rule: Rule::Live {
            target: Target::new(sl, answer_s),
            aht_s,
            patience_s: None,
            concurrency,
        },
    };
    let deferred = |channel: &str, within_h: f64, aht_s: f64| ChannelRule {
        channel: channel.into(),
        rule: Rule::Deferred {
            target: DeferredTarget {
                fraction: 0.95,
                within_s: within_h * 3600.0,
            },
            aht_s,
            concurrency: 1.0,
            max_occupancy: 0.85,
        },
    };
    vec![
        live("phone", 0.8, 20.0, 360.0, 1),
        live("chat", 0.8, 60.0, 600.0, 2),
        deferred("email", 4.0, 480.0),
        deferred("social", 1.0, 300.0),
        deferred("letter", 24.0, 600.0),
    ]
}

/// A fitted forecast with how it was fitted and how well it did on held-out data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitted {
    pub model: Model,
    /// Linear with at least 14 full days of history, constant with 7 to 13.
    pub trend: Trend,
    /// Scored on the last week held out, when enough history remains to fit without it
    /// and the held-out week has contacts.
    pub accuracy: Option<Accuracy>,
}

/// Fits a forecast to `history` (local timestamps), choosing the richest model the history
/// supports. `Ok(None)` means there is not enough history (fewer than 7 full days, or a
/// weekday never observed); other bad input is an error.
pub fn fit_history(history: &History) -> Result<Option<Fitted>> {
    let not_enough =
        |e: &WfmError| matches!(e, WfmError::InvalidInput { field, .. } if field == "points");
    let mut chosen = None;
    for trend in [Trend::Linear, Trend::None] {
        let config = ForecastConfig {
            trend,
            holidays: Vec::new(),
        };
        match Model::fit(history, &config) {
            Ok(model) => {
                chosen = Some((model, config));
                break;
            }
            Err(e) if not_enough(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((model, config)) = chosen else {
        return Ok(None);
    };
    // Score with the same model family; if the shorter training set cannot carry a trend,
    // a constant level is still an honest measure of the seasonal profile.
    let accuracy = holdout_accuracy(history, &config, 1).ok().or_else(|| {
        let flat = ForecastConfig {
            trend: Trend::None,
            holidays: Vec::new(),
        };
        (config.trend != Trend::None)
            .then(|| holdout_accuracy(history, &flat, 1).ok())
            .flatten()
    });
    Ok(Some(Fitted {
        model,
        trend: config.trend,
        accuracy,
    }))
}

/// Inputs of [`plan_day`]: per-channel forecast volumes on a common interval grid.
#[derive(Debug, Clone, PartialEq)]
pub struct DayInput<'a> {
    /// Interval length, seconds.
    pub interval_s: f64,
    /// Intervals before the planned day (typically the previous day) that only feed the
    /// deferred backlog: e-mails that arrived last night are worked this morning.
    pub lead_in: usize,
    /// Forecast contacts per interval, one vector per rule (same order), each
    /// `lead_in + planned` long.
    pub volumes: &'a [Vec<f64>],
    /// Whether anyone works in each interval (any site open); deferred work waits otherwise.
    pub open: &'a [bool],
    /// Share of paid time not on contacts, in [0, 1).
    pub shrinkage: f64,
}

/// Staffing need for one interval of the planned day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalNeed {
    /// Per channel (rule order): whole advisors for live channels, fractional FTE for
    /// deferred ones (they share advisors, so they are rounded up together).
    pub by_channel: Vec<f64>,
    /// Advisors needed on contacts: the live channels' advisors plus ceil(Σ deferred FTE).
    /// Channels are staffed side by side, not blended, which is conservative: blending
    /// deferred work into voice idle time is only safe for short or interruptible items.
    pub required: u64,
    /// Advisors to schedule once shrinkage is applied: ceil(required / (1 − shrinkage)).
    pub to_schedule: u64,
}

/// Required advisors per interval of the planned day (the intervals after `lead_in`).
pub fn plan_day(rules: &[ChannelRule], input: &DayInput<'_>) -> Result<Vec<IntervalNeed>> {
    positive("interval_s", input.interval_s)?;
    unit_lower("shrinkage", input.shrinkage)?;
    let span = input.open.len();
    if input.volumes.len() != rules.len() {
        return Err(WfmError::inconsistent(
            "volumes",
            format!(
                "{} series for {} channels",
                input.volumes.len(),
                rules.len()
            ),
        ));
    }
    if let Some((c, v)) = input
        .volumes
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() != span)
    {
        return Err(WfmError::inconsistent(
            format!("volumes[{c}]"),
            format!("has {} intervals, open has {span}", v.len()),
        ));
    }
    if input.lead_in > span {
        return Err(WfmError::inconsistent(
            "lead_in",
            format!("{} exceeds the {span} intervals given", input.lead_in),
        ));
    }
    let planned = span - input.lead_in;
    // per_channel[c][i]: advisors (live) or FTE (deferred) for planned interval i.
    let mut per_channel: Vec<Vec<f64>> = Vec::with_capacity(rules.len());
    for (rule, volumes) in rules.iter().zip(input.volumes) {
        let row = match rule.rule {
            Rule::Live {
                target,
                aht_s,
                patience_s,
                concurrency,
            } => {
                if concurrency == 0 {
                    return Err(WfmError::invalid(
                        format!("{}.concurrency", rule.channel),
                        0,
                        "must be at least 1",
                    ));
                }
                volumes[input.lead_in..]
                    .iter()
                    .map(|&contacts| {
                        if contacts < NEGLIGIBLE_CONTACTS {
                            return Ok(0.0);
                        }
                        let slots = required_advisors(&StaffingRequest {
                            contacts,
                            interval_s: input.interval_s,
                            aht_s,
                            target,
                            patience_s,
                            shrinkage: 0.0,
                        })?
                        .required;
                        Ok(slots.div_ceil(u64::from(concurrency)) as f64)
                    })
                    .collect::<Result<Vec<f64>>>()?
            }
            Rule::Deferred {
                target,
                aht_s,
                concurrency,
                max_occupancy,
            } => {
                let plan = plan_deferred(&DeferredWork {
                    interval_s: input.interval_s,
                    volumes: volumes.clone(),
                    aht_s,
                    target,
                    late_within_s: None,
                    concurrency,
                    max_occupancy,
                    open: Some(input.open.to_vec()),
                    initial_backlog: 0.0,
                })?;
                plan.intervals[input.lead_in..]
                    .iter()
                    .map(|i| i.required_fte)
                    .collect()
            }
        };
        per_channel.push(row);
    }
    (0..planned)
        .map(|i| {
            let mut live = 0u64;
            let mut deferred_fte = 0.0;
            for (rule, row) in rules.iter().zip(&per_channel) {
                match rule.rule {
                    Rule::Live { .. } => live += row[i] as u64,
                    Rule::Deferred { .. } => deferred_fte += row[i],
                }
            }
            // The tolerance keeps 3.0000000001 FTE from costing a fourth advisor.
            let required = live + (deferred_fte - 1e-9).ceil().max(0.0) as u64;
            Ok(IntervalNeed {
                by_channel: per_channel.iter().map(|row| row[i]).collect(),
                required,
                to_schedule: with_shrinkage(required, input.shrinkage)?,
            })
        })
        .collect()
}

/// A site's daily opening hours in local minutes of the day. `closes_min <= opens_min`
/// means the site works across midnight (e.g. 22:00–06:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub opens_min: u32,
    pub closes_min: u32,
}

impl OpeningHours {
    /// The default until sites carry their own hours: 08:00–20:00 local, every day.
    pub const DEFAULT: OpeningHours = OpeningHours {
        opens_min: 8 * 60,
        closes_min: 20 * 60,
    };

    /// Checked hours: opening in 0..1440, closing in 0..=1440, and not equal (0–1440 is
    /// around the clock).
    pub fn new(opens_min: u32, closes_min: u32) -> Result<OpeningHours> {
        if opens_min >= 1440 {
            return Err(WfmError::invalid(
                "opens_min",
                opens_min,
                "must be a minute of the day (0–1439)",
            ));
        }
        if closes_min > 1440 {
            return Err(WfmError::invalid(
                "closes_min",
                closes_min,
                "must be a minute of the day (0–1440)",
            ));
        }
        if opens_min == closes_min {
            return Err(WfmError::inconsistent(
                "closes_min",
                "equals opens_min; a site open around the clock is 0–1440",
            ));
        }
        Ok(OpeningHours {
            opens_min,
            closes_min,
        })
    }

    /// Whether local minute-of-day `minute` falls inside the opening hours (opening
    /// included, closing excluded).
    pub fn is_open(&self, minute: u32) -> bool {
        let m = minute % 1440;
        if self.opens_min < self.closes_min {
            (self.opens_min..self.closes_min).contains(&m)
        } else {
            m >= self.opens_min || m < self.closes_min
        }
    }
}

/// Advisors scheduled at a site in an interval, until real shift schedules exist: every
/// rostered advisor while the site is open at the interval's local midpoint, nobody
/// otherwise. The midpoint decides half-hour offsets against hourly intervals.
pub fn rostered_on_shift(rostered: u64, hours: OpeningHours, local_midpoint_min: u32) -> u64 {
    if hours.is_open(local_midpoint_min) {
        rostered
    } else {
        0
    }
}

/// Advisors actually on contacts out of `scheduled` once shrinkage is taken:
/// floor(scheduled × (1 − shrinkage)), the mirror of [`with_shrinkage`].
pub fn on_floor(scheduled: u64, shrinkage: f64) -> Result<u64> {
    unit_lower("shrinkage", shrinkage)?;
    Ok((scheduled as f64 * (1.0 - shrinkage) + 1e-9).floor() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::workload_fte;

    fn phone(aht_s: f64) -> ChannelRule {
        ChannelRule {
            channel: "phone".into(),
            rule: Rule::Live {
                target: Target::new(0.8, 20.0),
                aht_s,
                patience_s: None,
                concurrency: 1,
            },
        }
    }

    #[test]
    fn live_channels_use_the_exact_erlang_minimum_and_shrinkage() {
        // The published example: 100 calls / 30 min, AHT 180 s, 80/20 → 14 advisors.
        let volumes = vec![vec![100.0, 0.0, 1e-9]];
        let open = vec![true; 3];
        let need = plan_day(
            &[phone(180.0)],
            &DayInput {
                interval_s: 1800.0,
                lead_in: 0,
                volumes: &volumes,
                open: &open,
                shrinkage: 0.3,
            },
        )
        .unwrap();
        assert_eq!((need[0].required, need[0].to_schedule), (14, 20));
        assert_eq!(need[0].by_channel, vec![14.0]);
        assert_eq!(
            (need[1].required, need[2].required),
            (0, 0),
            "no demand, nobody"
        );
    }

    #[test]
    fn chat_slots_are_shared_by_concurrency() {
        let rules = default_rules();
        let chat = rules.iter().find(|r| r.channel == "chat").unwrap().clone();
        let volumes = vec![vec![60.0]];
        let need = plan_day(
            &[chat],
            &DayInput {
                interval_s: 3600.0,
                lead_in: 0,
                volumes: &volumes,
                open: &[true],
                shrinkage: 0.0,
            },
        )
        .unwrap();
        let slots = required_advisors(&StaffingRequest {
            contacts: 60.0,
            interval_s: 3600.0,
            aht_s: 600.0,
            target: Target::new(0.8, 60.0),
            patience_s: None,
            shrinkage: 0.0,
        })
        .unwrap()
        .required;
        assert_eq!(need[0].required, slots.div_ceil(2));
    }

    #[test]
    fn deferred_work_is_pooled_and_waits_for_opening() {
        let rules: Vec<ChannelRule> = default_rules()
            .into_iter()
            .filter(|r| r.channel == "email" || r.channel == "social")
            .collect();
        // Steady e-mail and social, always open: each interval works what arrives.
        let volumes = vec![vec![30.0; 24], vec![12.0; 24]];
        let open = vec![true; 24];
        let need = plan_day(
            &rules,
            &DayInput {
                interval_s: 3600.0,
                lead_in: 12,
                volumes: &volumes,
                open: &open,
                shrinkage: 0.0,
            },
        )
        .unwrap();
        assert_eq!(need.len(), 12);
        let email = workload_fte(30.0, 480.0, 3600.0, 0.85, 1.0, 0.0).unwrap();
        let social = workload_fte(12.0, 300.0, 3600.0, 0.85, 1.0, 0.0).unwrap();
        for n in &need {
            assert!((n.by_channel[0] - email).abs() < 1e-9, "{n:?}");
            assert!((n.by_channel[1] - social).abs() < 1e-9, "{n:?}");
            // 4.71 + 1.18 FTE share advisors: 6, not 5 + 2.
            assert_eq!(n.required, (email + social).ceil() as u64);
        }

        // Closed until 08:00: nothing is worked at night, the backlog is worked after.
        let mut open = vec![false; 8];
        open.extend(vec![true; 16]);
        let volumes = vec![vec![10.0; 24], vec![0.0; 24]];
        let need = plan_day(
            &rules,
            &DayInput {
                interval_s: 3600.0,
                lead_in: 0,
                volumes: &volumes,
                open: &open,
                shrinkage: 0.0,
            },
        )
        .unwrap();
        assert!(need[..8].iter().all(|n| n.required == 0));
        assert!(
            need[8].by_channel[0] > need[20].by_channel[0],
            "morning backlog"
        );
    }

    #[test]
    fn mismatched_inputs_name_the_field() {
        let volumes = vec![vec![1.0; 3]];
        let err = plan_day(
            &[phone(300.0)],
            &DayInput {
                interval_s: 3600.0,
                lead_in: 0,
                volumes: &volumes,
                open: &[true; 2],
                shrinkage: 0.3,
            },
        )
        .unwrap_err();
        assert!(matches!(err, WfmError::Inconsistent { ref field, .. } if field == "volumes[0]"));
        let err = plan_day(
            &[phone(300.0)],
            &DayInput {
                interval_s: 3600.0,
                lead_in: 0,
                volumes: &volumes,
                open: &[true; 3],
                shrinkage: 1.0,
            },
        )
        .unwrap_err();
        assert!(matches!(err, WfmError::InvalidInput { ref field, .. } if field == "shrinkage"));
    }

    #[test]
    fn opening_hours_and_rostering() {
        let h = OpeningHours::DEFAULT;
        assert!(!h.is_open(7 * 60 + 59));
        assert!(h.is_open(8 * 60));
        assert!(h.is_open(19 * 60 + 59));
        assert!(!h.is_open(20 * 60));
        let night = OpeningHours::new(22 * 60, 6 * 60).unwrap();
        assert!(night.is_open(23 * 60) && night.is_open(60) && !night.is_open(12 * 60));
        let always = OpeningHours::new(0, 1440).unwrap();
        assert!(always.is_open(0) && always.is_open(1439));
        assert!(OpeningHours::new(600, 600).is_err());
        assert!(OpeningHours::new(0, 1500).is_err());
        assert_eq!(rostered_on_shift(12, h, 8 * 60 + 30), 12);
        assert_eq!(rostered_on_shift(12, h, 20 * 60 + 30), 0);
        assert_eq!(on_floor(10, 0.3).unwrap(), 7);
        assert_eq!(on_floor(20, 0.3).unwrap(), 14);
        assert!(on_floor(20, 1.2).is_err());
    }

    fn flat_history(days: i64, per_hour: f64) -> History {
        // Starts on a Monday (1970-01-05), local midnight.
        let start = 4 * 86_400;
        History {
            interval_s: 3600,
            points: (0..days * 24)
                .map(|h| (start + h * 3600, per_hour))
                .collect(),
        }
    }

    #[test]
    fn the_forecast_uses_what_the_history_supports() {
        assert_eq!(fit_history(&flat_history(5, 2.0)).unwrap(), None);
        let short = fit_history(&flat_history(10, 2.0)).unwrap().unwrap();
        assert_eq!(short.trend, Trend::None);
        assert_eq!(short.accuracy, None, "too short to hold a week out");
        let long = fit_history(&flat_history(28, 2.0)).unwrap().unwrap();
        assert_eq!(long.trend, Trend::Linear);
        let acc = long.accuracy.unwrap();
        assert!(acc.mape < 1e-6, "{acc:?}");
        let ts = 4 * 86_400 + 28 * 86_400 + 9 * 3600;
        assert!((long.model.at(ts) - 2.0).abs() < 1e-9);
        let bad = History {
            interval_s: 7,
            points: vec![(0, 1.0)],
        };
        assert!(fit_history(&bad).is_err());
    }
}
