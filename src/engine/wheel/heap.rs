//! A binary heap of refs ordered by `(deadline, arrival)`, for the timers whose deadline lies
//! behind the wheel position and so fits on no level.
//!
//! Invariants:
//! - Items come out in `(deadline, seq)` order; `seq` counts pushes, so equal deadlines come
//!   out in the order they were pushed.
//! - `stale` counts items known to be stale (lazily deleted); it never exceeds the heap's
//!   length, and the heap is purged when stale items outnumber live ones (plus a slack).

use super::slab::Slab;
use super::slot::Ref;
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Item {
    pub deadline: u64,
    seq: u64,
    pub r: Ref,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Item {}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

/// Stale items the heap may hold beyond its live ones before it is purged.
const PURGE_SLACK: usize = 64;

#[derive(Default, Serialize, Deserialize)]
pub(super) struct SideHeap {
    heap: BinaryHeap<Reverse<Item>>,
    seq: u64,
    stale: usize,
}

impl SideHeap {
    /// Items, live and stale.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Reverse<Item>>()
    }

    pub fn push(&mut self, deadline: u64, r: Ref) {
        self.seq += 1;
        self.heap.push(Reverse(Item { deadline, seq: self.seq, r }));
    }

    /// Drops stale items from the top; returns the first live item without removing it.
    pub fn peek<T>(&mut self, slab: &Slab<T>) -> Option<Item> {
        while let Some(&Reverse(item)) = self.heap.peek() {
            if slab.is_live(item.r) {
                return Some(item);
            }
            self.heap.pop();
            self.stale = self.stale.saturating_sub(1);
        }
        None
    }

    /// Removes the top item (after [`SideHeap::peek`] returned it).
    pub fn pop(&mut self) -> Option<Item> {
        self.heap.pop().map(|Reverse(item)| item)
    }

    /// Counts one more stale item; purges the heap when stale items dominate.
    pub fn note_stale<T>(&mut self, slab: &Slab<T>) {
        self.stale = (self.stale + 1).min(self.heap.len());
        if self.stale > self.heap.len() - self.stale + PURGE_SLACK {
            self.purge(slab);
        }
    }

    /// Drops every stale item.
    pub fn purge<T>(&mut self, slab: &Slab<T>) {
        self.heap.retain(|Reverse(item)| slab.is_live(item.r));
        self.stale = 0;
    }

    /// Empties the heap, returning its items in order (stale ones included).
    pub fn drain_sorted(&mut self) -> Vec<Item> {
        self.stale = 0;
        let mut items: Vec<Item> = std::mem::take(&mut self.heap).into_iter().map(|Reverse(item)| item).collect();
        items.sort_unstable();
        items
    }

    pub fn for_each(&self, mut f: impl FnMut(&Item)) {
        self.heap.iter().for_each(|Reverse(item)| f(item));
    }

    /// Stale items counted.
    pub fn stale(&self) -> usize {
        self.stale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_deadlines_leave_in_push_order_and_stale_items_are_skipped() {
        let mut slab = Slab::with_capacity(0);
        let mut heap = SideHeap::default();
        let mut refs = Vec::new();
        for (d, v) in [(5, 'a'), (3, 'b'), (5, 'c'), (3, 'd')] {
            let (index, _, stamp) = slab.insert(d, v);
            let r = Ref::new(index, stamp, d);
            heap.push(d, r);
            refs.push(r);
        }
        slab.take(refs[1]);
        heap.note_stale(&slab);
        let mut out = Vec::new();
        while let Some(item) = heap.peek(&slab) {
            heap.pop();
            out.push(slab.take(item.r).unwrap().1);
        }
        assert_eq!(out, ['d', 'a', 'c']);
        assert_eq!(heap.len(), 0);
        assert_eq!(heap.stale(), 0);
    }

    #[test]
    fn purges_when_stale_items_dominate() {
        let mut slab = Slab::with_capacity(0);
        let mut heap = SideHeap::default();
        let refs: Vec<Ref> = (0..200)
            .map(|d| {
                let (index, _, stamp) = slab.insert(d, ());
                heap.push(d, Ref::new(index, stamp, d));
                Ref::new(index, stamp, d)
            })
            .collect();
        for &r in &refs[..150] {
            slab.take(r);
            heap.note_stale(&slab);
        }
        assert!(heap.len() < 200);
        assert!(heap.stale() <= heap.len());
        let sorted = heap.drain_sorted();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
    }
}
