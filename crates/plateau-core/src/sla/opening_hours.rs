//! Opening hours as people write them — `mon-fri 08:00-20:00` and
//! `sam 09:00-12:00, 14:00-18:00`, English or French day names, one rule per
//! line, night shifts past midnight allowed — plus holidays as ISO dates,
//! parsed into a [`Calendar`] with errors that name the line.

use time::{Date, Weekday};

use super::calendar::Calendar;
use crate::DomainError;

const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Monday, "mon", "lun"),
    (Weekday::Tuesday, "tue", "mar"),
    (Weekday::Wednesday, "wed", "mer"),
    (Weekday::Thursday, "thu", "jeu"),
    (Weekday::Friday, "fri", "ven"),
    (Weekday::Saturday, "sat", "sam"),
    (Weekday::Sunday, "sun", "dim"),
];

/// At most this many lines of hours or holidays: a calendar, not a dump.
pub const MAX_LINES: usize = 400;

fn day_index(word: &str) -> Option<usize> {
    let w = word.trim().to_lowercase();
    let w = w.get(..3).unwrap_or(&w);
    DAYS.iter().position(|(_, en, fr)| *en == w || *fr == w)
}

fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn days(spec: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    day_index(a).ok_or(format!("{a:?} is not a day"))?,
                    day_index(b).ok_or(format!("{b:?} is not a day"))?,
                );
                // mon-fri, or sat-mon wrapping over the week's end.
                let mut d = a;
                loop {
                    out.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => out.push(day_index(part).ok_or(format!("{part:?} is not a day"))?),
        }
    }
    if out.is_empty() {
        return Err("name the days first, e.g. \"mon-fri 08:00-20:00\"".into());
    }
    Ok(out)
}

/// One parsed window: (day index Monday = 0, start minute, end minute).
fn line_windows(line: &str) -> Result<Vec<(usize, u16, u16)>, String> {
    let first_digit = line
        .find(|c: char| c.is_ascii_digit())
        .ok_or("add hours, e.g. \"08:00-20:00\"")?;
    let (day_part, hours_part) = line.split_at(first_digit);
    let mut out = Vec::new();
    for d in days(day_part)? {
        for range in hours_part
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let (a, b) = range
                .split_once('-')
                .ok_or(format!("{range:?}: write a range like 08:00-20:00"))?;
            let (s, e) = (
                minutes(a).ok_or(format!("{a:?} is not a time (HH:MM)"))?,
                minutes(b).ok_or(format!("{b:?} is not a time (HH:MM)"))?,
            );
            if s == e {
                return Err(format!("{range:?} is empty"));
            }
            if s < e {
                out.push((d, s, e));
            } else {
                // A night shift: until midnight, then on into the next day.
                out.push((d, s, 1440));
                if e > 0 {
                    out.push(((d + 1) % 7, 0, e));
                }
            }
        }
    }
    Ok(out)
}

/// Parses opening hours and holidays into a calendar. Every bad line is
/// reported (field `hours` or `holidays`, with its line number).
pub fn parse(hours: &str, holidays: &str) -> Result<Calendar, DomainError> {
    let mut errors = crate::error::Validator::new();
    let mut windows = Vec::new();
    let lines: Vec<&str> = hours
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.len() > MAX_LINES {
        errors.push("hours", format!("at most {MAX_LINES} lines"));
    }
    for (i, line) in lines.iter().enumerate().take(MAX_LINES) {
        match line_windows(line) {
            Ok(w) => windows.extend(w),
            Err(m) => errors.push("hours", format!("rule {}: {m}", i + 1)),
        }
    }
    let mut dates = Vec::new();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    for (i, line) in holidays
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .take(MAX_LINES)
    {
        // "2026-12-25 Noël": the date, then an optional label.
        let word = line.split_whitespace().next().unwrap_or(line);
        match Date::parse(word, &format) {
            Ok(d) => dates.push(d),
            Err(_) => errors.push(
                "holidays",
                format!("line {}: {word:?} is not a date (YYYY-MM-DD)", i + 1),
            ),
        }
    }
    errors.finish()?;
    let windows: Vec<(Weekday, u16, u16)> = windows
        .into_iter()
        .map(|(d, s, e)| (DAYS[d].0, s, e))
        .collect();
    Calendar::new(&windows, &dates).map_err(|m| DomainError::field("hours", m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{BusinessTime, UtcOffsets};
    use crate::Timestamp;
    use time::macros::datetime;

    fn at(dt: time::PrimitiveDateTime) -> Timestamp {
        Timestamp::from_datetime(dt.assume_utc())
    }

    #[test]
    fn people_write_hours_in_english_or_french_with_night_shifts() {
        let cal = parse(
            "lun-ven 08:00-20:00\nsam 09:00-12:00, 14:00-18:00\nsun 22:00-02:00",
            "2026-12-25 Noël",
        )
        .unwrap();
        let bt = BusinessTime::new(cal, UtcOffsets::fixed(0));
        // 2026-11-23 is a Monday.
        assert!(bt.is_open(at(datetime!(2026-11-23 08:00))));
        assert!(!bt.is_open(at(datetime!(2026-11-23 20:00))));
        assert!(
            bt.is_open(at(datetime!(2026-11-28 14:30))),
            "Saturday afternoon"
        );
        assert!(
            !bt.is_open(at(datetime!(2026-11-28 13:00))),
            "Saturday lunch"
        );
        assert!(
            bt.is_open(at(datetime!(2026-11-23 01:00))),
            "Sunday night runs into Monday"
        );
        assert!(!bt.is_open(at(datetime!(2026-12-25 10:00))), "Christmas");
        assert_eq!(
            bt.next_open(at(datetime!(2026-11-23 21:00))),
            Some(at(datetime!(2026-11-24 08:00)))
        );
        // Wrapping ranges of days.
        let cal = parse("fri-mon 10:00-11:00", "").unwrap();
        let bt = BusinessTime::new(cal, UtcOffsets::fixed(0));
        assert!(bt.is_open(at(datetime!(2026-11-29 10:30))), "Sunday");
        assert!(!bt.is_open(at(datetime!(2026-11-25 10:30))), "Wednesday");
    }

    #[test]
    fn every_bad_line_is_named() {
        let Err(DomainError::Invalid(errs)) = parse(
            "mon-fri 8h-20h\nfunday 09:00-10:00\nmon 09:00-09:00\n25:00",
            "2026-13-01\nnoël",
        ) else {
            panic!("accepted bad hours")
        };
        let messages: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(messages.len(), 6, "{messages:?}");
        assert!(messages[0].starts_with("hours: rule 1"), "{messages:?}");
        assert!(messages[5].starts_with("holidays: line 2"), "{messages:?}");
        assert!(parse("", "").is_err(), "a calendar that never opens");
    }
}
