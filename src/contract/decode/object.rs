//! The record's top-level object in a compact, owned form.
//!
//! The record is parsed once, by serde_json's own deserializer, so that exactly the documents it
//! accepts as a `Value` are accepted here (UTF-8, escapes and surrogates, number range, nesting
//! depth, trailing data). Only the fields the contract names are kept: strings are copied
//! (unescaped) into one buffer, `null` and booleans are kept inline, and other values (numbers,
//! lists, objects) as `serde_json::Value`s. Every other member is checked and dropped without
//! allocating.

use super::fields::Field;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

/// The names of the fields kept, across all types; [`index`] is the inverse.
const NAMES: [&str; 25] = [
    "type",
    "event_id",
    "tenant",
    "ts",
    "received_at",
    "ticket_id",
    "priority",
    "channel",
    "customer_id",
    "customer_tier",
    "group",
    "skills",
    "status",
    "context",
    "assignee",
    "agent_id",
    "public",
    "kind",
    "reason",
    "capacity",
    "supervisor_id",
    "groups",
    "step",
    "outcome",
    "data",
];

/// The position of `name` in [`NAMES`].
#[inline]
fn index(name: &str) -> Option<usize> {
    Some(match name {
        "type" => 0,
        "event_id" => 1,
        "tenant" => 2,
        "ts" => 3,
        "received_at" => 4,
        "ticket_id" => 5,
        "priority" => 6,
        "channel" => 7,
        "customer_id" => 8,
        "customer_tier" => 9,
        "group" => 10,
        "skills" => 11,
        "status" => 12,
        "context" => 13,
        "assignee" => 14,
        "agent_id" => 15,
        "public" => 16,
        "kind" => 17,
        "reason" => 18,
        "capacity" => 19,
        "supervisor_id" => 20,
        "groups" => 21,
        "step" => 22,
        "outcome" => 23,
        "data" => 24,
        _ => return None,
    })
}

/// One field's value as last given in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Absent,
    Null,
    Bool(bool),
    /// `text[start..start + len]`.
    Str(u32, u32),
    /// `values[i]`.
    Value(u32),
}

/// The fields of a record's object that the contract names, each as last given (a key written
/// twice: the last value counts).
///
/// It dereferences to those fields as a JSON object (with `null` members), built on first use;
/// decoding itself reads the compact form through [`Object::get`].
#[derive(Debug, Clone)]
pub struct Object {
    slots: [Slot; NAMES.len()],
    text: String,
    values: Vec<Value>,
    map: OnceLock<Map<String, Value>>,
}

impl Object {
    fn new(capacity: usize) -> Object {
        Object {
            slots: [Slot::Absent; NAMES.len()],
            text: String::with_capacity(capacity),
            values: Vec::new(),
            map: OnceLock::new(),
        }
    }

    /// Parses `record`, which must be one JSON object; the error is serde_json's, or a custom one
    /// when the record is valid JSON but not an object.
    pub(super) fn parse(record: &[u8]) -> Result<Object, serde_json::Error> {
        let mut object = Object::new(record.len());
        let mut de = serde_json::Deserializer::from_slice(record);
        de.deserialize_any(TopLevel(&mut object))?;
        de.end()?;
        Ok(object)
    }

    /// The named fields of an object parsed some other way.
    pub(super) fn from_map(map: Map<String, Value>) -> Object {
        let mut object = Object::new(0);
        for (key, value) in map {
            if let Some(i) = index(&key) {
                object.slots[i] = match value {
                    Value::Null => Slot::Null,
                    Value::Bool(b) => Slot::Bool(b),
                    Value::String(s) => object.push_str(&s),
                    other => object.push_value(other),
                };
            }
        }
        object
    }

    /// The value of the field `name`, `None` when absent or `null`.
    #[inline]
    pub(super) fn get(&self, name: &str) -> Option<Field<'_>> {
        match self.slots[index(name)?] {
            Slot::Absent | Slot::Null => None,
            Slot::Bool(b) => Some(Field::Bool(b)),
            Slot::Str(start, len) => Some(Field::String(&self.text[start as usize..(start + len) as usize])),
            Slot::Value(i) => Some(Field::from(&self.values[i as usize])),
        }
    }

    fn push_str(&mut self, s: &str) -> Slot {
        match (u32::try_from(self.text.len()), u32::try_from(s.len())) {
            (Ok(start), Ok(len)) if start.checked_add(len).is_some() => {
                self.text.push_str(s);
                Slot::Str(start, len)
            }
            _ => self.push_value(Value::String(s.to_owned())),
        }
    }

    fn push_value(&mut self, value: Value) -> Slot {
        self.values.push(value);
        Slot::Value((self.values.len() - 1) as u32)
    }
}

impl Deref for Object {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| {
            let mut map = Map::new();
            for (name, slot) in NAMES.iter().zip(self.slots) {
                let value = match slot {
                    Slot::Absent => continue,
                    Slot::Null => Value::Null,
                    Slot::Bool(b) => Value::Bool(b),
                    Slot::Str(start, len) => Value::from(&self.text[start as usize..(start + len) as usize]),
                    Slot::Value(i) => self.values[i as usize].clone(),
                };
                map.insert((*name).to_owned(), value);
            }
            map
        })
    }
}

