//! Duration strings: `<integer><unit>`, units `ms`, `s`, `m`, `h` and `d` (24 hours), and
//! compounds such as `1h30m`.
//!
//! A compound writes its units from the largest to the smallest, each at most once
//! (`1d12h`, `2m30s`, `1s500ms`). No sign, no fraction, no spaces; `0m` is zero. A value
//! that does not fit in an `i64` of milliseconds is an error.

/// A parsed duration, remembering whether it used the unit `d`: on a business calendar a
/// day of SLA time is not 24 hours of open time, so targets and ladder durations measured
/// on one must be written in hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Duration {
    pub ms: i64,
    pub uses_days: bool,
}

/// The units, largest first, with their length in milliseconds.
const UNITS: [(&str, i64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

/// Parses a duration string into milliseconds (see the module documentation).
///
/// ```
/// assert_eq!(slad::config::parse_duration("1h30m"), Ok(5_400_000));
/// assert_eq!(slad::config::parse_duration("3d"), Ok(259_200_000));
/// assert!(slad::config::parse_duration("1.5h").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<i64, String> {
    parse(text).map(|d| d.ms)
}

pub(super) fn parse(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a duration such as \"90s\", \"15m\", \"4h\", \"1h30m\" or \"3d\"";
    let bad = |why: &str| Err(format!("invalid duration {text:?}: {why}"));
    if text.is_empty() {
        return bad(EXPECTED);
    }
    if text.starts_with('-') {
        return bad("durations cannot be negative");
    }
    if text.starts_with('+') {
        return bad("no sign allowed");
    }
    if text.chars().any(char::is_whitespace) {
        return bad("no spaces allowed");
    }
    let bytes = text.as_bytes();
    let mut total: i64 = 0;
    let mut uses_days = false;
    // Index in UNITS of the last unit used: the next one must be smaller.
    let mut last_unit: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return bad(EXPECTED);
        }
        let digits = &text[digits_start..i];
        if i < bytes.len() && (bytes[i] == b'.' || bytes[i] == b',') {
            return bad("fractions are not allowed (write \"1h30m\", not \"1.5h\")");
        }
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[unit_start..i];
        if unit.is_empty() {
            return if i == bytes.len() { bad("missing unit (ms, s, m, h or d)") } else { bad(EXPECTED) };
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return bad(&format!("unknown unit {unit:?} (expected ms, s, m, h or d)"));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return bad("units must go from the largest to the smallest, each at most once");
        }
        last_unit = Some(index);
        uses_days |= index == 0;
        let too_large = || format!("invalid duration {text:?}: too large");
        let count: i64 = digits.parse().map_err(|_| too_large())?;
        let ms = count.checked_mul(UNITS[index].1).ok_or_else(too_large)?;
        total = total.checked_add(ms).ok_or_else(too_large)?;
    }
    Ok(Duration { ms: total, uses_days })
}
