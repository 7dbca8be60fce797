//! Business calendars and SLA-time arithmetic (SLA.md, Calendars).
//!
//! TODO: implemented by the calendar work.

use crate::time::Millis;

/// An open segment of a local day, in minutes from local midnight: `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start_min: u16,
    pub end_min: u16,
}

/// A local calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalDate {
    pub year: i16,
    pub month: i8,
    pub day: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("the calendar has no open segment")]
    NeverOpen,
    #[error("invalid segment: {0}")]
    InvalidSegment(String),
}

/// A business calendar: IANA zone, weekly open segments, holidays; or the built-in `24x7`.
#[derive(Debug, Clone)]
pub struct Calendar {
    _todo: (),
}

impl Calendar {
    /// The built-in `24x7` calendar: always open.
    pub fn always_open() -> Calendar {
        todo!()
    }

    /// `week[0]` is Monday .. `week[6]` Sunday, each day's segments in local wall time.
    pub fn new(
        _timezone: &str,
        _week: [Vec<Segment>; 7],
        _holidays: Vec<LocalDate>,
    ) -> Result<Calendar, CalendarError> {
        todo!()
    }

    pub fn is_always_open(&self) -> bool {
        todo!()
    }

    /// SLA time between `from` and `to` (0 when `to <= from`).
    pub fn sla_time(&self, _from: Millis, _to: Millis) -> i64 {
        todo!()
    }

    /// The earliest instant `u >= from` with `sla_time(from, u) == duration`.
    pub fn add(&self, _from: Millis, _duration: i64) -> Millis {
        todo!()
    }
}
