//! Business calendars: weekly opening hours in local minutes plus holidays,
//! and business time over them (how much open time lies between two instants,
//! and which instant comes a given amount of open time after another).
//!
//! The contract with the caller: local time is UTC plus an offset that the
//! caller supplies as a table of transitions ([`UtcOffsets`]), resolved from the
//! tz database outside the core. Across a transition, business time counts the
//! real elapsed seconds that fall inside opening hours under the offset in
//! force at each moment, so a DST change never creates or loses open time that
//! did not happen on the wall clock.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, Weekday};

use crate::Timestamp;

const SEC: i64 = 1_000_000;
const DAY: i64 = 86_400 * SEC;
/// Julian day number of 1970-01-01, to turn dates into epoch days.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// Searches for open time stop after this many days: a calendar that does not
/// open within ten years is treated as never opening.
const HORIZON_DAYS: i64 = 3_660;

/// UTC offsets in force from given instants, in seconds east of UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtcOffsets {
    /// Offset before the first transition (or always, if there is none).
    pub initial: i32,
    /// (from, offset) sorted by instant.
    pub transitions: Vec<(Timestamp, i32)>,
}

impl UtcOffsets {
    pub fn fixed(offset_secs: i32) -> Self {
        UtcOffsets {
            initial: offset_secs,
            transitions: Vec::new(),
        }
    }

    pub fn new(initial: i32, mut transitions: Vec<(Timestamp, i32)>) -> Result<Self, String> {
        transitions.sort_by_key(|t| t.0);
        if transitions.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err("two offset transitions at the same instant".into());
        }
        if std::iter::once(initial)
            .chain(transitions.iter().map(|t| t.1))
            .any(|o| o.abs() > 18 * 3600)
        {
            return Err("UTC offsets lie within ±18 hours".into());
        }
        Ok(UtcOffsets {
            initial,
            transitions,
        })
    }

    /// Offset in force at `t`, in seconds east of UTC.
    pub fn at(&self, t: Timestamp) -> i32 {
        let i = self.transitions.partition_point(|x| x.0 <= t);
        if i == 0 {
            self.initial
        } else {
            self.transitions[i - 1].1
        }
    }

    /// Offset in force at `t`, in microseconds, and the instant it stops being in force.
    fn segment(&self, t: Timestamp) -> (i64, Option<Timestamp>) {
        let i = self.transitions.partition_point(|x| x.0 <= t);
        let off = if i == 0 {
            self.initial
        } else {
            self.transitions[i - 1].1
        };
        (i64::from(off) * SEC, self.transitions.get(i).map(|x| x.0))
    }
}

/// Weekly opening windows in local time and holidays (local dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Monday first; merged, sorted windows as local microseconds since midnight.
    weekly: [Vec<(i64, i64)>; 7],
    holidays: BTreeSet<i64>,
}

impl Calendar {
    /// `windows` are (day, start minute, end minute) in local time, end exclusive,
    /// `0 <= start < end <= 1440`; a night shift past midnight is two windows.
    pub fn new(windows: &[(Weekday, u16, u16)], holidays: &[Date]) -> Result<Calendar, String> {
        let mut weekly: [Vec<(i64, i64)>; 7] = Default::default();
        for (day, start, end) in windows {
            if start >= end || *end > 1440 {
                return Err(format!(
                    "{day}: window {}–{} must start before it ends, within the day",
                    hhmm(*start),
                    hhmm(*end)
                ));
            }
            weekly[usize::from(day.number_days_from_monday())]
                .push((i64::from(*start) * 60 * SEC, i64::from(*end) * 60 * SEC));
        }
        if weekly.iter().all(Vec::is_empty) {
            return Err("the calendar never opens: add at least one window".into());
        }
        for day in &mut weekly {
            day.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::new();
            for w in day.drain(..) {
                match merged.last_mut() {
                    Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
                    _ => merged.push(w),
                }
            }
            *day = merged;
        }
        let holidays = holidays
            .iter()
            .map(|d| i64::from(d.to_julian_day()) - EPOCH_JULIAN_DAY)
            .collect();
        Ok(Calendar { weekly, holidays })
    }

    /// Open every minute of every day.
    pub fn always_open() -> Calendar {
        Calendar {
            weekly: std::array::from_fn(|_| vec![(0, DAY)]),
            holidays: BTreeSet::new(),
        }
    }

    /// Open windows of local epoch day `d`, in local epoch microseconds.
    fn day_windows(&self, d: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let holiday = self.holidays.contains(&d);
        // 1970-01-01 was a Thursday (3 days from Monday).
        let wd = (d + 3).rem_euclid(7) as usize;
        self.weekly[wd]
            .iter()
            .filter(move |_| !holiday)
            .map(move |(s, e)| (d * DAY + s, d * DAY + e))
    }

    /// Open microseconds within the local interval [a, b).
    fn open_local(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        let mut total = 0;
        for d in a.div_euclid(DAY)..=(b - 1).div_euclid(DAY) {
            for (s, e) in self.day_windows(d) {
                total += (e.min(b) - s.max(a)).max(0);
            }
        }
        total
    }
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A calendar in a place: what SLA clocks count in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessTime {
    pub calendar: Calendar,
    pub offsets: UtcOffsets,
}

impl BusinessTime {
    pub fn new(calendar: Calendar, offsets: UtcOffsets) -> Self {
        BusinessTime { calendar, offsets }
    }

