//! Which input offset of a partition may be committed: an input's offset is committed only
//! after every record it caused (outputs, its dead letter) is acknowledged by the broker
//! (EVENTS.md section 4).
//!
//! Invariant: `entries` holds, in read order, the groups of records not yet all acknowledged;
//! each entry names the offset to commit once it and every entry before it are done (the offset
//! after its input). The committable offset is the `commit_to` of the last entry of the acked
//! prefix, so a commit never passes an input whose outputs are still in flight.

use std::collections::VecDeque;

/// One group of produced records: the outputs of one input (or of one timer advance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The offset to commit once this entry and every earlier one are acknowledged.
    commit_to: i64,
    /// Records of this entry not yet acknowledged.
    pending: u32,
}

/// Per-partition acknowledgement tracking.
#[derive(Debug, Clone, Default)]
pub struct OffsetTracker {
    /// Sequence number of `entries[0]`.
    base_seq: u64,
    entries: VecDeque<Entry>,
    /// The offset that may be committed (the next offset to read after the acked prefix).
    committable: Option<i64>,
    /// The last offset handed to a commit.
    committed: Option<i64>,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// Records a group of `records` produced records whose completion allows committing
    /// `commit_to`; returns the sequence number that each record's acknowledgement names.
    /// A group without records completes at once (or when the entries before it do).
    pub fn push(&mut self, commit_to: i64, records: u32) -> u64 {
        if records == 0 {
            match self.entries.back_mut() {
                // Committing `commit_to` needs exactly what the last entry needs.
                Some(back) => back.commit_to = back.commit_to.max(commit_to),
                None => self.committable = Some(self.committable.map_or(commit_to, |c| c.max(commit_to))),
            }
            return u64::MAX;
        }
        self.entries.push_back(Entry { commit_to, pending: records });
        self.base_seq + self.entries.len() as u64 - 1
    }

    /// One record of group `seq` is acknowledged. Unknown sequence numbers (a group already
    /// completed, or one of an earlier assignment) are ignored; returns whether it was known.
    pub fn ack(&mut self, seq: u64) -> bool {
        let Some(index) = seq.checked_sub(self.base_seq) else { return false };
        let Some(entry) = self.entries.get_mut(index as usize) else { return false };
        if entry.pending == 0 {
            return false;
        }
        entry.pending -= 1;
        while let Some(front) = self.entries.front() {
            if front.pending > 0 {
                break;
            }
            self.committable = Some(self.committable.map_or(front.commit_to, |c| c.max(front.commit_to)));
            self.entries.pop_front();
            self.base_seq += 1;
        }
        true
    }

    /// A mark after every group pushed so far; see [`OffsetTracker::is_acked_before`].
    pub fn mark(&self) -> u64 {
        self.base_seq + self.entries.len() as u64
    }

    /// Whether every group pushed before `mark` was taken is acknowledged.
    pub fn is_acked_before(&self, mark: u64) -> bool {
        self.base_seq >= mark
    }

    /// Records not yet acknowledged.
    pub fn in_flight(&self) -> u64 {
        self.entries.iter().map(|e| e.pending as u64).sum()
    }

    /// Whether every record pushed so far is acknowledged.
    pub fn is_idle(&self) -> bool {
        self.entries.is_empty()
    }

    /// The offset that may be committed now, if it is past the last commit.
    pub fn committable(&self) -> Option<i64> {
        self.committable.filter(|c| self.committed.is_none_or(|done| *c > done))
    }

    /// The acked-prefix offset, committed or not.
    pub fn acked_position(&self) -> Option<i64> {
        self.committable
    }

    /// Notes that `offset` was handed to a commit.
    pub fn mark_committed(&mut self, offset: i64) {
        self.committed = Some(self.committed.map_or(offset, |c| c.max(offset)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_the_contiguous_acked_prefix_only() {
        let mut t = OffsetTracker::new();
        let a = t.push(1, 2); // input 0: two outputs
        let b = t.push(2, 1); // input 1: one output
        assert_eq!(t.push(3, 0), u64::MAX); // input 2: none, waits for input 1
        assert_eq!(t.committable(), None);
        assert!(t.ack(b));
        assert_eq!(t.committable(), None, "input 0 is still in flight");
        assert!(t.ack(a));
        assert_eq!(t.committable(), None);
        assert!(t.ack(a));
        assert_eq!(t.committable(), Some(3));
        assert!(t.is_idle());
        t.mark_committed(3);
        assert_eq!(t.committable(), None);
        assert_eq!(t.push(4, 0), u64::MAX);
        assert_eq!(t.committable(), Some(4));
    }

    #[test]
    fn a_mark_is_passed_once_every_earlier_group_is_acked() {
        let mut t = OffsetTracker::new();
        let a = t.push(1, 1);
        t.push(2, 0);
        let mark = t.mark();
        let b = t.push(3, 1);
        assert!(!t.is_acked_before(mark));
        assert!(t.ack(b));
        assert!(!t.is_acked_before(mark), "a later group does not count");
        assert!(t.ack(a));
        assert!(t.is_acked_before(mark));
        assert!(OffsetTracker::new().is_acked_before(OffsetTracker::new().mark()));
    }

    #[test]
    fn stale_and_repeated_acks_are_ignored() {
        let mut t = OffsetTracker::new();
        let a = t.push(10, 1);
        assert!(!t.ack(a + 5));
        assert!(t.ack(a));
        assert!(!t.ack(a), "a completed group is gone");
        assert_eq!(t.committable(), Some(10));
        let b = t.push(11, 1);
        assert_eq!(b, a + 1);
        assert_eq!(t.in_flight(), 1);
    }

    #[test]
    fn an_advance_at_the_position_blocks_later_commits() {
        let mut t = OffsetTracker::new();
        t.push(5, 0);
        let fired = t.push(5, 3); // timers fired at position 5
        t.push(6, 0); // input 5 caused nothing
        assert_eq!(t.committable(), Some(5));
        t.mark_committed(5);
        for _ in 0..3 {
            assert_eq!(t.committable(), None);
            t.ack(fired);
        }
        assert_eq!(t.committable(), Some(6));
    }

    #[test]
    fn random_orders_never_commit_past_an_unacked_input() {
        // A small exhaustive-ish check over ack orders of 4 inputs with 0..=2 outputs each.
        for pattern in 0..81u32 {
            let counts: Vec<u32> = (0..4).map(|i| (pattern / 3u32.pow(i)) % 3).collect();
            let mut t = OffsetTracker::new();
            let mut acks = Vec::new();
            for (i, &n) in counts.iter().enumerate() {
                let seq = t.push(i as i64 + 1, n);
                acks.extend(std::iter::repeat_n((i, seq), n as usize));
            }
            acks.reverse();
            let mut remaining = counts.clone();
            for (i, seq) in acks {
                t.ack(seq);
                remaining[i] -= 1;
                let first_open = remaining.iter().position(|&r| r > 0).unwrap_or(4);
                let expect = if first_open == 0 { None } else { Some(first_open as i64) };
                assert_eq!(t.acked_position().filter(|_| first_open > 0), expect, "{counts:?}");
            }
        }
    }
}
