//! Per-tenant memory of recent ids in event time (DETAILS.md): applied `event_id`s and
//! closed `ticket_id`s.
//!
//! An id remembered at `ts` as the `seq`-th input applied on the partition is forgotten once
//! the reference instant (the tenant's latest applied `ts`, or the `ts` being checked,
//! whichever is later) is more than `window` after it, or once `seq` is below the oldest
//! sequence number still kept (`engine.dedupe_max_ids`; closed ticket ids use 0). Lookups
//! apply both rules exactly; eviction drops ids that can no longer match, so memory is bounded
//! by the ids of one window and by the count cap.

use crate::time::Millis;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RecentIds {
    /// The latest `(ts, seq)` each id was remembered at.
    at: FxHashMap<String, (Millis, u64)>,
    /// Insertion order (ascending `seq`), for eviction.
    order: VecDeque<(Millis, u64, String)>,
}

impl RecentIds {
    /// Whether `id` is remembered, judged at `reference` with `oldest_seq` the oldest sequence
    /// number still kept.
    pub fn contains(&self, id: &str, reference: Millis, window: i64, oldest_seq: u64) -> bool {
        self.at.get(id).is_some_and(|&(seen, seq)| reference.saturating_sub(seen) <= window && seq >= oldest_seq)
    }

    pub fn insert(&mut self, id: &str, ts: Millis, seq: u64) {
        match self.at.get_mut(id) {
            Some(seen) => *seen = (seen.0.max(ts), seq),
            None => {
                self.at.insert(id.to_owned(), (ts, seq));
            }
        }
        self.order.push_back((ts, seq, id.to_owned()));
    }

    /// Drops ids that can no longer match: remembered more than `window` before `latest`, or
    /// with a sequence number below `oldest_seq`. Returns how many of those were dropped by the
    /// count alone (still within the window).
    pub fn evict(&mut self, latest: Millis, window: i64, oldest_seq: u64) -> u64 {
        let mut early = 0;
        while let Some(&(ts, seq, _)) = self.order.front() {
            let out_of_window = latest.saturating_sub(ts) > window;
            if !out_of_window && seq >= oldest_seq {
                break;
            }
            let (_, _, id) = self.order.pop_front().expect("front exists");
            if self.at.get(&id).is_some_and(|&(_, latest_seq)| latest_seq == seq) {
                self.at.remove(&id);
                if !out_of_window {
                    early += 1;
                }
            }
        }
        early
    }

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
        ids.insert("e1", 1_000, 1);
        assert!(ids.contains("e1", 1_000 + 500, 500, 0));
        assert!(!ids.contains("e1", 1_000 + 501, 500, 0));
        assert_eq!(ids.evict(1_000 + 501, 500, 0), 0);
        assert!(ids.is_empty());
    }

    #[test]
    fn eviction_keeps_ids_still_in_window() {
        let mut ids = RecentIds::default();
        ids.insert("old", 0, 1);
        ids.insert("new", 900, 2);
        ids.evict(1_000, 500, 0);
        assert!(!ids.contains("old", 1_000, 500, 0));
        assert!(ids.contains("new", 1_000, 500, 0));
        assert_eq!(ids.len(), 1);
    }

    #[test]
    fn count_cap_forgets_oldest_and_counts_them_early() {
        let mut ids = RecentIds::default();
        for seq in 1..=5 {
            ids.insert(&format!("e{seq}"), 0, seq);
        }
        assert!(!ids.contains("e2", 0, 1_000, 3));
        assert!(ids.contains("e3", 0, 1_000, 3));
        assert_eq!(ids.evict(0, 1_000, 3), 2);
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn an_id_remembered_again_survives_its_older_entry() {
        let mut ids = RecentIds::default();
        ids.insert("e1", 0, 1);
        ids.insert("e2", 0, 2);
        ids.insert("e1", 0, 3);
        assert_eq!(ids.evict(0, 1_000, 2), 0, "the entry of seq 1 is stale, not a forgotten id");
        assert!(ids.contains("e1", 0, 1_000, 2));
    }
}
