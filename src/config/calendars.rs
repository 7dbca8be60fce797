//! `[[calendar]]` entries (SLA.md, Calendars): name, IANA `timezone`, `week` of open
//! segments in local wall time, `holidays`. The built-in `24x7` needs no entry and cannot
//! be redefined.

use super::error::Errors;
use super::walk::{index_path, type_name, Node};
use crate::engine::calendar::{Calendar, CalendarError, LocalDate, Segment};
use std::collections::BTreeMap;
use std::sync::Arc;
use toml::Value;

/// The name of the built-in always-open calendar.
pub(super) const ALWAYS_OPEN: &str = "24x7";

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What a calendar name refers to.
pub(super) enum Lookup {
    Found(Arc<Calendar>),
    /// Declared, but the entry has errors (already reported).
    Broken,
    Unknown,
}

/// The calendars of a configuration, by name, `24x7` included.
pub(super) struct Calendars {
    /// `None` for a declared calendar whose entry has errors.
    by_name: BTreeMap<String, Option<Arc<Calendar>>>,
}

impl Calendars {
    pub(super) fn get(&self, name: &str) -> Lookup {
        match self.by_name.get(name) {
            Some(Some(calendar)) => Lookup::Found(calendar.clone()),
            Some(None) => Lookup::Broken,
            None => Lookup::Unknown,
        }
    }

    /// The declared names, `24x7` first, for messages.
    pub(super) fn names(&self) -> String {
        let mut names = vec![format!("{ALWAYS_OPEN:?}")];
        names.extend(self.by_name.keys().filter(|n| *n != ALWAYS_OPEN).map(|n| format!("{n:?}")));
        names.join(", ")
    }
}

/// Parses every `[[calendar]]` entry.
pub(super) fn calendars(root: &Node<'_>, errors: &mut Errors) -> Calendars {
    let mut by_name: BTreeMap<String, Option<Arc<Calendar>>> = BTreeMap::new();
    by_name.insert(ALWAYS_OPEN.to_owned(), Some(Arc::new(Calendar::always_open())));
    let mut first_at: BTreeMap<String, String> = BTreeMap::new();
    for node in root.tables(errors, "calendar") {
        let before = errors.len();
        node.deny_unknown(errors, &["name", "timezone", "week", "holidays"]);
        let name = node.required_string(errors, "name");
        if let Some(name) = name {
            if name == ALWAYS_OPEN {
                errors.push(
                    node.path_of("name"),
                    format!("{ALWAYS_OPEN:?} is the built-in always-open calendar and cannot be redefined"),
                );
            } else if let Some(first) = first_at.get(name) {
                errors.push(node.path_of("name"), format!("duplicate calendar name {name:?} (first at {first})"));
            }
        }
        let calendar = calendar(&node, errors);
        let Some(name) = name else { continue };
        if name == ALWAYS_OPEN || first_at.contains_key(name) {
            continue;
        }
        first_at.insert(name.to_owned(), node.path.clone());
        let built = if errors.len() == before { calendar.map(Arc::new) } else { None };
        by_name.insert(name.to_owned(), built);
    }
    Calendars { by_name }
}

