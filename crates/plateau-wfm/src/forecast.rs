//! Contact-volume forecasts per interval from a queue's own history: multiplicative
//! decomposition into a trend of the daily level, a day-of-week factor, an intraday profile
//! per day of week, and holiday multipliers; plus hold-out accuracy (MAPE) on recent weeks.
//!
//! Timestamps are seconds since 1970-01-01 in the *site's local time* (the caller converts
//! from UTC with the site's time zone), because seasonality follows local clocks.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WfmError};

const DAY_S: i64 = 86_400;

/// A calendar date, for holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    /// Year (proleptic Gregorian).
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date> {
        let bad = || WfmError::invalid("date", format!("{s:?}"), "must be a valid YYYY-MM-DD date");
        let mut it = s.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        let date = Date {
            year: y.parse().map_err(|_| bad())?,
            month: m.parse().map_err(|_| bad())?,
            day: d.parse().map_err(|_| bad())?,
        };
        if !(1..=12).contains(&date.month)
            || date.day == 0
            || date.day > days_in_month(date.year, date.month)
        {
            return Err(bad());
        }
        Ok(date)
    }

    /// Days since 1970-01-01 (Hinnant's `days_from_civil`).
    pub fn day_number(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Day of week of a day number, Monday = 0 (1970-01-01 was a Thursday).
pub fn weekday(day_number: i64) -> usize {
    (day_number + 3).rem_euclid(7) as usize
}

/// A holiday: its date, and its volume multiplier if known (otherwise learned from the
/// holidays present in the history).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Holiday {
    /// The date.
    pub date: Date,
    /// Volume relative to an ordinary day of the same weekday; `None` to learn it.
    #[serde(default)]
    pub multiplier: Option<f64>,
}

/// Trend model for the daily level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Constant level (the mean of the history).
    None,
    /// Least-squares line through the deseasonalised daily totals (equivalently, a linear
    /// trend of weekly totals).
    #[default]
    Linear,
}

/// Forecast settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ForecastConfig {
    /// Trend model.
    #[serde(default)]
    pub trend: Trend,
    /// Holidays in the history and in the forecast horizon.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Observed volumes: `(local timestamp in seconds, contacts)` at the start of each interval.
/// Intervals absent between the first and the last point count as zero contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Interval length in seconds; must divide a day.
    pub interval_s: u32,
    /// Points in increasing time order, aligned on the interval.
    pub points: Vec<(i64, f64)>,
}

/// A fitted forecast model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    interval_s: u32,
    /// Day number the trend is measured from.
    origin_day: i64,
    level_intercept: f64,
    level_slope: f64,
    /// Day-of-week factors (Monday first), mean 1.
    pub weekday_factors: [f64; 7],
    /// Intraday share of the day's volume per slot, per weekday.
    intraday: Vec<Vec<f64>>,
    /// Multiplier learned from the history's holidays (1 when it holds none).
    pub learned_holiday_multiplier: f64,
    holidays: Vec<Holiday>,
}

struct Grid {
    first_day: i64,
    slots: usize,
    /// counts[day offset][slot] for every day touched by the history.
    counts: Vec<Vec<f64>>,
    /// Whether the whole day lies inside the observed range.
    full: Vec<bool>,
}

fn grid(h: &History) -> Result<Grid> {
    let iv = i64::from(h.interval_s);
    if h.interval_s == 0 || DAY_S % iv != 0 {
        return Err(WfmError::invalid(
            "interval_s",
            h.interval_s,
            "must be > 0 and divide 86400",
        ));
    }
    if h.points.is_empty() {
        return Err(WfmError::invalid("points", 0, "the history is empty"));
    }
    let slots = (DAY_S / iv) as usize;
    for (i, &(ts, c)) in h.points.iter().enumerate() {
        if ts.rem_euclid(iv) != 0 {
            return Err(WfmError::invalid(
                format!("points[{i}].timestamp"),
                ts,
                "must be aligned on interval_s",
            ));
        }
        if i > 0 && ts <= h.points[i - 1].0 {
            return Err(WfmError::invalid(
                format!("points[{i}].timestamp"),
                ts,
                "must be strictly increasing",
            ));
        }
        if !(c.is_finite() && c >= 0.0) {
            return Err(WfmError::invalid(
                format!("points[{i}].count"),
                c,
                "must be a finite number >= 0",
            ));
        }
    }
    let first_ts = h.points[0].0;
    let last_ts = h.points[h.points.len() - 1].0;
    let first_day = first_ts.div_euclid(DAY_S);
    let last_day = last_ts.div_euclid(DAY_S);
    let ndays = (last_day - first_day + 1) as usize;
    let mut counts = vec![vec![0.0; slots]; ndays];
    for &(ts, c) in &h.points {
        let d = (ts.div_euclid(DAY_S) - first_day) as usize;
        let s = (ts.rem_euclid(DAY_S) / iv) as usize;
        counts[d][s] = c;
    }
    let mut full = vec![true; ndays];
    full[0] = first_ts.rem_euclid(DAY_S) == 0;
    full[ndays - 1] = last_ts.rem_euclid(DAY_S) == DAY_S - iv;
    Ok(Grid {
        first_day,
        slots,
        counts,
        full,
    })
}

