//! Reading one field of the record's object: presence (`null` is absent), JSON type, range.
//! Every problem becomes a one-line [`Rejection`] naming the field.

use crate::contract::reason::{Reason, Rejection};
use serde_json::{Map, Value};
use std::fmt::Write;

/// The longest part of a string value quoted in a detail, in bytes.
const QUOTE_MAX: usize = 64;

/// A problem within a field's value: where (`""`, or a suffix such as `[2].min_level`) and what.
#[derive(Debug)]
pub(super) struct Bad {
    at: String,
    message: String,
}

impl Bad {
    /// `expected …, got …`.
    pub(super) fn expected(what: &str, got: &Value) -> Bad {
        Bad { at: String::new(), message: format!("expected {what}, got {}", describe(got)) }
    }

    /// Any other message.
    pub(super) fn new(message: String) -> Bad {
        Bad { at: String::new(), message }
    }

    /// The problem is inside the element at `index` of a list.
    pub(super) fn in_element(mut self, index: usize) -> Bad {
        self.at.insert_str(0, &format!("[{index}]"));
        self
    }

    /// The problem is inside the member `key` of an object.
    pub(super) fn in_member(mut self, key: &str) -> Bad {
        self.at.insert_str(0, &format!(".{}", clip(key).escape_debug()));
        self
    }

    /// The rejection for this problem in the top-level field `field`.
    pub(super) fn reject(self, field: &str) -> Rejection {
        Rejection::new(Reason::InvalidValue, format!("field \"{field}{}\": {}", self.at, self.message))
    }
}

/// The value of `name`, `None` when absent or `null`.
#[inline]
pub(super) fn get<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

pub(super) fn missing(field: &str) -> Rejection {
    Rejection::new(Reason::MissingField, format!("missing field \"{field}\""))
}

/// A required field read by `read`: absent is `missing_field`, a bad value `invalid_value`.
#[inline]
pub(super) fn required<'a, T>(
    object: &'a Map<String, Value>,
    field: &str,
    read: impl FnOnce(&'a Value) -> Result<T, Bad>,
) -> Result<T, Rejection> {
    match get(object, field) {
        Some(value) => read(value).map_err(|bad| bad.reject(field)),
        None => Err(missing(field)),
    }
}

/// An optional field read by `read`: `None` when absent, `invalid_value` when bad.
#[inline]
pub(super) fn optional<'a, T>(
    object: &'a Map<String, Value>,
    field: &str,
    read: impl FnOnce(&'a Value) -> Result<T, Bad>,
) -> Result<Option<T>, Rejection> {
    match get(object, field) {
        Some(value) => read(value).map(Some).map_err(|bad| bad.reject(field)),
        None => Ok(None),
    }
}

/// Any string.
pub(super) fn text(value: &Value) -> Result<&str, Bad> {
    value.as_str().ok_or_else(|| Bad::expected("a string", value))
}

/// A non-empty string (ids and names).
pub(super) fn name(value: &Value) -> Result<&str, Bad> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        other => Err(Bad::expected("a non-empty string", other)),
    }
}

/// A non-empty string without `/` (`tenant`, `ticket_id`: they are joined with `/` in ids).
pub(super) fn slashless_name(value: &Value) -> Result<&str, Bad> {
    match value {
        Value::String(s) if !s.is_empty() && !s.contains('/') => Ok(s),
        Value::String(s) if !s.is_empty() => Err(Bad::new(format!("must not contain \"/\", got {}", quote(s)))),
        other => Err(Bad::expected("a non-empty string without \"/\"", other)),
    }
}

pub(super) fn boolean(value: &Value) -> Result<bool, Bad> {
    value.as_bool().ok_or_else(|| Bad::expected("true or false", value))
}

/// A JSON object.
pub(super) fn object(value: &Value) -> Result<&Map<String, Value>, Bad> {
    value.as_object().ok_or_else(|| Bad::expected("an object", value))
}

/// A JSON list.
pub(super) fn list(value: &Value) -> Result<&Vec<Value>, Bad> {
    value.as_array().ok_or_else(|| Bad::expected("a list", value))
}

/// An integer in `0..=max` (a JSON number written without fraction or exponent).
pub(super) fn integer(value: &Value, max: u32, what: &str) -> Result<u32, Bad> {
    value.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= max).ok_or_else(|| Bad::expected(what, value))
}

/// One of the strings `allowed`, mapped by `parse`.
pub(super) fn one_of<T>(value: &Value, allowed: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, Bad> {
    value.as_str().and_then(parse).ok_or_else(|| Bad::expected(&format!("one of {allowed}"), value))
}

/// A short, one-line description of a value for a detail: never the whole value.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => clip(&n.to_string()).into_owned(),
        Value::String(s) => quote(s),
        Value::Array(a) => format!("a list of {} element{}", a.len(), if a.len() == 1 { "" } else { "s" }),
        Value::Object(_) => "an object".into(),
    }
}

/// A string quoted for a detail (escaped, clipped).
pub(super) fn quote(text: &str) -> String {
    let clipped = clip(text);
    let mut out = String::with_capacity(clipped.len() + 2);
    let _ = write!(out, "{:?}", clipped.as_ref());
    out
}

/// `text` cut to at most [`QUOTE_MAX`] bytes at a character boundary, `…` appended when cut.
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= QUOTE_MAX {
        return text.into();
    }
    let mut cut = QUOTE_MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut]).into()
}
