//! Walking a parsed TOML table with key paths: typed getters that record an error naming
//! the key when a value has the wrong type, and the check that refuses unknown keys.

use super::duration::{self, Duration};
use super::error::Errors;
use toml::{Table, Value};

/// `parent.key`; a key that is not a bare TOML key is quoted (`kafka.properties."a b"`).
pub(super) fn key_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(super) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// "a string", "an integer", ...: the type of a value, for messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A string of a list, with its own path.
#[derive(Debug, Clone)]
pub(super) struct Item<'a> {
    pub path: String,
    pub text: &'a str,
}

/// A table of the configuration and its key path (empty for the root).
#[derive(Debug, Clone)]
pub(super) struct Node<'a> {
    pub path: String,
    pub table: &'a Table,
}

impl<'a> Node<'a> {
    pub(super) fn root(table: &'a Table) -> Node<'a> {
        Node { path: String::new(), table }
    }

    pub(super) fn path_of(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// Records an error for every key not in `known`.
    pub(super) fn deny_unknown(&self, errors: &mut Errors, known: &[&str]) {
        for key in self.table.keys() {
            if !known.contains(&key.as_str()) {
                errors.push(self.path_of(key), format!("unknown key (expected one of: {})", known.join(", ")));
            }
        }
    }

    pub(super) fn value(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    fn wrong_type(&self, errors: &mut Errors, key: &str, expected: &str, found: &Value) {
        errors.push(self.path_of(key), format!("expected {expected}, found {}", type_name(found)));
    }

    /// A string value; `None` when absent or of another type (an error then).
    pub(super) fn string(&self, errors: &mut Errors, key: &str) -> Option<&'a str> {
        match self.value(key)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(errors, key, "a string", other);
                None
            }
        }
    }

    /// A string that must not be empty.
    pub(super) fn non_empty_string(&self, errors: &mut Errors, key: &str) -> Option<&'a str> {
        let s = self.string(errors, key)?;
        if s.is_empty() {
            errors.push(self.path_of(key), "must not be empty");
            return None;
        }
        Some(s)
    }

    /// A non-empty string that must be present.
    pub(super) fn required_string(&self, errors: &mut Errors, key: &str) -> Option<&'a str> {
        if self.value(key).is_none() {
            errors.push(self.path_of(key), "missing (required)");
            return None;
        }
        self.non_empty_string(errors, key)
    }

    pub(super) fn boolean(&self, errors: &mut Errors, key: &str) -> Option<bool> {
        match self.value(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(errors, key, "a boolean (true or false)", other);
                None
            }
        }
    }

    /// An integer of at least `min`.
    pub(super) fn integer_at_least(&self, errors: &mut Errors, key: &str, min: i64) -> Option<i64> {
        match self.value(key)? {
            Value::Integer(i) if *i >= min => Some(*i),
            Value::Integer(i) => {
                errors.push(self.path_of(key), format!("must be at least {min}, found {i}"));
                None
            }
            other => {
                self.wrong_type(errors, key, "an integer", other);
                None
            }
        }
    }

    /// An integer of at least `min` that fits `T` ("too large" otherwise).
    pub(super) fn count_at_least<T: TryFrom<i64>>(&self, errors: &mut Errors, key: &str, min: i64) -> Option<T> {
        let n = self.integer_at_least(errors, key, min)?;
        match T::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(self.path_of(key), "too large");
                None
            }
        }
    }

    /// A duration string (see [`duration`]).
    pub(super) fn duration(&self, errors: &mut Errors, key: &str) -> Option<Duration> {
        match self.value(key)? {
            Value::String(s) => match duration::parse(s) {
                Ok(d) => Some(d),
                Err(message) => {
                    errors.push(self.path_of(key), message);
                    None
                }
            },
            other => {
                self.wrong_type(errors, key, "a duration string such as \"15m\"", other);
                None
            }
        }
    }

    /// A sub-table.
    pub(super) fn table(&self, errors: &mut Errors, key: &str) -> Option<Node<'a>> {
        match self.value(key)? {
            Value::Table(table) => Some(Node { path: self.path_of(key), table }),
            other => {
                self.wrong_type(errors, key, "a table", other);
                None
            }
        }
    }

    /// An array of tables (`[[key]]`); empty when absent.
    pub(super) fn tables(&self, errors: &mut Errors, key: &str) -> Vec<Node<'a>> {
        let path = self.path_of(key);
        match self.value(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::Table(table) => Some(Node { path: index_path(&path, i), table }),
                    other => {
                        errors.push(index_path(&path, i), format!("expected a table, found {}", type_name(other)));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                errors.push(path, format!("expected an array of tables ([[{key}]]), found {}", type_name(other)));
                Vec::new()
            }
        }
    }

    /// An array; `None` when absent or not an array (an error then).
    pub(super) fn array(&self, errors: &mut Errors, key: &str, what: &str) -> Option<&'a [Value]> {
        match self.value(key)? {
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(errors, key, &format!("an array of {what}"), other);
                None
            }
        }
    }

    /// An array of strings, each with its path. Items of another type are errors and left
    /// out.
    pub(super) fn strings(&self, errors: &mut Errors, key: &str) -> Option<Vec<Item<'a>>> {
        let items = self.array(errors, key, "strings")?;
        let path = self.path_of(key);
        Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::String(text) => Some(Item { path: index_path(&path, i), text }),
                    other => {
                        errors.push(index_path(&path, i), format!("expected a string, found {}", type_name(other)));
                        None
                    }
                })
                .collect(),
        )
    }
}