impl Model {
    /// Fits the model. Needs at least 14 full days with a linear trend, 7 without.
    pub fn fit(history: &History, config: &ForecastConfig) -> Result<Model> {
        for (i, h) in config.holidays.iter().enumerate() {
            if let Some(m) = h.multiplier {
                if !(m.is_finite() && m >= 0.0) {
                    return Err(WfmError::invalid(
                        format!("holidays[{i}].multiplier"),
                        m,
                        "must be a finite number >= 0",
                    ));
                }
            }
        }
        let g = grid(history)?;
        let holiday_days: Vec<i64> = config
            .holidays
            .iter()
            .map(|h| h.date.day_number())
            .collect();
        let is_holiday = |day: i64| holiday_days.contains(&day);
        // (day number, total) of full ordinary days.
        let days: Vec<(i64, f64)> = g
            .counts
            .iter()
            .enumerate()
            .filter(|(i, _)| g.full[*i])
            .map(|(i, c)| (g.first_day + i as i64, c.iter().sum::<f64>()))
            .filter(|(d, _)| !is_holiday(*d))
            .collect();
        let need = if config.trend == Trend::Linear { 14 } else { 7 };
        if days.len() < need {
            return Err(WfmError::invalid(
                "points",
                format!("{} full ordinary days", days.len()),
                format!("need at least {need} full non-holiday days of history"),
            ));
        }
        for wd in 0..7 {
            if !days.iter().any(|(d, _)| weekday(*d) == wd) {
                return Err(WfmError::invalid(
                    "points",
                    "history",
                    "must cover every day of the week",
                ));
            }
        }
        let origin = days[0].0;
        let mut f = [1.0f64; 7];
        let (mut a, mut b) = (0.0, 0.0);
        // Alternate the level fit and the weekday factors; converges in a few rounds because
        // the two are nearly orthogonal over whole weeks.
        for _ in 0..8 {
            let pts: Vec<(f64, f64)> = days
                .iter()
                .filter(|(d, _)| f[weekday(*d)] > 0.0)
                .map(|(d, y)| ((d - origin) as f64, y / f[weekday(*d)]))
                .collect();
            (a, b) = match config.trend {
                Trend::None => (
                    pts.iter().map(|p| p.1).sum::<f64>() / pts.len().max(1) as f64,
                    0.0,
                ),
                Trend::Linear => least_squares(&pts),
            };
            let mut sum = [0.0f64; 7];
            let mut cnt = [0u32; 7];
            for (d, y) in &days {
                let lvl = a + b * (d - origin) as f64;
                if lvl > 0.0 {
                    sum[weekday(*d)] += y / lvl;
                    cnt[weekday(*d)] += 1;
                }
            }
            for wd in 0..7 {
                f[wd] = if cnt[wd] > 0 {
                    sum[wd] / f64::from(cnt[wd])
                } else {
                    0.0
                };
            }
            let mean = f.iter().sum::<f64>() / 7.0;
            if mean > 0.0 {
                f.iter_mut().for_each(|x| *x /= mean);
            } else {
                break;
            }
        }
        let mut intraday = vec![vec![0.0; g.slots]; 7];
        let mut totals = [0.0f64; 7];
        for (i, c) in g.counts.iter().enumerate() {
            let d = g.first_day + i as i64;
            if g.full[i] && !is_holiday(d) {
                let wd = weekday(d);
                for (s, v) in c.iter().enumerate() {
                    intraday[wd][s] += v;
                }
                totals[wd] += c.iter().sum::<f64>();
            }
        }
        for wd in 0..7 {
            if totals[wd] > 0.0 {
                intraday[wd].iter_mut().for_each(|x| *x /= totals[wd]);
            }
        }
        let mut model = Model {
            interval_s: history.interval_s,
            origin_day: origin,
            level_intercept: a,
            level_slope: b,
            weekday_factors: f,
            intraday,
            learned_holiday_multiplier: 1.0,
            holidays: config.holidays.clone(),
        };
        let ratios: Vec<f64> = g
            .counts
            .iter()
            .enumerate()
            .filter(|(i, _)| g.full[*i])
            .filter_map(|(i, c)| {
                let d = g.first_day + i as i64;
                let base = model.baseline_day(d);
                (is_holiday(d) && base > 0.0).then(|| c.iter().sum::<f64>() / base)
            })
            .collect();
        if !ratios.is_empty() {
            model.learned_holiday_multiplier = ratios.iter().sum::<f64>() / ratios.len() as f64;
        }
        Ok(model)
    }

