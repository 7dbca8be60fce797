//! Decoding and validating input records (EVENTS.md sections 2 and 6, DETAILS.md
//! "Input and rejections"). Never panics, whatever the bytes.
//!
//! Decoding is in two phases because the duplicate-`event_id` skip sits between them in
//! the reason precedence: [`decode_envelope`] checks JSON, `type` and the envelope;
//! the engine then skips a repeated `event_id`; [`decode_body`] checks the type's own fields.
//!
//! The order of the checks, the first failing one giving the reason:
//! 1. the record is one JSON object in UTF-8 (`malformed_json`; a byte order mark, trailing
//!    data, invalid UTF-8 or nesting deeper than 128 levels are all `malformed_json`; of a key
//!    written twice the last value counts);
//! 2. `type` is present (`missing_field`) and names a known type (`unknown_type`, also when it
//!    is not a string: no other value can name a type);
//! 3. the record is at most `max_event_bytes` long (`invalid_value`);
//! 4. `event_id`: a non-empty string (`missing_field`, `invalid_value`);
//! 5. `tenant`: a non-empty string without `/` (`missing_field`, `invalid_value`), equal to
//!    the Kafka key, which must be present (`tenant_mismatch`);
//! 6. `ts`: an RFC 3339 timestamp with an offset, at most millisecond precision, from
//!    1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (`missing_field`, `invalid_value`);
//! 7. `received_at` (file input only; ignored on Kafka records): absent, or a timestamp as
//!    `ts` (`invalid_value`);
//! 8. `ts` is at most `max_future_skew_ms` after the arrival time (`invalid_value`);
//! 9. (the engine: a repeated `event_id` is skipped);
//! 10. the type's own fields, in the order of the contract's table, required ones first
//!     (`missing_field`, `invalid_value`), see [`decode_body`].
//!
//! Everywhere, a field present as `null` is absent and a field the contract does not name is
//! ignored.

mod body;
mod fields;
mod object;
#[cfg(test)]
mod tests;

use super::input::{Body, Envelope, EventType};
use super::reason::{Reason, Rejection};
use crate::time::{format_rfc3339, parse_rfc3339, Millis, TimestampError};
use fields::{describe, get, missing, quote, required, slashless_name, Bad, Field};
pub use object::Object;
use serde_json::Value;

/// The earliest instant an input may carry: timers count in unsigned milliseconds.
pub const MIN_TS: Millis = 0;
/// The latest instant an input may carry: 9999-12-31T23:59:59.999Z.
pub const MAX_TS: Millis = 253_402_300_799_999;

/// What the envelope is checked against.
#[derive(Debug, Clone)]
pub struct DecodeLimits {
    /// `engine.max_event_bytes`.
    pub max_event_bytes: usize,
    /// `engine.max_future_skew`, ms.
    pub max_future_skew_ms: i64,
}

/// Where the record came from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `slad simulate`: no Kafka key; the arrival time is `received_at`, default `ts`.
    File,
    /// The daemon: the record's key (None when the record has none) and its timestamp,
    /// which is the arrival time (`received_at` in the JSON is ignored). A negative timestamp
    /// (Kafka's "no timestamp", -1) makes the arrival time `ts`.
    Kafka { key: Option<&'a [u8]>, timestamp: Millis },
}

/// A record whose envelope is valid; its object's named fields are kept for [`decode_body`].
#[derive(Debug, Clone)]
pub struct Decoded {
    pub envelope: Envelope,
    pub object: Object,
}

