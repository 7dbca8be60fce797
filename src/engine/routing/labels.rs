//! Order-preserving integer labels for agent ids: `label(a) < label(b)` exactly when `a < b` in
//! byte order, so index entries break idle-since ties with an integer compare instead of a
//! string one. A new id takes a label between its neighbours'; when they leave no room, every
//! label is spread out again (rare: each interval halves at most 32 times between two
//! neighbours, and ids added at either end step by 2^16).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// An id's place in byte order.
pub(super) type Label = u32;

const STEP: Label = 1 << 16;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Labels {
    #[serde(with = "crate::checkpoint::fields::arc_str_keys")]
    by_id: BTreeMap<Arc<str>, Label>,
}

impl Labels {
    /// Labels a new id; `None` when its neighbours leave no room (call [`Labels::relabel`]).
    pub fn insert(&mut self, id: Arc<str>) -> Option<Label> {
        debug_assert!(!self.by_id.contains_key(&id));
        let key: &str = &id;
        let below = self.by_id.range::<str, _>((Bound::Unbounded, Bound::Excluded(key))).next_back().map(|(_, &l)| l);
        let above = self.by_id.range::<str, _>((Bound::Excluded(key), Bound::Unbounded)).next().map(|(_, &l)| l);
        let label = match (below, above) {
            (None, None) => Some(1 << 31),
            (Some(a), None) if Label::MAX - a >= STEP => Some(a + STEP),
            (Some(a), None) => (a < Label::MAX).then(|| a + (Label::MAX - a).div_ceil(2)),
            (None, Some(b)) if b >= STEP => Some(b - STEP),
            (None, Some(b)) => (b > 0).then_some(b / 2),
            (Some(a), Some(b)) => (b - a >= 2).then(|| a + (b - a) / 2),
        }?;
        self.by_id.insert(id, label);
        Some(label)
    }

    pub fn remove(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// Adds `id` and spreads all labels evenly; returns every id with its new label.
    pub fn relabel(&mut self, id: Arc<str>) -> impl Iterator<Item = (&str, Label)> + '_ {
        self.by_id.insert(id, 0);
        let spacing = Label::MAX / (self.by_id.len() as Label + 1);
        for (i, label) in self.by_id.values_mut().enumerate() {
            *label = spacing * (i as Label + 1);
        }
        self.by_id.iter().map(|(id, &label)| (&**id, label))
    }

    /// Labels in id order, for tests.
    #[cfg(test)]
    pub fn in_order(&self) -> impl Iterator<Item = (&str, Label)> + '_ {
        self.by_id.iter().map(|(id, &label)| (&**id, label))
    }
}
