//! Business calendars and SLA-time arithmetic (SLA.md, Calendars).
//!
//! A calendar's open instants are those whose local wall time (through the zone's
//! offset at that instant) falls in an open segment of its local weekday, on a local
//! date that is not a holiday. The SLA time between two instants is the measure of the
//! open instants between them, and adding `d` to `t` gives the earliest `u` with SLA time
//! `d` between `t` and `u`. The DST rules follow from that one definition: a segment that
//! crosses a change is an hour shorter or longer in real time, a local time that does not
//! exist is skipped, one that exists twice counts once per real instant.
//!
//! The arithmetic works on stretches of constant offset (between two transitions of the
//! zone): within one, open instants are the local open segments shifted by the offset,
//! and the open local time is a closed form over whole weeks minus the holidays
//! ([`measure`]). Transitions of 1900..2200 are cached per calendar, so `add` and
//! `sla_time` cost a few binary searches and no allocation.

mod measure;
mod offsets;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jiff::tz::TimeZone;

use self::measure::{day_number, LocalMeasure};
use self::offsets::{Offsets, MAX_INSTANT, MIN_INSTANT};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// An open segment of a local day, in minutes from local midnight: `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub start_min: u16,
    pub end_min: u16,
}

impl Segment {
    /// The segment `[start_min, end_min)`; not validated (see [`Calendar::new`]).
    pub const fn new(start_min: u16, end_min: u16) -> Segment {
        Segment { start_min, end_min }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| (m / 60, m % 60);
        let (sh, sm) = hm(self.start_min);
        let (eh, em) = hm(self.end_min);
        write!(f, "{sh:02}:{sm:02}-{eh:02}:{em:02}")
    }
}

/// Parses `HH:MM-HH:MM` (the end may be `24:00`). The order of start and end is checked
/// by [`Calendar::new`].
impl FromStr for Segment {
    type Err = CalendarError;

    fn from_str(text: &str) -> Result<Segment, CalendarError> {
        let invalid = || CalendarError::InvalidSegment(format!("{text:?}: expected HH:MM-HH:MM"));
        let parse_hm = |hm: &str| -> Option<u16> {
            let (h, m) = hm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (start, end) = text.trim().split_once('-').ok_or_else(invalid)?;
        let start_min = parse_hm(start.trim()).filter(|&m| m < 1440).ok_or_else(invalid)?;
        let end_min = parse_hm(end.trim()).ok_or_else(invalid)?;
        Ok(Segment { start_min, end_min })
    }
}

/// A local calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalDate {
    pub year: i16,
    pub month: i8,
    pub day: i8,
}

impl LocalDate {
    pub const fn new(year: i16, month: i8, day: i8) -> LocalDate {
        LocalDate { year, month, day }
    }

