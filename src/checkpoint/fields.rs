//! Serde adapters for field types serde does not cover as the checkpoint needs them: `Arc<str>`
//! (by value, without serde's `rc` feature) and arrays longer than 32.

/// An `Arc<str>` as a string.
pub mod arc_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(value: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}

/// A map keyed by `Arc<str>`, as a sequence of pairs in the map's iteration order.
pub mod arc_str_keys {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<'a, M, V, S>(map: &'a M, serializer: S) -> Result<S::Ok, S::Error>
    where
        &'a M: IntoIterator<Item = (&'a Arc<str>, &'a V)>,
        V: Serialize + 'a,
        S: Serializer,
    {
        serializer.collect_seq(map.into_iter().map(|(k, v)| (&**k, v)))
    }

    pub fn deserialize<'de, M, V, D>(deserializer: D) -> Result<M, D::Error>
    where
        M: FromIterator<(Arc<str>, V)>,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let pairs = Vec::<(String, V)>::deserialize(deserializer)?;
        Ok(pairs.into_iter().map(|(k, v)| (Arc::from(k), v)).collect())
    }
}

/// A `[T; N]` of any length, as a sequence.
pub mod array {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer, const N: usize>(
        value: &[T; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(value)
    }

    pub fn deserialize<'de, T, D, const N: usize>(deserializer: D) -> Result<[T; N], D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let items = Vec::<T>::deserialize(deserializer)?;
        let len = items.len();
        items.try_into().map_err(|_| D::Error::invalid_length(len, &format!("an array of {N}").as_str()))
    }
}