/// The top level: an object, whose named members are kept.
struct TopLevel<'a>(&'a mut Object);

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            match key {
                Some(i) => {
                    let slot = map.next_value_seed(Member(self.0))?;
                    self.0.slots[i] = slot;
                }
                None => {
                    map.next_value_seed(Check)?;
                }
            }
        }
        Ok(())
    }
}

/// A member's key: the position of its name in [`NAMES`], `None` for other names.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(index(key))
    }
}

/// A named member's value, as `serde_json::Value` would read it.
struct Member<'a>(&'a mut Object);

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Slot;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Slot, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Slot;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Slot, E> {
        Ok(Slot::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Slot, E> {
        Ok(self.0.push_value(Value::Number(n.into())))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Slot, E> {
        Ok(self.0.push_value(Value::Number(n.into())))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Slot, E> {
        Ok(Number::from_f64(n).map_or(Slot::Null, |n| self.0.push_value(Value::Number(n))))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Slot, E> {
        Ok(self.0.push_str(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Slot, E> {
        Ok(Slot::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Slot, E> {
        Ok(Slot::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Slot, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Slot, A::Error> {
        let value = Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(self.0.push_value(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot, A::Error> {
        let value = Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(self.0.push_value(value))
    }
}

/// Any value, read through as `serde_json::Value` would read it (so with the same checks), but
/// kept nowhere. Unlike [`IgnoredAny`], which serde_json skips over without checking strings and
/// numbers, every string and number is decoded.
struct Check;

impl<'de> DeserializeSeed<'de> for Check {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Check)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Keys are read as strings, as `Value` reads them.
        while map.next_key_seed(CheckKey)?.is_some() {
            map.next_value_seed(Check)?;
        }
        Ok(())
    }
}

/// A nested object's key, read as a string and dropped.
struct CheckKey;

impl<'de> DeserializeSeed<'de> for CheckKey {
    type Value = IgnoredAny;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<IgnoredAny, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for CheckKey {
    type Value = IgnoredAny;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<IgnoredAny, E> {
        Ok(IgnoredAny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_inverse_of_names() {
        for (i, name) in NAMES.iter().enumerate() {
            assert_eq!(index(name), Some(i), "{name}");
        }
        assert_eq!(index("name"), None);
        assert_eq!(index(""), None);
    }

    #[test]
    fn accepts_exactly_what_value_accepts() {
        let cases: &[&[u8]] = &[
            br#"{"type":"x","a":"\ud800"}"#,
            br#"{"type":"x","a":["\udc00"]}"#,
            br#"{"type":"x","a":{"\ud800":1}}"#,
            br#"{"type":"x","a":{"k":1e999}}"#,
            br#"{"type":"x","a":[1e400]}"#,
            br#"{"type":"x","a":-1e400}"#,
            br#"{"status":1e400}"#,
            br#"{"status":"\ud83d\ude00","context":{"a":[1,2.5,-3,null,true]}}"#,
            br#"{"a":"\u0000","b":"\t"}"#,
            b"{\"a\":\"\t\"}",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":1}\xff",
            b"{\"a\":01}",
            br#"{"a":1,}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":1} x"#,
            br#"{"a":1} {}"#,
            br#"{"a":"\x"}"#,
            br#"{"a":18446744073709551616}"#,
            br#"{"status":-9223372036854775809}"#,
            br#"{"\u0074ype":"t","type":null}"#,
            br#"[1,2]"#,
            br#""s""#,
            br#"{"#,
            b"",
        ];
        for case in cases {
            let value = serde_json::from_slice::<Value>(case);
            let object = Object::parse(case);
            let expected = matches!(value, Ok(Value::Object(_)));
            assert_eq!(object.is_ok(), expected, "{}", String::from_utf8_lossy(case));
        }
        for depth in [125, 126, 127, 128, 129] {
            for nested in ["skills", "x"] {
                let record = format!("{{\"{nested}\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
                let value = serde_json::from_slice::<Value>(record.as_bytes());
                assert_eq!(Object::parse(record.as_bytes()).is_ok(), value.is_ok(), "{depth} {nested}");
            }
        }
    }

    #[test]
    fn named_fields_as_given_last_wins() {
        let record = br#"{"type":"t","skills":[1],"skills":{"a":null},"ts":"a\"b","x":[{}],"group":null,"public":false,"status":2,"status":"s"}"#;
        let object = Object::parse(record).unwrap();
        let Ok(Value::Object(mut expected)) = serde_json::from_slice::<Value>(record) else { panic!() };
        expected.remove("x");
        assert_eq!(*object, expected);
        assert!(object.get("group").is_none());
        assert!(object.get("x").is_none());
        assert_eq!(Object::from_map(expected.clone()).deref(), &expected);
    }
}
