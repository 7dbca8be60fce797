//! JSON kept as its validated text: a ticket's `context` and `journey`. One allocation, shared
//! (by reference count) with every output that carries it and written into outputs verbatim.
//!
//! Invariant: the text is one valid JSON value, as serde_json wrote it (compact; object members
//! in key order, as `serde_json::Map` keeps them). The empty object and the empty array are
//! shared by every holder, so a ticket without context or journey allocates nothing for them.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, LazyLock};

#[derive(Clone)]
pub struct RawJson(Arc<RawValue>);

static EMPTY_OBJECT: LazyLock<RawJson> = LazyLock::new(|| RawJson::literal("{}"));
static EMPTY_ARRAY: LazyLock<RawJson> = LazyLock::new(|| RawJson::literal("[]"));

impl RawJson {
    /// `{}`, shared.
    pub fn empty_object() -> RawJson {
        EMPTY_OBJECT.clone()
    }

    /// `[]`, shared.
    pub fn empty_array() -> RawJson {
        EMPTY_ARRAY.clone()
    }

    /// The text of `value` (the shared empties for `{}` and `[]`).
    pub fn of(value: &impl Serialize) -> RawJson {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => RawJson::shared(raw),
            // Values built by the engine always serialize; keep something valid regardless.
            Err(_) => RawJson::empty_object(),
        }
    }

    /// Validates `text` as one JSON value.
    pub fn parse(text: String) -> Result<RawJson, serde_json::Error> {
        RawValue::from_string(text).map(RawJson::shared)
    }

    fn literal(text: &str) -> RawJson {
        RawJson(Arc::from(RawValue::from_string(text.to_owned()).expect("a valid JSON literal")))
    }

    fn shared(raw: Box<RawValue>) -> RawJson {
        match raw.get() {
            "{}" => RawJson::empty_object(),
            "[]" => RawJson::empty_array(),
            _ => RawJson(Arc::from(raw)),
        }
    }

    fn is_shared_empty(&self) -> bool {
        Arc::ptr_eq(&self.0, &EMPTY_OBJECT.0) || Arc::ptr_eq(&self.0, &EMPTY_ARRAY.0)
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value, parsed (for the `Value` form of an output and for merges).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.get()).unwrap_or(Value::Null)
    }

    /// Heap bytes of the text and its reference counts; 0 for the shared empties.
    pub fn heap_bytes(&self) -> usize {
        if self.is_shared_empty() {
            0
        } else {
            self.get().len() + 2 * std::mem::size_of::<usize>()
        }
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_are_shared_and_text_is_kept() {
        let a = RawJson::of(&serde_json::Map::new());
        assert!(Arc::ptr_eq(&a.0, &RawJson::empty_object().0));
        assert!(Arc::ptr_eq(&RawJson::of(&Vec::<Value>::new()).0, &RawJson::empty_array().0));
        let value = serde_json::json!({"b": [1, 2.5], "a": "x\"y"});
        let raw = RawJson::of(&value);
        assert_eq!(raw.get(), r#"{"a":"x\"y","b":[1,2.5]}"#);
        assert_eq!(raw.to_value(), value);
        assert_eq!(serde_json::to_string(&raw).unwrap(), raw.get());
        assert!(RawJson::parse("{\"a\":".to_owned()).is_err());
    }
}