    /// Days since 1970-01-01, `None` if the date does not exist.
    fn day_number(self) -> Option<i64> {
        day_number(i64::from(self.year), i64::from(self.month), i64::from(self.day))
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Parses `YYYY-MM-DD`.
impl FromStr for LocalDate {
    type Err = CalendarError;

    fn from_str(text: &str) -> Result<LocalDate, CalendarError> {
        let invalid = || CalendarError::InvalidHoliday(format!("{text:?}: expected an existing date YYYY-MM-DD"));
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(invalid());
        }
        let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i16>().ok()).flatten();
        let (year, month, day) = (num(&text[0..4]), num(&text[5..7]), num(&text[8..10]));
        match (year, month, day) {
            (Some(year), Some(month), Some(day)) => {
                let date = LocalDate { year, month: month as i8, day: day as i8 };
                date.day_number().map(|_| date).ok_or_else(invalid)
            }
            _ => Err(invalid()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("the calendar has no open segment")]
    NeverOpen,
    #[error("invalid segment: {0}")]
    InvalidSegment(String),
    #[error("invalid holiday: {0}")]
    InvalidHoliday(String),
}

/// A business calendar: IANA zone, weekly open segments, holidays; or the built-in `24x7`.
///
/// Cheap to clone (the tables are shared).
#[derive(Debug, Clone)]
pub struct Calendar {
    /// `None`: the built-in `24x7`.
    zoned: Option<Arc<Zoned>>,
}

struct Zoned {
    name: String,
    /// Normalized segments per weekday (Monday first): sorted, merged.
    week: [Vec<Segment>; 7],
    /// Sorted, without duplicates.
    holidays: Vec<LocalDate>,
    /// Every day `00:00-24:00` and no holiday: open at every instant.
    full: bool,
    measure: LocalMeasure,
    offsets: Offsets,
}

impl fmt::Debug for Zoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Zoned")
            .field("timezone", &self.name)
            .field("week", &self.week)
            .field("holidays", &self.holidays)
            .finish_non_exhaustive()
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Calendar {
    /// The built-in `24x7` calendar: always open.
    pub fn always_open() -> Calendar {
        Calendar { zoned: None }
    }

    /// `week[0]` is Monday .. `week[6]` Sunday, each day's segments in local wall time.
    ///
    /// Each segment needs `start < end <= 1440`; within a day, segments are sorted and
    /// overlapping or adjacent ones merged. A calendar with no segment at all is
    /// [`CalendarError::NeverOpen`].
    pub fn new(timezone: &str, week: [Vec<Segment>; 7], holidays: Vec<LocalDate>) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(timezone).map_err(|_| CalendarError::UnknownTimeZone(timezone.to_owned()))?;
        Calendar::with_offsets(timezone, Offsets::new(tz), week, holidays)
    }

    fn with_offsets(
        timezone: &str,
        offsets: Offsets,
        week: [Vec<Segment>; 7],
        mut holidays: Vec<LocalDate>,
    ) -> Result<Calendar, CalendarError> {
        let mut normalized: [Vec<Segment>; 7] = Default::default();
        for (i, day) in week.into_iter().enumerate() {
            normalized[i] = normalize_day(DAY_NAMES[i], day)?;
        }
        if normalized.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverOpen);
        }
        holidays.sort_unstable();
        holidays.dedup();
        let mut days = Vec::with_capacity(holidays.len());
        for h in &holidays {
            days.push(h.day_number().ok_or_else(|| CalendarError::InvalidHoliday(format!("{h}: no such date")))?);
        }
        let pairs: [Vec<(u16, u16)>; 7] =
            std::array::from_fn(|i| normalized[i].iter().map(|s| (s.start_min, s.end_min)).collect());
        let full = holidays.is_empty() && pairs.iter().all(|d| d.as_slice() == [(0, 1440)]);
        let measure = LocalMeasure::new(&pairs, &days);
        Ok(Calendar {
            zoned: Some(Arc::new(Zoned {
                name: timezone.to_owned(),
                week: normalized,
                holidays,
                full,
                measure,
                offsets,
            })),
        })
    }

    /// True for the built-in `24x7` only (not for a zoned calendar that happens to be
    /// open all the time).
    pub fn is_always_open(&self) -> bool {
        self.zoned.is_none()
    }

    /// The IANA name of the zone; `None` for `24x7`.
    pub fn timezone(&self) -> Option<&str> {
        self.zoned.as_deref().map(|z| z.name.as_str())
    }

    /// The normalized weekly schedule (Monday first); `None` for `24x7`.
    pub fn week(&self) -> Option<&[Vec<Segment>; 7]> {
        self.zoned.as_deref().map(|z| &z.week)
    }

    /// The holidays, sorted, without duplicates; empty for `24x7`.
    pub fn holidays(&self) -> &[LocalDate] {
        self.zoned.as_deref().map_or(&[], |z| &z.holidays)
    }

    /// SLA time between `from` and `to` (0 when `to <= from`).
    #[inline]
    pub fn sla_time(&self, from: Millis, to: Millis) -> i64 {
        if to <= from {
            return 0;
        }
        match self.zoned.as_deref() {
            Some(z) if !z.full => z.sla_time(from, to),
            _ => to.saturating_sub(from),
        }
    }

    /// The earliest instant `u >= from` with `sla_time(from, u) == duration`; a negative
    /// duration counts as 0. On a zoned calendar, an instant that would lie past
    /// 9999-12-30T22:00:00Z is returned as that instant.
    #[inline]
    pub fn add(&self, from: Millis, duration: i64) -> Millis {
        if duration <= 0 {
            return from;
        }
        match self.zoned.as_deref() {
            Some(z) if !z.full => z.add(from, duration),
            _ => from.saturating_add(duration),
        }
    }
}

impl Zoned {
    fn sla_time(&self, from: i64, to: i64) -> i64 {
        let to = to.min(MAX_INSTANT);
        let mut t = from.max(MIN_INSTANT);
        let mut total = 0;
        while t < to {
            let (offset, next) = self.offsets.stretch(t);
            let end = next.min(to);
            total += self.measure.cumulative(end + offset) - self.measure.cumulative(t + offset);
            t = end;
        }
        total
    }

    fn add(&self, from: i64, duration: i64) -> i64 {
        if from >= MAX_INSTANT {
            return from;
        }
        let mut t = from.max(MIN_INSTANT);
        // The SLA time up to the end of the range is at most its real length.
        if duration > MAX_INSTANT - t {
            return MAX_INSTANT;
        }
        let mut need = duration;
        loop {
            let (offset, next) = self.offsets.stretch(t);
            let local = t + offset;
            let candidate = self.measure.advance(local, need) - offset;
            if candidate <= next {
                return candidate.min(MAX_INSTANT);
            }
            need -= self.measure.cumulative(next + offset) - self.measure.cumulative(local);
            t = next;
            if t >= MAX_INSTANT {
                return MAX_INSTANT;
            }
        }
    }
}

/// Validates a day's segments, then sorts them and merges overlapping or adjacent ones.
fn normalize_day(day: &str, mut segments: Vec<Segment>) -> Result<Vec<Segment>, CalendarError> {
    for s in &segments {
        if s.end_min > 1440 {
            return Err(CalendarError::InvalidSegment(format!("{day}: {s}: ends after 24:00")));
        }
        if s.start_min >= s.end_min {
            return Err(CalendarError::InvalidSegment(format!("{day}: {s}: start must be before end")));
        }
    }
    segments.sort_unstable_by_key(|s| s.start_min);
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments {
        match merged.last_mut() {
            Some(last) if s.start_min <= last.end_min => last.end_min = last.end_min.max(s.end_min),
            _ => merged.push(s),
        }
    }
    Ok(merged)
}