/// The calendar of one entry, `None` when it has errors (all reported).
fn calendar(node: &Node<'_>, errors: &mut Errors) -> Option<Calendar> {
    let before = errors.len();
    let timezone = node.required_string(errors, "timezone");
    if let Some(tz) = timezone {
        if jiff::tz::TimeZone::get(tz).is_err() {
            errors.push(
                node.path_of("timezone"),
                format!("unknown time zone {tz:?} (expected an IANA name such as \"Europe/Paris\")"),
            );
        }
    }
    let week_path = node.path_of("week");
    let mut week: [Vec<Segment>; 7] = Default::default();
    match node.table(errors, "week") {
        Some(days) => {
            let week_before = errors.len();
            days.deny_unknown(errors, &DAYS);
            for (i, day) in DAYS.iter().enumerate() {
                for item in days.strings(errors, day).unwrap_or_default() {
                    match parse_segment(item.text) {
                        Ok(segment) => week[i].push(segment),
                        Err(message) => errors.push(item.path, message),
                    }
                }
            }
            if errors.len() == week_before && week.iter().all(Vec::is_empty) {
                errors.push(week_path.clone(), "no open segment on any day: the calendar would never be open");
            }
        }
        None if node.value("week").is_none() => {
            errors.push(week_path.clone(), "missing: a calendar needs a week with at least one open segment")
        }
        None => {}
    }
    let mut holidays = Vec::new();
    if let Some(items) = node.array(errors, "holidays", "dates") {
        let path = node.path_of("holidays");
        for (i, item) in items.iter().enumerate() {
            match holiday(item) {
                Ok(date) => holidays.push(date),
                Err(message) => errors.push(index_path(&path, i), message),
            }
        }
    }
    if errors.len() != before {
        return None;
    }
    match Calendar::new(timezone?, week, holidays) {
        Ok(calendar) => Some(calendar),
        Err(error) => {
            let path = match error {
                CalendarError::UnknownTimeZone(_) => node.path_of("timezone"),
                CalendarError::NeverOpen | CalendarError::InvalidSegment(_) => week_path,
                CalendarError::InvalidHoliday(_) => node.path_of("holidays"),
            };
            errors.push(path, error.to_string());
            None
        }
    }
}

/// Parses `HH:MM-HH:MM`: hours 00..23, minutes 00..59, the end may be `24:00`, and the
/// start must be before the end (a segment does not cross midnight).
pub(super) fn parse_segment(text: &str) -> Result<Segment, String> {
    let bad = |why: &str| Err(format!("invalid segment {text:?}: {why}"));
    let Some((start, end)) = text.split_once('-') else {
        return bad("expected \"HH:MM-HH:MM\" such as \"09:00-12:30\"");
    };
    let clock = |hm: &str| -> Result<u16, &'static str> {
        let b = hm.as_bytes();
        if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
            return Err("expected \"HH:MM-HH:MM\" such as \"09:00-12:30\"");
        }
        let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
        let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
        if m > 59 {
            return Err("minutes must be 00..59");
        }
        if h > 24 || (h == 24 && m > 0) {
            return Err("hours must be 00..23 (an end may be 24:00)");
        }
        Ok(h * 60 + m)
    };
    let start_min = match clock(start) {
        Ok(1440) => return bad("a segment cannot start at 24:00"),
        Ok(m) => m,
        Err(why) => return bad(why),
    };
    let end_min = match clock(end) {
        Ok(m) => m,
        Err(why) => return bad(why),
    };
    if start_min >= end_min {
        return bad("the start must be before the end (a segment cannot cross midnight: split it over two days)");
    }
    Ok(Segment::new(start_min, end_min))
}

/// A holiday: a string `YYYY-MM-DD` or a TOML local date (`2026-12-25` unquoted).
fn holiday(value: &Value) -> Result<LocalDate, String> {
    let (year, month, day) = match value {
        Value::String(text) => {
            let b = text.as_bytes();
            let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b[i].is_ascii_digit());
            if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
                return Err(format!("invalid date {text:?}: expected YYYY-MM-DD such as \"2026-12-25\""));
            }
            let num = |r: std::ops::Range<usize>| text[r].parse::<i16>().unwrap_or(0);
            (num(0..4), num(5..7), num(8..10))
        }
        Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => (i16::try_from(d.year).unwrap_or(0), i16::from(d.month), i16::from(d.day)),
            _ => return Err(format!("expected a date YYYY-MM-DD, found the date-time {dt}")),
        },
        other => return Err(format!("expected a date \"YYYY-MM-DD\", found {}", type_name(other))),
    };
    let (month, day) = (month as i8, day as i8);
    if year < 1 || jiff::civil::Date::new(year, month, day).is_err() {
        return Err(format!("no such date {year:04}-{month:02}-{day:02}"));
    }
    Ok(LocalDate::new(year, month, day))
}
