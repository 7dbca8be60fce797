//! Serde adapters for the `Arc`s of rules objects held in the engine's state
//! (`Ticket::policy`, `Clock::policy`, `Route::rules`): each is written as an index into the
//! checkpoint's [`Table`] and read back as the shared `Arc` rebuilt from it.
//!
//! The table lives in a per-thread scope that [`encoding`] and [`decoding`] open around one
//! (de)serialisation. Outside a scope the adapters fail (an error, not a panic), so the engine's
//! types cannot be serialised by accident without their rules.

use super::table::{Interner, Resolved, Table};
use std::cell::RefCell;

thread_local! {
    static ENCODER: RefCell<Option<Interner>> = const { RefCell::new(None) };
    static DECODER: RefCell<Option<Resolved>> = const { RefCell::new(None) };
}

/// Runs `f` with a fresh interner; returns its result and the table of every object it met.
pub(super) fn encoding<R>(f: impl FnOnce() -> R) -> (R, Table) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            ENCODER.with(|e| e.borrow_mut().take());
        }
    }
    ENCODER.with(|e| *e.borrow_mut() = Some(Interner::default()));
    let _reset = Reset;
    let result = f();
    let table = ENCODER.with(|e| e.borrow_mut().take()).unwrap_or_default().finish();
    (result, table)
}

/// Runs `f` with `resolved` as the objects indexes refer to.
pub(super) fn decoding<R>(resolved: Resolved, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DECODER.with(|d| d.borrow_mut().take());
        }
    }
    DECODER.with(|d| *d.borrow_mut() = Some(resolved));
    let _reset = Reset;
    f()
}

const NO_SCOPE: &str = "rules objects are only (de)serialised within a checkpoint";

fn intern<T>(f: impl FnOnce(&mut Interner) -> T) -> Result<T, &'static str> {
    ENCODER.with(|e| e.borrow_mut().as_mut().map(f).ok_or(NO_SCOPE))
}

fn resolve<T>(f: impl FnOnce(&Resolved) -> Option<T>) -> Result<T, String> {
    DECODER.with(|d| match d.borrow().as_ref() {
        Some(resolved) => f(resolved).ok_or_else(|| "a reference to a rules object out of range".to_owned()),
        None => Err(NO_SCOPE.to_owned()),
    })
}

/// `Arc<Policy>`.
pub mod policy {
    use crate::engine::rules::Policy;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(policy: &Arc<Policy>, serializer: S) -> Result<S::Ok, S::Error> {
        super::intern(|i| i.policy(policy)).map_err(S::Error::custom)?.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<Policy>, D::Error> {
        let i = u32::deserialize(deserializer)?;
        super::resolve(|r| r.policies.get(i as usize).cloned()).map_err(D::Error::custom)
    }
}

/// `Option<Arc<Policy>>`.
pub mod opt_policy {
    use crate::engine::rules::Policy;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(policy: &Option<Arc<Policy>>, serializer: S) -> Result<S::Ok, S::Error> {
        let i = match policy {
            Some(p) => Some(super::intern(|i| i.policy(p)).map_err(S::Error::custom)?),
            None => None,
        };
        i.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Arc<Policy>>, D::Error> {
        match Option::<u32>::deserialize(deserializer)? {
            Some(i) => super::resolve(|r| r.policies.get(i as usize).cloned()).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

/// `Option<Arc<Rules>>`.
pub mod opt_rules {
    use crate::engine::rules::Rules;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(rules: &Option<Arc<Rules>>, serializer: S) -> Result<S::Ok, S::Error> {
        let i = match rules {
            Some(r) => Some(super::intern(|i| i.rules(r)).map_err(S::Error::custom)?),
            None => None,
        };
        i.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Arc<Rules>>, D::Error> {
        match Option::<u32>::deserialize(deserializer)? {
            Some(i) => super::resolve(|r| r.rules.get(i as usize).cloned()).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}