    /// Open microseconds between two UTC instants (zero if `to <= from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let mut total = 0;
        let mut t = from;
        while t < to {
            let (off, until) = self.offsets.segment(t);
            let end = until.map_or(to, |u| u.min(to));
            total += self.calendar.open_local(t.0 + off, end.0 + off);
            t = end;
        }
        total
    }

    pub fn is_open(&self, t: Timestamp) -> bool {
        let (off, _) = self.offsets.segment(t);
        let local = t.0 + off;
        self.calendar
            .day_windows(local.div_euclid(DAY))
            .any(|(s, e)| s <= local && local < e)
    }

    /// The instant at which `budget` open microseconds have passed after `from`.
    /// With a zero budget this is the next opening (or `from` if open): what
    /// to tell a customer who contacts a closed brand.
    pub fn add(&self, from: Timestamp, budget: i64) -> Option<Timestamp> {
        let mut left = budget.max(0);
        let mut t = from;
        let stop = from.0.saturating_add(HORIZON_DAYS * DAY);
        while t.0 < stop {
            let (off, until) = self.offsets.segment(t);
            let seg_end = until.map_or(stop, |u| u.0.min(stop)) + off;
            let a = t.0 + off;
            let mut d = a.div_euclid(DAY);
            while d * DAY < seg_end {
                for (s, e) in self.calendar.day_windows(d) {
                    let (s, e) = (s.max(a), e.min(seg_end));
                    if s >= e {
                        continue;
                    }
                    if left <= e - s {
                        return Some(Timestamp(s + left - off));
                    }
                    left -= e - s;
                }
                d += 1;
            }
            t = Timestamp(seg_end - off);
        }
        None
    }

    pub fn next_open(&self, from: Timestamp) -> Option<Timestamp> {
        self.add(from, 0)
    }