    fn baseline_day(&self, day: i64) -> f64 {
        let lvl = self.level_intercept + self.level_slope * (day - self.origin_day) as f64;
        (lvl * self.weekday_factors[weekday(day)]).max(0.0)
    }

    fn day_multiplier(&self, day: i64) -> f64 {
        match self.holidays.iter().find(|h| h.date.day_number() == day) {
            Some(h) => h.multiplier.unwrap_or(self.learned_holiday_multiplier),
            None => 1.0,
        }
    }

    /// Forecast volume of the interval starting at local timestamp `ts`.
    pub fn at(&self, ts: i64) -> f64 {
        let day = ts.div_euclid(DAY_S);
        let slot = (ts.rem_euclid(DAY_S) / i64::from(self.interval_s)) as usize;
        let share = self.intraday[weekday(day)]
            .get(slot)
            .copied()
            .unwrap_or(0.0);
        self.baseline_day(day) * self.day_multiplier(day) * share
    }

    /// Forecasts `count` consecutive intervals starting at `from_ts` (rounded down to the
    /// interval grid).
    pub fn forecast(&self, from_ts: i64, count: usize) -> Vec<(i64, f64)> {
        let iv = i64::from(self.interval_s);
        let start = from_ts - from_ts.rem_euclid(iv);
        (0..count as i64)
            .map(|k| (start + k * iv, self.at(start + k * iv)))
            .collect()
    }

    /// Interval length of the model, seconds.
    pub fn interval_s(&self) -> u32 {
        self.interval_s
    }
}

fn least_squares(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

/// Forecast accuracy on held-out weeks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Mean absolute percentage error over intervals with a non-zero actual, in percent
    /// (MAPE is undefined at zero actuals, which nights produce in numbers).
    pub mape: f64,
    /// MAPE of daily totals, in percent.
    pub daily_mape: f64,
    /// Weighted absolute percentage error `Σ|actual − forecast| / Σ actual`, in percent.
    pub wape: f64,
    /// Intervals scored by `mape`.
    pub points: usize,
}

