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

/// Parses an RFC 3339 timestamp that carries an offset (`Z` or `±HH:MM`) and at most
/// three fractional digits.
pub fn parse_rfc3339(text: &str) -> Result<Millis, TimestampError> {
    let bytes = text.as_bytes();
    // The offset is mandatory: `Z`, `z` or `±HH:MM` at the end.
    let has_offset = bytes.last().is_some_and(|b| *b == b'Z' || *b == b'z')
        || (bytes.len() > 6 && matches!(bytes[bytes.len() - 6], b'+' | b'-') && bytes[bytes.len() - 3] == b':');
    if !has_offset || bytes.len() < 20 || !matches!(bytes.get(10), Some(b'T' | b't')) {
        return Err(TimestampError::Syntax(text.to_owned()));
    }
    if let Some(dot) = text.find('.') {
        let digits = bytes[dot + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(TimestampError::Syntax(text.to_owned()));
        }
        if digits > 3 {
            return Err(TimestampError::Precision(text.to_owned()));
        }
    }
    let ts: jiff::Timestamp = text.parse().map_err(|_| TimestampError::Syntax(text.to_owned()))?;
    Ok(ts.as_millisecond())
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339(ms: Millis) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => format!("{:.3}", ts),
        Err(_) => format!("invalid-instant-{ms}"),
    }
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
    }

    #[test]
    fn refuses_missing_offset_and_sub_millisecond() {
        assert!(matches!(parse_rfc3339("2026-06-01T10:00:00"), Err(TimestampError::Syntax(_))));
        assert!(matches!(parse_rfc3339("2026-06-01T10:00:00.0001Z"), Err(TimestampError::Precision(_))));
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(parse_rfc3339("").is_err());
    }
}