    /// The first instant after `from` at which the site opens (if closed) or
    /// closes (if open): when a router must be told its state changed. A
    /// window that ends where the next begins (a night shift across
    /// midnight) is not a closing. None if nothing changes in the horizon.
    pub fn next_change(&self, from: Timestamp) -> Option<Timestamp> {
        if !self.is_open(from) {
            return self.next_open(from);
        }
        let stop = from.0.saturating_add(HORIZON_DAYS * DAY);
        let mut t = from;
        while t.0 < stop {
            let (off, until) = self.offsets.segment(t);
            let local = t.0 + off;
            let end_local = self
                .calendar
                .day_windows(local.div_euclid(DAY))
                .find(|(s, e)| *s <= local && local < *e)
                .map(|(_, e)| e)?;
            // An offset change inside the window: look again from there.
            let end = match until {
                Some(u) if u.0 < end_local - off => u,
                _ => Timestamp(end_local - off),
            };
            if !self.is_open(end) {
                return Some(end);
            }
            t = end;
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub(crate) fn ts(dt: time::PrimitiveDateTime) -> Timestamp {
        Timestamp::from_datetime(dt.assume_utc())
    }

    /// Monday–Friday 09:00–18:00, Saturday 09:00–12:00.
    pub(crate) fn office() -> Calendar {
        let mut w = Vec::new();
        for d in [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ] {
            w.push((d, 9 * 60, 18 * 60));
        }
        w.push((Weekday::Saturday, 9 * 60, 12 * 60));
        Calendar::new(&w, &[date!(2026 - 12 - 25)]).unwrap()
    }

    #[test]
    fn the_next_change_is_a_closing_when_open_and_an_opening_when_closed() {
        let bt = BusinessTime::new(office(), UtcOffsets::fixed(0));
        // Monday 2026-12-07 10:00 → closes at 18:00; at 19:00 → Tuesday 09:00.
        assert_eq!(
            bt.next_change(ts(datetime!(2026-12-07 10:00))),
            Some(ts(datetime!(2026-12-07 18:00)))
        );
        assert_eq!(
            bt.next_change(ts(datetime!(2026-12-07 19:00))),
            Some(ts(datetime!(2026-12-08 09:00)))
        );
        // Friday 2026-12-25 is a holiday: Thursday 18:00 → Saturday 09:00.
        assert_eq!(
            bt.next_change(ts(datetime!(2026-12-24 18:00))),
            Some(ts(datetime!(2026-12-26 09:00)))
        );
        // A night shift across midnight closes in the morning, not at 00:00.
        let night = Calendar::new(
            &[
                (Weekday::Monday, 22 * 60, 24 * 60),
                (Weekday::Tuesday, 0, 6 * 60),
            ],
            &[],
        )
        .unwrap();
        let bt = BusinessTime::new(night, UtcOffsets::fixed(0));
        assert_eq!(
            bt.next_change(ts(datetime!(2026-12-07 23:00))),
            Some(ts(datetime!(2026-12-08 06:00)))
        );
        // Open around the clock: nothing ever changes.
        let always = BusinessTime::new(Calendar::always_open(), UtcOffsets::fixed(0));
        assert_eq!(always.next_change(ts(datetime!(2026-12-07 10:00))), None);
    }

    #[test]
    fn counts_open_time_across_nights_weekends_and_holidays() {
        let bt = BusinessTime::new(office(), UtcOffsets::fixed(0));
        // Friday 17:00 → Monday 10:00: 1 h Friday + 3 h Saturday + 1 h Monday.
        let from = ts(datetime!(2026-11-20 17:00));
        let to = ts(datetime!(2026-11-23 10:00));
        assert_eq!(bt.between(from, to), 5 * 3600 * SEC);
        assert_eq!(bt.add(from, 5 * 3600 * SEC), Some(to));
        assert_eq!(
            bt.add(from, 3600 * SEC),
            Some(ts(datetime!(2026-11-20 18:00)))
        );
        assert_eq!(
            bt.add(from, 3600 * SEC + 1),
            Some(Timestamp(ts(datetime!(2026-11-21 09:00)).0 + 1))
        );
        // Christmas (a Friday) is closed.
        let xmas_eve = ts(datetime!(2026-12-24 17:30));
        assert_eq!(
            bt.add(xmas_eve, 3600 * SEC),
            Some(ts(datetime!(2026-12-26 09:30)))
        );
        assert!(!bt.is_open(ts(datetime!(2026-12-25 10:00))));
        assert!(bt.is_open(ts(datetime!(2026-12-24 10:00))));
        assert_eq!(
            bt.next_open(ts(datetime!(2026-11-21 12:00))),
            Some(ts(datetime!(2026-11-23 09:00)))
        );
        assert_eq!(bt.between(to, from), 0);
    }

    #[test]
    fn local_hours_follow_the_offset_and_its_transitions() {
        // Paris in winter is UTC+1: 09:00 local is 08:00 UTC.
        let paris = BusinessTime::new(office(), UtcOffsets::fixed(3600));
        assert!(paris.is_open(ts(datetime!(2026-11-23 08:00))));
        assert!(!paris.is_open(ts(datetime!(2026-11-23 07:59))));
        // Sydney night cover 22:00–08:00 local (UTC+11), every day: two windows per day.
        let mut w = Vec::new();
        for d in [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ] {
            w.push((d, 0, 8 * 60));
            w.push((d, 22 * 60, 1440));
        }
        let sydney = BusinessTime::new(
            Calendar::new(&w, &[]).unwrap(),
            UtcOffsets::fixed(11 * 3600),
        );
        // 21:00 UTC is 08:00 local the next day: just closed; 11:00 UTC is 22:00 local.
        assert!(!sydney.is_open(ts(datetime!(2026-11-23 21:00))));
        assert!(sydney.is_open(ts(datetime!(2026-11-23 11:00))));
        assert_eq!(
            sydney.between(
                ts(datetime!(2026-11-23 11:00)),
                ts(datetime!(2026-11-24 11:00))
            ),
            10 * 3600 * SEC
        );

        // Europe/Paris 2026-03-29: 01:00 UTC clocks go from 02:00 to 03:00 local.
        let dst = UtcOffsets::new(3600, vec![(ts(datetime!(2026-03-29 01:00)), 7200)]).unwrap();
        let always = BusinessTime::new(Calendar::always_open(), dst.clone());
        let a = ts(datetime!(2026-03-28 23:00));
        let b = ts(datetime!(2026-03-29 03:00));
        assert_eq!(
            always.between(a, b),
            4 * 3600 * SEC,
            "real elapsed time, not wall-clock difference"
        );
        // Open 09:00–18:00 local on Monday 30 March: 07:00–16:00 UTC after the change.
        let paris = BusinessTime::new(office(), dst);
        assert!(paris.is_open(ts(datetime!(2026-03-30 07:00))));
        assert!(!paris.is_open(ts(datetime!(2026-03-30 16:00))));
        assert_eq!(
            paris.next_open(ts(datetime!(2026-03-28 12:00))),
            Some(ts(datetime!(2026-03-30 07:00)))
        );
    }

    #[test]
    fn bad_calendars_are_refused() {
        assert!(Calendar::new(&[], &[]).unwrap_err().contains("never opens"));
        assert_eq!(
            Calendar::new(&[(Weekday::Monday, 600, 540)], &[]).unwrap_err(),
            "Monday: window 10:00–09:00 must start before it ends, within the day"
        );
        assert!(UtcOffsets::new(0, vec![(Timestamp(5), 3600), (Timestamp(5), 0)]).is_err());
        // A calendar whose only day is a holiday every week cannot be: holidays are dates, so it opens.
        let c = Calendar::new(&[(Weekday::Monday, 0, 60)], &[date!(2026 - 11 - 23)]).unwrap();
        let bt = BusinessTime::new(c, UtcOffsets::fixed(0));
        assert_eq!(
            bt.next_open(ts(datetime!(2026-11-22 00:00))),
            Some(ts(datetime!(2026-11-30 00:00)))
        );
    }
}