/// Holds out the last `weeks` whole weeks of `history`, fits on the rest, and scores the
/// forecast of the held-out weeks.
pub fn holdout_accuracy(
    history: &History,
    config: &ForecastConfig,
    weeks: u32,
) -> Result<Accuracy> {
    if weeks == 0 {
        return Err(WfmError::invalid("weeks", 0, "must be at least 1"));
    }
    let g = grid(history)?;
    let last_full = (0..g.full.len()).rev().find(|&i| g.full[i]).unwrap_or(0) as i64 + g.first_day;
    let split_day = last_full + 1 - 7 * i64::from(weeks);
    let split_ts = split_day * DAY_S;
    let end_ts = (last_full + 1) * DAY_S;
    let train = History {
        interval_s: history.interval_s,
        points: history
            .points
            .iter()
            .copied()
            .filter(|p| p.0 < split_ts)
            .collect(),
    };
    let model = Model::fit(&train, config)?;
    let iv = i64::from(history.interval_s);
    let mut actual = vec![0.0; ((end_ts - split_ts) / iv) as usize];
    for &(ts, c) in &history.points {
        if ts >= split_ts && ts < end_ts {
            actual[((ts - split_ts) / iv) as usize] = c;
        }
    }
    let per_day = (DAY_S / iv) as usize;
    let (mut ape, mut n, mut abs_err, mut total) = (0.0, 0usize, 0.0, 0.0);
    let (mut dape, mut dn) = (0.0, 0usize);
    for (d, chunk) in actual.chunks(per_day).enumerate() {
        let mut fd = 0.0;
        for (s, &a) in chunk.iter().enumerate() {
            let f = model.at(split_ts + ((d * per_day + s) as i64) * iv);
            fd += f;
            abs_err += (a - f).abs();
            total += a;
            if a > 0.0 {
                ape += (a - f).abs() / a;
                n += 1;
            }
        }
        let ad: f64 = chunk.iter().sum();
        if ad > 0.0 {
            dape += (ad - fd).abs() / ad;
            dn += 1;
        }
    }
    if n == 0 || total == 0.0 {
        return Err(WfmError::invalid(
            "points",
            "held-out weeks",
            "contain no contacts to score against",
        ));
    }
    Ok(Accuracy {
        mape: 100.0 * ape / n as f64,
        daily_mape: if dn > 0 {
            100.0 * dape / dn as f64
        } else {
            0.0
        },
        wape: 100.0 * abs_err / total,
        points: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic history: weekday profile, two daily peaks, 1%/week growth, a holiday at
    /// 40% volume, deterministic (no noise) so the decomposition must recover it exactly.
    fn synthetic(weeks: i64, holiday: Option<Date>) -> History {
        let start = Date::parse("2024-01-01").unwrap().day_number(); // a Monday
        let wd_factor = [1.2, 1.1, 1.0, 1.0, 1.1, 0.6, 0.0];
        let mut points = Vec::new();
        for d in 0..weeks * 7 {
            let day = start + d;
            let level = 1000.0 * (1.0 + 0.01 * d as f64 / 7.0);
            let hol = holiday.is_some_and(|h| h.day_number() == day);
            for s in 0..48i64 {
                let hour = s as f64 / 2.0;
                let shape = if (8.0..20.0).contains(&hour) {
                    1.0 + (-(hour - 11.0f64).powi(2) / 2.0).exp()
                        + (-(hour - 17.0f64).powi(2) / 2.0).exp()
                } else {
                    0.0
                };
                let v =
                    level * wd_factor[weekday(day)] * shape * if hol { 0.4 } else { 1.0 } / 30.0;
                points.push((day * DAY_S + s * 1800, v));
            }
        }
        History {
            interval_s: 1800,
            points,
        }
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("1970-01-01").unwrap().day_number(), 0);
        assert_eq!(Date::parse("2024-03-01").unwrap().day_number(), 19_783);
        assert_eq!(weekday(Date::parse("2024-01-01").unwrap().day_number()), 0);
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2024-13-01").is_err());
    }

    #[test]
    fn recovers_a_clean_series() {
        let h = synthetic(10, None);
        let acc = holdout_accuracy(&h, &ForecastConfig::default(), 2).unwrap();
        assert!(acc.mape < 1.0 && acc.wape < 1.0, "{acc:?}");
        let m = Model::fit(&h, &ForecastConfig::default()).unwrap();
        assert_eq!(m.weekday_factors[6], 0.0);
        assert!(m.weekday_factors[0] > m.weekday_factors[2]);
    }

    #[test]
    fn learns_and_applies_holidays() {
        let hol = Date::parse("2024-02-14").unwrap(); // a Wednesday in week 7
        let h = synthetic(8, Some(hol));
        let cfg = ForecastConfig {
            trend: Trend::Linear,
            holidays: vec![
                Holiday {
                    date: hol,
                    multiplier: None,
                },
                Holiday {
                    date: Date::parse("2024-03-06").unwrap(),
                    multiplier: None,
                },
            ],
        };
        let m = Model::fit(&h, &cfg).unwrap();
        assert!(
            (m.learned_holiday_multiplier - 0.4).abs() < 0.02,
            "{}",
            m.learned_holiday_multiplier
        );
        let noon = |date: &str| Date::parse(date).unwrap().day_number() * DAY_S + 12 * 3600;
        let ratio = m.at(noon("2024-03-06")) / m.at(noon("2024-02-28"));
        assert!((ratio - 0.4).abs() < 0.03, "{ratio}");
    }

    #[test]
    fn bad_points_are_located() {
        let mut h = synthetic(3, None);
        h.points[5].1 = f64::NAN;
        let e = Model::fit(&h, &ForecastConfig::default()).unwrap_err();
        assert!(
            matches!(e, WfmError::InvalidInput { ref field, .. } if field == "points[5].count"),
            "{e}"
        );
        let mut h = synthetic(3, None);
        h.points[7].0 += 1;
        assert!(Model::fit(&h, &ForecastConfig::default()).is_err());
    }
}
