//! Instants are `i64` milliseconds since the Unix epoch, everywhere.
//!
//! Input timestamps are RFC 3339 with an offset and at most millisecond precision;
//! output timestamps are UTC with exactly three fractional digits.

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Why an RFC 3339 timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("not an RFC 3339 timestamp with an offset: {0:?}")]
    Syntax(String),
    #[error("more than millisecond precision: {0:?}")]
    Precision(String),
    #[error("out of range: {0:?}")]
    Range(String),
}

const MS_PER_DAY: i64 = 86_400_000;

/// Parses an RFC 3339 timestamp that carries an offset (`Z` or `±HH:MM`) and at most
/// millisecond precision.
///
/// The layout is exactly `YYYY-MM-DDTHH:MM:SS[.fff]OFFSET` (`T` and `Z` in either case), as
/// RFC 3339 section 5.6 writes it: the seconds are required, the fraction separator is `.`,
/// the offset is `Z` or `±HH:MM` with `HH` at most 23. More than three fractional digits are
/// refused unless the extra ones are all zeros (`.120000` is the millisecond `.120`). A leap
/// second (`:60`) is read as second 59.
pub fn parse_rfc3339(text: &str) -> Result<Millis, TimestampError> {
    let b = text.as_bytes();
    let syntax = || TimestampError::Syntax(text.to_owned());
    // `YYYY-MM-DDTHH:MM:SS` is 19 bytes, and the offset at least one more.
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return Err(syntax());
    }
    let num = |at: usize, len: usize| -> Option<u32> {
        b[at..at + len].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return Err(syntax());
    };
    let mut at = 19;
    let mut millis = 0u32;
    let mut too_precise = false;
    if b[at] == b'.' {
        at += 1;
        let start = at;
        while at < b.len() && b[at].is_ascii_digit() {
            if at - start < 3 {
                millis = millis * 10 + u32::from(b[at] - b'0');
            } else {
                too_precise |= b[at] != b'0';
            }
            at += 1;
        }
        match at - start {
            0 => return Err(syntax()),
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }
    let offset_minutes: i64 = match &b[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (Some(h), Some(m)) = (num(at + 1, 2), num(at + 4, 2)) else {
                return Err(syntax());
            };
            if h > 23 || m > 59 {
                return Err(syntax());
            }
            let minutes = i64::from(h * 60 + m);
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return Err(syntax()),
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 {
        return Err(syntax());
    }
    // A leap second is not representable in Unix time: it is read as second 59.
    let second = match second {
        0..=59 => second,
        60 => 59,
        _ => return Err(syntax()),
    };
    if too_precise {
        return Err(TimestampError::Precision(text.to_owned()));
    }
    let local = days_from_civil(i64::from(year), month, day) * MS_PER_DAY
        + i64::from(hour) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1_000
        + i64::from(millis);
    Ok(local - offset_minutes * 60_000)
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339(ms: Millis) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return match jiff::Timestamp::from_millisecond(ms) {
            Ok(ts) => format!("{:.3}", ts),
            Err(_) => format!("invalid-instant-{ms}"),
        };
    }
    let in_day = ms.rem_euclid(MS_PER_DAY) as u32;
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, in_day / 3_600_000);
    put(14, 2, in_day / 60_000 % 60);
    put(17, 2, in_day / 1_000 % 60);
    put(20, 3, in_day % 1_000);
    out.iter().map(|&c| char::from(c)).collect()
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_formats_utc_millis() {
        let a = parse_rfc3339("2026-03-27T17:30:00+01:00").unwrap();
        assert_eq!(format_rfc3339(a), "2026-03-27T16:30:00.000Z");
        let b = parse_rfc3339("2026-06-01T10:00:00.5Z").unwrap();
        assert_eq!(format_rfc3339(b), "2026-06-01T10:00:00.500Z");
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00.001+01:00"), Ok(1));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.999Z"), Ok(-1));
        assert_eq!(parse_rfc3339("2026-06-01t10:00:00.12z"), parse_rfc3339("2026-06-01T10:00:00.120Z"));
        assert_eq!(parse_rfc3339("2026-06-01T10:00:00.120000Z"), parse_rfc3339("2026-06-01T10:00:00.12Z"));
        assert_eq!(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2016-12-31T23:59:59Z"));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00-23:59").unwrap(), parse_rfc3339("2024-02-29T23:59:00Z").unwrap());
        let max = parse_rfc3339("9999-12-31T23:59:59.999Z").unwrap();
        assert_eq!(max, 253_402_300_799_999);
        assert_eq!(format_rfc3339(max), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn refuses_missing_offset_and_sub_millisecond() {
        assert!(matches!(parse_rfc3339("2026-06-01T10:00:00"), Err(TimestampError::Syntax(_))));
        assert!(matches!(parse_rfc3339("2026-06-01T10:00:00.0001Z"), Err(TimestampError::Precision(_))));
        assert!(matches!(parse_rfc3339("2026-06-01T10:00:00.123456+02:00"), Err(TimestampError::Precision(_))));
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(parse_rfc3339("").is_err());
    }

    #[test]
    fn refuses_what_rfc_3339_does_not_write() {
        for bad in [
            "2026-06-01T10:00:00,5Z",
            "2026-06-01T10:00:00,0000001Z",
            "2026-06-01T10:00+01:00",
            "2026-06-01T10:00:00+25:00",
            "2026-06-01T10:00:00+01:60",
            "2026-06-01T10:00:00+0100",
            "2026-06-01T10:00:00+01",
            "2026-06-01 10:00:00Z",
            "2026-06-01T24:00:00Z",
            "2026-06-01T10:60:00Z",
            "2026-06-01T10:00:61Z",
            "2026-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-00-01T10:00:00Z",
            "2026-06-00T10:00:00Z",
            "2026-06-31T10:00:00Z",
            "2026-06-01T10:00:00.Z",
            "2026-06-01T10:00:00Z[Europe/Paris]",
            "2026-06-01T10:00:00ZZ",
            "+2026-06-01T10:00:00Z",
            "2026-06-01T10:00:00.5",
            "2026-06-01T1a:00:00Z",
            "2026-06-01T10:00:00+1:00Z",
            "2026-06-01T10:00:00.١Z",
            "2026-06-01T10:00:00Z ",
        ] {
            assert!(matches!(parse_rfc3339(bad), Err(TimestampError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn agrees_with_jiff() {
        use proptest::prelude::*;
        proptest!(|(ms in -62_135_596_800_000i64..253_402_207_200_000, offset in -1439i32..=1439)| {
            let ts = jiff::Timestamp::from_millisecond(ms).unwrap();
            prop_assert_eq!(format_rfc3339(ms), format!("{:.3}", ts));
            let zone = jiff::tz::Offset::from_seconds(offset * 60).unwrap();
            let local = zone.to_datetime(ts);
            let sign = if offset < 0 { '-' } else { '+' };
            let (h, m) = (offset.abs() / 60, offset.abs() % 60);
            let text = format!("{}{sign}{h:02}:{m:02}", local.strftime("%Y-%m-%dT%H:%M:%S%.3f"));
            if local.year() >= 0 {
                prop_assert_eq!(parse_rfc3339(&text), Ok(ms), "{}", text);
            }
        });
    }
}
