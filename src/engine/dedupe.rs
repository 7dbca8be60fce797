//! Per-tenant memory of recent ids in event time (DETAILS.md): applied `event_id`s and
//! closed `ticket_id`s.
//!
//! An id remembered at `ts` is forgotten once the reference instant (the tenant's latest
//! applied `ts`, or the `ts` being checked, whichever is later) is more than `window` after
//! it. Lookups apply that rule exactly; eviction drops ids the tenant's latest applied `ts`
//! has already made forgettable, so memory is bounded by the ids of one window.

use crate::time::Millis;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RecentIds {
    at: FxHashMap<String, Millis>,
    /// Insertion order, for eviction.
    order: VecDeque<(Millis, String)>,
}

impl RecentIds {
    /// Whether `id` is remembered, judged at `reference`.
    pub fn contains(&self, id: &str, reference: Millis, window: i64) -> bool {
        self.at.get(id).is_some_and(|&seen| reference.saturating_sub(seen) <= window)
    }

    pub fn insert(&mut self, id: &str, ts: Millis) {
        match self.at.get_mut(id) {
            Some(seen) => *seen = (*seen).max(ts),
            None => {
                self.at.insert(id.to_owned(), ts);
            }
        }
        self.order.push_back((ts, id.to_owned()));
    }

    /// Drops ids that can no longer match: remembered more than `window` before `latest`.
    pub fn evict(&mut self, latest: Millis, window: i64) {
        while let Some((ts, _)) = self.order.front() {
            if latest.saturating_sub(*ts) <= window {
                break;
            }
            let (ts, id) = self.order.pop_front().expect("front exists");
            if self.at.get(&id).is_some_and(|&seen| seen <= ts) {
                self.at.remove(&id);
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_within_window_forgotten_after() {
        let mut ids = RecentIds::default();
        ids.insert("e1", 1_000);
        assert!(ids.contains("e1", 1_000 + 500, 500));
        assert!(!ids.contains("e1", 1_000 + 501, 500));
        ids.evict(1_000 + 501, 500);
        assert!(ids.is_empty());
    }

    #[test]
    fn eviction_keeps_ids_still_in_window() {
        let mut ids = RecentIds::default();
        ids.insert("old", 0);
        ids.insert("new", 900);
        ids.evict(1_000, 500);
        assert!(!ids.contains("old", 1_000, 500));
        assert!(ids.contains("new", 1_000, 500));
        assert_eq!(ids.len(), 1);
    }
}
