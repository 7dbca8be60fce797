//! JSON values (a ticket's `context` and `journey`, journey steps) as a flat sequence of tokens
//! in pre-order.
//!
//! bincode cannot read `serde_json::Value` back (it needs `deserialize_any`), and a recursive
//! format would let crafted bytes nest deep enough to overflow the stack. Tokens are read as a
//! flat list, and rebuilding refuses nesting deeper than [`MAX_DEPTH`] (serde_json's own
//! parsing limit, so every value the engine holds fits). Numbers keep their exact kind and
//! bits (`u64`, `i64` or `f64`).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// Deepest nesting rebuilt; the top-level value is at depth 1.
const MAX_DEPTH: usize = 128;

/// The tokens written; the variants match [`Token`] one to one.
#[derive(Clone, Copy, Serialize)]
enum TokenRef<'a> {
    Null,
    Bool(bool),
    PosInt(u64),
    NegInt(i64),
    Float(f64),
    Str(&'a str),
    /// An array of this many values, which follow.
    Array(u32),
    /// An object of this many members, which follow as a `Str` key then the value.
    Object(u32),
}

#[derive(Deserialize)]
enum Token {
    Null,
    Bool(bool),
    PosInt(u64),
    NegInt(i64),
    Float(f64),
    Str(String),
    Array(u32),
    Object(u32),
}

fn flatten<'a>(value: &'a Value, out: &mut Vec<TokenRef<'a>>) {
    match value {
        Value::Null => out.push(TokenRef::Null),
        Value::Bool(b) => out.push(TokenRef::Bool(*b)),
        Value::Number(n) => out.push(number(n)),
        Value::String(s) => out.push(TokenRef::Str(s)),
        Value::Array(items) => {
            out.push(TokenRef::Array(items.len() as u32));
            items.iter().for_each(|item| flatten(item, out));
        }
        Value::Object(map) => flatten_map(map, out),
    }
}

fn flatten_map<'a>(map: &'a Map<String, Value>, out: &mut Vec<TokenRef<'a>>) {
    out.push(TokenRef::Object(map.len() as u32));
    for (key, value) in map {
        out.push(TokenRef::Str(key));
        flatten(value, out);
    }
}

fn number(n: &Number) -> TokenRef<'static> {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => TokenRef::PosInt(u),
        (None, Some(i), _) => TokenRef::NegInt(i),
        (None, None, f) => TokenRef::Float(f.unwrap_or(0.0)),
    }
}

/// Rebuilds one value from the front of `tokens`.
fn build(tokens: &mut std::slice::Iter<'_, Token>, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("JSON nested deeper than {MAX_DEPTH}"));
    }
    let token = tokens.next().ok_or("JSON tokens end early")?;
    Ok(match token {
        Token::Null => Value::Null,
        Token::Bool(b) => Value::Bool(*b),
        Token::PosInt(u) => Value::from(*u),
        Token::NegInt(i) => Value::from(*i),
        Token::Float(f) => Value::Number(Number::from_f64(*f).ok_or("a JSON number that is not finite")?),
        Token::Str(s) => Value::String(s.clone()),
        Token::Array(len) => {
            // Every value takes a token at least: the length cannot ask for more room than that.
            let mut items = Vec::with_capacity((*len as usize).min(tokens.len()));
            for _ in 0..*len {
                items.push(build(tokens, depth + 1)?);
            }
            Value::Array(items)
        }
        Token::Object(len) => {
            let mut map = Map::new();
            for _ in 0..*len {
                let Some(Token::Str(key)) = tokens.next() else {
                    return Err("a JSON object member without a string key".to_owned());
                };
                map.insert(key.clone(), build(tokens, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    let tokens = Vec::<Token>::deserialize(deserializer)?;
    let mut iter = tokens.iter();
    let value = build(&mut iter, 1).map_err(D::Error::custom)?;
    if iter.len() != 0 {
        return Err(D::Error::custom("JSON tokens left over"));
    }
    Ok(value)
}

/// A `serde_json::Value`.
pub mod value {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tokens = Vec::new();
        flatten(value, &mut tokens);
        serializer.collect_seq(&tokens)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        read(deserializer)
    }
}

/// A JSON object (`serde_json::Map`).
pub mod map {
    use super::*;

    pub fn serialize<S: Serializer>(map: &Map<String, Value>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tokens = Vec::new();
        flatten_map(map, &mut tokens);
        serializer.collect_seq(&tokens)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Map<String, Value>, D::Error> {
        match read(deserializer)? {
            Value::Object(map) => Ok(map),
            _ => Err(D::Error::custom("a JSON value that is not an object where an object is kept")),
        }
    }
}

/// `#[serde(with = "crate::checkpoint::json::raw")]` for [`RawJson`]: its text, validated
/// again on the way back (serde_json's parser limits nesting, so crafted text cannot overflow
/// the stack).
pub mod raw {
    use super::*;
    use crate::contract::RawJson;

    pub fn serialize<S: Serializer>(raw: &RawJson, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(raw.get())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<RawJson, D::Error> {
        RawJson::parse(String::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder(#[serde(with = "super::value")] Value);

    fn round_trip(value: Value) -> Value {
        let bytes = bincode::serialize(&Holder(value)).unwrap();
        bincode::deserialize::<Holder>(&bytes).unwrap().0
    }

    #[test]
    fn values_come_back_exactly() {
        let value = json!({
            "a": [1, -2, 3.25, 0.1, 1e300, u64::MAX, i64::MIN, null, true, "x"],
            "nested": {"deeper": [[], {}, [{"k": "v"}]]},
            "": ""
        });
        let back = round_trip(value.clone());
        assert_eq!(back, value);
        assert_eq!(back.to_string(), value.to_string());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut tokens: Vec<TokenRef<'_>> = vec![TokenRef::Array(1); 1_000_000];
        tokens.push(TokenRef::Null);
        let bytes = bincode::serialize(&tokens).unwrap();
        let error = bincode::deserialize::<Holder>(&bytes).unwrap_err();
        assert!(error.to_string().contains("deeper"), "{error}");
        let mut ok: Vec<TokenRef<'_>> = vec![TokenRef::Array(1); MAX_DEPTH - 1];
        ok.push(TokenRef::Null);
        assert!(bincode::deserialize::<Holder>(&bincode::serialize(&ok).unwrap()).is_ok());
    }

    #[test]
    fn malformed_tokens_are_errors() {
        let cases: Vec<Vec<TokenRef<'_>>> = vec![
            vec![TokenRef::Array(3), TokenRef::Null],
            vec![TokenRef::Object(1), TokenRef::Null, TokenRef::Null],
            vec![TokenRef::Null, TokenRef::Null],
            vec![TokenRef::Float(f64::NAN)],
        ];
        for tokens in cases {
            assert!(bincode::deserialize::<Holder>(&bincode::serialize(&tokens).unwrap()).is_err());
        }
    }
}