/// Phase one: JSON, `type`, envelope.
pub fn decode_envelope(record: &[u8], limits: &DecodeLimits, source: Source<'_>) -> Result<Decoded, Rejection> {
    let object = parse_object(record)?;
    let event_type = match get(&object, "type") {
        None => return Err(missing("type")),
        Some(Field::String(name)) => EventType::parse(name)
            .ok_or_else(|| Rejection::new(Reason::UnknownType, format!("unknown type {}", quote(name))))?,
        Some(other) => {
            return Err(Rejection::new(
                Reason::UnknownType,
                format!("field \"type\": expected a string naming an event type, got {}", describe(other)),
            ))
        }
    };
    if record.len() > limits.max_event_bytes {
        return Err(Rejection::new(
            Reason::InvalidValue,
            format!("record is {} bytes, more than engine.max_event_bytes ({})", record.len(), limits.max_event_bytes),
        ));
    }
    let event_id = required(&object, "event_id", fields::name)?;
    let tenant = required(&object, "tenant", slashless_name)?;
    if let Source::Kafka { key, .. } = source {
        match key {
            None => {
                return Err(Rejection::new(
                    Reason::TenantMismatch,
                    format!("record has no key; it must be the tenant {}", quote(tenant)),
                ))
            }
            Some(key) if key != tenant.as_bytes() => {
                return Err(Rejection::new(
                    Reason::TenantMismatch,
                    format!(
                        "tenant {} does not match the record key {}",
                        quote(tenant),
                        quote(&String::from_utf8_lossy(key))
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let ts = required(&object, "ts", timestamp)?;
    let arrival = match source {
        Source::File => fields::optional(&object, "received_at", timestamp)?.unwrap_or(ts),
        Source::Kafka { timestamp, .. } if timestamp >= 0 => timestamp,
        Source::Kafka { .. } => ts,
    };
    if ts.saturating_sub(arrival) > limits.max_future_skew_ms {
        return Err(Rejection::new(
            Reason::InvalidValue,
            format!(
                "field \"ts\": {} is more than engine.max_future_skew ({} ms) after the arrival time {}",
                format_rfc3339(ts),
                limits.max_future_skew_ms,
                format_rfc3339(arrival)
            ),
        ));
    }
    let envelope = Envelope { event_type, event_id: event_id.to_owned(), tenant: tenant.to_owned(), ts, arrival };
    Ok(Decoded { envelope, object })
}

/// Phase two: the type's own fields, with defaults applied.
///
/// Fields are checked in the order of the contract's table for the type, required fields
/// first: the first field found absent (`missing_field`) or wrong (`invalid_value`) is
/// reported. Values are checked as follows:
/// - ids (`ticket_id`, `agent_id`, `customer_id`, `assignee`, `supervisor_id`) and names
///   (`channel`, `customer_tier`, `group`, `step`, skill names, `groups` entries, `capacity`
///   channels) are non-empty strings; `ticket_id` contains no `/`; `reason` is any string;
/// - enums (`priority`, `status`, `kind`, `outcome`) are exact, lower-case strings;
/// - integers (`min_level` 0..=10, `level` and `capacity` values 0..=2^32-1) are written
///   without fraction or exponent;
/// - a ticket skill is `{"name", "min_level"?, "optional"?}`, an agent skill
///   `{"name", "level"}` with `level` required; a `null` member is absent, other members are
///   ignored; a problem inside a list names the element, as `skills[1].min_level`;
/// - a `null` entry of `capacity` is absent; an empty `capacity` object means no capacity;
/// - on a hierarchical `ticket.escalation_requested`, `skills` and `group` are ignored
///   entirely (not even checked).
///
/// Defaults: `channel` `"email"`, `customer_tier` `"standard"`, `status` `new`, `context`
/// `{}`, `skills` `[]`, `min_level` 1, `optional` false, `public` true, `capacity`
/// `{"*": 1}`, `groups` `[]`.
pub fn decode_body(decoded: &Decoded) -> Result<Body, Rejection> {
    body::body(decoded.envelope.event_type, &decoded.object)
}

/// The record as one JSON object, or `malformed_json`.
///
/// [`Object::parse`] accepts exactly the records that serde_json parses into an object; when it
/// fails, the record is parsed again into a `Value` for the detail of the rejection.
fn parse_object(record: &[u8]) -> Result<Object, Rejection> {
    if record.starts_with(b"\xEF\xBB\xBF") {
        return Err(Rejection::new(Reason::MalformedJson, "invalid JSON: starts with a UTF-8 byte order mark"));
    }
    if let Ok(object) = Object::parse(record) {
        return Ok(object);
    }
    match serde_json::from_slice::<Value>(record) {
        Ok(Value::Object(object)) => Ok(Object::from_map(object)),
        Ok(other) => Err(Rejection::new(
            Reason::MalformedJson,
            format!("expected a JSON object, got {}", describe(Field::from(&other))),
        )),
        Err(error) => Err(Rejection::new(Reason::MalformedJson, format!("invalid JSON: {error}"))),
    }
}

/// An RFC 3339 timestamp with an offset and at most millisecond precision, within
/// [`MIN_TS`]..=[`MAX_TS`].
fn timestamp(value: Field<'_>) -> Result<Millis, Bad> {
    let Field::String(text) = value else {
        return Err(Bad::expected("an RFC 3339 timestamp", value));
    };
    match parse_rfc3339(text) {
        Ok(ms) if (MIN_TS..=MAX_TS).contains(&ms) => Ok(ms),
        Ok(_) => Err(Bad::new(format!(
            "out of range (1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z), got {}",
            quote(text)
        ))),
        Err(TimestampError::Precision(_)) => {
            Err(Bad::new(format!("more than millisecond precision, got {}", quote(text))))
        }
        Err(_) => Err(Bad::new(format!(
            "expected an RFC 3339 timestamp with an offset (as 2026-03-27T17:30:00+01:00), got {}",
            quote(text)
        ))),
    }
}
