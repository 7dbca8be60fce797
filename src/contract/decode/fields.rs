//! Reading one field of the record's object: presence (`null` is absent), JSON type, range.
//! Every problem becomes a one-line [`Rejection`] naming the field.

use super::object::Object;
use crate::contract::reason::{Reason, Rejection};
use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// The longest part of a string value quoted in a detail, in bytes.
const QUOTE_MAX: usize = 64;

/// A value read from the record, borrowed: a field of the top-level [`Object`], or a value
/// nested in one.
#[derive(Debug, Clone, Copy)]
pub(super) enum Field<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    String(&'a str),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
}

impl<'a> From<&'a Value> for Field<'a> {
    #[inline]
    fn from(value: &'a Value) -> Field<'a> {
        match value {
            Value::Null => Field::Null,
            Value::Bool(b) => Field::Bool(*b),
            Value::Number(n) => Field::Number(n),
            Value::String(s) => Field::String(s),
            Value::Array(a) => Field::Array(a),
            Value::Object(o) => Field::Object(o),
        }
    }
}

impl<'a> Field<'a> {
    fn as_str(self) -> Option<&'a str> {
        match self {
            Field::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A problem within a field's value: where (`""`, or a suffix such as `[2].min_level`) and what.
#[derive(Debug)]
pub(super) struct Bad {
    at: String,
    message: String,
}

impl Bad {
    /// `expected …, got …`.
    pub(super) fn expected(what: &str, got: Field<'_>) -> Bad {
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
pub(super) fn get<'a>(object: &'a Object, name: &str) -> Option<Field<'a>> {
    object.get(name)
}

pub(super) fn missing(field: &str) -> Rejection {
    Rejection::new(Reason::MissingField, format!("missing field \"{field}\""))
}

/// A required field read by `read`: absent is `missing_field`, a bad value `invalid_value`.
#[inline]
pub(super) fn required<'a, T>(
    object: &'a Object,
    field: &str,
    read: impl FnOnce(Field<'a>) -> Result<T, Bad>,
) -> Result<T, Rejection> {
    match get(object, field) {
        Some(value) => read(value).map_err(|bad| bad.reject(field)),
        None => Err(missing(field)),
    }
}

/// An optional field read by `read`: `None` when absent, `invalid_value` when bad.
#[inline]
pub(super) fn optional<'a, T>(
    object: &'a Object,
    field: &str,
    read: impl FnOnce(Field<'a>) -> Result<T, Bad>,
) -> Result<Option<T>, Rejection> {
    match get(object, field) {
        Some(value) => read(value).map(Some).map_err(|bad| bad.reject(field)),
        None => Ok(None),
    }
}

/// Any string.
pub(super) fn text(value: Field<'_>) -> Result<&str, Bad> {
    value.as_str().ok_or_else(|| Bad::expected("a string", value))
}

/// A non-empty string (ids and names).
pub(super) fn name(value: Field<'_>) -> Result<&str, Bad> {
    match value {
        Field::String(s) if !s.is_empty() => Ok(s),
        other => Err(Bad::expected("a non-empty string", other)),
    }
}

/// A non-empty string without `/` (`tenant`, `ticket_id`: they are joined with `/` in ids).
pub(super) fn slashless_name(value: Field<'_>) -> Result<&str, Bad> {
    match value {
        Field::String(s) if !s.is_empty() && !s.contains('/') => Ok(s),
        Field::String(s) if !s.is_empty() => Err(Bad::new(format!("must not contain \"/\", got {}", quote(s)))),
        other => Err(Bad::expected("a non-empty string without \"/\"", other)),
    }
}

pub(super) fn boolean(value: Field<'_>) -> Result<bool, Bad> {
    match value {
        Field::Bool(b) => Ok(b),
        other => Err(Bad::expected("true or false", other)),
    }
}

/// A JSON object.
pub(super) fn object(value: Field<'_>) -> Result<&Map<String, Value>, Bad> {
    match value {
        Field::Object(o) => Ok(o),
        other => Err(Bad::expected("an object", other)),
    }
}

/// A JSON list.
pub(super) fn list(value: Field<'_>) -> Result<&[Value], Bad> {
    match value {
        Field::Array(a) => Ok(a),
        other => Err(Bad::expected("a list", other)),
    }
}

/// An integer in `0..=max` (a JSON number written without fraction or exponent).
pub(super) fn integer(value: Field<'_>, max: u32, what: &str) -> Result<u32, Bad> {
    match value {
        Field::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= max),
        _ => None,
    }
    .ok_or_else(|| Bad::expected(what, value))
}

/// One of the strings `allowed`, mapped by `parse`.
pub(super) fn one_of<T>(value: Field<'_>, allowed: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, Bad> {
    value.as_str().and_then(parse).ok_or_else(|| Bad::expected(&format!("one of {allowed}"), value))
}

/// A short, one-line description of a value for a detail: never the whole value.
pub(super) fn describe(value: Field<'_>) -> String {
    match value {
        Field::Null => "null".into(),
        Field::Bool(b) => b.to_string(),
        Field::Number(n) => clip(&n.to_string()).into_owned(),
        Field::String(s) => quote(s),
        Field::Array(a) => format!("a list of {} element{}", a.len(), if a.len() == 1 { "" } else { "s" }),
        Field::Object(_) => "an object".into(),
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
